//! The library's log: one process-wide sink, off by default.
//!
//! Every event site is written `log!(Level, "...", args)`, which costs one
//! relaxed atomic load while logging is off (or below the event's level):
//! the message is not even formatted. When on, the message is formatted
//! and handed to the sink on the thread that produced the event, with no
//! library lock held.
//!
//! Replacing the sink is safe while events are in flight: [`set_sink`]
//! returns only once no thread is still inside the old sink, so the host
//! may free whatever the old sink pointed at as soon as it returns.
//!
//! Nothing logged may hold a secret. Event sites never format the API key
//! or a header; text that comes from outside (a server's error message)
//! goes through [`scrub`] first.

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;
use std::sync::atomic::{fence, AtomicU8, Ordering};
use std::sync::{Arc, RwLock};
use std::thread;
use std::time::Duration;

/// How much a log line matters, most important first: a failed call, a
/// failure being handled (retry, read-back), a call's start and end, its
/// steps, fine detail. The numbers are the C enum's values (see
/// `ffi::logging::UizaLogLevel`, which documents each level for C).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Level {
    Error = 1,
    Warn,
    Info,
    Debug,
    Trace,
}

impl Level {
    pub fn from_u8(value: u8) -> Option<Level> {
        Some(match value {
            1 => Level::Error,
            2 => Level::Warn,
            3 => Level::Info,
            4 => Level::Debug,
            5 => Level::Trace,
            _ => return None,
        })
    }
}

/// Where log lines go. Called concurrently from any thread that produces
/// an event.
pub trait Sink: Send + Sync {
    fn log(&self, level: Level, message: &str);
}

/// The most verbose level any event site may produce now; 0 is off. The
/// only thing an event site reads while logging is off.
static MAX_LEVEL: AtomicU8 = AtomicU8::new(0);

struct Installed {
    sink: Arc<dyn Sink>,
    max_level: Level,
}

/// Held by every unit test that installs a sink (here and in
/// `ffi::logging`), since the sink is process-wide and tests run in
/// parallel.
#[cfg(test)]
pub static TEST_SINK_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Held only to clone or swap an `Arc`: no sink ever runs under it.
static SINK: RwLock<Option<Arc<Installed>>> = RwLock::new(None);

thread_local! {
    /// The sink this thread is running now (its address), if any. A sink
    /// that makes a library call produces events of its own; those are
    /// dropped rather than recursing into it, and a sink that replaces
    /// itself must not wait for its own frame to return.
    static RUNNING: Cell<usize> = const { Cell::new(0) };
}

/// Whether an event of `level` would be logged: the cheap check every
/// event site makes before formatting anything.
#[inline]
pub fn enabled(level: Level) -> bool {
    level as u8 <= MAX_LEVEL.load(Ordering::Relaxed)
}

/// Logs a formatted line if its level is enabled.
macro_rules! log {
    ($level:ident, $($arg:tt)+) => {
        if $crate::core::log::enabled($crate::core::log::Level::$level) {
            $crate::core::log::emit($crate::core::log::Level::$level, format_args!($($arg)+));
        }
    };
}
pub(crate) use log;

/// Hands one line to the sink. Use [`log!`], which checks the level first.
#[cold]
pub fn emit(level: Level, args: fmt::Arguments<'_>) {
    if RUNNING.with(Cell::get) != 0 {
        return;
    }
    let installed = match SINK.read() {
        Ok(guard) => guard.clone(),
        Err(poisoned) => poisoned.into_inner().clone(),
    };
    // A setter may have lowered the level since the caller checked it.
    let Some(installed) = installed.filter(|i| level <= i.max_level) else {
        return;
    };
    let message = one_line(fmt::format(args));
    struct Running;
    impl Drop for Running {
        fn drop(&mut self) {
            RUNNING.with(|r| r.set(0));
        }
    }
    RUNNING.with(|r| r.set(address(&installed)));
    let _running = Running;
    installed.sink.log(level, &message);
}

fn address(installed: &Arc<Installed>) -> usize {
    Arc::as_ptr(installed) as usize
}

/// Installs `sink` for events up to `max_level` (`None`: logging off), and
/// returns once no thread is still running the sink it replaced.
pub fn set_sink(sink: Option<Arc<dyn Sink>>, max_level: Level) {
    let new = sink.map(|sink| Arc::new(Installed { sink, max_level }));
    let level = new.as_ref().map_or(0, |i| i.max_level as u8);
    let old = {
        let mut guard = match SINK.write() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        let old = std::mem::replace(&mut *guard, new);
        MAX_LEVEL.store(level, Ordering::Relaxed);
        old
    };
    if let Some(old) = old {
        wait_until_unused(old);
    }
}

/// Waits until `old` is held by nobody but this function (and by this
/// thread's own frame, when a sink replaces itself from inside a call).
fn wait_until_unused(old: Arc<Installed>) {
    let own_frame = usize::from(RUNNING.with(Cell::get) == address(&old));
    let mut spins = 0u32;
    // Every emitter clones the Arc under the read lock, which no longer
    // hands out `old`: the count can only fall.
    while Arc::strong_count(&old) > 1 + own_frame {
        spins += 1;
        if spins < 100 {
            thread::yield_now();
        } else {
            // A sink that blocks (on a GIL, a UI lock) should not have a
            // core spinning on it.
            thread::sleep(Duration::from_micros(200));
        }
    }
    // Pairs with the release of each emitter's `Arc` drop, so that all the
    // old sink did happens before the setter returns.
    fence(Ordering::Acquire);
}

