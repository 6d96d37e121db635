//! `show system disk-space` follows state: logs fill /opt/panlogs, configuration
//! /opt/pancfg, and the control endpoint sets a partition's usage.

mod common;

use std::time::Duration;

use common::{Client, start};
use panops_sim::SimConfig;

const DISK: &str = "<show><system><disk-space/></system></show>";
const G: u64 = 1024 * 1024 * 1024;

/// (size, used, avail, use%) of `mount` in the df text of `body`.
fn row(body: &str, mount: &str) -> (String, String, String, String) {
    let text = body
        .split("<![CDATA[")
        .nth(1)
        .and_then(|s| s.split("]]>").next())
        .expect("CDATA text");
    assert!(text.starts_with("Filesystem      Size  Used Avail Use% Mounted on\n"));
    let line = text
        .lines()
        .find(|l| l.split_whitespace().last() == Some(mount))
        .unwrap_or_else(|| panic!("no {mount} in {text}"));
    let c: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(c.len(), 6, "{line}");
    (c[1].into(), c[2].into(), c[3].into(), c[4].into())
}

#[tokio::test]
async fn disk_space_follows_logs_config_and_control() {
    let sim = start(SimConfig::firewall()).await;
    let c = Client::login(&sim, "admin", "admin").await;
    let h = sim.handle();
    let body = c.op(DISK).await;
    for m in ["/", "/opt/pancfg", "/opt/panrepo", "/opt/panlogs"] {
        let (_, _, avail, pct) = row(&body, m);
        // pan-os-upgrade-assurance reads the unit letter off the Avail column
        assert!(avail.ends_with(['G', 'M', 'K']), "{m}: {avail}");
        assert!(pct.ends_with('%'));
    }
    // the log partition set to exactly 10 GiB; logs written afterwards add to it
    let set = |mount: &str, bytes: u64| {
        h.monitor_control(&serde_json::json!({"disk": {"mount": mount, "used_bytes": bytes}}))
            .unwrap();
    };
    set("/opt/panlogs", 10 * G);
    assert_eq!(row(&c.op(DISK).await, "/opt/panlogs").1, "10G");
    // five minutes of traffic: sessions end and are logged
    h.advance_clock(Duration::from_secs(300));
    let after = c.op(DISK).await;
    assert_eq!(row(&after, "/opt/panlogs").1, "11G", "{after}");
    // nearly full: usage is capped at what the filesystem gives (5% reserved), 100%
    set("/opt/panlogs", 39 * G);
    let (size, used, avail, pct) = row(&c.op(DISK).await, "/opt/panlogs");
    assert_eq!((size.as_str(), used.as_str()), ("40G", "38G"));
    assert_eq!((avail.as_str(), pct.as_str()), ("0", "100%"));
    // configuration lives in /opt/pancfg
    set("/opt/pancfg", 5 * G);
    assert_eq!(row(&c.op(DISK).await, "/opt/pancfg").1, "5.0G");
    c.set(
        "/config/devices/entry[@name='localhost.localdomain']/vsys/entry[@name='vsys1']/address",
        "<entry name='web'><ip-netmask>10.1.1.1/32</ip-netmask></entry>",
    )
    .await;
    assert_eq!(row(&c.op(DISK).await, "/opt/pancfg").1, "5.1G");
    // other partitions did not move
    assert_eq!(row(&c.op(DISK).await, "/"), row(&body, "/"));
    // bad control documents are refused
    let bad = h.monitor_control(&serde_json::json!({"disk": {"mount": "/nope", "used_bytes": 1}}));
    assert!(bad.unwrap_err().contains("no partition /nope"));
    let bad = h.monitor_control(
        &serde_json::json!({"disk": {"mount": "/opt/pancfg", "used_bytes": 100 * G}}),
    );
    assert!(bad.unwrap_err().contains("more than the size"));
    sim.shutdown().await;
}
