//! Ending and starting visits against the simulator: every step observable in its state.

use std::time::Duration;

use panops_client::panos::{ClientConfig, PanosClient, Protocol};
use panops_guest::{
    EndOptions, ErrorKind, Guest, GuestOptions, Outcome, StartOptions, Visit, parse_batch,
};
use panops_sim::{AdminAccount, RunningSim, SimConfig, Simulator};

async fn sim(cfg: SimConfig) -> RunningSim {
    Simulator::start(
        cfg.plain()
            .listen("127.0.0.1:0")
            .job_duration(Duration::from_millis(100)),
    )
    .await
    .expect("simulator starts")
}

fn port_of(url: &str) -> u16 {
    url.rsplit(':')
        .next()
        .and_then(|p| p.trim_end_matches('/').parse().ok())
        .expect("port")
}

fn client_as(
    url: &str,
    user: &str,
    password: &str,
    target: Option<&str>,
    vsys: Option<&str>,
) -> PanosClient {
    let mut b = ClientConfig::builder("127.0.0.1")
        .port(port_of(url))
        .protocol(if url.starts_with("https") {
            Protocol::Https
        } else {
            Protocol::Http
        })
        .use_env_proxy(false)
        .timeout(Duration::from_secs(10))
        .credentials(user, password);
    if let Some(t) = target {
        b = b.target(t);
    }
    if let Some(v) = vsys {
        b = b.vsys(v);
    }
    PanosClient::new(b.build().unwrap()).unwrap()
}

fn guest(s: &RunningSim) -> Guest {
    Guest::new(
        client_as(&s.url(), "admin", "admin", None, None),
        GuestOptions::default(),
    )
}

fn visit(ip: &str, user: Option<&str>) -> Visit {
    Visit::new(ip, user).unwrap()
}

fn clearing() -> EndOptions {
    EndOptions {
        clear_sessions: true,
        ..Default::default()
    }
}

#[tokio::test]
async fn a_visit_from_start_to_end_and_ending_it_again() {
    let s = sim(SimConfig::firewall()).await;
    let h = s.handle();
    let g = guest(&s);
    let start = g
        .start(
            &visit("10.20.0.7", Some("guest-0042")),
            &StartOptions {
                timeout_minutes: Some(60),
                tag: Some("guests".into()),
                dry_run: false,
            },
        )
        .await;
    assert_eq!(start.outcome, Outcome::Started, "{start:?}");
    assert!(start.verified);
    assert_eq!(h.mapping(None, "10.20.0.7").unwrap().0, "guest-0042");
    h.open_session(None, "10.20.0.7", "203.0.113.10", 6, 443, "vsys1")
        .unwrap();
    h.open_session(None, "10.20.0.7", "8.8.8.8", 17, 53, "vsys1")
        .unwrap();

    let end = g.end(&visit("10.20.0.7", None), &clearing()).await;
    assert_eq!(end.outcome, Outcome::Ended, "{end:?}");
    assert_eq!(end.mapped_user.as_deref(), Some("guest-0042"));
    assert!(end.sessions_found.unwrap() >= 2);
    assert!(end.sessions_cleared.unwrap() >= 2);
    assert!(end.uid_sent && end.verified);
    assert!(h.mapping(None, "10.20.0.7").is_none());
    assert_eq!(h.sessions_from(None, "10.20.0.7"), 0);

    // idempotent: the visit is over, nothing to do, success
    let again = g
        .end(&visit("10.20.0.7", Some("guest-0042")), &clearing())
        .await;
    assert_eq!(again.outcome, Outcome::NothingToDo, "{again:?}");
    assert!(
        again.message.contains("no User-ID mapping")
            && again.message.contains("nothing was changed")
    );
    assert!(again.outcome.is_success());
    s.shutdown().await;
}

