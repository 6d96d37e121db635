//! Containment benchmark: panops vs pan-os-python against the same simulator, in one run.
//!
//! Both sides contain N IOC addresses on their own Panorama device group: a tag, N addresses, an
//! address group holding them, one deny rule at the top of the pre-rulebase, and a commit that is
//! waited for. Requests are counted by the simulator itself (job polls apart).
//!
//! `cargo run --release -p panops-cli --example contain_bench -- [COUNT] [PYTHON] [ROUNDS]`
//! (defaults: 10000, target/venv/bin/python, 5). Each round runs both sides on a fresh
//! simulator; prints medians as a table and one JSON line with every round.

// The same allocator as the `panops` binary, so the in-process simulator behaves as `panops sim`.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::time::{Duration, Instant};

use panops_client::panos::{ClientConfig, PanosClient, WaitOptions};
use panops_panos::catalog::{LocationArgs, Rulebase};
use panops_panos::commit::Commit;
use panops_panos::config::{MultiConfig, Where};
use panops_panos::objects::{Address, AddressGroup, AddressValue, SecurityRule, Tag, TypedObject};
use panops_panos::{JobResult, Secret};
use panops_sim::{SimConfig, SimHandle, Simulator};

fn counts(handle: &SimHandle) -> (usize, usize) {
    let reqs = handle.requests();
    let polls = reqs.iter().filter(|r| r.cmd.contains("<jobs>")).count();
    (reqs.len() - polls, polls)
}

fn address(i: usize) -> String {
    format!("198.{}.{}.{}", 18 + i / 65536, (i / 256) % 256, i % 256)
}

async fn panops_side(
    url: &str,
    ca: &std::path::Path,
    n: usize,
) -> Result<f64, Box<dyn std::error::Error>> {
    let start = Instant::now();
    let hp = url.trim_start_matches("https://");
    let (host, port) = hp.rsplit_once(':').ok_or("bad url")?;
    let client = PanosClient::new(
        ClientConfig::builder(host)
            .port(port.parse()?)
            .ca_bundle(ca)
            .credentials("admin", Secret::new("admin"))
            .build()?,
    )?;
    let dg = "bench-rs";
    // Everything goes through the object catalog (typed values, validated before sending) and
    // lands in ONE multi-config: the device group, the tag, N addresses as one `set`, the
    // group, the rule and its move to the top.
    let dg_root = "/config/devices/entry[@name='localhost.localdomain']/device-group";
    let at = LocationArgs::device_group(dg);
    let tags = client.typed::<Tag>(&at)?;
    let addresses = client.typed::<Address>(&at)?;
    let groups = client.typed::<AddressGroup>(&at)?;
    let rules = client.typed::<SecurityRule>(&at.clone().with_rulebase(Rulebase::Pre))?;

    let mut batch = MultiConfig::new();
    batch.set(dg_root, &format!("<entry name=\"{dg}\"/>"))?;
    let tag = Tag {
        color: Some("color1".into()),
        ..Tag::new("ioc-bench")
    };
    tags.dynamic().stage_set(&mut batch, &tag.to_value()?)?;
    let iocs = (0..n)
        .map(|i| {
            Address::new(format!("ioc-{i}"), AddressValue::IpNetmask(address(i)))
                .with_tag("ioc-bench")
                .to_value()
        })
        .collect::<Result<Vec<_>, _>>()?;
    addresses.dynamic().stage_set_many(&mut batch, &iocs)?;
    let mut group =
        AddressGroup::with_members("ioc-bench-group", (0..n).map(|i| format!("ioc-{i}")));
    group.tag = vec!["ioc-bench".into()];
    groups.dynamic().stage_set(&mut batch, &group.to_value()?)?;
    let mut rule = SecurityRule::new("ioc-bench-deny", "deny");
    rule.destination = vec!["ioc-bench-group".into()];
    rule.service = vec!["any".into()];
    rules.dynamic().stage_set(&mut batch, &rule.to_value()?)?;
    rules
        .dynamic()
        .stage_move(&mut batch, "ioc-bench-deny", &Where::Top)?;
    client.multi_config(&batch, false).await?;
    let job = client
        .commit_and_wait(
            &Commit {
                description: Some("bench".into()),
                ..Default::default()
            },
            WaitOptions::default().interval(Duration::from_millis(500)),
        )
        .await?
        .ok_or("nothing to commit")?;
    if job.result != JobResult::Ok {
        return Err(format!("commit failed: {:?}", job.details).into());
    }
    Ok(start.elapsed().as_secs_f64())
}

