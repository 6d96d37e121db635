//! Generic CRUD, containers, uniqueness, validation, paging and rule moves.

mod common;

use common::*;
use serde_json::{Value, json};

fn rule(name: &str) -> Value {
    json!({
        "name": name, "folder": "Shared",
        "from": ["any"], "to": ["any"], "source": ["any"], "source_user": ["any"],
        "destination": ["any"], "application": ["any"], "service": ["any"],
        "category": ["any"], "action": "allow"
    })
}

#[tokio::test]
async fn round_trip_for_core_resources_v2() {
    let sim = start(false).await;
    let api = Api::new(&sim).await;
    let cases = [
        (
            "/config/objects/v1/tags",
            json!({"name": "web", "folder": "Shared", "color": "Red"}),
            json!({"comments": "updated"}),
        ),
        (
            "/config/objects/v1/addresses",
            json!({"name": "h1", "folder": "Shared", "ip_netmask": "10.0.0.1/32"}),
            json!({"name": "h1", "fqdn": "h1.example.com"}),
        ),
        (
            "/config/objects/v1/address-groups",
            json!({"name": "g1", "folder": "Shared", "static": ["h1"]}),
            json!({"name": "g1", "static": ["h1"], "description": "grp"}),
        ),
        (
            "/config/objects/v1/services",
            json!({"name": "s1", "folder": "Shared", "protocol": {"tcp": {"port": "443"}}}),
            json!({"name": "s1", "protocol": {"tcp": {"port": "8443"}}}),
        ),
        (
            "/config/security/v1/security-rules",
            rule("r1"),
            json!({"name": "r1", "from": ["any"], "to": ["any"], "source": ["any"], "source_user": ["any"], "destination": ["any"], "application": ["any"], "service": ["any"], "category": ["any"], "action": "deny"}),
        ),
    ];
    let mut ids = Vec::new();
    for (path, create, update) in &cases {
        let created = api.ok("POST", path, Some(create.clone())).await;
        let id = created["id"].as_str().expect("uuid id").to_string();
        assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id}");
        assert_eq!(created["folder"], "Shared");
        assert_eq!(created["name"], create["name"]);
        let got = api.ok("GET", &format!("{path}/{id}"), None).await;
        assert_eq!(got, created);
        let updated = api
            .ok("PUT", &format!("{path}/{id}"), Some(update.clone()))
            .await;
        for (k, v) in update.as_object().unwrap() {
            assert_eq!(&updated[k], v, "{path} {k}");
        }
        assert_eq!(updated["folder"], "Shared", "container kept on update");
        assert_eq!(updated["id"], id.as_str());
        let list = api.ok("GET", &format!("{path}?folder=Shared"), None).await;
        assert_eq!(list["total"], 1);
        assert_eq!(list["data"][0]["id"], id.as_str());
        ids.push(id);
    }
    // Delete in reverse order (the group references the address).
    for ((path, _, _), id) in cases.iter().zip(ids.iter()).rev() {
        api.ok("DELETE", &format!("{path}/{id}"), None).await;
        let (status, body) = api.call("GET", &format!("{path}/{id}"), None).await;
        assert_eq!(status, 404);
        assert_eq!(error_code(&body), ("E005", "Object Not Present"));
    }
}

