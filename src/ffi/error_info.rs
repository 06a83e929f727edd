//! `UizaError`: typed access to an error document, a convenience for C
//! callers. It is built from `out_json`, not from thread-local state, so it
//! works the same when cgo moves a goroutine between threads.

use std::ffi::{c_char, CString};

use super::boundary::guard;
use super::c_strings::str_arg;
use super::outputs::{free_object, object_call, owned_str};
use crate::core::{Error, ErrorDocument, UizaStatus};

/// A parsed error document. Its strings are owned by it and stay valid
/// until `uiza_error_free()`.
///
/// Thread safety: immutable once parsed; any number of threads may read
/// it at once, and it must not be freed while one still does.
pub struct UizaError {
    message: CString,
    error_type: CString,
    http_status: Option<u16>,
}

/// Parses the error document that a failed call left in `out_json`.
///
/// Returns `UIZA_STATUS_OK` and sets `*out` to an error to free with
/// `uiza_error_free()`. Otherwise `*out` is set to NULL (when `out` is not
/// NULL) and the status is `UIZA_STATUS_INVALID_ARGUMENT`.
///
/// Safety: `json` is NULL or a NUL-terminated string; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn uiza_error_parse(
    json: *const c_char,
    out: *mut *mut UizaError,
) -> UizaStatus {
    // SAFETY: the caller promised `json` NULL or NUL-terminated and `out`
    // NULL or writable; `object_call` and `str_arg` check for NULL.
    unsafe {
        object_call(out, || {
            let doc = ErrorDocument::parse(str_arg(json, "json")?.as_bytes())?;
            let c = |s: String| {
                CString::new(s)
                    .map_err(|_| Error::invalid_argument("the document contains a NUL character"))
            };
            Ok(UizaError {
                message: c(doc.message)?,
                error_type: c(doc.error_type)?,
                http_status: doc.http_status,
            })
        })
    }
}

/// The human-readable message, such as "The live entity you requested
/// does not exist.". NULL only for a NULL error.
///
/// Safety: `error` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn uiza_error_message(error: *const UizaError) -> *const c_char {
    // SAFETY: the caller promised `error` is NULL or a live `UizaError`;
    // the string returned lives as long as it.
    unsafe { owned_str(error, |e| Some(&e.message)) }
}

/// The machine-readable type: the API's own (such as
/// "invalid_request_error") or the library's (such as "timeout",
/// "connection_error", "tls_error", "invalid_argument"). NULL only for a
/// NULL error.
///
/// Safety: `error` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn uiza_error_type(error: *const UizaError) -> *const c_char {
    // SAFETY: as for `uiza_error_message`.
    unsafe { owned_str(error, |e| Some(&e.error_type)) }
}

/// The HTTP status of the response the error came with, or -1 when there
/// was none (the request failed before a response, or `error` is NULL).
///
/// Safety: `error` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn uiza_error_http_status(error: *const UizaError) -> i32 {
    guard(-1, || {
        // SAFETY: the caller promised `error` is NULL or a live Box from
        // `uiza_error_parse`; `as_ref` maps NULL to None.
        unsafe { error.as_ref() }
            .and_then(|e| e.http_status)
            .map_or(-1, i32::from)
    })
}

/// Frees an error. NULL is a no-op.
///
/// Safety: `error` is NULL or came from `uiza_error_parse()` and was not freed
/// before.
#[no_mangle]
pub unsafe extern "C" fn uiza_error_free(error: *mut UizaError) {
    // SAFETY: the caller promised `error` is NULL or a Box from
    // `uiza_error_parse` that nobody else frees or uses now.
    unsafe { free_object(error) }
}

#[cfg(test)]
mod tests {
    use std::ffi::CStr;
    use std::ptr;

    use super::*;

    #[test]
    fn parse_read_and_free() {
        let json = cr#"{"message":"m","error_type":"t","http_status":404}"#;
        let mut err = ptr::null_mut();
        assert_eq!(
            unsafe { uiza_error_parse(json.as_ptr(), &mut err) },
            UizaStatus::Ok
        );
        unsafe {
            assert_eq!(CStr::from_ptr(uiza_error_message(err)), c"m");
            assert_eq!(CStr::from_ptr(uiza_error_type(err)), c"t");
            assert_eq!(uiza_error_http_status(err), 404);
            uiza_error_free(err);
        }
        let json = cr#"{"message":"m","error_type":"t","http_status":null}"#;
        assert_eq!(
            unsafe { uiza_error_parse(json.as_ptr(), &mut err) },
            UizaStatus::Ok
        );
        unsafe {
            assert_eq!(uiza_error_http_status(err), -1);
            uiza_error_free(err);
            uiza_error_free(ptr::null_mut());
            assert!(uiza_error_message(ptr::null()).is_null());
            assert_eq!(uiza_error_http_status(ptr::null()), -1);
        }
    }

    #[test]
    fn refusals_leave_null() {
        for json in [
            c"",
            c"{}",
            c"\xff",
            cr#"{"message":"a\u0000b","error_type":"t"}"#,
        ] {
            let mut err: *mut UizaError = ptr::dangling_mut();
            let status = unsafe { uiza_error_parse(json.as_ptr(), &mut err) };
            assert_eq!(status, UizaStatus::InvalidArgument, "{json:?}");
            assert!(err.is_null());
        }
    }
}
