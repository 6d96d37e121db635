//! HTTP layer: token service, JWKS, fault injection, authentication and dispatch of API calls
//! to the sans-IO [`TenantState`].

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use parking_lot::{Mutex, RwLock};
use rand::Rng as _;
use serde_json::{Map, Value, json};

use crate::auth::{ISSUER, KeyMaterial, TokenClaims, TokenRejection, TokenRequest};
use crate::config::{ClientCredential, FaultConfig};
use crate::errors::ApiError;
use crate::routes::{ApiFamily, Lookup, PathShape, RouteDef, RouteTable, parse_path};
use crate::store::{Container, ListFilter, MoveRequest, Rulebase, TenantState};
use crate::time::SimClock;

/// Checks requests against an operation's declared constraints (the catalog supplies one).
pub trait RequestValidator: Send + Sync {
    /// Problems of a JSON body as `(field, message)` pairs; empty when valid.
    fn validate_body(&self, op_index: usize, body: &Value) -> Vec<(String, String)>;
    /// The problem with one query parameter value, if any.
    fn validate_query(&self, op_index: usize, name: &str, value: &str) -> Option<String>;
}

/// A shared request validator.
pub type Validator = Arc<dyn RequestValidator>;

/// One API request as seen by the simulator (no headers, no secrets).
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedRequest {
    /// HTTP method.
    pub method: String,
    /// Path.
    pub path: String,
    /// Query string (no secrets travel in SCM queries).
    pub query: String,
    /// Response status.
    pub status: u16,
    /// Client id of the bearer token, when authenticated.
    pub client_id: Option<String>,
    /// Catalog operation (`address.create`), when known.
    pub operation: Option<String>,
}

const REQUEST_LOG_LIMIT: usize = 20_000;

/// State shared by the server tasks and the test handle.
pub struct Shared {
    pub(crate) clients: Vec<ClientCredential>,
    pub(crate) key: Arc<KeyMaterial>,
    pub(crate) clock: SimClock,
    /// The tenant: reads (lists, gets, jobs, versions) share it, so they never wait for one
    /// another, only for a write in progress.
    pub(crate) tenant: RwLock<TenantState>,
    pub(crate) faults: Mutex<FaultConfig>,
    pub(crate) injected: Mutex<VecDeque<u16>>,
    /// Statuses that replace the answer of the next API calls *after* they took effect (a
    /// response lost on the way back: the change landed, the client sees a 5xx).
    pub(crate) injected_after: Mutex<VecDeque<u16>>,
    /// API requests being served right now, and the most seen at once.
    pub(crate) in_flight: AtomicU64,
    pub(crate) max_in_flight: AtomicU64,
    pub(crate) token_issued: AtomicU64,
    pub(crate) token_refused: AtomicU64,
    pub(crate) token_seq: AtomicU64,
    pub(crate) min_valid_seq: AtomicU64,
    pub(crate) token_lifetime_secs: AtomicU64,
    pub(crate) push_duration_ms: AtomicU64,
    pub(crate) log: Mutex<VecDeque<RecordedRequest>>,
    pub(crate) routes: RouteTable,
    pub(crate) validator: Option<Validator>,
    pub(crate) request_seq: AtomicU64,
}

/// Token endpoint paths served (docs, AuthService.yaml, pan-scm-sdk default).
pub const TOKEN_PATHS: [&str; 3] = [
    "/oauth2/access_token",
    "/auth/v1/oauth2/access_token",
    "/am/oauth2/access_token",
];

/// Builds the router.
pub fn router(shared: Arc<Shared>) -> Router {
    let mut r = Router::new();
    for path in TOKEN_PATHS {
        r = r.route(path, post(token));
        let dir = path.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
        r = r.route(&format!("{dir}/connect/jwk_uri"), get(jwks));
    }
    r = r.route(
        "/auth/v1/oauth2/userinfo",
        get(userinfo_get).post(userinfo_post),
    );
    r.fallback(api).with_state(shared)
}

/// `GET /auth/v1/oauth2/userinfo` with a Bearer token (AuthService.yaml).
async fn userinfo_get(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    latency(&shared).await;
    match authenticate(&shared, &headers) {
        Ok(claims) => json_response(200, userinfo(&claims)),
        Err(e) => json_response(e.status, e.envelope("userinfo")),
    }
}

/// `POST /auth/v1/oauth2/userinfo` with form field `access_token`.
async fn userinfo_post(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    latency(&shared).await;
    let token = form_urlencoded::parse(&body)
        .find(|(k, _)| k == "access_token")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    match shared.key.verify(&token, shared.clock.now_unix()) {
        Ok(claims) if claims.seq >= shared.min_valid_seq.load(Ordering::Relaxed) => {
            json_response(200, userinfo(&claims))
        }
        _ => oauth_error(
            401,
            "invalid_token",
            "the access token is invalid or expired",
        ),
    }
}

fn userinfo(claims: &TokenClaims) -> Value {
    let name = claims.client_id.split('@').next().unwrap_or_default();
    json!({
        "sub": claims.client_id,
        "name": name,
        "given_name": name,
        "family_name": "",
        "email": claims.client_id,
    })
}

