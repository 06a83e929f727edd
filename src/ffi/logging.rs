//! The log callback: how a host sees what the library does on the way to
//! a result.

use std::ffi::{c_char, c_void, CString};
use std::sync::Arc;

use super::boundary::guard;
use crate::core::log::{self, Level, Sink};

/// cbindgen:prefix-with-name=false
/// How much a log line matters. A callback installed with `max_level`
/// receives every line whose level is at most `max_level`.
///
/// - `UIZA_LOG_ERROR`: a call failed (its status, HTTP status, attempts
///   and time).
/// - `UIZA_LOG_WARN`: something went wrong that the library handles: an
///   attempt that will be retried, a key reset whose outcome is unknown
///   and is being read back.
/// - `UIZA_LOG_INFO`: each call's start and end, and a rotation's verdict.
/// - `UIZA_LOG_DEBUG`: the steps of a call: name lookup, connection (new
///   or reused), TLS handshake, each attempt and each retry wait.
/// - `UIZA_LOG_TRACE`: fine detail: async calls queued, worker threads
///   starting and exiting.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(clippy::enum_variant_names)] // the C names are fixed
pub enum UizaLogLevel {
    UizaLogError = 1,
    UizaLogWarn = 2,
    UizaLogInfo = 3,
    UizaLogDebug = 4,
    UizaLogTrace = 5,
}

/// `UizaLogLevel` as a caller passes it in: any integer. The header calls
/// it `UizaLogLevel` (cbindgen.toml renames it), but Rust must not assume
/// that C passed one of the enum's values.
pub type UizaLogLevelArg = i32;

impl From<Level> for UizaLogLevel {
    fn from(level: Level) -> UizaLogLevel {
        match level {
            Level::Error => UizaLogLevel::UizaLogError,
            Level::Warn => UizaLogLevel::UizaLogWarn,
            Level::Info => UizaLogLevel::UizaLogInfo,
            Level::Debug => UizaLogLevel::UizaLogDebug,
            Level::Trace => UizaLogLevel::UizaLogTrace,
        }
    }
}

/// Receives the library's log lines: `user_data` as given to
/// `uiza_set_log_callback()`, the line's level, and the line itself.
///
/// - It runs on the thread that produced the line: the caller's thread
///   during a blocking call, a library worker thread during an async one.
///   Several threads may call it at the same time: make it thread-safe.
/// - It never runs while the library holds a lock, so it may call any
///   library function. Lines that such calls produce on the same thread
///   while the callback runs are dropped rather than delivered
///   recursively.
/// - `message` is one line of plain UTF-8 text without a trailing newline,
///   borrowed for the duration of the callback: copy it to keep it, and do
///   not free it.
/// - No line ever holds the API key, an `Authorization` header or a
///   stream key: a stream key is written `live_…`, with the key elided.
///
/// Keep it short (append to a buffer, hand off to a logging thread): the
/// call that produced the line waits for it.
pub type UizaLogCallback = Option<
    unsafe extern "C" fn(user_data: *mut c_void, level: UizaLogLevel, message: *const c_char),
>;

/// The installed callback and its `user_data`.
struct CallbackSink {
    callback: unsafe extern "C" fn(*mut c_void, UizaLogLevel, *const c_char),
    user_data: *mut c_void,
}

// SAFETY: the header tells callers that the callback is called from any
// thread, concurrently, with their `user_data`; sharing the pointer across
// threads is that documented contract, whatever it points at.
unsafe impl Send for CallbackSink {}
// SAFETY: as above; the sink itself is never mutated after creation.
unsafe impl Sync for CallbackSink {}

impl Sink for CallbackSink {
    fn log(&self, level: Level, message: &str) {
        // The core writes control characters, NUL included, as escapes,
        // so a line is never cut short in C; the fallback only keeps this
        // from failing should that ever change.
        let line = CString::new(message)
            .unwrap_or_else(|_| CString::new(message.replace('\0', "\\0")).unwrap_or_default());
        // SAFETY: the caller gave this function pointer and promised that
        // it may be called from any thread with its `user_data` until
        // `uiza_set_log_callback` replaces it; `core::log::set_sink` does
        // not return before every such call has finished.
        unsafe { (self.callback)(self.user_data, level.into(), line.as_ptr()) }
    }
}

