//! The catalog data model: one [`Operation`] per HTTP operation of the official specs.
//!
//! This is the intermediate form that drives request building, validation, CLI help and the
//! simulator. It is plain serde data; `catalog/catalog.json` is a serialised [`crate::Catalog`].
//! Descriptions (`description`, `summary`) are only filled when a catalog is loaded from a
//! user-supplied spec directory at run time; the committed catalog carries none.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;

/// The two API families of Strata Cloud Manager.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Family {
    /// The Prisma Access `/sse/config/v1` family on the sase host (68 spec files, 344 operations).
    #[serde(rename = "sse-v1")]
    SseV1,
    /// The unified `/config/<area>/v1` family on the strata host, including the setup API.
    #[serde(rename = "v2")]
    V2,
}

impl Family {
    /// Both families, default first.
    pub const ALL: [Family; 2] = [Family::SseV1, Family::V2];

    /// The family name as used in the catalog and on the command line (`sse-v1`, `v2`).
    pub fn as_str(self) -> &'static str {
        match self {
            Family::SseV1 => "sse-v1",
            Family::V2 => "v2",
        }
    }

    /// Parses `sse-v1` / `sse` / `v1` or `v2` / `scm`.
    pub fn parse(s: &str) -> Option<Family> {
        match s {
            "sse-v1" | "sse" | "v1" => Some(Family::SseV1),
            "v2" | "scm" => Some(Family::V2),
            _ => None,
        }
    }

    /// The public host the vendor documents for this family (scheme included, no path).
    pub fn default_host(self) -> &'static str {
        match self {
            Family::SseV1 => "https://api.sase.paloaltonetworks.com",
            Family::V2 => "https://api.strata.paloaltonetworks.com",
        }
    }

    /// The sub-directory of a spec directory holding this family's files.
    pub fn spec_subdir(self) -> &'static str {
        self.as_str()
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// HTTP method of an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    /// GET
    Get,
    /// POST
    Post,
    /// PUT
    Put,
    /// PATCH
    Patch,
    /// DELETE
    Delete,
}

impl Method {
    /// Upper-case method name.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }

    /// Parses an OpenAPI path-item key (`get`, `post`, ...) or an upper-case method name.
    pub fn parse(s: &str) -> Option<Method> {
        match s.to_ascii_lowercase().as_str() {
            "get" => Some(Method::Get),
            "post" => Some(Method::Post),
            "put" => Some(Method::Put),
            "patch" => Some(Method::Patch),
            "delete" => Some(Method::Delete),
            _ => None,
        }
    }

    /// True for methods that may be retried safely after a 5xx.
    pub fn is_idempotent(self) -> bool {
        !matches!(self, Method::Post | Method::Patch)
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One HTTP operation of the official specs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Operation {
    /// API family.
    pub family: Family,
    /// Resource key, camelCase singular (`address`, `securityRule`, `mobileAgentAgentProfile`).
    pub resource: String,
    /// Operation name (`list`, `create`, `get`, `update`, `delete`, `move`, `push`, ...).
    pub operation: String,
    /// HTTP method.
    pub method: Method,
    /// Server base path, e.g. `/sse/config/v1` or `/config/objects/v1`.
    pub base_path: String,
    /// Path template relative to `base_path`, e.g. `/security-rules/{id}:move`.
    pub path: String,
    /// Spec file the operation came from (file name only).
    pub spec_file: String,
    /// The vendor's operationId, when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation_id: Option<String>,
    /// Path and query parameters, in spec order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub params: Vec<Parameter>,
    /// JSON request body, when the operation takes one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Body>,
    /// Declared responses: every status code, with a schema for 2xx JSON responses.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub responses: Vec<ResponseSpec>,
    /// One-line summary (only from a run-time spec directory; never committed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
}

impl Operation {
    /// `<resource>.<operation>`.
    pub fn qualified_name(&self) -> String {
        format!("{}.{}", self.resource, self.operation)
    }

    /// Full path template from the host root: `base_path` + `path`.
    pub fn full_path_template(&self) -> String {
        format!("{}{}", self.base_path, self.path)
    }

    /// The parameter with this name in this location.
    pub fn param(&self, name: &str) -> Option<&Parameter> {
        self.params.iter().find(|p| p.name == name)
    }

    /// Path parameters in path order.
    pub fn path_params(&self) -> impl Iterator<Item = &Parameter> {
        self.params
            .iter()
            .filter(|p| p.location == ParamLocation::Path)
    }

    /// Query parameters in spec order.
    pub fn query_params(&self) -> impl Iterator<Item = &Parameter> {
        self.params
            .iter()
            .filter(|p| p.location == ParamLocation::Query)
    }

    /// The lowest declared 2xx status, if any (e.g. `200` or `201`).
    pub fn success_status(&self) -> Option<u16> {
        self.responses
            .iter()
            .filter_map(|r| r.status.parse::<u16>().ok())
            .filter(|s| (200..300).contains(s))
            .min()
    }

    /// The schema of one resource object in the success response: the success schema with a
    /// list envelope (`data`) and/or array unwrapped. sse-v1 declares GET-by-id as an array
    /// and lists as `{data: [...]}`; both give the object schema here.
    pub fn object_schema(&self) -> Option<&Schema> {
        let mut s = self.success_schema()?;
        if let Some(data) = s.properties.get("data") {
            s = data;
        }
        if s.kind == SchemaKind::Array {
            s = s.items.as_deref()?;
        }
        Some(s)
    }

    /// The schema of the lowest declared 2xx response, if the spec gives one.
    pub fn success_schema(&self) -> Option<&Schema> {
        let status = self.success_status()?.to_string();
        self.responses
            .iter()
            .find(|r| r.status == status)
            .and_then(|r| r.schema.as_ref())
    }
}

/// Where a parameter travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ParamLocation {
    /// Substituted into the path template.
    Path,
    /// Sent in the query string.
    Query,
    /// Sent as an HTTP header (rare in these specs).
    Header,
}

/// A path, query or header parameter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Parameter {
    /// Parameter name (`folder`, `id`, `limit`, ...).
    pub name: String,
    /// Location.
    #[serde(rename = "in")]
    pub location: ParamLocation,
    /// Whether the spec marks it required.
    #[serde(default, skip_serializing_if = "is_false")]
    pub required: bool,
    /// Value constraints.
    pub schema: Schema,
    /// Vendor description (run-time spec directories only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A JSON request body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Body {
    /// Whether the spec marks the body required.
    #[serde(default, skip_serializing_if = "is_false")]
    pub required: bool,
    /// The flattened field tree.
    pub schema: Schema,
}

