//! A throwaway CA and a server certificate it signs, made fresh for every
//! sandbox so no key material is ever checked in. Clients trust the CA
//! through `Sandbox::ca_pem` (or the binary's `--ca-out` file).
//!
//! [`CertChain`] picks the shape of the chain the server presents: the
//! plain one by default, or one of the odd shapes real servers send.

use std::fmt;
use std::io;
use std::str::FromStr;
use std::sync::Arc;

use rcgen::{
    date_time_ymd, BasicConstraints, CertificateParams, CertifiedIssuer, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::ServerConfig;

/// Names the server certificate covers: every way a local client might
/// spell the loopback address.
const SERVER_NAMES: [&str; 3] = ["127.0.0.1", "localhost", "::1"];

/// The only name a [`CertChain::WrongName`] certificate covers.
pub const WRONG_NAME: &str = "uiza-other.example";

/// The certificate chain the HTTPS listener presents, and how it was
/// issued. Every shape but [`CertChain::Direct`] is one that servers in
/// the wild present, so that clients can be tested against it. "Root" is
/// the CA of [`crate::Sandbox::ca_pem`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum CertChain {
    /// The root signs the server certificate itself; the server sends the
    /// server certificate, then the root. The simplest chain, and what
    /// every sandbox serves unless told otherwise.
    #[default]
    Direct,
    /// Root -> intermediate CA -> server certificate; the server sends the
    /// server certificate, then the intermediate (not the root), as a
    /// correctly configured server does. Public CAs issue every server
    /// certificate from an intermediate, so this is the usual shape.
    ViaIntermediate,
    /// As [`CertChain::ViaIntermediate`], but the server sends the server
    /// certificate, an unrelated self-signed certificate, the root, then
    /// the intermediate: servers whose bundle was concatenated in the
    /// wrong order, or with a leftover certificate, exist. TLS 1.3 allows
    /// any order after the first certificate, and path-building verifiers
    /// (webpki, OpenSSL, browsers) find the path anyway.
    ViaIntermediateOutOfOrder,
    /// The intermediate signs the server certificate, but the server
    /// sends the server certificate alone: a common misconfiguration that
    /// browsers hide by fetching the intermediate (AIA) or from a cache. A
    /// client that does neither must refuse it, unless it trusts the
    /// intermediate itself (see [`crate::Sandbox::intermediate_pem`]).
    MissingIntermediate,
    /// The root signs a server certificate whose validity ended in the
    /// past (2020 to 2021): a server whose certificate nobody renewed.
    /// Sent with the root, like [`CertChain::Direct`].
    Expired,
    /// The root signs a server certificate valid only for
    /// `uiza-other.example` ([`WRONG_NAME`]), never for the loopback names
    /// the client dials: a server behind the wrong name, or a certificate
    /// that does not cover the host. Sent with the root.
    WrongName,
}

impl CertChain {
    /// Every shape, in declaration order.
    pub const ALL: [CertChain; 6] = [
        CertChain::Direct,
        CertChain::ViaIntermediate,
        CertChain::ViaIntermediateOutOfOrder,
        CertChain::MissingIntermediate,
        CertChain::Expired,
        CertChain::WrongName,
    ];

    /// The command-line spelling (`--tls-chain`).
    pub fn name(self) -> &'static str {
        match self {
            CertChain::Direct => "direct",
            CertChain::ViaIntermediate => "via-intermediate",
            CertChain::ViaIntermediateOutOfOrder => "via-intermediate-out-of-order",
            CertChain::MissingIntermediate => "missing-intermediate",
            CertChain::Expired => "expired",
            CertChain::WrongName => "wrong-name",
        }
    }

    /// Whether an intermediate CA issues the server certificate.
    fn has_intermediate(self) -> bool {
        matches!(
            self,
            CertChain::ViaIntermediate
                | CertChain::ViaIntermediateOutOfOrder
                | CertChain::MissingIntermediate
        )
    }
}

impl FromStr for CertChain {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        CertChain::ALL
            .into_iter()
            .find(|c| c.name() == s)
            .ok_or_else(|| {
                let names: Vec<_> = CertChain::ALL.iter().map(|c| c.name()).collect();
                format!("unknown TLS chain {s:?} ({})", names.join(", "))
            })
    }
}

impl fmt::Display for CertChain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

pub struct TlsMaterial {
    pub config: Arc<ServerConfig>,
    pub ca_pem: String,
    pub intermediate_pem: Option<String>,
}

