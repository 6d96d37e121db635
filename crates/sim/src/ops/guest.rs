//! What a guest-access agent needs from the firewall: session listings and clears that
//! honour every filter the device takes, and the vsys scope of User-ID and session commands.

use std::net::IpAddr;

use crate::api::Request;
use crate::device::{ApiError, Device};
use crate::traffic::Session;
use crate::xml::Element;
use crate::xpath::XPath;

/// Most sessions one `show session all` answer carries; later ones are reached with the
/// `start-at` filter (the device pages its session table the same way).
pub const SESSION_PAGE: usize = 1024;

/// Names of the virtual systems in the running configuration (`vsys1` when none is listed,
/// as on a single-vsys firewall).
pub fn vsys_names(dev: &Device) -> Vec<String> {
    let mut names = Vec::new();
    if let Ok(x) = XPath::parse("/config/devices/entry/vsys/entry") {
        for p in x.select(&dev.running) {
            if let Some(name) = crate::xpath::get(&dev.running, &p).and_then(|e| e.name_attr()) {
                names.push(name.to_string());
            }
        }
    }
    if names.is_empty() {
        names.push("vsys1".into());
    }
    names
}

/// Refuse a `vsys=` the device does not have, naming those it has.
pub fn check_vsys(dev: &Device, vsys: &str) -> Result<(), ApiError> {
    let names = vsys_names(dev);
    if names.iter().any(|n| n == vsys) {
        Ok(())
    } else {
        Err(ApiError::new(
            17,
            format!(
                "vsys '{vsys}' does not exist on this device (virtual systems: {})",
                names.join(", ")
            ),
        ))
    }
}

/// The vsys a request is scoped to (`vsys=` parameter), validated.
fn request_vsys(dev: &Device, req: &Request) -> Result<Option<String>, ApiError> {
    match req.get("vsys").filter(|v| !v.is_empty()) {
        Some(v) => {
            check_vsys(dev, v)?;
            Ok(Some(v.to_string()))
        }
        None => Ok(None),
    }
}

/// A parsed `<filter>` of `show session all` / `clear session all`.
#[derive(Debug, Default)]
struct SessionFilter {
    source: Option<IpAddr>,
    destination: Option<IpAddr>,
    source_port: Option<u16>,
    destination_port: Option<u16>,
    application: Option<String>,
    protocol: Option<u8>,
    rule: Option<String>,
    from: Option<String>,
    to: Option<String>,
    state: Option<String>,
    flow_type: Option<String>,
    vsys: Option<String>,
    min_bytes: Option<u64>,
    source_user: Option<String>,
    count: bool,
    start_at: usize,
}

fn bad_value(field: &str, value: &str, what: &str) -> ApiError {
    ApiError::new(
        17,
        format!("show session all filter {field}: '{value}' is not {what}"),
    )
}

fn parse_ip(field: &str, v: &str) -> Result<IpAddr, ApiError> {
    v.parse()
        .map_err(|_| bad_value(field, v, "a valid IP address"))
}

fn parse_num<T: std::str::FromStr>(field: &str, v: &str, what: &str) -> Result<T, ApiError> {
    v.parse().map_err(|_| bad_value(field, v, what))
}

impl SessionFilter {
    fn parse(filter: Option<&Element>) -> Result<Self, ApiError> {
        let mut f = SessionFilter::default();
        let Some(el) = filter else {
            return Ok(f);
        };
        for c in &el.children {
            let v = c.text_str().trim();
            let name = c.name.as_str();
            match name {
                "source" => f.source = Some(parse_ip(name, v)?),
                "destination" => f.destination = Some(parse_ip(name, v)?),
                "source-port" => {
                    f.source_port = Some(parse_num(name, v, "a port number (0-65535)")?)
                }
                "destination-port" => {
                    f.destination_port = Some(parse_num(name, v, "a port number (0-65535)")?)
                }
                "application" => f.application = Some(v.to_string()),
                "protocol" => {
                    let p: u8 = parse_num(name, v, "an IP protocol number (1-255)")?;
                    if p == 0 {
                        return Err(bad_value(name, v, "an IP protocol number (1-255)"));
                    }
                    f.protocol = Some(p);
                }
                "rule" => f.rule = Some(v.to_string()),
                "from" => f.from = Some(v.to_string()),
                "to" => f.to = Some(v.to_string()),
                "state" => {
                    let s = v.to_ascii_lowercase();
                    if ![
                        "active", "discard", "closed", "closing", "initial", "opening",
                    ]
                    .contains(&s.as_str())
                    {
                        return Err(bad_value(
                            name,
                            v,
                            "one of active, closed, closing, discard, initial, opening",
                        ));
                    }
                    f.state = Some(s);
                }
                "type" => {
                    let t = v.to_ascii_lowercase();
                    if t != "flow" && t != "predict" {
                        return Err(bad_value(name, v, "flow or predict"));
                    }
                    f.flow_type = Some(t);
                }
                "vsys" | "vsys-name" => f.vsys = Some(v.to_string()),
                "min-kb" => {
                    let kb: u64 = parse_num(name, v, "a number of kilobytes")?;
                    f.min_bytes = Some(kb.saturating_mul(1024));
                }
                "source-user" => f.source_user = Some(v.to_string()),
                "count" => match v {
                    "yes" => f.count = true,
                    "no" => f.count = false,
                    _ => return Err(bad_value(name, v, "yes or no")),
                },
                "start-at" => {
                    let n: usize = parse_num(name, v, "a session position (1 or more)")?;
                    f.start_at = n.saturating_sub(1);
                }
                other => {
                    return Err(ApiError::new(
                        17,
                        format!("show session all filter: {other} is unexpected"),
                    ));
                }
            }
        }
        Ok(f)
    }

