//! A RADIUS accounting listener (RFC 2866): controllers' Accounting-Request `Start`,
//! `Interim-Update` and `Stop` become User-ID logins, mapping refreshes and full visit ends.
//!
//! Packets are decoded and authenticated with the `radius` crate; a packet that is short,
//! lies about its length, is not an Accounting-Request or fails the authenticator check is
//! dropped and counted, never acted on. The Accounting-Response goes out only after the
//! action was done (or durably queued during a firewall outage), so a controller that gets
//! no answer retransmits. Retransmissions (same peer, identifier and authenticator) are
//! answered from a cache without acting twice. Requests arriving together are coalesced into
//! one batch (one uid-message for many visits). While the firewall is unreachable the work
//! goes to a bounded queue persisted in a file and is drained, in order, on recovery.

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use radius::core::code::Code;
use radius::core::packet::Packet;
use radius::core::{rfc2865, rfc2866, rfc6911};
use serde::{Deserialize, Serialize};
use tokio::net::UdpSocket;
use tokio::sync::{Mutex, mpsc};

use crate::engine::{EndOptions, Guest, StartOptions};
use crate::error::{Error, ErrorKind};
use crate::report::VisitReport;
use crate::visit::Visit;

/// Largest RADIUS packet (RFC 2865 §3).
const MAX_PACKET: usize = 4096;

/// How long an answered request is remembered for retransmissions.
const DEDUP_WINDOW: Duration = Duration::from_secs(60);

/// Listener settings.
#[derive(Clone)]
pub struct RadiusConfig {
    /// The shared secret (never logged).
    pub secret: Vec<u8>,
    /// Map `Start` to a User-ID login (off: Start is answered and ignored).
    pub start_visits: bool,
    /// How visits end on `Stop`.
    pub end: EndOptions,
    /// How visits start on `Start` / refresh on `Interim-Update`.
    pub start: StartOptions,
    /// How long to gather requests into one batch.
    pub batch_window: Duration,
    /// Most visits in one batch.
    pub max_batch: usize,
    /// File the outage queue is kept in (`None`: memory only).
    pub queue_file: Option<PathBuf>,
    /// Most queued visits; beyond, requests are not answered (the controller retries).
    pub queue_limit: usize,
    /// Pause between attempts to drain the queue.
    pub retry_interval: Duration,
}

impl std::fmt::Debug for RadiusConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RadiusConfig")
            .field("secret", &"<redacted>")
            .field("start_visits", &self.start_visits)
            .field("end", &self.end)
            .field("batch_window", &self.batch_window)
            .field("max_batch", &self.max_batch)
            .field("queue_file", &self.queue_file)
            .field("queue_limit", &self.queue_limit)
            .finish()
    }
}

impl RadiusConfig {
    /// Defaults with `secret`: starts mapped, 50 ms batches of up to 1,000, queue of 100,000.
    pub fn new(secret: Vec<u8>) -> Self {
        RadiusConfig {
            secret,
            start_visits: true,
            end: EndOptions::default(),
            start: StartOptions::default(),
            batch_window: Duration::from_millis(50),
            max_batch: 1000,
            queue_file: None,
            queue_limit: 100_000,
            retry_interval: Duration::from_secs(5),
        }
    }
}

/// Read a shared secret file: its content without the trailing newline; empty is an error.
pub fn read_secret_file(path: &std::path::Path) -> Result<Vec<u8>, Error> {
    let bytes = std::fs::read(path).map_err(|e| Error::Config {
        field: "--secret-file".into(),
        reason: format!("cannot read {}: {e}", path.display()),
    })?;
    let mut s = bytes.as_slice();
    while let Some((last, rest)) = s.split_last() {
        if *last == b'\n' || *last == b'\r' {
            s = rest;
        } else {
            break;
        }
    }
    if s.is_empty() {
        return Err(Error::Config {
            field: "--secret-file".into(),
            reason: format!("{} is empty", path.display()),
        });
    }
    Ok(s.to_vec())
}