/// Installs `callback` for the whole process, for lines up to `max_level`
/// (`UIZA_LOG_ERROR` shows only failures; `UIZA_LOG_TRACE` everything).
/// Logging is off by default; a NULL `callback` turns it off again. A
/// `max_level` below `UIZA_LOG_ERROR` also turns it off, and one above
/// `UIZA_LOG_TRACE` counts as `UIZA_LOG_TRACE`.
///
/// While logging is off, the library's cost for it is one atomic load per
/// place that could log.
///
/// It may be called at any time, from any thread, also while calls are in
/// flight, and also from inside the log callback. When it returns, no
/// thread is still running the callback it replaced (except the caller's
/// own frame, if it is called from inside that callback), so the old
/// `user_data` may be freed at once.
///
/// Safety: `callback` is NULL, or a function that may be called as
/// described under `UizaLogCallback` with `user_data` until this function
/// is called again.
#[no_mangle]
pub unsafe extern "C" fn uiza_set_log_callback(
    callback: UizaLogCallback,
    user_data: *mut c_void,
    max_level: UizaLogLevelArg,
) {
    guard((), || {
        let level = Level::from_u8(max_level.clamp(0, Level::Trace as i32) as u8);
        let sink: Option<Arc<dyn Sink>> = match (callback, level) {
            (Some(callback), Some(_)) => Some(Arc::new(CallbackSink {
                callback,
                user_data,
            })),
            _ => None,
        };
        log::set_sink(sink, level.unwrap_or(Level::Error));
    })
}

#[cfg(test)]
mod tests {
    //! The callback plumbing, small enough for Miri: the core's events
    //! reach an `extern "C"` callback with its `user_data`, levels filter,
    //! NULL and out-of-range levels turn logging off or clamp, a NUL inside
    //! a line is shown, and replacing the callback from another thread or
    //! from inside the callback frees nothing still in use.
    //!
    //! The sink is process-wide and unit tests run in parallel: each test
    //! holds `log::TEST_SINK_LOCK` (the core's own test does too), and
    //! looks only for its own lines, since other tests' calls may log.

    use super::*;
    use crate::core::log::{enabled, log, TEST_SINK_LOCK};
    use std::ffi::CStr;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::{Mutex, MutexGuard};

    /// What a callback received, and whether its owner has let it go.
    #[derive(Default)]
    struct Collector {
        lines: Mutex<Vec<(UizaLogLevel, String)>>,
        freed: AtomicBool,
    }

    impl Collector {
        fn has(&self, level: UizaLogLevel, line: &str) -> bool {
            self.lines
                .lock()
                .unwrap()
                .iter()
                .any(|(l, m)| *l == level && m == line)
        }

        fn has_text(&self, text: &str) -> bool {
            self.lines
                .lock()
                .unwrap()
                .iter()
                .any(|(_, m)| m.contains(text))
        }
    }

    unsafe extern "C" fn collect(
        user_data: *mut c_void,
        level: UizaLogLevel,
        message: *const c_char,
    ) {
        // SAFETY: every test installs this with a live `Collector`, and
        // the library passes a NUL-terminated line.
        let (collector, message) =
            unsafe { (&*(user_data as *const Collector), CStr::from_ptr(message)) };
        assert!(
            !collector.freed.load(Ordering::SeqCst),
            "a line reached a freed user_data"
        );
        let message = message.to_str().expect("UTF-8").to_owned();
        collector.lines.lock().unwrap().push((level, message));
    }

    fn serialised() -> MutexGuard<'static, ()> {
        TEST_SINK_LOCK.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn install(collector: &Collector, max_level: UizaLogLevelArg) {
        let user_data = collector as *const Collector as *mut c_void;
        // SAFETY: `collect` may be called with this `user_data` until the
        // next call, which every test makes before dropping `collector`.
        unsafe { uiza_set_log_callback(Some(collect), user_data, max_level) };
    }

    fn off() {
        // SAFETY: NULL turns logging off.
        unsafe {
            uiza_set_log_callback(
                None,
                std::ptr::null_mut(),
                UizaLogLevel::UizaLogTrace as i32,
            )
        };
    }

    #[test]
    fn lines_reach_the_callback_up_to_the_level() {
        let _serial = serialised();
        let collector = Collector::default();
        install(&collector, UizaLogLevel::UizaLogInfo as i32);
        log!(Info, "ffi test: info {}", 1);
        log!(Error, "ffi test: error");
        log!(Debug, "ffi test: debug");
        off();
        log!(Error, "ffi test: after off");
        assert!(collector.has(UizaLogLevel::UizaLogInfo, "ffi test: info 1"));
        assert!(collector.has(UizaLogLevel::UizaLogError, "ffi test: error"));
        assert!(!collector.has_text("ffi test: debug"));
        assert!(!collector.has_text("ffi test: after off"));
    }

