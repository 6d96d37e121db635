//! `--state DIR`: config trees, keys, certificates (in config), jobs and the TLS identity
//! survive restarts. Stored in a redb database plus two PEM files.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, UNIX_EPOCH};

use parking_lot::{Mutex, RwLock};
use redb::{Database, TableDefinition};
use serde_json::{Value, json};

use crate::SimError;
use crate::api::{KeyInfo, SimState};
use crate::jobs::{DeviceResult, Job};
use crate::xml;

const TABLE: TableDefinition<&str, &[u8]> = TableDefinition::new("state");

/// An opened state directory.
#[derive(Clone)]
pub struct Store {
    dir: PathBuf,
    db: Arc<Database>,
    /// Generation of the newest snapshot written, per key: a snapshot holds only what
    /// changed, and writers racing each other (their snapshots taken in one order, written in
    /// another) never replace a newer value with an older one.
    written: Arc<Mutex<HashMap<String, u64>>>,
    /// Group commit: snapshots waiting for the writer, and the outcome of those another
    /// writer wrote in its transaction (one fsync for every change that queued meanwhile).
    group: Arc<Mutex<Group>>,
}

#[derive(Default)]
struct Group {
    queue: Vec<Snapshot>,
    done: HashMap<u64, Result<(), String>>,
}

/// Everything that persists, taken under the state lock so that it is one consistent moment.
pub struct Snapshot {
    generation: u64,
    entries: Vec<(String, Vec<u8>)>,
}

/// Owner-only permissions: the state holds API keys and private keys.
#[cfg(unix)]
fn owner_only(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

/// Create `path` (mode 0600 from the start) holding `data`, replacing it atomically.
fn write_private(path: &Path, data: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let tmp = path.with_extension("tmp");
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(&tmp)?;
    f.write_all(data)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}

/// Open the redb file, turning every way a damaged file can fail (including a panic inside
/// the storage library) into an error that names the file and the way out.
fn open_db(file: &Path) -> Result<Database, String> {
    let meta = std::fs::metadata(file).map_err(|e| e.to_string())?;
    if meta.len() == 0 {
        return Err("the file is empty".into());
    }
    let path = file.to_path_buf();
    // redb asserts on some damage (a file shorter than its header says); keep its panic
    // message for the error instead of printing a backtrace at the user
    let previous_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let opened = std::panic::catch_unwind(move || -> Result<Database, String> {
        let mut db = Database::create(&path).map_err(|e| e.to_string())?;
        match db.check_integrity() {
            Ok(true) => {}
            Ok(false) => return Err("the integrity check repaired it; refusing to guess".into()),
            Err(e) => return Err(e.to_string()),
        }
        // read every value once: a flipped byte in a page surfaces here, not mid-request
        let r = db.begin_read().map_err(|e| e.to_string())?;
        match r.open_table(TABLE) {
            Ok(t) => {
                use redb::ReadableTable;
                for item in t.iter().map_err(|e| e.to_string())? {
                    let (k, v) = item.map_err(|e| e.to_string())?;
                    let _ = (k.value().len(), v.value().len());
                }
            }
            Err(redb::TableError::TableDoesNotExist(_)) => {}
            Err(e) => return Err(e.to_string()),
        }
        drop(r);
        Ok(db)
    });
    std::panic::set_hook(previous_hook);
    match opened {
        Ok(r) => r,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unreadable".into());
            Err(format!("the storage library could not read it: {what}"))
        }
    }
}

fn err(dir: &Path, e: impl std::fmt::Display) -> SimError {
    SimError::State {
        path: dir.display().to_string(),
        reason: e.to_string(),
    }
}

