//! Simulator configuration and the `panops sim` flags that build it.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use crate::ScmSimError;

/// Client id used when no `--scm-client` is given (documented in the README).
pub const DEFAULT_CLIENT_ID: &str = "panops-sim@1234567890.iam.panserviceaccount.com";
/// Client secret used when no `--scm-client` is given. It is a public, well-known test value.
pub const DEFAULT_CLIENT_SECRET: &str = "panops-sim-secret";
/// TSG id used when no `--scm-client` is given.
pub const DEFAULT_TSG_ID: &str = "1234567890";

/// One OAuth2 service account the token service accepts.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientCredential {
    /// OAuth2 client id (service-account name).
    pub client_id: String,
    client_secret: String,
    /// Tenant service group the account may request tokens for.
    pub tsg_id: String,
}

impl ClientCredential {
    /// Builds a credential.
    pub fn new(
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
        tsg_id: impl Into<String>,
    ) -> Self {
        Self {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            tsg_id: tsg_id.into(),
        }
    }

    /// The documented default account (`DEFAULT_CLIENT_ID` / `DEFAULT_CLIENT_SECRET` / `DEFAULT_TSG_ID`).
    pub fn default_account() -> Self {
        Self::new(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_TSG_ID)
    }

    /// The client secret (kept out of `Debug`).
    pub fn client_secret(&self) -> &str {
        &self.client_secret
    }

    /// Parses `CLIENT_ID:CLIENT_SECRET:TSG_ID`. The secret may contain `:`; the client id and
    /// TSG id may not.
    pub fn parse(value: &str) -> Result<Self, ScmSimError> {
        let (client_id, rest) =
            value
                .split_once(':')
                .ok_or_else(|| ScmSimError::InvalidClient {
                    reason: "expected CLIENT_ID:CLIENT_SECRET:TSG_ID (no ':' found)".into(),
                })?;
        let (secret, tsg) = rest.rsplit_once(':').ok_or_else(|| ScmSimError::InvalidClient {
            reason: format!(
                "expected CLIENT_ID:CLIENT_SECRET:TSG_ID for client '{client_id}' (TSG id missing)"
            ),
        })?;
        if client_id.is_empty() {
            return Err(ScmSimError::InvalidClient {
                reason: "client id is empty".into(),
            });
        }
        if secret.is_empty() {
            return Err(ScmSimError::InvalidClient {
                reason: format!("client secret for client '{client_id}' is empty"),
            });
        }
        if tsg.is_empty() || !tsg.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(ScmSimError::InvalidClient {
                reason: format!(
                    "TSG id for client '{client_id}' must be non-empty and alphanumeric (got '{tsg}')"
                ),
            });
        }
        Ok(Self::new(client_id, secret, tsg))
    }
}

impl fmt::Debug for ClientCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCredential")
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("tsg_id", &self.tsg_id)
            .finish()
    }
}

/// Faults applied to API calls (not to the token endpoint, except latency).
#[derive(Debug, Clone, PartialEq)]
pub struct FaultConfig {
    /// Added delay before every response, in milliseconds.
    pub latency_ms: u64,
    /// Probability (0..=1) that an API call is answered 429 with `Retry-After`.
    pub rate_429: f64,
    /// Value of the `Retry-After` header on injected 429s, in seconds.
    pub retry_after_secs: u64,
    /// Probability (0..=1) that an API call is answered 503.
    pub rate_5xx: f64,
}

impl Default for FaultConfig {
    fn default() -> Self {
        Self {
            latency_ms: 0,
            rate_429: 0.0,
            retry_after_secs: 1,
            rate_5xx: 0.0,
        }
    }
}

/// Everything the simulator needs to start.
#[derive(Debug, Clone)]
pub struct ScmSimConfig {
    /// Address to bind; port 0 picks a free port.
    pub listen: SocketAddr,
    /// Serve HTTPS with a fresh self-signed certificate (true) or plain HTTP (false).
    pub tls: bool,
    /// Accepted service accounts.
    pub clients: Vec<ClientCredential>,
    /// True when `clients` holds only the documented default account because none was given.
    pub default_client_used: bool,
    /// Injected faults.
    pub faults: FaultConfig,
    /// Lifetime of issued access tokens (`expires_in`).
    pub token_lifetime: Duration,
    /// How long a push job takes to go from PEND to FIN.
    pub push_duration: Duration,
}

impl ScmSimConfig {
    /// A configuration with the default account, no faults, 900-second tokens and 1.5-second
    /// push jobs.
    pub fn new(listen: SocketAddr, tls: bool) -> Self {
        Self {
            listen,
            tls,
            clients: vec![ClientCredential::default_account()],
            default_client_used: true,
            faults: FaultConfig::default(),
            token_lifetime: Duration::from_secs(900),
            push_duration: Duration::from_millis(1500),
        }
    }

