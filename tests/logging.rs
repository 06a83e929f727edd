//! The log callback (`uiza_set_log_callback`), from C over real loopback
//! HTTPS (`tests/c/log_test.c`, one process per test since the callback is
//! process-wide): the events of a call in order, on the calling thread for
//! a blocking call and on a worker for an async one; every retry wait with
//! its length; nothing when logging is off or below the level, and levels
//! out of range; callbacks swapped under load with their `user_data` freed
//! at once; callbacks that replace themselves. Every line is scanned for
//! secrets (`support::log_capture`). And, in process, the `attempts` and
//! `elapsed_ms` of error documents.

mod support;

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use support::c_build::compile_c;
use support::hygiene::{checked, client_with_budget, reliability_sandbox};
use support::log_capture::SecretScanner;
use support::log_program::{verify_swap, LogSandbox};
use support::tools::{c_compiler_available, run, run_checked};
use support::*;
use uiza::UizaStatus as S;

/// Compiled once per test process (tests run in parallel threads).
/// The sandbox the C program talks to, or `None` (with the skip line)
/// where there is no C compiler to build the program.
fn log_sandbox() -> Option<LogSandbox> {
    c_compiler_available().then(LogSandbox::start)
}

fn program() -> PathBuf {
    static BIN: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BIN.get_or_init(|| compile_c("log_test", &["tests/c/log_test.c"], &["-pthread"]))
        .clone()
}

/// One line the callback received.
#[derive(Clone, Debug)]
struct Line {
    level: u8,
    /// On the thread that ran the steps (else a library worker).
    on_caller: bool,
    message: String,
}

/// One step of `log_test steps` and what it produced.
#[derive(Debug)]
struct Step {
    step: String,
    call: Option<(i32, serde_json::Value)>,
    lines: Vec<Line>,
}

impl Step {
    fn status(&self) -> i32 {
        self.call.as_ref().expect("a call step").0
    }

    fn doc(&self) -> &serde_json::Value {
        &self.call.as_ref().expect("a call step").1
    }

    /// Finds, in order, a line containing each of `wanted`, each after the
    /// one before; returns them.
    fn in_order(&self, wanted: &[&str]) -> Vec<&Line> {
        let mut from = 0;
        wanted
            .iter()
            .map(|w| {
                let at = self.lines[from..]
                    .iter()
                    .position(|l| l.message.contains(w))
                    .unwrap_or_else(|| {
                        panic!(
                            "no {w:?} after line {from} of {}: {:#?}",
                            self.step, self.lines
                        )
                    });
                from += at + 1;
                &self.lines[from - 1]
            })
            .collect()
    }
}

/// Runs `log_test steps <steps>` against `ls` and parses its report.
/// Every line must be a level in 1..=5 and free of secrets in any form,
/// the stream keys of every call included.
fn run_steps(ls: &LogSandbox, steps: &[&str]) -> Vec<Step> {
    let out = run_checked(
        Command::new(program())
            .arg("steps")
            .args(steps)
            .envs(ls.env()),
    );
    out.assert_success("log_test steps");
    assert!(out.stdout.contains(" passed, 0 failed"), "{}", out.stdout);
    assert_eq!(out.stderr, "", "nothing on stderr");
    let mut parsed: Vec<Step> = Vec::new();
    for line in out.stdout.lines() {
        if let Some(step) = line.strip_prefix("STEP ") {
            parsed.push(Step {
                step: step.to_owned(),
                call: None,
                lines: Vec::new(),
            });
        } else if let Some(call) = line.strip_prefix("CALL status=") {
            let (status, json) = call.split_once(" json=").unwrap();
            let doc = serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}: {json}"));
            parsed.last_mut().unwrap().call = Some((status.parse().unwrap(), doc));
        } else if let Some(log) = line.strip_prefix("LOG ") {
            let mut fields = log.splitn(3, ' ');
            let level: u8 = fields.next().unwrap().parse().unwrap();
            assert!((1..=5).contains(&level), "{line}");
            let on_caller = match fields.next().unwrap() {
                "caller" => true,
                "other" => false,
                other => panic!("thread {other} in {line}"),
            };
            let message = fields.next().unwrap().to_owned();
            // The lines after the last step come from the final "null".
            parsed.last_mut().unwrap().lines.push(Line {
                level,
                on_caller,
                message,
            });
        }
    }
    assert_eq!(parsed.len(), steps.len(), "{}", out.stdout);
    let mut secrets: Vec<String> = SECRETS.iter().map(|s| s.to_string()).collect();
    secrets.extend(ls.sb.current_key(SEED_ENTITY_ID));
    secrets.extend(
        parsed
            .iter()
            .filter_map(|s| s.call.as_ref()?.1["ingest"]["key"].as_str())
            .map(str::to_owned),
    );
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    let scanner = SecretScanner::new(&secrets);
    for line in parsed.iter().flat_map(|s| &s.lines) {
        scanner.assert_clean("a log line of log_test", &line.message);
    }
    parsed
}

