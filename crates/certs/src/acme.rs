//! Renewal from an ACME CA (RFC 8555) with `instant-acme`: the account is created on first use
//! (or reused from an account file kept at mode 0600), an order is placed for the expiring
//! certificate's CN and SANs, http-01 challenges are answered from a small HTTP listener when a
//! listen address is configured, the order is finalized with a CSR for a fresh key of the
//! configured [`KeyType`] (ECDSA P-256 by default; P-384 and RSA 2048/3072/4096, all key types
//! PAN-OS accepts), and the issued chain is deployed through the same path as directory renewal
//! ([`crate::renew`]).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use instant_acme::{
    Account, AccountCredentials, AuthorizationStatus, ChallengeType, Identifier, NewAccount,
    NewOrder, OrderStatus, RetryPolicy,
};

use crate::deploy::{Deployer, Mode};
use crate::inventory::Row;
use crate::material;
use crate::renew::{Obtained, Renewal, renew_with};

/// Where and how to obtain certificates from an ACME CA.
#[derive(Debug, Clone)]
pub struct AcmeConfig {
    /// The CA's directory URL (`--acme-directory`), `https://` only.
    pub directory: String,
    /// PEM file of the root that signs the directory's TLS certificate (`--acme-ca-file`), for
    /// private or test CAs; the system roots otherwise.
    pub ca_file: Option<PathBuf>,
    /// Account credentials file (`--acme-account-file`): read when present, else the account is
    /// created and its credentials written there with mode 0600.
    pub account_file: Option<PathBuf>,
    /// Contact e-mail addresses (`--acme-contact`), without `mailto:`.
    pub contact: Vec<String>,
    /// Address to answer http-01 challenges on (`--acme-http-listen`); the CA must reach it as
    /// port 80 of each name. Without it the CA must validate otherwise (e.g. a test CA).
    pub http_listen: Option<SocketAddr>,
    /// Key type of the new certificates (`--key-type`).
    pub key_type: KeyType,
}

/// The key a new ACME certificate is issued for. All are key types PAN-OS imports (RSA 2048 to
/// 4096 bits, ECDSA P-256 / P-384); the CSR is signed with SHA-256 (RSA, P-256) or SHA-384
/// (P-384).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum KeyType {
    /// ECDSA on P-256.
    #[default]
    EcP256,
    /// ECDSA on P-384.
    EcP384,
    /// RSA, 2048 bits.
    Rsa2048,
    /// RSA, 3072 bits.
    Rsa3072,
    /// RSA, 4096 bits.
    Rsa4096,
}

impl KeyType {
    /// Every key type, in the order `--key-type` lists them.
    pub const ALL: [KeyType; 5] = [
        Self::EcP256,
        Self::EcP384,
        Self::Rsa2048,
        Self::Rsa3072,
        Self::Rsa4096,
    ];

    /// The `--key-type` spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::EcP256 => "ec-p256",
            Self::EcP384 => "ec-p384",
            Self::Rsa2048 => "rsa2048",
            Self::Rsa3072 => "rsa3072",
            Self::Rsa4096 => "rsa4096",
        }
    }

    /// A fresh key pair of this type, for the CSR.
    pub fn generate(self) -> Result<rcgen::KeyPair, AcmeError> {
        let bits = match self {
            Self::EcP256 => {
                return rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
                    .map_err(|e| err("--key-type", e));
            }
            Self::EcP384 => {
                return rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384)
                    .map_err(|e| err("--key-type", e));
            }
            Self::Rsa2048 => 2048,
            Self::Rsa3072 => 3072,
            Self::Rsa4096 => 4096,
        };
        // ring (rcgen's backend) signs with RSA keys but cannot make them: the rsa crate does
        use rsa::pkcs8::EncodePrivateKey;
        let key = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, bits)
            .map_err(|e| err("--key-type", format!("RSA {bits}: {e}")))?;
        let der = key
            .to_pkcs8_der()
            .map_err(|e| err("--key-type", format!("RSA {bits}: {e}")))?;
        let der = rustls::pki_types::PrivatePkcs8KeyDer::from(der.as_bytes().to_vec());
        rcgen::KeyPair::from_pkcs8_der_and_sign_algo(&der, &rcgen::PKCS_RSA_SHA256)
            .map_err(|e| err("--key-type", format!("RSA {bits}: {e}")))
    }
}

