//! Panorama's view of its managed firewalls: `show devices all|connected`,
//! `show devicegroups`, `show templates` and `show template-stack`, with the sync status
//! derived from what Panorama last pushed to each firewall ([`crate::template::PushRecord`]).
//!
//! Shapes, and where they come from:
//! - `show devices all`: the device entry of the PAN-OS XML API guide (9.1, "Query a
//!   firewall from Panorama") and of pan-os-upgrade's test fixture (PAN-OS 10.1): the
//!   `vsys/entry` carries an *empty* `shared-policy-status` with `shared-policy-md5sum` and
//!   `shared-policy-version`; the sync status itself is not in this reply.
//! - `show devicegroups`: `devicegroups/entry[@name]` with a group-level
//!   `shared-policy-md5sum` (read by a Java Panorama client's `ShowDeviceGroups` mapping and
//!   the ServiceNow Panorama discovery) and `devices/entry[@name=serial]` holding the device
//!   fields plus `shared-policy-status` ("In Sync" / "Out of Sync") and
//!   `last-commit-all-state-sp`. pan-os-python `Panorama.refresh_devices` reads
//!   `shared-policy-status` on the device entry first and under `vsys/entry` second; a
//!   field report notes `shared-policy-md5sum` appears twice under one device entry (device
//!   level and vsys level), which this reply reproduces.
//! - `show templates` / `show template-stack`: `templates|template-stack/entry[@name]`
//!   with `devices/entry[@name=serial]` holding `serial`, `connected`, `template-status`
//!   ("In Sync" / "Out of Sync") and `last-commit-all-state-tpl` (read by
//!   ncarabajal/palo-alto-panorama-managed-devices, a public Panorama admin script's
//!   `getDevicesForCommit`, and a PowerShell HA/sync report). Two of those scripts treat
//!   the entries of `show templates` as template stacks, so `show templates` lists the
//!   templates (with the devices of the stacks that use them) and then the stacks;
//!   `show template-stack` lists the stacks only. No public capture shows whether a
//!   real Panorama lists stacks in `show templates`; this is the reading of those parsers.
//!
//! No public capture gives `last-commit-all-state-*` before the first push; it is an empty
//! element here.

use std::collections::HashMap;

use super::{SW_VERSION, ok, unknown};
use crate::api::{PANORAMA_SERIAL, SimState, device_template_config};
use crate::device::{ApiError, Device};
use crate::template::{self, sync_word};
use crate::xml::{self, Element};

/// Extra device-level fields and the vsys-level status of one listing.
#[derive(Default)]
struct Extra<'a> {
    /// Device-level fields, inserted before `<vsys>`.
    fields: String,
    /// `vsys/entry/shared-policy-status` (empty in `show devices all`).
    vsys_status: &'a str,
}

fn opt(tag: &str, v: Option<&str>) -> String {
    match v {
        Some(v) => format!("<{tag}>{}</{tag}>", xml::escape(v)),
        None => format!("<{tag}/>"),
    }
}

/// One managed firewall as Panorama lists it.
fn device_entry(fw: &Device, extra: &Extra) -> String {
    format!(
        "<entry name=\"{s}\"><serial>{s}</serial><connected>{conn}</connected><unsupported-version>no</unsupported-version><wildfire-rt>no</wildfire-rt><deactivated>no</deactivated><hostname>{h}</hostname><ip-address>{ip}</ip-address><ipv6-address>unknown</ipv6-address><mac-addr/><uptime>{up}</uptime><family>vm</family><model>PA-VM</model><sw-version>{v}</sw-version><app-version>8841-8997</app-version><av-version>5012-5532</av-version><device-dictionary-version>150-598</device-dictionary-version><wildfire-version>912345-916234</wildfire-version><threat-version>8841-8997</threat-version><url-db>paloaltonetworks</url-db><url-filtering-version>20261122.20001</url-filtering-version><logdb-version>11.1.2</logdb-version><vpnclient-package-version/><global-protect-client-package-version>0.0.0</global-protect-client-package-version><prev-app-version>0</prev-app-version><prev-av-version>0</prev-av-version><prev-threat-version>0</prev-threat-version><prev-wildfire-version>0</prev-wildfire-version><domain/><slot-count>0</slot-count><type/><tag/><plugin_versions/><ha-cluster/><vpn-disable-mode>no</vpn-disable-mode><operational-mode>normal</operational-mode><certificate-status/><certificate-subject-name>{s}</certificate-subject-name><certificate-expiry>2031/11/22 00:00:00</certificate-expiry><connected-at>2026/11/22 00:00:00</connected-at><custom-certificate-usage>no</custom-certificate-usage><multi-vsys>no</multi-vsys>{fields}<vsys><entry name=\"vsys1\"><display-name>vsys1</display-name>{status}{md5}<shared-policy-version>{ver}</shared-policy-version></entry></vsys><last-masterkey-push-status>Unknown</last-masterkey-push-status><last-masterkey-push-timestamp/><express-mode>no</express-mode><device-cert-present/><device-cert-expiry-date>N/A</device-cert-expiry-date></entry>",
        s = xml::escape(&fw.serial),
        h = xml::escape(&fw.current_hostname()),
        ip = fw.ip,
        up = fw.uptime(),
        v = SW_VERSION,
        conn = if fw.connected { "yes" } else { "no" },
        fields = extra.fields,
        status = opt(
            "shared-policy-status",
            (!extra.vsys_status.is_empty()).then_some(extra.vsys_status)
        ),
        md5 = opt("shared-policy-md5sum", fw.pushed.policy.md5.as_deref()),
        ver = fw.pushed.policy.version,
    )
}

