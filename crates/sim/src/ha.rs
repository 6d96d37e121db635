//! `show high-availability state` derived from the device's HA configuration.
//!
//! The answer has the real device's shape (XSOAR's captured `show_ha_state_enabled.xml`,
//! `show_ha_state_panorama_enabled.xml`; disabled is `<enabled>no</enabled>`). The peer is
//! not simulated: it is reported up, with the complementary state, at the configured
//! `peer-ip` and the default priority 100.

use crate::device::{ApiError, Device, LOCALHOST};
use crate::ops::SW_VERSION;
use crate::xml::{self, Element};
use crate::xpath::XPath;

/// The peer's device priority (not configurable: the peer is imaginary).
const PEER_PRIORITY: u32 = 100;

fn ha_config(dev: &Device) -> Option<&Element> {
    let x = XPath::parse(&format!("{LOCALHOST}/deviceconfig/high-availability")).ok()?;
    let sel = x.select(&dev.running);
    sel.first().and_then(|p| crate::xpath::get(&dev.running, p))
}

fn enabled(ha: Option<&Element>) -> bool {
    ha.and_then(|h| h.find_text("enabled")) == Some("yes")
}

fn text(el: &str, v: impl std::fmt::Display) -> String {
    format!("<{el}>{}</{el}>", xml::escape(&v.to_string()))
}

/// The `<result>` body of `show high-availability state`.
pub fn state(dev: &Device) -> String {
    let ha = ha_config(dev);
    if !enabled(ha) {
        return "<enabled>no</enabled>".into();
    }
    let Some(ha) = ha else {
        return "<enabled>no</enabled>".into();
    };
    let duration = dev
        .clock
        .now()
        .saturating_duration_since(dev.started)
        .as_secs();
    if dev.panorama {
        return panorama_state(dev, ha, duration);
    }
    let group = ha.child("group");
    let g = |p: &str| group.and_then(|g| g.find_text(p));
    let active_active = group.and_then(|g| g.find("mode/active-active")).is_some();
    let mode = if active_active {
        "Active-Active"
    } else {
        "Active-Passive"
    };
    let priority: u32 = g("election-option/device-priority")
        .and_then(|p| p.parse().ok())
        .unwrap_or(100);
    let preemptive = g("election-option/preemptive").unwrap_or("no");
    let peer_ip = g("peer-ip").unwrap_or("");
    let peer_up = !peer_ip.is_empty();
    // lower priority value wins; a tie goes to the local device
    let local_first = priority <= PEER_PRIORITY;
    let (local, peer) = match (dev.ha_suspended, active_active, local_first) {
        (true, _, _) => (
            "suspended",
            if active_active {
                "active-primary"
            } else {
                "active"
            },
        ),
        (false, true, true) => ("active-primary", "active-secondary"),
        (false, true, false) => ("active-secondary", "active-primary"),
        (false, false, true) => ("active", "passive"),
        (false, false, false) => ("passive", "active"),
    };
    let state_sync = if g("state-synchronization/enabled") == Some("yes") {
        "Complete"
    } else {
        "User-disabled"
    };
    let config_sync = g("configuration-synchronization/enabled") != Some("no");
    let ha1 = ha.find("interface/ha1");
    let ha1_ip = ha1.and_then(|h| h.find_text("ip-address")).unwrap_or("");
    let ha1_mask = ha1.and_then(|h| h.find_text("netmask")).unwrap_or("");
    let ha1_port = ha1
        .and_then(|h| h.find_text("port"))
        .unwrap_or("management");
    let ha1_ipaddr = match (ha1_ip, ha1_mask) {
        ("", _) => dev.ip.clone(),
        (ip, "") => ip.to_string(),
        (ip, m) => format!("{ip}/{}", mask_len(m)),
    };
    let local_info = [
        text("version", 1),
        text("state", local),
        text("state-duration", duration),
        text(
            "last-error-state",
            if dev.ha_suspended { "suspended" } else { "" },
        ),
        text(
            "last-error-reason",
            if dev.ha_suspended {
                "User requested"
            } else {
                ""
            },
        ),
        text("mode", mode),
        text("priority", priority),
        text("preemptive", preemptive),
        text("platform-model", "PA-VM"),
        text("build-rel", SW_VERSION),
        text("app-version", "8841-8997"),
        text("threat-version", "8841-8997"),
        text("av-version", "5012-5532"),
        text("url-version", "20261122.20001"),
        text("mgmt-ip", format!("{}/24", dev.ip)),
        text("ha1-ipaddr", ha1_ipaddr),
        text("ha1-port", ha1_port),
        text("state-sync", state_sync),
        text("build-compat", "Match"),
        text("app-compat", "Match"),
        text("threat-compat", "Match"),
        text("av-compat", "Match"),
        text("url-compat", "Match"),
        text("vm-license", "VM-100"),
        text("vm-license-compat", "Match"),
        text("heartbeat-interval", 2000),
        text("hello-interval", 8000),
        text("preempt-hold", 1),
        text("promotion-hold", 2000),
        text("max-flaps", 3),
        text("preempt-flap-cnt", 0),
        text("nonfunc-flap-cnt", 0),
    ]
    .concat();
    let peer_info = [
        text("version", 1),
        text("state", if peer_up { peer } else { "unknown" }),
        text("state-duration", duration),
        text("mode", mode),
        text("priority", PEER_PRIORITY),
        text("preemptive", preemptive),
        text("platform-model", "PA-VM"),
        text("build-rel", SW_VERSION),
        text("app-version", "8841-8997"),
        text("threat-version", "8841-8997"),
        text("av-version", "5012-5532"),
        text("mgmt-ip", peer_ip),
        text("ha1-ipaddr", peer_ip),
        text("conn-status", if peer_up { "up" } else { "down" }),
        format!(
            "<conn-ha1><conn-status>{}</conn-status><conn-primary>yes</conn-primary><conn-desc>heartbeat status</conn-desc></conn-ha1>",
            if peer_up { "up" } else { "down" }
        ),
    ]
    .concat();
    format!(
        "<enabled>yes</enabled><group>{mode_el}<local-info>{local_info}</local-info><peer-info>{peer_info}</peer-info><link-monitoring><failure-condition>any</failure-condition><enabled>yes</enabled><groups/></link-monitoring><path-monitoring><virtual-wire/><failure-condition>any</failure-condition><enabled>yes</enabled><vlan/><virtual-router/></path-monitoring>{sync}{sync_enabled}</group>",
        mode_el = text("mode", mode),
        sync = text(
            "running-sync",
            if config_sync && peer_up && !dev.dirty {
                "synchronized"
            } else {
                "not synchronized"
            }
        ),
        sync_enabled = text(
            "running-sync-enabled",
            if config_sync { "yes" } else { "no" }
        ),
    )
}

