//! External tools the tests drive (compilers, go, cmake, valgrind, ...):
//! a missing one fails the test with an install hint, never skips it, and
//! every program run has its output checked for leaked secrets.

use std::ffi::OsStr;
use std::process::{Command, Output, Stdio};

use super::SECRETS;

/// Panics, naming the tool and who installs it, unless `tool` runs.
pub fn require_tool(tool: &str, version_args: &[&str]) {
    let ok = Command::new(tool)
        .args(version_args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        missing_tool(tool);
    }
}

/// The failure for a tool that is not there.
pub fn missing_tool(tool: &str) -> ! {
    panic!(
        "`{tool}` is not installed or does not run; this test requires it. \
         `.ci/run` installs it (see .ci/install.d/), or install it by hand"
    )
}

/// `program arg arg ...`, for messages.
pub fn describe(cmd: &Command) -> String {
    let args: Vec<_> = cmd.get_args().map(OsStr::to_string_lossy).collect();
    format!("{} {}", cmd.get_program().to_string_lossy(), args.join(" "))
}

/// Panics if a secret appears in `text`; `what` says where it came from.
pub fn assert_no_secret(what: &str, text: &str) {
    for secret in SECRETS {
        assert!(
            !text.contains(secret),
            "an API key leaked into {what}:\n{text}"
        );
    }
}

/// Runs `cmd` to completion, checks its output for secrets, returns it.
pub fn run_checked(cmd: &mut Command) -> Output {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run `{}`: {e}", describe(cmd)));
    assert_no_secret("stdout", &String::from_utf8_lossy(&out.stdout));
    assert_no_secret("stderr", &String::from_utf8_lossy(&out.stderr));
    out
}
