//! The Python binding (bindings/python/uiza.py, ctypes): its unittest suite
//! loads the freshly built libuiza.so and runs against an HTTP and an HTTPS
//! sandbox: resets, exactly-once rotation, reads, cancel tokens, the
//! asyncio awaitables and their cancellation, `UizaError.rotated`, the
//! library's log lines in the `logging` logger "uiza" (levels, order, off,
//! worker threads, nothing at import), `attempts` and `elapsed_ms`, the
//! library's own messages in refusals, the order in which the library is
//! looked for (`ctypes.util.find_library` replaced by a stand-in), and a
//! check that every function of include/uiza.h is bound.

mod support;

use std::process::Command;
use std::time::Duration;

use support::bindings::Sandboxes;
use support::c_build::{lib_dir, repo_root};
use support::tools::{run, tool_available};

/// The tests bindings/python/test_uiza.py defines (`def test_...`): each
/// must be reported as passed, so a test that is not collected, skipped or
/// renamed cannot go unnoticed.
fn python_tests() -> Vec<String> {
    let source = std::fs::read_to_string(repo_root().join("bindings/python/test_uiza.py"))
        .expect("read test_uiza.py");
    let names: Vec<String> = source
        .lines()
        .map(|l| l.trim_start())
        .filter_map(|l| {
            l.strip_prefix("async ")
                .unwrap_or(l)
                .strip_prefix("def test_")
        })
        .filter_map(|rest| rest.split('(').next())
        .map(|name| format!("test_{name}"))
        .collect();
    assert!(!names.is_empty(), "no test found in test_uiza.py");
    names
}

#[test]
fn python_unittests_pass_against_the_sandbox() {
    if !tool_available("python3", &["--version"], "python3") {
        return;
    }
    let sandboxes = Sandboxes::start();
    let mut cmd = Command::new("python3");
    cmd.args(["-m", "unittest", "-v"])
        .current_dir(repo_root().join("bindings/python"))
        .env("UIZA_LIBRARY", lib_dir().join("libuiza.so"))
        // Keep __pycache__ out of the source tree.
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env_remove("UIZA_BASE_URL");
    sandboxes.apply(&mut cmd);
    let done = run(&mut cmd, Duration::from_secs(300));
    done.assert_success("python3 -m unittest");

    // unittest reports on stderr: "Ran N tests in ...", then "OK".
    let out = done.output();
    let ran: usize = out
        .lines()
        .find_map(|l| l.strip_prefix("Ran ")?.split(' ').next()?.parse().ok())
        .unwrap_or_else(|| panic!("no \"Ran N tests\" line:\n{out}"));
    let tests = python_tests();
    assert_eq!(ran, tests.len(), "tests collected:\n{out}");
    for name in &tests {
        // unittest -v: "test_x (module.Class.test_x) ... ok"
        assert!(
            out.lines()
                .any(|l| l.starts_with(&format!("{name} (")) && l.ends_with("... ok")),
            "{name} did not pass:\n{out}"
        );
    }
    assert!(
        out.lines().any(|l| l == "OK"),
        "no plain OK (skips or expected failures?):\n{out}"
    );
    assert!(
        sandboxes.tls.stats().resets >= 1,
        "no reset went over HTTPS"
    );
}
