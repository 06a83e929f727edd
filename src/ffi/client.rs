//! `UizaClient` and the reset calls.

use std::ffi::c_char;
use std::path::Path;
use std::ptr;
use std::time::Duration;

use super::boundary::{guard, test_hook};
use super::c_strings::str_arg;
use super::outputs::{free_object, json_call};
use crate::core::default_client::default_client;
use crate::core::{ApiKey, Client, Error, UizaStatus};

/// A client bound to one API key: its settings and a pool of keep-alive
/// connections.
///
/// Thread safety: a `UizaClient` may be used by any number of threads at
/// once, setters included; it needs no locking by the caller. It must not be
/// freed while another thread is still inside a call that uses it.
///
/// Threads: calls run on the caller's thread. The only thread the library
/// starts is a short-lived one that looks a host name up (so that a hung
/// DNS server cannot outlast the call's budget), at most once a minute per
/// client and host. A base URL with an IP literal (`http://127.0.0.1:8080`)
/// is never looked up.
///
/// Create it with `uiza_client_new()` and release it with
/// `uiza_client_free()`. The API key it holds is wiped from memory when it
/// is freed.
pub struct UizaClient {
    api_key: ApiKey,
    client: Client,
}

/// Borrows the client behind a pointer, or explains why there is none.
///
/// # Safety
/// `client` is NULL or a live pointer from `uiza_client_new`.
unsafe fn client_ref<'a>(client: *const UizaClient) -> Result<&'a UizaClient, Error> {
    // SAFETY: per the contract, non-NULL means live.
    unsafe { client.as_ref() }.ok_or_else(|| Error::invalid_argument("client is NULL"))
}

/// Applies one setting to the client behind `client`: the body of every
/// `uiza_client_set_*` function. A NULL client is refused before `apply`
/// reads its own arguments.
///
/// # Safety
/// `client` is NULL or a live pointer from `uiza_client_new`.
unsafe fn configure(
    client: *mut UizaClient,
    apply: impl FnOnce(&Client) -> Result<(), Error>,
) -> UizaStatus {
    guard(UizaStatus::Internal, || {
        // SAFETY: per the contract.
        match unsafe { client_ref(client) }.and_then(|c| apply(&c.client)) {
            Ok(()) => UizaStatus::Ok,
            Err(e) => e.status,
        }
    })
}

/// Creates a client that authenticates with `api_key`.
///
/// The key must be non-empty printable ASCII without whitespace; it is
/// copied, so the caller may free its string afterwards. The base URL is
/// `https://api.uiza.sh` (the `UIZA_BASE_URL` variable does not apply
/// here; use `uiza_client_set_base_url()`), the timeout 30000 ms and the
/// retries 2.
///
/// Returns NULL if `api_key` is NULL or invalid. Free the client with
/// `uiza_client_free()`.
///
/// # Safety
/// `api_key` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn uiza_client_new(api_key: *const c_char) -> *mut UizaClient {
    guard(ptr::null_mut(), || {
        // SAFETY: per the contract.
        let key = unsafe { str_arg(api_key, "api_key") }.and_then(ApiKey::parse);
        match key {
            Ok(api_key) => Box::into_raw(Box::new(UizaClient {
                api_key,
                client: Client::default(),
            })),
            Err(_) => ptr::null_mut(),
        }
    })
}

/// Frees a client and wipes its API key. NULL is a no-op.
///
/// # Safety
/// `client` is NULL or came from `uiza_client_new()`, was not freed before,
/// and no other thread is using it.
#[no_mangle]
pub unsafe extern "C" fn uiza_client_free(client: *mut UizaClient) {
    // SAFETY: per the contract.
    unsafe { free_object(client) }
}

/// The reset on a client, with an optional per-call budget cap.
///
/// # Safety
/// As for `uiza_client_reset_stream_key`.
unsafe fn reset_on_client(
    client: *mut UizaClient,
    id: *const c_char,
    budget: Option<Duration>,
    out_json: *mut *mut c_char,
) -> UizaStatus {
    // SAFETY: per the contract.
    unsafe {
        json_call(out_json, || {
            let c = client_ref(client)?;
            let id = str_arg(id, "id")?;
            test_hook(id);
            Ok(c.client
                .reset_stream_key_within(&c.api_key, id, budget)?
                .body)
        })
    }
}

/// Sets the base URL, such as `https://api.uiza.sh` or
/// `http://127.0.0.1:8080` for a local sandbox. It must be an `http://` or
/// `https://` URL with a host, and may carry a path prefix; user info, a
/// query or a fragment are refused. Takes effect for calls started later.
///
/// Returns `UIZA_STATUS_INVALID_ARGUMENT` if `client` or `url` is NULL or
/// the URL is invalid; the client is then unchanged.
///
/// # Safety
/// `client` is NULL or live; `url` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn uiza_client_set_base_url(
    client: *mut UizaClient,
    url: *const c_char,
) -> UizaStatus {
    // SAFETY: per the contract.
    unsafe { configure(client, |c| c.set_base_url(str_arg(url, "url")?)) }
}

