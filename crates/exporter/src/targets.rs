//! The targets file (YAML): named firewalls and Panoramas with their connection settings,
//! credentials (files only: a key or password never sits in the targets file itself),
//! labels and per-collector intervals.
//!
//! ```yaml
//! defaults:
//!   fast_interval_secs: 30
//!   slow_interval_secs: 600
//!   timeout_secs: 30
//! collectors:
//!   global_counters: { interval_secs: 60 }
//!   bgp: { enabled: false }
//! global_counters:
//!   severities: [drop, error]
//! targets:
//!   - name: edge-fw
//!     host: 192.0.2.10
//!     api_key_file: /etc/panops/edge-fw.key
//!     labels: { site: hq }
//!   - name: panorama
//!     kind: panorama
//!     host: panorama.example.net
//!     username: monitor
//!     password_file: /etc/panops/monitor.pw
//!     pool: 4
//! ```

use std::{collections::BTreeMap, path::PathBuf, time::Duration};

use panops_client::{
    panos::{ClientConfig, PanosClient, Protocol},
    retry::RetryPolicy,
};
use panops_panos::Secret;
use serde::Deserialize;

use crate::collectors::{self, Collector, CounterFilter, Tier};

/// The smallest allowed request timeout: a busy management plane takes many seconds.
pub const MIN_TIMEOUT_SECS: u64 = 15;

/// Errors in the targets file.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The YAML is malformed or has unknown fields.
    #[error("{path}: {reason}")]
    Syntax {
        /// The file.
        path: String,
        /// What the YAML parser said.
        reason: String,
    },
    /// A value is invalid.
    #[error("target {target}: {field}: {reason}")]
    Invalid {
        /// Target name (or `defaults` / `collectors`).
        target: String,
        /// The field at fault.
        field: String,
        /// What is wrong and what to do.
        reason: String,
    },
}

fn invalid(target: &str, field: &str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        target: target.to_owned(),
        field: field.to_owned(),
        reason: reason.into(),
    }
}

/// What a target is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TargetKind {
    /// A firewall (collected directly).
    #[default]
    Firewall,
    /// A Panorama: collected itself, and its connected firewalls through `target=<serial>`.
    Panorama,
}

/// Per-collector setting.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CollectorSetting {
    /// `false` turns the collector off.
    pub enabled: Option<bool>,
    /// Override the tier.
    pub tier: Option<Tier>,
    /// Override the interval (seconds).
    pub interval_secs: Option<u64>,
}

/// Defaults for all targets.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Defaults {
    /// Interval of the fast tier.
    pub fast_interval_secs: u64,
    /// Interval of the slow tier.
    pub slow_interval_secs: u64,
    /// Request timeout (at least 15 s).
    pub timeout_secs: u64,
    /// How often a Panorama's connected firewalls are listed again.
    pub discovery_interval_secs: u64,
    /// Largest reply accepted (bytes); bigger replies fail that collector.
    pub max_reply_bytes: usize,
}

impl Default for Defaults {
    fn default() -> Self {
        Defaults {
            fast_interval_secs: 30,
            slow_interval_secs: 600,
            timeout_secs: 30,
            discovery_interval_secs: 120,
            max_reply_bytes: 8 * 1024 * 1024,
        }
    }
}

/// One target as written in the file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetConfig {
    /// Name used in `/probe?target=`.
    pub name: String,
    /// Firewall or Panorama.
    #[serde(default)]
    pub kind: TargetKind,
    /// Host name or address of the management interface.
    pub host: String,
    /// Port (default 443, or 80 with `protocol: http`).
    pub port: Option<u16>,
    /// `https` (default) or `http`.
    #[serde(default)]
    pub protocol: Option<String>,
    /// Extra trusted CA certificates (PEM file).
    pub ca_file: Option<PathBuf>,
    /// Accept any certificate (labs only).
    #[serde(default)]
    pub insecure_skip_verify: bool,
    /// File holding the API key.
    pub api_key_file: Option<PathBuf>,
    /// Username for keygen (with `password_file`).
    pub username: Option<String>,
    /// File holding the password.
    pub password_file: Option<PathBuf>,
    /// Extra labels on every series of this target.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Request timeout (seconds, at least 15).
    pub timeout_secs: Option<u64>,
    /// Concurrent requests to a Panorama (its firewalls share them). Firewalls always get 1.
    pub pool: Option<usize>,
    /// Per-collector settings for this target (over the file-wide ones).
    #[serde(default)]
    pub collectors: BTreeMap<String, CollectorSetting>,
    /// An API key given on the command line or in the environment (never in the file).
    #[serde(skip)]
    pub api_key: Option<Secret>,
    /// A password given on standard input or in the environment (never in the file).
    #[serde(skip)]
    pub password: Option<Secret>,
}

