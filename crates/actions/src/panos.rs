//! Actions on a PAN-OS firewall or Panorama, over the XML API.

use panops_client::panos::{PanosClient, WaitOptions};
use panops_panos::catalog::{Catalog, ObjectKind, chunk_entries};
use panops_panos::commit::{Commit, CommitAll, PushTarget};
use panops_panos::config::Where;
use panops_panos::userid::{UidMessage, UidOp};
use panops_panos::xml::{Element, escape};
use panops_panos::xpath::{self, Location, Rulebase};
use panops_panos::{CommitOutcome, Job, JobResult, JobStatus};
use serde_json::{Map, Value, json};

use crate::backend::{
    PanosBackend, Params, opt_bool, opt_str, opt_u64, req_str, str_list, timeout,
};
use crate::catalog::{ActionSpec, ObjectResource, object_resource};
use crate::error::ActionError;
use crate::fields;

/// Largest `set` element of a bulk create (bytes); bigger batches are split.
const BULK_SET_MAX_BYTES: usize = 1_000_000;
/// Largest xpath of a bulk delete (pan-os-python chunks at about 25 000 characters).
const BULK_DELETE_MAX_XPATH: usize = 20_000;
const DEVICE_GROUPS: &str = "/config/devices/entry[@name='localhost.localdomain']/device-group";
const PREDEFINED_APPLICATIONS: &str = "/config/predefined/application";
const VSYS: &str = "/config/devices/entry[@name='localhost.localdomain']/vsys/entry";

pub(crate) async fn execute(
    b: &PanosBackend,
    spec: &ActionSpec,
    p: &Params,
) -> Result<Value, ActionError> {
    let op = spec.operation.as_str();
    if let Some(obj) = object_resource(&spec.resource)
        && matches!(op, "list" | "get" | "create" | "update" | "delete" | "move")
    {
        return object_action(b, obj, op, p).await;
    }
    match (spec.resource.as_str(), op) {
        ("address", "bulkCreate") => bulk_create(b, p).await,
        ("address", "bulkDelete") => bulk_delete(b, p).await,
        ("application", "list") => application_list(b, p).await,
        ("device", "list") => device_list(b, false).await,
        ("device", "listConnected") => device_list(b, true).await,
        ("deviceGroup", "list") => device_group_list(b).await,
        ("deviceGroup", "create") => device_group_create(b, p).await,
        ("userAttribute", "list") => user_attributes(b, p).await,
        ("userGroup", "listMembers") => user_group_members(b, p).await,
        ("config", "commit") => commit(b, p).await,
        ("config", "push") => push(b, p).await,
        ("job", "get") => {
            let id = job_id(p)?;
            Ok(job_json(&b.client.show_job(id).await?))
        }
        ("job", "wait") => {
            let id = job_id(p)?;
            let opts = WaitOptions::default()
                .interval(b.poll_interval)
                .timeout(timeout(p)?);
            Ok(job_json(&b.client.wait_job(id, opts).await?))
        }
        ("userTag", "register") => user_tags(b, p, true).await,
        ("userTag", "unregister") => user_tags(b, p, false).await,
        ("userTag", "unregisterAll") => user_untag_all(b, p).await,
        ("userTag", "list") => {
            let client = client_for(b, p)?;
            let items = registered_users(&client, opt_str(p, "user")).await?;
            Ok(json!({"count": items.len(), "items": items}))
        }
        ("ipTag", "register") => ip_tags(b, p, true).await,
        ("ipTag", "unregister") => ip_tags(b, p, false).await,
        ("ipTag", "list") => ip_tag_list(b, p).await,
        ("session", "list") => session_list(b, p).await,
        ("session", "clear") => session_clear(b, p).await,
        ("systemInfo", "get") => system_info(b, p).await,
        _ => Err(ActionError::unsupported(format!(
            "{} has no PAN-OS implementation",
            spec.qualified()
        ))),
    }
}

// ---- locations --------------------------------------------------------------------------

/// Through Panorama to one firewall when `target` is set (ignored on a firewall, which is
/// its own target).
fn client_for(b: &PanosBackend, p: &Params) -> Result<PanosClient, ActionError> {
    match opt_str(p, "target") {
        Some(serial) if b.panorama => b
            .client
            .with_target(serial)
            .map_err(|e| ActionError::invalid("target", e.to_string())),
        _ => Ok(b.client.clone()),
    }
}

fn location(b: &PanosBackend, p: &Params) -> Location {
    if b.panorama {
        match opt_str(p, "device_group") {
            Some(dg) => Location::device_group(dg),
            None => Location::Shared,
        }
    } else {
        Location::vsys(opt_str(p, "vsys").unwrap_or("vsys1"))
    }
}

fn container(
    b: &PanosBackend,
    obj: &ObjectResource,
    kind: &ObjectKind,
    p: &Params,
) -> Result<String, ActionError> {
    let loc = location(b, p);
    if obj.rule {
        let rulebase = if !b.panorama {
            Rulebase::Local
        } else if opt_str(p, "rulebase") == Some("post") {
            Rulebase::Post
        } else {
            Rulebase::Pre
        };
        Ok(format!(
            "{}/{}",
            loc.rulebase(rulebase)?,
            kind.xpath_suffix.join("/")
        ))
    } else {
        Ok(format!("{}/{}", loc.prefix()?, kind.xpath_suffix.join("/")))
    }
}

