//! The PAN-OS / Panorama XML API client.
//!
//! Every method builds a request with `panops-panos` (validated, sans-IO), sends it
//! as a `POST` to `/api/` with the key in the `X-PAN-KEY` header (never in the URL or
//! body; only the keygen POST body carries the username and password), and decodes
//! the answer into a typed value.

mod config;
mod jobs;
mod objects;

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use bytes::Bytes;
pub use config::{Auth, ClientConfig, ClientConfigBuilder, Protocol};
pub use jobs::{ProgressFn, WaitOptions};
pub use objects::{BULK_DELETE_MAX_XPATH, BULK_SET_MAX_BYTES, Objects, Typed};
use panops_panos::{
    ApiRequest, CommitOutcome, Job, LogResult, Response, Secret, VersionInfo,
    commit::{Commit, CommitAll},
    config::{MultiConfig, Where},
    import::Import,
    log::LogQuery,
    userid::{UidBatch, UidMessage},
};
use reqwest::header::{CONTENT_DISPOSITION, CONTENT_TYPE, HeaderValue};
use tracing::{debug, info, trace};

use crate::{
    error::{Error, Result},
    http::{self, Redactor, TransportKind, transport_kind},
    retry::{RetryClass, classify_status, classify_transport},
};

/// Name of the header that carries the API key.
pub const KEY_HEADER: &str = "X-PAN-KEY";

/// An HTTP answer before decoding.
#[derive(Debug, Clone)]
pub struct RawReply {
    /// HTTP status.
    pub status: u16,
    /// `Content-Type`, if any.
    pub content_type: Option<String>,
    /// `Content-Disposition`, if any (file exports).
    pub content_disposition: Option<String>,
    /// The server's `Retry-After` (seconds), if any: a throttling proxy or a busy
    /// management server in front of the XML API says when to come back.
    pub retry_after: Option<Duration>,
    /// Body.
    pub body: Bytes,
}

/// An exported document or file.
#[derive(Debug, Clone)]
pub struct Export {
    /// `Content-Type` of the answer.
    pub content_type: Option<String>,
    /// File name from `Content-Disposition`, if any.
    pub file_name: Option<String>,
    /// Content, byte for byte.
    pub content: Bytes,
}

struct Inner {
    config: ClientConfig,
    http: reqwest::Client,
    url: String,
    key: tokio::sync::Mutex<Option<Secret>>,
    redactor: Mutex<Redactor>,
}

/// An async PAN-OS / Panorama client. Cheap to clone; clones share the connection
/// pool and the cached API key.
///
/// ```no_run
/// # async fn demo() -> Result<(), panops_client::Error> {
/// use panops_client::panos::{ClientConfig, PanosClient};
/// let client = PanosClient::new(
///     ClientConfig::builder("fw.example").credentials("admin", "secret").build()?,
/// )?;
/// let xp = "/config/shared/address";
/// client.config_set(xp, r#"<entry name="web"><ip-netmask>10.0.0.1</ip-netmask></entry>"#).await?;
/// let job = client.commit_and_wait(&Default::default(), Default::default()).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct PanosClient {
    inner: Arc<Inner>,
    target: Option<String>,
}

impl std::fmt::Debug for PanosClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PanosClient")
            .field("url", &self.inner.url)
            .field("config", &self.inner.config)
            .field("target", &self.target)
            .finish()
    }
}

/// A key that cannot travel in a header is a setting error, found before anything is sent.
fn check_key_header(key: &Secret) -> Result<()> {
    match HeaderValue::from_str(key.expose()) {
        Ok(_) => Ok(()),
        Err(_) => Err(Error::Config {
            field: "api_key".into(),
            reason: "contains characters not allowed in an HTTP header".into(),
        }),
    }
}

fn write_error(e: std::io::Error) -> Error {
    Error::Write {
        what: "exported document",
        source: e,
    }
}

/// `Retry-After` in seconds, parsed by the one retry module (clamped there; an HTTP-date
/// falls back to backoff).
fn retry_after(resp: &reqwest::Response) -> Option<Duration> {
    resp.headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(crate::retry::parse_retry_after)
}

