//! `show system resources`: the management plane's `top` header (load, CPU, memory, swap).

use panops_panos::xml::Element;

use super::{Applies, Collector, ParseContext, ParseError, Tier, number, result_text};
use crate::metrics::{Families, labels};

/// The collector.
pub const COLLECTOR: Collector = Collector {
    name: "resources",
    command: "<show><system><resources/></system></show>",
    tier: Tier::Fast,
    applies: Applies::Both,
    parse,
};

fn parse(result: &Element, _ctx: &ParseContext, out: &mut Families) -> Result<(), ParseError> {
    let text = result_text(result);
    let mut found = false;
    for line in text.lines() {
        let line = line.trim();
        if let Some(rest) = line.split("load average:").nth(1) {
            for (w, v) in ["1m", "5m", "15m"].iter().zip(rest.split(',')) {
                if let Some(v) = number(v) {
                    found = true;
                    out.gauge(
                        "panos_mgmt_load_average",
                        "Management plane load average.",
                        labels([("window", w)]),
                        v,
                    );
                }
            }
        } else if let Some(rest) = line.strip_prefix("%Cpu(s):") {
            for (v, mode) in pairs(rest) {
                let mode = match mode.as_str() {
                    "us" => "user",
                    "sy" => "system",
                    "ni" => "nice",
                    "id" => "idle",
                    "wa" => "iowait",
                    "hi" => "irq",
                    "si" => "softirq",
                    "st" => "steal",
                    _ => continue,
                };
                found = true;
                out.gauge(
                    "panos_mgmt_cpu_ratio",
                    "Management plane CPU time share by mode (0..1).",
                    labels([("mode", mode)]),
                    v / 100.0,
                );
            }
        } else if let Some((unit, rest)) = memory_line(line, "Mem") {
            found = true;
            for (v, state) in pairs(rest) {
                let state = match state.as_str() {
                    "total" | "free" | "used" => state,
                    "buff/cache" => "buffers_cache".into(),
                    _ => continue,
                };
                out.gauge(
                    "panos_mgmt_memory_bytes",
                    "Management plane memory by state.",
                    labels([("state", &state)]),
                    v * unit,
                );
            }
        } else if let Some((unit, rest)) = memory_line(line, "Swap") {
            found = true;
            // "0 used.  1776536 avail Mem": the avail figure belongs to memory
            let (swap, avail) = rest.split_once('.').unwrap_or((rest, ""));
            for (v, state) in pairs(swap) {
                if matches!(state.as_str(), "total" | "free" | "used") {
                    out.gauge(
                        "panos_mgmt_swap_bytes",
                        "Management plane swap by state.",
                        labels([("state", &state)]),
                        v * unit,
                    );
                }
            }
            if let Some((v, _)) = pairs(avail).into_iter().find(|(_, w)| w == "avail") {
                out.gauge(
                    "panos_mgmt_memory_bytes",
                    "Management plane memory by state.",
                    labels([("state", "available")]),
                    v * unit,
                );
            }
        }
    }
    if found {
        Ok(())
    } else {
        Err(ParseError(
            "no top header (load average, %Cpu(s), Mem) in the reply".into(),
        ))
    }
}

/// `KiB Mem :` / `MiB Mem :` / `GiB Swap:` → (bytes per unit, rest after the colon).
fn memory_line<'a>(line: &'a str, what: &str) -> Option<(f64, &'a str)> {
    let (head, rest) = line.split_once(':')?;
    let mut words = head.split_whitespace();
    let unit = match words.next()? {
        "KiB" => 1024.0,
        "MiB" => 1024.0 * 1024.0,
        "GiB" => 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    };
    (words.next()? == what).then_some((unit, rest))
}

/// `" 1.2 us,  3.4 sy"` → [(1.2, "us"), (3.4, "sy")].
fn pairs(s: &str) -> Vec<(f64, String)> {
    s.split(',')
        .filter_map(|p| {
            let mut w = p.split_whitespace();
            let v = number(w.next()?)?;
            Some((v, w.next()?.to_owned()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collectors::parse_fixture;

    #[test]
    fn parses_top_header_kib() {
        let top = "<![CDATA[top - 10:00:00 up 3 days,  1:02,  0 users,  load average: 0.52, 0.40, 0.31\nTasks: 151 total\n%Cpu(s):  5.0 us,  1.2 sy,  0.0 ni, 93.0 id,  0.3 wa,  0.0 hi,  0.5 si,  0.0 st\nKiB Mem :  6677904 total,   831792 free,  4201148 used,  1644964 buff/cache\nKiB Swap:  1000 total,  900 free,  100 used.  1776536 avail Mem\n]]>";
        let f = parse_fixture(&COLLECTOR, top).unwrap();
        assert_eq!(
            f.value("panos_mgmt_load_average", &[("window", "5m")]),
            Some(0.40)
        );
        assert_eq!(
            f.value("panos_mgmt_cpu_ratio", &[("mode", "idle")]),
            Some(0.93)
        );
        assert_eq!(
            f.value("panos_mgmt_memory_bytes", &[("state", "total")]),
            Some(6_677_904.0 * 1024.0)
        );
        assert_eq!(
            f.value("panos_mgmt_memory_bytes", &[("state", "available")]),
            Some(1_776_536.0 * 1024.0)
        );
        assert_eq!(
            f.value("panos_mgmt_swap_bytes", &[("state", "used")]),
            Some(102_400.0)
        );
    }

    #[test]
    fn parses_mib_form_of_newer_top() {
        let top = "<![CDATA[MiB Mem :   5966.3 total,    500.0 free,   4000.0 used,   1466.3 buff/cache\n]]>";
        let f = parse_fixture(&COLLECTOR, top).unwrap();
        assert_eq!(
            f.value("panos_mgmt_memory_bytes", &[("state", "free")]),
            Some(500.0 * 1048576.0)
        );
    }
}
