//! PAN-OS client settings.

use std::{path::PathBuf, time::Duration};

use panops_panos::{Secret, validate};

use crate::{
    error::{Error, Result},
    http::{HttpOptions, TlsOptions},
    retry::RetryPolicy,
};

/// `https` (default) or `http`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Protocol {
    /// HTTPS (the management interface default).
    #[default]
    Https,
    /// Plain HTTP (simulators, labs).
    Http,
}

impl Protocol {
    /// URL scheme.
    pub fn scheme(self) -> &'static str {
        match self {
            Self::Https => "https",
            Self::Http => "http",
        }
    }
}

/// How the client authenticates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    /// A ready API key (sent in the `X-PAN-KEY` header).
    ApiKey(Secret),
    /// Username and password: a key is generated with a keygen POST on first use,
    /// cached, and regenerated once if the device reports it expired.
    Password {
        /// Username.
        user: String,
        /// Password.
        password: Secret,
    },
}

/// Settings of a [`super::PanosClient`]. `Debug` never shows the key or password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// Host name or IP address (no scheme, no path).
    pub host: String,
    /// Port (default: the scheme's).
    pub port: Option<u16>,
    /// Scheme.
    pub protocol: Protocol,
    /// Credentials.
    pub auth: Auth,
    /// Transport settings (TLS verification on by default, timeouts, proxy).
    pub http: HttpOptions,
    /// Retry policy for idempotent requests.
    pub retry: RetryPolicy,
    /// Default `target=` serial (Panorama → firewall redirection) for every request
    /// type that supports it (not `keygen` nor `log`).
    pub target: Option<String>,
    /// Default `vsys=` for User-ID and import requests.
    pub vsys: Option<String>,
}

impl ClientConfig {
    /// Start a builder for `host`.
    pub fn builder(host: impl Into<String>) -> ClientConfigBuilder {
        ClientConfigBuilder {
            host: host.into(),
            port: None,
            protocol: Protocol::Https,
            auth: None,
            http: HttpOptions::default(),
            retry: RetryPolicy::default(),
            target: None,
            vsys: None,
        }
    }

    /// The API URL, e.g. `https://fw.example:8443/api/`.
    pub fn url(&self) -> String {
        let host = if self.host.contains(':') && !self.host.starts_with('[') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        match self.port {
            Some(p) => format!(
                "{}://{host}:{p}{}",
                self.protocol.scheme(),
                panops_panos::API_PATH
            ),
            None => format!(
                "{}://{host}{}",
                self.protocol.scheme(),
                panops_panos::API_PATH
            ),
        }
    }

    /// Check the settings.
    pub fn validate(&self) -> Result<()> {
        let bad = |reason: &str| Error::Config {
            field: "host".into(),
            reason: reason.into(),
        };
        if self.host.trim().is_empty() {
            return Err(bad("must not be empty"));
        }
        if self.host.contains("://") {
            return Err(bad(
                "give the host name only; set the scheme with .protocol()",
            ));
        }
        if self.host.contains('/')
            || self.host.contains('@')
            || self.host.contains(char::is_whitespace)
        {
            return Err(bad("must be a bare host name or IP address"));
        }
        match &self.auth {
            Auth::ApiKey(k) if k.is_empty() => {
                return Err(Error::Config {
                    field: "api_key".into(),
                    reason: "must not be empty".into(),
                });
            }
            Auth::Password { user, password } if user.is_empty() || password.is_empty() => {
                return Err(Error::Config {
                    field: "credentials".into(),
                    reason: "username and password must not be empty".into(),
                });
            }
            _ => {}
        }
        if let Some(t) = &self.target {
            validate::serial("target", t)?;
        }
        if let Some(v) = &self.vsys {
            validate::name("vsys", v, 31)?;
        }
        Ok(())
    }
}

/// Builder for [`ClientConfig`].
#[derive(Debug, Clone)]
pub struct ClientConfigBuilder {
    host: String,
    port: Option<u16>,
    protocol: Protocol,
    auth: Option<Auth>,
    http: HttpOptions,
    retry: RetryPolicy,
    target: Option<String>,
    vsys: Option<String>,
}

