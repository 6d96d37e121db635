//! Object resources (address, tag, securityRule, ...): declared once in
//! [`OBJECT_RESOURCES`]; their CRUD actions are derived from that row and from the PAN-OS
//! object catalog's fields, renamed to the SCM spelling.

use super::spec::{ActionSpec, ParamSpec, ParamType};
use super::table::{ALL, PANOS, count_items, location_params, p, penum, r, status_name};
use crate::fields;

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

fn object_field_params(obj: &ObjectResource) -> Vec<ParamSpec> {
    let Ok(kind) = panops_panos::catalog::Catalog::builtin().kind(obj.panos_kind) else {
        return Vec::new();
    };
    fields::object_params(kind)
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

pub(super) fn object_actions(obj: &ObjectResource, out: &mut Vec<ActionSpec>) {
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
