//! `show global-protect-gateway statistics`: current and previous users per gateway.

use panops_panos::xml::Element;

use super::{Applies, Collector, ParseContext, ParseError, Tier, opt_num, text};
use crate::metrics::{Families, labels};

/// The collector.
pub const COLLECTOR: Collector = Collector {
    name: "globalprotect",
    command: "<show><global-protect-gateway><statistics/></global-protect-gateway></show>",
    tier: Tier::Fast,
    applies: Applies::Firewall,
    parse,
};

fn parse(result: &Element, _ctx: &ParseContext, out: &mut Families) -> Result<(), ParseError> {
    if result.child("TotalCurrentUsers").is_none() && result.child("Gateway").is_none() {
        return Err(ParseError(
            "neither <Gateway> nor <TotalCurrentUsers> in the reply".into(),
        ));
    }
    for g in result.children_named("Gateway") {
        let Some(name) = text(g, "name") else {
            continue;
        };
        for (el, kind) in [("CurrentUsers", "current"), ("PreviousUsers", "previous")] {
            if let Some(v) = opt_num(g, el) {
                out.gauge(
                    "panos_globalprotect_gateway_users",
                    "GlobalProtect users per gateway (current = connected now).",
                    labels([("gateway", &name), ("kind", kind)]),
                    v,
                );
            }
        }
    }
    if let Some(v) = opt_num(result, "TotalCurrentUsers") {
        out.gauge(
            "panos_globalprotect_users",
            "GlobalProtect users connected to all gateways.",
            vec![],
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
    fn parses_gateways() {
        let xml = "<Gateway><name>gp-gw</name><CurrentUsers>3</CurrentUsers><PreviousUsers>12</PreviousUsers></Gateway><TotalCurrentUsers>3</TotalCurrentUsers><TotalPreviousUsers>12</TotalPreviousUsers>";
        let f = parse_fixture(&COLLECTOR, xml).unwrap();
        assert_eq!(
            f.value(
                "panos_globalprotect_gateway_users",
                &[("gateway", "gp-gw"), ("kind", "previous")]
            ),
            Some(12.0)
        );
        assert_eq!(f.value("panos_globalprotect_users", &[]), Some(3.0));
    }
}