/// An sse PUT body declares no container; a fetched object sent back carries its own, which
/// is accepted when it names where the object is, and refused when it would move it.
#[tokio::test]
async fn sse_update_accepts_the_fetched_object_but_cannot_move_it() {
    let sim = start(false).await;
    let api = Api::new(&sim).await;
    let created = api
        .ok(
            "POST",
            "/sse/config/v1/addresses?folder=Remote%20Networks",
            Some(json!({"name": "f1", "ip_netmask": "10.7.0.0/16"})),
        )
        .await;
    let id = created["id"].as_str().unwrap().to_string();
    let mut fetched = api
        .ok("GET", &format!("/sse/config/v1/addresses/{id}"), None)
        .await;
    assert_eq!(fetched["folder"], "Remote Networks");
    fetched["ip_netmask"] = json!("10.8.0.0/16");
    let updated = api
        .ok(
            "PUT",
            &format!("/sse/config/v1/addresses/{id}"),
            Some(fetched.clone()),
        )
        .await;
    assert_eq!(updated["ip_netmask"], "10.8.0.0/16");
    assert_eq!(updated["folder"], "Remote Networks");

    fetched["folder"] = json!("Mobile Users");
    let (status, body) = api
        .call(
            "PUT",
            &format!("/sse/config/v1/addresses/{id}"),
            Some(fetched),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(error_code(&body), ("E003", "Invalid Object"));
    let detail = &body["_errors"][0]["details"]["errors"][0];
    assert_eq!(detail["field"], "folder", "{body}");
    let still = api
        .ok("GET", &format!("/sse/config/v1/addresses/{id}"), None)
        .await;
    assert_eq!(still["folder"], "Remote Networks");
}

#[tokio::test]
async fn sse_family_uses_folder_query_and_shares_state() {
    let sim = start(false).await;
    let api = Api::new(&sim).await;
    let created = api
        .ok(
            "POST",
            "/sse/config/v1/addresses?folder=Mobile%20Users",
            Some(json!({"name": "m1", "ip_netmask": "10.1.0.0/16"})),
        )
        .await;
    assert_eq!(created["folder"], "Mobile Users");
    let list = api
        .ok(
            "GET",
            "/config/objects/v1/addresses?folder=Mobile%20Users",
            None,
        )
        .await;
    assert_eq!(list["data"][0]["name"], "m1");
    // A sse name filter keeps the list envelope; v2 answers with the object itself.
    let sse = api
        .ok(
            "GET",
            "/sse/config/v1/addresses?folder=Mobile%20Users&name=m1",
            None,
        )
        .await;
    assert_eq!(sse["total"], 1);
    let v2 = api
        .ok(
            "GET",
            "/config/objects/v1/addresses?folder=Mobile%20Users&name=m1",
            None,
        )
        .await;
    assert_eq!(v2["name"], "m1");
    let (status, _) = api
        .call(
            "GET",
            "/config/objects/v1/addresses?folder=Mobile%20Users&name=zz",
            None,
        )
        .await;
    assert_eq!(status, 404);
    // v2 with the folder only in the query string is accepted too.
    let q = api
        .ok(
            "POST",
            "/config/objects/v1/addresses?folder=Remote%20Networks",
            Some(json!({"name": "q1", "fqdn": "q.example.com"})),
        )
        .await;
    assert_eq!(q["folder"], "Remote Networks");
}

#[tokio::test]
async fn duplicates_unknown_ids_and_unknown_paths() {
    let sim = start(false).await;
    let api = Api::new(&sim).await;
    let body = json!({"name": "dup", "folder": "Shared", "fqdn": "a.example.com"});
    api.ok("POST", "/config/objects/v1/addresses", Some(body.clone()))
        .await;
    let (status, err) = api
        .call("POST", "/config/objects/v1/addresses", Some(body))
        .await;
    assert_eq!(status, 409);
    assert_eq!(error_code(&err), ("E006", "Name Not Unique"));
    assert_eq!(err["_errors"][0]["details"]["errorType"], "Name Not Unique");
    // Same name in another folder is fine.
    api.ok(
        "POST",
        "/config/objects/v1/addresses",
        Some(json!({"name": "dup", "folder": "Remote Networks", "fqdn": "a.example.com"})),
    )
    .await;
    let missing = uuid::Uuid::new_v4();
    for method in ["GET", "DELETE"] {
        let (status, err) = api
            .call(
                method,
                &format!("/config/objects/v1/addresses/{missing}"),
                None,
            )
            .await;
        assert_eq!(status, 404, "{method}");
        assert_eq!(error_code(&err).0, "E005");
    }
    let (status, _) = api
        .call("GET", "/config/objects/v1/no-such-things", None)
        .await;
    assert_eq!(status, 404);
    let (status, _) = api
        .call("PATCH", "/config/objects/v1/addresses", None)
        .await;
    assert!(status == 501 || status == 405, "{status}");
    let (status, err) = api
        .call("GET", "/config/objects/v1/addresses?folder=Nowhere", None)
        .await;
    assert_eq!(status, 400);
    assert_eq!(error_code(&err), ("E003", "Invalid Query Parameter"));
}

#[tokio::test]
async fn validation_errors_use_the_envelope() {
    let sim = start(false).await;
    let api = Api::new(&sim).await;
    let bad = [
        json!({"name": "two", "folder": "Shared", "ip_netmask": "10.0.0.1/32", "fqdn": "x.example.com"}),
        json!({"name": "none", "folder": "Shared"}),
        json!({"name": "x".repeat(64), "folder": "Shared", "fqdn": "x.example.com"}),
        json!({"folder": "Shared", "fqdn": "x.example.com"}),
    ];
    for body in bad {
        let (status, err) = api
            .call("POST", "/config/objects/v1/addresses", Some(body.clone()))
            .await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(error_code(&err), ("E003", "Invalid Object"), "{body}");
        let msg = err["_errors"][0]["details"]["errors"][0]["msg"]
            .as_str()
            .unwrap();
        assert!(!msg.is_empty());
    }
    let (status, err) = api.call("POST", "/config/objects/v1/tags", None).await;
    assert_eq!(status, 400);
    assert_eq!(error_code(&err), ("E003", "Missing Body"));
    // Nothing was stored.
    let list = api
        .ok("GET", "/config/objects/v1/addresses?folder=Shared", None)
        .await;
    assert_eq!(list["total"], 0);
}

#[tokio::test]
async fn paging_with_limit_and_offset() {
    let sim = start(false).await;
    let api = Api::new(&sim).await;
    for i in 0..25 {
        api.ok(
            "POST",
            "/config/objects/v1/tags",
            Some(json!({"name": format!("t{i:02}"), "folder": "Shared"})),
        )
        .await;
    }
    let mut seen = Vec::new();
    let mut offset = 0;
    loop {
        let page = api
            .ok(
                "GET",
                &format!("/config/objects/v1/tags?folder=Shared&limit=10&offset={offset}"),
                None,
            )
            .await;
        assert_eq!(page["total"], 25);
        assert_eq!(page["limit"], 10);
        assert_eq!(page["offset"], offset);
        let data = page["data"].as_array().unwrap();
        seen.extend(data.iter().map(|t| t["name"].as_str().unwrap().to_string()));
        if data.len() < 10 {
            break;
        }
        offset += 10;
    }
    let expected: Vec<String> = (0..25).map(|i| format!("t{i:02}")).collect();
    assert_eq!(seen, expected);
    let default = api
        .ok("GET", "/config/objects/v1/tags?folder=Shared", None)
        .await;
    assert_eq!(default["limit"], 200);
    assert_eq!(default["data"].as_array().unwrap().len(), 25);
    let (status, _) = api
        .call(
            "GET",
            "/config/objects/v1/tags?folder=Shared&limit=abc",
            None,
        )
        .await;
    assert_eq!(status, 400);
    // Objects of the parent folder are visible from a child folder.
    let child = api
        .ok("GET", "/config/objects/v1/tags?folder=Mobile%20Users", None)
        .await;
    assert_eq!(child["total"], 25);
}

#[tokio::test]
async fn rules_pre_post_and_move() {
    let sim = start(false).await;
    let api = Api::new(&sim).await;
    let path = "/config/security/v1/security-rules";
    let mut ids = Vec::new();
    for n in ["a", "b", "c"] {
        let r = api
            .ok("POST", &format!("{path}?position=pre"), Some(rule(n)))
            .await;
        ids.push(r["id"].as_str().unwrap().to_string());
    }
    api.ok("POST", &format!("{path}?position=post"), Some(rule("p")))
        .await;
    let names = |v: Value| -> Vec<String> {
        v["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].as_str().unwrap().to_string())
            .collect()
    };
    let pre = api
        .ok("GET", &format!("{path}?folder=Shared&position=pre"), None)
        .await;
    assert_eq!(names(pre), ["a", "b", "c"]);
    let post = api
        .ok("GET", &format!("{path}?folder=Shared&position=post"), None)
        .await;
    assert_eq!(names(post), ["p"]);

    let mv = |id: &str, body: Value| {
        let api = &api;
        let url = format!("{path}/{id}:move");
        async move { api.call("POST", &url, Some(body)).await }
    };
    let (s, _) = mv(&ids[2], json!({"destination": "top", "rulebase": "pre"})).await;
    assert_eq!(s, 200);
    let (s, _) = mv(
        &ids[0],
        json!({"destination": "before", "rulebase": "pre", "destination_rule": ids[1]}),
    )
    .await;
    assert_eq!(s, 200);
    let pre = api
        .ok("GET", &format!("{path}?folder=Shared&position=pre"), None)
        .await;
    assert_eq!(names(pre), ["c", "a", "b"]);
    let (s, _) = mv(
        &ids[2],
        json!({"destination": "after", "rulebase": "pre", "destination_rule": ids[1]}),
    )
    .await;
    assert_eq!(s, 200);
    let (s, _) = mv(&ids[1], json!({"destination": "bottom", "rulebase": "pre"})).await;
    assert_eq!(s, 200);
    let pre = api
        .ok("GET", &format!("{path}?folder=Shared&position=pre"), None)
        .await;
    assert_eq!(names(pre), ["a", "c", "b"]);
    let (s, err) = mv(
        &ids[0],
        json!({"destination": "sideways", "rulebase": "pre"}),
    )
    .await;
    assert_eq!(s, 400, "{err}");
    let (s, _) = mv(
        &uuid::Uuid::new_v4().to_string(),
        json!({"destination": "top", "rulebase": "pre"}),
    )
    .await;
    assert_eq!(s, 404);
    // The same works through the sse family.
    let (s, _) = api
        .call(
            "POST",
            &format!("/sse/config/v1/security-rules/{}:move", ids[1]),
            Some(json!({"destination": "top", "rulebase": "pre"})),
        )
        .await;
    assert_eq!(s, 200);
    let pre = api.ok("GET", &format!("{path}?folder=Shared"), None).await;
    assert_eq!(names(pre), ["b", "a", "c"]);
}

#[tokio::test]
async fn folders_through_the_setup_api() {
    let sim = start(false).await;
    let api = Api::new(&sim).await;
    let list = api.ok("GET", "/config/setup/v1/folders", None).await;
    assert_eq!(list["total"], 6);
    let f = api
        .ok(
            "POST",
            "/config/setup/v1/folders",
            Some(json!({"name": "Texas", "parent": "Shared"})),
        )
        .await;
    let id = f["id"].as_str().unwrap();
    api.ok(
        "POST",
        "/config/objects/v1/tags",
        Some(json!({"name": "tx", "folder": "Texas"})),
    )
    .await;
    let (status, err) = api
        .call("DELETE", &format!("/config/setup/v1/folders/{id}"), None)
        .await;
    assert_eq!(status, 409);
    assert_eq!(error_code(&err).0, "E009");
    let (status, _) = api
        .call(
            "POST",
            "/config/setup/v1/folders",
            Some(json!({"name": "Texas", "parent": "Shared"})),
        )
        .await;
    assert_eq!(status, 409);
    let got = api
        .ok("GET", &format!("/config/setup/v1/folders/{id}"), None)
        .await;
    assert_eq!(got["parent"], "Shared");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_workers_share_one_consistent_tenant() {
    let sim = start(false).await;
    let api = std::sync::Arc::new(Api::new(&sim).await);
    let mut tasks = Vec::new();
    for w in 0..64 {
        let api = api.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..5 {
                api.ok(
                    "POST",
                    "/config/objects/v1/addresses",
                    Some(json!({"name": format!("w{w}-{i}"), "folder": "Shared", "fqdn": "c.example.com"})),
                )
                .await;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let list = api
        .ok(
            "GET",
            "/config/objects/v1/addresses?folder=Shared&limit=1000",
            None,
        )
        .await;
    assert_eq!(list["total"], 320);
    // A race on one name: exactly one create wins.
    let mut racers = Vec::new();
    for _ in 0..16 {
        let api = api.clone();
        racers.push(tokio::spawn(async move {
            api.call(
                "POST",
                "/config/objects/v1/tags",
                Some(json!({"name": "contested", "folder": "Shared"})),
            )
            .await
            .0
        }));
    }
    let mut statuses = Vec::new();
    for r in racers {
        statuses.push(r.await.unwrap());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        15,
        "{statuses:?}"
    );
    assert_eq!(sim.handle().token_requests(), 1);
}

#[tokio::test]
async fn query_parameters_are_checked_against_the_catalog() {
    let sim = start(false).await;
    let api = Api::new(&sim).await;
    // sse lists require a folder, from a fixed set.
    let (status, err) = api.call("GET", "/sse/config/v1/addresses", None).await;
    assert_eq!(status, 400, "{err}");
    assert_eq!(error_code(&err), ("E003", "Missing Query Parameter"));
    let (status, err) = api
        .call("GET", "/sse/config/v1/addresses?folder=Texas", None)
        .await;
    assert_eq!(status, 400, "{err}");
    assert_eq!(error_code(&err), ("E003", "Invalid Query Parameter"));
    let (status, err) = api
        .call(
            "GET",
            "/config/security/v1/security-rules?folder=Shared&position=middle",
            None,
        )
        .await;
    assert_eq!(status, 400, "{err}");
    assert_eq!(error_code(&err), ("E003", "Invalid Query Parameter"));
    // A snippet satisfies the container requirement.
    let (status, _) = api
        .call("GET", "/config/objects/v1/addresses?snippet=s1", None)
        .await;
    assert_eq!(status, 200);
}
