//! The background scheduler: collects every device on its tiers into the [`Cache`], with
//! one in-flight request per firewall management plane (a small pool for a Panorama and
//! the firewalls reached through it), per-target backoff, and Panorama discovery.

use std::{
    collections::BTreeMap,
    sync::Arc,
    time::{Duration, Instant},
};

use panops_client::panos::PanosClient;
use panops_panos::op;
use tokio::{sync::Semaphore, task::JoinHandle};
use tracing::{debug, info, warn};

use crate::{
    cache::{Cache, CollectError, ErrorKind},
    collectors::{self, Collector, ParseContext, parse_devices},
    metrics::{Families, Labels, labels},
    own::OwnMetrics,
    targets::{ConfigError, Scheduled, TargetConfig, TargetKind, TargetsFile},
};

/// Longest pause after repeated connection failures.
const MAX_BACKOFF: Duration = Duration::from_secs(600);
/// First pause after a connection failure.
const FIRST_BACKOFF: Duration = Duration::from_secs(15);

/// Classify a client error into a bounded kind and a message without secrets.
pub fn classify(e: &panops_client::Error) -> CollectError {
    use panops_client::Error as E;
    let kind = match e {
        E::Transport { kind, .. } => {
            if matches!(kind, panops_client::http::TransportKind::Timeout) {
                ErrorKind::Timeout
            } else {
                ErrorKind::Unreachable
            }
        }
        E::TooLarge { .. } => ErrorKind::TooLarge,
        E::Decode(_) => ErrorKind::Decode,
        E::Api(a) => {
            let says = |p: &str| a.messages.iter().any(|m| m.contains(p));
            if says("Invalid Credential")
                || says("Invalid credentials")
                || a.is_key_expired()
                || (a.http_status == 403 && a.code.is_none())
            {
                ErrorKind::Auth
            } else if a.code == Some(16)
                || a.http_status == 403
                || says("not authorized")
                || says("Unauthorized")
            {
                ErrorKind::Permission
            } else {
                ErrorKind::Api
            }
        }
        _ => ErrorKind::Api,
    };
    CollectError {
        kind,
        message: e.to_string(),
    }
}

/// Run one collector once against `client` (used by the scheduler and `panops check`).
pub async fn collect(
    client: &PanosClient,
    c: &Collector,
    ctx: &ParseContext,
) -> Result<Families, CollectError> {
    let req = op::op(c.command).map_err(|e| CollectError {
        kind: ErrorKind::Api,
        message: e.to_string(),
    })?;
    let resp = client.execute(&req).await.map_err(|e| classify(&e))?;
    let result = resp.result().ok_or_else(|| CollectError {
        kind: ErrorKind::Shape,
        message: format!("{}: the reply has no <result>", c.name),
    })?;
    let mut out = Families::new();
    (c.parse)(result, ctx, &mut out).map_err(|e| CollectError {
        kind: ErrorKind::Shape,
        message: format!("{}: {e}", c.name),
    })?;
    Ok(out)
}

/// A task that is aborted when its handle is dropped: the firewall loops a Panorama's
/// discovery started end with it (a plain `JoinHandle` would leave them running).
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Shared pieces every device loop needs.
#[derive(Clone)]
struct Ctx {
    cache: Arc<Cache>,
    own: Arc<OwnMetrics>,
    parse: ParseContext,
}

/// Stable spread of first runs so that many devices do not start in the same instant.
fn spread(key: &str, max: Duration) -> Duration {
    let h = key
        .bytes()
        .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
    let ms = max.as_millis().max(1) as u64;
    Duration::from_millis(h % ms)
}

