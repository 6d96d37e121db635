//! Backends (a PAN-OS firewall or Panorama, or an SCM tenant) and action dispatch.

use std::collections::HashMap;
use std::time::Duration;

use panops_client::panos::PanosClient;
use panops_client::scm::ScmClient;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::catalog::{self, BackendKind};
use crate::error::ActionError;

/// One action: `{"resource", "operation", "parameters", "profile"?}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Action {
    /// Resource (`address`, `userTag`, ...).
    pub resource: String,
    /// Operation (`create`, `register`, ...).
    pub operation: String,
    /// Parameters, SCM field names.
    #[serde(default = "empty_object", alias = "params")]
    pub parameters: Value,
    /// Profile deciding the backend; `None`: the default connection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
}

fn empty_object() -> Value {
    Value::Object(serde_json::Map::new())
}

impl Action {
    /// An action for the default backend.
    pub fn new(
        resource: impl Into<String>,
        operation: impl Into<String>,
        parameters: Value,
    ) -> Self {
        Action {
            resource: resource.into(),
            operation: operation.into(),
            parameters,
            profile: None,
        }
    }
}

/// A PAN-OS device and what it is.
#[derive(Debug, Clone)]
pub struct PanosBackend {
    pub(crate) client: PanosClient,
    pub(crate) panorama: bool,
    pub(crate) poll_interval: Duration,
    /// Device groups seen to exist, so a batch of writes checks each group once.
    pub(crate) known_device_groups:
        std::sync::Arc<std::sync::Mutex<std::collections::HashSet<String>>>,
}

/// An SCM tenant.
#[derive(Debug, Clone)]
pub struct ScmBackend {
    pub(crate) client: ScmClient,
    pub(crate) folder: String,
    pub(crate) poll_interval: Duration,
    pub(crate) concurrency: usize,
}

/// Where actions run.
#[derive(Debug, Clone)]
pub enum Backend {
    /// A firewall or Panorama over the XML API.
    Panos(PanosBackend),
    /// A Strata Cloud Manager tenant.
    Scm(ScmBackend),
}

impl Backend {
    /// A PAN-OS backend; asks the device (`show system info`) whether it is a Panorama.
    pub async fn panos(client: PanosClient) -> Result<Backend, ActionError> {
        let resp = client.op("<show><system><info/></system></show>").await?;
        let system = resp
            .result()
            .and_then(|r| r.child("system"))
            .ok_or_else(|| ActionError::decode("show system info has no <system>"))?;
        let model = system.child_text("model").unwrap_or_default();
        let mode = system.child_text("system-mode").unwrap_or_default();
        let panorama = model.starts_with("Panorama")
            || model.starts_with("M-")
            || mode.eq_ignore_ascii_case("panorama");
        Ok(Self::panos_as(client, panorama))
    }

    /// A PAN-OS backend whose kind is known (from the profile): no request is sent.
    pub fn panos_as(client: PanosClient, panorama: bool) -> Backend {
        Backend::Panos(PanosBackend {
            client,
            panorama,
            poll_interval: Duration::from_secs(1),
            known_device_groups: Default::default(),
        })
    }

    /// An SCM backend; `folder` is the default folder of object actions (`Shared` if `None`).
    pub fn scm(client: ScmClient, folder: Option<String>) -> Backend {
        Backend::Scm(ScmBackend {
            client,
            folder: folder.unwrap_or_else(|| "Shared".to_string()),
            poll_interval: Duration::from_secs(2),
            concurrency: 8,
        })
    }

    /// Sets how often jobs are polled (default 1 s on PAN-OS, 2 s on SCM).
    #[must_use]
    pub fn with_poll_interval(mut self, interval: Duration) -> Backend {
        match &mut self {
            Backend::Panos(p) => p.poll_interval = interval,
            Backend::Scm(s) => s.poll_interval = interval,
        }
        self
    }

    /// The kind of backend.
    pub fn kind(&self) -> BackendKind {
        match self {
            Backend::Panos(p) if p.panorama => BackendKind::Panorama,
            Backend::Panos(_) => BackendKind::Firewall,
            Backend::Scm(_) => BackendKind::Scm,
        }
    }

