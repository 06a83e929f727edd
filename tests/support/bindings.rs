//! Running a language binding's own test suite (go test, python unittest)
//! against the sandbox: the HTTP and HTTPS sandboxes it needs, the
//! environment that describes them, and a runner that bounds the run's
//! time and keeps the API key out of the output. Callers check first that
//! the tool is there (`tools::tool_available`).
#![allow(dead_code)]

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use super::{sandbox, tls_sandbox, write_temp_file, Sandbox, SECRETS};
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

/// What a finished command printed.
pub struct Finished {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Finished {
    pub fn output(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }

    /// Panics with the whole output unless the command exited with 0.
    pub fn assert_success(&self, what: &str) {
        assert!(
            self.status.success(),
            "{what} failed ({}):\n{}",
            self.status,
            self.output()
        );
    }
}

/// Runs `cmd` in a process group of its own, killing the group if it takes
/// longer than `limit` (a hung suite must fail, not stall CI). Panics if
/// a secret shows up in the output.
pub fn run(cmd: &mut Command, limit: Duration) -> Finished {
    let mut child = cmd
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", cmd.get_program().to_string_lossy()));
    let stdout = drain(child.stdout.take().unwrap());
    let stderr = drain(child.stderr.take().unwrap());
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for child") {
            break status;
        }
        if started.elapsed() > limit {
            // The child leads its own group: this ends it and whatever it
            // started (such as the test binary `go test` runs), no more.
            let pgid = child.id() as libc::pid_t;
            unsafe { libc::kill(-pgid, libc::SIGKILL) };
            let _ = child.wait();
            let partial = stdout.join().unwrap() + &stderr.join().unwrap();
            panic!(
                "{cmd:?} did not finish within {limit:?}:\n{}",
                redact(&partial)
            );
        }
        thread::sleep(Duration::from_millis(50));
    };
    let finished = Finished {
        status,
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    };
    for secret in SECRETS {
        assert!(
            !finished.output().contains(secret),
            "a secret appears in the output of {cmd:?}"
        );
    }
    finished
}

fn drain(mut pipe: impl Read + Send + 'static) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

fn redact(text: &str) -> String {
    SECRETS
        .iter()
        .fold(text.to_owned(), |t, secret| t.replace(secret, "<secret>"))
}
