//! Queued misbehaviours and the responses they turn into.

use std::io;
use std::time::Duration;

use hyper::body::Bytes;
use hyper::header::{
    HeaderName, HeaderValue, CONTENT_LENGTH, CONTENT_TYPE, RETRY_AFTER, TRANSFER_ENCODING,
};
use hyper::{Response, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tokio::sync::mpsc;

use crate::body::SandboxBody;
use crate::seed;

/// Body of the `non_json` fault: what a misconfigured proxy might send.
pub const NON_JSON_BODY: &str = "<html><body>Bad gateway</body></html>";

/// How long a cut-short body waits after its last bytes before aborting the
/// connection. hyper discards unflushed output when a body fails, so the
/// pause lets it push the partial body onto the socket first.
const ABORT_GRACE: Duration = Duration::from_millis(50);

/// One queued fault: what to do, and to how many consecutive API requests.
///
/// JSON form: `{"kind":"delay","ms":500,"times":2}`; `times` defaults to 1.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fault {
    #[serde(flatten)]
    pub kind: FaultKind,
    #[serde(default = "one")]
    pub times: u32,
    /// Only requests with this method (`"PUT"`, `"GET"`) consume the fault;
    /// others pass it by. Absent: any API request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
}

fn one() -> u32 {
    1
}

fn default_oversized_bytes() -> u64 {
    1 << 30
}

fn default_drip_interval_ms() -> u64 {
    200
}

fn default_stall_ms() -> u64 {
    60_000
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FaultKind {
    /// Wait, then handle the request normally.
    Delay { ms: u64 },
    /// Answer with this status. Without `body`, 400/401/404/500 get the
    /// documented body and other codes a generic JSON error.
    Status {
        status: u16,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        body: Option<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        headers: Vec<(String, String)>,
    },
    /// Close the connection without any response.
    Drop,
    /// 200 with a chunked body that stops half way, connection aborted.
    DropMidBody,
    /// 200 whose Content-Length promises the full entity but only half of it
    /// arrives before the connection closes.
    Truncated,
    /// 200 with a `bytes`-long body `{"pad":"xxxx...` generated lazily.
    Oversized {
        #[serde(default = "default_oversized_bytes")]
        bytes: u64,
    },
    /// 200, `text/html`, not JSON at all.
    NonJson,
    /// 200 entity with `ingest.key` a number and `dvr` a string.
    WrongTypes,
    /// 200 entity whose `ingest` has no `key`.
    NoKey,
    /// Handle the request normally (a PUT rotates the key), then close the
    /// connection without answering: the client cannot know it happened.
    ApplyThenDrop,
    /// Handle the request normally, then answer 502 as a failing gateway
    /// in front of the API would.
    #[serde(rename = "apply_then_502")]
    ApplyThen502,
    /// Handle the request normally, then hold the connection `ms` without
    /// answering (past the client's budget), then close it.
    ApplyThenStall {
        #[serde(default = "default_stall_ms")]
        ms: u64,
    },
    /// 200 with the entity sent `chunk_bytes` at a time, `interval_ms` apart.
    Drip {
        #[serde(default = "one_usize")]
        chunk_bytes: usize,
        #[serde(default = "default_drip_interval_ms")]
        interval_ms: u64,
    },
}

fn one_usize() -> usize {
    1
}

impl Fault {
    /// A fault applying to the next API request only.
    pub fn new(kind: FaultKind) -> Self {
        Fault {
            kind,
            times: 1,
            method: None,
        }
    }

    /// The same fault, applying to `times` consecutive API requests.
    pub fn with_times(self, times: u32) -> Self {
        Fault { times, ..self }
    }

    /// The same fault, applying only to requests with `method`.
    pub fn for_method(self, method: &str) -> Self {
        Fault {
            method: Some(method.to_ascii_uppercase()),
            ..self
        }
    }

    /// Whether a request with `method` consumes this fault.
    pub fn applies_to(&self, method: &str) -> bool {
        self.method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(method))
    }

    /// Rejects faults that could not be sent as asked. The admin endpoint
    /// answers 400 for these; in-process ones that slip through are sent as
    /// the documented 500 or with the bad header left out.
    pub fn validate(&self) -> Result<(), String> {
        if self.times == 0 {
            return Err("times must be at least 1".into());
        }
        match &self.kind {
            FaultKind::Status {
                status,
                retry_after,
                headers,
                ..
            } => {
                final_status(*status).ok_or_else(|| {
                    format!("status {status} is not a final HTTP status (200-999)")
                })?;
                if let Some(v) = retry_after {
                    HeaderValue::from_str(v)
                        .map_err(|_| format!("retry_after {v:?} is not a valid header value"))?;
                }
                for (name, value) in headers {
                    extra_header(name, value).ok_or_else(|| {
                        format!("header {name:?}: {value:?} is invalid or sets the body framing")
                    })?;
                }
                Ok(())
            }
            FaultKind::Drip { chunk_bytes: 0, .. } => Err("chunk_bytes must be at least 1".into()),
            _ => Ok(()),
        }
    }

    /// Short name for the request log.
    pub fn name(&self) -> &'static str {
        match self.kind {
            FaultKind::Delay { .. } => "delay",
            FaultKind::Status { .. } => "status",
            FaultKind::Drop => "drop",
            FaultKind::DropMidBody => "drop_mid_body",
            FaultKind::Truncated => "truncated",
            FaultKind::Oversized { .. } => "oversized",
            FaultKind::NonJson => "non_json",
            FaultKind::WrongTypes => "wrong_types",
            FaultKind::NoKey => "no_key",
            FaultKind::Drip { .. } => "drip",
            FaultKind::ApplyThenDrop => "apply_then_drop",
            FaultKind::ApplyThen502 => "apply_then_502",
            FaultKind::ApplyThenStall { .. } => "apply_then_stall",
        }
    }
}

