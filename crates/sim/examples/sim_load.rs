//! Load benchmark: 32 concurrent clients against one Panorama simulator with managed
//! firewalls, a mixed read/write workload, with and without `--state`.
//!
//! Each client works on its own firewall (through Panorama's `target=`), so what one client
//! waits for is another device's work: the figure issue 14 item 9 asks about. Mix per client:
//! 60 % `get` of one address, 10 % `get` of the whole address list (2,000 entries), 10 %
//! `show system info`, 20 % `set` of one address. Prints requests/s and p50/p99 latency for
//! reads and writes.
//!
//! `cargo run -p panops-sim --release --example sim_load -- [seconds] [clients] [firewalls]`

use std::sync::Arc;
use std::time::{Duration, Instant};

use panops_sim::{SimConfig, Simulator};

const VSYS: &str = "/config/devices/entry[@name='localhost.localdomain']/vsys/entry[@name='vsys1']";

#[derive(Default)]
struct Lat {
    reads: Vec<Duration>,
    writes: Vec<Duration>,
}

fn pct(v: &mut [Duration], p: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort();
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[i].as_secs_f64() * 1000.0
}

async fn post(
    http: &reqwest::Client,
    url: &str,
    key: &str,
    form: &[(&str, &str)],
) -> Result<String, Box<dyn std::error::Error + Send + Sync>> {
    let r = http
        .post(url)
        .header("X-PAN-KEY", key)
        .form(form)
        .send()
        .await?;
    let body = r.text().await?;
    if !body.contains("status=\"success\"") {
        return Err(format!("request failed: {}", &body[..body.len().min(300)]).into());
    }
    Ok(body)
}

async fn run(
    state: Option<&std::path::Path>,
    secs: u64,
    clients: usize,
    firewalls: usize,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let mut cfg = SimConfig::panorama(firewalls).plain();
    if let Some(dir) = state {
        cfg = cfg.state_dir(dir);
    }
    let sim = Simulator::start(cfg).await?;
    let url = format!("{}/api/", sim.url());
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()?;
    let body = http
        .post(&url)
        .form(&[("type", "keygen"), ("user", "admin"), ("password", "admin")])
        .send()
        .await?
        .text()
        .await?;
    let key: Arc<str> = body
        .split("<key>")
        .nth(1)
        .and_then(|s| s.split("</key>").next())
        .ok_or("no key")?
        .into();
    let serials = sim.serials();
    // every firewall holds 2,000 addresses, so that whole-tree work (a list, a snapshot)
    // costs what it costs on a real estate
    let element: String = (0..2000)
        .map(|i| {
            format!(
                "<entry name='base-{i}'><ip-netmask>10.{}.{}.1/32</ip-netmask><description>load</description></entry>",
                i / 256,
                i % 256
            )
        })
        .collect();
    let xpath = format!("{VSYS}/address");
    for s in &serials {
        post(
            &http,
            &url,
            &key,
            &[
                ("type", "config"),
                ("action", "set"),
                ("target", s),
                ("xpath", &xpath),
                ("element", &element),
            ],
        )
        .await?;
    }
    let deadline = Instant::now() + Duration::from_secs(secs);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (http, url, key) = (http.clone(), url.clone(), key.clone());
        let serial = serials[c % serials.len()].clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Lat::default();
            let mut n = 0u64;
            let one = format!("{VSYS}/address/entry[@name='base-{}']", c % 2000);
            let list = format!("{VSYS}/address");
            while Instant::now() < deadline {
                let t = Instant::now();
                let write = match n % 10 {
                    0 | 5 => {
                        let name = format!("{VSYS}/address/entry[@name='load-{c}-{}']", n % 100);
                        let element =
                            format!("<ip-netmask>10.200.{}.{}/32</ip-netmask>", c % 256, n % 256);
                        post(
                            &http,
                            &url,
                            &key,
                            &[
                                ("type", "config"),
                                ("action", "set"),
                                ("target", &serial),
                                ("xpath", &name),
                                ("element", &element),
                            ],
                        )
                        .await?;
                        true
                    }
                    3 => {
                        post(
                            &http,
                            &url,
                            &key,
                            &[
                                ("type", "config"),
                                ("action", "get"),
                                ("target", &serial),
                                ("xpath", &list),
                            ],
                        )
                        .await?;
                        false
                    }
                    7 => {
                        post(
                            &http,
                            &url,
                            &key,
                            &[
                                ("type", "op"),
                                ("target", &serial),
                                ("cmd", "<show><system><info/></system></show>"),
                            ],
                        )
                        .await?;
                        false
                    }
                    _ => {
                        post(
                            &http,
                            &url,
                            &key,
                            &[
                                ("type", "config"),
                                ("action", "get"),
                                ("target", &serial),
                                ("xpath", &one),
                            ],
                        )
                        .await?;
                        false
                    }
                };
                let d = t.elapsed();
                if write {
                    lat.writes.push(d);
                } else {
                    lat.reads.push(d);
                }
                n += 1;
            }
            Ok::<Lat, Box<dyn std::error::Error + Send + Sync>>(lat)
        }));
    }
    let mut all = Lat::default();
    for t in tasks {
        let l = t.await??;
        all.reads.extend(l.reads);
        all.writes.extend(l.writes);
    }
    let secs = start.elapsed().as_secs_f64();
    let total = all.reads.len() + all.writes.len();
    println!(
        "{} clients, {firewalls} firewalls, state={}: {:.0} req/s ({} requests); reads p50 {:.1} ms p99 {:.1} ms; writes p50 {:.1} ms p99 {:.1} ms",
        clients,
        if state.is_some() { "on" } else { "off" },
        total as f64 / secs,
        total,
        pct(&mut all.reads, 0.5),
        pct(&mut all.reads, 0.99),
        pct(&mut all.writes, 0.5),
        pct(&mut all.writes, 0.99),
    );
    sim.shutdown().await;
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let mut args = std::env::args().skip(1);
    let secs: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(10);
    let clients: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(32);
    let firewalls: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(16);
    run(None, secs, clients, firewalls).await?;
    let dir = tempfile::tempdir()?;
    run(Some(dir.path()), secs, clients, firewalls).await?;
    Ok(())
}