#[test]
fn events_come_in_order_on_the_calling_thread_and_on_a_worker() {
    let Some(ls) = log_sandbox() else {
        return;
    };
    let base = ls.sb.base_url();
    let port = ls.sb.addr().port();
    let seed = SEED_ENTITY_ID;
    let reset = format!("reset:{seed}");
    let rotate = format!("rotate-async:{seed}");
    let steps = run_steps(&ls, &["level=5", &reset, &rotate]);

    let blocking = &steps[1];
    assert_eq!(blocking.status(), 0, "{:?}", blocking.call);
    let got = blocking.in_order(&[
        &format!(
            "reset of live entity {seed}: starting at {base}, budget 30000 ms, up to 2 retries"
        ),
        &format!("attempt 1: PUT {base}/v1/live_entities/{seed}/stream_key, "),
        &format!("name lookup: none needed, 127.0.0.1:{port} is an IP address"),
        &format!("new connection to 127.0.0.1:{port} from 127.0.0.1:"),
        "TLS with 127.0.0.1: TLSv1_3, ",
        "attempt 1: succeeded in ",
        "reset succeeded after 1 attempt(s) in ",
    ]);
    let levels: Vec<u8> = got.iter().map(|l| l.level).collect();
    assert_eq!(levels, [3, 4, 4, 4, 4, 4, 3], "{got:#?}");
    assert!(got[4].message.contains("full handshake"), "{got:#?}");
    assert!(got[6].message.ends_with("; ingest key live_…"), "{got:#?}");
    assert!(
        blocking.lines.iter().all(|l| l.on_caller),
        "a blocking call logs on the calling thread: {:#?}",
        blocking.lines
    );

    let async_call = &steps[2];
    assert_eq!(async_call.status(), 0, "{:?}", async_call.call);
    let got = async_call.in_order(&[
        "worker thread started (1 of at most 4)",
        "async call queued (",
        &format!("rotation of live entity {seed}: starting at {base}, "),
        "reading the entity first, for the key the rotation replaces",
        &format!("attempt 1: GET {base}/v1/live_entities/{seed}, "),
        &format!("name lookup: none needed, 127.0.0.1:{port} is an IP address"),
        &format!("reusing the pooled connection to 127.0.0.1:{port} from 127.0.0.1:"),
        "attempt 1: succeeded in ",
        &format!("attempt 2: PUT {base}/v1/live_entities/{seed}/stream_key, "),
        "attempt 2: succeeded in ",
        "rotation succeeded after 2 attempt(s) in ",
    ]);
    let levels: Vec<u8> = got.iter().map(|l| l.level).collect();
    assert_eq!(levels, [5, 5, 3, 4, 4, 4, 4, 4, 4, 4, 3], "{got:#?}");
    assert!(
        got[2].message.contains(" ms queued for a worker"),
        "{got:#?}"
    );
    // Queued by the caller; run, from its first line on, by a worker.
    assert!(got[..2].iter().all(|l| l.on_caller), "{got:#?}");
    let from = async_call
        .lines
        .iter()
        .position(|l| l.message.starts_with("rotation of live entity"))
        .unwrap();
    assert!(
        async_call.lines[from..].iter().all(|l| !l.on_caller),
        "an async call logs on a worker thread: {:#?}",
        async_call.lines
    );
}

