//! A small deterministic traffic model: sessions come and go, counters grow.

use std::collections::BTreeMap;
use std::time::Instant;

use crate::clock::Clock;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// One session.
#[derive(Debug, Clone)]
pub struct Session {
    /// Session id.
    pub id: u64,
    /// Application.
    pub app: &'static str,
    /// IP protocol number.
    pub proto: u8,
    /// Source IP.
    pub src: String,
    /// Source port.
    pub sport: u16,
    /// Destination IP.
    pub dst: String,
    /// Destination port.
    pub dport: u16,
    /// From zone.
    pub from: &'static str,
    /// To zone.
    pub to: &'static str,
    /// Matched rule.
    pub rule: String,
    /// Start (unix seconds).
    pub start: u64,
    /// Bytes so far.
    pub bytes: u64,
    /// Packets so far.
    pub packets: u64,
    /// Planned lifetime in seconds.
    pub life: u64,
    /// Virtual system the session belongs to.
    pub vsys: String,
    /// Interface the client side arrives on.
    pub ingress: String,
    /// Interface towards the server.
    pub egress: String,
}

/// Per-interface data-plane counters (`show counter interface`, `show interface NAME`).
///
/// One source for both commands: every packet a session moves is counted here, on the
/// session's ingress interface for the client-to-server direction and on its egress interface
/// for the replies, so the counters grow with traffic and the two commands agree.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IfCounters {
    /// Bytes received.
    pub ibytes: u64,
    /// Bytes sent.
    pub obytes: u64,
    /// Packets received.
    pub ipackets: u64,
    /// Packets sent.
    pub opackets: u64,
    /// Receive errors.
    pub ierrors: u64,
    /// Packets dropped on receive (policy deny, non-SYN TCP without a session).
    pub idrops: u64,
}

/// Where the model's sessions enter and leave: the factory layout's trust (ethernet1/2) and
/// untrust (ethernet1/1) ports, the same names the traffic logs carry.
pub const INGRESS: &str = "ethernet1/2";
/// See [`INGRESS`].
pub const EGRESS: &str = "ethernet1/1";

/// Session-table samples kept for the rates of `show session info`.
const SAMPLES: usize = 16;

/// One sample of the cumulative totals, taken at every tick.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    /// When it was taken (simulator clock).
    pub at: Instant,
    /// Sessions created so far.
    pub created: u64,
    /// Packets moved so far.
    pub packets: u64,
    /// Bytes moved so far.
    pub bytes: u64,
}

const APPS: &[(&str, u8, u16)] = &[
    ("ssl", 6, 443),
    ("web-browsing", 6, 80),
    ("dns-base", 17, 53),
    ("ntp-base", 17, 123),
    ("ssh", 6, 22),
    ("ping", 1, 0),
    ("ms-office365", 6, 443),
    ("google-base", 6, 443),
];

const DESTS: &[&str] = &[
    "203.0.113.10",
    "203.0.113.25",
    "198.51.100.53",
    "192.0.2.80",
    "8.8.8.8",
];

/// Global counter definition: (name, category, aspect, severity, description).
pub const COUNTERS: &[(&str, &str, &str, &str, &str)] = &[
    ("pkt_recv", "packet", "pktproc", "info", "Packets received"),
    (
        "pkt_sent",
        "packet",
        "pktproc",
        "info",
        "Packets transmitted",
    ),
    (
        "session_allocated",
        "session",
        "resource",
        "info",
        "Sessions allocated",
    ),
    (
        "session_freed",
        "session",
        "resource",
        "info",
        "Sessions freed",
    ),
    (
        "session_installed",
        "session",
        "resource",
        "info",
        "Sessions installed",
    ),
    (
        "flow_ip_cksm_sw_validation",
        "flow",
        "pktproc",
        "info",
        "Packets for which IP checksum validation was done in software",
    ),
    (
        "flow_policy_deny",
        "flow",
        "session",
        "drop",
        "Session setup: denied by policy",
    ),
    (
        "flow_tcp_non_syn_drop",
        "flow",
        "pktproc",
        "drop",
        "Packets dropped: non-SYN TCP without session match",
    ),
    (
        "appid_ident_by_simple_sig",
        "appid",
        "pktproc",
        "info",
        "Application identified by simple signature",
    ),
    (
        "dfa_sw",
        "dfa",
        "pktproc",
        "info",
        "The total number of dfa match using software",
    ),
];