#[tokio::test]
async fn wrong_user_and_dry_run_change_nothing() {
    let s = sim(SimConfig::firewall()).await;
    let h = s.handle();
    let g = guest(&s);
    g.start(
        &visit("10.20.1.1", Some("guest-1")),
        &StartOptions::default(),
    )
    .await;
    h.open_session(None, "10.20.1.1", "203.0.113.10", 6, 443, "vsys1")
        .unwrap();

    let other = g
        .end(&visit("10.20.1.1", Some("guest-2")), &clearing())
        .await;
    assert_eq!(other.outcome, Outcome::Failed);
    assert_eq!(other.error, Some(ErrorKind::UserMismatch));
    assert!(other.message.contains("guest-1"), "{}", other.message);
    assert!(h.mapping(None, "10.20.1.1").is_some());

    let before = h.requests().len();
    let dry = g
        .end(
            &visit("10.20.1.1", None),
            &EndOptions {
                clear_sessions: true,
                dry_run: true,
                tag: None,
            },
        )
        .await;
    assert_eq!(dry.outcome, Outcome::Planned, "{dry:?}");
    assert!(
        dry.planned.iter().any(|p| p.contains("logout guest-1")),
        "{:?}",
        dry.planned
    );
    assert!(
        dry.planned.iter().any(|p| p.contains("clear")),
        "{:?}",
        dry.planned
    );
    assert!(h.mapping(None, "10.20.1.1").is_some());
    assert!(h.sessions_from(None, "10.20.1.1") >= 1);
    let sent: Vec<_> = h.requests()[before..]
        .iter()
        .filter(|r| r.req_type == "user-id" || r.cmd.starts_with("<clear"))
        .cloned()
        .collect();
    assert!(sent.is_empty(), "a dry run sent changes: {sent:?}");
    s.shutdown().await;
}

#[tokio::test]
async fn a_batch_shares_reads_and_batches_logouts() {
    let s = sim(SimConfig::firewall()).await;
    let h = s.handle();
    let g = guest(&s);
    let n = 2500;
    let visits: Vec<Visit> = (0..n)
        .map(|i| {
            visit(
                &format!("10.30.{}.{}", i / 250, i % 250 + 1),
                Some(&format!("g{i}")),
            )
        })
        .collect();
    let started = g.start_many(&visits, &StartOptions::default()).await;
    assert!(started.iter().all(|r| r.outcome == Outcome::Started));

    // CSV: half the visits with users, half without, plus a bad line and an unknown IP
    let mut csv = String::from("ip,user\n");
    for (i, v) in visits.iter().enumerate() {
        if i % 2 == 0 {
            csv.push_str(&format!("{},g{i}\n", v.ip));
        } else {
            csv.push_str(&format!("{}\n", v.ip));
        }
    }
    csv.push_str("10.30.99.300,bad\n10.31.0.1\n");
    h.clear_requests();
    let g = Guest::new(
        client_as(&s.url(), "admin", "admin", None, None),
        GuestOptions::default(),
    );
    let report = g
        .end_batch(parse_batch(csv.as_bytes()).unwrap(), &EndOptions::default())
        .await;
    assert_eq!(report.visits.len(), n + 2);
    let ended = report
        .visits
        .iter()
        .filter(|v| v.outcome == Outcome::Ended)
        .count();
    assert_eq!(ended, n);
    let bad = &report.visits[n];
    assert_eq!(bad.error, Some(ErrorKind::Input));
    assert_eq!(bad.line, Some(n as u64 as usize + 2));
    assert_eq!(report.visits[n + 1].outcome, Outcome::NothingToDo);
    assert!(!report.all_succeeded(), "one line was bad");
    for i in [0, 1, n - 1] {
        assert!(h.mapping(None, &visits[i].ip.to_string()).is_none());
    }
    // requests: one mapping listing, the session pages, one uid-message per 1,000 logouts,
    // one mapping listing to verify
    let recorded: Vec<_> = h
        .requests()
        .into_iter()
        .filter(|r| r.req_type != "keygen")
        .collect();
    let uid = recorded.iter().filter(|r| r.req_type == "user-id").count();
    let mapping_reads = recorded
        .iter()
        .filter(|r| r.cmd.contains("ip-user-mapping"))
        .count();
    assert_eq!(uid, n.div_ceil(1000), "{uid} uid-messages");
    assert_eq!(mapping_reads, 2);
    let session_reads = recorded
        .iter()
        .filter(|r| r.cmd.contains("<session>"))
        .count();
    assert!(
        session_reads <= 3,
        "{session_reads} session reads: info and one page or two"
    );
    assert_eq!(
        recorded.len() as u64,
        report.requests,
        "the report counts what was sent"
    );
    assert!(
        report.requests <= 8,
        "{} requests for {n} visits",
        report.requests
    );
    s.shutdown().await;
}

