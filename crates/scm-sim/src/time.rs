//! Simulator clock and RFC 3339 formatting.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// Wall clock plus an adjustable offset (tests advance token time without waiting).
#[derive(Debug)]
pub struct SimClock {
    offset_secs: AtomicI64,
    started: Instant,
}

impl Default for SimClock {
    fn default() -> Self {
        Self::new()
    }
}

impl SimClock {
    /// A clock equal to the wall clock.
    pub fn new() -> Self {
        Self {
            offset_secs: AtomicI64::new(0),
            started: Instant::now(),
        }
    }

    /// Unix seconds, including the offset.
    pub fn now_unix(&self) -> i64 {
        let wall = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        wall + self.offset_secs.load(Ordering::Relaxed)
    }

    /// Milliseconds since start, including the offset (monotonic; drives job progress).
    pub fn now_ms(&self) -> u64 {
        let base = self.started.elapsed().as_millis() as i64;
        (base + self.offset_secs.load(Ordering::Relaxed) * 1000).max(0) as u64
    }

    /// Moves the clock forward.
    pub fn advance(&self, secs: i64) {
        self.offset_secs.fetch_add(secs, Ordering::Relaxed);
    }

    /// Current offset from the wall clock.
    pub fn offset_secs(&self) -> i64 {
        self.offset_secs.load(Ordering::Relaxed)
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` for unix seconds.
pub fn format_rfc3339(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let mut year = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    if month <= 2 {
        year += 1;
    }
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        (secs % 3600) / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_dates() {
        assert_eq!(format_rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(format_rfc3339(1_795_323_137), "2026-11-22T04:52:17Z");
    }

    #[test]
    fn clock_advances() {
        let c = SimClock::new();
        let before = c.now_unix();
        c.advance(600);
        assert!(c.now_unix() >= before + 600);
        assert!(c.now_ms() >= 600_000);
    }
}
