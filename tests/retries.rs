//! The retry policy, counted on the sandbox side: what is retried, how
//! often, how long it waits, and that it stays inside the call's budget.

mod support;

use std::time::{Duration, Instant};

use support::*;
use uiza::UizaStatus as S;

#[test]
fn retryable_statuses_are_retried_up_to_the_limit() {
    let sb = sandbox();
    let c = TestClient::for_sandbox(&sb);
    assert_eq!(c.set_max_retries(2), S::Ok);
    for code in [502, 503, 504] {
        sb.clear();
        sb.push_fault(fault(&format!(
            r#"{{"kind":"status","status":{code},"times":2}}"#
        )));
        let out = c.reset(SEED_ENTITY_ID);
        assert_eq!(out.status, S::Ok, "{code}: {}", out.json);
        assert_eq!(sb.stats().api_requests, 3, "{code}: 2 failures + 1 success");
    }
    sb.clear();
    sb.push_fault(fault(r#"{"kind":"status","status":503,"times":5}"#));
    let out = c.reset(SEED_ENTITY_ID);
    assert_eq!(out.status, S::ServerError);
    assert_eq!(sb.stats().api_requests, 3, "1 attempt + 2 retries");
}

#[test]
fn non_retryable_failures_are_sent_once() {
    let sb = sandbox();
    let c = TestClient::for_sandbox(&sb);
    c.set_max_retries(5);
    for f in [
        r#"{"kind":"status","status":500}"#,
        r#"{"kind":"status","status":400}"#,
        r#"{"kind":"status","status":401}"#,
        r#"{"kind":"status","status":404}"#,
        r#"{"kind":"non_json"}"#,
    ] {
        sb.clear();
        sb.push_fault(fault(f));
        let out = c.reset(SEED_ENTITY_ID);
        assert_ne!(out.status, S::Ok, "{f}");
        assert_eq!(sb.stats().api_requests, 1, "{f} was retried");
    }
}

#[test]
fn zero_disables_retries() {
    let sb = sandbox();
    let c = TestClient::for_sandbox(&sb);
    c.set_max_retries(0);
    sb.push_fault(fault(r#"{"kind":"status","status":503,"times":3}"#));
    assert_eq!(c.reset(SEED_ENTITY_ID).status, S::ServerError);
    assert_eq!(sb.stats().api_requests, 1);
}

#[test]
fn transport_failures_are_retried() {
    let sb = sandbox();
    let c = TestClient::for_sandbox(&sb);
    c.set_max_retries(2);
    sb.push_fault(fault(r#"{"kind":"drop","times":2}"#));
    let out = c.reset(SEED_ENTITY_ID);
    assert_eq!(out.status, S::Ok, "{}", out.json);
    assert_eq!(sb.stats().api_requests, 3);
}

#[test]
fn retry_after_seconds_is_honoured() {
    let sb = sandbox();
    let c = TestClient::for_sandbox(&sb);
    c.set_max_retries(1);
    sb.push_fault(fault(r#"{"kind":"status","status":429,"retry_after":"1"}"#));
    let start = Instant::now();
    let out = c.reset(SEED_ENTITY_ID);
    let took = start.elapsed();
    assert_eq!(out.status, S::Ok, "{}", out.json);
    assert!(took >= Duration::from_millis(950), "waited only {took:?}");
    assert!(took < Duration::from_millis(2500), "{took:?}");
    assert_eq!(sb.stats().api_requests, 2);
}

#[test]
fn retry_after_http_date_is_honoured() {
    let sb = sandbox();
    let c = TestClient::for_sandbox(&sb);
    c.set_max_retries(1);
    // Two seconds ahead, at whole-second resolution: waits 1-2 s.
    let when = std::time::SystemTime::now() + Duration::from_secs(2);
    let date = httpdate::fmt_http_date(when);
    sb.push_fault(fault(&format!(
        r#"{{"kind":"status","status":503,"retry_after":"{date}"}}"#
    )));
    let start = Instant::now();
    let out = c.reset(SEED_ENTITY_ID);
    let took = start.elapsed();
    assert_eq!(out.status, S::Ok, "{}", out.json);
    assert!(took >= Duration::from_millis(900), "waited only {took:?}");
    assert!(took < Duration::from_millis(3500), "{took:?}");
}

#[test]
fn a_wait_beyond_the_budget_is_not_started() {
    let sb = sandbox();
    let c = TestClient::for_sandbox(&sb);
    c.set_max_retries(3);
    c.set_timeout_ms(1000);
    sb.push_fault(fault(
        r#"{"kind":"status","status":429,"retry_after":"30"}"#,
    ));
    let start = Instant::now();
    let out = c.reset(SEED_ENTITY_ID);
    assert_eq!(out.status, S::RateLimited, "the real reason, not TIMEOUT");
    assert!(start.elapsed() < Duration::from_millis(500));
    assert_eq!(sb.stats().api_requests, 1);
}

#[test]
fn retries_and_waits_share_one_budget() {
    let sb = sandbox();
    let c = TestClient::for_sandbox(&sb);
    c.set_max_retries(10);
    c.set_timeout_ms(2500);
    // Attempts at ~0 s, 1 s and 2 s; the next 1 s wait would end past the
    // 2.5 s budget, so the budget, not the retry count, ends the call.
    sb.push_fault(fault(
        r#"{"kind":"status","status":503,"retry_after":"1","times":20}"#,
    ));
    let start = Instant::now();
    let out = c.reset(SEED_ENTITY_ID);
    let took = start.elapsed();
    assert_eq!(out.status, S::ServerError, "{}", out.json);
    assert_eq!(sb.stats().api_requests, 3);
    assert!(took >= Duration::from_millis(1900), "{took:?}");
    assert!(took < Duration::from_millis(2500 + 300), "{took:?}");
}
