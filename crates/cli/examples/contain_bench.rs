//! Containment benchmark: panops vs pan-os-python against the same simulator, in one run.
//!
//! Both sides contain N IOC addresses on their own Panorama device group: a tag, N addresses, an
//! address group holding them, one deny rule at the top of the pre-rulebase, and a commit that is
//! waited for. Requests are counted by the simulator itself (job polls apart).
//!
//! `cargo run --release -p panops-cli --example contain_bench -- [COUNT] [PYTHON]`
//! (defaults: 10000, target/venv/bin/python). Prints a table and one JSON line.

use std::time::{Duration, Instant};

use panops_client::panos::{ClientConfig, PanosClient, WaitOptions};
use panops_panos::commit::Commit;
use panops_panos::config::{MultiConfig, Where};
use panops_panos::xpath::{Location, Rulebase, Xpath};
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
    let dg_root = "/config/devices/entry[@name='localhost.localdomain']/device-group";
    let loc = Location::device_group(dg);
    let base = Xpath::at(&loc)?;
    let rules = Xpath::new(loc.rulebase(Rulebase::Pre)?)?.child("security/rules");

    let mut batch = MultiConfig::new();
    batch.set(dg_root, &format!("<entry name=\"{dg}\"/>"))?;
    batch.set(
        base.clone().child("tag").as_str(),
        "<entry name=\"ioc-bench\"><color>color1</color></entry>",
    )?;
    let mut addresses = String::with_capacity(n * 110);
    let mut members = String::with_capacity(n * 30);
    for i in 0..n {
        addresses.push_str(&format!(
            "<entry name=\"ioc-{i}\"><ip-netmask>{}</ip-netmask><tag><member>ioc-bench</member></tag></entry>",
            address(i)
        ));
        members.push_str(&format!("<member>ioc-{i}</member>"));
    }
    batch.set(base.clone().child("address").as_str(), &addresses)?;
    batch.set(
        base.clone().child("address-group").as_str(),
        &format!("<entry name=\"ioc-bench-group\"><static>{members}</static><tag><member>ioc-bench</member></tag></entry>"),
    )?;
    batch.set(
        rules.as_str(),
        "<entry name=\"ioc-bench-deny\"><from><member>any</member></from><to><member>any</member></to>\
         <source><member>any</member></source><destination><member>ioc-bench-group</member></destination>\
         <application><member>any</member></application><service><member>any</member></service>\
         <action>deny</action></entry>",
    )?;
    batch.move_entry(rules.clone().entry("ioc-bench-deny").as_str(), &Where::Top)?;
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
    // Both clients poll the commit job every 0.5 s; the simulated commit takes 0.2 s.
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
    let py = tokio::process::Command::new(&python)
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

    println!(
        "containment of {n} IOC addresses (tag, addresses, group, rule at top, commit + wait)"
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
            "speedup": py_secs / rs_secs})
    );
    Ok(())
}
