//! HTTP pieces shared by every device client (PAN-OS and SCM): TLS options, `reqwest`
//! client construction, transport failure kinds, and secret redaction (what is retried is
//! [`crate::retry`]'s business). Nothing in here is PAN-OS specific.
//!
//! Proxies: the `reqwest` client honours `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`
//! and `NO_PROXY` from the environment (reqwest's default). Set
//! [`HttpOptions::use_env_proxy`] to `false` to ignore them.

use std::{path::PathBuf, time::Duration};

use crate::error::Error;

/// TLS settings. Certificate verification is **on** by default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsOptions {
    /// Extra trusted CA certificates (a PEM file that may hold several certificates),
    /// added to the built-in web PKI roots.
    pub ca_bundle: Option<PathBuf>,
    /// Accept any certificate (self-signed, expired, wrong host). Dangerous: only for
    /// labs and simulators. Off unless set explicitly.
    pub danger_accept_invalid_certs: bool,
}

/// Transport settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpOptions {
    /// TLS settings.
    pub tls: TlsOptions,
    /// Whole-request timeout (long jobs are polled, so this bounds one HTTP exchange).
    pub timeout: Duration,
    /// TCP/TLS connect timeout.
    pub connect_timeout: Duration,
    /// Use proxies from the environment (default `true`).
    pub use_env_proxy: bool,
    /// `User-Agent` header.
    pub user_agent: String,
    /// Largest reply body held in memory (default 512 MiB). Exports streamed to a writer
    /// are not bound by it; anything else past it fails with [`Error::TooLarge`].
    pub max_body_bytes: usize,
}

/// Default for [`HttpOptions::max_body_bytes`]: far above any API answer (a 100k-object
/// Panorama `show config running` is about 150 MB), far below what would exhaust memory.
pub const DEFAULT_MAX_BODY_BYTES: usize = 512 * 1024 * 1024;

/// Why a bounded body read failed.
#[derive(Debug)]
pub enum BodyError {
    /// The exchange broke off while reading.
    Transport(reqwest::Error),
    /// The body is (or says it is) larger than the limit.
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
}

/// Reads a reply body into memory, at most `limit` bytes: a declared `Content-Length` past
/// the limit fails before reading, a body that grows past it fails as soon as it does.
pub async fn read_body(
    mut resp: reqwest::Response,
    limit: usize,
) -> Result<bytes::Bytes, BodyError> {
    if resp.content_length().is_some_and(|n| n > limit as u64) {
        return Err(BodyError::TooLarge { limit });
    }
    let mut buf = bytes::BytesMut::new();
    while let Some(chunk) = resp.chunk().await.map_err(BodyError::Transport)? {
        if buf.len() + chunk.len() > limit {
            return Err(BodyError::TooLarge { limit });
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

impl Default for HttpOptions {
    fn default() -> Self {
        Self {
            tls: TlsOptions::default(),
            timeout: Duration::from_secs(120),
            connect_timeout: Duration::from_secs(10),
            use_env_proxy: true,
            user_agent: concat!("panops/", env!("CARGO_PKG_VERSION")).to_owned(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
        }
    }
}

/// Build a `reqwest` client from [`HttpOptions`].
pub fn build_client(opts: &HttpOptions) -> Result<reqwest::Client, Error> {
    let mut builder = reqwest::Client::builder()
        .use_rustls_tls()
        .timeout(opts.timeout)
        .connect_timeout(opts.connect_timeout)
        .user_agent(opts.user_agent.clone());
    if !opts.use_env_proxy {
        builder = builder.no_proxy();
    }
    if let Some(path) = &opts.tls.ca_bundle {
        let pem = std::fs::read(path).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| Error::Config {
            field: "ca_bundle".into(),
            reason: format!("{} is not a PEM certificate bundle: {e}", path.display()),
        })?;
        if certs.is_empty() {
            return Err(Error::Config {
                field: "ca_bundle".into(),
                reason: format!("{} holds no PEM certificate", path.display()),
            });
        }
        for cert in certs {
            builder = builder.add_root_certificate(cert);
        }
    }
    if opts.tls.danger_accept_invalid_certs {
        tracing::warn!("TLS certificate verification is disabled (danger_accept_invalid_certs)");
        builder = builder.danger_accept_invalid_certs(true);
    }
    builder.build().map_err(|e| Error::Config {
        field: "http".into(),
        reason: format!("cannot build the HTTP client: {e}"),
    })
}

/// Why a transport exchange failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportKind {
    /// Could not connect (DNS, unreachable network, TLS handshake broken off).
    Connect,
    /// The host answered that nothing listens on the port (connection refused).
    Refused,
    /// The server's TLS certificate failed verification (unknown issuer, name mismatch,
    /// expired, …). Retrying cannot help.
    Certificate,
    /// The port does not speak TLS (an `https` client talking to a plain-HTTP port).
    /// Retrying cannot help.
    NotTls,
    /// Timed out.
    Timeout,
    /// Connection reset or closed mid-exchange, or the body could not be read.
    Interrupted,
    /// Anything else (bad URL, redirect loop, …).
    Other,
}

impl std::fmt::Display for TransportKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Connect => "connection failed",
            Self::Refused => "connection refused",
            Self::Certificate => "TLS certificate rejected",
            Self::NotTls => "TLS handshake failed",
            Self::Timeout => "timed out",
            Self::Interrupted => "connection interrupted",
            Self::Other => "transport error",
        })
    }
}

