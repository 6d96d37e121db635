//! `show system disk-space`: `df -h` of the management plane.

use panops_panos::xml::Element;

use super::{Applies, Collector, ParseContext, ParseError, Tier, number, result_text};
use crate::metrics::{Families, labels};

/// The collector.
pub const COLLECTOR: Collector = Collector {
    name: "disk",
    command: "<show><system><disk-space/></system></show>",
    tier: Tier::Slow,
    applies: Applies::Both,
    parse,
};

fn parse(result: &Element, _ctx: &ParseContext, out: &mut Families) -> Result<(), ParseError> {
    let text = result_text(result);
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let header = lines.next().unwrap_or("");
    if !header.starts_with("Filesystem") {
        return Err(ParseError(format!(
            "expected a df header starting with Filesystem, got {:?}",
            header.chars().take(60).collect::<String>()
        )));
    }
    for line in lines {
        let cols: Vec<&str> = line.split_whitespace().collect();
        let [_fs, size, used, _avail, pct, mount] = cols.as_slice() else {
            continue;
        };
        let l = labels([("mount", mount)]);
        if let Some(p) = number(pct) {
            out.gauge(
                "panos_disk_used_ratio",
                "Share of the filesystem in use (0..1).",
                l.clone(),
                p / 100.0,
            );
        }
        if let Some(b) = human_bytes(size) {
            out.gauge("panos_disk_size_bytes", "Filesystem size.", l.clone(), b);
        }
        if let Some(b) = human_bytes(used) {
            out.gauge("panos_disk_used_bytes", "Filesystem space in use.", l, b);
        }
    }
    Ok(())
}

/// `df -h` sizes: `12G`, `5.1G`, `512M`, `800K`, `0`.
fn human_bytes(s: &str) -> Option<f64> {
    let (num, mult) = match s.chars().last()? {
        'K' => (&s[..s.len() - 1], 1024.0),
        'M' => (&s[..s.len() - 1], 1024f64.powi(2)),
        'G' => (&s[..s.len() - 1], 1024f64.powi(3)),
        'T' => (&s[..s.len() - 1], 1024f64.powi(4)),
        c if c.is_ascii_digit() => (s, 1.0),
        _ => return None,
    };
    number(num).map(|v| v * mult)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collectors::parse_fixture;

    #[test]
    fn parses_df() {
        let df = "<![CDATA[Filesystem      Size  Used Avail Use% Mounted on\n/dev/root        12G  5.1G  6.2G  46% /\n/dev/sda8        48G   11G   35G  24% /opt/panlogs\n]]>";
        let f = parse_fixture(&COLLECTOR, df).unwrap();
        assert_eq!(
            f.value("panos_disk_used_ratio", &[("mount", "/")]),
            Some(0.46)
        );
        assert_eq!(
            f.value("panos_disk_size_bytes", &[("mount", "/opt/panlogs")]),
            Some(48.0 * 1024f64.powi(3))
        );
    }
}
