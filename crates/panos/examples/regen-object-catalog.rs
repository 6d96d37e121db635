//! Regenerates `crates/panos/catalog/objects.json` from the vendor specs.
//!
//! Specs are read from `$PANOPS_SHARED_SPECS` or `<repo>/../shared/specs/panos`; pass
//! `--check` to compare instead of writing (exit code 1 when the committed file is stale).

use std::path::PathBuf;
use std::process::ExitCode;

use panops_panos::catalog::Catalog;

fn main() -> ExitCode {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let specs = std::env::var_os("PANOPS_SHARED_SPECS")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest.join("../../../shared/specs/panos"));
    let check = std::env::args().any(|a| a == "--check");
    let (catalog, report) = match Catalog::from_spec_dir(&specs) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    for (path, reason) in &report.skipped {
        eprintln!("skipped {path}: {reason}");
    }
    eprintln!(
        "{} kinds from {} ({} spec files skipped)",
        catalog.len(),
        specs.display(),
        report.skipped.len()
    );
    let out = manifest.join("catalog/objects.json");
    let json = catalog.to_json();
    if check {
        let current = std::fs::read_to_string(&out).unwrap_or_default();
        if current == json {
            eprintln!("{} is up to date", out.display());
            return ExitCode::SUCCESS;
        }
        eprintln!(
            "{} is stale: run `cargo run -p panops-panos --example regen-object-catalog`",
            out.display()
        );
        return ExitCode::FAILURE;
    }
    if let Err(e) = std::fs::write(&out, json) {
        eprintln!("error: cannot write {}: {e}", out.display());
        return ExitCode::from(2);
    }
    eprintln!("wrote {}", out.display());
    ExitCode::SUCCESS
}
