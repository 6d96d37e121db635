//! What was found and done for each visit, serialisable to JSON.

use serde::Serialize;

use crate::error::ErrorKind;

/// How a visit ended up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The mapping was removed (and sessions cleared when asked) and that was verified.
    Ended,
    /// The visit was already over: no mapping (and no session to clear). Nothing changed.
    NothingToDo,
    /// The mapping was created and verified.
    Started,
    /// `--dry-run`: what would be done is in `planned`; nothing was changed.
    Planned,
    /// Something failed; see `error`.
    Failed,
}

impl Outcome {
    /// Whether this counts as success.
    pub fn is_success(self) -> bool {
        self != Outcome::Failed
    }
}

/// The result of one visit.
#[derive(Debug, Clone, Serialize)]
pub struct VisitReport {
    /// 1-based input line (batches only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// `end` or `start`.
    pub action: &'static str,
    /// The visitor IP (as given when it could not be parsed).
    pub ip: String,
    /// The user given, if any.
    pub user: Option<String>,
    /// The outcome.
    pub outcome: Outcome,
    /// The user the firewall had mapped to the IP before anything was done.
    pub mapped_user: Option<String>,
    /// Sessions from the IP found before anything was done (`None`: not looked at).
    pub sessions_found: Option<usize>,
    /// Sessions cleared (`None`: clearing not asked for).
    pub sessions_cleared: Option<usize>,
    /// Whether a logout (end) or login (start) was sent and accepted for this visit.
    pub uid_sent: bool,
    /// Whether the final state was read back and is as wanted.
    pub verified: bool,
    /// Steps a dry run would take.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub planned: Vec<String>,
    /// One sentence for people.
    pub message: String,
    /// The failure kind, when failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorKind>,
}

impl VisitReport {
    /// A fresh report for `ip`.
    pub fn new(action: &'static str, ip: String, user: Option<String>) -> Self {
        VisitReport {
            line: None,
            action,
            ip,
            user,
            outcome: Outcome::Failed,
            mapped_user: None,
            sessions_found: None,
            sessions_cleared: None,
            uid_sent: false,
            verified: false,
            planned: Vec::new(),
            message: String::new(),
            error: None,
        }
    }

    /// Whether a step failed for this visit.
    pub fn failed(&self) -> bool {
        self.error.is_some()
    }

    /// Mark failed with `kind` and `message`.
    pub fn fail(&mut self, kind: ErrorKind, message: impl Into<String>) {
        self.outcome = Outcome::Failed;
        self.error = Some(kind);
        self.message = message.into();
    }
}

/// The result of a batch: one report per visit and the request count.
#[derive(Debug, Clone, Serialize)]
pub struct BatchReport {
    /// One report per input visit, in input order.
    pub visits: Vec<VisitReport>,
    /// API requests sent to the firewall.
    pub requests: u64,
}

impl BatchReport {
    /// Whether every visit succeeded.
    pub fn all_succeeded(&self) -> bool {
        self.visits.iter().all(|v| v.outcome.is_success())
    }
}
