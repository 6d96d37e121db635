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
            None => writeln!(out, "{}", serde_json::to_string_pretty(&rendered.value)?)?,
        },
        Format::Table => writeln!(out, "{}", table(&rendered.value))?,
    }
    Ok(())
}

/// Renders a JSON value as a table: arrays of objects become rows, objects become key/value pairs.
pub fn table(value: &Value) -> String {
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
    fn empty_list_says_none() {
        assert_eq!(table(&json!([])), "(none)");
    }
}
