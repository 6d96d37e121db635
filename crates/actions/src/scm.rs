//! Actions on a Strata Cloud Manager tenant: object names are resolved to ids, creates are
//! idempotent as on PAN-OS, pushes and jobs use the client's job polling.

use panops_client::scm::{JobStatus, ScmAction};
use serde_json::{Map, Value, json};

use crate::backend::{Params, ScmBackend, opt_bool, opt_str, req_str, str_list, timeout};
use crate::catalog::{ActionSpec, ObjectResource, object_resource};
use crate::error::ActionError;
use crate::fields::{self, SPECIAL_VALUES};

/// Keys SCM adds to objects (never compared, never sent back in a body).
const META_KEYS: &[&str] = &[
    "id",
    "folder",
    "snippet",
    "device",
    "position",
    "created_in",
    "last_modified_in",
    "override_loc",
    "override_type",
];

pub(crate) async fn execute(
    b: &ScmBackend,
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
        ("application", "list") => {
            let location = format!("folder {}", folder(b, p));
            let items: Vec<Value> = b
                .client
                .list_all("application", json!({"folder": folder(b, p)}))
                .await?
                .iter()
                .map(|a| {
                    json!({
                        "name": a.get("name"),
                        "category": a.get("category"),
                        "subcategory": a.get("subcategory"),
                        "technology": a.get("technology"),
                        "risk": a.get("risk"),
                        "default_ports": a.pointer("/default/port").cloned().unwrap_or_else(|| json!([])),
                        "location": location,
                    })
                })
                .collect();
            Ok(json!({"count": items.len(), "items": items}))
        }
        ("config", "push") => {
            let mut folders = str_list(p, "folders");
            if folders.is_empty() {
                folders.push(folder(b, p));
            }
            let job_id = b.client.push(&folders, opt_str(p, "description")).await?;
            if opt_bool(p, "wait", true) {
                let mut v = wait(b, &job_id, p).await?;
                v["folders"] = json!(folders);
                Ok(v)
            } else {
                Ok(json!({"job_id": job_id, "outcome": "enqueued", "folders": folders}))
            }
        }
        ("job", "get") => {
            let id = job_id(p)?;
            let resp = b.client.call(None, "job", "get", json!({"id": id})).await?;
            let status = JobStatus::from_response(&id, &resp)
                .ok_or_else(|| ActionError::decode(format!("job {id}: the answer is not a job")))?;
            Ok(job_json(&status))
        }
        ("job", "wait") => {
            let id = job_id(p)?;
            wait(b, &id, p).await
        }
        ("address", "bulkCreate") => bulk_create(b, p).await,
        ("address", "bulkDelete") => bulk_delete(b, p).await,
        _ => Err(crate::backend::unsupported(
            spec,
            crate::catalog::BackendKind::Scm,
        )),
    }
}

fn folder(b: &ScmBackend, p: &Params) -> String {
    opt_str(p, "folder").unwrap_or(&b.folder).to_string()
}

fn job_id(p: &Params) -> Result<String, ActionError> {
    match p.get("id") {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        Some(Value::Number(n)) => Ok(n.to_string()),
        _ => Err(ActionError::invalid("id", "is required")),
    }
}

/// The stable JSON shape of an SCM job (the PAN-OS one's names, where SCM has them).
pub(crate) fn job_json(s: &JobStatus) -> Value {
    json!({
        "job_id": s.id,
        "status": s.status,
        "result": s.result,
        "progress": s.percent,
        "details": s.summary.iter().collect::<Vec<_>>(),
    })
}

async fn wait(b: &ScmBackend, id: &str, p: &Params) -> Result<Value, ActionError> {
    let status = b
        .client
        .wait_job(id, b.poll_interval, timeout(p)?, |_| {})
        .await?;
    let mut v = job_json(&status);
    v["outcome"] = json!("done");
    Ok(v)
}

