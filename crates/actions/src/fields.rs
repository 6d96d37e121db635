//! SCM field names ↔ PAN-OS object JSON (the object catalog's XML element names).
//!
//! The rule is mechanical: `snake_case` ↔ `kebab-case` at every level, lists stay lists
//! (`<member>` in XML, handled by the object catalog). Everything the rule does not cover is
//! in [`SPECIAL_VALUES`], the one table of special cases.

use serde_json::{Map, Value};

use panops_panos::catalog::{
    ATTRIBUTES_KEY, CatalogError, Field, FieldKind, ObjectKind, UNKNOWN_XML_KEY,
};

use crate::catalog::{ActionSpec, ParamSpec, ParamType};
use crate::error::ActionError;

/// A value renamed between SCM and PAN-OS for one field of one kind:
/// `(PAN-OS kind, PAN-OS field, SCM value, PAN-OS value)`.
pub type SpecialValue = (&'static str, &'static str, &'static str, &'static str);

/// The special cases: values whose spelling differs between SCM and PAN-OS.
/// Tag colours are names in SCM (`Red`) and numbered in PAN-OS XML (`color1`).
pub const SPECIAL_VALUES: &[SpecialValue] = &[
    ("tag", "color", "Red", "color1"),
    ("tag", "color", "Green", "color2"),
    ("tag", "color", "Blue", "color3"),
    ("tag", "color", "Yellow", "color4"),
    ("tag", "color", "Copper", "color5"),
    ("tag", "color", "Orange", "color6"),
    ("tag", "color", "Purple", "color7"),
    ("tag", "color", "Gray", "color8"),
    ("tag", "color", "Light Green", "color9"),
    ("tag", "color", "Cyan", "color10"),
    ("tag", "color", "Light Gray", "color11"),
    ("tag", "color", "Blue Gray", "color12"),
    ("tag", "color", "Lime", "color13"),
    ("tag", "color", "Black", "color14"),
    ("tag", "color", "Gold", "color15"),
    ("tag", "color", "Brown", "color16"),
    ("tag", "color", "Olive", "color17"),
    ("tag", "color", "Maroon", "color19"),
    ("tag", "color", "Red-Orange", "color20"),
    ("tag", "color", "Yellow-Orange", "color21"),
    ("tag", "color", "Forest Green", "color22"),
    ("tag", "color", "Turquoise Blue", "color23"),
    ("tag", "color", "Azure Blue", "color24"),
    ("tag", "color", "Cerulean Blue", "color25"),
    ("tag", "color", "Midnight Blue", "color26"),
    ("tag", "color", "Medium Blue", "color27"),
    ("tag", "color", "Cobalt Blue", "color28"),
    ("tag", "color", "Violet Blue", "color29"),
    ("tag", "color", "Blue Violet", "color30"),
    ("tag", "color", "Medium Violet", "color31"),
    ("tag", "color", "Medium Rose", "color32"),
    ("tag", "color", "Lavender", "color33"),
    ("tag", "color", "Orchid", "color34"),
    ("tag", "color", "Thistle", "color35"),
    ("tag", "color", "Peach", "color36"),
    ("tag", "color", "Salmon", "color37"),
    ("tag", "color", "Magenta", "color38"),
    ("tag", "color", "Red Violet", "color39"),
    ("tag", "color", "Mahogany", "color40"),
    ("tag", "color", "Burnt Sienna", "color41"),
    ("tag", "color", "Chestnut", "color42"),
];

/// Parameters of object actions that are not object fields (locations and controls).
pub const CONTROL_KEYS: &[&str] = &[
    "vsys",
    "device_group",
    "folder",
    "rulebase",
    "overwrite",
    "target",
];

/// PAN-OS fields never offered as parameters (set by the device).
const HIDDEN_FIELDS: &[&str] = &["uuid"];

/// `ip-netmask` → `ip_netmask`.
pub fn to_scm_name(panos: &str) -> String {
    panos.replace('-', "_")
}

/// `ip_netmask` → `ip-netmask`.
pub fn to_panos_name(scm: &str) -> String {
    scm.replace('_', "-")
}

/// Parameters for the top-level fields of a PAN-OS object kind, in SCM spelling.
pub fn object_params(kind: &ObjectKind) -> Vec<ParamSpec> {
    kind.fields
        .iter()
        .filter(|f| !HIDDEN_FIELDS.contains(&f.name.as_str()))
        .map(|f| {
            let ty = match f.kind {
                FieldKind::String | FieldKind::Enum | FieldKind::Float => ParamType::String,
                FieldKind::Int => ParamType::Integer,
                FieldKind::Bool => ParamType::Boolean,
                FieldKind::Member => ParamType::StringList,
                FieldKind::EntryList => ParamType::ObjectList,
                FieldKind::Object => ParamType::Object,
            };
            let mut description = describe_field(f);
            if let Some(group) = f.one_of {
                let peers: Vec<String> = kind
                    .fields
                    .iter()
                    .filter(|o| o.one_of == Some(group))
                    .map(|o| to_scm_name(&o.name))
                    .collect();
                description.push_str(&format!(" (one of: {})", peers.join(" | ")));
            }
            // Enum values are documented, not put in `enum`: the object catalog checks them
            // and accepts both spellings of the special values (Red / color1).
            if f.kind == FieldKind::Enum && !f.values.is_empty() {
                let values: Vec<&str> = f
                    .values
                    .iter()
                    .map(|v| special_to_scm(&kind.name, &f.name, v).unwrap_or(v))
                    .collect();
                description.push_str(&format!("; values: {}", values.join(", ")));
            }
            ParamSpec {
                name: to_scm_name(&f.name),
                ty,
                required: false,
                description,
                values: Vec::new(),
                max_length: match f.kind {
                    FieldKind::String => f.max_length.and_then(|m| usize::try_from(m).ok()),
                    _ => None,
                },
            }
        })
        .collect()
}

fn describe_field(f: &Field) -> String {
    let kind = match f.kind {
        FieldKind::String => "text",
        FieldKind::Int => "integer",
        FieldKind::Float => "number",
        FieldKind::Bool => "boolean",
        FieldKind::Enum => "choice",
        FieldKind::Member => "list of names",
        FieldKind::EntryList => "list of entries",
        FieldKind::Object => "object",
    };
    let mut s = kind.to_string();
    if !f.fields.is_empty() {
        let subs: Vec<String> = f.fields.iter().map(|c| to_scm_name(&c.name)).collect();
        s.push_str(&format!(" with {}", subs.join(", ")));
    }
    if let Some(max) = f.max_length {
        s.push_str(&format!(", at most {max} characters"));
    }
    s
}

