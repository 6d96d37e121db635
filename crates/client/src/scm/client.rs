//! [`ScmClient`]: validated dispatch of catalog operations over HTTP with a shared token.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use panops_scm::{Family, Method, ScmError};
use serde_json::{Value, json};

use super::clock::{Clock, SystemClock};
use super::credentials::ScmCredentials;
use super::dispatch::{self, BuiltRequest, CatalogHandle};
use super::token::{TokenCache, TokenManager};
use crate::http::{HttpOptions, TlsOptions, build_client, transport_kind};
use crate::retry::{
    RetryClass, RetryPolicy, classify_status, classify_transport, parse_retry_after,
};
use panops_scm::auth::{DEFAULT_AUTH_BASE_URL, TOKEN_PATH};
use panops_scm::pagination::{DEFAULT_PAGE_LIMIT, ListPage, PREDEFINED_FOLDERS, with_page};

/// Longest raw body kept in a decode error, or quoted in an API error whose body is not the
/// SCM `_errors` envelope (an HTML page from a proxy, say). `_errors` details are always kept
/// whole: they are what the user needs to fix the request.
const MAX_QUOTED_BODY: usize = 4096;

/// One `{resource, operation, parameters}` action, as in workflow files.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScmAction {
    /// Resource key (`address`, `securityRule`, ...).
    pub resource: String,
    /// Operation (`list`, `create`, `get`, `update`, `delete`, `move`, `push`, ...).
    pub operation: String,
    /// Path, query and body parameters.
    #[serde(default = "empty_object", alias = "params")]
    pub parameters: Value,
    /// API family; the client's default when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family: Option<Family>,
}

fn empty_object() -> Value {
    json!({})
}

impl ScmAction {
    /// An action in the client's default family.
    pub fn new(
        resource: impl Into<String>,
        operation: impl Into<String>,
        parameters: Value,
    ) -> Self {
        ScmAction {
            resource: resource.into(),
            operation: operation.into(),
            parameters,
            family: None,
        }
    }
}

/// Builder of an [`ScmClient`].
pub struct ScmClientBuilder {
    credentials: ScmCredentials,
    family: Family,
    base_url: Option<String>,
    token_url: String,
    http: HttpOptions,
    retry: RetryPolicy,
    refresh_before: Duration,
    clock: Arc<dyn Clock>,
    catalog: Option<CatalogHandle>,
    token_cache: Option<TokenCache>,
}

impl fmt::Debug for ScmClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScmClientBuilder")
            .field("credentials", &self.credentials)
            .field("family", &self.family)
            .field("base_url", &self.base_url)
            .field("token_url", &self.token_url)
            .field("http", &self.http)
            .finish_non_exhaustive()
    }
}

impl ScmClientBuilder {
    /// Default family for calls that do not name one (`sse-v1` unless changed).
    pub fn family(mut self, family: Family) -> Self {
        self.family = family;
        self
    }

