//! Helpers shared by the integration tests: a running sandbox, and safe
//! wrappers that drive the library through its exported C functions.
#![allow(dead_code)]

pub mod async_fixture;
pub mod bindings;
pub mod c_build;
pub mod connect_proxy;
pub mod consumer;
pub mod hygiene;
pub mod live;
pub mod log_capture;
pub mod log_program;
pub mod memory;
pub mod nginx;
pub mod raw_peer;
pub mod refused_ids;
pub mod socks_proxy;
pub mod timing;
pub mod tools;

use std::ffi::{c_char, CStr, CString};
use std::ptr;
use std::sync::atomic::{AtomicPtr, Ordering};

use uiza::ffi::client::*;
use uiza::ffi::library::uiza_string_free;
use uiza::ffi::UizaClient;
use uiza::UizaStatus;
pub use uiza_sandbox::{Fault, Sandbox, SandboxConfig, DEFAULT_API_KEY, SEED_ENTITY_ID};

pub fn sandbox() -> Sandbox {
    Sandbox::start(SandboxConfig::default()).expect("start sandbox")
}

pub fn tls_sandbox() -> Sandbox {
    Sandbox::start(SandboxConfig {
        tls: true,
        ..SandboxConfig::default()
    })
    .expect("start TLS sandbox")
}

pub fn fault(json: &str) -> Fault {
    serde_json::from_str(json).expect("fault JSON")
}

/// Secrets that must never come back in any document: every test run
/// through `Call` checks this on each `out_json`.
pub const SECRETS: &[&str] = &[
    DEFAULT_API_KEY,
    "wrong-key-must-not-leak",
    hygiene::RELIABILITY_KEY,
];

/// What a call returned: the status and the `out_json` document.
#[derive(Debug)]
pub struct Outcome {
    pub status: UizaStatus,
    pub json: String,
    pub doc: serde_json::Value,
}

impl Outcome {
    /// Takes ownership of an `out_json` string, frees it with the library's
    /// free function and checks it for leaked secrets.
    pub fn take(status: UizaStatus, out: *mut c_char) -> Outcome {
        assert!(!out.is_null(), "out_json must always be set");
        let json = unsafe { CStr::from_ptr(out) }
            .to_str()
            .expect("out_json is UTF-8")
            .to_owned();
        unsafe { uiza_string_free(out) };
        tools::assert_no_secret("out_json", &json);
        let doc: serde_json::Value = serde_json::from_str(&json).expect("out_json is JSON");
        if status != UizaStatus::Ok {
            assert!(
                doc["message"].as_str().is_some_and(|m| !m.is_empty()),
                "{json}"
            );
            assert!(
                doc["error_type"].as_str().is_some_and(|t| !t.is_empty()),
                "{json}"
            );
            assert!(doc.get("http_status").is_some(), "{json}");
        }
        Outcome { status, json, doc }
    }

    pub fn http_status(&self) -> Option<u64> {
        self.doc["http_status"].as_u64()
    }

    pub fn message(&self) -> &str {
        self.doc["message"].as_str().unwrap_or("")
    }

    pub fn error_type(&self) -> &str {
        self.doc["error_type"].as_str().unwrap_or("")
    }

    pub fn ingest_key(&self) -> &str {
        self.doc["ingest"]["key"].as_str().unwrap_or("")
    }

    /// The error document's `"rotated"`: `Some(Some(false))` for false,
    /// `Some(None)` for null, `None` when absent.
    pub fn rotated(&self) -> Option<Option<bool>> {
        self.doc.get("rotated").map(serde_json::Value::as_bool)
    }
}

/// An owned `UizaClient`, freed on drop. The library documents the client
/// as thread-safe, which is what the `Send`/`Sync` impls claim.
pub struct TestClient(AtomicPtr<UizaClient>);

unsafe impl Send for TestClient {}
unsafe impl Sync for TestClient {}

impl TestClient {
    pub fn new(key: &str) -> TestClient {
        let key = CString::new(key).unwrap();
        let ptr = unsafe { uiza_client_new(key.as_ptr()) };
        assert!(!ptr.is_null(), "uiza_client_new returned NULL");
        TestClient(AtomicPtr::new(ptr))
    }

