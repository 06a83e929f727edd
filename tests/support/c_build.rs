//! Compiles C programs against include/uiza.h and the freshly built
//! libuiza, with the system C compiler (`$CC`, else `cc`).
//!
//! Shared by the integration tests and by `examples/demo.rs`.

use std::path::{Path, PathBuf};
use std::process::Command;

/// `target/<profile>`. Test binaries live in `target/<profile>/deps`,
/// examples in `target/<profile>/examples`.
pub fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    exe.parent()
        .and_then(Path::parent)
        .expect("binary is inside target/<profile>/<dir>")
        .to_path_buf()
}

/// The folder holding the libuiza.so that this very test or example was
/// built with. Cargo always writes it to `deps/`; it copies it up to
/// `target/<profile>/` only for `cargo build`, so that copy may be stale or
/// missing under `cargo test`.
pub fn lib_dir() -> PathBuf {
    profile_dir().join("deps")
}

/// The linker flags that bind a test program to the libuiza in `lib_dir`.
///
/// The run-time path is an old-style DT_RPATH (`--disable-new-dtags`), not
/// a RUNPATH: `cargo test` sets `LD_LIBRARY_PATH` to include
/// `target/<profile>`, where a stale libuiza.so from an earlier
/// `cargo build` may sit, and only DT_RPATH is searched before it.
pub fn link_flags(lib_dir: &Path) -> [String; 3] {
    [
        format!("-L{}", lib_dir.display()),
        "-luiza".to_owned(),
        format!("-Wl,--disable-new-dtags,-rpath,{}", lib_dir.display()),
    ]
}

/// The C compiler: `$CC`, else `cc`.
pub fn c_compiler() -> String {
    std::env::var("CC").unwrap_or_else(|_| "cc".to_owned())
}

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Compiles `sources` (paths relative to the repository) into
/// `target/<profile>/c/<name>`, linked to the shared libuiza (see [`link_flags`]),
/// warnings as errors. Panics with the compiler's output on failure.
pub fn compile_c(name: &str, sources: &[&str], extra_flags: &[&str]) -> PathBuf {
    let root = repo_root();
    let lib_dir = lib_dir();
    assert!(
        lib_dir.join("libuiza.so").exists(),
        "{} has no libuiza.so; build the crate first",
        lib_dir.display()
    );
    let out_dir = profile_dir().join("c");
    std::fs::create_dir_all(&out_dir).expect("create target/<profile>/c");
    let out = out_dir.join(name);
    let cc = c_compiler();
    let mut cmd = Command::new(&cc);
    cmd.args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-g"])
        .arg("-I")
        .arg(root.join("include"))
        .args(sources.iter().map(|s| root.join(s)))
        .args(extra_flags)
        .arg("-o")
        .arg(&out)
        .args(link_flags(&lib_dir));
    let output = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cc}: {e}"));
    assert!(
        output.status.success(),
        "{cc} failed for {name}:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    out
}
