//! The client: validated settings, a shared connection pool, and the reset
//! call with its retry loop.
//!
//! A `Client` is `Send + Sync`. Settings live behind a lock that is only
//! held long enough to clone an `Arc`, so a setter running in one thread
//! never stalls a request in another, and a request in flight keeps the
//! settings it started with.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use ureq::http::header::{AUTHORIZATION, RETRY_AFTER};
use ureq::http::HeaderValue;
use ureq::Agent;

use super::entity::LiveEntity;
use super::error::Error;
use super::request_path::{BaseUrl, EntityId};
use super::retry::{backoff, is_retryable_http, parse_retry_after};
use super::secret::ApiKey;
use super::settings::{build_agent, Settings};
use super::status::UizaStatus;
use super::transport_error::{budget_exhausted, classify};
use super::trust::TrustRoots;

/// A successful reset: the body as received, and its parsed form.
#[derive(Debug)]
pub struct Reset {
    pub body: String,
    pub entity: LiveEntity,
}

struct Snapshot {
    settings: Settings,
    pool: Pool,
}

/// The agent (connection pool) and the budget it was built with. A call
/// whose budget equals `timeout` runs its first attempt on the agent's own
/// config: a request-level config makes ureq rebuild the rustls config for
/// each new connection (roots parsed again, no TLS session resumption).
#[derive(Clone)]
struct Pool {
    agent: Agent,
    timeout: Duration,
    /// Set by the first call. Until then a new timeout rebuilds the agent
    /// for free; afterwards it keeps the warm connections instead.
    used: Arc<AtomicBool>,
}

impl Pool {
    fn new(settings: &Settings) -> Pool {
        Pool {
            agent: build_agent(&settings.trust, settings.timeout),
            timeout: settings.timeout,
            used: Arc::new(AtomicBool::new(false)),
        }
    }
}

pub struct Client {
    current: RwLock<Arc<Snapshot>>,
}

/// One failed attempt, and whether the policy allows another.
struct Failure {
    error: Error,
    retryable: bool,
    retry_after: Option<Duration>,
}

impl Failure {
    fn fatal(error: Error) -> Failure {
        Failure {
            error,
            retryable: false,
            retry_after: None,
        }
    }
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
        }
    }

    pub fn settings(&self) -> Settings {
        self.snapshot().settings.clone()
    }

    pub fn set_base_url(&self, raw: &str) -> Result<(), Error> {
        let url = BaseUrl::parse(raw)?;
        self.update(|s| s.base_url = url, false);
        Ok(())
    }

    /// Sets the budget of one call. Zero is refused: it would make every
    /// call fail, and "no limit" would let a dead server hang an encoder.
    pub fn set_timeout(&self, timeout: Duration) -> Result<(), Error> {
        let timeout = nonzero_timeout(timeout)?;
        self.update(|s| s.timeout = timeout, false);
        Ok(())
    }

    pub fn set_max_retries(&self, retries: u32) {
        self.update(|s| s.max_retries = retries, false);
    }

    /// Trusts the CAs in a PEM file in addition to the default roots. The
    /// connection pool is rebuilt, since pooled connections were verified
    /// against the old roots.
    pub fn set_ca_file(&self, path: &Path) -> Result<(), Error> {
        let trust = TrustRoots::with_ca_file(path)?;
        self.update(|s| s.trust = trust, true);
        Ok(())
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
            settings.timeout != old.timeout && !old.used.load(Ordering::Relaxed);
        let pool = if new_agent || idle_with_other_budget {
            Pool::new(&settings)
        } else {
            old.clone()
        };
        *guard = Arc::new(Snapshot { settings, pool });
    }

    /// `PUT {base}/v1/live_entities/{id}/stream_key`, with retries, all
    /// within the client's time budget.
    pub fn reset_stream_key(&self, key: &ApiKey, id: &str) -> Result<Reset, Error> {
        self.reset_stream_key_within(key, id, None)
    }

    /// Like [`Client::reset_stream_key`], with this call's budget capped at
    /// `budget` (e.g. a Go context's deadline) without touching the
    /// client-wide setting that other threads share.
    pub fn reset_stream_key_within(
        &self,
        key: &ApiKey,
        id: &str,
        budget: Option<Duration>,
    ) -> Result<Reset, Error> {
        let id = EntityId::parse(id)?;
        let snap = self.snapshot();
        let settings = &snap.settings;
        let timeout = match budget {
            Some(budget) => settings.timeout.min(nonzero_timeout(budget)?),
            None => settings.timeout,
        };
        let url = settings.base_url.stream_key_url(id);
        let auth = key.header_value()?;
        let deadline = Instant::now() + timeout;
        snap.pool.used.store(true, Ordering::Relaxed);
        let mut retry = 0;
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                return Err(budget_exhausted(timeout));
            }
            // A first attempt with the pool's own budget needs no
            // request-level config (see Pool); later ones have less time.
            let agent_budget = retry == 0 && timeout == snap.pool.timeout;
            let call = Attempt {
                agent: &snap.pool.agent,
                url: &url,
                auth: &auth,
                timeout,
                request_budget: (!agent_budget).then_some(remaining),
                body_limit: settings.body_limit,
            };
            let failure = match call.run() {
                Ok(reset) => return Ok(reset),
                Err(failure) => failure,
            };
            if !failure.retryable || retry >= settings.max_retries {
                return Err(failure.error);
            }
            let wait = failure.retry_after.unwrap_or_else(|| backoff(retry));
            // A wait that would outlast the budget is not started: the
            // caller learns the real reason (e.g. RATE_LIMITED) at once
            // instead of a TIMEOUT later.
            if Instant::now() + wait >= deadline {
                return Err(failure.error);
            }
            thread::sleep(wait);
            retry += 1;
        }
    }
}

