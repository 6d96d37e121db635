//! The simulator's clock: real time plus an offset that tests can advance.
//!
//! Everything time-driven (job progress, User-ID and tag timeouts, the traffic model, log
//! time stamps, licence dates, uptime) reads this clock, so a test can jump ahead with
//! [`crate::SimHandle::advance_clock`] instead of sleeping.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use chrono::{DateTime, Utc};

/// A shared clock; clones see the same offset.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    offset_ms: Arc<AtomicU64>,
}

impl Clock {
    /// How far the clock has been advanced.
    pub fn offset(&self) -> Duration {
        Duration::from_millis(self.offset_ms.load(Ordering::Relaxed))
    }

    /// Move the clock forward (never backward: instants already handed out stay ordered).
    pub fn advance(&self, by: Duration) {
        let ms = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        // an offset of centuries would overflow Instant arithmetic on some platforms
        let cap = 100 * 365 * 86_400 * 1000;
        let cur = self.offset_ms.load(Ordering::Relaxed);
        self.offset_ms
            .store(cur.saturating_add(ms).min(cap), Ordering::Relaxed);
    }

    /// Monotonic now.
    pub fn now(&self) -> Instant {
        let real = Instant::now();
        real.checked_add(self.offset()).unwrap_or(real)
    }

    /// Wall-clock now.
    pub fn system(&self) -> SystemTime {
        let real = SystemTime::now();
        real.checked_add(self.offset()).unwrap_or(real)
    }

    /// Wall-clock now as UTC.
    pub fn utc(&self) -> DateTime<Utc> {
        let d = chrono::Duration::from_std(self.offset()).unwrap_or_default();
        Utc::now() + d
    }

    /// Unix seconds now.
    pub fn unix(&self) -> u64 {
        self.system()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
    }

    /// `YYYY/MM/DD HH:MM:SS`, the stamp PAN-OS uses in jobs and logs.
    pub fn stamp(&self) -> String {
        self.utc().format("%Y/%m/%d %H:%M:%S").to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advancing_moves_every_view_of_time() {
        let c = Clock::default();
        let shared = c.clone();
        let (i, u, s) = (c.now(), c.unix(), c.utc());
        shared.advance(Duration::from_secs(3600));
        assert!(c.now().duration_since(i) >= Duration::from_secs(3600));
        assert!(c.unix() >= u + 3600);
        assert!((c.utc() - s).num_seconds() >= 3600);
        // huge values saturate instead of panicking
        c.advance(Duration::MAX);
        let _ = c.now();
        let _ = c.stamp();
    }
}
