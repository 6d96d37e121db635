//! One simulated device (firewall or Panorama): config trees, jobs, logs, locks, state.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::time::Instant;

use crate::clock::Clock;
use crate::jobs::Job;
use crate::traffic::Traffic;
use crate::userid::UserIdState;
use crate::validate;
use crate::xml::{self, Element};
use crate::xpath::{self, XPath};

/// `localhost.localdomain` device entry xpath prefix.
pub const LOCALHOST: &str = "/config/devices/entry[@name='localhost.localdomain']";
/// Firewall vsys1 prefix.
#[cfg(test)]
pub const VSYS1: &str =
    "/config/devices/entry[@name='localhost.localdomain']/vsys/entry[@name='vsys1']";

/// A device-level API error (HTTP 200 with an error envelope unless `http` says otherwise).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The PAN-OS code attribute.
    pub code: u32,
    /// Message lines.
    pub lines: Vec<String>,
    /// HTTP status (200 for most device errors).
    pub http: u16,
}

impl ApiError {
    /// An error with one line.
    pub fn new(code: u32, msg: impl Into<String>) -> Self {
        ApiError {
            code,
            lines: vec![msg.into()],
            http: 200,
        }
    }

    /// An error with several lines.
    pub fn lines(code: u32, lines: Vec<String>) -> Self {
        ApiError {
            code,
            lines,
            http: 200,
        }
    }

    /// HTTP 400 "Illegal value"/"missing parameter" style error.
    pub fn bad_request(msg: impl Into<String>) -> Self {
        ApiError {
            code: 400,
            lines: vec![msg.into()],
            http: 400,
        }
    }

    /// The response envelope.
    pub fn envelope(&self) -> String {
        let mut s = format!("<response status=\"error\" code=\"{}\">", self.code);
        if self.http == 400 {
            s.push_str("<result><msg>");
            s.push_str(&xml::escape(&self.lines.join(" ")));
            s.push_str("</msg></result>");
        } else {
            s.push_str("<msg>");
            for l in &self.lines {
                s.push_str("<line><![CDATA[");
                s.push_str(&l.replace("]]>", "]]]]><![CDATA[>"));
                s.push_str("]]></line>");
            }
            s.push_str("</msg>");
        }
        s.push_str("</response>");
        s
    }
}

/// A commit or config lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lock {
    /// Owner admin.
    pub owner: String,
    /// Comment.
    pub comment: String,
    /// Scope (config locks): "shared" or a vsys / device-group.
    pub scope: String,
}

/// A log entry (config/system/traffic/threat).
#[derive(Debug, Clone)]
pub struct LogEntry {
    /// seqno.
    pub seqno: u64,
    /// Log type.
    pub log_type: &'static str,
    /// Fields in order.
    pub fields: Vec<(String, String)>,
}

/// One simulated device.
#[derive(Debug, Clone)]
pub struct Device {
    /// True for Panorama.
    pub panorama: bool,
    /// Serial number.
    pub serial: String,
    /// Hostname.
    pub hostname: String,
    /// Management IP.
    pub ip: String,
    /// Candidate config.
    pub candidate: Element,
    /// Running config.
    pub running: Element,
    /// Uncommitted changes exist.
    pub dirty: bool,
    /// Admins with uncommitted changes.
    pub dirty_admins: HashSet<String>,
    /// Uncommitted write requests by admin, replayed by an admin-scoped partial commit.
    pub pending: Vec<(String, ConfigReq)>,
    /// Jobs by id.
    pub jobs: BTreeMap<u64, Job>,
    /// Next job id.
    pub next_job: u64,
    /// Logs.
    pub logs: Vec<LogEntry>,
    /// Next log seqno.
    pub next_seqno: u64,
    /// Commit locks.
    pub commit_locks: Vec<Lock>,
    /// Config locks.
    pub config_locks: Vec<Lock>,
    /// User-ID state.
    pub userid: UserIdState,
    /// Sessions and counters.
    pub traffic: Traffic,
    /// Private keys by certificate name (PEM), imported separately.
    pub private_keys: HashMap<String, String>,
    /// Start time (uptime).
    pub started: Instant,
    /// The firewall received at least one device-group push.
    pub policy_synced: bool,
    /// What Panorama last pushed here, for the sync status Panorama reports
    /// (see [`crate::template::PushRecord`]).
    pub pushed: crate::template::PushRecord,
    /// Whether this managed firewall is connected to Panorama.
    pub connected: bool,
    /// Set while the device "reboots" after `request restart system`.
    pub restarting_until: Option<Instant>,
    /// The simulator clock (shared by all devices).
    pub clock: Clock,
    /// Configuration pushed by Panorama templates and the local overrides of it.
    pub template: TemplateLayer,
    /// `request high-availability state suspend` was run (HA enabled devices only).
    pub ha_suspended: bool,
    /// When the licences were activated (simulator clock at start); their dates follow it.
    pub licensed: chrono::DateTime<chrono::Utc>,
    /// Monitoring state (BGP peers, tunnels, GlobalProtect, User-ID agents, certificates).
    pub monitor: crate::ops::monitor::Monitor,
    /// Saved configurations and committed versions (`save config`, `load config`).
    pub configs: crate::ops::configops::ConfigStore,
    /// What Panorama's last device-group push brought (`show config pushed-shared-policy`):
    /// a `<policy><panorama>` tree, empty when nothing was pushed.
    pub pushed_policy: Element,
    /// `set system setting target-vsys` per admin: the vsys later requests of that admin act
    /// on when they name none.
    pub target_vsys: HashMap<String, String>,
    /// Bumped by every change to [`Device::configs`]: `--state` rewrites the saved configs
    /// and the (up to 32) committed versions only when it moved, not on every change.
    pub configs_generation: u64,
}

