//! The simulator as a guest-access agent sees it: session filters that filter, clears that
//! remove, User-ID login/logout with per-entry errors, vsys scope, roles and `target=`.

mod common;

use common::{Client, entries, start, text_of};
use panops_sim::{AdminAccount, SimConfig};

const VSYS_ROOT: &str = "/config/devices/entry[@name='localhost.localdomain']/vsys";

fn uid(payload: &str) -> String {
    format!(
        "<uid-message><version>1.0</version><type>update</type><payload>{payload}</payload></uid-message>"
    )
}

fn sessions_of(ip: &str, extra: &str) -> String {
    format!(
        "<show><session><all><filter><source>{ip}</source>{extra}</filter></all></session></show>"
    )
}

#[tokio::test]
async fn session_filters_are_honoured() {
    let sim = start(SimConfig::firewall()).await;
    let c = Client::login(&sim, "admin", "admin").await;
    let h = sim.handle();
    let ip = "10.9.0.5";
    h.open_session(None, ip, "203.0.113.10", 6, 443, "vsys1")
        .unwrap();
    h.open_session(None, ip, "198.51.100.53", 17, 53, "vsys1")
        .unwrap();
    h.open_session(None, ip, "198.51.100.54", 47, 0, "vsys1")
        .unwrap();
    h.open_session(None, "10.9.0.6", "203.0.113.10", 6, 443, "vsys1")
        .unwrap();

    let all = c.op(&sessions_of(ip, "")).await;
    assert_eq!(entries(&all).len(), 3, "{all}");
    // protocol numbers other than TCP/UDP are shown and filtered as themselves (GRE = 47)
    let gre = c.op(&sessions_of(ip, "<protocol>47</protocol>")).await;
    assert_eq!(entries(&gre).len(), 1, "{gre}");
    assert_eq!(text_of(&gre, "proto").as_deref(), Some("47"));
    let icmp = c.op(&sessions_of(ip, "<protocol>1</protocol>")).await;
    assert!(entries(&icmp).is_empty(), "{icmp}");
    let count = c.op(&sessions_of(ip, "<count>yes</count>")).await;
    assert_eq!(text_of(&count, "member").as_deref(), Some("3"), "{count}");
    let dst = c
        .op(&sessions_of(
            ip,
            "<destination>203.0.113.10</destination><count>yes</count>",
        ))
        .await;
    assert_eq!(text_of(&dst, "member").as_deref(), Some("1"), "{dst}");
    // the new sessions carry no bytes yet: min-kb 1 excludes them
    let big = c
        .op(&sessions_of(ip, "<min-kb>1</min-kb><count>yes</count>"))
        .await;
    assert_eq!(text_of(&big, "member").as_deref(), Some("0"), "{big}");
    let predict = c
        .op(&sessions_of(ip, "<type>predict</type><count>yes</count>"))
        .await;
    assert_eq!(
        text_of(&predict, "member").as_deref(),
        Some("0"),
        "{predict}"
    );
    let flow = c
        .op(&sessions_of(ip, "<type>flow</type><count>yes</count>"))
        .await;
    assert_eq!(text_of(&flow, "member").as_deref(), Some("3"), "{flow}");
    let other_vsys = c
        .op(&sessions_of(ip, "<vsys>vsys2</vsys><count>yes</count>"))
        .await;
    assert_eq!(
        text_of(&other_vsys, "member").as_deref(),
        Some("0"),
        "{other_vsys}"
    );

    // bad filter values and unknown filters are refused, naming them
    let bad = c
        .fails(&[("type", "op"), ("cmd", &sessions_of("10.9.0.300", ""))])
        .await;
    assert!(bad.contains("10.9.0.300"), "{bad}");
    let bad = c
        .fails(&[
            ("type", "op"),
            ("cmd", &sessions_of(ip, "<colour>red</colour>")),
        ])
        .await;
    assert!(bad.contains("colour"), "{bad}");
    let bad = c
        .fails(&[
            ("type", "op"),
            ("cmd", &sessions_of(ip, "<min-kb>lots</min-kb>")),
        ])
        .await;
    assert!(bad.contains("min-kb"), "{bad}");
    sim.shutdown().await;
}

#[tokio::test]
async fn clearing_sessions_removes_them() {
    let sim = start(SimConfig::firewall()).await;
    let c = Client::login(&sim, "admin", "admin").await;
    let h = sim.handle();
    let ip = "10.9.1.5";
    let first = h
        .open_session(None, ip, "203.0.113.10", 6, 443, "vsys1")
        .unwrap();
    h.open_session(None, ip, "203.0.113.25", 6, 80, "vsys1")
        .unwrap();
    h.open_session(None, ip, "8.8.8.8", 17, 53, "vsys1")
        .unwrap();
    h.open_session(None, "10.9.1.6", "8.8.8.8", 17, 53, "vsys1")
        .unwrap();

    let one = c
        .op(&format!(
            "<clear><session><id>{first}</id></session></clear>"
        ))
        .await;
    assert!(one.contains(&format!("session {first} cleared")), "{one}");
    assert_eq!(h.sessions_from(None, ip), 2);
    let again = c
        .fails(&[
            ("type", "op"),
            (
                "cmd",
                &format!("<clear><session><id>{first}</id></session></clear>"),
            ),
        ])
        .await;
    assert!(again.contains("not found"), "{again}");

    let by_filter = c
        .op(&format!(
            "<clear><session><all><filter><source>{ip}</source></filter></all></session></clear>"
        ))
        .await;
    assert!(by_filter.contains("2 sessions cleared"), "{by_filter}");
    assert_eq!(h.sessions_from(None, ip), 0);
    assert_eq!(
        h.sessions_from(None, "10.9.1.6"),
        1,
        "other visitors keep theirs"
    );
    let count = c.op(&sessions_of(ip, "<count>yes</count>")).await;
    assert_eq!(text_of(&count, "member").as_deref(), Some("0"));
    sim.shutdown().await;
}

