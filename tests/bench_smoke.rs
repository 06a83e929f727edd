//! Smoke runs of the benchmarks, so that they cannot rot: the
//! libuiza-vs-libcurl one (`benches/run.sh --quick`, a few dozen calls per
//! case, twice, against a private nginx) and the log-overhead one
//! (`benches/log_overhead.sh --quick`, against uiza-sandbox). They assert
//! that each runs and prints its whole table, and that both clients of the
//! first negotiated the same TLS parameters; never a time: timings on a
//! shared CI machine prove nothing.

mod support;

use std::process::Command;

use support::c_build::{lib_dir, repo_root};
use support::tools::{c_compiler_available, run_checked, tool_available};

/// A row label of every case, in the order `benches/run.sh` prints them.
const ROWS: &[&str] = &[
    "TLS, libcurl as OpenSSL reports it",
    "TLS, libcurl as nginx logged it",
    "TLS, libuiza as nginx logged it",
    "TLS parameters identical for both clients: yes",
    "| case (A vs B) | A median | A p99 | A calls/s |",
    "| warm keep-alive HTTP: uiza client vs curl easy |",
    "| warm keep-alive HTTPS: uiza client vs curl easy |",
    "| warm keep-alive HTTP, host name localhost:",
    "| warm keep-alive HTTPS, host name localhost:",
    "| new connection per call HTTPS",
    "| cold process HTTPS, main→key: uiza vs curl |",
    "| cold process HTTPS, main→key: uiza vs curl, exec→exit",
    "| peak RSS of that one-call process",
    "| cold process HTTPS, host name localhost, main→key:",
    "| 8 threads HTTPS:",
    "| 8 threads HTTP:",
    "| one-shot uiza_reset_stream_key vs uiza client call, HTTP",
    "| one-shot vs client call, HTTPS",
    "| async rotation vs blocking rotation, warm HTTP:",
    "| async rotation vs blocking rotation, warm HTTPS:",
    "| rotate (current_key given) vs reset, warm HTTP:",
    "| rotate (current_key given) vs reset, warm HTTPS:",
    "| floor: wrk -c1 -t1, HTTP |",
    "| floor: wrk -c1 -t1, HTTPS |",
    "stripped libuiza.so: ",
    "TLS, every connection nginx accepted in this run: ",
];

/// The value after ": " of the first line that starts with `prefix`.
fn line_value<'a>(stdout: &'a str, prefix: &str) -> &'a str {
    let line = stdout
        .lines()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no line starting with {prefix:?}:\n{stdout}"));
    let (_, value) = line
        .rsplit_once(": ")
        .unwrap_or_else(|| panic!("no value in {line:?}"));
    value
}

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

/// Runs `benches/<script> --quick` with `envs` (and --quick's own 2 runs,
/// so that every ratio has a range) and returns its stdout once it has
/// checked that the run succeeded, that `rows` appear in that order, and
/// that every row has its ten cells filled, a known verdict and, when it
/// compares, the median and the range of the runs' ratios.
fn run_quick(script: &str, envs: &[(&str, &std::path::Path)], rows: &[&str]) -> String {
    let mut cmd = Command::new("bash");
    cmd.arg(repo_root().join("benches").join(script))
        .arg("--quick")
        .env_remove("BENCH_RUNS");
    for (name, value) in envs {
        cmd.env(name, value);
    }
    let out = run_checked(&mut cmd);
    let (stdout, stderr) = (&out.stdout, &out.stderr);
    assert!(
        out.status.success(),
        "benches/{script} --quick failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    let mut rest: &str = stdout;
    for row in rows {
        let at = rest
            .find(row)
            .unwrap_or_else(|| panic!("the table lacks {row:?} (in order):\n{stdout}"));
        rest = &rest[at + row.len()..];
    }
    for line in stdout.lines().filter(|l| l.starts_with("| ")) {
        assert_eq!(line.matches(" | ").count(), 9, "malformed row: {line}");
        assert!(!line.contains("|  |"), "empty cell: {line}");
        let cells: Vec<&str> = line.split(" | ").collect();
        let verdict = cells[9].trim_end_matches(" |");
        assert!(
            ["met", "met in the median", "**no**", "-"].contains(&verdict),
            "odd verdict {verdict:?}: {line}"
        );
        if !line.starts_with("| floor:") && !line.starts_with("| case ") {
            assert!(
                cells[7].contains(" (") && cells[7].contains('–'),
                "no range of runs in the ratio: {line}"
            );
        }
    }
    out.stdout
}

#[test]
fn benchmark_runs_and_prints_its_table() {
    if !tools_available() {
        return;
    }
    // The libuiza.so this test was built with; the full benchmark builds
    // and measures the release one instead.
    let stdout = &run_quick("run.sh", &[("UIZA_LIB_DIR", &lib_dir())], ROWS);
    // Like is compared with like: the same TLS version, cipher suite and
    // group for both clients, on every connection of the run.
    let pinned = "TLSv1.3 TLS_AES_128_GCM_SHA256 X25519";
    for who in [
        "TLS, libcurl as OpenSSL reports it",
        "TLS, libcurl as nginx logged it",
        "TLS, libuiza as nginx logged it",
    ] {
        assert_eq!(line_value(stdout, who), pinned, "{who}:\n{stdout}");
    }
    let all = line_value(stdout, "TLS, every connection nginx accepted");
    assert!(
        all.ends_with(&format!(" × {pinned}")) && !all.contains(';'),
        "connections with other TLS parameters: {all}"
    );
}

/// The rows of `benches/log_overhead.sh`, in order.
const LOG_ROWS: &[&str] = &[
    "| case (A vs B) | A median | A p99 | A calls/s |",
    "| warm reset HTTP, logging off: this libuiza vs v0.2.0 |",
    "| warm reset HTTPS, logging off: this libuiza vs v0.2.0 |",
    "| warm reset HTTP, logging on at INFO into a no-op callback: this libuiza vs v0.2.0 (info; 2.0 log lines per call) |",
    "| warm reset HTTPS, logging on at INFO into a no-op callback: this libuiza vs v0.2.0 (info; 2.0 log lines per call) |",
    "| warm reset HTTP, logging on at DEBUG into a no-op callback:",
    "| warm reset HTTPS, logging on at DEBUG into a no-op callback:",
    "log overhead table done",
];

/// `benches/log_overhead.sh --quick` with the library of this test as both
/// sides (building the v0.2.0 tag in release would take minutes) and a
/// debug uiza-sandbox: it proves the script, the two-libraries-in-one-
/// process loading and the rows, never a time.
#[test]
fn log_overhead_benchmark_runs_and_prints_its_table() {
    if !c_compiler_available()
        || !tool_available("git", &["--version"], "git")
        || !tool_available("bash", &[], "bash")
    {
        return;
    }
    run_checked(Command::new(env!("CARGO")).current_dir(repo_root()).args([
        "build",
        "--quiet",
        "-p",
        "uiza-sandbox",
        "--bin",
        "uiza-sandbox",
    ]));
    let sandbox = support::c_build::profile_dir().join("uiza-sandbox");
    let lib = lib_dir();
    run_quick(
        "log_overhead.sh",
        &[
            ("UIZA_LIB_DIR", &lib),
            ("UIZA_BASE_LIB_DIR", &lib),
            ("UIZA_SANDBOX_BIN", &sandbox),
        ],
        LOG_ROWS,
    );
}
