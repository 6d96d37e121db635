//! Indexes a configuration file and reports throughput and peak memory.
//!
//! `cargo run --release -p panops-panos --example parse-bench -- CONFIG.xml [--tokenize-only]`
//! prints one line of `key=value` pairs (parsed by `benches/parse_bench.sh`).
//!
//! `--tokenize-only` runs quick-xml's event loop over every byte (the tokenizer the index
//! uses, with nothing kept and no subtree skipped): the floor any XML index pays, a bound
//! close to memory bandwidth for one core.

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
    if std::env::args().any(|a| a == "--tokenize-only") {
        return tokenize_only(BufReader::with_capacity(1 << 20, file), bytes);
    }
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
    // A lookup through the reverse index (after the clock stopped), so the work is not
    // optimised away; the Python index builders answer the same query
    // (benches/parse_index.py). The most referenced address makes the check meaningful.
    let (sample, used) = index
        .addresses()
        .map(|a| (a.name, index.where_used(a.name).len()))
        .max_by_key(|&(name, n)| (n, std::cmp::Reverse(name)))
        .unwrap_or(("", 0));
    println!(
        "bytes={bytes} seconds={seconds:.3} mb_per_s={:.1} peak_rss_kb={} index_heap_kb={} addresses={} address_groups={} services={} service_groups={} tags={} security_rules={} strings={} sample={sample} sample_usages={used}",
        bytes as f64 / 1e6 / seconds,
        peak_rss_kb()
            .map(|k| k.to_string())
            .unwrap_or_else(|| "unknown".into()),
        index.heap_bytes() / 1024,
        c.addresses,
        c.address_groups,
        c.services,
        c.service_groups,
        c.tags,
        c.security_rules,
        c.strings,
    );
    ExitCode::SUCCESS
}

/// Every XML event of the file through quick-xml, nothing kept: the tokenizing floor.
fn tokenize_only(mut reader: impl std::io::BufRead, bytes: u64) -> ExitCode {
    use quick_xml::events::Event;
    let start = Instant::now();
    let mut xml = quick_xml::Reader::from_reader(&mut reader);
    let mut buf = Vec::with_capacity(64 * 1024);
    let mut events: u64 = 0;
    loop {
        buf.clear();
        match xml.read_event_into(&mut buf) {
            Ok(Event::Eof) => break,
            Ok(_) => events += 1,
            Err(e) => {
                eprintln!("error: at byte {}: {e}", xml.buffer_position());
                return ExitCode::FAILURE;
            }
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "bytes={bytes} seconds={seconds:.3} mb_per_s={:.1} peak_rss_kb={} events={events}",
        bytes as f64 / 1e6 / seconds,
        peak_rss_kb()
            .map(|k| k.to_string())
            .unwrap_or_else(|| "unknown".into()),
    );
    ExitCode::SUCCESS
}
