//! The live ingest authority: nginx-rtmp's `on_publish`, `on_update` and
//! `on_publish_done` callbacks (form-encoded POSTs) under `/__ingest/`.
//!
//! A publish may start only with the current ingest key of some entity. A
//! running publish is re-checked on every `on_update`; what happens to one
//! whose key was rotated meanwhile is the [`IngestPolicy`]. While an entity
//! has a live publish its `status` is `broadcasting`, `ready` again once
//! the last one is done.

use std::fmt;
use std::str::FromStr;

use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use serde::{Deserialize, Serialize};

use crate::body::SandboxBody;
use crate::faults::with_type;
use crate::http_util::{form_decode, read_body, BODY_LIMIT};
use crate::state::SharedState;

/// What `on_update` says about a running publish whose key is no longer
/// the entity's current one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IngestPolicy {
    /// A session that started with a then-valid key keeps streaming (the
    /// Uiza documentation: replacing the key does not impact a running
    /// broadcast). Only new publishes need the current key.
    #[default]
    Grandfather,
    /// `on_update` refuses a key that is no longer current, so nginx-rtmp
    /// drops the session and the encoder must reconnect with the new key.
    Kick,
}

impl FromStr for IngestPolicy {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "grandfather" => Ok(IngestPolicy::Grandfather),
            "kick" => Ok(IngestPolicy::Kick),
            other => Err(format!(
                "unknown ingest policy {other:?} (grandfather or kick)"
            )),
        }
    }
}

impl fmt::Display for IngestPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IngestPolicy::Grandfather => "grandfather",
            IngestPolicy::Kick => "kick",
        })
    }
}

/// Which callback an [`IngestEvent`] records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IngestCall {
    Publish,
    Update,
    PublishDone,
}

/// One ingest callback as the sandbox answered it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IngestEvent {
    pub call: IngestCall,
    /// The stream name nginx-rtmp sent: the key the encoder presented.
    pub name: String,
    /// nginx-rtmp's connection id (`clientid`), which ties the callbacks of
    /// one session together.
    pub client_id: String,
    /// Whether the answer was 2xx (always true for `publish_done`).
    pub allowed: bool,
    /// The entity the key belongs to, or belonged to when the session
    /// started; `None` for a key no entity ever had here.
    pub entity: Option<String>,
    /// Milliseconds since the sandbox started.
    pub at_ms: u64,
}

/// A publish that nginx-rtmp let start and has not yet reported done.
#[derive(Clone, Debug)]
pub(crate) struct Session {
    pub entity: String,
}

/// The log keeps at most this many events, dropping the oldest.
pub(crate) const LOG_CAPACITY: usize = 4096;

pub async fn handle(req: Request<Incoming>, state: &SharedState) -> Response<SandboxBody> {
    let (parts, body) = req.into_parts();
    let call = match parts.uri.path() {
        "/__ingest/on_publish" => IngestCall::Publish,
        "/__ingest/on_update" => IngestCall::Update,
        "/__ingest/on_publish_done" => IngestCall::PublishDone,
        _ => return text(StatusCode::NOT_FOUND, "unknown ingest endpoint\n"),
    };
    // `notify_method post` (the default) sends a form body; `get` puts the
    // same fields in the query. Both are read, the body winning.
    let mut fields = parts.uri.query().map(form_decode).unwrap_or_default();
    match read_body(body, BODY_LIMIT).await {
        Ok(bytes) => fields.extend(form_decode(&String::from_utf8_lossy(&bytes))),
        Err(_) => return text(StatusCode::BAD_REQUEST, "could not read the form\n"),
    }
    let field = |name: &str| {
        fields
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let Some(name) = field("name").filter(|n| !n.is_empty()) else {
        return text(StatusCode::BAD_REQUEST, "form field `name` is missing\n");
    };
    // nginx-rtmp numbers its connections; the app keeps two applications
    // of one nginx apart.
    let session = format!(
        "{}/{}",
        field("app").unwrap_or_default(),
        field("clientid").unwrap_or_default()
    );
    let client_id = field("clientid").unwrap_or_default();
    let (allowed, entity) = match call {
        IngestCall::Publish => state.ingest_publish(&session, &name),
        IngestCall::Update => state.ingest_update(&session, &name),
        IngestCall::PublishDone => (true, state.ingest_done(&session, &name)),
    };
    state.log_ingest(call, name, client_id, allowed, entity);
    if allowed {
        text(StatusCode::OK, "OK\n")
    } else {
        text(StatusCode::FORBIDDEN, "the stream key is not valid\n")
    }
}

fn text(status: StatusCode, body: &'static str) -> Response<SandboxBody> {
    with_type(status, "text/plain", SandboxBody::full(body))
}

/// `rtmp://host[:port]/app` style URL, loosely checked: a scheme of rtmp
/// or rtmps, a host, no whitespace.
pub fn validate_ingest_url(url: &str) -> Result<(), String> {
    let rest = url
        .strip_prefix("rtmp://")
        .or_else(|| url.strip_prefix("rtmps://"))
        .ok_or_else(|| format!("ingest URL {url:?} must start with rtmp:// or rtmps://"))?;
    if rest.is_empty() || rest.starts_with('/') {
        return Err(format!("ingest URL {url:?} has no host"));
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("ingest URL {url:?} contains whitespace"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_parse_and_print() {
        assert_eq!("grandfather".parse(), Ok(IngestPolicy::Grandfather));
        assert_eq!("kick".parse(), Ok(IngestPolicy::Kick));
        assert!("Kick".parse::<IngestPolicy>().is_err());
        assert_eq!(IngestPolicy::default(), IngestPolicy::Grandfather);
        assert_eq!(IngestPolicy::Kick.to_string(), "kick");
    }

    #[test]
    fn ingest_urls_are_checked() {
        assert!(validate_ingest_url("rtmp://127.0.0.1:1935/live").is_ok());
        assert!(validate_ingest_url("rtmps://ingest.example/app").is_ok());
        assert!(validate_ingest_url("http://127.0.0.1/live").is_err());
        assert!(validate_ingest_url("rtmp:///live").is_err());
        assert!(validate_ingest_url("rtmp://a b/live").is_err());
    }
}