async fn jwks(State(shared): State<Arc<Shared>>) -> Response {
    latency(&shared).await;
    json_response(200, shared.key.jwks().clone())
}

fn oauth_error(status: u16, error: &str, description: &str) -> Response {
    json_response(
        status,
        json!({"error": error, "error_description": description}),
    )
}

async fn token(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    latency(&shared).await;
    let auth = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let req = TokenRequest::parse(auth, &body);
    let refuse = |resp: Response| {
        shared.token_refused.fetch_add(1, Ordering::Relaxed);
        tracing::info!(
            "SCM token refused for client_id={} -> {}",
            req.client_id.as_deref().unwrap_or("-"),
            resp.status().as_u16()
        );
        resp
    };
    if req.grant_type.as_deref() != Some("client_credentials") {
        return refuse(oauth_error(
            400,
            "unsupported_grant_type",
            "grant_type must be client_credentials",
        ));
    }
    let (Some(id), Some(secret)) = (&req.client_id, &req.client_secret) else {
        return refuse(oauth_error(
            401,
            "invalid_client",
            "client authentication failed: no client credentials",
        ));
    };
    let Some(client) = shared
        .clients
        .iter()
        .find(|c| &c.client_id == id && c.client_secret() == secret)
    else {
        return refuse(oauth_error(
            401,
            "invalid_client",
            "client authentication failed",
        ));
    };
    let expected = format!("tsg_id:{}", client.tsg_id);
    let scope = match req.scope.as_deref() {
        Some(s) if s.split_whitespace().any(|p| p == expected) => expected.clone(),
        Some(_) => {
            return refuse(oauth_error(
                400,
                "invalid_scope",
                "the service account has no role in the requested tsg_id",
            ));
        }
        None => {
            return refuse(oauth_error(
                400,
                "invalid_request",
                "scope tsg_id:<TSG_ID> is required",
            ));
        }
    };
    let now = shared.clock.now_unix();
    let lifetime = shared.token_lifetime_secs.load(Ordering::Relaxed) as i64;
    let claims = TokenClaims {
        iss: ISSUER.into(),
        sub: client.client_id.clone(),
        aud: client.client_id.clone(),
        client_id: client.client_id.clone(),
        tsg_id: client.tsg_id.clone(),
        scope: scope.clone(),
        iat: now,
        exp: now + lifetime,
        jti: uuid::Uuid::new_v4().to_string(),
        seq: shared.token_seq.fetch_add(1, Ordering::Relaxed),
    };
    match shared.key.sign(&claims) {
        Ok(token) => {
            shared.token_issued.fetch_add(1, Ordering::Relaxed);
            tracing::info!(
                "SCM token issued to client_id={} tsg_id={}",
                claims.client_id,
                claims.tsg_id
            );
            json_response(
                200,
                json!({
                    "access_token": token,
                    "token_type": "bearer",
                    "expires_in": lifetime,
                    "scope": scope,
                }),
            )
        }
        Err(e) => refuse(oauth_error(500, "server_error", &e.to_string())),
    }
}

async fn latency(shared: &Shared) {
    let ms = shared.faults.lock().latency_ms;
    if ms > 0 {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
}

fn json_response(status: u16, body: Value) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut resp = (status, body.to_string()).into_response();
    resp.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

/// Fault chosen for one API call.
enum Fault {
    None,
    TooMany(u64),
    Unavailable(u16),
}

fn pick_fault(shared: &Shared) -> Fault {
    if let Some(status) = shared.injected.lock().pop_front() {
        let retry_after = shared.faults.lock().retry_after_secs;
        return if status == 429 {
            Fault::TooMany(retry_after)
        } else {
            Fault::Unavailable(status)
        };
    }
    let f = shared.faults.lock().clone();
    if f.rate_429 <= 0.0 && f.rate_5xx <= 0.0 {
        return Fault::None;
    }
    let roll: f64 = rand::thread_rng().r#gen();
    if roll < f.rate_429 {
        Fault::TooMany(f.retry_after_secs)
    } else if roll < f.rate_429 + f.rate_5xx {
        Fault::Unavailable(503)
    } else {
        Fault::None
    }
}

async fn api(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let _in_flight = InFlight::enter(&shared);
    latency(&shared).await;
    // the tenant store is behind a lock and a list can be large: the handler and the
    // serialisation of its answer run on the blocking pool, never on the async workers that
    // accept other clients' requests
    let sh = shared.clone();
    match tokio::task::spawn_blocking(move || respond(&sh, method, uri, headers, body)).await {
        Ok(resp) => resp,
        Err(e) => {
            tracing::error!("SCM simulator handler failed: {e}");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error\n").into_response()
        }
    }
}

/// Everything after the injected latency: the handler, lost-response faults, the request
/// log and the serialised body (synchronous: it runs on the blocking pool).
fn respond(shared: &Shared, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let request_id = format!(
        "sim-{:08x}",
        shared.request_seq.fetch_add(1, Ordering::Relaxed)
    );
    let path = uri.path().to_string();
    let query = uri.query().unwrap_or("").to_string();
    let outcome = handle_api(shared, &method, &path, &query, &headers, &body);
    // A lost response: the call took effect, the client gets an error status instead.
    let outcome = match outcome {
        Outcome::Ok {
            status,
            body,
            client_id,
            operation,
        } => match shared.injected_after.lock().pop_front() {
            Some(lost) => Outcome::Err {
                error: ApiError::for_status(lost),
                client_id,
                operation,
                retry_after: None,
            },
            None => Outcome::Ok {
                status,
                body,
                client_id,
                operation,
            },
        },
        other => other,
    };
    let (status, body, client_id, operation, extra_headers) = match outcome {
        Outcome::Ok {
            status,
            body,
            client_id,
            operation,
        } => (status, body, client_id, operation, None),
        Outcome::Err {
            error,
            client_id,
            operation,
            retry_after,
        } => (
            error.status,
            Some(error.envelope(&request_id)),
            client_id,
            operation,
            retry_after,
        ),
    };
    // One line per API call, as the PAN-OS simulator logs; never headers or bodies (tokens,
    // secrets), and SCM queries carry none.
    tracing::info!(
        "SCM {method} {path}{}{query} -> {status} ({})",
        if query.is_empty() { "" } else { "?" },
        operation.as_deref().unwrap_or("-")
    );
    {
        let mut log = shared.log.lock();
        if log.len() >= REQUEST_LOG_LIMIT {
            log.pop_front();
        }
        log.push_back(RecordedRequest {
            method: method.to_string(),
            path,
            query,
            status,
            client_id,
            operation,
        });
    }
    let mut resp = match body {
        Some(b) => json_response(status, b),
        None => StatusCode::from_u16(status)
            .unwrap_or(StatusCode::OK)
            .into_response(),
    };
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        resp.headers_mut().insert("x-request-id", v);
    }
    if let Some(secs) = extra_headers
        && let Ok(v) = HeaderValue::from_str(&secs.to_string())
    {
        resp.headers_mut().insert(http::header::RETRY_AFTER, v);
    }
    resp
}

