//! Configuration operations over HTTP: saved configs and committed versions (`save config`,
//! `load config from|version|last-saved`, `revert config`, `show config audit`), export of a
//! named configuration, `show config pushed-shared-policy`, `set system setting`, and
//! admin-scoped partial commits whose changes no longer apply.

use std::time::Duration;

mod common;

use common::*;
use panops_sim::{AdminAccount, SimConfig, Simulator};

const LH: &str = "/config/devices/entry[@name='localhost.localdomain']";

fn addr(name: &str, ip: &str) -> String {
    format!("<entry name='{name}'><ip-netmask>{ip}</ip-netmask></entry>")
}

async fn candidate_has(c: &Client, name: &str) -> bool {
    let body = c
        .get(&format!("{VSYS}/address/entry[@name='{name}']"))
        .await;
    body.contains(&format!("name=\"{name}\""))
}

async fn pending(c: &Client) -> String {
    let body = c.op("<check><pending-changes/></check>").await;
    text_of(&body, "result").unwrap_or_default()
}

#[tokio::test]
async fn saved_configs_load_by_name_and_last_saved() {
    let sim = start(SimConfig::firewall()).await;
    let c = Client::login(&sim, "admin", "admin").await;
    c.set(&format!("{VSYS}/address"), &addr("saved-one", "10.1.0.1"))
        .await;
    let body = c
        .op("<save><config><to>before.xml</to></config></save>")
        .await;
    assert!(body.contains("Config saved to before.xml"), "{body}");
    // the saved file is the candidate at that moment
    let shown = c
        .op("<show><config><saved>before.xml</saved></config></show>")
        .await;
    assert!(shown.contains("saved-one"), "{shown}");

    // back to running: the saved object goes, nothing is pending
    c.op("<load><config><from>running-config.xml</from></config></load>")
        .await;
    assert!(!candidate_has(&c, "saved-one").await);
    assert_eq!(pending(&c).await, "no");

    // the named file brings it back and is a pending change
    let body = c
        .op("<load><config><from>before.xml</from></config></load>")
        .await;
    assert!(body.contains("Config loaded from before.xml"), "{body}");
    assert!(candidate_has(&c, "saved-one").await);
    assert_eq!(pending(&c).await, "yes");

    // last-saved is the most recent save
    c.op("<revert><config/></revert>").await;
    c.set(&format!("{VSYS}/address"), &addr("saved-two", "10.1.0.2"))
        .await;
    c.op("<save><config><to>later.xml</to></config></save>")
        .await;
    c.op("<revert><config/></revert>").await;
    assert!(!candidate_has(&c, "saved-two").await);
    let body = c.op("<load><config><last-saved/></config></load>").await;
    assert!(body.contains("later.xml"), "{body}");
    assert!(candidate_has(&c, "saved-two").await);
    assert!(!candidate_has(&c, "saved-one").await);

    // an unknown name is the device's error, and the candidate is left alone
    let err = c
        .fails(&[
            ("type", "op"),
            ("cmd", "<load><config><from>nope.xml</from></config></load>"),
        ])
        .await;
    assert!(err.contains("nope.xml"), "{err}");
    assert!(candidate_has(&c, "saved-two").await);
    // names that are paths are refused
    c.fails(&[
        ("type", "op"),
        ("cmd", "<save><config><to>../etc/x</to></config></save>"),
    ])
    .await;
    // a deleted file is gone
    c.op("<delete><config><saved>before.xml</saved></config></delete>")
        .await;
    c.fails(&[
        ("type", "op"),
        (
            "cmd",
            "<load><config><from>before.xml</from></config></load>",
        ),
    ])
    .await;
    sim.shutdown().await;
}

