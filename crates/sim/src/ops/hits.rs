//! `show rule-hit-count …`: hit counts of the rules asked for, counted from the sessions the
//! traffic model opened under each rule, with timestamps on the simulator clock.
//!
//! Firewall form, as pan-os-python's `RulebaseHitCount.refresh` sends it:
//! `vsys vsys-name <entry name=V> rule-base <entry name=RB> rules all|list <member>R</member>`,
//! and `rules rule-name <entry name=R/>` (the form quoted in pan-os-python issue #239). The
//! reply's entries carry the fields pan-os-python's `HitCount` reads.
//!
//! Panorama form (pan-os-python issue #239 / #282 and `RulebaseHitCount.refresh`):
//! `device-group <entry name=DG> pre-rulebase|post-rulebase <entry name=security> rules …`,
//! answered per rule with one `device-vsys` entry `DG/SERIAL/vsys1` per member firewall.
//! A rule that does not exist is left out; when none of those asked for exists the device
//! answers `<response status="success" code="7"><result total-count="0" count="0"/>` (issue
//! #282, as cURL and the GUI see it).

use super::{check_vsys, ok};
use crate::api::SimState;
use crate::device::{ApiError, Device};
use crate::traffic::RuleHits;
use crate::xml::{self, Element};

/// Rulebases a firewall keeps hit counts for.
const RULEBASES: [&str; 6] = [
    "security",
    "nat",
    "qos",
    "pbf",
    "decryption",
    "application-override",
];

/// The reply when none of the rules asked for exists (pan-os-python issue #282).
const NO_RULES: &str =
    "<response status=\"success\" code=\"7\"><result total-count=\"0\" count=\"0\"/></response>";

fn incomplete(path: &str) -> ApiError {
    // the device's text for a command that stops short was not found in public sources; this
    // follows the form of its schema errors
    ApiError::new(
        17,
        format!(" show -> rule-hit-count -> {path}  is incomplete"),
    )
}

fn entry_name<'a>(el: Option<&'a Element>, path: &str) -> Result<&'a str, ApiError> {
    el.and_then(|e| e.child("entry"))
        .and_then(|e| e.name_attr())
        .filter(|n| !n.is_empty())
        .ok_or_else(|| incomplete(path))
}

/// The rulebase entry (`<entry name=RB>`) of `parent`, validated.
fn rulebase<'a>(
    parent: &'a Element,
    tag: &str,
    path: &str,
) -> Result<(&'a str, &'a Element), ApiError> {
    let rb_el = parent
        .child(tag)
        .and_then(|r| r.child("entry"))
        .ok_or_else(|| incomplete(&format!("{path} -> {tag}")))?;
    let rb = rb_el.name_attr().unwrap_or("");
    if !RULEBASES.contains(&rb) {
        return Err(ApiError::new(
            17,
            format!(
                " show -> rule-hit-count -> {path} -> {tag} -> entry '{rb}' is not a valid rulebase (one of {})",
                RULEBASES.join(", ")
            ),
        ));
    }
    Ok((rb, rb_el))
}

/// Which rules `rules` asks for, out of those configured (in configured order). `None`: none
/// of the named rules exists.
fn asked(
    rules: Option<&Element>,
    configured: &[String],
    path: &str,
) -> Result<Option<Vec<String>>, ApiError> {
    let rules = rules.ok_or_else(|| incomplete(&format!("{path} -> rules")))?;
    let names: Vec<String> = if rules.child("all").is_some() {
        return Ok(Some(configured.to_vec()));
    } else if let Some(list) = rules.child("list") {
        list.members()
    } else if let Some(r) = rules.child("rule-name") {
        r.children
            .iter()
            .filter_map(|e| e.name_attr().map(str::to_string))
            .collect()
    } else {
        return Err(incomplete(&format!("{path} -> rules")));
    };
    if names.is_empty() {
        return Err(incomplete(&format!("{path} -> rules")));
    }
    let found: Vec<String> = configured
        .iter()
        .filter(|c| names.contains(c))
        .cloned()
        .collect();
    Ok((!found.is_empty()).then_some(found))
}

