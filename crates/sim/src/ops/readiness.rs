//! The op commands upgrade-readiness tools send besides the monitoring ones: what
//! pan-os-upgrade-assurance's `FirewallProxy` (panos_upgrade_assurance/firewall_proxy.py) asks
//! before and after an upgrade, and `show session meter` (read per vsys by public automation
//! such as PAN-OS-PHP's session utilities and ansible facts modules).
//!
//! Every answer follows simulator state, in the shape of the device replies recorded in that
//! project's tests/test_firewall_proxy.py (and, for `show session meter`, the reply quoted in
//! PAN-OS-PHP's session script):
//!
//! * `show panorama-status`: the Panorama servers of the device configuration (or, for a
//!   firewall the simulated Panorama manages, that Panorama) and whether it is connected;
//! * `show system state filter|filter-pretty PATTERN`: the `sys.monitor.sN.mp.exports` and
//!   `sw.dev.interface.config` keys, from the load and the configured interfaces;
//! * `request support check`: the support licence (the `Premium` licence's dates, on the
//!   simulator clock);
//! * `show running tunnel flow all|name N|tunnel-id N`: the IPsec tunnels of the monitor state;
//! * `show user user-id-service status`, `show redistribution service client|agent all`: the
//!   User-ID redistribution service and its peers (monitor state, steerable through
//!   `POST /sim/monitor`);
//! * `show advanced-routing route|fib`: the logical routers' routes once the configuration
//!   enables the Advanced Routing Engine, the device's refusal on the legacy engine (the
//!   factory state), see [`advanced_engine`];
//! * `show session meter`: sessions per vsys against the vsys session limit;
//! * `show system setting jumbo-frame` ([`jumbo_frame`], dispatched from `settings`) and `show
//!   interface hardware` (in `counters`, with the link state and MTU helpers here).

use super::{interfaces, ok, ok_text, unknown};
use crate::api::SimState;
use crate::device::{ApiError, Device};
use crate::xml::{self, Element};

/// A firewall that takes User-ID data from this one through the redistribution service.
#[derive(Debug, Clone)]
pub struct RedistClient {
    /// Client address.
    pub host: String,
    /// Client's source port.
    pub port: u16,
    /// Vsys it reads.
    pub vsys: String,
}

/// The User-ID redistribution service of a device: off in the factory state, as on a new
/// firewall ("user_id service is not enabled").
#[derive(Debug, Clone, Default)]
pub struct Redistribution {
    /// The service listens (Device > Data Redistribution > Collector Settings).
    pub up: bool,
    /// Connected clients (listed only while the service is up).
    pub clients: Vec<RedistClient>,
}

/// Port the redistribution service listens on (the device's default, as in the recorded
/// `show user user-id-service status` reply).
const SERVICE_PORT: u16 = 5007;

/// The commands of this module that need one device; `None` for others.
pub fn run(dev: &mut Device, el: &Element) -> Option<Result<String, ApiError>> {
    let w = super::words(el);
    let w4: Vec<&str> = w.iter().take(4).copied().collect();
    Some(match w4.as_slice() {
        ["show", "system", "state", ..] => system_state(dev, el),
        ["request", "support", ..] => support_check(dev, el),
        ["show", "running", "tunnel", ..] if !dev.panorama => tunnel_flow(dev, el),
        ["show", "user", "user-id-service", ..] => Ok(ok_text(&userid_service(dev))),
        ["show", "redistribution", ..] => redistribution(dev, el),
        ["show", "advanced-routing", ..] if !advanced_engine(dev) => Err(advanced_routing()),
        ["show", "advanced-routing", "route", ..] => are_route(dev, el),
        ["show", "advanced-routing", "fib", ..] => are_fib(dev, el),
        ["show", "session", "meter", ..] if !dev.panorama => Ok(ok(&session_meter(dev))),
        _ => return None,
    })
}

fn device_config(dev: &Device) -> Option<&Element> {
    dev.running
        .find("devices")?
        .entry_child("localhost.localdomain")?
        .child("deviceconfig")
}

