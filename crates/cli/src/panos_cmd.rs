//! PAN-OS / Panorama commands: keygen, op, config, commit, push, jobs, User-ID, import, export,
//! logs, version. Each command builds a request with `panops-panos`, sends it with
//! `panops-client`, and renders the typed answer.

use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use panops_client::panos::{ClientConfig, PanosClient, Protocol, WaitOptions};
use panops_panos::commit::{Commit, CommitAll, Partial, PushTarget};
use panops_panos::config::{MultiConfig, Where};
use panops_panos::import::{Import, ImportCategory, ImportFormat};
use panops_panos::log::LogQuery;
use panops_panos::userid::{UidMessage, UidOp};
use panops_panos::{CommitOutcome, Job, JobResult, JobStatus, Response, Secret};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

use crate::exit::{as_usage, usage_bail};
use crate::output::Rendered;
use crate::settings::{self, ConnectionFlags, PanosSettings};
use crate::xmljson::result_json;

/// `panops config ...`
#[derive(Debug, clap::Subcommand)]
pub enum ConfigCmd {
    /// Read the candidate configuration at XPATH.
    Get {
        /// XPath of the node(s).
        xpath: String,
    },
    /// Read the running configuration at XPATH.
    Show {
        /// XPath of the node(s).
        xpath: String,
    },
    /// Merge ELEMENT (XML children) into the node at XPATH.
    Set {
        /// XPath of the parent node.
        xpath: String,
        /// XML to add (`-` reads standard input).
        element: String,
    },
    /// Replace the node at XPATH with ELEMENT.
    Edit {
        /// XPath of the node.
        xpath: String,
        /// Replacement XML, whose root is the node itself (`-` reads standard input).
        element: String,
    },
    /// Delete the node(s) at XPATH.
    Delete {
        /// XPath of the node(s).
        xpath: String,
    },
    /// Rename the entry at XPATH.
    Rename {
        /// XPath of the entry.
        xpath: String,
        /// New name.
        newname: String,
    },
    /// Copy the entry at FROM into the container XPATH as NEWNAME.
    Clone {
        /// XPath of the container.
        xpath: String,
        /// XPath of the source entry.
        #[arg(long)]
        from: String,
        /// Name of the copy.
        #[arg(long)]
        newname: String,
    },
    /// Move the entry at XPATH (rules are ordered).
    Move {
        /// XPath of the entry.
        xpath: String,
        /// top, bottom, before or after.
        #[arg(long = "where", value_parser = ["top", "bottom", "before", "after"])]
        position: String,
        /// The sibling for before/after.
        #[arg(long)]
        dst: Option<String>,
    },
    /// Apply a template value locally on a firewall (override).
    Override {
        /// XPath of the node.
        xpath: String,
        /// XML value.
        element: String,
    },
    /// Apply several changes all-or-nothing; FILE holds lines `set|edit|delete XPATH [ELEMENT]`.
    Multi {
        /// The change file (`-` reads standard input).
        file: PathBuf,
    },
    /// Index a configuration (a file, or the device's running configuration streamed to a
    /// temporary file) and report what it holds; `--where-used NAME` lists what refers to NAME.
    /// Streams: a Panorama configuration of hundreds of MB is never held in memory as a tree.
    Index {
        /// An exported configuration or a saved `show config running` answer; without it the
        /// device's running configuration is exported first.
        file: Option<PathBuf>,
        /// List the groups and rules that refer to this name (directly or through groups).
        #[arg(long)]
        where_used: Option<String>,
    },
}

