//! Connection settings: profile file, then environment, then command-line flags.
//!
//! Precedence is flag > environment > profile, with the environment names Terraform and pango
//! users already know (`PANOS_HOSTNAME`, `PANOS_API_KEY`, ...). Secrets never come from flags:
//! a flag would put them in the process list. They come from the environment, the profile file,
//! a file named by a flag (`--api-key-file`), or standard input (`--password-stdin`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use secrecy::SecretString;
use serde::Deserialize;

/// The profile file: `<config dir>/panops/config.toml`, or `$PANOPS_CONFIG`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// Profile used when none is named.
    pub default_profile: Option<String>,
    /// Named profiles.
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
}

/// One named connection profile. Every field is optional; env and flags fill the rest.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// `panos` (firewall or Panorama, the default) or `scm`.
    pub kind: Option<String>,
    /// Management hostname or IP.
    pub hostname: Option<String>,
    /// Management port.
    pub port: Option<u16>,
    /// `https` (default) or `http`.
    pub protocol: Option<String>,
    /// Admin user for keygen.
    pub username: Option<String>,
    /// Admin password for keygen (prefer `api_key`).
    pub password: Option<SecretString>,
    /// API key.
    pub api_key: Option<SecretString>,
    /// File holding the API key.
    pub api_key_file: Option<PathBuf>,
    /// Skip TLS verification (explicit opt-in).
    pub skip_verify_certificate: Option<bool>,
    /// PEM bundle of CAs to trust.
    pub ca_file: Option<PathBuf>,
    /// Firewall serial to reach through Panorama.
    pub target: Option<String>,
    /// Default vsys.
    pub vsys: Option<String>,
    /// Request timeout in seconds.
    pub timeout_secs: Option<u64>,
    /// SCM OAuth2 client id.
    pub client_id: Option<String>,
    /// SCM OAuth2 client secret.
    pub client_secret: Option<SecretString>,
    /// SCM tenant service group id.
    pub tsg_id: Option<String>,
    /// SCM API base URL.
    pub scm_base_url: Option<String>,
    /// SCM token service URL.
    pub scm_token_url: Option<String>,
    /// SCM API family: `sse-v1` (default) or `v2`.
    pub scm_family: Option<String>,
    /// SCM folder used by actions that name none (default `Shared`).
    pub folder: Option<String>,
}

// Hand-written so that secrets can never be printed through `{:?}`.
impl std::fmt::Debug for Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Profile")
            .field("kind", &self.kind)
            .field("hostname", &self.hostname)
            .field("port", &self.port)
            .field("protocol", &self.protocol)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("api_key", &self.api_key.as_ref().map(|_| "***"))
            .field("target", &self.target)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret.as_ref().map(|_| "***"))
            .field("tsg_id", &self.tsg_id)
            .finish_non_exhaustive()
    }
}

/// Connection flags of every command that talks to a device.
///
/// Each connecting command flattens them after its own arguments, so `--help` lists the
/// command's options first and these under their own heading; commands that connect to
/// nothing (`sim`, `demo`, `action list`) do not offer them. `global` carries them down to
/// the subcommands of a group (`config get`, `guest end`), so they may be given after the
/// last subcommand word as before.
#[derive(Debug, Clone, Default, clap::Args)]
#[command(next_help_heading = "Connection options")]
pub struct ConnectionFlags {
    /// Profile name from the config file (env: PANOPS_PROFILE).
    #[arg(long, global = true, env = "PANOPS_PROFILE")]
    pub profile: Option<String>,
    /// Firewall or Panorama hostname (env: PANOS_HOSTNAME).
    #[arg(long, global = true)]
    pub hostname: Option<String>,
    /// Management port (env: PANOS_PORT).
    #[arg(long, global = true)]
    pub port: Option<u16>,
    /// https or http (env: PANOS_PROTOCOL).
    #[arg(long, global = true)]
    pub protocol: Option<String>,
    /// Admin user name for keygen (env: PANOS_USERNAME).
    #[arg(long, global = true)]
    pub username: Option<String>,
    /// Read the admin password from standard input (env: PANOS_PASSWORD).
    #[arg(long, global = true)]
    pub password_stdin: bool,
    /// Read the API key from this file (env: PANOS_API_KEY holds the key itself).
    #[arg(long, global = true)]
    pub api_key_file: Option<PathBuf>,
    /// Do not verify the device's TLS certificate (env: PANOS_SKIP_VERIFY_CERTIFICATE).
    #[arg(long, global = true)]
    pub skip_verify_certificate: bool,
    /// Trust the CA certificates in this PEM file.
    #[arg(long, global = true)]
    pub ca_file: Option<PathBuf>,
    /// Firewall serial to reach through Panorama (env: PANOS_TARGET).
    #[arg(long, global = true)]
    pub target: Option<String>,
    /// Virtual system (default: the device's default).
    #[arg(long, global = true)]
    pub vsys: Option<String>,
    /// HTTP request timeout in seconds (default 60).
    #[arg(long, global = true)]
    pub request_timeout: Option<u64>,
}

