//! Keep-alive reuse, TLS with a private CA, and one client shared by 16
//! threads.

mod support;

use std::sync::Arc;
use std::thread;

use support::*;
use uiza::UizaStatus as S;

#[test]
fn sequential_calls_reuse_one_connection() {
    let sb = sandbox();
    let c = TestClient::for_sandbox(&sb);
    for _ in 0..10 {
        assert_eq!(c.reset(SEED_ENTITY_ID).status, S::Ok);
    }
    let stats = sb.stats();
    assert_eq!(stats.api_requests, 10);
    assert_eq!(stats.connections, 1, "keep-alive was not used");
}

#[test]
fn error_responses_keep_the_connection_too() {
    let sb = sandbox();
    let c = TestClient::for_sandbox(&sb);
    for _ in 0..5 {
        assert_eq!(c.reset("missing").status, S::NotFound);
    }
    assert_eq!(sb.stats().connections, 1);
}

#[test]
fn tls_is_verified_and_a_ca_file_makes_it_pass() {
    let sb = tls_sandbox();
    assert!(sb.base_url().starts_with("https://"));

    let plain = TestClient::new(DEFAULT_API_KEY);
    plain.set_max_retries(0);
    plain.set_base_url(sb.base_url());
    assert_eq!(plain.reset(SEED_ENTITY_ID).status, S::TlsFailed);

    let trusted = TestClient::for_sandbox(&sb); // sets the CA file
    for _ in 0..3 {
        let out = trusted.reset(SEED_ENTITY_ID);
        assert_eq!(out.status, S::Ok, "{}", out.json);
    }
    assert_eq!(sb.stats().api_requests, 3);
}

#[test]
fn a_ca_file_does_not_replace_the_system_roots_for_other_hosts() {
    // Trusting the sandbox CA must not make a client trust a *different*
    // private CA: a second TLS sandbox has its own CA.
    let a = tls_sandbox();
    let b = tls_sandbox();
    let c = TestClient::for_sandbox(&a);
    c.set_max_retries(0);
    assert_eq!(c.set_base_url(b.base_url()), S::Ok);
    assert_eq!(c.reset(SEED_ENTITY_ID).status, S::TlsFailed);
}

#[test]
fn sixteen_threads_share_one_client() {
    let sb = sandbox();
    let c = Arc::new(TestClient::for_sandbox(&sb));
    let threads: Vec<_> = (0..16)
        .map(|i| {
            let c = Arc::clone(&c);
            thread::spawn(move || {
                let mut keys = Vec::new();
                for j in 0..10 {
                    // Setters race with calls on purpose; they must be safe.
                    if j == 5 {
                        assert_eq!(c.set_timeout_ms(20_000 + i), S::Ok);
                    }
                    let out = c.reset(SEED_ENTITY_ID);
                    assert_eq!(out.status, S::Ok, "{}", out.json);
                    keys.push(out.ingest_key().to_owned());
                }
                keys
            })
        })
        .collect();
    let mut all = Vec::new();
    for t in threads {
        all.extend(t.join().expect("thread panicked"));
    }
    assert_eq!(all.len(), 160);
    let distinct: std::collections::HashSet<_> = all.iter().collect();
    assert_eq!(distinct.len(), 160, "every reset returned a fresh key");
    let stats = sb.stats();
    assert_eq!(stats.api_requests, 160);
    // Keep-alive under concurrency: 160 calls on at most 32 connections
    // (each thread's 10 calls cannot all open their own). This bound cannot
    // tell one shared pool from a pool per thread (16 connections would
    // pass both ways); a_connection_opened_by_one_thread_serves_the_next
    // proves the sharing.
    assert!(
        stats.connections <= 32,
        "calls did not reuse their connections: {} connections for 160 calls",
        stats.connections
    );
}

#[test]
fn a_connection_opened_by_one_thread_serves_the_next() {
    let sb = sandbox();
    let c = Arc::new(TestClient::for_sandbox(&sb));
    for _ in 0..4 {
        let c = Arc::clone(&c);
        let status = thread::spawn(move || c.reset(SEED_ENTITY_ID).status)
            .join()
            .unwrap();
        assert_eq!(status, S::Ok);
    }
    assert_eq!(sb.stats().connections, 1, "each thread opened its own");
}

/// IPv6: a server on `[::1]` is reached over HTTP and over HTTPS (the
/// sandbox's certificate names `::1`), and its pooled connection reused.
#[test]
fn ipv6_loopback_over_http_and_https() {
    use std::net::{Ipv6Addr, SocketAddr, TcpListener};
    // Some containers have no IPv6 loopback at all; there is nothing to
    // install that would add it, so this is a skip even in CI.
    if TcpListener::bind((Ipv6Addr::LOCALHOST, 0)).is_err() {
        eprintln!(
            "SKIP ipv6_loopback_over_http_and_https: this machine has no IPv6 loopback (::1)"
        );
        return;
    }
    for tls in [false, true] {
        let sb = uiza_sandbox::Sandbox::start(uiza_sandbox::SandboxConfig {
            listen: SocketAddr::from((Ipv6Addr::LOCALHOST, 0)),
            tls,
            ..uiza_sandbox::SandboxConfig::default()
        })
        .expect("start an IPv6 sandbox");
        assert!(sb.base_url().contains("://[::1]:"), "{}", sb.base_url());
        let c = TestClient::for_sandbox(&sb);
        for _ in 0..3 {
            let out = c.reset(SEED_ENTITY_ID);
            assert_eq!(out.status, S::Ok, "tls={tls}: {}", out.json);
        }
        assert_eq!(sb.stats().connections, 1, "tls={tls}: keep-alive over IPv6");
    }
}
