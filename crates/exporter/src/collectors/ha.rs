//! `show high-availability all`: HA enabled, local/peer state, peer connection, config sync,
//! HA links.

use panops_panos::xml::Element;

use super::{Applies, Collector, ParseContext, ParseError, Tier, need, text, truthy};
use crate::metrics::{Families, labels};

/// The collector.
pub const COLLECTOR: Collector = Collector {
    name: "ha",
    command: "<show><high-availability><all/></high-availability></show>",
    tier: Tier::Fast,
    applies: Applies::Both,
    parse,
};

/// States of firewalls and Panorama, so that every state has a series (0 or 1).
const STATES: &[&str] = &[
    "active",
    "passive",
    "active-primary",
    "active-secondary",
    "initial",
    "tentative",
    "non-functional",
    "suspended",
    "unknown",
];

fn parse(result: &Element, _ctx: &ParseContext, out: &mut Families) -> Result<(), ParseError> {
    let enabled = need(result, "enabled")?;
    let on = truthy(&enabled);
    out.gauge("panos_ha_enabled", "1 when HA is configured.", vec![], on);
    if on == 0.0 {
        return Ok(());
    }
    // firewalls nest the HA data in <group>; Panorama has it at the top
    let g = result.child("group").unwrap_or(result);
    let local = need(g, "local-info/state")?;
    out.state(
        "panos_ha_local_state",
        "HA state of this device.",
        vec![],
        STATES,
        &local,
    );
    let peer = text(g, "peer-info/state").unwrap_or_else(|| "unknown".into());
    out.state(
        "panos_ha_peer_state",
        "HA state of the peer as seen by this device.",
        vec![],
        STATES,
        &peer,
    );
    out.gauge(
        "panos_ha_peer_connected",
        "1 when the peer is reachable.",
        vec![],
        text(g, "peer-info/conn-status").map_or(0.0, |s| truthy(&s)),
    );
    if let Some(s) = text(g, "running-sync") {
        out.gauge(
            "panos_ha_config_synced",
            "1 when the running configuration is synchronised with the peer.",
            vec![],
            if s.eq_ignore_ascii_case("synchronized") {
                1.0
            } else {
                0.0
            },
        );
    }
    if let Some(mode) = text(g, "mode").or_else(|| text(g, "local-info/mode")) {
        out.gauge(
            "panos_ha_info",
            "HA mode; the value is always 1.",
            labels([("mode", &mode)]),
            1.0,
        );
    }
    if let Some(p) = g.child("peer-info") {
        for link in p.elements().filter(|e| e.name.starts_with("conn-ha")) {
            let name = link.name.trim_start_matches("conn-");
            out.gauge(
                "panos_ha_link_up",
                "1 when the HA link is up.",
                labels([("link", name)]),
                text(link, "conn-status").map_or(0.0, |s| truthy(&s)),
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
    fn parses_firewall_pair() {
        let xml = "<enabled>yes</enabled><group><mode>Active-Passive</mode><local-info><state>active</state></local-info><peer-info><state>passive</state><conn-status>up</conn-status><conn-ha1><conn-status>up</conn-status></conn-ha1><conn-ha2><conn-status>down</conn-status></conn-ha2></peer-info><running-sync>not synchronized</running-sync></group>";
        let f = parse_fixture(&COLLECTOR, xml).unwrap();
        assert_eq!(
            f.value("panos_ha_local_state", &[("state", "active")]),
            Some(1.0)
        );
        assert_eq!(
            f.value("panos_ha_local_state", &[("state", "passive")]),
            Some(0.0)
        );
        assert_eq!(
            f.value("panos_ha_peer_state", &[("state", "passive")]),
            Some(1.0)
        );
        assert_eq!(f.value("panos_ha_config_synced", &[]), Some(0.0));
        assert_eq!(f.value("panos_ha_link_up", &[("link", "ha2")]), Some(0.0));
        assert_eq!(f.value("panos_ha_link_up", &[("link", "ha1")]), Some(1.0));
    }

    #[test]
    fn disabled_is_one_series() {
        let f = parse_fixture(&COLLECTOR, "<enabled>no</enabled>").unwrap();
        assert_eq!(f.value("panos_ha_enabled", &[]), Some(0.0));
        assert_eq!(f.series_count(), 1);
    }
}