/// `show panorama-status` on a firewall: one block per configured Panorama, in the text form
/// the library parses (its docstring and tests):
///
/// ```text
/// Panorama Server 1 : 1.2.3.4
///     Connected     : no
///     HA state      : disconnected
/// ```
///
/// and an empty result when no Panorama is configured (`is_panorama_configured` is then
/// false). The servers come from `deviceconfig/system/panorama/local-panorama/panorama-server`
/// (and `-2`; PAN-OS 9.1 and later, pan-os-python `SystemSettings.panorama`) or the older
/// `deviceconfig/system/panorama-server`. A firewall the simulated Panorama manages has that
/// Panorama as server 1 and is connected while the simulator says so
/// ([`crate::SimHandle::set_connected`], or `panorama_connected` at `POST /sim/monitor`); any
/// other address is not a device the simulator has, so it is never connected.
pub fn panorama_status(st: &SimState, serial: &str) -> Result<String, ApiError> {
    let dev = st
        .devices
        .get(serial)
        .ok_or_else(|| ApiError::new(17, "unknown device"))?;
    if dev.panorama {
        // a Panorama has no Panorama: the command is a firewall's (no public capture of what
        // Panorama answers; refused the way an unknown word is)
        return Err(ApiError::new(17, " show -> panorama-status  is unexpected"));
    }
    let mut servers: Vec<String> = Vec::new();
    let managed_by = st
        .managed
        .iter()
        .any(|s| s == serial)
        .then(|| st.devices.values().find(|d| d.panorama))
        .flatten();
    if let Some(p) = &managed_by {
        servers.push(p.ip.clone());
    }
    if let Some(sys) = device_config(&dev).and_then(|d| d.child("system")) {
        for path in [
            "panorama/local-panorama/panorama-server",
            "panorama/local-panorama/panorama-server-2",
            "panorama-server",
            "panorama-server-2",
        ] {
            if let Some(ip) = sys.find_text(path).map(str::trim).filter(|s| !s.is_empty())
                && !servers.iter().any(|s| s == ip)
            {
                servers.push(ip.to_string());
            }
        }
    }
    let mut text = String::new();
    for (i, ip) in servers.iter().enumerate() {
        let connected = managed_by.as_ref().is_some_and(|p| &p.ip == ip) && dev.connected;
        if i > 0 {
            text.push('\n');
        }
        text.push_str(&format!(
            "Panorama Server {} : {ip}\n    Connected     : {}\n    HA state      : disconnected\n",
            i + 1,
            if connected { "yes" } else { "no" }
        ));
    }
    if text.is_empty() {
        return Ok(ok(""));
    }
    Ok(ok_text(&text))
}

/// `show system setting jumbo-frame`: `on` when the running configuration has
/// `deviceconfig/setting/jumbo-frame` (its `mtu` child the global jumbo MTU), else `off`. No
/// public source documents that node's schema; the simulator takes its presence as the
/// GUI's "Enable Jumbo Frame". The reply is the bare word, as the library's recorded replies
/// show (`<result>on</result>`). On the device the change needs a reboot to take effect; the
/// simulator applies it at commit.
pub fn jumbo_frame(dev: &Device) -> String {
    let on = device_config(dev)
        .and_then(|d| d.find("setting/jumbo-frame"))
        .is_some();
    ok(if on { "on" } else { "off" })
}

/// The global jumbo MTU when jumbo frames are on (default 9192 as on the device).
fn jumbo_mtu(dev: &Device) -> Option<u32> {
    let j = device_config(dev)?.find("setting/jumbo-frame")?;
    Some(
        j.find_text("mtu")
            .and_then(|m| m.trim().parse().ok())
            .unwrap_or(9192),
    )
}

/// The MTU of a configured layer-3 interface: its own `layer3/mtu`, else the global jumbo
/// MTU when jumbo frames are on, else 1500.
pub fn interface_mtu(dev: &Device, iface: &Element) -> u32 {
    iface
        .find_text("layer3/mtu")
        .and_then(|m| m.trim().parse().ok())
        .or_else(|| jumbo_mtu(dev))
        .unwrap_or(1500)
}

