//! Conversions between C strings and Rust, and the allocation of the
//! strings the library hands out.
//!
//! Strings handed out are allocated with `malloc` and released with `free`
//! by `uiza_string_free`, so that releasing one never depends on its length
//! (which a caller might have changed by writing into it).

use std::ffi::{c_char, CStr};
use std::ptr;

use crate::core::Error;

/// Borrows a NUL-terminated UTF-8 argument. `what` names the parameter in
/// the error message.
///
/// Safety: `ptr` is NULL or points to a NUL-terminated string that stays valid and
/// unmodified for `'a`.
pub(crate) unsafe fn str_arg<'a>(ptr: *const c_char, what: &str) -> Result<&'a str, Error> {
    if ptr.is_null() {
        return Err(Error::invalid_argument(format!("{what} is NULL")));
    }
    // SAFETY: non-NULL and NUL-terminated per the caller's contract.
    let bytes = unsafe { CStr::from_ptr(ptr) };
    bytes
        .to_str()
        .map_err(|_| Error::invalid_argument(format!("{what} is not valid UTF-8")))
}

/// Like [`str_arg`] for an optional argument: NULL is `None`.
///
/// Safety: As for [`str_arg`].
pub(crate) unsafe fn opt_str_arg<'a>(
    ptr: *const c_char,
    what: &str,
) -> Result<Option<&'a str>, Error> {
    if ptr.is_null() {
        return Ok(None);
    }
    // SAFETY: non-NULL here, so the caller's promise for `ptr` is exactly
    // `str_arg`'s: NUL-terminated and valid for `'a`.
    unsafe { str_arg(ptr, what) }.map(Some)
}

/// Copies `s` into a new `malloc`ed, NUL-terminated string; NULL when out
/// of memory. `s` must not contain NUL (JSON text never does).
pub(crate) fn malloc_string(s: &str) -> *mut c_char {
    let len = s.len();
    // SAFETY: malloc with a non-zero size; the result is checked for NULL.
    let dst = unsafe { libc::malloc(len + 1) } as *mut u8;
    if dst.is_null() {
        return ptr::null_mut();
    }
    // SAFETY: `dst` has room for len + 1 bytes and does not overlap `s`.
    unsafe {
        ptr::copy_nonoverlapping(s.as_ptr(), dst, len);
        *dst.add(len) = 0;
    }
    dst as *mut c_char
}

/// Releases a string from [`malloc_string`]; NULL is a no-op.
///
/// Safety: `s` is NULL or came from [`malloc_string`] and was not freed before.
pub(crate) unsafe fn free_string(s: *mut c_char) {
    // SAFETY: the caller promised `s` is NULL (a no-op for free) or came
    // from `malloc_string`, i.e. from libc's malloc, and was not freed.
    unsafe { libc::free(s as *mut libc::c_void) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments() {
        assert!(unsafe { str_arg(ptr::null(), "id") }
            .unwrap_err()
            .message
            .contains("id is NULL"));
        let bad = b"\xff\xfe\0";
        assert!(unsafe { str_arg(bad.as_ptr() as *const c_char, "id") }.is_err());
        let good = c"hello";
        assert_eq!(unsafe { str_arg(good.as_ptr(), "id") }.unwrap(), "hello");
    }

    #[test]
    fn strings_round_trip_through_malloc() {
        for s in ["", "x", "{\"a\":1}"] {
            let p = malloc_string(s);
            assert!(!p.is_null());
            assert_eq!(unsafe { CStr::from_ptr(p) }.to_str().unwrap(), s);
            unsafe { free_string(p) };
        }
        unsafe { free_string(ptr::null_mut()) };
    }
}