fn special_to_panos(kind: &str, field: &str, value: &str) -> Option<&'static str> {
    SPECIAL_VALUES
        .iter()
        .find(|(k, f, scm, _)| *k == kind && *f == field && scm.eq_ignore_ascii_case(value))
        .map(|(_, _, _, panos)| *panos)
}

fn special_to_scm(kind: &str, field: &str, value: &str) -> Option<&'static str> {
    SPECIAL_VALUES
        .iter()
        .find(|(k, f, _, panos)| *k == kind && *f == field && *panos == value)
        .map(|(_, _, scm, _)| *scm)
}

/// The object fields of `params` (control keys removed), renamed to PAN-OS JSON.
pub fn params_to_panos(kind: &ObjectKind, params: &Map<String, Value>) -> Value {
    let mut out = Map::new();
    for (k, v) in params {
        if CONTROL_KEYS.contains(&k.as_str()) || v.is_null() {
            continue;
        }
        let name = if k == "name" {
            k.clone()
        } else {
            to_panos_name(k)
        };
        let value = match v {
            Value::String(s) => match special_to_panos(&kind.name, &name, s) {
                Some(p) => Value::String(p.to_string()),
                None => v.clone(),
            },
            other => rename_keys(other, &to_panos_name),
        };
        out.insert(name, value);
    }
    Value::Object(out)
}

/// The object fields of `params` for SCM (control keys removed, names unchanged).
pub fn params_to_scm(params: &Map<String, Value>) -> Map<String, Value> {
    params
        .iter()
        .filter(|(k, v)| !CONTROL_KEYS.contains(&k.as_str()) && !v.is_null())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// A decoded PAN-OS object as SCM-named JSON (device bookkeeping attributes dropped).
pub fn panos_to_scm(kind: &ObjectKind, value: &Value) -> Value {
    let Value::Object(map) = value else {
        return value.clone();
    };
    let mut out = Map::new();
    for (k, v) in map {
        if k == ATTRIBUTES_KEY || k == UNKNOWN_XML_KEY {
            continue;
        }
        let v = match v {
            Value::String(s) => special_to_scm(&kind.name, k, s)
                .map(|x| Value::String(x.to_string()))
                .unwrap_or_else(|| v.clone()),
            other => rename_keys(other, &to_scm_name),
        };
        out.insert(to_scm_name(k), v);
    }
    Value::Object(out)
}

/// Drops what the device adds (attributes, unknown XML, uuid) so two objects compare by content.
pub fn comparable(value: &Value) -> Value {
    let Value::Object(map) = value else {
        return value.clone();
    };
    Value::Object(
        map.iter()
            .filter(|(k, _)| !matches!(k.as_str(), ATTRIBUTES_KEY | UNKNOWN_XML_KEY | "uuid"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    )
}

fn rename_keys(v: &Value, f: &dyn Fn(&str) -> String) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| {
                    let key = if k == "name" { k.clone() } else { f(k) };
                    (key, rename_keys(v, f))
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(|x| rename_keys(x, f)).collect()),
        other => other.clone(),
    }
}

/// Longest dynamic user group filter PAN-OS and SCM accept.
const MAX_FILTER: usize = 2047;

/// A dynamic user group's `tags` + `match` turned into its `filter`: `['a', 'b']` with
/// `match: any` is `'a' or 'b'` (`all`: `'a' and 'b'`). A tag holding `'` is quoted with `"`.
/// A raw `filter` is kept; giving both is an error. `create` needs one of them.
pub fn filter_from_tags(
    params: &Map<String, Value>,
    create: bool,
) -> Result<Map<String, Value>, ActionError> {
    let mut out = params.clone();
    let tags = out.remove("tags").filter(|v| !v.is_null());
    let mode = out.remove("match").filter(|v| !v.is_null());
    let has_filter = out.get("filter").is_some_and(|v| !v.is_null());
    let Some(tags) = tags else {
        if mode.is_some() {
            return Err(ActionError::invalid(
                "match",
                "only applies with tags (the filter is built from them)",
            ));
        }
        if create && !has_filter {
            return Err(ActionError::invalid(
                "filter",
                "is required: give filter (e.g. 'ioc' or 'risky') or tags to build it from",
            ));
        }
        return Ok(out);
    };
    if has_filter {
        return Err(ActionError::invalid(
            "tags",
            "give either tags (the filter is built from them) or filter, not both",
        ));
    }
    let list: Vec<&str> = match &tags {
        Value::String(s) => vec![s.as_str()],
        Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if list.is_empty() {
        return Err(ActionError::invalid("tags", "must hold at least one tag"));
    }
    let mut quoted = Vec::with_capacity(list.len());
    for (i, tag) in list.iter().enumerate() {
        let field = || format!("tags[{i}]");
        if tag.trim().is_empty() {
            return Err(ActionError::invalid(field(), "must not be empty"));
        }
        quoted.push(match (tag.contains('\''), tag.contains('"')) {
            (false, _) => format!("'{tag}'"),
            (true, false) => format!("\"{tag}\""),
            (true, true) => {
                return Err(ActionError::invalid(
                    field(),
                    format!("{tag:?} holds both ' and \" and cannot be quoted in a filter"),
                ));
            }
        });
    }
    let joiner = match mode.as_ref().and_then(Value::as_str) {
        Some("all") => " and ",
        _ => " or ",
    };
    let filter = quoted.join(joiner);
    if filter.len() > MAX_FILTER {
        return Err(ActionError::invalid(
            "tags",
            format!(
                "the filter built from them is {} characters, more than {MAX_FILTER}",
                filter.len()
            ),
        ));
    }
    out.insert("filter".into(), Value::String(filter));
    Ok(out)
}

/// The format a parameter's value must have, by what the value is. Every action's values are
/// checked against these on the PAN-OS and SCM backends alike ([`check_values`]) before
/// anything is sent, so a bad port or address is refused the same way everywhere, with the
/// field named, instead of by whichever device happens to receive it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueFormat {
    /// An object name as PAN-OS and SCM accept it: 1 to N characters of letters, digits,
    /// space, `_`, `-`, `.`, starting with a letter, digit or `_`.
    ObjectName(usize),
    /// A looser name (tags, users, zones, applications, vsys, folders): 1 to N characters,
    /// no control characters.
    Name(usize),
    /// Each element of a list (or the single string given for it) is a [`ValueFormat::Name`]
    /// of at most N characters; the error names `field[i]`.
    Names(usize),
    /// One IPv4 or IPv6 address, without a prefix length.
    IpAddress,
    /// Each element of a list (or the single string) is an [`ValueFormat::IpAddress`].
    IpAddresses,
    /// An address with an optional prefix length (`10.0.0.0/24`).
    IpNetmask,
    /// `FIRST-LAST`, same family, first ≤ last.
    IpRange,
    /// IPv4 `ADDRESS/WILDCARD-MASK`.
    IpWildcard,
    /// A host name: the SCM pattern `^[a-zA-Z0-9_]([a-zA-Z0-9._-])+[a-zA-Z0-9]$`, at most
    /// 255 characters, no empty label.
    Fqdn,
    /// A TCP/UDP port number, 0 to 65535.
    Port,
    /// A service port list: `80`, `80,443`, `8000-8080`, comma separated, each 0 to 65535,
    /// ranges low to high, no spaces.
    PortList,
    /// An IP protocol number, 1 to 255.
    IpProtocol,
    /// A custom URL category entry (`www.example.com/path`, `*.example.com`): 1 to 255
    /// characters without spaces or control characters.
    UrlEntries,
    /// A dynamic address / user group filter: quoted or bare tags joined by `and` / `or`,
    /// optional `not`, balanced parentheses, at most 2047 characters.
    TagFilter,
    /// A User-ID tag timeout in seconds, 0 (never) to 2592000 (30 days).
    TagTimeout,
    /// A wait in seconds, 0 (look once, then report a timeout with the job id) to 604800
    /// (a week: a longer wait is a typo, not a job).
    WaitSeconds,
    /// A session id, 1 or more.
    SessionId,
    /// Each element of a list is a firewall serial number (1-32 letters or digits).
    Serials,
    /// A firewall serial number.
    Serial,
    /// Exactly one of these strings.
    OneOf(&'static [&'static str]),
    /// Free text of at most N characters (may be empty).
    Text(usize),
}

