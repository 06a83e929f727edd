//! The two ways to replace a stream key.
//!
//! - [`reset`]: the plain PUT with the retry policy. A retry after an
//!   ambiguous failure may rotate twice; its error says whether the key may
//!   have changed (`"rotated"`).
//! - [`rotate`]: exactly once. After every failure the server may have
//!   applied, the entity is read back before anything else is tried: a
//!   changed key means the rotation happened, an unchanged one means a
//!   retry is safe, and an unreadable one ends the call as "unknown".

use std::time::Instant;

use super::attempt::{Answer, Failure, Method};
use super::call::{cancelled, Call, Next};
use super::error::{Error, Rotated};
use super::log::log;
use super::request_path::{BaseUrl, EntityId};
use super::status::UizaStatus;

/// The share of the time left that a rotation's PUT may use; the rest is
/// kept for reading the entity back if the PUT's outcome is unknown.
const PUT_SHARE_NUM: u32 = 2;
const PUT_SHARE_DEN: u32 = 3;

/// `PUT .../stream_key` with retries.
pub fn reset(call: &mut Call<'_>, base: &BaseUrl, id: EntityId<'_>) -> Result<Answer, Error> {
    let url = base.stream_key_url(id);
    let mut maybe_applied = false;
    loop {
        if call.is_cancelled() {
            return Err(cancelled().with_rotated(rotated(maybe_applied)));
        }
        let failure = match call.attempt(Method::Put, &url, None) {
            Ok(answer) => return Ok(answer),
            Err(failure) => failure,
        };
        if !failure.is_definite() && !maybe_applied {
            log!(
                Warn,
                "the reset may have been applied; a retry may replace the key again (use rotation for exactly once)"
            );
        }
        maybe_applied |= !failure.is_definite();
        match call.wait_to_retry(&failure, true) {
            Next::Retry => {}
            Next::GiveUp => return Err(failure.error.with_rotated(rotated(maybe_applied))),
            Next::Cancelled => return Err(cancelled().with_rotated(rotated(maybe_applied))),
        }
    }
}

/// Rotates the key exactly once. `current` is the key the caller's encoder
/// holds; `None` reads it first.
pub fn rotate(
    call: &mut Call<'_>,
    base: &BaseUrl,
    id: EntityId<'_>,
    current: Option<&str>,
) -> Result<Answer, Error> {
    let entity_url = base.entity_url(id);
    let key_url = base.stream_key_url(id);
    let unchanged = |e: Error| e.with_rotated(Rotated::No);
    let current: Option<String> = match current {
        Some(key) => Some(key.to_owned()),
        None => {
            log!(
                Debug,
                "reading the entity first, for the key the rotation replaces"
            );
            call.read(&entity_url, true)
                .map_err(unchanged)?
                .entity
                .ingest_key()
                .map(str::to_owned)
        }
    };
    let is_new = |answer: &Answer| {
        answer
            .entity
            .ingest_key()
            .is_some_and(|key| Some(key) != current.as_deref())
    };
    loop {
        if call.is_cancelled() {
            return Err(unchanged(cancelled()));
        }
        let left = call.remaining();
        if left.is_zero() {
            return Err(unchanged(call.out_of_time()));
        }
        let put_until = Instant::now() + left * PUT_SHARE_NUM / PUT_SHARE_DEN;
        let failure = match call.attempt(Method::Put, &key_url, Some(put_until)) {
            Ok(answer) if is_new(&answer) => return Ok(answer),
            Ok(_) => {
                return Err(unchanged(Error::client(
                    UizaStatus::InvalidResponse,
                    "the API reported success but ingest.key is the key the call started with",
                )))
            }
            Err(failure) => failure,
        };
        if !failure.is_definite() {
            // The server may have applied it: only the entity can tell.
            log!(
                Warn,
                "the PUT's outcome is unknown ({}): reading the entity back to learn whether the key changed",
                failure.error.status.describe()
            );
            match call.read(&entity_url, false) {
                Ok(back) if is_new(&back) => {
                    log!(
                        Info,
                        "read-back verdict: the key changed, so the rotation happened; no retry"
                    );
                    return Ok(back);
                }
                Ok(back) if back.entity.ingest_key().is_some() => {
                    log!(Info, "read-back verdict: the key is unchanged, so the PUT was not applied; a retry is safe");
                }
                Ok(_) => {
                    log!(
                        Warn,
                        "read-back verdict: unknown, the entity has no ingest.key"
                    );
                    return Err(unknown(failure, "the entity read back has no ingest.key"));
                }
                Err(read) => {
                    log!(
                        Warn,
                        "read-back verdict: unknown, the read failed: {}",
                        call.scrubbed(&read.message)
                    );
                    return Err(unknown(failure, &read.message));
                }
            }
        }
        // Certainly not applied: a retry cannot rotate twice.
        match call.wait_to_retry(&failure, true) {
            Next::Retry => {}
            Next::GiveUp => return Err(unchanged(failure.error)),
            Next::Cancelled => return Err(unchanged(cancelled())),
        }
    }
}

/// The error of a rotation whose outcome could not be learned.
fn unknown(failure: Failure, why_unread: &str) -> Error {
    let mut error = failure.error;
    error.message = format!(
        "{}; the key may have changed, and reading the entity back failed: {why_unread}",
        error.message
    );
    error.with_rotated(Rotated::Unknown)
}

fn rotated(maybe_applied: bool) -> Rotated {
    if maybe_applied {
        Rotated::Unknown
    } else {
        Rotated::No
    }
}
