//! Renewal from a certificate directory against the simulated estate.

mod support;

use panops_certs::deploy::{Deployer, Mode};
use panops_certs::inventory::collect;
use panops_certs::renew::renew_from_dir;
use support::*;

#[tokio::test]
async fn expiring_certificate_is_replaced_by_the_newest_valid_one() {
    let e = estate().await;
    let now = chrono::Utc::now().timestamp();
    let dir = tempfile::tempdir().expect("dir");
    let write = |name: &str, (c, k): (String, String)| {
        std::fs::write(dir.path().join(format!("{name}.pem")), c).expect("w");
        std::fs::write(dir.path().join(format!("{name}.key")), k).expect("w");
    };
    write(
        "older",
        cert_between("old.example.com", now - 86_400, now + 200 * 86_400),
    );
    write(
        "newest",
        cert_between("old.example.com", now - 86_400, now + 365 * 86_400),
    );
    write(
        "expired",
        cert_between("old.example.com", now - 900 * 86_400, now - 86_400),
    );
    write(
        "other",
        cert_between("other.example.com", now - 86_400, now + 999 * 86_400),
    );
    // certbot layout, a name that does not match
    let live = dir.path().join("live/x");
    std::fs::create_dir_all(&live).expect("mkdir");
    let (c, k) = cert_between("x.example.com", now - 86_400, now + 500 * 86_400);
    std::fs::write(live.join("fullchain.pem"), c).expect("w");
    std::fs::write(live.join("privkey.pem"), k).expect("w");
    std::fs::write(dir.path().join("notes.pem"), "not a certificate").expect("w");

    // the estate's old-cert has 90 days left: expiring with a 120-day window
    let (rows, _) = collect(&e.client, now, 120).await.expect("inventory");
    let d = Deployer::new(e.client.clone(), e.store.clone(), timing());
    let done = renew_from_dir(
        &d,
        &rows,
        dir.path(),
        "T1",
        Some("DG1"),
        Mode::Replace,
        "admin",
        now,
    )
    .await;
    assert_eq!(done.len(), 1, "{done:?}");
    assert_eq!(done[0].certificate, "old-cert");
    assert_eq!(done[0].outcome, "deployed", "{done:?}");
    assert!(
        done[0]
            .source
            .as_deref()
            .is_some_and(|s| s.ends_with("newest.pem")),
        "{done:?}"
    );
    let p = e
        .store
        .get(done[0].process.as_deref().expect("process"))
        .await
        .expect("get")
        .expect("p");
    assert_eq!(p.kind, "renew");
    let (rows, _) = collect(&e.client, now, 120).await.expect("inventory");
    let p1 = rows
        .iter()
        .find(|r| r.scope == "template" && r.rule_name.as_deref() == Some("P1"))
        .expect("P1 row");
    assert_eq!(p1.common_name, "old.example.com");
    assert!(
        p1.days_left > 300,
        "the newest certificate is bound: {p1:?}"
    );
    assert!(
        !rows
            .iter()
            .any(|r| r.certificate == "old-cert" && r.scope == "template"),
        "superseded certificate deleted"
    );
    e.sim.shutdown().await;
}
