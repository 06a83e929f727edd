//! The retry policy: which failures are retried, and how long to wait.
//!
//! Only failures that say "try again later" are retried: transport errors
//! and HTTP 429/502/503/504. Waits grow exponentially with jitter, so that
//! many encoders recovering from the same outage do not hit the API in
//! lock-step, and a server's `Retry-After` always wins over our own guess.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

/// Retries after the first attempt, unless the caller sets another number.
pub(crate) const DEFAULT_MAX_RETRIES: u32 = 2;
/// The first backoff step; attempt `n` waits around `BASE * 2^n`.
pub(crate) const BACKOFF_BASE: Duration = Duration::from_millis(250);
/// No single backoff wait is longer than this.
pub(crate) const BACKOFF_CAP: Duration = Duration::from_secs(8);
/// Doublings past this one cannot matter: 250 ms × 2^16 is far above the
/// cap already, and the shift must stay inside a u32.
const MAX_DOUBLINGS: u32 = 16;

/// HTTP statuses that mean "try again later".
pub fn is_retryable_http(code: u16) -> bool {
    matches!(code, 429 | 502 | 503 | 504)
}

/// The wait before retry number `retry` (0-based), "equal jitter": half of
/// the exponential step is fixed, the other half random, so waits never
/// collapse to zero yet stay spread out.
pub fn backoff(retry: u32) -> Duration {
    let step = BACKOFF_BASE
        .saturating_mul(1u32 << retry.min(MAX_DOUBLINGS))
        .min(BACKOFF_CAP);
    let half = step / 2;
    let jitter_ms = half.as_millis() as u64;
    let extra = if jitter_ms == 0 {
        0
    } else {
        random_u64() % (jitter_ms + 1)
    };
    half + Duration::from_millis(extra)
}

/// Parses a `Retry-After` value: delta-seconds or an HTTP date. A date in
/// the past means "now". Anything unparsable is ignored (`None`).
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Cheap non-cryptographic randomness for jitter. `RandomState` is seeded
/// from the OS per instance; mixing in a counter gives a new value per call
/// without pulling in an RNG crate.
fn random_u64() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_with_jitter_and_is_capped() {
        for retry in 0..40 {
            let step = BACKOFF_BASE
                .saturating_mul(1 << retry.min(MAX_DOUBLINGS))
                .min(BACKOFF_CAP);
            for _ in 0..20 {
                let d = backoff(retry);
                assert!(d >= step / 2 && d <= step, "retry {retry}: {d:?}");
            }
        }
        let waits: std::collections::HashSet<_> = (0..50).map(|_| backoff(3)).collect();
        assert!(waits.len() > 1, "no jitter");
    }

    #[test]
    fn retry_after_forms() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777);
        assert_eq!(parse_retry_after("2", now), Some(Duration::from_secs(2)));
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        // 784111777 is Sun, 06 Nov 1994 08:49:37 GMT.
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:40 GMT", now),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-1", now), None);
    }

    #[test]
    fn retryable_statuses() {
        for code in [429, 502, 503, 504] {
            assert!(is_retryable_http(code));
        }
        for code in [200, 400, 401, 404, 500, 501, 505] {
            assert!(!is_retryable_http(code));
        }
    }
}