async fn device_loop(
    ctx: Ctx,
    key: String,
    client: PanosClient,
    permits: Arc<Semaphore>,
    schedule: Vec<Scheduled>,
) {
    let start = Instant::now() + spread(&key, Duration::from_millis(500));
    let mut next: Vec<Instant> = vec![start; schedule.len()];
    let mut failures: u32 = 0;
    loop {
        let now = Instant::now();
        let Some(i) = (0..schedule.len())
            .filter(|i| next[*i] <= now)
            .min_by_key(|i| next[*i])
        else {
            let wake = next
                .iter()
                .min()
                .copied()
                .unwrap_or(now + Duration::from_secs(60));
            tokio::time::sleep_until(wake.into()).await;
            continue;
        };
        let s = schedule[i];
        let name = s.collector.name;
        let outcome = {
            let _permit = match permits.acquire().await {
                Ok(p) => p,
                Err(_) => return,
            };
            let t0 = Instant::now();
            let r = collect(
                &client,
                s.collector,
                &ParseContext {
                    now: chrono::Utc::now().timestamp(),
                    ..ctx.parse.clone()
                },
            )
            .await;
            (t0.elapsed(), r)
        };
        let (elapsed, result) = outcome;
        let l = labels([("target", &key), ("collector", name)]);
        ctx.own.requests.get_or_create(&l).inc();
        ctx.own
            .collection
            .get_or_create(&labels([("collector", name)]))
            .observe(elapsed.as_secs_f64());
        let done = Instant::now();
        match &result {
            Ok(f) => {
                failures = 0;
                debug!(target_name = %key, collector = name, series = f.series_count(), ms = elapsed.as_millis() as u64, "collected");
                next[i] = done + s.interval;
            }
            Err(e) => {
                let mut el = l.clone();
                el.push(("kind".into(), e.kind.as_str().into()));
                ctx.own.errors.get_or_create(&el).inc();
                warn!(target_name = %key, collector = name, kind = e.kind.as_str(), error = %e.message, "collection failed");
                if e.kind.is_target_down() {
                    failures = failures.saturating_add(1);
                    let pause = FIRST_BACKOFF
                        .saturating_mul(2u32.saturating_pow(failures - 1))
                        .min(MAX_BACKOFF);
                    // the management plane is down: every collector waits, none hammers it
                    for n in next.iter_mut() {
                        *n = (*n).max(done + pause);
                    }
                    info!(target_name = %key, pause_s = pause.as_secs(), "target unreachable, backing off");
                } else {
                    next[i] = done + s.interval;
                }
            }
        }
        let backoff = match &result {
            Err(e) if e.kind.is_target_down() => Some(format!(
                "not collected while {key} is unreachable ({}); next attempt after the backoff",
                e.kind.as_str()
            )),
            _ => None,
        };
        ctx.cache.record(&key, name, elapsed, result);
        if let Some(why) = backoff {
            ctx.cache.mark_backoff(&key, name, &why);
        }
        // encode once when no other collector is due, not once per collector, and not in
        // a scrape
        let now = Instant::now();
        if !next.iter().any(|n| *n <= now) {
            ctx.cache.prerender(&key);
        }
    }
}

async fn panorama_discovery(
    ctx: Ctx,
    file: Arc<TargetsFile>,
    target: TargetConfig,
    client: PanosClient,
    permits: Arc<Semaphore>,
) {
    let every = Duration::from_secs(file.defaults.discovery_interval_secs.max(1));
    let schedule = file.schedule(&target, false);
    let mut running: BTreeMap<String, AbortOnDrop> = BTreeMap::new();
    let base = target_labels(&target);
    loop {
        let listed = {
            let _p = permits.acquire().await;
            discover(&client).await
        };
        ctx.own
            .requests
            .get_or_create(&labels([
                ("target", &target.name),
                ("collector", "discovery"),
            ]))
            .inc();
        match listed {
            Ok(serials) => {
                for serial in &serials {
                    if running.contains_key(serial) {
                        continue;
                    }
                    let Ok(fw) = client.with_target(serial) else {
                        warn!(panorama = %target.name, serial = %serial, "Panorama listed an invalid serial; skipped");
                        continue;
                    };
                    let mut l = base.clone();
                    l.push(("panorama".into(), target.name.clone()));
                    ctx.cache.ensure(serial, &target.name, Some(serial), l);
                    info!(panorama = %target.name, serial = %serial, "collecting firewall through Panorama");
                    running.insert(
                        serial.clone(),
                        AbortOnDrop(tokio::spawn(device_loop(
                            ctx.clone(),
                            serial.clone(),
                            fw,
                            Arc::clone(&permits),
                            schedule.clone(),
                        ))),
                    );
                }
                let gone: Vec<String> = running
                    .keys()
                    .filter(|s| !serials.contains(s))
                    .cloned()
                    .collect();
                for s in gone {
                    // dropping the handle stops that firewall's loop
                    running.remove(&s);
                    let why = format!(
                        "firewall {s} is no longer listed as connected by Panorama {}",
                        target.name
                    );
                    warn!(panorama = %target.name, serial = %s, "{why}");
                    ctx.cache.mark_gone(&s, &why);
                }
            }
            Err(e) => {
                let mut el = labels([("target", &target.name), ("collector", "discovery")]);
                el.push(("kind".into(), e.kind.as_str().into()));
                ctx.own.errors.get_or_create(&el).inc();
                warn!(panorama = %target.name, error = %e.message, "discovery failed; keeping the known firewalls");
            }
        }
        ctx.own.devices.set(ctx.cache.keys().len() as i64);
        tokio::time::sleep(every).await;
    }
}

