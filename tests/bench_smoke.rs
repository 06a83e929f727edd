//! Smoke run of the libuiza-vs-libcurl benchmark (`benches/run.sh --quick`,
//! a few dozen calls per case, twice, against a private nginx), so that the
//! benchmark cannot rot. It asserts that the benchmark runs, prints its
//! whole table and that both clients negotiated the same TLS parameters;
//! never a time: timings on a shared CI machine prove nothing.

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
            .env("UIZA_LIB_DIR", lib_dir())
            // --quick's own 2 runs, so that every ratio has a range.
            .env_remove("BENCH_RUNS"),
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
    // Every measured row has its ten cells filled, and the ratio of a
    // compared row gives the median and the range of the runs.
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
