//! `show session info`: session table size, utilisation, rates and throughput.

use panops_panos::xml::Element;

use super::{Applies, Collector, ParseContext, ParseError, Tier, need_num, opt_num};
use crate::metrics::{Families, labels};

/// The collector.
pub const COLLECTOR: Collector = Collector {
    name: "sessions",
    command: "<show><session><info/></session></show>",
    tier: Tier::Fast,
    applies: Applies::Firewall,
    parse,
};

fn parse(result: &Element, _ctx: &ParseContext, out: &mut Families) -> Result<(), ParseError> {
    let active = need_num(result, "num-active")?;
    let max = need_num(result, "num-max")?;
    out.gauge("panos_sessions_active", "Active sessions.", vec![], active);
    out.gauge("panos_sessions_max", "Session table capacity.", vec![], max);
    if max > 0.0 {
        out.gauge(
            "panos_session_table_utilization_ratio",
            "Active sessions over capacity (0..1).",
            vec![],
            active / max,
        );
    }
    for (el, proto) in [
        ("num-tcp", "tcp"),
        ("num-udp", "udp"),
        ("num-icmp", "icmp"),
        ("num-sctp-sess", "sctp"),
        ("num-gtpu-active", "gtpu"),
    ] {
        if let Some(v) = opt_num(result, el) {
            out.gauge(
                "panos_sessions_active_by_protocol",
                "Active sessions by protocol.",
                labels([("protocol", proto)]),
                v,
            );
        }
    }
    if let Some(v) = opt_num(result, "num-installed") {
        out.counter(
            "panos_sessions_installed",
            "Sessions installed since the dataplane started.",
            vec![],
            v,
        );
    }
    if let Some(v) = opt_num(result, "cps") {
        out.gauge(
            "panos_sessions_per_second",
            "New sessions per second.",
            vec![],
            v,
        );
    }
    if let Some(v) = opt_num(result, "pps") {
        out.gauge(
            "panos_throughput_packets_per_second",
            "Dataplane packets per second.",
            vec![],
            v,
        );
    }
    if let Some(v) = opt_num(result, "kbps") {
        out.gauge(
            "panos_throughput_bits_per_second",
            "Dataplane throughput.",
            vec![],
            v * 1000.0,
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collectors::parse_fixture;

    #[test]
    fn parses_session_info() {
        let xml = "<num-max>256000</num-max><num-active>64000</num-active><num-tcp>60000</num-tcp><num-udp>3900</num-udp><num-icmp>100</num-icmp><num-installed>123456</num-installed><cps>12</cps><pps>3400</pps><kbps>20000</kbps>";
        let f = parse_fixture(&COLLECTOR, xml).unwrap();
        assert_eq!(
            f.value("panos_session_table_utilization_ratio", &[]),
            Some(0.25)
        );
        assert_eq!(
            f.value("panos_sessions_active_by_protocol", &[("protocol", "udp")]),
            Some(3900.0)
        );
        assert_eq!(
            f.value("panos_throughput_bits_per_second", &[]),
            Some(20_000_000.0)
        );
        assert_eq!(
            f.get("panos_sessions_installed").unwrap().kind,
            crate::metrics::Kind::Counter
        );
    }
}
