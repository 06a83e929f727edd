//! Small request/response helpers shared by the API and admin routes.

use std::future::poll_fn;
use std::pin::Pin;

use hyper::body::{Body, Incoming};
use hyper::{Response, StatusCode, Uri};

use crate::body::SandboxBody;
use crate::faults::with_type;

/// Largest request body the sandbox reads; the API takes none and admin
/// bodies are a few hundred bytes.
pub const BODY_LIMIT: usize = 1 << 20;

pub enum ReadError {
    TooLarge,
    Io,
}

/// Reads the whole request body, up to `limit` bytes.
pub async fn read_body(mut body: Incoming, limit: usize) -> Result<Vec<u8>, ReadError> {
    let mut out = Vec::new();
    while let Some(frame) = poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
        let frame = frame.map_err(|_| ReadError::Io)?;
        if let Ok(data) = frame.into_data() {
            if out.len() + data.len() > limit {
                return Err(ReadError::TooLarge);
            }
            out.extend_from_slice(&data);
        }
    }
    Ok(out)
}

/// Path and query as the client wrote them; hyper keeps the bytes as
/// received, so nothing is decoded or normalised here.
pub fn raw_path(uri: &Uri) -> String {
    uri.path_and_query()
        .map_or_else(|| uri.path().to_owned(), |pq| pq.as_str().to_owned())
}

/// Decodes `%XX` escapes in one path segment. Malformed escapes are kept as
/// they are, like most servers do; the result must be UTF-8 to be an id.
pub fn percent_decode(segment: &str) -> Option<String> {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push(h << 4 | l);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// Decodes an `application/x-www-form-urlencoded` string (or a query) into
/// its fields, in order: `+` is a space and `%XX` a byte; malformed
/// escapes are kept as they are and invalid UTF-8 is replaced.
pub fn form_decode(form: &str) -> Vec<(String, String)> {
    let decode = |s: &str| {
        let bytes = s.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'+' => out.push(b' '),
                b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push(h << 4 | l);
                        i += 3;
                        continue;
                    }
                    _ => out.push(b'%'),
                },
                b => out.push(b),
            }
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    };
    form.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

pub fn json_response(
    status: StatusCode,
    body: impl Into<hyper::body::Bytes>,
) -> Response<SandboxBody> {
    with_type(status, "application/json", SandboxBody::full(body))
}

pub fn no_content() -> Response<SandboxBody> {
    let mut r = Response::new(SandboxBody::empty());
    *r.status_mut() = StatusCode::NO_CONTENT;
    r
}

/// 404 for paths outside the API and admin areas: not an API answer, so
/// not the API's JSON error either.
pub fn plain_not_found() -> Response<SandboxBody> {
    with_type(
        StatusCode::NOT_FOUND,
        "text/plain",
        SandboxBody::full("Not Found\n"),
    )
}

#[cfg(test)]
mod tests {
    use super::{form_decode, percent_decode};

    #[test]
    fn decodes_one_segment() {
        assert_eq!(percent_decode("a%2Fb%3Fc%25d").as_deref(), Some("a/b?c%d"));
        assert_eq!(percent_decode("plain-id").as_deref(), Some("plain-id"));
        assert_eq!(percent_decode("%e2%9c%93").as_deref(), Some("\u{2713}"));
        // Malformed escapes pass through.
        assert_eq!(percent_decode("50%").as_deref(), Some("50%"));
        assert_eq!(percent_decode("%zz%4").as_deref(), Some("%zz%4"));
        assert_eq!(percent_decode("%4"), Some("%4".into()));
        // Not UTF-8 once decoded.
        assert_eq!(percent_decode("%ff"), None);
    }

    #[test]
    fn decodes_forms() {
        assert_eq!(
            form_decode("call=publish&name=live_ab%2Bc&tcurl=rtmp%3A%2F%2Fh%2Flive&x=a+b&flag&=v&&bad=%zz%4"),
            [
                ("call", "publish"),
                ("name", "live_ab+c"),
                ("tcurl", "rtmp://h/live"),
                ("x", "a b"),
                ("flag", ""),
                ("", "v"),
                ("bad", "%zz%4"),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
        );
        assert!(form_decode("").is_empty());
    }
}
