//! C++ consumers: include/uiza.h compiles cleanly as C++17, and the
//! header-only wrapper include/uiza.hpp works end to end through the C++
//! examples and a checks program (g++, linked to the freshly built
//! libuiza.so, run against the sandbox): resets, exactly-once rotation,
//! reads, async calls with std::function callbacks, cancel tokens, and the
//! "rotated" field of errors, uiza::set_logger (a rotation's lines in order, off,
//! a throwing logger, replacement by several threads while calls run) and
//! Error::attempts()/elapsed_ms().

mod support;

use std::path::{Path, PathBuf};

use support::*;
use uiza::UizaStatus;

/// examples/cpp/NAME.cpp, compiled once per test process into `bin`:
/// tests run in parallel threads and must not write the same binary at
/// the same time.
fn compiled_example(bin: &'static std::sync::OnceLock<PathBuf>, name: &str) -> PathBuf {
    bin.get_or_init(|| {
        let source = format!("examples/cpp/{name}.cpp");
        support::consumer::compile_cpp(name, &[Path::new(&source)], &[])
    })
    .clone()
}

fn cpp_example() -> PathBuf {
    static BIN: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    compiled_example(&BIN, "reset_stream_key")
}

fn cpp_rotate_example() -> PathBuf {
    static BIN: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    compiled_example(&BIN, "rotate_stream_key")
}

/// The flags of `headers_compile_as_strict_cpp17`: the checks program
/// instantiates every template and lambda of uiza.hpp under them.
const STRICT_FLAGS: &[&str] = &[
    "-Wpedantic",
    "-Wshadow",
    "-Wconversion",
    "-Wsign-conversion",
    "-Wold-style-cast",
    "-Wnon-virtual-dtor",
];

/// Compiled once per test process from [`BINDING_CHECKS_CPP`], which
/// includes the examples' examples/cpp/example_support.hpp.
fn binding_checks() -> PathBuf {
    static BIN: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BIN.get_or_init(|| {
        let source = write_temp_file("binding_checks.cpp", BINDING_CHECKS_CPP);
        let examples = format!(
            "-I{}",
            support::c_build::repo_root().join("examples/cpp").display()
        );
        let flags: Vec<&str> = STRICT_FLAGS
            .iter()
            .copied()
            .chain([examples.as_str()])
            .collect();
        support::consumer::compile_cpp("binding_checks", &[&source], &flags)
    })
    .clone()
}

/// Runs the checks program in `mode` against `sb`; panics unless it exits
/// 0, and returns its stdout.
fn run_checks(sb: &Sandbox, args: &[&str]) -> String {
    let bin = binding_checks();
    let started = std::time::Instant::now();
    let out = support::tools::run_checked(sandbox_command(&bin, sb).args(args));
    assert!(
        out.status.success(),
        "binding_checks {args:?} failed ({}) after {:?}:\n{}",
        out.status,
        started.elapsed(),
        out.output()
    );
    out.stdout
}

/// `bin` with the sandbox's URL and the default API key, and without an
/// inherited `LD_LIBRARY_PATH` that could pick another libuiza.
fn sandbox_command(bin: &Path, sb: &Sandbox) -> std::process::Command {
    let mut cmd = std::process::Command::new(bin);
    cmd.env("UIZA_API_KEY", DEFAULT_API_KEY)
        .env("UIZA_BASE_URL", sb.base_url())
        .env_remove("LD_LIBRARY_PATH");
    cmd
}

/// A sandbox for a test that runs a C++ program, or `None` (the test is
/// skipped) without a C++ compiler.
fn cpp_sandbox() -> Option<Sandbox> {
    support::consumer::cxx_available().then(sandbox)
}

/// What the rotation tests start from: a sandbox and its seed entity's
/// current key, or `None` (the test is skipped) without a C++ compiler.
fn sandbox_and_key() -> Option<(Sandbox, String)> {
    let sb = cpp_sandbox()?;
    let key = sb.current_key(SEED_ENTITY_ID).unwrap();
    Some((sb, key))
}

/// Runs the checks program's `mode` for the seed entity and its current
/// key, with `fault_json` queued in the sandbox first: the sandbox, that
/// key and the program's stdout, or `None` (the test is skipped) without a
/// C++ compiler.
fn checks_on_a_fault(mode: &str, fault_json: &str) -> Option<(Sandbox, String, String)> {
    let (sb, key) = sandbox_and_key()?;
    sb.push_fault(fault(fault_json));
    let out = run_checks(&sb, &[mode, SEED_ENTITY_ID, &key]);
    Some((sb, key, out))
}

/// Runs the checks program's `mode` for the seed entity on a fresh
/// sandbox: the sandbox and the program's stdout, or `None` (the test is
/// skipped) without a C++ compiler.
fn checks_on_a_sandbox(mode: &str) -> Option<(Sandbox, String)> {
    let sb = cpp_sandbox()?;
    let out = run_checks(&sb, &[mode, SEED_ENTITY_ID]);
    Some((sb, out))
}

/// Asserts that the checks program reported the call `label` as ending
/// with `status`, with `rotated` (false, unknown or n/a) for the key.
fn assert_call_reported(out: &str, label: &str, status: UizaStatus, rotated: &str) {
    assert_eq!(
        field(out, label, "status"),
        (status as i32).to_string(),
        "{label}"
    );
    assert_eq!(field(out, label, "rotated"), rotated, "{label}");
}

