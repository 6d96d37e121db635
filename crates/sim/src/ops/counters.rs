//! Data-plane counters read from the traffic model: `show counter interface`, `show
//! interface`, `show counter global [filter …]` and `show session info`.
//!
//! Per-interface counters have one source ([`crate::traffic::IfCounters`], grown by every
//! packet a session moves), so `show interface NAME`, `show counter interface NAME|all` agree.

use std::time::Instant;

use super::{interfaces, ok, readiness};
use crate::device::{ApiError, Device};
use crate::traffic::{COUNTERS, IfCounters};
use crate::xml::{self, Element};

/// Ethernet framing the hardware port counts on top of the layer-3 bytes (header and FCS).
const L2_OVERHEAD: u64 = 18;

/// `X -> Y -> Z is invalid`: the device's refusal of a value it does not accept (the form of
/// pan-os-python #229, `clear -> session -> all -> filter -> nat-rule is invalid`).
fn invalid(path: &[&str]) -> ApiError {
    ApiError::new(17, format!("{} is invalid", path.join(" -> ")))
}

/// `X -> Y needs to have non NULL value`: a value keyword given no value, or given an element
/// instead of text (ansible-pan #123: `show -> interface -> all needs to have non NULL value`
/// for `<show><interface><all/></interface></show>`).
fn needs_value(path: &[&str], child: Option<&str>) -> ApiError {
    let mut p = path.join(" -> ");
    if let Some(c) = child {
        p.push_str(" -> ");
        p.push_str(c);
    }
    ApiError::new(17, format!("{p} needs to have non NULL value"))
}

/// The interface value of `<interface>NAME</interface>` (`all`, a name), or the device's
/// error when it is missing.
fn interface_arg(el: Option<&Element>, path: &[&str]) -> Result<String, ApiError> {
    let Some(el) = el else {
        return Err(needs_value(path, None));
    };
    if let Some(c) = el.children.first() {
        return Err(needs_value(path, Some(&c.name)));
    }
    let v = el.text_str().trim().trim_matches('"').to_string();
    if v.is_empty() {
        return Err(needs_value(path, None));
    }
    Ok(v)
}

/// The named interface's position in the configured list, or the device's refusal.
fn find_iface(ifs: &[(String, String, String)], name: &str) -> Result<usize, ApiError> {
    // No public capture of the device's text for an interface that does not exist; this
    // wording is ours.
    ifs.iter()
        .position(|(n, _, _)| n == name)
        .ok_or_else(|| ApiError::new(17, format!("interface {name} does not exist")))
}

fn counters_of(dev: &Device, name: &str) -> IfCounters {
    dev.traffic.ifaces.get(name).copied().unwrap_or_default()
}

fn ifnet_entry(name: &str, c: &IfCounters) -> String {
    format!(
        "<entry><name>{n}</name><ibytes>{}</ibytes><obytes>{}</obytes><ipackets>{}</ipackets><opackets>{}</opackets><ierrors>{}</ierrors><idrops>{}</idrops><flowstate>0</flowstate></entry>",
        c.ibytes,
        c.obytes,
        c.ipackets,
        c.opackets,
        c.ierrors,
        c.idrops,
        n = xml::escape(name)
    )
}

/// The hardware port view of the same traffic: frames, so the bytes carry the L2 framing.
fn hw_entry(name: &str, c: &IfCounters) -> String {
    format!(
        "<entry><name>{n}</name><port><tx-unicast>{}</tx-unicast><rx-unicast>{}</rx-unicast><tx-multicast>0</tx-multicast><rx-multicast>0</rx-multicast><tx-broadcast>0</tx-broadcast><rx-broadcast>0</rx-broadcast><tx-bytes>{}</tx-bytes><rx-bytes>{}</rx-bytes><rx-error>{}</rx-error><tx-error>0</tx-error><link-down-count>0</link-down-count></port><ibytes>{}</ibytes><obytes>{}</obytes><ipackets>{}</ipackets><opackets>{}</opackets><ierrors>{}</ierrors><idrops>{}</idrops></entry>",
        c.opackets,
        c.ipackets,
        c.obytes + c.opackets * L2_OVERHEAD,
        c.ibytes + c.ipackets * L2_OVERHEAD,
        c.ierrors,
        c.ibytes + c.ipackets * L2_OVERHEAD,
        c.obytes + c.opackets * L2_OVERHEAD,
        c.ipackets,
        c.opackets,
        c.ierrors,
        c.idrops,
        n = xml::escape(name)
    )
}

