//! Operational commands (`type=op`) backed by live device state.

use std::time::Instant;

use crate::api::{Request, SimState};
use crate::device::{ApiError, Device, Lock};
use crate::jobs;
use crate::traffic::Session;
use crate::userid;
use crate::xml::{self, Element};
use crate::xpath::XPath;

pub mod configops;
mod counters;
mod disk;
mod downloads;
mod grammar;
mod guest;
mod hits;
mod managed;
pub(crate) mod tools;
pub use guest::check_vsys;
pub mod monitor;
pub mod pushed;
pub mod readiness;
pub mod settings;

/// Days from licence activation to the end of the subscriptions (and of support).
pub(crate) const SUBSCRIPTION_DAYS: i64 = 330;

/// PAN-OS version the simulator reports.
pub const SW_VERSION: &str = "11.1.2";

/// Whether an op command changes state (refused for read-only admins). `show`, `check` and
/// `test` commands only read, and so do a few `request` commands (licence and update
/// information); every other command may change something.
pub fn is_write(cmd: &str) -> bool {
    let Ok(el) = xml::parse(cmd) else {
        let t = cmd.trim_start();
        return !(t.starts_with("<show") || t.starts_with("<check") || t.starts_with("<test"));
    };
    !matches!(
        words(&el).as_slice(),
        ["show", ..]
            | ["check", ..]
            | ["test", ..]
            | ["request", "license", "info", ..]
            | ["request", "system", "software", "info", ..]
            | ["request", "content", "upgrade", "info", ..]
            | ["request", "support", "check", ..]
            | ["request", "password-hash", ..]
    )
}

/// The chain of single-child element names: `<show><system><info/></system></show>` → show system info.
fn words(el: &Element) -> Vec<&str> {
    let mut out = vec![el.name.as_str()];
    let mut cur = el;
    while cur.children.len() == 1 {
        cur = &cur.children[0];
        out.push(cur.name.as_str());
    }
    out
}

fn ok(inner: &str) -> String {
    format!("<response status=\"success\"><result>{inner}</result></response>")
}

fn ok_text(text: &str) -> String {
    format!(
        "<response status=\"success\"><result><![CDATA[{}]]></result></response>",
        text.replace("]]>", "]]]]><![CDATA[>")
    )
}

fn unknown(el: &Element) -> ApiError {
    let w = words(el).join(" ");
    ApiError::new(17, format!("Invalid syntax or unknown command: {w}"))
}

/// The op commands that only read one device — what exporters and monitoring plugins
/// poll — answered while other readers share the state lock (see
/// [`crate::api::SimState::try_read`]). `None`: the command is not one of them (or a fault is
/// set for it), and the caller runs it through [`run`] under the exclusive lock. Every
/// command here gives what [`run`] gives: the same functions, reached before anything in
/// [`run`] could claim the command differently.
pub fn run_read(st: &SimState, serial: &str, el: &Element) -> Option<Result<String, ApiError>> {
    if monitor::apply_fault(&st.wire.lock().op_faults, el).is_some() {
        return None;
    }
    if let Err(e) = grammar::check(el) {
        return Some(Err(e));
    }
    let guard = st.devices.get(serial)?;
    let dev: &Device = &guard;
    if let Some(reply) = monitor::run(dev, el) {
        return Some(reply);
    }
    let w = words(el);
    let w2: Vec<&str> = w.iter().take(3).copied().collect();
    Some(match w2.as_slice() {
        ["show", "system", "info"] => Ok(ok(&system_info(dev))),
        ["show", "system", "resources"] => Ok(ok_text(&resources(dev))),
        ["show", "system", "disk-space"] => Ok(ok_text(&disk::text(dev))),
        ["show", "routing", "route"] if !dev.panorama => routes(dev, el).map(|s| ok(&s)),
        ["show", "routing", "fib"] if !dev.panorama => Ok(ok(&fib(dev))),
        ["request", "license", "info"] | ["show", "license", ..] => Ok(ok(&licenses(dev))),
        _ => return None,
    })
}

/// Run one op command.
pub fn run(
    st: &mut SimState,
    serial: &str,
    user: &str,
    el: &Element,
    req: &Request,
) -> Result<String, ApiError> {
    if let Some(reply) = monitor::apply_fault(&st.wire.lock().op_faults, el) {
        return reply;
    }
    // a word the device does not know is refused before anything runs
    grammar::check(el)?;
    let w = words(el);
    let now = st.clock.now();
    let w2: Vec<&str> = w.iter().take(3).copied().collect();
    // commands that need the whole state
    match w2.as_slice() {
        ["show", "devices", ..] => return managed::show_devices(st, serial, el),
        ["show", "devicegroups", ..] => return managed::show_devicegroups(st, serial),
        ["show", "templates", ..] => return managed::show_templates(st, serial, false),
        ["show", "template-stack", ..] => return managed::show_templates(st, serial, true),
        ["show", "high-availability", ..] => return crate::ha::show(st, serial).map(|b| ok(&b)),
        ["show", "panorama-status", ..] => return readiness::panorama_status(st, serial),
        ["request", "system", "software"] | ["request", "content", "upgrade"] => {
            let duration = st.job_duration;
            if let Some(dev) = st.devices.get_mut(serial)
                && let Some(reply) = downloads::run(dev, user, el, duration)
            {
                st.changed = true;
                return reply;
            }
        }
        ["request", "high-availability", ..] => {
            return crate::ha::request(st, serial, el).map(|m| ok(&m));
        }
        ["show", "rule-hit-count", ..] => {
            if let Some(pano) = st.devices.get(serial).filter(|d| d.panorama) {
                return hits::run_panorama(st, &pano, el);
            }
        }
        ["request", "move-dg", ..] if st.devices.get(serial).is_some_and(|d| d.panorama) => {
            let duration = st.job_duration / 4;
            let dev = st
                .devices
                .get_mut(serial)
                .ok_or_else(|| ApiError::new(17, "unknown device"))?;
            let r = move_dg(dev, el, user, duration);
            st.changed = true;
            return r;
        }
        ["request", "restart", "system"] => {
            // the device goes away for a while; jobs in flight are lost, running config stays
            let down = st
                .job_duration
                .saturating_mul(2)
                .max(std::time::Duration::from_millis(500));
            let dev = st
                .devices
                .get_mut(serial)
                .ok_or_else(|| ApiError::new(17, "unknown device"))?;
            dev.restarting_until = Some(now + down);
            dev.jobs.retain(|_, j| j.applied);
            dev.candidate = dev.running.clone();
            dev.dirty = false;
            dev.pending.clear();
            dev.traffic.sessions.clear();
            return Ok(ok("<msg>Command succeeded with no output</msg>"));
        }
        _ => {}
    }
    let dev = st
        .devices
        .get_mut(serial)
        .ok_or_else(|| ApiError::new(17, "unknown device"))?;
    run_device(dev, user, el, req)
}

