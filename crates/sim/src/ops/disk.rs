//! `show system disk-space`: the management plane's `df -h`, with usage that follows state.
//!
//! The layout is the PA-VM's partition table (root, /dev, /opt/pancfg, /opt/panrepo,
//! /dev/shm, /cgroup, /opt/panlogs) in GNU `df -h` text, which clients split on whitespace:
//! pan-os-upgrade-assurance's `get_disk_utilization` reads the Avail column and its unit
//! suffix (G/M/K), the exporter reads Size, Used, Use% and the mount point. What moves it:
//! the logs the device keeps (/opt/panlogs), the configuration it stores (/opt/pancfg), images
//! and content downloaded into /opt/panrepo ([`Disk::repo`]), and the control endpoint
//! (`"disk": {"mount": "/opt/panlogs", "used_bytes": N}` sets the usage now; later growth
//! adds to it).

use std::collections::BTreeMap;

use crate::device::Device;

const K: u64 = 1024;
const M: u64 = K * K;
const G: u64 = M * K;

/// On-disk footprint of one log record with its share of the log database indexes.
pub const LOG_BYTES: u64 = 2 * K;

/// What moves a partition's usage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Grows {
    /// Fixed (system files).
    Fixed,
    /// The logs the device holds.
    Logs,
    /// The running and candidate configuration.
    Config,
    /// Downloaded software images and content.
    Repo,
}

/// (filesystem, mount, size, used at factory state, reserved for root, what grows it).
const PARTITIONS: &[(&str, &str, u64, u64, bool, Grows)] = &[
    ("/dev/root", "/", 6_900 * M, 4_900 * M, true, Grows::Fixed),
    ("none", "/dev", 3_900 * M, 60 * K, false, Grows::Fixed),
    (
        "/dev/sda5",
        "/opt/pancfg",
        16 * G,
        3_400 * M,
        true,
        Grows::Config,
    ),
    (
        "/dev/sda6",
        "/opt/panrepo",
        7_900 * M,
        2_400 * M,
        true,
        Grows::Repo,
    ),
    (
        "tmpfs",
        "/dev/shm",
        3_900 * M,
        1_100 * M,
        false,
        Grows::Fixed,
    ),
    ("cgroup_root", "/cgroup", 3_900 * M, 0, false, Grows::Fixed),
    (
        "/dev/sda8",
        "/opt/panlogs",
        40 * G,
        3_200 * M,
        true,
        Grows::Logs,
    ),
];

/// Disk state of one device beyond what follows from its logs and configuration.
#[derive(Debug, Clone, Default)]
pub struct Disk {
    /// Bytes in /opt/panrepo beyond the factory state and the downloads (none today; a
    /// hook for files that arrive otherwise, e.g. uploaded images).
    pub repo: u64,
    /// Software images and content fetched by `request … download` (see
    /// [`super::downloads`]); each counts once its job has finished.
    pub downloads: Vec<super::downloads::Download>,
    /// Usage set through the control endpoint, by mount: the bytes set minus what the
    /// growing part accounted for at that moment (so later growth adds to it).
    pub set: BTreeMap<String, i128>,
}

fn growth(dev: &Device, g: Grows) -> u64 {
    match g {
        Grows::Fixed => 0,
        // the logs kept, not all ever written: the oldest are purged at the quota as on the
        // device, so the partition levels off instead of filling
        Grows::Logs => dev.logs.len() as u64 * LOG_BYTES,
        Grows::Config => (dev.running.to_xml().len() + dev.candidate.to_xml().len()) as u64,
        Grows::Repo => dev.monitor.disk.repo + super::downloads::repo_bytes(dev),
    }
}

/// (filesystem, mount, size, used, available) of every partition now.
fn usage(dev: &Device) -> Vec<(&'static str, &'static str, u64, u64, u64)> {
    PARTITIONS
        .iter()
        .map(|&(fs, mount, size, base, reserved, g)| {
            let grown = growth(dev, g);
            let used = match dev.monitor.disk.set.get(mount) {
                Some(off) => (off + i128::from(grown)).clamp(0, i128::from(size)) as u64,
                None => base.saturating_add(grown),
            };
            // ext filesystems keep 5% for root: Size is more than Used + Avail
            let usable = if reserved { size - size / 20 } else { size };
            let used = used.min(usable);
            (fs, mount, size, used, usable - used)
        })
        .collect()
}

/// Set the usage of `mount` to `bytes` now (the control endpoint).
pub fn set_used(dev: &mut Device, mount: &str, bytes: u64) -> Result<(), String> {
    let &(_, _, size, _, _, g) = PARTITIONS.iter().find(|p| p.1 == mount).ok_or_else(|| {
        format!(
            "disk.mount: no partition {mount} (one of {})",
            PARTITIONS
                .iter()
                .map(|p| p.1)
                .collect::<Vec<_>>()
                .join(", ")
        )
    })?;
    if bytes > size {
        return Err(format!(
            "disk.used_bytes: {bytes} is more than the size of {mount} ({size})"
        ));
    }
    let off = i128::from(bytes) - i128::from(growth(dev, g));
    dev.monitor.disk.set.insert(mount.to_string(), off);
    Ok(())
}

/// GNU `df -h`: powers of 1024, rounded up, one decimal below 10 (`6.9G`, `16G`, `60K`, `0`).
fn human(bytes: u64) -> String {
    const UNITS: [(char, u64); 4] = [('K', K), ('M', M), ('G', G), ('T', G * K)];
    fn in_unit(bytes: u64, i: usize) -> String {
        let (u, size) = UNITS[i];
        let v = bytes as f64 / size as f64;
        let tenths = (v * 10.0).ceil() / 10.0;
        if tenths < 10.0 {
            return format!("{tenths:.1}{u}");
        }
        let whole = v.ceil();
        // 1024 of a unit is shown in the next one
        if whole >= 1024.0 && i + 1 < UNITS.len() {
            return in_unit(bytes, i + 1);
        }
        format!("{whole:.0}{u}")
    }
    if bytes == 0 {
        return "0".into();
    }
    // df counts 1K blocks: anything smaller shows as kilobytes
    let i = UNITS.iter().rposition(|u| bytes >= u.1).unwrap_or(0);
    in_unit(bytes, i)
}

/// The `df -h` text.
pub fn text(dev: &Device) -> String {
    let mut s = String::from("Filesystem      Size  Used Avail Use% Mounted on\n");
    for (fs, mount, size, used, avail) in usage(dev) {
        // df rounds the percentage up, over the space a user can have (used + available)
        let pct = if used + avail == 0 {
            0
        } else {
            (used as u128 * 100).div_ceil(u128::from(used + avail))
        };
        s.push_str(&format!(
            "{fs:<15} {:>4} {:>5} {:>5} {:>3}% {mount}\n",
            human(size),
            human(used),
            human(avail),
            pct
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_sizes_round_up_like_df() {
        assert_eq!(human(0), "0");
        assert_eq!(human(60 * K), "60K");
        assert_eq!(human(6_900 * M), "6.8G");
        assert_eq!(human(16 * G), "16G");
        assert_eq!(human(16 * G + 1), "17G");
        assert_eq!(human(10 * G - 1), "10G");
        assert_eq!(human(9 * G + 1), "9.1G");
        assert_eq!(human(1023 * M + 1), "1.0G");
        assert_eq!(human(500), "0.5K");
    }
}
