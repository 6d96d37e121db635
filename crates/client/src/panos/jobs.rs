//! Job polling.

use std::time::{Duration, Instant};

use panops_panos::Job;
use tracing::{debug, info};

use super::PanosClient;
use crate::{
    error::{Error, Result},
    retry::RetryClass,
};

/// Progress callback of [`WaitOptions`].
pub type ProgressFn<'a> = Box<dyn FnMut(&Job) + Send + 'a>;

/// How [`PanosClient::wait_job`] polls.
pub struct WaitOptions<'a> {
    /// Delay between polls once the job has run a while (default 1 s; pango notes that much
    /// faster polling slows the management plane).
    pub interval: Duration,
    /// The first poll is immediate and the delays then ramp up from this one, by half again
    /// each time, until they reach `interval` (default 100 ms): a job that ends in a second is
    /// seen ending soon after, while a commit of minutes costs only a handful of extra polls
    /// (seven in its first three seconds with the default 1 s interval).
    /// Set it to `interval` for a fixed cadence.
    pub first_interval: Duration,
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
            first_interval: Duration::from_millis(100),
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
            .field("first_interval", &self.first_interval)
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

    /// Set the first delay of the ramp (see [`WaitOptions::first_interval`]).
    #[must_use]
    pub fn first_interval(mut self, first: Duration) -> Self {
        self.first_interval = first;
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

/// The poll ramp: half again each time, capped at the steady interval.
fn next_delay(delay: Duration, interval: Duration) -> Duration {
    (delay * 3 / 2).min(interval)
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
        let mut delay = opts.first_interval.min(opts.interval);
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
                    info!(job = id, error = %e, "job poll failed; will retry");
                }
                Err(e) => return Err(e),
            }
            if Instant::now() + delay > deadline {
                return Err(Error::JobTimeout {
                    id,
                    timeout: opts.timeout,
                    last: last.map(Box::new),
                });
            }
            tokio::time::sleep(delay).await;
            delay = next_delay(delay, opts.interval);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polls_ramp_up_to_the_interval() {
        let opts = WaitOptions::default();
        let mut delay = opts.first_interval;
        let mut schedule = vec![delay];
        let mut elapsed = delay;
        while elapsed < Duration::from_secs(3) {
            delay = next_delay(delay, opts.interval);
            schedule.push(delay);
            elapsed += delay;
        }
        let ms: Vec<u128> = schedule.iter().map(Duration::as_millis).collect();
        assert_eq!(ms, [100, 150, 225, 337, 506, 759, 1000]);
        assert_eq!(next_delay(opts.interval, opts.interval), opts.interval);
    }
}