/// Whether an op command needs more than its own device (the estate, the HA peer, moved
/// device groups, jobs of a download or a restart): those run under the exclusive state lock,
/// every other one through [`run_device`] under its device's own lock.
pub fn needs_state(el: &Element) -> bool {
    let w = words(el);
    matches!(
        w.iter().take(3).copied().collect::<Vec<&str>>().as_slice(),
        ["show", "devices", ..]
            | ["show", "devicegroups", ..]
            | ["show", "templates", ..]
            | ["show", "template-stack", ..]
            | ["show", "high-availability", ..]
            | ["show", "panorama-status", ..]
            | ["request", "system", "software"]
            | ["request", "content", "upgrade"]
            | ["request", "high-availability", ..]
            | ["show", "rule-hit-count", ..]
            | ["request", "move-dg", ..]
            | ["request", "restart", "system"]
    )
}

/// [`run`] for an op command that needs only its device, made under that device's own lock
/// while the state lock is shared (see [`crate::api::SimState::try_write`]): the faults and the
/// grammar first, as in [`run`], then what timed out is dropped (the exclusive path's tick
/// does that for every device).
pub fn run_shared(
    wire: &parking_lot::Mutex<crate::api::Wire>,
    dev: &mut Device,
    user: &str,
    el: &Element,
    req: &Request,
) -> Result<String, ApiError> {
    if let Some(reply) = monitor::apply_fault(&wire.lock().op_faults, el) {
        return reply;
    }
    grammar::check(el)?;
    let now = dev.clock.now();
    dev.userid.expire(now);
    run_device(dev, user, el, req)
}

/// An op command that needs only its device (see [`needs_state`]), after the faults and the
/// grammar check. The caller has brought the device up to date (its traffic step, User-ID
/// timeouts).
pub fn run_device(
    dev: &mut Device,
    user: &str,
    el: &Element,
    req: &Request,
) -> Result<String, ApiError> {
    let w = words(el);
    let now = dev.clock.now();
    let w2: Vec<&str> = w.iter().take(3).copied().collect();
    if let Some(reply) = monitor::run(dev, el) {
        return reply;
    }
    if let Some(reply) = tools::run(dev, el, req) {
        return reply;
    }
    if let Some(reply) = readiness::run(dev, el) {
        return reply;
    }
    if let Some(reply) = configops::run(dev, user, el) {
        return reply;
    }
    if let Some(reply) = settings::run(dev, user, el) {
        return reply;
    }
    match w2.as_slice() {
        ["show", "system", "info"] => Ok(ok(&system_info(dev))),
        ["show", "system", "resources"] => Ok(ok_text(&resources(dev))),
        ["show", "system", "environmentals"] => Ok(ok(&environmentals(dev))),
        ["show", "system", "disk-space"] => Ok(ok_text(&disk::text(dev))),
        ["show", "running", "resource-monitor"] => Ok(ok(&resource_monitor(dev))),
        ["show", "jobs", ..] => show_jobs(dev, el, now),
        ["show", "session", ..] => show_session(dev, el, req),
        ["clear", "session", ..] => guest::clear(dev, el, req),
        ["show", "counter", "interface"] => counters::interface_counters(dev, el),
        ["show", "counter", "global"] => counters::global(dev, el, user),
        ["show", "interface", ..] => counters::show_interface(dev, el),
        ["show", "routing", "route"] if !dev.panorama => routes(dev, el).map(|s| ok(&s)),
        ["show", "routing", "fib"] if !dev.panorama => Ok(ok(&fib(dev))),
        ["request", "license", "info"] | ["show", "license", ..] => Ok(ok(&licenses(dev))),
        ["show", "user", ..] => show_user(dev, el, req),
        ["show", "object", ..] => show_object(dev, el),
        ["show", "config", ..] => show_config(dev, el),
        ["show", "sslmgr-store", ..] => Ok(ok_text(&crate::certs::sslmgr_text(dev))),
        ["show", "clock", ..] => Ok(ok_text(&format!(
            "{}\n",
            dev.clock.utc().format("%a %b %e %H:%M:%S UTC %Y")
        ))),
        ["check", "pending-changes", ..] => Ok(ok(if dev.dirty { "yes" } else { "no" })),
        ["show", "commit-locks", ..] => Ok(ok(&locks("commit-locks", &dev.commit_locks, el))),
        ["show", "config-locks", ..] => Ok(ok(&locks("config-locks", &dev.config_locks, el))),
        ["request", "commit-lock", ..] => lock_cmd(dev, el, user, true, req),
        ["request", "config-lock", ..] => lock_cmd(dev, el, user, false, req),
        ["show", "dg-hierarchy", ..] => Ok(ok(&dg_hierarchy(dev))),
        ["show", "rule-hit-count", ..] => hits::run(dev, el),
        _ => Err(unknown(el)),
    }
}

fn system_info(dev: &Device) -> String {
    // content release dates follow the simulator clock: the installed App & Threat release came
    // out three days before boot (as `request content upgrade info` lists it), antivirus one day
    // and WildFire two hours before boot
    let released = tools::content_release_date(dev);
    let stamp = |t: chrono::DateTime<chrono::Utc>| t.format("%Y/%m/%d %H:%M:%S UTC").to_string();
    let now = dev.clock.utc().format("%a %b %e %H:%M:%S %Y").to_string();
    let common = format!(
        "<hostname>{h}</hostname><ip-address>{ip}</ip-address><public-ip-address>unknown</public-ip-address><netmask>255.255.255.0</netmask><default-gateway>10.0.0.1</default-gateway><is-dhcp>no</is-dhcp><ipv6-address>unknown</ipv6-address><ipv6-link-local-address>fe80::250:56ff:fe00:1/64</ipv6-link-local-address><mac-address>00:50:56:00:00:{m:02x}</mac-address><time>{now}</time><uptime>{up}</uptime><devicename>{h}</devicename>",
        h = xml::escape(&dev.current_hostname()),
        ip = dev.ip,
        m = (dev.serial.len() as u8).wrapping_add(dev.serial.bytes().last().unwrap_or(0)),
        up = dev.uptime(),
    );
    if dev.panorama {
        format!(
            "<system>{common}<family>pc</family><model>Panorama</model><serial>{s}</serial><vm-mac-base>7C:89:C1:00:00:00</vm-mac-base><vm-mac-count>256</vm-mac-count><vm-uuid>5a8b0f3e-0000-4000-8000-{s}</vm-uuid><vm-cpuid>ESX:00000000</vm-cpuid><vm-license>none</vm-license><vm-mode>VMware ESXi</vm-mode><cloud-mode>non-cloud</cloud-mode><sw-version>{v}</sw-version><app-version>{cv}</app-version><app-release-date>{content}</app-release-date><av-version>0</av-version><wildfire-version>0</wildfire-version><logdb-version>11.1.2</logdb-version><platform-family>pc</platform-family><system-mode>panorama</system-mode><licensed-device-capacity>1000</licensed-device-capacity><device-certificate-status>None</device-certificate-status><operational-mode>normal</operational-mode><num-cpus>8</num-cpus><ram-in-gb>32</ram-in-gb><multi-vsys>off</multi-vsys></system>",
            s = dev.serial,
            v = SW_VERSION,
            cv = tools::CONTENT_VERSION,
            content = stamp(released),
        )
    } else {
        format!(
            "<system>{common}<family>vm</family><model>PA-VM</model><serial>{s}</serial><vm-mac-base>7C:89:C1:10:00:00</vm-mac-base><vm-mac-count>256</vm-mac-count><vm-uuid>6b9c1f4e-0000-4000-8000-{s}</vm-uuid><vm-cpuid>ESX:00000000</vm-cpuid><vm-license>VM-100</vm-license><vm-cap-tier>8.0 GB</vm-cap-tier><vm-cores>2</vm-cores><vm-mem>6.5 GB</vm-mem><relicense>0</relicense><vm-mode>VMware ESXi</vm-mode><cloud-mode>non-cloud</cloud-mode><sw-version>{v}</sw-version><global-protect-client-package-version>0.0.0</global-protect-client-package-version><device-dictionary-version>150-598</device-dictionary-version><device-dictionary-release-date>{dict}</device-dictionary-release-date><app-version>{cv}</app-version><app-release-date>{content}</app-release-date><av-version>5012-5532</av-version><av-release-date>{av}</av-release-date><threat-version>{cv}</threat-version><threat-release-date>{content}</threat-release-date><wf-private-version>0</wf-private-version><wf-private-release-date>unknown</wf-private-release-date><url-db>paloaltonetworks</url-db><wildfire-version>912345-916234</wildfire-version><wildfire-release-date>{wf}</wildfire-release-date><wildfire-rt>Disabled</wildfire-rt><url-filtering-version>20261122.20001</url-filtering-version><global-protect-datafile-version>unknown</global-protect-datafile-version><global-protect-datafile-release-date>unknown</global-protect-datafile-release-date><global-protect-clientless-vpn-version>0</global-protect-clientless-vpn-version><logdb-version>11.1.2</logdb-version><platform-family>vm</platform-family><vpn-disable-mode>off</vpn-disable-mode><multi-vsys>off</multi-vsys><ZTP>Disabled</ZTP><operational-mode>normal</operational-mode><advanced-routing>{are}</advanced-routing><device-certificate-status>Valid</device-certificate-status></system>",
            s = dev.serial,
            v = SW_VERSION,
            cv = tools::CONTENT_VERSION,
            content = stamp(released),
            dict = stamp(released - chrono::Duration::days(2)),
            av = stamp(released + chrono::Duration::days(2)),
            wf = stamp(released + chrono::Duration::days(3) - chrono::Duration::hours(2)),
            are = if readiness::advanced_engine(dev) {
                "on"
            } else {
                "off"
            },
        )
    }
}

