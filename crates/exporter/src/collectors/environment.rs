//! `show system environmentals`: temperatures, fans, voltages, power supplies, alarms.

use panops_panos::xml::Element;

use super::{Applies, Collector, ParseContext, ParseError, Tier, number, text, truthy};
use crate::metrics::{Families, labels};

/// The collector.
pub const COLLECTOR: Collector = Collector {
    name: "environment",
    command: "<show><system><environmentals/></system></show>",
    tier: Tier::Slow,
    applies: Applies::Firewall,
    parse,
};

/// Entries of `<part><SlotN><entry>…`, with their slot.
fn entries<'a>(result: &'a Element, part: &str) -> Vec<(String, &'a Element)> {
    result
        .child(part)
        .into_iter()
        .flat_map(|p| p.elements())
        .flat_map(|slot| {
            slot.children_named("entry")
                .map(move |e| (text(e, "slot").unwrap_or_else(|| slot.name.clone()), e))
        })
        .collect()
}

fn parse(result: &Element, _ctx: &ParseContext, out: &mut Families) -> Result<(), ParseError> {
    let parts = ["thermal", "fan", "power", "power-supply"];
    if !parts.iter().any(|p| result.child(p).is_some()) {
        return Err(ParseError(
            "none of <thermal>, <fan>, <power>, <power-supply> in the reply".into(),
        ));
    }
    let alarm = |out: &mut Families, component: &str, slot: &str, desc: &str, e: &Element| {
        if let Some(a) = text(e, "alarm") {
            out.gauge(
                "panos_environment_alarm",
                "1 when the sensor is in alarm.",
                labels([("component", component), ("slot", slot), ("sensor", desc)]),
                truthy(&a),
            );
        }
    };
    for (slot, e) in entries(result, "thermal") {
        let desc = text(e, "description").unwrap_or_default();
        if let Some(v) = text(e, "DegreesC").and_then(|v| number(&v)) {
            out.gauge(
                "panos_temperature_celsius",
                "Temperature sensor reading.",
                labels([("slot", &slot), ("sensor", &desc)]),
                v,
            );
        }
        alarm(out, "thermal", &slot, &desc, e);
    }
    for (slot, e) in entries(result, "fan") {
        let desc = text(e, "description").unwrap_or_default();
        if let Some(v) = text(e, "RPMs").and_then(|v| number(&v)) {
            out.gauge(
                "panos_fan_rpm",
                "Fan speed in revolutions per minute.",
                labels([("slot", &slot), ("fan", &desc)]),
                v,
            );
        }
        alarm(out, "fan", &slot, &desc, e);
    }
    for (slot, e) in entries(result, "power") {
        let desc = text(e, "description").unwrap_or_default();
        if let Some(v) = text(e, "Volts").and_then(|v| number(&v)) {
            out.gauge(
                "panos_voltage_volts",
                "Voltage rail reading.",
                labels([("slot", &slot), ("sensor", &desc)]),
                v,
            );
        }
        alarm(out, "power", &slot, &desc, e);
    }
    for (slot, e) in entries(result, "power-supply") {
        let desc = text(e, "description").unwrap_or_default();
        if let Some(v) = text(e, "Inserted") {
            out.gauge(
                "panos_power_supply_present",
                "1 when the power supply is inserted.",
                labels([("slot", &slot), ("psu", &desc)]),
                truthy(&v),
            );
        }
        alarm(out, "power-supply", &slot, &desc, e);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collectors::parse_fixture;

    #[test]
    fn parses_all_parts() {
        let xml = "<thermal><Slot1><entry><slot>1</slot><description>Temperature @ CPU</description><alarm>False</alarm><DegreesC>48.5</DegreesC></entry></Slot1></thermal><fan><Slot1><entry><slot>1</slot><description>Fan #1 RPM</description><alarm>True</alarm><RPMs>0</RPMs></entry></Slot1></fan><power><Slot1><entry><slot>1</slot><description>Power: 12V</description><alarm>False</alarm><Volts>11.9</Volts></entry></Slot1></power><power-supply><Slot1><entry><slot>1</slot><description>Power Supply #2 (right)</description><alarm>True</alarm><Inserted>False</Inserted></entry></Slot1></power-supply>";
        let f = parse_fixture(&COLLECTOR, xml).unwrap();
        assert_eq!(
            f.value(
                "panos_temperature_celsius",
                &[("sensor", "Temperature @ CPU")]
            ),
            Some(48.5)
        );
        assert_eq!(
            f.value("panos_environment_alarm", &[("component", "fan")]),
            Some(1.0)
        );
        assert_eq!(f.value("panos_power_supply_present", &[]), Some(0.0));
        assert_eq!(f.value("panos_voltage_volts", &[]), Some(11.9));
    }

    #[test]
    fn one_part_only() {
        let xml = "<fan><Slot1><entry><slot>1</slot><description>Fan #1 RPM</description><alarm>False</alarm><RPMs>4000</RPMs></entry></Slot1></fan>";
        let f = parse_fixture(&COLLECTOR, xml).unwrap();
        assert_eq!(f.value("panos_fan_rpm", &[]), Some(4000.0));
        assert!(f.get("panos_temperature_celsius").is_none());
    }
}
