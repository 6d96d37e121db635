//! The action catalog: every `resource.operation` as data.
//!
//! Dispatch, validation, `panops action list` / `describe` and the docs all read
//! [`catalog()`]. Object resources (address, tag, securityRule, ...) are declared once in
//! [`OBJECT_RESOURCES`]; their field parameters come from the PAN-OS object catalog
//! (`panops_panos::catalog`), renamed to the SCM spelling (snake_case).
//!
//! One module per concept: `spec` (the shapes), `table` (the action table), `objects`
//! (object resources and their derived actions), `markdown` (the README table) and
//! `validate` (parameter checks).

mod markdown;
mod objects;
mod spec;
mod table;
mod validate;

use std::collections::HashMap;
use std::sync::LazyLock;

pub use markdown::markdown;
pub use objects::{OBJECT_RESOURCES, ObjectResource, object_resource};
pub use spec::{ActionSpec, BackendKind, ParamSpec, ParamType, ResultField};
pub(crate) use validate::type_name;
pub use validate::{validate, validate_with};

use crate::error::ActionError;

static CATALOG: LazyLock<Vec<ActionSpec>> = LazyLock::new(table::build);
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
