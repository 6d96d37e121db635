//! The RADIUS accounting listener over real UDP against the simulator: Start/Stop mapped,
//! retransmissions, wrong secrets, malformed packets, coalescing, and a firewall outage;
//! plus FreeRADIUS' `radclient` as the controller when it is installed.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use panops_client::panos::{ClientConfig, PanosClient, Protocol};
use panops_guest::radius::{CounterSnapshot, RadiusConfig, RadiusListener, Stats};
use panops_guest::{EndOptions, Guest, GuestOptions};
use panops_sim::{Faults, RunningSim, SimConfig, Simulator};
use radius::core::code::Code;
use radius::core::packet::Packet;
use radius::core::{rfc2865, rfc2866};
use tokio::net::UdpSocket;

const SECRET: &[u8] = b"guest-wifi-secret";

async fn sim() -> RunningSim {
    Simulator::start(SimConfig::firewall().plain().listen("127.0.0.1:0"))
        .await
        .expect("simulator starts")
}

fn guest(s: &RunningSim) -> Arc<Guest> {
    let port: u16 = s.url().rsplit(':').next().unwrap().parse().unwrap();
    let client = PanosClient::new(
        ClientConfig::builder("127.0.0.1")
            .port(port)
            .protocol(Protocol::Http)
            .use_env_proxy(false)
            .timeout(Duration::from_secs(5))
            .connect_timeout(Duration::from_secs(2))
            .credentials("admin", "admin")
            .build()
            .unwrap(),
    )
    .unwrap();
    Arc::new(Guest::new(client, GuestOptions::default()))
}

struct Running {
    addr: SocketAddr,
    stats: Stats,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<CounterSnapshot>,
}

async fn listen(g: Arc<Guest>, cfg: RadiusConfig) -> Running {
    let l = RadiusListener::bind("127.0.0.1:0", cfg).await.unwrap();
    let addr = l.local_addr().unwrap();
    let stats = l.stats();
    let (stop, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        l.run(g, async {
            let _ = rx.await;
        })
        .await
        .unwrap()
    });
    Running {
        addr,
        stats,
        stop,
        task,
    }
}

fn acct(secret: &[u8], id: u8, status: u32, ip: Ipv4Addr, user: &str) -> Vec<u8> {
    let mut p = Packet::new_with_identifier(Code::AccountingRequest, secret, id);
    rfc2866::add_acct_status_type(&mut p, status);
    rfc2865::add_framed_ip_address(&mut p, &ip);
    rfc2865::add_user_name(&mut p, user);
    rfc2866::add_acct_session_id(&mut p, &format!("sess-{ip}"));
    p.encode().unwrap()
}

/// Send and wait for an Accounting-Response that authenticates against the request.
async fn exchange(sock: &UdpSocket, to: SocketAddr, req: &[u8], wait: Duration) -> Option<Vec<u8>> {
    sock.send_to(req, to).await.unwrap();
    let mut buf = [0u8; 4096];
    match tokio::time::timeout(wait, sock.recv_from(&mut buf)).await {
        Ok(Ok((n, _))) => {
            let resp = buf[..n].to_vec();
            assert!(
                Packet::is_authentic_response(&resp, req, SECRET),
                "response authenticator"
            );
            assert_eq!(resp[0], 5, "Accounting-Response");
            Some(resp)
        }
        _ => None,
    }
}

async fn stats_until(what: &str, stats: &Stats, f: impl Fn(&CounterSnapshot) -> bool) {
    for _ in 0..100 {
        if f(&stats.snapshot().await) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}: {:?}", stats.snapshot().await);
}

