//! SCM client ↔ simulator: validation before sending, retries, CRUD, paging, folders, push
//! and job polling, bulk concurrency, error mapping.

mod scm_support;

use std::time::{Duration, Instant};

use panops_client::retry::RetryPolicy;
use panops_client::scm::{Family, JobError, PREDEFINED_FOLDERS, ScmAction, ScmClient, ScmError};
use panops_scm_sim::FaultConfig;
use scm_support::*;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn address(name: &str, ip: &str) -> Value {
    json!({"folder": "Shared", "name": name, "ip_netmask": ip, "description": "panops test"})
}

#[tokio::test]
async fn invalid_input_sends_nothing() {
    let sim = start_sim().await;
    let client = client(&sim);
    // Exactly-one-of group violated: no ip_netmask / ip_range / ip_wildcard / fqdn.
    let err = client
        .call(
            None,
            "address",
            "create",
            json!({"folder": "Shared", "name": "x"}),
        )
        .await
        .unwrap_err();
    assert!(err.is_validation(), "{err}");
    assert!(err.to_string().contains("ip_netmask"), "{err}");
    let err = client
        .call(None, "addresss", "list", json!({}))
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "unsupported resource: addresss");
    let err = client
        .call(None, "address", "explode", json!({}))
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "unsupported operation: address.explode");
    let err = client
        .call(None, "address", "list", json!(["not", "an", "object"]))
        .await
        .unwrap_err();
    assert!(err.is_validation(), "{err}");
    // Nothing reached the simulator, not even a token request.
    assert!(sim.handle().requests().is_empty());
    assert_eq!(sim.handle().token_requests(), 0);
}

#[tokio::test]
async fn rate_limit_429_honours_retry_after() {
    let sim = start_sim().await;
    let client = client(&sim);
    client.tokens().token().await.unwrap();
    sim.handle().set_faults(FaultConfig {
        retry_after_secs: 1,
        ..FaultConfig::default()
    });
    sim.handle().inject_status(429, 1);
    let started = Instant::now();
    client
        .call(None, "address", "create", address("rl1", "10.9.0.1/32"))
        .await
        .expect("429 is retried even for a create");
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(950),
        "waited only {waited:?}"
    );
    let statuses: Vec<u16> = sim.handle().requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses.len(), 2, "{statuses:?}");
    assert_eq!(statuses[0], 429);
    assert!(statuses[1] < 300, "{statuses:?}");
}

#[tokio::test]
async fn rate_limit_gives_up_after_max_attempts_with_retry_after_in_the_error() {
    let sim = start_sim().await;
    let client = builder(&sim)
        .retry(RetryPolicy {
            max_attempts: 2,
            ..fast_retry()
        })
        .build()
        .unwrap();
    sim.handle().set_faults(FaultConfig {
        retry_after_secs: 0,
        ..FaultConfig::default()
    });
    sim.handle().inject_status(429, 5);
    let err = client
        .call(None, "tag", "list", json!({"folder": "Shared"}))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(429));
    assert_eq!(sim.handle().requests().len(), 2);
}

