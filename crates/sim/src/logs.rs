//! Logs: generation from the traffic model and jobs, and `type=log` query jobs.

use crate::api::{LogJob, Request, SimState};
use crate::device::{ApiError, Device, LogEntry};
use crate::xml;

/// Move ended sessions and threats from the traffic model into the device logs.
pub fn drain_traffic(d: &mut Device) {
    let ended = std::mem::take(&mut d.traffic.ended);
    let threats = std::mem::take(&mut d.traffic.threats);
    let serial = d.serial.clone();
    let host = d.current_hostname();
    for (s, reason) in ended {
        let now = d.clock.stamp();
        let user = d
            .userid
            .mappings
            .get(&s.src)
            .map(|m| m.user.clone())
            .unwrap_or_default();
        d.log(
            "traffic",
            vec![
                ("receive_time".into(), now.clone()),
                ("serial".into(), serial.clone()),
                ("type".into(), "TRAFFIC".into()),
                ("subtype".into(), "end".into()),
                ("time_generated".into(), now),
                ("src".into(), s.src.clone()),
                ("dst".into(), s.dst.clone()),
                ("natsrc".into(), "0.0.0.0".into()),
                ("natdst".into(), "0.0.0.0".into()),
                ("rule".into(), s.rule.clone()),
                ("srcuser".into(), user),
                ("app".into(), s.app.into()),
                ("vsys".into(), "vsys1".into()),
                ("from".into(), s.from.into()),
                ("to".into(), s.to.into()),
                ("inbound_if".into(), s.ingress.clone()),
                ("outbound_if".into(), s.egress.clone()),
                ("sessionid".into(), s.id.to_string()),
                ("sport".into(), s.sport.to_string()),
                ("dport".into(), s.dport.to_string()),
                (
                    "proto".into(),
                    match s.proto {
                        6 => "tcp",
                        17 => "udp",
                        _ => "icmp",
                    }
                    .into(),
                ),
                ("action".into(), "allow".into()),
                ("bytes".into(), s.bytes.to_string()),
                ("bytes_sent".into(), (s.bytes / 3).to_string()),
                ("bytes_received".into(), (s.bytes - s.bytes / 3).to_string()),
                ("packets".into(), s.packets.to_string()),
                ("elapsed".into(), s.life.to_string()),
                ("session_end_reason".into(), reason.into()),
                ("device_name".into(), host.clone()),
            ],
        );
    }
    for (s, (threat, subtype, severity, action)) in threats {
        let now = d.clock.stamp();
        d.log(
            "threat",
            vec![
                ("receive_time".into(), now.clone()),
                ("serial".into(), serial.clone()),
                ("type".into(), "THREAT".into()),
                ("subtype".into(), (*subtype).into()),
                ("time_generated".into(), now),
                ("src".into(), s.src.clone()),
                ("dst".into(), s.dst.clone()),
                ("rule".into(), s.rule.clone()),
                ("app".into(), s.app.into()),
                ("vsys".into(), "vsys1".into()),
                ("from".into(), s.from.into()),
                ("to".into(), s.to.into()),
                ("sessionid".into(), s.id.to_string()),
                ("sport".into(), s.sport.to_string()),
                ("dport".into(), s.dport.to_string()),
                ("threatid".into(), (*threat).into()),
                ("severity".into(), (*severity).into()),
                ("direction".into(), "client-to-server".into()),
                ("action".into(), (*action).into()),
                ("device_name".into(), host.clone()),
            ],
        );
    }
}

/// Log a finished job (config log for commits, system log line).
pub fn job_finished(d: &mut Device, id: u64, kind: &str, user: &str, ok: bool) {
    let now = d.clock.stamp();
    let serial = d.serial.clone();
    d.log(
        "config",
        vec![
            ("receive_time".into(), now.clone()),
            ("serial".into(), serial.clone()),
            ("type".into(), "CONFIG".into()),
            ("subtype".into(), "0".into()),
            ("time_generated".into(), now.clone()),
            ("host".into(), "127.0.0.1".into()),
            (
                "cmd".into(),
                if kind == "CommitAll" {
                    "commit-all".into()
                } else {
                    "commit".into()
                },
            ),
            ("admin".into(), user.into()),
            ("client".into(), "XML API".into()),
            (
                "result".into(),
                if ok {
                    "Succeeded".into()
                } else {
                    "Failed".into()
                },
            ),
            ("path".into(), String::new()),
            ("jobid".into(), id.to_string()),
        ],
    );
    d.log(
        "system",
        vec![
            ("receive_time".into(), now.clone()),
            ("serial".into(), serial),
            ("type".into(), "SYSTEM".into()),
            ("subtype".into(), "general".into()),
            ("time_generated".into(), now),
            ("eventid".into(), "commit".into()),
            (
                "severity".into(),
                if ok {
                    "informational".into()
                } else {
                    "high".into()
                },
            ),
            (
                "opaque".into(),
                format!(
                    "{kind} job {id} {} by {user}",
                    if ok { "succeeded" } else { "failed" }
                ),
            ),
        ],
    );
}

