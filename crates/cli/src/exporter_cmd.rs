//! `panops exporter` and `panops check`: thin front-ends over `panops-exporter`.

use std::{io::Read, path::PathBuf, process::ExitCode, time::Duration};

use anyhow::{Context, Result};
use panops_exporter::{
    check::{self, CheckTarget, Outcome},
    server::{self, Exporter, Source},
    targets::{Defaults, TargetConfig, TargetKind, TargetsFile},
};
use panops_panos::Secret;
use secrecy::ExposeSecret;

use crate::{
    exit::{as_usage, usage_bail},
    settings::{self, ConnectionFlags},
};

/// `panops exporter`.
#[derive(Debug, clap::Args)]
pub struct ExporterCmd {
    /// Targets file (YAML). Without it, the one device of the connection options is served.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Listen address.
    #[arg(long, default_value = "127.0.0.1:9163")]
    pub listen: String,
    /// The single target is a Panorama: its connected firewalls are collected too.
    #[arg(long)]
    pub panorama: bool,
    /// Password file for keygen in single-target mode (with --username).
    #[arg(long, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
}

/// `panops check`.
#[derive(Debug, clap::Args)]
pub struct CheckCmd {
    /// What to check: load, system, sessions, throughput, disk, thermal, environmental, ha,
    /// certificates, licenses, interfaces, bgp, antivirus, threat, app, userid.
    pub mode: String,
    /// Warning threshold (Nagios range; for days-left modes a bare N means below N).
    #[arg(short = 'w', long = "warning", allow_hyphen_values = true)]
    pub warning: Option<String>,
    /// Critical threshold (Nagios range).
    #[arg(short = 'c', long = "critical", allow_hyphen_values = true)]
    pub critical: Option<String>,
    /// Targets file; `--target NAME` then picks its target (default: the only one).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Password file for keygen (with --username).
    #[arg(long, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
    /// Where the generated API key is kept between runs (mode 0600; default in the
    /// user's cache directory).
    #[arg(long, value_name = "FILE")]
    pub key_cache: Option<PathBuf>,
}

fn read_stdin_password(flags: &ConnectionFlags) -> Result<Option<secrecy::SecretString>> {
    if !flags.password_stdin {
        return Ok(None);
    }
    let mut pw = String::new();
    std::io::stdin()
        .read_to_string(&mut pw)
        .context("cannot read the password from standard input")?;
    Ok(Some(secrecy::SecretString::from(
        pw.trim_end_matches(['\r', '\n']).to_string(),
    )))
}

/// The device of the connection options as a target.
fn single_target(
    flags: &ConnectionFlags,
    password_file: Option<PathBuf>,
    kind: TargetKind,
) -> Result<TargetConfig> {
    let env = settings::ProcessEnv;
    let file = settings::load_profiles(&env).map_err(as_usage)?;
    let profile = settings::select_profile(file, flags.profile.as_deref()).map_err(as_usage)?;
    let stdin = read_stdin_password(flags)?;
    let s = settings::resolve_panos(flags, &env, profile, stdin).map_err(as_usage)?;
    let api_key = s
        .api_key
        .as_ref()
        .map(|k| Secret::new(k.expose_secret().to_string()));
    let password = s
        .password
        .as_ref()
        .map(|p| Secret::new(p.expose_secret().to_string()));
    let (api_key, username, password) = match (api_key, &s.username, password, &password_file) {
        (Some(k), _, _, _) => (Some(k), None, None),
        (None, Some(u), Some(p), _) => (None, Some(u.clone()), Some(p)),
        (None, Some(u), None, Some(_)) => (None, Some(u.clone()), None),
        _ => usage_bail!(
            "no credentials: give --api-key-file (or PANOS_API_KEY), or --username with --password-file, --password-stdin or PANOS_PASSWORD"
        ),
    };
    Ok(TargetConfig {
        name: s.hostname.clone(),
        kind,
        host: s.hostname.clone(),
        port: s.port,
        protocol: Some(s.protocol.clone()),
        ca_file: s.ca_file.clone(),
        insecure_skip_verify: s.skip_verify,
        api_key_file: None,
        username,
        password_file: if password.is_none() {
            password_file
        } else {
            None
        },
        labels: Default::default(),
        timeout_secs: Some(
            s.timeout_secs
                .max(panops_exporter::targets::MIN_TIMEOUT_SECS),
        ),
        pool: None,
        collectors: Default::default(),
        api_key,
        password,
    })
}

