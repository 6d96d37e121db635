//! `SimHandle`: the test_util API (seed config, inject faults, list requests).

use std::sync::Arc;
use std::time::Duration;

use parking_lot::RwLock;

use crate::api::{Request, SimState};
use crate::config::Faults;
use crate::device::{self, ConfigReq};
use crate::xpath::XPath;

/// A request as received, with secrets (key, password, uploaded file) removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// HTTP method.
    pub method: String,
    /// `type` parameter.
    pub req_type: String,
    /// `action` parameter.
    pub action: String,
    /// `xpath` parameter.
    pub xpath: String,
    /// `cmd` parameter (truncated to 4 kB; every `<password>`, `<passphrase>`, `<key>`,
    /// `<phash>` and `<private-key>` masked).
    pub cmd: String,
    /// `target` parameter.
    pub target: String,
    /// HTTP status sent back.
    pub status: u16,
}

impl RecordedRequest {
    pub(crate) fn from_request(req: &Request, status: u16) -> Self {
        let g = |k: &str| req.get(k).unwrap_or("").to_string();
        let cut: String = g("cmd").chars().take(4096).collect();
        let cmd = mask_secrets(&cut);
        RecordedRequest {
            method: req.method.clone(),
            req_type: g("type"),
            action: g("action"),
            xpath: g("xpath"),
            cmd,
            target: g("target"),
            status,
        }
    }
}

/// A cheap, cloneable handle on a running simulator's state.
#[derive(Clone)]
pub struct SimHandle {
    pub(crate) state: Arc<RwLock<SimState>>,
}

impl std::fmt::Debug for SimHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimHandle").finish_non_exhaustive()
    }
}

/// The state held alone by a test utility; on the way out the due summary is refreshed (a
/// utility may add jobs, restart a device or move the clock).
struct StateMut<'a>(parking_lot::RwLockWriteGuard<'a, SimState>);

impl std::ops::Deref for StateMut<'_> {
    type Target = SimState;
    fn deref(&self) -> &SimState {
        &self.0
    }
}

impl std::ops::DerefMut for StateMut<'_> {
    fn deref_mut(&mut self) -> &mut SimState {
        &mut self.0
    }
}

impl Drop for StateMut<'_> {
    fn drop(&mut self) {
        self.0.refresh_due();
    }
}

