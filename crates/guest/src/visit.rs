//! A visit (visitor IP and optional user), its validation, and batch input (CSV or NDJSON).

use std::net::{IpAddr, Ipv6Addr};

use crate::Error;

/// Largest batch input accepted (bytes): far above any real guest list, far below what would
/// hurt memory.
pub const MAX_BATCH_BYTES: usize = 16 * 1024 * 1024;

/// Most visits in one batch.
pub const MAX_BATCH_VISITS: usize = 200_000;

/// Longest user name PAN-OS User-ID takes.
const MAX_USER: usize = 255;

/// One visitor: the IP the guest network gave them and, when known, their User-ID name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Visit {
    /// The IP, in the canonical form the firewall shows.
    pub ip: IpAddr,
    /// The user name, when known (looked up from the mapping otherwise).
    pub user: Option<String>,
}

impl Visit {
    /// A validated visit. The IP must be a plain unicast address in a form PAN-OS accepts
    /// (no zone index, brackets or prefix length); the user, when given, non-empty.
    pub fn new(ip: &str, user: Option<&str>) -> Result<Self, Error> {
        let ip = parse_ip(ip)?;
        let user = match user {
            None => None,
            Some(u) => Some(check_user(u)?),
        };
        Ok(Visit { ip, user })
    }

    /// The IP as text (canonical).
    pub fn ip_text(&self) -> String {
        self.ip.to_string()
    }
}

/// Validate a user name.
pub fn check_user(u: &str) -> Result<String, Error> {
    let t = u.trim();
    if t.is_empty() {
        return Err(Error::Input("user is empty: give the visitor's User-ID name or leave --user out to use the one the firewall has".into()));
    }
    if t.chars().count() > MAX_USER {
        return Err(Error::Input(format!(
            "user is longer than {MAX_USER} characters"
        )));
    }
    if t.chars().any(|c| c.is_control()) {
        return Err(Error::Input(
            "user contains a control character (newline, tab, …)".into(),
        ));
    }
    Ok(t.to_string())
}

/// Parse and check a visitor IP.
pub fn parse_ip(raw: &str) -> Result<IpAddr, Error> {
    let t = raw.trim();
    let bad = |why: &str| Error::Input(format!("ip '{t}' {why}"));
    if t.is_empty() {
        return Err(Error::Input("ip is empty".into()));
    }
    if t.contains('%') {
        return Err(bad(
            "has a zone index (%…), which PAN-OS User-ID does not accept: give the address alone",
        ));
    }
    if t.starts_with('[') || t.contains('/') {
        return Err(bad(
            "must be a single address without brackets or prefix length",
        ));
    }
    let ip: IpAddr = t
        .parse()
        .map_err(|_| bad("is not an IPv4 or IPv6 address"))?;
    if ip.is_unspecified() || ip.is_multicast() || ip.is_loopback() {
        return Err(bad(
            "is not a unicast visitor address (unspecified, loopback or multicast)",
        ));
    }
    if let IpAddr::V4(v4) = ip
        && v4.is_broadcast()
    {
        return Err(bad("is the broadcast address"));
    }
    if let IpAddr::V6(v6) = ip
        && let Some(v4) = ipv4_mapped(&v6)
    {
        return Err(bad(&format!(
            "is an IPv4-mapped IPv6 address; PAN-OS maps the IPv4 address: use {v4}"
        )));
    }
    Ok(ip)
}

fn ipv4_mapped(v6: &Ipv6Addr) -> Option<std::net::Ipv4Addr> {
    let s = v6.segments();
    (s[..5] == [0, 0, 0, 0, 0] && s[5] == 0xffff)
        .then(|| v6.to_ipv4_mapped())
        .flatten()
}

/// One line of batch input: its 1-based line number and the visit or why it is invalid.
#[derive(Debug)]
pub struct BatchLine {
    /// 1-based line number in the input.
    pub line: usize,
    /// The visit, or the error for this line (reported, the others go on).
    pub visit: Result<Visit, String>,
}

