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
        t
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
        };
        self.counters[2] += 1;
        self.counters[4] += 1;
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
        for _ in 0..steps {
            for s in self.sessions.values_mut() {
                let p = self.rng.gen_range(1..40);
                s.packets += p;
                s.bytes += p * self.rng.gen_range(60..1400);
                pkts += p;
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
        self.counters[6] += steps * self.rng.gen_range(0..3);
        self.counters[7] += steps * self.rng.gen_range(0..2);
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
