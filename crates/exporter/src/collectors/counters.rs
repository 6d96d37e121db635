//! `show counter global`: dataplane global counters as `_total` counters, filtered by an
//! allow-list and a severity list so the number of series stays bounded (a device has
//! hundreds of counters, and their set changes between releases).

use panops_panos::xml::Element;

use super::{Applies, Collector, ParseContext, ParseError, Tier, opt_num, text};
use crate::metrics::{Families, labels};

/// The collector.
pub const COLLECTOR: Collector = Collector {
    name: "global_counters",
    command: "<show><counter><global/></counter></show>",
    tier: Tier::Fast,
    applies: Applies::Firewall,
    parse,
};

/// Which global counters are exported.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CounterFilter {
    /// Counter names always exported.
    pub names: Vec<String>,
    /// Severities whose counters are all exported (`drop`, `error`, `warn`, `info`).
    pub severities: Vec<String>,
    /// Hard cap on the number of exported counters.
    pub max_series: usize,
}

impl Default for CounterFilter {
    fn default() -> Self {
        CounterFilter {
            names: [
                "session_allocated",
                "session_freed",
                "pkt_recv",
                "pkt_sent",
                "flow_fwd_l3_noarp",
                "flow_policy_deny",
                "flow_tcp_non_syn_drop",
                "flow_dos_red_tunnel",
            ]
            .iter()
            .map(|s| (*s).to_owned())
            .collect(),
            severities: vec!["drop".into(), "error".into()],
            max_series: 300,
        }
    }
}

impl CounterFilter {
    fn wants(&self, name: &str, severity: &str) -> bool {
        self.names.iter().any(|n| n == name)
            || self
                .severities
                .iter()
                .any(|s| s.eq_ignore_ascii_case(severity))
    }
}

fn parse(result: &Element, ctx: &ParseContext, out: &mut Families) -> Result<(), ParseError> {
    let list = result
        .path("global/counters")
        .ok_or_else(|| ParseError("<global><counters> missing".into()))?;
    let mut n = 0;
    for e in list.children_named("entry") {
        let (Some(name), Some(v)) = (text(e, "name"), opt_num(e, "value")) else {
            continue;
        };
        let sev = text(e, "severity").unwrap_or_default();
        if !ctx.counters.wants(&name, &sev) || n >= ctx.counters.max_series {
            continue;
        }
        n += 1;
        out.counter(
            "panos_global_counter",
            "Dataplane global counter.",
            labels([
                ("name", &name),
                ("category", &text(e, "category").unwrap_or_default()),
                ("aspect", &text(e, "aspect").unwrap_or_default()),
                ("severity", &sev),
            ]),
            v,
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collectors::parse_fixture;

    #[test]
    fn filters_by_name_and_severity() {
        let xml = "<dp>dp0</dp><global><t>0</t><counters><entry><category>session</category><severity>info</severity><value>10</value><aspect>resource</aspect><name>session_allocated</name></entry><entry><category>flow</category><severity>info</severity><value>5</value><name>flow_ignored_thing</name></entry><entry><category>flow</category><severity>drop</severity><value>7</value><name>flow_policy_deny</name></entry><entry><category>flow</category><severity>drop</severity><value>2</value><name>flow_other_drop</name></entry></counters></global>";
        let f = parse_fixture(&COLLECTOR, xml).unwrap();
        let c = f.get("panos_global_counter").unwrap();
        assert_eq!(c.series.len(), 3);
        assert_eq!(
            f.value("panos_global_counter", &[("name", "flow_ignored_thing")]),
            None
        );
        assert!(
            f.encode()
                .contains("panos_global_counter_total{name=\"session_allocated\"")
        );
    }
}
