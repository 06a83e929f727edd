//! The exported C functions fed arbitrary bytes as C strings, the way a C
//! caller could. No real network: a reset either fails validation before
//! any request, or goes to a closed loopback port with a 1 ms budget.
#![no_main]

use std::ffi::{c_char, CStr, CString};
use std::ptr;

use libfuzzer_sys::fuzz_target;
use uiza::ffi::boundary::TEST_PANIC_ID;
use uiza::ffi::client::*;
use uiza::ffi::entity::*;
use uiza::ffi::error_info::*;
use uiza::ffi::library::*;
use uiza::UizaStatus as S;

/// Nothing listens there (port 9, discard, is not served on CI machines;
/// if it were, the 1 ms budget still ends the call).
const NOWHERE: &CStr = c"http://127.0.0.1:9";

/// The oracle for ids, written from the documented rule rather than with
/// the library's own check: 1 to 256 bytes, each an RFC 3986 unreserved
/// character (`A-Z a-z 0-9 - . _ ~`), and neither "." nor "..".
fn id_is_valid(id: &[u8]) -> bool {
    (1..=256).contains(&id.len())
        && id
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
        && id != b"."
        && id != b".."
}

/// The oracle for API keys, from the documented rule: non-empty printable
/// ASCII without whitespace, i.e. bytes 0x21 to 0x7E; no length limit.
fn api_key_is_valid(key: &[u8]) -> bool {
    !key.is_empty() && key.iter().all(|b| (0x21..=0x7e).contains(b))
}

/// A string the library returned: valid UTF-8, NUL-terminated.
unsafe fn text<'a>(p: *const c_char) -> Option<&'a str> {
    (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_str().expect("UTF-8"))
}

/// Takes an out_json string: a JSON document; an error one must parse with
/// uiza_error_parse. (Whether it shows the API key is checked by the
/// integration tests with a distinctive key: a substring check here would
/// only teach the fuzzer to use a piece of the document as the key.)
unsafe fn take_json(status: S, out: *mut c_char) {
    let json = unsafe { text(out) }
        .expect("out_json is always set")
        .to_owned();
    let doc: serde_json::Value = serde_json::from_str(&json).expect("out_json is JSON");
    if status != S::Ok {
        assert!(
            doc["error_type"].as_str().is_some_and(|t| !t.is_empty()),
            "{json}"
        );
        let mut err = ptr::null_mut();
        assert_eq!(unsafe { uiza_error_parse(out, &mut err) }, S::Ok, "{json}");
        assert!(unsafe { text(uiza_error_message(err)) }.is_some());
        unsafe { uiza_error_free(err) };
    }
    unsafe { uiza_string_free(out) };
}

unsafe fn parse_entity(json: &CStr) {
    let mut entity = ptr::null_mut();
    let status = unsafe { uiza_live_entity_parse(json.as_ptr(), &mut entity) };
    if status != S::Ok {
        assert!(matches!(status, S::InvalidArgument | S::InvalidResponse));
        assert!(entity.is_null());
        return;
    }
    let fields = [
        uiza_live_entity_ingest_key,
        uiza_live_entity_ingest_url,
        uiza_live_entity_id,
        uiza_live_entity_name,
        uiza_live_entity_description,
        uiza_live_entity_playback_hls,
        uiza_live_entity_region,
        uiza_live_entity_status,
        uiza_live_entity_created_at,
        uiza_live_entity_updated_at,
    ];
    for field in fields {
        let _ = unsafe { text(field(entity)) };
    }
    // Only an entity in `init` state, `"ingest": null`, has no key yet.
    let has_key = unsafe { text(uiza_live_entity_ingest_key(entity)) }.is_some();
    assert!(has_key || ingest_is_null(json), "{json:?}");
    let mut flag = false;
    unsafe {
        uiza_live_entity_dvr(entity, &mut flag);
        uiza_live_entity_encode(entity, &mut flag);
        uiza_live_entity_free(entity);
    }
}

/// Read with serde_json rather than the library's own entity type, so the
/// oracle does not share the code it checks.
fn ingest_is_null(json: &CStr) -> bool {
    serde_json::from_slice::<serde_json::Value>(json.to_bytes())
        .is_ok_and(|doc| doc.get("ingest").is_some_and(|i| i.is_null()))
}

unsafe fn parse_error(json: &CStr) {
    let mut err = ptr::null_mut();
    match unsafe { uiza_error_parse(json.as_ptr(), &mut err) } {
        S::Ok => unsafe {
            assert!(text(uiza_error_message(err)).is_some());
            assert!(text(uiza_error_type(err)).is_some());
            let code = uiza_error_http_status(err);
            assert!(code == -1 || (0..=65535).contains(&code));
            uiza_error_free(err);
        },
        status => {
            assert_eq!(status, S::InvalidArgument);
            assert!(err.is_null());
        }
    }
}

// Input layout: 4 bytes of status number, then NUL-separated parts: a
// document / API key, a base URL, an id.
fuzz_target!(|data: &[u8]| {
    let (head, rest) = data.split_at(data.len().min(4));
    let mut n = [0u8; 4];
    n[..head.len()].copy_from_slice(head);
    let described = unsafe { text(uiza_status_str(i32::from_le_bytes(n))) };
    assert!(described.is_some_and(|s| !s.is_empty()));

    let mut parts = rest.split(|b| *b == 0).map(|p| CString::new(p).unwrap());
    let first = parts.next().unwrap_or_default();
    let url = parts.next().unwrap_or_default();
    let id = parts.next().unwrap_or_default();
    if id.as_bytes() == TEST_PANIC_ID.as_bytes() {
        // The debug-build panic hook; libFuzzer aborts on any panic, even a
        // caught one.
        return;
    }
    let id_valid = id_is_valid(id.as_bytes());

    unsafe {
        parse_entity(&first);
        parse_error(&first);

        let client = uiza_client_new(first.as_ptr());
        assert_eq!(client.is_null(), !api_key_is_valid(first.as_bytes()));
        if !client.is_null() {
            let status = uiza_client_set_base_url(client, url.as_ptr());
            assert!(matches!(status, S::Ok | S::InvalidArgument));
            // Whatever URL was accepted, the request goes nowhere.
            assert_eq!(uiza_client_set_base_url(client, NOWHERE.as_ptr()), S::Ok);
            assert_eq!(uiza_client_set_timeout_ms(client, 1), S::Ok);
            assert_eq!(uiza_client_set_max_retries(client, 0), S::Ok);
            let mut out = ptr::null_mut();
            let status = uiza_client_reset_stream_key(client, id.as_ptr(), &mut out);
            if id_valid {
                assert!(
                    matches!(status, S::ConnectionFailed | S::Timeout),
                    "{status:?}"
                );
            } else {
                assert_eq!(status, S::InvalidArgument);
            }
            take_json(status, out);
            uiza_client_free(client);
        }

        // The one-shot client talks to the real API: only its refusals.
        if !id_valid || client.is_null() {
            let mut out = ptr::null_mut();
            let status = uiza_reset_stream_key(first.as_ptr(), id.as_ptr(), &mut out);
            assert_eq!(status, S::InvalidArgument);
            take_json(status, out);
        }
    }
});
