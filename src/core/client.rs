//! The client: validated settings, a shared connection pool, and the
//! calls (reset, read, rotation) run on them.
//!
//! A `Client` is `Send + Sync`. Settings live behind a lock that is only
//! held long enough to clone an `Arc`, so a setter running in one thread
//! never stalls a request in another, and a request in flight keeps the
//! settings it started with.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use ureq::Agent;

use super::attempt::Answer;
use super::call::{Call, CallLimits};
use super::cancel::CancelToken;
use super::error::{Error, Rotated};
use super::log::{elided_key, enabled, http_status, log, scrub, Level};
use super::request_path::EntityId;
use super::rotation;
use super::secret::ApiKey;
use super::settings::{build_agent, Settings, SettingsChange};
use super::status::UizaStatus;

/// What a call does with the entity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation<'a> {
    /// `GET /v1/live_entities/{id}`.
    Read,
    /// `PUT .../stream_key` with the retry policy (may rotate twice).
    Reset,
    /// Exactly-once rotation away from `current_key` (`None`: read it).
    Rotate { current_key: Option<&'a str> },
}

impl Operation<'_> {
    /// How log lines name the call.
    fn name(&self) -> &'static str {
        match self {
            Operation::Read => "read",
            Operation::Reset => "reset",
            Operation::Rotate { .. } => "rotation",
        }
    }
}

/// The settings and pool a call runs with, fixed when it starts.
pub struct Snapshot {
    pub settings: Settings,
    pub pool: Pool,
}

/// The agent (connection pool) and the budget it was built with. A call
/// whose budget equals `budget` runs its first attempt on the agent's own
/// config, sparing the common case the copy of the config that a
/// request-level budget costs ureq. (The TLS config is the connector's,
/// built once per pool either way, so retries resume TLS sessions too.)
#[derive(Clone)]
pub struct Pool {
    pub agent: Agent,
    pub budget: Duration,
    /// Set by the first call. Until then a new budget rebuilds the agent
    /// for free; afterwards it keeps the warm connections instead.
    used: Arc<AtomicBool>,
}

impl Pool {
    fn new(settings: &Settings) -> Pool {
        Pool {
            agent: build_agent(&settings.trust, settings.budget),
            budget: settings.budget,
            used: Arc::new(AtomicBool::new(false)),
        }
    }

    pub fn mark_used(&self) {
        self.used.store(true, Ordering::Relaxed);
    }
}

pub struct Client {
    current: RwLock<Arc<Snapshot>>,
    /// Cancelled by [`Client::close`]: every call in flight links to it.
    closing: CancelToken,
}

impl Default for Client {
    fn default() -> Client {
        Client::with_settings(Settings::default())
    }
}

impl Client {
    pub fn with_settings(settings: Settings) -> Client {
        let pool = Pool::new(&settings);
        Client {
            current: RwLock::new(Arc::new(Snapshot { settings, pool })),
            closing: CancelToken::new(),
        }
    }

    pub fn set_base_url(&self, raw: &str) -> Result<(), Error> {
        self.apply(SettingsChange::base_url(raw)?);
        Ok(())
    }

    pub fn set_budget(&self, budget: Duration) -> Result<(), Error> {
        self.apply(SettingsChange::budget(budget)?);
        Ok(())
    }

    pub fn set_max_retries(&self, retries: u32) {
        self.apply(SettingsChange {
            max_retries: Some(retries),
            ..SettingsChange::default()
        });
    }

    pub fn set_ca_file(&self, path: &Path) -> Result<(), Error> {
        self.apply(SettingsChange::ca_file(path)?);
        Ok(())
    }

    /// Applies every setting of a validated change at once: calls started
    /// later see all of it, calls in flight none of it.
    pub fn apply(&self, change: SettingsChange) {
        log!(Debug, "client settings changed: {}", change.describe());
        let new_agent = change.trust.is_some();
        self.update(
            |s| {
                if let Some(url) = change.base_url {
                    s.base_url = url;
                }
                if let Some(budget) = change.budget {
                    s.budget = budget;
                }
                if let Some(n) = change.max_retries {
                    s.max_retries = n;
                }
                if let Some(trust) = change.trust {
                    s.trust = trust;
                }
            },
            new_agent,
        );
    }

