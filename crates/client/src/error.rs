//! Client errors, split by phase: configuration, validation (never sent), transport,
//! device API error, decode, and job outcome.

use std::{path::PathBuf, time::Duration};

use panops_panos::{ApiError, DecodeError, Job};

use crate::http::TransportKind;
use crate::retry::{RetryClass, classify_status, classify_transport};

/// Appended to a lost answer of a change, which is never resent blindly.
const MAYBE_APPLIED: &str = "; the change was sent but its answer was lost, so it may have \
     been applied: check the device before repeating it (`panops config get XPATH` for a \
     configuration change, `panops op \"show jobs all\"` for a commit or push)";

/// Any client failure.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A client setting is invalid (host, CA bundle, …).
    #[error("invalid client setting {field}: {reason}")]
    Config {
        /// The setting at fault.
        field: String,
        /// What is wrong and what to do.
        reason: String,
    },
    /// A request parameter failed validation; nothing was sent.
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// The parameter at fault.
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// Writing a streamed answer (an export) to its destination failed.
    #[error("cannot write the {what}: {source}")]
    Write {
        /// What was being written.
        what: &'static str,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The device could not be reached or the exchange broke off.
    #[error(
        "{kind} talking to {host} after {attempts} attempt(s): {}{}{}",
        crate::http::transport_detail(.cause),
        crate::http::transport_hint(*.kind),
        if *.maybe_applied { MAYBE_APPLIED } else { "" }
    )]
    Transport {
        /// Device host.
        host: String,
        /// What kind of failure.
        kind: TransportKind,
        /// Attempts made.
        attempts: u32,
        /// The underlying error (its text names the URL, which never carries a key). Not
        /// exposed as the error's `source`: the message already says what it holds, and
        /// printing the chain would repeat it.
        cause: reqwest::Error,
        /// The request was a change (config write, commit, User-ID update) that reached the
        /// device, but its answer was lost: it may or may not have been applied.
        maybe_applied: bool,
    },
    /// A reply is larger than [`crate::http::HttpOptions::max_body_bytes`]; nothing of it
    /// was used.
    #[error(
        "the reply from {host} is larger than the {limit}-byte limit for answers held in \
         memory; raise HttpOptions::max_body_bytes, or stream it (`panops export` writes \
         exports to disk without a limit)"
    )]
    TooLarge {
        /// Device host.
        host: String,
        /// The limit in bytes.
        limit: usize,
    },
    /// The device answered with an error.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// The device answer could not be decoded (raw bytes kept in the error).
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// A job finished with result FAIL (or a device push failed).
    #[error("job {id} failed: {summary}")]
    JobFailed {
        /// Job id.
        id: u64,
        /// Details and per-device messages.
        summary: String,
        /// The final job state.
        job: Box<Job>,
    },
    /// A job did not finish in time (it may still be running on the device).
    #[error("job {id} did not finish within {timeout:?}; it may still be running")]
    JobTimeout {
        /// Job id.
        id: u64,
        /// The wait limit.
        timeout: Duration,
        /// The last state seen.
        last: Option<Box<Job>>,
    },
}

impl From<panops_panos::Error> for Error {
    fn from(e: panops_panos::Error) -> Self {
        match e {
            panops_panos::Error::Invalid { field, reason } => Self::Invalid { field, reason },
            panops_panos::Error::Api(a) => Self::Api(a),
            panops_panos::Error::Decode(d) => Self::Decode(d),
        }
    }
}

impl Error {
    /// The device API error, if this is one.
    pub fn as_api(&self) -> Option<&ApiError> {
        match self {
            Self::Api(e) => Some(e),
            _ => None,
        }
    }

    /// Retry classification of this error (see [`crate::retry::RetryPolicy`]).
    pub fn retry_class(&self) -> RetryClass {
        match self {
            Self::Transport { kind, .. } => classify_transport(*kind),
            Self::Api(e) if e.http_status >= 500 || e.http_status == 429 => {
                classify_status(e.http_status)
            }
            Self::Api(e) if e.is_retryable() => RetryClass::Transient,
            _ => RetryClass::Permanent,
        }
    }
}

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