/// `panops userid ...`: User-ID messages, sent at once.
#[derive(Debug, clap::Subcommand)]
pub enum UseridCmd {
    /// Map IP to USER.
    Login {
        /// User (e.g. `corp\alice`).
        user: String,
        /// IP address.
        ip: String,
        /// Mapping timeout in minutes.
        #[arg(long)]
        timeout: Option<u32>,
    },
    /// Remove the mapping of IP to USER.
    Logout {
        /// User.
        user: String,
        /// IP address.
        ip: String,
    },
    /// Tag a user (dynamic user groups).
    Tag {
        /// User.
        user: String,
        /// Tag.
        tag: String,
        /// Tag timeout in seconds.
        #[arg(long)]
        timeout: Option<u32>,
    },
    /// Remove a tag from a user.
    Untag {
        /// User.
        user: String,
        /// Tag.
        tag: String,
    },
    /// Tag an IP address (dynamic address groups).
    Register {
        /// IP address.
        ip: String,
        /// Tag.
        tag: String,
        /// Tag timeout in seconds (max 2592000).
        #[arg(long)]
        timeout: Option<u32>,
    },
    /// Remove a tag from an IP address.
    Unregister {
        /// IP address.
        ip: String,
        /// Tag.
        tag: String,
    },
}

/// What `panops import` imports.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ImportKind {
    /// A certificate.
    Cert,
    /// A private key for an already imported certificate.
    Key,
    /// Certificate and key together.
    Keypair,
}

/// Every PAN-OS command.
#[derive(Debug, clap::Subcommand)]
pub enum PanosCmd {
    /// Generate an API key from the user name and password (POST; the password is never in a URL).
    Keygen {
        /// Connection settings.
        #[command(flatten)]
        conn: ConnectionFlags,
    },
    /// Run an operational command: CLI text (`show system info`) or XML.
    Op {
        /// The command.
        command: String,
        /// Connection settings.
        #[command(flatten)]
        conn: ConnectionFlags,
    },
    /// Read or change the configuration.
    Config {
        /// What to do.
        #[command(subcommand)]
        cmd: ConfigCmd,
        /// Connection settings.
        #[command(flatten)]
        conn: ConnectionFlags,
    },
    /// Commit the candidate configuration and wait for the job.
    Commit {
        /// Commit description.
        #[arg(long)]
        description: Option<String>,
        /// Force the commit.
        #[arg(long)]
        force: bool,
        /// Validate only.
        #[arg(long)]
        validate: bool,
        /// Partial commit of these admins' changes.
        #[arg(long = "admin")]
        admins: Vec<String>,
        /// Partial: leave device and network out.
        #[arg(long)]
        exclude_device_and_network: bool,
        /// Partial: leave policies and objects out.
        #[arg(long)]
        exclude_policy_and_objects: bool,
        /// Partial: leave shared objects out.
        #[arg(long)]
        exclude_shared_object: bool,
        /// Partial: only these vsys.
        #[arg(long = "partial-vsys")]
        partial_vsys: Vec<String>,
        /// Return the job id instead of waiting.
        #[arg(long)]
        no_wait: bool,
        /// How long to wait for the job, in seconds.
        #[arg(long, default_value_t = 1200)]
        wait_timeout: u64,
        /// Connection settings.
        #[command(flatten)]
        conn: ConnectionFlags,
    },
    /// Push from Panorama to firewalls (commit-all) and wait for every device.
    Push {
        /// Device group to push.
        #[arg(long, group = "scope")]
        device_group: Option<String>,
        /// Template to push.
        #[arg(long, group = "scope")]
        template: Option<String>,
        /// Template stack to push.
        #[arg(long, group = "scope")]
        template_stack: Option<String>,
        /// Only these firewalls (serials).
        #[arg(long = "device")]
        devices: Vec<String>,
        /// Description.
        #[arg(long)]
        description: Option<String>,
        /// Also push the template (device group pushes).
        #[arg(long)]
        include_template: bool,
        /// Return the job id instead of waiting.
        #[arg(long)]
        no_wait: bool,
        /// How long to wait for the job, in seconds.
        #[arg(long, default_value_t = 1800)]
        wait_timeout: u64,
        /// Connection settings.
        #[command(flatten)]
        conn: ConnectionFlags,
    },
    /// Show a job, or wait for it with --wait.
    Job {
        /// Job id.
        id: u64,
        /// Wait until the job finishes.
        #[arg(long)]
        wait: bool,
        /// Connection settings.
        #[command(flatten)]
        conn: ConnectionFlags,
    },
    /// Send User-ID messages (login/logout, user and IP tags).
    Userid {
        /// What to send.
        #[command(subcommand)]
        cmd: UseridCmd,
        /// Connection settings.
        #[command(flatten)]
        conn: ConnectionFlags,
    },
    /// Import a certificate, key or key pair.
    Import {
        /// What the file holds.
        #[arg(value_enum)]
        kind: ImportKind,
        /// The file (PEM or PKCS#12).
        file: PathBuf,
        /// Certificate name on the device.
        #[arg(long)]
        name: String,
        /// pem or pkcs12.
        #[arg(long, default_value = "pem", value_parser = ["pem", "pkcs12"])]
        format: String,
        /// Read the key passphrase from this environment variable.
        #[arg(long)]
        passphrase_env: Option<String>,
        /// Import into this Panorama template.
        #[arg(long)]
        template: Option<String>,
        /// vsys inside the template.
        #[arg(long)]
        template_vsys: Option<String>,
        /// Connection settings.
        #[command(flatten)]
        conn: ConnectionFlags,
    },
    /// Export the running configuration.
    Export {
        /// What to export (only `config` for now).
        #[arg(value_parser = ["config"])]
        what: String,
        /// Write to this file instead of stdout.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Connection settings.
        #[command(flatten)]
        conn: ConnectionFlags,
    },
    /// Query logs (traffic, threat, system, config, ...).
    Logs {
        /// Log type.
        #[arg(long = "type", default_value = "traffic")]
        log_type: String,
        /// Filter, e.g. `(addr.src in 10.0.0.1)`.
        #[arg(long)]
        query: Option<String>,
        /// How many (1-5000).
        #[arg(long, default_value_t = 20)]
        nlogs: u32,
        /// Skip this many.
        #[arg(long)]
        skip: Option<u32>,
        /// Connection settings.
        #[command(flatten)]
        conn: ConnectionFlags,
    },
    /// Show the PAN-OS version, model and serial.
    Version {
        /// Connection settings.
        #[command(flatten)]
        conn: ConnectionFlags,
    },
}

