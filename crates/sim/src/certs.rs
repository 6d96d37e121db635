//! Certificate / key import (PEM, PKCS#12), export and the sslmgr-store expiry view.

use base64::Engine;
use sha2::{Digest, Sha256};
use x509_parser::pem::Pem;
use x509_parser::prelude::*;

use crate::api::{Request, SimState};
use crate::device::{self, ApiError, Device, LOCALHOST};
use crate::xml::{self, Element};
use crate::xpath::{self, XPath};

/// Facts parsed from one certificate.
#[derive(Debug, Clone)]
pub struct CertInfo {
    /// Subject as `/CN=..`.
    pub subject: String,
    /// Issuer as `/CN=..`.
    pub issuer: String,
    /// Common name.
    pub common_name: String,
    /// not-before, e.g. "Oct  2 07:00:00 2026 GMT".
    pub not_before: String,
    /// not-after.
    pub not_after: String,
    /// not-after as unix seconds.
    pub expiry_epoch: i64,
    /// Serial (hex).
    pub serial_hex: String,
    /// Whether the cert is a CA.
    pub ca: bool,
    /// Key algorithm (RSA / EC).
    pub algorithm: String,
    /// PEM of the certificate.
    pub pem: String,
}

fn slash_name(n: &X509Name<'_>) -> String {
    let mut s = String::new();
    for rdn in n.iter() {
        for atv in rdn.iter() {
            let key = match atv.attr_type().to_id_string().as_str() {
                "2.5.4.3" => "CN",
                "2.5.4.6" => "C",
                "2.5.4.7" => "L",
                "2.5.4.8" => "ST",
                "2.5.4.10" => "O",
                "2.5.4.11" => "OU",
                other => {
                    s.push_str(&format!("/{other}="));
                    s.push_str(atv.as_str().unwrap_or("?"));
                    continue;
                }
            };
            s.push('/');
            s.push_str(key);
            s.push('=');
            s.push_str(atv.as_str().unwrap_or("?"));
        }
    }
    s
}

fn fmt_time(t: &ASN1Time) -> String {
    chrono::DateTime::from_timestamp(t.timestamp(), 0)
        .map(|d| d.format("%b %e %H:%M:%S %Y GMT").to_string())
        .unwrap_or_default()
}

fn to_pem(label: &str, der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut s = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        s.push_str(&String::from_utf8_lossy(chunk));
        s.push('\n');
    }
    s.push_str(&format!("-----END {label}-----\n"));
    s
}

/// Parse a DER certificate.
pub fn cert_info(der: &[u8]) -> Result<CertInfo, String> {
    let (_, cert) =
        X509Certificate::from_der(der).map_err(|e| format!("Failed to parse certificate: {e}"))?;
    let common_name = cert
        .subject()
        .iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
        .unwrap_or("")
        .to_string();
    let ca = cert
        .basic_constraints()
        .ok()
        .flatten()
        .is_some_and(|b| b.value.ca);
    let algorithm = match cert.public_key().parsed() {
        Ok(x509_parser::public_key::PublicKey::RSA(_)) => "RSA",
        Ok(x509_parser::public_key::PublicKey::EC(_)) => "EC",
        _ => "RSA",
    };
    Ok(CertInfo {
        subject: slash_name(cert.subject()),
        issuer: slash_name(cert.issuer()),
        common_name,
        not_before: fmt_time(&cert.validity().not_before),
        not_after: fmt_time(&cert.validity().not_after),
        expiry_epoch: cert.validity().not_after.timestamp(),
        serial_hex: cert
            .tbs_certificate
            .raw_serial_as_string()
            .replace(':', "")
            .to_uppercase(),
        ca,
        algorithm: algorithm.into(),
        pem: to_pem("CERTIFICATE", der),
    })
}

/// Parsed upload: certificates (leaf first) and an optional private key (DER).
struct Upload {
    certs: Vec<Vec<u8>>,
    key: Option<Vec<u8>>,
}

