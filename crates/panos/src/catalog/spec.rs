//! Reading pan-os-codegen YAML specs into [`ObjectKind`]s.
//!
//! Only facts are kept (names, paths, types, limits); descriptions and code-generation
//! settings are dropped.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_yaml::Value;

use super::{
    Catalog, CatalogError, Device, Field, FieldKind, Location, LocationVar, ObjectKind,
    ResourceType, VarKind,
};

/// What happened to each spec file while loading a directory.
#[derive(Debug, Clone, Default)]
pub struct SpecLoadReport {
    /// Spec files turned into kinds: (relative path, kind name).
    pub loaded: Vec<(String, String)>,
    /// Spec files skipped, with the reason.
    pub skipped: Vec<(String, String)>,
}

/// Catalog names for specs whose file stem is not the name users know.
const NAME_OVERRIDES: &[(&str, &str)] = &[
    ("objects/administrative-tag.yaml", "tag"),
    ("policies/security-policy-rule.yaml", "security-rule"),
    ("policies/network-address-translation.yaml", "nat-rule"),
    ("policies/decryption-policy.yaml", "decryption-rule"),
    ("policies/authentication-policy.yaml", "authentication-rule"),
    ("policies/policy-based-forwarding.yaml", "pbf-rule"),
    (
        "policies/default-security-policy-rule.yaml",
        "default-security-rule",
    ),
    ("device/dynamic-user-groups.yaml", "dynamic-user-group"),
    (
        "objects/external-dynamic-list.yaml",
        "external-dynamic-list",
    ),
];

/// Top-level one-of groups the device requires (the specs do not say which are mandatory).
const REQUIRED_CHOICES: &[(&str, u32)] = &[
    ("objects/address.yaml", 0),
    ("objects/address-group.yaml", 0),
];

pub(super) fn load_dir(dir: &Path) -> Result<(Catalog, SpecLoadReport), CatalogError> {
    let mut files = Vec::new();
    collect_yaml(dir, dir, &mut files)?;
    files.sort();
    let mut report = SpecLoadReport::default();
    let mut kinds: Vec<ObjectKind> = Vec::new();
    let mut seen: HashMap<String, String> = HashMap::new();
    for (rel, path) in files {
        let text = std::fs::read_to_string(&path).map_err(|source| CatalogError::Io {
            path: path.display().to_string(),
            source,
        })?;
        match parse_spec(&rel, &text) {
            Ok(Some(kind)) => {
                if let Some(first) = seen.get(&kind.name) {
                    return Err(CatalogError::DuplicateKind {
                        name: kind.name.clone(),
                        first: first.clone(),
                        second: rel,
                    });
                }
                seen.insert(kind.name.clone(), rel.clone());
                report.loaded.push((rel, kind.name.clone()));
                kinds.push(kind);
            }
            Ok(None) => report
                .skipped
                .push((rel, "no locations: an action, not an object kind".into())),
            Err(CatalogError::Spec { reason, .. }) => report.skipped.push((rel, reason)),
            Err(other) => return Err(other),
        }
    }
    Ok((Catalog::new(kinds), report))
}

fn collect_yaml(
    root: &Path,
    dir: &Path,
    out: &mut Vec<(String, PathBuf)>,
) -> Result<(), CatalogError> {
    let entries = std::fs::read_dir(dir).map_err(|source| CatalogError::Io {
        path: dir.display().to_string(),
        source,
    })?;
    for entry in entries {
        let entry = entry.map_err(|source| CatalogError::Io {
            path: dir.display().to_string(),
            source,
        })?;
        let path = entry.path();
        if path.is_dir() {
            collect_yaml(root, &path, out)?;
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            let rel = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            out.push((rel, path));
        }
    }
    Ok(())
}

