//! User-ID state and `uid-message` processing.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::device::ApiError;
use crate::xml::{self, Element};

/// One IP-user mapping.
#[derive(Debug, Clone)]
pub struct Mapping {
    /// User name.
    pub user: String,
    /// Expiry (None = never).
    pub expires: Option<Instant>,
    /// Timeout given at login, in seconds (0 = never).
    pub timeout_secs: u64,
    /// vsys.
    pub vsys: String,
}

/// A tag with optional expiry.
pub type Tags = BTreeMap<String, Option<Instant>>;

/// User-ID state of one device.
#[derive(Debug, Clone, Default)]
pub struct UserIdState {
    /// ip -> mapping.
    pub mappings: BTreeMap<String, Mapping>,
    /// ip -> tags (dynamic address groups).
    pub ip_tags: BTreeMap<String, Tags>,
    /// user -> tags (dynamic user groups).
    pub user_tags: BTreeMap<String, Tags>,
    /// group -> members (source xmlapi).
    pub groups: BTreeMap<String, Vec<String>>,
}

/// Max IP-tag timeout (seconds).
pub const MAX_TAG_TIMEOUT: u64 = 2_592_000;

impl UserIdState {
    /// Drop expired mappings and tags.
    pub fn expire(&mut self, now: Instant) {
        self.mappings
            .retain(|_, m| m.expires.is_none_or(|e| e > now));
        for tags in self.ip_tags.values_mut().chain(self.user_tags.values_mut()) {
            tags.retain(|_, e| e.is_none_or(|e| e > now));
        }
        self.ip_tags.retain(|_, t| !t.is_empty());
        self.user_tags.retain(|_, t| !t.is_empty());
    }

