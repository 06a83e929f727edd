//! The one error type of the safe core, and the JSON error document that
//! the C ABI hands back through `out_json`.
//!
//! Every message here is written by the library or copied verbatim from the
//! API's own error body; none is ever built from the API key.

use std::fmt;

use serde::{Deserialize, Serialize, Serializer};

use super::status::UizaStatus;

/// A failed call: the status, plus what a person needs to act on it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Error {
    #[serde(skip)]
    pub status: UizaStatus,
    pub message: String,
    pub error_type: String,
    pub http_status: Option<u16>,
    /// Only in the error documents of calls that reset a key.
    #[serde(skip_serializing_if = "Rotated::is_not_applicable")]
    pub rotated: Rotated,
    /// How many HTTP exchanges the call began, one whose connection or TLS
    /// handshake failed included (0: it never tried to connect). Only in
    /// the error documents of calls.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempts: Option<u32>,
    /// How long the call ran, in milliseconds, queueing for a worker
    /// included. Only in the error documents of calls.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub elapsed_ms: Option<u64>,
}

/// What a failed reset or rotation did to the key, as `"rotated"` says it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Rotated {
    /// Not a call that resets a key: no `"rotated"` field.
    #[default]
    NotApplicable,
    /// `false`: the key is certainly unchanged by this call.
    No,
    /// `null`: the key may have changed; read the entity before trusting
    /// the key you hold.
    Unknown,
}

impl Rotated {
    fn is_not_applicable(&self) -> bool {
        *self == Rotated::NotApplicable
    }
}

impl Serialize for Rotated {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Rotated::No => s.serialize_bool(false),
            Rotated::NotApplicable | Rotated::Unknown => s.serialize_none(),
        }
    }
}

/// An error document as `out_json` carries it, read back by C callers
/// through `uiza_error_parse`.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct ErrorDocument {
    pub message: String,
    pub error_type: String,
    #[serde(default)]
    pub http_status: Option<u16>,
}

impl ErrorDocument {
    pub fn parse(json: &[u8]) -> Result<ErrorDocument, Error> {
        serde_json::from_slice(json).map_err(|_| {
            Error::invalid_argument(
                "not an error document: expected {\"message\",\"error_type\",\"http_status\"}",
            )
        })
    }
}

/// The body the Uiza API sends with 4xx/5xx responses.
#[derive(Deserialize)]
struct ApiErrorBody {
    message: String,
    error_type: String,
}

impl Error {
    /// A failure detected on the client side (bad input, network, TLS, ...).
    pub fn client(status: UizaStatus, message: impl Into<String>) -> Error {
        Error {
            status,
            message: message.into(),
            error_type: status.error_type().to_owned(),
            http_status: None,
            rotated: Rotated::NotApplicable,
            attempts: None,
            elapsed_ms: None,
        }
    }

    pub fn invalid_argument(message: impl Into<String>) -> Error {
        Error::client(UizaStatus::InvalidArgument, message)
    }

    pub fn internal(message: impl Into<String>) -> Error {
        Error::client(UizaStatus::Internal, message)
    }

    /// Records what the failed call did to the key.
    pub fn with_rotated(mut self, rotated: Rotated) -> Error {
        self.rotated = rotated;
        self
    }

