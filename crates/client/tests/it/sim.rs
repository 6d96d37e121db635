//! Round trips against the in-process simulator (`panops-sim`).

use std::time::Duration;

use panops_client::{
    Error,
    panos::{ClientConfig, ClientConfigBuilder, PanosClient, Protocol, WaitOptions},
};
use panops_panos::{
    CommitOutcome, JobResult,
    commit::{Commit, CommitAll},
    userid::{UidMessage, UidOp},
    xpath::{Location, Xpath},
};
use panops_sim::{AdminAccount, RunningSim, SimConfig, Simulator};

const USER: &str = "ops";
const PASSWORD: &str = "Sim-Pa55word!";

async fn start(cfg: SimConfig) -> RunningSim {
    Simulator::start(
        cfg.admin(AdminAccount::new(USER, PASSWORD))
            .job_duration(Duration::from_millis(150)),
    )
    .await
    .expect("simulator starts")
}

fn builder(sim: &RunningSim) -> ClientConfigBuilder {
    let url = url::Url::parse(&sim.url()).expect("sim url");
    let proto = if url.scheme() == "https" {
        Protocol::Https
    } else {
        Protocol::Http
    };
    ClientConfig::builder(url.host_str().expect("host"))
        .port(url.port_or_known_default().expect("port"))
        .protocol(proto)
        .use_env_proxy(false)
        .credentials(USER, PASSWORD)
}

fn fast_wait<'a>() -> WaitOptions<'a> {
    WaitOptions::default()
        .interval(Duration::from_millis(50))
        .timeout(Duration::from_secs(20))
}

#[tokio::test]
async fn keygen_set_get_commit_and_show() {
    let sim = start(SimConfig::firewall().plain()).await;
    let client = PanosClient::new(builder(&sim).build().unwrap()).unwrap();
    let key = client.keygen().await.unwrap();
    assert!(!key.expose().is_empty());

    let parent = Xpath::at(&Location::vsys("vsys1"))
        .unwrap()
        .child("address");
    client
        .config_set(
            parent.as_str(),
            r#"<entry name="web-1"><ip-netmask>10.0.0.1/32</ip-netmask></entry>"#,
        )
        .await
        .unwrap();
    let entry = parent.clone().entry("web-1");
    let got = client.config_get(entry.as_str()).await.unwrap();
    let el = got
        .result()
        .unwrap()
        .child("entry")
        .expect("entry in candidate");
    assert_eq!(el.child_text("ip-netmask").as_deref(), Some("10.0.0.1/32"));

    // Not in the running config before the commit.
    let err = client.config_show(entry.as_str()).await.unwrap_err();
    assert!(err.as_api().is_some_and(|e| e.is_not_found()), "{err:?}");

    let mut progress = Vec::new();
    let job = client
        .commit_and_wait(
            &Commit {
                description: Some("panops test".into()),
                ..Default::default()
            },
            fast_wait().on_progress(|j| progress.push(j.progress)),
        )
        .await
        .unwrap()
        .expect("a commit job");
    assert_eq!(job.result, JobResult::Ok);
    assert!(!progress.is_empty());
    let shown = client.config_show(entry.as_str()).await.unwrap();
    assert!(shown.result_xml().unwrap().contains("10.0.0.1/32"));

    // A second commit has nothing to do.
    let again = client.commit(&Commit::default()).await.unwrap();
    assert!(
        matches!(again, CommitOutcome::NoChanges { .. }),
        "{again:?}"
    );

    // get of a missing object: success with an empty result (code 7).
    let missing = client
        .config_get(parent.entry("nope").as_str())
        .await
        .unwrap();
    assert!(missing.is_empty_result());
    sim.shutdown().await;
}