impl Store {
    /// Create or open `DIR/state.redb`. The directory is created 0700 and the files 0600.
    /// A damaged state file is refused with [`SimError::DamagedState`]; with `reset` it is
    /// moved aside (never deleted) and a fresh state is started.
    pub fn open(dir: &Path, reset: bool) -> Result<Store, SimError> {
        if !dir.exists() {
            let mut b = std::fs::DirBuilder::new();
            b.recursive(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::DirBuilderExt;
                b.mode(0o700);
            }
            b.create(dir).map_err(|e| err(dir, e))?;
        }
        let file = dir.join("state.redb");
        if !file.exists() {
            // created 0600 before redb initialises it, so there is no moment it is readable
            write_private(&file, b"").map_err(|e| err(dir, e))?;
            let db = Database::create(&file).map_err(|e| err(dir, e))?;
            return Ok(Self::wrap(dir, db));
        }
        match open_db(&file) {
            Ok(db) => {
                #[cfg(unix)]
                owner_only(&file, 0o600).map_err(|e| err(dir, e))?;
                Ok(Self::wrap(dir, db))
            }
            Err(reason) if reset => {
                let aside = dir.join(format!(
                    "state.redb.damaged-{}",
                    chrono::Utc::now().format("%Y%m%dT%H%M%SZ")
                ));
                std::fs::rename(&file, &aside).map_err(|e| err(dir, e))?;
                tracing::warn!(
                    "state file {} was damaged ({reason}); kept as {} and starting fresh",
                    file.display(),
                    aside.display()
                );
                write_private(&file, b"").map_err(|e| err(dir, e))?;
                let db = Database::create(&file).map_err(|e| err(dir, e))?;
                Ok(Self::wrap(dir, db))
            }
            Err(reason) => Err(SimError::DamagedState {
                file: file.display().to_string(),
                reason,
            }),
        }
    }

    fn wrap(dir: &Path, db: Database) -> Store {
        Store {
            dir: dir.to_path_buf(),
            db: Arc::new(db),
            written: Arc::new(Mutex::new(HashMap::new())),
            group: Arc::new(Mutex::new(Group::default())),
        }
    }

    /// Stored TLS certificate and key (PEM), if any.
    pub fn tls_files(&self) -> Option<(String, String)> {
        let c = std::fs::read_to_string(self.dir.join("tls-cert.pem")).ok()?;
        let k = std::fs::read_to_string(self.dir.join("tls-key.pem")).ok()?;
        Some((c, k))
    }

    /// Save the TLS identity.
    pub fn save_tls(&self, cert: &str, key: &str) -> Result<(), SimError> {
        std::fs::write(self.dir.join("tls-cert.pem"), cert).map_err(|e| err(&self.dir, e))?;
        // the key file is 0600 from its creation, never briefly world-readable
        write_private(&self.dir.join("tls-key.pem"), key.as_bytes()).map_err(|e| err(&self.dir, e))
    }

    fn get(&self, k: &str) -> Option<Vec<u8>> {
        let r = self.db.begin_read().ok()?;
        let t = r.open_table(TABLE).ok()?;
        let v = t.get(k).ok()??;
        Some(v.value().to_vec())
    }

    fn get_str(&self, k: &str) -> Option<String> {
        self.get(k)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
    }

