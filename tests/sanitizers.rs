//! The C test programs and the C example under memory checkers, against the
//! in-process sandbox:
//!
//! - valgrind memcheck: zero errors and no definite leaks, with only the
//!   suppressions in `valgrind.supp`;
//! - AddressSanitizer + UndefinedBehaviorSanitizer on the C side (the Rust
//!   library is not instrumented, but ASan's allocator replaces malloc and
//!   free for the whole process, so the strings the library hands out and
//!   frees are checked too), leak detection on, with only the suppressions
//!   in `tests/c/lsan.supp`.
//!
//! Every line the programs and the checkers print is scanned for the API
//! key. A test whose checker is missing is skipped (see
//! `support::tools`); `.ci/run` installs them
//! (`.ci/install.d/50-reliability.sh`).

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::async_fixture::AsyncFixture;
use support::c_build::{c_compiler, compile_c, profile_dir, repo_root};
use support::hygiene::*;
use support::log_program::{verify_swap, LogSandbox};
use support::tools::{c_compiler_available, missing, tool_available, Finished};
use support::*;

#[derive(Clone, Copy, Debug)]
enum Checker {
    Valgrind,
    /// AddressSanitizer + UndefinedBehaviorSanitizer (+ LeakSanitizer).
    Asan,
}

/// Exit codes the checkers are told to use, so that their findings cannot
/// be mistaken for the program's own failures.
const VALGRIND_EXIT: i32 = 97;
const ASAN_EXIT: i32 = 98;

const SANITIZE_FLAGS: &[&str] = &[
    "-fsanitize=address,undefined",
    "-fno-omit-frame-pointer",
    // Undefined behaviour is an error, not a warning to carry on from.
    "-fno-sanitize-recover=all",
];

/// The C programs, by name: sources and extra compiler flags.
fn sources(program: &str) -> (&'static [&'static str], &'static [&'static str]) {
    match program {
        "abi_test" => (&["tests/c/abi_test.c"], &["-pthread"]),
        "async_test" => (&["tests/c/async_test.c"], &["-pthread"]),
        "log_test" => (&["tests/c/log_test.c"], &["-pthread"]),
        "reset_stream_key" => (&["examples/c/reset_stream_key.c"], &[]),
        "fault_paths" => (&["tests/c/fault_paths.c"], &[]),
        "planted_bug" => (&["tests/c/planted_bug.c"], &[]),
        other => panic!("unknown C program {other}"),
    }
}

/// Compiles `program` for `checker`, under a name of its own (tests run in
/// parallel and other test files build the plain programs).
fn build(checker: Checker, program: &str) -> PathBuf {
    let (srcs, flags) = sources(program);
    match checker {
        Checker::Valgrind => compile_c(&format!("valgrind_{program}"), srcs, flags),
        Checker::Asan => {
            let all: Vec<&str> = flags.iter().chain(SANITIZE_FLAGS).copied().collect();
            compile_c(&format!("asan_{program}"), srcs, &all)
        }
    }
}

/// Whether `checker` can run here: the C compiler, and valgrind or the
/// ASan/UBSan runtimes (which ship separately from the compiler on
/// Debian, in libgcc-<version>-dev). Reports what is missing, see
/// `support::tools::tool_available`.
fn available(checker: Checker) -> bool {
    if !c_compiler_available() {
        return false;
    }
    match checker {
        Checker::Valgrind => tool_available("valgrind", &["--version"], "valgrind"),
        Checker::Asan => {
            // Probed once per process: the tests run in parallel and would
            // write the same probe binary at the same time.
            static LINKS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
            let cc = c_compiler();
            let links = *LINKS.get_or_init(|| {
                let probe = profile_dir().join("c").join("sanitizer-probe");
                std::fs::create_dir_all(probe.parent().unwrap()).unwrap();
                let src = write_temp_file("sanitizer-probe.c", "int main(void) { return 0; }\n");
                Command::new(&cc)
                    .args(SANITIZE_FLAGS)
                    .arg(&src)
                    .arg("-o")
                    .arg(&probe)
                    .output()
                    .is_ok_and(|o| o.status.success())
            });
            if links {
                return true;
            }
            let version = Command::new(&cc)
                .arg("-dumpversion")
                .output()
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
                .unwrap_or_default();
            let major = version.split('.').next().unwrap_or("N");
            missing(
                &format!(
                    "the ASan/UBSan runtime not found ({cc} cannot link \
                     -fsanitize=address,undefined)"
                ),
                &format!("Debian package libgcc-{major}-dev"),
            )
        }
    }
}

