//! Object catalog: every PAN-OS object kind as data.
//!
//! The catalog is generated from the vendor's pan-os-codegen YAML specs (never copied into
//! this repository): for each object kind it records the xpath suffix, the locations it can
//! live in (shared, vsys, device-group, template, ...), the entry key, and a tree of fields
//! with their XML names, kinds, one-of groups and limits. Client dispatch, validation, CLI help
//! and docs all read this one description.
//!
//! [`Catalog::builtin`] is the committed, generated catalog (`crates/panos/catalog/objects.json`);
//! [`Catalog::from_spec_dir`] builds a catalog at run time from a directory of (newer) specs.
//!
//! ```
//! use panops_panos::catalog::{Catalog, LocationArgs};
//!
//! let address = Catalog::builtin().kind("address").unwrap();
//! let xpath = address.xpath(&LocationArgs::vsys("vsys1"), Some("web-1")).unwrap();
//! assert_eq!(
//!     xpath,
//!     "/config/devices/entry[@name='localhost.localdomain']/vsys/entry[@name='vsys1']/address/entry[@name='web-1']"
//! );
//! let xml = address
//!     .to_xml(&serde_json::json!({"name": "web-1", "ip-netmask": "10.0.0.1/32", "tag": ["prod"]}))
//!     .unwrap();
//! assert_eq!(
//!     xml,
//!     "<entry name=\"web-1\"><ip-netmask>10.0.0.1/32</ip-netmask><tag><member>prod</member></tag></entry>"
//! );
//! ```

mod dynamic;
mod spec;
mod xpath;

use std::collections::HashMap;
use std::path::Path;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

pub use crate::xpath::Rulebase;
pub use dynamic::{ATTRIBUTES_KEY, UNKNOWN_XML_KEY, chunk_entries};
pub use spec::SpecLoadReport;
pub use xpath::LocationArgs;

/// Version of the committed catalog format (bumped when the JSON layout changes).
pub const CATALOG_FORMAT: u32 = 1;

static BUILTIN_JSON: &str = include_str!("../catalog/objects.json");

static BUILTIN: LazyLock<Catalog> = LazyLock::new(|| {
    // The embedded file is produced by `regen-object-catalog` and checked by the test suite, so a
    // failure here is a build defect, not user input; fall back to an empty catalog rather
    // than panic in a library.
    Catalog::from_json(BUILTIN_JSON).unwrap_or_else(|_| Catalog::new(Vec::new()))
});

/// Failures of the catalog: loading specs, resolving locations, validating and decoding objects.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// A spec file or directory could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// File or directory at fault.
        path: String,
        /// Underlying error.
        source: std::io::Error,
    },
    /// A spec file is not valid YAML or lacks a required key.
    #[error("spec {path} is invalid: {reason}")]
    Spec {
        /// Spec file at fault, relative to the spec directory.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// Two spec files produced the same kind name.
    #[error("kind name {name:?} is produced by both {first} and {second}")]
    DuplicateKind {
        /// Kind name.
        name: String,
        /// First spec file.
        first: String,
        /// Second spec file.
        second: String,
    },
    /// The catalog JSON could not be decoded.
    #[error("catalog JSON is invalid: {0}")]
    CatalogJson(String),
    /// No object kind has this name.
    #[error("unknown object kind {0:?}")]
    UnknownKind(String),
    /// The kind cannot live in this location.
    #[error("object kind {kind} has no location {location:?} (known: {known})")]
    UnknownLocation {
        /// Kind name.
        kind: String,
        /// Requested location.
        location: String,
        /// Locations the kind supports, comma separated.
        known: String,
    },
    /// A required location variable (e.g. the device group) was not given.
    #[error("location {location} of {kind} needs {var}")]
    MissingLocationVar {
        /// Kind name.
        kind: String,
        /// Location name.
        location: String,
        /// Variable name.
        var: String,
    },
    /// A location variable was given that this location does not use.
    #[error("{var} is not used by location {location} of {kind} (it uses: {known})")]
    UnexpectedLocationVar {
        /// Kind name.
        kind: String,
        /// Location name.
        location: String,
        /// Variable name.
        var: String,
        /// Variables the location uses, comma separated.
        known: String,
    },
    /// A location variable has a forbidden value.
    #[error("location {location} of {kind}: {var}={value:?} is not allowed: {reason}")]
    InvalidLocationVar {
        /// Kind name.
        kind: String,
        /// Location name.
        location: String,
        /// Variable name.
        var: String,
        /// Value given.
        value: String,
        /// Why it is rejected.
        reason: String,
    },
    /// The object name is not acceptable.
    #[error("{kind}: invalid object name: {reason}")]
    InvalidName {
        /// Kind name.
        kind: String,
        /// Why it is rejected.
        reason: String,
    },
    /// The operation needs named entries but the kind is a single configuration element.
    #[error("{kind} is a single configuration element, not a list of named entries")]
    NotEntries {
        /// Kind name.
        kind: String,
    },
    /// A field value breaks a catalog rule (type, length, range, enum, pattern).
    #[error("{kind}: field {field}: {reason}")]
    InvalidField {
        /// Kind name.
        kind: String,
        /// Dotted field path.
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// A required field is missing.
    #[error("{kind}: missing required field {field}")]
    MissingField {
        /// Kind name.
        kind: String,
        /// Dotted field path.
        field: String,
    },
    /// A field name is not in the catalog for this kind.
    #[error("{kind}: unknown field {field}")]
    UnknownField {
        /// Kind name.
        kind: String,
        /// Dotted field path.
        field: String,
    },
    /// A one-of group has zero or several members set.
    #[error("{kind}: {at}exactly one of [{choices}] must be set, found {found}")]
    OneOf {
        /// Kind name.
        kind: String,
        /// Dotted path of the object holding the group (with trailing ": "), or empty.
        at: String,
        /// Members of the group.
        choices: String,
        /// Members found, or "none".
        found: String,
    },
    /// XML handed to `from_xml` could not be parsed.
    #[error("{kind}: cannot decode XML: {reason}")]
    Xml {
        /// Kind name.
        kind: String,
        /// What is wrong.
        reason: String,
    },
}

/// How instances of a kind are addressed (`terraform_provider_config.resource_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ResourceType {
    /// Named `<entry name="...">` elements in a container.
    Entry,
    /// Named entries that also carry a `uuid` attribute (policy rules).
    Uuid,
    /// A single configuration element (no entries).
    Config,
    /// Special handling (actions and the like).
    Custom,
}

