//! `type=export`.

use crate::{Result, request::ApiRequest, validate};

/// `type=export&category=configuration`: the running configuration as a `<config>`
/// document (not wrapped in `<response>`). Idempotent.
pub fn configuration() -> ApiRequest {
    ApiRequest::new("export", true).push("category", "configuration")
}

/// `type=export&category=<category>` for other categories (pcaps, certificates, …);
/// add their parameters with [`ApiRequest::with_param`].
pub fn category(category: &str) -> Result<ApiRequest> {
    validate::name("category", category, 63)?;
    Ok(ApiRequest::new("export", true).push("category", category))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_params() {
        assert_eq!(
            configuration().form_body(),
            "type=export&category=configuration"
        );
        assert!(category("").is_err());
    }
}