impl PanosCmd {
    /// The command's connection flags (every PAN-OS command connects, except
    /// `config index FILE`, which accepts them all the same).
    pub fn conn_mut(&mut self) -> &mut ConnectionFlags {
        match self {
            Self::Keygen { conn }
            | Self::Op { conn, .. }
            | Self::Config { conn, .. }
            | Self::Commit { conn, .. }
            | Self::Push { conn, .. }
            | Self::Job { conn, .. }
            | Self::Userid { conn, .. }
            | Self::Import { conn, .. }
            | Self::Export { conn, .. }
            | Self::Logs { conn, .. }
            | Self::Version { conn } => conn,
        }
    }
}

/// Builds a client from resolved settings.
pub fn client_from(s: &PanosSettings) -> Result<PanosClient> {
    let mut b = ClientConfig::builder(s.hostname.clone())
        .protocol(if s.protocol == "http" {
            Protocol::Http
        } else {
            Protocol::Https
        })
        .danger_accept_invalid_certs(s.skip_verify)
        .timeout(Duration::from_secs(s.timeout_secs));
    if let Some(p) = s.port {
        b = b.port(p);
    }
    if let Some(ca) = &s.ca_file {
        b = b.ca_bundle(ca.clone());
    }
    if let Some(key) = &s.api_key {
        b = b.api_key(Secret::new(key.expose_secret().to_string()));
    } else if let (Some(user), Some(pw)) = (&s.username, &s.password) {
        b = b.credentials(user.clone(), Secret::new(pw.expose_secret().to_string()));
    }
    if let Some(t) = &s.target {
        b = b.target(t.clone());
    }
    if let Some(v) = &s.vsys {
        b = b.vsys(v.clone());
    }
    Ok(PanosClient::new(b.build()?)?)
}

/// Resolves settings (profile, environment, flags) into a client.
pub fn connect(flags: &ConnectionFlags) -> Result<PanosClient> {
    let env = settings::ProcessEnv;
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
    let s = settings::resolve_panos(flags, &env, profile, stdin_password).map_err(as_usage)?;
    if s.api_key.is_none() && (s.username.is_none() || s.password.is_none()) {
        usage_bail!(
            "no credentials: set PANOS_API_KEY (or --api-key-file), or PANOS_USERNAME with PANOS_PASSWORD (or --password-stdin)"
        );
    }
    client_from(&s)
}

