//! HTTPS mode: the certificate verifies against the sandbox's own CA, for
//! each name a local client may use, and against nothing else; each
//! `CertChain` shape sends the chain it documents.

mod common;

use std::io::BufReader;
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

use common::*;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};
use uiza_sandbox::{CertChain, Sandbox, SandboxConfig, DEFAULT_API_KEY, WRONG_NAME};

fn tls_sandbox() -> Sandbox {
    Sandbox::start(SandboxConfig {
        tls: true,
        ..SandboxConfig::default()
    })
    .expect("TLS sandbox starts")
}

fn client_config(ca_pem: &str) -> Arc<ClientConfig> {
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(cert.expect("PEM")).expect("CA accepted");
    }
    let config =
        ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
    Arc::new(config)
}

type TlsConn = BufReader<StreamOwned<ClientConnection, TcpStream>>;

fn tls_connect(sandbox: &Sandbox, ca_pem: &str, name: &'static str) -> TlsConn {
    let tcp = TcpStream::connect(sandbox.addr()).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let conn =
        ClientConnection::new(client_config(ca_pem), ServerName::try_from(name).unwrap()).unwrap();
    BufReader::new(StreamOwned::new(conn, tcp))
}

#[test]
fn https_verifies_against_the_generated_ca() {
    let sandbox = tls_sandbox();
    assert_eq!(sandbox.base_url(), format!("https://{}", sandbox.addr()));
    let ca = sandbox.ca_pem().expect("CA PEM").to_owned();
    assert!(ca.starts_with("-----BEGIN CERTIFICATE-----"));

    for name in ["127.0.0.1", "localhost"] {
        let mut conn = tls_connect(&sandbox, &ca, name);
        for _ in 0..2 {
            send(conn.get_mut(), "PUT", RESET_PATH, Some(DEFAULT_API_KEY));
            let resp = read_response(&mut conn).unwrap().expect("answered");
            assert_eq!(resp.status, 200, "{name}");
            assert!(resp.json()["ingest"]["key"]
                .as_str()
                .unwrap()
                .starts_with("live_"));
        }
        let negotiated = conn.get_ref().conn.alpn_protocol().map(<[u8]>::to_vec);
        assert!(negotiated.is_none() || negotiated.as_deref() == Some(b"http/1.1".as_slice()));
    }
    assert_eq!(sandbox.stats().connections, 2, "keep-alive over TLS");
    assert_eq!(sandbox.stats().resets, 4);
}

#[test]
fn another_sandboxs_ca_is_rejected() {
    let sandbox = tls_sandbox();
    let other = tls_sandbox();
    let mut conn = tls_connect(&sandbox, other.ca_pem().unwrap(), "127.0.0.1");
    let err = std::io::Write::write_all(conn.get_mut(), b"GET / HTTP/1.1\r\n\r\n")
        .and_then(|()| read_response(&mut conn).map(|_| ()))
        .expect_err("handshake must fail");
    assert!(
        err.to_string().contains("certificate") || err.to_string().contains("UnknownIssuer"),
        "{err}"
    );
}

/// Completes the handshake with `sandbox`, trusting `anchor_pem` only, and
/// returns the certificates the server sent or the handshake's error.
fn handshake(sandbox: &Sandbox, anchor_pem: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let mut conn = tls_connect(sandbox, anchor_pem, "127.0.0.1");
    let stream = conn.get_mut();
    stream
        .conn
        .complete_io(&mut stream.sock)
        .map_err(|e| e.to_string())?;
    let sent = stream
        .conn
        .peer_certificates()
        .expect("certificates after a handshake");
    Ok(sent.iter().map(|c| c.clone().into_owned()).collect())
}

fn der_of(pem: &str) -> CertificateDer<'static> {
    CertificateDer::from_pem_slice(pem.as_bytes()).expect("one PEM certificate")
}

#[test]
fn each_chain_shape_sends_what_it_says() {
    for chain in CertChain::ALL {
        let sandbox = Sandbox::start(SandboxConfig {
            tls: true,
            tls_chain: chain,
            ..SandboxConfig::default()
        })
        .expect("TLS sandbox starts");
        let root = sandbox.ca_pem().unwrap();
        let root_der = der_of(root);
        let intermediate = sandbox.intermediate_pem();
        let with_root = handshake(&sandbox, root);
        match chain {
            CertChain::Direct => {
                assert!(intermediate.is_none());
                let sent = with_root.unwrap();
                assert_eq!(sent.len(), 2);
                assert_eq!(sent[1], root_der);
            }
            CertChain::ViaIntermediate => {
                let sent = with_root.unwrap();
                assert_eq!(sent.len(), 2);
                assert_eq!(sent[1], der_of(intermediate.unwrap()));
            }
            CertChain::ViaIntermediateOutOfOrder => {
                let sent = with_root.unwrap();
                assert_eq!(sent.len(), 4);
                assert!(![sent[0].clone(), root_der.clone()].contains(&sent[1]));
                assert_eq!(sent[2], root_der);
                assert_eq!(sent[3], der_of(intermediate.unwrap()));
            }
            CertChain::MissingIntermediate => {
                let err = with_root.unwrap_err();
                assert!(err.contains("UnknownIssuer"), "{err}");
                // The intermediate did sign the leaf, which came alone.
                let sent = handshake(&sandbox, intermediate.unwrap()).unwrap();
                assert_eq!(sent.len(), 1);
            }
            CertChain::Expired => {
                assert!(intermediate.is_none());
                let err = with_root.unwrap_err();
                assert!(err.contains("expired"), "{err}");
            }
            CertChain::WrongName => {
                assert!(intermediate.is_none());
                let err = with_root.unwrap_err();
                assert!(err.contains(WRONG_NAME), "{err}");
            }
        }
    }
}