fn parse_upload(data: &[u8], format: &str, passphrase: &str) -> Result<Upload, String> {
    if format == "pkcs12" || format == "p12" {
        let ks = p12_keystore::KeyStore::from_pkcs12(data, passphrase).map_err(|e| {
            format!("Failed to decrypt or parse PKCS12 file (wrong passphrase?): {e}")
        })?;
        let mut up = Upload {
            certs: vec![],
            key: None,
        };
        if let Some((_, chain)) = ks.private_key_chain() {
            up.key = Some(chain.key().to_vec());
            up.certs
                .extend(chain.chain().iter().map(|c| c.as_der().to_vec()));
        }
        for (_, e) in ks.entries() {
            if let p12_keystore::KeyStoreEntry::Certificate(c) = e {
                up.certs.push(c.as_der().to_vec());
            }
        }
        return Ok(up);
    }
    let mut up = Upload {
        certs: vec![],
        key: None,
    };
    for pem in Pem::iter_from_buffer(data) {
        let pem = pem.map_err(|e| format!("Failed to read PEM data: {e}"))?;
        match pem.label.as_str() {
            "CERTIFICATE" => up.certs.push(pem.contents),
            "ENCRYPTED PRIVATE KEY" => {
                if passphrase.is_empty() {
                    return Err("private key is encrypted: a passphrase is required".into());
                }
                // decrypted for real, so a wrong passphrase is refused as on the device
                let enc = pkcs8::EncryptedPrivateKeyInfo::try_from(pem.contents.as_slice())
                    .map_err(|e| format!("Failed to read the encrypted private key: {e}"))?;
                let plain = enc.decrypt(passphrase).map_err(|_| {
                    "Failed to decrypt the private key: wrong passphrase".to_string()
                })?;
                up.key = Some(plain.as_bytes().to_vec());
            }
            l if l.ends_with("PRIVATE KEY") => {
                up.key = Some(pem.contents);
            }
            _ => {}
        }
    }
    if up.certs.is_empty() && up.key.is_none() {
        if let Ok((_, _)) = X509Certificate::from_der(data) {
            up.certs.push(data.to_vec());
        } else {
            return Err("no certificate or private key found in the uploaded file".into());
        }
    }
    Ok(up)
}

/// The certificate container xpath for an import.
///
/// On Panorama without `target-tpl`: `vsys=shared` is Panorama shared
/// (`/config/shared/certificate`) and `vsys=DG` the device group DG; no `vsys` is Panorama's
/// own store (`/config/panorama/certificate`). pango and pan-os-codegen model only Panorama
/// itself and templates; the shared and device-group parameters are by analogy with the
/// firewall's `vsys` (no public source; unverified).
fn cert_container(dev: &Device, req: &Request) -> Result<String, ApiError> {
    let vsys = req.get("vsys").filter(|v| !v.is_empty() && *v != "shared");
    if dev.panorama {
        let no_tpl = req.get("target-tpl").is_none_or(str::is_empty);
        match req.get("vsys").filter(|v| !v.is_empty()) {
            Some("shared") if no_tpl => return Ok("/config/shared/certificate".into()),
            Some(dg) if no_tpl => {
                let x = format!(
                    "{LOCALHOST}/device-group/entry[@name={}]",
                    crate::xpath::quote(dg)
                );
                let exists = XPath::parse(&x)
                    .map(|p| !p.select(&dev.candidate).is_empty())
                    .unwrap_or(false);
                if !exists {
                    return Err(ApiError::new(
                        17,
                        format!("Import failed. Device group {dg} does not exist"),
                    ));
                }
                return Ok(format!("{x}/certificate"));
            }
            _ => {}
        }
        if let Some(t) = req.get("target-tpl").filter(|t| !t.is_empty()) {
            let q = crate::xpath::quote(t);
            let tv = req.get("target-tpl-vsys").filter(|v| !v.is_empty());
            // target-tpl may name a template stack: the certificate goes to the stack's own
            // configuration
            let is_stack = |kind: &str| {
                XPath::parse(&format!("{LOCALHOST}/{kind}/entry[@name={q}]"))
                    .map(|x| !x.select(&dev.candidate).is_empty())
                    .unwrap_or(false)
            };
            let kind = if !is_stack("template") && is_stack("template-stack") {
                "template-stack"
            } else {
                "template"
            };
            let base = format!("{LOCALHOST}/{kind}/entry[@name={q}]/config");
            return Ok(match tv {
                Some(v) => format!(
                    "{base}/devices/entry[@name='localhost.localdomain']/vsys/entry[@name={}]/certificate",
                    crate::xpath::quote(v)
                ),
                None => format!("{base}/shared/certificate"),
            });
        }
        return Ok("/config/panorama/certificate".into());
    }
    Ok(match vsys {
        Some(v) => format!(
            "{LOCALHOST}/vsys/entry[@name={}]/certificate",
            crate::xpath::quote(v)
        ),
        None => "/config/shared/certificate".into(),
    })
}

