//! Benchmark: deploy a certificate to a simulated Panorama with 50 firewalls in 5 device
//! groups (replace mode: import, bind, commit, push, verify, cleanup), roll it back, and do the
//! same deployment naively (one firewall at a time: import + bind + commit on each, as
//! per-device deploy hooks do). Prints requests, wall time and per-firewall verification time,
//! and the naive/panops ratios.
//!
//! `cargo run --release -p panops-certs --example cert_deploy_bench [-- FIREWALLS LATENCY_MS JOB_MS]`

use std::time::{Duration, Instant};

use panops_certs::deploy::{DeployRequest, Deployer, Mode, Timing};
use panops_certs::material::parse_pem_bundle;
use panops_client::panos::{ClientConfig, PanosClient, Protocol, WaitOptions};
use panops_panos::import::{Import, ImportCategory, ImportFormat};
use panops_sim::{SimConfig, Simulator};

const LH: &str = "/config/devices/entry[@name='localhost.localdomain']";

fn cert(cn: &str) -> (String, String) {
    let key = rcgen::KeyPair::generate().expect("key");
    let mut p = rcgen::CertificateParams::new(vec![cn.to_string()]).expect("params");
    p.distinguished_name.push(rcgen::DnType::CommonName, cn);
    let c = p.self_signed(&key).expect("cert");
    (c.pem(), key.serialize_pem())
}

fn import_req(name: &str, pem: &str, key: &str, tpl: Option<&str>) -> Import {
    let mut imp = Import::new(
        ImportCategory::Keypair,
        name,
        ImportFormat::Pem,
        format!("{name}.pem"),
        format!("{pem}{key}").into_bytes(),
    );
    imp.target_tpl = tpl.map(str::to_string);
    imp.passphrase = Some("unused".into());
    imp
}

