//! The one-shot `uiza_reset_stream_key`, whose process-wide client reads
//! UIZA_BASE_URL once. This file is its own test process, so it can set the
//! variable before the first call.

mod support;

use std::sync::OnceLock;

use support::*;
use uiza::UizaStatus as S;

fn shared_sandbox() -> &'static Sandbox {
    static SANDBOX: OnceLock<Sandbox> = OnceLock::new();
    SANDBOX.get_or_init(|| {
        let sb = sandbox();
        // Set before any one-shot call in this process; tests only read it.
        std::env::set_var("UIZA_BASE_URL", sb.base_url());
        sb
    })
}

#[test]
fn one_shot_resets_and_reuses_its_connection() {
    let sb = shared_sandbox();
    let before = sb.stats();
    let mut keys = std::collections::HashSet::new();
    for _ in 0..5 {
        let out = one_shot(DEFAULT_API_KEY, SEED_ENTITY_ID);
        assert_eq!(out.status, S::Ok, "{}", out.json);
        keys.insert(out.ingest_key().to_owned());
    }
    assert_eq!(keys.len(), 5);
    let after = sb.stats();
    assert!(after.resets - before.resets >= 5);
    // Other tests in this process may open their own connections at the
    // same time; this test's five calls must not each open one.
    assert!(
        after.connections - before.connections <= 2,
        "{before:?} -> {after:?}"
    );
}

#[test]
fn one_shot_maps_errors_like_the_client() {
    let sb = shared_sandbox();
    let out = one_shot("wrong-key-must-not-leak", SEED_ENTITY_ID);
    assert_eq!(out.status, S::Unauthorized);
    let out = one_shot(DEFAULT_API_KEY, "missing");
    assert_eq!(out.status, S::NotFound);
    assert_eq!(
        out.message(),
        "The live entity you requested does not exist."
    );
    let _ = sb;
}
