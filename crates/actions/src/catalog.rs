//! The action catalog: every `resource.operation` as data.
//!
//! Dispatch, validation, `panops action list` / `describe` and the docs all read
//! [`catalog()`]. Object resources (address, tag, securityRule, ...) are declared once in
//! [`OBJECT_RESOURCES`]; their field parameters come from the PAN-OS object catalog
//! (`panops_panos::catalog`), renamed to the SCM spelling (snake_case).

use std::collections::HashMap;
use std::sync::LazyLock;

use serde::Serialize;
use serde_json::Value;

use crate::error::ActionError;
use crate::fields;

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
    /// An integer (a string of digits is accepted too, for workflow references).
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
}

/// An object resource: a configuration object kind with CRUD operations.
#[derive(Debug, Clone, Copy)]
pub struct ObjectResource {
    /// Action resource name.
    pub resource: &'static str,
    /// PAN-OS object catalog kind.
    pub panos_kind: &'static str,
    /// SCM resource, when SCM has it.
    pub scm_resource: Option<&'static str>,
    /// Lives in a rulebase (pre/post on Panorama).
    pub rule: bool,
    /// Human name used in summaries.
    pub noun: &'static str,
}

/// Every object resource. One row per resource; nothing else lists them.
pub const OBJECT_RESOURCES: &[ObjectResource] = &[
    ObjectResource {
        resource: "tag",
        panos_kind: "tag",
        scm_resource: Some("tag"),
        rule: false,
        noun: "tag",
    },
    ObjectResource {
        resource: "dynamicUserGroup",
        panos_kind: "dynamic-user-group",
        scm_resource: Some("dynamicUserGroup"),
        rule: false,
        noun: "dynamic user group",
    },
    ObjectResource {
        resource: "address",
        panos_kind: "address",
        scm_resource: Some("address"),
        rule: false,
        noun: "address object",
    },
    ObjectResource {
        resource: "addressGroup",
        panos_kind: "address-group",
        scm_resource: Some("addressGroup"),
        rule: false,
        noun: "address group",
    },
    ObjectResource {
        resource: "service",
        panos_kind: "service",
        scm_resource: Some("service"),
        rule: false,
        noun: "service object",
    },
    ObjectResource {
        resource: "serviceGroup",
        panos_kind: "service-group",
        scm_resource: Some("serviceGroup"),
        rule: false,
        noun: "service group",
    },
    ObjectResource {
        resource: "securityRule",
        panos_kind: "security-rule",
        scm_resource: Some("securityRule"),
        rule: true,
        noun: "security policy rule",
    },
    ObjectResource {
        resource: "urlCategory",
        panos_kind: "custom-url-category",
        scm_resource: Some("urlCategory"),
        rule: false,
        noun: "custom URL category",
    },
    ObjectResource {
        resource: "urlFilteringProfile",
        panos_kind: "url-filtering-profile",
        scm_resource: Some("urlAccessProfile"),
        rule: false,
        noun: "URL filtering profile",
    },
];

/// The object resource called `resource`.
pub fn object_resource(resource: &str) -> Option<&'static ObjectResource> {
    OBJECT_RESOURCES.iter().find(|o| o.resource == resource)
}

const ALL: &[BackendKind] = &[
    BackendKind::Firewall,
    BackendKind::Panorama,
    BackendKind::Scm,
];
const PANOS: &[BackendKind] = &[BackendKind::Firewall, BackendKind::Panorama];
const PANORAMA: &[BackendKind] = &[BackendKind::Panorama];
const PANORAMA_SCM: &[BackendKind] = &[BackendKind::Panorama, BackendKind::Scm];

fn p(name: &str, ty: ParamType, required: bool, description: &str) -> ParamSpec {
    ParamSpec {
        name: name.into(),
        ty,
        required,
        description: description.into(),
        values: Vec::new(),
    }
}

fn penum(name: &str, required: bool, description: &str, values: &[&str]) -> ParamSpec {
    ParamSpec {
        values: values.iter().map(|v| v.to_string()).collect(),
        ..p(name, ParamType::String, required, description)
    }
}

