//! Errors, split by phase: validation (never sent), decode (raw bytes kept) and
//! device API errors (status, code, messages) with retry classification.

use std::fmt;

/// Any failure of the sans-IO layer.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A request parameter failed validation; nothing was sent.
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// The parameter or field at fault.
        field: String,
        /// What is wrong and what would be accepted.
        reason: String,
    },
    /// The device answered with an error.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// The device answer could not be decoded.
    #[error(transparent)]
    Decode(#[from] DecodeError),
}

impl Error {
    /// Shorthand for a validation error.
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// The API error, if this is one.
    pub fn as_api(&self) -> Option<&ApiError> {
        match self {
            Self::Api(e) => Some(e),
            _ => None,
        }
    }
}

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A response body that could not be decoded. The raw bytes are kept for diagnosis
/// but never printed (a keygen answer carries a key).
#[derive(Clone, thiserror::Error)]
#[error("cannot decode device response ({len} bytes): {reason}")]
pub struct DecodeError {
    /// What went wrong.
    pub reason: String,
    len: usize,
    raw: Vec<u8>,
}

impl DecodeError {
    /// Build a decode error that keeps `raw`.
    pub fn new(reason: impl Into<String>, raw: &[u8]) -> Self {
        Self {
            reason: reason.into(),
            len: raw.len(),
            raw: raw.to_vec(),
        }
    }

    /// The undecodable body, byte for byte.
    pub fn raw(&self) -> &[u8] {
        &self.raw
    }
}

impl fmt::Debug for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DecodeError")
            .field("reason", &self.reason)
            .field("raw_len", &self.len)
            .finish()
    }
}

/// A per-entry User-ID failure (`msg/line/uid-response/payload/<op>/entry`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UidEntryError {
    /// The payload section (`register`, `login`, …).
    pub op: String,
    /// Entry attributes in document order (`ip`, `user`, `message`, …).
    pub attrs: Vec<(String, String)>,
}

impl UidEntryError {
    /// The `message` attribute, if any.
    pub fn message(&self) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == "message")
            .map(|(_, v)| v.as_str())
    }

    /// Whether this is a benign duplicate ("… already exists, ignore" or
    /// "… does not exist, ignore unreg").
    pub fn is_benign(&self) -> bool {
        self.message().is_some_and(|m| {
            m.ends_with("already exists, ignore") || m.ends_with("does not exist, ignore unreg")
        })
    }
}

/// One nested `<response id=…>` of a multi-config answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubResponse {
    /// The `id` attribute given to the sub-operation.
    pub id: Option<String>,
    /// `success` or `error`.
    pub status: Option<String>,
    /// Numeric code, if any.
    pub code: Option<u32>,
    /// Messages of this sub-operation.
    pub messages: Vec<String>,
}

/// An error reported by the device (HTTP error status, `status="error"` or an error code).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ApiError {
    /// HTTP status of the answer.
    pub http_status: u16,
    /// The `code` attribute of `<response>`, if any.
    pub code: Option<u32>,
    /// Messages in the order the device gave them.
    pub messages: Vec<String>,
    /// User-ID per-entry failures, if any.
    pub entry_errors: Vec<UidEntryError>,
    /// Multi-config sub-results, if any.
    pub sub_responses: Vec<SubResponse>,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PAN-OS API error (HTTP {}", self.http_status)?;
        if let Some(code) = self.code {
            write!(f, ", code {code}: {}", self.label())?;
        } else if let Some(label) = self.specific_label() {
            write!(f, ": {label}")?;
        }
        f.write_str(")")?;
        if self.messages.is_empty() {
            Ok(())
        } else {
            write!(f, ": {}", self.messages.join(" | "))
        }
    }
}

/// The documented name of a PAN-OS API error code.
pub fn code_name(code: u32) -> &'static str {
    match code {
        400 => "bad request",
        403 => "forbidden",
        1 => "unknown command",
        2..=5 | 11 | 21 => "internal error",
        6 => "bad xpath",
        7 => "object not present",
        8 => "object not unique",
        10 => "reference count not zero",
        12 => "invalid object",
        13 => "object not found",
        14 => "operation not possible",
        15 => "operation denied",
        16 => "unauthorized",
        17 => "invalid command",
        18 => "malformed command",
        19 | 20 => "success",
        22 => "session timed out",
        _ => "unknown code",
    }
}

/// The text that replaces "Key Expired: <key> has expired." (the device echoes the key).
pub const KEY_EXPIRED_TEXT: &str = "the API key has expired: generate a new one with `panops \
     keygen` (commands given a user name and password do it themselves)";

