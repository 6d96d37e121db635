//! `panops guest end|start|radius`: a drop-in for a guest agent's PAN-OS adapter, configured
//! by the `FIREWALL_*` variables such agents use (they win over `PANOS_*` and profiles).

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use panops_guest::radius::{RadiusConfig, RadiusListener, read_secret_file};
use panops_guest::{
    EndOptions, ErrorKind, FirewallEnv, Guest, GuestOptions, StartOptions, Visit, VisitReport,
    parse_batch,
};
use secrecy::SecretString;
use serde_json::Value;

use crate::exit::{UsageError, as_usage, usage_bail};
use crate::output::{self, Format, Rendered};
use crate::settings::{self, ConnectionFlags, Env, ProcessEnv};

/// Guest access: end or start a visit, or listen for RADIUS accounting.
#[derive(Debug, clap::Subcommand)]
pub enum GuestCmd {
    /// End a visit: log the visitor's User-ID mapping out, optionally clear their sessions,
    /// verify. Already over: success, nothing done. Exit codes: 0 done, 1 device refused or
    /// verification failed, 2 bad input, 3 unreachable, 4 permission, 5 TLS, 6 timeout,
    /// 7 the IP belongs to another user, 8 no mapping (with --require-mapping).
    End(EndArgs),
    /// Start a visit: map the IP to the user (and register a tag for a dynamic address group).
    Start(StartArgs),
    /// Listen for RADIUS accounting: Start -> login, Interim-Update -> refresh, Stop -> end.
    Radius(RadiusArgs),
}

/// `panops guest end`.
#[derive(Debug, clap::Args)]
pub struct EndArgs {
    /// The visitor's IP.
    #[arg(long, required_unless_present = "from", conflicts_with = "from")]
    ip: Option<String>,
    /// The visitor's user (looked up from the mapping when not given; a different mapped
    /// user is refused).
    #[arg(long, conflicts_with = "from")]
    user: Option<String>,
    /// Read many visits (CSV `ip[,user]` or NDJSON `{"ip":…,"user":…}`) from FILE, or `-`
    /// for standard input. One result line per visit.
    #[arg(long, value_name = "FILE|-")]
    from: Option<String>,
    /// Also terminate the visitor's sessions (needs the Operational Requests permission).
    #[arg(long)]
    clear_sessions: bool,
    /// Also unregister this tag from the IP (dynamic address group membership).
    #[arg(long)]
    tag: Option<String>,
    /// Only show what would be done.
    #[arg(long)]
    dry_run: bool,
    /// Exit 8 when the IP has no User-ID mapping (default: success, the visit is over).
    /// For agents that must notice RADIUS accounting or IP tracking being broken.
    #[arg(long)]
    require_mapping: bool,
    /// Most requests in flight to the firewall.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    concurrency: u16,
}

/// `panops guest start`.
#[derive(Debug, clap::Args)]
pub struct StartArgs {
    /// The visitor's IP.
    #[arg(long)]
    ip: String,
    /// The visitor's user.
    #[arg(long)]
    user: String,
    /// Mapping timeout in minutes (0: never; default: the firewall's setting).
    #[arg(long, value_name = "MIN")]
    timeout: Option<u32>,
    /// Register this tag on the IP (dynamic address groups), with the same timeout.
    #[arg(long)]
    tag: Option<String>,
    /// Only show what would be done.
    #[arg(long)]
    dry_run: bool,
}

/// `panops guest radius`.
#[derive(Debug, clap::Args)]
pub struct RadiusArgs {
    /// UDP address to listen on.
    #[arg(long, default_value = "0.0.0.0:1813")]
    listen: String,
    /// File holding the RADIUS shared secret.
    #[arg(long)]
    secret_file: PathBuf,
    /// Clear the visitor's sessions on Stop.
    #[arg(long)]
    clear_sessions: bool,
    /// Answer Start without creating a mapping (only Stop acts).
    #[arg(long)]
    no_start: bool,
    /// Mapping timeout in minutes for Start / Interim-Update.
    #[arg(long, value_name = "MIN")]
    timeout: Option<u32>,
    /// Register (Start) and unregister (Stop) this tag on the visitor's IP.
    #[arg(long)]
    tag: Option<String>,
    /// Keep the outage queue in this file (so no visit end is lost across restarts).
    #[arg(long)]
    queue_file: Option<PathBuf>,
    /// Most visits held in the outage queue.
    #[arg(long, default_value_t = 100_000)]
    queue_limit: usize,
    /// How long requests are gathered into one batch, in milliseconds.
    #[arg(long, default_value_t = 50)]
    batch_window_ms: u64,
}

