//! Deploy a certificate through Panorama with automatic rollback, and roll a deployment back
//! later. Every step is recorded in the process store before and after it runs, with the
//! snapshot taken before the first change, so a deployment can be rolled back from its record
//! alone (after a failure, a `kill -9` or a reboot).
//!
//! Steps: lock → import (versioned name, the old certificate stays) → bind (SSL/TLS service
//! profiles of the template, inbound-inspection decryption rules of the device group; append
//! or replace) → commit (partial, scoped to this admin) → push (device group, template stacks)
//! → verify (each firewall's running config through `target=`) → cleanup (replace mode: the
//! superseded certificate deleted once unreferenced, committed and pushed) → unlock.

use std::time::Duration;

use panops_client::Error as ClientError;
use panops_client::panos::{PanosClient, WaitOptions};
use panops_panos::commit::{self, Commit, CommitAll, Partial};
use panops_panos::import::{Import, ImportCategory, ImportFormat};
use panops_panos::xml::{Element, escape};
use panops_panos::xpath::quote;
use panops_store::{DeviceResult, NewProcess, ProcessState, StepOutcome, StepState, Store};
use serde::{Deserialize, Serialize};

use crate::material::{self, Bundle, MaterialError, PANORAMA_NAME_MAX};

const LH: &str = "/config/devices/entry[@name='localhost.localdomain']";
/// Firewalls verified at once.
const VERIFY_CONCURRENCY: usize = 8;

/// A process of another host whose heartbeat is older than this is taken as dead.
const STALE_MS: i64 = 600_000;

const FW_VSYS1: &str =
    "/config/devices/entry[@name='localhost.localdomain']/vsys/entry[@name='vsys1']";

/// Errors of a deployment or rollback.
#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    /// The certificate material is not acceptable; nothing was sent.
    #[error("invalid certificate material:\n  {}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n  "))]
    Material(Vec<MaterialError>),
    /// A deploy option is invalid or names something that does not exist; nothing was changed.
    #[error("{field}: {reason}")]
    Invalid {
        /// The option or object at fault.
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// A step failed; every change was rolled back and the restoration verified.
    #[error("process {process}: step {step} failed: {reason}; rolled back")]
    RolledBack {
        /// Process id.
        process: String,
        /// The failed step.
        step: String,
        /// Why.
        reason: String,
    },
    /// A step failed and the rollback failed too; the record says what is left.
    #[error(
        "process {process}: step {step} failed: {reason}; ROLLBACK FAILED: {rollback}; see `panops cert process {process}`"
    )]
    RollbackFailed {
        /// Process id.
        process: String,
        /// The failed step.
        step: String,
        /// Why.
        reason: String,
        /// Why the rollback failed.
        rollback: String,
    },
    /// The affected objects changed since the deployment; rollback refused (use force).
    #[error(
        "the configuration changed since process {process}; rollback refused (use --force):\n{diff}"
    )]
    Changed {
        /// Process id.
        process: String,
        /// What differs, one line per object.
        diff: String,
    },
    /// The process store failed.
    #[error(transparent)]
    Store(#[from] panops_store::StoreError),
    /// A request failed outside a step (before any change).
    #[error(transparent)]
    Client(#[from] ClientError),
}

/// How the new certificate is bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// Add the new certificate to the rule's certificate list, keep the others.
    Append,
    /// Swap it in for the old one; the superseded certificate is deleted at the end.
    Replace,
}

/// Where on Panorama the certificate object is imported.
///
/// Template and template-stack locations follow pan-os-codegen's certificate-import spec and
/// pango (`target-tpl`). Panorama shared (`/config/shared/certificate`) and device-group
/// (`/config/devices/entry/device-group/entry[@name=DG]/certificate`) certificates are in no
/// public SDK we could read (pango and pan-os-codegen model only Panorama itself and
/// templates): their xpaths follow the other device-group objects, and the import selects
/// them with `vsys=shared` / `vsys=DG` by analogy with the firewall's vsys parameter
/// (unverified against a real Panorama). Both reach the firewalls with the device-group push.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "name")]
pub enum Location {
    /// The `shared` part of the template (or template stack) of the request.
    #[default]
    Template,
    /// Panorama shared: visible to every device group's rules.
    Shared,
    /// One device group: visible to its own rules.
    DeviceGroup(String),
}

/// The certificate container of a location.
fn container_xpath(loc: &Location, stack: bool, template: &str) -> String {
    match loc {
        Location::Template => format!("{}/shared/certificate", tpl_base(stack, template)),
        Location::Shared => "/config/shared/certificate".to_string(),
        Location::DeviceGroup(dg) => format!("{}/certificate", dg_xpath(dg)),
    }
}

fn entry_xpath(container: &str, name: &str) -> String {
    format!("{container}/entry[@name={}]", quote(name))
}

/// A location in words, for plans and errors.
fn location_text(loc: &Location, stack: bool, template: &str) -> String {
    match loc {
        Location::Template if stack => format!("template stack {template}"),
        Location::Template => format!("template {template}"),
        Location::Shared => "Panorama shared".to_string(),
        Location::DeviceGroup(dg) => format!("device group {dg}"),
    }
}

/// What to deploy, where.
#[derive(Debug, Clone)]
pub struct DeployRequest {
    /// Panorama template the certificate is imported into (template `shared`), and whose
    /// SSL/TLS service profiles are bound; unused for the shared and device-group locations.
    pub template: String,
    /// `template` names a template stack (the stack's own configuration) instead.
    pub stack: bool,
    /// Where the certificate object goes.
    pub location: Location,
    /// Device groups of the decryption rules (each rule is looked up in every one).
    pub device_groups: Vec<String>,
    /// Decryption rules (ssl-inbound-inspection) to bind.
    pub decryption_rules: Vec<String>,
    /// SSL/TLS service profiles of the template to bind.
    pub ssl_tls_profiles: Vec<String>,
    /// GlobalProtect portals of the template whose SSL/TLS service profile is bound.
    pub gp_portals: Vec<String>,
    /// GlobalProtect gateways of the template whose SSL/TLS service profile is bound.
    pub gp_gateways: Vec<String>,
    /// Bind the SSL/TLS service profile of the template's management interface (web UI).
    pub management: bool,
    /// Bind every profile / rule that references this certificate instead.
    pub replace_cert: Option<String>,
    /// Append or replace.
    pub mode: Mode,
    /// Stop after binding (nothing committed).
    pub skip_commit: bool,
    /// Stop after the Panorama commit (nothing pushed).
    pub skip_push: bool,
    /// The Panorama admin the API key belongs to (partial commit scope).
    pub admin: String,
}

/// A profile binding: before and after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileBinding {
    /// Profile name.
    pub name: String,
    /// Certificate before the deployment.
    pub before: Option<String>,
    /// Certificate after.
    pub after: String,
    /// What uses the profile in the same template (`globalprotect-portal NAME`,
    /// `globalprotect-gateway NAME`, `management web UI`): they present the new certificate
    /// once the profile is re-pointed, and the previous one again after a rollback.
    #[serde(default)]
    pub used_by: Vec<String>,
}

/// A decryption rule binding: before and after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleBinding {
    /// Rule name.
    pub name: String,
    /// `pre-rulebase` or `post-rulebase`.
    pub rulebase: String,
    /// Device group of the rule (empty in records written before several device groups were
    /// supported: then [`Snapshot::device_group`]).
    #[serde(default)]
    pub device_group: String,
    /// Certificate list before.
    pub before: Vec<String>,
    /// Certificate list after.
    pub after: Vec<String>,
}

/// A certificate entry as it was in Panorama's candidate (restored if deleted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedCert {
    /// Name.
    pub name: String,
    /// The `<entry>` XML (PAN-OS keeps private keys encrypted with its master key).
    pub entry_xml: String,
}

/// What a push targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PushKind {
    /// A device group.
    DeviceGroup,
    /// A template stack.
    TemplateStack,
}

/// One push: a device group or template stack and the firewalls it reaches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushTarget {
    /// Device group or template stack.
    pub kind: PushKind,
    /// Its name.
    pub name: String,
    /// Firewalls (serials) it reaches.
    pub devices: Vec<String>,
}

fn yes() -> bool {
    true
}

