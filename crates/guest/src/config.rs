//! Configuration by the environment variables guest-access agents already use
//! (`FIREWALL_ADAPTER`, `FIREWALL_HOST`, `FIREWALL_API_KEY`, …).

use std::path::PathBuf;
use std::time::Duration;

use panops_client::panos::{ClientConfig, PanosClient, Protocol};
use panops_panos::Secret;

use crate::Error;

/// Adapters this crate implements; `FIREWALL_ADAPTER` must name one of them.
pub const SUPPORTED_ADAPTERS: &[&str] = &["palo-alto"];

/// The `FIREWALL_*` settings, each optional so that panops' own settings can fill the rest.
/// `Debug` never shows the key.
#[derive(Clone, Default)]
pub struct FirewallEnv {
    /// Host name or IP of the management interface.
    pub host: Option<String>,
    /// Port given with the host (`host:port`).
    pub port: Option<u16>,
    /// Scheme when `FIREWALL_HOST` starts with `http://` or `https://`.
    pub protocol: Option<Protocol>,
    /// The API key (`FIREWALL_API_KEY`, or the content of `FIREWALL_API_KEY_FILE`).
    pub api_key: Option<Secret>,
    /// `FIREWALL_VERIFY_TLS` (`None` when unset: verification stays on).
    pub verify_tls: Option<bool>,
    /// `FIREWALL_CA_FILE`: a PEM bundle of the private CA to trust.
    pub ca_file: Option<PathBuf>,
    /// `FIREWALL_VSYS` on a multi-vsys firewall.
    pub vsys: Option<String>,
    /// `FIREWALL_TARGET`: the firewall serial when the host is a Panorama.
    pub target: Option<String>,
}

impl std::fmt::Debug for FirewallEnv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FirewallEnv")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("protocol", &self.protocol)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("verify_tls", &self.verify_tls)
            .field("ca_file", &self.ca_file)
            .field("vsys", &self.vsys)
            .field("target", &self.target)
            .finish()
    }
}

fn invalid(field: &str, reason: impl Into<String>) -> Error {
    Error::Config {
        field: field.to_string(),
        reason: reason.into(),
    }
}

impl FirewallEnv {
    /// Read the settings through `get` (the process environment: `|n| std::env::var(n).ok()`);
    /// empty values count as unset.
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let get = |name: &str| get(name).filter(|v| !v.trim().is_empty());
        if let Some(adapter) = get("FIREWALL_ADAPTER") {
            let a = adapter.trim().to_ascii_lowercase();
            if !SUPPORTED_ADAPTERS.contains(&a.as_str()) {
                return Err(Error::UnsupportedAdapter { given: adapter });
            }
        }
        let mut env = FirewallEnv::default();
        if let Some(host) = get("FIREWALL_HOST") {
            let (protocol, host, port) = split_host(&host)?;
            env.protocol = protocol;
            env.host = Some(host);
            env.port = port;
        }
        env.api_key = match (get("FIREWALL_API_KEY"), get("FIREWALL_API_KEY_FILE")) {
            (Some(_), Some(_)) => {
                return Err(invalid(
                    "FIREWALL_API_KEY_FILE",
                    "set either FIREWALL_API_KEY or FIREWALL_API_KEY_FILE, not both",
                ));
            }
            (Some(k), None) => Some(Secret::new(k.trim().to_string())),
            (None, Some(path)) => {
                let text = std::fs::read_to_string(&path).map_err(|e| {
                    invalid("FIREWALL_API_KEY_FILE", format!("cannot read {path}: {e}"))
                })?;
                let key = text.trim();
                if key.is_empty() {
                    return Err(invalid("FIREWALL_API_KEY_FILE", format!("{path} is empty")));
                }
                Some(Secret::new(key.to_string()))
            }
            (None, None) => None,
        };
        if let Some(v) = get("FIREWALL_VERIFY_TLS") {
            env.verify_tls = Some(match v.trim().to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" | "on" => true,
                "false" | "0" | "no" | "off" => false,
                _ => {
                    return Err(invalid(
                        "FIREWALL_VERIFY_TLS",
                        format!("must be true or false, not '{v}'"),
                    ));
                }
            });
        }
        if let Some(ca) = get("FIREWALL_CA_FILE") {
            let path = PathBuf::from(ca.trim());
            if !path.is_file() {
                return Err(invalid(
                    "FIREWALL_CA_FILE",
                    format!("{} is not a readable file", path.display()),
                ));
            }
            env.ca_file = Some(path);
        }
        if let Some(vsys) = get("FIREWALL_VSYS") {
            let v = vsys.trim();
            if !v.starts_with("vsys") || v[4..].parse::<u16>().is_err() {
                return Err(invalid(
                    "FIREWALL_VSYS",
                    format!("must look like vsys1, vsys2, …, not '{v}'"),
                ));
            }
            env.vsys = Some(v.to_string());
        }
        if let Some(t) = get("FIREWALL_TARGET") {
            let t = t.trim();
            if !t.chars().all(|c| c.is_ascii_alphanumeric()) || t.len() > 32 {
                return Err(invalid(
                    "FIREWALL_TARGET",
                    format!("must be a firewall serial number (letters and digits), not '{t}'"),
                ));
            }
            env.target = Some(t.to_string());
        }
        Ok(env)
    }

    /// Build a client from these settings alone (host and key required).
    pub fn client(&self, timeout: Duration) -> Result<PanosClient, Error> {
        let host = self
            .host
            .clone()
            .ok_or_else(|| invalid("FIREWALL_HOST", "is not set"))?;
        let key = self
            .api_key
            .clone()
            .ok_or_else(|| invalid("FIREWALL_API_KEY", "is not set (nor FIREWALL_API_KEY_FILE)"))?;
        let mut b = ClientConfig::builder(host)
            .api_key(key)
            .protocol(self.protocol.unwrap_or(Protocol::Https))
            .danger_accept_invalid_certs(self.verify_tls == Some(false))
            .timeout(timeout);
        if let Some(p) = self.port {
            b = b.port(p);
        }
        if let Some(ca) = &self.ca_file {
            b = b.ca_bundle(ca.clone());
        }
        if let Some(t) = &self.target {
            b = b.target(t.clone());
        }
        if let Some(v) = &self.vsys {
            b = b.vsys(v.clone());
        }
        let cfg = b.build().map_err(|e| Error::classify(e, None))?;
        PanosClient::new(cfg).map_err(|e| Error::classify(e, None))
    }
}

