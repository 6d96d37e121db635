//! The error messages users already know, and the `_errors` envelope.

use panops_scm::{ErrorEnvelope, ScmError};

#[test]
fn api_error_appends_errors_verbatim() {
    let body = br#"{"_errors":[{"code":"E006","message":"Name Not Unique","details":{"errorType":"Object Already Exists"}}],"_request_id":"abcd-1234"}"#;
    let e = ScmError::api(409, "address", "create", body);
    assert_eq!(
        e.to_string(),
        r#"API error [409] on address.create: [{"code":"E006","message":"Name Not Unique","details":{"errorType":"Object Already Exists"}}]"#
    );
    match &e {
        ScmError::Api(api) => {
            assert_eq!(api.errors[0].code.as_deref(), Some("E006"));
            assert_eq!(api.errors[0].message.as_deref(), Some("Name Not Unique"));
            assert_eq!(api.request_id.as_deref(), Some("abcd-1234"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(e.status(), Some(409));
    assert!(!e.is_retryable(true));
}

#[test]
fn api_error_without_envelope_keeps_raw_body() {
    let e = ScmError::api(502, "tag", "list", b"Bad Gateway\n");
    assert_eq!(e.to_string(), "API error [502] on tag.list: Bad Gateway");
    assert!(e.is_retryable(true));
    assert!(!e.is_retryable(false));
    let e = ScmError::api(500, "tag", "list", b"");
    assert_eq!(e.to_string(), "API error [500] on tag.list");
    assert!(ScmError::api(429, "tag", "create", b"").is_retryable(false));
}

#[test]
fn fixed_messages() {
    assert_eq!(
        ScmError::EmptyResponse.to_string(),
        "received empty response from API"
    );
    assert_eq!(
        ScmError::TokenUnavailable { source: None }.to_string(),
        "failed to obtain access token"
    );
    assert_eq!(
        ScmError::TokenFetchFailed {
            status: 401,
            body: "invalid_client".into()
        }
        .to_string(),
        "token fetch failed: status=401 body=invalid_client"
    );
    assert_eq!(
        ScmError::MissingCredential("tsgId").to_string(),
        "tsgId is required"
    );
}

#[test]
fn envelope_round_trip() {
    let details = vec![panops_scm::ApiErrorDetail {
        code: Some("E005".into()),
        message: Some("Object Not Present".into()),
        details: None,
        help: None,
    }];
    let v = ErrorEnvelope::to_json(&details, "r-1");
    let parsed = ErrorEnvelope::parse(v.to_string().as_bytes()).unwrap();
    assert_eq!(parsed.errors, details);
    assert_eq!(parsed.request_id.as_deref(), Some("r-1"));
    assert!(ErrorEnvelope::parse(b"[]").is_none());
    assert!(ErrorEnvelope::parse(b"not json").is_none());
}