fn kind_of(name: &str) -> Result<&'static ObjectKind, ActionError> {
    Catalog::builtin()
        .kind(name)
        .map_err(|e| ActionError::unsupported(e.to_string()))
}

fn where_text(b: &PanosBackend, p: &Params) -> String {
    if b.panorama {
        match opt_str(p, "device_group") {
            Some(dg) => format!("device group {dg}"),
            None => "shared".into(),
        }
    } else {
        format!("vsys {}", opt_str(p, "vsys").unwrap_or("vsys1"))
    }
}

// ---- objects ------------------------------------------------------------------------------

async fn read_entries(
    client: &PanosClient,
    kind: &ObjectKind,
    xpath: &str,
) -> Result<Vec<Value>, ActionError> {
    let resp = client.config_get(xpath).await?;
    if resp.is_empty_result() {
        return Ok(Vec::new());
    }
    let xml = resp.result_xml().unwrap_or("");
    kind.from_xml_list(&format!("<result>{xml}</result>"))
        .map_err(|e| ActionError::decode(e.to_string()))
}

async fn read_entry(
    client: &PanosClient,
    kind: &ObjectKind,
    container: &str,
    name: &str,
) -> Result<Option<Value>, ActionError> {
    let xp = format!("{container}/{}", xpath::entry(name));
    Ok(read_entries(client, kind, &xp).await?.into_iter().next())
}

async fn object_action(
    b: &PanosBackend,
    obj: &ObjectResource,
    op: &str,
    p: &Params,
) -> Result<Value, ActionError> {
    let kind = kind_of(obj.panos_kind)?;
    let container = container(b, obj, kind, p)?;
    // Everything that can be checked without the device is checked before the first request.
    let name = if op == "list" {
        ""
    } else {
        req_str(p, "name")?
    };
    let plan = match op {
        "create" => {
            let desired = fields::params_to_panos(kind, p);
            let xml = kind.to_xml(&desired).map_err(fields::catalog_error)?;
            let desired_norm = kind
                .from_xml(&xml)
                .map_err(|e| ActionError::decode(e.to_string()))?;
            Plan::Create { xml, desired_norm }
        }
        "update" => {
            let changes = fields::params_to_panos(kind, p);
            precheck_changes(kind, &changes)?;
            Plan::Update { changes }
        }
        "move" => Plan::Move(move_position(p)?),
        _ => Plan::Read,
    };
    check_vsys(b, p).await?;
    if matches!(op, "create" | "update" | "move") {
        check_device_group(b, p).await?;
    }
    let client = &b.client;
    if op == "list" {
        let items: Vec<Value> = read_entries(client, kind, &container)
            .await?
            .iter()
            .map(|v| fields::panos_to_scm(kind, v))
            .collect();
        return Ok(json!({"count": items.len(), "items": items}));
    }
    let entry_xpath = format!("{container}/{}", xpath::entry(name));
    let existing = read_entry(client, kind, &container, name).await?;
    let missing = || {
        ActionError::not_found(format!(
            "{} {name:?} does not exist in {}",
            obj.resource,
            where_text(b, p)
        ))
    };
    match (op, plan) {
        ("get", _) => existing
            .map(|v| fields::panos_to_scm(kind, &v))
            .ok_or_else(missing),
        ("delete", _) => {
            existing.ok_or_else(missing)?;
            client.config_delete(&entry_xpath).await?;
            Ok(json!({"status": "deleted", "name": name}))
        }
        ("move", Plan::Move(position)) => {
            existing.ok_or_else(missing)?;
            client.config_move(&entry_xpath, &position).await?;
            Ok(json!({
                "status": "moved",
                "name": name,
                "where": req_str(p, "where")?,
                "destination_rule": opt_str(p, "destination_rule"),
            }))
        }
        ("create", Plan::Create { xml, desired_norm }) => match existing {
            None => {
                client.config_set(&container, &xml).await?;
                Ok(created("created", name, kind, &desired_norm))
            }
            Some(current) if fields::comparable(&current) == fields::comparable(&desired_norm) => {
                Ok(created("unchanged", name, kind, &current))
            }
            Some(current) => {
                if opt_bool(p, "overwrite", false) {
                    client.config_edit(&entry_xpath, &xml).await?;
                    Ok(created("replaced", name, kind, &desired_norm))
                } else {
                    Err(ActionError::Conflict {
                        message: format!(
                            "{} {name:?} exists in {} with different content ({}); set overwrite to replace it",
                            obj.resource,
                            where_text(b, p),
                            diff_keys(
                                &fields::comparable(&current),
                                &fields::comparable(&desired_norm)
                            )
                        ),
                    })
                }
            }
        },
        ("update", Plan::Update { changes }) => {
            let current = existing.ok_or_else(missing)?;
            let merged = merge(kind, &current, &changes);
            let xml = kind.to_xml(&merged).map_err(fields::catalog_error)?;
            let now = kind
                .from_xml(&xml)
                .map_err(|e| ActionError::decode(e.to_string()))?;
            if fields::comparable(&now) == fields::comparable(&current) {
                // Nothing to change: do not dirty the candidate configuration.
                return Ok(created("unchanged", name, kind, &current));
            }
            client.config_edit(&entry_xpath, &xml).await?;
            Ok(created("updated", name, kind, &now))
        }
        (other, _) => Err(ActionError::unsupported(format!(
            "{}.{other} is not an object operation",
            obj.resource
        ))),
    }
}