async fn eventually(what: &str, f: impl Fn() -> bool) {
    for _ in 0..100 {
        if f() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}

#[tokio::test]
async fn start_stop_retransmission_and_bad_packets() {
    let s = sim().await;
    let h = s.handle();
    let g = guest(&s);
    let mut cfg = RadiusConfig::new(SECRET.to_vec());
    cfg.end = EndOptions {
        clear_sessions: true,
        ..Default::default()
    };
    let r = listen(g, cfg).await;
    let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let ip = Ipv4Addr::new(10, 70, 0, 1);

    let start = acct(SECRET, 1, rfc2866::ACCT_STATUS_TYPE_START, ip, "guest-7");
    assert!(
        exchange(&sock, r.addr, &start, Duration::from_secs(5))
            .await
            .is_some()
    );
    // answered only after the action: the mapping is there when the response is
    assert_eq!(h.mapping(None, "10.70.0.1").unwrap().0, "guest-7");
    h.open_session(None, "10.70.0.1", "203.0.113.10", 6, 443, "vsys1")
        .unwrap();

    let stop = acct(SECRET, 2, rfc2866::ACCT_STATUS_TYPE_STOP, ip, "guest-7");
    assert!(
        exchange(&sock, r.addr, &stop, Duration::from_secs(5))
            .await
            .is_some()
    );
    assert!(h.mapping(None, "10.70.0.1").is_none());
    assert_eq!(h.sessions_from(None, "10.70.0.1"), 0);
    let uid_before = h
        .requests()
        .iter()
        .filter(|q| q.req_type == "user-id")
        .count();
    // a retransmission is answered again without acting again
    assert!(
        exchange(&sock, r.addr, &stop, Duration::from_secs(5))
            .await
            .is_some()
    );
    // a duplicate re-sent as a new packet (new identifier, same accounting session)
    let resent = acct(SECRET, 42, rfc2866::ACCT_STATUS_TYPE_STOP, ip, "guest-7");
    assert_ne!(resent, stop);
    assert!(
        exchange(&sock, r.addr, &resent, Duration::from_secs(5))
            .await
            .is_some()
    );
    let uid_after = h
        .requests()
        .iter()
        .filter(|q| q.req_type == "user-id")
        .count();
    assert_eq!(uid_before, uid_after, "duplicates are not acted on twice");

    // wrong secret: dropped, counted, not acted on, no answer
    h.open_session(None, "10.70.0.2", "203.0.113.10", 6, 443, "vsys1")
        .unwrap();
    let forged = acct(
        b"not-the-secret",
        3,
        rfc2866::ACCT_STATUS_TYPE_START,
        Ipv4Addr::new(10, 70, 0, 2),
        "mallory",
    );
    assert!(
        exchange(&sock, r.addr, &forged, Duration::from_millis(300))
            .await
            .is_none()
    );
    assert!(h.mapping(None, "10.70.0.2").is_none());
    // truncated and lying about its length
    sock.send_to(&stop[..12], r.addr).await.unwrap();
    let mut liar = stop.clone();
    liar[2] = 0x0f;
    sock.send_to(&liar, r.addr).await.unwrap();
    stats_until("drop counters", &r.stats, |s| {
        s.malformed == 2 && s.bad_authenticator == 1
    })
    .await;
    let _ = r.stop.send(());
    let snap = r.task.await.unwrap();
    assert_eq!(snap.starts, 1);
    assert_eq!(snap.stops, 1);
    assert_eq!(snap.duplicates, 2);
    assert_eq!(snap.bad_authenticator, 1);
    assert_eq!(snap.malformed, 2);
    assert_eq!(snap.responses, 4);
    s.shutdown().await;
}

#[tokio::test]
async fn many_stops_are_coalesced_into_few_uid_messages() {
    let s = sim().await;
    let h = s.handle();
    let g = guest(&s);
    let n = 300u32;
    let visits: Vec<panops_guest::Visit> = (0..n)
        .map(|i| {
            panops_guest::Visit::new(
                &format!("10.71.{}.{}", i / 200, i % 200 + 1),
                Some(&format!("g{i}")),
            )
            .unwrap()
        })
        .collect();
    g.start_many(&visits, &Default::default()).await;
    h.clear_requests();
    let r = listen(g, RadiusConfig::new(SECRET.to_vec())).await;
    let sock = Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
    let reqs: Vec<Vec<u8>> = visits
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let std::net::IpAddr::V4(ip) = v.ip else {
                unreachable!()
            };
            acct(
                SECRET,
                (i % 256) as u8,
                rfc2866::ACCT_STATUS_TYPE_STOP,
                ip,
                v.user.as_deref().unwrap(),
            )
        })
        .collect();
    for q in &reqs {
        sock.send_to(q, r.addr).await.unwrap();
    }
    let mut answered = 0;
    let mut buf = [0u8; 4096];
    while answered < n {
        match tokio::time::timeout(Duration::from_secs(10), sock.recv_from(&mut buf)).await {
            Ok(Ok(_)) => answered += 1,
            _ => break,
        }
    }
    assert_eq!(answered, n, "every Stop answered");
    for v in &visits {
        assert!(
            h.mapping(None, &v.ip.to_string()).is_none(),
            "{} still mapped",
            v.ip
        );
    }
    let uid = h
        .requests()
        .iter()
        .filter(|q| q.req_type == "user-id")
        .count();
    assert!(uid < 30, "{uid} uid-messages for {n} Stops");
    let _ = r.stop.send(());
    r.task.await.unwrap();
    s.shutdown().await;
}