fn read_arg_or_stdin(value: &str) -> Result<String> {
    if value == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .context("cannot read standard input")?;
        Ok(s)
    } else {
        Ok(value.to_string())
    }
}

/// The stable JSON shape of a job.
pub fn job_json(job: &Job) -> Value {
    json!({
        "id": job.id,
        "type": job.kind,
        "status": status_str(&job.status),
        "result": result_str(&job.result),
        "progress": job.progress,
        "description": job.description,
        "user": job.user,
        "details": job.details,
        "warnings": job.warnings,
        "devices": job.devices.iter().map(|d| json!({
            "serial": d.serial,
            "name": d.name,
            "status": d.status,
            "result": result_str(&d.result),
            "details": d.details,
        })).collect::<Vec<_>>(),
    })
}

fn status_str(s: &JobStatus) -> String {
    match s {
        JobStatus::Pending => "PEND".into(),
        JobStatus::Active => "ACT".into(),
        JobStatus::Finished => "FIN".into(),
        JobStatus::Other(o) => o.clone(),
    }
}

fn result_str(r: &JobResult) -> String {
    match r {
        JobResult::Pending => "PEND".into(),
        JobResult::Ok => "OK".into(),
        JobResult::Fail => "FAIL".into(),
        JobResult::Other(o) => o.clone(),
    }
}

fn response_rendered(resp: &Response) -> Rendered {
    let mut value = json!({
        "status": resp.status(),
        "code": resp.code(),
        "result": result_json(resp.result()),
    });
    if !resp.messages().is_empty() {
        value["messages"] = json!(resp.messages());
    }
    Rendered::with_xml(value, resp.xml().to_string())
}

