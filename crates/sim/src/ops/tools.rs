//! Op commands that public automation tools send, answered from the simulator's state in the
//! shapes those tools parse. The command list comes from pan-os-upgrade-assurance's
//! `panos_upgrade_assurance/firewall_proxy.py` (release 2.1.1) and pan-os-python's
//! `Firewall.test_security_policy_match`; the reply shapes from the device replies recorded in
//! pan-os-upgrade-assurance's `tests/test_firewall_proxy.py` and from the fields pan-os-python
//! reads.

use std::net::IpAddr;

use chrono::{DateTime, Duration as Days, Utc};

use super::{ok, words};
use crate::api::Request;
use crate::device::{ApiError, Device};
use crate::xml::{self, Element};

/// Commands handled here; `None` for commands that are not ours.
pub fn run(dev: &mut Device, el: &Element, req: &Request) -> Option<Result<String, ApiError>> {
    let w = words(el);
    let w4: Vec<&str> = w.iter().take(4).copied().collect();
    Some(match w4.as_slice() {
        ["request", "content", "upgrade", "info" | "check"] => {
            let check = w4[3] == "check";
            Ok(ok(&content_updates(dev, check)))
        }
        ["request", "system", "software", "info" | "check"] => {
            let check = w4[3] == "check";
            Ok(ok(&software_updates(dev, check)))
        }
        ["test", "security-policy-match", ..] if !dev.panorama => {
            security_policy_match(dev, el, req).map(|s| ok(&s))
        }
        ["show", "arp", ..] if !dev.panorama => show_arp(dev, el).map(|s| ok(&s)),
        ["show", "ntp", ..] => Ok(ok(&show_ntp(dev))),
        ["show", "clock", "more"] => Ok(ok(&format!(
            "<member>dataplane time: {} </member>",
            dev.clock.utc().format("%a %b %e %H:%M:%S UTC %Y")
        ))),
        // a full commit is needed after a named configuration was loaded; the simulator's
        // commits are always full, so what is pending is what a commit would apply
        ["check", "full-commit-required", ..] => Ok(ok(if dev.dirty { "yes" } else { "no" })),
        _ => return None,
    })
}

// ------------------------------------------------------------------ content and software

/// When the device came up, on the simulator clock.
fn boot(dev: &Device) -> DateTime<Utc> {
    let up = dev.clock.now().saturating_duration_since(dev.started);
    dev.clock.utc() - Days::from_std(up).unwrap_or_default()
}

fn stamp(t: DateTime<Utc>) -> String {
    t.format("%Y/%m/%d %H:%M:%S UTC").to_string()
}

/// Installed App & Threat content version (also reported by `show system info`).
pub const CONTENT_VERSION: &str = "8841-8997";

/// The update server publishes a content release every week.
const CONTENT_CADENCE_DAYS: i64 = 7;

/// One content release: (version, released on).
fn content_releases(dev: &Device) -> Vec<(String, DateTime<Utc>)> {
    // the installed release came out three days before the device booted; three older ones
    // precede it, and a new one follows every week up to the simulator's now, so advancing the
    // clock publishes releases
    let installed = content_release_date(dev);
    let now = dev.clock.utc();
    let mut out = Vec::new();
    for k in -3i64.. {
        let at = installed + Days::days(k * CONTENT_CADENCE_DAYS);
        if at > now {
            break;
        }
        let app = 8841 + k;
        let threat = 8997 + k * 5;
        out.push((format!("{app}-{threat}"), at));
        if out.len() > 520 {
            break; // ten years of weekly releases is plenty for one listing
        }
    }
    out
}

/// When the installed content release was published: three days before boot.
pub fn content_release_date(dev: &Device) -> DateTime<Utc> {
    boot(dev) - Days::days(3)
}

