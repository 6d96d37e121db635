//! Response decoding: the `<response status code>` envelope, message extraction,
//! and typed views (keygen key, commit outcome, jobs, log results, version).
//!
//! Messages are taken from the first of these that exists, as pan-python does:
//! `msg/line/uid-response/payload/*/entry` (User-ID per-entry errors), `msg/line`
//! (including nested `line/line`), `result/msg/line`, `result/msg`, `msg`,
//! `result/job/details/line`; multi-config answers additionally carry one nested
//! `<response id=…>` per operation.

use indexmap::IndexMap;

use crate::{
    error::{ApiError, DecodeError, Error, Result, SubResponse, UidEntryError},
    secret::Secret,
    xml::{self, Element},
};

/// A decoded device answer. `Debug` shows the envelope only: the body may hold a key.
#[derive(Clone)]
pub struct Response {
    http_status: u16,
    raw: Vec<u8>,
    root: Element,
    status: Option<String>,
    code: Option<u32>,
    messages: Vec<String>,
    entry_errors: Vec<UidEntryError>,
    sub_responses: Vec<SubResponse>,
}

impl std::fmt::Debug for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Response")
            .field("http_status", &self.http_status)
            .field("root", &self.root.name)
            .field("status", &self.status)
            .field("code", &self.code)
            .field("messages", &self.messages)
            .field("sub_responses", &self.sub_responses)
            .field("len", &self.raw.len())
            .finish_non_exhaustive()
    }
}

/// Name of the root element of an XML document, read without parsing the whole
/// document (useful to route a large configuration export without building a tree).
pub fn sniff_root(doc: &[u8]) -> Option<String> {
    let mut reader = quick_xml::Reader::from_reader(doc);
    loop {
        match reader.read_event().ok()? {
            quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e) => {
                return Some(String::from_utf8_lossy(e.name().as_ref()).into_owned());
            }
            quick_xml::events::Event::Eof => return None,
            _ => {}
        }
    }
}

/// A well-formed XML document whose root is not `<response>`: what a proxy, captive
/// portal or SSO login page answers with HTTP 200. Taking it as success would make a
/// commit "succeed" with no job, so it is a decode error saying what came back.
fn not_an_envelope(root: &str, body: &[u8]) -> DecodeError {
    DecodeError::new(
        format!(
            "the reply is a <{root}> document, not a PAN-OS <response> envelope, so the host may \
             not be a PAN-OS management interface (a proxy, captive portal or login page \
             answering instead?); it begins: {}",
            body_excerpt(body)
        ),
        body,
    )
}

/// The first bytes of a body for an error message, on one line, with anything that looks
/// like a secret-bearing element or attribute value masked.
pub fn body_excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(160)]);
    let one_line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let mut out = crate::secret::redact_xml_secrets(one_line.trim());
    if body.len() > 160 {
        out.push('…');
    }
    format!("\"{out}\"")
}

fn parse_code(s: &str) -> Option<u32> {
    s.trim().parse().ok()
}

/// Replace the key in "Key Expired: <key> has expired." so it cannot leak into
/// error messages or logs.
fn scrub(message: String) -> String {
    if let Some(rest) = message.trim().strip_prefix("Key Expired:")
        && rest.contains(" has expired")
    {
        return crate::error::KEY_EXPIRED_TEXT.to_owned();
    }
    message
}

fn line_text(line: &Element) -> Option<String> {
    if let Some(t) = line.own_text() {
        return Some(t.trim().to_owned());
    }
    if let Some(inner) = line.child("line") {
        let t = inner.deep_text();
        if !t.is_empty() {
            return Some(t);
        }
    }
    if let Some(msg) = line.path("newjob/newmsg") {
        let t = msg.deep_text();
        if !t.is_empty() {
            return Some(t);
        }
    }
    let t = line.deep_text();
    (!t.is_empty()).then_some(t)
}

