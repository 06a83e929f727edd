//! libuiza installed like a system library, with `cargo cinstall`
//! (cargo-c), into prefixes under target/, and real consumers built from
//! nothing but what a prefix provides: pkg-config (shared and static) and
//! the CMake package. Each consumer runs against the sandbox.
//!
//! The installs build in debug mode, in their own target dir
//! (target/cinstall), which later runs reuse.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use support::c_build::{profile_dir, repo_root};
use support::consumer::{
    assert_example_prints_current_key, dynamic_entries, run_ok, stdout_of, work_dir,
};
use support::tools::{c_compiler_available, cargo_c_available, tool_available};
use support::*;

fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// `target/` (or $CARGO_TARGET_DIR): the parent of target/<profile>.
fn target_root() -> PathBuf {
    profile_dir().parent().expect("target dir").to_path_buf()
}

fn host_triple() -> String {
    let out = stdout_of(Command::new("rustc").arg("-vV"));
    out.lines()
        .find_map(|l| l.strip_prefix("host: "))
        .expect("rustc -vV prints the host")
        .to_owned()
}

/// Runs the install step users run, `cargo cinstall`, into a fresh
/// `target/<profile>/consumers/install/<name>`.
fn cinstall(name: &str, extra_args: &[&str]) -> PathBuf {
    let prefix = work_dir("install").join(name);
    let _ = std::fs::remove_dir_all(&prefix);
    run_ok(
        cargo()
            .args([
                "cinstall",
                "--debug",
                "--package",
                "uiza",
                "--manifest-path",
            ])
            .arg(repo_root().join("Cargo.toml"))
            .arg("--target-dir")
            .arg(target_root().join("cinstall"))
            .arg("--prefix")
            .arg(&prefix)
            .args(extra_args),
    );
    prefix
}

/// The full install: libuiza.so, libuiza.a, uiza.pc, headers, CMake package.
fn full_prefix() -> &'static Path {
    static PREFIX: OnceLock<PathBuf> = OnceLock::new();
    PREFIX.get_or_init(|| cinstall("full", &[]))
}

/// A prefix with only the static library, which is how a consumer links
/// statically: with libuiza.so beside it, `-luiza` would pick the .so.
fn static_prefix() -> &'static Path {
    static PREFIX: OnceLock<PathBuf> = OnceLock::new();
    PREFIX.get_or_init(|| cinstall("static", &["--library-type", "staticlib"]))
}

