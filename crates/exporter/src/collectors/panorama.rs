//! `show devices all` on Panorama: per managed firewall connected and in sync; and the
//! parser of `show devices connected` used to discover the estate.

use panops_panos::xml::Element;

use super::{Applies, Collector, ParseContext, ParseError, Tier, text, truthy};
use crate::metrics::{Families, labels};

/// The collector.
pub const COLLECTOR: Collector = Collector {
    name: "panorama_devices",
    command: "<show><devices><all/></devices></show>",
    tier: Tier::Fast,
    applies: Applies::Panorama,
    parse,
};

/// A firewall as Panorama lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagedDevice {
    /// Serial number (the `target=` of proxied requests).
    pub serial: String,
    /// Hostname.
    pub hostname: String,
    /// Connected to Panorama.
    pub connected: bool,
    /// Device-group policy in sync (None when the device reports no status).
    pub policy_in_sync: Option<bool>,
    /// Template in sync (None when not reported).
    pub template_in_sync: Option<bool>,
    /// Model.
    pub model: String,
    /// Software version.
    pub sw_version: String,
}

/// Parse the `<result>` of `show devices all|connected`.
pub fn parse_devices(result: &Element) -> Result<Vec<ManagedDevice>, ParseError> {
    let list = result
        .child("devices")
        .ok_or_else(|| ParseError("<devices> missing".into()))?;
    let mut out = Vec::new();
    for e in list.children_named("entry") {
        let Some(serial) = text(e, "serial").or_else(|| e.attr("name").map(str::to_owned)) else {
            continue;
        };
        let sync = |s: String| s.eq_ignore_ascii_case("in sync");
        // one status per vsys; in sync only when every vsys is
        let statuses: Vec<bool> = e
            .find_all("vsys/entry/shared-policy-status")
            .into_iter()
            .map(|s| sync(s.deep_text()))
            .collect();
        out.push(ManagedDevice {
            hostname: text(e, "hostname").unwrap_or_default(),
            connected: text(e, "connected").is_some_and(|c| truthy(&c) == 1.0),
            policy_in_sync: (!statuses.is_empty()).then(|| statuses.iter().all(|s| *s)),
            template_in_sync: text(e, "template-status").map(sync),
            model: text(e, "model").unwrap_or_default(),
            sw_version: text(e, "sw-version").unwrap_or_default(),
            serial,
        });
    }
    Ok(out)
}

fn parse(result: &Element, _ctx: &ParseContext, out: &mut Families) -> Result<(), ParseError> {
    let devices = parse_devices(result)?;
    out.gauge(
        "panos_panorama_devices",
        "Firewalls managed by this Panorama.",
        vec![],
        devices.len() as f64,
    );
    for d in devices {
        out.gauge(
            "panos_panorama_device_connected",
            "1 when the managed firewall is connected to Panorama.",
            labels([
                ("serial", &d.serial),
                ("hostname", &d.hostname),
                ("model", &d.model),
                ("sw_version", &d.sw_version),
            ]),
            if d.connected { 1.0 } else { 0.0 },
        );
        for (kind, v) in [
            ("device_group", d.policy_in_sync),
            ("template", d.template_in_sync),
        ] {
            if let Some(v) = v {
                out.gauge(
                    "panos_panorama_device_in_sync",
                    "1 when the firewall has the device-group policy / template Panorama has.",
                    labels([("serial", &d.serial), ("kind", kind)]),
                    if v { 1.0 } else { 0.0 },
                );
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collectors::parse_fixture;

    #[test]
    fn parses_devices() {
        let xml = "<devices><entry name=\"007\"><serial>007</serial><connected>yes</connected><hostname>fw-a</hostname><vsys><entry name=\"vsys1\"><shared-policy-status>In Sync</shared-policy-status></entry></vsys></entry><entry name=\"008\"><serial>008</serial><connected>no</connected><hostname>fw-b</hostname><vsys><entry name=\"vsys1\"><shared-policy-status>Out of Sync</shared-policy-status></entry></vsys><template-status>In Sync</template-status></entry></devices>";
        let f = parse_fixture(&COLLECTOR, xml).unwrap();
        assert_eq!(
            f.value("panos_panorama_device_connected", &[("serial", "008")]),
            Some(0.0)
        );
        assert_eq!(
            f.value(
                "panos_panorama_device_in_sync",
                &[("serial", "007"), ("kind", "device_group")]
            ),
            Some(1.0)
        );
        assert_eq!(
            f.value(
                "panos_panorama_device_in_sync",
                &[("serial", "008"), ("kind", "device_group")]
            ),
            Some(0.0)
        );
        assert_eq!(
            f.value(
                "panos_panorama_device_in_sync",
                &[("serial", "008"), ("kind", "template")]
            ),
            Some(1.0)
        );
    }
}
