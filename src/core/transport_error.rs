//! Turns the HTTP stack's errors into statuses and messages.
//!
//! The messages are built from the error's kind and the stack's own text,
//! which never includes request headers, so the API key cannot appear.

use std::io;
use std::time::Duration;

use super::error::Error;
use super::status::UizaStatus;

/// Classifies a failed exchange; `budget` is the call's whole time budget.
pub fn classify(err: ureq::Error, budget: Duration) -> Error {
    use UizaStatus as S;
    let timeout = || budget_exhausted(budget);
    match err {
        ureq::Error::Timeout(_) => timeout(),
        ureq::Error::HostNotFound => {
            Error::client(S::ConnectionFailed, "could not resolve the API host name")
        }
        ureq::Error::ConnectionFailed => {
            Error::client(S::ConnectionFailed, "could not connect to the API")
        }
        ureq::Error::Io(e) => classify_io(e, timeout),
        ureq::Error::Protocol(e) => Error::client(
            S::ConnectionFailed,
            format!("the server broke the HTTP protocol: {e}"),
        ),
        ureq::Error::BodyExceedsLimit(limit) => Error::client(
            S::ResponseTooLarge,
            format!("the response body is larger than {limit} bytes; reading stopped"),
        ),
        ureq::Error::Tls(what) => Error::client(S::TlsFailed, format!("TLS failed: {what}")),
        ureq::Error::Rustls(e) => Error::client(S::TlsFailed, format!("TLS failed: {e}")),
        ureq::Error::Pem(_) => Error::client(S::TlsFailed, "TLS failed: bad PEM data"),
        other => Error::internal(format!("unexpected HTTP client error: {other}")),
    }
}

/// The TIMEOUT error, naming the budget so users know which knob to turn.
pub fn budget_exhausted(budget: Duration) -> Error {
    Error::client(
        UizaStatus::Timeout,
        format!(
            "the call's time budget of {} ms ran out",
            budget.as_millis()
        ),
    )
}

fn classify_io(e: io::Error, timeout: impl Fn() -> Error) -> Error {
    use io::ErrorKind as K;
    if let Some(tls) = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
        return Error::client(UizaStatus::TlsFailed, format!("TLS failed: {tls}"));
    }
    match e.kind() {
        K::TimedOut | K::WouldBlock => timeout(),
        K::ConnectionRefused => {
            Error::client(UizaStatus::ConnectionFailed, "the connection was refused")
        }
        K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe | K::NotConnected => {
            Error::client(
                UizaStatus::ConnectionFailed,
                "the connection was reset by the server",
            )
        }
        K::UnexpectedEof => Error::client(
            UizaStatus::ConnectionFailed,
            "the server closed the connection before the response was complete",
        ),
        _ => Error::client(UizaStatus::ConnectionFailed, format!("network error: {e}")),
    }
}