/// Location parameters of object actions (each backend ignores the others' keys, so one
/// workflow file can run on a firewall, a Panorama or SCM).
fn location_params(rule: bool) -> Vec<ParamSpec> {
    let mut v = vec![
        p(
            "vsys",
            ParamType::String,
            false,
            "firewall: virtual system (default vsys1)",
        ),
        p(
            "device_group",
            ParamType::String,
            false,
            "Panorama: device group (absent: shared)",
        ),
        p(
            "folder",
            ParamType::String,
            false,
            "SCM: folder (default: the profile's folder, else Shared)",
        ),
    ];
    if rule {
        v.push(penum(
            "rulebase",
            false,
            "Panorama and SCM: pre or post rulebase (default pre)",
            &["pre", "post"],
        ));
    }
    v
}

fn target_param() -> ParamSpec {
    p(
        "target",
        ParamType::String,
        false,
        "Panorama: serial of the managed firewall to send this to (no commit needed)",
    )
}

fn wait_params(what: &str) -> Vec<ParamSpec> {
    vec![
        p(
            "wait",
            ParamType::Boolean,
            false,
            &format!("wait for the {what} job to finish (default true)"),
        ),
        p(
            "timeout_secs",
            ParamType::Integer,
            false,
            "how long to wait for the job (default 600)",
        ),
    ]
}

fn session_filters() -> Vec<ParamSpec> {
    vec![
        p("source", ParamType::String, false, "source IP address"),
        p(
            "destination",
            ParamType::String,
            false,
            "destination IP address",
        ),
        p(
            "destination_port",
            ParamType::Integer,
            false,
            "destination port",
        ),
        p("application", ParamType::String, false, "application"),
        p("protocol", ParamType::Integer, false, "IP protocol number"),
        p("rule", ParamType::String, false, "security rule name"),
        p("from", ParamType::String, false, "source zone"),
        p("to", ParamType::String, false, "destination zone"),
    ]
}

fn object_field_params(obj: &ObjectResource) -> Vec<ParamSpec> {
    let Ok(kind) = panops_panos::catalog::Catalog::builtin().kind(obj.panos_kind) else {
        return Vec::new();
    };
    fields::object_params(kind)
}

fn object_actions(obj: &ObjectResource, out: &mut Vec<ActionSpec>) {
    let backends = if obj.scm_resource.is_some() {
        ALL
    } else {
        PANOS
    };
    let name = p("name", ParamType::String, true, "object name");
    let mk = |operation: &str, summary: String, params: Vec<ParamSpec>| ActionSpec {
        resource: obj.resource.into(),
        operation: operation.into(),
        summary,
        backends: backends.to_vec(),
        params,
        panos_kind: Some(obj.panos_kind.into()),
        scm_resource: obj.scm_resource.map(str::to_string),
    };
    let loc = location_params(obj.rule);
    let fields = object_field_params(obj);
    out.push(mk("list", format!("List {}s", obj.noun), loc.clone()));
    out.push(mk(
        "get",
        format!("Get one {} by name", obj.noun),
        [loc.clone(), vec![name.clone()]].concat(),
    ));
    let overwrite = p(
        "overwrite",
        ParamType::Boolean,
        false,
        "replace an existing object of the same name with different content (default false: conflict)",
    );
    out.push(mk(
        "create",
        format!(
            "Create a {} (identical existing object: unchanged; different: conflict unless overwrite)",
            obj.noun
        ),
        [
            loc.clone(),
            vec![name.clone(), overwrite],
            fields.clone(),
        ]
        .concat(),
    ));
    out.push(mk(
        "update",
        format!(
            "Update fields of an existing {} (fields not given are kept)",
            obj.noun
        ),
        [loc.clone(), vec![name.clone()], fields].concat(),
    ));
    out.push(mk(
        "delete",
        format!("Delete a {}", obj.noun),
        [loc.clone(), vec![name.clone()]].concat(),
    ));
    if obj.rule {
        out.push(mk(
            "move",
            format!(
                "Move a {} (top, bottom, before or after another rule)",
                obj.noun
            ),
            [
                loc,
                vec![
                    name,
                    penum(
                        "where",
                        true,
                        "where to move the rule",
                        &["top", "bottom", "before", "after"],
                    ),
                    p(
                        "destination_rule",
                        ParamType::String,
                        false,
                        "the reference rule for before / after",
                    ),
                ],
            ]
            .concat(),
        ));
    }
}