/// Translate a query field to a log field name.
fn field_name(f: &str) -> &str {
    match f {
        "addr.src" => "src",
        "addr.dst" => "dst",
        "port.dst" => "dport",
        "port.src" => "sport",
        "user.src" => "srcuser",
        "user.dst" => "dstuser",
        "zone.src" => "from",
        "zone.dst" => "to",
        "interface.src" => "inbound_if",
        "interface.dst" => "outbound_if",
        "app" => "app",
        other => other,
    }
}

/// Log fields a query may name (besides the `addr.src`-style aliases of [`field_name`]): the
/// PAN-OS log field names of the traffic, threat, config and system logs the simulator keeps.
const FIELDS: &[&str] = &[
    "seqno",
    "receive_time",
    "time_generated",
    "serial",
    "type",
    "subtype",
    "src",
    "dst",
    "natsrc",
    "natdst",
    "rule",
    "rule_uuid",
    "srcuser",
    "dstuser",
    "app",
    "vsys",
    "from",
    "to",
    "inbound_if",
    "outbound_if",
    "sessionid",
    "sport",
    "dport",
    "natsport",
    "natdport",
    "proto",
    "action",
    "bytes",
    "bytes_sent",
    "bytes_received",
    "packets",
    "start",
    "elapsed",
    "category",
    "session_end_reason",
    "device_name",
    "threatid",
    "severity",
    "direction",
    "host",
    "cmd",
    "admin",
    "client",
    "result",
    "path",
    "jobid",
    "eventid",
    "opaque",
    "before-change-detail",
    "after-change-detail",
];

/// Comparison operators of the query language (the Monitor tab's filter syntax).
const OPS: &[&str] = &[
    "eq", "neq", "in", "notin", "contains", "geq", "leq", "gt", "lt",
];

/// A parsed `query=` filter.
#[derive(Debug, Clone, PartialEq)]
enum Query {
    /// No filter.
    All,
    /// `(field op value)`, `field` already translated to the log field name.
    Clause(String, String, String),
    And(Box<Query>, Box<Query>),
    Or(Box<Query>, Box<Query>),
    Not(Box<Query>),
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Open,
    Close,
    Bang,
    Word(String),
}

fn tokenize(q: &str) -> Result<Vec<Tok>, String> {
    let mut out = Vec::new();
    let mut chars = q.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' => {
                chars.next();
                out.push(Tok::Open);
            }
            ')' => {
                chars.next();
                out.push(Tok::Close);
            }
            '!' => {
                chars.next();
                out.push(Tok::Bang);
            }
            '\'' | '"' => {
                chars.next();
                let mut w = String::new();
                loop {
                    match chars.next() {
                        Some(x) if x == c => break,
                        Some(x) => w.push(x),
                        None => return Err(format!("unterminated quote {c}")),
                    }
                }
                out.push(Tok::Word(w));
            }
            _ => {
                let mut w = String::new();
                while let Some(&x) = chars.peek() {
                    if x.is_whitespace() || x == '(' || x == ')' {
                        break;
                    }
                    w.push(x);
                    chars.next();
                }
                out.push(Tok::Word(w));
            }
        }
    }
    Ok(out)
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
}

impl Parser {
    fn peek(&self, n: usize) -> Option<&Tok> {
        self.toks.get(self.pos + n)
    }

    fn keyword(&self, k: &str) -> bool {
        matches!(self.peek(0), Some(Tok::Word(w)) if w.eq_ignore_ascii_case(k))
    }

    /// or-expression: and-expressions joined by `or` (`and` binds tighter).
    fn or(&mut self) -> Result<Query, String> {
        let mut q = self.and()?;
        while self.keyword("or") {
            self.pos += 1;
            q = Query::Or(Box::new(q), Box::new(self.and()?));
        }
        Ok(q)
    }

