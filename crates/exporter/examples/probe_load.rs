//! Load generator for the exporter benchmark: `N` concurrent scrapers each fetch
//! `/probe?target=T` (targets taken round-robin) `M` times; prints p50 / p99 / max latency.
//!
//! `cargo run --release -p panops-exporter --example probe_load -- URL CONCURRENCY REQUESTS T1,T2,… [PACE_MS]`
//!
//! Without `PACE_MS` every scraper sends its next request as soon as the last one is answered
//! (a closed loop: it measures throughput, and latency is mostly queueing once the CPU is
//! saturated). With `PACE_MS` each scraper waits that long between requests, as scrapers do.

use std::time::{Duration, Instant};

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 5 {
        eprintln!("usage: probe_load URL CONCURRENCY REQUESTS_PER_WORKER TARGET[,TARGET…]");
        std::process::exit(2);
    }
    let url = args[1].trim_end_matches('/').to_owned();
    let workers: usize = args[2].parse().unwrap_or(50);
    let per: usize = args[3].parse().unwrap_or(100);
    let targets: Vec<String> = args[4].split(',').map(str::to_owned).collect();
    let pace = args
        .get(5)
        .and_then(|p| p.parse::<u64>().ok())
        .map(Duration::from_millis);
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(workers)
        .build()
        .expect("client");
    let started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..workers {
        let http = http.clone();
        let url = url.clone();
        let targets = targets.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(per);
            let mut bytes = 0usize;
            for i in 0..per {
                let t = &targets[(w * per + i) % targets.len()];
                let t0 = Instant::now();
                let r = http
                    .get(format!("{url}/probe?target={t}"))
                    .send()
                    .await
                    .expect("probe");
                assert!(r.status().is_success(), "{t}: {}", r.status());
                bytes += r.bytes().await.expect("body").len();
                lat.push(t0.elapsed());
                if let Some(p) = pace {
                    tokio::time::sleep(p).await;
                }
            }
            (lat, bytes)
        }));
    }
    let mut all: Vec<Duration> = Vec::new();
    let mut bytes = 0;
    for t in tasks {
        let (l, b) = t.await.expect("worker");
        all.extend(l);
        bytes += b;
    }
    let wall = started.elapsed();
    all.sort();
    let q = |p: f64| {
        all[((all.len() as f64 * p).ceil() as usize)
            .saturating_sub(1)
            .min(all.len() - 1)]
    };
    println!(
        "probes={} concurrency={workers} pace_ms={} p50_ms={:.3} p99_ms={:.3} max_ms={:.3} rps={:.0} avg_bytes={}",
        all.len(),
        pace.map_or(0, |p| p.as_millis()),
        q(0.50).as_secs_f64() * 1e3,
        q(0.99).as_secs_f64() * 1e3,
        all.last().map_or(0.0, |d| d.as_secs_f64() * 1e3),
        all.len() as f64 / wall.as_secs_f64(),
        bytes / all.len().max(1)
    );
}
