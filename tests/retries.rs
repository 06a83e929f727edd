//! The retry policy, counted on the sandbox side: what is retried, how
//! often, how long it waits, and that it stays inside the call's budget.

mod support;

use std::time::{Duration, Instant, SystemTime};

use support::timing::{beside_a_sleeper, reply_time};
use support::*;
use uiza::UizaStatus as S;

#[test]
fn retryable_statuses_are_retried_up_to_the_limit() {
    let sb = sandbox();
    let c = TestClient::for_sandbox(&sb).with_max_retries(2);
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
    let c = TestClient::for_sandbox(&sb).with_max_retries(5);
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
    let c = TestClient::for_sandbox(&sb).with_max_retries(0);
    sb.push_fault(fault(r#"{"kind":"status","status":503,"times":3}"#));
    assert_eq!(c.reset(SEED_ENTITY_ID).status, S::ServerError);
    assert_eq!(sb.stats().api_requests, 1);
}

#[test]
fn transport_failures_are_retried() {
    let sb = sandbox();
    let c = TestClient::for_sandbox(&sb).with_max_retries(2);
    sb.push_fault(fault(r#"{"kind":"drop","times":2}"#));
    let out = c.reset(SEED_ENTITY_ID);
    assert_eq!(out.status, S::Ok, "{}", out.json);
    assert_eq!(sb.stats().api_requests, 3);
}

#[test]
fn retry_after_seconds_is_honoured() {
    let sb = sandbox();
    let c = TestClient::for_sandbox(&sb).with_max_retries(1);
    let reply = reply_time();
    sb.push_fault(fault(r#"{"kind":"status","status":429,"retry_after":"1"}"#));
    let wait = Duration::from_secs(1);
    let (out, took, late) = beside_a_sleeper(wait + reply, || c.reset(SEED_ENTITY_ID));
    assert_eq!(out.status, S::Ok, "{}", out.json);
    // Two replies around a wait of exactly the server's second: not less
    // (our own first backoff would be 125-250 ms), and no more than twice
    // the two replies and what the machine adds to a wait ending then (a
    // sleeper beside the call measures it) on top: load is sampled, not
    // known. On a quiet machine that allows 5-10 ms, well below a backoff
    // added to the server's wait.
    assert!(took >= wait, "waited only {took:?}");
    let allowed = wait + 2 * (2 * reply + late);
    assert!(took <= allowed, "{took:?}, allowed {allowed:?}");
    assert_eq!(sb.stats().api_requests, 2);
}

#[test]
fn retry_after_http_date_is_honoured() {
    let sb = sandbox();
    let c = TestClient::for_sandbox(&sb).with_max_retries(1);
    let reply = reply_time();
    // Two seconds ahead, at whole-second resolution: 1-2 s from now.
    let start = Instant::now();
    let now = SystemTime::now();
    let date = httpdate::fmt_http_date(now + Duration::from_secs(2));
    let until_date = httpdate::parse_http_date(&date)
        .unwrap()
        .duration_since(now)
        .unwrap();
    sb.push_fault(fault(&format!(
        r#"{{"kind":"status","status":503,"retry_after":"{date}"}}"#
    )));
    let (out, _, late) = beside_a_sleeper(until_date, || c.reset(SEED_ENTITY_ID));
    let took = start.elapsed();
    assert_eq!(out.status, S::Ok, "{}", out.json);
    // The retry is sent no sooner than the date, however soon the first
    // reply came (a first reply slower than that would only delay the
    // retry further), and then takes one reply, plus what the machine adds
    // to a wait ending then (measured beside the call); twice those, as
    // load is sampled, not known.
    assert!(
        took >= until_date,
        "{took:?}, the date was {until_date:?} away"
    );
    let allowed = until_date.max(reply) + 2 * (reply + late);
    assert!(took <= allowed, "{took:?}, allowed {allowed:?}");
}

#[test]
fn a_wait_beyond_the_budget_is_not_started() {
    let sb = sandbox();
    let c = TestClient::for_sandbox(&sb).with_max_retries(3);
    c.set_timeout_ms(1000);
    sb.push_fault(fault(
        r#"{"kind":"status","status":429,"retry_after":"30"}"#,
    ));
    let start = Instant::now();
    let out = c.reset(SEED_ENTITY_ID);
    let took = start.elapsed();
    assert_eq!(out.status, S::RateLimited, "the real reason, not TIMEOUT");
    // A started wait would last until the 1 s budget ended the call; one
    // reply takes milliseconds.
    assert!(took < Duration::from_millis(1000), "{took:?}");
    assert_eq!(sb.stats().api_requests, 1);
}

#[test]
fn retries_and_waits_share_one_budget() {
    let sb = sandbox();
    let c = TestClient::for_sandbox(&sb).with_max_retries(10);
    let budget = Duration::from_millis(2500);
    c.set_timeout_ms(2500);
    // Attempts at ~0 s, 1 s and 2 s; the next 1 s wait would end past the
    // 2.5 s budget, so the budget, not the retry count, ends the call.
    sb.push_fault(fault(
        r#"{"kind":"status","status":503,"retry_after":"1","times":20}"#,
    ));
    let waits = 2 * Duration::from_secs(1);
    let start = Instant::now();
    let out = c.reset(SEED_ENTITY_ID);
    let took = start.elapsed();
    assert_eq!(out.status, S::ServerError, "{}", out.json);
    assert_eq!(sb.stats().api_requests, 3);
    // Two whole waits, and an end before the budget: a third wait, once
    // started, would have lasted until the 2.5 s budget ended the call.
    // (Three replies take milliseconds; the budget leaves them 0.5 s.)
    assert!(took >= waits, "{took:?}");
    assert!(
        took < budget,
        "{took:?}: the budget, not the retry count, should have ended the call"
    );
}