/// The `time` annotation of candidate nodes (cosmetic; real time is good enough).
fn now_stamp() -> String {
    chrono::Utc::now().format("%Y/%m/%d %H:%M:%S").to_string()
}

/// What Panorama templates pushed to a firewall, kept apart from the local configuration:
/// a template value stays underneath a local override and comes back when the override is
/// deleted, as on a real firewall.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateLayer {
    /// The merged template configuration (`<config>` root; empty when nothing was pushed).
    pub config: Element,
    /// Canonical xpaths of template nodes the local admin overrode.
    pub overrides: BTreeSet<String>,
}

impl Default for TemplateLayer {
    fn default() -> Self {
        TemplateLayer {
            config: Element::new("config"),
            overrides: BTreeSet::new(),
        }
    }
}

impl Device {
    /// Factory-default firewall.
    pub fn firewall(serial: &str, hostname: &str, ip: &str, seed: u64, clock: &Clock) -> Self {
        let cfg = xml::parse(&firewall_factory(hostname, ip)).unwrap_or_default();
        Device::new(false, serial, hostname, ip, cfg, seed, clock)
    }

    /// Factory-default Panorama managing `serials`.
    pub fn panorama(
        serial: &str,
        hostname: &str,
        ip: &str,
        serials: &[String],
        clock: &Clock,
    ) -> Self {
        let cfg = xml::parse(&panorama_factory(hostname, ip, serials)).unwrap_or_default();
        Device::new(true, serial, hostname, ip, cfg, 1, clock)
    }

    fn new(
        panorama: bool,
        serial: &str,
        hostname: &str,
        ip: &str,
        cfg: Element,
        seed: u64,
        clock: &Clock,
    ) -> Self {
        let rules = allow_rules(&cfg);
        let configs = crate::ops::configops::ConfigStore::factory(&cfg, clock.stamp());
        Device {
            panorama,
            serial: serial.into(),
            hostname: hostname.into(),
            ip: ip.into(),
            candidate: cfg.clone(),
            running: cfg,
            dirty: false,
            dirty_admins: HashSet::new(),
            pending: Vec::new(),
            jobs: BTreeMap::new(),
            next_job: 1,
            logs: Vec::new(),
            next_seqno: 1,
            commit_locks: Vec::new(),
            config_locks: Vec::new(),
            userid: UserIdState::default(),
            traffic: Traffic::new(seed, panorama, clock, rules),
            private_keys: HashMap::new(),
            started: clock.now(),
            policy_synced: false,
            pushed: crate::template::PushRecord::default(),
            connected: true,
            restarting_until: None,
            clock: clock.clone(),
            template: TemplateLayer::default(),
            ha_suspended: false,
            licensed: clock.utc(),
            monitor: crate::ops::monitor::Monitor::factory(panorama, clock.now()),
            configs,
            pushed_policy: Element::new("policy"),
            target_vsys: HashMap::new(),
            configs_generation: 0,
        }
    }

    /// Append a log entry.
    pub fn log(&mut self, log_type: &'static str, fields: Vec<(String, String)>) {
        let seqno = self.next_seqno;
        self.next_seqno += 1;
        self.logs.push(LogEntry {
            seqno,
            log_type,
            fields,
        });
        if self.logs.len() > 20_000 {
            self.logs.drain(..5_000);
        }
    }

    /// Record a config change in the config log and mark dirty.
    pub fn touched(&mut self, admin: &str, cmd: &str, path: &str) {
        self.dirty = true;
        self.dirty_admins.insert(admin.to_string());
        let now = self.clock.stamp();
        let serial = self.serial.clone();
        self.log(
            "config",
            vec![
                ("receive_time".into(), now.clone()),
                ("serial".into(), serial),
                ("type".into(), "CONFIG".into()),
                ("subtype".into(), "0".into()),
                ("time_generated".into(), now),
                ("host".into(), "127.0.0.1".into()),
                ("cmd".into(), cmd.into()),
                ("admin".into(), admin.into()),
                ("client".into(), "XML API".into()),
                ("result".into(), "Submitted".into()),
                ("path".into(), path.into()),
            ],
        );
    }

    /// Hostname from the running config (deviceconfig/system/hostname), else the factory one.
    pub fn current_hostname(&self) -> String {
        self.running
            .find("devices")
            .and_then(|d| d.entry_child("localhost.localdomain"))
            .and_then(|l| l.find_text("deviceconfig/system/hostname"))
            .map(str::to_string)
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| self.hostname.clone())
    }

    /// Candidate or running tree.
    pub fn tree(&self, running: bool) -> &Element {
        if running {
            &self.running
        } else {
            &self.candidate
        }
    }

    /// Uptime text "N days, hh:mm:ss".
    pub fn uptime(&self) -> String {
        let s = self
            .clock
            .now()
            .saturating_duration_since(self.started)
            .as_secs()
            + 3 * 86400
            + 4 * 3600;
        format!(
            "{} days, {}:{:02}:{:02}",
            s / 86400,
            (s % 86400) / 3600,
            (s % 3600) / 60,
            s % 60
        )
    }
}

