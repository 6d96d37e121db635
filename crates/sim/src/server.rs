//! HTTP(S) server: decode requests, apply faults, answer from [`SimState`].

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{FromRequest, Multipart, State};
use axum::http::{HeaderMap, Method, Request as HttpRequest, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use parking_lot::{Mutex, RwLock};
use rand::Rng;

use crate::api::{Reply, Request, SimState, Wire};
use crate::config::SimConfig;
use crate::handle::SimHandle;
use crate::{SimError, persist};

/// Largest request body accepted.
pub const MAX_BODY: usize = 64 * 1024 * 1024;

/// Entry point.
#[derive(Debug)]
pub struct Simulator;

/// A started simulator.
pub struct RunningSim {
    url: String,
    kind: &'static str,
    serials: Vec<String>,
    ca_pem: Option<String>,
    handle: SimHandle,
    server: axum_server::Handle,
    task: tokio::task::JoinHandle<()>,
    saver: Option<tokio::task::JoinHandle<()>>,
    persist: Option<persist::Store>,
}

impl std::fmt::Debug for RunningSim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningSim")
            .field("url", &self.url)
            .field("kind", &self.kind)
            .field("serials", &self.serials)
            .finish_non_exhaustive()
    }
}

impl RunningSim {
    /// Base URL, e.g. `https://127.0.0.1:43211`.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// `"panorama"` or `"firewall"`.
    pub fn kind(&self) -> &str {
        self.kind
    }

    /// Managed firewall serials (Panorama) or the firewall's own serial.
    pub fn serials(&self) -> Vec<String> {
        self.serials.clone()
    }

    /// The self-signed certificate (PEM) when serving HTTPS.
    pub fn ca_pem(&self) -> Option<String> {
        self.ca_pem.clone()
    }

    /// Test utility handle.
    pub fn handle(&self) -> SimHandle {
        self.handle.clone()
    }

    /// Stop serving (and save state when `--state` is set).
    pub async fn shutdown(self) {
        self.server
            .graceful_shutdown(Some(Duration::from_millis(200)));
        let _ = self.task.await;
        if let Some(s) = self.saver {
            s.abort();
            let _ = s.await;
        }
        if let Some(p) = &self.persist {
            p.save(&self.handle.state);
        }
    }
}

#[derive(Clone)]
struct AppState {
    sim: Arc<RwLock<SimState>>,
    /// Faults and in-flight counters (the same as `sim`'s), read without the state lock.
    wire: Arc<Mutex<Wire>>,
    /// With `--state`: every acknowledged change is written before its reply.
    store: Option<persist::Store>,
}

