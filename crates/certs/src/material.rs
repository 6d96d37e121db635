//! Certificate and key material: reading PEM / DER / PKCS#12, the facts PAN-OS shows about a
//! certificate, validation before anything is sent, and the versioned object name.
//!
//! Parsing is done by x509-parser, rustls-pemfile, pkcs8 (encrypted keys) and p12-keystore;
//! the key-matches-certificate check by ring. No ASN.1 is decoded by hand here.

use std::fmt;

use secrecy::{ExposeSecret, SecretSlice};
use sha2::{Digest, Sha256};
use x509_parser::prelude::*;
use x509_parser::public_key::PublicKey;

/// Largest file accepted for a certificate, key, chain or PKCS#12 bundle. Real ones are a few
/// kB; anything near this is not a certificate and is refused before parsing.
pub const MAX_INPUT_BYTES: usize = 256 * 1024;

/// Longest certificate name on Panorama (error code 17 "can be at most 31 characters").
pub const PANORAMA_NAME_MAX: usize = 31;
/// Longest certificate name on a firewall.
pub const FIREWALL_NAME_MAX: usize = 63;

/// A problem with the certificate material, naming the input (`--cert`, `--key`, …) at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct MaterialError {
    /// The input or property at fault (`--cert`, `--key`, `--chain`, `--p12`, `certificate-name`).
    pub field: String,
    /// What is wrong and what to do.
    pub reason: String,
}

impl MaterialError {
    fn new(field: &str, reason: impl Into<String>) -> Self {
        Self {
            field: field.to_string(),
            reason: reason.into(),
        }
    }
}

/// Key algorithm and size as PAN-OS reports them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum KeyKind {
    /// RSA with a modulus of this many bits.
    Rsa(u32),
    /// ECDSA on this named curve (`P-256`, `P-384`, `P-521`) or an OID when unknown.
    Ec(String),
    /// Anything else (Ed25519, DSA, …), by OID.
    Other(String),
}

impl fmt::Display for KeyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Rsa(bits) => write!(f, "RSA-{bits}"),
            Self::Ec(curve) => write!(f, "EC-{curve}"),
            Self::Other(oid) => write!(f, "other ({oid})"),
        }
    }
}

/// The facts about one certificate that inventory, validation and verification use.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CertFacts {
    /// Subject common name (empty when absent).
    pub common_name: String,
    /// Subject, RFC 4514 style.
    pub subject: String,
    /// Issuer, RFC 4514 style.
    pub issuer: String,
    /// DNS names and IP addresses of the subjectAltName extension.
    pub sans: Vec<String>,
    /// notBefore, unix seconds.
    pub not_before: i64,
    /// notAfter, unix seconds.
    pub not_after: i64,
    /// SHA-256 of the DER, lower-case hex.
    pub fingerprint: String,
    /// Key algorithm and size.
    pub key: KeyKind,
    /// basicConstraints CA flag.
    pub is_ca: bool,
    /// The DER encoding.
    #[serde(skip)]
    pub der: Vec<u8>,
}

