//! `show high-availability state` derived from the device's HA configuration and its peer.
//!
//! The answer has the real device's shape (XSOAR's captured `show_ha_state_enabled.xml`,
//! `show_ha_state_panorama_enabled.xml`; disabled is `<enabled>no</enabled>`).
//!
//! The peer is reachable only when it exists: another simulated device of the same kind with
//! HA enabled whose management or HA1 address is the configured `peer-ip`, or a peer switched
//! on through the monitoring control endpoint (`"ha_peer": {"reachable": true}`, an
//! imaginary peer of priority 100). Otherwise `peer-info` says `conn-status` down and the
//! local device is active on its own. Roles follow from both sides: a suspended device is
//! `suspended` and its peer takes over; one that comes back while its peer is active stays
//! passive unless it is preemptive; otherwise the lower priority value wins (a tie goes to the
//! lower serial, standing in for the device's lower HA1 MAC rule).

use crate::api::SimState;
use crate::device::{ApiError, Device, LOCALHOST};
use crate::ops::SW_VERSION;
use crate::xml::{self, Element};
use crate::xpath::XPath;

/// The device priority of a peer switched on through the control endpoint (no simulated
/// device behind it).
const PEER_PRIORITY: u32 = 100;

/// One side of an HA pair, as the election sees it.
#[derive(Debug, Clone)]
struct Side {
    serial: String,
    priority: u32,
    preemptive: bool,
    suspended: bool,
    /// Came back from suspension while its peer was active (keeps it passive).
    yielded: bool,
    ip: String,
}

fn side(dev: &Device) -> Side {
    let ha = ha_config(dev);
    let (priority, preemptive) = if dev.panorama {
        let primary = ha.and_then(|h| h.find_text("election-option/priority")) != Some("secondary");
        (
            if primary { 0 } else { 1 },
            ha.and_then(|h| h.find_text("election-option/preemptive")) == Some("yes"),
        )
    } else {
        let g = |p: &str| {
            ha.and_then(|h| h.child("group"))
                .and_then(|g| g.find_text(p))
        };
        (
            g("election-option/device-priority")
                .and_then(|p| p.parse().ok())
                .unwrap_or(100),
            g("election-option/preemptive") == Some("yes"),
        )
    };
    Side {
        serial: dev.serial.clone(),
        priority,
        preemptive,
        suspended: dev.ha_suspended,
        yielded: dev.monitor.ha_yielded,
        ip: dev.ip.clone(),
    }
}

/// The configured peer address (`group/peer-ip` on a firewall, `peer/ip-address` on Panorama).
fn peer_ip(dev: &Device) -> String {
    let ha = ha_config(dev);
    let p = if dev.panorama {
        ha.and_then(|h| h.find_text("peer/ip-address"))
    } else {
        ha.and_then(|h| h.find_text("group/peer-ip"))
    };
    p.unwrap_or("").to_string()
}

/// The simulated device that is `dev`'s HA peer, if any.
fn peer_device<'a>(st: &'a SimState, dev: &Device) -> Option<crate::api::DeviceRef<'a>> {
    let ip = peer_ip(dev);
    if ip.is_empty() {
        return None;
    }
    st.devices.values().find(|d| {
        d.serial != dev.serial
            && d.panorama == dev.panorama
            && enabled(ha_config(d))
            && (d.ip == ip
                || ha_config(d)
                    .and_then(|h| h.find_text("interface/ha1/ip-address"))
                    .is_some_and(|a| a == ip))
    })
}

/// The peer as `dev` sees it: `None` when it is not reachable.
fn peer_side(st: &SimState, dev: &Device) -> Option<Side> {
    let sim = peer_device(st, dev);
    let reachable = dev.monitor.ha_peer_reachable.unwrap_or(sim.is_some());
    if !reachable {
        return None;
    }
    Some(match sim {
        Some(p) => side(&p),
        None => Side {
            serial: String::new(),
            priority: if dev.panorama {
                u32::from(side(dev).priority == 0)
            } else {
                PEER_PRIORITY
            },
            preemptive: false,
            suspended: false,
            yielded: false,
            ip: peer_ip(dev),
        },
    })
}

/// Whether `local` is the active one of the pair (the peer's view is the mirror image).
fn local_wins(local: &Side, peer: &Side) -> bool {
    match (local.suspended, peer.suspended) {
        (true, _) => return false,
        (false, true) => return true,
        _ => {}
    }
    if local.yielded && !local.preemptive && !peer.yielded {
        return false;
    }
    if peer.yielded && !peer.preemptive && !local.yielded {
        return true;
    }
    // an imaginary peer has no serial: a tie goes to the local device
    (local.priority, local.serial.as_str()) <= (peer.priority, peer.serial.as_str())
        || peer.serial.is_empty() && local.priority == peer.priority
}

/// `show high-availability state|all` for `serial`.
pub fn show(st: &SimState, serial: &str) -> Result<String, ApiError> {
    let dev = st
        .devices
        .get(serial)
        .ok_or_else(|| ApiError::new(17, "unknown device"))?;
    let peer = peer_side(st, &dev);
    Ok(state(&dev, peer.as_ref()))
}

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

