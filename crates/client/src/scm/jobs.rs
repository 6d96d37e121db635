//! Config push and job polling.

use std::time::Duration;

use panops_scm::ScmError;
use serde_json::{Value, json};

use super::client::ScmClient;

/// Job statuses after which a job no longer changes.
const TERMINAL_STATUSES: [&str; 4] = ["FIN", "PUSHFAIL", "PUSHABORT", "PUSHTIMEOUT"];
/// Job results that mean failure.
const FAILED_RESULTS: [&str; 3] = ["FAIL", "CANCELLED", "TIMEOUT"];

/// A snapshot of a configuration job (`job.get`).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct JobStatus {
    /// Job id.
    pub id: String,
    /// `status_str`: ACT, PEND, PUSHSENT, FIN, PUSHFAIL, PUSHABORT, PUSHTIMEOUT.
    pub status: String,
    /// `result_str`: PEND, WAIT, OK, FAIL, CANCELLED, TIMEOUT.
    pub result: String,
    /// Progress in percent, when the job reports it.
    pub percent: Option<u8>,
    /// `summary`, when present.
    pub summary: Option<String>,
    /// The job object as the API returned it.
    pub raw: Value,
}

impl JobStatus {
    /// Reads a `job.get` response: `{data:[job]}`, `[job]` or a bare job object.
    pub fn from_response(job_id: &str, response: &Value) -> Option<JobStatus> {
        let job = match response {
            Value::Object(map) if map.contains_key("data") => {
                first_job(map.get("data").unwrap_or(&Value::Null))?
            }
            Value::Array(_) => first_job(response)?,
            Value::Object(_) => response,
            _ => return None,
        };
        let text = |key: &str| -> Option<String> {
            job.get(key).and_then(|v| match v {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
        };
        let status = text("status_str").or_else(|| text("job_status"))?;
        Some(JobStatus {
            id: text("id").unwrap_or_else(|| job_id.to_string()),
            status,
            result: text("result_str")
                .or_else(|| text("job_result"))
                .unwrap_or_default(),
            percent: text("percent")
                .and_then(|p| p.trim().parse::<f64>().ok())
                .map(|p| p.clamp(0.0, 100.0) as u8),
            summary: text("summary").filter(|s| !s.is_empty()),
            raw: job.clone(),
        })
    }

    /// True once the job can no longer change.
    pub fn is_terminal(&self) -> bool {
        TERMINAL_STATUSES.contains(&self.status.as_str())
            || FAILED_RESULTS.contains(&self.result.as_str())
    }

    /// True for a finished job whose result is OK.
    pub fn succeeded(&self) -> bool {
        self.is_terminal() && self.result == "OK"
    }
}

fn first_job(data: &Value) -> Option<&Value> {
    match data {
        Value::Array(items) => items.first(),
        Value::Object(_) => Some(data),
        _ => None,
    }
}

/// Failures of a push or of waiting for a job.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JobError {
    /// A call failed (auth, transport, API, decode, validation).
    #[error(transparent)]
    Scm(#[from] ScmError),
    /// The push answer carried no job id.
    #[error("the push response carries no job id: {body}")]
    NoJobId {
        /// The response, as JSON text.
        body: String,
    },
    /// `job.get` answered something that is not a job.
    #[error("job {job_id}: response is not a job: {body}")]
    NotAJob {
        /// Job id.
        job_id: String,
        /// The response, as JSON text.
        body: String,
    },
    /// The job ended without result OK.
    #[error("job {job_id} failed: status={status} result={result}{}", details_suffix(.details))]
    Failed {
        /// Job id.
        job_id: String,
        /// Final `status_str`.
        status: String,
        /// Final `result_str`.
        result: String,
        /// `summary` / `details` of the job, as text.
        details: String,
        /// The final job object.
        job: Box<JobStatus>,
    },
    /// The job did not end in time.
    #[error("job {job_id} did not finish within {}s (last status: {last_status})", .timeout.as_secs())]
    TimedOut {
        /// Job id.
        job_id: String,
        /// How long we waited.
        timeout: Duration,
        /// Last `status_str/result_str` seen.
        last_status: String,
    },
}

fn details_suffix(details: &str) -> String {
    if details.is_empty() {
        String::new()
    } else {
        format!(": {details}")
    }
}

impl ScmClient {
    /// Pushes the candidate configuration of `folders` (`configVersion.push`) and returns the
    /// job id.
    pub async fn push(
        &self,
        folders: &[String],
        description: Option<&str>,
    ) -> Result<String, JobError> {
        let mut params = json!({ "folders": folders });
        if let Some(d) = description {
            params["description"] = json!(d);
        }
        let response = self.call(None, "configVersion", "push", params).await?;
        job_id_of(&response).ok_or_else(|| JobError::NoJobId {
            body: response.to_string(),
        })
    }

    /// Polls `job.get` every `interval` until the job ends, calling `progress` with each
    /// snapshot. Returns the final status when the result is OK; otherwise
    /// [`JobError::Failed`] with the job's details, or [`JobError::TimedOut`].
    pub async fn wait_job(
        &self,
        job_id: &str,
        interval: Duration,
        timeout: Duration,
        mut progress: impl FnMut(&JobStatus),
    ) -> Result<JobStatus, JobError> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let response = self
                .call(None, "job", "get", json!({ "id": job_id }))
                .await?;
            let status =
                JobStatus::from_response(job_id, &response).ok_or_else(|| JobError::NotAJob {
                    job_id: job_id.to_string(),
                    body: response.to_string(),
                })?;
            progress(&status);
            if status.is_terminal() {
                if status.succeeded() {
                    return Ok(status);
                }
                let details = [
                    status.summary.clone(),
                    status.raw.get("details").map(render),
                ]
                .into_iter()
                .flatten()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join("; ");
                return Err(JobError::Failed {
                    job_id: job_id.to_string(),
                    status: status.status.clone(),
                    result: status.result.clone(),
                    details,
                    job: Box::new(status),
                });
            }
            let last_status = format!("{}/{}", status.status, status.result);
            let now = tokio::time::Instant::now();
            if now >= deadline {
                return Err(JobError::TimedOut {
                    job_id: job_id.to_string(),
                    timeout,
                    last_status,
                });
            }
            tokio::time::sleep(interval.min(deadline - now)).await;
        }
    }
}