impl ClientConfigBuilder {
    /// Authenticate with an API key.
    #[must_use]
    pub fn api_key(mut self, key: impl Into<Secret>) -> Self {
        self.auth = Some(Auth::ApiKey(key.into()));
        self
    }

    /// Authenticate with username and password (keygen on first use).
    #[must_use]
    pub fn credentials(mut self, user: impl Into<String>, password: impl Into<Secret>) -> Self {
        self.auth = Some(Auth::Password {
            user: user.into(),
            password: password.into(),
        });
        self
    }

    /// Port.
    #[must_use]
    pub fn port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }

    /// Scheme.
    #[must_use]
    pub fn protocol(mut self, protocol: Protocol) -> Self {
        self.protocol = protocol;
        self
    }

    /// Trust the CA certificates in this PEM file (in addition to the web PKI roots).
    #[must_use]
    pub fn ca_bundle(mut self, path: impl Into<PathBuf>) -> Self {
        self.http.tls.ca_bundle = Some(path.into());
        self
    }

    /// Accept any certificate. Dangerous; for labs and simulators only.
    #[must_use]
    pub fn danger_accept_invalid_certs(mut self, accept: bool) -> Self {
        self.http.tls.danger_accept_invalid_certs = accept;
        self
    }

    /// Replace all TLS options.
    #[must_use]
    pub fn tls(mut self, tls: TlsOptions) -> Self {
        self.http.tls = tls;
        self
    }

    /// Whole-request timeout.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.http.timeout = timeout;
        self
    }

    /// Largest reply held in memory (default
    /// [`DEFAULT_MAX_BODY_BYTES`](crate::http::DEFAULT_MAX_BODY_BYTES)); streamed exports
    /// are not bound by it.
    pub fn max_body_bytes(mut self, limit: usize) -> Self {
        self.http.max_body_bytes = limit;
        self
    }

    /// Connect timeout.
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.http.connect_timeout = timeout;
        self
    }

    /// Use (`true`, default) or ignore proxy environment variables.
    #[must_use]
    pub fn use_env_proxy(mut self, use_it: bool) -> Self {
        self.http.use_env_proxy = use_it;
        self
    }

    /// Retry policy for idempotent requests.
    #[must_use]
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Default `target=` serial.
    #[must_use]
    pub fn target(mut self, serial: impl Into<String>) -> Self {
        self.target = Some(serial.into());
        self
    }

    /// Default `vsys=` for User-ID and import.
    #[must_use]
    pub fn vsys(mut self, vsys: impl Into<String>) -> Self {
        self.vsys = Some(vsys.into());
        self
    }

    /// Finish and validate.
    pub fn build(self) -> Result<ClientConfig> {
        let auth = self.auth.ok_or_else(|| Error::Config {
            field: "auth".into(),
            reason: "set an API key (.api_key) or credentials (.credentials)".into(),
        })?;
        let cfg = ClientConfig {
            host: self.host,
            port: self.port,
            protocol: self.protocol,
            auth,
            http: self.http,
            retry: self.retry,
            target: self.target,
            vsys: self.vsys,
        };
        cfg.validate()?;
        Ok(cfg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_and_debug() {
        let c = ClientConfig::builder("fw.example")
            .credentials("admin", "s3cretpw")
            .port(8443)
            .build()
            .unwrap();
        assert_eq!(c.url(), "https://fw.example:8443/api/");
        assert!(!c.http.tls.danger_accept_invalid_certs);
        assert!(!format!("{c:?}").contains("s3cretpw"));
        let k = ClientConfig::builder("::1")
            .api_key("LUFRPTkey")
            .protocol(Protocol::Http)
            .build()
            .unwrap();
        assert_eq!(k.url(), "http://[::1]/api/");
        assert!(!format!("{k:?}").contains("LUFRPTkey"));
        assert!(
            ClientConfig::builder("https://x")
                .api_key("k")
                .build()
                .is_err()
        );
        assert!(ClientConfig::builder("x").build().is_err());
        assert!(
            ClientConfig::builder("x")
                .api_key("k")
                .target("bad serial")
                .build()
                .is_err()
        );
    }
}
