//! Every certificate on a Panorama estate and where it is used: Panorama shared, each
//! template and template stack, each device group's decryption rules, and each connected
//! firewall's local configuration (through `target=`). One row per use; a certificate used
//! nowhere gets one row with status `unused`.
//!
//! The scanning of a configuration tree is sans-IO ([`scan_config`], [`scan_device_group`]);
//! [`collect`] only fetches the trees.

use panops_client::Error as ClientError;
use panops_client::panos::PanosClient;
use panops_panos::xml::Element;
use serde::Serialize;

use crate::material::CertFacts;

const LH: &str = "/config/devices/entry[@name='localhost.localdomain']";

/// A certificate's health.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Valid and not expiring soon.
    Valid,
    /// Expires within the warning window.
    Expiring,
    /// Expired.
    Expired,
    /// Not valid yet.
    NotYetValid,
    /// Used by a service that needs its private key, but the key is missing.
    KeyMissing,
    /// Used nowhere.
    Unused,
    /// Referenced, but no such certificate is defined where the reference looks.
    Missing,
}

impl Status {
    /// Whether this status should raise an alarm (non-zero exit).
    pub fn is_alarm(self) -> bool {
        matches!(
            self,
            Self::Expiring | Self::Expired | Self::NotYetValid | Self::KeyMissing | Self::Missing
        )
    }
}

/// One use of one certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    /// `panorama`, `template`, `template-stack`, `device-group`, `firewall`.
    pub scope: String,
    /// Template name (template scope).
    pub template: Option<String>,
    /// Template stack name.
    pub template_stack: Option<String>,
    /// Device group (decryption rules).
    pub device_group: Option<String>,
    /// Firewall serial (firewall scope).
    pub device: Option<String>,
    /// Kind of use: `ssl-tls-service-profile`, `decryption-inbound`, `globalprotect-portal`,
    /// `globalprotect-gateway`, `management`, or empty when unused.
    pub used_by: String,
    /// Rule type (`ssl-inbound-inspection`) for decryption rules.
    pub rule_type: Option<String>,
    /// Rule or profile name.
    pub rule_name: Option<String>,
    /// Certificate object name.
    pub certificate: String,
    /// Subject common name.
    pub common_name: String,
    /// Issuer.
    pub issuer: String,
    /// Subject alternative names.
    pub sans: Vec<String>,
    /// Key type and size.
    pub key: String,
    /// SHA-256 fingerprint.
    pub fingerprint: String,
    /// Whether the private key is on the device.
    pub has_private_key: bool,
    /// notAfter, RFC 3339.
    pub not_after: String,
    /// Days left (negative when expired).
    pub days_left: i64,
    /// Health.
    pub status: Status,
}

/// A certificate found in a configuration.
#[derive(Debug, Clone)]
struct Found {
    name: String,
    facts: Option<CertFacts>,
    has_key: bool,
    /// From the entry when the PEM could not be parsed.
    common_name: String,
    expiry: i64,
}

fn parse_cert(e: &Element) -> Option<Found> {
    let name = e.attr("name")?.to_string();
    let facts = e
        .child_text("public-key")
        .and_then(|p| CertFacts::from_pem("public-key", p.as_bytes()).ok());
    Some(Found {
        name,
        has_key: e.child("private-key").is_some(),
        common_name: e.child_text("common-name").unwrap_or_default(),
        expiry: e
            .child_text("expiry-epoch")
            .and_then(|x| x.parse().ok())
            .unwrap_or(0),
        facts,
    })
}

/// Where a scan is looking, copied into its rows.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// See [`Row::scope`].
    pub scope: String,
    /// See [`Row::template`].
    pub template: Option<String>,
    /// See [`Row::template_stack`].
    pub template_stack: Option<String>,
    /// See [`Row::device_group`].
    pub device_group: Option<String>,
    /// See [`Row::device`].
    pub device: Option<String>,
}

struct Use {
    cert: String,
    used_by: &'static str,
    rule_type: Option<String>,
    rule_name: Option<String>,
    device_group: Option<String>,
}

fn descendants<'a>(e: &'a Element, name: &str, out: &mut Vec<&'a Element>) {
    for c in e.elements() {
        if c.name == name {
            out.push(c);
        }
        descendants(c, name, out);
    }
}

