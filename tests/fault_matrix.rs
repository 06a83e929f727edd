//! Every fault the sandbox can inject, through the client API and through
//! the one-shot `uiza_reset_stream_key`, each checked for: the documented
//! status, the error document, the time taken against the budget, the
//! number of attempts the sandbox saw (the retry policy), peak memory, and
//! that the API key never comes back: not in the documents, and not in any
//! form in the library's log, which is captured at TRACE throughout
//! (`support::log_capture`) together with every stream key the sandbox
//! holds after each call.
//!
//! This file is its own process, so it can point the one-shot client at a
//! sandbox through UIZA_BASE_URL before the first one-shot call.

mod support;

use std::sync::{Mutex, OnceLock, RwLock};
use std::time::{Duration, Instant, SystemTime};

use support::hygiene::*;
use support::log_capture::log_capture;
use support::*;
use uiza::UizaStatus as S;

/// Budget of the client-API calls. The one-shot client has the default.
const CLIENT_BUDGET: Duration = Duration::from_millis(3000);
const DEFAULT_BUDGET: Duration = Duration::from_secs(30);
/// Default retries: 2, so an always-failing retryable fault is tried 3 times.
const ATTEMPTS: u64 = 3;
/// How late a call may return past its bound on a loaded 2-core machine.
const MARGIN: Duration = Duration::from_millis(1500);
/// Peak RSS growth allowed for one call, the 1 GiB body included.
const PEAK_LIMIT_KIB: u64 = 8 * 1024;

const MSG_500: &str = "An unexpected error occurred on Uiza's end.";