/// The management plane's idle CPU in percent: less with more sessions (shared by `show
/// system resources` and `show system state`'s `sys.monitor.sN.mp.exports`).
pub(crate) fn mp_idle(dev: &Device) -> f64 {
    (92.0 - (dev.traffic.sessions.len() as f64 / 50.0)).max(0.0)
}

/// `show system resources`: `top` output with memory in KiB (`KiB Mem :  4119652 total, …`,
/// the PAN-OS 9.x form quoted in pan-os-python issue #166, which pan-os-python's
/// `show_system_resources` parses). Newer releases print `MiB Mem :  63739.8 total, …`
/// (pan-os-upgrade-assurance's recorded replies and its issue #190, which its
/// `get_mp_mem_utilization` parses); the two clients cannot both read one reply, and the
/// simulator keeps the form pan-os-python reads.
fn resources(dev: &Device) -> String {
    let sessions = dev.traffic.sessions.len();
    let up = dev
        .clock
        .now()
        .saturating_duration_since(dev.started)
        .as_secs();
    let load = 0.3 + (sessions as f64 / 500.0);
    let idle = mp_idle(dev);
    format!(
        "top - {} up {} min,  0 users,  load average: {load:.2}, {:.2}, {:.2}\nTasks: 151 total,   1 running, 150 sleeping,   0 stopped,   0 zombie\n%Cpu(s):  {:.1} us,  1.2 sy,  0.0 ni, {idle:.1} id,  0.3 wa,  0.0 hi,  0.2 si,  0.0 st\nKiB Mem :  {mem_total} total,  {mem_free} free,  {mem_used} used,  {mem_buf} buff/cache\nKiB Swap:        0 total,        0 free,        0 used.  {mem_avail} avail Mem\n\n  PID USER      PR  NI    VIRT    RES    SHR S  %CPU  %MEM     TIME+ COMMAND\n 3012 root      20   0  946312 245032  21044 S   2.0   3.7  12:01.33 mgmtsrvr\n 2871 root      20   0 1120852 104532  10400 S   1.0   1.6   4:20.18 devsrvr\n",
        dev.clock.utc().format("%H:%M:%S"),
        up / 60,
        load * 0.9,
        load * 0.8,
        (100.0 - idle - 1.7).max(0.0),
        mem_total = 6_677_904u64,
        mem_free = 831_792 - (sessions as u64 * 100).min(400_000),
        mem_used = 4_201_148 + (sessions as u64 * 100).min(400_000),
        mem_buf = 1_644_964u64,
        mem_avail = 1_776_536u64,
    )
}

/// Sensors follow the load of the traffic model: more sessions and packets make the CPU
/// warmer and the fans faster, so a monitoring scrape sees values move.
fn environmentals(dev: &Device) -> String {
    let sessions = dev.traffic.sessions.len() as f64;
    let pps = dev.traffic.rates.first().copied().unwrap_or(0) as f64;
    let load = (sessions / 500.0 + pps / 20_000.0).min(1.0);
    let thermal = [
        ("Temperature near (Top) Management Plane", 30.0, 6.0, 75.0),
        ("Temperature @ CPU", 40.0, 25.0, 85.0),
        ("Temperature near (Bottom) Dataplane", 33.0, 12.0, 80.0),
    ];
    let mut t = String::from("<thermal><Slot1>");
    for (i, (desc, base, span, max)) in thermal.iter().enumerate() {
        let c = base + span * load;
        t.push_str(&format!(
            "<entry><slot>1</slot><description>{desc}</description><min>5.0</min><max>{max:.1}</max><alarm>{}</alarm><DegreesC>{c:.1}</DegreesC><index>{}</index></entry>",
            if c > *max { "True" } else { "False" },
            i + 1
        ));
    }
    t.push_str("</Slot1></thermal><fan><Slot1>");
    for i in 1..=2u32 {
        let rpm = 3800.0 + 3200.0 * load + f64::from(i) * 70.0;
        t.push_str(&format!(
            "<entry><slot>1</slot><description>Fan #{i} RPM</description><min>1000</min><alarm>False</alarm><RPMs>{rpm:.0}</RPMs><index>{i}</index></entry>"
        ));
    }
    t.push_str("</Slot1></fan><power><Slot1>");
    for (i, (desc, nominal)) in [
        ("Power: 1.0V", 1.0),
        ("Power: 3.3V", 3.3),
        ("Power: 12V", 12.0),
    ]
    .iter()
    .enumerate()
    {
        // a loaded rail sags a little
        let v = nominal * (1.0 - 0.015 * load);
        t.push_str(&format!(
            "<entry><slot>1</slot><description>{desc}</description><min>{:.2}</min><max>{:.2}</max><alarm>False</alarm><Volts>{v:.3}</Volts><index>{}</index></entry>",
            nominal * 0.9,
            nominal * 1.1,
            i + 1
        ));
    }
    t.push_str("</Slot1></power><power-supply><Slot1><entry><slot>1</slot><description>Power Supply #1 (left)</description><alarm>False</alarm><Inserted>True</Inserted><index>1</index></entry><entry><slot>1</slot><description>Power Supply #2 (right)</description><alarm>False</alarm><Inserted>True</Inserted><index>2</index></entry></Slot1></power-supply>");
    t
}

