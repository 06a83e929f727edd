//! Running a language binding's own test suite (go test, python unittest)
//! against the sandbox: the HTTP and HTTPS sandboxes it needs, the
//! environment that describes them. The suites run through
//! `tools::run`; callers check first that the tool is there
//! (`tools::tool_available`).
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;

use super::{sandbox, tls_sandbox, write_temp_file, Sandbox};
use super::{DEFAULT_API_KEY, SEED_ENTITY_ID};

/// An HTTP and an HTTPS sandbox for one test suite (faults are queued per
/// sandbox, so suites must not share one).
pub struct Sandboxes {
    pub http: Sandbox,
    pub tls: Sandbox,
    pub ca_file: PathBuf,
}

impl Sandboxes {
    pub fn start() -> Sandboxes {
        let tls = tls_sandbox();
        let ca_file = write_temp_file("binding-ca.pem", tls.ca_pem().expect("TLS sandbox CA"));
        Sandboxes {
            http: sandbox(),
            tls,
            ca_file,
        }
    }

    /// The variables the binding tests read.
    pub fn apply(&self, cmd: &mut Command) {
        cmd.env("UIZA_TEST_BASE_URL", self.http.base_url())
            .env("UIZA_TEST_TLS_BASE_URL", self.tls.base_url())
            .env("UIZA_TEST_CA_FILE", &self.ca_file)
            .env("UIZA_TEST_API_KEY", DEFAULT_API_KEY)
            .env("UIZA_TEST_ENTITY_ID", SEED_ENTITY_ID);
    }
}
