//! High availability between two simulated firewalls: the peer is up only when it exists,
//! roles follow both sides, suspend hands over to the peer and a non-preemptive device that
//! comes back stays passive.

mod common;

use common::{Client, start, texts};
use panops_sim::SimConfig;

const LH: &str = "/config/devices/entry[@name='localhost.localdomain']";
const SHOW: &str = "<show><high-availability><state/></high-availability></show>";
const SUSPEND: &str =
    "<request><high-availability><state><suspend/></state></high-availability></request>";
const FUNCTIONAL: &str =
    "<request><high-availability><state><functional/></state></high-availability></request>";

fn ha(peer_ip: &str, priority: u32) -> String {
    format!(
        "<enabled>yes</enabled><group><group-id>1</group-id><peer-ip>{peer_ip}</peer-ip><mode><active-passive/></mode><election-option><device-priority>{priority}</device-priority><preemptive>no</preemptive></election-option></group>"
    )
}

/// (local state, peer state, peer conn-status) as the firewall `fw` reports them.
async fn roles(c: &Client, fw: &str) -> (String, String, String) {
    let body = c.op_target(fw, SHOW).await;
    let st = texts(&body, "state");
    let conn = texts(&body, "conn-status");
    (st[0].clone(), st[1].clone(), conn[0].clone())
}

#[tokio::test]
async fn ha_pair_of_simulated_firewalls() {
    let sim = start(SimConfig::panorama(3)).await;
    let c = Client::login(&sim, "admin", "admin").await;
    let fws: Vec<String> = sim
        .serials()
        .into_iter()
        .filter(|s| s.starts_with("0079"))
        .collect();
    assert!(fws.len() >= 3, "{fws:?}");
    let (a, b, lone) = (&fws[0], &fws[1], &fws[2]);
    let h = sim.handle();
    let path = format!("{LH}/deviceconfig/high-availability");
    // a (10.0.0.11) and b (10.0.0.12) point at each other; a has the better priority
    h.seed_config(Some(a), &path, &ha("10.0.0.12", 90)).unwrap();
    h.seed_config(Some(b), &path, &ha("10.0.0.11", 100))
        .unwrap();
    // the third points at an address where nothing runs
    h.seed_config(Some(lone), &path, &ha("10.0.0.99", 100))
        .unwrap();
    let up = "up".to_string();
    assert_eq!(
        roles(&c, a).await,
        ("active".into(), "passive".into(), up.clone())
    );
    assert_eq!(
        roles(&c, b).await,
        ("passive".into(), "active".into(), up.clone())
    );
    assert_eq!(
        roles(&c, lone).await,
        ("active".into(), "unknown".into(), "down".into())
    );
    // suspending a hands over to b, seen from both sides
    c.op_target(a, SUSPEND).await;
    assert_eq!(roles(&c, a).await.0, "suspended");
    assert_eq!(
        roles(&c, b).await,
        ("active".into(), "suspended".into(), up.clone())
    );
    // a comes back while b is active: not preemptive, so it stays passive
    c.op_target(a, FUNCTIONAL).await;
    assert_eq!(
        roles(&c, a).await,
        ("passive".into(), "active".into(), up.clone())
    );
    assert_eq!(
        roles(&c, b).await,
        ("active".into(), "passive".into(), up.clone())
    );
    // b suspends: a takes over again; b back: b is passive now
    c.op_target(b, SUSPEND).await;
    assert_eq!(
        roles(&c, a).await,
        ("active".into(), "suspended".into(), up.clone())
    );
    c.op_target(b, FUNCTIONAL).await;
    assert_eq!(
        roles(&c, a).await,
        ("active".into(), "passive".into(), up.clone())
    );
    assert_eq!(
        roles(&c, b).await,
        ("passive".into(), "active".into(), up.clone())
    );
    // the peer made unreachable through the control endpoint: each is alone and active
    h.monitor_control(&serde_json::json!({"serial": b, "ha_peer": {"reachable": false}}))
        .unwrap();
    assert_eq!(
        roles(&c, b).await,
        ("active".into(), "unknown".into(), "down".into())
    );
    let bad = h.monitor_control(&serde_json::json!({"ha_peer": {"reachable": "yes"}}));
    assert!(bad.unwrap_err().contains("ha_peer.reachable"));
    sim.shutdown().await;
}