/// `show counter interface all|NAME`: `<ifnet><ifnet><entry>…` and `<hw><entry>…` (the shape
/// the exporter and jenningsloy318/panos_exporter parse), one entry per interface asked for.
pub fn interface_counters(dev: &Device, el: &Element) -> Result<String, ApiError> {
    let arg = interface_arg(
        el.find("counter/interface"),
        &["show", "counter", "interface"],
    )?;
    let ifs = interfaces(dev);
    let names: Vec<&str> = if arg == "all" {
        ifs.iter().map(|(n, _, _)| n.as_str()).collect()
    } else {
        vec![ifs[find_iface(&ifs, &arg)?].0.as_str()]
    };
    let mut ifnet = String::new();
    let mut hw = String::new();
    for n in names {
        let c = counters_of(dev, n);
        ifnet.push_str(&ifnet_entry(n, &c));
        hw.push_str(&hw_entry(n, &c));
    }
    Ok(ok(&format!(
        "<ifnet><ifnet>{ifnet}</ifnet></ifnet><hw>{hw}</hw>"
    )))
}

/// `show interface all|NAME`. `all`: `<ifnet><entry>` placement and `<hw><entry>` link state.
/// One interface: `<ifnet>` with its `<counters><ifnet><entry>…<hw><entry>…` inside and
/// `<hw>` with the link (the layout of pan-os-python's "Parse the result" example:
/// `.//counters/ifnet/entry`, `./result/hw/mac`; napalm-panos reads `result/hw`).
pub fn show_interface(dev: &Device, el: &Element) -> Result<String, ApiError> {
    let arg = interface_arg(el.child("interface"), &["show", "interface"])?;
    let ifs = interfaces(dev);
    let state = |name: &str| {
        if readiness::link_up(dev, name) {
            ("up", "10000/full/up", "10000", "full")
        } else {
            ("down", "ukn/ukn/down", "ukn", "ukn")
        }
    };
    let hw_all = || {
        let mut hw = String::new();
        for (i, (name, _, _)) in ifs.iter().enumerate() {
            let (st, stt, speed, duplex) = state(name);
            hw.push_str(&format!(
                "<entry><name>{n}</name><duplex>{duplex}</duplex><type>0</type><state>{st}</state><st>{stt}</st><mac>00:50:56:00:01:{i:02x}</mac><mode>(autoneg)</mode><speed>{speed}</speed><id>{}</id></entry>",
                16 + i,
                n = xml::escape(name),
            ));
        }
        hw
    };
    if arg == "hardware" {
        // `show interface hardware` (pan-os-upgrade-assurance's get_nics sends it quoted):
        // the link table only, `<hw><entry>` as in its recorded replies
        return Ok(ok(&format!("<hw>{}</hw>", hw_all())));
    }
    if arg == "all" {
        let mut ifnet = String::new();
        for (i, (name, zone, ip)) in ifs.iter().enumerate() {
            ifnet.push_str(&format!(
                "<entry><name>{name}</name><zone>{zone}</zone><fwd>vr:default</fwd><vsys>1</vsys><dyn-addr/><addr6/><tag>0</tag><ip>{ip}</ip><id>{}</id><addr/></entry>",
                16 + i
            ));
        }
        return Ok(ok(&format!("<ifnet>{ifnet}</ifnet><hw>{}</hw>", hw_all())));
    }
    if let Some((parent, unit)) = arg.split_once('.')
        && let Some(i) = ifs.iter().position(|(n, _, _)| n == parent)
        && let Some(u) = readiness::ethernet_entry(dev, parent)
            .and_then(|e| e.find("layer3/units"))
            .and_then(|units| units.entry_child(&arg))
    {
        // a layer-3 subinterface: its own MTU (`mtu`, pan-os-python Layer3Subinterface) or
        // its parent's, the tag, and the parent port's link
        let mtu = u
            .find_text("mtu")
            .and_then(|m| m.trim().parse::<u32>().ok())
            .unwrap_or_else(|| {
                readiness::ethernet_entry(dev, parent)
                    .map(|e| readiness::interface_mtu(dev, e))
                    .unwrap_or(1500)
            });
        let ip = u
            .find("ip")
            .and_then(|i| i.children.first())
            .and_then(|i| i.name_attr())
            .unwrap_or("N/A");
        let tag = u.find_text("tag").map(str::trim).unwrap_or(unit);
        let c = counters_of(dev, &arg);
        let (st, _, speed, duplex) = state(parent);
        return Ok(ok(&format!(
            "<ifnet><counters><ifnet>{}</ifnet></counters><name>{n}</name><zone/><vsys>vsys1</vsys><fwd>vr:default</fwd><tag>{tag}</tag><addr><member>{ip}</member></addr><mtu>{mtu}</mtu><id>{id}</id></ifnet><hw><name>{p}</name><state>{st}</state><speed>{speed}</speed><duplex>{duplex}</duplex><mode>(autoneg)</mode><mac>00:50:56:00:01:{i:02x}</mac><id>{pid}</id></hw>",
            ifnet_entry(&arg, &c),
            n = xml::escape(&arg),
            p = xml::escape(parent),
            tag = xml::escape(tag),
            ip = xml::escape(ip),
            id = 256 + 16 + i,
            pid = 16 + i,
        )));
    }
    let i = find_iface(&ifs, &arg)?;
    let (name, zone, ip) = &ifs[i];
    let c = counters_of(dev, name);
    let mtu = readiness::ethernet_entry(dev, name)
        .map(|e| readiness::interface_mtu(dev, e))
        .unwrap_or(1500);
    let (st, _, speed, duplex) = state(name);
    Ok(ok(&format!(
        "<ifnet><counters><ifnet>{}</ifnet><hw>{}</hw></counters><name>{name}</name><zone>{zone}</zone><vsys>vsys1</vsys><fwd>vr:default</fwd><addr><member>{ip}</member></addr><mtu>{mtu}</mtu><id>{id}</id></ifnet><hw><name>{name}</name><state>{st}</state><speed>{speed}</speed><duplex>{duplex}</duplex><mode>(autoneg)</mode><mac>00:50:56:00:01:{i:02x}</mac><id>{id}</id></hw>",
        ifnet_entry(name, &c),
        hw_entry(name, &c),
        id = 16 + i,
    )))
}

