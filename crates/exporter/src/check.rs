//! Nagios / Icinga plugin logic behind `panops check`: threshold ranges, modes over the
//! same collectors as the exporter, and the standard plugin output
//! (`STATUS - text | perfdata`, exit 0/1/2/3).
//!
//! ```
//! use panops_exporter::check::{Range, Status};
//! let warn = Range::parse("80").unwrap();        // alert outside 0..80
//! assert!(warn.alerts(81.0) && !warn.alerts(80.0));
//! let days = Range::parse("30:").unwrap();       // alert below 30
//! assert!(days.alerts(29.0) && !days.alerts(400.0));
//! assert_eq!(Status::Critical.exit_code(), 2);
//! ```

use std::fmt;

use crate::{collectors, metrics::Families};

/// Plugin status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    /// 0.
    Ok,
    /// 1.
    Warning,
    /// 2.
    Critical,
    /// 3.
    Unknown,
}

impl Status {
    /// The plugin exit code.
    pub fn exit_code(self) -> u8 {
        match self {
            Status::Ok => 0,
            Status::Warning => 1,
            Status::Critical => 2,
            Status::Unknown => 3,
        }
    }

    /// The word in the output.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "OK",
            Status::Warning => "WARNING",
            Status::Critical => "CRITICAL",
            Status::Unknown => "UNKNOWN",
        }
    }
}

/// A Nagios threshold range: `10`, `10:`, `~:10`, `10:20`, `@10:20`.
#[derive(Debug, Clone, PartialEq)]
pub struct Range {
    start: f64,
    end: f64,
    inside: bool,
    text: String,
}

impl fmt::Display for Range {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Range {
    /// Parse the standard syntax (see the Nagios plugin development guidelines).
    pub fn parse(s: &str) -> Result<Range, String> {
        let text = s.trim().to_owned();
        let (inside, body) = match text.strip_prefix('@') {
            Some(b) => (true, b),
            None => (false, text.as_str()),
        };
        let num = |t: &str, what: &str| -> Result<f64, String> {
            t.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| format!("threshold {s:?}: {what} {t:?} is not a number"))
        };
        let (start, end) = match body.split_once(':') {
            None => (0.0, num(body, "end")?),
            Some((a, b)) => {
                let start = if a == "~" {
                    f64::NEG_INFINITY
                } else if a.is_empty() {
                    0.0
                } else {
                    num(a, "start")?
                };
                let end = if b.is_empty() {
                    f64::INFINITY
                } else {
                    num(b, "end")?
                };
                (start, end)
            }
        };
        if body.is_empty() {
            return Err(format!("threshold {s:?} is empty"));
        }
        if start > end {
            return Err(format!("threshold {s:?}: start is greater than end"));
        }
        Ok(Range {
            start,
            end,
            inside,
            text,
        })
    }

    /// Whether `v` raises an alert.
    pub fn alerts(&self, v: f64) -> bool {
        let within = v >= self.start && v <= self.end;
        if self.inside { within } else { !within }
    }
}

/// Which way is bad for a mode's value: most values alert when high, days left and
/// similar when low (so `-w 30` there means "below 30", as in check_paloalto).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Higher is worse.
    High,
    /// Lower is worse.
    Low,
}

/// A check mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mode {
    /// Name on the command line.
    pub name: &'static str,
    /// What it checks.
    pub about: &'static str,
    /// The collector it needs.
    pub collector: &'static str,
    /// Default warning and critical thresholds.
    pub defaults: (&'static str, &'static str),
    /// Which way is bad.
    pub direction: Direction,
}

