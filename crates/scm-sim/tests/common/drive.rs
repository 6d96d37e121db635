//! The every-operation driver shared by `every_operation.rs` and `conformance.rs`: for each
//! resource of a family, a synthesised minimal request (from the catalog's own example
//! generator) for every operation, in the order create, push, list, get, update, actions,
//! delete, against one simulator.
//!
//! Objects an operation addresses exist first: the resource's own create makes them; a push
//! makes the job that `job.get` reads; objects the API cannot create (onboarded devices,
//! snippet categories, trusts, ...) are put in place through the simulator's test handle, as
//! a real tenant would already hold them. After a delete the create is replayed, so that the
//! next delete (`delete` then `deleteByName`) has an object again.

use panops_scm::{Catalog, Family, HttpRequest, Method, Operation, SchemaKind};
use panops_scm_sim::RunningScmSim;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

use super::Api;

/// One request the driver sent, with its answer.
pub struct Exchange<'c> {
    /// The catalog operation.
    pub op: &'c Operation,
    /// The parameters it was built from.
    pub params: Value,
    /// The request.
    pub request: HttpRequest,
    /// Response status.
    pub status: u16,
    /// Response body (`null` when empty).
    pub body: Value,
}

/// What [`drive`] did: every exchange, and the operations it could not build a request for.
pub struct Driven<'c> {
    pub exchanges: Vec<Exchange<'c>>,
    pub unsynthesisable: Vec<String>,
}

fn order(op: &Operation) -> u8 {
    match op.operation.as_str() {
        "create" => 0,
        "push" => 1,
        "list" => 2,
        "get" => 3,
        "update" => 4,
        "delete" => 9,
        n if n.starts_with("delete") => 9,
        _ => 5,
    }
}

/// Required query parameters that key a collection-level operation (`name`, `host_id`, ...).
fn key_params(op: &Operation) -> impl Iterator<Item = &panops_scm::Parameter> {
    op.query_params().filter(|p| {
        p.required
            && !matches!(
                p.name.as_str(),
                "folder" | "snippet" | "device" | "position"
            )
    })
}

/// The path stem the simulator stores a resource under.
fn stem(op: &Operation) -> String {
    panops_scm_sim::parse_path(&op.full_path_template())
        .map(|s| s.stem)
        .unwrap_or_default()
}

/// Whether the resource's own `create` makes objects that its other operations can address.
fn creates_objects(ops: &[&Operation]) -> bool {
    ops.iter().any(|o| {
        o.operation == "create"
            && o.method == Method::Post
            && o.body
                .as_ref()
                .is_none_or(|b| b.schema.kind != SchemaKind::Array)
    })
}

/// An object for resources the API cannot create, with the fields their operations key on.
fn seed(api_ops: &[&Operation], catalog: &Catalog) -> Map<String, Value> {
    let mut body = Map::new();
    // Start from a valid update body when there is one: the object looks like the real thing.
    if let Some(update) = api_ops.iter().find(|o| o.method == Method::Put)
        && let Some(b) = &update.body
        && let Ok(Value::Object(m)) = catalog.example_value(&b.schema, "")
    {
        body = m;
    }
    body.entry("name").or_insert(json!("seeded"));
    // Objects the API reports in a folder (onboarded devices) are seeded in one, as a real
    // tenant holds them.
    if api_ops
        .iter()
        .filter_map(|o| o.object_schema())
        .any(|s| s.required.iter().any(|r| r == "folder"))
    {
        body.entry("folder").or_insert(json!("Shared"));
    }
    for op in api_ops {
        for p in key_params(op) {
            // A value the parameter accepts (one item of a repeated one).
            let schema = match (&p.schema.kind, &p.schema.items) {
                (SchemaKind::Array, Some(items)) => items.as_ref(),
                _ => &p.schema,
            };
            let value = catalog
                .example_value(schema, &p.name)
                .unwrap_or_else(|e| panic!("{}: {e}", op.qualified_name()));
            body.entry(p.name.clone()).or_insert(value);
        }
    }
    body
}