/// A declared response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResponseSpec {
    /// Status code as written in the spec (`200`, `201`, `default`).
    pub status: String,
    /// JSON schema of the body (kept for 2xx responses only, except in a catalog built by
    /// [`crate::Catalog::with_error_schemas_from_spec_dir`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<Schema>,
}

/// JSON type of a schema node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SchemaKind {
    /// No type constraint (absent `type`, or alternatives listed in `variants`).
    #[default]
    Any,
    /// JSON string.
    String,
    /// JSON integer.
    Integer,
    /// Any JSON number.
    Number,
    /// JSON boolean.
    Boolean,
    /// JSON array (see `items`).
    Array,
    /// JSON object (see `properties`).
    Object,
}

impl SchemaKind {
    /// Lower-case name (`string`, `object`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            SchemaKind::Any => "any",
            SchemaKind::String => "string",
            SchemaKind::Integer => "integer",
            SchemaKind::Number => "number",
            SchemaKind::Boolean => "boolean",
            SchemaKind::Array => "array",
            SchemaKind::Object => "object",
        }
    }
}

/// A flattened schema node: `$ref`s resolved, `allOf` merged, key-choice `oneOf`s folded into
/// `properties` plus [`OneOfGroup`]s.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Schema {
    /// JSON type.
    #[serde(rename = "type", default, skip_serializing_if = "is_any")]
    pub kind: SchemaKind,
    /// OpenAPI `format` (informational: `int32`, `password`, `ip-address`, `uuid`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    /// Allowed values.
    #[serde(rename = "enum", default, skip_serializing_if = "Vec::is_empty")]
    pub enum_values: Vec<Value>,
    /// Minimum string length (characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_length: Option<u64>,
    /// Maximum string length (characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u64>,
    /// Regular expression (as written in the spec; ECMA-262 flavour).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// Inclusive numeric minimum.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "ser_bound"
    )]
    pub minimum: Option<f64>,
    /// Inclusive numeric maximum.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "ser_bound"
    )]
    pub maximum: Option<f64>,
    /// Minimum array length.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_items: Option<u64>,
    /// Maximum array length.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_items: Option<u64>,
    /// Array elements must be distinct.
    #[serde(default, skip_serializing_if = "is_false")]
    pub unique_items: bool,
    /// Array element schema.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<Box<Schema>>,
    /// Object properties, in spec order (including the keys of every `oneOf` branch).
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub properties: IndexMap<String, Schema>,
    /// Required property names (read-only ones excluded from request validation).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub required: Vec<String>,
    /// "Exactly one of" / "at most one of" key groups of this object.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub one_of: Vec<OneOfGroup>,
    /// Type alternatives: the value must match at least one (e.g. string or object).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variants: Vec<Schema>,
    /// The object accepts keys not listed in `properties`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub open: bool,
    /// Server-assigned; ignored when sent.
    #[serde(default, skip_serializing_if = "is_false")]
    pub read_only: bool,
    /// `null` is accepted.
    #[serde(default, skip_serializing_if = "is_false")]
    pub nullable: bool,
    /// Default value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Value>,
    /// Vendor description (run-time spec directories only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl Schema {
    /// One-line summary of the constraints, for `describe` output:
    /// `string, maxLength 63, pattern ^[a-z]+$`, `integer, 1..=65535`, `array of string, maxItems 64`.
    pub fn constraint_summary(&self) -> String {
        let mut parts = Vec::new();
        let kind = match (self.kind, &self.items) {
            (SchemaKind::Array, Some(items)) => format!("array of {}", items.kind.as_str()),
            _ if !self.variants.is_empty() => self
                .variants
                .iter()
                .map(|v| v.kind.as_str())
                .collect::<Vec<_>>()
                .join(" | "),
            (k, _) => k.as_str().to_string(),
        };
        parts.push(kind);
        if let Some(f) = &self.format {
            parts.push(format!("format {f}"));
        }
        if self.read_only {
            parts.push("read-only".to_string());
        }
        if !self.enum_values.is_empty() {
            parts.push(format!("one of {}", Value::Array(self.enum_values.clone())));
        }
        match (self.min_length, self.max_length) {
            (Some(a), Some(b)) => parts.push(format!("length {a}..={b}")),
            (Some(a), None) => parts.push(format!("minLength {a}")),
            (None, Some(b)) => parts.push(format!("maxLength {b}")),
            _ => {}
        }
        let num = |n: f64| crate::error::fmt_num(n);
        match (self.minimum, self.maximum) {
            (Some(a), Some(b)) => parts.push(format!("{}..={}", num(a), num(b))),
            (Some(a), None) => parts.push(format!(">= {}", num(a))),
            (None, Some(b)) => parts.push(format!("<= {}", num(b))),
            _ => {}
        }
        match (self.min_items, self.max_items) {
            (Some(a), Some(b)) => parts.push(format!("{a}..={b} items")),
            (Some(a), None) => parts.push(format!("minItems {a}")),
            (None, Some(b)) => parts.push(format!("maxItems {b}")),
            _ => {}
        }
        if self.unique_items {
            parts.push("unique".to_string());
        }
        if let Some(items) = &self.items {
            if let Some(p) = &items.pattern {
                parts.push(format!("items pattern {p}"));
            }
            if let Some(m) = items.max_length {
                parts.push(format!("items maxLength {m}"));
            }
            if !items.enum_values.is_empty() {
                parts.push(format!(
                    "items one of {}",
                    Value::Array(items.enum_values.clone())
                ));
            }
        }
        if let Some(p) = &self.pattern {
            parts.push(format!("pattern {p}"));
        }
        if let Some(d) = &self.default {
            parts.push(format!("default {d}"));
        }
        parts.join(", ")
    }
}

