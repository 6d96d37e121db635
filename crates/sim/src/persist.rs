//! `--state DIR`: config trees, keys, certificates (in config), jobs and the TLS identity
//! survive restarts. Stored in a redb database plus two PEM files.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use parking_lot::Mutex;
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
}

fn err(dir: &Path, e: impl std::fmt::Display) -> SimError {
    SimError::State {
        path: dir.display().to_string(),
        reason: e.to_string(),
    }
}

impl Store {
    /// Create or open `DIR/state.redb`.
    pub fn open(dir: &Path) -> Result<Store, SimError> {
        std::fs::create_dir_all(dir).map_err(|e| err(dir, e))?;
        let db = Database::create(dir.join("state.redb")).map_err(|e| err(dir, e))?;
        Ok(Store {
            dir: dir.to_path_buf(),
            db: Arc::new(db),
        })
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
        let kp = self.dir.join("tls-key.pem");
        std::fs::write(&kp, key).map_err(|e| err(&self.dir, e))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(&kp, std::fs::Permissions::from_mode(0o600));
        }
        Ok(())
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
                    let tree = xml::parse_max_depth(&x, xml::MAX_STORED_DEPTH)
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
                crate::userid::load_json(&mut dev.userid, &meta["userid"], dev.clock.now());
                if let Some(t) = meta["template"].as_str() {
                    dev.template.config = xml::parse_max_depth(t, xml::MAX_STORED_DEPTH)
                        .map_err(|e| err(&self.dir, format!("{s} template config: {e}")))?;
                }
                dev.template.overrides = meta["overrides"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|o| o.as_str().map(str::to_string))
                    .collect();
                if let Some(pk) = meta["private_keys"].as_object() {
                    for (k, v) in pk {
                        if let Some(v) = v.as_str() {
                            dev.private_keys.insert(k.clone(), v.to_string());
                        }
                    }
                }
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
                            ok: j["ok"].as_bool().unwrap_or(false),
                            details: strs(&j["details"]),
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

    /// Snapshot the state under the lock, write it outside.
    pub fn save(&self, sim: &Arc<Mutex<SimState>>) {
        let mut entries: Vec<(String, Vec<u8>)> = Vec::new();
        {
            let mut st = sim.lock();
            st.tick();
            entries.push(("salt".into(), st.salt.clone().into_bytes()));
            let keys: Vec<Value> = st
                .keys
                .iter()
                .map(|(k, i)| {
                    json!({"key": k, "user": i.user, "issued": i.issued.duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)})
                })
                .collect();
            entries.push(("keys".into(), Value::Array(keys).to_string().into_bytes()));
            for (s, dev) in &st.devices {
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
                    "userid": crate::userid::to_json(&dev.userid, dev.clock.now()),
                    "private_keys": dev.private_keys,
                    "template": dev.template.config.to_xml(),
                    "overrides": dev.template.overrides,
                });
                entries.push((format!("dev/{s}/meta"), meta.to_string().into_bytes()));
                let now = dev.clock.now();
                let jobs: Vec<Value> = dev
                    .jobs
                    .values()
                    .filter(|j| j.phase(now) == crate::jobs::Phase::Fin)
                    .map(|j| {
                        json!({
                            "id": j.id, "kind": j.kind, "user": j.user, "tenq": j.tenq.timestamp(),
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
        }
        let res = (|| -> Result<(), String> {
            let w = self.db.begin_write().map_err(|e| e.to_string())?;
            {
                let mut t = w.open_table(TABLE).map_err(|e| e.to_string())?;
                for (k, v) in &entries {
                    t.insert(k.as_str(), v.as_slice())
                        .map_err(|e| e.to_string())?;
                }
            }
            w.commit().map_err(|e| e.to_string())
        })();
        if let Err(e) = res {
            tracing::error!(dir = %self.dir.display(), "saving simulator state failed: {e}");
        }
    }
}
