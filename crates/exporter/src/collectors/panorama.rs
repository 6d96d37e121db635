//! Panorama's view of its estate: `show devices all` (per managed firewall: connected,
//! model, version; also the parser of `show devices connected` used to discover the
//! estate), `show devicegroups` (device-group policy in sync per firewall) and
//! `show templates` (template / template-stack configuration in sync per firewall).
//!
//! The sync status is read from `show devicegroups` and `show templates`, not from
//! `show devices`: the device entries of `show devices all` captured publicly (PAN-OS XML
//! API guide 9.1; pan-os-upgrade's PAN-OS 10.1 fixture) carry an empty
//! `vsys/entry/shared-policy-status`, and pan-os-python's `refresh_devices` takes the
//! status from `show devicegroups` (device-level `shared-policy-status`, then the vsys
//! one). `show templates` entries list their firewalls with `template-status` and
//! `last-commit-all-state-tpl`, as read by public Panorama admin scripts
//! (ncarabajal/palo-alto-panorama-managed-devices and others).

use panops_panos::xml::Element;

use super::{Applies, Collector, ParseContext, ParseError, Tier, text, truthy};
use crate::metrics::{Families, labels};

/// The collector.
pub const COLLECTOR: Collector = Collector {
    name: "panorama_devices",
    command: "<show><devices><all/></devices></show>",
    tier: Tier::Fast,
    applies: Applies::Panorama,
    parse,
};

/// Device-group policy sync per firewall (`show devicegroups`).
pub const DEVICE_GROUPS: Collector = Collector {
    name: "panorama_device_groups",
    command: "<show><devicegroups/></show>",
    tier: Tier::Fast,
    applies: Applies::Panorama,
    parse: parse_device_groups,
};

/// Template and template-stack sync per firewall (`show templates`).
pub const TEMPLATES: Collector = Collector {
    name: "panorama_templates",
    command: "<show><templates/></show>",
    tier: Tier::Fast,
    applies: Applies::Panorama,
    parse: parse_templates,
};

/// A firewall as Panorama lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagedDevice {
    /// Serial number (the `target=` of proxied requests).
    pub serial: String,
    /// Hostname.
    pub hostname: String,
    /// Connected to Panorama.
    pub connected: bool,
    /// Model.
    pub model: String,
    /// Software version.
    pub sw_version: String,
}

/// Parse the `<result>` of `show devices all|connected`.
pub fn parse_devices(result: &Element) -> Result<Vec<ManagedDevice>, ParseError> {
    let list = result
        .child("devices")
        .ok_or_else(|| ParseError("<devices> missing".into()))?;
    let mut out = Vec::new();
    for e in list.children_named("entry") {
        let Some(serial) = text(e, "serial").or_else(|| e.attr("name").map(str::to_owned)) else {
            continue;
        };
        out.push(ManagedDevice {
            hostname: text(e, "hostname").unwrap_or_default(),
            connected: text(e, "connected").is_some_and(|c| truthy(&c) == 1.0),
            model: text(e, "model").unwrap_or_default(),
            sw_version: text(e, "sw-version").unwrap_or_default(),
            serial,
        });
    }
    Ok(out)
}

fn parse(result: &Element, _ctx: &ParseContext, out: &mut Families) -> Result<(), ParseError> {
    let devices = parse_devices(result)?;
    out.gauge(
        "panos_panorama_devices",
        "Firewalls managed by this Panorama.",
        vec![],
        devices.len() as f64,
    );
    for d in devices {
        out.gauge(
            "panos_panorama_device_connected",
            "1 when the managed firewall is connected to Panorama.",
            labels([
                ("serial", &d.serial),
                ("hostname", &d.hostname),
                ("model", &d.model),
                ("sw_version", &d.sw_version),
            ]),
            if d.connected { 1.0 } else { 0.0 },
        );
    }
    Ok(())
}