impl std::str::FromStr for KeyType {
    type Err = AcmeError;
    fn from_str(s: &str) -> Result<Self, AcmeError> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                err(
                    "--key-type",
                    format!(
                        "{s:?}: expected one of {}",
                        Self::ALL.map(KeyType::as_str).join(", ")
                    ),
                )
            })
    }
}

/// An ACME failure, naming the option or step it concerns.
#[derive(Debug, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct AcmeError {
    /// The option (`--acme-directory`, ...) or step (`order`, `finalize`, ...).
    pub field: &'static str,
    /// What went wrong.
    pub reason: String,
}

fn err(field: &'static str, reason: impl std::fmt::Display) -> AcmeError {
    AcmeError {
        field,
        reason: reason.to_string(),
    }
}

impl AcmeConfig {
    /// Check the options before anything is sent.
    pub fn validate(&self) -> Result<(), AcmeError> {
        if !self.directory.starts_with("https://") {
            return Err(err(
                "--acme-directory",
                "must be an https:// URL (RFC 8555 requires TLS)",
            ));
        }
        if let Some(f) = &self.ca_file
            && !f.is_file()
        {
            return Err(err(
                "--acme-ca-file",
                format!("{} is not a readable file", f.display()),
            ));
        }
        for c in &self.contact {
            let ok = c.split_once('@').is_some_and(|(l, d)| {
                !l.is_empty() && d.contains('.') && !c.chars().any(|ch| ch.is_whitespace())
            });
            if !ok {
                return Err(err(
                    "--acme-contact",
                    format!("{c:?} is not an e-mail address"),
                ));
            }
        }
        if let Some(f) = &self.account_file
            && f.exists()
        {
            check_private(f)?;
        }
        Ok(())
    }
}

/// The account file holds the account's private key: refuse one others can read.
fn check_private(f: &Path) -> Result<(), AcmeError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(f)
            .map_err(|e| err("--acme-account-file", format!("{}: {e}", f.display())))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(err(
                "--acme-account-file",
                format!(
                    "{} is readable by others (mode {:o}); it holds the account key: chmod 600 it",
                    f.display(),
                    mode & 0o777
                ),
            ));
        }
    }
    Ok(())
}

fn write_private(f: &Path, data: &[u8]) -> Result<(), AcmeError> {
    use std::io::Write;
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    let mut file = o
        .open(f)
        .map_err(|e| err("--acme-account-file", format!("{}: {e}", f.display())))?;
    file.write_all(data)
        .map_err(|e| err("--acme-account-file", format!("{}: {e}", f.display())))
}

/// The account: restored from the account file when present, else created (and saved).
async fn account(cfg: &AcmeConfig) -> Result<Account, AcmeError> {
    // instant-acme builds its rustls config with the process default provider: make it ring,
    // the one this tree uses (an error only means one is installed already).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let builder = || match &cfg.ca_file {
        Some(f) => Account::builder_with_root(f).map_err(|e| err("--acme-ca-file", e)),
        None => Account::builder().map_err(|e| err("--acme-directory", e)),
    };
    if let Some(f) = &cfg.account_file
        && f.exists()
    {
        check_private(f)?;
        let data = std::fs::read(f)
            .map_err(|e| err("--acme-account-file", format!("{}: {e}", f.display())))?;
        let creds: AccountCredentials = serde_json::from_slice(&data).map_err(|e| {
            err(
                "--acme-account-file",
                format!("{}: not ACME account credentials ({e})", f.display()),
            )
        })?;
        return builder()?
            .from_credentials(creds)
            .await
            .map_err(|e| err("--acme-account-file", e));
    }
    let contact: Vec<String> = cfg.contact.iter().map(|c| format!("mailto:{c}")).collect();
    let contact: Vec<&str> = contact.iter().map(String::as_str).collect();
    let (acct, creds) = builder()?
        .create(
            &NewAccount {
                contact: &contact,
                terms_of_service_agreed: true,
                only_return_existing: false,
            },
            cfg.directory.clone(),
            None,
        )
        .await
        .map_err(|e| err("--acme-directory", format!("account creation: {e}")))?;
    if let Some(f) = &cfg.account_file {
        let json = serde_json::to_vec(&creds).map_err(|e| err("--acme-account-file", e))?;
        write_private(f, &json)?;
    }
    Ok(acct)
}

