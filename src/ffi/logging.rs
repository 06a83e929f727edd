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
        // A line with a NUL inside (only possible from text a server sent)
        // would be cut short in C; show the NUL instead.
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
