//! C programs compiled with the system C compiler against include/uiza.h,
//! linked to the built libuiza.so, and run against the sandbox.

mod support;

use std::process::Command;

use support::c_build::compile_c;
use support::tools::{c_compiler_available, run_checked as run};
use support::*;

/// A sandbox for a test that runs a C program, or `None` (the test is
/// skipped) without a C compiler.
fn c_sandbox() -> Option<Sandbox> {
    c_compiler_available().then(sandbox)
}

/// Compiled once per test process: tests run in parallel threads and must
/// not write the same binary at the same time.
fn example() -> std::path::PathBuf {
    static BIN: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    BIN.get_or_init(|| compile_c("reset_stream_key", &["examples/c/reset_stream_key.c"], &[]))
        .clone()
}

#[test]
fn abi_test_passes_against_the_sandbox() {
    let Some(sb) = c_sandbox() else {
        return;
    };
    let bin = compile_c("abi_test", &["tests/c/abi_test.c"], &["-pthread"]);
    let out = run(Command::new(bin)
        .env("UIZA_BASE_URL", sb.base_url())
        .env("UIZA_API_KEY", DEFAULT_API_KEY)
        .env("UIZA_ENTITY_ID", SEED_ENTITY_ID));
    let stdout = &out.stdout;
    assert!(out.status.success(), "{stdout}{}", out.stderr);
    assert!(stdout.contains(" passed, 0 failed"), "{stdout}");
    assert!(sb.stats().resets >= 2 + 16 * 8);
}

#[test]
fn example_prints_the_new_key_over_http_and_https() {
    if !c_compiler_available() {
        return;
    }
    for sb in [sandbox(), tls_sandbox()] {
        let mut cmd = Command::new(example());
        cmd.arg(SEED_ENTITY_ID)
            .env("UIZA_API_KEY", DEFAULT_API_KEY)
            .env("UIZA_BASE_URL", sb.base_url());
        if let Some(pem) = sb.ca_pem() {
            cmd.env("UIZA_CA_FILE", write_temp_file("example-ca.pem", pem));
        }
        let out = run(&mut cmd);
        let stdout = &out.stdout;
        assert!(out.status.success(), "{stdout}{}", out.stderr);
        let entity = sb.entity(SEED_ENTITY_ID).unwrap();
        let key = entity["ingest"]["key"].as_str().unwrap();
        let url = entity["ingest"]["url"].as_str().unwrap();
        assert!(
            stdout.contains(&format!("ingest key:  {key}\n")),
            "{stdout}"
        );
        assert!(
            stdout.contains(&format!("ingest url:  {url}\n")),
            "{stdout}"
        );
    }
}

#[test]
fn example_explains_failures() {
    let Some(sb) = c_sandbox() else {
        return;
    };
    let out = run(Command::new(example())
        .arg("no-such-entity")
        .env("UIZA_API_KEY", DEFAULT_API_KEY)
        .env("UIZA_BASE_URL", sb.base_url()));
    assert_eq!(out.status.code(), Some(1));
    let stderr = out.stderr;
    assert!(
        stderr.contains("The live entity you requested does not exist.")
            && stderr.contains("HTTP 404"),
        "{stderr}"
    );

    let out = run(Command::new(example())
        .arg(SEED_ENTITY_ID)
        .env_remove("UIZA_API_KEY"));
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stderr.contains("UIZA_API_KEY"));

    let out = run(&mut Command::new(example()));
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stderr.contains("usage"));

    let tls = tls_sandbox();
    let out = run(Command::new(example())
        .arg(SEED_ENTITY_ID)
        .env("UIZA_API_KEY", DEFAULT_API_KEY)
        .env("UIZA_BASE_URL", tls.base_url())
        .env_remove("UIZA_CA_FILE"));
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stderr.contains("tls_error"));
}

