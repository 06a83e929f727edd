//! `UizaClient` and its blocking calls: reset, read, rotate.

use std::ffi::c_char;
use std::path::Path;
use std::ptr;
use std::sync::Arc;
use std::time::Duration;

use super::boundary::{guard, guard_result, test_hook};
use super::c_strings::{opt_str_arg, str_arg};
use super::cancel::{token_ref, UizaCancelToken};
use super::outputs::{json_call, status_call, write_out};
use crate::core::default_client::default_client;
use crate::core::settings::SettingsChange;
use crate::core::{ApiKey, CallLimits, Client, Error, Operation, Rotated, UizaStatus};

/// A client bound to one API key: its settings and a pool of keep-alive
/// connections.
///
/// Thread safety: a `UizaClient` may be used by any number of threads at
/// once, setters included; it needs no locking by the caller. It must not be
/// freed while another thread is still inside a blocking call that uses it.
/// It may be freed while async calls on it are in flight: they are
/// cancelled, each callback still runs exactly once, and the client's
/// memory is released after the last one.
///
/// Threads: blocking calls run on the caller's thread, async ones on the
/// library's worker threads (see `uiza_set_max_worker_threads()`). The only
/// other thread the library starts is a short-lived one that looks a host
/// name up (so that a hung DNS server cannot outlast the call's budget), at
/// most once a minute per client and host. A base URL with an IP literal
/// (`http://127.0.0.1:8080`) is never looked up.
///
/// Create it with `uiza_client_new()` and release it with
/// `uiza_client_free()`. The API key it holds is wiped from memory when it
/// is freed.
pub struct UizaClient {
    api_key: ApiKey,
    client: Client,
}

impl UizaClient {
    /// Runs one call on this client's key.
    pub(crate) fn call(
        &self,
        id: &str,
        op: Operation<'_>,
        limits: &CallLimits,
    ) -> Result<String, Error> {
        test_hook(id);
        Ok(self.client.call(&self.api_key, id, op, limits)?.body)
    }
}

/// Borrows the client behind a pointer, or explains why there is none.
///
/// Safety: `client` is NULL or a live pointer from `uiza_client_new`.
pub(crate) unsafe fn client_ref<'a>(client: *const UizaClient) -> Result<&'a UizaClient, Error> {
    // SAFETY: `uiza_client_new` hands out `Arc::into_raw`, which points at
    // the `UizaClient` itself; the caller guarantees it is still live.
    unsafe { client.as_ref() }.ok_or_else(|| Error::invalid_argument("client is NULL"))
}

/// A counted reference to the client behind a pointer, for a call that
/// may outlive the caller's own reference (an async call).
///
/// Safety: `client` is NULL or a live pointer from `uiza_client_new`.
pub(crate) unsafe fn client_arc(client: *const UizaClient) -> Result<Arc<UizaClient>, Error> {
    if client.is_null() {
        return Err(Error::invalid_argument("client is NULL"));
    }
    // SAFETY: the pointer came from `Arc::into_raw` and the caller's
    // reference keeps the count above zero while we add ours.
    unsafe {
        Arc::increment_strong_count(client);
        Ok(Arc::from_raw(client))
    }
}

/// Runs a call that may change the key and writes its `out_json`. Its
/// error document always carries `"rotated"`: a failure that escaped the
/// core's bookkeeping (a caught panic) may have happened after the PUT
/// was sent, so it is "unknown"; any other, such as a NULL argument,
/// happened before anything was sent.
///
/// Safety: `out_json` is NULL or aligned and writable.
pub(crate) unsafe fn key_call(
    out_json: *mut *mut c_char,
    call: impl FnOnce() -> Result<String, Error>,
) -> UizaStatus {
    // SAFETY: the caller promised `out_json` is NULL or writable, which is
    // all `json_call` needs; `json_call` checks it for NULL.
    unsafe { json_call(out_json, || guard_result(call).map_err(with_rotated)) }
}

/// Fills in `"rotated"` where the core did not (see [`key_call`]).
pub(crate) fn with_rotated(e: Error) -> Error {
    match (e.rotated, e.status) {
        (Rotated::NotApplicable, UizaStatus::Internal) => e.with_rotated(Rotated::Unknown),
        (Rotated::NotApplicable, _) => e.with_rotated(Rotated::No),
        _ => e,
    }
}