/// The causes below a `reqwest` error, outermost first. `std::io::Error::source` skips
/// the error it wraps, so a wrapped error is visited explicitly: that is where rustls'
/// verdicts and the OS error live.
fn causes<'a>(e: &'a reqwest::Error) -> Vec<&'a (dyn std::error::Error + 'static)> {
    let mut out: Vec<&(dyn std::error::Error + 'static)> = Vec::new();
    let mut next = std::error::Error::source(e);
    while let Some(cause) = next {
        if out.len() > 16 {
            break;
        }
        out.push(cause);
        // io errors nest (hyper wraps rustls' InvalidData error in an Other error).
        let mut wrapper = cause;
        while let Some(io) = wrapper.downcast_ref::<std::io::Error>()
            && let Some(inner) = io.get_ref()
            && out.len() <= 16
        {
            let inner: &(dyn std::error::Error + 'static) = inner;
            out.push(inner);
            wrapper = inner;
        }
        next = wrapper.source();
    }
    out
}

/// Classify a `reqwest` error.
pub fn transport_kind(e: &reqwest::Error) -> TransportKind {
    for cause in causes(e) {
        if let Some(tls) = cause.downcast_ref::<rustls::Error>() {
            return match tls {
                rustls::Error::InvalidCertificate(_)
                | rustls::Error::NoCertificatesPresented
                | rustls::Error::UnsupportedNameType => TransportKind::Certificate,
                rustls::Error::InvalidMessage(_) | rustls::Error::InappropriateMessage { .. } => {
                    TransportKind::NotTls
                }
                _ => TransportKind::Connect,
            };
        }
        if let Some(io) = cause.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::ConnectionRefused
        {
            return TransportKind::Refused;
        }
    }
    if e.is_timeout() {
        TransportKind::Timeout
    } else if e.is_connect() {
        TransportKind::Connect
    } else if e.is_request() || e.is_body() || e.is_decode() {
        TransportKind::Interrupted
    } else {
        TransportKind::Other
    }
}

/// What went wrong under a `reqwest` error, without the URL (the error message names
/// the host already) and without the repetitions of its wrapping layers: each cause's
/// text is kept once, and one that only restates the next (`client error (Connect)`) is
/// dropped.
pub fn transport_detail(e: &reqwest::Error) -> String {
    let texts: Vec<String> = causes(e).iter().map(|c| c.to_string()).collect();
    let mut kept: Vec<&str> = Vec::new();
    for (i, t) in texts.iter().enumerate() {
        let t = t.trim();
        let generic = t.starts_with("client error (") || t.is_empty();
        let restated = texts[i + 1..].iter().any(|later| later.contains(t))
            || kept.iter().any(|k| k.contains(t));
        if !generic && !restated {
            kept.push(t);
        }
    }
    if kept.is_empty() {
        // Nothing below: reqwest's own text, minus the URL it carries.
        let mut top = e.to_string();
        if let Some(i) = top.find(" for url (") {
            top.truncate(i);
        }
        return top;
    }
    kept.join(": ")
}

/// What the user can do about a transport failure of this kind, as one sentence
/// (empty when there is nothing specific to say).
pub fn transport_hint(kind: TransportKind) -> &'static str {
    match kind {
        TransportKind::Certificate => {
            "; trust the device's CA with --ca-file FILE (or a profile's ca_file), or for a lab \
             device only, turn verification off with --skip-verify-certificate \
             (PANOS_SKIP_VERIFY_CERTIFICATE=true)"
        }
        TransportKind::NotTls => {
            "; the port does not speak TLS: if it serves plain HTTP (a simulator started with \
             --plain), set PANOS_PROTOCOL=http (or --protocol http)"
        }
        TransportKind::Refused => {
            "; nothing listens on that port: check the host and the port (--port or PANOS_PORT)"
        }
        _ => "",
    }
}

/// Removes known secrets and credential-looking parameters from text before it is
/// logged or put in an error.
#[derive(Clone, Default)]
pub struct Redactor {
    secrets: Vec<String>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Redactor")
            .field("secrets", &self.secrets.len())
            .finish()
    }
}

