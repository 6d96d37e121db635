//! Every action against a simulated firewall.

mod support;

use panops_actions::{BackendKind, Backends};
use panops_panos::userid::{UidMessage, UidOp};
use panops_sim::SimConfig;
use serde_json::json;
use support::*;

#[tokio::test]
async fn objects_crud_on_a_firewall() {
    let sim = start(SimConfig::firewall()).await;
    let backend = backend(&sim).await;
    assert_eq!(backend.kind(), BackendKind::Firewall);
    let b = Backends::with_default(backend);

    // tag
    let t = ok(
        &b,
        "tag",
        "create",
        json!({"name": "ioc", "color": "Red", "comments": "c"}),
    )
    .await;
    assert_eq!(t["status"], "created");
    assert_eq!(t["object"]["color"], "Red");
    let xml = sim
        .handle()
        .config_xml(
            None,
            false,
            "/config/devices/entry/vsys/entry[@name='vsys1']/tag/entry[@name='ioc']",
        )
        .unwrap();
    assert!(xml.contains("<color>color1</color>"), "{xml}");
    assert_eq!(
        ok(
            &b,
            "tag",
            "create",
            json!({"name": "ioc", "color": "Red", "comments": "c"})
        )
        .await["status"],
        "unchanged"
    );
    let e = err(&b, "tag", "create", json!({"name": "ioc", "color": "Blue"})).await;
    assert_eq!(e["code"], "conflict");
    assert!(e["message"].as_str().unwrap().contains("color"), "{e}");
    let r = ok(
        &b,
        "tag",
        "create",
        json!({"name": "ioc", "color": "Blue", "overwrite": true}),
    )
    .await;
    assert_eq!(r["status"], "replaced");
    assert_eq!(
        ok(&b, "tag", "get", json!({"name": "ioc"})).await["color"],
        "Blue"
    );
    assert!(
        ok(&b, "tag", "get", json!({"name": "ioc"}))
            .await
            .get("comments")
            .is_none()
    );
    let u = ok(
        &b,
        "tag",
        "update",
        json!({"name": "ioc", "comments": "again"}),
    )
    .await;
    assert_eq!(u["status"], "updated");
    assert_eq!(u["object"]["color"], "Blue");
    assert_eq!(names(&ok(&b, "tag", "list", json!({})).await), vec!["ioc"]);

    // address: every type, update switches type, delete
    ok(
        &b,
        "address",
        "create",
        json!({"name": "h1", "ip_netmask": "10.1.1.1/32", "tag": ["ioc"]}),
    )
    .await;
    ok(
        &b,
        "address",
        "create",
        json!({"name": "r1", "ip_range": "10.1.1.1-10.1.1.9"}),
    )
    .await;
    ok(
        &b,
        "address",
        "create",
        json!({"name": "d1", "fqdn": "bad.example"}),
    )
    .await;
    ok(
        &b,
        "address",
        "create",
        json!({"name": "w1", "ip_wildcard": "10.0.0.0/0.0.255.0"}),
    )
    .await;
    let got = ok(&b, "address", "get", json!({"name": "h1"})).await;
    assert_eq!(
        got,
        json!({"name": "h1", "tag": ["ioc"], "ip_netmask": "10.1.1.1/32"})
    );
    let u = ok(
        &b,
        "address",
        "update",
        json!({"name": "d1", "ip_netmask": "10.9.9.9"}),
    )
    .await;
    assert_eq!(u["object"]["ip_netmask"], "10.9.9.9");
    assert!(u["object"].get("fqdn").is_none(), "{u}");
    assert_eq!(
        names(&ok(&b, "address", "list", json!({"vsys": "vsys1"})).await).len(),
        4
    );
    ok(&b, "address", "delete", json!({"name": "w1"})).await;
    assert_eq!(
        err(&b, "address", "get", json!({"name": "w1"})).await["code"],
        "not_found"
    );
    assert_eq!(
        err(&b, "address", "delete", json!({"name": "w1"})).await["code"],
        "not_found"
    );

    // address group: static and dynamic
    ok(
        &b,
        "addressGroup",
        "create",
        json!({"name": "g1", "static": ["h1", "r1"]}),
    )
    .await;
    ok(
        &b,
        "addressGroup",
        "create",
        json!({"name": "dag", "dynamic": {"filter": "'ioc'"}}),
    )
    .await;
    assert_eq!(
        ok(&b, "addressGroup", "get", json!({"name": "dag"})).await["dynamic"]["filter"],
        "'ioc'"
    );
    assert_eq!(
        ok(&b, "addressGroup", "get", json!({"name": "g1"})).await["static"],
        json!(["h1", "r1"])
    );
    ok(&b, "addressGroup", "delete", json!({"name": "g1"})).await;

    // service and service group
    ok(
        &b,
        "service",
        "create",
        json!({"name": "tcp-8443", "protocol": {"tcp": {"port": "8443"}}}),
    )
    .await;
    assert_eq!(
        ok(&b, "service", "get", json!({"name": "tcp-8443"})).await["protocol"]["tcp"]["port"],
        "8443"
    );
    ok(
        &b,
        "serviceGroup",
        "create",
        json!({"name": "sg", "members": ["tcp-8443"]}),
    )
    .await;
    assert_eq!(
        ok(&b, "serviceGroup", "get", json!({"name": "sg"})).await["members"],
        json!(["tcp-8443"])
    );
    assert_eq!(
        names(&ok(&b, "service", "list", json!({})).await),
        vec!["tcp-8443"]
    );
    ok(&b, "serviceGroup", "delete", json!({"name": "sg"})).await;
    ok(&b, "service", "delete", json!({"name": "tcp-8443"})).await;

    // dynamic user group
    ok(
        &b,
        "dynamicUserGroup",
        "create",
        json!({"name": "risky", "filter": "'ioc'"}),
    )
    .await;
    assert_eq!(
        names(&ok(&b, "dynamicUserGroup", "list", json!({})).await),
        vec!["risky"]
    );

    // URL category and URL filtering profile
    ok(
        &b,
        "urlCategory",
        "create",
        json!({"name": "bad-sites", "list": ["bad.example/"], "type": "URL List"}),
    )
    .await;
    let u = ok(
        &b,
        "urlCategory",
        "update",
        json!({"name": "bad-sites", "list": ["bad.example/", "worse.example/"]}),
    )
    .await;
    assert_eq!(
        u["object"]["list"],
        json!(["bad.example/", "worse.example/"])
    );
    ok(
        &b,
        "urlFilteringProfile",
        "create",
        json!({"name": "strict", "block": ["bad-sites"]}),
    )
    .await;
    assert_eq!(
        ok(&b, "urlFilteringProfile", "get", json!({"name": "strict"})).await["block"],
        json!(["bad-sites"])
    );
    ok(
        &b,
        "urlFilteringProfile",
        "delete",
        json!({"name": "strict"}),
    )
    .await;
    ok(&b, "urlCategory", "delete", json!({"name": "bad-sites"})).await;

    // security rules with move (after whatever rules the factory configuration ships)
    let factory = names(&ok(&b, "securityRule", "list", json!({})).await);
    let with_factory = |before: &[&str], after: &[&str]| -> Vec<String> {
        before
            .iter()
            .map(|s| s.to_string())
            .chain(factory.iter().cloned())
            .chain(after.iter().map(|s| s.to_string()))
            .collect()
    };
    for name in ["r-a", "r-b", "r-c"] {
        ok(&b, "securityRule", "create", json!({
            "name": name, "from": ["any"], "to": ["any"], "source": ["any"], "destination": ["h1"],
            "source_user": ["any"], "application": ["any"], "service": ["application-default"],
            "category": ["any"], "action": "deny",
            "profile_setting": if name == "r-b" { json!({"group": ["default"]}) } else { json!(null) }
        })).await;
    }
    ok(
        &b,
        "securityRule",
        "move",
        json!({"name": "r-c", "where": "top"}),
    )
    .await;
    assert_eq!(
        names(&ok(&b, "securityRule", "list", json!({})).await),
        with_factory(&["r-c"], &["r-a", "r-b"])
    );
    ok(
        &b,
        "securityRule",
        "move",
        json!({"name": "r-c", "where": "after", "destination_rule": "r-b"}),
    )
    .await;
    assert_eq!(
        names(&ok(&b, "securityRule", "list", json!({})).await),
        with_factory(&[], &["r-a", "r-b", "r-c"])
    );
    let e = err(
        &b,
        "securityRule",
        "move",
        json!({"name": "r-c", "where": "before"}),
    )
    .await;
    assert_eq!(e["field"], "destination_rule");
    let rule = ok(&b, "securityRule", "get", json!({"name": "r-a"})).await;
    assert_eq!(rule["source_user"], json!(["any"]));
    let rule_b = ok(&b, "securityRule", "get", json!({"name": "r-b"})).await;
    assert_eq!(rule_b["profile_setting"]["group"], json!(["default"]));
    let u = ok(
        &b,
        "securityRule",
        "update",
        json!({"name": "r-a", "disabled": true}),
    )
    .await;
    assert_eq!(u["object"]["disabled"], true);
    assert_eq!(u["object"]["action"], "deny");
    ok(&b, "securityRule", "delete", json!({"name": "r-b"})).await;

    // application list (custom applications)
    let apps = ok(&b, "application", "list", json!({})).await;
    assert_eq!(apps["count"], 0);

    // commit, then job.get on its job
    let c = ok(&b, "config", "commit", json!({"description": "tests"})).await;
    assert_eq!(c["result"], "OK", "{c}");
    let id = c["job_id"].as_u64().unwrap();
    let j = ok(&b, "job", "get", json!({"id": id})).await;
    assert_eq!(j["status"], "FIN");
    let j = ok(&b, "job", "wait", json!({"id": id.to_string()})).await;
    assert_eq!(j["result"], "OK");
    // Without waiting: a change first, so that there is something to commit.
    ok(&b, "tag", "create", json!({"name": "pending-change"})).await;
    let c = ok(&b, "config", "commit", json!({"wait": false})).await;
    assert_eq!(c["outcome"], "enqueued", "{c}");
    let id = c["job_id"].as_u64().expect("a job id");
    assert_eq!(
        c.as_object().unwrap().len(),
        2,
        "only job_id and outcome: {c}"
    );
    let j = ok(&b, "job", "wait", json!({"id": id})).await;
    assert_eq!(j["result"], "OK", "{j}");
    assert_eq!(j["type"], "Commit");
    // Nothing left: no job at all.
    let c = ok(&b, "config", "commit", json!({"wait": false})).await;
    assert_eq!(c["outcome"], "no_changes", "{c}");
    assert!(c["job_id"].is_null());
    let e = err(&b, "config", "push", json!({"device_group": "x"})).await;
    assert_eq!(e["code"], "unsupported");
    let e = err(&b, "device", "list", json!({})).await;
    assert_eq!(e["code"], "unsupported");
    sim.shutdown().await;
}