/// Messages of one `<response>`-like element, plus User-ID entry errors.
fn extract_messages(el: &Element) -> (Vec<String>, Vec<UidEntryError>) {
    // 1. User-ID per-entry errors.
    let mut entry_errors = Vec::new();
    for payload in el.find_all("msg/line/uid-response/payload") {
        for section in payload.elements() {
            for entry in section.children_named("entry") {
                entry_errors.push(UidEntryError {
                    op: section.name.clone(),
                    attrs: entry.attrs.clone(),
                });
            }
        }
    }
    if !entry_errors.is_empty() {
        let msgs = entry_errors
            .iter()
            .map(|e| {
                let ident: Vec<String> = e
                    .attrs
                    .iter()
                    .filter(|(k, _)| k != "message")
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect();
                format!(
                    "{} {}: {}",
                    e.op,
                    ident.join(" "),
                    e.message().unwrap_or("")
                )
            })
            .collect();
        return (msgs, entry_errors);
    }
    let lines = |path: &str| -> Option<Vec<String>> {
        let found = el.find_all(path);
        if found.is_empty() {
            return None;
        }
        Some(found.into_iter().filter_map(line_text).collect())
    };
    // 2. msg/line (incl. nested line/line); 3. result/msg/line.
    for path in ["msg/line", "result/msg/line"] {
        if let Some(v) = lines(path) {
            return (v, entry_errors);
        }
    }
    // 4. result/msg; 5. msg.
    for path in ["result/msg", "msg"] {
        if let Some(m) = el.path(path) {
            let t = m.deep_text();
            return (if t.is_empty() { vec![] } else { vec![t] }, entry_errors);
        }
    }
    // 6. result/job/details/line.
    if let Some(v) = lines("result/job/details/line") {
        return (v, entry_errors);
    }
    (Vec::new(), entry_errors)
}

fn sub_responses(root: &Element) -> Vec<SubResponse> {
    let mut out = Vec::new();
    let nested = root.children_named("response").chain(
        root.child("result")
            .into_iter()
            .flat_map(|r| r.children_named("response")),
    );
    for sub in nested {
        let (messages, _) = extract_messages(sub);
        out.push(SubResponse {
            id: sub.attr("id").map(str::to_owned),
            status: sub.attr("status").map(str::to_owned),
            code: sub.attr("code").and_then(parse_code),
            messages: messages.into_iter().map(scrub).collect(),
        });
    }
    out
}

impl Response {
    /// Decode a body without judging it: `status="error"` is *not* turned into an error.
    pub fn decode(http_status: u16, body: &[u8]) -> Result<Self, DecodeError> {
        let root = xml::parse(body).map_err(|e| DecodeError::new(e.0, body))?;
        let (status, code, messages, entry_errors, subs) = if root.name == "response" {
            let (m, e) = extract_messages(&root);
            (
                Some(root.attr("status").unwrap_or("success").trim().to_owned()),
                root.attr("code").and_then(parse_code),
                m.into_iter().map(scrub).collect(),
                e,
                sub_responses(&root),
            )
        } else {
            (None, None, Vec::new(), Vec::new(), Vec::new())
        };
        Ok(Self {
            http_status,
            raw: body.to_vec(),
            root,
            status,
            code,
            messages,
            entry_errors,
            sub_responses: subs,
        })
    }

    /// Decode and judge a body: an HTTP error status or `status="error"` becomes
    /// [`Error::Api`]. A non-XML error body (a proxy's HTML page) becomes an API
    /// error carrying a short text excerpt; a non-XML success body is a decode error.
    pub fn parse(http_status: u16, body: &[u8]) -> Result<Self> {
        match Self::decode(http_status, body) {
            // A `<response>` root always gets a status in `decode`; anything else on a
            // success status is some other server's page.
            Ok(resp) if resp.status.is_none() && http_status < 400 => {
                Err(Error::Decode(not_an_envelope(&resp.root.name, body)))
            }
            Ok(resp) => {
                if resp.is_error() {
                    Err(Error::Api(resp.to_api_error()))
                } else {
                    Ok(resp)
                }
            }
            Err(e) if http_status >= 400 => {
                let text = String::from_utf8_lossy(body);
                let excerpt: String = text.trim().chars().take(300).collect();
                let _ = e;
                Err(Error::Api(ApiError {
                    http_status,
                    code: None,
                    messages: if excerpt.is_empty() {
                        vec![]
                    } else {
                        vec![scrub(excerpt)]
                    },
                    entry_errors: vec![],
                    sub_responses: vec![],
                }))
            }
            Err(e) if sniff_root(body).as_deref() == Some("response") => Err(Error::Decode(e)),
            Err(e) => Err(Error::Decode(DecodeError::new(
                format!(
                    "the reply is not a PAN-OS XML answer ({}), so the host may not be a PAN-OS \
                     management interface (a proxy, captive portal or login page answering \
                     instead?); it begins: {}",
                    e.reason,
                    body_excerpt(body)
                ),
                body,
            ))),
        }
    }

