//! Validation of the live-entity id and of the base URL, and the request
//! URL built from them.
//!
//! The id comes from the caller and may contain anything; percent-encoding
//! it as a single path segment guarantees that it can never change which
//! resource is addressed (`/`, `?`, `#`, `%`, `..`).

use std::fmt::Write as _;

use ureq::http::Uri;

use super::error::Error;

/// The longest id accepted, in bytes.
pub const MAX_ID_LEN: usize = 256;

/// Checks a live-entity id: non-empty UTF-8 of at most 256 bytes, with no
/// control characters, and not `.` or `..`.
pub fn validate_id(id: &str) -> Result<(), Error> {
    if id.is_empty() {
        return Err(Error::invalid_argument("id is empty"));
    }
    if id.len() > MAX_ID_LEN {
        return Err(Error::invalid_argument(format!(
            "id is {} bytes long; at most {MAX_ID_LEN} are allowed",
            id.len()
        )));
    }
    if id.chars().any(char::is_control) {
        return Err(Error::invalid_argument("id contains a control character"));
    }
    if id == "." || id == ".." {
        return Err(Error::invalid_argument("id must not be \".\" or \"..\""));
    }
    Ok(())
}

/// Percent-encodes `segment` so that it is exactly one path segment: every
/// byte except RFC 3986 unreserved characters is encoded.
pub fn encode_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len() * 3);
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            // Writing to a String cannot fail.
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// A validated `http://` or `https://` base URL, without a trailing slash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BaseUrl(String);

impl BaseUrl {
    pub const DEFAULT: &'static str = "https://api.uiza.sh";

    pub fn default_url() -> BaseUrl {
        BaseUrl(Self::DEFAULT.to_owned())
    }

    /// Accepts `scheme://host[:port][/path-prefix]`. User info, a query or a
    /// fragment are refused: they would either leak credentials into logs or
    /// silently change every request.
    pub fn parse(raw: &str) -> Result<BaseUrl, Error> {
        let bad = |why: &str| Error::invalid_argument(format!("base URL is invalid: {why}"));
        let trimmed = raw.trim_end_matches('/');
        if trimmed.is_empty() {
            return Err(bad("it is empty"));
        }
        let uri: Uri = trimmed
            .parse()
            .map_err(|_| bad("it is not an absolute http:// or https:// URL"))?;
        match uri.scheme_str() {
            Some("http") | Some("https") => {}
            _ => return Err(bad("the scheme must be http or https")),
        }
        let authority = uri.authority().ok_or_else(|| bad("it has no host"))?;
        if authority.as_str().contains('@') {
            return Err(bad("user info is not allowed"));
        }
        if authority.host().is_empty() {
            return Err(bad("it has no host"));
        }
        if uri.query().is_some() || trimmed.contains('#') {
            return Err(bad("a query or fragment is not allowed"));
        }
        Ok(BaseUrl(trimmed.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `{base}/v1/live_entities/{id}/stream_key`, the id encoded as one segment.
    pub fn stream_key_url(&self, id: &str) -> String {
        format!(
            "{}/v1/live_entities/{}/stream_key",
            self.0,
            encode_segment(id)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        assert!(validate_id("22013d8a-d5fa-48f0-9a63-1f471ca9e81d").is_ok());
        assert!(validate_id("a/b?c#d%e").is_ok());
        assert!(validate_id(&"x".repeat(256)).is_ok());
        for bad in ["", ".", "..", "a\nb", "nul\0", "del\u{7f}", "c1\u{85}"] {
            assert!(validate_id(bad).is_err(), "{bad:?}");
        }
        assert!(validate_id(&"x".repeat(257)).is_err());
        // 256 bytes, fewer characters: the limit is in bytes.
        assert!(validate_id(&"\u{e9}".repeat(129)).is_err());
    }

    #[test]
    fn segment_encoding_keeps_the_path() {
        assert_eq!(encode_segment("abc-1.2_~"), "abc-1.2_~");
        assert_eq!(encode_segment("a/b?c#d%e f"), "a%2Fb%3Fc%23d%25e%20f");
        assert_eq!(encode_segment("..%2F"), "..%252F");
        assert_eq!(encode_segment("\u{e9}"), "%C3%A9");
    }

    #[test]
    fn base_urls() {
        let b = BaseUrl::parse("http://127.0.0.1:8080/").unwrap();
        assert_eq!(
            b.stream_key_url("a/b"),
            "http://127.0.0.1:8080/v1/live_entities/a%2Fb/stream_key"
        );
        assert_eq!(
            BaseUrl::parse("https://proxy.example/uiza")
                .unwrap()
                .as_str(),
            "https://proxy.example/uiza"
        );
        for bad in [
            "",
            "/",
            "api.uiza.sh",
            "ftp://api.uiza.sh",
            "https://user:pw@api.uiza.sh",
            "https://api.uiza.sh/?x=1",
            "https://api.uiza.sh/#frag",
            "https:///nohost",
            "http://exa mple.com",
        ] {
            assert!(BaseUrl::parse(bad).is_err(), "{bad:?}");
        }
    }
}