#[tokio::test]
async fn an_outage_queues_durably_and_drains_on_recovery() {
    let s = sim().await;
    let h = s.handle();
    let g = guest(&s);
    g.start(
        &panops_guest::Visit::new("10.72.0.1", Some("q1")).unwrap(),
        &Default::default(),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let qfile = dir.path().join("queue.ndjson");
    let mut cfg = RadiusConfig::new(SECRET.to_vec());
    cfg.queue_file = Some(qfile.clone());
    cfg.retry_interval = Duration::from_millis(200);
    let r = listen(g, cfg).await;
    let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();

    h.set_faults(Faults {
        rate_reset: 1.0,
        ..Default::default()
    });
    let stop = acct(
        SECRET,
        9,
        rfc2866::ACCT_STATUS_TYPE_STOP,
        Ipv4Addr::new(10, 72, 0, 1),
        "q1",
    );
    assert!(
        exchange(&sock, r.addr, &stop, Duration::from_secs(20))
            .await
            .is_some(),
        "answered once queued"
    );
    let snap = r.stats.snapshot().await;
    assert_eq!(snap.queued, 1);
    assert_eq!(snap.queue_len, 1);
    let saved = std::fs::read_to_string(&qfile).unwrap();
    assert!(
        saved.contains("10.72.0.1") && saved.contains("\"end\""),
        "{saved}"
    );
    assert!(
        h.mapping(None, "10.72.0.1").is_some(),
        "not ended during the outage"
    );

    h.set_faults(Faults::default());
    eventually("queued end applied", || {
        h.mapping(None, "10.72.0.1").is_none()
    })
    .await;
    stats_until("queue drained", &r.stats, |s| s.queue_len == 0).await;
    let _ = r.stop.send(());
    r.task.await.unwrap();
    assert_eq!(std::fs::read_to_string(&qfile).unwrap().trim(), "");
    s.shutdown().await;
}

#[tokio::test]
async fn radclient_as_the_controller() {
    if std::process::Command::new("radclient")
        .arg("-h")
        .output()
        .is_err()
    {
        if std::env::var("PANOPS_CI").as_deref() == Ok("1") {
            panic!("radclient (Debian package freeradius-utils) is required in CI but missing");
        }
        eprintln!("note: radclient not installed (apt-get install freeradius-utils); skipping");
        return;
    }
    let s = sim().await;
    let h = s.handle();
    let g = guest(&s);
    let r = listen(g, RadiusConfig::new(SECRET.to_vec())).await;
    let send = |body: String| {
        let addr = r.addr;
        async move {
            tokio::task::spawn_blocking(move || {
                use std::io::Write;
                let mut child = std::process::Command::new("radclient")
                    .args([
                        "-r",
                        "2",
                        "-t",
                        "5",
                        &addr.to_string(),
                        "acct",
                        std::str::from_utf8(SECRET).unwrap(),
                    ])
                    .stdin(std::process::Stdio::piped())
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap();
                child
                    .stdin
                    .take()
                    .unwrap()
                    .write_all(body.as_bytes())
                    .unwrap();
                child.wait_with_output().unwrap()
            })
            .await
            .unwrap()
        }
    };
    let out = send("Acct-Status-Type = Start, Framed-IP-Address = 10.73.0.1, User-Name = \"rad-guest\", Acct-Session-Id = \"a1\"\n".into()).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("Accounting-Response"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(h.mapping(None, "10.73.0.1").unwrap().0, "rad-guest");
    let out = send("Acct-Status-Type = Stop, Framed-IP-Address = 10.73.0.1, User-Name = \"rad-guest\", Acct-Session-Id = \"a1\"\n".into()).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(h.mapping(None, "10.73.0.1").is_none());
    let _ = r.stop.send(());
    r.task.await.unwrap();
    s.shutdown().await;
}

#[tokio::test]
async fn a_queue_left_by_a_previous_run_is_drained_and_a_full_queue_is_not_answered() {
    let s = sim().await;
    let h = s.handle();
    let g = guest(&s);
    for (ip, u) in [
        ("10.74.0.1", "p1"),
        ("10.74.0.2", "p2"),
        ("10.74.0.3", "p3"),
    ] {
        g.start(
            &panops_guest::Visit::new(ip, Some(u)).unwrap(),
            &Default::default(),
        )
        .await;
    }
    let dir = tempfile::tempdir().unwrap();
    let qfile = dir.path().join("queue.ndjson");
    std::fs::write(
        &qfile,
        "{\"action\":\"end\",\"ip\":\"10.74.0.1\",\"user\":\"p1\"}\n",
    )
    .unwrap();
    let mut cfg = RadiusConfig::new(SECRET.to_vec());
    cfg.queue_file = Some(qfile.clone());
    cfg.queue_limit = 1;
    cfg.retry_interval = Duration::from_millis(200);
    let r = listen(g, cfg).await;
    eventually("the previous run's queued end applied", || {
        h.mapping(None, "10.74.0.1").is_none()
    })
    .await;

    // outage with room for one: the first Stop is queued and answered, the second is not
    h.set_faults(Faults {
        rate_reset: 1.0,
        ..Default::default()
    });
    let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let first = acct(
        SECRET,
        1,
        rfc2866::ACCT_STATUS_TYPE_STOP,
        Ipv4Addr::new(10, 74, 0, 2),
        "p2",
    );
    assert!(
        exchange(&sock, r.addr, &first, Duration::from_secs(20))
            .await
            .is_some()
    );
    let second = acct(
        SECRET,
        2,
        rfc2866::ACCT_STATUS_TYPE_STOP,
        Ipv4Addr::new(10, 74, 0, 3),
        "p3",
    );
    assert!(
        exchange(&sock, r.addr, &second, Duration::from_secs(3))
            .await
            .is_none(),
        "queue full: no answer, the controller retries"
    );
    h.set_faults(Faults::default());
    eventually("queued Stop applied", || {
        h.mapping(None, "10.74.0.2").is_none()
    })
    .await;
    // the controller's retransmission is handled afresh once there is room
    assert!(
        exchange(&sock, r.addr, &second, Duration::from_secs(10))
            .await
            .is_some()
    );
    assert!(h.mapping(None, "10.74.0.3").is_none());
    let _ = r.stop.send(());
    r.task.await.unwrap();
    s.shutdown().await;
}
