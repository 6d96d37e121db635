//! Answers come from stored state only, every request must match a catalog route, and
//! custom verbs without a model are refused rather than acknowledged.

mod common;

use common::*;
use panops_scm::{Catalog, Family};
use panops_scm_sim::{RouteTable, ScmSimConfig, ScmSimulator};
use serde_json::{Value, json};

fn is_not_supported(status: u16, body: &Value, verb: &str) -> bool {
    status == 405
        && error_code(body) == ("E012", "Action Not Supported")
        && body["_errors"][0]["details"]["message"] == format!("Action Not Supported: {verb}")
}

#[tokio::test]
async fn requests_outside_the_route_table_are_not_served() {
    let sim = start(false).await;
    let api = Api::new(&sim).await;
    let created = api
        .ok(
            "POST",
            "/sse/config/v1/addresses?folder=Shared",
            Some(json!({"name": "a1", "ip_netmask": "10.0.0.1/32"})),
        )
        .await;
    let id = created["id"].as_str().unwrap();
    // Addresses have no `:move` in the specs: 404, where the shape alone used to be served.
    let (status, body) = api
        .call(
            "POST",
            &format!("/sse/config/v1/addresses/{id}:move"),
            Some(json!({"destination": "top"})),
        )
        .await;
    assert_eq!(status, 404, "{body}");
    let (status, _) = api
        .call("GET", "/config/objects/v1/no-such-things", None)
        .await;
    assert_eq!(status, 404);
    let (status, body) = api
        .call("PATCH", &format!("/config/objects/v1/addresses/{id}"), None)
        .await;
    assert_eq!((status, error_code(&body).0), (501, "E012"), "{body}");
    sim.shutdown().await;

    // A simulator without routes serves no API path at all.
    let sim = ScmSimulator::start_with_routes(
        ScmSimConfig::new("127.0.0.1:0".parse().unwrap(), false),
        RouteTable::default(),
        None,
    )
    .await
    .unwrap();
    let api = Api::new(&sim).await;
    let (status, _) = api
        .call("GET", "/config/objects/v1/addresses?folder=Shared", None)
        .await;
    assert_eq!(status, 404);
    sim.shutdown().await;
}

#[tokio::test]
async fn unmodelled_custom_verbs_are_refused_with_the_api_error() {
    let sim = start(false).await;
    let api = Api::new(&sim).await;
    for (path, verb) in [
        ("/config/setup/v1/snippet-snapshots:load", "load"),
        ("/config/setup/v1/snippet-snapshots:compare", "compare"),
        ("/config/setup/v1/shared-snippets:load", "load"),
    ] {
        let (status, body) = api.call("POST", path, Some(json!({}))).await;
        assert!(
            is_not_supported(status, &body, verb),
            "{path}: {status} {body}"
        );
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn server_assigned_fields_are_stored_and_kept_by_updates() {
    let sim = start(false).await;
    let api = Api::new(&sim).await;
    let catalog = Catalog::builtin();
    let create = catalog
        .operation(Family::V2, "autoTagAction", "create")
        .unwrap();
    let mut params = catalog.example_params(create).unwrap();
    // The read-only field is the server's to assign.
    let map = params.as_object_mut().unwrap();
    map.remove("log_type");
    if map.contains_key("folder") {
        map.insert("folder".into(), json!("Shared"));
    }
    let req = catalog.build_request_for(create, &params).unwrap();
    let created = api
        .ok("POST", &req.path_and_query(), req.body.clone())
        .await;
    let log_type = created["log_type"].clone();
    assert!(log_type.is_string(), "assigned at create: {created}");
    let name = created["name"].as_str().unwrap().to_string();
    let listed = api
        .ok(
            "GET",
            &format!("/config/objects/v1/auto-tag-actions?name={name}"),
            None,
        )
        .await;
    assert_eq!(listed["log_type"], log_type, "stored: {listed}");
    // An update body without the read-only field leaves it as assigned.
    let mut update = req.body.clone().unwrap();
    update.as_object_mut().unwrap().remove("log_type");
    update["description"] = json!("changed");
    let updated = api
        .ok(
            "PUT",
            &format!("/config/objects/v1/auto-tag-actions?name={name}"),
            Some(update),
        )
        .await;
    assert_eq!(updated["log_type"], log_type, "{updated}");
    assert_eq!(updated["description"], "changed");
    // The answer is the store's, not a value filled in on the way out.
    let stored = sim.handle().with_state(|t| {
        t.candidate
            .collection("auto-tag-actions")
            .iter()
            .map(|o| o.body.get("log_type").cloned())
            .collect::<Vec<_>>()
    });
    assert_eq!(stored, vec![Some(log_type)]);
    sim.shutdown().await;
}

#[tokio::test]
async fn globalprotect_enable_is_a_stored_switch() {
    let sim = start(false).await;
    let api = Api::new(&sim).await;
    let path = "/config/mobile-agent/v1/enable";
    assert_eq!(api.ok("GET", path, None).await, json!({"enabled": false}));
    let (status, _) = api.call("POST", path, None).await;
    assert_eq!(status, 201);
    assert_eq!(api.ok("GET", path, None).await, json!({"enabled": true}));
    sim.shutdown().await;
}

/// Reads share the tenant store: a list answers while another reader holds the store (with
/// one mutex for the tenant it would wait until the holder let go).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_do_not_wait_for_other_reads() {
    let sim = start(false).await;
    let api = Api::new(&sim).await;
    let handle = sim.handle();
    let (held_tx, held_rx) = std::sync::mpsc::channel();
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let holder = std::thread::spawn(move || {
        handle.with_state(|_| {
            let _ = held_tx.send(());
            // Hold the store until the list below answered (or long enough to tell).
            let _ = done_rx.recv_timeout(std::time::Duration::from_secs(3));
        })
    });
    held_rx.recv().unwrap();
    let started = std::time::Instant::now();
    let (status, body) = api
        .call("GET", "/config/objects/v1/addresses?folder=Shared", None)
        .await;
    let waited = started.elapsed();
    let _ = done_tx.send(());
    holder.join().unwrap();
    assert_eq!(status, 200, "{body}");
    assert!(
        waited < std::time::Duration::from_secs(2),
        "the list waited {waited:?} for another reader"
    );
    sim.shutdown().await;
}
