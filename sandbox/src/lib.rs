//! A local stand-in for the Uiza live-entity API, for testing the `uiza`
//! client: the real `PUT /v1/live_entities/:id/stream_key` behaviour on an
//! in-memory store, plus a queue of injected faults (slow, broken, or
//! malformed responses, dropped connections).
//!
//! Rust tests start it in-process with [`Sandbox::start`]; other languages
//! run the `uiza-sandbox` binary and drive it through `/__admin/`.
//!
//! It is also a live ingest authority: a local nginx-rtmp asks it, through
//! `/__ingest/` callbacks, whether a publish with a given stream key may
//! start or go on (see [`IngestPolicy`]).

mod admin;
mod body;
mod clock;
mod faults;
mod http_util;
mod ingest;
mod log;
mod routes;
mod seed;
mod server;
mod state;
mod tls;

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::thread::JoinHandle;

use tokio::sync::oneshot;

pub use faults::{Fault, FaultKind};
pub use ingest::{validate_ingest_url, IngestCall, IngestEvent, IngestPolicy};
pub use log::set_request_logging;
pub use seed::SEED_ENTITY_ID;
pub use state::{RecordedRequest, Stats};
pub use tls::{CertChain, WRONG_NAME};

use state::SharedState;

/// The API key a sandbox accepts when none is configured.
pub const DEFAULT_API_KEY: &str = "uap-sandbox-0123456789abcdef0123456789abcdef-00000000";

/// Worker threads of each sandbox's runtime: enough for a slow (drip,
/// delay) response not to stall the next request, small for a 2-core box.
const WORKER_THREADS: usize = 2;

#[derive(Clone, Debug)]
pub struct SandboxConfig {
    /// Where to listen; port 0 picks a free port.
    pub listen: SocketAddr,
    /// Authorization values accepted verbatim.
    pub api_keys: Vec<String>,
    /// Serve HTTPS with a freshly generated CA (see [`Sandbox::ca_pem`]).
    pub tls: bool,
    /// With `tls`, the shape of the certificate chain the server presents
    /// (see [`CertChain`]); the default is the plain one.
    pub tls_chain: CertChain,
    /// `rtmp://HOST:PORT/APP`: every entity's `ingest.url` becomes this,
    /// so encoders that read the entity publish to a local nginx-rtmp.
    /// `None` keeps the entities' own URLs.
    pub ingest_url: Option<String>,
    /// How `on_update` treats a running publish whose key was rotated.
    pub ingest_policy: IngestPolicy,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            api_keys: vec![DEFAULT_API_KEY.to_owned()],
            tls: false,
            tls_chain: CertChain::default(),
            ingest_url: None,
            ingest_policy: IngestPolicy::Grandfather,
        }
    }
}

