//! Request dispatch: the Uiza API under `/v1/`, the admin area under
//! `/__admin/`, nginx-rtmp's callbacks under `/__ingest/`, and a plain 404
//! for everything else.

use std::fmt;
use std::sync::Arc;

use hyper::body::Incoming;
use hyper::header::AUTHORIZATION;
use hyper::http::request::Parts;
use hyper::{Method, Request, Response, StatusCode};
use serde_json::{json, Value};

use crate::body::SandboxBody;
use crate::faults::{self, After, FaultAction};
use crate::http_util::{
    json_response, percent_decode, plain_not_found, raw_path, read_body, BODY_LIMIT,
};
use crate::state::{RecordedRequest, SharedState};
use crate::{admin, clock, ingest, log, seed};

/// Returned by the service to make hyper close the connection without
/// writing any response (the `drop` fault).
#[derive(Debug)]
pub struct Dropped;

impl fmt::Display for Dropped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connection dropped by sandbox fault")
    }
}

impl std::error::Error for Dropped {}

pub async fn handle(
    req: Request<Incoming>,
    state: Arc<SharedState>,
) -> Result<Response<SandboxBody>, Dropped> {
    let method = req.method().clone();
    let path = raw_path(req.uri());
    // Every request but the admin area's, under /v1/ or not, so that a test
    // sees exactly which path a client asked for.
    if !req.uri().path().starts_with("/__admin/") {
        state.record_request(received(&req, path.clone()));
    }
    let (outcome, fault) = if req.uri().path().starts_with("/v1/") {
        api(req, &state).await
    } else if req.uri().path().starts_with("/__admin/") {
        (Ok(admin::handle(req, &state).await), None)
    } else if req.uri().path().starts_with("/__ingest/") {
        (Ok(ingest::handle(req, &state).await), None)
    } else {
        (Ok(plain_not_found()), None)
    };
    log::request(
        &method,
        &path,
        outcome.as_ref().ok().map(Response::status),
        fault,
    );
    outcome
}

