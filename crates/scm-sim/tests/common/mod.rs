//! Shared helpers for the simulator integration tests.
#![allow(dead_code)]

pub mod drive;
pub mod spec;

use std::time::Duration;

use panops_scm_sim::{
    ClientCredential, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_TSG_ID, RunningScmSim,
    ScmSimConfig, ScmSimulator,
};
use serde_json::Value;

pub async fn start(tls: bool) -> RunningScmSim {
    let mut cfg = ScmSimConfig::new("127.0.0.1:0".parse().unwrap(), tls)
        .with_clients(vec![ClientCredential::default_account()]);
    cfg.push_duration = Duration::from_millis(400);
    ScmSimulator::start(cfg).await.expect("simulator starts")
}

pub fn client(sim: &RunningScmSim) -> reqwest::Client {
    let mut b = reqwest::Client::builder().timeout(Duration::from_secs(20));
    if let Some(pem) = sim.ca_pem() {
        b = b.add_root_certificate(reqwest::Certificate::from_pem(pem.as_bytes()).unwrap());
    }
    b.build().unwrap()
}

pub async fn token(sim: &RunningScmSim, http: &reqwest::Client) -> String {
    let resp = http
        .post(sim.token_url())
        .basic_auth(DEFAULT_CLIENT_ID, Some(DEFAULT_CLIENT_SECRET))
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", &format!("tsg_id:{DEFAULT_TSG_ID}")),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_string()
}

/// A small API client: method, path (+query), optional JSON body → (status, JSON).
pub struct Api {
    pub base: String,
    pub http: reqwest::Client,
    pub token: String,
}

impl Api {
    pub async fn new(sim: &RunningScmSim) -> Api {
        let http = client(sim);
        let token = token(sim, &http).await;
        Api {
            base: sim.base_url(),
            http,
            token,
        }
    }

    pub async fn call(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self
            .http
            .request(m, format!("{}{}", self.base, path))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        let json = if text.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, json)
    }

    pub async fn ok(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let (status, json) = self.call(method, path, body).await;
        assert!(
            (200..300).contains(&status),
            "{method} {path} -> {status} {json}"
        );
        json
    }
}

pub fn error_code(body: &Value) -> (&str, &str) {
    (
        body["_errors"][0]["code"].as_str().unwrap_or(""),
        body["_errors"][0]["message"].as_str().unwrap_or(""),
    )
}
