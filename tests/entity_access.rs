//! Typed access to a live entity and to an error document from C.

mod support;

use std::ffi::{c_char, CStr, CString};
use std::ptr;

use support::*;
use uiza::ffi::entity::*;
use uiza::ffi::error_info::*;
use uiza::UizaStatus as S;

fn text(p: *const c_char) -> Option<String> {
    (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_str().unwrap().to_owned())
}

#[test]
fn a_reset_entity_reads_field_by_field() {
    let sb = sandbox();
    let c = TestClient::for_sandbox(&sb);
    let out = c.reset(SEED_ENTITY_ID);
    assert_eq!(out.status, S::Ok);
    let json = CString::new(out.json.clone()).unwrap();
    let mut e: *mut UizaLiveEntity = ptr::null_mut();
    assert_eq!(
        unsafe { uiza_live_entity_parse(json.as_ptr(), &mut e) },
        S::Ok
    );
    let server = sb.entity(SEED_ENTITY_ID).unwrap();
    let s = |v: &serde_json::Value| v.as_str().map(str::to_owned);
    unsafe {
        assert_eq!(
            text(uiza_live_entity_ingest_key(e)),
            s(&server["ingest"]["key"])
        );
        assert_eq!(
            text(uiza_live_entity_ingest_url(e)),
            s(&server["ingest"]["url"])
        );
        assert_eq!(
            text(uiza_live_entity_id(e)).as_deref(),
            Some(SEED_ENTITY_ID)
        );
        assert_eq!(
            text(uiza_live_entity_name(e)).as_deref(),
            Some("Test Event Updated")
        );
        assert_eq!(
            text(uiza_live_entity_description(e)).as_deref(),
            Some("Event for Test")
        );
        assert_eq!(
            text(uiza_live_entity_playback_hls(e)),
            s(&server["playback"]["hls"])
        );
        assert_eq!(
            text(uiza_live_entity_region(e)).as_deref(),
            Some("in-bangalore-1")
        );
        assert_eq!(text(uiza_live_entity_status(e)).as_deref(), Some("ready"));
        assert_eq!(
            text(uiza_live_entity_created_at(e)).as_deref(),
            Some("2019-12-11T02:47:04Z")
        );
        assert_eq!(
            text(uiza_live_entity_updated_at(e)),
            s(&server["updated_at"])
        );
        let (mut dvr, mut encode) = (false, true);
        assert!(uiza_live_entity_dvr(e, &mut dvr));
        assert!(uiza_live_entity_encode(e, &mut encode));
        assert!(dvr);
        assert!(!encode);
        assert!(!uiza_live_entity_dvr(e, ptr::null_mut()));
        uiza_live_entity_free(e);
    }
}

#[test]
fn absent_fields_are_null() {
    let json = CString::new(r#"{"ingest":{"key":"k"},"name":null}"#).unwrap();
    let mut e: *mut UizaLiveEntity = ptr::null_mut();
    unsafe {
        assert_eq!(uiza_live_entity_parse(json.as_ptr(), &mut e), S::Ok);
        assert_eq!(text(uiza_live_entity_ingest_key(e)).as_deref(), Some("k"));
        assert!(uiza_live_entity_ingest_url(e).is_null());
        assert!(uiza_live_entity_name(e).is_null());
        assert!(uiza_live_entity_playback_hls(e).is_null());
        let mut flag = true;
        assert!(!uiza_live_entity_dvr(e, &mut flag));
        assert!(flag, "*out is untouched when the field is absent");
        uiza_live_entity_free(e);
    }
}

#[test]
fn error_documents_read_field_by_field() {
    let sb = sandbox();
    let c = TestClient::for_sandbox(&sb);
    let out = c.reset("missing");
    assert_eq!(out.status, S::NotFound);
    let json = CString::new(out.json).unwrap();
    let mut err: *mut UizaError = ptr::null_mut();
    unsafe {
        assert_eq!(uiza_error_parse(json.as_ptr(), &mut err), S::Ok);
        assert_eq!(
            text(uiza_error_message(err)).as_deref(),
            Some("The live entity you requested does not exist.")
        );
        assert_eq!(
            text(uiza_error_type(err)).as_deref(),
            Some("invalid_request_error")
        );
        assert_eq!(uiza_error_http_status(err), 404);
        uiza_error_free(err);
    }
    let client_side =
        CString::new(r#"{"message":"m","error_type":"timeout","http_status":null}"#).unwrap();
    unsafe {
        assert_eq!(uiza_error_parse(client_side.as_ptr(), &mut err), S::Ok);
        assert_eq!(uiza_error_http_status(err), -1);
        uiza_error_free(err);
    }
}