const SECRET_PARAMS: [&str; 5] = ["key", "password", "passphrase", "client_secret", "token"];

impl Redactor {
    /// A redactor with no known secrets (parameter patterns are still removed).
    pub fn new() -> Self {
        Self::default()
    }

    /// Remember a secret value to scrub (values shorter than 4 characters are ignored
    /// to avoid shredding ordinary text).
    pub fn add(&mut self, secret: &str) {
        if secret.len() >= 4 && !self.secrets.iter().any(|s| s == secret) {
            self.secrets.push(secret.to_owned());
        }
    }

    /// Scrub `text`: every known secret becomes `***`, and so does the value of
    /// `key=`, `password=`, `passphrase=`, `client_secret=` and `token=` parameters
    /// and the content of secret-bearing elements (`<key>`, `<password>`, `<passphrase>`,
    /// `<private-key>`, `<phash>`).
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for s in &self.secrets {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), "***");
            }
        }
        for p in SECRET_PARAMS {
            out = redact_param(&out, p);
        }
        panops_panos::secret::redact_xml_secrets(&out)
    }
}

fn redact_param(text: &str, name: &str) -> String {
    let pat = format!("{name}=");
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(&pat) {
        let boundary = i == 0
            || matches!(
                rest.as_bytes()[i - 1],
                b'&' | b'?' | b' ' | b';' | b',' | b'"' | b'\''
            );
        out.push_str(&rest[..i + pat.len()]);
        rest = &rest[i + pat.len()..];
        if boundary {
            let end = rest
                .find(['&', ' ', ';', ',', '"', '\'', '\n'])
                .unwrap_or(rest.len());
            if end > 0 {
                out.push_str("***");
            }
            rest = &rest[end..];
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction() {
        let mut r = Redactor::new();
        r.add("LUFRPTsecretkey==");
        r.add("ab");
        assert_eq!(
            r.redact("type=keygen&user=admin&password=p@ss&key=zzz"),
            "type=keygen&user=admin&password=***&key=***"
        );
        assert_eq!(r.redact("header LUFRPTsecretkey== end"), "header *** end");
        // Device secrets in logged reply bodies, every occurrence, even cut off.
        let body = "<entry><phash>$5$abc$def</phash><private-key>-----BEGIN RSA PRIVATE KEY-----MIIE</private-key>\
                    <passphrase>pp1</passphrase><phash>$5$second</phash><private-key>-----BEGIN";
        let shown = r.redact(body);
        for secret in ["$5$abc$def", "MIIE", "pp1", "$5$second", "BEGIN"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert_eq!(
            r.redact("<result><key>abc</key></result>"),
            "<result><key>***</key></result>"
        );
        assert_eq!(r.redact("monkey=1 ab"), "monkey=1 ab");
        assert_eq!(r.redact("passphrase=x"), "passphrase=***");
        assert!(!format!("{r:?}").contains("LUFRPT"));
    }

    #[test]
    fn client_builds_and_bad_bundle_is_named() {
        assert!(build_client(&HttpOptions::default()).is_ok());
        let dir = std::env::temp_dir().join(format!("panops-ca-{}", std::process::id()));
        std::fs::write(&dir, "not a pem").unwrap();
        let opts = HttpOptions {
            tls: TlsOptions {
                ca_bundle: Some(dir.clone()),
                danger_accept_invalid_certs: false,
            },
            ..HttpOptions::default()
        };
        let e = build_client(&opts).unwrap_err().to_string();
        assert!(e.contains("ca_bundle"), "{e}");
        let _ = std::fs::remove_file(dir);
        let missing = HttpOptions {
            tls: TlsOptions {
                ca_bundle: Some("/nonexistent/ca.pem".into()),
                danger_accept_invalid_certs: false,
            },
            ..HttpOptions::default()
        };
        assert!(matches!(build_client(&missing), Err(Error::Io { .. })));
    }
}
