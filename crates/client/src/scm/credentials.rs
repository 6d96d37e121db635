//! SCM service-account credentials: client id, client secret and tenant service group id.

use std::fmt;

use panops_scm::ScmError;
use secrecy::{ExposeSecret, SecretString};

/// OAuth2 client-credentials of an SCM service account.
///
/// `Debug` never shows the secret. Build one with [`ScmCredentials::new`], or from the
/// environment (`SCM_CLIENT_ID`, `SCM_CLIENT_SECRET`, `SCM_TSG_ID`) with
/// [`ScmCredentials::from_env`]; [`ScmCredentials::validate`] is called before any request.
#[derive(Clone)]
pub struct ScmCredentials {
    /// Service-account client id (`name@<tsg>.iam.panserviceaccount.com`).
    pub client_id: String,
    /// Service-account client secret.
    pub client_secret: SecretString,
    /// Tenant service group id the token is scoped to.
    pub tsg_id: String,
}

impl ScmCredentials {
    /// Credentials from their three parts.
    pub fn new(
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
        tsg_id: impl Into<String>,
    ) -> Self {
        ScmCredentials {
            client_id: client_id.into(),
            client_secret: SecretString::from(client_secret.into()),
            tsg_id: tsg_id.into(),
        }
    }

    /// Credentials from `SCM_CLIENT_ID`, `SCM_CLIENT_SECRET` and `SCM_TSG_ID`.
    ///
    /// Missing variables become empty strings, which [`ScmCredentials::validate`] reports with
    /// the usual `clientId is required` messages.
    pub fn from_env() -> Self {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Credentials from any variable source (a test map, a profile overlay, ...).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_string())
                .unwrap_or_default()
        };
        ScmCredentials::new(
            get("SCM_CLIENT_ID"),
            get("SCM_CLIENT_SECRET"),
            get("SCM_TSG_ID"),
        )
    }

    /// Checks that every part is present: `clientId is required`, `clientSecret is required`,
    /// `tsgId is required`, in that order.
    pub fn validate(&self) -> Result<(), ScmError> {
        if self.client_id.trim().is_empty() {
            return Err(ScmError::MissingCredential("clientId"));
        }
        if self.client_secret.expose_secret().trim().is_empty() {
            return Err(ScmError::MissingCredential("clientSecret"));
        }
        if self.tsg_id.trim().is_empty() {
            return Err(ScmError::MissingCredential("tsgId"));
        }
        Ok(())
    }

    /// A cache key for this credential that does not hold the secret itself.
    pub(crate) fn cache_key(&self, token_url: &str) -> String {
        use std::hash::{DefaultHasher, Hash, Hasher};
        let mut h = DefaultHasher::new();
        self.client_secret.expose_secret().hash(&mut h);
        format!(
            "{token_url}\u{0}{}\u{0}{}\u{0}{:016x}",
            self.client_id,
            self.tsg_id,
            h.finish()
        )
    }
}

impl fmt::Debug for ScmCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScmCredentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &"***")
            .field("tsg_id", &self.tsg_id)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_messages_in_order() {
        let e = ScmCredentials::new("", "", "").validate().unwrap_err();
        assert_eq!(e.to_string(), "clientId is required");
        let e = ScmCredentials::new("id", " ", "").validate().unwrap_err();
        assert_eq!(e.to_string(), "clientSecret is required");
        let e = ScmCredentials::new("id", "s", "").validate().unwrap_err();
        assert_eq!(e.to_string(), "tsgId is required");
        assert!(ScmCredentials::new("id", "s", "1").validate().is_ok());
    }

    #[test]
    fn env_lookup() {
        let c = ScmCredentials::from_lookup(|n| match n {
            "SCM_CLIENT_ID" => Some("me@1.iam.panserviceaccount.com".into()),
            "SCM_CLIENT_SECRET" => Some("s3cr3t-value".into()),
            _ => None,
        });
        assert_eq!(c.validate().unwrap_err().to_string(), "tsgId is required");
    }

    #[test]
    fn debug_hides_secret() {
        let c = ScmCredentials::new("id", "s3cr3t-value", "1");
        let shown = format!("{c:?}");
        assert!(!shown.contains("s3cr3t-value"), "{shown}");
        assert!(!c.cache_key("u").contains("s3cr3t-value"));
    }
}
