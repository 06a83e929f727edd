//! Fixed data copied from the API reference (`reset-stream-key.md`).
//!
//! The error bodies are kept byte-for-byte as the reference prints them
//! (one-space indentation included) so client tests can compare verbatim.

use serde_json::{json, Value};

/// Id of the live entity the sandbox starts with.
pub const SEED_ENTITY_ID: &str = "22013d8a-d5fa-48f0-9a63-1f471ca9e81d";

/// Body of the documented 400 response (missing id).
pub const BODY_400: &str = "{\n \"message\": \"Your request is missing id parameter. Please, verify and resubmit.\",\n \"error_type\": \"invalid_request_error\"\n}";

/// Body of the documented 401 response (bad or missing API key).
pub const BODY_401: &str = "{\n \"message\": \"You are unauthorized to access the requested resource. Please verify and resubmit.\",\n \"error_type\": \"invalid_request_error\"\n}";

/// Body of the documented 404 response (unknown entity).
pub const BODY_404: &str = "{\n \"message\": \"The live entity you requested does not exist.\",\n \"error_type\": \"invalid_request_error\"\n}";

/// Body of the documented 500 response.
pub const BODY_500: &str = "{\n \"message\": \"An unexpected error occurred on Uiza's end.\",\n \"error_type\": \"api_error\"\n}";

/// The documented body for `status`, if the reference documents one.
pub fn documented_error_body(status: u16) -> Option<&'static str> {
    match status {
        400 => Some(BODY_400),
        401 => Some(BODY_401),
        404 => Some(BODY_404),
        500 => Some(BODY_500),
        _ => None,
    }
}

/// The 200 example of the reference, field for field.
pub fn seed_entity() -> Value {
    json!({
        "id": SEED_ENTITY_ID,
        "name": "Test Event Updated",
        "description": "Event for Test",
        "ingest": {
            "url": "rtmp://f45dd07a0e-in.uizadev.io/transcode",
            "key": "live_updated_key"
        },
        "playback": {
            "hls": "https://f45dd07a0e.uizadev.io/fmp4/22013d8a-d5fa-48f0-9a63-1f471ca9e81d/master.m3u8"
        },
        "region": "in-bangalore-1",
        "status": "ready",
        "dvr": true,
        "encode": false,
        "created_at": "2019-12-11T02:47:04Z",
        "updated_at": "2019-12-16T02:53:30Z"
    })
}