#[tokio::test]
async fn committed_versions_load_and_are_listed() {
    let sim = start(SimConfig::firewall()).await;
    let c = Client::login(&sim, "admin", "admin").await;
    c.set(&format!("{VSYS}/address"), &addr("v-a", "10.2.0.1"))
        .await;
    assert!(
        c.commit("<commit><description>first</description></commit>")
            .await
            .contains("<result>OK</result>")
    );
    c.set(&format!("{VSYS}/address"), &addr("v-b", "10.2.0.2"))
        .await;
    assert!(c.commit("<commit/>").await.contains("<result>OK</result>"));

    // factory (1), then one version per commit, newest first
    let info = c
        .op("<show><config><audit><info/></audit></config></show>")
        .await;
    let names: Vec<String> = info
        .split("<entry name=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next().map(str::to_string))
        .collect();
    assert_eq!(names, ["3", "2", "1"], "{info}");
    assert!(info.contains("<description>first</description>"), "{info}");

    // version 2 has v-a but not v-b
    let body = c
        .op("<load><config><version>2</version></config></load>")
        .await;
    assert!(body.contains("version 2"), "{body}");
    assert!(candidate_has(&c, "v-a").await);
    assert!(!candidate_has(&c, "v-b").await);
    assert_eq!(pending(&c).await, "yes");
    // committing it is a rollback
    assert!(c.commit("<commit/>").await.contains("<result>OK</result>"));
    let running = c
        .op("<show><config><running><xpath>devices/entry/vsys/entry/address</xpath></running></config></show>")
        .await;
    assert!(
        running.contains("v-a") && !running.contains("v-b"),
        "{running}"
    );
    // the factory version has neither
    c.op("<load><config><version>1</version></config></load>")
        .await;
    assert!(!candidate_has(&c, "v-a").await);
    // a version the device does not have is an error
    let err = c
        .fails(&[
            ("type", "op"),
            ("cmd", "<load><config><version>99</version></config></load>"),
        ])
        .await;
    assert!(err.contains("99"), "{err}");
    c.fails(&[
        ("type", "op"),
        ("cmd", "<load><config><version>x</version></config></load>"),
    ])
    .await;
    sim.shutdown().await;
}

#[tokio::test]
async fn saved_configs_and_versions_survive_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = || {
        SimConfig::firewall()
            .plain()
            .state_dir(dir.path())
            .job_duration(Duration::from_millis(100))
    };
    let sim = Simulator::start(cfg()).await.expect("start");
    let c = Client::login(&sim, "admin", "admin").await;
    c.set(&format!("{VSYS}/address"), &addr("kept-saved", "10.3.0.1"))
        .await;
    c.op("<save><config><to>keep.xml</to></config></save>")
        .await;
    assert!(c.commit("<commit/>").await.contains("<result>OK</result>"));
    sim.shutdown().await;

    let sim = Simulator::start(cfg()).await.expect("restart");
    let c = Client {
        url: sim.url(),
        ..c
    };
    let info = c
        .op("<show><config><audit><info/></audit></config></show>")
        .await;
    assert!(info.contains("<entry name=\"2\">"), "{info}");
    c.op("<load><config><version>1</version></config></load>")
        .await;
    assert!(!candidate_has(&c, "kept-saved").await);
    c.op("<load><config><last-saved/></config></load>").await;
    assert!(candidate_has(&c, "kept-saved").await);
    sim.shutdown().await;
}

