//! Fault injection: latency, 429 with Retry-After, 5xx, token expiry.

mod common;

use std::time::{Duration, Instant};

use common::*;
use panops_scm_sim::FaultConfig;

const LIST: &str = "/config/objects/v1/addresses?folder=Shared";

#[tokio::test]
async fn injected_429_carries_retry_after_then_recovers() {
    let sim = start(false).await;
    let api = Api::new(&sim).await;
    sim.handle().inject_status(429, 2);
    for _ in 0..2 {
        let resp = api
            .http
            .get(format!("{}{LIST}", api.base))
            .bearer_auth(&api.token)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 429);
        assert_eq!(resp.headers()["retry-after"], "1");
    }
    let (status, _) = api.call("GET", LIST, None).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn rates_and_latency() {
    let sim = start(false).await;
    let api = Api::new(&sim).await;
    sim.handle().set_faults(FaultConfig {
        rate_5xx: 1.0,
        ..FaultConfig::default()
    });
    let (status, body) = api.call("GET", LIST, None).await;
    assert_eq!(status, 503);
    assert!(body["_errors"].is_array());
    sim.handle().set_faults(FaultConfig {
        rate_429: 1.0,
        retry_after_secs: 7,
        ..FaultConfig::default()
    });
    let resp = api
        .http
        .get(format!("{}{LIST}", api.base))
        .bearer_auth(&api.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 429);
    assert_eq!(resp.headers()["retry-after"], "7");
    sim.handle().set_faults(FaultConfig {
        latency_ms: 150,
        ..FaultConfig::default()
    });
    let t = Instant::now();
    let (status, _) = api.call("GET", LIST, None).await;
    assert_eq!(status, 200);
    assert!(t.elapsed() >= Duration::from_millis(150));
}

#[tokio::test]
async fn token_expiry_by_revocation_lifetime_and_clock() {
    let sim = start(false).await;
    let handle = sim.handle();
    let mut api = Api::new(&sim).await;
    handle.expire_tokens();
    let (status, body) = api.call("GET", LIST, None).await;
    assert_eq!(status, 401);
    assert_eq!(error_code(&body), ("E016", "Key Expired"));
    api.token = token(&sim, &api.http).await;
    assert_eq!(api.call("GET", LIST, None).await.0, 200);

    // Short-lived tokens expire on the simulator clock.
    handle.set_token_lifetime(Duration::from_secs(60));
    api.token = token(&sim, &api.http).await;
    assert_eq!(api.call("GET", LIST, None).await.0, 200);
    handle.advance_clock(Duration::from_secs(61));
    assert_eq!(api.call("GET", LIST, None).await.0, 401);
    api.token = token(&sim, &api.http).await;
    assert_eq!(api.call("GET", LIST, None).await.0, 200);
    assert_eq!(handle.token_requests(), 4);
    assert_eq!(handle.clock_offset_secs(), 61);
}
