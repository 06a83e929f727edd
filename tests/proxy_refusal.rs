//! A proxy that refuses the tunnel is CONNECTION_FAILED with its status in
//! the message, not INTERNAL, and its credentials never show.
//!
//! Its own test binary: the proxy comes from the environment
//! (`HTTPS_PROXY`), which is process-wide.

mod support;

use support::raw_peer::RawPeer;
use support::*;
use uiza::UizaStatus as S;

const PROXY_PASSWORD: &str = "pr0xy-pa55w0rd-must-not-leak";

#[test]
fn a_407_from_the_proxy_is_connection_failed_and_not_retried() {
    let proxy = RawPeer::start(
        b"HTTP/1.1 407 Proxy Authentication Required\r\n\
          Proxy-Authenticate: Basic realm=\"proxy\"\r\nContent-Length: 0\r\n\r\n"
            .to_vec(),
    );
    let proxy_url = proxy
        .url()
        .replace("http://", &format!("http://user:{PROXY_PASSWORD}@"));
    // Set before any client exists in this process: agents read the
    // variables when they are built.
    std::env::remove_var("NO_PROXY");
    std::env::remove_var("no_proxy");
    std::env::set_var("HTTPS_PROXY", &proxy_url);

    let sb = tls_sandbox();
    let c = TestClient::for_sandbox(&sb);
    c.set_max_retries(3);
    let out = c.reset(SEED_ENTITY_ID);
    assert_eq!(out.status, S::ConnectionFailed, "{}", out.json);
    assert_eq!(out.error_type(), "connection_error");
    assert!(
        out.message().contains("proxy") && out.message().contains("407"),
        "{}",
        out.message()
    );
    assert!(!out.json.contains(PROXY_PASSWORD), "{}", out.json);
    assert_eq!(proxy.requests(), 1, "a deliberate refusal is not retried");
    assert_eq!(sb.stats().api_requests, 0);
}