/// Which kind of device a location applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Device {
    /// A firewall.
    Ngfw,
    /// A Panorama.
    Panorama,
}

/// How a location variable is rendered in the xpath.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum VarKind {
    /// `entry[@name='value']`.
    #[default]
    Entry,
    /// The value itself is an element name (e.g. `pre-rulebase`).
    Element,
}

/// A `$variable` of a location xpath.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LocationVar {
    /// Variable name as used in [`LocationArgs`] (e.g. `vsys`, `device_group`, `rulebase`).
    pub name: String,
    /// Rendering.
    #[serde(default, skip_serializing_if = "is_default")]
    pub kind: VarKind,
    /// Value used when the caller gives none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// The caller must give a value (no default).
    #[serde(default, skip_serializing_if = "is_false")]
    pub required: bool,
    /// Allowed values (empty: any).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
    /// Forbidden values (e.g. a vsys named `shared`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_values: Vec<String>,
}

/// A place where objects of a kind live, with its xpath template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Location {
    /// Location name (`shared`, `vsys`, `device-group`, `template`, `template-stack`, ...).
    pub name: String,
    /// Devices where it exists.
    pub devices: Vec<Device>,
    /// Path steps; a step starting with `$` is a variable.
    pub path: Vec<String>,
    /// Variables used by `path`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vars: Vec<LocationVar>,
    /// Objects there cannot be changed.
    #[serde(default, skip_serializing_if = "is_false")]
    pub read_only: bool,
}

/// The type of a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FieldKind {
    /// Text.
    String,
    /// 64-bit integer.
    Int,
    /// Floating point number.
    Float,
    /// `yes` / `no` in XML, boolean in JSON.
    Bool,
    /// One of [`Field::values`].
    Enum,
    /// List of strings, `<member>` elements in XML.
    Member,
    /// List of named `<entry>` elements, each an object with [`Field::fields`].
    EntryList,
    /// Nested element with [`Field::fields`].
    Object,
}

/// One field of an object kind; the JSON name is the XML element name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Field {
    /// XML (and JSON) name.
    pub name: String,
    /// Element path relative to the parent (usually just `[name]`).
    pub xpath: Vec<String>,
    /// Type.
    pub kind: FieldKind,
    /// Must be present.
    #[serde(default, skip_serializing_if = "is_false")]
    pub required: bool,
    /// Member of this one-of group of its parent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub one_of: Option<u32>,
    /// Minimum string length.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_length: Option<u64>,
    /// Maximum string length.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u64>,
    /// Minimum integer value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_value: Option<i64>,
    /// Maximum integer value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_value: Option<i64>,
    /// Allowed values (enums).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
    /// Regular expression the value must match (recorded, not enforced).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// Device default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// Rendered as an attribute of the entry (`uuid` of policy rules), not a child element.
    #[serde(default, skip_serializing_if = "is_false")]
    pub attribute: bool,
    /// Holds a secret (password, key): redact it in output.
    #[serde(default, skip_serializing_if = "is_false")]
    pub sensitive: bool,
    /// First PAN-OS version with this field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_version: Option<String>,
    /// Last PAN-OS version with this field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_version: Option<String>,
    /// Children of objects and entry lists.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<Field>,
}