fn rule_uses(rulebase: Option<&Element>, dg: Option<&str>, out: &mut Vec<Use>) {
    for r in rulebase
        .map(|rb| rb.find_all("decryption/rules/entry"))
        .unwrap_or_default()
    {
        let Some(ib) = r.path("type/ssl-inbound-inspection") else {
            continue;
        };
        let mut certs: Vec<String> = ib
            .child("certificates")
            .map(|c| c.children_named("member").map(|m| m.deep_text()).collect())
            .unwrap_or_default();
        // older releases hold a single certificate as text
        if certs.is_empty()
            && let Some(t) = ib.own_text()
        {
            certs.push(t.trim().to_string());
        }
        for c in certs.into_iter().filter(|c| !c.is_empty()) {
            out.push(Use {
                cert: c,
                used_by: "decryption-inbound",
                rule_type: Some("ssl-inbound-inspection".into()),
                rule_name: r.attr("name").map(str::to_string),
                device_group: dg.map(str::to_string),
            });
        }
    }
}

/// Rows for a `<config>` tree: a firewall's, or the `config` of a template or template stack.
pub fn scan_config(config: &Element, scope: &Scope, now: i64, warn_days: i64) -> Vec<Row> {
    let mut certs: Vec<Found> = Vec::new();
    let mut profiles: Vec<(String, String)> = Vec::new();
    let mut uses: Vec<Use> = Vec::new();
    let vsys_list = config.find_all("devices/entry/vsys/entry");
    let mut containers: Vec<&Element> = config.child("shared").into_iter().collect();
    containers.extend(vsys_list.iter().copied());
    for c in &containers {
        for e in c.find_all("certificate/entry") {
            if let Some(f) = parse_cert(e) {
                certs.push(f);
            }
        }
        for p in c.find_all("ssl-tls-service-profile/entry") {
            if let (Some(n), Some(cert)) = (p.attr("name"), p.child_text("certificate")) {
                profiles.push((n.to_string(), cert));
            }
        }
    }
    let profile_cert = |name: &str| {
        profiles
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, c)| c.clone())
    };
    for (n, c) in &profiles {
        uses.push(Use {
            cert: c.clone(),
            used_by: "ssl-tls-service-profile",
            rule_type: None,
            rule_name: Some(n.clone()),
            device_group: None,
        });
    }
    for sys in config.find_all("devices/entry/deviceconfig/system") {
        if let Some(p) = sys.child_text("ssl-tls-service-profile")
            && let Some(c) = profile_cert(&p)
        {
            uses.push(Use {
                cert: c,
                used_by: "management",
                rule_type: None,
                rule_name: Some(p),
                device_group: None,
            });
        }
    }
    for v in &vsys_list {
        for (kind, used_by) in [
            (
                "global-protect/global-protect-portal/entry",
                "globalprotect-portal",
            ),
            (
                "global-protect/global-protect-gateway/entry",
                "globalprotect-gateway",
            ),
        ] {
            for gp in v.find_all(kind) {
                let mut refs = Vec::new();
                descendants(gp, "ssl-tls-service-profile", &mut refs);
                for r in refs {
                    let p = r.deep_text();
                    if let Some(c) = profile_cert(&p) {
                        uses.push(Use {
                            cert: c,
                            used_by,
                            rule_type: None,
                            rule_name: gp.attr("name").map(str::to_string),
                            device_group: None,
                        });
                    }
                }
            }
        }
        rule_uses(v.child("rulebase"), None, &mut uses);
    }
    rows_for(&certs, &uses, scope, now, warn_days, true)
}

/// Rows for a device group: the certificates stored in the group itself (used by its rules
/// or not: `cert deploy --device-group DG` puts them there), then its decryption rules'
/// other certificates resolved against `known` (the rows of Panorama shared, templates and
/// stacks).
pub fn scan_device_group(dg: &Element, known: &[Row], now: i64, warn_days: i64) -> Vec<Row> {
    let name = dg.attr("name").unwrap_or("").to_string();
    let mut uses = Vec::new();
    rule_uses(dg.child("pre-rulebase"), Some(&name), &mut uses);
    rule_uses(dg.child("post-rulebase"), Some(&name), &mut uses);
    let own: Vec<Found> = dg
        .find_all("certificate/entry")
        .into_iter()
        .filter_map(parse_cert)
        .collect();
    // a name in the group itself shadows one of the same name further up, as on the device
    let (own_uses, uses): (Vec<Use>, Vec<Use>) = uses
        .into_iter()
        .partition(|u| own.iter().any(|c| c.name == u.cert));
    let own_scope = Scope {
        scope: "device-group".into(),
        device_group: Some(name.clone()),
        ..Default::default()
    };
    let mut out = rows_for(&own, &own_uses, &own_scope, now, warn_days, false);
    for u in uses {
        let scope = Scope {
            scope: "device-group".into(),
            device_group: Some(name.clone()),
            ..Default::default()
        };
        match known.iter().find(|r| r.certificate == u.cert) {
            Some(k) => {
                let mut r = k.clone();
                r.scope = scope.scope;
                r.device_group = scope.device_group;
                r.used_by = u.used_by.into();
                r.rule_type = u.rule_type;
                r.rule_name = u.rule_name;
                r.status = if k.status == Status::Unused {
                    status_of(k.days_left, now, None, k.has_private_key, true, warn_days)
                } else {
                    k.status
                };
                out.push(r);
            }
            None => out.push(missing_row(&u, &scope)),
        }
    }
    let _ = now;
    out
}

