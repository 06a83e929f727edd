//! TLS over a new connection, with the handshake's outcome logged.
//!
//! ureq's rustls connector keeps the rustls connection to itself, so it
//! cannot say which version, cipher suite and key-exchange group a
//! handshake chose, or whether a session was resumed. This connector does
//! the same work (rustls with the `ring` provider, TLS 1.2 and 1.3, SNI,
//! certificates verified against the client's roots) and says so. It also
//! builds its rustls config once per agent, so that every connection of a
//! client, retries included, shares one session cache.

use std::fmt;
use std::io::{Read, Write};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use rustls::client::ClientConnection;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, RootCertStore, StreamOwned, ALL_VERSIONS};
use ureq::tls::RootCerts;
use ureq::unversioned::transport::time::{Duration as UreqDuration, Instant as UreqInstant};
use ureq::unversioned::transport::{
    Buffers, ConnectionDetails, Connector, Either, LazyBuffers, NextTimeout, Transport,
    TransportAdapter,
};

use super::log::{log, Level};

pub struct TlsConnector {
    roots: RootCerts,
    /// Built on the first TLS connection: parsing the roots costs
    /// milliseconds, which an HTTP-only client, or a pool a setter replaces
    /// before it connects, never needs to pay.
    config: OnceLock<Arc<ClientConfig>>,
}

impl TlsConnector {
    /// A connector that verifies servers against `roots`.
    pub fn new(roots: RootCerts) -> TlsConnector {
        TlsConnector {
            roots,
            config: OnceLock::new(),
        }
    }

    fn config(&self) -> Arc<ClientConfig> {
        self.config
            .get_or_init(|| {
                let mut store = RootCertStore::empty();
                if let RootCerts::Specific(certs) = &self.roots {
                    let ders = certs.iter().map(|c| CertificateDer::from(c.der()));
                    store.add_parsable_certificates(ders);
                }
                let provider = Arc::new(rustls::crypto::ring::default_provider());
                let config = ClientConfig::builder_with_provider(provider)
                    .with_protocol_versions(ALL_VERSIONS)
                    // The ring provider supports every version rustls does.
                    .expect("ring supports TLS 1.2 and 1.3")
                    .with_root_certificates(store)
                    .with_no_client_auth();
                Arc::new(config)
            })
            .clone()
    }
}

impl<In: Transport> Connector<In> for TlsConnector {
    type Out = Either<In, TlsTransport>;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<Self::Out>, ureq::Error> {
        let Some(transport) = chained else {
            return Ok(None);
        };
        if !details.needs_tls() || transport.is_tls() {
            return Ok(Some(Either::A(transport)));
        }
        let host = details.uri.authority().map_or("", |a| a.host());
        let bare = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        let name = ServerName::try_from(bare.to_owned())
            .map_err(|_| ureq::Error::Tls("the host is not a valid TLS server name"))?;

        let started = Instant::now();
        let mut conn = ClientConnection::new(self.config(), name)?;
        let mut sock = TransportAdapter::new(transport.boxed(), details.current_time.clone());
        sock.set_timeout(left_since(details.timeout, details.now));
        if let Err(e) = conn.complete_io(&mut sock) {
            log!(Debug, "TLS handshake with {bare} failed: {e}");
            return Err(e.into());
        }
        log_handshake(bare, &conn, started);
        let config = details.config;
        Ok(Some(Either::B(TlsTransport {
            buffers: LazyBuffers::new(config.input_buffer_size(), config.output_buffer_size()),
            stream: StreamOwned { conn, sock },
        })))
    }
}

fn log_handshake(host: &str, conn: &ClientConnection, started: Instant) {
    if !super::log::enabled(Level::Debug) {
        return;
    }
    let version = conn
        .protocol_version()
        .map_or_else(|| "unknown version".to_owned(), |v| format!("{v:?}"));
    let suite = conn.negotiated_cipher_suite().map_or_else(
        || "unknown suite".to_owned(),
        |s| format!("{:?}", s.suite()),
    );
    let group = conn.negotiated_key_exchange_group().map_or_else(
        || "no key exchange".to_owned(),
        |g| format!("{:?}", g.name()),
    );
    let kind = match conn.handshake_kind() {
        Some(rustls::HandshakeKind::Resumed) => "resumed session",
        Some(rustls::HandshakeKind::FullWithHelloRetryRequest) => {
            "full handshake after a retry request"
        }
        _ => "full handshake",
    };
    log!(
        Debug,
        "TLS with {host}: {version}, {suite}, {group}, {kind}, in {:.1} ms",
        started.elapsed().as_secs_f64() * 1e3
    );
}

/// What is left of the connect timeout for the handshake: ureq measured
/// `timeout` from `since`, when the TCP connect began.
fn left_since(timeout: NextTimeout, since: UreqInstant) -> NextTimeout {
    if timeout.after.is_not_happening() {
        return timeout;
    }
    let elapsed = match since {
        UreqInstant::Exact(at) => at.elapsed(),
        _ => std::time::Duration::ZERO,
    };
    NextTimeout {
        after: UreqDuration::Exact(timeout.after.saturating_sub(elapsed)),
        ..timeout
    }
}

pub struct TlsTransport {
    buffers: LazyBuffers,
    stream: StreamOwned<ClientConnection, TransportAdapter>,
}

impl Transport for TlsTransport {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        self.stream.get_mut().set_timeout(timeout);
        let output = &self.buffers.output()[..amount];
        self.stream.write_all(output)?;
        Ok(())
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        self.stream.get_mut().set_timeout(timeout);
        let input = self.buffers.input_append_buf();
        let amount = self.stream.read(input)?;
        self.buffers.input_appended(amount);
        Ok(amount > 0)
    }

    fn is_open(&mut self) -> bool {
        self.stream.get_mut().get_mut().is_open()
    }

    fn is_tls(&self) -> bool {
        true
    }
}

impl fmt::Debug for TlsTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsTransport")
            .field("inner", &self.stream.sock.inner())
            .finish()
    }
}

impl fmt::Debug for TlsConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TlsConnector")
    }
}