/// `In Sync` / `Out of Sync` as 1 / 0; an empty or other value is no status (`None`).
fn sync_status(s: &str) -> Option<f64> {
    let s = s.trim();
    if s.eq_ignore_ascii_case("in sync") {
        Some(1.0)
    } else if s.eq_ignore_ascii_case("out of sync") {
        Some(0.0)
    } else {
        None
    }
}

/// `last-commit-all-state-*`: 1 for `commit succeeded` (also "with warnings"), 0 for any
/// other outcome (`commit failed`, `not connected`), `None` when there was no push yet.
fn push_outcome(e: &Element, tag: &str) -> Option<f64> {
    let s = text(e, tag)?;
    Some(if s.to_ascii_lowercase().starts_with("commit succeeded") {
        1.0
    } else {
        0.0
    })
}

/// The `(group name, serial, firewall entry)` triples of a `show devicegroups|templates` reply.
fn members(list: &Element) -> Vec<(String, String, &Element)> {
    let mut out = Vec::new();
    for g in list.children_named("entry") {
        let Some(group) = g.attr("name") else {
            continue;
        };
        for d in g
            .child("devices")
            .map(|d| d.children_named("entry").collect::<Vec<_>>())
            .unwrap_or_default()
        {
            let Some(serial) = text(d, "serial").or_else(|| d.attr("name").map(str::to_owned))
            else {
                continue;
            };
            out.push((group.to_owned(), serial, d));
        }
    }
    out
}

fn parse_device_groups(
    result: &Element,
    _ctx: &ParseContext,
    out: &mut Families,
) -> Result<(), ParseError> {
    let list = result
        .child("devicegroups")
        .ok_or_else(|| ParseError("<devicegroups> missing".into()))?;
    for (group, serial, d) in members(list) {
        let l = labels([("device_group", &group), ("serial", &serial)]);
        // the device-level status first, then the vsys ones (in sync when every vsys is),
        // in pan-os-python's order
        let status = text(d, "shared-policy-status")
            .and_then(|s| sync_status(&s))
            .or_else(|| {
                let v: Vec<f64> = d
                    .find_all("vsys/entry/shared-policy-status")
                    .into_iter()
                    .filter_map(|s| sync_status(&s.deep_text()))
                    .collect();
                (!v.is_empty()).then(|| v.iter().copied().fold(1.0, f64::min))
            });
        if let Some(v) = status {
            out.gauge(
                "panos_panorama_device_group_in_sync",
                "1 when the firewall has the device-group policy Panorama's running configuration has (shared-policy-status In Sync).",
                l.clone(),
                v,
            );
        }
        if let Some(v) = push_outcome(d, "last-commit-all-state-sp") {
            out.gauge(
                "panos_panorama_device_group_push_succeeded",
                "1 when the last device-group push to the firewall succeeded.",
                l,
                v,
            );
        }
    }
    Ok(())
}