fn action(
    resource: &str,
    operation: &str,
    summary: &str,
    backends: &[BackendKind],
    params: Vec<ParamSpec>,
    scm_resource: Option<&str>,
) -> ActionSpec {
    ActionSpec {
        resource: resource.into(),
        operation: operation.into(),
        summary: summary.into(),
        backends: backends.to_vec(),
        params,
        panos_kind: None,
        scm_resource: scm_resource.map(str::to_string),
    }
}

fn build() -> Vec<ActionSpec> {
    use ParamType::*;
    let mut out = Vec::new();
    for obj in OBJECT_RESOURCES {
        object_actions(obj, &mut out);
    }
    let user = p("user", String, true, "user name (e.g. corp\\alice)");
    let tags = p(
        "tags",
        StringList,
        true,
        "tags (a single string is accepted)",
    );
    let tag_timeout = p(
        "timeout",
        Integer,
        false,
        "seconds until the tag expires (0 or absent: never, max 2592000)",
    );
    let ips = p("ip", StringList, true, "IP address or list of IP addresses");
    out.extend([
        action(
            "application",
            "list",
            "List applications with their default ports (custom ones from the configuration; predefined ones with predefined=true)",
            ALL,
            [
                location_params(false),
                vec![p(
                    "predefined",
                    Boolean,
                    false,
                    "PAN-OS: also read the predefined applications (large)",
                )],
            ]
            .concat(),
            Some("application"),
        ),
        action(
            "device",
            "list",
            "List the firewalls Panorama manages: serial, hostname, model, version, connected, device group",
            PANORAMA,
            vec![],
            None,
        ),
        action(
            "device",
            "listConnected",
            "List the firewalls connected to Panorama",
            PANORAMA,
            vec![],
            None,
        ),
        action(
            "deviceGroup",
            "list",
            "List Panorama device groups with their firewalls",
            PANORAMA,
            vec![],
            None,
        ),
        action(
            "deviceGroup",
            "create",
            "Create a Panorama device group with firewalls (identical existing: unchanged)",
            PANORAMA,
            vec![
                p("name", String, true, "device group name"),
                p("devices", StringList, false, "serials of its firewalls"),
                p("description", String, false, "description"),
                p("overwrite", Boolean, false, "replace a different existing group"),
            ],
            None,
        ),
        action(
            "userAttribute",
            "list",
            "List a firewall's known users and their IP addresses (through Panorama with target)",
            PANOS,
            vec![target_param()],
            None,
        ),
        action(
            "userGroup",
            "listMembers",
            "List the members of a firewall user group (through Panorama with target)",
            PANOS,
            vec![p("name", String, true, "group name"), target_param()],
            None,
        ),
        action(
            "config",
            "commit",
            "Commit the candidate configuration (firewall or Panorama); wait or return the job id",
            PANOS,
            [
                vec![p("description", String, false, "commit description")],
                wait_params("commit"),
            ]
            .concat(),
            None,
        ),
        action(
            "config",
            "push",
            "Push a device group or template to its firewalls (Panorama) or folders to Prisma Access (SCM)",
            PANORAMA_SCM,
            [
                vec![
                    p("device_group", String, false, "Panorama: device group to push"),
                    p("template", String, false, "Panorama: template to push"),
                    p(
                        "devices",
                        StringList,
                        false,
                        "Panorama: only these firewall serials",
                    ),
                    p(
                        "folders",
                        StringList,
                        false,
                        "SCM: folders to push (default: the folder parameter, else the profile's folder)",
                    ),
                    p("folder", String, false, "SCM: folder to push"),
                    p("description", String, false, "push description"),
                ],
                wait_params("push"),
            ]
            .concat(),
            Some("configVersion"),
        ),
        action(
            "job",
            "get",
            "Get a job's status, result, progress and per-device results",
            ALL,
            vec![p("id", Id, true, "job id")],
            Some("job"),
        ),
        action(
            "job",
            "wait",
            "Wait for a job to finish; fails when the job fails",
            ALL,
            [vec![p("id", Id, true, "job id")], wait_params("").split_off(1)].concat(),
            Some("job"),
        ),
        action(
            "userTag",
            "register",
            "Tag a user (dynamic user groups) on a firewall, or through Panorama with target",
            PANOS,
            vec![user.clone(), tags.clone(), tag_timeout.clone(), target_param()],
            None,
        ),
        action(
            "userTag",
            "unregister",
            "Remove tags from a user",
            PANOS,
            vec![user.clone(), tags.clone(), target_param()],
            None,
        ),
        action(
            "userTag",
            "unregisterAll",
            "Remove every tag of a user",
            PANOS,
            vec![user.clone(), target_param()],
            None,
        ),
        action(
            "userTag",
            "list",
            "List tagged users and their tags",
            PANOS,
            vec![
                p("user", String, false, "only this user"),
                target_param(),
            ],
            None,
        ),
        action(
            "ipTag",
            "register",
            "Tag IP addresses (dynamic address groups)",
            PANOS,
            vec![ips.clone(), tags.clone(), tag_timeout, target_param()],
            None,
        ),
        action(
            "ipTag",
            "unregister",
            "Remove tags from IP addresses",
            PANOS,
            vec![ips, tags, target_param()],
            None,
        ),
        action(
            "ipTag",
            "list",
            "List registered IP addresses and their tags",
            PANOS,
            vec![
                p("ip", String, false, "only this IP address"),
                p("tag", String, false, "only IP addresses with this tag"),
                target_param(),
            ],
            None,
        ),
        action(
            "address",
            "bulkCreate",
            "Create many address objects in one request (chunked above 1 MB; SCM: bounded concurrency)",
            ALL,
            [
                location_params(false),
                vec![p(
                    "objects",
                    ObjectList,
                    true,
                    "address objects (name, ip_netmask | ip_range | ip_wildcard | fqdn, tag, description)",
                )],
            ]
            .concat(),
            Some("address"),
        ),
        action(
            "address",
            "bulkDelete",
            "Delete many address objects in one request (chunked xpath; SCM: bounded concurrency)",
            ALL,
            [
                location_params(false),
                vec![p("names", StringList, true, "names of the objects to delete")],
            ]
            .concat(),
            Some("address"),
        ),
        action(
            "session",
            "list",
            "List sessions matching a filter",
            PANOS,
            [session_filters(), vec![target_param()]].concat(),
            None,
        ),
        action(
            "session",
            "clear",
            "Clear one session (id) or every session matching a filter",
            PANOS,
            [
                vec![p("id", Integer, false, "session id")],
                session_filters(),
                vec![
                    p(
                        "all",
                        Boolean,
                        false,
                        "clear every session when no filter is given (required then)",
                    ),
                    target_param(),
                ],
            ]
            .concat(),
            None,
        ),
        action(
            "systemInfo",
            "get",
            "Show system info: hostname, model, serial, software version, ...",
            PANOS,
            vec![target_param()],
            None,
        ),
    ]);
    out
}

