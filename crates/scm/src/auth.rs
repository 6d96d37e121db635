//! OAuth2 client-credentials facts (sans-IO): credentials, the token request, the token reply.

use crate::error::ScmError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Default token service base URL (the token path is appended).
pub const DEFAULT_AUTH_BASE_URL: &str = "https://auth.apps.paloaltonetworks.com";
/// Token path used by the vendor docs and the v2 specs (`AuthService.yaml` says
/// `/auth/v1/oauth2/access_token`; both are served by the simulator).
pub const TOKEN_PATH: &str = "/oauth2/access_token";
/// Token lifetime the service issues (seconds).
pub const TOKEN_LIFETIME_SECS: u64 = 900;
/// Refresh this long before expiry (seconds).
pub const TOKEN_REFRESH_MARGIN_SECS: u64 = 300;

/// Service-account credentials. `Debug` never shows the secret.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Credentials {
    /// Client id (`name@<tsg>.iam.panserviceaccount.com`).
    pub client_id: String,
    /// Client secret.
    pub client_secret: String,
    /// Tenant service group id.
    pub tsg_id: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("tsg_id", &self.tsg_id)
            .finish()
    }
}

impl Credentials {
    /// Builds credentials.
    pub fn new(
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
        tsg_id: impl Into<String>,
    ) -> Credentials {
        Credentials {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            tsg_id: tsg_id.into(),
        }
    }

    /// Checks that every field is set: `clientId is required`, `clientSecret is required`,
    /// `tsgId is required` (in that order).
    pub fn validate(&self) -> Result<(), ScmError> {
        if self.client_id.trim().is_empty() {
            return Err(ScmError::MissingCredential("clientId"));
        }
        if self.client_secret.is_empty() {
            return Err(ScmError::MissingCredential("clientSecret"));
        }
        if self.tsg_id.trim().is_empty() {
            return Err(ScmError::MissingCredential("tsgId"));
        }
        Ok(())
    }

    /// The OAuth2 scope, `tsg_id:<id>`.
    pub fn scope(&self) -> String {
        format!("tsg_id:{}", self.tsg_id.trim())
    }

    /// Form fields of the token request body (`grant_type`, `scope`). The id and secret go
    /// in an HTTP Basic `Authorization` header, never in the URL.
    pub fn token_form(&self) -> Vec<(&'static str, String)> {
        vec![
            ("grant_type", "client_credentials".to_string()),
            ("scope", self.scope()),
        ]
    }
}

/// The token service's 200 reply. `Debug` never shows the token.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenResponse {
    /// Bearer token (a JWT).
    pub access_token: String,
    /// `Bearer`.
    #[serde(default)]
    pub token_type: String,
    /// Lifetime in seconds.
    #[serde(default)]
    pub expires_in: u64,
    /// Granted scope.
    #[serde(default)]
    pub scope: String,
}

impl fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenResponse")
            .field("access_token", &"<redacted>")
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .field("scope", &self.scope)
            .finish()
    }
}

impl TokenResponse {
    /// Decodes a token reply: a non-2xx status gives `token fetch failed: status=.. body=..`,
    /// an unusable 2xx body `failed to obtain access token`.
    pub fn decode(status: u16, body: &[u8]) -> Result<TokenResponse, ScmError> {
        if !(200..300).contains(&status) {
            return Err(ScmError::TokenFetchFailed {
                status,
                body: String::from_utf8_lossy(body).trim().to_string(),
            });
        }
        match serde_json::from_slice::<TokenResponse>(body) {
            Ok(t) if !t.access_token.is_empty() => Ok(t),
            Ok(_) => Err(ScmError::TokenUnavailable { source: None }),
            Err(e) => Err(ScmError::TokenUnavailable {
                source: Some(Box::new(e)),
            }),
        }
    }

    /// Seconds after issue at which to refresh: `expires_in` minus the 5-minute margin
    /// (at least half the lifetime for short test tokens).
    pub fn refresh_after_secs(&self) -> u64 {
        let life = if self.expires_in == 0 {
            TOKEN_LIFETIME_SECS
        } else {
            self.expires_in
        };
        life.saturating_sub(TOKEN_REFRESH_MARGIN_SECS).max(life / 2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_messages() {
        let e = Credentials::new("", "s", "1").validate().unwrap_err();
        assert_eq!(e.to_string(), "clientId is required");
        let e = Credentials::new("id", "", "1").validate().unwrap_err();
        assert_eq!(e.to_string(), "clientSecret is required");
        let e = Credentials::new("id", "s", " ").validate().unwrap_err();
        assert_eq!(e.to_string(), "tsgId is required");
        assert!(Credentials::new("id", "s", "1234567890").validate().is_ok());
    }

    #[test]
    fn secrets_not_in_debug() {
        let c = Credentials::new("id", "topsecret", "1");
        assert!(!format!("{c:?}").contains("topsecret"));
        let t = TokenResponse {
            access_token: "tok123".into(),
            token_type: "bearer".into(),
            expires_in: 900,
            scope: "tsg_id:1".into(),
        };
        assert!(!format!("{t:?}").contains("tok123"));
        assert_eq!(t.refresh_after_secs(), 600);
    }

    #[test]
    fn token_errors() {
        let e = TokenResponse::decode(401, b"{\"error\":\"invalid_client\"}").unwrap_err();
        assert_eq!(
            e.to_string(),
            "token fetch failed: status=401 body={\"error\":\"invalid_client\"}"
        );
        let e = TokenResponse::decode(200, b"not json").unwrap_err();
        assert_eq!(e.to_string(), "failed to obtain access token");
        let t = TokenResponse::decode(
            200,
            br#"{"access_token":"x","token_type":"bearer","expires_in":900,"scope":"tsg_id:1"}"#,
        )
        .unwrap();
        assert_eq!(t.expires_in, 900);
    }
}
