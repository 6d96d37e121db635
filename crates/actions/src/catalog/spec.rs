//! The shapes of the catalog: backends, parameters, result fields, actions.

use serde::Serialize;
use serde_json::Value;

/// The kind of backend an action runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    /// A PAN-OS firewall.
    Firewall,
    /// A Panorama.
    Panorama,
    /// A Strata Cloud Manager tenant.
    Scm,
}

impl BackendKind {
    /// Lower-case name (`firewall`, `panorama`, `scm`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Firewall => "firewall",
            Self::Panorama => "panorama",
            Self::Scm => "scm",
        }
    }
}

/// The JSON type of a parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ParamType {
    /// A string.
    String,
    /// A non-negative integer (a string of digits is accepted too, for workflow references).
    Integer,
    /// `true` / `false`.
    Boolean,
    /// An array of strings (a single string is accepted as a one-element list).
    StringList,
    /// A JSON object.
    Object,
    /// An array of JSON objects.
    ObjectList,
    /// A job id: an integer (PAN-OS) or a string (SCM).
    Id,
}

/// One parameter of an action.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParamSpec {
    /// Name (SCM spelling).
    pub name: String,
    /// Type.
    #[serde(rename = "type")]
    pub ty: ParamType,
    /// Must be given.
    pub required: bool,
    /// What it means.
    pub description: String,
    /// Allowed values, when restricted.
    #[serde(rename = "enum", skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
    /// Longest accepted string, in characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_length: Option<usize>,
}

/// One field of an action's result: a stable JSON name workflows may reference
/// (`${steps.N.result.<name>}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResultField {
    /// JSON path: `status`, `items[].name` (a key of every element of the list `items`), or
    /// `*` / `items[].*` for "the object's own fields, in SCM spelling".
    pub name: String,
    /// JSON type: `string`, `integer`, `boolean`, `list`, `object`, `any`, with `|null` when
    /// it may be null.
    #[serde(rename = "type")]
    pub ty: String,
    /// What it holds (and which backends set it, when not all do).
    pub description: String,
}

impl ResultField {
    /// True when a result key at `path` (`status`, `items[].serial`) is covered by this
    /// field, either by name or by a `*` wildcard at the same level.
    pub fn covers(&self, path: &str) -> bool {
        if self.name == path {
            return true;
        }
        match (self.name.strip_suffix('*'), path.rfind(['.', ']'])) {
            (Some(prefix), Some(i)) => prefix == &path[..=i],
            (Some(prefix), None) => prefix.is_empty(),
            (None, _) => false,
        }
    }
}

/// One action: a resource, an operation, where it runs and what it takes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActionSpec {
    /// Resource (`address`, `securityRule`, `userTag`, ...).
    pub resource: String,
    /// Operation (`list`, `create`, `register`, ...).
    pub operation: String,
    /// One-line summary.
    pub summary: String,
    /// Backends that can run it.
    pub backends: Vec<BackendKind>,
    /// Parameters.
    pub params: Vec<ParamSpec>,
    /// Fields of the result (stable JSON names).
    pub results: Vec<ResultField>,
    /// PAN-OS object kind behind it (object resources only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub panos_kind: Option<String>,
    /// SCM resource behind it, when SCM has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scm_resource: Option<String>,
}

impl ActionSpec {
    /// `resource.operation`.
    pub fn qualified(&self) -> String {
        format!("{}.{}", self.resource, self.operation)
    }

    /// The parameter called `name`.
    pub fn param(&self, name: &str) -> Option<&ParamSpec> {
        self.params.iter().find(|p| p.name == name)
    }

    /// True when `kind` can run this action.
    pub fn supports(&self, kind: BackendKind) -> bool {
        self.backends.contains(&kind)
    }

    /// The result keys of `result` (top level, and `list[].key` inside lists of objects)
    /// that [`ActionSpec::results`] does not document; empty when the result matches the
    /// documentation. Tests run every result through this.
    pub fn undocumented_keys(&self, result: &Value) -> Vec<String> {
        let mut out = Vec::new();
        let Some(map) = result.as_object() else {
            return out;
        };
        for (key, value) in map {
            let covered = |path: &str| self.results.iter().any(|r| r.covers(path));
            if !covered(key) {
                out.push(key.clone());
                continue;
            }
            // Lists are checked element by element only where the documentation describes
            // their elements (`items[].name`); an object's own list fields are not.
            let described = self
                .results
                .iter()
                .any(|r| r.name.starts_with(&format!("{key}[].")));
            if let Value::Array(items) = value
                && described
            {
                for item in items.iter().filter_map(Value::as_object) {
                    for sub in item.keys() {
                        let path = format!("{key}[].{sub}");
                        if !covered(&path) && !out.contains(&path) {
                            out.push(path);
                        }
                    }
                }
            }
        }
        out
    }
}