/// What an object operation will do, worked out before anything is sent.
enum Plan {
    Read,
    Create { xml: String, desired_norm: Value },
    Update { changes: Value },
    Move(Where),
}

/// `where` + `destination_rule` as a move position.
fn move_position(p: &Params) -> Result<Where, ActionError> {
    let dest = opt_str(p, "destination_rule");
    match (req_str(p, "where")?, dest) {
        ("top", _) => Ok(Where::Top),
        ("bottom", _) => Ok(Where::Bottom),
        ("before", Some(d)) => Ok(Where::Before(d.to_string())),
        ("after", Some(d)) => Ok(Where::After(d.to_string())),
        (w @ ("before" | "after"), None) => Err(ActionError::invalid(
            "destination_rule",
            format!("is required when where is {w}"),
        )),
        (w, _) => Err(ActionError::invalid(
            "where",
            format!("{w:?} is not top, bottom, before or after"),
        )),
    }
}

/// Checks the fields of an update on their own (the merge with the current object happens
/// after the read): a bad value or unknown field is refused before anything is sent. A
/// required field or one-of choice left out at the top level is fine, the current object
/// provides it.
fn precheck_changes(kind: &ObjectKind, changes: &Value) -> Result<(), ActionError> {
    use panops_panos::catalog::CatalogError as C;
    match kind.to_xml(changes) {
        Ok(_) => Ok(()),
        Err(C::MissingField { field, .. }) if !field.contains('.') => Ok(()),
        Err(C::OneOf { at, found, .. }) if at.is_empty() && found == "none" => Ok(()),
        Err(e) => Err(fields::catalog_error(e)),
    }
}