#[tokio::test]
async fn batch_clearing_clears_only_where_sessions_are() {
    let s = sim(SimConfig::firewall()).await;
    let h = s.handle();
    let g = guest(&s);
    let visits: Vec<Visit> = (1..=30)
        .map(|i| visit(&format!("10.40.0.{i}"), Some(&format!("v{i}"))))
        .collect();
    g.start_many(&visits, &StartOptions::default()).await;
    for i in 1..=5 {
        h.open_session(
            None,
            &format!("10.40.0.{i}"),
            "203.0.113.10",
            6,
            443,
            "vsys1",
        )
        .unwrap();
    }
    h.clear_requests();
    let reports = g.end_many(&visits, &clearing()).await;
    assert!(
        reports.iter().all(|r| r.outcome == Outcome::Ended),
        "{reports:?}"
    );
    let clears = h
        .requests()
        .iter()
        .filter(|r| r.cmd.starts_with("<clear"))
        .count();
    assert!(
        (5..30).contains(&clears),
        "{clears} clears for 5 visitors with sessions"
    );
    for i in 1..=5 {
        assert_eq!(h.sessions_from(None, &format!("10.40.0.{i}")), 0);
    }
    s.shutdown().await;
}

#[tokio::test]
async fn vsys_and_panorama_target() {
    let s = sim(SimConfig::panorama(2)).await;
    let h = s.handle();
    let fw = h.serials()[1].clone();
    let g = Guest::new(
        client_as(&s.url(), "admin", "admin", Some(&fw), None),
        GuestOptions::default(),
    );
    let st = g
        .start(&visit("10.50.0.1", Some("pg")), &StartOptions::default())
        .await;
    assert_eq!(st.outcome, Outcome::Started, "{st:?}");
    assert!(h.mapping(Some(&fw), "10.50.0.1").is_some());
    h.open_session(Some(&fw), "10.50.0.1", "203.0.113.10", 6, 443, "vsys1")
        .unwrap();
    let end = g.end(&visit("10.50.0.1", Some("pg")), &clearing()).await;
    assert_eq!(end.outcome, Outcome::Ended, "{end:?}");
    assert_eq!(h.sessions_from(Some(&fw), "10.50.0.1"), 0);
    s.shutdown().await;

    // multi-vsys: the mapping lives in vsys2; a guest agent for vsys2 ends it
    let s = sim(SimConfig::firewall()).await;
    let h = s.handle();
    let admin = client_as(&s.url(), "admin", "admin", None, None);
    admin
        .config_set(
            "/config/devices/entry[@name='localhost.localdomain']/vsys",
            "<entry name='vsys2'><display-name>guests</display-name></entry>",
        )
        .await
        .unwrap();
    admin
        .commit_and_wait(&Default::default(), Default::default())
        .await
        .unwrap();
    let opts = GuestOptions {
        vsys: Some("vsys2".into()),
        ..Default::default()
    };
    let g2 = Guest::new(
        client_as(&s.url(), "admin", "admin", None, Some("vsys2")),
        opts,
    );
    let st = g2
        .start(&visit("10.50.1.1", Some("v2")), &StartOptions::default())
        .await;
    assert_eq!(st.outcome, Outcome::Started, "{st:?}");
    assert_eq!(h.mapping(None, "10.50.1.1").unwrap().1, "vsys2");
    // an agent for vsys1 does not see it
    let g1 = Guest::new(
        client_as(&s.url(), "admin", "admin", None, Some("vsys1")),
        GuestOptions {
            vsys: Some("vsys1".into()),
            ..Default::default()
        },
    );
    assert_eq!(
        g1.end(&visit("10.50.1.1", None), &EndOptions::default())
            .await
            .outcome,
        Outcome::NothingToDo
    );
    assert!(h.mapping(None, "10.50.1.1").is_some());
    assert_eq!(
        g2.end(&visit("10.50.1.1", None), &EndOptions::default())
            .await
            .outcome,
        Outcome::Ended
    );
    assert!(h.mapping(None, "10.50.1.1").is_none());
    s.shutdown().await;
}