/// Counts an API request as in flight until dropped, keeping the high-water mark.
struct InFlight<'a>(&'a Shared);

impl<'a> InFlight<'a> {
    fn enter(shared: &'a Shared) -> Self {
        let now = shared.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        shared.max_in_flight.fetch_max(now, Ordering::SeqCst);
        InFlight(shared)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

enum Outcome {
    Ok {
        status: u16,
        body: Option<Value>,
        client_id: Option<String>,
        operation: Option<String>,
    },
    Err {
        error: ApiError,
        client_id: Option<String>,
        operation: Option<String>,
        retry_after: Option<u64>,
    },
}

fn err(error: ApiError) -> Outcome {
    Outcome::Err {
        error,
        client_id: None,
        operation: None,
        retry_after: None,
    }
}

/// Query parameters, first value wins.
struct Query(Vec<(String, String)>);

impl Query {
    fn parse(q: &str) -> Self {
        Query(
            form_urlencoded::parse(q.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }
    fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
    fn number(&self, key: &str, default: usize) -> Result<usize, ApiError> {
        match self.get(key) {
            None => Ok(default),
            Some(v) => v
                .parse::<f64>()
                .ok()
                .filter(|n| n.is_finite() && *n >= 0.0 && n.fract() == 0.0)
                .map(|n| n as usize)
                .ok_or_else(|| {
                    ApiError::invalid_query(key, &format!("'{v}' is not a non-negative integer"))
                }),
        }
    }
}

fn authenticate(shared: &Shared, headers: &HeaderMap) -> Result<TokenClaims, ApiError> {
    let value = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| ApiError::not_authenticated("Authorization: Bearer <token> is required"))?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .ok_or_else(|| ApiError::not_authenticated("Authorization must use the Bearer scheme"))?;
    let claims = shared
        .key
        .verify(token.trim(), shared.clock.now_unix())
        .map_err(|r| match r {
            TokenRejection::Expired => ApiError::key_expired(),
            TokenRejection::Invalid => ApiError::not_authenticated("invalid access token"),
        })?;
    if claims.seq < shared.min_valid_seq.load(Ordering::Relaxed) {
        return Err(ApiError::key_expired());
    }
    Ok(claims)
}

fn handle_api(
    shared: &Shared,
    method: &Method,
    path: &str,
    query: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Outcome {
    match pick_fault(shared) {
        Fault::None => {}
        Fault::TooMany(secs) => {
            return Outcome::Err {
                error: ApiError::for_status(429),
                client_id: None,
                operation: None,
                retry_after: Some(secs),
            };
        }
        Fault::Unavailable(status) => {
            return err(ApiError::for_status(status));
        }
    }
    let claims = match authenticate(shared, headers) {
        Ok(c) => c,
        Err(e) => return err(e),
    };
    let client_id = Some(claims.client_id.clone());
    let Some(shape) = parse_path(path) else {
        return Outcome::Err {
            error: ApiError::unknown_path(path),
            client_id,
            operation: None,
            retry_after: None,
        };
    };
    // Every request must name a catalog operation: nothing is served by path shape alone.
    let route = match shared.routes.lookup(method.as_str(), path) {
        Lookup::Found(r) => r,
        Lookup::WrongMethod => {
            return Outcome::Err {
                error: ApiError::method_not_supported(method.as_str(), path),
                client_id,
                operation: None,
                retry_after: None,
            };
        }
        Lookup::Unknown => {
            return Outcome::Err {
                error: ApiError::unknown_path(path),
                client_id,
                operation: None,
                retry_after: None,
            };
        }
    };
    let operation = Some(format!("{}.{}", route.resource, route.operation));
    let q = Query::parse(query);
    if let Err(error) = check_query(shared, route, method, &q) {
        return Outcome::Err {
            error,
            client_id,
            operation,
            retry_after: None,
        };
    }
    let ctx = Ctx {
        shared,
        method,
        shape: &shape,
        route,
        query: &q,
        body,
        claims: &claims,
    };
    match dispatch(&ctx) {
        // The answer is what the store holds and the server assigned; nothing is filled in
        // from the catalog (conformance is checked against the vendor specs, and would
        // prove nothing if the reply were completed from the same schemas).
        Ok((status, body)) => Outcome::Ok {
            status,
            body,
            client_id,
            operation,
        },
        Err(error) => Outcome::Err {
            error,
            client_id,
            operation,
            retry_after: None,
        },
    }
}

const CONTAINERS: [&str; 3] = ["folder", "snippet", "device"];

/// Declared query parameters are validated; required ones must be present. A required
/// container (folder/snippet/device) is satisfied by any one of the three, and for requests
/// with a body it may travel in the body instead (checked on create).
fn check_query(
    shared: &Shared,
    route: &RouteDef,
    method: &Method,
    q: &Query,
) -> Result<(), ApiError> {
    for (name, value) in &q.0 {
        if route.query_params.iter().any(|(n, _)| n == name)
            && let Some(validator) = &shared.validator
            && let Some(problem) = validator.validate_query(route.op_index, name, value)
        {
            return Err(ApiError::invalid_query(name, &problem));
        }
    }
    for (name, required) in &route.query_params {
        if !required || q.get(name).is_some() {
            continue;
        }
        if CONTAINERS.contains(&name.as_str()) {
            let bodyless = matches!(*method, Method::GET | Method::DELETE);
            if bodyless && !CONTAINERS.iter().any(|c| q.get(c).is_some()) {
                return Err(ApiError::missing_query(name));
            }
            continue;
        }
        return Err(ApiError::missing_query(name));
    }
    Ok(())
}

fn container_required(route: &RouteDef) -> bool {
    route
        .query_params
        .iter()
        .any(|(n, req)| *req && CONTAINERS.contains(&n.as_str()))
}

struct Ctx<'a> {
    shared: &'a Shared,
    method: &'a Method,
    shape: &'a PathShape,
    route: &'a RouteDef,
    query: &'a Query,
    body: &'a [u8],
    claims: &'a TokenClaims,
}

type Reply = Result<(u16, Option<Value>), ApiError>;

impl Ctx<'_> {
    fn json_body(&self) -> Result<Map<String, Value>, ApiError> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            // An operation whose body has no required field accepts an empty request.
            return if self.route.body_required {
                Err(ApiError::missing_body())
            } else {
                Ok(Map::new())
            };
        }
        match serde_json::from_slice::<Value>(self.body) {
            // Clients send unset optional fields as null (pan-scm-sdk update models);
            // the API treats them as absent.
            Ok(Value::Object(mut m)) => {
                strip_nulls(&mut m);
                Ok(m)
            }
            Ok(_) => Err(ApiError::malformed("request body must be a JSON object")),
            Err(e) => Err(ApiError::malformed(&format!(
                "request body is not valid JSON: {e}"
            ))),
        }
    }