#[tokio::test]
async fn bulk_create_and_delete_use_few_requests() {
    let sim = start(SimConfig::firewall()).await;
    let b = Backends::with_default(backend(&sim).await);
    let objects: Vec<_> = (0..3000)
        .map(|i| json!({"name": format!("bulk-{i}"), "ip_netmask": format!("10.{}.{}.{}/32", i / 65536, (i / 256) % 256, i % 256)}))
        .collect();
    sim.handle().clear_requests();
    let r = ok(&b, "address", "bulkCreate", json!({"objects": objects})).await;
    assert_eq!(r["count"], 3000);
    assert_eq!(r["requests"], 1, "{r}");
    let sets: Vec<_> = sim
        .handle()
        .requests()
        .into_iter()
        .filter(|r| r.action == "set")
        .collect();
    assert_eq!(sets.len(), 1, "one set for 3000 addresses");
    assert_eq!(ok(&b, "address", "list", json!({})).await["count"], 3000);
    let names: Vec<String> = (0..2000).map(|i| format!("bulk-{i}")).collect();
    let r = ok(&b, "address", "bulkDelete", json!({"names": names})).await;
    assert!(r["requests"].as_u64().unwrap() < 10, "{r}");
    assert_eq!(ok(&b, "address", "list", json!({})).await["count"], 1000);
    let e = err(&b, "address", "bulkCreate", json!({"objects": [{"name": "ok", "ip_netmask": "1.1.1.1"}, {"name": "bad", "ip_netmsk": "x"}]})).await;
    assert_eq!(e["field"], "objects[1].ip_netmsk", "{e}");
    sim.shutdown().await;
}

