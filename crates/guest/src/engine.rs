//! Ending and starting visits: shared reads, batched uid-messages, bounded concurrency,
//! verification.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use futures::future::join_all;
use panops_client::panos::PanosClient;
use panops_panos::Response;
use panops_panos::userid::{UidMessage, UidOp};
use tokio::sync::Semaphore;

use crate::error::{Error, ErrorKind};
use crate::report::{BatchReport, Outcome, VisitReport};
use crate::visit::{BatchLine, Visit};

/// Sessions per page of `show session all` (the device's page size).
pub const SESSION_PAGE: usize = 1024;

/// Upper bound on session pages read in one listing (a million sessions).
const MAX_SESSION_PAGES: usize = 1024;

/// Tuning of a [`Guest`].
#[derive(Debug, Clone)]
pub struct GuestOptions {
    /// Most requests in flight to the firewall at once.
    pub concurrency: usize,
    /// Most entries in one uid-message (pan-python chunks at 1,024; the management plane
    /// processes one message at a time, so fewer, larger messages are faster).
    pub uid_chunk: usize,
    /// Up to this many visits, mappings and sessions are read per IP; above it, one listing
    /// serves the whole batch.
    pub per_ip_reads: usize,
    /// The vsys mappings live in (multi-vsys firewalls); `None` accepts any.
    pub vsys: Option<String>,
    /// `host[:port]` for messages.
    pub host: String,
}

impl Default for GuestOptions {
    fn default() -> Self {
        GuestOptions {
            concurrency: 4,
            uid_chunk: 1000,
            per_ip_reads: 8,
            vsys: None,
            host: String::new(),
        }
    }
}

/// How to end visits.
#[derive(Debug, Clone, Default)]
pub struct EndOptions {
    /// Also terminate the visitor's sessions (needs the Operational Requests permission).
    pub clear_sessions: bool,
    /// Also remove this registered tag from the IP (dynamic address group membership).
    pub tag: Option<String>,
    /// Only report what would be done.
    pub dry_run: bool,
}

/// How to start visits.
#[derive(Debug, Clone, Default)]
pub struct StartOptions {
    /// Mapping timeout in minutes (`None`: the firewall's default; `Some(0)`: never).
    pub timeout_minutes: Option<u32>,
    /// Register this tag on the IP (for a dynamic address group), with the same timeout.
    pub tag: Option<String>,
    /// Only report what would be done.
    pub dry_run: bool,
}

/// A User-ID mapping as the firewall shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    /// The user.
    pub user: String,
    /// The vsys.
    pub vsys: String,
}

/// Ends and starts visits on one firewall.
pub struct Guest {
    client: PanosClient,
    opts: GuestOptions,
    permits: Arc<Semaphore>,
    requests: AtomicU64,
}

/// What one visit needs done.
struct Plan {
    index: usize,
    ip: IpAddr,
    /// The user to log out (from the mapping).
    logout: Option<String>,
    clear: bool,
}

impl Guest {
    /// A guest engine over `client`.
    pub fn new(client: PanosClient, mut opts: GuestOptions) -> Self {
        opts.concurrency = opts.concurrency.clamp(1, 64);
        opts.uid_chunk = opts.uid_chunk.clamp(1, 5000);
        if opts.host.is_empty() {
            opts.host = client.url().to_string();
        }
        Guest {
            permits: Arc::new(Semaphore::new(opts.concurrency)),
            client,
            opts,
            requests: AtomicU64::new(0),
        }
    }

    /// API requests sent so far.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// The options in force.
    pub fn options(&self) -> &GuestOptions {
        &self.opts
    }

    async fn op(&self, cmd: &str) -> Result<Response, Error> {
        let _permit =
            self.permits.acquire().await.map_err(|_| {
                Error::Device("the request limiter was closed (shutting down)".into())
            })?;
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.client
            .op(cmd)
            .await
            .map_err(|e| Error::classify(e, Some(&self.opts.host)))
    }

