//! Every fault kind, as seen on the wire.

mod common;

use std::io::{BufRead, Read};
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;
use uiza_sandbox::{Fault, FaultKind, DEFAULT_API_KEY};

fn fault(json: &str) -> Fault {
    serde_json::from_str(json).expect("fault JSON")
}

#[test]
fn drop_closes_without_any_response() {
    let sandbox = start();
    sandbox.push_fault(fault(r#"{"kind":"drop"}"#));
    let mut conn = connect(sandbox.addr());
    send(conn.get_mut(), "PUT", RESET_PATH, Some(DEFAULT_API_KEY));
    let mut rest = Vec::new();
    conn.read_to_end(&mut rest)
        .expect("clean close, not a timeout");
    assert!(rest.is_empty(), "got {:?}", String::from_utf8_lossy(&rest));

    let stats = sandbox.stats();
    assert_eq!(
        (stats.api_requests, stats.faults_applied, stats.resets),
        (1, 1, 0)
    );
    assert_eq!(sandbox.last_request().unwrap().raw_path, RESET_PATH);
    // Consumed: the next request is normal.
    assert_eq!(reset_seed(&sandbox).status, 200);
}

#[test]
fn status_fault_with_retry_after_and_repeat() {
    let sandbox = start();
    sandbox.push_fault(fault(
        r#"{"kind":"status","status":503,"retry_after":"2","body":null,"headers":[["Location","http://x/"]],"times":2}"#,
    ));
    sandbox.push_fault(fault(
        r#"{"kind":"status","status":429,"retry_after":"Wed, 21 Oct 2015 07:28:00 GMT"}"#,
    ));
    sandbox.push_fault(fault(r#"{"kind":"status","status":500}"#));
    sandbox.push_fault(fault(r#"{"kind":"status","status":401}"#));
    sandbox.push_fault(fault(
        r#"{"kind":"status","status":502,"body":"upstream sad"}"#,
    ));

    let mut conn = connect(sandbox.addr());
    for _ in 0..2 {
        // Faults apply before auth: even a bad key gets the injected status.
        send(conn.get_mut(), "PUT", RESET_PATH, Some("not-a-key"));
        let resp = read_response(&mut conn).unwrap().unwrap();
        assert_eq!(resp.status, 503);
        assert_eq!(resp.header("retry-after"), Some("2"));
        assert_eq!(resp.header("location"), Some("http://x/"));
        assert_eq!(resp.header("content-type"), Some("application/json"));
        assert_eq!(
            resp.text(),
            r#"{"message":"Sandbox injected HTTP 503.","error_type":"api_error"}"#
        );
    }
    send(conn.get_mut(), "PUT", RESET_PATH, Some(DEFAULT_API_KEY));
    let resp = read_response(&mut conn).unwrap().unwrap();
    assert_eq!(resp.status, 429);
    assert_eq!(
        resp.header("retry-after"),
        Some("Wed, 21 Oct 2015 07:28:00 GMT")
    );

    for (status, body) in [(500, BODY_500), (401, BODY_401), (502, "upstream sad")] {
        send(conn.get_mut(), "PUT", RESET_PATH, Some(DEFAULT_API_KEY));
        let resp = read_response(&mut conn).unwrap().unwrap();
        assert_eq!((resp.status, resp.text()), (status, body));
        assert_eq!(resp.header("retry-after"), None);
    }
    send(conn.get_mut(), "PUT", RESET_PATH, Some(DEFAULT_API_KEY));
    assert_eq!(read_response(&mut conn).unwrap().unwrap().status, 200);

    let stats = sandbox.stats();
    assert_eq!(
        (
            stats.connections,
            stats.api_requests,
            stats.faults_applied,
            stats.resets
        ),
        (1, 7, 6, 1)
    );
}

#[test]
fn drop_mid_body_aborts_a_chunked_body() {
    let sandbox = start();
    sandbox.push_fault(fault(r#"{"kind":"drop_mid_body"}"#));
    let mut conn = connect(sandbox.addr());
    send(conn.get_mut(), "PUT", RESET_PATH, Some(DEFAULT_API_KEY));
    let (status, headers) = read_head(&mut conn).unwrap().unwrap();
    assert_eq!(status, 200);
    assert!(headers
        .iter()
        .any(|(n, v)| n.eq_ignore_ascii_case("transfer-encoding") && v == "chunked"));
    let mut rest = Vec::new();
    conn.read_to_end(&mut rest).expect("closed, not hung");
    let text = String::from_utf8_lossy(&rest);
    assert!(text.contains("{\""), "some of the entity arrived: {text:?}");
    assert!(
        !text.ends_with("0\r\n\r\n"),
        "no terminating chunk: {text:?}"
    );
    assert_eq!(
        seed(&sandbox)["ingest"]["key"],
        "live_updated_key",
        "faults change nothing"
    );
}

#[test]
fn truncated_sends_half_of_the_promised_length() {
    let sandbox = start();
    sandbox.push_fault(fault(r#"{"kind":"truncated"}"#));
    let full = serde_json::to_vec(&seed(&sandbox)).unwrap();
    let mut conn = connect(sandbox.addr());
    send(conn.get_mut(), "PUT", RESET_PATH, Some(DEFAULT_API_KEY));
    let (status, headers) = read_head(&mut conn).unwrap().unwrap();
    assert_eq!(status, 200);
    let len: usize = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .map(|(_, v)| v.parse().unwrap())
        .expect("content-length");
    assert_eq!(len, full.len());
    let mut rest = Vec::new();
    conn.read_to_end(&mut rest).expect("closed, not hung");
    assert_eq!(rest, full[..full.len() / 2]);
}

#[test]
fn oversized_streams_lazily_and_survives_a_hang_up() {
    let sandbox = start();
    sandbox.push_fault(fault(r#"{"kind":"oversized","bytes":200000}"#));
    sandbox.push_fault(fault(r#"{"kind":"oversized","bytes":1073741824}"#));

    let mut conn = connect(sandbox.addr());
    send(conn.get_mut(), "PUT", RESET_PATH, Some(DEFAULT_API_KEY));
    let resp = read_response(&mut conn).unwrap().unwrap();
    assert_eq!(resp.status, 200);
    assert_eq!(resp.body.len(), 200_000);
    assert!(resp.body.starts_with(br#"{"pad":""#));

    // Read a little of the gigabyte, then hang up.
    send(conn.get_mut(), "PUT", RESET_PATH, Some(DEFAULT_API_KEY));
    let (_, headers) = read_head(&mut conn).unwrap().unwrap();
    assert!(headers.contains(&("content-length".into(), "1073741824".into())));
    let mut some = vec![0; 256 * 1024];
    conn.read_exact(&mut some).unwrap();
    drop(conn);

    assert_eq!(reset_seed(&sandbox).status, 200, "server still healthy");
}

#[test]
fn malformed_bodies() {
    let sandbox = start();
    sandbox.push_fault(fault(r#"{"kind":"non_json"}"#));
    sandbox.push_fault(fault(r#"{"kind":"wrong_types"}"#));
    sandbox.push_fault(fault(r#"{"kind":"no_key"}"#));

    let resp = reset_seed(&sandbox);
    assert_eq!(resp.status, 200);
    assert_eq!(resp.header("content-type"), Some("text/html"));
    assert_eq!(resp.text(), "<html><body>Bad gateway</body></html>");

    let body: Value = reset_seed(&sandbox).json();
    assert!(body["ingest"]["key"].is_number());
    assert_eq!(body["dvr"], "yes");
    assert_eq!(body["id"], uiza_sandbox::SEED_ENTITY_ID);

    let body: Value = reset_seed(&sandbox).json();
    assert!(body["ingest"].is_object());
    assert!(body["ingest"].get("key").is_none());
    assert_eq!(
        body["ingest"]["url"],
        "rtmp://f45dd07a0e-in.uizadev.io/transcode"
    );

    assert_eq!(sandbox.stats().faults_applied, 3);
    assert_eq!(sandbox.stats().resets, 0);
}

#[test]
fn drip_and_delay_are_slow_but_valid() {
    let sandbox = start();
    let full = serde_json::to_vec(&seed(&sandbox)).unwrap();
    let chunk = full.len().div_ceil(10);
    sandbox.push_fault(Fault::new(FaultKind::Drip {
        chunk_bytes: chunk,
        interval_ms: 30,
    }));

    let mut conn = connect(sandbox.addr());
    send(conn.get_mut(), "PUT", RESET_PATH, Some(DEFAULT_API_KEY));
    let started = Instant::now();
    read_head(&mut conn).unwrap().unwrap();
    let mut body = Vec::new();
    let want = full.len();
    while body.len() < want {
        let buf = conn.fill_buf().unwrap();
        assert!(!buf.is_empty(), "closed early");
        let n = buf.len().min(want - body.len());
        body.extend_from_slice(&buf[..n]);
        conn.consume(n);
    }
    let pauses = full.len().div_ceil(chunk) as u64 - 1;
    assert!(
        started.elapsed() >= Duration::from_millis(pauses * 30),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(body, full);

    sandbox.push_fault(fault(r#"{"kind":"delay","ms":300}"#));
    let started = Instant::now();
    send(conn.get_mut(), "PUT", RESET_PATH, Some(DEFAULT_API_KEY));
    let resp = read_response(&mut conn).unwrap().unwrap();
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(resp.status, 200, "delay then normal handling");
    assert_ne!(resp.json()["ingest"]["key"], "live_updated_key");
    assert_eq!(sandbox.stats().faults_applied, 2);
}

#[test]
fn faults_only_apply_to_api_requests() {
    let sandbox = start();
    sandbox.push_fault(fault(r#"{"kind":"drop"}"#));
    let resp = request(&sandbox, "GET", "/__admin/stats", None)
        .unwrap()
        .expect("admin unaffected");
    assert_eq!(resp.status, 200);
    assert_eq!(
        request(&sandbox, "GET", "/elsewhere", None)
            .unwrap()
            .unwrap()
            .status,
        404
    );
    assert!(request(&sandbox, "PUT", RESET_PATH, Some(DEFAULT_API_KEY))
        .unwrap()
        .is_none());
}

#[test]
fn apply_then_faults_rotate_and_then_hide_the_outcome() {
    let sandbox = start();
    let before = seed(&sandbox)["ingest"]["key"].clone();
    for (json, answered) in [
        (r#"{"kind":"apply_then_drop","method":"PUT"}"#, None),
        (r#"{"kind":"apply_then_502","method":"PUT"}"#, Some(502)),
        (
            r#"{"kind":"apply_then_stall","ms":300,"method":"PUT"}"#,
            None,
        ),
    ] {
        sandbox.clear();
        sandbox.push_fault(fault(json));
        // A GET passes a PUT-only fault by.
        let mut conn = connect(sandbox.addr());
        send(
            conn.get_mut(),
            "GET",
            RESET_PATH.trim_end_matches("/stream_key"),
            Some(DEFAULT_API_KEY),
        );
        assert_eq!(read_response(&mut conn).unwrap().unwrap().status, 200);
        assert_eq!(sandbox.stats().faults_applied, 0, "{json}");

        let started = Instant::now();
        let mut conn = connect(sandbox.addr());
        send(conn.get_mut(), "PUT", RESET_PATH, Some(DEFAULT_API_KEY));
        let status = read_response(&mut conn).ok().flatten().map(|r| r.status);
        assert_eq!(status, answered, "{json}");
        if json.contains("stall") {
            assert!(started.elapsed() >= Duration::from_millis(300), "{json}");
        }
        let after = seed(&sandbox)["ingest"]["key"].clone();
        assert_ne!(after, before, "{json}: the key was rotated");
        assert_eq!(sandbox.rotations(uiza_sandbox::SEED_ENTITY_ID), 1, "{json}");
        assert_eq!(sandbox.stats().faults_applied, 1, "{json}");
    }
}