/// `request content upgrade info|check`: the releases the update server lists, the installed
/// one `current`, the one before it `previous`, both `downloaded`. `check` asks the update
/// server (its time becomes `last-updated-at`); `info` shows the list of the last check, or of
/// the boot-time check when none was asked for.
fn content_updates(dev: &mut Device, check: bool) -> String {
    let now = dev.clock.utc();
    if check {
        dev.monitor.content_checked = Some(now);
    }
    let checked = dev.monitor.content_checked.unwrap_or_else(|| boot(dev));
    let mut s = format!("<content-updates last-updated-at=\"{}\">", stamp(checked));
    let releases = content_releases(dev);
    let cur = releases.iter().position(|(v, _)| v == CONTENT_VERSION);
    for (i, (v, at)) in releases.iter().enumerate() {
        // a listing shows what the server had at the time of its check
        if *at > checked {
            continue;
        }
        let current = Some(i) == cur;
        let previous = cur.is_some_and(|c| c > 0 && i == c - 1);
        let fetched = super::downloads::downloaded(dev, &format!("panupv2-all-contents-{v}"));
        let hash = {
            use sha2::Digest;
            let d = sha2::Sha256::digest(format!("panupv2-all-contents-{v}").as_bytes());
            d.iter().map(|b| format!("{b:02x}")).collect::<String>()
        };
        s.push_str(&format!(
            "<entry><version>{v}</version><app-version>{v}</app-version><filename>panupv2-all-contents-{v}</filename><size>64</size><size-kb>{kb}</size-kb><released-on>{r}</released-on><release-notes><![CDATA[https://proditpdownloads.paloaltonetworks.com/content/content-{v}.html]]></release-notes><downloaded>{d}</downloaded><current>{c}</current><previous>{p}</previous><installing>no</installing><features>Apps, Threats</features><update-type>Full</update-type><feature-desc>Unknown</feature-desc><sha256>{hash}</sha256></entry>",
            kb = 66_392 + i * 16,
            r = stamp(*at),
            d = yes_no(current || previous || fetched),
            c = yes_no(current),
            p = yes_no(previous),
        ));
    }
    s.push_str("</content-updates>");
    s
}

/// PAN-OS releases the update server lists, with days after the installed one came out (the
/// installed one was released 50 days before boot); maintenance releases later than `now` are
/// not listed yet.
const SOFTWARE: &[(&str, i64, u32)] = &[
    ("11.0.0", -400, 1_062_271),
    ("11.0.3", -250, 504_796),
    ("11.1.0", -200, 1_071_104),
    ("11.1.1", -110, 511_220),
    (super::SW_VERSION, 0, 512_034),
    ("11.1.3", 42, 512_870),
    ("11.1.4", 84, 513_502),
    ("11.2.0", 120, 1_090_332),
];

/// `request system software info|check`: the releases published by the time of the last check
/// (`check` asks now), the running one `current` and `downloaded`, the newest `latest`.
fn software_updates(dev: &mut Device, check: bool) -> String {
    let now = dev.clock.utc();
    if check {
        dev.monitor.software_checked = Some(now);
    }
    let checked = dev.monitor.software_checked.unwrap_or_else(|| boot(dev));
    let installed = boot(dev) - Days::days(50);
    let listed: Vec<(&str, DateTime<Utc>, u32)> = SOFTWARE
        .iter()
        .map(|(v, d, kb)| (*v, installed + Days::days(*d), *kb))
        .filter(|(_, at, _)| *at <= checked)
        .collect();
    let latest = listed
        .iter()
        .max_by_key(|(_, at, _)| *at)
        .map(|(v, _, _)| *v);
    let mut s = format!(
        "<sw-updates last-updated-at=\"{}\"><msg/><versions>",
        checked.format("%Y/%m/%d %H:%M:%S")
    );
    // newest first, as the device lists them
    for (v, at, kb) in listed.iter().rev() {
        let current = *v == super::SW_VERSION;
        let fetched = super::downloads::downloaded(dev, &format!("PanOS_vm-{v}"));
        let train: String = v.split('.').take(2).collect::<Vec<_>>().join("-");
        s.push_str(&format!(
            "<entry><version>{v}</version><filename>PanOS_vm-{v}</filename><size>{mb}</size><size-kb>{kb}</size-kb><released-on>{r}</released-on><release-notes><![CDATA[https://www.paloaltonetworks.com/documentation/{train}/pan-os/pan-os-release-notes]]></release-notes><downloaded>{d}</downloaded><current>{c}</current><latest>{l}</latest><uploaded>no</uploaded></entry>",
            mb = kb / 1024,
            r = at.format("%Y/%m/%d %H:%M:%S"),
            d = yes_no(current || fetched),
            c = yes_no(current),
            l = yes_no(latest == Some(*v)),
        ));
    }
    s.push_str("</versions></sw-updates>");
    s
}

