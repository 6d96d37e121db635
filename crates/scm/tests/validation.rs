//! Validation failures: every rule names the field, the rule and the value.

use panops_scm::{Catalog, Family, ScmError};
use serde_json::json;

fn build(
    family: Family,
    resource: &str,
    op: &str,
    params: serde_json::Value,
) -> Result<panops_scm::HttpRequest, ScmError> {
    Catalog::builtin().build_request(family, resource, op, &params)
}

fn err(family: Family, resource: &str, op: &str, params: serde_json::Value) -> String {
    build(family, resource, op, params)
        .expect_err("must be rejected")
        .to_string()
}

#[test]
fn unknown_resource_and_operation() {
    assert_eq!(
        err(Family::SseV1, "addresss", "list", json!({})),
        "unsupported resource: addresss"
    );
    assert_eq!(
        err(Family::SseV1, "address", "explode", json!({})),
        "unsupported operation: address.explode"
    );
    // v2-only resource in the sse family.
    assert_eq!(
        err(Family::SseV1, "natRule", "list", json!({})),
        "unsupported resource: natRule"
    );
}

#[test]
fn valid_address_builds() {
    let req = build(
        Family::SseV1,
        "address",
        "create",
        json!({"folder": "Shared", "name": "web 1", "ip_netmask": "10.0.0.1/32", "tag": ["a"]}),
    )
    .unwrap();
    assert_eq!(req.path, "/sse/config/v1/addresses");
    assert_eq!(req.query, vec![("folder".into(), "Shared".into())]);
    assert_eq!(
        req.body,
        Some(json!({"name": "web 1", "ip_netmask": "10.0.0.1/32", "tag": ["a"]}))
    );
    // Same thing with an explicit `body`.
    let req2 = build(
        Family::SseV1,
        "address",
        "create",
        json!({"folder": "Shared", "body": {"name": "web 1", "ip_netmask": "10.0.0.1/32", "tag": ["a"]}}),
    )
    .unwrap();
    assert_eq!(req, req2);
}

#[test]
fn missing_required_field_and_query() {
    assert_eq!(
        err(
            Family::SseV1,
            "address",
            "create",
            json!({"folder": "Shared", "ip_netmask": "10.0.0.1"})
        ),
        "missing required parameter 'name'"
    );
    assert_eq!(
        err(Family::SseV1, "address", "list", json!({})),
        "missing required parameter 'folder'"
    );
    assert_eq!(
        err(Family::SseV1, "address", "get", json!({})),
        "missing required parameter 'id'"
    );
}

#[test]
fn bad_enum() {
    assert_eq!(
        err(
            Family::SseV1,
            "address",
            "list",
            json!({"folder": "Nowhere"})
        ),
        "invalid parameter 'folder': value \"Nowhere\" is not one of [\"Shared\",\"Mobile Users\",\"Remote Networks\",\"Service Connections\",\"Mobile Users Container\",\"Mobile Users Explicit Proxy\"]"
    );
    let e = err(
        Family::SseV1,
        "securityRule",
        "move",
        json!({"id": "r1", "folder": "Shared", "destination": "sideways", "rulebase": "pre"}),
    );
    assert!(
        e.starts_with("invalid parameter 'destination': value \"sideways\" is not one of"),
        "{e}"
    );
}

#[test]
fn too_long() {
    let name = "n".repeat(64);
    let e = err(
        Family::SseV1,
        "address",
        "create",
        json!({"folder": "Shared", "name": name, "fqdn": "a.example.com"}),
    );
    assert_eq!(
        e,
        format!("invalid parameter 'name': value \"{name}\" is longer than maxLength 63")
    );
    // Nested: tag items are limited to 127 characters.
    let tag = "t".repeat(128);
    let e = err(
        Family::SseV1,
        "address",
        "create",
        json!({"folder": "Shared", "name": "a", "fqdn": "a.example.com", "tag": [tag]}),
    );
    assert!(e.starts_with("invalid parameter 'tag[0]': value"), "{e}");
    assert!(e.ends_with("is longer than maxLength 127"), "{e}");
}

#[test]
fn pattern_mismatch() {
    let e = err(
        Family::SseV1,
        "address",
        "create",
        json!({"folder": "Shared", "name": "a", "fqdn": "-bad-.example"}),
    );
    assert_eq!(
        e,
        "invalid parameter 'fqdn': value \"-bad-.example\" does not match pattern ^[a-zA-Z0-9_]([a-zA-Z0-9._-])+[a-zA-Z0-9]$"
    );
}

