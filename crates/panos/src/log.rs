//! `type=log`: asynchronous log queries (enqueue, then poll `action=get`).

use crate::{error::Result, request::ApiRequest, validate};

/// Largest `nlogs` PAN-OS accepts.
pub const MAX_NLOGS: u32 = 5000;

/// Direction of a log query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Newest first (device default).
    Backward,
    /// Oldest first.
    Forward,
}

/// A log query (`type=log&log-type=…`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogQuery {
    /// `traffic`, `threat`, `url`, `system`, `config`, …
    pub log_type: String,
    /// Number of logs (1..=5000).
    pub nlogs: Option<u32>,
    /// Number of logs to skip (paging).
    pub skip: Option<u32>,
    /// Filter expression, e.g. `(addr.src in 10.0.0.1)`.
    pub query: Option<String>,
    /// Direction.
    pub dir: Option<Direction>,
}

impl LogQuery {
    /// A query for `log_type` with device defaults.
    pub fn new(log_type: impl Into<String>) -> Self {
        Self {
            log_type: log_type.into(),
            nlogs: None,
            skip: None,
            query: None,
            dir: None,
        }
    }

    /// Build the enqueue request (idempotent: a duplicate only creates another job).
    pub fn request(&self) -> Result<ApiRequest> {
        validate::name("log-type", &self.log_type, 32)?;
        if let Some(n) = self.nlogs {
            validate::range("nlogs", u64::from(n), 1, u64::from(MAX_NLOGS))?;
        }
        let mut r = ApiRequest::new("log", true).push("log-type", &*self.log_type);
        if let Some(n) = self.nlogs {
            r = r.push("nlogs", n.to_string());
        }
        if let Some(s) = self.skip {
            r = r.push("skip", s.to_string());
        }
        if let Some(q) = &self.query {
            validate::non_empty("query", q)?;
            r = r.push("query", &**q);
        }
        if let Some(d) = self.dir {
            r = r.push(
                "dir",
                match d {
                    Direction::Backward => "backward",
                    Direction::Forward => "forward",
                },
            );
        }
        Ok(r)
    }
}

/// `type=log&action=get&job-id=N` (idempotent poll).
pub fn get(job_id: u64) -> ApiRequest {
    ApiRequest::new("log", true)
        .push("action", "get")
        .push("job-id", job_id.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_params() {
        let mut q = LogQuery::new("traffic");
        q.nlogs = Some(5000);
        q.skip = Some(10);
        q.query = Some("(addr.src in 10.0.0.1)".into());
        q.dir = Some(Direction::Forward);
        assert_eq!(
            q.request().unwrap().form_body(),
            "type=log&log-type=traffic&nlogs=5000&skip=10&query=%28addr.src+in+10.0.0.1%29&dir=forward"
        );
        q.nlogs = Some(5001);
        let e = q.request().unwrap_err().to_string();
        assert_eq!(
            e,
            "invalid nlogs: 5001 is out of range; must be between 1 and 5000"
        );
        q.nlogs = Some(0);
        assert!(q.request().is_err());
        assert_eq!(get(5).form_body(), "type=log&action=get&job-id=5");
    }
}
