//! Configuration files of a device: named saved configurations (`save config to NAME`), the
//! versions the device keeps of its running configuration (one per commit), and the op
//! commands that read them back into the candidate (`load config from|version|last-saved`,
//! `revert config`), list them (`show config saved`, `show config audit info|version`) or
//! delete them (`delete config saved NAME`). `type=export&category=configuration&from=NAME`
//! reads the same store (see [`export_source`]).
//!
//! Sources for the command set: the PAN-OS CLI and the XML API usage guide (command paths),
//! PowerAlto's `Restore-PaPreviousVersion` (`show config audit info` answers `result/entry`
//! newest first, each with a `name` that `load config version` accepts), pan-os-python's
//! `revert_to_running_configuration` (`load config from running-config.xml`) and
//! theworldsgonemad.net "Palo commit and rollback" (audit info lists "versions, dates, job
//! numbers and description"). The exact reply texts of save/load and the wording of their
//! errors are not in any public source we found; the ones here follow the CLI's messages as
//! remembered ("Config saved to NAME", "Config loaded from NAME") and say so where they guess.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::device::{ApiError, ConfigReq, Device};
use crate::xml::{self, Element};

/// Versions kept per device. The device's default ("Number of Versions for Config Audit") is
/// 100; the simulator keeps fewer because every persisted snapshot (`--state`) carries them.
pub const MAX_VERSIONS: usize = 32;

/// The running configuration's file name, always loadable and exportable.
pub const RUNNING_FILE: &str = "running-config.xml";

/// One named saved configuration (a snapshot of the candidate when it was saved).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedConfig {
    /// The configuration (annotations stripped).
    pub config: Element,
    /// When it was saved (`YYYY/MM/DD hh:mm:ss`, simulator clock).
    pub time: String,
    /// The admin who saved it.
    pub admin: String,
}

/// One committed version of the running configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigVersion {
    /// Version number (increasing from 1, the factory configuration).
    pub version: u64,
    /// The running configuration after that commit.
    pub config: Element,
    /// When it became running.
    pub time: String,
    /// Who committed it.
    pub admin: String,
    /// The commit job id (0 for the factory configuration).
    pub job: u64,
    /// The commit description.
    pub description: String,
}

/// Saved configurations and committed versions of one device.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigStore {
    /// Saved configurations by file name.
    pub saved: BTreeMap<String, SavedConfig>,
    /// The file most recently written by `save config to` (what `load config last-saved` reads).
    pub last_saved: Option<String>,
    /// Committed versions, oldest first, at most [`MAX_VERSIONS`].
    pub versions: Vec<ConfigVersion>,
    /// Number the next version gets.
    pub next_version: u64,
}

fn stripped(e: &Element) -> Element {
    let mut e = e.clone();
    e.strip_annotations();
    e
}

impl ConfigStore {
    /// A store holding the factory configuration as version 1.
    pub fn factory(running: &Element, time: String) -> Self {
        let mut s = ConfigStore {
            next_version: 1,
            ..Default::default()
        };
        s.record(
            running,
            time,
            String::new(),
            0,
            "factory default configuration".into(),
        );
        s
    }

    /// Record a new running configuration as the next version.
    pub fn record(
        &mut self,
        running: &Element,
        time: String,
        admin: String,
        job: u64,
        description: String,
    ) {
        let version = self.next_version.max(1);
        self.next_version = version + 1;
        self.versions.push(ConfigVersion {
            version,
            config: stripped(running),
            time,
            admin,
            job,
            description,
        });
        if self.versions.len() > MAX_VERSIONS {
            let extra = self.versions.len() - MAX_VERSIONS;
            self.versions.drain(..extra);
        }
    }

    /// A kept version by number.
    pub fn version(&self, n: u64) -> Option<&ConfigVersion> {
        self.versions.iter().find(|v| v.version == n)
    }