fn parse_templates(
    result: &Element,
    _ctx: &ParseContext,
    out: &mut Families,
) -> Result<(), ParseError> {
    let list = result
        .child("templates")
        .or_else(|| result.child("template-stack"))
        .ok_or_else(|| ParseError("<templates> missing".into()))?;
    for (template, serial, d) in members(list) {
        let l = labels([("template", &template), ("serial", &serial)]);
        if let Some(v) = text(d, "template-status").and_then(|s| sync_status(&s)) {
            out.gauge(
                "panos_panorama_template_in_sync",
                "1 when the firewall has the template (or template-stack) configuration Panorama's running configuration has (template-status In Sync).",
                l.clone(),
                v,
            );
        }
        if let Some(v) = push_outcome(d, "last-commit-all-state-tpl") {
            out.gauge(
                "panos_panorama_template_push_succeeded",
                "1 when the last template push to the firewall succeeded.",
                l,
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
    fn parses_devices() {
        // the shape of the public captures: an empty vsys status, which is no status
        let xml = "<devices><entry name=\"007\"><serial>007</serial><connected>yes</connected><hostname>fw-a</hostname><vsys><entry name=\"vsys1\"><shared-policy-status/><shared-policy-md5sum>659e7d433a40772daec9f750125391bf</shared-policy-md5sum></entry></vsys></entry><entry name=\"008\"><serial>008</serial><connected>no</connected><hostname>fw-b</hostname></entry></devices>";
        let f = parse_fixture(&COLLECTOR, xml).unwrap();
        assert_eq!(
            f.value("panos_panorama_device_connected", &[("serial", "008")]),
            Some(0.0)
        );
        assert_eq!(
            f.value("panos_panorama_device_connected", &[("serial", "007")]),
            Some(1.0)
        );
        assert_eq!(f.value("panos_panorama_devices", &[]), Some(2.0));
    }

    #[test]
    fn parses_device_group_sync() {
        let xml = "<devicegroups><entry name=\"branch\"><shared-policy-md5sum>aa</shared-policy-md5sum><devices>\
            <entry name=\"007\"><serial>007</serial><shared-policy-status>In Sync</shared-policy-status><last-commit-all-state-sp>commit succeeded</last-commit-all-state-sp></entry>\
            <entry name=\"008\"><serial>008</serial><shared-policy-status>Out of Sync</shared-policy-status><last-commit-all-state-sp>commit failed</last-commit-all-state-sp></entry>\
            <entry name=\"009\"><vsys><entry name=\"vsys1\"><shared-policy-status>In Sync</shared-policy-status></entry><entry name=\"vsys2\"><shared-policy-status>Out of Sync</shared-policy-status></entry></vsys></entry>\
            <entry name=\"010\"><serial>010</serial><shared-policy-status/><last-commit-all-state-sp/></entry>\
            </devices></entry><entry name=\"empty\"/></devicegroups>";
        let f = parse_fixture(&DEVICE_GROUPS, xml).unwrap();
        let v = |name: &str, serial: &str| {
            f.value(name, &[("device_group", "branch"), ("serial", serial)])
        };
        assert_eq!(v("panos_panorama_device_group_in_sync", "007"), Some(1.0));
        assert_eq!(v("panos_panorama_device_group_in_sync", "008"), Some(0.0));
        assert_eq!(
            v("panos_panorama_device_group_in_sync", "009"),
            Some(0.0),
            "one vsys out of sync"
        );
        assert_eq!(
            v("panos_panorama_device_group_in_sync", "010"),
            None,
            "no status is not out of sync"
        );
        assert_eq!(
            v("panos_panorama_device_group_push_succeeded", "007"),
            Some(1.0)
        );
        assert_eq!(
            v("panos_panorama_device_group_push_succeeded", "008"),
            Some(0.0)
        );
        assert_eq!(v("panos_panorama_device_group_push_succeeded", "010"), None);
    }

    #[test]
    fn parses_template_sync() {
        let xml = "<templates><entry name=\"T1\"><devices><entry name=\"007\"><serial>007</serial><connected>yes</connected><template-status>Out of Sync</template-status><last-commit-all-state-tpl>commit succeeded with warnings</last-commit-all-state-tpl></entry></devices></entry>\
            <entry name=\"S1\"><devices><entry name=\"007\"><serial>007</serial><template-status>In Sync</template-status></entry></devices></entry></templates>";
        let f = parse_fixture(&TEMPLATES, xml).unwrap();
        assert_eq!(
            f.value(
                "panos_panorama_template_in_sync",
                &[("template", "T1"), ("serial", "007")]
            ),
            Some(0.0)
        );
        assert_eq!(
            f.value(
                "panos_panorama_template_in_sync",
                &[("template", "S1"), ("serial", "007")]
            ),
            Some(1.0)
        );
        assert_eq!(
            f.value(
                "panos_panorama_template_push_succeeded",
                &[("template", "T1")]
            ),
            Some(1.0)
        );
        assert!(parse_fixture(&TEMPLATES, "<devices/>").is_err());
    }
}
