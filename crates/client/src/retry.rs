//! The one retry policy of every device client (PAN-OS XML API and SCM): which failures are
//! worth another attempt, and how long to wait before it.
//!
//! Classification ([`RetryClass`]) comes first and is shared:
//! - nothing was sent (connection refused, unreachable, DNS) or the server refused before
//!   acting (429): safe to retry **any** call, a change included;
//! - the request may have reached the server (timeout, reset mid-exchange, 5xx): retried
//!   only for idempotent calls (reads, and SCM's GET / PUT / DELETE), where repeating gives
//!   the same end state — never for a config write, commit, push or POST, where a retry
//!   could apply a change twice;
//! - the same answer every time (TLS certificate rejected, a port without TLS, 4xx):
//!   never retried.
//!
//! The wait is exponential backoff with "equal jitter", or the server's `Retry-After`
//! (capped) when it sent one.
//!
//! ```
//! use panops_client::retry::{RetryClass, RetryPolicy, classify_status};
//! let p = RetryPolicy::default();
//! assert_eq!(classify_status(429), RetryClass::Throttled);
//! assert!(p.should_retry(false, RetryClass::Throttled, 1));
//! assert!(!p.should_retry(false, RetryClass::ServerError, 1));
//! ```

use std::time::Duration;

use crate::http::TransportKind;

/// Retry classification of one failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryClass {
    /// No connection was made (refused, unreachable, DNS): nothing was sent, so even a
    /// change may be tried again.
    NotSent,
    /// Timeout, or the connection broke off mid-exchange: the request may or may not have
    /// reached the device.
    Transient,
    /// HTTP 5xx: the server or a proxy in front of it failed, possibly after acting.
    ServerError,
    /// HTTP 429: the server refused the call before acting on it (rate limit), so even a
    /// change may be tried again, after the server's `Retry-After` when it gives one.
    Throttled,
    /// Retrying cannot help (TLS verification failure, no TLS on the port, 4xx, ...).
    Permanent,
}

impl RetryClass {
    /// True when the request may have been acted on (the answer, not the request, was
    /// lost or was an error): a DELETE that then answers 404 most likely succeeded.
    pub fn may_have_acted(self) -> bool {
        matches!(self, Self::Transient | Self::ServerError)
    }
}

/// Classify a transport failure.
pub fn classify_transport(kind: TransportKind) -> RetryClass {
    match kind {
        // A refused connection is retried: a device that reboots or restarts its
        // management server refuses for a few seconds.
        TransportKind::Connect | TransportKind::Refused => RetryClass::NotSent,
        TransportKind::Timeout | TransportKind::Interrupted => RetryClass::Transient,
        // A certificate verdict or a port without TLS gives the same answer every time.
        TransportKind::Certificate | TransportKind::NotTls | TransportKind::Other => {
            RetryClass::Permanent
        }
    }
}

/// Classify an HTTP status of a failed call (2xx and 3xx are not failures: `Permanent`).
pub fn classify_status(status: u16) -> RetryClass {
    match status {
        429 => RetryClass::Throttled,
        500..=599 => RetryClass::ServerError,
        _ => RetryClass::Permanent,
    }
}