impl CertFacts {
    /// Parse one DER certificate.
    pub fn from_der(field: &str, der: &[u8]) -> Result<Self, MaterialError> {
        let (rest, cert) = X509Certificate::from_der(der).map_err(|e| {
            MaterialError::new(field, format!("not a valid X.509 certificate: {e}"))
        })?;
        if !rest.is_empty() {
            return Err(MaterialError::new(
                field,
                "trailing bytes after the certificate",
            ));
        }
        let common_name = cert
            .subject()
            .iter_common_name()
            .next()
            .and_then(|cn| cn.as_str().ok())
            .unwrap_or("")
            .to_string();
        let mut sans = Vec::new();
        if let Ok(Some(ext)) = cert.subject_alternative_name() {
            for n in &ext.value.general_names {
                match n {
                    GeneralName::DNSName(d) => sans.push((*d).to_string()),
                    GeneralName::IPAddress(b) => {
                        if let Ok(a) = <[u8; 4]>::try_from(*b) {
                            sans.push(std::net::Ipv4Addr::from(a).to_string());
                        } else if let Ok(a) = <[u8; 16]>::try_from(*b) {
                            sans.push(std::net::Ipv6Addr::from(a).to_string());
                        }
                    }
                    _ => {}
                }
            }
        }
        let key = match cert.public_key().parsed() {
            Ok(PublicKey::RSA(rsa)) => Rsa(rsa.key_size() as u32),
            Ok(PublicKey::EC(_)) => {
                let curve = cert
                    .public_key()
                    .algorithm
                    .parameters
                    .as_ref()
                    .and_then(|p| p.as_oid().ok())
                    .map(|oid| match oid.to_id_string().as_str() {
                        "1.2.840.10045.3.1.7" => "P-256".to_string(),
                        "1.3.132.0.34" => "P-384".to_string(),
                        "1.3.132.0.35" => "P-521".to_string(),
                        other => other.to_string(),
                    })
                    .unwrap_or_else(|| "unknown".into());
                KeyKind::Ec(curve)
            }
            _ => KeyKind::Other(cert.public_key().algorithm.algorithm.to_id_string()),
        };
        use KeyKind::Rsa;
        let is_ca = cert
            .basic_constraints()
            .ok()
            .flatten()
            .is_some_and(|b| b.value.ca);
        Ok(Self {
            common_name,
            subject: cert.subject().to_string(),
            issuer: cert.issuer().to_string(),
            sans,
            not_before: cert.validity().not_before.timestamp(),
            not_after: cert.validity().not_after.timestamp(),
            fingerprint: fingerprint(der),
            key,
            is_ca,
            der: der.to_vec(),
        })
    }

    /// Parse the first certificate of a PEM text (as PAN-OS keeps it in `public-key`).
    pub fn from_pem(field: &str, pem: &[u8]) -> Result<Self, MaterialError> {
        let certs = read_pem_certs(field, pem)?;
        let first = certs
            .into_iter()
            .next()
            .ok_or_else(|| MaterialError::new(field, "no CERTIFICATE block found"))?;
        Self::from_der(field, &first)
    }

    /// The first 8 hex digits of the fingerprint, used in versioned names.
    pub fn short_fingerprint(&self) -> &str {
        &self.fingerprint[..8.min(self.fingerprint.len())]
    }
}

/// SHA-256 fingerprint of a DER certificate, lower-case hex.
pub fn fingerprint(der: &[u8]) -> String {
    Sha256::digest(der)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A private key as PKCS#8 DER, zeroized on drop and never printed.
pub struct PrivateKey {
    der: SecretSlice<u8>,
}

impl PrivateKey {
    fn new(der: Vec<u8>) -> Self {
        Self {
            der: SecretSlice::from(der),
        }
    }
    /// The PKCS#8 DER. Every use is greppable.
    pub fn expose_der(&self) -> &[u8] {
        self.der.expose_secret()
    }
    /// PEM (`PRIVATE KEY`) for an import request.
    pub fn to_pem(&self) -> String {
        to_pem("PRIVATE KEY", self.expose_der())
    }
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PrivateKey(***)")
    }
}

/// PEM text of DER bytes under `label`.
pub fn to_pem(label: &str, der: &[u8]) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut s = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        s.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        s.push('\n');
    }
    s.push_str(&format!("-----END {label}-----\n"));
    s
}

/// A certificate with its key and chain, ready to validate and import.
#[derive(Debug)]
pub struct Bundle {
    /// The leaf certificate.
    pub leaf: CertFacts,
    /// Intermediates (and possibly the root), leaf's issuer first.
    pub chain: Vec<CertFacts>,
    /// The leaf's private key.
    pub key: PrivateKey,
}

fn check_size(field: &str, data: &[u8]) -> Result<(), MaterialError> {
    if data.is_empty() {
        return Err(MaterialError::new(field, "file is empty"));
    }
    if data.len() > MAX_INPUT_BYTES {
        return Err(MaterialError::new(
            field,
            format!(
                "file is {} bytes; a certificate, key or bundle is at most {MAX_INPUT_BYTES} bytes",
                data.len()
            ),
        ));
    }
    Ok(())
}

