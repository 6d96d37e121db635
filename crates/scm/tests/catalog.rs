//! Catalog tests: counts, regenerate-and-diff, golden requests for every operation.

use panops_scm::{Catalog, Family, Method};
use std::fmt::Write as _;
use std::path::PathBuf;

fn specs_dir() -> Option<PathBuf> {
    let base = std::env::var_os("PANOPS_SHARED_SPECS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/specs"));
    let dir = base.join("scm");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "NOTICE: {} not found; skipping the spec regeneration check",
            dir.display()
        );
        None
    }
}

#[test]
fn counts_match_the_specs() {
    let c = Catalog::builtin();
    let sse = c.operations_in(Family::SseV1).count();
    assert_eq!(sse, 344, "sse-v1 operations");
    let setup = c
        .operations_in(Family::V2)
        .filter(|o| o.base_path == "/config/setup/v1")
        .count();
    let v2_config = c
        .operations_in(Family::V2)
        .filter(|o| o.base_path != "/config/setup/v1")
        .count();
    // The reference (§9) counts 650 operations in the seven /config/<area>/v1 files and 47 in
    // the setup API; the v2 family therefore holds 697.
    assert_eq!(v2_config, 650, "v2 /config/<area>/v1 operations");
    assert_eq!(setup, 47, "setup API operations");
    // Methods in sse-v1 (reference §3): GET 135, POST 76, PUT 67, DELETE 66.
    let by = |m: Method| {
        c.operations_in(Family::SseV1)
            .filter(|o| o.method == m)
            .count()
    };
    assert_eq!(
        (
            by(Method::Get),
            by(Method::Post),
            by(Method::Put),
            by(Method::Delete)
        ),
        (135, 76, 67, 66)
    );
    // 80 path stems in sse-v1 (reference §3) = 80 resources.
    assert_eq!(c.resources_in(Family::SseV1).len(), 80);
}

#[test]
fn regenerating_from_specs_gives_the_committed_catalog() {
    let Some(dir) = specs_dir() else { return };
    let fresh = Catalog::facts_from_spec_dir(&dir).expect("specs parse");
    let committed = panops_scm::catalog::BUILTIN_CATALOG_JSON;
    let regenerated = fresh.to_json();
    if regenerated != committed {
        let first_diff = regenerated
            .lines()
            .zip(committed.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(0);
        panic!(
            "catalog/catalog.json is stale (first differing line {}); run \
             `cargo run -p panops-scm --example regen-catalog`",
            first_diff + 1
        );
    }
    // Descriptions are loaded at run time only.
    let with_docs = Catalog::from_spec_dir(&dir).expect("specs parse");
    assert!(with_docs.operations().iter().any(|o| o.summary.is_some()));
    assert_eq!(with_docs.without_descriptions(), fresh);
    // (A property may be *called* description or summary; prose would be a string value.)
    assert!(!committed.contains("\"description\":\""));
    assert!(!committed.contains("\"summary\":\""));
}

/// Compact JSON with object keys sorted at every level.
fn sorted_json(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let fields: Vec<String> = keys
                .into_iter()
                .map(|k| {
                    format!(
                        "{}:{}",
                        serde_json::Value::String(k.clone()),
                        sorted_json(&m[k])
                    )
                })
                .collect();
            format!("{{{}}}", fields.join(","))
        }
        serde_json::Value::Array(items) => {
            let items: Vec<String> = items.iter().map(sorted_json).collect();
            format!("[{}]", items.join(","))
        }
        other => other.to_string(),
    }
}

/// One line per operation: synthesised minimal valid parameters → method, path, query and
/// the whole JSON body with its values. `PANOPS_BLESS=1` rewrites the golden file.
#[test]
fn golden_requests_for_every_operation() {
    let c = Catalog::builtin();
    let mut out = String::new();
    let mut failures = Vec::new();
    for op in c.operations() {
        let name = format!("{} {}.{}", op.family, op.resource, op.operation);
        let params = match c.example_params(op) {
            Ok(p) => p,
            Err(e) => {
                failures.push(format!("{name}: cannot synthesise parameters: {e}"));
                continue;
            }
        };
        match c.build_request(op.family, &op.resource, &op.operation, &params) {
            Ok(req) => {
                // The whole body, values included, keys sorted so that the line does not
                // depend on map order.
                let body = match &req.body {
                    None => String::new(),
                    Some(b) => format!(" body={}", sorted_json(b)),
                };
                let _ = writeln!(out, "{name} {} {}{body}", req.method, req.path_and_query());
            }
            Err(e) => failures.push(format!("{name}: {e} (params {params})")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} operations could not be built:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(out.lines().count(), c.operations().len());
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden/requests.txt");
    if std::env::var_os("PANOPS_BLESS").is_some() {
        std::fs::write(&path, &out).expect("write golden");
        return;
    }
    let golden = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run with PANOPS_BLESS=1)", path.display()));
    if golden != out {
        let diff: Vec<String> = golden
            .lines()
            .zip(out.lines())
            .filter(|(a, b)| a != b)
            .take(10)
            .map(|(a, b)| format!("- {a}\n+ {b}"))
            .collect();
        panic!(
            "built requests differ from tests/golden/requests.txt (PANOPS_BLESS=1 to accept):\n{}",
            diff.join("\n")
        );
    }
}

#[test]
fn resource_keys_are_unique_and_camel_case() {
    let c = Catalog::builtin();
    for r in c.resources() {
        assert!(
            r.resource.chars().all(|ch| ch.is_ascii_alphanumeric())
                && r.resource.starts_with(|ch: char| ch.is_ascii_lowercase()),
            "{}",
            r.resource
        );
        let mut ops = r.operations.clone();
        ops.sort();
        ops.dedup();
        assert_eq!(ops.len(), r.operations.len(), "{}", r.resource);
    }
    for key in [
        "address",
        "addressGroup",
        "securityRule",
        "decryptionRule",
        "urlCategory",
        "mobileAgentAgentProfile",
        "configVersion",
        "job",
    ] {
        assert!(c.has_resource(Family::SseV1, key), "sse-v1 {key}");
        assert!(c.has_resource(Family::V2, key), "v2 {key}");
    }
    for (fam, res, op) in [
        (Family::SseV1, "configVersion", "push"),
        (Family::SseV1, "configVersion", "load"),
        (Family::SseV1, "configVersion", "getRunning"),
        (Family::SseV1, "configVersion", "rollbackCandidate"),
        (Family::SseV1, "securityRule", "move"),
        (Family::SseV1, "certificate", "import"),
        (Family::SseV1, "job", "get"),
        (Family::V2, "folder", "list"),
        (Family::V2, "snippetSnapshot", "publish"),
        (Family::V2, "advancedDeviceObject", "deleteByName"),
    ] {
        assert!(c.operation(fam, res, op).is_ok(), "{fam} {res}.{op}");
    }
}