/// What the listener has seen, for monitoring and tests.
#[derive(Debug, Default)]
pub struct Counters {
    /// Datagrams received.
    pub received: AtomicU64,
    /// Dropped: truncated, lying about their length, or undecodable.
    pub malformed: AtomicU64,
    /// Dropped: not an Accounting-Request.
    pub unsupported: AtomicU64,
    /// Dropped: the authenticator does not match the shared secret.
    pub bad_authenticator: AtomicU64,
    /// Dropped: no usable Framed-IP-Address / Framed-IPv6-Address or User-Name.
    pub unusable: AtomicU64,
    /// Retransmissions recognised (answered from cache or still in progress).
    pub duplicates: AtomicU64,
    /// Accounting Start requests acted on.
    pub starts: AtomicU64,
    /// Accounting Stop requests acted on.
    pub stops: AtomicU64,
    /// Interim-Update requests acted on.
    pub interims: AtomicU64,
    /// Accounting-Responses sent.
    pub responses: AtomicU64,
    /// Visits put in the outage queue.
    pub queued: AtomicU64,
    /// Visits whose action failed for good (answered; see the log).
    pub failed: AtomicU64,
    /// Batches sent to the firewall.
    pub batches: AtomicU64,
}

/// A snapshot of [`Counters`].
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct CounterSnapshot {
    /// See [`Counters::received`].
    pub received: u64,
    /// See [`Counters::malformed`].
    pub malformed: u64,
    /// See [`Counters::unsupported`].
    pub unsupported: u64,
    /// See [`Counters::bad_authenticator`].
    pub bad_authenticator: u64,
    /// See [`Counters::unusable`].
    pub unusable: u64,
    /// See [`Counters::duplicates`].
    pub duplicates: u64,
    /// See [`Counters::starts`].
    pub starts: u64,
    /// See [`Counters::stops`].
    pub stops: u64,
    /// See [`Counters::interims`].
    pub interims: u64,
    /// See [`Counters::responses`].
    pub responses: u64,
    /// See [`Counters::queued`].
    pub queued: u64,
    /// See [`Counters::failed`].
    pub failed: u64,
    /// See [`Counters::batches`].
    pub batches: u64,
    /// Visits waiting in the outage queue now.
    pub queue_len: u64,
}

impl Counters {
    fn bump(c: &AtomicU64) {
        c.fetch_add(1, Ordering::Relaxed);
    }
}

/// What a request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Log the user in (Start, Interim-Update).
    Start,
    /// End the visit (Stop).
    End,
}

/// One queued unit of work (also the line format of the queue file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Work {
    /// Start or end.
    pub action: Action,
    /// Visitor IP.
    pub ip: IpAddr,
    /// User-Name.
    pub user: Option<String>,
}

/// A decoded, authenticated accounting request: what to do, or just answer.
#[derive(Debug, PartialEq, Eq)]
pub enum Decoded {
    /// Act, then answer. The Acct-Session-Id, when present, recognises a duplicate sent
    /// with a new identifier (a controller re-sending with an updated Acct-Delay-Time).
    Act(Work, AcctKind, Option<String>),
    /// Answer without acting (Accounting-On/Off, Start with starts disabled).
    AnswerOnly,
}

/// The Acct-Status-Type of a request acted on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AcctKind {
    /// Start (1).
    Start,
    /// Stop (2).
    Stop,
    /// Interim-Update (3).
    Interim,
}

/// Why a datagram was dropped.
#[derive(Debug, PartialEq, Eq)]
pub enum Drop {
    /// Truncated, bad length, undecodable attributes.
    Malformed(String),
    /// Not an Accounting-Request.
    Unsupported(u8),
    /// Authenticator mismatch (wrong secret or tampering).
    BadAuthenticator,
    /// Missing or invalid IP / user.
    Unusable(String),
}