fn missing_row(u: &Use, scope: &Scope) -> Row {
    Row {
        scope: scope.scope.clone(),
        template: scope.template.clone(),
        template_stack: scope.template_stack.clone(),
        device_group: u.device_group.clone().or(scope.device_group.clone()),
        device: scope.device.clone(),
        used_by: u.used_by.into(),
        rule_type: u.rule_type.clone(),
        rule_name: u.rule_name.clone(),
        certificate: u.cert.clone(),
        common_name: String::new(),
        issuer: String::new(),
        sans: vec![],
        key: String::new(),
        fingerprint: String::new(),
        has_private_key: false,
        not_after: String::new(),
        days_left: 0,
        status: Status::Missing,
    }
}

fn status_of(
    days_left: i64,
    now: i64,
    not_before: Option<i64>,
    has_key: bool,
    used: bool,
    warn_days: i64,
) -> Status {
    if not_before.is_some_and(|nb| now < nb) {
        Status::NotYetValid
    } else if days_left < 0 {
        Status::Expired
    } else if used && !has_key {
        Status::KeyMissing
    } else if days_left < warn_days {
        Status::Expiring
    } else if !used {
        Status::Unused
    } else {
        Status::Valid
    }
}

fn rows_for(
    certs: &[Found],
    uses: &[Use],
    scope: &Scope,
    now: i64,
    warn_days: i64,
    missing: bool,
) -> Vec<Row> {
    let mut out = Vec::new();
    for c in certs {
        let (cn, issuer, sans, key, fp, not_after, nb) = match &c.facts {
            Some(f) => (
                f.common_name.clone(),
                f.issuer.clone(),
                f.sans.clone(),
                f.key.to_string(),
                f.fingerprint.clone(),
                f.not_after,
                Some(f.not_before),
            ),
            None => (
                c.common_name.clone(),
                String::new(),
                vec![],
                String::new(),
                String::new(),
                c.expiry,
                None,
            ),
        };
        let days_left = (not_after - now).div_euclid(86_400);
        let mine: Vec<&Use> = uses.iter().filter(|u| u.cert == c.name).collect();
        let base = Row {
            scope: scope.scope.clone(),
            template: scope.template.clone(),
            template_stack: scope.template_stack.clone(),
            device_group: scope.device_group.clone(),
            device: scope.device.clone(),
            used_by: String::new(),
            rule_type: None,
            rule_name: None,
            certificate: c.name.clone(),
            common_name: cn,
            issuer,
            sans,
            key,
            fingerprint: fp,
            has_private_key: c.has_key,
            not_after: chrono::DateTime::from_timestamp(not_after, 0)
                .map(|d| d.to_rfc3339())
                .unwrap_or_default(),
            days_left,
            status: status_of(days_left, now, nb, c.has_key, !mine.is_empty(), warn_days),
        };
        if mine.is_empty() {
            out.push(base);
            continue;
        }
        for u in mine {
            let mut r = base.clone();
            r.used_by = u.used_by.into();
            r.rule_type = u.rule_type.clone();
            r.rule_name = u.rule_name.clone();
            if u.device_group.is_some() {
                r.device_group = u.device_group.clone();
            }
            out.push(r);
        }
    }
    if missing {
        for u in uses {
            if !certs.iter().any(|c| c.name == u.cert) {
                out.push(missing_row(u, scope));
            }
        }
    }
    out
}

async fn get(client: &PanosClient, xpath: &str) -> Result<Option<Element>, ClientError> {
    let r = client.config_get(xpath).await?;
    Ok(r.result().and_then(|res| res.elements().next().cloned()))
}

/// A firewall that could not be read.
#[derive(Debug, Clone, Serialize)]
pub struct Unreachable {
    /// Serial.
    pub device: String,
    /// Why.
    pub error: String,
}