/// `FIREWALL_*` variables over the process environment: the agent names win.
struct GuestEnv {
    fw: FirewallEnv,
}

impl Env for GuestEnv {
    fn get(&self, name: &str) -> Option<String> {
        let fw = &self.fw;
        let over = match name {
            "PANOS_HOSTNAME" => fw.host.clone(),
            "PANOS_PORT" => fw.port.map(|p| p.to_string()),
            "PANOS_PROTOCOL" => fw.protocol.map(|p| p.scheme().to_string()),
            "PANOS_API_KEY" => fw.api_key.as_ref().map(|k| k.expose().to_string()),
            "PANOS_SKIP_VERIFY_CERTIFICATE" => fw.verify_tls.map(|v| (!v).to_string()),
            "PANOS_TARGET" => fw.target.clone(),
            _ => None,
        };
        over.or_else(|| ProcessEnv.get(name))
    }
}

/// The guest engine from flags, `FIREWALL_*`, `PANOS_*` and the profile, in that order.
fn connect(flags: &ConnectionFlags, concurrency: usize) -> Result<Guest> {
    let fw = FirewallEnv::from_env(|n| std::env::var(n).ok()).map_err(|e| as_usage(e.into()))?;
    let env = GuestEnv { fw: fw.clone() };
    let file = settings::load_profiles(&env).map_err(as_usage)?;
    let profile = settings::select_profile(file, flags.profile.as_deref()).map_err(as_usage)?;
    let stdin_password = if flags.password_stdin {
        let mut pw = String::new();
        std::io::stdin()
            .read_to_string(&mut pw)
            .context("cannot read the password from standard input")?;
        Some(SecretString::from(
            pw.trim_end_matches(['\r', '\n']).to_string(),
        ))
    } else {
        None
    };
    let mut s = settings::resolve_panos(flags, &env, profile, stdin_password).map_err(|e| {
        as_usage(e.context("set FIREWALL_HOST (the firewall's management interface) or --hostname"))
    })?;
    if let Some(ca) = fw.ca_file.clone() {
        s.ca_file = Some(ca);
    }
    if let Some(v) = fw.vsys.clone() {
        s.vsys = Some(v);
    }
    if s.api_key.is_none() && (s.username.is_none() || s.password.is_none()) {
        usage_bail!(
            "no credentials: set FIREWALL_API_KEY (or FIREWALL_API_KEY_FILE), or PANOS_API_KEY"
        );
    }
    let host = match s.port {
        Some(p) if s.hostname.contains(':') => format!("[{}]:{p}", s.hostname),
        Some(p) => format!("{}:{p}", s.hostname),
        None => s.hostname.clone(),
    };
    let vsys = s.vsys.clone();
    let client = crate::panos_cmd::client_from(&s)?;
    Ok(Guest::new(
        client,
        GuestOptions {
            concurrency,
            vsys,
            host,
            ..Default::default()
        },
    ))
}

fn exit_for(kind: Option<ErrorKind>) -> ExitCode {
    ExitCode::from(match kind {
        None => 0,
        Some(ErrorKind::Input | ErrorKind::Config) => 2,
        Some(ErrorKind::Unreachable) => 3,
        Some(ErrorKind::Permission) => 4,
        Some(ErrorKind::Tls) => 5,
        Some(ErrorKind::Timeout) => 6,
        Some(ErrorKind::UserMismatch) => 7,
        Some(ErrorKind::Device) => 1,
    })
}

fn print_one(format: Format, r: &VisitReport) -> Result<ExitCode> {
    let value = serde_json::to_value(r)?;
    output::print(format, &Rendered::json(value))?;
    if r.failed() {
        eprintln!("error: {}", r.message);
    }
    Ok(exit_for(r.error))
}

