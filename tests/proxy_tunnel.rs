//! HTTPS through a working CONNECT proxy (`HTTPS_PROXY` with credentials):
//! calls succeed, keep-alive runs through one tunnel, the proxy gets the
//! credentials in `Proxy-Authorization`, and no log line holds them.
//!
//! Its own test binary: the proxy comes from the environment, which is
//! process-wide.

mod support;

use support::connect_proxy::ConnectProxy;
use support::log_capture::{log_capture, SecretScanner};
use support::*;
use uiza::UizaStatus as S;

const PROXY_USER: &str = "encoder";
const PROXY_PASSWORD: &str = "tunnel-pa55w0rd-never-logged";

#[test]
fn https_goes_through_one_tunnel_with_credentials_that_are_never_logged() {
    let proxy = ConnectProxy::start();
    // Set before any client exists in this process: agents read the
    // variables when they are built.
    std::env::remove_var("NO_PROXY");
    std::env::remove_var("no_proxy");
    std::env::set_var(
        "HTTPS_PROXY",
        format!("http://{PROXY_USER}:{PROXY_PASSWORD}@{}", proxy.addr()),
    );
    let capture = log_capture();

    let sb = tls_sandbox();
    let c = TestClient::for_sandbox(&sb);
    for _ in 0..3 {
        let out = c.reset(SEED_ENTITY_ID);
        assert_eq!(out.status, S::Ok, "{}", out.json);
        capture.record_key(out.ingest_key());
    }

    let connects = proxy.connects();
    assert_eq!(
        connects.len(),
        1,
        "keep-alive runs through one tunnel: {connects:?}"
    );
    let head = &connects[0];
    assert_eq!(
        head[0],
        format!("CONNECT {} HTTP/1.1", sb.addr()),
        "{head:?}"
    );
    // 36 bytes, a multiple of 3: base64 without padding.
    let user_pass = format!("{PROXY_USER}:{PROXY_PASSWORD}");
    assert_eq!(user_pass.len() % 3, 0);
    let credentials = support::log_capture::base64(user_pass.as_bytes(), false);
    assert!(
        head.iter()
            .any(|l| l.eq_ignore_ascii_case(&format!("proxy-authorization: basic {credentials}"))),
        "the proxy did not get the credentials: {head:?}"
    );
    assert_eq!(sb.stats().api_requests, 3);
    assert_eq!(sb.stats().connections, 1);

    let lines = capture.assert_logged("connected through the HTTP CONNECT proxy's tunnel");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with(&format!("new connection to {} from ", proxy.addr()))),
        "the connection to the proxy is logged with its address: {lines:#?}"
    );
    SecretScanner::new(&[PROXY_PASSWORD]).assert_clean("the log", &lines.join("\n"));
    capture.assert_clean(3);
}
