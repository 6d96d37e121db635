//! The simulator state and request dispatch (sans-IO: a request in, a reply out).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use parking_lot::Mutex;
use std::time::{Duration, Instant, SystemTime};

use base64::Engine;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sha2::{Digest, Sha256};

use crate::clock::Clock;
use crate::config::{AdminAccount, DeviceKind, Faults, SimConfig};
use crate::device::{self, ApiError, ConfigReq, Device, LOCALHOST};
use crate::handle::RecordedRequest;
use crate::jobs::{self, DeviceResult, Effect, Job, Phase, PushPlan, PushTarget};
use crate::xml::{self, Element};
use crate::xpath::XPath;
use crate::{certs, logs, ops, template, userid, validate};

/// A decoded API request. Its `Debug` masks keys, passwords and Basic credentials.
#[derive(Clone, Default)]
pub struct Request {
    /// HTTP method.
    pub method: String,
    /// Query and form parameters, in order.
    pub params: Vec<(String, String)>,
    /// `X-PAN-KEY` header.
    pub header_key: Option<String>,
    /// HTTP Basic credentials.
    pub basic: Option<(String, String)>,
    /// Uploaded file (multipart `file`): (filename, bytes).
    pub file: Option<(String, Vec<u8>)>,
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let params: Vec<(&str, String)> = self
            .params
            .iter()
            .map(|(k, v)| {
                let shown = if matches!(k.as_str(), "key" | "password" | "passphrase") {
                    "***".to_string()
                } else {
                    crate::handle::mask_secrets(v)
                };
                (k.as_str(), shown)
            })
            .collect();
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("params", &params)
            .field("header_key", &self.header_key.as_ref().map(|_| "***"))
            .field("basic", &self.basic.as_ref().map(|(u, _)| (u, "***")))
            .field("file", &self.file.as_ref().map(|(n, b)| (n, b.len())))
            .finish()
    }
}

impl Request {
    /// First value of a parameter.
    pub fn get(&self, k: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
    }
}

/// What to send back.
#[derive(Debug, Clone)]
pub enum Reply {
    /// An XML document.
    Xml {
        /// HTTP status.
        http: u16,
        /// Body.
        body: String,
    },
    /// A file download.
    Attachment {
        /// File name.
        filename: String,
        /// Content type.
        content_type: &'static str,
        /// Bytes.
        body: Vec<u8>,
    },
}

impl Reply {
    fn ok(body: String) -> Reply {
        Reply::Xml { http: 200, body }
    }

    fn err(e: &ApiError) -> Reply {
        Reply::Xml {
            http: e.http,
            body: render_error(e),
        }
    }

    /// HTTP status.
    pub fn http(&self) -> u16 {
        match self {
            Reply::Xml { http, .. } => *http,
            Reply::Attachment { .. } => 200,
        }
    }
}

/// An issued API key.
#[derive(Debug, Clone)]
pub struct KeyInfo {
    /// Admin user.
    pub user: String,
    /// When issued.
    pub issued: SystemTime,
}

/// A log query job.
#[derive(Debug, Clone)]
pub struct LogJob {
    /// Matching entries (seqnos resolved at enqueue).
    pub entries: Vec<crate::device::LogEntry>,
    /// Enqueue time.
    pub enq: Instant,
}

/// The devices by serial, each behind its own lock: under the exclusive state lock they are
/// reached without locking (`get_mut`, `values_mut`); a request that shares the state lock
/// locks only the device it is for, so that requests for other devices go on meanwhile.
#[derive(Debug, Default)]
pub struct Devices(BTreeMap<String, parking_lot::RwLock<Device>>);

/// A device read under its own lock.
pub type DeviceRef<'a> = parking_lot::RwLockReadGuard<'a, Device>;

impl Devices {
    /// The device with this serial, read-locked.
    pub fn get(&self, serial: &str) -> Option<DeviceRef<'_>> {
        self.0.get(serial).map(|d| d.read())
    }
    /// The device with this serial, write-locked (when the state lock is only shared).
    pub fn lock(&self, serial: &str) -> Option<parking_lot::RwLockWriteGuard<'_, Device>> {
        self.0.get(serial).map(|d| d.write())
    }
    /// The device with this serial (exclusive access: no locking).
    pub fn get_mut(&mut self, serial: &str) -> Option<&mut Device> {
        self.0.get_mut(serial).map(|d| d.get_mut())
    }
    /// Add a device.
    pub fn insert(&mut self, serial: String, dev: Device) {
        self.0.insert(serial, parking_lot::RwLock::new(dev));
    }
    /// Serials in order.
    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.0.keys()
    }
    /// Devices in serial order, read-locked one at a time.
    pub fn values(&self) -> impl Iterator<Item = DeviceRef<'_>> {
        self.0.values().map(|d| d.read())
    }
    /// (serial, device) in serial order, read-locked one at a time.
    pub fn iter(&self) -> impl Iterator<Item = (&String, DeviceRef<'_>)> {
        self.0.iter().map(|(k, d)| (k, d.read()))
    }
}

/// When the next time-driven step is due, kept up to date by every request that holds the
/// state lock alone: a request sharing it reads this instead of every device's jobs (which
/// would wait for a device another request is changing).
#[derive(Debug, Default, Clone, Copy)]
pub struct Due {
    /// The earliest end of a job not yet applied.
    pub next_job_end: Option<Instant>,
    /// A device is restarting (the exclusive path brings it back).
    pub restarting: bool,
}

/// What the HTTP layer reads before a request reaches the state: faults, their RNG, and the
/// in-flight counters.
#[derive(Debug)]
pub struct Wire {
    /// Faults.
    pub faults: Faults,
    /// Per-op-command faults (monitoring tests).
    pub op_faults: Vec<crate::ops::monitor::OpFault>,
    /// RNG for fault rates.
    pub rng: StdRng,
    /// Requests being served right now, and the most seen at once (clients promising
    /// bounded concurrency are checked against it).
    pub in_flight: (usize, usize),
}

/// All simulator state, behind one read/write lock: configuration reads share it (see
/// [`SimState::try_read`]), everything else takes it alone for a short critical section
/// (request parsing and durable writes happen outside it).
pub struct SimState {
    /// Device kind at the URL.
    pub kind: DeviceKind,
    /// Devices by serial (Panorama included).
    pub devices: Devices,
    /// Serial of the device answering at the URL.
    pub primary: String,
    /// Managed firewall serials (Panorama) in order.
    pub managed: Vec<String>,
    /// Admin accounts.
    pub admins: Vec<AdminAccount>,
    /// Issued keys.
    pub keys: HashMap<String, KeyInfo>,
    /// Secret salt for key derivation.
    pub salt: String,
    /// Faults, the fault RNG and the in-flight counters: behind their own small lock, so
    /// that the HTTP layer (on the async workers) never waits for the state lock.
    pub wire: Arc<Mutex<Wire>>,
    /// Key lifetime.
    pub key_lifetime: Option<Duration>,
    /// Commit job duration.
    pub job_duration: Duration,
    /// Received requests (secrets removed); its own lock, so that reads sharing the state
    /// lock record theirs too.
    pub requests: Mutex<Vec<RecordedRequest>>,
    /// Log query jobs.
    pub log_jobs: HashMap<u64, LogJob>,
    /// Next log job id (shares the job id space style of the device).
    pub next_log_job: u64,
    /// Set when state changed and should be persisted.
    pub changed: bool,
    /// Devices changed since the last snapshot (only these are serialised again).
    pub changed_devices: BTreeSet<String>,
    /// Every device changed (or might have): the next snapshot writes them all.
    pub changed_all: bool,
    /// [`Device::configs_generation`] last written per device (`--state`).
    pub persisted_configs: Mutex<HashMap<String, u64>>,
    /// When the next time-driven step is due (see [`SimState::refresh_due`]).
    pub due: Mutex<Due>,
    /// Incremented by every persisted snapshot, so that writes land in order.
    pub generation: std::sync::atomic::AtomicU64,
    /// The simulator clock (shared with every device).
    pub clock: Clock,
    key_counter: u64,
}

/// Firewall serials start here.
pub const FW_SERIAL_BASE: u64 = 7_951_000_000_001;
/// Panorama serial.
pub const PANORAMA_SERIAL: &str = "000710000001";

const WRITE_ACTIONS: &[&str] = &[
    "set",
    "edit",
    "delete",
    "rename",
    "clone",
    "move",
    "multi-config",
    "override",
];

