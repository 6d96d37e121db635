//! `show vpn flow`: the real state of each IPsec tunnel (SNMP shows a tunnel interface as
//! up even when the tunnel is down).

use panops_panos::xml::Element;

use super::{Applies, Collector, ParseContext, ParseError, Tier, opt_num, text};
use crate::metrics::{Families, labels};

/// The collector.
pub const COLLECTOR: Collector = Collector {
    name: "ipsec",
    command: "<show><vpn><flow/></vpn></show>",
    tier: Tier::Fast,
    applies: Applies::Firewall,
    parse,
};

fn parse(result: &Element, _ctx: &ParseContext, out: &mut Families) -> Result<(), ParseError> {
    let ipsec = result.child("IPSec");
    if ipsec.is_none() && result.child("num-ipsec").is_none() {
        return Err(ParseError(
            "neither <IPSec> nor <num-ipsec> in the reply".into(),
        ));
    }
    if let Some(v) = opt_num(result, "num-ipsec") {
        out.gauge(
            "panos_ipsec_tunnels",
            "Configured IPsec tunnels.",
            vec![],
            v,
        );
    }
    for e in ipsec.into_iter().flat_map(|l| l.children_named("entry")) {
        let Some(name) = text(e, "name") else {
            continue;
        };
        let state = text(e, "state").unwrap_or_default();
        out.gauge(
            "panos_ipsec_tunnel_up",
            "1 when the IPsec tunnel is active.",
            labels([
                ("tunnel", &name),
                ("peer", &text(e, "peerip").unwrap_or_default()),
                ("interface", &text(e, "inner-if").unwrap_or_default()),
            ]),
            if state.eq_ignore_ascii_case("active") {
                1.0
            } else {
                0.0
            },
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collectors::parse_fixture;

    #[test]
    fn parses_tunnels() {
        let xml = "<total>2</total><num-ipsec>2</num-ipsec><IPSec><entry><id>1</id><name>to-branch</name><inner-if>tunnel.1</inner-if><peerip>203.0.113.5</peerip><state>active</state></entry><entry><id>2</id><name>to-dc</name><inner-if>tunnel.2</inner-if><peerip>203.0.113.9</peerip><state>init</state></entry></IPSec><num-sslvpn>0</num-sslvpn>";
        let f = parse_fixture(&COLLECTOR, xml).unwrap();
        assert_eq!(
            f.value("panos_ipsec_tunnel_up", &[("tunnel", "to-branch")]),
            Some(1.0)
        );
        assert_eq!(
            f.value("panos_ipsec_tunnel_up", &[("tunnel", "to-dc")]),
            Some(0.0)
        );
    }
}