/// Asserts that an example exited with `code` and printed on stderr the
/// bracketed summary of an `error` status: `[status=<n> <details>]`.
fn assert_exited_with_error(
    exit: std::process::ExitStatus,
    stderr: &str,
    code: i32,
    error: UizaStatus,
    details: &str,
) {
    assert_eq!(exit.code(), Some(code), "{stderr}");
    let summary = format!("[status={} {details}]", error as i32);
    assert!(stderr.contains(&summary), "{stderr}");
}

/// The value of `field=` on the output line that starts with `line:`.
fn field<'a>(stdout: &'a str, line: &str, field: &str) -> &'a str {
    let text = stdout
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{line}: ")))
        .unwrap_or_else(|| panic!("no line {line:?} in:\n{stdout}"));
    text.split(' ')
        .find_map(|kv| kv.strip_prefix(&format!("{field}=")))
        .unwrap_or_else(|| panic!("no {field}= on line {line:?} in:\n{stdout}"))
}

/// The text after `line: ` on the output line that starts with it.
fn line<'a>(stdout: &'a str, line: &str) -> &'a str {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{line}: ")))
        .unwrap_or_else(|| panic!("no line {line:?} in:\n{stdout}"))
}

/// A checks program for the C++ wrapper's 0.2 API; tests/cpp.rs drives
/// each mode against a sandbox and checks what the sandbox saw.
const BINDING_CHECKS_CPP: &str = r#"// Checks of uiza.hpp's rotation, read, async and cancellation API, run
// by tests/cpp.rs against a sandbox: `binding_checks <mode> [args]`.
// Prints `name: key=value ...` lines; exits 3 with FAILED: on a failed check.
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <iostream>
#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "example_support.hpp"
#include "uiza.hpp"

static_assert(!std::is_copy_constructible_v<uiza::CancelToken>, "CancelToken is move-only");
static_assert(!std::is_copy_assignable_v<uiza::CancelToken>, "CancelToken is move-only");
static_assert(std::is_nothrow_move_constructible_v<uiza::CancelToken>, "noexcept move");
static_assert(std::is_nothrow_move_assignable_v<uiza::CancelToken>, "noexcept move");

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

[[noreturn]] void fail(const std::string &what) {
    std::cerr << "FAILED: " << what << std::endl;
    std::exit(3);
}

void check(bool ok, const std::string &what) {
    if (!ok) {
        fail(what);
    }
}

// The examples' text for the "rotated" field: false, unknown or n/a.
using uiza_example::rotated_text;

struct Outcome {
    int calls = 0;
    UizaStatus status = UIZA_STATUS_OK;
    std::string json;
    Clock::time_point at;
};

/** Collects the callbacks of one async call. */
class Waiter {
public:
    /** `witness` is captured, to prove the std::function is freed after it ran. */
    uiza::Callback callback(std::shared_ptr<int> witness = nullptr) {
        return [this, witness](UizaStatus status, const std::string &json) {
            std::lock_guard<std::mutex> lock(mu_);
            ++out_.calls;
            out_.status = status;
            out_.json = json;
            out_.at = Clock::now();
            cv_.notify_all();
        };
    }

    /** The outcome, once the callback ran and 300 ms passed with no second call. */
    Outcome wait(milliseconds limit = milliseconds(20000)) {
        std::unique_lock<std::mutex> lock(mu_);
        if (!cv_.wait_for(lock, limit, [this] { return out_.calls > 0; })) {
            fail("no callback within the limit");
        }
        lock.unlock();
        std::this_thread::sleep_for(milliseconds(300));
        lock.lock();
        check(out_.calls == 1, "the callback ran " + std::to_string(out_.calls) + " times");
        return out_;
    }

private:
    std::mutex mu_;
    std::condition_variable cv_;
    Outcome out_;
};

uiza::Client client() {
    const char *key = std::getenv("UIZA_API_KEY");
    const char *url = std::getenv("UIZA_BASE_URL");
    check(key != nullptr && url != nullptr, "UIZA_API_KEY and UIZA_BASE_URL must be set");
    uiza::Client c(key);
    c.set_base_url(url);
    return c;
}

template <typename F>
uiza::Error expect_error(F call, const std::string &what) {
    try {
        call();
    } catch (const uiza::Error &e) {
        return e;
    }
    fail(what + ": no uiza::Error thrown");
}

