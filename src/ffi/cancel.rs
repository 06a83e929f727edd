//! `UizaCancelToken`: how a caller stops its calls.

use std::ptr;

use super::boundary::guard;
use super::outputs::free_object;
use crate::core::CancelToken;

/// A cancel token: a flag that stops the calls it is given.
///
/// Create it with `uiza_cancel_token_new()`, pass it to any number of
/// calls, raise it with `uiza_cancel_token_cancel()`, and free it with
/// `uiza_cancel_token_free()`. A token cannot be reset: use a new one for
/// new calls.
///
/// Thread safety: every function on a token may be called from any thread
/// at once, and `uiza_cancel_token_cancel()` also from inside a callback.
/// A token may be freed while calls that use it are still in flight (they
/// keep their own reference); it must not be freed while another thread is
/// still inside a `uiza_cancel_token_*` function on it.
pub struct UizaCancelToken {
    token: CancelToken,
}

/// Borrows the token behind a pointer; NULL is no token.
///
/// Safety: `token` is NULL or a live pointer from `uiza_cancel_token_new`.
pub(crate) unsafe fn token_ref<'a>(token: *const UizaCancelToken) -> Option<&'a CancelToken> {
    // SAFETY: the caller promised `token` is NULL or from
    // `uiza_cancel_token_new` (a Box, so aligned and initialised) and not
    // yet freed; `as_ref` maps NULL to None.
    unsafe { token.as_ref() }.map(|t| &t.token)
}

/// Creates a cancel token. Returns NULL only if memory runs out. Free it
/// with `uiza_cancel_token_free()`.
#[no_mangle]
pub extern "C" fn uiza_cancel_token_new() -> *mut UizaCancelToken {
    guard(ptr::null_mut(), || {
        Box::into_raw(Box::new(UizaCancelToken {
            token: CancelToken::new(),
        }))
    })
}

/// Cancels every call that uses `token`, now and later. Never blocks; may
/// be called more than once, from any thread, and from inside a callback.
/// NULL is a no-op.
///
/// Safety: `token` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn uiza_cancel_token_cancel(token: *const UizaCancelToken) {
    guard((), || {
        // SAFETY: the caller promised `token` is NULL or live, which is
        // what `token_ref` requires.
        if let Some(t) = unsafe { token_ref(token) } {
            t.cancel();
        }
    })
}

/// Whether `token` has been cancelled; false for NULL.
///
/// Safety: `token` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn uiza_cancel_token_is_cancelled(token: *const UizaCancelToken) -> bool {
    // SAFETY: as in `uiza_cancel_token_cancel`: `token` is NULL or live.
    guard(false, || {
        unsafe { token_ref(token) }.is_some_and(CancelToken::is_cancelled)
    })
}

/// Frees a token. Calls still using it keep working and can still be
/// cancelled by their client being freed, but no longer through this
/// token. NULL is a no-op.
///
/// Safety: `token` is NULL or came from `uiza_cancel_token_new()` and was
/// not freed before.
#[no_mangle]
pub unsafe extern "C" fn uiza_cancel_token_free(token: *mut UizaCancelToken) {
    // SAFETY: the caller promised `token` is NULL or a Box from
    // `uiza_cancel_token_new` that nobody else frees or uses now. Calls
    // that use the token hold clones of its inner Arc, not the Box.
    unsafe { free_object(token) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_lifecycle_and_nulls() {
        unsafe {
            let t = uiza_cancel_token_new();
            assert!(!t.is_null());
            assert!(!uiza_cancel_token_is_cancelled(t));
            uiza_cancel_token_cancel(t);
            uiza_cancel_token_cancel(t);
            assert!(uiza_cancel_token_is_cancelled(t));
            uiza_cancel_token_free(t);
            uiza_cancel_token_cancel(ptr::null());
            assert!(!uiza_cancel_token_is_cancelled(ptr::null()));
            uiza_cancel_token_free(ptr::null_mut());
        }
    }
}