/// `type=import`.
pub fn import(
    st: &mut SimState,
    serial: &str,
    user: &str,
    req: &Request,
) -> Result<String, ApiError> {
    let wire = st.wire.clone();
    let dev = st
        .devices
        .get_mut(serial)
        .ok_or_else(|| ApiError::new(17, "unknown device"))?;
    let r = import_into(dev, &wire, user, req);
    if r.is_ok() {
        st.changed = true;
    }
    r
}

/// An import (`type=import`) into one device: all it touches is that device and the fault
/// settings, so it can run under the device's own lock (see
/// [`crate::api::SimState::try_write`]); decoding a key with its passphrase takes a while.
pub fn import_into(
    dev: &mut Device,
    wire: &parking_lot::Mutex<crate::api::Wire>,
    user: &str,
    req: &Request,
) -> Result<String, ApiError> {
    let category = req
        .get("category")
        .ok_or_else(|| ApiError::bad_request("Missing parameter \"category\""))?
        .to_string();
    let injected = {
        let mut wire = wire.lock();
        let hit = wire.faults.fail_imports > 0;
        wire.faults.fail_imports = wire.faults.fail_imports.saturating_sub(1);
        hit
    };
    if injected {
        return Err(ApiError::new(
            17,
            format!(
                "Import of {} failed. simulated failure injected by fail_next_imports",
                req.get("certificate-name").unwrap_or("")
            ),
        ));
    }
    let Some((_, data)) = &req.file else {
        return Err(ApiError::bad_request(
            "Missing file: upload it as multipart/form-data field \"file\"",
        ));
    };
    match category.as_str() {
        "certificate" | "keypair" | "private-key" => {}
        "configuration" => {
            let text = String::from_utf8_lossy(data);
            let cfg = xml::parse(&text)
                .map_err(|e| ApiError::new(18, format!("Malformed configuration file: {e}")))?;
            if cfg.name != "config" {
                return Err(ApiError::new(
                    18,
                    "configuration file root must be <config>",
                ));
            }
            // as on the device, an imported configuration is a named snapshot (what `load
            // config from|partial from NAME` and `show config saved NAME` read); the candidate
            // is untouched until it is loaded
            let fname = req
                .file
                .as_ref()
                .map(|f| f.0.clone())
                .filter(|f| !f.is_empty())
                .ok_or_else(|| ApiError::bad_request("Missing parameter \"file\""))?;
            let mut cfg = cfg;
            cfg.strip_annotations();
            dev.configs.saved.insert(
                fname,
                crate::ops::configops::SavedConfig {
                    config: cfg,
                    time: dev.clock.stamp(),
                    admin: user.to_string(),
                },
            );
            dev.configs_generation += 1;
            return Ok(format!(
                "<response status=\"success\"><msg>{} saved</msg></response>",
                xml::escape(req.file.as_ref().map(|f| f.0.as_str()).unwrap_or("config"))
            ));
        }
        other => {
            return Err(ApiError::bad_request(format!(
                "Illegal value for parameter \"category\" [{other}]."
            )));
        }
    }
    let name = req
        .get("certificate-name")
        .filter(|n| !n.is_empty())
        .ok_or_else(|| ApiError::bad_request("Missing parameter \"certificate-name\""))?
        .to_string();
    crate::validate::check_name(&["certificate".to_string()], &name, dev.panorama)?;
    let format = req.get("format").unwrap_or("pem").to_ascii_lowercase();
    let passphrase = req.get("passphrase").unwrap_or("");
    let up = parse_upload(data, &format, passphrase)
        .map_err(|e| ApiError::new(17, format!("Import of {name} failed. {e}")))?;
    let container = cert_container(dev, req)?;
    let key_marker = |k: &[u8]| {
        let d = Sha256::digest(k);
        format!(
            "-AQ=={}",
            base64::engine::general_purpose::STANDARD.encode(d)
        )
    };
    if category == "private-key" {
        let key = up.key.ok_or_else(|| {
            ApiError::new(
                17,
                format!("Import of {name} failed. No private key found in the uploaded file"),
            )
        })?;
        let x = XPath::parse(&format!(
            "{container}/entry[@name={}]",
            crate::xpath::quote(&name)
        ))
        .map_err(|e| ApiError::new(6, e.0))?;
        let sel = x.select(&dev.candidate);
        let Some(p) = sel.first() else {
            return Err(ApiError::new(
                17,
                format!(
                    "Import of {name} failed. Certificate {name} does not exist; import the certificate first"
                ),
            ));
        };
        if let Some(e) = xpath::get_mut(&mut dev.candidate, p) {
            e.children.retain(|c| c.name != "private-key");
            e.children
                .push(Element::text_node("private-key", key_marker(&key)));
            let replay = device::ConfigReq {
                action: "edit".into(),
                xpath: format!("{container}/entry[@name={}]", crate::xpath::quote(&name)),
                element: Some(e.to_xml()),
                ..Default::default()
            };
            dev.pending.push((user.to_string(), replay));
        }
        dev.private_keys
            .insert(name.clone(), to_pem("PRIVATE KEY", &key));
        dev.touched(user, "import private-key", &container);
        return Ok(format!(
            "<response status=\"success\"><result>Successfully imported {} into candidate configuration</result></response>",
            xml::escape(&name)
        ));
    }
    let leaf = up.certs.first().ok_or_else(|| {
        ApiError::new(
            17,
            format!("Import of {name} failed. Failed to extract certificate"),
        )
    })?;
    let info =
        cert_info(leaf).map_err(|e| ApiError::new(17, format!("Import of {name} failed. {e}")))?;
    if category == "keypair" && up.key.is_none() {
        return Err(ApiError::new(
            17,
            format!("Import of {name} failed. The keypair file has no private key"),
        ));
    }
    let subject_hash = format!(
        "{:08x}",
        u32::from_be_bytes(
            Sha256::digest(info.subject.as_bytes())[..4]
                .try_into()
                .unwrap_or([0; 4])
        )
    );
    let issuer_hash = format!(
        "{:08x}",
        u32::from_be_bytes(
            Sha256::digest(info.issuer.as_bytes())[..4]
                .try_into()
                .unwrap_or([0; 4])
        )
    );
    let mut entry = Element::entry(name.clone())
        .with_text_child("subject-hash", subject_hash)
        .with_text_child("issuer-hash", issuer_hash)
        .with_text_child("not-valid-before", info.not_before.clone())
        .with_text_child("issuer", info.issuer.clone())
        .with_text_child("not-valid-after", info.not_after.clone())
        .with_text_child("common-name", info.common_name.clone())
        .with_text_child("expiry-epoch", info.expiry_epoch.to_string())
        .with_text_child("ca", if info.ca { "yes" } else { "no" })
        .with_text_child("subject", info.subject.clone())
        .with_text_child("public-key", info.pem.clone())
        .with_text_child("algorithm", info.algorithm.clone());
    if let Some(k) = &up.key {
        entry
            .children
            .push(Element::text_node("private-key", key_marker(k)));
        dev.private_keys
            .insert(name.clone(), to_pem("PRIVATE KEY", k));
    } else {
        // keep a previously imported key for the same name
        let x = XPath::parse(&format!(
            "{container}/entry[@name={}]/private-key",
            crate::xpath::quote(&name)
        ))
        .map_err(|e| ApiError::new(6, e.0))?;
        if let Some(p) = x.select(&dev.candidate).first()
            && let Some(old) = xpath::get(&dev.candidate, p)
        {
            entry.children.push(old.clone());
        }
    }
    let creq = device::ConfigReq {
        action: "edit".into(),
        xpath: format!("{container}/entry[@name={}]", crate::xpath::quote(&name)),
        element: Some(entry.to_xml()),
        ..Default::default()
    };
    let panorama = dev.panorama;
    device::apply_write(&mut dev.candidate, &creq, user, panorama)?;
    dev.touched(user, "import certificate", &container);
    dev.pending.push((user.to_string(), creq));
    Ok(format!(
        "<response status=\"success\"><result>Successfully imported {} into candidate configuration</result></response>",
        xml::escape(&name)
    ))
}