/// A stream key as a log line may show it: its `live_` prefix, the rest
/// elided.
pub fn elided_key(key: &str) -> &'static str {
    if key.starts_with("live_") {
        "live_…"
    } else {
        "…"
    }
}

/// ", answered HTTP 404", or nothing when no answer came: how log lines
/// show a failure's HTTP status.
pub fn http_status(code: Option<u16>) -> String {
    code.map_or_else(String::new, |c| format!(", answered HTTP {c}"))
}

/// A message as one line: control characters (a server's message may hold
/// a newline, which would forge a second log line) and Unicode line
/// separators are written as escapes.
fn one_line(message: String) -> String {
    let breaks = |c: char| c.is_control() || c == '\u{2028}' || c == '\u{2029}';
    if !message.contains(breaks) {
        return message;
    }
    let mut out = String::with_capacity(message.len() + 8);
    for c in message.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if breaks(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// Text from outside the library (a server's error message), made safe to
/// log: each `secret`, as given, percent-encoded or JSON-escaped, is
/// replaced by `[redacted]`, and anything that looks like a stream key
/// (`live_` and what follows) is elided.
pub fn scrub<'a>(text: &'a str, secrets: &[&str]) -> Cow<'a, str> {
    let out = redact(text, secrets);
    if !out.contains("live_") {
        return out;
    }
    let mut elided = String::with_capacity(out.len());
    let mut rest: &str = &out;
    while let Some(at) = rest.find("live_") {
        elided.push_str(&rest[..at]);
        elided.push_str("live_…");
        let key = &rest[at + "live_".len()..];
        let end = key
            .find(|c: char| !(c.is_ascii_alphanumeric() || "-_.~".contains(c)))
            .unwrap_or(key.len());
        rest = &key[end..];
    }
    elided.push_str(rest);
    Cow::Owned(elided)
}

/// `text` with each `secret`, as given, percent-encoded or JSON-escaped,
/// replaced by `[redacted]`.
pub fn redact<'a>(text: &'a str, secrets: &[&str]) -> Cow<'a, str> {
    let mut out = Cow::Borrowed(text);
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        for form in [
            secret.to_string(),
            percent_encoded(secret),
            json_escaped(secret),
        ] {
            if out.contains(&form) {
                out = Cow::Owned(out.replace(&form, "[redacted]"));
            }
        }
    }
    out
}

/// `secret` as a URL would carry it: every byte outside the unreserved set
/// as `%XX`.
fn percent_encoded(secret: &str) -> String {
    secret
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `secret` as a JSON string would carry it (without the quotes).
fn json_escaped(secret: &str) -> String {
    let quoted = serde_json::to_string(secret).unwrap_or_default();
    quoted.trim_matches('"').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[test]
    fn messages_stay_one_line() {
        assert_eq!(one_line("plain".into()), "plain");
        assert_eq!(
            one_line("a\nforged\r\tline\u{0}\u{2028}end".into()),
            "a\\nforged\\r\\tline\\u{0}\\u{2028}end"
        );
    }

    #[test]
    fn encoded_secrets_are_redacted_too() {
        let secret = "k/ey\"1";
        let text = "raw k/ey\"1, url k%2Fey%221, json k/ey\\\"1";
        assert_eq!(
            scrub(text, &[secret]),
            "raw [redacted], url [redacted], json [redacted]"
        );
    }

    #[test]
    fn scrub_removes_secrets_and_stream_keys() {
        let text = "key uap-123 and live_AbC-9.x~y, then live_ and \"live_z\"";
        let out = scrub(text, &["uap-123"]);
        assert_eq!(out, "key [redacted] and live_…, then live_… and \"live_…\"");
        assert!(matches!(scrub("nothing here", &["k"]), Cow::Borrowed(_)));
        assert_eq!(elided_key("live_abc"), "live_…");
        assert_eq!(elided_key("abc"), "…");
    }

    /// One test drives the process-wide sink, so that parallel unit tests
    /// cannot see each other's sinks.
    #[test]
    fn sink_gets_enabled_levels_and_is_released_on_replace() {
        let _serial = TEST_SINK_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        struct Collect(Mutex<Vec<(Level, String)>>);
        impl Sink for Collect {
            fn log(&self, level: Level, message: &str) {
                self.0.lock().unwrap().push((level, message.to_owned()));
                // An event produced inside the sink is dropped, not recursed.
                log!(Error, "recursive");
            }
        }
        let collect = Arc::new(Collect(Mutex::new(Vec::new())));
        set_sink(Some(collect.clone()), Level::Info);
        assert!(enabled(Level::Info) && !enabled(Level::Debug));
        log!(Info, "one {}", 1);
        log!(Debug, "not shown");
        set_sink(None, Level::Trace);
        assert!(!enabled(Level::Error));
        log!(Error, "after off");
        // Other unit tests run calls in parallel and may log too: look
        // only for this test's own lines.
        let seen = collect.0.lock().unwrap().clone();
        assert!(
            seen.contains(&(Level::Info, "one 1".to_owned())),
            "{seen:?}"
        );
        for absent in ["not shown", "after off", "recursive"] {
            assert!(seen.iter().all(|(_, m)| m != absent), "{seen:?}");
        }
        // Only this test's own reference is left: the library let go.
        assert_eq!(Arc::strong_count(&collect), 1);
    }
}