    /// Send a uid-message; per-entry refusals come back as (ip, message) pairs.
    async fn uid(&self, msg: &UidMessage) -> Result<Vec<(String, String)>, Error> {
        let _permit =
            self.permits.acquire().await.map_err(|_| {
                Error::Device("the request limiter was closed (shutting down)".into())
            })?;
        self.requests.fetch_add(1, Ordering::Relaxed);
        match self.client.user_id(msg).await {
            Ok(_) => Ok(Vec::new()),
            Err(panops_client::Error::Api(api)) if !api.entry_errors.is_empty() => Ok(api
                .entry_errors
                .iter()
                .filter(|e| !e.is_benign())
                .map(|e| {
                    let ip = e
                        .attrs
                        .iter()
                        .find(|(k, _)| k == "ip")
                        .map(|(_, v)| v.clone())
                        .unwrap_or_default();
                    (ip, e.message().unwrap_or("refused").to_string())
                })
                .collect()),
            Err(e) => Err(Error::classify(e, Some(&self.opts.host))),
        }
    }

    fn vsys_ok(&self, vsys: &str) -> bool {
        self.opts.vsys.as_ref().is_none_or(|v| v == vsys)
    }

    /// The mappings of `ips` (absent IPs have none): one query per IP for a few, one
    /// listing for many.
    pub async fn mappings(&self, ips: &[IpAddr]) -> Result<HashMap<IpAddr, Mapping>, Error> {
        let mut out = HashMap::new();
        if ips.is_empty() {
            return Ok(out);
        }
        let wanted: HashSet<IpAddr> = ips.iter().copied().collect();
        let responses = if ips.len() <= self.opts.per_ip_reads {
            let futs = ips.iter().map(|ip| async move {
                self.op(&format!(
                    "<show><user><ip-user-mapping><ip>{ip}</ip></ip-user-mapping></user></show>"
                ))
                .await
            });
            join_all(futs)
                .await
                .into_iter()
                .collect::<Result<Vec<_>, _>>()?
        } else {
            vec![
                self.op("<show><user><ip-user-mapping><all/></ip-user-mapping></user></show>")
                    .await?,
            ]
        };
        for r in &responses {
            let Some(result) = r.result() else { continue };
            for e in result.children_named("entry") {
                let (Some(ip), Some(user)) = (e.child_text("ip"), e.child_text("user")) else {
                    continue;
                };
                let Ok(ip) = ip.parse::<IpAddr>() else {
                    continue;
                };
                let vsys = e.child_text("vsys").unwrap_or_else(|| "vsys1".into());
                if wanted.contains(&ip) && self.vsys_ok(&vsys) {
                    out.insert(ip, Mapping { user, vsys });
                }
            }
        }
        Ok(out)
    }

    /// Active sessions from each of `ips`: a count query per IP for a few, a paged listing
    /// of the session table for many (when the table has fewer pages than there are IPs).
    pub async fn sessions(&self, ips: &[IpAddr]) -> Result<HashMap<IpAddr, usize>, Error> {
        let mut out: HashMap<IpAddr, usize> = ips.iter().map(|ip| (*ip, 0)).collect();
        if ips.is_empty() {
            return Ok(out);
        }
        // many visits: list the table, unless it is so large that its pages outnumber the
        // visits (a busy firewall holds 100,000s of sessions): then count per visit
        let per_ip = ips.len() <= self.opts.per_ip_reads || {
            let info = self.op("<show><session><info/></session></show>").await?;
            let active = info
                .result()
                .and_then(|r| r.child_text("num-active"))
                .and_then(|n| n.parse::<usize>().ok())
                .unwrap_or(usize::MAX);
            active.div_ceil(SESSION_PAGE) > ips.len()
        };
        if per_ip {
            let futs = ips.iter().map(|ip| async move {
                let r = self
                    .op(&format!("<show><session><all><filter><source>{ip}</source><count>yes</count></filter></all></session></show>"))
                    .await?;
                let n = r
                    .result()
                    .and_then(|res| res.child_text("member"))
                    .and_then(|m| m.parse::<usize>().ok())
                    .ok_or_else(|| {
                        Error::Device(format!(
                            "the session count for {ip} could not be read from the answer"
                        ))
                    })?;
                Ok::<_, Error>((*ip, n))
            });
            for r in join_all(futs).await {
                let (ip, n) = r?;
                out.insert(ip, n);
            }
            return Ok(out);
        }
        let mut start = 1usize;
        for _ in 0..MAX_SESSION_PAGES {
            let cmd = if start == 1 {
                "<show><session><all/></session></show>".to_string()
            } else {
                format!("<show><session><all><start-at>{start}</start-at></all></session></show>")
            };
            let r = self.op(&cmd).await?;
            let mut page = 0usize;
            if let Some(result) = r.result() {
                for e in result.children_named("entry") {
                    page += 1;
                    if let Some(ip) = e.child_text("source").and_then(|s| s.parse().ok())
                        && let Some(n) = out.get_mut(&ip)
                    {
                        *n += 1;
                    }
                }
            }
            if page < SESSION_PAGE {
                break;
            }
            start += page;
        }
        Ok(out)
    }

