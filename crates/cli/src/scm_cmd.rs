//! `panops scm`: every operation of the SCM catalog from the command line, action files,
//! and config push with job polling.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use panops_client::scm::{
    CatalogHandle, Family, JobError, JobStatus, ScmAction, ScmClient, TlsOptions,
};
use panops_scm::{Catalog, SchemaKind};
use serde_json::{Map, Value, json};

use crate::output::{self, Format, Rendered};
use crate::scm_settings::{self, ScmOverrides};
use crate::settings::{ConnectionFlags, ScmConnectionFlags};

/// Arguments of `panops scm`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Any other command runs one catalog operation:\n  \
    panops scm <RESOURCE> <OPERATION> [--folder F] [--param KEY=VALUE ...] [--json '{...}'] [--all]\n\
    e.g. panops scm address create --folder Shared --param name=web --param ip_netmask=10.0.0.1/32\n\
    Resources and operations: `panops scm catalog`; parameters: `panops scm describe address.create`.\n\
    Jobs: `panops scm push --folder F --wait`, `panops scm wait JOB_ID`, `panops scm job list`, \
    `panops scm job get --param id=N`.\n\
    Credentials: SCM_CLIENT_ID, SCM_CLIENT_SECRET, SCM_TSG_ID or the profile's client_id, client_secret, tsg_id.")]
pub struct ScmCmd {
    /// API family: sse-v1 (`/sse/config/v1`, the default) or v2 (`/config/<area>/v1` and setup).
    #[arg(long, global = true, value_parser = parse_family)]
    pub family: Option<Family>,
    /// Directory of newer official specs (`sse-v1/*.yaml`, `v2/*.yaml`) merged over the
    /// built-in catalog at run time.
    #[arg(long, global = true, value_name = "DIR")]
    pub spec_dir: Option<PathBuf>,
    /// SCM API base URL (env: SCM_BASE_URL; default: the family's documented host).
    #[arg(long, global = true, value_name = "URL")]
    pub base_url: Option<String>,
    /// OAuth2 token endpoint, in full (env: SCM_TOKEN_URL; default:
    /// https://auth.apps.paloaltonetworks.com/oauth2/access_token).
    #[arg(long, global = true, value_name = "URL")]
    pub token_url: Option<String>,
    /// OAuth2 token service base URL; `/oauth2/access_token` is appended (env:
    /// SCM_AUTH_BASE_URL; default: https://auth.apps.paloaltonetworks.com). `--token-url` wins.
    #[arg(long, global = true, value_name = "URL")]
    pub auth_base_url: Option<String>,
    /// Do not verify the TLS certificate of the SCM and token hosts (env:
    /// SCM_SKIP_VERIFY_CERTIFICATE).
    #[arg(long, global = true)]
    pub scm_skip_verify: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: ScmSub,
}

/// `panops scm` sub-commands. Anything else is `<resource> <operation>`.
#[derive(Debug, Subcommand)]
pub enum ScmSub {
    /// List resources with their operations.
    Catalog,
    /// Show the parameters, body fields and constraints of RESOURCE or RESOURCE.OPERATION.
    Describe {
        /// `address` or `address.create`.
        target: String,
    },
    /// Run an action file: one `{resource, operation, parameters}` object or a list, in order,
    /// stopping at the first failure.
    Run {
        /// JSON file (`-` for standard input).
        file: PathBuf,
        /// Connection settings.
        #[command(flatten)]
        conn: ScmConnectionFlags,
    },
    /// Push the candidate configuration of folders, optionally waiting for the job.
    Push {
        /// Folder to push (repeatable).
        #[arg(long = "folder", required = true)]
        folders: Vec<String>,
        /// Description of the push.
        #[arg(long)]
        description: Option<String>,
        /// Wait for the job to end, showing progress on stderr.
        #[arg(long)]
        wait: bool,
        /// Seconds between job polls.
        #[arg(long, default_value_t = 2)]
        interval: u64,
        /// Seconds to wait before giving up.
        #[arg(long = "wait-timeout", default_value_t = 600)]
        wait_timeout: u64,
        /// Connection settings.
        #[command(flatten)]
        conn: ScmConnectionFlags,
    },
    /// Wait for a configuration job to end, showing progress on stderr (`job list` and
    /// `job get --param id=N` are ordinary catalog calls).
    Wait {
        /// Job id (as printed by `push`).
        job_id: String,
        /// Seconds between job polls.
        #[arg(long, default_value_t = 2)]
        interval: u64,
        /// Seconds to wait before giving up.
        #[arg(long = "wait-timeout", default_value_t = 600)]
        wait_timeout: u64,
        /// Connection settings.
        #[command(flatten)]
        conn: ScmConnectionFlags,
    },
    /// List folders (the predefined ones when the account may not list folders).
    Folders {
        /// Connection settings.
        #[command(flatten)]
        conn: ScmConnectionFlags,
    },
    /// `<resource> <operation> [--folder F] [--param key=value ...] [--json '{...}'] [--all]`.
    #[command(external_subcommand)]
    Call(Vec<String>),
}

