//! `panops cert`: inventory, deploy with automatic rollback, manual rollback, the process
//! record. A thin front-end over `panops-certs` and `panops-store`.
//!
//! Exit codes: 0 success / no alarm; 1 error; 2 invalid input (nothing sent);
//! 3 `inventory`: at least one certificate is expiring, expired, not yet valid, missing its key
//! or missing; `deploy`: the deployment failed and was rolled back completely;
//! 4 a rollback failed: the process record says what is left;
//! 5 `deploy`: deployed and verified, but the replace-mode cleanup failed (the superseded
//! certificate is left in place; the warning and the record say what was left).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use panops_certs::deploy::{DeployError, DeployRequest, Deployer, Location, Mode, Timing};
use panops_certs::material::{self, Bundle};
use panops_store::{ProcessFilter, ProcessState, Store};
use serde_json::{Value, json};

use crate::exit::{UsageError, as_usage};
use crate::output::{self, Format, Rendered};
use crate::settings::ConnectionFlags;

/// Certificate commands.
#[derive(Debug, Args)]
pub struct CertCmd {
    /// Process database: sqlite:PATH or postgres://user@host/db (default: sqlite in the user
    /// data directory).
    #[arg(long, global = true, env = "PANOPS_DB")]
    db: Option<String>,
    #[command(subcommand)]
    cmd: CertSub,
}

/// `panops cert renew` options.
#[derive(Debug, clap::Args)]
struct RenewArgs {
    /// Directory of replacement certificates (NAME.pem + NAME.key, or certbot's live/DOMAIN/).
    #[arg(
        long,
        required_unless_present = "acme_directory",
        conflicts_with = "acme_directory"
    )]
    source_dir: Option<PathBuf>,
    /// ACME (RFC 8555) directory URL to order replacements from, https:// only.
    #[arg(long)]
    acme_directory: Option<String>,
    /// PEM root that signs the ACME server's TLS certificate (private or test CAs).
    #[arg(long, requires = "acme_directory")]
    acme_ca_file: Option<PathBuf>,
    /// ACME account credentials: reused when present, else created there with mode 0600.
    #[arg(long, requires = "acme_directory")]
    acme_account_file: Option<PathBuf>,
    /// Contact e-mail for a new ACME account (repeatable).
    #[arg(long, requires = "acme_directory")]
    acme_contact: Vec<String>,
    /// Address to answer http-01 challenges on (the CA must reach it as port 80 of each name).
    #[arg(long, requires = "acme_directory")]
    acme_http_listen: Option<std::net::SocketAddr>,
    /// Key type of ACME-issued certificates: ec-p256, ec-p384, rsa2048, rsa3072 or rsa4096.
    #[arg(long, requires = "acme_directory", default_value = "ec-p256", value_parser = parse_key_type)]
    key_type: panops_certs::acme::KeyType,
    /// Template whose certificates are renewed.
    #[arg(long)]
    template: String,
    /// Device group whose decryption rules use them.
    #[arg(long)]
    device_group: Option<String>,
    /// Days before not-after that count as expiring.
    #[arg(long, default_value_t = 30)]
    warn_days: i64,
    /// append or replace (default replace: the renewed certificate takes the old one's place).
    #[arg(long, value_enum, default_value = "replace")]
    mode: ModeArg,
    /// Panorama admin of the API key (default: --username / PANOS_USERNAME).
    #[arg(long, env = "PANOPS_CERT_ADMIN")]
    admin: Option<String>,
    /// Run as a service: renew every N seconds, forever.
    #[arg(long)]
    schedule: Option<u64>,
    #[command(flatten)]
    timing: TimingArgs,
    /// Connection settings.
    #[command(flatten)]
    conn: ConnectionFlags,
}

impl CertCmd {
    /// The connection flags of the subcommand, `None` for the ones that only read the
    /// process database (`processes`, `process`) and offer none.
    pub fn conn_mut(&mut self) -> Option<&mut ConnectionFlags> {
        match &mut self.cmd {
            CertSub::Inventory { conn, .. }
            | CertSub::Rollback { conn, .. }
            | CertSub::Recover { conn, .. } => Some(conn),
            CertSub::Deploy(a) => Some(&mut a.conn),
            CertSub::Renew(a) => Some(&mut a.conn),
            CertSub::Processes { .. } | CertSub::Process { .. } => None,
        }
    }
}

