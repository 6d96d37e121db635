//! The exporter against the simulator: every collector with a read-only admin, Panorama
//! discovery through `target=`, faults that fail one collector only, the HTTP endpoints,
//! and the exposition checked by a real OpenMetrics parser.

use std::{path::Path, process::Command, sync::Arc, time::Duration};

use panops_exporter::{
    cache::ErrorKind,
    collectors,
    server::{self, Exporter, Source},
};
use panops_sim::{AdminAccount, RunningSim, SimConfig, Simulator};

const PASSWORD: &str = "m0n-pw-S3cret";

async fn sim(cfg: SimConfig) -> RunningSim {
    Simulator::start(
        cfg.plain()
            .listen("127.0.0.1:0")
            .admin(AdminAccount::read_only("monitor", PASSWORD)),
    )
    .await
    .expect("simulator starts")
}

fn host_port(url: &str) -> (String, u16) {
    let hp = url.trim_start_matches("http://").trim_end_matches('/');
    let (h, p) = hp.rsplit_once(':').expect("host:port");
    (h.to_owned(), p.parse().expect("port"))
}

/// A targets file: `(name, kind, host, port, credentials)` entries.
fn write_targets(
    dir: &Path,
    entries: &[(&str, &str, String, u16, String)],
    extra: &str,
) -> std::path::PathBuf {
    let mut y = String::from(
        "defaults: { fast_interval_secs: 1, slow_interval_secs: 2, discovery_interval_secs: 1, max_reply_bytes: 1048576 }\n",
    );
    y.push_str(extra);
    y.push_str("targets:\n");
    for (name, kind, h, p, creds) in entries {
        y.push_str(&format!(
            "  - {{ name: {name}, kind: {kind}, host: {h}, port: {p}, protocol: http, {creds} }}\n"
        ));
    }
    let path = dir.join("targets.yaml");
    std::fs::write(&path, y).unwrap();
    path
}

fn password_creds(dir: &Path) -> String {
    let pw = dir.join("pw");
    std::fs::write(&pw, format!("{PASSWORD}\n")).unwrap();
    format!("username: monitor, password_file: {}", pw.display())
}

fn entry(
    name: &str,
    kind: &str,
    s: &RunningSim,
    creds: &str,
) -> (String, String, String, u16, String) {
    let (h, p) = host_port(&s.url());
    (name.into(), kind.into(), h, p, creds.into())
}

fn entries(v: &[(String, String, String, u16, String)]) -> Vec<(&str, &str, String, u16, String)> {
    v.iter()
        .map(|(a, b, h, p, c)| (a.as_str(), b.as_str(), h.clone(), *p, c.clone()))
        .collect()
}

async fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    for _ in 0..300 {
        if f() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}

/// Wait until `n` collectors of `key` ran at least once.
async fn collected(ex: &Arc<Exporter>, key: &str, n: usize) {
    wait_for(key, || {
        ex.cache().status(key).is_some_and(|s| {
            s.collectors.len() >= n && s.collectors.values().all(|c| c.last_attempt.is_some())
        })
    })
    .await;
}

fn firewall_collectors() -> usize {
    collectors::ALL
        .iter()
        .filter(|c| c.applies_to(false))
        .count()
}

/// Check the exposition with the Prometheus project's Python OpenMetrics parser.
fn check_with_parser(text: &str) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let candidates = [
        std::env::var("PANOPS_PYTHON").ok(),
        Some(root.join("target/venv/bin/python").display().to_string()),
        Some("python3".to_owned()),
    ];
    let script = "import sys\nfrom prometheus_client.openmetrics.parser import text_string_to_metric_families as p\nfams = list(p(sys.stdin.read()))\nprint(len(fams), sum(len(f.samples) for f in fams))\n";
    for py in candidates.into_iter().flatten() {
        let probe = Command::new(&py)
            .args(["-c", "import prometheus_client"])
            .output();
        if !probe.is_ok_and(|o| o.status.success()) {
            continue;
        }
        let mut child = Command::new(&py)
            .args(["-c", script])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("python runs");
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "the OpenMetrics parser rejected the exposition: {}\n{text}",
            String::from_utf8_lossy(&out.stderr)
        );
        let counts = String::from_utf8_lossy(&out.stdout);
        let samples: usize = counts
            .split_whitespace()
            .nth(1)
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        assert!(samples > 10, "parser saw {counts}");
        return;
    }
    if std::env::var("PANOPS_CI").as_deref() == Ok("1") {
        panic!(
            "PANOPS_CI=1 but no Python with prometheus_client (pip install -r tests/python/requirements.txt)"
        );
    }
    eprintln!("note: no Python with prometheus_client found; exposition not checked by the parser");
}

