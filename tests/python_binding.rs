//! The Python binding (bindings/python/uiza.py, ctypes): its unittest suite
//! loads the freshly built libuiza.so and runs against an HTTP and an HTTPS
//! sandbox.

mod support;

use std::process::Command;
use std::time::Duration;

use support::bindings::{run, Sandboxes};
use support::c_build::{lib_dir, repo_root};
use support::tools::tool_available;

/// How many tests bindings/python/test_uiza.py holds: fewer means some
/// were not collected.
const PYTHON_TESTS: usize = 12;

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
    assert_eq!(ran, PYTHON_TESTS, "tests collected:\n{out}");
    assert!(
        out.lines().any(|l| l == "OK"),
        "no plain OK (skips or expected failures?):\n{out}"
    );
    assert!(
        sandboxes.tls.stats().resets >= 1,
        "no reset went over HTTPS"
    );
}
