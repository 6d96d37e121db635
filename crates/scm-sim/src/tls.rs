//! Self-signed certificate for HTTPS (a fresh one per simulator start).

use std::sync::Arc;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::ScmSimError;

/// A certificate and the rustls server configuration that serves it.
pub struct SelfSigned {
    /// PEM of the certificate (clients trust it as a CA).
    pub cert_pem: String,
    /// Server configuration with ALPN h2 and http/1.1.
    pub server_config: Arc<rustls::ServerConfig>,
}

/// Creates a certificate valid for `localhost`, `127.0.0.1`, `::1` and `host`.
pub fn self_signed(host: &str) -> Result<SelfSigned, ScmSimError> {
    let tls = |message: String| ScmSimError::Tls { message };
    let mut names = vec![
        "localhost".to_string(),
        "127.0.0.1".to_string(),
        "::1".to_string(),
    ];
    if !host.is_empty() && !names.iter().any(|n| n == host) && host != "0.0.0.0" && host != "::" {
        names.push(host.to_string());
    }
    let gen_err = |e: rcgen::Error| tls(format!("certificate generation failed: {e}"));
    let mut params = rcgen::CertificateParams::new(names).map_err(gen_err)?;
    // a subject of its own: in one CA bundle with the PAN-OS simulator's certificate, a shared
    // subject would make OpenSSL pick the wrong issuer and fail verification
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "panops SCM simulator");
    let key_pair = rcgen::KeyPair::generate().map_err(gen_err)?;
    let cert = params.self_signed(&key_pair).map_err(gen_err)?;
    let cert_der: CertificateDer<'static> = cert.der().clone();
    let key_der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key_pair.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| tls(format!("TLS protocol setup failed: {e}")))?
        .with_no_client_auth()
        .with_single_cert(vec![cert_der], key_der)
        .map_err(|e| tls(format!("TLS certificate rejected: {e}")))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(SelfSigned {
        cert_pem: cert.pem(),
        server_config: Arc::new(config),
    })
}