/// Applies one setting to the client behind `client`: the body of every
/// `uiza_client_set_*` function. A NULL client is refused before `apply`
/// reads its own arguments.
///
/// Safety: `client` is NULL or a live pointer from `uiza_client_new`.
unsafe fn configure(
    client: *mut UizaClient,
    apply: impl FnOnce(&Client) -> Result<(), Error>,
) -> UizaStatus {
    guard(UizaStatus::Internal, || {
        // SAFETY: the caller promised `client` is NULL or a live client;
        // `client_ref` maps NULL to an error.
        match unsafe { client_ref(client) }.and_then(|c| apply(&c.client)) {
            Ok(()) => UizaStatus::Ok,
            Err(e) => e.status,
        }
    })
}

/// Builds a client for `api_key`, or says why not.
///
/// Safety: `api_key` is NULL or a NUL-terminated string.
unsafe fn build_client(api_key: *const c_char) -> Result<*mut UizaClient, Error> {
    // SAFETY: the caller promised `api_key` is NULL or NUL-terminated;
    // `str_arg` checks NULL, and the key is copied by `ApiKey::parse`.
    let api_key = ApiKey::parse(unsafe { str_arg(api_key, "api_key") }?)?;
    Ok(Arc::into_raw(Arc::new(UizaClient {
        api_key,
        client: Client::default(),
    }))
    .cast_mut())
}

/// Creates a client that authenticates with `api_key`, like
/// `uiza_client_new()`, and says why when it cannot.
///
/// On `UIZA_STATUS_OK`, `*out_client` is the client (free it with
/// `uiza_client_free()`) and `*out_json`, if `out_json` is not NULL, is
/// NULL. Otherwise `*out_client` is NULL and `*out_json` is the error
/// document, as the calls return it (free it with `uiza_string_free()`).
/// `out_client` must not be NULL; `out_json` may be.
///
/// Safety: `api_key` is NULL or a NUL-terminated string; `out_client` and
/// `out_json` are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn uiza_client_create(
    api_key: *const c_char,
    out_client: *mut *mut UizaClient,
    out_json: *mut *mut c_char,
) -> UizaStatus {
    if out_client.is_null() {
        // SAFETY: the caller promised `out_json` is NULL or writable.
        return unsafe {
            status_call(out_json, || {
                Err(Error::invalid_argument("out_client is NULL"))
            })
        };
    }
    let mut client = ptr::null_mut();
    // SAFETY: `out_json` is NULL or writable and `api_key` NULL or
    // NUL-terminated, as the caller promised.
    let status = unsafe {
        status_call(out_json, || {
            client = build_client(api_key)?;
            Ok(())
        })
    };
    // SAFETY: checked non-NULL above; written last, once the outcome is known.
    unsafe { write_out(out_client, client) };
    status
}

/// Changes several settings at once, all or nothing, and says why when it
/// cannot. `settings_json` is an object with any of
/// `"base_url"` (string), `"timeout_ms"` (integer, at least 1),
/// `"max_retries"` (integer) and `"ca_file"` (string, a PEM file path),
/// with the rules of the single setters; other members are refused.
/// Example: `{"base_url":"http://127.0.0.1:8080","timeout_ms":5000}`.
///
/// On `UIZA_STATUS_OK` every setting is changed for calls started later,
/// and `*out_json`, if `out_json` is not NULL, is NULL. Otherwise nothing
/// is changed and `*out_json` is the error document (free it with
/// `uiza_string_free()`). `out_json` may be NULL.
///
/// Safety: `client` is NULL or live; `settings_json` is NULL or a
/// NUL-terminated string; `out_json` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn uiza_client_configure(
    client: *mut UizaClient,
    settings_json: *const c_char,
    out_json: *mut *mut c_char,
) -> UizaStatus {
    // SAFETY: the caller promised `client` NULL or live, `settings_json`
    // NULL or NUL-terminated and `out_json` NULL or writable; every helper
    // checks for NULL first.
    unsafe {
        status_call(out_json, || {
            let c = client_ref(client)?;
            let change = SettingsChange::from_json(str_arg(settings_json, "settings_json")?)?;
            c.client.apply(change);
            Ok(())
        })
    }
}