    /// End one visit (see [`Guest::end_many`]).
    pub async fn end(&self, visit: &Visit, opts: &EndOptions) -> VisitReport {
        self.end_many(std::slice::from_ref(visit), opts)
            .await
            .pop()
            .unwrap_or_else(|| VisitReport::new("end", visit.ip_text(), visit.user.clone()))
    }

    /// End visits: (1) read the mappings and sessions of their IPs, (2) log the mapped users
    /// out in as few uid-messages as the chunk size allows, (3) optionally clear sessions,
    /// (4) read back and verify, retrying once. A visit that is already over is a success
    /// with nothing done. One report per visit, in order.
    pub async fn end_many(&self, visits: &[Visit], opts: &EndOptions) -> Vec<VisitReport> {
        let mut reports: Vec<VisitReport> = visits
            .iter()
            .map(|v| VisitReport::new("end", v.ip_text(), v.user.clone()))
            .collect();
        let mut ips: Vec<IpAddr> = visits.iter().map(|v| v.ip).collect();
        ips.sort();
        ips.dedup();
        let (before_map, before_sess) = match self.read_state(&ips, true).await {
            Ok(s) => s,
            Err(e) => {
                fail_all(&mut reports, &e);
                return reports;
            }
        };
        let mut seen: HashMap<IpAddr, usize> = HashMap::new();
        let mut plans = Vec::new();
        for (i, v) in visits.iter().enumerate() {
            let r = &mut reports[i];
            let mapping = before_map.get(&v.ip);
            let sessions = before_sess.get(&v.ip).copied().unwrap_or(0);
            r.mapped_user = mapping.map(|m| m.user.clone());
            r.sessions_found = Some(sessions);
            if let Some(first) = seen.get(&v.ip) {
                r.outcome = Outcome::NothingToDo;
                r.message = format!(
                    "{} appears again (first at visit {}); handled there",
                    v.ip,
                    first + 1
                );
                continue;
            }
            seen.insert(v.ip, i);
            if let (Some(m), Some(u)) = (mapping, &v.user)
                && !m.user.eq_ignore_ascii_case(u)
            {
                r.fail(
                    ErrorKind::UserMismatch,
                    format!(
                        "{} is mapped to '{}', not '{u}' (the address may have been given to another visitor); nothing was changed",
                        v.ip, m.user
                    ),
                );
                continue;
            }
            let clear = opts.clear_sessions && sessions > 0;
            if mapping.is_none() && !clear && opts.tag.is_none() {
                r.outcome = Outcome::NothingToDo;
                r.verified = true;
                r.message = format!(
                    "nothing to do: {} has no User-ID mapping on the firewall{}, so the visit is already over (if it should have one: RADIUS accounting is not configured or IP tracking is incomplete); nothing was changed",
                    v.ip,
                    if sessions > 0 {
                        format!(" ({sessions} session(s) left; --clear-sessions ends them)")
                    } else {
                        String::new()
                    }
                );
                continue;
            }
            plans.push(Plan {
                index: i,
                ip: v.ip,
                logout: mapping.map(|m| m.user.clone()),
                clear,
            });
        }
        if opts.dry_run {
            for p in &plans {
                let r = &mut reports[p.index];
                if let Some(u) = &p.logout {
                    r.planned.push(format!("logout {u} from {}", p.ip));
                }
                if let Some(t) = &opts.tag {
                    r.planned.push(format!("unregister tag {t} from {}", p.ip));
                }
                if p.clear {
                    r.planned.push(format!(
                        "clear {} session(s) from {}",
                        r.sessions_found.unwrap_or(0),
                        p.ip
                    ));
                }
                r.outcome = Outcome::Planned;
                r.message = format!("dry run: would {}", r.planned.join(", then "));
            }
            return reports;
        }
        let mut pending: Vec<&Plan> = plans.iter().collect();
        for attempt in 0..2 {
            self.act_end(&pending, opts, attempt > 0, &mut reports)
                .await;
            pending.retain(|p| !reports[p.index].failed());
            let check: Vec<IpAddr> = pending.iter().map(|p| p.ip).collect();
            let (after_map, after_sess) = match self.read_state(&check, opts.clear_sessions).await {
                Ok(s) => s,
                Err(e) => {
                    for p in &pending {
                        reports[p.index].fail(e.kind(), format!("verification failed: {e}"));
                    }
                    return reports;
                }
            };
            let mut again = Vec::new();
            for p in pending {
                let r = &mut reports[p.index];
                let still_mapped = after_map.get(&p.ip).is_some_and(|m| {
                    p.logout
                        .as_ref()
                        .is_some_and(|u| m.user.eq_ignore_ascii_case(u))
                });
                let left = after_sess.get(&p.ip).copied().unwrap_or(0);
                let sessions_ok = !opts.clear_sessions || left == 0;
                if !still_mapped && sessions_ok {
                    r.verified = true;
                    r.outcome = Outcome::Ended;
                    r.message = ended_message(p, r);
                } else if attempt == 0 {
                    again.push(p);
                } else {
                    r.fail(
                        ErrorKind::Device,
                        if still_mapped {
                            format!(
                                "verification failed: {} is still mapped to {} after the logout",
                                p.ip,
                                p.logout.as_deref().unwrap_or("")
                            )
                        } else {
                            format!("verification failed: {left} session(s) from {} remain after clearing", p.ip)
                        },
                    );
                }
            }
            if again.is_empty() {
                break;
            }
            pending = again;
        }
        reports
    }

