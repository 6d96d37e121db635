//! The vendor's OpenAPI files read on their own, at test time — independently of the
//! `panops-scm` catalog the simulator is built from — so that checking an answer against them
//! can find what the simulator (and the catalog) got wrong.
//!
//! Operations are found by method and path (`servers[0]` path + path key; sse-v1 keys carry
//! `/sse/config/v1` themselves). Schemas are checked as JSON Schema subsets of OpenAPI 3.0 /
//! 3.1: `$ref` (local `#/...`), `allOf` (each must hold), `oneOf` / `anyOf` (one alternative
//! must hold: the vendor specs' alternatives overlap, so "exactly one" would refuse valid
//! answers), `type` (also 3.1 type lists), `nullable`, `enum`, `required`, `properties`,
//! `items`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{Map, Value};

/// One operation of a spec file.
pub struct SpecOp {
    /// Spec file, relative to the spec directory (for messages).
    pub file: String,
    /// Upper-case method.
    pub method: String,
    /// Full path template (`/config/objects/v1/addresses/{id}`).
    pub template: String,
    /// The operation object.
    pub op: Value,
    /// The whole document, for `$ref`.
    pub doc: Arc<Value>,
}

/// Every operation of every YAML file under a spec directory.
pub struct Specs {
    pub ops: Vec<SpecOp>,
}

/// The shared specs directory (`../shared/specs/scm` beside the repo, or
/// `$PANOPS_SHARED_SPECS/scm`). Panics when `PANOPS_CI=1` and it is missing: CI must not
/// pass by skipping the check.
pub fn specs_dir() -> Option<PathBuf> {
    let base = std::env::var_os("PANOPS_SHARED_SPECS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/specs"));
    let dir = base.join("scm");
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var("PANOPS_CI").is_ok_and(|v| v == "1") {
        panic!(
            "PANOPS_CI=1 but the vendor SCM specs are missing at {} (set PANOPS_SHARED_SPECS)",
            dir.display()
        );
    }
    None
}

fn yaml_to_json(v: serde_yaml::Value) -> Value {
    match v {
        serde_yaml::Value::Null => Value::Null,
        serde_yaml::Value::Bool(b) => Value::Bool(b),
        serde_yaml::Value::Number(n) => {
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
        serde_yaml::Value::String(s) => Value::String(s),
        serde_yaml::Value::Sequence(items) => {
            Value::Array(items.into_iter().map(yaml_to_json).collect())
        }
        serde_yaml::Value::Mapping(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                // Response codes may be unquoted numbers in YAML: keys are text here.
                let key = match k {
                    serde_yaml::Value::String(s) => s,
                    serde_yaml::Value::Number(n) => n.to_string(),
                    serde_yaml::Value::Bool(b) => b.to_string(),
                    other => format!("{other:?}"),
                };
                out.insert(key, yaml_to_json(v));
            }
            Value::Object(out)
        }
        serde_yaml::Value::Tagged(t) => yaml_to_json(t.value),
    }
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            yaml_files(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
    Ok(())
}

fn server_path(doc: &Value) -> String {
    let url = doc
        .pointer("/servers/0/url")
        .and_then(Value::as_str)
        .unwrap_or("");
    let after_scheme = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    match after_scheme.find('/') {
        Some(i) => after_scheme[i..].trim_end_matches('/').to_string(),
        None => String::new(),
    }
}

const METHODS: [&str; 5] = ["get", "post", "put", "delete", "patch"];

impl Specs {
    /// Reads every spec file under `dir`.
    pub fn load(dir: &Path) -> Result<Specs, String> {
        let mut files = Vec::new();
        yaml_files(dir, &mut files).map_err(|e| format!("{}: {e}", dir.display()))?;
        files.sort();
        let mut ops = Vec::new();
        for file in files {
            let text =
                std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
            let yaml: serde_yaml::Value =
                serde_yaml::from_str(&text).map_err(|e| format!("{}: {e}", file.display()))?;
            let doc = Arc::new(yaml_to_json(yaml));
            let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
                continue;
            };
            let base = server_path(&doc);
            let rel = file
                .strip_prefix(dir)
                .unwrap_or(&file)
                .display()
                .to_string();
            for (key, item) in paths {
                for m in METHODS {
                    if let Some(op) = item.get(m) {
                        ops.push(SpecOp {
                            file: rel.clone(),
                            method: m.to_uppercase(),
                            template: format!("{base}{key}"),
                            op: op.clone(),
                            doc: doc.clone(),
                        });
                    }
                }
            }
        }
        if ops.is_empty() {
            return Err(format!("no operations in {}", dir.display()));
        }
        Ok(Specs { ops })
    }

    /// The operation for a method and path (query left out); literal segments win over
    /// templated ones (`/config-versions/running` over `/config-versions/{version}`).
    pub fn find(&self, method: &str, path: &str) -> Option<&SpecOp> {
        let path = path.split('?').next().unwrap_or(path);
        self.ops
            .iter()
            .filter(|o| {
                o.method.eq_ignore_ascii_case(method) && template_matches(&o.template, path)
            })
            .min_by_key(|o| o.template.matches('{').count())
    }

    /// Whether any operation (any method) has this path.
    pub fn path_known(&self, path: &str) -> bool {
        let path = path.split('?').next().unwrap_or(path);
        self.ops.iter().any(|o| template_matches(&o.template, path))
    }
}

