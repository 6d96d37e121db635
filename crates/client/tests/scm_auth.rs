//! SCM client ↔ simulator: OAuth2 token flow, single flight, refresh window, 401 re-fetch,
//! credential validation and secret hygiene.

mod scm_support;

use std::sync::Arc;
use std::time::Duration;

use panops_client::scm::{
    ManualClock, ScmClient, ScmCredentials, ScmError, TlsOptions, TokenCache,
};
use scm_support::*;
use serde_json::json;

#[tokio::test]
async fn token_flow_then_bearer_call() {
    let sim = start_sim().await;
    let client = client(&sim);
    let list = client
        .call(None, "address", "list", json!({"folder": "Shared"}))
        .await
        .expect("list works");
    assert!(list.get("data").is_some(), "{list}");
    assert_eq!(sim.handle().token_requests(), 1);
    // The token is reused.
    client
        .call(None, "tag", "list", json!({"folder": "Shared"}))
        .await
        .unwrap();
    assert_eq!(sim.handle().token_requests(), 1);
    assert_eq!(client.tokens().fetch_count(), 1);
    let recorded = sim.handle().requests();
    assert!(
        recorded
            .iter()
            .all(|r| r.client_id.as_deref() == Some(panops_scm_sim::DEFAULT_CLIENT_ID))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_flight_64_concurrent_callers_one_token_request() {
    let sim = start_sim().await;
    let client = client(&sim);
    let mut tasks = Vec::new();
    for _ in 0..64 {
        let c = client.clone();
        tasks.push(tokio::spawn(async move {
            c.call(
                None,
                "address",
                "list",
                json!({"folder": "Shared", "limit": 1}),
            )
            .await
        }));
    }
    for t in tasks {
        t.await.unwrap().expect("call succeeds");
    }
    assert_eq!(sim.handle().token_requests(), 1);
    assert_eq!(client.tokens().fetch_count(), 1);
}

/// 64 workers calling the API through 25 minutes of (simulated) token time, with 15-minute
/// tokens refreshed 5 minutes early: tokens are fetched at t=0, 10 and 20 minutes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_window_64_workers_25_minutes_three_token_requests() {
    let sim = start_sim().await;
    let clock = Arc::new(ManualClock::new());
    let client = client_with_clock(&sim, clock.clone());
    let mut generations = Vec::new();
    for minute in 0..=25u64 {
        let mut tasks = Vec::new();
        for _ in 0..64 {
            let c = client.clone();
            tasks.push(tokio::spawn(async move {
                c.call(None, "tag", "list", json!({"folder": "Shared", "limit": 1}))
                    .await
            }));
        }
        for t in tasks {
            t.await.unwrap().expect("call succeeds");
        }
        generations.push((minute, client.tokens().fetch_count()));
        clock.advance(Duration::from_secs(60));
    }
    assert_eq!(sim.handle().token_requests(), 3, "{generations:?}");
    assert_eq!(client.tokens().fetch_count(), 3);
    // Refreshes happen exactly at the 10- and 20-minute marks.
    assert_eq!(generations[9].1, 1);
    assert_eq!(generations[10].1, 2);
    assert_eq!(generations[19].1, 2);
    assert_eq!(generations[20].1, 3);
}

#[tokio::test]
async fn refetches_once_on_401() {
    let sim = start_sim().await;
    let client = client(&sim);
    client
        .call(None, "address", "list", json!({"folder": "Shared"}))
        .await
        .unwrap();
    sim.handle().expire_tokens();
    client
        .call(None, "address", "list", json!({"folder": "Shared"}))
        .await
        .expect("the client fetched a new token after the 401");
    assert_eq!(sim.handle().token_requests(), 2);
    let statuses: Vec<u16> = sim.handle().requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, vec![200, 401, 200]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_four_workers_hitting_401_cause_one_refetch() {
    let sim = start_sim().await;
    let client = client(&sim);
    client.tokens().token().await.unwrap();
    sim.handle().expire_tokens();
    let mut tasks = Vec::new();
    for _ in 0..64 {
        let c = client.clone();
        tasks.push(tokio::spawn(async move {
            c.call(None, "tag", "list", json!({"folder": "Shared", "limit": 1}))
                .await
        }));
    }
    for t in tasks {
        t.await.unwrap().expect("call succeeds after the re-fetch");
    }
    assert_eq!(sim.handle().token_requests(), 2);
}

#[tokio::test]
async fn persistent_401_is_an_api_error_after_one_refetch() {
    let sim = start_sim().await;
    let client = client(&sim);
    sim.handle().inject_status(401, 2);
    let err = client
        .call(None, "address", "list", json!({"folder": "Shared"}))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(401), "{err}");
    assert!(
        err.to_string()
            .starts_with("API error [401] on address.list"),
        "{err}"
    );
    assert_eq!(sim.handle().token_requests(), 2);
}

#[tokio::test]
async fn credential_messages_before_any_call() {
    for (creds, msg) in [
        (ScmCredentials::new("", "s", "1"), "clientId is required"),
        (
            ScmCredentials::new("id", "", "1"),
            "clientSecret is required",
        ),
        (ScmCredentials::new("id", "s", ""), "tsgId is required"),
    ] {
        let err = ScmClient::builder(creds).build().unwrap_err();
        assert_eq!(err.to_string(), msg);
    }
    let from_env = ScmCredentials::from_lookup(|_| None);
    assert_eq!(
        ScmClient::builder(from_env)
            .build()
            .unwrap_err()
            .to_string(),
        "clientId is required"
    );
}

#[tokio::test]
async fn wrong_secret_is_token_fetch_failed_without_the_secret() {
    let sim = start_sim().await;
    let creds = ScmCredentials::new(
        panops_scm_sim::DEFAULT_CLIENT_ID,
        "definitely-wrong-secret",
        panops_scm_sim::DEFAULT_TSG_ID,
    );
    let client = ScmClient::builder(creds)
        .base_url(sim.base_url())
        .token_url(sim.token_url())
        .build()
        .unwrap();
    let err = client
        .call(None, "address", "list", json!({"folder": "Shared"}))
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with("token fetch failed: status=401 body="),
        "{text}"
    );
    assert!(text.contains("invalid_client"), "{text}");
    assert!(!text.contains("definitely-wrong-secret"));
    assert!(!format!("{err:?}").contains("definitely-wrong-secret"));
    // No API request was sent without a token.
    assert!(sim.handle().requests().is_empty());
}