/// On a firewall, a vsys other than vsys1 must exist: `set` would otherwise create it on the
/// fly and a read would quietly find nothing. One `@name` read, only when another vsys is named.
/// A write into a device group that does not exist would create the group on the way (the
/// XML API's `set` makes every missing node of the xpath): refuse, naming the groups there
/// are. A new group is made on purpose with `deviceGroup.create`.
async fn check_device_group(b: &PanosBackend, p: &Params) -> Result<(), ActionError> {
    let Some(dg) = opt_str(p, "device_group").filter(|_| b.panorama) else {
        return Ok(());
    };
    let cached = |dg: &str| {
        b.known_device_groups
            .lock()
            .is_ok_and(|known| known.contains(dg))
    };
    if cached(dg) {
        return Ok(());
    }
    // The candidate configuration: a group created earlier in the same workflow counts.
    let resp = b
        .client
        .config_get("/config/devices/entry[@name='localhost.localdomain']/device-group/entry/@name")
        .await?;
    let known: Vec<String> = resp
        .result()
        .map(|r| {
            r.find_all("entry")
                .iter()
                .filter_map(|e| e.attr("name").map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    if let Ok(mut cache) = b.known_device_groups.lock() {
        cache.extend(known.iter().cloned());
    }
    if known.iter().any(|k| k == dg) {
        return Ok(());
    }
    Err(ActionError::invalid(
        "device_group",
        format!(
            "device group {dg:?} does not exist on this Panorama (it has: {}); create it \
             first with deviceGroup.create",
            if known.is_empty() {
                "none".to_string()
            } else {
                known.join(", ")
            }
        ),
    ))
}

async fn check_vsys(b: &PanosBackend, p: &Params) -> Result<(), ActionError> {
    let Some(vsys) = opt_str(p, "vsys").filter(|v| !b.panorama && *v != "vsys1") else {
        return Ok(());
    };
    let resp = b.client.config_get(&format!("{VSYS}/@name")).await?;
    let known: Vec<String> = resp
        .result()
        .map(|r| {
            r.find_all("entry")
                .iter()
                .filter_map(|e| e.attr("name").map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    if known.iter().any(|k| k == vsys) {
        return Ok(());
    }
    Err(ActionError::invalid(
        "vsys",
        format!(
            "{vsys:?} does not exist on this firewall (it has: {})",
            if known.is_empty() {
                "vsys1".to_string()
            } else {
                known.join(", ")
            }
        ),
    ))
}

fn created(status: &str, name: &str, kind: &ObjectKind, panos: &Value) -> Value {
    json!({"status": status, "name": name, "object": fields::panos_to_scm(kind, panos)})
}

fn diff_keys(a: &Value, b: &Value) -> String {
    let (Some(a), Some(b)) = (a.as_object(), b.as_object()) else {
        return "differs".into();
    };
    let mut keys: Vec<String> = a
        .keys()
        .chain(b.keys())
        .filter(|k| a.get(*k) != b.get(*k))
        .map(|k| fields::to_scm_name(k))
        .collect();
    keys.sort();
    keys.dedup();
    format!("differs in {}", keys.join(", "))
}

/// `current` with the top-level fields of `changes`; a member of a one-of group replaces its
/// siblings (an address switching from fqdn to ip_netmask).
fn merge(kind: &ObjectKind, current: &Value, changes: &Value) -> Value {
    let mut out = current.as_object().cloned().unwrap_or_default();
    out.remove(panops_panos::catalog::ATTRIBUTES_KEY);
    if let Some(ch) = changes.as_object() {
        for (k, v) in ch {
            if let Some(group) = kind.field(k).and_then(|f| f.one_of) {
                for f in kind.fields.iter().filter(|f| f.one_of == Some(group)) {
                    out.remove(&f.name);
                }
            }
            out.insert(k.clone(), v.clone());
        }
    }
    Value::Object(out)
}

async fn bulk_create(b: &PanosBackend, p: &Params) -> Result<Value, ActionError> {
    let obj = object_resource("address").ok_or_else(|| ActionError::unsupported("address"))?;
    let kind = kind_of(obj.panos_kind)?;
    let container = container(b, obj, kind, p)?;
    let objects = p
        .get("objects")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if objects.is_empty() {
        return Err(ActionError::invalid(
            "objects",
            "must hold at least one object",
        ));
    }
    let mut entries = Vec::with_capacity(objects.len());
    for (i, o) in objects.iter().enumerate() {
        let map = o.as_object().cloned().unwrap_or_default();
        if let Some(n) = map.get("name").and_then(Value::as_str)
            && n.chars().count() > obj.name_max
        {
            return Err(ActionError::invalid(
                format!("objects[{i}].name"),
                format!(
                    "is {} characters, at most {} allowed",
                    n.chars().count(),
                    obj.name_max
                ),
            ));
        }
        let xml = kind
            .to_xml(&fields::params_to_panos(kind, &map))
            .map_err(|e| match fields::catalog_error(e) {
                ActionError::InvalidParameter { field, message } => {
                    ActionError::invalid(format!("objects[{i}].{field}"), message)
                }
                other => other,
            })?;
        entries.push(xml);
    }
    let chunks = chunk_entries(&entries, BULK_SET_MAX_BYTES);
    check_vsys(b, p).await?;
    for chunk in &chunks {
        b.client.config_set(&container, chunk).await?;
    }
    Ok(json!({"status": "created", "count": entries.len(), "requests": chunks.len()}))
}

async fn bulk_delete(b: &PanosBackend, p: &Params) -> Result<Value, ActionError> {
    let obj = object_resource("address").ok_or_else(|| ActionError::unsupported("address"))?;
    let kind = kind_of(obj.panos_kind)?;
    let container = container(b, obj, kind, p)?;
    let names = str_list(p, "names");
    if names.is_empty() {
        return Err(ActionError::invalid("names", "must hold at least one name"));
    }
    let xpaths = xpath::chunked_entries_or(&container, &names, BULK_DELETE_MAX_XPATH)?;
    check_vsys(b, p).await?;
    for xp in &xpaths {
        b.client.config_delete(xp).await?;
    }
    Ok(json!({"status": "deleted", "count": names.len(), "requests": xpaths.len()}))
}

async fn application_list(b: &PanosBackend, p: &Params) -> Result<Value, ActionError> {
    let kind = kind_of("application")?;
    check_vsys(b, p).await?;
    let loc = location(b, p);
    // The location's own applications, then shared ones (visible everywhere), then the
    // predefined ones the content update ships, each labelled with where it is defined.
    let mut sources = vec![(format!("{}/application", loc.prefix()?), where_text(b, p))];
    if loc != Location::Shared {
        sources.push(("/config/shared/application".to_string(), "shared".into()));
    }
    if opt_bool(p, "predefined", false) {
        sources.push((PREDEFINED_APPLICATIONS.to_string(), "predefined".into()));
    }
    let mut items = Vec::new();
    for (xp, label) in &sources {
        for a in read_entries(&b.client, kind, xp).await? {
            let ports = a
                .pointer("/default/port")
                .cloned()
                .unwrap_or_else(|| json!([]));
            items.push(json!({
                "name": a.get("name"),
                "category": a.get("category"),
                "subcategory": a.get("subcategory"),
                "technology": a.get("technology"),
                "risk": a.get("risk"),
                "default_ports": ports,
                "location": label,
            }));
        }
    }
    Ok(json!({"count": items.len(), "items": items}))
}

// ---- Panorama devices -----------------------------------------------------------------------

fn text(el: &Element, name: &str) -> Value {
    el.child_text(name)
        .map(Value::String)
        .unwrap_or(Value::Null)
}

async fn device_groups(client: &PanosClient) -> Result<Vec<(String, Vec<String>)>, ActionError> {
    let resp = client.op("<show><devicegroups/></show>").await?;
    let mut out = Vec::new();
    if let Some(r) = resp.result() {
        for dg in r.find_all("devicegroups/entry") {
            let serials = dg
                .find_all("devices/entry")
                .iter()
                .filter_map(|d| {
                    d.attr("name")
                        .map(str::to_string)
                        .or_else(|| d.child_text("serial"))
                })
                .collect();
            out.push((dg.attr("name").unwrap_or_default().to_string(), serials));
        }
    }
    Ok(out)
}

async fn device_list(b: &PanosBackend, connected_only: bool) -> Result<Value, ActionError> {
    let cmd = if connected_only {
        "<show><devices><connected/></devices></show>"
    } else {
        "<show><devices><all/></devices></show>"
    };
    let resp = b.client.op(cmd).await?;
    let groups = device_groups(&b.client).await?;
    let mut items = Vec::new();
    if let Some(r) = resp.result() {
        for d in r.find_all("devices/entry") {
            let serial = d
                .child_text("serial")
                .or_else(|| d.attr("name").map(str::to_string))
                .unwrap_or_default();
            let connected = d.child_text("connected").is_some_and(|c| c == "yes");
            if connected_only && !connected {
                continue;
            }
            let dg = groups
                .iter()
                .find(|(_, s)| s.contains(&serial))
                .map(|(n, _)| Value::String(n.clone()))
                .unwrap_or(Value::Null);
            items.push(json!({
                "serial": serial,
                "hostname": text(d, "hostname"),
                "model": text(d, "model"),
                "version": text(d, "sw-version"),
                "sw_version": text(d, "sw-version"),
                "ip_address": text(d, "ip-address"),
                "connected": connected,
                "device_group": dg,
            }));
        }
    }
    let serials: Vec<Value> = items.iter().map(|i| i["serial"].clone()).collect();
    Ok(json!({"count": items.len(), "serials": serials, "items": items}))
}

async fn device_group_list(b: &PanosBackend) -> Result<Value, ActionError> {
    let resp = b.client.config_get(DEVICE_GROUPS).await?;
    let mut items = Vec::new();
    if let Some(r) = resp.result() {
        for dg in r.find_all("device-group/entry") {
            items.push(device_group_json(dg));
        }
    }
    Ok(json!({"count": items.len(), "items": items}))
}

fn device_group_json(dg: &Element) -> Value {
    let devices: Vec<&str> = dg
        .find_all("devices/entry")
        .iter()
        .filter_map(|d| d.attr("name"))
        .collect();
    json!({
        "name": dg.attr("name"),
        "description": text(dg, "description"),
        "devices": devices,
    })
}

async fn device_group_create(b: &PanosBackend, p: &Params) -> Result<Value, ActionError> {
    let name = req_str(p, "name")?;
    panops_panos::validate::name("name", name, 31)?;
    let mut devices = str_list(p, "devices");
    for (i, d) in devices.iter().enumerate() {
        panops_panos::validate::serial("devices", d)
            .map_err(|e| ActionError::invalid(format!("devices[{i}]"), e.to_string()))?;
    }
    devices.sort();
    devices.dedup();
    let description = opt_str(p, "description");
    let mut xml = format!("<entry name=\"{}\">", escape(name));
    if let Some(d) = description {
        xml.push_str(&format!("<description>{}</description>", escape(d)));
    }
    xml.push_str("<devices>");
    for d in &devices {
        xml.push_str(&format!("<entry name=\"{}\"/>", escape(d)));
    }
    xml.push_str("</devices></entry>");
    let entry_xpath = format!("{DEVICE_GROUPS}/{}", xpath::entry(name));
    let resp = b.client.config_get(&entry_xpath).await?;
    let current = resp
        .result()
        .and_then(|r| r.find_all("entry").into_iter().next().cloned());
    let desired = json!({"name": name, "description": description, "devices": devices});
    match current {
        None => {
            b.client.config_set(DEVICE_GROUPS, &xml).await?;
            Ok(json!({"status": "created", "name": name, "object": desired}))
        }
        Some(cur) => {
            let mut now = device_group_json(&cur);
            if let Some(list) = now["devices"].as_array_mut() {
                list.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
            }
            if now == desired {
                Ok(json!({"status": "unchanged", "name": name, "object": now}))
            } else if opt_bool(p, "overwrite", false) {
                b.client.config_edit(&entry_xpath, &xml).await?;
                Ok(json!({"status": "replaced", "name": name, "object": desired}))
            } else {
                Err(ActionError::Conflict {
                    message: format!(
                        "device group {name:?} exists with different devices or description; set overwrite to replace it"
                    ),
                })
            }
        }
    }
}

// ---- User-ID ----------------------------------------------------------------------------------

fn result_text(resp: &panops_panos::Response) -> String {
    resp.result().map(Element::deep_text).unwrap_or_default()
}

async fn user_attributes(b: &PanosBackend, p: &Params) -> Result<Value, ActionError> {
    let client = client_for(b, p)?;
    let resp = client
        .op("<show><user><user-attributes><user>all</user></user-attributes></user></show>")
        .await?;
    let mut items: Vec<Value> = Vec::new();
    for line in result_text(&resp).lines() {
        let trimmed = line.trim();
        if trimmed.is_empty()
            || trimmed.starts_with("Primary:")
            || trimmed.starts_with("Alt User Names:")
            || trimmed.starts_with("Total:")
        {
            continue;
        }
        if let Some(ips) = trimmed.strip_prefix("ip:") {
            if let Some(last) = items.last_mut() {
                last["ips"] = ips
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|s| Value::String(s.to_string()))
                    .collect();
            }
            continue;
        }
        if !line.starts_with(char::is_whitespace) {
            items.push(json!({"user": trimmed, "ips": []}));
        }
    }
    Ok(json!({"count": items.len(), "items": items}))
}

async fn user_group_members(b: &PanosBackend, p: &Params) -> Result<Value, ActionError> {
    let client = client_for(b, p)?;
    let name = req_str(p, "name")?;
    let cmd = format!(
        "<show><user><group><name>{}</name></group></user></show>",
        escape(name)
    );
    let resp = client.op(&cmd).await?;
    let members: Vec<String> = result_text(&resp)
        .lines()
        .filter_map(|l| {
            let l = l.trim();
            let rest = l.strip_prefix('[')?;
            let (_, member) = rest.split_once(']')?;
            Some(member.trim().to_string())
        })
        .filter(|m| !m.is_empty())
        .collect();
    Ok(json!({"group": name, "count": members.len(), "members": members}))
}

fn tag_timeout(p: &Params) -> Result<Option<u32>, ActionError> {
    match opt_u64(p, "timeout")? {
        None | Some(0) => Ok(None),
        Some(t) => u32::try_from(t)
            .map(Some)
            .map_err(|_| ActionError::invalid("timeout", "is too large (max 2592000)")),
    }
}

fn uid_field_error(e: panops_panos::Error, default_field: &str) -> ActionError {
    match e {
        panops_panos::Error::Invalid { field, reason } => {
            let field = match field.as_str() {
                "tag" => "tags".to_string(),
                "user" | "ip" | "timeout" => field,
                _ => default_field.to_string(),
            };
            ActionError::invalid(field, reason)
        }
        other => other.into(),
    }
}

async fn user_tags(b: &PanosBackend, p: &Params, register: bool) -> Result<Value, ActionError> {
    let client = client_for(b, p)?;
    let user = req_str(p, "user")?;
    let tags = str_list(p, "tags");
    if tags.is_empty() {
        return Err(ActionError::invalid("tags", "must hold at least one tag"));
    }
    let timeout = tag_timeout(p)?;
    let mut msg = UidMessage::new();
    for tag in &tags {
        let op = if register {
            UidOp::register_user(user, tag, timeout)
        } else {
            UidOp::unregister_user(user, tag)
        }
        .map_err(|e| uid_field_error(e, "user"))?;
        msg.push(op);
    }
    client.user_id(&msg).await?;
    Ok(json!({
        "status": if register { "registered" } else { "unregistered" },
        "user": user,
        "tags": tags,
        "target": opt_str(p, "target").filter(|_| b.panorama),
    }))
}

fn tags_of(entry: &Element) -> Vec<String> {
    entry
        .find_all("tag/member")
        .iter()
        .map(|m| m.deep_text())
        .filter(|t| !t.is_empty())
        .collect()
}

async fn registered_users(
    client: &PanosClient,
    user: Option<&str>,
) -> Result<Vec<Value>, ActionError> {
    let cmd = match user {
        Some(u) => format!(
            "<show><object><registered-user><user>{}</user></registered-user></object></show>",
            escape(u)
        ),
        None => "<show><object><registered-user><all/></registered-user></object></show>".into(),
    };
    let resp = client.op(&cmd).await?;
    let mut out = Vec::new();
    if let Some(r) = resp.result() {
        for e in r.find_all("entry") {
            let name = e.attr("user").unwrap_or_default();
            if user.is_some_and(|u| u != name) {
                continue;
            }
            out.push(json!({"user": name, "tags": tags_of(e)}));
        }
    }
    Ok(out)
}

async fn user_untag_all(b: &PanosBackend, p: &Params) -> Result<Value, ActionError> {
    let client = client_for(b, p)?;
    let user = req_str(p, "user")?;
    let entries = registered_users(&client, Some(user)).await?;
    let tags: Vec<String> = entries
        .iter()
        .flat_map(|e| e["tags"].as_array().cloned().unwrap_or_default())
        .filter_map(|t| t.as_str().map(str::to_string))
        .collect();
    if !tags.is_empty() {
        let mut msg = UidMessage::new();
        for tag in &tags {
            msg.push(UidOp::unregister_user(user, tag).map_err(|e| uid_field_error(e, "user"))?);
        }
        client.user_id(&msg).await?;
    }
    Ok(json!({"status": "unregistered", "user": user, "tags": tags}))
}

async fn ip_tags(b: &PanosBackend, p: &Params, register: bool) -> Result<Value, ActionError> {
    let client = client_for(b, p)?;
    let ips = str_list(p, "ip");
    let tags = str_list(p, "tags");
    if ips.is_empty() {
        return Err(ActionError::invalid(
            "ip",
            "must hold at least one IP address",
        ));
    }
    if tags.is_empty() {
        return Err(ActionError::invalid("tags", "must hold at least one tag"));
    }
    let timeout = tag_timeout(p)?;
    let mut msg = UidMessage::new();
    for ip in &ips {
        for tag in &tags {
            let op = if register {
                UidOp::register_ip(ip, tag, timeout)
            } else {
                UidOp::unregister_ip(ip, tag)
            }
            .map_err(|e| uid_field_error(e, "ip"))?;
            msg.push(op);
        }
    }
    client.user_id(&msg).await?;
    Ok(json!({
        "status": if register { "registered" } else { "unregistered" },
        "ips": ips,
        "tags": tags,
        "target": opt_str(p, "target").filter(|_| b.panorama),
    }))
}

async fn ip_tag_list(b: &PanosBackend, p: &Params) -> Result<Value, ActionError> {
    let client = client_for(b, p)?;
    let inner = match (opt_str(p, "ip"), opt_str(p, "tag")) {
        (Some(ip), _) => format!("<ip>{}</ip>", escape(ip)),
        (None, Some(tag)) => format!("<tag><entry name=\"{}\"/></tag>", escape(tag)),
        (None, None) => "<all/>".into(),
    };
    let cmd = format!("<show><object><registered-ip>{inner}</registered-ip></object></show>");
    let resp = client.op(&cmd).await?;
    let mut items = Vec::new();
    if let Some(r) = resp.result() {
        for e in r.find_all("entry") {
            let tags = tags_of(e);
            if let Some(t) = opt_str(p, "tag")
                && !tags.iter().any(|x| x == t)
            {
                continue;
            }
            items.push(json!({"ip": e.attr("ip"), "tags": tags}));
        }
    }
    Ok(json!({"count": items.len(), "items": items}))
}

// ---- sessions and system ------------------------------------------------------------------------

/// `(parameter, filter element)` of session filters.
const SESSION_FILTERS: &[(&str, &str)] = &[
    ("source", "source"),
    ("destination", "destination"),
    ("destination_port", "destination-port"),
    ("application", "application"),
    ("protocol", "protocol"),
    ("rule", "rule"),
    ("from", "from"),
    ("to", "to"),
];

fn session_filter(p: &Params) -> Result<String, ActionError> {
    let mut out = String::new();
    for (param, element) in SESSION_FILTERS {
        let value = match p.get(*param) {
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => continue,
        };
        if matches!(*param, "source" | "destination") && value.parse::<std::net::IpAddr>().is_err()
        {
            return Err(ActionError::invalid(
                *param,
                format!("{value:?} is not an IP address"),
            ));
        }
        out.push_str(&format!("<{element}>{}</{element}>", escape(&value)));
    }
    Ok(out)
}

async fn session_list(b: &PanosBackend, p: &Params) -> Result<Value, ActionError> {
    let client = client_for(b, p)?;
    let filter = session_filter(p)?;
    let cmd = if filter.is_empty() {
        "<show><session><all/></session></show>".to_string()
    } else {
        format!("<show><session><all><filter>{filter}</filter></all></session></show>")
    };
    let resp = client.op(&cmd).await?;
    let mut items = Vec::new();
    if let Some(r) = resp.result() {
        for e in r.find_all("entry") {
            let num = |n: &str| {
                e.child_text(n)
                    .and_then(|t| t.parse::<u64>().ok())
                    .map(Value::from)
                    .unwrap_or(Value::Null)
            };
            items.push(json!({
                "id": num("idx"),
                "application": text(e, "application"),
                "source": text(e, "source"),
                "source_port": num("sport"),
                "destination": text(e, "dst"),
                "destination_port": num("dport"),
                "protocol": num("proto"),
                "from": text(e, "from"),
                "to": text(e, "to"),
                "rule": text(e, "security-rule"),
                "state": text(e, "state"),
                "start_time": text(e, "start-time"),
                "bytes": num("total-byte-count"),
            }));
        }
    }
    Ok(json!({"count": items.len(), "items": items}))
}

async fn session_clear(b: &PanosBackend, p: &Params) -> Result<Value, ActionError> {
    let client = client_for(b, p)?;
    if let Some(id) = opt_u64(p, "id")? {
        let resp = client
            .op(&format!("<clear><session><id>{id}</id></session></clear>"))
            .await?;
        return Ok(json!({"status": "cleared", "cleared": 1, "message": result_text(&resp)}));
    }
    let filter = session_filter(p)?;
    if filter.is_empty() && !opt_bool(p, "all", false) {
        return Err(ActionError::invalid(
            "all",
            "no id or filter given: set all to true to clear every session",
        ));
    }
    let cmd = if filter.is_empty() {
        "<clear><session><all/></session></clear>".to_string()
    } else {
        format!("<clear><session><all><filter>{filter}</filter></all></session></clear>")
    };
    let resp = client.op(&cmd).await?;
    let message = result_text(&resp);
    let cleared = message
        .split_whitespace()
        .next()
        .and_then(|n| n.parse::<u64>().ok());
    Ok(json!({"status": "cleared", "cleared": cleared, "message": message}))
}

async fn system_info(b: &PanosBackend, p: &Params) -> Result<Value, ActionError> {
    let client = client_for(b, p)?;
    let resp = client.op("<show><system><info/></system></show>").await?;
    let system = resp
        .result()
        .and_then(|r| r.child("system"))
        .ok_or_else(|| ActionError::decode("show system info has no <system>"))?;
    let mut out = Map::new();
    for child in system.elements() {
        if child.elements().next().is_none() {
            out.insert(
                fields::to_scm_name(&child.name),
                Value::String(child.deep_text()),
            );
        }
    }
    // The name the issue and the device list use; sw_version stays for PAN-OS users.
    if let Some(v) = out.get("sw_version").cloned() {
        out.insert("version".into(), v);
    }
    Ok(Value::Object(out))
}

// ---- commit, push, jobs -------------------------------------------------------------------------

fn job_id(p: &Params) -> Result<u64, ActionError> {
    opt_u64(p, "id")?.ok_or_else(|| ActionError::invalid("id", "is required"))
}

fn status_text(s: &JobStatus) -> String {
    match s {
        JobStatus::Pending => "PEND".into(),
        JobStatus::Active => "ACT".into(),
        JobStatus::Finished => "FIN".into(),
        JobStatus::Other(o) => o.clone(),
    }
}

fn result_word(r: &JobResult) -> String {
    match r {
        JobResult::Pending => "PEND".into(),
        JobResult::Ok => "OK".into(),
        JobResult::Fail => "FAIL".into(),
        JobResult::Other(o) => o.clone(),
    }
}

/// The stable JSON shape of a PAN-OS job.
pub(crate) fn job_json(job: &Job) -> Value {
    let devices: Vec<Value> = job
        .devices
        .iter()
        .map(|d| {
            json!({
                "serial": d.serial,
                "name": d.name,
                "status": d.status,
                "result": result_word(&d.result),
                "details": d.details,
            })
        })
        .collect();
    json!({
        "job_id": job.id,
        "type": job.kind,
        "status": status_text(&job.status),
        "result": result_word(&job.result),
        "progress": job.progress,
        "details": job.details,
        "warnings": job.warnings,
        "devices": devices,
    })
}

async fn finish(
    b: &PanosBackend,
    outcome: CommitOutcome,
    p: &Params,
) -> Result<Value, ActionError> {
    match outcome {
        CommitOutcome::Enqueued { job_id, .. } => {
            if opt_bool(p, "wait", true) {
                let opts = WaitOptions::default()
                    .interval(b.poll_interval)
                    .timeout(timeout(p)?);
                let job = b.client.wait_job(job_id, opts).await?;
                let mut v = job_json(&job);
                v["outcome"] = json!("done");
                Ok(v)
            } else {
                Ok(json!({"job_id": job_id, "outcome": "enqueued"}))
            }
        }
        CommitOutcome::NoChanges { messages } => Ok(json!({
            "job_id": null, "outcome": "no_changes", "details": messages,
        })),
        CommitOutcome::Done { messages } => Ok(json!({
            "job_id": null, "outcome": "done", "details": messages,
        })),
    }
}

async fn commit(b: &PanosBackend, p: &Params) -> Result<Value, ActionError> {
    let commit = Commit {
        description: opt_str(p, "description").map(str::to_string),
        ..Default::default()
    };
    let outcome = b.client.commit(&commit).await?;
    finish(b, outcome, p).await
}

async fn push(b: &PanosBackend, p: &Params) -> Result<Value, ActionError> {
    let devices = str_list(p, "devices");
    let description = opt_str(p, "description").map(str::to_string);
    let given: Vec<(&str, &str)> = ["device_group", "template", "template_stack"]
        .into_iter()
        .filter_map(|k| opt_str(p, k).map(|v| (k, v)))
        .collect();
    let (target, name) = match given.as_slice() {
        [("device_group", dg)] => (PushTarget::DeviceGroup, *dg),
        [("template", t)] => (PushTarget::Template, *t),
        [("template_stack", t)] => (PushTarget::TemplateStack, *t),
        [] => {
            return Err(ActionError::invalid(
                "device_group",
                "is required on Panorama (or give template or template_stack)",
            ));
        }
        [(first, _), (second, _), ..] => {
            return Err(ActionError::invalid(
                *second,
                format!(
                    "give one of device_group, template or template_stack, not both {first} and {second}"
                ),
            ));
        }
        [(other, _)] => {
            return Err(ActionError::invalid(*other, "is not a push scope"));
        }
    };
    // Serials and include_template on a template push are refused by `CommitAll::cmd`,
    // before anything is sent, with the parameter's name.
    let push = CommitAll {
        devices,
        description,
        include_template: p.get("include_template").and_then(Value::as_bool),
        ..CommitAll::new(target, name)
    };
    let outcome = b.client.commit_all(&push).await?;
    finish(b, outcome, p).await
}