fn template_matches(template: &str, path: &str) -> bool {
    let t: Vec<&str> = template.split('/').collect();
    let p: Vec<&str> = path.split('/').collect();
    t.len() == p.len()
        && t.iter()
            .zip(&p)
            .all(|(ts, ps)| match (ts.find('{'), ts.find('}')) {
                (Some(open), Some(close)) if close > open => {
                    let (prefix, suffix) = (&ts[..open], &ts[close + 1..]);
                    ps.len() > prefix.len() + suffix.len()
                        && ps.starts_with(prefix)
                        && ps.ends_with(suffix)
                        && !ps[prefix.len()..ps.len() - suffix.len()].contains(':')
                }
                _ => ts == ps,
            })
}

impl SpecOp {
    /// `METHOD template (file)`, for messages.
    pub fn name(&self) -> String {
        format!("{} {} ({})", self.method, self.template, self.file)
    }

    fn responses(&self) -> Vec<(String, Value)> {
        self.op
            .get("responses")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), resolve(&self.doc, v).clone()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Declared 2xx statuses.
    pub fn success_statuses(&self) -> Vec<u16> {
        self.responses()
            .iter()
            .filter_map(|(k, _)| k.parse::<u16>().ok())
            .filter(|s| (200..300).contains(s))
            .collect()
    }

    /// Whether the operation declares this exact status.
    pub fn declares(&self, status: u16) -> bool {
        self.responses()
            .iter()
            .any(|(k, _)| *k == status.to_string())
    }

    /// The JSON schema of the response with this status (`default` too when `or_default`).
    pub fn response_schema(&self, status: u16, or_default: bool) -> Option<Value> {
        let responses = self.responses();
        let pick = |key: &str| {
            responses
                .iter()
                .find(|(k, _)| k == key)
                .and_then(|(_, r)| r.pointer("/content/application~1json/schema").cloned())
        };
        pick(&status.to_string()).or_else(|| or_default.then(|| pick("default")).flatten())
    }
}

/// Follows `$ref` chains (local refs only).
pub fn resolve<'a>(doc: &'a Value, mut v: &'a Value) -> &'a Value {
    for _ in 0..32 {
        let Some(r) = v.get("$ref").and_then(Value::as_str) else {
            return v;
        };
        let Some(pointer) = r.strip_prefix('#') else {
            return v;
        };
        match doc.pointer(pointer) {
            Some(target) => v = target,
            None => return v,
        }
    }
    v
}

fn type_matches(ty: &str, value: &Value) -> bool {
    match ty {
        "string" => value.is_string(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        "null" => value.is_null(),
        _ => true,
    }
}

/// Problems of `value` against `schema` (of `doc`), as `path: problem` strings.
pub fn check(doc: &Value, schema: &Value, value: &Value, path: &str, out: &mut Vec<String>) {
    check_depth(doc, schema, value, path, out, 0);
}

fn check_depth(
    doc: &Value,
    schema: &Value,
    value: &Value,
    path: &str,
    out: &mut Vec<String>,
    depth: usize,
) {
    if depth > 64 {
        return;
    }
    let schema = resolve(doc, schema);
    let Some(s) = schema.as_object() else {
        return;
    };
    let types: Vec<&str> = match s.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if value.is_null() && (s.get("nullable") == Some(&Value::Bool(true)) || types.contains(&"null"))
    {
        return;
    }
    if let Some(Value::Array(all)) = s.get("allOf") {
        for sub in all {
            check_depth(doc, sub, value, path, out, depth + 1);
        }
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(Value::Array(alts)) = s.get(key) {
            let ok = alts.iter().any(|alt| {
                let mut sub = Vec::new();
                check_depth(doc, alt, value, path, &mut sub, depth + 1);
                sub.is_empty()
            });
            if !ok {
                out.push(format!(
                    "{path}: matches none of the {} {key} alternatives",
                    alts.len()
                ));
            }
        }
    }
    if !types.is_empty() && !types.iter().any(|t| type_matches(t, value)) {
        out.push(format!("{path}: expected {}, got {value}", types.join("|")));
        return;
    }
    if let Some(Value::Array(allowed)) = s.get("enum")
        && !allowed.contains(value)
    {
        out.push(format!("{path}: {value} not in enum {allowed:?}"));
    }
    match value {
        Value::Object(map) => {
            if let Some(Value::Array(required)) = s.get("required") {
                for req in required.iter().filter_map(Value::as_str) {
                    if !map.contains_key(req) {
                        out.push(format!("{path}: required property '{req}' missing"));
                    }
                }
            }
            if let Some(Value::Object(props)) = s.get("properties") {
                for (k, v) in map {
                    if let Some(ps) = props.get(k) {
                        check_depth(doc, ps, v, &format!("{path}.{k}"), out, depth + 1);
                    }
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = s.get("items") {
                for (i, v) in items.iter().enumerate() {
                    check_depth(doc, item_schema, v, &format!("{path}[{i}]"), out, depth + 1);
                }
            }
        }
        _ => {}
    }
}