/// Names of enabled allow rules of vsys1 in a firewall's running config.
pub fn allow_rules(running: &Element) -> Vec<String> {
    let Ok(x) = XPath::parse(&format!(
        "{LOCALHOST}/vsys/entry[@name='vsys1']/rulebase/security/rules/entry"
    )) else {
        return vec![];
    };
    x.select(running)
        .iter()
        .filter_map(|p| crate::xpath::get(running, p))
        .filter(|r| {
            r.find_text("action") == Some("allow") && r.find_text("disabled") != Some("yes")
        })
        .filter_map(|r| r.name_attr().map(str::to_string))
        .collect()
}

// ---------------------------------------------------------------- config actions

/// Parameters of one config action.
#[derive(Debug, Clone, Default)]
pub struct ConfigReq {
    /// action
    pub action: String,
    /// xpath
    pub xpath: String,
    /// element
    pub element: Option<String>,
    /// newname (rename/clone)
    pub newname: Option<String>,
    /// from (clone)
    pub from: Option<String>,
    /// where (move)
    pub where_: Option<String>,
    /// dst (move)
    pub dst: Option<String>,
}

fn parse_xpath(s: &str) -> Result<XPath, ApiError> {
    XPath::parse(s).map_err(|e| ApiError::new(6, format!("Bad Xpath: {e}")))
}

/// Read action (get on candidate or show on running); returns the envelope.
pub fn config_read(dev: &Device, req: &ConfigReq, running: bool) -> Result<String, ApiError> {
    let xp = parse_xpath(&req.xpath)?;
    // the content database (predefined applications, services) is part of every read
    let tree = if crate::predefined::is_predefined(&xp) {
        &*crate::predefined::PREDEFINED
    } else {
        dev.tree(running)
    };
    let sel = xp.select(tree);
    if sel.is_empty() {
        if running {
            return Err(ApiError::new(7, "No such node"));
        }
        return Ok("<response status=\"success\" code=\"7\"><result total-count=\"0\" count=\"0\"/></response>".into());
    }
    let mut body = String::new();
    let n = sel.len();
    for p in &sel {
        let Some(el) = xpath::get(tree, p) else {
            continue;
        };
        if let Some(attr) = &xp.projection {
            let mut e = Element::new(el.name.clone());
            if let Some(v) = el.attr(attr) {
                e.set_attr(attr.clone(), v);
            }
            e.write_to(&mut body);
        } else {
            el.write_to(&mut body);
        }
    }
    Ok(format!(
        "<response status=\"success\" code=\"19\"><result total-count=\"{n}\" count=\"{n}\">{body}</result></response>"
    ))
}