#[tokio::test]
async fn https_verification_is_on_by_default_and_a_ca_bundle_works() {
    let sim = start(SimConfig::firewall()).await;
    assert!(sim.url().starts_with("https://"));
    let strict = PanosClient::new(
        builder(&sim)
            .retry(panops_client::retry::RetryPolicy {
                max_attempts: 4,
                initial_backoff: Duration::from_millis(5),
                max_backoff: Duration::from_millis(20),
                ..panops_client::retry::RetryPolicy::default()
            })
            .build()
            .unwrap(),
    )
    .unwrap();
    // A certificate verdict does not change on retry: one attempt, and the fixes named.
    match strict.version().await.unwrap_err() {
        err @ Error::Transport { .. } => {
            let Error::Transport { kind, attempts, .. } = &err else {
                unreachable!()
            };
            assert_eq!(
                *kind,
                panops_client::http::TransportKind::Certificate,
                "{err}"
            );
            assert_eq!(*attempts, 1, "{err}");
            let shown = format!("{:#}", anyhow_like(&err));
            assert!(shown.contains("certificate"), "{shown}");
            assert!(shown.contains("--ca-file"), "{shown}");
            assert!(shown.contains("PANOS_SKIP_VERIFY_CERTIFICATE"), "{shown}");
            assert!(!shown.contains("error sending request"), "{shown}");
        }
        other => panic!("self-signed cert must be rejected by default: {other:?}"),
    }
    let pem = sim.ca_pem().expect("sim cert");
    let path = std::env::temp_dir().join(format!("panops-sim-ca-{}.pem", std::process::id()));
    std::fs::write(&path, pem).unwrap();
    let trusted = PanosClient::new(builder(&sim).ca_bundle(&path).build().unwrap()).unwrap();
    let v = trusted.version().await.unwrap();
    assert!(!v.sw_version.is_empty());
    let _ = std::fs::remove_file(&path);
    let lax = PanosClient::new(
        builder(&sim)
            .danger_accept_invalid_certs(true)
            .build()
            .unwrap(),
    )
    .unwrap();
    lax.op("show system info").await.unwrap();
    sim.shutdown().await;
}

/// The message as the CLI prints it: the error and every cause below it.
fn anyhow_like(err: &Error) -> String {
    let mut out = err.to_string();
    let mut next = std::error::Error::source(err);
    while let Some(cause) = next {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        next = cause.source();
    }
    out
}

#[tokio::test]
async fn https_to_a_plain_http_port_fails_at_once_and_names_the_protocol_setting() {
    let sim = start(SimConfig::firewall().plain()).await;
    let client = PanosClient::new(
        builder(&sim)
            .protocol(Protocol::Https)
            .retry(panops_client::retry::RetryPolicy {
                max_attempts: 4,
                initial_backoff: Duration::from_millis(5),
                max_backoff: Duration::from_millis(20),
                ..panops_client::retry::RetryPolicy::default()
            })
            .build()
            .unwrap(),
    )
    .unwrap();
    let err = client.version().await.unwrap_err();
    match &err {
        Error::Transport { kind, attempts, .. } => {
            assert_eq!(*kind, panops_client::http::TransportKind::NotTls, "{err}");
            assert_eq!(*attempts, 1, "{err}");
        }
        other => panic!("{other:?}"),
    }
    let shown = anyhow_like(&err);
    assert!(shown.contains("PANOS_PROTOCOL=http"), "{shown}");
    sim.shutdown().await;
}

