//! The monitoring side of the simulator: BGP peers, IPsec tunnels, GlobalProtect gateways,
//! User-ID agents and factory certificates as live, steerable state; op commands that
//! honour their arguments (`resource-monitor minute last N`, `environmentals fan`, `bgp peer
//! NAME`, …); and per-command faults so that one monitoring collector can be made to fail
//! while the others go on.
//!
//! State changes through [`crate::SimHandle`] methods or the control endpoint
//! `POST /sim/monitor` (JSON, see [`control`]).

use std::time::{Duration, Instant};

use serde_json::Value;

use super::{ok, ok_text, unknown, words};
use crate::api::SimState;
use crate::device::{ApiError, Device};
use crate::xml::{self, Element};

/// A BGP peer.
#[derive(Debug, Clone)]
pub struct BgpPeer {
    /// Peer name.
    pub name: String,
    /// Virtual router.
    pub vr: String,
    /// Peer group.
    pub group: String,
    /// Remote AS.
    pub remote_as: u32,
    /// Peer address.
    pub address: String,
    /// Local address.
    pub local: String,
    /// Session established.
    pub established: bool,
    /// When the current state began.
    pub since: Instant,
    /// Times the session left Established (only grows).
    pub flaps: u64,
    /// Prefixes received.
    pub prefixes_in: u64,
    /// Prefixes advertised.
    pub prefixes_out: u64,
}

/// An IPsec tunnel.
#[derive(Debug, Clone)]
pub struct Tunnel {
    /// Tunnel id.
    pub id: u32,
    /// Tunnel name.
    pub name: String,
    /// IKE gateway name.
    pub gateway: String,
    /// Peer IP.
    pub peer: String,
    /// Local IP.
    pub local: String,
    /// Outer interface.
    pub outer_if: String,
    /// Tunnel interface.
    pub inner_if: String,
    /// SA up.
    pub up: bool,
}

/// A GlobalProtect gateway.
#[derive(Debug, Clone)]
pub struct Gateway {
    /// Gateway name.
    pub name: String,
    /// Connected users.
    pub users: Vec<(String, String)>,
    /// Users seen since the gateway started (only grows).
    pub previous: u64,
}

/// A User-ID agent.
#[derive(Debug, Clone)]
pub struct Agent {
    /// Agent name.
    pub name: String,
    /// Host.
    pub host: String,
    /// Port.
    pub port: u16,
    /// Connected.
    pub connected: bool,
}

/// A certificate that is part of the factory state (besides those in the configuration).
#[derive(Debug, Clone)]
pub struct FactoryCert {
    /// Name.
    pub name: String,
    /// Subject DN.
    pub subject: String,
    /// Issuer DN.
    pub issuer: String,
    /// Days from the device start to expiry (negative: expired before).
    pub days: i64,
}

/// Monitoring state of one device.
#[derive(Debug, Clone, Default)]
pub struct Monitor {
    /// BGP peers.
    pub bgp: Vec<BgpPeer>,
    /// IPsec tunnels.
    pub tunnels: Vec<Tunnel>,
    /// GlobalProtect gateways.
    pub gateways: Vec<Gateway>,
    /// User-ID agents.
    pub agents: Vec<Agent>,
    /// Factory certificates.
    pub certs: Vec<FactoryCert>,
    /// Fan index (1-based) in alarm.
    pub fan_alarm: Option<u32>,
    /// Power supply index (1-based) removed.
    pub psu_removed: Option<u32>,
    /// HA peer reachability set through the control endpoint; `None`: reachable exactly when
    /// a simulated device is the peer (see [`crate::ha`]).
    pub ha_peer_reachable: Option<bool>,
    /// This HA device came back from suspension while its peer was active, so it stays
    /// passive (unless preemptive) until the peer gives up the active role.
    pub ha_yielded: bool,
    /// Disk usage beyond what follows from logs and configuration.
    pub disk: super::disk::Disk,
    /// When `request content upgrade check` last asked the update server.
    pub content_checked: Option<chrono::DateTime<chrono::Utc>>,
    /// When `request system software check` last asked the update server.
    pub software_checked: Option<chrono::DateTime<chrono::Utc>>,
    /// The User-ID redistribution service and its clients.
    pub redistribution: super::readiness::Redistribution,
}

