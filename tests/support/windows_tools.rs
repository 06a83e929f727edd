//! Tools that only some machines have (the mingw-w64 cross compiler, wine)
//! for tests that are skipped without them, with one line that says so.
//! `UIZA_TEST_REQUIRE_ALL=1` turns the skip into a failure, so that a
//! machine meant to run everything (CI) cannot pass by skipping.

use std::io::Write;
use std::process::{Command, Stdio};

/// True if `tool probe_args...` runs and succeeds. Otherwise prints one
/// line to stderr, `SKIP <test>: <tool> not found (Debian package <pkg>);
/// test skipped`, and returns false; with `UIZA_TEST_REQUIRE_ALL=1` it
/// panics with the same test, tool and package instead.
pub fn have_tool(tool: &str, probe_args: &[&str], debian_package: &str) -> bool {
    let runs = Command::new(tool)
        .args(probe_args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !runs {
        skip(&format!(
            "{tool} not found (Debian package {debian_package})"
        ));
    }
    runs
}

/// True if rustup has installed the standard library for `target`;
/// otherwise skips like [`have_tool`], naming the rustup command.
pub fn have_rust_target(target: &str) -> bool {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let installed = Command::new(rustc)
        .args(["--print", "target-libdir", "--target", target])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| std::fs::read_dir(String::from_utf8_lossy(&o.stdout).trim()).ok())
        .is_some_and(|mut dir| {
            dir.any(|e| e.is_ok_and(|e| e.file_name().to_string_lossy().starts_with("libstd-")))
        });
    if !installed {
        skip(&format!(
            "Rust target {target} not found (rustup target add {target})"
        ));
    }
    installed
}

/// The test harness names each test's thread after the test.
fn skip(why: &str) {
    let test = std::thread::current().name().map_or_else(
        || "test".to_owned(),
        |n| n.rsplit("::").next().unwrap_or(n).to_owned(),
    );
    if std::env::var("UIZA_TEST_REQUIRE_ALL").is_ok_and(|v| v == "1") {
        panic!("{test}: {why}; UIZA_TEST_REQUIRE_ALL=1 forbids skipping it");
    }
    // Straight to the stream, past the harness's output capture, so the
    // line shows in a passing run too.
    let _ = writeln!(std::io::stderr().lock(), "SKIP {test}: {why}; test skipped");
}
