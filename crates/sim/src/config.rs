//! Simulator configuration: command-line arguments and the programmatic config.

use std::path::PathBuf;
use std::time::Duration;

use crate::SimError;

/// Which device the simulator plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DeviceKind {
    /// A Panorama managing `--firewalls` simulated firewalls.
    Panorama,
    /// A single firewall.
    Firewall,
}

impl DeviceKind {
    /// `"panorama"` or `"firewall"`.
    pub fn as_str(&self) -> &'static str {
        match self {
            DeviceKind::Panorama => "panorama",
            DeviceKind::Firewall => "firewall",
        }
    }
}

/// An administrator account of the simulated device.
#[derive(Clone, PartialEq, Eq)]
pub struct AdminAccount {
    /// User name.
    pub user: String,
    /// Password (never logged).
    pub password: String,
    /// Read-only admins can read and run show commands only.
    pub read_only: bool,
    /// A role with only the XML API "User-ID Agent" permission plus show commands: it may
    /// send uid-messages but not change configuration or clear sessions (the least-privilege
    /// role of guest agents; the 403 case of `panops guest`).
    pub user_id_only: bool,
}

impl std::fmt::Debug for AdminAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminAccount")
            .field("user", &self.user)
            .field("password", &"<redacted>")
            .field("read_only", &self.read_only)
            .field("user_id_only", &self.user_id_only)
            .finish()
    }
}

impl AdminAccount {
    /// A read-write admin.
    pub fn new(user: impl Into<String>, password: impl Into<String>) -> Self {
        AdminAccount {
            user: user.into(),
            password: password.into(),
            read_only: false,
            user_id_only: false,
        }
    }

    /// An admin whose role allows only User-ID messages and show commands.
    pub fn user_id_only(user: impl Into<String>, password: impl Into<String>) -> Self {
        AdminAccount {
            user_id_only: true,
            ..AdminAccount::new(user, password)
        }
    }

    /// A read-only admin.
    pub fn read_only(user: impl Into<String>, password: impl Into<String>) -> Self {
        AdminAccount {
            read_only: true,
            ..AdminAccount::new(user, password)
        }
    }

    /// Parse `USER:PASSWORD[:read-only|:read-write|:user-id]`.
    pub fn parse(spec: &str) -> Result<Self, SimError> {
        let bad = |reason: &str| SimError::InvalidOption {
            option: "--admin",
            reason: reason.to_string(),
        };
        let (user, rest) = spec
            .split_once(':')
            .ok_or_else(|| bad("expected USER:PASSWORD[:read-only|:user-id]"))?;
        if user.is_empty() {
            return Err(bad("the user name is empty"));
        }
        let (password, read_only, user_id_only) = match rest.rsplit_once(':') {
            Some((p, "read-only")) => (p, true, false),
            Some((p, "read-write")) => (p, false, false),
            Some((p, "user-id")) => (p, false, true),
            _ => (rest, false, false),
        };
        if password.is_empty() {
            return Err(bad("the password is empty"));
        }
        Ok(AdminAccount {
            user: user.to_string(),
            password: password.to_string(),
            read_only,
            user_id_only,
        })
    }
}

/// Fault injection settings (also adjustable at run time through [`crate::SimHandle`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Faults {
    /// Added latency per request.
    pub latency: Duration,
    /// Fraction (0..=1) of requests answered with HTTP 503.
    pub rate_5xx: f64,
    /// Fraction (0..=1) of requests whose connection is dropped without an answer.
    pub rate_reset: f64,
    /// The next N commits are refused with "Another commit/validate is in progress".
    pub commit_busy: u32,
    /// The next N commit / commit-all jobs end with result FAIL.
    pub fail_jobs: u32,
    /// The next N config writes or commits are refused with "Configuration is locked by
    /// <LOCK_FAULT_OWNER>", as when another administrator holds a lock.
    pub locked: u32,
    /// The next N certificate / key imports are refused (code 17), as when the device
    /// rejects the file.
    pub fail_imports: u32,
    /// Config deletes whose xpath contains this text are refused with the lock error of
    /// [`Faults::locked`] (another admin took a config lock meanwhile), until cleared; used to
    /// fail one chosen delete, e.g. a certificate deployment's cleanup.
    pub fail_deletes_matching: Option<String>,
}

/// The administrator named in injected lock errors ([`Faults::locked`]).
pub const LOCK_FAULT_OWNER: &str = "other-admin";

