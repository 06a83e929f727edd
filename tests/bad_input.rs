//! Every kind of bad input is refused with INVALID_ARGUMENT, a clear
//! message, and no request on the wire.

mod support;

use std::ffi::{c_char, CString};
use std::ptr;

use support::refused_ids::DOT_SEGMENT_IDS;
use support::*;
use uiza::ffi::client::*;
use uiza::ffi::entity::*;
use uiza::ffi::error_info::*;
use uiza::ffi::library::*;
use uiza::UizaStatus as S;

fn raw_reset(client: *mut uiza::ffi::UizaClient, id: *const c_char) -> Outcome {
    let mut out: *mut c_char = ptr::null_mut();
    let status = unsafe { uiza_client_reset_stream_key(client, id, &mut out) };
    Outcome::take(status, out)
}

/// Beside `DOT_SEGMENT_IDS` (the ids a decoding, dot-segment-normalising
/// server could route elsewhere), the plainly malformed ones: all refused
/// before sending.
const MALFORMED_IDS: &[&str] = &[
    "",
    "q?x=1",
    "h#f",
    "sp ace",
    "caf\u{e9}",
    "\u{ff0e}\u{ff0e}",
    "a\nb",
    "tab\tid",
    "del\u{7f}",
];

#[test]
fn bad_ids_are_refused_before_sending() {
    let sb = sandbox();
    let c = TestClient::for_sandbox(&sb);
    let long = "x".repeat(257);
    for id in DOT_SEGMENT_IDS
        .iter()
        .chain(MALFORMED_IDS)
        .copied()
        .chain([long.as_str()])
    {
        let out = c.reset(id);
        assert_eq!(out.status, S::InvalidArgument, "{id:?}");
        assert_eq!(out.error_type(), "invalid_argument");
        assert_eq!(out.http_status(), None);
        assert!(
            out.message().contains("A-Z a-z 0-9 - . _ ~"),
            "the message names the rule: {}",
            out.message()
        );
    }
    // NULL and non-UTF-8 ids.
    let out = raw_reset(c.ptr(), ptr::null());
    assert_eq!(out.status, S::InvalidArgument);
    assert_eq!(out.message(), "id is NULL");
    let bad_utf8 = b"\xc3\x28\0";
    let out = raw_reset(c.ptr(), bad_utf8.as_ptr() as *const c_char);
    assert_eq!(out.status, S::InvalidArgument);
    assert!(out.message().contains("UTF-8"));
    assert_eq!(sb.stats().api_requests, 0, "a bad id reached the server");
}

#[test]
fn unreserved_ids_are_sent_verbatim() {
    let sb = sandbox();
    let c = TestClient::for_sandbox(&sb);
    c.set_max_retries(0);
    let long = "x".repeat(256);
    for id in ["A-Z_a.z~0", "...", ".hidden", long.as_str()] {
        let out = c.reset(id);
        assert_eq!(out.status, S::NotFound, "{id}");
        let req = sb.last_request().unwrap();
        assert_eq!(req.raw_path, format!("/v1/live_entities/{id}/stream_key"));
    }
}

/// The one-shot call's refusals are in tests/one_shot_refusals.rs, whose
/// process points the one-shot client at a sandbox.
#[test]
fn bad_api_keys_give_no_client() {
    for key in ["", "has space", "new\nline", "caf\u{e9}"] {
        let key = CString::new(key).unwrap();
        assert!(unsafe { uiza_client_new(key.as_ptr()) }.is_null());
    }
    assert!(unsafe { uiza_client_new(ptr::null()) }.is_null());
    let bad_utf8 = b"\xff\0";
    assert!(unsafe { uiza_client_new(bad_utf8.as_ptr() as *const c_char) }.is_null());
}

