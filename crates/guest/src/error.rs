//! Errors, each turned into the sentence of the troubleshooting table users read.

use panops_client::http::TransportKind;

/// What went wrong, by what the user has to do about it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A setting is invalid; nothing was sent.
    #[error("invalid {field}: {reason}")]
    Config {
        /// The variable or option at fault.
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// `FIREWALL_ADAPTER` names an adapter this tool does not implement.
    #[error(
        "FIREWALL_ADAPTER '{given}' is not supported; supported adapters: {}",
        crate::config::SUPPORTED_ADAPTERS.join(", ")
    )]
    UnsupportedAdapter {
        /// The value given.
        given: String,
    },
    /// A visit (IP, user, timeout, tag) or a batch line is invalid; nothing was sent for it.
    #[error("{0}")]
    Input(String),
    /// Nothing answered on the management interface.
    #[error(
        "cannot reach {host}: {detail}; the management interface is not reachable from here \
         (check routing, firewall rules in between, and the interface management profile: \
         HTTPS must be allowed from this host's address)"
    )]
    Unreachable {
        /// `host[:port]` tried.
        host: String,
        /// What the transport said.
        detail: String,
    },
    /// The key was refused or the admin role lacks a permission.
    #[error(
        "permission denied by {host}: {detail}; the API key is wrong, or the account's admin \
         role lacks the XML API permission \"User-ID Agent\" (and, for --clear-sessions, \
         \"Operational Requests\"): Device > Admin Roles > XML API"
    )]
    Permission {
        /// `host[:port]`.
        host: String,
        /// The device's words.
        detail: String,
    },
    /// The TLS certificate of the management interface was not accepted.
    #[error(
        "the TLS certificate of {host} was not accepted: {detail}; either trust the CA that \
         signed it with FIREWALL_CA_FILE=/path/ca.pem, or (self-signed certificate only) set \
         FIREWALL_VERIFY_TLS=false"
    )]
    Tls {
        /// `host[:port]`.
        host: String,
        /// The certificate problem.
        detail: String,
    },
    /// The firewall answered too slowly.
    #[error("{host} did not answer in time: {detail}; the management plane may be overloaded")]
    Timeout {
        /// `host[:port]`.
        host: String,
        /// Details.
        detail: String,
    },
    /// Any other device or client failure.
    #[error("{0}")]
    Device(String),
}

/// A short machine-readable name of an [`Error`], for JSON reports and exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// Settings.
    Config,
    /// Bad visit or batch line.
    Input,
    /// Management interface unreachable.
    Unreachable,
    /// Key or role refused.
    Permission,
    /// TLS certificate refused.
    Tls,
    /// Too slow.
    Timeout,
    /// The IP is mapped to a different user than the one given.
    UserMismatch,
    /// The device refused the change or verification failed.
    Device,
}

impl Error {
    /// Turn a client error into the user's terms. `host` overrides the client's host name
    /// in the message (with the port).
    pub fn classify(e: panops_client::Error, host: Option<&str>) -> Self {
        use panops_client::Error as C;
        let host_of = |h: &str| host.map(str::to_string).unwrap_or_else(|| h.to_string());
        match e {
            C::Config { field, reason } => Error::Config { field, reason },
            C::Invalid { field, reason } => Error::Input(format!("invalid {field}: {reason}")),
            C::Transport {
                ref host,
                kind,
                ref cause,
                ..
            } => {
                let h = host.clone();
                let detail = panops_client::http::transport_detail(cause);
                match kind {
                    // a reset before any answer (a management plane restarting) is an outage too
                    TransportKind::Refused
                    | TransportKind::Connect
                    | TransportKind::Interrupted => Error::Unreachable {
                        host: host_of(&h),
                        detail: format!("{kind} ({detail})"),
                    },
                    TransportKind::Certificate | TransportKind::NotTls => Error::Tls {
                        host: host_of(&h),
                        detail: format!("{kind} ({detail})"),
                    },
                    TransportKind::Timeout => Error::Timeout {
                        host: host_of(&h),
                        detail,
                    },
                    _ => Error::Device(e.to_string()),
                }
            }
            C::Api(ref api)
                if api.http_status == 403 || matches!(api.code, Some(16) | Some(403)) =>
            {
                Error::Permission {
                    host: host_of(""),
                    detail: api
                        .messages
                        .first()
                        .cloned()
                        .unwrap_or_else(|| api.to_string()),
                }
            }
            C::Api(ref api) if api.http_status >= 500 => Error::Timeout {
                host: host_of(""),
                detail: format!(
                    "it answered HTTP {} (management server busy or restarting)",
                    api.http_status
                ),
            },
            other => Error::Device(other.to_string()),
        }
    }

    /// The kind of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Config { .. } | Error::UnsupportedAdapter { .. } => ErrorKind::Config,
            Error::Input(_) => ErrorKind::Input,
            Error::Unreachable { .. } => ErrorKind::Unreachable,
            Error::Permission { .. } => ErrorKind::Permission,
            Error::Tls { .. } => ErrorKind::Tls,
            Error::Timeout { .. } => ErrorKind::Timeout,
            Error::Device(_) => ErrorKind::Device,
        }
    }
}