#[tokio::test]
async fn server_errors_retried_for_idempotent_calls_never_for_post() {
    let sim = start_sim().await;
    let client = client(&sim);
    let created = client
        .call(None, "address", "create", address("idem", "10.9.0.1/32"))
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap().to_string();

    // GET: retried until it succeeds.
    sim.handle().clear_requests();
    sim.handle().inject_status(503, 2);
    client
        .call(None, "address", "list", json!({"folder": "Shared"}))
        .await
        .expect("GET is retried after 5xx");
    let statuses: Vec<u16> = sim.handle().requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, vec![503, 503, 200]);

    // PUT: retried, and the retry applied the change.
    sim.handle().clear_requests();
    sim.handle().inject_status(502, 1);
    let updated = client
        .call(
            None,
            "address",
            "update",
            json!({"id": id, "name": "idem", "ip_netmask": "10.9.0.9/32"}),
        )
        .await
        .expect("PUT is retried after 5xx");
    assert_eq!(updated["ip_netmask"], "10.9.0.9/32");
    let recorded = sim.handle().requests();
    assert_eq!(
        recorded
            .iter()
            .map(|r| (r.method.as_str(), r.status))
            .collect::<Vec<_>>(),
        vec![("PUT", 502), ("PUT", 200)]
    );

    // POST: never retried after a 5xx (a create may have landed).
    sim.handle().clear_requests();
    sim.handle().inject_status(503, 1);
    let err = client
        .call(None, "address", "create", address("once", "10.9.0.2/32"))
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("API error [503] on address.create"),
        "{err}"
    );
    let recorded = sim.handle().requests();
    assert_eq!(recorded.len(), 1, "a POST is never retried after a 5xx");
    assert_eq!(recorded[0].method, "POST");

    // DELETE: retried.
    sim.handle().clear_requests();
    sim.handle().inject_status(500, 1);
    client
        .call(None, "address", "delete", json!({"id": id}))
        .await
        .expect("DELETE is retried after 5xx");
    let statuses: Vec<u16> = sim.handle().requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, vec![500, 200]);
    let err = client
        .call(None, "address", "get", json!({"id": id}))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(404), "the retried DELETE deleted it");

    // The policy is the request's own: GET, PUT and DELETE are idempotent, POST is not.
    for (op, params, idempotent) in [
        ("list", json!({"folder": "Shared"}), true),
        (
            "update",
            json!({"id": id, "name": "x", "fqdn": "x.example"}),
            true,
        ),
        ("delete", json!({"id": id}), true),
        ("create", address("y", "10.0.0.1/32"), false),
    ] {
        let req = client.build_request(None, "address", op, &params).unwrap();
        assert_eq!(req.is_idempotent(), idempotent, "{op}");
    }
}

#[tokio::test]
async fn delete_whose_answer_was_lost_is_done_when_the_retry_finds_nothing() {
    let sim = start_sim().await;
    let client = client(&sim);
    let created = client
        .call(None, "address", "create", address("lost", "10.9.1.1/32"))
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap().to_string();
    sim.handle().clear_requests();
    // The first DELETE deletes the object, but its answer is replaced by a 502.
    sim.handle().inject_status_after_effect(502, 1);
    let done = client
        .call(None, "address", "delete", json!({"id": id}))
        .await
        .expect("a retry that finds the object gone means the delete happened");
    assert_eq!(done, Value::Null);
    let statuses: Vec<u16> = sim.handle().requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, vec![502, 404]);
    assert!(
        sim.handle()
            .with_state(|t| t.candidate.collection("addresses").is_empty())
    );

    // Without a failure before it, a 404 is an error: the object was never there.
    let err = client
        .call(None, "address", "delete", json!({"id": id}))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(404));
    assert!(err.to_string().contains("E005"), "{err}");

    // A PUT whose answer was lost is simply retried: the second PUT gives the same state.
    let created = client
        .call(None, "address", "create", address("lost2", "10.9.1.2/32"))
        .await
        .unwrap();
    sim.handle().inject_status_after_effect(504, 1);
    let updated = client
        .call(
            None,
            "address",
            "update",
            json!({"id": created["id"], "name": "lost2", "ip_netmask": "10.9.1.3/32"}),
        )
        .await
        .unwrap();
    assert_eq!(updated["ip_netmask"], "10.9.1.3/32");
}

