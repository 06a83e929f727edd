//! include/module.modulemap makes libuiza the clang module `Uiza`, which is
//! what Swift's `import Uiza` loads. No Swift toolchain is needed to prove
//! it: clang imports the same module from Objective-C (`@import Uiza;`),
//! and the program is linked to libuiza.so and run against the sandbox.

mod support;

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use support::bindings::Sandboxes;
use support::c_build::{lib_dir, link_flags, repo_root};
use support::tools::{run, tool_available};

/// Compiles bindings/swift/module_check.m with clang modules on, finding
/// the module map with `module_flags`, into target/<profile>/c/<name>.
fn build(name: &str, module_flags: &[String]) -> PathBuf {
    let root = repo_root();
    let lib = lib_dir();
    let out = lib.join("c").join(name);
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    let mut cmd = Command::new("clang");
    cmd.args([
        "-x",
        "objective-c",
        "-fmodules",
        "-Wall",
        "-Wextra",
        "-Werror",
    ])
    // A cache per build: the two builds run in parallel.
    .arg(format!(
        "-fmodules-cache-path={}",
        lib.join("clang-modules").join(name).display()
    ))
    .args(module_flags)
    .arg(root.join("bindings/swift/module_check.m"))
    .arg("-o")
    .arg(&out)
    .args(link_flags(&lib));
    run(&mut cmd, Duration::from_secs(300)).assert_success("clang");
    out
}

/// Whether clang is there (the test is skipped otherwise).
fn clang_available() -> bool {
    tool_available("clang", &["--version"], "clang")
}

fn run_against_sandbox(program: PathBuf) {
    let sandboxes = Sandboxes::start();
    let mut cmd = Command::new(program);
    sandboxes.apply(&mut cmd);
    let done = run(&mut cmd, Duration::from_secs(120));
    done.assert_success("module_check");
    assert!(
        done.stdout.contains("module Uiza ") && done.stdout.contains("all checks passed"),
        "{}",
        done.output()
    );
    assert_eq!(sandboxes.http.stats().resets, 1);
}

/// `-I include` alone, as given to swiftc: the module map is discovered.
#[test]
fn module_is_found_on_the_include_path() {
    if !clang_available() {
        return;
    }
    let include = format!("-I{}", repo_root().join("include").display());
    run_against_sandbox(build("swift_module_implicit", &[include]));
}

/// The module map named explicitly, with no include path at all.
#[test]
fn module_map_file_works_on_its_own() {
    if !clang_available() {
        return;
    }
    let map = format!(
        "-fmodule-map-file={}",
        repo_root().join("include/module.modulemap").display()
    );
    run_against_sandbox(build("swift_module_explicit", &[map]));
}