async fn serve(ex: Arc<Exporter>) -> String {
    let (listener, addr) = server::bind("127.0.0.1:0").await.unwrap();
    tokio::spawn(server::serve(ex, listener));
    format!("http://{addr}")
}

#[tokio::test]
async fn every_firewall_collector_works_with_a_read_only_admin() {
    let fw = sim(SimConfig::firewall()).await;
    let dir = tempfile::tempdir().unwrap();
    let creds = password_creds(dir.path());
    let path = write_targets(
        dir.path(),
        &entries(&[entry("fw", "firewall", &fw, &creds)]),
        "",
    );
    let ex = Exporter::start(Source::File(path)).unwrap();
    collected(&ex, "fw", firewall_collectors()).await;
    let st = ex.cache().status("fw").unwrap();
    let failed: Vec<String> = st
        .collectors
        .iter()
        .filter(|(_, c)| !c.success)
        .map(|(n, c)| format!("{n}: {:?}", c.error))
        .collect();
    assert!(failed.is_empty(), "failed collectors: {failed:#?}");
    let text = ex.cache().render_string("fw").unwrap();
    for family in [
        "panos_system_info",
        "panos_content_release_timestamp_seconds",
        "panos_mgmt_cpu_ratio",
        "panos_mgmt_memory_bytes",
        "panos_disk_used_ratio",
        "panos_dp_cpu_ratio",
        "panos_dp_resource_utilization_ratio",
        "panos_sessions_active",
        "panos_session_table_utilization_ratio",
        "panos_interface_up",
        "panos_interface_rx_bytes_total",
        "panos_ha_enabled",
        "panos_license_expiry_timestamp_seconds",
        "panos_certificate_not_after_timestamp_seconds",
        "panos_temperature_celsius",
        "panos_fan_rpm",
        "panos_power_supply_present",
        "panos_global_counter_total",
        "panos_bgp_peer_up",
        "panos_bgp_peer_flaps_total",
        "panos_ipsec_tunnel_up",
        "panos_globalprotect_gateway_users",
        "panos_userid_agent_connected",
        "panos_userid_mappings",
        "panos_collector_last_success_timestamp_seconds",
    ] {
        assert!(
            text.contains(&format!("\n{family}")),
            "{family} missing:\n{text}"
        );
    }
    check_with_parser(&text);
    // one keygen for the whole run, then the cached key
    let reqs = fw.handle().requests();
    assert_eq!(reqs.iter().filter(|r| r.req_type == "keygen").count(), 1);
    // at most one request in flight per firewall: each collector ran once per cycle
    let ops = reqs.iter().filter(|r| r.req_type == "op").count();
    assert!(ops >= firewall_collectors(), "{ops}");
    fw.shutdown().await;
}

#[tokio::test]
async fn counters_only_grow_between_collections() {
    let fw = sim(SimConfig::firewall()).await;
    let dir = tempfile::tempdir().unwrap();
    let creds = password_creds(dir.path());
    let path = write_targets(
        dir.path(),
        &entries(&[entry("fw", "firewall", &fw, &creds)]),
        "",
    );
    let ex = Exporter::start(Source::File(path)).unwrap();
    collected(&ex, "fw", firewall_collectors()).await;
    let value = |ex: &Arc<Exporter>| {
        let st = ex.cache().status("fw").unwrap();
        let c = &st.collectors["global_counters"];
        (
            c.last_success,
            c.families
                .value("panos_global_counter", &[("name", "pkt_recv")]),
        )
    };
    let (t1, v1) = value(&ex);
    let v1 = v1.expect("pkt_recv exported by the default allow-list");
    wait_for("a second collection", || value(&ex).0 != t1).await;
    fw.handle().advance_clock(Duration::from_secs(30));
    let t2 = value(&ex).0;
    wait_for("a third collection", || value(&ex).0 != t2).await;
    let v3 = value(&ex).1.unwrap();
    assert!(v3 >= v1, "{v3} < {v1}");
    fw.shutdown().await;
}

