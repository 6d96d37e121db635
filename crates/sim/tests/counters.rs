//! Data-plane counters follow the traffic model: per-interface counters that `show interface`
//! and `show counter interface` agree on, `show counter global … delta yes` per admin,
//! `show session info` rates from the sessions created.

mod common;

use std::time::Duration;

use common::{Client, start, text_of, texts};
use panops_sim::{AdminAccount, SimConfig};

const FIELDS: [&str; 6] = [
    "ibytes", "obytes", "ipackets", "opackets", "ierrors", "idrops",
];

/// The `<counters><ifnet><entry>` (or `<ifnet><ifnet><entry>`) fields of interface `name`.
fn ifnet_counters(body: &str, name: &str) -> Vec<u64> {
    let e = body
        .split("<entry><name>")
        .find(|e| e.starts_with(&format!("{name}</name><ibytes>")))
        .unwrap_or_else(|| panic!("no counters for {name} in {body}"));
    FIELDS
        .iter()
        .map(|f| {
            text_of(e, f)
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("{f} of {name} in {body}"))
        })
        .collect()
}

fn hw_bytes(body: &str, name: &str) -> (u64, u64) {
    let hw = body.split("<hw>").nth(1).expect("hw");
    let e = hw
        .split("<entry><name>")
        .find(|e| e.starts_with(&format!("{name}</name>")))
        .unwrap_or_else(|| panic!("no hw entry for {name} in {body}"));
    let n = |t: &str| text_of(e, t).and_then(|v| v.parse().ok()).expect(t);
    (n("rx-bytes"), n("tx-bytes"))
}

const COUNTER_ALL: &str = "<show><counter><interface>all</interface></counter></show>";

fn counter_one(name: &str) -> String {
    format!("<show><counter><interface>{name}</interface></counter></show>")
}

fn show_one(name: &str) -> String {
    format!("<show><interface>{name}</interface></show>")
}

#[tokio::test]
async fn interface_counters_are_per_interface_agree_and_grow() {
    let sim = start(SimConfig::firewall()).await;
    let c = Client::login(&sim, "admin", "admin").await;
    sim.handle().advance_clock(Duration::from_secs(30));
    // The model advances at most once a second: three quick reads see the same tick; retry
    // in the rare case a tick fell between them.
    let mut agreed = false;
    for _ in 0..5 {
        let before = c.op(COUNTER_ALL).await;
        let one = c.op(&show_one("ethernet1/1")).await;
        let counter_one = c.op(&counter_one("ethernet1/1")).await;
        let after = c.op(COUNTER_ALL).await;
        if before != after {
            continue;
        }
        let all_1 = ifnet_counters(&before, "ethernet1/1");
        let all_2 = ifnet_counters(&before, "ethernet1/2");
        assert_eq!(ifnet_counters(&one, "ethernet1/1"), all_1, "{one}");
        assert_eq!(ifnet_counters(&counter_one, "ethernet1/1"), all_1);
        assert_eq!(
            hw_bytes(&one, "ethernet1/1"),
            hw_bytes(&before, "ethernet1/1")
        );
        // only the interface asked for
        assert!(!counter_one.contains("ethernet1/2"), "{counter_one}");
        // traffic enters on trust (ethernet1/2) and leaves on untrust (ethernet1/1): what one
        // receives the other sends, and the two interfaces differ
        assert_ne!(all_1, all_2);
        assert_eq!(all_1[0], all_2[1], "ibytes(1/1) = obytes(1/2)");
        assert_eq!(all_1[3], all_2[2], "opackets(1/1) = ipackets(1/2)");
        assert!(all_1[0] > 0 && all_1[1] > 0, "{before}");
        // the link part of the single-interface answer
        assert!(
            one.contains("<hw><name>ethernet1/1</name><state>up</state>"),
            "{one}"
        );
        assert_eq!(text_of(&one, "zone").as_deref(), Some("untrust"));
        agreed = true;
        break;
    }
    assert!(agreed, "the counters never held still for three reads");
    // they grow with traffic
    let first = ifnet_counters(&c.op(COUNTER_ALL).await, "ethernet1/2");
    sim.handle().advance_clock(Duration::from_secs(20));
    let later = ifnet_counters(&c.op(&show_one("ethernet1/2")).await, "ethernet1/2");
    assert!(
        later[0] > first[0] && later[2] > first[2],
        "{first:?} -> {later:?}"
    );
    assert!(later.iter().zip(&first).all(|(l, f)| l >= f));
    sim.shutdown().await;
}

