//! `panops demo`: the main job end to end against an in-process simulator.
//!
//! It plays what a SOC engineer does during an incident: connect to Panorama, look around,
//! contain an indicator of compromise (tag, addresses, address group, a deny rule at the top of
//! a device group's pre-rulebase) in ONE request, commit, push to the firewalls, and check on a
//! managed firewall (through Panorama, `target=<serial>`) that the rule is really there.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use panops_client::panos::{ClientConfig, PanosClient};
use panops_panos::commit::{Commit, CommitAll};
use panops_panos::config::{MultiConfig, Where};
use panops_panos::xml::escape;
use panops_panos::xpath::{Location, Rulebase, Xpath};
use panops_panos::{JobResult, Secret};
use panops_sim::{SimConfig, Simulator};
use serde_json::Value;

use crate::output;
use crate::panos_cmd::{job_json, wait_with_progress};
use crate::xmljson::result_json;

const DEVICE_GROUP: &str = "branch-offices";
const TAG: &str = "ioc-2026-0142";
const GROUP: &str = "ioc-2026-0142-hosts";
const RULE: &str = "block-ioc-2026-0142";
const IOCS: [(&str, &str, &str); 4] = [
    ("ioc-198.51.100.23", "ip-netmask", "198.51.100.23/32"),
    ("ioc-203.0.113.0-24", "ip-netmask", "203.0.113.0/24"),
    ("ioc-192.0.2.10-20", "ip-range", "192.0.2.10-192.0.2.20"),
    ("ioc-c2.example.net", "fqdn", "c2.example.net"),
];

fn step(n: u32, text: &str) {
    println!("\n[{n}/8] {text}");
}

fn field(v: &Value, path: &[&str]) -> String {
    let mut cur = v;
    for p in path {
        cur = &cur[*p];
    }
    match cur {
        Value::String(s) => s.clone(),
        Value::Null => "-".into(),
        other => other.to_string(),
    }
}

