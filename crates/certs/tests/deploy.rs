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
    r.device_group = None;
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
