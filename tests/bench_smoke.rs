//! Smoke run of the libuiza-vs-libcurl benchmark (`benches/run.sh --quick`,
//! a few hundred calls per case against a private nginx), so that the
//! benchmark cannot rot. It asserts that the benchmark runs and prints its
//! whole table, never a time: timings on a shared CI machine prove nothing.

mod support;

use std::process::Command;

use support::c_build::{lib_dir, repo_root};
use support::tools::{c_compiler_available, run_checked, tool_available};

/// A row label of every case, in the order `benches/run.sh` prints them.
const ROWS: &[&str] = &[
    "| case (A vs B) | A median | A p99 | A calls/s |",
    "| warm keep-alive HTTP:",
    "| warm keep-alive HTTPS:",
    "| new connection per call HTTPS",
    "| cold process HTTPS, main→key:",
    "| peak RSS of that one-call process",
    "| 8 threads HTTPS:",
    "| 8 threads HTTP:",
    "| one-shot uiza_reset_stream_key vs uiza client call, HTTP",
    "| one-shot vs client call, HTTPS",
    "| floor: wrk -c1 -t1, HTTP |",
    "| floor: wrk -c1 -t1, HTTPS |",
    "stripped libuiza.so: ",
];

/// What benches/run.sh needs besides bash (its own check, which exits
/// with 3, lists the same).
fn tools_available() -> bool {
    tool_available("nginx", &["-v"], "nginx")
        && tool_available("wrk", &[], "wrk")
        && tool_available("curl-config", &["--version"], "libcurl4-openssl-dev")
        && tool_available("openssl", &["version"], "openssl")
        && tool_available("strip", &["--version"], "binutils")
        && tool_available("python3", &["--version"], "python3")
        && c_compiler_available()
}

#[test]
fn benchmark_runs_and_prints_its_table() {
    if !tools_available() {
        return;
    }
    let script = repo_root().join("benches/run.sh");
    let out = run_checked(
        Command::new("bash")
            .arg(&script)
            .arg("--quick")
            // The libuiza.so this test was built with; the full benchmark
            // builds and measures the release one instead.
            .env("UIZA_LIB_DIR", lib_dir()),
    );
    let (stdout, stderr) = (&out.stdout, &out.stderr);
    assert!(
        out.status.success(),
        "benches/run.sh --quick failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    let mut rest: &str = stdout;
    for row in ROWS {
        let at = rest
            .find(row)
            .unwrap_or_else(|| panic!("the table lacks {row:?} (in order):\n{stdout}"));
        rest = &rest[at + row.len()..];
    }
    // Every measured row has its ten cells filled.
    for line in stdout.lines().filter(|l| l.starts_with("| ")) {
        assert_eq!(line.matches(" | ").count(), 9, "malformed row: {line}");
        assert!(!line.contains("|  |"), "empty cell: {line}");
    }
}
