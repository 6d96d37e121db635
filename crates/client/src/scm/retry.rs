//! Retry policy: which failures are retried, and how long to wait.
//!
//! 429 is retried for every call (the server did not act on it) and honours `Retry-After`.
//! 5xx and transport errors are retried only for idempotent calls — GET, PUT and DELETE
//! ([`panops_scm::HttpRequest::is_idempotent`]), where repeating the call gives the same end
//! state — and never for POST (create, move, push, load, import), where a retry could apply a
//! change twice. A DELETE that answers 404 on such a retry is reported as done (see
//! [`super::ScmClient::call`]).

use std::time::Duration;

use rand::Rng;

/// How often and how patiently a call is retried.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in total, the first included (1 disables retries).
    pub max_attempts: u32,
    /// Delay before the first retry when the server gives no `Retry-After`.
    pub base_delay: Duration,
    /// Ceiling of the exponential backoff.
    pub max_delay: Duration,
    /// Ceiling applied to a server's `Retry-After`.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn none() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// Exponential backoff with ±25 % jitter for retry number `retry` (1-based).
    pub fn backoff(&self, retry: u32) -> Duration {
        let exp = retry.saturating_sub(1).min(16);
        let raw = self
            .base_delay
            .saturating_mul(1u32 << exp)
            .min(self.max_delay);
        let jitter = rand::thread_rng().gen_range(0.75..=1.25);
        raw.mul_f64(jitter).min(self.max_delay)
    }

    /// The wait before retry number `retry`: the server's `Retry-After` when it sent one
    /// (capped), otherwise the backoff.
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        match retry_after {
            Some(after) => after.min(self.max_retry_after),
            None => self.backoff(retry),
        }
    }
}

/// Parses a `Retry-After` value given in seconds (the form SCM and the simulator use).
/// An HTTP-date is not understood and yields `None`, so the caller falls back to backoff.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    // `Duration::from_secs_f64` panics past u64::MAX seconds ("1e30"): saturate instead;
    // the caller caps the wait at `max_retry_after` anyway.
    v.parse::<f64>()
        .ok()
        .filter(|s| !s.is_nan() && *s >= 0.0)
        .map(|s| Duration::try_from_secs_f64(s).unwrap_or(Duration::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_seconds() {
        assert_eq!(parse_retry_after(" 3 "), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after("0.5"), Some(Duration::from_millis(500)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(parse_retry_after("-1"), None);
        assert_eq!(parse_retry_after("1e30"), Some(Duration::MAX));
        assert_eq!(parse_retry_after("inf"), Some(Duration::MAX));
        assert_eq!(parse_retry_after("NaN"), None);
        assert_eq!(
            RetryPolicy::default().delay(1, parse_retry_after("1e30")),
            RetryPolicy::default().max_retry_after
        );
    }

    proptest::proptest! {
        #[test]
        fn any_retry_after_header_is_a_bounded_wait(value in "\\PC{0,30}", float in proptest::num::f64::ANY, retry in 0u32..100) {
            let p = RetryPolicy::default();
            for v in [value, float.to_string(), format!("{float:e}")] {
                let wait = p.delay(retry, parse_retry_after(&v));
                proptest::prop_assert!(wait <= p.max_retry_after.max(p.max_delay));
            }
        }
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy::default();
        let first = p.backoff(1);
        assert!(first >= Duration::from_millis(187) && first <= Duration::from_millis(313));
        assert!(p.backoff(30) <= p.max_delay);
        assert_eq!(
            p.delay(1, Some(Duration::from_secs(600))),
            p.max_retry_after
        );
    }
}