/// A threat the model can detect: (name, subtype, severity, action).
pub type Threat = (&'static str, &'static str, &'static str, &'static str);

/// Threats seen in generated traffic.
pub const THREATS: &[Threat] = &[
    ("Eicar Test File(39040)", "virus", "medium", "reset-both"),
    (
        "SSH2 Login Attempt(31914)",
        "vulnerability",
        "informational",
        "alert",
    ),
    (
        "generic:malware.example.test(109001001)",
        "spyware",
        "medium",
        "sinkhole",
    ),
];

/// Hit count of one security rule, with unix timestamps on the simulator clock.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleHits {
    /// Sessions that matched the rule.
    pub count: u64,
    /// When the first of them was opened.
    pub first: u64,
    /// When the latest of them was opened.
    pub last: u64,
}

/// Sessions, counters and generated logs of one firewall.
#[derive(Debug, Clone)]
pub struct Traffic {
    rng: StdRng,
    /// Active sessions by id.
    pub sessions: BTreeMap<u64, Session>,
    next_id: u64,
    last: Instant,
    /// Counter values, indexed like [`COUNTERS`].
    pub counters: Vec<u64>,
    /// Counter rates per second.
    pub rates: Vec<u64>,
    /// Sessions created since start.
    pub created: u64,
    /// Ended sessions waiting to be written as traffic logs.
    pub ended: Vec<(Session, &'static str)>,
    /// Threat events waiting to be logged: (session, threat name).
    pub threats: Vec<(Session, &'static Threat)>,
    enabled: bool,
    /// Security-rule hit counters by (vsys, rule): every session opened counts once.
    pub hits: BTreeMap<(String, String), RuleHits>,
    /// Names of allow rules in the running config (sessions match one of them).
    pub rules: Vec<String>,
    /// Per-interface counters by interface name.
    pub ifaces: BTreeMap<String, IfCounters>,
    /// Packets and bytes moved since start (all sessions, both directions).
    pub packets: u64,
    /// See [`Traffic::packets`].
    pub bytes: u64,
    /// Totals at the last ticks, oldest first (rates over the last interval).
    pub samples: std::collections::VecDeque<Sample>,
    /// Global counter values at each admin's previous `delta yes` query.
    pub delta_base: std::collections::HashMap<String, (Instant, Vec<u64>)>,
    clock: Clock,
}

impl Traffic {
    /// A model seeded deterministically; Panorama passes `panorama=true` (no data plane).
    /// `rules` are the allow rules sessions of the initial history match.
    pub fn new(seed: u64, panorama: bool, clock: &Clock, rules: Vec<String>) -> Self {
        let mut t = Traffic {
            rng: StdRng::seed_from_u64(seed),
            sessions: BTreeMap::new(),
            next_id: 1000,
            last: clock.now(),
            counters: vec![0; COUNTERS.len()],
            rates: vec![0; COUNTERS.len()],
            created: 0,
            ended: Vec::new(),
            threats: Vec::new(),
            enabled: !panorama,
            hits: BTreeMap::new(),
            rules,
            ifaces: BTreeMap::new(),
            packets: 0,
            bytes: 0,
            samples: std::collections::VecDeque::new(),
            delta_base: std::collections::HashMap::new(),
            clock: clock.clone(),
        };
        if t.enabled {
            // some history first, so traffic logs exist from the start
            for _ in 0..25 {
                t.spawn(&[]);
            }
            let done: Vec<u64> = t.sessions.keys().copied().collect();
            // a few detections in the history, so threat logs exist from the start
            for (i, id) in done.iter().take(THREATS.len()).enumerate() {
                if let Some(s) = t.sessions.get(id) {
                    t.threats.push((s.clone(), &THREATS[i]));
                }
            }
            for id in done {
                if let Some(s) = t.sessions.remove(&id) {
                    t.counters[3] += 1;
                    t.ended.push((s, "tcp-fin"));
                }
            }
            for _ in 0..40 {
                t.spawn(&[]);
            }
        }
        t.sample();
        t
    }

    /// Record the totals now (the rates of `show session info` are taken between samples).
    fn sample(&mut self) {
        self.samples.push_back(Sample {
            at: self.clock.now(),
            created: self.created,
            packets: self.packets,
            bytes: self.bytes,
        });
        while self.samples.len() > SAMPLES {
            self.samples.pop_front();
        }
    }

    /// Count `packets` / `bytes` a session moved: the client's share (a third of the bytes,
    /// as the traffic logs split `bytes_sent`) in on its ingress and out on its egress, the
    /// replies the other way.
    fn account(&mut self, ingress: &str, egress: &str, packets: u64, bytes: u64) {
        let (p_c2s, b_c2s) = (packets.div_ceil(2), bytes / 3);
        let (p_s2c, b_s2c) = (packets - p_c2s, bytes - b_c2s);
        let i = self.ifaces.entry(ingress.to_string()).or_default();
        i.ipackets += p_c2s;
        i.ibytes += b_c2s;
        i.opackets += p_s2c;
        i.obytes += b_s2c;
        let e = self.ifaces.entry(egress.to_string()).or_default();
        e.opackets += p_c2s;
        e.obytes += b_c2s;
        e.ipackets += p_s2c;
        e.ibytes += b_s2c;
        self.packets += packets;
        self.bytes += bytes;
    }

    /// Packets dropped on receive, counted on the ingress interface.
    fn drop_in(&mut self, n: u64) {
        self.ifaces.entry(INGRESS.to_string()).or_default().idrops += n;
    }

    /// Count a flow that matched `rule` in `vsys` (a session opened, or a flow denied).
    pub fn hit(&mut self, vsys: &str, rule: &str) {
        let now = self.clock.unix();
        let h = self
            .hits
            .entry((vsys.to_string(), rule.to_string()))
            .or_default();
        if h.count == 0 {
            h.first = now;
        }
        h.count += 1;
        h.last = now;
    }

    /// Whether a tick would advance the model (at most once a second).
    pub fn due(&self) -> bool {
        self.enabled && self.elapsed() >= 1.0
    }

    /// Seconds since the last tick, on the simulator clock.
    fn elapsed(&self) -> f64 {
        self.clock
            .now()
            .saturating_duration_since(self.last)
            .as_secs_f64()
    }

    fn spawn(&mut self, user_ips: &[String]) {
        let (app, proto, dport) = APPS[self.rng.gen_range(0..APPS.len())];
        let src = if !user_ips.is_empty() && self.rng.gen_bool(0.5) {
            user_ips[self.rng.gen_range(0..user_ips.len())].clone()
        } else {
            format!("192.0.2.{}", self.rng.gen_range(10..60))
        };
        let id = self.next_id;
        self.next_id += 1;
        self.created += 1;
        let s = Session {
            id,
            app,
            proto,
            src,
            sport: self.rng.gen_range(1024..65000),
            dst: DESTS[self.rng.gen_range(0..DESTS.len())].to_string(),
            dport,
            from: "trust",
            to: "untrust",
            rule: if self.rules.is_empty() {
                "intrazone-default".into()
            } else {
                self.rules[self.rng.gen_range(0..self.rules.len())].clone()
            },
            start: self.clock.unix(),
            bytes: self.rng.gen_range(60..5000),
            packets: self.rng.gen_range(1..10),
            life: self.rng.gen_range(5..300),
            vsys: "vsys1".into(),
            ingress: INGRESS.into(),
            egress: EGRESS.into(),
        };
        self.counters[2] += 1;
        self.counters[4] += 1;
        self.account(INGRESS, EGRESS, s.packets, s.bytes);
        self.hit(&s.vsys, &s.rule);
        self.sessions.insert(id, s);
    }

    /// Advance the model to now. `user_ips` are IPs with a User-ID mapping (they get traffic too).
    pub fn tick(&mut self, user_ips: &[String]) {
        if !self.enabled {
            return;
        }
        let el = self.elapsed();
        if el < 1.0 {
            return;
        }
        self.last = self.clock.now();
        let steps = el.min(120.0) as u64;
        let now = self.clock.unix();
        let mut pkts = 0u64;
        let mut moved: Vec<(String, String, u64, u64)> = Vec::new();
        for _ in 0..steps {
            for s in self.sessions.values_mut() {
                let p = self.rng.gen_range(1..40);
                let b = p * self.rng.gen_range(60..1400);
                s.packets += p;
                s.bytes += b;
                pkts += p;
                moved.push((s.ingress.clone(), s.egress.clone(), p, b));
            }
            for (i, e, p, b) in moved.drain(..) {
                self.account(&i, &e, p, b);
            }
            let n_new = self.rng.gen_range(0..4);
            for _ in 0..n_new {
                if self.sessions.len() < 500 {
                    self.spawn(user_ips);
                }
            }
            if self.rng.gen_bool(0.05)
                && let Some(s) = self.sessions.values().next().cloned()
            {
                let th = &THREATS[self.rng.gen_range(0..THREATS.len())];
                self.threats.push((s, th));
            }
        }
        let expired: Vec<u64> = self
            .sessions
            .values()
            .filter(|s| s.start + s.life <= now)
            .map(|s| s.id)
            .collect();
        for id in expired {
            if let Some(s) = self.sessions.remove(&id) {
                self.counters[3] += 1;
                self.ended.push((s, "aged-out"));
            }
        }
        self.counters[0] += pkts;
        self.counters[1] += pkts * 98 / 100;
        self.counters[5] += pkts / 3;
        let denied = steps * self.rng.gen_range(0..3);
        let non_syn = steps * self.rng.gen_range(0..2);
        self.counters[6] += denied;
        self.counters[7] += non_syn;
        self.drop_in(denied + non_syn);
        self.counters[8] += pkts / 10;
        self.counters[9] += pkts / 5;
        let secs = steps.max(1);
        self.rates = vec![
            pkts / secs,
            pkts * 98 / 100 / secs,
            2,
            2,
            2,
            pkts / 3 / secs,
            1,
            0,
            pkts / 10 / secs,
            pkts / 5 / secs,
        ];
        if self.ended.len() > 5000 {
            self.ended.drain(..1000);
        }
        self.sample();
    }

    /// Open a long-lived session (a visitor browsing) and return its id. `proto` is the IP
    /// protocol number; the application follows from protocol and port.
    pub fn open(&mut self, src: &str, dst: &str, proto: u8, dport: u16, vsys: &str) -> u64 {
        let rule = self
            .rules
            .first()
            .cloned()
            .unwrap_or_else(|| "intrazone-default".into());
        self.open_under(&rule, src, dst, proto, dport, vsys)
    }

    /// [`Traffic::open`] under a given security rule (the one the policy matched).
    pub fn open_under(
        &mut self,
        rule: &str,
        src: &str,
        dst: &str,
        proto: u8,
        dport: u16,
        vsys: &str,
    ) -> u64 {
        let app = APPS
            .iter()
            .find(|(_, p, port)| *p == proto && (*port == dport || proto == 1))
            .map(|(a, _, _)| *a)
            .unwrap_or(match proto {
                6 => "incomplete",
                17 => "unknown-udp",
                _ => "unknown-p2p",
            });
        let id = self.next_id;
        self.next_id += 1;
        self.created += 1;
        self.counters[2] += 1;
        self.counters[4] += 1;
        let rule = rule.to_string();
        self.hit(vsys, &rule);
        let sport = if proto == 6 || proto == 17 {
            self.rng.gen_range(1024..65000)
        } else {
            0
        };
        self.sessions.insert(
            id,
            Session {
                id,
                app,
                proto,
                src: src.to_string(),
                sport,
                dst: dst.to_string(),
                dport,
                from: "trust",
                to: "untrust",
                rule,
                start: self.clock.unix(),
                bytes: 0,
                packets: 0,
                // a day: the visitor keeps browsing until the session is cleared
                life: 86_400,
                vsys: vsys.to_string(),
                ingress: INGRESS.into(),
                egress: EGRESS.into(),
            },
        );
        id
    }

    /// Clear one session; true if it existed.
    pub fn clear(&mut self, id: u64) -> bool {
        match self.sessions.remove(&id) {
            Some(s) => {
                self.counters[3] += 1;
                self.ended.push((s, "resources-unavailable"));
                true
            }
            None => false,
        }
    }
}