/// The configured ethernet interface entry `name` (running config).
pub fn ethernet_entry<'a>(dev: &'a Device, name: &str) -> Option<&'a Element> {
    dev.running
        .find("devices")?
        .entry_child("localhost.localdomain")?
        .find("network/interface/ethernet")?
        .entry_child(name)
}

/// Link state of a configured interface: `link-state down` in its configuration takes it
/// down (pan-os-python `EthernetInterface.link_state`), anything else is up.
pub fn link_up(dev: &Device, name: &str) -> bool {
    ethernet_entry(dev, name)
        .and_then(|e| e.find_text("link-state"))
        .map(str::trim)
        != Some("down")
}

/// The management plane's CPU use in percent, the one `show system resources` reports
/// (100 − idle).
fn mp_cpu(dev: &Device) -> u32 {
    (100.0 - super::mp_idle(dev)).round().max(0.0) as u32
}

/// `show system state [filter|filter-pretty PATTERN]`: the state keys the simulator keeps,
/// `key: value` one per line, where `*` in the pattern matches any text (the library asks
/// `sys.monitor.*.mp.exports` because the slot is s0 or s1 by platform). No key matching
/// answers `'PATTERN': NO_MATCHES` (the recorded reply). Values are in the device's
/// dictionary-like notation (recorded replies): unquoted MACs and mounts, `,` after each item.
fn system_state(dev: &Device, el: &Element) -> Result<String, ApiError> {
    let state = el.find("system/state").ok_or_else(|| unknown(el))?;
    let (pattern, pretty) = match (state.child("filter"), state.child("filter-pretty")) {
        (Some(f), None) => (f.text_str().to_string(), false),
        (None, Some(f)) => (f.text_str().to_string(), true),
        (None, None) => ("*".to_string(), false),
        (Some(_), Some(_)) => {
            return Err(ApiError::new(
                17,
                "show system state: give filter or filter-pretty, not both",
            ));
        }
    };
    if pattern.is_empty() {
        return Err(ApiError::new(
            17,
            format!(
                "show -> system -> state -> {} needs to have non NULL value",
                if pretty { "filter-pretty" } else { "filter" }
            ),
        ));
    }
    let mut out = String::new();
    for (key, value) in state_keys(dev) {
        if glob(&pattern, &key) {
            let value = if pretty { prettify(&value) } else { value };
            out.push_str(&format!("{key}: {value}\n"));
        }
    }
    if out.is_empty() {
        out = format!("'{pattern}': NO_MATCHES\n");
    }
    Ok(ok_text(&out))
}

fn state_keys(dev: &Device) -> Vec<(String, String)> {
    let disks = [
        ("sda2", "/"),
        ("sda5", "/opt/pancfg"),
        ("sda6", "/opt/panrepo"),
        ("sda8", "/opt/panlogs"),
    ];
    let disks: String = disks
        .iter()
        .map(|(d, m)| format!("{{ 'Drive': {d}, 'Mount': {m}, }}, "))
        .collect();
    let mp = format!(
        "{{ 'cpu': {{ '1minavg': {}, }}, 'disks': [ {disks}], 'slot': 0, }}",
        mp_cpu(dev)
    );
    let mut ifs = String::new();
    for (i, (name, _, _)) in interfaces(dev).iter().enumerate() {
        let Some(e) = ethernet_entry(dev, name) else {
            continue;
        };
        ifs.push_str(&format!(
            "'{name}': {{ 'hwaddr': 00:50:56:00:01:{i:02x}, 'mtu': {}, }}, ",
            interface_mtu(dev, e)
        ));
        // subinterfaces carry no MTU of their own here (the library asks `show interface
        // NAME` for theirs), as in the recorded reply
        for u in e
            .find("layer3/units")
            .map(|u| u.children.as_slice())
            .unwrap_or_default()
        {
            if let Some(n) = u.name_attr() {
                ifs.push_str(&format!("'{n}': {{ }}, "));
            }
        }
    }
    vec![
        ("sys.monitor.s0.mp.exports".to_string(), mp),
        ("sw.dev.interface.config".to_string(), format!("{{ {ifs}}}")),
    ]
}

