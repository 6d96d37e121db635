//! `type=export&category=certificate`: the certificate in the format asked for, with its
//! private key only when `include-key=yes`, protected by `passphrase`.
//!
//! Parameters are those of the XML API usage guide and pan-python / PowerAlto
//! (`certificate-name`, `format=pem|pkcs12|der`, `include-key=yes|no`, `passphrase`). PEM
//! with the key carries it as PKCS#8 `ENCRYPTED PRIVATE KEY` (PBES2, PBKDF2-SHA256,
//! AES-256-CBC), PKCS#12 carries certificate and key under the passphrase. The device's
//! wording for a missing passphrase is not in our sources; the message here is our own.

use sha2::{Digest, Sha256};
use x509_parser::pem::Pem;

use crate::api::Request;
use crate::device::{ApiError, Device};

/// An exported certificate file.
pub struct Exported {
    /// File name offered for the download.
    pub filename: String,
    /// The bytes.
    pub body: Vec<u8>,
}

fn pem_der(pem: &str, label_suffix: &str) -> Option<Vec<u8>> {
    Pem::iter_from_buffer(pem.as_bytes())
        .filter_map(Result::ok)
        .find(|p| p.label.ends_with(label_suffix))
        .map(|p| p.contents)
}

fn encrypt_key(der: &[u8], pass: &str) -> Result<String, ApiError> {
    use pkcs8::der::pem::LineEnding;
    use rand::RngCore;
    let fail = |e: String| ApiError::new(17, format!("Failed to encrypt the private key: {e}"));
    let info = pkcs8::PrivateKeyInfo::try_from(der).map_err(|e| fail(e.to_string()))?;
    let mut salt = [0u8; 16];
    let mut iv = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut salt);
    rand::rngs::OsRng.fill_bytes(&mut iv);
    let params = pkcs8::pkcs5::pbes2::Parameters::pbkdf2_sha256_aes256cbc(2048, &salt, &iv)
        .map_err(|e| fail(e.to_string()))?;
    let enc = info
        .encrypt_with_params(params, pass.as_bytes())
        .map_err(|e| fail(e.to_string()))?;
    enc.to_pem("ENCRYPTED PRIVATE KEY", LineEnding::LF)
        .map(|p| p.to_string())
        .map_err(|e| fail(e.to_string()))
}

/// Build the export of `certificate-name` as the request asks.
pub fn export(dev: &Device, req: &Request) -> Result<Exported, ApiError> {
    let name = req.get("certificate-name").unwrap_or("");
    let (name, cert_pem) = crate::certs::export_pem(dev, name)
        .ok_or_else(|| ApiError::new(13, "Certificate does not exist"))?;
    let format = req.get("format").unwrap_or("pem");
    let include_key = match req.get("include-key").unwrap_or("no") {
        "yes" => true,
        "no" => false,
        other => {
            return Err(ApiError::bad_request(format!(
                "Illegal value for parameter \"include-key\" [{other}]."
            )));
        }
    };
    let passphrase = req.get("passphrase").unwrap_or("");
    let needs_key = include_key || matches!(format, "pkcs12" | "p12");
    if needs_key && passphrase.is_empty() {
        return Err(ApiError::new(
            17,
            "A passphrase is required to export the private key",
        ));
    }
    let key_der = if needs_key {
        let pem = dev
            .private_keys
            .get(&name)
            .ok_or_else(|| ApiError::new(17, format!("Certificate {name} has no private key")))?;
        Some(
            pem_der(pem, "PRIVATE KEY")
                .ok_or_else(|| ApiError::new(17, "The stored private key is unreadable"))?,
        )
    } else {
        None
    };
    let cert_der = pem_der(&cert_pem, "CERTIFICATE")
        .ok_or_else(|| ApiError::new(17, "The stored certificate is unreadable"))?;
    match format {
        "pem" => {
            let mut body = cert_pem.trim_end().to_string();
            body.push('\n');
            if let Some(k) = &key_der {
                body.push_str(&encrypt_key(k, passphrase)?);
            }
            Ok(Exported {
                filename: format!("{name}.pem"),
                body: body.into_bytes(),
            })
        }
        "der" => {
            if include_key {
                return Err(ApiError::new(
                    17,
                    "format der holds a certificate only; use pem or pkcs12 to include the key",
                ));
            }
            Ok(Exported {
                filename: format!("{name}.der"),
                body: cert_der,
            })
        }
        "pkcs12" | "p12" => {
            let key = key_der.unwrap_or_default();
            let cert = p12_keystore::Certificate::from_der(&cert_der)
                .map_err(|e| ApiError::new(17, format!("certificate: {e}")))?;
            let id = Sha256::digest(&cert_der);
            let chain = p12_keystore::PrivateKeyChain::new(key, &id[..20], [cert]);
            let mut ks = p12_keystore::KeyStore::new();
            ks.add_entry(&name, p12_keystore::KeyStoreEntry::PrivateKeyChain(chain));
            let body = ks
                .writer(passphrase)
                .write()
                .map_err(|e| ApiError::new(17, format!("Failed to build the PKCS12 file: {e}")))?;
            Ok(Exported {
                filename: format!("{name}.p12"),
                body,
            })
        }
        other => Err(ApiError::bad_request(format!(
            "Illegal value for parameter \"format\" [{other}]."
        ))),
    }
}
