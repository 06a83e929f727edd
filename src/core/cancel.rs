//! Cancel tokens: a flag that any thread may raise once, and that a call
//! checks between its steps and waits on instead of sleeping.
//!
//! A call links a token of its own to every token that may stop it (the
//! caller's, and its client's "closing" token), so it waits on exactly one
//! condition variable however many sources there are.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

#[derive(Clone, Default)]
pub struct CancelToken(Arc<Inner>);

#[derive(Default)]
struct Inner {
    cancelled: AtomicBool,
    /// Tokens to cancel along with this one. Weak: a finished call's token
    /// must not be kept alive by a long-lived caller token.
    linked: Mutex<Vec<Weak<Inner>>>,
    wake: Condvar,
}

fn lock(inner: &Inner) -> MutexGuard<'_, Vec<Weak<Inner>>> {
    // The list is always whole (pushes and swaps only), so a panic
    // elsewhere while it was held leaves nothing to repair.
    inner
        .linked
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl CancelToken {
    pub fn new() -> CancelToken {
        CancelToken::default()
    }

    /// Raises the flag, wakes every wait on this token, and cancels the
    /// tokens linked to it. Idempotent; never blocks beyond the short
    /// critical sections of the waits themselves.
    pub fn cancel(&self) {
        Inner::cancel(&self.0);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.cancelled.load(Ordering::Acquire)
    }

    /// Makes `self` cancel `other` too (now, if `self` already is).
    pub fn link(&self, other: &CancelToken) {
        let mut linked = lock(&self.0);
        if self.is_cancelled() {
            drop(linked);
            other.cancel();
            return;
        }
        // Forget the tokens of calls that have ended, so that a token used
        // by many calls in turn does not grow without bound.
        linked.retain(|w| w.strong_count() > 0);
        linked.push(Arc::downgrade(&other.0));
    }

    /// Waits up to `timeout`; returns true as soon as the token is
    /// cancelled, false if the time ran out first.
    pub fn wait(&self, timeout: Duration) -> bool {
        let until = Instant::now() + timeout;
        let mut guard = lock(&self.0);
        loop {
            if self.is_cancelled() {
                return true;
            }
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            guard = match self.0.wake.wait_timeout(guard, left) {
                Ok((g, _)) => g,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
    }
}

impl Inner {
    fn cancel(this: &Arc<Inner>) {
        if this.cancelled.swap(true, Ordering::AcqRel) {
            return;
        }
        // Taking the lock orders this wake-up after any waiter's check of
        // the flag, so no wait can miss it.
        let linked = std::mem::take(&mut *lock(this));
        this.wake.notify_all();
        for token in linked.iter().filter_map(Weak::upgrade) {
            Inner::cancel(&token);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::thread;

    #[test]
    fn cancel_wakes_a_wait_at_once() {
        let t = CancelToken::new();
        let waiter = {
            let t = t.clone();
            thread::spawn(move || {
                let start = Instant::now();
                (t.wait(Duration::from_secs(30)), start.elapsed())
            })
        };
        thread::sleep(Duration::from_millis(20));
        t.cancel();
        t.cancel();
        let (woken, took) = waiter.join().unwrap();
        assert!(woken);
        assert!(took < Duration::from_secs(5), "{took:?}");
        assert!(
            t.wait(Duration::from_secs(30)),
            "a cancelled token never waits"
        );
    }

    #[test]
    fn a_wait_without_cancel_times_out() {
        let t = CancelToken::new();
        assert!(!t.wait(Duration::from_millis(10)));
        assert!(!t.is_cancelled());
    }

    #[test]
    fn linked_tokens_follow_and_dead_links_are_dropped() {
        let caller = CancelToken::new();
        for _ in 0..100 {
            let call = CancelToken::new();
            caller.link(&call);
        }
        let call = CancelToken::new();
        caller.link(&call);
        assert_eq!(lock(&caller.0).len(), 1, "links of ended calls are pruned");
        caller.cancel();
        assert!(call.is_cancelled());
        let late = CancelToken::new();
        caller.link(&late);
        assert!(late.is_cancelled(), "linking to a cancelled token cancels");
    }
}