/// Apply one write action to a tree (no locking, no dirty tracking).
pub fn apply_write(
    tree: &mut Element,
    req: &ConfigReq,
    admin: &str,
    panorama: bool,
) -> Result<(), ApiError> {
    let xp = parse_xpath(&req.xpath)?;
    if crate::predefined::is_predefined(&xp) {
        // wording not documented in our sources (a guess); predefined content is read-only
        return Err(ApiError::new(
            12,
            "The predefined configuration is read-only: it comes from the content release",
        ));
    }
    if xp.projection.is_some() && req.action != "delete" {
        return Err(ApiError::new(
            6,
            "Bad Xpath: attribute projection not allowed here",
        ));
    }
    match req.action.as_str() {
        "set" | "override" => {
            let el = req
                .element
                .as_deref()
                .ok_or_else(|| ApiError::bad_request("Missing parameter \"element\""))?;
            let frag = xml::parse_fragment(el)
                .map_err(|e| ApiError::new(18, format!("Malformed Request: {e}")))?;
            let ctx = context_tags(&xp);
            for f in &frag {
                validate::check_subtree(&ctx, f, panorama)?;
            }
            validate::check_schema(&xp, &frag, false)?;
            validate::check_namespaces(tree, &xp, &frag, false)?;
            let paths = resolve_or_create(tree, &xp)?;
            let stamp = now_stamp();
            for p in paths {
                if let Some(node) = xpath::get_mut(tree, &p) {
                    // merge through a wrapper so large sibling lists use the name index
                    let mut wrapper = Element::new(node.name.clone());
                    wrapper.children = frag
                        .iter()
                        .map(|f| {
                            let mut f = f.clone();
                            stamp_el(&mut f, admin, &stamp);
                            f
                        })
                        .collect();
                    merge_into(node, wrapper);
                    stamp_el(node, admin, &stamp);
                    let parent_is_rules = ctx.len() >= 2 && ctx[ctx.len() - 2] == "rules";
                    assign_rule_uuids(node, parent_is_rules, 0);
                }
            }
            Ok(())
        }
        "edit" => {
            let el = req
                .element
                .as_deref()
                .ok_or_else(|| ApiError::bad_request("Missing parameter \"element\""))?;
            let mut frag = xml::parse_fragment(el)
                .map_err(|e| ApiError::new(18, format!("Malformed Request: {e}")))?;
            if frag.len() != 1 {
                return Err(ApiError::new(12, "edit requires exactly one element"));
            }
            let mut new = frag.remove(0);
            let last = xp
                .steps
                .last()
                .ok_or_else(|| ApiError::new(6, "Bad Xpath"))?;
            if !last.creatable() || last.name.as_deref() != Some(new.name.as_str()) {
                return Err(ApiError::new(
                    12,
                    format!(
                        "edit breaks config validity: element <{}> does not match the last xpath step",
                        new.name
                    ),
                ));
            }
            if let Some(n) = last.single_name() {
                if new.name_attr().is_some_and(|x| x != n) {
                    return Err(ApiError::new(
                        12,
                        format!("edit breaks config validity: entry name does not match '{n}'"),
                    ));
                }
                new.set_attr("name", n);
            }
            let mut ctx = context_tags(&xp);
            ctx.pop();
            validate::check_subtree(&ctx, &new, panorama)?;
            validate::check_schema(&xp, std::slice::from_ref(&new), true)?;
            validate::check_namespaces(tree, &xp, std::slice::from_ref(&new), true)?;
            let parent = xp
                .parent()
                .ok_or_else(|| ApiError::new(6, "Bad Xpath: cannot edit the root"))?;
            let parents = resolve_or_create(tree, &parent)?;
            let stamp = now_stamp();
            stamp_el(&mut new, admin, &stamp);
            for pp in parents {
                if let Some(pnode) = xpath::get_mut(tree, &pp) {
                    let mut new = new.clone();
                    let parent_is_rules = pnode.name == "rules";
                    match pnode.children.iter().position(|c| last.matches(c)) {
                        Some(i) => {
                            if new.attr("uuid").is_none()
                                && let Some(u) = pnode.children[i].attr("uuid")
                            {
                                new.set_attr("uuid", u);
                            }
                            assign_rule_uuids(&mut new, parent_is_rules, 0);
                            pnode.children[i] = new;
                        }
                        None => {
                            assign_rule_uuids(&mut new, parent_is_rules, 0);
                            pnode.children.push(new);
                        }
                    }
                }
            }
            Ok(())
        }
        "delete" => {
            let sel = xp.select(tree);
            if sel.is_empty() {
                return Err(ApiError::new(7, "Object doesn't exist"));
            }
            validate::check_delete(tree, &sel)?;
            // delete from the deepest / last index first so indices stay valid
            let mut sel = sel;
            sel.sort();
            for p in sel.iter().rev() {
                if let Some((last, parent)) = p.split_last() {
                    if let Some(pn) = xpath::get_mut(tree, parent)
                        && *last < pn.children.len()
                    {
                        pn.children.remove(*last);
                    }
                } else {
                    return Err(ApiError::new(15, "cannot delete the configuration root"));
                }
            }
            Ok(())
        }
        "rename" => {
            let newname = req
                .newname
                .as_deref()
                .ok_or_else(|| ApiError::bad_request("Missing parameter \"newname\""))?;
            let sel = single(tree, &xp)?;
            let (last, parent) = sel
                .split_last()
                .ok_or_else(|| ApiError::new(6, "Bad Xpath"))?;
            let ctx = context_tags(&xp);
            validate::check_name(&ctx[..ctx.len().saturating_sub(1)], newname, panorama)?;
            validate::check_namespace_name(tree, parent, newname)?;
            let pnode = xpath::get_mut(tree, parent)
                .ok_or_else(|| ApiError::new(7, "Object doesn't exist"))?;
            if pnode.entry_child(newname).is_some() {
                return Err(ApiError::new(12, format!("{newname} already exists")));
            }
            let old = pnode.children[*last].name_attr().unwrap_or("").to_string();
            pnode.children[*last].set_attr("name", newname);
            stamp_el(&mut pnode.children[*last], admin, &now_stamp());
            if !old.is_empty() {
                validate::rename_references(tree, parent, &old, newname);
            }
            Ok(())
        }
        "clone" => {
            let newname = req
                .newname
                .as_deref()
                .ok_or_else(|| ApiError::bad_request("Missing parameter \"newname\""))?;
            let from = req
                .from
                .as_deref()
                .ok_or_else(|| ApiError::bad_request("Missing parameter \"from\""))?;
            let fxp = parse_xpath(from)?;
            let src = single(tree, &fxp)?;
            let mut copy = xpath::get(tree, &src)
                .cloned()
                .ok_or_else(|| ApiError::new(7, "Object doesn't exist"))?;
            let ctx = context_tags(&fxp);
            validate::check_name(&ctx[..ctx.len().saturating_sub(1)], newname, panorama)?;
            copy.set_attr("name", newname);
            copy.remove_attr("uuid");
            assign_rule_uuids(&mut copy, true, 0);
            stamp_el(&mut copy, admin, &now_stamp());
            let parent = single(tree, &xp)?;
            validate::check_namespace_name(tree, &parent, newname)?;
            let pnode = xpath::get_mut(tree, &parent)
                .ok_or_else(|| ApiError::new(7, "Object doesn't exist"))?;
            if pnode.entry_child(newname).is_some() {
                return Err(ApiError::new(12, format!("{newname} already exists")));
            }
            pnode.children.push(copy);
            Ok(())
        }
        "move" => {
            let where_ = req
                .where_
                .as_deref()
                .ok_or_else(|| ApiError::bad_request("Missing parameter \"where\""))?;
            let sel = single(tree, &xp)?;
            let (idx, parent) = sel
                .split_last()
                .ok_or_else(|| ApiError::new(6, "Bad Xpath"))?;
            let pnode = xpath::get_mut(tree, parent)
                .ok_or_else(|| ApiError::new(7, "Object doesn't exist"))?;
            let item = pnode.children.remove(*idx);
            let insert_at = match where_ {
                "top" => 0,
                "bottom" => pnode.children.len(),
                "before" | "after" => {
                    let dst = req
                        .dst
                        .as_deref()
                        .ok_or_else(|| ApiError::bad_request("Missing parameter \"dst\""))?;
                    match pnode
                        .children
                        .iter()
                        .position(|c| c.name == item.name && c.name_attr() == Some(dst))
                    {
                        Some(i) if where_ == "before" => i,
                        Some(i) => i + 1,
                        None => {
                            pnode.children.insert(*idx, item);
                            return Err(ApiError::new(13, format!("{dst} does not exist")));
                        }
                    }
                }
                other => {
                    pnode.children.insert(*idx, item);
                    return Err(ApiError::bad_request(format!(
                        "Illegal value for parameter \"where\" [{other}]."
                    )));
                }
            };
            pnode.children.insert(insert_at, item);
            Ok(())
        }
        other => Err(ApiError::bad_request(format!(
            "Illegal value for parameter \"action\" [{other}]."
        ))),
    }
}