/// The PAN-OS image the update server listed for `version` at the last check:
/// (file name, size in KiB), or `None` when that check did not list it.
pub(crate) fn software_image(dev: &Device, version: &str) -> Option<(String, u64)> {
    let checked = dev.monitor.software_checked.unwrap_or_else(|| boot(dev));
    let installed = boot(dev) - Days::days(50);
    SOFTWARE
        .iter()
        .find(|(v, d, _)| *v == version && installed + Days::days(*d) <= checked)
        .map(|(v, _, kb)| (format!("PanOS_vm-{v}"), u64::from(*kb)))
}

/// The newest content release the update server listed at the last check:
/// (version, file name, size in KiB).
pub(crate) fn latest_content(dev: &Device) -> Option<(String, String, u64)> {
    let checked = dev.monitor.content_checked.unwrap_or_else(|| boot(dev));
    content_releases(dev)
        .into_iter()
        .enumerate()
        .rfind(|(_, (_, at))| *at <= checked)
        .map(|(i, (v, _))| {
            let file = format!("panupv2-all-contents-{v}");
            (v, file, 66_392 + i as u64 * 16)
        })
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

// ------------------------------------------------------------------ NTP, ARP

fn system_config(dev: &Device) -> Option<&Element> {
    dev.running
        .find("devices")?
        .entry_child("localhost.localdomain")?
        .find("deviceconfig/system")
}

/// `show ntp`: the configured servers (`deviceconfig system ntp-servers`), the primary one
/// synchronised. The simulator has no network, so configured servers count as reachable; with
/// none configured the device runs on its local clock (`<synched>LOCAL</synched>`).
fn show_ntp(dev: &Device) -> String {
    let ntp = system_config(dev).and_then(|s| s.child("ntp-servers"));
    let mut s = String::new();
    let mut synched = None;
    for (i, which) in ["primary-ntp-server", "secondary-ntp-server"]
        .iter()
        .enumerate()
    {
        let Some(server) = ntp.and_then(|n| n.child(which)) else {
            continue;
        };
        let Some(name) = server
            .find_text("ntp-server-address")
            .filter(|a| !a.is_empty())
        else {
            continue;
        };
        let auth = server
            .child("authentication-type")
            .and_then(|a| a.children.first())
            .map(|c| c.name.as_str())
            .unwrap_or("none");
        let status = if synched.is_none() {
            synched = Some(name.to_string());
            "synched"
        } else {
            "available"
        };
        s.push_str(&format!(
            "<ntp-server-{n}><authentication-type>{auth}</authentication-type><name>{name}</name><reachable>yes</reachable><status>{status}</status></ntp-server-{n}>",
            n = i + 1,
            auth = xml::escape(auth),
            name = xml::escape(name),
        ));
    }
    s.push_str(&format!(
        "<synched>{}</synched>",
        xml::escape(synched.as_deref().unwrap_or("LOCAL"))
    ));
    s
}

/// An IPv4 interface address `a.b.c.d/len` as (address, network mask).
fn v4_net(cidr: &str) -> Option<(u32, u32)> {
    let (a, len) = cidr.split_once('/')?;
    let a: std::net::Ipv4Addr = a.parse().ok()?;
    let len: u32 = len.parse().ok().filter(|l| *l <= 32)?;
    let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
    Some((u32::from(a), mask))
}

/// `show arp entry name=all|IFNAME`: the neighbours the firewall has resolved on its connected
/// subnets: the static routes' next hops and the hosts of live sessions, each on the interface
/// whose subnet holds it. MAC addresses are derived from the IP (the simulator has no wire).
fn show_arp(dev: &Device, el: &Element) -> Result<String, ApiError> {
    let which = el
        .find("arp/entry")
        .and_then(|e| e.name_attr())
        .unwrap_or("all")
        .to_string();
    let ifs = super::interfaces(dev);
    if which != "all" && !ifs.iter().any(|(n, _, _)| *n == which) {
        return Err(ApiError::new(
            17,
            format!("show -> arp -> entry '{which}' is not a valid interface"),
        ));
    }
    let mut hosts: Vec<std::net::Ipv4Addr> = Vec::new();
    if let Ok(x) = crate::xpath::XPath::parse(
        "/config/devices/entry[@name='localhost.localdomain']/network/virtual-router/entry/routing-table/ip/static-route/entry/nexthop/ip-address",
    ) {
        for p in x.select(&dev.running) {
            if let Some(ip) =
                crate::xpath::get(&dev.running, &p).and_then(|e| e.text_str().parse().ok())
            {
                hosts.push(ip);
            }
        }
    }
    for s in dev.traffic.sessions.values() {
        for a in [&s.src, &s.dst] {
            if let Ok(ip) = a.parse() {
                hosts.push(ip);
            }
        }
    }
    hosts.sort();
    hosts.dedup();
    let mut entries = String::new();
    let mut n = 0;
    for ip in hosts {
        let v = u32::from(ip);
        let Some((name, _, _)) = ifs
            .iter()
            .find(|(_, _, cidr)| v4_net(cidr).is_some_and(|(a, m)| a & m == v & m && a != v))
        else {
            continue;
        };
        if which != "all" && *name != which {
            continue;
        }
        n += 1;
        let o = ip.octets();
        entries.push_str(&format!(
            "<entry><status> c </status><ip>{ip}</ip><mac>00:1b:17:{:02x}:{:02x}:{:02x}</mac><ttl>{}</ttl><interface>{name}</interface><port>{name}</port></entry>",
            o[1],
            o[2],
            o[3],
            1800 - (u64::from(v) % 600),
            name = xml::escape(name),
        ));
    }
    Ok(format!(
        "<dp>dp0</dp><timeout>1800</timeout><total>{n}</total><entries>{entries}</entries><max>32000</max>"
    ))
}

// ------------------------------------------------------------------ security policy match

/// The arguments of `test security-policy-match`.
#[derive(Debug, Default)]
struct Query {
    from: Option<String>,
    to: Option<String>,
    source: Option<IpAddr>,
    destination: Option<IpAddr>,
    port: Option<u16>,
    protocol: u8,
    application: Option<String>,
    user: Option<String>,
    category: Option<String>,
    show_all: bool,
}

fn bad(arg: &str, value: &str, what: &str) -> ApiError {
    ApiError::new(
        17,
        format!(" test -> security-policy-match -> {arg} '{value}' is not {what}"),
    )
}

impl Query {
    fn parse(m: &Element) -> Result<Query, ApiError> {
        let mut q = Query::default();
        for c in &m.children {
            let v = c.text_str().trim().trim_matches('"');
            match c.name.as_str() {
                "from" => q.from = Some(v.to_string()),
                "to" => q.to = Some(v.to_string()),
                "source" => {
                    q.source = Some(
                        v.parse()
                            .map_err(|_| bad("source", v, "a valid IP address"))?,
                    )
                }
                "destination" => {
                    q.destination = Some(
                        v.parse()
                            .map_err(|_| bad("destination", v, "a valid IP address"))?,
                    )
                }
                "destination-port" => {
                    q.port = Some(
                        v.parse()
                            .map_err(|_| bad("destination-port", v, "a port (0-65535)"))?,
                    )
                }
                "protocol" => {
                    q.protocol = v
                        .parse()
                        .ok()
                        .filter(|p| *p >= 1)
                        .ok_or_else(|| bad("protocol", v, "an IP protocol number (1-255)"))?
                }
                "application" => q.application = Some(v.to_string()),
                "source-user" => q.user = Some(v.to_string()),
                "category" => q.category = Some(v.to_string()),
                "show-all" => {
                    q.show_all = match v {
                        "yes" => true,
                        "no" => false,
                        _ => return Err(bad("show-all", v, "yes or no")),
                    }
                }
                other => {
                    return Err(ApiError::new(
                        17,
                        format!(" test -> security-policy-match -> {other}  is unexpected"),
                    ));
                }
            }
        }
        // the device needs the addresses and the protocol to find a rule (pan-os-python always
        // sends all three); no public capture of its message for a missing one was found
        for (name, missing) in [
            ("source", q.source.is_none()),
            ("destination", q.destination.is_none()),
            ("protocol", q.protocol == 0),
        ] {
            if missing {
                return Err(ApiError::new(
                    17,
                    format!(" test -> security-policy-match -> {name} is missing"),
                ));
            }
        }
        Ok(q)
    }
}

/// An address range, both ends in the same family.
#[derive(Debug, Clone, Copy)]
struct Range(IpAddr, IpAddr);

impl Range {
    fn contains(&self, ip: IpAddr) -> bool {
        match (self.0, self.1, ip) {
            (IpAddr::V4(_), IpAddr::V4(_), IpAddr::V4(_))
            | (IpAddr::V6(_), IpAddr::V6(_), IpAddr::V6(_)) => self.0 <= ip && ip <= self.1,
            _ => false,
        }
    }
}

/// `10.0.0.1`, `10.0.0.0/8`, `10.0.0.1-10.0.0.9` (and their IPv6 forms).
fn literal(s: &str) -> Option<Range> {
    if let Some((a, b)) = s.split_once('-') {
        return Some(Range(a.trim().parse().ok()?, b.trim().parse().ok()?));
    }
    let (a, len) = match s.split_once('/') {
        Some((a, l)) => (a.parse::<IpAddr>().ok()?, Some(l.parse::<u32>().ok()?)),
        None => (s.parse::<IpAddr>().ok()?, None),
    };
    Some(match a {
        IpAddr::V4(v) => {
            let len = len.unwrap_or(32).min(32);
            let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
            let lo = u32::from(v) & mask;
            Range(IpAddr::V4(lo.into()), IpAddr::V4((lo | !mask).into()))
        }
        IpAddr::V6(v) => {
            let len = len.unwrap_or(128).min(128);
            let mask = if len == 0 {
                0
            } else {
                u128::MAX << (128 - len)
            };
            let lo = u128::from(v) & mask;
            Range(IpAddr::V6(lo.into()), IpAddr::V6((lo | !mask).into()))
        }
    })
}

/// Where the objects a vsys rule refers to are looked up: the vsys, then shared, then the
/// predefined content.
struct Scope<'a> {
    vsys: &'a Element,
    shared: Option<&'a Element>,
}