    /// The persisted form (`--state`).
    pub fn to_json(&self) -> Value {
        let saved: serde_json::Map<String, Value> = self
            .saved
            .iter()
            .map(|(k, s)| {
                (
                    k.clone(),
                    json!({"config": s.config.to_xml(), "time": s.time, "admin": s.admin}),
                )
            })
            .collect();
        let versions: Vec<Value> = self
            .versions
            .iter()
            .map(|v| {
                json!({"version": v.version, "config": v.config.to_xml(), "time": v.time,
                       "admin": v.admin, "job": v.job, "description": v.description})
            })
            .collect();
        json!({"saved": saved, "last_saved": self.last_saved, "versions": versions,
               "next_version": self.next_version})
    }

    /// Read the persisted form back; a configuration that does not parse is an error (the
    /// state file is damaged), never silently dropped.
    pub fn from_json(v: &Value) -> Result<Self, String> {
        let parse = |x: &Value, what: &str| -> Result<Element, String> {
            let s = x
                .as_str()
                .ok_or_else(|| format!("{what}: configuration missing"))?;
            xml::parse_limited(s, xml::Limits::STORED).map_err(|e| format!("{what}: {e}"))
        };
        let text = |x: &Value| x.as_str().unwrap_or("").to_string();
        let mut out = ConfigStore::default();
        if let Some(saved) = v["saved"].as_object() {
            for (name, s) in saved {
                out.saved.insert(
                    name.clone(),
                    SavedConfig {
                        config: parse(&s["config"], &format!("saved config {name}"))?,
                        time: text(&s["time"]),
                        admin: text(&s["admin"]),
                    },
                );
            }
        }
        out.last_saved = v["last_saved"].as_str().map(str::to_string);
        for ver in v["versions"].as_array().into_iter().flatten() {
            let n = ver["version"].as_u64().unwrap_or(0);
            out.versions.push(ConfigVersion {
                version: n,
                config: parse(&ver["config"], &format!("config version {n}"))?,
                time: text(&ver["time"]),
                admin: text(&ver["admin"]),
                job: ver["job"].as_u64().unwrap_or(0),
                description: text(&ver["description"]),
            });
        }
        let newest = out.versions.iter().map(|v| v.version).max().unwrap_or(0);
        out.next_version = v["next_version"].as_u64().unwrap_or(1).max(newest + 1);
        Ok(out)
    }
}

fn ok(inner: &str) -> String {
    format!("<response status=\"success\"><result>{inner}</result></response>")
}

/// A saved-configuration file name the device accepts: no path, not the reserved names.
fn check_name(name: &str) -> Result<(), ApiError> {
    if name.is_empty() {
        return Err(ApiError::new(17, "A file name is required"));
    }
    if name.len() > 255
        || name.contains('/')
        || name.contains('\\')
        || name.starts_with('.')
        || name.chars().any(char::is_control)
    {
        // wording is the simulator's own: no public source shows the device's message
        return Err(ApiError::new(17, format!("Invalid file name: {name}")));
    }
    if name == RUNNING_FILE {
        return Err(ApiError::new(
            17,
            format!("{RUNNING_FILE} is reserved for the running configuration"),
        ));
    }
    Ok(())
}

/// The configuration a `from=` / `load config from` name refers to: the running config, a
/// saved file, or (export only) a committed version by number.
pub fn export_source(dev: &Device, from: Option<&str>) -> Result<Element, ApiError> {
    match from.map(str::trim).filter(|f| !f.is_empty()) {
        None | Some(RUNNING_FILE) => Ok(stripped(&dev.running)),
        Some(name) => {
            if let Some(s) = dev.configs.saved.get(name) {
                return Ok(s.config.clone());
            }
            // a version by its number ("12" or "12.xml"): the simulator's own naming, the
            // device's file name for versions is not documented in our sources
            if let Some(v) = name
                .strip_suffix(".xml")
                .unwrap_or(name)
                .parse::<u64>()
                .ok()
                .and_then(|n| dev.configs.version(n))
            {
                return Ok(v.config.clone());
            }
            Err(missing(name))
        }
    }
}

fn missing(name: &str) -> ApiError {
    // the device's wording for a missing configuration file is not in our sources (a guess)
    ApiError::new(17, format!("Config file {name} does not exist"))
}