impl Monitor {
    /// The factory state: two BGP peers (one established), a tunnel, a GlobalProtect
    /// gateway with users, two User-ID agents (one connected) and certificates expiring in
    /// 10 days, 200 days and 5 years, plus one that has expired.
    pub fn factory(panorama: bool, now: Instant) -> Monitor {
        if panorama {
            return Monitor {
                certs: vec![FactoryCert {
                    name: "panorama-web".into(),
                    subject: "/CN=panorama.example.net".into(),
                    issuer: "/CN=Example Issuing CA".into(),
                    days: 200,
                }],
                ..Monitor::default()
            };
        }
        let peer = |name: &str, asn: u32, addr: &str, up: bool, pin: u64| BgpPeer {
            name: name.into(),
            vr: "default".into(),
            group: "upstream".into(),
            remote_as: asn,
            address: format!("{addr}:179"),
            local: "198.51.100.2:179".into(),
            established: up,
            since: now,
            flaps: 0,
            prefixes_in: pin,
            prefixes_out: 4,
        };
        Monitor {
            bgp: vec![
                peer("isp-a", 64501, "198.51.100.1", true, 120),
                peer("isp-b", 64502, "198.51.100.9", false, 80),
            ],
            tunnels: vec![Tunnel {
                id: 1,
                name: "to-branch".into(),
                gateway: "gw-branch".into(),
                peer: "203.0.113.5".into(),
                local: "198.51.100.2".into(),
                outer_if: "ethernet1/1".into(),
                inner_if: "tunnel.1".into(),
                up: true,
            }],
            gateways: vec![Gateway {
                name: "gp-gateway".into(),
                users: vec![
                    ("alice".into(), "10.8.0.10".into()),
                    ("bob".into(), "10.8.0.11".into()),
                    ("carol".into(), "10.8.0.12".into()),
                ],
                previous: 17,
            }],
            agents: vec![
                Agent {
                    name: "dc1-agent".into(),
                    host: "10.0.0.50".into(),
                    port: 5007,
                    connected: true,
                },
                Agent {
                    name: "dc2-agent".into(),
                    host: "10.0.0.51".into(),
                    port: 5007,
                    connected: false,
                },
            ],
            certs: vec![
                FactoryCert {
                    name: "gp-portal".into(),
                    subject: "/CN=vpn.example.net".into(),
                    issuer: "/C=US/O=Example/CN=Example Issuing CA".into(),
                    days: 10,
                },
                FactoryCert {
                    name: "mgmt-web".into(),
                    subject: "/CN=fw.example.net".into(),
                    issuer: "/C=US/O=Example/CN=Example Issuing CA".into(),
                    days: 200,
                },
                FactoryCert {
                    name: "Example-Root-CA".into(),
                    subject: "/C=US/O=Example/CN=Example Root CA".into(),
                    issuer: "/C=US/O=Example/CN=Example Root CA".into(),
                    days: 5 * 365,
                },
                FactoryCert {
                    name: "vsys1/old-ldaps".into(),
                    subject: "/CN=ldap.example.net".into(),
                    issuer: "/C=US/O=Example/CN=Example Issuing CA".into(),
                    days: -3,
                },
            ],
            fan_alarm: None,
            psu_removed: None,
            ha_peer_reachable: None,
            ha_yielded: false,
            disk: super::disk::Disk::default(),
            content_checked: None,
            software_checked: None,
            redistribution: Default::default(),
        }
    }
}

/// What an injected per-command fault does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpFaultKind {
    /// Answer with an API error (code 13).
    Error,
    /// Answer with a well-formed reply of an unknown shape.
    Garbage,
    /// Refuse as for an admin whose role lacks the permission (code 16).
    Denied,
    /// Answer with a valid reply padded to this many bytes.
    Huge(usize),
    /// Answer after this delay (the rest of the device is not held up).
    Slow(Duration),
}

/// A fault injected for op commands starting with `command` (CLI words, e.g. `show vpn flow`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpFault {
    /// CLI-word prefix of the commands it applies to.
    pub command: String,
    /// What it does.
    pub kind: OpFaultKind,
}

fn cli_words(el: &Element) -> String {
    words(el).join(" ")
}

/// The fault for `el`, if any.
pub fn fault_for<'a>(faults: &'a [OpFault], el: &Element) -> Option<&'a OpFault> {
    let w = cli_words(el);
    faults
        .iter()
        .find(|f| w == f.command || w.starts_with(&format!("{} ", f.command)))
}

/// The delay of a `Slow` fault for the op command in `cmd` (XML), if any.
pub fn slow_delay(faults: &[OpFault], cmd: &str) -> Option<Duration> {
    let el = xml::parse(cmd).ok()?;
    match fault_for(faults, &el)?.kind {
        OpFaultKind::Slow(d) => Some(d),
        _ => None,
    }
}

/// Apply a non-delay fault: `Some(reply)` replaces the command's answer.
pub fn apply_fault(faults: &[OpFault], el: &Element) -> Option<Result<String, ApiError>> {
    let f = fault_for(faults, el)?;
    Some(match &f.kind {
        OpFaultKind::Error => Err(ApiError::new(
            13,
            format!("{}: injected failure", cli_words(el)),
        )),
        OpFaultKind::Denied => Err(ApiError::new(
            16,
            format!(
                "Unauthorized request: the admin role does not allow {}",
                cli_words(el)
            ),
        )),
        OpFaultKind::Garbage => Ok(ok(
            "<unexpected-shape><surprise>1</surprise></unexpected-shape>",
        )),
        OpFaultKind::Huge(n) => {
            let filler = "<pad>xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx</pad>";
            let body = filler.repeat(n / filler.len() + 1);
            Ok(ok(&body))
        }
        OpFaultKind::Slow(_) => return None,
    })
}