type ApiOutcome = (Result<Response<SandboxBody>, Dropped>, Option<&'static str>);

/// The request line and headers of `req`, whose raw path is `raw_path`.
fn received(req: &Request<Incoming>, raw_path: String) -> RecordedRequest {
    RecordedRequest {
        method: req.method().to_string(),
        raw_path,
        headers: req
            .headers()
            .iter()
            .map(|(name, value)| {
                (
                    name.to_string(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect(),
    }
}

async fn api(req: Request<Incoming>, state: &SharedState) -> ApiOutcome {
    state.count_api_request();
    let (parts, body) = req.into_parts();
    // The API takes no body, but reading whatever the client sent lets a
    // fault close the socket cleanly (unread input would turn the close into
    // a reset). Errors and oversized bodies are irrelevant here.
    let _ = read_body(body, BODY_LIMIT).await;

    let mut applied = None;
    if let Some(fault) = state.next_fault(parts.method.as_str()) {
        applied = Some(fault.name());
        let entity = fault_entity(&parts, state);
        match faults::action(&fault.kind, &entity) {
            FaultAction::Delay(wait) => tokio::time::sleep(wait).await,
            FaultAction::Respond(response) => return (Ok(response), applied),
            FaultAction::Drop => return (Err(Dropped), applied),
            FaultAction::ApplyThen(after) => {
                let _applied = answer(&parts, state);
                let outcome = match after {
                    After::Drop => Err(Dropped),
                    After::Respond(response) => Ok(response),
                    After::Stall(wait) => {
                        tokio::time::sleep(wait).await;
                        Err(Dropped)
                    }
                };
                return (outcome, applied);
            }
        }
    }
    (Ok(answer(&parts, state)), applied)
}

/// The entity a fault's body imitates: the one the request names if it
/// exists, otherwise the seed, so clients always get a plausible shape.
fn fault_entity(parts: &Parts, state: &SharedState) -> Value {
    let named = match route(&parts.method, parts.uri.path()) {
        Route::Reset(seg) | Route::Get(seg) => percent_decode(seg).and_then(|id| state.entity(&id)),
        Route::Other => None,
    };
    named
        .or_else(|| state.entity(seed::SEED_ENTITY_ID))
        .unwrap_or_else(seed::seed_entity)
}

enum Route<'a> {
    /// `PUT /v1/live_entities/{id}/stream_key`, with the raw id segment.
    Reset(&'a str),
    /// `GET /v1/live_entities/{id}`.
    Get(&'a str),
    Other,
}

/// Splits on the raw path so an encoded `%2F` inside the id stays part of
/// the one segment.
fn route<'a>(method: &Method, path: &'a str) -> Route<'a> {
    let Some(rest) = path.strip_prefix("/v1/live_entities/") else {
        return Route::Other;
    };
    if *method == Method::PUT {
        if let Some(seg) = rest.strip_suffix("/stream_key") {
            if !seg.contains('/') {
                return Route::Reset(seg);
            }
        }
    }
    if *method == Method::GET && !rest.contains('/') {
        return Route::Get(rest);
    }
    Route::Other
}

/// Normal API behaviour. Authentication comes first, as on the real
/// service, so a bad key gets 401 even for unknown paths.
fn answer(parts: &Parts, state: &SharedState) -> Response<SandboxBody> {
    let mut keys = parts.headers.get_all(AUTHORIZATION).iter();
    let authorized = match (keys.next(), keys.next()) {
        (Some(key), None) => state.accepts_key(key.as_bytes()),
        _ => false,
    };
    if !authorized {
        return json_response(StatusCode::UNAUTHORIZED, seed::BODY_401);
    }
    let (seg, reset) = match route(&parts.method, parts.uri.path()) {
        Route::Reset(seg) => (seg, true),
        Route::Get(seg) => (seg, false),
        Route::Other => return not_found(),
    };
    if seg.is_empty() {
        return json_response(StatusCode::BAD_REQUEST, seed::BODY_400);
    }
    let Some(id) = percent_decode(seg) else {
        // Not UTF-8 once decoded, so it cannot name any stored entity.
        return not_found();
    };
    let entity = if reset {
        reset_key(&id, state)
    } else {
        Ok(state.entity(&id))
    };
    match entity {
        Ok(Some(entity)) => match serde_json::to_vec(&entity) {
            Ok(body) => json_response(StatusCode::OK, body),
            Err(_) => internal_error(),
        },
        Ok(None) => not_found(),
        Err(()) => internal_error(),
    }
}

/// Gives the entity a fresh key and timestamp, keeping every other field.
fn reset_key(id: &str, state: &SharedState) -> Result<Option<Value>, ()> {
    let key = new_stream_key()?;
    let now = clock::utc_now();
    let updated = state.update_entity(id, |entity| {
        faults::set_ingest_key(entity, Some(json!(key)));
        if let Some(obj) = entity.as_object_mut() {
            obj.insert("updated_at".into(), json!(now));
        }
        entity.clone()
    });
    if updated.is_some() {
        state.count_reset(id);
    }
    Ok(updated)
}

/// `live_` plus 32 lowercase hex digits from the OS random source.
fn new_stream_key() -> Result<String, ()> {
    let mut raw = [0u8; 16];
    getrandom::getrandom(&mut raw).map_err(|_| ())?;
    let mut key = String::with_capacity(37);
    key.push_str("live_");
    for b in raw {
        key.push_str(&format!("{b:02x}"));
    }
    Ok(key)
}

fn not_found() -> Response<SandboxBody> {
    json_response(StatusCode::NOT_FOUND, seed::BODY_404)
}

fn internal_error() -> Response<SandboxBody> {
    json_response(StatusCode::INTERNAL_SERVER_ERROR, seed::BODY_500)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_keys_have_the_documented_shape() {
        let a = new_stream_key().unwrap();
        let b = new_stream_key().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 37);
        assert!(a.starts_with("live_"));
        assert!(a[5..]
            .bytes()
            .all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')));
    }

    #[test]
    fn routes_split_on_raw_slashes_only() {
        assert!(matches!(
            route(&Method::PUT, "/v1/live_entities/a%2Fb/stream_key"),
            Route::Reset("a%2Fb")
        ));
        assert!(matches!(
            route(&Method::PUT, "/v1/live_entities//stream_key"),
            Route::Reset("")
        ));
        assert!(matches!(
            route(&Method::PUT, "/v1/live_entities/a/b/stream_key"),
            Route::Other
        ));
        assert!(matches!(
            route(&Method::GET, "/v1/live_entities/abc"),
            Route::Get("abc")
        ));
        assert!(matches!(
            route(&Method::GET, "/v1/live_entities/abc/stream_key"),
            Route::Other
        ));
        assert!(matches!(
            route(&Method::POST, "/v1/live_entities/abc/stream_key"),
            Route::Other
        ));
    }
}
