//! The client secret and access tokens never appear in logs (at TRACE, HTTP stack included),
//! `Debug` output or error messages. A test binary of its own, so that no other test races
//! the global log subscriber.

mod scm_support;

use std::io::Write;
use std::sync::{Arc, Mutex};

use panops_client::scm::{ScmClient, ScmCredentials};
use panops_scm_sim::{ClientCredential, ScmSimConfig, ScmSimulator};
use scm_support::fast_retry;
use serde_json::json;

const SECRET: &str = "Zq8-unique-client-secret-value";

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn secret_and_token_never_in_debug_or_logs() {
    let capture = Capture::default();
    let writer = capture.clone();
    // Everything at TRACE (reqwest, hyper, panops) except the simulator's own logs.
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(
            "trace,panops_scm_sim=off",
        ))
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .init();

    let account = ClientCredential::new("bot@42.iam.panserviceaccount.com", SECRET, "42");
    let cfg = ScmSimConfig::new("127.0.0.1:0".parse().unwrap(), false).with_clients(vec![account]);
    let sim = ScmSimulator::start(cfg).await.unwrap();
    let creds = ScmCredentials::new("bot@42.iam.panserviceaccount.com", SECRET, "42");
    let client = ScmClient::builder(creds.clone())
        .base_url(sim.base_url())
        .token_url(sim.token_url())
        .retry(fast_retry())
        .build()
        .unwrap();
    client
        .call(None, "address", "list", json!({"folder": "Shared"}))
        .await
        .unwrap();
    sim.handle().inject_status(503, 1);
    client
        .call(None, "address", "list", json!({"folder": "Shared"}))
        .await
        .unwrap();
    sim.handle().expire_tokens();
    let err = client
        .call(
            None,
            "address",
            "get",
            json!({"id": "00000000-0000-0000-0000-000000000000"}),
        )
        .await
        .unwrap_err();
    let token = client.tokens().token().await.unwrap();
    let token_text = token.expose().to_string();
    assert!(token_text.len() > 20);

    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("SCM request"), "logging was captured: {logs}");
    assert!(logs.contains("fetching SCM access token"), "{logs}");
    let debug = format!("{client:?} {token:?} {creds:?} {err:?} {err}");
    for haystack in [&logs, &debug] {
        assert!(!haystack.contains(SECRET), "secret leaked");
        assert!(!haystack.contains(&token_text), "token leaked");
    }
}