/// Severities a global counter can have (the CLI's `filter severity` choices).
const SEVERITIES: &[&str] = &["info", "warn", "error", "drop"];

/// `show counter global [filter [category C] [severity S] [aspect A] [value all|non-zero]
/// [delta yes|no]]`. With `delta yes` each value is the change since the same admin's
/// previous `delta yes` query (the first one counts from start), and `<t>` is the seconds
/// between the two, as the CLI's "Elapsed time since last sampling"; without it `<t>` is the
/// seconds since the device started.
pub fn global(dev: &mut Device, el: &Element, user: &str) -> Result<String, ApiError> {
    const PATH: [&str; 5] = ["show", "counter", "global", "filter", ""];
    let filter = el.find("counter/global/filter");
    let arg = |k: &str| filter.and_then(|f| f.child(k)).map(|c| c.text_str().trim());
    let path = |k: &'static str| {
        let mut p = PATH;
        p[4] = k;
        p
    };
    let severity = arg("severity");
    if let Some(s) = severity
        && !SEVERITIES.contains(&s)
    {
        return Err(invalid(&path("severity")));
    }
    let yes_no = |k: &'static str| -> Result<bool, ApiError> {
        match arg(k) {
            None | Some("no") => Ok(false),
            Some("yes") => Ok(true),
            Some(_) => Err(invalid(&path(k))),
        }
    };
    let delta = yes_no("delta")?;
    // `packet-filter yes` counts only packets matching the packet-diag filter; the simulator
    // has none configured, so no counter has such packets. `backtrace` adds the data-plane
    // call sites of each counter, which the simulator does not have: checked, no effect.
    let packet_filter = yes_no("packet-filter")?;
    yes_no("backtrace")?;
    let non_zero = match arg("value") {
        None | Some("all") => false,
        Some("non-zero") => true,
        Some(_) => return Err(invalid(&path("value"))),
    };
    let (category, aspect) = (arg("category"), arg("aspect"));
    let now = dev.clock.now();
    let current = dev.traffic.counters.clone();
    let (t, base) = if delta {
        let prev = dev
            .traffic
            .delta_base
            .insert(user.to_string(), (now, current.clone()));
        match prev {
            Some((at, v)) => (now.saturating_duration_since(at).as_secs(), v),
            None => (since_start(dev, now), vec![0; current.len()]),
        }
    } else {
        (since_start(dev, now), vec![0; current.len()])
    };
    let mut entries = String::new();
    for (i, (name, cat, asp, sev, desc)) in COUNTERS.iter().enumerate() {
        if packet_filter
            || severity.is_some_and(|s| s != *sev)
            || category.is_some_and(|c| c != *cat)
            || aspect.is_some_and(|a| a != *asp)
        {
            continue;
        }
        let v = current
            .get(i)
            .copied()
            .unwrap_or(0)
            .saturating_sub(base.get(i).copied().unwrap_or(0));
        if non_zero && v == 0 {
            continue;
        }
        let r = dev.traffic.rates.get(i).copied().unwrap_or(0);
        entries.push_str(&format!(
            "<entry><category>{cat}</category><severity>{sev}</severity><value>{v}</value><rate>{r}</rate><aspect>{asp}</aspect><desc>{desc}</desc><id>{}</id><name>{name}</name></entry>",
            i + 1
        ));
    }
    Ok(ok(&format!(
        "<dp>dp0</dp><global><t>{t}</t><counters>{entries}</counters></global>"
    )))
}

