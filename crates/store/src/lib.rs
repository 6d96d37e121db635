//! The panops process store: every certificate deploy, rollback and renew is a **process**
//! with ordered **steps** (name, state, start/end time, the API job ids, per-firewall results,
//! error text), its plan and the snapshot needed to roll it back — enough to roll back after
//! panops or the machine restarts.
//!
//! One schema, embedded migrations, two backends through sqlx's `Any` driver: SQLite
//! (`sqlite:PATH`, the default, in the user's data directory) and PostgreSQL
//! (`postgres://…`) for teams running several panops instances. No compile-time query macros,
//! so building needs no database.
//!
//! ```no_run
//! # async fn demo() -> Result<(), panops_store::StoreError> {
//! use panops_store::{NewProcess, ProcessState, StepState, Store};
//! let store = Store::open("sqlite:/tmp/panops-demo.db").await?;
//! let id = store
//!     .create(NewProcess::new("deploy", "panorama.example").devices(["0071"]))
//!     .await?;
//! let step = store.start_step(&id, "import").await?;
//! store.finish_step(&id, step, StepState::Ok, Default::default()).await?;
//! store.finish(&id, ProcessState::Succeeded, None).await?;
//! println!("{:?}", store.get(&id).await?.map(|p| p.state));
//! # Ok(()) }
//! ```

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};

/// Migrations embedded in the binary; the same SQL runs on SQLite and PostgreSQL.
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Errors of the process store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The `--db` URL is not one the store understands.
    #[error("invalid --db URL: {0} (use sqlite:PATH or postgres://USER@HOST/DB)")]
    InvalidUrl(String),
    /// No data directory could be found for the default database.
    #[error("no user data directory found for the default process database; pass --db sqlite:PATH")]
    NoDataDir,
    /// Creating the database's directory failed.
    #[error("cannot create directory {path}: {source}")]
    CreateDir {
        /// The directory.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// Connecting to the database failed.
    #[error("cannot open process database {url}: {source}")]
    Connect {
        /// The URL with any password removed.
        url: String,
        /// The driver error.
        source: sqlx::Error,
    },
    /// Running the embedded migrations failed.
    #[error("process database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A query failed.
    #[error("process database query failed: {0}")]
    Query(#[from] sqlx::Error),
    /// A stored value could not be decoded.
    #[error("process database holds an invalid {field}: {reason}")]
    Corrupt {
        /// The column.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The process does not exist.
    #[error("no process with id {0}")]
    NotFound(String),
}

/// A process's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProcessState {
    /// Steps are being carried out.
    Running,
    /// A failure occurred and the changes are being reverted.
    RollingBack,
    /// Every step succeeded.
    Succeeded,
    /// Stopped early on request (`--skip-commit`, `--skip-push`); changes stay where they are.
    Stopped,
    /// Failed; every change was reverted and the revert verified.
    RolledBack,
    /// Failed and the revert failed too: the record says what is left.
    RollbackFailed,
}

impl ProcessState {
    /// All states, in display order.
    pub const ALL: [ProcessState; 6] = [
        Self::Running,
        Self::RollingBack,
        Self::Succeeded,
        Self::Stopped,
        Self::RolledBack,
        Self::RollbackFailed,
    ];

    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::RollingBack => "rolling-back",
            Self::Succeeded => "succeeded",
            Self::Stopped => "stopped",
            Self::RolledBack => "rolled-back",
            Self::RollbackFailed => "rollback-failed",
        }
    }

    /// Whether the process still has work to do (is not finished).
    pub fn is_active(self) -> bool {
        matches!(self, Self::Running | Self::RollingBack)
    }
}

impl fmt::Display for ProcessState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ProcessState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unknown process state {s:?}; one of {}",
                    Self::ALL.map(|s| s.as_str()).join(", ")
                )
            })
    }
}

/// A step's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepState {
    /// Started, not finished (if the process is no longer running: interrupted here).
    Running,
    /// Finished successfully.
    Ok,
    /// Finished with an error.
    Failed,
    /// Not carried out (e.g. `--skip-push`).
    Skipped,
}

impl StepState {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Ok => "ok",
            Self::Failed => "failed",
            Self::Skipped => "skipped",
        }
    }
}

impl FromStr for StepState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "running" => Ok(Self::Running),
            "ok" => Ok(Self::Ok),
            "failed" => Ok(Self::Failed),
            "skipped" => Ok(Self::Skipped),
            _ => Err(format!("unknown step state {s:?}")),
        }
    }
}