    /// Whether this answer is an error (HTTP ≥ 400 or `status="error"`).
    pub fn is_error(&self) -> bool {
        self.http_status >= 400 || self.status.as_deref() == Some("error")
    }

    /// The answer as an [`ApiError`] (meaningful when [`Response::is_error`]).
    pub fn to_api_error(&self) -> ApiError {
        let mut messages = self.messages.clone();
        if messages.is_empty() {
            messages = self
                .sub_responses
                .iter()
                .filter(|s| s.status.as_deref() != Some("success"))
                .flat_map(|s| {
                    let id = s.id.clone().unwrap_or_default();
                    s.messages.iter().map(move |m| format!("id {id}: {m}"))
                })
                .collect();
        }
        ApiError {
            http_status: self.http_status,
            code: self.code,
            messages,
            entry_errors: self.entry_errors.clone(),
            sub_responses: self.sub_responses.clone(),
        }
    }

    /// HTTP status.
    pub fn http_status(&self) -> u16 {
        self.http_status
    }

    /// `status` attribute (`success`/`error`); `None` for non-`<response>` roots.
    pub fn status(&self) -> Option<&str> {
        self.status.as_deref()
    }

    /// `code` attribute.
    pub fn code(&self) -> Option<u32> {
        self.code
    }

    /// Extracted messages.
    pub fn messages(&self) -> &[String] {
        &self.messages
    }

    /// User-ID per-entry results (errors or benign duplicates).
    pub fn entry_errors(&self) -> &[UidEntryError] {
        &self.entry_errors
    }

    /// Multi-config nested results.
    pub fn sub_responses(&self) -> &[SubResponse] {
        &self.sub_responses
    }

    /// Root element name (`response`, `config`, `report`, …).
    pub fn root_name(&self) -> &str {
        &self.root.name
    }

    /// The parsed root element.
    pub fn root(&self) -> &Element {
        &self.root
    }

    /// The `<result>` element, if any.
    pub fn result(&self) -> Option<&Element> {
        self.root.child("result")
    }

    /// The raw body.
    pub fn raw(&self) -> &[u8] {
        &self.raw
    }

    /// The content of `<result>` exactly as the device sent it (empty for `<result/>`).
    pub fn result_xml(&self) -> Option<&str> {
        let r = self.result()?;
        std::str::from_utf8(&self.raw[r.inner.clone()]).ok()
    }

    /// The whole body as text.
    pub fn xml(&self) -> &str {
        std::str::from_utf8(&self.raw).unwrap_or("")
    }

    /// Whether `<result>` is missing or empty (code 7 answers to `get`).
    pub fn is_empty_result(&self) -> bool {
        self.result()
            .is_none_or(|r| r.elements().next().is_none() && r.own_text().is_none())
    }

    fn decode_err(&self, reason: &str) -> Error {
        Error::Decode(DecodeError::new(reason, &self.raw))
    }

    /// The API key of a keygen answer (`result/key`).
    pub fn key(&self) -> Result<Secret> {
        self.root
            .path("result/key")
            .map(Element::deep_text)
            .filter(|k| !k.is_empty())
            .map(Secret::new)
            .ok_or_else(|| self.decode_err("keygen answer has no result/key"))
    }

    /// The job id of an enqueued operation (`result/job` holding a number).
    pub fn job_id(&self) -> Option<u64> {
        self.root
            .path("result/job")
            .and_then(Element::own_text)
            .and_then(|t| t.trim().parse().ok())
    }

    /// The outcome of a commit or commit-all.
    pub fn commit_outcome(&self) -> CommitOutcome {
        let messages = self.messages.clone();
        if let Some(job_id) = self.job_id() {
            CommitOutcome::Enqueued { job_id, messages }
        } else if messages
            .iter()
            .any(|m| m.to_ascii_lowercase().contains("no changes to commit"))
        {
            CommitOutcome::NoChanges { messages }
        } else {
            CommitOutcome::Done { messages }
        }
    }

    /// All `result/job` elements parsed as jobs (`show jobs all` / `show jobs id N`).
    pub fn jobs(&self) -> Result<Vec<Job>> {
        self.result()
            .map(|r| r.children_named("job").map(Job::from_element).collect())
            .unwrap_or_else(|| Ok(Vec::new()))
    }