    /// Load what was saved into a freshly built state (devices matched by serial).
    pub fn load(&self, st: &mut SimState) -> Result<(), SimError> {
        if let Some(salt) = self.get_str("salt") {
            st.salt = salt;
        }
        if let Some(keys) = self
            .get("keys")
            .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        {
            for k in keys.as_array().into_iter().flatten() {
                let (Some(key), Some(user)) = (k["key"].as_str(), k["user"].as_str()) else {
                    continue;
                };
                let issued = UNIX_EPOCH
                    .checked_add(Duration::from_secs(k["issued"].as_u64().unwrap_or(0)))
                    .unwrap_or(UNIX_EPOCH);
                st.keys.insert(
                    key.to_string(),
                    KeyInfo {
                        user: user.to_string(),
                        issued,
                    },
                );
            }
        }
        let serials: Vec<String> = st.devices.keys().cloned().collect();
        for s in serials {
            let Some(dev) = st.devices.get_mut(&s) else {
                continue;
            };
            for (name, running) in [("running", true), ("candidate", false)] {
                if let Some(x) = self.get_str(&format!("dev/{s}/{name}")) {
                    let tree = xml::parse_limited(&x, xml::Limits::STORED)
                        .map_err(|e| err(&self.dir, format!("{s} {name} config: {e}")))?;
                    if running {
                        dev.running = tree;
                    } else {
                        dev.candidate = tree;
                    }
                }
            }
            if let Some(meta) = self
                .get(&format!("dev/{s}/meta"))
                .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
            {
                dev.dirty = meta["dirty"].as_bool().unwrap_or(false);
                dev.next_job = meta["next_job"].as_u64().unwrap_or(1);
                dev.policy_synced = meta["policy_synced"].as_bool().unwrap_or(false);
                dev.pushed = crate::template::PushRecord {
                    policy: push_state(&meta["pushed_policy"]),
                    template: push_state(&meta["pushed_template"]),
                };
                crate::userid::load_json(&mut dev.userid, &meta["userid"], dev.clock.now());
                if let Some(t) = meta["template"].as_str() {
                    dev.template.config = xml::parse_limited(t, xml::Limits::STORED)
                        .map_err(|e| err(&self.dir, format!("{s} template config: {e}")))?;
                }
                dev.template.overrides = meta["overrides"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|o| o.as_str().map(str::to_string))
                    .collect();
                if let Some(p) = meta["pushed_policy"].as_str() {
                    dev.pushed_policy = xml::parse_limited(p, xml::Limits::STORED)
                        .map_err(|e| err(&self.dir, format!("{s} pushed policy: {e}")))?;
                }
                if let Some(pk) = meta["private_keys"].as_object() {
                    for (k, v) in pk {
                        if let Some(v) = v.as_str() {
                            dev.private_keys.insert(k.clone(), v.to_string());
                        }
                    }
                }
            }
            if let Some(b) = self.get(&format!("dev/{s}/configs")) {
                // saved configurations and versions: unreadable ones are a damaged state
                let v: Value = serde_json::from_slice(&b)
                    .map_err(|e| err(&self.dir, format!("{s} saved configs: {e}")))?;
                dev.configs = crate::ops::configops::ConfigStore::from_json(&v)
                    .map_err(|e| err(&self.dir, format!("{s} {e}")))?;
            }
            if let Some(jobs) = self
                .get(&format!("dev/{s}/jobs"))
                .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
            {
                for j in jobs.as_array().into_iter().flatten() {
                    let Some(id) = j["id"].as_u64() else {
                        continue;
                    };
                    let strs = |v: &Value| -> Vec<String> {
                        v.as_array()
                            .into_iter()
                            .flatten()
                            .filter_map(|x| x.as_str().map(str::to_string))
                            .collect()
                    };
                    let devices = j["devices"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|d| DeviceResult {
                            serial: d["serial"].as_str().unwrap_or("").to_string(),
                            name: d["name"].as_str().unwrap_or("").to_string(),
                            ok: d["ok"].as_bool().unwrap_or(false),
                            errors: strs(&d["errors"]),
                            warnings: vec![],
                        })
                        .collect();
                    let tenq = j["tenq"]
                        .as_i64()
                        .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
                        .unwrap_or_else(chrono::Utc::now);
                    let now = dev.clock.now();
                    let interrupted = j["finished"].as_bool() == Some(false);
                    let mut details = strs(&j["details"]);
                    if interrupted {
                        details = vec![format!(
                            "{} was interrupted: the management server restarted before it finished",
                            j["kind"].as_str().unwrap_or("Job")
                        )];
                        // the candidate it was committing is still pending
                        if j["kind"].as_str().is_some_and(|k| k.starts_with("Commit")) {
                            dev.dirty = true;
                        }
                    }
                    dev.jobs.insert(
                        id,
                        Job {
                            id,
                            kind: j["kind"].as_str().unwrap_or("Commit").to_string(),
                            user: j["user"].as_str().unwrap_or("").to_string(),
                            tenq,
                            start: now.checked_sub(Duration::from_millis(1)).unwrap_or(now),
                            duration: Duration::ZERO,
                            description: j["description"].as_str().unwrap_or("").to_string(),
                            ok: !interrupted && j["ok"].as_bool().unwrap_or(false),
                            details,
                            warnings: strs(&j["warnings"]),
                            devices,
                            dgname: j["dgname"].as_str().map(str::to_string),
                            effect: None,
                            applied: true,
                        },
                    );
                }
            }
        }
        Ok(())
    }

