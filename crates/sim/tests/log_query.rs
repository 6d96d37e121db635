//! `type=log` queries: a filter the device cannot parse is refused, never taken to match
//! every log; the ones it can parse filter (grouping, negation, subnets).

mod common;

use common::{Client, start, texts};
use panops_sim::SimConfig;

#[tokio::test]
async fn unparseable_log_queries_are_refused() {
    let sim = start(SimConfig::firewall()).await;
    let c = Client::login(&sim, "admin", "admin").await;
    for (q, why) in [
        ("(addr.src in 10.0.0.1", "missing )"),
        ("(bogus.field eq 1)", "unknown field bogus.field"),
        ("(addr.src like 10.0.0.1)", "unknown operator like"),
        ("(app eq ssl) and", "incomplete expression"),
    ] {
        let body = c
            .fails(&[("type", "log"), ("log-type", "traffic"), ("query", q)])
            .await;
        assert!(
            body.contains("Illegal value for parameter") && body.contains(why),
            "{q}: {body}"
        );
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn parseable_log_queries_filter() {
    let sim = start(SimConfig::firewall()).await;
    let c = Client::login(&sim, "admin", "admin").await;
    let all = c.logs(&[("log-type", "traffic"), ("nlogs", "500")]).await;
    let srcs = texts(&all, "src");
    assert!(srcs.len() > 5, "{all}");
    let one = srcs[0].clone();
    let only = c
        .logs(&[
            ("log-type", "traffic"),
            ("nlogs", "500"),
            ("query", &format!("(addr.src in {one})")),
        ])
        .await;
    let got = texts(&only, "src");
    assert!(!got.is_empty() && got.iter().all(|s| *s == one), "{only}");
    let not = c
        .logs(&[
            ("log-type", "traffic"),
            ("nlogs", "500"),
            ("query", &format!("!(addr.src eq '{one}')")),
        ])
        .await;
    let got_not = texts(&not, "src");
    assert_eq!(got_not.len() + got.len(), srcs.len());
    assert!(got_not.iter().all(|s| *s != one));
    // the factory traffic comes from 192.0.2.0/24
    let subnet = c
        .logs(&[
            ("log-type", "traffic"),
            ("nlogs", "500"),
            (
                "query",
                "(addr.src in 192.0.2.0/24) and ((app eq ssl) or (app neq ssl))",
            ),
        ])
        .await;
    assert_eq!(texts(&subnet, "src").len(), srcs.len(), "{subnet}");
    sim.shutdown().await;
}
