//! Guest-access benchmark against the in-process simulator: ending N visits as one batch
//! (with and without session clearing) versus the naive per-visit sequence the simple
//! adapters use (query + logout [+ clear], one visit at a time), and the RADIUS listener's
//! sustained Accounting-Stop rate driven by `radclient`. Run by `benches/guest.sh`.
//!
//! Env: `GUEST_BENCH_VISITS` (default 10000), `GUEST_BENCH_LATENCY_MS` (per-request latency
//! added by the simulator, default 0), `GUEST_BENCH_SKIP_NAIVE=1`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use panops_client::panos::{ClientConfig, PanosClient, Protocol};
use panops_guest::radius::{RadiusConfig, RadiusListener};
use panops_guest::{EndOptions, Guest, GuestOptions, Outcome, StartOptions, Visit};
use panops_panos::userid::{UidMessage, UidOp};
use panops_sim::{RunningSim, SimConfig, SimHandle, Simulator};

const SECRET: &str = "bench-secret";

fn client(sim: &RunningSim) -> PanosClient {
    let port: u16 = sim.url().rsplit(':').next().unwrap().parse().unwrap();
    PanosClient::new(
        ClientConfig::builder("127.0.0.1")
            .port(port)
            .protocol(Protocol::Http)
            .use_env_proxy(false)
            .timeout(Duration::from_secs(120))
            .credentials("admin", "admin")
            .build()
            .unwrap(),
    )
    .unwrap()
}

fn visits(n: usize) -> Vec<Visit> {
    (0..n)
        .map(|i| {
            Visit::new(
                &format!("10.{}.{}.{}", 100 + i / 62500, (i / 250) % 250, i % 250 + 1),
                Some(&format!("guest-{i}")),
            )
            .unwrap()
        })
        .collect()
}

async fn populate(g: &Guest, h: &SimHandle, v: &[Visit], sessions: bool) {
    let r = g.start_many(v, &StartOptions::default()).await;
    assert!(r.iter().all(|r| r.outcome == Outcome::Started));
    if sessions {
        for v in v {
            h.open_session(None, &v.ip.to_string(), "203.0.113.10", 6, 443, "vsys1");
        }
    }
}

fn api_requests(h: &SimHandle) -> usize {
    h.requests()
        .iter()
        .filter(|r| r.req_type != "keygen")
        .count()
}

/// The simple adapters' sequence: per visit, query the mapping, log out, clear sessions.
async fn naive(c: &PanosClient, v: &[Visit], clear: bool) {
    for v in v {
        let ip = v.ip.to_string();
        let m = c
            .op(&format!(
                "<show><user><ip-user-mapping><ip>{ip}</ip></ip-user-mapping></user></show>"
            ))
            .await
            .unwrap();
        let user = m
            .result()
            .and_then(|r| r.child("entry"))
            .and_then(|e| e.child_text("user"))
            .unwrap_or_default();
        if !user.is_empty() {
            let mut msg = UidMessage::new();
            msg.push(UidOp::logout(&user, &ip).unwrap());
            c.user_id(&msg).await.unwrap();
        }
        if clear {
            c.op(&format!("<clear><session><all><filter><source>{ip}</source></filter></all></session></clear>"))
                .await
                .unwrap();
        }
    }
}

