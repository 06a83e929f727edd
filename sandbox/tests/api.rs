//! Normal API behaviour, keep-alive and lifecycle.

mod common;

use std::net::TcpStream;

use common::*;
use serde_json::{json, Value};
use uiza_sandbox::{Sandbox, SandboxConfig, DEFAULT_API_KEY, SEED_ENTITY_ID};

#[test]
fn reset_replaces_the_key_and_keeps_other_fields() {
    let sandbox = start();
    let before = seed(&sandbox);
    assert_eq!(before["ingest"]["key"], "live_updated_key");

    let resp = reset_seed(&sandbox);
    assert_eq!(resp.status, 200);
    assert_eq!(resp.header("content-type"), Some("application/json"));
    let after = resp.json();

    let key = after["ingest"]["key"].as_str().expect("string key");
    assert_eq!(key.len(), 37, "{key}");
    assert!(
        key.starts_with("live_")
            && key[5..]
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    );
    let updated_at = after["updated_at"].as_str().expect("updated_at");
    assert_eq!(updated_at.len(), 20);
    assert!(
        updated_at.ends_with('Z') && updated_at > "2024-01-01T00:00:00Z",
        "{updated_at}"
    );

    // Everything else is untouched, and no field was added or lost.
    let mut expected = before.clone();
    expected["ingest"]["key"] = json!(key);
    expected["updated_at"] = json!(updated_at);
    assert_eq!(after, expected);
    assert_eq!(seed(&sandbox), after, "the new key is stored");

    let second = reset_seed(&sandbox).json();
    assert_ne!(second["ingest"]["key"], after["ingest"]["key"]);

    let got = request(
        &sandbox,
        "GET",
        &format!("/v1/live_entities/{SEED_ENTITY_ID}"),
        Some(DEFAULT_API_KEY),
    )
    .unwrap()
    .unwrap();
    assert_eq!(got.status, 200);
    assert_eq!(got.json(), second);

    let stats = sandbox.stats();
    assert_eq!(
        (stats.api_requests, stats.resets, stats.faults_applied),
        (3, 2, 0)
    );
}

#[test]
fn auth_must_match_a_key_exactly() {
    let sandbox = Sandbox::start(SandboxConfig {
        api_keys: vec!["key-one".into(), "key-two".into()],
        ..SandboxConfig::default()
    })
    .unwrap();
    for auth in [
        None,
        Some("wrong"),
        Some("Bearer key-one"),
        Some("KEY-ONE"),
        Some("key-one2"),
        Some(DEFAULT_API_KEY),
    ] {
        let resp = request(&sandbox, "PUT", RESET_PATH, auth).unwrap().unwrap();
        assert_eq!(resp.status, 401, "{auth:?}");
        assert_eq!(resp.text(), BODY_401);
        assert_eq!(resp.header("content-type"), Some("application/json"));
    }
    assert_eq!(seed(&sandbox)["ingest"]["key"], "live_updated_key");
    for key in ["key-one", "key-two"] {
        assert_eq!(
            request(&sandbox, "PUT", RESET_PATH, Some(key))
                .unwrap()
                .unwrap()
                .status,
            200
        );
    }
    // Two Authorization headers are ambiguous and refused.
    let mut conn = connect(sandbox.addr());
    std::io::Write::write_all(
        conn.get_mut(),
        format!("PUT {RESET_PATH} HTTP/1.1\r\nHost: x\r\nAuthorization: key-one\r\nAuthorization: key-two\r\n\r\n").as_bytes(),
    )
    .unwrap();
    assert_eq!(read_response(&mut conn).unwrap().unwrap().status, 401);
}

#[test]
fn error_bodies_are_the_documented_ones() {
    let sandbox = start();
    let key = Some(DEFAULT_API_KEY);

    let resp = request(
        &sandbox,
        "PUT",
        "/v1/live_entities/no-such-id/stream_key",
        key,
    )
    .unwrap()
    .unwrap();
    assert_eq!((resp.status, resp.text()), (404, BODY_404));
    assert_eq!(resp.header("content-type"), Some("application/json"));

    let resp = request(&sandbox, "PUT", "/v1/live_entities//stream_key", key)
        .unwrap()
        .unwrap();
    assert_eq!((resp.status, resp.text()), (400, BODY_400));

    for (method, path) in [
        ("GET", "/v1/live_entities/no-such-id"),
        ("POST", RESET_PATH),
        ("GET", RESET_PATH),
        ("PUT", "/v1/live_entities/a/b/stream_key"),
        ("PUT", "/v1/something_else"),
    ] {
        let resp = request(&sandbox, method, path, key).unwrap().unwrap();
        assert_eq!(
            (resp.status, resp.text()),
            (404, BODY_404),
            "{method} {path}"
        );
    }

    // Outside /v1/ it is not an API answer, and not an API request.
    let resp = request(&sandbox, "GET", "/", key).unwrap().unwrap();
    assert_eq!(resp.status, 404);
    assert_ne!(resp.text(), BODY_404);
    assert_eq!(sandbox.stats().api_requests, 7);
    assert_eq!(sandbox.stats().resets, 0);
}