    /// The single job of `show jobs id N`.
    pub fn job(&self) -> Result<Job> {
        self.jobs()?
            .into_iter()
            .next()
            .ok_or_else(|| self.decode_err("show jobs answer has no result/job"))
    }

    /// A log job poll result (`type=log&action=get`).
    pub fn log_result(&self) -> Result<LogResult> {
        let result = self
            .result()
            .ok_or_else(|| self.decode_err("log answer has no <result>"))?;
        let job = result.child("job");
        let status = job
            .and_then(|j| j.child_text("status"))
            .map(|s| JobStatus::from_wire(&s));
        let logs = result.path("log/logs");
        let count = logs
            .and_then(|l| l.attr("count"))
            .and_then(|c| c.parse().ok());
        let progress = logs
            .and_then(|l| l.attr("progress"))
            .and_then(|c| c.parse().ok());
        let entries = logs
            .map(|l| {
                l.children_named("entry")
                    .map(|e| {
                        let mut map = IndexMap::new();
                        for (k, v) in &e.attrs {
                            map.insert(k.clone(), v.clone());
                        }
                        for c in e.elements() {
                            map.insert(c.name.clone(), c.deep_text());
                        }
                        map
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(LogResult {
            status,
            count,
            progress,
            entries,
        })
    }

    /// `type=version` fields.
    pub fn version_info(&self) -> Result<VersionInfo> {
        let result = self
            .result()
            .ok_or_else(|| self.decode_err("version answer has no <result>"))?;
        let fields: IndexMap<String, String> = result
            .elements()
            .map(|e| (e.name.clone(), e.deep_text()))
            .collect();
        let sw_version = fields
            .get("sw-version")
            .cloned()
            .ok_or_else(|| self.decode_err("version answer has no sw-version"))?;
        Ok(VersionInfo {
            sw_version,
            model: fields.get("model").cloned(),
            serial: fields.get("serial").cloned(),
            multi_vsys: fields.get("multi-vsys").map(|v| v == "on" || v == "yes"),
            fields,
        })
    }
}

/// What a commit or push request produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommitOutcome {
    /// A job was queued.
    Enqueued {
        /// Job id to poll.
        job_id: u64,
        /// Device messages ("Commit job enqueued with jobid N").
        messages: Vec<String>,
    },
    /// "There are no changes to commit."
    NoChanges {
        /// Device messages.
        messages: Vec<String>,
    },
    /// Finished without a job (e.g. a log-collector-group push).
    Done {
        /// Device messages.
        messages: Vec<String>,
    },
}

impl CommitOutcome {
    /// The job id, if a job was queued.
    pub fn job_id(&self) -> Option<u64> {
        match self {
            Self::Enqueued { job_id, .. } => Some(*job_id),
            _ => None,
        }
    }
}

/// Job state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobStatus {
    /// Queued.
    Pending,
    /// Running.
    Active,
    /// Finished (see [`JobResult`]).
    Finished,
    /// Anything else the device said.
    Other(String),
}

impl JobStatus {
    /// Parse `PEND`/`ACT`/`FIN`.
    pub fn from_wire(s: &str) -> Self {
        match s.trim() {
            "PEND" => Self::Pending,
            "ACT" => Self::Active,
            "FIN" => Self::Finished,
            other => Self::Other(other.to_owned()),
        }
    }
}

/// Job result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobResult {
    /// Not decided yet.
    Pending,
    /// Succeeded.
    Ok,
    /// Failed.
    Fail,
    /// Anything else the device said.
    Other(String),
}

impl JobResult {
    /// Parse `PEND`/`OK`/`FAIL`.
    pub fn from_wire(s: &str) -> Self {
        match s.trim() {
            "PEND" => Self::Pending,
            "OK" => Self::Ok,
            "FAIL" => Self::Fail,
            other => Self::Other(other.to_owned()),
        }
    }
}

/// Per-firewall result of a Panorama push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceJobResult {
    /// Firewall serial (`serial-no`, else the entry name).
    pub serial: String,
    /// Device name (`devicename`).
    pub name: Option<String>,
    /// Status text ("commit succeeded with warnings").
    pub status: Option<String>,
    /// Result of the push to this firewall.
    pub result: JobResult,
    /// Error and warning lines (`details//line`).
    pub details: Vec<String>,
}

