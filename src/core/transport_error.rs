//! Turns the HTTP stack's errors into statuses and messages.
//!
//! Every variant of `ureq::Error` and every `io::ErrorKind` a transport can
//! produce maps to a documented status; `UIZA_STATUS_INTERNAL` is kept for
//! the library's own bugs. The messages are built from the error's kind and
//! the stack's own text, which never includes request headers, so the API
//! key (and a proxy's credentials) cannot appear.

use std::io;
use std::time::Duration;

use ureq::http::StatusCode;

use super::error::Error;
use super::socks_connect::SOCKS_REFUSAL;
use super::status::UizaStatus;

/// A failed exchange, classified.
#[derive(Debug)]
pub struct TransportFailure {
    pub error: Error,
    /// Another attempt may succeed (a network hiccup, not a refusal).
    pub retryable: bool,
    /// The request certainly never reached the server: the failure came
    /// before a byte of it was written (name lookup, connect, proxy tunnel,
    /// TLS handshake, an unusable URL). Anything else may have been
    /// received and acted on.
    pub unsent: bool,
}

impl TransportFailure {
    fn new(error: Error, unsent: bool) -> TransportFailure {
        // Only connection trouble is worth another try.
        let retryable = error.status == UizaStatus::ConnectionFailed;
        TransportFailure {
            error,
            retryable,
            unsent,
        }
    }
}

