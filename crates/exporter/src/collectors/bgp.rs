//! `show routing protocol bgp peer`: state, flaps and prefixes per BGP peer.

use panops_panos::xml::Element;

use super::{Applies, Collector, ParseContext, ParseError, Tier, opt_num, text};
use crate::metrics::{Families, labels};

/// The collector.
pub const COLLECTOR: Collector = Collector {
    name: "bgp",
    command: "<show><routing><protocol><bgp><peer/></bgp></protocol></routing></show>",
    tier: Tier::Fast,
    applies: Applies::Firewall,
    parse,
};

const STATES: &[&str] = &[
    "idle",
    "connect",
    "active",
    "opensent",
    "openconfirm",
    "established",
];

fn parse(result: &Element, _ctx: &ParseContext, out: &mut Families) -> Result<(), ParseError> {
    // no peers: an empty <result/>
    if let Some(e) = result.elements().find(|e| e.name != "entry") {
        return Err(ParseError(format!(
            "expected peer <entry> elements, got <{}>",
            e.name
        )));
    }
    for e in result.children_named("entry") {
        let Some(peer) = e
            .attr("peer")
            .map(str::to_owned)
            .or_else(|| text(e, "peer"))
        else {
            continue;
        };
        let vr = e.attr("vr").unwrap_or("default");
        let group = text(e, "peer-group").unwrap_or_default();
        let l = labels([("vr", vr), ("peer", &peer), ("group", &group)]);
        let status = text(e, "status").unwrap_or_default();
        out.gauge(
            "panos_bgp_peer_up",
            "1 when the BGP session is Established.",
            l.clone(),
            if status.eq_ignore_ascii_case("established") {
                1.0
            } else {
                0.0
            },
        );
        out.state(
            "panos_bgp_peer_state",
            "BGP finite-state-machine state of the peer.",
            l.clone(),
            STATES,
            &status,
        );
        out.gauge(
            "panos_bgp_peer_info",
            "BGP peer addressing; the value is always 1.",
            labels([
                ("vr", vr),
                ("peer", &peer),
                ("remote_as", &text(e, "remote-as").unwrap_or_default()),
                ("peer_address", &text(e, "peer-address").unwrap_or_default()),
            ]),
            1.0,
        );
        if let Some(v) = opt_num(e, "status-duration") {
            out.gauge(
                "panos_bgp_peer_state_duration_seconds",
                "Time in the current state.",
                l.clone(),
                v,
            );
        }
        if let Some(v) = opt_num(e, "status-flap-counts") {
            out.counter("panos_bgp_peer_flaps", "Session flaps.", l.clone(), v);
        }
        for pc in e
            .path("prefix-counter")
            .into_iter()
            .flat_map(|p| p.children_named("entry"))
        {
            let afi = pc.attr("afi-safi").unwrap_or("");
            let mut la = l.clone();
            la.push(("afi_safi".into(), afi.to_owned()));
            for (el, dir) in [
                ("incoming-accepted", "received_accepted"),
                ("incoming-total", "received"),
                ("outgoing-advertised", "advertised"),
            ] {
                if let Some(v) = opt_num(pc, el) {
                    let mut l2 = la.clone();
                    l2.push(("direction".into(), dir.into()));
                    out.gauge("panos_bgp_peer_prefixes", "Prefixes by direction.", l2, v);
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collectors::parse_fixture;

    #[test]
    fn parses_peers() {
        let xml = "<entry peer=\"isp-a\" vr=\"default\"><peer-group>upstream</peer-group><remote-as>65001</remote-as><status>Established</status><status-duration>3600</status-duration><peer-address>192.0.2.1:179</peer-address><status-flap-counts>2</status-flap-counts><prefix-counter><entry afi-safi=\"bgpAfiIpv4-unicast\"><incoming-total>10</incoming-total><incoming-accepted>9</incoming-accepted><outgoing-advertised>4</outgoing-advertised></entry></prefix-counter></entry><entry peer=\"isp-b\" vr=\"default\"><status>Active</status></entry>";
        let f = parse_fixture(&COLLECTOR, xml).unwrap();
        assert_eq!(
            f.value("panos_bgp_peer_up", &[("peer", "isp-a")]),
            Some(1.0)
        );
        assert_eq!(
            f.value("panos_bgp_peer_up", &[("peer", "isp-b")]),
            Some(0.0)
        );
        assert_eq!(
            f.value(
                "panos_bgp_peer_state",
                &[("peer", "isp-b"), ("state", "active")]
            ),
            Some(1.0)
        );
        assert_eq!(
            f.value("panos_bgp_peer_flaps", &[("peer", "isp-a")]),
            Some(2.0)
        );
        assert_eq!(
            f.value(
                "panos_bgp_peer_prefixes",
                &[("direction", "received_accepted")]
            ),
            Some(9.0)
        );
    }

    #[test]
    fn no_peers() {
        assert_eq!(parse_fixture(&COLLECTOR, "").unwrap().series_count(), 0);
    }
}