static CATALOG: LazyLock<Vec<ActionSpec>> = LazyLock::new(build);
static INDEX: LazyLock<HashMap<String, usize>> = LazyLock::new(|| {
    CATALOG
        .iter()
        .enumerate()
        .map(|(i, a)| (a.qualified(), i))
        .collect()
});

/// Every action, in catalog order.
pub fn catalog() -> &'static [ActionSpec] {
    &CATALOG
}

/// The action `resource.operation`, or [`ActionError::UnknownAction`] with close matches.
pub fn find(resource: &str, operation: &str) -> Result<&'static ActionSpec, ActionError> {
    let key = format!("{resource}.{operation}");
    if let Some(&i) = INDEX.get(&key)
        && let Some(spec) = CATALOG.get(i)
    {
        return Ok(spec);
    }
    let same_resource: Vec<String> = CATALOG
        .iter()
        .filter(|a| a.resource.eq_ignore_ascii_case(resource))
        .map(ActionSpec::qualified)
        .collect();
    let hint = if same_resource.is_empty() {
        "see `panops action list` for every action".to_string()
    } else {
        format!("known: {}", same_resource.join(", "))
    };
    Err(ActionError::UnknownAction { action: key, hint })
}

/// Checks `params` against `spec`: an object, only known names, required ones present,
/// types and allowed values. The error names the parameter.
pub fn validate(spec: &ActionSpec, params: &Value) -> Result<(), ActionError> {
    let map = match params {
        Value::Object(m) => m,
        Value::Null => &serde_json::Map::new(),
        _ => {
            return Err(ActionError::invalid("parameters", "must be a JSON object"));
        }
    };
    for key in map.keys() {
        if spec.param(key).is_none() {
            let known: Vec<&str> = spec.params.iter().map(|p| p.name.as_str()).collect();
            return Err(ActionError::invalid(
                key.clone(),
                format!(
                    "{} has no parameter {key:?} (known: {})",
                    spec.qualified(),
                    known.join(", ")
                ),
            ));
        }
    }
    for param in &spec.params {
        match map.get(&param.name) {
            None | Some(Value::Null) => {
                if param.required {
                    return Err(ActionError::invalid(
                        param.name.clone(),
                        format!("is required by {}: {}", spec.qualified(), param.description),
                    ));
                }
            }
            Some(v) => check_type(param, v)?,
        }
    }
    Ok(())
}