impl<'a> Scope<'a> {
    fn object(&self, kind: &str, name: &str) -> Option<&'a Element> {
        self.vsys
            .child(kind)
            .and_then(|k| k.entry_child(name))
            .or_else(|| {
                self.shared
                    .and_then(|s| s.child(kind))
                    .and_then(|k| k.entry_child(name))
            })
    }

    /// Ranges an address member stands for (literal, address object, static address group).
    fn addresses(&self, member: &str, depth: u8, out: &mut Vec<Range>) {
        if let Some(r) = literal(member) {
            out.push(r);
            return;
        }
        if depth > 8 {
            return;
        }
        if let Some(a) = self.object("address", member) {
            if let Some(r) = a
                .find_text("ip-netmask")
                .or(a.find_text("ip-range"))
                .and_then(literal)
            {
                out.push(r);
            }
            // fqdn and wildcard objects need resolution the simulator does not do
            return;
        }
        if let Some(g) = self.object("address-group", member) {
            for m in g.child("static").map(Element::members).unwrap_or_default() {
                self.addresses(&m, depth + 1, out);
            }
        }
    }

    fn address_matches(&self, members: &[String], ip: IpAddr) -> bool {
        members.iter().any(|m| {
            if m == "any" {
                return true;
            }
            let mut r = Vec::new();
            self.addresses(m, 0, &mut r);
            r.iter().any(|r| r.contains(ip))
        })
    }

    /// Whether a service member admits `protocol`/`port`.
    fn service_matches(&self, member: &str, q: &Query, depth: u8) -> bool {
        let svc = self.object("service", member).or_else(|| {
            crate::predefined::PREDEFINED
                .find("predefined/service")
                .and_then(|s| s.entry_child(member))
        });
        if let Some(s) = svc {
            let proto = match q.protocol {
                6 => "tcp",
                17 => "udp",
                _ => return false,
            };
            return s
                .find(&format!("protocol/{proto}"))
                .and_then(|p| p.find_text("port"))
                .is_some_and(|ports| q.port.is_none_or(|p| port_in(ports, p)));
        }
        if depth < 8
            && let Some(g) = self.object("service-group", member)
        {
            return g
                .child("members")
                .map(Element::members)
                .unwrap_or_default()
                .iter()
                .any(|m| self.service_matches(m, q, depth + 1));
        }
        false
    }

    fn application_matches(&self, members: &[String], app: &str, depth: u8) -> bool {
        members.iter().any(|m| {
            m == "any"
                || m == app
                || (depth < 8
                    && self.object("application-group", m).is_some_and(|g| {
                        let inner = g.child("members").map(Element::members).unwrap_or_default();
                        self.application_matches(&inner, app, depth + 1)
                    }))
        })
    }
}