/// Decode and authenticate one datagram (sans-IO).
pub fn decode(bytes: &[u8], secret: &[u8], start_visits: bool) -> Result<(Packet, Decoded), Drop> {
    if bytes.len() < 20 {
        return Err(Drop::Malformed(format!(
            "{} bytes, less than a header",
            bytes.len()
        )));
    }
    let declared = u16::from_be_bytes([bytes[2], bytes[3]]) as usize;
    if !(20..=MAX_PACKET).contains(&declared) || declared > bytes.len() {
        return Err(Drop::Malformed(format!(
            "length field says {declared} bytes, datagram has {}",
            bytes.len()
        )));
    }
    // octets past the declared length are padding (RFC 2865 §3) and not authenticated
    let bytes = &bytes[..declared];
    if bytes[0] != 4 {
        return Err(Drop::Unsupported(bytes[0]));
    }
    let packet = Packet::decode(bytes, secret).map_err(|e| Drop::Malformed(e.to_string()))?;
    if packet.get_code() != Code::AccountingRequest {
        return Err(Drop::Unsupported(bytes[0]));
    }
    if !Packet::is_authentic_request(bytes, secret) {
        return Err(Drop::BadAuthenticator);
    }
    let status = match rfc2866::lookup_acct_status_type(&packet) {
        Some(Ok(s)) => s,
        Some(Err(e)) => return Err(Drop::Malformed(format!("Acct-Status-Type: {e}"))),
        None => return Err(Drop::Unusable("no Acct-Status-Type".into())),
    };
    let kind = match status {
        rfc2866::ACCT_STATUS_TYPE_START => AcctKind::Start,
        rfc2866::ACCT_STATUS_TYPE_STOP => AcctKind::Stop,
        rfc2866::ACCT_STATUS_TYPE_INTERIM_UPDATE => AcctKind::Interim,
        // Accounting-On / Off and others: acknowledged, nothing to map
        _ => return Ok((packet, Decoded::AnswerOnly)),
    };
    if kind != AcctKind::Stop && !start_visits {
        return Ok((packet, Decoded::AnswerOnly));
    }
    let ip: IpAddr = match rfc2865::lookup_framed_ip_address(&packet) {
        Some(Ok(v4)) => IpAddr::V4(v4),
        Some(Err(e)) => return Err(Drop::Unusable(format!("Framed-IP-Address: {e}"))),
        None => match rfc6911::lookup_framed_ipv6_address(&packet) {
            Some(Ok(v6)) => IpAddr::V6(v6),
            _ => return Err(Drop::Unusable("no Framed-IP-Address".into())),
        },
    };
    let user = match rfc2865::lookup_user_name(&packet) {
        Some(Ok(u)) => Some(u),
        Some(Err(e)) => return Err(Drop::Unusable(format!("User-Name: {e}"))),
        None => None,
    };
    let visit =
        Visit::new(&ip.to_string(), user.as_deref()).map_err(|e| Drop::Unusable(e.to_string()))?;
    if kind != AcctKind::Stop && visit.user.is_none() {
        return Err(Drop::Unusable("a Start needs User-Name".into()));
    }
    let session = match rfc2866::lookup_acct_session_id(&packet) {
        Some(Ok(id)) if !id.is_empty() => Some(id),
        _ => None,
    };
    let action = if kind == AcctKind::Stop {
        Action::End
    } else {
        Action::Start
    };
    Ok((
        packet,
        Decoded::Act(
            Work {
                action,
                ip: visit.ip,
                user: visit.user,
            },
            kind,
            session,
        ),
    ))
}

/// The Accounting-Response for `request`.
pub fn response_for(request: &Packet) -> Option<Vec<u8>> {
    request
        .make_response_packet(Code::AccountingResponse)
        .encode()
        .ok()
}

/// What identifies a request already handled: the packet itself (a retransmission), or its
/// accounting session and status (a duplicate re-sent as a new packet).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum DedupKey {
    Packet(SocketAddr, u8, Vec<u8>),
    Session(String, u8, IpAddr),
}

enum Seen {
    Pending(Instant),
    Answered(Instant, Vec<u8>),
}

struct Job {
    key: DedupKey,
    session_key: Option<DedupKey>,
    peer: SocketAddr,
    response: Vec<u8>,
    work: Work,
}

/// The outage queue: in memory, mirrored to a file.
struct Queue {
    items: VecDeque<Work>,
    file: Option<PathBuf>,
    limit: usize,
}

impl Queue {
    fn load(file: Option<PathBuf>, limit: usize) -> Result<Self, Error> {
        let mut items = VecDeque::new();
        if let Some(path) = &file
            && path.exists()
        {
            let text = std::fs::read_to_string(path).map_err(|e| Error::Config {
                field: "--queue-file".into(),
                reason: format!("cannot read {}: {e}", path.display()),
            })?;
            for (i, line) in text.lines().enumerate() {
                if line.trim().is_empty() {
                    continue;
                }
                let w: Work = serde_json::from_str(line).map_err(|e| Error::Config {
                    field: "--queue-file".into(),
                    reason: format!("{} line {}: {e}", path.display(), i + 1),
                })?;
                items.push_back(w);
            }
        }
        Ok(Queue { items, file, limit })
    }