/// How often and how patiently a call is retried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Total attempts including the first (1 disables retries).
    pub max_attempts: u32,
    /// Delay before the first retry when the server gives no `Retry-After`.
    pub initial_backoff: Duration,
    /// Upper bound of one backoff delay.
    pub max_backoff: Duration,
    /// Upper bound applied to a server's `Retry-After`.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// Whether attempt number `attempt` (1-based) that failed with `class` may be
    /// retried. Non-idempotent requests (config writes, commits, pushes, User-ID updates,
    /// imports, SCM POSTs) are retried only when they were certainly not acted on
    /// ([`RetryClass::NotSent`], [`RetryClass::Throttled`]).
    pub fn should_retry(&self, idempotent: bool, class: RetryClass, attempt: u32) -> bool {
        let safe = idempotent || matches!(class, RetryClass::NotSent | RetryClass::Throttled);
        safe && class != RetryClass::Permanent && attempt < self.max_attempts
    }

    /// Delay before retry number `attempt` (1-based): `initial * 2^(attempt-1)`,
    /// capped at `max_backoff`, then "equal jitter" (half fixed, half random) so
    /// clients that failed together do not retry together.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let exp = attempt.saturating_sub(1).min(20);
        let base = self
            .initial_backoff
            .saturating_mul(1u32 << exp)
            .min(self.max_backoff);
        let half = base / 2;
        let jitter_ms = half.as_millis() as u64;
        let jitter = if jitter_ms == 0 {
            Duration::ZERO
        } else {
            Duration::from_millis(rand::random::<u64>() % (jitter_ms + 1))
        };
        half + jitter
    }

    /// The wait before retry number `attempt`: the server's `Retry-After` when it sent one
    /// (capped at `max_retry_after`), otherwise the backoff.
    pub fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        match retry_after {
            Some(after) => after.min(self.max_retry_after),
            None => self.backoff(attempt),
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
    fn retry_rules() {
        let p = RetryPolicy::default();
        assert!(p.should_retry(true, RetryClass::Transient, 1));
        assert!(p.should_retry(true, RetryClass::ServerError, 3));
        assert!(!p.should_retry(true, RetryClass::ServerError, 4));
        assert!(!p.should_retry(false, RetryClass::Transient, 1));
        assert!(!p.should_retry(false, RetryClass::ServerError, 1));
        assert!(!p.should_retry(true, RetryClass::Permanent, 1));
        // Nothing was sent, or the server refused before acting: even a change may be
        // tried again.
        assert!(p.should_retry(false, RetryClass::NotSent, 1));
        assert!(!p.should_retry(false, RetryClass::NotSent, 4));
        assert!(p.should_retry(false, RetryClass::Throttled, 1));
        assert!(p.should_retry(true, RetryClass::Throttled, 3));
        assert!(!RetryPolicy::none().should_retry(true, RetryClass::NotSent, 1));
    }

    /// One classification for both clients: what is transient, what is not.
    #[test]
    fn one_classification_of_transport_failures_and_statuses() {
        for (kind, class) in [
            (TransportKind::Refused, RetryClass::NotSent),
            (TransportKind::Connect, RetryClass::NotSent),
            (TransportKind::Timeout, RetryClass::Transient),
            (TransportKind::Interrupted, RetryClass::Transient),
            // A TLS verification failure gives the same verdict on every attempt.
            (TransportKind::Certificate, RetryClass::Permanent),
            (TransportKind::NotTls, RetryClass::Permanent),
            (TransportKind::Other, RetryClass::Permanent),
        ] {
            assert_eq!(classify_transport(kind), class, "{kind:?}");
        }
        for (status, class) in [
            (429, RetryClass::Throttled),
            (500, RetryClass::ServerError),
            (502, RetryClass::ServerError),
            (503, RetryClass::ServerError),
            (599, RetryClass::ServerError),
            (400, RetryClass::Permanent),
            (401, RetryClass::Permanent),
            (404, RetryClass::Permanent),
            (200, RetryClass::Permanent),
        ] {
            assert_eq!(classify_status(status), class, "{status}");
        }
        assert!(RetryClass::Transient.may_have_acted());
        assert!(RetryClass::ServerError.may_have_acted());
        assert!(!RetryClass::NotSent.may_have_acted());
        assert!(!RetryClass::Throttled.may_have_acted());
        assert!(!RetryClass::Permanent.may_have_acted());
    }

    #[test]
    fn backoff_grows_with_jitter_and_is_capped() {
        let p = RetryPolicy::default();
        for attempt in 1..10 {
            let d = p.backoff(attempt);
            let cap = p
                .initial_backoff
                .saturating_mul(1 << (attempt - 1))
                .min(p.max_backoff);
            assert!(d >= cap / 2 && d <= cap, "attempt {attempt}: {d:?}");
        }
        assert!(p.backoff(u32::MAX) <= p.max_backoff);
        assert_eq!(
            p.delay(1, Some(Duration::from_secs(600))),
            p.max_retry_after
        );
        assert_eq!(
            p.delay(1, Some(Duration::from_secs(3))),
            Duration::from_secs(3)
        );
    }

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
                proptest::prop_assert!(wait <= p.max_retry_after.max(p.max_backoff));
            }
        }
    }
}
