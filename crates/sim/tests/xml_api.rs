//! Client ↔ simulator tests over HTTP on port 0.

use std::time::Duration;

mod common;

use common::*;
use panops_sim::{AdminAccount, Faults, SimConfig, Simulator};

#[tokio::test]
async fn config_semantics() {
    let sim = start(SimConfig::firewall()).await;
    let c = Client::login(&sim, "admin", "admin").await;
    let addr = format!("{VSYS}/address");
    let a = format!("{addr}/entry[@name='a']");
    // get of a missing node: success with code 7; show: No such node
    let body = c
        .ok(&[("type", "config"), ("action", "get"), ("xpath", &a)])
        .await;
    assert!(body.contains("code=\"7\""), "{body}");
    let (_, body) = c
        .call(&[("type", "config"), ("action", "show"), ("xpath", &a)])
        .await;
    assert!(
        body.contains("status=\"error\"") && body.contains("No such node"),
        "{body}"
    );
    // set → code 20, get → code 19 with admin/time attributes
    let body = c
        .ok(&[
            ("type", "config"),
            ("action", "set"),
            ("xpath", &addr),
            ("element", "<entry name='a'><ip-netmask>10.0.0.1/32</ip-netmask></entry><entry name=\"its\"><fqdn>x.example.com</fqdn></entry>"),
        ])
        .await;
    assert!(body.contains("code=\"20\""), "{body}");
    let body = c
        .ok(&[("type", "config"), ("action", "get"), ("xpath", &a)])
        .await;
    assert!(
        body.contains("code=\"19\"")
            && body.contains("admin=\"admin\"")
            && body.contains("time=\""),
        "{body}"
    );
    // either quote style and concat() select the entry with an apostrophe
    for x in [
        format!("{addr}/entry[@name=\"its\"]"),
        format!("{addr}/entry[@name=concat('it', \"s\")]"),
    ] {
        let body = c
            .ok(&[("type", "config"), ("action", "get"), ("xpath", &x)])
            .await;
        assert!(body.contains("x.example.com"), "{body}");
    }
    // or-list and @name projection
    let body = c
        .ok(&[
            ("type", "config"),
            ("action", "get"),
            (
                "xpath",
                &format!("{addr}/entry[@name='a' or @name=\"its\"]/@name"),
            ),
        ])
        .await;
    assert!(
        body.contains("count=\"2\"") && !body.contains("ip-netmask"),
        "{body}"
    );
    // edit replaces the node
    c.ok(&[
        ("type", "config"),
        ("action", "edit"),
        ("xpath", &a),
        (
            "element",
            "<entry name='a'><ip-range>10.0.0.1-10.0.0.9</ip-range></entry>",
        ),
    ])
    .await;
    let body = c
        .ok(&[("type", "config"), ("action", "get"), ("xpath", &a)])
        .await;
    assert!(
        body.contains("ip-range") && !body.contains("ip-netmask"),
        "{body}"
    );
    // validation: bad format, long names, bad characters
    let (_, body) = c
        .call(&[
            ("type", "config"),
            ("action", "set"),
            ("xpath", &addr),
            (
                "element",
                "<entry name='b'><ip-netmask>300.1.1.1</ip-netmask></entry>",
            ),
        ])
        .await;
    assert!(
        body.contains("status=\"error\"") && body.contains("not a valid ip-netmask"),
        "{body}"
    );
    let long = "n".repeat(64);
    let (_, body) = c
        .call(&[
            ("type", "config"),
            ("action", "set"),
            ("xpath", &addr),
            (
                "element",
                &format!("<entry name='{long}'><fqdn>a.b</fqdn></entry>"),
            ),
        ])
        .await;
    assert!(
        body.contains("can be at most 63 characters, but current length: 64"),
        "{body}"
    );
    let (_, body) = c
        .call(&[
            ("type", "config"),
            ("action", "set"),
            ("xpath", &format!("{addr}/entry[@name='x'' or ''1''=''1']")),
            ("element", "<fqdn>a.b</fqdn>"),
        ])
        .await;
    assert!(body.contains("status=\"error\""), "{body}");
    // malformed xpath → code 6, never a 500
    let (status, body) = c
        .call(&[
            ("type", "config"),
            ("action", "get"),
            ("xpath", "/config/shared/address/entry[@name='a"),
        ])
        .await;
    assert_eq!(status, 200);
    assert!(body.contains("code=\"6\""), "{body}");
    // delete a referenced object → code 10 naming the referrer
    c.ok(&[
        ("type", "config"),
        ("action", "set"),
        ("xpath", &format!("{VSYS}/address-group")),
        (
            "element",
            "<entry name='grp'><static><member>a</member></static></entry>",
        ),
    ])
    .await;
    let (_, body) = c
        .call(&[("type", "config"), ("action", "delete"), ("xpath", &a)])
        .await;
    assert!(
        body.contains("code=\"10\"") && body.contains("grp"),
        "{body}"
    );
    // rename follows references
    c.ok(&[
        ("type", "config"),
        ("action", "rename"),
        ("xpath", &a),
        ("newname", "a2"),
    ])
    .await;
    let body = c
        .ok(&[
            ("type", "config"),
            ("action", "get"),
            ("xpath", &format!("{VSYS}/address-group")),
        ])
        .await;
    assert!(body.contains("<member>a2</member>"), "{body}");
    // multi-config is all-or-nothing with per-request results
    let (_, body) = c
        .call(&[
            ("type", "config"),
            ("action", "multi-config"),
            (
                "element",
                &format!("<multi-config><set id='1' xpath=\"{addr}\"><entry name='m1'><fqdn>m1.example</fqdn></entry></set><set id='2' xpath=\"{addr}\"><entry name='m2'><ip-netmask>bad</ip-netmask></entry></set></multi-config>"),
            ),
        ])
        .await;
    assert!(
        body.starts_with("<response status=\"error\"")
            && body.contains("id=\"1\"")
            && body.contains("id=\"2\""),
        "{body}"
    );
    let body = c
        .ok(&[
            ("type", "config"),
            ("action", "get"),
            ("xpath", &format!("{addr}/entry[@name='m1']")),
        ])
        .await;
    assert!(body.contains("code=\"7\""), "rolled back: {body}");
    let body = c
        .ok(&[
            ("type", "config"),
            ("action", "multi-config"),
            ("element", &format!("<multi-config><set id='1' xpath=\"{addr}\"><entry name='m1'><fqdn>m1.example</fqdn></entry></set><delete id='2' xpath=\"{addr}/entry[@name='m1']\"/></multi-config>")),
        ])
        .await;
    assert_eq!(body.matches("code=\"20\"").count(), 3, "{body}");
    sim.shutdown().await;
}