/// `show devices connected` → serials.
pub async fn discover(client: &PanosClient) -> Result<Vec<String>, CollectError> {
    let req = op::op("<show><devices><connected/></devices></show>").map_err(|e| CollectError {
        kind: ErrorKind::Api,
        message: e.to_string(),
    })?;
    let resp = client.execute(&req).await.map_err(|e| classify(&e))?;
    let result = resp.result().ok_or_else(|| CollectError {
        kind: ErrorKind::Shape,
        message: "show devices connected: no <result>".into(),
    })?;
    let devices = parse_devices(result).map_err(|e| CollectError {
        kind: ErrorKind::Shape,
        message: format!("show devices connected: {e}"),
    })?;
    Ok(devices
        .into_iter()
        .filter(|d| d.connected)
        .map(|d| d.serial)
        .collect())
}

fn target_labels(t: &TargetConfig) -> Labels {
    t.labels
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// The running scheduler of one targets file.
pub struct Scheduler {
    tasks: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for Scheduler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scheduler")
            .field("tasks", &self.tasks.len())
            .finish()
    }
}

impl Scheduler {
    /// Start collecting every target of `file` into `cache`. Fails before starting
    /// anything if a target's client cannot be built (unreadable key file, bad CA file).
    pub fn start(
        file: Arc<TargetsFile>,
        cache: Arc<Cache>,
        own: Arc<OwnMetrics>,
    ) -> Result<Self, ConfigError> {
        let clients: Vec<(TargetConfig, PanosClient)> = file
            .targets
            .iter()
            .map(|t| t.client(&file.defaults).map(|c| (t.clone(), c)))
            .collect::<Result<_, _>>()?;
        let ctx = Ctx {
            cache: Arc::clone(&cache),
            own: Arc::clone(&own),
            parse: ParseContext {
                now: 0,
                counters: file.global_counters.clone(),
            },
        };
        // a reload drops what no longer exists, keeps the rest (and its history)
        let names: Vec<String> = file.targets.iter().map(|t| t.name.clone()).collect();
        cache.retain(|_, d| names.contains(&d.target));
        let mut tasks = Vec::new();
        for (t, client) in clients {
            cache.ensure(&t.name, &t.name, None, target_labels(&t));
            let panorama = t.kind == TargetKind::Panorama;
            let permits = Arc::new(Semaphore::new(if panorama {
                t.pool.unwrap_or(4)
            } else {
                1
            }));
            tasks.push(tokio::spawn(device_loop(
                ctx.clone(),
                t.name.clone(),
                client.clone(),
                Arc::clone(&permits),
                file.schedule(&t, panorama),
            )));
            if panorama {
                tasks.push(tokio::spawn(panorama_discovery(
                    ctx.clone(),
                    Arc::clone(&file),
                    t.clone(),
                    client,
                    permits,
                )));
            }
        }
        own.devices.set(cache.keys().len() as i64);
        Ok(Scheduler { tasks })
    }

    /// Stop every collection task.
    pub fn stop(&mut self) {
        for t in self.tasks.drain(..) {
            t.abort();
        }
    }
}

impl Drop for Scheduler {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Every collector that applies to a device kind (for tools that list them).
pub fn collectors_for(panorama: bool) -> Vec<&'static Collector> {
    collectors::ALL
        .iter()
        .filter(|c| c.applies_to(panorama))
        .collect()
}