/// Runs the demo; returns an error (exit 1) if any step fails.
pub async fn run() -> Result<()> {
    let started = Instant::now();
    println!("panops demo — contain an indicator of compromise through Panorama, end to end.");

    step(
        1,
        "Start a simulated Panorama with two managed firewalls (HTTPS, self-signed certificate)",
    );
    let sim = Simulator::start(SimConfig::panorama(2).job_duration(Duration::from_millis(1500)))
        .await
        .context("cannot start the simulator")?;
    let serials = sim.serials();
    println!(
        "      Panorama at {} managing {}",
        sim.url(),
        serials.join(", ")
    );
    // Trust exactly the simulator's certificate: verification stays on, as it should.
    let ca = sim
        .ca_pem()
        .context("the simulator did not publish its certificate")?;
    let ca_path = std::env::temp_dir().join(format!("panops-demo-ca-{}.pem", std::process::id()));
    std::fs::write(&ca_path, ca).context("cannot write the simulator's certificate")?;
    let url = sim.url();
    let host_port = url.trim_start_matches("https://").to_string();
    let (host, port) = host_port
        .rsplit_once(':')
        .context("unexpected simulator URL")?;
    let config = ClientConfig::builder(host.to_string())
        .port(port.parse().context("unexpected simulator port")?)
        .ca_bundle(ca_path.clone())
        .credentials("admin", Secret::new("admin"))
        .build()?;
    let pano = PanosClient::new(config)?;

    step(
        2,
        "Connect: generate an API key (POST keygen) and read system info",
    );
    pano.keygen().await?;
    let info = result_json(pano.op("show system info").await?.result());
    println!(
        "      {} — model {}, PAN-OS {}, serial {}",
        field(&info, &["system", "hostname"]),
        field(&info, &["system", "model"]),
        field(&info, &["system", "sw-version"]),
        field(&info, &["system", "serial"])
    );
    let devices = result_json(pano.op("show devices connected").await?.result());
    let entries = match &devices["devices"]["entry"] {
        Value::Array(a) => a.clone(),
        Value::Null => vec![],
        one => vec![one.clone()],
    };
    let rows: Vec<Value> = entries
        .iter()
        .map(|d| {
            serde_json::json!({
                "serial": field(d, &["serial"]),
                "hostname": field(d, &["hostname"]),
                "model": field(d, &["model"]),
                "sw-version": field(d, &["sw-version"]),
                "connected": field(d, &["connected"]),
            })
        })
        .collect();
    println!("{}", indent(&output::table(&Value::Array(rows))));

    step(
        3,
        &format!("Put both firewalls in device group '{DEVICE_GROUP}'"),
    );
    let dg_root = "/config/devices/entry[@name='localhost.localdomain']/device-group";
    let members: String = serials
        .iter()
        .map(|s| format!("<entry name=\"{}\"/>", escape(s)))
        .collect();
    pano.config_set(
        dg_root,
        &format!("<entry name=\"{DEVICE_GROUP}\"><devices>{members}</devices></entry>"),
    )
    .await?;
    println!("      done");

    step(
        4,
        "Contain the IOC in ONE multi-config request: tag, 4 addresses, address group, deny rule at the top",
    );
    let loc = Location::device_group(DEVICE_GROUP);
    let base = Xpath::at(&loc)?;
    let rules = Xpath::new(loc.rulebase(Rulebase::Pre)?)?.child("security/rules");
    let mut batch = MultiConfig::new();
    batch.set(
        base.clone().child("tag").as_str(),
        &format!("<entry name=\"{TAG}\"><color>color1</color><comments>incident 2026-0142</comments></entry>"),
    )?;
    let addresses: String = IOCS
        .iter()
        .map(|(name, kind, value)| {
            format!(
                "<entry name=\"{}\"><{kind}>{}</{kind}><tag><member>{TAG}</member></tag></entry>",
                escape(name),
                escape(value)
            )
        })
        .collect();
    batch.set(base.clone().child("address").as_str(), &addresses)?;
    let group_members: String = IOCS
        .iter()
        .map(|(name, _, _)| format!("<member>{}</member>", escape(name)))
        .collect();
    batch.set(
        base.clone().child("address-group").as_str(),
        &format!("<entry name=\"{GROUP}\"><static>{group_members}</static><tag><member>{TAG}</member></tag></entry>"),
    )?;
    batch.set(
        rules.as_str(),
        &format!(
            "<entry name=\"{RULE}\"><from><member>any</member></from><to><member>any</member></to>\
             <source><member>any</member></source><destination><member>{GROUP}</member></destination>\
             <source-user><member>any</member></source-user><category><member>any</member></category>\
             <application><member>any</member></application><service><member>application-default</member></service>\
             <action>deny</action><log-end>yes</log-end><tag><member>{TAG}</member></tag>\
             <description>Blocks hosts of incident 2026-0142</description></entry>"
        ),
    )?;
    batch.move_entry(rules.clone().entry(RULE).as_str(), &Where::Top)?;
    let resp = pano.multi_config(&batch, false).await?;
    println!(
        "      {} changes applied all-or-nothing in 1 request ({})",
        batch.len(),
        resp.messages().first().map(String::as_str).unwrap_or("ok")
    );

    step(5, "Commit on Panorama");
    let outcome = pano
        .commit(&Commit {
            description: Some("contain IOC 2026-0142".into()),
            ..Default::default()
        })
        .await?;
    let id = outcome
        .job_id()
        .context("Panorama reported nothing to commit")?;
    let job = wait_with_progress(&pano, id, "commit", Duration::from_secs(120)).await?;
    println!(
        "      job {} {} ({})",
        job.id,
        result_word(&job.result),
        job.details.join("; ")
    );
    if job.result != JobResult::Ok {
        bail!("the commit failed: {}", job.details.join("; "));
    }

    step(
        6,
        &format!("Push device group '{DEVICE_GROUP}' to its firewalls"),
    );
    let outcome = pano
        .commit_all(&CommitAll::device_group(DEVICE_GROUP))
        .await?;
    let id = outcome.job_id().context("Panorama created no push job")?;
    let job = wait_with_progress(&pano, id, "push", Duration::from_secs(120)).await?;
    let devs = job_json(&job)["devices"].clone();
    println!("      job {} {}", job.id, result_word(&job.result));
    println!("{}", indent(&output::table(&devs)));
    if job.result != JobResult::Ok {
        bail!("the push failed: {}", job.failure_summary());
    }

    let serial = serials
        .first()
        .context("the simulator manages no firewall")?;
    step(
        7,
        &format!("Verify on firewall {serial} through Panorama (target={serial})"),
    );
    let fw = pano.with_target(serial)?;
    let (rule, total) = find_rule_on_firewall(&fw).await?;
    println!("      {RULE} is rule 1 of {total} in the firewall's running security policy");

    step(8, "The resulting rule");
    println!("{}", indent(&output::table(&rule)));
    let _ = std::fs::remove_file(&ca_path);
    sim.shutdown().await;
    println!("\nDone in {:.1} s.", started.elapsed().as_secs_f64());
    Ok(())
}

/// Reads the firewall's running security policy and checks that the pushed rule is at the top.
/// A firewall evaluates Panorama pre-rules before its local rules; the simulator, like the merged
/// running configuration of a real firewall, shows them at the head of vsys1's rulebase.
async fn find_rule_on_firewall(fw: &PanosClient) -> Result<(Value, usize)> {
    let xpath = format!(
        "{}/security/rules",
        Location::vsys("vsys1").rulebase(Rulebase::Local)?
    );
    let resp = fw
        .config_show(&xpath)
        .await
        .context("cannot read the firewall's running security rules")?;
    let v = result_json(resp.result());
    let entries = match &v["rules"]["entry"] {
        Value::Array(a) => a.clone(),
        Value::Null => vec![],
        one => vec![one.clone()],
    };
    match entries.first() {
        Some(first) if first["@name"] == RULE => Ok((flatten_rule(first), entries.len())),
        Some(first) => bail!(
            "rule {RULE} is not at the top of the firewall's policy (the first rule is {})",
            first["@name"]
        ),
        None => bail!("rule {RULE} was not found on the firewall after the push"),
    }
}

fn flatten_rule(entry: &Value) -> Value {
    let mut out = serde_json::Map::new();
    if let Value::Object(map) = entry {
        for (k, v) in map {
            let key = k.trim_start_matches('@').to_string();
            if key == "admin" || key == "time" || key == "uuid" || key == "loc" {
                continue;
            }
            let flat = match v {
                Value::Object(inner) if inner.contains_key("member") => inner["member"].clone(),
                other => other.clone(),
            };
            out.insert(key, flat);
        }
    }
    Value::Object(out)
}

fn result_word(r: &JobResult) -> &'static str {
    match r {
        JobResult::Ok => "succeeded",
        JobResult::Fail => "FAILED",
        _ => "ended",
    }
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("      {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}
