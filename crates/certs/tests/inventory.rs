//! Inventory against a simulated Panorama with two firewalls.

mod support;

use panops_certs::inventory::{Status, collect};
use support::*;

#[tokio::test]
async fn inventory_lists_every_use_with_status() {
    let e = estate().await;
    let now = chrono::Utc::now().timestamp();
    let (c, k) = cert_between("soon.example.com", now - 86_400, now + 10 * 86_400);
    import_into(&e.client, "T1", "soon-cert", c, Some(k)).await;
    let (c, _) = cert_between("nokey.example.com", now - 86_400, now + 300 * 86_400);
    import_into(&e.client, "T1", "nokey-cert", c, None).await;
    // bind the key-less certificate: a TLS service needs the key
    e.client
        .config_set(
            &format!("{LH}/template/entry[@name='T1']/config/shared/ssl-tls-service-profile/entry[@name='P2']"),
            "<certificate>nokey-cert</certificate>",
        )
        .await
        .expect("P2");
    let (rows, unreachable) = collect(&e.client, now, 30).await.expect("inventory");
    assert!(unreachable.is_empty(), "{unreachable:?}");
    let find = |scope: &str, cert: &str, used_by: &str| {
        rows.iter()
            .filter(|r| r.scope == scope && r.certificate == cert && r.used_by == used_by)
            .collect::<Vec<_>>()
    };
    let p1 = find("template", "old-cert", "ssl-tls-service-profile");
    assert_eq!(p1.len(), 1, "{rows:#?}");
    assert_eq!(p1[0].rule_name.as_deref(), Some("P1"));
    assert_eq!(p1[0].template.as_deref(), Some("T1"));
    assert_eq!(p1[0].common_name, "old.example.com");
    assert_eq!(p1[0].status, Status::Valid);
    assert!(p1[0].has_private_key);
    assert_eq!(p1[0].fingerprint.len(), 64);
    let soon = find("template", "soon-cert", "");
    assert_eq!(soon[0].status, Status::Expiring, "unused but expiring");
    assert!(soon[0].days_left < 30);
    let nokey = find("template", "nokey-cert", "ssl-tls-service-profile");
    assert_eq!(nokey[0].status, Status::KeyMissing);
    // the device group's rule: one row per certificate it lists
    let r1 = find("device-group", "old-cert", "decryption-inbound");
    assert_eq!(r1[0].rule_name.as_deref(), Some("R1"));
    assert_eq!(r1[0].device_group.as_deref(), Some("DG1"));
    assert_eq!(r1[0].rule_type.as_deref(), Some("ssl-inbound-inspection"));
    let other = find("device-group", "other-cert", "decryption-inbound");
    assert_eq!(other[0].status, Status::Missing);
    // each firewall's running config (pushed from the template and device group)
    for s in &e.serials {
        let fw: Vec<_> = rows
            .iter()
            .filter(|r| r.device.as_deref() == Some(s.as_str()) && r.certificate == "old-cert")
            .collect();
        let uses: Vec<&str> = fw.iter().map(|r| r.used_by.as_str()).collect();
        assert!(uses.contains(&"ssl-tls-service-profile"), "{s}: {uses:?}");
        assert!(uses.contains(&"decryption-inbound"), "{s}: {uses:?}");
    }
    // a disconnected firewall is reported, not fatal
    e.sim
        .handle()
        .set_connected(&e.serials[1], false)
        .expect("disconnect");
    let (rows2, _) = collect(&e.client, now, 30).await.expect("inventory");
    assert!(
        !rows2
            .iter()
            .any(|r| r.device.as_deref() == Some(e.serials[1].as_str()))
    );
    e.sim.shutdown().await;
}
