//! `show user user-id-agent state all`: connection state per User-ID agent (text).

use panops_panos::xml::Element;

use super::{Applies, Collector, ParseContext, ParseError, Tier, result_text};
use crate::metrics::{Families, labels};

/// The collector.
pub const COLLECTOR: Collector = Collector {
    name: "userid",
    command: "<show><user><user-id-agent><state>all</state></user-id-agent></user></show>",
    tier: Tier::Fast,
    applies: Applies::Firewall,
    parse,
};

/// One agent block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Agent {
    pub name: String,
    pub host: String,
    pub status: String,
}

/// `Agent: name(vsys: vsys1) Host: 10.0.0.5(10.0.0.5):5007` followed by indented
/// `Status : conn:idle` lines.
pub(crate) fn agents(text: &str) -> Vec<Agent> {
    let mut out: Vec<Agent> = Vec::new();
    for line in text.lines() {
        let t = line.trim();
        if let Some(rest) = t.strip_prefix("Agent:") {
            let name = rest
                .split(['(', ' '])
                .find(|s| !s.is_empty())
                .unwrap_or("")
                .to_owned();
            let host = rest
                .split("Host:")
                .nth(1)
                .map(|h| h.trim().split('(').next().unwrap_or("").to_owned())
                .unwrap_or_default();
            out.push(Agent {
                name,
                host,
                status: String::new(),
            });
        } else if let Some((k, v)) = t.split_once(':')
            && k.trim().eq_ignore_ascii_case("status")
            && let Some(a) = out.last_mut()
        {
            a.status = v.trim().to_owned();
        }
    }
    out
}

fn parse(result: &Element, _ctx: &ParseContext, out: &mut Families) -> Result<(), ParseError> {
    if let Some(e) = result.elements().next() {
        return Err(ParseError(format!(
            "expected text, got the element <{}>",
            e.name
        )));
    }
    let text = result_text(result);
    let list = agents(&text);
    if list.is_empty() && !text.trim().is_empty() && !text.contains("No agent") {
        return Err(ParseError("no `Agent:` blocks in the reply".into()));
    }
    let mut connected = 0.0;
    for a in &list {
        // "conn:idle", "conn:Get IPs", … are connected; "non-conn:…" / "disconnected" not
        let up = a.status.starts_with("conn");
        if up {
            connected += 1.0;
        }
        out.gauge(
            "panos_userid_agent_connected",
            "1 when the firewall is connected to the User-ID agent.",
            labels([("agent", &a.name), ("host", &a.host)]),
            if up { 1.0 } else { 0.0 },
        );
    }
    out.gauge(
        "panos_userid_agents_connected",
        "User-ID agents the firewall is connected to.",
        vec![],
        connected,
    );
    out.gauge(
        "panos_userid_agents",
        "Configured User-ID agents.",
        vec![],
        list.len() as f64,
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collectors::parse_fixture;

    #[test]
    fn parses_agents() {
        let text = "<![CDATA[Agent: dc1-agent(vsys: vsys1) Host: 10.0.0.50(10.0.0.50):5007\n\tStatus                                            : conn:idle\n\tVersion                                           : 0x6\nAgent: dc2-agent(vsys: vsys1) Host: 10.0.0.51(10.0.0.51):5007\n\tStatus                                            : non-conn:idle\n]]>";
        let f = parse_fixture(&COLLECTOR, text).unwrap();
        assert_eq!(
            f.value(
                "panos_userid_agent_connected",
                &[("agent", "dc1-agent"), ("host", "10.0.0.50")]
            ),
            Some(1.0)
        );
        assert_eq!(
            f.value("panos_userid_agent_connected", &[("agent", "dc2-agent")]),
            Some(0.0)
        );
        assert_eq!(f.value("panos_userid_agents_connected", &[]), Some(1.0));
    }
}

/// IP-user mappings on the firewall.
pub const MAPPINGS: Collector = Collector {
    name: "userid_mappings",
    command: "<show><user><ip-user-mapping><all><option>count</option></all></ip-user-mapping></user></show>",
    tier: Tier::Fast,
    applies: Applies::Firewall,
    parse: parse_mappings,
};

fn parse_mappings(
    result: &Element,
    _ctx: &ParseContext,
    out: &mut Families,
) -> Result<(), ParseError> {
    // `<count>N</count>`; some releases print `Total: N` as text
    let n = match result.child("count") {
        Some(c) => super::number(&c.deep_text()),
        None if result.elements().next().is_none() => result_text(result)
            .split("Total:")
            .nth(1)
            .and_then(|t| t.split_whitespace().next())
            .and_then(super::number),
        None => None,
    }
    .ok_or_else(|| ParseError("no <count> of IP-user mappings in the reply".into()))?;
    out.gauge(
        "panos_userid_mappings",
        "IP-user mappings known to the firewall.",
        vec![],
        n,
    );
    Ok(())
}

#[cfg(test)]
mod mapping_tests {
    use super::*;
    use crate::collectors::parse_fixture;

    #[test]
    fn parses_count_forms() {
        let f = parse_fixture(&MAPPINGS, "<count>42</count>").unwrap();
        assert_eq!(f.value("panos_userid_mappings", &[]), Some(42.0));
        let f = parse_fixture(&MAPPINGS, "<![CDATA[\nTotal: 7 mappings\n]]>").unwrap();
        assert_eq!(f.value("panos_userid_mappings", &[]), Some(7.0));
        assert!(parse_fixture(&MAPPINGS, "<![CDATA[nothing]]>").is_err());
    }
}
