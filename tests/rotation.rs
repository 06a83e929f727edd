//! Exactly-once rotation: after a failure the server may have applied, the
//! entity is read back, so a rotation never happens twice and the caller
//! never keeps a dead key. Real loopback, real sandbox.

mod support;

use std::ptr;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::json;
use support::*;
use uiza::ffi::cancel::*;
use uiza::ffi::entity::*;
use uiza::ffi::UizaCancelToken;
use uiza::UizaStatus as S;

/// An owned cancel token for tests.
struct Token(*mut UizaCancelToken);
unsafe impl Send for Token {}
unsafe impl Sync for Token {}
impl Token {
    fn new() -> Arc<Token> {
        Arc::new(Token(uiza_cancel_token_new()))
    }
    fn cancel(&self) {
        unsafe { uiza_cancel_token_cancel(self.0) }
    }
}
impl Drop for Token {
    fn drop(&mut self) {
        unsafe { uiza_cancel_token_free(self.0) }
    }
}

/// The three faults that apply a rotation and then hide its outcome.
fn hiding_faults() -> Vec<(&'static str, Fault)> {
    vec![
        (
            "apply_then_drop",
            fault(r#"{"kind":"apply_then_drop","method":"PUT"}"#),
        ),
        (
            "apply_then_502",
            fault(r#"{"kind":"apply_then_502","method":"PUT"}"#),
        ),
        (
            "apply_then_stall",
            fault(r#"{"kind":"apply_then_stall","ms":60000,"method":"PUT"}"#),
        ),
    ]
}

fn client_for(sb: &Sandbox) -> TestClient {
    // Short, so the stall fault runs past the PUT's share of it.
    TestClient::for_sandbox(sb).with_timeout_ms(3000)
}

#[test]
fn a_hidden_rotation_is_found_by_reading_back_and_counted_once() {
    let sb = sandbox();
    let c = client_for(&sb);
    for (name, f) in hiding_faults() {
        for given_key in [true, false] {
            sb.clear();
            let old = sb.current_key(SEED_ENTITY_ID).unwrap();
            sb.push_fault(f.clone());
            let current = given_key.then_some(old.as_str());
            let out = c.rotate(SEED_ENTITY_ID, current, ptr::null());
            assert_eq!(
                out.status,
                S::Ok,
                "{name}, key given: {given_key}: {}",
                out.json
            );
            let new = sb.current_key(SEED_ENTITY_ID).unwrap();
            assert_ne!(new, old, "{name}");
            assert_eq!(
                out.ingest_key(),
                new,
                "{name}: the caller holds the live key"
            );
            assert_eq!(
                sb.rotations(SEED_ENTITY_ID),
                1,
                "{name}, key given: {given_key}: rotated exactly once"
            );
            assert_eq!(sb.stats().faults_applied, 1, "{name}");
        }
    }
}

#[test]
fn an_unapplied_ambiguous_failure_is_retried_safely() {
    let sb = sandbox();
    let c = client_for(&sb);
    let old = sb.current_key(SEED_ENTITY_ID).unwrap();
    // A 503 that did not apply: the read-back shows the old key, so the
    // PUT is retried, and the second one rotates.
    sb.push_fault(fault(
        r#"{"kind":"status","status":503,"retry_after":"0","method":"PUT"}"#,
    ));
    let out = c.rotate(SEED_ENTITY_ID, Some(&old), ptr::null());
    assert_eq!(out.status, S::Ok, "{}", out.json);
    assert_eq!(sb.rotations(SEED_ENTITY_ID), 1);
    assert_eq!(sb.stats().api_requests, 3, "PUT, read-back GET, PUT");
}

#[test]
fn definite_failures_say_the_key_is_unchanged() {
    let sb = sandbox();
    let c = client_for(&sb);
    let out = c.rotate("no-such-entity", Some("live_x"), ptr::null());
    assert_eq!(out.status, S::NotFound);
    assert_eq!(out.rotated(), Some(Some(false)), "{}", out.json);

    let wrong = TestClient::new("wrong-key-must-not-leak");
    assert_eq!(wrong.set_base_url(sb.base_url()), S::Ok);
    let out = wrong.rotate(SEED_ENTITY_ID, Some("live_x"), ptr::null());
    assert_eq!(out.status, S::Unauthorized);
    assert_eq!(out.rotated(), Some(Some(false)), "{}", out.json);

    let out = c.rotate("../x", Some("live_x"), ptr::null());
    assert_eq!(out.status, S::InvalidArgument);
    assert_eq!(out.rotated(), Some(Some(false)), "{}", out.json);
    assert_eq!(sb.rotations(SEED_ENTITY_ID), 0);
}

#[test]
fn an_unreadable_outcome_is_reported_as_unknown() {
    let sb = sandbox();
    let c = client_for(&sb);
    let old = sb.current_key(SEED_ENTITY_ID).unwrap();
    sb.push_fault(fault(r#"{"kind":"apply_then_drop","method":"PUT"}"#));
    sb.push_fault(fault(
        r#"{"kind":"status","status":500,"method":"GET","times":5}"#,
    ));
    let out = c.rotate(SEED_ENTITY_ID, Some(&old), ptr::null());
    assert_eq!(out.status, S::ConnectionFailed, "{}", out.json);
    assert_eq!(out.rotated(), Some(None), "null: unknown: {}", out.json);
    assert!(
        out.message().contains("reading the entity back failed"),
        "{}",
        out.message()
    );
    assert_eq!(
        sb.rotations(SEED_ENTITY_ID),
        1,
        "it did rotate, and only once"
    );
}

#[test]
fn resets_report_rotated_too() {
    let sb = sandbox();
    let c = client_for(&sb);
    c.set_max_retries(0);
    let out = c.reset("no-such-entity");
    assert_eq!(out.rotated(), Some(Some(false)), "{}", out.json);
    sb.push_fault(fault(r#"{"kind":"drop"}"#));
    let out = c.reset(SEED_ENTITY_ID);
    assert_eq!(out.status, S::ConnectionFailed);
    assert_eq!(
        out.rotated(),
        Some(None),
        "a dropped PUT may have applied: {}",
        out.json
    );
    let ok = c.reset(SEED_ENTITY_ID);
    assert_eq!(ok.status, S::Ok);
    assert_eq!(
        ok.rotated(),
        None,
        "success documents are the entity, unchanged"
    );
    // A read never carries it.
    let out = c.get("no-such-entity");
    assert_eq!(out.status, S::NotFound);
    assert_eq!(out.rotated(), None, "{}", out.json);
}

#[test]
fn reading_an_entity_and_one_in_init_state() {
    let sb = sandbox();
    let c = client_for(&sb);
    let out = c.get(SEED_ENTITY_ID);
    assert_eq!(out.status, S::Ok, "{}", out.json);
    assert_eq!(out.ingest_key(), sb.current_key(SEED_ENTITY_ID).unwrap());
    assert_eq!(sb.last_request().unwrap().method, "GET");
    assert_eq!(
        sb.last_request().unwrap().raw_path,
        format!("/v1/live_entities/{SEED_ENTITY_ID}")
    );
    assert_eq!(sb.rotations(SEED_ENTITY_ID), 0, "a read changes nothing");

    sb.insert_entity(json!({"id": "fresh-1", "name": "new", "status": "init", "ingest": null}));
    let out = c.get("fresh-1");
    assert_eq!(out.status, S::Ok, "{}", out.json);
    let json = std::ffi::CString::new(out.json.as_str()).unwrap();
    let mut entity = ptr::null_mut();
    unsafe {
        assert_eq!(uiza_live_entity_parse(json.as_ptr(), &mut entity), S::Ok);
        assert!(uiza_live_entity_ingest_key(entity).is_null());
        assert!(uiza_live_entity_ingest_url(entity).is_null());
        let status = std::ffi::CStr::from_ptr(uiza_live_entity_status(entity));
        assert_eq!(status.to_str().unwrap(), "init");
        uiza_live_entity_free(entity);
    }

    // GETs are retried like any idempotent request.
    c.set_max_retries(2);
    sb.push_fault(fault(r#"{"kind":"status","status":503,"retry_after":"0"}"#));
    sb.push_fault(fault(r#"{"kind":"drop"}"#));
    let before = sb.stats().api_requests;
    assert_eq!(c.get(SEED_ENTITY_ID).status, S::Ok);
    assert_eq!(sb.stats().api_requests - before, 3);
}

#[test]
fn a_stale_current_key_still_rotates_once() {
    let sb = sandbox();
    let c = client_for(&sb);
    let out = c.rotate(SEED_ENTITY_ID, Some("live_long_gone"), ptr::null());
    assert_eq!(out.status, S::Ok, "{}", out.json);
    assert_eq!(sb.rotations(SEED_ENTITY_ID), 1);
}

#[test]
fn cancelled_before_sending_sends_nothing() {
    let sb = sandbox();
    let c = client_for(&sb);
    let t = Token::new();
    t.cancel();
    let start = Instant::now();
    let out = c.rotate(SEED_ENTITY_ID, Some("live_x"), t.0);
    assert_eq!(out.status, S::Cancelled, "{}", out.json);
    assert_eq!(out.rotated(), Some(Some(false)));
    assert!(
        start.elapsed() < Duration::from_millis(10),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(sb.stats().api_requests, 0);
    // With a NULL current key the first read is cancelled too.
    let out = c.rotate(SEED_ENTITY_ID, None, t.0);
    assert_eq!(out.status, S::Cancelled);
    assert_eq!(sb.stats().api_requests, 0);
}

/// Rotates the seed entity's key (with `current_key`, or reading it first)
/// through a client of `sb` with a budget of `timeout_ms`, on a thread,
/// and cancels the call's token after `after`. Returns the outcome and how
/// long after the cancel it came back.
fn rotate_cancelled_after(
    sb: &Sandbox,
    timeout_ms: u32,
    current_key: Option<String>,
    after: Duration,
) -> (Outcome, Duration) {
    let c = client_for(sb);
    assert_eq!(c.set_timeout_ms(timeout_ms), S::Ok);
    let token = Token::new();
    let t = token.clone();
    let worker = thread::spawn(move || {
        let out = c.rotate(SEED_ENTITY_ID, current_key.as_deref(), t.0);
        (out, Instant::now())
    });
    thread::sleep(after);
    let cancelled_at = Instant::now();
    token.cancel();
    let (out, done) = worker.join().unwrap();
    (out, done.saturating_duration_since(cancelled_at))
}

#[test]
fn cancelling_a_retry_wait_returns_at_once() {
    let sb = sandbox();
    // 429 is a definite failure with a long Retry-After: the call waits.
    sb.push_fault(fault(
        r#"{"kind":"status","status":429,"retry_after":"20"}"#,
    ));
    let (out, latency) = rotate_cancelled_after(
        &sb,
        30_000,
        Some("live_x".into()),
        Duration::from_millis(300),
    );
    assert_eq!(out.status, S::Cancelled, "{}", out.json);
    assert_eq!(out.rotated(), Some(Some(false)));
    assert!(latency < Duration::from_millis(10), "{latency:?}");
    assert_eq!(sb.rotations(SEED_ENTITY_ID), 0);
}

#[test]
fn cancelling_a_read_abandons_it_mid_response() {
    let sb = sandbox();
    // The entity trickles in a byte every 200 ms: the read is mid-body.
    sb.push_fault(fault(
        r#"{"kind":"drip","chunk_bytes":1,"interval_ms":200}"#,
    ));
    let (out, latency) = rotate_cancelled_after(&sb, 30_000, None, Duration::from_millis(500));
    assert_eq!(out.status, S::Cancelled, "{}", out.json);
    assert!(latency < Duration::from_millis(250), "{latency:?}");
    assert_eq!(sb.rotations(SEED_ENTITY_ID), 0);
}

#[test]
fn a_put_in_flight_is_not_abandoned_and_its_key_is_returned() {
    let sb = sandbox();
    let old = sb.current_key(SEED_ENTITY_ID).unwrap();
    sb.push_fault(fault(r#"{"kind":"delay","ms":600,"method":"PUT"}"#));
    // The short budget of client_for, which the 600 ms delay fits in.
    let (out, _) = rotate_cancelled_after(&sb, 3000, Some(old), Duration::from_millis(200));
    assert_eq!(
        out.status,
        S::Ok,
        "never CANCELLED after rotating: {}",
        out.json
    );
    assert_eq!(out.ingest_key(), sb.current_key(SEED_ENTITY_ID).unwrap());
    assert_eq!(sb.rotations(SEED_ENTITY_ID), 1);
}