/// `UIZA_EXAMPLE_LOG=debug` prints the library's log on stderr (the switch
/// docs/debugging.md's log was captured with): an exactly-once rotation
/// whose PUT is applied and then dropped logs the read-back and its
/// verdict, and neither the API key nor a whole stream key. Without the
/// switch stderr stays empty; a level it does not know is a usage error.
#[test]
fn example_log_switch_shows_the_read_back_of_a_rotation() {
    if !c_compiler_available() {
        return;
    }
    let sb = tls_sandbox();
    let ca = write_temp_file("example-log-ca.pem", sb.ca_pem().unwrap());
    let before = sb.current_key(SEED_ENTITY_ID).unwrap();
    sb.push_fault(fault(r#"{"kind":"apply_then_drop","method":"PUT"}"#));
    let rotate = |log: Option<&str>| {
        let mut cmd = Command::new(example());
        cmd.args(["--exactly-once", SEED_ENTITY_ID])
            .env("UIZA_API_KEY", DEFAULT_API_KEY)
            .env("UIZA_BASE_URL", sb.base_url())
            .env("UIZA_CA_FILE", &ca)
            .env_remove("UIZA_EXAMPLE_LOG");
        if let Some(level) = log {
            cmd.env("UIZA_EXAMPLE_LOG", level);
        }
        run(&mut cmd)
    };
    let out = rotate(Some("debug"));
    let (stdout, stderr) = (&out.stdout, &out.stderr);
    assert!(out.status.success(), "{stdout}{stderr}");
    let key = sb.current_key(SEED_ENTITY_ID).unwrap();
    assert_ne!(key, before);
    assert!(
        stdout.contains(&format!("ingest key:  {key}\n")),
        "{stdout}"
    );
    // One rotation, found by the read-back: the PUT was not sent again.
    assert_eq!(sb.rotations(SEED_ENTITY_ID), 1);
    for line in [
        "[info] rotation of live entity ",
        "[debug] reading the entity first, for the key the rotation replaces",
        "[debug] name lookup: none needed, 127.0.0.1:",
        "[debug] TLS with 127.0.0.1: TLSv1_3, ",
        "[warn] the PUT's outcome is unknown (",
        "[info] read-back verdict: the key changed, so the rotation happened; no retry",
        "[info] rotation succeeded after 3 attempt(s) in ",
        "; ingest key live_…",
    ] {
        assert!(stderr.contains(line), "no {line:?} in:\n{stderr}");
    }
    tools::assert_no_secret("the example's log", stderr);
    for secret in [&before, &key] {
        assert!(
            !stderr.contains(secret.as_str()),
            "a stream key in:\n{stderr}"
        );
    }

    let quiet = rotate(None);
    assert!(quiet.status.success(), "{}", quiet.stderr);
    assert_eq!(quiet.stderr, "");
    let wrong = rotate(Some("verbose"));
    assert_eq!(wrong.status.code(), Some(2));
    assert!(
        wrong.stderr.contains("UIZA_EXAMPLE_LOG"),
        "{}",
        wrong.stderr
    );
}

/// ureq looks a host up on every call, on a new thread when a timeout is
/// set; the library answers IP literals itself and caches host names, so a
/// host process sees no thread per call (and, under LeakSanitizer, no
/// half-exited thread's state; the fuzzer found that one).
#[test]
fn calls_create_no_thread_per_call() {
    let Some(sb) = c_sandbox() else {
        return;
    };
    let bin = compile_c("thread_count", &["tests/c/thread_count.c"], &["-ldl"]);
    let threads = |base_url: &str| {
        let out = run(Command::new(&bin).args([base_url, DEFAULT_API_KEY, SEED_ENTITY_ID, "5"]));
        let stdout = &out.stdout;
        assert!(out.status.success(), "{stdout}{}", out.stderr);
        stdout
            .strip_prefix("threads created: ")
            .and_then(|n| n.trim().parse::<u32>().ok())
            .unwrap_or_else(|| panic!("{stdout}"))
    };
    let port = sb.addr().port();
    assert_eq!(threads(sb.base_url()), 0, "IP literal {}", sb.base_url());
    // One lookup for five calls: the first, on ureq's resolver thread.
    assert_eq!(threads(&format!("http://localhost:{port}")), 1);
}