impl SimHandle {
    fn w(&self) -> StateMut<'_> {
        StateMut(self.state.write())
    }

    /// Requests received so far (oldest first).
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state.read().requests.lock().clone()
    }

    /// Forget recorded requests (and the concurrency high-water mark).
    pub fn clear_requests(&self) {
        let st = self.state.read();
        st.requests.lock().clear();
        let mut w = st.wire.lock();
        w.in_flight.1 = w.in_flight.0;
    }

    /// The most API requests served at the same time since start or [`Self::clear_requests`].
    pub fn max_in_flight(&self) -> usize {
        self.state.read().wire.lock().in_flight.1
    }

    /// Replace the fault settings.
    pub fn set_faults(&self, faults: Faults) {
        self.state.read().wire.lock().faults = faults;
    }

    /// Current fault settings.
    pub fn faults(&self) -> Faults {
        self.state.read().wire.lock().faults.clone()
    }

    /// Added latency per request.
    pub fn set_latency(&self, latency: Duration) {
        self.state.read().wire.lock().faults.latency = latency;
    }

    /// The next `n` commits are refused with "Another commit/validate is in progress".
    pub fn fail_next_commits_busy(&self, n: u32) {
        self.state.read().wire.lock().faults.commit_busy = n;
    }

    /// The next `n` config writes or commits are refused with the device's lock error
    /// ("Configuration is locked by other-admin"), as if another admin held a lock.
    pub fn fail_next_locked(&self, n: u32) {
        self.state.read().wire.lock().faults.locked = n;
    }

    /// The next `n` certificate / key imports are refused (code 17).
    pub fn fail_next_imports(&self, n: u32) {
        self.state.read().wire.lock().faults.fail_imports = n;
    }

    /// Refuse every config delete whose xpath contains `needle` with the lock error (as if
    /// another admin had taken a config lock), until called again with `None`.
    pub fn fail_deletes_matching(&self, needle: Option<&str>) {
        self.state.read().wire.lock().faults.fail_deletes_matching = needle.map(str::to_string);
    }

    /// The next `n` commit / commit-all jobs end with FAIL.
    pub fn fail_next_jobs(&self, n: u32) {
        self.state.read().wire.lock().faults.fail_jobs = n;
    }

    /// Make every issued API key expired (next use gets HTTP 400 "Key Expired").
    pub fn expire_keys(&self) {
        let mut st = self.w();
        st.key_lifetime = Some(Duration::ZERO);
    }

    /// Move the simulator's clock forward: jobs progress, User-ID mappings and tags time
    /// out, sessions age and counters grow as if `by` had passed (no sleeping in tests).
    pub fn advance_clock(&self, by: Duration) {
        let mut st = self.w();
        st.clock.advance(by);
        st.tick();
    }

    /// How far [`SimHandle::advance_clock`] has moved the clock.
    pub fn clock_offset(&self) -> Duration {
        self.w().clock.offset()
    }

    /// Set how long commit jobs take.
    pub fn set_job_duration(&self, d: Duration) {
        self.w().job_duration = d;
    }

    /// Seed configuration: `set` `element` at `xpath` in the candidate AND running config of
    /// a device (`None` = the device at the URL; `Some(serial)` = a managed firewall).
    pub fn seed_config(
        &self,
        serial: Option<&str>,
        xpath: &str,
        element: &str,
    ) -> Result<(), String> {
        let mut st = self.w();
        let serial = serial
            .map(str::to_string)
            .unwrap_or_else(|| st.primary.clone());
        let dev = st
            .devices
            .get_mut(&serial)
            .ok_or_else(|| format!("no device with serial {serial}"))?;
        let req = ConfigReq {
            action: "set".into(),
            xpath: xpath.into(),
            element: Some(element.into()),
            ..Default::default()
        };
        let panorama = dev.panorama;
        device::apply_write(&mut dev.candidate, &req, "seed", panorama)
            .map_err(|e| e.lines.join(" "))?;
        device::apply_write(&mut dev.running, &req, "seed", panorama)
            .map_err(|e| e.lines.join(" "))?;
        dev.candidate.strip_annotations();
        dev.running.strip_annotations();
        st.mark_changed(&serial);
        Ok(())
    }

    /// XML of the nodes selected by `xpath` in the running (or candidate) config of a device.
    pub fn config_xml(&self, serial: Option<&str>, running: bool, xpath: &str) -> Option<String> {
        let mut st = self.w();
        st.tick();
        let serial = serial
            .map(str::to_string)
            .unwrap_or_else(|| st.primary.clone());
        let dev = st.devices.get(&serial)?;
        let tree = dev.tree(running);
        let x = XPath::parse(xpath).ok()?;
        let sel = x.select(tree);
        if sel.is_empty() {
            return None;
        }
        let mut s = String::new();
        for p in sel {
            if let Some(e) = crate::xpath::get(tree, &p) {
                e.write_to(&mut s);
            }
        }
        Some(s)
    }

    /// Number of active sessions on a firewall.
    pub fn session_count(&self, serial: Option<&str>) -> usize {
        let st = self.w();
        let serial = serial
            .map(str::to_string)
            .unwrap_or_else(|| st.primary.clone());
        st.devices
            .get(&serial)
            .map(|d| d.traffic.sessions.len())
            .unwrap_or(0)
    }

    /// Open a long-lived session from `src` (a visitor browsing) on a firewall (`None`: the
    /// primary device) and return its id; `proto` is the IP protocol number. The session runs
    /// under the security rule the running policy matches; `None` when that rule denies the
    /// flow (its hit count still grows) or the firewall does not exist.
    pub fn open_session(
        &self,
        serial: Option<&str>,
        src: &str,
        dst: &str,
        proto: u8,
        dport: u16,
        vsys: &str,
    ) -> Option<u64> {
        let mut st = self.w();
        let serial = serial
            .map(str::to_string)
            .unwrap_or_else(|| st.primary.clone());
        st.devices.get_mut(&serial).and_then(|d| {
            // the session runs under the rule the security policy matches; a flow the
            // policy denies opens no session but counts a hit on the denying rule
            match crate::ops::tools::policy_rule(d, vsys, src, dst, proto, dport) {
                Some((rule, true)) => {
                    Some(d.traffic.open_under(&rule, src, dst, proto, dport, vsys))
                }
                Some((rule, false)) => {
                    d.traffic.hit(vsys, &rule);
                    None
                }
                None => Some(d.traffic.open(src, dst, proto, dport, vsys)),
            }
        })
    }

    /// Number of active sessions whose source is `src` on a firewall.
    pub fn sessions_from(&self, serial: Option<&str>, src: &str) -> usize {
        let st = self.w();
        let serial = serial
            .map(str::to_string)
            .unwrap_or_else(|| st.primary.clone());
        st.devices
            .get(&serial)
            .map(|d| d.traffic.sessions.values().filter(|s| s.src == src).count())
            .unwrap_or(0)
    }

    /// The User-ID mapping of `ip` on a firewall: (user, vsys).
    pub fn mapping(&self, serial: Option<&str>, ip: &str) -> Option<(String, String)> {
        let st = self.w();
        let serial = serial
            .map(str::to_string)
            .unwrap_or_else(|| st.primary.clone());
        let dev = st.devices.get(&serial)?;
        dev.userid
            .mappings
            .get(ip)
            .map(|m| (m.user.clone(), m.vsys.clone()))
    }

    /// Connect or disconnect a managed firewall from Panorama: a disconnected firewall is
    /// absent from `show devices connected`, refuses `target=` requests and fails pushes.
    pub fn set_connected(&self, serial: &str, connected: bool) -> Result<(), String> {
        let mut st = self.w();
        if !st.managed.iter().any(|s| s == serial) {
            return Err(format!("{serial} is not a managed firewall"));
        }
        if let Some(d) = st.devices.get_mut(serial) {
            d.connected = connected;
        }
        Ok(())
    }

    /// Serials of managed firewalls (Panorama) or the firewall's own serial.
    pub fn serials(&self) -> Vec<String> {
        let st = self.w();
        if st.managed.is_empty() {
            vec![st.primary.clone()]
        } else {
            st.managed.clone()
        }
    }
}