    /// Snapshot the state under the lock and write it (durably) outside it.
    pub fn save(&self, sim: &Arc<RwLock<SimState>>) {
        let snap = {
            let mut st = sim.write();
            st.tick();
            st.refresh_due();
            st.changed = false;
            // the final save writes everything, whatever the change tracking says
            st.changed_all = true;
            snapshot(&mut st)
        };
        if let Err(e) = self.write(snap) {
            tracing::error!(dir = %self.dir.display(), "saving simulator state failed: {e}");
        }
    }

    /// Write a snapshot durably before returning. Snapshots that queue while another one is
    /// being written go out together in the next redb transaction (group commit: one fsync
    /// for all of them); a value older than the one already written under its key is
    /// skipped, so snapshots taken in one order and written in another keep the newest.
    pub fn write(&self, snap: Snapshot) -> Result<(), String> {
        let generation = snap.generation;
        self.group.lock().queue.push(snap);
        let mut written = self.written.lock();
        let batch = {
            let mut g = self.group.lock();
            if let Some(outcome) = g.done.remove(&generation) {
                // the writer before us took ours along
                return outcome;
            }
            std::mem::take(&mut g.queue)
        };
        let outcome = self.write_batch(&mut written, &batch);
        let mut g = self.group.lock();
        for s in batch.iter().filter(|s| s.generation != generation) {
            g.done.insert(s.generation, outcome.clone());
        }
        outcome
    }

    fn write_batch(
        &self,
        written: &mut HashMap<String, u64>,
        batch: &[Snapshot],
    ) -> Result<(), String> {
        // per key, the newest value in the batch, if newer than what is on disk
        let mut fresh: HashMap<&str, (u64, &[u8])> = HashMap::new();
        for snap in batch {
            for (k, v) in &snap.entries {
                if written.get(k).is_some_and(|&g| g >= snap.generation) {
                    continue;
                }
                match fresh.get(k.as_str()) {
                    Some((g, _)) if *g >= snap.generation => {}
                    _ => {
                        fresh.insert(k.as_str(), (snap.generation, v.as_slice()));
                    }
                }
            }
        }
        if fresh.is_empty() {
            return Ok(());
        }
        let w = self.db.begin_write().map_err(|e| e.to_string())?;
        {
            let mut t = w.open_table(TABLE).map_err(|e| e.to_string())?;
            for (k, (_, v)) in &fresh {
                t.insert(*k, *v).map_err(|e| e.to_string())?;
            }
        }
        w.commit().map_err(|e| e.to_string())?;
        for (k, (g, _)) in fresh {
            written.insert(k.to_string(), g);
        }
        Ok(())
    }
}

/// What changed since the last snapshot (the keys and every device marked changed, or every
/// device), taken while the caller holds the state lock alone: a change to one firewall
/// serialises that firewall, not the whole estate.
pub fn snapshot(st: &mut SimState) -> Snapshot {
    let generation = st.generation.fetch_add(1, Ordering::SeqCst) + 1;
    let all = std::mem::take(&mut st.changed_all);
    let changed = std::mem::take(&mut st.changed_devices);
    let st = &*st;
    let mut entries = key_entries(st);
    for (s, dev) in st
        .devices
        .iter()
        .filter(|(s, _)| all || changed.contains(*s))
    {
        device_entries(st, s, &dev, all, &mut entries);
    }
    Snapshot {
        generation,
        entries,
    }
}

