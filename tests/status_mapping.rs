//! Every status the library can return, each provoked for real over
//! loopback HTTP against the sandbox.

mod support;

use std::time::{Duration, Instant};

use support::timing::{assert_ended_on_budget, beside_a_sleeper, reply_time};
use support::*;
use uiza::UizaStatus as S;

fn client(sandbox: &Sandbox) -> TestClient {
    TestClient::for_sandbox(sandbox).with_max_retries(0)
}

#[test]
fn ok_returns_the_entity_as_received() {
    let sb = sandbox();
    let c = client(&sb);
    let before = sb.entity(SEED_ENTITY_ID).unwrap();
    let out = c.reset(SEED_ENTITY_ID);
    assert_eq!(out.status, S::Ok, "{}", out.json);
    let after = sb.entity(SEED_ENTITY_ID).unwrap();
    assert_eq!(out.doc, after, "out_json is the server's entity");
    assert_ne!(out.ingest_key(), before["ingest"]["key"].as_str().unwrap());
    assert_eq!(out.doc["ingest"]["url"], before["ingest"]["url"]);
    assert_eq!(sb.stats().resets, 1);
}

#[test]
fn api_errors_keep_the_servers_message_verbatim() {
    let sb = sandbox();
    let c = client(&sb);

    let out = c.reset("no-such-entity");
    assert_eq!(out.status, S::NotFound);
    assert_eq!(
        out.message(),
        "The live entity you requested does not exist."
    );
    assert_eq!(out.error_type(), "invalid_request_error");
    assert_eq!(out.http_status(), Some(404));

    sb.push_fault(fault(r#"{"kind":"status","status":400}"#));
    let out = c.reset(SEED_ENTITY_ID);
    assert_eq!(out.status, S::BadRequest);
    assert_eq!(
        out.message(),
        "Your request is missing id parameter. Please, verify and resubmit."
    );
    assert_eq!(out.http_status(), Some(400));

    sb.push_fault(fault(r#"{"kind":"status","status":500}"#));
    let out = c.reset(SEED_ENTITY_ID);
    assert_eq!(out.status, S::ServerError);
    assert_eq!(out.message(), "An unexpected error occurred on Uiza's end.");
    assert_eq!(out.error_type(), "api_error");
    assert_eq!(out.http_status(), Some(500));
}

#[test]
fn wrong_key_is_unauthorized_and_never_echoed() {
    let sb = sandbox();
    let c = TestClient::new("wrong-key-must-not-leak");
    assert_eq!(c.set_base_url(sb.base_url()), S::Ok);
    let out = c.reset(SEED_ENTITY_ID);
    assert_eq!(out.status, S::Unauthorized);
    assert_eq!(
        out.message(),
        "You are unauthorized to access the requested resource. Please verify and resubmit."
    );
    assert_eq!(out.http_status(), Some(401));

    let c = client(&sb);
    sb.push_fault(fault(r#"{"kind":"status","status":403}"#));
    let out = c.reset(SEED_ENTITY_ID);
    assert_eq!(out.status, S::Unauthorized);
    assert_eq!(out.http_status(), Some(403));
}

#[test]
fn rate_limit_and_5xx_after_retries() {
    let sb = sandbox();
    let c = client(&sb);
    sb.push_fault(fault(r#"{"kind":"status","status":429,"retry_after":"1"}"#));
    let out = c.reset(SEED_ENTITY_ID);
    assert_eq!(out.status, S::RateLimited);
    assert_eq!(out.http_status(), Some(429));

    for code in [502, 503, 504, 501, 599] {
        sb.push_fault(fault(&format!(r#"{{"kind":"status","status":{code}}}"#)));
        let out = c.reset(SEED_ENTITY_ID);
        assert_eq!(out.status, S::ServerError, "{code}");
        assert_eq!(out.http_status(), Some(code));
    }
}

#[test]
fn other_statuses_and_redirects_are_unexpected() {
    let sb = sandbox();
    let c = client(&sb);
    // A redirect to another host must not be followed: the key stays here.
    let other = sandbox();
    let location = format!(
        r#"{{"kind":"status","status":302,"headers":[["Location","{}/v1/live_entities/{}/stream_key"]]}}"#,
        other.base_url(),
        SEED_ENTITY_ID
    );
    for f in [
        location.as_str(),
        r#"{"kind":"status","status":418}"#,
        r#"{"kind":"status","status":204}"#.replace("204", "301").as_str(),
    ] {
        sb.push_fault(fault(f));
        let out = c.reset(SEED_ENTITY_ID);
        assert_eq!(out.status, S::UnexpectedStatus, "{f}: {}", out.json);
    }
    assert_eq!(other.stats().api_requests, 0, "redirect was followed");
}

#[test]
fn timeout_returns_within_the_budget() {
    let sb = sandbox();
    let c = client(&sb);
    assert_eq!(c.set_timeout_ms(300), S::Ok);
    let reply = reply_time();
    // The answer would come 2 s after the request: the budget must end the
    // call first, and on time.
    sb.push_fault(fault(r#"{"kind":"delay","ms":2000}"#));
    let budget = Duration::from_millis(300);
    let (out, took, late) = beside_a_sleeper(budget, || c.reset(SEED_ENTITY_ID));
    assert_eq!(out.status, S::Timeout, "{}", out.json);
    assert_eq!(out.error_type(), "timeout");
    assert!(out.message().contains("300 ms"), "{}", out.message());
    assert_ended_on_budget("the call", took, budget, late, reply);
}

#[test]
fn slow_drip_body_cannot_outlast_the_budget() {
    let sb = sandbox();
    let c = client(&sb);
    assert_eq!(c.set_timeout_ms(500), S::Ok);
    let reply = reply_time();
    // A byte every 50 ms: no single read waits long, and the whole body
    // would take about a minute. The 500 ms budget covers the whole call.
    sb.push_fault(fault(r#"{"kind":"drip","chunk_bytes":1,"interval_ms":50}"#));
    let budget = Duration::from_millis(500);
    let (out, took, late) = beside_a_sleeper(budget, || c.reset(SEED_ENTITY_ID));
    assert_eq!(out.status, S::Timeout, "{}", out.json);
    assert_ended_on_budget("the call", took, budget, late, reply);
}

#[test]
fn delay_within_the_budget_succeeds() {
    let sb = sandbox();
    let c = client(&sb);
    assert_eq!(c.set_timeout_ms(2000), S::Ok);
    sb.push_fault(fault(r#"{"kind":"delay","ms":200}"#));
    assert_eq!(c.reset(SEED_ENTITY_ID).status, S::Ok);
}

#[test]
fn connection_failures() {
    let sb = sandbox();
    let c = client(&sb);

    sb.push_fault(fault(r#"{"kind":"drop"}"#));
    let out = c.reset(SEED_ENTITY_ID);
    assert_eq!(out.status, S::ConnectionFailed, "{}", out.json);
    assert_eq!(out.error_type(), "connection_error");
    assert_eq!(out.http_status(), None);

    for kind in ["truncated", "drop_mid_body"] {
        sb.push_fault(fault(&format!(r#"{{"kind":"{kind}"}}"#)));
        let out = c.reset(SEED_ENTITY_ID);
        assert_eq!(out.status, S::ConnectionFailed, "{kind}: {}", out.json);
    }

    let refused = TestClient::new(DEFAULT_API_KEY);
    refused.set_max_retries(0);
    refused.set_base_url(&format!("http://127.0.0.1:{}", closed_port()));
    let out = refused.reset(SEED_ENTITY_ID);
    assert_eq!(out.status, S::ConnectionFailed, "{}", out.json);

    let unresolvable = TestClient::new(DEFAULT_API_KEY);
    unresolvable.set_max_retries(0);
    unresolvable.set_base_url("http://no-such-host.invalid");
    let out = unresolvable.reset(SEED_ENTITY_ID);
    assert_eq!(out.status, S::ConnectionFailed, "{}", out.json);
}

#[test]
fn bodies_that_are_not_a_live_entity() {
    let sb = sandbox();
    let c = client(&sb);
    for kind in ["non_json", "wrong_types", "no_key"] {
        sb.push_fault(fault(&format!(r#"{{"kind":"{kind}"}}"#)));
        let out = c.reset(SEED_ENTITY_ID);
        assert_eq!(out.status, S::InvalidResponse, "{kind}: {}", out.json);
        assert_eq!(out.error_type(), "invalid_response");
        assert_eq!(out.http_status(), Some(200));
    }
}

#[test]
fn oversized_body_is_cut_off() {
    let sb = sandbox();
    let c = client(&sb);
    // 1 GiB: reading must stop at the 1 MiB cap, long before the budget.
    sb.push_fault(fault(r#"{"kind":"oversized","bytes":1073741824}"#));
    let start = Instant::now();
    let out = c.reset(SEED_ENTITY_ID);
    assert_eq!(out.status, S::ResponseTooLarge, "{}", out.json);
    assert_eq!(out.error_type(), "response_too_large");
    assert!(start.elapsed() < Duration::from_secs(5));
    // And the client is still usable.
    assert_eq!(c.reset(SEED_ENTITY_ID).status, S::Ok);
}

#[test]
fn tls_failure_without_the_ca() {
    let sb = tls_sandbox();
    let c = TestClient::new(DEFAULT_API_KEY);
    c.set_max_retries(0);
    c.set_base_url(sb.base_url());
    let out = c.reset(SEED_ENTITY_ID);
    assert_eq!(out.status, S::TlsFailed, "{}", out.json);
    assert_eq!(out.error_type(), "tls_error");
    assert_eq!(sb.stats().api_requests, 0);
}

#[test]
fn a_panic_inside_is_internal_and_the_host_survives() {
    let sb = sandbox();
    let c = client(&sb);
    let out = c.reset(uiza::ffi::boundary::TEST_PANIC_ID);
    assert_eq!(out.status, S::Internal);
    assert_eq!(out.error_type(), "internal_error");
    // The same client keeps working after the caught panic.
    assert_eq!(c.reset(SEED_ENTITY_ID).status, S::Ok);
}

#[test]
fn a_per_call_budget_caps_only_that_call() {
    use std::ffi::{c_char, CString};
    let sb = sandbox();
    let c = client(&sb);
    assert_eq!(c.set_timeout_ms(10_000), S::Ok);
    let id = CString::new(SEED_ENTITY_ID).unwrap();
    let call = |ms: u32| {
        let mut out: *mut c_char = std::ptr::null_mut();
        let st = unsafe {
            uiza::ffi::client::uiza_client_reset_stream_key_with_timeout(
                c.ptr(),
                id.as_ptr(),
                ms,
                &mut out,
            )
        };
        Outcome::take(st, out)
    };
    let reply = reply_time();
    sb.push_fault(fault(r#"{"kind":"delay","ms":3000}"#));
    let budget = Duration::from_millis(300);
    let (out, took, late) = beside_a_sleeper(budget, || call(300));
    assert_eq!(out.status, S::Timeout, "{}", out.json);
    assert!(out.message().contains("300 ms"));
    assert_ended_on_budget("the capped call", took, budget, late, reply);
    // The client-wide budget is untouched: a 1 s delay still succeeds.
    sb.push_fault(fault(r#"{"kind":"delay","ms":1000}"#));
    assert_eq!(c.reset(SEED_ENTITY_ID).status, S::Ok);
    // A larger per-call value cannot extend the client's budget.
    assert_eq!(c.set_timeout_ms(300), S::Ok);
    sb.push_fault(fault(r#"{"kind":"delay","ms":3000}"#));
    assert_eq!(call(60_000).status, S::Timeout);
    assert_eq!(call(0).status, S::InvalidArgument);
}
