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
use parking_lot::Mutex;
use rand::Rng;

use crate::api::{Reply, Request, SimState};
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
    sim: Arc<Mutex<SimState>>,
}

impl Simulator {
    /// Bind, build state (or load it from `--state`), and serve.
    pub async fn start(config: SimConfig) -> Result<RunningSim, SimError> {
        let addr: SocketAddr = config.listen.parse().map_err(|e| SimError::InvalidOption {
            option: "--listen",
            reason: format!("{} is not HOST:PORT ({e})", config.listen),
        })?;
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
            Some(dir) => Some(persist::Store::open(dir)?),
            None => None,
        };
        let mut state = SimState::new(&config);
        if let Some(s) = &store {
            s.load(&mut state)?;
        }
        let serials = if state.managed.is_empty() {
            vec![state.primary.clone()]
        } else {
            state.managed.clone()
        };
        let sim = Arc::new(Mutex::new(state));
        let app = Router::new()
            .route("/api", axum::routing::any(api))
            .route("/api/", axum::routing::any(api))
            .route("/esp/restapi.esp", axum::routing::any(api))
            .fallback(not_found)
            .with_state(AppState { sim: sim.clone() });
        let server = axum_server::Handle::new();
        let fault_sim = sim.clone();
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
                        sim: fault_sim,
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
                        sim: fault_sim,
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
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    let changed = std::mem::take(&mut sim.lock().changed);
                    if changed {
                        s.save(&sim);
                    }
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
            let ck = rcgen::generate_simple_self_signed(vec![
                "localhost".to_string(),
                "127.0.0.1".to_string(),
                "panops-sim".to_string(),
            ])
            .map_err(|e| SimError::Tls(e.to_string()))?;
            let pair = (ck.cert.pem(), ck.key_pair.serialize_pem());
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

/// Serves the router, except that an injected reset closes the connection before any
/// response is written (hyper drops the connection when the service fails).
#[derive(Clone)]
struct FaultSvc {
    router: Router,
    sim: Arc<Mutex<SimState>>,
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
        let reset = {
            let mut st = self.sim.lock();
            let r = st.faults.rate_reset;
            r > 0.0 && st.rng.gen_bool(r.min(1.0))
        };
        let router = self.router.clone();
        Box::pin(async move {
            if reset {
                tracing::warn!("fault: resetting the connection");
                return Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "injected connection reset",
                ));
            }
            use tower::ServiceExt;
            match router.oneshot(req).await {
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
        let st = app.sim.lock();
        (st.faults.latency, st.faults.rate_5xx)
    };
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let fail5xx = {
        let mut st = app.sim.lock();
        r5xx > 0.0 && st.rng.gen_bool(r5xx.min(1.0))
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
    let sim = app.sim.clone();
    // config trees can be large: run the handler off the async workers
    let reply = tokio::task::spawn_blocking(move || sim.lock().handle(&decoded)).await;
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
        let (parts, body) = req.into_parts();
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
                        out.params
                            .push((name, String::from_utf8_lossy(&data).into_owned()));
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
    if !body.is_empty() {
        out.params
            .extend(form_urlencoded::parse(&body).into_owned());
    }
    Ok(out)
}

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
