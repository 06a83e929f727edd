//! One stderr line per request, off by default so in-process test runs stay
//! quiet; the binary turns it on. Only method, path, status and fault are
//! printed: never header values, so API keys cannot leak into logs.

use std::sync::atomic::{AtomicBool, Ordering};

use hyper::{Method, StatusCode};

static ENABLED: AtomicBool = AtomicBool::new(false);

/// Turns the per-request stderr log on or off for the whole process.
pub fn set_request_logging(enabled: bool) {
    ENABLED.store(enabled, Ordering::Relaxed);
}

/// `UIZA_SANDBOX_LOG=1` turns logging on for in-process sandboxes too,
/// for debugging a failing test.
pub(crate) fn enable_from_env() {
    if std::env::var_os("UIZA_SANDBOX_LOG").is_some_and(|v| !v.is_empty() && v != "0") {
        set_request_logging(true);
    }
}

pub(crate) fn request(
    method: &Method,
    raw_path: &str,
    status: Option<StatusCode>,
    fault: Option<&str>,
) {
    if !ENABLED.load(Ordering::Relaxed) {
        return;
    }
    let status = status.map_or_else(|| "dropped".to_owned(), |s| s.as_u16().to_string());
    match fault {
        Some(fault) => eprintln!("uiza-sandbox: {method} {raw_path} {status} (fault: {fault})"),
        None => eprintln!("uiza-sandbox: {method} {raw_path} {status}"),
    }
}