/// Monitoring commands handled here; `None` for commands that are not ours.
pub fn run(dev: &Device, el: &Element) -> Option<Result<String, ApiError>> {
    let w = words(el);
    let w3: Vec<&str> = w.iter().take(4).copied().collect();
    Some(match w3.as_slice() {
        ["show", "running", "resource-monitor", ..] => Ok(ok(&resource_monitor(dev, el))),
        ["show", "system", "environmentals", ..] => environmentals(dev, el),
        ["show", "routing", "protocol", "bgp"] if !dev.panorama => bgp(dev, el),
        ["show", "routing", "summary", ..] if !dev.panorama => Ok(ok(&routing_summary(dev))),
        ["show", "vpn", ..] if !dev.panorama => vpn(dev, el),
        ["show", "global-protect-gateway", ..] if !dev.panorama => globalprotect(dev, el),
        ["show", "user", "user-id-agent", ..] => userid_agents(dev, el),
        ["show", "sslmgr-store", ..] => Ok(ok_text(&sslmgr(dev))),
        _ => return None,
    })
}

/// `show running resource-monitor [second|minute|hour|day|week] [last N]`: N values per
/// core (newest first), for every period asked for (all five when none is named).
fn resource_monitor(dev: &Device, el: &Element) -> String {
    const PERIODS: [(&str, usize); 5] = [
        ("second", 60),
        ("minute", 60),
        ("hour", 24),
        ("day", 7),
        ("week", 13),
    ];
    let rm = el.find("running/resource-monitor");
    let asked: Vec<(&str, usize)> = PERIODS
        .iter()
        .filter(|(p, _)| rm.is_some_and(|r| r.child(p).is_some()))
        .map(|(p, max)| {
            let last = rm
                .and_then(|r| r.child(p))
                .and_then(|c| c.find_text("last"))
                .and_then(|l| l.trim().parse::<usize>().ok())
                .unwrap_or(*max)
                .clamp(1, *max);
            (*p, last)
        })
        .collect();
    let asked = if asked.is_empty() {
        PERIODS.to_vec()
    } else {
        asked
    };
    let sessions = dev.traffic.sessions.len();
    let pps = dev.traffic.rates.first().copied().unwrap_or(0);
    let base = 2 + (pps % 20) as usize + sessions / 50;
    let series = |n: usize, offset: usize| -> String {
        (0..n)
            .map(|i| ((base + offset + (i * 7) % 5).min(100)).to_string())
            .collect::<Vec<_>>()
            .join(",")
    };
    let util = (sessions * 100 / 500).min(100);
    let mut out = String::new();
    for (p, n) in asked {
        let avg: String = (0..2)
            .map(|c| {
                format!(
                    "<entry><coreid>{c}</coreid><value>{}</value></entry>",
                    series(n, c)
                )
            })
            .collect();
        let max: String = (0..2)
            .map(|c| {
                format!(
                    "<entry><coreid>{c}</coreid><value>{}</value></entry>",
                    series(n, c + 4)
                )
            })
            .collect();
        let u = |v: usize| vec![v.to_string(); n].join(",");
        out.push_str(&format!(
            "<{p}><cpu-load-average>{avg}</cpu-load-average><cpu-load-maximum>{max}</cpu-load-maximum><task><entry><name>flow_lookup</name><value>{}</value></entry></task><resource-utilization><entry><name>session (average)</name><value>{}</value></entry><entry><name>session (maximum)</name><value>{}</value></entry><entry><name>packet buffer (average)</name><value>{}</value></entry><entry><name>packet buffer (maximum)</name><value>{}</value></entry><entry><name>packet descriptor (average)</name><value>{}</value></entry><entry><name>packet descriptor (maximum)</name><value>{}</value></entry></resource-utilization></{p}>",
            series(n, 0),
            u(util),
            u((util + 2).min(100)),
            u(1),
            u(2),
            u(1),
            u(3),
        ));
    }
    format!(
        "<resource-monitor><data-processors><dp0>{out}</dp0></data-processors></resource-monitor>"
    )
}

/// `show system environmentals [thermal|fan|power|power-supply]`: only the part asked for.
fn environmentals(dev: &Device, el: &Element) -> Result<String, ApiError> {
    let full = super::environmentals(dev);
    let mut doc = xml::parse(&format!("<r>{full}</r>"))
        .map_err(|e| ApiError::new(13, format!("environmentals: {e}")))?;
    apply_alarms(&dev.monitor, &mut doc);
    let part = el
        .find("system/environmentals")
        .and_then(|e| e.children.first())
        .map(|c| c.name.clone());
    let parts = ["thermal", "fan", "power", "power-supply"];
    let body: String = match part.as_deref() {
        None => doc.children.iter().map(|c| c.to_xml()).collect(),
        Some(p) if parts.contains(&p) => doc
            .children
            .iter()
            .filter(|c| c.name == p)
            .map(|c| c.to_xml())
            .collect(),
        Some(_) => return Err(unknown(el)),
    };
    Ok(ok(&body))
}