impl ScmSub {
    /// Takes the connection flags given after the subcommand (none for `catalog` and
    /// `describe`, which connect to nothing, nor for a catalog call, whose flags come before
    /// its resource).
    pub fn take_conn(&mut self) -> ScmConnectionFlags {
        match self {
            Self::Run { conn, .. }
            | Self::Push { conn, .. }
            | Self::Wait { conn, .. }
            | Self::Folders { conn } => std::mem::take(conn),
            Self::Catalog | Self::Describe { .. } | Self::Call(_) => ScmConnectionFlags::default(),
        }
    }
}

/// The options of `panops scm <resource> <operation>`.
#[derive(Debug, Parser)]
#[command(name = "panops scm", no_binary_name = false)]
struct CallArgs {
    /// Resource key (`address`, `securityRule`, ...).
    resource: String,
    /// Operation (`list`, `create`, `get`, `update`, `delete`, `move`, ...).
    operation: String,
    /// Folder (the `folder` parameter).
    #[arg(long)]
    folder: Option<String>,
    /// A parameter `key=value`; dotted keys build nested objects (`dynamic.filter=...`);
    /// values that are not strings in the spec are read as JSON (`limit=10`, `tag=["a"]`).
    #[arg(long = "param", short = 'p', value_name = "KEY=VALUE")]
    params: Vec<String>,
    /// Parameters as a JSON object (merged under the --param values).
    #[arg(long, value_name = "JSON")]
    json: Option<String>,
    /// For `list`: page through every object.
    #[arg(long)]
    all: bool,
    /// Output format (as the global -o).
    #[arg(short, long, value_enum)]
    output: Option<Format>,
    /// API family (as `panops scm --family`).
    #[arg(long, value_parser = parse_family)]
    family: Option<Family>,
}

fn parse_family(s: &str) -> Result<Family, String> {
    Family::parse(s).ok_or_else(|| format!("unknown family '{s}' (expected sse-v1 or v2)"))
}