/// Panorama, when the request is for it (not for a firewall through `target=`).
fn panorama<'a>(st: &'a SimState, serial: &str) -> Option<crate::api::DeviceRef<'a>> {
    st.devices
        .get(PANORAMA_SERIAL)
        .filter(|p| serial == PANORAMA_SERIAL && p.panorama)
}

/// `show devices all|connected`.
pub(super) fn show_devices(st: &SimState, serial: &str, el: &Element) -> Result<String, ApiError> {
    if panorama(st, serial).is_none() {
        return Err(unknown(el));
    }
    let only_connected = el.find("devices/connected").is_some();
    let mut s = String::from("<devices>");
    for serial in &st.managed {
        if let Some(fw) = st
            .devices
            .get(serial)
            .filter(|f| f.connected || !only_connected)
        {
            s.push_str(&device_entry(&fw, &Extra::default()));
        }
    }
    s.push_str("</devices>");
    Ok(ok(&s))
}

fn member_serials(e: &Element) -> Vec<&str> {
    e.child("devices")
        .map(|d| d.children.iter().filter_map(Element::name_attr).collect())
        .unwrap_or_default()
}

/// `show devicegroups`: every device group with its firewalls and their policy sync status.
pub(super) fn show_devicegroups(st: &SimState, serial: &str) -> Result<String, ApiError> {
    let Some(pano) = panorama(st, serial) else {
        return Err(ApiError::new(
            17,
            "show devicegroups is only available on Panorama",
        ));
    };
    let running = &pano.running;
    let mut s = String::from("<devicegroups>");
    let groups = running
        .find("devices")
        .and_then(|d| d.entry_child("localhost.localdomain"))
        .and_then(|l| l.child("device-group"));
    for dg in groups.map(|g| g.children.as_slice()).unwrap_or_default() {
        let Some(name) = dg.name_attr() else {
            continue;
        };
        let current = template::policy_md5(running, name);
        s.push_str(&format!(
            "<entry name=\"{}\">{}<devices>",
            xml::escape(name),
            opt("shared-policy-md5sum", current.as_deref())
        ));
        for fw in member_serials(dg)
            .into_iter()
            .filter_map(|n| st.devices.get(n))
        {
            let p = &fw.pushed.policy;
            let status = sync_word(p.in_sync(current.as_deref()));
            let extra = Extra {
                fields: format!(
                    "<shared-policy-status>{status}</shared-policy-status>{}{}",
                    opt("shared-policy-md5sum", p.md5.as_deref()),
                    opt("last-commit-all-state-sp", p.last.as_deref()),
                ),
                vsys_status: status,
            };
            s.push_str(&device_entry(&fw, &extra));
        }
        s.push_str("</devices></entry>");
    }
    s.push_str("</devicegroups>");
    Ok(ok(&s))
}

/// `show templates` (templates, then stacks) and `show template-stack` (stacks only):
/// each with its firewalls and their template sync status.
pub(super) fn show_templates(
    st: &SimState,
    serial: &str,
    stacks_only: bool,
) -> Result<String, ApiError> {
    let root = if stacks_only {
        "template-stack"
    } else {
        "templates"
    };
    let Some(pano) = panorama(st, serial) else {
        return Err(ApiError::new(
            17,
            format!("show {root} is only available on Panorama"),
        ));
    };
    let running = &pano.running;
    let lh = running
        .find("devices")
        .and_then(|d| d.entry_child("localhost.localdomain"));
    let list = |tag: &str| -> &[Element] {
        lh.and_then(|l| l.child(tag))
            .map(|t| t.children.as_slice())
            .unwrap_or_default()
    };
    let stacks = list("template-stack");
    // (name, devices) in listing order
    let mut entries: Vec<(&str, Vec<&str>)> = Vec::new();
    if !stacks_only {
        for t in list("template") {
            let Some(name) = t.name_attr() else {
                continue;
            };
            // a template reaches the devices of the stacks that use it
            let mut devs: Vec<&str> = Vec::new();
            for stack in stacks.iter().filter(|s| {
                s.child("templates")
                    .is_some_and(|m| m.children.iter().any(|c| c.text_str() == name))
            }) {
                for d in member_serials(stack) {
                    if !devs.contains(&d) {
                        devs.push(d);
                    }
                }
            }
            entries.push((name, devs));
        }
    }
    for stack in stacks {
        if let Some(name) = stack.name_attr() {
            entries.push((name, member_serials(stack)));
        }
    }
    // what Panorama would push to each firewall now (its whole stack), computed once
    let mut current: HashMap<&str, Option<String>> = HashMap::new();
    let mut s = format!("<{root}>");
    for (name, devs) in entries {
        s.push_str(&format!("<entry name=\"{}\"><devices>", xml::escape(name)));
        for serial in devs {
            let Some(fw) = st.devices.get(serial) else {
                continue;
            };
            let cur = current.entry(serial).or_insert_with(|| {
                device_template_config(running, serial).map(|c| template::md5_hex(&c))
            });
            let t = &fw.pushed.template;
            let extra = Extra {
                fields: format!(
                    "<template-status>{}</template-status>{}",
                    sync_word(t.in_sync(cur.as_deref())),
                    opt("last-commit-all-state-tpl", t.last.as_deref()),
                ),
                vsys_status: "",
            };
            s.push_str(&device_entry(&fw, &extra));
        }
        s.push_str("</devices></entry>");
    }
    s.push_str(&format!("</{root}>"));
    Ok(ok(&s))
}