    fn validate(&self, body: &Map<String, Value>) -> Result<(), ApiError> {
        if let Some(validator) = &self.shared.validator {
            let problems =
                validator.validate_body(self.route.op_index, &Value::Object(body.clone()));
            if !problems.is_empty() {
                return Err(ApiError::invalid_object_many(problems));
            }
        }
        Ok(())
    }

    fn success(&self, default: u16) -> u16 {
        self.route.success_status.unwrap_or(default)
    }

    fn is_sse(&self) -> bool {
        self.shape.family == ApiFamily::Sse
    }

    /// Whether the operation takes a folder / snippet / device (query or body).
    fn declares_container(&self) -> bool {
        let r = self.route;
        r.query_params
            .iter()
            .any(|(n, _)| CONTAINERS.contains(&n.as_str()))
            || r.body_props
                .iter()
                .any(|p| CONTAINERS.contains(&p.as_str()))
    }

    fn is_setup(&self) -> bool {
        matches!(&self.shape.family, ApiFamily::V2 { area } if area == "setup")
    }

    fn container_from(
        &self,
        body: Option<&Map<String, Value>>,
    ) -> Result<Option<Container>, ApiError> {
        let mut found = Vec::new();
        for key in ["folder", "snippet", "device"] {
            let from_body = body
                .and_then(|b| b.get(key))
                .and_then(Value::as_str)
                .map(str::to_string);
            let value = from_body.or_else(|| self.query.get(key).map(str::to_string));
            if let Some(v) = value {
                if v.is_empty() {
                    return Err(ApiError::invalid_query(key, "must not be empty"));
                }
                found.push(match key {
                    "folder" => Container::Folder(v),
                    "snippet" => Container::Snippet(v),
                    _ => Container::Device(v),
                });
            }
        }
        if found.len() > 1 {
            return Err(ApiError::invalid_object(
                "folder",
                "exactly one of folder, snippet or device may be given",
            ));
        }
        Ok(found.pop())
    }