/// Creates a client that authenticates with `api_key`.
///
/// The key must be non-empty printable ASCII without whitespace; it is
/// copied, so the caller may free its string afterwards. The base URL is
/// `https://api.uiza.sh` (the `UIZA_BASE_URL` variable does not apply
/// here; use `uiza_client_set_base_url()`), the timeout 30000 ms and the
/// retries 2.
///
/// Returns NULL if `api_key` is NULL or invalid (`uiza_client_create()`
/// says why). Free the client with `uiza_client_free()`.
///
/// Safety: `api_key` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn uiza_client_new(api_key: *const c_char) -> *mut UizaClient {
    guard(ptr::null_mut(), || {
        // SAFETY: the caller promised `api_key` is NULL or NUL-terminated.
        unsafe { build_client(api_key) }.unwrap_or(ptr::null_mut())
    })
}

/// Frees a client. NULL is a no-op.
///
/// Async calls still in flight on the client are cancelled (a rotation
/// whose PUT is already on the wire still learns its outcome first); each
/// of their callbacks still runs exactly once, and the client's memory and
/// its API key are released (the key wiped) after the last callback has
/// returned. Blocking calls must have returned before this is called.
///
/// Safety: `client` is NULL or came from `uiza_client_new()` and was not
/// freed before; no other thread is inside a blocking call on it.
#[no_mangle]
pub unsafe extern "C" fn uiza_client_free(client: *mut UizaClient) {
    guard((), || {
        if client.is_null() {
            return;
        }
        // SAFETY: the caller promised `client` came from
        // `uiza_client_new`/`uiza_client_create` (`Arc::into_raw`) and is
        // freed once: this takes back that one reference. Async calls hold
        // counted references of their own, so the client lives until they end.
        let this = unsafe { Arc::from_raw(client.cast_const()) };
        this.client.close();
    })
}

/// The reset on a client, with an optional per-call budget cap.
///
/// Safety: As for `uiza_client_reset_stream_key`.
unsafe fn reset_on_client(
    client: *mut UizaClient,
    id: *const c_char,
    budget_cap: Option<Duration>,
    out_json: *mut *mut c_char,
) -> UizaStatus {
    // SAFETY: the caller promised `client` NULL or live, `id` NULL or
    // NUL-terminated and `out_json` NULL or writable; the helpers check
    // for NULL first.
    unsafe {
        key_call(out_json, || {
            let limits = CallLimits {
                budget_cap,
                ..CallLimits::default()
            };
            client_ref(client)?.call(str_arg(id, "id")?, Operation::Reset, &limits)
        })
    }
}

/// Sets the base URL, such as `https://api.uiza.sh` or
/// `http://127.0.0.1:8080` for a local sandbox. It must be an `http://` or
/// `https://` URL with a host, and may carry a path prefix; user info, a
/// query or a fragment are refused. Takes effect for calls started later.
///
/// Returns `UIZA_STATUS_INVALID_ARGUMENT` if `client` or `url` is NULL or
/// the URL is invalid; the client is then unchanged. (The same setting
/// through `uiza_client_configure()` also says why.)
///
/// Safety: `client` is NULL or live; `url` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn uiza_client_set_base_url(
    client: *mut UizaClient,
    url: *const c_char,
) -> UizaStatus {
    // SAFETY: `client` is NULL or live and `url` NULL or NUL-terminated,
    // as the caller promised; both are checked for NULL before use.
    unsafe { configure(client, |c| c.set_base_url(str_arg(url, "url")?)) }
}

/// Sets the time budget of one call, in milliseconds: connecting, TLS,
/// every retry and every wait between retries included. When it runs out
/// the call returns `UIZA_STATUS_TIMEOUT`. The default is 30000; 0 is
/// refused with `UIZA_STATUS_INVALID_ARGUMENT`.
///
/// Safety: `client` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn uiza_client_set_timeout_ms(
    client: *mut UizaClient,
    ms: u32,
) -> UizaStatus {
    // SAFETY: the caller promised `client` is NULL or live.
    unsafe {
        configure(client, |c| {
            c.set_budget(Duration::from_millis(u64::from(ms)))
        })
    }
}

