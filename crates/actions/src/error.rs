//! Action errors, split by phase, serialised as `{"error": {"code", "message", "field"?}}`.

use serde::Serialize;
use serde::ser::SerializeMap;
use serde_json::{Value, json};

/// Any failure of an action. The [`ActionError::code`] is stable and machine-readable.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ActionError {
    /// No action has this resource and operation (nothing was sent).
    #[error("unknown action {action}: {hint}")]
    UnknownAction {
        /// `resource.operation` as given.
        action: String,
        /// Close matches or a pointer to `panops action list`.
        hint: String,
    },
    /// A parameter is missing or has a bad value (nothing was sent).
    #[error("invalid parameter {field}: {message}")]
    InvalidParameter {
        /// The parameter at fault (dotted path for nested fields).
        field: String,
        /// What is wrong and what to do.
        message: String,
    },
    /// A workflow reference (`${steps.N.result...}`) cannot be resolved (nothing was sent).
    #[error("invalid reference in {field}: {message}")]
    InvalidReference {
        /// The parameter holding the reference.
        field: String,
        /// Why it cannot be resolved.
        message: String,
    },
    /// The backend of the profile cannot run this action.
    #[error("{message}")]
    Unsupported {
        /// Which action, which backend and what to use instead.
        message: String,
    },
    /// No backend is configured for the profile named in the action.
    #[error("no backend for profile {profile}: {message}")]
    Profile {
        /// Profile name (`(default)` for the connection of the command line).
        profile: String,
        /// What is missing.
        message: String,
    },
    /// The object does not exist.
    #[error("{message}")]
    NotFound {
        /// Which object, where.
        message: String,
    },
    /// An object with this name exists with different content and `overwrite` is not set.
    #[error("{message}")]
    Conflict {
        /// Which object differs, and how to replace it.
        message: String,
    },
    /// The device or SCM refused the request; the message is the device's.
    #[error("device refused the request: {message}")]
    Device {
        /// The device's own message.
        message: String,
    },
    /// The device could not be reached or the exchange broke off.
    #[error("transport failure: {message}")]
    Transport {
        /// What failed.
        message: String,
    },
    /// The answer could not be decoded.
    #[error("cannot decode the answer: {message}")]
    Decode {
        /// What could not be read.
        message: String,
    },
    /// A commit, push or job finished with a failure.
    #[error("job {job_id} failed: {message}")]
    JobFailed {
        /// Job id.
        job_id: String,
        /// Job details and the failed devices' messages.
        message: String,
        /// The final job, as `job.get` shows it (with per-device details), when known.
        job: Option<Box<Value>>,
    },
    /// A job did not finish in time (it may still be running).
    #[error("job {job_id} did not finish in time: {message}")]
    Timeout {
        /// Job id.
        job_id: String,
        /// How long was waited.
        message: String,
        /// The last state seen, as `job.get` shows it, when known.
        job: Option<Box<Value>>,
    },
}

impl ActionError {
    /// The stable error code (`invalid_parameter`, `not_found`, `conflict`, ...).
    pub fn code(&self) -> &'static str {
        match self {
            Self::UnknownAction { .. } => "unknown_action",
            Self::InvalidParameter { .. } => "invalid_parameter",
            Self::InvalidReference { .. } => "invalid_reference",
            Self::Unsupported { .. } => "unsupported",
            Self::Profile { .. } => "profile",
            Self::NotFound { .. } => "not_found",
            Self::Conflict { .. } => "conflict",
            Self::Device { .. } => "device_error",
            Self::Transport { .. } => "transport",
            Self::Decode { .. } => "decode",
            Self::JobFailed { .. } => "job_failed",
            Self::Timeout { .. } => "timeout",
        }
    }

    /// The parameter at fault, when one is.
    pub fn field(&self) -> Option<&str> {
        match self {
            Self::InvalidParameter { field, .. } | Self::InvalidReference { field, .. } => {
                Some(field)
            }
            _ => None,
        }
    }

    /// The human message (without the code).
    pub fn message(&self) -> String {
        match self {
            Self::InvalidParameter { message, .. } | Self::InvalidReference { message, .. } => {
                message.clone()
            }
            other => other.to_string(),
        }
    }

    /// The job a failed or timed-out wait was about, as `job.get` shows it.
    pub fn job(&self) -> Option<&Value> {
        match self {
            Self::JobFailed { job, .. } | Self::Timeout { job, .. } => job.as_deref(),
            _ => None,
        }
    }

    /// `{"error": {"code", "message", "field"?, "job_id"?, "job"?}}`.
    pub fn to_json(&self) -> Value {
        let mut inner = json!({"code": self.code(), "message": self.message()});
        if let Some(f) = self.field() {
            inner["field"] = json!(f);
        }
        if let Self::JobFailed { job_id, .. } | Self::Timeout { job_id, .. } = self {
            inner["job_id"] = json!(job_id);
        }
        if let Some(job) = self.job() {
            inner["job"] = job.clone();
        }
        json!({ "error": inner })
    }

    /// Shorthand for [`ActionError::InvalidParameter`].
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::InvalidParameter {
            field: field.into(),
            message: message.into(),
        }
    }

    pub(crate) fn unsupported(message: impl Into<String>) -> Self {
        Self::Unsupported {
            message: message.into(),
        }
    }

    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self::NotFound {
            message: message.into(),
        }
    }

    pub(crate) fn device(message: impl Into<String>) -> Self {
        Self::Device {
            message: message.into(),
        }
    }

    pub(crate) fn decode(message: impl Into<String>) -> Self {
        Self::Decode {
            message: message.into(),
        }
    }
}