#[tokio::test]
async fn crud_round_trip_and_api_errors_verbatim() {
    let sim = start_sim().await;
    let client = client(&sim);
    let created = client
        .call(None, "address", "create", address("web1", "10.0.0.1/32"))
        .await
        .unwrap();
    let id = created["id"]
        .as_str()
        .expect("created object has an id")
        .to_string();
    assert_eq!(created["name"], "web1");

    let got = client
        .call(None, "address", "get", json!({"id": id}))
        .await
        .unwrap();
    let got = if got.is_array() { got[0].clone() } else { got };
    assert_eq!(got["ip_netmask"], "10.0.0.1/32");

    // sse-v1 update, as the spec has it: PUT by id, no `folder` (the PUT declares none).
    let sse_update = client
        .build_request(
            None,
            "address",
            "update",
            &json!({"id": id, "name": "web1", "ip_netmask": "10.0.0.2/32"}),
        )
        .unwrap();
    assert_eq!(sse_update.path, format!("/sse/config/v1/addresses/{id}"));
    assert!(sse_update.body.as_ref().unwrap().get("folder").is_none());
    let updated = client
        .call(
            None,
            "address",
            "update",
            json!({"id": id, "name": "web1", "ip_netmask": "10.0.0.2/32"}),
        )
        .await
        .unwrap();
    assert_eq!(updated["ip_netmask"], "10.0.0.2/32");
    let got = client
        .call(None, "address", "get", json!({"id": id}))
        .await
        .unwrap();
    let got = if got.is_array() { got[0].clone() } else { got };
    assert_eq!(got["ip_netmask"], "10.0.0.2/32");
    assert_eq!(got["folder"], "Shared", "the object stayed in its folder");

    // Duplicate name → 409 with the SCM error details verbatim.
    let err = client
        .call(None, "address", "create", address("web1", "10.0.0.3/32"))
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with("API error [409] on address.create: [{"),
        "{text}"
    );
    assert!(text.contains("\"code\":\"E006\""), "{text}");
    match &err {
        ScmError::Api(api) => {
            assert_eq!(api.errors[0].code.as_deref(), Some("E006"));
            assert_eq!(api.status, 409);
        }
        other => panic!("expected an API error, got {other:?}"),
    }

    let listed = client
        .list_all("address", json!({"folder": "Shared", "name": "web1"}))
        .await
        .unwrap();
    assert!(listed.iter().any(|a| a["id"] == id.as_str()));

    client
        .call(None, "address", "delete", json!({"id": id}))
        .await
        .unwrap();
    let err = client
        .call(None, "address", "get", json!({"id": id}))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(404));
    assert!(err.to_string().contains("E005"), "{err}");
}

/// The round trip users write: fetch an object, change a field, send it back. The sse-v1
/// response carries the object's `folder`, which the sse-v1 PUT does not declare; the client
/// drops it (the id fixes the location) instead of refusing the whole update.
#[tokio::test]
async fn sse_v1_update_of_a_fetched_object_round_trips() {
    let sim = start_sim().await;
    let client = client(&sim);
    let created = client
        .call(
            None,
            "address",
            "create",
            json!({"folder": "Mobile Users", "name": "rt1", "fqdn": "rt1.example.com", "tag": []}),
        )
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap().to_string();
    let fetched = client
        .call(None, "address", "get", json!({"id": id}))
        .await
        .unwrap();
    let mut fetched = if fetched.is_array() {
        fetched[0].clone()
    } else {
        fetched
    };
    assert_eq!(fetched["folder"], "Mobile Users");
    fetched["description"] = json!("changed by panops");
    fetched
        .as_object_mut()
        .unwrap()
        .remove("fqdn")
        .expect("fqdn was set");
    fetched["ip_range"] = json!("10.5.0.1-10.5.0.9");

    let req = client
        .build_request(None, "address", "update", &fetched)
        .expect("a fetched object is a valid update");
    let body = req.body.clone().unwrap();
    assert_eq!(req.method.as_str(), "PUT");
    assert_eq!(req.path, format!("/sse/config/v1/addresses/{id}"));
    assert!(body.get("folder").is_none(), "{body}");
    assert_eq!(body["description"], "changed by panops");

    let updated = client
        .call(None, "address", "update", fetched.clone())
        .await
        .expect("the simulator accepts the sse-v1 update");
    assert_eq!(updated["ip_range"], "10.5.0.1-10.5.0.9");
    assert!(updated.get("fqdn").is_none(), "{updated}");
    let again = client
        .call(None, "address", "get", json!({"id": id}))
        .await
        .unwrap();
    let again = if again.is_array() {
        again[0].clone()
    } else {
        again
    };
    assert_eq!(again["description"], "changed by panops");
    assert_eq!(again["folder"], "Mobile Users");

    // The v2 PUT declares `folder` in its body: there it is sent.
    let v2 = client
        .build_request(Some(Family::V2), "address", "update", &fetched)
        .unwrap();
    assert_eq!(v2.body.unwrap()["folder"], "Mobile Users");
}