    /// Write the queue to its file (temporary file, then rename: never half-written).
    fn persist(&self) -> Result<(), Error> {
        let Some(path) = &self.file else {
            return Ok(());
        };
        let mut text = String::new();
        for w in &self.items {
            text.push_str(&serde_json::to_string(w).unwrap_or_default());
            text.push('\n');
        }
        let tmp = path.with_extension("tmp");
        let io = |e: std::io::Error| {
            Error::Device(format!(
                "cannot write the queue file {}: {e}",
                path.display()
            ))
        };
        {
            use std::io::Write;
            let mut f = std::fs::File::create(&tmp).map_err(io)?;
            f.write_all(text.as_bytes()).map_err(io)?;
            f.sync_all().map_err(io)?;
        }
        std::fs::rename(&tmp, path).map_err(io)
    }
}

/// A bound listener.
pub struct RadiusListener {
    socket: Arc<UdpSocket>,
    config: RadiusConfig,
    counters: Arc<Counters>,
    queue: Arc<Mutex<Queue>>,
}

fn is_outage(kind: Option<ErrorKind>) -> bool {
    matches!(kind, Some(ErrorKind::Unreachable | ErrorKind::Timeout))
}

impl RadiusListener {
    /// Bind `addr` and load the outage queue file, if any.
    pub async fn bind(addr: &str, config: RadiusConfig) -> Result<Self, Error> {
        if config.secret.is_empty() {
            return Err(Error::Config {
                field: "secret".into(),
                reason: "the shared secret is empty".into(),
            });
        }
        let socket = UdpSocket::bind(addr).await.map_err(|e| Error::Config {
            field: "--listen".into(),
            reason: format!("cannot listen on {addr}: {e}"),
        })?;
        let queue = Queue::load(config.queue_file.clone(), config.queue_limit)?;
        Ok(RadiusListener {
            socket: Arc::new(socket),
            counters: Arc::new(Counters::default()),
            queue: Arc::new(Mutex::new(queue)),
            config,
        })
    }