fn looks_like_der(data: &[u8]) -> bool {
    // DER starts with a SEQUENCE tag; PEM is text
    data.first() == Some(&0x30) && !data.windows(11).any(|w| w == b"-----BEGIN ")
}

fn read_pem_certs(field: &str, data: &[u8]) -> Result<Vec<Vec<u8>>, MaterialError> {
    let mut out = Vec::new();
    let mut reader = std::io::Cursor::new(data);
    for item in rustls_pemfile::certs(&mut reader) {
        let c = item
            .map_err(|e| MaterialError::new(field, format!("truncated or malformed PEM: {e}")))?;
        out.push(c.as_ref().to_vec());
    }
    Ok(out)
}

/// Read PEM certificates (leaf first) from `--cert` / `--chain` style input.
pub fn parse_pem_certs(field: &str, data: &[u8]) -> Result<Vec<CertFacts>, MaterialError> {
    check_size(field, data)?;
    if looks_like_der(data) {
        return Err(MaterialError::new(
            field,
            "file is DER (binary), PEM expected; convert with `openssl x509 -inform der -in FILE -out FILE.pem`",
        ));
    }
    let ders = read_pem_certs(field, data)?;
    if ders.is_empty() {
        return Err(MaterialError::new(
            field,
            if data.windows(11).any(|w| w == b"-----BEGIN ") {
                "no complete CERTIFICATE block (truncated PEM?)"
            } else {
                "no PEM CERTIFICATE block found"
            },
        ));
    }
    ders.iter().map(|d| CertFacts::from_der(field, d)).collect()
}

/// Read a PEM private key: PKCS#8 (`PRIVATE KEY`), encrypted PKCS#8 (`ENCRYPTED PRIVATE KEY`,
/// needs `passphrase`) or PKCS#1 RSA (`RSA PRIVATE KEY`).
pub fn parse_pem_key(
    field: &str,
    data: &[u8],
    passphrase: Option<&str>,
) -> Result<PrivateKey, MaterialError> {
    check_size(field, data)?;
    if looks_like_der(data) {
        return Err(MaterialError::new(
            field,
            "file is DER (binary), PEM expected; convert with `openssl pkey -inform der -in FILE -out FILE.pem`",
        ));
    }
    let text =
        std::str::from_utf8(data).map_err(|_| MaterialError::new(field, "not a PEM text file"))?;
    if text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----") {
        let pass = passphrase.filter(|p| !p.is_empty()).ok_or_else(|| {
            MaterialError::new(
                field,
                "the private key is encrypted; give its passphrase with --passphrase-file",
            )
        })?;
        let (label, doc) = pkcs8::Document::from_pem(text.trim())
            .map_err(|e| MaterialError::new(field, format!("truncated or malformed PEM: {e}")))?;
        if label != "ENCRYPTED PRIVATE KEY" {
            return Err(MaterialError::new(
                field,
                format!("unexpected PEM block {label}"),
            ));
        }
        let enc = pkcs8::EncryptedPrivateKeyInfo::try_from(doc.as_bytes()).map_err(|e| {
            MaterialError::new(field, format!("malformed encrypted private key: {e}"))
        })?;
        let plain = enc.decrypt(pass).map_err(|_| {
            MaterialError::new(
                field,
                "cannot decrypt the private key: wrong passphrase (--passphrase-file)",
            )
        })?;
        return Ok(PrivateKey::new(plain.as_bytes().to_vec()));
    }
    if text.contains("Proc-Type: 4,ENCRYPTED") {
        return Err(MaterialError::new(
            field,
            "legacy OpenSSL-encrypted key; convert to PKCS#8 with `openssl pkcs8 -topk8 -in FILE -out FILE.p8`",
        ));
    }
    let mut reader = std::io::Cursor::new(data);
    let mut found = None;
    for item in rustls_pemfile::read_all(&mut reader) {
        let item = item
            .map_err(|e| MaterialError::new(field, format!("truncated or malformed PEM: {e}")))?;
        match item {
            rustls_pemfile::Item::Pkcs8Key(k) => {
                found = Some(PrivateKey::new(k.secret_pkcs8_der().to_vec()));
                break;
            }
            rustls_pemfile::Item::Pkcs1Key(k) => {
                found = Some(PrivateKey::new(pkcs1_to_pkcs8(
                    field,
                    k.secret_pkcs1_der(),
                )?));
                break;
            }
            rustls_pemfile::Item::Sec1Key(_) => {
                return Err(MaterialError::new(
                    field,
                    "SEC1 `EC PRIVATE KEY`; convert to PKCS#8 with `openssl pkcs8 -topk8 -nocrypt -in FILE -out FILE.p8`",
                ));
            }
            _ => {}
        }
    }
    found.ok_or_else(|| {
        MaterialError::new(
            field,
            if text.contains("-----BEGIN ") && text.contains("PRIVATE KEY") {
                "no complete PRIVATE KEY block (truncated PEM?)"
            } else {
                "no PEM PRIVATE KEY block found"
            },
        )
    })
}

