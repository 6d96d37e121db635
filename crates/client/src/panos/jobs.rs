//! Job polling.

use std::time::{Duration, Instant};

use panops_panos::Job;
use tracing::{debug, warn};

use super::PanosClient;
use crate::{
    error::{Error, Result},
    http::RetryClass,
};

/// Progress callback of [`WaitOptions`].
pub type ProgressFn<'a> = Box<dyn FnMut(&Job) + Send + 'a>;

/// How [`PanosClient::wait_job`] polls.
pub struct WaitOptions<'a> {
    /// Delay between polls (default 1 s; pango notes that much faster polling slows
    /// the management plane).
    pub interval: Duration,
    /// Give up after this long (default 20 min, as pan-os-python).
    pub timeout: Duration,
    /// Consecutive transient poll failures tolerated (management restarts during
    /// commits drop connections and sessions). Default 10.
    pub max_poll_errors: u32,
    on_progress: Option<ProgressFn<'a>>,
}

impl Default for WaitOptions<'_> {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(1),
            timeout: Duration::from_secs(1200),
            max_poll_errors: 10,
            on_progress: None,
        }
    }
}

impl std::fmt::Debug for WaitOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WaitOptions")
            .field("interval", &self.interval)
            .field("timeout", &self.timeout)
            .field("max_poll_errors", &self.max_poll_errors)
            .field("on_progress", &self.on_progress.is_some())
            .finish()
    }
}

impl<'a> WaitOptions<'a> {
    /// Set the poll interval.
    #[must_use]
    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    /// Set the overall timeout.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Call `f` with every job state seen.
    #[must_use]
    pub fn on_progress(mut self, f: impl FnMut(&Job) + Send + 'a) -> Self {
        self.on_progress = Some(Box::new(f));
        self
    }
}

/// Errors worth riding out while polling: transport failures, 5xx, busy/session
/// timeouts, and "Invalid credentials." seen while the management server restarts.
fn tolerable(e: &Error) -> bool {
    match e {
        Error::Transport { .. } => true,
        Error::Api(a) => {
            a.http_status >= 500 || a.is_session_timeout() || a.is_invalid_credentials()
        }
        other => other.retry_class() != RetryClass::Permanent,
    }
}

impl PanosClient {
    /// Poll `show jobs id N` until the job is finished and no device result is
    /// pending. A job (or device push) that failed gives [`Error::JobFailed`] with
    /// its details and per-device messages.
    pub async fn wait_job(&self, id: u64, mut opts: WaitOptions<'_>) -> Result<Job> {
        let deadline = Instant::now() + opts.timeout;
        let mut errors = 0;
        let mut last: Option<Job> = None;
        loop {
            match self.show_job(id).await {
                Ok(job) => {
                    errors = 0;
                    debug!(job = id, status = ?job.status, progress = ?job.progress, "job state");
                    if let Some(cb) = opts.on_progress.as_mut() {
                        cb(&job);
                    }
                    if job.is_complete() {
                        if job.is_failed() {
                            return Err(Error::JobFailed {
                                id,
                                summary: job.failure_summary(),
                                job: Box::new(job),
                            });
                        }
                        return Ok(job);
                    }
                    last = Some(job);
                }
                Err(e) if tolerable(&e) && errors < opts.max_poll_errors => {
                    errors += 1;
                    warn!(job = id, error = %e, "job poll failed; will retry");
                }
                Err(e) => return Err(e),
            }
            if Instant::now() + opts.interval > deadline {
                return Err(Error::JobTimeout {
                    id,
                    timeout: opts.timeout,
                    last: last.map(Box::new),
                });
            }
            tokio::time::sleep(opts.interval).await;
        }
    }
}
