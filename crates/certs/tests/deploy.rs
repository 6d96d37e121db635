//! Deploy through a simulated Panorama with two firewalls, and rollback: for a fault at each
//! step, Panorama's running and candidate configs and every firewall's running config are
//! byte-identical (canonical serialisation) to before.

mod support;

use panops_certs::deploy::{DeployError, Deployer, Mode};
use panops_certs::material::parse_pem_bundle;
use panops_store::{ProcessState, StepState};
use support::*;

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

#[tokio::test]
async fn two_deployments_at_once_do_not_interleave() {
    let e = estate().await;
    let a = Deployer::new(e.client.clone(), e.store.clone(), timing());
    let b = Deployer::new(e.client.clone(), e.store.clone(), timing());
    let mut r = req(Mode::Append);
    r.replace_cert = None;
    r.decryption_rules = vec!["R1".into()];
    let (ba, bb) = (bundle("a.example.com"), bundle("b.example.com"));
    let (ra, rb) = tokio::join!(a.deploy(&ba, &r), b.deploy(&bb, &r));
    let (da, db) = (ra.expect("first"), rb.expect("second"));
    // the one that went second planned from what the first left: both certificates stay
    for s in &e.serials {
        let rule = fw_text(
            &e,
            s,
            &format!("{LH}/vsys/entry[@name='vsys1']/rulebase/decryption/rules/entry[@name='R1']"),
        )
        .expect("rule");
        assert!(
            rule.contains(&da.snapshot.new_cert) && rule.contains(&db.snapshot.new_cert),
            "{rule}"
        );
    }
    let pa = e.store.get(&da.process).await.expect("get").expect("a");
    let pb = e.store.get(&db.process).await.expect("get").expect("b");
    let (first, second) = if (pa.created_at, &pa.id) <= (pb.created_at, &pb.id) {
        (pa, pb)
    } else {
        (pb, pa)
    };
    let first_end = first
        .steps
        .iter()
        .filter_map(|s| s.ended_at)
        .max()
        .expect("end");
    let second_start = second
        .steps
        .iter()
        .map(|s| s.started_at)
        .min()
        .expect("start");
    assert!(second_start >= first_end, "steps interleaved");
    e.sim.shutdown().await;
}

#[tokio::test]
async fn fault_verify_finds_local_override() {
    let e = estate().await;
    // a firewall admin overrode the template's profile locally: the push cannot change it
    let fw = e.client.with_target(&e.serials[0]).expect("target");
    fw.config_override(
        "/config/shared/ssl-tls-service-profile/entry[@name='P1']",
        "<certificate>old-cert</certificate>",
    )
    .await
    .expect("override");
    fw.commit_and_wait(
        &Default::default(),
        panops_client::panos::WaitOptions::default().interval(std::time::Duration::from_millis(20)),
    )
    .await
    .expect("local commit");
    let before = state(&e);
    let d = Deployer::new(e.client.clone(), e.store.clone(), timing());
    let mut r = req(Mode::Append);
    r.replace_cert = None;
    r.ssl_tls_profiles = vec!["P1".into()];
    let err = d
        .deploy(&bundle("v.example.com"), &r)
        .await
        .expect_err("verify fails");
    let DeployError::RolledBack { step, reason, .. } = &err else {
        panic!("{err}");
    };
    assert_eq!(step, "verify");
    assert!(
        reason.contains(&e.serials[0])
            && reason.contains("ssl-tls-service-profile P1 uses old-cert"),
        "{reason}"
    );
    assert_same(&before, &state(&e));
    e.sim.shutdown().await;
}