/// Classifies a failed exchange; `budget` is the call's whole time budget.
pub fn classify(err: ureq::Error, budget: Duration) -> TransportFailure {
    use UizaStatus as S;
    let sent =
        |status, message: String| TransportFailure::new(Error::client(status, message), false);
    let unsent =
        |status, message: String| TransportFailure::new(Error::client(status, message), true);
    match err {
        ureq::Error::Timeout(_) => TransportFailure::new(budget_exhausted(budget), false),
        ureq::Error::Io(e) => classify_io(e, budget),
        ureq::Error::HostNotFound => unsent(
            S::ConnectionFailed,
            "could not resolve the API host name".into(),
        ),
        ureq::Error::ConnectionFailed => {
            unsent(S::ConnectionFailed, "could not connect to the API".into())
        }
        ureq::Error::ConnectProxyFailed(reason) => proxy_refused(&reason),
        ureq::Error::InvalidProxyUrl => unsent(
            S::ConnectionFailed,
            "the proxy URL (HTTPS_PROXY, HTTP_PROXY or ALL_PROXY) is invalid".into(),
        ),
        ureq::Error::Tls(what) => unsent(S::TlsFailed, format!("TLS failed: {what}")),
        ureq::Error::Rustls(e) => TransportFailure::new(tls_failed(&e), true),
        ureq::Error::Pem(_) => unsent(S::TlsFailed, "TLS failed: bad PEM data".into()),
        ureq::Error::TlsRequired => unsent(
            S::TlsFailed,
            "TLS failed: the connection to an https:// URL was not encrypted".into(),
        ),
        ureq::Error::Protocol(e) => sent(
            S::InvalidResponse,
            format!("the server's answer is not valid HTTP/1.1: {e}"),
        ),
        ureq::Error::LargeResponseHeader(_, limit) => sent(
            S::ResponseTooLarge,
            format!("the response header is larger than {limit} bytes; reading stopped"),
        ),
        ureq::Error::BodyExceedsLimit(limit) => sent(
            S::ResponseTooLarge,
            format!("the response body is larger than {limit} bytes; reading stopped"),
        ),
        ureq::Error::BodyStalled => sent(
            S::ConnectionFailed,
            "the server stopped sending the response".into(),
        ),
        // Redirects are never followed (the API key must not reach another
        // host), so ureq only raises these if that setting is lost.
        ureq::Error::RedirectFailed | ureq::Error::TooManyRedirects => sent(
            S::UnexpectedStatus,
            "the API answered with a redirect, which is not followed".into(),
        ),
        // Statuses are read by the library, never raised by ureq
        // (`http_status_as_error(false)`); mapped for completeness.
        ureq::Error::StatusCode(code) => TransportFailure::new(
            Error::client(S::from_http(code), format!("the API answered HTTP {code}"))
                .with_http_status(code),
            false,
        ),
        // The URL is built from a validated base URL and id; these mean the
        // combination is still unusable to the HTTP stack.
        ureq::Error::BadUri(why) => unsent(
            S::InvalidArgument,
            format!("the request URL is not usable: {why}"),
        ),
        ureq::Error::Http(e) => unsent(
            S::InvalidArgument,
            format!("the request could not be built: {e}"),
        ),
        ureq::Error::RequireHttpsOnly(_) => unsent(
            S::InvalidArgument,
            "the base URL must be https:// here".into(),
        ),
        // Only bespoke transports raise `Other`; it is a transport failure
        // whose phase is unknown. Later ureq variants land here too.
        ureq::Error::Other(e) => sent(S::ConnectionFailed, format!("network error: {e}")),
        other => sent(S::ConnectionFailed, format!("HTTP client error: {other}")),
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

/// A proxy that would not open the tunnel. ureq's reason reads "proxy
/// server responded 407/407" or "proxy server did not respond"; it never
/// holds the proxy's credentials.
fn proxy_refused(reason: &str) -> TransportFailure {
    if let Some(detail) = reason.strip_prefix(SOCKS_REFUSAL) {
        return socks_refused(detail);
    }
    let code = reason
        .strip_prefix("proxy server responded ")
        .and_then(|rest| rest.get(..3))
        .and_then(|digits| digits.parse::<u16>().ok());
    let Some(code) = code else {
        return TransportFailure::new(
            Error::client(
                UizaStatus::ConnectionFailed,
                "the proxy did not answer the tunnel (CONNECT) request",
            ),
            true,
        );
    };
    let phrase = StatusCode::from_u16(code)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("unknown status");
    let hint = if code == 407 {
        "; give its credentials in the proxy URL (http://user:password@host:port)"
    } else {
        ""
    };
    // A 4xx refusal is deliberate (such as 407); asking again changes
    // nothing. A 5xx may be the proxy's passing trouble.
    proxy_refusal(
        format!("the proxy refused the tunnel (CONNECT) with HTTP {code} {phrase}{hint}"),
        !(400..500).contains(&code),
    )
}

/// A proxy said no: the request never reached the API.
fn proxy_refusal(message: String, retryable: bool) -> TransportFailure {
    let mut failure =
        TransportFailure::new(Error::client(UizaStatus::ConnectionFailed, message), true);
    failure.retryable = retryable;
    failure
}

/// A SOCKS proxy's refusal, in ureq's words (fixed texts that never hold
/// the credentials). A refused login or a rule is deliberate, as is a
/// proxy that does not speak SOCKS; only a proxy that could not reach the
/// API this time is worth asking again.
fn socks_refused(detail: &str) -> TransportFailure {
    const PASSING: [&str; 5] = [
        "general SOCKS server failure",
        "network unreachable",
        "host unreachable",
        "connection refused",
        "TTL expired",
    ];
    let hint = if detail.contains("auth") {
        "; give its credentials in the proxy URL (socks5h://user:password@host:port)"
    } else {
        ""
    };
    proxy_refusal(
        format!("the SOCKS proxy refused the connection: {detail}{hint}"),
        PASSING.contains(&detail),
    )
}

/// A failed handshake or certificate check, however rustls's error
/// reached us (directly from ureq, or inside an I/O error of the
/// library's own TLS connector).
fn tls_failed(e: &rustls::Error) -> Error {
    Error::client(
        UizaStatus::TlsFailed,
        format!("TLS failed: {e}{}", tls_hint(e)),
    )
}

/// What the user can do about the commonest TLS failure. rustls names it
/// `UnknownIssuer` both when the server leaves out its intermediate
/// certificate and when its CA is simply not trusted here, and the
/// library fetches no missing certificates, so the message says both.
fn tls_hint(e: &rustls::Error) -> &'static str {
    match e {
        rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer) => {
            " (the server's certificate does not lead to a trusted CA: the server \
             may not send its intermediate certificate, or its CA is not trusted \
             here; a CA file with that CA or intermediate makes it trusted)"
        }
        _ => "",
    }
}

