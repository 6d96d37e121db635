//! The collection cache: per device, the last result of each collector and its status.
//! Scrapes read from here and never wait for a device.

use std::{
    collections::BTreeMap,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
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
}

/// One device in the cache: its status, and the exposition last encoded from it.
///
/// The exposition lives apart from the status so that a scrape never waits for a
/// collector updating the status nor for an encoding: it compares two counters and
/// clones a reference-counted buffer under a read lock.
#[derive(Debug)]
struct Entry {
    status: Mutex<DeviceStatus>,
    /// Bumped (under the status lock) by every change of the status.
    version: AtomicU64,
    /// The exposition and the status version it was encoded from.
    rendered: RwLock<(u64, Option<Bytes>)>,
}

impl Entry {
    /// Change the status; the rendered exposition becomes stale.
    fn update(&self, f: impl FnOnce(&mut DeviceStatus)) {
        let mut s = self.status.lock();
        f(&mut s);
        self.version.fetch_add(1, Ordering::Release);
    }
}

/// The cache, keyed by what `/probe?target=` takes (target name, or serial behind Panorama).
#[derive(Debug, Default)]
pub struct Cache {
    devices: RwLock<BTreeMap<String, Arc<Entry>>>,
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
            Arc::new(Entry {
                status: Mutex::new(DeviceStatus {
                    target: target.to_owned(),
                    serial: serial.map(str::to_owned),
                    labels: extra.clone(),
                    collectors: BTreeMap::new(),
                    gone: None,
                }),
                version: AtomicU64::new(1),
                rendered: RwLock::new((0, None)),
            })
        });
        entry.update(|s| {
            s.gone = None;
            s.labels = extra;
        });
    }

    /// Forget devices not in `keep` (after a reload).
    pub fn retain(&self, keep: impl Fn(&str, &DeviceStatus) -> bool) {
        self.devices
            .write()
            .retain(|k, v| keep(k, &v.status.lock()));
    }

    /// Mark a device as no longer collected.
    pub fn mark_gone(&self, key: &str, why: &str) {
        if let Some(d) = self.devices.read().get(key) {
            d.update(|s| {
                s.gone = Some(why.to_owned());
                for c in s.collectors.values_mut() {
                    c.success = false;
                    c.error = Some(CollectError {
                        kind: ErrorKind::Gone,
                        message: why.to_owned(),
                    });
                }
            });
        }
    }

    /// The device is unreachable: every other collector is marked failed (its data kept,
    /// its staleness visible) until it runs again after the backoff.
    pub fn mark_backoff(&self, key: &str, failed: &str, why: &str) {
        if let Some(d) = self.devices.read().get(key) {
            d.update(|s| {
                for (name, c) in s.collectors.iter_mut() {
                    if *name != failed {
                        c.success = false;
                        c.error = Some(CollectError {
                            kind: ErrorKind::Backoff,
                            message: why.to_owned(),
                        });
                    }
                }
            });
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
        d.update(|s| Self::apply(s, collector, duration, outcome, now));
    }

    fn apply(
        s: &mut DeviceStatus,
        collector: &'static str,
        duration: Duration,
        outcome: Result<Families, CollectError>,
        now: SystemTime,
    ) {
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
    }

    /// Keys of all devices.
    pub fn keys(&self) -> Vec<String> {
        self.devices.read().keys().cloned().collect()
    }

    /// A snapshot of a device's status.
    pub fn status(&self, key: &str) -> Option<DeviceStatus> {
        self.devices
            .read()
            .get(key)
            .map(|d| d.status.lock().clone())
    }

    /// Whether `key` is a known device (no copy of its status).
    pub fn contains(&self, key: &str) -> bool {
        self.devices.read().contains_key(key)
    }

    /// The exposition of a device, encoded once per change and shared by all scrapes: a
    /// scrape of an up-to-date device clones a reference-counted buffer under a read lock.
    /// When the status changed since the last encoding, the status is copied (its
    /// families are shared, not copied) and encoded outside every lock.
    pub fn render(&self, key: &str) -> Option<Bytes> {
        let d = self.devices.read().get(key).cloned()?;
        {
            let r = d.rendered.read();
            if r.0 == d.version.load(Ordering::Acquire)
                && let Some(b) = &r.1
            {
                return Some(b.clone());
            }
        }
        let (version, snapshot) = {
            let s = d.status.lock();
            (d.version.load(Ordering::Acquire), s.clone())
        };
        let text = Bytes::from(exposition(&snapshot).encode());
        let mut r = d.rendered.write();
        // a concurrent render of a newer status wins
        if r.0 <= version {
            *r = (version, Some(text.clone()));
        }
        Some(text)
    }

    /// Encode a device's exposition now (the collection loop calls this when a burst of
    /// collections ends, so that scrapes find it ready).
    pub fn prerender(&self, key: &str) {
        let _ = self.render(key);
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

    #[test]
    fn a_scrape_of_a_prerendered_device_waits_for_nothing() {
        let c = Arc::new(Cache::new());
        c.ensure("fw", "fw", None, vec![]);
        let mut f = Families::new();
        f.gauge("panos_sessions_active", "a", vec![], 7.0);
        c.record("fw", "sessions", Duration::from_millis(1), Ok(f));
        c.prerender("fw");
        let entry = c.devices.read()["fw"].clone();
        assert_eq!(
            entry.rendered.read().0,
            entry.version.load(Ordering::Acquire),
            "encoded for the current status"
        );
        // a collector holding the device's status does not hold up a scrape
        let held = entry.status.lock();
        let (tx, rx) = std::sync::mpsc::channel();
        let c2 = Arc::clone(&c);
        std::thread::spawn(move || {
            let _ = tx.send(c2.render_string("fw"));
        });
        let text = rx
            .recv_timeout(Duration::from_secs(5))
            .expect("the scrape did not wait for the status lock")
            .unwrap();
        drop(held);
        assert!(text.contains("panos_sessions_active 7"), "{text}");
        // a change makes the next scrape encode the new status
        c.record(
            "fw",
            "sessions",
            Duration::from_millis(1),
            Err(CollectError {
                kind: ErrorKind::Api,
                message: "x".into(),
            }),
        );
        assert!(c.render_string("fw").unwrap().contains("kind=\"api\""));
    }
}