#[tokio::test]
async fn unknown_or_missing_interface_is_the_devices_error() {
    let sim = start(SimConfig::firewall()).await;
    let c = Client::login(&sim, "admin", "admin").await;
    for cmd in [show_one("ethernet1/9"), counter_one("ethernet1/9")] {
        let body = c.fails(&[("type", "op"), ("cmd", &cmd)]).await;
        assert!(
            body.contains("code=\"17\"") && body.contains("ethernet1/9"),
            "{body}"
        );
    }
    // `show interface all` sent as an element (ansible-pan #123)
    let body = c
        .fails(&[
            ("type", "op"),
            ("cmd", "<show><interface><all/></interface></show>"),
        ])
        .await;
    assert!(
        body.contains("show -> interface -> all needs to have non NULL value"),
        "{body}"
    );
    let body = c
        .fails(&[
            ("type", "op"),
            ("cmd", "<show><counter><interface/></counter></show>"),
        ])
        .await;
    assert!(body.contains("needs to have non NULL value"), "{body}");
    sim.shutdown().await;
}

fn counter_values(body: &str) -> Vec<(String, u64)> {
    body.split("<entry>")
        .skip(1)
        .map(|e| {
            (
                text_of(e, "name").expect("name"),
                text_of(e, "value")
                    .and_then(|v| v.parse().ok())
                    .expect("value"),
            )
        })
        .collect()
}

const DELTA: &str =
    "<show><counter><global><filter><delta>yes</delta></filter></global></counter></show>";