/// Command-line arguments of `panops sim`. Its `Debug` masks the admins' passwords.
#[derive(clap::Args, Clone)]
pub struct SimArgs {
    /// Device to simulate.
    #[arg(long, value_enum, default_value = "panorama")]
    pub kind: DeviceKind,
    /// Managed firewalls behind a simulated Panorama.
    #[arg(long, default_value_t = 2)]
    pub firewalls: usize,
    /// Listen address; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:8443")]
    pub listen: String,
    /// Administrator `USER:PASSWORD[:read-only|:user-id]` (repeatable; default admin:admin).
    #[arg(long = "admin", value_name = "USER:PASSWORD[:read-only|:user-id]")]
    pub admins: Vec<String>,
    /// File of administrators, one `USER:PASSWORD[:read-only|:user-id]` per line (`#`
    /// comments), so that no password needs the command line (where `ps` shows it).
    #[arg(long = "admin-file", value_name = "FILE")]
    pub admin_file: Option<PathBuf>,
    /// Serve plain HTTP instead of HTTPS.
    #[arg(long)]
    pub plain: bool,
    /// Directory where config, keys, certificates and jobs persist across restarts; every
    /// acknowledged change is on disk before its reply.
    #[arg(long, value_name = "DIR")]
    pub state: Option<PathBuf>,
    /// Start fresh when the state file is damaged (it is kept aside, never deleted).
    #[arg(long, requires = "state")]
    pub reset_state: bool,
    /// Added latency per request, in milliseconds.
    #[arg(long, default_value_t = 0)]
    pub fault_latency_ms: u64,
    /// Fraction of requests answered with HTTP 503 (0..1).
    #[arg(long, default_value_t = 0.0)]
    pub fault_5xx_rate: f64,
    /// Fraction of requests whose connection is reset (0..1).
    #[arg(long, default_value_t = 0.0)]
    pub fault_reset_rate: f64,
    /// The next N commits get "Another commit/validate is in progress".
    #[arg(long, default_value_t = 0)]
    pub fault_commit_busy: u32,
    /// The next N commit / push jobs end with FAIL.
    #[arg(long, default_value_t = 0)]
    pub fault_fail_jobs: u32,
    /// The next N config writes or commits get "Configuration is locked by other-admin".
    #[arg(long, default_value_t = 0)]
    pub fault_locked: u32,
    /// API keys expire after this many seconds (HTTP 400 "Key Expired").
    #[arg(long)]
    pub key_lifetime_secs: Option<u64>,
    /// Duration of a commit job in milliseconds.
    #[arg(long, default_value_t = 1500)]
    pub job_ms: u64,
}

impl std::fmt::Debug for SimArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // USER:PASSWORD[:role] -> USER:***[:role]
        let admins: Vec<String> = self
            .admins
            .iter()
            .map(|a| {
                // the password may hold ':'; only a known role after the last one is shown
                let user = a.split(':').next().unwrap_or("");
                match a.rsplit_once(':') {
                    Some((_, role))
                        if matches!(role, "read-only" | "user-id")
                            && a.matches(':').count() >= 2 =>
                    {
                        format!("{user}:***:{role}")
                    }
                    _ => format!("{user}:***"),
                }
            })
            .collect();
        f.debug_struct("SimArgs")
            .field("kind", &self.kind)
            .field("firewalls", &self.firewalls)
            .field("listen", &self.listen)
            .field("admins", &admins)
            .field("admin_file", &self.admin_file)
            .field("plain", &self.plain)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl SimArgs {
    /// Validate the arguments and build a [`SimConfig`].
    pub fn to_config(&self) -> Result<SimConfig, SimError> {
        let rate = |option: &'static str, v: f64| {
            if (0.0..=1.0).contains(&v) {
                Ok(v)
            } else {
                Err(SimError::InvalidOption {
                    option,
                    reason: format!("{v} is not a fraction between 0 and 1"),
                })
            }
        };
        if self.firewalls > 1000 {
            return Err(SimError::InvalidOption {
                option: "--firewalls",
                reason: format!("{} is more than 1000", self.firewalls),
            });
        }
        let mut specs: Vec<String> = self.admins.clone();
        if let Some(path) = &self.admin_file {
            let text = std::fs::read_to_string(path).map_err(|e| SimError::InvalidOption {
                option: "--admin-file",
                reason: format!("cannot read {}: {e}", path.display()),
            })?;
            specs.extend(
                text.lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty() && !l.starts_with('#'))
                    .map(str::to_string),
            );
        }
        let admins = specs
            .iter()
            .map(|a| AdminAccount::parse(a))
            .collect::<Result<Vec<_>, _>>()?;
        let default_admin = admins.is_empty();
        Ok(SimConfig {
            kind: self.kind,
            firewalls: self.firewalls,
            listen: self.listen.clone(),
            admins: if default_admin {
                vec![AdminAccount::new("admin", "admin")]
            } else {
                admins
            },
            default_admin,
            tls: !self.plain,
            state_dir: self.state.clone(),
            reset_state: self.reset_state,
            faults: Faults {
                latency: Duration::from_millis(self.fault_latency_ms.min(600_000)),
                rate_5xx: rate("--fault-5xx-rate", self.fault_5xx_rate)?,
                rate_reset: rate("--fault-reset-rate", self.fault_reset_rate)?,
                commit_busy: self.fault_commit_busy,
                fail_jobs: self.fault_fail_jobs,
                locked: self.fault_locked,
                fail_imports: 0,
                fail_deletes_matching: None,
            },
            key_lifetime: self.key_lifetime_secs.map(Duration::from_secs),
            job_duration: Duration::from_millis(self.job_ms.min(3_600_000)),
            seed: 7,
        })
    }
}

