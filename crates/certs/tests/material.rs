//! Sans-IO tests of certificate material parsing and validation, with certificates made by rcgen.

use panops_certs::material::{
    KeyKind, PANORAMA_NAME_MAX, check_name, parse_p12, parse_pem_bundle, parse_pem_certs,
    parse_pem_key, validate, versioned_name,
};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};

const DAY: i64 = 86_400;

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn at(unix: i64) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp(unix).expect("time")
}

fn params(cn: &str, from: i64, to: i64) -> CertificateParams {
    let mut p = CertificateParams::new(vec![cn.to_string()]).expect("params");
    p.distinguished_name.push(DnType::CommonName, cn);
    p.not_before = at(from);
    p.not_after = at(to);
    p
}

struct Chain {
    leaf_pem: String,
    leaf_key: KeyPair,
    inter_pem: String,
    root_pem: String,
}

/// root CA -> intermediate CA -> leaf, all P-256.
fn chain(cn: &str, from: i64, to: i64) -> Chain {
    let root_key = KeyPair::generate().expect("key");
    let mut rp = params("Test Root", now() - 10 * DAY, now() + 3650 * DAY);
    rp.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let root = rp.self_signed(&root_key).expect("root");
    let inter_key = KeyPair::generate().expect("key");
    let mut ip = params("Test Intermediate", now() - 10 * DAY, now() + 3650 * DAY);
    ip.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let inter = ip.signed_by(&inter_key, &root, &root_key).expect("inter");
    let leaf_key = KeyPair::generate().expect("key");
    let leaf = params(cn, from, to)
        .signed_by(&leaf_key, &inter, &inter_key)
        .expect("leaf");
    Chain {
        leaf_pem: leaf.pem(),
        leaf_key,
        inter_pem: inter.pem(),
        root_pem: root.pem(),
    }
}

fn ok_chain() -> Chain {
    chain("www.example.com", now() - DAY, now() + 90 * DAY)
}

fn reasons(r: Result<(), Vec<panops_certs::material::MaterialError>>) -> String {
    r.expect_err("must fail")
        .iter()
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn valid_pem_bundle_with_chain_passes() {
    let c = ok_chain();
    let chain = format!("{}{}", c.root_pem, c.inter_pem); // root first: reordered
    let b = parse_pem_bundle(
        c.leaf_pem.as_bytes(),
        c.leaf_key.serialize_pem().as_bytes(),
        Some(chain.as_bytes()),
        None,
    )
    .expect("parse");
    assert_eq!(b.leaf.common_name, "www.example.com");
    assert_eq!(b.leaf.sans, vec!["www.example.com"]);
    assert_eq!(b.leaf.key, KeyKind::Ec("P-256".into()));
    assert_eq!(b.chain[0].common_name, "Test Intermediate");
    assert_eq!(b.chain[1].common_name, "Test Root");
    assert_eq!(b.leaf.fingerprint.len(), 64);
    validate(&b, now()).expect("valid");
    // the key is never printed
    assert_eq!(format!("{:?}", b.key), "PrivateKey(***)");
}

#[test]
fn fullchain_in_cert_file_is_split() {
    let c = ok_chain();
    let full = format!("{}{}", c.leaf_pem, c.inter_pem);
    let b = parse_pem_bundle(
        full.as_bytes(),
        c.leaf_key.serialize_pem().as_bytes(),
        None,
        None,
    )
    .expect("parse");
    assert_eq!(b.leaf.common_name, "www.example.com");
    assert_eq!(b.chain.len(), 1);
    validate(&b, now()).expect("valid");
}

#[test]
fn key_not_matching_is_refused_naming_key() {
    let c = ok_chain();
    let other = KeyPair::generate().expect("key");
    let b = parse_pem_bundle(
        c.leaf_pem.as_bytes(),
        other.serialize_pem().as_bytes(),
        None,
        None,
    )
    .expect("parse");
    let r = reasons(validate(&b, now()));
    assert!(r.contains("--key: the private key does not match"), "{r}");
}

#[test]
fn key_of_other_curve_is_refused() {
    let c = ok_chain();
    let p384 = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384).expect("key");
    let b = parse_pem_bundle(
        c.leaf_pem.as_bytes(),
        p384.serialize_pem().as_bytes(),
        None,
        None,
    )
    .expect("parse");
    let r = reasons(validate(&b, now()));
    assert!(r.starts_with("--key:"), "{r}");
}

#[test]
fn expired_and_not_yet_valid_are_refused() {
    let c = chain("old.example.com", now() - 100 * DAY, now() - DAY);
    let b = parse_pem_bundle(
        c.leaf_pem.as_bytes(),
        c.leaf_key.serialize_pem().as_bytes(),
        Some(c.inter_pem.as_bytes()),
        None,
    )
    .expect("parse");
    let r = reasons(validate(&b, now()));
    assert!(
        r.contains("--cert: certificate") && r.contains("expired on"),
        "{r}"
    );
    let c = chain("new.example.com", now() + DAY, now() + 100 * DAY);
    let b = parse_pem_bundle(
        c.leaf_pem.as_bytes(),
        c.leaf_key.serialize_pem().as_bytes(),
        None,
        None,
    )
    .expect("parse");
    let r = reasons(validate(&b, now()));
    assert!(r.contains("not valid yet"), "{r}");
}

