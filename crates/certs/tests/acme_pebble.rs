//! Renewal from a real ACME server: Debian's `pebble`, started on free loopback ports with
//! `PEBBLE_VA_ALWAYS_VALID=1` (it validates no challenge) and a TLS certificate made here.
//! Without pebble the test fails when `PANOPS_CI=1`, else it is skipped with a note.

mod support;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use panops_certs::acme::{AcmeConfig, renew_from_acme};
use panops_certs::deploy::{Deployer, Mode};
use panops_certs::inventory::collect;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
use support::*;

fn pebble_bin() -> Option<String> {
    let found = std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join("pebble"))
            .find(|f| f.is_file())
    });
    match found {
        Some(f) => Some(f.display().to_string()),
        None if std::env::var("PANOPS_CI").as_deref() == Ok("1") => {
            panic!("PANOPS_CI=1 but `pebble` is not installed (apt-get install pebble)")
        }
        None => {
            eprintln!("note: `pebble` not installed; skipping the ACME renewal test");
            None
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

struct Pebble(Child);
impl Drop for Pebble {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A CA (trusted by the client through `--acme-ca-file`) and pebble's TLS certificate from it.
fn tls_material(dir: &std::path::Path) {
    let ca_key = KeyPair::generate().expect("key");
    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("params");
    ca.distinguished_name
        .push(DnType::CommonName, "panops test root");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_cert = ca.self_signed(&ca_key).expect("ca");
    let key = KeyPair::generate().expect("key");
    let leaf = CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
        .expect("params");
    let leaf = leaf.signed_by(&key, &ca_cert, &ca_key).expect("leaf");
    std::fs::write(dir.join("ca.pem"), ca_cert.pem()).expect("w");
    std::fs::write(dir.join("cert.pem"), leaf.pem()).expect("w");
    std::fs::write(dir.join("key.pem"), key.serialize_pem()).expect("w");
}

fn start_pebble(bin: &str, dir: &std::path::Path) -> (Pebble, String) {
    tls_material(dir);
    let (port, mgmt) = (free_port(), free_port());
    let cfg = serde_json::json!({ "pebble": {
        "listenAddress": format!("127.0.0.1:{port}"),
        "managementListenAddress": format!("127.0.0.1:{mgmt}"),
        "certificate": dir.join("cert.pem"),
        "privateKey": dir.join("key.pem"),
        "httpPort": free_port(),
        "tlsPort": free_port(),
        "ocspResponderURL": "",
        "externalAccountBindingRequired": false
    }});
    std::fs::write(dir.join("pebble.json"), cfg.to_string()).expect("w");
    let child = Command::new(bin)
        .arg("-config")
        .arg(dir.join("pebble.json"))
        .env("PEBBLE_VA_ALWAYS_VALID", "1")
        .env("PEBBLE_VA_NOSLEEP", "1")
        // pebble rejects 5% of nonces by default to exercise clients' retries; not this test's point
        .env("PEBBLE_WFE_NONCEREJECT", "0")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start pebble");
    let p = Pebble(child);
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "pebble did not listen on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
    (p, format!("https://127.0.0.1:{port}/dir"))
}

#[tokio::test]
async fn expiring_certificate_is_renewed_by_pebble_and_pushed() {
    let Some(bin) = pebble_bin() else {
        return;
    };
    let dir = tempfile::tempdir().expect("dir");
    let (_pebble, url) = start_pebble(&bin, dir.path());
    let e = estate().await;
    let now = chrono::Utc::now().timestamp();
    let acct = dir.path().join("account.json");
    let cfg = AcmeConfig {
        directory: url,
        ca_file: Some(dir.path().join("ca.pem")),
        account_file: Some(acct.clone()),
        contact: vec!["certs@example.com".into()],
        http_listen: None,
        key_type: Default::default(),
    };
    // old-cert has 90 days left: expiring with a 120-day window
    let (rows, _) = collect(&e.client, now, 120).await.expect("inventory");
    let d = Deployer::new(e.client.clone(), e.store.clone(), timing());
    let done = renew_from_acme(&d, &rows, &cfg, "T1", Some("DG1"), Mode::Replace, "admin").await;
    assert_eq!(done.len(), 1, "{done:?}");
    assert_eq!(done[0].outcome, "deployed", "{done:?}");
    let p = e
        .store
        .get(done[0].process.as_deref().expect("process"))
        .await
        .expect("get")
        .expect("p");
    assert_eq!(p.kind, "renew");
    // the account was saved, private to its owner
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&acct)
            .expect("account file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // every firewall now holds a certificate for the same CN issued by pebble, bound to P1
    for s in &e.serials {
        let name = fw_text(
            &e,
            s,
            "/config/shared/ssl-tls-service-profile/entry[@name='P1']/certificate",
        )
        .expect("profile");
        let name = name
            .trim()
            .trim_start_matches("<certificate>")
            .trim_end_matches("</certificate>")
            .to_string();
        assert_ne!(name, "old-cert");
        let entry = fw_text(
            &e,
            s,
            &format!("/config/shared/certificate/entry[@name='{name}']"),
        )
        .unwrap_or_else(|| panic!("certificate {name} on {s}"));
        let pem_start = entry.find("-----BEGIN CERTIFICATE-----").expect("pem");
        let pem_end = entry.find("-----END CERTIFICATE-----").expect("pem end") + 25;
        let certs =
            panops_certs::material::parse_pem_certs("fw", &entry.as_bytes()[pem_start..pem_end])
                .expect("parse");
        let leaf = &certs[0];
        assert_eq!(leaf.common_name, "old.example.com", "{entry}");
        assert!(leaf.issuer.contains("Pebble"), "issuer {}", leaf.issuer);
        assert!(leaf.not_after > now + 30 * 86_400);
    }

    // a second run reuses the saved account and finds nothing left to renew
    let (rows, _) = collect(&e.client, now, 120).await.expect("inventory");
    let again = renew_from_acme(&d, &rows, &cfg, "T1", Some("DG1"), Mode::Replace, "admin").await;
    assert!(again.is_empty(), "{again:?}");
    e.sim.shutdown().await;
}

#[tokio::test]
async fn pebble_issues_every_key_type_panos_accepts() {
    use panops_certs::acme::{KeyType, obtain};
    use panops_certs::material::{KeyKind, parse_pem_bundle, validate};
    let Some(bin) = pebble_bin() else {
        return;
    };
    let dir = tempfile::tempdir().expect("dir");
    let (_pebble, url) = start_pebble(&bin, dir.path());
    let acct = dir.path().join("account.json");
    for (t, want) in [
        (KeyType::EcP256, KeyKind::Ec("P-256".into())),
        (KeyType::EcP384, KeyKind::Ec("P-384".into())),
        (KeyType::Rsa2048, KeyKind::Rsa(2048)),
        (KeyType::Rsa3072, KeyKind::Rsa(3072)),
        (KeyType::Rsa4096, KeyKind::Rsa(4096)),
    ] {
        let cfg = AcmeConfig {
            directory: url.clone(),
            ca_file: Some(dir.path().join("ca.pem")),
            account_file: Some(acct.clone()),
            contact: vec![],
            http_listen: None,
            key_type: t,
        };
        let names = vec![format!("{}.example.com", t.as_str())];
        let issued = obtain(&cfg, &names)
            .await
            .unwrap_or_else(|e| panic!("{t:?}: {e}"));
        // the chain and key pebble issued parse, match and pass PAN-OS's checks
        let b = parse_pem_bundle(
            issued.chain_pem.as_bytes(),
            issued.key_pem.as_bytes(),
            None,
            None,
        )
        .unwrap_or_else(|e| panic!("{t:?}: {e}"));
        assert_eq!(b.leaf.key, want, "{t:?}");
        assert_eq!(b.leaf.common_name, names[0]);
        assert!(b.leaf.issuer.contains("Pebble"), "{}", b.leaf.issuer);
        validate(&b, chrono::Utc::now().timestamp()).unwrap_or_else(|e| panic!("{t:?}: {e:?}"));
    }
}