/// A job as reported by `show jobs`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// Job id.
    pub id: u64,
    /// Job type (`Commit`, `CommitAll`, `Validate`, …).
    pub kind: Option<String>,
    /// State.
    pub status: JobStatus,
    /// Result.
    pub result: JobResult,
    /// Progress 0–100 when numeric.
    pub progress: Option<u8>,
    /// Detail lines.
    pub details: Vec<String>,
    /// Warning lines.
    pub warnings: Vec<String>,
    /// Description.
    pub description: Option<String>,
    /// User who started the job.
    pub user: Option<String>,
    /// Per-device results (commit-all).
    pub devices: Vec<DeviceJobResult>,
}

fn lines_under(el: Option<&Element>) -> Vec<String> {
    el.map(|d| d.children_named("line").filter_map(line_text).collect())
        .unwrap_or_default()
}

fn all_lines(el: &Element, out: &mut Vec<String>) {
    for c in el.elements() {
        if c.name == "line" {
            if let Some(t) = line_text(c) {
                out.push(t);
            }
        } else {
            all_lines(c, out);
        }
    }
}

impl Job {
    /// Parse a `<job>` element.
    pub fn from_element(el: &Element) -> Result<Self> {
        let id = el
            .child_text("id")
            .and_then(|t| t.parse().ok())
            .ok_or_else(|| Error::Decode(DecodeError::new("job has no numeric <id>", b"")))?;
        let devices = el
            .child("devices")
            .map(|d| {
                d.children_named("entry")
                    .map(|e| {
                        let mut details = Vec::new();
                        if let Some(det) = e.child("details") {
                            all_lines(det, &mut details);
                            if details.is_empty() {
                                let t = det.deep_text();
                                if !t.is_empty() {
                                    details.push(t);
                                }
                            }
                        }
                        DeviceJobResult {
                            serial: e
                                .child_text("serial-no")
                                .or_else(|| e.attr("name").map(str::to_owned))
                                .unwrap_or_default(),
                            name: e.child_text("devicename"),
                            status: e.child_text("status"),
                            result: JobResult::from_wire(
                                &e.child_text("result").unwrap_or_default(),
                            ),
                            details,
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(Self {
            id,
            kind: el.child_text("type"),
            status: JobStatus::from_wire(&el.child_text("status").unwrap_or_default()),
            result: JobResult::from_wire(&el.child_text("result").unwrap_or_default()),
            progress: el.child_text("progress").and_then(|p| p.parse().ok()),
            details: lines_under(el.child("details")),
            warnings: lines_under(el.child("warnings")),
            description: el.child_text("description"),
            user: el.child_text("user"),
            devices,
        })
    }

    /// `status == FIN`.
    pub fn is_finished(&self) -> bool {
        self.status == JobStatus::Finished
    }

    /// Finished, and no per-device result is still `PEND`.
    pub fn is_complete(&self) -> bool {
        self.is_finished() && !self.devices.iter().any(|d| d.result == JobResult::Pending)
    }

    /// Whether the job or any device push failed.
    pub fn is_failed(&self) -> bool {
        self.result == JobResult::Fail || self.devices.iter().any(|d| d.result == JobResult::Fail)
    }

    /// A one-paragraph failure summary: job details, then `serial: detail` per failed device.
    pub fn failure_summary(&self) -> String {
        let mut parts: Vec<String> = self.details.clone();
        for d in self.devices.iter().filter(|d| d.result == JobResult::Fail) {
            let what = if d.details.is_empty() {
                d.status.clone().unwrap_or_else(|| "failed".into())
            } else {
                d.details.join("; ")
            };
            parts.push(format!("{}: {what}", d.serial));
        }
        parts.join(" | ")
    }
}

/// A log job poll result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogResult {
    /// Job state (`FIN` when all logs are there).
    pub status: Option<JobStatus>,
    /// `logs@count`.
    pub count: Option<u64>,
    /// `logs@progress`.
    pub progress: Option<u8>,
    /// Log entries as ordered field maps (attributes such as `logid` first).
    pub entries: Vec<IndexMap<String, String>>,
}

/// `type=version` answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionInfo {
    /// `sw-version`, e.g. `11.1.2-h3`.
    pub sw_version: String,
    /// `model`.
    pub model: Option<String>,
    /// `serial`.
    pub serial: Option<String>,
    /// `multi-vsys` (`on`/`off`).
    pub multi_vsys: Option<bool>,
    /// All fields in order.
    pub fields: IndexMap<String, String>,
}