/// `80,443,8000-8080` holds `port`.
fn port_in(spec: &str, port: u16) -> bool {
    spec.split(',').any(|p| match p.trim().split_once('-') {
        Some((a, b)) => {
            matches!((a.parse::<u16>(), b.parse::<u16>()), (Ok(a), Ok(b)) if a <= port && port <= b)
        }
        None => p.trim().parse::<u16>() == Ok(port),
    })
}

/// `application-default`: the application's standard ports (predefined content) admit the
/// protocol and port asked for. Without an application, or for one the simulator's content
/// does not carry, any port is admitted.
fn application_default(app: Option<&str>, q: &Query) -> bool {
    let Some(def) = app.and_then(|a| {
        crate::predefined::PREDEFINED
            .find("predefined/application")
            .and_then(|apps| apps.entry_child(a))
            .and_then(|e| e.child("default"))
    }) else {
        return true;
    };
    if let Some(p) = def.find_text("ident-by-ip-protocol") {
        return p.parse::<u8>() == Ok(q.protocol);
    }
    if def.child("ident-by-icmp-type").is_some() {
        return q.protocol == 1 || q.protocol == 58;
    }
    let proto = match q.protocol {
        6 => "tcp",
        17 => "udp",
        _ => return false,
    };
    def.child("port")
        .map(Element::members)
        .unwrap_or_default()
        .iter()
        .filter_map(|m| m.split_once('/'))
        .any(|(p, ports)| p == proto && q.port.is_none_or(|port| port_in(ports, port)))
}

