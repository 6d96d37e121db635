//! One collector per op command, each with the parser of its reply.
//!
//! A collector is data: its name, the command it sends, its default tier and a parse
//! function from the reply's `<result>` element to metric [`Families`]. Parsers never
//! panic; an unexpected shape is a [`ParseError`] that fails that collector only.

use panops_panos::xml::Element;

use crate::metrics::Families;

mod bgp;
mod certificates;
mod counters;
mod dataplane;
mod disk;
mod environment;
mod globalprotect;
mod ha;
mod interfaces;
mod licenses;
mod panorama;
mod resources;
mod sessions;
mod system;
mod userid;
mod vpn;

pub use counters::CounterFilter;
pub use panorama::{ManagedDevice, parse_devices};

/// How often a collector runs by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    /// Values that move (sessions, CPU, interfaces, HA): every 30 s by default.
    Fast,
    /// Values that change rarely (versions, licences, certificates): every 10 min.
    Slow,
}

/// Which devices a collector applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applies {
    /// Firewalls only (dataplane commands).
    Firewall,
    /// Panorama only.
    Panorama,
    /// Both.
    Both,
}

/// What a parser may need besides the reply.
#[derive(Debug, Clone)]
pub struct ParseContext {
    /// Now, as Unix seconds (for "expired" and ages).
    pub now: i64,
    /// Which global counters are exported.
    pub counters: CounterFilter,
}

impl Default for ParseContext {
    fn default() -> Self {
        ParseContext {
            now: chrono::Utc::now().timestamp(),
            counters: CounterFilter::default(),
        }
    }
}

/// The reply did not have the shape the collector expects.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unexpected reply shape: {0}")]
pub struct ParseError(pub String);

/// Parse function of a collector.
pub type ParseFn = fn(&Element, &ParseContext, &mut Families) -> Result<(), ParseError>;

/// A collector: one op command and its parser.
#[derive(Debug, Clone, Copy)]
pub struct Collector {
    /// Stable name (label value of `collector`, key of per-collector settings).
    pub name: &'static str,
    /// The op command as XML.
    pub command: &'static str,
    /// Default tier.
    pub tier: Tier,
    /// Devices it applies to.
    pub applies: Applies,
    /// Parser of the `<result>` element.
    pub parse: ParseFn,
}

/// All collectors, in collection order.
pub const ALL: &[Collector] = &[
    system::COLLECTOR,
    resources::COLLECTOR,
    disk::COLLECTOR,
    dataplane::COLLECTOR,
    sessions::COLLECTOR,
    interfaces::STATE,
    interfaces::COUNTERS,
    ha::COLLECTOR,
    licenses::COLLECTOR,
    certificates::COLLECTOR,
    environment::COLLECTOR,
    counters::COLLECTOR,
    bgp::COLLECTOR,
    vpn::COLLECTOR,
    globalprotect::COLLECTOR,
    userid::COLLECTOR,
    userid::MAPPINGS,
    panorama::COLLECTOR,
    panorama::DEVICE_GROUPS,
    panorama::TEMPLATES,
];

/// The collector called `name`.
pub fn by_name(name: &str) -> Option<&'static Collector> {
    ALL.iter().find(|c| c.name == name)
}

impl Collector {
    /// Whether it runs against a Panorama (`panorama == true`) or a firewall.
    pub fn applies_to(&self, panorama: bool) -> bool {
        match self.applies {
            Applies::Both => true,
            Applies::Firewall => !panorama,
            Applies::Panorama => panorama,
        }
    }
}

// ---- parse helpers shared by the collectors -----------------------------------------

/// Trimmed text of the element at `path` below `el`.
pub(crate) fn text(el: &Element, path: &str) -> Option<String> {
    el.path(path)
        .map(|e| e.deep_text())
        .filter(|t| !t.is_empty())
}

/// Required child text.
pub(crate) fn need(el: &Element, path: &str) -> Result<String, ParseError> {
    text(el, path).ok_or_else(|| ParseError(format!("<{path}> missing in <{}>", el.name)))
}

/// A number (accepting `12%`, `1,234` and surrounding spaces).
pub(crate) fn number(s: &str) -> Option<f64> {
    let t: String = s
        .trim()
        .trim_end_matches('%')
        .chars()
        .filter(|c| *c != ',')
        .collect();
    t.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// Required numeric child.
pub(crate) fn need_num(el: &Element, path: &str) -> Result<f64, ParseError> {
    let t = need(el, path)?;
    number(&t).ok_or_else(|| ParseError(format!("<{path}> is not a number: {t:?}")))
}

/// Optional numeric child.
pub(crate) fn opt_num(el: &Element, path: &str) -> Option<f64> {
    text(el, path).and_then(|t| number(&t))
}

/// `yes`/`true`/`up`/`connected` as 1.0, anything else 0.0.
pub(crate) fn truthy(s: &str) -> f64 {
    match s.trim().to_ascii_lowercase().as_str() {
        "yes" | "true" | "up" | "on" | "connected" | "established" | "active" => 1.0,
        _ => 0.0,
    }
}

/// The text of a reply whose result is plain text (CDATA), e.g. `show system resources`.
pub(crate) fn result_text(result: &Element) -> String {
    result.deep_text()
}

#[cfg(test)]
pub(crate) fn parse_fixture(c: &Collector, xml: &str) -> Result<Families, ParseError> {
    let doc = format!("<response status=\"success\"><result>{xml}</result></response>");
    let root = panops_panos::xml::parse(doc.as_bytes()).expect("fixture is XML");
    let result = root.child("result").expect("result");
    let mut f = Families::new();
    let ctx = ParseContext {
        now: 1_795_000_000,
        counters: CounterFilter::default(),
    };
    (c.parse)(result, &ctx, &mut f)?;
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_commands_are_xml() {
        let mut names: Vec<_> = ALL.iter().map(|c| c.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ALL.len());
        for c in ALL {
            assert!(
                panops_panos::xml::parse(c.command.as_bytes()).is_ok(),
                "{}",
                c.name
            );
            assert!(c.command.starts_with("<show>") || c.command.starts_with("<request>"));
        }
    }

    #[test]
    fn every_collector_rejects_an_unknown_shape() {
        for c in ALL {
            let r = parse_fixture(c, "<surprise><x>1</x></surprise>");
            assert!(r.is_err(), "{} accepted an unknown shape: {r:?}", c.name);
        }
    }
}