type Tokens = Arc<Mutex<HashMap<String, String>>>;

/// Serve `/.well-known/acme-challenge/TOKEN` from `tokens` on `addr` until dropped.
async fn http01_server(addr: SocketAddr, tokens: Tokens) -> Result<HttpServer, AcmeError> {
    use axum::extract::{Path as AxPath, State};
    use axum::http::StatusCode;
    let app = axum::Router::new()
        .route(
            "/.well-known/acme-challenge/{token}",
            axum::routing::get(
                |State(t): State<Tokens>, AxPath(token): AxPath<String>| async move {
                    let v = t.lock().ok().and_then(|m| m.get(&token).cloned());
                    v.ok_or(StatusCode::NOT_FOUND)
                },
            ),
        )
        .with_state(tokens);
    let l = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| err("--acme-http-listen", format!("{addr}: {e}")))?;
    let task = tokio::spawn(async move {
        let _ = axum::serve(l, app).await;
    });
    Ok(HttpServer(task))
}

/// Stops the challenge listener when dropped.
struct HttpServer(tokio::task::JoinHandle<()>);
impl Drop for HttpServer {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// What the CA issued: the chain (leaf first) and the new key, both PEM.
pub struct Issued {
    /// Leaf and intermediates, PEM.
    pub chain_pem: String,
    /// The new private key, PKCS#8 PEM (a secret: never logged).
    pub key_pem: String,
}

impl std::fmt::Debug for Issued {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issued")
            .field("chain_pem", &self.chain_pem)
            .field("key_pem", &"<redacted>")
            .finish()
    }
}

/// Obtain a certificate for `names` (first = CN) from the CA.
pub async fn obtain(cfg: &AcmeConfig, names: &[String]) -> Result<Issued, AcmeError> {
    cfg.validate()?;
    if names.is_empty() {
        return Err(err(
            "names",
            "the certificate has no CN or DNS SAN to order",
        ));
    }
    let acct = account(cfg).await?;
    let ids: Vec<Identifier> = names.iter().map(|n| Identifier::Dns(n.clone())).collect();
    let mut order = acct
        .new_order(&NewOrder::new(&ids))
        .await
        .map_err(|e| err("order", e))?;
    let tokens: Tokens = Arc::default();
    let _server = match cfg.http_listen {
        Some(a) => Some(http01_server(a, tokens.clone()).await?),
        None => None,
    };
    let mut authz = order.authorizations();
    while let Some(a) = authz.next().await {
        let mut a = a.map_err(|e| err("authorization", e))?;
        match a.status {
            AuthorizationStatus::Pending => {}
            AuthorizationStatus::Valid => continue,
            other => return Err(err("authorization", format!("status {other:?}"))),
        }
        let mut ch = a
            .challenge(ChallengeType::Http01)
            .ok_or_else(|| err("authorization", "the CA offers no http-01 challenge"))?;
        if let Ok(mut m) = tokens.lock() {
            m.insert(
                ch.token.clone(),
                ch.key_authorization().as_str().to_string(),
            );
        }
        ch.set_ready().await.map_err(|e| err("challenge", e))?;
    }
    let status = order
        .poll_ready(&RetryPolicy::default())
        .await
        .map_err(|e| err("order", e))?;
    if status != OrderStatus::Ready {
        return Err(err("order", format!("status {status:?}, not ready")));
    }
    let key = cfg.key_type.generate()?;
    let mut params = rcgen::CertificateParams::new(names.to_vec()).map_err(|e| err("csr", e))?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, names[0].clone());
    let csr = params.serialize_request(&key).map_err(|e| err("csr", e))?;
    order
        .finalize_csr(csr.der())
        .await
        .map_err(|e| err("finalize", e))?;
    let chain_pem = order
        .poll_certificate(&RetryPolicy::default())
        .await
        .map_err(|e| err("certificate", e))?;
    Ok(Issued {
        chain_pem,
        key_pem: key.serialize_pem(),
    })
}

