//! `uiza_client_configure` changes settings all at once or not at all, and
//! `uiza_client_create` and `uiza_client_configure` hand back the library's
//! own error document.

mod support;

use std::ffi::{c_char, CString};
use std::ptr;

use support::*;
use uiza::ffi::client::*;
use uiza::UizaStatus as S;

fn configure(c: &TestClient, json: &str) -> (S, Option<Outcome>) {
    let json = CString::new(json).unwrap();
    let mut out: *mut c_char = ptr::null_mut();
    let status = unsafe { uiza_client_configure(c.ptr(), json.as_ptr(), &mut out) };
    let doc = (!out.is_null()).then(|| Outcome::take(status, out));
    (status, doc)
}

#[test]
fn a_change_is_all_or_nothing() {
    let sb = sandbox();
    let other = sandbox();
    let c = TestClient::for_sandbox(&sb);

    // One bad member: nothing changes, and the document says which.
    let (status, doc) = configure(
        &c,
        &format!(r#"{{"base_url":"{}","timeout_ms":0}}"#, other.base_url()),
    );
    assert_eq!(status, S::InvalidArgument);
    assert!(doc.unwrap().message().contains("at least 1 ms"));
    assert_eq!(c.reset(SEED_ENTITY_ID).status, S::Ok);
    assert_eq!((sb.stats().resets, other.stats().resets), (1, 0));

    // All good: all applied.
    let (status, doc) = configure(
        &c,
        &format!(
            r#"{{"base_url":"{}","timeout_ms":4000,"max_retries":0}}"#,
            other.base_url()
        ),
    );
    assert_eq!((status, doc.is_none()), (S::Ok, true));
    other.push_fault(fault(r#"{"kind":"status","status":503}"#));
    assert_eq!(
        c.reset(SEED_ENTITY_ID).status,
        S::ServerError,
        "max_retries 0 applied"
    );
    assert_eq!(c.reset(SEED_ENTITY_ID).status, S::Ok);
    assert_eq!((sb.stats().resets, other.stats().resets), (1, 1));
}

#[test]
fn create_says_why_a_key_is_refused() {
    for (key, says) in [("", "api_key is empty"), ("two words", "printable ASCII")] {
        let key = CString::new(key).unwrap();
        let mut client = ptr::null_mut();
        let mut out: *mut c_char = ptr::null_mut();
        let status = unsafe { uiza_client_create(key.as_ptr(), &mut client, &mut out) };
        assert!(client.is_null());
        let doc = Outcome::take(status, out);
        assert_eq!(doc.status, S::InvalidArgument);
        assert!(doc.message().contains(says), "{}", doc.json);
    }
}