impl Simulator {
    /// Bind, build state (or load it from `--state`), and serve.
    pub async fn start(config: SimConfig) -> Result<RunningSim, SimError> {
        let addr = resolve_listen(&config.listen)?;
        let listener = std::net::TcpListener::bind(addr).map_err(|source| SimError::Bind {
            addr: config.listen.clone(),
            source,
        })?;
        listener
            .set_nonblocking(true)
            .map_err(|source| SimError::Bind {
                addr: config.listen.clone(),
                source,
            })?;
        let local = listener.local_addr().map_err(|source| SimError::Bind {
            addr: config.listen.clone(),
            source,
        })?;

        let store = match &config.state_dir {
            Some(dir) => Some(persist::Store::open(dir, config.reset_state)?),
            None => None,
        };
        let mut state = SimState::new(&config);
        if let Some(s) = &store {
            s.load(&mut state)?;
        }
        state.refresh_due();
        let serials = if state.managed.is_empty() {
            vec![state.primary.clone()]
        } else {
            state.managed.clone()
        };
        let sim = Arc::new(RwLock::new(state));
        let app = router(sim.clone(), store.clone());
        let server = axum_server::Handle::new();
        let fault_wire = sim.read().wire.clone();
        let (url, ca_pem, task) = if config.tls {
            let (cert_pem, key_pem, cert_der, key_der) = tls_material(store.as_ref())?;
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .map_err(|e| SimError::Tls(e.to_string()))?
                .with_no_client_auth()
                .with_single_cert(vec![cert_der], key_der)
                .map_err(|e| SimError::Tls(e.to_string()))?;
            cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
            let tls = axum_server::tls_rustls::RustlsConfig::from_config(Arc::new(cfg));
            let srv = axum_server::from_tcp_rustls(listener, tls).handle(server.clone());
            let task = tokio::spawn(async move {
                if let Err(e) = srv
                    .serve(MakeFaultSvc(FaultSvc {
                        router: app,
                        wire: fault_wire,
                    }))
                    .await
                {
                    tracing::error!("simulator server stopped: {e}");
                }
            });
            let _ = key_pem;
            (format!("https://{local}"), Some(cert_pem), task)
        } else {
            let srv = axum_server::from_tcp(listener).handle(server.clone());
            let task = tokio::spawn(async move {
                if let Err(e) = srv
                    .serve(MakeFaultSvc(FaultSvc {
                        router: app,
                        wire: fault_wire,
                    }))
                    .await
                {
                    tracing::error!("simulator server stopped: {e}");
                }
            });
            (format!("http://{local}"), None, task)
        };
        // wait until the listener is serving
        let _ = tokio::time::timeout(Duration::from_secs(5), server.listening()).await;
        let saver = store.as_ref().map(|s| {
            let s = s.clone();
            let sim = sim.clone();
            // jobs finish and User-ID entries expire on the clock, with or without a request:
            // tick and persist those transitions too
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    let s = s.clone();
                    let sim = sim.clone();
                    let _ = tokio::task::spawn_blocking(move || {
                        let snap = {
                            let mut st = sim.write();
                            st.tick();
                            std::mem::take(&mut st.changed).then(|| persist::snapshot(&mut st))
                        };
                        if let Some(snap) = snap
                            && let Err(e) = s.write(snap)
                        {
                            tracing::error!("saving simulator state failed: {e}");
                            sim.write().forget_persisted();
                        }
                    })
                    .await;
                }
            })
        });
        Ok(RunningSim {
            url,
            kind: config.kind.as_str(),
            serials,
            ca_pem,
            handle: SimHandle { state: sim },
            server,
            task,
            saver,
            persist: store,
        })
    }
}

/// `HOST:PORT` where HOST is an address or a name (`localhost:0`); a name binds its first
/// address, IPv4 preferred because that is what `localhost` users expect to reach.
fn resolve_listen(listen: &str) -> Result<SocketAddr, SimError> {
    use std::net::ToSocketAddrs;
    let bad = |reason: String| SimError::InvalidOption {
        option: "--listen",
        reason,
    };
    if let Ok(a) = listen.parse::<SocketAddr>() {
        return Ok(a);
    }
    if listen
        .rsplit_once(':')
        .is_none_or(|(h, p)| h.is_empty() || p.parse::<u16>().is_err())
    {
        return Err(bad(format!("{listen} is not HOST:PORT")));
    }
    let addrs: Vec<SocketAddr> = listen
        .to_socket_addrs()
        .map_err(|e| bad(format!("cannot resolve {listen}: {e}")))?
        .collect();
    addrs
        .iter()
        .find(|a| a.is_ipv4())
        .or(addrs.first())
        .copied()
        .ok_or_else(|| bad(format!("{listen} resolves to no address")))
}

/// The XML API routes over one simulator state.
fn router(sim: Arc<RwLock<SimState>>, store: Option<persist::Store>) -> Router {
    let wire = sim.read().wire.clone();
    Router::new()
        .route("/api", axum::routing::any(api))
        .route("/api/", axum::routing::any(api))
        .route("/esp/restapi.esp", axum::routing::any(api))
        .route("/sim/monitor", axum::routing::post(monitor_control))
        .fallback(not_found)
        .with_state(AppState { wire, sim, store })
}

type TlsMaterial = (
    String,
    String,
    rustls::pki_types::CertificateDer<'static>,
    rustls::pki_types::PrivateKeyDer<'static>,
);

