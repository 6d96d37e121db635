//! The action table as static data: [`ACTIONS`] holds every action that is not derived from
//! an object resource, as `const` rows checked by the compiler (backend and parameter types
//! are enums, not strings) and by the tests below (names, duplicates, result fields).
//! Parameters and result fields shared by several actions are named `const` fragments; an
//! action lists the fragments it is made of, in order. Object resources' actions come from
//! [`super::objects`]; nothing else lists actions.

use super::spec::{ActionSpec, BackendKind, ParamSpec, ParamType, ResultField};

/// Firewalls, Panoramas and SCM.
pub(super) const ALL: &[BackendKind] = &[
    BackendKind::Firewall,
    BackendKind::Panorama,
    BackendKind::Scm,
];
/// Firewalls and Panoramas.
pub(super) const PANOS: &[BackendKind] = &[BackendKind::Firewall, BackendKind::Panorama];
const PANORAMA: &[BackendKind] = &[BackendKind::Panorama];
const PANORAMA_SCM: &[BackendKind] = &[BackendKind::Panorama, BackendKind::Scm];

/// One parameter as the table declares it (see [`ParamSpec`]).
#[derive(Debug, Clone, Copy)]
pub(super) struct Param {
    pub name: &'static str,
    pub ty: ParamType,
    pub required: bool,
    pub description: &'static str,
    /// Allowed values; empty when any value of the type is accepted.
    pub values: &'static [&'static str],
}

impl Param {
    pub(super) fn spec(&self) -> ParamSpec {
        ParamSpec {
            name: self.name.into(),
            ty: self.ty,
            required: self.required,
            description: self.description.into(),
            values: self.values.iter().map(|v| v.to_string()).collect(),
            max_length: None,
        }
    }
}

/// One result field as the table declares it (see [`ResultField`]).
#[derive(Debug, Clone, Copy)]
pub(super) struct Field {
    pub name: &'static str,
    pub ty: &'static str,
    pub description: &'static str,
}

impl Field {
    pub(super) fn spec(&self) -> ResultField {
        ResultField {
            name: self.name.into(),
            ty: self.ty.into(),
            description: self.description.into(),
        }
    }
}

/// One action as the table declares it: `params` and `results` are lists of fragments,
/// concatenated in order.
#[derive(Debug, Clone, Copy)]
pub(super) struct ActionDef {
    pub resource: &'static str,
    pub operation: &'static str,
    pub summary: &'static str,
    pub backends: &'static [BackendKind],
    pub params: &'static [&'static [Param]],
    pub results: &'static [&'static [Field]],
    pub scm_resource: Option<&'static str>,
}

impl ActionDef {
    fn spec(&self) -> ActionSpec {
        ActionSpec {
            resource: self.resource.into(),
            operation: self.operation.into(),
            summary: self.summary.into(),
            backends: self.backends.to_vec(),
            params: specs(self.params),
            results: fields(self.results),
            panos_kind: None,
            scm_resource: self.scm_resource.map(str::to_string),
        }
    }
}

/// The parameters of a list of fragments, in order.
pub(super) fn specs(fragments: &[&[Param]]) -> Vec<ParamSpec> {
    fragments
        .iter()
        .flat_map(|f| f.iter().map(Param::spec))
        .collect()
}

/// The result fields of a list of fragments, in order.
pub(super) fn fields(fragments: &[&[Field]]) -> Vec<ResultField> {
    fragments
        .iter()
        .flat_map(|f| f.iter().map(Field::spec))
        .collect()
}

/// An optional parameter.
pub(super) const fn opt(name: &'static str, ty: ParamType, description: &'static str) -> Param {
    Param {
        name,
        ty,
        required: false,
        description,
        values: &[],
    }
}

/// A required parameter.
pub(super) const fn req(name: &'static str, ty: ParamType, description: &'static str) -> Param {
    Param {
        required: true,
        ..opt(name, ty, description)
    }
}

/// A string parameter restricted to `values`.
pub(super) const fn choice(
    name: &'static str,
    required: bool,
    description: &'static str,
    values: &'static [&'static str],
) -> Param {
    Param {
        required,
        values,
        ..opt(name, ParamType::String, description)
    }
}

