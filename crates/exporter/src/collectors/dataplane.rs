//! `show running resource-monitor minute last 1`: dataplane CPU per core and resource
//! utilisation (session table, packet buffers, descriptors) per data processor.
//!
//! `last 1` asks for one value per core instead of the default 60-value series.

use panops_panos::xml::Element;

use super::{Applies, Collector, ParseContext, ParseError, Tier, number, text};
use crate::metrics::{Families, labels};

/// The collector.
pub const COLLECTOR: Collector = Collector {
    name: "dataplane",
    command: "<show><running><resource-monitor><minute><last>1</last></minute></resource-monitor></running></show>",
    tier: Tier::Fast,
    applies: Applies::Firewall,
    parse,
};

/// The newest value of a comma-separated series (the device lists newest first).
fn newest(s: &str) -> Option<f64> {
    s.split(',').next().and_then(number)
}

fn parse(result: &Element, _ctx: &ParseContext, out: &mut Families) -> Result<(), ParseError> {
    let dps = result
        .path("resource-monitor/data-processors")
        .ok_or_else(|| ParseError("<resource-monitor><data-processors> missing".into()))?;
    for dp in dps.elements() {
        // <dp0><minute>…</minute></dp0>: one period element per data processor
        let Some(period) = dp.elements().next() else {
            continue;
        };
        for (list, name, help) in [
            (
                "cpu-load-average",
                "panos_dp_cpu_ratio",
                "Dataplane CPU load per core, average over the period (0..1).",
            ),
            (
                "cpu-load-maximum",
                "panos_dp_cpu_max_ratio",
                "Dataplane CPU load per core, maximum over the period (0..1).",
            ),
        ] {
            for e in period
                .child(list)
                .into_iter()
                .flat_map(|l| l.children_named("entry"))
            {
                let (Some(core), Some(v)) =
                    (text(e, "coreid"), text(e, "value").and_then(|v| newest(&v)))
                else {
                    continue;
                };
                out.gauge(
                    name,
                    help,
                    labels([("dp", &dp.name), ("core", &core)]),
                    v / 100.0,
                );
            }
        }
        for e in period
            .child("resource-utilization")
            .into_iter()
            .flat_map(|l| l.children_named("entry"))
        {
            let (Some(n), Some(v)) = (text(e, "name"), text(e, "value").and_then(|v| newest(&v)))
            else {
                continue;
            };
            // "session (average)" → resource="session", stat="average"
            let (res, stat) = match n.split_once('(') {
                Some((r, s)) => (
                    r.trim().to_owned(),
                    s.trim_end_matches(')').trim().to_owned(),
                ),
                None => (n.trim().to_owned(), "average".to_owned()),
            };
            out.gauge(
                "panos_dp_resource_utilization_ratio",
                "Dataplane resource utilisation (0..1).",
                labels([
                    ("dp", &dp.name),
                    ("resource", &res.replace(' ', "_")),
                    ("stat", &stat),
                ]),
                v / 100.0,
            );
        }
    }
    if out.get("panos_dp_cpu_ratio").is_none() {
        return Err(ParseError(
            "no cpu-load-average entries in the reply".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collectors::parse_fixture;

    #[test]
    fn parses_cores_and_resources() {
        let xml = "<resource-monitor><data-processors><dp0><minute><cpu-load-average><entry><coreid>0</coreid><value>7</value></entry><entry><coreid>1</coreid><value>12,3,4</value></entry></cpu-load-average><cpu-load-maximum><entry><coreid>0</coreid><value>20</value></entry></cpu-load-maximum><resource-utilization><entry><name>session (average)</name><value>5</value></entry><entry><name>packet buffer (maximum)</name><value>2</value></entry></resource-utilization></minute></dp0></data-processors></resource-monitor>";
        let f = parse_fixture(&COLLECTOR, xml).unwrap();
        assert_eq!(
            f.value("panos_dp_cpu_ratio", &[("dp", "dp0"), ("core", "1")]),
            Some(0.12)
        );
        assert_eq!(
            f.value("panos_dp_cpu_max_ratio", &[("core", "0")]),
            Some(0.20)
        );
        assert_eq!(
            f.value(
                "panos_dp_resource_utilization_ratio",
                &[("resource", "packet_buffer"), ("stat", "maximum")]
            ),
            Some(0.02)
        );
    }
}