/// A progress bar on a terminal, nothing otherwise (machines read the JSON at the end).
pub fn job_progress(label: &str) -> Option<ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::new(100);
    bar.set_style(
        ProgressStyle::with_template("{msg:>12} [{bar:40}] {pos:>3}% {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message(label.to_string());
    Some(bar)
}

/// Waits for a job, drawing progress on a terminal.
pub async fn wait_with_progress(
    client: &PanosClient,
    id: u64,
    label: &str,
    timeout: Duration,
) -> Result<Job> {
    let bar = job_progress(label);
    let bar2 = bar.clone();
    let opts = WaitOptions::default()
        .interval(Duration::from_millis(500))
        .timeout(timeout)
        .on_progress(move |job: &Job| {
            if let (Some(b), Some(p)) = (&bar2, job.progress) {
                b.set_position(u64::from(p));
            }
        });
    let result = client.wait_job(id, opts).await;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    Ok(result?)
}

fn outcome_rendered(outcome: CommitOutcome) -> Rendered {
    match outcome {
        CommitOutcome::Enqueued { job_id, .. } => Rendered::json(json!({"job_id": job_id})),
        CommitOutcome::NoChanges { messages } => {
            Rendered::json(json!({"job_id": null, "changed": false, "messages": messages}))
        }
        CommitOutcome::Done { messages } => {
            Rendered::json(json!({"job_id": null, "messages": messages}))
        }
    }
}

/// A get/show that matches nothing is a success (code 7) with an empty result: say so on
/// stderr, where a person looks, and keep stdout the device's answer.
fn note_if_empty(resp: Response, xpath: &str) -> Response {
    if resp.is_empty_result() {
        eprintln!("note: nothing in the configuration matches {xpath} (code 7)");
    }
    resp
}

/// The device refused a push because its device group, template or stack is not in the
/// running configuration.
fn is_missing_scope(e: &panops_client::Error) -> bool {
    e.as_api().is_some_and(|a| {
        a.messages
            .iter()
            .any(|m| m.contains("does not exist in the running configuration"))
    })
}

/// Names of the device groups / templates / template stacks (`element`) in Panorama's
/// running configuration; empty if they cannot be read (the hint is best effort).
async fn running_names(client: &PanosClient, element: &str) -> Vec<String> {
    let xpath = format!("/config/devices/entry[@name='localhost.localdomain']/{element}");
    let Ok(resp) = client.config_show(&xpath).await else {
        return Vec::new();
    };
    resp.result()
        .into_iter()
        .flat_map(|r| r.children_named(element))
        .flat_map(|el| el.children_named("entry"))
        .filter_map(|e| e.attr("name").map(str::to_owned))
        .collect()
}

/// What a failed command still has to show on stdout: the final state of a job that failed
/// or did not finish in time (per-device results of a push included).
pub fn failure_rendered(err: &anyhow::Error) -> Option<Rendered> {
    err.chain()
        .find_map(
            |cause| match cause.downcast_ref::<panops_client::Error>()? {
                panops_client::Error::JobFailed { job, .. } => Some(job_json(job)),
                panops_client::Error::JobTimeout {
                    last: Some(job), ..
                } => {
                    let mut v = job_json(job);
                    v["timed_out"] = json!(true);
                    Some(v)
                }
                _ => None,
            },
        )
        .map(Rendered::json)
}

fn finished_job(job: Job) -> Result<Rendered> {
    Ok(Rendered::json(job_json(&job)))
}

/// Runs one PAN-OS command.
pub async fn run(cmd: PanosCmd, flags: &ConnectionFlags) -> Result<Rendered> {
    // Indexing a file is offline: no device settings needed.
    if let PanosCmd::Config {
        cmd: ConfigCmd::Index {
            file: Some(file),
            where_used,
        },
        ..
    } = cmd
    {
        return index(None, Some(file), where_used).await;
    }
    let client = connect(flags)?;
    match cmd {
        PanosCmd::Keygen { .. } => {
            let key = client.keygen().await?;
            Ok(Rendered::json(json!({"key": key.expose()})))
        }
        PanosCmd::Op { command, .. } => Ok(response_rendered(&client.op(&command).await?)),
        PanosCmd::Config { cmd: c, .. } => config(&client, c).await,
        PanosCmd::Commit {
            description,
            force,
            validate,
            admins,
            exclude_device_and_network,
            exclude_policy_and_objects,
            exclude_shared_object,
            partial_vsys,
            no_wait,
            wait_timeout,
            ..
        } => {
            let partial = (!admins.is_empty()
                || exclude_device_and_network
                || exclude_policy_and_objects
                || exclude_shared_object
                || !partial_vsys.is_empty())
            .then_some(Partial {
                admins,
                exclude_device_and_network,
                exclude_policy_and_objects,
                exclude_shared_object,
                no_vsys: false,
                vsys: partial_vsys,
            });
            let commit = Commit {
                description,
                force,
                validate,
                partial,
            };
            let outcome = client.commit(&commit).await?;
            match (outcome.job_id(), no_wait) {
                (Some(id), false) => {
                    let job = wait_with_progress(
                        &client,
                        id,
                        "commit",
                        Duration::from_secs(wait_timeout),
                    )
                    .await?;
                    finished_job(job)
                }
                _ => Ok(outcome_rendered(outcome)),
            }
        }
        PanosCmd::Push {
            device_group,
            template,
            template_stack,
            devices,
            description,
            include_template,
            no_wait,
            wait_timeout,
            ..
        } => {
            let scope = match (&device_group, &template, &template_stack) {
                (Some(n), None, None) => Some(("device-group", "device group", n.clone())),
                (None, Some(n), None) => Some(("template", "template", n.clone())),
                (None, None, Some(n)) => Some(("template-stack", "template stack", n.clone())),
                _ => None,
            };
            let (target, name) = match (device_group, template, template_stack) {
                (Some(dg), None, None) => (PushTarget::DeviceGroup, dg),
                (None, Some(t), None) => (PushTarget::Template, t),
                (None, None, Some(s)) => (PushTarget::TemplateStack, s),
                _ => usage_bail!(
                    "push needs exactly one of --device-group, --template or --template-stack"
                ),
            };
            // `--include-template` is a device-group option: ignored elsewhere, as before.
            let push = CommitAll {
                devices,
                description,
                include_template: (include_template && target == PushTarget::DeviceGroup)
                    .then_some(true),
                ..CommitAll::new(target, name)
            };
            let outcome = match client.commit_all(&push).await {
                Ok(o) => o,
                Err(e) if is_missing_scope(&e) && scope.is_some() => {
                    let (element, label, name) = scope.unwrap_or_default();
                    let known = running_names(&client, element).await;
                    let known = if known.is_empty() {
                        "none".to_string()
                    } else {
                        known.join(", ")
                    };
                    return Err(anyhow::Error::from(e).context(format!(
                        "cannot push {label} {name}: Panorama's running configuration has \
                         no such {label} (it has: {known})"
                    )));
                }
                Err(e) => return Err(e.into()),
            };
            match (outcome.job_id(), no_wait) {
                (Some(id), false) => {
                    let job =
                        wait_with_progress(&client, id, "push", Duration::from_secs(wait_timeout))
                            .await?;
                    finished_job(job)
                }
                _ => Ok(outcome_rendered(outcome)),
            }
        }
        PanosCmd::Job { id, wait, .. } => {
            let job = if wait {
                wait_with_progress(&client, id, "job", Duration::from_secs(1800)).await?
            } else {
                client.show_job(id).await?
            };
            finished_job(job)
        }
        PanosCmd::Userid { cmd: u, .. } => {
            let op = match u {
                UseridCmd::Login { user, ip, timeout } => UidOp::login(&user, &ip, timeout)?,
                UseridCmd::Logout { user, ip } => UidOp::logout(&user, &ip)?,
                UseridCmd::Tag { user, tag, timeout } => {
                    UidOp::register_user(&user, &tag, timeout)?
                }
                UseridCmd::Untag { user, tag } => UidOp::unregister_user(&user, &tag)?,
                UseridCmd::Register { ip, tag, timeout } => UidOp::register_ip(&ip, &tag, timeout)?,
                UseridCmd::Unregister { ip, tag } => UidOp::unregister_ip(&ip, &tag)?,
            };
            let mut msg = UidMessage::new();
            msg.push(op);
            let resp = client.user_id(&msg).await?;
            let mut r = response_rendered(&resp);
            let notes: Vec<Value> = resp
                .entry_errors()
                .iter()
                .map(|e| json!({"message": e.message()}))
                .collect();
            if !notes.is_empty() {
                r.value["entries"] = Value::Array(notes);
            }
            Ok(r)
        }
        PanosCmd::Import {
            kind,
            file,
            name,
            format,
            passphrase_env,
            template,
            template_vsys,
            ..
        } => {
            let content = std::fs::read(&file)
                .with_context(|| format!("cannot read {}", file.display()))
                .map_err(as_usage)?;
            let category = match kind {
                ImportKind::Cert => ImportCategory::Certificate,
                ImportKind::Key => ImportCategory::PrivateKey,
                ImportKind::Keypair => ImportCategory::Keypair,
            };
            let fmt = if format == "pkcs12" {
                ImportFormat::Pkcs12
            } else {
                ImportFormat::Pem
            };
            let file_name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "upload".into());
            let mut import = Import::new(category, name, fmt, file_name, content);
            if let Some(var) = passphrase_env {
                let pass = std::env::var(&var)
                    .with_context(|| format!("the passphrase variable {var} is not set"))?;
                import.passphrase = Some(Secret::new(pass));
            }
            import.target_tpl = template;
            import.target_tpl_vsys = template_vsys;
            Ok(response_rendered(&client.import(&import).await?))
        }
        PanosCmd::Export { out, .. } => {
            if let Some(path) = out {
                let bytes = export_to_file(&client, &path).await?;
                return Ok(Rendered::json(json!({"written": path, "bytes": bytes})));
            }
            let export = client.export_configuration().await?;
            let text = String::from_utf8_lossy(&export.content).into_owned();
            Ok(Rendered::with_xml(json!({"config": text.clone()}), text))
        }
        PanosCmd::Logs {
            log_type,
            query,
            nlogs,
            skip,
            ..
        } => {
            let mut q = LogQuery::new(log_type);
            q.nlogs = Some(nlogs);
            q.skip = skip;
            q.query = query;
            let result = client
                .logs(&q, Duration::from_millis(500), Duration::from_secs(300))
                .await?;
            Ok(Rendered::json(json!({
                "count": result.count,
                "entries": result.entries,
            })))
        }
        PanosCmd::Version { .. } => {
            let v = client.version().await?;
            Ok(Rendered::json(json!({
                "sw_version": v.sw_version,
                "model": v.model,
                "serial": v.serial,
                "multi_vsys": v.multi_vsys,
            })))
        }
    }
}