/// Sets how many times a failed attempt may be retried (the default is 2;
/// 0 disables retries). Only connection failures and HTTP 429, 502, 503 and
/// 504 are retried, and never beyond the call's time budget.
///
/// Safety: `client` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn uiza_client_set_max_retries(
    client: *mut UizaClient,
    n: u32,
) -> UizaStatus {
    // SAFETY: the caller promised `client` is NULL or live.
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
/// The file may hold several certificates (LF or CRLF line endings); each
/// one is trusted as it stands, an intermediate CA's too. Trusting the
/// intermediate is also the cure for a server that does not send it: the
/// library never fetches a missing certificate.
///
/// The file is read at once. Returns `UIZA_STATUS_INVALID_ARGUMENT` if it
/// cannot be read or holds no PEM certificate; the client is then
/// unchanged. Connections already pooled are dropped.
///
/// Safety: `client` is NULL or live; `pem_path` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn uiza_client_set_ca_file(
    client: *mut UizaClient,
    pem_path: *const c_char,
) -> UizaStatus {
    // SAFETY: `client` is NULL or live and `pem_path` NULL or
    // NUL-terminated, as the caller promised; both are checked for NULL.
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
/// Safety: `client` is NULL or live; `id` is NULL or a NUL-terminated string;
/// `out_json` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn uiza_client_reset_stream_key(
    client: *mut UizaClient,
    id: *const c_char,
    out_json: *mut *mut c_char,
) -> UizaStatus {
    // SAFETY: this function's Safety paragraph is `reset_on_client`'s.
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
/// Safety: `client` is NULL or live; `id` is NULL or a NUL-terminated string;
/// `out_json` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn uiza_client_reset_stream_key_with_timeout(
    client: *mut UizaClient,
    id: *const c_char,
    timeout_ms: u32,
    out_json: *mut *mut c_char,
) -> UizaStatus {
    let budget = Duration::from_millis(u64::from(timeout_ms));
    // SAFETY: this function's Safety paragraph is `reset_on_client`'s.
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
/// Safety: `api_key` and `id` are NULL or NUL-terminated strings; `out_json` is
/// NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn uiza_reset_stream_key(
    api_key: *const c_char,
    id: *const c_char,
    out_json: *mut *mut c_char,
) -> UizaStatus {
    // SAFETY: the caller promised `api_key`/`id` NULL or NUL-terminated
    // and `out_json` NULL or writable; the helpers check for NULL first.
    unsafe {
        key_call(out_json, || {
            let key = ApiKey::parse(str_arg(api_key, "api_key")?)?;
            let id = str_arg(id, "id")?;
            test_hook(id);
            Ok(default_client()?.reset_stream_key(&key, id)?.body)
        })
    }
}

/// Reads the live entity `id`: `GET {base}/v1/live_entities/{id}`.
///
/// `id` follows the rule of `uiza_client_reset_stream_key()`. The call has
/// the same budget, retries, TLS and error document (without
/// `"rotated"`); it is retried like any idempotent request. On
/// `UIZA_STATUS_OK`, `*out_json` is the entity as the API sent it. An
/// entity in `init` state has `"ingest": null`; `uiza_live_entity_parse()`
/// accepts it, and its ingest accessors then return NULL.
///
/// Safety: `client` is NULL or live; `id` is NULL or a NUL-terminated
/// string; `out_json` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn uiza_client_get_live_entity(
    client: *mut UizaClient,
    id: *const c_char,
    out_json: *mut *mut c_char,
) -> UizaStatus {
    // SAFETY: the caller promised `client` NULL or live, `id` NULL or
    // NUL-terminated and `out_json` NULL or writable; the helpers check
    // for NULL first.
    unsafe {
        json_call(out_json, || {
            client_ref(client)?.call(str_arg(id, "id")?, Operation::Read, &CallLimits::default())
        })
    }
}

