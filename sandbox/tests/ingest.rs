//! The ingest authority: nginx-rtmp's `on_publish`, `on_update` and
//! `on_publish_done` callbacks, sent here as nginx-rtmp sends them (form
//! POSTs over loopback), under both policies, and the `--ingest-url` /
//! `--ingest-policy` options of the binary.

mod common;

use std::io::{BufReader, Write};
use std::net::SocketAddr;
use std::process::{Command, Stdio};

use common::*;
use serde_json::Value;
use uiza_sandbox::{
    IngestCall, IngestEvent, IngestPolicy, Sandbox, SandboxConfig, DEFAULT_API_KEY, SEED_ENTITY_ID,
};

const INGEST_URL: &str = "rtmp://127.0.0.1:19350/live";

fn start_with(policy: IngestPolicy) -> Sandbox {
    Sandbox::start(SandboxConfig {
        ingest_url: Some(INGEST_URL.to_owned()),
        ingest_policy: policy,
        ..SandboxConfig::default()
    })
    .expect("sandbox starts")
}

/// What nginx-rtmp sends for `call` on connection `client`: the session
/// fields, then the call's own (`name` is the stream key).
fn form(call: &str, client: u32, key: &str) -> String {
    format!(
        "app=live&flashver=FMLE%2F3.0&swfurl=&tcurl=rtmp%3A%2F%2F127.0.0.1%3A19350%2Flive\
         &pageurl=&addr=127.0.0.1&clientid={client}&call={call}&name={key}&type=live"
    )
}