#[tokio::test]
async fn long_errors_details_are_kept_verbatim() {
    let message = "x".repeat(10_000);
    let body = format!(
        r#"{{"_errors":[{{"code":"E003","message":"Invalid Object","details":{{"msg":"{message}"}}}}],"_request_id":"r-1"}}"#
    );
    let response: &'static str = Box::leak(
        format!(
            "HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        )
        .into_boxed_str(),
    );
    let base = canned_server(response).await;
    let client = ScmClient::builder(credentials())
        .base_url(&base)
        .auth_base_url(&base)
        .build()
        .unwrap();
    let err = client
        .call(None, "tag", "list", json!({"folder": "Shared"}))
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with("API error [400] on tag.list: [{"),
        "{}",
        &text[..80]
    );
    assert!(
        text.contains(&message),
        "the 10,000-character detail is cut"
    );
    assert!(text.ends_with(r#"}}]"#), "{}", &text[text.len() - 40..]);
    match &err {
        ScmError::Api(api) => assert_eq!(api.request_id.as_deref(), Some("r-1")),
        other => panic!("expected an API error, got {other:?}"),
    }
}

#[tokio::test]
async fn v2_family_round_trip() {
    let sim = start_sim().await;
    let client = builder(&sim).family(Family::V2).build().unwrap();
    let created = client
        .call(
            None,
            "tag",
            "create",
            json!({"folder": "Shared", "name": "quarantine"}),
        )
        .await
        .unwrap();
    assert!(created["id"].is_string(), "{created}");
    let recorded = sim.handle().requests();
    assert!(
        recorded[0].path.starts_with("/config/objects/v1/tags"),
        "{recorded:?}"
    );
}

#[tokio::test]
async fn list_all_pages_through_everything() {
    let sim = start_sim().await;
    let client = client(&sim);
    let actions: Vec<ScmAction> = (0..25)
        .map(|i| {
            ScmAction::new(
                "address",
                "create",
                address(&format!("page{i}"), &format!("10.1.0.{i}/32")),
            )
        })
        .collect();
    for r in client.bulk(actions, 8).await {
        r.expect("create succeeds");
    }
    sim.handle().clear_requests();
    let all = client
        .list_all("address", json!({"folder": "Shared", "limit": 10}))
        .await
        .unwrap();
    let names: std::collections::BTreeSet<String> = all
        .iter()
        .filter_map(|a| a["name"].as_str().map(str::to_string))
        .filter(|n| n.starts_with("page"))
        .collect();
    assert_eq!(names.len(), 25);
    let pages = sim.handle().requests();
    assert_eq!(pages.len(), 3, "{pages:?}");
    assert!(pages[2].query.contains("offset=20"), "{pages:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_keeps_order_and_shares_one_token() {
    let sim = start_sim().await;
    let client = client(&sim);
    let mut actions: Vec<ScmAction> = (0..40)
        .map(|i| {
            ScmAction::new(
                "address",
                "create",
                address(&format!("b{i}"), &format!("10.2.0.{i}/32")),
            )
        })
        .collect();
    actions.insert(
        5,
        ScmAction::new("address", "create", json!({"folder": "Shared"})),
    );
    let results = client.bulk(actions, 16).await;
    assert_eq!(results.len(), 41);
    assert!(results[5].as_ref().unwrap_err().is_validation());
    for (i, r) in results.iter().enumerate().filter(|(i, _)| *i != 5) {
        let name = r.as_ref().unwrap()["name"].as_str().unwrap().to_string();
        let want = if i < 5 { i } else { i - 1 };
        assert_eq!(name, format!("b{want}"));
    }
    assert_eq!(sim.handle().token_requests(), 1);
}

#[tokio::test]
async fn folders_from_setup_api_or_predefined_on_403() {
    let sim = start_sim().await;
    let client = client(&sim);
    let folders = client.folders().await.unwrap();
    assert!(folders.iter().any(|f| f == "Shared"), "{folders:?}");
    sim.handle().inject_status(403, 1);
    let fallback = client.folders().await.unwrap();
    assert_eq!(fallback, PREDEFINED_FOLDERS.map(String::from).to_vec());
}

#[tokio::test]
async fn push_and_wait_for_the_job() {
    let sim = start_sim().await;
    sim.handle().set_push_duration(Duration::from_millis(400));
    let client = client(&sim);
    client
        .call(None, "address", "create", address("pushed", "10.3.0.1/32"))
        .await
        .unwrap();
    let job_id = client
        .push(&["Mobile Users".to_string()], Some("panops test"))
        .await
        .unwrap();
    let mut seen = Vec::new();
    let done = client
        .wait_job(
            &job_id,
            Duration::from_millis(50),
            Duration::from_secs(20),
            |s| seen.push(s.status.clone()),
        )
        .await
        .unwrap();
    assert!(done.succeeded(), "{done:?}");
    assert_eq!(done.status, "FIN");
    assert_eq!(done.result, "OK");
    assert!(
        seen.len() >= 2,
        "progress was reported while running: {seen:?}"
    );
    assert_ne!(seen[0], "FIN");

    sim.handle().fail_next_pushes(1);
    let job_id = client
        .push(&["Mobile Users".to_string()], None)
        .await
        .unwrap();
    let err = client
        .wait_job(
            &job_id,
            Duration::from_millis(50),
            Duration::from_secs(20),
            |_| {},
        )
        .await
        .unwrap_err();
    match &err {
        JobError::Failed { result, .. } => assert_eq!(result, "FAIL"),
        other => panic!("expected a failed job, got {other:?}"),
    }
    assert!(
        err.to_string().starts_with(&format!("job {job_id} failed")),
        "{err}"
    );

    // A push that cannot finish in time.
    sim.handle().set_push_duration(Duration::from_secs(30));
    let job_id = client
        .push(&["Mobile Users".to_string()], None)
        .await
        .unwrap();
    let err = client
        .wait_job(
            &job_id,
            Duration::from_millis(50),
            Duration::from_millis(300),
            |_| {},
        )
        .await
        .unwrap_err();
    assert!(matches!(err, JobError::TimedOut { .. }), "{err}");
}

/// Serves `response` (raw HTTP) to every connection; answers the token path with a token.
async fn canned_server(response: &'static str) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut buf = vec![0u8; 16384];
                let n = socket.read(&mut buf).await.unwrap_or(0);
                let head = String::from_utf8_lossy(&buf[..n]).to_string();
                let reply = if head.starts_with("POST /oauth2/access_token") {
                    let body = r#"{"access_token":"tok-abc-123456789012345","token_type":"Bearer","expires_in":900}"#;
                    format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    )
                } else {
                    response.to_string()
                };
                let _ = socket.write_all(reply.as_bytes()).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn empty_200_is_an_error_except_for_delete() {
    let base = canned_server(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
    )
    .await;
    let client = ScmClient::builder(credentials())
        .base_url(&base)
        .auth_base_url(&base)
        .retry(fast_retry())
        .build()
        .unwrap();
    let err = client
        .call(None, "address", "list", json!({"folder": "Shared"}))
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "received empty response from API");
    let ok = client
        .call(
            None,
            "address",
            "delete",
            json!({"id": "00000000-0000-0000-0000-000000000001"}),
        )
        .await
        .unwrap();
    assert_eq!(ok, Value::Null);
}

#[tokio::test]
async fn non_json_success_body_is_a_decode_error_with_the_raw_bytes() {
    let base = canned_server(
        "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: 9\r\nconnection: close\r\n\r\n<html/>\r\n",
    )
    .await;
    let client = ScmClient::builder(credentials())
        .base_url(&base)
        .auth_base_url(&base)
        .build()
        .unwrap();
    let err = client
        .call(None, "address", "list", json!({"folder": "Shared"}))
        .await
        .unwrap_err();
    match err {
        ScmError::Decode {
            operation, body, ..
        } => {
            assert_eq!(operation, "address.list");
            assert!(body.starts_with(b"<html/>"));
        }
        other => panic!("expected a decode error, got {other:?}"),
    }
}

#[tokio::test]
async fn transport_errors_retried_for_idempotent_calls_only() {
    // A server that accepts and immediately closes: every request fails at transport level.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = accepted.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            drop(socket);
        }
    });
    let token_base = canned_server("HTTP/1.1 500 X\r\ncontent-length: 0\r\n\r\n").await;
    let client = ScmClient::builder(credentials())
        .base_url(format!("http://{addr}"))
        .auth_base_url(&token_base)
        .retry(fast_retry())
        .build()
        .unwrap();
    let err = client
        .call(None, "address", "list", json!({"folder": "Shared"}))
        .await
        .unwrap_err();
    assert!(matches!(err, ScmError::Transport { .. }), "{err:?}");
    let reads = accepted.load(std::sync::atomic::Ordering::SeqCst);
    assert!(reads >= 4, "GET attempted 4 times, saw {reads} connections");

    // PUT and DELETE are idempotent: retried as well.
    for (op, params) in [
        (
            "update",
            json!({"id": "00000000-0000-0000-0000-000000000001", "name": "t", "fqdn": "t.example"}),
        ),
        (
            "delete",
            json!({"id": "00000000-0000-0000-0000-000000000001"}),
        ),
    ] {
        accepted.store(0, std::sync::atomic::Ordering::SeqCst);
        let err = client.call(None, "address", op, params).await.unwrap_err();
        assert!(matches!(err, ScmError::Transport { .. }), "{err:?}");
        let n = accepted.load(std::sync::atomic::Ordering::SeqCst);
        assert!(n >= 4, "{op} attempted 4 times, saw {n} connections");
    }

    accepted.store(0, std::sync::atomic::Ordering::SeqCst);
    let err = client
        .call(None, "address", "create", address("t", "10.0.0.9/32"))
        .await
        .unwrap_err();
    assert!(matches!(err, ScmError::Transport { .. }), "{err:?}");
    // reqwest itself may retry a request on a connection that was reused and found closed,
    // but panops does not: at most the two connections of one attempt.
    let writes = accepted.load(std::sync::atomic::Ordering::SeqCst);
    assert!(writes <= 2, "POST retried: {writes} connections");
}