impl SimState {
    /// Fresh state from a config.
    pub fn new(cfg: &SimConfig) -> SimState {
        let clock = Clock::default();
        let mut devices = Devices::default();
        let mut managed = Vec::new();
        let primary = match cfg.kind {
            DeviceKind::Firewall => {
                let serial = format!("{:015}", FW_SERIAL_BASE);
                devices.insert(
                    serial.clone(),
                    Device::firewall(&serial, "PA-VM", "10.0.0.11", cfg.seed, &clock),
                );
                serial
            }
            DeviceKind::Panorama => {
                for i in 0..cfg.firewalls {
                    let serial = format!("{:015}", FW_SERIAL_BASE + i as u64);
                    let host = format!("fw-{}", i + 1);
                    let ip = format!("10.0.0.{}", 11 + i % 200);
                    devices.insert(
                        serial.clone(),
                        Device::firewall(
                            &serial,
                            &host,
                            &ip,
                            cfg.seed.wrapping_add(i as u64),
                            &clock,
                        ),
                    );
                    managed.push(serial);
                }
                devices.insert(
                    PANORAMA_SERIAL.to_string(),
                    Device::panorama(PANORAMA_SERIAL, "Panorama", "10.0.0.5", &managed, &clock),
                );
                PANORAMA_SERIAL.to_string()
            }
        };
        let rng = StdRng::seed_from_u64(cfg.seed);
        // API keys derive from this salt: per instance and random (the traffic seed is fixed
        // and would give every simulator the same keys); persisted with `--state`
        let mut os = rand::rngs::OsRng;
        let salt: String = (0..24).map(|_| os.gen_range(b'a'..=b'z') as char).collect();
        let mut st = SimState {
            kind: cfg.kind,
            devices,
            primary,
            managed,
            admins: cfg.admins.clone(),
            keys: HashMap::new(),
            salt,
            wire: Arc::new(Mutex::new(Wire {
                faults: cfg.faults.clone(),
                op_faults: Vec::new(),
                rng,
                in_flight: (0, 0),
            })),
            key_lifetime: cfg.key_lifetime,
            job_duration: cfg.job_duration,
            requests: Mutex::new(Vec::new()),
            log_jobs: HashMap::new(),
            next_log_job: 1,
            changed: false,
            changed_devices: BTreeSet::new(),
            changed_all: false,
            persisted_configs: Mutex::new(HashMap::new()),
            due: Mutex::new(Due::default()),
            generation: std::sync::atomic::AtomicU64::new(0),
            clock,
            key_counter: 0,
        };
        let serials: Vec<String> = st.devices.keys().cloned().collect();
        for s in serials {
            if let Some(d) = st.devices.get_mut(&s) {
                let now = d.clock.stamp();
                d.log(
                    "system",
                    vec![
                        ("receive_time".into(), now.clone()),
                        ("serial".into(), s.clone()),
                        ("type".into(), "SYSTEM".into()),
                        ("subtype".into(), "general".into()),
                        ("time_generated".into(), now),
                        ("eventid".into(), "general".into()),
                        ("severity".into(), "informational".into()),
                        (
                            "opaque".into(),
                            "The system is up and running (simulated)".into(),
                        ),
                    ],
                );
            }
        }
        st
    }

    /// Advance time-driven state: finish jobs, expire User-ID entries, run traffic.
    pub fn tick(&mut self) {
        let now = self.clock.now();
        let serials: Vec<String> = self.devices.keys().cloned().collect();
        let mut pushes: Vec<PushPlan> = Vec::new();
        for s in &serials {
            let Some(d) = self.devices.get_mut(s) else {
                continue;
            };
            d.userid.expire(now);
            if d.traffic.due() {
                d.traffic.rules = device::allow_rules(&d.running);
                let ips: Vec<String> = d.userid.mappings.keys().cloned().collect();
                d.traffic.tick(&ips);
            }
            logs::drain_traffic(d);
            let mut finished = Vec::new();
            for job in d.jobs.values_mut() {
                if !job.applied && job.phase(now) == Phase::Fin {
                    job.applied = true;
                    finished.push((
                        job.id,
                        job.kind.clone(),
                        job.user.clone(),
                        job.ok,
                        job.effect.take(),
                        job.description.clone(),
                    ));
                }
            }
            while d.jobs.len() > 1000 {
                match d.jobs.first_key_value() {
                    Some((&k, j)) if j.applied => {
                        d.jobs.remove(&k);
                    }
                    _ => break,
                }
            }
            for (id, kind, user, ok, effect, description) in finished {
                match effect {
                    Some(Effect::Commit(tree)) => {
                        d.running = *tree;
                        // the device keeps a version of the running config per commit
                        let stamp = d.clock.stamp();
                        d.configs
                            .record(&d.running, stamp, user.clone(), id, description);
                        d.configs_generation += 1;
                        // a successful commit releases the committing admin's locks
                        d.commit_locks.retain(|l| l.owner != user);
                        d.config_locks.retain(|l| l.owner != user);
                    }
                    Some(Effect::Push(p)) => pushes.push(*p),
                    None => {}
                }
                logs::job_finished(d, id, &kind, &user, ok);
                self.changed = true;
                self.changed_devices.insert(s.clone());
            }
        }
        for plan in pushes {
            self.changed_devices
                .extend(plan.serials.iter().chain(&plan.failed).cloned());
            let tpl = template_push_config(&plan.pano, &plan.target);
            let policy_md5 = match &plan.target {
                PushTarget::DeviceGroup(dg) => template::policy_md5(&plan.pano, dg),
                _ => None,
            };
            for serial in &plan.failed {
                if let Some(fw) = self.devices.get_mut(serial) {
                    match plan.target {
                        PushTarget::DeviceGroup(_) => fw.pushed.policy.failed(),
                        _ => fw.pushed.template.failed(),
                    }
                }
            }
            for serial in &plan.serials {
                let Some(fw) = self.devices.get_mut(serial) else {
                    continue;
                };
                match &tpl {
                    // template values go to the template layer too, so that local
                    // overrides stay on top and a deleted override restores them
                    Some(c) => {
                        // the firewall receives its whole template stack; what the previous
                        // push brought and this one no longer has is removed
                        let full =
                            device_template_config(&plan.pano, serial).unwrap_or_else(|| c.clone());
                        fw.pushed.template.succeeded(template::md5_hex(&full));
                        let old = std::mem::replace(&mut fw.template.config, full.clone());
                        template::remove_stale(&mut fw.running, &old, &full);
                        template::remove_stale(&mut fw.candidate, &old, &full);
                        template::merge_push(&mut fw.running, &full, &fw.template.overrides);
                        template::merge_push(&mut fw.candidate, &full, &fw.template.overrides);
                    }
                    None => {
                        apply_push(&mut fw.running, &plan);
                        apply_push(&mut fw.candidate, &plan);
                        if let PushTarget::DeviceGroup(dg) = &plan.target {
                            fw.pushed_policy = ops::pushed::pushed_policy(&plan.pano, dg);
                        }
                        fw.policy_synced = true;
                        if let Some(m) = &policy_md5 {
                            fw.pushed.policy.succeeded(m.clone());
                        }
                    }
                }
                // a push is a commit on the firewall: it gets a config version too
                let stamp = fw.clock.stamp();
                fw.configs.record(
                    &fw.running,
                    stamp,
                    "Panorama-push".into(),
                    0,
                    "pushed by Panorama".into(),
                );
                fw.configs_generation += 1;
            }
        }
    }