#[test]
fn null_out_pointers_and_null_clients() {
    let id = CString::new(SEED_ENTITY_ID).unwrap();
    let sb = sandbox();
    let c = TestClient::for_sandbox(&sb);
    unsafe {
        assert_eq!(
            uiza_client_reset_stream_key(c.ptr(), id.as_ptr(), ptr::null_mut()),
            S::InvalidArgument
        );
        assert_eq!(
            uiza_client_reset_stream_key(ptr::null_mut(), id.as_ptr(), ptr::null_mut()),
            S::InvalidArgument
        );
    }
    assert_eq!(
        sb.stats().api_requests,
        0,
        "a call without out_json was sent"
    );
    let out = raw_reset(ptr::null_mut(), id.as_ptr());
    assert_eq!(out.status, S::InvalidArgument);
    assert_eq!(out.message(), "client is NULL");

    let url = CString::new("http://127.0.0.1:1").unwrap();
    unsafe {
        assert_eq!(
            uiza_client_set_base_url(ptr::null_mut(), url.as_ptr()),
            S::InvalidArgument
        );
        assert_eq!(
            uiza_client_set_timeout_ms(ptr::null_mut(), 10),
            S::InvalidArgument
        );
        assert_eq!(
            uiza_client_set_max_retries(ptr::null_mut(), 1),
            S::InvalidArgument
        );
        assert_eq!(
            uiza_client_set_ca_file(ptr::null_mut(), url.as_ptr()),
            S::InvalidArgument
        );
        // Every free function accepts NULL.
        uiza_client_free(ptr::null_mut());
        uiza_string_free(ptr::null_mut());
        uiza_live_entity_free(ptr::null_mut());
        uiza_error_free(ptr::null_mut());
    }
    let c = TestClient::new(DEFAULT_API_KEY);
    unsafe {
        assert_eq!(
            uiza_client_set_base_url(c.ptr(), ptr::null()),
            S::InvalidArgument
        );
        assert_eq!(
            uiza_client_set_ca_file(c.ptr(), ptr::null()),
            S::InvalidArgument
        );
    }
}

#[test]
fn bad_settings_are_refused_and_leave_the_client_unchanged() {
    let sb = sandbox();
    let c = TestClient::for_sandbox(&sb);
    for url in [
        "",
        "api.uiza.sh",
        "ftp://x",
        "https://u:p@x",
        "http://x/?q",
        "http://x/#f",
    ] {
        assert_eq!(c.set_base_url(url), S::InvalidArgument, "{url}");
    }
    assert_eq!(c.set_timeout_ms(0), S::InvalidArgument);
    assert_eq!(c.set_ca_file("/no/such/ca.pem"), S::InvalidArgument);
    let not_pem = write_temp_file("not-a-ca.pem", "hello, not a certificate\n");
    assert_eq!(c.set_ca_file(not_pem.to_str().unwrap()), S::InvalidArgument);
    // Still pointed at the sandbox, still working.
    assert_eq!(c.reset(SEED_ENTITY_ID).status, S::Ok);
}

#[test]
fn parse_functions_refuse_bad_documents() {
    let mut entity: *mut UizaLiveEntity = ptr::dangling_mut();
    let mut error: *mut UizaError = ptr::dangling_mut();
    unsafe {
        assert_eq!(
            uiza_live_entity_parse(ptr::null(), &mut entity),
            S::InvalidArgument
        );
        assert!(entity.is_null(), "*out is reset to NULL on failure");
        assert_eq!(
            uiza_live_entity_parse(ptr::null(), ptr::null_mut()),
            S::InvalidArgument
        );
        let not_entity = CString::new(r#"{"ingest":{"key":1}}"#).unwrap();
        assert_eq!(
            uiza_live_entity_parse(not_entity.as_ptr(), &mut entity),
            S::InvalidResponse
        );
        let nul_inside = CString::new(r#"{"ingest":{"key":"a\u0000b"}}"#).unwrap();
        assert_eq!(
            uiza_live_entity_parse(nul_inside.as_ptr(), &mut entity),
            S::InvalidResponse
        );

        assert_eq!(
            uiza_error_parse(ptr::null(), &mut error),
            S::InvalidArgument
        );
        assert!(error.is_null());
        let not_error = CString::new("[1,2]").unwrap();
        assert_eq!(
            uiza_error_parse(not_error.as_ptr(), &mut error),
            S::InvalidArgument
        );

        // Accessors on NULL are NULL/false/-1, not a crash.
        assert!(uiza_live_entity_ingest_key(ptr::null()).is_null());
        let mut flag = true;
        assert!(!uiza_live_entity_dvr(ptr::null(), &mut flag));
        assert!(uiza_error_message(ptr::null()).is_null());
        assert!(uiza_error_type(ptr::null()).is_null());
        assert_eq!(uiza_error_http_status(ptr::null()), -1);
    }
}