    /// The bound address.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.socket.local_addr().ok()
    }

    /// Live counters.
    pub fn counters(&self) -> Arc<Counters> {
        self.counters.clone()
    }

    /// A snapshot of the counters and the queue length.
    pub async fn snapshot(counters: &Counters, queue_len: u64) -> CounterSnapshot {
        let g = |c: &AtomicU64| c.load(Ordering::Relaxed);
        CounterSnapshot {
            received: g(&counters.received),
            malformed: g(&counters.malformed),
            unsupported: g(&counters.unsupported),
            bad_authenticator: g(&counters.bad_authenticator),
            unusable: g(&counters.unusable),
            duplicates: g(&counters.duplicates),
            starts: g(&counters.starts),
            stops: g(&counters.stops),
            interims: g(&counters.interims),
            responses: g(&counters.responses),
            queued: g(&counters.queued),
            failed: g(&counters.failed),
            batches: g(&counters.batches),
            queue_len,
        }
    }

    /// A handle that reports the counters while the listener runs.
    pub fn stats(&self) -> Stats {
        Stats {
            counters: self.counters.clone(),
            queue: self.queue.clone(),
        }
    }

    /// Serve until `shutdown` completes; then the queue is persisted and the counters returned.
    pub async fn run(
        self,
        guest: Arc<Guest>,
        shutdown: impl std::future::Future<Output = ()>,
    ) -> Result<CounterSnapshot, Error> {
        let (tx, rx) = mpsc::channel::<Job>(self.config.max_batch.max(1) * 4);
        let seen: Arc<std::sync::Mutex<HashMap<DedupKey, Seen>>> = Arc::default();
        let worker = tokio::spawn(worker(
            rx,
            guest,
            self.socket.clone(),
            self.config.clone(),
            self.counters.clone(),
            self.queue.clone(),
            seen.clone(),
        ));
        tokio::pin!(shutdown);
        let mut buf = vec![0u8; MAX_PACKET + 1];
        loop {
            tokio::select! {
                _ = &mut shutdown => break,
                r = self.socket.recv_from(&mut buf) => {
                    let Ok((n, peer)) = r else { continue };
                    self.handle(&buf[..n], peer, &tx, &seen).await;
                }
            }
        }
        drop(tx);
        let _ = worker.await;
        let q = self.queue.lock().await;
        q.persist()?;
        Ok(Self::snapshot(&self.counters, q.items.len() as u64).await)
    }

    async fn handle(
        &self,
        bytes: &[u8],
        peer: SocketAddr,
        tx: &mpsc::Sender<Job>,
        seen: &std::sync::Mutex<HashMap<DedupKey, Seen>>,
    ) {
        let c = &self.counters;
        Counters::bump(&c.received);
        let (packet, decoded) = match decode(bytes, &self.config.secret, self.config.start_visits) {
            Ok(d) => d,
            Err(drop) => {
                match &drop {
                    Drop::Malformed(_) => Counters::bump(&c.malformed),
                    Drop::Unsupported(_) => Counters::bump(&c.unsupported),
                    Drop::BadAuthenticator => Counters::bump(&c.bad_authenticator),
                    Drop::Unusable(_) => Counters::bump(&c.unusable),
                }
                tracing::debug!(%peer, ?drop, "RADIUS datagram dropped");
                return;
            }
        };
        let key = DedupKey::Packet(
            peer,
            packet.get_identifier(),
            packet.get_authenticator().clone(),
        );
        // decide under the lock, act after it (the guard must not live across an await)
        let cached: Option<Option<Vec<u8>>> = {
            let mut s = seen.lock().unwrap_or_else(|p| p.into_inner());
            let now = Instant::now();
            if s.len() > 10_000 {
                s.retain(|_, v| match v {
                    Seen::Pending(t) | Seen::Answered(t, _) => {
                        now.duration_since(*t) < DEDUP_WINDOW
                    }
                });
            }
            match s.get(&key) {
                Some(Seen::Answered(t, resp)) if now.duration_since(*t) < DEDUP_WINDOW => {
                    Some(Some(resp.clone()))
                }
                // the answer goes out when the action is done
                Some(Seen::Pending(t)) if now.duration_since(*t) < DEDUP_WINDOW => Some(None),
                _ => {
                    s.insert(key.clone(), Seen::Pending(now));
                    None
                }
            }
        };
        if let Some(resp) = cached {
            Counters::bump(&c.duplicates);
            if let Some(resp) = resp
                && self.socket.send_to(&resp, peer).await.is_ok()
            {
                Counters::bump(&c.responses);
            }
            return;
        }
        let Some(response) = response_for(&packet) else {
            Counters::bump(&c.malformed);
            return;
        };
        match decoded {
            Decoded::AnswerOnly => {
                answer(&self.socket, &key, None, peer, &response, c, seen).await;
            }
            Decoded::Act(work, kind, session) => {
                // Interim-Updates of one session repeat by design (and a refresh is
                // idempotent), so only Start and Stop are recognised by session
                let session_key = session
                    .filter(|_| kind != AcctKind::Interim)
                    .map(|id| DedupKey::Session(id, kind as u8, work.ip));
                if let Some(sk) = &session_key {
                    let state = {
                        let mut s = seen.lock().unwrap_or_else(|p| p.into_inner());
                        let now = Instant::now();
                        match s.get(sk) {
                            Some(Seen::Answered(t, _)) if now.duration_since(*t) < DEDUP_WINDOW => {
                                Some(true)
                            }
                            Some(Seen::Pending(t)) if now.duration_since(*t) < DEDUP_WINDOW => {
                                // not answered yet: let this packet's next retransmission ask again
                                s.remove(&key);
                                Some(false)
                            }
                            _ => {
                                s.insert(sk.clone(), Seen::Pending(now));
                                None
                            }
                        }
                    };
                    if let Some(done) = state {
                        Counters::bump(&c.duplicates);
                        if done {
                            answer(&self.socket, &key, None, peer, &response, c, seen).await;
                        }
                        return;
                    }
                }
                Counters::bump(match kind {
                    AcctKind::Start => &c.starts,
                    AcctKind::Stop => &c.stops,
                    AcctKind::Interim => &c.interims,
                });
                if tx
                    .send(Job {
                        key,
                        session_key,
                        peer,
                        response,
                        work,
                    })
                    .await
                    .is_err()
                {
                    tracing::warn!("RADIUS worker stopped; request not answered");
                }
            }
        }
    }
}

/// Counters of a running listener.
#[derive(Clone)]
pub struct Stats {
    counters: Arc<Counters>,
    queue: Arc<Mutex<Queue>>,
}

impl Stats {
    /// A snapshot now.
    pub async fn snapshot(&self) -> CounterSnapshot {
        let n = self.queue.lock().await.items.len() as u64;
        RadiusListener::snapshot(&self.counters, n).await
    }
}

