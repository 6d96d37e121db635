//! The generator: official OpenAPI 3 YAML specs → [`Operation`]s.
//!
//! # Naming rule (deterministic, from the path only)
//!
//! 1. The path is taken relative to the family's base (`/sse/config/v1` for sse-v1; the
//!    "Current" server path such as `/config/objects/v1` for v2). A v2 file whose legacy server
//!    is `/sse/config/v1/<ns>` (only `mobile-agent`) is prefixed with `<ns>/`, so both families
//!    name the same thing alike.
//! 2. The *stem* is the first literal segment, or the first two when the first is the
//!    namespace `mobile-agent`. The resource key is the stem in camelCase (`-` and `_` split
//!    words) with the last word made singular (`ies`→`y`, `sses`/`xes`/`ches`/`shes`→drop `es`,
//!    otherwise drop one trailing `s`; words ending in `ss`/`us`/`is` and the word `settings`
//!    are kept): `address-groups`→`addressGroup`, `mobile-agent/agent-profiles`→
//!    `mobileAgentAgentProfile`, `bgp-routing`→`bgpRouting`.
//! 3. The operation name is:
//!    - the `:verb` suffix in camelCase when there is one (`move`, `push`, `load`, `import`,
//!      `generatePpk`, ...);
//!    - for a further literal segment (`/config-versions/running`): the method word (`get`,
//!      `create`, `update`, `delete`) + the segment in PascalCase (`getRunning`), except the
//!      documented override `DELETE /config-versions/candidate` → `rollbackCandidate` (it
//!      discards the candidate configuration);
//!    - on an item path (`/{id}`, `/{version}`): `get`, `update`, `delete` (`create` for POST);
//!    - on the collection path: POST `create`, PUT `update`, DELETE `delete`, GET `list` when the
//!      200 response is a list (an array, an object with an array `data`, or the list
//!      envelope `{data, limit, offset, total}`) or declares no schema, else `get` (singletons
//!      such as v2 `bgpRouting.get`; the sse-v1 spec wraps the same singleton in a list
//!      envelope, so there it is `bgpRouting.list`).
//!    - When a collection-level and an item-level operation would share a name
//!      (`PUT /advanced-device-objects` and `PUT /advanced-device-objects/{id}`), the
//!      collection-level one gets `By<FirstRequiredQueryParam>` (`updateByName`), or
//!      `Collection` when it has none.
//!
//! On update (PUT) bodies the v2 container group (`folder` | `snippet` | `device`) is "at most
//! one", not "exactly one": the object already lives somewhere.
//!
//! Any remaining collision is an error ([`CatalogError::Duplicate`]), so a newer spec can never
//! silently shadow an operation.

use crate::error::CatalogError;
use crate::model::*;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// Namespace segments that are part of the resource stem.
const NAMESPACES: &[&str] = &["mobile-agent"];

/// `(stem, method, relative path after the stem, operation name)` overrides.
const OPERATION_OVERRIDES: &[(&str, Method, &str, &str)] = &[(
    "config-versions",
    Method::Delete,
    "/candidate",
    "rollbackCandidate",
)];

/// Maximum schema nesting depth followed (guards against recursive `$ref`s).
const MAX_DEPTH: usize = 64;

/// Options for [`generate_from_dir`].
#[derive(Debug, Clone, Copy, Default)]
pub struct GenerateOptions {
    /// Keep vendor descriptions and summaries (for run-time use; never for the committed
    /// catalog).
    pub descriptions: bool,
    /// Keep the JSON schemas of error responses (4xx, 5xx, `default`) too, not only of 2xx
    /// ones: conformance tests check error bodies with them. The committed catalog has none.
    pub error_schemas: bool,
}

/// Parses every `*.yaml`/`*.yml` in `<dir>/sse-v1/` and `<dir>/v2/` into operations.
pub fn generate_from_dir(
    dir: &Path,
    options: GenerateOptions,
) -> Result<Vec<Operation>, CatalogError> {
    let mut out = Vec::new();
    let mut found = false;
    for family in Family::ALL {
        let sub = dir.join(family.spec_subdir());
        if !sub.is_dir() {
            continue;
        }
        for file in yaml_files(&sub)? {
            found = true;
            let (name, doc) = read_doc(&file)?;
            out.extend(operations_from_doc(family, &name, &doc, options)?);
        }
    }
    if !found {
        // No family sub-directories: take the YAML files of `dir` itself and tell the family
        // from the content (files that are neither, such as AuthService.yaml, are skipped).
        for file in yaml_files(dir)? {
            let (name, doc) = read_doc(&file)?;
            if let Some(family) = classify(&doc) {
                found = true;
                out.extend(operations_from_doc(family, &name, &doc, options)?);
            }
        }
    }
    if !found {
        return Err(CatalogError::NoSpecs(dir.to_path_buf()));
    }
    resolve_collisions(&mut out);
    Ok(out)
}

fn yaml_files(dir: &Path) -> Result<Vec<PathBuf>, CatalogError> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|source| CatalogError::Io {
            path: dir.to_path_buf(),
            source,
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file()
                && matches!(
                    p.extension().and_then(|e| e.to_str()),
                    Some("yaml") | Some("yml")
                )
        })
        .collect();
    files.sort();
    Ok(files)
}