#[tokio::test]
async fn export_configuration_from_a_named_file() {
    let sim = start(SimConfig::firewall()).await;
    let c = Client::login(&sim, "admin", "admin").await;
    c.set(&format!("{VSYS}/address"), &addr("only-saved", "10.4.0.1"))
        .await;
    c.op("<save><config><to>snap.xml</to></config></save>")
        .await;
    let export = |from: Option<&'static str>| {
        let c = &c;
        async move {
            let mut p = vec![("type", "export"), ("category", "configuration")];
            if let Some(f) = from {
                p.push(("from", f));
            }
            c.call(&p).await
        }
    };
    let (_, running) = export(None).await;
    assert!(running.starts_with("<config") && !running.contains("only-saved"));
    let (_, named) = export(Some("running-config.xml")).await;
    assert_eq!(named, running);
    let (_, saved) = export(Some("snap.xml")).await;
    assert!(
        saved.starts_with("<config") && saved.contains("only-saved"),
        "{saved}"
    );
    // a committed version by number
    assert!(c.commit("<commit/>").await.contains("<result>OK</result>"));
    let (_, v1) = export(Some("1")).await;
    assert!(
        v1.starts_with("<config") && !v1.contains("only-saved"),
        "{v1}"
    );
    let (_, v2) = export(Some("2")).await;
    assert!(v2.contains("only-saved"), "{v2}");
    let (_, missing) = export(Some("nothing.xml")).await;
    assert!(
        missing.starts_with("<response status=\"error\"") && missing.contains("nothing.xml"),
        "{missing}"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn revert_of_one_admins_changes_keeps_the_others() {
    let (sim, alice, bob) = firewall_with_alice_and_bob().await;
    alice
        .set(&format!("{VSYS}/address"), &addr("alice-1", "10.5.0.1"))
        .await;
    bob.set(&format!("{VSYS}/address"), &addr("bob-1", "10.5.0.2"))
        .await;
    alice
        .op("<revert><config><partial><admin><member>alice</member></admin></partial></config></revert>")
        .await;
    assert!(!candidate_has(&alice, "alice-1").await);
    assert!(candidate_has(&alice, "bob-1").await);
    assert_eq!(pending(&alice).await, "yes");
    // bob's change is still his to commit
    let fin = bob
        .commit("<commit><partial><admin><member>bob</member></admin></partial></commit>")
        .await;
    assert!(fin.contains("<result>OK</result>"), "{fin}");
    assert_eq!(pending(&alice).await, "no");
    sim.shutdown().await;
}

#[tokio::test]
async fn partial_commit_fails_when_the_admins_change_no_longer_applies() {
    let (sim, alice, bob) = firewall_with_alice_and_bob().await;
    // bob creates an object (uncommitted); alice's new rule uses it
    bob.set(&format!("{VSYS}/address"), &addr("bobs", "10.6.0.1"))
        .await;
    alice
        .set(
            &format!("{VSYS}/rulebase/security/rules"),
            "<entry name='to-bobs'><from><member>any</member></from><to><member>any</member></to><source><member>any</member></source><destination><member>bobs</member></destination><application><member>any</member></application><service><member>any</member></service><action>allow</action></entry>",
        )
        .await;
    // alice's partial commit replays her rule onto running, where bob's object is not
    let fin = alice
        .commit("<commit><partial><admin><member>alice</member></admin></partial></commit>")
        .await;
    assert!(fin.contains("<result>FAIL</result>"), "{fin}");
    assert!(
        fin.contains("bobs") && fin.contains("Commit failed"),
        "the details name the missing reference: {fin}"
    );
    // nothing was committed and alice's change is still pending
    assert_eq!(pending(&alice).await, "yes");
    let info = alice
        .op("<show><config><audit><info/></audit></config></show>")
        .await;
    assert!(!info.contains("<entry name=\"2\">"), "{info}");

    // a replayed change that cannot apply at all: alice renames bob's uncommitted object
    sim.shutdown().await;
    let (sim, alice, bob) = firewall_with_alice_and_bob().await;
    bob.set(&format!("{VSYS}/address"), &addr("bobs", "10.6.0.1"))
        .await;
    alice
        .ok(&[
            ("type", "config"),
            ("action", "rename"),
            ("xpath", &format!("{VSYS}/address/entry[@name='bobs']")),
            ("newname", "alices"),
        ])
        .await;
    let fin = alice
        .commit("<commit><partial><admin><member>alice</member></admin></partial></commit>")
        .await;
    assert!(fin.contains("<result>FAIL</result>"), "{fin}");
    assert!(
        fin.contains("entry[@name='bobs']") && fin.contains("action rename"),
        "the details name the change that no longer applies: {fin}"
    );
    assert_eq!(pending(&alice).await, "yes");
    sim.shutdown().await;
}

#[tokio::test]
async fn pushed_shared_policy_is_what_panorama_pushed() {
    let sim = start(SimConfig::panorama(1)).await;
    let fw = sim.serials()[0].clone();
    let c = Client::login(&sim, "admin", "admin").await;
    c.set("/config/shared/address", &addr("from-shared", "192.0.2.1"))
        .await;
    c.set(
        &format!("{LH}/device-group"),
        &format!(
            "<entry name='dg1'><devices><entry name='{fw}'/></devices><address>{}</address><pre-rulebase><security><rules><entry name='pre1'><from><member>any</member></from><to><member>any</member></to><source><member>any</member></source><destination><member>from-dg</member></destination><application><member>any</member></application><service><member>any</member></service><action>allow</action></entry></rules></security></pre-rulebase></entry>",
            addr("from-dg", "192.0.2.2")
        ),
    )
    .await;
    assert!(c.commit("<commit/>").await.contains("<result>OK</result>"));
    // a local object on the firewall is not pushed policy
    let (_, r) = c
        .call_target(
            &fw,
            &[
                ("type", "config"),
                ("action", "set"),
                ("xpath", &format!("{VSYS}/address")),
                ("element", &addr("local-only", "198.51.100.1")),
            ],
        )
        .await;
    assert!(r.contains("success"), "{r}");
    let (_, r) = c
        .call_target(&fw, &[("type", "commit"), ("cmd", "<commit/>")])
        .await;
    assert!(
        c.wait_job(&job_id(&r), Some(&fw))
            .await
            .contains("<result>OK</result>")
    );
    let before = c
        .op_target(&fw, "<show><config><pushed-shared-policy/></config></show>")
        .await;
    assert!(
        !before.contains("from-shared"),
        "nothing pushed yet: {before}"
    );
    let fin = c
        .push("<commit-all><shared-policy><device-group><entry name='dg1'/></device-group></shared-policy></commit-all>")
        .await;
    assert!(fin.contains("<result>OK</result>"), "{fin}");

    let shared = c
        .op_target(&fw, "<show><config><pushed-shared-policy/></config></show>")
        .await;
    assert!(
        shared.contains("<policy><panorama>") && shared.contains("from-shared"),
        "{shared}"
    );
    assert!(
        !shared.contains("from-dg\"") && !shared.contains("local-only"),
        "device-group objects answer per vsys: {shared}"
    );
    assert!(
        shared.contains("<pre-rulebase><security><rules><entry name=\"pre1\""),
        "{shared}"
    );
    let dg = c
        .op_target(
            &fw,
            "<show><config><pushed-shared-policy><vsys>vsys1</vsys></pushed-shared-policy></config></show>",
        )
        .await;
    assert!(
        dg.contains("name=\"from-dg\"") && dg.contains("loc=\"dg1\""),
        "{dg}"
    );
    assert!(
        !dg.contains("from-shared") && !dg.contains("local-only"),
        "{dg}"
    );
    // merged still holds local and pushed
    let merged = c
        .op_target(&fw, "<show><config><merged/></config></show>")
        .await;
    assert!(
        merged.contains("local-only") && merged.contains("from-dg"),
        "{merged}"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn target_vsys_setting_scopes_later_requests() {
    let sim = start(
        SimConfig::firewall()
            .admin(AdminAccount::new("admin", "admin"))
            .admin(AdminAccount::new("alice", "a")),
    )
    .await;
    let c = Client::login(&sim, "admin", "admin").await;
    let alice = Client::login(&sim, "alice", "a").await;
    c.set(
        &format!("{LH}/vsys"),
        "<entry name='vsys2'><display-name>second</display-name></entry>",
    )
    .await;
    assert!(c.commit("<commit/>").await.contains("<result>OK</result>"));
    let show = "<show><system><setting><target-vsys/></setting></system></show>";
    assert_eq!(
        text_of(&c.op(show).await, "result").as_deref(),
        Some("none")
    );
    // a vsys the device does not have is refused
    c.fails(&[
        ("type", "op"),
        (
            "cmd",
            "<set><system><setting><target-vsys>vsys9</target-vsys></setting></system></set>",
        ),
    ])
    .await;
    c.op("<set><system><setting><target-vsys>vsys2</target-vsys></setting></system></set>")
        .await;
    assert_eq!(
        text_of(&c.op(show).await, "result").as_deref(),
        Some("vsys2")
    );
    // the setting is the admin's own
    assert_eq!(
        text_of(&alice.op(show).await, "result").as_deref(),
        Some("none")
    );
    // a User-ID login naming no vsys lands in vsys2
    c.ok(&[("type", "user-id"), ("cmd", "<uid-message><version>1.0</version><type>update</type><payload><login><entry name='corp\\tv' ip='10.7.0.1' timeout='60'/></login></payload></uid-message>")]).await;
    let m = c
        .op("<show><user><ip-user-mapping><all/></ip-user-mapping></user></show>")
        .await;
    assert!(m.contains("<vsys>vsys2</vsys>"), "{m}");
    // none clears it
    c.op("<set><system><setting><target-vsys>none</target-vsys></setting></system></set>")
        .await;
    assert_eq!(
        text_of(&c.op(show).await, "result").as_deref(),
        Some("none")
    );
    // settings the simulator does not model are refused, not acknowledged
    let err = c
        .fails(&[
            ("type", "op"),
            ("cmd", "<set><system><setting><jumbo-frame><mtu>9000</mtu></jumbo-frame></setting></system></set>"),
        ])
        .await;
    assert!(err.contains("jumbo-frame"), "{err}");
    sim.shutdown().await;
}

#[tokio::test]
async fn certificate_export_honours_format_key_and_passphrase() {
    let sim = start(SimConfig::firewall()).await;
    let c = Client::login(&sim, "admin", "admin").await;
    let mut params = rcgen::CertificateParams::new(vec!["exp.example.com".to_string()]).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "exp.example.com");
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    for (category, body) in [
        ("certificate", cert.pem()),
        ("private-key", key.serialize_pem()),
    ] {
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(body.into_bytes()).file_name("upload.pem"),
        );
        let r = c
            .http
            .post(format!("{}/api/", c.url))
            .header("X-PAN-KEY", &c.key)
            .query(&[
                ("type", "import"),
                ("category", category),
                ("certificate-name", "exp"),
                ("format", "pem"),
                ("passphrase", "x"),
            ])
            .multipart(form)
            .send()
            .await
            .unwrap();
        let body = r.text().await.unwrap();
        assert!(body.contains("success"), "{body}");
    }
    let export = |extra: &'static [(&'static str, &'static str)]| {
        let c = &c;
        async move {
            let mut q = vec![
                ("type", "export"),
                ("category", "certificate"),
                ("certificate-name", "exp"),
            ];
            q.extend_from_slice(extra);
            let r = c
                .http
                .post(format!("{}/api/", c.url))
                .header("X-PAN-KEY", &c.key)
                .form(&q)
                .send()
                .await
                .unwrap();
            r.bytes().await.unwrap().to_vec()
        }
    };
    // PEM without the key: the certificate only
    let pem = String::from_utf8(export(&[("format", "pem"), ("include-key", "no")]).await).unwrap();
    assert!(
        pem.contains("BEGIN CERTIFICATE") && !pem.contains("PRIVATE KEY"),
        "{pem}"
    );
    // PEM with the key: encrypted under the passphrase, which decrypts it to the imported key
    let pem = String::from_utf8(
        export(&[
            ("format", "pem"),
            ("include-key", "yes"),
            ("passphrase", "s3cret"),
        ])
        .await,
    )
    .unwrap();
    assert!(pem.contains("BEGIN CERTIFICATE"), "{pem}");
    let enc_pem = pem
        .split("-----BEGIN ENCRYPTED PRIVATE KEY-----")
        .nth(1)
        .map(|s| format!("-----BEGIN ENCRYPTED PRIVATE KEY-----{s}"))
        .unwrap_or_else(|| panic!("no encrypted key in {pem}"));
    let (_, doc) = pkcs8::der::SecretDocument::from_pem(&enc_pem).unwrap();
    let enc = pkcs8::EncryptedPrivateKeyInfo::try_from(doc.as_bytes()).unwrap();
    assert!(enc.decrypt("wrong").is_err());
    let plain = enc.decrypt("s3cret").unwrap();
    assert_eq!(plain.as_bytes(), key.serialize_der().as_slice());
    // the key without a passphrase is refused
    let err =
        String::from_utf8(export(&[("format", "pem"), ("include-key", "yes")]).await).unwrap();
    assert!(
        err.starts_with("<response status=\"error\"") && err.contains("passphrase"),
        "{err}"
    );
    // PKCS#12 under the passphrase, holding certificate and key
    let p12 = export(&[
        ("format", "pkcs12"),
        ("include-key", "yes"),
        ("passphrase", "s3cret"),
    ])
    .await;
    assert!(p12_keystore::KeyStore::from_pkcs12(&p12, "wrong").is_err());
    let ks = p12_keystore::KeyStore::from_pkcs12(&p12, "s3cret").unwrap();
    let (_, chain) = ks.private_key_chain().expect("key in the PKCS#12");
    assert_eq!(chain.key(), key.serialize_der().as_slice());
    assert_eq!(chain.chain()[0].as_der(), cert.der().as_ref());
    let err = String::from_utf8(export(&[("format", "pkcs12")]).await).unwrap();
    assert!(err.contains("passphrase"), "{err}");
    // DER: the certificate's bytes
    let der = export(&[("format", "der")]).await;
    assert_eq!(der, cert.der().to_vec());
    sim.shutdown().await;
}

