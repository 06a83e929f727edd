//! What goes on the wire: method, path, and exactly the documented headers.

mod support;

use support::*;
use uiza::UizaStatus as S;

#[test]
fn the_request_is_a_put_with_the_documented_headers() {
    let sb = sandbox();
    let c = TestClient::for_sandbox(&sb);
    assert_eq!(c.reset(SEED_ENTITY_ID).status, S::Ok);
    let req = sb.last_request().expect("a request was recorded");
    assert_eq!(req.method, "PUT");
    assert_eq!(
        req.raw_path,
        format!("/v1/live_entities/{SEED_ENTITY_ID}/stream_key")
    );
    let header = |name: &str| {
        req.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect::<Vec<_>>()
    };
    assert_eq!(header("authorization"), [DEFAULT_API_KEY], "raw key, once");
    assert_eq!(header("accept"), ["application/json"]);
    assert_eq!(
        header("user-agent"),
        [format!("uiza-c/{}", env!("CARGO_PKG_VERSION")).as_str()]
    );
    // An empty body: no chunked framing, and no length other than 0.
    assert!(header("transfer-encoding").is_empty());
    assert!(header("content-length").iter().all(|v| *v == "0"));
}

#[test]
fn a_base_url_with_a_path_prefix_is_kept() {
    let sb = sandbox();
    let c = TestClient::for_sandbox(&sb);
    assert_eq!(c.set_base_url(&format!("{}/prefix/", sb.base_url())), S::Ok);
    c.set_max_retries(0);
    // The sandbox serves the API only at the root, so a prefixed path gets
    // its plain 404 (no Uiza error body) instead of the API's own 404.
    let out = c.reset(SEED_ENTITY_ID);
    assert_eq!(out.status, S::NotFound);
    assert_eq!(out.error_type(), "http_error", "{}", out.json);
    assert_eq!(sb.stats().api_requests, 0);
    // Exactly the prefix, one slash, the API path: no doubled or lost slash.
    let req = sb.last_request().expect("the request was recorded");
    assert_eq!(req.method, "PUT");
    assert_eq!(
        req.raw_path,
        format!("/prefix/v1/live_entities/{SEED_ENTITY_ID}/stream_key")
    );
}
