//! Renewal from a certificate source directory: for every binding whose certificate is
//! expiring, the newest currently valid certificate in the directory for the same names (CN or
//! SANs), with its key, is deployed in place of the old one (`--replace-cert`), each as its own
//! recorded process of kind `renew`.
//!
//! The directory may hold pairs `NAME.pem|.crt|.cer` + `NAME.key`, or certbot's layout
//! (`live/DOMAIN/fullchain.pem` + `privkey.pem`); files that are not certificates are skipped.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::deploy::{DeployError, DeployRequest, Deployer, Mode};
use crate::inventory::{Row, Status};
use crate::material::{self, Bundle, CertFacts};

/// A candidate found in the source directory.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// Certificate file.
    pub cert: PathBuf,
    /// Key file.
    pub key: PathBuf,
    /// The leaf's facts.
    pub leaf: CertFacts,
}

fn key_for(cert: &Path) -> Option<PathBuf> {
    let stem_key = cert.with_extension("key");
    if stem_key.exists() {
        return Some(stem_key);
    }
    let certbot = cert.parent()?.join("privkey.pem");
    (certbot.exists() && certbot != cert).then_some(certbot)
}

fn walk(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() && depth < 3 {
            walk(&p, depth + 1, out);
        } else if p
            .extension()
            .and_then(|x| x.to_str())
            .is_some_and(|x| matches!(x, "pem" | "crt" | "cer"))
            && p.file_name().and_then(|n| n.to_str()) != Some("privkey.pem")
            && p.file_name().and_then(|n| n.to_str()) != Some("chain.pem")
        {
            out.push(p);
        }
    }
}

/// Every certificate with a key in `dir` (unreadable or non-certificate files skipped).
pub fn scan_dir(dir: &Path) -> Vec<Candidate> {
    let mut files = Vec::new();
    walk(dir, 0, &mut files);
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let Some(key) = key_for(&f) else {
            continue;
        };
        let Ok(data) = std::fs::read(&f) else {
            continue;
        };
        let Ok(certs) = material::parse_pem_certs("--source-dir", &data) else {
            continue;
        };
        if let Some(leaf) = certs.into_iter().next() {
            out.push(Candidate { cert: f, key, leaf });
        }
    }
    out
}

fn names_of(common_name: &str, sans: &[String]) -> Vec<String> {
    let mut v: Vec<String> = sans.iter().map(|s| s.to_ascii_lowercase()).collect();
    if !common_name.is_empty() {
        v.push(common_name.to_ascii_lowercase());
    }
    v.sort();
    v.dedup();
    v
}

/// The newest currently valid candidate covering every name of `row`'s certificate, and not
/// the same certificate.
pub fn pick<'a>(cands: &'a [Candidate], row: &Row, now: i64) -> Option<&'a Candidate> {
    let want = names_of(&row.common_name, &row.sans);
    if want.is_empty() {
        return None;
    }
    cands
        .iter()
        .filter(|c| c.leaf.fingerprint != row.fingerprint)
        .filter(|c| c.leaf.not_before <= now && now < c.leaf.not_after)
        .filter(|c| {
            let have = names_of(&c.leaf.common_name, &c.leaf.sans);
            want.iter().all(|w| have.contains(w))
        })
        .max_by_key(|c| c.leaf.not_after)
}

/// What renewal did for one expiring certificate.
#[derive(Debug, Clone, Serialize)]
pub struct Renewal {
    /// The expiring certificate.
    pub certificate: String,
    /// Its template.
    pub template: String,
    /// The replacement file, when one was found.
    pub source: Option<String>,
    /// The deployment's process id.
    pub process: Option<String>,
    /// `deployed`, `no-replacement`, or the error.
    pub outcome: String,
}

/// Renew every expiring certificate of `template` (bound through its SSL/TLS profiles or the
/// decryption rules of `device_group`) from `dir`.
#[allow(clippy::too_many_arguments)]
pub async fn renew_from_dir(
    deployer: &Deployer,
    rows: &[Row],
    dir: &Path,
    template: &str,
    device_group: Option<&str>,
    mode: Mode,
    admin: &str,
    now: i64,
) -> Vec<Renewal> {
    let cands = scan_dir(dir);
    renew_with(
        deployer,
        rows,
        template,
        device_group,
        mode,
        admin,
        async |r: &Row| -> Obtained {
            let Some(c) = pick(&cands, r, now) else {
                return Ok(None);
            };
            let source = c.cert.display().to_string();
            let cert = std::fs::read(&c.cert).map_err(|e| (Some(source.clone()), e.to_string()))?;
            let key = std::fs::read(&c.key).map_err(|e| (Some(source.clone()), e.to_string()))?;
            let b = material::parse_pem_bundle(&cert, &key, None, None)
                .map_err(|e| (Some(source.clone()), e.to_string()))?;
            Ok(Some((source, b)))
        },
    )
    .await
}

/// What a renewal source gives for one certificate: `Ok(Some((source, bundle)))` a
/// replacement, `Ok(None)` none available, `Err((source, reason))` a failure.
pub type Obtained = Result<Option<(String, Bundle)>, (Option<String>, String)>;

/// The shared selection -> deploy path of every renewal source: for each expiring or expired
/// certificate of `template` that something uses, `obtain` gives the replacement (`Ok(None)`:
/// none available; `Err((source, reason))`: it failed), which is deployed in the old one's
/// place as a process of kind `renew`.
#[allow(clippy::too_many_arguments)]
pub async fn renew_with(
    deployer: &Deployer,
    rows: &[Row],
    template: &str,
    device_group: Option<&str>,
    mode: Mode,
    admin: &str,
    mut obtain: impl AsyncFnMut(&Row) -> Obtained,
) -> Vec<Renewal> {
    let mut out = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for r in rows.iter().filter(|r| {
        r.scope == "template"
            && r.template.as_deref() == Some(template)
            && matches!(r.status, Status::Expiring | Status::Expired)
            && !r.used_by.is_empty()
    }) {
        if seen.contains(&r.certificate) {
            continue;
        }
        seen.push(r.certificate.clone());
        let (source, bundle) = match obtain(r).await {
            Ok(Some(x)) => x,
            Ok(None) => {
                out.push(Renewal {
                    certificate: r.certificate.clone(),
                    template: template.to_string(),
                    source: None,
                    process: None,
                    outcome: "no-replacement".into(),
                });
                continue;
            }
            Err((source, e)) => {
                out.push(Renewal {
                    certificate: r.certificate.clone(),
                    template: template.to_string(),
                    source,
                    process: None,
                    outcome: e,
                });
                continue;
            }
        };
        let source = Some(source);
        let req = DeployRequest {
            template: template.to_string(),
            stack: false,
            location: crate::deploy::Location::Template,
            device_groups: device_group.map(str::to_string).into_iter().collect(),
            decryption_rules: vec![],
            ssl_tls_profiles: vec![],
            gp_portals: vec![],
            gp_gateways: vec![],
            management: false,
            replace_cert: Some(r.certificate.clone()),
            mode,
            skip_commit: false,
            skip_push: false,
            admin: admin.to_string(),
        };
        let (process, outcome) = match deployer.deploy_kind("renew", &bundle, &req).await {
            Ok(d) => (Some(d.process), "deployed".to_string()),
            Err(e) => (
                match &e {
                    DeployError::RolledBack { process, .. }
                    | DeployError::RollbackFailed { process, .. } => Some(process.clone()),
                    _ => None,
                },
                e.to_string(),
            ),
        };
        out.push(Renewal {
            certificate: r.certificate.clone(),
            template: template.to_string(),
            source,
            process,
            outcome,
        });
    }
    out
}