/// Streams the device's running configuration into `path` through a temporary file in the same
/// directory, renamed at the end, so a broken transfer never leaves a truncated file behind.
async fn export_to_file(client: &PanosClient, path: &Path) -> Result<u64> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let tmp = tempfile::NamedTempFile::new_in(&dir)
        .with_context(|| format!("cannot create a file in {}", dir.display()))?;
    let std_file = tmp
        .reopen()
        .with_context(|| format!("cannot open a file in {}", dir.display()))?;
    let mut file =
        tokio::io::BufWriter::with_capacity(1 << 20, tokio::fs::File::from_std(std_file));
    let bytes = client.export_configuration_to(&mut file).await?;
    drop(file);
    tmp.persist(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(bytes)
}

async fn index(
    client: Option<&PanosClient>,
    file: Option<PathBuf>,
    where_used: Option<String>,
) -> Result<Rendered> {
    use panops_panos::config_index::{ConfigIndex, IndexLocation, Referrer};

    // Keep the temporary export alive until the index is built.
    // A file the user named is input: failing to open or index it is a usage error (2).
    // An export fetched from the device is the device's: failing on it is a runtime error.
    let user_file = file.is_some();
    let (path, _tmp) = match (file, client) {
        (Some(f), _) => (f, None),
        (None, Some(client)) => {
            let tmp = tempfile::NamedTempFile::new().context("cannot create a temporary file")?;
            let path = tmp.path().to_path_buf();
            export_to_file(client, &path).await?;
            (path, Some(tmp))
        }
        (None, None) => usage_bail!("config index needs a FILE or a device to export from"),
    };
    let started = std::time::Instant::now();
    let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let input_error = |e: anyhow::Error| if user_file { as_usage(e) } else { e };
    let reader = std::fs::File::open(&path)
        .with_context(|| format!("cannot open {}", path.display()))
        .map_err(input_error)?;
    let index = ConfigIndex::from_reader(std::io::BufReader::with_capacity(1 << 20, reader))
        .with_context(|| format!("cannot index {}", path.display()))
        .map_err(input_error)?;
    let seconds = started.elapsed().as_secs_f64();
    let c = index.counts();
    let location = |l: &IndexLocation<'_>| match l {
        IndexLocation::Shared => "shared".to_string(),
        IndexLocation::Vsys(v) => format!("vsys {v}"),
        IndexLocation::DeviceGroup(d) => format!("device-group {d}"),
    };
    let mut value = json!({
        "file": path,
        "bytes": bytes,
        "seconds": (seconds * 1000.0).round() / 1000.0,
        "addresses": c.addresses,
        "address_groups": c.address_groups,
        "services": c.services,
        "service_groups": c.service_groups,
        "tags": c.tags,
        "security_rules": c.security_rules,
        "locations": c.locations,
    });
    if let Some(name) = where_used {
        let usages: Vec<Value> = index
            .where_used_transitive(&name)
            .iter()
            .map(|u| {
                let (kind, field) = match u.referrer {
                    Referrer::AddressGroup => ("address-group", None),
                    Referrer::ServiceGroup => ("service-group", None),
                    Referrer::SecurityRule(field, rulebase) => (
                        match rulebase {
                            panops_panos::config_index::RuleBase::Local => "security-rule",
                            panops_panos::config_index::RuleBase::Pre => "security-rule (pre)",
                            panops_panos::config_index::RuleBase::Post => "security-rule (post)",
                        },
                        Some(format!("{field:?}").to_lowercase()),
                    ),
                };
                json!({"kind": kind, "name": u.referrer_name, "field": field, "location": location(&u.location)})
            })
            .collect();
        value["where_used"] = json!({"name": name, "usages": usages});
    }
    Ok(Rendered::json(value))
}