/// `filter-pretty`: the same value with one item per line.
fn prettify(v: &str) -> String {
    v.replace("{ ", "{\n  ").replace(", ", ",\n  ")
}

/// `*` matches any run of characters; everything else literally.
fn glob(pattern: &str, s: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == s;
    }
    let Some(mut rest) = s.strip_prefix(parts[0]) else {
        return false;
    };
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    rest.ends_with(parts[parts.len() - 1])
}

/// `request support check`: the update server's `SupportInfoResponse` for this device, from
/// the support (`Premium`) licence `request license info` lists: its expiry date in the
/// licence's `Month DD, YYYY` form (check_firewall parses it with `%B %d, %Y` and compares it
/// with today, so a licence that ran out on the simulator clock fails that check) and level.
fn support_check(dev: &Device, el: &Element) -> Result<String, ApiError> {
    if el.find("support/check").is_none() {
        return Err(unknown(el));
    }
    let expiry = dev.licensed + chrono::Duration::days(super::SUBSCRIPTION_DAYS);
    let date = expiry.format("%B %d, %Y").to_string();
    Ok(ok(&format!(
        "<SupportInfoResponse><Links><Link><Title>Contact Us</Title><Url>https://www.paloaltonetworks.com/company/contact-us.html</Url></Link><Link><Title>Support Home</Title><Url>https://www.paloaltonetworks.com/support/tabs/overview.html</Url></Link></Links><Support><Contact><Contact>Click the contact link at right.</Contact></Contact><ExpiryDate>{date}</ExpiryDate><SupportLevel>Premium</SupportLevel><SupportDescription>24 x 7 phone support; advanced replacement hardware service</SupportDescription></Support></SupportInfoResponse>"
    )))
}

/// `show running tunnel flow all | name NAME | tunnel-id N`: the data plane's tunnel table in
/// the recorded reply's shape (`dp`, `num_ipsec`, `IPSec/entry` with `state` `active` or
/// `init`, the empty SSL-VPN and GlobalProtect sections, `total`). A name or id that is no
/// tunnel is refused (no public capture of that text; ours).
fn tunnel_flow(dev: &Device, el: &Element) -> Result<String, ApiError> {
    let flow = el.find("running/tunnel/flow").ok_or_else(|| unknown(el))?;
    let name = flow.find_text("name").map(str::trim);
    let id = match flow.find_text("tunnel-id").map(str::trim) {
        Some(t) => Some(t.parse::<u32>().map_err(|_| {
            ApiError::new(
                17,
                format!(
                    "show -> running -> tunnel -> flow -> tunnel-id '{t}' is not a valid number"
                ),
            )
        })?),
        None => None,
    };
    if name.is_none() && id.is_none() && flow.child("all").is_none() {
        return Err(ApiError::new(
            17,
            "show -> running -> tunnel -> flow: give all, name or tunnel-id",
        ));
    }
    let sel: Vec<_> = dev
        .monitor
        .tunnels
        .iter()
        .filter(|t| name.is_none_or(|n| n == t.name) && id.is_none_or(|i| i == t.id))
        .collect();
    if sel.is_empty() && (name.is_some() || id.is_some()) {
        return Err(ApiError::new(17, "tunnel does not exist"));
    }
    let entries: String = sel
        .iter()
        .map(|t| {
            format!(
                "<entry><name>{}</name><id>{}</id><gwid>{}</gwid><inner-if>{}</inner-if><outer-if>{}</outer-if><localip>{}</localip><peerip>{}</peerip><state>{}</state><mon>off</mon><owner>1</owner></entry>",
                xml::escape(&t.name),
                t.id,
                t.id,
                xml::escape(&t.inner_if),
                xml::escape(&t.outer_if),
                t.local,
                t.peer,
                if t.up { "active" } else { "init" }
            )
        })
        .collect();
    let ipsec = if entries.is_empty() {
        "<IPSec/>".to_string()
    } else {
        format!("<IPSec>{entries}</IPSec>")
    };
    Ok(ok(&format!(
        "<dp>dp0</dp><num_ipsec>{n}</num_ipsec><num_sslvpn>0</num_sslvpn><hop/>{ipsec}<SSL-VPN/><GlobalProtect-Gateway/><GlobalProtect-site-to-site/><total>{n}</total>",
        n = sel.len()
    )))
}