#[tokio::test]
async fn login_logout_and_per_entry_errors() {
    let sim = start(SimConfig::firewall()).await;
    let c = Client::login(&sim, "admin", "admin").await;
    let h = sim.handle();
    c.ok(&[("type", "user-id"), ("cmd", &uid("<login><entry name='guest-1' ip='10.9.2.1' timeout='30'/><entry name='guest-2' ip='10.9.2.2'/></login>"))])
        .await;
    assert_eq!(h.mapping(None, "10.9.2.1").unwrap().0, "guest-1");
    let one = c
        .op("<show><user><ip-user-mapping><ip>10.9.2.1</ip></ip-user-mapping></user></show>")
        .await;
    assert_eq!(entries(&one).len(), 1, "{one}");
    assert_eq!(text_of(&one, "max_timeout_s").as_deref(), Some("1800"));
    let all = c
        .op("<show><user><ip-user-mapping><all/></ip-user-mapping></user></show>")
        .await;
    assert_eq!(entries(&all).len(), 2, "{all}");

    // unusable entries are reported per entry; the usable ones in the same message apply
    let body = c
        .fails(&[("type", "user-id"), ("cmd", &uid("<login><entry name='guest-3' ip='10.9.2.300'/><entry ip='10.9.2.4'/><entry name='guest-5' ip='10.9.2.5' timeout='soon'/><entry name='guest-6' ip='10.9.2.6'/></login><logout><entry name='guest-1'/></logout>"))])
        .await;
    assert!(body.contains("Invalid IP address 10.9.2.300"), "{body}");
    assert!(body.contains("entry requires name and ip"), "{body}");
    assert!(body.contains("Invalid timeout soon"), "{body}");
    assert!(body.contains("entry requires ip"), "{body}");
    assert!(h.mapping(None, "10.9.2.6").is_some());
    assert!(h.mapping(None, "10.9.2.5").is_none());

    // logout by IP with and without the user; a wrong user leaves the mapping
    c.ok(&[
        ("type", "user-id"),
        (
            "cmd",
            &uid("<logout><entry name='someone-else' ip='10.9.2.1'/></logout>"),
        ),
    ])
    .await;
    assert!(h.mapping(None, "10.9.2.1").is_some());
    c.ok(&[
        ("type", "user-id"),
        (
            "cmd",
            &uid("<logout><entry name='guest-1' ip='10.9.2.1'/><entry ip='10.9.2.2'/></logout>"),
        ),
    ])
    .await;
    assert!(h.mapping(None, "10.9.2.1").is_none());
    assert!(h.mapping(None, "10.9.2.2").is_none());
    // logging out again is not an error
    c.ok(&[
        ("type", "user-id"),
        (
            "cmd",
            &uid("<logout><entry name='guest-1' ip='10.9.2.1'/></logout>"),
        ),
    ])
    .await;
    let none = c
        .op("<show><user><ip-user-mapping><ip>10.9.2.1</ip></ip-user-mapping></user></show>")
        .await;
    assert!(entries(&none).is_empty(), "{none}");

    // registered tags for a dynamic address group
    c.ok(&[("type", "user-id"), ("cmd", &uid("<register><entry ip='10.9.2.6'><tag><member timeout='3600'>guest</member></tag></entry></register>"))]).await;
    let reg = c
        .op("<show><object><registered-ip><ip>10.9.2.6</ip></registered-ip></object></show>")
        .await;
    assert!(reg.contains(">guest</member>"), "{reg}");
    sim.shutdown().await;
}