/// The SCM client shares the PAN-OS client's classification (`panops_client::retry`): a TLS
/// failure gives the same verdict on every attempt, so even a GET is not retried (it was,
/// four times, when the SCM client retried every transport error of an idempotent call).
#[tokio::test]
async fn tls_failures_are_not_retried_even_for_reads() {
    // A plain-HTTP server behind an `https` URL: the TLS handshake fails on every attempt.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = accepted.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                let _ = socket.read(&mut buf).await;
                let _ = socket
                    .write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n")
                    .await;
                let _ = socket.shutdown().await;
            });
        }
    });
    let token_base = canned_server("HTTP/1.1 500 X\r\ncontent-length: 0\r\n\r\n").await;
    let client = ScmClient::builder(credentials())
        .base_url(format!("https://{addr}"))
        .auth_base_url(&token_base)
        .retry(fast_retry())
        .build()
        .unwrap();
    let err = client
        .call(None, "address", "list", json!({"folder": "Shared"}))
        .await
        .unwrap_err();
    assert!(matches!(err, ScmError::Transport { .. }), "{err:?}");
    let n = accepted.load(std::sync::atomic::Ordering::SeqCst);
    assert!(
        (1..=2).contains(&n),
        "a TLS failure must not be retried: saw {n} connections for one GET with 4 attempts allowed"
    );
}