    /// API base URL (scheme + host, optionally a port) used for **every** family, e.g. a
    /// regional tenant or a simulator. Without it each family uses its documented host.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into().trim_end_matches('/').to_string());
        self
    }

    /// Full token endpoint URL.
    pub fn token_url(mut self, url: impl Into<String>) -> Self {
        self.token_url = url.into();
        self
    }

    /// Token service base URL; the token path `/oauth2/access_token` is appended.
    pub fn auth_base_url(mut self, url: impl AsRef<str>) -> Self {
        self.token_url = format!("{}{TOKEN_PATH}", url.as_ref().trim_end_matches('/'));
        self
    }

    /// Per-request timeout (default 60 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.http.timeout = timeout;
        self
    }

    /// TLS options (verification is on unless explicitly disabled; extra CA bundle).
    pub fn tls(mut self, tls: TlsOptions) -> Self {
        self.http.tls = tls;
        self
    }

    /// All transport options (TLS, timeouts, proxies, user agent) of the shared
    /// [`crate::http`] module.
    pub fn http_options(mut self, http: HttpOptions) -> Self {
        self.http = http;
        self
    }

    /// Retry policy.
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// How long before expiry a token is replaced (default 5 minutes).
    pub fn refresh_before(mut self, margin: Duration) -> Self {
        self.refresh_before = margin;
        self
    }

    /// Clock used for token expiry (tests pass a [`super::ManualClock`]).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Catalog to dispatch with (default: the committed catalog of `panops-scm`).
    pub fn catalog(mut self, catalog: CatalogHandle) -> Self {
        self.catalog = Some(catalog);
        self
    }

    /// Shares tokens with every client built with the same cache and credential. Without
    /// it, the client (and its clones) has a token of its own.
    pub fn token_cache(mut self, cache: &TokenCache) -> Self {
        self.token_cache = Some(cache.clone());
        self
    }

    /// Validates the credentials and builds the client. No request is sent.
    pub fn build(self) -> Result<ScmClient, ScmError> {
        self.credentials.validate()?;
        let http = build_client(&self.http).map_err(|e| ScmError::Transport {
            operation: "client setup".into(),
            message: e.to_string(),
            source: Some(Box::new(e)),
        })?;
        let catalog = match self.catalog {
            Some(c) => c,
            None => dispatch::default_catalog()?,
        };
        let make = {
            let http = http.clone();
            let token_url = self.token_url.clone();
            let credentials = self.credentials.clone();
            move || {
                TokenManager::new(
                    http,
                    token_url,
                    credentials,
                    self.clock,
                    self.refresh_before,
                )
            }
        };
        let tokens = match &self.token_cache {
            Some(cache) => cache.manager_for(&self.credentials, &self.token_url, make),
            None => Arc::new(make()),
        };
        Ok(ScmClient {
            inner: Arc::new(Inner {
                http,
                family: self.family,
                base_url: self.base_url,
                token_url: self.token_url,
                retry: self.retry,
                tokens,
                catalog,
                max_body_bytes: self.http.max_body_bytes,
            }),
        })
    }
}

struct Inner {
    http: reqwest::Client,
    family: Family,
    base_url: Option<String>,
    token_url: String,
    retry: RetryPolicy,
    tokens: Arc<TokenManager>,
    catalog: CatalogHandle,
    /// Largest reply held in memory ([`HttpOptions::max_body_bytes`]).
    max_body_bytes: usize,
}

/// Client of the Strata Cloud Manager configuration APIs.
///
/// Cheap to clone; clones share the HTTP connection pool and the token, so any number of
/// concurrent workers cause one token request per refresh window.
#[derive(Clone)]
pub struct ScmClient {
    inner: Arc<Inner>,
}

impl fmt::Debug for ScmClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScmClient")
            .field("family", &self.inner.family)
            .field("base_url", &self.inner.base_url)
            .field("token_url", &self.inner.token_url)
            .field("tokens", &self.inner.tokens)
            .finish_non_exhaustive()
    }
}

impl ScmClient {
    /// A builder with the documented defaults: family `sse-v1`, vendor hosts, 60 s timeout,
    /// TLS verification on, tokens refreshed 5 minutes before expiry.
    pub fn builder(credentials: ScmCredentials) -> ScmClientBuilder {
        ScmClientBuilder {
            credentials,
            family: Family::SseV1,
            base_url: None,
            token_url: format!("{DEFAULT_AUTH_BASE_URL}{TOKEN_PATH}"),
            http: HttpOptions {
                timeout: Duration::from_secs(60),
                ..HttpOptions::default()
            },
            retry: RetryPolicy::default(),
            refresh_before: Duration::from_secs(5 * 60),
            clock: Arc::new(SystemClock::new()),
            catalog: None,
            token_cache: None,
        }
    }

    /// The default family.
    pub fn family(&self) -> Family {
        self.inner.family
    }

    /// The token manager shared by every clone of this client.
    pub fn tokens(&self) -> &Arc<TokenManager> {
        &self.inner.tokens
    }

