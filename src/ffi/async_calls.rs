//! The async calls: the same work as the blocking ones, run on the
//! library's worker threads, with the result handed to a C callback.

use std::ffi::{c_char, c_void, CString};
use std::sync::Arc;
use std::time::Instant;

use super::boundary::{guard, guard_result};
use super::c_strings::{opt_str_arg, str_arg};
use super::cancel::{token_ref, UizaCancelToken};
use super::client::{client_arc, with_rotated, UizaClient};
use crate::core::request_path::EntityId;
use crate::core::{workers, CallLimits, Error, Operation, UizaStatus};

/// The callback of an async call: `user_data` as given, the status, and
/// the JSON document the blocking call would have put in `*out_json` (the
/// entity on `UIZA_STATUS_OK`, the error document otherwise).
///
/// It runs exactly once per call that was accepted, on a library worker
/// thread: never inside the `_async` function, and never while a library
/// lock is held, so it may call any library function, start another async
/// call, or cancel a token. `json` is borrowed until the callback returns:
/// copy what you need, and do not free it. Keep the callback short (hand
/// the result to your UI thread, say): while it runs, its worker runs
/// nothing else.
pub type UizaCallback =
    Option<unsafe extern "C" fn(user_data: *mut c_void, status: UizaStatus, json: *const c_char)>;

/// What an accepted async call will call back.
struct Completion {
    callback: unsafe extern "C" fn(*mut c_void, UizaStatus, *const c_char),
    user_data: *mut c_void,
}

// SAFETY: the header tells callers that the callback runs on a worker
// thread with their `user_data`; handing it there is the documented
// contract, whatever the pointer refers to.
unsafe impl Send for Completion {}

impl Completion {
    fn deliver(self, result: Result<String, Error>) {
        let (status, doc) = match result {
            Ok(body) => (UizaStatus::Ok, body),
            Err(e) => (e.status, e.to_json()),
        };
        // JSON text never holds a NUL; the fallback keeps "exactly once"
        // even if that were ever wrong.
        let json = CString::new(doc).unwrap_or_else(|_| {
            CString::from(c"{\"message\":\"internal error\",\"error_type\":\"internal_error\",\"http_status\":null}")
        });
        // SAFETY: the caller gave this function pointer and promised that
        // it may be called with its user_data from a worker thread.
        unsafe { (self.callback)(self.user_data, status, json.as_ptr()) }
    }
}

/// Checks the arguments, then queues `op` on a worker. The callback runs
/// exactly once if this returns `UIZA_STATUS_OK`, and never otherwise.
///
/// Safety: `client` and `token` are NULL or live; `id` and `current_key` are NULL
/// or NUL-terminated strings.
unsafe fn submit(
    client: *mut UizaClient,
    id: *const c_char,
    current_key: Option<*const c_char>,
    token: *const UizaCancelToken,
    callback: UizaCallback,
    user_data: *mut c_void,
) -> UizaStatus {
    let accepted = guard_result(|| {
        let callback = callback.ok_or_else(|| Error::invalid_argument("callback is NULL"))?;
        // SAFETY: the caller promised `client` is NULL or a live client and
        // `id`/`current_key` are NULL or NUL-terminated; each helper checks for
        // NULL first, and the strings are copied before this returns.
        let client: Arc<UizaClient> = unsafe { client_arc(client) }?;
        let id = unsafe { str_arg(id, "id") }?;
        EntityId::parse(id)?;
        let id = id.to_owned();
        let rotate = current_key.is_some();
        let current_key = match current_key {
            // SAFETY: `current_key` is NULL or NUL-terminated (the caller's
            // promise); it is copied here.
            Some(p) => unsafe { opt_str_arg(p, "current_key") }?.map(str::to_owned),
            None => None,
        };
        let limits = CallLimits {
            // The budget runs from now: time spent queued counts.
            started: Some(Instant::now()),
            // SAFETY: `token` is NULL or live (the caller's promise); the call
            // keeps a clone of its Arc, so the token may be freed at once.
            cancel: unsafe { token_ref(token) }.cloned(),
            budget_cap: None,
        };
        let done = Completion {
            callback,
            user_data,
        };
        let job = Box::new(move || {
            let op = match &current_key {
                _ if !rotate => Operation::Read,
                key => Operation::Rotate {
                    current_key: key.as_deref(),
                },
            };
            let result = guard_result(|| client.call(&id, op, &limits));
            let result = if rotate {
                result.map_err(with_rotated)
            } else {
                result
            };
            // The client reference goes before the callback, so that a
            // client freed during the call is released no later than its
            // last callback returns.
            drop(client);
            done.deliver(result);
        });
        workers::submit(job)
            .map_err(|_| Error::internal("no worker thread could be started for the async call"))
    });
    match accepted {
        Ok(()) => UizaStatus::Ok,
        Err(e) => e.status,
    }
}

