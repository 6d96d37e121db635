//! The simulator's monitoring side: op commands honour their arguments, state is
//! steerable (control endpoint and handle), counters only grow, per-command faults.

mod common;

use common::{Client, start, texts};
use panops_sim::{AdminAccount, SimConfig};

async fn firewall() -> (panops_sim::RunningSim, Client) {
    let sim = start(SimConfig::firewall().admin(AdminAccount::read_only("viewer", "pw2"))).await;
    let c = Client::login(&sim, "viewer", "pw2").await;
    (sim, c)
}

#[tokio::test]
async fn resource_monitor_honours_period_and_last() {
    let (sim, c) = firewall().await;
    let body = c
        .op("<show><running><resource-monitor><minute><last>3</last></minute></resource-monitor></running></show>")
        .await;
    assert!(
        body.contains("<minute>") && !body.contains("<second>") && !body.contains("<hour>"),
        "{body}"
    );
    let values = texts(&body, "value");
    // every cpu-load entry has three values, newest first
    let cpu: Vec<&String> = values.iter().filter(|v| v.contains(',')).collect();
    assert!(!cpu.is_empty());
    assert!(cpu.iter().all(|v| v.split(',').count() == 3), "{cpu:?}");
    let one = c
        .op("<show><running><resource-monitor><second><last>1</last></second></resource-monitor></running></show>")
        .await;
    assert!(one.contains("<second>") && !one.contains(','), "{one}");
    let all = c
        .op("<show><running><resource-monitor/></running></show>")
        .await;
    for p in ["second", "minute", "hour", "day", "week"] {
        assert!(all.contains(&format!("<{p}>")), "{p}");
    }
    // hour has at most 24 values
    let hour = c
        .op("<show><running><resource-monitor><hour><last>100</last></hour></resource-monitor></running></show>")
        .await;
    let h = texts(&hour, "value");
    assert!(
        h.iter()
            .filter(|v| v.contains(','))
            .all(|v| v.split(',').count() == 24)
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn environmentals_return_only_the_part_asked_for() {
    let (sim, c) = firewall().await;
    let fan = c
        .op("<show><system><environmentals><fan/></environmentals></system></show>")
        .await;
    assert!(
        fan.contains("<fan>") && !fan.contains("<thermal>") && !fan.contains("<power-supply>"),
        "{fan}"
    );
    let all = c
        .op("<show><system><environmentals/></system></show>")
        .await;
    for p in ["thermal", "fan", "power", "power-supply"] {
        assert!(all.contains(&format!("<{p}>")), "{p}");
    }
    let (_, bad) = c
        .call(&[
            ("type", "op"),
            (
                "cmd",
                "<show><system><environmentals><bogus/></environmentals></system></show>",
            ),
        ])
        .await;
    assert!(bad.contains("status=\"error\""), "{bad}");
    // a fan alarm and a missing power supply, set through the control endpoint
    let http = reqwest::Client::new();
    let r = http
        .post(format!("{}/sim/monitor", sim.url()))
        .body(r#"{"fan_alarm": 1, "power_supply_removed": 2}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let fan = c
        .op("<show><system><environmentals><fan/></environmentals></system></show>")
        .await;
    assert!(
        fan.contains("<alarm>True</alarm><RPMs>0</RPMs><index>1</index>"),
        "{fan}"
    );
    let psu = c
        .op("<show><system><environmentals><power-supply/></environmentals></system></show>")
        .await;
    assert!(
        psu.contains("<alarm>True</alarm><Inserted>False</Inserted><index>2</index>"),
        "{psu}"
    );
    let r = http
        .post(format!("{}/sim/monitor", sim.url()))
        .body(r#"{"fan_alarm": 99}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("fan_alarm"));
    sim.shutdown().await;
}

#[tokio::test]
async fn bgp_peers_by_name_flaps_grow_and_summary_follows() {
    let (sim, c) = firewall().await;
    let all = c
        .op("<show><routing><protocol><bgp><peer/></bgp></protocol></routing></show>")
        .await;
    assert_eq!(all.matches("<entry peer=").count(), 2, "{all}");
    let one = c
        .op("<show><routing><protocol><bgp><peer><peer-name>isp-a</peer-name></peer></bgp></protocol></routing></show>")
        .await;
    assert_eq!(one.matches("<entry peer=").count(), 1);
    assert!(one.contains("<status>Established</status>"), "{one}");
    let (_, missing) = c
        .call(&[("type", "op"), ("cmd", "<show><routing><protocol><bgp><peer><peer-name>nope</peer-name></peer></bgp></protocol></routing></show>")])
        .await;
    assert!(missing.contains("status=\"error\""), "{missing}");
    let h = sim.handle();
    h.monitor_control(&serde_json::json!({"bgp_peer": {"name": "isp-a", "established": false}}))
        .unwrap();
    h.monitor_control(&serde_json::json!({"bgp_peer": {"name": "isp-a", "established": true}}))
        .unwrap();
    h.monitor_control(&serde_json::json!({"bgp_peer": {"name": "isp-a", "established": false}}))
        .unwrap();
    let one = c
        .op("<show><routing><protocol><bgp><peer><peer-name>isp-a</peer-name></peer></bgp></protocol></routing></show>")
        .await;
    assert!(
        one.contains("<status-flap-counts>2</status-flap-counts>")
            && one.contains("<status>Active</status>"),
        "{one}"
    );
    let summary = c.op("<show><routing><summary/></routing></show>").await;
    assert!(
        summary.contains("<BGP-Routes><total>0</total>")
            && summary.contains("<peer-count>2</peer-count><peer-established>0</peer-established>"),
        "no established peer, no BGP routes: {summary}"
    );
    h.monitor_control(&serde_json::json!({"bgp_peer": {"name": "isp-b", "established": true}}))
        .unwrap();
    let summary = c.op("<show><routing><summary/></routing></show>").await;
    assert!(
        summary.contains("<BGP-Routes><total>80</total>"),
        "{summary}"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn userid_agents_tunnels_and_globalprotect() {
    let (sim, c) = firewall().await;
    let all = c
        .op("<show><user><user-id-agent><state>all</state></user-id-agent></user></show>")
        .await;
    assert!(
        all.contains("Agent: dc1-agent") && all.contains("Agent: dc2-agent"),
        "{all}"
    );
    let one = c
        .op("<show><user><user-id-agent><state>dc2-agent</state></user-id-agent></user></show>")
        .await;
    assert!(
        !one.contains("dc1-agent") && one.contains("non-conn"),
        "{one}"
    );
    sim.handle()
        .monitor_control(
            &serde_json::json!({"userid_agent": {"name": "dc2-agent", "connected": true}}),
        )
        .unwrap();
    let one = c
        .op("<show><user><user-id-agent><state>dc2-agent</state></user-id-agent></user></show>")
        .await;
    assert!(
        one.contains("conn:idle") && !one.contains("non-conn"),
        "{one}"
    );

    let flow = c.op("<show><vpn><flow/></vpn></show>").await;
    assert!(
        flow.contains("<name>to-branch</name>") && flow.contains("<state>active</state>"),
        "{flow}"
    );
    sim.handle()
        .monitor_control(&serde_json::json!({"tunnel": {"name": "to-branch", "up": false}}))
        .unwrap();
    let flow = c.op("<show><vpn><flow/></vpn></show>").await;
    assert!(flow.contains("<state>init</state>"), "{flow}");
    let ike = c.op("<show><vpn><ike-sa/></vpn></show>").await;
    assert!(
        !ike.contains("gw-branch"),
        "a tunnel that is down has no IKE SA: {ike}"
    );

    let gp = c
        .op("<show><global-protect-gateway><statistics/></global-protect-gateway></show>")
        .await;
    assert!(gp.contains("<CurrentUsers>3</CurrentUsers>"), "{gp}");
    sim.handle()
        .monitor_control(&serde_json::json!({"gateway": {"name": "gp-gateway", "users": 10}}))
        .unwrap();
    let gp = c
        .op("<show><global-protect-gateway><statistics/></global-protect-gateway></show>")
        .await;
    assert!(
        gp.contains("<CurrentUsers>10</CurrentUsers>")
            && gp.contains("<PreviousUsers>24</PreviousUsers>"),
        "{gp}"
    );
    let users = c
        .op("<show><global-protect-gateway><current-user/></global-protect-gateway></show>")
        .await;
    assert_eq!(users.matches("<username>").count(), 10);
    sim.shutdown().await;
}

#[tokio::test]
async fn certificates_of_different_expiries() {
    let (sim, c) = firewall().await;
    let text = c
        .op("<show><sslmgr-store><config-certificate-info/></sslmgr-store></show>")
        .await;
    for n in [
        "gp-portal",
        "mgmt-web",
        "Example-Root-CA",
        "vsys1/old-ldaps",
    ] {
        assert!(text.contains(&format!("db-name: {n}\n")), "{n}: {text}");
    }
    assert!(text.contains("db-status: expired"), "{text}");
    assert!(text.contains("db-status: valid"), "{text}");
    sim.handle()
        .advance_clock(std::time::Duration::from_secs(11 * 86_400));
    let later = c
        .op("<show><sslmgr-store><config-certificate-info/></sslmgr-store></show>")
        .await;
    assert_eq!(
        later.matches("db-status: expired").count(),
        2,
        "gp-portal expired after 10 days: {later}"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn per_command_faults_hit_only_that_command() {
    let (sim, c) = firewall().await;
    let h = sim.handle();
    h.fail_op("show session info", "error").unwrap();
    h.fail_op("show system info", "garbage").unwrap();
    let (_, s) = c
        .call(&[
            ("type", "op"),
            ("cmd", "<show><session><info/></session></show>"),
        ])
        .await;
    assert!(
        s.contains("status=\"error\"") && s.contains("injected"),
        "{s}"
    );
    let g = c.op("<show><system><info/></system></show>").await;
    assert!(
        g.contains("<unexpected-shape>") && !g.contains("<serial>"),
        "{g}"
    );
    // other commands, even in the same family, are untouched
    c.op("<show><session><all/></session></show>").await;
    c.op("<show><system><resources/></system></show>").await;
    h.fail_op("show interface", "huge").unwrap();
    let big = c.op("<show><interface>all</interface></show>").await;
    assert!(big.len() > 10 * 1024 * 1024, "{}", big.len());
    assert!(
        h.fail_op("show x", "explode")
            .unwrap_err()
            .contains("op_fault.kind")
    );
    h.clear_op_faults();
    let s = c.op("<show><session><info/></session></show>").await;
    assert!(s.contains("<num-active>"));
    sim.shutdown().await;
}

const LH: &str = "/config/devices/entry[@name='localhost.localdomain']";

/// The text of `<tag>` in the entry of firewall `serial` under group `group` of a
/// `show devicegroups|templates|template-stack` reply (`None`: not listed).
fn listed(body: &str, group: &str, serial: &str, tag: &str) -> Option<String> {
    let g = body.split(&format!("<entry name=\"{group}\">")).nth(1)?;
    let g = g.split("</devices></entry>").next()?;
    let d = g.split(&format!("<entry name=\"{serial}\">")).nth(1)?;
    let d = d.split("</entry></vsys>").next()?;
    if d.contains(&format!("<{tag}/>")) {
        return Some(String::new());
    }
    texts(d, tag).into_iter().next()
}

#[tokio::test]
async fn device_group_and_template_sync_follow_commits_and_pushes() {
    let sim = start(SimConfig::panorama(2)).await;
    let s = sim.serials();
    let (a, b) = (s[0].as_str(), s[1].as_str());
    let c = Client::login(&sim, "admin", "admin").await;
    let members = format!("<devices><entry name='{a}'/><entry name='{b}'/></devices>");
    c.set(
        &format!("{LH}/device-group"),
        &format!("<entry name='branch'>{members}</entry>"),
    )
    .await;
    let banner = |t: &str| {
        format!(
            "<entry name='T1'><config><devices><entry name='localhost.localdomain'><deviceconfig><system><login-banner>{t}</login-banner></system></deviceconfig></entry></devices></config></entry>"
        )
    };
    c.set(&format!("{LH}/template"), &banner("v1")).await;
    c.set(
        &format!("{LH}/template-stack"),
        &format!("<entry name='S1'><templates><member>T1</member></templates>{members}</entry>"),
    )
    .await;
    c.commit("<commit/>").await;

    // never pushed: out of sync, no last push state
    let dgs = c.op("<show><devicegroups/></show>").await;
    for fw in [a, b] {
        assert_eq!(
            listed(&dgs, "branch", fw, "shared-policy-status").as_deref(),
            Some("Out of Sync"),
            "{dgs}"
        );
        assert_eq!(
            listed(&dgs, "branch", fw, "last-commit-all-state-sp").as_deref(),
            Some(""),
            "{dgs}"
        );
    }
    let tpls = c.op("<show><templates/></show>").await;
    for group in ["T1", "S1"] {
        for fw in [a, b] {
            assert_eq!(
                listed(&tpls, group, fw, "template-status").as_deref(),
                Some("Out of Sync"),
                "{group} {fw}: {tpls}"
            );
        }
    }

    // push the device group: in sync, md5 of the firewall = md5 of the group
    let dg_push = "<commit-all><shared-policy><device-group><entry name='branch'/></device-group></shared-policy></commit-all>";
    assert!(c.push(dg_push).await.contains("<result>OK</result>"));
    let dgs = c.op("<show><devicegroups/></show>").await;
    let group_md5 = dgs
        .split("<entry name=\"branch\"><shared-policy-md5sum>")
        .nth(1)
        .and_then(|x| x.split('<').next())
        .unwrap_or_else(|| panic!("group md5 in {dgs}"))
        .to_string();
    assert_eq!(group_md5.len(), 32, "{dgs}");
    for fw in [a, b] {
        assert_eq!(
            listed(&dgs, "branch", fw, "shared-policy-status").as_deref(),
            Some("In Sync"),
            "{dgs}"
        );
        assert_eq!(
            listed(&dgs, "branch", fw, "last-commit-all-state-sp").as_deref(),
            Some("commit succeeded")
        );
        assert_eq!(
            listed(&dgs, "branch", fw, "shared-policy-md5sum").as_deref(),
            Some(group_md5.as_str())
        );
    }
    // the device listing carries the firewall's md5 and push count, and (as on the devices
    // captured publicly) no status
    let devs = c.op("<show><devices><all/></devices></show>").await;
    assert!(devs.contains(&format!("<shared-policy-md5sum>{group_md5}</shared-policy-md5sum><shared-policy-version>1</shared-policy-version>")), "{devs}");
    assert!(devs.contains("<shared-policy-status/>"), "{devs}");
    // the template push is separate: templates are still out of sync
    let tpls = c.op("<show><template-stack/></show>").await;
    assert_eq!(
        listed(&tpls, "S1", a, "template-status").as_deref(),
        Some("Out of Sync"),
        "{tpls}"
    );

    // a device-group change stays in sync until committed on Panorama
    c.set(
        &format!("{LH}/device-group/entry[@name='branch']/address"),
        "<entry name='web'><ip-netmask>192.0.2.80</ip-netmask></entry>",
    )
    .await;
    let dgs = c.op("<show><devicegroups/></show>").await;
    assert_eq!(
        listed(&dgs, "branch", a, "shared-policy-status").as_deref(),
        Some("In Sync")
    );
    c.commit("<commit/>").await;
    let dgs = c.op("<show><devicegroups/></show>").await;
    for fw in [a, b] {
        assert_eq!(
            listed(&dgs, "branch", fw, "shared-policy-status").as_deref(),
            Some("Out of Sync"),
            "{dgs}"
        );
    }
    // a push to one firewall brings that one back only
    let one = format!(
        "<commit-all><shared-policy><device-group><entry name='branch'><devices><entry name='{a}'/></devices></entry></device-group></shared-policy></commit-all>"
    );
    assert!(c.push(&one).await.contains("<result>OK</result>"));
    let dgs = c.op("<show><devicegroups/></show>").await;
    assert_eq!(
        listed(&dgs, "branch", a, "shared-policy-status").as_deref(),
        Some("In Sync")
    );
    assert_eq!(
        listed(&dgs, "branch", b, "shared-policy-status").as_deref(),
        Some("Out of Sync")
    );
    // a failed push is reported as such, and the firewall stays out of sync
    c.op_target(
        b,
        "<request><commit-lock><add><comment>maint</comment></add></commit-lock></request>",
    )
    .await;
    let failed = c.push(dg_push).await;
    assert!(failed.contains("<result>FAIL</result>"), "{failed}");
    let dgs = c.op("<show><devicegroups/></show>").await;
    assert_eq!(
        listed(&dgs, "branch", b, "last-commit-all-state-sp").as_deref(),
        Some("commit failed")
    );
    assert_eq!(
        listed(&dgs, "branch", b, "shared-policy-status").as_deref(),
        Some("Out of Sync")
    );

    // templates: a stack push brings both in sync, a committed template change undoes it
    let stack_push = "<commit-all><template-stack><name>S1</name></template-stack></commit-all>";
    c.op_target(b, "<request><commit-lock><remove/></commit-lock></request>")
        .await;
    assert!(c.push(stack_push).await.contains("<result>OK</result>"));
    let tpls = c.op("<show><templates/></show>").await;
    for group in ["T1", "S1"] {
        for fw in [a, b] {
            assert_eq!(
                listed(&tpls, group, fw, "template-status").as_deref(),
                Some("In Sync"),
                "{group} {fw}: {tpls}"
            );
            assert_eq!(
                listed(&tpls, group, fw, "last-commit-all-state-tpl").as_deref(),
                Some("commit succeeded")
            );
        }
    }
    c.set(&format!("{LH}/template"), &banner("v2")).await;
    c.commit("<commit/>").await;
    let tpls = c.op("<show><template-stack/></show>").await;
    assert_eq!(
        listed(&tpls, "S1", a, "template-status").as_deref(),
        Some("Out of Sync"),
        "{tpls}"
    );
    assert!(!tpls.contains("<entry name=\"T1\">"), "stacks only: {tpls}");
    // on a firewall these are Panorama-only commands
    let (_, body) = c
        .call_target(a, &[("type", "op"), ("cmd", "<show><templates/></show>")])
        .await;
    assert!(body.contains("status=\"error\""), "{body}");
    sim.shutdown().await;
}
