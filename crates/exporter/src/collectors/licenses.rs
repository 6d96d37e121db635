//! `request license info`: expiry per licensed feature.

use panops_panos::xml::Element;

use super::{Applies, Collector, ParseContext, ParseError, Tier, text, truthy};
use crate::metrics::{Families, labels};

/// The collector.
pub const COLLECTOR: Collector = Collector {
    name: "licenses",
    command: "<request><license><info/></license></request>",
    tier: Tier::Slow,
    applies: Applies::Both,
    parse,
};

fn parse(result: &Element, ctx: &ParseContext, out: &mut Families) -> Result<(), ParseError> {
    let list = result
        .child("licenses")
        .ok_or_else(|| ParseError("<licenses> missing".into()))?;
    for e in list.children_named("entry") {
        let Some(feature) = text(e, "feature") else {
            continue;
        };
        let l = labels([("feature", &feature)]);
        let expires = text(e, "expires").unwrap_or_default();
        let at = parse_license_date(&expires);
        let expired = match (text(e, "expired"), at) {
            (Some(x), _) => truthy(&x),
            (None, Some(t)) => f64::from(u8::from(t <= ctx.now)),
            (None, None) => 0.0,
        };
        out.gauge(
            "panos_license_expired",
            "1 when the licence has expired.",
            l.clone(),
            expired,
        );
        match at {
            Some(t) => out.gauge(
                "panos_license_expiry_timestamp_seconds",
                "When the licence expires (no series for perpetual licences).",
                l,
                t as f64,
            ),
            None if expires.eq_ignore_ascii_case("never") => out.gauge(
                "panos_license_perpetual",
                "1 for a licence that never expires.",
                l,
                1.0,
            ),
            None => {}
        }
    }
    Ok(())
}

/// `"November 01, 2027"` / `"Nov 1, 2027"` (midnight UTC; the device gives no time).
pub(crate) fn parse_license_date(s: &str) -> Option<i64> {
    let s = s.trim();
    ["%B %d, %Y", "%b %d, %Y", "%Y/%m/%d"]
        .iter()
        .find_map(|f| chrono::NaiveDate::parse_from_str(s, f).ok())
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc().timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collectors::parse_fixture;

    #[test]
    fn parses_expiry_and_never() {
        let xml = "<licenses><entry><feature>Threat Prevention</feature><expires>November 01, 2027</expires><expired>no</expired></entry><entry><feature>PA-VM</feature><expires>Never</expires><expired>no</expired></entry><entry><feature>GlobalProtect Gateway</feature><expires>Nov 1, 2025</expires><expired>yes</expired></entry></licenses>";
        let f = parse_fixture(&COLLECTOR, xml).unwrap();
        assert_eq!(
            f.value(
                "panos_license_expiry_timestamp_seconds",
                &[("feature", "Threat Prevention")]
            ),
            Some(1_825_027_200.0)
        );
        assert_eq!(
            f.value("panos_license_perpetual", &[("feature", "PA-VM")]),
            Some(1.0)
        );
        assert_eq!(
            f.value(
                "panos_license_expired",
                &[("feature", "GlobalProtect Gateway")]
            ),
            Some(1.0)
        );
    }
}