impl Serialize for ActionError {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry("error", &self.to_json()["error"])?;
        map.end()
    }
}

impl From<panops_client::Error> for ActionError {
    fn from(e: panops_client::Error) -> Self {
        use panops_client::Error as E;
        match e {
            E::Invalid { field, reason } => Self::invalid(field, reason),
            E::Config { field, reason } => Self::Profile {
                profile: "(connection)".into(),
                message: format!("{field}: {reason}"),
            },
            E::Io { path, source } => Self::Profile {
                profile: "(connection)".into(),
                message: format!("cannot read {}: {source}", path.display()),
            },
            E::Api(api) => {
                let message = if api.messages.is_empty() {
                    api.to_string()
                } else {
                    api.messages.join(" | ")
                };
                if api.is_not_found() {
                    Self::not_found(message)
                } else {
                    Self::device(message)
                }
            }
            // A local write of a streamed answer: an I/O failure of the exchange.
            E::Transport { .. } | E::Write { .. } => Self::Transport {
                message: e.to_string(),
            },
            E::Decode(d) => Self::decode(d.to_string()),
            E::TooLarge { .. } => Self::decode(e.to_string()),
            E::JobFailed { id, summary, job } => Self::JobFailed {
                job_id: id.to_string(),
                message: summary,
                job: Some(Box::new(crate::panos::job_json(&job))),
            },
            E::JobTimeout { id, timeout, last } => Self::Timeout {
                job_id: id.to_string(),
                message: format!("waited {}s", timeout.as_secs()),
                job: last.map(|j| Box::new(crate::panos::job_json(&j))),
            },
        }
    }
}

impl From<panops_panos::Error> for ActionError {
    fn from(e: panops_panos::Error) -> Self {
        panops_client::Error::from(e).into()
    }
}

impl From<panops_client::scm::ScmError> for ActionError {
    fn from(e: panops_client::scm::ScmError) -> Self {
        use panops_client::scm::ScmError as E;
        match &e {
            E::MissingParameter { field }
            | E::UnknownParameter { field, .. }
            | E::InvalidParameter { field, .. } => Self::invalid(field.clone(), e.to_string()),
            E::Api(api) => match api.status {
                404 => Self::not_found(e.to_string()),
                409 => Self::Conflict {
                    message: e.to_string(),
                },
                _ => Self::device(e.to_string()),
            },
            E::Transport { .. } => Self::Transport {
                message: e.to_string(),
            },
            E::Decode { .. } | E::EmptyResponse => Self::decode(e.to_string()),
            E::MissingCredential(_) | E::TokenFetchFailed { .. } | E::TokenUnavailable { .. } => {
                Self::Profile {
                    profile: "(scm)".into(),
                    message: e.to_string(),
                }
            }
            _ if e.is_validation() => Self::invalid("parameters", e.to_string()),
            _ => Self::device(e.to_string()),
        }
    }
}

impl From<panops_client::scm::JobError> for ActionError {
    fn from(e: panops_client::scm::JobError) -> Self {
        use panops_client::scm::JobError as E;
        match e {
            E::Scm(s) => s.into(),
            E::Failed {
                ref job_id,
                ref job,
                ..
            } => Self::JobFailed {
                job_id: job_id.clone(),
                message: e.to_string(),
                job: Some(Box::new(crate::scm::job_json(job))),
            },
            E::TimedOut { ref job_id, .. } => Self::Timeout {
                job_id: job_id.clone(),
                message: e.to_string(),
                job: None,
            },
            other => Self::decode(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_code_message_and_field() {
        let e = ActionError::invalid("ip_netmask", "is not an address");
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            json!({"error": {"code": "invalid_parameter", "message": "is not an address", "field": "ip_netmask"}})
        );
        let e = ActionError::not_found("address web not found");
        assert_eq!(e.to_json()["error"]["code"], "not_found");
        assert!(e.to_json()["error"].get("field").is_none());
    }
}
