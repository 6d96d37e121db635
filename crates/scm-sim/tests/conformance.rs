//! Conformance: the simulator's answers match the official specs, read independently.
//!
//! The vendor's OpenAPI files (`../shared/specs/scm`, or `$PANOPS_SHARED_SPECS/scm`) are
//! parsed at test time by `common/spec.rs` — not through the `panops-scm` catalog the
//! simulator is built from, so a mistake in the catalog or in the simulator shows here.
//! With `PANOPS_CI=1` missing specs fail the run; elsewhere the spec checks are skipped
//! loudly.
//!
//! - Every operation the driver of `common/drive.rs` sends is looked up in the specs by
//!   method and path; its answer has a declared 2xx status and matches that status's schema
//!   (required properties, JSON types, enums, through `$ref`/`allOf`/`oneOf`), or it is the
//!   API's own 405 E012 "Action Not Supported" for a verb the simulator does not model
//!   (counted apart; see the README).
//! - Error bodies (400, 404, 409) are provoked for every operation that declares them and
//!   checked against the spec's error schema.
//! - A hand-written scenario checks the core resources across both families.
//! - The checker itself is shown to fail on broken answers.

mod common;

use std::time::Duration;

use common::drive::drive;
use common::spec::{SpecOp, Specs, check, specs_dir};
use common::*;
use panops_scm::{Catalog, Family, Method};
use serde_json::{Value, json};

fn load_specs() -> Option<Specs> {
    match specs_dir() {
        Some(dir) => Some(Specs::load(&dir).expect("the shared specs parse")),
        None => {
            eprintln!(
                "NOTICE: ../shared/specs/scm not found (nor $PANOPS_SHARED_SPECS/scm): the \
                 answers are NOT checked against the vendor specs"
            );
            None
        }
    }
}

/// Problems of a success body against the spec's schema for its status.
fn success_problems(spec: &SpecOp, status: u16, body: &Value) -> Vec<String> {
    let Some(schema) = spec.response_schema(status, false) else {
        return Vec::new();
    };
    let mut problems = Vec::new();
    // Spec quirk (reference §7/§12): sse GET-by-id is declared as an array of the resource;
    // the API (and every client) returns the object itself.
    let by_id = spec.method == "GET" && spec.template.ends_with('}');
    match array_items(&spec.doc, &schema) {
        Some(items) if by_id && body.is_object() => {
            check(&spec.doc, &items, body, "$", &mut problems)
        }
        _ => check(&spec.doc, &schema, body, "$", &mut problems),
    }
    problems
}

/// The item schema when `schema` is an array (also under a one-element `allOf`).
fn array_items(doc: &Value, schema: &Value) -> Option<Value> {
    let s = common::spec::resolve(doc, schema);
    if s.get("type").and_then(Value::as_str) == Some("array") {
        return s.get("items").cloned();
    }
    match s.get("allOf").and_then(Value::as_array) {
        Some(all) if all.len() == 1 => array_items(doc, &all[0]),
        _ => None,
    }
}

/// The simulator's answer for a custom verb it does not model (405 E012).
fn is_not_supported(status: u16, body: &Value) -> bool {
    status == 405
        && body["_errors"][0]["code"] == "E012"
        && body["_errors"][0]["message"] == "Action Not Supported"
}

/// Responses whose declared schema contradicts the rest of the spec: checking them would
/// demand a wrong answer. Each is named with the reason (`family resource.operation`).
const SPEC_SLIPS: &[(&str, &str)] = &[
    (
        "v2 applicationGroup.list",
        "declares `data` as one object; every other list (and the get) has an array",
    ),
    (
        "v2 mobileAgentInfrastructureSettings.list",
        "declares an array of arrays of settings",
    ),
    (
        "v2 sharedSnippet.update",
        "answers with an integer `id` for the string `id` the request body declares",
    ),
];