/// Everything the simulator needs to start.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Device kind.
    pub kind: DeviceKind,
    /// Managed firewalls (Panorama only).
    pub firewalls: usize,
    /// Listen address `HOST:PORT`.
    pub listen: String,
    /// Admin accounts.
    pub admins: Vec<AdminAccount>,
    /// True when the admins are the built-in default admin:admin (the CLI warns loudly).
    pub default_admin: bool,
    /// HTTPS with a self-signed certificate when true.
    pub tls: bool,
    /// Persistence directory.
    pub state_dir: Option<PathBuf>,
    /// Move a damaged state file aside and start fresh instead of refusing to start.
    pub reset_state: bool,
    /// Initial faults.
    pub faults: Faults,
    /// API key lifetime.
    pub key_lifetime: Option<Duration>,
    /// How long a commit job takes from enqueue to FIN.
    pub job_duration: Duration,
    /// Seed of the traffic model.
    pub seed: u64,
}

impl SimConfig {
    fn base(kind: DeviceKind, firewalls: usize) -> Self {
        SimConfig {
            kind,
            firewalls,
            listen: "127.0.0.1:0".into(),
            admins: vec![AdminAccount::new("admin", "admin")],
            default_admin: true,
            tls: true,
            state_dir: None,
            reset_state: false,
            faults: Faults::default(),
            key_lifetime: None,
            job_duration: Duration::from_millis(1500),
            seed: 7,
        }
    }

    /// A Panorama with `firewalls` managed firewalls, HTTPS on 127.0.0.1 port 0.
    pub fn panorama(firewalls: usize) -> Self {
        Self::base(DeviceKind::Panorama, firewalls)
    }

    /// A single firewall, HTTPS on 127.0.0.1 port 0.
    pub fn firewall() -> Self {
        Self::base(DeviceKind::Firewall, 0)
    }

    /// Serve plain HTTP.
    pub fn plain(mut self) -> Self {
        self.tls = false;
        self
    }

    /// Listen address.
    pub fn listen(mut self, addr: impl Into<String>) -> Self {
        self.listen = addr.into();
        self
    }

    /// Replace the admin accounts.
    pub fn admins(mut self, admins: Vec<AdminAccount>) -> Self {
        self.admins = admins;
        self.default_admin = false;
        self
    }

    /// Add an admin account.
    pub fn admin(mut self, admin: AdminAccount) -> Self {
        if self.default_admin {
            self.admins.clear();
            self.default_admin = false;
        }
        self.admins.push(admin);
        self
    }

    /// Commit job duration.
    pub fn job_duration(mut self, d: Duration) -> Self {
        self.job_duration = d;
        self
    }

    /// Persistence directory.
    pub fn state_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.state_dir = Some(dir.into());
        self
    }

    /// Move a damaged state file aside and start fresh.
    pub fn reset_state(mut self) -> Self {
        self.reset_state = true;
        self
    }

    /// Initial faults.
    pub fn faults(mut self, faults: Faults) -> Self {
        self.faults = faults;
        self
    }

    /// API key lifetime.
    pub fn key_lifetime(mut self, d: Duration) -> Self {
        self.key_lifetime = Some(d);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_spec() {
        let a = AdminAccount::parse("ro:pw:read-only").unwrap();
        assert!(a.read_only);
        let a = AdminAccount::parse("agent:pw:user-id").unwrap();
        assert!(a.user_id_only && !a.read_only);
        assert_eq!(a.password, "pw");
        let a = AdminAccount::parse("u:p:w").unwrap();
        assert_eq!(a.password, "p:w");
        assert!(AdminAccount::parse("nopass").is_err());
        assert!(!format!("{a:?}").contains("p:w"));
    }

    #[test]
    fn args_debug_masks_every_password_and_admin_file_adds_accounts() {
        use clap::Parser;
        #[derive(Parser)]
        struct Cli {
            #[command(flatten)]
            sim: SimArgs,
        }
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("admins");
        std::fs::write(
            &file,
            "# lab admins\nfromfile:s3cr3t-f\n\nro:s3cr3t-r:read-only\n",
        )
        .unwrap();
        let cli = Cli::try_parse_from([
            "sim",
            "--admin",
            "u:s3cr3t:w",
            "--admin",
            "agent:s3cr3t-a:user-id",
            "--admin-file",
            file.to_str().unwrap(),
        ])
        .unwrap();
        let dbg = format!("{:?}", cli.sim);
        assert!(!dbg.contains("s3cr3t") && !dbg.contains(":w\""), "{dbg}");
        assert!(dbg.contains("agent:***:user-id"), "{dbg}");
        let cfg = cli.sim.to_config().unwrap();
        let users: Vec<&str> = cfg.admins.iter().map(|a| a.user.as_str()).collect();
        assert_eq!(users, ["u", "agent", "fromfile", "ro"]);
        assert!(cfg.admins[3].read_only);
        let missing = Cli::try_parse_from(["sim", "--admin-file", "/nonexistent/admins"])
            .unwrap()
            .sim
            .to_config()
            .unwrap_err()
            .to_string();
        assert!(
            missing.contains("--admin-file") && missing.contains("/nonexistent/admins"),
            "{missing}"
        );
    }
}