/// The whole file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetsFile {
    /// Defaults.
    #[serde(default)]
    pub defaults: Defaults,
    /// Per-collector settings for every target.
    #[serde(default)]
    pub collectors: BTreeMap<String, CollectorSetting>,
    /// Which global counters are exported.
    #[serde(default)]
    pub global_counters: CounterFilter,
    /// The targets.
    pub targets: Vec<TargetConfig>,
}

/// A collector with its resolved interval.
#[derive(Debug, Clone, Copy)]
pub struct Scheduled {
    /// The collector.
    pub collector: &'static Collector,
    /// How often it runs.
    pub interval: Duration,
}

impl TargetsFile {
    /// Read and validate a targets file.
    pub fn load(path: &std::path::Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text, &path.display().to_string())
    }

    /// Parse and validate YAML text (`origin` names it in errors).
    pub fn parse(text: &str, origin: &str) -> Result<Self, ConfigError> {
        let f: TargetsFile = serde_yaml::from_str(text).map_err(|e| ConfigError::Syntax {
            path: origin.to_owned(),
            reason: e.to_string(),
        })?;
        f.validate()?;
        Ok(f)
    }

    /// Check names, credentials, timeouts and collector names.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let d = &self.defaults;
        if d.timeout_secs < MIN_TIMEOUT_SECS {
            return Err(invalid(
                "defaults",
                "timeout_secs",
                format!(
                    "{} is below the minimum of {MIN_TIMEOUT_SECS} s",
                    d.timeout_secs
                ),
            ));
        }
        if d.fast_interval_secs == 0 || d.slow_interval_secs == 0 {
            return Err(invalid(
                "defaults",
                "interval",
                "intervals must be at least 1 s",
            ));
        }
        check_collectors("collectors", &self.collectors)?;
        let mut names = std::collections::HashSet::new();
        for t in &self.targets {
            if t.name.is_empty() || t.name.len() > 128 || t.name.contains(char::is_whitespace) {
                return Err(invalid(
                    &t.name,
                    "name",
                    "must be 1-128 characters without spaces",
                ));
            }
            if !names.insert(t.name.as_str()) {
                return Err(invalid(&t.name, "name", "is used by two targets"));
            }
            if t.host.is_empty() || t.host.contains('/') {
                return Err(invalid(
                    &t.name,
                    "host",
                    "must be a host name or address, without scheme or path",
                ));
            }
            let key = t.api_key_file.is_some() || t.api_key.is_some();
            let pw = t.password_file.is_some() || t.password.is_some();
            match (key, &t.username, pw) {
                (true, None, false) | (false, Some(_), true) => {}
                _ => {
                    return Err(invalid(
                        &t.name,
                        "credentials",
                        "give either api_key_file, or username and password_file",
                    ));
                }
            }
            if let Some(p) = &t.protocol
                && p != "https"
                && p != "http"
            {
                return Err(invalid(
                    &t.name,
                    "protocol",
                    format!("{p:?} is not https or http"),
                ));
            }
            if let Some(s) = t.timeout_secs
                && s < MIN_TIMEOUT_SECS
            {
                return Err(invalid(
                    &t.name,
                    "timeout_secs",
                    format!("{s} is below the minimum of {MIN_TIMEOUT_SECS} s"),
                ));
            }
            if t.pool == Some(0) || t.pool.is_some_and(|p| p > 32) {
                return Err(invalid(&t.name, "pool", "must be between 1 and 32"));
            }
            if t.pool.is_some() && t.kind == TargetKind::Firewall {
                return Err(invalid(
                    &t.name,
                    "pool",
                    "only a Panorama takes several requests at once; a firewall gets one",
                ));
            }
            for k in t.labels.keys() {
                let ok = k
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                    && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                    && !k.starts_with("__")
                    && !matches!(k.as_str(), "target" | "serial" | "collector");
                if !ok {
                    return Err(invalid(
                        &t.name,
                        "labels",
                        format!("{k:?} is not a usable label name"),
                    ));
                }
            }
            check_collectors(&t.name, &t.collectors)?;
        }
        Ok(())
    }

    /// The target called `name`.
    pub fn target(&self, name: &str) -> Option<&TargetConfig> {
        self.targets.iter().find(|t| t.name == name)
    }

    /// The collectors of `target` that apply to a device (`panorama`: a Panorama itself),
    /// with their intervals.
    pub fn schedule(&self, target: &TargetConfig, panorama: bool) -> Vec<Scheduled> {
        collectors::ALL
            .iter()
            .filter(|c| c.applies_to(panorama))
            .filter_map(|c| {
                let global = self.collectors.get(c.name);
                let local = target.collectors.get(c.name);
                let pick = |f: fn(&CollectorSetting) -> Option<u64>| {
                    local.and_then(f).or_else(|| global.and_then(f))
                };
                let enabled = local
                    .and_then(|s| s.enabled)
                    .or_else(|| global.and_then(|s| s.enabled))
                    .unwrap_or(true);
                if !enabled {
                    return None;
                }
                let tier = local
                    .and_then(|s| s.tier)
                    .or_else(|| global.and_then(|s| s.tier))
                    .unwrap_or(c.tier);
                let secs = pick(|s| s.interval_secs).unwrap_or(match tier {
                    Tier::Fast => self.defaults.fast_interval_secs,
                    Tier::Slow => self.defaults.slow_interval_secs,
                });
                Some(Scheduled {
                    collector: c,
                    interval: Duration::from_secs(secs.max(1)),
                })
            })
            .collect()
    }
}

