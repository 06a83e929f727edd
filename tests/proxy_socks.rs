//! A SOCKS5 proxy in the environment (`ALL_PROXY=socks5h://...`, as
//! libcurl reads it) is used, never bypassed: calls go through it with its
//! login, the API host name is resolved by the proxy for `socks5h` and
//! locally for `socks5`, and a refusal is CONNECTION_FAILED that names the
//! proxy and never shows its password.
//!
//! Its own test binary: the proxy comes from the environment, which is
//! process-wide, so the tests take turns (`ENV`).

mod support;

use std::sync::{Mutex, MutexGuard};

use support::log_capture::{log_capture, SecretScanner};
use support::socks_proxy::{SocksProxy, SocksRequest};
use support::*;
use uiza::UizaStatus as S;
use uiza_sandbox::Sandbox;

const USER: &str = "encoder";
const PASSWORD: &str = "s0cks-pa55w0rd-never-shown";

static ENV: Mutex<()> = Mutex::new(());

/// Points `ALL_PROXY` at `proxy_url` for as long as the guard lives.
/// Clients read the variable when their connection pool is built, so the
/// whole test runs under the guard.
fn all_proxy(proxy_url: &str) -> MutexGuard<'static, ()> {
    let guard = ENV.lock().unwrap_or_else(|e| e.into_inner());
    for name in [
        "NO_PROXY",
        "no_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
    ] {
        std::env::remove_var(name);
    }
    std::env::set_var("ALL_PROXY", proxy_url);
    guard
}

/// A client of `sb` reached as `host` (so the proxy sees that name).
fn client_via_name(sb: &Sandbox, host: &str) -> TestClient {
    let c = TestClient::for_sandbox(sb);
    let url = sb.base_url().replace("127.0.0.1", host);
    assert_eq!(c.set_base_url(&url), S::Ok);
    c
}

#[test]
fn socks5h_with_a_login_carries_https_calls_and_keeps_the_tunnel() {
    let proxy = SocksProxy::start(Some((USER, PASSWORD)));
    let _env = all_proxy(&format!("socks5h://{USER}:{PASSWORD}@{}", proxy.addr()));
    let capture = log_capture();

    let sb = tls_sandbox();
    let c = client_via_name(&sb, "localhost");
    for _ in 0..3 {
        let out = c.reset(SEED_ENTITY_ID);
        assert_eq!(out.status, S::Ok, "{}", out.json);
        capture.record_key(out.ingest_key());
    }
    // socks5h: the proxy resolves the name; keep-alive: one tunnel.
    assert_eq!(
        proxy.requests(),
        vec![SocksRequest {
            login: Some((USER.into(), PASSWORD.into())),
            target: format!("localhost:{}", sb.addr().port()),
        }]
    );
    assert_eq!(sb.stats().connections, 1);
    assert_eq!(sb.stats().api_requests, 3);

    let lines = capture.assert_logged("connected through the SOCKS proxy's tunnel");
    SecretScanner::new(&[PASSWORD]).assert_clean("the log", &lines.join("\n"));
    capture.assert_clean(3);
}

#[test]
fn socks5_resolves_the_api_host_itself_and_sends_the_address() {
    let proxy = SocksProxy::start(None);
    let _env = all_proxy(&format!("socks5://{}", proxy.addr()));
    let sb = sandbox();
    let c = client_via_name(&sb, "localhost");
    let out = c.reset(SEED_ENTITY_ID);
    assert_eq!(out.status, S::Ok, "{}", out.json);
    let requests = proxy.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_eq!(requests[0].login, None);
    // localhost may resolve to ::1 first; either way an address, not a name.
    let target = &requests[0].target;
    assert!(
        [
            format!("127.0.0.1:{}", sb.addr().port()),
            format!("[::1]:{}", sb.addr().port())
        ]
        .contains(target),
        "{target}"
    );
}

#[test]
fn a_refused_socks_login_is_connection_failed_named_and_not_retried() {
    let proxy = SocksProxy::start(Some((USER, PASSWORD)));
    let sb = sandbox();
    for (what, url, detail) in [
        (
            "wrong password",
            format!("socks5h://{USER}:not-{PASSWORD}@{}", proxy.addr()),
            "password authentication failed",
        ),
        (
            "no login given",
            format!("socks5h://{}", proxy.addr()),
            "no acceptable auth methods",
        ),
    ] {
        let _env = all_proxy(&url);
        let c = TestClient::for_sandbox(&sb).with_max_retries(3);
        let out = c.reset(SEED_ENTITY_ID);
        assert_eq!(out.status, S::ConnectionFailed, "{what}: {}", out.json);
        assert_eq!(out.error_type(), "connection_error", "{what}");
        let message = out.message();
        assert!(
            message.contains(&format!("the SOCKS proxy refused the connection: {detail}"))
                && message.contains("socks5h://user:password@host:port"),
            "{what}: {message}"
        );
        assert_eq!(out.doc["attempts"], 1, "{what}: a refusal is not retried");
        assert_eq!(out.rotated(), Some(Some(false)), "{what}: nothing was sent");
        SecretScanner::new(&[PASSWORD]).assert_clean(what, &out.json);
    }
    assert_eq!(proxy.requests(), vec![], "no CONNECT after a refused login");
    assert_eq!(sb.stats().api_requests, 0);
}

#[test]
fn a_target_the_proxy_cannot_reach_is_retried_then_connection_failed() {
    let proxy = SocksProxy::start(None);
    let _env = all_proxy(&format!("socks5h://{}", proxy.addr()));
    // A port that was just free: nothing listens there.
    let gone = {
        let sb = sandbox();
        sb.base_url().to_owned()
    };
    let c = TestClient::new(DEFAULT_API_KEY).with_max_retries(1);
    assert_eq!(c.set_base_url(&gone), S::Ok);
    let out = c.reset(SEED_ENTITY_ID);
    assert_eq!(out.status, S::ConnectionFailed, "{}", out.json);
    assert!(
        out.message()
            .contains("the SOCKS proxy refused the connection: connection refused"),
        "{}",
        out.message()
    );
    assert_eq!(out.doc["attempts"], 2, "the proxy may reach it next time");
    assert_eq!(proxy.requests().len(), 2);
}