/// Which parameter has which format: `(resource, parameter path, format)`, `*` for every
/// resource; a path `a.b.c` is a nested object field. The first matching row wins, so
/// specific rows come before the `*` ones.
pub const VALUE_FORMATS: &[(&str, &str, ValueFormat)] = {
    use ValueFormat::*;
    &[
        // Names of the objects themselves (the catalog's max_length is checked as well).
        ("tag", "name", Name(127)),
        ("userGroup", "name", Name(1023)),
        ("deviceGroup", "name", Name(31)),
        ("userTag", "user", Name(255)),
        ("userTag", "tags", Names(127)),
        ("ipTag", "tags", Names(127)),
        ("ipTag", "tag", Name(127)),
        ("ipTag", "ip", IpAddresses),
        ("userTag", "timeout", TagTimeout),
        ("ipTag", "timeout", TagTimeout),
        ("session", "source", IpAddress),
        ("session", "destination", IpAddress),
        ("session", "destination_port", Port),
        ("session", "protocol", IpProtocol),
        ("session", "id", SessionId),
        ("session", "application", Name(63)),
        ("session", "rule", Name(63)),
        ("session", "from", Name(31)),
        ("session", "to", Name(31)),
        ("address", "ip_netmask", IpNetmask),
        ("address", "ip_range", IpRange),
        ("address", "ip_wildcard", IpWildcard),
        ("address", "fqdn", Fqdn),
        ("address", "names", Names(63)),
        ("addressGroup", "static", Names(63)),
        ("addressGroup", "dynamic.filter", TagFilter),
        ("dynamicUserGroup", "filter", TagFilter),
        ("dynamicUserGroup", "tags", Names(127)),
        ("service", "protocol.tcp.port", PortList),
        ("service", "protocol.tcp.source_port", PortList),
        ("service", "protocol.udp.port", PortList),
        ("service", "protocol.udp.source_port", PortList),
        ("serviceGroup", "members", Names(63)),
        ("securityRule", "destination_rule", ObjectName(63)),
        ("securityRule", "from", Names(31)),
        ("securityRule", "to", Names(31)),
        ("securityRule", "source", Names(63)),
        ("securityRule", "destination", Names(63)),
        ("securityRule", "application", Names(63)),
        ("securityRule", "service", Names(63)),
        ("securityRule", "category", Names(63)),
        ("securityRule", "source_user", Names(1023)),
        ("urlCategory", "list", UrlEntries),
        (
            "urlCategory",
            "type",
            OneOf(&["URL List", "Category Match"]),
        ),
        ("urlFilteringProfile", "alert", Names(63)),
        ("urlFilteringProfile", "allow", Names(63)),
        ("urlFilteringProfile", "block", Names(63)),
        ("urlFilteringProfile", "continue", Names(63)),
        ("urlFilteringProfile", "override", Names(63)),
        ("deviceGroup", "devices", Serials),
        ("config", "devices", Serials),
        // `target` is the serial of a firewall behind Panorama (a rule's `target` is an object).
        ("userAttribute", "target", Serial),
        ("userGroup", "target", Serial),
        ("userTag", "target", Serial),
        ("ipTag", "target", Serial),
        ("session", "target", Serial),
        ("systemInfo", "target", Serial),
        ("config", "device_group", Name(63)),
        ("config", "template", Name(63)),
        ("config", "template_stack", Name(63)),
        ("config", "folders", Names(64)),
        ("config", "folder", Name(64)),
        // PAN-OS refuses a commit / push description over 512 characters.
        ("config", "description", Text(512)),
        // Every resource.
        ("*", "name", ObjectName(63)),
        ("*", "tag", Names(127)),
        ("*", "timeout_secs", WaitSeconds),
        ("*", "vsys", Name(31)),
        ("*", "device_group", Name(63)),
        ("*", "folder", Name(64)),
    ]
};

/// The format of `path` in actions on `resource`, if it has one.
pub fn value_format(resource: &str, path: &str) -> Option<ValueFormat> {
    VALUE_FORMATS
        .iter()
        .find(|(r, p, _)| (*r == resource || *r == "*") && *p == path)
        .map(|(_, _, f)| *f)
}