/// Location parameters of a list / create call.
fn scope(b: &ScmBackend, obj: &ObjectResource, p: &Params) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("folder".into(), json!(folder(b, p)));
    if obj.rule {
        m.insert(
            "position".into(),
            json!(opt_str(p, "rulebase").unwrap_or("pre")),
        );
    }
    m
}

fn content(v: &Value) -> Map<String, Value> {
    v.as_object()
        .map(|m| {
            m.iter()
                .filter(|(k, _)| !META_KEYS.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .unwrap_or_default()
}

/// SCM spells some values differently from PAN-OS (tag colours): accept the PAN-OS spelling.
fn scm_body(obj: &ObjectResource, p: &Params) -> Map<String, Value> {
    let mut body = fields::params_to_scm(p);
    for (k, v) in body.iter_mut() {
        if let Value::String(s) = v
            && let Some((_, _, scm, _)) = SPECIAL_VALUES.iter().find(|(kind, f, _, panos)| {
                *kind == obj.panos_kind && *f == k.as_str() && *panos == s.as_str()
            })
        {
            *v = json!(scm);
        }
    }
    body
}

async fn find(
    b: &ScmBackend,
    obj: &ObjectResource,
    resource: &str,
    p: &Params,
    name: &str,
) -> Result<Option<Value>, ActionError> {
    let mut params = scope(b, obj, p);
    params.insert("name".into(), json!(name));
    let items = b.client.list_all(resource, Value::Object(params)).await?;
    Ok(items
        .into_iter()
        .find(|o| o.get("name").and_then(Value::as_str) == Some(name)))
}

fn id_of(v: &Value) -> Result<String, ActionError> {
    v.get("id")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| ActionError::decode("the SCM object has no id"))
}

async fn object_action(
    b: &ScmBackend,
    obj: &ObjectResource,
    op: &str,
    p: &Params,
) -> Result<Value, ActionError> {
    let resource = obj.scm_resource.ok_or_else(|| {
        ActionError::unsupported(format!("{} is not available on SCM", obj.resource))
    })?;
    if op == "list" {
        let items = b
            .client
            .list_all(resource, Value::Object(scope(b, obj, p)))
            .await?;
        return Ok(json!({"count": items.len(), "items": items}));
    }
    let name = req_str(p, "name")?;
    if op == "move" {
        // Checked before the first request, as on PAN-OS.
        let place = req_str(p, "where")?;
        if matches!(place, "before" | "after") && opt_str(p, "destination_rule").is_none() {
            return Err(ActionError::invalid(
                "destination_rule",
                format!("is required when where is {place}"),
            ));
        }
    }
    let existing = find(b, obj, resource, p, name).await?;
    let missing = || {
        ActionError::not_found(format!(
            "{} {name:?} does not exist in folder {}",
            obj.resource,
            folder(b, p)
        ))
    };
    match op {
        "get" => existing.ok_or_else(missing),
        "delete" => {
            let id = id_of(&existing.ok_or_else(missing)?)?;
            b.client
                .call(None, resource, "delete", json!({"id": id}))
                .await?;
            Ok(json!({"status": "deleted", "name": name}))
        }
        "move" => {
            let id = id_of(&existing.ok_or_else(missing)?)?;
            let place = req_str(p, "where")?;
            let mut params = json!({
                "id": id,
                "folder": folder(b, p),
                "destination": place,
                "rulebase": opt_str(p, "rulebase").unwrap_or("pre"),
            });
            if matches!(place, "before" | "after") {
                let dest = opt_str(p, "destination_rule").ok_or_else(|| {
                    ActionError::invalid(
                        "destination_rule",
                        format!("is required when where is {place}"),
                    )
                })?;
                let other = find(b, obj, resource, p, dest).await?.ok_or_else(|| {
                    ActionError::not_found(format!("destination rule {dest:?} does not exist"))
                })?;
                params["destination_rule"] = json!(id_of(&other)?);
            }
            b.client.call(None, resource, "move", params).await?;
            Ok(
                json!({"status": "moved", "name": name, "where": place, "destination_rule": opt_str(p, "destination_rule")}),
            )
        }
        "create" => {
            let body = scm_body(obj, p);
            match existing {
                None => {
                    let mut params = scope(b, obj, p);
                    params.extend(body);
                    let created = b
                        .client
                        .call(None, resource, "create", Value::Object(params))
                        .await?;
                    Ok(json!({"status": "created", "name": name, "object": created}))
                }
                Some(current) if content(&current) == body => {
                    Ok(json!({"status": "unchanged", "name": name, "object": current}))
                }
                Some(current) => {
                    if opt_bool(p, "overwrite", false) {
                        let mut params = body;
                        params.insert("id".into(), json!(id_of(&current)?));
                        let replaced = b
                            .client
                            .call(None, resource, "update", Value::Object(params))
                            .await?;
                        Ok(json!({"status": "replaced", "name": name, "object": replaced}))
                    } else {
                        Err(ActionError::Conflict {
                            message: format!(
                                "{} {name:?} exists in folder {} with different content; set overwrite to replace it",
                                obj.resource,
                                folder(b, p)
                            ),
                        })
                    }
                }
            }
        }
        "update" => {
            let current = existing.ok_or_else(missing)?;
            let mut merged = content(&current);
            let before = merged.clone();
            merged.extend(scm_body(obj, p));
            if merged == before {
                return Ok(json!({"status": "unchanged", "name": name, "object": current}));
            }
            merged.insert("id".into(), json!(id_of(&current)?));
            let updated = b
                .client
                .call(None, resource, "update", Value::Object(merged))
                .await?;
            Ok(json!({"status": "updated", "name": name, "object": updated}))
        }
        other => Err(ActionError::unsupported(format!(
            "{}.{other} is not an object operation",
            obj.resource
        ))),
    }
}

async fn bulk_create(b: &ScmBackend, p: &Params) -> Result<Value, ActionError> {
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
    let folder = folder(b, p);
    let actions: Vec<ScmAction> = objects
        .iter()
        .map(|o| {
            let mut params = o.as_object().cloned().unwrap_or_default();
            params.insert("folder".into(), json!(folder));
            ScmAction::new("address", "create", Value::Object(params))
        })
        .collect();
    let results = b.client.bulk(actions, b.concurrency).await;
    report_bulk("created", results)
}

fn report_bulk(
    status: &str,
    results: Vec<Result<Value, panops_client::scm::ScmError>>,
) -> Result<Value, ActionError> {
    let total = results.len();
    let mut failures = Vec::new();
    for (i, r) in results.into_iter().enumerate() {
        if let Err(e) = r {
            failures.push((i, ActionError::from(e)));
        }
    }
    match failures.first() {
        None => Ok(json!({"status": status, "count": total, "requests": total})),
        Some((i, first)) => Err(match first {
            ActionError::InvalidParameter { field, message } => {
                ActionError::invalid(format!("objects[{i}].{field}"), message.clone())
            }
            other => ActionError::device(format!(
                "{} of {total} failed ({} succeeded); first, item {i}: {}",
                failures.len(),
                total - failures.len(),
                other.message()
            )),
        }),
    }
}

async fn bulk_delete(b: &ScmBackend, p: &Params) -> Result<Value, ActionError> {
    let names = str_list(p, "names");
    if names.is_empty() {
        return Err(ActionError::invalid("names", "must hold at least one name"));
    }
    let folder = folder(b, p);
    let all = b
        .client
        .list_all("address", json!({"folder": folder}))
        .await?;
    let mut actions = Vec::new();
    let mut missing = Vec::new();
    for n in &names {
        match all
            .iter()
            .find(|o| o.get("name").and_then(Value::as_str) == Some(n.as_str()))
            .and_then(|o| o.get("id").and_then(Value::as_str))
        {
            Some(id) => actions.push(ScmAction::new("address", "delete", json!({"id": id}))),
            None => missing.push(n.clone()),
        }
    }
    let results = b.client.bulk(actions, b.concurrency).await;
    let mut v = report_bulk("deleted", results)?;
    v["missing"] = json!(missing);
    Ok(v)
}