#[tokio::test]
async fn a_change_whose_answer_is_lost_says_it_may_have_been_applied() {
    let sim = start(SimConfig::firewall().plain()).await;
    let client = PanosClient::new(builder(&sim).build().unwrap()).unwrap();
    client.api_key().await.unwrap();
    sim.handle().set_faults(panops_sim::Faults {
        rate_reset: 1.0,
        ..panops_sim::Faults::default()
    });
    let err = client
        .config_set("/config/shared/tag", r#"<entry name="t"/>"#)
        .await
        .unwrap_err();
    let shown = anyhow_like(&err);
    assert!(shown.contains("may have been applied"), "{shown}");
    assert!(shown.contains("panops config get"), "{shown}");
    // A read whose answer is lost changed nothing: no such warning.
    let err = client.op("show system info").await.unwrap_err();
    assert!(
        !anyhow_like(&err).contains("may have been applied"),
        "{err}"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn target_redirects_to_a_managed_firewall() {
    let sim = start(SimConfig::panorama(2).plain()).await;
    let serial = sim.serials()[0].clone();
    let panorama = PanosClient::new(builder(&sim).build().unwrap()).unwrap();
    let fw = panorama.with_target(&serial).unwrap();
    let info = fw.op("show system info").await.unwrap();
    let got_serial = info
        .result()
        .and_then(|r| r.path("system/serial"))
        .map(|e| e.deep_text());
    assert_eq!(got_serial.as_deref(), Some(serial.as_str()));
    let xp = Xpath::at(&Location::vsys("vsys1"))
        .unwrap()
        .child("tag")
        .into_string();
    fw.config_set(&xp, r#"<entry name="quarantine"/>"#)
        .await
        .unwrap();
    let on_fw = sim.handle().config_xml(Some(&serial), false, &xp);
    assert!(on_fw.is_some_and(|x| x.contains("quarantine")));
    let targets: Vec<String> = sim
        .handle()
        .requests()
        .into_iter()
        .map(|r| r.target)
        .collect();
    assert!(targets.iter().any(|t| t == &serial), "{targets:?}");
    sim.shutdown().await;
}

#[tokio::test]
async fn commit_busy_is_not_retried_and_failed_jobs_are_reported() {
    let sim = start(SimConfig::firewall().plain()).await;
    let client = PanosClient::new(builder(&sim).build().unwrap()).unwrap();
    client
        .config_set(
            "/config/shared/address",
            r#"<entry name="a"><fqdn>a.example</fqdn></entry>"#,
        )
        .await
        .unwrap();
    sim.handle().fail_next_commits_busy(1);
    sim.handle().clear_requests();
    let err = client.commit(&Commit::default()).await.unwrap_err();
    let api = err.as_api().expect("api error");
    assert!(api.is_commit_in_progress() && api.is_retryable(), "{api:?}");
    let commits = sim
        .handle()
        .requests()
        .into_iter()
        .filter(|r| r.req_type == "commit")
        .count();
    assert_eq!(commits, 1, "a commit is never retried blindly");

    sim.handle().fail_next_jobs(1);
    match client
        .commit_and_wait(&Commit::default(), fast_wait())
        .await
    {
        Err(Error::JobFailed { job, .. }) => assert_eq!(job.result, JobResult::Fail),
        other => panic!("{other:?}"),
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn expired_keys_are_regenerated() {
    let sim = start(
        SimConfig::firewall()
            .plain()
            .key_lifetime(Duration::from_millis(1500)),
    )
    .await;
    let client = PanosClient::new(builder(&sim).build().unwrap()).unwrap();
    let first = client.api_key().await.unwrap();
    tokio::time::sleep(Duration::from_millis(1700)).await;
    client.op("show system info").await.unwrap();
    let keygens = sim
        .handle()
        .requests()
        .into_iter()
        .filter(|r| r.req_type == "keygen")
        .count();
    assert_eq!(keygens, 2, "the expired key was replaced once");
    let second = client.api_key().await.unwrap();
    assert_ne!(first, second);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_key_that_keeps_expiring_is_reported_without_leaking() {
    let sim = start(SimConfig::firewall().plain()).await;
    let client = PanosClient::new(builder(&sim).build().unwrap()).unwrap();
    let key = client.api_key().await.unwrap();
    sim.handle().expire_keys();
    let err = client.op("show system info").await.unwrap_err();
    assert!(err.as_api().is_some_and(|e| e.is_key_expired()), "{err:?}");
    assert!(!format!("{err} {err:?}").contains(key.expose()));
    sim.shutdown().await;
}

#[tokio::test]
async fn push_to_device_group_waits_for_devices() {
    let sim = start(SimConfig::panorama(2).plain()).await;
    let client = PanosClient::new(builder(&sim).build().unwrap()).unwrap();
    let serials = sim.serials();
    let dg = "DG1".to_owned();
    let devices: String = serials
        .iter()
        .map(|s| format!("<entry name=\"{s}\"/>"))
        .collect();
    client
        .config_set(
            "/config/devices/entry[@name='localhost.localdomain']/device-group",
            &format!("<entry name=\"{dg}\"><devices>{devices}</devices></entry>"),
        )
        .await
        .unwrap();
    let xp = Xpath::at(&Location::device_group(dg.clone()))
        .unwrap()
        .child("address")
        .into_string();
    client
        .config_set(
            &xp,
            r#"<entry name="dg-obj"><ip-netmask>10.9.9.9</ip-netmask></entry>"#,
        )
        .await
        .unwrap();
    client
        .commit_and_wait(&Commit::default(), fast_wait())
        .await
        .unwrap();
    let job = client
        .commit_all_and_wait(&CommitAll::device_group(dg), fast_wait())
        .await
        .unwrap()
        .expect("push job");
    assert_eq!(job.result, JobResult::Ok);
    assert_eq!(job.devices.len(), serials.len(), "{job:?}");
    assert!(
        job.devices.iter().all(|d| d.result == JobResult::Ok),
        "{job:?}"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn user_id_tags_show_up_in_op_output() {
    let sim = start(SimConfig::firewall().plain()).await;
    let client = PanosClient::new(builder(&sim).build().unwrap()).unwrap();
    let mut msg = UidMessage::new();
    msg.push(UidOp::register_ip("10.1.1.1", "quarantine", Some(600)).unwrap());
    client.user_id(&msg).await.unwrap();
    let out = client.op("show object registered-ip all").await.unwrap();
    assert!(
        out.xml().contains("10.1.1.1") && out.xml().contains("quarantine"),
        "{}",
        out.xml()
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn multi_config_logs_export_and_import() {
    let sim = start(SimConfig::firewall()).await;
    let pem = sim.ca_pem().expect("https sim has a cert");
    let path = std::env::temp_dir().join(format!("panops-sim-ca2-{}.pem", std::process::id()));
    std::fs::write(&path, &pem).unwrap();
    let client = PanosClient::new(builder(&sim).ca_bundle(&path).build().unwrap()).unwrap();
    let _ = std::fs::remove_file(&path);

    // multi-config: all or nothing, nested per-op errors.
    let parent = Xpath::at(&Location::vsys("vsys1"))
        .unwrap()
        .child("address");
    let mut mc = panops_panos::config::MultiConfig::new();
    mc.set(
        parent.as_str(),
        r#"<entry name="m1"><fqdn>m1.example</fqdn></entry>"#,
    )
    .unwrap();
    mc.set(
        parent.as_str(),
        r#"<entry name="m2"><fqdn>m2.example</fqdn></entry>"#,
    )
    .unwrap();
    client.multi_config(&mc, false).await.unwrap();
    let got = client.config_get(parent.as_str()).await.unwrap();
    assert!(got.result_xml().unwrap().contains("m2.example"));
    let mut bad = panops_panos::config::MultiConfig::new();
    bad.set(
        parent.as_str(),
        r#"<entry name="m3"><fqdn>m3.example</fqdn></entry>"#,
    )
    .unwrap();
    let long = "n".repeat(64);
    bad.set(
        parent.as_str(),
        &format!(r#"<entry name="{long}"><fqdn>x.example</fqdn></entry>"#),
    )
    .unwrap()
    .id = "LEN-ERROR".into();
    let err = client.multi_config(&bad, false).await.unwrap_err();
    let api = err.as_api().expect("api error");
    assert!(
        !api.sub_responses.is_empty() || !api.messages.is_empty(),
        "{api:?}"
    );
    let after = client
        .config_get(parent.entry("m3").as_str())
        .await
        .unwrap();
    assert!(
        after.is_empty_result(),
        "multi-config must roll back: {}",
        after.xml()
    );

    // logs: client-side range check, then a real query.
    let mut q = panops_panos::log::LogQuery::new("traffic");
    q.nlogs = Some(5001);
    let before = sim.handle().requests().len();
    assert!(matches!(
        client.log_query(&q).await,
        Err(Error::Invalid { .. })
    ));
    assert_eq!(sim.handle().requests().len(), before, "nothing sent");
    q.nlogs = Some(5);
    let logs = client
        .logs(&q, Duration::from_millis(50), Duration::from_secs(10))
        .await
        .unwrap();
    assert!(logs.entries.len() <= 5);

    // export: the running config document itself.
    let exp = client.export_configuration().await.unwrap();
    assert!(String::from_utf8_lossy(&exp.content).contains("<config"));

    // import: a PEM certificate as multipart.
    let imp = panops_panos::import::Import::new(
        panops_panos::import::ImportCategory::Certificate,
        "sim-ca",
        panops_panos::import::ImportFormat::Pem,
        "sim-ca.pem",
        pem.into_bytes(),
    );
    client.import(&imp).await.unwrap();
    let certs = client
        .config_get("/config/shared/certificate/entry[@name='sim-ca']")
        .await
        .unwrap();
    assert!(!certs.is_empty_result(), "{}", certs.xml());
    sim.shutdown().await;
}

#[tokio::test]
async fn injected_resets_and_5xx_are_retried_for_reads_only() {
    use panops_client::http::TransportKind;
    use panops_client::retry::RetryPolicy;
    use panops_sim::Faults;

    let sim = start(SimConfig::firewall().plain()).await;
    let client = PanosClient::new(
        builder(&sim)
            .retry(RetryPolicy {
                max_attempts: 3,
                initial_backoff: Duration::from_millis(5),
                max_backoff: Duration::from_millis(20),
                ..RetryPolicy::default()
            })
            .build()
            .unwrap(),
    )
    .unwrap();
    client.api_key().await.unwrap();

    sim.handle().set_faults(Faults {
        rate_reset: 1.0,
        ..Faults::default()
    });
    match client.op("show system info").await.unwrap_err() {
        Error::Transport { kind, attempts, .. } => {
            assert_eq!(kind, TransportKind::Interrupted);
            assert_eq!(attempts, 3);
        }
        other => panic!("{other:?}"),
    }
    match client
        .config_set("/config/shared/tag", r#"<entry name="t"/>"#)
        .await
        .unwrap_err()
    {
        Error::Transport { attempts, .. } => assert_eq!(attempts, 1),
        other => panic!("{other:?}"),
    }

    sim.handle().set_faults(Faults {
        rate_5xx: 1.0,
        ..Faults::default()
    });
    let err = client.config_get("/config/shared").await.unwrap_err();
    assert_eq!(err.as_api().map(|e| e.http_status), Some(503), "{err:?}");

    sim.handle().set_faults(Faults::default());
    client.op("show system info").await.unwrap();
    sim.shutdown().await;
}

#[tokio::test]
async fn typed_and_dynamic_objects_bulk_writes_and_read_modify_write() {
    use panops_panos::catalog::{LocationArgs, Rulebase};
    use panops_panos::config::{MultiConfig, Where};
    use panops_panos::objects::{Address, AddressGroup, AddressValue, SecurityRule};

    let sim = start(SimConfig::panorama(1).plain()).await;
    let client = PanosClient::new(builder(&sim).build().unwrap()).unwrap();
    client.keygen().await.unwrap();
    client
        .config_set(
            "/config/devices/entry[@name='localhost.localdomain']/device-group",
            "<entry name='dg1'/>",
        )
        .await
        .unwrap();
    let dg = LocationArgs::device_group("dg1");
    let addresses = client.typed::<Address>(&dg).unwrap();

    // 2,000 typed addresses in ONE request.
    let many: Vec<Address> = (0..2000)
        .map(|i| {
            Address::new(
                format!("ioc-{i}"),
                AddressValue::IpNetmask(format!("198.18.{}.{}/32", i / 250, i % 250)),
            )
            .with_tag("ioc")
        })
        .collect();
    client
        .config_set(
            "/config/devices/entry[@name='localhost.localdomain']/device-group/entry[@name='dg1']/tag",
            "<entry name='ioc'/>",
        )
        .await
        .unwrap();
    sim.handle().clear_requests();
    assert_eq!(addresses.set_many(&many).await.unwrap(), 1);
    let sets = sim
        .handle()
        .requests()
        .iter()
        .filter(|r| r.action == "set")
        .count();
    assert_eq!(sets, 1, "one set for 2,000 siblings");
    let listed = addresses.list().await.unwrap();
    assert_eq!(listed.len(), 2000);
    let seventh = listed.iter().find(|a| a.name == "ioc-7").unwrap();
    assert_eq!(
        (&seventh.value, &seventh.tag),
        (&many[7].value, &many[7].tag)
    );
    // The device annotates candidate reads (admin, time); they are kept but never sent back.
    assert!(seventh.extra.contains_key("_attributes"), "{seventh:?}");
    let names = addresses.dynamic().names().await.unwrap();
    assert_eq!(names.len(), 2000);
    assert!(names.contains(&"ioc-1999".to_string()));

    // A byte budget splits the same write into several requests, in order.
    let dynamic = addresses.dynamic();
    let values: Vec<_> = many[..300]
        .iter()
        .map(|a| panops_panos::objects::TypedObject::to_value(a).unwrap())
        .collect();
    assert!(dynamic.set_many_chunked(&values, 4096).await.unwrap() > 1);

    // Validation happens before anything is sent, and names the field.
    sim.handle().clear_requests();
    let bad = vec![
        serde_json::json!({"name": "x", "ip-netmask": "10.0.0.1", "description": "d".repeat(2000)}),
    ];
    let err = dynamic.set_many(&bad).await.unwrap_err();
    assert!(matches!(err, Error::Invalid { .. }), "{err:?}");
    assert!(err.to_string().contains("description"), "{err}");
    assert!(sim.handle().requests().is_empty(), "nothing sent");

    // Read-modify-write keeps XML the catalog does not know about.
    client
        .config_set(
            dynamic.container_xpath(),
            "<entry name='odd'><ip-netmask>10.1.1.1</ip-netmask><description>old</description></entry>",
        )
        .await
        .unwrap();
    let updated = dynamic
        .update("odd", |v| v["description"] = "new".into())
        .await
        .unwrap();
    assert_eq!(updated["description"], "new");
    let back = addresses.get("odd").await.unwrap().unwrap();
    assert_eq!(back.description.as_deref(), Some("new"));
    assert_eq!(back.value, AddressValue::IpNetmask("10.1.1.1".into()));
    let missing = dynamic.update("nope", |_| {}).await.unwrap_err();
    assert!(missing.to_string().contains("does not exist"), "{missing}");

    // Mixed changes, all-or-nothing: a group, a rule at the top of the pre-rulebase.
    let groups = client.typed::<AddressGroup>(&dg).unwrap();
    let rules = client
        .typed::<SecurityRule>(&dg.clone().with_rulebase(Rulebase::Pre))
        .unwrap();
    rules
        .set(&SecurityRule::new("existing", "allow"))
        .await
        .unwrap();
    let mut batch = MultiConfig::new();
    let group = AddressGroup::with_members("ioc-hosts", ["ioc-1", "ioc-2"]);
    groups
        .dynamic()
        .stage_set(
            &mut batch,
            &panops_panos::objects::TypedObject::to_value(&group).unwrap(),
        )
        .unwrap();
    let mut rule = SecurityRule::new("block-ioc", "deny");
    rule.destination = vec!["ioc-hosts".into()];
    rules
        .dynamic()
        .stage_set(
            &mut batch,
            &panops_panos::objects::TypedObject::to_value(&rule).unwrap(),
        )
        .unwrap();
    rules
        .dynamic()
        .stage_move(&mut batch, "block-ioc", &Where::Top)
        .unwrap();
    client.multi_config(&batch, false).await.unwrap();
    let order: Vec<String> = rules
        .list()
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.name)
        .collect();
    assert_eq!(order, ["block-ioc", "existing"]);
    let got = groups.get("ioc-hosts").await.unwrap().unwrap();
    assert_eq!(got.static_members, group.static_members);

    // Bulk delete: one request with an or-list of names.
    sim.handle().clear_requests();
    let doomed: Vec<String> = (100..1100).map(|i| format!("ioc-{i}")).collect();
    let requests = dynamic.delete_many(&doomed).await.unwrap();
    assert!(requests <= 2, "{requests} requests for 1,000 deletes");
    assert_eq!(dynamic.names().await.unwrap().len(), 2000 + 1 - 1000);
    sim.shutdown().await;
}