/// POSTs `body` as a form to `path` on a fresh connection.
fn post_form(addr: SocketAddr, path: &str, body: &str) -> Resp {
    let mut conn = connect(addr);
    write!(
        conn.get_mut(),
        "POST {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    read_response(&mut conn).unwrap().expect("an answer")
}

/// nginx-rtmp's `call` for connection `client` to the sandbox's `hook`
/// (`/__ingest/<hook>`); the answer's status.
fn callback(sb: &Sandbox, hook: &str, call: &str, client: u32, key: &str) -> u16 {
    post_form(
        sb.addr(),
        &format!("/__ingest/{hook}"),
        &form(call, client, key),
    )
    .status
}

fn publish(sb: &Sandbox, client: u32, key: &str) -> u16 {
    callback(sb, "on_publish", "publish", client, key)
}

fn update(sb: &Sandbox, client: u32, key: &str) -> u16 {
    callback(sb, "on_update", "update_publish", client, key)
}

fn publish_done(sb: &Sandbox, client: u32, key: &str) -> u16 {
    callback(sb, "on_publish_done", "publish_done", client, key)
}

fn key(sb: &Sandbox) -> String {
    sb.current_key(SEED_ENTITY_ID).unwrap()
}

fn status(sb: &Sandbox) -> String {
    sb.entity_status(SEED_ENTITY_ID).unwrap()
}

/// Rotates the seed entity's key through the API, as an encoder's tool
/// would, and returns the new key.
fn rotate(sb: &Sandbox) -> String {
    let resp = reset_seed(sb);
    assert_eq!(resp.status, 200);
    resp.json()["ingest"]["key"].as_str().unwrap().to_owned()
}

/// A sandbox under `policy` whose seed entity is live: connection `client`
/// has published with the entity's current key, which is returned.
fn publishing(policy: IngestPolicy, client: u32) -> (Sandbox, String) {
    let sb = start_with(policy);
    let key = key(&sb);
    assert_eq!(publish(&sb, client, &key), 200);
    (sb, key)
}

/// The entries of the ingest log for `call`, in order.
fn logged(sb: &Sandbox, call: IngestCall) -> Vec<IngestEvent> {
    sb.ingest_log()
        .into_iter()
        .filter(|e| e.call == call)
        .collect()
}

fn admin_get(addr: SocketAddr, path: &str) -> Resp {
    let mut conn = connect(addr);
    send(conn.get_mut(), "GET", path, None);
    read_response(&mut conn).unwrap().unwrap()
}

#[test]
fn on_publish_allows_exactly_the_current_key() {
    let sb = start_with(IngestPolicy::Grandfather);
    let good = key(&sb);
    assert_eq!(status(&sb), "ready");

    assert_eq!(publish(&sb, 1, "live_not_a_key"), 403);
    assert_eq!(publish(&sb, 2, &format!("{good}x")), 403);
    assert_eq!(status(&sb), "ready", "a refused publish is no broadcast");
    assert_eq!(publish(&sb, 3, &good), 200);
    assert_eq!(status(&sb), "broadcasting");

    // A form without a name is not a publish at all.
    let resp = post_form(sb.addr(), "/__ingest/on_publish", "call=publish&app=live");
    assert_eq!(resp.status, 400);
    assert_eq!(
        post_form(sb.addr(), "/__ingest/on_nothing", &form("x", 1, &good)).status,
        404
    );

    // The log, in process and over the admin API.
    let log = sb.publish_attempts();
    let seen: Vec<(&str, bool)> = log.iter().map(|e| (e.name.as_str(), e.allowed)).collect();
    assert_eq!(
        seen,
        [
            ("live_not_a_key", false),
            (format!("{good}x").as_str(), false),
            (good.as_str(), true)
        ]
    );
    assert_eq!(log[2].entity.as_deref(), Some(SEED_ENTITY_ID));
    assert_eq!(log[2].client_id, "3");
    assert_eq!(log[0].entity, None);
    let over_http = admin_get(sb.addr(), "/__admin/ingest_log");
    assert_eq!(over_http.status, 200);
    let over_http: Value = over_http.json();
    assert_eq!(over_http.as_array().unwrap().len(), 3);
    assert_eq!(over_http[2]["call"], "publish");
    assert_eq!(over_http[2]["name"], good.as_str());
    assert_eq!(over_http[2]["allowed"], true);
    assert_eq!(over_http[2]["entity"], SEED_ENTITY_ID);
    assert!(over_http[2]["at_ms"].is_u64());

    // `clear` empties the log but not the live publish.
    assert_eq!(
        post_form(sb.addr(), "/__admin/clear", "").status,
        204,
        "admin clear"
    );
    assert!(sb.ingest_log().is_empty());
    assert_eq!(status(&sb), "broadcasting");
}

#[test]
fn grandfather_keeps_a_running_session_but_admits_only_the_new_key() {
    let (sb, old) = publishing(IngestPolicy::Grandfather, 7);
    assert_eq!(update(&sb, 7, &old), 200);

    let new = rotate(&sb);
    assert_ne!(new, old);
    // The session that started with the then-valid key goes on...
    for _ in 0..3 {
        assert_eq!(update(&sb, 7, &old), 200);
    }
    assert_eq!(status(&sb), "broadcasting");
    // ...but nobody can start a new one with it.
    assert_eq!(publish(&sb, 8, &old), 403);
    // An update for a session this sandbox never saw start is judged by
    // the key alone.
    assert_eq!(update(&sb, 99, &old), 403);
    assert_eq!(publish(&sb, 9, &new), 200);
    assert_eq!(update(&sb, 9, &new), 200);

    let attempts: Vec<(String, bool)> = sb
        .publish_attempts()
        .into_iter()
        .map(|e| (e.name, e.allowed))
        .collect();
    assert_eq!(
        attempts,
        [
            (old.clone(), true),
            (old.clone(), false),
            (new.clone(), true)
        ]
    );
    let updates: Vec<bool> = logged(&sb, IngestCall::Update)
        .into_iter()
        .map(|e| e.allowed)
        .collect();
    assert_eq!(updates, [true, true, true, true, false, true]);
}

#[test]
fn kick_refuses_the_stale_key_on_update() {
    let (sb, old) = publishing(IngestPolicy::Kick, 1);
    assert_eq!(sb.ingest_policy(), IngestPolicy::Kick);
    assert_eq!(update(&sb, 1, &old), 200, "a current key stays");
    let new = rotate(&sb);
    assert_eq!(update(&sb, 1, &old), 403);
    assert_eq!(status(&sb), "ready", "the refused session is over");
    // nginx-rtmp then reports the dropped session done; harmless twice.
    assert_eq!(publish_done(&sb, 1, &old), 200);
    // The encoder reconnects with the new key.
    assert_eq!(publish(&sb, 2, &old), 403);
    assert_eq!(publish(&sb, 3, &new), 200);
    assert_eq!(status(&sb), "broadcasting");
    assert_eq!(update(&sb, 3, &new), 200);
}

#[test]
fn status_follows_the_live_publishes() {
    let (sb, k) = publishing(IngestPolicy::Grandfather, 1);
    assert_eq!(publish(&sb, 2, &k), 200);
    assert_eq!(status(&sb), "broadcasting");
    assert_eq!(publish_done(&sb, 1, &k), 200);
    assert_eq!(status(&sb), "broadcasting", "session 2 is still live");
    // The status is what the API serves too.
    let resp = request(
        &sb,
        "GET",
        &format!("/v1/live_entities/{SEED_ENTITY_ID}"),
        Some(DEFAULT_API_KEY),
    )
    .unwrap()
    .unwrap();
    assert_eq!(resp.json()["status"], "broadcasting");
    // Rotating does not end a broadcast.
    rotate(&sb);
    assert_eq!(status(&sb), "broadcasting");
    // The last one ends with the old key, which no longer names the entity.
    assert_eq!(publish_done(&sb, 2, &k), 200);
    assert_eq!(status(&sb), "ready");
    assert_eq!(publish_done(&sb, 5, "live_unknown"), 200);
    let done: Vec<_> = logged(&sb, IngestCall::PublishDone)
        .into_iter()
        .map(|e| e.entity)
        .collect();
    assert_eq!(
        done,
        [
            Some(SEED_ENTITY_ID.to_owned()),
            Some(SEED_ENTITY_ID.to_owned()),
            None
        ]
    );
}

#[test]
fn ingest_url_points_every_entity_at_the_local_ingest() {
    let sb = start_with(IngestPolicy::Grandfather);
    assert_eq!(sb.ingest_url(), Some(INGEST_URL));
    assert_eq!(seed(&sb)["ingest"]["url"], INGEST_URL);
    let rotated = reset_seed(&sb).json();
    assert_eq!(rotated["ingest"]["url"], INGEST_URL);

    let mut other = seed(&sb);
    other["id"] = "other-entity".into();
    other["ingest"]["url"] = "rtmp://elsewhere.example/transcode".into();
    sb.insert_entity(other);
    assert_eq!(
        sb.entity("other-entity").unwrap()["ingest"]["url"],
        INGEST_URL
    );
    // An entity in `init` state has no ingest to point anywhere.
    sb.insert_entity(serde_json::json!({"id": "init-entity", "ingest": null}));
    assert_eq!(sb.entity("init-entity").unwrap()["ingest"], Value::Null);

    // Without the option, entities keep their own URL.
    let plain = start();
    assert_eq!(
        seed(&plain)["ingest"]["url"],
        "rtmp://f45dd07a0e-in.uizadev.io/transcode"
    );

    for bad in ["http://127.0.0.1/live", "rtmp:///live", "rtmp://a b/c"] {
        let err = Sandbox::start(SandboxConfig {
            ingest_url: Some(bad.to_owned()),
            ..SandboxConfig::default()
        })
        .err()
        .unwrap_or_else(|| panic!("{bad} accepted"));
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput, "{bad}");
    }
}