#[tokio::test]
async fn global_counter_delta_is_since_the_same_admins_previous_delta() {
    let sim = start(
        SimConfig::firewall()
            .admin(AdminAccount::new("alice", "a"))
            .admin(AdminAccount::new("bob", "b")),
    )
    .await;
    let admin = Client::login(&sim, "alice", "a").await;
    let bob = Client::login(&sim, "bob", "b").await;
    let h = sim.handle();
    h.advance_clock(Duration::from_secs(10));
    let total = |b: &str| -> u64 {
        counter_values(b)
            .iter()
            .find(|(n, _)| n == "pkt_recv")
            .map(|(_, v)| *v)
            .expect("pkt_recv")
    };
    // the first delta counts from start: the cumulative value
    let first = admin.op(DELTA).await;
    let plain = admin.op("<show><counter><global/></counter></show>").await;
    assert_eq!(total(&first), total(&plain), "{first}");
    h.advance_clock(Duration::from_secs(10));
    let plain_before = total(&admin.op("<show><counter><global/></counter></show>").await);
    let second = admin.op(DELTA).await;
    let plain_after = total(&admin.op("<show><counter><global/></counter></show>").await);
    let d = total(&second);
    // ten seconds of traffic, not the cumulative value
    assert!(d > 0 && d < plain_after, "{d} of {plain_after}: {second}");
    if plain_before == plain_after {
        // no tick in between: exactly the growth since the first delta query
        assert_eq!(d, plain_after - total(&first), "{second}");
    }
    assert_eq!(
        text_of(&second, "t").as_deref(),
        Some("10"),
        "seconds since the previous sample: {second}"
    );
    // bob never asked: his first delta is the cumulative value, and it does not reset admin's
    let bob_first = total(&bob.op(DELTA).await);
    assert!(
        bob_first >= plain_after - 1 && bob_first > d,
        "{bob_first} vs {d}"
    );
    let again = total(&admin.op(DELTA).await);
    assert!(
        again < d || again == 0,
        "admin's base moved to his last query: {again}"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn global_counter_filters_are_honoured_and_checked() {
    let sim = start(SimConfig::firewall()).await;
    let c = Client::login(&sim, "admin", "admin").await;
    let q =
        |f: &str| format!("<show><counter><global><filter>{f}</filter></global></counter></show>");
    let drop = c.op(&q("<severity>drop</severity>")).await;
    assert!(!texts(&drop, "severity").is_empty());
    assert!(
        texts(&drop, "severity").iter().all(|s| s == "drop"),
        "{drop}"
    );
    let aspect = c.op(&q("<aspect>resource</aspect>")).await;
    let a = texts(&aspect, "aspect");
    assert!(
        !a.is_empty() && a.iter().all(|s| s == "resource"),
        "{aspect}"
    );
    let cat = c
        .op(&q("<category>flow</category><aspect>pktproc</aspect>"))
        .await;
    assert!(
        texts(&cat, "name")
            .iter()
            .all(|n| n.starts_with("flow_") && n != "flow_policy_deny"),
        "{cat}"
    );
    let nz = c.op(&q("<value>non-zero</value>")).await;
    assert!(
        counter_values(&nz).iter().all(|(_, v)| *v > 0),
        "non-zero only: {nz}"
    );
    // no packet-diag filter is configured: no packet matches one
    let pf = c.op(&q("<packet-filter>yes</packet-filter>")).await;
    assert!(texts(&pf, "name").is_empty(), "{pf}");
    for bad in [
        "<packet-filter>sometimes</packet-filter>",
        "<severity>bogus</severity>",
        "<delta>maybe</delta>",
        "<value>some</value>",
    ] {
        let body = c.fails(&[("type", "op"), ("cmd", &q(bad))]).await;
        assert!(body.contains("is invalid"), "{bad}: {body}");
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn session_info_rates_follow_sessions_created() {
    let sim = start(SimConfig::firewall()).await;
    let c = Client::login(&sim, "admin", "admin").await;
    let h = sim.handle();
    let info = "<show><session><info/></session></show>";
    let num = |b: &str, t: &str| -> u64 {
        text_of(b, t)
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{t} in {b}"))
    };
    let before = c.op(info).await;
    h.advance_clock(Duration::from_secs(5));
    let after = c.op(info).await;
    let created = num(&after, "num-installed") - num(&before, "num-installed");
    // sessions created in those 5 seconds, per second (rounded)
    let cps = num(&after, "cps");
    // (the interval is 5 s plus the real time the requests took)
    assert!(
        cps.abs_diff((created as f64 / 5.0).round() as u64) <= 1,
        "{created} in 5 s: {after}"
    );
    assert!(num(&after, "pps") > 0 && num(&after, "kbps") > 0, "{after}");
    // opening sessions by hand raises the rate over the next interval
    for i in 0..40 {
        h.open_session(
            None,
            &format!("10.9.0.{i}"),
            "198.51.100.7",
            6,
            443,
            "vsys1",
        )
        .unwrap();
    }
    h.advance_clock(Duration::from_secs(2));
    let busy = c.op(info).await;
    let created = num(&busy, "num-installed") - num(&after, "num-installed");
    assert!(created >= 40);
    let cps = num(&busy, "cps");
    assert!(
        cps >= 19 && cps.abs_diff((created as f64 / 2.0).round() as u64) <= 1,
        "{busy}"
    );
    // num-active is the table `show session all` lists
    let all = c
        .op("<show><session><all><filter><count>yes</count></filter></all></session></show>")
        .await;
    assert_eq!(
        text_of(&all, "member").and_then(|v| v.parse::<u64>().ok()),
        Some(num(&c.op(info).await, "num-active"))
    );
    sim.shutdown().await;
}