impl ConnectionFlags {
    /// These flags with every flag not given here taken from `before` (the same flags given
    /// before the subcommand, `panops --hostname fw op ...`): the nearer flag wins.
    pub fn or(self, before: EarlyConnectionFlags) -> Self {
        Self {
            profile: self.profile.or(before.profile),
            hostname: self.hostname.or(before.hostname),
            port: self.port.or(before.port),
            protocol: self.protocol.or(before.protocol),
            username: self.username.or(before.username),
            password_stdin: self.password_stdin || before.password_stdin,
            api_key_file: self.api_key_file.or(before.api_key_file),
            skip_verify_certificate: self.skip_verify_certificate || before.skip_verify_certificate,
            ca_file: self.ca_file.or(before.ca_file),
            target: self.target.or(before.target),
            vsys: self.vsys.or(before.vsys),
            request_timeout: self.request_timeout.or(before.request_timeout),
        }
    }
}

/// The connection flags that apply to an SCM tenant (`panops scm`): the OAuth2 client and
/// tenant come from the profile or the `SCM_*` environment, so the PAN-OS host, port, user,
/// key file, target and vsys flags are not offered there. Not global: they are offered on
/// `panops scm` itself and on the subcommands that reach the tenant, not on `scm catalog` or
/// `scm describe`, which read the built-in catalog only.
#[derive(Debug, Clone, Default, clap::Args)]
#[command(next_help_heading = "Connection options")]
pub struct ScmConnectionFlags {
    /// Profile name from the config file (env: PANOPS_PROFILE).
    #[arg(long, env = "PANOPS_PROFILE")]
    pub profile: Option<String>,
    /// Do not verify the TLS certificates of the SCM and token hosts.
    #[arg(long)]
    pub skip_verify_certificate: bool,
    /// Trust the CA certificates in this PEM file.
    #[arg(long)]
    pub ca_file: Option<PathBuf>,
    /// HTTP request timeout in seconds (default 60).
    #[arg(long)]
    pub request_timeout: Option<u64>,
}

impl ScmConnectionFlags {
    /// These flags (given after a subcommand) over `outer` (given before it, on `panops scm`).
    pub fn over(self, outer: ScmConnectionFlags) -> ScmConnectionFlags {
        ScmConnectionFlags {
            profile: self.profile.or(outer.profile),
            skip_verify_certificate: self.skip_verify_certificate || outer.skip_verify_certificate,
            ca_file: self.ca_file.or(outer.ca_file),
            request_timeout: self.request_timeout.or(outer.request_timeout),
        }
    }

    /// As [`ConnectionFlags`] (the PAN-OS-only ones unset), merged with `before` like
    /// [`ConnectionFlags::or`].
    pub fn or(self, before: EarlyConnectionFlags) -> ConnectionFlags {
        ConnectionFlags {
            profile: self.profile,
            skip_verify_certificate: self.skip_verify_certificate,
            ca_file: self.ca_file,
            request_timeout: self.request_timeout,
            ..ConnectionFlags::default()
        }
        .or(before)
    }
}

