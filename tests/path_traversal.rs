//! No id can leave its path segment, even behind a server that decodes
//! `%2F` and resolves dot segments before routing (nginx's default).
//!
//! nginx fronts the sandbox: only `/v1/live_entities/<one segment>/stream_key`
//! is passed on; anything else falls into a trap location. Needs nginx.

mod support;

use support::nginx::Nginx;
use support::refused_ids::DOT_SEGMENT_IDS;
use support::tools::tool_available;
use support::*;
use uiza::UizaStatus as S;

/// Traversal forms and their relatives beyond `DOT_SEGMENT_IDS`. Each one
/// is refused before a byte is sent.
const TRAVERSALS: &[&str] = &[
    "../admin",
    "%2E%2E/x",
    ".%2e/x",
    "\u{2025}/x",
    "\u{ff0e}\u{ff0e}\u{ff0f}x",
    "caf\u{e9}/../x",
];

fn front(sandbox: &Sandbox) -> Nginx {
    let upstream = sandbox.addr();
    Nginx::start(
        "traversal",
        &format!(
            r#"
        location ~ ^/v1/live_entities/[^/]+/stream_key$ {{
            proxy_pass http://{upstream};
        }}
        location / {{
            default_type application/json;
            return 418 '{{"message":"trap reached","error_type":"trap"}}';
        }}"#
        ),
    )
}

/// What the library sent for such ids before the rule: every byte outside
/// the unreserved set percent-encoded.
fn old_encoding(id: &str) -> String {
    id.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[test]
fn no_traversal_id_reaches_another_location() {
    if !tool_available("nginx", &["-v"], "nginx") {
        return;
    }
    let sb = sandbox();
    let nginx = front(&sb);

    // The front really normalises: the old one-segment encoding of `../admin`
    // lands in the trap, as it would on a stock nginx in production.
    let (status, _) = nginx.raw_request(
        "PUT",
        &format!("/v1/live_entities/{}/stream_key", old_encoding("../admin")),
    );
    assert_eq!(
        status, 418,
        "this nginx does not normalise; the test proves nothing"
    );
    assert_eq!(nginx.access_log(), ["418 /v1/admin/stream_key"]);

    let c = TestClient::for_sandbox(&sb);
    assert_eq!(c.set_base_url(&nginx.base_url()), S::Ok);
    for id in DOT_SEGMENT_IDS.iter().chain(TRAVERSALS) {
        let out = c.reset(id);
        assert_eq!(out.status, S::InvalidArgument, "{id:?}: {}", out.json);
        assert!(
            out.message().contains("A-Z a-z 0-9 - . _ ~"),
            "{}",
            out.message()
        );
    }
    assert_eq!(
        nginx.access_log().len(),
        1,
        "a refused id reached nginx: {:?}",
        nginx.access_log()
    );
    assert_eq!(sb.stats().api_requests, 0, "a refused id reached the API");

    // A real id goes through the same front to the API, and is the only
    // request after the trap's that nginx saw.
    let out = c.reset(SEED_ENTITY_ID);
    assert_eq!(out.status, S::Ok, "{}", out.json);
    assert_eq!(
        nginx.access_log_of_at_least(2),
        [
            "418 /v1/admin/stream_key".to_owned(),
            format!("200 /v1/live_entities/{SEED_ENTITY_ID}/stream_key")
        ]
    );
    assert_eq!(sb.stats().api_requests, 1);
}