/// All modes.
pub const MODES: &[Mode] = &[
    Mode {
        name: "load",
        about: "dataplane CPU, busiest core (%)",
        collector: "dataplane",
        defaults: ("80", "90"),
        direction: Direction::High,
    },
    Mode {
        name: "system",
        about: "management plane CPU (%) with load averages",
        collector: "resources",
        defaults: ("80", "90"),
        direction: Direction::High,
    },
    Mode {
        name: "sessions",
        about: "session table utilisation (%)",
        collector: "sessions",
        defaults: ("80", "90"),
        direction: Direction::High,
    },
    Mode {
        name: "throughput",
        about: "dataplane throughput (Mbit/s)",
        collector: "sessions",
        defaults: ("~:", "~:"),
        direction: Direction::High,
    },
    Mode {
        name: "disk",
        about: "fullest filesystem (%)",
        collector: "disk",
        defaults: ("80", "90"),
        direction: Direction::High,
    },
    Mode {
        name: "thermal",
        about: "hottest sensor (°C); any environmental alarm is critical",
        collector: "environment",
        defaults: ("70", "80"),
        direction: Direction::High,
    },
    Mode {
        name: "environmental",
        about: "environmental alarms (fans, power supplies, sensors)",
        collector: "environment",
        defaults: ("0", "0"),
        direction: Direction::High,
    },
    Mode {
        name: "ha",
        about: "HA peer connected and configuration in sync",
        collector: "ha",
        defaults: ("0", "0"),
        direction: Direction::High,
    },
    Mode {
        name: "certificates",
        about: "days until the first certificate expires",
        collector: "certificates",
        defaults: ("30", "7"),
        direction: Direction::Low,
    },
    Mode {
        name: "licenses",
        about: "days until the first licence expires",
        collector: "licenses",
        defaults: ("30", "7"),
        direction: Direction::Low,
    },
    Mode {
        name: "interfaces",
        about: "interfaces down",
        collector: "interfaces",
        defaults: ("0", "0"),
        direction: Direction::High,
    },
    Mode {
        name: "bgp",
        about: "BGP peers not established",
        collector: "bgp",
        defaults: ("0", "0"),
        direction: Direction::High,
    },
    Mode {
        name: "antivirus",
        about: "antivirus release age (hours)",
        collector: "system",
        defaults: ("48", "72"),
        direction: Direction::High,
    },
    Mode {
        name: "threat",
        about: "threat release age (hours)",
        collector: "system",
        defaults: ("168", "336"),
        direction: Direction::High,
    },
    Mode {
        name: "app",
        about: "applications release age (hours)",
        collector: "system",
        defaults: ("168", "336"),
        direction: Direction::High,
    },
    Mode {
        name: "userid",
        about: "User-ID agents not connected",
        collector: "userid",
        defaults: ("0", "0"),
        direction: Direction::High,
    },
];

/// The mode called `name`.
pub fn mode(name: &str) -> Option<&'static Mode> {
    MODES.iter().find(|m| m.name == name)
}

impl Mode {
    /// The collector this mode runs.
    pub fn collector(&self) -> &'static collectors::Collector {
        // every mode names an existing collector (tested)
        collectors::by_name(self.collector).unwrap_or(&collectors::ALL[0])
    }

    /// Parse a threshold; for lower-is-worse modes a bare `N` means `N:` (alert below N).
    pub fn threshold(&self, s: &str) -> Result<Range, String> {
        let t = s.trim();
        if self.direction == Direction::Low && !t.contains(':') && !t.starts_with('@') {
            return Range::parse(&format!("{t}:"));
        }
        Range::parse(t)
    }
}

/// One perfdata item.
#[derive(Debug, Clone, PartialEq)]
pub struct Perf {
    /// Label.
    pub label: String,
    /// Value.
    pub value: f64,
    /// Unit of measure (`%`, `s`, `B`, `c` or empty).
    pub uom: &'static str,
    /// Whether thresholds are printed with it.
    pub thresholds: bool,
}

/// The outcome of a check.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// Status.
    pub status: Status,
    /// First-line text.
    pub text: String,
    /// Perfdata.
    pub perf: Vec<Perf>,
    /// Thresholds used (for perfdata).
    pub warn: Option<Range>,
    /// Critical threshold.
    pub crit: Option<Range>,
}

impl Outcome {
    /// An UNKNOWN outcome (collection failed, bad input).
    pub fn unknown(text: impl Into<String>) -> Self {
        Outcome {
            status: Status::Unknown,
            text: text.into(),
            perf: Vec::new(),
            warn: None,
            crit: None,
        }
    }

    /// The plugin output line.
    pub fn render(&self, mode: &str) -> String {
        let mut s = format!(
            "{} - {}: {}",
            self.status.as_str(),
            mode,
            self.text.replace(['\n', '|'], " ")
        );
        if !self.perf.is_empty() {
            s.push_str(" |");
            for p in &self.perf {
                let label = p.label.replace('\'', "_");
                let (w, c) = if p.thresholds {
                    (
                        self.warn
                            .as_ref()
                            .map(|r| r.to_string())
                            .unwrap_or_default(),
                        self.crit
                            .as_ref()
                            .map(|r| r.to_string())
                            .unwrap_or_default(),
                    )
                } else {
                    (String::new(), String::new())
                };
                let v = if p.value.fract() == 0.0 && p.value.abs() < 1e15 {
                    format!("{}", p.value as i64)
                } else {
                    format!("{:.3}", p.value)
                };
                s.push_str(&format!(" '{label}'={v}{};{w};{c}", p.uom));
            }
        }
        s
    }
}

