//! Tool checks for the live tests (OBS, nginx-rtmp, ffmpeg, Xvfb).
//!
//! A missing tool skips the test: one line on stderr,
//! `SKIP tests/<file>.rs::<test>: <tool> not found (Debian package <pkg>); test skipped`,
//! and the check returns false so that the test returns. With
//! `UIZA_TEST_REQUIRE_ALL=1` a missing tool fails the test instead.

use std::ffi::OsStr;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// Set to 1 to make a missing tool fail its test instead of skipping it.
pub const REQUIRE_ALL_ENV: &str = "UIZA_TEST_REQUIRE_ALL";

/// Whether `tool probe_args...` runs and exits with 0; if not, reports
/// `tool` as missing (see [`missing`]) and returns false.
pub fn have_tool(tool: &str, probe_args: &[&str], debian_package: &str) -> bool {
    let runs = Command::new(tool)
        .args(probe_args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    runs || missing(tool, debian_package)
}

/// Whether the file or folder `path` exists; if not, reports it missing.
pub fn have_path(path: &str, debian_package: &str) -> bool {
    Path::new(path).exists() || missing(path, debian_package)
}

/// Whether pkg-config knows `module`; if not, reports `<module>.pc` missing.
pub fn have_pkg_config(module: &str, debian_package: &str) -> bool {
    have_tool("pkg-config", &["--version"], "pkg-config")
        && (Command::new("pkg-config")
            .args(["--exists", module])
            .status()
            .is_ok_and(|s| s.success())
            || missing(&format!("{module}.pc (pkg-config)"), debian_package))
}

/// Reports `what` missing: one `SKIP` line on stderr and false, or, under
/// `UIZA_TEST_REQUIRE_ALL=1`, a panic with the same information.
pub fn missing(what: &str, debian_package: &str) -> bool {
    let test = current_test();
    if std::env::var_os(REQUIRE_ALL_ENV).is_some_and(|v| !v.is_empty() && v != "0") {
        panic!(
            "{test}: {what} not found (Debian package {debian_package}); \
             {REQUIRE_ALL_ENV}=1 forbids skipping the test"
        );
    }
    // Straight to the process's stderr: libtest captures eprintln! of a
    // passing test, and this line is meant to be seen.
    let line =
        format!("SKIP {test}: {what} not found (Debian package {debian_package}); test skipped\n");
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
    false
}

/// `tests/<file>.rs::<test>`: the file from this test binary's name
/// (`<file>-<hash>`), the test from the thread libtest runs it on.
fn current_test() -> String {
    let exe = std::env::current_exe().unwrap_or_default();
    let stem = exe.file_stem().and_then(OsStr::to_str).unwrap_or("?");
    let file = stem.rsplit_once('-').map_or(stem, |(name, _hash)| name);
    match std::thread::current().name() {
        Some(test) if test != "main" => format!("tests/{file}.rs::{test}"),
        _ => format!("tests/{file}.rs"),
    }
}