/// Checks every value of `params` that has a [`ValueFormat`] for `spec`'s resource.
/// Values for which `deferred` is true (workflow references not resolved yet) are skipped;
/// they are checked when the step runs. The error names the parameter (`tags[1]`,
/// `protocol.tcp.port`) and what would be accepted.
pub fn check_values(
    spec: &ActionSpec,
    params: &Value,
    deferred: &dyn Fn(&Value) -> bool,
) -> Result<(), ActionError> {
    let Value::Object(map) = params else {
        return Ok(());
    };
    check_map(&spec.resource, "", map, deferred)?;
    // Bulk creation: every object is checked as the single-object action would check it.
    if spec.resource == "address"
        && let Some(Value::Array(objects)) = map.get("objects")
    {
        for (i, object) in objects.iter().enumerate() {
            if let Value::Object(m) = object {
                check_map("address", &format!("objects[{i}]."), m, deferred)?;
            }
        }
    }
    Ok(())
}

/// [`check_values`] on one object, the field names prefixed with `prefix`.
fn check_map(
    resource: &str,
    prefix: &str,
    map: &Map<String, Value>,
    deferred: &dyn Fn(&Value) -> bool,
) -> Result<(), ActionError> {
    check_choices(resource, prefix, map)?;
    let mut seen: Vec<&str> = Vec::new();
    for (row_resource, path, format) in VALUE_FORMATS {
        // Resource rows come first: the first row for a path decides its format.
        if (*row_resource != "*" && *row_resource != resource) || seen.contains(path) {
            continue;
        }
        seen.push(path);
        let mut value = None;
        let mut at: Option<&Map<String, Value>> = Some(map);
        let parts: Vec<&str> = path.split('.').collect();
        for (i, part) in parts.iter().enumerate() {
            let Some(m) = at else { break };
            match m.get(*part) {
                Some(v) if i + 1 == parts.len() => value = Some(v),
                Some(Value::Object(inner)) => at = Some(inner),
                _ => at = None,
            }
        }
        match value {
            None | Some(Value::Null) => {}
            Some(v) if deferred(v) => {}
            Some(v) => check_value(&format!("{prefix}{path}"), *format, v)?,
        }
    }
    Ok(())
}

fn panos_err(e: panops_panos::Error) -> ActionError {
    match e {
        panops_panos::Error::Invalid { field, reason } => ActionError::invalid(field, reason),
        other => ActionError::invalid("parameters", other.to_string()),
    }
}

/// The integer in `v` (a JSON number or a string of digits, as workflow references give).
fn integer(field: &str, v: &Value) -> Result<u64, ActionError> {
    match v {
        Value::Number(n) if n.is_u64() => Ok(n.as_u64().unwrap_or(0)),
        Value::String(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => s
            .parse()
            .map_err(|_| ActionError::invalid(field, format!("{s} is too large"))),
        other => Err(ActionError::invalid(
            field,
            format!(
                "must be a non-negative integer, got {}",
                crate::catalog::type_name(other)
            ),
        )),
    }
}

fn in_range(field: &str, n: u64, min: u64, max: u64, what: &str) -> Result<(), ActionError> {
    if n < min || n > max {
        return Err(ActionError::invalid(
            field,
            format!("{n} is not {what} ({min} to {max})"),
        ));
    }
    Ok(())
}

/// The strings of a list parameter (a single string counts as a one-element list), each
/// with the field name to report.
fn elements<'a>(field: &str, v: &'a Value) -> Result<Vec<(String, &'a str)>, ActionError> {
    match v {
        Value::String(s) => Ok(vec![(field.to_string(), s.as_str())]),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, item)| match item {
                Value::String(s) => Ok((format!("{field}[{i}]"), s.as_str())),
                other => Err(ActionError::invalid(
                    format!("{field}[{i}]"),
                    format!("must be a string, got {}", crate::catalog::type_name(other)),
                )),
            })
            .collect(),
        other => Err(ActionError::invalid(
            field,
            format!(
                "must be a string or a list of strings, got {}",
                crate::catalog::type_name(other)
            ),
        )),
    }
}

fn string<'a>(field: &str, v: &'a Value) -> Result<&'a str, ActionError> {
    v.as_str().ok_or_else(|| {
        ActionError::invalid(
            field,
            format!("must be a string, got {}", crate::catalog::type_name(v)),
        )
    })
}

/// Checks one value against its format (see [`ValueFormat`] for each rule).
pub fn check_value(field: &str, format: ValueFormat, v: &Value) -> Result<(), ActionError> {
    use ValueFormat as F;
    use panops_panos::validate;
    match format {
        F::ObjectName(max) => {
            let s = string(field, v)?;
            validate::object_name(field, s).map_err(panos_err)?;
            loose_name(field, s, max)
        }
        F::Name(max) => loose_name(field, string(field, v)?, max),
        F::Names(max) => {
            for (f, s) in elements(field, v)? {
                loose_name(&f, s, max)?;
            }
            Ok(())
        }
        F::IpAddress => ip_address(field, string(field, v)?),
        F::IpAddresses => {
            for (f, s) in elements(field, v)? {
                ip_address(&f, s)?;
            }
            Ok(())
        }
        F::IpNetmask => validate::ip_netmask(field, string(field, v)?).map_err(panos_err),
        F::IpRange => validate::ip_range(field, string(field, v)?).map_err(panos_err),
        F::IpWildcard => validate::ip_wildcard(field, string(field, v)?).map_err(panos_err),
        F::Fqdn => fqdn(field, string(field, v)?),
        F::Port => in_range(field, integer(field, v)?, 0, 65535, "a port number"),
        F::PortList => port_list(field, string(field, v)?),
        F::IpProtocol => in_range(field, integer(field, v)?, 1, 255, "an IP protocol number"),
        F::UrlEntries => {
            for (f, s) in elements(field, v)? {
                url_entry(&f, s)?;
            }
            Ok(())
        }
        F::TagFilter => tag_filter(field, string(field, v)?),
        F::TagTimeout => in_range(
            field,
            integer(field, v)?,
            0,
            u64::from(panops_panos::userid::MAX_TAG_TIMEOUT),
            "a tag timeout in seconds",
        ),
        F::WaitSeconds => in_range(field, integer(field, v)?, 0, 604_800, "a wait in seconds"),
        F::SessionId => in_range(field, integer(field, v)?, 1, u64::MAX, "a session id"),
        F::Serial => validate::serial(field, string(field, v)?).map_err(panos_err),
        F::Serials => {
            for (f, s) in elements(field, v)? {
                validate::serial(&f, s).map_err(panos_err)?;
            }
            Ok(())
        }
        F::Text(max) => {
            let n = string(field, v)?.chars().count();
            if n > max {
                return Err(ActionError::invalid(
                    field,
                    format!("is {n} characters, at most {max} allowed"),
                ));
            }
            Ok(())
        }
        F::OneOf(values) => {
            let s = string(field, v)?;
            if values.contains(&s) {
                Ok(())
            } else {
                Err(ActionError::invalid(
                    field,
                    format!("{s:?} is not one of {}", values.join(", ")),
                ))
            }
        }
    }
}

