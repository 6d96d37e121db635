//! Strata Cloud Manager (SCM) API simulator with its OAuth2 token service.
//!
//! It serves, on one listener, what the official clients (pan-scm-sdk) and panops talk to:
//!
//! - the token service: `POST /oauth2/access_token` (also `/auth/v1/oauth2/access_token` and
//!   `/am/oauth2/access_token`), client credentials by HTTP Basic or form, RS256 JWTs whose
//!   audience is the client id and whose claims carry the TSG, and the JWKS next to it at
//!   `.../connect/jwk_uri`;
//! - both API families, `/sse/config/v1/...` and `/config/<area>/v1/...`, plus the setup API
//!   folders: generic CRUD for every resource (uuid ids, folder/snippet/device containers,
//!   name uniqueness, paging, pre/post rulebases and `:move`), candidate vs running,
//!   `config-versions/candidate:push` jobs that progress, config versions, `:load` and
//!   candidate rollback;
//! - faults: latency, 429 with `Retry-After`, 5xx, token expiry.
//!
//! ```
//! use panops_scm_sim::{ScmSimConfig, ScmSimulator};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), panops_scm_sim::ScmSimError> {
//! let sim = ScmSimulator::start(ScmSimConfig::new("127.0.0.1:0".parse().unwrap(), false)).await?;
//! assert!(sim.token_url().ends_with("/oauth2/access_token"));
//! sim.handle().inject_status(429, 1); // the next API call gets 429 with Retry-After
//! assert_eq!(sim.handle().token_requests(), 0);
//! sim.shutdown().await;
//! # Ok(()) }
//! ```

mod auth;
mod catalog;
mod config;
mod errors;
mod routes;
mod server;
mod store;
mod time;
mod tls;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use parking_lot::Mutex;

pub use auth::{ISSUER, TokenClaims};
pub use catalog::from_catalog as routes_from_catalog;
pub use config::{
    ClientCredential, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_TSG_ID, FaultConfig,
    ScmSimArgs, ScmSimConfig,
};
pub use errors::{ApiError, ScmSimError};
pub use routes::{RouteDef, RouteTable, parse_path};
pub use server::{RecordedRequest, RequestValidator, TOKEN_PATHS, Validator};
pub use store::{Container, PREDEFINED_FOLDERS, Rulebase, TenantState};
pub use time::format_rfc3339;

use server::Shared;

/// Entry point: starts simulators.
pub struct ScmSimulator;

impl ScmSimulator {
    /// Starts a simulator serving every operation of the built-in SCM catalog.
    pub async fn start(cfg: ScmSimConfig) -> Result<RunningScmSim, ScmSimError> {
        let (routes, validator) = catalog::builtin_routes();
        Self::start_with_routes(cfg, routes, validator).await
    }

    /// Starts a simulator with an explicit route table (an empty table serves any path of
    /// the two families by its shape) and an optional body validator.
    pub async fn start_with_routes(
        cfg: ScmSimConfig,
        routes: RouteTable,
        validator: Option<Validator>,
    ) -> Result<RunningScmSim, ScmSimError> {
        let key = auth::KeyMaterial::shared()?;
        if let Some(notice) = cfg.default_client_notice() {
            tracing::warn!("{notice}");
        }
        let listener =
            std::net::TcpListener::bind(cfg.listen).map_err(|source| ScmSimError::Bind {
                addr: cfg.listen,
                source,
            })?;
        listener
            .set_nonblocking(true)
            .map_err(|source| ScmSimError::Bind {
                addr: cfg.listen,
                source,
            })?;
        let local = listener.local_addr().map_err(|source| ScmSimError::Bind {
            addr: cfg.listen,
            source,
        })?;
        let shared = Arc::new(Shared {
            clients: cfg.clients.clone(),
            key,
            clock: time::SimClock::new(),
            tenant: parking_lot::RwLock::new(TenantState {
                integer_id_stems: routes.integer_id_stems(),
                server_assigned: routes.server_assigned_fields(),
                ..TenantState::new()
            }),
            faults: Mutex::new(cfg.faults.clone()),
            injected: Mutex::new(Default::default()),
            injected_after: Mutex::new(Default::default()),
            in_flight: AtomicU64::new(0),
            max_in_flight: AtomicU64::new(0),
            token_issued: AtomicU64::new(0),
            token_refused: AtomicU64::new(0),
            token_seq: AtomicU64::new(0),
            min_valid_seq: AtomicU64::new(0),
            token_lifetime_secs: AtomicU64::new(cfg.token_lifetime.as_secs().max(1)),
            push_duration_ms: AtomicU64::new(cfg.push_duration.as_millis() as u64),
            log: Mutex::new(Default::default()),
            routes,
            validator,
            request_seq: AtomicU64::new(1),
        });
        let app = server::router(shared.clone()).into_make_service();
        let server_handle = axum_server::Handle::new();
        let host = url_host(local);
        let (scheme, ca_pem) = if cfg.tls {
            let cert = tls::self_signed(&local.ip().to_string())?;
            let rustls_cfg =
                axum_server::tls_rustls::RustlsConfig::from_config(cert.server_config.clone());
            let server =
                axum_server::from_tcp_rustls(listener, rustls_cfg).handle(server_handle.clone());
            tokio::spawn(async move {
                if let Err(e) = server.serve(app).await {
                    tracing::error!("SCM simulator stopped: {e}");
                }
            });
            ("https", Some(cert.cert_pem))
        } else {
            let server = axum_server::from_tcp(listener).handle(server_handle.clone());
            tokio::spawn(async move {
                if let Err(e) = server.serve(app).await {
                    tracing::error!("SCM simulator stopped: {e}");
                }
            });
            ("http", None)
        };
        Ok(RunningScmSim {
            base_url: format!("{scheme}://{host}"),
            local_addr: local,
            ca_pem,
            shared,
            server_handle,
        })
    }
}