fn perf(label: impl Into<String>, value: f64, uom: &'static str, thresholds: bool) -> Perf {
    Perf {
        label: label.into(),
        value,
        uom,
        thresholds,
    }
}

fn series<'a>(f: &'a Families, name: &str) -> Vec<(&'a crate::metrics::Labels, f64)> {
    f.get(name)
        .map(|m| m.series.iter().map(|(l, v)| (l, *v)).collect())
        .unwrap_or_default()
}

fn label<'a>(l: &'a crate::metrics::Labels, k: &str) -> &'a str {
    l.iter()
        .find(|(a, _)| a == k)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

/// Evaluate a mode over freshly collected families. `now` is Unix seconds.
pub fn evaluate(mode: &Mode, f: &Families, warn: &Range, crit: &Range, now: i64) -> Outcome {
    let mut perfs = Vec::new();
    let mut extra_status = Status::Ok;
    let (value, text): (Option<f64>, String) = match mode.name {
        "load" => {
            let cores = series(f, "panos_dp_cpu_ratio");
            for (l, v) in &cores {
                perfs.push(perf(
                    format!("{}_core{}", label(l, "dp"), label(l, "core")),
                    v * 100.0,
                    "%",
                    true,
                ));
            }
            let max = cores
                .iter()
                .map(|(_, v)| v * 100.0)
                .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))));
            (
                max,
                format!(
                    "busiest dataplane core at {:.0}% of {} cores",
                    max.unwrap_or(0.0),
                    cores.len()
                ),
            )
        }
        "system" => {
            let idle = f.value("panos_mgmt_cpu_ratio", &[("mode", "idle")]);
            for (l, v) in series(f, "panos_mgmt_load_average") {
                perfs.push(perf(format!("load{}", label(l, "window")), v, "", false));
            }
            let used = idle.map(|i| (1.0 - i) * 100.0);
            if let Some(u) = used {
                perfs.insert(0, perf("mgmt_cpu", u, "%", true));
            }
            (
                used,
                format!("management CPU {:.1}% used", used.unwrap_or(0.0)),
            )
        }
        "sessions" => {
            let active = f.value("panos_sessions_active", &[]);
            let max = f.value("panos_sessions_max", &[]);
            let pct = f
                .value("panos_session_table_utilization_ratio", &[])
                .map(|r| r * 100.0);
            if let Some(p) = pct {
                perfs.push(perf("utilization", p, "%", true));
            }
            if let Some(a) = active {
                perfs.push(perf("active", a, "", false));
            }
            (
                pct,
                format!(
                    "{} of {} sessions ({:.1}%)",
                    active.unwrap_or(0.0),
                    max.unwrap_or(0.0),
                    pct.unwrap_or(0.0)
                ),
            )
        }
        "throughput" => {
            let mbps = f
                .value("panos_throughput_bits_per_second", &[])
                .map(|b| b / 1e6);
            if let Some(m) = mbps {
                perfs.push(perf("throughput_mbps", m, "", true));
            }
            if let Some(p) = f.value("panos_throughput_packets_per_second", &[]) {
                perfs.push(perf("pps", p, "", false));
            }
            (mbps, format!("{:.2} Mbit/s", mbps.unwrap_or(0.0)))
        }
        "disk" => {
            let d = series(f, "panos_disk_used_ratio");
            let mut worst: Option<(String, f64)> = None;
            for (l, v) in &d {
                let p = v * 100.0;
                perfs.push(perf(label(l, "mount"), p, "%", true));
                if worst.as_ref().is_none_or(|(_, w)| p > *w) {
                    worst = Some((label(l, "mount").to_owned(), p));
                }
            }
            let text = worst
                .as_ref()
                .map(|(m, p)| format!("{m} is {p:.0}% full ({} filesystems)", d.len()))
                .unwrap_or_else(|| "no filesystems reported".into());
            (worst.map(|w| w.1), text)
        }
        "thermal" | "environmental" => {
            let alarms: Vec<String> = series(f, "panos_environment_alarm")
                .into_iter()
                .filter(|(_, v)| *v > 0.0)
                .map(|(l, _)| format!("{} {}", label(l, "component"), label(l, "sensor")))
                .collect();
            let temps = series(f, "panos_temperature_celsius");
            for (l, v) in &temps {
                perfs.push(perf(label(l, "sensor"), *v, "", mode.name == "thermal"));
            }
            if mode.name == "thermal" {
                if !alarms.is_empty() {
                    extra_status = Status::Critical;
                }
                let max = temps
                    .iter()
                    .map(|(_, v)| *v)
                    .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))));
                (
                    max,
                    format!(
                        "hottest sensor {:.1} °C{}",
                        max.unwrap_or(0.0),
                        if alarms.is_empty() {
                            String::new()
                        } else {
                            format!("; alarms: {}", alarms.join(", "))
                        }
                    ),
                )
            } else {
                perfs.retain(|_| false);
                perfs.push(perf("alarms", alarms.len() as f64, "", true));
                (
                    Some(alarms.len() as f64),
                    if alarms.is_empty() {
                        "no environmental alarms".into()
                    } else {
                        format!("alarms: {}", alarms.join(", "))
                    },
                )
            }
        }
        "ha" => {
            let enabled = f.value("panos_ha_enabled", &[]).unwrap_or(0.0) > 0.0;
            if !enabled {
                return Outcome {
                    status: Status::Warning,
                    text: "HA is not enabled".into(),
                    perf: vec![],
                    warn: None,
                    crit: None,
                };
            }
            let state = |n: &str| {
                series(f, n)
                    .into_iter()
                    .find(|(_, v)| *v > 0.0)
                    .map(|(l, _)| label(l, "state").to_owned())
                    .unwrap_or_else(|| "unknown".into())
            };
            let peer_up = f.value("panos_ha_peer_connected", &[]).unwrap_or(0.0) > 0.0;
            let synced = f.value("panos_ha_config_synced", &[]).unwrap_or(0.0) > 0.0;
            let problems = u8::from(!peer_up) + u8::from(!synced);
            if !peer_up {
                extra_status = Status::Critical;
            } else if !synced {
                extra_status = Status::Warning;
            }
            perfs.push(perf("problems", f64::from(problems), "", true));
            (
                Some(f64::from(problems)),
                format!(
                    "local {}, peer {} ({}), config {}",
                    state("panos_ha_local_state"),
                    state("panos_ha_peer_state"),
                    if peer_up {
                        "connected"
                    } else {
                        "not connected"
                    },
                    if synced {
                        "synchronized"
                    } else {
                        "not synchronized"
                    }
                ),
            )
        }
        "certificates" | "licenses" => {
            let (name, key) = if mode.name == "certificates" {
                ("panos_certificate_not_after_timestamp_seconds", "name")
            } else {
                ("panos_license_expiry_timestamp_seconds", "feature")
            };
            let mut items: Vec<(String, f64)> = series(f, name)
                .into_iter()
                .map(|(l, t)| (label(l, key).to_owned(), (t - now as f64) / 86_400.0))
                .collect();
            items.sort_by(|a, b| a.1.total_cmp(&b.1));
            for (n, d) in &items {
                perfs.push(perf(n.clone(), d.trunc(), "", true));
            }
            match items.first() {
                Some((n, d)) => {
                    let word = if *d < 0.0 {
                        format!("{n} expired {} days ago", (-d).trunc())
                    } else {
                        format!("{n} expires in {} days", d.trunc())
                    };
                    (
                        Some(d.trunc()),
                        format!("{word} ({} {})", items.len(), mode.name),
                    )
                }
                None => (None, format!("no {} with an expiry date", mode.name)),
            }
        }
        "interfaces" => {
            let all = series(f, "panos_interface_up");
            let down: Vec<&str> = all
                .iter()
                .filter(|(_, v)| *v == 0.0)
                .map(|(l, _)| label(l, "interface"))
                .collect();
            perfs.push(perf("down", down.len() as f64, "", true));
            perfs.push(perf("total", all.len() as f64, "", false));
            (
                Some(down.len() as f64),
                if down.is_empty() {
                    format!("all {} interfaces up", all.len())
                } else {
                    format!(
                        "{} of {} interfaces down: {}",
                        down.len(),
                        all.len(),
                        down.join(", ")
                    )
                },
            )
        }
        "bgp" => {
            let all = series(f, "panos_bgp_peer_up");
            let down: Vec<&str> = all
                .iter()
                .filter(|(_, v)| *v == 0.0)
                .map(|(l, _)| label(l, "peer"))
                .collect();
            perfs.push(perf("not_established", down.len() as f64, "", true));
            perfs.push(perf("peers", all.len() as f64, "", false));
            (
                Some(down.len() as f64),
                if down.is_empty() {
                    format!("all {} BGP peers established", all.len())
                } else {
                    format!(
                        "{} of {} BGP peers not established: {}",
                        down.len(),
                        all.len(),
                        down.join(", ")
                    )
                },
            )
        }
        "antivirus" | "threat" | "app" => {
            let t = f.value(
                "panos_content_release_timestamp_seconds",
                &[("package", mode.name)],
            );
            let hours = t.map(|t| ((now as f64 - t) / 3600.0).max(0.0).floor());
            if let Some(h) = hours {
                perfs.push(perf("age_hours", h, "", true));
            }
            let version = series(f, "panos_content_version_info")
                .into_iter()
                .find(|(l, _)| label(l, "package") == mode.name)
                .map(|(l, _)| label(l, "version").to_owned())
                .unwrap_or_default();
            (
                hours,
                format!(
                    "{} version {version} released {:.0} hours ago",
                    mode.name,
                    hours.unwrap_or(0.0)
                ),
            )
        }
        "userid" => {
            let all = series(f, "panos_userid_agent_connected");
            let down: Vec<&str> = all
                .iter()
                .filter(|(_, v)| *v == 0.0)
                .map(|(l, _)| label(l, "agent"))
                .collect();
            perfs.push(perf("not_connected", down.len() as f64, "", true));
            perfs.push(perf("agents", all.len() as f64, "", false));
            (
                Some(down.len() as f64),
                if down.is_empty() {
                    format!("all {} User-ID agents connected", all.len())
                } else {
                    format!(
                        "{} of {} User-ID agents not connected: {}",
                        down.len(),
                        all.len(),
                        down.join(", ")
                    )
                },
            )
        }
        _ => (None, format!("unknown mode {}", mode.name)),
    };
    let Some(v) = value else {
        return Outcome::unknown(format!(
            "{text}: the device reported no value for this check"
        ));
    };
    let mut status = if crit.alerts(v) {
        Status::Critical
    } else if warn.alerts(v) {
        Status::Warning
    } else {
        Status::Ok
    };
    status = status.max(extra_status);
    Outcome {
        status,
        text,
        perf: perfs,
        warn: Some(warn.clone()),
        crit: Some(crit.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::labels;

    #[test]
    fn ranges() {
        let r = Range::parse("10:20").unwrap();
        assert!(r.alerts(9.0) && r.alerts(21.0) && !r.alerts(15.0));
        let r = Range::parse("@10:20").unwrap();
        assert!(!r.alerts(9.0) && r.alerts(15.0));
        let r = Range::parse("~:5").unwrap();
        assert!(!r.alerts(-100.0) && r.alerts(6.0));
        assert!(Range::parse("5").unwrap().alerts(-1.0));
        assert!(Range::parse("20:10").is_err());
        assert!(Range::parse("abc").is_err());
        assert!(Range::parse("").is_err());
    }

    #[test]
    fn every_mode_has_a_collector_and_valid_defaults() {
        for m in MODES {
            assert!(collectors::by_name(m.collector).is_some(), "{}", m.name);
            m.threshold(m.defaults.0).unwrap();
            m.threshold(m.defaults.1).unwrap();
        }
    }

    #[test]
    fn certificate_days_alert_when_low() {
        let m = mode("certificates").unwrap();
        let now = 1_000_000_000;
        let mut f = Families::new();
        f.gauge(
            "panos_certificate_not_after_timestamp_seconds",
            "h",
            labels([("name", "web")]),
            (now + 20 * 86_400) as f64,
        );
        f.gauge(
            "panos_certificate_not_after_timestamp_seconds",
            "h",
            labels([("name", "root")]),
            (now + 900 * 86_400) as f64,
        );
        let o = evaluate(
            m,
            &f,
            &m.threshold("30").unwrap(),
            &m.threshold("7").unwrap(),
            now,
        );
        assert_eq!(o.status, Status::Warning, "{o:?}");
        let line = o.render("certificates");
        assert!(
            line.starts_with("WARNING - certificates: web expires in 20 days"),
            "{line}"
        );
        assert!(line.contains("'web'=20;30:;7:"), "{line}");
        let o = evaluate(
            m,
            &f,
            &m.threshold("30").unwrap(),
            &m.threshold("25").unwrap(),
            now,
        );
        assert_eq!(o.status, Status::Critical);
    }

    #[test]
    fn sessions_and_missing_data() {
        let m = mode("sessions").unwrap();
        let mut f = Families::new();
        f.gauge("panos_sessions_active", "h", vec![], 850.0);
        f.gauge("panos_sessions_max", "h", vec![], 1000.0);
        f.gauge("panos_session_table_utilization_ratio", "h", vec![], 0.85);
        let o = evaluate(
            m,
            &f,
            &Range::parse("80").unwrap(),
            &Range::parse("90").unwrap(),
            0,
        );
        assert_eq!(o.status, Status::Warning);
        let o = evaluate(
            m,
            &Families::new(),
            &Range::parse("80").unwrap(),
            &Range::parse("90").unwrap(),
            0,
        );
        assert_eq!(o.status, Status::Unknown);
    }
}

// ---- running a check against a device ------------------------------------------------

use std::path::{Path, PathBuf};

use crate::{
    cache::ErrorKind,
    collectors::ParseContext,
    scheduler::collect,
    targets::{Defaults, TargetConfig},
};

/// What `panops check` talks to.
#[derive(Debug, Clone)]
pub struct CheckTarget {
    /// Connection and credentials.
    pub config: TargetConfig,
    /// Timeouts and reply limits.
    pub defaults: Defaults,
    /// Where a key generated from username + password is kept between runs (mode 0600).
    pub key_cache: Option<PathBuf>,
    /// Firewall serial behind a Panorama (`target=`).
    pub serial: Option<String>,
}

/// Write `key` to `path` readable by the owner only, replacing it atomically.
pub fn write_key_cache(path: &Path, key: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("tmp");
    {
        let mut o = std::fs::OpenOptions::new();
        o.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            o.mode(0o600);
        }
        let mut f = o.open(&tmp)?;
        std::io::Write::write_all(&mut f, key.as_bytes())?;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600))?;
    }
    std::fs::rename(&tmp, path)
}