/// Replace the candidate with `tree` on behalf of `user`. A partial commit of `user` then
/// commits the whole loaded configuration (recorded as one pending `load` change).
fn load_candidate(dev: &mut Device, user: &str, tree: Element) {
    let tree = stripped(&tree);
    let running = stripped(&dev.running);
    dev.pending.clear();
    dev.dirty_admins.clear();
    dev.dirty = tree != running;
    if dev.dirty {
        dev.dirty_admins.insert(user.to_string());
        dev.pending.push((
            user.to_string(),
            ConfigReq {
                action: LOAD_ACTION.into(),
                xpath: "/config".into(),
                element: Some(tree.to_xml()),
                ..Default::default()
            },
        ));
    }
    dev.candidate = tree;
}

/// The pending-change action recorded by a `load config`: replaying it replaces the tree.
pub const LOAD_ACTION: &str = "load-config";

/// Replay one pending change onto `tree` (an admin-scoped partial commit or revert).
pub fn replay(
    tree: &mut Element,
    op: &ConfigReq,
    admin: &str,
    panorama: bool,
) -> Result<(), ApiError> {
    if op.action == LOAD_ACTION {
        let x = op.element.as_deref().unwrap_or("");
        *tree = xml::parse_limited(x, xml::Limits::STORED)
            .map_err(|e| ApiError::new(18, format!("Malformed Request: {e}")))?;
        return Ok(());
    }
    match crate::device::apply_write(tree, op, admin, panorama) {
        // deleting what is already gone answers success on the device (code 7, "Object
        // doesn't exist", see the delete handler); replayed, it is a no-op too
        Err(e) if e.code == 7 && op.action == "delete" => Ok(()),
        r => r,
    }
}

/// Replay the pending changes of `admins` onto a copy of running; the first change that no
/// longer applies is the error, naming the admin, the action and the xpath.
pub fn replay_admins(dev: &Device, admins: &[String]) -> Result<Element, Vec<String>> {
    // onto running as it will be when this job runs: commits are applied in order, so a
    // commit still queued (or running) comes first
    let mut base = dev
        .jobs
        .values()
        .rev()
        .find_map(|j| match (&j.effect, j.applied) {
            (Some(crate::jobs::Effect::Commit(s)), false) => Some((**s).clone()),
            _ => None,
        })
        .unwrap_or_else(|| dev.running.clone());
    let mut errors = Vec::new();
    for (a, op) in dev.pending.iter().filter(|(a, _)| admins.contains(a)) {
        if let Err(e) = replay(&mut base, op, a, dev.panorama) {
            // the device reports a failed partial commit as validation errors naming the
            // node; the line format follows commit_errors' "<path> <reason>" lines
            errors.push(format!(
                " {} {} (change by {a}, action {}): {}",
                op.xpath,
                e.lines.join(" "),
                op.action,
                "the change no longer applies to the running configuration"
            ));
        }
    }
    if errors.is_empty() {
        Ok(base)
    } else {
        Err(errors)
    }
}

/// The op commands of this module; `None` when `el` is not one of them.
pub fn run(dev: &mut Device, user: &str, el: &Element) -> Option<Result<String, ApiError>> {
    let cfg = el.child("config");
    match (el.name.as_str(), cfg) {
        ("save", Some(c)) => Some(save(dev, user, c)),
        ("load", Some(c)) => Some(load(dev, user, c)),
        ("revert", Some(c)) => Some(revert(dev, c)),
        ("delete", Some(c)) if c.child("saved").is_some() => Some(delete_saved(dev, c)),
        ("show", Some(c)) if c.child("saved").is_some() => Some(show_saved(dev, c)),
        ("show", Some(c)) if c.child("audit").is_some() => Some(show_audit(dev, c)),
        _ => None,
    }
}

