//! The HTTP server: `/probe?target=`, `/metrics`, `/-/healthy`, `/-/ready`, `/`,
//! `POST /-/reload`, and SIGHUP reloads.

use std::{
    net::SocketAddr,
    path::PathBuf,
    sync::Arc,
    time::{Instant, SystemTime},
};

use axum::{
    Router,
    extract::{Query, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use parking_lot::Mutex;
use tracing::{info, warn};

use crate::{
    cache::Cache,
    metrics::labels,
    own::OwnMetrics,
    scheduler::Scheduler,
    targets::{ConfigError, TargetConfig, TargetsFile},
};

/// Content type of the OpenMetrics text that `prometheus-client` writes.
pub const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Where the targets come from.
#[derive(Debug, Clone)]
pub enum Source {
    /// A targets file, re-read on reload.
    File(PathBuf),
    /// One target given on the command line (single-target mode).
    Single(Box<TargetConfig>),
}

/// The exporter: cache, scheduler and the current targets.
pub struct Exporter {
    source: Source,
    cache: Arc<Cache>,
    own: Arc<OwnMetrics>,
    state: Mutex<(Arc<TargetsFile>, Scheduler)>,
}

impl std::fmt::Debug for Exporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Exporter")
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

fn load(source: &Source) -> Result<TargetsFile, ConfigError> {
    match source {
        Source::File(p) => TargetsFile::load(p),
        Source::Single(t) => {
            let f = TargetsFile {
                targets: vec![(**t).clone()],
                ..TargetsFile::default()
            };
            f.validate()?;
            Ok(f)
        }
    }
}

impl Exporter {
    /// Load the targets and start collecting (needs a Tokio runtime).
    pub fn start(source: Source) -> Result<Arc<Self>, ConfigError> {
        let file = Arc::new(load(&source)?);
        let cache = Arc::new(Cache::new());
        let own = Arc::new(OwnMetrics::new());
        let sched = Scheduler::start(Arc::clone(&file), Arc::clone(&cache), Arc::clone(&own))?;
        Ok(Arc::new(Exporter {
            source,
            cache,
            own,
            state: Mutex::new((file, sched)),
        }))
    }

    /// Re-read the targets; on error the running configuration stays.
    pub fn reload(&self) -> Result<usize, ConfigError> {
        let r = load(&self.source).and_then(|f| {
            let f = Arc::new(f);
            let mut st = self.state.lock();
            st.1.stop();
            let sched = Scheduler::start(
                Arc::clone(&f),
                Arc::clone(&self.cache),
                Arc::clone(&self.own),
            );
            match sched {
                Ok(s) => {
                    let n = f.targets.len();
                    *st = (f, s);
                    Ok(n)
                }
                Err(e) => {
                    // restart the previous configuration
                    if let Ok(s) = Scheduler::start(
                        Arc::clone(&st.0),
                        Arc::clone(&self.cache),
                        Arc::clone(&self.own),
                    ) {
                        st.1 = s;
                    }
                    Err(e)
                }
            }
        });
        let result = if r.is_ok() { "success" } else { "failure" };
        self.own
            .reloads
            .get_or_create(&labels([("result", result)]))
            .inc();
        r
    }

    /// The cache.
    pub fn cache(&self) -> &Arc<Cache> {
        &self.cache
    }

    /// The own metrics.
    pub fn own(&self) -> &Arc<OwnMetrics> {
        &self.own
    }

    fn single_name(&self) -> Option<String> {
        match &self.source {
            Source::Single(t) => Some(t.name.clone()),
            Source::File(_) => None,
        }
    }

    /// Resolve `/probe`'s `target` parameter to a cache key.
    fn resolve(&self, target: Option<&str>) -> Result<String, (StatusCode, String)> {
        let single = self.single_name();
        let host = match &self.source {
            Source::Single(t) => Some(t.host.clone()),
            Source::File(_) => None,
        };
        let key = match (target, &single) {
            (None | Some(""), Some(s)) => s.clone(),
            (Some(t), Some(s)) if host.as_deref() == Some(t) => s.clone(),
            (Some(t), _) if !t.is_empty() => t.to_owned(),
            _ => {
                return Err((
                    StatusCode::BAD_REQUEST,
                    "the target parameter is required: /probe?target=NAME (a target name, or a firewall serial behind a Panorama target)\n".into(),
                ));
            }
        };
        // a lookup only: a scrape copies nothing of the device's status
        if !self.cache.contains(&key) {
            let known = self.cache.keys();
            let shown: Vec<&str> = known.iter().take(20).map(String::as_str).collect();
            return Err((
                StatusCode::NOT_FOUND,
                format!(
                    "unknown target {key:?}; known: {}{}\n",
                    shown.join(", "),
                    if known.len() > 20 { ", …" } else { "" }
                ),
            ));
        }
        Ok(key)
    }

    /// Ready once every device had at least one collection attempt.
    pub fn ready(&self) -> bool {
        let keys = self.cache.keys();
        !keys.is_empty()
            && keys.iter().all(|k| {
                self.cache
                    .status(k)
                    .is_some_and(|s| s.collectors.values().any(|c| c.last_attempt.is_some()))
            })
    }
}

#[derive(serde::Deserialize)]
struct ProbeQuery {
    target: Option<String>,
}

async fn probe(State(ex): State<Arc<Exporter>>, Query(q): Query<ProbeQuery>) -> Response {
    let t0 = Instant::now();
    let r = match ex.resolve(q.target.as_deref()) {
        Ok(key) => match ex.cache.render(&key) {
            Some(text) => {
                (StatusCode::OK, [(header::CONTENT_TYPE, OPENMETRICS)], text).into_response()
            }
            None => (StatusCode::NOT_FOUND, "target vanished\n").into_response(),
        },
        Err((code, msg)) => (
            code,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            msg,
        )
            .into_response(),
    };
    ex.own.probe.observe(t0.elapsed().as_secs_f64());
    r
}

async fn own_metrics(State(ex): State<Arc<Exporter>>) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, OPENMETRICS)],
        ex.own.encode(),
    )
        .into_response()
}

