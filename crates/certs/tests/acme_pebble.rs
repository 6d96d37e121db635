//! Renewal from a real ACME server: Debian's `pebble`, started on free loopback ports with
//! `PEBBLE_VA_ALWAYS_VALID=1` (it validates no challenge) and a TLS certificate made here.
//! Without pebble the test fails when `PANOPS_CI=1`, else it is skipped with a note.

#[path = "support/pebble.rs"]
#[allow(dead_code)] // the http-01 port is the CLI test's
mod pebble;
mod support;

use panops_certs::acme::{AcmeConfig, renew_from_acme};
use panops_certs::deploy::{Deployer, Mode};
use panops_certs::inventory::collect;
use pebble::{pebble_bin, start_pebble};
use support::*;

#[tokio::test]
async fn expiring_certificate_is_renewed_by_pebble_and_pushed() {
    let Some(bin) = pebble_bin("the ACME renewal test") else {
        return;
    };
    let dir = tempfile::tempdir().expect("dir");
    let pebble = start_pebble(&bin, dir.path(), false);
    let url = pebble.url.clone();
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
    let Some(bin) = pebble_bin("the ACME renewal test") else {
        return;
    };
    let dir = tempfile::tempdir().expect("dir");
    let pebble = start_pebble(&bin, dir.path(), false);
    let url = pebble.url.clone();
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
