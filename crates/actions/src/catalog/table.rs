//! The action table: every `resource.operation` with its parameters and result fields,
//! written as rows of small constructors (`action(..)`, `p(..)`, `r(..)`) so that each
//! action reads as one declaration. Object resources' actions come from
//! [`super::objects`]; nothing else lists actions.

use super::objects::{OBJECT_RESOURCES, object_actions};
use super::spec::{ActionSpec, BackendKind, ParamSpec, ParamType, ResultField};

pub(super) const ALL: &[BackendKind] = &[
    BackendKind::Firewall,
    BackendKind::Panorama,
    BackendKind::Scm,
];
pub(super) const PANOS: &[BackendKind] = &[BackendKind::Firewall, BackendKind::Panorama];
pub(super) const PANORAMA: &[BackendKind] = &[BackendKind::Panorama];
pub(super) const PANORAMA_SCM: &[BackendKind] = &[BackendKind::Panorama, BackendKind::Scm];

pub(super) fn p(name: &str, ty: ParamType, required: bool, description: &str) -> ParamSpec {
    ParamSpec {
        name: name.into(),
        ty,
        required,
        description: description.into(),
        values: Vec::new(),
        max_length: None,
    }
}

pub(super) fn penum(name: &str, required: bool, description: &str, values: &[&str]) -> ParamSpec {
    ParamSpec {
        values: values.iter().map(|v| v.to_string()).collect(),
        ..p(name, ParamType::String, required, description)
    }
}

/// Location parameters of object actions (each backend ignores the others' keys, so one
/// workflow file can run on a firewall, a Panorama or SCM).
pub(super) fn location_params(rule: bool) -> Vec<ParamSpec> {
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

pub(super) fn target_param() -> ParamSpec {
    p(
        "target",
        ParamType::String,
        false,
        "Panorama: serial of the managed firewall to send this to (no commit needed)",
    )
}

pub(super) fn wait_params(what: &str) -> Vec<ParamSpec> {
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

pub(super) fn session_filters() -> Vec<ParamSpec> {
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

/// A result field.
pub(super) fn r(name: &str, ty: &str, description: &str) -> ResultField {
    ResultField {
        name: name.into(),
        ty: ty.into(),
        description: description.into(),
    }
}

/// `status` and `name` of a write on an object.
pub(super) fn status_name(statuses: &str) -> Vec<ResultField> {
    vec![
        r("status", "string", statuses),
        r("name", "string", "the object's name"),
    ]
}

/// `count` and `items` of a list.
pub(super) fn count_items(what: &str) -> Vec<ResultField> {
    vec![
        r("count", "integer", "number of items"),
        r("items", "list", what),
    ]
}

pub(super) fn action(
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

pub(super) fn job_results(outcome: bool) -> Vec<ResultField> {
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

/// The action table, in catalog order: the object resources' actions, then the rest.
pub(super) fn build() -> Vec<ActionSpec> {
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
