//! Regenerates `crates/scm/catalog/catalog.json` from the official specs.
//!
//! `cargo run -p panops-scm --example regen-catalog [SPEC_DIR]`; SPEC_DIR defaults to
//! `$PANOPS_SHARED_SPECS/scm` or `<repo>/../shared/specs/scm`.

use panops_scm::Catalog;
use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            std::env::var_os("PANOPS_SHARED_SPECS")
                .map(PathBuf::from)
                .unwrap_or_else(|| manifest.join("../../../shared/specs"))
                .join("scm")
        });
    let catalog = match Catalog::facts_from_spec_dir(&dir) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("regen-catalog: {e}");
            std::process::exit(1);
        }
    };
    let out = manifest.join("catalog/catalog.json");
    if let Err(e) = std::fs::write(&out, catalog.to_json()) {
        eprintln!("regen-catalog: cannot write {}: {e}", out.display());
        std::process::exit(1);
    }
    println!(
        "wrote {} operations ({} resources) to {}",
        catalog.operations().len(),
        catalog.resources().len(),
        out.display()
    );
}