/// Parse batch input: NDJSON (`{"ip": "…", "user": "…"}` a line) when the first non-empty
/// line starts with `{`, else CSV (`ip[,user]`, an optional header line `ip,user`). Blank
/// lines and lines starting with `#` are skipped. Errors for the whole input (too large, not
/// UTF-8) fail it; errors of one line only fail that line.
pub fn parse_batch(bytes: &[u8]) -> Result<Vec<BatchLine>, Error> {
    if bytes.len() > MAX_BATCH_BYTES {
        return Err(Error::Input(format!(
            "batch input is {} bytes, more than the {MAX_BATCH_BYTES}-byte limit: split it into several files",
            bytes.len()
        )));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
        Error::Input(format!(
            "batch input is not UTF-8 text (byte {}); save it as UTF-8 CSV or NDJSON",
            e.valid_up_to()
        ))
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let ndjson = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .is_some_and(|l| l.starts_with('{'));
    let mut out = Vec::new();
    let mut header_seen = false;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if out.len() >= MAX_BATCH_VISITS {
            return Err(Error::Input(format!(
                "batch input has more than {MAX_BATCH_VISITS} visits: split it"
            )));
        }
        let visit = if ndjson {
            ndjson_line(line)
        } else {
            if !header_seen && out.is_empty() {
                header_seen = true;
                let first = csv_fields(line);
                if first
                    .first()
                    .is_some_and(|f| f.trim().eq_ignore_ascii_case("ip"))
                {
                    continue;
                }
            }
            csv_line(line)
        };
        out.push(BatchLine { line: i + 1, visit });
    }
    Ok(out)
}

fn ndjson_line(line: &str) -> Result<Visit, String> {
    let v: serde_json::Value =
        serde_json::from_str(line).map_err(|e| format!("not a JSON object: {e}"))?;
    let obj = v.as_object().ok_or("not a JSON object")?;
    let ip = obj
        .get("ip")
        .and_then(|i| i.as_str())
        .ok_or("\"ip\" (a string) is missing")?;
    let user = match obj.get("user") {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(u)) => Some(u.as_str()),
        Some(_) => return Err("\"user\" must be a string".into()),
    };
    Visit::new(ip, user).map_err(|e| e.to_string())
}

/// CSV fields with RFC 4180 quoting (`"a,b"`, `""` for a quote).
fn csv_fields(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', true) => quoted = false,
            ('"', false) if cur.trim().is_empty() => {
                cur.clear();
                quoted = true;
            }
            (',', false) => fields.push(std::mem::take(&mut cur)),
            (c, _) => cur.push(c),
        }
    }
    fields.push(cur);
    fields
}

fn csv_line(line: &str) -> Result<Visit, String> {
    let f = csv_fields(line);
    if f.len() > 2 {
        return Err(format!("expected ip[,user], found {} fields", f.len()));
    }
    let user = f.get(1).map(|u| u.trim()).filter(|u| !u.is_empty());
    Visit::new(&f[0], user).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_forms() {
        assert_eq!(
            Visit::new("2001:DB8:0::1", None).unwrap().ip_text(),
            "2001:db8::1"
        );
        for bad in [
            "",
            "10.1.2",
            "10.1.2.300",
            "fe80::1%eth0",
            "[2001:db8::1]",
            "10.0.0.0/24",
            "::ffff:10.1.2.3",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
        ] {
            assert!(Visit::new(bad, None).is_err(), "{bad}");
        }
        assert!(Visit::new("10.1.2.3", Some("  ")).is_err());
        assert!(Visit::new("10.1.2.3", Some("a\nb")).is_err());
    }

    #[test]
    fn csv_with_header_quotes_and_bad_lines() {
        let input = b"ip,user\n10.0.0.1,guest-1\n\n# comment\n10.0.0.2\n\"10.0.0.3\",\"corp\\\\g, 3\"\n10.0.0.x,g\n1,2,3\n";
        let lines = parse_batch(input).unwrap();
        assert_eq!(lines.len(), 5);
        assert_eq!(lines[0].line, 2);
        assert_eq!(
            lines[0].visit.as_ref().unwrap().user.as_deref(),
            Some("guest-1")
        );
        assert_eq!(lines[1].visit.as_ref().unwrap().user, None);
        assert_eq!(
            lines[2].visit.as_ref().unwrap().user.as_deref(),
            Some("corp\\\\g, 3")
        );
        assert!(lines[3].visit.as_ref().unwrap_err().contains("10.0.0.x"));
        assert!(lines[4].visit.is_err());
    }

    #[test]
    fn ndjson() {
        let input = b"{\"ip\":\"10.0.0.1\",\"user\":\"g1\"}\n{\"ip\":\"10.0.0.2\"}\n{\"user\":\"x\"}\n[1]\n";
        let lines = parse_batch(input).unwrap();
        assert_eq!(lines.len(), 4);
        assert!(lines[0].visit.is_ok() && lines[1].visit.is_ok());
        assert!(lines[2].visit.as_ref().unwrap_err().contains("ip"));
        assert!(lines[3].visit.is_err());
    }

    #[test]
    fn oversized_and_binary_input_are_refused() {
        let big = vec![b'1'; MAX_BATCH_BYTES + 1];
        assert!(parse_batch(&big).unwrap_err().to_string().contains("limit"));
        assert!(parse_batch(&[0xff, 0xfe, 0x00]).is_err());
    }
}