/// Fan and power-supply faults set through the control endpoint.
fn apply_alarms(m: &Monitor, doc: &mut Element) {
    for part in doc.children.iter_mut() {
        let (idx, fan) = match part.name.as_str() {
            "fan" => (m.fan_alarm, true),
            "power-supply" => (m.psu_removed, false),
            _ => continue,
        };
        let Some(idx) = idx else { continue };
        for slot in part.children.iter_mut() {
            for e in slot.children.iter_mut() {
                if e.find_text("index").and_then(|i| i.parse::<u32>().ok()) != Some(idx) {
                    continue;
                }
                for c in e.children.iter_mut() {
                    match (c.name.as_str(), fan) {
                        ("alarm", _) => c.text = Some("True".into()),
                        ("RPMs", true) => c.text = Some("0".into()),
                        ("Inserted", false) => c.text = Some("False".into()),
                        _ => {}
                    }
                }
            }
        }
    }
}

fn bgp_entry(p: &BgpPeer, now: Instant) -> String {
    let up = now.saturating_duration_since(p.since).as_secs();
    format!(
        "<entry peer=\"{n}\" vr=\"{vr}\"><peer-group>{g}</peer-group><peer-router-id>{rid}</peer-router-id><remote-as>{asn}</remote-as><status>{st}</status><status-duration>{up}</status-duration><password-set>no</password-set><passive>no</passive><multi-hop-ttl>1</multi-hop-ttl><peer-address>{addr}</peer-address><local-address>{local}</local-address><reflector-client>not-client</reflector-client><same-confederation>no</same-confederation><aggregate-confed-as>yes</aggregate-confed-as><peering-type>Unspecified</peering-type><connect-retry-interval>15</connect-retry-interval><open-delay>0</open-delay><idle-hold>15</idle-hold><prefix-limit>5000</prefix-limit><holdtime>90</holdtime><holdtime-config>90</holdtime-config><keepalive>30</keepalive><keepalive-config>30</keepalive-config><msg-update-in>{uin}</msg-update-in><msg-update-out>{uout}</msg-update-out><msg-total-in>{tin}</msg-total-in><msg-total-out>{tout}</msg-total-out><last-update-age>{age}</last-update-age><last-error/><status-flap-counts>{flaps}</status-flap-counts><established-counts>{est}</established-counts><ORF-entry-received>0</ORF-entry-received><nexthop-self>no</nexthop-self><nexthop-thirdparty>yes</nexthop-thirdparty><nexthop-peer>no</nexthop-peer><prefix-counter><entry afi-safi=\"bgpAfiIpv4-unicast\"><incoming-total>{pin}</incoming-total><incoming-accepted>{pin}</incoming-accepted><incoming-rejected>0</incoming-rejected><policy-rejected>0</policy-rejected><outgoing-total>{pout}</outgoing-total><outgoing-advertised>{pout}</outgoing-advertised></entry></prefix-counter></entry>",
        n = xml::escape(&p.name),
        vr = xml::escape(&p.vr),
        g = xml::escape(&p.group),
        rid = p.address.split(':').next().unwrap_or(""),
        asn = p.remote_as,
        st = if p.established {
            "Established"
        } else {
            "Active"
        },
        addr = p.address,
        local = p.local,
        uin = if p.established { up / 60 + 1 } else { 0 },
        uout = if p.established { up / 90 + 1 } else { 0 },
        tin = if p.established { up / 30 + 2 } else { 0 },
        tout = if p.established { up / 30 + 2 } else { 0 },
        age = if p.established { up % 60 } else { 0 },
        flaps = p.flaps,
        est = p.flaps + u64::from(p.established),
        pin = if p.established { p.prefixes_in } else { 0 },
        pout = if p.established { p.prefixes_out } else { 0 },
    )
}

/// `show routing protocol bgp peer [peer-name NAME] [virtual-router VR]`, and `summary`.
fn bgp(dev: &Device, el: &Element) -> Result<String, ApiError> {
    let now = dev.clock.now();
    let b = el.find("routing/protocol/bgp").ok_or_else(|| unknown(el))?;
    if let Some(peer) = b.child("peer") {
        let name = peer
            .find_text("peer-name")
            .map(|s| s.trim().trim_matches('"').to_string());
        let vr = peer
            .find_text("virtual-router")
            .map(|s| s.trim().to_string());
        let sel: Vec<&BgpPeer> = dev
            .monitor
            .bgp
            .iter()
            .filter(|p| name.as_ref().is_none_or(|n| *n == p.name))
            .filter(|p| vr.as_ref().is_none_or(|v| *v == p.vr))
            .collect();
        if let Some(n) = &name
            && sel.is_empty()
        {
            return Err(ApiError::new(17, format!("peer {n} does not exist")));
        }
        return Ok(ok(&sel
            .iter()
            .map(|p| bgp_entry(p, now))
            .collect::<String>()));
    }
    if b.child("summary").is_some() {
        let est = dev.monitor.bgp.iter().filter(|p| p.established).count();
        return Ok(ok(&format!(
            "<entry vr=\"default\"><router-id>198.51.100.2</router-id><local-as>64500</local-as><enabled>yes</enabled><total-peers>{}</total-peers><established-peers>{est}</established-peers></entry>",
            dev.monitor.bgp.len()
        )));
    }
    Err(unknown(el))
}

