//! The exporter's own, device-independent metric model and its OpenMetrics encoding.
//!
//! Collectors produce [`Families`] (plain data, cheap to cache and merge); a scrape turns
//! the cached families into a `prometheus-client` registry and encodes it. Keeping the
//! model separate from the registry lets a scrape combine the results of many collectors
//! collected at different times without holding any lock on them while encoding.

use std::sync::atomic::AtomicU64;

use prometheus_client::{
    encoding::text::encode,
    metrics::{counter::Counter, family::Family, gauge::Gauge},
    registry::Registry,
};

/// Label pairs of one series.
pub type Labels = Vec<(String, String)>;

/// Whether a family is a gauge or a counter (encoded with the `_total` suffix).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A value that goes up and down (also used for `*_info` and enum states).
    Gauge,
    /// A monotonically growing count; its name is given without `_total`.
    Counter,
}

/// One metric family: name, help, kind and its series.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricFamily {
    /// Name without the `_total` suffix for counters.
    pub name: String,
    /// Help text.
    pub help: String,
    /// Gauge or counter.
    pub kind: Kind,
    /// Label sets and values; a repeated label set keeps the first value.
    pub series: Vec<(Labels, f64)>,
}

/// An ordered set of metric families.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Families {
    families: Vec<MetricFamily>,
}

/// Build a label set from `(name, value)` pairs.
pub fn labels<const N: usize>(pairs: [(&str, &str); N]) -> Labels {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

impl Families {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    fn family(&mut self, name: &str, help: &str, kind: Kind) -> &mut MetricFamily {
        let pos = match self.families.iter().position(|f| f.name == name) {
            Some(p) => p,
            None => {
                self.families.push(MetricFamily {
                    name: name.to_owned(),
                    help: help.to_owned(),
                    kind,
                    series: Vec::new(),
                });
                self.families.len() - 1
            }
        };
        &mut self.families[pos]
    }

    /// Add a gauge sample.
    pub fn gauge(&mut self, name: &str, help: &str, labels: Labels, value: f64) {
        self.family(name, help, Kind::Gauge)
            .series
            .push((labels, value));
    }

    /// Add a counter sample (`name` without `_total`).
    pub fn counter(&mut self, name: &str, help: &str, labels: Labels, value: f64) {
        self.family(name, help, Kind::Counter)
            .series
            .push((labels, value));
    }

    /// An enum state: one series per known state, 1 for the current one. A state the
    /// device reports that is not in `known` is added, so nothing is hidden.
    pub fn state(&mut self, name: &str, help: &str, base: Labels, known: &[&str], current: &str) {
        let current = current.trim().to_ascii_lowercase();
        let mut states: Vec<String> = known.iter().map(|s| (*s).to_owned()).collect();
        if !current.is_empty() && !states.contains(&current) {
            states.push(current.clone());
        }
        for s in states {
            let mut l = base.clone();
            let v = if s == current { 1.0 } else { 0.0 };
            l.push(("state".into(), s));
            self.gauge(name, help, l, v);
        }
    }

    /// The families.
    pub fn iter(&self) -> impl Iterator<Item = &MetricFamily> {
        self.families.iter()
    }

    /// Number of series over all families.
    pub fn series_count(&self) -> usize {
        self.families.iter().map(|f| f.series.len()).sum()
    }

    /// Find a family by name (counters without `_total`).
    pub fn get(&self, name: &str) -> Option<&MetricFamily> {
        self.families.iter().find(|f| f.name == name)
    }

    /// The value of the first series of `name` whose labels include all of `want`.
    pub fn value(&self, name: &str, want: &[(&str, &str)]) -> Option<f64> {
        self.get(name)?
            .series
            .iter()
            .find(|(l, _)| {
                want.iter()
                    .all(|(k, v)| l.iter().any(|(lk, lv)| lk == k && lv == v))
            })
            .map(|(_, v)| *v)
    }

    /// Append all families of `other`, adding `extra` labels to every series.
    pub fn merge(&mut self, other: &Families, extra: &Labels) {
        for f in &other.families {
            let dst = self.family(&f.name, &f.help, f.kind);
            for (l, v) in &f.series {
                let mut l2 = extra.clone();
                l2.extend(l.iter().cloned());
                dst.series.push((l2, *v));
            }
        }
    }

    /// Encode as OpenMetrics text (with the closing `# EOF`).
    pub fn encode(&self) -> String {
        let mut registry = Registry::default();
        for f in &self.families {
            // A device can report the same entry twice (PA-5450 empty interface names):
            // keep the first, as a duplicate series makes the whole exposition invalid.
            let mut seen = std::collections::HashSet::new();
            // a family of one series without labels is a plain metric: `name 1`, not `name{} 1`
            if let [(l, v)] = f.series.as_slice()
                && l.is_empty()
            {
                match f.kind {
                    Kind::Gauge => {
                        let g = Gauge::<f64, AtomicU64>::default();
                        g.set(*v);
                        registry.register(f.name.clone(), f.help.clone(), g);
                    }
                    Kind::Counter => {
                        let c = Counter::<f64, AtomicU64>::default();
                        if v.is_finite() && *v >= 0.0 {
                            c.inc_by(*v);
                        }
                        registry.register(f.name.clone(), f.help.clone(), c);
                    }
                }
                continue;
            }
            match f.kind {
                Kind::Gauge => {
                    let fam = Family::<Labels, Gauge<f64, AtomicU64>>::default();
                    for (l, v) in &f.series {
                        let l = escape_labels(l);
                        if seen.insert(l.clone()) {
                            fam.get_or_create(&l).set(*v);
                        }
                    }
                    registry.register(f.name.clone(), f.help.clone(), fam);
                }
                Kind::Counter => {
                    let fam = Family::<Labels, Counter<f64, AtomicU64>>::default();
                    for (l, v) in &f.series {
                        let l = escape_labels(l);
                        if seen.insert(l.clone()) && v.is_finite() && *v >= 0.0 {
                            fam.get_or_create(&l).inc_by(*v);
                        }
                    }
                    registry.register(f.name.clone(), f.help.clone(), fam);
                }
            }
        }
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut out, &registry);
        out
    }
}

