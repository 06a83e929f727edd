//! The API key, kept out of every message and `Debug` output, and wiped
//! from memory when dropped.

use std::fmt;

use ureq::http::HeaderValue;
use zeroize::Zeroizing;

use super::error::Error;

/// A validated Uiza API key: non-empty printable ASCII without whitespace.
///
/// Its `Debug` output is redacted and its memory is zeroed on drop, so a key
/// cannot leak through logs or a later heap dump of the host.
#[derive(Clone)]
pub struct ApiKey(Zeroizing<String>);

impl ApiKey {
    /// Validates `raw`. The error message never contains the key itself.
    pub fn parse(raw: &str) -> Result<ApiKey, Error> {
        if raw.is_empty() {
            return Err(Error::invalid_argument("api_key is empty"));
        }
        // 0x21..=0x7E: printable ASCII minus space. This also rules out CR/LF,
        // so a key can never inject another header.
        if let Some(pos) = raw.bytes().position(|b| !(0x21..=0x7e).contains(&b)) {
            return Err(Error::invalid_argument(format!(
                "api_key must be printable ASCII without whitespace (bad byte at offset {pos})"
            )));
        }
        Ok(ApiKey(Zeroizing::new(raw.to_owned())))
    }

    /// The `Authorization` header value, flagged sensitive so that the HTTP
    /// stack redacts it from its own debug output.
    pub(crate) fn header_value(&self) -> Result<HeaderValue, Error> {
        let mut value = HeaderValue::from_str(&self.0)
            .map_err(|_| Error::internal("a validated api_key was rejected as a header"))?;
        value.set_sensitive(true);
        Ok(value)
    }

    /// The key itself, only so that it can be found and removed from text
    /// that came from outside (a server's message) before it is logged or
    /// handed back.
    pub(crate) fn for_scrubbing(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::status::UizaStatus;

    #[test]
    fn accepts_the_documented_key_shape() {
        assert!(ApiKey::parse("uap-c1ffbff4db954ddcb050c6af0b43ba56-41193b64").is_ok());
    }

    #[test]
    fn rejects_bad_keys_without_echoing_them() {
        for bad in [
            "",
            "has space",
            "tab\there",
            "crlf\r\nX-Evil: 1",
            "caf\u{e9}",
            "\u{7f}",
        ] {
            let err = ApiKey::parse(bad).unwrap_err();
            assert_eq!(err.status, UizaStatus::InvalidArgument);
            if !bad.is_empty() {
                assert!(!err.message.contains(bad), "{}", err.message);
            }
        }
    }

    #[test]
    fn debug_is_redacted() {
        let key = ApiKey::parse("super-secret-key").unwrap();
        let shown = format!("{key:?}");
        assert!(!shown.contains("super-secret-key"));
        assert!(format!("{:?}", key.header_value().unwrap()).contains("Sensitive"));
    }
}
