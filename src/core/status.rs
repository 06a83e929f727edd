//! The status codes every exported function returns.
//!
//! The numeric values are part of the ABI: programs in other languages are
//! compiled against them, so a value is never renumbered or reused.

use std::ffi::CStr;

/// The outcome of a call.
///
/// The values are stable: new statuses may be added at the end, existing
/// ones are never renumbered. Use `uiza_status_str()` to get a static,
/// human-readable name for any value.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UizaStatus {
    /// Success.
    Ok = 0,
    /// A NULL, empty, non-UTF-8 or otherwise forbidden argument, or a CA file
    /// that cannot be read. No request was sent.
    InvalidArgument = 1,
    /// The API answered HTTP 400.
    BadRequest = 2,
    /// The API answered HTTP 401 or 403: the API key was not accepted.
    Unauthorized = 3,
    /// The API answered HTTP 404: no live entity has that id.
    NotFound = 4,
    /// The API answered HTTP 429, and the retries were used up.
    RateLimited = 5,
    /// The API answered HTTP 5xx, and the retries were used up.
    ServerError = 6,
    /// Any other HTTP status, 3xx included (redirects are never followed).
    UnexpectedStatus = 7,
    /// The call's time budget (see `uiza_client_set_timeout_ms()`) ran out.
    Timeout = 8,
    /// DNS failure; a refused, unreachable, reset or truncated connection;
    /// or a proxy that refused the tunnel, its HTTP status in the message
    /// (a 4xx refusal such as 407 is not retried).
    ConnectionFailed = 9,
    /// The TLS handshake or the certificate verification failed.
    TlsFailed = 10,
    /// An answer that is not valid HTTP/1.1 (a malformed status line,
    /// headers or chunking), or a 2xx body that is not a JSON live entity
    /// with a string `ingest.key`.
    InvalidResponse = 11,
    /// The response header was larger than 64 KiB, or the body larger than
    /// the cap (1 MiB); it was not read further.
    ResponseTooLarge = 12,
    /// A bug inside the library, such as a caught panic; never caused by a
    /// peer. The host process is never brought down; the call simply failed.
    Internal = 13,
    /// The call was cancelled through its cancel token (or its client was
    /// freed), and the key was not changed by it. A call that did change the
    /// key never reports this status.
    Cancelled = 14,
}

impl UizaStatus {
    /// Every status, in numeric order. (A function rather than an
    /// associated const, which cbindgen would copy into the header.)
    pub const fn all() -> [UizaStatus; 15] {
        [
            UizaStatus::Ok,
            UizaStatus::InvalidArgument,
            UizaStatus::BadRequest,
            UizaStatus::Unauthorized,
            UizaStatus::NotFound,
            UizaStatus::RateLimited,
            UizaStatus::ServerError,
            UizaStatus::UnexpectedStatus,
            UizaStatus::Timeout,
            UizaStatus::ConnectionFailed,
            UizaStatus::TlsFailed,
            UizaStatus::InvalidResponse,
            UizaStatus::ResponseTooLarge,
            UizaStatus::Internal,
            UizaStatus::Cancelled,
        ]
    }

    /// Looks up a raw integer; `None` for values that are not a status.
    /// Callers from C may pass anything, so this never assumes validity.
    pub fn from_i32(value: i32) -> Option<UizaStatus> {
        usize::try_from(value)
            .ok()
            .and_then(|i| Self::all().get(i).copied())
    }

    /// The `error_type` written into the error document for client-side
    /// failures. API errors carry the server's own `error_type` instead.
    pub fn error_type(self) -> &'static str {
        match self {
            UizaStatus::Ok => "ok",
            UizaStatus::InvalidArgument => "invalid_argument",
            UizaStatus::BadRequest
            | UizaStatus::Unauthorized
            | UizaStatus::NotFound
            | UizaStatus::RateLimited
            | UizaStatus::ServerError
            | UizaStatus::UnexpectedStatus => "http_error",
            UizaStatus::Timeout => "timeout",
            UizaStatus::ConnectionFailed => "connection_error",
            UizaStatus::TlsFailed => "tls_error",
            UizaStatus::InvalidResponse => "invalid_response",
            UizaStatus::ResponseTooLarge => "response_too_large",
            UizaStatus::Internal => "internal_error",
            UizaStatus::Cancelled => "cancelled",
        }
    }

    /// A short human-readable description, such as "not found (HTTP
    /// 404)": what `uiza_status_str` returns and log lines show.
    pub fn description(self) -> &'static CStr {
        use UizaStatus as S;
        match self {
            S::Ok => c"ok",
            S::InvalidArgument => c"invalid argument",
            S::BadRequest => c"bad request (HTTP 400)",
            S::Unauthorized => c"unauthorized (HTTP 401/403)",
            S::NotFound => c"not found (HTTP 404)",
            S::RateLimited => c"rate limited (HTTP 429)",
            S::ServerError => c"server error (HTTP 5xx)",
            S::UnexpectedStatus => c"unexpected HTTP status",
            S::Timeout => c"timed out",
            S::ConnectionFailed => c"connection failed",
            S::TlsFailed => c"TLS handshake or certificate verification failed",
            S::InvalidResponse => c"invalid response",
            S::ResponseTooLarge => c"response too large",
            S::Internal => c"internal error",
            S::Cancelled => c"cancelled",
        }
    }

    /// [`UizaStatus::description`] as Rust text, for log lines.
    pub fn describe(self) -> &'static str {
        self.description().to_str().unwrap_or("unknown status")
    }

    /// The status an HTTP status code maps to once retries are used up.
    pub fn from_http(code: u16) -> UizaStatus {
        match code {
            200..=299 => UizaStatus::Ok,
            400 => UizaStatus::BadRequest,
            401 | 403 => UizaStatus::Unauthorized,
            404 => UizaStatus::NotFound,
            429 => UizaStatus::RateLimited,
            500..=599 => UizaStatus::ServerError,
            _ => UizaStatus::UnexpectedStatus,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_the_abi_numbers() {
        for (i, s) in UizaStatus::all().iter().enumerate() {
            assert_eq!(*s as i32, i as i32);
            assert_eq!(UizaStatus::from_i32(i as i32), Some(*s));
        }
        assert_eq!(UizaStatus::from_i32(-1), None);
        assert_eq!(UizaStatus::from_i32(15), None);
        assert_eq!(UizaStatus::Internal as i32, 13);
        assert_eq!(UizaStatus::Cancelled as i32, 14);
    }

    #[test]
    fn http_mapping() {
        assert_eq!(UizaStatus::from_http(200), UizaStatus::Ok);
        assert_eq!(UizaStatus::from_http(400), UizaStatus::BadRequest);
        assert_eq!(UizaStatus::from_http(401), UizaStatus::Unauthorized);
        assert_eq!(UizaStatus::from_http(403), UizaStatus::Unauthorized);
        assert_eq!(UizaStatus::from_http(404), UizaStatus::NotFound);
        assert_eq!(UizaStatus::from_http(429), UizaStatus::RateLimited);
        assert_eq!(UizaStatus::from_http(503), UizaStatus::ServerError);
        assert_eq!(UizaStatus::from_http(302), UizaStatus::UnexpectedStatus);
        assert_eq!(UizaStatus::from_http(418), UizaStatus::UnexpectedStatus);
    }
}