/// The prefix's libdir, which cargo-c picks like the distribution does:
/// `lib`, or `lib/<multiarch triple>` on Debian and Ubuntu.
fn libdir(prefix: &Path) -> PathBuf {
    let lib = prefix.join("lib");
    let multiarch = std::fs::read_dir(&lib)
        .unwrap_or_else(|e| panic!("{}: {e}", lib.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|dir| dir.join("pkgconfig/uiza.pc").exists());
    std::iter::once(lib.clone())
        .chain(multiarch)
        .find(|dir| dir.join("pkgconfig/uiza.pc").exists())
        .unwrap_or_else(|| panic!("no pkgconfig/uiza.pc under {}", lib.display()))
}

/// `pkg-config <args> uiza` against `prefix` only.
fn pkg_config(prefix: &Path, args: &[&str]) -> Vec<String> {
    let pc_dir = libdir(prefix).join("pkgconfig");
    stdout_of(
        Command::new("pkg-config")
            .args(args)
            .arg("uiza")
            .env("PKG_CONFIG_PATH", &pc_dir)
            .env("PKG_CONFIG_LIBDIR", &pc_dir),
    )
    .split_whitespace()
    .map(str::to_owned)
    .collect()
}

/// Builds the C example with the system C compiler and exactly `flags`.
fn build_c_example(name: &str, flags: &[String]) -> PathBuf {
    let cc = support::c_build::c_compiler();
    let out = work_dir("install").join(name);
    run_ok(
        Command::new(&cc)
            .args(["-std=c11", "-Wall", "-Wextra", "-Werror"])
            .arg(repo_root().join("examples/c/reset_stream_key.c"))
            .arg("-o")
            .arg(&out)
            .args(flags),
    );
    out
}

/// What `ldd` resolves libuiza to for `bin`, if it needs it at all.
fn resolved_libuiza(bin: &Path) -> Option<String> {
    stdout_of(Command::new("ldd").arg(bin).env_remove("LD_LIBRARY_PATH"))
        .lines()
        .find(|l| l.contains("libuiza"))
        .map(|l| l.trim().to_owned())
}

/// The soname cargo-c gives a version: libuiza.so.<major>, or
/// libuiza.so.0.<minor> while the major version is 0.
fn expected_soname() -> String {
    match support::consumer::crate_version() {
        (0, minor, _) => format!("libuiza.so.0.{minor}"),
        (major, _, _) => format!("libuiza.so.{major}"),
    }
}

fn pkg_config_available() -> bool {
    tool_available("pkg-config", &["--version"], "pkg-config")
}

fn binutils_available() -> bool {
    tool_available("readelf", &["--version"], "binutils")
        && tool_available("nm", &["--version"], "binutils")
}

fn ldd_available() -> bool {
    tool_available("ldd", &["--version"], "libc-bin")
}

/// What the pkg-config consumer tests need: pkg-config, a C compiler,
/// binutils and ldd to inspect the consumer, and cargo-c to install.
fn pkg_config_consumer_tools_available() -> bool {
    pkg_config_available()
        && c_compiler_available()
        && binutils_available()
        && ldd_available()
        && cargo_c_available()
}

/// The install `prefix` (`full_prefix` or `static_prefix`) for a
/// pkg-config consumer to build against, or `None` (the test is skipped)
/// without the consumer tools.
fn consumer_prefix(prefix: fn() -> &'static Path) -> Option<&'static Path> {
    pkg_config_consumer_tools_available().then(prefix)
}

fn assert_same_file(installed: &Path, source: &str) {
    let installed_bytes = std::fs::read(installed)
        .unwrap_or_else(|e| panic!("{} was not installed: {e}", installed.display()));
    assert!(
        installed_bytes == std::fs::read(repo_root().join(source)).unwrap(),
        "{} differs from {source}",
        installed.display()
    );
}

#[test]
fn cinstall_lays_out_a_system_library() {
    if !(pkg_config_available() && binutils_available() && cargo_c_available()) {
        return;
    }
    let prefix = full_prefix();
    let lib = libdir(prefix);

    // The shared library: a versioned file, its soname, the dev symlink.
    let soname = expected_soname();
    assert_eq!(
        dynamic_entries(&lib.join("libuiza.so"), "SONAME"),
        std::slice::from_ref(&soname)
    );
    assert!(lib.join(&soname).exists(), "{soname} missing");
    assert!(
        std::fs::symlink_metadata(lib.join("libuiza.so"))
            .unwrap()
            .file_type()
            .is_symlink(),
        "lib/libuiza.so must be the development symlink"
    );
    support::consumer::assert_exports_only_the_c_api(&lib.join("libuiza.so"));

    assert!(lib.join("libuiza.a").is_file(), "libuiza.a missing");
    assert_same_file(&prefix.join("include/uiza.h"), "include/uiza.h");
    assert_same_file(&prefix.join("include/uiza.hpp"), "include/uiza.hpp");
    let cmake_dir = prefix.join("share/cmake/uiza");
    assert_same_file(
        &cmake_dir.join("uizaConfig.cmake"),
        "cmake/uizaConfig.cmake",
    );
    assert_same_file(
        &cmake_dir.join("uizaConfigVersion.cmake"),
        "cmake/uizaConfigVersion.cmake",
    );

    assert_eq!(
        pkg_config(prefix, &["--modversion"]),
        [env!("CARGO_PKG_VERSION")]
    );
    let cmake_version = std::fs::read_to_string(cmake_dir.join("uizaConfigVersion.cmake"))
        .unwrap()
        .lines()
        .find_map(|l| {
            l.strip_prefix("set(PACKAGE_VERSION \"")?
                .strip_suffix("\")")
        })
        .map(str::to_owned);
    assert_eq!(
        cmake_version.as_deref(),
        Some(env!("CARGO_PKG_VERSION")),
        "cmake/uizaConfigVersion.cmake must carry Cargo.toml's version"
    );
}

#[test]
fn pkg_config_shared_consumer_runs_against_the_sandbox() {
    let Some(prefix) = consumer_prefix(full_prefix) else {
        return;
    };
    let mut flags = pkg_config(prefix, &["--cflags", "--libs"]);
    // pkg-config gives no run-time path; a consumer outside the system
    // library path adds one (or sets LD_LIBRARY_PATH).
    let lib = libdir(prefix);
    flags.push(format!("-Wl,-rpath,{}", lib.display()));
    let bin = build_c_example("reset_stream_key_shared", &flags);

    assert!(
        dynamic_entries(&bin, "NEEDED").contains(&expected_soname()),
        "the consumer must record the soname, not the dev symlink"
    );
    let resolved = resolved_libuiza(&bin).expect("the consumer needs libuiza");
    assert!(
        resolved.contains(&lib.display().to_string()),
        "libuiza must come from the install prefix: {resolved}"
    );

    assert_example_prints_current_key(&bin, &sandbox());
}

#[test]
fn pkg_config_static_consumer_needs_no_libuiza_so() {
    let Some(prefix) = consumer_prefix(static_prefix) else {
        return;
    };
    assert!(
        !libdir(prefix).join("libuiza.so").exists(),
        "--library-type staticlib must install no shared library"
    );
    let flags = pkg_config(prefix, &["--static", "--cflags", "--libs"]);
    let bin = build_c_example("reset_stream_key_static", &flags);

    let needed = dynamic_entries(&bin, "NEEDED");
    assert!(
        !needed.iter().any(|n| n.contains("libuiza")),
        "a static consumer must not need libuiza.so: {needed:?}"
    );
    assert_eq!(resolved_libuiza(&bin), None);

    assert_example_prints_current_key(&bin, &sandbox());
}

/// `-l` flags from a line, in order.
fn link_flags(line: &str) -> Vec<String> {
    line.split_whitespace()
        .filter(|w| w.starts_with("-l"))
        .map(str::to_owned)
        .collect()
}

/// What rustc says static linking needs (`--print native-static-libs`).
fn rustc_native_static_libs() -> Vec<String> {
    let out = run_ok(
        cargo()
            .args([
                "rustc",
                "--lib",
                "--package",
                "uiza",
                "--crate-type",
                "staticlib",
            ])
            .arg("--manifest-path")
            .arg(repo_root().join("Cargo.toml"))
            // Shares the dependencies cargo cinstall built.
            .arg("--target-dir")
            .arg(target_root().join("cinstall"))
            .args(["--target", &host_triple()])
            .args(["--", "--print", "native-static-libs"]),
    );
    let stderr = &out.stderr;
    let line = stderr
        .lines()
        .find_map(|l| l.split_once("native-static-libs:").map(|(_, libs)| libs))
        .unwrap_or_else(|| panic!("no native-static-libs note in:\n{stderr}"));
    link_flags(line)
}

/// The list docs/install.md gives: the first line after the marker
/// `<!-- native-static-libs -->` that is not a code fence.
fn readme_static_libs() -> Vec<String> {
    let readme = std::fs::read_to_string(repo_root().join("docs/install.md")).unwrap();
    let line = readme
        .lines()
        .skip_while(|l| !l.contains("<!-- native-static-libs -->"))
        .skip(1)
        .find(|l| !l.trim_start().starts_with("```"))
        .expect("docs/install.md must list the static libraries after <!-- native-static-libs -->");
    link_flags(line)
}

#[test]
fn readme_lists_the_system_libraries_static_linking_needs() {
    if !cargo_c_available() {
        return;
    }
    let rustc = rustc_native_static_libs();
    assert!(rustc.contains(&"-lc".to_owned()), "{rustc:?}");

    // What the installed uiza.pc tells `pkg-config --static`.
    let pc = std::fs::read_to_string(libdir(full_prefix()).join("pkgconfig/uiza.pc")).unwrap();
    let private = pc
        .lines()
        .find_map(|l| l.strip_prefix("Libs.private:"))
        .expect("uiza.pc has Libs.private");
    assert_eq!(link_flags(private), rustc, "uiza.pc Libs.private");

    // What the CMake package links a static uiza::uiza with.
    let config = std::fs::read_to_string(repo_root().join("cmake/uizaConfig.cmake")).unwrap();
    let cmake: Vec<String> = config
        .lines()
        .find_map(|l| l.trim().strip_prefix("set(_uiza_static_system_libs "))
        .and_then(|l| l.strip_suffix(')'))
        .expect("cmake/uizaConfig.cmake sets _uiza_static_system_libs")
        .split_whitespace()
        .map(|l| format!("-l{l}"))
        .collect();
    assert_eq!(
        cmake, rustc,
        "cmake/uizaConfig.cmake _uiza_static_system_libs"
    );

    assert_eq!(
        readme_static_libs(),
        rustc,
        "docs/install.md's list differs from `cargo rustc --lib --crate-type staticlib \
         -- --print native-static-libs`"
    );
}

/// Configures and builds examples/cmake against `prefix` in a fresh build
/// dir; returns the build dir.
fn cmake_build(prefix: &Path, name: &str) -> PathBuf {
    let build = work_dir("cmake").join(name);
    let _ = std::fs::remove_dir_all(&build);
    run_ok(
        Command::new("cmake")
            .arg("-S")
            .arg(repo_root().join("examples/cmake"))
            .arg("-B")
            .arg(&build)
            .arg(format!("-DCMAKE_PREFIX_PATH={}", prefix.display()))
            // Only the prefix may provide uiza, not a system-wide install.
            .arg("-DCMAKE_FIND_USE_CMAKE_SYSTEM_PATH=OFF"),
    );
    run_ok(Command::new("cmake").arg("--build").arg(&build));
    build
}

#[test]
fn cmake_consumers_find_the_installed_package() {
    // The CMake project builds the C and the C++ example.
    if !(tool_available("cmake", &["--version"], "cmake")
        && c_compiler_available()
        && support::consumer::cxx_available()
        && ldd_available()
        && cargo_c_available())
    {
        return;
    }
    let sb = sandbox();

    let build = cmake_build(full_prefix(), "shared");
    for bin in ["reset_stream_key", "reset_stream_key_cpp"] {
        let bin = build.join(bin);
        let resolved = resolved_libuiza(&bin).expect("linked to libuiza.so");
        assert!(
            resolved.contains(&libdir(full_prefix()).display().to_string()),
            "{resolved}"
        );
        assert_example_prints_current_key(&bin, &sb);
    }

    // The same package over a static-only prefix gives a static uiza::uiza.
    let build = cmake_build(static_prefix(), "static");
    let bin = build.join("reset_stream_key");
    assert_eq!(resolved_libuiza(&bin), None, "static consumer needs no .so");
    assert_example_prints_current_key(&bin, &sb);
}
