//! `panops cert` end to end: the real binary against an in-process simulated Panorama with two
//! firewalls; deploy (dry run, real), processes, inventory, rollback, a failed deployment, and
//! a deployment killed with SIGKILL mid-commit that `panops cert recover` rolls back.

use std::process::{Command, Output};
use std::time::Duration;

use assert_cmd::cargo::CommandCargoExt;
use panops_client::panos::{ClientConfig, PanosClient, Protocol, WaitOptions};
use panops_sim::{RunningSim, SimConfig, Simulator};
use serde_json::Value;

#[path = "../../certs/tests/support/pebble.rs"]
mod pebble;
use pebble::{pebble_bin, start_pebble};

const LH: &str = "/config/devices/entry[@name='localhost.localdomain']";

struct Env {
    sim: RunningSim,
    port: String,
    dir: tempfile::TempDir,
}

impl Env {
    fn db(&self) -> String {
        format!("sqlite:{}", self.dir.path().join("p.db").display())
    }
    fn panops(&self) -> Command {
        let mut cmd = Command::cargo_bin("panops").expect("binary");
        cmd.env_clear()
            .env("PANOPS_CONFIG", "")
            .env("PANOPS_DB", self.db())
            .env("PANOS_HOSTNAME", "127.0.0.1")
            .env("PANOS_PORT", &self.port)
            .env("PANOS_PROTOCOL", "http")
            .env("PANOS_USERNAME", "admin")
            .env("PANOS_PASSWORD", "admin");
        cmd
    }
    async fn run(&self, args: &[&str]) -> Output {
        let mut cmd = self.panops();
        cmd.args(args).args(["-o", "json"]);
        tokio::task::spawn_blocking(move || cmd.output().expect("run panops"))
            .await
            .expect("join")
    }
    fn file(&self, name: &str, body: &str) -> String {
        let p = self.dir.path().join(name);
        std::fs::write(&p, body).expect("write");
        p.display().to_string()
    }
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    })
}

fn cert(cn: &str) -> (String, String) {
    let key = rcgen::KeyPair::generate().expect("key");
    let mut p = rcgen::CertificateParams::new(vec![cn.to_string()]).expect("params");
    p.distinguished_name.push(rcgen::DnType::CommonName, cn);
    let c = p.self_signed(&key).expect("cert");
    (c.pem(), key.serialize_pem())
}

async fn env() -> Env {
    let sim = Simulator::start(
        SimConfig::panorama(2)
            .plain()
            .listen("127.0.0.1:0")
            .job_duration(Duration::from_millis(30)),
    )
    .await
    .expect("sim");
    let port = sim
        .url()
        .rsplit(':')
        .next()
        .expect("port")
        .trim_end_matches('/')
        .to_string();
    let h = sim.handle();
    let devs: String = h
        .serials()
        .iter()
        .map(|s| format!("<entry name=\"{s}\"/>"))
        .collect();
    h.seed_config(None, &format!("{LH}/template"), "<entry name=\"T1\"><config><shared><ssl-tls-service-profile><entry name=\"P1\"/></ssl-tls-service-profile></shared></config></entry>").expect("t");
    h.seed_config(None, &format!("{LH}/template-stack"), &format!("<entry name=\"S1\"><templates><member>T1</member></templates><devices>{devs}</devices></entry>")).expect("s");
    h.seed_config(None, &format!("{LH}/device-group"), &format!("<entry name=\"DG1\"><devices>{devs}</devices><pre-rulebase><decryption><rules><entry name=\"R1\"><action>decrypt</action><type><ssl-inbound-inspection><certificates/></ssl-inbound-inspection></type></entry></rules></decryption></pre-rulebase></entry>")).expect("dg");
    let client = PanosClient::new(
        ClientConfig::builder("127.0.0.1")
            .port(port.parse().expect("port"))
            .protocol(Protocol::Http)
            .use_env_proxy(false)
            .credentials("admin", "admin")
            .build()
            .expect("cfg"),
    )
    .expect("client");
    let (c, k) = cert("old.example.com");
    let mut imp = panops_panos::import::Import::new(
        panops_panos::import::ImportCategory::Keypair,
        "old-cert",
        panops_panos::import::ImportFormat::Pem,
        "old.pem",
        format!("{c}{k}").into_bytes(),
    );
    imp.target_tpl = Some("T1".into());
    imp.passphrase = Some("unused".into());
    client.import(&imp).await.expect("import");
    client
        .config_set(&format!("{LH}/template/entry[@name='T1']/config/shared/ssl-tls-service-profile/entry[@name='P1']"), "<certificate>old-cert</certificate>")
        .await
        .expect("bind");
    client
        .config_edit(&format!("{LH}/device-group/entry[@name='DG1']/pre-rulebase/decryption/rules/entry[@name='R1']/type/ssl-inbound-inspection/certificates"), "<certificates><member>old-cert</member></certificates>")
        .await
        .expect("bind rule");
    let w = || WaitOptions::default().interval(Duration::from_millis(20));
    client
        .commit_and_wait(&Default::default(), w())
        .await
        .expect("commit");
    for p in [
        panops_panos::commit::CommitAll::device_group("DG1"),
        panops_panos::commit::CommitAll::template_stack("S1"),
    ] {
        client.commit_all_and_wait(&p, w()).await.expect("push");
    }
    Env {
        sim,
        port,
        dir: tempfile::tempdir().expect("dir"),
    }
}