/// Runs `panops scm` honouring the global connection flags of `panops` (`--profile`,
/// `--skip-verify-certificate`, `--ca-file`, `--request-timeout`).
pub async fn run_with(cmd: ScmCmd, format: Format, conn: &ConnectionFlags) -> Result<ExitCode> {
    let profile = conn.profile.as_deref();
    let catalog = load_catalog(cmd.spec_dir.as_deref())?;
    let overrides = ScmOverrides {
        base_url: cmd.base_url.clone(),
        token_url: cmd.token_url.clone(),
        auth_base_url: cmd.auth_base_url.clone(),
        family: cmd.family,
        skip_verify: conn.skip_verify_certificate || cmd.scm_skip_verify,
        ca_file: conn.ca_file.clone(),
        timeout_secs: conn.request_timeout,
    };
    match cmd.command {
        ScmSub::Catalog => {
            let family = cmd.family;
            let rows: Vec<Value> = catalog
                .resources()
                .into_iter()
                .filter(|r| family.is_none_or(|f| r.family == f))
                .map(|r| {
                    json!({
                        "resource": r.resource,
                        "family": r.family,
                        "operations": r.operations,
                        "path": r.path,
                    })
                })
                .collect();
            output::print(format, &Rendered::json(Value::Array(rows)))?;
            Ok(ExitCode::SUCCESS)
        }
        ScmSub::Describe { target } => {
            let family = cmd.family.unwrap_or(Family::SseV1);
            let (resource, operation) = match target.split_once('.') {
                Some((r, o)) => (r, Some(o)),
                None => (target.as_str(), None),
            };
            let description = catalog.describe(family, resource, operation)?;
            let value = serde_json::to_value(&description)?;
            if format == Format::Table {
                println!("{}", describe_text(&description));
            } else {
                output::print(format, &Rendered::json(value))?;
            }
            Ok(ExitCode::SUCCESS)
        }
        ScmSub::Call(args) => {
            let mut argv = vec!["panops scm".to_string()];
            argv.extend(args);
            let call = match CallArgs::try_parse_from(&argv) {
                Ok(c) => c,
                Err(e) => {
                    let usage = e.use_stderr();
                    let _ = e.print();
                    return Ok(if usage {
                        ExitCode::from(2)
                    } else {
                        ExitCode::SUCCESS
                    });
                }
            };
            if call.all && call.operation != "list" {
                eprintln!(
                    "error: --all pages through a `list`, not `{}`",
                    call.operation
                );
                return Ok(ExitCode::from(2));
            }
            let format = call.output.unwrap_or(format);
            let overrides = ScmOverrides {
                family: call.family.or(overrides.family),
                ..overrides
            };
            let settings = scm_settings::load(profile, &overrides)?;
            let family = settings.family;
            let params = match call_params(&catalog, family, &call, settings.folder.as_deref()) {
                Ok(p) => p,
                Err(e) => {
                    eprintln!("error: {e:#}");
                    return Ok(ExitCode::from(2));
                }
            };
            let client = build_client(&settings, catalog)?;
            // Invalid input is a usage error (exit 2), found before anything is sent.
            let checked = if call.all { "list" } else { &call.operation };
            if let Err(e) = client.build_request(None, &call.resource, checked, &params)
                && e.is_validation()
            {
                eprintln!("error: {e}");
                return Ok(ExitCode::from(2));
            }
            let value = if call.all {
                Value::Array(client.list_all(&call.resource, params).await?)
            } else {
                client
                    .call(None, &call.resource, &call.operation, params)
                    .await?
            };
            output::print(format, &Rendered::json(for_format(format, value)))?;
            Ok(ExitCode::SUCCESS)
        }
        ScmSub::Run { file, .. } => {
            let mut actions = read_actions(&file)?;
            let settings = scm_settings::load(profile, &overrides)?;
            // Actions that name no folder act in the default one (as `panops run` does).
            for action in &mut actions {
                let family = action.family.unwrap_or(settings.family);
                if let (Ok(op), Value::Object(params)) = (
                    catalog.operation(family, &action.resource, &action.operation),
                    &mut action.parameters,
                ) {
                    fill_folder(op, params, settings.default_folder());
                }
            }
            let client = build_client(&settings, catalog)?;
            run_actions(&client, actions, format).await
        }
        ScmSub::Push {
            folders,
            description,
            wait,
            interval,
            wait_timeout,
            ..
        } => {
            let settings = scm_settings::load(profile, &overrides)?;
            let client = build_client(&settings, catalog)?;
            let job_id = client.push(&folders, description.as_deref()).await?;
            if !wait {
                output::print(format, &Rendered::json(json!({ "job_id": job_id })))?;
                return Ok(ExitCode::SUCCESS);
            }
            wait_for_job(&client, &job_id, interval, wait_timeout, format).await
        }
        ScmSub::Wait {
            job_id,
            interval,
            wait_timeout,
            ..
        } => {
            let settings = scm_settings::load(profile, &overrides)?;
            let client = build_client(&settings, catalog)?;
            wait_for_job(&client, &job_id, interval, wait_timeout, format).await
        }
        ScmSub::Folders { .. } => {
            let settings = scm_settings::load(profile, &overrides)?;
            let client = build_client(&settings, catalog)?;
            let folders = client.folders().await?;
            output::print(format, &Rendered::json(json!(folders)))?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Polls a job until it ends, printing each new status on stderr; the final job is the
/// output. A failed job exits 1 (its JSON is still printed in machine formats).
async fn wait_for_job(
    client: &ScmClient,
    job_id: &str,
    interval: u64,
    wait_timeout: u64,
    format: Format,
) -> Result<ExitCode> {
    let mut last = String::new();
    let result = client
        .wait_job(
            job_id,
            Duration::from_secs(interval.max(1)),
            Duration::from_secs(wait_timeout),
            |s: &JobStatus| {
                let line = format!(
                    "job {}: {} {}{}",
                    s.id,
                    s.status,
                    s.result,
                    s.percent.map(|p| format!(" {p}%")).unwrap_or_default()
                );
                if line != last {
                    eprintln!("{line}");
                    last = line;
                }
            },
        )
        .await;
    match result {
        Ok(status) => {
            output::print(format, &Rendered::json(job_json(job_id, &status)))?;
            Ok(ExitCode::SUCCESS)
        }
        Err(JobError::Failed { job, .. }) if format != Format::Table => {
            output::print(format, &Rendered::json(job_json(job_id, &job)))?;
            eprintln!("error: job {job_id} failed: {} {}", job.status, job.result);
            Ok(ExitCode::from(1))
        }
        Err(e) => Err(e.into()),
    }
}

/// Tables show the items of a list envelope as rows; machine formats keep the envelope.
fn for_format(format: Format, value: Value) -> Value {
    match (format, value) {
        (Format::Table, Value::Object(mut map)) if map.get("data").is_some_and(Value::is_array) => {
            map.remove("data").unwrap_or(Value::Null)
        }
        (_, value) => value,
    }
}

fn job_json(job_id: &str, status: &JobStatus) -> Value {
    json!({
        "job_id": job_id,
        "status": status.status,
        "result": status.result,
        "percent": status.percent,
        "summary": status.summary,
        "job": status.raw,
    })
}

fn load_catalog(spec_dir: Option<&Path>) -> Result<CatalogHandle> {
    match spec_dir {
        None => Ok(CatalogHandle::Builtin(Catalog::builtin())),
        Some(dir) => {
            let newer = Catalog::from_spec_dir(dir)
                .with_context(|| format!("cannot load the specs in {}", dir.display()))?;
            Ok(CatalogHandle::from(Catalog::builtin().merged_with(newer)))
        }
    }
}

fn build_client(settings: &scm_settings::ScmSettings, catalog: CatalogHandle) -> Result<ScmClient> {
    let mut builder = ScmClient::builder(settings.credentials.clone())
        .family(settings.family)
        .catalog(catalog)
        .timeout(Duration::from_secs(settings.timeout_secs))
        .tls(TlsOptions {
            ca_bundle: settings.ca_file.clone(),
            danger_accept_invalid_certs: settings.skip_verify,
        });
    if let Some(url) = &settings.base_url {
        builder = builder.base_url(url);
    }
    if let Some(url) = &settings.token_url {
        builder = builder.token_url(url);
    }
    Ok(builder.build()?)
}

/// Builds the parameters of a CLI call: `--json`, then `--param`s, then `--folder`. When
/// none of `folder`, `snippet`, `device` is given and the operation takes a `folder`, the
/// configured default folder (`SCM_FOLDER` or the profile's `folder`), if any, is used.
fn call_params(
    catalog: &Catalog,
    family: Family,
    call: &CallArgs,
    default_folder: Option<&str>,
) -> Result<Value> {
    let mut params = match &call.json {
        Some(text) => {
            match serde_json::from_str::<Value>(text).context("--json is not valid JSON")? {
                Value::Object(map) => map,
                other => bail!(
                    "--json must be a JSON object, not {}",
                    match other {
                        Value::Array(_) => "an array",
                        Value::String(_) => "a string",
                        Value::Number(_) => "a number",
                        Value::Bool(_) => "a boolean",
                        _ => "null",
                    }
                ),
            }
        }
        None => Map::new(),
    };
    let op = catalog
        .operation(family, &call.resource, &call.operation)
        .ok();
    for item in &call.params {
        let Some((key, raw)) = item.split_once('=') else {
            bail!("--param '{item}' must be KEY=VALUE");
        };
        let key = key.trim();
        if key.is_empty() || key.split('.').any(str::is_empty) {
            bail!("--param '{item}' has an empty key");
        }
        let path: Vec<&str> = key.split('.').collect();
        let kind = op.and_then(|o| field_kind(o, &path));
        let value = coerce(raw, kind);
        insert_path(&mut params, &path, value)
            .with_context(|| format!("--param '{item}' conflicts with another parameter"))?;
    }
    if let Some(folder) = &call.folder {
        params.insert("folder".into(), Value::String(folder.clone()));
    }
    if let (Some(op), Some(folder)) = (op, default_folder) {
        fill_folder(op, &mut params, folder);
    }
    Ok(Value::Object(params))
}

/// Adds `folder` when the operation takes one and none of `folder`, `snippet`, `device` is
/// given.
fn fill_folder(op: &panops_scm::Operation, params: &mut Map<String, Value>, folder: &str) {
    let has_container = ["folder", "snippet", "device"]
        .iter()
        .any(|k| params.contains_key(*k));
    let takes_folder = op.param("folder").is_some()
        || op
            .body
            .as_ref()
            .is_some_and(|b| b.schema.properties.contains_key("folder"));
    if !has_container && takes_folder {
        params.insert("folder".into(), Value::String(folder.to_string()));
    }
}

/// The spec type of a parameter or (possibly nested) body field.
fn field_kind(op: &panops_scm::Operation, path: &[&str]) -> Option<SchemaKind> {
    if let [single] = path
        && let Some(p) = op.param(single)
    {
        return Some(p.schema.kind);
    }
    let mut schema = &op.body.as_ref()?.schema;
    for part in path {
        schema = schema.properties.get(*part)?;
    }
    Some(schema.kind)
}

fn coerce(raw: &str, kind: Option<SchemaKind>) -> Value {
    match kind {
        Some(SchemaKind::String) => Value::String(raw.to_string()),
        // Arrays of strings may be given as a comma-free single value too.
        Some(SchemaKind::Array) => match serde_json::from_str::<Value>(raw) {
            Ok(v @ Value::Array(_)) => v,
            _ => Value::Array(vec![Value::String(raw.to_string())]),
        },
        _ => serde_json::from_str::<Value>(raw).unwrap_or_else(|_| Value::String(raw.to_string())),
    }
}

fn insert_path(map: &mut Map<String, Value>, path: &[&str], value: Value) -> Result<()> {
    match path {
        [] => Ok(()),
        [last] => {
            map.insert((*last).to_string(), value);
            Ok(())
        }
        [first, rest @ ..] => {
            let entry = map
                .entry((*first).to_string())
                .or_insert_with(|| Value::Object(Map::new()));
            match entry {
                Value::Object(inner) => insert_path(inner, rest, value),
                _ => bail!("'{first}' is already set to a non-object value"),
            }
        }
    }
}

fn read_actions(file: &Path) -> Result<Vec<ScmAction>> {
    let text = if file == Path::new("-") {
        std::io::read_to_string(std::io::stdin()).context("cannot read actions from stdin")?
    } else {
        std::fs::read_to_string(file)
            .with_context(|| format!("cannot read action file {}", file.display()))
            .map_err(crate::exit::as_usage)?
    };
    let value: Value = serde_json::from_str(&text)
        .with_context(|| format!("{} is not valid JSON", file.display()))
        .map_err(crate::exit::as_usage)?;
    let items = match value {
        Value::Array(items) => items,
        other => vec![other],
    };
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            serde_json::from_value::<ScmAction>(item)
                .with_context(|| {
                    format!(
                        "action #{} in {} must be {{\"resource\", \"operation\", \"parameters\"}}",
                        i + 1,
                        file.display()
                    )
                })
                .map_err(crate::exit::as_usage)
        })
        .collect()
}

async fn run_actions(
    client: &ScmClient,
    actions: Vec<ScmAction>,
    format: Format,
) -> Result<ExitCode> {
    let total = actions.len();
    let mut done = Vec::new();
    for (i, action) in actions.iter().enumerate() {
        match client.run_action(action).await {
            Ok(result) => done.push(json!({
                "index": i + 1,
                "resource": action.resource,
                "operation": action.operation,
                "status": "ok",
                "result": result,
            })),
            Err(err) => {
                let report = json!({
                    "completed": done,
                    "failed": {
                        "index": i + 1,
                        "resource": action.resource,
                        "operation": action.operation,
                        "error": err.to_string(),
                        "sent": !err.is_validation(),
                    },
                    "not_run": total - i - 1,
                });
                output::print(format, &Rendered::json(report))?;
                eprintln!(
                    "error: action {} of {total} ({}.{}) failed: {err}; {} completed before it, {} not run",
                    i + 1,
                    action.resource,
                    action.operation,
                    i,
                    total - i - 1
                );
                return Ok(ExitCode::from(1));
            }
        }
    }
    output::print(format, &Rendered::json(Value::Array(done)))?;
    Ok(ExitCode::SUCCESS)
}

fn describe_text(d: &panops_scm::ResourceDescription) -> String {
    let mut out = format!("{} ({})\n", d.resource, d.family);
    for op in &d.operations {
        out.push_str(&format!(
            "\n{}.{}: {} {}\n",
            d.resource, op.operation, op.method, op.path
        ));
        if let Some(s) = &op.summary {
            out.push_str(&format!("  {s}\n"));
        }
        for p in &op.parameters {
            out.push_str(&format!(
                "  {:<8} {}{} {}\n",
                format!("{:?}", p.location).to_lowercase(),
                p.name,
                if p.required { " (required)" } else { "" },
                constraints(&p.schema)
            ));
        }
        for f in &op.body_fields {
            out.push_str(&format!(
                "  body     {}{} {}\n",
                f.path,
                if f.required { " (required)" } else { "" },
                constraints(&f.schema)
            ));
        }
        for g in &op.one_of_groups {
            let keys = g.group.all_keys().join(" | ");
            let scope = if g.object.is_empty() {
                "body".to_string()
            } else {
                g.object.clone()
            };
            out.push_str(&format!(
                "  {} of ({keys}) in {scope}\n",
                if g.group.exactly_one {
                    "exactly one"
                } else {
                    "at most one"
                }
            ));
        }
        for s in &op.skipped_patterns {
            out.push_str(&format!(
                "  note: pattern {} is not enforced ({})\n",
                s.pattern, s.reason
            ));
        }
    }
    out
}

fn constraints(s: &panops_scm::Schema) -> String {
    let mut parts = vec![s.kind.as_str().to_string()];
    if !s.enum_values.is_empty() {
        let values: Vec<String> = s.enum_values.iter().map(|v| v.to_string()).collect();
        parts.push(format!("enum {}", values.join(",")));
    }
    if let Some(v) = s.min_length {
        parts.push(format!("minLength {v}"));
    }
    if let Some(v) = s.max_length {
        parts.push(format!("maxLength {v}"));
    }
    if let Some(v) = &s.pattern {
        parts.push(format!("pattern {v}"));
    }
    if let Some(v) = s.minimum {
        parts.push(format!("min {v}"));
    }
    if let Some(v) = s.maximum {
        parts.push(format!("max {v}"));
    }
    if let Some(v) = s.max_items {
        parts.push(format!("maxItems {v}"));
    }
    if let Some(v) = &s.default {
        parts.push(format!("default {v}"));
    }
    format!("[{}]", parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_catalog_resource_is_shadowed_by_a_subcommand() {
        use clap::Subcommand;
        let cmd = ScmSub::augment_subcommands(clap::Command::new("scm"));
        let names: Vec<String> = cmd
            .get_subcommands()
            .flat_map(|c| {
                std::iter::once(c.get_name().to_string())
                    .chain(c.get_all_aliases().map(str::to_string))
            })
            .chain(std::iter::once("help".to_string()))
            .collect();
        assert!(names.iter().any(|n| n == "wait"), "{names:?}");
        for r in Catalog::builtin().resources() {
            assert!(
                !names.contains(&r.resource),
                "`panops scm {} ...` would run the built-in subcommand",
                r.resource
            );
        }
        // `job` in particular goes to the catalog (`job list`, `job get`).
        assert!(Catalog::builtin().has_resource(Family::SseV1, "job"));
    }

    #[test]
    fn default_folder_only_where_the_operation_takes_one() {
        let catalog = Catalog::builtin();
        let op = catalog.operation(Family::SseV1, "address", "list").unwrap();
        let mut p = Map::new();
        fill_folder(op, &mut p, "Mobile Users");
        assert_eq!(p.get("folder"), Some(&json!("Mobile Users")));
        // An explicit container wins.
        let mut p = Map::new();
        p.insert("snippet".into(), json!("s1"));
        fill_folder(op, &mut p, "Mobile Users");
        assert!(!p.contains_key("folder"));
        // The sse-v1 get by id takes no folder.
        let get = catalog.operation(Family::SseV1, "address", "get").unwrap();
        let mut p = Map::new();
        fill_folder(get, &mut p, "Mobile Users");
        assert!(p.is_empty());
    }

    #[test]
    fn insert_dotted_paths() {
        let mut m = Map::new();
        insert_path(&mut m, &["dynamic", "filter"], json!("'a'")).unwrap();
        insert_path(&mut m, &["name"], json!("g")).unwrap();
        assert_eq!(
            Value::Object(m.clone()),
            json!({"dynamic": {"filter": "'a'"}, "name": "g"})
        );
        assert!(insert_path(&mut m, &["name", "x"], json!(1)).is_err());
    }

    #[test]
    fn coercion_follows_the_spec_type() {
        assert_eq!(coerce("123", Some(SchemaKind::String)), json!("123"));
        assert_eq!(coerce("10", Some(SchemaKind::Integer)), json!(10));
        assert_eq!(coerce("10", None), json!(10));
        assert_eq!(coerce("web", None), json!("web"));
        assert_eq!(coerce("x", Some(SchemaKind::Array)), json!(["x"]));
        assert_eq!(
            coerce("[\"a\",\"b\"]", Some(SchemaKind::Array)),
            json!(["a", "b"])
        );
    }
}