/// A group of alternative keys of one object, from a `oneOf` whose branches are objects.
///
/// A branch is *chosen* when any of its `keys` is present. At most one branch may be chosen;
/// when `exactly_one` is set (every branch of the spec's `oneOf` names a required key) one
/// branch must be chosen. A chosen branch's `required` keys must all be present.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OneOfGroup {
    /// The spec's title for the group (e.g. `address_type`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// One branch must be chosen (otherwise: at most one).
    #[serde(default, skip_serializing_if = "is_false")]
    pub exactly_one: bool,
    /// The alternatives.
    pub branches: Vec<OneOfBranch>,
}

impl OneOfGroup {
    /// All keys of all branches, in order.
    pub fn all_keys(&self) -> Vec<&str> {
        self.branches
            .iter()
            .flat_map(|b| b.keys.iter().map(String::as_str))
            .collect()
    }
}

/// One alternative of a [`OneOfGroup`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OneOfBranch {
    /// The spec's title for the branch, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The property names this branch introduces (their schemas are in the parent's
    /// `properties`). Empty for a "none of the keys" branch.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keys: Vec<String>,
    /// Keys required once this branch is chosen.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub required: Vec<String>,
}

/// Writes whole-number bounds as integers (`65535`, not `65535.0`).
fn ser_bound<S: serde::Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(n) if n.fract() == 0.0 && n.abs() < 9_007_199_254_740_992.0 => {
            s.serialize_some(&(*n as i64))
        }
        Some(n) => s.serialize_some(n),
        None => s.serialize_none(),
    }
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn is_any(k: &SchemaKind) -> bool {
    *k == SchemaKind::Any
}
