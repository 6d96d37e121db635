//! The exporter's own metrics (`/metrics`): API requests and errors per target and
//! collector, collection and probe durations, reloads, and process figures.

use std::sync::atomic::AtomicU64;

use prometheus_client::{
    encoding::text::encode,
    metrics::{
        counter::Counter,
        family::Family,
        gauge::Gauge,
        histogram::{Histogram, exponential_buckets},
    },
    registry::Registry,
};

use crate::metrics::Labels;

/// The exporter's own metrics.
pub struct OwnMetrics {
    registry: Registry,
    /// API requests sent, by target and collector.
    pub requests: Family<Labels, Counter>,
    /// Failed API requests, by target, collector and error kind.
    pub errors: Family<Labels, Counter>,
    /// Collection durations by collector.
    pub collection: Family<Labels, Histogram>,
    /// `/probe` durations.
    pub probe: Histogram,
    /// Devices being collected.
    pub devices: Gauge,
    /// Reloads by result.
    pub reloads: Family<Labels, Counter>,
    cpu: Gauge<f64, AtomicU64>,
    rss: Gauge,
}

impl std::fmt::Debug for OwnMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OwnMetrics").finish_non_exhaustive()
    }
}

impl Default for OwnMetrics {
    fn default() -> Self {
        Self::new()
    }
}

impl OwnMetrics {
    /// Register all families.
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let requests = Family::<Labels, Counter>::default();
        let errors = Family::<Labels, Counter>::default();
        let collection = Family::<Labels, Histogram>::new_with_constructor(
            (|| Histogram::new(exponential_buckets(0.01, 2.0, 12))) as fn() -> Histogram,
        );
        let probe = Histogram::new(exponential_buckets(0.0001, 2.0, 14));
        let devices = Gauge::default();
        let reloads = Family::<Labels, Counter>::default();
        let cpu = Gauge::<f64, AtomicU64>::default();
        let rss = Gauge::default();
        let start = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "panops_exporter_api_requests",
            "PAN-OS API requests sent by the scheduler.",
            requests.clone(),
        );
        registry.register(
            "panops_exporter_api_errors",
            "PAN-OS API requests that failed, by error kind.",
            errors.clone(),
        );
        registry.register(
            "panops_exporter_collection_duration_seconds",
            "Duration of one collection (request and parse).",
            collection.clone(),
        );
        registry.register(
            "panops_exporter_probe_duration_seconds",
            "Time to answer a /probe scrape from the cache.",
            probe.clone(),
        );
        registry.register(
            "panops_exporter_devices",
            "Devices being collected.",
            devices.clone(),
        );
        registry.register(
            "panops_exporter_reloads",
            "Reloads of the targets file by result.",
            reloads.clone(),
        );
        registry.register(
            "process_cpu_seconds",
            "User and system CPU time.",
            cpu.clone(),
        );
        registry.register(
            "process_resident_memory_bytes",
            "Resident set size.",
            rss.clone(),
        );
        registry.register(
            "process_start_time_seconds",
            "Process start time (Unix seconds).",
            start.clone(),
        );
        start.set(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs_f64())
                .unwrap_or(0.0),
        );
        OwnMetrics {
            registry,
            requests,
            errors,
            collection,
            probe,
            devices,
            reloads,
            cpu,
            rss,
        }
    }

    /// Encode (refreshing the process figures first).
    pub fn encode(&self) -> String {
        if let Some((cpu, rss)) = process_figures() {
            self.cpu.set(cpu);
            self.rss.set(rss as i64);
        }
        let mut out = String::new();
        let _ = encode(&mut out, &self.registry);
        out
    }
}

/// CPU seconds and RSS bytes from `/proc/self` (Linux; `None` elsewhere).
pub fn process_figures() -> Option<(f64, u64)> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // fields after the parenthesised command name; utime and stime are 14th and 15th
    let rest = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = 100.0; // USER_HZ is 100 on every Linux platform Rust targets
    let utime: f64 = f.get(11)?.parse().ok()?;
    let stime: f64 = f.get(12)?.parse().ok()?;
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(((utime + stime) / ticks, pages * 4096))
}