    #[test]
    fn out_of_range_levels_turn_off_or_clamp() {
        let _serial = serialised();
        let collector = Collector::default();
        for below in [0, -1, i32::MIN] {
            install(&collector, below);
            assert!(!enabled(Level::Error), "max_level {below} is off");
            log!(Error, "ffi test: below {below}");
        }
        for above in [6, 99, i32::MAX] {
            install(&collector, above);
            assert!(enabled(Level::Trace), "max_level {above} is TRACE");
            log!(Trace, "ffi test: above {above}");
        }
        off();
        assert!(!collector.has_text("ffi test: below"));
        for above in [6, 99, i32::MAX] {
            let line = format!("ffi test: above {above}");
            assert!(collector.has(UizaLogLevel::UizaLogTrace, &line), "{line}");
        }
    }

    #[test]
    fn a_nul_inside_a_line_is_shown_not_cut() {
        let _serial = serialised();
        let collector = Collector::default();
        install(&collector, UizaLogLevel::UizaLogTrace as i32);
        log!(Warn, "ffi test: before{}after", '\0');
        off();
        assert!(collector.has(UizaLogLevel::UizaLogWarn, "ffi test: before\\u{0}after"));
    }

    /// Another thread emits while this one swaps two callbacks, each with
    /// a heap `user_data` dropped as soon as the setter returns: Miri
    /// reports any use after that free, and `collect` any line that still
    /// reaches it.
    #[test]
    fn replacing_while_another_thread_emits_frees_nothing_in_use() {
        let _serial = serialised();
        let emitted = AtomicUsize::new(0);
        let stop = AtomicBool::new(false);
        std::thread::scope(|s| {
            s.spawn(|| {
                while !stop.load(Ordering::Relaxed) {
                    log!(Debug, "ffi test: from the emitter");
                    emitted.fetch_add(1, Ordering::Relaxed);
                }
            });
            // Raw pointers, as a C host holds them: moving a `Box` would
            // invalidate the pointer the library holds (Stacked Borrows).
            let mut old: *mut Collector = std::ptr::null_mut();
            for round in 0..12 {
                let next = if round % 3 == 2 {
                    off();
                    std::ptr::null_mut()
                } else {
                    let next = Box::into_raw(Box::<Collector>::default());
                    // SAFETY: `next` stays live until after the next call.
                    unsafe {
                        uiza_set_log_callback(
                            Some(collect),
                            next.cast(),
                            UizaLogLevel::UizaLogDebug as i32,
                        )
                    };
                    next
                };
                if !old.is_null() {
                    // SAFETY: `old` came from `Box::into_raw` and the
                    // setter has returned: nothing uses it any more.
                    unsafe {
                        (*old).freed.store(true, Ordering::SeqCst);
                        drop(Box::from_raw(old));
                    }
                }
                old = next;
                while emitted.load(Ordering::Relaxed) < round {
                    std::thread::yield_now();
                }
            }
            off();
            if !old.is_null() {
                // SAFETY: as above.
                drop(unsafe { Box::from_raw(old) });
            }
            stop.store(true, Ordering::Relaxed);
        });
        assert!(emitted.load(Ordering::Relaxed) >= 11);
    }

    /// Calls the setter from inside itself: first turns logging off, then
    /// (through `REPLACEMENT`) installs another callback.
    unsafe extern "C" fn replace_self(
        user_data: *mut c_void,
        level: UizaLogLevel,
        message: *const c_char,
    ) {
        // SAFETY: as in `collect`.
        unsafe { collect(user_data, level, message) };
        let next = REPLACEMENT.swap(std::ptr::null_mut(), Ordering::SeqCst);
        if next.is_null() {
            off();
        } else {
            // SAFETY: `next` is the test's live `Collector`.
            unsafe {
                uiza_set_log_callback(Some(collect), next, UizaLogLevel::UizaLogTrace as i32)
            };
        }
    }

    static REPLACEMENT: std::sync::atomic::AtomicPtr<c_void> =
        std::sync::atomic::AtomicPtr::new(std::ptr::null_mut());

    #[test]
    fn a_callback_may_replace_itself() {
        let _serial = serialised();
        let first = Collector::default();
        let second = Collector::default();
        REPLACEMENT.store(&second as *const Collector as *mut c_void, Ordering::SeqCst);
        let user_data = &first as *const Collector as *mut c_void;
        // SAFETY: `first` outlives the callback, which `off()` below ends.
        unsafe {
            uiza_set_log_callback(
                Some(replace_self),
                user_data,
                UizaLogLevel::UizaLogTrace as i32,
            )
        };
        log!(Info, "ffi test: to the first");
        log!(Info, "ffi test: to the second");
        off();
        assert!(first.has(UizaLogLevel::UizaLogInfo, "ffi test: to the first"));
        assert!(!first.has_text("ffi test: to the second"));
        assert!(second.has(UizaLogLevel::UizaLogInfo, "ffi test: to the second"));
    }
}
