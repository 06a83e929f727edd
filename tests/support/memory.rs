//! Memory of the test process, to prove that faults (a 1 GiB body above
//! all) and long runs do not grow it: resident memory from
//! /proc/self/status, and the exact count of heap bytes in use for a test
//! that installs [`CountingAlloc`].
#![allow(dead_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
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

/// Heap bytes currently allocated through [`CountingAlloc`].
static LIVE_BYTES: AtomicI64 = AtomicI64::new(0);

/// The system allocator, counting the bytes in use. A test binary installs
/// it with `#[global_allocator] static A: CountingAlloc = CountingAlloc;`;
/// every Rust allocation of the process then goes through it: the
/// library's, the in-process sandbox's and the test's own.
pub struct CountingAlloc;

// SAFETY: every call is passed on to `System` unchanged; the counter only
// observes the sizes.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            LIVE_BYTES.fetch_add(layout.size() as i64, Ordering::Relaxed);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            LIVE_BYTES.fetch_add(layout.size() as i64, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE_BYTES.fetch_sub(layout.size() as i64, Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE_BYTES.fetch_add(new_size as i64 - layout.size() as i64, Ordering::Relaxed);
        }
        p
    }
}

/// Heap bytes in use, as counted by [`CountingAlloc`] (0 where it is not
/// the global allocator).
pub fn live_heap_bytes() -> i64 {
    LIVE_BYTES.load(Ordering::Relaxed)
}