/// Properties a spec lists as `required` without declaring them under `properties` (of the
/// same schema the create body uses): no client sends them and nothing in the spec says what
/// they hold, so the simulator cannot store them. Only these (collection path and its
/// `/{id}`, property) pairs are excused; any other missing required property fails.
const UNDECLARED_REQUIRED: &[(&str, &str, &str)] = &[
    (
        "/sse/config/v1/decryption-rules",
        "application",
        "decryption rules have no application field; the schema declares none",
    ),
    (
        "/sse/config/v1/scep-profiles",
        "rsa_nbits",
        "declared only nested, as algorithm.rsa.rsa_nbits",
    ),
    (
        "/sse/config/v1/traffic-steering-rules",
        "target",
        "declared only nested, as action.forward.target",
    ),
    (
        "/config/security/v1/dos-protection-rules",
        "destinattion",
        "a typo: the schema declares `destination`",
    ),
    (
        "/config/network/v1/sdwan-path-quality-profiles",
        "pkt-loss",
        "the schema declares `metric.pkt_loss`",
    ),
    (
        "/config/network/v1/sdwan-traffic-distribution-profiles",
        "traffic-distribution",
        "the schema declares `traffic_distribution`",
    ),
    (
        "/config/network/v1/sdwan-traffic-distribution-profiles",
        "link-tags",
        "the schema declares `link_tags`",
    ),
];

/// Answers the simulator is known not to model as the spec declares them: reported on
/// every run (not hidden), to be fixed in the simulator.
const KNOWN_GAPS: &[(&str, &str)] = &[
    (
        "GET /config/security/v1/ssl-decryption-settings",
        "v2 wraps the settings in `ssl_decrypt`; the store keeps the flat create body",
    ),
    (
        "PUT /config/security/v1/ssl-decryption-settings",
        "an update without a container is stored as a tenant-wide setting, answered \
         without the folder the spec requires",
    ),
];

#[tokio::test]
async fn every_answer_matches_the_vendor_spec() {
    let Some(specs) = load_specs() else {
        return;
    };
    let catalog = Catalog::builtin();
    for family in Family::ALL {
        let sim = start(false).await;
        sim.handle().set_push_duration(Duration::from_millis(0));
        let api = Api::new(&sim).await;
        let driven = drive(&sim, &api, catalog, family).await;
        sim.shutdown().await;
        assert!(
            driven.unsynthesisable.is_empty(),
            "{family}: {:?}",
            driven.unsynthesisable
        );
        let (mut checked, mut no_schema, mut slipped) = (0, 0, 0);
        let mut not_supported = Vec::new();
        let mut failures = Vec::new();
        let mut excused_seen = std::collections::BTreeSet::new();
        let mut gaps = Vec::new();
        for x in &driven.exchanges {
            let path = x.request.path_and_query();
            let method = x.request.method.as_str();
            let Some(spec) = specs.find(method, &path) else {
                failures.push(format!(
                    "{}: {method} {path} is no operation of the vendor specs",
                    x.op.qualified_name()
                ));
                continue;
            };
            if is_not_supported(x.status, &x.body) {
                // Refused as the API refuses an action: the body is an error envelope.
                let mut problems = envelope_problems(&x.body);
                if let Some(schema) = spec.response_schema(x.status, true) {
                    check(&spec.doc, &schema, &x.body, "$", &mut problems);
                }
                if !problems.is_empty() {
                    failures.push(format!("{}: 405 body {problems:?}", spec.name()));
                }
                not_supported.push(spec.name());
                continue;
            }
            let declared = spec.success_statuses();
            if !declared.contains(&x.status) {
                failures.push(format!(
                    "{} ({method} {path}): status {} (the spec declares {declared:?}) {}",
                    spec.name(),
                    x.status,
                    x.body
                ));
                continue;
            }
            if spec.response_schema(x.status, false).is_none() {
                no_schema += 1;
                continue;
            }
            if let Some((_, why)) = KNOWN_GAPS
                .iter()
                .find(|(t, _)| format!("{} {}", spec.method, spec.template) == *t)
            {
                let problems = success_problems(spec, x.status, &x.body);
                if !problems.is_empty() {
                    gaps.push(format!("{}: {problems:?} ({why})", spec.name()));
                }
                continue;
            }
            let slip = format!("{family} {}", x.op.qualified_name());
            if SPEC_SLIPS.iter().any(|(name, _)| *name == slip) {
                // Still served, still a declared status (checked above); only the slip is
                // not enforced.
                slipped += 1;
                continue;
            }
            checked += 1;
            let mut problems = success_problems(spec, x.status, &x.body);
            problems.retain(|p| {
                let excused = UNDECLARED_REQUIRED.iter().any(|(t, prop, _)| {
                    (spec.template == *t || spec.template == format!("{t}/{{id}}"))
                        && p.ends_with(&format!("required property '{prop}' missing"))
                });
                if excused {
                    excused_seen.insert(p.clone());
                }
                !excused
            });
            if !problems.is_empty() {
                failures.push(format!(
                    "{} ({method} {path}): {problems:?}\n  {}",
                    spec.name(),
                    x.body
                ));
            }
        }
        eprintln!(
            "{family}: {} answers: {checked} checked against their vendor schema, {no_schema} \
             with no declared schema, {slipped} spec slips (status only), {} not supported: {:?}",
            driven.exchanges.len(),
            not_supported.len(),
            not_supported
        );
        if !gaps.is_empty() {
            eprintln!(
                "{family}: KNOWN SIMULATOR GAPS (not conformant, see KNOWN_GAPS):\n{}",
                gaps.join("\n")
            );
        }
        if !excused_seen.is_empty() {
            eprintln!("{family}: excused (UNDECLARED_REQUIRED): {excused_seen:?}");
        }
        assert!(
            failures.is_empty(),
            "{family}: {} answers do not match the vendor spec:\n{}",
            failures.len(),
            failures.join("\n")
        );
        assert!(
            checked > 100,
            "{family}: only {checked} answers had a schema"
        );
    }
}