fn resource_monitor(dev: &Device) -> String {
    let util = (dev.traffic.sessions.len() * 100 / 500).min(100);
    let load = 2 + dev.traffic.rates.first().copied().unwrap_or(0) % 20;
    let cores: String = (0..2)
        .map(|c| {
            format!(
                "<entry><coreid>{c}</coreid><value>{},{},{}</value></entry>",
                load + c,
                load,
                load + 1
            )
        })
        .collect();
    let cores_max: String = (0..2)
        .map(|c| {
            format!(
                "<entry><coreid>{c}</coreid><value>{},{},{}</value></entry>",
                load + 5,
                load + 3,
                load + 4
            )
        })
        .collect();
    format!(
        "<resource-monitor><data-processors><dp0><second><cpu-load-average>{cores}</cpu-load-average><cpu-load-maximum>{cores_max}</cpu-load-maximum><task><entry><name>flow_lookup</name><value>{load}%</value></entry></task><resource-utilization><entry><name>session (average)</name><value>{util},{util},{util}</value></entry><entry><name>session (maximum)</name><value>{util},{util},{util}</value></entry><entry><name>packet buffer (average)</name><value>1,1,1</value></entry><entry><name>packet descriptor (average)</name><value>1,1,1</value></entry></resource-utilization></second></dp0></data-processors></resource-monitor>"
    )
}

fn show_jobs(dev: &mut Device, el: &Element, now: Instant) -> Result<String, ApiError> {
    let jobs_el = el.child("jobs").ok_or_else(|| unknown(el))?;
    if let Some(id) = jobs_el.child("id") {
        let raw = id.text_str().trim_matches('"');
        let n: u64 = raw.parse().unwrap_or(u64::MAX);
        return match dev.jobs.get(&n) {
            Some(j) => Ok(jobs::show_job(j, now, dev.clock.utc())),
            None => Err(ApiError::new(
                17,
                format!("job {} not found", if raw.is_empty() { "?" } else { raw }),
            )),
        };
    }
    if jobs_el.child("all").is_some()
        || jobs_el.child("processed").is_some()
        || jobs_el.child("pending").is_some()
    {
        let pending_only = jobs_el.child("pending").is_some();
        // `processed`: the jobs that have finished, as on the device (not `all`)
        let processed_only = jobs_el.child("processed").is_some();
        let mut s = String::new();
        for j in dev.jobs.values().rev() {
            let finished = j.phase(now) == jobs::Phase::Fin;
            if (pending_only && finished) || (processed_only && !finished) {
                continue;
            }
            j.render(now, dev.clock.utc()).write_to(&mut s);
        }
        return Ok(ok(&s));
    }
    Err(unknown(el))
}

fn session_entry(s: &Session) -> String {
    let start = chrono::DateTime::from_timestamp(s.start as i64, 0)
        .map(|d| d.format("%a %b %e %H:%M:%S %Y").to_string())
        .unwrap_or_default();
    format!(
        "<entry><idx>{id}</idx><vsys>{vsys}</vsys><vsys-idx>{vsys_idx}</vsys-idx><application>{app}</application><state>ACTIVE</state><type>FLOW</type><source>{src}</source><sport>{sport}</sport><dst>{dst}</dst><dport>{dport}</dport><xsource>{src}</xsource><xsport>{sport}</xsport><xdst>{dst}</xdst><xdport>{dport}</xdport><proto>{proto}</proto><from>{from}</from><to>{to}</to><ingress>{ingress}</ingress><egress>{egress}</egress><security-rule>{rule}</security-rule><nat>False</nat><srcnat>False</srcnat><dstnat>False</dstnat><proxy>False</proxy><decrypt-mirror>False</decrypt-mirror><start-time>{start}</start-time><total-byte-count>{bytes}</total-byte-count><flags> </flags></entry>",
        id = s.id,
        app = s.app,
        src = s.src,
        sport = s.sport,
        dst = s.dst,
        dport = s.dport,
        proto = s.proto,
        from = s.from,
        to = s.to,
        rule = xml::escape(&s.rule),
        bytes = s.bytes,
        vsys = xml::escape(&s.vsys),
        ingress = xml::escape(&s.ingress),
        egress = xml::escape(&s.egress),
        vsys_idx = s
            .vsys
            .trim_start_matches("vsys")
            .parse::<u32>()
            .unwrap_or(1),
    )
}

fn show_session(dev: &mut Device, el: &Element, req: &Request) -> Result<String, ApiError> {
    let sess = el.child("session").ok_or_else(|| unknown(el))?;
    if sess.child("info").is_some() {
        return Ok(ok(&counters::session_info(dev)));
    }
    if let Some(id) = sess.child("id") {
        let n: u64 = id.text_str().trim_matches('"').parse().unwrap_or(0);
        return match dev.traffic.sessions.get(&n) {
            Some(s) => Ok(ok(&session_entry(s))),
            None => Err(ApiError::new(17, "Session not found")),
        };
    }
    if let Some(all) = sess.child("all") {
        return guest::show_all(dev, all, req);
    }
    Err(unknown(el))
}

fn interfaces(dev: &Device) -> Vec<(String, String, String)> {
    // (name, zone, ip) from the running config
    let mut out = Vec::new();
    let Ok(x) = XPath::parse(
        "/config/devices/entry[@name='localhost.localdomain']/network/interface/ethernet/entry",
    ) else {
        return out;
    };
    for p in x.select(&dev.running) {
        let Some(e) = crate::xpath::get(&dev.running, &p) else {
            continue;
        };
        let name = e.name_attr().unwrap_or("").to_string();
        let ip = e
            .find("layer3/ip")
            .and_then(|i| i.children.first())
            .and_then(|i| i.name_attr())
            .unwrap_or("N/A")
            .to_string();
        let zone = dev
            .running
            .find("devices")
            .and_then(|d| d.entry_child("localhost.localdomain"))
            .and_then(|l| l.child("vsys"))
            .and_then(|v| v.entry_child("vsys1"))
            .and_then(|v| v.child("zone"))
            .and_then(|z| {
                // layer3, layer2, virtual-wire or tap zones list their interfaces as members
                z.children.iter().find(|ze| {
                    ze.child("network")
                        .is_some_and(|n| n.children.iter().any(|l| l.members().contains(&name)))
                })
            })
            .and_then(|ze| ze.name_attr())
            .unwrap_or("")
            .to_string();
        out.push((name, zone, ip));
    }
    out
}

/// One route of the simulator's table.
struct Route {
    vr: String,
    destination: String,
    nexthop: String,
    metric: String,
    flags: &'static str,
    interface: String,
    table: &'static str,
    /// `connect`, `static` (the `type` argument of `show routing route`).
    kind: &'static str,
}