async fn healthy() -> &'static str {
    "Healthy\n"
}

async fn ready(State(ex): State<Arc<Exporter>>) -> Response {
    if ex.ready() {
        (StatusCode::OK, "Ready\n").into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "Not ready: first collection still running\n",
        )
            .into_response()
    }
}

async fn reload(State(ex): State<Arc<Exporter>>) -> Response {
    match ex.reload() {
        Ok(n) => {
            info!(targets = n, "targets reloaded");
            (StatusCode::OK, format!("reloaded {n} target(s)\n")).into_response()
        }
        Err(e) => {
            warn!(error = %e, "reload failed; keeping the running targets");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("reload failed, running targets kept: {e}\n"),
            )
                .into_response()
        }
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

async fn index(State(ex): State<Arc<Exporter>>) -> Response {
    let now = SystemTime::now();
    let mut rows = String::new();
    for key in ex.cache.keys() {
        let Some(s) = ex.cache.status(&key) else {
            continue;
        };
        let last = s.collectors.values().filter_map(|c| c.last_success).max();
        let age = last
            .and_then(|t| now.duration_since(t).ok())
            .map(|d| format!("{} s", d.as_secs()))
            .unwrap_or_else(|| "never".into());
        let ok = s.collectors.values().filter(|c| c.success).count();
        let mut errors: Vec<String> = s
            .collectors
            .iter()
            .filter_map(|(n, c)| {
                c.error
                    .as_ref()
                    .map(|e| format!("{n}: [{}] {}", e.kind.as_str(), e.message))
            })
            .collect();
        if let Some(g) = &s.gone {
            errors.insert(0, g.clone());
        }
        rows.push_str(&format!(
            "<tr><td><a href=\"/probe?target={k}\">{k}</a></td><td>{t}</td><td>{ok}/{n}</td><td>{age}</td><td>{e}</td></tr>\n",
            k = esc(&key),
            t = esc(&s.target),
            n = s.collectors.len(),
            e = esc(&errors.join("\n")).replace('\n', "<br>"),
        ));
    }
    let html = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>panops exporter</title><style>body{{font-family:sans-serif}}td,th{{padding:2px 8px;text-align:left;vertical-align:top}}</style></head><body><h1>panops exporter</h1><p><a href=\"/metrics\">own metrics</a> · <a href=\"/-/ready\">ready</a></p><table><tr><th>target</th><th>configured as</th><th>collectors ok</th><th>last success</th><th>errors</th></tr>\n{rows}</table></body></html>\n"
    );
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response()
}

/// The router (for tests and embedding).
pub fn router(ex: Arc<Exporter>) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/probe", get(probe))
        .route("/metrics", get(own_metrics))
        .route("/-/healthy", get(healthy))
        .route("/-/ready", get(ready))
        .route("/-/reload", post(reload))
        .with_state(ex)
}

/// Serve until the process ends; SIGHUP reloads the targets.
pub async fn serve(ex: Arc<Exporter>, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        let ex2 = Arc::clone(&ex);
        if let Ok(mut hup) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        {
            tokio::spawn(async move {
                while hup.recv().await.is_some() {
                    match ex2.reload() {
                        Ok(n) => info!(targets = n, "SIGHUP: targets reloaded"),
                        Err(e) => {
                            warn!(error = %e, "SIGHUP: reload failed; keeping the running targets")
                        }
                    }
                }
            });
        }
    }
    axum::serve(listener, router(ex)).await
}

/// Bind `addr` (port 0 picks one) and return the listener with its address.
pub async fn bind(addr: &str) -> std::io::Result<(tokio::net::TcpListener, SocketAddr)> {
    let l = tokio::net::TcpListener::bind(addr).await?;
    let a = l.local_addr()?;
    Ok((l, a))
}