async fn answer(
    socket: &UdpSocket,
    key: &DedupKey,
    session_key: Option<&DedupKey>,
    peer: SocketAddr,
    response: &[u8],
    c: &Counters,
    seen: &std::sync::Mutex<HashMap<DedupKey, Seen>>,
) {
    if socket.send_to(response, peer).await.is_ok() {
        Counters::bump(&c.responses);
    }
    let mut s = seen.lock().unwrap_or_else(|p| p.into_inner());
    let now = Instant::now();
    s.insert(key.clone(), Seen::Answered(now, response.to_vec()));
    if let Some(sk) = session_key {
        s.insert(sk.clone(), Seen::Answered(now, Vec::new()));
    }
}

/// Gathers jobs into batches, acts, answers; drains the outage queue first.
async fn worker(
    mut rx: mpsc::Receiver<Job>,
    guest: Arc<Guest>,
    socket: Arc<UdpSocket>,
    cfg: RadiusConfig,
    c: Arc<Counters>,
    queue: Arc<Mutex<Queue>>,
    seen: Arc<std::sync::Mutex<HashMap<DedupKey, Seen>>>,
) {
    let mut last_drain = Instant::now() - cfg.retry_interval;
    loop {
        // wait for work, or for the next drain attempt when the queue holds some
        let queued = !queue.lock().await.items.is_empty();
        let first = if queued {
            match tokio::time::timeout(cfg.retry_interval, rx.recv()).await {
                Ok(Some(j)) => Some(j),
                Ok(None) => {
                    drain(&guest, &cfg, &c, &queue).await;
                    return;
                }
                Err(_) => None,
            }
        } else {
            match rx.recv().await {
                Some(j) => Some(j),
                None => return,
            }
        };
        let mut jobs: Vec<Job> = first.into_iter().collect();
        if !jobs.is_empty() {
            let deadline = tokio::time::Instant::now() + cfg.batch_window;
            while jobs.len() < cfg.max_batch {
                match tokio::time::timeout_at(deadline, rx.recv()).await {
                    Ok(Some(j)) => jobs.push(j),
                    _ => break,
                }
            }
        }
        if !queue.lock().await.items.is_empty() && last_drain.elapsed() >= cfg.retry_interval {
            last_drain = Instant::now();
            drain(&guest, &cfg, &c, &queue).await;
        }
        if jobs.is_empty() {
            continue;
        }
        // behind a non-empty queue new work waits its turn, so a Stop never overtakes a Start
        if !queue.lock().await.items.is_empty() {
            enqueue_and_answer(jobs, &socket, &c, &queue, &seen).await;
            continue;
        }
        let works: Vec<Work> = jobs.iter().map(|j| j.work.clone()).collect();
        let results = execute(&guest, &cfg, &works, &c).await;
        let mut outage = Vec::new();
        for (job, r) in jobs.into_iter().zip(results) {
            if is_outage(r.error) {
                outage.push(job);
                continue;
            }
            if r.failed() {
                Counters::bump(&c.failed);
                tracing::warn!(ip = %r.ip, action = r.action, message = %r.message, "RADIUS-driven action failed");
            }
            answer(
                &socket,
                &job.key,
                job.session_key.as_ref(),
                job.peer,
                &job.response,
                &c,
                &seen,
            )
            .await;
        }
        if !outage.is_empty() {
            tracing::warn!(visits = outage.len(), "firewall unreachable; queueing");
            enqueue_and_answer(outage, &socket, &c, &queue, &seen).await;
        }
    }
}

/// Queue jobs durably, then answer them; when the queue is full they stay unanswered.
async fn enqueue_and_answer(
    jobs: Vec<Job>,
    socket: &UdpSocket,
    c: &Counters,
    queue: &Mutex<Queue>,
    seen: &std::sync::Mutex<HashMap<DedupKey, Seen>>,
) {
    let mut q = queue.lock().await;
    let room = q.limit.saturating_sub(q.items.len());
    let (take, refuse) = jobs.split_at(room.min(jobs.len()));
    for j in take {
        q.items.push_back(j.work.clone());
    }
    if let Err(e) = q.persist() {
        tracing::error!(error = %e, "outage queue not persisted; not answering");
        for _ in take {
            q.items.pop_back();
        }
        forget(take, seen);
        forget(refuse, seen);
        return;
    }
    drop(q);
    for j in take {
        Counters::bump(&c.queued);
        answer(
            socket,
            &j.key,
            j.session_key.as_ref(),
            j.peer,
            &j.response,
            c,
            seen,
        )
        .await;
    }
    if !refuse.is_empty() {
        tracing::warn!(
            visits = refuse.len(),
            "outage queue full; not answering (controllers will retransmit)"
        );
        forget(refuse, seen);
    }
}