/// The snapshot of one change to one device made under that device's own lock (the state
/// lock shared, see [`crate::api::SimState::try_write`]): the keys and that device.
pub fn device_snapshot(st: &SimState, serial: &str, dev: &crate::device::Device) -> Snapshot {
    let generation = st.generation.fetch_add(1, Ordering::SeqCst) + 1;
    let mut entries = key_entries(st);
    device_entries(st, serial, dev, false, &mut entries);
    Snapshot {
        generation,
        entries,
    }
}

fn key_entries(st: &SimState) -> Vec<(String, Vec<u8>)> {
    let keys: Vec<Value> = st
        .keys
        .iter()
        .map(|(k, i)| {
            json!({"key": k, "user": i.user, "issued": i.issued.duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)})
        })
        .collect();
    vec![
        ("salt".into(), st.salt.clone().into_bytes()),
        ("keys".into(), Value::Array(keys).to_string().into_bytes()),
    ]
}

fn device_entries(
    st: &SimState,
    s: &str,
    dev: &crate::device::Device,
    all: bool,
    entries: &mut Vec<(String, Vec<u8>)>,
) {
    entries.push((
        format!("dev/{s}/running"),
        dev.running.to_xml().into_bytes(),
    ));
    entries.push((
        format!("dev/{s}/candidate"),
        dev.candidate.to_xml().into_bytes(),
    ));
    let meta = json!({
        "dirty": dev.dirty,
        "next_job": dev.next_job,
        "policy_synced": dev.policy_synced,
        "pushed_policy": push_state_json(&dev.pushed.policy),
        "pushed_template": push_state_json(&dev.pushed.template),
        "userid": crate::userid::to_json(&dev.userid, dev.clock.now()),
        "private_keys": dev.private_keys,
        "template": dev.template.config.to_xml(),
        "overrides": dev.template.overrides,
        "pushed_policy": dev.pushed_policy.to_xml(),
    });
    // saved configs and committed versions are whole trees: rewritten only when they changed
    {
        let mut persisted = st.persisted_configs.lock();
        if all || persisted.get(s) != Some(&dev.configs_generation) {
            entries.push((
                format!("dev/{s}/configs"),
                dev.configs.to_json().to_string().into_bytes(),
            ));
            persisted.insert(s.to_string(), dev.configs_generation);
        }
    }
    entries.push((format!("dev/{s}/meta"), meta.to_string().into_bytes()));
    let jobs: Vec<Value> = dev
        .jobs
        .values()
        .map(|j| {
            // a job whose effect is not applied yet did not happen: after a restart it is
            // reported failed, as the device reports a commit cut by a reboot
            let finished = j.applied;
            json!({
                "id": j.id, "kind": j.kind, "user": j.user, "tenq": j.tenq.timestamp(),
                "finished": finished,
                "description": j.description, "ok": j.ok, "details": j.details,
                "warnings": j.warnings, "dgname": j.dgname,
                "devices": j.devices.iter().map(|d| json!({"serial": d.serial, "name": d.name, "ok": d.ok, "errors": d.errors})).collect::<Vec<_>>(),
            })
        })
        .collect();
    entries.push((
        format!("dev/{s}/jobs"),
        Value::Array(jobs).to_string().into_bytes(),
    ));
}

/// A stored [`crate::template::PushState`] (missing fields: never pushed).
fn push_state(v: &Value) -> crate::template::PushState {
    crate::template::PushState {
        md5: v["md5"].as_str().map(str::to_string),
        version: v["version"].as_u64().unwrap_or(0),
        last: v["last"].as_str().map(str::to_string),
    }
}

