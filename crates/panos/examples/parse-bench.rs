//! Indexes a configuration file and reports throughput and peak memory.
//!
//! `cargo run --release -p panops-panos --example parse-bench -- CONFIG.xml`
//! prints one line of `key=value` pairs (parsed by `benches/parse_bench.sh`).

use std::io::BufReader;
use std::process::ExitCode;
use std::time::Instant;

use panops_panos::config_index::ConfigIndex;

/// Peak resident set size in kB, from `/proc/self/status` (Linux only).
fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: parse-bench CONFIG.xml");
        return ExitCode::from(2);
    };
    let file = match std::fs::File::open(&path) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: cannot open {path}: {e}");
            return ExitCode::from(2);
        }
    };
    let bytes = file.metadata().map(|m| m.len()).unwrap_or(0);
    let start = Instant::now();
    let index = match ConfigIndex::from_reader(BufReader::with_capacity(1 << 20, file)) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let seconds = start.elapsed().as_secs_f64();
    let c = index.counts();
    // A lookup through the reverse index, so the work is not optimised away.
    let used = index
        .addresses()
        .nth(c.addresses / 2)
        .map(|a| index.where_used(a.name).len())
        .unwrap_or(0);
    println!(
        "bytes={bytes} seconds={seconds:.3} mb_per_s={:.1} peak_rss_kb={} index_heap_kb={} addresses={} address_groups={} services={} security_rules={} strings={} sample_usages={used}",
        bytes as f64 / 1e6 / seconds,
        peak_rss_kb()
            .map(|k| k.to_string())
            .unwrap_or_else(|| "unknown".into()),
        index.heap_bytes() / 1024,
        c.addresses,
        c.address_groups,
        c.services,
        c.security_rules,
        c.strings,
    );
    ExitCode::SUCCESS
}