/// Let a retransmission of these be handled afresh.
fn forget(jobs: &[Job], seen: &std::sync::Mutex<HashMap<DedupKey, Seen>>) {
    let mut s = seen.lock().unwrap_or_else(|p| p.into_inner());
    for j in jobs {
        s.remove(&j.key);
        if let Some(sk) = &j.session_key {
            s.remove(sk);
        }
    }
}

/// Try the queued work in order; what succeeds (or fails for good) leaves the queue.
async fn drain(guest: &Guest, cfg: &RadiusConfig, c: &Counters, queue: &Mutex<Queue>) {
    let batch: Vec<Work> = {
        let q = queue.lock().await;
        q.items.iter().take(cfg.max_batch).cloned().collect()
    };
    if batch.is_empty() {
        return;
    }
    let results = execute(guest, cfg, &batch, c).await;
    let done = results.iter().take_while(|r| !is_outage(r.error)).count();
    for r in results.iter().take(done).filter(|r| r.failed()) {
        Counters::bump(&c.failed);
        tracing::warn!(ip = %r.ip, message = %r.message, "queued action failed");
    }
    let mut q = queue.lock().await;
    for _ in 0..done {
        q.items.pop_front();
    }
    if done > 0 {
        tracing::info!(done, left = q.items.len(), "outage queue drained");
        if let Err(e) = q.persist() {
            tracing::error!(error = %e, "outage queue not persisted");
        }
    }
}

