//! One call from start to end: its budget, its cancellation, its attempts
//! and the waits between them. The reset, the read and the rotation are
//! each a loop over these steps.

use std::time::{Duration, Instant};

use ureq::http::HeaderValue;

use super::attempt::{Answer, Attempt, Failure, Method};
use super::cancel::CancelToken;
use super::client::Snapshot;
use super::error::Error;
use super::log::{enabled, http_status, log, scrub, Level};
use super::precise_wait::abortable;
use super::retry::backoff;
use super::status::UizaStatus;
use super::tcp_connect::start_exchange;
use super::transport_error::budget_exhausted;

/// How a call is bounded, beyond the client's settings.
#[derive(Clone, Default)]
pub struct CallLimits {
    /// A cap on this call's budget (such as a Go context's deadline); the
    /// client-wide budget applies when it is longer or absent.
    pub budget_cap: Option<Duration>,
    /// When the call began: a queued async call spends its budget while it
    /// waits for a worker. `None` means now.
    pub started: Option<Instant>,
    /// Stops the call at its next safe point.
    pub cancel: Option<CancelToken>,
}

/// What to do after a failed attempt.
pub enum Next {
    /// The wait is over; make another attempt.
    Retry,
    /// No retry is allowed or there is no time for one: report the failure.
    GiveUp,
    /// The call was cancelled during the wait.
    Cancelled,
}

pub struct Call<'a> {
    snap: &'a Snapshot,
    auth: HeaderValue,
    budget: Duration,
    deadline: Instant,
    cancel: CancelToken,
    attempts: u32,
    retries: u32,
}