fn single(tree: &Element, xp: &XPath) -> Result<Vec<usize>, ApiError> {
    let mut sel = xp.select(tree);
    match sel.len() {
        0 => Err(ApiError::new(7, "Object doesn't exist")),
        1 => Ok(sel.remove(0)),
        _ => Err(ApiError::new(8, "Object not unique")),
    }
}

/// Tag names along the xpath (for validation context).
fn context_tags(xp: &XPath) -> Vec<String> {
    xp.steps
        .iter()
        .map(|s| s.name.clone().unwrap_or_else(|| "*".into()))
        .collect()
}

/// Security/NAT/... rules get a `uuid` attribute when created, as on PAN-OS 9.0+.
fn assign_rule_uuids(el: &mut Element, parent_is_rules: bool, depth: usize) {
    if parent_is_rules && el.name == "entry" && el.attr("uuid").is_none() {
        el.set_attr("uuid", uuid::Uuid::new_v4().to_string());
    }
    if depth > 16 || (el.name == "entry" && parent_is_rules) {
        return;
    }
    let is_rules = el.name == "rules";
    for c in &mut el.children {
        assign_rule_uuids(c, is_rules, depth + 1);
    }
}

fn stamp_el(el: &mut Element, admin: &str, stamp: &str) {
    el.set_attr("admin", admin);
    el.set_attr("time", stamp);
}

/// Resolve the xpath, creating missing plain / `entry[@name]` steps.
pub fn resolve_or_create(tree: &mut Element, xp: &XPath) -> Result<Vec<Vec<usize>>, ApiError> {
    let first = xp
        .steps
        .first()
        .ok_or_else(|| ApiError::new(6, "Bad Xpath"))?;
    if !first.matches(tree) {
        return Err(ApiError::new(
            6,
            format!("Bad Xpath: the root is <{}>", tree.name),
        ));
    }
    let mut cur: Vec<Vec<usize>> = vec![vec![]];
    for step in &xp.steps[1..] {
        let mut next = Vec::new();
        for p in &cur {
            let Some(node) = xpath::get_mut(tree, p) else {
                continue;
            };
            let mut found = false;
            for (i, c) in node.children.iter().enumerate() {
                if step.matches(c) {
                    let mut np = p.clone();
                    np.push(i);
                    next.push(np);
                    found = true;
                }
            }
            if !found {
                if step.name.as_deref() == Some("entry") && step.preds.is_empty() {
                    // the device has no entry without a name: creating one from an xpath step
                    // that names none is the schema error `set` of such an element gets
                    // (see validate/schema.rs)
                    return Err(ApiError::lines(
                        12,
                        vec![
                            format!("{} -> entry is missing 'name'", node.name),
                            format!("{} is invalid", node.name),
                        ],
                    ));
                }
                let Some(new) = step.create() else {
                    return Err(ApiError::new(
                        6,
                        "Bad Xpath: cannot create a node from a step with this predicate",
                    ));
                };
                node.children.push(new);
                let mut np = p.clone();
                np.push(node.children.len() - 1);
                next.push(np);
            }
        }
        cur = next;
    }
    Ok(cur)
}

/// Merge `child` into `node` with `set` semantics.
pub fn merge_child(node: &mut Element, child: Element) {
    if child.name == "member" {
        let t = child.text_str().to_string();
        if !node
            .children
            .iter()
            .any(|c| c.name == "member" && c.text_str() == t)
        {
            node.children.push(child);
        }
        return;
    }
    let pos = if child.name == "entry" {
        match child.name_attr() {
            Some(n) => node
                .children
                .iter()
                .position(|c| c.name == "entry" && c.name_attr() == Some(n)),
            None => None,
        }
    } else {
        node.children.iter().position(|c| c.name == child.name)
    };
    match pos {
        Some(i) => merge_into(&mut node.children[i], child),
        None => node.children.push(child),
    }
}