/// `show routing summary`: route counts per virtual router from the live route table.
fn routing_summary(dev: &Device) -> String {
    let table = super::route_table(dev);
    let unicast = table.iter().filter(|r| r.table == "unicast").count();
    let connect = table.iter().filter(|r| r.flags == "A C").count();
    let stat = table.iter().filter(|r| r.flags == "A S").count();
    let bgp: u64 = dev
        .monitor
        .bgp
        .iter()
        .filter(|p| p.established)
        .map(|p| p.prefixes_in)
        .sum();
    let total = unicast as u64 + bgp;
    let peers = dev.monitor.bgp.len();
    let established = dev.monitor.bgp.iter().filter(|p| p.established).count();
    let routes = |tag: &str, n: u64| {
        format!("<{tag}><total>{n}</total><active>{n}</active><limit>5000</limit></{tag}>")
    };
    format!(
        "<entry virtual-router=\"default\">{}{}{}{}{}{}<bgp><router-id>198.51.100.2</router-id><local-as>64500</local-as><peer-count>{peers}</peer-count><peer-established>{established}</peer-established></bgp></entry>",
        routes("All-Routes", total),
        routes("Static-Routes", stat as u64),
        routes("Connect-Routes", connect as u64),
        routes("BGP-Routes", bgp),
        routes("OSPF-Routes", 0),
        routes("RIP-Routes", 0),
    )
}

/// `show vpn flow [tunnel-id N]`, `show vpn ike-sa`, `show vpn ipsec-sa`, `show vpn tunnel`.
fn vpn(dev: &Device, el: &Element) -> Result<String, ApiError> {
    let v = el.child("vpn").ok_or_else(|| unknown(el))?;
    let tunnels = &dev.monitor.tunnels;
    if let Some(flow) = v.child("flow") {
        let id = flow
            .find_text("tunnel-id")
            .and_then(|t| t.trim().parse::<u32>().ok());
        let sel: Vec<&Tunnel> = tunnels
            .iter()
            .filter(|t| id.is_none_or(|i| i == t.id))
            .collect();
        if id.is_some() && sel.is_empty() {
            return Err(ApiError::new(17, "tunnel does not exist"));
        }
        let entries: String = sel
            .iter()
            .map(|t| {
                format!(
                    "<entry><id>{}</id><name>{}</name><outer-if>{}</outer-if><gwid>{}</gwid><localip>{}</localip><peerip>{}</peerip><inner-if>{}</inner-if><mon>off</mon><owner>1</owner><state>{}</state></entry>",
                    t.id,
                    xml::escape(&t.name),
                    t.outer_if,
                    t.id,
                    t.local,
                    t.peer,
                    t.inner_if,
                    if t.up { "active" } else { "init" }
                )
            })
            .collect();
        return Ok(ok(&format!(
            "<total>{n}</total><num-ipsec>{n}</num-ipsec><IPSec>{entries}</IPSec><num-sslvpn>0</num-sslvpn><SSLVPN/>",
            n = sel.len()
        )));
    }
    if v.child("ike-sa").is_some() {
        let entries: String = tunnels
            .iter()
            .filter(|t| t.up)
            .map(|t| {
                format!(
                    "<entry><gwid>{}</gwid><name>{}</name><socket>0</socket><role>Init</role><algo>PSK/DH14/A256/SHA256</algo><created>Nov.22 00:00:00</created><expires>Nov.23 00:00:00</expires><peerip>{}</peerip><phase1-state>Established</phase1-state></entry>",
                    t.id,
                    xml::escape(&t.gateway),
                    t.peer
                )
            })
            .collect();
        return Ok(ok(&format!("<entries>{entries}</entries>")));
    }
    if v.child("ipsec-sa").is_some() || v.child("tunnel").is_some() {
        let entries: String = tunnels
            .iter()
            .filter(|t| t.up || v.child("tunnel").is_some())
            .map(|t| {
                format!(
                    "<entry><name>{}</name><gateway>{}</gateway><tid>{}</tid><remote>{}</remote><state>{}</state></entry>",
                    xml::escape(&t.name),
                    xml::escape(&t.gateway),
                    t.id,
                    t.peer,
                    if t.up { "active" } else { "init" }
                )
            })
            .collect();
        return Ok(ok(&format!("<entries>{entries}</entries>")));
    }
    Err(unknown(el))
}