fn read_doc(file: &Path) -> Result<(String, Value), CatalogError> {
    let text = std::fs::read_to_string(file).map_err(|source| CatalogError::Io {
        path: file.to_path_buf(),
        source,
    })?;
    let name = file
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("spec.yaml")
        .to_string();
    let doc = parse_yaml(&text).map_err(|source| CatalogError::Yaml {
        path: file.to_path_buf(),
        source,
    })?;
    Ok((name, doc))
}

/// Which family a spec document belongs to: sse-v1 when its paths carry `/sse/config/v1`
/// under a bare-host server, v2 when its first server path is `/config/...`.
fn classify(doc: &Value) -> Option<Family> {
    let paths = doc.get("paths")?.as_object()?;
    let server = doc
        .get("servers")
        .and_then(Value::as_array)
        .and_then(|s| s.first())
        .and_then(|s| s.get("url"))
        .and_then(Value::as_str)
        .map(url_path)
        .unwrap_or_default();
    if server.is_empty() && paths.keys().any(|p| p.starts_with("/sse/config/v1")) {
        Some(Family::SseV1)
    } else if server.starts_with("/config/") {
        Some(Family::V2)
    } else {
        None
    }
}

/// Parses YAML into JSON values, turning non-string keys (`200:`) into strings.
pub(crate) fn parse_yaml(text: &str) -> Result<Value, serde_yaml::Error> {
    let y: serde_yaml::Value = serde_yaml::from_str(text)?;
    Ok(yaml_to_json(y))
}

fn yaml_to_json(y: serde_yaml::Value) -> Value {
    use serde_yaml::Value as Y;
    match y {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                n.as_f64()
                    .and_then(serde_json::Number::from_f64)
                    .map(Value::Number)
                    .unwrap_or(Value::Null)
            }
        }
        Y::String(s) => Value::String(s),
        Y::Sequence(seq) => Value::Array(seq.into_iter().map(yaml_to_json).collect()),
        Y::Mapping(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                let key = match k {
                    Y::String(s) => s,
                    Y::Number(n) => n.to_string(),
                    Y::Bool(b) => b.to_string(),
                    other => serde_yaml::to_string(&other)
                        .unwrap_or_default()
                        .trim()
                        .to_string(),
                };
                out.insert(key, yaml_to_json(v));
            }
            Value::Object(out)
        }
        Y::Tagged(t) => yaml_to_json(t.value),
    }
}

struct Ctx<'a> {
    file: &'a str,
    doc: &'a Value,
    options: GenerateOptions,
    /// `$ref`s being expanded (a recursive schema stops at its second visit).
    expanding: std::cell::RefCell<Vec<String>>,
}

impl Ctx<'_> {
    fn lookup(&self, reference: &str, location: &str) -> Result<&Value, CatalogError> {
        let bad = || CatalogError::BadRef {
            file: self.file.to_string(),
            reference: reference.to_string(),
            location: location.to_string(),
        };
        let pointer = reference.strip_prefix('#').ok_or_else(bad)?;
        self.doc.pointer(pointer).ok_or_else(bad)
    }

    /// Follows `$ref` chains on a non-schema object (parameter, response, request body).
    fn deref<'v>(&'v self, mut node: &'v Value, location: &str) -> Result<&'v Value, CatalogError> {
        let mut hops = 0;
        while let Some(r) = node.get("$ref").and_then(Value::as_str) {
            node = self.lookup(r, location)?;
            hops += 1;
            if hops > MAX_DEPTH {
                return Err(CatalogError::Invalid {
                    file: self.file.to_string(),
                    reason: format!("$ref loop at {location}"),
                });
            }
        }
        Ok(node)
    }
}