/// The plan and the rollback snapshot of a deployment, stored with the process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Template holding the certificate.
    pub template: String,
    /// `template` is a template stack.
    #[serde(default)]
    pub stack: bool,
    /// Whether the template's `certificate` container existed before (a rollback removes
    /// the one the import created, so the configuration is as before).
    #[serde(default = "yes")]
    pub container_existed: bool,
    /// Where the certificate object is.
    #[serde(default)]
    pub location: Location,
    /// The first device group of the rules (the only one in older records).
    pub device_group: Option<String>,
    /// Device groups of the rules.
    #[serde(default)]
    pub device_groups: Vec<String>,
    /// The new certificate's versioned name.
    pub new_cert: String,
    /// Its SHA-256 fingerprint.
    pub fingerprint: String,
    /// Append or replace.
    pub mode: Mode,
    /// Profile bindings.
    pub profiles: Vec<ProfileBinding>,
    /// Rule bindings.
    pub rules: Vec<RuleBinding>,
    /// Certificates replace mode deletes at the end (restored on rollback).
    pub superseded: Vec<SavedCert>,
    /// Pushes, in order.
    pub push: Vec<PushTarget>,
    /// Firewalls the pushes reach.
    pub devices: Vec<String>,
    /// Panorama admin (partial commit scope).
    pub admin: String,
}

impl Snapshot {
    /// The certificate container of the deployment's location.
    pub fn cert_container(&self) -> String {
        container_xpath(&self.location, self.stack, &self.template)
    }

    /// The xpath of certificate `name` at the deployment's location.
    pub fn cert_xpath(&self, name: &str) -> String {
        entry_xpath(&self.cert_container(), name)
    }

    /// The location in words.
    pub fn location_text(&self) -> String {
        location_text(&self.location, self.stack, &self.template)
    }

    /// Device group of a rule binding.
    pub fn rule_dg<'a>(&'a self, r: &'a RuleBinding) -> Option<&'a str> {
        if r.device_group.is_empty() {
            self.device_group.as_deref()
        } else {
            Some(&r.device_group)
        }
    }

    /// The plan as human-readable lines, in order.
    pub fn plan_lines(&self) -> Vec<String> {
        let tpl = &self.template;
        let mut out = vec![format!(
            "import certificate {} (sha256 {}) into {}",
            self.new_cert,
            self.fingerprint,
            self.location_text()
        )];
        for p in &self.profiles {
            out.push(format!(
                "template {tpl}: ssl-tls-service-profile {} certificate {} -> {}{}",
                p.name,
                p.before.as_deref().unwrap_or("(none)"),
                p.after,
                if p.used_by.is_empty() {
                    String::new()
                } else {
                    format!(" (used by {})", p.used_by.join(", "))
                }
            ));
        }
        for r in &self.rules {
            out.push(format!(
                "device-group {}: {} decryption rule {} certificates [{}] -> [{}]",
                self.rule_dg(r).unwrap_or("?"),
                r.rulebase,
                r.name,
                r.before.join(", "),
                r.after.join(", ")
            ));
        }
        out.push(format!(
            "commit to Panorama (partial, admin {})",
            self.admin
        ));
        for p in &self.push {
            out.push(format!(
                "push {} {} to {}",
                match p.kind {
                    PushKind::DeviceGroup => "device group",
                    PushKind::TemplateStack => "template stack",
                },
                p.name,
                p.devices.join(", ")
            ));
        }
        out.push(format!(
            "verify on {} firewall(s): {}",
            self.devices.len(),
            self.devices.join(", ")
        ));
        for s in &self.superseded {
            out.push(format!(
                "delete superseded certificate {} from {}, commit, push",
                s.name,
                self.location_text()
            ));
        }
        out
    }
}

/// Timeouts and polling.
#[derive(Debug, Clone)]
pub struct Timing {
    /// Poll interval for jobs.
    pub poll: Duration,
    /// Longest wait for one commit or push job.
    pub job_timeout: Duration,
    /// Longest wait for the commit lock held by someone else.
    pub lock_wait: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Self {
            poll: Duration::from_secs(2),
            job_timeout: Duration::from_secs(1800),
            lock_wait: Duration::from_secs(300),
        }
    }
}

/// The result of a finished deployment.
#[derive(Debug, Clone)]
pub struct Deployed {
    /// Process id in the store.
    pub process: String,
    /// Final state (`succeeded`, or `stopped` for `--skip-commit` / `--skip-push`).
    pub state: ProcessState,
    /// The plan that was carried out.
    pub snapshot: Snapshot,
    /// Set when the deployment succeeded but its cleanup did not (replace mode: a superseded
    /// certificate could not be deleted, committed or pushed away); it says what was left.
    /// The same text is the process's `error` in the record, and the cleanup step is failed.
    pub warning: Option<String>,
}

/// Runs deployments and rollbacks against one Panorama.
pub struct Deployer {
    client: PanosClient,
    store: Store,
    timing: Timing,
    target: String,
}

fn invalid(field: impl Into<String>, reason: impl Into<String>) -> DeployError {
    DeployError::Invalid {
        field: field.into(),
        reason: reason.into(),
    }
}

/// The `config` of a template, or of a template stack when `stack`.
fn tpl_base(stack: bool, t: &str) -> String {
    let kind = if stack { "template-stack" } else { "template" };
    format!("{LH}/{kind}/entry[@name={}]/config", quote(t))
}
fn profile_xpath(stack: bool, t: &str, name: &str) -> String {
    format!(
        "{}/shared/ssl-tls-service-profile/entry[@name={}]",
        tpl_base(stack, t),
        quote(name)
    )
}
fn dg_xpath(dg: &str) -> String {
    format!("{LH}/device-group/entry[@name={}]", quote(dg))
}
fn rule_xpath(dg: &str, rulebase: &str, name: &str) -> String {
    format!(
        "{}/{rulebase}/decryption/rules/entry[@name={}]",
        dg_xpath(dg),
        quote(name)
    )
}

/// A GlobalProtect portal or gateway, or the management interface, and its profile.
struct ProfileUse {
    kind: &'static str,
    name: String,
    profile: String,
}

fn descendants<'a>(e: &'a Element, name: &str, out: &mut Vec<&'a Element>) {
    for c in e.elements() {
        if c.name == name {
            out.push(c);
        }
        descendants(c, name, out);
    }
}

fn members_xml(tag: &str, members: &[String]) -> String {
    let mut s = format!("<{tag}>");
    for m in members {
        s.push_str(&format!("<member>{}</member>", escape(m)));
    }
    s.push_str(&format!("</{tag}>"));
    s
}

fn members_of(e: Option<&Element>) -> Vec<String> {
    e.map(|e| {
        e.children_named("member")
            .map(|m| m.deep_text())
            .filter(|s| !s.is_empty())
            .collect()
    })
    .unwrap_or_default()
}

/// Canonical text of an XML element: attributes sorted, whitespace-only text and the
/// candidate annotations (`admin`, `dirtyId`, `time`) dropped. Used to compare
/// configurations before and after a rollback.
pub fn canonical(e: &Element) -> String {
    let mut out = String::new();
    write_canonical(e, &mut out);
    out
}

fn write_canonical(e: &Element, out: &mut String) {
    out.push('<');
    out.push_str(&e.name);
    let mut attrs: Vec<&(String, String)> = e
        .attrs
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "admin" | "dirtyId" | "time"))
        .collect();
    attrs.sort();
    for (k, v) in attrs {
        out.push_str(&format!(" {k}=\"{}\"", escape(v)));
    }
    out.push('>');
    for n in &e.children {
        match n {
            panops_panos::xml::Node::Element(c) => write_canonical(c, out),
            panops_panos::xml::Node::Text(t) => {
                if !t.trim().is_empty() {
                    out.push_str(&escape(t.trim()));
                }
            }
        }
    }
    out.push_str("</");
    out.push_str(&e.name);
    out.push('>');
}

/// The first element of a `config get/show` result, if any.
fn first_result(r: &panops_panos::response::Response) -> Option<Element> {
    r.result().and_then(|res| res.elements().next().cloned())
}

/// Keeps a process's heartbeat fresh while it runs (jobs can take many minutes), so other
/// panops instances sharing the store do not take it for dead; stops when dropped.
struct Heartbeat(tokio::task::JoinHandle<()>);

impl Heartbeat {
    fn start(store: &Store, id: &str) -> Self {
        let store = store.clone();
        let id = id.to_string();
        Self(tokio::spawn(async move {
            loop {
                tokio::time::sleep(HEARTBEAT_EVERY).await;
                if store.heartbeat(&id).await.is_err() {
                    tracing::warn!("cannot record the heartbeat of process {id}");
                }
            }
        }))
    }
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        self.0.abort();
    }
}

const HEARTBEAT_EVERY: Duration = Duration::from_secs(30);

struct Failure {
    step: String,
    reason: String,
}

impl Deployer {
    /// A deployer for the Panorama behind `client`, recording into `store`.
    pub fn new(client: PanosClient, store: Store, timing: Timing) -> Self {
        let target = client.url().to_string();
        Self {
            client,
            store,
            timing,
            target,
        }
    }