/// Catalog name for a spec file path relative to the spec directory.
pub(super) fn kind_name(rel: &str) -> String {
    if let Some((_, name)) = NAME_OVERRIDES.iter().find(|(p, _)| *p == rel) {
        return (*name).to_string();
    }
    let parts: Vec<&str> = rel.split('/').collect();
    let stem = parts
        .last()
        .map(|s| s.trim_end_matches(".yaml").trim_end_matches(".yml"))
        .unwrap_or(rel);
    // parts[0] is the category (objects, network, ...); the rest are sub-directories.
    let subdirs: &[&str] = if parts.len() > 2 {
        &parts[1..parts.len() - 1]
    } else {
        &[]
    };
    match subdirs {
        [] => stem.to_string(),
        ["profiles"] if stem.contains("profile") => stem.to_string(),
        ["profiles"] => format!("{stem}-profile"),
        ["routing-profiles"] => format!("routing-{stem}"),
        dirs => format!("{}-{stem}", dirs.join("-")),
    }
}

fn spec_err(rel: &str, reason: impl Into<String>) -> CatalogError {
    CatalogError::Spec {
        path: rel.to_string(),
        reason: reason.into(),
    }
}

fn get<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    v.as_mapping().and_then(|m| m.get(key))
}

fn get_str<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    get(v, key).and_then(Value::as_str)
}

fn get_bool(v: &Value, key: &str) -> bool {
    get(v, key).and_then(Value::as_bool).unwrap_or(false)
}

fn get_seq<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    get(v, key)
        .and_then(Value::as_sequence)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn scalar_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(if *b { "yes".into() } else { "no".into() }),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn string_list(v: &Value, key: &str) -> Vec<String> {
    get_seq(v, key).iter().filter_map(scalar_string).collect()
}

/// Parses one spec; `Ok(None)` for specs without locations (actions).
pub(super) fn parse_spec(rel: &str, text: &str) -> Result<Option<ObjectKind>, CatalogError> {
    let doc: Value = serde_yaml::from_str(text).map_err(|e| spec_err(rel, e.to_string()))?;
    let spec_name = get_str(&doc, "name")
        .ok_or_else(|| spec_err(rel, "missing `name`"))?
        .to_string();
    let locations_raw = get_seq(&doc, "locations");
    if locations_raw.is_empty() {
        return Ok(None);
    }
    let resource_type = match get(&doc, "terraform_provider_config")
        .and_then(|t| get_str(t, "resource_type"))
        .unwrap_or("entry")
    {
        "entry" => ResourceType::Entry,
        "uuid" => ResourceType::Uuid,
        "config" => ResourceType::Config,
        "custom" => ResourceType::Custom,
        other => return Err(spec_err(rel, format!("unknown resource_type {other:?}"))),
    };
    // Some custom kinds address the location path itself (empty suffix); a few name the
    // key `xpath_suffix` instead of `panos_xpath.path`.
    let xpath_suffix = match get(&doc, "panos_xpath") {
        Some(panos_xpath) => string_list(panos_xpath, "path"),
        None => string_list(&doc, "xpath_suffix"),
    };
    let mut locations = Vec::new();
    for loc in locations_raw {
        locations.push(parse_location(rel, loc)?);
    }
    let entries = get_seq(&doc, "entries");
    let entry_key = entries
        .first()
        .and_then(|e| get_str(e, "name"))
        .map(str::to_string);
    let name_max_length = entries.first().and_then(|e| {
        get_seq(e, "validators")
            .iter()
            .filter(|v| get_str(v, "type") == Some("length"))
            .find_map(|v| {
                get(v, "spec")
                    .and_then(|s| get(s, "max"))
                    .and_then(Value::as_u64)
            })
    });
    let spec = get(&doc, "spec").ok_or_else(|| spec_err(rel, "missing `spec`"))?;
    let mut fields = parse_fields(rel, spec, "")?;
    if resource_type == ResourceType::Uuid {
        // Rules carry their uuid as an attribute of the entry (pango does the same).
        for field in fields.iter_mut().filter(|f| f.name == "uuid") {
            field.attribute = true;
        }
    }
    Ok(Some(ObjectKind {
        name: kind_name(rel),
        spec_name,
        source: rel.to_string(),
        resource_type,
        xpath_suffix,
        locations,
        entry_key,
        name_max_length,
        required_choices: REQUIRED_CHOICES
            .iter()
            .filter(|(p, _)| *p == rel)
            .map(|(_, g)| *g)
            .collect(),
        fields,
    }))
}

