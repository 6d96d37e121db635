use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use panops_client::{
    Error,
    http::TransportKind,
    panos::{ClientConfig, PanosClient, Protocol, WaitOptions},
    retry::RetryPolicy,
};
use panops_panos::{
    CommitOutcome, Secret,
    import::{Import, ImportCategory, ImportFormat},
    log::LogQuery,
};

use crate::mock::{self, KEY, OK};

#[tokio::test]
async fn a_200_page_that_is_not_a_pan_os_answer_fails_every_command() {
    // A proxy or SSO portal answering 200 with its login page, for every request.
    let page = r#"<html><head><title>Corporate login</title></head><body>Sign in</body></html>"#;
    let srv = mock::start(move |_, _| (200, page.to_owned())).await;
    let client = PanosClient::new(srv.builder().api_key(KEY).build().unwrap()).unwrap();
    let op = client.op("show system info").await.unwrap_err();
    let get = client.config_get("/config/shared").await.unwrap_err();
    let set = client
        .config_set("/config/shared/tag", r#"<entry name="t"/>"#)
        .await
        .unwrap_err();
    let commit = client
        .commit(&panops_panos::commit::Commit::default())
        .await;
    for err in [&op, &get, &set] {
        match err {
            Error::Decode(d) => {
                assert!(d.reason.contains("may not be a PAN-OS"), "{}", d.reason);
                assert!(d.reason.contains("Corporate login"), "{}", d.reason);
                assert!(
                    d.reason.contains("content type application/xml"),
                    "{}",
                    d.reason
                );
            }
            other => panic!("must be a decode error: {other:?}"),
        }
    }
    assert!(
        matches!(commit, Err(Error::Decode(_))),
        "a commit must not 'succeed' without a job: {commit:?}"
    );
}

#[tokio::test]
async fn key_travels_in_the_header_only() {
    let srv = mock::start(|_, _| (200, OK.to_owned())).await;
    let client = PanosClient::new(srv.builder().api_key(KEY).build().unwrap()).unwrap();
    client
        .config_set(
            "/config/shared/address",
            r#"<entry name="a"><fqdn>x</fqdn></entry>"#,
        )
        .await
        .unwrap();
    let seen = srv.requests();
    assert_eq!(seen.len(), 1);
    let r = &seen[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.uri, "/api/");
    assert_eq!(r.key_header().as_deref(), Some(KEY));
    assert!(!r.body_text().contains(KEY));
    assert!(r.param("key").is_none());
    assert_eq!(r.param("type").as_deref(), Some("config"));
    assert_eq!(r.param("action").as_deref(), Some("set"));
    assert_eq!(
        r.headers.get("content-type").unwrap(),
        "application/x-www-form-urlencoded"
    );
}

#[tokio::test]
async fn keygen_is_a_post_body_and_the_key_is_cached() {
    let srv = mock::start(|r, _| {
        if r.param("type").as_deref() == Some("keygen") {
            (200, mock::keygen_body(KEY))
        } else {
            (200, OK.to_owned())
        }
    })
    .await;
    let client = PanosClient::new(
        srv.builder()
            .credentials("admin", "pa$$ w&rd")
            .build()
            .unwrap(),
    )
    .unwrap();
    client.op("show system info").await.unwrap();
    client.op("show clock").await.unwrap();
    let seen = srv.requests();
    assert_eq!(seen.len(), 3, "one keygen, two ops");
    let kg = &seen[0];
    assert_eq!(kg.uri, "/api/");
    assert_eq!(kg.param("user").as_deref(), Some("admin"));
    assert_eq!(kg.param("password").as_deref(), Some("pa$$ w&rd"));
    assert!(kg.key_header().is_none());
    for r in &seen[1..] {
        assert_eq!(r.key_header().as_deref(), Some(KEY));
        assert!(r.param("password").is_none());
    }
    assert_eq!(
        seen[1].param("cmd").as_deref(),
        Some("<show><system><info></info></system></show>")
    );
}

#[tokio::test]
async fn idempotent_requests_are_retried_on_502() {
    let srv = mock::start(|_, n| {
        if n < 2 {
            (502, "<html>Bad Gateway</html>".to_owned())
        } else {
            (
                200,
                r#"<response status="success" code="7"><result/></response>"#.to_owned(),
            )
        }
    })
    .await;
    let client = PanosClient::new(srv.builder().api_key(KEY).build().unwrap()).unwrap();
    let resp = client.config_get("/config/shared/address").await.unwrap();
    assert_eq!(resp.code(), Some(7));
    assert_eq!(srv.requests().len(), 3);
}

#[tokio::test]
async fn config_writes_are_not_retried_on_502() {
    let srv = mock::start(|_, _| (502, "<html>Bad Gateway</html>".to_owned())).await;
    let client = PanosClient::new(srv.builder().api_key(KEY).build().unwrap()).unwrap();
    let err = client
        .config_set("/config/shared/address", "<entry name=\"a\"/>")
        .await
        .unwrap_err();
    match &err {
        Error::Api(e) => assert_eq!(e.http_status, 502),
        other => panic!("{other:?}"),
    }
    assert_eq!(srv.requests().len(), 1);
    // commits neither
    let err = client.commit(&Default::default()).await.unwrap_err();
    assert!(matches!(err, Error::Api(_)));
    assert_eq!(srv.requests().len(), 2);
}

#[tokio::test]
async fn refused_connections_are_retried_because_nothing_was_sent() {
    // Bind then drop a listener to get a port with nothing behind it.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let cfg = panops_client::panos::ClientConfig::builder("127.0.0.1")
        .port(port)
        .protocol(panops_client::panos::Protocol::Http)
        .use_env_proxy(false)
        .api_key(KEY)
        .retry(RetryPolicy {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(2),
            ..RetryPolicy::default()
        })
        .build()
        .unwrap();
    let client = PanosClient::new(cfg).unwrap();
    let err = client.op("show system info").await.unwrap_err();
    match &err {
        Error::Transport { kind, attempts, .. } => {
            assert_eq!(*kind, TransportKind::Refused);
            // A device restarting its management server refuses for a while: retried.
            assert_eq!(*attempts, 3);
        }
        other => panic!("{other:?}"),
    }
    // One sentence, the port setting named, reqwest's wrapper not repeated.
    let shown = err.to_string();
    assert!(shown.contains("connection refused"), "{shown}");
    assert!(shown.contains("PANOS_PORT"), "{shown}");
    assert!(!shown.contains("error sending request"), "{shown}");
    assert!(
        std::error::Error::source(&err).is_none(),
        "the cause is in the message already"
    );
    // A change is retried too when no connection was made: it never left this host.
    // (Changes whose exchange broke off after sending are not: see the reset tests.)
    match client
        .config_delete("/config/shared/address")
        .await
        .unwrap_err()
    {
        Error::Transport {
            attempts,
            maybe_applied,
            ..
        } => {
            assert_eq!(attempts, 3);
            assert!(!maybe_applied);
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn expired_key_is_regenerated_once() {
    let keygens = Arc::new(AtomicUsize::new(0));
    let k2 = Arc::clone(&keygens);
    let srv = mock::start(move |r, _| {
        if r.param("type").as_deref() == Some("keygen") {
            let n = k2.fetch_add(1, Ordering::SeqCst);
            return (200, mock::keygen_body(&format!("KEY{n}xxxx")));
        }
        if r.key_header().as_deref() == Some("KEY0xxxx") {
            return (
                400,
                "<response status = 'error' code = '400'><result><msg>Key Expired: KEY0xxxx has expired.</msg></result></response>"
                    .to_owned(),
            );
        }
        (200, OK.to_owned())
    })
    .await;
    let client =
        PanosClient::new(srv.builder().credentials("admin", "pw12").build().unwrap()).unwrap();
    client
        .config_delete("/config/shared/address/entry[@name='a']")
        .await
        .unwrap();
    assert_eq!(keygens.load(Ordering::SeqCst), 2);
    let seen = srv.requests();
    assert_eq!(seen.len(), 4);
    assert_eq!(seen[3].key_header().as_deref(), Some("KEY1xxxx"));
}

#[tokio::test]
async fn api_key_auth_reports_expired_key_without_leaking_it() {
    let srv = mock::start(|_, _| {
        (
            400,
            format!("<response status = 'error' code = '400'><result><msg>Key Expired: {KEY} has expired.</msg></result></response>"),
        )
    })
    .await;
    let client = PanosClient::new(srv.builder().api_key(KEY).build().unwrap()).unwrap();
    let err = client.op("show clock").await.unwrap_err();
    let api = err.as_api().expect("api error");
    assert!(api.is_key_expired());
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains(KEY), "{shown}");
}

fn job_xml(status: &str, result: &str, progress: u8, devices: &str) -> String {
    format!(
        "<response status=\"success\"><result><job><id>5</id><type>CommitAll</type><status>{status}</status>\
         <result>{result}</result><progress>{progress}</progress><details><line>done</line></details>{devices}</job></result></response>"
    )
}

#[tokio::test]
async fn wait_job_polls_tolerates_glitches_and_reports_device_failures() {
    let srv = mock::start(|_, n| match n {
        0 => (502, "<html/>".to_owned()),
        1 => (200, job_xml("ACT", "PEND", 50, "")),
        2 => (
            200,
            job_xml(
                "FIN",
                "OK",
                100,
                "<devices><entry><serial-no>0011</serial-no><result>PEND</result></entry></devices>",
            ),
        ),
        _ => (
            200,
            job_xml(
                "FIN",
                "OK",
                100,
                "<devices><entry><serial-no>0011</serial-no><result>FAIL</result><status>commit failed</status>\
                 <details><msg><errors><line>bad ref</line></errors></msg></details></entry></devices>",
            ),
        ),
    })
    .await;
    let client = PanosClient::new(
        srv.builder()
            .api_key(KEY)
            .retry(RetryPolicy::none())
            .build()
            .unwrap(),
    )
    .unwrap();
    let mut seen_progress = Vec::new();
    let err = client
        .wait_job(
            5,
            WaitOptions::default()
                .interval(Duration::from_millis(5))
                .timeout(Duration::from_secs(5))
                .on_progress(|j| seen_progress.push(j.progress)),
        )
        .await
        .unwrap_err();
    match err {
        Error::JobFailed { id, summary, job } => {
            assert_eq!(id, 5);
            assert!(summary.contains("0011: bad ref"), "{summary}");
            assert_eq!(job.devices.len(), 1);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(seen_progress, vec![Some(50), Some(100), Some(100)]);
    assert_eq!(
        srv.requests()[1].param("cmd").as_deref(),
        Some("<show><jobs><id>5</id></jobs></show>")
    );
}

#[tokio::test]
async fn wait_job_times_out() {
    let srv = mock::start(|_, _| (200, job_xml("ACT", "PEND", 10, ""))).await;
    let client = PanosClient::new(srv.builder().api_key(KEY).build().unwrap()).unwrap();
    let err = client
        .wait_job(
            5,
            WaitOptions::default()
                .interval(Duration::from_millis(10))
                .timeout(Duration::from_millis(50)),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::JobTimeout {
                id: 5,
                last: Some(_),
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn commit_outcomes() {
    let srv = mock::start(|r, _| {
        if r.param("action").as_deref() == Some("all") {
            (200, r#"<response status="success" code="19"><msg>There are no changes to commit.</msg></response>"#.to_owned())
        } else {
            (200, r#"<response status="success" code="19"><result><msg><line>Commit job enqueued with jobid 912</line></msg><job>912</job></result></response>"#.to_owned())
        }
    })
    .await;
    let client = PanosClient::new(srv.builder().api_key(KEY).build().unwrap()).unwrap();
    let out = client.commit(&Default::default()).await.unwrap();
    assert_eq!(out.job_id(), Some(912));
    let out = client
        .commit_all(&panops_panos::commit::CommitAll::device_group("DG1"))
        .await
        .unwrap();
    assert!(matches!(out, CommitOutcome::NoChanges { .. }));
}

#[tokio::test]
async fn default_target_and_vsys() {
    let srv = mock::start(|r, _| {
        if r.param("type").as_deref() == Some("log") {
            (
                200,
                r#"<response status="success" code="19"><result><job>3</job></result></response>"#
                    .to_owned(),
            )
        } else {
            (200, OK.to_owned())
        }
    })
    .await;
    let client = PanosClient::new(
        srv.builder()
            .api_key(KEY)
            .target("007951000123456")
            .vsys("vsys2")
            .build()
            .unwrap(),
    )
    .unwrap();
    client.op("show clock").await.unwrap();
    assert_eq!(
        client.log_query(&LogQuery::new("traffic")).await.unwrap(),
        3
    );
    let mut msg = panops_panos::userid::UidMessage::new();
    msg.push(panops_panos::userid::UidOp::logout("guest", "10.0.0.9").unwrap());
    client.user_id(&msg).await.unwrap();
    let other = client.with_target("0011").unwrap();
    other.op("show clock").await.unwrap();
    let seen = srv.requests();
    assert_eq!(seen[0].param("target").as_deref(), Some("007951000123456"));
    assert_eq!(seen[0].param("vsys"), None);
    assert_eq!(seen[1].param("target"), None, "type=log is not redirected");
    assert_eq!(seen[2].param("vsys").as_deref(), Some("vsys2"));
    assert_eq!(seen[3].param("target").as_deref(), Some("0011"));
}

#[tokio::test]
async fn benign_user_id_entry_errors_are_success() {
    let srv = mock::start(|_, _| {
        (200, r#"<response status="error"><msg><line><uid-response><payload><register><entry ip="10.0.0.1" message="tag t already exists, ignore"/></register></payload></uid-response></line></msg></response>"#.to_owned())
    })
    .await;
    let client = PanosClient::new(srv.builder().api_key(KEY).build().unwrap()).unwrap();
    let mut msg = panops_panos::userid::UidMessage::new();
    msg.push(panops_panos::userid::UidOp::register_ip("10.0.0.1", "t", Some(60)).unwrap());
    let resp = client.user_id(&msg).await.unwrap();
    assert_eq!(resp.entry_errors().len(), 1);
}

#[tokio::test]
async fn import_is_multipart_with_the_passphrase_in_the_body() {
    let srv = mock::start(|_, _| (200, OK.to_owned())).await;
    let client = PanosClient::new(srv.builder().api_key(KEY).build().unwrap()).unwrap();
    let mut imp = Import::new(
        ImportCategory::Keypair,
        "web",
        ImportFormat::Pem,
        "web.pem",
        b"-----BEGIN CERTIFICATE-----".to_vec(),
    );
    imp.passphrase = Some(Secret::new("p12pass"));
    client.import(&imp).await.unwrap();
    let r = &srv.requests()[0];
    assert_eq!(r.uri, "/api/");
    let ct = r.headers.get("content-type").unwrap().to_str().unwrap();
    assert!(ct.starts_with("multipart/form-data"), "{ct}");
    let body = r.body_text();
    assert!(body.contains("name=\"passphrase\"\r\n\r\np12pass"));
    assert!(body.contains("name=\"file\"; filename=\"web.pem\""));
    assert!(body.contains("-----BEGIN CERTIFICATE-----"));
    assert!(!body.contains(KEY));
}

#[tokio::test]
async fn export_returns_the_config_document() {
    let doc = "<config version=\"11.1.0\"><shared/></config>";
    let srv = mock::start(move |_, _| (200, doc.to_owned())).await;
    let client = PanosClient::new(srv.builder().api_key(KEY).build().unwrap()).unwrap();
    let exp = client.export_configuration().await.unwrap();
    assert_eq!(&exp.content[..], doc.as_bytes());
    assert_eq!(
        srv.requests()[0].param("category").as_deref(),
        Some("configuration")
    );
}

#[tokio::test]
async fn streamed_export_writes_the_document_and_decodes_errors() {
    // A document larger than the sniffing window, so it arrives in several chunks.
    let entries: String = (0..5000)
        .map(|i| {
            format!(
                "<entry name=\"a{i}\"><ip-netmask>10.0.{}.{}</ip-netmask></entry>",
                i / 250,
                i % 250
            )
        })
        .collect();
    let doc = format!(
        "<config version=\"11.1.0\"><shared><address>{entries}</address></shared></config>"
    );
    let body = doc.clone();
    let srv = mock::start(move |r, n| {
        if n == 0 {
            // One transient failure first: the export is idempotent, so it is retried.
            return (502, "bad gateway".into());
        }
        assert_eq!(r.param("category").as_deref(), Some("configuration"));
        (200, body.clone())
    })
    .await;
    let client = PanosClient::new(srv.builder().api_key(KEY).build().unwrap()).unwrap();
    let mut out = Vec::new();
    let written = client.export_configuration_to(&mut out).await.unwrap();
    assert_eq!(written as usize, doc.len());
    assert_eq!(out, doc.as_bytes());
    assert_eq!(srv.requests().len(), 2, "one retry after the 502");

    let srv = mock::start(|_, _| {
        (
            403,
            "<response status = 'error' code = '403'><result><msg>Invalid Credential</msg></result></response>".into(),
        )
    })
    .await;
    let client = PanosClient::new(srv.builder().api_key(KEY).build().unwrap()).unwrap();
    let mut out = Vec::new();
    let err = client.export_configuration_to(&mut out).await.unwrap_err();
    assert!(matches!(err, panops_client::Error::Api(_)), "{err:?}");
    assert!(err.to_string().contains("Invalid Credential"), "{err}");
    assert!(out.is_empty(), "nothing is written for an error envelope");
}

#[tokio::test]
async fn debug_output_hides_secrets() {
    let srv = mock::start(|_, _| (200, OK.to_owned())).await;
    let client = PanosClient::new(
        srv.builder()
            .credentials("admin", "hunter2pw")
            .build()
            .unwrap(),
    )
    .unwrap();
    let dbg = format!("{client:?}");
    assert!(!dbg.contains("hunter2pw"), "{dbg}");
    let client = PanosClient::new(srv.builder().api_key(KEY).build().unwrap()).unwrap();
    assert!(!format!("{client:?}").contains(KEY));
}

#[tokio::test]
async fn log_pages_advance_skip_until_a_short_page() {
    let srv = mock::start(|r, _| {
        if r.param("action").as_deref() == Some("get") {
            // Page size 2: full pages for skip 0 and 2, a short page for skip 4.
            let job: u32 = r.param("job-id").unwrap().parse().unwrap();
            let n = if job < 3 { 2 } else { 1 };
            let entries: String = (0..n)
                .map(|i| format!("<entry logid=\"{job}{i}\"><src>10.0.0.{i}</src></entry>"))
                .collect();
            (
                200,
                format!(
                    "<response status=\"success\"><result><job><status>FIN</status><id>{job}</id></job>\
                     <log><logs count=\"{n}\" progress=\"100\">{entries}</logs></log></result></response>"
                ),
            )
        } else {
            let skip: u32 = r.param("skip").unwrap().parse().unwrap();
            let job = skip / 2 + 1;
            (
                200,
                format!("<response status=\"success\" code=\"19\"><result><job>{job}</job></result></response>"),
            )
        }
    })
    .await;
    let client = PanosClient::new(srv.builder().api_key(KEY).build().unwrap()).unwrap();
    let pages = client
        .log_pages(
            &LogQuery::new("traffic"),
            2,
            10,
            Duration::from_millis(5),
            Duration::from_secs(5),
        )
        .await
        .unwrap();
    assert_eq!(
        pages.iter().map(|p| p.entries.len()).collect::<Vec<_>>(),
        vec![2, 2, 1]
    );
    let skips: Vec<String> = srv
        .requests()
        .iter()
        .filter(|r| r.param("action").is_none())
        .map(|r| r.param("skip").unwrap())
        .collect();
    assert_eq!(skips, ["0", "2", "4"]);
    assert_eq!(pages[1].entries[0]["logid"], "20");
}

#[tokio::test]
async fn request_timeouts_are_transport_timeouts_retried_only_for_reads() {
    // A server that accepts connections and never answers.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = silent.local_addr().unwrap();
    let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = accepted.clone();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = silent.accept().await {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            held.push(sock);
        }
    });
    let client = PanosClient::new(
        ClientConfig::builder(addr.ip().to_string())
            .port(addr.port())
            .protocol(Protocol::Http)
            .use_env_proxy(false)
            .api_key(KEY)
            .timeout(Duration::from_millis(200))
            .retry(RetryPolicy {
                max_attempts: 2,
                initial_backoff: Duration::from_millis(5),
                max_backoff: Duration::from_millis(10),
                ..RetryPolicy::default()
            })
            .build()
            .unwrap(),
    )
    .unwrap();
    let err = client.op("show system info").await.unwrap_err();
    match &err {
        Error::Transport { kind, attempts, .. } => {
            assert_eq!(*kind, TransportKind::Timeout, "{err}");
            assert_eq!(*attempts, 2, "a read is retried");
        }
        other => panic!("expected a transport timeout, got {other:?}"),
    }
    let before = accepted.load(std::sync::atomic::Ordering::SeqCst);
    let err = client
        .config_set("/config/shared/tag", "<entry name='t'/>")
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Transport { attempts: 1, .. }),
        "{err:?}"
    );
    // A pooled connection may be reused, so count at most one new connection.
    assert!(accepted.load(std::sync::atomic::Ordering::SeqCst) <= before + 1);
}

#[tokio::test]
async fn user_id_batches_and_chunked_multi_config_split_as_asked() {
    use panops_panos::config::MultiConfig;
    use panops_panos::userid::{UidBatch, UidOp};
    let srv = mock::start(|_, _| (200, OK.to_owned())).await;
    let client = PanosClient::new(srv.builder().api_key(KEY).build().unwrap()).unwrap();
    let mut batch = UidBatch::new(100, 1 << 20);
    for i in 0..250 {
        batch.push(
            UidOp::register_ip(&format!("10.0.{}.{}", i / 200, i % 200), "ioc", Some(60)).unwrap(),
        );
    }
    let answers = client.user_id_batch(&batch).await.unwrap();
    assert_eq!(answers.len(), 3, "250 updates at 100 per message");
    let seen = srv.requests();
    assert_eq!(seen.len(), 3);
    let cmd = seen[2].param("cmd").unwrap();
    assert_eq!(cmd.matches("<entry ").count(), 50, "{cmd}");
    assert!(
        seen.iter()
            .all(|r| r.param("type").as_deref() == Some("user-id"))
    );

    let srv = mock::start(|_, _| (200, OK.to_owned())).await;
    let client = PanosClient::new(srv.builder().api_key(KEY).build().unwrap()).unwrap();
    let mut mc = MultiConfig::new();
    for i in 0..25 {
        mc.set("/config/shared/tag", &format!("<entry name='t{i}'/>"))
            .unwrap();
    }
    let answers = client
        .multi_config_chunked(&mc, false, 10, 1 << 20)
        .await
        .unwrap();
    assert_eq!(answers.len(), 3, "25 changes at 10 per request");
    let bodies: Vec<String> = srv
        .requests()
        .iter()
        .map(|r| r.param("element").unwrap_or_default())
        .collect();
    assert_eq!(bodies[0].matches("<set ").count(), 10, "{}", bodies[0]);
    assert_eq!(bodies[2].matches("<set ").count(), 5, "{}", bodies[2]);
    assert!(
        bodies[0].contains("t0") && bodies[2].contains("t24"),
        "in order"
    );
}

#[tokio::test]
async fn replies_are_bounded_and_deep_nesting_is_a_decode_error() {
    // 2 MiB answer against a 1 MiB limit: a clear error, not an allocation without bound.
    let big = format!(
        "<response status=\"success\"><result>{}</result></response>",
        "x".repeat(2 * 1024 * 1024)
    );
    let srv = mock::start(move |_, _| (200, big.clone())).await;
    let client = PanosClient::new(
        srv.builder()
            .api_key(KEY)
            .max_body_bytes(1024 * 1024)
            .build()
            .unwrap(),
    )
    .unwrap();
    match client.op("show system info").await.unwrap_err() {
        Error::TooLarge { limit, .. } => assert_eq!(limit, 1024 * 1024),
        other => panic!("{other:?}"),
    }
    // Only one attempt: the answer would be as large the next time.
    assert_eq!(srv.requests().len(), 1);

    // A closed 100,000-deep reply used to overflow the stack in the tree's drop.
    let deep = format!(
        "<response status=\"success\"><result>{}{}</result></response>",
        "<a>".repeat(100_000),
        "</a>".repeat(100_000)
    );
    let srv = mock::start(move |_, _| (200, deep.clone())).await;
    let client = PanosClient::new(srv.builder().api_key(KEY).build().unwrap()).unwrap();
    match client.op("show system info").await.unwrap_err() {
        Error::Decode(d) => assert!(d.reason.contains("nested deeper"), "{}", d.reason),
        other => panic!("{other:?}"),
    }
}

/// A throttling answer's `Retry-After` is the wait before the next try (a proxy or a busy
/// management server says when to come back), and a huge value is clamped by the policy
/// instead of sleeping for ever or panicking.
#[tokio::test]
async fn retry_after_is_honoured_and_clamped() {
    let throttled = |after: &'static str| {
        move |_: &mock::Seen, n: usize| -> mock::Answer {
            if n == 0 {
                (
                    429,
                    vec![("retry-after", after.to_owned())],
                    "<html>Too Many Requests</html>".to_owned(),
                )
            } else {
                (
                    200,
                    Vec::new(),
                    r#"<response status="success" code="7"><result/></response>"#.to_owned(),
                )
            }
        }
    };
    // backoff alone would wait at most 20 ms (mock builder); the server asks for 1 s
    let srv = mock::start_with_headers(throttled("1")).await;
    let client = PanosClient::new(srv.builder().api_key(KEY).build().unwrap()).unwrap();
    let started = std::time::Instant::now();
    client.config_get("/config/shared/address").await.unwrap();
    assert_eq!(srv.requests().len(), 2);
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "Retry-After: 1 was not waited for: {:?}",
        started.elapsed()
    );

    // 1e30 seconds: clamped to the policy's max_retry_after (300 ms here)
    let srv = mock::start_with_headers(throttled("1e30")).await;
    let policy = RetryPolicy {
        max_attempts: 3,
        initial_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(20),
        max_retry_after: Duration::from_millis(300),
    };
    let client =
        PanosClient::new(srv.builder().api_key(KEY).retry(policy).build().unwrap()).unwrap();
    let started = std::time::Instant::now();
    client.config_get("/config/shared/address").await.unwrap();
    let waited = started.elapsed();
    assert_eq!(srv.requests().len(), 2);
    assert!(
        waited >= Duration::from_millis(290) && waited < Duration::from_secs(30),
        "a huge Retry-After is clamped to max_retry_after: {waited:?}"
    );
}