fn other(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(format!("sandbox TLS setup: {e}"))
}

fn name(common_name: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, common_name);
    dn
}

/// A random hex tag, so that each sandbox's CAs have names of their own:
/// a verifier that finds issuers by name (the Windows store, OpenSSL's
/// hash directories) would otherwise try one sandbox's CA on another's
/// certificate.
fn random_tag() -> io::Result<String> {
    let mut tag = [0u8; 6];
    getrandom::getrandom(&mut tag).map_err(|e| io::Error::other(e.to_string()))?;
    Ok(tag.iter().map(|b| format!("{b:02x}")).collect())
}

/// Parameters of a CA certificate that may have `path_len` CAs below it.
/// They carry the extensions strict verifiers insist on (critical basic
/// constraints, key usage, key identifiers), e.g. OpenSSL's X509_STRICT,
/// which Python 3.13 turns on by default.
fn ca_params(common_name: &str, path_len: u8) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name = name(common_name);
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(path_len));
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params
}

pub fn generate(chain: CertChain) -> io::Result<TlsMaterial> {
    let tag = random_tag()?;
    // A root with an intermediate below it needs a path length of 1:
    // OpenSSL enforces the constraint on a trusted root too, and webpki on
    // a root the server sends (ViaIntermediateOutOfOrder does) when it is
    // not trusted, which would turn UnknownIssuer into
    // PathLenConstraintViolated.
    let root_path_len = if chain.has_intermediate() { 1 } else { 0 };
    let root = CertifiedIssuer::self_signed(
        ca_params(&format!("uiza-sandbox test CA {tag}"), root_path_len),
        KeyPair::generate().map_err(other)?,
    )
    .map_err(other)?;

    let intermediate = if chain.has_intermediate() {
        let mut params = ca_params(&format!("uiza-sandbox intermediate CA {tag}"), 0);
        params.use_authority_key_identifier_extension = true;
        Some(
            CertifiedIssuer::signed_by(params, KeyPair::generate().map_err(other)?, &root)
                .map_err(other)?,
        )
    } else {
        None
    };

    let names: Vec<String> = if chain == CertChain::WrongName {
        vec![WRONG_NAME.to_owned()]
    } else {
        SERVER_NAMES.iter().map(|s| s.to_string()).collect()
    };
    let mut server_params = CertificateParams::new(names).map_err(other)?;
    server_params.distinguished_name = name("uiza-sandbox");
    server_params.is_ca = IsCa::ExplicitNoCa;
    server_params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    server_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    server_params.use_authority_key_identifier_extension = true;
    if chain == CertChain::Expired {
        server_params.not_before = date_time_ymd(2020, 1, 1);
        server_params.not_after = date_time_ymd(2021, 1, 1);
    }
    let server_key = KeyPair::generate().map_err(other)?;
    let server_cert = match &intermediate {
        Some(issuer) => server_params.signed_by(&server_key, issuer),
        None => server_params.signed_by(&server_key, &root),
    }
    .map_err(other)?;

    let leaf = server_cert.der().clone();
    let root_der = root.der().clone();
    let chain_sent: Vec<CertificateDer<'static>> = match (chain, &intermediate) {
        (CertChain::ViaIntermediate, Some(i)) => vec![leaf, i.der().clone()],
        (CertChain::ViaIntermediateOutOfOrder, Some(i)) => {
            let stray = ca_params(&format!("uiza-sandbox unrelated CA {tag}"), 0)
                .self_signed(&KeyPair::generate().map_err(other)?)
                .map_err(other)?;
            vec![leaf, stray.der().clone(), root_der, i.der().clone()]
        }
        (CertChain::MissingIntermediate, Some(_)) => vec![leaf],
        _ => vec![leaf, root_der],
    };

    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der()));
    let mut config =
        ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(other)?
            .with_no_client_auth()
            .with_single_cert(chain_sent, key)
            .map_err(other)?;
    // HTTP/1.1 only, like the plain listener.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];

    Ok(TlsMaterial {
        config: Arc::new(config),
        ca_pem: root.pem(),
        intermediate_pem: intermediate.map(|i| i.pem()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_names_round_trip() {
        for chain in CertChain::ALL {
            assert_eq!(chain.name().parse::<CertChain>(), Ok(chain));
            assert_eq!(chain.to_string(), chain.name());
        }
        assert_eq!(CertChain::default(), CertChain::Direct);
        assert!("sideways".parse::<CertChain>().is_err());
    }
}
