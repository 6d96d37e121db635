//! `panops action list|describe` and `panops run FILE|-`: the action catalog from the
//! command line.
//!
//! The profile of an action (or of the workflow, or `--profile`) decides the backend: a
//! profile with `kind = "scm"` is an SCM tenant, any other a PAN-OS firewall or Panorama
//! (detected with `show system info` unless `kind` is `firewall` or `panorama`). Without a
//! profile the connection comes from the flags and environment (`PANOS_*`, else `SCM_*`).

use std::io::Read;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};
use panops_actions::{Backend, Backends, Workflow, catalog, workflow};
use panops_client::scm::{ScmClient, TlsOptions};
use serde_json::{Value, json};

use crate::exit::usage_bail;
use crate::output::{self, Format, Rendered};
use crate::settings::{self, ConnectionFlags, Env};
use crate::{panos_cmd, scm_settings};

/// `panops action ...`.
#[derive(Debug, clap::Subcommand)]
pub enum ActionCmd {
    /// List every action with the backends that run it and its parameters.
    List,
    /// Describe one action: summary, backends, parameters (SCM field names).
    Describe {
        /// `RESOURCE.OPERATION`, e.g. `address.create`.
        action: String,
    },
}

/// `panops run FILE|-`: one action, a list of actions, or `{"steps": [...]}`.
#[derive(Debug, clap::Args)]
pub struct RunCmd {
    /// Workflow file (JSON), or `-` for standard input.
    pub file: String,
}