async fn config(client: &PanosClient, cmd: ConfigCmd) -> Result<Rendered> {
    let resp = match cmd {
        ConfigCmd::Get { xpath } => note_if_empty(client.config_get(&xpath).await?, &xpath),
        ConfigCmd::Show { xpath } => note_if_empty(client.config_show(&xpath).await?, &xpath),
        ConfigCmd::Set { xpath, element } => {
            client
                .config_set(&xpath, &read_arg_or_stdin(&element)?)
                .await?
        }
        ConfigCmd::Edit { xpath, element } => {
            client
                .config_edit(&xpath, &read_arg_or_stdin(&element)?)
                .await?
        }
        ConfigCmd::Delete { xpath } => client.config_delete(&xpath).await?,
        ConfigCmd::Rename { xpath, newname } => client.config_rename(&xpath, &newname).await?,
        ConfigCmd::Clone {
            xpath,
            from,
            newname,
        } => client.config_clone(&xpath, &from, &newname).await?,
        ConfigCmd::Move {
            xpath,
            position,
            dst,
        } => {
            let w = match (position.as_str(), dst) {
                ("top", _) => Where::Top,
                ("bottom", _) => Where::Bottom,
                ("before", Some(d)) => Where::Before(d),
                ("after", Some(d)) => Where::After(d),
                (p, None) => usage_bail!("--where {p} needs --dst <sibling name>"),
                (p, _) => usage_bail!("--where must be top, bottom, before or after, not {p}"),
            };
            client.config_move(&xpath, &w).await?
        }
        ConfigCmd::Override { xpath, element } => client.config_override(&xpath, &element).await?,
        ConfigCmd::Multi { file } => {
            let text = if file.as_os_str() == "-" {
                read_arg_or_stdin("-")?
            } else {
                // A missing change file is the user's to fix, found before anything is sent.
                std::fs::read_to_string(&file)
                    .with_context(|| format!("cannot read change file {}", file.display()))
                    .map_err(as_usage)?
            };
            let batch = parse_multi(&text).map_err(as_usage)?;
            client.multi_config(&batch, false).await?
        }
        ConfigCmd::Index { file, where_used } => {
            return index(Some(client), file, where_used).await;
        }
    };
    Ok(response_rendered(&resp))
}

