//! OAuth2 token service: RS256 JWTs and the JWKS that verifies them.

use std::sync::{Arc, OnceLock};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::traits::PublicKeyParts;
use serde::{Deserialize, Serialize};

use crate::ScmSimError;

/// Issuer written into tokens, like the real auth service's.
pub const ISSUER: &str = "https://auth.apps.paloaltonetworks.com/am/oauth2";

/// Claims of an issued access token.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TokenClaims {
    /// Issuer.
    pub iss: String,
    /// Subject: the client id.
    pub sub: String,
    /// Audience: the client id (pan-scm-sdk verifies `aud == client_id`).
    pub aud: String,
    /// Client id.
    pub client_id: String,
    /// Tenant service group id.
    pub tsg_id: String,
    /// Granted scope, `tsg_id:<TSG>`.
    pub scope: String,
    /// Issued at (unix seconds, simulator clock).
    pub iat: i64,
    /// Expiry (unix seconds, simulator clock).
    pub exp: i64,
    /// Unique token id.
    pub jti: String,
    /// Issue serial (lets a fault revoke every token issued so far).
    pub seq: u64,
}

/// Why a bearer token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenRejection {
    /// Not a JWT signed by this simulator's key, or wrong claims.
    Invalid,
    /// Signature fine but `exp` is in the past (simulator clock) or revoked by a fault.
    Expired,
}

/// The RSA signing key and its JWKS form.
pub struct KeyMaterial {
    kid: String,
    encoding: EncodingKey,
    decoding: DecodingKey,
    jwks: serde_json::Value,
}

impl KeyMaterial {
    /// The process-wide key, generated once (RSA-2048 generation is slow in debug builds and
    /// every simulator in a test run would otherwise pay it).
    pub fn shared() -> Result<Arc<KeyMaterial>, ScmSimError> {
        static KEY: OnceLock<Result<Arc<KeyMaterial>, String>> = OnceLock::new();
        KEY.get_or_init(|| KeyMaterial::generate().map(Arc::new))
            .clone()
            .map_err(|message| ScmSimError::Key { message })
    }

    fn generate() -> Result<KeyMaterial, String> {
        let mut rng = rand::thread_rng();
        let private = rsa::RsaPrivateKey::new(&mut rng, 2048)
            .map_err(|e| format!("RSA key generation failed: {e}"))?;
        let der = private
            .to_pkcs1_der()
            .map_err(|e| format!("RSA key encoding failed: {e}"))?;
        let encoding = EncodingKey::from_rsa_der(der.as_bytes());
        let n = URL_SAFE_NO_PAD.encode(private.n().to_bytes_be());
        let e = URL_SAFE_NO_PAD.encode(private.e().to_bytes_be());
        let decoding = DecodingKey::from_rsa_components(&n, &e)
            .map_err(|e| format!("RSA public key unusable: {e}"))?;
        let kid = uuid::Uuid::new_v4().simple().to_string();
        let jwks = serde_json::json!({
            "keys": [{"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256", "n": n, "e": e}]
        });
        Ok(KeyMaterial {
            kid,
            encoding,
            decoding,
            jwks,
        })
    }

    /// The JWKS document (`{"keys":[...]}`) served at `.../connect/jwk_uri`.
    pub fn jwks(&self) -> &serde_json::Value {
        &self.jwks
    }

    /// Signs claims into a compact RS256 JWT with this key's `kid`.
    pub fn sign(&self, claims: &TokenClaims) -> Result<String, ScmSimError> {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding).map_err(|e| ScmSimError::Key {
            message: format!("token signing failed: {e}"),
        })
    }

    /// Verifies signature and claims; expiry is checked against `now` (simulator clock).
    pub fn verify(&self, token: &str, now: i64) -> Result<TokenClaims, TokenRejection> {
        let mut validation = Validation::new(Algorithm::RS256);
        // Expiry is checked against the simulator clock below, audience per client.
        validation.validate_exp = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        let data = jsonwebtoken::decode::<TokenClaims>(token, &self.decoding, &validation)
            .map_err(|_| TokenRejection::Invalid)?;
        if data.claims.iss != ISSUER || data.claims.aud != data.claims.client_id {
            return Err(TokenRejection::Invalid);
        }
        if data.claims.exp <= now {
            return Err(TokenRejection::Expired);
        }
        Ok(data.claims)
    }
}

/// Credentials found in a token request (HTTP Basic or form body).
#[derive(Default)]
pub struct TokenRequest {
    /// `grant_type` form field.
    pub grant_type: Option<String>,
    /// `scope` form field.
    pub scope: Option<String>,
    /// Client id (Basic user name or form `client_id`).
    pub client_id: Option<String>,
    /// Client secret (Basic password or form `client_secret`).
    pub client_secret: Option<String>,
}

impl TokenRequest {
    /// Reads the form body and an optional `Authorization: Basic` header; Basic wins.
    pub fn parse(authorization: Option<&str>, body: &[u8]) -> TokenRequest {
        let mut req = TokenRequest::default();
        for (k, v) in form_urlencoded::parse(body) {
            match k.as_ref() {
                "grant_type" => req.grant_type = Some(v.into_owned()),
                "scope" => req.scope = Some(v.into_owned()),
                "client_id" => req.client_id = Some(v.into_owned()),
                "client_secret" => req.client_secret = Some(v.into_owned()),
                _ => {}
            }
        }
        if let Some(basic) = authorization.and_then(|h| {
            h.strip_prefix("Basic ")
                .or_else(|| h.strip_prefix("basic "))
        }) && let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(basic.trim())
            && let Ok(text) = String::from_utf8(decoded)
            && let Some((user, pass)) = text.split_once(':')
        {
            req.client_id = Some(user.to_string());
            req.client_secret = Some(pass.to_string());
        }
        req
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(exp: i64) -> TokenClaims {
        TokenClaims {
            iss: ISSUER.into(),
            sub: "c".into(),
            aud: "c".into(),
            client_id: "c".into(),
            tsg_id: "1".into(),
            scope: "tsg_id:1".into(),
            iat: 0,
            exp,
            jti: "j".into(),
            seq: 0,
        }
    }

    #[test]
    fn sign_verify_and_expiry() {
        let key = KeyMaterial::shared().unwrap();
        let token = key.sign(&claims(100)).unwrap();
        assert_eq!(key.verify(&token, 50).unwrap().tsg_id, "1");
        assert_eq!(key.verify(&token, 100), Err(TokenRejection::Expired));
        assert_eq!(key.verify("abc.def.ghi", 0), Err(TokenRejection::Invalid));
        let mut forged = token.clone();
        forged.push('x');
        assert_eq!(key.verify(&forged, 0), Err(TokenRejection::Invalid));
    }

    #[test]
    fn token_request_reads_basic_and_form() {
        let basic = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode("id:sec:ret")
        );
        let req = TokenRequest::parse(
            Some(&basic),
            b"grant_type=client_credentials&scope=tsg_id%3A12",
        );
        assert_eq!(req.client_id.as_deref(), Some("id"));
        assert_eq!(req.client_secret.as_deref(), Some("sec:ret"));
        assert_eq!(req.scope.as_deref(), Some("tsg_id:12"));
        let form = TokenRequest::parse(None, b"client_id=a&client_secret=b");
        assert_eq!(form.client_id.as_deref(), Some("a"));
        assert_eq!(form.client_secret.as_deref(), Some("b"));
    }
}