/// What the message of the error document must be.
#[derive(Clone, Debug)]
enum Msg {
    /// Success: no error document.
    None,
    /// The server's message, verbatim.
    Exact(&'static str),
    /// A library message; this part of it.
    Contains(String),
}

/// One fault and everything the call must do about it.
struct Case {
    name: &'static str,
    /// Fault JSON, queued in this order before the call.
    faults: Vec<String>,
    status: S,
    /// API requests the sandbox must count: 1 + the retries the policy makes.
    requests: u64,
    error_type: Option<&'static str>,
    http_status: Option<u64>,
    message: Msg,
    /// The call takes at least this long (waits the policy must make).
    min: Duration,
    /// ... and returns within this (before `MARGIN`), never past the budget.
    max: Duration,
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Stands for an HTTP date two seconds after the fault is queued (at
/// whole-second resolution: the first wait is 1-2 s, the second 0-1 s, as
/// the sandbox repeats the same date).
const DATE_IN_2S: &str = "@http-date-in-2s@";

fn queue(sb: &Sandbox, json: &str) {
    let date = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(2));
    sb.push_fault(fault(&json.replace(DATE_IN_2S, &date)));
}

/// The worst-case backoff before retries 0 and 1 (250 ms and 500 ms steps).
const BACKOFF_2: Duration = Duration::from_millis(750);

fn server_error(code: u16, budget: Duration) -> Case {
    Case {
        name: match code {
            502 => "502, every attempt",
            503 => "503, every attempt",
            _ => "504, every attempt",
        },
        faults: vec![format!(
            r#"{{"kind":"status","status":{code},"times":{ATTEMPTS}}}"#
        )],
        status: S::ServerError,
        requests: ATTEMPTS,
        error_type: Some("api_error"),
        http_status: Some(u64::from(code)),
        message: Msg::Exact(match code {
            502 => "Sandbox injected HTTP 502.",
            503 => "Sandbox injected HTTP 503.",
            _ => "Sandbox injected HTTP 504.",
        }),
        min: ms(250),
        max: BACKOFF_2.min(budget),
    }
}

/// A failure of the transport on every attempt: retried, then reported.
fn transport(name: &'static str, kind: &str, http_status: Option<u64>, budget: Duration) -> Case {
    Case {
        name,
        faults: vec![format!(r#"{{"kind":"{kind}","times":{ATTEMPTS}}}"#)],
        status: S::ConnectionFailed,
        requests: ATTEMPTS,
        error_type: Some("connection_error"),
        http_status,
        message: Msg::Contains("connection".into()),
        min: ms(250),
        max: BACKOFF_2.min(budget),
    }
}

/// One retryable failure, then the real answer after the first backoff
/// (125-250 ms with equal jitter).
fn recovers(name: &'static str, fault: &str) -> Case {
    Case {
        name,
        faults: vec![fault.into()],
        status: S::Ok,
        requests: 2,
        error_type: None,
        http_status: None,
        message: Msg::None,
        min: ms(125),
        max: ms(750),
    }
}

/// A 200 whose body is unusable: never retried.
fn invalid(name: &'static str, kind: &str, message: Msg) -> Case {
    Case {
        name,
        faults: vec![format!(r#"{{"kind":"{kind}"}}"#)],
        status: S::InvalidResponse,
        requests: 1,
        error_type: Some("invalid_response"),
        http_status: Some(200),
        message,
        min: Duration::ZERO,
        max: ms(500),
    }
}

/// The faults that end within any budget of a few seconds or more.
fn cases(budget: Duration) -> Vec<Case> {
    let budget_secs = budget.as_secs();
    vec![
        Case {
            name: "delay within the budget",
            faults: vec![r#"{"kind":"delay","ms":400}"#.into()],
            status: S::Ok,
            requests: 1,
            error_type: None,
            http_status: None,
            message: Msg::None,
            min: ms(400),
            max: ms(1000),
        },
        Case {
            name: "500",
            faults: vec![r#"{"kind":"status","status":500,"times":3}"#.into()],
            status: S::ServerError,
            requests: 1,
            error_type: Some("api_error"),
            http_status: Some(500),
            message: Msg::Exact(MSG_500),
            min: Duration::ZERO,
            max: ms(500),
        },
        server_error(502, budget),
        server_error(503, budget),
        server_error(504, budget),
        recovers(
            "503 once, then the real answer",
            r#"{"kind":"status","status":503}"#,
        ),
        Case {
            name: "429, Retry-After 1 s, every attempt",
            faults: vec![format!(
                r#"{{"kind":"status","status":429,"retry_after":"1","times":{ATTEMPTS}}}"#
            )],
            status: S::RateLimited,
            requests: ATTEMPTS,
            error_type: Some("api_error"),
            http_status: Some(429),
            message: Msg::Exact("Sandbox injected HTTP 429."),
            // Retry-After replaces the backoff: exactly two 1 s waits.
            min: ms(1950),
            max: ms(2600),
        },
        Case {
            name: "429, Retry-After as an HTTP date, every attempt",
            faults: vec![format!(
                r#"{{"kind":"status","status":429,"retry_after":"{DATE_IN_2S}","times":{ATTEMPTS}}}"#
            )],
            status: S::RateLimited,
            requests: ATTEMPTS,
            error_type: Some("api_error"),
            http_status: Some(429),
            message: Msg::Exact("Sandbox injected HTTP 429."),
            min: ms(900),
            max: ms(2600),
        },
        Case {
            name: "429, Retry-After past the budget",
            faults: vec![format!(
                r#"{{"kind":"status","status":429,"retry_after":"{}","times":{ATTEMPTS}}}"#,
                budget_secs + 30
            )],
            status: S::RateLimited,
            // The wait would end past the budget: not started, no retry.
            requests: 1,
            error_type: Some("api_error"),
            http_status: Some(429),
            message: Msg::Exact("Sandbox injected HTTP 429."),
            min: Duration::ZERO,
            max: ms(500),
        },
        transport(
            "connection dropped before the response",
            "drop",
            None,
            budget,
        ),
        transport(
            "connection dropped mid-body",
            "drop_mid_body",
            Some(200),
            budget,
        ),
        transport(
            "body shorter than Content-Length",
            "truncated",
            Some(200),
            budget,
        ),
        recovers(
            "connection dropped once, then the real answer",
            r#"{"kind":"drop"}"#,
        ),
        Case {
            name: "1 GiB body",
            faults: vec![r#"{"kind":"oversized","bytes":1073741824}"#.into()],
            status: S::ResponseTooLarge,
            requests: 1,
            error_type: Some("response_too_large"),
            http_status: Some(200),
            message: Msg::Contains("larger than 1048576 bytes".into()),
            min: Duration::ZERO,
            max: ms(1500),
        },
        invalid(
            "200 with a non-JSON body",
            "non_json",
            Msg::Contains("not valid JSON".into()),
        ),
        invalid(
            "200 with fields of the wrong JSON type",
            "wrong_types",
            Msg::Contains("wrong JSON type".into()),
        ),
        invalid(
            "200 entity without ingest.key",
            "no_key",
            Msg::Exact("the response is not a live entity: it has no string ingest.key"),
        ),
    ]
}

/// Faults that outlast the budget: the call ends with TIMEOUT when the
/// budget runs out, and a timeout is never retried.
fn overrun_cases(budget: Duration) -> Vec<Case> {
    let budget_ms = budget.as_millis() as u64;
    let timeout = |name, fault: String, http_status| Case {
        name,
        faults: vec![fault],
        status: S::Timeout,
        requests: 1,
        error_type: Some("timeout"),
        http_status,
        message: Msg::Contains(format!("time budget of {budget_ms} ms ran out")),
        min: budget - ms(50),
        max: budget,
    };
    vec![
        timeout(
            "delay beyond the budget",
            format!(r#"{{"kind":"delay","ms":{}}}"#, budget_ms * 2),
            None,
        ),
        // The seed entity is ~600 bytes: one byte per interval lasts far
        // longer than the budget. The status line had come: http_status 200.
        timeout(
            "body dripping past the budget",
            format!(
                r#"{{"kind":"drip","chunk_bytes":1,"interval_ms":{}}}"#,
                budget_ms / 100
            ),
            Some(200),
        ),
    ]
}

/// Memory-heavy cases run alone: every case holds this shared while it
/// runs, the 1 GiB body exclusively, so its peak is its own.
static MEMORY_GATE: RwLock<()> = RwLock::new(());

/// Runs one case: clears the sandbox, queues the faults, makes the call and
/// checks everything the case promises.
fn run_case(sb: &Sandbox, case: &Case, budget: Duration, call: &dyn Fn() -> Outcome) {
    let exclusive = case.faults.iter().any(|f| f.contains("oversized"));
    let _read;
    let _write;
    if exclusive {
        _write = MEMORY_GATE.write().unwrap_or_else(|e| e.into_inner());
    } else {
        _read = MEMORY_GATE.read().unwrap_or_else(|e| e.into_inner());
    }
    sb.clear();
    for f in &case.faults {
        queue(sb, f);
    }
    let start = Instant::now();
    let (out, peak_kib) = support::memory::peak_growth_kib(call);
    let took = start.elapsed();
    let out = checked(out);
    record_keys(sb, &out);
    let name = case.name;

    assert_eq!(out.status, case.status, "{name}: {}", out.json);
    let stats = sb.stats();
    assert_eq!(
        stats.api_requests, case.requests,
        "{name}: attempts seen by the sandbox ({stats:?})"
    );
    if case.status == S::Ok {
        assert!(
            out.ingest_key().starts_with("live_"),
            "{name}: {}",
            out.json
        );
    } else {
        // Outcome::take already checked that message and error_type are
        // non-empty strings and that http_status is present.
        assert_eq!(Some(out.error_type()), case.error_type, "{name}");
        assert_eq!(out.http_status(), case.http_status, "{name}: {}", out.json);
        match &case.message {
            Msg::None => unreachable!("{name}: an error case needs a message"),
            Msg::Exact(m) => assert_eq!(out.message(), *m, "{name}"),
            Msg::Contains(m) => assert!(out.message().contains(m.as_str()), "{name}: {}", out.json),
        }
    }
    assert!(
        took >= case.min,
        "{name}: returned after {took:?} < {:?}",
        case.min
    );
    assert!(
        took <= case.max + MARGIN && took <= budget + MARGIN,
        "{name}: took {took:?}, bound {:?} (budget {budget:?})",
        case.max
    );
    assert!(
        peak_kib <= PEAK_LIMIT_KIB,
        "{name}: resident memory grew by {peak_kib} KiB during the call"
    );
    eprintln!("{name}: {:?} in {took:?}, peak +{peak_kib} KiB", out.status);
}

/// Gives the log scan the keys a call saw: the one it returned and the
/// one the sandbox holds now.
fn record_keys(sb: &Sandbox, out: &Outcome) {
    log_capture().record_key(out.ingest_key());
    log_capture().record_key(&sb.current_key(SEED_ENTITY_ID).unwrap());
}

/// The first call of a process builds the trust store and the pool; done
/// before measuring so that the cases measure only themselves. Logging is
/// on from here.
fn warm_up(sb: &Sandbox, call: &dyn Fn() -> Outcome) {
    let _read = MEMORY_GATE.read().unwrap_or_else(|e| e.into_inner());
    log_capture().record_key(&sb.current_key(SEED_ENTITY_ID).unwrap());
    sb.clear();
    let out = checked(call());
    assert_eq!(out.status, S::Ok);
    record_keys(sb, &out);
}

#[test]
fn client_api_fault_matrix() {
    let sb = reliability_sandbox();
    let c = client_with_budget(&sb, CLIENT_BUDGET.as_millis() as u32);
    let call = || c.reset(SEED_ENTITY_ID);
    warm_up(&sb, &call);
    let rss_before = support::memory::rss_kib();
    let all: Vec<Case> = cases(CLIENT_BUDGET)
        .into_iter()
        .chain(overrun_cases(CLIENT_BUDGET))
        .collect();
    for case in &all {
        run_case(&sb, case, CLIENT_BUDGET, &call);
    }
    let growth = support::memory::rss_kib().saturating_sub(rss_before);
    assert!(
        growth <= PEAK_LIMIT_KIB,
        "RSS grew by {growth} KiB over the matrix"
    );
    log_capture().assert_clean(10 * all.len());
}

/// The one-shot client's sandbox, shared by this process's one-shot tests.
fn one_shot_sandbox() -> &'static Sandbox {
    static SANDBOX: OnceLock<Sandbox> = OnceLock::new();
    SANDBOX.get_or_init(|| {
        let sb = reliability_sandbox();
        // Set before the first one-shot call in this process.
        std::env::set_var("UIZA_BASE_URL", sb.base_url());
        sb
    })
}

/// Faults are a FIFO shared by every request to a sandbox, so one-shot
/// tests take turns.
static ONE_SHOT: Mutex<()> = Mutex::new(());

fn one_shot_call() -> Outcome {
    one_shot(RELIABILITY_KEY, SEED_ENTITY_ID)
}

#[test]
fn one_shot_fault_matrix() {
    let _turn = ONE_SHOT.lock().unwrap_or_else(|e| e.into_inner());
    let sb = one_shot_sandbox();
    warm_up(sb, &one_shot_call);
    let cases = cases(DEFAULT_BUDGET);
    for case in &cases {
        run_case(sb, case, DEFAULT_BUDGET, &one_shot_call);
    }
    log_capture().assert_clean(10 * cases.len());
}

/// The one-shot client has the default 30 s budget: both overruns are run
/// at once, so that this costs 30 s rather than 60. Each call gets one of
/// the two faults; both must end in TIMEOUT at the budget.
#[test]
fn one_shot_overruns_end_at_the_default_budget() {
    let _turn = ONE_SHOT.lock().unwrap_or_else(|e| e.into_inner());
    let sb = one_shot_sandbox();
    log_capture();
    let cases = overrun_cases(DEFAULT_BUDGET);
    sb.clear();
    for case in &cases {
        for f in &case.faults {
            queue(sb, f);
        }
    }
    let _read = MEMORY_GATE.read().unwrap_or_else(|e| e.into_inner());
    let results: Vec<(Outcome, Duration)> = std::thread::scope(|s| {
        let calls: Vec<_> = cases
            .iter()
            .map(|_| {
                s.spawn(|| {
                    let start = Instant::now();
                    (checked(one_shot_call()), start.elapsed())
                })
            })
            .collect();
        calls.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let stats = sb.stats();
    assert_eq!(stats.api_requests, 2, "timeouts are not retried: {stats:?}");
    assert_eq!(stats.faults_applied, 2, "{stats:?}");
    let mut http_statuses: Vec<Option<u64>> = Vec::new();
    for (out, took) in results {
        record_keys(sb, &out);
        assert_eq!(out.status, S::Timeout, "{}", out.json);
        assert_eq!(out.error_type(), "timeout");
        assert!(
            out.message().contains("time budget of 30000 ms ran out"),
            "{}",
            out.json
        );
        assert!(
            took >= DEFAULT_BUDGET - ms(50) && took <= DEFAULT_BUDGET + MARGIN,
            "{took:?}"
        );
        http_statuses.push(out.http_status());
    }
    // One call got the delay (no response yet), the other the drip.
    http_statuses.sort();
    let mut expected: Vec<_> = cases.iter().map(|c| c.http_status).collect();
    expected.sort();
    assert_eq!(http_statuses, expected);
    log_capture().assert_clean(2 * 3);
}