#[tokio::test]
async fn each_error_row_has_its_message() {
    // connection refused: a port nobody listens on
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let url = format!("http://127.0.0.1:{port}");
    let g = Guest::new(
        client_as(&url, "admin", "admin", None, None),
        GuestOptions {
            host: format!("127.0.0.1:{port}"),
            ..Default::default()
        },
    );
    let r = g
        .end(&visit("10.60.0.1", None), &EndOptions::default())
        .await;
    assert_eq!(r.error, Some(ErrorKind::Unreachable), "{r:?}");
    assert!(
        r.message.contains(&format!("127.0.0.1:{port}")) && r.message.contains("management"),
        "{}",
        r.message
    );

    let s = sim(SimConfig::firewall()
        .admin(AdminAccount::new("admin", "admin"))
        .admin(AdminAccount::read_only("viewer", "v"))
        .admin(AdminAccount::user_id_only("agent", "a")))
    .await;
    let h = s.handle();
    guest(&s)
        .start(&visit("10.60.0.2", Some("g")), &StartOptions::default())
        .await;
    h.open_session(None, "10.60.0.2", "203.0.113.10", 6, 443, "vsys1")
        .unwrap();
    // a read-only role cannot log out
    let viewer = Guest::new(
        client_as(&s.url(), "viewer", "v", None, None),
        GuestOptions::default(),
    );
    let r = viewer
        .end(&visit("10.60.0.2", None), &EndOptions::default())
        .await;
    assert_eq!(r.error, Some(ErrorKind::Permission), "{r:?}");
    assert!(r.message.contains("User-ID Agent"), "{}", r.message);
    // a User-ID-only role can log out but not clear sessions
    let agent = Guest::new(
        client_as(&s.url(), "agent", "a", None, None),
        GuestOptions::default(),
    );
    let r = agent.end(&visit("10.60.0.2", None), &clearing()).await;
    assert_eq!(r.error, Some(ErrorKind::Permission), "{r:?}");
    assert!(r.message.contains("Operational Requests"), "{}", r.message);
    assert!(r.uid_sent, "the logout itself went through");
    assert!(h.mapping(None, "10.60.0.2").is_none());
    // a wrong key
    let bad = PanosClient::new(
        ClientConfig::builder("127.0.0.1")
            .port(port_of(&s.url()))
            .protocol(Protocol::Http)
            .use_env_proxy(false)
            .api_key(panops_panos::Secret::new("not-a-key"))
            .build()
            .unwrap(),
    )
    .unwrap();
    let r = Guest::new(bad, GuestOptions::default())
        .end(&visit("10.60.0.3", None), &EndOptions::default())
        .await;
    assert_eq!(r.error, Some(ErrorKind::Permission), "{r:?}");
    assert!(!r.message.contains("not-a-key"));
    s.shutdown().await;

    // TLS: the simulator's self-signed certificate is not trusted by default
    let tls = Simulator::start(SimConfig::firewall().listen("127.0.0.1:0"))
        .await
        .unwrap();
    let g = Guest::new(
        client_as(&tls.url(), "admin", "admin", None, None),
        GuestOptions::default(),
    );
    let r = g
        .end(&visit("10.60.0.4", None), &EndOptions::default())
        .await;
    assert_eq!(r.error, Some(ErrorKind::Tls), "{r:?}");
    assert!(
        r.message.contains("FIREWALL_CA_FILE") && r.message.contains("FIREWALL_VERIFY_TLS=false"),
        "{}",
        r.message
    );
    tls.shutdown().await;
}

#[tokio::test]
async fn slow_replies_time_out_with_their_own_message() {
    let s = sim(SimConfig::firewall()).await;
    let fast = guest(&s);
    fast.start(&visit("10.61.0.1", Some("g")), &StartOptions::default())
        .await;
    let slow_client = PanosClient::new(
        ClientConfig::builder("127.0.0.1")
            .port(port_of(&s.url()))
            .protocol(Protocol::Http)
            .use_env_proxy(false)
            .timeout(Duration::from_millis(300))
            .retry(panops_client::retry::RetryPolicy::none())
            .credentials("admin", "admin")
            .build()
            .unwrap(),
    )
    .unwrap();
    slow_client.keygen().await.unwrap();
    s.handle().set_latency(Duration::from_millis(1500));
    let r = Guest::new(slow_client, GuestOptions::default())
        .end(&visit("10.61.0.1", None), &EndOptions::default())
        .await;
    assert_eq!(r.error, Some(ErrorKind::Timeout), "{r:?}");
    assert!(
        r.message.contains("did not answer in time"),
        "{}",
        r.message
    );
    s.handle().set_latency(Duration::ZERO);
    s.shutdown().await;
}