fn save(dev: &mut Device, user: &str, c: &Element) -> Result<String, ApiError> {
    let to = c
        .child("to")
        .ok_or_else(|| ApiError::new(17, "save config: <to> is required"))?;
    let name = to.text_str().to_string();
    check_name(&name)?;
    dev.configs.saved.insert(
        name.clone(),
        SavedConfig {
            config: stripped(&dev.candidate),
            time: dev.clock.stamp(),
            admin: user.to_string(),
        },
    );
    dev.configs.last_saved = Some(name.clone());
    dev.configs_generation += 1;
    Ok(ok(&format!("Config saved to {}", xml::escape(&name))))
}

fn load(dev: &mut Device, user: &str, c: &Element) -> Result<String, ApiError> {
    if let Some(from) = c.child("from") {
        let name = from.text_str();
        if name.is_empty() {
            return Err(ApiError::new(
                17,
                "load config from: a file name is required",
            ));
        }
        let tree = export_source_named(dev, name)?;
        load_candidate(dev, user, tree);
        return Ok(ok(&format!(
            "<msg>Config loaded from {}</msg>",
            xml::escape(name)
        )));
    }
    if let Some(v) = c.child("version") {
        let text = v.text_str();
        let n: u64 = text.parse().map_err(|_| {
            ApiError::new(
                17,
                format!("load config version: '{text}' is not a version number"),
            )
        })?;
        let tree = dev
            .configs
            .version(n)
            .map(|v| v.config.clone())
            .ok_or_else(|| ApiError::new(17, format!("Config version {n} does not exist")))?;
        load_candidate(dev, user, tree);
        return Ok(ok(&format!("<msg>Config loaded from version {n}</msg>")));
    }
    if c.child("last-saved").is_some() {
        let name = dev
            .configs
            .last_saved
            .clone()
            .filter(|n| dev.configs.saved.contains_key(n))
            .ok_or_else(|| ApiError::new(17, "No saved configuration exists"))?;
        let tree = dev.configs.saved[&name].config.clone();
        load_candidate(dev, user, tree);
        return Ok(ok(&format!(
            "<msg>Config loaded from {}</msg>",
            xml::escape(&name)
        )));
    }
    if let Some(p) = c.child("partial") {
        return load_partial(dev, user, p);
    }
    Err(ApiError::new(
        17,
        "load config: expected from, version or last-saved",
    ))
}