/// Connected routes from interface addresses plus static routes of the virtual routers.
fn route_table(dev: &Device) -> Vec<Route> {
    let mut out = Vec::new();
    for (name, _, ip) in interfaces(dev) {
        let Some((addr, len)) = ip.split_once('/') else {
            continue;
        };
        let Ok(a) = addr.parse::<std::net::Ipv4Addr>() else {
            continue;
        };
        let len: u32 = len.parse().unwrap_or(32).min(32);
        let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
        let net = std::net::Ipv4Addr::from(u32::from(a) & mask);
        out.push(Route {
            vr: "default".into(),
            destination: format!("{net}/{len}"),
            nexthop: "0.0.0.0".into(),
            metric: "0".into(),
            flags: "A C",
            interface: name.clone(),
            table: "unicast",
            kind: "connect",
        });
        out.push(Route {
            vr: "default".into(),
            destination: format!("{addr}/32"),
            nexthop: "0.0.0.0".into(),
            metric: "0".into(),
            flags: "A H",
            interface: String::new(),
            table: "local",
            kind: "connect",
        });
    }
    if let Ok(x) = XPath::parse(
        "/config/devices/entry[@name='localhost.localdomain']/network/virtual-router/entry/routing-table/ip/static-route/entry",
    ) {
        for p in x.select(&dev.running) {
            let Some(r) = crate::xpath::get(&dev.running, &p) else {
                continue;
            };
            let vr = p
                .get(..p.len().saturating_sub(4))
                .and_then(|vp| crate::xpath::get(&dev.running, vp))
                .and_then(|v| v.name_attr())
                .unwrap_or("default");
            out.push(Route {
                vr: vr.to_string(),
                destination: r.find_text("destination").unwrap_or("").to_string(),
                nexthop: r
                    .find_text("nexthop/ip-address")
                    .unwrap_or("0.0.0.0")
                    .to_string(),
                metric: r.find_text("metric").unwrap_or("10").to_string(),
                flags: "A S",
                interface: r.find_text("interface").unwrap_or("").to_string(),
                table: "unicast",
                kind: "static",
            });
        }
    }
    out
}

/// `show routing route [type T] [virtual-router V] [destination D] [interface I]`: the
/// routes matching every argument given. Types the simulator runs no protocol for (`bgp`,
/// `ospf`, `rip`…) are valid and list nothing.
fn routes(dev: &Device, el: &Element) -> Result<String, ApiError> {
    let r = el.find("routing/route");
    let arg = |k: &str| {
        r.and_then(|r| r.find_text(k))
            .map(|v| v.trim().trim_matches('"'))
    };
    let kind = arg("type");
    if let Some(t) = kind
        && !["connect", "static", "bgp", "ospf", "ospfv3", "rip"].contains(&t)
    {
        return Err(ApiError::new(
            17,
            format!(
                " show -> routing -> route -> type '{t}' is not a valid route type (connect, static, bgp, ospf, ospfv3, rip)"
            ),
        ));
    }
    let vr = arg("virtual-router");
    let dest = arg("destination");
    let ifname = arg("interface");
    let mut s =
        String::from("<flags>flags: A:active, ?:loose, C:connect, H:host, S:static</flags>");
    for rt in route_table(dev) {
        if kind.is_some_and(|k| k != rt.kind)
            || vr.is_some_and(|v| v != rt.vr)
            || dest.is_some_and(|d| d != rt.destination)
            || ifname.is_some_and(|i| i != rt.interface)
        {
            continue;
        }
        s.push_str(&format!(
            "<entry><virtual-router>{}</virtual-router><destination>{}</destination><nexthop>{}</nexthop><metric>{}</metric><flags>{}</flags><age/><interface>{}</interface><route-table>{}</route-table></entry>",
            xml::escape(&rt.vr),
            xml::escape(&rt.destination),
            xml::escape(&rt.nexthop),
            xml::escape(&rt.metric),
            rt.flags,
            xml::escape(&rt.interface),
            rt.table,
        ));
    }
    Ok(s)
}

/// `show routing fib`: the forwarding table built from the active unicast routes, one `fibs`
/// entry per virtual router, in the shape pan-os-upgrade-assurance's `_parse_fib` reads
/// (`dst`, `interface`, `nh_type`, `flags`, `nexthop`, `mtu`). Next-hop types follow that
/// library's recorded replies: 0 for a gateway, 3 for a directly connected network.
fn fib(dev: &Device) -> String {
    let routes: Vec<Route> = route_table(dev)
        .into_iter()
        .filter(|r| r.table == "unicast")
        .collect();
    let mut vrs: Vec<&str> = routes.iter().map(|r| r.vr.as_str()).collect();
    vrs.sort();
    vrs.dedup();
    let mut s = format!("<dp>dp0</dp><total>{}</total><fibs>", routes.len());
    for (i, vr) in vrs.iter().enumerate() {
        let mut entries = String::new();
        let mut n = 0;
        for (j, r) in routes.iter().filter(|r| r.vr == *vr).enumerate() {
            n += 1;
            let gw = r.kind == "static" && r.nexthop != "0.0.0.0";
            entries.push_str(&format!(
                "<entry><id>{}</id><dst>{}</dst><interface>{}</interface><nh_type>{}</nh_type><flags>{}</flags><nexthop>{}</nexthop><mtu>1500</mtu></entry>",
                j + 1,
                xml::escape(&r.destination),
                xml::escape(&r.interface),
                if gw { 0 } else { 3 },
                if gw { "ug" } else { "u" },
                xml::escape(&r.nexthop),
            ));
        }
        // each virtual router has an IPv4 (type 0) and an IPv6 (type 1) table, as in the
        // device reply pan-os-upgrade-assurance records (its parser expects the list)
        s.push_str(&format!(
            "<entry><id>{}</id><vr>{v}</vr><max>32768</max><type>0</type><ecmp>0</ecmp><entries>{entries}</entries><nentries>{n}</nentries></entry><entry><id>{}</id><vr>{v}</vr><max>32768</max><type>1</type><ecmp>0</ecmp><entries/><nentries>0</nentries></entry>",
            2 * i + 2,
            2 * i + 3,
            v = xml::escape(vr),
        ));
    }
    s.push_str("</fibs>");
    s
}