/// `uiza_client_rotate_stream_key()` without blocking: the rotation runs on
/// a library worker thread and `callback` receives its outcome.
///
/// Returns `UIZA_STATUS_OK` if the call was accepted: `callback` then runs
/// exactly once, later, on a worker thread (never inside this function).
/// Any other status (a NULL client or callback, an invalid id or
/// `current_key`) means it was refused and `callback` never runs.
///
/// The call's budget starts now, so time spent queued behind other calls
/// counts, and `token` is honoured while it is queued too. `id`,
/// `current_key` and `token` may be freed as soon as this returns.
///
/// Safety: `client` and `token` are NULL or live; `id` and `current_key`
/// are NULL or NUL-terminated strings. `user_data` is passed to `callback`
/// as is, from a worker thread.
#[no_mangle]
pub unsafe extern "C" fn uiza_client_rotate_stream_key_async(
    client: *mut UizaClient,
    id: *const c_char,
    current_key: *const c_char,
    token: *const UizaCancelToken,
    callback: UizaCallback,
    user_data: *mut c_void,
) -> UizaStatus {
    // SAFETY: the caller promised the pointer rules `submit` needs (the
    // same Safety paragraph); `submit` copies what it keeps.
    unsafe { submit(client, id, Some(current_key), token, callback, user_data) }
}

/// `uiza_client_get_live_entity()` without blocking, with the same rules
/// as `uiza_client_rotate_stream_key_async()`. A cancelled read ends within
/// a fraction of a second, even mid-response, with `UIZA_STATUS_CANCELLED`.
///
/// Safety: as for `uiza_client_rotate_stream_key_async()`.
#[no_mangle]
pub unsafe extern "C" fn uiza_client_get_live_entity_async(
    client: *mut UizaClient,
    id: *const c_char,
    token: *const UizaCancelToken,
    callback: UizaCallback,
    user_data: *mut c_void,
) -> UizaStatus {
    // SAFETY: as above; `None` makes `submit` read no `current_key`.
    unsafe { submit(client, id, None, token, callback, user_data) }
}

/// Sets how many worker threads the library may run at once for async
/// calls, process-wide (default 4; 0 is refused with
/// `UIZA_STATUS_INVALID_ARGUMENT`). Calls beyond the bound wait in a queue,
/// in order, with their budgets and tokens running. Workers are started
/// on demand and exit after 10 s without work, so an idle process has no
/// library threads. Lowering the bound lets busy workers finish their
/// call first.
#[no_mangle]
pub extern "C" fn uiza_set_max_worker_threads(max: u32) -> UizaStatus {
    guard(UizaStatus::Internal, || {
        if max == 0 {
            return UizaStatus::InvalidArgument;
        }
        workers::set_max_workers(max);
        UizaStatus::Ok
    })
}

#[cfg(test)]
mod tests {
    use std::ffi::CStr;
    use std::ptr;
    use std::sync::mpsc::{channel, Sender};
    use std::time::Duration;

    use super::*;
    use crate::ffi::cancel::{
        uiza_cancel_token_cancel, uiza_cancel_token_free, uiza_cancel_token_new,
    };
    use crate::ffi::client::{uiza_client_free, uiza_client_new};

    unsafe extern "C" fn record(user_data: *mut c_void, status: UizaStatus, json: *const c_char) {
        let tx = unsafe { &*(user_data as *const Sender<(UizaStatus, String)>) };
        let json = unsafe { CStr::from_ptr(json) }.to_str().unwrap().to_owned();
        tx.send((status, json)).unwrap();
    }

    /// Runs without a network (Miri has none): the call is cancelled before
    /// it sends anything, and its client and token are freed while it is
    /// queued. The callback still runs exactly once, on a worker.
    #[test]
    fn callback_runs_once_after_client_and_token_are_freed() {
        let (tx, rx) = channel::<(UizaStatus, String)>();
        let user_data = &tx as *const Sender<_> as *mut c_void;
        unsafe {
            let client = uiza_client_new(c"uap-test-key".as_ptr());
            let token = uiza_cancel_token_new();
            // Refused calls never call back: no callback, no client, a bad id.
            let refused: [&dyn Fn() -> UizaStatus; 3] = [
                &|| {
                    uiza_client_rotate_stream_key_async(
                        client,
                        c"e".as_ptr(),
                        ptr::null(),
                        token,
                        None,
                        user_data,
                    )
                },
                &|| {
                    uiza_client_get_live_entity_async(
                        ptr::null_mut(),
                        c"e".as_ptr(),
                        token,
                        Some(record),
                        user_data,
                    )
                },
                &|| {
                    uiza_client_get_live_entity_async(
                        client,
                        c"a/b".as_ptr(),
                        token,
                        Some(record),
                        user_data,
                    )
                },
            ];
            for call in refused {
                assert_eq!(call(), UizaStatus::InvalidArgument);
            }
            uiza_cancel_token_cancel(token);
            assert_eq!(
                uiza_client_rotate_stream_key_async(
                    client,
                    c"e".as_ptr(),
                    ptr::null(),
                    token,
                    Some(record),
                    user_data
                ),
                UizaStatus::Ok
            );
            uiza_cancel_token_free(token);
            uiza_client_free(client);
        }
        let (status, json) = rx.recv_timeout(Duration::from_secs(60)).unwrap();
        assert_eq!(status, UizaStatus::Cancelled);
        assert!(json.contains(r#""rotated":false"#), "{json}");
        assert!(
            rx.recv_timeout(Duration::from_millis(100)).is_err(),
            "exactly once"
        );
        // Leave no worker behind for the next test (or Miri's leak check).
        while workers::live_workers() > 0 {
            std::thread::sleep(Duration::from_millis(50));
        }
        assert_eq!(uiza_set_max_worker_threads(0), UizaStatus::InvalidArgument);
    }
}