/// `load config partial from NAME from-xpath X to-xpath Y mode merge|replace|append`: one part
/// of a saved (or imported) configuration into the candidate. The command's words are those
/// public automation sends (iron-skillet loaders, PAN-OS capirca and rule-copy scripts:
/// `<load><config><partial><from>F</from><from-xpath>/config/…</from-xpath><to-xpath>/config/…
/// </to-xpath><mode>merge|replace</mode></partial></config></load>`, the xpaths absolute and
/// the source read from the file's `<config>` root). The modes:
///
/// * `merge`: the source node's children are merged into the node at `to-xpath`, as a `set`
///   of them there (entries by name, values overwritten, members added);
/// * `replace`: the node at `to-xpath` becomes the source node (as an `edit`);
/// * `append`: the source's children the destination lacks (same tag and name) are added after
///   its own, which stay as they were (the simulator's reading of the mode; no public source
///   describes how append treats an entry both have).
///
/// The destination is created when missing (a loader fills sections a new device lacks).
/// The change is recorded as one pending change of `user`, so a partial commit of that admin
/// commits it. A file or `from-xpath` that does not exist is refused; the device's texts for
/// these are not in our sources (the file one is the same guess as for `load config from`).
fn load_partial(dev: &mut Device, user: &str, p: &Element) -> Result<String, ApiError> {
    let arg = |k: &str| {
        p.child(k)
            .map(|c| c.text_str().to_string())
            .filter(|v| !v.is_empty())
            .ok_or_else(|| {
                ApiError::new(
                    17,
                    format!("load -> config -> partial -> {k} needs to have non NULL value"),
                )
            })
    };
    let name = arg("from")?;
    let from_xpath = arg("from-xpath")?;
    let to_xpath = arg("to-xpath")?;
    let mode = arg("mode")?;
    if !matches!(mode.as_str(), "merge" | "replace" | "append") {
        return Err(ApiError::new(
            17,
            format!(
                "load -> config -> partial -> mode '{mode}' is not a valid value (merge, replace or append)"
            ),
        ));
    }
    let src = export_source_named(dev, &name)?;
    let bad =
        |x: &str, e: crate::xpath::XPathError| ApiError::new(6, format!("Bad Xpath {x}: {}", e.0));
    let fx = crate::xpath::XPath::parse(&from_xpath).map_err(|e| bad(&from_xpath, e))?;
    let tx = crate::xpath::XPath::parse(&to_xpath).map_err(|e| bad(&to_xpath, e))?;
    let sel = fx.select(&src);
    let node = match sel.as_slice() {
        [one] => crate::xpath::get(&src, one).cloned(),
        [] => None,
        _ => {
            return Err(ApiError::new(
                17,
                format!("from-xpath {from_xpath} selects more than one node of {name}"),
            ));
        }
    }
    .ok_or_else(|| {
        ApiError::new(
            17,
            format!("from-xpath {from_xpath} does not exist in {name}"),
        )
    })?;
    let tag = tx
        .steps
        .last()
        .and_then(|s| s.name.clone())
        .ok_or_else(|| ApiError::new(6, format!("Bad Xpath {to_xpath}")))?;
    let creq = match mode.as_str() {
        "merge" => ConfigReq {
            action: "set".into(),
            xpath: to_xpath.clone(),
            element: Some(node.children.iter().map(Element::to_xml).collect()),
            ..Default::default()
        },
        "replace" => {
            let mut n = node;
            n.name = tag;
            n.attrs.retain(|(k, _)| k == "name");
            ConfigReq {
                action: "edit".into(),
                xpath: to_xpath.clone(),
                element: Some(n.to_xml()),
                ..Default::default()
            }
        }
        _ => {
            let existing = match tx.select(&dev.candidate).as_slice() {
                [one] => crate::xpath::get(&dev.candidate, one).map(stripped),
                _ => None,
            };
            let mut base = existing.unwrap_or_else(|| Element::new(tag.clone()));
            for c in node.children {
                let have = base.children.iter().any(|b| {
                    b.name == c.name
                        && b.name_attr() == c.name_attr()
                        && (c.name != "member" || b.text_str() == c.text_str())
                });
                if !have {
                    base.children.push(c);
                }
            }
            base.name = tag;
            ConfigReq {
                action: "edit".into(),
                xpath: to_xpath.clone(),
                element: Some(base.to_xml()),
                ..Default::default()
            }
        }
    };
    crate::device::apply_write(&mut dev.candidate, &creq, user, dev.panorama)?;
    dev.touched(user, "load config partial", &to_xpath);
    dev.pending.push((user.to_string(), creq));
    Ok(ok(&format!(
        "<msg>Config loaded from {}</msg>",
        xml::escape(&name)
    )))
}

/// `load config from NAME`: running-config.xml or a saved file (versions load by `version`).
fn export_source_named(dev: &Device, name: &str) -> Result<Element, ApiError> {
    if name == RUNNING_FILE {
        return Ok(stripped(&dev.running));
    }
    dev.configs
        .saved
        .get(name)
        .map(|s| s.config.clone())
        .ok_or_else(|| missing(name))
}

/// `revert config` (candidate back to running) and `revert config partial admin [X …]` (only
/// those admins' changes are discarded; the others' are replayed and stay pending).
fn revert(dev: &mut Device, c: &Element) -> Result<String, ApiError> {
    let admins: Vec<String> = c
        .find("partial/admin")
        .map(Element::members)
        .unwrap_or_default();
    if admins.is_empty() {
        dev.candidate = dev.running.clone();
        dev.dirty = false;
        dev.dirty_admins.clear();
        dev.pending.clear();
        return Ok(ok("<msg>Config loaded from running-config.xml</msg>"));
    }
    let keep: Vec<String> = dev
        .pending
        .iter()
        .map(|(a, _)| a.clone())
        .filter(|a| !admins.contains(a))
        .collect();
    let base = replay_admins(dev, &keep).map_err(|e| ApiError::lines(13, e))?;
    dev.candidate = base;
    dev.pending.retain(|(a, _)| !admins.contains(a));
    dev.dirty_admins = dev.pending.iter().map(|(a, _)| a.clone()).collect();
    dev.dirty = !dev.pending.is_empty();
    Ok(ok(&format!(
        "<msg>Changes of {} reverted</msg>",
        xml::escape(&admins.join(", "))
    )))
}

