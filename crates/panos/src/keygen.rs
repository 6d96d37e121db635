//! `type=keygen`: trade a username and password for an API key.

use crate::{error::Result, request::ApiRequest, secret::Secret, validate};

/// Build `type=keygen&user=…&password=…`. Always sent as a POST body (the password
/// never goes into a URL); marked idempotent because a retry only re-issues a key.
pub fn keygen(user: &str, password: &Secret) -> Result<ApiRequest> {
    validate::name("user", user, 255)?;
    if password.is_empty() {
        return Err(crate::Error::invalid("password", "must not be empty"));
    }
    Ok(ApiRequest::new("keygen", true)
        .push("user", user)
        .push_secret("password", password.clone()))
}

/// Build `type=version` (cheap identification: sw-version, model, serial, multi-vsys).
pub fn version() -> ApiRequest {
    ApiRequest::new("version", true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keygen_params() {
        let r = keygen("admin", &Secret::new("s3cr&t")).unwrap();
        assert_eq!(r.form_body(), "type=keygen&user=admin&password=s3cr%26t");
        assert!(r.is_idempotent());
        assert!(!format!("{r:?}").contains("s3cr"));
        assert_eq!(r.summary(), "type=keygen");
        assert!(keygen("", &Secret::new("x")).is_err());
        assert!(keygen("a", &Secret::new("")).is_err());
        assert_eq!(version().form_body(), "type=version");
    }
}
