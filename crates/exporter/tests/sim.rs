//! The exporter against the simulator: every collector with a read-only admin, Panorama
//! discovery through `target=`, faults that fail one collector only, reload.

use std::{path::Path, sync::Arc, time::Duration};

use panops_exporter::{
    cache::ErrorKind,
    collectors,
    server::{self, Exporter, Source},
};
use panops_sim::{AdminAccount, RunningSim, SimConfig, Simulator};

async fn sim(cfg: SimConfig) -> RunningSim {
    Simulator::start(
        cfg.plain()
            .listen("127.0.0.1:0")
            .admin(AdminAccount::read_only("monitor", "m0n-pw")),
    )
    .await
    .expect("simulator starts")
}

fn host_port(url: &str) -> (String, u16) {
    let hp = url.trim_start_matches("http://").trim_end_matches('/');
    let (h, p) = hp.rsplit_once(':').expect("host:port");
    (h.to_owned(), p.parse().expect("port"))
}

fn targets_yaml(
    dir: &Path,
    entries: &[(&str, &str, &RunningSim)],
    extra: &str,
) -> std::path::PathBuf {
    let pw = dir.join("pw");
    std::fs::write(&pw, "m0n-pw\n").unwrap();
    let mut y = String::from(
        "defaults: { fast_interval_secs: 1, slow_interval_secs: 2, discovery_interval_secs: 5 }\n",
    );
    y.push_str(extra);
    y.push_str("targets:\n");
    for (name, kind, s) in entries {
        let (h, p) = host_port(&s.url());
        y.push_str(&format!(
            "  - {{ name: {name}, kind: {kind}, host: {h}, port: {p}, protocol: http, username: monitor, password_file: {} }}\n",
            pw.display()
        ));
    }
    let path = dir.join("targets.yaml");
    std::fs::write(&path, y).unwrap();
    path
}

async fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    for _ in 0..200 {
        if f() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}

/// Wait until every collector of `key` ran at least once.
async fn collected(ex: &Arc<Exporter>, key: &str, n: usize) {
    wait_for(key, || {
        ex.cache().status(key).is_some_and(|s| {
            s.collectors.len() >= n && s.collectors.values().all(|c| c.last_attempt.is_some())
        })
    })
    .await;
}

#[tokio::test]
async fn every_firewall_collector_works_with_a_read_only_admin() {
    let fw = sim(SimConfig::firewall()).await;
    let dir = tempfile::tempdir().unwrap();
    let path = targets_yaml(dir.path(), &[("fw", "firewall", &fw)], "");
    let ex = Exporter::start(Source::File(path)).unwrap();
    let n = collectors::ALL
        .iter()
        .filter(|c| c.applies_to(false))
        .count();
    collected(&ex, "fw", n).await;
    let st = ex.cache().status("fw").unwrap();
    let failed: Vec<String> = st
        .collectors
        .iter()
        .filter(|(_, c)| !c.success)
        .map(|(n, c)| format!("{n}: {:?}", c.error))
        .collect();
    assert!(failed.is_empty(), "failed collectors: {failed:#?}");
    let text = ex.cache().render("fw").unwrap();
    for family in [
        "panos_system_info",
        "panos_mgmt_cpu_ratio",
        "panos_disk_used_ratio",
        "panos_dp_cpu_ratio",
        "panos_sessions_active",
        "panos_interface_up",
        "panos_interface_rx_bytes_total",
        "panos_ha_enabled",
        "panos_license_expiry_timestamp_seconds",
        "panos_certificate_not_after_timestamp_seconds",
        "panos_temperature_celsius",
        "panos_global_counter_total",
        "panos_bgp_peer_up",
        "panos_ipsec_tunnel_up",
        "panos_globalprotect_gateway_users",
        "panos_userid_agent_connected",
    ] {
        assert!(
            text.contains(&format!("\n{family}")),
            "{family} missing:\n{text}"
        );
    }
    // the key was generated once and sent in the header only
    let reqs = fw.handle().requests();
    assert_eq!(reqs.iter().filter(|r| r.req_type == "keygen").count(), 1);
    fw.shutdown().await;
}