    fn is_rule_stem(&self) -> bool {
        self.shape.stem.ends_with("-rules") || self.shared.routes.stem_has_move(&self.shape.stem)
    }

    fn rulebase(&self) -> Result<Option<Rulebase>, ApiError> {
        if !self.is_rule_stem() {
            return Ok(None);
        }
        match self.query.get("position") {
            None => Ok(Some(Rulebase::Pre)),
            Some(p) => Rulebase::parse(p).map(Some).ok_or_else(|| {
                ApiError::invalid_query("position", &format!("must be pre or post (got '{p}')"))
            }),
        }
    }

    fn envelope(&self, items: Vec<Value>, bare_array: bool) -> Reply {
        let limit = self.query.number("limit", 200)?;
        let offset = self.query.number("offset", 0)?;
        let total = items.len();
        let page: Vec<Value> = items.into_iter().skip(offset).take(limit).collect();
        if bare_array {
            return Ok((200, Some(Value::Array(page))));
        }
        Ok((
            200,
            Some(json!({"data": page, "limit": limit, "offset": offset, "total": total})),
        ))
    }
}

fn strip_nulls(map: &mut Map<String, Value>) {
    map.retain(|_, v| !v.is_null());
    for v in map.values_mut() {
        if let Value::Object(inner) = v {
            strip_nulls(inner);
        }
    }
}

fn dispatch(ctx: &Ctx<'_>) -> Reply {
    match ctx.shape.stem.as_str() {
        "jobs" => jobs(ctx),
        "config-versions" => config_versions(ctx),
        "snapshots" => ctx.envelope(Vec::new(), false),
        "folders" if ctx.is_setup() => folders(ctx),
        _ => generic(ctx),
    }
}

fn jobs(ctx: &Ctx<'_>) -> Reply {
    if ctx.method != Method::GET {
        return Err(ApiError::method_not_supported(ctx.method.as_str(), "jobs"));
    }
    let shared = ctx.shared;
    let duration = shared.push_duration_ms.load(Ordering::Relaxed);
    let (now_ms, now_unix) = (shared.clock.now_ms(), shared.clock.now_unix());
    let tenant = shared.tenant.read();
    match &ctx.shape.id {
        Some(id) => {
            let job = tenant
                .jobs
                .iter()
                .find(|j| j.id.to_string() == *id)
                .ok_or_else(|| ApiError::not_found("job", id))?;
            Ok((
                200,
                Some(json!({"data": [job.to_json(now_ms, now_unix, duration, false)]})),
            ))
        }
        None => {
            let items = tenant
                .jobs
                .iter()
                .rev()
                .map(|j| j.to_json(now_ms, now_unix, duration, true))
                .collect();
            ctx.envelope(items, false)
        }
    }
}

fn config_versions(ctx: &Ctx<'_>) -> Reply {
    let shared = ctx.shared;
    let shape = ctx.shape;
    let m = ctx.method;
    match (
        m,
        shape.sub.as_deref(),
        shape.id.as_deref(),
        shape.action.as_deref(),
    ) {
        (&Method::POST, Some("candidate"), None, Some("push")) => {
            // Not checked against the catalog: the v2 spec names the property `folder` but
            // requires `folders`, and real clients (pan-scm-sdk) send `folders`.
            let body = ctx.json_body()?;
            let folders: Vec<String> = body
                .get("folders")
                .or_else(|| body.get("folder"))
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default();
            let admin = body
                .get("admin")
                .and_then(Value::as_array)
                .and_then(|a| a.first())
                .and_then(Value::as_str)
                .map(str::to_string)
                .unwrap_or_else(|| ctx.claims.client_id.clone());
            let description = body
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let id = shared.tenant.write().push(
                folders,
                admin,
                description,
                shared.clock.now_unix(),
                shared.clock.now_ms(),
            )?;
            Ok((
                ctx.success(201),
                Some(json!({
                    "success": true,
                    "job_id": id.to_string(),
                    "message": format!("CommitAndPush job enqueued with jobid {id}"),
                })),
            ))
        }
        (&Method::POST, None, None, Some("load")) => {
            let body = ctx.json_body()?;
            ctx.validate(&body)?;
            let version = body
                .get("version")
                .and_then(|v| {
                    v.as_u64().or_else(|| {
                        v.as_str()
                            .and_then(|s| s.trim_start_matches('v').parse().ok())
                    })
                })
                .ok_or_else(|| {
                    ApiError::invalid_object("version", "is required (a version number)")
                })?;
            shared.tenant.write().load_version(version)?;
            Ok((
                ctx.success(201),
                Some(json!({"success": true, "version": version})),
            ))
        }
        (&Method::DELETE, Some("candidate"), None, None) => {
            shared.tenant.write().rollback_candidate();
            Ok((ctx.success(200), Some(json!({"success": true}))))
        }
        (&Method::GET, Some("running"), None, None) => {
            let items = shared.tenant.read().running_versions();
            ctx.envelope(items, ctx.is_sse())
        }
        (&Method::GET, None, Some(version), None) => {
            let tenant = shared.tenant.read();
            let v = tenant
                .versions
                .iter()
                .find(|v| v.id.to_string() == version.trim_start_matches('v'))
                .ok_or_else(|| ApiError::not_found("config-versions", version))?;
            Ok((200, Some(TenantState::version_json(v))))
        }
        (&Method::GET, None, None, None) => {
            let items = shared
                .tenant
                .read()
                .versions
                .iter()
                .rev()
                .map(TenantState::version_json)
                .collect();
            ctx.envelope(items, ctx.is_sse())
        }
        _ => Err(ApiError::method_not_supported(
            m.as_str(),
            "config-versions",
        )),
    }
}