/// Run works in order, as batches in which each IP appears once (so a Start and a Stop of
/// the same IP keep their order).
async fn execute(
    guest: &Guest,
    cfg: &RadiusConfig,
    works: &[Work],
    c: &Counters,
) -> Vec<VisitReport> {
    let mut out: Vec<Option<VisitReport>> = vec![None; works.len()];
    let mut i = 0;
    while i < works.len() {
        let mut ips = HashSet::new();
        let mut run = Vec::new();
        while i < works.len() && ips.insert(works[i].ip) {
            run.push(i);
            i += 1;
        }
        let (ends, starts): (Vec<usize>, Vec<usize>) =
            run.iter().partition(|k| works[**k].action == Action::End);
        let visit = |k: &usize| Visit {
            ip: works[*k].ip,
            user: works[*k].user.clone(),
        };
        if !ends.is_empty() {
            Counters::bump(&c.batches);
            let v: Vec<Visit> = ends.iter().map(visit).collect();
            for (k, r) in ends.iter().zip(guest.end_many(&v, &cfg.end).await) {
                out[*k] = Some(r);
            }
        }
        if !starts.is_empty() {
            Counters::bump(&c.batches);
            let v: Vec<Visit> = starts.iter().map(visit).collect();
            for (k, r) in starts.iter().zip(guest.start_many(&v, &cfg.start).await) {
                out[*k] = Some(r);
            }
        }
    }
    out.into_iter()
        .zip(works)
        .map(|(r, w)| {
            r.unwrap_or_else(|| VisitReport::new("radius", w.ip.to_string(), w.user.clone()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn request(secret: &[u8], status: u32, ip: Option<Ipv4Addr>, user: Option<&str>) -> Vec<u8> {
        let mut p = Packet::new(Code::AccountingRequest, secret);
        rfc2866::add_acct_status_type(&mut p, status);
        if let Some(ip) = ip {
            rfc2865::add_framed_ip_address(&mut p, &ip);
        }
        if let Some(u) = user {
            rfc2865::add_user_name(&mut p, u);
        }
        rfc2866::add_acct_session_id(&mut p, "s-1");
        p.encode().unwrap()
    }

    #[test]
    fn stop_and_start_decode_to_work() {
        let ip = Ipv4Addr::new(10, 1, 2, 3);
        let b = request(
            b"s3cret",
            rfc2866::ACCT_STATUS_TYPE_STOP,
            Some(ip),
            Some("g1"),
        );
        let (_, d) = decode(&b, b"s3cret", true).unwrap();
        assert_eq!(
            d,
            Decoded::Act(
                Work {
                    action: Action::End,
                    ip: IpAddr::V4(ip),
                    user: Some("g1".into())
                },
                AcctKind::Stop,
                Some("s-1".into())
            )
        );
        let b = request(
            b"s3cret",
            rfc2866::ACCT_STATUS_TYPE_START,
            Some(ip),
            Some("g1"),
        );
        assert!(matches!(
            decode(&b, b"s3cret", true).unwrap().1,
            Decoded::Act(
                Work {
                    action: Action::Start,
                    ..
                },
                AcctKind::Start,
                _
            )
        ));
        assert_eq!(decode(&b, b"s3cret", false).unwrap().1, Decoded::AnswerOnly);
        // Interim-Update refreshes the mapping (a login again, renewing the timeout)
        let b = request(
            b"s3cret",
            rfc2866::ACCT_STATUS_TYPE_INTERIM_UPDATE,
            Some(ip),
            Some("g1"),
        );
        assert!(matches!(
            decode(&b, b"s3cret", true).unwrap().1,
            Decoded::Act(
                Work {
                    action: Action::Start,
                    ..
                },
                AcctKind::Interim,
                _
            )
        ));
        let on = request(
            b"s3cret",
            rfc2866::ACCT_STATUS_TYPE_ACCOUNTING_ON,
            None,
            None,
        );
        assert_eq!(decode(&on, b"s3cret", true).unwrap().1, Decoded::AnswerOnly);
    }

    #[test]
    fn bad_packets_are_dropped_with_a_reason() {
        let ip = Ipv4Addr::new(10, 1, 2, 3);
        let good = request(
            b"s3cret",
            rfc2866::ACCT_STATUS_TYPE_STOP,
            Some(ip),
            Some("g1"),
        );
        assert_eq!(
            decode(&good, b"wrong", true).unwrap_err(),
            Drop::BadAuthenticator
        );
        // truncated, and a length field that lies in both directions
        assert!(matches!(
            decode(&good[..10], b"s3cret", true),
            Err(Drop::Malformed(_))
        ));
        assert!(matches!(
            decode(&good[..good.len() - 3], b"s3cret", true),
            Err(Drop::Malformed(_))
        ));
        let mut long = good.clone();
        long[2] = 0xff;
        assert!(matches!(
            decode(&long, b"s3cret", true),
            Err(Drop::Malformed(_))
        ));
        let mut short = good.clone();
        short[3] = 10;
        short[2] = 0;
        assert!(matches!(
            decode(&short, b"s3cret", true),
            Err(Drop::Malformed(_))
        ));
        // padding past the declared length is ignored
        let mut padded = good.clone();
        padded.extend_from_slice(&[0, 0, 0]);
        assert!(decode(&padded, b"s3cret", true).is_ok());
        // a tampered attribute fails the authenticator
        let mut tampered = good.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        assert!(decode(&tampered, b"s3cret", true).is_err());
        // an Access-Request is not ours
        let mut access = good.clone();
        access[0] = 1;
        assert_eq!(
            decode(&access, b"s3cret", true).unwrap_err(),
            Drop::Unsupported(1)
        );
        // a Stop without an IP cannot be acted on
        let no_ip = request(b"s3cret", rfc2866::ACCT_STATUS_TYPE_STOP, None, Some("g1"));
        assert!(matches!(
            decode(&no_ip, b"s3cret", true),
            Err(Drop::Unusable(_))
        ));
        let no_user = request(b"s3cret", rfc2866::ACCT_STATUS_TYPE_START, Some(ip), None);
        assert!(matches!(
            decode(&no_user, b"s3cret", true),
            Err(Drop::Unusable(_))
        ));
    }

    #[test]
    fn response_authenticator_matches_the_request() {
        let ip = Ipv4Addr::new(10, 1, 2, 3);
        let b = request(
            b"s3cret",
            rfc2866::ACCT_STATUS_TYPE_STOP,
            Some(ip),
            Some("g1"),
        );
        let (p, _) = decode(&b, b"s3cret", true).unwrap();
        let resp = response_for(&p).unwrap();
        assert_eq!(resp[0], 5);
        assert_eq!(resp[1], b[1]);
        assert!(Packet::is_authentic_response(&resp, &b, b"s3cret"));
        assert!(!Packet::is_authentic_response(&resp, &b, b"other"));
    }

    #[test]
    fn never_panics_on_garbage() {
        let mut seed = 7u64;
        for len in 0..300usize {
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    seed = seed
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    (seed >> 56) as u8
                })
                .collect();
            let mut b = bytes.clone();
            if b.len() >= 4 {
                b[0] = 4;
                let l = (b.len() as u16).to_be_bytes();
                b[2] = l[0];
                b[3] = l[1];
            }
            let _ = decode(&bytes, b"k", true);
            let _ = decode(&b, b"k", true);
        }
    }
}