#[tokio::test]
async fn user_id_sessions_and_system_info_on_a_firewall() {
    let sim = start(SimConfig::firewall()).await;
    let b = Backends::with_default(backend(&sim).await);
    let r = ok(
        &b,
        "userTag",
        "register",
        json!({"user": "corp\\alice", "tags": ["ioc", "vip"], "timeout": 600}),
    )
    .await;
    assert_eq!(r["status"], "registered");
    let l = ok(&b, "userTag", "list", json!({"user": "corp\\alice"})).await;
    assert_eq!(l["items"][0]["tags"], json!(["ioc", "vip"]), "{l}");
    ok(
        &b,
        "userTag",
        "unregister",
        json!({"user": "corp\\alice", "tags": "vip"}),
    )
    .await;
    assert_eq!(
        ok(&b, "userTag", "list", json!({"user": "corp\\alice"})).await["items"][0]["tags"],
        json!(["ioc"])
    );
    let attrs = ok(&b, "userAttribute", "list", json!({})).await;
    assert!(
        attrs["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["user"] == "corp\\alice"),
        "{attrs}"
    );
    let all = ok(
        &b,
        "userTag",
        "unregisterAll",
        json!({"user": "corp\\alice"}),
    )
    .await;
    assert_eq!(all["tags"], json!(["ioc"]));
    assert_eq!(
        ok(&b, "userTag", "list", json!({"user": "corp\\alice"})).await["count"],
        0
    );

    ok(
        &b,
        "ipTag",
        "register",
        json!({"ip": ["192.0.2.1", "192.0.2.2"], "tags": ["ioc"]}),
    )
    .await;
    assert_eq!(
        ok(&b, "ipTag", "list", json!({"tag": "ioc"})).await["count"],
        2
    );
    ok(
        &b,
        "ipTag",
        "unregister",
        json!({"ip": "192.0.2.1", "tags": ["ioc"]}),
    )
    .await;
    let l = ok(&b, "ipTag", "list", json!({})).await;
    assert_eq!(l["items"], json!([{"ip": "192.0.2.2", "tags": ["ioc"]}]));

    // user groups come from User-ID group mappings
    let mut msg = UidMessage::new();
    msg.push(UidOp::group("cn=soc", &["corp\\bob", "corp\\carol"]).unwrap());
    client(&sim).user_id(&msg).await.unwrap();
    let g = ok(&b, "userGroup", "listMembers", json!({"name": "cn=soc"})).await;
    assert_eq!(g["members"], json!(["corp\\bob", "corp\\carol"]), "{g}");

    let sessions = ok(&b, "session", "list", json!({})).await;
    let n = sessions["count"].as_u64().unwrap();
    assert!(n > 0, "the simulator has traffic: {sessions}");
    let first = &sessions["items"][0];
    let id = first["id"].as_u64().unwrap();
    let c = ok(&b, "session", "clear", json!({"id": id})).await;
    assert_eq!(c["cleared"], 1);
    let src = first["source"].as_str().unwrap().to_string();
    let filtered = ok(&b, "session", "list", json!({"source": src})).await;
    assert!(
        filtered["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["source"] == src.as_str())
    );
    let e = err(&b, "session", "clear", json!({})).await;
    assert_eq!(e["field"], "all");
    let e = err(&b, "session", "list", json!({"source": "not-an-ip"})).await;
    assert_eq!(e["field"], "source");

    let info = ok(&b, "systemInfo", "get", json!({})).await;
    assert_eq!(info["model"], "PA-VM");
    assert_eq!(info["serial"], sim.serials()[0].as_str());
    assert!(info["sw_version"].is_string());
    sim.shutdown().await;
}

#[tokio::test]
async fn validation_errors_name_the_field_and_send_nothing() {
    let sim = start(SimConfig::firewall()).await;
    let b = Backends::with_default(backend(&sim).await);
    sim.handle().clear_requests();
    let cases = [
        (
            "address",
            "create",
            json!({"ip_netmask": "1.1.1.1"}),
            "name",
        ),
        (
            "address",
            "create",
            json!({"name": "a", "ipnetmask": "1.1.1.1"}),
            "ipnetmask",
        ),
        (
            "address",
            "create",
            json!({"name": "a", "tag": "x", "description": 5}),
            "description",
        ),
        (
            "securityRule",
            "move",
            json!({"name": "a", "where": "middle"}),
            "where",
        ),
        ("userTag", "register", json!({"user": "u"}), "tags"),
        (
            "userTag",
            "register",
            json!({"user": "u", "tags": ["t"], "timeout": "soon"}),
            "timeout",
        ),
        (
            "ipTag",
            "register",
            json!({"ip": "nope", "tags": ["t"]}),
            "ip",
        ),
        ("job", "get", json!({}), "id"),
        (
            "securityRule",
            "create",
            json!({"name": "r", "rulebase": "middle"}),
            "rulebase",
        ),
    ];
    for (r, o, p, field) in cases {
        let e = err(&b, r, o, p.clone()).await;
        assert_eq!(e["code"], "invalid_parameter", "{r}.{o} {p}: {e}");
        assert_eq!(e["field"], field, "{r}.{o} {p}: {e}");
    }
    // Catalog-level checks happen before the set is sent.
    let e = err(
        &b,
        "address",
        "create",
        json!({"name": "a", "ip_netmask": "1.1.1.1", "fqdn": "x.example"}),
    )
    .await;
    assert_eq!(e["code"], "invalid_parameter");
    assert!(e["message"].as_str().unwrap().contains("ip_netmask"), "{e}");
    let e = err(
        &b,
        "tag",
        "create",
        json!({"name": "t", "color": "Ultraviolet"}),
    )
    .await;
    assert_eq!(e["field"], "color", "{e}");
    let e = err(&b, "adress", "create", json!({})).await;
    assert_eq!(e["code"], "unknown_action");
    let writes = sim
        .handle()
        .requests()
        .iter()
        .filter(|r| matches!(r.action.as_str(), "set" | "edit" | "delete" | "move"))
        .count();
    assert_eq!(writes, 0, "invalid input must not reach the device");
    sim.shutdown().await;
}

#[tokio::test]
async fn dynamic_user_group_filter_built_from_tags() {
    let sim = start(SimConfig::firewall()).await;
    let b = Backends::with_default(backend(&sim).await);
    let dug_xml = |name: &str| {
        sim.handle()
            .config_xml(
                None,
                false,
                &format!("/config/devices/entry/vsys/entry[@name='vsys1']/dynamic-user-group/entry[@name='{name}']/filter"),
            )
            .unwrap_or_default()
    };
    let c = ok(
        &b,
        "dynamicUserGroup",
        "create",
        json!({"name": "risky", "tags": ["ioc-2026-0142", "risky user"], "description": "d"}),
    )
    .await;
    assert_eq!(c["status"], "created", "{c}");
    assert_eq!(c["object"]["filter"], "'ioc-2026-0142' or 'risky user'");
    assert!(
        dug_xml("risky").contains("'ioc-2026-0142' or 'risky user'"),
        "{}",
        dug_xml("risky")
    );
    // The same tags again: the filter is identical, so the group is unchanged.
    let again = ok(
        &b,
        "dynamicUserGroup",
        "create",
        json!({"name": "risky", "tags": ["ioc-2026-0142", "risky user"], "description": "d"}),
    )
    .await;
    assert_eq!(again["status"], "unchanged");
    ok(
        &b,
        "dynamicUserGroup",
        "create",
        json!({"name": "both", "tags": ["a", "b"], "match": "all"}),
    )
    .await;
    assert!(
        dug_xml("both").contains("'a' and 'b'"),
        "{}",
        dug_xml("both")
    );
    // Update rebuilds the filter from new tags; a raw filter is still accepted.
    let u = ok(
        &b,
        "dynamicUserGroup",
        "update",
        json!({"name": "both", "tags": "c"}),
    )
    .await;
    assert_eq!(u["object"]["filter"], "'c'");
    ok(
        &b,
        "dynamicUserGroup",
        "create",
        json!({"name": "raw", "filter": "'x' and not 'y'"}),
    )
    .await;
    assert_eq!(
        ok(&b, "dynamicUserGroup", "get", json!({"name": "raw"})).await["filter"],
        "'x' and not 'y'"
    );
    // Tagging a user puts it in the group the tags describe.
    ok(
        &b,
        "userTag",
        "register",
        json!({"user": "corp\\eve", "tags": ["risky user"]}),
    )
    .await;
    ok(&b, "config", "commit", json!({})).await;
    let members = client(&sim)
        .op("<show><object><dynamic-user-group><name>risky</name></dynamic-user-group></object></show>")
        .await
        .map(|r| r.xml().to_string())
        .unwrap_or_default();
    assert!(members.contains("corp\\eve"), "{members}");

    // Exactly one of tags and filter, checked before anything is sent.
    sim.handle().clear_requests();
    for (params, field) in [
        (json!({"name": "g", "tags": ["a"], "filter": "'a'"}), "tags"),
        (json!({"name": "g"}), "filter"),
        (json!({"name": "g", "tags": []}), "tags"),
        (
            json!({"name": "g", "filter": "'a'", "match": "any"}),
            "match",
        ),
        (
            json!({"name": "g", "tags": ["a"], "match": "some"}),
            "match",
        ),
    ] {
        let e = err(&b, "dynamicUserGroup", "create", params.clone()).await;
        assert_eq!(e["code"], "invalid_parameter", "{params}: {e}");
        assert_eq!(e["field"], field, "{params}: {e}");
    }
    assert!(sim.handle().requests().is_empty(), "nothing sent");
    sim.shutdown().await;
}

#[tokio::test]
async fn device_refusals_vsys_and_session_clear_by_filter() {
    let sim = start(SimConfig::firewall()).await;
    let b = Backends::with_default(backend(&sim).await);

    // A delete the device refuses (the address is used by a group): its own message.
    ok(
        &b,
        "address",
        "create",
        json!({"name": "h1", "ip_netmask": "10.1.1.1"}),
    )
    .await;
    ok(
        &b,
        "addressGroup",
        "create",
        json!({"name": "g1", "static": ["h1"]}),
    )
    .await;
    let e = err(&b, "address", "delete", json!({"name": "h1"})).await;
    assert_eq!(e["code"], "device_error", "{e}");
    let message = e["message"].as_str().unwrap();
    let device_said = sim
        .handle()
        .requests()
        .into_iter()
        .rev()
        .find(|r| r.action == "delete")
        .map(|r| r.status)
        .unwrap();
    assert_eq!(device_said, 200, "PAN-OS refuses inside a 200 answer");
    assert!(
        message.contains("h1") && message.to_lowercase().contains("reference"),
        "the device's message: {e}"
    );
    // Word for word what the device answers to the same request.
    let raw = client(&sim)
        .config_delete(
            "/config/devices/entry[@name='localhost.localdomain']/vsys/entry[@name='vsys1']/address/entry[@name='h1']",
        )
        .await
        .unwrap_err();
    let panops_client::Error::Api(api) = raw else {
        panic!("expected an API error, got {raw}");
    };
    assert!(!api.messages.is_empty());
    for line in &api.messages {
        assert!(
            message.contains(line.as_str()),
            "{line:?} missing from {message:?}"
        );
    }
    assert!(ok(&b, "address", "get", json!({"name": "h1"})).await["name"] == "h1");

    // The simulated firewall is single-vsys: vsys1 by name works, another vsys is refused
    // with a clear error instead of being created by a set.
    let multi = ok(&b, "systemInfo", "get", json!({})).await;
    assert_eq!(multi["multi_vsys"], "off");
    assert_eq!(
        names(&ok(&b, "address", "list", json!({"vsys": "vsys1"})).await),
        vec!["h1"]
    );
    for (r, o, params) in [
        ("address", "list", json!({"vsys": "vsys2"})),
        (
            "address",
            "create",
            json!({"vsys": "vsys2", "name": "x", "ip_netmask": "10.0.0.1"}),
        ),
        ("application", "list", json!({"vsys": "vsys2"})),
        (
            "address",
            "bulkDelete",
            json!({"vsys": "vsys2", "names": ["h1"]}),
        ),
    ] {
        let e = err(&b, r, o, params).await;
        assert_eq!(e["code"], "invalid_parameter", "{r}.{o}: {e}");
        assert_eq!(e["field"], "vsys");
        assert!(
            e["message"].as_str().unwrap().contains("vsys1"),
            "names what exists: {e}"
        );
    }
    assert!(
        sim.handle()
            .config_xml(
                None,
                false,
                "/config/devices/entry/vsys/entry[@name='vsys2']"
            )
            .is_none(),
        "no vsys2 was created"
    );

    // session.clear with a filter clears exactly the matching sessions.
    let all = ok(&b, "session", "list", json!({})).await;
    let first = all["items"][0].clone();
    let src = first["source"].as_str().unwrap().to_string();
    let matching: Vec<u64> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["source"] == src.as_str())
        .filter_map(|s| s["id"].as_u64())
        .collect();
    let others: Vec<u64> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["source"] != src.as_str())
        .filter_map(|s| s["id"].as_u64())
        .collect();
    assert!(!matching.is_empty());
    let c = ok(&b, "session", "clear", json!({"source": src})).await;
    assert_eq!(c["status"], "cleared");
    let sent = sim
        .handle()
        .requests()
        .into_iter()
        .rev()
        .find(|r| r.cmd.starts_with("<clear><session>"))
        .unwrap()
        .cmd;
    assert!(
        sent.contains(&format!("<filter><source>{src}</source></filter>")),
        "{sent}"
    );
    let after: Vec<u64> = ok(&b, "session", "list", json!({})).await["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["id"].as_u64())
        .collect();
    for id in &matching {
        assert!(!after.contains(id), "session {id} from {src} was cleared");
    }
    assert!(
        others.iter().any(|id| after.contains(id)),
        "sessions from other sources were kept"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn application_list_reads_local_shared_and_predefined_applications() {
    let sim = start(SimConfig::firewall()).await;
    let b = Backends::with_default(backend(&sim).await);
    let app = |name: &str, port: &str| {
        format!(
            "<entry name=\"{name}\"><category>business-systems</category><subcategory>database</subcategory><technology>client-server</technology><risk>2</risk><default><port><member>{port}</member></port></default></entry>"
        )
    };
    let fw = client(&sim);
    fw.config_set(
        "/config/devices/entry[@name='localhost.localdomain']/vsys/entry[@name='vsys1']/application",
        &app("local-app", "tcp/9000"),
    )
    .await
    .unwrap();
    fw.config_set("/config/shared/application", &app("shared-app", "udp/9001"))
        .await
        .unwrap();
    let find = |list: &serde_json::Value, name: &str| {
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["name"] == name)
            .cloned()
    };
    let custom = ok(&b, "application", "list", json!({})).await;
    assert_eq!(custom["count"], 2, "{custom}");
    let local = find(&custom, "local-app").unwrap();
    assert_eq!(local["default_ports"], json!(["tcp/9000"]));
    assert_eq!(local["location"], "vsys vsys1");
    assert_eq!(local["risk"], 2);
    let shared = find(&custom, "shared-app").unwrap();
    assert_eq!(shared["location"], "shared");
    assert_eq!(shared["default_ports"], json!(["udp/9001"]));
    assert!(
        find(&custom, "web-browsing").is_none(),
        "predefined only on request"
    );

    let all = ok(&b, "application", "list", json!({"predefined": true})).await;
    assert!(all["count"].as_u64().unwrap() >= 30, "{}", all["count"]);
    let web = find(&all, "web-browsing").expect("web-browsing is predefined");
    assert_eq!(web["location"], "predefined");
    assert_eq!(web["default_ports"], json!(["tcp/80"]));
    assert_eq!(web["category"], "general-internet");
    let dns = find(&all, "dns").unwrap();
    assert_eq!(dns["default_ports"], json!(["tcp/53", "udp/53"]));
    let ssl = find(&all, "ssl").unwrap();
    assert_eq!(ssl["default_ports"], json!(["tcp/443"]));
    assert!(find(&all, "local-app").is_some() && find(&all, "shared-app").is_some());
    // One read per source: local, shared, predefined.
    sim.handle().clear_requests();
    ok(&b, "application", "list", json!({"predefined": true})).await;
    let reads: Vec<String> = sim
        .handle()
        .requests()
        .into_iter()
        .map(|r| r.xpath)
        .collect();
    assert_eq!(reads.len(), 3, "{reads:?}");
    assert!(
        reads[2].ends_with("/config/predefined/application"),
        "{reads:?}"
    );
    sim.shutdown().await;
}