fn operations_from_doc(
    family: Family,
    file: &str,
    doc: &Value,
    options: GenerateOptions,
) -> Result<Vec<Operation>, CatalogError> {
    let ctx = Ctx {
        file,
        doc,
        options,
        expanding: std::cell::RefCell::new(Vec::new()),
    };
    let servers: Vec<String> = doc
        .get("servers")
        .and_then(Value::as_array)
        .map(|s| {
            s.iter()
                .filter_map(|s| s.get("url").and_then(Value::as_str))
                .map(url_path)
                .collect()
        })
        .unwrap_or_default();
    // The first server is the "Current" one; a legacy `/sse/config/v1/<ns>` server names a
    // namespace prefix for v2 files.
    let server_base = servers.first().cloned().unwrap_or_default();
    let namespace = servers
        .iter()
        .filter_map(|s| s.strip_prefix("/sse/config/v1/"))
        .map(|s| s.trim_matches('/').to_string())
        .find(|s| !s.is_empty());
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return Err(CatalogError::Invalid {
            file: file.to_string(),
            reason: "no `paths` object".to_string(),
        });
    };
    let mut ops = Vec::new();
    for (raw_path, item) in paths {
        let (base_path, rel_path) = split_base(&server_base, raw_path);
        let naming_path = match (&namespace, family) {
            (Some(ns), Family::V2) => format!("/{ns}{rel_path}"),
            _ => rel_path.clone(),
        };
        let shape = PathShape::parse(&naming_path);
        let Some(item_obj) = item.as_object() else {
            continue;
        };
        let path_level_params = item_obj.get("parameters");
        for (method_key, op) in item_obj {
            let Some(method) = Method::parse(method_key) else {
                continue;
            };
            let location = format!("{method_key} {raw_path}");
            let mut params = Vec::new();
            let mut seen = Vec::new();
            let op_params = op.get("parameters").and_then(Value::as_array);
            let path_params = path_level_params.and_then(Value::as_array);
            // Operation-level parameters override path-level ones with the same name/location.
            for p in op_params.into_iter().flatten() {
                let param = parameter(&ctx, p, &location)?;
                seen.push((param.name.clone(), param.location));
                params.push(param);
            }
            for p in path_params.into_iter().flatten() {
                let param = parameter(&ctx, p, &location)?;
                if !seen.contains(&(param.name.clone(), param.location)) {
                    params.push(param);
                }
            }
            // Path parameters that the template uses but the spec forgot to declare.
            for name in &shape.params {
                if !params
                    .iter()
                    .any(|p| p.location == ParamLocation::Path && &p.name == name)
                {
                    params.push(Parameter {
                        name: name.clone(),
                        location: ParamLocation::Path,
                        required: true,
                        schema: Schema {
                            kind: SchemaKind::String,
                            ..Schema::default()
                        },
                        description: None,
                    });
                }
            }
            let mut body = match op.get("requestBody") {
                Some(rb) => request_body(&ctx, rb, &location)?,
                None => None,
            };
            if method == Method::Put {
                if let Some(b) = &mut body {
                    relax_container_group(&mut b.schema);
                }
            }
            let responses = responses(&ctx, op.get("responses"), &location)?;
            let list_like = responses
                .iter()
                .find(|r| r.status == "200")
                .map(|r| r.schema.as_ref().is_none_or(is_list_schema))
                .unwrap_or(true);
            let operation = shape.operation_name(method, list_like);
            let summary = if options.descriptions {
                op.get("summary")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            } else {
                None
            };
            ops.push(Operation {
                family,
                resource: shape.resource_key(),
                operation,
                method,
                base_path: base_path.clone(),
                path: rel_path.clone(),
                spec_file: file.to_string(),
                operation_id: op
                    .get("operationId")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                params,
                body,
                responses,
                summary,
            });
        }
    }
    Ok(ops)
}

/// On an update (PUT) the object's container is already known: the v2 "exactly one of folder,
/// snippet, device" group becomes "at most one" (pan-scm-sdk also enforces it on create only).
fn relax_container_group(schema: &mut Schema) {
    for g in &mut schema.one_of {
        let keys = g.all_keys();
        if !keys.is_empty()
            && keys
                .iter()
                .all(|k| matches!(*k, "folder" | "snippet" | "device"))
        {
            g.exactly_one = false;
        }
    }
}

/// The path component of a server URL (`https://host/config/objects/v1` → `/config/objects/v1`).
fn url_path(url: &str) -> String {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    match rest.find('/') {
        Some(i) => rest[i..].trim_end_matches('/').to_string(),
        None => String::new(),
    }
}

/// Splits a spec path into (base path, path relative to the base).
fn split_base(server_base: &str, raw_path: &str) -> (String, String) {
    if server_base.is_empty() {
        // sse-v1 files: the server is the bare host and paths carry `/sse/config/v1`.
        if let Some(rest) = raw_path.strip_prefix("/sse/config/v1") {
            if rest.starts_with('/') || rest.starts_with(':') {
                return ("/sse/config/v1".to_string(), rest.to_string());
            }
        }
        return (String::new(), raw_path.to_string());
    }
    (server_base.to_string(), raw_path.to_string())
}

/// The shape of a relative path: stem, further literal segments, path params, `:verb`.
#[derive(Debug)]
struct PathShape {
    stem: String,
    /// Everything after the stem, verbatim (`/{id}:move`, `/candidate`).
    after_stem: String,
    literals_after: Vec<String>,
    params: Vec<String>,
    verb: Option<String>,
}