/// `show user user-id-service status`: the text of the recorded replies.
fn userid_service(dev: &Device) -> String {
    let r = &dev.monitor.redistribution;
    if r.up {
        format!(
            "\nUser ID service info:\n    User id service:               up\n    listening port:                {SERVICE_PORT}\n    number of clients:             {}\n",
            r.clients.len()
        )
    } else {
        "\nUser ID service info:\n    User id service:               down\n    Reason:                        user_id service is not enabled\n".to_string()
    }
}

/// `show redistribution service client all` (the firewalls reading from this one, while the
/// service is up) and `show redistribution service agent all` (the agents this device reads
/// from: its User-ID agents), in the recorded replies' shapes. An empty list is one empty
/// `<entry/>`, as the recorded reply for a device with none shows. Only `conn:idle` is recorded for an agent's state; a disconnected agent shows
/// `non-conn:idle` (ours, after `show user user-id-agent`'s `non-conn`).
fn redistribution(dev: &Device, el: &Element) -> Result<String, ApiError> {
    let svc = el
        .find("redistribution/service")
        .ok_or_else(|| unknown(el))?;
    let now = dev.clock.utc().timestamp();
    let r = &dev.monitor.redistribution;
    if let Some(c) = svc.child("client") {
        if c.child("all").is_none() {
            return Err(ApiError::new(
                17,
                "show -> redistribution -> service -> client needs to have non NULL value",
            ));
        }
        let body: String = r
            .clients
            .iter()
            .filter(|_| r.up)
            .map(|c| {
                format!(
                    "<entry><host>{}</host><port>{}</port><vsys>{}</vsys><version>6</version><status>idle</status><redistribution>I    </redistribution></entry>",
                    xml::escape(&c.host),
                    c.port,
                    xml::escape(&c.vsys)
                )
            })
            .collect();
        return Ok(ok(non_empty(&body)));
    }
    if let Some(a) = svc.child("agent") {
        if a.child("all").is_none() {
            return Err(ApiError::new(
                17,
                "show -> redistribution -> service -> agent needs to have non NULL value",
            ));
        }
        let body: String = dev
            .monitor
            .agents
            .iter()
            .map(|a| {
                format!(
                    "<entry name=\"{n}\"><vsys>vsys1</vsys><vsys_hub>no</vsys_hub><host>{h}</host><peer-address>{h}</peer-address><port>{p}</port><state>{s}</state><status-msg>-</status-msg><version>0x6</version><last-heard-time>{t}</last-heard-time><job-id>0</job-id><num_sent_msgs>0</num_sent_msgs><num_recv_msgs>{m}</num_recv_msgs></entry>",
                    n = xml::escape(&a.name),
                    h = xml::escape(&a.host),
                    p = a.port,
                    s = if a.connected { "conn:idle" } else { "non-conn:idle" },
                    t = if a.connected { now } else { 0 },
                    m = if a.connected { dev.userid.mappings.len() } else { 0 },
                )
            })
            .collect();
        return Ok(ok(non_empty(&body)));
    }
    Err(unknown(el))
}

fn non_empty(body: &str) -> &str {
    if body.is_empty() { "<entry/>" } else { body }
}