fn since_start(dev: &Device, now: Instant) -> u64 {
    now.saturating_duration_since(dev.started).as_secs()
}

/// Rates over the last interval of the traffic model: the change of the totals between its
/// last two samples (taken each time the model advances), per second.
pub struct Rates {
    /// Sessions created per second.
    pub cps: u64,
    /// Packets per second.
    pub pps: u64,
    /// Kilobits per second.
    pub kbps: u64,
}

/// See [`Rates`].
pub fn rates(dev: &Device) -> Rates {
    let s = &dev.traffic.samples;
    let zero = Rates {
        cps: 0,
        pps: 0,
        kbps: 0,
    };
    let (Some(new), Some(old)) = (s.back(), s.len().checked_sub(2).and_then(|i| s.get(i))) else {
        return zero;
    };
    let secs = new.at.saturating_duration_since(old.at).as_secs_f64();
    if secs <= 0.0 {
        return zero;
    }
    let per = |a: u64, b: u64| (a.saturating_sub(b) as f64 / secs).round() as u64;
    Rates {
        cps: per(new.created, old.created),
        pps: per(new.packets, old.packets),
        kbps: per(new.bytes.saturating_mul(8), old.bytes.saturating_mul(8)) / 1000,
    }
}

/// `show session info`: the session table (the same sessions `show session all` lists) and
/// the rates of [`rates`].
pub fn session_info(dev: &Device) -> String {
    let t = &dev.traffic;
    let n = t.sessions.len();
    let count = |f: &dyn Fn(u8) -> bool| t.sessions.values().filter(|s| f(s.proto)).count();
    let tcp = count(&|p| p == 6);
    let udp = count(&|p| p == 17);
    let icmp = count(&|p| p == 1 || p == 58);
    let sctp = count(&|p| p == 132);
    let r = rates(dev);
    format!(
        "<tmo-5gcdelete>15</tmo-5gcdelete><tmo-sctpshutdown>60</tmo-sctpshutdown><tcp-nonsyn-rej>True</tcp-nonsyn-rej><tmo-tcpinit>5</tmo-tcpinit><tmo-tcp>3600</tmo-tcp><tmo-udp>30</tmo-udp><tmo-icmp>6</tmo-icmp><tmo-tcphandshake>10</tmo-tcphandshake><num-max>256000</num-max><num-active>{n}</num-active><num-tcp>{tcp}</num-tcp><num-udp>{udp}</num-udp><num-icmp>{icmp}</num-icmp><num-gtpc>0</num-gtpc><num-gtpu-active>0</num-gtpu-active><num-sctp-assoc>{sctp}</num-sctp-assoc><num-sctp-sess>{sctp}</num-sctp-sess><num-installed>{inst}</num-installed><num-mcast>0</num-mcast><num-bcast>0</num-bcast><cps>{cps}</cps><pps>{pps}</pps><kbps>{kbps}</kbps><vardata-rate>0</vardata-rate><dis-def>60</dis-def><dis-tcp>90</dis-tcp><dis-udp>60</dis-udp><age-scan-thresh>80</age-scan-thresh><age-scan-tmo>10</age-scan-tmo><age-scan-ssf>8</age-scan-ssf><run-tc>True</run-tc><max-pending-mcast>0</max-pending-mcast><hw-offload>False</hw-offload><oor-action>drop</oor-action><strict-checksum>True</strict-checksum><ipv6-fw>True</ipv6-fw><icmp-unreachable-rate>200</icmp-unreachable-rate>",
        inst = t.created,
        cps = r.cps,
        pps = r.pps,
        kbps = r.kbps,
    )
}
