//! Deploy through a simulated Panorama with two firewalls, and rollback: for a fault at each
//! step, Panorama's running and candidate configs and every firewall's running config are
//! byte-identical (canonical serialisation) to before.

use std::time::Duration;

use panops_certs::deploy::{DeployError, DeployRequest, Deployer, Mode, Timing, canonical};
use panops_certs::material::{Bundle, parse_pem_bundle};
use panops_client::panos::{ClientConfig, PanosClient, Protocol};
use panops_sim::{RunningSim, SimConfig, Simulator};
use panops_store::{ProcessState, StepState, Store};
use rcgen::{CertificateParams, DnType, KeyPair};

const LH: &str = "/config/devices/entry[@name='localhost.localdomain']";

fn client(sim: &RunningSim) -> PanosClient {
    let url = sim.url();
    let port: u16 = url
        .rsplit(':')
        .next()
        .and_then(|p| p.trim_end_matches('/').parse().ok())
        .expect("port");
    PanosClient::new(
        ClientConfig::builder("127.0.0.1")
            .port(port)
            .protocol(Protocol::Http)
            .use_env_proxy(false)
            .credentials("admin", "admin")
            .build()
            .expect("config"),
    )
    .expect("client")
}

fn cert(cn: &str) -> (String, String) {
    let key = KeyPair::generate().expect("key");
    let mut p = CertificateParams::new(vec![cn.to_string()]).expect("params");
    p.distinguished_name.push(DnType::CommonName, cn);
    let now = chrono::Utc::now().timestamp();
    p.not_before = time::OffsetDateTime::from_unix_timestamp(now - 86_400).expect("t");
    p.not_after = time::OffsetDateTime::from_unix_timestamp(now + 90 * 86_400).expect("t");
    let c = p.self_signed(&key).expect("cert");
    (c.pem(), key.serialize_pem())
}

fn bundle(cn: &str) -> Bundle {
    let (c, k) = cert(cn);
    parse_pem_bundle(c.as_bytes(), k.as_bytes(), None, None).expect("bundle")
}

struct Estate {
    sim: RunningSim,
    client: PanosClient,
    serials: Vec<String>,
    _db: tempfile::TempDir,
    store: Store,
}

/// Panorama with template T1 (certificate old-cert, profile P1 using it) in stack S1, device
/// group DG1 with inbound-inspection rule R1 using old-cert; both firewalls in S1 and DG1;
/// committed and pushed, so everything is in sync before the test.
async fn estate() -> Estate {
    let sim = Simulator::start(
        SimConfig::panorama(2)
            .plain()
            .job_duration(Duration::from_millis(30)),
    )
    .await
    .expect("sim");
    let h = sim.handle();
    let serials = h.serials();
    let devs: String = serials
        .iter()
        .map(|s| format!("<entry name=\"{s}\"/>"))
        .collect();
    h.seed_config(
        None,
        &format!("{LH}/template"),
        "<entry name=\"T1\"><config><shared><ssl-tls-service-profile><entry name=\"P1\"><protocol-settings><min-version>tls1-2</min-version></protocol-settings></entry></ssl-tls-service-profile></shared></config></entry>",
    )
    .expect("template");
    h.seed_config(
        None,
        &format!("{LH}/template-stack"),
        &format!("<entry name=\"S1\"><templates><member>T1</member></templates><devices>{devs}</devices></entry>"),
    )
    .expect("stack");
    h.seed_config(
        None,
        &format!("{LH}/device-group"),
        &format!("<entry name=\"DG1\"><devices>{devs}</devices><pre-rulebase><decryption><rules><entry name=\"R1\"><from><member>any</member></from><to><member>any</member></to><source><member>any</member></source><destination><member>any</member></destination><service><member>any</member></service><category><member>any</member></category><source-user><member>any</member></source-user><action>decrypt</action><type><ssl-inbound-inspection><certificates><member>other-cert</member></certificates></ssl-inbound-inspection></type></entry></rules></decryption></pre-rulebase></entry>"),
    )
    .expect("dg");
    let client = client(&sim);
    // the old certificate, imported and bound the ordinary way, then committed and pushed
    let (c, k) = cert("old.example.com");
    let mut imp = panops_panos::import::Import::new(
        panops_panos::import::ImportCategory::Keypair,
        "old-cert",
        panops_panos::import::ImportFormat::Pem,
        "old.pem",
        format!("{c}{k}").into_bytes(),
    );
    imp.target_tpl = Some("T1".into());
    // PAN-OS wants a passphrase with every key import, even an unencrypted one
    imp.passphrase = Some("unused".into());
    client.import(&imp).await.expect("import old");
    client
        .config_set(
            &format!("{LH}/template/entry[@name='T1']/config/shared/ssl-tls-service-profile/entry[@name='P1']"),
            "<certificate>old-cert</certificate>",
        )
        .await
        .expect("bind P1");
    client
        .config_edit(
            &format!("{LH}/device-group/entry[@name='DG1']/pre-rulebase/decryption/rules/entry[@name='R1']/type/ssl-inbound-inspection/certificates"),
            "<certificates><member>other-cert</member><member>old-cert</member></certificates>",
        )
        .await
        .expect("bind R1");
    let wait = || panops_client::panos::WaitOptions::default().interval(Duration::from_millis(20));
    client
        .commit_and_wait(&Default::default(), wait())
        .await
        .expect("commit");
    for push in [
        panops_panos::commit::CommitAll::device_group("DG1"),
        panops_panos::commit::CommitAll::template_stack("S1"),
    ] {
        client
            .commit_all_and_wait(&push, wait())
            .await
            .expect("push");
    }
    let db = tempfile::tempdir().expect("db dir");
    let store = Store::open(&format!("sqlite:{}", db.path().join("p.db").display()))
        .await
        .expect("store");
    Estate {
        sim,
        client,
        serials,
        _db: db,
        store,
    }
}

