//! Op commands over HTTP: the grammar refuses words the device does not know, naming where it
//! stopped, and the commands public tools send are answered from the simulator's state.

mod common;

use common::{Client, entries, start, text_of, texts};
use panops_sim::SimConfig;

async fn firewall() -> (panops_sim::RunningSim, Client) {
    let sim = start(SimConfig::firewall()).await;
    let c = Client::login(&sim, "admin", "admin").await;
    (sim, c)
}

/// The text of the error reply's single `<msg><line>`, as a client parser reads it.
fn error_line(body: &str) -> String {
    let doc = panops_sim::xml::parse(body).expect("reply is XML");
    assert_eq!(doc.attr("status"), Some("error"), "{body}");
    assert_eq!(doc.attr("code"), Some("17"), "{body}");
    doc.find_text("msg/line").expect("a msg line").to_string()
}

fn op(cmd: &str) -> [(&str, &str); 2] {
    [("type", "op"), ("cmd", cmd)]
}

#[tokio::test]
async fn unknown_and_extra_words_get_the_devices_error() {
    let (sim, c) = firewall().await;
    let typo = c.fails(&op("<show><sytem><info/></sytem></show>")).await;
    assert_eq!(error_line(&typo), " show -> sytem  is unexpected");
    let extra = c
        .fails(&op("<show><system><info><bogus/></info></system></show>"))
        .await;
    assert_eq!(
        error_line(&extra),
        " show -> system -> info -> bogus  is unexpected"
    );
    let text = c.fails(&op("<show><clock>more</clock></show>")).await;
    assert_eq!(error_line(&text), " show -> clock has unexpected text.");
    // a routing subcommand the device does not have is refused, not answered with routes
    let bad = c
        .fails(&op("<show><routing><rute/></routing></show>"))
        .await;
    assert_eq!(error_line(&bad), " show -> routing -> rute  is unexpected");
    // the same commands spelt right are answered
    c.op("<show><system><info/></system></show>").await;
    c.op("<show><clock/></show>").await;
    sim.shutdown().await;
}

const DAY: std::time::Duration = std::time::Duration::from_secs(86_400);

#[tokio::test]
async fn content_and_software_releases_follow_the_simulator_clock() {
    let (sim, c) = firewall().await;
    let cmd = "<request><content><upgrade><check/></upgrade></content></request>";
    let first = c.op(cmd).await;
    let versions = texts(&first, "version");
    // the installed release is listed current, the one before previous, both downloaded
    let installed = entries(&first)
        .into_iter()
        .find(|e| e.contains("<current>yes</current>"))
        .expect("a current release");
    assert!(
        installed.contains("<version>8841-8997</version>"),
        "{installed}"
    );
    assert!(installed.contains("<downloaded>yes</downloaded>"));
    // three weeks later the update server has published three more releases, but `info` still
    // shows the list of the last check until the next `check`
    sim.handle().advance_clock(DAY * 21);
    let cached = c
        .op("<request><content><upgrade><info/></upgrade></content></request>")
        .await;
    assert_eq!(texts(&cached, "version"), versions);
    let later = c.op(cmd).await;
    let newer = texts(&later, "version");
    assert_eq!(newer.len(), versions.len() + 3, "{newer:?}");
    assert_eq!(newer.last().map(String::as_str), Some("8844-9012"));
    // release dates are on the simulator clock: the newest is at most a week old
    let newest = texts(&later, "released-on").pop().expect("a date");
    let at = chrono::NaiveDateTime::parse_from_str(&newest, "%Y/%m/%d %H:%M:%S UTC")
        .expect("date format")
        .and_utc();
    let now = chrono::Utc::now() + chrono::Duration::days(21);
    assert!(
        now - at <= chrono::Duration::days(7) && at <= now,
        "{newest}"
    );

    // software: 11.1.3 is out at boot; 11.1.4 appears 34 days after boot
    let sw = "<request><system><software><check/></software></system></request>";
    let before = c.op(sw).await;
    assert!(!before.contains("<version>11.1.4</version>"), "{before}");
    sim.handle().advance_clock(DAY * 14);
    let after = c.op(sw).await;
    let latest: Vec<String> = entries(&after)
        .into_iter()
        .filter(|e| e.contains("<latest>yes</latest>"))
        .collect();
    assert_eq!(latest.len(), 1);
    assert!(latest[0].contains("<version>11.1.4</version>"), "{after}");
    assert!(after.contains("<version>11.1.2</version><filename>PanOS_vm-11.1.2</filename>"));
    sim.shutdown().await;
}

