//! Candidate vs running, push jobs, config versions, load and rollback.

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::{Value, json};

async fn tag_names(api: &Api) -> Vec<String> {
    let list = api
        .ok("GET", "/config/objects/v1/tags?folder=Shared", None)
        .await;
    list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect()
}

async fn push(api: &Api, path: &str) -> String {
    let body = api
        .ok(
            "POST",
            path,
            Some(json!({"folders": ["Shared"], "admin": ["ops@example.com"], "description": "d"})),
        )
        .await;
    assert_eq!(body["success"], true);
    body["job_id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn push_job_progresses_to_fin() {
    let sim = start(false).await;
    let api = Api::new(&sim).await;
    api.ok(
        "POST",
        "/config/objects/v1/tags",
        Some(json!({"name": "t1", "folder": "Shared"})),
    )
    .await;
    let job = push(&api, "/config/operations/v1/config-versions/candidate:push").await;
    let started = Instant::now();
    let mut statuses = Vec::new();
    loop {
        let body = api
            .ok("GET", &format!("/config/operations/v1/jobs/{job}"), None)
            .await;
        let j = &body["data"][0];
        let status = j["status_str"].as_str().unwrap().to_string();
        if statuses.last() != Some(&status) {
            statuses.push(status.clone());
        }
        if status == "FIN" {
            assert_eq!(j["result_str"], "OK");
            assert_eq!(j["percent"], "100");
            assert_eq!(j["type_str"], "CommitAndPush");
            assert_eq!(j["uname"], "ops@example.com");
            assert!(j["end_ts"].is_string());
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "job never finished"
        );
        tokio::time::sleep(Duration::from_millis(40)).await;
    }
    assert_eq!(statuses.first().map(String::as_str), Some("PEND"));
    assert!(statuses.contains(&"ACT".to_string()), "{statuses:?}");
    let jobs = api.ok("GET", "/config/operations/v1/jobs", None).await;
    assert_eq!(jobs["total"], 1);
    let (status, _) = api
        .call("GET", "/config/operations/v1/jobs/999", None)
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn failed_push_fault() {
    let sim = start(false).await;
    sim.handle().fail_next_pushes(1);
    sim.handle().set_push_duration(Duration::from_millis(0));
    let api = Api::new(&sim).await;
    let job = push(&api, "/sse/config/v1/config-versions/candidate:push").await;
    // Jobs take at least a millisecond.
    tokio::time::sleep(Duration::from_millis(20)).await;
    let body = api
        .ok("GET", &format!("/sse/config/v1/jobs/{job}"), None)
        .await;
    assert_eq!(body["data"][0]["result_str"], "FAIL");
    assert!(sim.handle().with_state(|s| s.versions.is_empty()));
}

#[tokio::test]
async fn versions_load_and_rollback() {
    let sim = start(false).await;
    sim.handle().set_push_duration(Duration::from_millis(0));
    let api = Api::new(&sim).await;
    let ops = "/config/operations/v1";
    api.ok(
        "POST",
        "/config/objects/v1/tags",
        Some(json!({"name": "v1tag", "folder": "Shared"})),
    )
    .await;
    push(&api, &format!("{ops}/config-versions/candidate:push")).await;
    api.ok(
        "POST",
        "/config/objects/v1/tags",
        Some(json!({"name": "v2tag", "folder": "Shared"})),
    )
    .await;
    push(&api, &format!("{ops}/config-versions/candidate:push")).await;
    api.ok(
        "POST",
        "/config/objects/v1/tags",
        Some(json!({"name": "draft", "folder": "Shared"})),
    )
    .await;
    assert_eq!(tag_names(&api).await, ["v1tag", "v2tag", "draft"]);

    // Discard the candidate: back to the running config (version 2).
    api.ok("DELETE", &format!("{ops}/config-versions/candidate"), None)
        .await;
    assert_eq!(tag_names(&api).await, ["v1tag", "v2tag"]);

    // Load version 1 into the candidate.
    api.ok(
        "POST",
        &format!("{ops}/config-versions:load"),
        Some(json!({"version": 1})),
    )
    .await;
    assert_eq!(tag_names(&api).await, ["v1tag"]);
    let (status, _) = api
        .call(
            "POST",
            &format!("{ops}/config-versions:load"),
            Some(json!({"version": 42})),
        )
        .await;
    assert_eq!(status, 404);

    let versions = api.ok("GET", &format!("{ops}/config-versions"), None).await;
    assert_eq!(versions["total"], 2);
    assert_eq!(versions["data"][0]["id"], 2);
    let v1 = api
        .ok("GET", &format!("{ops}/config-versions/1"), None)
        .await;
    assert_eq!(v1["id"], 1);
    assert_eq!(v1["admin"], "ops@example.com");
    let running = api
        .ok("GET", &format!("{ops}/config-versions/running"), None)
        .await;
    assert_eq!(
        running["data"][0],
        json!({"device": "Shared", "version": 2, "date": running["data"][0]["date"]})
    );
    // The sse family declares bare arrays here.
    let sse: Value = api.ok("GET", "/sse/config/v1/config-versions", None).await;
    assert_eq!(sse.as_array().map(Vec::len), Some(2));
    let (status, err) = api
        .call(
            "POST",
            &format!("{ops}/config-versions/candidate:push"),
            Some(json!({"folders": ["Nope"]})),
        )
        .await;
    assert_eq!(status, 400, "{err}");
}