/// Licences dated from when the device started (on the simulator clock): subscriptions
/// issued about a year before and running for another ~11 months, the capacity licence
/// without end, and one feature (GlobalProtect / logging) that ran out a month before.
/// `expired` is computed against the current clock, so advancing it expires them.
fn licenses(dev: &Device) -> String {
    let now = dev.clock.utc();
    let at = |d: i64| dev.licensed + chrono::Duration::days(d);
    let issued = at(-400).format("%B %d, %Y").to_string();
    let term = |d: i64| Some(at(d));
    let features: Vec<(&str, &str, Option<chrono::DateTime<chrono::Utc>>)> = if dev.panorama {
        vec![
            (
                "Device Management License",
                "Device management license to manage up to 1000 devices",
                None,
            ),
            (
                "Premium",
                "24 x 7 phone support; advanced replacement hardware service",
                term(SUBSCRIPTION_DAYS),
            ),
            ("Logging Service", "Device Logging Service", term(-30)),
        ]
    } else {
        vec![
            ("PA-VM", "Standard VM-100", None),
            (
                "Threat Prevention",
                "Threat Prevention",
                term(SUBSCRIPTION_DAYS),
            ),
            (
                "PAN-DB URL Filtering",
                "Palo Alto Networks URL Filtering License",
                term(SUBSCRIPTION_DAYS),
            ),
            (
                "WildFire License",
                "WildFire signature feed, integrated WildFire logs, WildFire API",
                term(SUBSCRIPTION_DAYS),
            ),
            (
                "Premium",
                "24 x 7 phone support; advanced replacement hardware service",
                term(SUBSCRIPTION_DAYS),
            ),
            (
                "GlobalProtect Gateway",
                "GlobalProtect Gateway License",
                term(-30),
            ),
        ]
    };
    let mut s = String::from("<licenses>");
    for (f, desc, expiry) in features {
        let expires = expiry
            .map(|e| e.format("%B %d, %Y").to_string())
            .unwrap_or_else(|| "Never".into());
        let expired = if expiry.is_some_and(|e| e <= now) {
            "yes"
        } else {
            "no"
        };
        s.push_str(&format!(
            "<entry><feature>{f}</feature><description>{desc}</description><serial>{serial}</serial><issued>{issued}</issued><expires>{expires}</expires><expired>{expired}</expired><authcode/></entry>",
            serial = dev.serial,
        ));
    }
    s.push_str("</licenses>");
    s
}