/// All certificate entries in a tree (running): (location, entry).
fn all_certs(tree: &Element) -> Vec<(String, Element)> {
    let mut out = Vec::new();
    for (loc, x) in [
        ("shared", "/config/shared/certificate/entry"),
        ("vsys", "/config/devices/entry/vsys/entry/certificate/entry"),
        ("panorama", "/config/panorama/certificate/entry"),
        (
            "template",
            "/config/devices/entry/template/entry/config/shared/certificate/entry",
        ),
    ] {
        if let Ok(xp) = XPath::parse(x) {
            for p in xp.select(tree) {
                if let Some(e) = xpath::get(tree, &p) {
                    out.push((loc.to_string(), e.clone()));
                }
            }
        }
    }
    out
}

/// PEM of a certificate by name (running config first, then candidate).
pub fn export_pem(dev: &Device, name: &str) -> Option<(String, String)> {
    for tree in [&dev.running, &dev.candidate] {
        for (_, e) in all_certs(tree) {
            if e.name_attr() == Some(name)
                && let Some(p) = e.find_text("public-key")
            {
                return Some((name.to_string(), p.to_string()));
            }
        }
    }
    None
}

/// Text of `show sslmgr-store config-certificate-info`.
pub fn sslmgr_text(dev: &Device) -> String {
    let now = dev.clock.utc().timestamp();
    let mut s = String::new();
    for (_, e) in all_certs(&dev.running) {
        let name = e.name_attr().unwrap_or("");
        let epoch: i64 = e
            .find_text("expiry-epoch")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let asn1 = chrono::DateTime::from_timestamp(epoch, 0)
            .map(|d| d.format("%y%m%d%H%M%SZ").to_string())
            .unwrap_or_default();
        let pem = e.find_text("public-key").unwrap_or("");
        let serial = pem_serial(pem).unwrap_or_default();
        s.push_str(&format!(
            "\nSubject-hash: {}\nIssuer: {}\nSubject: {}\ndb-name: {name}\ndb-exp-date: {asn1} ({})\ndb-status: {}\ndb-serial-no: {serial}\n",
            e.find_text("subject-hash").unwrap_or(""),
            e.find_text("issuer").unwrap_or(""),
            e.find_text("subject").unwrap_or(""),
            e.find_text("not-valid-after").unwrap_or(""),
            if epoch > now { "valid" } else { "expired" },
        ));
    }
    s
}

