//! The HTTP admin endpoints and the `uiza-sandbox` binary, which is how
//! non-Rust tests use the sandbox.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::process::{Command, Stdio};

use common::*;
use serde_json::{json, Value};
use uiza_sandbox::{Sandbox, DEFAULT_API_KEY, SEED_ENTITY_ID};

/// Sends an admin request with an optional JSON body.
fn admin(sandbox_addr: SocketAddr, method: &str, path: &str, body: Option<&str>) -> Resp {
    let mut conn = connect(sandbox_addr);
    let body = body.unwrap_or("");
    write!(
        conn.get_mut(),
        "{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    read_response(&mut conn).unwrap().expect("admin answers")
}

#[test]
fn admin_endpoints_drive_the_sandbox() {
    let sandbox: Sandbox = start();
    let addr = sandbox.addr();

    assert_eq!(
        admin(addr, "GET", "/__admin/last_request", None).status,
        404
    );

    let resp = admin(
        addr,
        "POST",
        "/__admin/faults",
        Some(r#"[{"kind":"status","status":503,"retry_after":"1"},{"kind":"drop"}]"#),
    );
    assert_eq!(resp.status, 204);
    assert_eq!(
        admin(
            addr,
            "POST",
            "/__admin/faults",
            Some(r#"{"kind":"non_json"}"#)
        )
        .status,
        204
    );

    // Invalid faults are refused whole and queue nothing.
    for bad in [
        r#"{"kind":"explode"}"#,
        r#"[{"kind":"drop"},{"kind":"status","status":42}]"#,
        r#"{"kind":"status"}"#,
        "not json",
    ] {
        let resp = admin(addr, "POST", "/__admin/faults", Some(bad));
        assert_eq!(resp.status, 400, "{bad}");
        assert!(resp.json()["error"].is_string());
    }

    assert_eq!(
        request(&sandbox, "PUT", RESET_PATH, Some(DEFAULT_API_KEY))
            .unwrap()
            .unwrap()
            .status,
        503
    );
    assert!(request(&sandbox, "PUT", RESET_PATH, Some(DEFAULT_API_KEY))
        .unwrap()
        .is_none());
    let resp = request(&sandbox, "PUT", RESET_PATH, Some(DEFAULT_API_KEY))
        .unwrap()
        .unwrap();
    assert_eq!(resp.header("content-type"), Some("text/html"));
    assert_eq!(
        request(&sandbox, "PUT", RESET_PATH, Some(DEFAULT_API_KEY))
            .unwrap()
            .unwrap()
            .status,
        200
    );

    let stats = admin(addr, "GET", "/__admin/stats", None).json();
    // Admin requests are not API requests, but their connections count.
    assert_eq!(stats["api_requests"], 4);
    assert_eq!(stats["faults_applied"], 3);
    assert_eq!(stats["resets"], 1);
    // 8 admin requests and 4 API requests, one connection each.
    assert_eq!(stats["connections"], 12);

    let last = admin(addr, "GET", "/__admin/last_request", None).json();
    assert_eq!(last["method"], "PUT");
    assert_eq!(last["raw_path"], RESET_PATH);
    assert!(last["headers"]
        .as_array()
        .unwrap()
        .contains(&json!(["authorization", DEFAULT_API_KEY])));

    let entity = admin(
        addr,
        "GET",
        &format!("/__admin/entities/{SEED_ENTITY_ID}"),
        None,
    )
    .json();
    assert_eq!(entity, sandbox.entity(SEED_ENTITY_ID).unwrap());
    assert_eq!(
        admin(addr, "GET", "/__admin/entities/nope", None).status,
        404
    );

    let resp = admin(
        addr,
        "POST",
        "/__admin/entities",
        Some(r#"{"id":"x/y","ingest":{"key":"k"}}"#),
    );
    assert_eq!(resp.status, 204);
    assert_eq!(
        admin(addr, "GET", "/__admin/entities/x%2Fy", None).json()["ingest"]["key"],
        "k"
    );
    assert_eq!(
        admin(
            addr,
            "POST",
            "/__admin/entities",
            Some(r#"{"name":"no id"}"#)
        )
        .status,
        400
    );

    assert_eq!(admin(addr, "POST", "/__admin/clear", None).status, 204);
    let stats: Value = admin(addr, "GET", "/__admin/stats", None).json();
    assert_eq!(stats["api_requests"], 0);
    assert_eq!(stats["connections"], 1, "just this request's connection");
    assert_eq!(admin(addr, "GET", "/__admin/nothing", None).status, 404);
}

#[cfg(unix)]
#[test]
fn rotations_are_counted_per_entity() {
    let sandbox: Sandbox = start();
    let addr = sandbox.addr();
    let path = format!("/__admin/rotations/{SEED_ENTITY_ID}");
    assert_eq!(admin(addr, "GET", &path, None).json()["rotations"], 0);
    reset_seed(&sandbox);
    reset_seed(&sandbox);
    let resp = admin(addr, "GET", &path, None);
    assert_eq!(resp.status, 200);
    assert_eq!(resp.json(), json!({"id": SEED_ENTITY_ID, "rotations": 2}));
    assert_eq!(
        admin(addr, "GET", "/__admin/rotations/other", None).json()["rotations"],
        0
    );
    assert_eq!(admin(addr, "POST", "/__admin/clear", None).status, 204);
    assert_eq!(admin(addr, "GET", &path, None).json()["rotations"], 0);
}

#[test]
fn binary_prints_url_and_key_then_exits_cleanly_on_sigterm() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_uiza-sandbox"))
        .args(["--listen", "127.0.0.1:0", "--api-key", "secret-key-1"])
        .env("UIZA_SANDBOX_API_KEYS", "secret-key-2")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn uiza-sandbox");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let addr = read_listen_addr(&mut stdout);
    let mut key_line = String::new();
    stdout.read_line(&mut key_line).unwrap();
    assert_eq!(key_line, "api key: secret-key-1\n");
    assert_ne!(addr.port(), 0);

    for key in ["secret-key-1", "secret-key-2"] {
        let mut conn = connect(addr);
        send(conn.get_mut(), "PUT", RESET_PATH, Some(key));
        assert_eq!(read_response(&mut conn).unwrap().unwrap().status, 200);
    }
    let mut conn = connect(addr);
    send(conn.get_mut(), "PUT", RESET_PATH, Some("secret-wrong-key"));
    assert_eq!(read_response(&mut conn).unwrap().unwrap().status, 401);

    assert!(sigterm(&child));
    let status = child.wait().unwrap();
    assert!(status.success(), "exit status {status:?}");

    let mut log = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    assert!(log.contains(&format!("PUT {RESET_PATH} 200")), "{log}");
    assert!(log.contains(&format!("PUT {RESET_PATH} 401")), "{log}");
    assert!(!log.contains("secret"), "a key leaked into the log: {log}");
}

#[test]
fn binary_rejects_tls_without_ca_out() {
    let out = Command::new(env!("CARGO_BIN_EXE_uiza-sandbox"))
        .arg("--tls")
        .output()
        .expect("run uiza-sandbox");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--ca-out"));
}