fn members(rule: &Element, what: &str) -> Vec<String> {
    let m = rule.child(what).map(Element::members).unwrap_or_default();
    if m.is_empty() {
        vec!["any".to_string()]
    } else {
        m
    }
}

fn rule_matches(scope: &Scope, rule: &Element, q: &Query) -> bool {
    if rule.find_text("disabled") == Some("yes") {
        return false;
    }
    let zone = |what: &str, asked: &Option<String>| {
        asked
            .as_ref()
            .is_none_or(|z| members(rule, what).iter().any(|m| m == "any" || m == z))
    };
    if !zone("from", &q.from) || !zone("to", &q.to) {
        return false;
    }
    let addr = |what: &str, negate: &str, ip: Option<IpAddr>| {
        let Some(ip) = ip else { return true };
        let hit = scope.address_matches(&members(rule, what), ip);
        if rule.find_text(negate) == Some("yes") {
            !hit
        } else {
            hit
        }
    };
    if !addr("source", "negate-source", q.source)
        || !addr("destination", "negate-destination", q.destination)
    {
        return false;
    }
    let users = members(rule, "source-user");
    let user_ok = match &q.user {
        Some(u) => users
            .iter()
            .any(|m| m == "any" || m == "known-user" || m.eq_ignore_ascii_case(u)),
        None => users.iter().any(|m| m == "any" || m == "unknown"),
    };
    if !user_ok {
        return false;
    }
    if let Some(c) = &q.category
        && !members(rule, "category")
            .iter()
            .any(|m| m == "any" || m == c)
    {
        return false;
    }
    let apps = members(rule, "application");
    if let Some(a) = &q.application
        && !scope.application_matches(&apps, a, 0)
    {
        return false;
    }
    members(rule, "service").iter().any(|s| match s.as_str() {
        "any" => true,
        "application-default" => application_default(q.application.as_deref(), q),
        other => scope.service_matches(other, q, 0),
    })
}

fn member_list(tag: &str, m: &[String]) -> String {
    let mut s = format!("<{tag}>");
    for v in m {
        s.push_str(&format!("<member>{}</member>", xml::escape(v)));
    }
    s.push_str(&format!("</{tag}>"));
    s
}