#[test]
fn exactly_one_of_group() {
    let two = err(
        Family::SseV1,
        "address",
        "create",
        json!({"folder": "Shared", "name": "a", "ip_netmask": "10.0.0.1", "fqdn": "a.example.com"}),
    );
    assert_eq!(
        two,
        "invalid parameter 'body': only one of ip_netmask, ip_range, ip_wildcard, fqdn may be given, got ip_netmask, fqdn"
    );
    let none = err(
        Family::SseV1,
        "address",
        "create",
        json!({"folder": "Shared", "name": "a"}),
    );
    assert_eq!(
        none,
        "invalid parameter 'body': exactly one of ip_netmask, ip_range, ip_wildcard, fqdn is required, none given"
    );
    // v2: address type and container (folder | snippet | device) are two groups.
    let e = err(
        Family::V2,
        "address",
        "create",
        json!({"name": "a", "ip_netmask": "10.0.0.1", "folder": "Shared", "snippet": "s"}),
    );
    assert_eq!(
        e,
        "invalid parameter 'body': only one of folder, snippet, device may be given, got folder, snippet"
    );
    assert!(
        build(
            Family::V2,
            "address",
            "create",
            json!({"name": "a", "ip_netmask": "10.0.0.1", "folder": "Texas"})
        )
        .is_ok()
    );
}

#[test]
fn numeric_bounds_and_types() {
    // Service port ranges / numbers: find a field with a maximum in the sse schedule or
    // service specs through the catalog, not by hard-coding.
    let c = Catalog::builtin();
    let op = c
        .operation(Family::SseV1, "ikeCryptoProfile", "create")
        .unwrap();
    let lifetime = op.body.as_ref().unwrap().schema.properties.get("lifetime");
    assert!(lifetime.is_some());
    let e = err(
        Family::SseV1,
        "address",
        "list",
        json!({"folder": "Shared", "limit": "many"}),
    );
    assert_eq!(
        e,
        "invalid parameter 'limit': value \"many\" is not of type number"
    );
    // Numbers given as text are accepted for query parameters.
    let req = build(
        Family::SseV1,
        "address",
        "list",
        json!({"folder": "Shared", "limit": "50", "offset": 100}),
    )
    .unwrap();
    assert_eq!(
        req.path_and_query(),
        "/sse/config/v1/addresses?limit=50&offset=100&folder=Shared"
    );
    let e = err(
        Family::SseV1,
        "address",
        "create",
        json!({"folder": "Shared", "name": 5, "fqdn": "a.example.com"}),
    );
    assert_eq!(e, "invalid parameter 'name': value 5 is not of type string");
}

#[test]
fn numeric_bound_from_spec() {
    // Walk the catalog for a body field with a maximum and break it.
    let c = Catalog::builtin();
    let op = c.operation(Family::V2, "service", "create").unwrap();
    let schema = &op.body.as_ref().unwrap().schema;
    let tcp = schema.properties["protocol"].properties["tcp"].clone();
    assert_eq!(tcp.properties["port"].max_length, Some(1023));
    let e = err(
        Family::V2,
        "service",
        "create",
        json!({"name": "s", "folder": "Shared", "protocol": {"tcp": {"port": "80", "override": {"timeout": 0}}}}),
    );
    assert!(
        e.starts_with(
            "invalid parameter 'protocol.tcp.override.timeout': value 0 is less than minimum"
        ),
        "{e}"
    );
}

#[test]
fn unknown_fields() {
    let e = err(
        Family::SseV1,
        "address",
        "create",
        json!({"folder": "Shared", "name": "a", "fqdn": "a.example.com", "colour": "red"}),
    );
    assert!(
        e.starts_with("unknown parameter 'colour' (expected one of: "),
        "{e}"
    );
    let e = err(
        Family::SseV1,
        "address",
        "get",
        json!({"id": "x", "bogus": 1}),
    );
    assert_eq!(e, "unknown parameter 'bogus' (expected one of: id)");
    let e = err(
        Family::SseV1,
        "address",
        "create",
        json!({"folder": "Shared", "body": {"name": "a", "fqdn": "a.example.com"}, "stray": 1}),
    );
    assert!(e.starts_with("unknown parameter 'stray'"), "{e}");
}