fn parse_location(rel: &str, loc: &Value) -> Result<Location, CatalogError> {
    let name = get_str(loc, "name")
        .ok_or_else(|| spec_err(rel, "location without `name`"))?
        .to_string();
    let xpath =
        get(loc, "xpath").ok_or_else(|| spec_err(rel, format!("location {name}: no `xpath`")))?;
    let path = string_list(xpath, "path");
    let mut vars = Vec::new();
    for var in get_seq(xpath, "vars") {
        let var_name = get_str(var, "name")
            .ok_or_else(|| spec_err(rel, format!("location {name}: variable without name")))?
            .to_string();
        let kind = match get_str(var, "type") {
            Some("object") => VarKind::Element,
            _ => VarKind::Entry,
        };
        let mut values = Vec::new();
        let mut not_values = Vec::new();
        for validator in get_seq(var, "validators") {
            let Some(spec) = get(validator, "spec") else {
                continue;
            };
            match get_str(validator, "type") {
                Some("values") => values.extend(string_list(spec, "values")),
                Some("not-values") => not_values.extend(
                    get_seq(spec, "values")
                        .iter()
                        .filter_map(|v| get(v, "value").and_then(scalar_string)),
                ),
                _ => {}
            }
        }
        vars.push(LocationVar {
            name: var_name,
            kind,
            default: get(var, "default").and_then(scalar_string),
            required: get_bool(var, "required"),
            values,
            not_values,
        });
    }
    for step in &path {
        if let Some(var) = step.strip_prefix('$')
            && !vars.iter().any(|v| v.name == var)
        {
            return Err(spec_err(
                rel,
                format!("location {name}: path uses ${var} which is not declared"),
            ));
        }
    }
    let devices = get_seq(loc, "devices")
        .iter()
        .filter_map(|d| match d.as_str() {
            Some("ngfw") => Some(Device::Ngfw),
            Some("panorama") => Some(Device::Panorama),
            _ => None,
        })
        .collect();
    Ok(Location {
        name,
        devices,
        path,
        vars,
        read_only: get_bool(loc, "read_only"),
    })
}

fn parse_fields(rel: &str, spec: &Value, parent: &str) -> Result<Vec<Field>, CatalogError> {
    let mut fields = Vec::new();
    for (items, is_variant) in [
        (get_seq(spec, "params"), false),
        (get_seq(spec, "variants"), true),
    ] {
        for item in items {
            if let Some(field) = parse_field(rel, item, is_variant, parent)? {
                fields.push(field);
            }
        }
    }
    Ok(fields)
}