    async fn read_state(
        &self,
        ips: &[IpAddr],
        with_sessions: bool,
    ) -> Result<(HashMap<IpAddr, Mapping>, HashMap<IpAddr, usize>), Error> {
        if ips.is_empty() {
            return Ok((HashMap::new(), HashMap::new()));
        }
        if with_sessions {
            let (m, s) = futures::join!(self.mappings(ips), self.sessions(ips));
            Ok((m?, s?))
        } else {
            Ok((self.mappings(ips).await?, HashMap::new()))
        }
    }

    /// Logouts (chunked), then session clears (bounded concurrency); on a `retry` every
    /// visit's sessions are cleared, since new ones may have opened since the first read.
    async fn act_end(
        &self,
        plans: &[&Plan],
        opts: &EndOptions,
        retry: bool,
        reports: &mut [VisitReport],
    ) {
        let mut ops: Vec<(usize, UidOp)> = Vec::new();
        for p in plans {
            if let Some(u) = &p.logout {
                match UidOp::logout(u, &p.ip.to_string()) {
                    Ok(op) => ops.push((p.index, op)),
                    Err(e) => reports[p.index].fail(ErrorKind::Input, e.to_string()),
                }
            }
            if let Some(t) = &opts.tag {
                match UidOp::unregister_ip(&p.ip.to_string(), t) {
                    Ok(op) => ops.push((p.index, op)),
                    Err(e) => reports[p.index].fail(ErrorKind::Input, e.to_string()),
                }
            }
        }
        self.send_uid(&ops, reports).await;
        if opts.clear_sessions {
            let to_clear: Vec<&&Plan> = plans
                .iter()
                .filter(|p| (p.clear || retry) && !reports[p.index].failed())
                .collect();
            let futs = to_clear.iter().map(|p| async move {
                let r = self
                    .op(&format!("<clear><session><all><filter><source>{}</source></filter></all></session></clear>", p.ip))
                    .await;
                (p.index, r)
            });
            for (index, r) in join_all(futs).await {
                match r {
                    Ok(resp) => {
                        let n = resp
                            .result()
                            .and_then(|res| res.child_text("member"))
                            .and_then(|m| m.split_whitespace().next()?.parse::<usize>().ok())
                            .unwrap_or(0);
                        let rep = &mut reports[index];
                        rep.sessions_cleared = Some(rep.sessions_cleared.unwrap_or(0) + n);
                    }
                    Err(e) => {
                        reports[index].fail(e.kind(), format!("clearing sessions failed: {e}"))
                    }
                }
            }
        }
    }