/// The connection flags given before the subcommand (`panops --target SERIAL op ...`, as the
/// README and existing scripts write them). Accepted but hidden from the top-level help, which
/// would otherwise list them for `sim` and `demo` too; merged with [`ConnectionFlags::or`].
/// Same names, types and order as [`ConnectionFlags`] (a unit test checks it).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct EarlyConnectionFlags {
    /// See [`ConnectionFlags::profile`].
    #[arg(long, hide = true)]
    pub profile: Option<String>,
    /// See [`ConnectionFlags::hostname`].
    #[arg(long, hide = true)]
    pub hostname: Option<String>,
    /// See [`ConnectionFlags::port`].
    #[arg(long, hide = true)]
    pub port: Option<u16>,
    /// See [`ConnectionFlags::protocol`].
    #[arg(long, hide = true)]
    pub protocol: Option<String>,
    /// See [`ConnectionFlags::username`].
    #[arg(long, hide = true)]
    pub username: Option<String>,
    /// See [`ConnectionFlags::password_stdin`].
    #[arg(long, hide = true)]
    pub password_stdin: bool,
    /// See [`ConnectionFlags::api_key_file`].
    #[arg(long, hide = true)]
    pub api_key_file: Option<PathBuf>,
    /// See [`ConnectionFlags::skip_verify_certificate`].
    #[arg(long, hide = true)]
    pub skip_verify_certificate: bool,
    /// See [`ConnectionFlags::ca_file`].
    #[arg(long, hide = true)]
    pub ca_file: Option<PathBuf>,
    /// See [`ConnectionFlags::target`].
    #[arg(long, hide = true)]
    pub target: Option<String>,
    /// See [`ConnectionFlags::vsys`].
    #[arg(long, hide = true)]
    pub vsys: Option<String>,
    /// See [`ConnectionFlags::request_timeout`].
    #[arg(long, hide = true)]
    pub request_timeout: Option<u64>,
}

/// Fully resolved PAN-OS connection settings.
pub struct PanosSettings {
    /// Hostname.
    pub hostname: String,
    /// Port.
    pub port: Option<u16>,
    /// `https` or `http`.
    pub protocol: String,
    /// User name for keygen.
    pub username: Option<String>,
    /// Password for keygen.
    pub password: Option<SecretString>,
    /// API key.
    pub api_key: Option<SecretString>,
    /// Whether TLS verification is skipped.
    pub skip_verify: bool,
    /// CA bundle.
    pub ca_file: Option<PathBuf>,
    /// Target serial.
    pub target: Option<String>,
    /// vsys.
    pub vsys: Option<String>,
    /// Timeout.
    pub timeout_secs: u64,
}

/// Source of environment variables, injectable for tests.
pub trait Env {
    /// Returns the variable's value if set and not empty.
    fn get(&self, name: &str) -> Option<String>;
}

/// The process environment.
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn get(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    }
}

/// Path of the profile file: `PANOPS_CONFIG` (empty means "no profile file"), else the
/// platform's config directory (`~/.config/panops/config.toml` on Linux).
pub fn config_path(env: &dyn Env) -> Option<PathBuf> {
    if let Some(p) = env.get("PANOPS_CONFIG") {
        return (!p.is_empty()).then(|| PathBuf::from(p));
    }
    dirs::config_dir().map(|d| d.join("panops").join("config.toml"))
}

/// Loads the profile file of `env` (see [`config_path`]). The default file may be absent
/// (an empty configuration); a file named by `PANOPS_CONFIG` must exist, because a
/// mistyped path would otherwise silently drop every profile.
pub fn load_profiles(env: &dyn Env) -> Result<ConfigFile> {
    let explicit = env.get("PANOPS_CONFIG").is_some_and(|p| !p.is_empty());
    let Some(path) = config_path(env) else {
        return Ok(ConfigFile::default());
    };
    if explicit && !path.exists() {
        bail!(
            "PANOPS_CONFIG names {}, which does not exist (unset PANOPS_CONFIG to use the \
             default profile file, or set it empty to use none)",
            path.display()
        );
    }
    load_config(Some(&path))
}