fn show_user(dev: &mut Device, el: &Element, req: &Request) -> Result<String, ApiError> {
    let u = el.child("user").ok_or_else(|| unknown(el))?;
    let now = dev.clock.now();
    if let Some(m) = u.child("ip-user-mapping").or(u.child("ip-user-mapping-mp")) {
        let ip = match m.find_text("ip") {
            Some(i) => Some(i.trim().parse::<std::net::IpAddr>().map_err(|_| {
                ApiError::new(
                    17,
                    format!("show user ip-user-mapping ip: '{i}' is not a valid IP address"),
                )
            })?),
            None if m.child("all").is_some() => None,
            None => return Err(unknown(el)),
        };
        // the vsys= parameter scopes the listing, as on a multi-vsys firewall
        let vsys = req.get("vsys").filter(|v| !v.is_empty());
        if let Some(v) = vsys {
            check_vsys(dev, v)?;
        }
        let mut body = String::new();
        let mut n = 0;
        for (addr, map) in &dev.userid.mappings {
            if ip.is_some_and(|i| addr.parse::<std::net::IpAddr>().ok() != Some(i)) {
                continue;
            }
            if vsys.is_some_and(|v| v != map.vsys) {
                continue;
            }
            n += 1;
            let left = map
                .expires
                .map(|e| e.saturating_duration_since(now).as_secs());
            body.push_str(&format!(
                "<entry><ip>{addr}</ip><vsys>{}</vsys><type>XMLAPI</type><user>{}</user><idle_timeout_s>{}</idle_timeout_s><max_timeout_s>{}</max_timeout_s></entry>",
                xml::escape(&map.vsys),
                xml::escape(&map.user),
                left.map(|l| l.to_string()).unwrap_or_else(|| "Never".into()),
                if map.timeout_secs == 0 { "Never".to_string() } else { map.timeout_secs.to_string() },
            ));
        }
        if m.child("all")
            .is_some_and(|a| a.child("option").is_some_and(|o| o.text_str() == "count"))
        {
            return Ok(ok(&format!("<count>{n}</count>")));
        }
        return Ok(ok(&body));
    }
    if let Some(g) = u.child("group") {
        if let Some(name) = g.find_text("name") {
            let name = name.trim_matches('"');
            return Ok(ok_text(&match dev.userid.group_members(name) {
                Some(m) if !m.is_empty() => {
                    let mut s = "\nsource type: xmlapi\nGroup type: Dynamic\n\n".to_string();
                    for (i, u) in m.iter().enumerate() {
                        s.push_str(&format!("[{:<6}] {}\n", i + 1, u));
                    }
                    s.push('\n');
                    s
                }
                _ => format!("\nUser group '{name}' does not exist or does not have members\n"),
            }));
        }
        if g.child("list").is_some() {
            let mut s = "\n".to_string();
            for name in dev.userid.groups.keys() {
                s.push_str(&format!("{name} \n"));
            }
            s.push_str(&format!(
                "\nTotal: {}\n* : Custom Group\n\n",
                dev.userid.groups.len()
            ));
            return Ok(ok_text(&s));
        }
    }
    if let Some(d) = u.child("dynamic-user-group") {
        return Ok(ok(&dug_membership(dev, d.find_text("name"))));
    }
    if u.child("user-attributes").is_some() {
        let mut users: Vec<String> = dev
            .userid
            .mappings
            .values()
            .map(|m| m.user.clone())
            .collect();
        users.extend(dev.userid.groups.values().flatten().cloned());
        users.extend(dev.userid.user_tags.keys().cloned());
        users.sort();
        users.dedup();
        let mut s = "\nPrimary: \nAlt User Names: \n".to_string();
        for u in &users {
            let ips: Vec<&String> = dev
                .userid
                .mappings
                .iter()
                .filter(|(_, m)| &m.user == u)
                .map(|(ip, _)| ip)
                .collect();
            s.push_str(&format!(
                "{u}\n    ip: {}\n",
                ips.iter()
                    .map(|i| i.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        s.push_str(&format!("\nTotal: {}\n", users.len()));
        return Ok(ok_text(&s));
    }
    Err(unknown(el))
}

fn tagged_entries<'a>(
    map: &'a std::collections::BTreeMap<String, userid::Tags>,
    key_filter: Option<&str>,
    tag_filter: Option<&str>,
) -> Vec<(&'a String, &'a userid::Tags)> {
    map.iter()
        .filter(|(k, _)| key_filter.is_none_or(|f| f == k.as_str()))
        .filter(|(_, t)| tag_filter.is_none_or(|f| t.contains_key(f)))
        .collect()
}

fn page<T>(v: Vec<T>, el: &Element) -> Vec<T> {
    let start: usize = el
        .find_text("start-point")
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let limit: usize = el
        .find_text("limit")
        .and_then(|s| s.parse().ok())
        .unwrap_or(usize::MAX);
    v.into_iter()
        .skip(start.saturating_sub(1))
        .take(limit)
        .collect()
}

fn show_object(dev: &mut Device, el: &Element) -> Result<String, ApiError> {
    let o = el.child("object").ok_or_else(|| unknown(el))?;
    let now = dev.clock.now();
    let tags_xml = |tags: &userid::Tags| -> String {
        let mut s = String::from("<tag>");
        for (t, exp) in tags {
            let to = exp
                .map(|e| e.saturating_duration_since(now).as_secs().to_string())
                .unwrap_or_else(|| "Never".into());
            s.push_str(&format!(
                "<member timeout=\"{to}\">{}</member>",
                xml::escape(t)
            ));
        }
        s.push_str("</tag>");
        s
    };
    if let Some(r) = o.child("registered-ip") {
        let ip = r.find_text("ip");
        let tag = r.find("tag/entry").and_then(|e| e.name_attr());
        let entries = page(tagged_entries(&dev.userid.ip_tags, ip, tag), r);
        let body: String = entries
            .iter()
            .map(|(ip, t)| {
                format!(
                    "<entry ip=\"{}\" from_agent=\"0\" persistent=\"1\">{}</entry>",
                    xml::escape(ip),
                    tags_xml(t)
                )
            })
            .collect();
        return Ok(ok(&body));
    }
    if let Some(r) = o.child("registered-user") {
        let user = r.find_text("user");
        let all = r.child("all").unwrap_or(r);
        let entries = page(tagged_entries(&dev.userid.user_tags, user, None), all);
        let body: String = entries
            .iter()
            .map(|(u, t)| format!("<entry user=\"{}\">{}</entry>", xml::escape(u), tags_xml(t)))
            .collect();
        return Ok(ok(&body));
    }
    if let Some(d) = o.child("dynamic-user-group") {
        return Ok(ok(&dug_membership(dev, d.find_text("name"))));
    }
    if let Some(d) = o.child("dynamic-address-group") {
        let name = d.find_text("name");
        return Ok(ok(&dag_membership(dev, name)));
    }
    Err(unknown(el))
}

/// Dynamic address groups in the running config with their current members.
fn dag_membership(dev: &Device, only: Option<&str>) -> String {
    let mut s = String::from("<dyn-addr-grp>");
    let Ok(x) = XPath::parse("/config/devices/entry/vsys/entry/address-group/entry") else {
        return s;
    };
    let mut paths = x.select(&dev.running);
    if let Ok(sx) = XPath::parse("/config/shared/address-group/entry") {
        paths.extend(sx.select(&dev.running));
    }
    for p in paths {
        let Some(g) = crate::xpath::get(&dev.running, &p) else {
            continue;
        };
        let Some(filter) = g.find_text("dynamic/filter") else {
            continue;
        };
        let name = g.name_attr().unwrap_or("");
        if only.is_some_and(|o| o != name) {
            continue;
        }
        let mut members = String::new();
        for (ip, tags) in &dev.userid.ip_tags {
            if userid::filter_matches(filter, &|t| tags.contains_key(t)) {
                members.push_str(&format!(
                    "<entry name=\"{}\" type=\"registered-ip\"/>",
                    xml::escape(ip)
                ));
            }
        }
        s.push_str(&format!(
            "<entry><vsys>vsys1</vsys><group-name>{}</group-name><filter>{}</filter><member-list>{members}</member-list></entry>",
            xml::escape(name),
            xml::escape(filter)
        ));
    }
    s.push_str("</dyn-addr-grp>");
    s
}

/// Dynamic user groups in the running config with the users whose tags match.
fn dug_membership(dev: &Device, only: Option<&str>) -> String {
    let mut s = String::from("<dyn-user-grp>");
    let mut paths = Vec::new();
    for x in [
        "/config/devices/entry/vsys/entry/dynamic-user-group/entry",
        "/config/shared/dynamic-user-group/entry",
    ] {
        if let Ok(xp) = XPath::parse(x) {
            paths.extend(xp.select(&dev.running));
        }
    }
    for p in paths {
        let Some(g) = crate::xpath::get(&dev.running, &p) else {
            continue;
        };
        let Some(filter) = g.find_text("filter") else {
            continue;
        };
        let name = g.name_attr().unwrap_or("");
        if only.is_some_and(|o| o != name) {
            continue;
        }
        let mut members = String::new();
        for (user, tags) in &dev.userid.user_tags {
            if userid::filter_matches(filter, &|t| tags.contains_key(t)) {
                members.push_str(&format!("<entry name=\"{}\"/>", xml::escape(user)));
            }
        }
        s.push_str(&format!(
            "<entry><vsys>vsys1</vsys><group-name>{}</group-name><filter>{}</filter><member-list>{members}</member-list></entry>",
            xml::escape(name),
            xml::escape(filter)
        ));
    }
    s.push_str("</dyn-user-grp>");
    s
}

fn show_config(dev: &Device, el: &Element) -> Result<String, ApiError> {
    let c = el.child("config").ok_or_else(|| unknown(el))?;
    let (tree, sub) = if let Some(r) = c.child("running") {
        (&dev.running, r)
    } else if let Some(r) = c.child("candidate") {
        (&dev.candidate, r)
    } else if let Some(r) = c.child("pushed-shared-policy") {
        // what Panorama's device-group push brought, not the whole running config
        return pushed::show(dev, r);
    } else if let Some(r) = c.child("merged") {
        // the simulator's running config already holds local config merged with what
        // Panorama pushed (template layer and device-group entries with `loc`)
        (&dev.running, r)
    } else if let Some(r) = c.child("pushed-template") {
        // what Panorama templates pushed, underneath any local override
        (&dev.template.config, r)
    } else {
        return Err(unknown(el));
    };
    match sub.find_text("xpath") {
        None => {
            let mut t = tree.clone();
            t.strip_annotations();
            Ok(ok(&t.to_xml()))
        }
        Some(xp) => {
            let full = if xp.starts_with('/') {
                xp.to_string()
            } else {
                format!("/config/{xp}")
            };
            let x = XPath::parse(&full).map_err(|e| ApiError::new(6, format!("Bad Xpath: {e}")))?;
            let sel = x.select(tree);
            if sel.is_empty() {
                return Err(ApiError::new(7, "No such node"));
            }
            let mut body = String::new();
            for p in sel {
                if let Some(e) = crate::xpath::get(tree, &p) {
                    let mut e = e.clone();
                    e.strip_annotations();
                    e.write_to(&mut body);
                }
            }
            Ok(ok(&body))
        }
    }
}

/// `show commit-locks|config-locks [vsys all|NAME]`: the locks, or those of one vsys (the
/// form pan-os-upgrade-assurance sends is `<vsys>all</vsys>`, firewall_proxy.py
/// `get_locks_by_type`).
fn locks(tag: &str, locks: &[Lock], el: &Element) -> String {
    let only = el
        .find(&format!("{tag}/vsys"))
        .map(|v| v.text_str().trim().to_string())
        .filter(|v| !v.is_empty() && v != "all");
    let mut s = format!("<{tag}>");
    for l in locks
        .iter()
        .filter(|l| only.as_ref().is_none_or(|v| *v == l.scope))
    {
        s.push_str(&format!(
            "<entry name=\"{o}\"><name>{o}</name><type>{}</type><loggedin>yes</loggedin><comment>{}</comment></entry>",
            if tag == "commit-locks" { "commit" } else { &l.scope },
            xml::escape(&l.comment),
            o = xml::escape(&l.owner),
        ));
    }
    s.push_str(&format!("</{tag}>"));
    s
}

fn lock_cmd(
    dev: &mut Device,
    el: &Element,
    user: &str,
    commit: bool,
    req: &Request,
) -> Result<String, ApiError> {
    let what = if commit { "commit-lock" } else { "config-lock" };
    let l = el.child(what).ok_or_else(|| unknown(el))?;
    let scope = req.get("vsys").unwrap_or("shared").to_string();
    let list = if commit {
        &mut dev.commit_locks
    } else {
        &mut dev.config_locks
    };
    if let Some(add) = l.child("add") {
        let comment = add
            .find_text("comment")
            .unwrap_or("")
            .trim_matches('"')
            .to_string();
        if let Some(h) = list.iter().find(|x| commit || x.scope == scope) {
            return Err(ApiError::new(
                13,
                if h.owner == user {
                    if commit {
                        "Commit lock is already held".to_string()
                    } else {
                        format!("You already own a config lock for scope {scope}")
                    }
                } else if commit {
                    format!("Commit lock is already held by {}", h.owner)
                } else {
                    format!(
                        "Config for scope {scope} is currently locked by {}",
                        h.owner
                    )
                },
            ));
        }
        list.push(Lock {
            owner: user.to_string(),
            comment,
            scope,
        });
        return Ok(ok(if commit {
            "Successfully acquired commit lock"
        } else {
            "Successfully acquired config lock"
        }));
    }
    if let Some(rm) = l.child("remove") {
        let admin = rm
            .find_text("admin")
            .map(str::to_string)
            .unwrap_or_else(|| user.to_string());
        let before = list.len();
        list.retain(|x| !(x.owner == admin && (commit || x.scope == scope)));
        if list.len() == before {
            return Err(ApiError::new(
                13,
                if commit {
                    "Commit lock is not currently held".to_string()
                } else {
                    format!("Config is not currently locked for scope {scope}")
                },
            ));
        }
        return Ok(ok(if commit {
            "Successfully released commit lock"
        } else {
            "Successfully released config lock"
        }));
    }
    Err(unknown(el))
}

fn dg_names(tree: &Element) -> Vec<String> {
    tree.find("devices")
        .and_then(|d| d.entry_child("localhost.localdomain"))
        .and_then(|l| l.child("device-group"))
        .map(|g| {
            g.children
                .iter()
                .filter_map(|e| e.name_attr().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn dg_hierarchy(dev: &Device) -> String {
    let names = dg_names(&dev.candidate);
    let parents = crate::validate::dg_parents(&dev.candidate);
    fn render(
        name: &str,
        names: &[String],
        parents: &std::collections::HashMap<String, String>,
        out: &mut String,
        depth: usize,
    ) {
        let id = names.iter().position(|n| n == name).unwrap_or(0) + 11;
        out.push_str(&format!(
            "<dg name=\"{}\" dg_id=\"{id}\">",
            xml::escape(name)
        ));
        if depth < 64 {
            for child in names
                .iter()
                .filter(|n| parents.get(*n).map(String::as_str) == Some(name))
            {
                render(child, names, parents, out, depth + 1);
            }
        }
        out.push_str("</dg>");
    }
    let mut s = String::from("<dg-hierarchy>");
    for n in names
        .iter()
        .filter(|n| parents.get(*n).is_none_or(|p| !names.contains(p)))
    {
        render(n, &names, &parents, &mut s, 0);
    }
    s.push_str("</dg-hierarchy>");
    s
}

/// `request move-dg entry name=X [new-parent-dg Y]`: re-parent a device group (a short job).
fn move_dg(
    dev: &mut Device,
    el: &Element,
    user: &str,
    duration: std::time::Duration,
) -> Result<String, ApiError> {
    let entry = el
        .find("move-dg/entry")
        .ok_or_else(|| ApiError::new(17, "move-dg: <entry name=...> is required"))?;
    let name = entry.name_attr().unwrap_or("").to_string();
    let parent = entry
        .find_text("new-parent-dg")
        .map(str::to_string)
        .filter(|p| !p.is_empty());
    let names = dg_names(&dev.candidate);
    if !names.contains(&name) {
        return Err(ApiError::new(
            13,
            format!("Device group {name} does not exist"),
        ));
    }
    if let Some(p) = &parent {
        if !names.contains(p) {
            return Err(ApiError::new(
                13,
                format!("Device group {p} does not exist"),
            ));
        }
        let parents = crate::validate::dg_parents(&dev.candidate);
        if *p == name || crate::validate::dg_ancestors(&parents, p).contains(&name) {
            return Err(ApiError::new(
                14,
                format!("Cannot move {name} under its own descendant {p}"),
            ));
        }
    }
    for tree in [&mut dev.candidate, &mut dev.running] {
        let groups = tree
            .child_or_insert("readonly")
            .child_or_insert("devices")
            .entry_or_insert("localhost.localdomain")
            .child_or_insert("device-group");
        let e = groups.entry_or_insert(&name);
        e.children.retain(|c| c.name != "parent-dg");
        if let Some(p) = &parent {
            e.children.push(Element::text_node("parent-dg", p.clone()));
        }
    }
    let id = dev.next_job;
    dev.next_job += 1;
    // jobs run one after another, as the device's job queue runs them
    let start = crate::api::SimState::next_start(dev);
    dev.jobs.insert(
        id,
        jobs::Job {
            id,
            kind: "Move-DG".into(),
            user: user.to_string(),
            tenq: dev.clock.utc(),
            start,
            duration,
            description: String::new(),
            ok: true,
            details: vec![match &parent {
                Some(p) => format!("Device group {name} moved under {p}"),
                None => format!("Device group {name} moved to the top level"),
            }],
            warnings: vec![],
            devices: vec![],
            dgname: None,
            effect: None,
            applied: false,
        },
    );
    Ok(jobs::enqueued(id, "Move-DG"))
}

#[cfg(test)]
mod read_path_tests {
    use super::*;
    use crate::config::SimConfig;

    /// Every command [`run_read`] answers under the shared lock gives what [`run`] gives
    /// under the exclusive one (issue 14 item 9): on a firewall and on Panorama, including
    /// arguments and a refused typo.
    #[test]
    fn the_shared_lock_path_answers_as_the_exclusive_one() {
        let mut st = SimState::new(&SimConfig::panorama(1));
        let serials = [st.managed[0].clone(), st.primary.clone()];
        let cmds = [
            "<show><system><info/></system></show>",
            "<show><system><resources/></system></show>",
            "<show><system><disk-space/></system></show>",
            "<show><system><environmentals><fans/></environmentals></system></show>",
            "<show><routing><route/></routing></show>",
            "<show><routing><route><type>static</type></route></routing></show>",
            "<show><routing><fib/></routing></show>",
            "<show><routing><summary/></routing></show>",
            "<show><routing><protocol><bgp><peer/></bgp></protocol></routing></show>",
            "<request><license><info/></license></request>",
            "<show><running><resource-monitor><minute><last>1</last></minute></resource-monitor></running></show>",
            "<show><user><user-id-agent><state>all</state></user-id-agent></user></show>",
            "<show><system><infoo/></system></show>",
        ];
        let mut answered = 0;
        for serial in &serials {
            for cmd in cmds {
                let el = xml::parse(cmd).expect("command");
                // the clock may turn a second between the two calls: compare a few times
                let mut same = false;
                for _ in 0..3 {
                    let Some(read) = run_read(&st, serial, &el) else {
                        same = true;
                        break;
                    };
                    let full = run(&mut st, serial, "admin", &el, &Request::default());
                    if read == full {
                        answered += 1;
                        same = true;
                        break;
                    }
                }
                assert!(same, "{serial}: {cmd} differs between the two paths");
            }
        }
        assert!(
            answered >= 20,
            "only {answered} commands took the shared path"
        );
    }
}