impl fmt::Display for StepState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One firewall's (or Panorama's) result of a step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceResult {
    /// Serial number or name.
    pub device: String,
    /// Whether it succeeded there.
    pub ok: bool,
    /// Details (job message, mismatch found, …).
    pub message: String,
}

/// What a finished step reports.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepOutcome {
    /// Job ids of the API requests (commit, commit-all).
    pub job_ids: Vec<String>,
    /// Per-firewall results.
    pub results: Vec<DeviceResult>,
    /// Error text when the step failed.
    pub error: Option<String>,
    /// A note (e.g. "skipped: --skip-push").
    pub note: Option<String>,
}

/// A recorded step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// Position in the process, from 1.
    pub seq: i64,
    /// Step name (`import`, `bind`, `commit`, …).
    pub name: String,
    /// State.
    pub state: StepState,
    /// Start, unix milliseconds.
    pub started_at: i64,
    /// End, unix milliseconds.
    pub ended_at: Option<i64>,
    /// What the step reported.
    #[serde(flatten)]
    pub outcome: StepOutcome,
}

/// A process to create.
#[derive(Debug, Clone)]
pub struct NewProcess {
    kind: String,
    target: String,
    parent_id: Option<String>,
    devices: Vec<String>,
    plan: serde_json::Value,
    snapshot: serde_json::Value,
}

impl NewProcess {
    /// A process of `kind` (`deploy`, `rollback`, `renew`) against `target` (Panorama host).
    pub fn new(kind: impl Into<String>, target: impl Into<String>) -> Self {
        Self {
            kind: kind.into(),
            target: target.into(),
            parent_id: None,
            devices: Vec::new(),
            plan: serde_json::Value::Null,
            snapshot: serde_json::Value::Null,
        }
    }
    /// The process this one acts on (a rollback's deployment).
    pub fn parent(mut self, id: impl Into<String>) -> Self {
        self.parent_id = Some(id.into());
        self
    }
    /// The firewalls it affects (for filtering).
    pub fn devices<I, S>(mut self, devices: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.devices = devices.into_iter().map(Into::into).collect();
        self
    }
    /// The plan (every change, in order).
    pub fn plan(mut self, plan: serde_json::Value) -> Self {
        self.plan = plan;
        self
    }
    /// The snapshot needed to roll back.
    pub fn snapshot(mut self, snapshot: serde_json::Value) -> Self {
        self.snapshot = snapshot;
        self
    }
}

/// A recorded process with its steps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Process {
    /// Id (a UUID).
    pub id: String,
    /// `deploy`, `rollback`, `renew`.
    pub kind: String,
    /// State.
    pub state: ProcessState,
    /// The Panorama (or firewall) it ran against.
    pub target: String,
    /// The process it acts on.
    pub parent_id: Option<String>,
    /// Affected firewalls.
    pub devices: Vec<String>,
    /// Created, unix milliseconds.
    pub created_at: i64,
    /// Last change, unix milliseconds.
    pub updated_at: i64,
    /// Finished, unix milliseconds.
    pub finished_at: Option<i64>,
    /// The plan.
    pub plan: serde_json::Value,
    /// The rollback snapshot.
    pub snapshot: serde_json::Value,
    /// Why it failed.
    pub error: Option<String>,
    /// The panops instance that runs it (`host:pid:uuid`).
    pub owner: String,
    /// Last sign of life of the owner, unix milliseconds.
    pub heartbeat_at: i64,
    /// Steps in order (empty in list results).
    pub steps: Vec<Step>,
}

/// Filter for [`Store::list`].
#[derive(Debug, Clone, Default)]
pub struct ProcessFilter {
    /// Only this state.
    pub state: Option<ProcessState>,
    /// Only processes affecting this firewall.
    pub device: Option<String>,
    /// Created at or after (unix ms).
    pub since: Option<i64>,
    /// Created before (unix ms).
    pub until: Option<i64>,
    /// At most this many, newest first (default 100).
    pub limit: Option<i64>,
}

/// Which database the store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite file.
    Sqlite,
    /// PostgreSQL server.
    Postgres,
}

/// A handle to the process store. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    owner: String,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .field("owner", &self.owner)
            .finish_non_exhaustive()
    }
}

/// Milliseconds since the epoch.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