fn delete_saved(dev: &mut Device, c: &Element) -> Result<String, ApiError> {
    let name = c.child("saved").map(Element::text_str).unwrap_or("");
    if dev.configs.saved.remove(name).is_none() {
        return Err(missing(name));
    }
    dev.configs_generation += 1;
    if dev.configs.last_saved.as_deref() == Some(name) {
        dev.configs.last_saved = None;
    }
    Ok(ok(&format!("<msg>{} deleted</msg>", xml::escape(name))))
}

fn show_saved(dev: &Device, c: &Element) -> Result<String, ApiError> {
    let name = c.child("saved").map(Element::text_str).unwrap_or("");
    if name.is_empty() {
        // the list of saved files (the simulator's shape; the CLI completes names instead)
        let mut s = String::new();
        for (n, f) in &dev.configs.saved {
            s.push_str(&format!(
                "<entry name=\"{}\"><time>{}</time><admin>{}</admin></entry>",
                xml::escape(n),
                xml::escape(&f.time),
                xml::escape(&f.admin)
            ));
        }
        return Ok(ok(&s));
    }
    let tree = export_source_named(dev, name)?;
    Ok(ok(&tree.to_xml()))
}

fn show_audit(dev: &Device, c: &Element) -> Result<String, ApiError> {
    let a = c.child("audit").ok_or_else(|| ApiError::new(17, "audit"))?;
    if a.child("info").is_some() {
        // newest first: PowerAlto takes entry[1] as the version before the running one
        let mut s = String::new();
        for v in dev.configs.versions.iter().rev() {
            s.push_str(&format!(
                "<entry name=\"{n}\"><version>{n}</version><date>{}</date><admin>{}</admin><job-id>{}</job-id><description>{}</description></entry>",
                xml::escape(&v.time),
                xml::escape(&v.admin),
                v.job,
                xml::escape(&v.description),
                n = v.version,
            ));
        }
        return Ok(ok(&s));
    }
    if let Some(v) = a.child("version") {
        let text = v.text_str();
        let ver = text
            .parse::<u64>()
            .ok()
            .and_then(|n| dev.configs.version(n))
            .ok_or_else(|| ApiError::new(17, format!("Config version {text} does not exist")))?;
        return Ok(ok(&ver.config.to_xml()));
    }
    Err(ApiError::new(
        17,
        "show config audit: expected info or version",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_capped_and_numbered_on() {
        let cfg = xml::parse("<config><a/></config>").unwrap();
        let mut s = ConfigStore::factory(&cfg, "t".into());
        for i in 0..(MAX_VERSIONS as u64 + 5) {
            s.record(&cfg, "t".into(), "admin".into(), i + 1, String::new());
        }
        assert_eq!(s.versions.len(), MAX_VERSIONS);
        assert_eq!(s.versions.last().unwrap().version, MAX_VERSIONS as u64 + 6);
        assert!(s.version(1).is_none());
        let back = ConfigStore::from_json(&s.to_json()).unwrap();
        assert_eq!(back, s);
    }

    #[test]
    fn damaged_persisted_config_is_an_error() {
        let v = json!({"saved": {"x": {"config": "<config><unclosed>"}}});
        assert!(ConfigStore::from_json(&v).is_err());
    }

    #[test]
    fn names_are_checked() {
        assert!(check_name("good.xml").is_ok());
        for bad in ["", "../x", "a/b", ".snapshot.xml", RUNNING_FILE] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }
}
