//! Workflows: the IOC containment examples as written, references, stop at first failure,
//! and the SCM backend.

mod support;

use panops_actions::{Backends, Workflow, workflow};
use panops_sim::SimConfig;
use serde_json::{Value, json};
use support::*;

fn example(name: &str) -> Workflow {
    let path = format!("{}/../../examples/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let wf = Workflow::parse(&text).expect("example parses");
    wf.check()
        .expect("every step of the example is a valid action");
    wf
}

fn step<'a>(report: &'a Value, action: &str) -> &'a Value {
    report["completed"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["action"] == action)
        .unwrap_or_else(|| panic!("no {action} in {report}"))
}

#[tokio::test]
async fn ioc_containment_runs_as_written_against_panorama() {
    let sim = start(SimConfig::panorama(2)).await;
    let b = Backends::with_default(backend(&sim).await);
    let wf = example("ioc-containment.json");
    // A rule already in the pre-rulebase proves the deny rule lands above it.
    let existing = Workflow::from_value(json!([
        {"resource": "deviceGroup", "operation": "create", "parameters": {"name": "soc-containment"}},
        {"resource": "securityRule", "operation": "create", "parameters": {
            "device_group": "soc-containment", "name": "allow-web", "from": ["any"], "to": ["any"],
            "source": ["any"], "destination": ["any"], "source_user": ["any"], "application": ["any"],
            "service": ["any"], "category": ["any"], "action": "allow"}}
    ]))
    .unwrap();
    assert!(workflow::run(&b, &existing).await.ok);
    // The device group exists without devices and overwrite is not set: the workflow stops
    // at step 1 with a conflict and reports the one step it completed.
    let report = workflow::run(&b, &wf).await.to_json();
    assert_eq!(report["ok"], false, "{report}");
    assert_eq!(report["failed"]["step"], 1, "{report}");
    assert_eq!(report["failed"]["error"]["code"], "conflict", "{report}");
    assert_eq!(report["completed"].as_array().unwrap().len(), 1);
    assert_eq!(report["not_run"], wf.steps.len() - 2);
    sim.shutdown().await;

    // Now as written on a fresh Panorama whose pre-rulebase already holds a rule.
    let sim = start(SimConfig::panorama(2)).await;
    let b = Backends::with_default(backend(&sim).await);
    let existing = Workflow::from_value(json!([
        {"resource": "deviceGroup", "operation": "create",
         "parameters": {"name": "soc-containment", "devices": sim.serials(), "description": "IOC containment"}},
        {"resource": "securityRule", "operation": "create", "parameters": {
            "device_group": "soc-containment", "name": "allow-web", "from": ["any"], "to": ["any"],
            "source": ["any"], "destination": ["any"], "source_user": ["any"], "application": ["any"],
            "service": ["any"], "category": ["any"], "action": "allow"}}
    ]))
    .unwrap();
    assert!(workflow::run(&b, &existing).await.ok);
    let report = workflow::run(&b, &wf).await.to_json();
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(
        report["completed"].as_array().unwrap().len(),
        wf.steps.len()
    );
    let serials = sim.serials();
    assert_eq!(
        step(&report, "deviceGroup.create")["result"]["object"]["devices"],
        json!(serials)
    );
    assert_eq!(step(&report, "config.commit")["result"]["result"], "OK");
    let wait = step(&report, "job.wait");
    assert_eq!(wait["result"]["result"], "OK", "{wait}");
    assert_eq!(wait["result"]["devices"].as_array().unwrap().len(), 2);
    assert_eq!(
        step(&report, "userTag.list")["result"]["items"][0]["tags"],
        json!(["ioc-2026-0142"])
    );
    // The rule is first in the pre-rulebase and reached the firewalls.
    let rules = ok(
        &b,
        "securityRule",
        "list",
        json!({"device_group": "soc-containment"}),
    )
    .await;
    assert_eq!(names(&rules), vec!["block-ioc-2026-0142", "allow-web"]);
    let fw = client(&sim).with_target(&serials[0]).unwrap();
    let tagged = fw
        .op("<show><object><registered-user><all/></registered-user></object></show>")
        .await
        .unwrap();
    assert!(tagged.xml().contains("corp\\jdoe"), "{}", tagged.xml());
    // Running it again changes nothing: every create reports unchanged.
    let again = workflow::run(&b, &wf).await.to_json();
    assert_eq!(again["ok"], true, "{again}");
    for action in [
        "tag.create",
        "address.create",
        "addressGroup.create",
        "securityRule.create",
        "deviceGroup.create",
    ] {
        assert_eq!(
            step(&again, action)["result"]["status"],
            "unchanged",
            "{action}"
        );
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn ioc_containment_runs_against_the_scm_simulator() {
    let sim = start_scm().await;
    let mut b = Backends::new();
    b.insert("scm-lab", scm_backend(&sim));
    let wf = example("ioc-containment-scm.json");
    assert_eq!(wf.profile.as_deref(), Some("scm-lab"));
    let report = workflow::run(&b, &wf).await.to_json();
    assert_eq!(report["ok"], true, "{report}");
    let skipped: Vec<&str> = report["completed"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s.get("skipped").is_some())
        .map(|s| s["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        skipped,
        vec![
            "device.listConnected",
            "deviceGroup.create",
            "config.commit",
            "userTag.register",
            "userTag.list"
        ]
    );
    assert_eq!(
        step(&report, "job.wait")["result"]["result"],
        "OK",
        "{report}"
    );
    let rules = ok(
        &b_default(&b),
        "securityRule",
        "list",
        json!({"folder": "Shared"}),
    )
    .await;
    assert_eq!(names(&rules)[0], "block-ioc-2026-0142");
    let again = workflow::run(&b, &wf).await.to_json();
    assert_eq!(again["ok"], true, "{again}");
    assert_eq!(
        step(&again, "address.create")["result"]["status"],
        "unchanged"
    );
    sim.shutdown().await;
}

fn b_default(b: &Backends) -> Backends {
    Backends::with_default(b.get(Some("scm-lab")).unwrap().clone())
}

#[tokio::test]
async fn scm_objects_unchanged_overwrite_and_unsupported() {
    let sim = start_scm().await;
    let b = Backends::with_default(scm_backend(&sim));
    let a = json!({"name": "h1", "ip_netmask": "10.0.0.1/32", "description": "x"});
    assert_eq!(
        ok(&b, "address", "create", a.clone()).await["status"],
        "created"
    );
    assert_eq!(ok(&b, "address", "create", a).await["status"], "unchanged");
    let e = err(
        &b,
        "address",
        "create",
        json!({"name": "h1", "ip_netmask": "10.0.0.2/32"}),
    )
    .await;
    assert_eq!(e["code"], "conflict");
    let r = ok(
        &b,
        "address",
        "create",
        json!({"name": "h1", "ip_netmask": "10.0.0.2/32", "overwrite": true}),
    )
    .await;
    assert_eq!(r["status"], "replaced");
    let u = ok(
        &b,
        "address",
        "update",
        json!({"name": "h1", "description": "new"}),
    )
    .await;
    assert_eq!(u["object"]["ip_netmask"], "10.0.0.2/32");
    assert_eq!(
        ok(&b, "address", "get", json!({"name": "h1"})).await["description"],
        "new"
    );
    ok(&b, "tag", "create", json!({"name": "t", "color": "color1"})).await;
    assert_eq!(
        ok(&b, "tag", "get", json!({"name": "t"})).await["color"],
        "Red"
    );
    let objects: Vec<Value> = (0..20)
        .map(|i| json!({"name": format!("b{i}"), "ip_netmask": format!("10.2.0.{i}")}))
        .collect();
    assert_eq!(
        ok(&b, "address", "bulkCreate", json!({"objects": objects})).await["count"],
        20
    );
    let d = ok(
        &b,
        "address",
        "bulkDelete",
        json!({"names": ["b0", "b1", "nope"]}),
    )
    .await;
    assert_eq!(d["count"], 2);
    assert_eq!(d["missing"], json!(["nope"]));
    assert_eq!(ok(&b, "address", "list", json!({})).await["count"], 19);
    ok(&b, "address", "delete", json!({"name": "h1"})).await;
    assert_eq!(
        err(&b, "address", "get", json!({"name": "h1"})).await["code"],
        "not_found"
    );
    for (r, o) in [
        ("session", "clear"),
        ("userTag", "register"),
        ("config", "commit"),
        ("device", "list"),
    ] {
        let e = err(&b, r, o, json!({})).await;
        assert_eq!(e["code"], "unsupported", "{r}.{o}: {e}");
        assert!(e["message"].as_str().unwrap().contains("scm"), "{e}");
    }
    let e = err(
        &b,
        "address",
        "create",
        json!({"name": "x", "ip_netmask": "1.1.1.1", "folder": "Nowhere"}),
    )
    .await;
    assert_eq!(e["code"], "invalid_parameter", "{e}");
    sim.shutdown().await;
}

#[tokio::test]
async fn runner_substitutes_references_and_stops_at_the_first_failure() {
    let sim = start(SimConfig::firewall()).await;
    let b = Backends::with_default(backend(&sim).await);
    let wf = Workflow::from_value(json!([
        {"resource": "tag", "operation": "create", "parameters": {"name": "ioc"}},
        {"resource": "address", "operation": "create",
         "parameters": {"name": "from-${steps.0.result.name}", "ip_netmask": "10.0.0.1", "tag": ["${steps.0.result.name}"]}},
        {"resource": "address", "operation": "get", "parameters": {"name": "${steps.1.result.name}"}},
        {"resource": "address", "operation": "get", "parameters": {"name": "missing"}},
        {"resource": "tag", "operation": "delete", "parameters": {"name": "ioc"}}
    ]))
    .unwrap();
    let report = workflow::run(&b, &wf).await.to_json();
    assert_eq!(report["ok"], false);
    assert_eq!(report["completed"].as_array().unwrap().len(), 3);
    assert_eq!(report["completed"][2]["result"]["tag"], json!(["ioc"]));
    assert_eq!(report["completed"][2]["result"]["name"], "from-ioc");
    assert_eq!(report["failed"]["step"], 3);
    assert_eq!(report["failed"]["error"]["code"], "not_found");
    assert_eq!(report["not_run"], 1);
    // The step after the failure did not run: the tag is still there.
    assert_eq!(
        ok(&b, "tag", "get", json!({"name": "ioc"})).await["name"],
        "ioc"
    );

    let bad = Workflow::from_value(json!([
        {"resource": "tag", "operation": "list"},
        {"resource": "tag", "operation": "get", "parameters": {"name": "${steps.0.result.nothing}"}}
    ]))
    .unwrap();
    let report = workflow::run(&b, &bad).await.to_json();
    assert_eq!(report["failed"]["error"]["code"], "invalid_reference");
    assert_eq!(report["failed"]["error"]["field"], "name");
    let unsupported = Workflow::from_value(
        json!([{"resource": "config", "operation": "push", "parameters": {"device_group": "x"}}]),
    )
    .unwrap();
    let report = workflow::run(&b, &unsupported).await.to_json();
    assert_eq!(report["failed"]["error"]["code"], "unsupported");
    let unknown_profile =
        Workflow::from_value(json!([{"resource": "tag", "operation": "list", "profile": "nope"}]))
            .unwrap();
    assert_eq!(
        workflow::run(&b, &unknown_profile).await.to_json()["failed"]["error"]["code"],
        "profile"
    );
    sim.shutdown().await;
}
