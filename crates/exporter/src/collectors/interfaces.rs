//! Interfaces: `show interface all` (state, speed, zone) and `show counter interface all`
//! (byte, packet, error and drop counters). Two commands, so two collectors; the state
//! changes rarely enough for the slow tier while the counters feed `rate()` on the fast one.

use std::collections::HashSet;

use panops_panos::xml::Element;

use super::{Applies, Collector, ParseContext, ParseError, Tier, number, opt_num, text};
use crate::metrics::{Families, labels};

/// Interface state and speed.
pub const STATE: Collector = Collector {
    name: "interfaces",
    command: "<show><interface>all</interface></show>",
    tier: Tier::Fast,
    applies: Applies::Firewall,
    parse: parse_state,
};

/// Interface counters.
pub const COUNTERS: Collector = Collector {
    name: "interface_counters",
    command: "<show><counter><interface>all</interface></counter></show>",
    tier: Tier::Fast,
    applies: Applies::Firewall,
    parse: parse_counters,
};

/// Entries with a non-empty, not yet seen `<name>` (a PA-5450 once reported empty names,
/// which other exporters turned into duplicate series and a failed scrape).
fn named(list: Option<&Element>) -> Vec<(String, &Element)> {
    let mut seen = HashSet::new();
    list.into_iter()
        .flat_map(|l| l.children_named("entry"))
        .filter_map(|e| text(e, "name").map(|n| (n, e)))
        .filter(|(n, _)| seen.insert(n.clone()))
        .collect()
}

fn parse_state(
    result: &Element,
    _ctx: &ParseContext,
    out: &mut Families,
) -> Result<(), ParseError> {
    let hw = result
        .child("hw")
        .ok_or_else(|| ParseError("<hw> missing".into()))?;
    for (name, e) in named(Some(hw)) {
        let l = labels([("interface", &name)]);
        let state = text(e, "state").unwrap_or_default();
        out.gauge(
            "panos_interface_up",
            "1 when the link is up.",
            l.clone(),
            if state.eq_ignore_ascii_case("up") {
                1.0
            } else {
                0.0
            },
        );
        // speed in Mb/s; "[n/a]", "auto" or "ukn" when unknown
        if let Some(mbps) = text(e, "speed").and_then(|s| number(&s)) {
            out.gauge(
                "panos_interface_speed_bits_per_second",
                "Negotiated link speed.",
                l,
                mbps * 1_000_000.0,
            );
        }
    }
    for (name, e) in named(result.child("ifnet")) {
        out.gauge(
            "panos_interface_info",
            "Logical interface placement; the value is always 1.",
            labels([
                ("interface", &name),
                ("zone", &text(e, "zone").unwrap_or_default()),
                ("vsys", &text(e, "vsys").unwrap_or_default()),
                ("virtual_router", &text(e, "fwd").unwrap_or_default()),
                ("ip", &text(e, "ip").unwrap_or_default()),
            ]),
            1.0,
        );
    }
    Ok(())
}

fn parse_counters(
    result: &Element,
    _ctx: &ParseContext,
    out: &mut Families,
) -> Result<(), ParseError> {
    // <ifnet><ifnet><entry>… on firewalls; accept a single level too
    let ifnet = result
        .child("ifnet")
        .map(|i| i.child("ifnet").unwrap_or(i))
        .ok_or_else(|| ParseError("<ifnet> missing".into()))?;
    for (name, e) in named(Some(ifnet)) {
        let l = labels([("interface", &name)]);
        for (el, metric, help) in [
            ("ibytes", "panos_interface_rx_bytes", "Bytes received."),
            ("obytes", "panos_interface_tx_bytes", "Bytes sent."),
            (
                "ipackets",
                "panos_interface_rx_packets",
                "Packets received.",
            ),
            ("opackets", "panos_interface_tx_packets", "Packets sent."),
            ("ierrors", "panos_interface_rx_errors", "Receive errors."),
            (
                "idrops",
                "panos_interface_rx_drops",
                "Packets dropped on receive.",
            ),
        ] {
            if let Some(v) = opt_num(e, el) {
                out.counter(metric, help, l.clone(), v);
            }
        }
    }
    for (name, e) in named(result.child("hw")) {
        if let Some(v) = opt_num(e, "port/tx-error") {
            out.counter(
                "panos_interface_tx_errors",
                "Transmit errors (hardware port).",
                labels([("interface", &name)]),
                v,
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collectors::parse_fixture;

    #[test]
    fn state_skips_empty_and_duplicate_names() {
        let xml = "<ifnet><entry><name>ethernet1/1</name><zone>untrust</zone><vsys>1</vsys><ip>10.0.0.1/24</ip></entry></ifnet><hw><entry><name>ethernet1/1</name><state>up</state><speed>10000</speed></entry><entry><name></name><state>up</state></entry><entry><name>ethernet1/2</name><state>down</state><speed>[n/a]</speed></entry><entry><name>ethernet1/2</name><state>up</state></entry></hw>";
        let f = parse_fixture(&STATE, xml).unwrap();
        let up = f.get("panos_interface_up").unwrap();
        assert_eq!(up.series.len(), 2);
        assert_eq!(
            f.value("panos_interface_up", &[("interface", "ethernet1/2")]),
            Some(0.0)
        );
        assert_eq!(
            f.value(
                "panos_interface_speed_bits_per_second",
                &[("interface", "ethernet1/1")]
            ),
            Some(1e10)
        );
        assert!(
            f.value(
                "panos_interface_speed_bits_per_second",
                &[("interface", "ethernet1/2")]
            )
            .is_none()
        );
        assert_eq!(
            f.value("panos_interface_info", &[("zone", "untrust")]),
            Some(1.0)
        );
    }

    #[test]
    fn counters() {
        let xml = "<ifnet><ifnet><entry><name>ethernet1/1</name><ibytes>700</ibytes><obytes>1400</obytes><ipackets>1</ipackets><opackets>2</opackets><ierrors>0</ierrors><idrops>3</idrops></entry></ifnet></ifnet><hw><entry><name>ethernet1/1</name><port><tx-error>4</tx-error></port></entry></hw>";
        let f = parse_fixture(&COUNTERS, xml).unwrap();
        assert_eq!(f.value("panos_interface_tx_bytes", &[]), Some(1400.0));
        assert_eq!(f.value("panos_interface_rx_drops", &[]), Some(3.0));
        assert_eq!(f.value("panos_interface_tx_errors", &[]), Some(4.0));
    }
}