/// Sets the time budget of one call, in milliseconds: connecting, TLS,
/// every retry and every wait between retries included. When it runs out
/// the call returns `UIZA_STATUS_TIMEOUT`. The default is 30000; 0 is
/// refused with `UIZA_STATUS_INVALID_ARGUMENT`.
///
/// # Safety
/// `client` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn uiza_client_set_timeout_ms(
    client: *mut UizaClient,
    ms: u32,
) -> UizaStatus {
    // SAFETY: per the contract.
    unsafe {
        configure(client, |c| {
            c.set_timeout(Duration::from_millis(u64::from(ms)))
        })
    }
}

/// Sets how many times a failed attempt may be retried (the default is 2;
/// 0 disables retries). Only connection failures and HTTP 429, 502, 503 and
/// 504 are retried, and never beyond the call's time budget.
///
/// # Safety
/// `client` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn uiza_client_set_max_retries(
    client: *mut UizaClient,
    n: u32,
) -> UizaStatus {
    // SAFETY: per the contract.
    unsafe {
        configure(client, |c| {
            c.set_max_retries(n);
            Ok(())
        })
    }
}

/// Trusts the CA certificates in the PEM file `pem_path` in addition to the
/// system's trust store. Use it for a private CA, such as a test server's.
/// Verification can never be turned off.
///
/// The file is read at once. Returns `UIZA_STATUS_INVALID_ARGUMENT` if it
/// cannot be read or holds no PEM certificate; the client is then
/// unchanged. Connections already pooled are dropped.
///
/// # Safety
/// `client` is NULL or live; `pem_path` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn uiza_client_set_ca_file(
    client: *mut UizaClient,
    pem_path: *const c_char,
) -> UizaStatus {
    // SAFETY: per the contract.
    unsafe {
        configure(client, |c| {
            c.set_ca_file(Path::new(str_arg(pem_path, "pem_path")?))
        })
    }
}

/// Resets the ingest (stream) key of the live entity `id`:
/// `PUT {base}/v1/live_entities/{id}/stream_key`. A broadcast already
/// running with the old key is not interrupted.
///
/// `id` is 1 to 256 characters, each one of `A-Z a-z 0-9 - . _ ~` (the
/// RFC 3986 unreserved set), and not "." or "..". Uiza ids are UUIDs, which
/// always qualify. Any other id is refused with
/// `UIZA_STATUS_INVALID_ARGUMENT` and nothing is sent: a proxy or server
/// that decodes and normalises paths could otherwise turn an id such as
/// `..%2Fadmin` into another resource, with the API key attached.
///
/// On return `*out_json` always holds a string that the caller must free
/// with `uiza_string_free()`:
/// - on `UIZA_STATUS_OK`, the live entity as the API sent it (read it with
///   `uiza_live_entity_parse()`);
/// - otherwise `{"message": ..., "error_type": ..., "http_status": <int or
///   null>}` (read it with `uiza_error_parse()`). API errors carry the
///   server's message verbatim.
///
/// The only exceptions: if `out_json` is NULL the call returns
/// `UIZA_STATUS_INVALID_ARGUMENT` and writes nothing; if memory runs out,
/// `*out_json` is NULL and the status is `UIZA_STATUS_INTERNAL`.
///
/// The call blocks for at most the client's time budget.
///
/// # Safety
/// `client` is NULL or live; `id` is NULL or a NUL-terminated string;
/// `out_json` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn uiza_client_reset_stream_key(
    client: *mut UizaClient,
    id: *const c_char,
    out_json: *mut *mut c_char,
) -> UizaStatus {
    // SAFETY: per the contract.
    unsafe { reset_on_client(client, id, None, out_json) }
}

/// Like `uiza_client_reset_stream_key()`, with a time budget for this call
/// only: the smaller of `timeout_ms` and the client's timeout. Other calls
/// and the client's own setting are not affected, and the call uses the
/// client's keep-alive connections. Meant for callers that carry a
/// per-call deadline, such as a Go `context.Context`.
///
/// `timeout_ms == 0` gives `UIZA_STATUS_INVALID_ARGUMENT`. `*out_json`
/// follows the rules of `uiza_client_reset_stream_key()`.
///
/// # Safety
/// `client` is NULL or live; `id` is NULL or a NUL-terminated string;
/// `out_json` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn uiza_client_reset_stream_key_with_timeout(
    client: *mut UizaClient,
    id: *const c_char,
    timeout_ms: u32,
    out_json: *mut *mut c_char,
) -> UizaStatus {
    let budget = Duration::from_millis(u64::from(timeout_ms));
    // SAFETY: per the contract.
    unsafe { reset_on_client(client, id, Some(budget), out_json) }
}