/// `show global-protect-gateway statistics [gateway NAME]` and `current-user`.
fn globalprotect(dev: &Device, el: &Element) -> Result<String, ApiError> {
    let g = el
        .child("global-protect-gateway")
        .ok_or_else(|| unknown(el))?;
    let gws = &dev.monitor.gateways;
    if let Some(stats) = g.child("statistics") {
        let name = stats.find_text("gateway").map(|s| s.trim().to_string());
        let sel: Vec<&Gateway> = gws
            .iter()
            .filter(|x| name.as_ref().is_none_or(|n| *n == x.name))
            .collect();
        let mut s: String = sel
            .iter()
            .map(|x| {
                format!(
                    "<Gateway><name>{}</name><CurrentUsers>{}</CurrentUsers><PreviousUsers>{}</PreviousUsers></Gateway>",
                    xml::escape(&x.name),
                    x.users.len(),
                    x.previous
                )
            })
            .collect();
        s.push_str(&format!(
            "<TotalCurrentUsers>{}</TotalCurrentUsers><TotalPreviousUsers>{}</TotalPreviousUsers>",
            sel.iter().map(|x| x.users.len()).sum::<usize>(),
            sel.iter().map(|x| x.previous).sum::<u64>()
        ));
        return Ok(ok(&s));
    }
    if g.child("current-user").is_some() {
        let s: String = gws
            .iter()
            .flat_map(|x| x.users.iter().map(move |u| (x, u)))
            .map(|(x, (user, ip))| {
                format!(
                    "<entry><domain/><islocal>yes</islocal><username>{}</username><primary-username>{}</primary-username><computer>{}-laptop</computer><client>Microsoft Windows 11 Pro , 64-bit</client><vpn-type>Device Level VPN</vpn-type><virtual-ip>{ip}</virtual-ip><public-ip>203.0.113.77</public-ip><tunnel-type>IPSec</tunnel-type><login-time>Nov.22 08:00:00</login-time><lifetime>2592000</lifetime><gateway>{}</gateway></entry>",
                    xml::escape(user),
                    xml::escape(user),
                    xml::escape(user),
                    xml::escape(&x.name)
                )
            })
            .collect();
        return Ok(ok(&s));
    }
    Err(unknown(el))
}

/// `show user user-id-agent state all|NAME` (text) and `statistics`.
fn userid_agents(dev: &Device, el: &Element) -> Result<String, ApiError> {
    let a = el.find("user/user-id-agent").ok_or_else(|| unknown(el))?;
    let agents = &dev.monitor.agents;
    if let Some(state) = a.child("state") {
        let which = state.text_str().trim().trim_matches('"').to_string();
        let sel: Vec<&Agent> = agents
            .iter()
            .filter(|x| which == "all" || which.is_empty() || x.name == which)
            .collect();
        if which != "all" && !which.is_empty() && sel.is_empty() {
            return Err(ApiError::new(
                17,
                format!("User-ID agent {which} does not exist"),
            ));
        }
        // The device prints one block per agent, blocks separated by a blank line, with the
        // last-heard age on the 21st line (check_paloalto reads it there).
        let blocks: Vec<String> = sel
            .iter()
            .map(|x| {
                let maps = if x.connected {
                    dev.userid.mappings.len()
                } else {
                    0
                };
                let lines = [
                    format!(
                        "Agent: {}(vsys: vsys1) Host: {h}({h}):{}",
                        x.name,
                        x.port,
                        h = x.host
                    ),
                    field(
                        "Status",
                        if x.connected {
                            "conn:idle"
                        } else {
                            "non-conn:idle"
                        },
                    ),
                    field("Version", "0x6"),
                    field("SSL config:", "Default certificates"),
                    field("num of connection tried", "1"),
                    field("connection details", ""),
                    field(
                        "last connection time",
                        &dev.clock.utc().format("%Y/%m/%d %H:%M:%S").to_string(),
                    ),
                    field("Number of groups", "0"),
                    field("Number of users", &maps.to_string()),
                    field("Number of IP-user mappings", &maps.to_string()),
                    field("Number of ip-tag mappings", "0"),
                    field("Number of user-tag mappings", "0"),
                    field("Number of HIP reports", "0"),
                    field("Number of quarantined devices", "0"),
                    field("Received IP-user mappings", &maps.to_string()),
                    field("Received ip-tag mappings", "0"),
                    field("Received user-tag mappings", "0"),
                    field("Job ID", "0"),
                    field("Queue", "0"),
                    field("Queue high water mark", "0"),
                    field(
                        "Last heard(seconds ago)",
                        if x.connected { "2" } else { "86400" },
                    ),
                    field("Connection failures", if x.connected { "0" } else { "3" }),
                ];
                lines.join("\n")
            })
            .collect();
        let mut s = blocks.join("\n\n");
        if !s.is_empty() {
            s.push('\n');
        }
        if s.is_empty() {
            s.push_str("No agent configured.\n");
        }
        return Ok(ok_text(&s));
    }
    if a.child("statistics").is_some() {
        let s: String = agents
            .iter()
            .map(|x| {
                format!(
                    "<entry name=\"{}\"><vsys>vsys1</vsys><host>{}</host><port>{}</port><status>{}</status></entry>",
                    xml::escape(&x.name),
                    x.host,
                    x.port,
                    if x.connected { "conn" } else { "non-conn" }
                )
            })
            .collect();
        return Ok(ok(&s));
    }
    Err(unknown(el))
}

/// One `\tName    : value` line of the agent state text.
fn field(name: &str, value: &str) -> String {
    format!("\t{name:<50}: {value}")
}