    /// The process store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    async fn get(&self, xpath: &str) -> Result<Option<Element>, ClientError> {
        let r = self.client.config_get(xpath).await?;
        Ok(first_result(&r))
    }

    /// What uses which SSL/TLS service profile in a template's configuration: GlobalProtect
    /// portals and gateways of each vsys (the profile is referenced somewhere below the
    /// portal's or gateway's entry, e.g. `portal-config/ssl-tls-service-profile`, as
    /// pan-certbot reads it) and the management interface
    /// (`deviceconfig/system/ssl-tls-service-profile`).
    async fn profile_uses(
        &self,
        stack: bool,
        template: &str,
    ) -> Result<Vec<ProfileUse>, ClientError> {
        let mut out = Vec::new();
        let Some(devices) = self
            .get(&format!("{}/devices", tpl_base(stack, template)))
            .await?
        else {
            return Ok(out);
        };
        for dev in devices.children_named("entry") {
            if let Some(p) = dev
                .path("deviceconfig/system")
                .and_then(|s| s.child_text("ssl-tls-service-profile"))
            {
                out.push(ProfileUse {
                    kind: "management",
                    name: "web UI".into(),
                    profile: p,
                });
            }
            for v in dev.find_all("vsys/entry") {
                for (path, kind) in [
                    (
                        "global-protect/global-protect-portal/entry",
                        "globalprotect-portal",
                    ),
                    (
                        "global-protect/global-protect-gateway/entry",
                        "globalprotect-gateway",
                    ),
                ] {
                    for gp in v.find_all(path) {
                        let Some(name) = gp.attr("name") else {
                            continue;
                        };
                        let mut refs = Vec::new();
                        descendants(gp, "ssl-tls-service-profile", &mut refs);
                        for r in refs {
                            let profile = r.deep_text();
                            if !profile.is_empty()
                                && !out.iter().any(|u: &ProfileUse| {
                                    u.kind == kind && u.name == name && u.profile == profile
                                })
                            {
                                out.push(ProfileUse {
                                    kind,
                                    name: name.to_string(),
                                    profile,
                                });
                            }
                        }
                    }
                }
            }
        }
        Ok(out)
    }

    /// Validate the bundle and build the plan from Panorama's candidate configuration.
    /// Sends only reads.
    pub async fn plan(
        &self,
        bundle: &Bundle,
        req: &DeployRequest,
    ) -> Result<Snapshot, DeployError> {
        material::validate(bundle, chrono::Utc::now().timestamp())
            .map_err(DeployError::Material)?;
        panops_panos::validate::name("--admin", &req.admin, 63)
            .map_err(|e| invalid("--admin", e.to_string()))?;
        for dg in &req.device_groups {
            panops_panos::validate::name("--device-group", dg, 63)
                .map_err(|e| invalid("--device-group", e.to_string()))?;
        }
        let new_cert = material::versioned_name(&bundle.leaf, PANORAMA_NAME_MAX);
        material::check_name(&new_cert, PANORAMA_NAME_MAX)
            .map_err(|e| DeployError::Material(vec![e]))?;
        let mut device_groups: Vec<String> = Vec::new();
        for dg in &req.device_groups {
            if !device_groups.contains(dg) {
                device_groups.push(dg.clone());
            }
        }
        match &req.location {
            Location::Template => {
                panops_panos::validate::name("--template", &req.template, 63)
                    .map_err(|e| invalid("--template", e.to_string()))?;
                if self
                    .get(&tpl_base(req.stack, &req.template))
                    .await?
                    .is_none()
                    && self
                        .get(&format!(
                            "{LH}/template/entry[@name={}]",
                            quote(&req.template)
                        ))
                        .await?
                        .is_none()
                {
                    return Err(invalid(
                        "--template",
                        format!(
                            "{} {} does not exist on Panorama",
                            if req.stack {
                                "template stack"
                            } else {
                                "template"
                            },
                            req.template
                        ),
                    ));
                }
            }
            Location::Shared | Location::DeviceGroup(_) => {
                // SSL/TLS service profiles are template (device) objects: they resolve their
                // certificate in the template, never in a device group or Panorama shared
                if !req.ssl_tls_profiles.is_empty() {
                    return Err(invalid(
                        "--ssl-tls-profile",
                        "SSL/TLS service profiles are template objects and reference template certificates: deploy with --template or --template-stack to bind them",
                    ));
                }
                if let Location::DeviceGroup(dg) = &req.location {
                    panops_panos::validate::name("--device-group", dg, 63)
                        .map_err(|e| invalid("--device-group", e.to_string()))?;
                    // a device group's certificate is visible to its own rules only
                    if device_groups.iter().any(|d| d != dg) {
                        return Err(invalid(
                            "--device-group",
                            format!(
                                "a certificate in device group {dg} is visible to that group's rules only; use --shared to bind rules of several device groups"
                            ),
                        ));
                    }
                    if device_groups.is_empty() {
                        device_groups.push(dg.clone());
                    }
                }
            }
        }
        let container = container_xpath(&req.location, req.stack, &req.template);
        let where_ = location_text(&req.location, req.stack, &req.template);
        if self
            .get(&entry_xpath(&container, &new_cert))
            .await?
            .is_some()
        {
            return Err(invalid(
                "--cert",
                format!("certificate {new_cert} (same certificate) is already in {where_}"),
            ));
        }
        if req.decryption_rules.is_empty()
            && req.ssl_tls_profiles.is_empty()
            && req.gp_portals.is_empty()
            && req.gp_gateways.is_empty()
            && !req.management
            && req.replace_cert.is_none()
        {
            return Err(invalid(
                "binding",
                "give --decryption-rule, --ssl-tls-profile, --gp-portal, --gp-gateway, --management or --replace-cert",
            ));
        }
        if !req.decryption_rules.is_empty() && device_groups.is_empty() {
            return Err(invalid(
                "--device-group",
                "--decryption-rule needs the device group(s) of the rules",
            ));
        }
        for dg in &device_groups {
            if self.get(&dg_xpath(dg)).await?.is_none() {
                return Err(invalid(
                    "--device-group",
                    format!("device group {dg} does not exist on Panorama"),
                ));
            }
        }
        let dg_list = device_groups.join(", ");
        let mut profiles = Vec::new();
        let mut profile_names = req.ssl_tls_profiles.clone();
        // (device group, rulebase, rule name)
        let mut rule_refs: Vec<(String, String, String)> = Vec::new();
        for name in &req.decryption_rules {
            let mut found = false;
            for dg in &device_groups {
                for rb in ["pre-rulebase", "post-rulebase"] {
                    if self.get(&rule_xpath(dg, rb, name)).await?.is_some() {
                        found = true;
                        rule_refs.push((dg.clone(), rb.to_string(), name.clone()));
                        break;
                    }
                }
            }
            if !found {
                return Err(invalid(
                    "--decryption-rule",
                    format!(
                        "decryption rule {name} does not exist in device group{} {dg_list}",
                        if device_groups.len() > 1 { "s" } else { "" }
                    ),
                ));
            }
        }
        if let Some(old) = &req.replace_cert {
            if req.location == Location::Template {
                let all = self
                    .get(&format!(
                        "{}/shared/ssl-tls-service-profile",
                        tpl_base(req.stack, &req.template)
                    ))
                    .await?;
                for p in all.iter().flat_map(|a| a.children_named("entry")) {
                    if p.child_text("certificate").as_deref() == Some(old.as_str())
                        && let Some(n) = p.attr("name")
                        && !profile_names.iter().any(|x| x == n)
                    {
                        profile_names.push(n.to_string());
                    }
                }
            }
            for dg in &device_groups {
                for rb in ["pre-rulebase", "post-rulebase"] {
                    let rules = self
                        .get(&format!("{}/{rb}/decryption/rules", dg_xpath(dg)))
                        .await?;
                    for r in rules.iter().flat_map(|a| a.children_named("entry")) {
                        let certs = members_of(r.path("type/ssl-inbound-inspection/certificates"));
                        if certs.contains(old)
                            && let Some(n) = r.attr("name")
                            && !rule_refs.iter().any(|(d, _, x)| d == dg && x == n)
                        {
                            rule_refs.push((dg.clone(), rb.to_string(), n.to_string()));
                        }
                    }
                }
            }
            if profile_names.is_empty() && rule_refs.is_empty() {
                return Err(invalid(
                    "--replace-cert",
                    format!(
                        "no {}decryption rule{} references certificate {old}",
                        if req.location == Location::Template {
                            format!(
                                "SSL/TLS service profile of template {} and no ",
                                req.template
                            )
                        } else {
                            String::new()
                        },
                        if device_groups.is_empty() {
                            String::new()
                        } else {
                            format!(" of device group(s) {dg_list}")
                        }
                    ),
                ));
            }
        }
        // GlobalProtect and the management web UI take their certificate from an SSL/TLS
        // service profile (reference §2.2: "re-point the profile, not GP"): binding them is
        // binding that profile, and every use of a rebound profile is reported
        let uses = if req.location == Location::Template {
            self.profile_uses(req.stack, &req.template).await?
        } else {
            Vec::new()
        };
        let wanted = req
            .gp_portals
            .iter()
            .map(|n| ("globalprotect-portal", "--gp-portal", n.as_str()))
            .chain(
                req.gp_gateways
                    .iter()
                    .map(|n| ("globalprotect-gateway", "--gp-gateway", n.as_str())),
            )
            .chain(
                req.management
                    .then_some(("management", "--management", "web UI")),
            );
        for (kind, field, name) in wanted {
            if req.location != Location::Template {
                return Err(invalid(
                    field,
                    "GlobalProtect and the management interface are template configuration: deploy with --template or --template-stack",
                ));
            }
            let u = uses
                .iter()
                .find(|u| u.kind == kind && u.name == name)
                .ok_or_else(|| {
                    invalid(
                        field,
                        if kind == "management" {
                            format!(
                                "the management interface of template {} uses no SSL/TLS service profile",
                                req.template
                            )
                        } else {
                            format!(
                                "{kind} {name} does not exist in template {} or references no SSL/TLS service profile",
                                req.template
                            )
                        },
                    )
                })?;
            if !profile_names.contains(&u.profile) {
                profile_names.push(u.profile.clone());
            }
        }
        let mut superseded_names: Vec<String> = Vec::new();
        for name in &profile_names {
            let p = self
                .get(&profile_xpath(req.stack, &req.template, name))
                .await?
                .ok_or_else(|| {
                    invalid(
                        "--ssl-tls-profile",
                        format!(
                            "SSL/TLS service profile {name} does not exist in template {}",
                            req.template
                        ),
                    )
                })?;
            let before = p.child_text("certificate");
            if let Some(b) = &before
                && !superseded_names.contains(b)
            {
                superseded_names.push(b.clone());
            }
            profiles.push(ProfileBinding {
                name: name.clone(),
                before,
                after: new_cert.clone(),
                used_by: uses
                    .iter()
                    .filter(|u| &u.profile == name)
                    .map(|u| format!("{} {}", u.kind, u.name))
                    .collect(),
            });
        }
        let mut rules = Vec::new();
        for (dg, rulebase, name) in &rule_refs {
            let r = self
                .get(&rule_xpath(dg, rulebase, name))
                .await?
                .ok_or_else(|| {
                    invalid(
                        "--decryption-rule",
                        format!("decryption rule {name} does not exist in device group {dg}"),
                    )
                })?;
            if r.path("type/ssl-inbound-inspection").is_none() {
                return Err(invalid(
                    "--decryption-rule",
                    format!(
                        "decryption rule {name} of device group {dg} is not of type ssl-inbound-inspection"
                    ),
                ));
            }
            let before = members_of(r.path("type/ssl-inbound-inspection/certificates"));
            let after = match req.mode {
                Mode::Append => {
                    let mut a = before.clone();
                    a.push(new_cert.clone());
                    a
                }
                Mode::Replace => {
                    let replaced: Vec<String> = match &req.replace_cert {
                        Some(old) => before.iter().filter(|c| *c == old).cloned().collect(),
                        None => before.clone(),
                    };
                    for c in &replaced {
                        if !superseded_names.contains(c) {
                            superseded_names.push(c.clone());
                        }
                    }
                    let mut a: Vec<String> = before
                        .iter()
                        .filter(|c| !replaced.contains(c))
                        .cloned()
                        .collect();
                    a.push(new_cert.clone());
                    a
                }
            };
            rules.push(RuleBinding {
                name: name.clone(),
                rulebase: rulebase.clone(),
                device_group: dg.clone(),
                before,
                after,
            });
        }
        let mut superseded = Vec::new();
        if req.mode == Mode::Replace {
            for name in superseded_names {
                // only certificates of this location are ours to delete
                if let Some(e) = self.get(&entry_xpath(&container, &name)).await? {
                    superseded.push(SavedCert {
                        name,
                        entry_xml: e_to_xml(&e),
                    });
                }
            }
        }
        // pushes: every device group with a bound rule (they carry a shared or device-group
        // certificate too), and every template stack holding the template
        let mut push = Vec::new();
        let mut devices: Vec<String> = Vec::new();
        for dg in &device_groups {
            if !rules.iter().any(|r| &r.device_group == dg) {
                continue;
            }
            let d = self.get(&dg_xpath(dg)).await?;
            let mut members = Vec::new();
            for e in d
                .iter()
                .flat_map(|d| d.path("devices"))
                .flat_map(|x| x.children_named("entry"))
            {
                if let Some(s) = e.attr("name") {
                    members.push(s.to_string());
                }
            }
            devices.extend(members.iter().cloned());
            push.push(PushTarget {
                kind: PushKind::DeviceGroup,
                name: dg.clone(),
                devices: members,
            });
        }
        if req.location == Location::Template {
            let stacks = self.get(&format!("{LH}/template-stack")).await?;
            for s in stacks.iter().flat_map(|s| s.children_named("entry")) {
                let holds = if req.stack {
                    s.attr("name") == Some(req.template.as_str())
                } else {
                    members_of(s.child("templates")).contains(&req.template)
                };
                if holds && let Some(n) = s.attr("name") {
                    let mut members = Vec::new();
                    for e in s
                        .path("devices")
                        .iter()
                        .flat_map(|x| x.children_named("entry"))
                    {
                        if let Some(d) = e.attr("name") {
                            members.push(d.to_string());
                        }
                    }
                    devices.extend(members.iter().cloned());
                    push.push(PushTarget {
                        kind: PushKind::TemplateStack,
                        name: n.to_string(),
                        devices: members,
                    });
                }
            }
        }
        devices.sort();
        devices.dedup();
        let container_existed = self.get(&container).await?.is_some();
        Ok(Snapshot {
            template: req.template.clone(),
            stack: req.stack,
            location: req.location.clone(),
            container_existed,
            device_group: device_groups.first().cloned(),
            device_groups,
            new_cert,
            fingerprint: bundle.leaf.fingerprint.clone(),
            mode: req.mode,
            profiles,
            rules,
            superseded,
            push,
            devices,
            admin: req.admin.clone(),
        })
    }

    /// Deploy: plan, record, carry out every step; on any failure roll back automatically.
    pub async fn deploy(
        &self,
        bundle: &Bundle,
        req: &DeployRequest,
    ) -> Result<Deployed, DeployError> {
        self.deploy_kind("deploy", bundle, req).await
    }

    /// [`Deployer::deploy`] recorded as a process of `kind` (`deploy`, `renew`).
    pub async fn deploy_kind(
        &self,
        kind: &str,
        bundle: &Bundle,
        req: &DeployRequest,
    ) -> Result<Deployed, DeployError> {
        let mut snap = self.plan(bundle, req).await?;
        let id = self
            .store
            .create(
                NewProcess::new(kind, &self.target)
                    .devices(snap.devices.clone())
                    .plan(serde_json::json!({ "changes": snap.plan_lines() }))
                    .snapshot(serde_json::to_value(&snap).unwrap_or_default()),
            )
            .await?;
        let _heartbeat = Heartbeat::start(&self.store, &id);
        if self.wait_turn(&id).await? {
            // another deployment ran meanwhile: plan again from what it left
            match self.plan(bundle, req).await {
                Ok(s) => {
                    snap = s;
                    self.store
                        .set_snapshot(&id, &serde_json::to_value(&snap).unwrap_or_default())
                        .await?;
                    self.store
                        .set_plan(&id, &serde_json::json!({ "changes": snap.plan_lines() }))
                        .await?;
                }
                Err(e) => {
                    self.store
                        .finish(
                            &id,
                            ProcessState::RolledBack,
                            Some(&format!("plan after waiting: {e}; nothing was changed")),
                        )
                        .await?;
                    return Err(e);
                }
            }
        }
        let mut committed = false;
        match self
            .run_steps(&id, bundle, req, &snap, &mut committed)
            .await
        {
            Ok((state, warning)) => {
                self.store.finish(&id, state, warning.as_deref()).await?;
                Ok(Deployed {
                    process: id,
                    state,
                    snapshot: snap,
                    warning,
                })
            }
            Err(f) => {
                self.release_lock(&snap.admin).await;
                let reason = self.client.redact(&f.reason);
                self.store
                    .set_state(
                        &id,
                        ProcessState::RollingBack,
                        Some(&format!("{}: {reason}", f.step)),
                    )
                    .await?;
                if f.step == "lock" {
                    // failed before the first change: nothing to undo
                    self.store
                        .finish(&id, ProcessState::RolledBack, None)
                        .await?;
                    return Err(DeployError::RolledBack {
                        process: id,
                        step: f.step,
                        reason,
                    });
                }
                let pushed = self.pushed_devices(&id, &snap).await?;
                match self.rollback_steps(&id, &snap, committed, &pushed).await {
                    Ok(()) => {
                        self.store
                            .finish(&id, ProcessState::RolledBack, None)
                            .await?;
                        Err(DeployError::RolledBack {
                            process: id,
                            step: f.step,
                            reason,
                        })
                    }
                    Err(rb) => {
                        self.store
                            .finish(&id, ProcessState::RollbackFailed, None)
                            .await?;
                        Err(DeployError::RollbackFailed {
                            process: id,
                            step: f.step,
                            reason,
                            rollback: self.client.redact(&rb.reason),
                        })
                    }
                }
            }
        }
    }

    /// Run a step: record its start, run `f`, record the outcome.
    async fn step<F, Fut>(&self, id: &str, name: &str, f: F) -> Result<StepOutcome, Failure>
    where
        F: FnOnce(i64) -> Fut,
        Fut: std::future::Future<Output = Result<StepOutcome, (String, StepOutcome)>>,
    {
        let fail = |reason: String| Failure {
            step: name.to_string(),
            reason,
        };
        let seq = self
            .store
            .start_step(id, name)
            .await
            .map_err(|e| fail(e.to_string()))?;
        match f(seq).await {
            Ok(outcome) => {
                self.store
                    .finish_step(id, seq, StepState::Ok, outcome.clone())
                    .await
                    .map_err(|e| fail(e.to_string()))?;
                Ok(outcome)
            }
            Err((reason, mut outcome)) => {
                let reason = self.client.redact(&reason);
                outcome.error = Some(reason.clone());
                let _ = self
                    .store
                    .finish_step(id, seq, StepState::Failed, outcome)
                    .await;
                Err(fail(reason))
            }
        }
    }

    async fn skip(&self, id: &str, name: &str, note: &str) -> Result<(), Failure> {
        let fail = |e: panops_store::StoreError| Failure {
            step: name.to_string(),
            reason: e.to_string(),
        };
        let seq = self.store.start_step(id, name).await.map_err(fail)?;
        self.store
            .finish_step(
                id,
                seq,
                StepState::Skipped,
                StepOutcome {
                    note: Some(note.to_string()),
                    ..Default::default()
                },
            )
            .await
            .map_err(fail)
    }

    async fn run_steps(
        &self,
        id: &str,
        bundle: &Bundle,
        req: &DeployRequest,
        snap: &Snapshot,
        committed: &mut bool,
    ) -> Result<(ProcessState, Option<String>), Failure> {
        self.step(id, "lock", |_| async {
            self.acquire_lock(id)
                .await
                .map_err(|e| (e, StepOutcome::default()))?;
            Ok(StepOutcome::default())
        })
        .await?;
        self.step(id, "import", |_| async {
            self.import(bundle, snap)
                .await
                .map_err(|e| (e.to_string(), StepOutcome::default()))?;
            Ok(StepOutcome::default())
        })
        .await?;
        self.step(id, "bind", |_| async {
            self.apply_bindings(snap, false)
                .await
                .map_err(|e| (e.to_string(), StepOutcome::default()))?;
            Ok(StepOutcome::default())
        })
        .await?;
        if req.skip_commit {
            self.skip(id, "commit", "skipped: --skip-commit").await?;
            self.release_lock(&snap.admin).await;
            return Ok((ProcessState::Stopped, None));
        }
        *committed = true;
        self.step(id, "commit", |seq| self.commit(id, seq, &snap.admin, false))
            .await?;
        if req.skip_push {
            self.skip(id, "push", "skipped: --skip-push").await?;
            self.release_lock(&snap.admin).await;
            return Ok((ProcessState::Stopped, None));
        }
        self.step(id, "push", |seq| self.push(id, seq, snap, None, false))
            .await?;
        self.step(id, "verify", |_| self.verify(snap, &snap.devices, false))
            .await?;
        let mut warning = None;
        if !snap.superseded.is_empty()
            && let Err(f) = self
                .step(id, "cleanup", |seq| self.cleanup(id, seq, snap))
                .await
        {
            // the new certificate is imported, bound, pushed and verified everywhere: undoing
            // a working deployment because an old object could not be removed would trade a
            // cosmetic leftover for a second change window, so the deployment stays
            warning = Some(format!(
                "cleanup failed, the deployment stays in place: {}",
                f.reason
            ));
        }
        self.release_lock(&snap.admin).await;
        Ok((ProcessState::Succeeded, warning))
    }

    /// Replace mode's last step: delete the superseded certificates nothing references any
    /// more, commit, push. A certificate the device refuses to delete because something this
    /// deployment did not rebind still uses it (code 10) is kept and noted. Any other failure
    /// is returned with what was left: a refused delete or a failed commit leaves the
    /// superseded certificates in Panorama's candidate as they were (deleted ones are put back
    /// so nothing uncommitted is left behind); a failed push leaves them on the firewalls it
    /// did not reach.
    async fn cleanup(
        &self,
        id: &str,
        seq: i64,
        snap: &Snapshot,
    ) -> Result<StepOutcome, (String, StepOutcome)> {
        let mut kept = Vec::new();
        let mut deleted: Vec<&SavedCert> = Vec::new();
        let mut refused = None;
        for s in &snap.superseded {
            match self.client.config_delete(&snap.cert_xpath(&s.name)).await {
                Ok(_) => deleted.push(s),
                // still referenced by something this deployment did not rebind: the
                // device refuses (code 10), and the certificate stays
                Err(e) if e.as_api().and_then(|a| a.code) == Some(10) => {
                    kept.push(format!(
                        "{} kept: {}",
                        s.name,
                        self.client.redact(&e.to_string())
                    ));
                }
                Err(e) => {
                    refused = Some(format!(
                        "delete of superseded certificate {}: {e}; {} left in place",
                        s.name, s.name
                    ));
                    break;
                }
            }
        }
        let note = (!kept.is_empty()).then(|| kept.join("; "));
        if deleted.is_empty() {
            return match refused {
                Some(r) => Err((
                    r,
                    StepOutcome {
                        note,
                        ..Default::default()
                    },
                )),
                None => Ok(StepOutcome {
                    note,
                    ..Default::default()
                }),
            };
        }
        let names = deleted
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        let mut out = match self.commit(id, seq, &snap.admin, false).await {
            Ok(o) => o,
            Err((reason, mut o)) => {
                // put the deleted certificates back in the candidate: Panorama's running
                // config still holds them, and an uncommitted delete must not wait there for
                // the next admin's commit
                let container = snap.cert_container();
                let mut restore_err = String::new();
                for s in &deleted {
                    if let Err(e) = self.client.config_set(&container, &s.entry_xml).await {
                        restore_err.push_str(&format!(
                            "; putting {} back in the candidate failed: {e}",
                            s.name
                        ));
                    }
                }
                o.note = note;
                return Err((
                    format!(
                        "{reason}; superseded certificate(s) {names} left in place{restore_err}"
                    ),
                    o,
                ));
            }
        };
        match self.push(id, seq, snap, None, false).await {
            Ok(p) => {
                out.job_ids.extend(p.job_ids);
                out.results = p.results;
            }
            Err((reason, p)) => {
                out.job_ids.extend(p.job_ids);
                let left: Vec<String> = p
                    .results
                    .iter()
                    .filter(|r| !r.ok)
                    .map(|r| r.device.clone())
                    .collect();
                out.results = p.results;
                out.note = note;
                return Err((
                    format!(
                        "{reason}; superseded certificate(s) {names} deleted on Panorama but left on {}",
                        if left.is_empty() {
                            "the firewalls the push did not reach".to_string()
                        } else {
                            left.join(", ")
                        }
                    ),
                    out,
                ));
            }
        }
        out.note = note;
        match refused {
            Some(r) => Err((r, out)),
            None => Ok(out),
        }
    }

    /// Wait until no other live deployment or rollback against this Panorama is ahead of
    /// `id` in the store (bounded by the lock wait). Returns whether it had to wait.
    async fn wait_turn(&self, id: &str) -> Result<bool, DeployError> {
        let deadline = tokio::time::Instant::now() + self.timing.lock_wait;
        let mut waited = false;
        loop {
            let ahead = self.store.ahead_of(id, &self.target, STALE_MS).await?;
            if ahead.is_empty() {
                return Ok(waited);
            }
            if tokio::time::Instant::now() >= deadline {
                let msg = format!(
                    "another process against this Panorama is still running: {} (waited {}s)",
                    ahead
                        .iter()
                        .map(|p| p.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                    self.timing.lock_wait.as_secs()
                );
                self.store
                    .finish(
                        id,
                        ProcessState::RolledBack,
                        Some(&format!("{msg}; nothing was changed")),
                    )
                    .await?;
                return Err(invalid("lock", msg));
            }
            if !waited {
                tracing::warn!(
                    "waiting for process {} against this Panorama to finish",
                    ahead[0].id
                );
            }
            waited = true;
            self.store.heartbeat(id).await?;
            tokio::time::sleep(self.timing.poll.min(Duration::from_secs(2))).await;
        }
    }

    async fn acquire_lock(&self, id: &str) -> Result<(), String> {
        let cmd = format!(
            "<request><commit-lock><add><comment>panops cert process {}</comment></add></commit-lock></request>",
            escape(id)
        );
        let deadline = tokio::time::Instant::now() + self.timing.lock_wait;
        loop {
            match self.client.op(&cmd).await {
                Ok(_) => return Ok(()),
                Err(e) => {
                    let msg = e.to_string();
                    if msg.contains("already held") && !msg.contains(" by ") {
                        return Ok(()); // ours
                    }
                    // only another admin's lock is worth waiting for; a refusal (no
                    // permission, bad key) will not go away
                    if !(msg.contains("held by") || msg.contains("locked by")) {
                        return Err(format!("cannot take the commit lock: {msg}"));
                    }
                    if tokio::time::Instant::now() >= deadline {
                        return Err(format!(
                            "commit lock not obtained within {}s: {msg}",
                            self.timing.lock_wait.as_secs()
                        ));
                    }
                    tracing::info!("waiting for the Panorama commit lock: {msg}");
                    tokio::time::sleep(self.timing.poll.min(Duration::from_secs(5))).await;
                }
            }
        }
    }

    async fn release_lock(&self, _admin: &str) {
        let _ = self
            .client
            .op("<request><commit-lock><remove></remove></commit-lock></request>")
            .await;
    }

    async fn import(&self, bundle: &Bundle, snap: &Snapshot) -> Result<(), ClientError> {
        // the key travels encrypted under a one-time passphrase, the chain after the leaf
        let pass = one_time_passphrase();
        let enc_key = encrypt_key(bundle, &pass).map_err(|e| ClientError::Invalid {
            field: "--key".into(),
            reason: e,
        })?;
        let mut pem = material::to_pem("CERTIFICATE", &bundle.leaf.der);
        for c in &bundle.chain {
            pem.push_str(&material::to_pem("CERTIFICATE", &c.der));
        }
        pem.push_str(&enc_key);
        let mut imp = Import::new(
            ImportCategory::Keypair,
            snap.new_cert.clone(),
            ImportFormat::Pem,
            format!("{}.pem", snap.new_cert),
            pem.into_bytes(),
        );
        imp.passphrase = Some(pass.into());
        match &snap.location {
            Location::Template => imp.target_tpl = Some(snap.template.clone()),
            // see `Location` for where these parameters come from
            Location::Shared => imp.vsys = Some("shared".into()),
            Location::DeviceGroup(dg) => imp.vsys = Some(dg.clone()),
        }
        self.client.import(&imp).await?;
        Ok(())
    }

    /// Set the bindings to their `after` values (or `before` when `restore`).
    async fn apply_bindings(&self, snap: &Snapshot, restore: bool) -> Result<(), ClientError> {
        for p in &snap.profiles {
            let x = format!(
                "{}/certificate",
                profile_xpath(snap.stack, &snap.template, &p.name)
            );
            match (restore, &p.before) {
                (false, _) => {
                    self.client
                        .config_edit(
                            &x,
                            &format!("<certificate>{}</certificate>", escape(&p.after)),
                        )
                        .await?;
                }
                (true, Some(b)) => {
                    self.client
                        .config_edit(&x, &format!("<certificate>{}</certificate>", escape(b)))
                        .await?;
                }
                (true, None) => {
                    self.client.config_delete(&x).await?;
                }
            }
        }
        {
            for r in &snap.rules {
                let Some(dg) = snap.rule_dg(r) else {
                    continue;
                };
                let x = format!(
                    "{}/type/ssl-inbound-inspection/certificates",
                    rule_xpath(dg, &r.rulebase, &r.name)
                );
                let list = if restore { &r.before } else { &r.after };
                self.client
                    .config_edit(&x, &members_xml("certificates", list))
                    .await?;
            }
        }
        Ok(())
    }

    /// Job wait options. A rollback waits longer: its jobs queue behind the one that timed
    /// out, which the device still finishes.
    fn wait(&self, rollback: bool) -> WaitOptions<'static> {
        let timeout = if rollback {
            self.timing.job_timeout.saturating_mul(4)
        } else {
            self.timing.job_timeout
        };
        WaitOptions::default()
            .interval(self.timing.poll)
            .first_interval(self.timing.poll.min(Duration::from_millis(100)))
            .timeout(timeout)
    }

    async fn commit(
        &self,
        id: &str,
        seq: i64,
        admin: &str,
        rollback: bool,
    ) -> Result<StepOutcome, (String, StepOutcome)> {
        let c = Commit {
            description: Some(format!("panops cert {id}")),
            partial: Some(Partial {
                admins: vec![admin.to_string()],
                ..Default::default()
            }),
            ..Default::default()
        };
        let mut out = StepOutcome::default();
        let outcome = self
            .client
            .commit(&c)
            .await
            .map_err(|e| (format!("commit: {e}"), out.clone()))?;
        if let panops_panos::response::CommitOutcome::Enqueued { job_id, .. } = outcome {
            out.job_ids.push(job_id.to_string());
            let _ = self.store.add_job_id(id, seq, &job_id.to_string()).await;
            self.client
                .wait_job(job_id, self.wait(rollback))
                .await
                .map_err(|e| (format!("commit job {job_id}: {e}"), out.clone()))?;
            out.results.push(DeviceResult {
                device: "panorama".into(),
                ok: true,
                message: format!("commit job {job_id} OK"),
            });
        } else {
            out.note = Some("no changes to commit".into());
        }
        Ok(out)
    }

    /// Push every target; `only` limits the push (and the record) to these firewalls.
    async fn push(
        &self,
        id: &str,
        seq: i64,
        snap: &Snapshot,
        only: Option<&[String]>,
        rollback: bool,
    ) -> Result<StepOutcome, (String, StepOutcome)> {
        let mut out = StepOutcome::default();
        for t in &snap.push {
            let devices: Vec<String> = match only {
                Some(o) => t
                    .devices
                    .iter()
                    .filter(|d| o.contains(d))
                    .cloned()
                    .collect(),
                None => Vec::new(),
            };
            if only.is_some() && devices.is_empty() {
                continue;
            }
            let target = match t.kind {
                PushKind::DeviceGroup => commit::PushTarget::DeviceGroup,
                PushKind::TemplateStack => commit::PushTarget::TemplateStack,
            };
            let ca = CommitAll {
                devices,
                description: Some(format!("panops cert {id}")),
                ..CommitAll::new(target, t.name.clone())
            };
            let what = format!("{:?} {}", t.kind, t.name);
            let r = self
                .client
                .commit_all(&ca)
                .await
                .map_err(|e| (format!("push {what}: {e}"), out.clone()))?;
            let panops_panos::response::CommitOutcome::Enqueued { job_id, .. } = r else {
                continue;
            };
            out.job_ids.push(job_id.to_string());
            let _ = self.store.add_job_id(id, seq, &job_id.to_string()).await;
            match self.client.wait_job(job_id, self.wait(rollback)).await {
                Ok(job) => {
                    for d in job.devices {
                        out.results.push(DeviceResult {
                            device: d.serial,
                            ok: d.result == panops_panos::response::JobResult::Ok,
                            message: d.details.join("; "),
                        });
                    }
                }
                Err(e) => {
                    // per-firewall results of a failed push, for the record
                    if let Ok(job) = self.client.show_job(job_id).await {
                        for d in job.devices {
                            out.results.push(DeviceResult {
                                device: d.serial,
                                ok: d.result == panops_panos::response::JobResult::Ok,
                                message: d.details.join("; "),
                            });
                        }
                    }
                    let failed: Vec<&str> = out
                        .results
                        .iter()
                        .filter(|r| !r.ok)
                        .map(|r| r.device.as_str())
                        .collect();
                    return Err((
                        format!(
                            "push {what} (job {job_id}) failed{}: {e}",
                            if failed.is_empty() {
                                String::new()
                            } else {
                                format!(" on {}", failed.join(", "))
                            }
                        ),
                        out,
                    ));
                }
            }
        }
        Ok(out)
    }

    /// Check every firewall's running config: the certificate (by fingerprint) and the
    /// bindings are what the snapshot says (after, or before when `restored`).
    async fn verify(
        &self,
        snap: &Snapshot,
        devices: &[String],
        restored: bool,
    ) -> Result<StepOutcome, (String, StepOutcome)> {
        use futures::StreamExt;
        let mut out = StepOutcome::default();
        // a few firewalls at a time: Panorama proxies each target= request, and its
        // management plane is the bottleneck, not the firewalls
        let mut results: Vec<DeviceResult> = futures::stream::iter(devices)
            .map(|serial| async move {
                let started = std::time::Instant::now();
                let problems = self.verify_one(snap, serial, restored).await;
                let ms = started.elapsed().as_millis();
                DeviceResult {
                    device: serial.clone(),
                    ok: problems.is_empty(),
                    message: if problems.is_empty() {
                        format!("verified in {ms} ms")
                    } else {
                        problems.join("; ")
                    },
                }
            })
            .buffer_unordered(VERIFY_CONCURRENCY)
            .collect()
            .await;
        results.sort_by(|a, b| a.device.cmp(&b.device));
        out.results = results;
        let bad: Vec<String> = out
            .results
            .iter()
            .filter(|r| !r.ok)
            .map(|r| format!("{}: {}", r.device, r.message))
            .collect();
        if bad.is_empty() {
            Ok(out)
        } else {
            Err((format!("verification failed: {}", bad.join(" | ")), out))
        }
    }

    async fn verify_one(&self, snap: &Snapshot, serial: &str, restored: bool) -> Vec<String> {
        let mut problems = Vec::new();
        let fw = match self.client.with_target(serial) {
            Ok(c) => c,
            Err(e) => return vec![e.to_string()],
        };
        let show = |x: String| {
            let fw = fw.clone();
            async move {
                match fw.config_show(&x).await {
                    Ok(r) => Ok(first_result(&r)),
                    Err(e) if e.to_string().contains("No such node") => Ok(None),
                    Err(e) => Err(e.to_string()),
                }
            }
        };
        // a template certificate lands in the firewall's shared configuration, a Panorama
        // shared or device-group one with the pushed objects of vsys1
        let cert_x =
            |base: &str| format!("{base}/certificate/entry[@name={}]", quote(&snap.new_cert));
        let found = match show(cert_x("/config/shared")).await {
            Ok(None) => show(cert_x(FW_VSYS1)).await,
            other => other,
        };
        match found {
            Err(e) => problems.push(e),
            Ok(None) if !restored => {
                problems.push(format!("certificate {} missing", snap.new_cert))
            }
            Ok(Some(_)) if restored => {
                problems.push(format!("certificate {} still present", snap.new_cert))
            }
            Ok(Some(e)) => {
                let fp = e
                    .child_text("public-key")
                    .and_then(|p| {
                        crate::material::CertFacts::from_pem("public-key", p.as_bytes()).ok()
                    })
                    .map(|f| f.fingerprint);
                if fp.as_deref() != Some(snap.fingerprint.as_str()) {
                    problems.push(format!(
                        "certificate {} has fingerprint {}, expected {}",
                        snap.new_cert,
                        fp.unwrap_or_else(|| "(none)".into()),
                        snap.fingerprint
                    ));
                }
            }
            Ok(None) => {}
        }
        for p in &snap.profiles {
            let want = if restored {
                p.before.clone()
            } else {
                Some(p.after.clone())
            };
            let x = format!(
                "/config/shared/ssl-tls-service-profile/entry[@name={}]",
                quote(&p.name)
            );
            match show(x).await {
                Err(e) => problems.push(e),
                Ok(got) => {
                    let got = got.and_then(|e| e.child_text("certificate"));
                    if got != want {
                        problems.push(format!(
                            "ssl-tls-service-profile {} uses {}, expected {}",
                            p.name,
                            got.as_deref().unwrap_or("(none)"),
                            want.as_deref().unwrap_or("(none)")
                        ));
                    }
                }
            }
            // the web UI is the lock-out risk (reference §4, acme.sh #4716): check that the
            // firewall's management interface really takes its certificate from this profile
            if !restored && p.used_by.iter().any(|u| u == "management web UI") {
                let x = format!("{LH}/deviceconfig/system/ssl-tls-service-profile");
                match show(x).await {
                    Err(e) => problems.push(e),
                    Ok(got) => {
                        let got = got.map(|e| e.deep_text());
                        if got.as_deref() != Some(p.name.as_str()) {
                            problems.push(format!(
                                "management web UI uses ssl-tls-service-profile {}, not {} (a local setting overrides the template)",
                                got.as_deref().unwrap_or("(none)"),
                                p.name
                            ));
                        }
                    }
                }
            }
        }
        {
            for r in &snap.rules {
                // a firewall holds the rules of its own device group only
                let reached = snap.rule_dg(r).is_some_and(|dg| {
                    snap.push.iter().any(|p| {
                        p.kind == PushKind::DeviceGroup
                            && p.name == dg
                            && p.devices.iter().any(|d| d == serial)
                    })
                });
                if !reached {
                    continue;
                }
                let want = if restored { &r.before } else { &r.after };
                let x = format!(
                    "{FW_VSYS1}/rulebase/decryption/rules/entry[@name={}]",
                    quote(&r.name)
                );
                match show(x).await {
                    Err(e) => problems.push(e),
                    Ok(got) => {
                        let got = members_of(
                            got.as_ref()
                                .and_then(|e| e.path("type/ssl-inbound-inspection/certificates")),
                        );
                        if &got != want {
                            problems.push(format!(
                                "decryption rule {} has certificates [{}], expected [{}]",
                                r.name,
                                got.join(", "),
                                want.join(", ")
                            ));
                        }
                    }
                }
            }
        }
        problems
    }

    /// Undo every change of a deployment: bindings restored, superseded certificates put
    /// back, the new certificate deleted; committed, pushed and verified when `committed`.
    async fn rollback_steps(
        &self,
        id: &str,
        snap: &Snapshot,
        committed: bool,
        pushed: &[String],
    ) -> Result<(), Failure> {
        self.step(id, "rollback-lock", |_| async {
            self.acquire_lock(id)
                .await
                .map_err(|e| (e, StepOutcome::default()))?;
            Ok(StepOutcome::default())
        })
        .await?;
        let r = self.rollback_inner(id, snap, committed, pushed).await;
        self.release_lock(&snap.admin).await;
        r
    }

    async fn rollback_inner(
        &self,
        id: &str,
        snap: &Snapshot,
        committed: bool,
        pushed: &[String],
    ) -> Result<(), Failure> {
        self.step(id, "rollback-restore", |_| async {
            let err = |e: ClientError| (e.to_string(), StepOutcome::default());
            for s in &snap.superseded {
                if self
                    .get(&snap.cert_xpath(&s.name))
                    .await
                    .map_err(err)?
                    .is_none()
                {
                    let container = snap.cert_container();
                    self.client
                        .config_set(&container, &s.entry_xml)
                        .await
                        .map_err(err)?;
                }
            }
            // bindings first: the device refuses to delete a certificate still referenced
            self.restore_bindings_if_ours(snap).await.map_err(err)?;
            if self
                .get(&snap.cert_xpath(&snap.new_cert))
                .await
                .map_err(err)?
                .is_some()
            {
                self.client
                    .config_delete(&snap.cert_xpath(&snap.new_cert))
                    .await
                    .map_err(err)?;
            }
            if !snap.container_existed {
                let container = snap.cert_container();
                if self
                    .get(&container)
                    .await
                    .map_err(err)?
                    .is_some_and(|c| c.children_named("entry").next().is_none())
                {
                    self.client.config_delete(&container).await.map_err(err)?;
                }
            }
            Ok(StepOutcome::default())
        })
        .await?;
        if !committed {
            return Ok(());
        }
        self.step(id, "rollback-commit", |seq| {
            self.commit(id, seq, &snap.admin, true)
        })
        .await?;
        if pushed.is_empty() {
            return Ok(());
        }
        // only the firewalls that received the deployment get the rollback pushed: one that
        // was disconnected never changed, and pushing to it would fail the rollback too
        self.step(id, "rollback-push", |seq| {
            self.push(id, seq, snap, Some(pushed), true)
        })
        .await?;
        self.step(id, "rollback-verify", |_| self.verify(snap, pushed, true))
            .await?;
        Ok(())
    }

    /// Firewalls a process's pushes reached, from its record: the OK per-firewall results of
    /// its push and cleanup steps; every planned firewall when a push was interrupted (its
    /// outcome is unknown).
    async fn pushed_devices(&self, id: &str, snap: &Snapshot) -> Result<Vec<String>, DeployError> {
        let p = self
            .store
            .get(id)
            .await?
            .ok_or_else(|| panops_store::StoreError::NotFound(id.to_string()))?;
        let mut out: Vec<String> = Vec::new();
        for s in p
            .steps
            .iter()
            .filter(|s| s.name == "push" || s.name == "cleanup")
        {
            if s.state == StepState::Running {
                return Ok(snap.devices.clone());
            }
            for r in &s.outcome.results {
                if r.ok && !out.contains(&r.device) && snap.devices.contains(&r.device) {
                    out.push(r.device.clone());
                }
            }
        }
        out.sort();
        Ok(out)
    }

    /// Restore the bindings that still hold this deployment's values (a binding never
    /// changed, e.g. the import failed first, is left alone).
    async fn restore_bindings_if_ours(&self, snap: &Snapshot) -> Result<(), ClientError> {
        for p in &snap.profiles {
            let x = profile_xpath(snap.stack, &snap.template, &p.name);
            let cur = self
                .get(&x)
                .await?
                .and_then(|e| e.child_text("certificate"));
            if cur.as_deref() == Some(p.after.as_str()) && cur != p.before {
                let cx = format!("{x}/certificate");
                match &p.before {
                    Some(b) => {
                        self.client
                            .config_edit(&cx, &format!("<certificate>{}</certificate>", escape(b)))
                            .await?;
                    }
                    None => {
                        self.client.config_delete(&cx).await?;
                    }
                }
            }
        }
        {
            for r in &snap.rules {
                let Some(dg) = snap.rule_dg(r) else {
                    continue;
                };
                let x = rule_xpath(dg, &r.rulebase, &r.name);
                let cur = members_of(
                    self.get(&x)
                        .await?
                        .as_ref()
                        .and_then(|e| e.path("type/ssl-inbound-inspection/certificates")),
                );
                if cur != r.before {
                    self.client
                        .config_edit(
                            &format!("{x}/type/ssl-inbound-inspection/certificates"),
                            &members_xml("certificates", &r.before),
                        )
                        .await?;
                }
            }
        }
        Ok(())
    }

    /// Differences between Panorama's candidate and what deployment `snap` left (used by
    /// manual rollback to refuse when someone changed the objects since).
    async fn drift(
        &self,
        snap: &Snapshot,
        deploy_state: ProcessState,
    ) -> Result<Vec<String>, ClientError> {
        let mut diff = Vec::new();
        if deploy_state != ProcessState::Succeeded && deploy_state != ProcessState::Stopped {
            return Ok(diff);
        }
        for p in &snap.profiles {
            let cur = self
                .get(&profile_xpath(snap.stack, &snap.template, &p.name))
                .await?
                .and_then(|e| e.child_text("certificate"));
            if cur.as_deref() != Some(p.after.as_str()) {
                diff.push(format!(
                    "- ssl-tls-service-profile {} certificate: deployed {}, now {}",
                    p.name,
                    p.after,
                    cur.as_deref().unwrap_or("(none)")
                ));
            }
        }
        {
            for r in &snap.rules {
                let Some(dg) = snap.rule_dg(r) else {
                    continue;
                };
                let cur = members_of(
                    self.get(&rule_xpath(dg, &r.rulebase, &r.name))
                        .await?
                        .as_ref()
                        .and_then(|e| e.path("type/ssl-inbound-inspection/certificates")),
                );
                if cur != r.after {
                    diff.push(format!(
                        "- decryption rule {} certificates: deployed [{}], now [{}]",
                        r.name,
                        r.after.join(", "),
                        cur.join(", ")
                    ));
                }
            }
        }
        Ok(diff)
    }

    /// Roll back a recorded deployment later, as its own process linked to the original:
    /// bindings restored, the deployed certificate deleted (superseded ones put back),
    /// commit, push, verify. Refuses with a diff when the objects changed, unless `force`.
    pub async fn rollback(&self, process_id: &str, force: bool) -> Result<String, DeployError> {
        let p = self
            .store
            .get(process_id)
            .await?
            .ok_or_else(|| invalid("PROCESS_ID", format!("no process {process_id}")))?;
        if p.kind != "deploy" && p.kind != "renew" {
            return Err(invalid(
                "PROCESS_ID",
                format!("process {process_id} is a {}, not a deployment", p.kind),
            ));
        }
        if p.state.is_active() {
            return Err(invalid(
                "PROCESS_ID",
                format!(
                    "process {process_id} is still {}; run `panops cert recover` if it was interrupted",
                    p.state
                ),
            ));
        }
        if p.state == ProcessState::RolledBack {
            return Err(invalid(
                "PROCESS_ID",
                format!("process {process_id} was already rolled back"),
            ));
        }
        let snap: Snapshot = serde_json::from_value(p.snapshot.clone()).map_err(|e| {
            invalid(
                "PROCESS_ID",
                format!("process {process_id} has no usable snapshot: {e}"),
            )
        })?;
        let diff = self.drift(&snap, p.state).await?;
        if !diff.is_empty() && !force {
            return Err(DeployError::Changed {
                process: process_id.to_string(),
                diff: diff.join("\n"),
            });
        }
        let committed = p
            .steps
            .iter()
            .any(|s| s.name == "commit" && s.state == StepState::Ok);
        let id = self
            .store
            .create(
                NewProcess::new("rollback", &self.target)
                    .parent(process_id)
                    .devices(snap.devices.clone())
                    .plan(serde_json::json!({ "rollback-of": process_id, "changes": snap.plan_lines() }))
                    .snapshot(p.snapshot.clone()),
            )
            .await?;
        let _heartbeat = Heartbeat::start(&self.store, &id);
        self.wait_turn(&id).await?;
        let pushed = self.pushed_devices(process_id, &snap).await?;
        match self.rollback_steps(&id, &snap, committed, &pushed).await {
            Ok(()) => {
                self.store
                    .finish(&id, ProcessState::Succeeded, None)
                    .await?;
                self.store
                    .finish(
                        process_id,
                        ProcessState::RolledBack,
                        Some(&format!("rolled back by process {id}")),
                    )
                    .await?;
                Ok(id)
            }
            Err(f) => {
                let reason = self.client.redact(&f.reason);
                self.store
                    .finish(&id, ProcessState::RollbackFailed, Some(&reason))
                    .await?;
                Err(DeployError::RollbackFailed {
                    process: id,
                    step: f.step,
                    reason: "manual rollback".into(),
                    rollback: reason,
                })
            }
        }
    }

    /// Find processes of other, dead panops instances left mid-way and roll each back from
    /// its record. Returns (process id, outcome) pairs.
    pub async fn recover(
        &self,
        stale: Duration,
    ) -> Result<Vec<(String, Result<(), String>)>, DeployError> {
        let mut out = Vec::new();
        for p in self.store.interrupted(stale.as_millis() as i64).await? {
            if !self.store.claim(&p.id, &p.owner).await? {
                continue; // another instance took it
            }
            let Ok(snap) = serde_json::from_value::<Snapshot>(p.snapshot.clone()) else {
                self.store
                    .finish(
                        &p.id,
                        ProcessState::RollbackFailed,
                        Some("interrupted; no usable snapshot"),
                    )
                    .await?;
                out.push((p.id.clone(), Err("no usable snapshot".to_string())));
                continue;
            };
            // a commit that was started may have happened: treat it as committed
            let committed = p.steps.iter().any(|s| {
                (s.name == "commit" || s.name == "rollback-commit") && s.state != StepState::Skipped
            });
            self.store
                .set_state(
                    &p.id,
                    ProcessState::RollingBack,
                    Some("interrupted; rolled back on recovery"),
                )
                .await?;
            let _heartbeat = Heartbeat::start(&self.store, &p.id);
            let pushed = self.pushed_devices(&p.id, &snap).await?;
            match self.rollback_steps(&p.id, &snap, committed, &pushed).await {
                Ok(()) => {
                    self.store
                        .finish(&p.id, ProcessState::RolledBack, None)
                        .await?;
                    out.push((p.id.clone(), Ok(())));
                }
                Err(f) => {
                    self.store
                        .finish(&p.id, ProcessState::RollbackFailed, Some(&f.reason))
                        .await?;
                    out.push((p.id.clone(), Err(f.reason)));
                }
            }
        }
        Ok(out)
    }
}

