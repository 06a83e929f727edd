//! C++ consumers: include/uiza.h compiles cleanly as C++17, and the
//! header-only wrapper include/uiza.hpp works end to end through the C++
//! example (g++, linked to the freshly built libuiza.so, run against the
//! sandbox).

mod support;

use std::path::{Path, PathBuf};

use support::*;
use uiza::UizaStatus;

/// Compiled once per test process: tests run in parallel threads and must
/// not write the same binary at the same time.
fn cpp_example() -> PathBuf {
    static BIN: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BIN.get_or_init(|| {
        support::consumer::compile_cpp(
            "reset_stream_key",
            &[Path::new("examples/cpp/reset_stream_key.cpp")],
            &[],
        )
    })
    .clone()
}

/// A translation unit that includes both headers and uses every kind of
/// declaration, so that warnings in inline code are reported.
const INCLUDE_BOTH_CPP: &str = r#"#include "uiza.h"
#include "uiza.h" /* the include guard must hold */
#include "uiza.hpp"
#include "uiza.hpp"

static_assert(UIZA_VERSION_MAJOR >= 0, "version macros usable in C++");

int main() {
    UizaStatus s = UIZA_STATUS_OK;
    const char *text = uiza_status_str(s);
    uiza::Error e(UIZA_STATUS_NOT_FOUND, 404, "m", "t");
    return (text != nullptr && e.http_status() == 404 && uiza::version() == uiza_version()) ? 0 : 1;
}
"#;

#[test]
fn headers_compile_as_strict_cpp17() {
    if !support::consumer::cxx_available() {
        return;
    }
    let source = write_temp_file("include_both.cpp", INCLUDE_BOTH_CPP);
    // Stricter than the brief's -Wall -Wextra: consumers compile with
    // their own flags and a header must not break any common set.
    let bin = support::consumer::compile_cpp(
        "include_both",
        &[&source],
        &[
            "-Wpedantic",
            "-Wshadow",
            "-Wconversion",
            "-Wsign-conversion",
            "-Wold-style-cast",
            "-Wnon-virtual-dtor",
        ],
    );
    support::consumer::run_ok(&mut std::process::Command::new(bin));
}

#[test]
fn cpp_example_prints_the_new_key() {
    if !support::consumer::cxx_available() {
        return;
    }
    let sb = sandbox();
    let before = sb.entity(SEED_ENTITY_ID).unwrap()["ingest"]["key"].clone();
    let out = support::consumer::run_example(&cpp_example(), &sb, SEED_ENTITY_ID);
    support::consumer::assert_printed_current_key(&out, &sb);
    assert_ne!(
        sb.entity(SEED_ENTITY_ID).unwrap()["ingest"]["key"],
        before,
        "the key must have been rotated"
    );
}

#[test]
fn cpp_example_reports_a_404_as_uiza_error() {
    if !support::consumer::cxx_available() {
        return;
    }
    let sb = sandbox();
    let id = "no-such-entity";
    // What the server says about this id, through the C API directly.
    let expected = TestClient::for_sandbox(&sb).reset(id);
    assert_eq!(expected.status, UizaStatus::NotFound);

    let out = support::consumer::run_example(&cpp_example(), &sb, id);
    let stderr = &out.stderr;
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    let line = format!(
        "reset_stream_key: not found (HTTP 404): {} [status={} error_type={} http_status=404]\n",
        expected.message(),
        UizaStatus::NotFound as i32,
        expected.error_type()
    );
    assert_eq!(*stderr, line);
}

#[test]
fn cpp_example_rejects_bad_configuration_before_any_request() {
    if !support::consumer::cxx_available() {
        return;
    }
    let sb = sandbox();
    let bin = cpp_example();
    // An API key with a space: uiza::Client's constructor throws.
    let out = support::tools::run_checked(
        std::process::Command::new(&bin)
            .arg(SEED_ENTITY_ID)
            .env("UIZA_API_KEY", "wrong-key-must-not-leak with space")
            .env("UIZA_BASE_URL", sb.base_url()),
    );
    let stderr = &out.stderr;
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("invalid API key") && stderr.contains("[status=1 "),
        "{stderr}"
    );

    // A base URL that is not http(s): set_base_url throws.
    let out = support::tools::run_checked(
        std::process::Command::new(&bin)
            .arg(SEED_ENTITY_ID)
            .env("UIZA_API_KEY", DEFAULT_API_KEY)
            .env("UIZA_BASE_URL", "ftp://example.com"),
    );
    let stderr = &out.stderr;
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("invalid base URL"), "{stderr}");
    assert_eq!(sb.stats().api_requests, 0, "no request may be sent");
}

#[test]
fn cpp_example_reports_a_timeout_without_http_status() {
    if !support::consumer::cxx_available() {
        return;
    }
    let bin = cpp_example(); // compiled before the clock starts
    let sb = sandbox();
    sb.push_fault(fault(r#"{"kind":"delay","ms":10000}"#));
    let started = std::time::Instant::now();
    let out = support::tools::run_checked(
        std::process::Command::new(bin)
            .arg(SEED_ENTITY_ID)
            .env("UIZA_API_KEY", DEFAULT_API_KEY)
            .env("UIZA_BASE_URL", sb.base_url())
            .env("UIZA_TIMEOUT_MS", "300"),
    );
    let stderr = &out.stderr;
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "[status={} error_type=timeout http_status=-1]",
            UizaStatus::Timeout as i32
        )),
        "{stderr}"
    );
    // The 300 ms budget, not the 10 s delay or the client's 30 s, ended
    // the call (generous margin: the machine may be loaded).
    let elapsed = started.elapsed();
    assert!(elapsed < std::time::Duration::from_secs(6), "{elapsed:?}");
}