/// `show advanced-routing …` on a firewall that runs the legacy routing engine. The commands
/// exist only once Advanced Routing is enabled (Device > Setup > Management, commit and
/// reboot). No public source quotes what a legacy-engine device answers; the simulator
/// answers the device's schema refusal of a command it does not have (the form the library's
/// own test records for `show redistribution` on a release without it), so a client sees the
/// same error as for any absent command.
fn advanced_routing() -> ApiError {
    ApiError::new(17, " show -> advanced-routing  is unexpected")
}

/// Whether the firewall runs the Advanced Routing Engine: `deviceconfig/setting/advance-routing
/// yes` in the running configuration (`set deviceconfig setting advance-routing yes`, as in
/// public VM-Series HA configuration guides). The device switches engines at the reboot after
/// the commit; the simulator switches at the commit. `show system info` reports it
/// (`<advanced-routing>on|off</advanced-routing>`).
pub fn advanced_engine(dev: &Device) -> bool {
    device_config(dev)
        .and_then(|d| d.find_text("setting/advance-routing"))
        .map(str::trim)
        == Some("yes")
}

/// One route of the Advanced Routing Engine's RIB.
struct AreRoute {
    lr: String,
    vrf: String,
    prefix: String,
    protocol: &'static str,
    distance: u32,
    metric: u32,
    nexthop: Option<String>,
    interface: String,
}

/// The logical routers' routes (`network/logical-router/entry/vrf/entry`): a connected route
/// for the network of each interface the VRF lists, and the VRF's static routes
/// (`routing-table/ip/static-route`: destination, interface, nexthop ip-address, admin-dist
/// default 10, metric default 10).
fn are_routes(dev: &Device) -> Vec<AreRoute> {
    let ifs = interfaces(dev);
    let mut out = Vec::new();
    let Some(lrs) = dev
        .running
        .find("devices")
        .and_then(|d| d.entry_child("localhost.localdomain"))
        .and_then(|l| l.find("network/logical-router"))
    else {
        return out;
    };
    for lr in &lrs.children {
        let lr_name = lr.name_attr().unwrap_or("").to_string();
        for vrf in lr
            .child("vrf")
            .map(|v| v.children.as_slice())
            .unwrap_or_default()
        {
            let vrf_name = vrf.name_attr().unwrap_or("default").to_string();
            let members = vrf
                .child("interface")
                .map(Element::members)
                .unwrap_or_default();
            for m in &members {
                let Some((_, _, cidr)) = ifs.iter().find(|(n, _, _)| n == m) else {
                    continue;
                };
                let Some((addr, len)) = cidr.split_once('/') else {
                    continue;
                };
                let (Ok(a), Ok(len)) = (addr.parse::<std::net::Ipv4Addr>(), len.parse::<u32>())
                else {
                    continue;
                };
                let len = len.min(32);
                let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
                out.push(AreRoute {
                    lr: lr_name.clone(),
                    vrf: vrf_name.clone(),
                    prefix: format!("{}/{len}", std::net::Ipv4Addr::from(u32::from(a) & mask)),
                    protocol: "connected",
                    distance: 0,
                    metric: 0,
                    nexthop: None,
                    interface: m.clone(),
                });
            }
            for r in vrf
                .find("routing-table/ip/static-route")
                .map(|s| s.children.as_slice())
                .unwrap_or_default()
            {
                let num = |k: &str| {
                    r.find_text(k)
                        .and_then(|v| v.trim().parse::<u32>().ok())
                        .unwrap_or(10)
                };
                out.push(AreRoute {
                    lr: lr_name.clone(),
                    vrf: vrf_name.clone(),
                    prefix: r.find_text("destination").unwrap_or("").trim().to_string(),
                    protocol: "static",
                    distance: num("admin-dist"),
                    metric: num("metric"),
                    nexthop: r
                        .find_text("nexthop/ip-address")
                        .map(|n| n.trim().to_string()),
                    interface: r.find_text("interface").unwrap_or("").trim().to_string(),
                });
            }
        }
    }
    out
}