fn final_status(status: u16) -> Option<StatusCode> {
    // 1xx codes are interim responses; hyper cannot send one as the answer.
    (200..=999)
        .contains(&status)
        .then(|| StatusCode::from_u16(status).ok())
        .flatten()
}

/// Parses an injected header, refusing the framing headers: hyper derives
/// those from the body and a contradicting value would corrupt the stream.
fn extra_header(name: &str, value: &str) -> Option<(HeaderName, HeaderValue)> {
    let name = HeaderName::from_bytes(name.as_bytes()).ok()?;
    if name == CONTENT_LENGTH || name == TRANSFER_ENCODING {
        return None;
    }
    Some((name, HeaderValue::from_str(value).ok()?))
}

/// What the request handler does about a fault.
pub enum FaultAction {
    /// Sleep this long, then carry on normally.
    Delay(Duration),
    /// Send this instead of the normal answer.
    Respond(Response<SandboxBody>),
    /// Close the connection without answering.
    Drop,
    /// Handle the request normally first, then do `after`.
    ApplyThen(After),
}

/// What an `apply_then_*` fault does once the request was handled.
pub enum After {
    Drop,
    Respond(Response<SandboxBody>),
    /// Hold the connection this long, then close it unanswered.
    Stall(Duration),
}

/// Turns `fault` into an action. `entity` is the stored entity the request
/// names (or the seed), used where the fault needs a plausible body. Only
/// the `apply_then_*` faults change stored state, by letting the request
/// through first.
pub fn action(fault: &FaultKind, entity: &Value) -> FaultAction {
    let entity_json = serde_json::to_vec(entity).unwrap_or_default();
    match fault {
        FaultKind::Delay { ms } => FaultAction::Delay(Duration::from_millis(*ms)),
        FaultKind::Status {
            status,
            retry_after,
            body,
            headers,
        } => FaultAction::Respond(status_response(
            *status,
            retry_after.as_deref(),
            body.as_deref(),
            headers,
        )),
        FaultKind::Drop => FaultAction::Drop,
        FaultKind::DropMidBody => {
            let half = Bytes::from(entity_json[..entity_json.len() / 2].to_vec());
            FaultAction::Respond(json_ok(cut_short(half, None)))
        }
        FaultKind::Truncated => {
            let full_len = entity_json.len() as u64;
            let half = Bytes::from(entity_json[..entity_json.len() / 2].to_vec());
            FaultAction::Respond(json_ok(cut_short(half, Some(full_len))))
        }
        FaultKind::Oversized { bytes } => {
            FaultAction::Respond(json_ok(SandboxBody::filler(b"{\"pad\":\"", *bytes)))
        }
        FaultKind::NonJson => FaultAction::Respond(with_type(
            StatusCode::OK,
            "text/html",
            SandboxBody::full(NON_JSON_BODY),
        )),
        FaultKind::WrongTypes => {
            let mut e = entity.clone();
            set_ingest_key(&mut e, Some(json!(12345)));
            if let Some(obj) = e.as_object_mut() {
                obj.insert("dvr".into(), json!("yes"));
            }
            FaultAction::Respond(json_ok(SandboxBody::full(
                serde_json::to_vec(&e).unwrap_or_default(),
            )))
        }
        FaultKind::NoKey => {
            let mut e = entity.clone();
            set_ingest_key(&mut e, None);
            FaultAction::Respond(json_ok(SandboxBody::full(
                serde_json::to_vec(&e).unwrap_or_default(),
            )))
        }
        FaultKind::ApplyThenDrop => FaultAction::ApplyThen(After::Drop),
        FaultKind::ApplyThen502 => {
            FaultAction::ApplyThen(After::Respond(status_response(502, None, None, &[])))
        }
        FaultKind::ApplyThenStall { ms } => {
            FaultAction::ApplyThen(After::Stall(Duration::from_millis(*ms)))
        }
        FaultKind::Drip {
            chunk_bytes,
            interval_ms,
        } => FaultAction::Respond(json_ok(drip(
            Bytes::from(entity_json),
            (*chunk_bytes).max(1),
            Duration::from_millis(*interval_ms),
        ))),
    }
}

