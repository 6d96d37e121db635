//! Errors, split by phase: validation (nothing was sent), auth, transport, API, decode.
//!
//! The messages are the ones SCM automation users already know; the client crate constructs
//! the auth/transport/API/decode variants, this crate the validation ones.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;
use std::path::PathBuf;

/// Everything that can go wrong calling an SCM operation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScmError {
    // ---- validation: never sent ----
    /// The resource key is not in the catalog (for this family).
    #[error("unsupported resource: {0}")]
    UnsupportedResource(String),
    /// The resource exists but has no such operation.
    #[error("unsupported operation: {resource}.{operation}")]
    UnsupportedOperation {
        /// Resource key.
        resource: String,
        /// Operation name.
        operation: String,
    },
    /// A credential is missing (`clientId`, `clientSecret` or `tsgId`).
    #[error("{0} is required")]
    MissingCredential(&'static str),
    /// The parameters are not a JSON object.
    #[error("parameters for {operation} must be a JSON object, got {got}")]
    ParamsNotObject {
        /// `<resource>.<operation>`.
        operation: String,
        /// JSON type received.
        got: &'static str,
    },
    /// A required path/query parameter or body field is absent.
    #[error("missing required parameter '{field}'")]
    MissingParameter {
        /// Field path, e.g. `folder`, `source_translation.dynamic_ip.translated_address`.
        field: String,
    },
    /// A parameter or body field the spec does not declare.
    #[error("unknown parameter '{field}' (expected one of: {expected})")]
    UnknownParameter {
        /// Field path.
        field: String,
        /// Comma-separated names accepted at that level.
        expected: String,
    },
    /// A value breaks a constraint of the spec.
    #[error("invalid parameter '{field}': {violation}")]
    InvalidParameter {
        /// Field path.
        field: String,
        /// Which rule, with the offending value.
        violation: Violation,
    },

    // ---- auth ----
    /// The token endpoint answered with an error status.
    #[error("token fetch failed: status={status} body={body}")]
    TokenFetchFailed {
        /// HTTP status.
        status: u16,
        /// Response body as text (the token service never echoes the secret).
        body: String,
    },
    /// The token endpoint could not be reached or gave an unusable answer.
    #[error("failed to obtain access token")]
    TokenUnavailable {
        /// Underlying cause.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },

    // ---- transport ----
    /// The request could not be sent or the response not read.
    #[error("transport error on {operation}: {message}")]
    Transport {
        /// `<resource>.<operation>`.
        operation: String,
        /// What failed.
        message: String,
        /// Underlying cause.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },

    // ---- API ----
    /// The API answered with a non-2xx status (boxed: it carries the parsed `_errors`).
    #[error("{0}")]
    Api(Box<ApiError>),

    // ---- decode ----
    /// A non-DELETE 2xx response had no body.
    #[error("received empty response from API")]
    EmptyResponse,
    /// A 2xx body was not the JSON the operation returns.
    #[error("could not decode response of {operation}: {reason}")]
    Decode {
        /// `<resource>.<operation>`.
        operation: String,
        /// Why.
        reason: String,
        /// Raw body, kept for diagnosis.
        body: Vec<u8>,
    },
}

/// A non-2xx answer: `API error [<status>] on <resource>.<operation>: <_errors verbatim>`.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// HTTP status.
    pub status: u16,
    /// Resource key.
    pub resource: String,
    /// Operation name.
    pub operation: String,
    /// The `_errors` details verbatim (JSON text of the `_errors` array), or the raw body
    /// when it is not an SCM error envelope; empty when there was no body.
    pub details: String,
    /// Parsed `_errors` entries (empty when the body was not an envelope).
    pub errors: Vec<ApiErrorDetail>,
    /// `_request_id`, when present.
    pub request_id: Option<String>,
    /// `Retry-After` seconds, when the server sent one (429/503).
    pub retry_after: Option<u64>,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "API error [{}] on {}.{}",
            self.status, self.resource, self.operation
        )?;
        if !self.details.is_empty() {
            write!(f, ": {}", self.details)?;
        }
        Ok(())
    }
}