/// The arguments `logical-router`, `type` and `destination` of the ARE show commands.
fn are_filter<'a>(
    el: &'a Element,
    cmd: &str,
) -> (Option<&'a str>, Option<&'a str>, Option<&'a str>) {
    let c = el.find(&format!("advanced-routing/{cmd}"));
    let arg = |k: &str| {
        c.and_then(|c| c.find_text(k))
            .map(|v| v.trim().trim_matches('"'))
    };
    (arg("logical-router"), arg("type"), arg("destination"))
}

/// `show advanced-routing route [logical-router LR] [type T] [destination P]`: the RIB as the
/// recorded reply has it, a JSON document in `<json>`: `{LR: {prefix: [route, …]}}` with
/// FRR's route fields (`protocol`, `vrfName`, `distance`, `metric`, `installed`, `nexthops`
/// with `interfaceName`, `ip` for a gateway, `directlyConnected` otherwise).
fn are_route(dev: &Device, el: &Element) -> Result<String, ApiError> {
    let (lr, kind, dest) = are_filter(el, "route");
    if let Some(t) = kind
        && !["static", "connected", "bgp", "ospf", "ospfv3", "rip"].contains(&t)
    {
        return Err(ApiError::new(
            17,
            format!(
                " show -> advanced-routing -> route -> type '{t}' is not a valid route type (static, connected, bgp, ospf, ospfv3, rip)"
            ),
        ));
    }
    let up = dev
        .clock
        .now()
        .saturating_duration_since(dev.started)
        .as_secs();
    let uptime = format!("{:02}:{:02}:{:02}", up / 3600, up / 60 % 60, up % 60);
    let ifs = interfaces(dev);
    let mut doc = serde_json::Map::new();
    for r in are_routes(dev) {
        if lr.is_some_and(|l| l != r.lr)
            || kind.is_some_and(|k| k != r.protocol)
            || dest.is_some_and(|d| d != r.prefix)
        {
            continue;
        }
        let idx = ifs
            .iter()
            .position(|(n, _, _)| *n == r.interface)
            .map(|i| 16 + i);
        let mut nh = serde_json::json!({"flags": "A ", "fib": true, "active": true, "weight": 1});
        if let Some(ip) = &r.nexthop {
            nh["ip"] = ip.clone().into();
            nh["afi"] = "ipv4".into();
        } else {
            nh["directlyConnected"] = true.into();
        }
        if !r.interface.is_empty() {
            nh["interfaceName"] = r.interface.clone().into();
        }
        if let Some(i) = idx {
            nh["interfaceIndex"] = i.into();
        }
        let route = serde_json::json!({
            "prefix": r.prefix, "protocol": r.protocol, "vrfId": 0, "vrfName": r.vrf,
            "selected": true, "destSelected": true, "distance": r.distance, "metric": r.metric,
            "installed": true, "table": 254, "uptime": uptime, "nexthops": [nh],
        });
        let per_lr = doc
            .entry(r.lr.clone())
            .or_insert_with(|| serde_json::Value::Object(Default::default()));
        if let Some(m) = per_lr.as_object_mut() {
            let list = m
                .entry(r.prefix.clone())
                .or_insert_with(|| serde_json::Value::Array(vec![]));
            if let Some(a) = list.as_array_mut() {
                a.push(route);
            }
        }
    }
    let json = serde_json::Value::Object(doc).to_string();
    Ok(ok(&format!("<json>{}</json>", xml::escape(&json))))
}