/// A fresh log location under target/<profile>/sanitizer-logs.
fn log_path(checker: Checker, program: &str, run: &str) -> PathBuf {
    let dir = profile_dir().join("sanitizer-logs");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!(
        "{checker:?}-{program}-{run}-{}",
        std::process::id()
    ));
    remove_logs(&path);
    path
}

/// The files starting with `prefix` (the sanitizers append `.<pid>`).
fn logs(prefix: &Path) -> Vec<PathBuf> {
    let name = prefix.file_name().unwrap().to_str().unwrap().to_owned();
    std::fs::read_dir(prefix.parent().unwrap())
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&name))
        })
        .collect()
}

fn remove_logs(prefix: &Path) {
    for p in logs(prefix) {
        let _ = std::fs::remove_file(p);
    }
}

/// Runs `bin args` under `checker` with `env`, fails on any finding of the
/// checker, and returns the program's own exit code and output.
fn run_checked(
    checker: Checker,
    program: &str,
    run: &str,
    bin: &Path,
    args: &[&str],
    env: &[(&str, &str)],
) -> Finished {
    let (result, findings) = run_under(checker, program, run, bin, args, env);
    if let Some(report) = findings {
        panic!("{report}");
    }
    eprintln!(
        "{checker:?} run of {program} ({run}): clean, exit {:?}",
        result.status.code()
    );
    result
}

/// Runs `bin args` under `checker` and returns the program's exit code and
/// output, and the checker's report if it found anything. The output and
/// the checker's log are scanned for the API key either way.
fn run_under(
    checker: Checker,
    program: &str,
    run: &str,
    bin: &Path,
    args: &[&str],
    env: &[(&str, &str)],
) -> (Finished, Option<String>) {
    let root = repo_root();
    let log = log_path(checker, program, run);
    let mut cmd = match checker {
        Checker::Valgrind => {
            let mut cmd = Command::new("valgrind");
            cmd.arg("--tool=memcheck")
                .arg(format!("--error-exitcode={VALGRIND_EXIT}"))
                .arg("--leak-check=full")
                .arg("--show-leak-kinds=definite")
                .arg("--errors-for-leak-kinds=definite")
                // Deep enough that the suppressions' rustls frames are in
                // view however many transport layers sit above the socket.
                .arg("--num-callers=40")
                .arg(format!(
                    "--suppressions={}",
                    root.join("valgrind.supp").display()
                ))
                .arg(format!("--log-file={}", log.display()))
                .arg(bin);
            cmd
        }
        Checker::Asan => {
            let mut cmd = Command::new(bin);
            let lsan_supp = root.join("tests/c/lsan.supp");
            cmd.env(
                "ASAN_OPTIONS",
                format!(
                    "detect_leaks=1:halt_on_error=1:exitcode={ASAN_EXIT}:log_path={}",
                    log.display()
                ),
            )
            .env(
                "UBSAN_OPTIONS",
                format!(
                    "halt_on_error=1:print_stacktrace=1:exitcode={ASAN_EXIT}:log_path={}",
                    log.display()
                ),
            )
            .env(
                "LSAN_OPTIONS",
                format!("suppressions={}:print_suppressions=0", lsan_supp.display()),
            );
            cmd
        }
    };
    // Checks stdout and stderr for the API key.
    let result = support::tools::run_checked(cmd.args(args).envs(env.iter().copied()));
    let log_text: String = logs(&log)
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap_or_default())
        .collect();
    let what = format!("{checker:?} run of {program} ({run})");
    assert_no_secret(&format!("the log of the {what}"), &log_text);
    let report = format!(
        "{what}: exit {:?}\n--- log\n{log_text}\n--- stderr\n{}",
        result.status.code(),
        result.stderr
    );
    let clean = match checker {
        Checker::Valgrind => {
            result.status.code() != Some(VALGRIND_EXIT)
                && log_text.contains("ERROR SUMMARY: 0 errors from 0 contexts")
                && (log_text.contains("definitely lost: 0 bytes in 0 blocks")
                    || log_text.contains("All heap blocks were freed"))
        }
        // Reports go to the log files; none may exist.
        Checker::Asan => result.status.code() != Some(ASAN_EXIT) && log_text.is_empty(),
    };
    remove_logs(&log);
    (result, (!clean).then_some(report))
}

