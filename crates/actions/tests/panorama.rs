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
