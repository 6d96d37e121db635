//! The SCM backend: every object resource it has, rule moves in order, jobs, folders.

mod support;

use panops_actions::{Action, Backends};
use serde_json::{Value, json};
use support::*;

#[tokio::test]
async fn every_object_resource_on_scm() {
    let sim = start_scm().await;
    let b = Backends::with_default(scm_backend(&sim));
    ok(
        &b,
        "service",
        "create",
        json!({"name": "svc-a", "protocol": {"tcp": {"port": "8443"}}}),
    )
    .await;
    ok(
        &b,
        "service",
        "create",
        json!({"name": "svc-b", "protocol": {"udp": {"port": "5353"}}}),
    )
    .await;
    ok(
        &b,
        "urlCategory",
        "create",
        json!({"name": "ucat-0", "list": ["zero.example"], "type": "URL List"}),
    )
    .await;
    // (resource, create fields, update fields, field changed by the update)
    let cases = [
        (
            "dynamicUserGroup",
            json!({"tags": ["ioc", "risky user"], "description": "built from tags"}),
            json!({"tags": ["ioc"], "match": "all"}),
            "filter",
        ),
        (
            "service",
            json!({"protocol": {"tcp": {"port": "8080"}}}),
            json!({"description": "d"}),
            "description",
        ),
        (
            "serviceGroup",
            json!({"members": ["svc-a"]}),
            json!({"members": ["svc-a", "svc-b"]}),
            "members",
        ),
        (
            "urlCategory",
            json!({"list": ["bad.example", "worse.example"], "type": "URL List"}),
            json!({"list": ["bad.example"]}),
            "list",
        ),
        (
            "urlFilteringProfile",
            json!({"block": ["ucat-0"], "description": "strict"}),
            json!({"alert": ["ucat-0"], "block": []}),
            "alert",
        ),
    ];
    for (resource, create, update, changed) in &cases {
        let name = format!("{resource}-1");
        let mut params = create.clone();
        params["name"] = json!(name);
        let c = ok(&b, resource, "create", params.clone()).await;
        assert_eq!(c["status"], "created", "{resource}: {c}");
        assert!(c["object"]["id"].as_str().is_some(), "{resource}: {c}");
        assert_eq!(c["object"]["folder"], "Shared", "{resource}: {c}");
        assert_eq!(
            ok(&b, resource, "create", params.clone()).await["status"],
            "unchanged",
            "{resource}"
        );
        let listed = ok(&b, resource, "list", json!({})).await;
        assert!(names(&listed).contains(&name), "{resource}: {listed}");
        let mut up = update.clone();
        up["name"] = json!(name);
        let u = ok(&b, resource, "update", up).await;
        assert_eq!(u["status"], "updated", "{resource}: {u}");
        let got = ok(&b, resource, "get", json!({"name": name})).await;
        if *resource == "dynamicUserGroup" {
            assert_eq!(got["filter"], "'ioc'", "{got}");
            assert_eq!(c["object"]["filter"], "'ioc' or 'risky user'", "{c}");
        } else {
            assert_eq!(got[changed], update[changed], "{resource}: {got}");
        }
        ok(&b, resource, "delete", json!({"name": name})).await;
        assert_eq!(
            err(&b, resource, "get", json!({"name": name})).await["code"],
            "not_found",
            "{resource}"
        );
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn rule_moves_keep_the_order_on_scm() {
    let sim = start_scm().await;
    let b = Backends::with_default(scm_backend(&sim));
    let rule = |name: &str| {
        json!({
            "name": name, "from": ["any"], "to": ["any"], "source": ["any"],
            "destination": ["any"], "source_user": ["any"], "application": ["any"],
            "service": ["any"], "category": ["any"], "action": "deny"
        })
    };
    for n in ["first", "second", "third"] {
        ok(&b, "securityRule", "create", rule(n)).await;
    }
    let order = || async { names(&ok(&b, "securityRule", "list", json!({})).await) };
    assert_eq!(order().await, vec!["first", "second", "third"]);
    ok(
        &b,
        "securityRule",
        "move",
        json!({"name": "third", "where": "top"}),
    )
    .await;
    assert_eq!(order().await, vec!["third", "first", "second"]);
    ok(
        &b,
        "securityRule",
        "move",
        json!({"name": "third", "where": "bottom"}),
    )
    .await;
    assert_eq!(order().await, vec!["first", "second", "third"]);
    ok(
        &b,
        "securityRule",
        "move",
        json!({"name": "third", "where": "before", "destination_rule": "first"}),
    )
    .await;
    assert_eq!(order().await, vec!["third", "first", "second"]);
    let m = ok(
        &b,
        "securityRule",
        "move",
        json!({"name": "third", "where": "after", "destination_rule": "first"}),
    )
    .await;
    assert_eq!(m["destination_rule"], "first");
    assert_eq!(order().await, vec!["first", "third", "second"]);
    // The post rulebase is separate.
    ok(&b, "securityRule", "create", {
        let mut r = rule("post-1");
        r["rulebase"] = json!("post");
        r
    })
    .await;
    assert_eq!(
        names(&ok(&b, "securityRule", "list", json!({"rulebase": "post"})).await),
        vec!["post-1"]
    );
    assert_eq!(order().await.len(), 3);
    let e = err(
        &b,
        "securityRule",
        "move",
        json!({"name": "third", "where": "before", "destination_rule": "nope"}),
    )
    .await;
    assert_eq!(e["code"], "not_found");
    sim.shutdown().await;
}

#[tokio::test]
async fn push_job_get_and_default_folder_on_scm() {
    let sim = start_scm().await;
    let client_backend = scm_backend(&sim);
    let b = Backends::with_default(client_backend);
    ok(
        &b,
        "address",
        "create",
        json!({"name": "h", "ip_netmask": "192.0.2.10/32"}),
    )
    .await;
    let p = ok(
        &b,
        "config",
        "push",
        json!({"folders": ["Remote Networks", "Mobile Users"], "wait": false}),
    )
    .await;
    assert_eq!(p["outcome"], "enqueued");
    assert_eq!(p["folders"], json!(["Remote Networks", "Mobile Users"]));
    let id = p["job_id"]
        .as_str()
        .expect("SCM job ids are strings")
        .to_string();
    let got = ok(&b, "job", "get", json!({"id": id})).await;
    assert_eq!(got["job_id"], id.as_str(), "{got}");
    assert!(
        got["status"].as_str().is_some_and(|s| !s.is_empty()),
        "{got}"
    );
    let done = ok(&b, "job", "wait", json!({"id": id})).await;
    assert_eq!(done["result"], "OK", "{done}");
    assert_eq!(done["outcome"], "done");
    let again = ok(&b, "job", "get", json!({"id": id})).await;
    assert_eq!(again["status"], "FIN", "{again}");
    assert_eq!(again["result"], "OK");
    let e = err(&b, "job", "get", json!({"id": "999999"})).await;
    assert_eq!(e["code"], "not_found", "{e}");

    // A backend whose profile names another folder uses it when the action names none.
    let mut named = Backends::new();
    named.insert("mu", scm_backend_in(&sim, "Mobile Users"));
    let act = |resource: &str, operation: &str, params: Value| {
        let mut a = Action::new(resource, operation, params);
        a.profile = Some("mu".into());
        a
    };
    let c = named
        .execute(&act("tag", "create", json!({"name": "mu-tag"})))
        .await
        .unwrap();
    assert_eq!(c["object"]["folder"], "Mobile Users", "{c}");
    assert_eq!(
        err(&b, "tag", "get", json!({"name": "mu-tag"})).await["code"],
        "not_found",
        "not in Shared"
    );
    assert_eq!(
        ok(
            &b,
            "tag",
            "get",
            json!({"name": "mu-tag", "folder": "Mobile Users"})
        )
        .await["name"],
        "mu-tag"
    );
    sim.shutdown().await;
}
