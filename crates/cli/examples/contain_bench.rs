//! Containment benchmark: panops vs pan-os-python, each on its own fresh simulator, in one run.
//!
//! Both sides contain N IOC addresses on their own Panorama device group: a tag, N addresses, an
//! address group holding them, one deny rule at the top of the pre-rulebase, and a commit that is
//! waited for. Requests are counted by the simulator itself (job polls apart).
//!
//! `cargo run --release -p panops-cli --example contain_bench -- [COUNT] [PYTHON] [ROUNDS]`
//! (defaults: 10000, target/venv/bin/python, 5). Each round gives each side its own fresh
//! simulator, alternating which goes first; both poll the commit job every 0.5 s (pan-os-python's
//! fixed interval), and both sides' end state is checked. Prints medians (overall and per
//! order) as a table and one JSON line with every round.

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

type Side = (f64, usize, usize);

/// A fresh simulator for one side: each client starts from the same factory Panorama, never
/// from the other's 10,000 objects and commit. The commit job takes 0.2 s for both.
async fn fresh_sim()
-> Result<(panops_sim::RunningSim, std::path::PathBuf), Box<dyn std::error::Error>> {
    let sim =
        Simulator::start(SimConfig::panorama(2).job_duration(Duration::from_millis(200))).await?;
    let ca = std::env::temp_dir().join(format!(
        "panops-bench-ca-{}-{}.pem",
        std::process::id(),
        sim.url().rsplit(':').next().unwrap_or_default()
    ));
    std::fs::write(&ca, sim.ca_pem().ok_or("no certificate")?)?;
    Ok((sim, ca))
}

/// What both sides must leave on the device: N tagged addresses in their device group, the
/// group, and the deny rule first in the pre-rulebase, all committed (running config).
fn check_end_state(
    handle: &SimHandle,
    dg: &str,
    n: usize,
) -> Result<(), Box<dyn std::error::Error>> {
    let base = format!(
        "/config/devices/entry[@name='localhost.localdomain']/device-group/entry[@name='{dg}']"
    );
    let addrs = handle
        .config_xml(None, true, &format!("{base}/address"))
        .ok_or_else(|| format!("{dg}: no addresses in the running config"))?;
    let count = addrs.matches("<ip-netmask>").count();
    if count != n {
        return Err(format!("{dg}: {count} addresses committed, expected {n}").into());
    }
    let group = handle
        .config_xml(
            None,
            true,
            &format!("{base}/address-group/entry[@name='ioc-bench-group']"),
        )
        .ok_or_else(|| format!("{dg}: no address group committed"))?;
    // static members only (the group's tag is a <member> too)
    let members = group
        .split("<static>")
        .nth(1)
        .and_then(|g| g.split("</static>").next())
        .unwrap_or("")
        .matches("<member>")
        .count();
    if members != n {
        return Err(format!(
            "{dg}: the group holds {members} of the {n} addresses: {}",
            &group[..group.len().min(300)]
        )
        .into());
    }
    let rules = handle
        .config_xml(None, true, &format!("{base}/pre-rulebase/security/rules"))
        .ok_or_else(|| format!("{dg}: no rules committed"))?;
    let first = rules.split("<entry name=\"").nth(1).unwrap_or("");
    if !first.starts_with("ioc-bench-deny") {
        return Err(format!("{dg}: the deny rule is not first").into());
    }
    Ok(())
}

async fn run_panops(n: usize) -> Result<Side, Box<dyn std::error::Error>> {
    let (sim, ca) = fresh_sim().await?;
    let handle = sim.handle();
    handle.clear_requests();
    let secs = panops_side(&sim.url(), &ca, n).await?;
    let (reqs, polls) = counts(&handle);
    check_end_state(&handle, "bench-rs", n)?;
    let _ = std::fs::remove_file(&ca);
    sim.shutdown().await;
    Ok((secs, reqs, polls))
}

async fn run_python(n: usize, python: &str) -> Result<Side, Box<dyn std::error::Error>> {
    let (sim, ca) = fresh_sim().await?;
    let handle = sim.handle();
    let url = sim.url();
    let port = url.rsplit(':').next().unwrap_or_default().to_string();
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
    let (reqs, polls) = counts(&handle);
    check_end_state(&handle, "bench-py", n)?;
    let py_json: serde_json::Value = serde_json::from_slice(&py.stdout)?;
    let secs = py_json["seconds"]
        .as_f64()
        .ok_or("no seconds from python")?;
    let _ = std::fs::remove_file(&ca);
    sim.shutdown().await;
    Ok((secs, reqs, polls))
}

/// One round, each side on its own fresh simulator; `python_first` alternates the order so a
/// warm machine favours neither side.
async fn round(
    n: usize,
    python: &str,
    python_first: bool,
) -> Result<(Side, Side), Box<dyn std::error::Error>> {
    if python_first {
        let py = run_python(n, python).await?;
        Ok((run_panops(n).await?, py))
    } else {
        let rs = run_panops(n).await?;
        Ok((rs, run_python(n, python).await?))
    }
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
    // Shared machines are noisy: several rounds, each side on a fresh simulator, the order
    // alternating, compared by medians (overall and per order, which must agree).
    let (mut rs, mut py) = (Vec::new(), Vec::new());
    let mut ratio_by_order: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
    let (mut rs_counts, mut py_counts) = ((0, 0), (0, 0));
    for r in 0..rounds.max(1) {
        let python_first = r % 2 == 1;
        let ((rs_secs, rs_reqs, rs_polls), (py_secs, py_reqs, py_polls)) =
            round(n, &python, python_first).await?;
        rs.push(rs_secs);
        py.push(py_secs);
        ratio_by_order[usize::from(python_first)].push(py_secs / rs_secs);
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
    let by_order: Vec<Option<f64>> = ratio_by_order
        .iter()
        .map(|v| (!v.is_empty()).then(|| median(v.clone())))
        .collect();
    println!(
        "ratio by order: panops first {}, pan-os-python first {} (both sides verified: {n} addresses, group, rule first, committed)",
        by_order[0].map_or("-".into(), |r| format!("{r:.1}x")),
        by_order[1].map_or("-".into(), |r| format!("{r:.1}x")),
    );
    println!(
        "{}",
        serde_json::json!({"count": n, "panops": {"requests": rs_reqs, "job_polls": rs_polls, "seconds": rs_secs},
            "pan_os_python": {"requests": py_reqs, "job_polls": py_polls, "seconds": py_secs},
            "speedup": py_secs / rs_secs, "speedup_by_order": {"panops_first": by_order[0], "pan_os_python_first": by_order[1]},
            "rounds": {"panops": rs, "pan_os_python": py}})
    );
    Ok(())
}