#[test]
fn chain_that_does_not_link_is_refused() {
    let c = ok_chain();
    let other_key = KeyPair::generate().expect("key");
    let mut op = params("Other CA", now() - DAY, now() + DAY);
    op.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let unrelated = op.self_signed(&other_key).expect("other");
    let b = parse_pem_bundle(
        c.leaf_pem.as_bytes(),
        c.leaf_key.serialize_pem().as_bytes(),
        Some(unrelated.pem().as_bytes()),
        None,
    )
    .expect("parse");
    let r = reasons(validate(&b, now()));
    assert!(r.contains("--chain: chain does not link up"), "{r}");
}

#[test]
fn forged_issuer_name_fails_signature_check() {
    // an intermediate with the right subject but another key: names link, signature does not
    let c = ok_chain();
    let fake_key = KeyPair::generate().expect("key");
    let mut fp = params("Test Intermediate", now() - DAY, now() + DAY);
    fp.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let fake = fp.self_signed(&fake_key).expect("fake");
    let b = parse_pem_bundle(
        c.leaf_pem.as_bytes(),
        c.leaf_key.serialize_pem().as_bytes(),
        Some(fake.pem().as_bytes()),
        None,
    )
    .expect("parse");
    let r = reasons(validate(&b, now()));
    assert!(r.contains("does not verify"), "{r}");
}

#[test]
fn bad_files_name_the_field() {
    let c = ok_chain();
    // truncated PEM
    let cut = &c.leaf_pem[..c.leaf_pem.len() / 2];
    let e = parse_pem_certs("--cert", cut.as_bytes()).expect_err("truncated");
    assert_eq!(e.field, "--cert");
    assert!(e.reason.contains("truncated"), "{e}");
    // DER where PEM is expected
    let der = rustls_pem_der(&c.leaf_pem);
    let e = parse_pem_certs("--cert", &der).expect_err("der");
    assert!(e.reason.contains("DER"), "{e}");
    // a 2 MB "certificate"
    let big = vec![b'A'; 2 * 1024 * 1024];
    let e = parse_pem_certs("--cert", &big).expect_err("big");
    assert!(e.reason.contains("at most"), "{e}");
    // empty
    let e = parse_pem_key("--key", b"", None).expect_err("empty");
    assert_eq!(e.to_string(), "--key: file is empty");
    // a certificate given as key
    let e = parse_pem_key("--key", c.leaf_pem.as_bytes(), None).expect_err("not a key");
    assert!(e.reason.contains("no PEM PRIVATE KEY"), "{e}");
}

fn rustls_pem_der(pem: &str) -> Vec<u8> {
    let mut r = std::io::Cursor::new(pem.as_bytes());
    rustls_pemfile::certs(&mut r)
        .next()
        .expect("one")
        .expect("ok")
        .as_ref()
        .to_vec()
}

fn encrypted_pem(key: &KeyPair, pass: &str) -> String {
    use pkcs8::der::pem::LineEnding;
    let der = key.serialize_der();
    let info = pkcs8::PrivateKeyInfo::try_from(der.as_slice()).expect("pkcs8");
    let params = pkcs8::pkcs5::pbes2::Parameters::pbkdf2_sha256_aes256cbc(
        2048,
        b"saltsalt12345678",
        b"iv-iv-iv-iv-iv-i",
    )
    .expect("params");
    let enc = info
        .encrypt_with_params(params, pass.as_bytes())
        .expect("encrypt");
    enc.to_pem("ENCRYPTED PRIVATE KEY", LineEnding::LF)
        .expect("pem")
        .to_string()
}

#[test]
fn encrypted_key_is_decrypted_and_wrong_passphrase_refused() {
    let c = ok_chain();
    let pem = encrypted_pem(&c.leaf_key, "correct horse");
    let b = parse_pem_bundle(
        c.leaf_pem.as_bytes(),
        pem.as_bytes(),
        None,
        Some("correct horse"),
    )
    .expect("decrypts");
    validate(&b, now()).expect("valid after decryption");
    let e = parse_pem_key("--key", pem.as_bytes(), Some("wrong")).expect_err("wrong pass");
    assert!(e.reason.contains("wrong passphrase"), "{e}");
    assert!(!e.to_string().contains("wrong\""), "passphrase not echoed");
    let e = parse_pem_key("--key", pem.as_bytes(), None).expect_err("no pass");
    assert!(e.reason.contains("--passphrase-file"), "{e}");
}

