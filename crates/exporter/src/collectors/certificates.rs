//! `show sslmgr-store config-certificate-info`: every configured certificate with its
//! expiry, as the text blocks the device prints (`db-name:`, `db-exp-date:`, …).

use panops_panos::xml::Element;

use super::{Applies, Collector, ParseContext, ParseError, Tier, result_text};
use crate::metrics::{Families, labels};

/// The collector.
pub const COLLECTOR: Collector = Collector {
    name: "certificates",
    command: "<show><sslmgr-store><config-certificate-info/></sslmgr-store></show>",
    tier: Tier::Slow,
    applies: Applies::Both,
    parse,
};

/// One certificate block.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct CertRecord {
    pub fields: Vec<(String, String)>,
}

impl CertRecord {
    fn get(&self, k: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(f, _)| f == k)
            .map(|(_, v)| v.as_str())
    }
}

/// Split the text into records: a key seen again starts the next certificate, so the
/// parser does not depend on blank lines or on the order of keys (which vary by release).
pub(crate) fn records(text: &str) -> Vec<CertRecord> {
    let mut out = Vec::new();
    let mut cur = CertRecord::default();
    for line in text.lines() {
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        let k = k.trim().to_ascii_lowercase();
        if k.is_empty() || k.contains(' ') {
            continue;
        }
        if cur.get(&k).is_some() {
            out.push(std::mem::take(&mut cur));
        }
        cur.fields.push((k, v.trim().to_owned()));
    }
    if !cur.fields.is_empty() {
        out.push(cur);
    }
    out
}

/// `db-exp-date: 310301183543Z (Mar  1 18:35:43 2031 GMT)` → Unix seconds.
pub(crate) fn parse_asn1_time(v: &str) -> Option<i64> {
    let t = v.split_whitespace().next()?.trim_end_matches('Z');
    let fmt = if t.len() == 14 {
        "%Y%m%d%H%M%S"
    } else {
        "%y%m%d%H%M%S"
    };
    chrono::NaiveDateTime::parse_from_str(t, fmt)
        .ok()
        .map(|d| d.and_utc().timestamp())
}

/// `/C=US/O=Example/CN=www.example.com` or `CN = x, O = y` → the CN.
fn common_name(subject: &str) -> String {
    subject
        .split(['/', ','])
        .filter_map(|p| p.split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("cn"))
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_default()
}

fn parse(result: &Element, _ctx: &ParseContext, out: &mut Families) -> Result<(), ParseError> {
    if let Some(e) = result.elements().next() {
        return Err(ParseError(format!(
            "expected text, got the element <{}>",
            e.name
        )));
    }
    let text = result_text(result);
    let recs = records(&text);
    if recs.is_empty() && !text.trim().is_empty() {
        return Err(ParseError(
            "no `key: value` certificate records in the reply".into(),
        ));
    }
    for r in recs {
        let Some(name) = r.get("db-name").filter(|n| !n.is_empty()) else {
            continue;
        };
        // vsys certificates are listed as "vsys1/name"; the rest are shared
        let (scope, short) = match name.split_once('/') {
            Some((s, n)) if !s.is_empty() => (s, n),
            _ => ("shared", name),
        };
        let l = labels([
            ("name", short),
            ("scope", scope),
            ("subject_cn", &common_name(r.get("subject").unwrap_or(""))),
            ("issuer", r.get("issuer").unwrap_or("")),
        ]);
        if let Some(t) = r.get("db-exp-date").and_then(parse_asn1_time) {
            out.gauge(
                "panos_certificate_not_after_timestamp_seconds",
                "When the certificate expires.",
                l,
                t as f64,
            );
        }
        if let Some(s) = r.get("db-status") {
            let s = match s.to_ascii_lowercase().as_str() {
                "v" | "valid" => "valid",
                "e" | "expired" => "expired",
                "r" | "revoked" => "revoked",
                _ => "unknown",
            };
            out.state(
                "panos_certificate_status",
                "Certificate status from the device.",
                labels([("name", short), ("scope", scope)]),
                &["valid", "expired", "revoked"],
                s,
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collectors::parse_fixture;

    #[test]
    fn parses_blocks_in_any_order() {
        let text = "<![CDATA[\nSubject-hash: 1a2b\nIssuer: /CN=Root \"CA\"\nSubject: /O=Ex/CN=www.example.com\ndb-name: web-cert\ndb-exp-date: 310301183543Z (Mar  1 18:35:43 2031 GMT)\ndb-status: valid\n\ndb-name: vsys1/old\ndb-status: E\ndb-exp-date: 20200101000000Z\nSubject: CN = old.example\n]]>";
        let f = parse_fixture(&COLLECTOR, text).unwrap();
        assert_eq!(
            f.value(
                "panos_certificate_not_after_timestamp_seconds",
                &[
                    ("name", "web-cert"),
                    ("subject_cn", "www.example.com"),
                    ("scope", "shared")
                ]
            ),
            Some(1_930_156_543.0)
        );
        assert_eq!(
            f.value(
                "panos_certificate_not_after_timestamp_seconds",
                &[
                    ("name", "old"),
                    ("scope", "vsys1"),
                    ("subject_cn", "old.example")
                ]
            ),
            Some(1_577_836_800.0)
        );
        assert_eq!(
            f.value(
                "panos_certificate_status",
                &[("name", "old"), ("state", "expired")]
            ),
            Some(1.0)
        );
        // the quote in the issuer survives into a valid exposition
        assert!(f.encode().contains("issuer=\"/CN=Root \\\"CA\\\"\""));
    }

    #[test]
    fn empty_store_is_no_error() {
        assert_eq!(parse_fixture(&COLLECTOR, "").unwrap().series_count(), 0);
    }
}