/// Parses a change file: one `set|edit|delete XPATH [ELEMENT]` per line; `#` starts a comment.
fn parse_multi(text: &str) -> Result<MultiConfig> {
    let mut batch = MultiConfig::new();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut parts = line.splitn(3, char::is_whitespace);
        let action = parts.next().unwrap_or_default();
        let xpath = parts
            .next()
            .ok_or_else(|| as_usage(anyhow::anyhow!("line {}: missing xpath", n + 1)))?;
        let element = parts.next().map(str::trim);
        match (action, element) {
            ("set", Some(e)) => {
                batch.set(xpath, e)?;
            }
            ("edit", Some(e)) => {
                batch.edit(xpath, e)?;
            }
            ("delete", None) => {
                batch.delete(xpath)?;
            }
            (a, _) => usage_bail!(
                "line {}: expected `set XPATH ELEMENT`, `edit XPATH ELEMENT` or `delete XPATH`, got `{a}`",
                n + 1
            ),
        }
    }
    if batch.is_empty() {
        usage_bail!("the change file holds no changes");
    }
    Ok(batch)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_file_parses_and_rejects_bad_lines() {
        let b = parse_multi(
            "# comment\nset /config/shared/address <entry name='a'><fqdn>a.example</fqdn></entry>\ndelete /config/shared/tag/entry[@name='x']\n",
        )
        .unwrap();
        assert_eq!(b.len(), 2);
        let e = parse_multi("rename /config/shared x\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 1"), "{e}");
        assert!(parse_multi("\n# nothing\n").is_err());
    }
}
