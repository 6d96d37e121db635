//! Validation on a firewall and on Panorama: every action is fed bad parameters, the error
//! names the parameter, and not a single request of any kind (config, op, user-id, commit)
//! reaches the device.

mod support;

use panops_actions::{BackendKind, Backends, ParamType, catalog};
use panops_sim::SimConfig;
use serde_json::{Map, Value, json};
use support::*;

/// A value of the right type for `ty` (the first allowed value for an enum).
fn good(ty: ParamType, values: &[String]) -> Value {
    if let Some(v) = values.first() {
        return json!(v);
    }
    match ty {
        ParamType::String => json!("x"),
        ParamType::Integer => json!(1),
        ParamType::Boolean => json!(true),
        ParamType::StringList => json!(["x"]),
        ParamType::Object => json!({}),
        ParamType::ObjectList => json!([{}]),
        ParamType::Id => json!(1),
    }
}

/// A value of the wrong type for `ty`.
fn bad(ty: ParamType) -> Value {
    match ty {
        ParamType::String => json!(5),
        ParamType::Integer => json!("soon"),
        ParamType::Boolean => json!("yes"),
        ParamType::StringList => json!({"a": 1}),
        ParamType::Object => json!("x"),
        ParamType::ObjectList => json!("x"),
        ParamType::Id => json!(true),
    }
}

/// Cases generated from the catalog: for each action, an unknown parameter, each required
/// parameter left out, and each parameter with a value of the wrong type.
fn generated_cases() -> Vec<(String, String, Value, String)> {
    let mut out = Vec::new();
    for spec in catalog() {
        let required: Map<String, Value> = spec
            .params
            .iter()
            .filter(|p| p.required)
            .map(|p| (p.name.clone(), good(p.ty, &p.values)))
            .collect();
        let case = |params: Map<String, Value>, field: &str| {
            (
                spec.resource.clone(),
                spec.operation.clone(),
                Value::Object(params),
                field.to_string(),
            )
        };
        let mut unknown = required.clone();
        unknown.insert("no_such_parameter".into(), json!("x"));
        out.push(case(unknown, "no_such_parameter"));
        for p in spec.params.iter().filter(|p| p.required) {
            let mut missing = required.clone();
            missing.remove(&p.name);
            out.push(case(missing, &p.name));
        }
        for p in &spec.params {
            let mut wrong = required.clone();
            wrong.insert(p.name.clone(), bad(p.ty));
            out.push(case(wrong, &p.name));
        }
    }
    out
}