#[tokio::test]
async fn a_large_session_table_is_not_listed_for_a_small_batch() {
    let s = sim(SimConfig::firewall()).await;
    let h = s.handle();
    let g = guest(&s);
    let visits: Vec<Visit> = (1..=12)
        .map(|i| visit(&format!("10.45.0.{i}"), Some(&format!("v{i}"))))
        .collect();
    g.start_many(&visits, &StartOptions::default()).await;
    // 20 pages of other people's sessions: more pages than visits
    for i in 0..20_000u32 {
        h.open_session(
            None,
            &format!("172.16.{}.{}", i / 250, i % 250 + 1),
            "203.0.113.10",
            6,
            443,
            "vsys1",
        );
    }
    h.open_session(None, "10.45.0.3", "203.0.113.10", 6, 443, "vsys1");
    h.clear_requests();
    let reports = g.end_many(&visits, &clearing()).await;
    assert!(
        reports.iter().all(|r| r.outcome == Outcome::Ended),
        "{reports:?}"
    );
    assert_eq!(reports[2].sessions_cleared, Some(1));
    let pages = h
        .requests()
        .iter()
        .filter(|r| r.cmd.starts_with("<show><session><all") && !r.cmd.contains("<count>"))
        .count();
    assert_eq!(pages, 0, "counted per visit instead of listing 20 pages");
    assert!(h.session_count(None) >= 20_000);
    s.shutdown().await;
}

#[tokio::test]
async fn firewall_env_with_a_private_ca_and_a_key_file() {
    let tls = Simulator::start(SimConfig::firewall().listen("127.0.0.1:0"))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, tls.ca_pem().expect("TLS simulator has a CA")).unwrap();
    let port = port_of(&tls.url());
    let keygen = PanosClient::new(
        ClientConfig::builder("127.0.0.1")
            .port(port)
            .use_env_proxy(false)
            .ca_bundle(&ca)
            .credentials("admin", "admin")
            .build()
            .unwrap(),
    )
    .unwrap();
    let key = keygen.keygen().await.unwrap();
    let key_file = dir.path().join("key");
    std::fs::write(&key_file, format!("{}\n", key.expose())).unwrap();
    let vars = [
        ("FIREWALL_ADAPTER", "palo-alto".to_string()),
        ("FIREWALL_HOST", format!("127.0.0.1:{port}")),
        ("FIREWALL_API_KEY_FILE", key_file.display().to_string()),
        ("FIREWALL_CA_FILE", ca.display().to_string()),
    ];
    let env = panops_guest::FirewallEnv::from_env(|n| {
        vars.iter().find(|(k, _)| *k == n).map(|(_, v)| v.clone())
    })
    .unwrap();
    assert!(!format!("{env:?}").contains(key.expose()));
    let g = Guest::new(
        env.client(Duration::from_secs(10)).unwrap(),
        GuestOptions::default(),
    );
    let st = g
        .start(
            &visit("10.62.0.1", Some("tls-guest")),
            &StartOptions::default(),
        )
        .await;
    assert_eq!(st.outcome, Outcome::Started, "{st:?}");
    let end = g
        .end(&visit("10.62.0.1", None), &EndOptions::default())
        .await;
    assert_eq!(end.outcome, Outcome::Ended, "{end:?}");
    tls.shutdown().await;
}

#[tokio::test]
async fn concurrency_towards_the_firewall_is_bounded() {
    let s = sim(SimConfig::firewall()).await;
    let h = s.handle();
    let g = Guest::new(
        client_as(&s.url(), "admin", "admin", None, None),
        GuestOptions {
            concurrency: 3,
            ..Default::default()
        },
    );
    let visits: Vec<Visit> = (1..=24)
        .map(|i| visit(&format!("10.46.0.{i}"), Some(&format!("c{i}"))))
        .collect();
    g.start_many(&visits, &StartOptions::default()).await;
    for v in &visits {
        h.open_session(None, &v.ip.to_string(), "203.0.113.10", 6, 443, "vsys1");
    }
    h.set_latency(Duration::from_millis(20));
    h.clear_requests();
    let reports = g.end_many(&visits, &clearing()).await;
    h.set_latency(Duration::ZERO);
    assert!(
        reports.iter().all(|r| r.outcome == Outcome::Ended),
        "{reports:?}"
    );
    let max = h.max_in_flight();
    assert!(
        (2..=3).contains(&max),
        "{max} requests in flight at once, limit 3"
    );
    s.shutdown().await;
}
