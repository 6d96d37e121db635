//! Object resources (address, tag, securityRule, ...): declared once in
//! [`OBJECT_RESOURCES`]; their CRUD actions are derived from that row and from the PAN-OS
//! object catalog's fields, renamed to the SCM spelling.

use super::spec::{ActionSpec, ParamSpec, ParamType};
use super::table::{
    ALL, COUNT, Field, LOCATION, NAME, PANOS, Param, RULEBASE, choice, f, fields, opt, specs,
};
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
const FILTER_FROM_TAGS: &[Param] = &[
    opt(
        "tags",
        ParamType::StringList,
        "user tags (as userTag.register sets them) the filter is built from, e.g. ['ioc', 'risky'] -> 'ioc' or 'risky'; give tags or filter, not both",
    ),
    choice(
        "match",
        false,
        "with tags: a user needs any (default) or all of the tags",
        &["any", "all"],
    ),
];

const OVERWRITE: &[Param] = &[opt(
    "overwrite",
    ParamType::Boolean,
    "replace an existing object of the same name with different content (default false: conflict)",
)];

const OBJECT: Field = f(
    "object",
    "object",
    "the object as it now is, SCM field names (on SCM with its id and folder)",
);

const LIST_RESULTS: &[Field] = &[
    COUNT,
    f(
        "items",
        "list",
        "the objects, each as get returns it (SCM field names; on SCM with id and folder)",
    ),
];

const GET_RESULTS: &[Field] = &[
    NAME,
    f(
        "*",
        "any",
        "the object's fields as create takes them (SCM spelling: ip_netmask, static, dynamic.filter, ...); on SCM also id and folder",
    ),
];

const CREATE_RESULTS: &[Field] = &[
    f(
        "status",
        "string",
        "created, unchanged (an identical object exists) or replaced (overwrite)",
    ),
    NAME,
    OBJECT,
];

const UPDATE_RESULTS: &[Field] = &[
    f(
        "status",
        "string",
        "updated, or unchanged when the fields already had these values",
    ),
    NAME,
    OBJECT,
];

const DELETE_RESULTS: &[Field] = &[f("status", "string", "deleted"), NAME];

const MOVE_PARAMS: &[Param] = &[
    choice(
        "where",
        true,
        "where to move the rule",
        &["top", "bottom", "before", "after"],
    ),
    opt(
        "destination_rule",
        ParamType::String,
        "the reference rule for before / after",
    ),
];

const MOVE_RESULTS: &[Field] = &[
    f("status", "string", "moved"),
    NAME,
    f("where", "string", "top, bottom, before or after"),
    f(
        "destination_rule",
        "string|null",
        "the reference rule (before / after)",
    ),
];

/// The actions of one object resource, in catalog order: list, get, create, update, delete
/// (and move for rules). Only the name's length, the summaries' noun and the field
/// parameters differ between resources; everything else is the `const` fragments above.
pub(super) fn object_actions(obj: &ObjectResource, out: &mut Vec<ActionSpec>) {
    let backends = if obj.scm_resource.is_some() {
        ALL
    } else {
        PANOS
    };
    let name = ParamSpec {
        name: "name".into(),
        ty: ParamType::String,
        required: true,
        description: format!("object name (at most {} characters)", obj.name_max),
        values: Vec::new(),
        max_length: Some(obj.name_max),
    };
    let mk =
        |operation: &str, summary: String, params: Vec<ParamSpec>, results: &[Field]| ActionSpec {
            resource: obj.resource.into(),
            operation: operation.into(),
            summary,
            backends: backends.to_vec(),
            params,
            results: fields(&[results]),
            panos_kind: Some(obj.panos_kind.into()),
            scm_resource: obj.scm_resource.map(str::to_string),
        };
    let loc = specs(&[LOCATION, if obj.rule { RULEBASE } else { &[] }]);
    let mut object_fields = object_field_params(obj);
    if obj.filter_from_tags {
        object_fields.extend(specs(&[FILTER_FROM_TAGS]));
    }
    let with_name = |rest: &[Vec<ParamSpec>]| {
        let mut v = loc.clone();
        v.push(name.clone());
        v.extend(rest.iter().flatten().cloned());
        v
    };
    let noun = obj.noun;
    out.push(mk(
        "list",
        format!("List {noun}s"),
        loc.clone(),
        LIST_RESULTS,
    ));
    out.push(mk(
        "get",
        format!("Get one {noun} by name"),
        with_name(&[]),
        GET_RESULTS,
    ));
    out.push(mk(
        "create",
        format!(
            "Create a {noun} (identical existing object: unchanged; different: conflict unless overwrite)"
        ),
        with_name(&[specs(&[OVERWRITE]), object_fields.clone()]),
        CREATE_RESULTS,
    ));
    out.push(mk(
        "update",
        format!("Update fields of an existing {noun} (fields not given are kept)"),
        with_name(&[object_fields]),
        UPDATE_RESULTS,
    ));
    out.push(mk(
        "delete",
        format!("Delete a {noun}"),
        with_name(&[]),
        DELETE_RESULTS,
    ));
    if obj.rule {
        out.push(mk(
            "move",
            format!("Move a {noun} (top, bottom, before or after another rule)"),
            with_name(&[specs(&[MOVE_PARAMS])]),
            MOVE_RESULTS,
        ));
    }
}