/// Loads the profile file; a missing file is an empty configuration.
///
/// A syntax error is reported by file, line and column only: the offending line may
/// hold a password, key or client secret, so it is never quoted.
pub fn load_config(path: Option<&Path>) -> Result<ConfigFile> {
    let Some(path) = path else {
        return Ok(ConfigFile::default());
    };
    match std::fs::read_to_string(path) {
        Ok(text) => toml::from_str(&text).map_err(|e| {
            let (line, column) = e
                .span()
                .map(|span| line_column(&text, span.start))
                .unwrap_or((0, 0));
            let what = e
                .message()
                .lines()
                .next()
                .unwrap_or("invalid syntax")
                .to_owned();
            anyhow::anyhow!(
                "cannot read profile file {}: line {line}, column {column}: {}",
                path.display(),
                without_quotes(&what)
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(ConfigFile::default()),
        Err(e) => Err(e).with_context(|| format!("cannot read profile file {}", path.display())),
    }
}

/// 1-based line and column of byte `offset` in `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// A parser message with any quoted fragment of the input removed (toml quotes values in
/// some messages, e.g. "invalid type: string \"hunter2\", expected a boolean").
fn without_quotes(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut quoted = false;
    for c in message.chars() {
        match c {
            '"' => {
                if !quoted {
                    out.push_str("(value hidden)");
                }
                quoted = !quoted;
            }
            _ if !quoted => out.push(c),
            _ => {}
        }
    }
    out
}

/// Picks the named (or default) profile; naming a missing profile is an error.
pub fn select_profile(file: ConfigFile, name: Option<&str>) -> Result<Profile> {
    let wanted = name.map(str::to_string).or(file.default_profile.clone());
    match wanted {
        None => Ok(Profile::default()),
        Some(n) => {
            let mut profiles = file.profiles;
            match profiles.remove(&n) {
                Some(p) => Ok(p),
                None => {
                    let known: Vec<_> = profiles.keys().cloned().collect();
                    bail!(
                        "profile '{n}' is not defined in the profile file (known: {})",
                        if known.is_empty() {
                            "none".to_string()
                        } else {
                            known.join(", ")
                        }
                    )
                }
            }
        }
    }
}

fn read_key_file(path: &Path) -> Result<SecretString> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read API key file {}", path.display()))?;
    let key = text.trim();
    if key.is_empty() {
        bail!("API key file {} is empty", path.display());
    }
    Ok(SecretString::from(key.to_string()))
}

fn parse_bool(name: &str, v: &str) -> Result<bool> {
    match v.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => bail!("{name} must be true or false, not '{v}'"),
    }
}

/// Resolves PAN-OS settings with flag > env > profile precedence.
pub fn resolve_panos(
    flags: &ConnectionFlags,
    env: &dyn Env,
    profile: Profile,
    stdin_password: Option<SecretString>,
) -> Result<PanosSettings> {
    let stdin_password_given = stdin_password.is_some();
    let hostname = flags
        .hostname
        .clone()
        .or_else(|| env.get("PANOS_HOSTNAME"))
        .or(profile.hostname)
        .context(
            "no device given: set --hostname, PANOS_HOSTNAME or a profile (try `panops sim` for a simulator)",
        )?;
    let port = match (flags.port, env.get("PANOS_PORT")) {
        (Some(p), _) => Some(p),
        (None, Some(p)) => Some(
            p.parse()
                .with_context(|| format!("PANOS_PORT must be a port number, not '{p}'"))?,
        ),
        (None, None) => profile.port,
    };
    let protocol = flags
        .protocol
        .clone()
        .or_else(|| env.get("PANOS_PROTOCOL"))
        .or(profile.protocol)
        .unwrap_or_else(|| "https".to_string());
    if protocol != "https" && protocol != "http" {
        bail!("protocol must be https or http, not '{protocol}'");
    }
    let skip_verify = if flags.skip_verify_certificate {
        true
    } else if let Some(v) = env.get("PANOS_SKIP_VERIFY_CERTIFICATE") {
        parse_bool("PANOS_SKIP_VERIFY_CERTIFICATE", &v)?
    } else {
        profile.skip_verify_certificate.unwrap_or(false)
    };
    // Key: --api-key-file > PANOS_API_KEY > the profile's api_key_file / api_key. A key that
    // only the profile gives is dropped when the environment supplies a password, as pan-python
    // drops an inherited key when it is given credentials: the nearer source wins.
    let password = stdin_password
        .or_else(|| env.get("PANOS_PASSWORD").map(SecretString::from))
        .or(profile.password);
    let nearer_password = stdin_password_given || env.get("PANOS_PASSWORD").is_some();
    let api_key = if let Some(path) = &flags.api_key_file {
        Some(read_key_file(path)?)
    } else if let Some(key) = env.get("PANOS_API_KEY") {
        Some(SecretString::from(key))
    } else if nearer_password {
        None
    } else if let Some(path) = &profile.api_key_file {
        Some(read_key_file(path)?)
    } else {
        profile.api_key
    };
    Ok(PanosSettings {
        hostname,
        port,
        protocol,
        username: flags
            .username
            .clone()
            .or_else(|| env.get("PANOS_USERNAME"))
            .or(profile.username),
        password,
        api_key,
        skip_verify,
        ca_file: flags.ca_file.clone().or(profile.ca_file),
        target: flags
            .target
            .clone()
            .or_else(|| env.get("PANOS_TARGET"))
            .or(profile.target),
        vsys: flags.vsys.clone().or(profile.vsys),
        timeout_secs: flags.request_timeout.or(profile.timeout_secs).unwrap_or(60),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    struct MapEnv(Vec<(&'static str, &'static str)>);
    impl Env for MapEnv {
        fn get(&self, name: &str) -> Option<String> {
            self.0
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    fn profile(text: &str) -> Profile {
        let file: ConfigFile = toml::from_str(text).unwrap();
        select_profile(file, None).unwrap()
    }

    #[test]
    fn flag_beats_env_beats_profile() {
        let p = profile(
            "default_profile='lab'\n[profiles.lab]\nhostname='from-profile'\nport=1\ntarget='P'\n",
        );
        let env = MapEnv(vec![("PANOS_HOSTNAME", "from-env"), ("PANOS_TARGET", "E")]);
        let flags = ConnectionFlags {
            hostname: Some("from-flag".into()),
            ..Default::default()
        };
        let s = resolve_panos(&flags, &env, p, None).unwrap();
        assert_eq!(s.hostname, "from-flag");
        assert_eq!(s.target.as_deref(), Some("E"));
        assert_eq!(s.port, Some(1));
        assert_eq!(s.protocol, "https");
        assert!(!s.skip_verify, "TLS verification is on by default");
    }

    #[test]
    fn env_key_and_skip_verify() {
        let env = MapEnv(vec![
            ("PANOS_HOSTNAME", "h"),
            ("PANOS_API_KEY", "k3y"),
            ("PANOS_SKIP_VERIFY_CERTIFICATE", "true"),
        ]);
        let s = resolve_panos(&ConnectionFlags::default(), &env, Profile::default(), None).unwrap();
        assert_eq!(s.api_key.unwrap().expose_secret(), "k3y");
        assert!(s.skip_verify);
    }

    #[test]
    fn env_key_beats_the_profile_key_file_and_env_password_drops_a_profile_key() {
        let dir = tempfile::tempdir().unwrap();
        let key_file = dir.path().join("key");
        std::fs::write(&key_file, "from-profile-file\n").unwrap();
        let text = format!(
            "default_profile='lab'\n[profiles.lab]\nhostname='h'\napi_key_file='{}'\n",
            key_file.display()
        );
        let key = |env: MapEnv, flags: &ConnectionFlags| {
            resolve_panos(flags, &env, profile(&text), None)
                .unwrap()
                .api_key
                .map(|k| k.expose_secret().to_string())
        };
        let none = ConnectionFlags::default();
        assert_eq!(
            key(MapEnv(vec![]), &none).as_deref(),
            Some("from-profile-file")
        );
        assert_eq!(
            key(MapEnv(vec![("PANOS_API_KEY", "from-env")]), &none).as_deref(),
            Some("from-env")
        );
        // Credentials in the environment are nearer than a key in the profile.
        let env_creds = || MapEnv(vec![("PANOS_USERNAME", "u"), ("PANOS_PASSWORD", "p")]);
        assert_eq!(key(env_creds(), &none), None);
        let flag_file = dir.path().join("flag-key");
        std::fs::write(&flag_file, "from-flag-file").unwrap();
        let flags = ConnectionFlags {
            api_key_file: Some(flag_file),
            ..Default::default()
        };
        assert_eq!(
            key(MapEnv(vec![("PANOS_API_KEY", "from-env")]), &flags).as_deref(),
            Some("from-flag-file")
        );
        std::fs::write(&key_file, "  \n").unwrap();
        let e = resolve_panos(&none, &MapEnv(vec![]), profile(&text), None)
            .err()
            .unwrap();
        assert!(e.to_string().contains("is empty"), "{e}");
    }

    #[test]
    fn bad_values_name_the_variable() {
        let env = MapEnv(vec![("PANOS_HOSTNAME", "h"), ("PANOS_PORT", "eighty")]);
        let e = resolve_panos(&ConnectionFlags::default(), &env, Profile::default(), None)
            .err()
            .unwrap();
        assert!(e.to_string().contains("PANOS_PORT"), "{e}");
    }

    #[test]
    fn missing_host_is_explained() {
        let e = resolve_panos(
            &ConnectionFlags::default(),
            &MapEnv(vec![]),
            Profile::default(),
            None,
        )
        .err()
        .unwrap();
        assert!(e.to_string().contains("PANOS_HOSTNAME"), "{e}");
    }

    #[test]
    fn unknown_profile_lists_known_ones() {
        let file: ConfigFile = toml::from_str("[profiles.a]\n[profiles.b]\n").unwrap();
        let e = select_profile(file, Some("c")).unwrap_err().to_string();
        assert!(e.contains("'c'") && e.contains("a, b"), "{e}");
    }

    #[test]
    fn early_flags_mirror_the_connection_flags() {
        use clap::Args;
        let ids = |cmd: clap::Command| -> Vec<(String, Option<String>)> {
            cmd.get_arguments()
                .map(|a| (a.get_id().to_string(), a.get_long().map(str::to_string)))
                .collect()
        };
        let early = ids(EarlyConnectionFlags::augment_args(clap::Command::new("t")));
        let flags = ids(ConnectionFlags::augment_args(clap::Command::new("t")));
        assert_eq!(early, flags);
        assert!(!flags.is_empty());
    }

    #[test]
    fn flags_after_the_subcommand_win_over_flags_before_it() {
        let after = ConnectionFlags {
            hostname: Some("after".into()),
            ..Default::default()
        };
        let before = EarlyConnectionFlags {
            hostname: Some("before".into()),
            target: Some("007".into()),
            skip_verify_certificate: true,
            ..Default::default()
        };
        let merged = after.or(before);
        assert_eq!(merged.hostname.as_deref(), Some("after"));
        assert_eq!(merged.target.as_deref(), Some("007"));
        assert!(merged.skip_verify_certificate);
    }

    #[test]
    fn profile_debug_hides_secrets() {
        let p =
            profile("default_profile='x'\n[profiles.x]\napi_key='SUPERSECRET'\npassword='pw123'\n");
        let shown = format!("{p:?}");
        assert!(
            !shown.contains("SUPERSECRET") && !shown.contains("pw123"),
            "{shown}"
        );
    }
}
