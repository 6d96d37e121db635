//! The committed catalog is what the generator produces from the vendor specs.
//!
//! Specs are read from `$PANOPS_SHARED_SPECS` or `<repo>/../shared/specs/panos`; the test is
//! skipped, with a notice, when neither exists.

use std::path::PathBuf;

use panops_panos::catalog::Catalog;

fn spec_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("PANOPS_SHARED_SPECS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/specs/panos")
        });
    dir.is_dir().then_some(dir)
}

#[test]
fn committed_catalog_matches_a_fresh_generation() {
    let Some(dir) = spec_dir() else {
        eprintln!("NOTICE: vendor specs not found; catalog regeneration check skipped");
        return;
    };
    let (catalog, report) = Catalog::from_spec_dir(&dir).unwrap();
    let committed = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("catalog/objects.json"),
    )
    .unwrap();
    assert!(
        committed == catalog.to_json(),
        "catalog/objects.json is stale: run `cargo run -p panops-panos --example regen-object-catalog`"
    );
    // Only actions (no locations) are skipped from the current spec set.
    for (path, reason) in &report.skipped {
        assert!(reason.contains("action"), "{path}: {reason}");
    }
    assert_eq!(Catalog::builtin().len(), catalog.len());
}

#[test]
fn builtin_catalog_round_trips_through_json() {
    let builtin = Catalog::builtin();
    let again = Catalog::from_json(&builtin.to_json()).unwrap();
    assert_eq!(again.kinds(), builtin.kinds());
    assert!(Catalog::from_json("{\"format\":99,\"kinds\":[]}").is_err());
}

#[test]
fn catalog_holds_facts_not_prose() {
    let json = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("catalog/objects.json"),
    )
    .unwrap();
    assert!(
        !json.contains("\"description\":\"The"),
        "descriptions must not be copied"
    );
    assert!(
        !json.contains("terraform"),
        "codegen settings must not be copied"
    );
}