    /// Send `ops` in uid-messages of at most `uid_chunk` entries; refusals fail their visit.
    async fn send_uid(&self, ops: &[(usize, UidOp)], reports: &mut [VisitReport]) {
        for chunk in ops.chunks(self.opts.uid_chunk) {
            let mut msg = UidMessage::new();
            for (_, op) in chunk {
                msg.push(op.clone());
            }
            match self.uid(&msg).await {
                Ok(refused) => {
                    let by_ip: HashMap<String, String> = refused
                        .into_iter()
                        .filter_map(|(ip, m)| Some((ip.parse::<IpAddr>().ok()?.to_string(), m)))
                        .collect();
                    for (index, _) in chunk {
                        let r = &mut reports[*index];
                        if r.failed() {
                            continue;
                        }
                        let ip_key = r.ip.clone();
                        match by_ip.get(&ip_key) {
                            Some(m) => r.fail(
                                ErrorKind::Device,
                                format!(
                                    "the firewall refused the User-ID update for {ip_key}: {m}"
                                ),
                            ),
                            None => r.uid_sent = true,
                        }
                    }
                }
                Err(e) => {
                    for (index, _) in chunk {
                        reports[*index].fail(e.kind(), e.to_string());
                    }
                }
            }
        }
    }

    /// Start one visit (see [`Guest::start_many`]).
    pub async fn start(&self, visit: &Visit, opts: &StartOptions) -> VisitReport {
        self.start_many(std::slice::from_ref(visit), opts)
            .await
            .pop()
            .unwrap_or_else(|| VisitReport::new("start", visit.ip_text(), visit.user.clone()))
    }