fn pem_serial(pem: &str) -> Option<String> {
    let p = Pem::iter_from_buffer(pem.as_bytes()).next()?.ok()?;
    cert_info(&p.contents).ok().map(|i| i.serial_hex)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encrypted_key(pass: &str) -> (Vec<u8>, String) {
        use pkcs8::der::pem::LineEnding;
        let key = rcgen::KeyPair::generate().unwrap();
        let der = key.serialize_der();
        let info = pkcs8::PrivateKeyInfo::try_from(der.as_slice()).unwrap();
        let params = pkcs8::pkcs5::pbes2::Parameters::pbkdf2_sha256_aes256cbc(
            1024,
            b"0123456789abcdef",
            b"fedcba9876543210",
        )
        .unwrap();
        let enc = info.encrypt_with_params(params, pass.as_bytes()).unwrap();
        (
            der,
            enc.to_pem("ENCRYPTED PRIVATE KEY", LineEnding::LF)
                .unwrap()
                .to_string(),
        )
    }

    #[test]
    fn encrypted_key_is_decrypted_and_a_wrong_passphrase_refused() {
        let (der, pem) = encrypted_key("right");
        let up = parse_upload(pem.as_bytes(), "pem", "right").unwrap();
        assert_eq!(up.key.as_deref(), Some(der.as_slice()));
        let e = parse_upload(pem.as_bytes(), "pem", "wrong").err().unwrap();
        assert!(e.contains("wrong passphrase"), "{e}");
        let e = parse_upload(pem.as_bytes(), "pem", "").err().unwrap();
        assert!(e.contains("passphrase is required"), "{e}");
    }
}