    /// Records what the call that failed did: its exchanges and its time.
    pub fn with_diagnostics(mut self, attempts: u32, elapsed: std::time::Duration) -> Error {
        self.attempts = Some(attempts);
        self.elapsed_ms = Some(u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX));
        self
    }

    /// The error with `secret` (the API key) redacted from its message: a
    /// server's message is copied verbatim, and a server that echoes the
    /// key must not make the library hand it out again.
    pub fn without_secret(mut self, secret: &str) -> Error {
        if let std::borrow::Cow::Owned(clean) = super::log::redact(&self.message, &[secret]) {
            self.message = clean;
        }
        self
    }

    /// Attaches the HTTP status of the response the failure came with.
    pub fn with_http_status(mut self, code: u16) -> Error {
        self.http_status = Some(code);
        self
    }

    /// A non-2xx answer from the API. The server's `message` and
    /// `error_type` are kept verbatim when its body is the documented error
    /// document; otherwise a generic message names the status.
    pub fn from_http_response(code: u16, body: &[u8]) -> Error {
        let status = UizaStatus::from_http(code);
        match serde_json::from_slice::<ApiErrorBody>(body) {
            // An empty message would leave the caller with nothing to show.
            Ok(api) if !api.message.is_empty() && !api.error_type.is_empty() => Error {
                status,
                message: api.message,
                error_type: api.error_type,
                http_status: Some(code),
                rotated: Rotated::NotApplicable,
                attempts: None,
                elapsed_ms: None,
            },
            _ => Error::client(
                status,
                format!("the API answered HTTP {code} without a Uiza error document"),
            )
            .with_http_status(code),
        }
    }

    /// The `{"message","error_type","http_status"}` document.
    pub fn to_json(&self) -> String {
        // Serializing a struct of strings and an integer cannot fail; the
        // fallback only exists so that this never panics.
        serde_json::to_string(self).unwrap_or_else(|_| {
            r#"{"message":"failed to encode the error","error_type":"internal_error","http_status":null,"rotated":null}"#
                .to_owned()
        })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.error_type)?;
        if let Some(code) = self.http_status {
            write!(f, " [HTTP {code}]")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_error_is_verbatim() {
        let body = br#"{"message":"The live entity you requested does not exist.","error_type":"invalid_request_error"}"#;
        let e = Error::from_http_response(404, body);
        assert_eq!(e.status, UizaStatus::NotFound);
        assert_eq!(
            e.to_json(),
            r#"{"message":"The live entity you requested does not exist.","error_type":"invalid_request_error","http_status":404}"#
        );
    }

    #[test]
    fn non_json_error_body_gets_a_generic_message() {
        let e = Error::from_http_response(502, b"<html>bad gateway</html>");
        assert_eq!(e.status, UizaStatus::ServerError);
        assert_eq!(e.error_type, "http_error");
        assert!(e.message.contains("502"));
        assert_eq!(e.http_status, Some(502));
    }

    #[test]
    fn documents_round_trip() {
        let e = Error::from_http_response(401, br#"{"message":"m","error_type":"t"}"#);
        let doc = ErrorDocument::parse(e.to_json().as_bytes()).unwrap();
        assert_eq!(doc.message, "m");
        assert_eq!(doc.error_type, "t");
        assert_eq!(doc.http_status, Some(401));
        assert!(ErrorDocument::parse(b"{}").is_err());
    }

    #[test]
    fn empty_api_messages_are_replaced() {
        let e = Error::from_http_response(404, br#"{"message":"","error_type":""}"#);
        assert_eq!(e.status, UizaStatus::NotFound);
        assert!(e.message.contains("404"), "{}", e.message);
        assert_eq!(e.error_type, "http_error");
    }

    #[test]
    fn rotated_is_written_only_for_key_resets() {
        let e = Error::client(UizaStatus::Timeout, "t");
        assert!(!e.to_json().contains("rotated"));
        assert!(e
            .clone()
            .with_rotated(Rotated::No)
            .to_json()
            .ends_with(r#""rotated":false}"#));
        assert!(e
            .with_rotated(Rotated::Unknown)
            .to_json()
            .ends_with(r#""rotated":null}"#));
    }

    #[test]
    fn call_diagnostics_follow_the_existing_fields() {
        let e = Error::client(UizaStatus::Timeout, "t")
            .with_rotated(Rotated::Unknown)
            .with_diagnostics(3, std::time::Duration::from_micros(1_500_900));
        assert_eq!(
            e.to_json(),
            r#"{"message":"t","error_type":"timeout","http_status":null,"rotated":null,"attempts":3,"elapsed_ms":1500}"#
        );
    }

    #[test]
    fn client_error_has_null_http_status() {
        let json = Error::invalid_argument("id is empty").to_json();
        assert_eq!(
            json,
            r#"{"message":"id is empty","error_type":"invalid_argument","http_status":null}"#
        );
    }
}
