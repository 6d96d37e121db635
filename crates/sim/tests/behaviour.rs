//! Device behaviour over HTTP: name spaces, template overrides, locks, factory defaults,
//! state-derived op commands, the controllable clock, logs, sessions and pushes.

use std::time::Duration;

mod common;

use common::*;
use panops_sim::{AdminAccount, SimConfig, Simulator};

const LH: &str = "/config/devices/entry[@name='localhost.localdomain']";

fn rule(name: &str) -> String {
    format!(
        "<entry name='{name}'><from><member>trust</member></from><to><member>untrust</member></to><source><member>any</member></source><destination><member>any</member></destination><application><member>any</member></application><service><member>application-default</member></service><action>allow</action></entry>"
    )
}

fn names_in_order(body: &str) -> Vec<String> {
    body.split("name=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .map(str::to_string)
        .collect()
}

fn number(body: &str, tag: &str) -> i64 {
    text_of(body, tag)
        .and_then(|t| t.trim().parse().ok())
        .unwrap_or_else(|| panic!("no numeric <{tag}> in {body}"))
}

/// The `<entry>` of a counter by name in `show counter global`.
fn counter(body: &str, name: &str) -> String {
    entries(body)
        .into_iter()
        .find(|e| e.contains(&format!("<name>{name}</name>")))
        .unwrap_or_else(|| panic!("no counter {name} in {body}"))
}

fn session_ids(body: &str) -> Vec<u64> {
    texts(body, "idx")
        .iter()
        .filter_map(|t| t.parse().ok())
        .collect()
}

#[tokio::test]
async fn addresses_and_groups_share_a_name_space() {
    let sim = start(SimConfig::firewall()).await;
    let c = Client::login(&sim, "admin", "admin").await;
    c.set(
        &format!("{VSYS}/address"),
        "<entry name='web'><ip-netmask>10.1.1.1</ip-netmask></entry>",
    )
    .await;
    let body = c
        .fails(&[
            ("type", "config"),
            ("action", "set"),
            ("xpath", &format!("{VSYS}/address-group")),
            (
                "element",
                "<entry name='web'><static><member>web</member></static></entry>",
            ),
        ])
        .await;
    assert!(
        body.contains("code=\"12\"")
            && body.contains("address-group -> web 'web' is already in use"),
        "{body}"
    );
    let got = c
        .get(&format!("{VSYS}/address-group/entry[@name='web']"))
        .await;
    assert!(got.contains("code=\"7\""), "nothing was created: {got}");
    // the reverse direction, services too; another vsys container (shared) may reuse it
    c.set(&format!("{VSYS}/address-group"), "<entry name='grp'/>")
        .await;
    let body = c
        .fails(&[
            ("type", "config"),
            ("action", "set"),
            ("xpath", &format!("{VSYS}/address/entry[@name='grp']")),
            ("element", "<fqdn>grp.example.com</fqdn>"),
        ])
        .await;
    assert!(body.contains("already in use"), "{body}");
    c.set(
        &format!("{VSYS}/service"),
        "<entry name='svc'><protocol><tcp><port>8080</port></tcp></protocol></entry>",
    )
    .await;
    let body = c
        .fails(&[
            ("type", "config"),
            ("action", "set"),
            ("xpath", &format!("{VSYS}/service-group")),
            (
                "element",
                "<entry name='svc'><members><member>svc</member></members></entry>",
            ),
        ])
        .await;
    assert!(body.contains("service-group -> svc 'svc'"), "{body}");
    c.set("/config/shared/address-group", "<entry name='web'/>")
        .await;
    sim.shutdown().await;
}

#[tokio::test]
async fn override_replaces_a_template_value_which_stays_underneath() {
    let sim = start(SimConfig::panorama(1)).await;
    let fw = sim.serials()[0].clone();
    let c = Client::login(&sim, "admin", "admin").await;
    let banner_tpl = |text: &str| {
        format!(
            "<entry name='T1'><config><devices><entry name='localhost.localdomain'><deviceconfig><system><login-banner>{text}</login-banner></system></deviceconfig></entry></devices></config></entry>"
        )
    };
    c.set(&format!("{LH}/template"), &banner_tpl("from panorama"))
        .await;
    c.set(
        &format!("{LH}/template-stack"),
        &format!(
            "<entry name='S1'><templates><member>T1</member></templates><devices><entry name='{fw}'/></devices></entry>"
        ),
    )
    .await;
    c.commit("<commit/>").await;
    let push = "<commit-all><template-stack><name>S1</name></template-stack></commit-all>";
    assert!(c.push(push).await.contains("<result>OK</result>"));
    let system = format!("{LH}/deviceconfig/system");
    let banner = format!("{system}/login-banner");
    // set of a template value needs an override first
    let (_, body) = c
        .call_target(
            &fw,
            &[
                ("type", "config"),
                ("action", "set"),
                ("xpath", &system),
                ("element", "<login-banner>local</login-banner>"),
            ],
        )
        .await;
    assert!(
        body.contains("set failed, may need to override template object first"),
        "{body}"
    );
    // override of a value no template pushed is refused
    let (_, body) = c
        .call_target(
            &fw,
            &[
                ("type", "config"),
                ("action", "override"),
                ("xpath", &system),
                ("element", "<hostname>edge</hostname>"),
            ],
        )
        .await;
    assert!(
        body.contains("status=\"error\"") && body.contains("is not a template object"),
        "{body}"
    );
    // override of the template value: the local value wins
    let (_, body) = c
        .call_target(
            &fw,
            &[
                ("type", "config"),
                ("action", "override"),
                ("xpath", &system),
                ("element", "<login-banner>local banner</login-banner>"),
            ],
        )
        .await;
    assert!(body.contains("code=\"20\""), "{body}");
    let (_, got) = c
        .call_target(
            &fw,
            &[("type", "config"), ("action", "get"), ("xpath", &banner)],
        )
        .await;
    assert!(got.contains(">local banner<"), "{got}");
    // Panorama changes the template and pushes again: the override stays on top, and the
    // new template value is underneath
    c.set(&format!("{LH}/template"), &banner_tpl("panorama v2"))
        .await;
    c.commit("<commit/>").await;
    assert!(c.push(push).await.contains("<result>OK</result>"));
    let (_, got) = c
        .call_target(
            &fw,
            &[("type", "config"), ("action", "get"), ("xpath", &banner)],
        )
        .await;
    assert!(
        got.contains(">local banner<") && !got.contains("panorama v2"),
        "{got}"
    );
    let (_, pushed) = c
        .call_target(
            &fw,
            &[
                ("type", "op"),
                ("cmd", "<show><config><pushed-template/></config></show>"),
            ],
        )
        .await;
    assert!(pushed.contains("panorama v2"), "{pushed}");
    // deleting the override brings the template value back
    let (_, body) = c
        .call_target(
            &fw,
            &[("type", "config"), ("action", "delete"), ("xpath", &banner)],
        )
        .await;
    assert!(body.contains("code=\"20\""), "{body}");
    let (_, got) = c
        .call_target(
            &fw,
            &[("type", "config"), ("action", "get"), ("xpath", &banner)],
        )
        .await;
    assert!(got.contains(">panorama v2<"), "{got}");
    // Panorama itself has no pushed template values to override
    let body = c
        .fails(&[
            ("type", "config"),
            ("action", "override"),
            ("xpath", "/config/shared"),
            ("element", "<tag><entry name='x'/></tag>"),
        ])
        .await;
    assert!(body.contains("is not a template object"), "{body}");
    sim.shutdown().await;
}

#[tokio::test]
async fn locks_held_by_one_admin_refuse_the_others() {
    let (sim, alice, bob) = firewall_with_alice_and_bob().await;
    let tags = format!("{VSYS}/tag");
    alice
        .op("<request><config-lock><add><comment>editing</comment></add></config-lock></request>")
        .await;
    fn set<'a>(xpath: &'a str, element: &'a str) -> [(&'a str, &'a str); 4] {
        [
            ("type", "config"),
            ("action", "set"),
            ("xpath", xpath),
            ("element", element),
        ]
    }
    let body = bob.fails(&set(&tags, "<entry name='from-bob'/>")).await;
    assert!(body.contains("Configuration is locked by alice"), "{body}");
    alice.set(&tags, "<entry name='from-alice'/>").await;
    let body = bob
        .fails(&[
            ("type", "config"),
            ("action", "multi-config"),
            (
                "element",
                &format!("<multi-config><set id='1' xpath=\"{tags}\"><entry name='m'/></set></multi-config>"),
            ),
        ])
        .await;
    assert!(body.contains("locked by alice"), "{body}");
    alice
        .op("<request><commit-lock><add><comment>change window</comment></add></commit-lock></request>")
        .await;
    let body = bob.fails(&[("type", "commit"), ("cmd", "<commit/>")]).await;
    assert!(
        body.contains("Commit is locked by alice: change window"),
        "{body}"
    );
    let locks = bob.op("<show><commit-locks/></show>").await;
    assert!(locks.contains("<name>alice</name>"), "{locks}");
    // the owner commits, which releases both of her locks
    let fin = alice.commit("<commit/>").await;
    assert!(fin.contains("<result>OK</result>"), "{fin}");
    let locks = bob.op("<show><config-locks/></show>").await;
    assert!(!locks.contains("alice"), "{locks}");
    let locks = bob.op("<show><commit-locks/></show>").await;
    assert!(!locks.contains("alice"), "{locks}");
    bob.set(&tags, "<entry name='from-bob'/>").await;
    // the fault: the next two writes or commits answer the lock error, then all is well
    sim.handle().fail_next_locked(2);
    let body = bob.fails(&set(&tags, "<entry name='x1'/>")).await;
    assert!(
        body.contains("Configuration is locked by other-admin"),
        "{body}"
    );
    let body = bob.fails(&[("type", "commit"), ("cmd", "<commit/>")]).await;
    assert!(
        body.contains("Configuration is locked by other-admin"),
        "{body}"
    );
    bob.set(&tags, "<entry name='x1'/>").await;
    assert!(
        bob.commit("<commit/>")
            .await
            .contains("<result>OK</result>")
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn factory_default_and_predefined_applications() {
    let sim = start(SimConfig::firewall()).await;
    let c = Client::login(&sim, "admin", "admin").await;
    let show = |x: String| {
        let c = &c;
        async move {
            c.ok(&[("type", "config"), ("action", "show"), ("xpath", &x)])
                .await
        }
    };
    let trust = show(format!("{VSYS}/zone/entry[@name='trust']")).await;
    assert!(
        trust.contains("<virtual-wire><member>ethernet1/2</member></virtual-wire>"),
        "{trust}"
    );
    let vwire = show(format!(
        "{LH}/network/virtual-wire/entry[@name='default-vwire']"
    ))
    .await;
    assert!(
        vwire.contains("<interface1>ethernet1/1</interface1>")
            && vwire.contains("<interface2>ethernet1/2</interface2>"),
        "{vwire}"
    );
    let rule1 = show(format!(
        "{VSYS}/rulebase/security/rules/entry[@name='rule1']"
    ))
    .await;
    assert!(
        rule1.contains("<action>allow</action>")
            && rule1.contains("<from><member>trust</member></from>")
            && rule1.contains("<service><member>application-default</member></service>"),
        "{rule1}"
    );
    let admin = show("/config/mgt-config/users/entry[@name='admin']".into()).await;
    assert!(admin.contains("<superuser>yes</superuser>"), "{admin}");
    // interfaces report their zones from the virtual wire
    let ifs = c.op("<show><interface>all</interface></show>").await;
    let ifnet = ifs.split("<hw>").next().unwrap_or("").to_string();
    let e1 = entries(&ifnet)
        .into_iter()
        .find(|e| e.contains("<name>ethernet1/1</name>"))
        .expect("ethernet1/1");
    assert!(e1.contains("<zone>untrust</zone>"), "{e1}");
    assert!(
        entries(&ifnet)
            .iter()
            .any(|e| e.contains("<name>ethernet1/2</name>") && e.contains("<zone>trust</zone>")),
        "{ifs}"
    );
    assert!(ifs.contains("<state>up</state>"), "{ifs}");
    // predefined applications, readable with get and show, never writable
    let names = c.get("/config/predefined/application/entry/@name").await;
    let n: usize = names
        .split("count=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .and_then(|s| s.parse().ok())
        .expect("count");
    assert!(n >= 30, "{names}");
    for app in ["web-browsing", "ssl", "dns", "ping", "ssh", "smtp", "ntp"] {
        assert!(names.contains(&format!("name=\"{app}\"")), "{app}: {names}");
    }
    let ssl = show("/config/predefined/application/entry[@name='ssl']".into()).await;
    assert!(
        ssl.contains("<category>networking</category>")
            && ssl.contains("<subcategory>encrypted-tunnel</subcategory>")
            && ssl.contains("<technology>browser-based</technology>")
            && ssl.contains("<risk>4</risk>")
            && ssl.contains("<default><port><member>tcp/443</member></port></default>"),
        "{ssl}"
    );
    let body = c
        .fails(&[
            ("type", "config"),
            ("action", "set"),
            ("xpath", "/config/predefined/application"),
            ("element", "<entry name='mine'/>"),
        ])
        .await;
    assert!(body.contains("read-only"), "{body}");
    // show config running: the factory layout and committed changes, no annotations,
    // no predefined content
    c.set(
        &format!("{VSYS}/address"),
        "<entry name='committed-1'><ip-netmask>10.2.2.2</ip-netmask></entry>",
    )
    .await;
    c.commit("<commit/>").await;
    let running = c.op("<show><config><running/></config></show>").await;
    assert!(
        running.contains("<entry name=\"rule1\"")
            && running.contains("default-vwire")
            && running.contains("committed-1")
            && !running.contains("admin=\"")
            && !running.contains("<predefined>"),
        "{}",
        &running[..running.len().min(2000)]
    );
    sim.shutdown().await;

    let sim = start(SimConfig::panorama(1)).await;
    let c = Client::login(&sim, "admin", "admin").await;
    let (_, body) = c
        .call(&[
            ("type", "config"),
            ("action", "show"),
            ("xpath", &format!("{LH}/device-group/entry")),
        ])
        .await;
    assert!(
        body.contains("No such node"),
        "no device groups yet: {body}"
    );
    let web = c
        .get("/config/predefined/application/entry[@name='web-browsing']")
        .await;
    assert!(web.contains("<member>tcp/80</member>"), "{web}");
    sim.shutdown().await;
}

#[tokio::test]
async fn high_availability_state_follows_the_configuration() {
    let sim = start(SimConfig::firewall()).await;
    let c = Client::login(&sim, "admin", "admin").await;
    let ha_cmd = "<show><high-availability><state/></high-availability></show>";
    let off = c.op(ha_cmd).await;
    assert!(
        off.contains("<result><enabled>no</enabled></result>"),
        "{off}"
    );
    let ha = format!("{LH}/deviceconfig/high-availability");
    c.set(
        &ha,
        "<enabled>yes</enabled><group><group-id>1</group-id><peer-ip>10.0.0.12</peer-ip><mode><active-passive><passive-link-state>auto</passive-link-state></active-passive></mode><election-option><device-priority>90</device-priority><preemptive>yes</preemptive></election-option><state-synchronization><enabled>yes</enabled></state-synchronization><configuration-synchronization><enabled>yes</enabled></configuration-synchronization></group><interface><ha1><port>management</port></ha1></interface>",
    )
    .await;
    // the candidate change alone does not enable HA
    assert!(c.op(ha_cmd).await.contains("<enabled>no</enabled>"));
    c.commit("<commit/>").await;
    // no device answers at 10.0.0.12: the peer is down and this device active on its own
    let alone = c.op(ha_cmd).await;
    assert_eq!(
        texts(&alone, "state")[..2],
        ["active", "unknown"],
        "{alone}"
    );
    assert_eq!(text_of(&alone, "conn-status").as_deref(), Some("down"));
    assert_eq!(
        text_of(&alone, "running-sync").as_deref(),
        Some("not synchronized")
    );
    // a peer switched on through the control endpoint
    sim.handle()
        .monitor_control(&serde_json::json!({"ha_peer": {"reachable": true}}))
        .unwrap();
    let on = c.op(ha_cmd).await;
    assert!(on.contains("<enabled>yes</enabled>"), "{on}");
    let local = on
        .split("<local-info>")
        .nth(1)
        .and_then(|s| s.split("</local-info>").next())
        .expect("local-info")
        .to_string();
    let peer = on
        .split("<peer-info>")
        .nth(1)
        .and_then(|s| s.split("</peer-info>").next())
        .expect("peer-info")
        .to_string();
    assert_eq!(text_of(&local, "state").as_deref(), Some("active"), "{on}");
    assert_eq!(text_of(&local, "priority").as_deref(), Some("90"));
    assert_eq!(text_of(&local, "preemptive").as_deref(), Some("yes"));
    assert_eq!(text_of(&local, "state-sync").as_deref(), Some("Complete"));
    assert_eq!(text_of(&local, "mode").as_deref(), Some("Active-Passive"));
    assert_eq!(text_of(&peer, "state").as_deref(), Some("passive"), "{on}");
    assert_eq!(text_of(&peer, "mgmt-ip").as_deref(), Some("10.0.0.12"));
    assert_eq!(text_of(&peer, "conn-status").as_deref(), Some("up"));
    assert_eq!(
        text_of(&on, "running-sync").as_deref(),
        Some("synchronized")
    );
    // suspend / functional
    c.op("<request><high-availability><state><suspend/></state></high-availability></request>")
        .await;
    let s = c.op(ha_cmd).await;
    assert_eq!(texts(&s, "state")[..2], ["suspended", "active"], "{s}");
    c.op("<request><high-availability><state><functional/></state></high-availability></request>")
        .await;
    assert_eq!(texts(&c.op(ha_cmd).await, "state")[0], "active");
    // a worse priority than the peer's makes this device passive
    c.set(
        &format!("{ha}/group/election-option"),
        "<device-priority>110</device-priority>",
    )
    .await;
    c.commit("<commit/>").await;
    assert_eq!(
        texts(&c.op(ha_cmd).await, "state")[..2],
        ["passive", "active"]
    );
    sim.shutdown().await;

    // Panorama: the Panorama HA shape, from its own configuration
    let sim = start(SimConfig::panorama(1)).await;
    let c = Client::login(&sim, "admin", "admin").await;
    assert!(
        c.op(ha_cmd)
            .await
            .contains("<result><enabled>no</enabled></result>")
    );
    c.set(
        &format!("{LH}/deviceconfig/high-availability"),
        "<enabled>yes</enabled><peer><ip-address>10.0.0.6</ip-address></peer><election-option><priority>secondary</priority></election-option>",
    )
    .await;
    c.commit("<commit/>").await;
    sim.handle()
        .monitor_control(&serde_json::json!({"ha_peer": {"reachable": true}}))
        .unwrap();
    let on = c.op(ha_cmd).await;
    assert_eq!(
        texts(&on, "state")[..2],
        ["secondary-passive", "primary-active"],
        "{on}"
    );
    assert!(!on.contains("<group>"), "Panorama has no HA group: {on}");
    sim.shutdown().await;
}

#[tokio::test]
async fn environmentals_follow_the_traffic_and_licences_the_clock() {
    let sim = start(SimConfig::firewall()).await;
    let c = Client::login(&sim, "admin", "admin").await;
    let cpu_temp = |body: &str| -> f64 {
        entries(body)
            .into_iter()
            .find(|e| e.contains("Temperature @ CPU"))
            .and_then(|e| text_of(&e, "DegreesC"))
            .and_then(|t| t.parse().ok())
            .unwrap_or_else(|| panic!("no CPU temperature in {body}"))
    };
    let env_cmd = "<show><system><environmentals/></system></show>";
    let busy = c.op(env_cmd).await;
    assert!(
        busy.contains("<RPMs>")
            && busy.contains("<Volts>")
            && busy.contains("<Inserted>True</Inserted>"),
        "{busy}"
    );
    assert!(sim.handle().session_count(None) > 0);
    c.op("<clear><session><all/></session></clear>").await;
    let idle = c.op(env_cmd).await;
    assert!(
        cpu_temp(&idle) < cpu_temp(&busy),
        "no sessions: cooler CPU\n{busy}\n{idle}"
    );

    let lic_cmd = "<request><license><info/></license></request>";
    let feature = |body: &str, name: &str| -> String {
        entries(body)
            .into_iter()
            .find(|e| e.contains(&format!("<feature>{name}</feature>")))
            .unwrap_or_else(|| panic!("no {name} in {body}"))
    };
    let lic = c.op(lic_cmd).await;
    let tp = feature(&lic, "Threat Prevention");
    assert!(tp.contains("<expired>no</expired>"), "{tp}");
    let expires = text_of(&tp, "expires").expect("expires");
    let exp = chrono::NaiveDate::parse_from_str(&expires, "%B %d, %Y").expect("date");
    let today = chrono::Utc::now().date_naive();
    assert!(
        exp > today + chrono::Duration::days(300) && exp < today + chrono::Duration::days(360),
        "{expires}"
    );
    let gp = feature(&lic, "GlobalProtect Gateway");
    assert!(gp.contains("<expired>yes</expired>"), "{gp}");
    assert!(feature(&lic, "PA-VM").contains("<expires>Never</expires>"));
    // a year later the subscriptions have run out
    sim.handle()
        .advance_clock(Duration::from_secs(331 * 86_400));
    let later = c.op(lic_cmd).await;
    assert!(
        feature(&later, "Threat Prevention").contains("<expired>yes</expired>"),
        "{later}"
    );
    assert!(feature(&later, "PA-VM").contains("<expired>no</expired>"));
    sim.shutdown().await;
}

#[tokio::test]
async fn sessions_by_id_and_clearing() {
    let sim = start(SimConfig::firewall()).await;
    let c = Client::login(&sim, "admin", "admin").await;
    let all = c.op("<show><session><all/></session></show>").await;
    let first = entries(&all).into_iter().last().expect("a session");
    let id = text_of(&first, "idx").expect("idx");
    let src = text_of(&first, "source").expect("source");
    let app = text_of(&first, "application").expect("application");
    let one = c
        .op(&format!("<show><session><id>{id}</id></session></show>"))
        .await;
    assert_eq!(text_of(&one, "idx").as_deref(), Some(id.as_str()), "{one}");
    assert_eq!(text_of(&one, "source"), Some(src), "{one}");
    assert_eq!(text_of(&one, "application"), Some(app), "{one}");
    assert_eq!(
        text_of(&one, "security-rule").as_deref(),
        Some("rule1"),
        "sessions match the factory allow rule: {one}"
    );
    let cleared = c
        .op(&format!("<clear><session><id>{id}</id></session></clear>"))
        .await;
    assert!(
        cleared.contains(&format!("session {id} cleared")),
        "{cleared}"
    );
    let body = c
        .fails(&[
            ("type", "op"),
            (
                "cmd",
                &format!("<show><session><id>{id}</id></session></show>"),
            ),
        ])
        .await;
    assert!(body.contains("not found"), "{body}");
    let all = c.op("<show><session><all/></session></show>").await;
    let n: u64 = id.parse().expect("numeric id");
    assert!(!session_ids(&all).contains(&n), "{all}");
    sim.shutdown().await;
}

#[tokio::test]
async fn rule_moves_bottom_and_before() {
    let sim = start(SimConfig::firewall()).await;
    let c = Client::login(&sim, "admin", "admin").await;
    let rules = format!("{VSYS}/rulebase/security/rules");
    c.set(
        &rules,
        &format!("{}{}{}", rule("r1"), rule("r2"), rule("r3")),
    )
    .await;
    let order = || async { names_in_order(&c.get(&format!("{rules}/entry/@name")).await) };
    assert_eq!(order().await, ["rule1", "r1", "r2", "r3"]);
    let mv = |name: &str| format!("{rules}/entry[@name='{name}']");
    let x = mv("r1");
    c.ok(&[
        ("type", "config"),
        ("action", "move"),
        ("xpath", &x),
        ("where", "bottom"),
    ])
    .await;
    assert_eq!(order().await, ["rule1", "r2", "r3", "r1"]);
    let x = mv("r3");
    c.ok(&[
        ("type", "config"),
        ("action", "move"),
        ("xpath", &x),
        ("where", "before"),
        ("dst", "rule1"),
    ])
    .await;
    assert_eq!(order().await, ["r3", "rule1", "r2", "r1"]);
    let x = mv("r2");
    let body = c
        .fails(&[
            ("type", "config"),
            ("action", "move"),
            ("xpath", &x),
            ("where", "before"),
            ("dst", "no-such-rule"),
        ])
        .await;
    assert!(body.contains("no-such-rule"), "{body}");
    assert_eq!(order().await, ["r3", "rule1", "r2", "r1"], "unchanged");
    sim.shutdown().await;
}

#[tokio::test]
async fn force_commit_runs_without_changes() {
    let sim = start(SimConfig::firewall()).await;
    let c = Client::login(&sim, "admin", "admin").await;
    let body = c.ok(&[("type", "commit"), ("cmd", "<commit/>")]).await;
    assert!(body.contains("There are no changes to commit."), "{body}");
    let fin = c.commit("<commit><force></force></commit>").await;
    assert!(
        fin.contains("<type>Commit</type>") && fin.contains("<result>OK</result>"),
        "{fin}"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn template_push_and_a_push_that_fails() {
    let sim = start(SimConfig::panorama(2)).await;
    let serials = sim.serials();
    let c = Client::login(&sim, "admin", "admin").await;
    c.set(
        &format!("{LH}/template"),
        "<entry name='T-only'><config><devices><entry name='localhost.localdomain'><deviceconfig><system><login-banner>single template</login-banner></system></deviceconfig></entry></devices></config></entry>",
    )
    .await;
    c.set(
        &format!("{LH}/template-stack"),
        &format!(
            "<entry name='S'><templates><member>T-only</member></templates><devices><entry name='{}'/></devices></entry>",
            serials[0]
        ),
    )
    .await;
    let devs: String = serials
        .iter()
        .map(|s| format!("<entry name='{s}'/>"))
        .collect();
    c.set(
        DG,
        &format!("<entry name='dg1'><devices>{devs}</devices></entry>"),
    )
    .await;
    c.commit("<commit/>").await;
    // a push of one template reaches the devices of the stacks holding it
    let fin = c
        .push("<commit-all><template><name>T-only</name></template></commit-all>")
        .await;
    assert!(
        fin.contains("<result>OK</result>")
            && fin.contains(&serials[0])
            && !fin.contains(&serials[1]),
        "{fin}"
    );
    let banner = format!("{LH}/deviceconfig/system/login-banner");
    let (_, got) = c
        .call_target(
            &serials[0],
            &[("type", "config"), ("action", "show"), ("xpath", &banner)],
        )
        .await;
    assert!(got.contains("single template"), "{got}");
    // a device-group push that the fault makes fail, with the device's details
    sim.handle().fail_next_jobs(1);
    let dg_push = "<commit-all><shared-policy><device-group><entry name='dg1'/></device-group></shared-policy></commit-all>";
    let fin = c.push(dg_push).await;
    assert!(
        fin.contains("<status>FIN</status>") && fin.contains("<result>FAIL</result>"),
        "{fin}"
    );
    let failed = fin
        .split("<devices>")
        .nth(1)
        .map(entries)
        .unwrap_or_default()
        .into_iter()
        .find(|e| e.contains("<result>FAIL</result>"))
        .unwrap_or_else(|| panic!("a failed device in {fin}"));
    assert!(
        failed.contains("simulated failure") && failed.contains(&serials[0]),
        "{failed}"
    );
    let fin = c.push(dg_push).await;
    assert!(
        fin.contains("<result>OK</result>") && !fin.contains("<result>FAIL</result>"),
        "the fault was used up: {fin}"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn log_paging_and_threat_logs() {
    let sim = start(SimConfig::firewall()).await;
    let c = Client::login(&sim, "admin", "admin").await;
    let seqnos = |body: &str| -> Vec<u64> {
        texts(body, "seqno")
            .iter()
            .filter_map(|s| s.parse().ok())
            .collect()
    };
    // forward (oldest first) is stable while new logs arrive
    let first = seqnos(
        &c.logs(&[("log-type", "traffic"), ("nlogs", "6"), ("dir", "forward")])
            .await,
    );
    assert_eq!(first.len(), 6, "{first:?}");
    let page2 = seqnos(
        &c.logs(&[
            ("log-type", "traffic"),
            ("nlogs", "3"),
            ("skip", "3"),
            ("dir", "forward"),
        ])
        .await,
    );
    assert_eq!(page2, first[3..6], "skip=3 starts at the fourth entry");
    // backward (newest first) pages, pinned by seqno so new arrivals do not shift them
    let newest = seqnos(&c.logs(&[("log-type", "traffic"), ("nlogs", "4")]).await);
    assert!(newest.windows(2).all(|w| w[0] > w[1]), "{newest:?}");
    let pin = format!("(seqno leq {})", newest[0]);
    let shifted = seqnos(
        &c.logs(&[
            ("log-type", "traffic"),
            ("nlogs", "2"),
            ("skip", "2"),
            ("query", &pin),
        ])
        .await,
    );
    assert_eq!(shifted, newest[2..4]);
    // threat logs exist from the traffic model's history
    let threats = c.logs(&[("log-type", "threat"), ("nlogs", "50")]).await;
    let found = entries(threats.split("<logs").nth(1).unwrap_or_default());
    assert!(!found.is_empty(), "{threats}");
    for e in &found {
        let sub = text_of(e, "subtype").unwrap_or_default();
        assert!(
            ["virus", "vulnerability", "spyware"].contains(&sub.as_str()),
            "{e}"
        );
        assert!(text_of(e, "threatid").is_some_and(|t| !t.is_empty()), "{e}");
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn user_id_timeouts_expire_on_the_simulator_clock() {
    let sim = start(SimConfig::firewall()).await;
    let c = Client::login(&sim, "admin", "admin").await;
    let msg = "<uid-message><version>1.0</version><type>update</type><payload><login><entry name='corp\\tim' ip='10.7.7.7' timeout='1'/></login><register><entry ip='10.7.7.8'><tag><member timeout='30'>short</member><member>forever</member></tag></entry></register><register-user><entry user='corp\\tim'><tag><member timeout='45'>watch</member></tag></entry></register-user></payload></uid-message>";
    c.ok(&[("type", "user-id"), ("cmd", msg)]).await;
    let mapping = "<show><user><ip-user-mapping><all/></ip-user-mapping></user></show>";
    let reg_ip = "<show><object><registered-ip><all/></registered-ip></object></show>";
    let reg_user = "<show><object><registered-user><all/></registered-user></object></show>";
    assert!(c.op(mapping).await.contains("corp\\tim"));
    assert!(c.op(reg_ip).await.contains(">short</member>"));
    assert!(c.op(reg_user).await.contains(">watch</member>"));
    sim.handle().advance_clock(Duration::from_secs(31));
    let ips = c.op(reg_ip).await;
    assert!(
        !ips.contains(">short</member>") && ips.contains(">forever</member>"),
        "{ips}"
    );
    assert!(
        c.op(mapping).await.contains("corp\\tim"),
        "a 1-minute login is still there"
    );
    assert!(c.op(reg_user).await.contains(">watch</member>"));
    sim.handle().advance_clock(Duration::from_secs(30));
    assert!(!c.op(mapping).await.contains("corp\\tim"));
    assert!(!c.op(reg_user).await.contains("watch"));
    sim.shutdown().await;
}

#[tokio::test]
async fn counters_and_sessions_change_over_time() {
    let sim = start(SimConfig::firewall()).await;
    let c = Client::login(&sim, "admin", "admin").await;
    let counters = "<show><counter><global/></counter></show>";
    let value = |body: &str, name: &str| number(&counter(body, name), "value");
    let before = c.op(counters).await;
    let sessions_before = session_ids(&c.op("<show><session><all/></session></show>").await);
    assert!(!sessions_before.is_empty());
    sim.handle().advance_clock(Duration::from_secs(400));
    let after = c.op(counters).await;
    assert!(
        value(&after, "pkt_recv") > value(&before, "pkt_recv"),
        "{before}\n{after}"
    );
    assert!(value(&after, "session_freed") > value(&before, "session_freed"));
    let sessions_after = session_ids(&c.op("<show><session><all/></session></show>").await);
    assert!(!sessions_after.is_empty(), "new sessions started");
    assert!(
        sessions_after.iter().all(|s| !sessions_before.contains(s)),
        "every session older than five minutes aged out: {sessions_before:?} {sessions_after:?}"
    );
    // the counter entries carry the fields exporters read
    let e = counter(&after, "pkt_recv");
    for f in ["category", "severity", "rate", "aspect", "desc", "id"] {
        assert!(e.contains(&format!("<{f}>")), "{f} in {e}");
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn op_commands_report_live_content() {
    let sim = start(SimConfig::firewall()).await;
    let c = Client::login(&sim, "admin", "admin").await;
    let rm = c
        .op("<show><running><resource-monitor><second><last>1</last></second></resource-monitor></running></show>")
        .await;
    let cores = texts(&rm, "coreid");
    assert_eq!(
        cores,
        ["0", "1", "0", "1"],
        "average and maximum per core: {rm}"
    );
    for v in texts(&rm, "value") {
        let v = v.trim_end_matches('%');
        assert!(
            v.split(',')
                .all(|x| x.parse::<u32>().is_ok_and(|n| n <= 100)),
            "{v} in {rm}"
        );
    }
    assert!(rm.contains("<name>session (average)</name>"), "{rm}");
    let info = c.op("<show><session><info/></session></show>").await;
    let active = number(&info, "num-active");
    assert!(active > 0, "{info}");
    assert_eq!(number(&info, "num-max"), 256_000);
    assert_eq!(
        number(&info, "num-tcp") + number(&info, "num-udp") + number(&info, "num-icmp"),
        active,
        "{info}"
    );
    let uid = "<uid-message><version>1.0</version><type>update</type><payload><login><entry name='corp\\ann' ip='10.4.4.4' timeout='30'/></login></payload></uid-message>";
    c.ok(&[("type", "user-id"), ("cmd", uid)]).await;
    let attrs = c
        .op("<show><user><user-attributes><user>all</user></user-attributes></user></show>")
        .await;
    assert!(
        attrs.contains("corp\\ann") && attrs.contains("ip: 10.4.4.4") && attrs.contains("Total: 1"),
        "{attrs}"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn certificate_import_into_a_vsys() {
    let sim = start(SimConfig::firewall()).await;
    let c = Client::login(&sim, "admin", "admin").await;
    let mut params =
        rcgen::CertificateParams::new(vec!["vsys-cert.example".to_string()]).expect("params");
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "vsys-cert.example");
    let key = rcgen::KeyPair::generate().expect("key");
    let cert = params.self_signed(&key).expect("cert");
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(cert.pem().into_bytes()).file_name("c.pem"),
    );
    let body = c
        .http
        .post(format!("{}/api/", c.url))
        .header("X-PAN-KEY", &c.key)
        .query(&[
            ("type", "import"),
            ("category", "certificate"),
            ("certificate-name", "vsys-cert"),
            ("format", "pem"),
            ("vsys", "vsys1"),
        ])
        .multipart(form)
        .send()
        .await
        .expect("upload")
        .text()
        .await
        .expect("body");
    assert!(body.contains("Successfully imported vsys-cert"), "{body}");
    let got = c
        .get(&format!("{VSYS}/certificate/entry[@name='vsys-cert']"))
        .await;
    assert!(
        got.contains("<common-name>vsys-cert.example</common-name>"),
        "{got}"
    );
    let shared = c
        .get("/config/shared/certificate/entry[@name='vsys-cert']")
        .await;
    assert!(shared.contains("code=\"7\""), "not in shared: {shared}");
    sim.shutdown().await;
}

#[tokio::test]
async fn keygen_by_get_and_seeded_configuration() {
    let sim = start(SimConfig::firewall()).await;
    let http = reqwest::Client::new();
    let body = http
        .get(format!(
            "{}/api/?type=keygen&user=admin&password=admin",
            sim.url()
        ))
        .send()
        .await
        .expect("keygen")
        .text()
        .await
        .expect("body");
    let key = text_of(&body, "key").expect("a key");
    assert!(key.starts_with("LUFRPT"), "{body}");
    let info = http
        .get(format!("{}/api/", sim.url()))
        .query(&[
            ("type", "op"),
            ("cmd", "<show><system><info/></system></show>"),
            ("key", key.as_str()),
        ])
        .send()
        .await
        .expect("op")
        .text()
        .await
        .expect("body");
    assert_eq!(
        text_of(&info, "serial"),
        Some(sim.serials()[0].clone()),
        "{info}"
    );

    let h = sim.handle();
    let addr = format!("{VSYS}/address");
    h.seed_config(
        None,
        &addr,
        "<entry name='seeded'><ip-netmask>10.5.5.5</ip-netmask></entry>",
    )
    .expect("seed");
    assert!(
        h.seed_config(Some("nope"), &addr, "<entry name='x'/>")
            .is_err()
    );
    let e = h
        .seed_config(
            None,
            &addr,
            "<entry name='bad'><ip-netmask>300.1.1.1</ip-netmask></entry>",
        )
        .expect_err("validated");
    assert!(e.contains("not a valid"), "{e}");
    let c = Client {
        http,
        url: sim.url(),
        key,
    };
    let running = c
        .ok(&[
            ("type", "config"),
            ("action", "show"),
            ("xpath", &format!("{addr}/entry[@name='seeded']")),
        ])
        .await;
    assert!(
        running.contains("10.5.5.5") && !running.contains("admin="),
        "{running}"
    );
    assert!(
        c.get(&format!("{addr}/entry[@name='seeded']"))
            .await
            .contains("10.5.5.5")
    );
    assert!(
        c.get(&format!("{addr}/entry[@name='bad']"))
            .await
            .contains("code=\"7\"")
    );
    assert!(
        c.op("<check><pending-changes/></check>")
            .await
            .contains("<result>no</result>"),
        "seeding is not a pending change"
    );
    let xml = h
        .config_xml(None, true, &format!("{addr}/entry[@name='seeded']"))
        .expect("running xml");
    assert!(xml.contains("10.5.5.5"), "{xml}");
    // show config candidate has uncommitted changes, running does not
    c.set(
        &addr,
        "<entry name='cand-1'><fqdn>cand.example.com</fqdn></entry>",
    )
    .await;
    let cand = c
        .op("<show><config><candidate><xpath>devices/entry/vsys/entry/address/entry[@name='cand-1']</xpath></candidate></config></show>")
        .await;
    assert!(
        cand.contains("cand.example.com") && !cand.contains("admin="),
        "{cand}"
    );
    let body = c
        .fails(&[
            ("type", "op"),
            ("cmd", "<show><config><running><xpath>devices/entry/vsys/entry/address/entry[@name='cand-1']</xpath></running></config></show>"),
        ])
        .await;
    assert!(body.contains("No such node"), "{body}");
    sim.shutdown().await;
}

#[tokio::test]
async fn read_only_admins_run_read_only_requests() {
    let sim = start(
        SimConfig::firewall()
            .admin(AdminAccount::new("admin", "pw"))
            .admin(AdminAccount::read_only("viewer", "pw2")),
    )
    .await;
    let ro = Client::login(&sim, "viewer", "pw2").await;
    let lic = ro.op("<request><license><info/></license></request>").await;
    assert!(
        lic.contains("<feature>Threat Prevention</feature>"),
        "{lic}"
    );
    for cmd in [
        "<request><restart><system/></restart></request>",
        "<request><high-availability><state><suspend/></state></high-availability></request>",
    ] {
        let body = ro.fails(&[("type", "op"), ("cmd", cmd)]).await;
        assert!(body.contains("code=\"16\""), "{cmd}: {body}");
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn listens_on_a_host_name() {
    let sim = Simulator::start(SimConfig::firewall().plain().listen("localhost:0"))
        .await
        .expect("localhost resolves");
    assert!(sim.url().starts_with("http://127.0.0.1:"), "{}", sim.url());
    let c = Client::login(&sim, "admin", "admin").await;
    c.op("<show><clock/></show>").await;
    sim.shutdown().await;
    let e = Simulator::start(SimConfig::firewall().plain().listen("no-port-here"))
        .await
        .expect_err("needs a port");
    assert!(e.to_string().contains("--listen"), "{e}");
}

#[tokio::test]
async fn a_firewall_belongs_to_one_device_group_and_one_template_stack() {
    let sim = start(SimConfig::panorama(2)).await;
    let admin = Client::login(&sim, "admin", "admin").await;
    let serial = sim.serials()[0].clone();
    let other = sim.serials()[1].clone();
    let dg = format!("{LH}/device-group");
    admin
        .set(
            &dg,
            &format!("<entry name='dg-a'><devices><entry name='{serial}'/></devices></entry>"),
        )
        .await;
    // a second group with the same firewall: refused, naming both groups; nothing stored
    let refused = admin
        .fails(&[
            ("type", "config"),
            ("action", "set"),
            ("xpath", &dg),
            (
                "element",
                &format!("<entry name='dg-b'><devices><entry name='{serial}'/></devices></entry>"),
            ),
        ])
        .await;
    assert!(
        refused.contains("code=\"12\"") && refused.contains(&serial) && refused.contains("'dg-a'"),
        "{refused}"
    );
    assert!(!admin.get(&dg).await.contains("dg-b"));
    // the same through the group's devices node, and through multi-config
    admin.set(&dg, "<entry name='dg-b'/>").await;
    admin
        .fails(&[
            ("type", "config"),
            ("action", "set"),
            ("xpath", &format!("{dg}/entry[@name='dg-b']/devices")),
            ("element", &format!("<entry name='{serial}'/>")),
        ])
        .await;
    let multi = format!(
        "<multi-configure-request><set id='1' xpath=\"{dg}/entry[@name='dg-b']/devices\"><entry name='{other}'/></set><set id='2' xpath=\"{dg}/entry[@name='dg-b']/devices\"><entry name='{serial}'/></set></multi-configure-request>"
    );
    admin
        .fails(&[
            ("type", "config"),
            ("action", "multi-config"),
            ("element", &multi),
        ])
        .await;
    let groups = admin.get(&dg).await;
    assert!(
        !groups.contains(&other),
        "the failed multi-config left nothing: {groups}"
    );
    // a firewall in no group can join one
    admin
        .set(
            &format!("{dg}/entry[@name='dg-b']/devices"),
            &format!("<entry name='{other}'/>"),
        )
        .await;

    let ts = format!("{LH}/template-stack");
    admin
        .set(
            &ts,
            &format!("<entry name='ts-a'><devices><entry name='{serial}'/></devices></entry>"),
        )
        .await;
    let refused = admin
        .fails(&[
            ("type", "config"),
            ("action", "set"),
            ("xpath", &ts),
            (
                "element",
                &format!("<entry name='ts-b'><devices><entry name='{serial}'/></devices></entry>"),
            ),
        ])
        .await;
    assert!(refused.contains("template stack 'ts-a'"), "{refused}");
}

#[tokio::test]
async fn show_without_xpath_is_the_whole_running_configuration() {
    let sim = start(SimConfig::firewall()).await;
    let admin = Client::login(&sim, "admin", "admin").await;
    let whole = admin.ok(&[("type", "config"), ("action", "show")]).await;
    assert!(
        whole.contains("<config version=")
            && whole.contains("<mgt-config>")
            && whole.contains("<devices>"),
        "{}",
        &whole[..whole.len().min(400)]
    );
    // get (the candidate) still needs an xpath, as on the device
    admin.fails(&[("type", "config"), ("action", "get")]).await;
}

#[tokio::test]
async fn show_jobs_processed_lists_finished_jobs_only() {
    let sim = start(SimConfig::firewall().job_duration(Duration::from_millis(1500))).await;
    let admin = Client::login(&sim, "admin", "admin").await;
    admin
        .set(
            "/config/devices/entry[@name='localhost.localdomain']/vsys/entry[@name='vsys1']/tag",
            "<entry name='jobs-t'/>",
        )
        .await;
    let id = job_id(&admin.ok(&[("type", "commit"), ("cmd", "<commit/>")]).await);
    let tag = format!("<id>{id}</id>");
    let pending = admin.op("<show><jobs><pending/></jobs></show>").await;
    let processed = admin.op("<show><jobs><processed/></jobs></show>").await;
    assert!(pending.contains(&tag), "{pending}");
    assert!(
        !processed.contains(&tag),
        "a running job is not processed: {processed}"
    );
    admin.wait_job(&id, None).await;
    let processed = admin.op("<show><jobs><processed/></jobs></show>").await;
    let pending = admin.op("<show><jobs><pending/></jobs></show>").await;
    assert!(
        processed.contains(&tag) && !pending.contains(&tag),
        "{processed}"
    );
}