fn folders(ctx: &Ctx<'_>) -> Reply {
    match (ctx.method, &ctx.shape.id) {
        (&Method::GET, None) => {
            let items = ctx.shared.tenant.read().list_folders(ctx.query.get("name"));
            ctx.envelope(items, false)
        }
        (&Method::GET, Some(id)) => Ok((200, Some(ctx.shared.tenant.read().get_folder(id)?))),
        _ => folders_write(ctx),
    }
}

fn folders_write(ctx: &Ctx<'_>) -> Reply {
    let mut tenant = ctx.shared.tenant.write();
    match (ctx.method, &ctx.shape.id) {
        (&Method::POST, None) => {
            let body = ctx.json_body()?;
            ctx.validate(&body)?;
            Ok((ctx.success(201), Some(tenant.create_folder(body)?)))
        }
        (&Method::PUT, Some(id)) => {
            let body = ctx.json_body()?;
            Ok((200, Some(tenant.update_folder(id, body)?)))
        }
        (&Method::DELETE, Some(id)) => Ok((200, Some(tenant.delete_folder(id)?))),
        _ => Err(ApiError::method_not_supported(
            ctx.method.as_str(),
            "folders",
        )),
    }
}

/// The query parameter keying a collection-level update/delete: the catalog's first required
/// key parameter (`name`, `host_id`, ...), else `name` when given.
fn collection_key(ctx: &Ctx<'_>) -> Option<(String, String)> {
    ctx.route
        .key_params
        .iter()
        .map(String::as_str)
        .chain(std::iter::once("name"))
        .find_map(|k| ctx.query.get(k).map(|v| (k.to_string(), v.to_string())))
}

fn is_singleton(ctx: &Ctx<'_>) -> bool {
    let r = ctx.route;
    r.operation == "get" || (r.operation == "update" && !r.template.contains('{'))
}

/// Operations whose body is a JSON array (e.g. subscribed-tenants): validated and
/// acknowledged; they hold no simulated state.
fn array_body(ctx: &Ctx<'_>) -> Option<Reply> {
    let route = Some(ctx.route).filter(|r| r.body_is_array)?;
    let empty = ctx.body.iter().all(u8::is_ascii_whitespace);
    let parsed = if empty && !route.body_required {
        Ok(Value::Array(Vec::new()))
    } else {
        serde_json::from_slice(ctx.body)
    };
    let value: Value = match parsed {
        Ok(v @ Value::Array(_)) => v,
        Ok(_) => return None,
        Err(e) => {
            return Some(Err(ApiError::malformed(&format!(
                "request body is not valid JSON: {e}"
            ))));
        }
    };
    if let Some(validator) = &ctx.shared.validator {
        let problems = validator.validate_body(route.op_index, &value);
        if !problems.is_empty() {
            return Some(Err(ApiError::invalid_object_many(problems)));
        }
    }
    // Declared to answer with an object (subscribed-tenants): the items are acknowledged.
    let reply = if route.object_response {
        json!({})
    } else {
        value
    };
    Some(Ok((ctx.success(200), Some(reply))))
}

/// A generated certificate is stored as the certificate the API then lists: the request's
/// key choice (`algorithm: {rsa_number_of_bits: 2048}`) becomes the certificate's algorithm
/// name, and it gets a subject, an issuer (itself, or the signing CA) and a validity period.
fn describe_generated_certificate(body: &mut Map<String, Value>, now_unix: i64) {
    let Some(Value::Object(algorithm)) = body.get("algorithm") else {
        return;
    };
    let name = if algorithm.contains_key("ecdsa_number_of_bits") {
        "ECDSA"
    } else {
        "RSA"
    };
    body.insert("algorithm".into(), Value::String(name.into()));
    let cn = body
        .get("common_name")
        .and_then(Value::as_str)
        .unwrap_or("panops-sim")
        .to_string();
    let subject = format!("/CN={cn}");
    let issuer = body
        .get("signed_by")
        .and_then(Value::as_str)
        .map(|ca| format!("/CN={ca}"))
        .unwrap_or_else(|| subject.clone());
    let days = body
        .get("day_till_expiration")
        .and_then(Value::as_i64)
        .unwrap_or(365);
    let not_after = now_unix + days * 86_400;
    for (k, v) in [
        ("subject", Value::String(subject.clone())),
        ("subject_int", Value::String(subject)),
        ("issuer", Value::String(issuer)),
        (
            "not_valid_before",
            Value::String(crate::time::format_rfc3339(now_unix)),
        ),
        (
            "not_valid_after",
            Value::String(crate::time::format_rfc3339(not_after)),
        ),
        ("expiry_epoch", Value::String(not_after.to_string())),
    ] {
        body.entry(k).or_insert(v);
    }
}

