//! One HTTP exchange of a call: send the request, read the answer, and
//! classify a failure (may it be retried; may the server have acted on it).

use std::time::{Duration, SystemTime};

use ureq::http::header::{AUTHORIZATION, RETRY_AFTER};
use ureq::http::HeaderValue;
use ureq::Agent;

use super::entity::LiveEntity;
use super::error::Error;
use super::retry::{is_retryable_http, parse_retry_after};
use super::status::UizaStatus;
use super::transport_error::classify;

/// The two requests the library makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// `GET /v1/live_entities/{id}`: read the entity.
    Get,
    /// `PUT /v1/live_entities/{id}/stream_key`: reset the key.
    Put,
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Method::Get => "GET",
            Method::Put => "PUT",
        })
    }
}

/// A 2xx answer: the body as received, and its parsed form.
#[derive(Debug)]
pub struct Answer {
    pub body: String,
    pub entity: LiveEntity,
}

/// One failed exchange, and what the policy may do about it.
#[derive(Debug)]
pub struct Failure {
    pub error: Error,
    /// Another attempt may succeed.
    pub retryable: bool,
    /// The server's `Retry-After`, if it sent a usable one.
    pub retry_after: Option<Duration>,
    /// The request certainly never reached the server.
    pub unsent: bool,
}

impl Failure {
    /// Whether the server certainly did not apply the request: it was never
    /// sent, or the server refused it with a 4xx (408 aside, which a server
    /// may send after reading the request). Anything else (a timeout or a
    /// drop after sending, 408, any 5xx, a 2xx that could not be read) is
    /// ambiguous.
    pub fn is_definite(&self) -> bool {
        self.unsent || matches!(self.error.http_status, Some(code @ 400..=499) if code != 408)
    }
}

pub struct Attempt<'a> {
    pub agent: &'a Agent,
    pub method: Method,
    pub url: &'a str,
    pub auth: &'a HeaderValue,
    /// The call's whole budget, named in a TIMEOUT message.
    pub budget: Duration,
    /// `None`: the agent's own budget applies (see `client::Pool`).
    pub request_budget: Option<Duration>,
    pub body_limit: u64,
}

impl Attempt<'_> {
    pub fn run(&self) -> Result<Answer, Failure> {
        let transport = |e: ureq::Error| {
            let f = classify(e, self.budget);
            Failure {
                error: f.error,
                retryable: f.retryable,
                retry_after: None,
                unsent: f.unsent,
            }
        };
        let fatal = |error: Error| Failure {
            error,
            retryable: false,
            retry_after: None,
            unsent: false,
        };
        let sent = match self.method {
            Method::Get => {
                let request = self.agent.get(self.url).header(AUTHORIZATION, self.auth);
                match self.request_budget {
                    None => request.call(),
                    Some(left) => request.config().timeout_global(Some(left)).build().call(),
                }
            }
            Method::Put => {
                let request = self.agent.put(self.url).header(AUTHORIZATION, self.auth);
                match self.request_budget {
                    None => request.send_empty(),
                    Some(left) => request
                        .config()
                        .timeout_global(Some(left))
                        .build()
                        .send_empty(),
                }
            }
        };
        let response = sent.map_err(transport)?;

        let code = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, SystemTime::now()));
        let mut body = response.into_body();
        let read = body
            .with_config()
            .limit(self.body_limit)
            .read_to_vec()
            .map_err(|e| {
                let mut failure = transport(e);
                failure.error.http_status = Some(code);
                failure
            });

        let read = read.map(without_byte_order_mark);
        if (200..300).contains(&code) {
            let bytes = read?;
            // A reset must hand back a key; a read may find an entity in
            // `init` state, which has none yet.
            let parsed = match self.method {
                Method::Put => LiveEntity::parse_with_key(&bytes),
                Method::Get => LiveEntity::parse(&bytes),
            };
            let entity = parsed.map_err(|e| fatal(e.with_http_status(code)))?;
            // serde_json accepted it, so it is UTF-8; the check is kept so that
            // a parser bug can never hand C invalid UTF-8.
            let body = String::from_utf8(bytes).map_err(|_| {
                fatal(
                    Error::client(UizaStatus::InvalidResponse, "the body is not UTF-8")
                        .with_http_status(code),
                )
            })?;
            return Ok(Answer { body, entity });
        }

        // An error status. Its body only supplies the message, so a body that
        // is too large or cut short still yields the status the server meant.
        let bytes = read.unwrap_or_default();
        Err(Failure {
            error: Error::from_http_response(code, &bytes),
            retryable: is_retryable_http(code),
            retry_after,
            unsent: false,
        })
    }
}

/// RFC 8259 forbids a sender to put a byte order mark before JSON but lets
/// a parser skip one, and some frameworks and rewriting proxies add it.
/// Refusing it would be worse than unkind: after a reset the key has
/// changed, and the read-back would fail on the same mark, leaving the
/// caller no way to learn the new key. It is dropped here, so the caller's
/// `out_json` is plain JSON too.
fn without_byte_order_mark(mut bytes: Vec<u8>) -> Vec<u8> {
    const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";
    if bytes.starts_with(UTF8_BOM) {
        bytes.drain(..UTF8_BOM.len());
    }
    bytes
}
