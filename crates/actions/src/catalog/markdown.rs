//! The catalog as Markdown, for the crate README.

use super::catalog;

/// The catalog as the Markdown reference in the crate README: one table row per action
/// with its backends, required parameters and result fields. A unit test keeps the README
/// equal to this (`PANOPS_BLESS=1 cargo test -p panops-actions readme` rewrites it).
pub fn markdown() -> String {
    let mut out = String::from(
        "| action | runs on | required parameters | result fields |\n|---|---|---|---|\n",
    );
    for a in catalog() {
        let backends: Vec<&str> = a.backends.iter().map(|b| b.as_str()).collect();
        let required: Vec<String> = a
            .params
            .iter()
            .filter(|p| p.required)
            .map(|p| format!("`{}`", p.name))
            .collect();
        let results: Vec<String> = a.results.iter().map(|r| format!("`{}`", r.name)).collect();
        out.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            a.qualified(),
            backends.join(", "),
            if required.is_empty() {
                "—".to_string()
            } else {
                required.join(", ")
            },
            results.join(", ").replace('|', "\\|"),
        ));
    }
    out
}
