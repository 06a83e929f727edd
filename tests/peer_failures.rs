//! A misbehaving peer is reported with the status that names what it did,
//! never as UIZA_STATUS_INTERNAL (which is kept for the library's bugs).

mod support;

use support::raw_peer::RawPeer;
use support::*;
use uiza::UizaStatus as S;

fn reset_against(peer: &RawPeer) -> Outcome {
    let c = TestClient::new(DEFAULT_API_KEY);
    assert_eq!(c.set_base_url(&peer.url()), S::Ok);
    c.set_max_retries(0);
    c.reset(SEED_ENTITY_ID)
}

#[test]
fn an_oversized_response_header_is_response_too_large() {
    let mut reply = b"HTTP/1.1 200 OK\r\nX-Big: ".to_vec();
    reply.extend(std::iter::repeat_n(b'a', 4 << 20));
    reply.extend(b"\r\nContent-Length: 2\r\n\r\n{}");
    let peer = RawPeer::start(reply);
    let out = reset_against(&peer);
    assert_eq!(out.status, S::ResponseTooLarge, "{}", out.json);
    assert_eq!(out.error_type(), "response_too_large");
    assert!(out.message().contains("header"), "{}", out.message());
}

#[test]
fn malformed_http_is_an_invalid_response() {
    for reply in [
        &b"HTTP/1.1 abc Whatever\r\n\r\n"[..],
        b"SMTP ready\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    ] {
        let peer = RawPeer::start(reply.to_vec());
        let out = reset_against(&peer);
        assert_eq!(
            out.status,
            S::InvalidResponse,
            "{:?}: {}",
            String::from_utf8_lossy(reply),
            out.json
        );
        assert_eq!(peer.requests(), 1, "malformed HTTP is not retried");
    }
}