fn is_rule_move(ctx: &Ctx<'_>) -> bool {
    // A rule move body has a `rulebase`; the other `:move` (mobile-agent authentication
    // settings) is not modelled.
    ctx.route.body_props.iter().any(|p| p == "rulebase")
}

fn generic(ctx: &Ctx<'_>) -> Reply {
    let stem = ctx.shape.stem.as_str();
    let shared = ctx.shared;
    if let Some(reply) = array_body(ctx) {
        return reply;
    }
    match (
        ctx.method,
        ctx.shape.id.as_deref(),
        ctx.shape.action.as_deref(),
    ) {
        (&Method::GET, None, None) => {
            if is_singleton(ctx) {
                return Ok((200, Some(shared.tenant.read().singleton(stem))));
            }
            let container = if ctx.is_setup() && !ctx.declares_container() {
                None
            } else {
                ctx.container_from(None)?
            };
            let tenant = shared.tenant.read();
            if let Some(c) = &container {
                tenant.check_container(c)?;
            }
            let filter = ListFilter {
                container,
                rulebase: ctx.rulebase()?,
                name: ctx.query.get("name").map(str::to_string),
            };
            let items = tenant.list(stem, &filter);
            drop(tenant);
            if let Some(name) = &filter.name
                && !ctx.is_sse()
                && !ctx.route.bare_array
            {
                // The v2 API answers a name lookup with the object itself (pan-scm-sdk `fetch`).
                return items
                    .into_iter()
                    .next()
                    .map(|o| (200, Some(o)))
                    .ok_or_else(|| ApiError::not_found(stem, name));
            }
            let bare = ctx.route.bare_array;
            ctx.envelope(items, bare)
        }
        (&Method::POST, None, None) | (&Method::POST, None, Some("import")) => {
            if stem == "mobile-agent/enable" {
                // Enabling GlobalProtect is a switch: the status `GET .../enable` reports.
                let mut state = Map::new();
                state.insert("enabled".into(), Value::Bool(true));
                shared.tenant.write().put_singleton(stem, state);
                return Ok((ctx.success(201), None));
            }
            let mut body = ctx.json_body()?;
            // Setup objects live outside folders, except those whose operations declare a
            // container (variables are defined in a folder, snippet or device).
            let container = if ctx.is_setup() && !ctx.declares_container() {
                None
            } else {
                ctx.container_from(Some(&body))?
            };
            if container.is_none() && container_required(ctx.route) {
                return Err(ApiError::missing_query("folder"));
            }
            // A container given only as query parameter counts as the body's when the body
            // declares it (v2 bodies carry folder/snippet/device).
            if let Some(c) = &container {
                let (key, value) = c.key_value();
                if !body.contains_key(key) && ctx.route.body_props.iter().any(|p| p == key) {
                    body.insert(key.to_string(), Value::String(value.to_string()));
                }
            }
            ctx.validate(&body)?;
            let rulebase = ctx.rulebase()?;
            // Server-assigned fields and the request schema's defaults are stored with the
            // object, so that a later get answers the same.
            for (key, value) in ctx
                .route
                .server_fields
                .iter()
                .chain(&ctx.route.create_defaults)
            {
                body.entry(key.clone()).or_insert_with(|| value.clone());
            }
            if stem == "certificates" {
                describe_generated_certificate(&mut body, shared.clock.now_unix());
            }
            if !body.contains_key("name") && shared.routes.keyed_by_undeclared_name(stem) {
                // Updated and deleted by `?name=`, but the spec's body has no `name`: the
                // object is named after the query's `name`, or else its id, so that a client
                // can find it in a list and address it.
                let id_name = ctx
                    .query
                    .get("name")
                    .map(str::to_string)
                    .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
                body.insert("name".into(), Value::String(id_name));
            }
            let created = shared
                .tenant
                .write()
                .create(stem, container, rulebase, body)?;
            Ok((ctx.success(201), Some(created)))
        }
        (&Method::PUT, None, None) => {
            let body = ctx.json_body()?;
            ctx.validate(&body)?;
            if let Some((key, value)) = collection_key(ctx) {
                let container = ctx.container_from(None)?;
                let updated = shared.tenant.write().update_by_key(
                    stem,
                    &key,
                    &value,
                    container.as_ref(),
                    body,
                )?;
                return Ok((ctx.success(200), Some(updated)));
            }
            let mut tenant = shared.tenant.write();
            // No key in the query (the v2 mobile-agent PUTs): the body's `name` says which
            // object of the collection is meant; a stem without objects is a singleton.
            if let Some(name) = body.get("name").and_then(Value::as_str).map(str::to_string)
                && !tenant.candidate.collection(stem).is_empty()
            {
                let container = ctx.container_from(None)?;
                let updated =
                    tenant.update_by_key(stem, "name", &name, container.as_ref(), body)?;
                return Ok((ctx.success(200), Some(updated)));
            }
            Ok((ctx.success(200), Some(tenant.put_singleton(stem, body))))
        }
        (&Method::DELETE, None, None) => {
            let Some((key, value)) = collection_key(ctx) else {
                // Singleton resources are deleted as a whole; a collection needs to be told
                // which object (its `name` is optional in some specs).
                let mut tenant = shared.tenant.write();
                let named = tenant
                    .candidate
                    .collection(stem)
                    .iter()
                    .any(|o| o.body.contains_key("name"));
                if ctx.route.key_params.is_empty() && !named {
                    // Unnamed settings objects (ssl-decryption-settings): the container's go.
                    let container = ctx.container_from(None)?;
                    let mut removed = tenant.delete_unnamed(stem, container.as_ref());
                    let single = tenant.delete_singleton(stem);
                    if removed.is_empty() {
                        return Ok((ctx.success(200), Some(single)));
                    }
                    let body = if removed.len() == 1 {
                        removed.pop().unwrap_or(Value::Null)
                    } else {
                        Value::Array(removed)
                    };
                    return Ok((ctx.success(200), Some(body)));
                }
                return Err(ApiError::missing_query("name"));
            };
            let container = ctx.container_from(None)?;
            // A repeated key (`deleteByName?name=a&name=b`) deletes each object, all or none.
            let values: Vec<&str> = ctx
                .query
                .0
                .iter()
                .filter(|(k, _)| *k == key)
                .map(|(_, v)| v.as_str())
                .collect();
            let mut tenant = shared.tenant.write();
            let before = tenant.clone();
            let mut removed = Vec::new();
            for v in if values.is_empty() {
                vec![value.as_str()]
            } else {
                values
            } {
                match tenant.delete_by_key(stem, &key, v, container.as_ref()) {
                    Ok(r) => removed.push(r),
                    Err(e) => {
                        *tenant = before;
                        return Err(e);
                    }
                }
            }
            let body = if removed.len() == 1 {
                removed.pop().unwrap_or(Value::Null)
            } else {
                Value::Array(removed)
            };
            Ok((ctx.success(200), Some(body)))
        }
        (&Method::GET, Some(id), None) => Ok((200, Some(shared.tenant.read().get(stem, id)?))),
        (&Method::PUT, Some(id), None) => {
            let mut body = ctx.json_body()?;
            let mut tenant = shared.tenant.write();
            // Validate the object as it will be stored: clients send partial bodies without
            // the container (pan-scm-sdk drops `folder` on update).
            let mut merged = match tenant.get(stem, id)? {
                Value::Object(m) => m,
                _ => Map::new(),
            };
            // Only keys the operation's body declares (sse bodies have no container key).
            let props = &ctx.route.body_props;
            // A fetched object sent back carries its location, which an sse PUT does not
            // declare: accepted when it names where the object is; an update cannot move it.
            for key in CONTAINERS {
                if props.iter().any(|x| x == key) {
                    continue;
                }
                if let Some(given) = body.remove(key) {
                    let current = merged.get(key).cloned().unwrap_or(Value::Null);
                    if given != current {
                        return Err(ApiError::invalid_object(
                            key,
                            &format!(
                                "is {current} for this object, not {given}: an update cannot move an object"
                            ),
                        ));
                    }
                }
            }
            merged.retain(|k, _| {
                matches!(k.as_str(), "folder" | "snippet" | "device" | "name")
                    && props.iter().any(|x| x == k)
            });
            merged.extend(body.clone());
            ctx.validate(&merged)?;
            let updated = tenant.update(stem, id, body)?;
            Ok((ctx.success(200), Some(updated)))
        }
        (&Method::DELETE, Some(id), None) => Ok((
            ctx.success(200),
            Some(shared.tenant.write().delete(stem, id)?),
        )),
        (&Method::POST, Some(id), Some("move")) if is_rule_move(ctx) => {
            let body = ctx.json_body()?;
            ctx.validate(&body)?;
            let destination = body
                .get("destination")
                .and_then(Value::as_str)
                .ok_or_else(|| ApiError::invalid_object("destination", "is required"))?
                .to_string();
            let rulebase = match body.get("rulebase").and_then(Value::as_str) {
                Some(r) => Rulebase::parse(r).ok_or_else(|| {
                    ApiError::invalid_object(
                        "rulebase",
                        &format!("must be pre or post (got '{r}')"),
                    )
                })?,
                None => return Err(ApiError::invalid_object("rulebase", "is required")),
            };
            let mv = MoveRequest {
                destination,
                rulebase,
                destination_rule: body
                    .get("destination_rule")
                    .and_then(Value::as_str)
                    .map(str::to_string),
            };
            let moved = shared.tenant.write().move_rule(stem, id, &mv)?;
            Ok((ctx.success(200), Some(moved)))
        }
        (&Method::POST, _, Some(action)) => {
            // Other custom verbs (snippet snapshots, shared-snippet load, certificate
            // export, the mobile-agent settings `:move`) have no model here: they are
            // refused with the API's own error rather than acknowledged without effect.
            Err(ApiError::action_not_supported(action))
        }
        _ => Err(ApiError::method_not_supported(ctx.method.as_str(), stem)),
    }
}