    fn and(&mut self) -> Result<Query, String> {
        let mut q = self.unary()?;
        while self.keyword("and") {
            self.pos += 1;
            q = Query::And(Box::new(q), Box::new(self.unary()?));
        }
        Ok(q)
    }

    fn unary(&mut self) -> Result<Query, String> {
        if self.peek(0) == Some(&Tok::Bang) || self.keyword("not") {
            self.pos += 1;
            return Ok(Query::Not(Box::new(self.unary()?)));
        }
        match self.peek(0) {
            Some(Tok::Open) => {
                self.pos += 1;
                // `(field op value)` or a parenthesised expression
                let is_clause = matches!(
                    (self.peek(0), self.peek(1)),
                    (Some(Tok::Word(f)), Some(Tok::Word(_)))
                        if !f.eq_ignore_ascii_case("not")
                );
                let q = if is_clause {
                    self.clause()?
                } else {
                    self.or()?
                };
                match self.peek(0) {
                    Some(Tok::Close) => {
                        self.pos += 1;
                        Ok(q)
                    }
                    Some(t) => Err(format!("expected ) but found {}", show(t))),
                    None => Err("missing )".into()),
                }
            }
            Some(Tok::Word(_)) => self.clause(),
            Some(t) => Err(format!("unexpected {}", show(t))),
            None => Err("incomplete expression".into()),
        }
    }

    fn clause(&mut self) -> Result<Query, String> {
        let (Some(Tok::Word(f)), op, val) = (self.peek(0), self.peek(1), self.peek(2)) else {
            return Err("expected a field name".into());
        };
        let f = f.clone();
        let name = field_name(&f).to_string();
        if !FIELDS.contains(&name.as_str()) {
            return Err(format!("unknown field {f}"));
        }
        let op = match op {
            Some(Tok::Word(o)) if OPS.contains(&o.to_ascii_lowercase().as_str()) => {
                o.to_ascii_lowercase()
            }
            Some(Tok::Word(o)) => return Err(format!("unknown operator {o}")),
            Some(t) => return Err(format!("expected an operator after {f}, found {}", show(t))),
            None => return Err(format!("expected an operator after {f}")),
        };
        let Some(Tok::Word(v)) = val else {
            return Err(format!("expected a value after {f} {op}"));
        };
        let v = v.clone();
        self.pos += 3;
        Ok(Query::Clause(name, op, v))
    }
}

fn show(t: &Tok) -> String {
    match t {
        Tok::Open => "(".into(),
        Tok::Close => ")".into(),
        Tok::Bang => "!".into(),
        Tok::Word(w) => w.clone(),
    }
}

/// Parse a `query=` filter; an error says where it stopped. A query that cannot be parsed is
/// refused, never taken to match every log.
fn parse_query(q: &str) -> Result<Query, String> {
    if q.trim().is_empty() {
        return Ok(Query::All);
    }
    let mut p = Parser {
        toks: tokenize(q)?,
        pos: 0,
    };
    let out = p.or()?;
    match p.peek(0) {
        None => Ok(out),
        Some(t) => Err(format!(
            "unexpected {} after a complete expression",
            show(t)
        )),
    }
}

/// An IPv4 `addr` inside `a.b.c.d[/len]`.
fn in_subnet(addr: &str, net: &str) -> Option<bool> {
    let (n, len) = net.split_once('/').unwrap_or((net, "32"));
    let a: std::net::Ipv4Addr = addr.parse().ok()?;
    let n: std::net::Ipv4Addr = n.parse().ok()?;
    let len: u32 = len.parse().ok().filter(|l| *l <= 32)?;
    let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
    Some(u32::from(a) & mask == u32::from(n) & mask)
}