/** Rotation, read and error paths through the async calls. */
void async_calls(const std::string &id) {
    uiza::Client c = client();
    const std::string before = c.get_live_entity(id).ingest_key();

    Waiter rotated;
    auto witness = std::make_shared<int>(0);
    c.rotate_stream_key_async(id, std::nullopt, nullptr, rotated.callback(witness));
    Outcome o = rotated.wait();
    check(o.status == UIZA_STATUS_OK, "async rotate: " + o.json);
    const std::string key = uiza::LiveEntity::parse(o.json).ingest_key();
    check(key != before, "async rotate returned the old key");
    check(witness.use_count() == 1, "the callback was not freed after it ran");
    std::cout << "async rotate: calls=" << o.calls << " key=" << key << std::endl;

    Waiter read;
    c.get_live_entity_async(id, nullptr, read.callback());
    o = read.wait();
    check(o.status == UIZA_STATUS_OK, "async get: " + o.json);
    check(uiza::LiveEntity::parse(o.json).ingest_key() == key, "async get: not the new key");
    std::cout << "async get: calls=" << o.calls << " key=" << key << std::endl;

    Waiter missing;
    c.rotate_stream_key_async("no-such-entity", "live_x", nullptr, missing.callback());
    o = missing.wait();
    uiza::Error e = uiza::Error::from_json(o.status, o.json);
    check(e.status() == UIZA_STATUS_NOT_FOUND && e.http_status() == 404, "async rotate 404");
    std::cout << "async rotate 404: rotated=" << rotated_text(e.rotated()) << std::endl;

    Waiter missing_read;
    c.get_live_entity_async("no-such-entity", nullptr, missing_read.callback());
    o = missing_read.wait();
    e = uiza::Error::from_json(o.status, o.json);
    check(e.status() == UIZA_STATUS_NOT_FOUND, "async get 404");
    std::cout << "async get 404: rotated=" << rotated_text(e.rotated()) << std::endl;

    // A callback that throws: the exception stays in the wrapper.
    Waiter thrower;
    uiza::Callback record = thrower.callback();
    c.get_live_entity_async(id, nullptr, [record](UizaStatus status, const std::string &json) {
        record(status, json);
        throw std::runtime_error("thrown inside a callback");
    });
    thrower.wait();
    std::cout << "throwing callback: survived" << std::endl;

    // Refused calls throw, and the callback never runs but is freed.
    auto refused_witness = std::make_shared<int>(0);
    e = expect_error(
        [&] {
            c.rotate_stream_key_async("..", std::nullopt, nullptr,
                                      [refused_witness](UizaStatus, const std::string &) {
                                          fail("a refused call ran its callback");
                                      });
        },
        "async rotate of \"..\"");
    check(e.status() == UIZA_STATUS_INVALID_ARGUMENT, "refused status");
    check(refused_witness.use_count() == 1, "a refused call's callback was not freed");
    std::cout << "refused async: rotated=" << rotated_text(e.rotated()) << std::endl
              << "refused async message: " << e.message() << std::endl;
    e = expect_error([&] { c.get_live_entity_async("a/b", nullptr, read.callback()); },
                     "async get of \"a/b\"");
    check(e.status() == UIZA_STATUS_INVALID_ARGUMENT, "refused read status");
    std::cout << "refused async read: rotated=" << rotated_text(e.rotated()) << std::endl
              << "refused async read message: " << e.message() << std::endl;
    e = expect_error([&] { c.get_live_entity_async(id, nullptr, uiza::Callback()); },
                     "empty callback");
    check(e.status() == UIZA_STATUS_INVALID_ARGUMENT, "empty callback status");
}

/** Errors of the blocking calls, and what they say about the key. */
void sync_errors(const std::string &id) {
    uiza::Client c = client();
    uiza::Error e = expect_error([&] { c.get_live_entity("no-such-entity"); }, "get 404");
    std::cout << "get 404: status=" << e.status() << " rotated=" << rotated_text(e.rotated())
              << std::endl;
    e = expect_error([&] { c.rotate_stream_key("no-such-entity", "live_x"); }, "rotate 404");
    std::cout << "rotate 404: status=" << e.status() << " rotated=" << rotated_text(e.rotated())
              << std::endl;
    e = expect_error([&] { c.reset_stream_key("no-such-entity"); }, "reset 404");
    std::cout << "reset 404: status=" << e.status() << " rotated=" << rotated_text(e.rotated())
              << std::endl;
    e = expect_error([&] { c.rotate_stream_key(id, std::string("live_\0x", 7)); }, "NUL key");
    std::cout << "NUL in key: status=" << e.status() << " rotated=" << rotated_text(e.rotated())
              << std::endl;
    e = expect_error([&] { c.rotate_stream_key("../admin"); }, "bad id");
    std::cout << "bad id: status=" << e.status() << " rotated=" << rotated_text(e.rotated())
              << std::endl;
    const uiza::CancelToken cancelled;
    cancelled.cancel();
    e = expect_error([&] { c.rotate_stream_key(id, std::nullopt, &cancelled); }, "cancelled");
    std::cout << "cancelled before: status=" << e.status()
              << " rotated=" << rotated_text(e.rotated()) << std::endl;
}

/** Prints `label: status=<n> rotated=<r>` and `label message: <message>`. */
void say(const char *label, const uiza::Error &e) {
    std::cout << label << ": status=" << e.status() << " rotated=" << rotated_text(e.rotated())
              << std::endl
              << label << " message: " << e.message() << std::endl;
}

/** Refused keys, settings and budgets: the library's messages; the client unchanged. */
void refusals(const std::string &id) {
    say("empty key", expect_error([] { uiza::Client refused(""); }, "empty key"));
    say("spaced key", expect_error([] { uiza::Client refused("two words"); }, "spaced key"));
    say("NUL key",
        expect_error([] { uiza::Client refused(std::string("ab\0cd", 5)); }, "NUL key"));

    uiza::Client c = client();
    c.set_max_retries(0);
    c.set_timeout_ms(5000);
    say("timeout 0", expect_error([&] { c.set_timeout_ms(0); }, "timeout 0"));
    say("ftp URL", expect_error([&] { c.set_base_url("ftp://example.com"); }, "ftp URL"));
    // Escaped into the JSON document whole: a cut string would be accepted.
    say("NUL URL",
        expect_error([&] { c.set_base_url(std::string("http://x\0/", 10)); }, "NUL URL"));
    say("quoted URL",
        expect_error([&] { c.set_base_url("http://x/\"}\\\n"); }, "quoted URL"));
    say("CA file",
        expect_error([&] { c.set_ca_file("/nonexistent/\"ca\".pem"); }, "missing CA file"));
    say("budget 0",
        expect_error([&] { c.reset_stream_key(id, milliseconds(0)); }, "budget 0"));
    say("budget -5",
        expect_error([&] { c.reset_stream_key(id, milliseconds(-5)); }, "budget -5"));
    say("bad id", expect_error([&] { c.get_live_entity("../admin"); }, "bad id"));

    // Nothing refused changed the client: it still reads from the sandbox.
    check(c.get_live_entity(id).has_ingest_key(), "read after the refusals");
    std::cout << "after refusals: read" << std::endl;
}