#[test]
fn callbacks_in_the_query_work_too() {
    // `notify_method get` puts the same fields in the query string.
    let sb = start_with(IngestPolicy::Grandfather);
    let k = key(&sb);
    let mut conn = connect(sb.addr());
    send(
        conn.get_mut(),
        "GET",
        &format!("/__ingest/on_publish?{}", form("publish", 4, &k)),
        None,
    );
    assert_eq!(read_response(&mut conn).unwrap().unwrap().status, 200);
    assert_eq!(status(&sb), "broadcasting");
    // Ingest callbacks are not API requests and consume no faults.
    assert_eq!(sb.stats().api_requests, 0);
}

#[test]
fn binary_takes_ingest_url_and_policy() {
    let help = Command::new(env!("CARGO_BIN_EXE_uiza-sandbox"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8(help.stdout).unwrap();
    for needle in [
        "--ingest-url",
        "--ingest-policy",
        "/__ingest/on_publish",
        "/__admin/ingest_log",
    ] {
        assert!(help.contains(needle), "--help lacks {needle}:\n{help}");
    }
    let bad = Command::new(env!("CARGO_BIN_EXE_uiza-sandbox"))
        .args(["--listen", "127.0.0.1:0", "--ingest-policy", "evict"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));

    let mut child = Command::new(env!("CARGO_BIN_EXE_uiza-sandbox"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--ingest-url",
            INGEST_URL,
            "--ingest-policy",
            "kick",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn uiza-sandbox");
    let addr = read_listen_addr(&mut BufReader::new(child.stdout.take().unwrap()));

    let entity = admin_get(addr, &format!("/__admin/entities/{SEED_ENTITY_ID}")).json();
    assert_eq!(entity["ingest"]["url"], INGEST_URL);
    let old = entity["ingest"]["key"].as_str().unwrap().to_owned();
    let form_to = |path: &str, body: String| post_form(addr, path, &body).status;
    assert_eq!(
        form_to("/__ingest/on_publish", form("publish", 1, &old)),
        200
    );
    let mut conn = connect(addr);
    send(conn.get_mut(), "PUT", RESET_PATH, Some(DEFAULT_API_KEY));
    assert_eq!(read_response(&mut conn).unwrap().unwrap().status, 200);
    // kick: the running session's stale key is refused.
    assert_eq!(
        form_to("/__ingest/on_update", form("update_publish", 1, &old)),
        403
    );
    let log: Value = admin_get(addr, "/__admin/ingest_log").json();
    let calls: Vec<(&str, bool)> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["call"].as_str().unwrap(), e["allowed"].as_bool().unwrap()))
        .collect();
    assert_eq!(calls, [("publish", true), ("update", false)]);

    let _ = sigterm(&child);
    assert!(child.wait().unwrap().success());
}
