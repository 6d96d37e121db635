//! Shared helpers for the SCM client tests (included with `mod scm_support;`).
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use panops_client::retry::RetryPolicy;
use panops_client::scm::{Clock, ScmClient, ScmClientBuilder, ScmCredentials};
use panops_scm_sim::{
    DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_TSG_ID, RunningScmSim, ScmSimConfig,
    ScmSimulator,
};

pub async fn start_sim() -> RunningScmSim {
    let cfg = ScmSimConfig::new("127.0.0.1:0".parse().unwrap(), false);
    ScmSimulator::start(cfg).await.expect("simulator starts")
}

pub fn credentials() -> ScmCredentials {
    ScmCredentials::new(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_TSG_ID)
}

pub fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(50),
        max_retry_after: Duration::from_secs(5),
    }
}

pub fn builder(sim: &RunningScmSim) -> ScmClientBuilder {
    ScmClient::builder(credentials())
        .base_url(sim.base_url())
        .token_url(sim.token_url())
        .retry(fast_retry())
}

pub fn client(sim: &RunningScmSim) -> ScmClient {
    builder(sim).build().expect("client builds")
}

pub fn client_with_clock(sim: &RunningScmSim, clock: Arc<dyn Clock>) -> ScmClient {
    builder(sim).clock(clock).build().expect("client builds")
}