#[test]
fn id_segment_is_percent_decoded_as_one_segment() {
    let sandbox = start();
    let odd_id = "a/b?c%d e";
    sandbox.insert_entity(
        json!({"id": odd_id, "ingest": {"url": "rtmp://x", "key": "old"}, "dvr": false}),
    );

    let raw = "/v1/live_entities/a%2Fb%3Fc%25d%20e/stream_key?trace=1%2F2";
    let resp = request(&sandbox, "PUT", raw, Some(DEFAULT_API_KEY))
        .unwrap()
        .unwrap();
    assert_eq!(resp.status, 200);
    let body = resp.json();
    assert_eq!(body["id"], odd_id);
    assert_ne!(body["ingest"]["key"], "old");
    assert_eq!(body["dvr"], false);
    assert_eq!(sandbox.entity(odd_id).unwrap(), body);

    let last = sandbox.last_request().expect("recorded");
    assert_eq!(last.method, "PUT");
    assert_eq!(last.raw_path, raw, "recorded undecoded");
    assert!(last
        .headers
        .contains(&("authorization".into(), DEFAULT_API_KEY.into())));
    assert!(last.headers.contains(&("host".into(), "sandbox".into())));

    // Decoding must not let an encoded id reach a different entity.
    let resp = request(
        &sandbox,
        "PUT",
        "/v1/live_entities/a%2Fb/stream_key",
        Some(DEFAULT_API_KEY),
    )
    .unwrap()
    .unwrap();
    assert_eq!(resp.status, 404);
}

#[test]
fn every_request_but_admin_ones_is_recorded_with_its_raw_path() {
    let sandbox = start();
    let odd = "/prefix//v1/live_entities/x/stream_key?q=%2F";
    let resp = request(&sandbox, "PUT", odd, Some(DEFAULT_API_KEY))
        .unwrap()
        .unwrap();
    assert_eq!(resp.status, 404);
    let last = sandbox.last_request().expect("recorded outside /v1/ too");
    assert_eq!((last.method.as_str(), last.raw_path.as_str()), ("PUT", odd));
    assert_eq!(sandbox.stats().api_requests, 0, "not an API request");

    // Admin requests are control traffic, not what a client sent.
    let resp = request(&sandbox, "GET", "/__admin/stats", None)
        .unwrap()
        .unwrap();
    assert_eq!(resp.status, 200);
    assert_eq!(sandbox.last_request().unwrap().raw_path, odd);
}

#[test]
fn keep_alive_reuses_one_connection() {
    let sandbox = start();
    let mut conn = connect(sandbox.addr());
    let mut keys = Vec::new();
    for _ in 0..3 {
        send(conn.get_mut(), "PUT", RESET_PATH, Some(DEFAULT_API_KEY));
        let resp = read_response(&mut conn).unwrap().expect("answered");
        assert_eq!(resp.status, 200);
        keys.push(resp.json()["ingest"]["key"].clone());
    }
    // An error answer does not close the connection either.
    send(conn.get_mut(), "PUT", RESET_PATH, Some("bad"));
    assert_eq!(read_response(&mut conn).unwrap().unwrap().status, 401);

    let stats = sandbox.stats();
    assert_eq!(stats.connections, 1);
    assert_eq!(stats.api_requests, 4);
    assert_eq!(stats.resets, 3);
    keys.dedup();
    assert_eq!(keys.len(), 3);
}

#[test]
fn clear_resets_counters_but_not_entities() {
    let sandbox = start();
    let changed: Value = reset_seed(&sandbox).json();
    sandbox.push_fault(uiza_sandbox::Fault::new(uiza_sandbox::FaultKind::Drop));
    sandbox.clear();
    let stats = sandbox.stats();
    assert_eq!(
        (stats.connections, stats.api_requests, stats.resets),
        (0, 0, 0)
    );
    assert!(sandbox.last_request().is_none());
    assert_eq!(seed(&sandbox), changed);
    // The queued drop fault is gone.
    assert_eq!(reset_seed(&sandbox).status, 200);
}

#[test]
fn dropping_the_sandbox_closes_the_listener() {
    let sandbox = start();
    let addr = sandbox.addr();
    assert_eq!(sandbox.base_url(), format!("http://{addr}"));
    assert!(sandbox.ca_pem().is_none());
    let idle = connect(addr);
    drop(sandbox);
    assert!(TcpStream::connect(addr).is_err(), "listener still open");
    // Open connections are cut too: the read ends at once with a clean EOF
    // or a reset, not with the 5 s read timeout of an open connection.
    let mut idle = idle;
    match read_response(&mut idle) {
        Ok(None) => {}
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
        other => panic!("want EOF or a reset from a cut connection, got {other:?}"),
    }
}

#[test]
fn sandbox_is_shareable_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Sandbox>();
}

/// Tests of the client library may be async: starting and dropping a
/// sandbox from inside another runtime must not panic.
#[test]
fn usable_from_inside_an_async_runtime() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let sandbox = start();
        let addr = sandbox.addr();
        let status = tokio::task::spawn_blocking(move || {
            let mut conn = connect(addr);
            send(conn.get_mut(), "PUT", RESET_PATH, Some(DEFAULT_API_KEY));
            read_response(&mut conn).unwrap().unwrap().status
        })
        .await
        .unwrap();
        assert_eq!(status, 200);
        drop(sandbox);
    });
}
