//! SCM benchmark: create 1,000 addresses then push, against the SCM simulator with 50 ms of
//! added latency, panops (bounded concurrency, one shared token) side by side with
//! pan-scm-sdk driven by a 32-thread pool sharing one client (what a skilled user writes: the
//! main comparison) and pan-scm-sdk one call after another (the naive baseline); both sides
//! check the tenant holds every address afterwards; then the number of token requests made by
//! 64 concurrent workers over 25 minutes of simulated token time (a manual clock advanced in
//! lockstep, so the count is exact: one per refresh window, 3).
//!
//! ```text
//! cargo run -p panops-client --example scm_bench -- [--count 1000] [--latency-ms 50]
//!     [--concurrency 32] [--python target/venv/bin/python] [--skip-sdk]
//! ```
//!
//! Figures are printed, never asserted: wall-clock numbers depend on the machine.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use panops_client::scm::{Family, ManualClock, ScmAction, ScmClient, ScmCredentials};
use panops_scm_sim::{
    DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_TSG_ID, RunningScmSim, ScmSimConfig,
    ScmSimulator,
};
use serde_json::json;

const PUSH_FOLDER: &str = "Mobile Users";

struct Options {
    count: usize,
    latency_ms: u64,
    concurrency: usize,
    python: PathBuf,
    skip_sdk: bool,
}

fn options() -> Result<Options, String> {
    let mut o = Options {
        count: 1000,
        latency_ms: 50,
        concurrency: 32,
        python: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/venv/bin/python"),
        skip_sdk: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--count" => {
                o.count = value("--count")?
                    .parse()
                    .map_err(|e| format!("--count: {e}"))?
            }
            "--latency-ms" => {
                o.latency_ms = value("--latency-ms")?
                    .parse()
                    .map_err(|e| format!("--latency-ms: {e}"))?
            }
            "--concurrency" => {
                o.concurrency = value("--concurrency")?
                    .parse()
                    .map_err(|e| format!("--concurrency: {e}"))?
            }
            "--python" => o.python = PathBuf::from(value("--python")?),
            "--skip-sdk" => o.skip_sdk = true,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(o)
}

async fn start_sim(latency_ms: u64) -> Result<RunningScmSim, Box<dyn std::error::Error>> {
    let mut cfg = ScmSimConfig::new("127.0.0.1:0".parse()?, false);
    cfg.faults.latency_ms = latency_ms;
    Ok(ScmSimulator::start(cfg).await?)
}

fn credentials() -> ScmCredentials {
    ScmCredentials::new(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_TSG_ID)
}

fn address(prefix: &str, i: usize) -> serde_json::Value {
    json!({
        "folder": "Shared",
        "name": format!("{prefix}{i}"),
        "ip_netmask": format!("10.{}.{}.{}/32", (i >> 16) & 255, (i >> 8) & 255, i & 255),
        "description": "benchmark",
    })
}

struct Timing {
    create: Duration,
    push: Duration,
}

impl Timing {
    fn total(&self) -> Duration {
        self.create + self.push
    }
}

async fn run_panops(o: &Options) -> Result<(Timing, u64), Box<dyn std::error::Error>> {
    let sim = start_sim(o.latency_ms).await?;
    let started = Instant::now();
    let client = ScmClient::builder(credentials())
        .family(Family::V2)
        .base_url(sim.base_url())
        .token_url(sim.token_url())
        .build()?;
    let actions = (0..o.count)
        .map(|i| ScmAction::new("address", "create", address("pan", i)))
        .collect();
    let results = client.bulk(actions, o.concurrency).await;
    let failures = results.iter().filter(|r| r.is_err()).count();
    if let Some(Err(e)) = results.iter().find(|r| r.is_err()) {
        return Err(format!("{failures} creates failed, first: {e}").into());
    }
    let created = Instant::now();
    let job = client
        .push(&[PUSH_FOLDER.to_string()], Some("benchmark"))
        .await?;
    client
        .wait_job(
            &job,
            Duration::from_secs(1),
            Duration::from_secs(600),
            |_| {},
        )
        .await?;
    let done = Instant::now();
    let tokens = sim.handle().token_requests();
    sim.shutdown().await;
    Ok((
        Timing {
            create: created - started,
            push: done - created,
        },
        tokens,
    ))
}