fn classify_io(e: io::Error, budget: Duration) -> TransportFailure {
    use io::ErrorKind as K;
    use UizaStatus as S;
    if let Some(tls) = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
        return TransportFailure::new(tls_failed(tls), true);
    }
    let (status, message, unsent): (_, String, _) = match e.kind() {
        K::TimedOut | K::WouldBlock => {
            return TransportFailure::new(budget_exhausted(budget), false)
        }
        K::ConnectionRefused => (
            S::ConnectionFailed,
            "the connection was refused".into(),
            true,
        ),
        K::HostUnreachable | K::NetworkUnreachable | K::NetworkDown => (
            S::ConnectionFailed,
            format!("the API host is unreachable: {e}"),
            true,
        ),
        K::AddrNotAvailable | K::AddrInUse => (
            S::ConnectionFailed,
            format!("no local address to connect from: {e}"),
            true,
        ),
        K::PermissionDenied => (
            S::ConnectionFailed,
            format!("the system did not permit the connection: {e}"),
            true,
        ),
        K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe | K::NotConnected => (
            S::ConnectionFailed,
            "the connection was reset by the server".into(),
            false,
        ),
        K::UnexpectedEof => (
            S::ConnectionFailed,
            "the server closed the connection before the response was complete".into(),
            false,
        ),
        K::InvalidData => (
            S::InvalidResponse,
            format!("the server sent data that could not be decoded: {e}"),
            false,
        ),
        _ => (S::ConnectionFailed, format!("network error: {e}"), false),
    };
    TransportFailure::new(Error::client(status, message), unsent)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BUDGET: Duration = Duration::from_millis(1500);

    fn io(kind: io::ErrorKind) -> ureq::Error {
        ureq::Error::Io(io::Error::new(kind, "boom"))
    }

    /// (error, status, retryable, unsent, a word the message must hold)
    fn cases() -> Vec<(ureq::Error, UizaStatus, bool, bool, &'static str)> {
        use io::ErrorKind as K;
        use UizaStatus as S;
        let http_error = ureq::http::Request::builder()
            .header("bad\nname", "x")
            .body(())
            .unwrap_err();
        #[rustfmt::skip]
        let cases = vec![
            (ureq::Error::StatusCode(503), S::ServerError, false, false, "503"),
            (ureq::Error::Http(http_error), S::InvalidArgument, false, true, "built"),
            (ureq::Error::BadUri("x".into()), S::InvalidArgument, false, true, "URL"),
            (ureq::Error::Timeout(ureq::Timeout::Global), S::Timeout, false, false, "1500 ms"),
            (ureq::Error::HostNotFound, S::ConnectionFailed, true, true, "resolve"),
            (ureq::Error::RedirectFailed, S::UnexpectedStatus, false, false, "redirect"),
            (ureq::Error::TooManyRedirects, S::UnexpectedStatus, false, false, "redirect"),
            (ureq::Error::InvalidProxyUrl, S::ConnectionFailed, true, true, "proxy URL"),
            (ureq::Error::ConnectionFailed, S::ConnectionFailed, true, true, "connect"),
            (ureq::Error::BodyExceedsLimit(10), S::ResponseTooLarge, false, false, "10 bytes"),
            (ureq::Error::Tls("nope"), S::TlsFailed, false, true, "nope"),
            (ureq::Error::Pem(rustls::pki_types::pem::Error::MissingSectionEnd { end_marker: vec![], }), S::TlsFailed, false, true, "PEM"),
            (ureq::Error::Rustls(rustls::Error::General("bad".into())), S::TlsFailed, false, true, "bad"),
            (ureq::Error::RequireHttpsOnly("u".into()), S::InvalidArgument, false, true, "https"),
            (ureq::Error::LargeResponseHeader(128_000, 65_536), S::ResponseTooLarge, false, false, "header is larger than 65536"),
            (ureq::Error::ConnectProxyFailed("proxy server responded 407/407".into()), S::ConnectionFailed, false, true, "HTTP 407 Proxy Authentication Required"),
            (ureq::Error::ConnectProxyFailed("proxy server responded 502/502".into()), S::ConnectionFailed, true, true, "HTTP 502 Bad Gateway"),
            (ureq::Error::ConnectProxyFailed("proxy server did not respond".into()), S::ConnectionFailed, true, true, "did not answer"),
            (ureq::Error::ConnectProxyFailed(format!("{SOCKS_REFUSAL}password authentication failed")), S::ConnectionFailed, false, true, "socks5h://user:password@"),
            (ureq::Error::ConnectProxyFailed(format!("{SOCKS_REFUSAL}connection not allowed by ruleset")), S::ConnectionFailed, false, true, "SOCKS proxy refused the connection: connection not allowed by ruleset"),
            (ureq::Error::ConnectProxyFailed(format!("{SOCKS_REFUSAL}host unreachable")), S::ConnectionFailed, true, true, "host unreachable"),
            (ureq::Error::TlsRequired, S::TlsFailed, false, true, "not encrypted"),
            (ureq::Error::Other(Box::new(io::Error::other("x"))), S::ConnectionFailed, true, false, "network"),
            (ureq::Error::BodyStalled, S::ConnectionFailed, true, false, "stopped"),
            (io(K::TimedOut), S::Timeout, false, false, "budget"),
            (io(K::WouldBlock), S::Timeout, false, false, "budget"),
            (io(K::ConnectionRefused), S::ConnectionFailed, true, true, "refused"),
            (io(K::HostUnreachable), S::ConnectionFailed, true, true, "unreachable"),
            (io(K::NetworkUnreachable), S::ConnectionFailed, true, true, "unreachable"),
            (io(K::NetworkDown), S::ConnectionFailed, true, true, "unreachable"),
            (io(K::AddrNotAvailable), S::ConnectionFailed, true, true, "local address"),
            (io(K::AddrInUse), S::ConnectionFailed, true, true, "local address"),
            (io(K::PermissionDenied), S::ConnectionFailed, true, true, "permit"),
            (io(K::ConnectionReset), S::ConnectionFailed, true, false, "reset"),
            (io(K::ConnectionAborted), S::ConnectionFailed, true, false, "reset"),
            (io(K::BrokenPipe), S::ConnectionFailed, true, false, "reset"),
            (io(K::NotConnected), S::ConnectionFailed, true, false, "reset"),
            (io(K::UnexpectedEof), S::ConnectionFailed, true, false, "closed"),
            (io(K::InvalidData), S::InvalidResponse, false, false, "decoded"),
            (io(K::Interrupted), S::ConnectionFailed, true, false, "network"),
            (io(K::OutOfMemory), S::ConnectionFailed, true, false, "network"),
            (io(K::Other), S::ConnectionFailed, true, false, "network"),
            (ureq::Error::Io(io::Error::new(K::InvalidData, rustls::Error::InvalidCertificate(rustls::CertificateError::Expired))), S::TlsFailed, false, true, "expired"),
        ];
        cases
    }

    #[test]
    fn every_variant_has_a_documented_status() {
        for (err, status, retryable, unsent, word) in cases() {
            let what = format!("{err:?}");
            let f = classify(err, BUDGET);
            assert_eq!(f.error.status, status, "{what}");
            assert_ne!(f.error.status, UizaStatus::Internal, "{what}");
            assert_eq!(f.retryable, retryable, "retryable: {what}");
            assert_eq!(f.unsent, unsent, "unsent: {what}");
            assert!(
                f.error
                    .message
                    .to_lowercase()
                    .contains(&word.to_lowercase()),
                "{what}: {}",
                f.error.message
            );
        }
    }
}