/// The choice fields of an object (`action`, `rule_type`, `color`, `disable_override`):
/// one of the PAN-OS object catalog's values, or its SCM spelling (`Red` for `color1`), on
/// both backends; SCM would otherwise take a PAN-OS spelling it does not know, and the
/// reverse.
fn check_choices(
    resource: &str,
    prefix: &str,
    map: &Map<String, Value>,
) -> Result<(), ActionError> {
    let Some(kind) = crate::catalog::object_resource(resource).and_then(|o| {
        panops_panos::catalog::Catalog::builtin()
            .kind(o.panos_kind)
            .ok()
    }) else {
        return Ok(());
    };
    for f in kind
        .fields
        .iter()
        .filter(|f| f.kind == FieldKind::Enum && !f.values.is_empty())
    {
        let name = to_scm_name(&f.name);
        let Some(v) = map.get(&name).filter(|v| !v.is_null()) else {
            continue;
        };
        let field = format!("{prefix}{name}");
        let s = string(&field, v)?;
        let known =
            f.values.iter().any(|x| x == s) || special_to_panos(&kind.name, &f.name, s).is_some();
        if !known {
            let values: Vec<&str> = f
                .values
                .iter()
                .map(|x| special_to_scm(&kind.name, &f.name, x).unwrap_or(x))
                .collect();
            return Err(ActionError::invalid(
                field,
                format!("{s:?} is not one of {}", values.join(", ")),
            ));
        }
    }
    Ok(())
}

fn loose_name(field: &str, s: &str, max: usize) -> Result<(), ActionError> {
    if s.trim().is_empty() {
        return Err(ActionError::invalid(field, "must not be empty"));
    }
    panops_panos::validate::name(field, s, max).map_err(panos_err)
}

fn ip_address(field: &str, s: &str) -> Result<(), ActionError> {
    s.parse::<std::net::IpAddr>().map(|_| ()).map_err(|_| {
        ActionError::invalid(
            field,
            format!("{s:?} is not an IP address (expected e.g. 10.0.0.1 or 2001:db8::1)"),
        )
    })
}

fn fqdn(field: &str, s: &str) -> Result<(), ActionError> {
    let bytes = s.as_bytes();
    let chars_ok = bytes.len() >= 3
        && bytes.len() <= 255
        && (bytes[0].is_ascii_alphanumeric() || bytes[0] == b'_')
        && bytes[bytes.len() - 1].is_ascii_alphanumeric()
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if !chars_ok || s.contains("..") {
        return Err(ActionError::invalid(
            field,
            format!(
                "{s:?} is not a host name (3-255 letters, digits, '.', '_', '-', starting with a \
                 letter, digit or '_' and ending with a letter or digit, e.g. www.example.com)"
            ),
        ));
    }
    Ok(())
}

fn port_list(field: &str, s: &str) -> Result<(), ActionError> {
    let bad = |why: String| {
        ActionError::invalid(
            field,
            format!("{s:?}: {why} (expected ports 0-65535 as 80, 80,443 or 8000-8080)"),
        )
    };
    if s.is_empty() {
        return Err(bad("is empty".into()));
    }
    if s.len() > 1023 {
        return Err(bad(format!("is {} characters, at most 1023", s.len())));
    }
    let port = |p: &str| -> Result<u32, ActionError> {
        if p.is_empty() || p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad(format!("{p:?} is not a port number")));
        }
        let n: u32 = p
            .parse()
            .map_err(|_| bad(format!("{p:?} is not a port number")))?;
        if n > 65535 {
            return Err(bad(format!("{n} is more than 65535")));
        }
        Ok(n)
    };
    for item in s.split(',') {
        match item.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (port(a)?, port(b)?);
                if a > b {
                    return Err(bad(format!("range {item} ends before it starts")));
                }
            }
            None => {
                port(item)?;
            }
        }
    }
    Ok(())
}

fn url_entry(field: &str, s: &str) -> Result<(), ActionError> {
    if s.is_empty() {
        return Err(ActionError::invalid(field, "must not be empty"));
    }
    let len = s.chars().count();
    if len > 255 {
        return Err(ActionError::invalid(
            field,
            format!("is {len} characters, at most 255 allowed"),
        ));
    }
    if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(ActionError::invalid(
            field,
            format!(
                "{s:?} holds a space or control character; a URL entry is e.g. www.example.com/path"
            ),
        ));
    }
    Ok(())
}

/// A dynamic group filter: `term (and|or term)*`, `term := [not] (TAG | '(' filter ')')`,
/// where a tag is `'quoted'`, `"quoted"` or a bare word. Matches the device's evaluation
/// (and the simulator's): anything else matches nothing there, so it is refused here.
fn tag_filter(field: &str, s: &str) -> Result<(), ActionError> {
    #[derive(PartialEq)]
    enum T {
        Tag,
        Op,
        Not,
        Open,
        Close,
    }
    let bad = |why: &str| {
        ActionError::invalid(
            field,
            format!(
                "{s:?} is not a tag filter: {why} (expected e.g. 'ioc' or ('risky' and 'vpn'))"
            ),
        )
    };
    if s.trim().is_empty() {
        return Err(bad("it is empty"));
    }
    if s.len() > MAX_FILTER {
        return Err(bad(&format!(
            "it is {} characters, at most {MAX_FILTER}",
            s.len()
        )));
    }
    let mut toks = Vec::new();
    let mut it = s.chars().peekable();
    while let Some(&c) = it.peek() {
        match c {
            c if c.is_whitespace() => {
                it.next();
            }
            '(' | ')' => {
                it.next();
                toks.push(if c == '(' { T::Open } else { T::Close });
            }
            '\'' | '"' => {
                it.next();
                let mut tag = String::new();
                let mut closed = false;
                for ch in it.by_ref() {
                    if ch == c {
                        closed = true;
                        break;
                    }
                    tag.push(ch);
                }
                if !closed {
                    return Err(bad("a quote is not closed"));
                }
                if tag.trim().is_empty() {
                    return Err(bad("a quoted tag is empty"));
                }
                toks.push(T::Tag);
            }
            _ => {
                let mut w = String::new();
                while let Some(&ch) = it.peek() {
                    if ch.is_whitespace() || matches!(ch, '(' | ')' | '\'' | '"') {
                        break;
                    }
                    w.push(ch);
                    it.next();
                }
                toks.push(match w.to_ascii_lowercase().as_str() {
                    "and" | "or" => T::Op,
                    "not" => T::Not,
                    _ => T::Tag,
                });
            }
        }
    }
    // `expect_term`: a tag, `not` or `(` must come next (start, after an operator, `not`, `(`).
    let mut expect_term = true;
    let mut depth = 0usize;
    for t in &toks {
        match (t, expect_term) {
            (T::Tag, true) => expect_term = false,
            (T::Not | T::Open, true) => {
                if *t == T::Open {
                    depth += 1;
                }
            }
            (T::Op, false) => expect_term = true,
            (T::Close, false) => {
                depth = depth
                    .checked_sub(1)
                    .ok_or_else(|| bad("a ')' has no matching '('"))?;
            }
            (T::Tag | T::Not | T::Open, false) => {
                return Err(bad("two tags need 'and' or 'or' between them"));
            }
            (T::Op, true) => return Err(bad("'and' / 'or' needs a tag before it")),
            (T::Close, true) => return Err(bad("a tag is missing before ')'")),
        }
    }
    if expect_term {
        return Err(bad("it ends without a tag"));
    }
    if depth > 0 {
        return Err(bad("a '(' is not closed"));
    }
    Ok(())
}

