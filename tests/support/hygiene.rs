//! Secret hygiene for the reliability tests: a distinctive API key that the
//! sandbox accepts, and one check applied to every text those tests see
//! (out_json documents, messages, C program output, sanitizer and valgrind
//! logs).
#![allow(dead_code)]

pub use super::tools::assert_no_secret;
use super::{Outcome, Sandbox, SandboxConfig, TestClient};

/// Distinctive, so that a hit can only be a leak of this very key.
pub const RELIABILITY_KEY: &str =
    "uap-reliability-5ecre7-d0-n0t-1eak-9f8e7d6c5b4a39281706-a1b2c3d4";

/// `assert_no_secret` for an outcome's out_json (which holds the message).
pub fn checked(out: Outcome) -> Outcome {
    assert_no_secret("out_json", &out.json);
    out
}

/// A plain-HTTP sandbox that accepts only [`RELIABILITY_KEY`].
pub fn reliability_sandbox() -> Sandbox {
    start_sandbox(false)
}

/// The same over HTTPS, with its own CA (`Sandbox::ca_pem`).
pub fn reliability_tls_sandbox() -> Sandbox {
    start_sandbox(true)
}

fn start_sandbox(tls: bool) -> Sandbox {
    Sandbox::start(SandboxConfig {
        api_keys: vec![RELIABILITY_KEY.to_owned()],
        tls,
        ..SandboxConfig::default()
    })
    .expect("start sandbox")
}

/// A client with the reliability key for `sandbox` and the given budget;
/// the retry count is left at the library's default.
pub fn client_with_budget(sandbox: &Sandbox, budget_ms: u32) -> TestClient {
    let client = TestClient::new(RELIABILITY_KEY);
    assert_eq!(
        client.set_base_url(sandbox.base_url()),
        uiza::UizaStatus::Ok
    );
    assert_eq!(client.set_timeout_ms(budget_ms), uiza::UizaStatus::Ok);
    client
}