/// PKCS#1 RSA key to PKCS#8, through the pkcs8 crate's document types.
fn pkcs1_to_pkcs8(field: &str, pkcs1: &[u8]) -> Result<Vec<u8>, MaterialError> {
    use pkcs8::der::Encode;
    // rsaEncryption with NULL parameters, as RFC 8017 requires
    let alg = pkcs8::AlgorithmIdentifierRef {
        oid: pkcs8::ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1"),
        parameters: Some(pkcs8::der::asn1::AnyRef::NULL),
    };
    let info = pkcs8::PrivateKeyInfo::new(alg, pkcs1);
    info.to_der()
        .map_err(|e| MaterialError::new(field, format!("cannot re-encode RSA key: {e}")))
}

/// Read a PKCS#12 bundle: key, leaf and chain.
pub fn parse_p12(field: &str, data: &[u8], passphrase: &str) -> Result<Bundle, MaterialError> {
    check_size(field, data)?;
    if data.windows(11).any(|w| w == b"-----BEGIN ") {
        return Err(MaterialError::new(
            field,
            "file is PEM, PKCS#12 expected; use --cert/--key for PEM",
        ));
    }
    let ks = p12_keystore::KeyStore::from_pkcs12(data, passphrase).map_err(|e| {
        MaterialError::new(
            field,
            format!("cannot open PKCS#12 (wrong passphrase or damaged file): {e}"),
        )
    })?;
    let (_, chain) = ks
        .private_key_chain()
        .ok_or_else(|| MaterialError::new(field, "the PKCS#12 bundle holds no private key"))?;
    let certs: Vec<CertFacts> = chain
        .chain()
        .iter()
        .map(|c| CertFacts::from_der(field, c.as_der()))
        .collect::<Result<_, _>>()?;
    let key = PrivateKey::new(chain.key().to_vec());
    let mut certs = certs.into_iter();
    let leaf = certs
        .next()
        .ok_or_else(|| MaterialError::new(field, "the PKCS#12 bundle holds no certificate"))?;
    let mut rest: Vec<CertFacts> = certs.collect();
    // some tools store the chain root-first; PAN-OS wants the leaf's issuer first
    order_chain(&leaf, &mut rest);
    Ok(Bundle {
        leaf,
        chain: rest,
        key,
    })
}

/// Build a bundle from PEM inputs (`--cert`, `--key`, optional `--chain`). A `--cert` file that
/// also holds the chain (fullchain.pem) is split: first block the leaf, the rest the chain.
pub fn parse_pem_bundle(
    cert: &[u8],
    key: &[u8],
    chain: Option<&[u8]>,
    passphrase: Option<&str>,
) -> Result<Bundle, MaterialError> {
    let mut certs = parse_pem_certs("--cert", cert)?.into_iter();
    let leaf = certs
        .next()
        .ok_or_else(|| MaterialError::new("--cert", "no certificate"))?;
    let mut rest: Vec<CertFacts> = certs.collect();
    if let Some(c) = chain {
        rest.extend(parse_pem_certs("--chain", c)?);
    }
    order_chain(&leaf, &mut rest);
    let key = parse_pem_key("--key", key, passphrase)?;
    Ok(Bundle {
        leaf,
        chain: rest,
        key,
    })
}