/// A catalog error as an action error naming the SCM field.
pub fn catalog_error(e: CatalogError) -> ActionError {
    match e {
        CatalogError::InvalidField { field, reason, .. } => {
            ActionError::invalid(to_scm_name(&field), reason)
        }
        CatalogError::MissingField { field, .. } => {
            ActionError::invalid(to_scm_name(&field), "is required")
        }
        CatalogError::UnknownField { field, kind } => {
            ActionError::invalid(to_scm_name(&field), format!("is not a field of {kind}"))
        }
        CatalogError::OneOf {
            at, choices, found, ..
        } => {
            let field = at.trim_end_matches(": ").to_string();
            ActionError::invalid(
                if field.is_empty() {
                    to_scm_name(choices.split(", ").next().unwrap_or(""))
                } else {
                    to_scm_name(&field)
                },
                format!(
                    "exactly one of [{}] must be set, found {}",
                    to_scm_name(&choices),
                    to_scm_name(&found)
                ),
            )
        }
        CatalogError::InvalidName { reason, .. } => ActionError::invalid("name", reason),
        other => ActionError::invalid("parameters", other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use panops_panos::catalog::Catalog;
    use serde_json::json;

    #[test]
    fn scm_names_map_to_xml_through_the_catalog() {
        let kind = Catalog::builtin().kind("security-rule").unwrap();
        let params = json!({
            "name": "r1", "from": ["any"], "to": ["any"], "source_user": ["any"],
            "profile_setting": {"group": ["default"]}, "disabled": false,
            "device_group": "dg", "rulebase": "pre"
        });
        let panos = params_to_panos(kind, params.as_object().unwrap());
        let xml = kind.to_xml(&panos).unwrap();
        assert!(
            xml.contains("<source-user><member>any</member></source-user>"),
            "{xml}"
        );
        assert!(
            xml.contains(
                "<profile-setting><group><member>default</member></group></profile-setting>"
            ),
            "{xml}"
        );
        assert!(!xml.contains("device"), "{xml}");
        let back = panos_to_scm(kind, &kind.from_xml(&xml).unwrap());
        assert_eq!(back["profile_setting"]["group"], json!(["default"]));
        assert_eq!(back["source_user"], json!(["any"]));
    }

    #[test]
    fn tag_colours_use_scm_names() {
        let kind = Catalog::builtin().kind("tag").unwrap();
        let panos = params_to_panos(
            kind,
            json!({"name": "t", "color": "Red"}).as_object().unwrap(),
        );
        assert_eq!(panos["color"], "color1");
        assert_eq!(panos_to_scm(kind, &panos)["color"], "Red");
        let panos = params_to_panos(
            kind,
            json!({"name": "t", "color": "color3"}).as_object().unwrap(),
        );
        assert_eq!(panos["color"], "color3");
    }

    #[test]
    fn dynamic_user_group_filter_from_tags() {
        let build = |v: Value, create: bool| {
            filter_from_tags(v.as_object().unwrap(), create).map(Value::Object)
        };
        let got = build(json!({"name": "g", "tags": ["ioc", "risky user"]}), true).unwrap();
        assert_eq!(got, json!({"name": "g", "filter": "'ioc' or 'risky user'"}));
        let got = build(
            json!({"name": "g", "tags": ["a", "b"], "match": "all"}),
            true,
        )
        .unwrap();
        assert_eq!(got["filter"], "'a' and 'b'");
        let got = build(json!({"name": "g", "tags": "it's"}), true).unwrap();
        assert_eq!(got["filter"], "\"it's\"");
        let raw = build(json!({"name": "g", "filter": "'x' or 'y'"}), true).unwrap();
        assert_eq!(raw["filter"], "'x' or 'y'");
        assert_eq!(
            build(json!({"name": "g", "description": "d"}), false).unwrap(),
            json!({"name": "g", "description": "d"})
        );
        let field =
            |v: Value, create: bool| build(v, create).unwrap_err().field().map(str::to_string);
        assert_eq!(
            field(json!({"name": "g", "tags": ["a"], "filter": "'a'"}), true).as_deref(),
            Some("tags")
        );
        assert_eq!(field(json!({"name": "g"}), true).as_deref(), Some("filter"));
        assert_eq!(
            field(json!({"name": "g", "tags": []}), true).as_deref(),
            Some("tags")
        );
        assert_eq!(
            field(json!({"name": "g", "tags": ["a", " "]}), true).as_deref(),
            Some("tags[1]")
        );
        assert_eq!(
            field(json!({"name": "g", "tags": ["a'\""]}), true).as_deref(),
            Some("tags[0]")
        );
        assert_eq!(
            field(json!({"name": "g", "filter": "'a'", "match": "all"}), true).as_deref(),
            Some("match")
        );
        let long: Vec<String> = (0..300).map(|i| format!("tag-{i:04}")).collect();
        assert_eq!(
            field(json!({"name": "g", "tags": long}), true).as_deref(),
            Some("tags")
        );
    }

    #[test]
    fn catalog_errors_name_the_scm_field() {
        let kind = Catalog::builtin().kind("address").unwrap();
        let panos = params_to_panos(
            kind,
            json!({"name": "a", "ip_netmask": "1.1.1.1", "fqdn": "x.com"})
                .as_object()
                .unwrap(),
        );
        let e = catalog_error(kind.to_xml(&panos).unwrap_err());
        assert_eq!(e.code(), "invalid_parameter");
        assert!(e.message().contains("ip_netmask"), "{e}");
    }

    /// `check_value` as ok / the field it names.
    fn verdict(format: ValueFormat, v: Value) -> Result<(), String> {
        check_value("f", format, &v).map_err(|e| e.field().unwrap_or_default().to_string())
    }

    #[test]
    fn every_format_row_names_a_parameter_of_its_resource() {
        // A row for a parameter that does not exist would check nothing: a typo here must
        // fail, not silently weaken validation.
        for (resource, path, _) in VALUE_FORMATS {
            let root = path.split('.').next().unwrap();
            let known = crate::catalog::catalog()
                .iter()
                .filter(|a| *resource == "*" || a.resource == *resource)
                .any(|a| a.param(root).is_some());
            assert!(known, "{resource}.{path} is not a parameter of any action");
        }
    }

    #[test]
    fn format_examples() {
        use ValueFormat as F;
        let ok = |f, v: Value| assert!(verdict(f, v.clone()).is_ok(), "{f:?} {v}");
        let bad = |f, v: Value, field: &str| {
            assert_eq!(verdict(f, v.clone()), Err(field.to_string()), "{f:?} {v}")
        };
        ok(F::PortList, json!("80"));
        ok(F::PortList, json!("0,80,443,8000-8080,65535"));
        bad(F::PortList, json!(""), "f");
        bad(F::PortList, json!("80,"), "f");
        bad(F::PortList, json!("80-"), "f");
        bad(F::PortList, json!("+80"), "f");
        bad(F::PortList, json!("80 ,443"), "f");
        ok(F::Fqdn, json!("www.example.com"));
        ok(F::Fqdn, json!("_srv.example.com"));
        bad(F::Fqdn, json!("ab"), "f");
        bad(F::Fqdn, json!("-a.example"), "f");
        bad(F::Fqdn, json!("a.example."), "f");
        bad(F::Fqdn, json!("a..example"), "f");
        ok(F::TagFilter, json!("'ioc'"));
        ok(F::TagFilter, json!("'a' and ('b' or \"c d\") and not e"));
        ok(F::TagFilter, json!("(((x)))"));
        for f in [
            "",
            "and",
            "'a' or",
            "('a'",
            "'a')",
            "'a' 'b'",
            "''",
            "not",
            "() ",
            "'a' and or 'b'",
        ] {
            bad(F::TagFilter, json!(f), "f");
        }
        ok(F::Names(3), json!("abc"));
        ok(F::Names(3), json!(["a", "bc"]));
        bad(F::Names(3), json!(["a", "bcde"]), "f[1]");
        bad(F::Names(3), json!(["a", 5]), "f[1]");
        ok(F::IpAddresses, json!(["10.0.0.1", "2001:db8::1"]));
        bad(F::IpAddresses, json!(["10.0.0.1", "10.0.0.0/8"]), "f[1]");
        ok(
            F::UrlEntries,
            json!(["*.example.com", "www.example.com/a?b=c"]),
        );
        bad(F::UrlEntries, json!(["ok", "not ok"]), "f[1]");
        // Workflow references resolve to strings of digits: accepted as integers.
        ok(F::Port, json!("443"));
        bad(F::Port, json!("443x"), "f");
        bad(F::Port, json!(-1), "f");
        ok(F::WaitSeconds, json!(0));
        ok(F::SessionId, json!(u64::MAX));
        bad(F::SessionId, json!(0), "f");
        ok(F::Serials, json!(["007951000123456"]));
        bad(F::Serials, json!(["007951000123456", "0079-1"]), "f[1]");
    }

    #[test]
    fn choices_take_either_spelling() {
        let check = |resource: &str, op: &str, v: Value| {
            let spec = crate::catalog::find(resource, op).unwrap();
            check_values(spec, &v, &|_| false)
                .map_err(|e| e.field().unwrap_or_default().to_string())
        };
        assert!(check("tag", "create", json!({"name": "t", "color": "Red"})).is_ok());
        assert!(check("tag", "create", json!({"name": "t", "color": "color1"})).is_ok());
        assert_eq!(
            check("tag", "create", json!({"name": "t", "color": "Infrared"})),
            Err("color".into())
        );
        assert!(
            check(
                "securityRule",
                "create",
                json!({"name": "r", "action": "reset-both"})
            )
            .is_ok()
        );
        assert_eq!(
            check(
                "securityRule",
                "create",
                json!({"name": "r", "action": "permit"})
            ),
            Err("action".into())
        );
        assert_eq!(
            check(
                "securityRule",
                "update",
                json!({"name": "r", "rule_type": "global"})
            ),
            Err("rule_type".into())
        );
        assert_eq!(
            check(
                "urlCategory",
                "create",
                json!({"name": "u", "type": "Categories"})
            ),
            Err("type".into())
        );
        assert!(
            check(
                "urlCategory",
                "create",
                json!({"name": "u", "type": "Category Match"})
            )
            .is_ok()
        );
    }

    #[test]
    fn nested_and_deferred_values() {
        let spec = crate::catalog::find("service", "create").unwrap();
        let e = check_values(
            spec,
            &json!({"name": "s", "protocol": {"tcp": {"port": "99999"}}}),
            &|_| false,
        )
        .unwrap_err();
        assert_eq!(e.field(), Some("protocol.tcp.port"));
        assert!(e.message().contains("99999"), "{e}");
        // A reference resolved later is not checked now, and a missing value is not checked.
        let deferred = |v: &Value| v.as_str().is_some_and(|s| s.contains("${"));
        let spec = crate::catalog::find("session", "list").unwrap();
        assert!(check_values(spec, &json!({"source": "${steps.0.result.ip}"}), &deferred).is_ok());
        assert!(check_values(spec, &json!({}), &|_| false).is_ok());
        // A rule's `target` is an object, not a serial: no serial check for it.
        let spec = crate::catalog::find("securityRule", "create").unwrap();
        assert!(
            check_values(
                spec,
                &json!({"name": "r", "target": {"negate": false}}),
                &|_| false
            )
            .is_ok()
        );
    }

    /// Reference predicate for object names, written independently of the checker.
    fn is_object_name(s: &str, max: usize) -> bool {
        let n = s.chars().count();
        (1..=max).contains(&n)
            && s.chars()
                .next()
                .is_some_and(|c| c.is_alphanumeric() || c == '_')
            && s.chars().all(|c| c.is_alphanumeric() || " _-.".contains(c))
            && !s.trim().is_empty()
    }

    proptest::proptest! {
        #[test]
        fn port_boundary(n in 0u64..200_000) {
            proptest::prop_assert_eq!(verdict(ValueFormat::Port, json!(n)).is_ok(), n <= 65_535);
            proptest::prop_assert_eq!(verdict(ValueFormat::Port, json!(n.to_string())).is_ok(), n <= 65_535);
        }

        #[test]
        fn port_list_boundary(items in proptest::collection::vec((0u32..70_000, proptest::option::of(0u32..70_000)), 1..6)) {
            let text: Vec<String> = items.iter().map(|(a, b)| match b {
                Some(b) => format!("{a}-{b}"),
                None => a.to_string(),
            }).collect();
            let text = text.join(",");
            let valid = items.iter().all(|(a, b)| *a <= 65_535 && b.is_none_or(|b| b <= 65_535 && *a <= b));
            proptest::prop_assert_eq!(verdict(ValueFormat::PortList, json!(text)).is_ok(), valid, "{}", text);
        }

        #[test]
        fn protocol_boundary(n in 0u64..1_000) {
            proptest::prop_assert_eq!(verdict(ValueFormat::IpProtocol, json!(n)).is_ok(), (1..=255).contains(&n));
        }

        #[test]
        fn timeout_boundaries(n in 0u64..10_000_000) {
            proptest::prop_assert_eq!(verdict(ValueFormat::TagTimeout, json!(n)).is_ok(), n <= 2_592_000);
            proptest::prop_assert_eq!(verdict(ValueFormat::WaitSeconds, json!(n)).is_ok(), n <= 604_800);
            proptest::prop_assert_eq!(verdict(ValueFormat::SessionId, json!(n)).is_ok(), n >= 1);
        }

        #[test]
        fn object_name_boundary(s in "[a-zA-Z0-9 _.\\-'/é]{0,70}") {
            proptest::prop_assert_eq!(verdict(ValueFormat::ObjectName(63), json!(s)).is_ok(), is_object_name(&s, 63), "{:?}", s);
        }

        #[test]
        fn loose_name_boundary(s in "\\PC{0,140}", control in proptest::bool::ANY) {
            let s = if control { format!("{s}\u{1}") } else { s };
            let valid = !s.trim().is_empty() && s.chars().count() <= 127 && !s.chars().any(char::is_control);
            proptest::prop_assert_eq!(verdict(ValueFormat::Name(127), json!(s)).is_ok(), valid);
            // As a list element the same rule holds, and the element is named.
            let listed = verdict(ValueFormat::Names(127), json!(["ok", s]));
            proptest::prop_assert_eq!(listed.clone().is_ok(), valid);
            if !valid {
                proptest::prop_assert_eq!(listed, Err("f[1]".to_string()));
            }
        }

        #[test]
        fn ip_address_boundary(a in proptest::num::u32::ANY, prefix in 0u8..40, text in "\\PC{0,30}") {
            let ip = std::net::Ipv4Addr::from(a).to_string();
            proptest::prop_assert!(verdict(ValueFormat::IpAddress, json!(ip)).is_ok());
            let with_prefix = format!("{ip}/{prefix}");
            proptest::prop_assert!(verdict(ValueFormat::IpAddress, json!(with_prefix)).is_err());
            proptest::prop_assert_eq!(verdict(ValueFormat::IpNetmask, json!(format!("{ip}/{prefix}"))).is_ok(), prefix <= 32);
            proptest::prop_assert_eq!(
                verdict(ValueFormat::IpAddress, json!(text)).is_ok(),
                text.parse::<std::net::IpAddr>().is_ok()
            );
        }

        #[test]
        fn fqdn_boundary(labels in proptest::collection::vec("[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?", 1..5), junk in "[ !@#/:]") {
            let host = labels.join(".");
            proptest::prop_assert_eq!(verdict(ValueFormat::Fqdn, json!(host.clone())).is_ok(), host.len() >= 3, "{}", host);
            let broken = format!("{host}{junk}x");
            proptest::prop_assert!(verdict(ValueFormat::Fqdn, json!(broken)).is_err());
        }

        #[test]
        fn url_entry_boundary(s in "[a-z./*^?=-]{0,300}", space in proptest::bool::ANY) {
            let s = if space { format!("{s} x") } else { s };
            let valid = !s.is_empty() && s.chars().count() <= 255 && !space;
            proptest::prop_assert_eq!(verdict(ValueFormat::UrlEntries, json!([s])).is_ok(), valid);
        }

        /// Filters built from the grammar are accepted; cutting one anywhere inside a term
        /// or dropping a parenthesis is refused; arbitrary text never panics.
        #[test]
        fn tag_filter_grammar(tags in proptest::collection::vec("[a-z][a-z0-9 ]{0,6}", 1..5), ops in proptest::collection::vec(proptest::bool::ANY, 4), text in "\\PC{0,60}") {
            let mut filter = format!("'{}'", tags[0]);
            for (i, t) in tags.iter().enumerate().skip(1) {
                let op = if ops[i % ops.len()] { "and" } else { "or" };
                filter = format!("({filter}) {op} '{t}'");
            }
            let trimmed_tags = tags.iter().all(|t| !t.trim().is_empty());
            proptest::prop_assert_eq!(verdict(ValueFormat::TagFilter, json!(filter.clone())).is_ok(), trimmed_tags, "{}", filter);
            let dangling = format!("{filter} and");
            let unbalanced = format!("({filter}");
            let unclosed = format!("{filter} or '{}", tags[0]);
            for broken in [dangling, unbalanced, unclosed] {
                proptest::prop_assert!(verdict(ValueFormat::TagFilter, json!(broken)).is_err());
            }
            let _ = verdict(ValueFormat::TagFilter, json!(text));
        }

        #[test]
        fn text_boundary(n in 0usize..1_000) {
            let text = "é".repeat(n);
            proptest::prop_assert_eq!(verdict(ValueFormat::Text(512), json!(text)).is_ok(), n <= 512);
        }

        #[test]
        fn serial_boundary(s in "[A-Za-z0-9]{0,40}|[A-Za-z0-9 -]{1,10}") {
            let valid = (1..=32).contains(&s.len()) && s.chars().all(|c| c.is_ascii_alphanumeric());
            proptest::prop_assert_eq!(verdict(ValueFormat::Serial, json!(s)).is_ok(), valid);
        }
    }
}