#[tokio::test]
async fn fault_commit_times_out() {
    let e = estate().await;
    let before = state(&e);
    // a slow Panorama: the commit job (1 s) outlasts the deployment's patience (0.6 s). The
    // rollback commit queues behind it and waits 4 x 0.6 s = 2.4 s for the remaining 0.4 s
    // plus its own 1 s; with 1.5 s jobs it needed exactly 2.4 s and failed under load.
    e.sim
        .handle()
        .set_job_duration(std::time::Duration::from_millis(1000));
    let mut t = timing();
    t.job_timeout = std::time::Duration::from_millis(600);
    let d = Deployer::new(e.client.clone(), e.store.clone(), t);
    let err = d
        .deploy(&bundle("slow.example.com"), &req(Mode::Replace))
        .await
        .expect_err("times out");
    let DeployError::RolledBack { step, .. } = &err else {
        panic!("{err}");
    };
    assert_eq!(step, "commit", "{err}");
    assert_same(&before, &state(&e));
    e.sim.shutdown().await;
}

#[tokio::test]
async fn superseded_certificate_still_referenced_is_kept() {
    let e = estate().await;
    // a certificate profile of the template trusts old-cert: it cannot be deleted
    e.client
        .config_set(
            &format!("{LH}/template/entry[@name='T1']/config/shared/certificate-profile"),
            "<entry name=\"CP\"><CA><entry name=\"old-cert\"/></CA></entry>",
        )
        .await
        .expect("profile");
    let d = Deployer::new(e.client.clone(), e.store.clone(), timing());
    let done = d
        .deploy(&bundle("k.example.com"), &req(Mode::Replace))
        .await
        .expect("deploy");
    assert_eq!(done.state, ProcessState::Succeeded);
    let p = e.store.get(&done.process).await.expect("get").expect("p");
    let cleanup = p
        .steps
        .iter()
        .find(|s| s.name == "cleanup")
        .expect("cleanup");
    assert!(
        cleanup
            .outcome
            .note
            .as_deref()
            .is_some_and(|n| n.starts_with("old-cert kept:")),
        "{cleanup:?}"
    );
    e.sim.shutdown().await;
}

#[tokio::test]
async fn deploy_into_a_template_stack_and_roll_back() {
    let e = estate().await;
    // a profile in the stack's own configuration
    e.client
        .config_set(
            &format!("{LH}/template-stack/entry[@name='S1']/config/shared/ssl-tls-service-profile"),
            "<entry name=\"PS\"><protocol-settings><min-version>tls1-2</min-version></protocol-settings></entry>",
        )
        .await
        .expect("stack profile");
    e.client
        .commit_and_wait(
            &Default::default(),
            panops_client::panos::WaitOptions::default()
                .interval(std::time::Duration::from_millis(20)),
        )
        .await
        .expect("commit");
    e.client
        .commit_all_and_wait(
            &panops_panos::commit::CommitAll::template_stack("S1"),
            panops_client::panos::WaitOptions::default()
                .interval(std::time::Duration::from_millis(20)),
        )
        .await
        .expect("push");
    let before = state(&e);
    let d = Deployer::new(e.client.clone(), e.store.clone(), timing());
    let mut r = req(Mode::Append);
    r.template = "S1".into();
    r.stack = true;
    r.device_groups = vec![];
    r.replace_cert = None;
    r.ssl_tls_profiles = vec!["PS".into()];
    let done = d
        .deploy(&bundle("stack.example.com"), &r)
        .await
        .expect("deploy");
    for s in &e.serials {
        let p = fw_text(
            &e,
            s,
            "/config/shared/ssl-tls-service-profile/entry[@name='PS']",
        )
        .expect("PS");
        assert!(p.contains(&done.snapshot.new_cert), "{p}");
    }
    d.rollback(&done.process, false).await.expect("rollback");
    assert_same(&before, &state(&e));
    e.sim.shutdown().await;
}