/// The names to order for `row`: its CN first, then its SANs (deduplicated, case-folded).
pub fn names_for(row: &Row) -> Vec<String> {
    let mut v: Vec<String> = Vec::new();
    for n in std::iter::once(&row.common_name).chain(row.sans.iter()) {
        let n = n.trim().trim_start_matches("DNS:").to_ascii_lowercase();
        if !n.is_empty() && !v.contains(&n) {
            v.push(n);
        }
    }
    v
}

/// Renew every expiring certificate of `template` (as [`crate::renew::renew_from_dir`]
/// selects them) with a certificate newly issued by the ACME CA.
#[allow(clippy::too_many_arguments)]
pub async fn renew_from_acme(
    deployer: &Deployer,
    rows: &[Row],
    cfg: &AcmeConfig,
    template: &str,
    device_group: Option<&str>,
    mode: Mode,
    admin: &str,
) -> Vec<Renewal> {
    renew_with(
        deployer,
        rows,
        template,
        device_group,
        mode,
        admin,
        async |row: &Row| -> Obtained {
            let names = names_for(row);
            let source = Some(cfg.directory.clone());
            let issued = obtain(cfg, &names)
                .await
                .map_err(|e| (source.clone(), e.to_string()))?;
            let b = material::parse_pem_bundle(
                issued.chain_pem.as_bytes(),
                issued.key_pem.as_bytes(),
                None,
                None,
            )
            .map_err(|e| (source.clone(), e.to_string()))?;
            Ok(Some((cfg.directory.clone(), b)))
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> AcmeConfig {
        AcmeConfig {
            directory: "https://acme.example/dir".into(),
            ca_file: None,
            account_file: None,
            contact: vec![],
            http_listen: None,
            key_type: KeyType::default(),
        }
    }

    #[test]
    fn key_types_parse_and_generate_what_they_say() {
        assert_eq!("rsa3072".parse::<KeyType>().unwrap(), KeyType::Rsa3072);
        let e = "rsa1024".parse::<KeyType>().unwrap_err();
        assert_eq!(e.field, "--key-type");
        assert!(e.reason.contains("ec-p256, ec-p384, rsa2048"), "{e}");
        // the generated key is the type asked for, and one PAN-OS accepts
        for (t, want) in [
            (KeyType::EcP256, material::KeyKind::Ec("P-256".into())),
            (KeyType::EcP384, material::KeyKind::Ec("P-384".into())),
            (KeyType::Rsa2048, material::KeyKind::Rsa(2048)),
        ] {
            let k = t.generate().expect("key");
            let mut p = rcgen::CertificateParams::new(vec!["k.example.com".into()]).unwrap();
            p.distinguished_name
                .push(rcgen::DnType::CommonName, "k.example.com");
            let c = p.self_signed(&k).expect("cert");
            let b = material::parse_pem_bundle(
                c.pem().as_bytes(),
                k.serialize_pem().as_bytes(),
                None,
                None,
            )
            .expect("bundle");
            assert_eq!(b.leaf.key, want, "{t:?}");
            material::validate(&b, chrono::Utc::now().timestamp()).expect("accepted");
        }
    }

    #[test]
    fn validation_names_the_field() {
        let mut c = cfg();
        c.directory = "http://acme.example/dir".into();
        assert_eq!(c.validate().unwrap_err().field, "--acme-directory");
        let mut c = cfg();
        c.contact = vec!["not an address".into()];
        assert_eq!(c.validate().unwrap_err().field, "--acme-contact");
        let mut c = cfg();
        c.ca_file = Some("/nonexistent/ca.pem".into());
        assert_eq!(c.validate().unwrap_err().field, "--acme-ca-file");
        let mut c = cfg();
        c.contact = vec!["ops@example.com".into()];
        assert!(c.validate().is_ok());
    }

    #[cfg(unix)]
    #[test]
    fn account_file_readable_by_others_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().expect("dir");
        let f = d.path().join("acct.json");
        std::fs::write(&f, "{}").expect("w");
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let mut c = cfg();
        c.account_file = Some(f.clone());
        let e = c.validate().unwrap_err();
        assert_eq!(e.field, "--acme-account-file");
        assert!(e.reason.contains("644"), "{e}");
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        assert!(c.validate().is_ok());
        write_private(&d.path().join("new.json"), b"x").expect("write");
        let mode = std::fs::metadata(d.path().join("new.json"))
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