/// One object kind: where it lives and what it holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObjectKind {
    /// Catalog name (e.g. `address`, `tag`, `security-rule`).
    pub name: String,
    /// The spec's own name (e.g. `Security Policy`).
    pub spec_name: String,
    /// Spec file it was generated from, relative to the spec directory.
    pub source: String,
    /// How instances are addressed.
    pub resource_type: ResourceType,
    /// Path below a location (e.g. `[address]`, `[security, rules]`).
    pub xpath_suffix: Vec<String>,
    /// Where the kind can live.
    pub locations: Vec<Location>,
    /// Name of the entry key attribute (`name`), for entry kinds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry_key: Option<String>,
    /// Maximum entry name length, when the spec states one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_max_length: Option<u64>,
    /// Top-level one-of groups that need exactly one member (PAN-OS rejects an address
    /// without a type); other groups allow at most one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub required_choices: Vec<u32>,
    /// Fields.
    pub fields: Vec<Field>,
}

/// A set of object kinds, looked up by name.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    kinds: Vec<ObjectKind>,
    by_name: HashMap<String, usize>,
}

#[derive(Serialize, Deserialize)]
struct CatalogFile {
    format: u32,
    kinds: Vec<ObjectKind>,
}

impl Catalog {
    /// Builds a catalog from kinds (sorted by name).
    pub fn new(mut kinds: Vec<ObjectKind>) -> Self {
        kinds.sort_by(|a, b| a.name.cmp(&b.name));
        let mut by_name = HashMap::new();
        for (i, kind) in kinds.iter().enumerate() {
            by_name.insert(kind.name.clone(), i);
        }
        // Aliases: the spec file stem and the spec's own name, when they do not clash.
        for (i, kind) in kinds.iter().enumerate() {
            let stem = kind
                .source
                .rsplit('/')
                .next()
                .unwrap_or(&kind.source)
                .trim_end_matches(".yaml")
                .to_string();
            for alias in [stem, kind.spec_name.clone()] {
                by_name.entry(alias).or_insert(i);
            }
        }
        Self { kinds, by_name }
    }

    /// The committed catalog generated from the vendor specs.
    pub fn builtin() -> &'static Catalog {
        &BUILTIN
    }

    /// Generates a catalog from a directory of pan-os-codegen YAML specs (recursively).
    ///
    /// Spec files that cannot be used are skipped and listed in the report; only an
    /// unreadable directory or a duplicate kind name is an error.
    pub fn from_spec_dir(dir: impl AsRef<Path>) -> Result<(Catalog, SpecLoadReport), CatalogError> {
        spec::load_dir(dir.as_ref())
    }

    /// Decodes the catalog JSON format written by [`Catalog::to_json`].
    pub fn from_json(json: &str) -> Result<Catalog, CatalogError> {
        let file: CatalogFile =
            serde_json::from_str(json).map_err(|e| CatalogError::CatalogJson(e.to_string()))?;
        if file.format != CATALOG_FORMAT {
            return Err(CatalogError::CatalogJson(format!(
                "format {} is not supported (expected {CATALOG_FORMAT})",
                file.format
            )));
        }
        Ok(Catalog::new(file.kinds))
    }

    /// Encodes the catalog as compact JSON, one kind per line (stable, diff-friendly).
    pub fn to_json(&self) -> String {
        let mut out = format!("{{\"format\":{CATALOG_FORMAT},\"kinds\":[\n");
        for (i, kind) in self.kinds.iter().enumerate() {
            if i > 0 {
                out.push_str(",\n");
            }
            // Serializing plain data structures cannot fail.
            out.push_str(&serde_json::to_string(kind).unwrap_or_default());
        }
        out.push_str("\n]}\n");
        out
    }

    /// Looks a kind up by catalog name, spec file stem or spec name.
    pub fn kind(&self, name: &str) -> Result<&ObjectKind, CatalogError> {
        self.by_name
            .get(name)
            .and_then(|&i| self.kinds.get(i))
            .ok_or_else(|| CatalogError::UnknownKind(name.to_string()))
    }

    /// All kinds, sorted by name.
    pub fn kinds(&self) -> &[ObjectKind] {
        &self.kinds
    }

    /// Number of kinds.
    pub fn len(&self) -> usize {
        self.kinds.len()
    }

    /// True when the catalog holds no kind.
    pub fn is_empty(&self) -> bool {
        self.kinds.is_empty()
    }
}

impl ObjectKind {
    /// The location called `name`, if the kind has it.
    pub fn location(&self, name: &str) -> Option<&Location> {
        self.locations.iter().find(|l| l.name == name)
    }

    /// The top-level field called `name`.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// True for kinds whose instances are named entries.
    pub fn is_entry(&self) -> bool {
        self.entry_key.is_some()
    }
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn is_default<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}