/// The `<result>` body of `show high-availability state`; `peer` is the reachable peer.
fn state(dev: &Device, peer: Option<&Side>) -> String {
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
        return panorama_state(dev, ha, duration, peer);
    }
    let group = ha.child("group");
    let g = |p: &str| group.and_then(|g| g.find_text(p));
    let active_active = group.and_then(|g| g.find("mode/active-active")).is_some();
    let mode = if active_active {
        "Active-Active"
    } else {
        "Active-Passive"
    };
    let me = side(dev);
    let priority = me.priority;
    let preemptive = g("election-option/preemptive").unwrap_or("no");
    let peer_ip = g("peer-ip").unwrap_or("");
    let peer_up = peer.is_some();
    let (local, peer_state) = match peer {
        // alone: active unless suspended
        None if dev.ha_suspended => ("suspended", "unknown"),
        None if active_active => ("active-primary", "unknown"),
        None => ("active", "unknown"),
        Some(p) => {
            let win = local_wins(&me, p);
            let (a, b) = if active_active {
                ("active-primary", "active-secondary")
            } else {
                ("active", "passive")
            };
            let other = |suspended: bool, won: bool| match (suspended, won) {
                (true, _) => "suspended",
                (false, true) => a,
                (false, false) => b,
            };
            (other(me.suspended, win), other(p.suspended, !win))
        }
    };
    let peer_priority = peer.map_or(PEER_PRIORITY, |p| p.priority);
    let peer_mgmt = peer.map_or(peer_ip.to_string(), |p| p.ip.clone());
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
        text("state", peer_state),
        text("state-duration", duration),
        text("mode", mode),
        text("priority", peer_priority),
        text("preemptive", preemptive),
        text("platform-model", "PA-VM"),
        text("build-rel", SW_VERSION),
        text("app-version", "8841-8997"),
        text("threat-version", "8841-8997"),
        text("av-version", "5012-5532"),
        text("mgmt-ip", peer_mgmt),
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

fn panorama_state(dev: &Device, ha: &Element, duration: u64, peer: Option<&Side>) -> String {
    let primary = ha.find_text("election-option/priority") != Some("secondary");
    let peer_ip = ha.find_text("peer/ip-address").unwrap_or("");
    let peer_up = peer.is_some();
    let (me, them) = if primary {
        ("primary", "secondary")
    } else {
        ("secondary", "primary")
    };
    let role = |suspended: bool, won: bool| match (suspended, won) {
        (true, _) => "suspended",
        (false, true) => "active",
        (false, false) => "passive",
    };
    let (local_role, peer_role) = match peer {
        None => (role(dev.ha_suspended, true), "unknown".to_string()),
        Some(p) => {
            let win = local_wins(&side(dev), p);
            (
                role(dev.ha_suspended, win),
                format!("{them}-{}", role(p.suspended, !win)),
            )
        }
    };
    let local = format!("{me}-{local_role}");
    let peer = peer_role;
    let preemptive = ha.find_text("election-option/preemptive").unwrap_or("no");
    format!(
        "<enabled>yes</enabled><local-info>{}</local-info><peer-info>{}</peer-info><path-monitoring><failure-condition>any</failure-condition><enabled>yes</enabled><groups/></path-monitoring>{}{}",
        [
            text("version", 1),
            text("state", &local),
            text("state-duration", duration),
            text("priority", me),
            text("preemptive", preemptive),
            text("build-rel", SW_VERSION),
            text("mgmt-ip", format!("{}/24", dev.ip)),
            text("build-compat", "Match"),
            text("app-compat", "Match"),
        ]
        .concat(),
        [
            text("version", 1),
            text("state", &peer),
            text("state-duration", duration),
            text("priority", them),
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

/// `request high-availability state suspend|functional` on `serial`. Coming back while the
/// peer is active leaves this device passive (unless preemptive) and lets the peer keep its
/// role.
pub fn request(st: &mut SimState, serial: &str, el: &Element) -> Result<String, ApiError> {
    let hs = el.find("high-availability/state").ok_or_else(|| {
        ApiError::new(
            17,
            "Invalid syntax or unknown command: request high-availability",
        )
    })?;
    let dev = st
        .devices
        .get(serial)
        .ok_or_else(|| ApiError::new(17, "unknown device"))?;
    if !enabled(ha_config(&dev)) {
        // wording not in our sources (a guess)
        return Err(ApiError::new(
            13,
            "High availability is not enabled on this device",
        ));
    }
    let peer = peer_side(st, &dev);
    let peer_serial = peer_device(st, &dev).map(|d| d.serial.clone());
    let suspend = if hs.child("suspend").is_some() {
        true
    } else if hs.child("functional").is_some() {
        false
    } else {
        return Err(ApiError::new(
            17,
            "request high-availability state: expected suspend or functional",
        ));
    };
    let was_suspended = dev.ha_suspended;
    drop(dev);
    let dev = st
        .devices
        .get_mut(serial)
        .ok_or_else(|| ApiError::new(17, "unknown device"))?;
    dev.ha_suspended = suspend;
    if suspend {
        dev.monitor.ha_yielded = false;
    } else if was_suspended {
        // the peer took over meanwhile: it keeps the active role
        dev.monitor.ha_yielded = peer.as_ref().is_some_and(|p| !p.suspended);
    }
    if suspend || dev.monitor.ha_yielded {
        // the peer's own earlier hand-over no longer applies: it is the one in charge now
        if let Some(p) = peer_serial.and_then(|s| st.devices.get_mut(&s)) {
            p.monitor.ha_yielded = false;
        }
    }
    st.mark_all_changed();
    Ok(if suspend {
        "Successfully changed HA state to suspended".into()
    } else {
        "Successfully changed HA state to functional".into()
    })
}