/// The one-shot form of `uiza_client_reset_stream_key()`: no client to
/// create or free.
///
/// It uses a client shared by the whole process, created on first use,
/// whose connections are kept alive between calls. Its base URL is the
/// `UIZA_BASE_URL` environment variable if that is set when the first
/// one-shot call is made, else `https://api.uiza.sh`; its timeout and
/// retries are the defaults. `api_key` is checked like in
/// `uiza_client_new()` and is not kept after the call.
///
/// `*out_json` follows the same rules as for
/// `uiza_client_reset_stream_key()`.
///
/// # Safety
/// `api_key` and `id` are NULL or NUL-terminated strings; `out_json` is
/// NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn uiza_reset_stream_key(
    api_key: *const c_char,
    id: *const c_char,
    out_json: *mut *mut c_char,
) -> UizaStatus {
    // SAFETY: per the contract.
    unsafe {
        json_call(out_json, || {
            let key = ApiKey::parse(str_arg(api_key, "api_key")?)?;
            let id = str_arg(id, "id")?;
            test_hook(id);
            Ok(default_client()?.reset_stream_key(&key, id)?.body)
        })
    }
}

#[cfg(test)]
mod tests {
    use std::ffi::CStr;

    use super::*;
    use crate::ffi::library::uiza_string_free;

    /// Makes a call that fails before any request (Miri has no network)
    /// and returns its status and out_json.
    unsafe fn refused(call: impl FnOnce(*mut *mut c_char) -> UizaStatus) -> (UizaStatus, String) {
        let mut out = ptr::null_mut();
        let status = call(&mut out);
        let json = unsafe { CStr::from_ptr(out) }.to_str().unwrap().to_owned();
        unsafe { uiza_string_free(out) };
        (status, json)
    }

    #[test]
    fn client_lifecycle_without_network() {
        unsafe {
            assert!(uiza_client_new(ptr::null()).is_null());
            assert!(uiza_client_new(c"has space".as_ptr()).is_null());
            let c = uiza_client_new(c"uap-test-key".as_ptr());
            assert!(!c.is_null());
            assert_eq!(
                uiza_client_set_base_url(c, c"http://127.0.0.1:9".as_ptr()),
                UizaStatus::Ok
            );
            assert_eq!(
                uiza_client_set_base_url(c, c"ftp://x".as_ptr()),
                UizaStatus::InvalidArgument
            );
            assert_eq!(
                uiza_client_set_base_url(c, ptr::null()),
                UizaStatus::InvalidArgument
            );
            assert_eq!(
                uiza_client_set_timeout_ms(c, 0),
                UizaStatus::InvalidArgument
            );
            assert_eq!(uiza_client_set_timeout_ms(c, 5), UizaStatus::Ok);
            assert_eq!(uiza_client_set_max_retries(c, 0), UizaStatus::Ok);

            let (status, json) =
                refused(|out| uiza_client_reset_stream_key(c, c"..".as_ptr(), out));
            assert_eq!(status, UizaStatus::InvalidArgument);
            assert!(json.contains("invalid_argument") && !json.contains("uap-test-key"));
            let (status, _) = refused(|out| uiza_client_reset_stream_key(c, ptr::null(), out));
            assert_eq!(status, UizaStatus::InvalidArgument);
            // A panic inside an exported function (debug-build hook).
            let (status, json) = refused(|out| {
                uiza_client_reset_stream_key(c, c"__uiza_test_panic__".as_ptr(), out)
            });
            assert_eq!(status, UizaStatus::Internal);
            assert!(json.contains("internal_error"));
            assert_eq!(
                uiza_client_reset_stream_key(c, c"id".as_ptr(), ptr::null_mut()),
                UizaStatus::InvalidArgument
            );
            uiza_client_free(c);
            uiza_client_free(ptr::null_mut());
            assert_eq!(
                uiza_client_set_timeout_ms(ptr::null_mut(), 5),
                UizaStatus::InvalidArgument
            );
        }
    }

    #[test]
    fn one_shot_refusals_without_network() {
        unsafe {
            let (status, _) =
                refused(|out| uiza_reset_stream_key(ptr::null(), c"id".as_ptr(), out));
            assert_eq!(status, UizaStatus::InvalidArgument);
            let (status, json) =
                refused(|out| uiza_reset_stream_key(c"uap-test-key".as_ptr(), c"".as_ptr(), out));
            assert_eq!(status, UizaStatus::InvalidArgument);
            assert!(json.contains(r#""http_status":null"#));
        }
    }
}