/// Values that have the right JSON type but are refused before sending.
fn semantic_cases(kind: BackendKind) -> Vec<(&'static str, &'static str, Value, &'static str)> {
    let long_name = "n".repeat(200);
    let mut v = vec![
        (
            "address",
            "create",
            json!({"name": "a", "ip_netmask": "1.1.1.1", "fqdn": "x.example"}),
            "fqdn",
        ),
        (
            "address",
            "create",
            json!({"name": long_name, "ip_netmask": "1.1.1.1"}),
            "name",
        ),
        (
            "address",
            "create",
            json!({"name": "a", "ip_netmask": "1.1.1.1", "description": "d".repeat(2000)}),
            "description",
        ),
        (
            "address",
            "update",
            json!({"name": "a", "description": "d".repeat(2000)}),
            "description",
        ),
        (
            "address",
            "update",
            json!({"name": "a", "ip_netmask": "1.1.1.1", "fqdn": "x.example"}),
            "fqdn",
        ),
        ("address", "get", json!({"name": ""}), "name"),
        (
            "tag",
            "create",
            json!({"name": "t", "color": "Ultraviolet"}),
            "color",
        ),
        (
            "tag",
            "update",
            json!({"name": "t", "color": "Ultraviolet"}),
            "color",
        ),
        (
            "securityRule",
            "create",
            json!({"name": "r", "rulebase": "middle"}),
            "rulebase",
        ),
        (
            "securityRule",
            "move",
            json!({"name": "r", "where": "before"}),
            "destination_rule",
        ),
        (
            "securityRule",
            "move",
            json!({"name": "r", "where": "after"}),
            "destination_rule",
        ),
        (
            "securityRule",
            "move",
            json!({"name": "r", "where": "middle"}),
            "where",
        ),
        (
            "service",
            "create",
            json!({"name": "s", "protocol": {"tcp": {"port": "80"}, "udp": {"port": "53"}}}),
            "protocol",
        ),
        (
            "dynamicUserGroup",
            "create",
            json!({"name": "g", "tags": ["a"], "filter": "'a'"}),
            "tags",
        ),
        ("dynamicUserGroup", "create", json!({"name": "g"}), "filter"),
        (
            "dynamicUserGroup",
            "update",
            json!({"name": "g", "match": "all"}),
            "match",
        ),
        ("address", "bulkCreate", json!({"objects": []}), "objects"),
        (
            "address",
            "bulkCreate",
            json!({"objects": [{"name": "ok", "ip_netmask": "1.1.1.1"}, {"name": "bad", "ip_netmsk": "x"}]}),
            "objects[1].ip_netmsk",
        ),
        ("address", "bulkDelete", json!({"names": []}), "names"),
        (
            "userTag",
            "register",
            json!({"user": "u", "tags": []}),
            "tags",
        ),
        (
            "userTag",
            "register",
            json!({"user": "u", "tags": ["t"], "timeout": 99_999_999_999u64}),
            "timeout",
        ),
        (
            "userTag",
            "register",
            json!({"user": "u", "tags": ["t"], "timeout": -1}),
            "timeout",
        ),
        (
            "userTag",
            "unregister",
            json!({"user": "", "tags": ["t"]}),
            "user",
        ),
        ("userTag", "unregisterAll", json!({"user": ""}), "user"),
        (
            "ipTag",
            "register",
            json!({"ip": "nope", "tags": ["t"]}),
            "ip",
        ),
        ("ipTag", "register", json!({"ip": [], "tags": ["t"]}), "ip"),
        (
            "ipTag",
            "unregister",
            json!({"ip": "192.0.2.1", "tags": []}),
            "tags",
        ),
        ("userGroup", "listMembers", json!({"name": ""}), "name"),
        ("session", "list", json!({"source": "not-an-ip"}), "source"),
        (
            "session",
            "clear",
            json!({"destination": "nope"}),
            "destination",
        ),
        ("session", "clear", json!({}), "all"),
        ("job", "get", json!({"id": ""}), "id"),
        ("job", "wait", json!({"id": -5}), "id"),
        (
            "config",
            "commit",
            json!({"timeout_secs": -1}),
            "timeout_secs",
        ),
    ];
    if kind == BackendKind::Panorama {
        v.extend([
            (
                "userTag",
                "register",
                json!({"user": "u", "tags": ["t"], "target": "not a serial"}),
                "target",
            ),
            ("session", "list", json!({"target": "../etc"}), "target"),
            ("systemInfo", "get", json!({"target": "x y"}), "target"),
            ("config", "push", json!({}), "device_group"),
            (
                "config",
                "push",
                json!({"device_group": "dg", "template": "t"}),
                "template",
            ),
            (
                "config",
                "push",
                json!({"template": "t", "template_stack": "s"}),
                "template_stack",
            ),
            (
                "config",
                "push",
                json!({"device_group": "dg", "devices": ["not a serial"]}),
                "devices[0]",
            ),
            (
                "deviceGroup",
                "create",
                json!({"name": "d".repeat(40)}),
                "name",
            ),
            (
                "deviceGroup",
                "create",
                json!({"name": "dg", "devices": ["007", "not a serial"]}),
                "devices[1]",
            ),
        ]);
    }
    v
}