#[tokio::test]
async fn panorama_discovers_firewalls_and_notices_one_leaving() {
    let pano = sim(SimConfig::panorama(3)).await;
    let serials = pano.serials();
    let dir = tempfile::tempdir().unwrap();
    let creds = password_creds(dir.path());
    let path = write_targets(
        dir.path(),
        &entries(&[entry("pano", "panorama", &pano, &creds)]),
        "",
    );
    let ex = Exporter::start(Source::File(path)).unwrap();
    for s in &serials {
        collected(&ex, s, firewall_collectors()).await;
        let st = ex.cache().status(s).unwrap();
        assert!(
            st.collectors.values().all(|c| c.success),
            "{s}: {:?}",
            st.collectors
        );
    }
    collected(&ex, "pano", 3).await;
    let text = ex.cache().render_string("pano").unwrap();
    assert!(text.contains("panos_panorama_device_connected"), "{text}");
    // the firewall data came through Panorama with target=<serial>
    let reqs = pano.handle().requests();
    for s in &serials {
        assert!(
            reqs.iter().any(|r| r.target == *s && r.req_type == "op"),
            "{s}"
        );
    }
    assert_eq!(
        reqs.iter().filter(|r| r.req_type == "keygen").count(),
        1,
        "one credential for the estate"
    );
    let fw_text = ex.cache().render_string(&serials[0]).unwrap();
    assert!(fw_text.contains("panorama=\"pano\""), "{fw_text}");

    pano.handle().set_connected(&serials[1], false).unwrap();
    wait_for("the firewall to be marked gone", || {
        ex.cache()
            .status(&serials[1])
            .is_some_and(|s| s.gone.is_some())
    })
    .await;
    let gone = ex.cache().render_string(&serials[1]).unwrap();
    assert!(gone.contains("panos_up{panorama=\"pano\"} 0"), "{gone}");
    assert!(gone.contains("kind=\"gone\""), "{gone}");
    // the others keep going
    let before = ex.cache().status(&serials[0]).unwrap().collectors["sessions"].last_attempt;
    wait_for("the others to go on", || {
        ex.cache().status(&serials[0]).unwrap().collectors["sessions"].last_attempt != before
    })
    .await;
    pano.shutdown().await;
}

