//! Certificate chains as real servers present them, over loopback HTTPS
//! against the sandbox: through an intermediate, in a muddled order, with
//! the intermediate missing, expired, for another name; and CA files as
//! users write them (several certificates, CRLF line endings, only the
//! intermediate). Each case is a real reset.

mod support;

use std::fmt::Debug;
use std::panic::{catch_unwind, AssertUnwindSafe};

use support::*;
use uiza::UizaStatus as S;
use uiza_sandbox::{CertChain, WRONG_NAME};

/// What the client's CA file (`uiza_client_set_ca_file`) holds.
#[derive(Clone, Copy, Debug)]
enum CaFile {
    /// No CA file: the system store alone, which knows no sandbox CA.
    None,
    /// The sandbox's root.
    Root,
    /// The intermediate CA alone, not the root above it.
    IntermediateOnly,
    /// Another sandbox's (unrelated) CA first, then the root.
    UnrelatedThenRoot,
    /// The root, with CRLF line endings, as an editor on Windows saves it.
    RootCrlf,
}

fn chain_sandbox(chain: CertChain) -> Sandbox {
    Sandbox::start(SandboxConfig {
        tls: true,
        tls_chain: chain,
        ..SandboxConfig::default()
    })
    .unwrap_or_else(|e| panic!("start a {chain} sandbox: {e}"))
}

/// A client of `sb` with no retries that trusts `ca`.
fn client_for(sb: &Sandbox, ca: CaFile) -> TestClient {
    let c = TestClient::new(DEFAULT_API_KEY).with_max_retries(0);
    assert_eq!(c.set_base_url(sb.base_url()), S::Ok);
    let root = sb.ca_pem().expect("a TLS sandbox has a root");
    let pem = match ca {
        CaFile::None => return c,
        CaFile::Root => root.to_owned(),
        CaFile::IntermediateOnly => sb
            .intermediate_pem()
            .expect("this chain has an intermediate")
            .to_owned(),
        CaFile::UnrelatedThenRoot => {
            let unrelated = chain_sandbox(CertChain::Direct);
            let other = unrelated.ca_pem().unwrap();
            assert_ne!(other, root);
            format!("{other}{root}")
        }
        CaFile::RootCrlf => {
            let crlf = root.replace('\n', "\r\n");
            assert!(crlf.contains("-----\r\n"));
            crlf
        }
    };
    let path = write_temp_file("chain-ca.pem", &pem);
    assert_eq!(c.set_ca_file(path.to_str().unwrap()), S::Ok, "{ca:?}");
    c
}

/// Runs `check` on every case, then fails naming each case that failed
/// (its assertion's own message is printed above), so that one broken
/// shape does not hide the others.
fn each_case<T: Debug>(cases: impl IntoIterator<Item = T>, check: impl Fn(&T)) {
    let failed: Vec<String> = cases
        .into_iter()
        .filter(|case| catch_unwind(AssertUnwindSafe(|| check(case))).is_err())
        .map(|case| format!("{case:?}"))
        .collect();
    assert!(failed.is_empty(), "failed cases: {failed:#?}");
}

/// What an unknown issuer's message holds: rustls's word, and the library's
/// hint at both causes and the cure.
const UNKNOWN_ISSUER: &[&str] = &["certificate", "UnknownIssuer", "intermediate", "CA file"];
#[test]
fn chains_that_lead_to_a_trusted_ca_are_accepted() {
    use CertChain as C;
    #[rustfmt::skip]
    let cases = [
        (C::Direct, CaFile::Root),
        (C::ViaIntermediate, CaFile::Root),
        // The stray certificate and the root sent before the intermediate
        // are skipped: webpki builds the path from whatever was sent.
        (C::ViaIntermediateOutOfOrder, CaFile::Root),
        // A partial chain: webpki takes any certificate in the root store
        // as a trust anchor, CA or intermediate alike, and stops building
        // the path there (OpenSSL would need X509_V_FLAG_PARTIAL_CHAIN for
        // this). So trusting just the intermediate is enough...
        (C::ViaIntermediate, CaFile::IntermediateOnly),
        // ...and is also how a user gets past a server that leaves out
        // its intermediate.
        (C::MissingIntermediate, CaFile::IntermediateOnly),
        (C::ViaIntermediate, CaFile::UnrelatedThenRoot),
        (C::ViaIntermediate, CaFile::RootCrlf),
    ];
    each_case(cases, |&(chain, ca)| {
        let what = format!("{chain} trusting {ca:?}");
        let sb = chain_sandbox(chain);
        let c = client_for(&sb, ca);
        let out = c.reset(SEED_ENTITY_ID);
        assert_eq!(out.status, S::Ok, "{what}: {}", out.json);
        assert!(!out.ingest_key().is_empty(), "{what}: {}", out.json);
        assert_eq!(
            sb.current_key(SEED_ENTITY_ID).as_deref(),
            Some(out.ingest_key()),
            "{what}: the key returned is the one the server stored"
        );
        let stats = sb.stats();
        assert_eq!((stats.connections, stats.api_requests), (1, 1), "{what}");
    });
}

/// A reset refused during the handshake: `TLS_FAILED` after one attempt,
/// the key certainly unchanged, and a message that holds each of `words`.
fn assert_refused(what: &str, out: &Outcome, words: &[&str]) {
    assert_eq!(out.status, S::TlsFailed, "{what}: {}", out.json);
    assert_eq!(out.error_type(), "tls_error", "{what}");
    assert_eq!(out.http_status(), None, "{what}: {}", out.json);
    // The handshake failed, so the request was never sent: the key
    // certainly was not rotated.
    assert_eq!(out.rotated(), Some(Some(false)), "{what}: {}", out.json);
    assert_eq!(out.doc["attempts"], 1, "{what}: {}", out.json);
    for word in words {
        assert!(
            out.message().contains(word),
            "{what}: {word:?} not in {:?}",
            out.message()
        );
    }
}

#[test]
fn chains_that_do_not_verify_fail_with_tls_failed_and_are_not_retried() {
    use CertChain as C;
    #[rustfmt::skip]
    let cases: [(C, CaFile, &[&str]); 5] = [
        // No AIA fetching: the intermediate the server left out is not
        // looked for, so the leaf's issuer is unknown.
        (C::MissingIntermediate, CaFile::Root, UNKNOWN_ISSUER),
        // The intermediate is sent but the root it leads to is not trusted.
        (C::ViaIntermediate, CaFile::None, UNKNOWN_ISSUER),
        (C::ViaIntermediateOutOfOrder, CaFile::None, UNKNOWN_ISSUER),
        (C::Expired, CaFile::Root, &["certificate expired", "not valid after"]),
        (C::WrongName, CaFile::Root, &["certificate not valid for name \"127.0.0.1\"", WRONG_NAME]),
    ];
    each_case(cases, |&(chain, ca, words)| {
        let what = format!("{chain} trusting {ca:?}");
        let sb = chain_sandbox(chain);
        let out = client_for(&sb, ca).reset(SEED_ENTITY_ID);
        assert_refused(&what, &out, words);
        let stats = sb.stats();
        assert_eq!(
            (stats.connections, stats.api_requests),
            (1, 0),
            "{what}: one handshake, no request"
        );

        // Retrying cannot make a certificate valid: with retries allowed,
        // still one attempt, on one more connection.
        let retrying = client_for(&sb, ca).with_max_retries(3);
        assert_refused(&what, &retrying.reset(SEED_ENTITY_ID), words);
        let stats = sb.stats();
        assert_eq!(
            (stats.connections, stats.api_requests),
            (2, 0),
            "{what}: a certificate failure was retried"
        );
    });
}