const RULES: &str = "/config/devices/entry[@name='localhost.localdomain']/vsys/entry[@name='vsys1']/rulebase/security/rules";

async fn match_rules(c: &Client, args: &str) -> Vec<String> {
    let body = c
        .op(&format!(
            "<test><security-policy-match>{args}</security-policy-match></test>"
        ))
        .await;
    entries(&body)
        .iter()
        .map(|e| e.split('"').nth(1).unwrap_or("").to_string())
        .collect()
}

#[tokio::test]
async fn security_policy_match_evaluates_the_running_rulebase() {
    let (sim, c) = firewall().await;
    c.ok(&[("type", "config"), ("action", "delete"), ("xpath", RULES)])
        .await;
    c.set(&format!("{}/vsys/entry[@name='vsys1']", &RULES[..RULES.find("/vsys").unwrap()]),
        "<address><entry name=\"db\"><ip-netmask>10.2.0.0/16</ip-netmask></entry><entry name=\"jump\"><ip-range>10.3.0.1-10.3.0.9</ip-range></entry></address><address-group><entry name=\"servers\"><static><member>db</member><member>jump</member></static></entry></address-group><service><entry name=\"tcp-8443\"><protocol><tcp><port>8000-8443</port></tcp></protocol></entry></service>",
    )
    .await;
    c.set(
        RULES,
        "<entry name=\"no-ssh-to-servers\"><from><member>trust</member></from><to><member>untrust</member></to><source><member>any</member></source><destination><member>servers</member></destination><source-user><member>any</member></source-user><category><member>any</member></category><application><member>ssh</member></application><service><member>application-default</member></service><action>deny</action></entry>\
         <entry name=\"not-from-lab\"><from><member>any</member></from><to><member>any</member></to><source><member>192.168.0.0/16</member></source><negate-source>yes</negate-source><destination><member>any</member></destination><source-user><member>any</member></source-user><category><member>any</member></category><application><member>any</member></application><service><member>tcp-8443</member></service><action>allow</action></entry>\
         <entry name=\"off\"><from><member>any</member></from><to><member>any</member></to><source><member>any</member></source><destination><member>any</member></destination><source-user><member>any</member></source-user><category><member>any</member></category><application><member>any</member></application><service><member>any</member></service><action>allow</action><disabled>yes</disabled></entry>",
    )
    .await;
    c.commit("<commit></commit>").await;
    let base = "<from>trust</from><to>untrust</to><protocol>6</protocol>";
    // ssh to a group member on its default port: the deny rule
    assert_eq!(
        match_rules(&c, &format!("{base}<source>10.0.0.1</source><destination>10.3.0.5</destination><destination-port>22</destination-port><application>ssh</application>")).await,
        ["no-ssh-to-servers"]
    );
    // ssh on another port is not application-default; 8080 is in tcp-8443 and the source is
    // outside the negated lab range
    assert_eq!(
        match_rules(&c, &format!("{base}<source>10.0.0.1</source><destination>10.3.0.5</destination><destination-port>8080</destination-port><application>ssh</application>")).await,
        ["not-from-lab"]
    );
    // from the lab range the negation excludes it; the disabled rule never matches
    assert_eq!(
        match_rules(&c, &format!("{base}<source>192.168.1.1</source><destination>10.3.0.5</destination><destination-port>8080</destination-port><application>web-browsing</application>")).await,
        ["interzone-default"]
    );
    // outside the group's range the deny rule does not apply; show-all lists up to the allow
    assert_eq!(
        match_rules(&c, &format!("{base}<source>10.0.0.1</source><destination>10.2.9.9</destination><destination-port>8443</destination-port><application>ssh</application><show-all>yes</show-all>")).await,
        ["not-from-lab"]
    );
    assert_eq!(
        match_rules(&c, "<from>trust</from><to>trust</to><protocol>17</protocol><source>10.0.0.1</source><destination>10.0.0.2</destination><destination-port>53</destination-port>").await,
        ["intrazone-default"]
    );
    // bad input gets an error naming the argument
    let bad = c
        .fails(&op("<test><security-policy-match><source>10.0.0.x</source><destination>10.0.0.2</destination><protocol>6</protocol></security-policy-match></test>"))
        .await;
    assert!(error_line(&bad).contains("source '10.0.0.x'"), "{bad}");
    let missing = c
        .fails(&op("<test><security-policy-match><source>10.0.0.1</source><destination>10.0.0.2</destination></security-policy-match></test>"))
        .await;
    assert!(error_line(&missing).contains("protocol"), "{missing}");
    let typo = c
        .fails(&op(
            "<test><security-policy-match><sauce>10.0.0.1</sauce></security-policy-match></test>",
        ))
        .await;
    assert_eq!(
        error_line(&typo),
        " test -> security-policy-match -> sauce  is unexpected"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn ntp_and_clock_more_come_from_config_and_clock() {
    let (sim, c) = firewall().await;
    let none = c.op("<show><ntp/></show>").await;
    assert!(
        none.contains("<synched>LOCAL</synched>") && !none.contains("ntp-server-1"),
        "{none}"
    );
    c.set(
        "/config/devices/entry[@name='localhost.localdomain']/deviceconfig/system/ntp-servers",
        "<primary-ntp-server><ntp-server-address>time.example.net</ntp-server-address><authentication-type><symmetric-key/></authentication-type></primary-ntp-server>",
    )
    .await;
    // the candidate is not what runs
    assert!(
        c.op("<show><ntp/></show>")
            .await
            .contains("<synched>LOCAL</synched>")
    );
    c.commit("<commit></commit>").await;
    let set = c.op("<show><ntp/></show>").await;
    assert!(set.contains("<ntp-server-1><authentication-type>symmetric-key</authentication-type><name>time.example.net</name>"), "{set}");
    assert!(set.contains("<synched>time.example.net</synched>"), "{set}");
    sim.handle().advance_clock(DAY * 400);
    let more = c.op("<show><clock><more/></clock></show>").await;
    let year = (chrono::Utc::now() + chrono::Duration::days(400))
        .format("%Y")
        .to_string();
    assert!(
        more.contains("dataplane time: ") && more.contains(&year),
        "{more}"
    );
    sim.shutdown().await;
}

fn hit_entry(body: &str, rule: &str) -> Option<String> {
    body.split(&format!("<entry name=\"{rule}\">"))
        .nth(1)
        .and_then(|s| s.split("</entry>").next())
        .map(str::to_string)
}

fn num(entry: &str, tag: &str) -> u64 {
    common::text_of(entry, tag)
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| panic!("no {tag} in {entry}"))
}

#[tokio::test]
async fn rule_hit_count_counts_sessions_under_each_rule() {
    let (sim, c) = firewall().await;
    c.ok(&[("type", "config"), ("action", "delete"), ("xpath", RULES)])
        .await;
    c.set(
        RULES,
        "<entry name=\"deny-x\"><from><member>any</member></from><to><member>any</member></to><source><member>192.168.0.0/16</member></source><destination><member>any</member></destination><application><member>any</member></application><service><member>any</member></service><action>deny</action></entry>\
         <entry name=\"allow-a\"><from><member>any</member></from><to><member>any</member></to><source><member>any</member></source><destination><member>any</member></destination><application><member>any</member></application><service><member>any</member></service><action>allow</action></entry>",
    )
    .await;
    c.commit("<commit></commit>").await;
    let t0 = chrono::Utc::now().timestamp() as u64;
    let h = sim.handle();
    assert!(
        h.open_session(None, "10.0.0.1", "10.9.9.9", 6, 443, "vsys1")
            .is_some()
    );
    assert!(
        h.open_session(None, "10.0.0.2", "10.9.9.9", 6, 443, "vsys1")
            .is_some()
    );
    // the policy denies the lab range: no session, one hit on the deny rule
    assert!(
        h.open_session(None, "192.168.1.1", "10.9.9.9", 6, 443, "vsys1")
            .is_none()
    );
    let cmd = |rules: &str| {
        format!(
            "<show><rule-hit-count><vsys><vsys-name><entry name=\"vsys1\"><rule-base><entry name=\"security\"><rules>{rules}</rules></entry></rule-base></entry></vsys-name></vsys></rule-hit-count></show>"
        )
    };
    let all = c.op(&cmd("<all/>")).await;
    let a = hit_entry(&all, "allow-a").expect("allow-a listed");
    let x = hit_entry(&all, "deny-x").expect("deny-x listed");
    // the sessions opened ran under the allow rule; the denied flow counted on the deny rule
    let count = num(&a, "hit-count");
    assert!(count >= 2, "{a}");
    assert_eq!(num(&x, "hit-count"), 1, "{x}");
    assert!(
        num(&x, "first-hit-timestamp") >= t0.saturating_sub(2),
        "{x}"
    );
    let first = num(&a, "first-hit-timestamp");
    assert!(
        first >= t0.saturating_sub(2) && num(&a, "last-hit-timestamp") >= first,
        "{a}"
    );
    assert!(num(&a, "rule-creation-timestamp") > 0);
    // later hits move the last-hit time on the simulator clock, not the first
    h.advance_clock(std::time::Duration::from_secs(1000));
    h.open_session(None, "10.0.0.3", "10.9.9.9", 6, 443, "vsys1");
    let one = c.op(&cmd("<list><member>allow-a</member></list>")).await;
    assert!(
        hit_entry(&one, "deny-x").is_none(),
        "only the rule asked for: {one}"
    );
    let a2 = hit_entry(&one, "allow-a").expect("allow-a");
    assert!(num(&a2, "hit-count") > count, "{a2}");
    assert_eq!(num(&a2, "first-hit-timestamp"), first);
    assert!(num(&a2, "last-hit-timestamp") >= t0 + 1000, "{a2}");
    // the rule-name form names rules as entries
    let named = c
        .op(&cmd("<rule-name><entry name=\"deny-x\"/></rule-name>"))
        .await;
    assert!(hit_entry(&named, "deny-x").is_some() && hit_entry(&named, "allow-a").is_none());
    // a rule that does not exist: the device's empty answer
    let (_, none) = c
        .call(&op(&cmd("<list><member>nope</member></list>")))
        .await;
    assert_eq!(
        none,
        "<response status=\"success\" code=\"7\"><result total-count=\"0\" count=\"0\"/></response>"
    );
    // a vsys the firewall does not have, a rulebase that does not exist
    let bad = c.fails(&op(&cmd("<all/>").replace("vsys1", "vsys9"))).await;
    assert!(error_line(&bad).contains("vsys9"), "{bad}");
    let bad_rb = c
        .fails(&op(&cmd("<all/>").replace("\"security\"", "\"secur\"")))
        .await;
    assert!(
        error_line(&bad_rb).contains("'secur' is not a valid rulebase"),
        "{bad_rb}"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn show_routing_route_and_fib_honour_their_arguments() {
    let (sim, c) = firewall().await;
    let vr = "/config/devices/entry[@name='localhost.localdomain']/network/virtual-router";
    c.set(
        vr,
        "<entry name=\"default\"><routing-table><ip><static-route><entry name=\"to-a\"><destination>10.0.0.0/8</destination><nexthop><ip-address>192.168.1.1</ip-address></nexthop><metric>20</metric><interface>ethernet1/1</interface></entry></static-route></ip></routing-table></entry>\
         <entry name=\"vr2\"><routing-table><ip><static-route><entry name=\"to-b\"><destination>172.16.0.0/12</destination><nexthop><ip-address>192.168.2.1</ip-address></nexthop></entry></static-route></ip></routing-table></entry>",
    )
    .await;
    c.commit("<commit></commit>").await;
    let route = |args: &str| format!("<show><routing><route>{args}</route></routing></show>");
    let dests = |body: &str| texts(body, "destination");
    let vr2 = c
        .op(&route(
            "<type>static</type><virtual-router>vr2</virtual-router>",
        ))
        .await;
    assert_eq!(dests(&vr2), ["172.16.0.0/12"], "{vr2}");
    let by_dest = c.op(&route("<destination>10.0.0.0/8</destination>")).await;
    assert_eq!(dests(&by_dest), ["10.0.0.0/8"], "{by_dest}");
    assert!(by_dest.contains("<metric>20</metric>"));
    let connected = c.op(&route("<type>connect</type>")).await;
    assert!(
        !dests(&connected)
            .iter()
            .any(|d| d == "10.0.0.0/8" || d == "172.16.0.0/12"),
        "{connected}"
    );
    let all = c.op(&route("")).await;
    assert!(dests(&all).len() >= 2);
    let bad = c.fails(&op(&route("<type>bogus</type>"))).await;
    assert!(error_line(&bad).contains("'bogus'"), "{bad}");
    // the FIB: one table per virtual router, gateway routes flagged ug with their next hop
    let fib = c.op("<show><routing><fib/></routing></show>").await;
    assert!(
        fib.contains("<vr>default</vr>") && fib.contains("<vr>vr2</vr>"),
        "{fib}"
    );
    assert!(
        fib.contains("<dst>172.16.0.0/12</dst><interface></interface><nh_type>0</nh_type><flags>ug</flags><nexthop>192.168.2.1</nexthop>"),
        "{fib}"
    );
    let extra = c
        .fails(&op("<show><routing><fib><x/></fib></routing></show>"))
        .await;
    assert_eq!(
        error_line(&extra),
        " show -> routing -> fib -> x  is unexpected"
    );
    sim.shutdown().await;
}

const DEVICE: &str = "/config/devices/entry[@name='localhost.localdomain']";

/// The CDATA text of a text reply.
fn result_text(body: &str) -> String {
    let doc = panops_sim::xml::parse(body).expect("reply is XML");
    doc.find_text("result").unwrap_or("").to_string()
}

#[tokio::test]
async fn system_state_filter_matches_keys_and_says_no_matches() {
    let (sim, c) = firewall().await;
    let mp = result_text(
        &c.op("<show><system><state><filter>sys.monitor.*.mp.exports</filter></state></system></show>")
            .await,
    );
    assert!(
        mp.starts_with("sys.monitor.s0.mp.exports: { 'cpu': { '1minavg': "),
        "{mp}"
    );
    assert!(!mp.contains("sw.dev.interface.config"), "{mp}");
    // a pattern that matches nothing is the device's NO_MATCHES line, not every key
    let none = result_text(
        &c.op("<show><system><state><filter>sys.nothing.*</filter></state></system></show>")
            .await,
    );
    assert_eq!(none.trim(), "'sys.nothing.*': NO_MATCHES");
    // interfaces from the configuration: their MTU, and subinterfaces without one
    c.set(
        &format!("{DEVICE}/network/interface/ethernet/entry[@name='ethernet1/2']/layer3"),
        "<mtu>1400</mtu><units><entry name='ethernet1/2.7'><tag>7</tag></entry></units>",
    )
    .await;
    c.commit("<commit></commit>").await;
    let ifs = result_text(
        &c.op(
            "<show><system><state><filter>sw.dev.interface.config</filter></state></system></show>",
        )
        .await,
    );
    assert!(
        ifs.contains("'ethernet1/1': { 'hwaddr': 00:50:56:00:01:00, 'mtu': 1500, }"),
        "{ifs}"
    );
    assert!(
        ifs.contains("'ethernet1/2': { 'hwaddr': 00:50:56:00:01:01, 'mtu': 1400, }"),
        "{ifs}"
    );
    assert!(ifs.contains("'ethernet1/2.7': { }"), "{ifs}");
    // filter-pretty: the same keys, one item per line
    let pretty = result_text(
        &c.op("<show><system><state><filter-pretty>sw.dev.interface.config</filter-pretty></state></system></show>")
            .await,
    );
    assert!(pretty.lines().count() > ifs.lines().count(), "{pretty}");
    assert!(pretty.contains("'mtu': 1400,"), "{pretty}");
    // an empty pattern and an unknown word are refused
    let empty = c
        .fails(&op(
            "<show><system><state><filter></filter></state></system></show>",
        ))
        .await;
    assert!(
        error_line(&empty).contains("needs to have non NULL value"),
        "{empty}"
    );
    let bad = c
        .fails(&op(
            "<show><system><state><filtr>x</filtr></state></system></show>",
        ))
        .await;
    assert_eq!(
        error_line(&bad),
        " show -> system -> state -> filtr  is unexpected"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn running_tunnel_flow_honours_name_and_id() {
    let (sim, c) = firewall().await;
    let all = c
        .op("<show><running><tunnel><flow><all/></flow></tunnel></running></show>")
        .await;
    assert_eq!(text_of(&all, "num_ipsec").as_deref(), Some("1"), "{all}");
    assert_eq!(text_of(&all, "state").as_deref(), Some("active"), "{all}");
    assert!(all.contains("<GlobalProtect-site-to-site/>"), "{all}");
    let by_name = c
        .op("<show><running><tunnel><flow><name>to-branch</name></flow></tunnel></running></show>")
        .await;
    assert_eq!(texts(&by_name, "name"), ["to-branch"]);
    let by_id = c
        .op("<show><running><tunnel><flow><tunnel-id>1</tunnel-id></flow></tunnel></running></show>")
        .await;
    assert_eq!(text_of(&by_id, "total").as_deref(), Some("1"));
    for cmd in [
        "<show><running><tunnel><flow><name>nope</name></flow></tunnel></running></show>",
        "<show><running><tunnel><flow><tunnel-id>9</tunnel-id></flow></tunnel></running></show>",
        "<show><running><tunnel><flow><tunnel-id>x</tunnel-id></flow></tunnel></running></show>",
    ] {
        c.fails(&op(cmd)).await;
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn session_meter_counts_sessions_per_vsys_against_the_limit() {
    let (sim, c) = firewall().await;
    let cmd = "<show><session><meter/></session></show>";
    let body = c.op(cmd).await;
    let current: usize = text_of(&body, "current").unwrap().parse().unwrap();
    assert_eq!(current, sim.handle().session_count(None), "{body}");
    assert_eq!(text_of(&body, "maximum").as_deref(), Some("0"), "{body}");
    c.set(
        &format!("{DEVICE}/vsys/entry[@name='vsys1']/import/resource"),
        "<max-sessions>5000</max-sessions>",
    )
    .await;
    c.commit("<commit></commit>").await;
    let body = c.op(cmd).await;
    assert_eq!(text_of(&body, "maximum").as_deref(), Some("5000"), "{body}");
    assert_eq!(text_of(&body, "vsys").as_deref(), Some("1"), "{body}");
    sim.shutdown().await;
}

#[tokio::test]
async fn interface_hardware_lists_links_and_follows_link_state() {
    let (sim, c) = firewall().await;
    let cmd = "<show><interface>hardware</interface></show>";
    let hw = c.op(cmd).await;
    assert!(!hw.contains("<ifnet>"), "{hw}");
    assert_eq!(texts(&hw, "state"), ["up", "up"], "{hw}");
    c.set(
        &format!("{DEVICE}/network/interface/ethernet/entry[@name='ethernet1/2']"),
        "<link-state>down</link-state>",
    )
    .await;
    // the running configuration counts
    assert_eq!(texts(&c.op(cmd).await, "state"), ["up", "up"]);
    c.commit("<commit></commit>").await;
    assert_eq!(texts(&c.op(cmd).await, "state"), ["up", "down"]);
    let one = c
        .op("<show><interface>ethernet1/2</interface></show>")
        .await;
    assert!(one.contains("<state>down</state>"), "{one}");
    sim.shutdown().await;
}

#[tokio::test]
async fn panorama_status_names_the_managing_panorama() {
    let sim = start(SimConfig::panorama(1)).await;
    let c = Client::login(&sim, "admin", "admin").await;
    let serial = sim.handle().serials()[0].clone();
    let body = c
        .op_target(&serial, "<show><panorama-status/></show>")
        .await;
    let text = result_text(&body);
    assert!(text.starts_with("Panorama Server 1 : 10.0.0.5\n"), "{text}");
    assert!(text.contains("Connected     : yes"), "{text}");
    // a second server from the configuration is listed, and never connected
    c.call_target(
        &serial,
        &[
            ("type", "config"),
            ("action", "set"),
            (
                "xpath",
                &format!("{DEVICE}/deviceconfig/system/panorama/local-panorama"),
            ),
            (
                "element",
                "<panorama-server-2>192.0.2.20</panorama-server-2>",
            ),
        ],
    )
    .await;
    let (_, b) = c
        .call_target(&serial, &[("type", "commit"), ("cmd", "<commit/>")])
        .await;
    c.wait_job(&common::job_id(&b), Some(&serial)).await;
    let text = result_text(
        &c.op_target(&serial, "<show><panorama-status/></show>")
            .await,
    );
    assert!(
        text.contains("Panorama Server 2 : 192.0.2.20\n    Connected     : no"),
        "{text}"
    );
    // Panorama itself has no Panorama
    c.fails(&op("<show><panorama-status/></show>")).await;
    sim.shutdown().await;
}

#[tokio::test]
async fn jumbo_frame_and_support_follow_config_and_licences() {
    let (sim, c) = firewall().await;
    let cmd = "<show><system><setting><jumbo-frame/></setting></system></show>";
    assert_eq!(result_text(&c.op(cmd).await), "off");
    c.set(
        &format!("{DEVICE}/deviceconfig/setting/jumbo-frame"),
        "<mtu>9000</mtu>",
    )
    .await;
    c.commit("<commit></commit>").await;
    assert_eq!(result_text(&c.op(cmd).await), "on");
    let one = c
        .op("<show><interface>ethernet1/1</interface></show>")
        .await;
    assert!(one.contains("<mtu>9000</mtu>"), "{one}");
    // the support licence's end date, as `request license info` gives it
    let support = c.op("<request><support><check/></support></request>").await;
    let lic = c.op("<request><license><info/></license></request>").await;
    let premium = entries(&lic)
        .into_iter()
        .find(|e| e.contains("<feature>Premium</feature>"))
        .unwrap();
    assert_eq!(
        text_of(&support, "ExpiryDate"),
        text_of(&premium, "expires"),
        "{support}"
    );
    assert_eq!(
        text_of(&support, "SupportLevel").as_deref(),
        Some("Premium")
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn advanced_routing_answers_once_the_engine_is_enabled() {
    let (sim, c) = firewall().await;
    let route = "<show><advanced-routing><route/></advanced-routing></show>";
    // the legacy engine (factory state) has no advanced-routing commands
    let legacy = c.fails(&op(route)).await;
    assert_eq!(
        error_line(&legacy),
        " show -> advanced-routing  is unexpected"
    );
    let info = c.op("<show><system><info/></system></show>").await;
    assert_eq!(text_of(&info, "advanced-routing").as_deref(), Some("off"));
    c.set(
        &format!("{DEVICE}/deviceconfig/setting"),
        "<advance-routing>yes</advance-routing>",
    )
    .await;
    c.set(
        &format!("{DEVICE}/network/interface/ethernet/entry[@name='ethernet1/1']/layer3/ip"),
        "<entry name='198.51.100.2/24'/>",
    )
    .await;
    c.set(
        &format!("{DEVICE}/network/logical-router/entry[@name='lr-edge']/vrf/entry[@name='default']"),
        "<interface><member>ethernet1/1</member></interface><routing-table><ip><static-route><entry name='default'><destination>0.0.0.0/0</destination><interface>ethernet1/1</interface><nexthop><ip-address>198.51.100.1</ip-address></nexthop><metric>20</metric></entry></static-route></ip></routing-table>",
    )
    .await;
    c.commit("<commit></commit>").await;
    let info = c.op("<show><system><info/></system></show>").await;
    assert_eq!(text_of(&info, "advanced-routing").as_deref(), Some("on"));
    let body = c.op(route).await;
    let json: serde_json::Value =
        serde_json::from_str(&result_text_of(&body, "json")).expect("json");
    let lr = &json["lr-edge"];
    let default = &lr["0.0.0.0/0"][0];
    assert_eq!(default["protocol"], "static");
    assert_eq!(default["metric"], 20);
    assert_eq!(default["distance"], 10);
    assert_eq!(default["nexthops"][0]["ip"], "198.51.100.1");
    assert_eq!(default["nexthops"][0]["interfaceName"], "ethernet1/1");
    let connected = &lr["198.51.100.0/24"][0];
    assert_eq!(connected["protocol"], "connected");
    assert_eq!(connected["nexthops"][0]["directlyConnected"], true);
    // arguments filter
    let statics = c
        .op("<show><advanced-routing><route><type>static</type></route></advanced-routing></show>")
        .await;
    let json: serde_json::Value = serde_json::from_str(&result_text_of(&statics, "json")).unwrap();
    assert_eq!(json["lr-edge"].as_object().unwrap().len(), 1, "{json}");
    let other = c
        .op("<show><advanced-routing><route><logical-router>nope</logical-router></route></advanced-routing></show>")
        .await;
    assert_eq!(result_text_of(&other, "json"), "{}");
    // the FIB: IPv4 and IPv6 tables of the logical router, the gateway route flagged ug
    let fib = c
        .op("<show><advanced-routing><fib/></advanced-routing></show>")
        .await;
    assert_eq!(texts(&fib, "vr"), ["lr-edge", "lr-edge"], "{fib}");
    assert!(
        fib.contains("<dst>0.0.0.0/0</dst><interface>ethernet1/1</interface><nh_type>0</nh_type><flags>ug</flags><nexthop>198.51.100.1</nexthop>"),
        "{fib}"
    );
    sim.shutdown().await;
}

/// The text of `<tag>` of a reply, unescaped.
fn result_text_of(body: &str, tag: &str) -> String {
    let doc = panops_sim::xml::parse(body).expect("reply is XML");
    doc.find_text(&format!("result/{tag}"))
        .unwrap_or("")
        .to_string()
}