    /// The catalog used for dispatch.
    pub fn catalog(&self) -> &CatalogHandle {
        &self.inner.catalog
    }

    /// The base URL requests of `family` go to.
    pub fn base_url_for(&self, family: Family) -> String {
        match &self.inner.base_url {
            Some(url) => url.clone(),
            None => family.default_host().to_string(),
        }
    }

    /// Validates `params` against the catalog and builds the request, without sending it.
    pub fn build_request(
        &self,
        family: Option<Family>,
        resource: &str,
        operation: &str,
        params: &Value,
    ) -> Result<BuiltRequest, ScmError> {
        let family = family.unwrap_or(self.inner.family);
        check_known_formats(params, "")?;
        dispatch::build(&self.inner.catalog, family, resource, operation, params)
    }

    /// Runs one operation: validate and build from the catalog (nothing is sent on invalid
    /// input), send with the bearer token, retry as [`RetryPolicy`] allows, decode the JSON.
    ///
    /// A DELETE (or a 201/204) without body yields `null`; a 200 without body on any other
    /// method is [`ScmError::EmptyResponse`].
    ///
    /// Retries follow [`crate::retry`], as for PAN-OS: 429 and connections that were never
    /// made for every call; 5xx, timeouts and broken-off exchanges for idempotent calls only
    /// (GET, PUT, DELETE — never POST, which creates, moves or pushes); a rejected TLS
    /// certificate never. A DELETE whose retry answers
    /// 404 after a 5xx or a transport error is reported as done (`null`): the first attempt
    /// most likely deleted the object and only its answer was lost, and the object is gone,
    /// which is what the caller asked for. A 404 on the first attempt is an error as usual.
    pub async fn call(
        &self,
        family: Option<Family>,
        resource: &str,
        operation: &str,
        params: Value,
    ) -> Result<Value, ScmError> {
        let request = self.build_request(family, resource, operation, &params)?;
        let family = family.unwrap_or(self.inner.family);
        self.send(family, resource, operation, &request).await
    }

    /// Runs an [`ScmAction`].
    pub async fn run_action(&self, action: &ScmAction) -> Result<Value, ScmError> {
        self.call(
            action.family,
            &action.resource,
            &action.operation,
            action.parameters.clone(),
        )
        .await
    }