    /// Replaces the accepted accounts.
    pub fn with_clients(mut self, clients: Vec<ClientCredential>) -> Self {
        if !clients.is_empty() {
            self.clients = clients;
            self.default_client_used = false;
        }
        self
    }

    /// A line the CLI should print (stderr) when the default account is in use.
    pub fn default_client_notice(&self) -> Option<String> {
        self.default_client_used.then(|| {
            format!(
                "WARNING: no --scm-client given; the SCM simulator accepts the documented default \
                 account client_id={DEFAULT_CLIENT_ID} client_secret={DEFAULT_CLIENT_SECRET} \
                 tsg_id={DEFAULT_TSG_ID}"
            )
        })
    }
}

/// `panops sim` flags for the SCM simulator. Its `Debug` masks the client secrets.
#[derive(clap::Args, Clone)]
pub struct ScmSimArgs {
    /// Serve the SCM API and its OAuth2 token service on HOST:PORT (port 0 = free port).
    #[arg(long = "scm-listen", value_name = "HOST:PORT")]
    pub scm_listen: Option<String>,
    /// Accepted service account CLIENT_ID:CLIENT_SECRET:TSG_ID (repeatable; default: the
    /// documented test account, announced on stderr).
    #[arg(long = "scm-client", value_name = "CLIENT_ID:CLIENT_SECRET:TSG_ID")]
    pub scm_client: Vec<String>,
    /// File of service accounts, one `CLIENT_ID:CLIENT_SECRET:TSG_ID` per line (`#` comments),
    /// so that no secret needs the command line.
    #[arg(long = "scm-client-file", value_name = "FILE")]
    pub scm_client_file: Option<std::path::PathBuf>,
    /// Latency added to every SCM response, in milliseconds.
    #[arg(long = "scm-fault-latency-ms", value_name = "N", default_value_t = 0)]
    pub scm_fault_latency_ms: u64,
    /// Fraction (0..=1) of SCM API calls answered 429 with Retry-After.
    #[arg(long = "scm-fault-429-rate", value_name = "F", default_value_t = 0.0)]
    pub scm_fault_429_rate: f64,
    /// Fraction (0..=1) of SCM API calls answered 503.
    #[arg(long = "scm-fault-5xx-rate", value_name = "F", default_value_t = 0.0)]
    pub scm_fault_5xx_rate: f64,
    /// Lifetime of issued access tokens in seconds.
    #[arg(
        long = "scm-token-lifetime-secs",
        value_name = "N",
        default_value_t = 900
    )]
    pub scm_token_lifetime_secs: u64,
}

impl Default for ScmSimArgs {
    /// The flag defaults: no listener, no faults, 900-second tokens.
    fn default() -> Self {
        Self {
            scm_listen: None,
            scm_client: Vec::new(),
            scm_client_file: None,
            scm_fault_latency_ms: 0,
            scm_fault_429_rate: 0.0,
            scm_fault_5xx_rate: 0.0,
            scm_token_lifetime_secs: 900,
        }
    }
}

impl std::fmt::Debug for ScmSimArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // CLIENT_ID:CLIENT_SECRET:TSG_ID -> CLIENT_ID:***:TSG_ID
        let clients: Vec<String> = self
            .scm_client
            .iter()
            .map(|c| {
                // the secret may hold ':'; the client id is before the first, the TSG after the last
                let id = c.split(':').next().unwrap_or("");
                match c.rsplit_once(':') {
                    Some((_, tsg)) if c.matches(':').count() >= 2 => format!("{id}:***:{tsg}"),
                    _ => format!("{id}:***"),
                }
            })
            .collect();
        f.debug_struct("ScmSimArgs")
            .field("scm_listen", &self.scm_listen)
            .field("scm_client", &clients)
            .field("scm_client_file", &self.scm_client_file)
            .finish_non_exhaustive()
    }
}

impl ScmSimArgs {
    /// Builds the simulator configuration; `Ok(None)` when `--scm-listen` is absent.
    pub fn to_config(&self, tls: bool) -> Result<Option<ScmSimConfig>, ScmSimError> {
        let Some(listen) = &self.scm_listen else {
            return Ok(None);
        };
        let addr = parse_listen(listen)?;
        let mut specs = self.scm_client.clone();
        if let Some(path) = &self.scm_client_file {
            let text = std::fs::read_to_string(path).map_err(|e| ScmSimError::InvalidClient {
                reason: format!("--scm-client-file: cannot read {}: {e}", path.display()),
            })?;
            specs.extend(
                text.lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty() && !l.starts_with('#'))
                    .map(str::to_string),
            );
        }
        let clients = specs
            .iter()
            .map(|c| ClientCredential::parse(c))
            .collect::<Result<Vec<_>, _>>()?;
        for (flag, value) in [
            ("--scm-fault-429-rate", self.scm_fault_429_rate),
            ("--scm-fault-5xx-rate", self.scm_fault_5xx_rate),
        ] {
            if !(0.0..=1.0).contains(&value) {
                return Err(ScmSimError::InvalidRate { flag, value });
            }
        }
        if self.scm_token_lifetime_secs == 0 {
            return Err(ScmSimError::InvalidTokenLifetime);
        }
        let mut cfg = ScmSimConfig::new(addr, tls).with_clients(clients);
        cfg.faults = FaultConfig {
            latency_ms: self.scm_fault_latency_ms,
            rate_429: self.scm_fault_429_rate,
            rate_5xx: self.scm_fault_5xx_rate,
            ..FaultConfig::default()
        };
        cfg.token_lifetime = Duration::from_secs(self.scm_token_lifetime_secs);
        Ok(Some(cfg))
    }
}

