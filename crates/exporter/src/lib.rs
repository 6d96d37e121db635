//! Monitoring for PAN-OS firewalls and Panorama estates: collectors (one per op command,
//! each with its parser), a cache filled by a tiered background scheduler, Prometheus
//! exposition (OpenMetrics via `prometheus-client`), an HTTP server with the multi-target
//! `/probe` pattern, and the Nagios-style checks behind `panops check`.
//!
//! Parsers are sans-IO and can be used alone:
//!
//! ```
//! use panops_exporter::collectors::{self, ParseContext};
//! use panops_exporter::metrics::Families;
//!
//! let doc = b"<response status=\"success\"><result><num-max>1000</num-max><num-active>250</num-active></result></response>";
//! let root = panops_panos::xml::parse(doc).unwrap();
//! let sessions = collectors::by_name("sessions").unwrap();
//! let mut out = Families::new();
//! (sessions.parse)(root.child("result").unwrap(), &ParseContext::default(), &mut out).unwrap();
//! assert_eq!(out.value("panos_session_table_utilization_ratio", &[]), Some(0.25));
//! ```

pub mod cache;
pub mod check;
pub mod collectors;
pub mod metrics;
pub mod own;
pub mod scheduler;
pub mod server;
pub mod targets;