/// A result field.
pub(super) const fn f(name: &'static str, ty: &'static str, description: &'static str) -> Field {
    Field {
        name,
        ty,
        description,
    }
}

use ParamType::{Boolean, Id, Integer, ObjectList, String, StringList};

/// Location parameters of object actions (each backend ignores the others' keys, so one
/// workflow file can run on a firewall, a Panorama or SCM).
pub(super) const LOCATION: &[Param] = &[
    opt("vsys", String, "firewall: virtual system (default vsys1)"),
    opt(
        "device_group",
        String,
        "Panorama: device group (absent: shared)",
    ),
    opt(
        "folder",
        String,
        "SCM: folder (default: the profile's folder, else Shared)",
    ),
];

/// The rulebase of rule actions (after [`LOCATION`]).
pub(super) const RULEBASE: &[Param] = &[choice(
    "rulebase",
    false,
    "Panorama and SCM: pre or post rulebase (default pre)",
    &["pre", "post"],
)];

const TARGET: &[Param] = &[opt(
    "target",
    String,
    "Panorama: serial of the managed firewall to send this to (no commit needed)",
)];

const TIMEOUT_SECS: Param = opt(
    "timeout_secs",
    Integer,
    "how long to wait for the job (default 600)",
);

const WAIT_COMMIT: &[Param] = &[
    opt(
        "wait",
        Boolean,
        "wait for the commit job to finish (default true)",
    ),
    TIMEOUT_SECS,
];

const WAIT_PUSH: &[Param] = &[
    opt(
        "wait",
        Boolean,
        "wait for the push job to finish (default true)",
    ),
    TIMEOUT_SECS,
];

const JOB_ID: &[Param] = &[req("id", Id, "job id")];

const SESSION_FILTERS: &[Param] = &[
    opt("source", String, "source IP address"),
    opt("destination", String, "destination IP address"),
    opt("destination_port", Integer, "destination port"),
    opt("application", String, "application"),
    opt("protocol", Integer, "IP protocol number"),
    opt("rule", String, "security rule name"),
    opt("from", String, "source zone"),
    opt("to", String, "destination zone"),
];

const USER: Param = req("user", String, "user name (e.g. corp\\alice)");
const TAGS: Param = req("tags", StringList, "tags (a single string is accepted)");
const TAG_TIMEOUT: Param = opt(
    "timeout",
    Integer,
    "seconds until the tag expires (0 or absent: never, max 2592000)",
);
const IPS: Param = req("ip", StringList, "IP address or list of IP addresses");

/// `count` of a list (followed by `items` with what the list holds).
pub(super) const COUNT: Field = f("count", "integer", "number of items");

/// `name` of a write on an object (after its `status`).
pub(super) const NAME: Field = f("name", "string", "the object's name");

const JOB: &[Field] = &[
    f(
        "job_id",
        "integer|string|null",
        "job id (integer on PAN-OS, string on SCM); null when nothing was enqueued",
    ),
    f(
        "type",
        "string",
        "PAN-OS: job type (Commit, CommitAll, ...)",
    ),
    f(
        "status",
        "string",
        "PEND, ACT or FIN (SCM: its status_str, e.g. FIN, PUSHSENT)",
    ),
    f("result", "string", "PEND, OK or FAIL"),
    f("progress", "integer|null", "percent done"),
    f(
        "details",
        "list",
        "the job's detail lines (PAN-OS) or summary (SCM)",
    ),
    f("warnings", "list", "PAN-OS: the job's warning lines"),
    f("devices", "list", "PAN-OS push: one entry per firewall"),
    f("devices[].serial", "string", "firewall serial"),
    f("devices[].name", "string|null", "firewall host name"),
    f(
        "devices[].status",
        "string|null",
        "e.g. commit succeeded / commit failed",
    ),
    f("devices[].result", "string", "OK, FAIL or PEND"),
    f(
        "devices[].details",
        "list",
        "the firewall's error and warning lines",
    ),
];

const OUTCOME: &[Field] = &[f(
    "outcome",
    "string",
    "done (finished, result OK), enqueued (wait=false: only job_id is set) or no_changes (nothing to commit; job_id null)",
)];

const TARGET_RESULT: &[Field] = &[f(
    "target",
    "string|null",
    "Panorama: the firewall it was sent to",
)];