/// Runs `panops action list|describe` (no connection needed).
pub async fn run_action(cmd: ActionCmd, format: Format) -> Result<ExitCode> {
    match cmd {
        ActionCmd::List => {
            let value = if format == Format::Table {
                Value::Array(
                    catalog()
                        .iter()
                        .map(|a| {
                            let required: Vec<&str> = a
                                .params
                                .iter()
                                .filter(|p| p.required)
                                .map(|p| p.name.as_str())
                                .collect();
                            let backends: Vec<&str> =
                                a.backends.iter().map(|b| b.as_str()).collect();
                            json!({
                                "action": a.qualified(),
                                "backends": backends.join(","),
                                "required": required.join(","),
                                "summary": a.summary,
                            })
                        })
                        .collect(),
                )
            } else {
                serde_json::to_value(catalog())?
            };
            output::print(format, &Rendered::json(value))?;
            Ok(ExitCode::SUCCESS)
        }
        ActionCmd::Describe { action } => {
            let Some((resource, operation)) = action.split_once('.') else {
                usage_bail!(
                    "give the action as RESOURCE.OPERATION, e.g. address.create (see `panops action list`)"
                );
            };
            let spec = match panops_actions::find(resource, operation) {
                Ok(s) => s,
                Err(e) => usage_bail!("{e}"),
            };
            if format == Format::Table {
                let backends: Vec<&str> = spec.backends.iter().map(|b| b.as_str()).collect();
                println!(
                    "{}\n  {}\n  runs on: {}\n",
                    spec.qualified(),
                    spec.summary,
                    backends.join(", ")
                );
                let rows: Vec<Value> = spec
                    .params
                    .iter()
                    .map(|p| {
                        json!({
                            "parameter": p.name,
                            "type": serde_json::to_value(p.ty).unwrap_or(Value::Null),
                            "required": p.required,
                            "description": if p.values.is_empty() {
                                p.description.clone()
                            } else {
                                format!("{} ({})", p.description, p.values.join(" | "))
                            },
                        })
                    })
                    .collect();
                output::print(format, &Rendered::json(Value::Array(rows)))?;
                println!("\n  result fields:");
                let rows: Vec<Value> = spec
                    .results
                    .iter()
                    .map(|r| json!({"field": r.name, "type": r.ty, "description": r.description}))
                    .collect();
                output::print(format, &Rendered::json(Value::Array(rows)))?;
            } else {
                output::print(format, &Rendered::json(serde_json::to_value(spec)?))?;
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Runs `panops run FILE|-`. Exit code 1 when an action failed (the report says which), 2
/// when the file is not a valid workflow or its first step to run was refused by validation
/// (nothing was sent).
pub async fn run_file(cmd: RunCmd, format: Format, flags: &ConnectionFlags) -> Result<ExitCode> {
    let text = if cmd.file == "-" {
        if flags.password_stdin {
            usage_bail!(
                "--password-stdin cannot be used with `panops run -` (both read standard input)"
            );
        }
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .context("cannot read the workflow from standard input")?;
        s
    } else {
        match std::fs::read_to_string(&cmd.file) {
            Ok(s) => s,
            Err(e) => usage_bail!("cannot read workflow file {}: {e}", cmd.file),
        }
    };
    let single = serde_json::from_str::<Value>(&text)
        .map(|v| v.is_object() && v.get("steps").is_none())
        .unwrap_or(false);
    // A file that is not a workflow, or names an unknown action or parameter anywhere, is
    // refused before any step runs.
    let wf = match Workflow::parse(&text).and_then(|wf| wf.check().map(|()| wf)) {
        Ok(wf) => wf,
        Err(e) => {
            output::print(format, &Rendered::json(e.to_json()))?;
            eprintln!("error: {}: {e}", cmd.file);
            return Ok(ExitCode::from(2));
        }
    };
    let mut backends = Backends::new();
    for profile in wf.profiles() {
        let backend =
            backend_for(profile.as_deref(), flags)
                .await
                .with_context(|| match &profile {
                    Some(p) => format!("cannot connect with profile {p}"),
                    None => {
                        "cannot connect with the command-line / environment settings".to_string()
                    }
                })?;
        match profile {
            Some(p) => backends.insert(p, backend),
            None => backends.set_default(backend),
        }
    }
    let report = workflow::run(&backends, &wf).await;
    if single {
        let value = match (&report.failed, report.completed.first()) {
            (Some(f), _) => json!({"error": f.error}),
            (None, Some(c)) => c.result.clone(),
            (None, None) => Value::Null,
        };
        output::print(format, &Rendered::json(value))?;
    } else {
        output::print(format, &Rendered::json(report.to_json()))?;
    }
    // The JSON on stdout is for machines; the person at the terminal (or the log of a
    // SOAR runner, which keeps stderr) reads why on stderr.
    if let Some(f) = &report.failed {
        let message = f.error["message"].as_str().unwrap_or("failed");
        let label = f
            .name
            .as_deref()
            .map(|n| format!(" ({n})"))
            .unwrap_or_default();
        if single {
            eprintln!("error: {}: {message}", f.action);
        } else {
            eprintln!("error: step {}{label}, {}: {message}", f.step, f.action);
        }
    }
    Ok(match &report.failed {
        None => ExitCode::SUCCESS,
        Some(f) if refused_before_sending(&report, f) => ExitCode::from(2),
        Some(_) => ExitCode::from(1),
    })
}

/// True when the failed step is the first one that would have done anything and it was
/// refused by validation: nothing at all was sent, so this is a usage error.
fn refused_before_sending(report: &workflow::Report, failed: &workflow::Failed) -> bool {
    let validation = matches!(
        failed.error["code"].as_str(),
        Some("invalid_parameter" | "invalid_reference" | "unknown_action")
    );
    validation && report.completed.iter().all(|c| c.skipped.is_some())
}

/// The backend of `profile` (or of `--profile` / the default profile / the environment).
async fn backend_for(profile: Option<&str>, flags: &ConnectionFlags) -> Result<Backend> {
    let env = settings::ProcessEnv;
    let name = profile
        .map(str::to_string)
        .or_else(|| flags.profile.clone());
    let file = settings::load_profiles(&env).map_err(crate::exit::as_usage)?;
    let selected = settings::select_profile(file, name.as_deref())?;
    let kind = selected.kind.clone().map(|k| k.to_ascii_lowercase());
    let has_panos = flags.hostname.is_some()
        || env.get("PANOS_HOSTNAME").is_some()
        || selected.hostname.is_some();
    let scm = match kind.as_deref() {
        Some("scm") => true,
        Some(_) => false,
        None => !has_panos && env.get("SCM_CLIENT_ID").is_some(),
    };
    if scm {
        let overrides = scm_settings::ScmOverrides {
            skip_verify: flags.skip_verify_certificate,
            ca_file: flags.ca_file.clone(),
            timeout_secs: flags.request_timeout,
            ..Default::default()
        };
        let s = scm_settings::load(name.as_deref(), &overrides)?;
        let mut builder = ScmClient::builder(s.credentials.clone())
            .family(s.family)
            .timeout(Duration::from_secs(s.timeout_secs))
            .tls(TlsOptions {
                ca_bundle: s.ca_file.clone(),
                danger_accept_invalid_certs: s.skip_verify,
            });
        if let Some(url) = &s.base_url {
            builder = builder.base_url(url);
        }
        if let Some(url) = &s.token_url {
            builder = builder.token_url(url);
        }
        // The profile's `folder` (or SCM_FOLDER) is the default folder of object actions.
        return Ok(Backend::scm(builder.build()?, s.folder.clone()));
    }
    let mut with_profile = flags.clone();
    with_profile.profile = name;
    let client = panos_cmd::connect(&with_profile)?;
    Ok(match kind.as_deref() {
        Some("panorama") => Backend::panos_as(client, true),
        Some("firewall") => Backend::panos_as(client, false),
        _ => Backend::panos(client).await?,
    })
}