impl PathShape {
    fn parse(path: &str) -> PathShape {
        let (body, verb) = match path.rsplit_once(':') {
            Some((b, v)) if !v.contains('/') && !v.contains('}') => (b, Some(v.to_string())),
            _ => (path, None),
        };
        let segments: Vec<&str> = body.split('/').filter(|s| !s.is_empty()).collect();
        let mut stem_parts = Vec::new();
        let mut idx = 0;
        if let Some(first) = segments.first() {
            stem_parts.push(first.to_string());
            idx = 1;
            if NAMESPACES.contains(first) {
                if let Some(second) = segments.get(1) {
                    if !second.starts_with('{') {
                        stem_parts.push(second.to_string());
                        idx = 2;
                    }
                }
            }
        }
        let mut literals_after = Vec::new();
        let mut params = Vec::new();
        for seg in &segments[idx.min(segments.len())..] {
            if let Some(p) = seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                params.push(p.to_string());
            } else {
                literals_after.push(seg.to_string());
            }
        }
        let stem = stem_parts.join("/");
        let after_stem = path
            .strip_prefix(&format!("/{stem}"))
            .unwrap_or("")
            .to_string();
        PathShape {
            stem,
            after_stem,
            literals_after,
            params,
            verb,
        }
    }

    fn resource_key(&self) -> String {
        resource_key_for_stem(&self.stem)
    }

    fn operation_name(&self, method: Method, list_like: bool) -> String {
        for (stem, m, rest, name) in OPERATION_OVERRIDES {
            if *stem == self.stem && *m == method && *rest == self.after_stem {
                return (*name).to_string();
            }
        }
        if let Some(verb) = &self.verb {
            return camel_case(verb);
        }
        if !self.literals_after.is_empty() {
            let word = match method {
                Method::Get => "get",
                Method::Post => "create",
                Method::Put => "update",
                Method::Patch => "patch",
                Method::Delete => "delete",
            };
            let tail: String = self.literals_after.iter().map(|l| pascal_case(l)).collect();
            return format!("{word}{tail}");
        }
        let item = !self.params.is_empty();
        match (method, item) {
            (Method::Get, true) => "get".into(),
            (Method::Get, false) if list_like => "list".into(),
            (Method::Get, false) => "get".into(),
            (Method::Post, _) => "create".into(),
            (Method::Put, _) => "update".into(),
            (Method::Patch, _) => "patch".into(),
            (Method::Delete, _) => "delete".into(),
        }
    }
}

/// The resource key for a path stem (see the module docs).
pub fn resource_key_for_stem(stem: &str) -> String {
    let words: Vec<&str> = stem
        .split(['-', '_', '/'])
        .filter(|w| !w.is_empty())
        .collect();
    let mut out = String::new();
    let n = words.len();
    for (i, w) in words.iter().enumerate() {
        let w = if i + 1 == n {
            singular(w)
        } else {
            (*w).to_string()
        };
        if i == 0 {
            out.push_str(&w.to_ascii_lowercase());
        } else {
            out.push_str(&pascal_case(&w));
        }
    }
    out
}

fn singular(word: &str) -> String {
    let w = word;
    if w == "settings" || w.ends_with("ss") || w.ends_with("us") || w.ends_with("is") {
        return w.to_string();
    }
    if let Some(base) = w.strip_suffix("ies") {
        return format!("{base}y");
    }
    for suffix in ["sses", "xes", "ches", "shes"] {
        if w.ends_with(suffix) {
            return w[..w.len() - 2].to_string();
        }
    }
    if let Some(base) = w.strip_suffix('s') {
        return base.to_string();
    }
    w.to_string()
}