fn merge_into(dst: &mut Element, src: Element) {
    for (k, v) in src.attrs {
        dst.set_attr(k, v);
    }
    if src.text.is_some() {
        dst.text = src.text;
    }
    if src.children.len() > 64 {
        // bulk path: index existing entries by name and members by text once
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut members: HashSet<String> = HashSet::new();
        for (i, c) in dst.children.iter().enumerate() {
            if c.name == "entry"
                && let Some(n) = c.name_attr()
            {
                index.insert(n.to_string(), i);
            } else if c.name == "member" {
                members.insert(c.text_str().to_string());
            }
        }
        for c in src.children {
            if c.name == "member" {
                if members.insert(c.text_str().to_string()) {
                    dst.children.push(c);
                }
            } else if c.name == "entry"
                && let Some(n) = c.name_attr().map(str::to_string)
            {
                match index.get(&n) {
                    Some(&i) => merge_into(&mut dst.children[i], c),
                    None => {
                        dst.children.push(c);
                        index.insert(n, dst.children.len() - 1);
                    }
                }
            } else {
                merge_child(dst, c);
            }
        }
    } else {
        for c in src.children {
            merge_child(dst, c);
        }
    }
}

/// Deep-merge `src` into `dst` (used for template pushes).
pub fn deep_merge(dst: &mut Element, src: &Element) {
    merge_into(dst, src.clone());
}

// ---------------------------------------------------------------- factory configs

/// `deviceconfig/system` as a factory-fresh device has it (static management address).
fn factory_system(hostname: &str, ip: &str) -> String {
    format!(
        "<system><type><static/></type><ip-address>{ip}</ip-address><netmask>255.255.255.0</netmask><default-gateway>10.0.0.1</default-gateway><hostname>{hostname}</hostname><timezone>UTC</timezone><update-server>updates.paloaltonetworks.com</update-server><update-schedule><threats><recurring><weekly><day-of-week>wednesday</day-of-week><at>01:02</at><action>download-only</action></weekly></recurring></threats></update-schedule><service><disable-telnet>yes</disable-telnet><disable-http>yes</disable-http></service></system>",
        hostname = xml::escape(hostname),
    )
}

/// A factory-default firewall as the hardware and VM-Series ship it: ethernet1/1 and
/// ethernet1/2 in the virtual wire `default-vwire`, zones `untrust` (ethernet1/1) and `trust`
/// (ethernet1/2), the allow rule `rule1` from trust to untrust, the `default` virtual router
/// and crypto / monitor profiles, one superuser `admin`. Which zone holds which interface is
/// from memory of the factory configuration (the first port faces the Internet); the other
/// elements are what setup scripts delete from a fresh device ("delete network virtual-wire
/// default-vwire", "delete rulebase security rules rule1", "delete zone trust|untrust").
fn firewall_factory(hostname: &str, ip: &str) -> String {
    format!(
        r#"<config version="11.1.0" urldb="paloaltonetworks" detail-version="11.1.2">
<mgt-config><users><entry name="admin"><phash>*</phash><permissions><role-based><superuser>yes</superuser></role-based></permissions></entry></users><password-complexity><enabled>yes</enabled><minimum-length>8</minimum-length></password-complexity></mgt-config>
<shared><application/><application-group/><service/><service-group/><botnet><configuration><http><dynamic-dns><enabled>yes</enabled><threshold>5</threshold></dynamic-dns><malware-sites><enabled>yes</enabled><threshold>5</threshold></malware-sites><recent-domains><enabled>yes</enabled><threshold>5</threshold></recent-domains><ip-domains><enabled>yes</enabled><threshold>10</threshold></ip-domains><executables-from-unknown-sites><enabled>yes</enabled><threshold>5</threshold></executables-from-unknown-sites></http><other-applications><irc>yes</irc></other-applications><unknown-applications><unknown-tcp><destinations-per-hour>10</destinations-per-hour><sessions-per-hour>10</sessions-per-hour><session-length><maximum-bytes>100</maximum-bytes><minimum-bytes>50</minimum-bytes></session-length></unknown-tcp><unknown-udp><destinations-per-hour>10</destinations-per-hour><sessions-per-hour>10</sessions-per-hour><session-length><maximum-bytes>100</maximum-bytes><minimum-bytes>50</minimum-bytes></session-length></unknown-udp></unknown-applications></configuration><report><topn>100</topn><scheduled>yes</scheduled></report></botnet><address/><address-group/><tag/></shared>
<devices><entry name="localhost.localdomain">
<network><interface><ethernet><entry name="ethernet1/1"><virtual-wire/></entry><entry name="ethernet1/2"><virtual-wire/></entry></ethernet></interface>
<virtual-wire><entry name="default-vwire"><interface1>ethernet1/1</interface1><interface2>ethernet1/2</interface2></entry></virtual-wire>
<virtual-router><entry name="default"><protocol><bgp><enable>no</enable></bgp><rip><enable>no</enable></rip><ospf><enable>no</enable></ospf><ospfv3><enable>no</enable></ospfv3></protocol><ecmp><algorithm><ip-modulo/></algorithm></ecmp></entry></virtual-router>
<profiles><monitor-profile><entry name="default"><interval>3</interval><threshold>5</threshold><action>wait-recover</action></entry></monitor-profile></profiles>
<ike><crypto-profiles><ike-crypto-profiles><entry name="default"><encryption><member>aes-128-cbc</member><member>3des</member></encryption><hash><member>sha1</member></hash><dh-group><member>group2</member></dh-group><lifetime><hours>8</hours></lifetime></entry></ike-crypto-profiles><ipsec-crypto-profiles><entry name="default"><esp><encryption><member>aes-128-cbc</member><member>3des</member></encryption><authentication><member>sha1</member></authentication></esp><dh-group>group2</dh-group><lifetime><hours>1</hours></lifetime></entry></ipsec-crypto-profiles><global-protect-app-crypto-profiles><entry name="default"><encryption><member>aes-128-cbc</member></encryption><authentication><member>sha1</member></authentication></entry></global-protect-app-crypto-profiles></crypto-profiles></ike></network>
<deviceconfig>{system}<setting><config><rematch>yes</rematch></config><management><hostname-type-in-syslog>FQDN</hostname-type-in-syslog></management></setting></deviceconfig>
<vsys><entry name="vsys1"><display-name>vsys1</display-name>
<zone><entry name="trust"><network><virtual-wire><member>ethernet1/2</member></virtual-wire></network></entry><entry name="untrust"><network><virtual-wire><member>ethernet1/1</member></virtual-wire></network></entry></zone>
<import><network><interface><member>ethernet1/1</member><member>ethernet1/2</member></interface></network></import>
<address/><address-group/><service/><service-group/><tag/><application/><application-group/><schedule/>
<rulebase><security><rules><entry name="rule1" uuid="6f1d3c2a-0b5e-4a51-9d0e-1f3c5b7a9e01"><to><member>untrust</member></to><from><member>trust</member></from><source><member>any</member></source><destination><member>any</member></destination><source-user><member>any</member></source-user><category><member>any</member></category><application><member>any</member></application><service><member>application-default</member></service><action>allow</action></entry></rules></security><nat><rules/></nat></rulebase>
</entry></vsys>
</entry></devices>
</config>"#,
        system = factory_system(hostname, ip),
    )
}