fn tls_material(store: Option<&persist::Store>) -> Result<TlsMaterial, SimError> {
    let (cert_pem, key_pem) = match store.and_then(|s| s.tls_files()) {
        Some(pair) => pair,
        None => {
            let tls = |e: rcgen::Error| SimError::Tls(e.to_string());
            let mut params = rcgen::CertificateParams::new(vec![
                "localhost".to_string(),
                "127.0.0.1".to_string(),
                "panops-sim".to_string(),
            ])
            .map_err(tls)?;
            // its own subject, so that it can share a CA bundle with the SCM simulator's
            params.distinguished_name = rcgen::DistinguishedName::new();
            params
                .distinguished_name
                .push(rcgen::DnType::CommonName, "panops PAN-OS simulator");
            let key_pair = rcgen::KeyPair::generate().map_err(tls)?;
            let cert = params.self_signed(&key_pair).map_err(tls)?;
            let pair = (cert.pem(), key_pair.serialize_pem());
            if let Some(s) = store {
                s.save_tls(&pair.0, &pair.1)?;
            }
            pair
        }
    };
    let cert_der = x509_parser::pem::Pem::iter_from_buffer(cert_pem.as_bytes())
        .next()
        .and_then(Result::ok)
        .map(|p| rustls::pki_types::CertificateDer::from(p.contents))
        .ok_or_else(|| SimError::Tls("stored certificate is not PEM".into()))?;
    let key_der = x509_parser::pem::Pem::iter_from_buffer(key_pem.as_bytes())
        .next()
        .and_then(Result::ok)
        .map(|p| {
            rustls::pki_types::PrivateKeyDer::Pkcs8(rustls::pki_types::PrivatePkcs8KeyDer::from(
                p.contents,
            ))
        })
        .ok_or_else(|| SimError::Tls("stored key is not PEM".into()))?;
    Ok((cert_pem, key_pem, cert_der, key_der))
}

/// RFC 2046 lets a boundary hold `/`, `=`, `?` and other characters a MIME token cannot,
/// which clients must then quote; pan-python's `import_file` does not, so multer's strict
/// parser rejects it. Quote an unquoted boundary (returns `None` when nothing to change).
fn quote_boundary(content_type: &str) -> Option<String> {
    let lower = content_type.to_ascii_lowercase();
    let at = lower.find("boundary=")? + "boundary=".len();
    let rest = &content_type[at..];
    if rest.starts_with('"') {
        return None;
    }
    let end = rest.find(';').unwrap_or(rest.len());
    let boundary = rest[..end].trim_end();
    // RFC 2046 bchars: 1 to 70 characters, no quote or backslash to escape
    if boundary.is_empty() || boundary.len() > 70 || boundary.contains(['"', '\\']) {
        return None;
    }
    Some(format!(
        "{}\"{boundary}\"{}",
        &content_type[..at],
        &rest[end..]
    ))
}

/// Serves the router, except that an injected reset closes the connection before any
/// response is written (hyper drops the connection when the service fails).
#[derive(Clone)]
struct FaultSvc {
    router: Router,
    wire: Arc<Mutex<Wire>>,
}

impl tower::Service<HttpRequest<hyper::body::Incoming>> for FaultSvc {
    type Response = Response;
    type Error = std::io::Error;
    type Future = futures::future::BoxFuture<'static, Result<Response, std::io::Error>>;

    fn poll_ready(
        &mut self,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: HttpRequest<hyper::body::Incoming>) -> Self::Future {
        // the fault settings have their own small lock: the async workers never wait for
        // the state lock
        let reset = {
            let mut w = self.wire.lock();
            let rate = w.faults.rate_reset;
            rate > 0.0 && w.rng.gen_bool(rate.min(1.0))
        };
        let router = self.router.clone();
        let wire = self.wire.clone();
        Box::pin(async move {
            if reset {
                tracing::warn!("fault: resetting the connection");
                return Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "injected connection reset",
                ));
            }
            {
                let mut w = wire.lock();
                w.in_flight.0 += 1;
                w.in_flight.1 = w.in_flight.1.max(w.in_flight.0);
            }
            use tower::ServiceExt;
            let r = router.oneshot(req).await;
            {
                let mut w = wire.lock();
                w.in_flight.0 = w.in_flight.0.saturating_sub(1);
            }
            match r {
                Ok(r) => Ok(r),
                Err(never) => match never {},
            }
        })
    }
}

/// Hands every connection a [`FaultSvc`].
#[derive(Clone)]
struct MakeFaultSvc(FaultSvc);

impl tower::Service<SocketAddr> for MakeFaultSvc {
    type Response = FaultSvc;
    type Error = std::convert::Infallible;
    type Future = std::future::Ready<Result<FaultSvc, std::convert::Infallible>>;