    /// Validates and runs one action.
    pub async fn execute(
        &self,
        resource: &str,
        operation: &str,
        parameters: &Value,
    ) -> Result<Value, ActionError> {
        let spec = catalog::find(resource, operation)?;
        let kind = self.kind();
        if !spec.supports(kind) {
            return Err(unsupported(spec, kind));
        }
        catalog::validate(spec, parameters)?;
        // Value formats (ports, addresses, names, filters...) for both backends alike.
        crate::fields::check_values(spec, parameters, &|_| false)?;
        let empty = serde_json::Map::new();
        let mut params = std::borrow::Cow::Borrowed(parameters.as_object().unwrap_or(&empty));
        if let Some(obj) = catalog::object_resource(resource)
            && obj.filter_from_tags
            && matches!(operation, "create" | "update")
        {
            // Both backends take a raw filter: build it from the tags before anything is sent.
            params = std::borrow::Cow::Owned(crate::fields::filter_from_tags(
                &params,
                operation == "create",
            )?);
        }
        match self {
            Backend::Panos(p) => crate::panos::execute(p, spec, &params).await,
            Backend::Scm(s) => crate::scm::execute(s, spec, &params).await,
        }
    }
}

/// The `unsupported` error for `spec` on `kind`.
pub(crate) fn unsupported(spec: &catalog::ActionSpec, kind: BackendKind) -> ActionError {
    let on: Vec<&str> = spec.backends.iter().map(|b| b.as_str()).collect();
    let why = match (spec.resource.as_str(), kind) {
        ("config", BackendKind::Scm) => {
            " (SCM has no separate commit: config.push pushes the candidate configuration)"
        }
        ("config", BackendKind::Firewall) => " (a firewall has nothing to push: use config.commit)",
        (_, BackendKind::Scm) => " (the SCM configuration API has no such resource)",
        (_, BackendKind::Firewall) => " (this is a Panorama action)",
        _ => "",
    };
    ActionError::unsupported(format!(
        "{} is not available on {}{why}; it runs on: {}",
        spec.qualified(),
        kind.as_str(),
        on.join(", ")
    ))
}

/// The backends of a run: the default connection and named profiles.
#[derive(Debug, Clone, Default)]
pub struct Backends {
    default: Option<Backend>,
    named: HashMap<String, Backend>,
}

impl Backends {
    /// No backend yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Backends with only a default.
    pub fn with_default(backend: Backend) -> Self {
        Backends {
            default: Some(backend),
            named: HashMap::new(),
        }
    }

    /// Sets the default backend (actions without `profile`).
    pub fn set_default(&mut self, backend: Backend) {
        self.default = Some(backend);
    }

    /// Adds the backend of profile `name`.
    pub fn insert(&mut self, name: impl Into<String>, backend: Backend) {
        self.named.insert(name.into(), backend);
    }

    /// The backend for `profile` (`None`: the default).
    pub fn get(&self, profile: Option<&str>) -> Result<&Backend, ActionError> {
        match profile {
            None => self.default.as_ref().ok_or_else(|| ActionError::Profile {
                profile: "(default)".into(),
                message: "no connection: name a profile in the action or set PANOS_* / SCM_* or the command-line flags".into(),
            }),
            Some(name) => self.named.get(name).ok_or_else(|| {
                let mut known: Vec<&str> = self.named.keys().map(String::as_str).collect();
                known.sort_unstable();
                ActionError::Profile {
                    profile: name.to_string(),
                    message: format!(
                        "not configured (known: {})",
                        if known.is_empty() { "none".to_string() } else { known.join(", ") }
                    ),
                }
            }),
        }
    }

    /// Runs one action on the backend its profile names.
    pub async fn execute(&self, action: &Action) -> Result<Value, ActionError> {
        self.get(action.profile.as_deref())?
            .execute(&action.resource, &action.operation, &action.parameters)
            .await
    }
}

// ---- parameter helpers shared by the backends ---------------------------------------------

pub(crate) type Params = serde_json::Map<String, Value>;

pub(crate) fn opt_str<'a>(p: &'a Params, key: &str) -> Option<&'a str> {
    p.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

pub(crate) fn req_str<'a>(p: &'a Params, key: &str) -> Result<&'a str, ActionError> {
    opt_str(p, key).ok_or_else(|| ActionError::invalid(key, "is required"))
}

pub(crate) fn opt_bool(p: &Params, key: &str, default: bool) -> bool {
    p.get(key).and_then(Value::as_bool).unwrap_or(default)
}

pub(crate) fn opt_u64(p: &Params, key: &str) -> Result<Option<u64>, ActionError> {
    match p.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_u64()
            .map(Some)
            .ok_or_else(|| ActionError::invalid(key, "must be a non-negative integer")),
        Some(Value::String(s)) => s
            .parse()
            .map(Some)
            .map_err(|_| ActionError::invalid(key, format!("{s:?} is not a non-negative integer"))),
        Some(_) => Err(ActionError::invalid(key, "must be an integer")),
    }
}

pub(crate) fn str_list(p: &Params, key: &str) -> Vec<String> {
    match p.get(key) {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

pub(crate) fn timeout(p: &Params) -> Result<Duration, ActionError> {
    Ok(Duration::from_secs(
        opt_u64(p, "timeout_secs")?.unwrap_or(600),
    ))
}
