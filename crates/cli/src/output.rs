//! Output rendering: human tables on a terminal, JSON/YAML/XML for machines.
//!
//! JSON is the stable contract for automation; tables are for people and may change.

use std::io::{IsTerminal, Write};

use anyhow::Result;
use comfy_table::{Table, presets::UTF8_BORDERS_ONLY};
use serde_json::Value;

/// The output format chosen with `-o`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Human-readable tables (default on a terminal).
    Table,
    /// Pretty JSON (default when stdout is not a terminal).
    Json,
    /// YAML.
    Yaml,
    /// Raw XML as the device returned it, where there is XML.
    Xml,
}

impl Format {
    /// Resolves the effective format: an explicit choice wins, else table on a TTY, JSON otherwise.
    pub fn resolve(explicit: Option<Format>) -> Format {
        explicit.unwrap_or_else(|| {
            if std::io::stdout().is_terminal() {
                Format::Table
            } else {
                Format::Json
            }
        })
    }
}

/// A command result: structured data, plus the raw XML when the device sent XML.
pub struct Rendered {
    /// Structured result (the JSON contract).
    pub value: Value,
    /// Raw XML, shown for `-o xml`.
    pub xml: Option<String>,
}

impl Rendered {
    /// A result without XML.
    pub fn json(value: Value) -> Self {
        Rendered { value, xml: None }
    }
    /// A result with XML.
    pub fn with_xml(value: Value, xml: impl Into<String>) -> Self {
        Rendered {
            value,
            xml: Some(xml.into()),
        }
    }
}

/// Prints a result in the chosen format on stdout.
pub fn print(format: Format, rendered: &Rendered) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match format {
        Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(&rendered.value)?)?,
        Format::Yaml => write!(out, "{}", serde_yaml::to_string(&rendered.value)?)?,
        Format::Xml => match &rendered.xml {
            Some(xml) => writeln!(out, "{xml}")?,
            None => {
                // Say so rather than silently answer in another format.
                eprintln!("note: this command's answer is not XML from the device; printing JSON");
                writeln!(out, "{}", serde_json::to_string_pretty(&rendered.value)?)?
            }
        },
        Format::Table => writeln!(out, "{}", table(&rendered.value))?,
    }
    Ok(())
}

/// The configuration entries of a device answer (`result` holding `…/entry`), as rows with
/// their fields: `@name` becomes `name`, other attributes lose their `@`.
fn entry_rows(value: &Value) -> Option<Vec<Value>> {
    fn find(v: &Value, depth: usize) -> Option<&Value> {
        let Value::Object(map) = v else { return None };
        if let Some(e) = map.get("entry") {
            return Some(e);
        }
        if depth == 0 {
            return None;
        }
        // Only descend through single-child wrappers (`result` → `address` → `entry`).
        let mut children = map.iter().filter(|(k, _)| !k.starts_with('@'));
        match (children.next(), children.next()) {
            (Some((_, only)), None) => find(only, depth - 1),
            _ => None,
        }
    }
    let entries = find(value.as_object()?.get("result")?, 4)?;
    let list = match entries {
        Value::Array(items) => items.clone(),
        one @ Value::Object(_) => vec![one.clone()],
        _ => return None,
    };
    let rows = list
        .into_iter()
        .map(|e| match e {
            Value::Object(map) => Value::Object(
                map.into_iter()
                    .filter(|(k, _)| {
                        !matches!(k.as_str(), "@admin" | "@dirtyId" | "@time" | "@uuid")
                    })
                    .map(|(k, v)| (k.trim_start_matches('@').to_string(), flatten_members(v)))
                    .collect(),
            ),
            other => other,
        })
        .collect();
    Some(rows)
}

/// `{"member": [...]}` → the list itself, so a cell shows `a, b`.
fn flatten_members(v: Value) -> Value {
    match v {
        Value::Object(mut map) if map.len() == 1 && map.contains_key("member") => {
            map.remove("member").unwrap_or(Value::Null)
        }
        other => other,
    }
}

/// Renders a JSON value as a table: arrays of objects become rows, objects become key/value
/// pairs, and a device answer holding configuration entries becomes one row per entry.
pub fn table(value: &Value) -> String {
    if let Some(rows) = entry_rows(value) {
        return table(&Value::Array(rows));
    }
    match value {
        Value::Array(rows) if rows.iter().all(Value::is_object) && !rows.is_empty() => {
            let mut headers: Vec<String> = Vec::new();
            for row in rows {
                if let Value::Object(map) = row {
                    for key in map.keys() {
                        if !headers.contains(key) {
                            headers.push(key.clone());
                        }
                    }
                }
            }
            let mut t = Table::new();
            t.load_preset(UTF8_BORDERS_ONLY);
            t.set_header(headers.clone());
            for row in rows {
                t.add_row(
                    headers
                        .iter()
                        .map(|h| cell(row.get(h).unwrap_or(&Value::Null))),
                );
            }
            t.to_string()
        }
        Value::Array(items) if items.is_empty() => "(none)".to_string(),
        Value::Array(items) => items.iter().map(cell).collect::<Vec<_>>().join("\n"),
        Value::Object(map) => {
            let mut t = Table::new();
            t.load_preset(UTF8_BORDERS_ONLY);
            for (k, v) in map {
                t.add_row(vec![k.clone(), cell(v)]);
            }
            t.to_string()
        }
        other => cell(other),
    }
}

fn cell(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(cell).collect::<Vec<_>>().join(", "),
        Value::Object(_) => value.to_string(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn table_of_rows_has_union_of_headers() {
        let t = table(&json!([{"name": "a", "ip": "1.1.1.1"}, {"name": "b", "tag": ["x", "y"]}]));
        assert!(t.contains("name") && t.contains("ip") && t.contains("tag"));
        assert!(t.contains("x, y"));
    }

    #[test]
    fn configuration_entries_are_rows_with_their_fields() {
        let answer = json!({"status": "success", "code": 19, "result": {"@total-count": "2", "address": {"entry": [
            {"@name": "web1", "@admin": "admin", "ip-netmask": "10.0.0.1/32", "tag": {"member": ["prod", "dmz"]}},
            {"@name": "web2", "fqdn": "web2.example"}
        ]}}});
        let t = table(&answer);
        let lines: Vec<&str> = t.lines().collect();
        assert!(
            lines
                .iter()
                .any(|l| l.contains("name") && l.contains("ip-netmask") && l.contains("fqdn")),
            "{t}"
        );
        assert!(
            lines.iter().any(|l| l.contains("web1")
                && l.contains("10.0.0.1/32")
                && l.contains("prod, dmz")),
            "{t}"
        );
        assert!(
            lines
                .iter()
                .any(|l| l.contains("web2") && l.contains("web2.example")),
            "{t}"
        );
        assert!(!t.contains("{\""), "no JSON blob in a cell: {t}");
        assert!(!t.contains("admin"), "{t}");
        // One entry (an xpath naming it) is one row too.
        let one = json!({"status": "success", "result": {"entry": {"@name": "web1", "fqdn": "x"}}});
        assert!(
            table(&one)
                .lines()
                .any(|l| l.contains("web1") && l.contains('x'))
        );
    }

    #[test]
    fn empty_list_says_none() {
        assert_eq!(table(&json!([])), "(none)");
    }
}