#[test]
fn every_retry_wait_is_logged_with_its_length() {
    let Some(ls) = log_sandbox() else {
        return;
    };
    let reset = format!("reset:{SEED_ENTITY_ID}");
    // Faults apply to the next requests, so each call gets its own run:
    // the reset succeeds despite `faults`; its lines holding each of
    // `wanted`, in order.
    let succeeds_logging = |faults: &[&str], wanted: &[&str]| -> Vec<Line> {
        for f in faults {
            ls.sb.push_fault(fault(f));
        }
        let call = run_steps(&ls, &["level=4", &reset]).remove(1);
        assert_eq!(call.status(), 0, "{:?}", call.call);
        call.in_order(wanted).into_iter().cloned().collect()
    };

    let honoured = [
        r#"{"kind":"status","status":503,"retry_after":"0"}"#,
        r#"{"kind":"status","status":503,"retry_after":"1"}"#,
    ];
    let got = succeeds_logging(
        &honoured,
        &[
            "attempt 1: failed in ",
            "retry 1 of 2 in 0 ms (the server's Retry-After, honoured)",
            "attempt 2: PUT ",
            "attempt 2: failed in ",
            "retry 2 of 2 in 1000 ms (the server's Retry-After, honoured)",
            "attempt 3: PUT ",
            "attempt 3: succeeded in ",
            "reset succeeded after 3 attempt(s) in ",
        ],
    );
    for failed in [&got[0], &got[3]] {
        assert!(
            failed
                .message
                .contains("server error (HTTP 5xx), answered HTTP 503, retryable, ")
                && failed.message.ends_with(": Sandbox injected HTTP 503."),
            "{failed:?}"
        );
    }
    assert_eq!((got[1].level, got[4].level), (2, 2), "{got:#?}");

    let backoff = [r#"{"kind":"status","status":502,"times":2}"#];
    let got = succeeds_logging(
        &backoff,
        &[
            "answered HTTP 502",
            "retry 1 of 2 in ",
            "answered HTTP 502",
            "retry 2 of 2 in ",
            "reset succeeded after 3 attempt(s) in ",
        ],
    );
    // Equal jitter on 250 ms and 500 ms steps: half fixed, half random.
    for (line, range) in [(&got[1], 125..=250), (&got[3], 250..=500)] {
        let wait: u64 = line
            .message
            .split(" in ")
            .nth(1)
            .and_then(|rest| rest.strip_suffix(" ms (backoff with jitter)"))
            .unwrap_or_else(|| panic!("{line:?}"))
            .parse()
            .unwrap();
        assert!(range.contains(&wait), "{line:?}");
        assert_eq!(line.level, 2, "{line:?}");
    }
}

#[test]
fn nothing_is_logged_when_off_or_below_the_level() {
    let Some(ls) = log_sandbox() else {
        return;
    };
    let reset = format!("reset:{SEED_ENTITY_ID}");
    let missing = "reset:no-such-entity";
    let rotate = format!("rotate-async:{SEED_ENTITY_ID}");
    let steps = run_steps(
        &ls,
        &[
            &reset, // never installed
            "level=5", "null", &reset, // installed, then NULL
            "level=1", &reset, missing, // ERROR: only the failure
            "level=0", missing, // 0 is off
            "level=-7", missing, // so is anything below ERROR
            "level=99", &rotate, // above TRACE is TRACE
        ],
    );
    for (i, step) in steps.iter().enumerate() {
        if let Some((status, doc)) = &step.call {
            let want = if step.step == missing { 4 } else { 0 };
            assert_eq!(*status, want, "step {i} {}: {doc}", step.step);
        }
        if i == 6 || i == 12 {
            continue;
        }
        assert!(
            step.lines.is_empty(),
            "step {i} {}: {:#?}",
            step.step,
            step.lines
        );
    }
    let failure = &steps[6].lines;
    assert_eq!(failure.len(), 1, "{failure:#?}");
    assert_eq!(failure[0].level, 1);
    assert!(failure[0].on_caller);
    assert!(
        failure[0]
            .message
            .starts_with("reset failed after 1 attempt(s) in ")
            && failure[0].message.ends_with(
                ": not found (HTTP 404), answered HTTP 404; the key is unchanged: \
                 The live entity you requested does not exist."
            ),
        "{failure:#?}"
    );
    let doc = steps[6].doc();
    assert_eq!(doc["attempts"], 1, "{doc}");
    assert!(doc["elapsed_ms"].is_u64(), "{doc}");
    let trace = &steps[12].lines;
    for level in [3, 4, 5] {
        assert!(
            trace.iter().any(|l| l.level == level),
            "level 99 logs level {level} too: {trace:#?}"
        );
    }
}

/// `attempts` and `elapsed_ms` follow `rotated` in the error document of a
/// failed call and say what it did.
#[test]
fn error_documents_tell_attempts_and_elapsed_time() {
    let sb = reliability_sandbox();
    let client = client_with_budget(&sb, 5000);
    let call = |id: &str| {
        let start = Instant::now();
        let out = checked(client.reset(id));
        (out, start.elapsed())
    };
    let diagnostics = |out: &Outcome, took: Duration| -> (u64, u64) {
        let json = &out.json;
        let at = |field: &str| json.find(&format!("\"{field}\":")).unwrap_or(usize::MAX);
        assert!(
            at("rotated") < at("attempts") && at("attempts") < at("elapsed_ms"),
            "{json}"
        );
        let elapsed = out.doc["elapsed_ms"].as_u64().unwrap();
        assert!(
            u128::from(elapsed) <= took.as_millis(),
            "{json} in {took:?}"
        );
        (out.doc["attempts"].as_u64().unwrap(), elapsed)
    };

    // Two 503s retried after their Retry-After, then a failure for good.
    for f in [
        r#"{"kind":"status","status":503,"retry_after":"1"}"#,
        r#"{"kind":"status","status":503,"retry_after":"0"}"#,
        r#"{"kind":"status","status":404}"#,
    ] {
        sb.push_fault(fault(f));
    }
    let (out, took) = call(SEED_ENTITY_ID);
    assert_eq!(out.status, S::NotFound, "{}", out.json);
    let (attempts, elapsed) = diagnostics(&out, took);
    assert_eq!(attempts, 3, "{}", out.json);
    assert!(elapsed >= 1000, "the 1 s wait counts: {}", out.json);

    // Retryable every time: all three attempts, then the last answer.
    sb.push_fault(fault(
        r#"{"kind":"status","status":503,"retry_after":"0","times":3}"#,
    ));
    let (out, took) = call(SEED_ENTITY_ID);
    assert_eq!(out.status, S::ServerError, "{}", out.json);
    assert_eq!(diagnostics(&out, took).0, 3, "{}", out.json);

    // One answer, not retried.
    let (out, took) = call("no-such-entity");
    assert_eq!(out.status, S::NotFound, "{}", out.json);
    assert_eq!(diagnostics(&out, took).0, 1, "{}", out.json);

    // Refused before anything is sent.
    let (out, took) = call("..");
    assert_eq!(out.status, S::InvalidArgument, "{}", out.json);
    assert_eq!(diagnostics(&out, took).0, 0, "{}", out.json);

    // A timeout: one attempt, the whole budget.
    let short = client_with_budget(&sb, 500);
    sb.push_fault(fault(r#"{"kind":"delay","ms":3000}"#));
    let start = Instant::now();
    let out = checked(short.reset(SEED_ENTITY_ID));
    let took = start.elapsed();
    assert_eq!(out.status, S::Timeout, "{}", out.json);
    let (attempts, elapsed) = diagnostics(&out, took);
    assert_eq!(attempts, 1, "{}", out.json);
    assert!((450..=1500).contains(&elapsed), "{}", out.json);
}

#[test]
fn swapping_callbacks_under_load_never_reaches_freed_user_data() {
    let Some(ls) = log_sandbox() else {
        return;
    };
    let out = run_checked(
        Command::new(program())
            .args(["swap", "5000"])
            .envs(ls.env()),
    );
    out.assert_success("log_test swap");
    verify_swap(&out.stdout);
    eprintln!("{}", out.stdout.trim());
}

/// Callbacks that replace themselves, turn logging off, and make library
/// calls from inside, on the caller's thread and a worker's. A deadlock
/// would show as the program running out of time.
#[test]
fn callbacks_that_replace_themselves_do_not_deadlock() {
    let Some(ls) = log_sandbox() else {
        return;
    };
    let out = run(
        Command::new(program()).arg("reentrant").envs(ls.env()),
        Duration::from_secs(60),
    );
    out.assert_success("log_test reentrant");
    assert!(out.stdout.contains(" passed, 0 failed"), "{}", out.stdout);
    assert!(out.stdout.contains("reentrant: a=1 b=3 "), "{}", out.stdout);
}

/// A server's error message reaches the log as one line, with the API key
/// it echoes redacted and any stream key elided: it can neither forge a
/// line nor smuggle a secret into one.
#[test]
fn server_text_cannot_forge_lines_or_carry_secrets() {
    let capture = support::log_capture::log_capture();
    let sb = sandbox();
    let message =
        format!("first\nforged line {DEFAULT_API_KEY} live_0123456789abcdef0123456789abcdef");
    let body = serde_json::json!({"message": message, "error_type": "x"}).to_string();
    let queued = serde_json::json!({"kind": "status", "status": 400, "body": body});
    sb.push_fault(fault(&queued.to_string()));
    let c = TestClient::for_sandbox(&sb);
    let out = c.reset(SEED_ENTITY_ID);
    assert_eq!(out.status, S::BadRequest, "{}", out.json);
    let lines = capture.lines();
    assert!(
        lines
            .iter()
            .any(|l| l.contains("first\\nforged line [redacted] live_…")),
        "the server's message is not in the log as one scrubbed line"
    );
    assert!(
        !lines.iter().any(|l| l.starts_with("forged line")),
        "a server message forged a log line"
    );
    capture.assert_clean(1);
}
