//! What turns caller input into a request: the id rule, the request path,
//! the base URL and the API key.
#![no_main]

use libfuzzer_sys::fuzz_target;
use uiza::testing::{ApiKey, UizaStatus};
use uiza::testing::{BaseUrl, EntityId};

/// The id rule written out from its documentation, independently of the
/// library's code: 1 to 256 bytes of `A-Z a-z 0-9 - . _ ~`, not `.`/`..`.
fn id_rule_allows(id: &str) -> bool {
    const ALLOWED: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";
    (1..=256).contains(&id.len())
        && id.bytes().all(|b| ALLOWED.contains(&b))
        && id != "."
        && id != ".."
}

/// Percent-decodes `s` once, as a decoding front end would; a malformed
/// escape is kept literally.
fn decode_once(s: &str) -> Vec<u8> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

/// RFC 3986 §5.2.4 remove_dot_segments, on bytes.
fn remove_dot_segments(path: &[u8]) -> Vec<u8> {
    let mut input = path.to_vec();
    let mut output: Vec<u8> = Vec::new();
    while !input.is_empty() {
        if input.starts_with(b"../") {
            input.drain(..3);
        } else if input.starts_with(b"./") {
            input.drain(..2);
        } else if input.starts_with(b"/./") {
            input.drain(..2);
        } else if input == b"/." {
            input = b"/".to_vec();
        } else if input.starts_with(b"/../") || input == b"/.." {
            // "/../rest" becomes "/rest", and "/.." becomes "/".
            input.drain(..3);
            if input.is_empty() {
                input.push(b'/');
            }
            let cut = output.iter().rposition(|&b| b == b'/').unwrap_or(0);
            output.truncate(cut);
        } else if input == b"." || input == b".." {
            input.clear();
        } else {
            let start = usize::from(input[0] == b'/');
            let end = input[start..]
                .iter()
                .position(|&b| b == b'/')
                .map_or(input.len(), |p| p + start);
            output.extend(input.drain(..end));
        }
    }
    output
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };

    // Both directions: every id the rule allows is accepted, and no other.
    let parsed = EntityId::parse(text);
    assert_eq!(parsed.is_ok(), id_rule_allows(text), "{text:?}");
    if let Err(e) = &parsed {
        assert_eq!(e.status, UizaStatus::InvalidArgument);
        assert!(e.message.contains("A-Z a-z 0-9 - . _ ~"), "{}", e.message);
    }

    // An accepted id survives a server that decodes once and resolves dot
    // segments: the path is still the entity's, with the id as exactly one
    // segment equal to itself.
    if let Ok(id) = parsed {
        let base = BaseUrl::parse("http://h").unwrap();
        let url = base.stream_key_url(id);
        let path = url.strip_prefix("http://h").unwrap();
        let normalised = remove_dot_segments(&decode_once(path));
        let expected = format!("/v1/live_entities/{text}/stream_key");
        assert_eq!(normalised, expected.as_bytes(), "{text:?}");
        let segments: Vec<&[u8]> = normalised.split(|&b| b == b'/').collect();
        assert_eq!(segments.len(), 5, "{text:?}");
        assert_eq!(segments[3], text.as_bytes());
    }

    // A base URL that parses has no query, fragment or user info, and the
    // request URL is that base plus the fixed path.
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
        let id = EntityId::parse("seed-1").unwrap();
        assert_eq!(
            base.stream_key_url(id),
            format!("{b}/v1/live_entities/seed-1/stream_key"),
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