fn abi_test(checker: Checker) {
    if !available(checker) {
        return;
    }
    let sb = reliability_sandbox();
    let bin = build(checker, "abi_test");
    let out = run_checked(
        checker,
        "abi_test",
        "sandbox",
        &bin,
        &[],
        &[
            ("UIZA_BASE_URL", sb.base_url()),
            ("UIZA_API_KEY", RELIABILITY_KEY),
            ("UIZA_ENTITY_ID", SEED_ENTITY_ID),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains(" passed, 0 failed"), "{}", out.stdout);
}

/// The async exactly-once program: 1,000 rotations under ASan, 200 under
/// valgrind (which runs it some 50 times slower).
fn async_test(checker: Checker) {
    if !available(checker) {
        return;
    }
    let chain_len = match checker {
        Checker::Asan => 20,
        Checker::Valgrind => 4,
    };
    let fixture = AsyncFixture::start(RELIABILITY_KEY, 50, chain_len, 60);
    let bin = build(checker, "async_test");
    let env = fixture.env(RELIABILITY_KEY);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let out = run_checked(checker, "async_test", "sandbox", &bin, &[], &env);
    assert_eq!(out.status.code(), Some(0), "{}", out.output());
    fixture.verify(&out.stdout);
}

/// Log callbacks swapped under load, each `user_data` freed as soon as
/// the setter returns: a line that reached a freed one is a use after free
/// the checker reports. 2,000 swaps under ASan, 300 under valgrind; then
/// the callbacks that replace themselves from inside.
fn log_test(checker: Checker) {
    if !available(checker) {
        return;
    }
    let swaps = match checker {
        Checker::Asan => "2000",
        Checker::Valgrind => "300",
    };
    let ls = LogSandbox::start();
    let bin = build(checker, "log_test");
    let env = ls.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let out = run_checked(checker, "log_test", "swap", &bin, &["swap", swaps], &env);
    assert_eq!(out.status.code(), Some(0), "{}", out.output());
    verify_swap(&out.stdout);
    let out = run_checked(checker, "log_test", "reentrant", &bin, &["reentrant"], &env);
    assert_eq!(out.status.code(), Some(0), "{}", out.output());
    assert!(out.stdout.contains(" passed, 0 failed"), "{}", out.stdout);
}

fn example(checker: Checker) {
    if !available(checker) {
        return;
    }
    let bin = build(checker, "reset_stream_key");
    for sb in [reliability_sandbox(), reliability_tls_sandbox()] {
        let ca = sb
            .ca_pem()
            .map(|pem| write_temp_file("sanitizers-ca.pem", pem));
        let mut env = vec![
            ("UIZA_BASE_URL", sb.base_url()),
            ("UIZA_API_KEY", RELIABILITY_KEY),
        ];
        if let Some(ca) = &ca {
            env.push(("UIZA_CA_FILE", ca.to_str().unwrap()));
        }
        let run = if ca.is_some() { "https" } else { "http" };
        let out = run_checked(
            checker,
            "reset_stream_key",
            run,
            &bin,
            &[SEED_ENTITY_ID],
            &env,
        );
        assert_eq!(out.status.code(), Some(0), "{}{}", out.stdout, out.stderr);
        let key = sb.entity(SEED_ENTITY_ID).unwrap()["ingest"]["key"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(out.stdout.contains(&key), "{}", out.stdout);

        // The failure path: an error document read back and explained.
        let out = run_checked(
            checker,
            "reset_stream_key",
            &format!("{run}-404"),
            &bin,
            &["no-such-entity"],
            &env,
        );
        assert_eq!(out.status.code(), Some(1), "{}{}", out.stdout, out.stderr);
        assert!(out.stderr.contains("HTTP 404"), "{}", out.stderr);
    }
}

/// One call of fault_paths: its `TIMEOUT_MS:ID` argument, the fault queued
/// for it, and the `status=.. type=.. http=..` it must print.
struct FaultCall {
    arg: String,
    fault: Option<&'static str>,
    expect: &'static str,
}

fn fault_calls() -> Vec<FaultCall> {
    let seed = |ms: u32, fault, expect| FaultCall {
        arg: format!("{ms}:{SEED_ENTITY_ID}"),
        fault: Some(fault),
        expect,
    };
    let plain = |arg: String, expect| FaultCall {
        arg,
        fault: None,
        expect,
    };
    // Faults are a FIFO applied to the next requests: every faulted call
    // comes first, the calls that consume none after.
    vec![
        seed(
            30000,
            r#"{"kind":"status","status":500}"#,
            "status=6 type=api_error http=500",
        ),
        seed(
            30000,
            r#"{"kind":"status","status":503}"#,
            "status=6 type=api_error http=503",
        ),
        seed(
            30000,
            r#"{"kind":"status","status":429,"retry_after":"1"}"#,
            "status=5 type=api_error http=429",
        ),
        seed(
            30000,
            r#"{"kind":"drop"}"#,
            "status=9 type=connection_error http=-1",
        ),
        seed(
            30000,
            r#"{"kind":"drop_mid_body"}"#,
            "status=9 type=connection_error http=200",
        ),
        seed(
            30000,
            r#"{"kind":"truncated"}"#,
            "status=9 type=connection_error http=200",
        ),
        seed(
            30000,
            r#"{"kind":"oversized","bytes":1073741824}"#,
            "status=12 type=response_too_large http=200",
        ),
        seed(
            30000,
            r#"{"kind":"non_json"}"#,
            "status=11 type=invalid_response http=200",
        ),
        seed(
            30000,
            r#"{"kind":"wrong_types"}"#,
            "status=11 type=invalid_response http=200",
        ),
        seed(
            30000,
            r#"{"kind":"no_key"}"#,
            "status=11 type=invalid_response http=200",
        ),
        seed(
            2000,
            r#"{"kind":"delay","ms":6000}"#,
            "status=8 type=timeout http=-1",
        ),
        seed(
            2000,
            r#"{"kind":"drip","chunk_bytes":1,"interval_ms":100}"#,
            "status=8 type=timeout http=200",
        ),
        plain(format!("30000:{SEED_ENTITY_ID}"), "status=0 type=- http=-"),
        plain(
            "30000:no-such-entity".into(),
            "status=4 type=invalid_request_error http=404",
        ),
        // The debug-build hook: a panic inside the library, caught.
        plain(
            format!("30000:{}", uiza::ffi::boundary::TEST_PANIC_ID),
            "status=13 type=internal_error http=-1",
        ),
        plain("30000:".into(), "status=1 type=invalid_argument http=-1"),
    ]
}

fn fault_paths(checker: Checker) {
    if !available(checker) {
        return;
    }
    let sb = reliability_sandbox();
    let bin = build(checker, "fault_paths");
    let calls = fault_calls();
    for f in calls.iter().filter_map(|c| c.fault) {
        sb.push_fault(fault(f));
    }
    let args: Vec<&str> = calls.iter().map(|c| c.arg.as_str()).collect();
    let out = run_checked(
        checker,
        "fault_paths",
        "faults",
        &bin,
        &args,
        &[
            ("UIZA_BASE_URL", sb.base_url()),
            ("UIZA_API_KEY", RELIABILITY_KEY),
            ("UIZA_ENTITY_ID", SEED_ENTITY_ID),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}{}", out.stdout, out.stderr);
    for (i, call) in calls.iter().enumerate() {
        let line = format!("call {}: {}\n", i + 1, call.expect);
        assert!(
            out.stdout.contains(&line),
            "want {line:?} in\n{}",
            out.stdout
        );
    }
    assert!(
        out.stdout.contains("one-shot: status=0\n"),
        "{}",
        out.stdout
    );
    assert_eq!(sb.stats().faults_applied, 12, "{:?}", sb.stats());
}

/// One test per program and checker, so that the slow runs go in
/// parallel and each failure names its program and checker.
macro_rules! checked_tests {
    ($($name:ident: $program:ident under $checker:ident;)+) => {
        $(
            #[test]
            fn $name() {
                $program(Checker::$checker);
            }
        )+
    };
}

checked_tests! {
    valgrind_abi_test: abi_test under Valgrind;
    valgrind_async_test: async_test under Valgrind;
    asan_ubsan_async_test: async_test under Asan;
    valgrind_log_test: log_test under Valgrind;
    asan_ubsan_log_test: log_test under Asan;
    valgrind_example: example under Valgrind;
    valgrind_fault_paths: fault_paths under Valgrind;
    asan_ubsan_abi_test: abi_test under Asan;
    asan_ubsan_example: example under Asan;
    asan_ubsan_fault_paths: fault_paths under Asan;
    valgrind_catches_planted_bugs: catches_planted_bugs under Valgrind;
    asan_ubsan_catches_planted_bugs: catches_planted_bugs under Asan;
}

/// The checkers must catch a double free and a leak of a string the
/// library handed out; otherwise the clean runs above would prove nothing.
fn catches_planted_bugs(checker: Checker) {
    if !available(checker) {
        return;
    }
    let bin = build(checker, "planted_bug");
    for (bug, evidence) in [
        ("double-free", ["Invalid free", "double-free"]),
        ("leak", ["definitely lost: ", "detected memory leaks"]),
    ] {
        let (_, findings) = run_under(checker, "planted_bug", bug, &bin, &[bug], &[]);
        let report = findings.unwrap_or_else(|| panic!("{checker:?} missed the planted {bug}"));
        assert!(
            evidence.iter().any(|e| report.contains(e)),
            "{checker:?}, {bug}: {report}"
        );
    }
}