impl SimHandle {
    /// Steer the monitoring state with a control document (the body of
    /// `POST /sim/monitor`; see `ops::monitor::control` for the fields).
    pub fn monitor_control(&self, doc: &serde_json::Value) -> Result<String, String> {
        crate::ops::monitor::control(&mut self.w(), doc)
    }

    /// Make op commands starting with `command` (CLI words, e.g. `show vpn flow`) fail:
    /// `kind` is `error`, `garbage` (unknown shape), `denied` (role lacks the permission),
    /// `huge` (a 10 MB reply) or `slow` (2 s).
    pub fn fail_op(&self, command: &str, kind: &str) -> Result<String, String> {
        self.monitor_control(&serde_json::json!({"op_fault": {"command": command, "kind": kind}}))
    }

    /// Remove every per-command fault.
    pub fn clear_op_faults(&self) {
        self.state.read().wire.lock().op_faults.clear();
    }
}

/// Mask the content of every secret-bearing element (all occurrences, even when cut off).
pub(crate) fn mask_secrets(text: &str) -> String {
    panops_panos::secret::redact_xml_secrets(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_and_their_records_never_show_a_secret() {
        let req = Request {
            method: "POST".into(),
            params: vec![
                ("type".into(), "op".into()),
                ("key".into(), "LUFRPTsecretkey==".into()),
                ("password".into(), "form-pw".into()),
                (
                    "cmd".into(),
                    "<request><a><password>pw-one</password></a><b><password>pw-two</password><passphrase>pp</passphrase><key>k-material</key><phash>$5$x</phash></b></request>"
                        .into(),
                ),
            ],
            header_key: Some("LUFRPTheaderkey==".into()),
            basic: Some(("admin".into(), "basic-pw".into())),
            file: Some(("c.pem".into(), b"-----BEGIN PRIVATE KEY-----".to_vec())),
        };
        let dbg = format!("{req:?}");
        let rec = RecordedRequest::from_request(&req, 200);
        let recorded = format!("{rec:?}");
        for secret in [
            "secretkey",
            "form-pw",
            "pw-one",
            "pw-two",
            "pp<",
            "k-material",
            "$5$x",
            "headerkey",
            "basic-pw",
            "PRIVATE KEY",
        ] {
            assert!(!dbg.contains(secret), "{secret} in {dbg}");
            assert!(!recorded.contains(secret), "{secret} in {recorded}");
        }
        assert!(
            dbg.contains("admin") && rec.cmd.contains("<password>***</password>"),
            "{rec:?}"
        );
    }
}