/// A URL safe to show: the password of a `postgres://user:pass@` URL replaced by `***`.
pub fn redact_url(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://")
        && let Some((auth, host)) = rest.rsplit_once('@')
        && let Some((user, _)) = auth.split_once(':')
    {
        return format!("{scheme}://{user}:***@{host}");
    }
    url.to_string()
}

impl Store {
    /// The default database: `sqlite:` a file in the user's data directory.
    pub fn default_url() -> Result<String, StoreError> {
        let dir = dirs::data_dir().ok_or(StoreError::NoDataDir)?;
        Ok(format!(
            "sqlite:{}",
            dir.join("panops").join("processes.db").display()
        ))
    }

    /// Open (and migrate) the store at `url`: `sqlite:PATH` (file created when missing) or
    /// `postgres://…` / `postgresql://…`.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let (backend, connect_url) = if let Some(path) = url.strip_prefix("sqlite:") {
            let path = path.trim_start_matches("//");
            let file = path.split('?').next().unwrap_or("");
            if file.is_empty() {
                return Err(StoreError::InvalidUrl(
                    "sqlite: needs a file path, e.g. sqlite:/var/lib/panops/processes.db".into(),
                ));
            }
            if let Some(parent) = std::path::Path::new(file).parent()
                && !parent.as_os_str().is_empty()
            {
                std::fs::create_dir_all(parent).map_err(|source| StoreError::CreateDir {
                    path: parent.display().to_string(),
                    source,
                })?;
            }
            // rwc: create the file on first use; busy_timeout: wait for another panops on the
            // same file instead of failing with "database is locked"
            let sep = if path.contains('?') { '&' } else { '?' };
            (Backend::Sqlite, format!("sqlite://{path}{sep}mode=rwc"))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            (Backend::Postgres, url.to_string())
        } else {
            return Err(StoreError::InvalidUrl(redact_url(url)));
        };
        // one direct connection first: a refused or misnamed server fails at once instead of
        // after the pool's acquire timeout
        {
            use sqlx::Connection;
            let conn = sqlx::AnyConnection::connect(&connect_url)
                .await
                .map_err(|source| StoreError::Connect {
                    url: redact_url(url),
                    source,
                })?;
            let _ = conn.close().await;
        }
        let pool = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 1 } else { 4 })
            .connect(&connect_url)
            .await
            .map_err(|source| StoreError::Connect {
                url: redact_url(url),
                source,
            })?;
        if backend == Backend::Sqlite {
            sqlx::query("PRAGMA busy_timeout = 10000")
                .execute(&pool)
                .await?;
            sqlx::query("PRAGMA foreign_keys = ON")
                .execute(&pool)
                .await?;
        }
        // two panops starting on a new SQLite file race to migrate it (SQLite migrations take
        // no lock): the loser's transaction is rolled back, and on retry it finds the
        // migration applied
        let mut attempt = 0;
        loop {
            match MIGRATOR.run(&pool).await {
                Ok(()) => break,
                Err(e) if attempt < 5 && backend == Backend::Sqlite => {
                    attempt += 1;
                    let _ = e;
                    tokio_sleep(100 * attempt).await;
                }
                Err(e) => return Err(e.into()),
            }
        }
        let owner = format!(
            "{}:{}:{}",
            hostname(),
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        );
        Ok(Self {
            pool,
            backend,
            owner,
        })
    }

    /// The database kind.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// This instance's owner tag, written into the processes it runs.
    pub fn owner(&self) -> &str {
        &self.owner
    }

    /// Record a new process in state `running`, owned by this instance.
    pub async fn create(&self, new: NewProcess) -> Result<String, StoreError> {
        let id = uuid::Uuid::new_v4().to_string();
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO processes (id, kind, state, target, parent_id, created_at, updated_at, \
             finished_at, plan, snapshot, error, owner, heartbeat_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, $8, $9, NULL, $10, $11)",
        )
        .bind(&id)
        .bind(&new.kind)
        .bind(ProcessState::Running.as_str())
        .bind(&new.target)
        .bind(new.parent_id.clone())
        .bind(now)
        .bind(now)
        .bind(new.plan.to_string())
        .bind(new.snapshot.to_string())
        .bind(&self.owner)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let mut devices = new.devices.clone();
        devices.sort();
        devices.dedup();
        for d in devices {
            sqlx::query("INSERT INTO process_devices (process_id, device) VALUES ($1, $2)")
                .bind(&id)
                .bind(d)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    async fn touch(&self, id: &str) -> Result<(), StoreError> {
        let now = now_ms();
        let r = sqlx::query(
            "UPDATE processes SET updated_at = $1, heartbeat_at = $2, owner = $3 WHERE id = $4",
        )
        .bind(now)
        .bind(now)
        .bind(&self.owner)
        .bind(id)
        .execute(&self.pool)
        .await?;
        if r.rows_affected() == 0 {
            return Err(StoreError::NotFound(id.to_string()));
        }
        Ok(())
    }

    /// Sign of life: the owner is still working on `id`.
    pub async fn heartbeat(&self, id: &str) -> Result<(), StoreError> {
        self.touch(id).await
    }

    /// Replace the rollback snapshot (taken before the first change).
    pub async fn set_snapshot(
        &self,
        id: &str,
        snapshot: &serde_json::Value,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE processes SET snapshot = $1 WHERE id = $2")
            .bind(snapshot.to_string())
            .bind(id)
            .execute(&self.pool)
            .await?;
        self.touch(id).await
    }

    /// Replace the plan.
    pub async fn set_plan(&self, id: &str, plan: &serde_json::Value) -> Result<(), StoreError> {
        sqlx::query("UPDATE processes SET plan = $1 WHERE id = $2")
            .bind(plan.to_string())
            .bind(id)
            .execute(&self.pool)
            .await?;
        self.touch(id).await
    }

    /// Active processes against `target` that are ahead of `id` in the queue (created
    /// earlier, or at the same millisecond with a smaller id) and whose owner is alive.
    /// A deployment waits until this is empty, so two deployments to one Panorama never
    /// interleave, even from several panops instances sharing a PostgreSQL store.
    pub async fn ahead_of(
        &self,
        id: &str,
        target: &str,
        stale_ms: i64,
    ) -> Result<Vec<Process>, StoreError> {
        let me = self
            .get(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(id.to_string()))?;
        let rows = sqlx::query(&format!(
            "{SELECT_PROCESS} WHERE target = $1 AND (state = $2 OR state = $3) AND id <> $4 \
             AND (created_at < $5 OR (created_at = $6 AND id < $7)) ORDER BY created_at"
        ))
        .bind(target)
        .bind(ProcessState::Running.as_str())
        .bind(ProcessState::RollingBack.as_str())
        .bind(id)
        .bind(me.created_at)
        .bind(me.created_at)
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        let host = hostname();
        let now = now_ms();
        let mut out = Vec::new();
        for r in rows {
            let p = decode_process(&r)?;
            // a dead owner's process is for recovery, not a reason to wait forever
            if owner_gone(&p.owner, &host) || now - p.heartbeat_at > stale_ms {
                continue;
            }
            out.push(p);
        }
        Ok(out)
    }

    /// Change the state of a process that is still active (e.g. to `rolling-back`).
    pub async fn set_state(
        &self,
        id: &str,
        state: ProcessState,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE processes SET state = $1, error = COALESCE($2, error) WHERE id = $3")
            .bind(state.as_str())
            .bind(error.map(str::to_string))
            .bind(id)
            .execute(&self.pool)
            .await?;
        self.touch(id).await
    }

    /// Finish a process in a final state.
    pub async fn finish(
        &self,
        id: &str,
        state: ProcessState,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        let now = now_ms();
        sqlx::query(
            "UPDATE processes SET state = $1, error = COALESCE($2, error), finished_at = $3 \
             WHERE id = $4",
        )
        .bind(state.as_str())
        .bind(error.map(str::to_string))
        .bind(now)
        .bind(id)
        .execute(&self.pool)
        .await?;
        self.touch(id).await
    }

    /// Start the next step; returns its sequence number.
    pub async fn start_step(&self, id: &str, name: &str) -> Result<i64, StoreError> {
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query("SELECT COALESCE(MAX(seq), 0) AS m FROM steps WHERE process_id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        let seq: i64 = row.try_get::<i64, _>("m")? + 1;
        sqlx::query(
            "INSERT INTO steps (process_id, seq, name, state, started_at, ended_at, job_ids, \
             results, error, note) VALUES ($1, $2, $3, $4, $5, NULL, '[]', '[]', NULL, NULL)",
        )
        .bind(id)
        .bind(seq)
        .bind(name)
        .bind(StepState::Running.as_str())
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.touch(id).await?;
        Ok(seq)
    }

    /// Record job ids as soon as they are known, so an interrupted step still names its job.
    pub async fn add_job_id(&self, id: &str, seq: i64, job: &str) -> Result<(), StoreError> {
        let row = sqlx::query("SELECT job_ids FROM steps WHERE process_id = $1 AND seq = $2")
            .bind(id)
            .bind(seq)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("{id} step {seq}")))?;
        let mut jobs: Vec<String> = decode_json(&row, "job_ids")?;
        jobs.push(job.to_string());
        sqlx::query("UPDATE steps SET job_ids = $1 WHERE process_id = $2 AND seq = $3")
            .bind(serde_json::to_string(&jobs).unwrap_or_else(|_| "[]".into()))
            .bind(id)
            .bind(seq)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Finish a step. Job ids already added with [`Store::add_job_id`] are kept.
    pub async fn finish_step(
        &self,
        id: &str,
        seq: i64,
        state: StepState,
        outcome: StepOutcome,
    ) -> Result<(), StoreError> {
        let row = sqlx::query("SELECT job_ids FROM steps WHERE process_id = $1 AND seq = $2")
            .bind(id)
            .bind(seq)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("{id} step {seq}")))?;
        let mut jobs: Vec<String> = decode_json(&row, "job_ids")?;
        for j in outcome.job_ids {
            if !jobs.contains(&j) {
                jobs.push(j);
            }
        }
        sqlx::query(
            "UPDATE steps SET state = $1, ended_at = $2, job_ids = $3, results = $4, error = $5, \
             note = $6 WHERE process_id = $7 AND seq = $8",
        )
        .bind(state.as_str())
        .bind(now_ms())
        .bind(serde_json::to_string(&jobs).unwrap_or_else(|_| "[]".into()))
        .bind(serde_json::to_string(&outcome.results).unwrap_or_else(|_| "[]".into()))
        .bind(outcome.error)
        .bind(outcome.note)
        .bind(id)
        .bind(seq)
        .execute(&self.pool)
        .await?;
        self.touch(id).await
    }

    /// One process with its steps.
    pub async fn get(&self, id: &str) -> Result<Option<Process>, StoreError> {
        let Some(row) = sqlx::query(&format!("{SELECT_PROCESS} WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let mut p = decode_process(&row)?;
        p.devices = self.devices_of(id).await?;
        let rows = sqlx::query(
            "SELECT seq, name, state, started_at, ended_at, job_ids, results, error, note \
             FROM steps WHERE process_id = $1 ORDER BY seq",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        for r in rows {
            p.steps.push(Step {
                seq: r.try_get("seq")?,
                name: r.try_get("name")?,
                state: r.try_get::<String, _>("state")?.parse().map_err(|reason| {
                    StoreError::Corrupt {
                        field: "steps.state",
                        reason,
                    }
                })?,
                started_at: r.try_get("started_at")?,
                ended_at: r.try_get("ended_at")?,
                outcome: StepOutcome {
                    job_ids: decode_json(&r, "job_ids")?,
                    results: decode_json(&r, "results")?,
                    error: r.try_get("error")?,
                    note: r.try_get("note")?,
                },
            });
        }
        Ok(Some(p))
    }

    async fn devices_of(&self, id: &str) -> Result<Vec<String>, StoreError> {
        let rows =
            sqlx::query("SELECT device FROM process_devices WHERE process_id = $1 ORDER BY device")
                .bind(id)
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|r| r.try_get::<String, _>("device").map_err(Into::into))
            .collect()
    }

    /// Processes matching `filter`, newest first, without steps.
    pub async fn list(&self, filter: &ProcessFilter) -> Result<Vec<Process>, StoreError> {
        // the filter values are bound in a fixed order; absent ones are matched by a
        // sentinel so the SQL text stays one static statement for both backends
        let sql = format!(
            "{SELECT_PROCESS} WHERE ($1 = '' OR state = $2) \
             AND ($3 = '' OR id IN (SELECT process_id FROM process_devices WHERE device = $4)) \
             AND created_at >= $5 AND created_at < $6 \
             ORDER BY created_at DESC, id LIMIT $7"
        );
        let state = filter.state.map(|s| s.as_str()).unwrap_or("");
        let device = filter.device.clone().unwrap_or_default();
        let rows = sqlx::query(&sql)
            .bind(state)
            .bind(state)
            .bind(device.clone())
            .bind(device)
            .bind(filter.since.unwrap_or(i64::MIN))
            .bind(filter.until.unwrap_or(i64::MAX))
            .bind(filter.limit.unwrap_or(100).max(1))
            .fetch_all(&self.pool)
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let mut p = decode_process(&r)?;
            p.devices = self.devices_of(&p.id).await?;
            out.push(p);
        }
        Ok(out)
    }

    /// Active processes whose owner is gone: on this host a dead pid, elsewhere no heartbeat
    /// for `stale_ms`. Processes of this instance are never reported.
    pub async fn interrupted(&self, stale_ms: i64) -> Result<Vec<Process>, StoreError> {
        let rows = sqlx::query(&format!(
            "{SELECT_PROCESS} WHERE state = $1 OR state = $2 ORDER BY created_at"
        ))
        .bind(ProcessState::Running.as_str())
        .bind(ProcessState::RollingBack.as_str())
        .fetch_all(&self.pool)
        .await?;
        let now = now_ms();
        let host = hostname();
        let mut out = Vec::new();
        for r in rows {
            let p = decode_process(&r)?;
            if p.owner == self.owner {
                continue;
            }
            if owner_gone(&p.owner, &host) || now - p.heartbeat_at > stale_ms {
                if let Some(full) = self.get(&p.id).await? {
                    out.push(full);
                }
            }
        }
        Ok(out)
    }

    /// Take over an interrupted process: succeeds only if its owner is still `expected_owner`,
    /// so two instances finding the same process do not both act on it.
    pub async fn claim(&self, id: &str, expected_owner: &str) -> Result<bool, StoreError> {
        let now = now_ms();
        let r = sqlx::query(
            "UPDATE processes SET owner = $1, heartbeat_at = $2, updated_at = $3 \
             WHERE id = $4 AND owner = $5",
        )
        .bind(&self.owner)
        .bind(now)
        .bind(now)
        .bind(id)
        .bind(expected_owner)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Close the pool.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

async fn tokio_sleep(ms: u64) {
    tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
}

/// Whether an owner tag `host:pid:uuid` names a process on this host that no longer exists.
fn owner_gone(owner: &str, this_host: &str) -> bool {
    let mut parts = owner.rsplitn(3, ':');
    let _uuid = parts.next();
    let pid = parts.next().and_then(|p| p.parse::<u32>().ok());
    let host = parts.next();
    match (host, pid) {
        (Some(h), Some(pid)) if h == this_host => {
            !std::path::Path::new(&format!("/proc/{pid}")).exists()
        }
        _ => false,
    }
}

const SELECT_PROCESS: &str = "SELECT id, kind, state, target, parent_id, created_at, updated_at, \
     finished_at, plan, snapshot, error, owner, heartbeat_at FROM processes";

fn decode_json<T: serde::de::DeserializeOwned>(
    row: &AnyRow,
    field: &'static str,
) -> Result<T, StoreError> {
    let text: String = row.try_get(field)?;
    serde_json::from_str(&text).map_err(|e| StoreError::Corrupt {
        field,
        reason: e.to_string(),
    })
}

fn decode_process(row: &AnyRow) -> Result<Process, StoreError> {
    Ok(Process {
        id: row.try_get("id")?,
        kind: row.try_get("kind")?,
        state: row
            .try_get::<String, _>("state")?
            .parse()
            .map_err(|reason| StoreError::Corrupt {
                field: "processes.state",
                reason,
            })?,
        target: row.try_get("target")?,
        parent_id: row.try_get("parent_id")?,
        devices: Vec::new(),
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        finished_at: row.try_get("finished_at")?,
        plan: decode_json(row, "plan")?,
        snapshot: decode_json(row, "snapshot")?,
        error: row.try_get("error")?,
        owner: row.try_get("owner")?,
        heartbeat_at: row.try_get("heartbeat_at")?,
        steps: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_postgres_password() {
        assert_eq!(
            redact_url("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redact_url("sqlite:/x.db"), "sqlite:/x.db");
    }

    #[test]
    fn owner_on_other_host_is_not_judged_by_pid() {
        assert!(!owner_gone("otherhost:1:abc", "thishost"));
        assert!(owner_gone("thishost:4294967:abc", "thishost"));
        assert!(!owner_gone(
            &format!("thishost:{}:abc", std::process::id()),
            "thishost"
        ));
    }

    #[test]
    fn states_round_trip() {
        for s in ProcessState::ALL {
            assert_eq!(s.as_str().parse::<ProcessState>(), Ok(s));
        }
        assert!("bogus".parse::<ProcessState>().is_err());
    }
}