/// One round on a fresh simulator: (seconds, requests, job polls) for each side.
async fn round(
    n: usize,
    python: &str,
) -> Result<((f64, usize, usize), (f64, usize, usize)), Box<dyn std::error::Error>> {
    // Both clients wait for the commit job; the simulated commit takes 0.2 s.
    let sim =
        Simulator::start(SimConfig::panorama(2).job_duration(Duration::from_millis(200))).await?;
    let handle = sim.handle();
    let ca = std::env::temp_dir().join(format!("panops-bench-ca-{}.pem", std::process::id()));
    std::fs::write(&ca, sim.ca_pem().ok_or("no certificate")?)?;
    let url = sim.url();
    let port = url.rsplit(':').next().unwrap_or_default().to_string();

    handle.clear_requests();
    let rs_secs = panops_side(&url, &ca, n).await?;
    let (rs_reqs, rs_polls) = counts(&handle);

    handle.clear_requests();
    let py = tokio::process::Command::new(python)
        .args([
            "benches/contain_pan_os_python.py",
            "--host",
            "127.0.0.1",
            "--port",
            &port,
        ])
        .args(["--count", &n.to_string(), "--device-group", "bench-py"])
        .output()
        .await?;
    if !py.status.success() {
        return Err(format!(
            "pan-os-python side failed: {}",
            String::from_utf8_lossy(&py.stderr)
        )
        .into());
    }
    let (py_reqs, py_polls) = counts(&handle);
    let py_json: serde_json::Value = serde_json::from_slice(&py.stdout)?;
    let py_secs = py_json["seconds"]
        .as_f64()
        .ok_or("no seconds from python")?;
    let _ = std::fs::remove_file(&ca);
    sim.shutdown().await;
    Ok(((rs_secs, rs_reqs, rs_polls), (py_secs, py_reqs, py_polls)))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    if v.len() % 2 == 1 {
        v[mid]
    } else {
        (v[mid - 1] + v[mid]) / 2.0
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args
        .get(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(10_000);
    let python = args
        .get(2)
        .cloned()
        .unwrap_or_else(|| "target/venv/bin/python".into());
    let rounds: usize = args.get(3).map(|s| s.parse()).transpose()?.unwrap_or(5);
    // Shared machines are noisy: several rounds, each on a fresh simulator, compared by medians.
    let (mut rs, mut py) = (Vec::new(), Vec::new());
    let (mut rs_counts, mut py_counts) = ((0, 0), (0, 0));
    for _ in 0..rounds.max(1) {
        let ((rs_secs, rs_reqs, rs_polls), (py_secs, py_reqs, py_polls)) =
            round(n, &python).await?;
        rs.push(rs_secs);
        py.push(py_secs);
        rs_counts = (rs_reqs, rs_polls);
        py_counts = (py_reqs, py_polls);
    }
    let (rs_reqs, rs_polls) = rs_counts;
    let (py_reqs, py_polls) = py_counts;
    let (rs_secs, py_secs) = (median(rs.clone()), median(py.clone()));

    println!(
        "containment of {n} IOC addresses (tag, addresses, group, rule at top, commit + wait); median of {} rounds",
        rs.len()
    );
    println!(
        "{:<16} {:>9} {:>10} {:>10}",
        "client", "requests", "job polls", "seconds"
    );
    println!(
        "{:<16} {:>9} {:>10} {:>10.2}",
        "panops", rs_reqs, rs_polls, rs_secs
    );
    println!(
        "{:<16} {:>9} {:>10} {:>10.2}",
        "pan-os-python", py_reqs, py_polls, py_secs
    );
    println!("panops is {:.1}x faster end to end", py_secs / rs_secs);
    println!(
        "{}",
        serde_json::json!({"count": n, "panops": {"requests": rs_reqs, "job_polls": rs_polls, "seconds": rs_secs},
            "pan_os_python": {"requests": py_reqs, "job_polls": py_polls, "seconds": py_secs},
            "speedup": py_secs / rs_secs, "rounds": {"panops": rs, "pan_os_python": py}})
    );
    Ok(())
}