#[test]
fn path_params_are_encoded_and_verbs_kept() {
    let req = build(
        Family::SseV1,
        "securityRule",
        "move",
        json!({"id": "a b/c", "folder": "Shared", "destination": "top", "rulebase": "pre"}),
    )
    .unwrap();
    assert_eq!(req.path, "/sse/config/v1/security-rules/a%20b%2Fc:move");
    assert_eq!(req.method.as_str(), "POST");
    let req = build(
        Family::SseV1,
        "configVersion",
        "push",
        json!({"folders": ["Mobile Users", "Remote Networks"]}),
    )
    .unwrap();
    assert_eq!(req.path, "/sse/config/v1/config-versions/candidate:push");
    assert_eq!(
        req.body,
        Some(json!({"folders": ["Mobile Users", "Remote Networks"]}))
    );
    let e = err(
        Family::SseV1,
        "configVersion",
        "push",
        json!({"folders": ["Mars"]}),
    );
    assert!(
        e.starts_with("invalid parameter 'folders[0]': value \"Mars\" is not one of"),
        "{e}"
    );
}

#[test]
fn container_query_params_are_one_of() {
    // sse-v1 Kerberos server profiles mark folder, snippet and device all required: an
    // artefact; one of them is needed, two are refused.
    let ok = build(
        Family::SseV1,
        "kerberosServerProfile",
        "list",
        json!({"folder": "Shared"}),
    )
    .unwrap();
    assert_eq!(ok.query, vec![("folder".into(), "Shared".into())]);
    let e = err(
        Family::SseV1,
        "kerberosServerProfile",
        "list",
        json!({"folder": "Shared", "device": "d1"}),
    );
    assert_eq!(
        e,
        "invalid parameter 'folder/device': only one of folder, snippet, device may be given, got folder, device"
    );
    let e = err(Family::SseV1, "kerberosServerProfile", "list", json!({}));
    assert_eq!(
        e,
        "invalid parameter 'folder/snippet/device': exactly one of folder, snippet, device is required, none given"
    );
}

#[test]
fn secrets_are_redacted_in_errors() {
    let e = err(
        Family::SseV1,
        "certificate",
        "import",
        json!({"folder": "Shared", "name": "c", "certificate_file": "AAAA", "format": "pem", "passphrase": 1234}),
    );
    assert!(e.contains("passphrase"), "{e}");
    assert!(!e.contains("1234"), "{e}");
    assert!(e.contains("<redacted>"), "{e}");
}

#[test]
fn params_must_be_an_object() {
    assert_eq!(
        err(Family::SseV1, "address", "list", json!([1])),
        "parameters for address.list must be a JSON object, got array"
    );
}

#[test]
fn skipped_patterns_are_recorded_and_described() {
    let c = Catalog::builtin();
    let skipped = c.skipped_patterns();
    let folder = skipped
        .iter()
        .find(|s| s.pattern == r"^[0-9a-zA-Z._-\s]{1,}$")
        .expect("the sse folder pattern cannot compile");
    assert!(folder.reason.contains("regex:"), "{}", folder.reason);
    assert!(folder.reason.contains("fancy-regex:"), "{}", folder.reason);
    // Every skipped pattern really fails in both engines.
    for s in &skipped {
        assert!(regex::Regex::new(&s.pattern).is_err(), "{}", s.pattern);
        assert!(
            fancy_regex::Regex::new(&s.pattern).is_err(),
            "{}",
            s.pattern
        );
    }
    let d = c.describe(Family::SseV1, "address", Some("list")).unwrap();
    assert!(
        d.operations[0]
            .skipped_patterns
            .iter()
            .any(|s| s.pattern == folder.pattern)
    );
    // A skipped pattern does not reject values; the enum still does.
    assert!(
        build(
            Family::SseV1,
            "address",
            "list",
            json!({"folder": "Mobile Users"})
        )
        .is_ok()
    );
}

#[test]
fn undeclared_required_names_are_accepted_not_required() {
    // v2 push: the spec declares `folder` but requires `folders` (what clients send).
    let req = build(
        Family::V2,
        "configVersion",
        "push",
        json!({"folders": ["Mobile Users"]}),
    )
    .unwrap();
    assert_eq!(req.body, Some(json!({"folders": ["Mobile Users"]})));
    // sse-v1 decryption rules require an `application` they never declare.
    let op = Catalog::builtin()
        .operation(Family::SseV1, "decryptionRule", "create")
        .unwrap();
    let schema = &op.body.as_ref().unwrap().schema;
    assert!(!schema.required.iter().any(|r| r == "application"));
    assert!(schema.properties.contains_key("application"));
    assert!(schema.required.iter().any(|r| r == "name"));
}

