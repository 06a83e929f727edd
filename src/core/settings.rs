//! A client's settings, and the HTTP agent built from them.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use ureq::config::Config;
use ureq::http::Uri;
use ureq::tls::{TlsConfig, TlsProvider};
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{
    ConnectProxyConnector, Connector, NextTimeout, RustlsConnector, TcpConnector,
};
use ureq::Agent;

use super::precise_wait::SlicedWaitConnector;
use super::request_path::BaseUrl;
use super::retry::DEFAULT_MAX_RETRIES;
use super::trust::TrustRoots;

/// Sent as `User-Agent`, so that Uiza can tell this library's traffic apart.
pub const USER_AGENT: &str = concat!("uiza-c/", env!("CARGO_PKG_VERSION"));
/// The default budget of one call, retries and waits included.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// The default cap on a response body.
pub const DEFAULT_BODY_LIMIT: u64 = 1024 * 1024;

/// Everything a client can be told. Cloned per change: callers in other
/// threads keep using the settings they started with.
#[derive(Clone, Debug)]
pub struct Settings {
    pub base_url: BaseUrl,
    pub timeout: Duration,
    pub max_retries: u32,
    pub body_limit: u64,
    pub trust: TrustRoots,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            base_url: BaseUrl::default_url(),
            timeout: DEFAULT_TIMEOUT,
            max_retries: DEFAULT_MAX_RETRIES,
            body_limit: DEFAULT_BODY_LIMIT,
            trust: TrustRoots::default(),
        }
    }
}

/// Builds the connection-pooling agent from the trust roots and the time
/// budget; the base URL and the retries are applied per call, so changing
/// them keeps the pool (and its warm connections).
pub fn build_agent(trust: &TrustRoots, timeout: Duration) -> Agent {
    let tls = TlsConfig::builder()
        .provider(TlsProvider::Rustls)
        .root_certs(trust.root_certs())
        .build();
    let config = Agent::config_builder()
        // Statuses are ours to interpret, body included.
        .http_status_as_error(false)
        // Never follow a redirect: the Authorization header must not reach
        // another host, and a 3xx is reported as UNEXPECTED_STATUS.
        .max_redirects(0)
        .user_agent(USER_AGENT)
        .accept("application/json")
        // One pool is shared by every thread of the host; ureq's defaults
        // (3 idle per host) would make 16 threads reconnect constantly.
        .max_idle_connections(64)
        .max_idle_connections_per_host(32)
        .max_idle_age(Duration::from_secs(30))
        // A call's first attempt runs on this agent-level budget. A
        // request-level config (as retries and per-call caps need) makes
        // ureq rebuild the rustls ClientConfig for every new connection:
        // the roots parsed again and a fresh session cache, so no TLS
        // resumption. The agent-level one is built once and cached.
        .timeout_global(Some(timeout))
        .tls_config(tls)
        .build();
    Agent::with_parts(
        config,
        // ureq's default chain (CONNECT proxy, TCP, rustls), with the
        // socket waits sliced so that calls end on time.
        ().chain(ConnectProxyConnector::default())
            .chain(TcpConnector::default())
            .chain(SlicedWaitConnector)
            .chain(RustlsConnector::default()),
        CachingResolver::default(),
    )
}

/// How long a resolved address is reused; libcurl's default DNS cache
/// timeout.
const DNS_CACHE_TTL: Duration = Duration::from_secs(60);

/// ureq resolves the host on every request, pooled connection or not, and
/// with a timeout it does so on a freshly spawned thread: one thread per
/// call. This cache answers repeat lookups at once, like libcurl's.
#[derive(Debug, Default)]
struct CachingResolver {
    inner: DefaultResolver,
    /// Read by every call of every thread, written once a minute: a
    /// read-write lock keeps threads from queueing behind each other.
    cache: RwLock<HashMap<String, (Instant, ResolvedSocketAddrs)>>,
}

impl Resolver for CachingResolver {
    fn resolve(
        &self,
        uri: &Uri,
        config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let key = match (uri.scheme_str(), uri.authority()) {
            (Some(scheme), Some(authority)) => format!("{scheme}://{authority}"),
            _ => return self.inner.resolve(uri, config, timeout),
        };
        if let Ok(cache) = self.cache.read() {
            if let Some((at, addrs)) = cache.get(&key) {
                if at.elapsed() < DNS_CACHE_TTL {
                    return Ok(addrs.clone());
                }
            }
        }
        let addrs = self.inner.resolve(uri, config, timeout)?;
        if let Ok(mut cache) = self.cache.write() {
            cache.insert(key, (Instant::now(), addrs.clone()));
        }
        Ok(addrs)
    }
}