fn push_state_json(s: &crate::template::PushState) -> Value {
    json!({"md5": s.md5, "version": s.version, "last": s.last})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SimConfig;

    fn device_keys(snap: &Snapshot) -> Vec<String> {
        let mut serials: Vec<String> = snap
            .entries
            .iter()
            .filter_map(|(k, _)| {
                k.strip_prefix("dev/")?
                    .split('/')
                    .next()
                    .map(str::to_string)
            })
            .collect();
        serials.dedup();
        serials
    }

    /// Issue 14 item 9: a change to one firewall serialises that firewall (and the keys), not
    /// every device of the estate while every other client waits.
    #[test]
    fn a_snapshot_holds_only_the_devices_that_changed() {
        let mut st = SimState::new(&SimConfig::panorama(4));
        let fw = st.managed[2].clone();
        st.mark_changed(&fw);
        let snap = snapshot(&mut st);
        assert_eq!(device_keys(&snap), vec![fw.clone()]);
        assert!(snap.entries.iter().any(|(k, _)| k == "keys"));
        // taken: the next snapshot has no device unless one changes again
        assert!(device_keys(&snapshot(&mut st)).is_empty());
        st.mark_all_changed();
        assert_eq!(device_keys(&snapshot(&mut st)).len(), 5);
    }

    /// Writers racing each other (group commit): every one returns once its own snapshot is
    /// durable, whether it wrote it or a writer before it took it along.
    #[test]
    fn concurrent_writers_all_land() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(dir.path(), false).expect("store");
        let threads: Vec<_> = (0..16u64)
            .map(|i| {
                let store = store.clone();
                std::thread::spawn(move || {
                    for j in 0..10u64 {
                        let snap = Snapshot {
                            generation: 1 + i * 10 + j,
                            entries: vec![(format!("k{i}"), format!("{j}").into_bytes())],
                        };
                        store.write(snap).expect("write");
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().expect("writer");
        }
        let r = store.db.begin_read().expect("read");
        let t = r.open_table(TABLE).expect("table");
        for i in 0..16 {
            let v = t
                .get(format!("k{i}").as_str())
                .expect("get")
                .map(|v| v.value().to_vec());
            assert_eq!(v.as_deref(), Some(&b"9"[..]), "k{i}");
        }
        assert!(
            store.group.lock().done.is_empty(),
            "every outcome was collected"
        );
    }

    /// Saved configs and committed versions (up to 32 whole trees) are serialised again only
    /// when they changed, not with every change of the device.
    #[test]
    fn configs_are_written_when_they_change() {
        let mut st = SimState::new(&SimConfig::firewall());
        let fw = st.primary.clone();
        let has_configs = |snap: &Snapshot| {
            snap.entries
                .iter()
                .any(|(k, _)| k == &format!("dev/{fw}/configs"))
        };
        st.mark_changed(&fw);
        assert!(
            has_configs(&snapshot(&mut st)),
            "the first snapshot writes them"
        );
        st.mark_changed(&fw);
        assert!(
            !has_configs(&snapshot(&mut st)),
            "unchanged: not written again"
        );
        let dev = st.devices.get_mut(&fw).expect("device");
        let running = dev.running.clone();
        dev.configs
            .record(&running, "t".into(), "admin".into(), 2, String::new());
        dev.configs_generation += 1;
        st.mark_changed(&fw);
        assert!(has_configs(&snapshot(&mut st)), "a new version is written");
        st.forget_persisted();
        assert!(
            has_configs(&snapshot(&mut st)),
            "after a failed write: written again"
        );
    }

    /// Snapshots of different devices written out of order both land; an older value of the
    /// same key never replaces a newer one.
    #[test]
    fn out_of_order_writes_keep_the_newest_value_of_each_key() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(dir.path(), false).expect("store");
        let older = Snapshot {
            generation: 1,
            entries: vec![("a".into(), b"old a".to_vec()), ("b".into(), b"b".to_vec())],
        };
        let newer = Snapshot {
            generation: 2,
            entries: vec![("a".into(), b"new a".to_vec()), ("c".into(), b"c".to_vec())],
        };
        store.write(newer).expect("write");
        store.write(older).expect("write");
        let r = store.db.begin_read().expect("read");
        let t = r.open_table(TABLE).expect("table");
        let get = |k: &str| t.get(k).expect("get").map(|v| v.value().to_vec());
        assert_eq!(get("a").as_deref(), Some(&b"new a"[..]));
        assert_eq!(get("b").as_deref(), Some(&b"b"[..]));
        assert_eq!(get("c").as_deref(), Some(&b"c"[..]));
    }
}