/// `[scheme://]host[:port]`, with `[v6]:port` for IPv6.
fn split_host(raw: &str) -> Result<(Option<Protocol>, String, Option<u16>), Error> {
    let raw = raw.trim();
    let (protocol, rest) = if let Some(r) = raw.strip_prefix("https://") {
        (Some(Protocol::Https), r)
    } else if let Some(r) = raw.strip_prefix("http://") {
        (Some(Protocol::Http), r)
    } else if raw.contains("://") {
        return Err(invalid(
            "FIREWALL_HOST",
            format!("'{raw}': only https:// (or http:// for a simulator) may precede the host"),
        ));
    } else {
        (None, raw)
    };
    let rest = rest.trim_end_matches('/');
    if rest.is_empty() || rest.contains('/') || rest.contains('@') {
        return Err(invalid(
            "FIREWALL_HOST",
            format!("'{raw}' must be a host name or IP with an optional :port, no path"),
        ));
    }
    let port_of = |p: &str| {
        p.parse::<u16>().ok().filter(|p| *p > 0).ok_or_else(|| {
            invalid(
                "FIREWALL_HOST",
                format!("'{p}' in '{raw}' is not a port (1-65535)"),
            )
        })
    };
    if let Some(v6) = rest.strip_prefix('[') {
        let (addr, after) = v6
            .split_once(']')
            .ok_or_else(|| invalid("FIREWALL_HOST", format!("'{raw}': missing ']'")))?;
        let port = match after.strip_prefix(':') {
            Some(p) => Some(port_of(p)?),
            None if after.is_empty() => None,
            None => return Err(invalid("FIREWALL_HOST", format!("'{raw}' is malformed"))),
        };
        return Ok((protocol, addr.to_string(), port));
    }
    if rest.matches(':').count() > 1 {
        // a bare IPv6 address has no port
        return Ok((protocol, rest.to_string(), None));
    }
    match rest.split_once(':') {
        Some((h, p)) => Ok((protocol, h.to_string(), Some(port_of(p)?))),
        None => Ok((protocol, rest.to_string(), None)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let v: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |n| v.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone())
    }

    #[test]
    fn reads_the_agent_variables() {
        let e = FirewallEnv::from_env(env(&[
            ("FIREWALL_ADAPTER", "palo-alto"),
            ("FIREWALL_HOST", "fw.example.test:8443"),
            ("FIREWALL_API_KEY", "s3cret"),
            ("FIREWALL_VERIFY_TLS", "false"),
            ("FIREWALL_VSYS", "vsys2"),
            ("FIREWALL_TARGET", "007951000123456"),
        ]))
        .unwrap();
        assert_eq!(e.host.as_deref(), Some("fw.example.test"));
        assert_eq!(e.port, Some(8443));
        assert_eq!(e.verify_tls, Some(false));
        assert_eq!(e.vsys.as_deref(), Some("vsys2"));
        assert!(!format!("{e:?}").contains("s3cret"));
    }

    #[test]
    fn unsupported_adapter_lists_the_supported_ones() {
        let err = FirewallEnv::from_env(env(&[("FIREWALL_ADAPTER", "fortinet")])).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("fortinet") && msg.contains("palo-alto"),
            "{msg}"
        );
    }

    #[test]
    fn host_forms() {
        assert_eq!(
            split_host("[2001:db8::1]:443").unwrap().1,
            "2001:db8::1".to_string()
        );
        assert_eq!(split_host("2001:db8::1").unwrap().2, None);
        assert!(matches!(
            split_host("http://127.0.0.1:9").unwrap(),
            (Some(Protocol::Http), _, Some(9))
        ));
        for bad in ["fw:0", "fw:http", "ftp://fw", "fw/api", "user@fw", "[::1"] {
            let e = split_host(bad).unwrap_err().to_string();
            assert!(e.contains("FIREWALL_HOST"), "{bad}: {e}");
        }
    }

    #[test]
    fn bad_values_name_the_variable() {
        for (k, v) in [
            ("FIREWALL_VERIFY_TLS", "maybe"),
            ("FIREWALL_VSYS", "guests"),
            ("FIREWALL_TARGET", "fw 1"),
            ("FIREWALL_CA_FILE", "/nonexistent/ca.pem"),
            ("FIREWALL_API_KEY_FILE", "/nonexistent/key"),
        ] {
            let e = FirewallEnv::from_env(env(&[(k, v)]))
                .unwrap_err()
                .to_string();
            assert!(e.contains(k), "{k}: {e}");
        }
    }
}