#[derive(Debug, Subcommand)]
enum CertSub {
    /// Every certificate on the estate and where it is used (exit 3 on any alarm).
    Inventory {
        /// Days before not-after that count as expiring.
        #[arg(long, default_value_t = 30)]
        warn_days: i64,
        /// Connection settings.
        #[command(flatten)]
        conn: ConnectionFlags,
    },
    /// Deploy a certificate through Panorama; rolled back automatically on any failure.
    Deploy(Box<DeployArgs>),
    /// Renew expiring certificates of a template from a certificate directory or an ACME CA.
    Renew(Box<RenewArgs>),
    /// Roll a recorded deployment back (restore bindings, delete its certificate, commit, push).
    Rollback {
        /// The deployment's process id.
        id: String,
        /// Roll back even if the affected objects changed since.
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        timing: TimingArgs,
        /// Connection settings.
        #[command(flatten)]
        conn: ConnectionFlags,
    },
    /// List recorded processes.
    Processes {
        /// Only this state (running, rolling-back, succeeded, stopped, rolled-back, rollback-failed).
        #[arg(long)]
        state: Option<String>,
        /// Only processes affecting this firewall serial.
        #[arg(long)]
        device: Option<String>,
        /// Only processes created in the last N hours.
        #[arg(long)]
        since_hours: Option<u64>,
        /// At most this many.
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// One process: its steps and per-firewall results.
    Process {
        /// Process id.
        id: String,
    },
    /// Roll back processes left mid-way by a panops that was killed.
    Recover {
        /// Processes of other hosts count as interrupted after this many seconds without a
        /// heartbeat (same host: as soon as their pid is gone).
        #[arg(long, default_value_t = 600)]
        stale_secs: u64,
        #[command(flatten)]
        timing: TimingArgs,
        /// Connection settings.
        #[command(flatten)]
        conn: ConnectionFlags,
    },
}

#[derive(Debug, Args)]
struct TimingArgs {
    /// Job poll interval in milliseconds.
    #[arg(long, default_value_t = 2000)]
    poll_ms: u64,
    /// Longest wait for one commit or push job, in seconds.
    #[arg(long, default_value_t = 1800)]
    job_timeout_secs: u64,
    /// Longest wait for another admin's commit lock, in seconds.
    #[arg(long, default_value_t = 300)]
    lock_wait_secs: u64,
}

impl TimingArgs {
    fn timing(&self) -> Timing {
        Timing {
            poll: Duration::from_millis(self.poll_ms.clamp(10, 60_000)),
            job_timeout: Duration::from_secs(self.job_timeout_secs.max(1)),
            lock_wait: Duration::from_secs(self.lock_wait_secs),
        }
    }
}

#[derive(Debug, Args)]
struct DeployArgs {
    /// Certificate (PEM; may hold the chain after the leaf).
    #[arg(long, conflicts_with = "p12", requires = "key")]
    cert: Option<PathBuf>,
    /// Private key (PEM: PKCS#8, encrypted PKCS#8 or PKCS#1).
    #[arg(long, requires = "cert")]
    key: Option<PathBuf>,
    /// Intermediate certificates (PEM).
    #[arg(long)]
    chain: Option<PathBuf>,
    /// PKCS#12 bundle (key, certificate, chain).
    #[arg(long, requires = "passphrase_file")]
    p12: Option<PathBuf>,
    /// File holding the passphrase of the key or bundle.
    #[arg(long)]
    passphrase_file: Option<PathBuf>,
    /// Panorama template to import into.
    #[arg(long)]
    template: Option<String>,
    /// Template stack to import into instead (the stack's own configuration).
    #[arg(long)]
    template_stack: Option<String>,
    /// Device group of the decryption rules; repeatable (rules are looked up in each, and
    /// every group is pushed). Without --template, --template-stack or --shared, the one
    /// device group is also where the certificate is imported.
    #[arg(long = "device-group")]
    device_groups: Vec<String>,
    /// Import into Panorama shared, where the decryption rules of every device group can use
    /// the certificate (pushed with the device groups).
    #[arg(long, conflicts_with_all = ["template", "template_stack"])]
    shared: bool,
    /// Decryption rule (ssl-inbound-inspection) to bind; repeatable.
    #[arg(long = "decryption-rule")]
    decryption_rules: Vec<String>,
    /// SSL/TLS service profile of the template to bind; repeatable.
    #[arg(long = "ssl-tls-profile")]
    ssl_tls_profiles: Vec<String>,
    /// GlobalProtect portal of the template: its SSL/TLS service profile is bound; repeatable.
    #[arg(long = "gp-portal")]
    gp_portals: Vec<String>,
    /// GlobalProtect gateway of the template: its SSL/TLS service profile is bound; repeatable.
    #[arg(long = "gp-gateway")]
    gp_gateways: Vec<String>,
    /// The template's management interface (web UI): its SSL/TLS service profile is bound.
    #[arg(long)]
    management: bool,
    /// Bind everything that references this certificate.
    #[arg(long)]
    replace_cert: Option<String>,
    /// append keeps other certificates of a rule, replace swaps the new one in.
    #[arg(long, value_enum, default_value = "append")]
    mode: ModeArg,
    /// Stop after binding (nothing committed).
    #[arg(long)]
    skip_commit: bool,
    /// Stop after the Panorama commit (nothing pushed).
    #[arg(long)]
    skip_push: bool,
    /// Print the plan and send nothing but reads.
    #[arg(long)]
    dry_run: bool,
    /// The Panorama admin of the API key (partial commit scope; default: --username /
    /// PANOS_USERNAME).
    #[arg(long, env = "PANOPS_CERT_ADMIN")]
    admin: Option<String>,
    #[command(flatten)]
    timing: TimingArgs,
    /// Connection settings.
    #[command(flatten)]
    conn: ConnectionFlags,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum ModeArg {
    Append,
    Replace,
}

fn parse_key_type(s: &str) -> Result<panops_certs::acme::KeyType, String> {
    s.parse()
        .map_err(|e: panops_certs::acme::AcmeError| e.reason)
}

fn read_limited(field: &str, path: &PathBuf) -> Result<Vec<u8>> {
    let meta = std::fs::metadata(path)
        .with_context(|| format!("{field}: cannot read {}", path.display()))
        .map_err(as_usage)?;
    if meta.len() > material::MAX_INPUT_BYTES as u64 {
        return Err(as_usage(anyhow::anyhow!(
            "{field}: {} is {} bytes; a certificate, key or bundle is at most {} bytes",
            path.display(),
            meta.len(),
            material::MAX_INPUT_BYTES
        )));
    }
    std::fs::read(path)
        .with_context(|| format!("{field}: cannot read {}", path.display()))
        .map_err(as_usage)
}

fn load_bundle(a: &DeployArgs) -> Result<Bundle> {
    let pass = match &a.passphrase_file {
        Some(p) => {
            let raw = read_limited("--passphrase-file", p)?;
            Some(
                String::from_utf8(raw)
                    .map_err(|_| as_usage(anyhow::anyhow!("--passphrase-file: not UTF-8 text")))?
                    .trim_end_matches(['\r', '\n'])
                    .to_string(),
            )
        }
        None => None,
    };
    let b = if let Some(p12) = &a.p12 {
        material::parse_p12(
            "--p12",
            &read_limited("--p12", p12)?,
            pass.as_deref().unwrap_or(""),
        )
    } else {
        let (Some(c), Some(k)) = (&a.cert, &a.key) else {
            return Err(as_usage(anyhow::anyhow!(
                "give --cert and --key, or --p12 with --passphrase-file"
            )));
        };
        let chain = a
            .chain
            .as_ref()
            .map(|p| read_limited("--chain", p))
            .transpose()?;
        material::parse_pem_bundle(
            &read_limited("--cert", c)?,
            &read_limited("--key", k)?,
            chain.as_deref(),
            pass.as_deref(),
        )
    };
    b.map_err(|e| as_usage(anyhow::Error::new(e)))
}

async fn open_store(db: &Option<String>) -> Result<Store> {
    let url = match db {
        Some(u) if !u.is_empty() => u.clone(),
        _ => Store::default_url()?,
    };
    Ok(Store::open(&url).await?)
}

fn fmt_ms(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|d| d.to_rfc3339())
        .unwrap_or_default()
}

fn process_json(p: &panops_store::Process, with_steps: bool) -> Value {
    let mut v = json!({
        "id": p.id,
        "kind": p.kind,
        "state": p.state.as_str(),
        "target": p.target,
        "parent": p.parent_id,
        "devices": p.devices,
        "created": fmt_ms(p.created_at),
        "finished": p.finished_at.map(fmt_ms),
        "error": p.error,
    });
    if with_steps {
        v["plan"] = p.plan.clone();
        v["steps"] = p
            .steps
            .iter()
            .map(|s| {
                json!({
                    "seq": s.seq,
                    "name": s.name,
                    "state": s.state.as_str(),
                    "started": fmt_ms(s.started_at),
                    "ended": s.ended_at.map(fmt_ms),
                    "job_ids": s.outcome.job_ids,
                    "results": s.outcome.results,
                    "error": s.outcome.error,
                    "note": s.outcome.note,
                })
            })
            .collect();
    }
    v
}

/// Run `panops cert …`; prints the result and returns the exit code.
pub async fn run(cmd: CertCmd, format: Format, conn: &ConnectionFlags) -> Result<ExitCode> {
    match cmd.cmd {
        CertSub::Processes {
            state,
            device,
            since_hours,
            limit,
        } => {
            let store = open_store(&cmd.db).await?;
            let state = state
                .map(|s| s.parse::<ProcessState>())
                .transpose()
                .map_err(|e| as_usage(anyhow::Error::new(UsageError(format!("--state: {e}")))))?;
            let f = ProcessFilter {
                state,
                device,
                since: since_hours
                    .map(|h| panops_store::now_ms() - (h as i64).saturating_mul(3_600_000)),
                until: None,
                limit: Some(limit),
            };
            let list = store.list(&f).await?;
            let v: Vec<Value> = list.iter().map(|p| process_json(p, false)).collect();
            output::print(format, &Rendered::json(Value::Array(v)))?;
            Ok(ExitCode::SUCCESS)
        }
        CertSub::Process { id } => {
            let store = open_store(&cmd.db).await?;
            let p = store
                .get(&id)
                .await?
                .ok_or_else(|| as_usage(anyhow::anyhow!("no process {id}")))?;
            let v = process_json(&p, true);
            if format == Format::Table {
                let mut summary = v.clone();
                if let Some(o) = summary.as_object_mut() {
                    o.remove("steps");
                    o.remove("plan");
                }
                output::print(format, &Rendered::json(summary))?;
                let steps: Vec<Value> = p
                    .steps
                    .iter()
                    .map(|s| {
                        json!({
                            "seq": s.seq,
                            "step": s.name,
                            "state": s.state.as_str(),
                            "jobs": s.outcome.job_ids.join(","),
                            "firewalls": s.outcome.results.iter().map(|r| format!("{} {}", r.device, if r.ok {"ok"} else {"FAILED"})).collect::<Vec<_>>().join(", "),
                            "error": s.outcome.error.clone().or(s.outcome.note.clone()),
                        })
                    })
                    .collect();
                output::print(format, &Rendered::json(Value::Array(steps)))?;
            } else {
                output::print(format, &Rendered::json(v))?;
            }
            Ok(ExitCode::SUCCESS)
        }
        CertSub::Inventory { warn_days, .. } => {
            let client = crate::panos_cmd::connect(conn)?;
            let now = chrono::Utc::now().timestamp();
            let (rows, unreachable) =
                panops_certs::inventory::collect(&client, now, warn_days).await?;
            for u in &unreachable {
                eprintln!("warning: firewall {} not read: {}", u.device, u.error);
            }
            let alarm = rows.iter().any(|r| r.status.is_alarm());
            let v = serde_json::to_value(&rows)?;
            let v = if format == Format::Table {
                // the columns certificate managers look at first
                Value::Array(
                    rows.iter()
                        .map(|r| {
                            json!({
                                "scope": r.scope,
                                "location": r.template.clone().or(r.template_stack.clone()).or(r.device_group.clone()).or(r.device.clone()),
                                "used-by": r.used_by,
                                "rule/profile": r.rule_name,
                                "certificate": r.certificate,
                                "common-name": r.common_name,
                                "not-after": r.not_after,
                                "days": r.days_left,
                                "status": r.status,
                            })
                        })
                        .collect(),
                )
            } else {
                v
            };
            output::print(format, &Rendered::json(v))?;
            Ok(if alarm {
                ExitCode::from(3)
            } else {
                ExitCode::SUCCESS
            })
        }
        CertSub::Deploy(a) => {
            let (template, stack, location) = match (&a.template, &a.template_stack) {
                (Some(t), None) => (t.clone(), false, Location::Template),
                (None, Some(s)) => (s.clone(), true, Location::Template),
                (Some(_), Some(_)) => {
                    return Err(as_usage(anyhow::anyhow!(
                        "give --template or --template-stack, not both"
                    )));
                }
                (None, None) if a.shared => (String::new(), false, Location::Shared),
                (None, None) => match a.device_groups.as_slice() {
                    [dg] => (String::new(), false, Location::DeviceGroup(dg.clone())),
                    [] => {
                        return Err(as_usage(anyhow::anyhow!(
                            "--template, --template-stack, --device-group or --shared: where to import the certificate is required"
                        )));
                    }
                    _ => {
                        return Err(as_usage(anyhow::anyhow!(
                            "--device-group: a certificate in one device group serves that group's rules only; give --shared (or --template) to bind rules of several device groups"
                        )));
                    }
                },
            };
            let bundle = load_bundle(&a)?;
            let admin = a
                .admin
                .clone()
                .or(conn.username.clone())
                .or(std::env::var("PANOS_USERNAME").ok())
                .ok_or_else(|| {
                    as_usage(anyhow::anyhow!(
                        "--admin: the Panorama admin of the API key is needed for the partial commit (or give --username)"
                    ))
                })?;
            let req = DeployRequest {
                template,
                stack,
                location,
                device_groups: a.device_groups.clone(),
                decryption_rules: a.decryption_rules.clone(),
                ssl_tls_profiles: a.ssl_tls_profiles.clone(),
                gp_portals: a.gp_portals.clone(),
                gp_gateways: a.gp_gateways.clone(),
                management: a.management,
                replace_cert: a.replace_cert.clone(),
                mode: match a.mode {
                    ModeArg::Append => Mode::Append,
                    ModeArg::Replace => Mode::Replace,
                },
                skip_commit: a.skip_commit,
                skip_push: a.skip_push,
                admin,
            };
            let client = crate::panos_cmd::connect(conn)?;
            let store = open_store(&cmd.db).await?;
            let d = Deployer::new(client, store, a.timing.timing());
            if a.dry_run {
                let plan = d.plan(&bundle, &req).await.map_err(deploy_err)?;
                let v = json!({ "dry_run": true, "certificate": plan.new_cert, "plan": plan.plan_lines() });
                output::print(format, &Rendered::json(v))?;
                return Ok(ExitCode::SUCCESS);
            }
            report_recovered(&d).await?;
            match d.deploy(&bundle, &req).await {
                Ok(done) => {
                    let mut v = json!({
                        "process": done.process,
                        "state": done.state.as_str(),
                        "certificate": done.snapshot.new_cert,
                        "plan": done.snapshot.plan_lines(),
                    });
                    if let Some(w) = &done.warning {
                        v["warning"] = json!(w);
                    }
                    output::print(format, &Rendered::json(v))?;
                    match &done.warning {
                        Some(w) => {
                            eprintln!("warning: process {}: {w}", done.process);
                            Ok(ExitCode::from(5))
                        }
                        None => Ok(ExitCode::SUCCESS),
                    }
                }
                Err(e) => finish_err(e),
            }
        }
        CertSub::Renew(args) => {
            let RenewArgs {
                source_dir,
                acme_directory,
                acme_ca_file,
                acme_account_file,
                acme_contact,
                acme_http_listen,
                key_type,
                template,
                device_group,
                warn_days,
                mode,
                admin,
                schedule,
                timing,
                conn: _,
            } = *args;
            let admin = admin
                .or(conn.username.clone())
                .or(std::env::var("PANOS_USERNAME").ok())
                .ok_or_else(|| {
                    as_usage(anyhow::anyhow!(
                        "--admin: the Panorama admin of the API key is needed"
                    ))
                })?;
            let acme = acme_directory.map(|directory| panops_certs::acme::AcmeConfig {
                directory,
                ca_file: acme_ca_file,
                account_file: acme_account_file,
                contact: acme_contact,
                http_listen: acme_http_listen,
                key_type,
            });
            if let Some(a) = &acme {
                a.validate().map_err(|e| as_usage(anyhow::anyhow!("{e}")))?;
            }
            if let Some(dir) = &source_dir
                && !dir.is_dir()
            {
                return Err(as_usage(anyhow::anyhow!(
                    "--source-dir: {} is not a directory",
                    dir.display()
                )));
            }
            let client = crate::panos_cmd::connect(conn)?;
            let store = open_store(&cmd.db).await?;
            let d = Deployer::new(client.clone(), store, timing.timing());
            let mode = match mode {
                ModeArg::Append => Mode::Append,
                ModeArg::Replace => Mode::Replace,
            };
            loop {
                report_recovered(&d).await?;
                let now = chrono::Utc::now().timestamp();
                let (rows, _) = panops_certs::inventory::collect(&client, now, warn_days).await?;
                let done = match (&acme, &source_dir) {
                    (Some(a), _) => {
                        panops_certs::acme::renew_from_acme(
                            &d,
                            &rows,
                            a,
                            &template,
                            device_group.as_deref(),
                            mode,
                            &admin,
                        )
                        .await
                    }
                    (None, Some(dir)) => {
                        panops_certs::renew::renew_from_dir(
                            &d,
                            &rows,
                            dir,
                            &template,
                            device_group.as_deref(),
                            mode,
                            &admin,
                            now,
                        )
                        .await
                    }
                    (None, None) => {
                        return Err(as_usage(anyhow::anyhow!(
                            "--source-dir or --acme-directory: one is needed"
                        )));
                    }
                };
                let failed = done
                    .iter()
                    .any(|r| r.outcome != "deployed" && r.outcome != "no-replacement");
                output::print(format, &Rendered::json(serde_json::to_value(&done)?))?;
                let Some(every) = schedule else {
                    return Ok(if failed {
                        ExitCode::from(3)
                    } else {
                        ExitCode::SUCCESS
                    });
                };
                tokio::time::sleep(Duration::from_secs(every.max(1))).await;
            }
        }
        CertSub::Rollback {
            id, force, timing, ..
        } => {
            let client = crate::panos_cmd::connect(conn)?;
            let store = open_store(&cmd.db).await?;
            let d = Deployer::new(client, store, timing.timing());
            report_recovered(&d).await?;
            match d.rollback(&id, force).await {
                Ok(rb) => {
                    output::print(
                        format,
                        &Rendered::json(
                            json!({ "process": rb, "rolled_back": id, "state": "succeeded" }),
                        ),
                    )?;
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => finish_err(e),
            }
        }
        CertSub::Recover {
            stale_secs, timing, ..
        } => {
            let client = crate::panos_cmd::connect(conn)?;
            let store = open_store(&cmd.db).await?;
            let d = Deployer::new(client, store, timing.timing());
            let done = d
                .recover(Duration::from_secs(stale_secs))
                .await
                .map_err(deploy_err)?;
            let failed = done.iter().any(|(_, r)| r.is_err());
            let v: Vec<Value> = done
                .iter()
                .map(|(id, r)| json!({ "process": id, "rolled_back": r.is_ok(), "error": r.as_ref().err() }))
                .collect();
            output::print(format, &Rendered::json(Value::Array(v)))?;
            Ok(if failed {
                ExitCode::from(4)
            } else {
                ExitCode::SUCCESS
            })
        }
    }
}

/// Before new work: roll back what a killed panops left mid-way, and say so.
async fn report_recovered(d: &Deployer) -> Result<()> {
    for (id, r) in d
        .recover(Duration::from_secs(600))
        .await
        .map_err(deploy_err)?
    {
        match r {
            Ok(()) => eprintln!("note: process {id} had been interrupted; it was rolled back"),
            Err(e) => {
                eprintln!("warning: process {id} had been interrupted; its rollback failed: {e}")
            }
        }
    }
    Ok(())
}

fn deploy_err(e: DeployError) -> anyhow::Error {
    match e {
        DeployError::Material(_) | DeployError::Invalid { .. } | DeployError::Changed { .. } => {
            as_usage(anyhow::Error::new(e))
        }
        other => anyhow::Error::new(other),
    }
}

fn finish_err(e: DeployError) -> Result<ExitCode> {
    match &e {
        DeployError::RolledBack { .. } => {
            eprintln!("error: {e}");
            Ok(ExitCode::from(3))
        }
        DeployError::RollbackFailed { .. } => {
            eprintln!("error: {e}");
            Ok(ExitCode::from(4))
        }
        _ => Err(deploy_err(e)),
    }
}
