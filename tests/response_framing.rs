//! HTTP/1.x response framings that real servers, proxies and load
//! balancers send and the sandbox (a well-behaved hyper server) never
//! does: close-delimited bodies, chunk extensions and trailers, odd header
//! case, interim 1xx responses, `Connection: close`, idle connections
//! closed by the server. Each is served over real loopback TCP by a
//! `RawPeer`, and the reset must hand the C caller the key that was served.

mod support;

use std::time::{Duration, Instant};

use support::raw_peer::RawPeer;
use support::*;
use uiza::UizaStatus as S;

/// The key every successful reply carries; no sandbox hands it out.
const KEY: &str = "live_framing_9f2c1e";

/// The live entity a reset answers, as its exact bytes.
fn entity() -> String {
    format!(r#"{{"id":"e","ingest":{{"url":"rtmp://x/live","key":"{KEY}"}},"status":"ready"}}"#)
}

/// `body` in chunks of the given sizes (the rest in a last chunk), each
/// size line as `size_line` writes it, then the `ending` lines (the
/// last-chunk line, such as `0`, and any trailer fields) and the empty
/// line that ends the message.
fn chunked(body: &str, sizes: &[usize], size_line: fn(usize) -> String, ending: &[&str]) -> String {
    let mut out = String::new();
    let mut rest = body;
    for &size in sizes.iter().chain([&usize::MAX]) {
        let (chunk, after) = rest.split_at(size.min(rest.len()));
        if !chunk.is_empty() {
            out += &format!("{}\r\n{chunk}\r\n", size_line(chunk.len()));
        }
        rest = after;
    }
    for line in ending {
        out += &format!("{line}\r\n");
    }
    out + "\r\n"
}

fn hex(n: usize) -> String {
    format!("{n:x}")
}

/// A response of `status_line`, `headers` (each ending in CRLF) and `body`.
fn reply(status_line: &str, headers: &str, body: &str) -> Vec<u8> {
    format!("{status_line}\r\n{headers}\r\n{body}").into_bytes()
}

/// A client of `peer` that never retries, so that every failure shows.
fn client_for(peer: &RawPeer) -> TestClient {
    let c = TestClient::new(DEFAULT_API_KEY).with_max_retries(0);
    assert_eq!(c.set_base_url(&peer.url()), S::Ok);
    c
}

/// The reset succeeded and handed back the served entity, byte for byte.
#[track_caller]
fn assert_served(out: &Outcome, what: &str) {
    assert_eq!(out.status, S::Ok, "{what}: {}", out.json);
    assert_eq!(out.ingest_key(), KEY, "{what}: {}", out.json);
    assert_eq!(out.json, entity(), "{what}");
}

/// How a peer ends a connection after a reply.
#[derive(Clone, Copy, Debug)]
enum Framing {
    /// The connection ends with the reply (a close-delimited body, or a
    /// close the client must notice): one connection per reset.
    CloseDelimited,
    /// The body has its own end: the connection is kept and reused.
    SelfDelimited,
}

/// 200 responses in the shapes of real servers and middleboxes: valid
/// ones, and one common slip that loses nothing of the body.
fn ok_replies() -> Vec<(&'static str, Framing, Vec<u8>)> {
    use Framing::*;
    let body = entity();
    let len = body.len();
    let cl = format!("Content-Length: {len}\r\n");
    let json = "Content-Type: application/json\r\n";
    vec![
        (
            "HTTP/1.0, no Content-Length, body ends at the close",
            CloseDelimited,
            reply("HTTP/1.0 200 OK", json, &body),
        ),
        (
            "HTTP/1.1 with Connection: close and no Content-Length",
            CloseDelimited,
            reply(
                "HTTP/1.1 200 OK",
                &format!("Connection: close\r\n{json}"),
                &body,
            ),
        ),
        (
            "HTTP/1.1 with neither Content-Length nor Connection: close",
            CloseDelimited,
            reply("HTTP/1.1 200 OK", json, &body),
        ),
        // Not quite valid (the empty line after the last chunk is missing),
        // but some servers close right after `0\r\n`; the body is whole.
        (
            "chunked, the connection closed right after the 0 line",
            CloseDelimited,
            reply(
                "HTTP/1.1 200 OK",
                "Transfer-Encoding: chunked\r\n",
                chunked(&body, &[30], hex, &["0"])
                    .strip_suffix("\r\n")
                    .unwrap(),
            ),
        ),
        (
            "chunked, several chunks, a chunk extension and a trailer",
            SelfDelimited,
            reply(
                "HTTP/1.1 200 OK",
                &format!("Transfer-Encoding: chunked\r\n{json}Trailer: X-Checksum\r\n"),
                &chunked(
                    &body,
                    &[5, 17, 1],
                    |n| format!("{n:x};foo=bar"),
                    &["0", "X-Checksum: 4b1d"],
                ),
            ),
        ),
        (
            "chunked, upper-case hex sizes, a quoted extension, an empty-named one",
            SelfDelimited,
            reply(
                "HTTP/1.1 200 OK",
                "Transfer-Encoding: chunked\r\n",
                &chunked(
                    &body,
                    &[26, 10],
                    |n| format!("{n:X};name=\"a;b\";x"),
                    &["0;last"],
                ),
            ),
        ),
        (
            "chunked, one byte per chunk",
            SelfDelimited,
            reply(
                "HTTP/1.1 200 OK",
                "Transfer-Encoding: chunked\r\n",
                &chunked(&body, &[1; 200], hex, &["0"]),
            ),
        ),
        (
            "Transfer-Encoding value in odd case",
            SelfDelimited,
            reply(
                "HTTP/1.1 200 OK",
                "transfer-encoding: Chunked\r\n",
                &chunked(&body, &[30], hex, &["0"]),
            ),
        ),
        (
            "header names in odd case, Content-Type with a charset",
            SelfDelimited,
            reply(
                "HTTP/1.1 200 OK",
                &format!(
                    "content-length: {len}\r\nCONTENT-TYPE: application/json; charset=UTF-8\r\n"
                ),
                &body,
            ),
        ),
        (
            "no Content-Type at all",
            SelfDelimited,
            reply("HTTP/1.1 200 OK", &cl, &body),
        ),
        (
            "extra spaces and a tab around header values",
            SelfDelimited,
            reply(
                "HTTP/1.1 200 OK",
                &format!("Content-Length:    {len}  \r\nContent-Type:\t application/json \r\n"),
                &body,
            ),
        ),
        (
            "an interim 100 Continue before the 200",
            SelfDelimited,
            reply("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK", &cl, &body),
        ),
        (
            "an interim 103 Early Hints with headers before the 200",
            SelfDelimited,
            reply(
                "HTTP/1.1 103 Early Hints\r\nLink: </app.css>; rel=preload; as=style\r\n\r\n\
                 HTTP/1.1 200 OK",
                &cl,
                &body,
            ),
        ),
        (
            "100 Continue, 102 Processing and 103 Early Hints before the 200",
            SelfDelimited,
            reply(
                "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\n\r\n\
                 HTTP/1.1 103 Early Hints\r\nLink: </a.js>; rel=preload\r\n\r\n\
                 HTTP/1.1 200 OK",
                &cl,
                &body,
            ),
        ),
        // Gateways that translate from HTTP/2, which has no reason phrase,
        // often send an empty one; RFC 9112 allows it.
        (
            "an empty reason phrase",
            SelfDelimited,
            reply("HTTP/1.1 200 ", &cl, &body),
        ),
        (
            "an unusual reason phrase",
            SelfDelimited,
            reply("HTTP/1.1 200 Everything Is Fine", &cl, &body),
        ),
        // A list, or a repeated field, of one value: RFC 9110 §8.6 lets a
        // recipient take it as that value, and some proxies that merge
        // fields produce it.
        (
            "Content-Length as a list of one value",
            SelfDelimited,
            reply(
                "HTTP/1.1 200 OK",
                &format!("Content-Length: {len}, {len}\r\n"),
                &body,
            ),
        ),
        (
            "Content-Length repeated with the same value",
            SelfDelimited,
            reply("HTTP/1.1 200 OK", &format!("{cl}{cl}"), &body),
        ),
        // Embedded and hand-written servers; RFC 9112 §2.2 lets a
        // recipient take a bare LF as the end of a line.
        (
            "bare LF line endings in the head",
            SelfDelimited,
            format!("HTTP/1.1 200 OK\n{cl}Content-Type: application/json\n\n{body}")
                .replace("\r\n", "\n")
                .into_bytes(),
        ),
        // An HTTP/1.0 proxy (old Squid) that keeps the connection on request.
        (
            "HTTP/1.0 with Connection: keep-alive and Content-Length",
            SelfDelimited,
            reply(
                "HTTP/1.0 200 OK",
                &format!("Connection: keep-alive\r\nKeep-Alive: timeout=5, max=100\r\n{cl}"),
                &body,
            ),
        ),
        // Apache's keep-alive announcement, and a CDN's extra headers.
        (
            "Keep-Alive parameters, Via, Age and a Set-Cookie",
            SelfDelimited,
            reply(
                "HTTP/1.1 200 OK",
                &format!(
                    "Connection: Keep-Alive\r\nKeep-Alive: timeout=5, max=100\r\n\
                     Via: 1.1 varnish, 1.1 proxy\r\nAge: 0\r\n\
                     Set-Cookie: AWSALB=abc; Path=/; Expires=Thu, 01 Jan 2099 00:00:00 GMT\r\n{cl}"
                ),
                &body,
            ),
        ),
    ]
}

/// Every shape is read whole, twice on one client: a self-delimited one
/// leaves its connection clean for the second reset (any byte of it left
/// unread would corrupt the next response), a close-delimited one gets a
/// connection per reset.
#[test]
fn unusual_but_valid_success_framings_hand_back_the_served_key() {
    for (what, framing, bytes) in ok_replies() {
        let peer = match framing {
            Framing::CloseDelimited => RawPeer::start(bytes),
            Framing::SelfDelimited => RawPeer::keep_alive(bytes, Duration::from_secs(5)),
        };
        let c = client_for(&peer);
        for n in 1..=2 {
            assert_served(&c.reset(SEED_ENTITY_ID), &format!("{what} (reset {n})"));
        }
        let expected = match framing {
            Framing::CloseDelimited => 2,
            Framing::SelfDelimited => 1,
        };
        assert_eq!(peer.requests(), 2, "{what}");
        assert_eq!(peer.connections(), expected, "{what}: connections used");
    }
}

/// A 200 carrying the entity with its `Content-Length`, after `headers`
/// (each ending in CRLF).
fn entity_with_length(headers: &str) -> Vec<u8> {
    let body = entity();
    reply(
        "HTTP/1.1 200 OK",
        &format!("{headers}Content-Length: {}\r\n", body.len()),
        &body,
    )
}

/// `Connection: close` with a Content-Length: the client must not put the
/// connection back in its pool, whether the server's FIN has arrived yet
/// (the peer closes at once) or not (the peer would still answer on it).
#[test]
fn connection_close_is_honoured_before_the_server_closes() {
    let bytes = entity_with_length("Connection: close\r\n");
    for (what, peer) in [
        ("closed at once", RawPeer::start(bytes.clone())),
        (
            "left open",
            RawPeer::keep_alive(bytes, Duration::from_secs(5)),
        ),
    ] {
        let c = client_for(&peer);
        assert_served(&c.reset(SEED_ENTITY_ID), &format!("{what}, reset 1"));
        assert_served(&c.reset(SEED_ENTITY_ID), &format!("{what}, reset 2"));
        assert_eq!(peer.requests(), 2, "{what}");
        assert_eq!(peer.connections(), 2, "{what}: one connection per reset");
    }
}

/// A server that closes a kept-alive connection once it has been idle
/// (nginx's keepalive_timeout, a load balancer's idle timeout): the next
/// reset finds the pooled connection dead and opens a new one, instead of
/// failing with CONNECTION_FAILED (retries are off, so nothing hides it).
#[test]
fn a_connection_the_server_closed_while_idle_is_not_reused() {
    let bytes = entity_with_length("");
    let peer = RawPeer::keep_alive(bytes, Duration::from_millis(150));
    let c = client_for(&peer);
    assert_served(&c.reset(SEED_ENTITY_ID), "before the idle close");
    let deadline = Instant::now() + Duration::from_secs(5);
    while peer.closed() < 1 {
        assert!(Instant::now() < deadline, "the peer never closed");
        std::thread::sleep(Duration::from_millis(10));
    }
    for n in 1..=2 {
        assert_served(
            &c.reset(SEED_ENTITY_ID),
            &format!("after the idle close ({n})"),
        );
    }
    assert_eq!(peer.requests(), 3);
    assert_eq!(
        peer.connections(),
        2,
        "the closed connection was not reused"
    );
}

/// The race that an idle timeout leaves: the server closes a kept-alive
/// connection just as the reset is sent on it, without answering. The
/// server may have read the request, so the outcome is ambiguous: with
/// the default retries the reset goes again on a new connection and
/// succeeds; with none, the caller gets CONNECTION_FAILED and is told the
/// key may have changed.
#[test]
fn a_reset_lost_to_a_closing_kept_alive_connection() {
    let bytes = entity_with_length("");

    let peer = RawPeer::closing_on_reuse(bytes.clone());
    let c = TestClient::new(DEFAULT_API_KEY);
    assert_eq!(c.set_base_url(&peer.url()), S::Ok);
    assert_served(&c.reset(SEED_ENTITY_ID), "first reset");
    assert_served(&c.reset(SEED_ENTITY_ID), "reset retried after the close");
    assert_eq!(peer.requests(), 3, "the lost request, then its retry");
    assert_eq!(peer.connections(), 2);

    let peer = RawPeer::closing_on_reuse(bytes);
    let c = client_for(&peer);
    assert_served(&c.reset(SEED_ENTITY_ID), "first reset, no retries");
    let out = c.reset(SEED_ENTITY_ID);
    assert_eq!(out.status, S::ConnectionFailed, "{}", out.json);
    assert_eq!(out.error_type(), "connection_error");
    assert!(
        out.message().contains("closed the connection"),
        "{}",
        out.message()
    );
    assert_eq!(out.rotated(), Some(None), "the server may have acted on it");
    assert_eq!(peer.requests(), 2);
}

/// A 404 with a Uiza error document, in framings a proxy may give it: the
/// C caller gets NOT_FOUND with the server's own message and type.
#[test]
fn an_error_document_survives_unusual_framing() {
    let message = "Live entity not found: check the id in the Uiza console";
    let doc = format!(r#"{{"message":"{message}","error_type":"invalid_request_error"}}"#);
    for (what, peer) in [
        (
            "chunked",
            RawPeer::keep_alive(
                reply(
                    "HTTP/1.1 404 Not Found",
                    "Transfer-Encoding: chunked\r\nContent-Type: application/json\r\n",
                    &chunked(
                        &doc,
                        &[7, 7],
                        |n| format!("{n:x};src=edge"),
                        &["0", "X-Trace: 1"],
                    ),
                ),
                Duration::from_secs(5),
            ),
        ),
        (
            "close-delimited",
            RawPeer::start(reply(
                "HTTP/1.1 404 Not Found",
                "Connection: close\r\nContent-Type: application/json\r\n",
                &doc,
            )),
        ),
        (
            "after a byte order mark",
            with_byte_order_mark("HTTP/1.1 404 Not Found", &doc),
        ),
    ] {
        let c = client_for(&peer);
        let out = c.reset(SEED_ENTITY_ID);
        assert_eq!(out.status, S::NotFound, "{what}: {}", out.json);
        assert_eq!(out.message(), message, "{what}");
        assert_eq!(out.error_type(), "invalid_request_error", "{what}");
        assert_eq!(out.http_status(), Some(404), "{what}");
        assert_eq!(
            out.rotated(),
            Some(Some(false)),
            "{what}: a 404 changed nothing"
        );
    }
}

/// A body that starts with a UTF-8 byte order mark, as a .NET
/// `StreamWriter` with `Encoding.UTF8` or a rewriting proxy writes one.
fn with_byte_order_mark(status: &str, body: &str) -> RawPeer {
    let body = format!("\u{feff}{body}");
    RawPeer::start(reply(
        status,
        &format!(
            "Content-Length: {}\r\nContent-Type: application/json; charset=utf-8\r\n",
            body.len()
        ),
        &body,
    ))
}

/// RFC 8259 §8.1 forbids a sender to add a byte order mark but lets a
/// parser skip it, and the library does: a reset that changed the key must
/// not become unreadable (a read-back would meet the same mark). The
/// caller's `out_json` is the JSON without the mark.
#[test]
fn a_byte_order_mark_before_the_json_is_skipped() {
    let peer = with_byte_order_mark("HTTP/1.1 200 OK", &entity());
    let out = client_for(&peer).reset(SEED_ENTITY_ID);
    assert_eq!(out.status, S::Ok, "{}", out.json);
    assert_eq!(out.json, entity(), "out_json is the JSON without the mark");
    assert_eq!(peer.requests(), 1);
}