/// The `_errors` envelope every SCM error body has, whatever the spec says.
fn envelope_problems(body: &Value) -> Vec<String> {
    let mut out = Vec::new();
    match body.get("_errors").and_then(Value::as_array) {
        Some(list) if !list.is_empty() => {
            for (i, e) in list.iter().enumerate() {
                for key in ["code", "message"] {
                    if !e.get(key).is_some_and(Value::is_string) {
                        out.push(format!("_errors[{i}].{key} is not a string"));
                    }
                }
            }
        }
        _ => out.push("no non-empty _errors array".into()),
    }
    if !body.get("_request_id").is_some_and(Value::is_string) {
        out.push("no _request_id string".into());
    }
    out
}

#[tokio::test]
async fn error_bodies_match_the_spec_error_schema() {
    let catalog = Catalog::builtin();
    let specs = load_specs();
    let spec_of = |method: &str, path: &str| specs.as_ref().and_then(|s| s.find(method, path));
    let error_schema =
        |spec: Option<&SpecOp>, status: u16| -> Option<(Value, std::sync::Arc<Value>)> {
            let spec = spec?;
            Some((spec.response_schema(status, true)?, spec.doc.clone()))
        };
    // Which error statuses an operation declares: from the vendor spec when present.
    let declares = |spec: Option<&SpecOp>, op: &panops_scm::Operation, status: u16| match spec {
        Some(s) => s.declares(status),
        None => op.responses.iter().any(|r| r.status == status.to_string()),
    };
    let mut counts = std::collections::BTreeMap::<u16, usize>::new();
    let mut schema_checked = 0usize;
    let mut failures = Vec::new();
    for family in Family::ALL {
        let sim = start(false).await;
        sim.handle().set_push_duration(Duration::from_millis(0));
        let api = Api::new(&sim).await;
        let driven = drive(&sim, &api, catalog, family).await;
        for x in &driven.exchanges {
            let op = x.op;
            let spec = spec_of(x.request.method.as_str(), &x.request.path_and_query());
            let mut probes: Vec<(u16, String, Option<Value>, bool)> = Vec::new();
            if is_not_supported(x.status, &x.body) {
                // Refused whatever the body: no validation to provoke (checked in
                // `every_answer_matches_the_vendor_spec`).
                continue;
            }
            // 404: the same call on an id nothing has.
            if declares(spec, op, 404) && op.path_params().any(|p| p.name == "id") {
                let mut params = x.params.clone();
                params["id"] = json!(uuid::Uuid::new_v4().to_string());
                if let Ok(req) = catalog.build_request_for(op, &params) {
                    let core =
                        matches!(op.operation.as_str(), "get" | "update" | "delete" | "move");
                    probes.push((404, req.path_and_query(), req.body, core));
                }
            }
            // 409: the same create again (names are unique per container).
            if declares(spec, op, 409)
                && op.operation == "create"
                && op.method == Method::Post
                && x.request
                    .body
                    .as_ref()
                    .is_some_and(|b| b.get("name").is_some())
                && (200..300).contains(&x.status)
            {
                // The object may be gone since (a config load replaces the candidate):
                // create it once more, then the duplicate must be refused.
                let _ = api
                    .call(
                        x.request.method.as_str(),
                        &x.request.path_and_query(),
                        x.request.body.clone(),
                    )
                    .await;
                probes.push((
                    409,
                    x.request.path_and_query(),
                    x.request.body.clone(),
                    true,
                ));
            }
            // 400: a body that is not a JSON object.
            if declares(spec, op, 400) && x.request.body.as_ref().is_some_and(Value::is_object) {
                probes.push((
                    400,
                    x.request.path_and_query(),
                    Some(json!("not an object")),
                    true,
                ));
            }
            for (want, path, body, must) in probes {
                let (status, answer) = api.call(x.request.method.as_str(), &path, body).await;
                let name = format!(
                    "{family} {} {} {path}",
                    op.qualified_name(),
                    x.request.method
                );
                if status != want {
                    if must {
                        failures.push(format!("{name}: expected {want}, got {status} {answer}"));
                    }
                    continue;
                }
                *counts.entry(status).or_default() += 1;
                let mut problems = envelope_problems(&answer);
                if let Some((schema, doc)) = error_schema(spec, status) {
                    schema_checked += 1;
                    check(&doc, &schema, &answer, "$", &mut problems);
                }
                if !problems.is_empty() {
                    failures.push(format!("{name} -> {status}: {problems:?}\n  {answer}"));
                }
            }
        }
        sim.shutdown().await;
    }
    eprintln!("error bodies checked: {counts:?}; {schema_checked} against the spec error schema");
    assert!(
        failures.is_empty(),
        "{} error answers are wrong:\n{}",
        failures.len(),
        failures
            .iter()
            .take(30)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    for status in [400u16, 404, 409] {
        assert!(
            counts.get(&status).copied().unwrap_or(0) > 50,
            "few {status} probes: {counts:?}"
        );
    }
    if specs.is_some() {
        let total: usize = counts.values().sum();
        assert_eq!(schema_checked, total, "every error body had a spec schema");
    }
}

struct Checked {
    specs: Specs,
    checked: usize,
    no_schema: Vec<String>,
}

async fn call_and_check(
    api: &Api,
    checked: &mut Checked,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> Value {
    let (status, json) = api.call(method, path, body).await;
    assert!(
        (200..300).contains(&status),
        "{method} {path} -> {status} {json}"
    );
    let spec = checked
        .specs
        .find(method, path)
        .unwrap_or_else(|| panic!("no vendor spec operation for {method} {path}"));
    let declared = spec.success_statuses();
    assert!(
        declared.contains(&status),
        "{} answered {status}, declares {declared:?}",
        spec.name()
    );
    if spec.response_schema(status, false).is_some() {
        let problems = success_problems(spec, status, &json);
        assert!(
            problems.is_empty(),
            "{} ({path}) does not match its response schema: {problems:#?}\n{json}",
            spec.name()
        );
        checked.checked += 1;
    } else {
        checked.no_schema.push(spec.name());
    }
    json
}

#[tokio::test]
async fn core_resources_match_the_vendor_spec() {
    let Some(specs) = load_specs() else {
        return;
    };
    let sim = start(false).await;
    sim.handle().set_push_duration(Duration::from_millis(0));
    let api = Api::new(&sim).await;
    let mut c = Checked {
        specs,
        checked: 0,
        no_schema: Vec::new(),
    };
    let rule = json!({
        "name": "r1", "folder": "Shared", "from": ["any"], "to": ["any"], "source": ["any"],
        "source_user": ["any"], "destination": ["any"], "application": ["any"],
        "service": ["any"], "category": ["any"], "action": "allow"
    });
    let resources = [
        (
            "/config/objects/v1/tags",
            json!({"name": "t1", "folder": "Shared", "color": "Red"}),
        ),
        (
            "/config/objects/v1/addresses",
            json!({"name": "a1", "folder": "Shared", "ip_netmask": "10.0.0.0/24", "tag": ["t1"]}),
        ),
        (
            "/config/objects/v1/address-groups",
            json!({"name": "g1", "folder": "Shared", "static": ["a1"]}),
        ),
        (
            "/config/objects/v1/services",
            json!({"name": "s1", "folder": "Shared", "protocol": {"udp": {"port": "53"}}}),
        ),
        ("/config/security/v1/security-rules", rule.clone()),
    ];
    for (path, body) in &resources {
        let created = call_and_check(&api, &mut c, "POST", path, Some(body.clone())).await;
        let id = created["id"].as_str().unwrap().to_string();
        call_and_check(&api, &mut c, "GET", &format!("{path}/{id}"), None).await;
        call_and_check(&api, &mut c, "GET", &format!("{path}?folder=Shared"), None).await;
        call_and_check(
            &api,
            &mut c,
            "PUT",
            &format!("{path}/{id}"),
            Some(body.clone()),
        )
        .await;
        // Same resource through the sse family.
        let sse = path
            .replacen("/config/objects/v1", "/sse/config/v1", 1)
            .replacen("/config/security/v1", "/sse/config/v1", 1);
        call_and_check(&api, &mut c, "GET", &format!("{sse}?folder=Shared"), None).await;
        call_and_check(&api, &mut c, "GET", &format!("{sse}/{id}"), None).await;
    }
    call_and_check(&api, &mut c, "GET", "/config/setup/v1/folders", None).await;
    call_and_check(
        &api,
        &mut c,
        "POST",
        "/config/setup/v1/folders",
        Some(json!({"name": "Texas", "parent": "Shared"})),
    )
    .await;
    let push = call_and_check(
        &api,
        &mut c,
        "POST",
        "/config/operations/v1/config-versions/candidate:push",
        Some(json!({"folders": ["Shared"], "description": "c"})),
    )
    .await;
    let job = push["job_id"].as_str().unwrap();
    // A running job's `end_ts` is null (pan-scm-sdk parses it as an optional datetime; the
    // spec types it string): check the finished job.
    tokio::time::sleep(Duration::from_millis(50)).await;
    call_and_check(
        &api,
        &mut c,
        "GET",
        &format!("/config/operations/v1/jobs/{job}"),
        None,
    )
    .await;
    call_and_check(&api, &mut c, "GET", "/config/operations/v1/jobs", None).await;
    call_and_check(&api, &mut c, "GET", "/sse/config/v1/jobs", None).await;
    call_and_check(
        &api,
        &mut c,
        "GET",
        "/config/operations/v1/config-versions",
        None,
    )
    .await;
    call_and_check(
        &api,
        &mut c,
        "GET",
        "/config/operations/v1/config-versions/running",
        None,
    )
    .await;
    call_and_check(&api, &mut c, "GET", "/sse/config/v1/config-versions", None).await;
    for (path, _) in resources.iter().rev() {
        let list = api.ok("GET", &format!("{path}?folder=Shared"), None).await;
        let id = list["data"][0]["id"].as_str().unwrap().to_string();
        call_and_check(&api, &mut c, "DELETE", &format!("{path}/{id}"), None).await;
    }
    assert!(
        c.checked >= 30,
        "only {} responses had a schema to check",
        c.checked
    );
    eprintln!(
        "conformance: {} responses checked; operations declaring no success schema: {:?}",
        c.checked, c.no_schema
    );
}

/// The checker finds what is wrong: a document with `$ref`, `allOf` and `oneOf`, checked
/// with a good value, then with broken ones.
#[test]
fn checker_detects_mismatches() {
    let doc = json!({"components": {"schemas": {
        "base": {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}},
        "thing": {"allOf": [
            {"$ref": "#/components/schemas/base"},
            {"type": "object", "required": ["name"], "properties": {
                "name": {"type": "string"},
                "n": {"type": "integer", "nullable": true},
                "color": {"type": "string", "enum": ["Red", "Blue"]},
                "kind": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}
            }}
        ]}
    }}});
    let schema = json!({"$ref": "#/components/schemas/thing"});
    let mut out = Vec::new();
    let good = json!({"id": "x", "name": "y", "n": null, "color": "Red", "kind": ["a"]});
    check(&doc, &schema, &good, "$", &mut out);
    assert!(out.is_empty(), "{out:?}");
    let bad = json!({"id": 1, "n": "1", "color": "Green", "kind": 3});
    check(&doc, &schema, &bad, "$", &mut out);
    assert_eq!(out.len(), 5, "{out:?}");
    for want in [
        "$.id: expected string",
        "'name' missing",
        "$.n: expected integer",
        "not in enum",
        "oneOf",
    ] {
        assert!(out.iter().any(|p| p.contains(want)), "{want}: {out:?}");
    }
}

