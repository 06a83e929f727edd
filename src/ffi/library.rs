//! Library-wide functions: strings, status names, version.

use std::ffi::c_char;
#[cfg(test)]
use std::ffi::CStr;

use super::boundary::guard;
use super::c_strings::free_string;
use crate::core::UizaStatus;

/// Frees a string the library returned through `out_json`. NULL is a
/// no-op. Never pass it to `free()` yourself, and never pass this function
/// a string from anywhere else.
///
/// Safety: `s` is NULL or came from this library and was not freed before.
#[no_mangle]
pub unsafe extern "C" fn uiza_string_free(s: *mut c_char) {
    // SAFETY: the caller promised `s` is NULL or a string this library
    // returned (allocated by `malloc_string`) and not freed before.
    guard((), || unsafe { free_string(s) })
}

/// A short, static, human-readable description of a status, such as
/// "not found (HTTP 404)". Never NULL, for any value: out-of-range values
/// give "unknown status". Do not free it.
///
/// The parameter is an `int32_t` rather than a `UizaStatus` so that any
/// integer can be passed safely.
#[no_mangle]
pub extern "C" fn uiza_status_str(status: i32) -> *const c_char {
    guard(c"unknown status".as_ptr(), || {
        UizaStatus::from_i32(status)
            .map_or(c"unknown status", UizaStatus::description)
            .as_ptr()
    })
}

/// The library's version, such as "0.3.0". Static; do not free it.
#[no_mangle]
pub extern "C" fn uiza_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr() as *const c_char
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_has_a_distinct_string_and_unknowns_are_safe() {
        let mut seen = std::collections::HashSet::new();
        for s in UizaStatus::all() {
            let p = uiza_status_str(s as i32);
            assert!(!p.is_null());
            assert!(seen.insert(unsafe { CStr::from_ptr(p) }.to_owned()));
        }
        for v in [-1, 15, i32::MIN, i32::MAX] {
            let p = uiza_status_str(v);
            assert_eq!(unsafe { CStr::from_ptr(p) }, c"unknown status");
        }
    }

    #[test]
    fn version_matches_the_package() {
        let v = unsafe { CStr::from_ptr(uiza_version()) };
        assert_eq!(v.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
    }
}
