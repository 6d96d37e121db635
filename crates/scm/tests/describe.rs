//! `resources`, `describe`, merging a run-time spec directory, and route matching.

use panops_scm::{Catalog, Family, Method};

#[test]
fn resources_serialise_for_the_cli() {
    let c = Catalog::builtin();
    let list = c.resources_in(Family::SseV1);
    let address = list.iter().find(|r| r.resource == "address").unwrap();
    assert_eq!(
        address.operations,
        vec!["create", "delete", "get", "list", "update"]
    );
    assert_eq!(address.path, "/sse/config/v1/addresses");
    let json = serde_json::to_value(address).unwrap();
    assert_eq!(json["family"], "sse-v1");
    assert_eq!(json["resource"], "address");
    let total: usize = c.resources().iter().map(|r| r.operations.len()).sum();
    assert_eq!(total, c.operations().len());
}

#[test]
fn describe_lists_parameters_fields_and_groups() {
    let c = Catalog::builtin();
    let d = c
        .describe(Family::SseV1, "address", Some("create"))
        .unwrap();
    assert_eq!(d.operations.len(), 1);
    let op = &d.operations[0];
    assert_eq!(op.method, Method::Post);
    assert_eq!(op.path, "/sse/config/v1/addresses");
    assert_eq!(op.success_status, Some(201));
    let folder = op.parameters.iter().find(|p| p.name == "folder").unwrap();
    assert!(folder.required);
    assert_eq!(folder.schema.enum_values.len(), 6);
    let name = op.body_fields.iter().find(|f| f.path == "name").unwrap();
    assert!(name.required);
    assert_eq!(name.schema.max_length, Some(63));
    let fqdn = op.body_fields.iter().find(|f| f.path == "fqdn").unwrap();
    assert_eq!(fqdn.schema.max_length, Some(255));
    assert!(fqdn.schema.pattern.is_some());
    assert!(op.body_fields.iter().any(|f| f.path == "tag"));
    let g = &op.one_of_groups[0];
    assert_eq!(g.object, "");
    assert!(g.group.exactly_one);
    assert_eq!(
        g.group.all_keys(),
        vec!["ip_netmask", "ip_range", "ip_wildcard", "fqdn"]
    );
    // Whole resource.
    let all = c.describe(Family::SseV1, "securityRule", None).unwrap();
    assert_eq!(all.operations.len(), 6);
    // Errors.
    assert_eq!(
        c.describe(Family::SseV1, "nope", None)
            .unwrap_err()
            .to_string(),
        "unsupported resource: nope"
    );
    assert_eq!(
        c.describe(Family::SseV1, "address", Some("nope"))
            .unwrap_err()
            .to_string(),
        "unsupported operation: address.nope"
    );
    // Nested fields get dotted paths.
    let d = c.describe(Family::V2, "service", Some("create")).unwrap();
    assert!(
        d.operations[0]
            .body_fields
            .iter()
            .any(|f| f.path == "protocol.tcp.port")
    );
    // The committed catalog has no prose.
    assert!(d.operations[0].summary.is_none());
}

#[test]
fn builtin_round_trips_through_json() {
    let c = Catalog::builtin();
    let again = Catalog::from_json(&c.to_json()).unwrap();
    assert_eq!(&again, c);
    assert_eq!(again.to_json(), panops_scm::catalog::BUILTIN_CATALOG_JSON);
}

