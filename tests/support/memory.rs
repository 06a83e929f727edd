//! Resident memory of the test process, from /proc/self/status, to prove
//! that faults (a 1 GiB body above all) and long runs do not grow memory.
//!
//! Included with `#[path = "support/memory.rs"] mod memory;`.
#![allow(dead_code)]

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// One field of /proc/self/status, in KiB (`VmRSS`, `VmHWM`).
fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/self/status"))
}

/// Current resident set size, KiB.
pub fn rss_kib() -> u64 {
    status_kib("VmRSS")
}

/// Runs `f` and returns its result and the highest resident set size seen
/// while it ran, minus the size before, in KiB.
///
/// The peak comes from two sources: `VmHWM` after resetting it through
/// /proc/self/clear_refs (exact, Linux 4.0+), and a thread sampling
/// `VmRSS` every millisecond (in case the reset is not permitted).
pub fn peak_growth_kib<T>(f: impl FnOnce() -> T) -> (T, u64) {
    let before = rss_kib();
    let hwm_reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    let stop = Arc::new(AtomicBool::new(false));
    let peak = Arc::new(AtomicU64::new(before));
    let sampler = {
        let (stop, peak) = (Arc::clone(&stop), Arc::clone(&peak));
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                peak.fetch_max(rss_kib(), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(1));
            }
        })
    };
    let result = f();
    stop.store(true, Ordering::Relaxed);
    sampler.join().expect("memory sampler");
    let mut top = peak.load(Ordering::Relaxed).max(rss_kib());
    if hwm_reset {
        top = top.max(status_kib("VmHWM"));
    }
    (result, top.saturating_sub(before))
}

/// Resident set size after handing the allocator's free pages back to the
/// system (glibc's `malloc_trim`), so that what remains is memory in use,
/// not what 32 threads' malloc arenas happen to cache.
pub fn settled_rss_kib() -> u64 {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory; it is thread-safe.
    unsafe {
        libc::malloc_trim(0);
    }
    rss_kib()
}