    fn poll_ready(
        &mut self,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, _addr: SocketAddr) -> Self::Future {
        std::future::ready(Ok(self.0.clone()))
    }
}

/// `POST /sim/monitor`: steer the monitoring state (see [`crate::ops::monitor::control`]).
async fn monitor_control(State(app): State<AppState>, body: axum::body::Bytes) -> Response {
    let doc: serde_json::Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            return (StatusCode::BAD_REQUEST, format!("body is not JSON: {e}\n")).into_response();
        }
    };
    // the state lock is never taken on the async workers
    let sim = app.sim.clone();
    let r = tokio::task::spawn_blocking(move || {
        let mut st = sim.write();
        let r = crate::ops::monitor::control(&mut st, &doc);
        st.refresh_due();
        r
    })
    .await;
    match r {
        Ok(Ok(done)) => (StatusCode::OK, format!("{done}\n")).into_response(),
        Ok(Err(e)) => (StatusCode::BAD_REQUEST, format!("{e}\n")).into_response(),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal error\n").into_response(),
    }
}

async fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/html")],
        "<html><body><h1>404 Not Found</h1><p>The XML API is served at /api/</p></body></html>",
    )
        .into_response()
}

fn xml_response(status: u16, body: String) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    (
        status,
        [(header::CONTENT_TYPE, "application/xml; charset=UTF-8")],
        body,
    )
        .into_response()
}

fn envelope_error(status: u16, code: u32, msg: &str) -> Response {
    xml_response(
        status,
        format!(
            "<response status=\"error\" code=\"{code}\"><result><msg>{}</msg></result></response>",
            crate::xml::escape(msg)
        ),
    )
}

async fn api(State(app): State<AppState>, req: HttpRequest<Body>) -> Response {
    // faults first (latency, 5xx, reset)
    let (latency, r5xx) = {
        let w = app.wire.lock();
        (w.faults.latency, w.faults.rate_5xx)
    };
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let fail5xx = {
        let mut w = app.wire.lock();
        r5xx > 0.0 && w.rng.gen_bool(r5xx.min(1.0))
    };
    if fail5xx {
        tracing::warn!("fault: answering 503");
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CONTENT_TYPE, "text/html")],
            "<html><head><title>503 Service Temporarily Unavailable</title></head><body><center><h1>503 Service Temporarily Unavailable</h1></center></body></html>",
        )
            .into_response();
    }

    let decoded = match decode(req).await {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    // a slow op-command fault delays this answer only, not the whole device. The faults are
    // copied out of the wire lock (every request takes it) and the command is parsed only
    // when there are faults, off the async workers when it is large
    let op_faults = match decoded.get("type") {
        Some("op") => {
            let w = app.wire.lock();
            (!w.op_faults.is_empty()).then(|| w.op_faults.clone())
        }
        _ => None,
    };
    let slow = match (op_faults, decoded.get("cmd")) {
        (Some(faults), Some(cmd)) if cmd.len() > INLINE_DECODE => {
            let cmd = cmd.to_string();
            tokio::task::spawn_blocking(move || crate::ops::monitor::slow_delay(&faults, &cmd))
                .await
                .ok()
                .flatten()
        }
        (Some(faults), Some(cmd)) => crate::ops::monitor::slow_delay(&faults, cmd),
        _ => None,
    };
    if let Some(d) = slow {
        tokio::time::sleep(d).await;
    }
    let sim = app.sim.clone();
    let store = app.store.clone();
    // config trees can be large: run the handler off the async workers
    let reply = tokio::task::spawn_blocking(move || {
        // parse the request's XML before taking the lock: a large body must not hold every
        // other client back (issue 14 item 3); the handler below finds the parsed trees
        let element_form = match decoded.get("action") {
            Some("multi-config") => crate::xml::Form::Document,
            _ => crate::xml::Form::Fragment,
        };
        let _preparsed = crate::xml::preparse(
            decoded
                .get("cmd")
                .map(|c| (crate::xml::Form::Document, c))
                .into_iter()
                .chain(decoded.get("element").map(|e| (element_form, e))),
        );
        // configuration reads share the lock: they wait for no other reader, and for a
        // writer only while it changes the tree (parsing and the durable write are outside)
        if let Some(reply) = sim.read().try_read(&decoded) {
            return reply;
        }
        // a configuration write locks only its device: requests for other devices go on
        let shared = sim.read().try_write(&decoded, store.is_some());
        if let Some((reply, snap)) = shared {
            if let (Some(store), Some(snap)) = (&store, snap)
                && let Err(e) = store.write(snap)
            {
                tracing::error!("saving simulator state failed: {e}");
                sim.write().forget_persisted();
                return save_failed(&e);
            }
            return reply;
        }
        let (reply, snap) = {
            let mut st = sim.write();
            let reply = st.handle(&decoded);
            let snap = match &store {
                Some(_) if std::mem::take(&mut st.changed) => Some(persist::snapshot(&mut st)),
                _ => None,
            };
            (reply, snap)
        };
        // durable before the reply: what the simulator acknowledged, it keeps
        if let (Some(store), Some(snap)) = (&store, snap)
            && let Err(e) = store.write(snap)
        {
            tracing::error!("saving simulator state failed: {e}");
            // what this snapshot held is not on disk: the next one writes everything
            sim.write().forget_persisted();
            return save_failed(&e);
        }
        reply
    })
    .await;
    match reply {
        Ok(Reply::Xml { http, body }) => xml_response(http, body),
        Ok(Reply::Attachment {
            filename,
            content_type,
            body,
        }) => (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, content_type.to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename={filename}"),
                ),
            ],
            body,
        )
            .into_response(),
        Err(_) => envelope_error(200, 21, "Internal error while processing the request"),
    }
}

