//! A throwaway CA and a server certificate it signs, made fresh for every
//! sandbox so no key material is ever checked in. Clients trust the CA
//! through `Sandbox::ca_pem` (or the binary's `--ca-out` file).

use std::io;
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::ServerConfig;

/// Names the server certificate covers: every way a local client might
/// spell the loopback address.
const SERVER_NAMES: [&str; 3] = ["127.0.0.1", "localhost", "::1"];

pub struct TlsMaterial {
    pub config: Arc<ServerConfig>,
    pub ca_pem: String,
}

fn other(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(format!("sandbox TLS setup: {e}"))
}

fn name(common_name: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, common_name);
    dn
}

pub fn generate() -> io::Result<TlsMaterial> {
    // The CA carries the extensions strict verifiers insist on (critical
    // basic constraints, key usage, key identifiers), e.g. OpenSSL's
    // X509_STRICT, which Python 3.13 turns on by default.
    let mut ca_params = CertificateParams::default();
    // Each sandbox's CA gets a name of its own: a verifier that finds
    // issuers by name (the Windows store, OpenSSL's hash directories)
    // would otherwise try one sandbox's CA on another's certificate.
    let mut tag = [0u8; 6];
    getrandom::getrandom(&mut tag).map_err(|e| io::Error::other(e.to_string()))?;
    let tag: String = tag.iter().map(|b| format!("{b:02x}")).collect();
    ca_params.distinguished_name = name(&format!("uiza-sandbox test CA {tag}"));
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().map_err(other)?)
        .map_err(other)?;

    let mut server_params = CertificateParams::new(
        SERVER_NAMES
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>(),
    )
    .map_err(other)?;
    server_params.distinguished_name = name("uiza-sandbox");
    server_params.is_ca = IsCa::ExplicitNoCa;
    server_params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    server_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    server_params.use_authority_key_identifier_extension = true;
    let server_key = KeyPair::generate().map_err(other)?;
    let server_cert = server_params.signed_by(&server_key, &ca).map_err(other)?;

    let chain: Vec<CertificateDer<'static>> = vec![server_cert.der().clone(), ca.der().clone()];
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der()));
    let mut config =
        ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(other)?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(other)?;
    // HTTP/1.1 only, like the plain listener.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];

    Ok(TlsMaterial {
        config: Arc::new(config),
        ca_pem: ca.pem(),
    })
}