/** An async rotation whose token was cancelled `after` it started: its outcome, and when. */
struct CancelledRotation {
    Outcome outcome;
    Clock::time_point cancelled_at;
};

CancelledRotation rotate_then_cancel(uiza::Client &c, const std::string &id,
                                     const std::string &key, milliseconds after) {
    const uiza::CancelToken token;
    Waiter w;
    c.rotate_stream_key_async(id, key, &token, w.callback());
    std::this_thread::sleep_for(after);
    const auto cancelled_at = Clock::now();
    token.cancel();
    check(token.is_cancelled(), "is_cancelled after cancel");
    return {w.wait(), cancelled_at};
}

/** A token cancelled 300 ms in, during a long retry wait (the test queues 429s). */
void cancel_wait(const std::string &id, const std::string &key) {
    uiza::Client c = client();
    {
        const auto [o, cancelled_at] = rotate_then_cancel(c, id, key, milliseconds(300));
        const uiza::Error e = uiza::Error::from_json(o.status, o.json);
        const auto latency = std::chrono::duration_cast<milliseconds>(o.at - cancelled_at);
        std::cout << "async cancelled: status=" << o.status << " rotated="
                  << rotated_text(e.rotated()) << " latency_ms=" << latency.count() << std::endl;
    }
    {
        const uiza::CancelToken token;
        std::thread canceller([&token] {
            std::this_thread::sleep_for(milliseconds(300));
            token.cancel();
        });
        const auto started = Clock::now();
        const uiza::Error e =
            expect_error([&] { c.rotate_stream_key(id, key, &token); }, "blocking cancel");
        canceller.join();
        const auto took = std::chrono::duration_cast<milliseconds>(Clock::now() - started);
        std::cout << "blocking cancelled: status=" << e.status()
                  << " rotated=" << rotated_text(e.rotated()) << " took_ms=" << took.count()
                  << std::endl;
    }
}

/** A token cancelled while the PUT is on the wire (the test delays it). */
void in_flight(const std::string &id, const std::string &key) {
    uiza::Client c = client();
    const Outcome o = rotate_then_cancel(c, id, key, milliseconds(200)).outcome;
    check(o.status == UIZA_STATUS_OK, "a rotation in flight must not be cancelled: " + o.json);
    std::cout << "in flight: status=" << o.status
              << " key=" << uiza::LiveEntity::parse(o.json).ingest_key() << std::endl;
}

/** The client destroyed while its async call waits to retry. */
void free_client(const std::string &id, const std::string &key) {
    Waiter w;
    {
        uiza::Client c = client();
        c.rotate_stream_key_async(id, key, nullptr, w.callback());
        std::this_thread::sleep_for(milliseconds(300));
    }
    const Outcome o = w.wait();
    std::cout << "client destroyed: status=" << o.status << " calls=" << o.calls << std::endl;
}

/** Error::from_json reads the top-level "rotated" member only. */
void parse() {
    const auto rotated = [](const char *json) {
        return rotated_text(uiza::Error::from_json(UIZA_STATUS_NOT_FOUND, json).rotated());
    };
    std::cout << "false: " << rotated(R"({"message":"m","error_type":"t","http_status":404,"rotated":false})")
              << std::endl
              << "null: " << rotated(R"({"message":"m","error_type":"t","http_status":null,"rotated":null})")
              << std::endl
              << "absent: " << rotated(R"({"message":"m","error_type":"t","http_status":404})")
              << std::endl
              << "quoted: "
              << rotated(R"({"message":"\"rotated\":false \\","error_type":"t","http_status":404})")
              << std::endl
              << "nested: "
              << rotated(
                     R"({ "x" : {"rotated":false, "y":[1,"]"]}, "message":"m","error_type":"t", "http_status" : 404 , "rotated" : null })")
              << std::endl
              << "not json: " << rotated("no document") << std::endl;
}

/** A logger's lines; once retired (its replacement returned), any line is a violation. */
struct LogState {
    std::mutex mu;
    std::vector<std::string> lines;
    std::atomic<bool> retired{false};
    std::atomic<int> violations{0};
    /** Live copies of the logger's capture: 0 once the wrapper destroyed its copy. */
    std::atomic<int> copies{0};
    static std::atomic<int> alive;
    LogState() { ++alive; }
    ~LogState() { --alive; }
    LogState(const LogState &) = delete;
    LogState &operator=(const LogState &) = delete;
};
std::atomic<int> LogState::alive{0};

/** Counts the copies of a logger's capture in its LogState. */
struct Copy {
    std::shared_ptr<LogState> state;
    explicit Copy(std::shared_ptr<LogState> s) : state(std::move(s)) { ++state->copies; }
    Copy(const Copy &other) : state(other.state) { ++state->copies; }
    Copy &operator=(const Copy &) = delete;
    ~Copy() { --state->copies; }
};

/**
 * A logger that keeps its lines in `state` as "LEVEL message". A call
 * after retirement, or after the wrapper destroyed its copy, is a
 * violation.
 */
uiza::Logger keep_lines(const std::shared_ptr<LogState> &state) {
    return [copy = Copy(state)](uiza::LogLevel level, std::string_view message) {
        LogState &st = *copy.state;
        if (st.retired || st.copies.load() == 0) {
            ++st.violations;
        }
        std::lock_guard<std::mutex> lock(st.mu);
        st.lines.push_back(std::to_string(static_cast<int>(level)) + " " + std::string(message));
    };
}

/**
 * `logging ID KEY`: prints a rotation's log lines ("log: LEVEL message"),
 * then what logging off, a throwing logger and a failed call show.
 */