/// `show advanced-routing fib [logical-router LR]`: the same structure as `show routing fib`
/// (the library parses both alike): per logical router an IPv4 table (`type` 0) with its
/// entries and an IPv6 one (`type` 1), as in the recorded reply.
fn are_fib(dev: &Device, el: &Element) -> Result<String, ApiError> {
    let (lr, _, _) = are_filter(el, "fib");
    let routes: Vec<AreRoute> = are_routes(dev)
        .into_iter()
        .filter(|r| lr.is_none_or(|l| l == r.lr))
        .collect();
    let mut lrs: Vec<&str> = routes.iter().map(|r| r.lr.as_str()).collect();
    lrs.dedup();
    let mut s = String::new();
    let mut id = 2;
    for name in lrs {
        let mut entries = String::new();
        let mut n = 0;
        for r in routes.iter().filter(|r| r.lr == name) {
            n += 1;
            let mtu = ethernet_entry(dev, &r.interface)
                .map(|e| interface_mtu(dev, e))
                .unwrap_or(1500);
            entries.push_str(&format!(
                "<entry><id>{n}</id><dst>{}</dst><interface>{}</interface><nh_type>{}</nh_type><flags>{}</flags><nexthop>{}</nexthop><mtu>{mtu}</mtu></entry>",
                xml::escape(&r.prefix),
                xml::escape(&r.interface),
                if r.nexthop.is_some() { 0 } else { 3 },
                if r.nexthop.is_some() { "ug" } else { "u" },
                xml::escape(r.nexthop.as_deref().unwrap_or("0.0.0.0")),
            ));
        }
        s.push_str(&format!(
            "<entry><id>{id}</id><vr>{v}</vr><max>32768</max><type>0</type><ecmp>0</ecmp><entries>{entries}</entries><nentries>{n}</nentries></entry><entry><id>{}</id><vr>{v}</vr><max>32768</max><type>1</type><ecmp>0</ecmp><entries/><nentries>0</nentries></entry>",
            id + 1,
            v = xml::escape(name),
        ));
        id += 2;
    }
    let total = routes.len();
    if s.is_empty() {
        return Ok(ok(&format!("<dp>dp0</dp><total>{total}</total><fibs/>")));
    }
    Ok(ok(&format!(
        "<dp>dp0</dp><total>{total}</total><fibs>{s}</fibs>"
    )))
}

/// `show session meter`: per vsys, the sessions now (`current`), the vsys session limit
/// (`import/resource/max-sessions`, pan-os-python `Vsys.max_sessions`; 0 when unlimited) and
/// how many were refused for it (`throttled`; the traffic model opens none over a limit).
/// Shape from the reply quoted in PAN-OS-PHP's session utility (`<entry><current>228</current>
/// <vsys>1</vsys><maximum>0</maximum><throttled>0</throttled></entry>`).
fn session_meter(dev: &Device) -> String {
    let mut vsys: Vec<String> = dev
        .running
        .find("devices")
        .and_then(|d| d.entry_child("localhost.localdomain"))
        .and_then(|l| l.child("vsys"))
        .map(|v| {
            v.children
                .iter()
                .filter_map(|e| e.name_attr().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    if vsys.is_empty() {
        vsys.push("vsys1".into());
    }
    let mut out = String::new();
    for v in vsys {
        let current = dev
            .traffic
            .sessions
            .values()
            .filter(|s| s.vsys == v)
            .count();
        let maximum = dev
            .running
            .find("devices")
            .and_then(|d| d.entry_child("localhost.localdomain"))
            .and_then(|l| l.child("vsys"))
            .and_then(|x| x.entry_child(&v))
            .and_then(|e| e.find_text("import/resource/max-sessions"))
            .and_then(|m| m.trim().parse::<u64>().ok())
            .unwrap_or(0);
        let idx = v.trim_start_matches("vsys").parse::<u32>().unwrap_or(1);
        out.push_str(&format!(
            "<entry><current>{current}</current><vsys>{idx}</vsys><maximum>{maximum}</maximum><throttled>0</throttled></entry>"
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::glob;

    #[test]
    fn glob_matches_as_the_state_filter() {
        assert!(glob(
            "sys.monitor.*.mp.exports",
            "sys.monitor.s0.mp.exports"
        ));
        assert!(!glob(
            "sys.monitor.*.mp.exports",
            "sys.monitor.s0.dp.exports"
        ));
        assert!(glob("sw.dev.interface.config", "sw.dev.interface.config"));
        assert!(!glob("sw.dev.interface", "sw.dev.interface.config"));
        assert!(glob("*", "anything"));
        assert!(glob("sw.*", "sw.dev.interface.config"));
    }
}