/// A factory-default Panorama (managing `serials`): one superuser, no device groups,
/// templates or stacks yet, the managed firewalls under `mgt-config/devices`.
fn panorama_factory(hostname: &str, ip: &str, serials: &[String]) -> String {
    let devices: String = serials
        .iter()
        .map(|s| format!("<entry name=\"{}\"/>", xml::escape(s)))
        .collect();
    format!(
        r#"<config version="11.1.0" urldb="paloaltonetworks" detail-version="11.1.2">
<mgt-config><users><entry name="admin"><phash>*</phash><permissions><role-based><superuser>yes</superuser></role-based></permissions></entry></users><password-complexity><enabled>yes</enabled><minimum-length>8</minimum-length></password-complexity><devices>{devices}</devices></mgt-config>
<shared><application/><application-group/><service/><service-group/><address/><address-group/><tag/><pre-rulebase><security><rules/></security></pre-rulebase><post-rulebase><security><rules/></security></post-rulebase></shared>
<devices><entry name="localhost.localdomain">
<deviceconfig>{system}</deviceconfig>
<device-group/><template/><template-stack/><log-collector-group/>
</entry></devices>
<panorama><certificate/></panorama>
</config>"#,
        system = factory_system(hostname, ip),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fw() -> Device {
        Device::firewall(
            "007951000000001",
            "fw1",
            "10.0.0.11",
            1,
            &crate::clock::Clock::default(),
        )
    }

    fn req(action: &str, xpath: &str, element: Option<&str>) -> ConfigReq {
        ConfigReq {
            action: action.into(),
            xpath: xpath.into(),
            element: element.map(str::to_string),
            ..Default::default()
        }
    }

    #[test]
    fn set_get_delete() {
        let mut d = fw();
        let x = format!("{VSYS1}/address");
        apply_write(
            &mut d.candidate,
            &req(
                "set",
                &x,
                Some("<entry name='a'><ip-netmask>10.1.1.1</ip-netmask></entry>"),
            ),
            "admin",
            false,
        )
        .unwrap();
        let out = config_read(
            &d,
            &req("get", &format!("{x}/entry[@name='a']"), None),
            false,
        )
        .unwrap();
        assert!(
            out.contains("code=\"19\"")
                && out.contains("10.1.1.1")
                && out.contains("admin=\"admin\"")
        );
        let out = config_read(
            &d,
            &req("show", &format!("{x}/entry[@name='a']"), None),
            true,
        );
        assert_eq!(out.unwrap_err().lines, vec!["No such node".to_string()]);
        apply_write(
            &mut d.candidate,
            &req("delete", &format!("{x}/entry[@name='a']"), None),
            "admin",
            false,
        )
        .unwrap();
        let out = config_read(
            &d,
            &req("get", &format!("{x}/entry[@name='a']"), None),
            false,
        )
        .unwrap();
        assert!(out.contains("code=\"7\""));
    }

    #[test]
    fn bad_address_refused() {
        let mut d = fw();
        let x = format!("{VSYS1}/address");
        let e = apply_write(
            &mut d.candidate,
            &req(
                "set",
                &x,
                Some("<entry name='a'><ip-netmask>10.1.1.300</ip-netmask></entry>"),
            ),
            "admin",
            false,
        )
        .unwrap_err();
        assert_eq!(e.code, 12);
        let long = "x".repeat(64);
        let e = apply_write(
            &mut d.candidate,
            &req(
                "set",
                &x,
                Some(&format!(
                    "<entry name='{long}'><fqdn>a.example</fqdn></entry>"
                )),
            ),
            "admin",
            false,
        )
        .unwrap_err();
        assert!(
            e.lines[0].contains("can be at most 63 characters, but current length: 64"),
            "{e:?}"
        );
    }

    #[test]
    fn addresses_and_groups_share_a_name_space() {
        let mut d = fw();
        let set = |d: &mut Device, kind: &str, el: &str| {
            apply_write(
                &mut d.candidate,
                &req("set", &format!("{VSYS1}/{kind}"), Some(el)),
                "admin",
                false,
            )
        };
        set(
            &mut d,
            "address",
            "<entry name='web'><fqdn>web.example</fqdn></entry>",
        )
        .unwrap();
        let e = set(
            &mut d,
            "address-group",
            "<entry name='web'><static><member>web</member></static></entry>",
        )
        .unwrap_err();
        assert_eq!(e.code, 12);
        assert!(
            e.lines[0].contains("address-group -> web 'web' is already in use"),
            "{e:?}"
        );
        // nothing was written
        assert!(
            XPath::parse(&format!("{VSYS1}/address-group/entry[@name='web']"))
                .unwrap()
                .select(&d.candidate)
                .is_empty()
        );
        // the reverse, with the entry named in the xpath
        set(
            &mut d,
            "address-group",
            "<entry name='grp'><static><member>web</member></static></entry>",
        )
        .unwrap();
        let e = apply_write(
            &mut d.candidate,
            &req(
                "set",
                &format!("{VSYS1}/address/entry[@name='grp']"),
                Some("<ip-netmask>10.0.0.1</ip-netmask>"),
            ),
            "admin",
            false,
        )
        .unwrap_err();
        assert!(e.lines[0].starts_with("address -> grp 'grp'"), "{e:?}");
        // services and service groups too
        set(
            &mut d,
            "service",
            "<entry name='s1'><protocol><tcp><port>80</port></tcp></protocol></entry>",
        )
        .unwrap();
        assert!(
            set(
                &mut d,
                "service-group",
                "<entry name='s1'><members><member>s1</member></members></entry>"
            )
            .is_err()
        );
        // one request holding both is refused as well
        let e = apply_write(
            &mut d.candidate,
            &req("set", VSYS1, Some("<address><entry name='both'><fqdn>b.example</fqdn></entry></address><address-group><entry name='both'/></address-group>")),
            "admin",
            false,
        )
        .unwrap_err();
        assert_eq!(e.code, 12);
        // another container may reuse the name (shared vs vsys1), and so may a tag
        apply_write(
            &mut d.candidate,
            &req(
                "set",
                "/config/shared/address-group",
                Some("<entry name='web'/>"),
            ),
            "admin",
            false,
        )
        .unwrap();
        set(&mut d, "tag", "<entry name='web'/>").unwrap();
        // rename and clone into the other kind's name are refused
        let mut r = req(
            "rename",
            &format!("{VSYS1}/address-group/entry[@name='grp']"),
            None,
        );
        r.newname = Some("web".into());
        assert!(
            apply_write(&mut d.candidate, &r, "admin", false)
                .unwrap_err()
                .lines[0]
                .contains("already in use")
        );
        let mut c = req("clone", &format!("{VSYS1}/address"), None);
        c.from = Some(format!("{VSYS1}/address/entry[@name='web']"));
        c.newname = Some("grp".into());
        assert!(apply_write(&mut d.candidate, &c, "admin", false).is_err());
    }

    #[test]
    fn move_and_rename() {
        let mut d = fw();
        let x = format!("{VSYS1}/rulebase/security/rules");
        apply_write(
            &mut d.candidate,
            &req(
                "set",
                &x,
                Some("<entry name='r1'/><entry name='r2'/><entry name='r3'/>"),
            ),
            "admin",
            false,
        )
        .unwrap();
        let mut m = req("move", &format!("{x}/entry[@name='r3']"), None);
        m.where_ = Some("top".into());
        apply_write(&mut d.candidate, &m, "admin", false).unwrap();
        let mut m = req("move", &format!("{x}/entry[@name='r1']"), None);
        m.where_ = Some("after".into());
        m.dst = Some("r2".into());
        apply_write(&mut d.candidate, &m, "admin", false).unwrap();
        let names: Vec<_> = XPath::parse(&format!("{x}/entry"))
            .unwrap()
            .select(&d.candidate)
            .iter()
            .map(|p| {
                xpath::get(&d.candidate, p)
                    .unwrap()
                    .name_attr()
                    .unwrap()
                    .to_string()
            })
            .collect();
        // rule1 is the factory-default allow rule
        assert_eq!(names, ["r3", "rule1", "r2", "r1"]);
        let mut r = req("rename", &format!("{x}/entry[@name='r1']"), None);
        r.newname = Some("r2".into());
        assert!(apply_write(&mut d.candidate, &r, "admin", false).is_err());
        // rules carry a uuid that survives an edit
        let rx = XPath::parse(&format!("{x}/entry[@name='r1']")).unwrap();
        let uuid = |d: &Device| {
            let p = rx.select(&d.candidate);
            xpath::get(&d.candidate, &p[0])
                .unwrap()
                .attr("uuid")
                .unwrap()
                .to_string()
        };
        let before = uuid(&d);
        assert_eq!(before.len(), 36);
        apply_write(
            &mut d.candidate,
            &req(
                "edit",
                &format!("{x}/entry[@name='r1']"),
                Some("<entry name='r1'><action>deny</action></entry>"),
            ),
            "admin",
            false,
        )
        .unwrap();
        assert_eq!(uuid(&d), before);
    }
}