    /// Sends an already built request.
    pub async fn send(
        &self,
        family: Family,
        resource: &str,
        operation: &str,
        request: &BuiltRequest,
    ) -> Result<Value, ScmError> {
        let url = format!("{}{}", self.base_url_for(family), request.path);
        let qualified = format!("{resource}.{operation}");
        // After a 5xx or a transport error the request may have taken effect: only calls
        // that give the same result when repeated (GET, PUT, DELETE) are retried.
        let idempotent = request.is_idempotent();
        let policy = &self.inner.retry;
        let mut attempt: u32 = 0;
        let mut reauthenticated = false;
        // Whether an earlier attempt may have reached the API and acted (5xx, lost answer).
        let mut may_have_acted = false;
        loop {
            attempt += 1;
            let token = self.inner.tokens.token().await?;
            let mut builder = self
                .inner
                .http
                .request(to_reqwest(request.method), &url)
                .bearer_auth(token.expose())
                .header(reqwest::header::ACCEPT, "application/json");
            if !request.query.is_empty() {
                builder = builder.query(&request.query);
            }
            if let Some(body) = &request.body {
                builder = builder.json(body);
            }
            tracing::debug!(method = %request.method, path = %request.path, attempt, operation = %qualified, "SCM request");
            let response = match builder.send().await {
                Ok(r) => r,
                Err(e) => {
                    let class = classify_transport(transport_kind(&e));
                    if policy.should_retry(idempotent, class, attempt) {
                        let wait = policy.delay(attempt, None);
                        tracing::info!(operation = %qualified, attempt, ?class, ?wait, error = %e, "transport error, retrying");
                        may_have_acted |= class.may_have_acted();
                        tokio::time::sleep(wait).await;
                        continue;
                    }
                    return Err(transport_error(&qualified, e));
                }
            };
            let status = response.status().as_u16();
            let retry_after = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(parse_retry_after);
            let body = match crate::http::read_body(response, self.inner.max_body_bytes).await {
                Ok(b) => b,
                Err(crate::http::BodyError::TooLarge { limit }) => {
                    return Err(ScmError::Transport {
                        operation: qualified.to_string(),
                        message: format!(
                            "the reply is larger than the {limit}-byte limit for answers held \
                             in memory (HttpOptions::max_body_bytes)"
                        ),
                        source: None,
                    });
                }
                Err(crate::http::BodyError::Transport(e)) => {
                    // The request was sent and answered: the server may have acted, whatever
                    // broke the body off.
                    let class = match classify_transport(transport_kind(&e)) {
                        RetryClass::NotSent => RetryClass::Transient,
                        other => other,
                    };
                    if policy.should_retry(idempotent, class, attempt) {
                        may_have_acted |= class.may_have_acted();
                        tokio::time::sleep(policy.delay(attempt, None)).await;
                        continue;
                    }
                    return Err(transport_error(&qualified, e));
                }
            };
            tracing::debug!(operation = %qualified, status, bytes = body.len(), "SCM response");
            if status == 401 && !reauthenticated {
                // The token may have been revoked or expired early: fetch a new one, once.
                reauthenticated = true;
                self.inner.tokens.invalidate(&token);
                attempt -= 1;
                continue;
            }
            let class = classify_status(status);
            if policy.should_retry(idempotent, class, attempt) {
                let wait = policy.delay(attempt, retry_after);
                tracing::info!(operation = %qualified, status, attempt, ?wait, "retrying");
                may_have_acted |= class.may_have_acted();
                tokio::time::sleep(wait).await;
                continue;
            }
            if status == 404 && request.method == Method::Delete && may_have_acted {
                tracing::info!(operation = %qualified, attempt,
                    "object already gone after a retried failure: the earlier attempt deleted it");
                return Ok(Value::Null);
            }
            if !(200..300).contains(&status) {
                let mut err = ScmError::api(status, resource, operation, &body);
                if let ScmError::Api(api) = &mut err {
                    api.retry_after = retry_after.map(|d| d.as_secs());
                    if api.errors.is_empty() {
                        // Not an SCM envelope: a proxy's page can be megabytes.
                        truncate(&mut api.details, MAX_QUOTED_BODY);
                    }
                }
                return Err(err);
            }
            if body.iter().all(u8::is_ascii_whitespace) {
                if status == 200 && request.method != Method::Delete {
                    return Err(ScmError::EmptyResponse);
                }
                return Ok(Value::Null);
            }
            return serde_json::from_slice(&body).map_err(|e| ScmError::Decode {
                operation: qualified.clone(),
                reason: format!("response is not JSON: {e}"),
                body: body.iter().take(MAX_QUOTED_BODY).copied().collect(),
            });
        }
    }

    /// Lists every object of `resource`, paging with `limit`/`offset` until a short page (or
    /// `total`) is reached. `params` may set `limit` (page size) and filters such as `folder`.
    pub async fn list_all(&self, resource: &str, params: Value) -> Result<Vec<Value>, ScmError> {
        self.list_all_in(None, resource, params).await
    }

