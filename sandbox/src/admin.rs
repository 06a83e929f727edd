//! Unauthenticated control endpoints under `/__admin/`, so tests written in
//! C, Go or Python can drive a sandbox running as a separate process.
//! Admin requests never count as API requests and never consume faults
//! (their TCP connections do count in `connections`).

use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use serde::Serialize;
use serde_json::{json, Value};

use crate::body::SandboxBody;
use crate::faults::Fault;
use crate::http_util::{
    json_response, no_content, percent_decode, read_body, ReadError, BODY_LIMIT,
};
use crate::state::SharedState;

pub async fn handle(req: Request<Incoming>, state: &SharedState) -> Response<SandboxBody> {
    let (parts, body) = req.into_parts();
    let path = parts.uri.path();
    match (&parts.method, path) {
        (&Method::POST, "/__admin/faults") => match read_json(body).await {
            Ok(value) => push_faults(value, state),
            Err(response) => response,
        },
        (&Method::POST, "/__admin/clear") => {
            state.clear();
            no_content()
        }
        (&Method::GET, "/__admin/stats") => to_json(&state.stats()),
        (&Method::GET, "/__admin/ingest_log") => to_json(&state.ingest_log()),
        (&Method::GET, "/__admin/last_request") => match state.last_request() {
            Some(request) => to_json(&request),
            None => error(StatusCode::NOT_FOUND, "no request recorded yet"),
        },
        (&Method::POST, "/__admin/entities") => match read_json(body).await {
            Ok(entity) => {
                if state.insert_entity(entity) {
                    no_content()
                } else {
                    error(StatusCode::BAD_REQUEST, "entity needs a string \"id\"")
                }
            }
            Err(response) => response,
        },
        (&Method::GET, _) if path.starts_with("/__admin/rotations/") => {
            let seg = &path["/__admin/rotations/".len()..];
            match percent_decode(seg) {
                Some(id) => to_json(&json!({ "id": id, "rotations": state.rotations(&id) })),
                None => error(StatusCode::BAD_REQUEST, "the id is not UTF-8"),
            }
        }
        (&Method::GET, _) if path.starts_with("/__admin/entities/") => {
            let seg = &path["/__admin/entities/".len()..];
            match percent_decode(seg).and_then(|id| state.entity(&id)) {
                Some(entity) => to_json(&entity),
                None => error(StatusCode::NOT_FOUND, "no such entity"),
            }
        }
        _ => error(StatusCode::NOT_FOUND, "unknown admin endpoint"),
    }
}

/// Accepts one fault object or an array of them; all are validated before
/// any is queued so a bad array changes nothing.
fn push_faults(value: Value, state: &SharedState) -> Response<SandboxBody> {
    let parsed: Result<Vec<Fault>, _> = match value {
        Value::Array(_) => serde_json::from_value(value),
        other => serde_json::from_value(other).map(|f| vec![f]),
    };
    let faults = match parsed {
        Ok(faults) => faults,
        Err(e) => return error(StatusCode::BAD_REQUEST, &format!("invalid fault: {e}")),
    };
    if let Some(problem) = faults.iter().find_map(|f| f.validate().err()) {
        return error(
            StatusCode::BAD_REQUEST,
            &format!("invalid fault: {problem}"),
        );
    }
    for fault in faults {
        state.push_fault(fault);
    }
    no_content()
}

async fn read_json(body: Incoming) -> Result<Value, Response<SandboxBody>> {
    let bytes = read_body(body, BODY_LIMIT).await.map_err(|e| match e {
        ReadError::TooLarge => error(StatusCode::PAYLOAD_TOO_LARGE, "body too large"),
        ReadError::Io => error(StatusCode::BAD_REQUEST, "could not read body"),
    })?;
    serde_json::from_slice(&bytes)
        .map_err(|e| error(StatusCode::BAD_REQUEST, &format!("invalid JSON: {e}")))
}

fn to_json(value: &impl Serialize) -> Response<SandboxBody> {
    match serde_json::to_vec(value) {
        Ok(body) => json_response(StatusCode::OK, body),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    }
}

fn error(status: StatusCode, message: &str) -> Response<SandboxBody> {
    json_response(status, json!({ "error": message }).to_string())
}
