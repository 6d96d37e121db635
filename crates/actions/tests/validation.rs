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
                "devices",
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
