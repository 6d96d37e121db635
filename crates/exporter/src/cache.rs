//! The collection cache: per device, the last result of each collector and its status.
//! Scrapes read from here and never wait for a device.

use std::{
    collections::BTreeMap,
    sync::Arc,
    time::{Duration, SystemTime},
};

use bytes::Bytes;
use parking_lot::{Mutex, RwLock};

use crate::metrics::{Families, Labels, labels};

/// Why a collection failed, as a bounded label value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ErrorKind {
    /// No connection (refused, DNS, TLS, reset).
    Unreachable,
    /// No answer within the timeout.
    Timeout,
    /// Key rejected and no (working) credentials to make a new one.
    Auth,
    /// The admin role does not allow the command.
    Permission,
    /// The device answered with another error.
    Api,
    /// The answer was not a PAN-OS XML response.
    Decode,
    /// The answer was larger than the configured limit.
    TooLarge,
    /// The answer had an unexpected shape for this collector.
    Shape,
    /// The firewall is no longer listed as connected by its Panorama.
    Gone,
    /// Skipped while the target backs off after a connection failure.
    Backoff,
}

impl ErrorKind {
    /// Label value.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Unreachable => "unreachable",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Auth => "auth",
            ErrorKind::Permission => "permission",
            ErrorKind::Api => "api",
            ErrorKind::Decode => "decode",
            ErrorKind::TooLarge => "too_large",
            ErrorKind::Shape => "shape",
            ErrorKind::Gone => "gone",
            ErrorKind::Backoff => "backoff",
        }
    }

    /// Whether the whole target is unreachable (and should back off), rather than this
    /// one command failing.
    pub fn is_target_down(self) -> bool {
        matches!(self, ErrorKind::Unreachable | ErrorKind::Timeout)
    }
}

/// A failed collection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectError {
    /// Class.
    pub kind: ErrorKind,
    /// Message for the `/` page and the log (never holds a secret).
    pub message: String,
}

/// The status of one collector on one device.
#[derive(Debug, Clone)]
pub struct CollectorStatus {
    /// Last attempt succeeded.
    pub success: bool,
    /// When the last attempt ended.
    pub last_attempt: Option<SystemTime>,
    /// When the last successful attempt ended.
    pub last_success: Option<SystemTime>,
    /// Duration of the last attempt.
    pub duration: Duration,
    /// The error of the last attempt.
    pub error: Option<CollectError>,
    /// Series from the last success (kept while later attempts fail, with staleness shown).
    pub families: Arc<Families>,
}

/// Everything known about one device.
#[derive(Debug, Clone)]
pub struct DeviceStatus {
    /// The configured target this device belongs to.
    pub target: String,
    /// Serial, for firewalls behind a Panorama.
    pub serial: Option<String>,
    /// Labels added to every series.
    pub labels: Labels,
    /// Per collector.
    pub collectors: BTreeMap<&'static str, CollectorStatus>,
    /// Set when the device is no longer collected (gone from Panorama).
    pub gone: Option<String>,
    rendered: Option<Bytes>,
}

/// The cache, keyed by what `/probe?target=` takes (target name, or serial behind Panorama).
#[derive(Debug, Default)]
pub struct Cache {
    devices: RwLock<BTreeMap<String, Arc<Mutex<DeviceStatus>>>>,
}

fn unix(t: SystemTime) -> f64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