    fn snapshot(&self) -> Arc<Snapshot> {
        // A poisoned lock only means another thread panicked while swapping
        // an Arc; the Arc itself is always whole, so keep going.
        match self.current.read() {
            Ok(guard) => Arc::clone(&guard),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    fn update(&self, change: impl FnOnce(&mut Settings), new_agent: bool) {
        let mut guard = match self.current.write() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        let mut settings = guard.settings.clone();
        change(&mut settings);
        let old = &guard.pool;
        let idle_with_other_budget =
            settings.budget != old.budget && !old.used.load(Ordering::Relaxed);
        let pool = if new_agent || idle_with_other_budget {
            Pool::new(&settings)
        } else {
            old.clone()
        };
        *guard = Arc::new(Snapshot { settings, pool });
    }

    /// Cancels every call in flight on this client, as when its owner
    /// lets go of it: they end at their next safe point.
    pub fn close(&self) {
        self.closing.cancel();
    }

    /// `PUT {base}/v1/live_entities/{id}/stream_key`, with retries, all
    /// within the client's time budget.
    pub fn reset_stream_key(&self, key: &ApiKey, id: &str) -> Result<Answer, Error> {
        self.call(key, id, Operation::Reset, &CallLimits::default())
    }

    /// Runs one call. Errors of the calls that change a key always say
    /// whether it may have changed (`"rotated"`); one that fails before a
    /// request is made (a bad id, say) certainly did not. Every error says
    /// how many exchanges the call made and how long it ran.
    pub fn call(
        &self,
        key: &ApiKey,
        id: &str,
        op: Operation<'_>,
        limits: &CallLimits,
    ) -> Result<Answer, Error> {
        let started = limits.started.unwrap_or_else(Instant::now);
        let mut attempts = 0;
        let result = self.run(key, id, op, limits, started, &mut attempts);
        let result = result.map_err(|e| {
            let e = match (op, e.rotated) {
                (Operation::Read, _) | (_, Rotated::No | Rotated::Unknown) => e,
                (_, Rotated::NotApplicable) => e.with_rotated(Rotated::No),
            };
            e.with_diagnostics(attempts, started.elapsed())
                .without_secret(key.for_scrubbing())
        });
        if enabled(Level::Error) {
            log_outcome(op, &result, attempts, started.elapsed());
        }
        result
    }

    fn run(
        &self,
        key: &ApiKey,
        id: &str,
        op: Operation<'_>,
        limits: &CallLimits,
        started: Instant,
        attempts: &mut u32,
    ) -> Result<Answer, Error> {
        let id = EntityId::parse(id)?;
        let snap = self.snapshot();
        let mut call = Call::new(&snap, key.header_value()?, limits, started, &self.closing)?;
        let base = &snap.settings.base_url;
        log!(
            Info,
            "{} of live entity {}: starting at {}, budget {} ms, up to {} retries{}",
            op.name(),
            id.as_str(),
            base.as_str(),
            call.budget().as_millis(),
            snap.settings.max_retries,
            match limits.started {
                Some(queued) => format!(
                    ", after {:.1} ms queued for a worker",
                    queued.elapsed().as_secs_f64() * 1e3
                ),
                None => String::new(),
            }
        );
        let result = match op {
            Operation::Read => call.read(&base.entity_url(id), true),
            Operation::Reset => rotation::reset(&mut call, base, id),
            Operation::Rotate { current_key } => rotation::rotate(&mut call, base, id, current_key),
        };
        *attempts = call.attempts();
        result
    }
}

/// The one line that says how a call ended.
fn log_outcome(
    op: Operation<'_>,
    result: &Result<Answer, Error>,
    attempts: u32,
    elapsed: Duration,
) {
    let ms = elapsed.as_secs_f64() * 1e3;
    match result {
        Ok(answer) => {
            let key = answer.entity.ingest_key().map_or("none", elided_key);
            log!(
                Info,
                "{} succeeded after {attempts} attempt(s) in {ms:.1} ms; ingest key {key}",
                op.name()
            );
        }
        Err(e) if e.status == UizaStatus::Cancelled => {
            log!(
                Info,
                "{} cancelled after {attempts} attempt(s) in {ms:.1} ms",
                op.name()
            );
        }
        Err(e) => {
            let rotated = match e.rotated {
                Rotated::NotApplicable => "",
                Rotated::No => "; the key is unchanged",
                Rotated::Unknown => "; the key may have changed",
            };
            log!(
                Error,
                "{} failed after {attempts} attempt(s) in {ms:.1} ms: {}{}{rotated}: {}",
                op.name(),
                e.status.describe(),
                http_status(e.http_status),
                // The API key is already redacted from the error (see
                // `Client::call`); only stream keys are left to elide.
                scrub(&e.message, &[])
            );
        }
    }
}