#[tokio::test]
async fn one_failing_command_fails_only_its_collector() {
    let fw = sim(SimConfig::firewall()).await;
    let h = fw.handle();
    h.fail_op("show vpn flow", "error").unwrap();
    h.fail_op("show session info", "garbage").unwrap();
    h.fail_op("show system environmentals", "huge").unwrap();
    h.fail_op("show user user-id-agent", "denied").unwrap();
    h.monitor_control(&serde_json::json!({"op_fault": {"command": "show high-availability", "kind": "slow", "ms": 1500}}))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let creds = password_creds(dir.path());
    let path = write_targets(
        dir.path(),
        &entries(&[entry("fw", "firewall", &fw, &creds)]),
        "",
    );
    let ex = Exporter::start(Source::File(path)).unwrap();
    let url = serve(Arc::clone(&ex)).await;
    let http = reqwest::Client::new();
    // while the slow command is in flight, a scrape answers from the cache at once
    tokio::time::sleep(Duration::from_millis(300)).await;
    let t0 = std::time::Instant::now();
    let r = http
        .get(format!("{url}/probe?target=fw"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        t0.elapsed() < Duration::from_millis(500),
        "{:?}",
        t0.elapsed()
    );
    collected(&ex, "fw", firewall_collectors()).await;
    let st = ex.cache().status("fw").unwrap();
    let kind = |n: &str| st.collectors[n].error.as_ref().map(|e| e.kind);
    assert_eq!(kind("ipsec"), Some(ErrorKind::Api));
    assert_eq!(kind("sessions"), Some(ErrorKind::Shape));
    assert_eq!(kind("environment"), Some(ErrorKind::TooLarge));
    assert_eq!(kind("userid"), Some(ErrorKind::Permission));
    assert_eq!(kind("ha"), None, "slow is not failed");
    for (n, c) in &st.collectors {
        if !["ipsec", "sessions", "environment", "userid"].contains(n) {
            assert!(c.success, "{n} failed: {:?}", c.error);
        }
    }
    let text = http
        .get(format!("{url}/probe?target=fw"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains("panos_collector_success{collector=\"sessions\"} 0"),
        "{text}"
    );
    assert!(
        text.contains("panos_collector_error{collector=\"environment\",kind=\"too_large\"} 1"),
        "{text}"
    );
    assert!(text.contains("\npanos_up 1"), "{text}");
    check_with_parser(&text);
    let page = http
        .get(format!("{url}/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("injected failure"), "{page}");
    assert!(page.contains("too_large"), "{page}");
    // the faults lifted, the collectors recover
    h.clear_op_faults();
    wait_for("recovery", || {
        ex.cache()
            .status("fw")
            .unwrap()
            .collectors
            .values()
            .all(|c| c.success)
    })
    .await;
    fw.shutdown().await;
}

#[tokio::test]
async fn unreachable_and_wrong_key_targets_do_not_stall_others() {
    let fw = sim(SimConfig::firewall()).await;
    let dir = tempfile::tempdir().unwrap();
    let creds = password_creds(dir.path());
    let bad_key = dir.path().join("bad.key");
    std::fs::write(&bad_key, "LUFRPT-wrong-key-value").unwrap();
    // a port nobody listens on
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_port = closed.local_addr().unwrap().port();
    drop(closed);
    let (h, p) = host_port(&fw.url());
    let list = vec![
        entry("fw", "firewall", &fw, &creds),
        (
            "dead".into(),
            "firewall".into(),
            "127.0.0.1".into(),
            dead_port,
            creds.clone(),
        ),
        (
            "badkey".into(),
            "firewall".into(),
            h,
            p,
            format!("api_key_file: {}", bad_key.display()),
        ),
    ];
    let path = write_targets(dir.path(), &entries(&list), "");
    let ex = Exporter::start(Source::File(path)).unwrap();
    collected(&ex, "fw", firewall_collectors()).await;
    wait_for("dead to fail", || {
        ex.cache()
            .status("dead")
            .is_some_and(|s| !s.collectors.is_empty())
    })
    .await;
    wait_for("badkey to fail", || {
        ex.cache()
            .status("badkey")
            .is_some_and(|s| !s.collectors.is_empty())
    })
    .await;
    let dead = ex.cache().status("dead").unwrap();
    let e = dead
        .collectors
        .values()
        .find_map(|c| c.error.clone())
        .unwrap();
    assert_eq!(e.kind, ErrorKind::Unreachable, "{e:?}");
    // backoff: the dead target is not hammered; it tried one collector, not all of them
    assert!(dead.collectors.len() < 3, "{:?}", dead.collectors.keys());
    let bad = ex.cache().status("badkey").unwrap();
    let e = bad
        .collectors
        .values()
        .find_map(|c| c.error.clone())
        .unwrap();
    assert_eq!(e.kind, ErrorKind::Auth, "{e:?}");
    assert!(
        ex.cache()
            .status("fw")
            .unwrap()
            .collectors
            .values()
            .all(|c| c.success)
    );
    // a firewall that goes away: panos_up drops, its other collectors show the backoff
    let fw2 = sim(SimConfig::firewall()).await;
    let (h2, p2) = host_port(&fw2.url());
    let mut list2 = list.clone();
    list2.push(("fw2".into(), "firewall".into(), h2, p2, creds.clone()));
    write_targets(dir.path(), &entries(&list2), "");
    ex.reload().unwrap();
    collected(&ex, "fw2", firewall_collectors()).await;
    assert!(
        ex.cache()
            .render_string("fw2")
            .unwrap()
            .contains("\npanos_up 1")
    );
    fw2.shutdown().await;
    wait_for("fw2 to be seen down", || {
        ex.cache()
            .render_string("fw2")
            .is_some_and(|t| t.contains("\npanos_up 0"))
    })
    .await;
    let st = ex.cache().status("fw2").unwrap();
    assert!(st.collectors.values().all(|c| !c.success));
    assert!(st.collectors.values().any(|c| {
        c.error
            .as_ref()
            .is_some_and(|e| e.kind == ErrorKind::Backoff)
    }));
    assert!(
        st.collectors.values().all(|c| c.last_success.is_some()),
        "old data and its age are kept"
    );
    let url = serve(Arc::clone(&ex)).await;
    let http = reqwest::Client::new();
    let page = http
        .get(format!("{url}/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for secret in [PASSWORD, "LUFRPT-wrong-key-value"] {
        assert!(!page.contains(secret), "secret on the page");
    }
    for t in ["fw", "dead", "badkey"] {
        let text = http
            .get(format!("{url}/probe?target={t}"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!text.contains(PASSWORD) && !text.contains("wrong-key"));
        assert!(text.contains("panos_up"), "{t}: {text}");
    }
    let own = http
        .get(format!("{url}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        own.contains("panops_exporter_api_errors_total{target=\"dead\""),
        "{own}"
    );
    fw.shutdown().await;
}

#[tokio::test]
async fn http_endpoints_and_reload() {
    let fw = sim(SimConfig::firewall()).await;
    let dir = tempfile::tempdir().unwrap();
    let creds = password_creds(dir.path());
    let one = entries(&[entry("fw", "firewall", &fw, &creds)])
        .into_iter()
        .map(|(a, b, h, p, c)| (a.to_owned(), b.to_owned(), h, p, c))
        .collect::<Vec<_>>();
    let path = write_targets(dir.path(), &entries(&one), "");
    let ex = Exporter::start(Source::File(path.clone())).unwrap();
    let url = serve(Arc::clone(&ex)).await;
    let http = reqwest::Client::new();
    let get = |p: &str| {
        let http = http.clone();
        let u = format!("{url}{p}");
        async move {
            let r = http.get(u).send().await.unwrap();
            let s = r.status().as_u16();
            let ct = r
                .headers()
                .get("content-type")
                .map(|v| v.to_str().unwrap_or("").to_owned())
                .unwrap_or_default();
            (s, ct, r.text().await.unwrap())
        }
    };
    assert_eq!(get("/-/healthy").await.0, 200);
    collected(&ex, "fw", firewall_collectors()).await;
    assert_eq!(get("/-/ready").await.0, 200);
    let (s, ct, body) = get("/probe?target=fw").await;
    assert_eq!(s, 200);
    assert!(ct.starts_with("application/openmetrics-text"), "{ct}");
    assert!(body.ends_with("# EOF\n"));
    let (s, _, body) = get("/probe").await;
    assert_eq!(s, 400, "{body}");
    assert!(body.contains("target"), "{body}");
    let (s, _, body) = get("/probe?target=nope").await;
    assert_eq!(s, 404);
    assert!(body.contains("known: fw"), "{body}");
    let (s, _, own) = get("/metrics").await;
    assert_eq!(s, 200);
    assert!(
        own.contains("panops_exporter_api_requests_total{target=\"fw\",collector=\"system\"}"),
        "{own}"
    );
    assert!(own.contains("process_resident_memory_bytes"), "{own}");
    check_with_parser(&own);
    let (_, ct, page) = get("/").await;
    assert!(
        ct.starts_with("text/html") && page.contains("/probe?target=fw"),
        "{page}"
    );

    // reload: a broken file keeps the running targets, a good one adds a target
    std::fs::write(&path, "targets: [{name: x}]").unwrap();
    let r = http.post(format!("{url}/-/reload")).send().await.unwrap();
    assert_eq!(r.status(), 500);
    assert!(r.text().await.unwrap().contains("running targets kept"));
    assert_eq!(get("/probe?target=fw").await.0, 200);
    let mut two = one.clone();
    two.push((
        "fw2".into(),
        "firewall".into(),
        one[0].2.clone(),
        one[0].3,
        creds.clone(),
    ));
    write_targets(dir.path(), &entries(&two), "");
    let r = http.post(format!("{url}/-/reload")).send().await.unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    collected(&ex, "fw2", firewall_collectors()).await;
    assert_eq!(get("/probe?target=fw2").await.0, 200);
    fw.shutdown().await;
}

#[test]
fn alert_rules_pass_promtool() {
    let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../contrib/prometheus/alerts.yml");
    assert!(rules.is_file(), "{} missing", rules.display());
    let text = std::fs::read_to_string(&rules).unwrap();
    for name in [
        "PanosTargetDown",
        "PanosCollectorStale",
        "PanosCertificateExpiring",
        "PanosLicenseExpiring",
        "PanosHaNotSynced",
        "PanosHaPeerDown",
        "PanosSessionTableHigh",
        "PanosDataplaneCpuHigh",
        "PanosDiskFull",
    ] {
        assert!(text.contains(name), "{name} missing");
    }
    match Command::new("promtool")
        .arg("check")
        .arg("rules")
        .arg(&rules)
        .output()
    {
        Ok(o) => assert!(
            o.status.success(),
            "promtool: {}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
        Err(_) if std::env::var("PANOPS_CI").as_deref() == Ok("1") => {
            panic!("PANOPS_CI=1 but promtool is missing (Debian package prometheus)")
        }
        Err(_) => eprintln!("note: promtool not found; alert rules not checked"),
    }
}

#[test]
fn grafana_dashboard_is_json_over_exported_metrics() {
    let p =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../contrib/grafana/panops-exporter.json");
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
    let panels = v["panels"].as_array().expect("panels");
    assert!(panels.len() >= 6);
    for panel in panels {
        for t in panel["targets"].as_array().into_iter().flatten() {
            let expr = t["expr"].as_str().unwrap_or("");
            assert!(expr.contains("panos_"), "{expr}");
        }
    }
}

#[tokio::test]
async fn reload_stops_the_old_collection_tasks() {
    let pano = sim(SimConfig::panorama(2)).await;
    let serials = pano.serials();
    let dir = tempfile::tempdir().unwrap();
    let creds = password_creds(dir.path());
    let path = write_targets(
        dir.path(),
        &entries(&[entry("pano", "panorama", &pano, &creds)]),
        "",
    );
    let ex = Exporter::start(Source::File(path)).unwrap();
    for s in &serials {
        collected(&ex, s, firewall_collectors()).await;
    }
    for _ in 0..3 {
        ex.reload().unwrap();
    }
    for s in &serials {
        collected(&ex, s, firewall_collectors()).await;
    }
    // settle, then count: one set of loops collects every collector about once a second
    tokio::time::sleep(Duration::from_millis(1500)).await;
    pano.handle().clear_requests();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let reqs = pano.handle().requests();
    let sessions = reqs
        .iter()
        .filter(|r| r.target == serials[0] && r.cmd.contains("<session><info/>"))
        .count();
    assert!(
        (2..=4).contains(&sessions),
        "{sessions} session requests in 3 s at a 1 s interval"
    );
    pano.shutdown().await;
}

/// An admin session on the simulator for changes the read-only monitor cannot make.
struct Admin {
    http: reqwest::Client,
    url: String,
    key: String,
}

impl Admin {
    async fn login(s: &RunningSim) -> Admin {
        let http = reqwest::Client::new();
        let url = format!("{}/api/", s.url().trim_end_matches('/'));
        let body = http
            .post(&url)
            .form(&[("type", "keygen"), ("user", "admin"), ("password", "admin")])
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let key = body
            .split("<key>")
            .nth(1)
            .and_then(|k| k.split("</key>").next())
            .unwrap_or_else(|| panic!("no key: {body}"))
            .to_owned();
        Admin { http, url, key }
    }

    async fn call(&self, params: &[(&str, &str)]) -> String {
        let mut p = params.to_vec();
        p.push(("key", &self.key));
        let body = self
            .http
            .post(&self.url)
            .form(&p)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(body.contains("status=\"success\""), "{params:?}: {body}");
        body
    }

    /// Run a commit or commit-all and wait for its job.
    async fn job(&self, params: &[(&str, &str)]) {
        let body = self.call(params).await;
        let id = body
            .split("<job>")
            .nth(1)
            .and_then(|k| k.split("</job>").next())
            .unwrap_or_else(|| panic!("no job: {body}"))
            .to_owned();
        let cmd = format!("<show><jobs><id>{id}</id></jobs></show>");
        for _ in 0..200 {
            let j = self.call(&[("type", "op"), ("cmd", &cmd)]).await;
            if j.contains("<status>FIN</status>") {
                assert!(j.contains("<result>OK</result>"), "{j}");
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("job {id} did not finish");
    }
}

#[tokio::test]
async fn panorama_sync_metrics_flip_with_commit_and_push() {
    const LH: &str = "/config/devices/entry[@name='localhost.localdomain']";
    // the monitor reads; a superuser changes and pushes
    let pano = sim(SimConfig::panorama(2).admin(AdminAccount::new("admin", "admin"))).await;
    let serials = pano.serials();
    let (a, b) = (serials[0].clone(), serials[1].clone());
    let members = format!("<devices><entry name='{a}'/><entry name='{b}'/></devices>");
    let h = pano.handle();
    h.seed_config(
        None,
        &format!("{LH}/device-group"),
        &format!("<entry name='branch'>{members}</entry>"),
    )
    .unwrap();
    h.seed_config(None, &format!("{LH}/template"), "<entry name='T1'><config><devices><entry name='localhost.localdomain'><deviceconfig><system><login-banner>v1</login-banner></system></deviceconfig></entry></devices></config></entry>").unwrap();
    h.seed_config(
        None,
        &format!("{LH}/template-stack"),
        &format!("<entry name='S1'><templates><member>T1</member></templates>{members}</entry>"),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let creds = password_creds(dir.path());
    let path = write_targets(
        dir.path(),
        &entries(&[entry("pano", "panorama", &pano, &creds)]),
        "",
    );
    let ex = Exporter::start(Source::File(path)).unwrap();
    let dg = |ex: &Arc<Exporter>, s: &str| {
        let t = ex.cache().render_string("pano").unwrap_or_default();
        let want = format!(
            "panos_panorama_device_group_in_sync{{device_group=\"branch\",serial=\"{s}\"}} "
        );
        t.lines()
            .find_map(|l| l.strip_prefix(want.as_str()))
            .and_then(|v| v.parse::<f64>().ok())
            .map(|v| (v as i64).to_string())
    };
    let tpl = |ex: &Arc<Exporter>, t: &str, s: &str| {
        let text = ex.cache().render_string("pano").unwrap_or_default();
        let want = format!("panos_panorama_template_in_sync{{template=\"{t}\",serial=\"{s}\"}} ");
        text.lines()
            .find_map(|l| l.strip_prefix(want.as_str()))
            .and_then(|v| v.parse::<f64>().ok())
            .map(|v| (v as i64).to_string())
    };
    wait_for("never-pushed firewalls out of sync", || {
        dg(&ex, &a).as_deref() == Some("0")
            && dg(&ex, &b).as_deref() == Some("0")
            && tpl(&ex, "S1", &a).as_deref() == Some("0")
    })
    .await;
    let admin = Admin::login(&pano).await;
    admin
        .job(&[("type", "commit"), ("action", "all"), ("cmd", "<commit-all><shared-policy><device-group><entry name='branch'/></device-group></shared-policy></commit-all>")])
        .await;
    wait_for("the pushed device group in sync", || {
        dg(&ex, &a).as_deref() == Some("1") && dg(&ex, &b).as_deref() == Some("1")
    })
    .await;
    assert_eq!(
        tpl(&ex, "S1", &a).as_deref(),
        Some("0"),
        "templates not pushed"
    );
    // a change committed on Panorama: out of sync until pushed again
    admin
        .call(&[
            ("type", "config"),
            ("action", "set"),
            (
                "xpath",
                &format!("{LH}/device-group/entry[@name='branch']/address"),
            ),
            (
                "element",
                "<entry name='web'><ip-netmask>192.0.2.80</ip-netmask></entry>",
            ),
        ])
        .await;
    admin.job(&[("type", "commit"), ("cmd", "<commit/>")]).await;
    wait_for("the changed device group out of sync", || {
        dg(&ex, &a).as_deref() == Some("0")
    })
    .await;
    admin
        .job(&[
            ("type", "commit"),
            ("action", "all"),
            (
                "cmd",
                "<commit-all><template-stack><name>S1</name></template-stack></commit-all>",
            ),
        ])
        .await;
    wait_for("the pushed stack in sync", || {
        ["S1", "T1"].iter().all(|t| {
            tpl(&ex, t, &a).as_deref() == Some("1") && tpl(&ex, t, &b).as_deref() == Some("1")
        })
    })
    .await;
    assert_eq!(
        dg(&ex, &b).as_deref(),
        Some("0"),
        "the device group still differs"
    );
    let text = ex.cache().render_string("pano").unwrap();
    check_with_parser(&text);
    assert!(
        text.contains("panos_panorama_template_push_succeeded{template=\"S1\""),
        "{text}"
    );
    pano.shutdown().await;
}
