//! Helpers shared by the HTTP integration tests: a small XML API client over reqwest.
#![allow(dead_code)]

use std::time::Duration;

use panops_sim::{RunningSim, SimConfig, Simulator};

pub const VSYS: &str =
    "/config/devices/entry[@name='localhost.localdomain']/vsys/entry[@name='vsys1']";
pub const DG: &str = "/config/devices/entry[@name='localhost.localdomain']/device-group";

pub struct Client {
    pub http: reqwest::Client,
    pub url: String,
    pub key: String,
}

pub async fn start(cfg: SimConfig) -> RunningSim {
    Simulator::start(cfg.plain().job_duration(Duration::from_millis(200)))
        .await
        .expect("simulator starts")
}

/// A firewall with two more admins, `alice` and `bob`, both logged in: for locks and
/// per-admin (partial) commits.
pub async fn firewall_with_alice_and_bob() -> (RunningSim, Client, Client) {
    let sim = start(
        SimConfig::firewall()
            .admin(panops_sim::AdminAccount::new("alice", "a"))
            .admin(panops_sim::AdminAccount::new("bob", "b")),
    )
    .await;
    let alice = Client::login(&sim, "alice", "a").await;
    let bob = Client::login(&sim, "bob", "b").await;
    (sim, alice, bob)
}

pub async fn post(http: &reqwest::Client, url: &str, params: &[(&str, &str)]) -> (u16, String) {
    let r = http
        .post(format!("{url}/api/"))
        .form(params)
        .send()
        .await
        .expect("request");
    let status = r.status().as_u16();
    (status, r.text().await.expect("body"))
}

impl Client {
    pub async fn login(sim: &RunningSim, user: &str, password: &str) -> Client {
        let http = reqwest::Client::new();
        let (status, body) = post(
            &http,
            &sim.url(),
            &[("type", "keygen"), ("user", user), ("password", password)],
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert!(body.starts_with("<response status = 'success'>"), "{body}");
        let key = body
            .split("<key>")
            .nth(1)
            .and_then(|s| s.split("</key>").next())
            .expect("key")
            .to_string();
        Client {
            http,
            url: sim.url(),
            key,
        }
    }

    pub async fn call(&self, params: &[(&str, &str)]) -> (u16, String) {
        let r = self
            .http
            .post(format!("{}/api/", self.url))
            .header("X-PAN-KEY", &self.key)
            .form(params)
            .send()
            .await
            .expect("request");
        let status = r.status().as_u16();
        (status, r.text().await.expect("body"))
    }

    pub async fn ok(&self, params: &[(&str, &str)]) -> String {
        let (status, body) = self.call(params).await;
        assert_eq!(status, 200, "{body}");
        assert!(body.contains("status=\"success\""), "{params:?} -> {body}");
        body
    }

    pub async fn op(&self, cmd: &str) -> String {
        self.ok(&[("type", "op"), ("cmd", cmd)]).await
    }

    pub async fn op_target(&self, target: &str, cmd: &str) -> String {
        self.ok(&[("type", "op"), ("cmd", cmd), ("target", target)])
            .await
    }

    pub async fn wait_job(&self, id: &str, target: Option<&str>) -> String {
        let cmd = format!("<show><jobs><id>{id}</id></jobs></show>");
        for _ in 0..100 {
            let body = match target {
                Some(t) => self.op_target(t, &cmd).await,
                None => self.op(&cmd).await,
            };
            if body.contains("<status>FIN</status>") && !body.contains("<result>PEND</result>") {
                return body;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("job {id} did not finish");
    }

    pub async fn commit(&self, cmd: &str) -> String {
        let body = self.ok(&[("type", "commit"), ("cmd", cmd)]).await;
        let id = job_id(&body);
        self.wait_job(&id, None).await
    }
}

pub fn job_id(body: &str) -> String {
    body.split("<job>")
        .nth(1)
        .and_then(|s| s.split("</job>").next())
        .unwrap_or_else(|| panic!("no job id in {body}"))
        .to_string()
}

/// Text of the first `<tag>` in `body`.
pub fn text_of(body: &str, tag: &str) -> Option<String> {
    texts(body, tag).into_iter().next()
}

/// Texts of every `<tag>...</tag>` in `body` (no nesting of the same tag).
pub fn texts(body: &str, tag: &str) -> Vec<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    body.split(&open)
        .skip(1)
        .filter_map(|s| s.split(&close).next())
        .map(str::to_string)
        .collect()
}

/// The `<entry>...</entry>` blocks of a flat list in `body`.
pub fn entries(body: &str) -> Vec<String> {
    body.split("<entry")
        .skip(1)
        .map(|s| s.split("</entry>").next().unwrap_or("").to_string())
        .collect()
}

impl Client {
    /// `set` that must succeed.
    pub async fn set(&self, xpath: &str, element: &str) -> String {
        self.ok(&[
            ("type", "config"),
            ("action", "set"),
            ("xpath", xpath),
            ("element", element),
        ])
        .await
    }

    /// Candidate `get`.
    pub async fn get(&self, xpath: &str) -> String {
        self.ok(&[("type", "config"), ("action", "get"), ("xpath", xpath)])
            .await
    }

    /// A request that must fail with the device's error envelope; returns the body.
    pub async fn fails(&self, params: &[(&str, &str)]) -> String {
        let (_, body) = self.call(params).await;
        assert!(
            body.starts_with("<response status=\"error\""),
            "{params:?} should fail: {body}"
        );
        body
    }

    /// The same client talking to a managed firewall through Panorama.
    pub async fn call_target(&self, target: &str, params: &[(&str, &str)]) -> (u16, String) {
        let mut p = params.to_vec();
        p.push(("target", target));
        self.call(&p).await
    }

    /// A commit-all that must be accepted; returns the finished job.
    pub async fn push(&self, cmd: &str) -> String {
        let body = self
            .ok(&[("type", "commit"), ("action", "all"), ("cmd", cmd)])
            .await;
        self.wait_job(&job_id(&body), None).await
    }

    /// Run a log query and return the finished result.
    pub async fn logs(&self, params: &[(&str, &str)]) -> String {
        let mut p = vec![("type", "log")];
        p.extend_from_slice(params);
        let q = self.ok(&p).await;
        let id = job_id(&q);
        for _ in 0..100 {
            let body = self
                .ok(&[("type", "log"), ("action", "get"), ("job-id", &id)])
                .await;
            if body.contains("<status>FIN</status>") {
                return body;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("log job {id} did not finish");
    }
}