/// Put the chain in issuing order starting at the leaf's issuer; certificates that do not
/// link are left at the end, where validation reports them.
fn order_chain(leaf: &CertFacts, chain: &mut Vec<CertFacts>) {
    let mut ordered = Vec::with_capacity(chain.len());
    let mut issuer = leaf.issuer.clone();
    let mut subject = leaf.subject.clone();
    while issuer != subject {
        let Some(pos) = chain.iter().position(|c| c.subject == issuer) else {
            break;
        };
        let c = chain.remove(pos);
        issuer = c.issuer.clone();
        subject = c.subject.clone();
        ordered.push(c);
    }
    ordered.append(chain);
    *chain = ordered;
}

/// What PAN-OS accepts: RSA 2048–4096 bits, ECDSA P-256 / P-384 / P-521.
pub fn key_accepted(key: &KeyKind) -> Result<(), String> {
    match key {
        KeyKind::Rsa(bits) if (2048..=4096).contains(bits) => Ok(()),
        KeyKind::Rsa(bits) => Err(format!(
            "RSA key of {bits} bits; PAN-OS certificate import accepts RSA 2048 to 4096 bits"
        )),
        KeyKind::Ec(c) if ["P-256", "P-384", "P-521"].contains(&c.as_str()) => Ok(()),
        other => Err(format!(
            "{other} key; PAN-OS accepts RSA (2048-4096) or ECDSA P-256/P-384/P-521"
        )),
    }
}

/// Whether `key` is the private key of `cert`.
pub fn key_matches(cert: &CertFacts, key: &PrivateKey) -> Result<(), MaterialError> {
    use ring::signature::KeyPair;
    let (_, x) = X509Certificate::from_der(&cert.der)
        .map_err(|e| MaterialError::new("--cert", e.to_string()))?;
    let cert_pub: &[u8] = &x.public_key().subject_public_key.data;
    let rng = ring::rand::SystemRandom::new();
    let key_pub: Vec<u8> = match &cert.key {
        KeyKind::Rsa(_) => ring::rsa::KeyPair::from_pkcs8(key.expose_der())
            .map_err(|e| {
                MaterialError::new("--key", format!("not a usable RSA private key ({e})"))
            })?
            .public_key()
            .as_ref()
            .to_vec(),
        KeyKind::Ec(curve) => {
            let alg = match curve.as_str() {
                "P-256" => &ring::signature::ECDSA_P256_SHA256_ASN1_SIGNING,
                "P-384" => &ring::signature::ECDSA_P384_SHA384_ASN1_SIGNING,
                other => {
                    return Err(MaterialError::new(
                        "--key",
                        format!("cannot check an EC key on curve {other}"),
                    ));
                }
            };
            ring::signature::EcdsaKeyPair::from_pkcs8(alg, key.expose_der(), &rng)
                .map_err(|e| {
                    MaterialError::new(
                        "--key",
                        format!("not a usable EC {curve} private key, or of another curve than the certificate ({e})"),
                    )
                })?
                .public_key()
                .as_ref()
                .to_vec()
        }
        KeyKind::Other(oid) => {
            return Err(MaterialError::new(
                "--cert",
                format!("unsupported key algorithm {oid}"),
            ));
        }
    };
    if key_pub != cert_pub {
        return Err(MaterialError::new(
            "--key",
            format!(
                "the private key does not match the certificate (CN {:?}, fingerprint {})",
                cert.common_name,
                cert.short_fingerprint()
            ),
        ));
    }
    Ok(())
}