    /// Process a uid-message. Returns Ok(response) or Err(error envelope).
    pub fn apply(&mut self, cmd: &str, vsys: &str, now: Instant) -> Result<String, ApiError> {
        let msg = xml::parse(cmd)
            .map_err(|e| ApiError::new(18, format!("Malformed uid-message: {e}")))?;
        if msg.name != "uid-message" {
            return Err(ApiError::new(
                18,
                "Malformed uid-message: root element must be <uid-message>",
            ));
        }
        let payload = msg
            .child("payload")
            .ok_or_else(|| ApiError::new(18, "Malformed uid-message: <payload> is missing"))?;
        let mut failures: Vec<Element> = Vec::new();
        // login first, then the rest in document order
        let mut sections: Vec<&Element> = payload
            .children
            .iter()
            .filter(|c| c.name == "login")
            .collect();
        sections.extend(payload.children.iter().filter(|c| c.name != "login"));
        for sect in sections {
            let mut errs = Element::new(sect.name.clone());
            match sect.name.as_str() {
                "login" => {
                    for e in sect.children.iter().filter(|c| c.name == "entry") {
                        let (Some(user), Some(ip)) = (e.attr("name"), e.attr("ip")) else {
                            errs.children
                                .push(entry_error(e, "entry requires name and ip"));
                            continue;
                        };
                        if user.trim().is_empty() {
                            errs.children.push(entry_error(e, "user name is empty"));
                            continue;
                        }
                        let Some(ip) = canonical_ip(ip) else {
                            errs.children
                                .push(entry_error(e, &format!("Invalid IP address {ip}")));
                            continue;
                        };
                        // minutes; omitted means the device default (45 min)
                        let timeout_min: u64 = match e.attr("timeout") {
                            None => 45,
                            Some(t) => match t.trim().parse() {
                                Ok(t) => t,
                                Err(_) => {
                                    errs.children
                                        .push(entry_error(e, &format!("Invalid timeout {t}")));
                                    continue;
                                }
                            },
                        };
                        self.mappings.insert(
                            ip,
                            Mapping {
                                user: user.to_string(),
                                expires: (timeout_min > 0)
                                    .then(|| expiry(now, timeout_min.saturating_mul(60))),
                                timeout_secs: timeout_min.saturating_mul(60),
                                vsys: vsys.to_string(),
                            },
                        );
                    }
                }
                "logout" => {
                    for e in sect.children.iter().filter(|c| c.name == "entry") {
                        let Some(ip) = e.attr("ip") else {
                            errs.children.push(entry_error(e, "entry requires ip"));
                            continue;
                        };
                        let Some(ip) = canonical_ip(ip) else {
                            errs.children
                                .push(entry_error(e, &format!("Invalid IP address {ip}")));
                            continue;
                        };
                        let user = e.attr("name").unwrap_or("");
                        // a logout removes the mapping only when user (if given) and vsys
                        // match; a mapping that is already gone is not an error (idempotent)
                        match self.mappings.get(&ip) {
                            Some(m)
                                if m.vsys == vsys
                                    && (user.is_empty() || m.user.eq_ignore_ascii_case(user)) =>
                            {
                                self.mappings.remove(&ip);
                            }
                            _ => {}
                        }
                    }
                }
                "register" | "unregister" => {
                    let reg = sect.name == "register";
                    for e in sect.children.iter().filter(|c| c.name == "entry") {
                        let Some(ip) = e.attr("ip") else {
                            errs.children.push(entry_error(e, "entry requires ip"));
                            continue;
                        };
                        let members: Vec<&Element> = e
                            .child("tag")
                            .map(|t| t.children.iter().filter(|c| c.name == "member").collect())
                            .unwrap_or_default();
                        if !reg && members.is_empty() {
                            // unregister all tags of the ip
                            self.ip_tags.remove(ip);
                            continue;
                        }
                        for m in members {
                            let tag = m.text_str().to_string();
                            if reg {
                                let timeout: u64 =
                                    m.attr("timeout").and_then(|t| t.parse().ok()).unwrap_or(0);
                                if timeout > MAX_TAG_TIMEOUT {
                                    errs.children.push(err_entry(e, "ip", &format!("timeout {timeout} for tag {tag} is out of range, maximum {MAX_TAG_TIMEOUT}")));
                                    continue;
                                }
                                let tags = self.ip_tags.entry(ip.to_string()).or_default();
                                if tags.contains_key(&tag) {
                                    errs.children.push(err_entry(
                                        e,
                                        "ip",
                                        &format!("tag {tag} already exists, ignore"),
                                    ));
                                }
                                tags.insert(tag, (timeout > 0).then(|| expiry(now, timeout)));
                            } else {
                                let removed = self.ip_tags.get_mut(ip).and_then(|t| t.remove(&tag));
                                if removed.is_none() {
                                    errs.children.push(err_entry(
                                        e,
                                        "ip",
                                        &format!("tag {tag} does not exist, ignore unreg"),
                                    ));
                                }
                                if self.ip_tags.get(ip).is_some_and(|t| t.is_empty()) {
                                    self.ip_tags.remove(ip);
                                }
                            }
                        }
                    }
                }
                "register-user" | "unregister-user" => {
                    let reg = sect.name == "register-user";
                    for e in sect.children.iter().filter(|c| c.name == "entry") {
                        let Some(user) = e.attr("user") else {
                            errs.children.push(entry_error(e, "entry requires user"));
                            continue;
                        };
                        let members: Vec<&Element> = e
                            .child("tag")
                            .map(|t| t.children.iter().filter(|c| c.name == "member").collect())
                            .unwrap_or_default();
                        if !reg && members.is_empty() {
                            self.user_tags.remove(user);
                            continue;
                        }
                        for m in members {
                            let tag = m.text_str().to_string();
                            if reg {
                                let timeout: u64 =
                                    m.attr("timeout").and_then(|t| t.parse().ok()).unwrap_or(0);
                                let tags = self.user_tags.entry(user.to_string()).or_default();
                                if tags.contains_key(&tag) {
                                    errs.children.push(err_entry(
                                        e,
                                        "user",
                                        &format!("tag {tag} already exists, ignore"),
                                    ));
                                }
                                tags.insert(tag, (timeout > 0).then(|| expiry(now, timeout)));
                            } else {
                                let removed =
                                    self.user_tags.get_mut(user).and_then(|t| t.remove(&tag));
                                if removed.is_none() {
                                    errs.children.push(err_entry(
                                        e,
                                        "user",
                                        &format!("tag {tag} does not exist, ignore unreg"),
                                    ));
                                }
                                if self.user_tags.get(user).is_some_and(|t| t.is_empty()) {
                                    self.user_tags.remove(user);
                                }
                            }
                        }
                    }
                }
                "groups" => {
                    for g in sect.children.iter().filter(|c| c.name == "entry") {
                        let Some(name) = g.attr("name") else {
                            errs.children.push(entry_error(g, "entry requires name"));
                            continue;
                        };
                        let members: Vec<String> = g
                            .child("members")
                            .map(|m| {
                                m.children
                                    .iter()
                                    .filter_map(|e| e.attr("name").map(str::to_string))
                                    .collect()
                            })
                            .unwrap_or_default();
                        self.groups.insert(name.to_string(), members);
                    }
                }
                other => {
                    return Err(ApiError::new(
                        18,
                        format!("Malformed uid-message: unknown payload element <{other}>"),
                    ));
                }
            }
            if !errs.children.is_empty() {
                failures.push(errs);
            }
        }
        if failures.is_empty() {
            return Ok("<response status=\"success\"><result><uid-response><version>2.0</version><payload></payload></uid-response></result></response>".into());
        }
        let mut payload = Element::new("payload");
        payload.children = failures;
        let inner = Element::new("uid-response")
            .with_text_child("version", "2.0")
            .with_child(payload);
        Err(ApiError {
            code: 0,
            lines: vec![inner.to_xml()],
            http: 200,
        })
    }