void logging(const char *id, const char *key) {
    uiza::Client c = client();
    c.set_max_retries(1);
    // A failed call's error document (the test queued two 503s for PUTs):
    // attempts and elapsed time.
    const uiza::Error e = expect_error([&] { c.reset_stream_key(id); }, "reset with faults");
    std::cout << "error: status=" << e.status() << " attempts=" << e.attempts().value_or(99)
              << " elapsed_ms=" << e.elapsed_ms().value_or(0) << std::endl;
    auto state = std::make_shared<LogState>();
    uiza::set_logger(keep_lines(state), uiza::LogLevel::debug);
    c.rotate_stream_key(id, std::string_view(key));
    uiza::set_logger(nullptr);
    for (const std::string &line : state->lines) {
        std::cout << "log: " << line << std::endl;
    }
    // Off: nullptr, an empty function, or a level below error.
    auto off = std::make_shared<LogState>();
    uiza::set_logger(keep_lines(off), uiza::LogLevel::trace);
    uiza::set_logger(uiza::Logger());
    c.get_live_entity(id);
    uiza::set_logger(keep_lines(off), static_cast<uiza::LogLevel>(0));
    c.get_live_entity(id);
    uiza::set_logger(nullptr);
    std::cout << "off: lines=" << off->lines.size() << std::endl;
    // A logger that throws: the exception stays in the wrapper.
    std::atomic<int> thrown{0};
    uiza::set_logger([&thrown](uiza::LogLevel, std::string_view) {
        ++thrown;
        throw std::runtime_error("logger failure");
    });
    c.get_live_entity(id);
    uiza::set_logger(nullptr);
    std::cout << "throwing: thrown=" << thrown.load() << std::endl;
    const uiza::Error refused =
        expect_error([&] { c.reset_stream_key(std::string("a\0b", 3)); }, "NUL in id");
    std::cout << "refused: attempts=" << (refused.attempts() ? "set" : "none")
              << " elapsed_ms=" << (refused.elapsed_ms() ? "set" : "none") << std::endl;
    std::cout << "alive: " << LogState::alive.load() - 2 << std::endl;
}

/**
 * `log-replace ID`: three threads make calls (blocking and async) while
 * three others replace the logger; a logger replaced must never run after
 * the replacing thread's next set_logger() returned.
 */
void log_replace(const char *id) {
    uiza::Client c = client();
    std::atomic<bool> stop{false};
    std::atomic<int> calls{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 3; ++t) {
        threads.emplace_back([&, t] {
            while (!stop) {
                if (t == 0) {
                    Waiter w;
                    c.get_live_entity_async(id, nullptr, w.callback());
                    check(w.wait().status == UIZA_STATUS_OK, "async read");
                } else {
                    c.get_live_entity(id);
                }
                ++calls;
            }
        });
    }
    std::vector<std::vector<std::shared_ptr<LogState>>> used(3);
    std::vector<std::thread> replacers;
    for (std::size_t r = 0; r < used.size(); ++r) {
        replacers.emplace_back([&used, r] {
            for (int i = 0; i < 30; ++i) {
                auto next = std::make_shared<LogState>();
                uiza::set_logger(keep_lines(next), uiza::LogLevel::trace);
                // This thread's previous logger was replaced, by this
                // call or by an earlier one on another thread, and every
                // such replacement has returned (they are serialised).
                if (!used[r].empty()) {
                    used[r].back()->retired = true;
                }
                used[r].push_back(next);
                std::this_thread::sleep_for(std::chrono::milliseconds(1));
            }
            uiza::set_logger(nullptr);
            used[r].back()->retired = true;
        });
    }
    for (auto &t : replacers) {
        t.join();
    }
    // The calls go on for a while with logging off.
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    stop = true;
    for (auto &t : threads) {
        t.join();
    }
    int violations = 0;
    std::size_t lines = 0;
    for (auto &states : used) {
        for (auto &state : states) {
            violations += state->violations.load();
            lines += state->lines.size();
        }
        states.clear();
    }
    // alive=0: the wrapper destroyed every logger it was given.
    std::cout << "replace: calls=" << (calls > 0 ? "some" : "none")
              << " lines=" << (lines > 0 ? "some" : "none") << " violations=" << violations
              << " alive=" << LogState::alive.load() << std::endl;
}

}  // namespace

int main(int argc, char **argv) {
    const std::string mode = argc > 1 ? argv[1] : "";
    try {
        if (mode == "async" && argc == 3) {
            async_calls(argv[2]);
        } else if (mode == "sync-errors" && argc == 3) {
            sync_errors(argv[2]);
        } else if (mode == "cancel-wait" && argc == 4) {
            cancel_wait(argv[2], argv[3]);
        } else if (mode == "in-flight" && argc == 4) {
            in_flight(argv[2], argv[3]);
        } else if (mode == "free-client" && argc == 4) {
            free_client(argv[2], argv[3]);
        } else if (mode == "refusals" && argc == 3) {
            refusals(argv[2]);
        } else if (mode == "logging" && argc == 4) {
            logging(argv[2], argv[3]);
        } else if (mode == "log-replace" && argc == 3) {
            log_replace(argv[2]);
        } else if (mode == "parse" && argc == 2) {
            parse();
        } else {
            std::cerr << "usage: " << argv[0] << " <mode> [args]\n";
            return 2;
        }
    } catch (const uiza::Error &e) {
        fail(std::string("unexpected uiza::Error: ") + e.what());
    }
    return 0;
}
"#;