    /// A client for `sandbox` with the default key, no retries unless set.
    pub fn for_sandbox(sandbox: &Sandbox) -> TestClient {
        let client = TestClient::new(DEFAULT_API_KEY);
        assert_eq!(client.set_base_url(sandbox.base_url()), UizaStatus::Ok);
        if let Some(pem) = sandbox.ca_pem() {
            let path = write_temp_file("sandbox-ca.pem", pem);
            assert_eq!(client.set_ca_file(path.to_str().unwrap()), UizaStatus::Ok);
        }
        client
    }

    /// This client with at most `n` retries; the setting must be accepted.
    pub fn with_max_retries(self, n: u32) -> TestClient {
        assert_eq!(self.set_max_retries(n), UizaStatus::Ok, "max retries {n}");
        self
    }

    /// This client with a `ms` budget per call; the setting must be accepted.
    pub fn with_timeout_ms(self, ms: u32) -> TestClient {
        assert_eq!(self.set_timeout_ms(ms), UizaStatus::Ok, "timeout {ms} ms");
        self
    }

    pub fn ptr(&self) -> *mut UizaClient {
        self.0.load(Ordering::Relaxed)
    }

    pub fn set_base_url(&self, url: &str) -> UizaStatus {
        let url = CString::new(url).unwrap();
        unsafe { uiza_client_set_base_url(self.ptr(), url.as_ptr()) }
    }

    pub fn set_timeout_ms(&self, ms: u32) -> UizaStatus {
        unsafe { uiza_client_set_timeout_ms(self.ptr(), ms) }
    }

    pub fn set_max_retries(&self, n: u32) -> UizaStatus {
        unsafe { uiza_client_set_max_retries(self.ptr(), n) }
    }

    pub fn set_ca_file(&self, path: &str) -> UizaStatus {
        let path = CString::new(path).unwrap();
        unsafe { uiza_client_set_ca_file(self.ptr(), path.as_ptr()) }
    }

    pub fn reset(&self, id: &str) -> Outcome {
        let id = CString::new(id).unwrap();
        let mut out: *mut c_char = ptr::null_mut();
        let status = unsafe { uiza_client_reset_stream_key(self.ptr(), id.as_ptr(), &mut out) };
        Outcome::take(status, out)
    }

    pub fn get(&self, id: &str) -> Outcome {
        let id = CString::new(id).unwrap();
        let mut out: *mut c_char = ptr::null_mut();
        let status = unsafe { uiza_client_get_live_entity(self.ptr(), id.as_ptr(), &mut out) };
        Outcome::take(status, out)
    }

    /// `uiza_client_rotate_stream_key`; `token` may be NULL.
    pub fn rotate(
        &self,
        id: &str,
        current_key: Option<&str>,
        token: *const uiza::ffi::UizaCancelToken,
    ) -> Outcome {
        let id = CString::new(id).unwrap();
        let current = current_key.map(|k| CString::new(k).unwrap());
        let mut out: *mut c_char = ptr::null_mut();
        let status = unsafe {
            uiza_client_rotate_stream_key(
                self.ptr(),
                id.as_ptr(),
                current.as_ref().map_or(ptr::null(), |c| c.as_ptr()),
                token,
                &mut out,
            )
        };
        Outcome::take(status, out)
    }
}

impl Drop for TestClient {
    fn drop(&mut self) {
        unsafe { uiza_client_free(self.0.swap(ptr::null_mut(), Ordering::Relaxed)) };
    }
}

/// The one-shot call.
pub fn one_shot(key: &str, id: &str) -> Outcome {
    let key = CString::new(key).unwrap();
    let id = CString::new(id).unwrap();
    let mut out: *mut c_char = ptr::null_mut();
    let status = unsafe { uiza_reset_stream_key(key.as_ptr(), id.as_ptr(), &mut out) };
    Outcome::take(status, out)
}

/// Writes `contents` to a fresh file under the target directory and
/// returns its path (each call gets its own name).
pub fn write_temp_file(name: &str, contents: &str) -> std::path::PathBuf {
    use std::sync::atomic::AtomicUsize;
    static SEQ: AtomicUsize = AtomicUsize::new(0);
    let dir = c_build::profile_dir().join("test-files");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!(
        "{}-{}-{name}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::write(&path, contents).unwrap();
    path
}

/// A loopback port with nothing listening on it.
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}