/// The answer to a change that could not be made durable.
fn save_failed(e: &str) -> Reply {
    Reply::Xml {
        http: 500,
        body: format!(
            "<response status=\"error\" code=\"22\"><msg>The change could not be saved: {}</msg></response>",
            crate::xml::escape(e)
        ),
    }
}

fn basic_auth(headers: &HeaderMap) -> Option<(String, String)> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let b64 = v.strip_prefix("Basic ")?;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .ok()?;
    let s = String::from_utf8(raw).ok()?;
    let (u, p) = s.split_once(':')?;
    Some((u.to_string(), p.to_string()))
}

async fn decode(req: HttpRequest<Body>) -> Result<Request, Response> {
    let method = req.method().clone();
    let headers = req.headers().clone();
    let mut out = Request {
        method: method.to_string(),
        header_key: headers
            .get("x-pan-key")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        basic: basic_auth(&headers),
        ..Default::default()
    };
    if let Some(q) = req.uri().query() {
        out.params
            .extend(form_urlencoded::parse(q.as_bytes()).into_owned());
    }
    if method != Method::POST && method != Method::PUT {
        return Ok(out);
    }
    let ctype = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if ctype.starts_with("multipart/form-data") {
        let (mut parts, body) = req.into_parts();
        if let Some(fixed) = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(quote_boundary)
            .and_then(|v| header::HeaderValue::from_str(&v).ok())
        {
            parts.headers.insert(header::CONTENT_TYPE, fixed);
        }
        let limited = Body::new(http_body_util_limited(body));
        let req = HttpRequest::from_parts(parts, limited);
        let mut mp = match Multipart::from_request(req, &()).await {
            Ok(m) => m,
            Err(e) => {
                return Err(envelope_error(
                    400,
                    400,
                    &format!("Malformed multipart body: {e}"),
                ));
            }
        };
        loop {
            match mp.next_field().await {
                Ok(Some(field)) => {
                    let name = field.name().unwrap_or("").to_string();
                    let fname = field.file_name().map(str::to_string);
                    let data = match field.bytes().await {
                        Ok(d) => d,
                        Err(e) => return Err(too_large_or(e.to_string())),
                    };
                    if name == "file" || fname.is_some() {
                        out.file = Some((fname.unwrap_or_else(|| "upload".into()), data.to_vec()));
                    } else {
                        let value = if data.len() > INLINE_DECODE {
                            tokio::task::spawn_blocking(move || {
                                String::from_utf8_lossy(&data).into_owned()
                            })
                            .await
                            .map_err(|e| {
                                envelope_error(
                                    500,
                                    500,
                                    &format!("decoding the request failed: {e}"),
                                )
                            })?
                        } else {
                            String::from_utf8_lossy(&data).into_owned()
                        };
                        out.params.push((name, value));
                    }
                }
                Ok(None) => break,
                Err(e) => return Err(too_large_or(e.to_string())),
            }
        }
        return Ok(out);
    }
    let body = match axum::body::to_bytes(req.into_body(), MAX_BODY).await {
        Ok(b) => b,
        Err(e) => return Err(too_large_or(e.to_string())),
    };
    if body.len() > INLINE_DECODE {
        // percent-decoding megabytes takes a while: not on the async workers, where it would
        // hold back every connection scheduled on the same worker
        let params = tokio::task::spawn_blocking(move || {
            form_urlencoded::parse(&body)
                .into_owned()
                .collect::<Vec<_>>()
        })
        .await
        .map_err(|e| envelope_error(500, 500, &format!("decoding the request failed: {e}")))?;
        out.params.extend(params);
    } else if !body.is_empty() {
        out.params
            .extend(form_urlencoded::parse(&body).into_owned());
    }
    Ok(out)
}

