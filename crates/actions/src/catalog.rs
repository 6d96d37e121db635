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

    fn returns(mut self, results: Vec<ResultField>) -> Self {
        self.results = results;
        self
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
    /// Takes `tags` + `match` to build its `filter` (dynamic user groups).
    pub filter_from_tags: bool,
    /// Longest name PAN-OS and SCM accept (characters).
    pub name_max: usize,
}

/// Every object resource. One row per resource; nothing else lists them.
pub const OBJECT_RESOURCES: &[ObjectResource] = &[
    ObjectResource {
        resource: "tag",
        panos_kind: "tag",
        scm_resource: Some("tag"),
        rule: false,
        noun: "tag",
        filter_from_tags: false,
        name_max: 127,
    },
    ObjectResource {
        resource: "dynamicUserGroup",
        panos_kind: "dynamic-user-group",
        scm_resource: Some("dynamicUserGroup"),
        rule: false,
        noun: "dynamic user group",
        filter_from_tags: true,
        name_max: 63,
    },
    ObjectResource {
        resource: "address",
        panos_kind: "address",
        scm_resource: Some("address"),
        rule: false,
        noun: "address object",
        filter_from_tags: false,
        name_max: 63,
    },
    ObjectResource {
        resource: "addressGroup",
        panos_kind: "address-group",
        scm_resource: Some("addressGroup"),
        rule: false,
        noun: "address group",
        filter_from_tags: false,
        name_max: 63,
    },
    ObjectResource {
        resource: "service",
        panos_kind: "service",
        scm_resource: Some("service"),
        rule: false,
        noun: "service object",
        filter_from_tags: false,
        name_max: 63,
    },
    ObjectResource {
        resource: "serviceGroup",
        panos_kind: "service-group",
        scm_resource: Some("serviceGroup"),
        rule: false,
        noun: "service group",
        filter_from_tags: false,
        name_max: 63,
    },
    ObjectResource {
        resource: "securityRule",
        panos_kind: "security-rule",
        scm_resource: Some("securityRule"),
        rule: true,
        noun: "security policy rule",
        filter_from_tags: false,
        name_max: 63,
    },
    ObjectResource {
        resource: "urlCategory",
        panos_kind: "custom-url-category",
        scm_resource: Some("urlCategory"),
        rule: false,
        noun: "custom URL category",
        filter_from_tags: false,
        name_max: 63,
    },
    ObjectResource {
        resource: "urlFilteringProfile",
        panos_kind: "url-filtering-profile",
        scm_resource: Some("urlAccessProfile"),
        rule: false,
        noun: "URL filtering profile",
        filter_from_tags: false,
        name_max: 63,
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
        max_length: None,
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

/// A result field.
fn r(name: &str, ty: &str, description: &str) -> ResultField {
    ResultField {
        name: name.into(),
        ty: ty.into(),
        description: description.into(),
    }
}

/// `status` and `name` of a write on an object.
fn status_name(statuses: &str) -> Vec<ResultField> {
    vec![
        r("status", "string", statuses),
        r("name", "string", "the object's name"),
    ]
}

/// `count` and `items` of a list.
fn count_items(what: &str) -> Vec<ResultField> {
    vec![
        r("count", "integer", "number of items"),
        r("items", "list", what),
    ]
}

/// Parameters building a dynamic user group's filter from user tags.
fn filter_from_tags_params() -> Vec<ParamSpec> {
    vec![
        p(
            "tags",
            ParamType::StringList,
            false,
            "user tags (as userTag.register sets them) the filter is built from, e.g. ['ioc', 'risky'] -> 'ioc' or 'risky'; give tags or filter, not both",
        ),
        penum(
            "match",
            false,
            "with tags: a user needs any (default) or all of the tags",
            &["any", "all"],
        ),
    ]
}

fn object_actions(obj: &ObjectResource, out: &mut Vec<ActionSpec>) {
    let backends = if obj.scm_resource.is_some() {
        ALL
    } else {
        PANOS
    };
    let name = ParamSpec {
        max_length: Some(obj.name_max),
        ..p(
            "name",
            ParamType::String,
            true,
            &format!("object name (at most {} characters)", obj.name_max),
        )
    };
    let mk = |operation: &str, summary: String, params: Vec<ParamSpec>| ActionSpec {
        resource: obj.resource.into(),
        operation: operation.into(),
        summary,
        backends: backends.to_vec(),
        params,
        results: Vec::new(),
        panos_kind: Some(obj.panos_kind.into()),
        scm_resource: obj.scm_resource.map(str::to_string),
    };
    let loc = location_params(obj.rule);
    let mut fields = object_field_params(obj);
    if obj.filter_from_tags {
        fields.extend(filter_from_tags_params());
    }
    let object = r(
        "object",
        "object",
        "the object as it now is, SCM field names (on SCM with its id and folder)",
    );
    out.push(
        mk("list", format!("List {}s", obj.noun), loc.clone()).returns(count_items(
            "the objects, each as get returns it (SCM field names; on SCM with id and folder)",
        )),
    );
    out.push(
        mk(
            "get",
            format!("Get one {} by name", obj.noun),
            [loc.clone(), vec![name.clone()]].concat(),
        )
        .returns(vec![
            r("name", "string", "the object's name"),
            r(
                "*",
                "any",
                "the object's fields as create takes them (SCM spelling: ip_netmask, static, dynamic.filter, ...); on SCM also id and folder",
            ),
        ]),
    );
    let overwrite = p(
        "overwrite",
        ParamType::Boolean,
        false,
        "replace an existing object of the same name with different content (default false: conflict)",
    );
    out.push(
        mk(
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
        )
        .returns(
            [
                status_name("created, unchanged (an identical object exists) or replaced (overwrite)"),
                vec![object.clone()],
            ]
            .concat(),
        ),
    );
    out.push(
        mk(
            "update",
            format!(
                "Update fields of an existing {} (fields not given are kept)",
                obj.noun
            ),
            [loc.clone(), vec![name.clone()], fields].concat(),
        )
        .returns(
            [
                status_name("updated, or unchanged when the fields already had these values"),
                vec![object],
            ]
            .concat(),
        ),
    );
    out.push(
        mk(
            "delete",
            format!("Delete a {}", obj.noun),
            [loc.clone(), vec![name.clone()]].concat(),
        )
        .returns(status_name("deleted")),
    );
    if obj.rule {
        out.push(
            mk(
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
            )
            .returns(
                [
                    status_name("moved"),
                    vec![
                        r("where", "string", "top, bottom, before or after"),
                        r(
                            "destination_rule",
                            "string|null",
                            "the reference rule (before / after)",
                        ),
                    ],
                ]
                .concat(),
            ),
        );
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
        results: Vec::new(),
        panos_kind: None,
        scm_resource: scm_resource.map(str::to_string),
    }
}

fn job_results(outcome: bool) -> Vec<ResultField> {
    let mut v = vec![
        r(
            "job_id",
            "integer|string|null",
            "job id (integer on PAN-OS, string on SCM); null when nothing was enqueued",
        ),
        r(
            "type",
            "string",
            "PAN-OS: job type (Commit, CommitAll, ...)",
        ),
        r(
            "status",
            "string",
            "PEND, ACT or FIN (SCM: its status_str, e.g. FIN, PUSHSENT)",
        ),
        r("result", "string", "PEND, OK or FAIL"),
        r("progress", "integer|null", "percent done"),
        r(
            "details",
            "list",
            "the job's detail lines (PAN-OS) or summary (SCM)",
        ),
        r("warnings", "list", "PAN-OS: the job's warning lines"),
        r("devices", "list", "PAN-OS push: one entry per firewall"),
        r("devices[].serial", "string", "firewall serial"),
        r("devices[].name", "string|null", "firewall host name"),
        r(
            "devices[].status",
            "string|null",
            "e.g. commit succeeded / commit failed",
        ),
        r("devices[].result", "string", "OK, FAIL or PEND"),
        r(
            "devices[].details",
            "list",
            "the firewall's error and warning lines",
        ),
    ];
    if outcome {
        v.push(r(
            "outcome",
            "string",
            "done (finished, result OK), enqueued (wait=false: only job_id is set) or no_changes (nothing to commit; job_id null)",
        ));
    }
    v
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
    let target_result = r(
        "target",
        "string|null",
        "Panorama: the firewall it was sent to",
    );
    let user_tag_results = vec![
        r("status", "string", "registered or unregistered"),
        r("user", "string", "the user"),
        r("tags", "list", "the tags registered or removed"),
        target_result.clone(),
    ];
    let ip_tag_results = vec![
        r("status", "string", "registered or unregistered"),
        r("ips", "list", "the IP addresses"),
        r("tags", "list", "the tags registered or removed"),
        target_result,
    ];
    let device_results = vec![
        r("count", "integer", "number of firewalls"),
        r("serials", "list", "their serials, in order"),
        r("items", "list", "one entry per firewall"),
        r("items[].serial", "string", "serial number"),
        r("items[].hostname", "string|null", "host name"),
        r("items[].model", "string|null", "model (PA-VM, PA-440, ...)"),
        r("items[].version", "string|null", "PAN-OS software version"),
        r(
            "items[].sw_version",
            "string|null",
            "the same, under its PAN-OS name (sw-version)",
        ),
        r("items[].ip_address", "string|null", "management IP address"),
        r("items[].connected", "boolean", "connected to Panorama now"),
        r(
            "items[].device_group",
            "string|null",
            "the device group it belongs to (committed membership)",
        ),
    ];
    out.extend([
        action(
            "application",
            "list",
            "List applications with their default ports: the location's custom ones, shared ones, and predefined ones with predefined=true",
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
        )
        .returns(
            [
                count_items("the applications"),
                vec![
                    r("items[].name", "string", "application name"),
                    r("items[].category", "string|null", "category"),
                    r("items[].subcategory", "string|null", "subcategory"),
                    r("items[].technology", "string|null", "technology"),
                    r("items[].risk", "integer|string|null", "risk, 1 to 5"),
                    r("items[].default_ports", "list", "default ports, e.g. tcp/80, udp/53, tcp/8080-8090"),
                    r(
                        "items[].location",
                        "string",
                        "where it is defined: vsys NAME, device group NAME, shared or predefined (SCM: folder NAME)",
                    ),
                ],
            ]
            .concat(),
        ),
        action(
            "device",
            "list",
            "List the firewalls Panorama manages: serial, hostname, model, version, connected, device group",
            PANORAMA,
            vec![],
            None,
        )
        .returns(device_results.clone()),
        action(
            "device",
            "listConnected",
            "List the firewalls connected to Panorama",
            PANORAMA,
            vec![],
            None,
        )
        .returns(device_results),
        action(
            "deviceGroup",
            "list",
            "List Panorama device groups with their firewalls",
            PANORAMA,
            vec![],
            None,
        )
        .returns(
            [
                count_items("the device groups"),
                vec![
                    r("items[].name", "string", "device group name"),
                    r("items[].description", "string|null", "description"),
                    r("items[].devices", "list", "serials of its firewalls"),
                ],
            ]
            .concat(),
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
        )
        .returns(
            [
                status_name("created, unchanged or replaced"),
                vec![r("object", "object", "name, description, devices (sorted serials)")],
            ]
            .concat(),
        ),
        action(
            "userAttribute",
            "list",
            "List a firewall's known users and their IP addresses (through Panorama with target)",
            PANOS,
            vec![target_param()],
            None,
        )
        .returns(
            [
                count_items("the users"),
                vec![
                    r("items[].user", "string", "user name"),
                    r("items[].ips", "list", "the user's IP addresses"),
                ],
            ]
            .concat(),
        ),
        action(
            "userGroup",
            "listMembers",
            "List the members of a firewall user group (through Panorama with target)",
            PANOS,
            vec![p("name", String, true, "group name"), target_param()],
            None,
        )
        .returns(vec![
            r("group", "string", "the group"),
            r("count", "integer", "number of members"),
            r("members", "list", "member user names"),
        ]),
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
        )
        .returns(job_results(true)),
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
                        "template_stack",
                        String,
                        false,
                        "Panorama: template stack to push (give one of device_group, template, template_stack)",
                    ),
                    p(
                        "devices",
                        StringList,
                        false,
                        "Panorama: only these firewall serials",
                    ),
                    p(
                        "include_template",
                        Boolean,
                        false,
                        "Panorama, device_group only: also push the device group's templates",
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
        )
        .returns(
            [
                job_results(true),
                vec![r("folders", "list", "SCM: the folders pushed")],
            ]
            .concat(),
        ),
        action(
            "job",
            "get",
            "Get a job's status, result, progress and per-device results",
            ALL,
            vec![p("id", Id, true, "job id")],
            Some("job"),
        )
        .returns(job_results(false)),
        action(
            "job",
            "wait",
            "Wait for a job to finish; fails when the job fails",
            ALL,
            [vec![p("id", Id, true, "job id")], wait_params("").split_off(1)].concat(),
            Some("job"),
        )
        .returns(job_results(true)),
        action(
            "userTag",
            "register",
            "Tag a user (dynamic user groups) on a firewall, or through Panorama with target",
            PANOS,
            vec![user.clone(), tags.clone(), tag_timeout.clone(), target_param()],
            None,
        )
        .returns(user_tag_results.clone()),
        action(
            "userTag",
            "unregister",
            "Remove tags from a user",
            PANOS,
            vec![user.clone(), tags.clone(), target_param()],
            None,
        )
        .returns(user_tag_results.clone()),
        action(
            "userTag",
            "unregisterAll",
            "Remove every tag of a user",
            PANOS,
            vec![user.clone(), target_param()],
            None,
        )
        .returns(user_tag_results[..3].to_vec()),
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
        )
        .returns(
            [
                count_items("the tagged users"),
                vec![
                    r("items[].user", "string", "user name"),
                    r("items[].tags", "list", "the user's tags"),
                ],
            ]
            .concat(),
        ),
        action(
            "ipTag",
            "register",
            "Tag IP addresses (dynamic address groups)",
            PANOS,
            vec![ips.clone(), tags.clone(), tag_timeout, target_param()],
            None,
        )
        .returns(ip_tag_results.clone()),
        action(
            "ipTag",
            "unregister",
            "Remove tags from IP addresses",
            PANOS,
            vec![ips, tags, target_param()],
            None,
        )
        .returns(ip_tag_results),
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
        )
        .returns(
            [
                count_items("the registered IP addresses"),
                vec![
                    r("items[].ip", "string", "IP address"),
                    r("items[].tags", "list", "its tags"),
                ],
            ]
            .concat(),
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
        )
        .returns(vec![
            r("status", "string", "created"),
            r("count", "integer", "number of objects"),
            r("requests", "integer", "requests sent (PAN-OS: set requests; SCM: one per object)"),
        ]),
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
        )
        .returns(vec![
            r("status", "string", "deleted"),
            r("count", "integer", "PAN-OS: names given; SCM: objects deleted"),
            r("requests", "integer", "requests sent"),
            r("missing", "list", "SCM: names that did not exist"),
        ]),
        action(
            "session",
            "list",
            "List sessions matching a filter",
            PANOS,
            [session_filters(), vec![target_param()]].concat(),
            None,
        )
        .returns(
            [
                count_items("the sessions"),
                vec![
                    r("items[].id", "integer|null", "session id"),
                    r("items[].application", "string|null", "application"),
                    r("items[].source", "string|null", "source IP address"),
                    r("items[].source_port", "integer|null", "source port"),
                    r("items[].destination", "string|null", "destination IP address"),
                    r("items[].destination_port", "integer|null", "destination port"),
                    r("items[].protocol", "integer|null", "IP protocol number"),
                    r("items[].from", "string|null", "source zone"),
                    r("items[].to", "string|null", "destination zone"),
                    r("items[].rule", "string|null", "security rule"),
                    r("items[].state", "string|null", "state (ACTIVE, ...)"),
                    r("items[].start_time", "string|null", "start time"),
                    r("items[].bytes", "integer|null", "total bytes"),
                ],
            ]
            .concat(),
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
        )
        .returns(vec![
            r("status", "string", "cleared"),
            r("cleared", "integer|null", "sessions cleared, when the device says"),
            r("message", "string", "the device's message"),
        ]),
        action(
            "systemInfo",
            "get",
            "Show system info: hostname, model, serial, software version, ...",
            PANOS,
            vec![target_param()],
            None,
        )
        .returns(vec![
            r("hostname", "string", "host name"),
            r("model", "string", "model"),
            r("serial", "string", "serial number"),
            r("sw_version", "string", "PAN-OS software version"),
            r("version", "string", "the same as sw_version"),
            r(
                "*",
                "string",
                "every other field of show system info, snake_case (ip_address, uptime, family, app_version, multi_vsys, ...)",
            ),
        ]),
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