    fn issue_key(&mut self, user: &str, password: &str) -> String {
        let mut h = Sha256::new();
        h.update(self.salt.as_bytes());
        h.update(user.as_bytes());
        h.update([0u8]);
        h.update(password.as_bytes());
        if self.key_lifetime.is_some() {
            self.key_counter += 1;
            h.update(self.key_counter.to_le_bytes());
        }
        let digest = h.finalize();
        let body = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest);
        let key = format!("LUFRPT{body}==");
        self.keys.insert(
            key.clone(),
            KeyInfo {
                user: user.to_string(),
                issued: self.clock.system(),
            },
        );
        self.changed = true;
        key
    }

    fn admin(&self, user: &str) -> Option<&AdminAccount> {
        self.admins.iter().find(|a| a.user == user)
    }

    /// Handle one request.
    pub fn handle(&mut self, req: &Request) -> Reply {
        self.tick();
        let reply = self.dispatch(req);
        self.record(req, &reply);
        self.refresh_due();
        reply
    }

    /// Recompute [`SimState::due`]; every holder of the exclusive lock that may have created a
    /// job or restarted a device calls it before letting go.
    pub fn refresh_due(&mut self) {
        let mut due = Due::default();
        for d in self.devices.values() {
            due.restarting |= d.restarting_until.is_some();
            for j in d.jobs.values().filter(|j| !j.applied) {
                let end = j.end();
                due.next_job_end = Some(due.next_job_end.map_or(end, |e| e.min(end)));
            }
        }
        *self.due.lock() = due;
    }

    /// Whether something time-driven is due that a read would have to see.
    fn due_now(&self) -> bool {
        let due = *self.due.lock();
        due.restarting || due.next_job_end.is_some_and(|t| self.clock.now() >= t)
    }

    /// A request for one device — a configuration write, a User-ID message, an import, a
    /// commit of that device, an op command that needs only that device — made under that
    /// device's own lock while the state lock is shared: requests for other devices (reads and
    /// writes) go on meanwhile. `None` when the request is anything else or needs the
    /// exclusive path (something is due, the admin's role restricts the write, an unknown
    /// device); the caller then calls [`SimState::handle`]. With `persist`, the change's
    /// snapshot (the keys and this device) is returned to be written before the reply.
    pub fn try_write(
        &self,
        req: &Request,
        persist: bool,
    ) -> Option<(Reply, Option<crate::persist::Snapshot>)> {
        #[derive(PartialEq)]
        enum Kind {
            Config,
            UserId,
            Import,
            Commit,
            Op,
        }
        let kind = match req.get("type") {
            Some("config")
                if req
                    .get("action")
                    .is_some_and(|a| WRITE_ACTIONS.contains(&a)) =>
            {
                Kind::Config
            }
            Some("user-id") => Kind::UserId,
            Some("import") => Kind::Import,
            // a commit of one device; commit-all (a push to firewalls) takes the lock alone
            Some("commit") if req.get("action") != Some("all") => Kind::Commit,
            Some("op") => Kind::Op,
            _ => return None,
        };
        let user_id = kind == Kind::UserId;
        if self.due_now() {
            return None;
        }
        let user = self.authenticate(req).ok()?;
        let admin = self.admin(&user)?;
        if admin.read_only || (admin.user_id_only && !user_id) {
            return None;
        }
        let serial = self.route(req, req.get("type").unwrap_or_default()).ok()?;
        // the parsed command of a commit or an op command; anything but a well-formed
        // `<commit>` or a device-local op command is answered on the exclusive path
        let parsed = match kind {
            Kind::Commit => {
                let el = xml::parse(req.get("cmd").unwrap_or("<commit></commit>")).ok()?;
                if el.name != "commit" {
                    return None;
                }
                Some(el)
            }
            // an op command that needs only its device, when its traffic is not due a step
            Kind::Op => {
                let el = xml::parse(req.get("cmd")?).ok()?;
                if ops::needs_state(&el)
                    || self.devices.get(&serial).is_some_and(|d| d.traffic.due())
                {
                    return None;
                }
                Some(el)
            }
            _ => None,
        };
        let op_write = kind == Kind::Op && req.get("cmd").is_some_and(ops::is_write);
        let scoped = self.vsys_scoped(&serial, &user, req);
        let sreq = scoped.as_ref().unwrap_or(req);
        let mut dev = self.devices.lock(&serial)?;
        let result = match kind {
            Kind::Config => config_write(&mut dev, &self.wire, &user, sreq),
            Kind::UserId => user_id_write(&mut dev, sreq),
            Kind::Import => certs::import_into(&mut dev, &self.wire, &user, sreq),
            Kind::Commit => match &parsed {
                Some(el) => device_commit(&mut dev, &self.wire, self.job_duration, &user, el),
                None => return None,
            },
            Kind::Op => match &parsed {
                Some(el) => ops::run_shared(&self.wire, &mut dev, &user, el, sreq),
                None => return None,
            },
        };
        // a new job: requests that share the lock must see when it is due
        if let Some(end) = dev.jobs.values().filter(|j| !j.applied).map(Job::end).min() {
            let mut due = self.due.lock();
            due.next_job_end = Some(due.next_job_end.map_or(end, |e| e.min(end)));
        }
        // a User-ID message may apply some entries and refuse others: it is saved either way
        // an op command that changes something is saved whatever its answer, as on the
        // exclusive path; an op read is not saved
        let snap = (persist && (user_id || op_write || (kind != Kind::Op && result.is_ok())))
            .then(|| crate::persist::device_snapshot(self, &serial, &dev));
        drop(dev);
        let reply = match result {
            Ok(body) => Reply::ok(body),
            Err(e) if e.code == 0 => Reply::ok(userid::uid_error_envelope(&e)),
            Err(e) => Reply::err(&e),
        };
        self.record(req, &reply);
        Some((reply, snap))
    }

    /// Mark something changed that touches more than one device (or an unknown set).
    pub fn mark_all_changed(&mut self) {
        self.changed = true;
        self.changed_all = true;
    }

    /// A snapshot could not be written: the next one writes every device in full.
    pub fn forget_persisted(&mut self) {
        self.persisted_configs.lock().clear();
        self.mark_all_changed();
    }

    /// Mark one device changed.
    pub fn mark_changed(&mut self, serial: &str) {
        self.changed = true;
        self.changed_devices.insert(serial.to_string());
    }

    /// Serve a read while other readers share the lock: a configuration read (`type=config`,
    /// `action=get|show`) or one of the read-only op commands of [`ops::run_read`] (the
    /// monitoring set). `None` when the request is anything else, or when something
    /// time-driven is due that the read would have to see (a job finishing applies a commit
    /// or a push; for an op command, the device's traffic model is due a step): the caller
    /// then takes the lock alone and calls [`SimState::handle`], which advances it first.
    /// What else [`SimState::tick`] advances (User-ID expiry, logs) none of these reads show.
    pub fn try_read(&self, req: &Request) -> Option<Reply> {
        let op = match req.get("type") {
            Some("config") if matches!(req.get("action"), Some("get" | "show")) => None,
            // op commands: only the read-only set of `ops::run_read`, parsed here
            Some("op") => Some(xml::parse(req.get("cmd")?).ok()?),
            _ => return None,
        };
        if self.due_now() {
            return None;
        }
        let reply = match self.authenticate(req).and_then(|user| {
            let serial = self.route(req, req.get("type").unwrap_or_default())?;
            Ok((user, serial))
        }) {
            Err(r) => r,
            Ok((user, serial)) => {
                let result = match &op {
                    Some(el) => {
                        // counters and sessions advance on the clock: when this device's
                        // traffic is due a tick, the exclusive path runs it first
                        if self.devices.get(&serial).is_some_and(|d| d.traffic.due()) {
                            return None;
                        }
                        ops::run_read(self, &serial, el)?
                    }
                    None => {
                        let scoped = self.vsys_scoped(&serial, &user, req);
                        self.config_read(&serial, scoped.as_ref().unwrap_or(req))
                    }
                };
                match result {
                    Ok(body) => Reply::ok(body),
                    Err(e) => Reply::err(&e),
                }
            }
        };
        self.record(req, &reply);
        Some(reply)
    }

    fn record(&self, req: &Request, reply: &Reply) {
        let rec = RecordedRequest::from_request(req, reply.http());
        tracing::info!(
            method = %rec.method,
            r#type = %rec.req_type,
            action = %rec.action,
            xpath = %rec.xpath.chars().take(300).collect::<String>(),
            target = %rec.target,
            status = rec.status,
            "api request"
        );
        let mut requests = self.requests.lock();
        if requests.len() >= 100_000 {
            requests.drain(..10_000);
        }
        requests.push(rec);
    }

    fn dispatch(&mut self, req: &Request) -> Reply {
        let Some(typ) = req.get("type") else {
            return Reply::err(&ApiError::bad_request("Missing parameter \"type\""));
        };
        if typ == "keygen" {
            return self.keygen(req);
        }
        // authenticate
        let user = match self.authenticate(req) {
            Ok(u) => u,
            Err(r) => return r,
        };
        let read_only = self.admin(&user).is_some_and(|a| a.read_only);
        let user_id_only = self.admin(&user).is_some_and(|a| a.user_id_only);
        let serial = match self.route(req, typ) {
            Ok(s) => s,
            Err(r) => return r,
        };
        if let Some(d) = self.devices.get_mut(&serial)
            && let Some(until) = d.restarting_until
        {
            if self.clock.now() < until {
                return if serial == self.primary {
                    Reply::Xml {
                        http: 503,
                        body: "<html><body><h1>503 Service Unavailable</h1><p>The management server is restarting</p></body></html>".into(),
                    }
                } else {
                    Reply::err(&ApiError::new(
                        17,
                        format!("Device {serial} is not connected (restarting)"),
                    ))
                };
            }
            d.restarting_until = None;
            d.started = self.clock.now();
        }
        let action = req.get("action").unwrap_or("");
        let writes = match typ {
            "config" => WRITE_ACTIONS.contains(&action),
            "commit" | "import" | "user-id" => true,
            "op" => req.get("cmd").is_some_and(ops::is_write),
            _ => false,
        };
        if read_only && writes {
            return Reply::err(&ApiError::new(
                16,
                format!(
                    "Unauthorized request: admin '{user}' has a read-only role and cannot run type={typ}{}",
                    if action.is_empty() {
                        String::new()
                    } else {
                        format!(" action={action}")
                    }
                ),
            ));
        }
        if user_id_only && writes && typ != "user-id" {
            return Reply::err(&ApiError::new(
                16,
                format!(
                    "Unauthorized request: admin '{user}' has a role with only the User-ID Agent XML API permission and cannot run type={typ}{}",
                    if action.is_empty() {
                        String::new()
                    } else {
                        format!(" action={action}")
                    }
                ),
            ));
        }
        if writes {
            // persisted before the reply when `--state` is set (an acknowledged change is kept).
            // A configuration, User-ID, import or commit request changes the device it is for
            // (a Panorama push reaches the firewalls when its job finishes, see `tick`); an
            // operational command may reach further (an HA peer, moved device groups)
            match typ {
                "config" | "user-id" | "import" | "commit" => self.mark_changed(&serial),
                _ => self.mark_all_changed(),
            }
        }
        let scoped = self.vsys_scoped(&serial, &user, req);
        let req = scoped.as_ref().unwrap_or(req);
        let result = match typ {
            "config" => self.config(&serial, &user, req),
            "op" => self.op(&serial, &user, req),
            "commit" => self.commit(&serial, &user, req),
            "user-id" => self.user_id(&serial, req),
            "import" => certs::import(self, &serial, &user, req),
            "export" => return self.export(&serial, req),
            "log" => logs::log_request(self, &serial, req),
            "version" => Ok(self.version(&serial)),
            "report" => Err(ApiError::new(
                17,
                "Reports are not supported by the simulator",
            )),
            other => Err(ApiError::bad_request(format!(
                "Illegal value for parameter \"type\" [{other}]."
            ))),
        };
        match result {
            Ok(body) => Reply::ok(body),
            Err(e) if e.code == 0 => Reply::ok(userid::uid_error_envelope(&e)),
            Err(e) => Reply::err(&e),
        }
    }

    /// The serial a request is for: `target=` on Panorama (a managed, connected firewall),
    /// otherwise the device at the URL.
    fn route(&self, req: &Request, typ: &str) -> Result<String, Reply> {
        match req.get("target").filter(|t| !t.is_empty()) {
            Some(t) if self.kind == DeviceKind::Panorama => {
                if !self.managed.iter().any(|s| s == t)
                    || self.devices.get(t).is_some_and(|d| !d.connected)
                {
                    return Err(Reply::err(&ApiError::new(
                        17,
                        format!("Device {t} is not managed by this Panorama or is not connected"),
                    )));
                }
                if typ == "log" {
                    return Err(Reply::err(&ApiError::bad_request(
                        "Illegal parameter \"target\" for type=log",
                    )));
                }
                Ok(t.to_string())
            }
            Some(t) if t != self.primary => Err(Reply::err(&ApiError::new(
                17,
                format!("Target {t} is not this device"),
            ))),
            _ => Ok(self.primary.clone()),
        }
    }

    /// `set system setting target-vsys`: the admin's requests that name no vsys act on it
    /// (`None`: the request stands as it is).
    fn vsys_scoped(&self, serial: &str, user: &str, req: &Request) -> Option<Request> {
        let dev = self.devices.get(serial)?;
        let v = dev.target_vsys.get(user)?;
        if req.get("vsys").is_some() {
            return None;
        }
        let mut r = req.clone();
        r.params.push(("vsys".into(), v.clone()));
        Some(r)
    }

    fn forbidden() -> Reply {
        Reply::Xml {
            http: 403,
            body: "<response status = 'error' code = '403'><result><msg>Invalid Credential</msg></result></response>".into(),
        }
    }

    fn keygen(&mut self, req: &Request) -> Reply {
        let (user, password) = match (req.get("user"), req.get("password")) {
            (Some(u), Some(p)) => (u.to_string(), p.to_string()),
            _ => match &req.basic {
                Some((u, p)) => (u.clone(), p.clone()),
                None => return Self::forbidden(),
            },
        };
        let ok = self
            .admin(&user)
            .is_some_and(|a| constant_eq(a.password.as_bytes(), password.as_bytes()));
        if !ok {
            return Self::forbidden();
        }
        let key = self.issue_key(&user, &password);
        Reply::ok(format!(
            "<response status = 'success'><result><key>{key}</key></result></response>"
        ))
    }

    fn authenticate(&self, req: &Request) -> Result<String, Reply> {
        let key = req
            .get("key")
            .map(str::to_string)
            .or_else(|| req.header_key.clone());
        if let Some(k) = key {
            // form decoding turns '+' into ' '; keys never contain spaces
            let k = k.replace(' ', "+");
            let Some(info) = self.keys.get(&k) else {
                return Err(Self::forbidden());
            };
            if let Some(life) = self.key_lifetime
                && self
                    .clock
                    .system()
                    .duration_since(info.issued)
                    .unwrap_or_default()
                    > life
            {
                return Err(Reply::Xml {
                    http: 400,
                    body: "<response status = 'error' code = '400'><result><msg>Key Expired: the API key has expired. Generate a new one with type=keygen.</msg></result></response>".into(),
                });
            }
            if self.admin(&info.user).is_none() {
                return Err(Self::forbidden());
            }
            return Ok(info.user.clone());
        }
        if let Some((u, p)) = &req.basic
            && self
                .admin(u)
                .is_some_and(|a| constant_eq(a.password.as_bytes(), p.as_bytes()))
        {
            return Ok(u.clone());
        }
        Err(Self::forbidden())
    }

    fn dev(&mut self, serial: &str) -> Result<&mut Device, ApiError> {
        self.devices
            .get_mut(serial)
            .ok_or_else(|| ApiError::new(17, format!("unknown device {serial}")))
    }

    // ------------------------------------------------------------ config

    /// `action=get` (candidate) and `action=show` (running): reads only, so that they can
    /// share the state lock.
    fn config_read(&self, serial: &str, req: &Request) -> Result<String, ApiError> {
        let action = req.get("action").unwrap_or("get");
        let dev = self
            .devices
            .get(serial)
            .ok_or_else(|| ApiError::new(17, format!("unknown device {serial}")))?;
        let creq = ConfigReq {
            action: action.to_string(),
            xpath: req.get("xpath").unwrap_or("").to_string(),
            ..Default::default()
        };
        if creq.xpath.is_empty() {
            if action == "show" {
                // as on the device: `show` with no xpath is the whole running configuration
                let whole = ConfigReq {
                    xpath: "/config".into(),
                    ..creq
                };
                return device::config_read(&dev, &whole, true);
            }
            return Err(ApiError::bad_request("Missing parameter \"xpath\""));
        }
        device::config_read(&dev, &creq, action == "show")
    }

    fn config(&mut self, serial: &str, user: &str, req: &Request) -> Result<String, ApiError> {
        if matches!(req.get("action"), Some("get" | "show")) {
            return self.config_read(serial, req);
        }
        if req.get("action").is_none() {
            return Err(ApiError::bad_request("Missing parameter \"action\""));
        }
        let wire = self.wire.clone();
        let dev = self.dev(serial)?;
        let r = config_write(dev, &wire, user, req);
        if r.is_ok() {
            self.changed = true;
        }
        r
    }

    // ------------------------------------------------------------ op

    fn op(&mut self, serial: &str, user: &str, req: &Request) -> Result<String, ApiError> {
        let cmd = req
            .get("cmd")
            .ok_or_else(|| ApiError::bad_request("Missing parameter \"cmd\""))?;
        let el =
            xml::parse(cmd).map_err(|e| ApiError::new(18, format!("Malformed Request: {e}")))?;
        ops::run(self, serial, user, &el, req)
    }

    // ------------------------------------------------------------ commit

    fn commit(&mut self, serial: &str, user: &str, req: &Request) -> Result<String, ApiError> {
        let cmd = req.get("cmd").unwrap_or("<commit></commit>");
        let el =
            xml::parse(cmd).map_err(|e| ApiError::new(18, format!("Malformed Request: {e}")))?;
        if req.get("action") == Some("all") || el.name == "commit-all" {
            if serial != PANORAMA_SERIAL || self.kind != DeviceKind::Panorama {
                return Err(ApiError::new(
                    17,
                    "commit-all is only available on Panorama",
                ));
            }
            return self.commit_all(user, &el);
        }
        if el.name != "commit" {
            return Err(ApiError::new(
                17,
                format!("Invalid command: <{}> is not a commit command", el.name),
            ));
        }
        let wire = self.wire.clone();
        let duration = self.job_duration;
        let dev = self.dev(serial)?;
        let r = device_commit(dev, &wire, duration, user, &el);
        if r.is_ok() {
            self.changed = true;
        }
        r
    }

    /// Check the busy fault and commit locks.
    fn commit_preflight(&mut self, serial: &str, user: &str) -> Result<(), ApiError> {
        let wire = self.wire.clone();
        commit_preflight(self.dev(serial)?, &wire, user)
    }

    /// When a new job of `dev` starts: after every job already queued (jobs run one after
    /// another, as on the device).
    pub(crate) fn next_start(dev: &Device) -> Instant {
        let now = dev.clock.now();
        dev.jobs
            .values()
            .map(Job::end)
            .max()
            .filter(|e| *e > now)
            .unwrap_or(now)
    }

    fn commit_all(&mut self, user: &str, el: &Element) -> Result<String, ApiError> {
        self.commit_preflight(PANORAMA_SERIAL, user)?;
        let pano = self.dev(PANORAMA_SERIAL)?;
        let running = pano.running.clone();
        let dg_root = format!("{LOCALHOST}/device-group");
        let tpl_root = format!("{LOCALHOST}/template");
        let stack_root = format!("{LOCALHOST}/template-stack");
        let targets: Vec<String>;
        let description: String;
        let (what, dgname): (PushTarget, Option<String>) = if let Some(sp) =
            el.child("shared-policy")
        {
            description = sp.find_text("description").unwrap_or("").to_string();
            let dg_el = sp.child("device-group");
            let (dg, explicit): (String, Vec<String>) = match dg_el {
                Some(d) if d.child("entry").is_some() => {
                    let e = d
                        .child("entry")
                        .ok_or_else(|| ApiError::new(17, "device-group entry missing"))?;
                    let devs = e
                        .child("devices")
                        .map(|ds| {
                            ds.children
                                .iter()
                                .filter_map(|x| x.name_attr().map(str::to_string))
                                .collect()
                        })
                        .unwrap_or_default();
                    (e.name_attr().unwrap_or("").to_string(), devs)
                }
                Some(d) => (
                    d.text_str().to_string(),
                    sp.child("device")
                        .map(|x| vec![x.text_str().to_string()])
                        .unwrap_or_default(),
                ),
                None => {
                    return Err(ApiError::new(
                        17,
                        "commit-all: <device-group> is required in <shared-policy>",
                    ));
                }
            };
            let dgx = XPath::parse(&format!(
                "{dg_root}/entry[@name={}]",
                crate::xpath::quote(&dg)
            ))
            .map_err(|e| ApiError::new(6, e.0))?;
            let sel = dgx.select(&running);
            let Some(dg_el) = sel.first().and_then(|p| crate::xpath::get(&running, p)) else {
                return Err(ApiError::new(
                    13,
                    format!(
                        "Device group {dg} does not exist in the running configuration of Panorama. Commit to Panorama first."
                    ),
                ));
            };
            let members: Vec<String> = dg_el
                .child("devices")
                .map(|ds| {
                    ds.children
                        .iter()
                        .filter_map(|x| x.name_attr().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            targets = if explicit.is_empty() {
                members.clone()
            } else {
                explicit
            };
            for t in &targets {
                if !members.contains(t) {
                    return Err(ApiError::new(
                        13,
                        format!("Device {t} is not a member of device group {dg}"),
                    ));
                }
            }
            (PushTarget::DeviceGroup(dg.clone()), Some(dg))
        } else if let Some(t) = el.child("template").or(el.child("template-stack")) {
            let stack = t.name == "template-stack";
            let name = t.find_text("name").unwrap_or("").to_string();
            description = t.find_text("description").unwrap_or("").to_string();
            let root = if stack { &stack_root } else { &tpl_root };
            let tx = XPath::parse(&format!(
                "{root}/entry[@name={}]",
                crate::xpath::quote(&name)
            ))
            .map_err(|e| ApiError::new(6, e.0))?;
            let sel = tx.select(&running);
            let Some(tel) = sel.first().and_then(|p| crate::xpath::get(&running, p)) else {
                return Err(ApiError::new(
                    13,
                    format!(
                        "{} {name} does not exist in the running configuration of Panorama. Commit to Panorama first.",
                        t.name
                    ),
                ));
            };
            let explicit: Vec<String> = t.child("device").map(Element::members).unwrap_or_default();
            let members: Vec<String> = if stack {
                tel.child("devices")
                    .map(|ds| {
                        ds.children
                            .iter()
                            .filter_map(|x| x.name_attr().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default()
            } else {
                // devices of the stacks that contain this template
                let sx = XPath::parse(&format!("{stack_root}/entry"))
                    .map_err(|e| ApiError::new(6, e.0))?;
                let mut m = Vec::new();
                for p in sx.select(&running) {
                    if let Some(s) = crate::xpath::get(&running, &p)
                        && s.child("templates")
                            .is_some_and(|ts| ts.members().contains(&name))
                    {
                        m.extend(
                            s.child("devices")
                                .map(|ds| {
                                    ds.children
                                        .iter()
                                        .filter_map(|x| x.name_attr().map(str::to_string))
                                        .collect::<Vec<_>>()
                                })
                                .unwrap_or_default(),
                        );
                    }
                }
                m
            };
            targets = if explicit.is_empty() {
                members
            } else {
                explicit
            };
            (
                if stack {
                    PushTarget::Stack(name)
                } else {
                    PushTarget::Template(name)
                },
                None,
            )
        } else {
            return Err(ApiError::new(
                17,
                "commit-all: expected <shared-policy>, <template> or <template-stack>",
            ));
        };
        let fail_fault = self.wire.lock().faults.fail_jobs > 0;
        let mut results = Vec::new();
        let mut plan = PushPlan {
            pano: running,
            target: what,
            serials: Vec::new(),
            failed: Vec::new(),
        };
        for (i, serial) in targets.iter().enumerate() {
            let Some(fw) = self.devices.get(serial).filter(|f| f.connected) else {
                plan.failed.push(serial.clone());
                results.push(DeviceResult {
                    serial: serial.clone(),
                    name: self
                        .devices
                        .get(serial)
                        .map(|d| d.current_hostname())
                        .unwrap_or_else(|| serial.clone()),
                    ok: false,
                    errors: vec![
                        format!("device {serial} is not connected to Panorama"),
                        "commit failed".into(),
                    ],
                    warnings: vec![],
                });
                continue;
            };
            let mut new_running = fw.running.clone();
            apply_push(&mut new_running, &plan);
            let mut errors = validate::commit_errors(&new_running);
            // a local commit or config lock on the firewall makes the push fail (Panorama docs)
            if let Some(l) = fw.commit_locks.first() {
                errors.push(commit_locked(l).lines.join(" "));
            }
            if let Some(l) = fw.config_locks.first() {
                errors.push(format!(
                    "Configuration is locked by {} for scope {}",
                    l.owner, l.scope
                ));
            }
            if fail_fault && i == 0 && errors.is_empty() {
                errors.push("simulated failure injected by --fault-fail-jobs".into());
            }
            let ok = errors.is_empty();
            if ok {
                plan.serials.push(serial.clone());
            } else {
                plan.failed.push(serial.clone());
                errors.push("commit failed".into());
            }
            results.push(DeviceResult {
                serial: serial.clone(),
                name: fw.current_hostname(),
                ok,
                errors,
                warnings: vec![],
            });
        }
        if fail_fault {
            let mut wire = self.wire.lock();
            wire.faults.fail_jobs = wire.faults.fail_jobs.saturating_sub(1);
        }
        let all_ok = results.iter().all(|r| r.ok);
        let duration = self.job_duration;
        let pano = self.dev(PANORAMA_SERIAL)?;
        let id = pano.next_job;
        pano.next_job += 1;
        let start = Self::next_start(pano);
        pano.jobs.insert(
            id,
            Job {
                id,
                kind: "CommitAll".into(),
                user: user.to_string(),
                tenq: pano.clock.utc(),
                start,
                duration,
                description,
                ok: all_ok,
                details: if results.is_empty() {
                    vec!["No devices to push to".into()]
                } else if all_ok {
                    vec!["Push completed successfully".into()]
                } else {
                    vec!["Push failed on one or more devices".into()]
                },
                warnings: vec![],
                devices: results,
                dgname,
                effect: Some(Effect::Push(Box::new(plan))),
                applied: false,
            },
        );
        self.changed = true;
        Ok(jobs::enqueued(id, "CommitAll"))
    }

    // ------------------------------------------------------------ user-id

    fn user_id(&mut self, serial: &str, req: &Request) -> Result<String, ApiError> {
        let dev = self.dev(serial)?;
        let r = user_id_write(dev, req);
        self.changed = true;
        r
    }

    // ------------------------------------------------------------ export / version

    fn export(&mut self, serial: &str, req: &Request) -> Reply {
        let Some(dev) = self.devices.get(serial) else {
            return Reply::err(&ApiError::new(17, "unknown device"));
        };
        match req.get("category") {
            // `from=` names the file: running-config.xml (the default), a saved config, or
            // a committed version
            Some("configuration") => match ops::configops::export_source(&dev, req.get("from")) {
                Ok(tree) => Reply::Xml {
                    http: 200,
                    body: tree.to_xml(),
                },
                Err(e) => Reply::err(&e),
            },
            // format, include-key and passphrase are honoured (cert_export.rs)
            Some("certificate") => match crate::cert_export::export(&dev, req) {
                Ok(f) => Reply::Attachment {
                    filename: f.filename,
                    content_type: "application/octet-stream",
                    body: f.body,
                },
                Err(e) => Reply::err(&e),
            },
            Some(other) => Reply::err(&ApiError::bad_request(format!(
                "Illegal value for parameter \"category\" [{other}]."
            ))),
            None => Reply::err(&ApiError::bad_request("Missing parameter \"category\"")),
        }
    }

    fn version(&self, serial: &str) -> String {
        let panorama = self.devices.get(serial).is_some_and(|d| d.panorama);
        format!(
            "<response status=\"success\"><result><sw-version>{}</sw-version><multi-vsys>off</multi-vsys><model>{}</model><serial>{serial}</serial></result></response>",
            ops::SW_VERSION,
            if panorama { "Panorama" } else { "PA-VM" }
        )
    }
}

/// Apply a commit-all plan to one firewall tree.
fn apply_push(tree: &mut Element, plan: &PushPlan) {
    match &plan.target {
        PushTarget::DeviceGroup(dg) => push_device_group(tree, &plan.pano, dg),
        PushTarget::Template(_) | PushTarget::Stack(_) => {
            if let Some(c) = template_push_config(&plan.pano, &plan.target) {
                device::deep_merge(tree, &c);
            }
        }
    }
}

/// The template configuration a firewall gets from Panorama: every template stack that lists
/// it as a device, merged (`None` when it is in no stack).
pub(crate) fn device_template_config(pano: &Element, serial: &str) -> Option<Element> {
    let tpl_root = format!("{LOCALHOST}/template");
    let stack_root = format!("{LOCALHOST}/template-stack");
    let x = XPath::parse(&format!("{stack_root}/entry")).ok()?;
    let mut out = Element::new("config");
    let mut any = false;
    for p in x.select(pano) {
        let Some(stack) = crate::xpath::get(pano, &p) else {
            continue;
        };
        if stack
            .child("devices")
            .is_some_and(|d| d.entry_child(serial).is_some())
            && let Some(name) = stack.name_attr()
        {
            push_stack(&mut out, pano, &tpl_root, &stack_root, name);
            any = true;
        }
    }
    any.then_some(out)
}

/// The `<config>` a template or template-stack push merges into a firewall.
fn template_push_config(pano: &Element, target: &PushTarget) -> Option<Element> {
    let tpl_root = format!("{LOCALHOST}/template");
    let stack_root = format!("{LOCALHOST}/template-stack");
    let mut out = Element::new("config");
    match target {
        PushTarget::DeviceGroup(_) => return None,
        PushTarget::Template(t) => push_template(&mut out, pano, &tpl_root, t),
        PushTarget::Stack(s) => push_stack(&mut out, pano, &tpl_root, &stack_root, s),
    }
    Some(out)
}

/// Object containers a device-group push carries (also what `show config
/// pushed-shared-policy` lists, ops/pushed.rs).
pub(crate) const PUSHED_OBJECT_KINDS: &[&str] = &[
    "tag",
    "address",
    "address-group",
    "service",
    "service-group",
    "application-group",
    "schedule",
    "external-list",
    "profile-group",
    "dynamic-user-group",
];

/// Rulebases a device-group push carries.
pub(crate) const PUSHED_RULE_TYPES: &[&str] = &[
    "security",
    "nat",
    "pbf",
    "decryption",
    "application-override",
    "authentication",
];

/// Merge shared + device-group objects and rules from Panorama's running config into a
/// firewall tree at vsys1. Pushed entries carry a `loc` attribute; a new push replaces them.
fn push_device_group(fw: &mut Element, pano: &Element, dg: &str) {
    let dgs = pano
        .find("devices")
        .and_then(|d| d.entry_child("localhost.localdomain"))
        .and_then(|l| l.child("device-group"));
    // shared, then ancestors from the top of the hierarchy down, then the device group itself
    let mut chain: Vec<(Option<&Element>, String)> = vec![(pano.child("shared"), "shared".into())];
    let parents = validate::dg_parents(pano);
    for a in validate::dg_ancestors(&parents, dg).iter().rev() {
        chain.push((dgs.and_then(|g| g.entry_child(a)), a.clone()));
    }
    chain.push((dgs.and_then(|g| g.entry_child(dg)), dg.to_string()));
    let Some(vsys) = fw
        .child_mut("devices")
        .and_then(|d| {
            d.children
                .iter_mut()
                .find(|e| e.name_attr() == Some("localhost.localdomain"))
        })
        .and_then(|l| l.child_mut("vsys"))
        .and_then(|v| {
            v.children
                .iter_mut()
                .find(|e| e.name_attr() == Some("vsys1"))
        })
    else {
        return;
    };
    for kind in PUSHED_OBJECT_KINDS.iter().chain(&["certificate"]) {
        // certificates of Panorama shared and the device groups travel with the push too
        // (they serve the pushed decryption rules); their container is only created when
        // there is one, so firewalls without any keep their configuration as it was
        if *kind == "certificate"
            && vsys.child(kind).is_none()
            && !chain.iter().any(|(src, _)| {
                src.and_then(|s| s.child(kind))
                    .is_some_and(|c| !c.children.is_empty())
            })
        {
            continue;
        }
        let container = vsys.child_or_insert(kind);
        container.children.retain(|e| e.attr("loc").is_none());
        for (src, loc) in &chain {
            if let Some(objs) = src.and_then(|s| s.child(kind)) {
                for e in &objs.children {
                    let mut e = e.clone();
                    e.strip_annotations();
                    e.set_attr("loc", loc.as_str());
                    if let Some(n) = e.name_attr().map(str::to_string) {
                        container
                            .children
                            .retain(|x| x.name_attr() != Some(n.as_str()));
                    }
                    container.children.push(e);
                }
            }
        }
        if *kind == "certificate" && container.children.is_empty() {
            // the last pushed certificate is gone: no empty container is left behind
            vsys.children.retain(|c| c.name != "certificate");
        }
    }
    let rulebase = vsys.child_or_insert("rulebase");
    for &rtype in PUSHED_RULE_TYPES {
        // pre-rules top-down (shared first), post-rules bottom-up (device group first)
        let collect = |rb: &str| -> Vec<Element> {
            let mut out = Vec::new();
            let order: Vec<&(Option<&Element>, String)> = if rb == "post-rulebase" {
                chain.iter().rev().collect()
            } else {
                chain.iter().collect()
            };
            for (src, loc) in order {
                if let Some(rules) = src
                    .and_then(|s| s.child(rb))
                    .and_then(|r| r.child(rtype))
                    .and_then(|r| r.child("rules"))
                {
                    for e in &rules.children {
                        let mut e = e.clone();
                        e.strip_annotations();
                        e.set_attr("loc", loc.as_str());
                        out.push(e);
                    }
                }
            }
            out
        };
        let pre = collect("pre-rulebase");
        let post = collect("post-rulebase");
        let exists = rulebase.child(rtype).is_some();
        if pre.is_empty() && post.is_empty() && !exists {
            continue;
        }
        let rules = rulebase.child_or_insert(rtype).child_or_insert("rules");
        rules.children.retain(|e| e.attr("loc").is_none());
        let local = std::mem::take(&mut rules.children);
        rules.children = pre;
        rules.children.extend(local);
        rules.children.extend(post);
    }
}

fn template_config<'a>(pano: &'a Element, root: &str, name: &str) -> Option<&'a Element> {
    let x = XPath::parse(&format!(
        "{root}/entry[@name={}]/config",
        crate::xpath::quote(name)
    ))
    .ok()?;
    let sel = x.select(pano);
    sel.first().and_then(|p| crate::xpath::get(pano, p))
}

fn push_template(fw: &mut Element, pano: &Element, tpl_root: &str, name: &str) {
    if let Some(cfg) = template_config(pano, tpl_root, name) {
        let mut c = cfg.clone();
        c.strip_annotations();
        device::deep_merge(fw, &c);
    }
}

fn push_stack(fw: &mut Element, pano: &Element, tpl_root: &str, stack_root: &str, name: &str) {
    let x = XPath::parse(&format!(
        "{stack_root}/entry[@name={}]",
        crate::xpath::quote(name)
    ));
    let Ok(x) = x else {
        return;
    };
    let sel = x.select(pano);
    let Some(stack) = sel.first().and_then(|p| crate::xpath::get(pano, p)) else {
        return;
    };
    let templates = stack
        .child("templates")
        .map(Element::members)
        .unwrap_or_default();
    // lower templates first so the first template in the list wins
    for t in templates.iter().rev() {
        push_template(fw, pano, tpl_root, t);
    }
    if let Some(cfg) = stack.child("config") {
        let mut c = cfg.clone();
        c.strip_annotations();
        device::deep_merge(fw, &c);
    }
}

/// A commit refused because another admin holds the commit lock. The exact wording of the
/// device is not documented in the sources we have; this follows the "... locked by ..."
/// pattern of the config-lock error (a guess).
fn commit_locked(l: &crate::device::Lock) -> ApiError {
    let mut msg = format!("Commit is locked by {}", l.owner);
    if !l.comment.is_empty() {
        msg.push_str(": ");
        msg.push_str(&l.comment);
    }
    ApiError::new(13, msg)
}

/// The injected lock error (`Faults::locked`): the text pan-os-python classifies as a lock
/// error ("Configuration is locked by ...").
fn lock_fault() -> ApiError {
    ApiError::new(
        13,
        format!(
            "Configuration is locked by {} for scope shared",
            crate::config::LOCK_FAULT_OWNER
        ),
    )
}

fn check_config_lock(dev: &Device, user: &str) -> Result<(), ApiError> {
    if let Some(l) = dev.config_locks.iter().find(|l| l.owner != user) {
        return Err(ApiError::new(
            13,
            format!(
                "Configuration is locked by {} for scope {}",
                l.owner, l.scope
            ),
        ));
    }
    Ok(())
}

fn sub_response(id: &str, r: Result<(), &ApiError>) -> String {
    match r {
        Ok(()) => format!(
            "<response status=\"success\" code=\"20\" id=\"{}\"><msg><line>command succeeded</line></msg></response>",
            xml::escape(id)
        ),
        Err(e) => {
            // as the device does (pango's multi_config_test.go fixture): each line in CDATA
            let lines: String = e
                .lines
                .iter()
                .map(|l| {
                    format!(
                        "<line><![CDATA[{}]]></line>",
                        l.replace("]]>", "]]]]><![CDATA[>")
                    )
                })
                .collect();
            format!(
                "<response status=\"error\" code=\"{}\" id=\"{}\"><msg>{lines}</msg></response>",
                e.code,
                xml::escape(id)
            )
        }
    }
}

fn multi_fail(inner: &str) -> ApiError {
    // the outer envelope carries the nested per-request responses
    ApiError {
        code: 12,
        lines: vec![format!("\u{0}{inner}")],
        http: 200,
    }
}

/// The device's answer to deleting a node that is not there (see [`missing_delete`]).
const MISSING_DELETE: &str =
    "<response status=\"success\" code=\"7\"><msg>Object doesn't exist</msg></response>";

/// Whether `e` is the answer to deleting a node that is not there. The device answers that
/// with `status="success" code="7"` and "Object doesn't exist", not an error: pango's
/// `multi_config_test.go` fixtures, copied from a device, carry
/// `<response status="success" code="7"><msg>Object doesn't exist</msg></response>` for it,
/// and pango's error check (`errors/panos.go`) then reports code 7 as "object not found"
/// while pan-python, which looks at `status`, reports success.
fn missing_delete(req: &ConfigReq, e: &ApiError) -> bool {
    req.action == "delete" && e.code == 7
}

/// Render an error; multi-config failures embed nested responses.
pub fn render_error(e: &ApiError) -> String {
    if let Some(first) = e.lines.first()
        && let Some(inner) = first.strip_prefix('\u{0}')
    {
        return format!(
            "<response status=\"error\" code=\"{}\">{inner}</response>",
            e.code
        );
    }
    e.envelope()
}

fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Whether a config write may add a firewall to a device group or template stack.
fn touches_membership(req: &ConfigReq) -> bool {
    let xp = &req.xpath;
    let Some(at) = xp.rfind("/device-group").max(xp.rfind("/template-stack")) else {
        return false;
    };
    req.action == "clone"
        || xp[at..].contains("/devices")
        || req
            .element
            .as_deref()
            .is_some_and(|e| e.contains("<devices"))
}

/// A firewall belongs to one device group and one template stack only, as Panorama enforces.
fn check_membership(tree: &xml::Element) -> Result<(), ApiError> {
    let Some(local) = tree
        .find("devices")
        .and_then(|d| d.entry_child("localhost.localdomain"))
    else {
        return Ok(());
    };
    for (container, what) in [
        ("device-group", "device group"),
        ("template-stack", "template stack"),
    ] {
        let mut seen: HashMap<&str, &str> = HashMap::new();
        for group in local
            .child(container)
            .map(|c| c.children.as_slice())
            .unwrap_or(&[])
        {
            let Some(name) = group.name_attr() else {
                continue;
            };
            for dev in group
                .child("devices")
                .map(|d| d.children.as_slice())
                .unwrap_or(&[])
            {
                let Some(serial) = dev.name_attr() else {
                    continue;
                };
                if let Some(other) = seen.insert(serial, name)
                    && other != name
                {
                    return Err(ApiError::new(
                        12,
                        format!(
                            "{container} -> {name} -> devices -> {serial}: device {serial} already belongs to {what} '{other}'; a firewall can be in one {what} only"
                        ),
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Check the busy fault and the commit locks of `dev`.
fn commit_preflight(dev: &Device, wire: &Mutex<Wire>, user: &str) -> Result<(), ApiError> {
    {
        let mut wire = wire.lock();
        if wire.faults.commit_busy > 0 {
            wire.faults.commit_busy -= 1;
            return Err(ApiError::new(
                13,
                "Another commit/validate is in progress. Please try again later",
            ));
        }
        if wire.faults.locked > 0 {
            wire.faults.locked -= 1;
            return Err(lock_fault());
        }
    }
    if let Some(l) = dev.commit_locks.iter().find(|l| l.owner != user) {
        return Err(commit_locked(l));
    }
    Ok(())
}

/// A commit (or validate) of one device's candidate: it queues a job on that device only, so
/// it can run under the device's own lock (see [`SimState::try_write`]) — the copy and the
/// validation of a large candidate hold back no other device.
fn device_commit(
    dev: &mut Device,
    wire: &Mutex<Wire>,
    duration: Duration,
    user: &str,
    el: &Element,
) -> Result<String, ApiError> {
    // <commit><validate>..</validate></commit>, <commit><force>..</force></commit>, <commit><partial>..
    let validate_only = el.child("validate").is_some();
    let inner = el.child("validate").or(el.child("force")).unwrap_or(el);
    let force = el.child("force").is_some() || inner.child("force").is_some();
    let description = el
        .find_text("description")
        .or(inner.find_text("description"))
        .unwrap_or("")
        .to_string();
    let partial_admins: Vec<String> = inner
        .find("partial/admin")
        .map(Element::members)
        .unwrap_or_default();
    commit_preflight(dev, wire, user)?;
    let fail_fault = wire.lock().faults.fail_jobs > 0;
    if !validate_only && !force && !dev.dirty {
        return Ok("<response status=\"success\" code=\"19\"><msg>There are no changes to commit.</msg></response>".into());
    }
    if !validate_only
        && !force
        && !partial_admins.is_empty()
        && !dev.dirty_admins.iter().any(|a| partial_admins.contains(a))
    {
        return Ok("<response status=\"success\" code=\"19\"><msg>There are no changes to commit.</msg></response>".into());
    }
    // an admin-scoped partial commit replays only those admins' changes onto running
    let scoped = !force && !partial_admins.is_empty();
    // a change that no longer applies to running fails the commit, as on the device
    let mut replay_errors = Vec::new();
    let mut snapshot = if scoped {
        match ops::configops::replay_admins(dev, &partial_admins) {
            Ok(base) => base,
            Err(e) => {
                replay_errors = e;
                dev.running.clone()
            }
        }
    } else {
        dev.candidate.clone()
    };
    snapshot.strip_annotations();
    let mut errors = if replay_errors.is_empty() {
        validate::commit_errors(&snapshot)
    } else {
        replay_errors
    };
    if fail_fault && errors.is_empty() {
        errors.push(" simulated failure injected by --fault-fail-jobs".into());
    }
    let ok = errors.is_empty();
    let details = if ok {
        vec![if validate_only {
            "Configuration is valid".to_string()
        } else {
            "Configuration committed successfully".to_string()
        }]
    } else {
        let mut d = vec!["Validation Error:".to_string()];
        d.extend(errors);
        d.push(if validate_only {
            "Validation failed".into()
        } else {
            "Commit failed".into()
        });
        d
    };
    let id = dev.next_job;
    dev.next_job += 1;
    let start = SimState::next_start(dev);
    let effect = (ok && !validate_only).then(|| Effect::Commit(Box::new(snapshot)));
    dev.jobs.insert(
        id,
        Job {
            id,
            kind: if validate_only {
                "Validate".into()
            } else {
                "Commit".into()
            },
            user: user.to_string(),
            tenq: dev.clock.utc(),
            start,
            duration,
            description,
            ok,
            details,
            warnings: vec![],
            devices: vec![],
            dgname: None,
            effect,
            applied: false,
        },
    );
    if !validate_only && ok {
        if scoped {
            dev.pending.retain(|(a, _)| !partial_admins.contains(a));
            dev.dirty_admins = dev.pending.iter().map(|(a, _)| a.clone()).collect();
            dev.dirty = !dev.pending.is_empty();
        } else {
            dev.pending.clear();
            dev.dirty = false;
            dev.dirty_admins.clear();
            dev.candidate.strip_annotations();
        }
    }
    if fail_fault {
        let mut wire = wire.lock();
        wire.faults.fail_jobs = wire.faults.fail_jobs.saturating_sub(1);
    }
    Ok(jobs::enqueued(
        id,
        if validate_only { "Validate" } else { "Commit" },
    ))
}

/// A User-ID message (`type=user-id`) for one device: all it touches is that device's User-ID
/// state, so it can run under the device's own lock (see [`SimState::try_write`]).
fn user_id_write(dev: &mut Device, req: &Request) -> Result<String, ApiError> {
    let cmd = req
        .get("cmd")
        .ok_or_else(|| ApiError::bad_request("Missing parameter \"cmd\""))?;
    let vsys = req.get("vsys").unwrap_or("vsys1").to_string();
    if dev.panorama {
        return Err(ApiError::new(
            17,
            "User-ID messages must be sent to a firewall (use target=<serial>)",
        ));
    }
    ops::check_vsys(dev, &vsys)?;
    let now = dev.clock.now();
    // what timed out is gone before the message applies (the exclusive path's tick does the
    // same for every device)
    dev.userid.expire(now);
    dev.userid.apply(cmd, &vsys, now)
}

/// A configuration write (`set`, `edit`, `delete`, `rename`, `clone`, `move`, `multi-config`,
/// `override`) on one device: all it touches is that device and the fault settings, so it can
/// run under the device's own lock while requests for other devices go on (see
/// [`SimState::try_write`]).
fn config_write(
    dev: &mut Device,
    wire: &Mutex<Wire>,
    user: &str,
    req: &Request,
) -> Result<String, ApiError> {
    let action = req
        .get("action")
        .ok_or_else(|| ApiError::bad_request("Missing parameter \"action\""))?;
    let creq = ConfigReq {
        action: action.to_string(),
        xpath: req.get("xpath").unwrap_or("").to_string(),
        element: req.get("element").map(str::to_string),
        newname: req.get("newname").map(str::to_string),
        from: req.get("from").map(str::to_string),
        where_: req.get("where").map(str::to_string),
        dst: req.get("dst").map(str::to_string),
    };
    {
        let mut wire = wire.lock();
        if WRITE_ACTIONS.contains(&action) && wire.faults.locked > 0 {
            wire.faults.locked -= 1;
            return Err(lock_fault());
        }
        if action == "delete"
            && let Some(n) = &wire.faults.fail_deletes_matching
            && creq.xpath.contains(n.as_str())
        {
            return Err(lock_fault());
        }
    }
    match action {
        "multi-config" => {
            let el = creq
                .element
                .as_deref()
                .ok_or_else(|| ApiError::bad_request("Missing parameter \"element\""))?;
            let root =
                xml::parse(el).map_err(|e| ApiError::new(18, format!("Malformed Request: {e}")))?;
            check_config_lock(dev, user)?;
            let mut work = dev.candidate.clone();
            let mut work_layer = dev.template.clone();
            let mut inner = String::new();
            let mut replay = Vec::new();
            for (i, sub) in root.children.iter().enumerate() {
                let id = sub
                    .attr("id")
                    .map(str::to_string)
                    .unwrap_or_else(|| (i + 1).to_string());
                let mut sreq = ConfigReq {
                    action: sub.name.clone(),
                    xpath: sub.attr("xpath").unwrap_or("").to_string(),
                    newname: sub.attr("newname").map(str::to_string),
                    from: sub.attr("from").map(str::to_string),
                    where_: sub.attr("where").map(str::to_string),
                    dst: sub.attr("dst").map(str::to_string),
                    element: None,
                };
                if !sub.children.is_empty() {
                    let mut s = String::new();
                    for c in &sub.children {
                        c.write_to(&mut s);
                    }
                    sreq.element = Some(s);
                }
                if !WRITE_ACTIONS.contains(&sreq.action.as_str()) || sreq.action == "multi-config" {
                    let e = ApiError::new(
                        12,
                        format!("multi-config: action '{}' is not allowed", sreq.action),
                    );
                    inner.push_str(&sub_response(&id, Err(&e)));
                    return Err(multi_fail(&inner));
                }
                match template::apply_write_layered(
                    &mut work,
                    &mut work_layer,
                    &sreq,
                    user,
                    dev.panorama,
                ) {
                    Ok(()) => {
                        inner.push_str(&sub_response(&id, Ok(())));
                        replay.push((user.to_string(), sreq));
                    }
                    Err(e) if missing_delete(&sreq, &e) => {
                        // the device answers this one with success and goes on
                        inner.push_str(&format!(
                                "<response status=\"success\" code=\"7\" id=\"{}\"><msg>Object doesn't exist</msg></response>",
                                xml::escape(&id),
                            ));
                    }
                    Err(e) => {
                        inner.push_str(&sub_response(&id, Err(&e)));
                        return Err(multi_fail(&inner));
                    }
                }
            }
            if dev.panorama {
                check_membership(&work)?;
            }
            dev.candidate = work;
            dev.template = work_layer;
            dev.pending.extend(replay);
            dev.touched(user, "multi-config", "");
            Ok(format!(
                "<response status=\"success\" code=\"20\">{inner}</response>"
            ))
        }
        a if WRITE_ACTIONS.contains(&a) => {
            if creq.xpath.is_empty() {
                return Err(ApiError::bad_request("Missing parameter \"xpath\""));
            }
            check_config_lock(dev, user)?;
            let panorama = dev.panorama;
            // Panorama's own rule: one device group and one template stack per firewall.
            // Only writes that can add a device there pay for the check (and its copy).
            let membership = panorama && touches_membership(&creq);
            let before = membership.then(|| dev.candidate.clone());
            let r = template::apply_write_layered(
                &mut dev.candidate,
                &mut dev.template,
                &creq,
                user,
                panorama,
            );
            if let Err(e) = &r
                && missing_delete(&creq, e)
            {
                // nothing changed, so nothing is pending
                return Ok(MISSING_DELETE.into());
            }
            r?;
            if let Some(before) = before
                && let Err(e) = check_membership(&dev.candidate)
            {
                dev.candidate = before;
                return Err(e);
            }
            dev.touched(user, a, &creq.xpath);
            dev.pending.push((user.to_string(), creq));
            Ok(
                "<response status=\"success\" code=\"20\"><msg>command succeeded</msg></response>"
                    .into(),
            )
        }
        "complete" => Err(ApiError::new(
            17,
            "action=complete is not supported by the simulator",
        )),
        other => Err(ApiError::bad_request(format!(
            "Illegal value for parameter \"action\" [{other}]."
        ))),
    }
}

#[cfg(test)]
mod proptests {
    use super::*;
    use proptest::prelude::*;

    fn state() -> SimState {
        SimState::new(&SimConfig::panorama(1).job_duration(Duration::from_millis(1)))
    }

    fn authed(st: &mut SimState) -> String {
        let r = st.handle(&Request {
            method: "POST".into(),
            params: vec![
                ("type".into(), "keygen".into()),
                ("user".into(), "admin".into()),
                ("password".into(), "admin".into()),
            ],
            ..Default::default()
        });
        match r {
            Reply::Xml { body, .. } => body
                .split("<key>")
                .nth(1)
                .and_then(|s| s.split("</key>").next())
                .unwrap_or_default()
                .to_string(),
            Reply::Attachment { .. } => String::new(),
        }
    }

    fn xpathish() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<String>(),
            "(/[a-z*@\\[\\]='\" ()-]{0,12}){0,8}",
            Just("/config/shared/address/entry[@name='a' or @name=\"b\"]/@name".to_string()),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn any_request_gets_an_envelope(
            typ in prop_oneof![Just("config"), Just("op"), Just("commit"), Just("user-id"), Just("log"), Just("export"), Just("import"), Just("version"), Just("zzz")],
            action in prop_oneof![Just("get"), Just("show"), Just("set"), Just("edit"), Just("delete"), Just("rename"), Just("clone"), Just("move"), Just("multi-config"), Just("all"), Just("")],
            xpath in xpathish(),
            element in any::<String>(),
            cmd in prop_oneof![any::<String>(), "<[a-z]{1,8}>(<[a-z-]{1,8}/>){0,3}</[a-z]{1,8}>"],
            extra in any::<String>(),
        ) {
            let mut st = state();
            let key = authed(&mut st);
            let req = Request {
                method: "POST".into(),
                params: vec![
                    ("type".into(), typ.into()),
                    ("action".into(), action.into()),
                    ("xpath".into(), xpath),
                    ("element".into(), element),
                    ("cmd".into(), cmd),
                    ("newname".into(), extra.clone()),
                    ("where".into(), extra.clone()),
                    ("dst".into(), extra.clone()),
                    ("nlogs".into(), extra),
                    ("key".into(), key),
                ],
                ..Default::default()
            };
            match st.handle(&req) {
                Reply::Xml { http, body } => {
                    prop_assert!(http == 200 || http == 400 || http == 403, "{}", http);
                    prop_assert!(body.starts_with("<response") || body.starts_with("<config"), "{}", body);
                }
                Reply::Attachment { .. } => {}
            }
        }

        #[test]
        fn xpath_engine_never_panics(x in xpathish()) {
            let st = state();
            if let Ok(p) = XPath::parse(&x) {
                let pano = st.devices.get(PANORAMA_SERIAL).expect("panorama");
                let tree = &pano.candidate;
                let _ = p.select(tree);
                let _ = p.render();
                let mut t = tree.clone();
                let _ = device::resolve_or_create(&mut t, &p);
            }
        }
    }
}