/// The configured certificates plus the factory ones, in the device's text form.
fn sslmgr(dev: &Device) -> String {
    let mut s = crate::certs::sslmgr_text(dev);
    let now = dev.clock.utc();
    for c in &dev.monitor.certs {
        let exp = dev.licensed + chrono::Duration::days(c.days);
        s.push_str(&format!(
            "\nSubject-hash: {h:08x}\nIssuer: {i}\nSubject: {sub}\ndb-name: {n}\ndb-exp-date: {asn1} ({human})\ndb-status: {st}\ndb-serial-no: {h:X}\n",
            h = c.name.bytes().fold(7u32, |a, b| a.wrapping_mul(31).wrapping_add(u32::from(b))),
            i = c.issuer,
            sub = c.subject,
            n = c.name,
            asn1 = exp.format("%y%m%d%H%M%SZ"),
            human = exp.format("%b %e %H:%M:%S %Y GMT"),
            st = if exp > now { "valid" } else { "expired" },
        ));
    }
    s
}

// ---- control ------------------------------------------------------------------------

fn device<'a>(st: &'a mut SimState, serial: Option<&str>) -> Result<&'a mut Device, String> {
    let s = serial
        .map(str::to_owned)
        .unwrap_or_else(|| st.primary.clone());
    st.devices
        .get_mut(&s)
        .ok_or_else(|| format!("no device with serial {s}"))
}

fn bool_field(v: &Value, k: &str) -> Result<bool, String> {
    v.get(k)
        .and_then(Value::as_bool)
        .ok_or_else(|| format!("{k}: expected true or false"))
}

fn name_field<'a>(v: &'a Value, what: &str) -> Result<&'a str, String> {
    v.get("name")
        .and_then(Value::as_str)
        .ok_or_else(|| format!("{what}.name: expected a string"))
}

/// Set a BGP peer up or down; going down counts a flap.
pub fn set_bgp_peer(dev: &mut Device, name: &str, established: bool) -> Result<(), String> {
    let now = dev.clock.now();
    let p = dev
        .monitor
        .bgp
        .iter_mut()
        .find(|p| p.name == name)
        .ok_or_else(|| format!("bgp_peer.name: no peer {name}"))?;
    if p.established != established {
        if p.established {
            p.flaps += 1;
        }
        p.established = established;
        p.since = now;
    }
    Ok(())
}

