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

const M: u64 = 1024 * 1024;

#[tokio::test]
async fn downloads_are_jobs_that_fill_the_repository_partition() {
    let sim = start(SimConfig::firewall()).await;
    let c = Client::login(&sim, "admin", "admin").await;
    let h = sim.handle();
    // the repository at exactly 2400 MiB, so the download shows in whole megabytes
    h.monitor_control(
        &serde_json::json!({"disk": {"mount": "/opt/panrepo", "used_bytes": 2400 * M}}),
    )
    .unwrap();
    assert_eq!(row(&c.op(DISK).await, "/opt/panrepo").1, "2.4G");
    let info = "<request><system><software><info/></software></system></request>";
    let listed = |body: &str, v: &str| -> String {
        common::entries(body)
            .into_iter()
            .find(|e| e.contains(&format!("<version>{v}</version>")))
            .and_then(|e| common::text_of(&e, "downloaded"))
            .unwrap_or_default()
    };
    assert_eq!(listed(&c.op(info).await, "11.1.3"), "no");
    let body = c
        .op("<request><system><software><download><sync-to-peer>yes</sync-to-peer><version>11.1.3</version></download></software></system></request>")
        .await;
    let job = common::job_id(&body);
    let done = c.wait_job(&job, None).await;
    assert!(done.contains("<type>Downld</type>"), "{done}");
    assert!(done.contains("<result>OK</result>"), "{done}");
    // the job's lines as the API usage guide shows them
    assert!(
        done.contains("<line>Successfully loaded into software manager</line>"),
        "{done}"
    );
    // 512,870 KiB more in /opt/panrepo, listed as downloaded
    assert_eq!(row(&c.op(DISK).await, "/opt/panrepo").1, "2.9G");
    assert_eq!(listed(&c.op(info).await, "11.1.3"), "yes");
    assert_eq!(listed(&c.op(info).await, "11.1.1"), "no");
    // content: the newest release the last check listed; a week on, a new one is out
    h.advance_clock(Duration::from_secs(8 * 86_400));
    let check = "<request><content><upgrade><check/></upgrade></content></request>";
    let newest = |body: &str| {
        common::entries(body)
            .into_iter()
            .max_by_key(|e| common::text_of(e, "released-on"))
            .unwrap()
    };
    let before = newest(&c.op(check).await);
    assert_eq!(
        common::text_of(&before, "downloaded").as_deref(),
        Some("no")
    );
    let content = c
        .op("<request><content><upgrade><download><latest/><sync-to-peer>no</sync-to-peer></download></upgrade></content></request>")
        .await;
    c.wait_job(&common::job_id(&content), None).await;
    let after = newest(
        &c.op("<request><content><upgrade><info/></upgrade></content></request>")
            .await,
    );
    assert_eq!(
        common::text_of(&after, "version"),
        common::text_of(&before, "version")
    );
    assert_eq!(
        common::text_of(&after, "downloaded").as_deref(),
        Some("yes")
    );
    // a version the update server did not list, the running one, a bad sync-to-peer
    for cmd in [
        "<request><system><software><download><version>12.0.0</version></download></software></system></request>",
        "<request><system><software><download><version>11.1.2</version></download></software></system></request>",
        "<request><system><software><download><sync-to-peer>maybe</sync-to-peer><version>11.1.3</version></download></software></system></request>",
        "<request><system><software><download/></software></system></request>",
    ] {
        c.fails(&[("type", "op"), ("cmd", cmd)]).await;
    }
    sim.shutdown().await;
}