fn p12(c: &Chain, pass: &str) -> Vec<u8> {
    let leaf = p12_keystore::Certificate::from_der(&rustls_pem_der(&c.leaf_pem)).expect("leaf");
    let inter = p12_keystore::Certificate::from_der(&rustls_pem_der(&c.inter_pem)).expect("inter");
    let chain = p12_keystore::PrivateKeyChain::new(
        c.leaf_key.serialize_der(),
        [1u8, 2, 3, 4],
        vec![leaf, inter],
    );
    let mut ks = p12_keystore::KeyStore::new();
    ks.add_entry("www", p12_keystore::KeyStoreEntry::PrivateKeyChain(chain));
    ks.writer(pass).write().expect("write p12")
}

#[test]
fn pkcs12_bundle_parses_and_validates() {
    let c = ok_chain();
    let data = p12(&c, "p12pass");
    let b = parse_p12("--p12", &data, "p12pass").expect("p12");
    assert_eq!(b.leaf.common_name, "www.example.com");
    assert_eq!(b.chain.len(), 1);
    validate(&b, now()).expect("valid");
    let e = parse_p12("--p12", &data, "nope").expect_err("wrong pass");
    assert_eq!(e.field, "--p12");
    let e = parse_p12("--p12", c.leaf_pem.as_bytes(), "x").expect_err("pem");
    assert!(e.reason.contains("PEM"), "{e}");
}

fn rsa_key(bits: usize) -> KeyPair {
    use rsa::pkcs8::EncodePrivateKey;
    let mut rng = rand::thread_rng();
    let k = rsa::RsaPrivateKey::new(&mut rng, bits).expect("rsa");
    let der = k.to_pkcs8_der().expect("der");
    KeyPair::from_pkcs8_der_and_sign_algo(&rustls_pki_der(der.as_bytes()), &rcgen::PKCS_RSA_SHA256)
        .expect("rcgen rsa")
}

fn rustls_pki_der(b: &[u8]) -> rustls_pki_types::PrivatePkcs8KeyDer<'static> {
    rustls_pki_types::PrivatePkcs8KeyDer::from(b.to_vec())
}

#[test]
fn rsa_key_and_pkcs1_file() {
    use rsa::pkcs1::EncodeRsaPrivateKey;
    use rsa::pkcs8::DecodePrivateKey;
    let key = rsa_key(2048);
    let cert = params("rsa.example.com", now() - DAY, now() + DAY)
        .self_signed(&key)
        .expect("cert");
    let b = parse_pem_bundle(
        cert.pem().as_bytes(),
        key.serialize_pem().as_bytes(),
        None,
        None,
    )
    .expect("parse");
    assert_eq!(b.leaf.key, KeyKind::Rsa(2048));
    validate(&b, now()).expect("valid rsa");
    // the same key as PKCS#1 `RSA PRIVATE KEY`
    let k = rsa::RsaPrivateKey::from_pkcs8_der(&key.serialize_der()).expect("rsa");
    let pkcs1 = k.to_pkcs1_pem(rsa::pkcs8::LineEnding::LF).expect("pkcs1");
    let b =
        parse_pem_bundle(cert.pem().as_bytes(), pkcs1.as_bytes(), None, None).expect("parse pkcs1");
    validate(&b, now()).expect("valid pkcs1");
}

#[test]
fn key_sizes_accepted_by_panos() {
    use panops_certs::material::key_accepted;
    assert!(key_accepted(&KeyKind::Rsa(1024)).is_err());
    assert!(key_accepted(&KeyKind::Rsa(8192)).is_err());
    assert!(key_accepted(&KeyKind::Rsa(3072)).is_ok());
    assert!(key_accepted(&KeyKind::Ec("P-384".into())).is_ok());
    assert!(key_accepted(&KeyKind::Other("1.3.101.112".into())).is_err());
}

#[test]
fn versioned_names_fit_and_differ() {
    let a = parse_pem_certs("--cert", ok_chain().leaf_pem.as_bytes()).expect("a");
    let b = parse_pem_certs("--cert", ok_chain().leaf_pem.as_bytes()).expect("b");
    let na = versioned_name(&a[0], PANORAMA_NAME_MAX);
    let nb = versioned_name(&b[0], PANORAMA_NAME_MAX);
    assert!(na.len() <= PANORAMA_NAME_MAX, "{na}");
    assert_ne!(na, nb, "fingerprints differ");
    assert!(na.starts_with("www.example"), "{na}");
    check_name(&na, PANORAMA_NAME_MAX).expect("valid name");
    let w = parse_pem_certs(
        "--cert",
        chain(
            "*.very-long-subdomain.example.com",
            now() - DAY,
            now() + DAY,
        )
        .leaf_pem
        .as_bytes(),
    )
    .expect("w");
    let nw = versioned_name(&w[0], PANORAMA_NAME_MAX);
    assert!(nw.starts_with("wildcard"), "{nw}");
    assert_eq!(nw.len(), PANORAMA_NAME_MAX, "{nw}");
    check_name(&nw, PANORAMA_NAME_MAX).expect("valid");
    let long = "a".repeat(40);
    let e = check_name(&long, PANORAMA_NAME_MAX).expect_err("too long");
    assert!(e.to_string().starts_with("certificate-name:"), "{e}");
    assert!(check_name("_x", 31).is_err());
    assert!(check_name("a*b", 31).is_err());
}