#[test]
fn read_only_fields_are_not_required_in_requests() {
    // v2 address lists `id` (readOnly) as required: a request without it is fine.
    assert!(
        build(
            Family::V2,
            "address",
            "create",
            json!({"name": "a", "fqdn": "a.example.com", "folder": "Shared"})
        )
        .is_ok()
    );
    // ...but a response without it is not.
    let c = Catalog::builtin();
    let op = c.operation(Family::V2, "address", "get").unwrap();
    let schema = op.success_schema().unwrap();
    let e = c
        .validate_value(
            schema,
            &json!({"name": "a", "fqdn": "a.example.com", "folder": "Shared"}),
            "",
            panops_scm::Direction::Response,
        )
        .unwrap_err();
    assert_eq!(e.to_string(), "missing required parameter 'id'");
}

/// Payloads shaped like the ones pan-scm-sdk and the vendor docs send must pass.
#[test]
fn typical_payloads_are_accepted() {
    let ok = |family, resource: &str, op: &str, params: serde_json::Value| {
        if let Err(e) = build(family, resource, op, params.clone()) {
            panic!("{family} {resource}.{op} rejected {params}: {e}");
        }
    };
    ok(
        Family::SseV1,
        "securityRule",
        "create",
        json!({"folder": "Shared", "position": "pre", "name": "allow-web",
               "from": ["trust"], "to": ["untrust"], "source": ["any"], "source_user": ["any"],
               "destination": ["any"], "application": ["web-browsing"], "service": ["application-default"],
               "category": ["any"], "action": "allow", "profile_setting": {"group": ["best-practice"]},
               "tag": ["t1"], "disabled": false}),
    );
    ok(
        Family::SseV1,
        "addressGroup",
        "create",
        json!({"folder": "Shared", "name": "g", "static": ["a1", "a2"]}),
    );
    ok(
        Family::SseV1,
        "addressGroup",
        "create",
        json!({"folder": "Shared", "name": "g", "dynamic": {"filter": "'web' and 'prod'"}}),
    );
    ok(
        Family::SseV1,
        "service",
        "create",
        json!({"folder": "Shared", "name": "tcp-8443", "protocol": {"tcp": {"port": "8443,9443"}}}),
    );
    ok(
        Family::SseV1,
        "tag",
        "create",
        json!({"folder": "Shared", "name": "quarantine", "color": "Red", "comments": "ioc"}),
    );
    ok(
        Family::V2,
        "tag",
        "create",
        json!({"folder": "Texas", "name": "quarantine", "color": "Red"}),
    );
    ok(
        Family::V2,
        "zone",
        "create",
        json!({"folder": "ngfw-shared", "name": "trust", "network": {"layer3": ["ethernet1/1"]}}),
    );
    ok(
        Family::V2,
        "natRule",
        "create",
        json!({"folder": "ngfw-shared", "name": "snat", "from": ["trust"], "to": ["untrust"],
               "source": ["any"], "destination": ["any"], "service": "any",
               "source_translation": {"dynamic_ip_and_port": {"translated_address": ["1.1.1.1"]}}}),
    );
    ok(
        Family::V2,
        "folder",
        "create",
        json!({"name": "Texas", "parent": "Shared"}),
    );
    ok(
        Family::V2,
        "securityRule",
        "move",
        json!({"id": "123e4567-e89b-12d3-a456-426655440000", "destination": "before",
               "rulebase": "pre", "destination_rule": "123e4567-e89b-12d3-a456-426655440001"}),
    );
    assert!(
        build(
            Family::SseV1,
            "addressGroup",
            "create",
            json!({"folder": "Shared", "name": "g", "static": ["a1"], "dynamic": {"filter": "x"}}),
        )
        .is_err()
    );
    let e = err(
        Family::SseV1,
        "addressGroup",
        "create",
        json!({"folder": "Shared", "name": "g", "dynamic": {}}),
    );
    assert_eq!(e, "missing required parameter 'dynamic.filter'");
}

#[test]
fn update_does_not_need_the_container() {
    // pan-scm-sdk's AddressUpdateModel sends no folder; create must have exactly one.
    let id = "123e4567-e89b-12d3-a456-426655440000";
    assert!(
        build(
            Family::V2,
            "address",
            "update",
            json!({"id": id, "name": "a", "ip_netmask": "10.0.0.2"})
        )
        .is_ok()
    );
    assert!(
        build(
            Family::V2,
            "address",
            "update",
            json!({"id": id, "name": "a", "ip_netmask": "10.0.0.2", "folder": "A", "device": "B"})
        )
        .is_err()
    );
    assert_eq!(
        err(
            Family::V2,
            "address",
            "create",
            json!({"name": "a", "ip_netmask": "10.0.0.2"})
        ),
        "invalid parameter 'body': exactly one of folder, snippet, device is required, none given"
    );
}
