//! The worker threads that run async calls.
//!
//! Workers are started on demand, at most [`max_workers`] at a time, and
//! each one exits after [`IDLE_EXIT`] without work, so a process that makes
//! no calls has no library threads. Jobs beyond the bound wait in a FIFO
//! queue. A job runs with no library lock held.

use std::collections::VecDeque;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::Duration;

use once_cell::sync::Lazy;

use super::log::log;

/// The default bound on worker threads per process.
pub(crate) const DEFAULT_MAX_WORKERS: u32 = 4;
/// How long a worker waits for a job before it exits.
pub(crate) const IDLE_EXIT: Duration = Duration::from_secs(10);

pub type Job = Box<dyn FnOnce() + Send + 'static>;

struct State {
    queue: VecDeque<Job>,
    /// Workers alive, idle or busy.
    workers: u32,
    /// Workers waiting for a job.
    idle: u32,
    max: u32,
}

struct Pool {
    state: Mutex<State>,
    work: Condvar,
}

static POOL: Lazy<Pool> = Lazy::new(|| Pool {
    state: Mutex::new(State {
        queue: VecDeque::new(),
        workers: 0,
        idle: 0,
        max: DEFAULT_MAX_WORKERS,
    }),
    work: Condvar::new(),
});

fn lock() -> MutexGuard<'static, State> {
    // Jobs never run under the lock, and every critical section leaves the
    // state whole, so a poisoned lock holds nothing to repair.
    POOL.state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Sets the bound on worker threads (at least 1). Workers beyond a lowered
/// bound finish their job and then exit.
pub fn set_max_workers(max: u32) {
    let mut state = lock();
    state.max = max.max(1);
    let bound = state.max;
    drop(state);
    POOL.work.notify_all();
    log!(Debug, "async worker threads bounded to {bound}");
}

/// Workers alive now (for tests that wait for the pool to empty).
#[cfg(test)]
pub fn live_workers() -> u32 {
    lock().workers
}

/// Queues `job` to run on a worker. Fails, handing the job back unrun,
/// only if no worker exists and none can be started (the system refused
/// a thread).
pub fn submit(job: Job) -> Result<(), Job> {
    let mut state = lock();
    let mut started = false;
    if state.idle == 0 && state.workers < state.max {
        match thread::Builder::new()
            .name("uiza-worker".into())
            .spawn(worker)
        {
            Ok(_) => {
                state.workers += 1;
                started = true;
            }
            Err(_) if state.workers == 0 => return Err(job),
            // The busy workers will get to it.
            Err(_) => {}
        }
    }
    state.queue.push_back(job);
    // Read under the lock, logged after it: a log callback never runs
    // while the library holds a lock.
    let (queued, workers, max) = (state.queue.len(), state.workers, state.max);
    drop(state);
    POOL.work.notify_one();
    if started {
        log!(Trace, "worker thread started ({workers} of at most {max})");
    }
    log!(
        Trace,
        "async call queued ({queued} waiting, {workers} worker thread(s))"
    );
    Ok(())
}

fn worker() {
    let mut state = lock();
    loop {
        if state.workers > state.max {
            break;
        }
        if let Some(job) = state.queue.pop_front() {
            drop(state);
            // A job catches its own panics (the FFI layer wraps it); this is
            // the last line, so that one bad job cannot shrink the pool
            // without accounting for it.
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
            state = lock();
            continue;
        }
        state.idle += 1;
        let (next, waited) = match POOL.work.wait_timeout(state, IDLE_EXIT) {
            Ok(r) => r,
            Err(poisoned) => poisoned.into_inner(),
        };
        state = next;
        state.idle -= 1;
        if waited.timed_out() && state.queue.is_empty() {
            break;
        }
    }
    state.workers -= 1;
    let left = state.workers;
    drop(state);
    log!(
        Trace,
        "worker thread exiting, idle or above the bound ({left} left)"
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    #[test]
    fn jobs_run_on_workers_in_order_of_submission() {
        let (tx, rx) = mpsc::channel();
        let caller = thread::current().id();
        for i in 0..20 {
            let tx = tx.clone();
            submit(Box::new(move || {
                tx.send((i, thread::current().id())).unwrap();
            }))
            .unwrap_or_else(|_| panic!("submit"));
        }
        let mut seen = Vec::new();
        for _ in 0..20 {
            let (i, on) = rx.recv_timeout(Duration::from_secs(10)).unwrap();
            assert_ne!(on, caller, "a job never runs on the submitting thread");
            seen.push(i);
        }
        seen.sort_unstable();
        assert_eq!(seen, (0..20).collect::<Vec<_>>());
        assert!(live_workers() <= DEFAULT_MAX_WORKERS);
    }
}