fn partial(file: &str, from: &str, to: &str, mode: &str) -> String {
    format!(
        "<load><config><partial><from>{file}</from><from-xpath>{from}</from-xpath><to-xpath>{to}</to-xpath><mode>{mode}</mode></partial></config></load>"
    )
}

#[tokio::test]
async fn load_config_partial_merges_replaces_or_appends_one_part() {
    let sim = start(SimConfig::firewall()).await;
    let c = Client::login(&sim, "admin", "admin").await;
    let address = format!("{VSYS}/address");
    c.set(&address, &addr("a", "10.0.0.1")).await;
    c.set(&address, &addr("b", "10.0.0.2")).await;
    c.op("<save><config><to>golden.xml</to></config></save>")
        .await;
    c.commit("<commit></commit>").await;
    // the candidate moves on: a changed, b gone, c new
    c.set(&address, &addr("a", "10.9.9.9")).await;
    c.ok(&[
        ("type", "config"),
        ("action", "delete"),
        ("xpath", &format!("{address}/entry[@name='b']")),
    ])
    .await;
    c.set(&address, &addr("c", "10.0.0.3")).await;
    let ip = |body: &str| text_of(body, "ip-netmask");

    // append: what the file has and the candidate lacks comes in; a stays as it is
    c.op(&partial("golden.xml", &address, &address, "append"))
        .await;
    assert!(candidate_has(&c, "b").await && candidate_has(&c, "c").await);
    let a = c.get(&format!("{address}/entry[@name='a']")).await;
    assert_eq!(ip(&a).as_deref(), Some("10.9.9.9"), "{a}");

    // merge: the file's values win, what only the candidate has stays
    c.op(&partial("golden.xml", &address, &address, "merge"))
        .await;
    let a = c.get(&format!("{address}/entry[@name='a']")).await;
    assert_eq!(ip(&a).as_deref(), Some("10.0.0.1"), "{a}");
    assert!(candidate_has(&c, "c").await);

    // replace: the part becomes the file's, c goes
    c.op(&partial("golden.xml", &address, &address, "replace"))
        .await;
    assert!(candidate_has(&c, "a").await && candidate_has(&c, "b").await);
    assert!(!candidate_has(&c, "c").await);
    // the load is a pending change to commit
    assert_eq!(pending(&c).await, "yes");
    let done = c.commit("<commit></commit>").await;
    assert!(done.contains("<result>OK</result>"), "{done}");

    // from one place to another: the file's addresses as a second vsys-less location
    let shared = "/config/shared/address";
    c.op(&partial("golden.xml", &address, shared, "merge"))
        .await;
    let got = c.get(&format!("{shared}/entry[@name='b']")).await;
    assert_eq!(ip(&got).as_deref(), Some("10.0.0.2"), "{got}");
    sim.shutdown().await;
}

