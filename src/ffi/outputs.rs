//! Out-parameters: how results reach the caller. Every exported function
//! that produces something writes it here, last, once the outcome is known.

use std::ffi::{c_char, CString};
use std::ptr;

use super::boundary::{guard, guard_result};
use super::c_strings::malloc_string;
use crate::core::{Error, UizaStatus};

/// Writes `value` through an out-pointer that was checked to be non-NULL.
///
/// Safety: `out` is non-NULL, aligned and writable.
pub(crate) unsafe fn write_out<T>(out: *mut T, value: T) {
    // SAFETY: the caller checked `out` for NULL and the C caller promised
    // it is aligned and writable. `write` does not drop the old value,
    // which is whatever garbage the C caller left there.
    unsafe { out.write(value) }
}

/// Runs a call that answers with a JSON document: on success the body, on
/// failure the error document, always written to `*out_json` (as a string
/// for `uiza_string_free`). A NULL `out_json` is refused up front.
///
/// Safety: `out_json` is NULL or aligned and writable.
pub(crate) unsafe fn json_call(
    out_json: *mut *mut c_char,
    call: impl FnOnce() -> Result<String, Error>,
) -> UizaStatus {
    if out_json.is_null() {
        return UizaStatus::InvalidArgument;
    }
    let (status, doc) = match guard_result(call) {
        Ok(body) => (UizaStatus::Ok, body),
        Err(e) => (e.status, e.to_json()),
    };
    let copy = malloc_string(&doc);
    // SAFETY: checked non-NULL above.
    unsafe { write_out(out_json, copy) };
    if copy.is_null() {
        UizaStatus::Internal
    } else {
        status
    }
}

/// Runs a call that produces nothing but may fail: on failure `*out_json`
/// (if `out_json` is not NULL) is the error document, on success NULL.
/// Unlike [`json_call`], `out_json` is optional: a caller that only wants
/// the status passes NULL.
///
/// Safety: `out_json` is NULL or aligned and writable.
pub(crate) unsafe fn status_call(
    out_json: *mut *mut c_char,
    call: impl FnOnce() -> Result<(), Error>,
) -> UizaStatus {
    let (status, doc) = match guard_result(call) {
        Ok(()) => (UizaStatus::Ok, ptr::null_mut()),
        Err(e) => (e.status, malloc_string(&e.to_json())),
    };
    if out_json.is_null() {
        // SAFETY: `doc` came from `malloc_string` (or is NULL) and is not
        // handed to anyone.
        unsafe { super::c_strings::free_string(doc) };
    } else {
        // SAFETY: checked non-NULL.
        unsafe { write_out(out_json, doc) };
    }
    status
}

/// Runs a call that builds an object: on success `*out` owns it (freed by
/// the matching `_free` function), on failure `*out` is NULL. A NULL `out`
/// is refused up front.
///
/// Safety: `out` is NULL or aligned and writable.
pub(crate) unsafe fn object_call<T>(
    out: *mut *mut T,
    build: impl FnOnce() -> Result<T, Error>,
) -> UizaStatus {
    if out.is_null() {
        return UizaStatus::InvalidArgument;
    }
    let (status, value) = match guard_result(build) {
        Ok(object) => (UizaStatus::Ok, Box::into_raw(Box::new(object))),
        Err(e) => (e.status, ptr::null_mut()),
    };
    // SAFETY: checked non-NULL above.
    unsafe { write_out(out, value) };
    status
}

/// Borrows a string that an object owns, for an accessor that hands it to
/// C; NULL for a NULL object or an absent field.
///
/// Safety: `object` is NULL or a live pointer to a `T`.
pub(crate) unsafe fn owned_str<T>(
    object: *const T,
    field: impl FnOnce(&T) -> Option<&CString>,
) -> *const c_char {
    guard(ptr::null(), || {
        // SAFETY: the caller promised `object` is NULL or a live `T` (a Box
        // this library handed out); `as_ref` maps NULL to None.
        unsafe { object.as_ref() }
            .and_then(field)
            .map_or(ptr::null(), |s| s.as_ptr())
    })
}

/// Frees an object that [`object_call`] or a constructor handed out as a
/// `Box`; NULL is a no-op. Every `uiza_*_free` function is this.
///
/// Safety: `object` is NULL, or a pointer from `Box::into_raw` that was not freed
/// before and that no other thread still uses.
pub(crate) unsafe fn free_object<T>(object: *mut T) {
    guard((), || {
        if !object.is_null() {
            // SAFETY: the caller promised `object` is a Box this library
            // handed out, not freed before and used by no one else now: this
            // is its last owner.
            drop(unsafe { Box::from_raw(object) });
        }
    })
}

#[cfg(test)]
mod tests {
    use std::ffi::CStr;

    use super::*;
    use crate::ffi::c_strings::free_string;

    /// Reads and frees a string written by `json_call`.
    fn take(out: *mut c_char) -> String {
        assert!(!out.is_null());
        let s = unsafe { CStr::from_ptr(out) }.to_str().unwrap().to_owned();
        unsafe { free_string(out) };
        s
    }

    #[test]
    fn json_call_writes_the_body_the_error_or_the_caught_panic() {
        let mut out: *mut c_char = ptr::null_mut();
        let status = unsafe { json_call(&mut out, || Ok(r#"{"a":1}"#.to_owned())) };
        assert_eq!(
            (status, take(out)),
            (UizaStatus::Ok, r#"{"a":1}"#.to_owned())
        );

        let status = unsafe { json_call(&mut out, || Err(Error::invalid_argument("id is empty"))) };
        assert_eq!(status, UizaStatus::InvalidArgument);
        assert!(take(out).contains(r#""message":"id is empty""#));

        let status = unsafe { json_call(&mut out, || panic!("boom")) };
        assert_eq!(status, UizaStatus::Internal);
        assert!(take(out).contains("internal_error"));

        let status = unsafe { json_call(ptr::null_mut(), || Ok(String::new())) };
        assert_eq!(status, UizaStatus::InvalidArgument);
    }

    #[test]
    fn object_call_hands_out_a_box_or_null() {
        let mut out: *mut u64 = ptr::null_mut();
        assert_eq!(
            unsafe { object_call(&mut out, || Ok(7u64)) },
            UizaStatus::Ok
        );
        assert_eq!(unsafe { *out }, 7);
        drop(unsafe { Box::from_raw(out) });

        // Whatever the caller left in `*out` is overwritten, never read.
        for build in [
            (|| Err(Error::invalid_argument("no"))) as fn() -> Result<u64, Error>,
            || panic!("boom"),
        ] {
            let mut out: *mut u64 = ptr::dangling_mut();
            assert_ne!(unsafe { object_call(&mut out, build) }, UizaStatus::Ok);
            assert!(out.is_null());
        }
        let status = unsafe { object_call(ptr::null_mut::<*mut u64>(), || Ok(1u64)) };
        assert_eq!(status, UizaStatus::InvalidArgument);
    }
}