impl ScmError {
    /// Builds [`ScmError::Api`] from a status and a raw response body, parsing the `_errors`
    /// envelope when there is one.
    pub fn api(status: u16, resource: &str, operation: &str, body: &[u8]) -> ScmError {
        let envelope = ErrorEnvelope::parse(body);
        let (details, errors, request_id) = match envelope {
            Some(env) => (env.errors_json.clone(), env.errors, env.request_id),
            None => (
                String::from_utf8_lossy(body).trim().to_string(),
                Vec::new(),
                None,
            ),
        };
        ScmError::Api(Box::new(ApiError {
            status,
            resource: resource.to_string(),
            operation: operation.to_string(),
            details,
            errors,
            request_id,
            retry_after: None,
        }))
    }

    /// True when nothing was sent (a validation error).
    pub fn is_validation(&self) -> bool {
        matches!(
            self,
            ScmError::UnsupportedResource(_)
                | ScmError::UnsupportedOperation { .. }
                | ScmError::MissingCredential(_)
                | ScmError::ParamsNotObject { .. }
                | ScmError::MissingParameter { .. }
                | ScmError::UnknownParameter { .. }
                | ScmError::InvalidParameter { .. }
        )
    }

    /// HTTP status of an API error.
    pub fn status(&self) -> Option<u16> {
        match self {
            ScmError::Api(e) => Some(e.status),
            ScmError::TokenFetchFailed { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Whether a retry may succeed: 429 always, 5xx and transport errors when the method is
    /// idempotent.
    pub fn is_retryable(&self, idempotent: bool) -> bool {
        match self {
            ScmError::Api(e) if e.status == 429 => true,
            ScmError::Api(e) => idempotent && (500..600).contains(&e.status),
            ScmError::Transport { .. } => idempotent,
            _ => false,
        }
    }
}

/// The rule a value broke, with the value (secrets are shown as `<redacted>`).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Violation {
    /// Wrong JSON type.
    Type {
        /// Expected type name.
        expected: String,
        /// Rendered value.
        value: String,
    },
    /// String shorter than `minLength`.
    MinLength {
        /// Rendered value.
        value: String,
        /// Bound.
        min: u64,
    },
    /// String longer than `maxLength`.
    MaxLength {
        /// Rendered value.
        value: String,
        /// Bound.
        max: u64,
    },
    /// String does not match the spec's pattern.
    Pattern {
        /// Rendered value.
        value: String,
        /// The pattern as written in the spec.
        pattern: String,
    },
    /// Value not in the enum.
    Enum {
        /// Rendered value.
        value: String,
        /// Allowed values, rendered.
        allowed: String,
    },
    /// Number below `minimum`.
    Minimum {
        /// Rendered value.
        value: String,
        /// Bound.
        min: f64,
    },
    /// Number above `maximum`.
    Maximum {
        /// Rendered value.
        value: String,
        /// Bound.
        max: f64,
    },
    /// Array shorter than `minItems`.
    MinItems {
        /// Actual count.
        count: usize,
        /// Bound.
        min: u64,
    },
    /// Array longer than `maxItems`.
    MaxItems {
        /// Actual count.
        count: usize,
        /// Bound.
        max: u64,
    },
    /// Duplicate array elements where `uniqueItems` is set.
    NotUnique {
        /// Rendered duplicate.
        value: String,
    },
    /// None of an "exactly one of" group's keys is present.
    OneOfMissing {
        /// The alternatives.
        keys: Vec<String>,
    },
    /// Keys of more than one branch of a one-of group are present.
    OneOfConflict {
        /// The keys given.
        present: Vec<String>,
        /// All alternatives.
        keys: Vec<String>,
    },
    /// A string the specs leave free but whose format is known (an address field holding
    /// something that is not an address).
    Format {
        /// What is wrong, with the value and an example of what is accepted.
        reason: String,
    },
    /// Matches none of the allowed type alternatives.
    NoVariant {
        /// Rendered value.
        value: String,
        /// Allowed types.
        expected: String,
    },
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Violation::Format { reason } => f.write_str(reason),
            Violation::Type { expected, value } => {
                write!(f, "value {value} is not of type {expected}")
            }
            Violation::MinLength { value, min } => {
                write!(f, "value {value} is shorter than minLength {min}")
            }
            Violation::MaxLength { value, max } => {
                write!(f, "value {value} is longer than maxLength {max}")
            }
            Violation::Pattern { value, pattern } => {
                write!(f, "value {value} does not match pattern {pattern}")
            }
            Violation::Enum { value, allowed } => {
                write!(f, "value {value} is not one of {allowed}")
            }
            Violation::Minimum { value, min } => {
                write!(f, "value {value} is less than minimum {}", fmt_num(*min))
            }
            Violation::Maximum { value, max } => {
                write!(f, "value {value} is greater than maximum {}", fmt_num(*max))
            }
            Violation::MinItems { count, min } => {
                write!(f, "{count} items given, minItems is {min}")
            }
            Violation::MaxItems { count, max } => {
                write!(f, "{count} items given, maxItems is {max}")
            }
            Violation::NotUnique { value } => {
                write!(f, "value {value} appears more than once (uniqueItems)")
            }
            Violation::OneOfMissing { keys } => {
                write!(
                    f,
                    "exactly one of {} is required, none given",
                    keys.join(", ")
                )
            }
            Violation::OneOfConflict { present, keys } => write!(
                f,
                "only one of {} may be given, got {}",
                keys.join(", "),
                present.join(", ")
            ),
            Violation::NoVariant { value, expected } => {
                write!(
                    f,
                    "value {value} matches none of the allowed types {expected}"
                )
            }
        }
    }
}