/// A time budget as given by a caller; zero is refused, by the client-wide
/// setting and by a per-call cap alike.
fn nonzero_timeout(timeout: Duration) -> Result<Duration, Error> {
    if timeout.is_zero() {
        return Err(Error::invalid_argument("the timeout must be at least 1 ms"));
    }
    Ok(timeout)
}

/// One HTTP exchange of a call.
struct Attempt<'a> {
    agent: &'a Agent,
    url: &'a str,
    auth: &'a HeaderValue,
    /// The call's whole budget, named in a TIMEOUT message.
    timeout: Duration,
    /// `None`: the agent's own budget applies (see `Pool`).
    request_budget: Option<Duration>,
    body_limit: u64,
}

impl Attempt<'_> {
    fn run(&self) -> Result<Reset, Failure> {
        let transport = |e: ureq::Error| {
            let failure = classify(e, self.timeout);
            Failure {
                error: failure.error,
                retryable: failure.retryable,
                retry_after: None,
            }
        };
        let request = self
            .agent
            .put(self.url)
            .header(AUTHORIZATION, self.auth.clone());
        let response = match self.request_budget {
            None => request.send_empty(),
            Some(remaining) => request
                .config()
                .timeout_global(Some(remaining))
                .build()
                .send_empty(),
        }
        .map_err(transport)?;

        let code = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, SystemTime::now()));
        let mut body = response.into_body();
        let read = body
            .with_config()
            .limit(self.body_limit)
            .read_to_vec()
            .map_err(|e| {
                let mut failure = transport(e);
                failure.error.http_status = Some(code);
                failure
            });

        if (200..300).contains(&code) {
            let bytes = read?;
            let entity =
                LiveEntity::parse(&bytes).map_err(|e| Failure::fatal(e.with_http_status(code)))?;
            // serde_json accepted it, so it is UTF-8; the check is kept so that
            // a parser bug can never hand C invalid UTF-8.
            let body = String::from_utf8(bytes).map_err(|_| {
                Failure::fatal(
                    Error::client(UizaStatus::InvalidResponse, "the body is not UTF-8")
                        .with_http_status(code),
                )
            })?;
            return Ok(Reset { body, entity });
        }

        // An error status. Its body only supplies the message, so a body that
        // is too large or cut short still yields the status the server meant.
        let bytes = read.unwrap_or_default();
        Err(Failure {
            error: Error::from_http_response(code, &bytes),
            retryable: is_retryable_http(code),
            retry_after,
        })
    }
}