/// A running sandbox server. Dropping it stops the server: the listener is
/// closed and open connections are cut before `drop` returns.
pub struct Sandbox {
    state: Arc<SharedState>,
    addr: SocketAddr,
    base_url: String,
    ca_pem: Option<String>,
    intermediate_pem: Option<String>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Sandbox {
    /// Binds, then serves on a runtime of its own in background threads,
    /// so it works from sync and async tests alike. Returns once the socket
    /// is listening (connections made right away wait in the backlog).
    /// An `ingest_url` that is not an `rtmp://` or `rtmps://` URL with a
    /// host is refused with `InvalidInput`.
    pub fn start(config: SandboxConfig) -> io::Result<Sandbox> {
        log::enable_from_env();
        if let Some(url) = &config.ingest_url {
            ingest::validate_ingest_url(url)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        }
        let tls = if config.tls {
            Some(tls::generate(config.tls_chain)?)
        } else {
            None
        };

        let std_listener = std::net::TcpListener::bind(config.listen)?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;

        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(WORKER_THREADS)
            .thread_name("uiza-sandbox-worker")
            .enable_all()
            .build()?;
        let listener = {
            let _guard = runtime.enter();
            tokio::net::TcpListener::from_std(std_listener)?
        };

        let state = Arc::new(SharedState::new(
            config.api_keys,
            config.ingest_url,
            config.ingest_policy,
        ));
        let acceptor = tls
            .as_ref()
            .map(|t| tokio_rustls::TlsAcceptor::from(Arc::clone(&t.config)));
        let (shutdown, shutdown_rx) = oneshot::channel();
        let server_state = Arc::clone(&state);
        // The runtime lives and dies on this thread: dropping a runtime from
        // inside another runtime's async context panics, and a test may well
        // drop its Sandbox from a #[tokio::test].
        let thread = std::thread::Builder::new()
            .name("uiza-sandbox".into())
            .spawn(move || {
                runtime.block_on(server::run(listener, server_state, acceptor, shutdown_rx));
                // Dropping the runtime cancels every connection task and
                // waits for the worker threads, closing all sockets.
                drop(runtime);
            })?;

        let scheme = if config.tls { "https" } else { "http" };
        Ok(Sandbox {
            state,
            addr,
            base_url: format!("{scheme}://{}", dialable(addr)),
            intermediate_pem: tls.as_ref().and_then(|t| t.intermediate_pem.clone()),
            ca_pem: tls.map(|t| t.ca_pem),
            shutdown: Some(shutdown),
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:PORT` or `https://...`, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The address actually bound.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// PEM of the root CA, when serving TLS: the CA that signed the server
    /// certificate, or that signed the intermediate CA which did (see
    /// [`CertChain`]).
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// PEM of the intermediate CA that signed the server certificate, for
    /// the [`CertChain`] shapes that have one; `None` otherwise. A client
    /// may trust it alone, as a partial chain's anchor.
    pub fn intermediate_pem(&self) -> Option<&str> {
        self.intermediate_pem.as_deref()
    }

    /// Queues `fault` behind any already queued. A fault with `times: 0`
    /// would never apply and is ignored.
    pub fn push_fault(&self, fault: Fault) {
        self.state.push_fault(fault);
    }

    /// Drops queued faults, zeroes the counters and forgets the last
    /// request. Stored entities are kept.
    pub fn clear(&self) {
        self.state.clear();
    }

    pub fn stats(&self) -> Stats {
        self.state.stats()
    }

    /// The most recent request outside `/__admin/`, whatever its path
    /// (a client with a wrong path prefix shows up here too).
    pub fn last_request(&self) -> Option<RecordedRequest> {
        self.state.last_request()
    }

    pub fn entity(&self, id: &str) -> Option<serde_json::Value> {
        self.state.entity(id)
    }

    /// The stored entity's current `ingest.key`.
    pub fn current_key(&self, id: &str) -> Option<String> {
        let entity = self.state.entity(id)?;
        entity["ingest"]["key"].as_str().map(str::to_owned)
    }

    /// How many times the key of entity `id` was reset (since start or the
    /// last `clear`).
    pub fn rotations(&self, id: &str) -> u64 {
        self.state.rotations(id)
    }

    /// Stores `entity` under its `"id"` (replacing any entity with that
    /// id). A value without a string `"id"` is ignored. With an ingest URL
    /// configured, its `ingest.url` becomes that URL.
    pub fn insert_entity(&self, entity: serde_json::Value) {
        self.state.insert_entity(entity);
    }

    /// Every ingest callback answered so far (since start or the last
    /// `clear`), oldest first; at most the last 4096.
    pub fn ingest_log(&self) -> Vec<IngestEvent> {
        self.state.ingest_log()
    }

    /// The `on_publish` calls of [`Sandbox::ingest_log`]: which keys tried
    /// to start a publish, and whether they were let in.
    pub fn publish_attempts(&self) -> Vec<IngestEvent> {
        self.ingest_log()
            .into_iter()
            .filter(|e| e.call == IngestCall::Publish)
            .collect()
    }

    pub fn ingest_policy(&self) -> IngestPolicy {
        self.state.ingest_policy()
    }

    /// The configured ingest URL, if any.
    pub fn ingest_url(&self) -> Option<&str> {
        self.state.ingest_url()
    }

    /// The stored entity's `status` (`ready`, `broadcasting`, ...).
    pub fn entity_status(&self, id: &str) -> Option<String> {
        let entity = self.state.entity(id)?;
        entity["status"].as_str().map(str::to_owned)
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The address a client should dial: a wildcard bind is reachable on
/// loopback, which the TLS certificate also covers.
fn dialable(addr: SocketAddr) -> SocketAddr {
    match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => {
            SocketAddr::from((Ipv4Addr::LOCALHOST, addr.port()))
        }
        IpAddr::V6(ip) if ip.is_unspecified() => {
            SocketAddr::from((Ipv6Addr::LOCALHOST, addr.port()))
        }
        _ => addr,
    }
}