async fn run_all(sim: &panops_sim::RunningSim, b: &Backends, kind: BackendKind) {
    sim.handle().clear_requests();
    let mut checked = 0;
    for (r, o, params, field) in generated_cases() {
        let e = err(b, &r, &o, params.clone()).await;
        if e["code"] == "unsupported" {
            continue;
        }
        assert_eq!(e["code"], "invalid_parameter", "{r}.{o} {params}: {e}");
        assert_eq!(e["field"], field.as_str(), "{r}.{o} {params}: {e}");
        checked += 1;
    }
    assert!(checked > 500, "only {checked} generated cases ran");
    for (r, o, params, field) in semantic_cases(kind) {
        let e = err(b, r, o, params.clone()).await;
        assert_eq!(
            e["code"], "invalid_parameter",
            "{kind:?} {r}.{o} {params}: {e}"
        );
        let got = e["field"].as_str().unwrap_or_default();
        assert!(
            got == field || got.starts_with(&format!("{field}.")),
            "{kind:?} {r}.{o} {params}: expected field {field}, got {e}"
        );
    }
    let sent = sim.handle().requests();
    assert!(
        sent.is_empty(),
        "{kind:?}: invalid input reached the device: {:?}",
        sent.iter()
            .map(|r| format!("{} {} {} {}", r.req_type, r.action, r.xpath, r.cmd))
            .collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn every_action_validates_on_a_firewall_before_sending() {
    let sim = start(SimConfig::firewall()).await;
    let b = Backends::with_default(backend(&sim).await);
    run_all(&sim, &b, BackendKind::Firewall).await;
    sim.shutdown().await;
}

#[tokio::test]
async fn every_action_validates_on_panorama_before_sending() {
    let sim = start(SimConfig::panorama(1)).await;
    let b = Backends::with_default(backend(&sim).await);
    run_all(&sim, &b, BackendKind::Panorama).await;
    sim.shutdown().await;
}

/// One bad value per value format (fields.rs `ValueFormat`), each just past its boundary,
/// for every backend: the error names the field and nothing reaches the device or tenant.
fn format_cases() -> Vec<(&'static str, &'static str, Value, &'static str)> {
    vec![
        // object names: charset, first character, length
        (
            "address",
            "create",
            json!({"name": "a'b", "ip_netmask": "10.0.0.1"}),
            "name",
        ),
        (
            "address",
            "create",
            json!({"name": "-a", "ip_netmask": "10.0.0.1"}),
            "name",
        ),
        ("address", "get", json!({"name": "a".repeat(64)}), "name"),
        ("tag", "create", json!({"name": "t".repeat(128)}), "name"),
        // addresses
        (
            "address",
            "create",
            json!({"name": "a", "ip_netmask": "10.0.0.0/33"}),
            "ip_netmask",
        ),
        (
            "address",
            "create",
            json!({"name": "a", "ip_range": "10.0.0.9-10.0.0.1"}),
            "ip_range",
        ),
        (
            "address",
            "create",
            json!({"name": "a", "ip_wildcard": "10.0.0.0/24"}),
            "ip_wildcard",
        ),
        (
            "address",
            "create",
            json!({"name": "a", "fqdn": "bad host.example"}),
            "fqdn",
        ),
        (
            "address",
            "create",
            json!({"name": "a", "fqdn": "a..example"}),
            "fqdn",
        ),
        (
            "address",
            "bulkCreate",
            json!({"objects": [{"name": "a", "ip_netmask": "10.0.0.1"}, {"name": "b", "ip_netmask": "10.0.0.256"}]}),
            "objects[1].ip_netmask",
        ),
        (
            "address",
            "bulkDelete",
            json!({"names": ["ok", ""]}),
            "names[1]",
        ),
        // ports and port lists
        (
            "service",
            "create",
            json!({"name": "s", "protocol": {"tcp": {"port": "65536"}}}),
            "protocol.tcp.port",
        ),
        (
            "service",
            "create",
            json!({"name": "s", "protocol": {"udp": {"port": "53,90-80"}}}),
            "protocol.udp.port",
        ),
        (
            "service",
            "create",
            json!({"name": "s", "protocol": {"tcp": {"port": "80", "source_port": "80, 443"}}}),
            "protocol.tcp.source_port",
        ),
        // members lists and tags
        (
            "addressGroup",
            "create",
            json!({"name": "g", "static": ["a", ""]}),
            "static[1]",
        ),
        (
            "address",
            "create",
            json!({"name": "a", "ip_netmask": "10.0.0.1", "tag": ["t".repeat(128)]}),
            "tag[0]",
        ),
        (
            "serviceGroup",
            "create",
            json!({"name": "g", "members": ["s\u{7}"]}),
            "members[0]",
        ),
        (
            "securityRule",
            "create",
            json!({"name": "r", "from": ["z".repeat(32)]}),
            "from[0]",
        ),
        (
            "securityRule",
            "create",
            json!({"name": "r", "destination": [" "]}),
            "destination[0]",
        ),
        (
            "securityRule",
            "move",
            json!({"name": "r", "where": "before", "destination_rule": "r'2"}),
            "destination_rule",
        ),
        // choices: the PAN-OS values or their SCM spelling, nothing else
        (
            "securityRule",
            "create",
            json!({"name": "r", "action": "permit"}),
            "action",
        ),
        (
            "tag",
            "create",
            json!({"name": "t", "color": "Infrared"}),
            "color",
        ),
        (
            "urlCategory",
            "create",
            json!({"name": "u", "type": "Categories"}),
            "type",
        ),
        // URL category entries
        (
            "urlCategory",
            "create",
            json!({"name": "u", "list": ["ok.example", "bad entry.example"]}),
            "list[1]",
        ),
        (
            "urlCategory",
            "create",
            json!({"name": "u", "list": ["x".repeat(256)]}),
            "list[0]",
        ),
        // tag filters
        (
            "addressGroup",
            "create",
            json!({"name": "g", "dynamic": {"filter": "'a' and"}}),
            "dynamic.filter",
        ),
        (
            "addressGroup",
            "create",
            json!({"name": "g", "dynamic": {"filter": "('a' or 'b'"}}),
            "dynamic.filter",
        ),
        (
            "dynamicUserGroup",
            "create",
            json!({"name": "g", "filter": "'a' 'b'"}),
            "filter",
        ),
        (
            "dynamicUserGroup",
            "create",
            json!({"name": "g", "filter": "'unclosed"}),
            "filter",
        ),
        // timeouts and integers
        (
            "config",
            "commit",
            json!({"timeout_secs": 604_801}),
            "timeout_secs",
        ),
        (
            "job",
            "wait",
            json!({"id": 1, "timeout_secs": 604_801}),
            "timeout_secs",
        ),
        (
            "userTag",
            "register",
            json!({"user": "u", "tags": ["t"], "timeout": 2_592_001}),
            "timeout",
        ),
        (
            "ipTag",
            "register",
            json!({"ip": ["10.0.0.1"], "tags": ["t"], "timeout": 2_592_001}),
            "timeout",
        ),
        (
            "ipTag",
            "register",
            json!({"ip": ["10.0.0.1", "10.0.0.256"], "tags": ["t"]}),
            "ip[1]",
        ),
        (
            "userTag",
            "register",
            json!({"user": "u", "tags": ["ok", ""]}),
            "tags[1]",
        ),
        (
            "session",
            "list",
            json!({"destination_port": 65536}),
            "destination_port",
        ),
        ("session", "list", json!({"protocol": 0}), "protocol"),
        ("session", "list", json!({"protocol": 256}), "protocol"),
        (
            "session",
            "list",
            json!({"source": "10.0.0.0/24"}),
            "source",
        ),
        ("session", "clear", json!({"id": 0}), "id"),
        ("session", "list", json!({"from": "z".repeat(32)}), "from"),
    ]
}

async fn run_format_cases(b: &Backends, kind: BackendKind) -> usize {
    let mut checked = 0;
    for (r, o, params, field) in format_cases() {
        let e = err(b, r, o, params.clone()).await;
        if e["code"] == "unsupported" {
            continue;
        }
        assert_eq!(
            e["code"], "invalid_parameter",
            "{kind:?} {r}.{o} {params}: {e}"
        );
        assert_eq!(e["field"], field, "{kind:?} {r}.{o} {params}: {e}");
        checked += 1;
    }
    checked
}

#[tokio::test]
async fn value_formats_are_checked_on_every_backend_before_sending() {
    for cfg in [SimConfig::firewall(), SimConfig::panorama(1)] {
        let sim = start(cfg).await;
        let b = Backends::with_default(backend(&sim).await);
        sim.handle().clear_requests();
        let kind = b.get(None).unwrap().kind();
        let checked = run_format_cases(&b, kind).await;
        assert!(checked >= 35, "{kind:?}: only {checked}");
        let sent = sim.handle().requests();
        assert!(
            sent.is_empty(),
            "{kind:?}: {} requests reached the device",
            sent.len()
        );
        sim.shutdown().await;
    }
    let scm = start_scm().await;
    let b = Backends::with_default(scm_backend(&scm));
    scm.handle().clear_requests();
    let tokens = scm.handle().token_requests();
    let checked = run_format_cases(&b, BackendKind::Scm).await;
    assert!(checked >= 25, "SCM: only {checked}");
    let sent = scm.handle().requests();
    assert!(
        sent.is_empty(),
        "SCM: {} requests reached the tenant",
        sent.len()
    );
    assert_eq!(
        scm.handle().token_requests(),
        tokens,
        "not even a token was asked for"
    );
}