fn rule_names(rulebase: Option<&Element>, rb: &str) -> Vec<String> {
    rulebase
        .and_then(|r| r.find(&format!("{rb}/rules")))
        .map(|r| {
            r.children
                .iter()
                .filter(|e| e.name == "entry")
                .filter_map(|e| e.name_attr().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// When `dev` came up, as unix seconds: the simulator keeps no per-rule edit history, so rules
/// count as created and last modified then.
fn created(dev: &Device) -> u64 {
    let up = dev
        .clock
        .now()
        .saturating_duration_since(dev.started)
        .as_secs();
    dev.clock.unix().saturating_sub(up)
}

fn hits_of(dev: &Device, vsys: &str, rb: &str, rule: &str) -> RuleHits {
    if rb != "security" {
        // the traffic model only evaluates security policy
        return RuleHits::default();
    }
    dev.traffic
        .hits
        .get(&(vsys.to_string(), rule.to_string()))
        .cloned()
        .unwrap_or_default()
}

/// The firewall form.
pub fn run(dev: &Device, el: &Element) -> Result<String, ApiError> {
    let rhc = el.child("rule-hit-count").ok_or_else(|| incomplete(""))?;
    let v = rhc
        .child("vsys")
        .and_then(|v| v.child("vsys-name"))
        .and_then(|v| v.child("entry"))
        .ok_or_else(|| incomplete("vsys -> vsys-name"))?;
    let vsys = v.name_attr().unwrap_or("");
    check_vsys(dev, vsys)?;
    let (rb, rb_el) = rulebase(v, "rule-base", "vsys -> vsys-name")?;
    let vsys_el = dev
        .running
        .find("devices")
        .and_then(|d| d.entry_child("localhost.localdomain"))
        .and_then(|l| l.child("vsys"))
        .and_then(|v| v.entry_child(vsys));
    let configured = rule_names(vsys_el.and_then(|v| v.child("rulebase")), rb);
    let Some(names) = asked(
        rb_el.child("rules"),
        &configured,
        "vsys -> vsys-name -> rule-base",
    )?
    else {
        return Ok(NO_RULES.to_string());
    };
    let created = created(dev);
    let mut s = format!(
        "<rule-hit-count><vsys><entry name=\"{v}\"><rule-base><entry name=\"{rb}\"><rules>",
        v = xml::escape(vsys)
    );
    for name in &names {
        let h = hits_of(dev, vsys, rb, name);
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

/// The Panorama form: the device group's pre- or post-rules, each with the counts of every
/// member firewall (`device-vsys` `DG/SERIAL/vsys1`, `device-state` whether it is connected).
pub fn run_panorama(st: &SimState, pano: &Device, el: &Element) -> Result<String, ApiError> {
    let rhc = el.child("rule-hit-count").ok_or_else(|| incomplete(""))?;
    if rhc.child("vsys").is_some() {
        return Err(ApiError::new(
            17,
            " show -> rule-hit-count -> vsys  is unexpected",
        ));
    }
    let dg_name = entry_name(rhc.child("device-group"), "device-group")?;
    let dg = pano
        .running
        .find("devices")
        .and_then(|d| d.entry_child("localhost.localdomain"))
        .and_then(|l| l.child("device-group"))
        .and_then(|g| g.entry_child(dg_name))
        .ok_or_else(|| {
            ApiError::new(
                17,
                format!(" show -> rule-hit-count -> device-group -> entry '{dg_name}' is not a valid device group"),
            )
        })?;
    let dg_el = rhc
        .child("device-group")
        .and_then(|d| d.child("entry"))
        .ok_or_else(|| incomplete("device-group"))?;
    let which = if dg_el.child("post-rulebase").is_some() {
        "post-rulebase"
    } else {
        "pre-rulebase"
    };
    let (rb, rb_el) = rulebase(dg_el, which, "device-group -> entry")?;
    let configured = rule_names(dg.child(which), rb);
    let Some(names) = asked(
        rb_el.child("rules"),
        &configured,
        &format!("device-group -> entry -> {which}"),
    )?
    else {
        return Ok(NO_RULES.to_string());
    };
    let members: Vec<&str> = dg
        .child("devices")
        .map(|d| d.children.iter().filter_map(|e| e.name_attr()).collect())
        .unwrap_or_default();
    let created = created(pano);
    let mut s = format!(
        "<rule-hit-count><device-group><entry name=\"{g}\"><rule-base><entry name=\"{rb}\"><rules>",
        g = xml::escape(dg_name)
    );
    for name in &names {
        s.push_str(&format!(
            "<entry name=\"{}\"><latest>yes</latest><device-vsys>",
            xml::escape(name)
        ));
        for serial in &members {
            let fw = st.devices.get(serial);
            let h = fw
                .as_ref()
                .map(|f| hits_of(f, "vsys1", rb, name))
                .unwrap_or_default();
            s.push_str(&format!(
                "<entry name=\"{g}/{serial}/vsys1\"><hit-count>{}</hit-count><last-hit-timestamp>{}</last-hit-timestamp><last-reset-timestamp>0</last-reset-timestamp><first-hit-timestamp>{}</first-hit-timestamp><last-receive-timestamp>{}</last-receive-timestamp><device-state>{}</device-state></entry>",
                h.count,
                h.last,
                h.first,
                pano.clock.unix(),
                if fw.is_some_and(|f| f.connected) { "yes" } else { "no" },
                g = xml::escape(dg_name),
                serial = xml::escape(serial),
            ));
        }
        s.push_str(&format!(
            "</device-vsys><rule-creation-timestamp>{created}</rule-creation-timestamp><rule-modification-timestamp>{created}</rule-modification-timestamp></entry>"
        ));
    }
    s.push_str("</rules></entry></rule-base></entry></device-group></rule-hit-count>");
    Ok(ok(&s))
}