fn snapshot(e: &Env) -> Vec<String> {
    let h = e.sim.handle();
    let canon = |x: Option<String>| {
        panops_certs::deploy::canonical(
            &panops_panos::xml::parse(x.expect("cfg").as_bytes()).expect("xml"),
        )
    };
    let mut v = vec![
        canon(h.config_xml(None, true, "/config")),
        canon(h.config_xml(None, false, "/config")),
    ];
    for s in h.serials() {
        v.push(canon(h.config_xml(Some(&s), true, "/config")));
    }
    v
}

const POLL: [&str; 2] = ["--poll-ms", "20"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deploy_processes_inventory_rollback() {
    let e = env().await;
    let before = snapshot(&e);
    let (c, k) = cert("www.example.com");
    let cf = e.file("c.pem", &c);
    let kf = e.file("k.pem", &k);
    let deploy = |extra: &'static [&'static str]| {
        let mut a = vec![
            "cert",
            "deploy",
            "--cert",
            &cf,
            "--key",
            &kf,
            "--template",
            "T1",
            "--device-group",
            "DG1",
            "--replace-cert",
            "old-cert",
            "--mode",
            "replace",
        ];
        a.extend(POLL);
        a.extend(extra);
        a.into_iter().map(str::to_string).collect::<Vec<_>>()
    };
    let args = deploy(&["--dry-run"]);
    let o = e
        .run(&args.iter().map(String::as_str).collect::<Vec<_>>())
        .await;
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let plan = json(&o);
    assert_eq!(plan["dry_run"], true);
    let lines: Vec<String> = plan["plan"]
        .as_array()
        .expect("plan")
        .iter()
        .map(|l| l.as_str().unwrap_or("").to_string())
        .collect();
    assert!(
        lines[0].starts_with("import certificate www.example.c_"),
        "{lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("ssl-tls-service-profile P1 certificate old-cert ->")),
        "{lines:?}"
    );
    assert_eq!(before, snapshot(&e), "a dry run changes nothing");

    let args = deploy(&[]);
    let o = e
        .run(&args.iter().map(String::as_str).collect::<Vec<_>>())
        .await;
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let done = json(&o);
    assert_eq!(done["state"], "succeeded");
    let id = done["process"].as_str().expect("id").to_string();

    let o = e.run(&["cert", "processes"]).await;
    let list = json(&o);
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    assert_eq!(list[0]["id"], id.as_str());
    let o = e.run(&["cert", "process", &id]).await;
    let p = json(&o);
    let steps: Vec<&str> = p["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| s["name"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        steps,
        [
            "lock", "import", "bind", "commit", "push", "verify", "cleanup"
        ]
    );
    assert_eq!(
        p["steps"][5]["results"].as_array().map(Vec::len),
        Some(2),
        "{p}"
    );

    let o = e.run(&["cert", "inventory"]).await;
    assert_eq!(
        o.status.code(),
        Some(0),
        "all valid: {}",
        String::from_utf8_lossy(&o.stdout)
    );
    let rows = json(&o);
    let name = done["certificate"].as_str().expect("name");
    assert!(
        rows.as_array()
            .expect("rows")
            .iter()
            .any(|r| r["certificate"] == name
                && r["used_by"] == "decryption-inbound"
                && r["scope"] == "firewall")
    );

    let o = e.run(&["cert", "rollback", &id, "--poll-ms", "20"]).await;
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(before, snapshot(&e), "rolled back byte for byte");
    let o = e
        .run(&["cert", "processes", "--state", "rolled-back"])
        .await;
    assert_eq!(json(&o)[0]["id"], id.as_str());

    // a failed commit: exit 3, rolled back, recorded
    e.sim.handle().fail_next_jobs(1);
    let o = e
        .run(&deploy(&[]).iter().map(String::as_str).collect::<Vec<_>>())
        .await;
    assert_eq!(
        o.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("step commit failed") && err.contains("rolled back"),
        "{err}"
    );
    assert_eq!(before, snapshot(&e));

    // bad input: exit 2, names the field, nothing sent
    let (_, other_key) = cert("other");
    let okf = e.file("other.key", &other_key);
    let o = e
        .run(&[
            "cert",
            "deploy",
            "--cert",
            &cf,
            "--key",
            &okf,
            "--template",
            "T1",
            "--ssl-tls-profile",
            "P1",
        ])
        .await;
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--key: the private key does not match"));
    e.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_deployment_is_rolled_back_on_recover() {
    let e = env().await;
    let before = snapshot(&e);
    let (c, k) = cert("kill.example.com");
    let cf = e.file("c.pem", &c);
    let kf = e.file("k.pem", &k);
    // commits take long enough to kill the deployment while it waits for one
    e.sim.handle().set_job_duration(Duration::from_secs(3));
    let mut cmd = e.panops();
    cmd.args([
        "cert",
        "deploy",
        "--cert",
        &cf,
        "--key",
        &kf,
        "--template",
        "T1",
        "--ssl-tls-profile",
        "P1",
        "--poll-ms",
        "50",
    ])
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::null());
    let mut child = cmd.spawn().expect("spawn");
    let store = panops_store::Store::open(&e.db()).await.expect("store");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let list = store.list(&Default::default()).await.expect("list");
        if let Some(p) = list.first()
            && let Some(full) = store.get(&p.id).await.expect("get")
            && full
                .steps
                .iter()
                .any(|s| s.name == "commit" && !s.outcome.job_ids.is_empty())
        {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "deployment never reached its commit"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    child.kill().expect("SIGKILL");
    child.wait().expect("reap");
    e.sim.handle().set_job_duration(Duration::from_millis(30));
    let o = e.run(&["cert", "recover", "--poll-ms", "20"]).await;
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let r = json(&o);
    assert_eq!(r[0]["rolled_back"], true, "{r}");
    // the killed commit job still finished on Panorama; the rollback committed the undo
    // on top, so Panorama is back where it was
    assert_eq!(before, snapshot(&e), "interrupted deployment rolled back");
    let o = e
        .run(&["cert", "processes", "--state", "rolled-back"])
        .await;
    assert_eq!(json(&o).as_array().map(Vec::len), Some(1));
    e.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renew_from_directory() {
    let e = env().await;
    let src = e.dir.path().join("certs");
    std::fs::create_dir_all(&src).expect("mkdir");
    let (c, k) = cert("old.example.com");
    std::fs::write(src.join("old.example.com.pem"), c).expect("w");
    std::fs::write(src.join("old.example.com.key"), k).expect("w");
    let src_s = src.display().to_string();
    // rcgen certificates run to 4096: a window of a million days makes the old one expiring
    let o = e
        .run(&[
            "cert",
            "renew",
            "--source-dir",
            &src_s,
            "--template",
            "T1",
            "--device-group",
            "DG1",
            "--warn-days",
            "1000000",
            "--poll-ms",
            "20",
        ])
        .await;
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let r = json(&o);
    assert_eq!(r[0]["certificate"], "old-cert", "{r}");
    assert_eq!(r[0]["outcome"], "deployed", "{r}");
    let o = e.run(&["cert", "processes"]).await;
    assert_eq!(json(&o)[0]["kind"], "renew");
    let o = e
        .run(&[
            "cert",
            "renew",
            "--source-dir",
            "/nonexistent",
            "--template",
            "T1",
        ])
        .await;
    assert_eq!(o.status.code(), Some(2));
    e.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renew_acme_options_are_checked_before_anything_is_sent() {
    let e = env().await;
    let base = ["cert", "renew", "--template", "T1"];
    for (extra, field) in [
        (
            vec!["--acme-directory", "http://acme.example/dir"],
            "--acme-directory",
        ),
        (
            vec![
                "--acme-directory",
                "https://acme.example/dir",
                "--acme-contact",
                "not-an-address",
            ],
            "--acme-contact",
        ),
        (
            vec![
                "--acme-directory",
                "https://acme.example/dir",
                "--source-dir",
                "/tmp",
            ],
            "--source-dir",
        ),
        (vec!["--acme-ca-file", "/tmp/ca.pem"], "--acme-directory"),
    ] {
        let args: Vec<&str> = base.iter().copied().chain(extra.iter().copied()).collect();
        let o = e.run(&args).await;
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(field), "{args:?}: {err}");
    }
    e.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_cleanup_exits_5_and_keeps_the_deployment() {
    let e = env().await;
    let (c, k) = cert("cleanup.example.com");
    let cf = e.file("c.pem", &c);
    let kf = e.file("k.pem", &k);
    // the superseded certificate cannot be deleted (another admin's config lock)
    e.sim.handle().fail_deletes_matching(Some("'old-cert'"));
    let o = e
        .run(&[
            "cert",
            "deploy",
            "--cert",
            &cf,
            "--key",
            &kf,
            "--template",
            "T1",
            "--device-group",
            "DG1",
            "--replace-cert",
            "old-cert",
            "--mode",
            "replace",
            "--poll-ms",
            "20",
        ])
        .await;
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(5), "{err}");
    assert!(
        err.contains("cleanup failed") && err.contains("old-cert left in place"),
        "{err}"
    );
    let done = json(&o);
    assert_eq!(done["state"], "succeeded");
    assert!(
        done["warning"]
            .as_str()
            .is_some_and(|w| w.contains("old-cert left in place")),
        "{done}"
    );
    let id = done["process"].as_str().expect("id");
    let p = json(&e.run(&["cert", "process", id]).await);
    let cleanup = p["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .find(|s| s["name"] == "cleanup")
        .expect("cleanup step")
        .clone();
    assert_eq!(cleanup["state"], "failed", "{p}");
    e.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deploy_to_panorama_shared_and_refuse_ambiguous_locations() {
    let e = env().await;
    let before = snapshot(&e);
    let (c, k) = cert("shared.example.com");
    let cf = e.file("c.pem", &c);
    let kf = e.file("k.pem", &k);
    let base = ["cert", "deploy", "--cert", &cf, "--key", &kf];
    // several device groups without a location: which one would hold the certificate?
    let mut a: Vec<&str> = base.to_vec();
    a.extend([
        "--device-group",
        "DG1",
        "--device-group",
        "DG2",
        "--decryption-rule",
        "R1",
    ]);
    let o = e.run(&a).await;
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("give --shared (or --template)"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let mut a: Vec<&str> = base.to_vec();
    a.extend(["--shared", "--template", "T1", "--decryption-rule", "R1"]);
    let o = e.run(&a).await;
    assert_eq!(
        o.status.code(),
        Some(2),
        "--shared conflicts with --template"
    );
    assert_eq!(before, snapshot(&e), "nothing sent");

    let mut a: Vec<&str> = base.to_vec();
    a.extend([
        "--shared",
        "--device-group",
        "DG1",
        "--decryption-rule",
        "R1",
        "--poll-ms",
        "20",
    ]);
    let o = e.run(&a).await;
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let done = json(&o);
    assert_eq!(done["state"], "succeeded");
    let name = done["certificate"].as_str().expect("name");
    assert!(
        done["plan"][0]
            .as_str()
            .is_some_and(|l| l.ends_with("into Panorama shared")),
        "{done}"
    );
    assert!(
        e.sim
            .handle()
            .config_xml(
                None,
                true,
                &format!("/config/shared/certificate/entry[@name='{name}']")
            )
            .is_some()
    );
    let id = done["process"].as_str().expect("id");
    let o = e.run(&["cert", "rollback", id, "--poll-ms", "20"]).await;
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(before, snapshot(&e), "rolled back byte for byte");
    e.sim.shutdown().await;
}

/// `panops cert renew --acme-directory` through the binary, with pebble validating http-01
/// for real (no `PEBBLE_VA_ALWAYS_VALID`): pebble fetches
/// `http://localhost:PORT/.well-known/acme-challenge/TOKEN` from the listener panops opens
/// with `--acme-http-listen 127.0.0.1:PORT`, PORT being pebble's `httpPort`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renew_from_pebble_with_http01_through_the_binary() {
    let Some(bin) = pebble_bin("the http-01 renewal test") else {
        return;
    };
    let e = env().await;
    let dir = e.dir.path().to_path_buf();
    // validating for real: pebble fetches the challenge from panops' listener
    let pebble = start_pebble(&bin, &dir, true);
    let (url, http) = (pebble.url.clone(), pebble.http_port);

    // a certificate for localhost expiring in 10 days, bound to profile P2 of template T1
    let key = rcgen::KeyPair::generate().expect("key");
    let mut p = rcgen::CertificateParams::new(vec!["localhost".to_string()]).expect("params");
    p.distinguished_name
        .push(rcgen::DnType::CommonName, "localhost");
    let soon = chrono::Utc::now() + chrono::Duration::days(10);
    use chrono::Datelike;
    p.not_after = rcgen::date_time_ymd(soon.year(), soon.month() as u8, soon.day() as u8);
    let c = p.self_signed(&key).expect("cert");
    let client = PanosClient::new(
        ClientConfig::builder("127.0.0.1")
            .port(e.port.parse().expect("port"))
            .protocol(Protocol::Http)
            .use_env_proxy(false)
            .credentials("admin", "admin")
            .build()
            .expect("cfg"),
    )
    .expect("client");
    let mut imp = panops_panos::import::Import::new(
        panops_panos::import::ImportCategory::Keypair,
        "local-cert",
        panops_panos::import::ImportFormat::Pem,
        "local.pem",
        format!("{}{}", c.pem(), key.serialize_pem()).into_bytes(),
    );
    imp.target_tpl = Some("T1".into());
    imp.passphrase = Some("unused".into());
    client.import(&imp).await.expect("import");
    client
        .config_set(
            &format!("{LH}/template/entry[@name='T1']/config/shared/ssl-tls-service-profile"),
            "<entry name=\"P2\"><certificate>local-cert</certificate></entry>",
        )
        .await
        .expect("P2");
    let w = || WaitOptions::default().interval(Duration::from_millis(20));
    client
        .commit_and_wait(&Default::default(), w())
        .await
        .expect("commit");
    client
        .commit_all_and_wait(&panops_panos::commit::CommitAll::template_stack("S1"), w())
        .await
        .expect("push");

    let listen = format!("127.0.0.1:{http}");
    let ca_file = dir.join("ca.pem").display().to_string();
    let acct = dir.join("acct.json").display().to_string();
    let base = [
        "cert",
        "renew",
        "--acme-directory",
        &url,
        "--acme-ca-file",
        &ca_file,
        "--acme-account-file",
        &acct,
    ];
    // without the listener pebble cannot fetch the challenge: the order fails, nothing changes
    let before = snapshot(&e);
    let mut a = base.to_vec();
    a.extend(["--template", "T1", "--warn-days", "30", "--poll-ms", "20"]);
    let o = e.run(&a).await;
    let out = String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr);
    eprintln!("without listener: {out}");
    assert!(!o.status.success(), "{out}");
    assert!(
        out.contains("order") || out.contains("authorization"),
        "{out}"
    );
    assert_eq!(before, snapshot(&e), "a failed order deploys nothing");

    let o = e
        .run(&[
            "cert",
            "renew",
            "--acme-directory",
            &url,
            "--acme-ca-file",
            &ca_file,
            "--acme-account-file",
            &acct,
            "--acme-http-listen",
            &listen,
            "--key-type",
            "rsa2048",
            "--template",
            "T1",
            "--warn-days",
            "30",
            "--poll-ms",
            "20",
        ])
        .await;
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        o.status.success(),
        "{err}\n{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let out = json(&o);
    let done = out.as_array().expect("renewals");
    assert_eq!(done.len(), 1, "only the expiring certificate: {out}");
    assert_eq!(done[0]["outcome"], "deployed", "{out}");
    // every firewall's P2 now uses a pebble-issued RSA 2048 certificate for localhost
    let h = e.sim.handle();
    for s in h.serials() {
        let name = h
            .config_xml(
                Some(&s),
                true,
                "/config/shared/ssl-tls-service-profile/entry[@name='P2']/certificate",
            )
            .expect("P2");
        let name = name
            .trim()
            .trim_start_matches("<certificate>")
            .trim_end_matches("</certificate>")
            .to_string();
        assert_ne!(name, "local-cert");
        let entry = h
            .config_xml(
                Some(&s),
                true,
                &format!("/config/shared/certificate/entry[@name='{name}']"),
            )
            .expect("certificate");
        let a = entry.find("-----BEGIN CERTIFICATE-----").expect("pem");
        let b = entry.find("-----END CERTIFICATE-----").expect("pem end") + 25;
        let leaf = &panops_certs::material::parse_pem_certs("fw", &entry.as_bytes()[a..b])
            .expect("parse")[0];
        assert_eq!(leaf.common_name, "localhost");
        assert!(leaf.issuer.contains("Pebble"), "{}", leaf.issuer);
        assert_eq!(leaf.key, panops_certs::material::KeyKind::Rsa(2048));
    }
    e.sim.shutdown().await;
}