/// Runs `panops exporter` until interrupted.
pub async fn run_exporter(cmd: ExporterCmd, flags: &ConnectionFlags) -> Result<ExitCode> {
    let source = match &cmd.config {
        Some(p) => {
            if flags.hostname.is_some() {
                usage_bail!("give either --config or --hostname, not both");
            }
            Source::File(p.clone())
        }
        None => {
            let kind = if cmd.panorama {
                TargetKind::Panorama
            } else {
                TargetKind::Firewall
            };
            Source::Single(Box::new(single_target(
                flags,
                cmd.password_file.clone(),
                kind,
            )?))
        }
    };
    let ex = Exporter::start(source).map_err(|e| as_usage(e.into()))?;
    let (listener, addr) = server::bind(&cmd.listen)
        .await
        .with_context(|| format!("cannot listen on {}", cmd.listen))?;
    // the address line lets scripts and tests find a port-0 listener
    println!("panops exporter listening on http://{addr}");
    tracing::info!(%addr, "exporter listening");
    tokio::select! {
        r = server::serve(ex, listener) => r.context("HTTP server failed")?,
        _ = tokio::signal::ctrl_c() => {}
    }
    Ok(ExitCode::SUCCESS)
}

fn default_key_cache(t: &TargetConfig) -> Option<PathBuf> {
    let user = t.username.as_deref()?;
    let safe = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    };
    dirs::cache_dir().map(|d| {
        d.join("panops").join(format!(
            "check-{}-{}-{}.key",
            safe(&t.host),
            t.port.unwrap_or(0),
            safe(user)
        ))
    })
}

/// Runs `panops check`: prints the plugin line and exits 0/1/2/3.
pub async fn run_check(cmd: CheckCmd, flags: &ConnectionFlags) -> Result<ExitCode> {
    let finish = |o: Outcome, mode: &str| {
        println!("{}", o.render(mode));
        Ok(ExitCode::from(o.status.exit_code()))
    };
    let Some(mode) = check::mode(&cmd.mode) else {
        let names: Vec<&str> = check::MODES.iter().map(|m| m.name).collect();
        return finish(
            Outcome::unknown(format!(
                "unknown mode {:?}; modes: {}",
                cmd.mode,
                names.join(", ")
            )),
            &cmd.mode,
        );
    };
    let w = cmd.warning.as_deref().unwrap_or(mode.defaults.0);
    let c = cmd.critical.as_deref().unwrap_or(mode.defaults.1);
    let (warn, crit) = match (mode.threshold(w), mode.threshold(c)) {
        (Ok(w), Ok(c)) => (w, c),
        (Err(e), _) | (_, Err(e)) => return finish(Outcome::unknown(e), mode.name),
    };
    let resolved: Result<(TargetConfig, Defaults, Option<String>)> = match &cmd.config {
        Some(path) => (|| {
            let f = TargetsFile::load(path).map_err(|e| as_usage(e.into()))?;
            let t = match (&flags.target, f.targets.as_slice()) {
                (Some(name), _) => f
                    .target(name)
                    .cloned()
                    .with_context(|| format!("no target {name:?} in {}", path.display()))?,
                (None, [one]) => one.clone(),
                (None, _) => usage_bail!(
                    "{} has several targets: pick one with --target NAME",
                    path.display()
                ),
            };
            Ok((t, f.defaults.clone(), None))
        })(),
        None => single_target(flags, cmd.password_file.clone(), TargetKind::Firewall)
            .map(|t| (t, Defaults::default(), flags.target.clone())),
    };
    let (config, defaults, serial) = match resolved {
        Ok(r) => r,
        Err(e) => return finish(Outcome::unknown(format!("{e:#}")), mode.name),
    };
    let key_cache = cmd.key_cache.clone().or_else(|| default_key_cache(&config));
    let target = CheckTarget {
        config,
        defaults: Defaults {
            timeout_secs: defaults.timeout_secs,
            ..defaults
        },
        key_cache,
        serial,
    };
    let outcome = tokio::time::timeout(
        Duration::from_secs(target.defaults.timeout_secs * 3),
        check::run(&target, mode, &warn, &crit),
    )
    .await
    .unwrap_or_else(|_| Outcome::unknown("the check did not finish in time"));
    finish(outcome, mode.name)
}