fn with_target(
    c: panops_client::panos::PanosClient,
    serial: Option<&str>,
) -> Result<panops_client::panos::PanosClient, String> {
    match serial {
        Some(s) => c.with_target(s).map_err(|e| e.to_string()),
        None => Ok(c),
    }
}

/// Run `mode` once: one request (plus a keygen when no valid cached key exists).
pub async fn run(t: &CheckTarget, mode: &Mode, warn: &Range, crit: &Range) -> Outcome {
    let collector = mode.collector();
    let ctx = ParseContext::default();
    let now = ctx.now;
    let uses_password = t.config.username.is_some();
    // a cached key first: no keygen on every run
    if uses_password && let Some(cache) = t.key_cache.as_ref().filter(|p| p.is_file()) {
        let cfg = TargetConfig {
            api_key_file: Some(cache.clone()),
            username: None,
            password_file: None,
            password: None,
            api_key: None,
            ..t.config.clone()
        };
        let client = match cfg
            .client(&t.defaults)
            .map_err(|e| e.to_string())
            .and_then(|c| with_target(c, t.serial.as_deref()))
        {
            Ok(c) => c,
            Err(e) => return Outcome::unknown(e),
        };
        match collect(&client, collector, &ctx).await {
            Ok(f) => return evaluate(mode, &f, warn, crit, now),
            Err(e) if e.kind == ErrorKind::Auth => {
                // stale key: forget it and make a new one below
                let _ = std::fs::remove_file(cache);
            }
            Err(e) => return Outcome::unknown(format!("[{}] {}", e.kind.as_str(), e.message)),
        }
    }
    let client = match t.config.client(&t.defaults).map_err(|e| e.to_string()) {
        Ok(c) => c,
        Err(e) => return Outcome::unknown(e),
    };
    if uses_password && let Some(cache) = &t.key_cache {
        match client.keygen().await {
            Ok(k) => {
                if let Err(e) = write_key_cache(cache, k.expose()) {
                    tracing::warn!(path = %cache.display(), error = %e, "cannot write the key cache; the next run will generate a key again");
                }
            }
            Err(e) => {
                let e = crate::scheduler::classify(&e);
                return Outcome::unknown(format!("keygen: [{}] {}", e.kind.as_str(), e.message));
            }
        }
    }
    let client = match with_target(client, t.serial.as_deref()) {
        Ok(c) => c,
        Err(e) => return Outcome::unknown(e),
    };
    match collect(&client, collector, &ctx).await {
        Ok(f) => evaluate(mode, &f, warn, crit, now),
        Err(e) => Outcome::unknown(format!("[{}] {}", e.kind.as_str(), e.message)),
    }
}