/// `test security-policy-match …`: the security rules of the vsys (the `vsys=` parameter,
/// else vsys1) evaluated top-down against the zones, addresses (literals, address objects and
/// static groups, negation), user, category, application (and application groups) and
/// service (objects, groups, predefined services, `application-default` from the predefined
/// applications' ports) asked for. The first match is answered, or with `show-all yes` every
/// match up to and including the first `allow`. With both zones given and no rule matching,
/// the predefined `intrazone-default` (allow) or `interzone-default` (deny) rule answers.
/// Each entry carries `name`, `index` and `action`, which pan-os-python reads, plus the rule's
/// match fields.
fn security_policy_match(dev: &Device, el: &Element, req: &Request) -> Result<String, ApiError> {
    let m = el
        .child("security-policy-match")
        .ok_or_else(|| super::unknown(el))?;
    let q = Query::parse(m)?;
    let vsys_name = req.get("vsys").filter(|v| !v.is_empty()).unwrap_or("vsys1");
    super::check_vsys(dev, vsys_name)?;
    let empty = Element::new("vsys");
    let vsys = dev
        .running
        .find("devices")
        .and_then(|d| d.entry_child("localhost.localdomain"))
        .and_then(|l| l.child("vsys"))
        .and_then(|v| v.entry_child(vsys_name))
        .unwrap_or(&empty);
    let scope = Scope {
        vsys,
        shared: dev.running.child("shared"),
    };
    let rules: Vec<&Element> = vsys
        .find("rulebase/security/rules")
        .map(|r| r.children.iter().filter(|c| c.name == "entry").collect())
        .unwrap_or_default();
    let mut out = String::from("<rules>");
    let mut any = false;
    for (i, rule) in rules.iter().enumerate() {
        if !rule_matches(&scope, rule, &q) {
            continue;
        }
        any = true;
        let action = rule.find_text("action").unwrap_or("allow");
        out.push_str(&format!(
            "<entry name=\"{}\"><index>{}</index>{}{}{}{}{}{}{}{}<action>{}</action></entry>",
            xml::escape(rule.name_attr().unwrap_or("")),
            i + 1,
            member_list("from", &members(rule, "from")),
            member_list("source", &members(rule, "source")),
            member_list("to", &members(rule, "to")),
            member_list("destination", &members(rule, "destination")),
            member_list("user", &members(rule, "source-user")),
            member_list("category", &members(rule, "category")),
            member_list("application", &members(rule, "application")),
            member_list("service", &members(rule, "service")),
            xml::escape(action),
        ));
        if !q.show_all || action == "allow" {
            break;
        }
    }
    if !any && let (Some(f), Some(t)) = (&q.from, &q.to) {
        let (name, action, index) = if f == t {
            ("intrazone-default", "allow", rules.len() + 1)
        } else {
            ("interzone-default", "deny", rules.len() + 2)
        };
        out.push_str(&format!(
            "<entry name=\"{name}\"><index>{index}</index>{}{}<action>{action}</action></entry>",
            member_list("from", std::slice::from_ref(f)),
            member_list("to", std::slice::from_ref(t)),
        ));
    }
    out.push_str("</rules>");
    Ok(out)
}

/// The security rule of `vsys` that a flow from `src` to `dst` (`proto`/`dport`) matches, and
/// whether it allows the flow; `None` when no configured rule matches (a predefined default
/// rule applies). Used to open the sessions the simulator is asked to open under the rule the
/// device would pick.
pub fn policy_rule(
    dev: &Device,
    vsys: &str,
    src: &str,
    dst: &str,
    proto: u8,
    dport: u16,
) -> Option<(String, bool)> {
    let q = Query {
        source: Some(src.parse().ok()?),
        destination: Some(dst.parse().ok()?),
        port: (proto == 6 || proto == 17).then_some(dport),
        protocol: proto,
        ..Query::default()
    };
    let v = dev
        .running
        .find("devices")
        .and_then(|d| d.entry_child("localhost.localdomain"))
        .and_then(|l| l.child("vsys"))
        .and_then(|v| v.entry_child(vsys))?;
    let scope = Scope {
        vsys: v,
        shared: dev.running.child("shared"),
    };
    v.find("rulebase/security/rules")?
        .children
        .iter()
        .filter(|c| c.name == "entry")
        .find(|r| rule_matches(&scope, r, &q))
        .map(|r| {
            (
                r.name_attr().unwrap_or("").to_string(),
                r.find_text("action").unwrap_or("allow") == "allow",
            )
        })
}
