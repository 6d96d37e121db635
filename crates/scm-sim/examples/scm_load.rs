//! A mixed load against an in-process simulator: N client tasks (32 by default) for a few
//! seconds, about 90% reads (list, get by id) and 10% writes (create, update), then
//! requests per second and latency percentiles. Used to compare tenant-store locking.
//!
//! `cargo run --release -p panops-scm-sim --example scm_load -- [clients] [seconds]`
//!
//! The simulator runs on its own 2-worker runtime and the clients on another, so that a
//! slow server shows as latency rather than as starved clients.

use std::time::{Duration, Instant};

use panops_scm_sim::{
    ClientCredential, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_TSG_ID, ScmSimConfig,
    ScmSimulator,
};
use serde_json::{Value, json};

fn arg(n: usize, default: u64) -> u64 {
    std::env::args()
        .nth(n)
        .and_then(|a| a.parse().ok())
        .unwrap_or(default)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let clients = arg(1, 32) as usize;
    let seconds = arg(2, 5);
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let sim = server_rt.block_on(async {
        let cfg = ScmSimConfig::new("127.0.0.1:0".parse().expect("address"), false)
            .with_clients(vec![ClientCredential::default_account()]);
        ScmSimulator::start(cfg).await
    })?;
    let base = sim.base_url();
    let token_url = sim.token_url();
    let client_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let (latencies, errors) = client_rt.block_on(async move {
        let http = reqwest::Client::new();
        let token: Value = http
            .post(&token_url)
            .basic_auth(DEFAULT_CLIENT_ID, Some(DEFAULT_CLIENT_SECRET))
            .form(&[
                ("grant_type", "client_credentials"),
                ("scope", &format!("tsg_id:{DEFAULT_TSG_ID}")),
            ])
            .send()
            .await?
            .json()
            .await?;
        let token = token["access_token"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let addresses = format!("{base}/config/objects/v1/addresses");
        // Some objects to read from the start.
        let mut ids = Vec::new();
        for i in 0..200 {
            let body = json!({"name": format!("seed-{i}"), "folder": "Shared",
                              "ip_netmask": format!("10.0.{}.{}/32", i / 250, i % 250)});
            let created: Value = http
                .post(&addresses)
                .bearer_auth(&token)
                .json(&body)
                .send()
                .await?
                .json()
                .await?;
            ids.push(created["id"].as_str().unwrap_or_default().to_string());
        }
        let deadline = Instant::now() + Duration::from_secs(seconds);
        let mut tasks = Vec::new();
        for c in 0..clients {
            let (http, token, addresses, ids) =
                (http.clone(), token.clone(), addresses.clone(), ids.clone());
            tasks.push(tokio::spawn(async move {
                let mut lat = Vec::new();
                let mut errors = 0u64;
                let mut n = 0usize;
                while Instant::now() < deadline {
                    n += 1;
                    let id = &ids[(c * 7 + n) % ids.len()];
                    let req = match n % 10 {
                        0 => http.post(&addresses).json(&json!({
                            "name": format!("c{c}-{n}"), "folder": "Shared",
                            "fqdn": "example.com"})),
                        5 => http.put(format!("{addresses}/{id}")).json(
                            &json!({"ip_netmask": "10.9.9.9/32", "description": format!("by {c}")}),
                        ),
                        1 | 4 | 7 => http.get(format!("{addresses}?folder=Shared&limit=50")),
                        _ => http.get(format!("{addresses}/{id}")),
                    };
                    let start = Instant::now();
                    match req.bearer_auth(&token).send().await {
                        Ok(r) if r.status().is_success() => {
                            let _ = r.bytes().await;
                        }
                        _ => errors += 1,
                    }
                    lat.push(start.elapsed());
                }
                (lat, errors)
            }));
        }
        let mut all = Vec::new();
        let mut errors = 0;
        for t in tasks {
            let (lat, e) = t.await?;
            all.extend(lat);
            errors += e;
        }
        Ok::<_, Box<dyn std::error::Error>>((all, errors))
    })?;
    let mut latencies = latencies;
    latencies.sort();
    let pct = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    println!(
        "clients={clients} seconds={seconds} requests={} errors={errors} req/s={:.0} \
         p50={:.2}ms p99={:.2}ms max={:.2}ms",
        latencies.len(),
        latencies.len() as f64 / seconds as f64,
        pct(0.50).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
        latencies.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
    );
    server_rt.block_on(sim.shutdown());
    Ok(())
}