/// Sets (or with `None` removes) `ingest.key`, creating `ingest` if the
/// entity lacks it so the fault's shape is always what its name promises.
pub(crate) fn set_ingest_key(entity: &mut Value, key: Option<Value>) {
    let Some(obj) = entity.as_object_mut() else {
        return;
    };
    let ingest = obj.entry("ingest").or_insert_with(|| json!({}));
    if !ingest.is_object() {
        *ingest = json!({});
    }
    if let Some(ingest) = ingest.as_object_mut() {
        match key {
            Some(k) => {
                ingest.insert("key".into(), k);
            }
            None => {
                ingest.remove("key");
            }
        }
    }
}

pub fn status_response(
    status: u16,
    retry_after: Option<&str>,
    body: Option<&str>,
    headers: &[(String, String)],
) -> Response<SandboxBody> {
    let Some(code) = final_status(status) else {
        return with_type(
            StatusCode::INTERNAL_SERVER_ERROR,
            "application/json",
            SandboxBody::full(seed::BODY_500),
        );
    };
    let body = match body {
        Some(b) => b.to_owned(),
        None => match seed::documented_error_body(status) {
            Some(b) => b.to_owned(),
            // Written out by hand to keep the field order of the documented
            // error bodies (serde_json would sort the keys).
            None => format!(
                r#"{{"message":"Sandbox injected HTTP {status}.","error_type":"api_error"}}"#
            ),
        },
    };
    let mut response = with_type(code, "application/json", SandboxBody::full(body));
    if let Some(value) = retry_after.and_then(|v| HeaderValue::from_str(v).ok()) {
        response.headers_mut().insert(RETRY_AFTER, value);
    }
    for (name, value) in headers.iter().filter_map(|(n, v)| extra_header(n, v)) {
        // append, not insert: a test may want a header repeated.
        response.headers_mut().append(name, value);
    }
    response
}

