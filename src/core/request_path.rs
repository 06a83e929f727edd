//! Validation of the live-entity id and of the base URL, and the request
//! URLs built from them.
//!
//! The id is the one piece of a request path that comes from the caller.
//! Percent-encoding it is not enough: many front ends (nginx's default
//! configuration among them) decode `%2F` and then resolve dot segments
//! before they route, so `..%2Fadmin` would reach `/v1/admin/`, with the
//! caller's API key attached. An id is therefore accepted only if it is
//! already one segment that no such server can rewrite: RFC 3986
//! unreserved characters only, and not `.` or `..`. Such an id needs no
//! encoding at all, so none is done.

use ureq::http::Uri;

use super::error::Error;

/// The longest id accepted, in bytes.
pub(crate) const MAX_ID_LEN: usize = 256;

/// The id rule, as every refusal states it.
pub(crate) const ID_RULE: &str = "an id is 1 to 256 characters from A-Z a-z 0-9 - . _ ~ \
     (RFC 3986 unreserved), and not \".\" or \"..\"";

/// A live-entity id that passed [`EntityId::parse`]: safe to place in a
/// request path verbatim.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EntityId<'a>(&'a str);

impl<'a> EntityId<'a> {
    /// Checks `id` against [`ID_RULE`]. The refusal names the rule and the
    /// first offending byte's offset, never the id itself (it may be a
    /// mistyped secret).
    pub fn parse(id: &'a str) -> Result<EntityId<'a>, Error> {
        let refuse = |why: String| Error::invalid_argument(format!("{why}; {ID_RULE}"));
        if id.is_empty() {
            return Err(refuse("id is empty".into()));
        }
        if id.len() > MAX_ID_LEN {
            return Err(refuse(format!("id is {} bytes long", id.len())));
        }
        if let Some(pos) = id.bytes().position(|b| !is_unreserved(b)) {
            return Err(refuse(format!(
                "id has a character outside the allowed set at byte offset {pos}"
            )));
        }
        if id == "." || id == ".." {
            return Err(refuse("id is a dot segment".into()));
        }
        Ok(EntityId(id))
    }

    pub fn as_str(&self) -> &'a str {
        self.0
    }
}

/// RFC 3986 §2.3 unreserved: `ALPHA / DIGIT / "-" / "." / "_" / "~"`.
fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
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

    /// `{base}/v1/live_entities/{id}`: the entity, read with GET.
    pub fn entity_url(&self, id: EntityId<'_>) -> String {
        format!("{}/v1/live_entities/{}", self.0, id.as_str())
    }

    /// `{base}/v1/live_entities/{id}/stream_key`: the key, reset with PUT.
    pub fn stream_key_url(&self, id: EntityId<'_>) -> String {
        format!("{}/stream_key", self.entity_url(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accepted(id: &str) -> bool {
        EntityId::parse(id).is_ok()
    }

    #[test]
    fn uuids_and_unreserved_ids_are_accepted() {
        for id in [
            "22013d8a-d5fa-48f0-9a63-1f471ca9e81d",
            "a",
            "A-Z_a.z~0",
            "...",
            ".a",
            "a..",
            &"x".repeat(256),
        ] {
            assert!(accepted(id), "{id:?}");
        }
    }

    #[test]
    fn anything_a_normalising_server_could_rewrite_is_refused() {
        // The dot segments are the end-to-end tests' list
        // (tests/support/dot_segment_ids.rs); the rest are this rule's own.
        let dot_segment_ids: &[&str] = &include!("../../tests/support/dot_segment_ids.rs");
        for id in dot_segment_ids.iter().copied().chain([
            "",
            "a?b",
            "a#b",
            "a b",
            "a+b",
            "a@b",
            "a:b",
            "\u{e9}",
            "\u{ff0e}\u{ff0e}",
            "nul\0",
            "a\nb",
        ]) {
            let err = EntityId::parse(id).expect_err(id);
            assert_eq!(err.status, crate::core::UizaStatus::InvalidArgument);
            assert!(err.message.contains(ID_RULE), "{}", err.message);
        }
        assert!(!accepted(&"x".repeat(257)));
    }

    #[test]
    fn a_refusal_does_not_echo_the_id() {
        let err = EntityId::parse("uap-secret/../x").unwrap_err();
        assert!(!err.message.contains("uap-secret"), "{}", err.message);
        assert!(err.message.contains("offset 10"), "{}", err.message);
    }

    #[test]
    fn base_urls() {
        let b = BaseUrl::parse("http://127.0.0.1:8080/").unwrap();
        let id = EntityId::parse("abc-1").unwrap();
        assert_eq!(
            b.stream_key_url(id),
            "http://127.0.0.1:8080/v1/live_entities/abc-1/stream_key"
        );
        assert_eq!(
            b.entity_url(id),
            "http://127.0.0.1:8080/v1/live_entities/abc-1"
        );
        assert_eq!(
            BaseUrl::parse("https://proxy.example/uiza")
                .unwrap()
                .stream_key_url(id),
            "https://proxy.example/uiza/v1/live_entities/abc-1/stream_key"
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