/// A translation unit that includes both headers and uses every kind of
/// declaration, so that warnings in inline code are reported.
const INCLUDE_BOTH_CPP: &str = r#"#include "uiza.h"
#include "uiza.h" /* the include guard must hold */
#include "uiza.hpp"
#include "uiza.hpp"

static_assert(UIZA_VERSION_MAJOR >= 0, "version macros usable in C++");

int main() {
    UizaStatus s = UIZA_STATUS_OK;
    const char *text = uiza_status_str(s);
    uiza::Error e(UIZA_STATUS_NOT_FOUND, 404, "m", "t");
    return (text != nullptr && e.http_status() == 404 && uiza::version() == uiza_version()) ? 0 : 1;
}
"#;

#[test]
fn headers_compile_as_strict_cpp17() {
    if !support::consumer::cxx_available() {
        return;
    }
    let source = write_temp_file("include_both.cpp", INCLUDE_BOTH_CPP);
    // Stricter than the brief's -Wall -Wextra: consumers compile with
    // their own flags and a header must not break any common set.
    let bin = support::consumer::compile_cpp("include_both", &[&source], STRICT_FLAGS);
    support::consumer::run_ok(&mut std::process::Command::new(bin));
}

#[test]
fn cpp_example_prints_the_new_key() {
    let Some(sb) = cpp_sandbox() else {
        return;
    };
    let before = sb.entity(SEED_ENTITY_ID).unwrap()["ingest"]["key"].clone();
    support::consumer::assert_example_prints_current_key(&cpp_example(), &sb);
    assert_ne!(
        sb.entity(SEED_ENTITY_ID).unwrap()["ingest"]["key"],
        before,
        "the key must have been rotated"
    );
}

#[test]
fn cpp_example_reports_a_404_as_uiza_error() {
    let Some(sb) = cpp_sandbox() else {
        return;
    };
    let id = "no-such-entity";
    // What the server says about this id, through the C API directly.
    let expected = TestClient::for_sandbox(&sb).reset(id);
    assert_eq!(expected.status, UizaStatus::NotFound);

    let out = support::consumer::run_example(&cpp_example(), &sb, id);
    let stderr = &out.stderr;
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    let line = format!(
        "reset_stream_key: not found (HTTP 404): {} [status={} error_type={} http_status=404]\n",
        expected.message(),
        UizaStatus::NotFound as i32,
        expected.error_type()
    );
    assert_eq!(*stderr, line);
}

#[test]
fn cpp_example_rejects_bad_configuration_before_any_request() {
    let Some(sb) = cpp_sandbox() else {
        return;
    };
    let bin = cpp_example();
    // Each refused setting, and what stderr must say about it.
    for (variable, value, wanted) in [
        // An API key with a space: uiza::Client's constructor throws, with
        // the library's own message (uiza_client_create); run_checked
        // makes sure that the key is not in it.
        (
            "UIZA_API_KEY",
            "wrong-key-must-not-leak with space",
            &[
                ": api_key must be printable ASCII without whitespace",
                "[status=1 ",
            ][..],
        ),
        // A base URL that is not http(s): set_base_url throws.
        (
            "UIZA_BASE_URL",
            "ftp://example.com",
            &[": base URL is invalid: the scheme must be http or https ["],
        ),
        // A budget of 0 ms: the library refuses it.
        (
            "UIZA_TIMEOUT_MS",
            "0",
            &[": the time budget must be at least 1 ms ["],
        ),
    ] {
        let out = support::tools::run_checked(
            sandbox_command(&bin, &sb)
                .arg(SEED_ENTITY_ID)
                .env(variable, value),
        );
        let stderr = &out.stderr;
        assert_eq!(out.status.code(), Some(2), "{variable}: {stderr}");
        for text in wanted {
            assert!(stderr.contains(text), "{variable}: {stderr}");
        }
    }
    assert_eq!(sb.stats().api_requests, 0, "no request may be sent");
}