fn pascal_case(s: &str) -> String {
    s.split(['-', '_', ' '])
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

fn camel_case(s: &str) -> String {
    let p = pascal_case(s);
    let mut c = p.chars();
    match c.next() {
        Some(f) => f.to_ascii_lowercase().to_string() + c.as_str(),
        None => String::new(),
    }
}

/// A list response: an array, an object whose `data` is an array, or the list envelope
/// `{data, limit|offset|total}` even when `data` is (wrongly) declared as one object.
fn is_list_schema(s: &Schema) -> bool {
    let Some(data) = s.properties.get("data") else {
        return s.kind == SchemaKind::Array;
    };
    data.kind == SchemaKind::Array
        || ["limit", "offset", "total"]
            .iter()
            .any(|k| s.properties.contains_key(*k))
}

/// Renames collection-level operations that collide with item-level ones.
fn resolve_collisions(ops: &mut [Operation]) {
    let mut counts: HashMap<(Family, String, String), usize> = HashMap::new();
    for op in ops.iter() {
        *counts
            .entry((op.family, op.resource.clone(), op.operation.clone()))
            .or_default() += 1;
    }
    for op in ops.iter_mut() {
        let key = (op.family, op.resource.clone(), op.operation.clone());
        if counts.get(&key).copied().unwrap_or(0) < 2 {
            continue;
        }
        let is_collection = op.path_params().next().is_none();
        if !is_collection {
            continue;
        }
        let suffix = op
            .query_params()
            .find(|p| p.required && !matches!(p.name.as_str(), "folder" | "snippet" | "device"))
            .map(|p| format!("By{}", pascal_case(&p.name)))
            .unwrap_or_else(|| "Collection".to_string());
        op.operation = format!("{}{}", op.operation, suffix);
    }
}

fn parameter(ctx: &Ctx<'_>, node: &Value, location: &str) -> Result<Parameter, CatalogError> {
    let p = ctx.deref(node, location)?;
    let name = p
        .get("name")
        .and_then(Value::as_str)
        .ok_or_else(|| CatalogError::Invalid {
            file: ctx.file.to_string(),
            reason: format!("parameter without a name at {location}"),
        })?
        .to_string();
    let location_kind = match p.get("in").and_then(Value::as_str) {
        Some("path") => ParamLocation::Path,
        Some("header") => ParamLocation::Header,
        _ => ParamLocation::Query,
    };
    let schema = match p.get("schema") {
        Some(s) => root_schema(ctx, s, &format!("{location} param {name}"))?,
        None => Schema {
            kind: SchemaKind::String,
            ..Schema::default()
        },
    };
    let required = location_kind == ParamLocation::Path
        || p.get("required").and_then(Value::as_bool) == Some(true);
    let description = if ctx.options.descriptions {
        p.get("description")
            .and_then(Value::as_str)
            .map(|s| s.trim().to_string())
    } else {
        None
    };
    Ok(Parameter {
        name,
        location: location_kind,
        required,
        schema,
        description,
    })
}

fn json_content(content: Option<&Value>) -> Option<&Value> {
    let c = content?.as_object()?;
    c.get("application/json")
        .or_else(|| c.iter().find(|(k, _)| k.contains("json")).map(|(_, v)| v))
}

fn request_body(ctx: &Ctx<'_>, node: &Value, location: &str) -> Result<Option<Body>, CatalogError> {
    let rb = ctx.deref(node, location)?;
    let Some(media) = json_content(rb.get("content")) else {
        return Ok(None);
    };
    let schema = match media.get("schema") {
        Some(s) => root_schema(ctx, s, &format!("{location} body"))?,
        None => Schema::default(),
    };
    Ok(Some(Body {
        required: rb.get("required").and_then(Value::as_bool).unwrap_or(false),
        schema,
    }))
}

fn responses(
    ctx: &Ctx<'_>,
    node: Option<&Value>,
    location: &str,
) -> Result<Vec<ResponseSpec>, CatalogError> {
    let Some(map) = node.and_then(Value::as_object) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for (status, r) in map {
        let success = status.starts_with('2');
        let schema = if success || ctx.options.error_schemas {
            let r = ctx.deref(r, location)?;
            match json_content(r.get("content")).and_then(|m| m.get("schema")) {
                Some(s) => Some(root_schema(
                    ctx,
                    s,
                    &format!("{location} response {status}"),
                )?),
                None => None,
            }
        } else {
            None
        };
        out.push(ResponseSpec {
            status: status.clone(),
            schema,
        });
    }
    Ok(out)
}

fn kind_from(t: &str) -> SchemaKind {
    match t {
        "string" => SchemaKind::String,
        "integer" => SchemaKind::Integer,
        "number" => SchemaKind::Number,
        "boolean" => SchemaKind::Boolean,
        "array" => SchemaKind::Array,
        "object" => SchemaKind::Object,
        _ => SchemaKind::Any,
    }
}

fn as_u64(v: Option<&Value>) -> Option<u64> {
    let v = v?;
    v.as_u64().or_else(|| v.as_f64().map(|f| f.max(0.0) as u64))
}

/// Flattens a top-level schema, then turns `required` names the object does not declare into
/// optional properties of any type.
///
/// Such names are spec slips (`destinattion` in v2 DoS rules, `application` in sse-v1
/// decryption rules, `folders` where the property is `folder` in the v2 push body, ...).
/// Enforcing them would demand a misspelt key; rejecting them as unknown would refuse what the
/// service and its SDK actually send (`folders` on push). So they are accepted, not required.
fn root_schema(ctx: &Ctx<'_>, node: &Value, location: &str) -> Result<Schema, CatalogError> {
    let mut s = flatten(ctx, node, location, 0)?;
    prune_required(&mut s);
    Ok(s)
}

fn prune_required(s: &mut Schema) {
    if !s.properties.is_empty() && !s.open {
        let mut undeclared: Vec<String> = Vec::new();
        let branch_required = s
            .one_of
            .iter()
            .flat_map(|g| &g.branches)
            .flat_map(|b| &b.required);
        for r in s.required.iter().chain(branch_required) {
            if !s.properties.contains_key(r) && !undeclared.contains(r) {
                undeclared.push(r.clone());
            }
        }
        s.required.retain(|r| !undeclared.contains(r));
        for g in &mut s.one_of {
            for b in &mut g.branches {
                b.required.retain(|r| !undeclared.contains(r));
            }
        }
        for r in undeclared {
            s.properties.insert(r, Schema::default());
        }
    }
    if let Some(i) = &mut s.items {
        prune_required(i);
    }
    for p in s.properties.values_mut() {
        prune_required(p);
    }
    for v in &mut s.variants {
        prune_required(v);
    }
}

/// Flattens a schema node: resolves `$ref`, merges `allOf`, folds key-choice `oneOf`/`anyOf`.
fn flatten(
    ctx: &Ctx<'_>,
    node: &Value,
    location: &str,
    depth: usize,
) -> Result<Schema, CatalogError> {
    if depth > MAX_DEPTH {
        // Recursive schema: stop and accept anything below this point.
        return Ok(Schema {
            open: true,
            ..Schema::default()
        });
    }
    if let Some(r) = node.get("$ref").and_then(Value::as_str) {
        let target = ctx.lookup(r, location)?;
        if ctx.expanding.borrow().iter().any(|x| x == r) {
            // Recursive schema: accept anything below the second visit.
            return Ok(Schema {
                open: true,
                ..Schema::default()
            });
        }
        ctx.expanding.borrow_mut().push(r.to_string());
        let result = flatten(ctx, target, location, depth + 1);
        ctx.expanding.borrow_mut().pop();
        let mut s = result?;
        if node.get("readOnly").and_then(Value::as_bool) == Some(true) {
            s.read_only = true;
        }
        if ctx.options.descriptions {
            if let Some(d) = node.get("description").and_then(Value::as_str) {
                s.description = Some(d.trim().to_string());
            }
        }
        return Ok(s);
    }
    let Some(obj) = node.as_object() else {
        return Ok(Schema::default());
    };
    let mut s = Schema::default();
    match obj.get("type") {
        Some(Value::String(t)) => s.kind = kind_from(t),
        Some(Value::Array(ts)) => {
            // OpenAPI 3.1: `type: [string, "null"]`.
            let non_null: Vec<&str> = ts
                .iter()
                .filter_map(Value::as_str)
                .filter(|t| *t != "null")
                .collect();
            if ts.iter().any(|t| t.as_str() == Some("null")) {
                s.nullable = true;
            }
            if non_null.len() == 1 {
                s.kind = kind_from(non_null[0]);
            } else {
                s.variants = non_null
                    .iter()
                    .map(|t| Schema {
                        kind: kind_from(t),
                        ..Schema::default()
                    })
                    .collect();
            }
        }
        _ => {}
    }
    s.format = obj
        .get("format")
        .and_then(Value::as_str)
        .map(str::to_string);
    if let Some(e) = obj.get("enum").and_then(Value::as_array) {
        s.enum_values = e.iter().filter(|v| !v.is_null()).cloned().collect();
        if e.iter().any(Value::is_null) {
            s.nullable = true;
        }
    }
    s.min_length = as_u64(obj.get("minLength"));
    s.max_length = as_u64(obj.get("maxLength"));
    s.pattern = obj
        .get("pattern")
        .and_then(Value::as_str)
        .map(str::to_string);
    s.minimum = obj.get("minimum").and_then(Value::as_f64);
    s.maximum = obj.get("maximum").and_then(Value::as_f64);
    // OpenAPI 3.0 boolean exclusive bounds are rare here; treat as inclusive-by-one for integers.
    s.min_items = as_u64(obj.get("minItems"));
    s.max_items = as_u64(obj.get("maxItems"));
    s.unique_items = obj.get("uniqueItems").and_then(Value::as_bool) == Some(true);
    s.read_only = obj.get("readOnly").and_then(Value::as_bool) == Some(true);
    if obj.get("nullable").and_then(Value::as_bool) == Some(true) {
        s.nullable = true;
    }
    s.default = obj.get("default").cloned();
    if ctx.options.descriptions {
        s.description = obj
            .get("description")
            .and_then(Value::as_str)
            .map(|d| d.trim().to_string());
    }
    if let Some(items) = obj.get("items") {
        s.items = Some(Box::new(flatten(ctx, items, location, depth + 1)?));
        if s.kind == SchemaKind::Any {
            s.kind = SchemaKind::Array;
        }
    }
    if let Some(props) = obj.get("properties").and_then(Value::as_object) {
        for (name, p) in props {
            let child = flatten(ctx, p, &format!("{location}.{name}"), depth + 1)?;
            s.properties.insert(name.clone(), child);
        }
        if s.kind == SchemaKind::Any {
            s.kind = SchemaKind::Object;
        }
    }
    if let Some(req) = obj.get("required").and_then(Value::as_array) {
        for r in req.iter().filter_map(Value::as_str) {
            if !s.required.iter().any(|x| x == r) {
                s.required.push(r.to_string());
            }
        }
    }
    match obj.get("additionalProperties") {
        Some(Value::Bool(true)) | Some(Value::Object(_)) => s.open = true,
        _ => {}
    }
    if let Some(all) = obj.get("allOf").and_then(Value::as_array) {
        for member in all {
            let m = flatten(ctx, member, location, depth + 1)?;
            merge_into(&mut s, m);
        }
    }
    if let Some(one) = obj.get("oneOf").and_then(Value::as_array) {
        let title = obj.get("title").and_then(Value::as_str).map(str::to_string);
        fold_choice(ctx, &mut s, one, title, location, depth)?;
    }
    if let Some(any) = obj.get("anyOf").and_then(Value::as_array) {
        fold_any_of(ctx, &mut s, any, location, depth)?;
    }
    Ok(s)
}

fn is_object_like(s: &Schema) -> bool {
    matches!(s.kind, SchemaKind::Object)
        || (s.kind == SchemaKind::Any
            && s.variants.is_empty()
            && s.items.is_none()
            && s.enum_values.is_empty()
            && s.pattern.is_none())
}

/// Folds a `oneOf` (or a oneOf nested in `anyOf`) into `s`.
///
/// The specs write "one of these keys" in two ways, sometimes mixed:
/// - *inline* branches (sse-v1 style): `{title: fqdn, properties: {fqdn: ...}, required:
///   [fqdn]}` — the branch's properties are keys of the parent;
/// - *titled* branches (v2 network style): `{title: layer3, type: array}` inside an object —
///   the title is the key and the branch is its value's schema.
///
/// A branch with properties whose explicit title is an identifier but not one of its
/// properties (`{title: static_ip, properties: {translated_address, ...}}`) is ambiguous: it
/// is accepted both ways (the title as a key, or its properties inline) and its `required`
/// list is not enforced. When no branch gives a key (e.g. `string | object`), the branches are
/// type alternatives ([`Schema::variants`]).
fn fold_choice(
    ctx: &Ctx<'_>,
    s: &mut Schema,
    branches: &[Value],
    title: Option<String>,
    location: &str,
    depth: usize,
) -> Result<(), CatalogError> {
    let parent_is_object = s.kind == SchemaKind::Object || !s.properties.is_empty();
    let mut group = OneOfGroup {
        title,
        exactly_one: true,
        branches: Vec::new(),
    };
    let mut inline_props: Vec<(String, Schema)> = Vec::new();
    let mut nested_groups = Vec::new();
    let mut open = false;
    let mut non_key = Vec::new();
    // Every branch that gives no key, in spec order: the type alternatives when no branch
    // gives one (`string | object` must keep its object alternative).
    let mut alternatives = Vec::new();
    for b in branches {
        let btitle = explicit_title(ctx, b, location)?;
        let flat = flatten(ctx, b, location, depth + 1)?;
        let ident = btitle.clone().filter(|t| is_identifier(t));
        if !flat.properties.is_empty() && is_object_like(&flat) {
            let mut keys: Vec<String> = flat.properties.keys().cloned().collect();
            let mut required: Vec<String> = flat
                .required
                .iter()
                .filter(|r| flat.properties.contains_key(*r))
                .cloned()
                .collect();
            let ambiguous = parent_is_object
                && ident
                    .as_ref()
                    .is_some_and(|t| !flat.properties.contains_key(t));
            if ambiguous {
                if let Some(t) = &ident {
                    keys.insert(0, t.clone());
                    inline_props.push((t.clone(), flat.clone()));
                }
                required.clear();
            }
            if required.is_empty() {
                group.exactly_one = false;
            }
            for (k, v) in flat.properties {
                inline_props.push((k, v));
            }
            nested_groups.extend(flat.one_of);
            open |= flat.open;
            group.branches.push(OneOfBranch {
                title: btitle,
                keys,
                required,
            });
        } else if parent_is_object && ident.is_some() {
            let key = ident.unwrap_or_default();
            inline_props.push((key.clone(), flat));
            group.exactly_one = false;
            group.branches.push(OneOfBranch {
                title: btitle,
                keys: vec![key],
                required: Vec::new(),
            });
        } else if is_object_like(&flat) && flat.variants.is_empty() {
            // `{}` / `{type: object}`: the "none of the keys" alternative.
            group.exactly_one = false;
            nested_groups.extend(flat.one_of.clone());
            group.branches.push(OneOfBranch {
                title: btitle,
                keys: Vec::new(),
                required: Vec::new(),
            });
            let mut alternative = flat;
            alternative.one_of.clear();
            alternatives.push(alternative);
        } else {
            alternatives.push(flat.clone());
            non_key.push(flat);
        }
    }
    let any_keys = group.branches.iter().any(|b| !b.keys.is_empty());
    if !any_keys {
        // Type alternatives (string or object, ...): the value must match one of them.
        if !non_key.is_empty() {
            s.variants.extend(alternatives);
        }
        s.one_of.extend(nested_groups);
        return Ok(());
    }
    if !non_key.is_empty() {
        group.exactly_one = false;
    }
    if s.kind == SchemaKind::Any {
        s.kind = SchemaKind::Object;
    }
    for (k, v) in inline_props {
        match s.properties.get_mut(&k) {
            Some(existing) => merge_into(existing, v),
            None => {
                s.properties.insert(k, v);
            }
        }
    }
    s.open |= open;
    s.one_of.extend(nested_groups);
    s.one_of.push(group);
    Ok(())
}

/// The branch's own `title`, or the title of the schema its `$ref` points to.
fn explicit_title(
    ctx: &Ctx<'_>,
    node: &Value,
    location: &str,
) -> Result<Option<String>, CatalogError> {
    if let Some(t) = node.get("title").and_then(Value::as_str) {
        return Ok(Some(t.to_string()));
    }
    match node.get("$ref").and_then(Value::as_str) {
        Some(r) => Ok(ctx
            .lookup(r, location)?
            .get("title")
            .and_then(Value::as_str)
            .map(str::to_string)),
        None => Ok(None),
    }
}

fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !s.starts_with(|c: char| c.is_ascii_digit())
}