fn panorama_state(dev: &Device, ha: &Element, duration: u64) -> String {
    let primary = ha.find_text("election-option/priority") != Some("secondary");
    let peer_ip = ha.find_text("peer/ip-address").unwrap_or("");
    let peer_up = !peer_ip.is_empty();
    let (local, peer) = match (dev.ha_suspended, primary) {
        (true, true) => ("primary-suspended", "secondary-active"),
        (true, false) => ("secondary-suspended", "primary-active"),
        (false, true) => ("primary-active", "secondary-passive"),
        (false, false) => ("secondary-passive", "primary-active"),
    };
    let preemptive = ha.find_text("election-option/preemptive").unwrap_or("no");
    format!(
        "<enabled>yes</enabled><local-info>{}</local-info><peer-info>{}</peer-info><path-monitoring><failure-condition>any</failure-condition><enabled>yes</enabled><groups/></path-monitoring>{}{}",
        [
            text("version", 1),
            text("state", local),
            text("state-duration", duration),
            text("priority", if primary { "primary" } else { "secondary" }),
            text("preemptive", preemptive),
            text("build-rel", SW_VERSION),
            text("mgmt-ip", format!("{}/24", dev.ip)),
            text("build-compat", "Match"),
            text("app-compat", "Match"),
        ]
        .concat(),
        [
            text("version", 1),
            text("state", if peer_up { peer } else { "unknown" }),
            text("state-duration", duration),
            text("priority", if primary { "secondary" } else { "primary" }),
            text("preemptive", preemptive),
            text("build-rel", SW_VERSION),
            text("mgmt-ip", peer_ip),
            text("conn-status", if peer_up { "up" } else { "down" }),
        ]
        .concat(),
        text(
            "running-sync",
            if peer_up && !dev.dirty {
                "synchronized"
            } else {
                "not synchronized"
            }
        ),
        text("running-sync-enabled", "yes"),
    )
}

fn mask_len(mask: &str) -> u32 {
    mask.parse::<std::net::Ipv4Addr>()
        .map(|m| u32::from(m).count_ones())
        .unwrap_or(24)
}

/// `request high-availability state suspend|functional`.
pub fn request(dev: &mut Device, el: &Element) -> Result<String, ApiError> {
    let st = el.find("high-availability/state").ok_or_else(|| {
        ApiError::new(
            17,
            "Invalid syntax or unknown command: request high-availability",
        )
    })?;
    if !enabled(ha_config(dev)) {
        // wording not in our sources (a guess)
        return Err(ApiError::new(
            13,
            "High availability is not enabled on this device",
        ));
    }
    if st.child("suspend").is_some() {
        dev.ha_suspended = true;
        Ok("Successfully changed HA state to suspended".into())
    } else if st.child("functional").is_some() {
        dev.ha_suspended = false;
        Ok("Successfully changed HA state to functional".into())
    } else {
        Err(ApiError::new(
            17,
            "request high-availability state: expected suspend or functional",
        ))
    }
}