fn check_collectors(
    owner: &str,
    m: &BTreeMap<String, CollectorSetting>,
) -> Result<(), ConfigError> {
    for (name, s) in m {
        if collectors::by_name(name).is_none() {
            let known: Vec<_> = collectors::ALL.iter().map(|c| c.name).collect();
            return Err(invalid(
                owner,
                &format!("collectors.{name}"),
                format!("unknown collector; known: {}", known.join(", ")),
            ));
        }
        if s.interval_secs == Some(0) {
            return Err(invalid(
                owner,
                &format!("collectors.{name}.interval_secs"),
                "must be at least 1",
            ));
        }
    }
    Ok(())
}

fn read_secret(target: &str, field: &str, path: &std::path::Path) -> Result<Secret, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        invalid(
            target,
            field,
            format!("cannot read {}: {e}", path.display()),
        )
    })?;
    let v = text.trim();
    if v.is_empty() {
        return Err(invalid(
            target,
            field,
            format!("{} is empty", path.display()),
        ));
    }
    Ok(Secret::new(v.to_owned()))
}

impl TargetConfig {
    /// Build the client: one request timeout of at least 15 s, no blind retries (the
    /// scheduler backs off instead), replies capped at `max_reply_bytes`.
    pub fn client(&self, defaults: &Defaults) -> Result<PanosClient, ConfigError> {
        let mut b = ClientConfig::builder(self.host.clone())
            .protocol(match self.protocol.as_deref() {
                Some("http") => Protocol::Http,
                _ => Protocol::Https,
            })
            .danger_accept_invalid_certs(self.insecure_skip_verify)
            .timeout(Duration::from_secs(
                self.timeout_secs
                    .unwrap_or(defaults.timeout_secs)
                    .max(MIN_TIMEOUT_SECS),
            ))
            .max_body_bytes(defaults.max_reply_bytes)
            .retry(RetryPolicy {
                max_attempts: 2,
                ..RetryPolicy::default()
            });
        if let Some(p) = self.port {
            b = b.port(p);
        }
        if let Some(ca) = &self.ca_file {
            b = b.ca_bundle(ca.clone());
        }
        if let Some(k) = &self.api_key {
            b = b.api_key(k.clone());
        } else if let Some(f) = &self.api_key_file {
            b = b.api_key(read_secret(&self.name, "api_key_file", f)?);
        } else if let (Some(u), Some(p)) = (&self.username, &self.password) {
            b = b.credentials(u.clone(), p.clone());
        } else if let (Some(u), Some(f)) = (&self.username, &self.password_file) {
            b = b.credentials(u.clone(), read_secret(&self.name, "password_file", f)?);
        }
        let cfg = b
            .build()
            .map_err(|e| invalid(&self.name, "connection", e.to_string()))?;
        PanosClient::new(cfg).map_err(|e| invalid(&self.name, "connection", e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "
defaults: { fast_interval_secs: 20 }
collectors:
  bgp: { enabled: false }
  certificates: { interval_secs: 3600 }
targets:
  - name: fw1
    host: 192.0.2.1
    api_key_file: /k
    labels: { site: hq }
    collectors:
      bgp: { enabled: true, tier: slow }
  - name: pano
    kind: panorama
    host: pano.example
    username: mon
    password_file: /p
    pool: 4
";

    #[test]
    fn parses_and_resolves_intervals() {
        let f = TargetsFile::parse(FILE, "t.yaml").unwrap();
        let fw = f.target("fw1").unwrap();
        let s = f.schedule(fw, false);
        let get = |n: &str| s.iter().find(|x| x.collector.name == n).map(|x| x.interval);
        assert_eq!(get("sessions"), Some(Duration::from_secs(20)));
        assert_eq!(get("bgp"), Some(Duration::from_secs(600)));
        assert_eq!(get("certificates"), Some(Duration::from_secs(3600)));
        assert_eq!(get("panorama_devices"), None);
        let pano = f.target("pano").unwrap();
        let ps = f.schedule(pano, true);
        assert!(ps.iter().any(|x| x.collector.name == "panorama_devices"));
        assert!(!ps.iter().any(|x| x.collector.name == "sessions"));
        assert!(
            !ps.iter().any(|x| x.collector.name == "bgp"),
            "disabled file-wide"
        );
    }

    #[test]
    fn rejects_bad_values_naming_the_field() {
        let cases = [
            ("targets: [{name: a, host: h}]", "credentials"),
            (
                "targets: [{name: a, host: h, api_key_file: k, timeout_secs: 5}]",
                "timeout_secs",
            ),
            (
                "targets: [{name: a, host: h, api_key_file: k, pool: 3}]",
                "pool",
            ),
            (
                "targets: [{name: a, host: 'https://h', api_key_file: k}]",
                "host",
            ),
            (
                "targets: [{name: a, host: h, api_key_file: k, collectors: {nope: {}}}]",
                "collectors.nope",
            ),
            (
                "targets: [{name: a, host: h, api_key_file: k}, {name: a, host: g, api_key_file: k}]",
                "name",
            ),
            (
                "targets: [{name: a, host: h, api_key_file: k, labels: {target: x}}]",
                "labels",
            ),
            (
                "targets: [{name: a, host: h, api_key: inline}]",
                "unknown field",
            ),
        ];
        for (yaml, field) in cases {
            let e = TargetsFile::parse(yaml, "t.yaml").unwrap_err().to_string();
            assert!(e.contains(field), "{yaml}: {e}");
        }
    }

    #[test]
    fn secrets_come_from_files_and_never_show() {
        let dir = tempfile::tempdir().unwrap();
        let k = dir.path().join("key");
        std::fs::write(&k, "SECRETKEY123\n").unwrap();
        let yaml = format!(
            "targets: [{{name: a, host: h, api_key_file: {}}}]",
            k.display()
        );
        let f = TargetsFile::parse(&yaml, "t").unwrap();
        let c = f.targets[0].client(&f.defaults).unwrap();
        assert!(!format!("{c:?}").contains("SECRETKEY123"));
        let missing = "targets: [{name: a, host: h, api_key_file: /nonexistent/key}]";
        let f = TargetsFile::parse(missing, "t").unwrap();
        let e = f.targets[0].client(&f.defaults).unwrap_err().to_string();
        assert!(e.contains("api_key_file"), "{e}");
    }
}
