//! Benchmark: requests/second for `show system info`, and the time of one `set` of
//! 1,000 (and 10,000) address entries, against an in-process simulator over HTTP.
//!
//! `cargo run -p panops-sim --example sim_bench [--release] -- [requests]`

use std::time::Instant;

use panops_sim::{SimConfig, Simulator};

const VSYS: &str = "/config/devices/entry[@name='localhost.localdomain']/vsys/entry[@name='vsys1']";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(2000);
    let sim = Simulator::start(SimConfig::firewall().plain()).await?;
    let url = format!("{}/api/", sim.url());
    let http = reqwest::Client::new();
    let body = http
        .post(&url)
        .form(&[("type", "keygen"), ("user", "admin"), ("password", "admin")])
        .send()
        .await?
        .text()
        .await?;
    let key = body
        .split("<key>")
        .nth(1)
        .and_then(|s| s.split("</key>").next())
        .ok_or("no key")?
        .to_string();

    for concurrency in [1usize, 8] {
        let start = Instant::now();
        let per = n / concurrency;
        let mut tasks = Vec::new();
        for _ in 0..concurrency {
            let (http, url, key) = (http.clone(), url.clone(), key.clone());
            tasks.push(tokio::spawn(async move {
                for _ in 0..per {
                    let r = http
                        .post(&url)
                        .header("X-PAN-KEY", &key)
                        .form(&[
                            ("type", "op"),
                            ("cmd", "<show><system><info/></system></show>"),
                        ])
                        .send()
                        .await?;
                    r.bytes().await?;
                }
                Ok::<(), reqwest::Error>(())
            }));
        }
        for t in tasks {
            t.await??;
        }
        let secs = start.elapsed().as_secs_f64();
        println!(
            "show system info: {} requests, concurrency {concurrency}: {:.0} req/s",
            per * concurrency,
            (per * concurrency) as f64 / secs
        );
    }

    for count in [1_000usize, 10_000] {
        let element: String = (0..count)
            .map(|i| {
                format!(
                    "<entry name='bench-{count}-{i}'><ip-netmask>10.{}.{}.{}/32</ip-netmask><description>bench</description></entry>",
                    i / 65536,
                    (i / 256) % 256,
                    i % 256
                )
            })
            .collect();
        let xpath = format!("{VSYS}/address");
        let start = Instant::now();
        let body = http
            .post(&url)
            .header("X-PAN-KEY", &key)
            .form(&[
                ("type", "config"),
                ("action", "set"),
                ("xpath", &xpath),
                ("element", &element),
            ])
            .send()
            .await?
            .text()
            .await?;
        let took = start.elapsed();
        if !body.contains("success") {
            return Err(format!("set failed: {body}").into());
        }
        let start = Instant::now();
        let got = http
            .post(&url)
            .header("X-PAN-KEY", &key)
            .form(&[
                ("type", "config"),
                ("action", "get"),
                (
                    "xpath",
                    &format!("{xpath}/entry[@name='bench-{count}-{}']", count - 1),
                ),
            ])
            .send()
            .await?
            .text()
            .await?;
        let lookup = start.elapsed();
        assert!(got.contains("code=\"19\""));
        println!(
            "one set of {count} address entries: {:.1} ms ({} KiB request); lookup of the last by name: {:.2} ms",
            took.as_secs_f64() * 1000.0,
            element.len() / 1024,
            lookup.as_secs_f64() * 1000.0
        );
    }
    sim.shutdown().await;
    Ok(())
}
