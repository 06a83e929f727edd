//! SOCKS proxies: `ALL_PROXY=socks5h://user:password@host:port` (or
//! `socks5`, `socks4`, `socks4a`), honoured as libcurl honours them.
//!
//! ureq speaks the SOCKS handshake itself. This wrapper only names its
//! failures: the handshake reports them as plain I/O errors ("connection
//! not allowed by ruleset", "password authentication failed"), which
//! would otherwise read as trouble with the API server or the local
//! system. A SOCKS proxy in the environment is never bypassed: without
//! this connector ureq would connect straight to the API.

use std::io;

use ureq::unversioned::transport::{ConnectionDetails, Connector, SocksConnector, Transport};

/// Starts the reason of a SOCKS refusal carried in
/// `ureq::Error::ConnectProxyFailed`, so that the transport error mapping
/// tells it from an HTTP CONNECT proxy's.
pub(crate) const SOCKS_REFUSAL: &str = "SOCKS proxy: ";

#[derive(Debug, Default)]
pub struct SocksProxyConnector(SocksConnector);

impl<In: Transport> Connector<In> for SocksProxyConnector {
    type Out = <SocksConnector as Connector<In>>::Out;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<Self::Out>, ureq::Error> {
        // Without a SOCKS proxy the inner connector passes `chained` on and
        // cannot fail, so every error below comes from the proxy.
        self.0.connect(details, chained).map_err(|e| match e {
            ureq::Error::Io(io) if is_handshake_refusal(&io) => {
                ureq::Error::ConnectProxyFailed(format!("{SOCKS_REFUSAL}{io}"))
            }
            other => other,
        })
    }
}

/// The kinds the handshake gives its own failures (a refusal, a bad
/// answer, a failed login); the others (a refused or timed-out TCP
/// connection to the proxy) keep their usual meaning.
fn is_handshake_refusal(e: &io::Error) -> bool {
    use io::ErrorKind as K;
    matches!(
        e.kind(),
        K::Other | K::InvalidData | K::InvalidInput | K::PermissionDenied
    )
}