fn header_str(resp: &reqwest::Response, name: reqwest::header::HeaderName) -> Option<String> {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

impl PanosClient {
    /// Create a client (no request is sent until first use).
    pub fn new(config: ClientConfig) -> Result<Self> {
        config.validate()?;
        let http = http::build_client(&config.http)?;
        let mut redactor = Redactor::new();
        let key = match &config.auth {
            Auth::ApiKey(k) => {
                redactor.add(k.expose());
                Some(k.clone())
            }
            Auth::Password { password, .. } => {
                redactor.add(password.expose());
                None
            }
        };
        Ok(Self {
            inner: Arc::new(Inner {
                url: config.url(),
                config,
                http,
                key: tokio::sync::Mutex::new(key),
                redactor: Mutex::new(redactor),
            }),
            target: None,
        })
    }

    /// The settings.
    pub fn settings(&self) -> &ClientConfig {
        &self.inner.config
    }

    /// The API URL.
    pub fn url(&self) -> &str {
        &self.inner.url
    }

    /// A client that redirects every request through this Panorama to the firewall
    /// `serial` (`target=`), sharing the connection pool and key.
    pub fn with_target(&self, serial: &str) -> Result<Self> {
        panops_panos::validate::serial("target", serial)?;
        Ok(Self {
            inner: Arc::clone(&self.inner),
            target: Some(serial.to_owned()),
        })
    }

    fn redactor(&self) -> Redactor {
        self.inner
            .redactor
            .lock()
            .map(|r| r.clone())
            .unwrap_or_default()
    }

    /// Scrub known secrets from `text` (for logs and error messages).
    pub fn redact(&self, text: &str) -> String {
        self.redactor().redact(text)
    }

    fn redact_error(&self, e: Error) -> Error {
        match e {
            Error::Api(mut a) => {
                let r = self.redactor();
                for m in &mut a.messages {
                    *m = r.redact(m);
                }
                Error::Api(a)
            }
            Error::Decode(mut d) => {
                d.reason = self.redactor().redact(&d.reason);
                Error::Decode(d)
            }
            other => other,
        }
    }

    // ---- authentication -------------------------------------------------------

    /// Generate a new API key with the configured username and password, cache it
    /// and return it. Keygen is a POST; the password travels only in its body.
    ///
    /// Note: on PAN-OS, a new keygen for a user ends that user's existing API sessions.
    pub async fn keygen(&self) -> Result<Secret> {
        let mut slot = self.inner.key.lock().await;
        self.keygen_locked(&mut slot).await
    }

    async fn keygen_locked(&self, slot: &mut Option<Secret>) -> Result<Secret> {
        let Auth::Password { user, password } = &self.inner.config.auth else {
            return Err(Error::Config {
                field: "auth".into(),
                reason: "keygen needs username and password credentials".into(),
            });
        };
        debug!(user = %user, "PAN-OS keygen");
        let req = panops_panos::keygen::keygen(user, password)?;
        let reply = self.send(&req, None).await?;
        let key = self.parse(&reply)?.key()?;
        if let Ok(mut r) = self.inner.redactor.lock() {
            r.add(key.expose());
        }
        *slot = Some(key.clone());
        Ok(key)
    }

    /// The API key: the configured one, the cached one, or a new one from keygen.
    pub async fn api_key(&self) -> Result<Secret> {
        let mut slot = self.inner.key.lock().await;
        if let Some(k) = slot.as_ref() {
            return Ok(k.clone());
        }
        self.keygen_locked(&mut slot).await
    }

    async fn forget_key(&self, stale: &Secret) {
        let mut slot = self.inner.key.lock().await;
        if slot.as_ref() == Some(stale) {
            *slot = None;
        }
    }

    // ---- transport ---------------------------------------------------------------

    fn apply_defaults(&self, req: &ApiRequest) -> Result<ApiRequest> {
        let mut req = req.clone();
        let target = self.target.as_ref().or(self.inner.config.target.as_ref());
        if let Some(t) = target
            && req.param("target").is_none()
            && !matches!(req.request_type(), "keygen" | "log")
        {
            req = req.with_target(t)?;
        }
        if let Some(v) = &self.inner.config.vsys
            && req.param("vsys").is_none()
            && matches!(req.request_type(), "user-id" | "import")
        {
            req = req.with_vsys(v)?;
        }
        Ok(req)
    }

    fn request_builder(&self, req: &ApiRequest, key: Option<&Secret>) -> reqwest::RequestBuilder {
        let mut builder = self.inner.http.post(&self.inner.url);
        if let Some(key) = key {
            // Validated in `send`, so this cannot fail here.
            if let Ok(mut value) = HeaderValue::from_str(key.expose()) {
                value.set_sensitive(true);
                builder = builder.header(KEY_HEADER, value);
            }
        }
        match req.file() {
            Some(file) => {
                let mut form = reqwest::multipart::Form::new();
                for (k, v) in req.params() {
                    form = form.text(k.clone(), v.expose().to_owned());
                }
                let part = reqwest::multipart::Part::bytes(file.content.clone())
                    .file_name(file.file_name.clone());
                builder.multipart(form.part("file", part))
            }
            None => builder
                .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(req.form_body()),
        }
    }

    async fn send_once(
        &self,
        req: &ApiRequest,
        key: Option<&Secret>,
    ) -> std::result::Result<RawReply, http::BodyError> {
        let builder = self.request_builder(req, key);
        let resp = builder.send().await.map_err(http::BodyError::Transport)?;
        let status = resp.status().as_u16();
        let content_type = header_str(&resp, CONTENT_TYPE);
        let content_disposition = header_str(&resp, CONTENT_DISPOSITION);
        let retry_after = retry_after(&resp);
        let body = http::read_body(resp, self.inner.config.http.max_body_bytes).await?;
        Ok(RawReply {
            status,
            content_type,
            content_disposition,
            retry_after,
            body,
        })
    }

    /// Send with retries: transport failures and HTTP 5xx are retried with backoff
    /// for idempotent requests only.
    async fn send(&self, req: &ApiRequest, key: Option<&Secret>) -> Result<RawReply> {
        if let Some(k) = key {
            check_key_header(k)?;
        }
        let policy = &self.inner.config.retry;
        let summary = req.summary();
        let mut attempt = 1;
        loop {
            let started = Instant::now();
            debug!(request = %summary, attempt, "PAN-OS request");
            let (class, outcome) = match self.send_once(req, key).await {
                Ok(reply) => {
                    debug!(
                        request = %summary,
                        status = reply.status,
                        bytes = reply.body.len(),
                        elapsed_ms = started.elapsed().as_millis() as u64,
                        "PAN-OS response"
                    );
                    if tracing::enabled!(tracing::Level::TRACE) {
                        let text =
                            String::from_utf8_lossy(&reply.body[..reply.body.len().min(2048)]);
                        trace!(body = %self.redact(&text), "PAN-OS response body");
                    }
                    if reply.status < 400 {
                        return Ok(reply);
                    }
                    (classify_status(reply.status), Ok(reply))
                }
                Err(http::BodyError::TooLarge { limit }) => {
                    return Err(Error::TooLarge {
                        host: self.inner.config.host.clone(),
                        limit,
                    });
                }
                Err(http::BodyError::Transport(e)) => {
                    let kind = transport_kind(&e);
                    debug!(request = %summary, attempt, error = %e, "PAN-OS transport failure");
                    // A change whose exchange broke off after it was sent is not resent;
                    // the user must learn that it may have been applied.
                    let maybe_applied = !req.is_idempotent()
                        && matches!(kind, TransportKind::Interrupted | TransportKind::Timeout);
                    (
                        classify_transport(kind),
                        Err(Error::Transport {
                            host: self.inner.config.host.clone(),
                            kind,
                            attempts: attempt,
                            cause: e,
                            maybe_applied,
                        }),
                    )
                }
            };
            if !policy.should_retry(req.is_idempotent(), class, attempt) {
                if class != RetryClass::Permanent && !req.is_idempotent() {
                    debug!(request = %summary, "not retrying a non-idempotent request");
                }
                return outcome;
            }
            let delay = policy.delay(attempt, outcome.as_ref().ok().and_then(|r| r.retry_after));
            info!(request = %summary, attempt, delay_ms = delay.as_millis() as u64, "retrying PAN-OS request");
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }

    fn parse(&self, reply: &RawReply) -> Result<Response> {
        Response::parse(reply.status, &reply.body).map_err(|e| {
            let e = match (e, &reply.content_type) {
                // What the server said it sent helps tell a login page from a cut reply.
                (panops_panos::Error::Decode(mut d), Some(ct)) => {
                    d.reason = format!("{} (HTTP {}, content type {ct})", d.reason, reply.status);
                    panops_panos::Error::Decode(d)
                }
                (e, _) => e,
            };
            self.redact_error(e.into())
        })
    }

    /// Send any request (defaults such as `target` applied, key attached) and return
    /// the undecoded answer. If the device says the key expired or is invalid and the
    /// client holds credentials, a new key is generated and the request sent once more.
    pub async fn execute_raw(&self, req: &ApiRequest) -> Result<RawReply> {
        let req = self.apply_defaults(req)?;
        if req.request_type() == "keygen" {
            return self.send(&req, None).await;
        }
        let can_rekey = matches!(self.inner.config.auth, Auth::Password { .. });
        let mut rekeyed = false;
        loop {
            let key = self.api_key().await?;
            let reply = self.send(&req, Some(&key)).await?;
            if can_rekey && !rekeyed && self.is_auth_problem(&reply) {
                debug!("API key rejected; generating a new one");
                self.forget_key(&key).await;
                rekeyed = true;
                continue;
            }
            return Ok(reply);
        }
    }

    /// Send any request and decode the answer; device errors become [`Error::Api`].
    pub async fn execute(&self, req: &ApiRequest) -> Result<Response> {
        let reply = self.execute_raw(req).await?;
        self.parse(&reply)
    }

    // ---- op ------------------------------------------------------------------------

    /// Run an op command given as CLI text (`show system info`) or XML.
    pub async fn op(&self, cmd: &str) -> Result<Response> {
        self.execute(&panops_panos::op::op(cmd)?).await
    }

    /// `type=version`.
    pub async fn version(&self) -> Result<VersionInfo> {
        Ok(self
            .execute(&panops_panos::keygen::version())
            .await?
            .version_info()?)
    }

    // ---- config --------------------------------------------------------------------

    /// Candidate configuration at `xpath` (code 7 → empty result, not an error).
    pub async fn config_get(&self, xpath: &str) -> Result<Response> {
        self.execute(&panops_panos::config::get(xpath)?).await
    }

    /// Running configuration at `xpath` ("No such node" → [`Error::Api`] with
    /// `is_not_found()`).
    pub async fn config_show(&self, xpath: &str) -> Result<Response> {
        self.execute(&panops_panos::config::show(xpath)?).await
    }

    /// Merge `element` into `xpath`.
    pub async fn config_set(&self, xpath: &str, element: &str) -> Result<Response> {
        self.execute(&panops_panos::config::set(xpath, element)?)
            .await
    }

    /// Replace the node at `xpath`.
    pub async fn config_edit(&self, xpath: &str, element: &str) -> Result<Response> {
        self.execute(&panops_panos::config::edit(xpath, element)?)
            .await
    }

    /// Delete the node at `xpath`.
    pub async fn config_delete(&self, xpath: &str) -> Result<Response> {
        self.execute(&panops_panos::config::delete(xpath)?).await
    }

    /// Rename the entry at `xpath`.
    pub async fn config_rename(&self, xpath: &str, new_name: &str) -> Result<Response> {
        self.execute(&panops_panos::config::rename(xpath, new_name)?)
            .await
    }

    /// Clone the entry at `from` into parent `xpath` as `new_name`.
    pub async fn config_clone(&self, xpath: &str, from: &str, new_name: &str) -> Result<Response> {
        self.execute(&panops_panos::config::clone(xpath, from, new_name)?)
            .await
    }

    /// Move the entry at `xpath`.
    pub async fn config_move(&self, xpath: &str, position: &Where) -> Result<Response> {
        self.execute(&panops_panos::config::move_entry(xpath, position)?)
            .await
    }

    /// Override template values at `xpath`.
    pub async fn config_override(&self, xpath: &str, element: &str) -> Result<Response> {
        self.execute(&panops_panos::config::override_template(xpath, element)?)
            .await
    }

    /// One transactional multi-config.
    pub async fn multi_config(&self, batch: &MultiConfig, strict: bool) -> Result<Response> {
        self.execute(&batch.request(strict)?).await
    }

    /// Send a large multi-config as several transactional chunks, in order; stops at
    /// the first failing chunk (earlier chunks stay applied to the candidate).
    pub async fn multi_config_chunked(
        &self,
        batch: &MultiConfig,
        strict: bool,
        max_ops: usize,
        max_bytes: usize,
    ) -> Result<Vec<Response>> {
        let mut out = Vec::new();
        for chunk in batch.chunks(max_ops, max_bytes) {
            out.push(self.multi_config(&chunk, strict).await?);
        }
        Ok(out)
    }

    // ---- commit --------------------------------------------------------------------

    /// Commit (firewall or Panorama-local).
    pub async fn commit(&self, commit: &Commit) -> Result<CommitOutcome> {
        Ok(self.execute(&commit.request()?).await?.commit_outcome())
    }

    /// Panorama push (commit-all).
    pub async fn commit_all(&self, push: &CommitAll) -> Result<CommitOutcome> {
        Ok(self.execute(&push.request()?).await?.commit_outcome())
    }

    /// Commit and wait for the job; `None` when there was nothing to commit.
    pub async fn commit_and_wait(
        &self,
        commit: &Commit,
        wait: WaitOptions<'_>,
    ) -> Result<Option<Job>> {
        match self.commit(commit).await? {
            CommitOutcome::Enqueued { job_id, .. } => self.wait_job(job_id, wait).await.map(Some),
            _ => Ok(None),
        }
    }

    /// Push and wait for the job including every device result; `None` when no job
    /// was created.
    pub async fn commit_all_and_wait(
        &self,
        push: &CommitAll,
        wait: WaitOptions<'_>,
    ) -> Result<Option<Job>> {
        match self.commit_all(push).await? {
            CommitOutcome::Enqueued { job_id, .. } => self.wait_job(job_id, wait).await.map(Some),
            _ => Ok(None),
        }
    }

    // ---- User-ID ---------------------------------------------------------------------

    /// Send one uid-message. Per-entry answers that only say a tag "already exists,
    /// ignore" or "does not exist, ignore unreg" count as success (as in
    /// pan-os-python); the response still lists them in `entry_errors()`.
    pub async fn user_id(&self, message: &UidMessage) -> Result<Response> {
        let reply = self.execute_raw(&message.request()?).await?;
        match Response::decode(reply.status, &reply.body) {
            Ok(resp)
                if resp.is_error()
                    && reply.status < 400
                    && !resp.entry_errors().is_empty()
                    && resp.entry_errors().iter().all(|e| e.is_benign()) =>
            {
                Ok(resp)
            }
            _ => self.parse(&reply),
        }
    }

    /// Send a batch as several uid-messages, in order; stops at the first failure.
    pub async fn user_id_batch(&self, batch: &UidBatch) -> Result<Vec<Response>> {
        let mut out = Vec::new();
        for msg in batch.messages() {
            out.push(self.user_id(&msg).await?);
        }
        Ok(out)
    }

    // ---- import / export ---------------------------------------------------------------

    /// Import a certificate, key pair or private key (multipart upload).
    pub async fn import(&self, import: &Import) -> Result<Response> {
        self.execute(&import.request()?).await
    }

    /// Export the running configuration (`<config>` document, byte for byte).
    pub async fn export_configuration(&self) -> Result<Export> {
        self.export(&panops_panos::export::configuration()).await
    }

    /// Run any export request. XML `<response>` answers are checked for errors; any
    /// other body (a `<config>` document, a file) is returned as is.
    pub async fn export(&self, req: &ApiRequest) -> Result<Export> {
        let reply = self.execute_raw(req).await?;
        let is_envelope =
            panops_panos::response::sniff_root(&reply.body).as_deref() == Some("response");
        if reply.status >= 400 || is_envelope {
            // Errors (and odd success envelopes) go through the normal decoder.
            self.parse(&reply)?;
        }
        let file_name = reply.content_disposition.as_deref().and_then(|d| {
            d.split(';')
                .map(str::trim)
                .find_map(|p| p.strip_prefix("filename="))
                .map(|f| f.trim_matches('"').to_owned())
        });
        Ok(Export {
            content_type: reply.content_type,
            file_name,
            content: reply.body,
        })
    }

    /// Stream the running configuration into `out` as it arrives and return the number of
    /// bytes written. Unlike [`export_configuration`](Self::export_configuration) the document
    /// is never held in memory, which matters for Panorama configurations of hundreds of MB;
    /// pair it with [`panops_panos::config_index::ConfigIndex::from_reader`] to index it.
    pub async fn export_configuration_to<W>(&self, out: &mut W) -> Result<u64>
    where
        W: tokio::io::AsyncWrite + Unpin,
    {
        self.export_to(&panops_panos::export::configuration(), out)
            .await
    }

    /// Run any export request and stream its body into `out` (see
    /// [`export_configuration_to`](Self::export_configuration_to)). An XML `<response>`
    /// error envelope is decoded into [`Error::Api`] and nothing is written. Failures before
    /// the first byte are retried as for any idempotent request; a transfer that breaks off
    /// midway is an [`Error::Transport`] and `out` holds a truncated document, so write to a
    /// temporary file and rename it on success.
    pub async fn export_to<W>(&self, req: &ApiRequest, out: &mut W) -> Result<u64>
    where
        W: tokio::io::AsyncWrite + Unpin,
    {
        use futures::StreamExt;
        use tokio::io::AsyncWriteExt;

        let req = self.apply_defaults(req)?;
        let can_rekey = matches!(self.inner.config.auth, Auth::Password { .. });
        let mut rekeyed = false;
        let resp = loop {
            let key = self.api_key().await?;
            match self.send_for_stream(&req, &key).await? {
                Ok(resp) => break resp,
                Err(reply) => {
                    if can_rekey && !rekeyed && self.is_auth_problem(&reply) {
                        self.forget_key(&key).await;
                        rekeyed = true;
                        continue;
                    }
                    self.parse(&reply)?;
                    return Err(Error::Decode(panops_panos::DecodeError::new(
                        "export failed with a success envelope",
                        &reply.body,
                    )));
                }
            }
        };
        let status = resp.status().as_u16();
        let content_type = header_str(&resp, CONTENT_TYPE);
        let content_disposition = header_str(&resp, CONTENT_DISPOSITION);
        let transport = |e: reqwest::Error| Error::Transport {
            host: self.inner.config.host.clone(),
            kind: transport_kind(&e),
            attempts: 1,
            cause: e,
            maybe_applied: false,
        };
        // Look at the first bytes: an envelope is small and is decoded; anything else
        // (the `<config>` document, a file) is passed through chunk by chunk.
        const SNIFF: usize = 4096;
        let mut stream = resp.bytes_stream();
        let mut head = Vec::new();
        let mut ended = false;
        while head.len() < SNIFF {
            match stream.next().await {
                Some(chunk) => head.extend_from_slice(&chunk.map_err(transport)?),
                None => {
                    ended = true;
                    break;
                }
            }
        }
        let is_envelope = panops_panos::response::sniff_root(&head).as_deref() == Some("response");
        if is_envelope {
            // An envelope is decoded in memory, so it is bounded like any other answer.
            let limit = self.inner.config.http.max_body_bytes;
            while let Some(chunk) = stream.next().await {
                head.extend_from_slice(&chunk.map_err(transport)?);
                if head.len() > limit {
                    return Err(Error::TooLarge {
                        host: self.inner.config.host.clone(),
                        limit,
                    });
                }
            }
            let reply = RawReply {
                status,
                content_type,
                content_disposition,
                retry_after: None,
                body: Bytes::from(head),
            };
            // Errors come back as envelopes; a success envelope is written as it is.
            self.parse(&reply)?;
            out.write_all(&reply.body).await.map_err(write_error)?;
            out.flush().await.map_err(write_error)?;
            return Ok(reply.body.len() as u64);
        }
        out.write_all(&head).await.map_err(write_error)?;
        let mut written = head.len() as u64;
        if !ended {
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.map_err(transport)?;
                out.write_all(&chunk).await.map_err(write_error)?;
                written += chunk.len() as u64;
            }
        }
        out.flush().await.map_err(write_error)?;
        debug!(bytes = written, "export streamed");
        Ok(written)
    }

    fn is_auth_problem(&self, reply: &RawReply) -> bool {
        matches!(reply.status, 400 | 403)
            && Response::decode(reply.status, &reply.body)
                .map(|r| {
                    let e = r.to_api_error();
                    e.is_key_expired() || e.is_invalid_credentials()
                })
                .unwrap_or(false)
    }

    /// Like [`send`](Self::send) for an idempotent request whose successful body is streamed:
    /// returns the response before its body is read, or the (small) error reply.
    async fn send_for_stream(
        &self,
        req: &ApiRequest,
        key: &Secret,
    ) -> Result<std::result::Result<reqwest::Response, RawReply>> {
        check_key_header(key)?;
        let policy = &self.inner.config.retry;
        let summary = req.summary();
        let mut attempt = 1;
        loop {
            debug!(request = %summary, attempt, "PAN-OS request (streamed)");
            let (class, server_wait) = match self.request_builder(req, Some(key)).send().await {
                Ok(resp) if resp.status().as_u16() < 400 => return Ok(Ok(resp)),
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let reply = RawReply {
                        status,
                        content_type: header_str(&resp, CONTENT_TYPE),
                        content_disposition: header_str(&resp, CONTENT_DISPOSITION),
                        retry_after: retry_after(&resp),
                        // An error answer is small; a huge one is cut to nothing rather
                        // than held.
                        body: http::read_body(resp, self.inner.config.http.max_body_bytes)
                            .await
                            .unwrap_or_default(),
                    };
                    let class = classify_status(status);
                    if !policy.should_retry(true, class, attempt) {
                        return Ok(Err(reply));
                    }
                    (class, reply.retry_after)
                }
                Err(e) => {
                    let kind = transport_kind(&e);
                    let class = classify_transport(kind);
                    if !policy.should_retry(true, class, attempt) {
                        return Err(Error::Transport {
                            host: self.inner.config.host.clone(),
                            kind,
                            attempts: attempt,
                            cause: e,
                            maybe_applied: false,
                        });
                    }
                    (class, None)
                }
            };
            let delay = policy.delay(attempt, server_wait);
            info!(request = %summary, attempt, ?class, delay_ms = delay.as_millis() as u64, "retrying PAN-OS request");
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }

    // ---- logs --------------------------------------------------------------------------

    /// Enqueue a log query; returns the job id.
    pub async fn log_query(&self, query: &LogQuery) -> Result<u64> {
        let resp = self.execute(&query.request()?).await?;
        resp.job_id().ok_or_else(|| {
            Error::Decode(panops_panos::DecodeError::new(
                "log query answer has no result/job",
                resp.raw(),
            ))
        })
    }

    /// Poll a log job once.
    pub async fn log_get(&self, job_id: u64) -> Result<LogResult> {
        Ok(self
            .execute(&panops_panos::log::get(job_id))
            .await?
            .log_result()?)
    }

    /// Run a log query and poll until its job is finished.
    pub async fn logs(
        &self,
        query: &LogQuery,
        interval: Duration,
        timeout: Duration,
    ) -> Result<LogResult> {
        let id = self.log_query(query).await?;
        let deadline = Instant::now() + timeout;
        loop {
            let result = self.log_get(id).await?;
            if result.status == Some(panops_panos::JobStatus::Finished) {
                return Ok(result);
            }
            if Instant::now() + interval > deadline {
                return Err(Error::JobTimeout {
                    id,
                    timeout,
                    last: None,
                });
            }
            tokio::time::sleep(interval).await;
        }
    }

    /// Page through logs with `skip`: up to `max_pages` queries of `page_size`
    /// (1..=5000) logs each; stops early at a short page.
    pub async fn log_pages(
        &self,
        query: &LogQuery,
        page_size: u32,
        max_pages: usize,
        interval: Duration,
        timeout: Duration,
    ) -> Result<Vec<LogResult>> {
        let mut pages = Vec::new();
        let mut skip = query.skip.unwrap_or(0);
        for _ in 0..max_pages {
            let mut q = query.clone();
            q.nlogs = Some(page_size);
            q.skip = Some(skip);
            let page = self.logs(&q, interval, timeout).await?;
            let n = page.entries.len() as u32;
            pages.push(page);
            if n < page_size {
                break;
            }
            skip = skip.saturating_add(n);
        }
        Ok(pages)
    }

    // ---- jobs ----------------------------------------------------------------------------

    /// `show jobs id N`.
    pub async fn show_job(&self, id: u64) -> Result<Job> {
        Ok(self.execute(&panops_panos::op::show_job(id)).await?.job()?)
    }
}
