//! The default trust store is the operating system's: a CA installed there
//! (here through SSL_CERT_FILE, which the system loader honours) is trusted
//! without `uiza_client_set_ca_file`. Its own process, because the system
//! store is loaded once per process.

mod support;

use support::*;
use uiza::UizaStatus as S;

#[test]
fn a_ca_in_the_system_store_is_trusted_by_default() {
    let sb = tls_sandbox();
    let pem = write_temp_file("system-store.pem", sb.ca_pem().unwrap());
    // Before any client of this process has loaded the system store.
    std::env::set_var("SSL_CERT_FILE", &pem);
    std::env::remove_var("SSL_CERT_DIR");

    let c = TestClient::new(DEFAULT_API_KEY);
    assert_eq!(c.set_base_url(sb.base_url()), S::Ok);
    let out = c.reset(SEED_ENTITY_ID);
    assert_eq!(out.status, S::Ok, "{}", out.json);

    // A different private CA is still refused: verification is on.
    let other = tls_sandbox();
    assert_eq!(c.set_base_url(other.base_url()), S::Ok);
    c.set_max_retries(0);
    assert_eq!(c.reset(SEED_ENTITY_ID).status, S::TlsFailed);
}
