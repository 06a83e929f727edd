//! Time bounds for the tests that prove a call ends on its budget or waits
//! as long as it is told. Each bound is derived from the budget or wait the
//! test sets and from what it measures on the machine it runs on (how long
//! an ordinary reply takes, how late a sleeping thread wakes, the kernel's
//! timer tick), not from absolute margins that a loaded 2-core machine can
//! overrun.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use super::{sandbox, TestClient, SEED_ENTITY_ID};

/// The longest single socket wait of a call (`SLICE` in
/// src/core/precise_wait.rs).
pub const SOCKET_WAIT_SLICE: Duration = Duration::from_millis(200);

/// How long an ordinary call takes right now: the longest of three, each a
/// fresh client connecting to a fresh sandbox, sending the request and
/// reading the reply into a document; everything a call does besides
/// waiting. Measured when and where the test runs, so it grows with load.
pub fn reply_time() -> Duration {
    let sb = sandbox();
    (0..3)
        .map(|_| {
            let c = TestClient::for_sandbox(&sb);
            let start = Instant::now();
            let out = c.reset(SEED_ENTITY_ID);
            let took = start.elapsed();
            assert_eq!(out.status, uiza::UizaStatus::Ok, "{}", out.json);
            took
        })
        .max()
        .unwrap()
}

/// Runs `call` while another thread sleeps until `wait` after the call
/// started, and returns the call's output, how long the call took and how
/// late the sleeper woke up. That lateness is what the machine adds to any
/// wait ending at that moment, a wait inside the call included.
pub fn beside_a_sleeper<T>(wait: Duration, call: impl FnOnce() -> T) -> (T, Duration, Duration) {
    let start = Instant::now();
    let sleeper = std::thread::spawn(move || {
        let due = start + wait;
        std::thread::sleep(due.saturating_duration_since(Instant::now()));
        Instant::now().saturating_duration_since(due)
    });
    let out = call();
    let took = start.elapsed();
    let late = sleeper.join().expect("sleeper thread");
    (out, took, late)
}

/// The kernel's tick (1/HZ): the resolution of CLOCK_MONOTONIC_COARSE.
pub fn jiffy() -> Duration {
    let mut res = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_getres only writes the timespec it is given.
    let rc = unsafe { libc::clock_getres(libc::CLOCK_MONOTONIC_COARSE, &mut res) };
    assert_eq!(rc, 0, "clock_getres(CLOCK_MONOTONIC_COARSE)");
    Duration::new(res.tv_sec as u64, res.tv_nsec as u32)
}

/// How far past its timeout a socket wait of at most `wait` can end on an
/// idle machine: the kernel rounds the timeout up to a tick, and its timer
/// wheel files it in a bucket 1, 8, 64... ticks wide by how far off it is
/// (64 buckets a level), firing at the bucket's end.
pub fn socket_timer_grain(wait: Duration) -> Duration {
    let jiffy = jiffy();
    let ticks = wait.as_nanos().div_ceil(jiffy.as_nanos());
    let (mut bucket, mut level_end) = (1u32, 64u128);
    while ticks >= level_end {
        bucket *= 8;
        level_end *= 8;
    }
    jiffy * (bucket + 1)
}

/// Asserts that a call that took `took` ended on its `budget`: not before
/// it (a wait gives up only once its deadline has passed, and the deadline
/// is set after the caller's clock started), and no later than the budget
/// plus twice what a wait ending then may take beyond it: the timer grain
/// of its last socket wait, `late` (what the machine added to a sleeper's
/// wait ending at the same time) and `reply` (a whole ordinary reply, more
/// work than turning a timeout into a document). Twice, because load is
/// measured beside or just before the call, a sample and not a ceiling.
/// Load that delays the call raises the bound alike; on a quiet machine it
/// is 20-25 ms past the budget.
pub fn assert_ended_on_budget(
    what: &str,
    took: Duration,
    budget: Duration,
    late: Duration,
    reply: Duration,
) {
    assert!(
        took >= budget,
        "{what} ended before its {budget:?} budget: {took:?}"
    );
    let grain = socket_timer_grain(SOCKET_WAIT_SLICE);
    let allowed = budget + 2 * (grain + late + reply);
    assert!(
        took <= allowed,
        "{what} ended {:?} after its {budget:?} budget, allowed {:?} (twice: timer grain \
         {grain:?}, a sleeper woke {late:?} late, a reply takes {reply:?})",
        took - budget,
        allowed - budget
    );
}