#[tokio::test]
async fn admin_without_permission_is_refused_and_nothing_is_left() {
    let e = estate_with(|c| {
        c.admins(vec![
            panops_sim::AdminAccount::new("admin", "admin"),
            panops_sim::AdminAccount::read_only("auditor", "auditor-pw"),
        ])
    })
    .await;
    let before = state(&e);
    let port: u16 = e
        .sim
        .url()
        .rsplit(':')
        .next()
        .and_then(|p| p.trim_end_matches('/').parse().ok())
        .expect("port");
    let auditor = panops_client::panos::PanosClient::new(
        panops_client::panos::ClientConfig::builder("127.0.0.1")
            .port(port)
            .protocol(panops_client::panos::Protocol::Http)
            .use_env_proxy(false)
            .credentials("auditor", "auditor-pw")
            .build()
            .expect("cfg"),
    )
    .expect("client");
    let d = Deployer::new(auditor, e.store.clone(), timing());
    let mut r = req(Mode::Replace);
    r.admin = "auditor".into();
    let err = d
        .deploy(&bundle("ro.example.com"), &r)
        .await
        .expect_err("refused");
    assert!(matches!(err, DeployError::RolledBack { .. }), "{err}");
    assert_same(&before, &state(&e));
    let list = e.store.list(&Default::default()).await.expect("list");
    assert_eq!(list[0].state, ProcessState::RolledBack);
    assert!(list[0].error.is_some());
    e.sim.shutdown().await;
}

/// A client of the simulated Panorama logged in as `user`.
fn client_as(e: &Estate, user: &str, password: &str) -> panops_client::panos::PanosClient {
    let port: u16 = e
        .sim
        .url()
        .rsplit(':')
        .next()
        .and_then(|p| p.trim_end_matches('/').parse().ok())
        .expect("port");
    panops_client::panos::PanosClient::new(
        panops_client::panos::ClientConfig::builder("127.0.0.1")
            .port(port)
            .protocol(panops_client::panos::Protocol::Http)
            .use_env_proxy(false)
            .credentials(user, password)
            .build()
            .expect("cfg"),
    )
    .expect("client")
}

/// A failure at the lock step: nothing was changed, the process is rolled back with the lock
/// step failed and no later step started.
async fn assert_failed_at_lock(e: &Estate, before: &[(String, String)], err: &DeployError) {
    let DeployError::RolledBack {
        process,
        step,
        reason,
    } = err
    else {
        panic!("expected a rolled-back deployment, got: {err}");
    };
    assert_eq!(step, "lock", "{err}");
    assert!(!reason.is_empty());
    assert_same(before, &state(e));
    let p = e.store.get(process).await.expect("get").expect("p");
    assert_eq!(p.state, ProcessState::RolledBack);
    let names: Vec<&str> = p.steps.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["lock"], "nothing after the lock step: {names:?}");
    assert_eq!(p.steps[0].state, StepState::Failed);
    assert!(
        p.steps[0]
            .outcome
            .error
            .as_deref()
            .is_some_and(|m| m == reason.as_str()),
        "{:?}",
        p.steps[0].outcome
    );
}