/// Bodies and form fields up to this size are decoded on the async worker (it takes
/// microseconds); larger ones on the blocking pool.
const INLINE_DECODE: usize = 64 * 1024;

fn too_large_or(e: String) -> Response {
    if e.to_ascii_lowercase().contains("limit") || e.contains("too large") || e.contains("length") {
        envelope_error(
            413,
            400,
            &format!(
                "Request body is larger than the {} MiB limit",
                MAX_BODY / (1024 * 1024)
            ),
        )
    } else {
        envelope_error(400, 400, &format!("Malformed request body: {e}"))
    }
}

fn http_body_util_limited(body: Body) -> axum::body::Body {
    // axum's Multipart honours DefaultBodyLimit; enforce our cap by reading with a limit
    use futures::StreamExt;
    let mut seen = 0usize;
    let stream = body.into_data_stream().map(move |chunk| match chunk {
        Ok(c) => {
            seen += c.len();
            if seen > MAX_BODY {
                Err(std::io::Error::other("request body exceeds the size limit"))
            } else {
                Ok(c)
            }
        }
        Err(e) => Err(std::io::Error::other(e.to_string())),
    });
    Body::from_stream(stream)
}

#[cfg(test)]
mod proptests {
    //! Arbitrary bytes through the real HTTP decoding path (form bodies, query strings,
    //! multipart bodies, certificate uploads): never a panic, always an XML envelope.

    use std::sync::LazyLock;

    use proptest::prelude::*;
    use tower::ServiceExt;

    use super::*;
    use crate::api::Request as ApiRequest;

    struct Fixture {
        rt: tokio::runtime::Runtime,
        sim: Arc<RwLock<SimState>>,
        key: String,
    }