fn check_type(param: &ParamSpec, v: &Value) -> Result<(), ActionError> {
    let bad = |what: &str| {
        Err(ActionError::invalid(
            param.name.clone(),
            format!("must be {what}, got {}", type_name(v)),
        ))
    };
    match param.ty {
        ParamType::String => match v {
            Value::String(s) => {
                if s.is_empty() && param.required {
                    return Err(ActionError::invalid(
                        param.name.clone(),
                        "must not be empty",
                    ));
                }
                if !param.values.is_empty() && !param.values.iter().any(|x| x == s) {
                    return Err(ActionError::invalid(
                        param.name.clone(),
                        format!("{s:?} is not one of {}", param.values.join(", ")),
                    ));
                }
                Ok(())
            }
            _ => bad("a string"),
        },
        ParamType::Integer => match v {
            Value::Number(n) if n.is_i64() || n.is_u64() => Ok(()),
            Value::String(s) if s.parse::<i64>().is_ok() => Ok(()),
            _ => bad("an integer"),
        },
        ParamType::Id => match v {
            Value::Number(n) if n.is_u64() => Ok(()),
            Value::String(s) if !s.is_empty() => Ok(()),
            _ => bad("a job id (integer or string)"),
        },
        ParamType::Boolean => match v {
            Value::Bool(_) => Ok(()),
            _ => bad("true or false"),
        },
        ParamType::StringList => match v {
            Value::String(_) => Ok(()),
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    if !item.is_string() {
                        return Err(ActionError::invalid(
                            format!("{}[{i}]", param.name),
                            format!("must be a string, got {}", type_name(item)),
                        ));
                    }
                }
                Ok(())
            }
            _ => bad("a string or a list of strings"),
        },
        ParamType::Object => match v {
            Value::Object(_) => Ok(()),
            _ => bad("an object"),
        },
        ParamType::ObjectList => match v {
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    if !item.is_object() {
                        return Err(ActionError::invalid(
                            format!("{}[{i}]", param.name),
                            format!("must be an object, got {}", type_name(item)),
                        ));
                    }
                }
                Ok(())
            }
            _ => bad("a list of objects"),
        },
    }
}