/// The catalog as the Markdown reference in the crate README: one table row per action
/// with its backends, required parameters and result fields. A unit test keeps the README
/// equal to this (`PANOPS_BLESS=1 cargo test -p panops-actions readme` rewrites it).
pub fn markdown() -> String {
    let mut out = String::from(
        "| action | runs on | required parameters | result fields |\n|---|---|---|---|\n",
    );
    for a in catalog() {
        let backends: Vec<&str> = a.backends.iter().map(|b| b.as_str()).collect();
        let required: Vec<String> = a
            .params
            .iter()
            .filter(|p| p.required)
            .map(|p| format!("`{}`", p.name))
            .collect();
        let results: Vec<String> = a.results.iter().map(|r| format!("`{}`", r.name)).collect();
        out.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            a.qualified(),
            backends.join(", "),
            if required.is_empty() {
                "—".to_string()
            } else {
                required.join(", ")
            },
            results.join(", ").replace('|', "\\|"),
        ));
    }
    out
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
    validate_with(spec, params, &|_| false)
}

/// Like [`validate`], for a workflow step before it runs: values for which `deferred` is
/// true (they hold `${steps...}` references) count as present but are checked only once
/// the references are resolved.
pub fn validate_with(
    spec: &ActionSpec,
    params: &Value,
    deferred: &dyn Fn(&Value) -> bool,
) -> Result<(), ActionError> {
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
            Some(v) if deferred(v) => {}
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
                if let Some(max) = param.max_length
                    && s.chars().count() > max
                {
                    return Err(ActionError::invalid(
                        param.name.clone(),
                        format!("is {} characters, at most {max} allowed", s.chars().count()),
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
        // Every integer parameter (ports, seconds, ids) is a count: negative ones are refused.
        ParamType::Integer => match v {
            Value::Number(n) if n.is_u64() => Ok(()),
            Value::String(s) if s.parse::<u64>().is_ok() => Ok(()),
            _ => bad("a non-negative integer"),
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
    fn every_action_documents_its_results() {
        for a in catalog() {
            assert!(
                !a.results.is_empty(),
                "{} has no result fields",
                a.qualified()
            );
            let mut names: Vec<&str> = a.results.iter().map(|r| r.name.as_str()).collect();
            names.sort_unstable();
            let before = names.len();
            names.dedup();
            assert_eq!(
                names.len(),
                before,
                "{}: duplicate result field",
                a.qualified()
            );
        }
        let list = find("device", "list").unwrap();
        assert!(
            list.undocumented_keys(
                &json!({"count": 1, "items": [{"serial": "1", "version": "11.1.2", "bogus": 1}]})
            ) == vec!["items[].bogus"]
        );
        let get = find("address", "get").unwrap();
        assert!(
            get.undocumented_keys(&json!({"name": "a", "ip_netmask": "1.1.1.1"}))
                .is_empty()
        );
        let create = find("address", "create").unwrap();
        assert_eq!(
            create.undocumented_keys(&json!({"status": "created", "extra": 1})),
            vec!["extra"]
        );
    }

    #[test]
    fn readme_lists_every_action_with_its_results() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
        let readme = std::fs::read_to_string(path).unwrap();
        let (begin, end) = ("<!-- actions:begin -->\n", "<!-- actions:end -->");
        let start = readme
            .find(begin)
            .expect("README has the actions:begin marker")
            + begin.len();
        let stop = readme.find(end).expect("README has the actions:end marker");
        let table = markdown();
        if std::env::var_os("PANOPS_BLESS").is_some() {
            let updated = format!("{}{table}{}", &readme[..start], &readme[stop..]);
            std::fs::write(path, updated).unwrap();
            return;
        }
        assert!(
            readme[start..stop] == table,
            "crates/actions/README.md is out of date: run PANOPS_BLESS=1 cargo test -p panops-actions readme"
        );
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
