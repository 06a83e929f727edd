//! Which certificate authorities a client trusts.
//!
//! Verification is never switched off. The default is the operating
//! system's trust store, so that corporate CAs installed there work; where
//! the system has none, the Mozilla roots bundled at build time are used.
//! `uiza_client_set_ca_file` adds roots on top of that default, it does not
//! replace it.

use std::fs;
use std::path::Path;
use std::sync::Arc;

use once_cell::sync::Lazy;
use ureq::tls::{parse_pem, Certificate, PemItem, RootCerts};

use super::error::Error;

/// A CA file larger than this is refused rather than read into memory.
const MAX_CA_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// The system store, loaded once per process: reading and parsing it costs
/// milliseconds, and it does not change under a running encoder.
static DEFAULT_ROOTS: Lazy<Arc<Vec<Certificate<'static>>>> = Lazy::new(|| {
    let native = load_system_roots();
    Arc::new(system_or_mozilla(
        native.certs.iter().map(|der| der.as_ref()).collect(),
    ))
});

/// The system's roots, or the bundled Mozilla roots when it has none (a
/// minimal container without ca-certificates, say).
fn system_or_mozilla(system: Vec<&[u8]>) -> Vec<Certificate<'static>> {
    let chosen: Vec<&[u8]> = if system.is_empty() {
        webpki_root_certs::TLS_SERVER_ROOT_CERTS
            .iter()
            .map(|der| der.as_ref())
            .collect()
    } else {
        system
    };
    chosen
        .into_iter()
        .map(|der| Certificate::from_der(der).to_owned())
        .collect()
}

/// The system's roots. Where the system has a CA bundle file (Debian's
/// /etc/ssl/certs/ca-certificates.crt, Fedora's tls-ca-bundle.pem, ...),
/// only that file is read, as OpenSSL and libcurl do: the certificate
/// directory beside it holds the same roots again, one file each, and
/// reading both doubled the cold-start cost (about 290 PEM decodes and 300
/// stat/open calls instead of 145 decodes and one read). `SSL_CERT_FILE`
/// and `SSL_CERT_DIR`, when set, keep their meaning.
fn load_system_roots() -> rustls_native_certs::CertificateResult {
    #[cfg(all(unix, not(target_os = "macos")))]
    {
        let env_set = std::env::var_os("SSL_CERT_FILE").is_some()
            || std::env::var_os("SSL_CERT_DIR").is_some();
        if !env_set {
            if let Some(file) = openssl_probe::probe().cert_file {
                let found = rustls_native_certs::load_certs_from_paths(Some(&file), None);
                if !found.certs.is_empty() {
                    return found;
                }
            }
        }
    }
    rustls_native_certs::load_native_certs()
}

/// The roots a client verifies servers against.
#[derive(Clone, Debug, Default)]
pub struct TrustRoots {
    /// Roots from `uiza_client_set_ca_file`, trusted in addition to the default.
    extra: Vec<Certificate<'static>>,
}

impl TrustRoots {
    /// Reads a PEM file of one or more CA certificates.
    pub fn with_ca_file(path: &Path) -> Result<TrustRoots, Error> {
        let bad = |why: String| Error::invalid_argument(format!("CA file: {why}"));
        let meta = fs::metadata(path).map_err(|e| bad(format!("cannot read it: {e}")))?;
        if meta.len() > MAX_CA_FILE_BYTES {
            return Err(bad("it is larger than 16 MiB".to_owned()));
        }
        let pem = fs::read(path).map_err(|e| bad(format!("cannot read it: {e}")))?;
        let mut extra = Vec::new();
        for item in parse_pem(&pem) {
            match item {
                Ok(PemItem::Certificate(cert)) => extra.push(cert),
                Ok(_) => {} // keys and other blocks are not roots; skip them
                Err(_) => return Err(bad("it is not valid PEM".to_owned())),
            }
        }
        if extra.is_empty() {
            return Err(bad("it holds no PEM certificate".to_owned()));
        }
        Ok(TrustRoots { extra })
    }

    /// How many roots the CA file added.
    pub fn extra_count(&self) -> usize {
        self.extra.len()
    }

    pub(crate) fn root_certs(&self) -> RootCerts {
        if self.extra.is_empty() {
            return RootCerts::Specific(DEFAULT_ROOTS.clone());
        }
        let mut all = Vec::with_capacity(DEFAULT_ROOTS.len() + self.extra.len());
        all.extend(DEFAULT_ROOTS.iter().cloned());
        all.extend(self.extra.iter().cloned());
        RootCerts::Specific(Arc::new(all))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_system_store_falls_back_to_the_mozilla_roots() {
        let roots = system_or_mozilla(Vec::new());
        assert_eq!(roots.len(), webpki_root_certs::TLS_SERVER_ROOT_CERTS.len());
        assert!(roots.len() > 100);
        let own: &[u8] = b"not really DER";
        assert_eq!(system_or_mozilla(vec![own]).len(), 1);
    }

    #[test]
    fn ca_files_must_hold_a_certificate() {
        let dir = std::env::temp_dir().join(format!("uiza-trust-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let empty = dir.join("empty.pem");
        std::fs::write(&empty, "").unwrap();
        assert!(TrustRoots::with_ca_file(&empty).is_err());
        assert!(TrustRoots::with_ca_file(&dir.join("missing.pem")).is_err());
        let broken = dir.join("broken.pem");
        std::fs::write(&broken, "-----BEGIN CERTIFICATE-----\n!!!\n").unwrap();
        assert!(TrustRoots::with_ca_file(&broken).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