#[test]
fn cpp_example_reports_a_timeout_without_http_status() {
    let Some(sb) = cpp_sandbox() else {
        return;
    };
    let bin = cpp_example(); // compiled before the clock starts
    sb.push_fault(fault(r#"{"kind":"delay","ms":10000}"#));
    let started = std::time::Instant::now();
    let out = support::tools::run_checked(
        sandbox_command(&bin, &sb)
            .arg(SEED_ENTITY_ID)
            .env("UIZA_TIMEOUT_MS", "300"),
    );
    assert_exited_with_error(
        out.status,
        &out.stderr,
        1,
        UizaStatus::Timeout,
        "error_type=timeout http_status=-1",
    );
    // The 300 ms budget, not the 10 s delay or the client's 30 s, ended
    // the call (generous margin: the machine may be loaded).
    let elapsed = started.elapsed();
    assert!(elapsed < std::time::Duration::from_secs(6), "{elapsed:?}");
}

#[test]
fn cpp_rotate_example_rotates_exactly_once() {
    let Some((sb, before)) = sandbox_and_key() else {
        return;
    };
    // With the current key given.
    let out = support::tools::run_checked(
        sandbox_command(&cpp_rotate_example(), &sb).args([SEED_ENTITY_ID, &before]),
    );
    support::consumer::assert_printed_current_key(&out, &sb);
    assert_eq!(sb.rotations(SEED_ENTITY_ID), 1);
    assert_eq!(sb.stats().api_requests, 1, "one PUT, no read");
    // Without it: the library reads the entity first.
    support::consumer::assert_example_prints_current_key(&cpp_rotate_example(), &sb);
    assert_eq!(sb.rotations(SEED_ENTITY_ID), 2);
    assert_eq!(sb.stats().api_requests, 3, "a GET, then the PUT");
    assert_ne!(sb.current_key(SEED_ENTITY_ID).unwrap(), before);
}

#[test]
fn cpp_rotate_reconciles_a_hidden_rotation() {
    let Some((sb, before)) = sandbox_and_key() else {
        return;
    };
    // The PUT is applied, then the connection dropped without an answer.
    sb.push_fault(fault(r#"{"kind":"apply_then_drop","method":"PUT"}"#));
    let out = support::tools::run_checked(
        sandbox_command(&cpp_rotate_example(), &sb).args([SEED_ENTITY_ID, &before]),
    );
    // The key printed is the one the sandbox now holds...
    support::consumer::assert_printed_current_key(&out, &sb);
    assert_ne!(sb.current_key(SEED_ENTITY_ID).unwrap(), before);
    // ...and the read-back did not rotate it a second time.
    assert_eq!(sb.rotations(SEED_ENTITY_ID), 1);
    assert_eq!(sb.stats().faults_applied, 1);
}

#[test]
fn cpp_rotate_example_is_cancelled_by_sigint_during_a_retry_wait() {
    let Some((sb, key)) = sandbox_and_key() else {
        return;
    };
    let bin = cpp_rotate_example(); // compiled before the clock starts
    sb.push_fault(fault(
        r#"{"kind":"status","status":429,"retry_after":"20","method":"PUT"}"#,
    ));
    let child = sandbox_command(&bin, &sb)
        .args([SEED_ENTITY_ID, &key])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start rotate_stream_key");
    // The 429 has been answered: the call now waits 20 s to retry.
    let started = std::time::Instant::now();
    while sb.stats().api_requests == 0 {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "the example never reached the sandbox"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    let signalled = std::time::Instant::now();
    // SAFETY: kill(2) on our own child's pid.
    assert_eq!(
        unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) },
        0
    );
    let out = child
        .wait_with_output()
        .expect("wait for rotate_stream_key");
    let latency = signalled.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    support::tools::assert_no_secret("stderr", &stderr);
    assert_exited_with_error(
        out.status,
        &stderr,
        130,
        UizaStatus::Cancelled,
        "error_type=cancelled http_status=-1 rotated=false",
    );
    // Not the 20 s wait (generous: the machine may be loaded).
    assert!(latency < std::time::Duration::from_secs(3), "{latency:?}");
    assert_eq!(sb.rotations(SEED_ENTITY_ID), 0);
    assert_eq!(sb.current_key(SEED_ENTITY_ID).unwrap(), key);
}

#[test]
fn cpp_async_callbacks_run_once_and_are_freed() {
    let Some((sb, before)) = sandbox_and_key() else {
        return;
    };
    let out = run_checks(&sb, &["async", SEED_ENTITY_ID]);
    let key = sb.current_key(SEED_ENTITY_ID).unwrap();
    assert_ne!(key, before);
    assert_eq!(field(&out, "async rotate", "calls"), "1");
    assert_eq!(field(&out, "async rotate", "key"), key);
    assert_eq!(field(&out, "async get", "key"), key);
    assert_eq!(field(&out, "async rotate 404", "rotated"), "false");
    assert_eq!(field(&out, "async get 404", "rotated"), "n/a");
    assert!(out.contains("throwing callback: survived\n"), "{out}");
    assert_eq!(field(&out, "refused async", "rotated"), "false");
    // The library's reason, not one retyped by the wrapper.
    assert!(
        line(&out, "refused async message").starts_with("id is a dot segment; an id is 1 to 256"),
        "{out}"
    );
    assert_eq!(field(&out, "refused async read", "rotated"), "n/a");
    assert!(
        line(&out, "refused async read message")
            .starts_with("id has a character outside the allowed set at byte offset 1;"),
        "{out}"
    );
    // One rotation: the 404, the reads and the refused calls changed nothing.
    assert_eq!(sb.rotations(SEED_ENTITY_ID), 1);
}

#[test]
fn cpp_errors_say_whether_the_key_rotated() {
    let Some((sb, out)) = checks_on_a_sandbox("sync-errors") else {
        return;
    };
    for (line, status, rotated) in [
        ("get 404", UizaStatus::NotFound, "n/a"),
        ("rotate 404", UizaStatus::NotFound, "false"),
        ("reset 404", UizaStatus::NotFound, "false"),
        ("NUL in key", UizaStatus::InvalidArgument, "false"),
        ("bad id", UizaStatus::InvalidArgument, "false"),
        ("cancelled before", UizaStatus::Cancelled, "false"),
    ] {
        assert_call_reported(&out, line, status, rotated);
    }
    assert_eq!(sb.rotations(SEED_ENTITY_ID), 0);
    // Only the three 404 calls reached the sandbox.
    assert_eq!(sb.stats().api_requests, 3);

    let parsed = run_checks(&sb, &["parse"]);
    assert_eq!(
        parsed,
        "false: false\nnull: unknown\nabsent: n/a\nquoted: n/a\nnested: unknown\nnot json: n/a\n"
    );
}

#[test]
fn cpp_set_logger_receives_a_rotations_lines_and_errors_carry_attempts() {
    let Some((sb, key)) = sandbox_and_key() else {
        return;
    };
    sb.push_fault(fault(
        r#"{"kind":"status","status":503,"times":2,"method":"PUT"}"#,
    ));
    let out = run_checks(&sb, &["logging", SEED_ENTITY_ID, &key]);
    // The rotation's lines, in order, at their levels (3 info, 4 debug);
    // nothing above debug.
    let logged: Vec<&str> = out
        .lines()
        .filter_map(|l| l.strip_prefix("log: "))
        .collect();
    let wanted = [
        format!("3 rotation of live entity {SEED_ENTITY_ID}: starting at "),
        "4 attempt 1: PUT ".to_owned(),
        "4 attempt 1: succeeded in ".to_owned(),
        "3 rotation succeeded after 1 attempt(s) in ".to_owned(),
    ];
    let mut next = wanted.iter().peekable();
    for line in &logged {
        assert!(!line.starts_with('5'), "a trace line: {line}");
        if next.peek().is_some_and(|w| line.starts_with(w.as_str())) {
            next.next();
        }
    }
    assert!(
        next.peek().is_none(),
        "missing {:?} in:\n{out}",
        next.peek()
    );
    assert!(!out.contains(&key), "a stream key was logged:\n{out}");
    assert_eq!(line(&out, "off"), "lines=0");
    let thrown: u32 = field(&out, "throwing", "thrown").parse().unwrap();
    assert!(thrown >= 2, "{out}");
    assert_eq!(
        field(&out, "error", "status"),
        (UizaStatus::ServerError as i32).to_string()
    );
    assert_eq!(field(&out, "error", "attempts"), "2");
    // Two exchanges and the backoff between them (at least 125 ms).
    let elapsed: u64 = field(&out, "error", "elapsed_ms").parse().unwrap();
    assert!((125..10_000).contains(&elapsed), "{out}");
    assert_eq!(line(&out, "refused"), "attempts=none elapsed_ms=none");
    assert_eq!(line(&out, "alive"), "0");
    assert_eq!(sb.rotations(SEED_ENTITY_ID), 1);
}

#[test]
fn cpp_set_logger_replaced_by_threads_while_calls_run() {
    let Some((_sb, out)) = checks_on_a_sandbox("log-replace") else {
        return;
    };
    assert_eq!(
        line(&out, "replace"),
        "calls=some lines=some violations=0 alive=0"
    );
}

#[test]
fn cpp_refusals_carry_the_librarys_messages() {
    let Some((sb, out)) = checks_on_a_sandbox("refusals") else {
        return;
    };
    for (label, rotated, message) in [
        ("empty key", "n/a", "api_key is empty"),
        (
            "spaced key",
            "n/a",
            "api_key must be printable ASCII without whitespace",
        ),
        // The one check of the wrapper's own: C would cut the key short.
        ("NUL key", "n/a", "API key contains a NUL byte"),
        ("timeout 0", "n/a", "the time budget must be at least 1 ms"),
        (
            "ftp URL",
            "n/a",
            "base URL is invalid: the scheme must be http or https",
        ),
        ("NUL URL", "n/a", "base URL is invalid: "),
        ("quoted URL", "n/a", "base URL is invalid: "),
        ("CA file", "n/a", "CA file: cannot read it"),
        ("budget 0", "false", "the time budget must be at least 1 ms"),
        (
            "budget -5",
            "false",
            "the time budget must be at least 1 ms",
        ),
        (
            "bad id",
            "n/a",
            "id has a character outside the allowed set",
        ),
    ] {
        assert_call_reported(&out, label, UizaStatus::InvalidArgument, rotated);
        let said = line(&out, &format!("{label} message"));
        assert!(said.starts_with(message), "{label}: {said:?}\n{out}");
    }
    assert!(out.contains("after refusals: read\n"), "{out}");
    // Only the final read reached the sandbox.
    assert_eq!(sb.stats().api_requests, 1);
    assert_eq!(sb.rotations(SEED_ENTITY_ID), 0);
}

#[test]
fn cpp_cancel_token_stops_a_retry_wait() {
    let started = std::time::Instant::now();
    // Both calls (async, then blocking) meet a 429 that asks for 20 s.
    let Some((sb, key, out)) = checks_on_a_fault(
        "cancel-wait",
        r#"{"kind":"status","status":429,"retry_after":"20","method":"PUT","times":2}"#,
    ) else {
        return;
    };
    assert_call_reported(&out, "async cancelled", UizaStatus::Cancelled, "false");
    let latency: u64 = field(&out, "async cancelled", "latency_ms")
        .parse()
        .unwrap();
    assert!(latency < 2000, "{latency} ms from cancel to callback");
    assert_call_reported(&out, "blocking cancelled", UizaStatus::Cancelled, "false");
    let took: u64 = field(&out, "blocking cancelled", "took_ms")
        .parse()
        .unwrap();
    assert!(took < 3000, "{took} ms for a call cancelled after 300 ms");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(sb.rotations(SEED_ENTITY_ID), 0);
    assert_eq!(sb.current_key(SEED_ENTITY_ID).unwrap(), key);
}

#[test]
fn cpp_cancel_does_not_abandon_a_put_in_flight() {
    let Some((sb, _, out)) =
        checks_on_a_fault("in-flight", r#"{"kind":"delay","ms":600,"method":"PUT"}"#)
    else {
        return;
    };
    assert_eq!(field(&out, "in flight", "status"), "0");
    assert_eq!(
        field(&out, "in flight", "key"),
        sb.current_key(SEED_ENTITY_ID).unwrap()
    );
    assert_eq!(sb.rotations(SEED_ENTITY_ID), 1);
}

#[test]
fn cpp_client_destroyed_with_an_async_call_in_flight() {
    let Some((sb, _, out)) = checks_on_a_fault(
        "free-client",
        r#"{"kind":"status","status":429,"retry_after":"20","method":"PUT"}"#,
    ) else {
        return;
    };
    assert_eq!(
        field(&out, "client destroyed", "status"),
        (UizaStatus::Cancelled as i32).to_string()
    );
    assert_eq!(field(&out, "client destroyed", "calls"), "1");
    assert_eq!(sb.rotations(SEED_ENTITY_ID), 0);
}