impl ApiError {
    /// What the error is, in a few words: what the messages say when they are
    /// recognised, else the documented name of the code. The device reuses codes (13
    /// answers a held lock and a busy commit as well as a missing object), so the
    /// messages win.
    pub fn label(&self) -> &'static str {
        self.specific_label()
            .unwrap_or_else(|| self.code.map_or("error", code_name))
    }

    fn specific_label(&self) -> Option<&'static str> {
        if self.is_key_expired() {
            Some("API key expired")
        } else if self.is_locked() {
            Some("configuration locked")
        } else if self.is_commit_in_progress() {
            Some("commit in progress")
        } else if self.is_sync_in_progress() {
            Some("HA sync in progress")
        } else if self.is_session_timeout() {
            Some("session timed out")
        } else if self.code.is_none() && self.is_invalid_credentials() {
            Some("invalid credentials")
        } else {
            None
        }
    }

    fn any_message(&self, pred: impl Fn(&str) -> bool) -> bool {
        self.messages.iter().any(|m| pred(m))
            || self
                .sub_responses
                .iter()
                .flat_map(|s| s.messages.iter())
                .any(|m| pred(m))
    }

    /// A commit, validate or install is already running ("Another commit/validate is in
    /// progress. Please try again later", "A commit is in progress.", "You cannot commit
    /// while an install is in progress. Please try again later.").
    pub fn is_commit_in_progress(&self) -> bool {
        self.any_message(|m| {
            m.contains("Another commit/validate is in progress")
                || m.contains("A commit is in progress.")
                || m.contains("You cannot commit while an install is in progress")
        })
    }

    /// Configuration or commit lock held by someone else.
    pub fn is_locked(&self) -> bool {
        self.any_message(|m| {
            m.contains("Configuration is locked by")
                || m.contains("Commit lock is already held")
                || (m.starts_with("Config for scope") && m.contains("is currently locked"))
        })
    }

    /// Management session timed out (code 22 or "Session timed out").
    pub fn is_session_timeout(&self) -> bool {
        self.code == Some(22) || self.any_message(|m| m.contains("Session timed out"))
    }

    /// Bad key or credentials (HTTP/code 403, "Invalid Credential", "Invalid credentials.").
    pub fn is_invalid_credentials(&self) -> bool {
        self.http_status == 403
            || self.code == Some(403)
            || self.any_message(|m| {
                m.contains("Invalid Credential") || m.contains("Invalid credentials.")
            })
    }

    /// The API key has expired (HTTP 400 "Key Expired: … has expired.").
    pub fn is_key_expired(&self) -> bool {
        self.any_message(|m| m.contains("Key Expired") || m == KEY_EXPIRED_TEXT)
    }

    /// The object is not there (codes 7/13, "No such node", "Object doesn't exist",
    /// "Object not found").
    pub fn is_not_found(&self) -> bool {
        self.code == Some(7)
            || (self.code == Some(13) && !self.is_retryable())
            || self.any_message(|m| {
                m.contains("No such node")
                    || m.contains("Object doesn't exist")
                    || m.contains("Object not found")
            })
    }

    /// HA sync busy ("Another sync is in progress. Please try again later").
    pub fn is_sync_in_progress(&self) -> bool {
        self.any_message(|m| m.contains("Another sync is in progress"))
    }

    /// Whether trying the same request later may succeed: device busy (commit, install,
    /// HA sync), lock held, or session timed out. This says nothing about whether a
    /// retry is *safe*; callers decide that from the request's idempotency.
    pub fn is_retryable(&self) -> bool {
        self.is_commit_in_progress()
            || self.is_locked()
            || self.is_session_timeout()
            || self.is_sync_in_progress()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(code: Option<u32>, msg: &str) -> ApiError {
        ApiError {
            http_status: 200,
            code,
            messages: vec![msg.to_owned()],
            entry_errors: vec![],
            sub_responses: vec![],
        }
    }

    #[test]
    fn classification() {
        assert!(
            err(
                None,
                "Another commit/validate is in progress. Please try again later"
            )
            .is_commit_in_progress()
        );
        assert!(err(None, "A commit is in progress.").is_retryable());
        assert!(err(None, "Configuration is locked by admin").is_locked());
        assert!(err(Some(22), "x").is_session_timeout());
        assert!(err(None, "Session timed out").is_retryable());
        assert!(err(Some(403), "Invalid Credential").is_invalid_credentials());
        assert!(err(None, "Key Expired: LUFRPT has expired.").is_key_expired());
        assert!(!err(None, "Object doesn't exist").is_key_expired());
        assert!(err(None, "No such node").is_not_found());
        assert!(!err(Some(12), "invalid").is_retryable());
        assert_eq!(
            err(Some(12), "bad").to_string(),
            "PAN-OS API error (HTTP 200, code 12: invalid object): bad"
        );
    }

    #[test]
    fn decode_debug_hides_body() {
        let e = DecodeError::new("not xml", b"<key>SECRET</key>");
        assert!(!format!("{e:?} {e}").contains("SECRET"));
        assert_eq!(e.raw(), b"<key>SECRET</key>");
    }
}