struct Row {
    name: String,
    requests: usize,
    secs: f64,
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::var("GUEST_BENCH_VISITS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let latency = Duration::from_millis(
        std::env::var("GUEST_BENCH_LATENCY_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0),
    );
    let skip_naive = std::env::var("GUEST_BENCH_SKIP_NAIVE").is_ok_and(|v| v == "1");
    let sim = Simulator::start(SimConfig::firewall().plain().listen("127.0.0.1:0"))
        .await
        .unwrap();
    let h = sim.handle();
    let v = visits(n);
    let mut rows = Vec::new();
    for clear in [false, true] {
        let label = if clear {
            "with session clearing"
        } else {
            "without session clearing"
        };
        let g = Guest::new(client(&sim), GuestOptions::default());
        populate(&g, &h, &v, clear).await;
        h.set_latency(latency);
        h.clear_requests();
        let t = Instant::now();
        let r = g
            .end_many(
                &v,
                &EndOptions {
                    clear_sessions: clear,
                    ..Default::default()
                },
            )
            .await;
        let secs = t.elapsed().as_secs_f64();
        let ended = r.iter().filter(|r| r.outcome == Outcome::Ended).count();
        assert_eq!(
            ended,
            n,
            "every visit ended: {:?}",
            r.iter().find(|r| r.failed())
        );
        rows.push(Row {
            name: format!("panops batch, {label}"),
            requests: api_requests(&h),
            secs,
        });
        h.set_latency(Duration::ZERO);
        if !skip_naive {
            let c = client(&sim);
            populate(&g, &h, &v, clear).await;
            c.keygen().await.unwrap();
            h.set_latency(latency);
            h.clear_requests();
            let t = Instant::now();
            naive(&c, &v, clear).await;
            let secs = t.elapsed().as_secs_f64();
            rows.push(Row {
                name: format!("naive per visit, {label}"),
                requests: api_requests(&h),
                secs,
            });
            h.set_latency(Duration::ZERO);
        }
    }
    println!(
        "\nEnding {n} visits against the simulator (latency {} ms per request)\n",
        latency.as_millis()
    );
    println!("{:<44} {:>10} {:>10}", "", "requests", "seconds");
    for r in &rows {
        println!("{:<44} {:>10} {:>10.2}", r.name, r.requests, r.secs);
    }
    if rows.len() == 4 {
        for (b, naive) in [(0, 1), (2, 3)] {
            println!(
                "ratio naive/batch ({}): requests {:.0}x, time {:.1}x",
                if b == 0 { "no clearing" } else { "clearing" },
                rows[naive].requests as f64 / rows[b].requests.max(1) as f64,
                rows[naive].secs / rows[b].secs.max(1e-9)
            );
        }
    }
    radius_rate(&sim, &h, &v).await;
    sim.shutdown().await;
}

/// Sustained Accounting-Stop rate through the listener with radclient sending in parallel.
async fn radius_rate(sim: &RunningSim, h: &SimHandle, v: &[Visit]) {
    if std::process::Command::new("radclient")
        .arg("-h")
        .output()
        .is_err()
    {
        println!("\nRADIUS: radclient not installed (apt-get install freeradius-utils); skipped");
        return;
    }
    let g = Arc::new(Guest::new(client(sim), GuestOptions::default()));
    populate(&g, h, v, false).await;
    let listener =
        RadiusListener::bind("127.0.0.1:0", RadiusConfig::new(SECRET.as_bytes().to_vec()))
            .await
            .unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(listener.run(g, async {
        let _ = rx.await;
    }));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("stops.txt");
    let mut text = String::new();
    for (i, v) in v.iter().enumerate() {
        text.push_str(&format!(
            "Acct-Status-Type = Stop, Framed-IP-Address = {}, User-Name = \"{}\", Acct-Session-Id = \"s{i}\"\n\n",
            v.ip,
            v.user.as_deref().unwrap_or("")
        ));
    }
    std::fs::write(&file, text).unwrap();
    let t = Instant::now();
    let out = tokio::task::spawn_blocking({
        let file = file.clone();
        move || {
            std::process::Command::new("radclient")
                .args(["-q", "-s", "-p", "256", "-r", "3", "-t", "10", "-f"])
                .arg(&file)
                .args([&addr.to_string(), "acct", SECRET])
                .output()
                .unwrap()
        }
    })
    .await
    .unwrap();
    let secs = t.elapsed().as_secs_f64();
    let _ = stop.send(());
    let snap = task.await.unwrap().unwrap();
    let left = v
        .iter()
        .filter(|x| h.mapping(None, &x.ip.to_string()).is_some())
        .count();
    println!(
        "\nRADIUS: {} Accounting-Stop via radclient -p 256 in {secs:.2} s = {:.0} Stops/s; {} answered, {} batches, {} retransmissions seen, {} mappings left (radclient exit {})",
        v.len(),
        v.len() as f64 / secs,
        snap.responses,
        snap.batches,
        snap.duplicates,
        left,
        out.status.code().unwrap_or(-1)
    );
}