fn e_to_xml(e: &Element) -> String {
    // the canonical form is valid XML for a config set (annotations dropped)
    canonical(e)
}

fn one_time_passphrase() -> String {
    let mut b = [0u8; 24];
    let rng = ring::rand::SystemRandom::new();
    let _ = ring::rand::SecureRandom::fill(&rng, &mut b);
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

fn encrypt_key(bundle: &Bundle, pass: &str) -> Result<String, String> {
    use pkcs8::der::pem::LineEnding;
    let info = pkcs8::PrivateKeyInfo::try_from(bundle.key.expose_der())
        .map_err(|e| format!("not a PKCS#8 key: {e}"))?;
    let rng = ring::rand::SystemRandom::new();
    let mut salt = [0u8; 16];
    let mut iv = [0u8; 16];
    ring::rand::SecureRandom::fill(&rng, &mut salt).map_err(|_| "no randomness".to_string())?;
    ring::rand::SecureRandom::fill(&rng, &mut iv).map_err(|_| "no randomness".to_string())?;
    let params = pkcs8::pkcs5::pbes2::Parameters::pbkdf2_sha256_aes256cbc(2048, &salt, &iv)
        .map_err(|e| e.to_string())?;
    let enc = info
        .encrypt_with_params(params, pass.as_bytes())
        .map_err(|e| e.to_string())?;
    enc.to_pem("ENCRYPTED PRIVATE KEY", LineEnding::LF)
        .map(|p| p.to_string())
        .map_err(|e| e.to_string())
}