impl Cache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// Register a device (keeps existing state when it is already known).
    pub fn ensure(&self, key: &str, target: &str, serial: Option<&str>, extra: Labels) {
        let mut d = self.devices.write();
        let entry = d.entry(key.to_owned()).or_insert_with(|| {
            Arc::new(Mutex::new(DeviceStatus {
                target: target.to_owned(),
                serial: serial.map(str::to_owned),
                labels: extra.clone(),
                collectors: BTreeMap::new(),
                gone: None,
                rendered: None,
            }))
        });
        let mut s = entry.lock();
        s.gone = None;
        s.labels = extra;
        s.rendered = None;
    }

    /// Forget devices not in `keep` (after a reload).
    pub fn retain(&self, keep: impl Fn(&str, &DeviceStatus) -> bool) {
        self.devices.write().retain(|k, v| keep(k, &v.lock()));
    }

    /// Mark a device as no longer collected.
    pub fn mark_gone(&self, key: &str, why: &str) {
        if let Some(d) = self.devices.read().get(key) {
            let mut s = d.lock();
            s.gone = Some(why.to_owned());
            for c in s.collectors.values_mut() {
                c.success = false;
                c.error = Some(CollectError {
                    kind: ErrorKind::Gone,
                    message: why.to_owned(),
                });
            }
            s.rendered = None;
        }
    }

    /// The device is unreachable: every other collector is marked failed (its data kept,
    /// its staleness visible) until it runs again after the backoff.
    pub fn mark_backoff(&self, key: &str, failed: &str, why: &str) {
        if let Some(d) = self.devices.read().get(key) {
            let mut s = d.lock();
            for (name, c) in s.collectors.iter_mut() {
                if *name != failed {
                    c.success = false;
                    c.error = Some(CollectError {
                        kind: ErrorKind::Backoff,
                        message: why.to_owned(),
                    });
                }
            }
            s.rendered = None;
        }
    }

    /// Record the outcome of one collection.
    pub fn record(
        &self,
        key: &str,
        collector: &'static str,
        duration: Duration,
        outcome: Result<Families, CollectError>,
    ) {
        let Some(d) = self.devices.read().get(key).cloned() else {
            return;
        };
        let now = SystemTime::now();
        let mut s = d.lock();
        let c = s
            .collectors
            .entry(collector)
            .or_insert_with(|| CollectorStatus {
                success: false,
                last_attempt: None,
                last_success: None,
                duration,
                error: None,
                families: Arc::new(Families::new()),
            });
        c.last_attempt = Some(now);
        c.duration = duration;
        match outcome {
            Ok(f) => {
                c.success = true;
                c.last_success = Some(now);
                c.error = None;
                c.families = Arc::new(f);
            }
            Err(e) => {
                c.success = false;
                c.error = Some(e);
            }
        }
        s.rendered = None;
    }

    /// Keys of all devices.
    pub fn keys(&self) -> Vec<String> {
        self.devices.read().keys().cloned().collect()
    }

    /// A snapshot of a device's status.
    pub fn status(&self, key: &str) -> Option<DeviceStatus> {
        self.devices.read().get(key).map(|d| d.lock().clone())
    }

    /// The exposition of a device, encoded once per change and shared by all scrapes
    /// (a scrape clones a reference-counted buffer; nothing is copied or re-encoded).
    pub fn render(&self, key: &str) -> Option<Bytes> {
        let d = self.devices.read().get(key).cloned()?;
        let mut s = d.lock();
        if let Some(r) = &s.rendered {
            return Some(r.clone());
        }
        let text = Bytes::from(exposition(&s).encode());
        s.rendered = Some(text.clone());
        Some(text)
    }

    /// [`render`](Self::render) as text.
    pub fn render_string(&self, key: &str) -> Option<String> {
        self.render(key)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
    }
}

/// The families of a device: health of each collector first, then the data.
pub fn exposition(s: &DeviceStatus) -> Families {
    let mut out = Families::new();
    let base = &s.labels;
    let with = |extra: Labels| {
        let mut l = base.clone();
        l.extend(extra);
        l
    };
    let up = s.gone.is_none() && s.collectors.values().any(|c| c.success);
    out.gauge(
        "panos_up",
        "1 when the last collection of at least one collector succeeded.",
        base.clone(),
        if up { 1.0 } else { 0.0 },
    );
    for (name, c) in &s.collectors {
        let l = with(labels([("collector", name)]));
        out.gauge(
            "panos_collector_success",
            "1 when the last collection by this collector succeeded.",
            l.clone(),
            if c.success { 1.0 } else { 0.0 },
        );
        out.gauge(
            "panos_collector_duration_seconds",
            "Duration of the last collection by this collector.",
            l.clone(),
            c.duration.as_secs_f64(),
        );
        if let Some(t) = c.last_success {
            out.gauge(
                "panos_collector_last_success_timestamp_seconds",
                "When this collector last succeeded (compare with time() for staleness).",
                l.clone(),
                unix(t),
            );
        }
        if let Some(e) = &c.error {
            out.gauge(
                "panos_collector_error",
                "1 for the class of error of the last failed collection.",
                with(labels([("collector", name), ("kind", e.kind.as_str())])),
                1.0,
            );
        }
    }
    for c in s.collectors.values() {
        out.merge(&c.families, base);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_keeps_data_and_shows_staleness() {
        let c = Cache::new();
        c.ensure("fw", "fw", None, labels([("site", "hq")]));
        let mut f = Families::new();
        f.gauge("panos_sessions_active", "a", vec![], 5.0);
        c.record("fw", "sessions", Duration::from_millis(3), Ok(f));
        let first = c.render("fw").unwrap();
        assert_eq!(
            first.as_ptr(),
            c.render("fw").unwrap().as_ptr(),
            "cached between changes"
        );
        c.record(
            "fw",
            "sessions",
            Duration::from_millis(4),
            Err(CollectError {
                kind: ErrorKind::Shape,
                message: "x".into(),
            }),
        );
        let text = c.render_string("fw").unwrap();
        assert!(
            text.contains("panos_sessions_active{site=\"hq\"} 5"),
            "{text}"
        );
        assert!(
            text.contains("panos_collector_success{site=\"hq\",collector=\"sessions\"} 0"),
            "{text}"
        );
        assert!(text.contains("kind=\"shape\""), "{text}");
        assert!(
            text.contains("panos_collector_last_success_timestamp_seconds"),
            "{text}"
        );
        assert!(text.contains("panos_up{site=\"hq\"} 0"), "{text}");
        c.mark_gone("fw", "gone");
        assert!(c.render_string("fw").unwrap().contains("kind=\"gone\""));
    }
}
