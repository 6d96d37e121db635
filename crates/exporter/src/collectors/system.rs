//! `show system info`: identity, uptime, software and content versions.

use panops_panos::xml::Element;

use super::{Applies, Collector, ParseContext, ParseError, Tier, need, text};
use crate::metrics::{Families, labels};

/// The collector.
pub const COLLECTOR: Collector = Collector {
    name: "system",
    command: "<show><system><info/></system></show>",
    tier: Tier::Slow,
    applies: Applies::Both,
    parse,
};

/// Content packages: (label, version element, release-date element).
const PACKAGES: &[(&str, &str, &str)] = &[
    ("app", "app-version", "app-release-date"),
    ("threat", "threat-version", "threat-release-date"),
    ("antivirus", "av-version", "av-release-date"),
    ("wildfire", "wildfire-version", "wildfire-release-date"),
    ("url", "url-filtering-version", "url-filtering-release-date"),
    (
        "device_dictionary",
        "device-dictionary-version",
        "device-dictionary-release-date",
    ),
];

fn parse(result: &Element, _ctx: &ParseContext, out: &mut Families) -> Result<(), ParseError> {
    let sys = result
        .child("system")
        .ok_or_else(|| ParseError("<system> missing".into()))?;
    let serial = need(sys, "serial")?;
    let g = |p: &str| text(sys, p).unwrap_or_default();
    out.gauge(
        "panos_system_info",
        "Device identity; the value is always 1.",
        labels([
            ("hostname", &g("hostname")),
            ("model", &g("model")),
            ("serial", &serial),
            ("sw_version", &g("sw-version")),
            ("family", &g("family")),
            ("multi_vsys", &g("multi-vsys")),
            ("operational_mode", &g("operational-mode")),
        ]),
        1.0,
    );
    if let Some(up) = text(sys, "uptime").and_then(|u| parse_uptime(&u)) {
        out.gauge(
            "panos_system_uptime_seconds",
            "Time since the management plane started.",
            vec![],
            up,
        );
    }
    for (pkg, ver, date) in PACKAGES {
        let Some(v) = text(sys, ver) else { continue };
        out.gauge(
            "panos_content_version_info",
            "Installed content package version; the value is always 1.",
            labels([("package", pkg), ("version", &v)]),
            1.0,
        );
        if let Some(ts) = text(sys, date).and_then(|d| parse_release_date(&d)) {
            out.gauge(
                "panos_content_release_timestamp_seconds",
                "Release time of the installed content package.",
                labels([("package", pkg)]),
                ts as f64,
            );
        }
    }
    if let Some(s) = text(sys, "device-certificate-status") {
        out.gauge(
            "panos_device_certificate_valid",
            "1 when the device certificate status is Valid.",
            vec![],
            if s.eq_ignore_ascii_case("valid") {
                1.0
            } else {
                0.0
            },
        );
    }
    Ok(())
}

/// `"12 days, 3:04:05"` or `"0 days, 00:10:00"` to seconds.
pub(crate) fn parse_uptime(s: &str) -> Option<f64> {
    let (days, rest) = match s.split_once("day") {
        Some((d, r)) => (
            d.trim().parse::<f64>().ok()?,
            r.trim_start_matches('s').trim_start_matches(',').trim(),
        ),
        None => (0.0, s.trim()),
    };
    let parts: Vec<f64> = rest
        .split(':')
        .map(|p| p.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .ok()?;
    let hms = match parts.as_slice() {
        [h, m, s] => h * 3600.0 + m * 60.0 + s,
        [m, s] => m * 60.0 + s,
        _ => return None,
    };
    Some(days * 86_400.0 + hms)
}

/// `"2026/11/01 12:00:00 UTC"` (the time zone is the device's; UTC/GMT and numeric
/// offsets are honoured, other zone names are read as UTC).
pub(crate) fn parse_release_date(s: &str) -> Option<i64> {
    let s = s.trim();
    let mut parts = s.splitn(3, ' ');
    let date = parts.next()?;
    let time = parts.next()?;
    let naive =
        chrono::NaiveDateTime::parse_from_str(&format!("{date} {time}"), "%Y/%m/%d %H:%M:%S")
            .ok()?;
    let offset = match parts.next().map(str::trim) {
        Some(z) if z.starts_with('+') || z.starts_with('-') => {
            chrono::DateTime::parse_from_str(&format!("{date} {time} {z}"), "%Y/%m/%d %H:%M:%S %z")
                .ok()
                .map(|d| d.timestamp())
        }
        _ => None,
    };
    Some(offset.unwrap_or_else(|| naive.and_utc().timestamp()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collectors::parse_fixture;

    const INFO: &str = "<system><hostname>fw1</hostname><uptime>2 days, 3:04:05</uptime><model>PA-440</model><serial>012345678901</serial><sw-version>11.1.2</sw-version><family>400</family><app-version>8841-8997</app-version><app-release-date>2026/11/01 12:00:00 UTC</app-release-date><av-version>5012-5532</av-version><av-release-date>2026/11/20 08:00:00 +0100</av-release-date><threat-version>8841-8997</threat-version><threat-release-date></threat-release-date><multi-vsys>off</multi-vsys><operational-mode>normal</operational-mode><device-certificate-status>Valid</device-certificate-status></system>";

    #[test]
    fn parses_identity_uptime_and_content() {
        let f = parse_fixture(&COLLECTOR, INFO).unwrap();
        assert_eq!(
            f.value(
                "panos_system_info",
                &[("model", "PA-440"), ("serial", "012345678901")]
            ),
            Some(1.0)
        );
        assert_eq!(
            f.value("panos_system_uptime_seconds", &[]),
            Some(2.0 * 86400.0 + 3.0 * 3600.0 + 245.0)
        );
        assert_eq!(
            f.value(
                "panos_content_release_timestamp_seconds",
                &[("package", "app")]
            ),
            Some(1_793_534_400.0)
        );
        // +0100 is an hour before the same wall time in UTC
        assert_eq!(
            f.value(
                "panos_content_release_timestamp_seconds",
                &[("package", "antivirus")]
            ),
            Some(1_795_161_600.0 - 3600.0)
        );
        // an empty release date gives a version but no timestamp
        assert!(
            f.value("panos_content_version_info", &[("package", "threat")])
                .is_some()
        );
        assert!(
            f.value(
                "panos_content_release_timestamp_seconds",
                &[("package", "threat")]
            )
            .is_none()
        );
    }

    #[test]
    fn uptime_forms() {
        assert_eq!(parse_uptime("0 days, 0:10:00"), Some(600.0));
        assert_eq!(parse_uptime("1 day, 01:00:01"), Some(90_001.0));
        assert_eq!(parse_uptime("garbage"), None);
    }

    #[test]
    fn missing_serial_fails() {
        assert!(parse_fixture(&COLLECTOR, "<system><hostname>x</hostname></system>").is_err());
    }
}