#[test]
fn merge_adds_operations_and_descriptions() {
    let base = Catalog::builtin();
    // A "newer spec" directory holding one new sse-v1 file, written at run time.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("sse-v1")).unwrap();
    std::fs::write(
        dir.path().join("sse-v1/Widgets.yaml"),
        r##"
openapi: 3.0.0
info: {title: t, version: "1"}
servers: [{url: "https://api.sase.paloaltonetworks.com"}]
paths:
  /sse/config/v1/widgets:
    get:
      summary: List widgets
      parameters: [{$ref: "#/components/parameters/folder"}]
      responses: {"200": {description: ok}}
    post:
      parameters: [{$ref: "#/components/parameters/folder"}]
      requestBody:
        content:
          application/json:
            schema: {$ref: "#/components/schemas/widget"}
      responses: {"201": {description: created}}
  /sse/config/v1/addresses:
    get:
      summary: List addresses (newer)
      parameters: [{$ref: "#/components/parameters/folder"}]
      responses: {"200": {description: ok}}
components:
  parameters:
    folder: {name: folder, in: query, required: true, description: The folder, schema: {type: string}}
  schemas:
    widget:
      type: object
      required: [name]
      properties:
        name: {type: string, maxLength: 5, description: Widget name}
        size:
          allOf:
            - {type: integer, minimum: 1}
            - {maximum: 9}
"##,
    )
    .unwrap();
    let newer = Catalog::from_spec_dir(dir.path()).unwrap();
    assert_eq!(newer.operations().len(), 3);
    let merged = base.merged_with(newer);
    assert_eq!(merged.operations().len(), base.operations().len() + 2);
    let list = merged.operation(Family::SseV1, "address", "list").unwrap();
    assert_eq!(list.summary.as_deref(), Some("List addresses (newer)"));
    let d = merged
        .describe(Family::SseV1, "widget", Some("create"))
        .unwrap();
    let name = d.operations[0]
        .body_fields
        .iter()
        .find(|f| f.path == "name")
        .unwrap();
    assert_eq!(name.schema.description.as_deref(), Some("Widget name"));
    let size = d.operations[0]
        .body_fields
        .iter()
        .find(|f| f.path == "size")
        .unwrap();
    assert_eq!(
        (size.schema.minimum, size.schema.maximum),
        (Some(1.0), Some(9.0))
    );
    let e = merged
        .build_request(
            Family::SseV1,
            "widget",
            "create",
            &serde_json::json!({"folder": "Shared", "name": "w", "size": 10}),
        )
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid parameter 'size': value 10 is greater than maximum 9"
    );
    // Other resources still there.
    assert!(merged.operation(Family::V2, "folder", "list").is_ok());
}

#[test]
fn bad_spec_dirs_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let e = Catalog::from_spec_dir(dir.path()).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("no OpenAPI spec files found under")
    );
    std::fs::create_dir(dir.path().join("v2")).unwrap();
    std::fs::write(dir.path().join("v2/bad.yaml"), "paths: [unclosed").unwrap();
    let e = Catalog::from_spec_dir(dir.path()).unwrap_err();
    assert!(e.to_string().contains("bad.yaml"), "{e}");
    std::fs::write(
        dir.path().join("v2/bad.yaml"),
        "paths:\n  /x:\n    get:\n      parameters: [{$ref: '#/components/parameters/nope'}]\n",
    )
    .unwrap();
    let e = Catalog::from_spec_dir(dir.path()).unwrap_err();
    assert!(e.to_string().contains("unresolvable $ref"), "{e}");
}

#[test]
fn routes_match_requests() {
    let c = Catalog::builtin();
    let m = c
        .match_route(Method::Get, "/sse/config/v1/addresses/abc%20d")
        .unwrap();
    assert_eq!(m.operation.qualified_name(), "address.get");
    assert_eq!(m.path_params, vec![("id".to_string(), "abc d".to_string())]);
    let m = c
        .match_route(Method::Post, "/sse/config/v1/security-rules/r1:move")
        .unwrap();
    assert_eq!(m.operation.qualified_name(), "securityRule.move");
    assert_eq!(m.path_params[0].1, "r1");
    // Literal segments win over a template.
    let m = c
        .match_route(Method::Get, "/sse/config/v1/config-versions/running")
        .unwrap();
    assert_eq!(m.operation.operation, "getRunning");
    let m = c
        .match_route(Method::Get, "/sse/config/v1/config-versions/7")
        .unwrap();
    assert_eq!(m.operation.operation, "get");
    let m = c
        .match_route(
            Method::Post,
            "/config/operations/v1/config-versions/candidate:push",
        )
        .unwrap();
    assert_eq!(
        (m.operation.family, m.operation.operation.as_str()),
        (Family::V2, "push")
    );
    let m = c
        .match_route(Method::Get, "/config/setup/v1/folders")
        .unwrap();
    assert_eq!(m.operation.qualified_name(), "folder.list");
    assert!(
        c.match_route(Method::Get, "/sse/config/v1/nothing")
            .is_none()
    );
    // Every operation's own built request routes back to it.
    for op in c.operations() {
        let params = c.example_params(op).unwrap();
        let req = c.build_request_for(op, &params).unwrap();
        let m = c
            .match_route(req.method, &req.path)
            .unwrap_or_else(|| panic!("no route for {}", req.path));
        assert_eq!(
            (
                m.operation.family,
                &m.operation.resource,
                &m.operation.operation
            ),
            (op.family, &op.resource, &op.operation),
            "{} {}",
            req.method,
            req.path
        );
    }
}