fn clause_matches(e: &LogEntry, name: &str, op: &str, value: &str) -> bool {
    let seq = e.seqno.to_string();
    let v = if name == "seqno" {
        Some(seq.as_str())
    } else {
        e.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let Some(v) = v else {
        return false;
    };
    let num = |x: &str| x.parse::<f64>().ok();
    let is_in = || in_subnet(v, value).unwrap_or(v == value);
    match op {
        "eq" => v == value,
        "neq" => v != value,
        "in" => is_in(),
        "notin" => !is_in(),
        "contains" => v.contains(value),
        _ => {
            let ord = match (num(v), num(value)) {
                (Some(a), Some(b)) => a.partial_cmp(&b),
                _ => Some(v.cmp(value)),
            };
            match (op, ord) {
                ("geq", Some(o)) => o.is_ge(),
                ("leq", Some(o)) => o.is_le(),
                ("gt", Some(o)) => o.is_gt(),
                ("lt", Some(o)) => o.is_lt(),
                _ => false,
            }
        }
    }
}

fn query_matches(e: &LogEntry, q: &Query) -> bool {
    match q {
        Query::All => true,
        Query::Clause(f, op, v) => clause_matches(e, f, op, v),
        Query::And(a, b) => query_matches(e, a) && query_matches(e, b),
        Query::Or(a, b) => query_matches(e, a) || query_matches(e, b),
        Query::Not(a) => !query_matches(e, a),
    }
}

/// `type=log`: enqueue a query, or get / finish a query job.
pub fn log_request(st: &mut SimState, serial: &str, req: &Request) -> Result<String, ApiError> {
    match req.get("action") {
        Some("get") => {
            let id: u64 = req
                .get("job-id")
                .and_then(|j| j.parse().ok())
                .ok_or_else(|| ApiError::bad_request("Missing parameter \"job-id\""))?;
            let job = st
                .log_jobs
                .get(&id)
                .ok_or_else(|| ApiError::new(17, format!("job {id} not found")))?;
            let fin = st.clock.now().saturating_duration_since(job.enq) >= st.job_duration / 10;
            let tenq = st.clock.stamp();
            let mut logs = String::new();
            if fin {
                for e in &job.entries {
                    logs.push_str(&format!("<entry logid=\"{}\">", e.seqno));
                    logs.push_str(&format!("<seqno>{}</seqno>", e.seqno));
                    for (k, v) in &e.fields {
                        logs.push_str(&format!("<{k}>{}</{k}>", xml::escape(v)));
                    }
                    logs.push_str("</entry>");
                }
            }
            let count = if fin { job.entries.len() } else { 0 };
            Ok(format!(
                "<response status=\"success\"><result><job><tenq>{tenq}</tenq><tdeq>{}</tdeq><tlast>{}</tlast><status>{}</status><id>{id}</id></job><log><logs count=\"{count}\" progress=\"{}\">{logs}</logs></log></result></response>",
                &tenq[11..],
                &tenq[11..],
                if fin { "FIN" } else { "ACT" },
                if fin { 100 } else { 50 },
            ))
        }
        Some("finish") => {
            let id: u64 = req.get("job-id").and_then(|j| j.parse().ok()).unwrap_or(0);
            st.log_jobs.remove(&id);
            Ok("<response status=\"success\"><result><msg><line>job finished</line></msg></result></response>".into())
        }
        Some(other) if !other.is_empty() => Err(ApiError::bad_request(format!(
            "Illegal value for parameter \"action\" [{other}]."
        ))),
        _ => {
            let log_type = req.get("log-type").unwrap_or("traffic");
            let lt: &'static str = match log_type {
                "traffic" => "traffic",
                "threat" => "threat",
                "config" => "config",
                "system" => "system",
                "url" | "data" | "wildfire" | "hipmatch" | "auth" | "decryption" | "userid"
                | "globalprotect" | "tunnel" | "gtp" | "sctp" | "iptag" => "none",
                other => {
                    return Err(ApiError::bad_request(format!(
                        "Illegal value for parameter \"log-type\" [{other}]."
                    )));
                }
            };
            let nlogs_raw = req.get("nlogs").unwrap_or("20");
            let nlogs: i64 = nlogs_raw.parse().unwrap_or(-1);
            if !(1..=5000).contains(&nlogs) {
                return Err(ApiError::bad_request(format!(
                    "Illegal value for parameter nlogs [{nlogs_raw}]. Should be between 1 to 5000"
                )));
            }
            let skip_raw = req.get("skip").unwrap_or("0");
            let skip: usize = skip_raw.parse().map_err(|_| {
                ApiError::bad_request(format!("Illegal value for parameter skip [{skip_raw}]."))
            })?;
            let query_raw = req.get("query").unwrap_or("");
            // No public capture of the device's text for a query it cannot parse; the form
            // follows its other parameter errors ("Illegal value for parameter …").
            let query = parse_query(query_raw).map_err(|why| {
                ApiError::bad_request(format!(
                    "Illegal value for parameter \"query\" [{query_raw}]: {why}"
                ))
            })?;
            let query = &query;
            let forward = req.get("dir") == Some("forward");
            let dev = st
                .devices
                .get(serial)
                .ok_or_else(|| ApiError::new(17, "unknown device"))?;
            let mut matching: Vec<LogEntry> = dev
                .logs
                .iter()
                .filter(|e| e.log_type == lt && query_matches(e, query))
                .cloned()
                .collect();
            // Panorama also holds the traffic / threat logs its firewalls forward
            if dev.panorama && matches!(lt, "traffic" | "threat") {
                for fw in st.managed.iter().filter_map(|s| st.devices.get(s)) {
                    matching.extend(
                        fw.logs
                            .iter()
                            .filter(|e| e.log_type == lt && query_matches(e, query))
                            .cloned(),
                    );
                }
                matching.sort_by(|a, b| {
                    let t = |e: &LogEntry| {
                        e.fields
                            .iter()
                            .find(|(k, _)| k == "receive_time")
                            .map(|(_, v)| v.clone())
                            .unwrap_or_default()
                    };
                    t(a).cmp(&t(b))
                });
            }
            if !forward {
                matching.reverse();
            }
            let entries: Vec<LogEntry> = matching
                .into_iter()
                .skip(skip)
                .take(nlogs as usize)
                .collect();
            let id = st.next_log_job;
            st.next_log_job += 1;
            st.log_jobs.insert(
                id,
                LogJob {
                    entries,
                    enq: st.clock.now(),
                },
            );
            if st.log_jobs.len() > 200 {
                let oldest = st.log_jobs.keys().min().copied();
                if let Some(o) = oldest {
                    st.log_jobs.remove(&o);
                }
            }
            Ok(format!(
                "<response status=\"success\" code=\"19\"><result><msg><line>query job enqueued with jobid {id}</line></msg><job>{id}</job></result></response>"
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(fields: &[(&str, &str)]) -> LogEntry {
        LogEntry {
            seqno: 7,
            log_type: "traffic",
            fields: fields
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    fn matches(e: &LogEntry, q: &str) -> bool {
        query_matches(e, &parse_query(q).expect(q))
    }

    #[test]
    fn queries() {
        let query_matches = matches;
        let e = entry(&[("src", "10.0.0.1"), ("app", "ssl"), ("dport", "443")]);
        assert!(query_matches(&e, ""));
        assert!(query_matches(&e, "(addr.src in 10.0.0.1)"));
        assert!(query_matches(&e, "(addr.src in 10.0.0.1) and (app eq ssl)"));
        assert!(!query_matches(
            &e,
            "(addr.src in 10.0.0.2) and (app eq ssl)"
        ));
        assert!(query_matches(
            &e,
            "(addr.src in 10.0.0.2) or (port.dst eq 443)"
        ));
        assert!(query_matches(&e, "(seqno geq 5)"));
        assert!(!query_matches(&e, "(seqno gt 7)"));
    }

    #[test]
    fn grouping_negation_and_subnets() {
        let e = entry(&[("src", "10.0.0.1"), ("app", "ssl"), ("dport", "443")]);
        assert!(matches(&e, "(addr.src in 10.0.0.0/8)"));
        assert!(!matches(&e, "(addr.src notin 10.0.0.0/24)"));
        assert!(matches(
            &e,
            "((app eq dns) or (app eq ssl)) and (port.dst eq 443)"
        ));
        assert!(!matches(&e, "!(app eq ssl)"));
        assert!(matches(&e, "not (app eq dns)"));
        assert!(matches(&e, "(app eq 'ssl')"));
        // `and` binds tighter than `or`
        assert!(matches(&e, "(app eq ssl) or (app eq x) and (app eq y)"));
    }

    #[test]
    fn unparseable_queries_are_errors() {
        for (q, why) in [
            ("(addr.src in 10.0.0.1", "missing )"),
            ("(addr.src in 10.0.0.1))", "unexpected )"),
            ("(bogus eq 1)", "unknown field bogus"),
            ("(addr.src like 10.0.0.1)", "unknown operator like"),
            ("(addr.src in)", "expected a value"),
            ("(app eq 'ssl)", "unterminated quote"),
            ("(app eq ssl) and", "incomplete expression"),
            ("(app eq ssl) (app eq dns)", "after a complete expression"),
        ] {
            let err = parse_query(q).expect_err(q);
            assert!(err.contains(why), "{q}: {err}");
        }
    }
}