const USER_TAG: &[Field] = &[
    f("status", "string", "registered or unregistered"),
    f("user", "string", "the user"),
    f("tags", "list", "the tags registered or removed"),
];

const IP_TAG: &[Field] = &[
    f("status", "string", "registered or unregistered"),
    f("ips", "list", "the IP addresses"),
    f("tags", "list", "the tags registered or removed"),
];

const DEVICES: &[Field] = &[
    f("count", "integer", "number of firewalls"),
    f("serials", "list", "their serials, in order"),
    f("items", "list", "one entry per firewall"),
    f("items[].serial", "string", "serial number"),
    f("items[].hostname", "string|null", "host name"),
    f("items[].model", "string|null", "model (PA-VM, PA-440, ...)"),
    f("items[].version", "string|null", "PAN-OS software version"),
    f(
        "items[].sw_version",
        "string|null",
        "the same, under its PAN-OS name (sw-version)",
    ),
    f("items[].ip_address", "string|null", "management IP address"),
    f("items[].connected", "boolean", "connected to Panorama now"),
    f(
        "items[].device_group",
        "string|null",
        "the device group it belongs to (committed membership)",
    ),
];

/// Every action not derived from an object resource, in catalog order (after the object
/// resources' actions).
pub(super) static ACTIONS: &[ActionDef] = &[
    ActionDef {
        resource: "application",
        operation: "list",
        summary: "List applications with their default ports: the location's custom ones, shared ones, and predefined ones with predefined=true",
        backends: ALL,
        params: &[
            LOCATION,
            &[opt(
                "predefined",
                Boolean,
                "PAN-OS: also read the predefined applications (large)",
            )],
        ],
        results: &[&[
            COUNT,
            f("items", "list", "the applications"),
            f("items[].name", "string", "application name"),
            f("items[].category", "string|null", "category"),
            f("items[].subcategory", "string|null", "subcategory"),
            f("items[].technology", "string|null", "technology"),
            f("items[].risk", "integer|string|null", "risk, 1 to 5"),
            f(
                "items[].default_ports",
                "list",
                "default ports, e.g. tcp/80, udp/53, tcp/8080-8090",
            ),
            f(
                "items[].location",
                "string",
                "where it is defined: vsys NAME, device group NAME, shared or predefined (SCM: folder NAME)",
            ),
        ]],
        scm_resource: Some("application"),
    },
    ActionDef {
        resource: "device",
        operation: "list",
        summary: "List the firewalls Panorama manages: serial, hostname, model, version, connected, device group",
        backends: PANORAMA,
        params: &[],
        results: &[DEVICES],
        scm_resource: None,
    },
    ActionDef {
        resource: "device",
        operation: "listConnected",
        summary: "List the firewalls connected to Panorama",
        backends: PANORAMA,
        params: &[],
        results: &[DEVICES],
        scm_resource: None,
    },
    ActionDef {
        resource: "deviceGroup",
        operation: "list",
        summary: "List Panorama device groups with their firewalls",
        backends: PANORAMA,
        params: &[],
        results: &[&[
            COUNT,
            f("items", "list", "the device groups"),
            f("items[].name", "string", "device group name"),
            f("items[].description", "string|null", "description"),
            f("items[].devices", "list", "serials of its firewalls"),
        ]],
        scm_resource: None,
    },
    ActionDef {
        resource: "deviceGroup",
        operation: "create",
        summary: "Create a Panorama device group with firewalls (identical existing: unchanged)",
        backends: PANORAMA,
        params: &[&[
            req("name", String, "device group name"),
            opt("devices", StringList, "serials of its firewalls"),
            opt("description", String, "description"),
            opt("overwrite", Boolean, "replace a different existing group"),
        ]],
        results: &[&[
            f("status", "string", "created, unchanged or replaced"),
            NAME,
            f(
                "object",
                "object",
                "name, description, devices (sorted serials)",
            ),
        ]],
        scm_resource: None,
    },
    ActionDef {
        resource: "userAttribute",
        operation: "list",
        summary: "List a firewall's known users and their IP addresses (through Panorama with target)",
        backends: PANOS,
        params: &[TARGET],
        results: &[&[
            COUNT,
            f("items", "list", "the users"),
            f("items[].user", "string", "user name"),
            f("items[].ips", "list", "the user's IP addresses"),
        ]],
        scm_resource: None,
    },
    ActionDef {
        resource: "userGroup",
        operation: "listMembers",
        summary: "List the members of a firewall user group (through Panorama with target)",
        backends: PANOS,
        params: &[&[req("name", String, "group name")], TARGET],
        results: &[&[
            f("group", "string", "the group"),
            f("count", "integer", "number of members"),
            f("members", "list", "member user names"),
        ]],
        scm_resource: None,
    },
    ActionDef {
        resource: "config",
        operation: "commit",
        summary: "Commit the candidate configuration (firewall or Panorama); wait or return the job id",
        backends: PANOS,
        params: &[
            &[opt("description", String, "commit description")],
            WAIT_COMMIT,
        ],
        results: &[JOB, OUTCOME],
        scm_resource: None,
    },
    ActionDef {
        resource: "config",
        operation: "push",
        summary: "Push a device group or template to its firewalls (Panorama) or folders to Prisma Access (SCM)",
        backends: PANORAMA_SCM,
        params: &[
            &[
                opt("device_group", String, "Panorama: device group to push"),
                opt("template", String, "Panorama: template to push"),
                opt(
                    "template_stack",
                    String,
                    "Panorama: template stack to push (give one of device_group, template, template_stack)",
                ),
                opt(
                    "devices",
                    StringList,
                    "Panorama: only these firewall serials",
                ),
                opt(
                    "include_template",
                    Boolean,
                    "Panorama, device_group only: also push the device group's templates",
                ),
                opt(
                    "folders",
                    StringList,
                    "SCM: folders to push (default: the folder parameter, else the profile's folder)",
                ),
                opt("folder", String, "SCM: folder to push"),
                opt("description", String, "push description"),
            ],
            WAIT_PUSH,
        ],
        results: &[
            JOB,
            OUTCOME,
            &[f("folders", "list", "SCM: the folders pushed")],
        ],
        scm_resource: Some("configVersion"),
    },
    ActionDef {
        resource: "job",
        operation: "get",
        summary: "Get a job's status, result, progress and per-device results",
        backends: ALL,
        params: &[JOB_ID],
        results: &[JOB],
        scm_resource: Some("job"),
    },
    ActionDef {
        resource: "job",
        operation: "wait",
        summary: "Wait for a job to finish; fails when the job fails",
        backends: ALL,
        params: &[JOB_ID, &[TIMEOUT_SECS]],
        results: &[JOB, OUTCOME],
        scm_resource: Some("job"),
    },
    ActionDef {
        resource: "userTag",
        operation: "register",
        summary: "Tag a user (dynamic user groups) on a firewall, or through Panorama with target",
        backends: PANOS,
        params: &[&[USER, TAGS, TAG_TIMEOUT], TARGET],
        results: &[USER_TAG, TARGET_RESULT],
        scm_resource: None,
    },
    ActionDef {
        resource: "userTag",
        operation: "unregister",
        summary: "Remove tags from a user",
        backends: PANOS,
        params: &[&[USER, TAGS], TARGET],
        results: &[USER_TAG, TARGET_RESULT],
        scm_resource: None,
    },
    ActionDef {
        resource: "userTag",
        operation: "unregisterAll",
        summary: "Remove every tag of a user",
        backends: PANOS,
        params: &[&[USER], TARGET],
        results: &[USER_TAG],
        scm_resource: None,
    },
    ActionDef {
        resource: "userTag",
        operation: "list",
        summary: "List tagged users and their tags",
        backends: PANOS,
        params: &[&[opt("user", String, "only this user")], TARGET],
        results: &[&[
            COUNT,
            f("items", "list", "the tagged users"),
            f("items[].user", "string", "user name"),
            f("items[].tags", "list", "the user's tags"),
        ]],
        scm_resource: None,
    },
    ActionDef {
        resource: "ipTag",
        operation: "register",
        summary: "Tag IP addresses (dynamic address groups)",
        backends: PANOS,
        params: &[&[IPS, TAGS, TAG_TIMEOUT], TARGET],
        results: &[IP_TAG, TARGET_RESULT],
        scm_resource: None,
    },
    ActionDef {
        resource: "ipTag",
        operation: "unregister",
        summary: "Remove tags from IP addresses",
        backends: PANOS,
        params: &[&[IPS, TAGS], TARGET],
        results: &[IP_TAG, TARGET_RESULT],
        scm_resource: None,
    },
    ActionDef {
        resource: "ipTag",
        operation: "list",
        summary: "List registered IP addresses and their tags",
        backends: PANOS,
        params: &[
            &[
                opt("ip", String, "only this IP address"),
                opt("tag", String, "only IP addresses with this tag"),
            ],
            TARGET,
        ],
        results: &[&[
            COUNT,
            f("items", "list", "the registered IP addresses"),
            f("items[].ip", "string", "IP address"),
            f("items[].tags", "list", "its tags"),
        ]],
        scm_resource: None,
    },
    ActionDef {
        resource: "address",
        operation: "bulkCreate",
        summary: "Create many address objects in one request (chunked above 1 MB; SCM: bounded concurrency)",
        backends: ALL,
        params: &[
            LOCATION,
            &[req(
                "objects",
                ObjectList,
                "address objects (name, ip_netmask | ip_range | ip_wildcard | fqdn, tag, description)",
            )],
        ],
        results: &[&[
            f("status", "string", "created"),
            f("count", "integer", "number of objects"),
            f(
                "requests",
                "integer",
                "requests sent (PAN-OS: set requests; SCM: one per object)",
            ),
        ]],
        scm_resource: Some("address"),
    },
    ActionDef {
        resource: "address",
        operation: "bulkDelete",
        summary: "Delete many address objects in one request (chunked xpath; SCM: bounded concurrency)",
        backends: ALL,
        params: &[
            LOCATION,
            &[req("names", StringList, "names of the objects to delete")],
        ],
        results: &[&[
            f("status", "string", "deleted"),
            f(
                "count",
                "integer",
                "PAN-OS: names given; SCM: objects deleted",
            ),
            f("requests", "integer", "requests sent"),
            f("missing", "list", "SCM: names that did not exist"),
        ]],
        scm_resource: Some("address"),
    },
    ActionDef {
        resource: "session",
        operation: "list",
        summary: "List sessions matching a filter",
        backends: PANOS,
        params: &[SESSION_FILTERS, TARGET],
        results: &[&[
            COUNT,
            f("items", "list", "the sessions"),
            f("items[].id", "integer|null", "session id"),
            f("items[].application", "string|null", "application"),
            f("items[].source", "string|null", "source IP address"),
            f("items[].source_port", "integer|null", "source port"),
            f(
                "items[].destination",
                "string|null",
                "destination IP address",
            ),
            f(
                "items[].destination_port",
                "integer|null",
                "destination port",
            ),
            f("items[].protocol", "integer|null", "IP protocol number"),
            f("items[].from", "string|null", "source zone"),
            f("items[].to", "string|null", "destination zone"),
            f("items[].rule", "string|null", "security rule"),
            f("items[].state", "string|null", "state (ACTIVE, ...)"),
            f("items[].start_time", "string|null", "start time"),
            f("items[].bytes", "integer|null", "total bytes"),
        ]],
        scm_resource: None,
    },
    ActionDef {
        resource: "session",
        operation: "clear",
        summary: "Clear one session (id) or every session matching a filter",
        backends: PANOS,
        params: &[
            &[opt("id", Integer, "session id")],
            SESSION_FILTERS,
            &[opt(
                "all",
                Boolean,
                "clear every session when no filter is given (required then)",
            )],
            TARGET,
        ],
        results: &[&[
            f("status", "string", "cleared"),
            f(
                "cleared",
                "integer|null",
                "sessions cleared, when the device says",
            ),
            f("message", "string", "the device's message"),
        ]],
        scm_resource: None,
    },
    ActionDef {
        resource: "systemInfo",
        operation: "get",
        summary: "Show system info: hostname, model, serial, software version, ...",
        backends: PANOS,
        params: &[TARGET],
        results: &[&[
            f("hostname", "string", "host name"),
            f("model", "string", "model"),
            f("serial", "string", "serial number"),
            f("sw_version", "string", "PAN-OS software version"),
            f("version", "string", "the same as sw_version"),
            f(
                "*",
                "string",
                "every other field of show system info, snake_case (ip_address, uptime, family, app_version, multi_vsys, ...)",
            ),
        ]],
        scm_resource: None,
    },
];

