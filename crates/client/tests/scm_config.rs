//! SCM client ↔ simulator: configuration management through `ScmClient` (push, running
//! versions, load, candidate rollback), rule moves, and the concurrency bound of bulk work.

mod scm_support;

use std::time::Duration;

use panops_client::scm::{ScmAction, ScmClient};
use scm_support::*;
use serde_json::{Value, json};

/// A folder the sse-v1 push accepts (its enum has no `Shared`).
const FOLDER: &str = "Mobile Users";

async fn tag_names(client: &ScmClient) -> Vec<String> {
    client
        .list_all("tag", json!({"folder": FOLDER}))
        .await
        .unwrap()
        .iter()
        .filter_map(|t| t["name"].as_str().map(str::to_string))
        .collect()
}

async fn create_tag(client: &ScmClient, name: &str) {
    client
        .call(
            None,
            "tag",
            "create",
            json!({"folder": FOLDER, "name": name}),
        )
        .await
        .unwrap();
}

async fn push_and_wait(client: &ScmClient) {
    let job = client
        .push(&[FOLDER.to_string()], Some("panops test"))
        .await
        .unwrap();
    client
        .wait_job(
            &job,
            Duration::from_millis(20),
            Duration::from_secs(20),
            |_| {},
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn running_versions_load_and_candidate_rollback() {
    let sim = start_sim().await;
    sim.handle().set_push_duration(Duration::from_millis(0));
    let client = client(&sim);

    create_tag(&client, "first").await;
    push_and_wait(&client).await;
    create_tag(&client, "second").await;
    push_and_wait(&client).await;

    // getRunning: the version each pushed folder runs (sse-v1 declares a bare array).
    let running = client
        .call(None, "configVersion", "getRunning", json!({}))
        .await
        .unwrap();
    let running = running
        .as_array()
        .expect("sse-v1 running versions are an array");
    assert_eq!(running.len(), 1, "{running:?}");
    assert_eq!(running[0]["device"], FOLDER);
    assert_eq!(running[0]["version"], 2);

    // rollbackCandidate: an unpushed change is discarded, the running config comes back.
    create_tag(&client, "draft").await;
    assert_eq!(tag_names(&client).await, ["first", "second", "draft"]);
    client
        .call(None, "configVersion", "rollbackCandidate", json!({}))
        .await
        .unwrap();
    assert_eq!(tag_names(&client).await, ["first", "second"]);

    // load: version 1 becomes the candidate.
    client
        .call(None, "configVersion", "load", json!({"version": 1}))
        .await
        .unwrap();
    assert_eq!(tag_names(&client).await, ["first"]);
    // ... and is only running once pushed.
    let running = client
        .call(None, "configVersion", "getRunning", json!({}))
        .await
        .unwrap();
    assert_eq!(running[0]["version"], 2);
    push_and_wait(&client).await;
    let running = client
        .call(None, "configVersion", "getRunning", json!({}))
        .await
        .unwrap();
    assert_eq!(running[0]["version"], 3);

    // An unknown version is the API's 404, verbatim.
    let err = client
        .call(None, "configVersion", "load", json!({"version": 42}))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(404));
    assert!(
        err.to_string()
            .starts_with("API error [404] on configVersion.load: [{"),
        "{err}"
    );
    // A version that is not a number is refused before sending.
    let sent = sim.handle().requests().len();
    let err = client
        .call(None, "configVersion", "load", json!({"version": "latest"}))
        .await
        .unwrap_err();
    assert!(err.is_validation(), "{err}");
    assert!(err.to_string().contains("'version'"), "{err}");
    assert_eq!(sim.handle().requests().len(), sent);
}

fn rule(name: &str) -> Value {
    json!({
        "folder": "Shared", "name": name, "from": ["any"], "to": ["any"], "source": ["any"],
        "source_user": ["any"], "destination": ["any"], "application": ["any"],
        "service": ["any"], "category": ["any"], "action": "allow"
    })
}

async fn rule_order(client: &ScmClient) -> Vec<String> {
    client
        .list_all(
            "securityRule",
            json!({"folder": "Shared", "position": "pre"}),
        )
        .await
        .unwrap()
        .iter()
        .filter_map(|r| r["name"].as_str().map(str::to_string))
        .collect()
}

#[tokio::test]
async fn security_rule_moves() {
    let sim = start_sim().await;
    let client = client(&sim);
    let mut ids = Vec::new();
    for name in ["a", "b", "c", "d"] {
        let created = client
            .call(None, "securityRule", "create", rule(name))
            .await
            .unwrap();
        ids.push(created["id"].as_str().unwrap().to_string());
    }
    assert_eq!(rule_order(&client).await, ["a", "b", "c", "d"]);

    let mv = |id: &str, body: Value| {
        let mut p = body;
        p["id"] = json!(id);
        p["folder"] = json!("Shared");
        p
    };
    client
        .call(
            None,
            "securityRule",
            "move",
            mv(&ids[3], json!({"destination": "top", "rulebase": "pre"})),
        )
        .await
        .unwrap();
    assert_eq!(rule_order(&client).await, ["d", "a", "b", "c"]);
    client
        .call(
            None,
            "securityRule",
            "move",
            mv(
                &ids[0],
                json!({"destination": "after", "rulebase": "pre", "destination_rule": ids[2]}),
            ),
        )
        .await
        .unwrap();
    assert_eq!(rule_order(&client).await, ["d", "b", "c", "a"]);
    client
        .call(
            None,
            "securityRule",
            "move",
            mv(
                &ids[2],
                json!({"destination": "before", "rulebase": "pre", "destination_rule": ids[3]}),
            ),
        )
        .await
        .unwrap();
    assert_eq!(rule_order(&client).await, ["c", "d", "b", "a"]);
    client
        .call(
            None,
            "securityRule",
            "move",
            mv(&ids[2], json!({"destination": "bottom", "rulebase": "pre"})),
        )
        .await
        .unwrap();
    assert_eq!(rule_order(&client).await, ["d", "b", "a", "c"]);

    // The request is what the spec says: POST /security-rules/{id}:move.
    let last = sim.handle().requests().into_iter().rev().nth(1).unwrap();
    assert_eq!(last.method, "POST");
    assert_eq!(
        last.path,
        format!("/sse/config/v1/security-rules/{}:move", ids[2])
    );
    assert_eq!(last.operation.as_deref(), Some("securityRule.move"));

    // An invalid destination never leaves the client.
    let sent = sim.handle().requests().len();
    let err = client
        .call(
            None,
            "securityRule",
            "move",
            mv(&ids[0], json!({"destination": "middle", "rulebase": "pre"})),
        )
        .await
        .unwrap_err();
    assert!(err.is_validation(), "{err}");
    assert!(err.to_string().contains("'destination'"), "{err}");
    assert_eq!(sim.handle().requests().len(), sent);
}

/// `bulk(.., n)` never has more than `n` requests in flight, as counted by the simulator,
/// and does use the concurrency it is given.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_never_exceeds_its_concurrency_bound() {
    let sim = start_sim().await;
    let client = client(&sim);
    client.tokens().token().await.unwrap();
    let mut faults = sim.handle().faults();
    // Slow responses keep requests in flight long enough to overlap.
    faults.latency_ms = 40;
    sim.handle().set_faults(faults);
    for bound in [1usize, 3, 8] {
        sim.handle().reset_max_in_flight();
        let actions: Vec<ScmAction> = (0..24)
            .map(|i| {
                ScmAction::new(
                    "tag",
                    "create",
                    json!({"folder": "Shared", "name": format!("c{bound}-{i}")}),
                )
            })
            .collect();
        for r in client.bulk(actions, bound).await {
            r.unwrap();
        }
        let seen = sim.handle().max_in_flight() as usize;
        assert!(seen <= bound, "bound {bound}: {seen} requests in flight");
        if bound > 1 {
            assert!(seen > 1, "bound {bound}: requests never overlapped");
        } else {
            assert_eq!(seen, 1);
        }
    }
}