#[tokio::test]
async fn commit_job_progresses_and_updates_running() {
    let sim = start(SimConfig::firewall()).await;
    let c = Client::login(&sim, "admin", "admin").await;
    let body = c
        .ok(&[("type", "commit"), ("cmd", "<commit></commit>")])
        .await;
    assert!(body.contains("There are no changes to commit."), "{body}");
    c.ok(&[
        ("type", "config"),
        ("action", "set"),
        ("xpath", &format!("{VSYS}/tag")),
        ("element", "<entry name='t1'/>"),
    ])
    .await;
    assert!(
        c.op("<check><pending-changes/></check>")
            .await
            .contains("<result>yes</result>")
    );
    let body = c
        .ok(&[
            ("type", "commit"),
            ("cmd", "<commit><description>first</description></commit>"),
        ])
        .await;
    assert!(body.contains("Commit job enqueued with jobid"), "{body}");
    let id = job_id(&body);
    let first = c
        .op(&format!("<show><jobs><id>{id}</id></jobs></show>"))
        .await;
    assert!(
        first.contains("<status>ACT</status>") || first.contains("<status>PEND</status>"),
        "{first}"
    );
    assert!(first.contains("<tfin>Still Active</tfin>"), "{first}");
    let fin = c.wait_job(&id, None).await;
    assert!(
        fin.contains("<result>OK</result>")
            && fin.contains("<progress>100</progress>")
            && fin.contains("<description>first</description>"),
        "{fin}"
    );
    let body = c
        .ok(&[
            ("type", "config"),
            ("action", "show"),
            ("xpath", &format!("{VSYS}/tag/entry[@name='t1']")),
        ])
        .await;
    assert!(
        !body.contains("admin="),
        "running has no annotations: {body}"
    );
    let (_, body) = c
        .call(&[
            ("type", "op"),
            ("cmd", "<show><jobs><id>999</id></jobs></show>"),
        ])
        .await;
    assert!(body.contains("job 999 not found"), "{body}");
    let all = c.op("<show><jobs><all/></jobs></show>").await;
    assert!(all.contains(&format!("<id>{id}</id>")));
    // validate-only job
    let fin = c
        .commit("<commit><validate><full/></validate></commit>")
        .await;
    assert!(
        fin.contains("<type>Validate</type>") && fin.contains("Configuration is valid"),
        "{fin}"
    );
    // commit locks block other admins
    c.op("<request><commit-lock><add><comment>maint</comment></add></commit-lock></request>")
        .await;
    let locks = c.op("<show><commit-locks/></show>").await;
    assert!(locks.contains("maint"), "{locks}");
    c.op("<request><commit-lock><remove/></commit-lock></request>")
        .await;
    // config log has the commit
    let q = c
        .ok(&[("type", "log"), ("log-type", "config"), ("nlogs", "20")])
        .await;
    let lid = job_id(&q);
    tokio::time::sleep(Duration::from_millis(50)).await;
    let logs = c
        .ok(&[("type", "log"), ("action", "get"), ("job-id", &lid)])
        .await;
    assert!(
        logs.contains("<cmd>commit</cmd>") && logs.contains("Succeeded"),
        "{logs}"
    );
    let (status, body) = c
        .call(&[("type", "log"), ("log-type", "traffic"), ("nlogs", "5001")])
        .await;
    assert_eq!(status, 400);
    assert!(
        body.contains("Illegal value for parameter nlogs [5001]. Should be between 1 to 5000"),
        "{body}"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn commit_all_reports_per_device_results_and_target_redirects() {
    let sim = start(SimConfig::panorama(2)).await;
    let serials = sim.serials();
    assert_eq!(serials.len(), 2);
    assert_ne!(serials[0], serials[1]);
    let c = Client::login(&sim, "admin", "admin").await;
    let devs: String = serials
        .iter()
        .map(|s| format!("<entry name='{s}'/>"))
        .collect();
    c.ok(&[
        ("type", "config"),
        ("action", "set"),
        ("xpath", DG),
        (
            "element",
            &format!("<entry name='dg1'><devices>{devs}</devices></entry>"),
        ),
    ])
    .await;
    c.ok(&[
        ("type", "config"),
        ("action", "set"),
        ("xpath", "/config/shared/address"),
        (
            "element",
            "<entry name='shared-a'><ip-netmask>192.0.2.1</ip-netmask></entry>",
        ),
    ])
    .await;
    c.ok(&[
        ("type", "config"),
        ("action", "set"),
        ("xpath", &format!("{DG}/entry[@name='dg1']/pre-rulebase/security/rules")),
        ("element", "<entry name='pre1'><from><member>any</member></from><to><member>any</member></to><source><member>shared-a</member></source><destination><member>any</member></destination><application><member>any</member></application><service><member>any</member></service><action>allow</action></entry>"),
    ])
    .await;
    // deleting shared-a is refused: the device-group rule uses it
    let (_, body) = c
        .call(&[
            ("type", "config"),
            ("action", "delete"),
            ("xpath", "/config/shared/address/entry[@name='shared-a']"),
        ])
        .await;
    assert!(
        body.contains("code=\"10\"") && body.contains("pre1"),
        "{body}"
    );
    let fin = c.commit("<commit></commit>").await;
    assert!(fin.contains("<result>OK</result>"), "{fin}");
    // a firewall-local commit lock makes that device fail
    c.op_target(
        &serials[1],
        "<request><commit-lock><add><comment>hold</comment></add></commit-lock></request>",
    )
    .await;
    let body = c
        .ok(&[("type", "commit"), ("action", "all"), ("cmd", "<commit-all><shared-policy><device-group><entry name='dg1'/></device-group></shared-policy></commit-all>")])
        .await;
    let fin = c.wait_job(&job_id(&body), None).await;
    assert!(
        fin.contains("<type>CommitAll</type>") && fin.contains("<dgname>dg1</dgname>"),
        "{fin}"
    );
    assert!(
        fin.contains(&format!("<serial-no>{}</serial-no>", serials[0])),
        "{fin}"
    );
    assert!(
        fin.contains("<result>FAIL</result>")
            && fin.contains("<result>OK</result>")
            && fin.contains("hold"),
        "{fin}"
    );
    // the pushed rule and object are in fw 1's running config (target redirect), not fw 2's
    let x = format!("{VSYS}/rulebase/security/rules/entry[@name='pre1']");
    let body = c
        .ok(&[
            ("type", "config"),
            ("action", "show"),
            ("xpath", &x),
            ("target", &serials[0]),
        ])
        .await;
    assert!(body.contains("loc=\"dg1\""), "{body}");
    let (_, body) = c
        .call(&[
            ("type", "config"),
            ("action", "show"),
            ("xpath", &x),
            ("target", &serials[1]),
        ])
        .await;
    assert!(body.contains("No such node"), "{body}");
    let info = c
        .op_target(&serials[1], "<show><system><info/></system></show>")
        .await;
    assert!(
        info.contains(&format!("<serial>{}</serial>", serials[1]))
            && info.contains("<model>PA-VM</model>"),
        "{info}"
    );
    let (_, body) = c
        .call(&[
            ("type", "op"),
            ("cmd", "<show><system><info/></system></show>"),
            ("target", "nope"),
        ])
        .await;
    assert!(body.contains("status=\"error\""), "{body}");
    sim.handle()
        .set_connected(&serials[1], false)
        .expect("managed");
    let devices = c.op("<show><devices><connected/></devices></show>").await;
    assert!(
        devices.contains(&serials[0]) && !devices.contains(&serials[1]),
        "{devices}"
    );
    let body = c
        .ok(&[("type", "commit"), ("action", "all"), ("cmd", "<commit-all><shared-policy><device-group><entry name='dg1'/></device-group></shared-policy></commit-all>")])
        .await;
    let fin = c.wait_job(&job_id(&body), None).await;
    assert!(fin.contains("is not connected to Panorama"), "{fin}");
    sim.handle()
        .set_connected(&serials[1], true)
        .expect("managed");
    let devices = c.op("<show><devices><connected/></devices></show>").await;
    assert!(serials.iter().all(|s| devices.contains(s)), "{devices}");
    sim.shutdown().await;
}

#[tokio::test]
async fn user_id_is_reflected_in_show_commands_and_dags() {
    let sim = start(SimConfig::firewall()).await;
    let c = Client::login(&sim, "admin", "admin").await;
    c.ok(&[("type", "config"), ("action", "set"), ("xpath", &format!("{VSYS}/address-group")), ("element", "<entry name='quarantined'><dynamic><filter>'bad' and not 'trusted'</filter></dynamic></entry>")])
        .await;
    c.commit("<commit/>").await;
    let msg = "<uid-message><version>1.0</version><type>update</type><payload><login><entry name='corp\\dave' ip='10.1.2.3' timeout='10'/></login><register><entry ip='10.1.2.3'><tag><member timeout='600'>bad</member></tag></entry><entry ip='10.1.2.4'><tag><member>bad</member><member>trusted</member></tag></entry></register><groups><entry name='ops'><members><entry name='corp\\dave'/></members></entry></groups></payload></uid-message>";
    c.ok(&[("type", "user-id"), ("cmd", msg)]).await;
    let m = c
        .op("<show><user><ip-user-mapping><ip>10.1.2.3</ip></ip-user-mapping></user></show>")
        .await;
    assert!(
        m.contains("<user>corp\\dave</user>") && m.contains("<type>XMLAPI</type>"),
        "{m}"
    );
    let reg = c
        .op("<show><object><registered-ip><all/></registered-ip></object></show>")
        .await;
    assert!(
        reg.contains("ip=\"10.1.2.3\"") && reg.contains(">bad</member>"),
        "{reg}"
    );
    let dag = c.op("<show><object><dynamic-address-group><name>quarantined</name></dynamic-address-group></object></show>").await;
    assert!(
        dag.contains("name=\"10.1.2.3\"") && !dag.contains("name=\"10.1.2.4\""),
        "{dag}"
    );
    c.ok(&[
        ("type", "config"),
        ("action", "set"),
        ("xpath", &format!("{VSYS}/dynamic-user-group")),
        (
            "element",
            "<entry name='risky'><filter>'risky-user'</filter></entry>",
        ),
    ])
    .await;
    c.commit("<commit/>").await;
    let tag_user = "<uid-message><version>1.0</version><type>update</type><payload><register-user><entry user='corp\\dave'><tag><member>risky-user</member></tag></entry></register-user></payload></uid-message>";
    c.ok(&[("type", "user-id"), ("cmd", tag_user)]).await;
    let dug = c.op("<show><object><dynamic-user-group><name>risky</name></dynamic-user-group></object></show>").await;
    assert!(dug.contains("name=\"corp\\dave\""), "{dug}");
    let ru = c.op("<show><object><registered-user><user>corp\\dave</user></registered-user></object></show>").await;
    assert!(ru.contains("risky-user"), "{ru}");
    let g = c
        .op("<show><user><group><name>ops</name></group></user></show>")
        .await;
    assert!(g.contains("corp\\dave"), "{g}");
    // duplicate → per-entry error in the device format
    let (_, body) = c.call(&[("type", "user-id"), ("cmd", msg)]).await;
    assert!(
        body.contains("<uid-response>") && body.contains("already exists, ignore"),
        "{body}"
    );
    // sessions: clear by source after logout
    let sessions = c.op("<show><session><all/></session></show>").await;
    let some_src = sessions
        .split("<source>")
        .nth(1)
        .and_then(|s| s.split("</source>").next())
        .expect("a session")
        .to_string();
    let cleared = c.op(&format!("<clear><session><all><filter><source>{some_src}</source></filter></all></session></clear>")).await;
    assert!(cleared.contains("sessions cleared"), "{cleared}");
    let left = c.op(&format!("<show><session><all><filter><source>{some_src}</source><count>yes</count></filter></all></session></show>")).await;
    assert!(left.contains("<member>0</member>"), "{left}");
    let logout = "<uid-message><version>1.0</version><type>update</type><payload><logout><entry name='corp\\dave' ip='10.1.2.3'/></logout></payload></uid-message>";
    c.ok(&[("type", "user-id"), ("cmd", logout)]).await;
    let m = c
        .op("<show><user><ip-user-mapping><all/></ip-user-mapping></user></show>")
        .await;
    assert!(!m.contains("corp\\dave"), "{m}");
    // more op commands, each with a piece of content it must carry (session info, counters,
    // interfaces, resource monitor, HA, licences and user attributes: tests/behaviour.rs)
    for (cmd, needle) in [
        ("<show><system><resources/></system></show>", "load average"),
        ("<show><clock/></show>", " UTC "),
        ("<show><routing><route/></routing></show>", "<flags>"),
        (
            "<show><counter><interface>all</interface></counter></show>",
            "<name>ethernet1/1</name>",
        ),
        (
            "<show><config><running><xpath>devices/entry/vsys</xpath></running></config></show>",
            "<entry name=\"vsys1\">",
        ),
        (
            "<show><object><registered-user><all/></registered-user></object></show>",
            "risky-user",
        ),
    ] {
        let body = c.op(cmd).await;
        assert!(body.contains(needle), "{cmd}: {needle} not in {body}");
    }
    let (status, body) = c
        .call(&[("type", "op"), ("cmd", "<show><no-such-thing/></show>")])
        .await;
    assert_eq!(status, 200);
    assert!(body.contains("code=\"17\""), "{body}");
    sim.shutdown().await;
}

#[tokio::test]
async fn certificate_import_shows_subject_and_expiry() {
    let sim = start(SimConfig::panorama(1)).await;
    let c = Client::login(&sim, "admin", "admin").await;
    let mut params =
        rcgen::CertificateParams::new(vec!["portal.example.com".to_string()]).expect("params");
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "portal.example.com");
    params.not_after = rcgen::date_time_ymd(2031, 5, 17);
    let key = rcgen::KeyPair::generate().expect("key");
    let cert = params.self_signed(&key).expect("cert");
    let upload = |category: &str, name: &str, body: String, tpl: Option<&str>| {
        let mut q = vec![
            ("type".to_string(), "import".to_string()),
            ("category".to_string(), category.to_string()),
            ("certificate-name".to_string(), name.to_string()),
            ("format".to_string(), "pem".to_string()),
            ("passphrase".to_string(), "x".to_string()),
        ];
        if let Some(t) = tpl {
            q.push(("target-tpl".to_string(), t.to_string()));
        }
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(body.into_bytes()).file_name("upload.pem"),
        );
        c.http
            .post(format!("{}/api/", c.url))
            .header("X-PAN-KEY", &c.key)
            .query(&q)
            .multipart(form)
            .send()
    };
    let r = upload("certificate", "portal-2031", cert.pem(), None)
        .await
        .expect("upload");
    let body = r.text().await.expect("body");
    assert!(body.contains("Successfully imported portal-2031"), "{body}");
    let r = upload("private-key", "portal-2031", key.serialize_pem(), None)
        .await
        .expect("upload");
    assert!(r.text().await.expect("body").contains("success"));
    let got = c
        .ok(&[
            ("type", "config"),
            ("action", "get"),
            (
                "xpath",
                "/config/panorama/certificate/entry[@name='portal-2031']",
            ),
        ])
        .await;
    assert!(
        got.contains("<common-name>portal.example.com</common-name>"),
        "{got}"
    );
    assert!(
        got.contains("<subject>/CN=portal.example.com</subject>"),
        "{got}"
    );
    assert!(
        got.contains("<not-valid-after>May 17 00:00:00 2031 GMT</not-valid-after>"),
        "{got}"
    );
    assert!(got.contains("<private-key>"), "{got}");
    // into a template
    c.ok(&[
        ("type", "config"),
        ("action", "set"),
        (
            "xpath",
            "/config/devices/entry[@name='localhost.localdomain']/template",
        ),
        ("element", "<entry name='T1'><config/></entry>"),
    ])
    .await;
    let r = upload(
        "keypair",
        "tls",
        format!("{}{}", cert.pem(), key.serialize_pem()),
        Some("T1"),
    )
    .await
    .expect("upload");
    assert!(r.text().await.expect("body").contains("success"));
    let got = c.ok(&[("type", "config"), ("action", "get"), ("xpath", "/config/devices/entry[@name='localhost.localdomain']/template/entry[@name='T1']/config/shared/certificate/entry[@name='tls']/expiry-epoch")]).await;
    assert!(
        got.contains("<expiry-epoch>1936742400</expiry-epoch>"),
        "{got}"
    );
    // garbage is refused with a device error
    let r = upload("certificate", "junk", "not a certificate".into(), None)
        .await
        .expect("upload");
    let body = r.text().await.expect("body");
    assert!(body.contains("status=\"error\""), "{body}");
    // after commit the expiry command lists it
    c.commit("<commit/>").await;
    let text = c
        .op("<show><sslmgr-store><config-certificate-info/></sslmgr-store></show>")
        .await;
    assert!(
        text.contains("db-name: portal-2031") && text.contains("db-exp-date: 310517000000Z"),
        "{text}"
    );
    // export configuration returns the running <config>
    let r = c
        .http
        .post(format!("{}/api/", c.url))
        .header("X-PAN-KEY", &c.key)
        .form(&[("type", "export"), ("category", "configuration")])
        .send()
        .await
        .expect("export");
    let body = r.text().await.expect("body");
    assert!(
        body.starts_with("<config") && body.contains("portal-2031"),
        "{}",
        &body[..100.min(body.len())]
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn read_only_admin_is_refused_on_writes() {
    let sim = start(
        SimConfig::firewall()
            .admin(AdminAccount::new("admin", "pw"))
            .admin(AdminAccount::read_only("viewer", "pw2")),
    )
    .await;
    let (status, _) = post(
        &reqwest::Client::new(),
        &sim.url(),
        &[("type", "keygen"), ("user", "admin"), ("password", "admin")],
    )
    .await;
    assert_eq!(
        status, 403,
        "the default admin:admin is gone when admins are given"
    );
    let ro = Client::login(&sim, "viewer", "pw2").await;
    ro.op("<show><system><info/></system></show>").await;
    ro.ok(&[("type", "config"), ("action", "get"), ("xpath", VSYS)])
        .await;
    for params in [
        vec![
            ("type", "config"),
            ("action", "set"),
            ("xpath", VSYS),
            ("element", "<tag/>"),
        ],
        vec![("type", "commit"), ("cmd", "<commit/>")],
        vec![
            ("type", "op"),
            (
                "cmd",
                "<request><commit-lock><add/></commit-lock></request>",
            ),
        ],
    ] {
        let (_, body) = ro.call(&params).await;
        assert!(
            body.contains("code=\"16\"") && body.contains("read-only"),
            "{body}"
        );
    }
    // bad key → 403 envelope
    let r = reqwest::Client::new()
        .post(format!("{}/api/", sim.url()))
        .form(&[
            ("type", "op"),
            ("cmd", "<show><clock/></show>"),
            ("key", "LUFRPTnope=="),
        ])
        .send()
        .await
        .expect("req");
    assert_eq!(r.status().as_u16(), 403);
    assert!(r.text().await.expect("body").contains("Invalid Credential"));
    // HTTP Basic works as well
    let r = reqwest::Client::new()
        .post(format!("{}/api/", sim.url()))
        .basic_auth("admin", Some("pw"))
        .form(&[("type", "op"), ("cmd", "<show><clock/></show>")])
        .send()
        .await
        .expect("req");
    assert_eq!(r.status().as_u16(), 200);
    // requests are recorded without secrets
    let recs = sim.handle().requests();
    assert!(recs.iter().any(|r| r.req_type == "keygen"));
    assert!(!format!("{recs:?}").contains("pw2"));
    sim.shutdown().await;
}

#[tokio::test]
async fn faults_are_injected() {
    let sim = start(SimConfig::firewall()).await;
    let c = Client::login(&sim, "admin", "admin").await;
    let h = sim.handle();
    h.set_faults(Faults {
        rate_5xx: 1.0,
        ..Faults::default()
    });
    let (status, _) = c
        .call(&[("type", "op"), ("cmd", "<show><clock/></show>")])
        .await;
    assert_eq!(status, 503);
    h.set_faults(Faults {
        rate_reset: 1.0,
        ..Faults::default()
    });
    let r = c
        .http
        .post(format!("{}/api/", c.url))
        .form(&[("type", "op"), ("cmd", "<show><clock/></show>")])
        .send()
        .await;
    assert!(
        r.is_err(),
        "a reset closes the connection before any response: {r:?}"
    );
    h.set_faults(Faults {
        latency: Duration::from_millis(150),
        ..Faults::default()
    });
    let t = std::time::Instant::now();
    c.op("<show><clock/></show>").await;
    assert!(t.elapsed() >= Duration::from_millis(150));
    h.set_faults(Faults::default());
    c.ok(&[
        ("type", "config"),
        ("action", "set"),
        ("xpath", &format!("{VSYS}/tag")),
        ("element", "<entry name='x'/>"),
    ])
    .await;
    h.fail_next_commits_busy(1);
    let (_, body) = c.call(&[("type", "commit"), ("cmd", "<commit/>")]).await;
    assert!(
        body.contains("Another commit/validate is in progress. Please try again later"),
        "{body}"
    );
    h.fail_next_jobs(1);
    let fin = c.commit("<commit/>").await;
    assert!(fin.contains("<result>FAIL</result>"), "{fin}");
    let fin = c.commit("<commit/>").await;
    assert!(
        fin.contains("<result>OK</result>"),
        "the candidate is still dirty after a failed commit: {fin}"
    );
    c.op("<request><restart><system/></restart></request>")
        .await;
    let (status, _) = c
        .call(&[("type", "op"), ("cmd", "<show><clock/></show>")])
        .await;
    assert_eq!(
        status, 503,
        "the management server is down while restarting"
    );
    tokio::time::sleep(Duration::from_millis(600)).await;
    let info = c.op("<show><system><info/></system></show>").await;
    assert!(
        info.contains("<uptime>3 days, 4:00:0"),
        "uptime restarts: {info}"
    );
    h.expire_keys();
    let (status, body) = c
        .call(&[("type", "op"), ("cmd", "<show><clock/></show>")])
        .await;
    assert_eq!(status, 400);
    assert!(body.contains("Key Expired"), "{body}");
    assert!(!body.contains(&c.key), "the key is not echoed");
    sim.shutdown().await;
}

#[tokio::test]
async fn bad_requests_get_envelopes() {
    let sim = start(SimConfig::firewall()).await;
    let c = Client::login(&sim, "admin", "admin").await;
    let bomb = "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;&lol;\">]><uid-message>&lol2;</uid-message>";
    let deep = "<a>".repeat(5000) + &"</a>".repeat(5000);
    let cases: Vec<Vec<(&str, &str)>> = vec![
        vec![("type", "nope")],
        vec![],
        vec![
            ("type", "config"),
            ("action", "frobnicate"),
            ("xpath", "/config"),
        ],
        vec![
            ("type", "config"),
            ("action", "set"),
            ("xpath", "/config/shared"),
            ("element", "<unclosed>"),
        ],
        vec![("type", "user-id"), ("cmd", bomb)],
        vec![("type", "op"), ("cmd", &deep)],
        vec![("type", "config"), ("action", "get"), ("xpath", "]]]]//@@")],
        vec![
            ("type", "config"),
            ("action", "delete"),
            ("xpath", "/config"),
        ],
        vec![("type", "commit"), ("cmd", "<not-commit/>")],
        vec![("type", "log"), ("log-type", "traffic"), ("nlogs", "0")],
    ];
    for p in cases {
        let (status, body) = c.call(&p).await;
        assert!(status == 200 || status == 400, "{p:?} -> {status}");
        assert!(
            body.contains("<response status") && body.contains("error"),
            "{p:?} -> {body}"
        );
    }
    // oversized body: an error envelope, not a 500
    let big = "x".repeat(65 * 1024 * 1024);
    let r = c
        .http
        .post(format!("{}/api/", c.url))
        .header("X-PAN-KEY", &c.key)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("type=op&cmd={big}"))
        .send()
        .await
        .expect("req");
    assert_eq!(r.status().as_u16(), 413);
    assert!(
        r.text()
            .await
            .expect("body")
            .contains("<response status=\"error\"")
    );
    // still alive
    c.op("<show><system><info/></system></show>").await;
    sim.shutdown().await;
}

#[tokio::test]
async fn https_and_persisted_state() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sim = Simulator::start(
        SimConfig::firewall()
            .state_dir(dir.path())
            .job_duration(Duration::from_millis(100)),
    )
    .await
    .expect("start");
    assert!(sim.url().starts_with("https://"));
    #[cfg(unix)]
    {
        // the TLS key is private from the moment it exists
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("tls-key.pem"))
            .expect("tls key")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let ca = sim.ca_pem().expect("ca");
    let http = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(ca.as_bytes()).expect("pem"))
        .build()
        .expect("client");
    let (status, body) = post(
        &http,
        &sim.url(),
        &[("type", "keygen"), ("user", "admin"), ("password", "admin")],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let key = body
        .split("<key>")
        .nth(1)
        .and_then(|s| s.split("</key>").next())
        .expect("key")
        .to_string();
    let c = Client {
        http,
        url: sim.url(),
        key,
    };
    c.ok(&[
        ("type", "config"),
        ("action", "set"),
        ("xpath", &format!("{VSYS}/address")),
        (
            "element",
            "<entry name='kept'><ip-netmask>10.9.9.9</ip-netmask></entry>",
        ),
    ])
    .await;
    c.ok(&[("type", "user-id"), ("cmd", "<uid-message><version>1.0</version><type>update</type><payload><login><entry name='corp\\erin' ip='10.3.3.3' timeout='60'/></login></payload></uid-message>")]).await;
    let fin = c.commit("<commit/>").await;
    let id = fin
        .split("<id>")
        .nth(1)
        .and_then(|s| s.split("</id>").next())
        .expect("id")
        .to_string();
    sim.shutdown().await;

    let sim = Simulator::start(SimConfig::firewall().state_dir(dir.path()))
        .await
        .expect("restart");
    assert_eq!(sim.ca_pem(), Some(ca), "the TLS identity is kept");
    let c = Client {
        url: sim.url(),
        ..c
    };
    let body = c
        .ok(&[
            ("type", "config"),
            ("action", "show"),
            ("xpath", &format!("{VSYS}/address/entry[@name='kept']")),
        ])
        .await;
    assert!(body.contains("10.9.9.9"), "{body}");
    let job = c
        .op(&format!("<show><jobs><id>{id}</id></jobs></show>"))
        .await;
    assert!(job.contains("<result>OK</result>"), "{job}");
    let m = c
        .op("<show><user><ip-user-mapping><all/></ip-user-mapping></user></show>")
        .await;
    assert!(
        m.contains("corp\\erin"),
        "User-ID mappings survive a restart: {m}"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn template_stack_push_and_pkcs12_import() {
    let sim = start(SimConfig::panorama(2)).await;
    let serials = sim.serials();
    let c = Client::login(&sim, "admin", "admin").await;
    let lh = "/config/devices/entry[@name='localhost.localdomain']";
    c.ok(&[
        ("type", "config"),
        ("action", "set"),
        ("xpath", &format!("{lh}/template")),
        ("element", "<entry name='base'><config><devices><entry name='localhost.localdomain'><deviceconfig><system><login-banner>managed by panorama</login-banner></system></deviceconfig></entry></devices></config></entry>"),
    ])
    .await;
    c.ok(&[
        ("type", "config"),
        ("action", "set"),
        ("xpath", &format!("{lh}/template-stack")),
        ("element", &format!("<entry name='stack1'><templates><member>base</member></templates><devices><entry name='{}'/></devices></entry>", serials[0])),
    ])
    .await;
    c.commit("<commit/>").await;
    let body = c
        .ok(&[
            ("type", "commit"),
            ("action", "all"),
            (
                "cmd",
                "<commit-all><template-stack><name>stack1</name></template-stack></commit-all>",
            ),
        ])
        .await;
    let fin = c.wait_job(&job_id(&body), None).await;
    assert!(
        fin.contains("<result>OK</result>")
            && fin.contains(&serials[0])
            && !fin.contains(&serials[1]),
        "{fin}"
    );
    let banner = format!("{lh}/deviceconfig/system/login-banner");
    let body = c
        .ok(&[
            ("type", "config"),
            ("action", "show"),
            ("xpath", &banner),
            ("target", &serials[0]),
        ])
        .await;
    assert!(body.contains("managed by panorama"), "{body}");
    let (_, body) = c
        .call(&[
            ("type", "config"),
            ("action", "show"),
            ("xpath", &banner),
            ("target", &serials[1]),
        ])
        .await;
    assert!(body.contains("No such node"), "{body}");

    // PKCS#12 keypair import on a managed firewall through Panorama
    let mut params =
        rcgen::CertificateParams::new(vec!["vpn.example.com".to_string()]).expect("params");
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "vpn.example.com");
    let key = rcgen::KeyPair::generate().expect("key");
    let cert = params.self_signed(&key).expect("cert");
    let chain = p12_keystore::PrivateKeyChain::new(
        key.serialize_der(),
        [1u8, 2, 3, 4],
        vec![p12_keystore::Certificate::from_der(cert.der()).expect("der")],
    );
    let mut ks = p12_keystore::KeyStore::new();
    ks.add_entry("vpn", p12_keystore::KeyStoreEntry::PrivateKeyChain(chain));
    let p12 = ks.writer("s3cret").write().expect("p12");
    let send = |pass: &str| {
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(p12.clone()).file_name("vpn.p12"),
        );
        c.http
            .post(format!("{}/api/", c.url))
            .header("X-PAN-KEY", &c.key)
            .query(&[
                ("type", "import"),
                ("category", "keypair"),
                ("certificate-name", "vpn"),
                ("format", "pkcs12"),
                ("passphrase", pass),
                ("target", serials[1].as_str()),
            ])
            .multipart(form)
            .send()
    };
    let body = send("wrong")
        .await
        .expect("send")
        .text()
        .await
        .expect("body");
    assert!(body.contains("status=\"error\""), "{body}");
    let body = send("s3cret")
        .await
        .expect("send")
        .text()
        .await
        .expect("body");
    assert!(body.contains("Successfully imported vpn"), "{body}");
    let got = c
        .ok(&[
            ("type", "config"),
            ("action", "get"),
            ("xpath", "/config/shared/certificate/entry[@name='vpn']"),
            ("target", &serials[1]),
        ])
        .await;
    assert!(
        got.contains("<common-name>vpn.example.com</common-name>") && got.contains("<private-key>"),
        "{got}"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn partial_commit_commits_only_that_admins_changes() {
    let (sim, alice, bob) = firewall_with_alice_and_bob().await;
    let tags = format!("{VSYS}/tag");
    alice
        .ok(&[
            ("type", "config"),
            ("action", "set"),
            ("xpath", &tags),
            ("element", "<entry name='from-alice'/>"),
        ])
        .await;
    bob.ok(&[
        ("type", "config"),
        ("action", "set"),
        ("xpath", &tags),
        ("element", "<entry name='from-bob'/>"),
    ])
    .await;
    let fin = alice
        .commit("<commit><partial><admin><member>alice</member></admin></partial></commit>")
        .await;
    assert!(fin.contains("<result>OK</result>"), "{fin}");
    let running = alice
        .ok(&[("type", "config"), ("action", "show"), ("xpath", &tags)])
        .await;
    assert!(
        running.contains("from-alice") && !running.contains("from-bob"),
        "{running}"
    );
    assert!(
        bob.op("<check><pending-changes/></check>")
            .await
            .contains("<result>yes</result>")
    );
    let body = alice
        .ok(&[
            ("type", "commit"),
            (
                "cmd",
                "<commit><partial><admin><member>alice</member></admin></partial></commit>",
            ),
        ])
        .await;
    assert!(body.contains("There are no changes to commit."), "{body}");
    bob.commit("<commit/>").await;
    let running = bob
        .ok(&[("type", "config"), ("action", "show"), ("xpath", &tags)])
        .await;
    assert!(
        running.contains("from-alice") && running.contains("from-bob"),
        "{running}"
    );
    sim.shutdown().await;
}