fn timing() -> Timing {
    Timing {
        poll: Duration::from_millis(20),
        job_timeout: Duration::from_secs(20),
        lock_wait: Duration::from_secs(2),
    }
}

fn req(mode: Mode) -> DeployRequest {
    DeployRequest {
        template: "T1".into(),
        device_group: Some("DG1".into()),
        decryption_rules: vec![],
        ssl_tls_profiles: vec![],
        replace_cert: Some("old-cert".into()),
        mode,
        skip_commit: false,
        skip_push: false,
        admin: "admin".into(),
    }
}

/// Panorama running + candidate and each firewall's running, canonical.
fn state(e: &Estate) -> Vec<(String, String)> {
    let h = e.sim.handle();
    let canon = |x: Option<String>| {
        let x = x.expect("config");
        canonical(&panops_panos::xml::parse(x.as_bytes()).expect("xml"))
    };
    let mut out = vec![
        (
            "panorama running".to_string(),
            canon(h.config_xml(None, true, "/config")),
        ),
        (
            "panorama candidate".to_string(),
            canon(h.config_xml(None, false, "/config")),
        ),
    ];
    for s in &e.serials {
        out.push((
            format!("{s} running"),
            canon(h.config_xml(Some(s), true, "/config")),
        ));
    }
    out
}

fn assert_same(before: &[(String, String)], after: &[(String, String)]) {
    for ((n, b), (_, a)) in before.iter().zip(after) {
        if a != b {
            let at = a
                .char_indices()
                .zip(b.chars())
                .find(|((_, x), y)| x != y)
                .map(|((i, _), _)| i)
                .unwrap_or(a.len().min(b.len()));
            let lo = at.saturating_sub(200);
            panic!(
                "{n} differs after rollback at byte {at}:\n before: …{}…\n after:  …{}…",
                &b[lo..(at + 200).min(b.len())],
                &a[lo..(at + 200).min(a.len())]
            );
        }
    }
}

fn fw_text(e: &Estate, serial: &str, xpath: &str) -> Option<String> {
    e.sim.handle().config_xml(Some(serial), true, xpath)
}

#[tokio::test]
async fn replace_deploy_then_manual_rollback() {
    let e = estate().await;
    let before = state(&e);
    let d = Deployer::new(e.client.clone(), e.store.clone(), timing());
    let b = bundle("www.example.com");
    let done = d.deploy(&b, &req(Mode::Replace)).await.expect("deploy");
    assert_eq!(done.state, ProcessState::Succeeded);
    assert_ne!(before, state(&e), "the deployment changed the configs");
    let name = done.snapshot.new_cert.clone();
    for s in &e.serials {
        let prof = fw_text(
            &e,
            s,
            "/config/shared/ssl-tls-service-profile/entry[@name='P1']/certificate",
        )
        .expect("profile");
        assert!(prof.contains(&name), "{prof}");
        assert!(
            fw_text(&e, s, "/config/shared/certificate/entry[@name='old-cert']").is_none(),
            "superseded certificate deleted on {s}"
        );
        let rule = fw_text(
            &e,
            s,
            &format!("{LH}/vsys/entry[@name='vsys1']/rulebase/decryption/rules/entry[@name='R1']"),
        )
        .expect("rule");
        assert!(
            rule.contains(&name) && rule.contains("other-cert") && !rule.contains("old-cert"),
            "{rule}"
        );
    }
    let p = e
        .store
        .get(&done.process)
        .await
        .expect("get")
        .expect("process");
    let names: Vec<&str> = p.steps.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "lock", "import", "bind", "commit", "push", "verify", "cleanup"
        ]
    );
    assert!(p.steps.iter().all(|s| s.state == StepState::Ok));
    assert!(
        !p.steps[3].outcome.job_ids.is_empty(),
        "commit job id recorded"
    );
    let verify = &p.steps[5];
    assert_eq!(verify.outcome.results.len(), 2);

    // manual rollback later: everything back, byte for byte
    let rb = d.rollback(&done.process, false).await.expect("rollback");
    assert_same(&before, &state(&e));
    let r = e
        .store
        .get(&rb)
        .await
        .expect("get")
        .expect("rollback process");
    assert_eq!(r.parent_id.as_deref(), Some(done.process.as_str()));
    assert_eq!(r.kind, "rollback");
    let orig = e.store.get(&done.process).await.expect("get").expect("p");
    assert_eq!(orig.state, ProcessState::RolledBack);
    e.sim.shutdown().await;
}