#[tokio::test]
async fn load_config_partial_refuses_missing_file_xpath_and_mode() {
    let sim = start(SimConfig::firewall()).await;
    let c = Client::login(&sim, "admin", "admin").await;
    c.op("<save><config><to>golden.xml</to></config></save>")
        .await;
    let before = c.get("/config").await;
    let address = format!("{VSYS}/address");
    let cases = [
        (partial("nope.xml", &address, &address, "merge"), "nope.xml"),
        (
            partial(
                "golden.xml",
                &format!("{address}/entry[@name='nope']"),
                &address,
                "merge",
            ),
            "does not exist in golden.xml",
        ),
        (partial("golden.xml", &address, &address, "overwrite"), "overwrite"),
        (
            "<load><config><partial><from>golden.xml</from><mode>merge</mode></partial></config></load>".to_string(),
            "from-xpath",
        ),
    ];
    for (cmd, want) in cases {
        let body = c.fails(&[("type", "op"), ("cmd", &cmd)]).await;
        assert!(body.contains(want), "{cmd}: {body}");
    }
    // nothing was loaded
    assert_eq!(c.get("/config").await, before);
    assert_eq!(pending(&c).await, "no");
    sim.shutdown().await;
}

#[tokio::test]
async fn an_imported_configuration_is_a_named_file_to_load_from() {
    let sim = start(SimConfig::firewall()).await;
    let c = Client::login(&sim, "admin", "admin").await;
    let file = format!(
        "<config version=\"11.1.0\"><devices><entry name=\"localhost.localdomain\"><vsys><entry name=\"vsys1\"><address>{}</address></entry></vsys></entry></devices></config>",
        addr("imported", "192.0.2.77")
    );
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(file.into_bytes()).file_name("branch.xml"),
    );
    let body = c
        .http
        .post(format!("{}/api/", c.url))
        .header("X-PAN-KEY", &c.key)
        .query(&[("type", "import"), ("category", "configuration")])
        .multipart(form)
        .send()
        .await
        .expect("upload")
        .text()
        .await
        .expect("body");
    assert!(body.contains("branch.xml saved"), "{body}");
    // importing does not touch the candidate
    assert!(!candidate_has(&c, "imported").await);
    assert_eq!(pending(&c).await, "no");
    let address = format!("{VSYS}/address");
    c.op(&partial("branch.xml", &address, &address, "merge"))
        .await;
    assert!(candidate_has(&c, "imported").await);
    assert_eq!(pending(&c).await, "yes");
    sim.shutdown().await;
}