/// Rotates the stream key of the live entity `id` exactly once.
///
/// `current_key` is the key your encoder uses now; if it is NULL the
/// library first reads the entity to learn it. `token` may be NULL.
///
/// On `UIZA_STATUS_OK`, `*out_json` is the entity with an `ingest.key`
/// that differs from `current_key`, and this call rotated the key exactly
/// once. After any failure that the server may have applied (a timeout or
/// dropped connection after the request was sent, HTTP 408 or 5xx, or a
/// 2xx that could not be read), the library reads the entity back within
/// the same budget before anything else: a new key means the rotation
/// happened (`UIZA_STATUS_OK`); the old key means it did not, and the PUT
/// may be retried safely. A PUT is given at most two thirds of the time
/// left, so that the read-back has time too.
///
/// Every error document carries `"rotated"`: `false` when the key is
/// certainly unchanged by this call, `null` when it is unknown (the
/// read-back failed too): then read the entity before you trust the key
/// you hold.
///
/// Cancellation through `token` is honoured before each PUT is sent, during
/// the initial read, and during any wait between attempts, and gives
/// `UIZA_STATUS_CANCELLED` with `"rotated": false`. A PUT already sent is
/// not abandoned, since its outcome must be learned; cancellation then only
/// prevents further attempts. A call that rotated the key never reports
/// `UIZA_STATUS_CANCELLED`.
///
/// `*out_json` follows the rules of `uiza_client_reset_stream_key()`.
///
/// Safety: `client` is NULL or live; `id` and `current_key` are NULL or
/// NUL-terminated strings; `token` is NULL or live; `out_json` is NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn uiza_client_rotate_stream_key(
    client: *mut UizaClient,
    id: *const c_char,
    current_key: *const c_char,
    token: *const UizaCancelToken,
    out_json: *mut *mut c_char,
) -> UizaStatus {
    // SAFETY: the caller promised `client` and `token` NULL or live, `id`
    // and `current_key` NULL or NUL-terminated and `out_json` NULL or
    // writable; the helpers check for NULL first, and the token is cloned
    // (an Arc) before the call starts.
    unsafe {
        key_call(out_json, || {
            let c = client_ref(client)?;
            let id = str_arg(id, "id")?;
            let current_key = opt_str_arg(current_key, "current_key")?;
            let limits = CallLimits {
                cancel: token_ref(token).cloned(),
                ..CallLimits::default()
            };
            c.call(id, Operation::Rotate { current_key }, &limits)
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
    fn create_and_configure_say_why() {
        unsafe {
            let mut client = ptr::dangling_mut();
            let (status, json) =
                refused(|out| uiza_client_create(c"has space".as_ptr(), &mut client, out));
            assert_eq!(status, UizaStatus::InvalidArgument);
            assert!(client.is_null(), "*out_client is NULL on failure");
            assert!(json.contains("api_key must be printable ASCII"), "{json}");
            assert_eq!(
                uiza_client_create(c"k".as_ptr(), ptr::null_mut(), ptr::null_mut()),
                UizaStatus::InvalidArgument
            );

            let mut out = ptr::dangling_mut();
            assert_eq!(
                uiza_client_create(c"uap-k".as_ptr(), &mut client, &mut out),
                UizaStatus::Ok
            );
            assert!(!client.is_null() && out.is_null());
            let ok = c"{\"base_url\":\"http://127.0.0.1:9\",\"timeout_ms\":5,\"max_retries\":0}";
            assert_eq!(
                uiza_client_configure(client, ok.as_ptr(), ptr::null_mut()),
                UizaStatus::Ok
            );
            for (bad, says) in [
                (c"{\"base_url\":\"ftp://x\"}", "scheme"),
                (c"{\"timeout_ms\":0}", "at least 1 ms"),
                (c"{\"colour\":1}", "unknown field"),
                (c"[]", "settings document"),
            ] {
                let (status, json) =
                    refused(|out| uiza_client_configure(client, bad.as_ptr(), out));
                assert_eq!(status, UizaStatus::InvalidArgument, "{json}");
                assert!(json.contains(says), "{json}");
            }
            let (status, _) =
                refused(|out| uiza_client_configure(ptr::null_mut(), ok.as_ptr(), out));
            assert_eq!(status, UizaStatus::InvalidArgument);
            uiza_client_free(client);
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