fn parse_listen(value: &str) -> Result<SocketAddr, ScmSimError> {
    use std::net::ToSocketAddrs;
    value
        .to_socket_addrs()
        .ok()
        .and_then(|mut it| it.next())
        .ok_or_else(|| ScmSimError::InvalidListen {
            value: value.to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_client_with_colon_in_secret() {
        let c = ClientCredential::parse("svc@1.iam:se:cret:1234").unwrap();
        assert_eq!(c.client_id, "svc@1.iam");
        assert_eq!(c.client_secret(), "se:cret");
        assert_eq!(c.tsg_id, "1234");
    }

    #[test]
    fn client_errors_never_echo_the_secret() {
        let err = ClientCredential::parse("svc:topsecret")
            .unwrap_err()
            .to_string();
        assert!(!err.contains("topsecret"), "{err}");
        let err = ClientCredential::parse("svc:topsecret:")
            .unwrap_err()
            .to_string();
        assert!(!err.contains("topsecret"), "{err}");
        let dbg = format!("{:?}", ClientCredential::parse("a:topsecret:1").unwrap());
        assert!(!dbg.contains("topsecret"));
    }

    #[test]
    fn args_debug_masks_secrets_and_client_file_adds_accounts() {
        let dir = std::env::temp_dir().join(format!("scm-clients-{}", std::process::id()));
        std::fs::write(&dir, "# accounts\nfile@1.iam:f:ile-secret:42\n").unwrap();
        let args = ScmSimArgs {
            scm_listen: Some("127.0.0.1:0".into()),
            scm_client: vec!["svc@1.iam:se:cret:1234".into()],
            scm_client_file: Some(dir.clone()),
            ..ScmSimArgs::default()
        };
        let dbg = format!("{args:?}");
        assert!(!dbg.contains("se:cret") && !dbg.contains("cret"), "{dbg}");
        assert!(dbg.contains("svc@1.iam:***:1234"), "{dbg}");
        let cfg = args.to_config(false).unwrap().unwrap();
        let dbg = format!("{cfg:?}");
        assert!(!dbg.contains("ile-secret"), "{dbg}");
        assert!(dbg.contains("file@1.iam"), "{dbg}");
        let _ = std::fs::remove_file(&dir);
    }

    #[test]
    fn args_build_config() {
        let args = ScmSimArgs {
            scm_listen: Some("127.0.0.1:0".into()),
            scm_client: vec!["a:b:1".into()],
            scm_client_file: None,
            scm_fault_latency_ms: 50,
            scm_fault_429_rate: 0.5,
            scm_fault_5xx_rate: 0.0,
            scm_token_lifetime_secs: 60,
        };
        let cfg = args.to_config(false).unwrap().unwrap();
        assert!(!cfg.default_client_used);
        assert_eq!(cfg.faults.latency_ms, 50);
        assert_eq!(cfg.token_lifetime, Duration::from_secs(60));
        assert!(cfg.default_client_notice().is_none());
        let none = ScmSimArgs::default().to_config(true).unwrap();
        assert!(none.is_none());
        let defaults = ScmSimArgs {
            scm_listen: Some("127.0.0.1:0".into()),
            ..ScmSimArgs::default()
        };
        let cfg = defaults.to_config(true).unwrap().unwrap();
        assert!(cfg.default_client_used && cfg.tls);
        assert_eq!(cfg.token_lifetime, Duration::from_secs(900));
        let bad = ScmSimArgs {
            scm_fault_429_rate: 1.5,
            scm_token_lifetime_secs: 900,
            ..args
        };
        assert!(matches!(
            bad.to_config(true),
            Err(ScmSimError::InvalidRate { .. })
        ));
    }

    #[test]
    fn default_account_is_announced() {
        let cfg = ScmSimConfig::new("127.0.0.1:0".parse().unwrap(), true);
        assert!(
            cfg.default_client_notice()
                .unwrap()
                .contains(DEFAULT_CLIENT_ID)
        );
    }
}