    fn matches(&self, s: &Session, dev: &Device) -> bool {
        let ip_eq = |want: &Option<IpAddr>, have: &str| {
            want.is_none_or(|w| have.parse::<IpAddr>().is_ok_and(|h| h == w))
        };
        ip_eq(&self.source, &s.src)
            && ip_eq(&self.destination, &s.dst)
            && self.source_port.is_none_or(|p| p == s.sport)
            && self.destination_port.is_none_or(|p| p == s.dport)
            && self.application.as_ref().is_none_or(|a| a == s.app)
            && self.protocol.is_none_or(|p| p == s.proto)
            && self.rule.as_ref().is_none_or(|r| *r == s.rule)
            && self.from.as_ref().is_none_or(|z| z == s.from)
            && self.to.as_ref().is_none_or(|z| z == s.to)
            // every modelled session is an active flow; predict sessions (ALG pinholes) do not exist
            && self.state.as_ref().is_none_or(|st| st == "active")
            && self.flow_type.as_ref().is_none_or(|t| t == "flow")
            && self.vsys.as_ref().is_none_or(|v| *v == s.vsys)
            && self.min_bytes.is_none_or(|b| s.bytes >= b)
            && self.source_user.as_ref().is_none_or(|u| {
                dev.userid
                    .mappings
                    .get(&s.src)
                    .is_some_and(|m| m.user.eq_ignore_ascii_case(u))
            })
    }
}

fn matching<'a>(
    dev: &'a Device,
    filter: &SessionFilter,
    vsys: Option<&str>,
) -> impl Iterator<Item = &'a Session> {
    let vsys = vsys.map(str::to_string);
    dev.traffic
        .sessions
        .values()
        .filter(move |s| vsys.as_ref().is_none_or(|v| *v == s.vsys) && filter.matches(s, dev))
}

/// `show session all [filter …]`: the matching sessions (a page of [`SESSION_PAGE`] from
/// `start-at`), or their number with `count yes`.
pub fn show_all(dev: &Device, all: &Element, req: &Request) -> Result<String, ApiError> {
    let vsys = request_vsys(dev, req)?;
    let mut f = SessionFilter::parse(all.child("filter"))?;
    // `show session all start-at N` pages through the table (also accepted inside the filter)
    if let Some(s) = all.child("start-at") {
        let v = s.text_str().trim();
        let n: usize = parse_num("start-at", v, "a session position (1 or more)")?;
        f.start_at = n.saturating_sub(1);
    }
    if f.count {
        let n = matching(dev, &f, vsys.as_deref()).count();
        return Ok(super::ok(&format!("<member>{n}</member>")));
    }
    let body: String = matching(dev, &f, vsys.as_deref())
        .skip(f.start_at)
        .take(SESSION_PAGE)
        .map(super::session_entry)
        .collect();
    Ok(super::ok(&body))
}

/// `clear session id N` and `clear session all [filter …]`.
pub fn clear(dev: &mut Device, el: &Element, req: &Request) -> Result<String, ApiError> {
    let sess = el.child("session").ok_or_else(|| super::unknown(el))?;
    let vsys = request_vsys(dev, req)?;
    if let Some(id) = sess.child("id") {
        let text = id.text_str().trim().trim_matches('"');
        let n: u64 = text.parse().map_err(|_| {
            ApiError::new(
                17,
                format!("clear session id: '{text}' is not a session id"),
            )
        })?;
        let in_scope = dev
            .traffic
            .sessions
            .get(&n)
            .is_some_and(|s| vsys.as_ref().is_none_or(|v| *v == s.vsys));
        return if in_scope && dev.traffic.clear(n) {
            Ok(super::ok(&format!("<member>session {n} cleared</member>")))
        } else {
            Err(ApiError::new(17, format!("session {n} not found")))
        };
    }
    if let Some(all) = sess.child("all") {
        let f = SessionFilter::parse(all.child("filter"))?;
        if f.count {
            return Err(ApiError::new(
                17,
                "clear session all filter: count is unexpected",
            ));
        }
        let ids: Vec<u64> = matching(dev, &f, vsys.as_deref()).map(|s| s.id).collect();
        let n = ids.len();
        for id in ids {
            dev.traffic.clear(id);
        }
        return Ok(super::ok(&format!("<member>{n} sessions cleared</member>")));
    }
    Err(super::unknown(el))
}