#[tokio::test]
async fn unreachable_token_service_is_failed_to_obtain() {
    // Bind then drop a listener: nothing listens on that port any more.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let client = ScmClient::builder(credentials())
        .base_url(format!("http://127.0.0.1:{port}"))
        .auth_base_url(format!("http://127.0.0.1:{port}"))
        .build()
        .unwrap();
    let err = client
        .call(None, "address", "list", json!({"folder": "Shared"}))
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "failed to obtain access token");
    assert!(matches!(err, ScmError::TokenUnavailable { .. }));
    assert!(std::error::Error::source(&err).is_some());
}

#[tokio::test]
async fn clients_sharing_a_token_cache_share_the_token() {
    let sim = start_sim().await;
    let cache = TokenCache::new();
    let a = builder(&sim).token_cache(&cache).build().unwrap();
    let b = builder(&sim).token_cache(&cache).build().unwrap();
    let c = builder(&sim).build().unwrap();
    for client in [&a, &b, &c] {
        client
            .call(None, "tag", "list", json!({"folder": "Shared"}))
            .await
            .unwrap();
    }
    assert_eq!(
        sim.handle().token_requests(),
        2,
        "a and b share, c has its own"
    );
}

#[tokio::test]
async fn tls_verification_is_on_by_default_and_a_ca_bundle_is_honoured() {
    let cfg = panops_scm_sim::ScmSimConfig::new("127.0.0.1:0".parse().unwrap(), true);
    let sim = panops_scm_sim::ScmSimulator::start(cfg).await.unwrap();
    assert!(sim.base_url().starts_with("https://"));

    // Self-signed certificate, no CA given: refused before any credential is sent.
    let strict = ScmClient::builder(credentials())
        .base_url(sim.base_url())
        .token_url(sim.token_url())
        .build()
        .unwrap();
    let err = strict
        .call(None, "tag", "list", json!({"folder": "Shared"}))
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "failed to obtain access token");
    assert_eq!(sim.handle().token_requests(), 0);

    // Trusting the simulator's certificate.
    let ca = std::env::temp_dir().join(format!("panops-scm-ca-{}.pem", std::process::id()));
    std::fs::write(&ca, sim.ca_pem().unwrap()).unwrap();
    let trusted = ScmClient::builder(credentials())
        .base_url(sim.base_url())
        .token_url(sim.token_url())
        .tls(TlsOptions {
            ca_bundle: Some(ca.clone()),
            ..TlsOptions::default()
        })
        .build()
        .unwrap();
    let listed = trusted
        .call(None, "tag", "list", json!({"folder": "Shared"}))
        .await;
    let _ = std::fs::remove_file(&ca);
    listed.expect("verified TLS works with the CA bundle");

    // Explicit opt-out.
    let insecure = ScmClient::builder(credentials())
        .base_url(sim.base_url())
        .token_url(sim.token_url())
        .tls(TlsOptions {
            danger_accept_invalid_certs: true,
            ..TlsOptions::default()
        })
        .build()
        .unwrap();
    insecure
        .call(None, "tag", "list", json!({"folder": "Shared"}))
        .await
        .expect("skip-verify works");
}
