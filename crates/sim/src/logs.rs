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
        "zone.src" => "from",
        "zone.dst" => "to",
        "app" => "app",
        other => other,
    }
}

/// A single `(field op value)` clause; unparseable clauses match everything.
fn clause_matches(e: &LogEntry, clause: &str) -> bool {
    let c = clause
        .trim()
        .trim_start_matches('(')
        .trim_end_matches(')')
        .trim();
    let parts: Vec<&str> = c.splitn(3, ' ').collect();
    let [field, op, value] = parts.as_slice() else {
        return true;
    };
    let value = value.trim().trim_matches('\'').trim_matches('"');
    let name = field_name(field);
    let Some(v) = e
        .fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .or_else(|| (name == "seqno").then_some(""))
    else {
        return false;
    };
    let seq = e.seqno.to_string();
    let v = if name == "seqno" { seq.as_str() } else { v };
    let num = |x: &str| x.parse::<f64>().ok();
    match *op {
        "eq" | "in" => v == value,
        "neq" | "notin" => v != value,
        "contains" => v.contains(value),
        "geq" | "leq" | "gt" | "lt" => {
            let ord = match (num(v), num(value)) {
                (Some(a), Some(b)) => a.partial_cmp(&b),
                _ => Some(v.cmp(value)),
            };
            match (*op, ord) {
                ("geq", Some(o)) => o.is_ge(),
                ("leq", Some(o)) => o.is_le(),
                ("gt", Some(o)) => o.is_gt(),
                ("lt", Some(o)) => o.is_lt(),
                _ => false,
            }
        }
        _ => true,
    }
}

fn query_matches(e: &LogEntry, q: &str) -> bool {
    if q.trim().is_empty() {
        return true;
    }
    // disjunction of conjunctions of clauses
    q.split(" or ")
        .any(|conj| conj.split(" and ").all(|c| clause_matches(e, c)))
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
            let query = req.get("query").unwrap_or("");
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

    #[test]
    fn queries() {
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
}