/// `prometheus-client` writes label values as given, so the exposition escapes are
/// applied here (device data such as certificate issuers contain quotes and backslashes).
fn escape_labels(l: &Labels) -> Labels {
    l.iter()
        .map(|(k, v)| (sanitize_name(k), escape_value(v)))
        .collect()
}

fn escape_value(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Label names are ours, but make sure a typo can never break the exposition.
fn sanitize_name(k: &str) -> String {
    k.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_get_total_and_values_are_escaped() {
        let mut f = Families::new();
        f.counter("panos_x", "x", labels([("a", "q\"b\\c\nd")]), 5.0);
        f.gauge("panos_g", "g", labels([("a", "1")]), 1.5);
        f.gauge("panos_g", "g", labels([("a", "1")]), 9.0);
        let text = f.encode();
        assert!(
            text.contains("panos_x_total{a=\"q\\\"b\\\\c\\nd\"} 5"),
            "{text}"
        );
        assert!(text.contains("panos_g{a=\"1\"} 1.5"), "{text}");
        assert!(!text.contains(" 9.0"), "duplicate series kept: {text}");
        assert!(text.ends_with("# EOF\n"));
        let mut one = Families::new();
        one.gauge("panos_up", "1 when up", vec![], 1.0);
        one.counter("panos_n", "n", vec![], 3.0);
        let text = one.encode();
        assert!(text.contains("\npanos_up 1.0\n"), "{text}");
        assert!(text.contains("\npanos_n_total 3.0\n"), "{text}");
        assert!(!text.contains("{}"), "{text}");
    }

    #[test]
    fn state_marks_current_and_adds_unknown() {
        let mut f = Families::new();
        f.state("s", "h", vec![], &["active", "passive"], "Weird");
        assert_eq!(f.value("s", &[("state", "active")]), Some(0.0));
        assert_eq!(f.value("s", &[("state", "weird")]), Some(1.0));
    }
}
