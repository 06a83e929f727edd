//! What turns caller input into a request: the id check, the path-segment
//! encoding, the base URL and the API key.
#![no_main]

use libfuzzer_sys::fuzz_target;
use uiza::core::request_path::{encode_segment, validate_id, BaseUrl};
use uiza::core::{ApiKey, UizaStatus};

/// Percent-decodes `s`; `None` if an escape is malformed.
fn decode(s: &str) -> Option<Vec<u8>> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Some(out)
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };

    // The encoded id is exactly one path segment and decodes back.
    let encoded = encode_segment(text);
    assert!(!encoded.contains(['/', '?', '#']), "{encoded}");
    assert!(encoded
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-._~%".contains(&b)));
    assert_eq!(decode(&encoded).as_deref(), Some(data));

    let id_ok = validate_id(text).is_ok();
    if id_ok {
        assert!(!text.is_empty() && text.len() <= 256 && text != "." && text != "..");
        assert!(!text.chars().any(char::is_control));
    }

    // A base URL that parses has no query, fragment or user info, and the
    // request URL is that base plus the fixed path with one encoded segment.
    if let Ok(base) = BaseUrl::parse(text) {
        let b = base.as_str();
        // Schemes are case-insensitive (RFC 3986): "HTTPS://" is accepted.
        let lower = b.to_ascii_lowercase();
        assert!(
            lower.starts_with("http://") || lower.starts_with("https://"),
            "{b}"
        );
        assert!(!b.contains(['?', '#']) && !b.ends_with('/'), "{b}");
        let authority = b.split("://").nth(1).unwrap().split('/').next().unwrap();
        assert!(!authority.contains('@') && !authority.is_empty(), "{b}");
        let url = base.stream_key_url(text);
        assert_eq!(
            url,
            format!("{b}/v1/live_entities/{encoded}/stream_key"),
            "{text:?}"
        );
    }

    // A key is accepted iff it is non-empty printable ASCII without spaces;
    // neither its Debug output nor a refusal shows it.
    match ApiKey::parse(text) {
        Ok(key) => {
            assert!(!text.is_empty() && text.bytes().all(|b| (0x21..=0x7e).contains(&b)));
            assert_eq!(format!("{key:?}"), "ApiKey(<redacted>)");
        }
        Err(e) => {
            // The refusal is one of two fixed messages, so it cannot carry
            // the key (a substring check would only teach the fuzzer to
            // type the message).
            assert_eq!(e.status, UizaStatus::InvalidArgument);
            let expected = match text.bytes().position(|b| !(0x21..=0x7e).contains(&b)) {
                _ if text.is_empty() => "api_key is empty".to_owned(),
                Some(pos) => format!(
                    "api_key must be printable ASCII without whitespace (bad byte at offset {pos})"
                ),
                None => panic!("a valid key was refused"),
            };
            assert_eq!(e.message, expected);
        }
    }
});