/// Sends every operation of `family` once (see the module docs).
pub async fn drive<'c>(
    sim: &RunningScmSim,
    api: &Api,
    catalog: &'c Catalog,
    family: Family,
) -> Driven<'c> {
    let mut by_resource: BTreeMap<&str, Vec<&Operation>> = BTreeMap::new();
    for op in catalog.operations_in(family) {
        by_resource
            .entry(op.resource.as_str())
            .or_default()
            .push(op);
    }
    let mut exchanges = Vec::new();
    let mut unsynthesisable = Vec::new();
    // The id of the last push job (`configVersion` sorts before `job`).
    let mut last_job: Option<String> = None;
    for (resource, mut ops) in by_resource {
        ops.sort_by_key(|o| order(o));
        let mut created: Option<Value> = None;
        // The create request, replayed after a delete so that the next delete (`delete`
        // then `deleteByName`) has an object again.
        let mut create_request: Option<(String, String, Option<Value>)> = None;
        let addresses_objects = ops
            .iter()
            .any(|o| o.path_params().any(|p| p.name == "id") || key_params(o).next().is_some());
        if resource == "job" {
            created = last_job.as_ref().map(|id| json!({"id": id}));
        } else if addresses_objects && !creates_objects(&ops) {
            let seeded = sim
                .handle()
                .insert_object(&stem(ops[0]), seed(&ops, catalog))
                .unwrap_or_else(|e| panic!("{resource}: cannot seed: {e:?}"));
            created = Some(seeded);
        }
        for op in ops {
            let mut params = match catalog.example_params(op) {
                Ok(p) => p,
                Err(e) => {
                    unsynthesisable.push(format!("{}: {e}", op.qualified_name()));
                    continue;
                }
            };
            let Some(map) = params.as_object_mut() else {
                unsynthesisable.push(format!(
                    "{}: parameters are not an object",
                    op.qualified_name()
                ));
                continue;
            };
            // Synthesised containers are placeholder names; use a folder that exists.
            for key in ["folder", "parent"] {
                if map.get(key).and_then(Value::as_str) == Some("example") {
                    map.insert(key.into(), Value::String("Shared".into()));
                }
            }
            let has_id = op.path_params().any(|p| p.name == "id");
            if let Some(obj) = &created {
                if has_id && let Some(id) = obj.get("id") {
                    // Path ids are text, whatever the object's `id` type (integers in setup).
                    let text = id
                        .as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| id.to_string());
                    map.insert("id".into(), Value::String(text));
                }
                // Collection-level operations keyed by a query parameter address the object
                // above by its own value; an optional `name` on a collection-level update or
                // delete names it too.
                let optional_name = (!has_id && matches!(op.method, Method::Put | Method::Delete))
                    .then(|| op.param("name"))
                    .flatten()
                    .filter(|p| !p.required && p.location == panops_scm::ParamLocation::Query);
                if op.operation != "create" {
                    for p in key_params(op).chain(optional_name) {
                        // `trustids` lists object ids; other keys are fields of the object.
                        let field = if p.name.ends_with("ids") && obj.get(&p.name).is_none() {
                            "id"
                        } else {
                            p.name.as_str()
                        };
                        let Some(v) = obj.get(field).filter(|v| v.is_string()) else {
                            continue;
                        };
                        let v = if p.schema.kind == SchemaKind::Array {
                            Value::Array(vec![v.clone()])
                        } else {
                            v.clone()
                        };
                        map.insert(p.name.clone(), v);
                    }
                }
            }
            if op.resource == "configVersion" {
                if op.operation == "push" {
                    map.insert("folders".into(), json!(["Mobile Users"]));
                    map.remove("folder");
                }
                // Version 1 exists once the push above has run.
                match map.get("version") {
                    Some(Value::String(_)) => {
                        map.insert("version".into(), json!("1"));
                    }
                    Some(_) => {
                        map.insert("version".into(), json!(1));
                    }
                    None if op.operation == "load" => {
                        map.insert("version".into(), json!(1));
                    }
                    None => {}
                }
            }
            let req = match catalog.build_request_for(op, &params) {
                Ok(r) => r,
                Err(e) => {
                    unsynthesisable.push(format!("{}: build: {e}", op.qualified_name()));
                    continue;
                }
            };
            let (status, body) = api
                .call(req.method.as_str(), &req.path_and_query(), req.body.clone())
                .await;
            if op.operation == "push"
                && let Some(id) = body.get("job_id").and_then(Value::as_str)
            {
                last_job = Some(id.to_string());
            }
            if op.operation == "create"
                && op.method == Method::Post
                && body
                    .get("id")
                    .is_some_and(|id| id.is_string() || id.is_u64())
            {
                created = Some(body.clone());
                create_request = Some((
                    req.method.as_str().to_string(),
                    req.path_and_query(),
                    req.body.clone(),
                ));
            }
            let deleted = op.operation.starts_with("delete") && (200..300).contains(&status);
            exchanges.push(Exchange {
                op,
                params,
                request: req,
                status,
                body,
            });
            if deleted && let Some((method, path, body)) = &create_request {
                created = Some(api.ok(method, path, body.clone()).await);
            }
        }
    }
    Driven {
        exchanges,
        unsynthesisable,
    }
}
