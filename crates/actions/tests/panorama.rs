//! Actions against a simulated Panorama: device groups, pre/post rulebases, push, and
//! `target` redirection of User-ID and show actions to a managed firewall.

mod support;

use panops_actions::{BackendKind, Backends};
use panops_panos::userid::{UidMessage, UidOp};
use panops_sim::SimConfig;
use serde_json::json;
use support::*;

const DG: &str = "branch";

#[tokio::test]
async fn device_groups_rulebases_and_push() {
    let sim = start(SimConfig::panorama(2)).await;
    let backend = backend(&sim).await;
    assert_eq!(backend.kind(), BackendKind::Panorama);
    let b = Backends::with_default(backend);
    let serials = sim.serials();

    let devices = ok(&b, "device", "list", json!({})).await;
    assert_eq!(devices["serials"], json!(serials), "{devices}");
    assert_eq!(devices["items"][0]["model"], "PA-VM");
    assert_eq!(devices["items"][0]["connected"], true);
    assert!(devices["items"][0]["device_group"].is_null());

    let dg = ok(
        &b,
        "deviceGroup",
        "create",
        json!({"name": DG, "devices": serials}),
    )
    .await;
    assert_eq!(dg["status"], "created");
    let again = ok(
        &b,
        "deviceGroup",
        "create",
        json!({"name": DG, "devices": serials.iter().rev().collect::<Vec<_>>()}),
    )
    .await;
    assert_eq!(again["status"], "unchanged");
    assert_eq!(
        err(
            &b,
            "deviceGroup",
            "create",
            json!({"name": DG, "devices": [serials[0]]})
        )
        .await["code"],
        "conflict"
    );
    assert_eq!(
        ok(&b, "deviceGroup", "list", json!({})).await["items"][0]["devices"],
        json!(serials)
    );
    // Membership shows once committed to Panorama's running configuration.
    ok(&b, "config", "commit", json!({})).await;
    let connected = ok(&b, "device", "listConnected", json!({})).await;
    assert_eq!(connected["items"][0]["device_group"], DG, "{connected}");

    // Objects in the device group vs shared.
    ok(
        &b,
        "address",
        "create",
        json!({"device_group": DG, "name": "ioc", "ip_netmask": "203.0.113.9"}),
    )
    .await;
    ok(
        &b,
        "address",
        "create",
        json!({"name": "shared-1", "fqdn": "x.example"}),
    )
    .await;
    assert_eq!(
        names(&ok(&b, "address", "list", json!({"device_group": DG})).await),
        vec!["ioc"]
    );
    assert_eq!(
        names(&ok(&b, "address", "list", json!({})).await),
        vec!["shared-1"]
    );
    assert!(sim.handle().config_xml(None, false, &format!("/config/devices/entry/device-group/entry[@name='{DG}']/address/entry[@name='ioc']")).is_some());
    assert_eq!(
        err(&b, "address", "get", json!({"name": "ioc"})).await["code"],
        "not_found"
    );

    // Pre and post rulebases.
    let rule = |name: &str, rulebase: &str| {
        json!({
            "device_group": DG, "rulebase": rulebase, "name": name, "from": ["any"], "to": ["any"],
            "source": ["any"], "destination": ["ioc"], "source_user": ["any"], "application": ["any"],
            "service": ["any"], "category": ["any"], "action": "deny"
        })
    };
    ok(&b, "securityRule", "create", rule("pre-1", "pre")).await;
    ok(&b, "securityRule", "create", rule("pre-2", "pre")).await;
    ok(&b, "securityRule", "create", rule("post-1", "post")).await;
    ok(
        &b,
        "securityRule",
        "move",
        json!({"device_group": DG, "name": "pre-2", "where": "top"}),
    )
    .await;
    assert_eq!(
        names(&ok(&b, "securityRule", "list", json!({"device_group": DG})).await),
        vec!["pre-2", "pre-1"]
    );
    assert_eq!(
        names(
            &ok(
                &b,
                "securityRule",
                "list",
                json!({"device_group": DG, "rulebase": "post"})
            )
            .await
        ),
        vec!["post-1"]
    );
    assert!(sim.handle().config_xml(None, false, &format!("/config/devices/entry/device-group/entry[@name='{DG}']/post-rulebase/security/rules/entry[@name='post-1']")).is_some());
    assert_eq!(
        err(
            &b,
            "securityRule",
            "get",
            json!({"device_group": DG, "name": "post-1"})
        )
        .await["code"],
        "not_found"
    );
    ok(
        &b,
        "securityRule",
        "delete",
        json!({"device_group": DG, "rulebase": "post", "name": "post-1"}),
    )
    .await;

    // Commit, push without waiting, then job.get / job.wait on the push job.
    let c = ok(&b, "config", "commit", json!({"description": "rules"})).await;
    assert_eq!(c["result"], "OK");
    let p = ok(
        &b,
        "config",
        "push",
        json!({"device_group": DG, "wait": false}),
    )
    .await;
    let id = p["job_id"].as_u64().expect("push job id");
    let done = ok(&b, "job", "wait", json!({"id": id})).await;
    assert_eq!(done["result"], "OK", "{done}");
    assert_eq!(done["devices"].as_array().unwrap().len(), 2, "{done}");
    let got = ok(&b, "job", "get", json!({"id": id})).await;
    assert_eq!(got["status"], "FIN");
    let e = err(&b, "config", "push", json!({})).await;
    assert_eq!(e["field"], "device_group");
    let e = err(&b, "job", "get", json!({"id": 99999})).await;
    assert!(
        e["code"] == "device_error" || e["code"] == "not_found",
        "{e}"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn target_redirects_user_id_and_show_actions_to_one_firewall() {
    let sim = start(SimConfig::panorama(2)).await;
    let b = Backends::with_default(backend(&sim).await);
    let serials = sim.serials();
    let (fw1, fw2) = (serials[0].as_str(), serials[1].as_str());

    ok(
        &b,
        "userTag",
        "register",
        json!({"user": "corp\\jdoe", "tags": ["ioc"], "target": fw1}),
    )
    .await;
    assert_eq!(
        ok(
            &b,
            "userTag",
            "list",
            json!({"user": "corp\\jdoe", "target": fw1})
        )
        .await["items"][0]["tags"],
        json!(["ioc"])
    );
    assert_eq!(
        ok(
            &b,
            "userTag",
            "list",
            json!({"user": "corp\\jdoe", "target": fw2})
        )
        .await["count"],
        0
    );
    assert_eq!(
        ok(&b, "userTag", "list", json!({"user": "corp\\jdoe"})).await["count"],
        0,
        "Panorama itself was not tagged"
    );
    let attrs = ok(&b, "userAttribute", "list", json!({"target": fw1})).await;
    assert!(
        attrs["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["user"] == "corp\\jdoe"),
        "{attrs}"
    );
    ok(
        &b,
        "userTag",
        "unregisterAll",
        json!({"user": "corp\\jdoe", "target": fw1}),
    )
    .await;
    assert_eq!(
        ok(
            &b,
            "userTag",
            "list",
            json!({"user": "corp\\jdoe", "target": fw1})
        )
        .await["count"],
        0
    );
    ok(
        &b,
        "userTag",
        "register",
        json!({"user": "corp\\x", "tags": ["a", "b"], "target": fw2}),
    )
    .await;
    ok(
        &b,
        "userTag",
        "unregister",
        json!({"user": "corp\\x", "tags": ["a"], "target": fw2}),
    )
    .await;
    assert_eq!(
        ok(
            &b,
            "userTag",
            "list",
            json!({"user": "corp\\x", "target": fw2})
        )
        .await["items"][0]["tags"],
        json!(["b"])
    );

    ok(
        &b,
        "ipTag",
        "register",
        json!({"ip": "192.0.2.5", "tags": ["ioc"], "target": fw2}),
    )
    .await;
    assert_eq!(
        ok(&b, "ipTag", "list", json!({"target": fw2})).await["count"],
        1
    );
    assert_eq!(
        ok(&b, "ipTag", "list", json!({"target": fw1})).await["count"],
        0
    );
    ok(
        &b,
        "ipTag",
        "unregister",
        json!({"ip": "192.0.2.5", "tags": ["ioc"], "target": fw2}),
    )
    .await;
    assert_eq!(
        ok(&b, "ipTag", "list", json!({"target": fw2})).await["count"],
        0
    );

    let mut msg = UidMessage::new();
    msg.push(UidOp::group("cn=soc", &["corp\\bob"]).unwrap());
    client(&sim)
        .with_target(fw1)
        .unwrap()
        .user_id(&msg)
        .await
        .unwrap();
    assert_eq!(
        ok(
            &b,
            "userGroup",
            "listMembers",
            json!({"name": "cn=soc", "target": fw1})
        )
        .await["members"],
        json!(["corp\\bob"])
    );
    assert_eq!(
        ok(
            &b,
            "userGroup",
            "listMembers",
            json!({"name": "cn=soc", "target": fw2})
        )
        .await["count"],
        0
    );

    let info = ok(&b, "systemInfo", "get", json!({"target": fw2})).await;
    assert_eq!(info["serial"], fw2);
    assert_eq!(info["model"], "PA-VM");
    assert_eq!(
        ok(&b, "systemInfo", "get", json!({})).await["model"],
        "Panorama"
    );

    let before = sim.handle().session_count(Some(fw1));
    let s = ok(&b, "session", "list", json!({"target": fw1})).await;
    assert!(s["count"].as_u64().unwrap() > 0, "{s}");
    let id = s["items"][0]["id"].as_u64().unwrap();
    ok(&b, "session", "clear", json!({"id": id, "target": fw1})).await;
    assert!(sim.handle().session_count(Some(fw1)) < before + 50);
    let requests = sim.handle().requests();
    assert!(
        requests
            .iter()
            .any(|r| r.target == fw1 && r.cmd.contains("<clear><session><id>")),
        "the clear went to {fw1}"
    );

    let e = err(
        &b,
        "userTag",
        "register",
        json!({"user": "u", "tags": ["t"], "target": "not a serial"}),
    )
    .await;
    assert_eq!(e["field"], "target");
    sim.shutdown().await;
}

#[tokio::test]
async fn every_object_resource_in_a_device_group_and_shared() {
    let sim = start(SimConfig::panorama(1)).await;
    let b = Backends::with_default(backend(&sim).await);
    // (resource, create fields, update fields, field changed by the update)
    let cases = [
        (
            "tag",
            json!({"color": "Green"}),
            json!({"comments": "c"}),
            "comments",
        ),
        (
            "address",
            json!({"fqdn": "a.example"}),
            json!({"description": "d"}),
            "description",
        ),
        (
            "addressGroup",
            json!({"dynamic": {"filter": "'ioc'"}}),
            json!({"description": "d"}),
            "description",
        ),
        (
            "service",
            json!({"protocol": {"udp": {"port": "53"}}}),
            json!({"description": "d"}),
            "description",
        ),
        (
            "serviceGroup",
            json!({"members": ["service-http"]}),
            json!({"members": ["service-https"]}),
            "members",
        ),
        (
            "dynamicUserGroup",
            json!({"filter": "'risky'"}),
            json!({"description": "d"}),
            "description",
        ),
        (
            "urlCategory",
            json!({"list": ["a.example/"], "type": "URL List"}),
            json!({"description": "d"}),
            "description",
        ),
        (
            "urlFilteringProfile",
            json!({"alert": ["gambling"]}),
            json!({"block": ["gambling"]}),
            "block",
        ),
    ];
    // A write into a device group that does not exist is refused (PAN-OS would create the
    // group on the way), naming the field; nothing is created.
    let e = err(
        &b,
        "address",
        "create",
        json!({"name": "a", "fqdn": "a.example", "device_group": DG}),
    )
    .await;
    assert_eq!(e["field"], "device_group", "{e}");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("deviceGroup.create"),
        "{e}"
    );
    assert_eq!(ok(&b, "deviceGroup", "list", json!({})).await["count"], 0);
    ok(&b, "deviceGroup", "create", json!({"name": DG})).await;
    for dg in [Some(DG), None] {
        for (resource, create, update, changed) in &cases {
            let mut params = create.clone();
            params["name"] = json!(format!("{resource}-1"));
            if let Some(dg) = dg {
                params["device_group"] = json!(dg);
            }
            let loc = |mut v: serde_json::Value| {
                if let Some(dg) = dg {
                    v["device_group"] = json!(dg);
                }
                v
            };
            let name = format!("{resource}-1");
            assert_eq!(
                ok(&b, resource, "create", params.clone()).await["status"],
                "created",
                "{resource}"
            );
            assert_eq!(
                ok(&b, resource, "create", params).await["status"],
                "unchanged",
                "{resource}"
            );
            assert_eq!(
                names(&ok(&b, resource, "list", loc(json!({}))).await),
                vec![name.clone()],
                "{resource} {dg:?}"
            );
            let mut up = update.clone();
            up["name"] = json!(name);
            let u = ok(&b, resource, "update", loc(up.clone())).await;
            assert_eq!(u["status"], "updated", "{resource}: {u}");
            assert_eq!(
                ok(&b, resource, "get", loc(json!({"name": name}))).await[changed],
                update[changed],
                "{resource}"
            );
            ok(&b, resource, "delete", loc(json!({"name": name}))).await;
            assert_eq!(
                err(&b, resource, "get", loc(json!({"name": name}))).await["code"],
                "not_found"
            );
        }
    }
    // Bulk in a device group.
    let objects: Vec<_> = (0..50)
        .map(|i| json!({"name": format!("b{i}"), "ip_netmask": format!("10.3.0.{i}")}))
        .collect();
    ok(
        &b,
        "address",
        "bulkCreate",
        json!({"device_group": DG, "objects": objects}),
    )
    .await;
    assert_eq!(
        ok(&b, "address", "list", json!({"device_group": DG})).await["count"],
        50
    );
    ok(
        &b,
        "address",
        "bulkDelete",
        json!({"device_group": DG, "names": ["b0", "b1"]}),
    )
    .await;
    assert_eq!(
        ok(&b, "address", "list", json!({"device_group": DG})).await["count"],
        48
    );
    assert_eq!(
        ok(&b, "address", "list", json!({})).await["count"],
        0,
        "shared untouched"
    );

    // Custom applications with their default ports.
    client(&sim)
        .config_set(
            "/config/shared/application",
            "<entry name=\"custom-app\"><category>networking</category><subcategory>ip-protocol</subcategory><technology>client-server</technology><risk>3</risk><default><port><member>tcp/8443</member></port></default></entry>",
        )
        .await
        .unwrap();
    let apps = ok(&b, "application", "list", json!({})).await;
    assert_eq!(apps["items"][0]["name"], "custom-app", "{apps}");
    assert_eq!(apps["items"][0]["default_ports"], json!(["tcp/8443"]));
    assert_eq!(apps["items"][0]["risk"], 3);
    sim.shutdown().await;
}

fn deny_rule(name: &str, extra: serde_json::Value) -> serde_json::Value {
    let mut rule = json!({
        "name": name, "from": ["any"], "to": ["any"], "source": ["any"],
        "destination": ["any"], "source_user": ["any"], "application": ["any"],
        "service": ["any"], "category": ["any"], "action": "deny"
    });
    if let (Some(r), Some(e)) = (rule.as_object_mut(), extra.as_object()) {
        r.extend(e.clone());
    }
    rule
}

#[tokio::test]
async fn security_rules_get_update_move_and_shared_rulebases() {
    let sim = start(SimConfig::panorama(1)).await;
    let b = Backends::with_default(backend(&sim).await);
    ok(&b, "deviceGroup", "create", json!({"name": DG})).await;
    let dg = json!({"device_group": DG});
    for name in ["a", "b", "c", "d"] {
        ok(&b, "securityRule", "create", deny_rule(name, dg.clone())).await;
    }
    let order = |b: &Backends, params: serde_json::Value| {
        let b = b.clone();
        async move { names(&ok(&b, "securityRule", "list", params).await) }
    };
    assert_eq!(order(&b, dg.clone()).await, vec!["a", "b", "c", "d"]);
    let mv = |name: &str, place: &str, dest: Option<&str>| json!({"device_group": DG, "name": name, "where": place, "destination_rule": dest});
    let m = ok(&b, "securityRule", "move", mv("a", "bottom", None)).await;
    assert_eq!(m["status"], "moved");
    assert_eq!(order(&b, dg.clone()).await, vec!["b", "c", "d", "a"]);
    ok(&b, "securityRule", "move", mv("d", "before", Some("b"))).await;
    assert_eq!(order(&b, dg.clone()).await, vec!["d", "b", "c", "a"]);
    let m = ok(&b, "securityRule", "move", mv("d", "after", Some("c"))).await;
    assert_eq!(m["destination_rule"], "c");
    assert_eq!(order(&b, dg.clone()).await, vec!["b", "c", "d", "a"]);
    // The device's own order, not only the action's view of it.
    let xml = sim
        .handle()
        .config_xml(
            None,
            false,
            &format!(
                "/config/devices/entry/device-group/entry[@name='{DG}']/pre-rulebase/security/rules"
            ),
        )
        .unwrap();
    let at = |n: &str| xml.find(&format!("name=\"{n}\"")).unwrap();
    assert!(
        at("b") < at("c") && at("c") < at("d") && at("d") < at("a"),
        "{xml}"
    );
    let e = err(&b, "securityRule", "move", mv("nope", "top", None)).await;
    assert_eq!(e["code"], "not_found");

    // A successful get, then an update that keeps the other fields.
    let got = ok(
        &b,
        "securityRule",
        "get",
        json!({"device_group": DG, "name": "c"}),
    )
    .await;
    assert_eq!(got["name"], "c");
    assert_eq!(got["action"], "deny");
    assert_eq!(got["source_user"], json!(["any"]));
    assert_eq!(got["from"], json!(["any"]));
    let u = ok(
        &b,
        "securityRule",
        "update",
        json!({"device_group": DG, "name": "c", "disabled": true, "description": "paused", "destination": ["10.0.0.0/8"]}),
    )
    .await;
    assert_eq!(u["status"], "updated", "{u}");
    let got = ok(
        &b,
        "securityRule",
        "get",
        json!({"device_group": DG, "name": "c"}),
    )
    .await;
    assert_eq!(got["disabled"], true);
    assert_eq!(got["description"], "paused");
    assert_eq!(got["destination"], json!(["10.0.0.0/8"]));
    assert_eq!(got["action"], "deny", "kept: {got}");
    let again = ok(
        &b,
        "securityRule",
        "update",
        json!({"device_group": DG, "name": "c", "disabled": true}),
    )
    .await;
    assert_eq!(again["status"], "unchanged");

    // Shared pre- and post-rulebases: no device_group.
    ok(
        &b,
        "securityRule",
        "create",
        deny_rule("shared-pre", json!({})),
    )
    .await;
    ok(
        &b,
        "securityRule",
        "create",
        deny_rule("shared-post-1", json!({"rulebase": "post"})),
    )
    .await;
    ok(
        &b,
        "securityRule",
        "create",
        deny_rule("shared-post-2", json!({"rulebase": "post"})),
    )
    .await;
    assert_eq!(order(&b, json!({})).await, vec!["shared-pre"]);
    ok(
        &b,
        "securityRule",
        "move",
        json!({"rulebase": "post", "name": "shared-post-2", "where": "top"}),
    )
    .await;
    assert_eq!(
        order(&b, json!({"rulebase": "post"})).await,
        vec!["shared-post-2", "shared-post-1"]
    );
    for (rulebase, name) in [
        ("pre-rulebase", "shared-pre"),
        ("post-rulebase", "shared-post-1"),
    ] {
        assert!(
            sim.handle()
                .config_xml(
                    None,
                    false,
                    &format!("/config/shared/{rulebase}/security/rules/entry[@name='{name}']")
                )
                .is_some(),
            "{name} in shared {rulebase}"
        );
    }
    let got = ok(
        &b,
        "securityRule",
        "get",
        json!({"rulebase": "post", "name": "shared-post-1"}),
    )
    .await;
    assert_eq!(got["action"], "deny");
    assert_eq!(
        err(&b, "securityRule", "get", json!({"name": "shared-post-1"})).await["code"],
        "not_found",
        "not in the shared pre-rulebase"
    );
    assert_eq!(
        order(&b, dg).await.len(),
        4,
        "the device group is untouched"
    );
    ok(
        &b,
        "securityRule",
        "delete",
        json!({"rulebase": "post", "name": "shared-post-1"}),
    )
    .await;
    assert_eq!(
        order(&b, json!({"rulebase": "post"})).await,
        vec!["shared-post-2"]
    );
    sim.shutdown().await;
}

/// Panorama with a committed device group holding every firewall, and a template in a stack
/// holding the first one.
async fn panorama_with_scopes(firewalls: usize) -> (panops_sim::RunningSim, Backends) {
    let sim = start(SimConfig::panorama(firewalls)).await;
    let b = Backends::with_default(backend(&sim).await);
    let serials = sim.serials();
    ok(
        &b,
        "deviceGroup",
        "create",
        json!({"name": DG, "devices": serials}),
    )
    .await;
    let pano = client(&sim);
    let tpl_root = "/config/devices/entry[@name='localhost.localdomain']";
    pano.config_set(
        &format!("{tpl_root}/template"),
        "<entry name=\"branch-tpl\"><config><devices><entry name=\"localhost.localdomain\"><deviceconfig><system><timezone>Europe/Paris</timezone></system></deviceconfig></entry></devices></config></entry>",
    )
    .await
    .unwrap();
    pano.config_set(
        &format!("{tpl_root}/template-stack"),
        &format!(
            "<entry name=\"branch-stack\"><templates><member>branch-tpl</member></templates><devices><entry name=\"{}\"/></devices></entry>",
            serials[0]
        ),
    )
    .await
    .unwrap();
    ok(
        &b,
        "address",
        "create",
        json!({"device_group": DG, "name": "ioc", "ip_netmask": "192.0.2.1"}),
    )
    .await;
    ok(&b, "config", "commit", json!({})).await;
    (sim, b)
}

fn device_serials(job: &serde_json::Value) -> Vec<String> {
    job["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["serial"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn push_scopes_device_filter_wait_and_failures() {
    let (sim, b) = panorama_with_scopes(2).await;
    let serials = sim.serials();

    // wait (the default): the finished job with one entry per firewall.
    let done = ok(
        &b,
        "config",
        "push",
        json!({"device_group": DG, "description": "all"}),
    )
    .await;
    assert_eq!(done["outcome"], "done", "{done}");
    assert_eq!(done["result"], "OK");
    assert_eq!(done["status"], "FIN");
    assert_eq!(done["type"], "CommitAll");
    assert_eq!(device_serials(&done), serials);
    assert!(
        done["devices"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["result"] == "OK")
    );
    assert!(
        sim.handle()
            .config_xml(
                Some(&serials[1]),
                true,
                "/config/devices/entry/vsys/entry[@name='vsys1']/address/entry[@name='ioc']"
            )
            .is_some(),
        "the pushed object reached the second firewall"
    );

    // The devices filter limits the push to the serials given.
    let one = ok(
        &b,
        "config",
        "push",
        json!({"device_group": DG, "devices": [serials[1]]}),
    )
    .await;
    assert_eq!(device_serials(&one), vec![serials[1].clone()]);
    let cmd = sim
        .handle()
        .requests()
        .into_iter()
        .rev()
        .find(|r| r.cmd.contains("<commit-all>"))
        .unwrap()
        .cmd;
    assert!(
        cmd.contains(&serials[1]) && !cmd.contains(&serials[0]),
        "{cmd}"
    );

    // A template push goes to the firewalls of the stacks holding the template.
    let t = ok(&b, "config", "push", json!({"template": "branch-tpl"})).await;
    assert_eq!(t["result"], "OK", "{t}");
    assert_eq!(device_serials(&t), vec![serials[0].clone()]);
    let tz = sim
        .handle()
        .config_xml(
            Some(&serials[0]),
            true,
            "/config/devices/entry/deviceconfig/system/timezone",
        )
        .unwrap_or_default();
    assert!(
        tz.contains("Europe/Paris"),
        "template value on the firewall: {tz}"
    );
    let s = ok(
        &b,
        "config",
        "push",
        json!({"template_stack": "branch-stack"}),
    )
    .await;
    assert_eq!(device_serials(&s), vec![serials[0].clone()]);

    // Both scopes: refused before anything is sent.
    sim.handle().clear_requests();
    let e = err(
        &b,
        "config",
        "push",
        json!({"device_group": DG, "template": "branch-tpl"}),
    )
    .await;
    assert_eq!(e["code"], "invalid_parameter");
    assert_eq!(e["field"], "template");
    assert!(sim.handle().requests().is_empty(), "nothing sent");

    // A push job that fails: job_failed with the failing firewall's own details.
    sim.handle().fail_next_jobs(1);
    let e = err(&b, "config", "push", json!({"device_group": DG})).await;
    assert_eq!(e["code"], "job_failed", "{e}");
    assert!(e["job_id"].as_str().is_some_and(|id| !id.is_empty()), "{e}");
    let failed: Vec<&serde_json::Value> = e["job"]["devices"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["result"] == "FAIL")
        .collect();
    assert_eq!(failed.len(), 1, "{e}");
    let details = failed[0]["details"].to_string();
    assert!(details.contains("simulated failure"), "{e}");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains(failed[0]["serial"].as_str().unwrap()),
        "the message names the firewall: {e}"
    );
    assert_eq!(e["job"]["result"], "FAIL");

    // A disconnected firewall fails the push with the device's reason.
    sim.handle().set_connected(&serials[1], false).unwrap();
    let e = err(&b, "config", "push", json!({"device_group": DG})).await;
    assert_eq!(e["code"], "job_failed");
    assert!(
        e["message"].as_str().unwrap().contains("not connected"),
        "{e}"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn device_list_connected_and_disconnected_firewalls() {
    let sim = start(SimConfig::panorama(2)).await;
    let b = Backends::with_default(backend(&sim).await);
    let serials = sim.serials();
    let all = ok(&b, "device", "list", json!({})).await;
    for (i, item) in all["items"].as_array().unwrap().iter().enumerate() {
        let info = ok(&b, "systemInfo", "get", json!({"target": serials[i]})).await;
        assert_eq!(item["serial"], serials[i].as_str());
        assert!(
            item["hostname"].as_str().is_some_and(|h| !h.is_empty()),
            "{item}"
        );
        assert_eq!(item["hostname"], info["hostname"], "{item} vs {info}");
        assert!(
            item["version"].as_str().is_some_and(|v| v.contains('.')),
            "{item}"
        );
        assert_eq!(item["version"], info["sw_version"]);
        assert_eq!(item["version"], item["sw_version"]);
        assert_eq!(info["version"], info["sw_version"]);
        assert_eq!(item["connected"], true);
    }
    sim.handle().set_connected(&serials[1], false).unwrap();
    let connected = ok(&b, "device", "listConnected", json!({})).await;
    assert_eq!(connected["serials"], json!([serials[0]]), "{connected}");
    let all = ok(&b, "device", "list", json!({})).await;
    assert_eq!(all["serials"], json!(serials));
    assert_eq!(all["items"][1]["connected"], false, "{all}");
    assert_eq!(all["items"][0]["connected"], true);
    sim.shutdown().await;
}

#[tokio::test]
async fn device_refusals_and_job_timeouts() {
    let sim = start(SimConfig::panorama(1)).await;
    let b = Backends::with_default(backend(&sim).await);
    // Pushing a device group Panorama has not committed: the device's own words (its code
    // 13, "object not found", makes it not_found).
    ok(&b, "deviceGroup", "create", json!({"name": "uncommitted"})).await;
    let e = err(&b, "config", "push", json!({"device_group": "uncommitted"})).await;
    assert_eq!(e["code"], "not_found", "{e}");
    assert!(
        e["message"].as_str().unwrap().contains(
            "Device group uncommitted does not exist in the running configuration of Panorama"
        ),
        "{e}"
    );
    assert!(e.get("field").is_none());

    // A job that outlives the wait: timeout with the job id and its last state.
    sim.handle()
        .set_job_duration(std::time::Duration::from_secs(3600));
    let e = err(&b, "config", "commit", json!({"timeout_secs": 0})).await;
    assert_eq!(e["code"], "timeout", "{e}");
    let id = e["job_id"].as_str().unwrap().to_string();
    let job = ok(&b, "job", "get", json!({"id": id})).await;
    assert_ne!(job["status"], "FIN", "{job}");
    assert_eq!(job["result"], "PEND");
    let e = err(&b, "job", "wait", json!({"id": id, "timeout_secs": 0})).await;
    assert_eq!(e["code"], "timeout");
    assert_eq!(e["job_id"], id.as_str());
    sim.shutdown().await;
}

#[tokio::test]
async fn application_list_on_panorama_device_group_shared_and_predefined() {
    let sim = start(SimConfig::panorama(1)).await;
    let b = Backends::with_default(backend(&sim).await);
    ok(&b, "deviceGroup", "create", json!({"name": DG})).await;
    client(&sim)
        .config_set(
            &format!("/config/devices/entry[@name='localhost.localdomain']/device-group/entry[@name='{DG}']/application"),
            "<entry name=\"dg-app\"><category>networking</category><subcategory>ip-protocol</subcategory><technology>network-protocol</technology><risk>1</risk><default><port><member>tcp/7000-7010</member></port></default></entry>",
        )
        .await
        .unwrap();
    let dg = ok(
        &b,
        "application",
        "list",
        json!({"device_group": DG, "predefined": true}),
    )
    .await;
    let items = dg["items"].as_array().unwrap();
    assert_eq!(items[0]["name"], "dg-app", "{dg}");
    assert_eq!(items[0]["location"], format!("device group {DG}"));
    assert_eq!(items[0]["default_ports"], json!(["tcp/7000-7010"]));
    let ssh = items
        .iter()
        .find(|a| a["name"] == "ssh")
        .expect("ssh is predefined");
    assert_eq!(ssh["default_ports"], json!(["tcp/22"]));
    assert_eq!(ssh["location"], "predefined");
    let shared = ok(&b, "application", "list", json!({})).await;
    assert_eq!(
        shared["count"], 0,
        "the device group's app is not shared: {shared}"
    );
    sim.shutdown().await;
}

/// `config.push` takes `devices` and `include_template` as the CLI's `panos push` does;
/// both are validated before anything is sent.
#[tokio::test]
async fn push_include_template_and_devices_are_sent_and_validated() {
    let (sim, b) = panorama_with_scopes(2).await;
    let serials = sim.serials();
    let last_push_cmd = || {
        sim.handle()
            .requests()
            .into_iter()
            .rev()
            .find(|r| r.cmd.contains("<commit-all>"))
            .map(|r| r.cmd)
            .unwrap_or_default()
    };

    let done = ok(
        &b,
        "config",
        "push",
        json!({"device_group": DG, "devices": [serials[0]], "include_template": true}),
    )
    .await;
    assert_eq!(done["result"], "OK", "{done}");
    assert_eq!(device_serials(&done), vec![serials[0].clone()]);
    let cmd = last_push_cmd();
    assert!(
        cmd.contains("<include-template>yes</include-template>") && cmd.contains(&serials[0]),
        "{cmd}"
    );
    ok(
        &b,
        "config",
        "push",
        json!({"device_group": DG, "include_template": false}),
    )
    .await;
    assert!(
        last_push_cmd().contains("<include-template>no</include-template>"),
        "{}",
        last_push_cmd()
    );
    ok(&b, "config", "push", json!({"device_group": DG})).await;
    assert!(!last_push_cmd().contains("include-template"));

    // Refused before anything is sent, naming the parameter.
    for (params, field) in [
        (
            json!({"template": "branch-tpl", "include_template": true}),
            "include_template",
        ),
        (
            json!({"template_stack": "branch-stack", "include_template": false}),
            "include_template",
        ),
        (
            json!({"device_group": DG, "devices": ["not a serial"]}),
            "devices[0]",
        ),
        (
            json!({"device_group": DG, "include_template": "yes"}),
            "include_template",
        ),
    ] {
        sim.handle().clear_requests();
        let e = err(&b, "config", "push", params.clone()).await;
        assert_eq!(e["code"], "invalid_parameter", "{params}: {e}");
        assert_eq!(e["field"], field, "{params}: {e}");
        assert!(sim.handle().requests().is_empty(), "{params}: nothing sent");
    }
    sim.shutdown().await;
}