/// JSON type name for messages.
pub(crate) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_issue_action_is_in_the_catalog() {
        for a in [
            "tag.list",
            "tag.create",
            "tag.get",
            "tag.update",
            "tag.delete",
            "dynamicUserGroup.list",
            "dynamicUserGroup.create",
            "device.listConnected",
            "device.list",
            "userAttribute.list",
            "userGroup.listMembers",
            "application.list",
            "address.list",
            "address.get",
            "address.create",
            "address.update",
            "address.delete",
            "addressGroup.get",
            "addressGroup.create",
            "addressGroup.delete",
            "service.list",
            "service.create",
            "service.delete",
            "serviceGroup.get",
            "serviceGroup.create",
            "serviceGroup.delete",
            "securityRule.list",
            "securityRule.get",
            "securityRule.create",
            "securityRule.update",
            "securityRule.move",
            "securityRule.delete",
            "urlCategory.get",
            "urlCategory.create",
            "urlCategory.update",
            "urlCategory.delete",
            "urlFilteringProfile.get",
            "urlFilteringProfile.create",
            "urlFilteringProfile.delete",
            "config.commit",
            "config.push",
            "job.get",
            "userTag.register",
            "userTag.unregister",
            "userTag.unregisterAll",
            "ipTag.register",
            "ipTag.unregister",
            "ipTag.list",
            "address.bulkCreate",
            "address.bulkDelete",
            "session.list",
            "session.clear",
            "systemInfo.get",
        ] {
            let (r, o) = a.split_once('.').unwrap();
            find(r, o).unwrap_or_else(|e| panic!("{a}: {e}"));
        }
    }

    #[test]
    fn object_fields_use_scm_names() {
        let spec = find("address", "create").unwrap();
        for f in [
            "ip_netmask",
            "ip_range",
            "ip_wildcard",
            "fqdn",
            "tag",
            "description",
        ] {
            assert!(spec.param(f).is_some(), "{f} missing");
        }
        let rule = find("securityRule", "create").unwrap();
        for f in [
            "source_user",
            "profile_setting",
            "from",
            "to",
            "disabled",
            "rulebase",
        ] {
            assert!(rule.param(f).is_some(), "{f} missing");
        }
        assert!(rule.param("source-user").is_none());
    }

    #[test]
    fn validation_names_the_field() {
        let spec = find("address", "create").unwrap();
        let e = validate(spec, &json!({"ip_netmask": "10.0.0.1"})).unwrap_err();
        assert_eq!(e.field(), Some("name"));
        let e = validate(spec, &json!({"name": "a", "ipnetmask": "x"})).unwrap_err();
        assert_eq!(e.field(), Some("ipnetmask"));
        let e = validate(spec, &json!({"name": 5})).unwrap_err();
        assert_eq!(e.field(), Some("name"));
        let spec = find("securityRule", "move").unwrap();
        let e = validate(spec, &json!({"name": "r", "where": "middle"})).unwrap_err();
        assert_eq!(e.field(), Some("where"));
        let spec = find("userTag", "register").unwrap();
        let e = validate(spec, &json!({"user": "u", "tags": ["a", 1]})).unwrap_err();
        assert_eq!(e.field(), Some("tags[1]"));
        assert!(validate(spec, &json!({"user": "u", "tags": "a"})).is_ok());
    }

    #[test]
    fn unknown_action_lists_close_matches() {
        let e = find("address", "frobnicate").unwrap_err();
        assert_eq!(e.code(), "unknown_action");
        assert!(e.to_string().contains("address.create"), "{e}");
    }

    #[test]
    fn scm_lacks_session_clear() {
        assert!(!find("session", "clear").unwrap().supports(BackendKind::Scm));
        assert!(
            find("address", "create")
                .unwrap()
                .supports(BackendKind::Scm)
        );
    }
}