    /// Users of a group (case-insensitive match on group name).
    pub fn group_members(&self, group: &str) -> Option<&Vec<String>> {
        self.groups
            .iter()
            .find(|(g, _)| g.eq_ignore_ascii_case(group))
            .map(|(_, m)| m)
    }
}

/// `now + secs`, capped at one year so huge timeouts cannot overflow.
fn expiry(now: Instant, secs: u64) -> Instant {
    now.checked_add(Duration::from_secs(secs.min(365 * 86_400)))
        .unwrap_or(now)
}

/// The IP in the form the device stores it (so `2001:DB8::1` and `2001:db8:0::1` are one
/// mapping); `None` when it is not an IP address.
fn canonical_ip(ip: &str) -> Option<String> {
    ip.trim()
        .parse::<std::net::IpAddr>()
        .ok()
        .map(|a| a.to_string())
}

/// An error entry echoing the entry's attributes, as the device reports unusable entries.
fn entry_error(e: &Element, message: &str) -> Element {
    let mut out = Element::new("entry");
    for (k, v) in &e.attrs {
        if k != "message" {
            out = out.with_attr(k, v);
        }
    }
    out.with_attr("message", message)
}

fn err_entry(e: &Element, key: &str, message: &str) -> Element {
    Element::new("entry")
        .with_attr(key, e.attr(key).unwrap_or(""))
        .with_attr("message", message)
}

/// Render a uid error (its line is raw XML, not CDATA).
pub fn uid_error_envelope(err: &ApiError) -> String {
    format!(
        "<response status=\"error\"><msg><line>{}</line></msg></response>",
        err.lines.join("")
    )
}

fn left(e: &Option<Instant>, now: Instant) -> serde_json::Value {
    match e {
        Some(e) => serde_json::Value::from(e.saturating_duration_since(now).as_secs()),
        None => serde_json::Value::Null,
    }
}

fn tags_json(t: &Tags, now: Instant) -> serde_json::Value {
    serde_json::Value::Object(t.iter().map(|(k, e)| (k.clone(), left(e, now))).collect())
}

fn tags_from(v: &serde_json::Value, now: Instant) -> Tags {
    v.as_object()
        .map(|o| {
            o.iter()
                .map(|(k, s)| (k.clone(), s.as_u64().map(|s| expiry(now, s))))
                .collect()
        })
        .unwrap_or_default()
}

/// User-ID state as JSON (expiries as seconds left) for `--state`.
pub fn to_json(s: &UserIdState, now: Instant) -> serde_json::Value {
    serde_json::json!({
        "mappings": s.mappings.iter().map(|(ip, m)| (ip.clone(), serde_json::json!({
            "user": m.user, "left": left(&m.expires, now), "timeout": m.timeout_secs, "vsys": m.vsys,
        }))).collect::<serde_json::Map<_, _>>(),
        "ip_tags": s.ip_tags.iter().map(|(k, t)| (k.clone(), tags_json(t, now))).collect::<serde_json::Map<_, _>>(),
        "user_tags": s.user_tags.iter().map(|(k, t)| (k.clone(), tags_json(t, now))).collect::<serde_json::Map<_, _>>(),
        "groups": s.groups,
    })
}

/// Restore what [`to_json`] saved.
pub fn load_json(s: &mut UserIdState, v: &serde_json::Value, now: Instant) {
    if let Some(m) = v["mappings"].as_object() {
        for (ip, e) in m {
            let Some(user) = e["user"].as_str() else {
                continue;
            };
            s.mappings.insert(
                ip.clone(),
                Mapping {
                    user: user.to_string(),
                    expires: e["left"].as_u64().map(|l| expiry(now, l)),
                    timeout_secs: e["timeout"].as_u64().unwrap_or(0),
                    vsys: e["vsys"].as_str().unwrap_or("vsys1").to_string(),
                },
            );
        }
    }
    if let Some(m) = v["ip_tags"].as_object() {
        for (ip, t) in m {
            s.ip_tags.insert(ip.clone(), tags_from(t, now));
        }
    }
    if let Some(m) = v["user_tags"].as_object() {
        for (u, t) in m {
            s.user_tags.insert(u.clone(), tags_from(t, now));
        }
    }
    if let Some(m) = v["groups"].as_object() {
        for (g, members) in m {
            let list = members
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            s.groups.insert(g.clone(), list);
        }
    }
}

