//! SCM field names ↔ PAN-OS object JSON (the object catalog's XML element names).
//!
//! The rule is mechanical: `snake_case` ↔ `kebab-case` at every level, lists stay lists
//! (`<member>` in XML, handled by the object catalog). Everything the rule does not cover is
//! in [`SPECIAL_VALUES`], the one table of special cases.

use serde_json::{Map, Value};

use panops_panos::catalog::{
    ATTRIBUTES_KEY, CatalogError, Field, FieldKind, ObjectKind, UNKNOWN_XML_KEY,
};

use crate::catalog::{ParamSpec, ParamType};
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
}