fn render(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The job id in a push answer: `job_id`, `id`, or `data[0].id`/`data[0].job_id`.
fn job_id_of(response: &Value) -> Option<String> {
    let pick = |v: &Value| -> Option<String> {
        ["job_id", "id"].iter().find_map(|k| match v.get(*k) {
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        })
    };
    pick(response).or_else(|| response.get("data").and_then(first_job).and_then(pick))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_shapes() {
        let j = JobStatus::from_response(
            "7",
            &json!({"data": [{"id": "7", "status_str": "ACT", "result_str": "PEND", "percent": "40"}]}),
        )
        .unwrap();
        assert_eq!(
            (j.status.as_str(), j.result.as_str(), j.percent),
            ("ACT", "PEND", Some(40))
        );
        assert!(!j.is_terminal());
        let done = JobStatus::from_response("7", &json!({"status_str": "FIN", "result_str": "OK"}))
            .unwrap();
        assert!(done.succeeded() && done.id == "7");
        let failed = JobStatus::from_response(
            "7",
            &json!([{"status_str": "PUSHFAIL", "result_str": "FAIL"}]),
        )
        .unwrap();
        assert!(failed.is_terminal() && !failed.succeeded());
        assert!(JobStatus::from_response("7", &json!({"data": []})).is_none());
    }

    #[test]
    fn job_ids() {
        assert_eq!(
            job_id_of(&json!({"success": true, "job_id": "12"})).as_deref(),
            Some("12")
        );
        assert_eq!(job_id_of(&json!({"id": 5})).as_deref(), Some("5"));
        assert_eq!(
            job_id_of(&json!({"data": [{"id": "9"}]})).as_deref(),
            Some("9")
        );
        assert_eq!(job_id_of(&json!({"success": true})), None);
    }
}
