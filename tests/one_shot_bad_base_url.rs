//! A UIZA_BASE_URL that is not an http(s) URL makes every one-shot call
//! fail with INVALID_ARGUMENT naming the variable: the first call, which
//! reads it, and every later one (it is read once per process). Its own
//! process, so that the variable is set before the first one-shot call.

mod support;

use support::*;
use uiza::UizaStatus as S;

fn assert_names_the_variable(out: &Outcome, call: &str) {
    assert_eq!(out.status, S::InvalidArgument, "{call}: {}", out.json);
    assert_eq!(out.error_type(), "invalid_argument", "{call}");
    assert_eq!(out.http_status(), None, "{call}");
    assert!(
        out.message().starts_with("UIZA_BASE_URL: ") && out.message().contains("scheme"),
        "{call}: {}",
        out.message()
    );
}

#[test]
fn a_bad_base_url_from_the_environment_fails_every_one_shot_call() {
    let sb = sandbox();
    std::env::set_var("UIZA_BASE_URL", "ftp://x");
    assert_names_the_variable(&one_shot(DEFAULT_API_KEY, SEED_ENTITY_ID), "first call");
    assert_names_the_variable(&one_shot(DEFAULT_API_KEY, SEED_ENTITY_ID), "second call");

    // Read once: a fixed variable does not revive the process-wide client.
    std::env::set_var("UIZA_BASE_URL", sb.base_url());
    assert_names_the_variable(&one_shot(DEFAULT_API_KEY, SEED_ENTITY_ID), "later call");
    assert_eq!(sb.stats().connections, 0);
}
