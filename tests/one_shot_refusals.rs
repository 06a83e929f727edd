//! The one-shot `uiza_reset_stream_key` refuses bad input without sending
//! anything. Its process-wide client reads UIZA_BASE_URL once, on the first
//! one-shot call, so this file is its own process: it points that client at
//! its sandbox before any call, and ends with a valid call to prove that
//! whatever the refused calls had sent would have been counted there.

mod support;

use std::ffi::{c_char, CString};
use std::ptr;

use support::*;
use uiza::ffi::client::uiza_reset_stream_key;
use uiza::UizaStatus as S;

/// The one-shot call with raw pointers, for NULL and non-UTF-8 input.
fn raw_one_shot(key: *const c_char, id: *const c_char) -> Outcome {
    let mut out: *mut c_char = ptr::null_mut();
    let status = unsafe { uiza_reset_stream_key(key, id, &mut out) };
    Outcome::take(status, out)
}

fn assert_refused(out: &Outcome, naming: &str, what: &str) {
    assert_eq!(out.status, S::InvalidArgument, "{what}: {}", out.json);
    assert_eq!(out.error_type(), "invalid_argument", "{what}");
    assert_eq!(out.http_status(), None, "{what}");
    assert!(out.message().contains(naming), "{what}: {}", out.message());
}

/// One test: the refusals and the final call must not overlap with other
/// calls on the same process-wide client.
#[test]
fn bad_input_to_the_one_shot_call_sends_nothing() {
    let sb = sandbox();
    std::env::set_var("UIZA_BASE_URL", sb.base_url());
    let key = CString::new(DEFAULT_API_KEY).unwrap();
    let id = CString::new(SEED_ENTITY_ID).unwrap();

    // Bad API keys, checked per call.
    for bad in ["", "two words", "ctrl\u{1}", "new\nline", "caf\u{e9}"] {
        assert_refused(&one_shot(bad, SEED_ENTITY_ID), "api_key", bad);
    }
    let out = raw_one_shot(ptr::null(), id.as_ptr());
    assert_eq!(out.message(), "api_key is NULL");
    let out = raw_one_shot(c"\xff".as_ptr(), id.as_ptr());
    assert_refused(&out, "api_key", "non-UTF-8 key");

    // Bad ids.
    let long = "x".repeat(257);
    for bad in ["", ".", "..", "a\nb", "tab\tid", "del\u{7f}", long.as_str()] {
        assert_refused(&one_shot(DEFAULT_API_KEY, bad), "id", bad);
    }
    let out = raw_one_shot(key.as_ptr(), ptr::null());
    assert_eq!(out.message(), "id is NULL");
    let out = raw_one_shot(key.as_ptr(), c"\xc3\x28".as_ptr());
    assert_refused(&out, "UTF-8", "non-UTF-8 id");

    // No place for the answer.
    let status = unsafe { uiza_reset_stream_key(key.as_ptr(), id.as_ptr(), ptr::null_mut()) };
    assert_eq!(status, S::InvalidArgument);

    let stats = sb.stats();
    assert_eq!(stats.api_requests, 0, "a refused call sent a request");
    assert_eq!(stats.connections, 0, "a refused call opened a connection");

    // The same client does reach this sandbox.
    let out = one_shot(DEFAULT_API_KEY, SEED_ENTITY_ID);
    assert_eq!(out.status, S::Ok, "{}", out.json);
    assert_eq!(sb.stats().api_requests, 1);
}