#[test]
fn flat_spec_directory_is_classified_by_content() {
    let Some(specs) = std::env::var_os("PANOPS_SHARED_SPECS")
        .map(std::path::PathBuf::from)
        .or_else(|| {
            Some(std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/specs"))
        })
        .filter(|p| p.join("scm").is_dir())
    else {
        eprintln!("NOTICE: shared specs not found; skipping");
        return;
    };
    // Copy (into a temp dir, at test time only) one file of each family plus the auth spec,
    // without family sub-directories.
    let dir = tempfile::tempdir().unwrap();
    for (from, to) in [
        ("scm/sse-v1/Tags.yaml", "Tags.yaml"),
        (
            "scm/v2/config-setup-feb-v1.yaml",
            "config-setup-feb-v1.yaml",
        ),
        ("scm/AuthService.yaml", "AuthService.yaml"),
    ] {
        std::fs::copy(specs.join(from), dir.path().join(to)).unwrap();
    }
    let c = Catalog::from_spec_dir(dir.path()).unwrap();
    assert_eq!(c.operations_in(Family::SseV1).count(), 5);
    assert_eq!(c.operations_in(Family::V2).count(), 47);
    let builtin = Catalog::builtin();
    for op in c.without_descriptions().operations() {
        let b = builtin
            .operation(op.family, &op.resource, &op.operation)
            .unwrap();
        assert!(b == op, "{} differs", op.qualified_name());
    }
}

#[test]
fn describe_renders_text_and_object_schemas() {
    let c = Catalog::builtin();
    let d = c
        .describe(Family::SseV1, "address", Some("create"))
        .unwrap();
    let text = d.to_string();
    assert!(
        text.starts_with("address.create (sse-v1)  POST /sse/config/v1/addresses\n"),
        "{text}"
    );
    assert!(
        text.contains("    folder* (query): string, one of [\"Shared\""),
        "{text}"
    );
    assert!(text.contains("    name*: string, maxLength 63\n"), "{text}");
    assert!(
        text.contains("  body: exactly one of ip_netmask | ip_range | ip_wildcard | fqdn\n"),
        "{text}"
    );
    assert!(
        text.contains("    tag: array of string, maxItems 64, items maxLength 127\n"),
        "{text}"
    );
    // sse-v1 GET-by-id is declared as an array; the object schema unwraps it.
    let get = c.operation(Family::SseV1, "address", "get").unwrap();
    assert_eq!(
        get.success_schema().map(|s| s.kind),
        Some(panops_scm::SchemaKind::Array)
    );
    let obj = get.object_schema().unwrap();
    assert!(obj.properties.contains_key("ip_netmask"));
    let list = c.operation(Family::V2, "address", "list").unwrap();
    assert!(
        list.object_schema()
            .unwrap()
            .properties
            .contains_key("fqdn")
    );
}

#[test]
fn recursive_schemas_terminate() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("v2")).unwrap();
    std::fs::write(
        dir.path().join("v2/tree.yaml"),
        r##"
openapi: 3.0.0
servers: [{url: "https://api.strata.paloaltonetworks.com/config/objects/v1"}]
paths:
  /trees:
    post:
      requestBody:
        content:
          application/json:
            schema: {$ref: "#/components/schemas/node"}
      responses: {"201": {description: created}}
components:
  schemas:
    node:
      type: object
      required: [name]
      properties:
        name: {type: string, maxLength: 3}
        left: {$ref: "#/components/schemas/node"}
        right: {$ref: "#/components/schemas/node"}
"##,
    )
    .unwrap();
    let c = Catalog::from_spec_dir(dir.path()).unwrap();
    let req = c
        .build_request(
            Family::V2,
            "tree",
            "create",
            &serde_json::json!({"name": "a", "left": {"name": "b", "right": {"anything": 1}}}),
        )
        .unwrap();
    assert_eq!(req.path, "/config/objects/v1/trees");
    let e = c
        .build_request(
            Family::V2,
            "tree",
            "create",
            &serde_json::json!({"name": "long", "left": {"name": "b"}}),
        )
        .unwrap_err();
    // The recursion stops at the second visit of `node`: below it anything goes.
    assert_eq!(
        e.to_string(),
        "invalid parameter 'name': value \"long\" is longer than maxLength 3"
    );
}