fn fold_any_of(
    ctx: &Ctx<'_>,
    s: &mut Schema,
    members: &[Value],
    location: &str,
    depth: usize,
) -> Result<(), CatalogError> {
    let mut non_object = Vec::new();
    for m in members {
        if let Some(one) = m.get("oneOf").and_then(Value::as_array) {
            // v2 style: `anyOf: [{title: address_type, oneOf: [...]}, {title: container_type, ...}]`
            // Every such member is a separate choice group that applies.
            let title = m.get("title").and_then(Value::as_str).map(str::to_string);
            fold_choice(ctx, s, one, title, location, depth)?;
            continue;
        }
        let f = flatten(ctx, m, location, depth + 1)?;
        if is_object_like(&f) {
            // Lenient: accept the member's properties, require none of them.
            if s.kind == SchemaKind::Any && !f.properties.is_empty() {
                s.kind = SchemaKind::Object;
            }
            for (k, v) in f.properties {
                s.properties.entry(k).or_insert(v);
            }
            s.one_of.extend(f.one_of);
            if f.open {
                s.open = true;
            }
        } else {
            non_object.push(f);
        }
    }
    if !non_object.is_empty() {
        s.variants.extend(non_object);
    }
    Ok(())
}

/// Merges an `allOf` member (or a duplicate property) into `s`.
fn merge_into(s: &mut Schema, m: Schema) {
    if s.kind == SchemaKind::Any {
        s.kind = m.kind;
    }
    if s.format.is_none() {
        s.format = m.format;
    }
    if s.enum_values.is_empty() {
        s.enum_values = m.enum_values;
    }
    s.min_length = s.min_length.or(m.min_length);
    s.max_length = s.max_length.or(m.max_length);
    if s.pattern.is_none() {
        s.pattern = m.pattern;
    }
    s.minimum = s.minimum.or(m.minimum);
    s.maximum = s.maximum.or(m.maximum);
    s.min_items = s.min_items.or(m.min_items);
    s.max_items = s.max_items.or(m.max_items);
    s.unique_items |= m.unique_items;
    match (&mut s.items, m.items) {
        (Some(a), Some(b)) => merge_into(a, *b),
        (None, Some(b)) => s.items = Some(b),
        _ => {}
    }
    for (k, v) in m.properties {
        match s.properties.get_mut(&k) {
            Some(existing) => merge_into(existing, v),
            None => {
                s.properties.insert(k, v);
            }
        }
    }
    for r in m.required {
        if !s.required.contains(&r) {
            s.required.push(r);
        }
    }
    s.one_of.extend(m.one_of);
    s.variants.extend(m.variants);
    s.open |= m.open;
    s.read_only |= m.read_only;
    s.nullable |= m.nullable;
    if s.default.is_none() {
        s.default = m.default;
    }
    if s.description.is_none() {
        s.description = m.description;
    }
}