pub fn with_type(
    status: StatusCode,
    content_type: &'static str,
    body: SandboxBody,
) -> Response<SandboxBody> {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

fn json_ok(body: SandboxBody) -> Response<SandboxBody> {
    with_type(StatusCode::OK, "application/json", body)
}

/// Sends `part`, then fails the body so hyper aborts the connection. With
/// `len` the response promises that many bytes; without it, it is chunked
/// and never gets its terminating chunk.
fn cut_short(part: Bytes, len: Option<u64>) -> SandboxBody {
    let (tx, rx) = mpsc::channel(2);
    tokio::spawn(async move {
        if tx.send(Ok(part)).await.is_err() {
            return;
        }
        tokio::time::sleep(ABORT_GRACE).await;
        let _ = tx
            .send(Err(io::Error::new(
                io::ErrorKind::ConnectionAborted,
                "sandbox fault: body cut short",
            )))
            .await;
    });
    SandboxBody::Channel { rx, len }
}

/// Sends `data` in `chunk`-byte pieces with `interval` between them. The task
/// stops as soon as the client goes away (hyper drops the receiver).
fn drip(data: Bytes, chunk: usize, interval: Duration) -> SandboxBody {
    let len = Some(data.len() as u64);
    let (tx, rx) = mpsc::channel(1);
    tokio::spawn(async move {
        let mut offset = 0;
        while offset < data.len() {
            if offset > 0 {
                tokio::time::sleep(interval).await;
            }
            let end = (offset + chunk).min(data.len());
            if tx.send(Ok(data.slice(offset..end))).await.is_err() {
                return;
            }
            offset = end;
        }
    });
    SandboxBody::Channel { rx, len }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_forms_round_trip() {
        let cases = [
            r#"{"kind":"delay","ms":500}"#,
            r#"{"kind":"status","status":503,"retry_after":"2","body":null,"headers":[["Location","http://x/"]]}"#,
            r#"{"kind":"drop"}"#,
            r#"{"kind":"drop_mid_body","times":3}"#,
            r#"{"kind":"truncated"}"#,
            r#"{"kind":"oversized","bytes":1073741824}"#,
            r#"{"kind":"non_json"}"#,
            r#"{"kind":"wrong_types"}"#,
            r#"{"kind":"no_key"}"#,
            r#"{"kind":"drip","chunk_bytes":1,"interval_ms":200}"#,
        ];
        for case in cases {
            let fault: Fault = serde_json::from_str(case).unwrap_or_else(|e| panic!("{case}: {e}"));
            assert!(fault.validate().is_ok(), "{case}");
            let again: Fault =
                serde_json::from_str(&serde_json::to_string(&fault).unwrap()).unwrap();
            assert_eq!(fault, again);
        }
        let f: Fault = serde_json::from_str(r#"{"kind":"drop_mid_body","times":3}"#).unwrap();
        assert_eq!(f.times, 3);
        let f: Fault = serde_json::from_str(r#"{"kind":"drop"}"#).unwrap();
        assert_eq!(f.times, 1);
    }

    #[test]
    fn validation_rejects_unsendable_faults() {
        let bad = [
            r#"{"kind":"status","status":102}"#,
            r#"{"kind":"status","status":503,"retry_after":"a\nb"}"#,
            r#"{"kind":"status","status":503,"headers":[["Content-Length","3"]]}"#,
            r#"{"kind":"status","status":503,"headers":[["bad name","x"]]}"#,
            r#"{"kind":"drip","chunk_bytes":0}"#,
            r#"{"kind":"drop","times":0}"#,
        ];
        for case in bad {
            let fault: Fault = serde_json::from_str(case).unwrap();
            assert!(fault.validate().is_err(), "{case}");
        }
        assert!(serde_json::from_str::<Fault>(r#"{"kind":"explode"}"#).is_err());
    }

    #[test]
    fn undocumented_status_gets_generic_body() {
        let r = status_response(503, None, None, &[]);
        match r.body() {
            SandboxBody::Full(Some(b)) => assert_eq!(
                b.as_ref(),
                br#"{"message":"Sandbox injected HTTP 503.","error_type":"api_error"}"#
            ),
            _ => panic!("expected a full body"),
        }
    }
}
