//! Errors: the simulator's own (`ScmSimError`) and the SCM `_errors` envelope it answers with.

use serde_json::{Map, Value, json};

/// Failures starting or configuring the simulator.
#[derive(Debug, thiserror::Error)]
pub enum ScmSimError {
    /// `--scm-listen` is not HOST:PORT.
    #[error("--scm-listen: '{value}' is not a HOST:PORT address")]
    InvalidListen {
        /// The value given.
        value: String,
    },
    /// `--scm-client` is malformed (the secret is never echoed).
    #[error("--scm-client: {reason}")]
    InvalidClient {
        /// What is wrong.
        reason: String,
    },
    /// A fault rate outside 0..=1.
    #[error("{flag}: {value} is not a fraction between 0 and 1")]
    InvalidRate {
        /// The flag.
        flag: &'static str,
        /// The value given.
        value: f64,
    },
    /// Token lifetime of zero.
    #[error("--scm-token-lifetime-secs must be at least 1")]
    InvalidTokenLifetime,
    /// Binding the listen address failed.
    #[error("SCM simulator cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: std::net::SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
    /// Creating the self-signed certificate or TLS configuration failed.
    #[error("SCM simulator TLS setup failed: {message}")]
    Tls {
        /// Cause.
        message: String,
    },
    /// RSA key generation or token signing failed.
    #[error("SCM simulator signing key: {message}")]
    Key {
        /// Cause.
        message: String,
    },
}

/// An SCM API error: HTTP status plus one `_errors` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// HTTP status.
    pub status: u16,
    /// SCM error code (`E003`, `E005`, ...).
    pub code: String,
    /// SCM message (`Invalid Object`, `Object Not Present`, ...).
    pub message: String,
    /// `details` object (always has `errorType`); boxed to keep `Result<_, ApiError>` small.
    pub details: Box<Map<String, Value>>,
}

impl ApiError {
    /// Builds an error whose `details.errorType` equals the message (as pan-scm-sdk expects).
    pub fn new(status: u16, code: &str, message: &str) -> Self {
        let mut details = Map::new();
        details.insert("errorType".into(), Value::String(message.into()));
        Self {
            status,
            code: code.into(),
            message: message.into(),
            details: Box::new(details),
        }
    }

    /// Adds a detail.
    pub fn with_detail(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.details.insert(key.into(), value.into());
        self
    }

    /// 400 E003 Invalid Object, naming the field and the rule.
    pub fn invalid_object(field: &str, problem: &str) -> Self {
        Self::new(400, "E003", "Invalid Object").with_detail(
            "errors",
            json!([{"type": "Invalid Object", "field": field, "msg": format!("'{field}' {problem}")}]),
        )
    }

    /// 400 E003 with several validation messages.
    pub fn invalid_object_many(problems: Vec<(String, String)>) -> Self {
        let errors: Vec<Value> = problems
            .into_iter()
            .map(|(field, msg)| json!({"type": "Invalid Object", "field": field, "msg": msg}))
            .collect();
        Self::new(400, "E003", "Invalid Object").with_detail("errors", Value::Array(errors))
    }

    /// 400 E003 Invalid Query Parameter.
    pub fn invalid_query(param: &str, problem: &str) -> Self {
        Self::new(400, "E003", "Invalid Query Parameter").with_detail(
            "message",
            format!("Invalid Query Parameter: {param}: {problem}"),
        )
    }

    /// 400 E003 Missing Query Parameter.
    pub fn missing_query(param: &str) -> Self {
        Self::new(400, "E003", "Missing Query Parameter")
            .with_detail("message", format!("Missing Query Parameter: {param}"))
    }

    /// 400 E003 Missing Body.
    pub fn missing_body() -> Self {
        Self::new(400, "E003", "Missing Body")
    }

    /// 400 E003 Malformed Command (body is not JSON).
    pub fn malformed(problem: &str) -> Self {
        Self::new(400, "E003", "Malformed Command").with_detail("message", problem.to_string())
    }

    /// 404 E005 Object Not Present.
    pub fn not_found(resource: &str, id: &str) -> Self {
        Self::new(404, "E005", "Object Not Present")
            .with_detail("message", format!("{resource} '{id}' does not exist"))
    }

    /// 409 E006 Name Not Unique.
    pub fn name_not_unique(resource: &str, name: &str) -> Self {
        Self::new(409, "E006", "Name Not Unique").with_detail(
            "message",
            format!("{resource} named '{name}' already exists in this container"),
        )
    }

    /// 409 E009 Reference Not Zero.
    pub fn reference_not_zero(resource: &str, name: &str) -> Self {
        Self::new(409, "E009", "Reference Not Zero").with_detail(
            "message",
            format!("{resource} '{name}' is still referenced"),
        )
    }

    /// 401 E016 Not Authenticated.
    pub fn not_authenticated(why: &str) -> Self {
        Self::new(401, "E016", "Not Authenticated").with_detail("message", why.to_string())
    }

    /// 401 E016 Key Expired.
    pub fn key_expired() -> Self {
        Self::new(401, "E016", "Key Expired").with_detail("message", "access token expired")
    }

    /// 405 E012 Action Not Supported.
    pub fn action_not_supported(action: &str) -> Self {
        Self::new(405, "E012", "Action Not Supported")
            .with_detail("message", format!("Action Not Supported: {action}"))
    }

    /// 404 for a path the API does not have.
    pub fn unknown_path(path: &str) -> Self {
        Self::new(404, "E005", "Object Not Present")
            .with_detail("message", format!("no SCM API resource at {path}"))
    }

    /// 501 E012 Method Not Supported.
    pub fn method_not_supported(method: &str, path: &str) -> Self {
        Self::new(501, "E012", "Method Not Supported")
            .with_detail("message", format!("{method} is not supported on {path}"))
    }

    /// The error a fault injected with this status answers with.
    pub fn for_status(status: u16) -> Self {
        match status {
            400 => Self::new(400, "E003", "Invalid Command"),
            401 => Self::not_authenticated("injected fault"),
            403 => Self::new(403, "E007", "Unauthorized"),
            404 => Self::new(404, "E005", "Object Not Present"),
            409 => Self::new(409, "E016", "Object Not Unique"),
            429 => Self::new(429, "API_I00429", "Too Many Requests"),
            504 => Self::new(504, "4", "Session Timeout"),
            s => Self::new(s, "E500", "Service Unavailable"),
        }
    }

    /// The JSON envelope.
    pub fn envelope(&self, request_id: &str) -> Value {
        json!({
            "_errors": [{
                "code": self.code,
                "message": self.message,
                "details": self.details,
                "help": "",
            }],
            "_request_id": request_id,
        })
    }
}