fn url_host(addr: SocketAddr) -> String {
    match addr {
        SocketAddr::V4(v4) if v4.ip().is_unspecified() => format!("127.0.0.1:{}", v4.port()),
        SocketAddr::V4(v4) => v4.to_string(),
        SocketAddr::V6(v6) if v6.ip().is_unspecified() => format!("[::1]:{}", v6.port()),
        SocketAddr::V6(v6) => format!("[{}]:{}", v6.ip(), v6.port()),
    }
}

/// A started simulator.
pub struct RunningScmSim {
    base_url: String,
    local_addr: SocketAddr,
    ca_pem: Option<String>,
    shared: Arc<Shared>,
    server_handle: axum_server::Handle,
}

impl std::fmt::Debug for RunningScmSim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningScmSim")
            .field("base_url", &self.base_url)
            .field("tls", &self.ca_pem.is_some())
            .finish_non_exhaustive()
    }
}

impl RunningScmSim {
    /// `scheme://host:port` with no path: API paths (`/sse/config/v1/...`,
    /// `/config/objects/v1/...`) are appended to it.
    pub fn base_url(&self) -> String {
        self.base_url.clone()
    }

    /// The token endpoint (`<base_url>/oauth2/access_token`); the JWKS is at
    /// `<base_url>/oauth2/connect/jwk_uri`.
    pub fn token_url(&self) -> String {
        format!("{}/oauth2/access_token", self.base_url)
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// PEM of the self-signed certificate (HTTPS only); clients add it as a trusted root.
    pub fn ca_pem(&self) -> Option<String> {
        self.ca_pem.clone()
    }

    /// A handle for tests: faults, counters, recorded requests, clock.
    pub fn handle(&self) -> ScmSimHandle {
        ScmSimHandle {
            shared: self.shared.clone(),
        }
    }

    /// Stops serving (open connections get one second to finish).
    pub async fn shutdown(self) {
        self.server_handle
            .graceful_shutdown(Some(Duration::from_secs(1)));
        // Give the accept loop a moment to observe the shutdown.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Test utility handle to a running simulator.
#[derive(Clone)]
pub struct ScmSimHandle {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for ScmSimHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScmSimHandle")
            .field("routes", &self.shared.routes.len())
            .finish_non_exhaustive()
    }
}

impl ScmSimHandle {
    /// Successful token requests so far.
    pub fn token_requests(&self) -> u64 {
        self.shared.token_issued.load(Ordering::Relaxed)
    }

    /// Refused token requests so far (bad credentials, scope, grant type).
    pub fn token_requests_refused(&self) -> u64 {
        self.shared.token_refused.load(Ordering::Relaxed)
    }

    /// API requests received (most recent last, at most 20,000).
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.log.lock().iter().cloned().collect()
    }

    /// Forgets the recorded requests.
    pub fn clear_requests(&self) {
        self.shared.log.lock().clear();
    }

    /// Current fault settings.
    pub fn faults(&self) -> FaultConfig {
        self.shared.faults.lock().clone()
    }

    /// Replaces the fault settings.
    pub fn set_faults(&self, faults: FaultConfig) {
        *self.shared.faults.lock() = faults;
    }

    /// Answers the next `count` API calls with `status` (429 carries `Retry-After`).
    pub fn inject_status(&self, status: u16, count: usize) {
        let mut q = self.shared.injected.lock();
        q.extend(std::iter::repeat_n(status, count));
    }

    /// Lets the next `count` API calls take effect, then answers them with `status` instead
    /// of their result: a response lost between the API and the client (a gateway timing out
    /// after the backend acted). Calls that fail anyway (an injected fault, a 4xx) do not use
    /// one up.
    pub fn inject_status_after_effect(&self, status: u16, count: usize) {
        let mut q = self.shared.injected_after.lock();
        q.extend(std::iter::repeat_n(status, count));
    }

    /// The most API requests that were being served at the same time since start (or since
    /// [`ScmSimHandle::reset_max_in_flight`]): a client's concurrency as the server sees it.
    pub fn max_in_flight(&self) -> u64 {
        self.shared.max_in_flight.load(Ordering::SeqCst)
    }

    /// Restarts the high-water mark of [`ScmSimHandle::max_in_flight`].
    pub fn reset_max_in_flight(&self) {
        self.shared.max_in_flight.store(0, Ordering::SeqCst);
    }

    /// Makes every token issued so far expired (the next API call with one gets 401).
    pub fn expire_tokens(&self) {
        let next = self.shared.token_seq.load(Ordering::Relaxed);
        self.shared.min_valid_seq.store(next, Ordering::Relaxed);
    }

    /// Sets the lifetime of tokens issued from now on.
    pub fn set_token_lifetime(&self, lifetime: Duration) {
        self.shared
            .token_lifetime_secs
            .store(lifetime.as_secs().max(1), Ordering::Relaxed);
    }

    /// Moves the simulator clock forward (token expiry and job progress). Tokens are stamped
    /// with this clock, so a client comparing `exp` with its own wall clock sees shifted times.
    pub fn advance_clock(&self, by: Duration) {
        self.shared.clock.advance(by.as_secs() as i64);
    }

    /// How far the simulator clock is ahead of the wall clock, in seconds.
    pub fn clock_offset_secs(&self) -> i64 {
        self.shared.clock.offset_secs()
    }

    /// Unix time on the simulator clock.
    pub fn now_unix(&self) -> i64 {
        self.shared.clock.now_unix()
    }

    /// Sets how long push jobs take from PEND to FIN.
    pub fn set_push_duration(&self, d: Duration) {
        self.shared
            .push_duration_ms
            .store(d.as_millis() as u64, Ordering::Relaxed);
    }

    /// Makes the next `n` pushes end in FIN/FAIL (the candidate is not applied).
    pub fn fail_next_pushes(&self, n: u32) {
        self.shared.tenant.write().fail_next_pushes = n;
    }

    /// Adds an object as if it had been created through the API, for objects the API itself
    /// cannot create (onboarded devices, snippet categories, trusts, ...). `stem` is the path
    /// stem (`devices`, `addresses`, `mobile-agent/agent-profiles`); a `folder`, `snippet` or
    /// `device` key in `body` places it. Returns the stored object, with its new `id`.
    pub fn insert_object(
        &self,
        stem: &str,
        body: serde_json::Map<String, serde_json::Value>,
    ) -> Result<serde_json::Value, ApiError> {
        let container = ["folder", "snippet", "device"].iter().find_map(|k| {
            body.get(*k).and_then(|v| v.as_str()).map(|v| match *k {
                "folder" => Container::Folder(v.to_string()),
                "snippet" => Container::Snippet(v.to_string()),
                _ => Container::Device(v.to_string()),
            })
        });
        self.shared
            .tenant
            .write()
            .create(stem, container, None, body)
    }

    /// Runs `f` on the tenant state (read-only).
    pub fn with_state<R>(&self, f: impl FnOnce(&TenantState) -> R) -> R {
        f(&self.shared.tenant.read())
    }

    /// Number of catalog routes served (0 = shape-only serving).
    pub fn route_count(&self) -> usize {
        self.shared.routes.len()
    }
}