/// One line per visit: compact JSON (NDJSON) or a table row.
fn print_batch(format: Format, reports: &[VisitReport], requests: u64) -> Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    match format {
        Format::Table => {
            let rows: Vec<Value> = reports
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "line": r.line, "ip": r.ip, "user": r.mapped_user.as_ref().or(r.user.as_ref()),
                        "outcome": r.outcome, "sessions cleared": r.sessions_cleared, "message": r.message,
                    })
                })
                .collect();
            writeln!(out, "{}", output::table(&Value::Array(rows)))?;
        }
        _ => {
            for r in reports {
                writeln!(out, "{}", serde_json::to_string(r)?)?;
            }
        }
    }
    let failed = reports.iter().filter(|r| r.failed()).count();
    eprintln!(
        "{} visit(s): {} ok, {failed} failed; {requests} API request(s)",
        reports.len(),
        reports.len() - failed
    );
    if failed == 0 {
        return Ok(ExitCode::SUCCESS);
    }
    // all failed for the same reason (the firewall is down): that reason's code
    let first = reports.iter().find_map(|r| r.error);
    if failed == reports.len() && reports.iter().all(|r| r.error == first) {
        return Ok(exit_for(first));
    }
    Ok(ExitCode::from(1))
}

fn read_input(from: &str) -> Result<Vec<u8>> {
    let limit = panops_guest::visit::MAX_BATCH_BYTES as u64 + 1;
    let mut buf = Vec::new();
    if from == "-" {
        std::io::stdin()
            .take(limit)
            .read_to_end(&mut buf)
            .context("cannot read standard input")?;
    } else {
        let f = std::fs::File::open(from)
            .map_err(|e| UsageError(format!("cannot open --from {from}: {e}")))?;
        f.take(limit)
            .read_to_end(&mut buf)
            .with_context(|| format!("cannot read {from}"))?;
    }
    Ok(buf)
}

/// Run a guest command.
pub async fn run(cmd: GuestCmd, format: Format, conn: &ConnectionFlags) -> Result<ExitCode> {
    match cmd {
        GuestCmd::End(a) => {
            let opts = EndOptions {
                clear_sessions: a.clear_sessions,
                tag: a.tag.clone(),
                dry_run: a.dry_run,
            };
            if let Some(from) = &a.from {
                // read and check the input before connecting: bad input is never sent
                let lines = parse_batch(&read_input(from)?).map_err(|e| as_usage(e.into()))?;
                let guest = connect(conn, a.concurrency as usize)?;
                let report = guest.end_batch(lines, &opts).await;
                return print_batch(format, &report.visits, report.requests);
            }
            let ip = a.ip.as_deref().unwrap_or_default();
            let visit = Visit::new(ip, a.user.as_deref()).map_err(|e| as_usage(e.into()))?;
            let guest = connect(conn, a.concurrency as usize)?;
            let r = guest.end(&visit, &opts).await;
            let code = print_one(format, &r)?;
            if a.require_mapping && !r.failed() && r.mapped_user.is_none() {
                eprintln!("error: {}", r.message);
                return Ok(ExitCode::from(8));
            }
            Ok(code)
        }
        GuestCmd::Start(a) => {
            let visit = Visit::new(&a.ip, Some(&a.user)).map_err(|e| as_usage(e.into()))?;
            let guest = connect(conn, 4)?;
            let r = guest
                .start(
                    &visit,
                    &StartOptions {
                        timeout_minutes: a.timeout,
                        tag: a.tag,
                        dry_run: a.dry_run,
                    },
                )
                .await;
            print_one(format, &r)
        }
        GuestCmd::Radius(a) => {
            let secret = read_secret_file(&a.secret_file).map_err(|e| as_usage(e.into()))?;
            let guest = Arc::new(connect(conn, 4)?);
            let mut cfg = RadiusConfig::new(secret);
            cfg.start_visits = !a.no_start;
            cfg.end = EndOptions {
                clear_sessions: a.clear_sessions,
                tag: a.tag.clone(),
                dry_run: false,
            };
            cfg.start = StartOptions {
                timeout_minutes: a.timeout,
                tag: a.tag,
                dry_run: false,
            };
            cfg.queue_file = a.queue_file;
            cfg.queue_limit = a.queue_limit.max(1);
            cfg.batch_window = Duration::from_millis(a.batch_window_ms.min(10_000));
            let listener = RadiusListener::bind(&a.listen, cfg)
                .await
                .map_err(|e| as_usage(e.into()))?;
            let addr = listener
                .local_addr()
                .map(|a| a.to_string())
                .unwrap_or_else(|| a.listen.clone());
            eprintln!("panops guest radius listening on udp {addr}");
            let snap = listener.run(guest, shutdown_signal()).await?;
            output::print(format, &Rendered::json(serde_json::to_value(&snap)?))?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Ctrl-C or SIGTERM (how service managers stop a listener).
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
