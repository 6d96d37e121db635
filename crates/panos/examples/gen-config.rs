//! Writes a deterministic synthetic Panorama configuration (about 200 MB by default).
//!
//! `cargo run --release -p panops-panos --example gen-config -- OUT.xml [--small]`

use std::process::ExitCode;

use panops_panos::config_index::synth::{SynthParams, write_synthetic_panorama};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(out) = args.iter().find(|a| !a.starts_with("--")) else {
        eprintln!("usage: gen-config OUT.xml [--small]");
        return ExitCode::from(2);
    };
    let params = if args.iter().any(|a| a == "--small") {
        SynthParams::small()
    } else {
        SynthParams::large()
    };
    let file = match std::fs::File::create(out) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: cannot create {out}: {e}");
            return ExitCode::from(2);
        }
    };
    match write_synthetic_panorama(file, &params) {
        Ok(stats) => {
            println!(
                "wrote {out}: {:.1} MB, {} addresses, {} address groups, {} services, {} security rules",
                stats.bytes as f64 / 1e6,
                stats.addresses,
                stats.address_groups,
                stats.services,
                stats.security_rules
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: writing {out}: {e}");
            ExitCode::FAILURE
        }
    }
}