/// Apply a control document to the state (the body of `POST /sim/monitor`):
///
/// ```json
/// {"serial": "007951000123456",            // default: the device at the URL
///  "bgp_peer": {"name": "isp-b", "established": true},
///  "tunnel": {"name": "to-branch", "up": false},
///  "userid_agent": {"name": "dc2-agent", "connected": true},
///  "gateway": {"name": "gp-gateway", "users": 5},
///  "fan_alarm": 1,                           // fan index in alarm, null clears
///  "power_supply_removed": 2,                // PSU index removed, null clears
///  "ha_peer": {"reachable": false},          // HA peer reachability; null: automatic
///  "redistribution_service": {"up": true},  // the User-ID redistribution service
///  "redistribution_client": {"host": "10.0.0.60", "connected": true, "vsys": "vsys1"},
///  "panorama_connected": false,             // a managed firewall's link to Panorama
///  "disk": {"mount": "/opt/panlogs", "used_bytes": 1073741824},  // usage now; grows on
///  "op_fault": {"command": "show vpn flow", "kind": "error|garbage|denied|huge|slow", "bytes": 10485760, "ms": 2000},
///  "clear_op_faults": true}
/// ```
pub fn control(st: &mut SimState, body: &Value) -> Result<String, String> {
    let serial = body
        .get("serial")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let mut done = Vec::new();
    if body.get("clear_op_faults").and_then(Value::as_bool) == Some(true) {
        st.wire.lock().op_faults.clear();
        done.push("op faults cleared".to_string());
    }
    if let Some(f) = body.get("op_fault") {
        let command = f
            .get("command")
            .and_then(Value::as_str)
            .filter(|c| !c.trim().is_empty())
            .ok_or("op_fault.command: expected CLI words such as \"show vpn flow\"")?
            .trim()
            .to_string();
        let kind = match f.get("kind").and_then(Value::as_str) {
            Some("error") => OpFaultKind::Error,
            Some("garbage") => OpFaultKind::Garbage,
            Some("denied") => OpFaultKind::Denied,
            Some("huge") => OpFaultKind::Huge(
                f.get("bytes")
                    .and_then(Value::as_u64)
                    .unwrap_or(10 * 1024 * 1024)
                    .min(256 * 1024 * 1024) as usize,
            ),
            Some("slow") => OpFaultKind::Slow(Duration::from_millis(
                f.get("ms")
                    .and_then(Value::as_u64)
                    .unwrap_or(2000)
                    .min(600_000),
            )),
            _ => {
                return Err("op_fault.kind: expected error, garbage, denied, huge or slow".into());
            }
        };
        let mut wire = st.wire.lock();
        wire.op_faults.retain(|x| x.command != command);
        done.push(format!("op fault on {command}"));
        wire.op_faults.push(OpFault { command, kind });
    }
    let dev = device(st, serial.as_deref())?;
    if let Some(v) = body.get("bgp_peer") {
        let name = name_field(v, "bgp_peer")?.to_string();
        set_bgp_peer(dev, &name, bool_field(v, "established")?)?;
        done.push(format!("bgp peer {name}"));
    }
    if let Some(v) = body.get("tunnel") {
        let name = name_field(v, "tunnel")?;
        let up = bool_field(v, "up")?;
        let t = dev
            .monitor
            .tunnels
            .iter_mut()
            .find(|t| t.name == name)
            .ok_or_else(|| format!("tunnel.name: no tunnel {name}"))?;
        t.up = up;
        done.push(format!("tunnel {name}"));
    }
    if let Some(v) = body.get("userid_agent") {
        let name = name_field(v, "userid_agent")?;
        let c = bool_field(v, "connected")?;
        let a = dev
            .monitor
            .agents
            .iter_mut()
            .find(|a| a.name == name)
            .ok_or_else(|| format!("userid_agent.name: no agent {name}"))?;
        a.connected = c;
        done.push(format!("user-id agent {name}"));
    }
    if let Some(v) = body.get("gateway") {
        let name = name_field(v, "gateway")?;
        let n = v
            .get("users")
            .and_then(Value::as_u64)
            .ok_or("gateway.users: expected a count")? as usize;
        let g = dev
            .monitor
            .gateways
            .iter_mut()
            .find(|g| g.name == name)
            .ok_or_else(|| format!("gateway.name: no gateway {name}"))?;
        let before = g.users.len();
        g.users = (0..n)
            .map(|i| {
                (
                    format!("user{i}"),
                    format!("10.8.{}.{}", i / 250, i % 250 + 2),
                )
            })
            .collect();
        // users who log in are counted once more in the previous-users total
        g.previous += n.saturating_sub(before) as u64;
        done.push(format!("gateway {name}"));
    }
    if let Some(v) = body.get("ha_peer") {
        let r = v
            .get("reachable")
            .ok_or("ha_peer.reachable: expected true, false or null")?;
        dev.monitor.ha_peer_reachable = if r.is_null() {
            None
        } else {
            Some(
                r.as_bool()
                    .ok_or("ha_peer.reachable: expected true, false or null")?,
            )
        };
        done.push("ha peer".to_string());
    }
    if let Some(v) = body.get("redistribution_service") {
        dev.monitor.redistribution.up = bool_field(v, "up")?;
        done.push("redistribution service".to_string());
    }
    if let Some(v) = body.get("redistribution_client") {
        let host = v
            .get("host")
            .and_then(Value::as_str)
            .and_then(|h| h.parse::<std::net::IpAddr>().ok())
            .ok_or("redistribution_client.host: expected an IP address")?
            .to_string();
        let vsys = v.get("vsys").and_then(Value::as_str).unwrap_or("vsys1");
        let r = &mut dev.monitor.redistribution;
        r.clients.retain(|c| c.host != host);
        if bool_field(v, "connected")? {
            let port = 34518 + r.clients.len() as u16;
            r.clients.push(super::readiness::RedistClient {
                host: host.clone(),
                port,
                vsys: vsys.to_string(),
            });
        }
        done.push(format!("redistribution client {host}"));
    }
    if let Some(v) = body.get("disk") {
        let mount = v
            .get("mount")
            .and_then(Value::as_str)
            .ok_or("disk.mount: expected a mount point such as /opt/panlogs")?;
        let bytes = v
            .get("used_bytes")
            .and_then(Value::as_u64)
            .ok_or("disk.used_bytes: expected a byte count")?;
        super::disk::set_used(dev, mount, bytes)?;
        done.push(format!("disk {mount}"));
    }
    for (k, slot) in [("fan_alarm", 0), ("power_supply_removed", 1)] {
        if let Some(v) = body.get(k) {
            let idx = if v.is_null() {
                None
            } else {
                Some(
                    v.as_u64()
                        .filter(|i| (1..=16).contains(i))
                        .ok_or_else(|| format!("{k}: expected an index 1-16 or null"))?
                        as u32,
                )
            };
            if slot == 0 {
                dev.monitor.fan_alarm = idx;
            } else {
                dev.monitor.psu_removed = idx;
            }
            done.push(k.to_string());
        }
    }
    if let Some(v) = body.get("panorama_connected") {
        let c = v
            .as_bool()
            .ok_or("panorama_connected: expected true or false")?;
        let serial = serial.clone().unwrap_or_else(|| st.primary.clone());
        if !st.managed.contains(&serial) {
            return Err(format!(
                "panorama_connected: {serial} is not a firewall the simulated Panorama manages"
            ));
        }
        if let Some(d) = st.devices.get_mut(&serial) {
            d.connected = c;
        }
        done.push(format!("panorama connection of {serial}"));
    }
    if done.is_empty() {
        return Err("nothing to do: give bgp_peer, tunnel, userid_agent, gateway, ha_peer, redistribution_service, redistribution_client, panorama_connected, disk, fan_alarm, power_supply_removed, op_fault or clear_op_faults".into());
    }
    Ok(done.join(", "))
}