pub(crate) fn fmt_num(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// One entry of the SCM `_errors` array.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ApiErrorDetail {
    /// Error code (`E003`, `E005`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Message (`Object Not Present`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Details: an object (sse) or a string/object (v2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<Value>,
    /// Help link or text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

/// The SCM error body `{"_errors": [...], "_request_id": "..."}`.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorEnvelope {
    /// Parsed entries.
    pub errors: Vec<ApiErrorDetail>,
    /// The `_errors` array re-serialised compactly, key order preserved (verbatim content).
    pub errors_json: String,
    /// `_request_id`.
    pub request_id: Option<String>,
}

impl ErrorEnvelope {
    /// Parses an error body; `None` when it is not JSON with an `_errors` array.
    pub fn parse(body: &[u8]) -> Option<ErrorEnvelope> {
        let value: Value = serde_json::from_slice(body).ok()?;
        let raw = value.get("_errors")?;
        let list = raw.as_array()?;
        let errors = list
            .iter()
            .map(|e| serde_json::from_value::<ApiErrorDetail>(e.clone()).unwrap_or_default())
            .collect();
        let request_id = value
            .get("_request_id")
            .and_then(Value::as_str)
            .map(str::to_string);
        Some(ErrorEnvelope {
            errors,
            errors_json: raw.to_string(),
            request_id,
        })
    }

    /// Builds the JSON body a server sends (used by the simulator).
    pub fn to_json(errors: &[ApiErrorDetail], request_id: &str) -> Value {
        serde_json::json!({ "_errors": errors, "_request_id": request_id })
    }
}

/// Failures loading or generating a catalog.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CatalogError {
    /// A file or directory could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// Path.
        path: PathBuf,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// A spec file is not valid YAML.
    #[error("cannot parse {path}: {source}")]
    Yaml {
        /// Path.
        path: PathBuf,
        /// Cause.
        #[source]
        source: serde_yaml::Error,
    },
    /// A catalog JSON document is malformed.
    #[error("cannot parse catalog JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// A `$ref` points nowhere (or outside the file).
    #[error("{file}: unresolvable $ref '{reference}' at {location}")]
    BadRef {
        /// Spec file.
        file: String,
        /// The reference.
        reference: String,
        /// JSON pointer-ish location of the reference.
        location: String,
    },
    /// The directory holds no OpenAPI files in `sse-v1/` or `v2/`.
    #[error("no OpenAPI spec files found under {0} (expected sse-v1/*.yaml and/or v2/*.yaml)")]
    NoSpecs(PathBuf),
    /// Two operations map to the same family/resource/operation.
    #[error(
        "{family} {resource}.{operation} derived twice: {first} and {second} (naming rule collision)"
    )]
    Duplicate {
        /// Family.
        family: String,
        /// Resource key.
        resource: String,
        /// Operation name.
        operation: String,
        /// First `METHOD path` (file).
        first: String,
        /// Second `METHOD path` (file).
        second: String,
    },
    /// The spec is structurally unusable.
    #[error("{file}: {reason}")]
    Invalid {
        /// Spec file.
        file: String,
        /// Why.
        reason: String,
    },
}