    static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let cfg = SimConfig::firewall()
            .plain()
            .job_duration(Duration::from_millis(1));
        let sim = Arc::new(RwLock::new(SimState::new(&cfg)));
        let reply = sim.write().handle(&ApiRequest {
            method: "POST".into(),
            params: vec![
                ("type".into(), "keygen".into()),
                ("user".into(), "admin".into()),
                ("password".into(), "admin".into()),
            ],
            ..Default::default()
        });
        let key = match reply {
            Reply::Xml { body, .. } => body
                .split("<key>")
                .nth(1)
                .and_then(|s| s.split("</key>").next())
                .unwrap_or_default()
                .to_string(),
            Reply::Attachment { .. } => String::new(),
        };
        Fixture { rt, sim, key }
    });

    static CERT_PEM: LazyLock<String> = LazyLock::new(|| {
        rcgen::generate_simple_self_signed(vec!["fuzz.example".to_string()])
            .map(|c| format!("{}{}", c.cert.pem(), c.key_pair.serialize_pem()))
            .unwrap_or_default()
    });

    /// Send one request through the router; (status, content type, body).
    fn send(req: HttpRequest<Body>) -> (u16, String, String) {
        let f = &*FIXTURE;
        let app = router(f.sim.clone(), None);
        f.rt.block_on(async move {
            let resp = app.oneshot(req).await.expect("infallible");
            let status = resp.status().as_u16();
            let ctype = resp
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string();
            let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
                .await
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default();
            (status, ctype, body)
        })
    }

    fn assert_envelope(status: u16, ctype: &str, body: &str) -> Result<(), TestCaseError> {
        prop_assert!(
            matches!(status, 200 | 400 | 403 | 413),
            "status {status}: {body}"
        );
        prop_assert!(ctype.starts_with("application/xml"), "{ctype}");
        prop_assert!(
            body.starts_with("<response") || body.starts_with("<config"),
            "{body}"
        );
        Ok(())
    }

    fn key() -> String {
        FIXTURE.key.clone()
    }

    fn param_name() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("type".to_string()),
            Just("action".to_string()),
            Just("xpath".to_string()),
            Just("element".to_string()),
            Just("cmd".to_string()),
            Just("category".to_string()),
            Just("nlogs".to_string()),
            Just("skip".to_string()),
            Just("target".to_string()),
            Just("vsys".to_string()),
            "[a-z-]{1,12}",
        ]
    }

    fn param_value() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("config".to_string()),
            Just("op".to_string()),
            Just("commit".to_string()),
            Just("user-id".to_string()),
            Just("log".to_string()),
            Just("import".to_string()),
            Just("get".to_string()),
            Just("set".to_string()),
            Just("/config/shared/address".to_string()),
            Just("<show><system><info/></system></show>".to_string()),
            any::<String>(),
        ]
    }

    fn uri_with(query: &str) -> Option<http::Uri> {
        format!("/api/?{query}").parse().ok()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        #[test]
        fn arbitrary_form_bytes_get_an_envelope(body in prop::collection::vec(any::<u8>(), 0..2048)) {
            let req = HttpRequest::post("/api/")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header("x-pan-key", key())
                .body(Body::from(body))
                .expect("request");
            let (s, c, b) = send(req);
            assert_envelope(s, &c, &b)?;
        }

        #[test]
        fn arbitrary_form_fields_get_an_envelope(
            pairs in prop::collection::vec((param_name(), param_value()), 0..8),
            with_key in any::<bool>(),
        ) {
            let mut ser = form_urlencoded::Serializer::new(String::new());
            for (k, v) in &pairs {
                // exports answer with a file, not an envelope; keygen is covered below
                if k == "type" && v == "export" {
                    continue;
                }
                ser.append_pair(k, v);
            }
            if with_key {
                ser.append_pair("key", &key());
            }
            let req = HttpRequest::post("/api/")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(ser.finish()))
                .expect("request");
            let (s, c, b) = send(req);
            assert_envelope(s, &c, &b)?;
        }

        #[test]
        fn arbitrary_query_strings_get_an_envelope(
            raw in "[ -~]{0,200}",
            pairs in prop::collection::vec((param_name(), param_value()), 0..6),
            get in any::<bool>(),
        ) {
            let mut ser = form_urlencoded::Serializer::new(String::new());
            for (k, v) in &pairs {
                if k == "type" && v == "export" {
                    continue;
                }
                ser.append_pair(k, v);
            }
            let encoded = ser.finish();
            for q in [raw.replace(['#', ' '], "%20"), encoded] {
                let Some(uri) = uri_with(&q) else { continue };
                let method = if get { Method::GET } else { Method::POST };
                let req = HttpRequest::builder()
                    .method(method)
                    .uri(uri)
                    .header("x-pan-key", key())
                    .body(Body::empty())
                    .expect("request");
                let (s, c, b) = send(req);
                assert_envelope(s, &c, &b)?;
            }
        }

        #[test]
        fn arbitrary_multipart_bodies_get_an_envelope(
            parts in prop::collection::vec(
                ("[a-z\"]{0,8}", prop::option::of("[ -~]{0,20}"), prop::collection::vec(any::<u8>(), 0..512)),
                0..4,
            ),
            garbage in prop::collection::vec(any::<u8>(), 0..256),
            truncate in any::<bool>(),
            category in prop_oneof![Just("certificate"), Just("keypair"), Just("private-key"), Just("configuration"), Just("zzz")],
        ) {
            let boundary = "----panops-fuzz-7d1";
            let mut body: Vec<u8> = Vec::new();
            for (name, filename, data) in &parts {
                body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
                let mut disp = format!("Content-Disposition: form-data; name=\"{name}\"");
                if let Some(f) = filename {
                    disp.push_str(&format!("; filename=\"{f}\""));
                }
                body.extend_from_slice(disp.as_bytes());
                body.extend_from_slice(b"\r\n\r\n");
                body.extend_from_slice(data);
                body.extend_from_slice(b"\r\n");
            }
            body.extend_from_slice(&garbage);
            if !truncate {
                body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
            }
            let uri = format!("/api/?type=import&category={category}&certificate-name=fuzz&format=pem");
            let req = HttpRequest::post(uri)
                .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
                .header("x-pan-key", key())
                .body(Body::from(body))
                .expect("request");
            let (s, c, b) = send(req);
            assert_envelope(s, &c, &b)?;
        }

        #[test]
        fn mangled_certificate_uploads_get_an_envelope(
            cut in 0usize..2000,
            flips in prop::collection::vec((0usize..2000, any::<u8>()), 0..6),
            category in prop_oneof![Just("certificate"), Just("keypair"), Just("private-key")],
            format in prop_oneof![Just("pem"), Just("pkcs12"), Just("der")],
            passphrase in "[ -~]{0,12}",
        ) {
            let mut data = CERT_PEM.as_bytes().to_vec();
            for (at, b) in flips {
                if let Some(x) = data.get_mut(at) {
                    *x = b;
                }
            }
            data.truncate(cut.max(1).min(data.len()));
            let boundary = "----panops-fuzz-cert";
            let mut body = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"c.pem\"\r\nContent-Type: application/octet-stream\r\n\r\n").into_bytes();
            body.extend_from_slice(&data);
            body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
            let mut q = form_urlencoded::Serializer::new(String::new());
            q.append_pair("type", "import")
                .append_pair("category", category)
                .append_pair("certificate-name", "fuzzed")
                .append_pair("format", format)
                .append_pair("passphrase", &passphrase);
            let req = HttpRequest::post(format!("/api/?{}", q.finish()))
                .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
                .header("x-pan-key", key())
                .body(Body::from(body))
                .expect("request");
            let (s, c, b) = send(req);
            assert_envelope(s, &c, &b)?;
        }
    }

    #[test]
    fn an_intact_certificate_upload_is_imported() {
        // the fuzzing above must reach the real import code, not stop at decoding
        let boundary = "----panops-cert-ok";
        let mut body = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"c.pem\"\r\n\r\n").into_bytes();
        body.extend_from_slice(CERT_PEM.as_bytes());
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let req = HttpRequest::post(
            "/api/?type=import&category=keypair&certificate-name=intact&format=pem&passphrase=x",
        )
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .header("x-pan-key", key())
        .body(Body::from(body))
        .expect("request");
        let (s, _, b) = send(req);
        assert_eq!(s, 200, "{b}");
        assert!(b.contains("Successfully imported intact"), "{b}");
    }

    #[test]
    fn unquoted_boundaries_with_rfc_2046_characters_are_accepted() {
        // pan-python's import_file sends email.generator's `===============N==` unquoted
        for (n, boundary, quoted) in [
            (1, "===============8213641395958377049==", false),
            (2, "abc/def=ghi?x", false),
            (3, "with space/and=", true),
        ] {
            let mut body = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"c.pem\"\r\n\r\n").into_bytes();
            body.extend_from_slice(CERT_PEM.as_bytes());
            body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
            let ctype = if quoted {
                format!("multipart/form-data; boundary=\"{boundary}\"")
            } else {
                format!("multipart/form-data; boundary={boundary}")
            };
            let req = HttpRequest::post(format!(
                "/api/?type=import&category=certificate&certificate-name=b{n}&format=pem"
            ))
            .header(header::CONTENT_TYPE, ctype)
            .header("x-pan-key", key())
            .body(Body::from(body))
            .expect("request");
            let (s, _, b) = send(req);
            assert_eq!(s, 200, "{boundary}: {b}");
            assert!(
                b.contains(&format!("Successfully imported b{n}")),
                "{boundary}: {b}"
            );
        }
        assert_eq!(
            quote_boundary("multipart/form-data; boundary=\"x/y\""),
            None
        );
        assert_eq!(
            quote_boundary("multipart/form-data; boundary=a=b; charset=utf-8").as_deref(),
            Some("multipart/form-data; boundary=\"a=b\"; charset=utf-8")
        );
    }
}