fn parse_field(
    rel: &str,
    item: &Value,
    is_variant: bool,
    parent: &str,
) -> Result<Option<Field>, CatalogError> {
    let name = get_str(item, "name")
        .ok_or_else(|| spec_err(rel, format!("field without name under {parent:?}")))?
        .to_string();
    let path = if parent.is_empty() {
        name.clone()
    } else {
        format!("{parent}.{name}")
    };
    let overrides = get(item, "codegen_overrides");
    // Provider-only helpers (e.g. audit comment triggers) are never sent to the device.
    if overrides
        .and_then(|o| get(o, "gosdk"))
        .is_some_and(|g| get_bool(g, "skip"))
    {
        return Ok(None);
    }
    let profile = get_seq(item, "profiles").first();
    let mut xpath = profile.map(|p| string_list(p, "xpath")).unwrap_or_default();
    if xpath.is_empty() {
        return Ok(None);
    }
    let profile_type = profile.and_then(|p| get_str(p, "type"));
    let type_name =
        get_str(item, "type").ok_or_else(|| spec_err(rel, format!("field {path}: no type")))?;
    let sub = get(item, "spec");
    let mut children = Vec::new();
    let kind = match type_name {
        "string" => FieldKind::String,
        "int64" => FieldKind::Int,
        "float64" => FieldKind::Float,
        "bool" => FieldKind::Bool,
        "enum" => FieldKind::Enum,
        "object" => {
            if let Some(sub) = sub {
                children = parse_fields(rel, sub, &path)?;
            }
            FieldKind::Object
        }
        "list" => {
            let items_spec = sub.and_then(|s| get(s, "items"));
            let item_type = items_spec.and_then(|i| get_str(i, "type"));
            if profile_type == Some("entry") || item_type == Some("object") {
                if xpath.last().is_some_and(|s| s == "entry") {
                    xpath.pop();
                }
                if let Some(item_spec) = items_spec.and_then(|i| get(i, "spec")) {
                    children = parse_fields(rel, item_spec, &path)?;
                }
                FieldKind::EntryList
            } else {
                if xpath.len() > 1 && xpath.last().is_some_and(|s| s == "member") {
                    xpath.pop();
                }
                FieldKind::Member
            }
        }
        other => {
            return Err(spec_err(
                rel,
                format!("field {path}: unknown type {other:?}"),
            ));
        }
    };
    if xpath.is_empty() {
        return Err(spec_err(rel, format!("field {path}: empty xpath")));
    }
    let mut field = Field {
        name,
        xpath,
        kind,
        required: get_bool(item, "required"),
        one_of: if is_variant {
            Some(
                get(item, "variant_group_id")
                    .and_then(Value::as_u64)
                    .and_then(|v| u32::try_from(v).ok())
                    .unwrap_or(0),
            )
        } else {
            None
        },
        min_length: None,
        max_length: None,
        min_value: None,
        max_value: None,
        values: Vec::new(),
        pattern: None,
        default: sub.and_then(|s| get(s, "default")).and_then(scalar_string),
        attribute: false,
        sensitive: overrides
            .and_then(|o| get(o, "terraform"))
            .is_some_and(|t| get_bool(t, "sensitive")),
        min_version: profile
            .and_then(|p| get_str(p, "min_version"))
            .map(str::to_string),
        max_version: profile
            .and_then(|p| get_str(p, "max_version"))
            .map(str::to_string),
        fields: children,
    };
    let mut validators: Vec<&Value> = get_seq(item, "validators").iter().collect();
    if let Some(s) = sub {
        validators.extend(get_seq(s, "validators"));
    }
    for validator in validators {
        let Some(vspec) = get(validator, "spec") else {
            continue;
        };
        match get_str(validator, "type") {
            Some("length") => {
                let min = get(vspec, "min").and_then(Value::as_f64);
                let max = get(vspec, "max").and_then(Value::as_f64);
                if matches!(field.kind, FieldKind::Int | FieldKind::Float) {
                    field.min_value = min.map(|v| v as i64);
                    field.max_value = max.map(|v| v as i64);
                } else {
                    field.min_length = min.map(|v| v as u64);
                    field.max_length = max.map(|v| v as u64);
                }
            }
            Some("values") => {
                for v in string_list(vspec, "values") {
                    if !field.values.contains(&v) {
                        field.values.push(v);
                    }
                }
            }
            Some("regexp") => field.pattern = get_str(vspec, "expr").map(str::to_string),
            _ => {}
        }
    }
    if field.kind == FieldKind::Enum && field.values.is_empty() {
        field.values = get_seq(sub.unwrap_or(&Value::Null), "values")
            .iter()
            .filter_map(|v| get(v, "value").and_then(scalar_string))
            .collect();
    }
    Ok(Some(field))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_names_follow_directories() {
        assert_eq!(kind_name("objects/address.yaml"), "address");
        assert_eq!(kind_name("objects/administrative-tag.yaml"), "tag");
        assert_eq!(
            kind_name("objects/profiles/url-filtering.yaml"),
            "url-filtering-profile"
        );
        assert_eq!(
            kind_name("objects/profiles/decryption-profile.yaml"),
            "decryption-profile"
        );
        assert_eq!(
            kind_name("network/interface/ethernet.yaml"),
            "interface-ethernet"
        );
        assert_eq!(
            kind_name("network/routing-profiles/bfd-profile.yaml"),
            "routing-bfd-profile"
        );
        assert_eq!(
            kind_name("network/subinterface/ethernet/layer3.yaml"),
            "subinterface-ethernet-layer3"
        );
    }

    #[test]
    fn a_spec_without_required_keys_is_rejected_with_the_reason() {
        let err = parse_spec(
            "x.yaml",
            "name: x\npanos_xpath: {path: [x]}\nlocations:\n- name: a\n  xpath: {path: [config]}\n",
        )
        .unwrap_err();
        assert!(err.to_string().contains("missing `spec`"), "{err}");
        let err = parse_spec("x.yaml", "name: [unclosed").unwrap_err();
        assert!(err.to_string().contains("x.yaml"), "{err}");
    }
}