    /// Start visits: log each user in for its IP (with the timeout), register the tag when
    /// asked, in as few uid-messages as possible, then verify the mappings.
    pub async fn start_many(&self, visits: &[Visit], opts: &StartOptions) -> Vec<VisitReport> {
        let mut reports: Vec<VisitReport> = visits
            .iter()
            .map(|v| VisitReport::new("start", v.ip_text(), v.user.clone()))
            .collect();
        let mut ops = Vec::new();
        for (i, v) in visits.iter().enumerate() {
            let Some(user) = &v.user else {
                reports[i].fail(ErrorKind::Input, "starting a visit needs the user");
                continue;
            };
            let ip = v.ip.to_string();
            match UidOp::login(user, &ip, opts.timeout_minutes) {
                Ok(op) => ops.push((i, op)),
                Err(e) => {
                    reports[i].fail(ErrorKind::Input, e.to_string());
                    continue;
                }
            }
            if let Some(tag) = &opts.tag {
                let secs = opts.timeout_minutes.filter(|m| *m > 0).map(|m| {
                    m.saturating_mul(60)
                        .min(panops_panos::userid::MAX_TAG_TIMEOUT)
                });
                match UidOp::register_ip(&ip, tag, secs) {
                    Ok(op) => ops.push((i, op)),
                    Err(e) => reports[i].fail(ErrorKind::Input, e.to_string()),
                }
            }
            if opts.dry_run && !reports[i].failed() {
                let r = &mut reports[i];
                r.planned.push(format!(
                    "login {user} at {ip}{}",
                    match opts.timeout_minutes {
                        Some(0) => " without timeout".to_string(),
                        Some(m) => format!(" for {m} min"),
                        None => " with the firewall's default timeout".to_string(),
                    }
                ));
                if let Some(t) = &opts.tag {
                    r.planned.push(format!("register tag {t} on {ip}"));
                }
                r.outcome = Outcome::Planned;
                r.message = format!("dry run: would {}", r.planned.join(", then "));
            }
        }
        if opts.dry_run {
            return reports;
        }
        ops.retain(|(i, _)| !reports[*i].failed());
        self.send_uid(&ops, &mut reports).await;
        let check: Vec<IpAddr> = visits
            .iter()
            .enumerate()
            .filter(|(i, _)| reports[*i].uid_sent)
            .map(|(_, v)| v.ip)
            .collect();
        match self.mappings(&check).await {
            Ok(after) => {
                for (i, v) in visits.iter().enumerate() {
                    let r = &mut reports[i];
                    if !r.uid_sent {
                        continue;
                    }
                    let user = v.user.as_deref().unwrap_or("");
                    match after.get(&v.ip) {
                        Some(m) if m.user.eq_ignore_ascii_case(user) => {
                            r.verified = true;
                            r.mapped_user = Some(m.user.clone());
                            r.outcome = Outcome::Started;
                            r.message = format!("{} mapped to {user}; verified", v.ip);
                        }
                        other => r.fail(
                            ErrorKind::Device,
                            format!(
                                "verification failed: after the login {} is mapped to {}",
                                v.ip,
                                other.map(|m| m.user.as_str()).unwrap_or("nobody")
                            ),
                        ),
                    }
                }
            }
            Err(e) => {
                for r in reports.iter_mut().filter(|r| r.uid_sent) {
                    r.fail(e.kind(), format!("verification failed: {e}"));
                }
            }
        }
        reports
    }

    /// End a batch read by [`crate::visit::parse_batch`]: invalid lines fail alone, the
    /// others are ended together.
    pub async fn end_batch(&self, lines: Vec<BatchLine>, opts: &EndOptions) -> BatchReport {
        let before = self.requests();
        let mut visits = Vec::new();
        let mut slots = Vec::new();
        let mut out: Vec<Option<VisitReport>> = Vec::with_capacity(lines.len());
        for l in lines {
            match l.visit {
                Ok(v) => {
                    slots.push((out.len(), l.line));
                    visits.push(v);
                    out.push(None);
                }
                Err(e) => {
                    let mut r = VisitReport::new("end", String::new(), None);
                    r.line = Some(l.line);
                    r.fail(ErrorKind::Input, format!("line {}: {e}", l.line));
                    out.push(Some(r));
                }
            }
        }
        let reports = self.end_many(&visits, opts).await;
        for ((slot, line), mut r) in slots.into_iter().zip(reports) {
            r.line = Some(line);
            out[slot] = Some(r);
        }
        BatchReport {
            visits: out.into_iter().flatten().collect(),
            requests: self.requests() - before,
        }
    }
}

fn ended_message(p: &Plan, r: &VisitReport) -> String {
    let mut parts = Vec::new();
    match &p.logout {
        Some(u) => parts.push(format!("logged {u} out of {}", p.ip)),
        None => parts.push(format!("{} had no mapping", p.ip)),
    }
    if let Some(n) = r.sessions_cleared {
        parts.push(format!("cleared {n} session(s)"));
    }
    parts.push("verified".into());
    parts.join("; ")
}

fn fail_all(reports: &mut [VisitReport], e: &Error) {
    for r in reports {
        r.fail(e.kind(), e.to_string());
    }
}