impl<'a> Call<'a> {
    pub fn new(
        snap: &'a Snapshot,
        auth: HeaderValue,
        limits: &CallLimits,
        started: Instant,
        closing: &CancelToken,
    ) -> Result<Call<'a>, Error> {
        let budget = match limits.budget_cap {
            Some(cap) => snap.settings.budget.min(nonzero_budget(cap)?),
            None => snap.settings.budget,
        };
        // The call's own token, which every source of cancellation reaches.
        let cancel = CancelToken::new();
        closing.link(&cancel);
        if let Some(caller) = &limits.cancel {
            caller.link(&cancel);
        }
        snap.pool.mark_used();
        Ok(Call {
            snap,
            auth,
            budget,
            deadline: started + budget,
            cancel,
            attempts: 0,
            retries: 0,
        })
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancel.is_cancelled()
    }

    pub fn budget(&self) -> Duration {
        self.budget
    }

    /// The exchanges made so far.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// Text from outside made safe for a log line (see `log::scrub`).
    pub fn scrubbed<'t>(&self, text: &'t str) -> std::borrow::Cow<'t, str> {
        scrub(text, &[self.auth.to_str().unwrap_or_default()])
    }

    pub fn remaining(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }

    /// The TIMEOUT error of this call.
    pub fn out_of_time(&self) -> Error {
        budget_exhausted(self.budget)
    }

    /// One exchange that must end by `until`, and at the latest by the
    /// call's deadline.
    pub fn attempt(
        &mut self,
        method: Method,
        url: &str,
        until: Option<Instant>,
    ) -> Result<Answer, Failure> {
        let until = until.map_or(self.deadline, |u| u.min(self.deadline));
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Failure {
                error: self.out_of_time(),
                retryable: false,
                retry_after: None,
                unsent: true,
            });
        }
        // The first attempt of a call that has its whole budget, equal to
        // the pool's, runs on the agent's own config: a request-level one
        // costs ureq a copy of the whole config, on every call's hot path.
        let whole = self.attempts == 0
            && until == self.deadline
            && self.budget == self.snap.pool.budget
            && self.budget - left < AGENT_BUDGET_SLACK;
        self.attempts += 1;
        start_exchange();
        log!(
            Debug,
            "attempt {}: {method} {url}, {} ms left",
            self.attempts,
            left.as_millis()
        );
        // Timed only for the log: a clock read per attempt is not free.
        let sent = enabled(Level::Debug).then(Instant::now);
        let result = Attempt {
            agent: &self.snap.pool.agent,
            method,
            url,
            auth: &self.auth,
            budget: self.budget,
            request_budget: (!whole).then_some(left),
            body_limit: self.snap.settings.body_limit,
        }
        .run();
        let ms = sent.map_or(0.0, |t| t.elapsed().as_secs_f64() * 1e3);
        match &result {
            Ok(_) => log!(Debug, "attempt {}: succeeded in {ms:.1} ms", self.attempts),
            Err(f) => log!(
                Debug,
                "attempt {}: failed in {ms:.1} ms: {}{}, {}, {}: {}",
                self.attempts,
                f.error.status.describe(),
                http_status(f.error.http_status),
                if f.retryable {
                    "retryable"
                } else {
                    "not retryable"
                },
                if f.unsent {
                    "never sent"
                } else if f.is_definite() {
                    "refused by the server"
                } else {
                    "the server may have acted on it"
                },
                self.scrubbed(&f.error.message)
            ),
        }
        result
    }

    /// Decides whether `failure` is retried and, if so, waits for it. With
    /// `cancellable` the wait ends early on cancellation. A wait that would
    /// outlast the budget is not started: the caller learns the real reason
    /// (such as RATE_LIMITED) at once instead of a TIMEOUT later.
    pub fn wait_to_retry(&mut self, failure: &Failure, cancellable: bool) -> Next {
        let max = self.snap.settings.max_retries;
        if !failure.retryable {
            log!(Debug, "not retried: this failure is not one to retry");
            return Next::GiveUp;
        }
        if self.retries >= max {
            log!(Info, "not retried: all {max} retries are used");
            return Next::GiveUp;
        }
        let (wait, why) = match failure.retry_after {
            Some(after) => (after, "the server's Retry-After"),
            None => (backoff(self.retries), "backoff with jitter"),
        };
        let left = self.remaining();
        if wait >= left {
            log!(
                Info,
                "not retried: the wait of {} ms ({why}) would outlast the {} ms left of the budget",
                wait.as_millis(),
                left.as_millis()
            );
            return Next::GiveUp;
        }
        log!(
            Warn,
            "retry {} of {max} in {} ms ({why}{})",
            self.retries + 1,
            wait.as_millis(),
            if failure.retry_after.is_some() {
                ", honoured"
            } else {
                ""
            }
        );
        if cancellable {
            if self.cancel.wait(wait) {
                log!(
                    Info,
                    "cancelled during the wait before retry {}",
                    self.retries + 1
                );
                return Next::Cancelled;
            }
        } else {
            std::thread::sleep(wait);
        }
        self.retries += 1;
        Next::Retry
    }

    /// GET with retries, as for any idempotent request. With `abortable`,
    /// cancellation also ends an exchange in flight (within a socket-wait
    /// slice); a read-back after an ambiguous reset is never abortable,
    /// since its answer is what tells whether the key changed.
    pub fn read(&mut self, url: &str, abortable_read: bool) -> Result<Answer, Error> {
        loop {
            if abortable_read && self.is_cancelled() {
                return Err(cancelled());
            }
            let result = if abortable_read {
                let token = self.cancel.clone();
                abortable(&token, || self.attempt(Method::Get, url, None))
            } else {
                self.attempt(Method::Get, url, None)
            };
            let failure = match result {
                Ok(answer) => return Ok(answer),
                Err(failure) => failure,
            };
            if abortable_read && self.is_cancelled() {
                return Err(cancelled());
            }
            match self.wait_to_retry(&failure, abortable_read) {
                Next::Retry => continue,
                Next::GiveUp => return Err(failure.error),
                Next::Cancelled => return Err(cancelled()),
            }
        }
    }
}

/// A first attempt that starts this soon after the call still has, for
/// practical purposes, the whole budget the agent was built with.
const AGENT_BUDGET_SLACK: Duration = Duration::from_millis(5);

/// The CANCELLED error.
pub fn cancelled() -> Error {
    Error::client(
        UizaStatus::Cancelled,
        "the call was cancelled through its cancel token",
    )
}

/// A time budget as given by a caller; zero is refused, by the client-wide
/// setting and by a per-call cap alike.
pub fn nonzero_budget(budget: Duration) -> Result<Duration, Error> {
    if budget.is_zero() {
        return Err(Error::invalid_argument(
            "the time budget must be at least 1 ms",
        ));
    }
    Ok(budget)
}