/// Evaluate a dynamic address group filter like `'a' and ('b' or 'c')` against tags.
pub fn filter_matches(filter: &str, has: &dyn Fn(&str) -> bool) -> bool {
    let toks = tokenize(filter);
    let mut p = 0usize;
    let r = or_expr(&toks, &mut p, has, 0);
    r.unwrap_or(false) && p == toks.len()
}

#[derive(Debug, PartialEq)]
enum Tok {
    Tag(String),
    And,
    Or,
    Not,
    LParen,
    RParen,
}

fn tokenize(s: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut it = s.chars().peekable();
    while let Some(&c) = it.peek() {
        match c {
            ' ' | '\t' | '\n' => {
                it.next();
            }
            '(' => {
                it.next();
                out.push(Tok::LParen);
            }
            ')' => {
                it.next();
                out.push(Tok::RParen);
            }
            '\'' | '"' => {
                it.next();
                let mut t = String::new();
                for ch in it.by_ref() {
                    if ch == c {
                        break;
                    }
                    t.push(ch);
                }
                out.push(Tok::Tag(t));
            }
            _ => {
                let mut w = String::new();
                while let Some(&ch) = it.peek() {
                    if ch.is_whitespace() || ch == '(' || ch == ')' {
                        break;
                    }
                    w.push(ch);
                    it.next();
                }
                out.push(match w.to_ascii_lowercase().as_str() {
                    "and" => Tok::And,
                    "or" => Tok::Or,
                    "not" => Tok::Not,
                    _ => Tok::Tag(w),
                });
            }
        }
    }
    out
}

fn or_expr(t: &[Tok], p: &mut usize, has: &dyn Fn(&str) -> bool, d: usize) -> Option<bool> {
    let mut v = and_expr(t, p, has, d)?;
    while t.get(*p) == Some(&Tok::Or) {
        *p += 1;
        let r = and_expr(t, p, has, d)?;
        v = v || r;
    }
    Some(v)
}

fn and_expr(t: &[Tok], p: &mut usize, has: &dyn Fn(&str) -> bool, d: usize) -> Option<bool> {
    let mut v = atom(t, p, has, d)?;
    while t.get(*p) == Some(&Tok::And) {
        *p += 1;
        let r = atom(t, p, has, d)?;
        v = v && r;
    }
    Some(v)
}

fn atom(t: &[Tok], p: &mut usize, has: &dyn Fn(&str) -> bool, d: usize) -> Option<bool> {
    if d > 32 {
        return None;
    }
    match t.get(*p)? {
        Tok::Tag(s) => {
            *p += 1;
            Some(has(s))
        }
        Tok::Not => {
            *p += 1;
            atom(t, p, has, d + 1).map(|v| !v)
        }
        Tok::LParen => {
            *p += 1;
            let v = or_expr(t, p, has, d + 1)?;
            if t.get(*p) != Some(&Tok::RParen) {
                return None;
            }
            *p += 1;
            Some(v)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn register_twice_reports_duplicate() {
        let mut s = UserIdState::default();
        let m = "<uid-message><version>1.0</version><type>update</type><payload><register><entry ip=\"10.0.0.1\"><tag><member>bad</member></tag></entry></register></payload></uid-message>";
        assert!(s.apply(m, "vsys1", Instant::now()).is_ok());
        let e = s.apply(m, "vsys1", Instant::now()).unwrap_err();
        assert!(e.lines[0].contains("already exists, ignore"));
        assert!(s.ip_tags["10.0.0.1"].contains_key("bad"));
    }

    #[test]
    fn huge_timeouts_do_not_overflow() {
        let mut s = UserIdState::default();
        let m = "<uid-message><version>1.0</version><type>update</type><payload><login><entry name='u' ip='10.0.0.9' timeout='18446744073709551615'/></login><register-user><entry user='u'><tag><member timeout='18446744073709551615'>t</member></tag></entry></register-user></payload></uid-message>";
        assert!(s.apply(m, "vsys1", Instant::now()).is_ok());
        s.expire(Instant::now());
        assert!(s.mappings.contains_key("10.0.0.9"));
    }

    #[test]
    fn filters() {
        let has = |t: &str| t == "a" || t == "b";
        assert!(filter_matches("'a' and 'b'", &has));
        assert!(!filter_matches("'a' and 'c'", &has));
        assert!(filter_matches("'c' or ('a' and not 'c')", &has));
        assert!(!filter_matches("'a' and", &has));
    }
}