#[tokio::test]
async fn fault_lock_held_by_another_admin() {
    let e = estate_with(|c| {
        c.admins(vec![
            panops_sim::AdminAccount::new("admin", "admin"),
            panops_sim::AdminAccount::new("other", "other-pw"),
        ])
    })
    .await;
    let before = state(&e);
    let other = client_as(&e, "other", "other-pw");
    other
        .op("<request><commit-lock><add><comment>maintenance</comment></add></commit-lock></request>")
        .await
        .expect("other admin takes the commit lock");
    let d = Deployer::new(e.client.clone(), e.store.clone(), timing());
    let started = std::time::Instant::now();
    let err = d
        .deploy(&bundle("locked.example.com"), &req(Mode::Replace))
        .await
        .expect_err("lock not obtained");
    // it waited for the other admin (bounded by the lock wait), then gave up
    assert!(started.elapsed() >= timing().lock_wait, "{err}");
    assert!(
        err.to_string()
            .contains("commit lock not obtained within 2s")
            && err.to_string().contains("held by other"),
        "{err}"
    );
    assert_failed_at_lock(&e, &before, &err).await;
    // the other admin's lock is theirs still: the failed deployment did not remove it
    let locks = e
        .client
        .op("<show><commit-locks/></show>")
        .await
        .expect("locks");
    let owners: Vec<String> = locks
        .result()
        .map(|r| {
            r.find_all("commit-locks/entry")
                .iter()
                .filter_map(|x| x.attr("name").map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(owners, ["other"]);
    e.sim.shutdown().await;
}

#[tokio::test]
async fn fault_lock_request_fails() {
    let e = estate().await;
    let before = state(&e);
    e.sim
        .handle()
        .fail_op("request commit-lock", "error")
        .expect("fault");
    let mut t = timing();
    t.lock_wait = std::time::Duration::from_secs(30);
    let d = Deployer::new(e.client.clone(), e.store.clone(), t);
    let started = std::time::Instant::now();
    let err = d
        .deploy(&bundle("nolock.example.com"), &req(Mode::Replace))
        .await
        .expect_err("lock refused");
    // a refusal is not another admin's lock: no waiting for it to go away
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "{err}"
    );
    assert!(
        err.to_string().contains("cannot take the commit lock"),
        "{err}"
    );
    assert_failed_at_lock(&e, &before, &err).await;
    e.sim.shutdown().await;
}

#[tokio::test]
async fn fault_cleanup_delete_refused_keeps_the_working_deployment() {
    let e = estate().await;
    let before = state(&e);
    // another admin locks the configuration just as the superseded certificate is deleted
    e.sim.handle().fail_deletes_matching(Some("'old-cert'"));
    let d = Deployer::new(e.client.clone(), e.store.clone(), timing());
    let done = d
        .deploy(&bundle("clean.example.com"), &req(Mode::Replace))
        .await
        .expect("the deployment itself succeeded");
    assert_eq!(done.state, ProcessState::Succeeded);
    let warning = done
        .warning
        .clone()
        .expect("the cleanup failure is reported");
    assert!(
        warning.contains("delete of superseded certificate old-cert")
            // the message is redacted of the password, which here is "admin"
            && warning.contains("Configuration is locked by other-")
            && warning.contains("old-cert left in place"),
        "{warning}"
    );
    let name = &done.snapshot.new_cert;
    // the new certificate is bound and working on every firewall; the old one is still there
    for s in &e.serials {
        let prof = fw_text(
            &e,
            s,
            "/config/shared/ssl-tls-service-profile/entry[@name='P1']/certificate",
        )
        .expect("profile");
        assert!(prof.contains(name.as_str()), "{prof}");
        assert!(
            fw_text(
                &e,
                s,
                &format!("/config/shared/certificate/entry[@name='{name}']")
            )
            .is_some()
        );
        assert!(
            fw_text(&e, s, "/config/shared/certificate/entry[@name='old-cert']").is_some(),
            "old certificate left on {s}"
        );
    }
    // Panorama: the old certificate in candidate and running, nothing left uncommitted
    let h = e.sim.handle();
    let old = format!(
        "{LH}/template/entry[@name='T1']/config/shared/certificate/entry[@name='old-cert']"
    );
    assert!(h.config_xml(None, false, &old).is_some());
    assert!(h.config_xml(None, true, &old).is_some());
    // the record says so: cleanup failed, process succeeded with the warning as its error
    let p = e.store.get(&done.process).await.expect("get").expect("p");
    assert_eq!(p.state, ProcessState::Succeeded);
    assert_eq!(p.error.as_deref(), Some(warning.as_str()));
    let cleanup = p
        .steps
        .iter()
        .find(|s| s.name == "cleanup")
        .expect("cleanup");
    assert_eq!(cleanup.state, StepState::Failed);
    assert!(
        cleanup
            .outcome
            .error
            .as_deref()
            .is_some_and(|m| m.contains("old-cert left in place")),
        "{cleanup:?}"
    );
    assert!(
        !p.steps.iter().any(|s| s.name.starts_with("rollback")),
        "no rollback of a working deployment"
    );
    // and it can still be rolled back by hand, byte for byte to the state before
    e.sim.handle().fail_deletes_matching(None);
    d.rollback(&done.process, false).await.expect("rollback");
    assert_same(&before, &state(&e));
    e.sim.shutdown().await;
}

/// Splits the estate: DG1 keeps the first firewall (rule R1), a new DG2 gets the second with
/// inbound-inspection rule R2 using old-cert; committed and both groups pushed.
async fn two_device_groups(e: &Estate) {
    let (s0, s1) = (&e.serials[0], &e.serials[1]);
    e.client
        .config_edit(
            &format!("{LH}/device-group/entry[@name='DG1']/devices"),
            &format!("<devices><entry name=\"{s0}\"/></devices>"),
        )
        .await
        .expect("DG1 devices");
    e.client
        .config_set(
            &format!("{LH}/device-group"),
            &format!("<entry name=\"DG2\"><devices><entry name=\"{s1}\"/></devices><pre-rulebase><decryption><rules><entry name=\"R2\"><from><member>any</member></from><to><member>any</member></to><source><member>any</member></source><destination><member>any</member></destination><service><member>any</member></service><category><member>any</member></category><source-user><member>any</member></source-user><action>decrypt</action><type><ssl-inbound-inspection><certificates><member>old-cert</member></certificates></ssl-inbound-inspection></type></entry></rules></decryption></pre-rulebase></entry>"),
        )
        .await
        .expect("DG2");
    let wait = || {
        panops_client::panos::WaitOptions::default().interval(std::time::Duration::from_millis(20))
    };
    e.client
        .commit_and_wait(&Default::default(), wait())
        .await
        .expect("commit");
    for dg in ["DG1", "DG2"] {
        e.client
            .commit_all_and_wait(&panops_panos::commit::CommitAll::device_group(dg), wait())
            .await
            .expect("push");
    }
}

fn fw_rule(e: &Estate, serial: &str, rule: &str) -> String {
    fw_text(
        e,
        serial,
        &format!("{LH}/vsys/entry[@name='vsys1']/rulebase/decryption/rules/entry[@name='{rule}']"),
    )
    .unwrap_or_else(|| panic!("rule {rule} on {serial}"))
}

fn rules_req(
    location: panops_certs::deploy::Location,
    dgs: &[&str],
    rules: &[&str],
) -> panops_certs::deploy::DeployRequest {
    let mut r = req(Mode::Append);
    r.location = location;
    r.template = String::new();
    r.replace_cert = None;
    r.device_groups = dgs.iter().map(|s| s.to_string()).collect();
    r.decryption_rules = rules.iter().map(|s| s.to_string()).collect();
    r
}

#[tokio::test]
async fn deploy_into_panorama_shared_for_two_device_groups_and_roll_back() {
    use panops_certs::deploy::{Location, PushKind};
    let e = estate().await;
    two_device_groups(&e).await;
    let before = state(&e);
    let d = Deployer::new(e.client.clone(), e.store.clone(), timing());
    let r = rules_req(Location::Shared, &["DG1", "DG2"], &["R1", "R2"]);
    let done = d
        .deploy(&bundle("shared.example.com"), &r)
        .await
        .expect("deploy");
    assert_eq!(done.state, ProcessState::Succeeded);
    let snap = &done.snapshot;
    let name = &snap.new_cert;
    // both device groups pushed together, no template stack (the template did not change)
    let pushes: Vec<(PushKind, &str)> = snap
        .push
        .iter()
        .map(|p| (p.kind, p.name.as_str()))
        .collect();
    assert_eq!(
        pushes,
        [
            (PushKind::DeviceGroup, "DG1"),
            (PushKind::DeviceGroup, "DG2")
        ]
    );
    assert!(
        snap.plan_lines()[0].ends_with("into Panorama shared"),
        "{:?}",
        snap.plan_lines()
    );
    let h = e.sim.handle();
    assert!(
        h.config_xml(
            None,
            true,
            &format!("/config/shared/certificate/entry[@name='{name}']")
        )
        .is_some(),
        "committed into Panorama shared"
    );
    assert!(
        h.config_xml(
            None,
            true,
            &format!(
                "{LH}/template/entry[@name='T1']/config/shared/certificate/entry[@name='{name}']"
            )
        )
        .is_none(),
        "not into the template"
    );
    // each firewall got the certificate with its own group's rule bound to it
    for (serial, rule) in [(&e.serials[0], "R1"), (&e.serials[1], "R2")] {
        assert!(
            fw_text(
                &e,
                serial,
                &format!("{LH}/vsys/entry[@name='vsys1']/certificate/entry[@name='{name}']")
            )
            .is_some(),
            "certificate on {serial}"
        );
        let rule = fw_rule(&e, serial, rule);
        assert!(
            rule.contains(name.as_str()) && rule.contains("old-cert"),
            "{rule}"
        );
    }
    let p = e.store.get(&done.process).await.expect("get").expect("p");
    let push = p.steps.iter().find(|s| s.name == "push").expect("push");
    assert_eq!(push.outcome.job_ids.len(), 2, "{push:?}");
    // rolled back together, byte for byte
    d.rollback(&done.process, false).await.expect("rollback");
    assert_same(&before, &state(&e));
    e.sim.shutdown().await;
}

#[tokio::test]
async fn deploy_into_a_device_group_replace_and_roll_back() {
    use panops_certs::deploy::Location;
    let e = estate().await;
    let before = state(&e);
    let d = Deployer::new(e.client.clone(), e.store.clone(), timing());
    let mut r = rules_req(Location::DeviceGroup("DG1".into()), &[], &[]);
    r.mode = Mode::Replace;
    r.replace_cert = Some("old-cert".into());
    let done = d
        .deploy(&bundle("dg.example.com"), &r)
        .await
        .expect("deploy");
    let name = &done.snapshot.new_cert;
    assert_eq!(done.snapshot.device_groups, ["DG1"]);
    // old-cert is the template's (P1 still uses it): not this location's to delete
    assert!(done.snapshot.superseded.is_empty(), "{:?}", done.snapshot);
    let h = e.sim.handle();
    assert!(
        h.config_xml(
            None,
            true,
            &format!("{LH}/device-group/entry[@name='DG1']/certificate/entry[@name='{name}']")
        )
        .is_some()
    );
    for s in &e.serials {
        let rule = fw_rule(&e, s, "R1");
        assert!(
            rule.contains(name.as_str())
                && rule.contains("other-cert")
                && !rule.contains("old-cert"),
            "{rule}"
        );
    }
    d.rollback(&done.process, false).await.expect("rollback");
    assert_same(&before, &state(&e));
    e.sim.shutdown().await;
}

#[tokio::test]
async fn fault_push_to_a_device_group_certificate_rolls_back() {
    use panops_certs::deploy::Location;
    let e = estate().await;
    let before = state(&e);
    e.sim
        .handle()
        .set_connected(&e.serials[1], false)
        .expect("disconnect");
    let d = Deployer::new(e.client.clone(), e.store.clone(), timing());
    let r = rules_req(Location::DeviceGroup("DG1".into()), &["DG1"], &["R1"]);
    let err = d
        .deploy(&bundle("dgfault.example.com"), &r)
        .await
        .expect_err("push fails");
    let DeployError::RolledBack { step, .. } = &err else {
        panic!("{err}");
    };
    assert_eq!(step, "push", "{err}");
    assert_same(&before, &state(&e));
    e.sim.shutdown().await;
}

#[tokio::test]
async fn two_device_groups_push_failing_on_one_rolls_back_both() {
    let e = estate().await;
    two_device_groups(&e).await;
    let before = state(&e);
    // the firewall of DG2 is gone: DG1's push succeeds, DG2's fails
    e.sim
        .handle()
        .set_connected(&e.serials[1], false)
        .expect("disconnect");
    let d = Deployer::new(e.client.clone(), e.store.clone(), timing());
    let mut r = req(Mode::Append);
    r.replace_cert = None;
    r.device_groups = vec!["DG1".into(), "DG2".into()];
    r.decryption_rules = vec!["R1".into(), "R2".into()];
    let err = d
        .deploy(&bundle("both.example.com"), &r)
        .await
        .expect_err("push fails");
    let DeployError::RolledBack {
        step,
        reason,
        process,
    } = &err
    else {
        panic!("{err}");
    };
    assert_eq!(step, "push", "{err}");
    assert!(reason.contains(&e.serials[1]), "{reason}");
    assert_same(&before, &state(&e));
    // the firewall DG1's push reached was rolled back too (pushed and verified again)
    let p = e.store.get(process).await.expect("get").expect("p");
    let rv = p
        .steps
        .iter()
        .find(|s| s.name == "rollback-verify")
        .expect("rollback verified");
    assert_eq!(
        rv.outcome
            .results
            .iter()
            .map(|r| r.device.as_str())
            .collect::<Vec<_>>(),
        [e.serials[0].as_str()]
    );
    e.sim.shutdown().await;
}

#[tokio::test]
async fn shared_and_device_group_locations_refuse_what_they_cannot_hold() {
    use panops_certs::deploy::Location;
    let e = estate().await;
    let before = state(&e);
    let d = Deployer::new(e.client.clone(), e.store.clone(), timing());
    let mut r = rules_req(Location::Shared, &["DG1"], &["R1"]);
    r.ssl_tls_profiles = vec!["P1".into()];
    let err = d
        .deploy(&bundle("x.example.com"), &r)
        .await
        .expect_err("profiles are template objects");
    assert!(
        err.to_string()
            .starts_with("--ssl-tls-profile: SSL/TLS service profiles are template objects"),
        "{err}"
    );
    let r = rules_req(
        Location::DeviceGroup("DG1".into()),
        &["DG1", "DG2"],
        &["R1"],
    );
    let err = d
        .deploy(&bundle("x.example.com"), &r)
        .await
        .expect_err("one group's certificate");
    assert!(
        err.to_string()
            .contains("visible to that group's rules only"),
        "{err}"
    );
    let r = rules_req(Location::DeviceGroup("NoSuchDG".into()), &[], &["R1"]);
    let err = d
        .deploy(&bundle("x.example.com"), &r)
        .await
        .expect_err("no such group");
    assert!(
        err.to_string()
            .contains("device group NoSuchDG does not exist on Panorama"),
        "{err}"
    );
    let r = rules_req(Location::Shared, &["DG1"], &["R9"]);
    let err = d
        .deploy(&bundle("x.example.com"), &r)
        .await
        .expect_err("no such rule");
    assert!(
        err.to_string()
            .contains("decryption rule R9 does not exist in device group DG1"),
        "{err}"
    );
    // the simulator refuses an import into a device group that does not exist
    let (c, k) = cert("y.example.com");
    let mut imp = panops_panos::import::Import::new(
        panops_panos::import::ImportCategory::Keypair,
        "y",
        panops_panos::import::ImportFormat::Pem,
        "y.pem",
        format!("{c}{k}").into_bytes(),
    );
    imp.passphrase = Some("unused".into());
    imp.vsys = Some("NoSuchDG".into());
    let err = e.client.import(&imp).await.expect_err("refused");
    assert!(
        err.to_string()
            .contains("Device group NoSuchDG does not exist"),
        "{err}"
    );
    assert_same(&before, &state(&e));
    e.sim.shutdown().await;
}

/// T1 gains a GlobalProtect portal and gateway in vsys1 and a management interface, all
/// using profile P1; committed and pushed.
async fn globalprotect_and_management_on_p1(e: &Estate) {
    let base = format!("{LH}/template/entry[@name='T1']/config/devices");
    e.client
        .config_set(
            &base,
            "<entry name=\"localhost.localdomain\"><deviceconfig><system><ssl-tls-service-profile>P1</ssl-tls-service-profile></system></deviceconfig><vsys><entry name=\"vsys1\"><global-protect><global-protect-portal><entry name=\"gp-portal\"><portal-config><ssl-tls-service-profile>P1</ssl-tls-service-profile></portal-config></entry></global-protect-portal><global-protect-gateway><entry name=\"gp-gw\"><ssl-tls-service-profile>P1</ssl-tls-service-profile></entry></global-protect-gateway></global-protect></entry></vsys></entry>",
        )
        .await
        .expect("gp + management");
    let wait = || {
        panops_client::panos::WaitOptions::default().interval(std::time::Duration::from_millis(20))
    };
    e.client
        .commit_and_wait(&Default::default(), wait())
        .await
        .expect("commit");
    e.client
        .commit_all_and_wait(
            &panops_panos::commit::CommitAll::template_stack("S1"),
            wait(),
        )
        .await
        .expect("push");
}

#[tokio::test]
async fn deploy_for_a_globalprotect_portal_binds_its_profile_and_reports_every_use() {
    let e = estate().await;
    globalprotect_and_management_on_p1(&e).await;
    let before = state(&e);
    let d = Deployer::new(e.client.clone(), e.store.clone(), timing());
    let mut r = req(Mode::Append);
    r.replace_cert = None;
    r.device_groups = vec![];
    r.gp_portals = vec!["gp-portal".into()];
    let done = d
        .deploy(&bundle("vpn.example.com"), &r)
        .await
        .expect("deploy");
    let snap = &done.snapshot;
    assert_eq!(snap.profiles.len(), 1);
    assert_eq!(snap.profiles[0].name, "P1");
    assert_eq!(
        snap.profiles[0].used_by,
        [
            "management web UI",
            "globalprotect-portal gp-portal",
            "globalprotect-gateway gp-gw"
        ]
    );
    let line = snap
        .plan_lines()
        .into_iter()
        .find(|l| l.contains("ssl-tls-service-profile P1"))
        .expect("profile line");
    assert!(
        line.ends_with("(used by management web UI, globalprotect-portal gp-portal, globalprotect-gateway gp-gw)"),
        "{line}"
    );
    let name = &snap.new_cert;
    for s in &e.serials {
        // the portal still takes its certificate from P1, and P1 now holds the new one
        let portal = fw_text(
            &e,
            s,
            &format!("{LH}/vsys/entry[@name='vsys1']/global-protect/global-protect-portal/entry[@name='gp-portal']/portal-config/ssl-tls-service-profile"),
        )
        .expect("portal");
        assert!(portal.contains(">P1<"), "{portal}");
        let prof = fw_text(
            &e,
            s,
            "/config/shared/ssl-tls-service-profile/entry[@name='P1']/certificate",
        )
        .expect("P1");
        assert!(prof.contains(name.as_str()), "{prof}");
    }
    d.rollback(&done.process, false).await.expect("rollback");
    assert_same(&before, &state(&e));
    e.sim.shutdown().await;
}

#[tokio::test]
async fn management_overridden_locally_fails_verification_and_rolls_back() {
    let e = estate().await;
    globalprotect_and_management_on_p1(&e).await;
    // a firewall admin pointed the web UI at another profile locally
    let fw = e.client.with_target(&e.serials[1]).expect("target");
    fw.config_override(
        &format!("{LH}/deviceconfig/system"),
        "<ssl-tls-service-profile>local-ui</ssl-tls-service-profile>",
    )
    .await
    .expect("override");
    fw.commit_and_wait(
        &Default::default(),
        panops_client::panos::WaitOptions::default().interval(std::time::Duration::from_millis(20)),
    )
    .await
    .expect("local commit");
    let before = state(&e);
    let d = Deployer::new(e.client.clone(), e.store.clone(), timing());
    let mut r = req(Mode::Append);
    r.replace_cert = None;
    r.device_groups = vec![];
    r.management = true;
    let err = d
        .deploy(&bundle("ui.example.com"), &r)
        .await
        .expect_err("verify fails");
    let DeployError::RolledBack { step, reason, .. } = &err else {
        panic!("{err}");
    };
    assert_eq!(step, "verify");
    assert!(
        reason.contains(&e.serials[1])
            && reason.contains("management web UI uses ssl-tls-service-profile local-ui, not P1"),
        "{reason}"
    );
    assert_same(&before, &state(&e));
    // and naming a portal that does not exist is refused before anything is sent
    let mut r = req(Mode::Append);
    r.replace_cert = None;
    r.gp_portals = vec!["nope".into()];
    let err = d
        .deploy(&bundle("ui.example.com"), &r)
        .await
        .expect_err("refused");
    assert!(
        err.to_string()
            .starts_with("--gp-portal: globalprotect-portal nope does not exist in template T1"),
        "{err}"
    );
    e.sim.shutdown().await;
}