async fn run_sdk(o: &Options, threads: usize) -> Result<Timing, Box<dyn std::error::Error>> {
    let sim = start_sim(o.latency_ms).await?;
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/scm_bench_sdk.py");
    let output = tokio::process::Command::new(&o.python)
        .arg(&script)
        .args([
            sim.base_url(),
            sim.token_url(),
            DEFAULT_CLIENT_ID.to_string(),
            DEFAULT_CLIENT_SECRET.to_string(),
            DEFAULT_TSG_ID.to_string(),
            o.count.to_string(),
            "sdk".to_string(),
            PUSH_FOLDER.to_string(),
            threads.to_string(),
        ])
        // oauthlib refuses plain-HTTP token URLs unless told; the simulator runs plain HTTP
        // for both sides so that TLS costs do not differ.
        .env("OAUTHLIB_INSECURE_TRANSPORT", "1")
        .output()
        .await?;
    sim.shutdown().await;
    if !output.status.success() {
        return Err(format!(
            "pan-scm-sdk run failed: {}",
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .ok_or("pan-scm-sdk printed no timings")?;
    let v: serde_json::Value = serde_json::from_str(line)?;
    let secs = |k: &str| Duration::from_secs_f64(v[k].as_f64().unwrap_or(0.0));
    Ok(Timing {
        create: secs("create_s"),
        push: secs("push_s"),
    })
}

/// Simulated minutes the token workers run for.
const TOKEN_MINUTES: u64 = 25;
/// Concurrent token workers.
const TOKEN_WORKERS: usize = 64;

/// 64 workers calling the API through 25 minutes of simulated token time (15-minute tokens,
/// refreshed 5 minutes early). The manual clock moves in lockstep with the calls: every
/// simulated minute all 64 workers call once, then the clock advances a minute, so the count
/// does not depend on scheduling. Returns the token requests the simulator saw and the
/// refresh windows the period spans (the ideal count).
async fn token_requests_64_workers() -> Result<(u64, u64), Box<dyn std::error::Error>> {
    let sim = start_sim(0).await?;
    let clock = Arc::new(ManualClock::new());
    let lifetime = Duration::from_secs(panops_scm::auth::TOKEN_LIFETIME_SECS);
    let refresh_before = Duration::from_secs(5 * 60);
    let client = ScmClient::builder(credentials())
        .base_url(sim.base_url())
        .token_url(sim.token_url())
        .clock(clock.clone())
        .refresh_before(refresh_before)
        .build()?;
    for _minute in 0..=TOKEN_MINUTES {
        let mut workers = Vec::with_capacity(TOKEN_WORKERS);
        for _ in 0..TOKEN_WORKERS {
            let client = client.clone();
            workers.push(tokio::spawn(async move {
                client
                    .call(None, "tag", "list", json!({"folder": "Shared", "limit": 1}))
                    .await
            }));
        }
        for w in workers {
            w.await??;
        }
        clock.advance(Duration::from_secs(60));
    }
    let n = sim.handle().token_requests();
    sim.shutdown().await;
    // A token serves (lifetime - refresh margin); a new window opens every that many minutes.
    let window = (lifetime - refresh_before).as_secs() / 60;
    let windows = TOKEN_MINUTES / window + 1;
    Ok((n, windows))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let o = options()?;
    println!(
        "SCM benchmark: {} address creates + push, {} ms added latency, panops concurrency {}",
        o.count, o.latency_ms, o.concurrency
    );
    let (panops, panops_tokens) = run_panops(&o).await?;
    println!(
        "panops       create {:>8.2}s  push+wait {:>6.2}s  total {:>8.2}s  token requests {}",
        panops.create.as_secs_f64(),
        panops.push.as_secs_f64(),
        panops.total().as_secs_f64(),
        panops_tokens
    );
    if o.skip_sdk || !o.python.exists() {
        println!("pan-scm-sdk  skipped (no {})", o.python.display());
    } else {
        for (label, threads) in [("32-thread pool", 32), ("sequential", 1)] {
            let sdk = run_sdk(&o, threads).await?;
            println!(
                "pan-scm-sdk {label:<15} create {:>8.2}s  push+wait {:>6.2}s  total {:>8.2}s",
                sdk.create.as_secs_f64(),
                sdk.push.as_secs_f64(),
                sdk.total().as_secs_f64()
            );
            println!(
                "ratio (sdk {label} / panops): total {:.1}x, creates {:.1}x",
                sdk.total().as_secs_f64() / panops.total().as_secs_f64(),
                sdk.create.as_secs_f64() / panops.create.as_secs_f64()
            );
        }
    }
    let (tokens, windows) = token_requests_64_workers().await?;
    println!(
        "token requests, {TOKEN_WORKERS} workers over {TOKEN_MINUTES} simulated minutes \
         (15-min tokens, refreshed 5 min early): {tokens} (refresh windows: {windows})"
    );
    Ok(())
}