/// Conformance can fail: a real answer of the simulator passes the vendor schema, and the
/// same answer broken (a required property dropped, a type changed, a list envelope without
/// `total`) is reported by the same checker.
#[tokio::test]
async fn a_broken_answer_fails_conformance() {
    let Some(specs) = load_specs() else {
        return;
    };
    let sim = start(false).await;
    let api = Api::new(&sim).await;
    let path = "/config/objects/v1/addresses";
    let (status, created) = api
        .call(
            "POST",
            path,
            Some(json!({"name": "a1", "folder": "Shared", "ip_netmask": "10.0.0.1/32"})),
        )
        .await;
    let create = specs
        .find("POST", path)
        .expect("the spec has address create");
    assert!(
        success_problems(create, status, &created).is_empty(),
        "{created}"
    );
    let mut no_id = created.clone();
    no_id.as_object_mut().unwrap().remove("id");
    let problems = success_problems(create, status, &no_id);
    assert!(
        problems.iter().any(|p| p.contains("'id' missing")),
        "{problems:?}"
    );
    let mut bad_type = created.clone();
    bad_type["name"] = json!(7);
    assert!(!success_problems(create, status, &bad_type).is_empty());
    let list_path = "/config/objects/v1/addresses?folder=Shared";
    let (status, mut list) = api.call("GET", list_path, None).await;
    let spec_list = specs
        .find("GET", list_path)
        .expect("the spec has address list");
    assert!(
        success_problems(spec_list, status, &list).is_empty(),
        "{list}"
    );
    list["data"][0].as_object_mut().unwrap().remove("name");
    assert!(
        !success_problems(spec_list, status, &list).is_empty(),
        "{list}"
    );
    // And an unknown path is no operation of the specs.
    assert!(
        specs
            .find("GET", "/config/objects/v1/no-such-things")
            .is_none()
    );
    sim.shutdown().await;
}
