//! The sandbox behind `tests/c/log_test.c` and the reading of what it
//! prints, shared by its plain runs (`tests/logging.rs`) and its runs under
//! ASan and valgrind (`tests/sanitizers.rs`).

use std::path::PathBuf;

use super::hygiene::{reliability_tls_sandbox, RELIABILITY_KEY};
use super::{write_temp_file, Sandbox, SEED_ENTITY_ID};

/// An HTTPS sandbox with the reliability key, and its CA in a file.
pub struct LogSandbox {
    pub sb: Sandbox,
    ca: PathBuf,
}

impl LogSandbox {
    pub fn start() -> LogSandbox {
        let sb = reliability_tls_sandbox();
        let ca = write_temp_file("log-test-ca.pem", sb.ca_pem().unwrap());
        LogSandbox { sb, ca }
    }

    /// The program's environment: base URL, API key, CA file, entity.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("UIZA_BASE_URL", self.sb.base_url().to_owned()),
            ("UIZA_API_KEY", RELIABILITY_KEY.to_owned()),
            ("UIZA_CA_FILE", self.ca.to_str().unwrap().to_owned()),
            ("UIZA_ENTITY_ID", SEED_ENTITY_ID.to_owned()),
        ]
    }
}

/// Checks the report of `log_test swap`: every check passed, no line
/// reached a freed `user_data`, both callbacks received lines and calls
/// ran meanwhile.
pub fn verify_swap(stdout: &str) {
    assert!(stdout.contains(" passed, 0 failed"), "{stdout}");
    let report = stdout
        .lines()
        .find(|l| l.starts_with("swap: "))
        .unwrap_or_else(|| panic!("no swap report in {stdout}"));
    let field = |name: &str| -> u64 {
        report
            .split(' ')
            .find_map(|w| w.strip_prefix(&format!("{name}=")))
            .unwrap_or_else(|| panic!("{name} missing in {report}"))
            .parse()
            .unwrap()
    };
    assert_eq!(field("stale"), 0, "{report}");
    assert!(field("lines_a") > 0 && field("lines_b") > 0, "{report}");
    assert!(field("calls") >= 16, "{report}");
}
