//! A client's settings, and the HTTP agent built from them.

use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

use ureq::unversioned::transport::{ConnectProxyConnector, Connector};
use ureq::Agent;

use super::call::nonzero_budget;
use super::error::Error;
use super::precise_wait::SlicedWaitConnector;
use super::request_path::BaseUrl;
use super::resolver::CachingResolver;
use super::retry::DEFAULT_MAX_RETRIES;
use super::socks_connect::SocksProxyConnector;
use super::tcp_connect::TcpConnector;
use super::tls_connect::TlsConnector;
use super::trust::TrustRoots;

/// Sent as `User-Agent`, so that Uiza can tell this library's traffic apart.
pub(crate) const USER_AGENT: &str = concat!("uiza-c/", env!("CARGO_PKG_VERSION"));
/// The default budget of one call, retries and waits included.
pub(crate) const DEFAULT_BUDGET: Duration = Duration::from_secs(30);
/// The default cap on a response body (1 MiB): an entity is a few hundred
/// bytes, so anything near this is not one.
pub(crate) const DEFAULT_BODY_LIMIT: u64 = 1024 * 1024;
/// One pool is shared by every thread of the host; ureq's defaults (3 idle
/// per host) would make 16 threads reconnect constantly. Twice the threads
/// a busy encoder farm runs per process, per host and in all.
const MAX_IDLE_PER_HOST: usize = 32;
const MAX_IDLE_CONNECTIONS: usize = 64;
/// Below the idle timeouts of common front ends (nginx: 75 s), so that a
/// pooled connection is rarely one the server already closed.
const MAX_IDLE_AGE: Duration = Duration::from_secs(30);

/// Everything a client can be told. Cloned per change: callers in other
/// threads keep using the settings they started with.
#[derive(Clone, Debug)]
pub struct Settings {
    pub base_url: BaseUrl,
    pub budget: Duration,
    pub max_retries: u32,
    pub body_limit: u64,
    pub trust: TrustRoots,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            base_url: BaseUrl::default_url(),
            budget: DEFAULT_BUDGET,
            max_retries: DEFAULT_MAX_RETRIES,
            body_limit: DEFAULT_BODY_LIMIT,
            trust: TrustRoots::default(),
        }
    }
}

/// Validated settings to change together, each `None` left as it is. Built
/// by the single setters and by [`SettingsChange::from_json`]; nothing is
/// applied unless every part is valid.
#[derive(Debug, Default)]
pub struct SettingsChange {
    pub base_url: Option<BaseUrl>,
    pub budget: Option<Duration>,
    pub max_retries: Option<u32>,
    /// Set when a CA file is added. The pool is rebuilt, since pooled
    /// connections were verified against the old roots.
    pub trust: Option<TrustRoots>,
}

impl SettingsChange {
    /// "base URL https://..., budget 5000 ms", for a log line. Nothing in
    /// settings is secret: the base URL has no user info, by its rule.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(url) = &self.base_url {
            parts.push(format!("base URL {}", url.as_str()));
        }
        if let Some(budget) = self.budget {
            parts.push(format!("budget {} ms", budget.as_millis()));
        }
        if let Some(n) = self.max_retries {
            parts.push(format!("up to {n} retries"));
        }
        if let Some(trust) = &self.trust {
            parts.push(format!(
                "{} CA certificate(s) added to the default roots, new connection pool",
                trust.extra_count()
            ));
        }
        if parts.is_empty() {
            "nothing".to_owned()
        } else {
            parts.join(", ")
        }
    }
}

/// The settings document of `uiza_client_configure`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SettingsDocument {
    base_url: Option<String>,
    timeout_ms: Option<u32>,
    max_retries: Option<u32>,
    ca_file: Option<String>,
}

impl SettingsChange {
    pub fn base_url(raw: &str) -> Result<SettingsChange, Error> {
        Ok(SettingsChange {
            base_url: Some(BaseUrl::parse(raw)?),
            ..SettingsChange::default()
        })
    }

    /// The budget of one call. Zero is refused: it would make every call
    /// fail, and "no limit" would let a dead server hang an encoder.
    pub fn budget(budget: Duration) -> Result<SettingsChange, Error> {
        Ok(SettingsChange {
            budget: Some(nonzero_budget(budget)?),
            ..SettingsChange::default()
        })
    }

    /// Trusts the CAs in a PEM file in addition to the default roots.
    pub fn ca_file(path: &Path) -> Result<SettingsChange, Error> {
        Ok(SettingsChange {
            trust: Some(TrustRoots::with_ca_file(path)?),
            ..SettingsChange::default()
        })
    }

    /// Parses `{"base_url":..,"timeout_ms":..,"max_retries":..,"ca_file":..}`
    /// (every member optional, no others allowed) and validates each.
    pub fn from_json(json: &str) -> Result<SettingsChange, Error> {
        let doc: SettingsDocument = serde_json::from_str(json).map_err(|e| {
            Error::invalid_argument(format!(
                "settings are not a settings document ({e}); expected an object with \
                 base_url, timeout_ms, max_retries and ca_file, each optional"
            ))
        })?;
        let mut change = SettingsChange {
            max_retries: doc.max_retries,
            ..SettingsChange::default()
        };
        if let Some(raw) = doc.base_url {
            change.base_url = SettingsChange::base_url(&raw)?.base_url;
        }
        if let Some(ms) = doc.timeout_ms {
            change.budget = SettingsChange::budget(Duration::from_millis(u64::from(ms)))?.budget;
        }
        if let Some(path) = doc.ca_file {
            change.trust = SettingsChange::ca_file(Path::new(&path))?.trust;
        }
        Ok(change)
    }
}

/// Builds the connection-pooling agent from the trust roots and the time
/// budget; the base URL and the retries are applied per call, so changing
/// them keeps the pool (and its warm connections).
pub fn build_agent(trust: &TrustRoots, budget: Duration) -> Agent {
    let config = Agent::config_builder()
        // Statuses are ours to interpret, body included.
        .http_status_as_error(false)
        // Never follow a redirect: the Authorization header must not reach
        // another host, and a 3xx is reported as UNEXPECTED_STATUS.
        .max_redirects(0)
        .user_agent(USER_AGENT)
        .accept("application/json")
        .max_idle_connections(MAX_IDLE_CONNECTIONS)
        .max_idle_connections_per_host(MAX_IDLE_PER_HOST)
        .max_idle_age(MAX_IDLE_AGE)
        // A call's first attempt runs on this agent-level budget; only
        // retries and per-call caps need a request-level one (see Pool).
        .timeout_global(Some(budget))
        .build();
    Agent::with_parts(
        config,
        // ureq's default chain (SOCKS proxy, CONNECT proxy, TCP, rustls),
        // with the socket waits sliced so that calls end on time, and TCP
        // and TLS done by the library's own connectors, which log what they
        // did.
        ().chain(SocksProxyConnector::default())
            .chain(ConnectProxyConnector::default())
            .chain(TcpConnector)
            .chain(SlicedWaitConnector)
            .chain(TlsConnector::new(trust.root_certs())),
        CachingResolver::default(),
    )
}
