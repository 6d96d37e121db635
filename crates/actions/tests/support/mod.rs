//! Shared helpers: simulators on 127.0.0.1 port 0 and backends talking to them.
#![allow(dead_code)]

use std::time::Duration;

use panops_actions::{Action, Backend, Backends};
use panops_client::panos::{ClientConfig, PanosClient, Protocol};
use panops_client::retry::RetryPolicy;
use panops_client::scm::{ScmClient, ScmCredentials};
use panops_scm_sim::{
    DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_TSG_ID, RunningScmSim, ScmSimConfig,
    ScmSimulator,
};
use panops_sim::{RunningSim, SimConfig, Simulator};
use serde_json::Value;

pub async fn start(cfg: SimConfig) -> RunningSim {
    Simulator::start(cfg.plain().job_duration(Duration::from_millis(200)))
        .await
        .expect("simulator starts")
}

pub fn client(sim: &RunningSim) -> PanosClient {
    let url = sim.url();
    let port: u16 = url
        .rsplit(':')
        .next()
        .and_then(|p| p.trim_end_matches('/').parse().ok())
        .expect("port in url");
    PanosClient::new(
        ClientConfig::builder("127.0.0.1")
            .port(port)
            .protocol(Protocol::Http)
            .use_env_proxy(false)
            .credentials("admin", "admin")
            .build()
            .expect("config"),
    )
    .expect("client")
}

pub async fn backend(sim: &RunningSim) -> Backend {
    Backend::panos(client(sim))
        .await
        .expect("backend detects the device")
        .with_poll_interval(Duration::from_millis(50))
}

pub async fn start_scm() -> RunningScmSim {
    ScmSimulator::start(ScmSimConfig::new("127.0.0.1:0".parse().unwrap(), false))
        .await
        .expect("SCM simulator starts")
}

pub fn scm_backend(sim: &RunningScmSim) -> Backend {
    scm_backend_in(sim, "Shared")
}

/// An SCM backend whose default folder (the profile's `folder`) is `folder`.
pub fn scm_backend_in(sim: &RunningScmSim, folder: &str) -> Backend {
    let client = ScmClient::builder(ScmCredentials::new(
        DEFAULT_CLIENT_ID,
        DEFAULT_CLIENT_SECRET,
        DEFAULT_TSG_ID,
    ))
    .base_url(sim.base_url())
    .token_url(sim.token_url())
    .retry(RetryPolicy {
        max_attempts: 3,
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(50),
        max_retry_after: Duration::from_secs(2),
    })
    .build()
    .expect("SCM client");
    Backend::scm(client, Some(folder.into())).with_poll_interval(Duration::from_millis(100))
}

/// Runs an action that must succeed; its result must use only documented field names.
pub async fn ok(b: &Backends, resource: &str, operation: &str, params: Value) -> Value {
    match b.execute(&Action::new(resource, operation, params)).await {
        Ok(v) => {
            assert_documented(resource, operation, &v);
            v
        }
        Err(e) => panic!("{resource}.{operation} failed: {}", e.to_json()),
    }
}

/// Fails when `result` has a key the catalog's result documentation does not list.
pub fn assert_documented(resource: &str, operation: &str, result: &Value) {
    let spec = panops_actions::find(resource, operation).expect("known action");
    let undocumented = spec.undocumented_keys(result);
    assert!(
        undocumented.is_empty(),
        "{resource}.{operation}: result fields {undocumented:?} are not in the catalog's results: {result}"
    );
}

/// Runs an action that must fail; returns `{code, message, field?}`.
pub async fn err(b: &Backends, resource: &str, operation: &str, params: Value) -> Value {
    match b.execute(&Action::new(resource, operation, params)).await {
        Ok(v) => panic!("{resource}.{operation} should have failed, got {v}"),
        Err(e) => e.to_json()["error"].clone(),
    }
}

pub fn names(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|i| i["name"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}