/// Statistics used by the report and tests: operations per family and per spec file.
pub fn count_by_file(ops: &[Operation]) -> BTreeMap<(Family, String), usize> {
    let mut m = BTreeMap::new();
    for op in ops {
        *m.entry((op.family, op.spec_file.clone())).or_default() += 1;
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn singular_rules() {
        assert_eq!(resource_key_for_stem("addresses"), "address");
        assert_eq!(resource_key_for_stem("address-groups"), "addressGroup");
        assert_eq!(resource_key_for_stem("url-categories"), "urlCategory");
        assert_eq!(
            resource_key_for_stem("mobile-agent/agent-profiles"),
            "mobileAgentAgentProfile"
        );
        assert_eq!(resource_key_for_stem("config-versions"), "configVersion");
        assert_eq!(resource_key_for_stem("jobs"), "job");
        assert_eq!(resource_key_for_stem("bgp-routing"), "bgpRouting");
        assert_eq!(resource_key_for_stem("dns-proxies"), "dnsProxy");
        assert_eq!(
            resource_key_for_stem("network_packet_broker_rules"),
            "networkPacketBrokerRule"
        );
        assert_eq!(
            resource_key_for_stem("mobile-agent/global-settings"),
            "mobileAgentGlobalSettings"
        );
    }

    #[test]
    fn operation_names() {
        let s = PathShape::parse("/config-versions/candidate:push");
        assert_eq!(s.operation_name(Method::Post, false), "push");
        let s = PathShape::parse("/config-versions/running");
        assert_eq!(s.operation_name(Method::Get, true), "getRunning");
        let s = PathShape::parse("/config-versions/candidate");
        assert_eq!(s.operation_name(Method::Delete, false), "rollbackCandidate");
        let s = PathShape::parse("/security-rules/{id}:move");
        assert_eq!(s.resource_key(), "securityRule");
        assert_eq!(s.operation_name(Method::Post, false), "move");
        let s = PathShape::parse("/ike-gateways:generate-ppk");
        assert_eq!(s.operation_name(Method::Post, false), "generatePpk");
        let s = PathShape::parse("/mobile-agent/user-authentication:move");
        assert_eq!(s.resource_key(), "mobileAgentUserAuthentication");
        let s = PathShape::parse("/addresses/{id}");
        assert_eq!(s.operation_name(Method::Put, false), "update");
        assert_eq!(
            url_path("https://api.x.com/config/setup/v1/"),
            "/config/setup/v1"
        );
    }
}