/// Every check before a bundle is sent: key matches, key accepted, validity of leaf and chain
/// at `now` (unix seconds), chain links up with valid signatures. All failures are returned.
pub fn validate(bundle: &Bundle, now: i64) -> Result<(), Vec<MaterialError>> {
    let mut errors = Vec::new();
    if let Err(e) = key_accepted(&bundle.leaf.key) {
        errors.push(MaterialError::new("--cert", e));
    } else if let Err(e) = key_matches(&bundle.leaf, &bundle.key) {
        errors.push(e);
    }
    let mut all = vec![("--cert", &bundle.leaf)];
    all.extend(bundle.chain.iter().map(|c| ("--chain", c)));
    for (field, c) in &all {
        if now < c.not_before {
            errors.push(MaterialError::new(
                field,
                format!(
                    "certificate {:?} is not valid yet (not before {})",
                    c.subject,
                    fmt_time(c.not_before)
                ),
            ));
        }
        if now > c.not_after {
            errors.push(MaterialError::new(
                field,
                format!(
                    "certificate {:?} expired on {}",
                    c.subject,
                    fmt_time(c.not_after)
                ),
            ));
        }
    }
    for pair in all.windows(2) {
        let (_, child) = pair[0];
        let (field, parent) = pair[1];
        if child.issuer != parent.subject {
            errors.push(MaterialError::new(
                field,
                format!(
                    "chain does not link up: {:?} is issued by {:?}, but the next certificate is {:?}",
                    child.subject, child.issuer, parent.subject
                ),
            ));
            continue;
        }
        if let Err(e) = verify_signed_by(child, parent) {
            errors.push(MaterialError::new(field, e));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

fn verify_signed_by(child: &CertFacts, parent: &CertFacts) -> Result<(), String> {
    let (_, c) = X509Certificate::from_der(&child.der).map_err(|e| e.to_string())?;
    let (_, p) = X509Certificate::from_der(&parent.der).map_err(|e| e.to_string())?;
    c.verify_signature(Some(p.public_key())).map_err(|_| {
        format!(
            "signature of {:?} does not verify with the key of {:?}",
            child.subject, parent.subject
        )
    })
}

/// `2027-03-01 12:00:00 UTC`.
pub fn fmt_time(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0)
        .map(|d| d.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_else(|| unix.to_string())
}

/// Check a certificate object name against PAN-OS rules: at most `max` characters, letters,
/// digits, `-`, `_`, `.` and space, starting with a letter or digit (no `*`, no leading `_`).
pub fn check_name(name: &str, max: usize) -> Result<(), MaterialError> {
    let field = "certificate-name";
    if name.is_empty() {
        return Err(MaterialError::new(field, "empty name"));
    }
    if name.chars().count() > max {
        return Err(MaterialError::new(
            field,
            format!(
                "{name:?} is {} characters; at most {max} here",
                name.chars().count()
            ),
        ));
    }
    if !name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric())
    {
        return Err(MaterialError::new(
            field,
            format!("{name:?} must start with a letter or digit"),
        ));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ' ')))
    {
        return Err(MaterialError::new(
            field,
            format!("{name:?} contains {bad:?}; allowed: letters, digits, - _ . and space"),
        ));
    }
    Ok(())
}

/// The versioned object name of a certificate: `<cn>_<not-after yyyymmdd>_<fingerprint 8>`,
/// the CN part sanitised (`*` → `wildcard`, other disallowed characters → `-`) and shortened so
/// the whole fits `max` characters. Two different certificates never share a name (the
/// fingerprint), and the old certificate stays in place beside the new one.
pub fn versioned_name(cert: &CertFacts, max: usize) -> String {
    let date = chrono::DateTime::from_timestamp(cert.not_after, 0)
        .map(|d| d.format("%Y%m%d").to_string())
        .unwrap_or_else(|| "00000000".into());
    let suffix = format!("_{date}_{}", cert.short_fingerprint());
    let cn_src = if cert.common_name.is_empty() {
        cert.sans.first().map(String::as_str).unwrap_or("cert")
    } else {
        cert.common_name.as_str()
    };
    let mut cn = String::new();
    for c in cn_src.replace('*', "wildcard").chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '-' | '.') {
            cn.push(c);
        } else {
            cn.push('-');
        }
    }
    let cn = cn.trim_start_matches(|c: char| !c.is_ascii_alphanumeric());
    let room = max.saturating_sub(suffix.len()).max(1);
    let mut cn: String = cn.chars().take(room).collect();
    while cn.ends_with(['-', '.']) {
        cn.pop();
    }
    if cn.is_empty() {
        cn.push('c');
    }
    format!("{cn}{suffix}")
}
