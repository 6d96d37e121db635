//! Shared setup: a simulated Panorama estate for the certificate tests.
#![allow(dead_code)]

use std::time::Duration;

use panops_certs::deploy::{DeployRequest, Location, Mode, Timing, canonical};
use panops_certs::material::{Bundle, parse_pem_bundle};
use panops_client::panos::{ClientConfig, PanosClient, Protocol};
use panops_sim::{RunningSim, SimConfig, Simulator};
use panops_store::Store;
use rcgen::{CertificateParams, DnType, KeyPair};

pub const LH: &str = "/config/devices/entry[@name='localhost.localdomain']";

pub fn client(sim: &RunningSim) -> PanosClient {
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

pub fn cert(cn: &str) -> (String, String) {
    let key = KeyPair::generate().expect("key");
    let mut p = CertificateParams::new(vec![cn.to_string()]).expect("params");
    p.distinguished_name.push(DnType::CommonName, cn);
    let now = chrono::Utc::now().timestamp();
    p.not_before = time::OffsetDateTime::from_unix_timestamp(now - 86_400).expect("t");
    p.not_after = time::OffsetDateTime::from_unix_timestamp(now + 90 * 86_400).expect("t");
    let c = p.self_signed(&key).expect("cert");
    (c.pem(), key.serialize_pem())
}

pub fn bundle(cn: &str) -> Bundle {
    let (c, k) = cert(cn);
    parse_pem_bundle(c.as_bytes(), k.as_bytes(), None, None).expect("bundle")
}

pub struct Estate {
    pub sim: RunningSim,
    pub client: PanosClient,
    pub serials: Vec<String>,
    pub db: tempfile::TempDir,
    pub store: Store,
}

/// Panorama with template T1 (certificate old-cert, profile P1 using it) in stack S1, device
/// group DG1 with inbound-inspection rule R1 using old-cert; both firewalls in S1 and DG1;
/// committed and pushed, so everything is in sync before the test.
pub async fn estate() -> Estate {
    estate_with(|c| c).await
}

/// [`estate`] with a changed simulator configuration (e.g. more admins).
pub async fn estate_with(cfg: impl FnOnce(SimConfig) -> SimConfig) -> Estate {
    let sim = Simulator::start(cfg(SimConfig::panorama(2)
        .plain()
        .job_duration(Duration::from_millis(30))))
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
        db,
        store,
    }
}

pub fn timing() -> Timing {
    Timing {
        poll: Duration::from_millis(20),
        job_timeout: Duration::from_secs(20),
        lock_wait: Duration::from_secs(2),
    }
}

pub fn req(mode: Mode) -> DeployRequest {
    DeployRequest {
        template: "T1".into(),
        stack: false,
        location: Location::Template,
        device_groups: vec!["DG1".into()],
        decryption_rules: vec![],
        ssl_tls_profiles: vec![],
        gp_portals: vec![],
        gp_gateways: vec![],
        management: false,
        replace_cert: Some("old-cert".into()),
        mode,
        skip_commit: false,
        skip_push: false,
        admin: "admin".into(),
    }
}

/// Panorama running + candidate and each firewall's running, canonical.
pub fn state(e: &Estate) -> Vec<(String, String)> {
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

pub fn assert_same(before: &[(String, String)], after: &[(String, String)]) {
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

pub fn fw_text(e: &Estate, serial: &str, xpath: &str) -> Option<String> {
    e.sim.handle().config_xml(Some(serial), true, xpath)
}

/// A certificate valid from `from` to `to` (unix seconds).
pub fn cert_between(cn: &str, from: i64, to: i64) -> (String, String) {
    let key = KeyPair::generate().expect("key");
    let mut p = CertificateParams::new(vec![cn.to_string()]).expect("params");
    p.distinguished_name.push(DnType::CommonName, cn);
    p.not_before = time::OffsetDateTime::from_unix_timestamp(from).expect("t");
    p.not_after = time::OffsetDateTime::from_unix_timestamp(to).expect("t");
    let c = p.self_signed(&key).expect("cert");
    (c.pem(), key.serialize_pem())
}

/// Import a certificate (with key unless `cert_only`) into template `tpl` of Panorama.
pub async fn import_into(
    client: &PanosClient,
    tpl: &str,
    name: &str,
    pem: String,
    key: Option<String>,
) {
    let (cat, body) = match key {
        Some(k) => (
            panops_panos::import::ImportCategory::Keypair,
            format!("{pem}{k}"),
        ),
        None => (panops_panos::import::ImportCategory::Certificate, pem),
    };
    let mut imp = panops_panos::import::Import::new(
        cat,
        name,
        panops_panos::import::ImportFormat::Pem,
        format!("{name}.pem"),
        body.into_bytes(),
    );
    imp.target_tpl = Some(tpl.into());
    imp.passphrase = Some("unused".into());
    client.import(&imp).await.expect("import");
}