#[tokio::test]
async fn manual_rollback_refuses_when_changed_unless_forced() {
    let e = estate().await;
    let d = Deployer::new(e.client.clone(), e.store.clone(), timing());
    let mut r = req(Mode::Append);
    r.skip_push = true;
    let done = d
        .deploy(&bundle("a.example.com"), &r)
        .await
        .expect("deploy");
    assert_eq!(done.state, ProcessState::Stopped);
    // someone re-points P1 meanwhile
    e.client
        .config_edit(
            &format!("{LH}/template/entry[@name='T1']/config/shared/ssl-tls-service-profile/entry[@name='P1']/certificate"),
            "<certificate>old-cert</certificate>",
        )
        .await
        .expect("edit");
    let err = d.rollback(&done.process, false).await.expect_err("refused");
    let DeployError::Changed { diff, .. } = &err else {
        panic!("{err}");
    };
    assert!(diff.contains("ssl-tls-service-profile P1"), "{diff}");
    d.rollback(&done.process, true)
        .await
        .expect("forced rollback");
    e.sim.shutdown().await;
}

async fn fault_case(inject: impl FnOnce(&Estate), failed_step: &str) {
    let e = estate().await;
    let before = state(&e);
    inject(&e);
    let d = Deployer::new(e.client.clone(), e.store.clone(), timing());
    let err = d
        .deploy(&bundle("www.example.com"), &req(Mode::Replace))
        .await
        .expect_err("deploy fails");
    let DeployError::RolledBack { process, step, .. } = &err else {
        panic!("expected a rolled-back deployment, got: {err}");
    };
    assert_eq!(step, failed_step, "{err}");
    assert_same(&before, &state(&e));
    let p = e.store.get(process).await.expect("get").expect("p");
    assert_eq!(p.state, ProcessState::RolledBack);
    let failed = p
        .steps
        .iter()
        .find(|s| s.state == StepState::Failed)
        .expect("failed step");
    assert_eq!(failed.name, failed_step);
    assert!(failed.outcome.error.is_some());
    assert!(
        p.steps
            .iter()
            .any(|s| s.name == "rollback-restore" && s.state == StepState::Ok)
    );
    e.sim.shutdown().await;
}

#[tokio::test]
async fn fault_import_refused() {
    fault_case(|e| e.sim.handle().fail_next_imports(1), "import").await;
}

#[tokio::test]
async fn fault_bind_refused() {
    // the first config write after the import is refused as locked by another admin
    fault_case(|e| e.sim.handle().fail_next_locked(1), "bind").await;
}

#[tokio::test]
async fn fault_commit_fails() {
    fault_case(|e| e.sim.handle().fail_next_jobs(1), "commit").await;
}

#[tokio::test]
async fn fault_push_fails_on_one_firewall() {
    fault_case(
        |e| {
            e.sim
                .handle()
                .set_connected(&e.serials[1], false)
                .expect("disconnect")
        },
        "push",
    )
    .await;
}

#[tokio::test]
async fn bad_input_is_refused_before_anything_is_sent() {
    let e = estate().await;
    let before = state(&e);
    let d = Deployer::new(e.client.clone(), e.store.clone(), timing());
    let mut r = req(Mode::Append);
    r.replace_cert = None;
    r.decryption_rules = vec!["no-such-rule".into()];
    let err = d
        .deploy(&bundle("x.example.com"), &r)
        .await
        .expect_err("refused");
    assert!(
        err.to_string()
            .contains("decryption rule no-such-rule does not exist in device group DG1"),
        "{err}"
    );
    let mut r = req(Mode::Append);
    r.template = "nope".into();
    let err = d
        .deploy(&bundle("x.example.com"), &r)
        .await
        .expect_err("refused");
    assert!(err.to_string().starts_with("--template:"), "{err}");
    // key of another certificate
    let (c, _) = cert("x.example.com");
    let (_, k) = cert("y.example.com");
    let b = parse_pem_bundle(c.as_bytes(), k.as_bytes(), None, None).expect("parse");
    let err = d.deploy(&b, &req(Mode::Append)).await.expect_err("refused");
    assert!(
        err.to_string()
            .contains("--key: the private key does not match"),
        "{err}"
    );
    assert_same(&before, &state(&e));
    assert!(
        e.store
            .list(&Default::default())
            .await
            .expect("list")
            .is_empty(),
        "no process for a refused plan"
    );
    e.sim.shutdown().await;
}