/// The whole inventory of a Panorama estate (candidate config for Panorama objects, running
/// config of every connected firewall).
pub async fn collect(
    client: &PanosClient,
    now: i64,
    warn_days: i64,
) -> Result<(Vec<Row>, Vec<Unreachable>), ClientError> {
    let mut rows = Vec::new();
    for (x, label) in [
        ("/config/shared", "panorama"),
        ("/config/panorama", "panorama"),
    ] {
        if let Some(shared) = get(client, x).await? {
            let mut cfg = Element {
                name: "config".into(),
                attrs: vec![],
                children: vec![],
                outer: 0..0,
                inner: 0..0,
            };
            let mut s = shared.clone();
            s.name = "shared".into();
            cfg.children.push(panops_panos::xml::Node::Element(s));
            rows.extend(scan_config(
                &cfg,
                &Scope {
                    scope: label.into(),
                    ..Default::default()
                },
                now,
                warn_days,
            ));
        }
    }
    if let Some(t) = get(client, &format!("{LH}/template")).await? {
        for e in t.children_named("entry") {
            if let Some(cfg) = e.child("config") {
                rows.extend(scan_config(
                    cfg,
                    &Scope {
                        scope: "template".into(),
                        template: e.attr("name").map(str::to_string),
                        ..Default::default()
                    },
                    now,
                    warn_days,
                ));
            }
        }
    }
    if let Some(t) = get(client, &format!("{LH}/template-stack")).await? {
        for e in t.children_named("entry") {
            if let Some(cfg) = e.child("config") {
                rows.extend(scan_config(
                    cfg,
                    &Scope {
                        scope: "template-stack".into(),
                        template_stack: e.attr("name").map(str::to_string),
                        ..Default::default()
                    },
                    now,
                    warn_days,
                ));
            }
        }
    }
    let known = rows.clone();
    if let Some(dgs) = get(client, &format!("{LH}/device-group")).await? {
        for dg in dgs.children_named("entry") {
            rows.extend(scan_device_group(dg, &known, now, warn_days));
        }
    }
    let mut unreachable = Vec::new();
    let connected = client
        .op("<show><devices><connected/></devices></show>")
        .await?;
    let serials: Vec<String> = connected
        .result()
        .map(|r| {
            r.find_all("devices/entry")
                .iter()
                .filter_map(|e| {
                    e.child_text("serial")
                        .or(e.attr("name").map(str::to_string))
                })
                .collect()
        })
        .unwrap_or_default();
    for s in serials {
        let fw = client.with_target(&s)?;
        match fw.config_show("/config").await {
            Ok(r) => {
                if let Some(cfg) = r.result().and_then(|res| res.child("config")) {
                    rows.extend(scan_config(
                        cfg,
                        &Scope {
                            scope: "firewall".into(),
                            device: Some(s.clone()),
                            ..Default::default()
                        },
                        now,
                        warn_days,
                    ));
                }
            }
            Err(e) => unreachable.push(Unreachable {
                device: s,
                error: e.to_string(),
            }),
        }
    }
    Ok((rows, unreachable))
}

#[cfg(test)]
mod device_group_tests {
    use super::*;

    #[test]
    fn certificates_stored_in_a_device_group_are_listed_used_or_not() {
        let dg = panops_panos::xml::parse(
            br#"<entry name="dg1">
              <certificate>
                <entry name="dg-used"><common-name>a.example</common-name><expiry-epoch>2000000000</expiry-epoch></entry>
                <entry name="dg-spare"><common-name>b.example</common-name><expiry-epoch>2000000000</expiry-epoch></entry>
              </certificate>
              <pre-rulebase><decryption><rules><entry name="in">
                <type><ssl-inbound-inspection><certificates><member>dg-used</member></certificates></ssl-inbound-inspection></type>
              </entry></rules></decryption></pre-rulebase>
            </entry>"#,
        )
        .unwrap();
        let rows = scan_device_group(&dg, &[], 1_700_000_000, 30);
        let used = rows.iter().find(|r| r.certificate == "dg-used").unwrap();
        assert_eq!(used.scope, "device-group");
        assert_eq!(used.device_group.as_deref(), Some("dg1"));
        assert_eq!(used.rule_name.as_deref(), Some("in"));
        assert_eq!(used.common_name, "a.example");
        let spare = rows.iter().find(|r| r.certificate == "dg-spare").unwrap();
        assert_eq!(spare.status, Status::Unused);
        assert_eq!(rows.len(), 2, "{rows:?}");
    }
}