#[tokio::test]
async fn vsys_scope_and_roles() {
    let sim = start(
        SimConfig::firewall()
            .admin(AdminAccount::new("admin", "admin"))
            .admin(AdminAccount::user_id_only("agent", "a"))
            .admin(AdminAccount::read_only("viewer", "v")),
    )
    .await;
    let admin = Client::login(&sim, "admin", "admin").await;
    admin
        .set(
            VSYS_ROOT,
            "<entry name='vsys2'><display-name>guests</display-name></entry>",
        )
        .await;
    admin.commit("<commit/>").await;
    let h = sim.handle();

    admin
        .ok(&[
            ("type", "user-id"),
            ("vsys", "vsys2"),
            (
                "cmd",
                &uid("<login><entry name='g' ip='10.9.3.1'/></login>"),
            ),
        ])
        .await;
    assert_eq!(h.mapping(None, "10.9.3.1").unwrap().1, "vsys2");
    let v1 = admin
        .ok(&[
            ("type", "op"),
            ("vsys", "vsys1"),
            (
                "cmd",
                "<show><user><ip-user-mapping><all/></ip-user-mapping></user></show>",
            ),
        ])
        .await;
    assert!(entries(&v1).is_empty(), "{v1}");
    // a logout in the wrong vsys does not touch the vsys2 mapping
    admin
        .ok(&[
            ("type", "user-id"),
            (
                "cmd",
                &uid("<logout><entry name='g' ip='10.9.3.1'/></logout>"),
            ),
        ])
        .await;
    assert!(h.mapping(None, "10.9.3.1").is_some());
    let bad = admin
        .fails(&[
            ("type", "user-id"),
            ("vsys", "vsys9"),
            ("cmd", &uid("<logout><entry ip='10.9.3.1'/></logout>")),
        ])
        .await;
    assert!(bad.contains("vsys9") && bad.contains("vsys2"), "{bad}");

    // the User-ID-only role may log users in and out and read, but not clear sessions
    let agent = Client::login(&sim, "agent", "a").await;
    agent
        .ok(&[
            ("type", "user-id"),
            ("vsys", "vsys2"),
            ("cmd", &uid("<logout><entry ip='10.9.3.1'/></logout>")),
        ])
        .await;
    assert!(h.mapping(None, "10.9.3.1").is_none());
    agent.op(&sessions_of("10.9.3.1", "")).await;
    let refused = agent
        .fails(&[("type", "op"), ("cmd", "<clear><session><all><filter><source>10.9.3.1</source></filter></all></session></clear>")])
        .await;
    assert!(
        refused.contains("code=\"16\"") && refused.contains("User-ID"),
        "{refused}"
    );
    let viewer = Client::login(&sim, "viewer", "v").await;
    let refused = viewer
        .fails(&[
            ("type", "user-id"),
            (
                "cmd",
                &uid("<login><entry name='g' ip='10.9.3.2'/></login>"),
            ),
        ])
        .await;
    assert!(refused.contains("read-only"), "{refused}");
    sim.shutdown().await;
}

#[tokio::test]
async fn through_panorama_with_target() {
    let sim = start(SimConfig::panorama(2)).await;
    let c = Client::login(&sim, "admin", "admin").await;
    let serials = sim.handle().serials();
    let fw = serials[1].as_str();
    let h = sim.handle();
    h.open_session(Some(fw), "10.9.4.1", "203.0.113.10", 6, 443, "vsys1")
        .unwrap();
    let (_, body) = c
        .call_target(
            fw,
            &[
                ("type", "user-id"),
                (
                    "cmd",
                    &uid("<login><entry name='g' ip='10.9.4.1'/></login>"),
                ),
            ],
        )
        .await;
    assert!(body.contains("success"), "{body}");
    assert!(h.mapping(Some(fw), "10.9.4.1").is_some());
    assert!(h.mapping(Some(serials[0].as_str()), "10.9.4.1").is_none());
    let cleared = c
        .op_target(fw, "<clear><session><all><filter><source>10.9.4.1</source></filter></all></session></clear>")
        .await;
    assert!(cleared.contains("1 sessions cleared"), "{cleared}");
    assert_eq!(h.sessions_from(Some(fw), "10.9.4.1"), 0);
    // without target= Panorama itself refuses User-ID messages
    let refused = c
        .fails(&[
            ("type", "user-id"),
            (
                "cmd",
                &uid("<login><entry name='g' ip='10.9.4.2'/></login>"),
            ),
        ])
        .await;
    assert!(refused.contains("target"), "{refused}");
    sim.shutdown().await;
}

#[tokio::test]
async fn the_session_table_pages_by_start_at() {
    let sim = start(SimConfig::firewall()).await;
    let c = Client::login(&sim, "admin", "admin").await;
    let h = sim.handle();
    let before = h.session_count(None);
    for i in 0..1100u32 {
        h.open_session(
            None,
            &format!("10.9.5.{}", i % 200 + 1),
            "203.0.113.10",
            6,
            443,
            "vsys1",
        )
        .unwrap();
    }
    let total = before + 1100;
    let first = c.op("<show><session><all/></session></show>").await;
    assert_eq!(entries(&first).len(), 1024);
    let rest = c
        .op("<show><session><all><start-at>1025</start-at></all></session></show>")
        .await;
    assert!(
        entries(&rest).len() + 1024 >= total - 5 && !entries(&rest).is_empty(),
        "{} + 1024 of {total}",
        entries(&rest).len()
    );
    let bad = c
        .fails(&[
            ("type", "op"),
            (
                "cmd",
                "<show><session><all><start-at>x</start-at></all></session></show>",
            ),
        ])
        .await;
    assert!(bad.contains("start-at"), "{bad}");
    sim.shutdown().await;
}
