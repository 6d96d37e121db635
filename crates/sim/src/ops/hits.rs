//! `show rule-hit-count vsys vsys-name <entry name=V> rule-base <entry name=RB> rules all|list`
//! (pan-os-python `Firewall.op` callers and panos-upgrade-assurance issue it): the vsys,
//! rulebase and rule names asked for, counts of the sessions the traffic model opened under
//! each rule, and timestamps on the simulator clock.

use super::{check_vsys, ok};
use crate::device::{ApiError, Device};
use crate::xml;
use crate::xpath::XPath;

/// Rulebases a firewall keeps hit counts for.
const RULEBASES: [&str; 6] = [
    "security",
    "nat",
    "qos",
    "pbf",
    "decryption",
    "application-override",
];

fn missing(what: &str) -> ApiError {
    ApiError::new(
        17,
        format!(
            "show rule-hit-count: {what} is required (vsys vsys-name <entry name=...> rule-base <entry name=...> rules all|list)"
        ),
    )
}

/// The reply to `show rule-hit-count …` in `el`.
pub fn run(dev: &Device, el: &crate::xml::Element) -> Result<String, ApiError> {
    let v = el
        .find("rule-hit-count/vsys/vsys-name/entry")
        .ok_or_else(|| missing("vsys vsys-name <entry name=...>"))?;
    let vsys = v.name_attr().unwrap_or("");
    check_vsys(dev, vsys)?;
    let rb_el = v
        .find("rule-base/entry")
        .ok_or_else(|| missing("rule-base <entry name=...>"))?;
    let rb = rb_el.name_attr().unwrap_or("");
    if !RULEBASES.contains(&rb) {
        return Err(ApiError::new(
            17,
            format!(
                "show -> rule-hit-count -> vsys -> vsys-name -> rule-base: '{rb}' is not a valid rulebase (one of {})",
                RULEBASES.join(", ")
            ),
        ));
    }
    let rules = rb_el
        .child("rules")
        .ok_or_else(|| missing("rules all|list"))?;
    let configured: Vec<String> = XPath::parse(&format!(
        "/config/devices/entry/vsys/entry[@name='{}']/rulebase/{rb}/rules/entry",
        vsys.replace('\'', "")
    ))
    .map(|x| {
        x.select(&dev.running)
            .iter()
            .filter_map(|p| crate::xpath::get(&dev.running, p))
            .filter_map(|e| e.name_attr().map(str::to_string))
            .collect()
    })
    .unwrap_or_default();
    let asked: Vec<String> = if rules.child("all").is_some() {
        configured.clone()
    } else if let Some(list) = rules.child("list") {
        let m = list.members();
        if m.is_empty() {
            return Err(missing("rules list <member>NAME</member>"));
        }
        if let Some(bad) = m.iter().find(|n| !configured.contains(n)) {
            return Err(ApiError::new(
                17,
                format!("rule '{bad}' does not exist in the {rb} rulebase of {vsys}"),
            ));
        }
        m
    } else {
        return Err(missing("rules all|list"));
    };
    // rules exist since the device came up (the simulator keeps no per-rule edit history)
    let up = dev
        .clock
        .now()
        .saturating_duration_since(dev.started)
        .as_secs();
    let created = dev.clock.unix().saturating_sub(up);
    let mut s = format!(
        "<rule-hit-count><vsys><entry name=\"{v}\"><rule-base><entry name=\"{rb}\"><rules>",
        v = xml::escape(vsys)
    );
    for name in &asked {
        let h = if rb == "security" {
            dev.traffic
                .hits
                .get(&(vsys.to_string(), name.clone()))
                .cloned()
                .unwrap_or_default()
        } else {
            Default::default()
        };
        s.push_str(&format!(
            "<entry name=\"{}\"><latest>yes</latest><hit-count>{}</hit-count><last-hit-timestamp>{}</last-hit-timestamp><last-reset-timestamp>0</last-reset-timestamp><first-hit-timestamp>{}</first-hit-timestamp><rule-creation-timestamp>{created}</rule-creation-timestamp><rule-modification-timestamp>{created}</rule-modification-timestamp></entry>",
            xml::escape(name),
            h.count,
            h.last,
            h.first
        ));
    }
    s.push_str("</rules></entry></rule-base></entry></vsys></rule-hit-count>");
    Ok(ok(&s))
}