#[tokio::main]
async fn main() {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let n = args.first().copied().unwrap_or(50) as usize;
    let latency = Duration::from_millis(args.get(1).copied().unwrap_or(5));
    let job = Duration::from_millis(args.get(2).copied().unwrap_or(200));
    let sim = Simulator::start(
        SimConfig::panorama(n)
            .plain()
            .listen("127.0.0.1:0")
            .job_duration(job),
    )
    .await
    .expect("sim");
    let h = sim.handle();
    let serials = h.serials();
    let port: u16 = sim
        .url()
        .rsplit(':')
        .next()
        .and_then(|p| p.trim_end_matches('/').parse().ok())
        .expect("port");
    let client = PanosClient::new(
        ClientConfig::builder("127.0.0.1")
            .port(port)
            .protocol(Protocol::Http)
            .use_env_proxy(false)
            .credentials("admin", "admin")
            .build()
            .expect("cfg"),
    )
    .expect("client");
    // 5 device groups of n/5 firewalls; one template in one stack with every firewall
    let entries =
        |s: &[String]| -> String { s.iter().map(|x| format!("<entry name=\"{x}\"/>")).collect() };
    for (i, chunk) in serials.chunks(n.div_ceil(5).max(1)).enumerate() {
        h.seed_config(
            None,
            &format!("{LH}/device-group"),
            &format!(
                "<entry name=\"DG{i}\"><devices>{}</devices></entry>",
                entries(chunk)
            ),
        )
        .expect("dg");
    }
    h.seed_config(
        None,
        &format!("{LH}/template"),
        "<entry name=\"T1\"><config><shared><ssl-tls-service-profile><entry name=\"P1\"/></ssl-tls-service-profile></shared></config></entry>",
    )
    .expect("tpl");
    h.seed_config(
        None,
        &format!("{LH}/template-stack"),
        &format!(
            "<entry name=\"S1\"><templates><member>T1</member></templates><devices>{}</devices></entry>",
            entries(&serials)
        ),
    )
    .expect("stack");
    let (c, k) = cert("old.example.com");
    client
        .import(&import_req("old-cert", &c, &k, Some("T1")))
        .await
        .expect("old");
    client
        .config_set(
            &format!("{LH}/template/entry[@name='T1']/config/shared/ssl-tls-service-profile/entry[@name='P1']"),
            "<certificate>old-cert</certificate>",
        )
        .await
        .expect("bind");
    let w = || WaitOptions::default().interval(Duration::from_millis(20));
    client
        .commit_and_wait(&Default::default(), w())
        .await
        .expect("commit");
    client
        .commit_all_and_wait(&panops_panos::commit::CommitAll::template_stack("S1"), w())
        .await
        .expect("push");
    h.set_latency(latency);

    let db = tempfile::tempdir().expect("tmp");
    let store = panops_store::Store::open(&format!("sqlite:{}", db.path().join("b.db").display()))
        .await
        .expect("store");
    let timing = Timing {
        poll: Duration::from_millis(50),
        job_timeout: Duration::from_secs(600),
        lock_wait: Duration::from_secs(10),
    };
    let d = Deployer::new(client.clone(), store.clone(), timing);
    let (c, k) = cert("www.example.com");
    let bundle = parse_pem_bundle(c.as_bytes(), k.as_bytes(), None, None).expect("bundle");
    let req = DeployRequest {
        template: "T1".into(),
        stack: false,
        location: panops_certs::deploy::Location::Template,
        device_groups: vec![],
        decryption_rules: vec![],
        ssl_tls_profiles: vec![],
        gp_portals: vec![],
        gp_gateways: vec![],
        management: false,
        replace_cert: Some("old-cert".into()),
        mode: Mode::Replace,
        skip_commit: false,
        skip_push: false,
        admin: "admin".into(),
    };
    h.clear_requests();
    let t = Instant::now();
    let done = d.deploy(&bundle, &req).await.expect("deploy");
    let deploy_time = t.elapsed();
    let deploy_reqs = h.requests().len();
    let p = store.get(&done.process).await.expect("get").expect("p");
    let verify_ms: Vec<f64> = p
        .steps
        .iter()
        .filter(|s| s.name == "verify")
        .flat_map(|s| s.outcome.results.iter())
        .filter_map(|r| {
            r.message
                .strip_prefix("verified in ")
                .and_then(|m| m.strip_suffix(" ms"))
                .and_then(|m| m.parse().ok())
        })
        .collect();
    let verify_avg = verify_ms.iter().sum::<f64>() / verify_ms.len().max(1) as f64;

    h.clear_requests();
    let t = Instant::now();
    d.rollback(&done.process, false).await.expect("rollback");
    let rollback_time = t.elapsed();
    let rollback_reqs = h.requests().len();

    // naive: per firewall, through target=: import, bind, commit, wait
    let (c2, k2) = cert("www2.example.com");
    h.clear_requests();
    let t = Instant::now();
    for s in &serials {
        let fw = client.with_target(s).expect("target");
        fw.import(&import_req("www2", &c2, &k2, None))
            .await
            .expect("fw import");
        // a firewall-local profile: the template's P1 cannot be set locally without override
        fw.config_set(
            "/config/shared/ssl-tls-service-profile/entry[@name='P-local']",
            "<certificate>www2</certificate>",
        )
        .await
        .expect("fw bind");
        fw.commit_and_wait(&Default::default(), w().interval(Duration::from_millis(50)))
            .await
            .expect("fw commit");
    }
    let naive_time = t.elapsed();
    let naive_reqs = h.requests().len();

    println!(
        "cert_deploy benchmark: {n} firewalls in 5 device groups, {} ms simulated latency per request, {} ms per commit/push job",
        latency.as_millis(),
        job.as_millis()
    );
    println!("| | requests | wall time |");
    println!("|---|---|---|");
    println!(
        "| panops deploy (replace: import, bind, commit, push, verify {n}, cleanup) | {deploy_reqs} | {:.2} s |",
        deploy_time.as_secs_f64()
    );
    println!(
        "| panops rollback of it | {rollback_reqs} | {:.2} s |",
        rollback_time.as_secs_f64()
    );
    println!(
        "| naive per-firewall deploy (import + bind + commit on each) | {naive_reqs} | {:.2} s |",
        naive_time.as_secs_f64()
    );
    println!("per-firewall verification: {verify_avg:.1} ms on average");
    println!(
        "naive / panops: {:.1}x the requests, {:.1}x the wall time",
        naive_reqs as f64 / deploy_reqs.max(1) as f64,
        naive_time.as_secs_f64() / deploy_time.as_secs_f64().max(1e-9)
    );
    sim.shutdown().await;
}