/// The whole catalog, in order: the object resources' actions, then [`ACTIONS`].
pub(super) fn build() -> Vec<ActionSpec> {
    let mut out = Vec::new();
    for obj in super::objects::OBJECT_RESOURCES {
        super::objects::object_actions(obj, &mut out);
    }
    out.extend(ACTIONS.iter().map(ActionDef::spec));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn is_camel(s: &str) -> bool {
        s.starts_with(|c: char| c.is_ascii_lowercase())
            && s.chars().all(|c| c.is_ascii_alphanumeric())
    }

    fn is_snake(s: &str) -> bool {
        s.starts_with(|c: char| c.is_ascii_lowercase())
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    }

    /// Every row of the whole catalog (table and derived object actions) is well formed:
    /// the compiler checks the types, this checks what it cannot.
    #[test]
    fn every_entry_validates() {
        let all = build();
        let mut seen = HashSet::new();
        const TYPES: &[&str] = &[
            "string", "integer", "boolean", "list", "object", "any", "null",
        ];
        for a in &all {
            let q = a.qualified();
            assert!(seen.insert(q.clone()), "{q}: listed twice");
            assert!(
                is_camel(&a.resource) && is_camel(&a.operation),
                "{q}: not camelCase"
            );
            assert!(
                !a.summary.is_empty() && (!a.summary.ends_with('.') || a.summary.ends_with("...")),
                "{q}: summary"
            );
            assert!(!a.backends.is_empty(), "{q}: runs nowhere");
            assert_eq!(
                a.supports(BackendKind::Scm),
                a.scm_resource.is_some(),
                "{q}: runs on SCM exactly when it names an SCM resource"
            );
            let mut names = HashSet::new();
            for p in &a.params {
                assert!(
                    is_snake(&p.name),
                    "{q}: parameter {:?} not snake_case",
                    p.name
                );
                assert!(names.insert(&p.name), "{q}: parameter {} twice", p.name);
                assert!(!p.description.is_empty(), "{q}.{}: no description", p.name);
                assert!(
                    p.values.is_empty() || p.ty == ParamType::String,
                    "{q}.{}: allowed values on a non-string",
                    p.name
                );
            }
            let mut results = HashSet::new();
            for r in &a.results {
                assert!(results.insert(&r.name), "{q}: result {} twice", r.name);
                assert!(
                    r.ty.split('|').all(|t| TYPES.contains(&t)),
                    "{q}: result {} has type {:?}",
                    r.name,
                    r.ty
                );
                if let Some((list, _)) = r.name.split_once("[].") {
                    assert!(
                        a.results.iter().any(|l| l.name == list && l.ty == "list"),
                        "{q}: {} describes elements of an undeclared list",
                        r.name
                    );
                }
            }
        }
        // The static table comes after the object actions and is all there.
        let tail: Vec<std::string::String> = all[all.len() - ACTIONS.len()..]
            .iter()
            .map(ActionSpec::qualified)
            .collect();
        let table: Vec<std::string::String> = ACTIONS
            .iter()
            .map(|a| format!("{}.{}", a.resource, a.operation))
            .collect();
        assert_eq!(tail, table);
    }

    /// Fragments concatenate in order, and a shared fragment gives each action its own copy.
    #[test]
    fn fragments_concatenate_in_order() {
        let wait = ACTIONS
            .iter()
            .find(|a| a.resource == "job" && a.operation == "wait")
            .unwrap()
            .spec();
        let names: Vec<&str> = wait.params.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["id", "timeout_secs"]);
        let push = ACTIONS
            .iter()
            .find(|a| a.operation == "push")
            .unwrap()
            .spec();
        assert_eq!(
            push.results.last().map(|r| r.name.as_str()),
            Some("folders")
        );
        assert_eq!(
            push.param("wait").map(|p| p.description.as_str()),
            Some("wait for the push job to finish (default true)")
        );
        let rule = choice("x", true, "d", &["a", "b"]).spec();
        assert!(rule.required && rule.values == ["a", "b"] && rule.ty == ParamType::String);
    }
}
