//! The README's tour, extracted and run top to bottom exactly as written, by bash, with the
//! built `panops` first on PATH. Every command must succeed; the simulators it starts in
//! the background are stopped at the end.

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The shell blocks of the `## A tour of the CLI` section, in order.
fn tour_script(readme: &str) -> String {
    let start = readme
        .find("## A tour of the CLI")
        .expect("README has a tour section");
    let section = &readme[start..];
    let end = section[3..].find("\n## ").map_or(section.len(), |i| i + 3);
    let mut script = String::new();
    let mut in_block = false;
    for line in section[..end].lines() {
        match (in_block, line.trim_end()) {
            (false, "```sh") => in_block = true,
            (true, "```") => in_block = false,
            (true, l) => {
                script.push_str(l);
                script.push('\n');
            }
            _ => {}
        }
    }
    script
}

#[test]
fn the_readme_tour_runs_as_written() {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let tour = tour_script(&readme);
    assert!(tour.contains("panops sim"), "{tour}");
    assert!(tour.contains("panops scm"), "{tour}");
    let bin = assert_cmd::cargo::cargo_bin("panops");
    let dir = tempfile::tempdir().unwrap();
    // The tour refers to examples/ relative to the repository root.
    std::os::unix::fs::symlink(repo_root().join("examples"), dir.path().join("examples")).unwrap();
    // -e: the first failing command fails the test; each command is echoed (-x) so the
    // failure says which line.
    let script =
        format!("set -euo pipefail\ntrap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n{tour}");
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("bash")
        .args(["-x", "-c", &script])
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", path)
        .env("HOME", dir.path())
        .env("PANOPS_CONFIG", "")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the README tour failed:\n--- stderr\n{stderr}\n--- stdout\n{stdout}"
    );
    assert!(
        dir.path().join("running.xml").exists(),
        "the tour exports running.xml"
    );
}