    /// [`ScmClient::list_all`] in a given family.
    pub async fn list_all_in(
        &self,
        family: Option<Family>,
        resource: &str,
        params: Value,
    ) -> Result<Vec<Value>, ScmError> {
        if !matches!(params, Value::Object(_) | Value::Null) {
            return Err(ScmError::ParamsNotObject {
                operation: format!("{resource}.list"),
                got: json_type(&params),
            });
        }
        let limit = params
            .get("limit")
            .and_then(Value::as_u64)
            .filter(|l| *l > 0)
            .unwrap_or(DEFAULT_PAGE_LIMIT);
        let mut offset = params.get("offset").and_then(Value::as_u64).unwrap_or(0);
        let mut items = Vec::new();
        loop {
            let page = self
                .call(family, resource, "list", with_page(&params, limit, offset))
                .await?;
            let page = ListPage::parse(&page).ok_or_else(|| ScmError::Decode {
                operation: format!("{resource}.list"),
                reason: "the list response has neither a data array nor is an array".into(),
                body: page
                    .to_string()
                    .into_bytes()
                    .into_iter()
                    .take(MAX_QUOTED_BODY)
                    .collect(),
            })?;
            let next = page.next_offset(limit, offset);
            items.extend(page.data);
            match next {
                // A server that does not move forward would page forever.
                Some(n) if n > offset => offset = n,
                _ => return Ok(items),
            }
        }
    }

    /// Folder names from the setup API (`folder.list`, v2 family). When the service account
    /// may not list folders (403), the six predefined folders are returned instead, silently.
    pub async fn folders(&self) -> Result<Vec<String>, ScmError> {
        match self
            .list_all_in(Some(Family::V2), "folder", json!({}))
            .await
        {
            Ok(items) => Ok(items
                .iter()
                .filter_map(|f| f.get("name").and_then(Value::as_str).map(str::to_string))
                .collect()),
            Err(e) if e.status() == Some(403) && matches!(e, ScmError::Api(_)) => {
                tracing::debug!("folder listing refused (403); using the predefined folders");
                Ok(PREDEFINED_FOLDERS.iter().map(|f| f.to_string()).collect())
            }
            Err(e) => Err(e),
        }
    }

    /// Runs `actions` with at most `concurrency` in flight, sharing one token. Results come
    /// back in the order of `actions`.
    pub async fn bulk(
        &self,
        actions: Vec<ScmAction>,
        concurrency: usize,
    ) -> Vec<Result<Value, ScmError>> {
        let concurrency = concurrency.max(1);
        futures::stream::iter(actions)
            .map(|action| {
                let client = self.clone();
                async move { client.run_action(&action).await }
            })
            .buffered(concurrency)
            .collect()
            .await
    }
}

fn to_reqwest(method: Method) -> reqwest::Method {
    match method {
        Method::Get => reqwest::Method::GET,
        Method::Post => reqwest::Method::POST,
        Method::Put => reqwest::Method::PUT,
        Method::Patch => reqwest::Method::PATCH,
        Method::Delete => reqwest::Method::DELETE,
    }
}

fn transport_error(operation: &str, e: reqwest::Error) -> ScmError {
    let message = if e.is_timeout() {
        "the request timed out".to_string()
    } else if e.is_connect() {
        "cannot connect to the SCM API".to_string()
    } else {
        "the request failed".to_string()
    };
    ScmError::Transport {
        operation: operation.to_string(),
        message,
        source: Some(Box::new(e)),
    }
}

/// Address fields (`ip_netmask`, `ip_range`, `ip_wildcard`) are bare strings in the SCM
/// specs, which accept `10.0.0.300`; the same checks as on PAN-OS run before sending, at
/// any depth of the parameters.
fn check_known_formats(value: &Value, path: &str) -> Result<(), ScmError> {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                let here = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                if let Value::String(text) = v
                    && let Some(Err(panops_panos::Error::Invalid { reason, .. })) =
                        panops_panos::validate::known_format(key, &here, text)
                {
                    return Err(ScmError::InvalidParameter {
                        field: here,
                        violation: panops_scm::error::Violation::Format { reason },
                    });
                }
                check_known_formats(v, &here)?;
            }
            Ok(())
        }
        Value::Array(items) => items
            .iter()
            .enumerate()
            .try_for_each(|(i, v)| check_known_formats(v, &format!("{path}[{i}]"))),
        _ => Ok(()),
    }
}

pub(crate) fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn truncate(text: &mut String, max: usize) {
    if text.len() > max {
        let mut end = max;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push('…');
    }
}
