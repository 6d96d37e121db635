//! Minimal valid examples synthesised from schemas: required fields only, the first enum value,
//! the first branch of each "exactly one of" group, strings that satisfy the spec's length and
//! pattern. Used by the golden request tests, by `describe` examples and by the simulator.

use crate::catalog::Catalog;
use crate::model::{Operation, ParamLocation, Schema, SchemaKind};
use crate::validate::{Direction, PatternMatcher};
use serde_json::{Map, Value};

/// UUID used for synthesised ids.
pub const EXAMPLE_UUID: &str = "123e4567-e89b-12d3-a456-426655440000";

const STRING_CANDIDATES: &[&str] = &[
    "example",
    "example-1",
    "10.0.0.1",
    "10.0.0.0/24",
    "example.com",
    "www.example.com",
    "http://example.com",
    "https://example.com/path",
    "user@example.com",
    "1",
    "a",
    "00:00-01:00",
    "01:00",
    "2024/01/01@00:00",
    "aa:bb:cc:dd:ee:ff",
    "fe80::1",
    "64512",
    "0123456789abcdef",
    "ABCD",
    "Example 1",
    "example_1",
    "x1",
    "$example",
];

const MAX_DEPTH: usize = 24;

impl Catalog {
    /// A minimal value valid against `schema` (validated before it is returned), or the field
    /// path at which no value could be found and why.
    pub fn example_value(&self, schema: &Schema, field: &str) -> Result<Value, String> {
        let v = example(schema, field, 0)?;
        self.validate_value(schema, &v, field, Direction::Request)
            .map_err(|e| format!("synthesised value rejected: {e}"))?;
        Ok(v)
    }

    /// A minimal parameter object for [`Catalog::build_request`]: path parameters, required
    /// query parameters (`folder` for a folder/snippet/device choice) and the required body
    /// fields at top level (or under `body` when the body is not an object).
    pub fn example_params(&self, op: &Operation) -> Result<Value, String> {
        let mut map = Map::new();
        let containers: Vec<&str> = ["folder", "snippet", "device"]
            .into_iter()
            .filter(|c| {
                op.param(c)
                    .is_some_and(|p| p.location == ParamLocation::Query)
            })
            .collect();
        for p in &op.params {
            let chosen_container =
                containers.len() > 1 && containers.first() == Some(&p.name.as_str());
            let skipped_container =
                containers.len() > 1 && containers.contains(&p.name.as_str()) && !chosen_container;
            if skipped_container {
                continue;
            }
            if p.location == ParamLocation::Path || p.required || chosen_container {
                let v = if p.location == ParamLocation::Path
                    && p.schema.kind != SchemaKind::Integer
                    && p.schema.enum_values.is_empty()
                    && (p.name == "id" || p.schema.format.as_deref() == Some("uuid"))
                {
                    Value::String(EXAMPLE_UUID.to_string())
                } else if p.name == "folder" && p.schema.enum_values.is_empty() {
                    Value::String("Shared".to_string())
                } else if p.schema.kind == SchemaKind::Array {
                    // A required repeated query parameter needs at least one value.
                    let item = p.schema.items.as_deref().cloned().unwrap_or_default();
                    Value::Array(vec![example(&item, &p.name, 0)?])
                } else {
                    example(&p.schema, &p.name, 0)?
                };
                map.insert(p.name.clone(), v);
            }
        }
        if let Some(body) = &op.body {
            let needs = body.required
                || !body.schema.required.is_empty()
                || body.schema.one_of.iter().any(|g| g.exactly_one);
            if needs {
                let v = self.example_value(&body.schema, "")?;
                match v {
                    Value::Object(fields)
                        if fields.keys().all(|k| !map.contains_key(k) && k != "body") =>
                    {
                        map.extend(fields);
                    }
                    other => {
                        map.insert("body".to_string(), other);
                    }
                }
            }
        }
        Ok(Value::Object(map))
    }
}

fn string_ok(s: &Schema, candidate: &str) -> bool {
    let len = candidate.chars().count() as u64;
    if s.min_length.is_some_and(|m| len < m) || s.max_length.is_some_and(|m| len > m) {
        return false;
    }
    match &s.pattern {
        Some(p) => PatternMatcher::compile(p).is_match(candidate) != Some(false),
        None => true,
    }
}

fn example(s: &Schema, field: &str, depth: usize) -> Result<Value, String> {
    if depth > MAX_DEPTH {
        return Err(format!("{field}: schema nests too deeply"));
    }
    if let Some(first) = s.enum_values.first() {
        return Ok(first.clone());
    }
    if let Some(d) = &s.default {
        let fits = match (s.kind, d) {
            (SchemaKind::String, Value::String(t)) => string_ok(s, t),
            (SchemaKind::Integer | SchemaKind::Number, Value::Number(_)) => true,
            (SchemaKind::Boolean, Value::Bool(_)) => true,
            _ => false,
        };
        if fits {
            return Ok(d.clone());
        }
    }
    if !s.variants.is_empty() && s.kind == SchemaKind::Any {
        let mut last = String::new();
        for v in &s.variants {
            match example(v, field, depth + 1) {
                Ok(x) => return Ok(x),
                Err(e) => last = e,
            }
        }
        return Err(last);
    }
    match s.kind {
        SchemaKind::String => {
            if s.format.as_deref() == Some("uuid") && string_ok(s, EXAMPLE_UUID) {
                return Ok(Value::String(EXAMPLE_UUID.to_string()));
            }
            for c in STRING_CANDIDATES {
                if string_ok(s, c) {
                    return Ok(Value::String((*c).to_string()));
                }
            }
            if let Some(min) = s.min_length {
                let padded = "x".repeat(min as usize);
                if string_ok(s, &padded) {
                    return Ok(Value::String(padded));
                }
            }
            Err(format!(
                "{field}: no example string satisfies {}",
                s.pattern
                    .as_deref()
                    .map(|p| format!("pattern {p}"))
                    .unwrap_or_else(|| "the length limits".to_string())
            ))
        }
        SchemaKind::Integer | SchemaKind::Number => {
            let mut n = s.minimum.unwrap_or(1.0).max(s.minimum.unwrap_or(f64::MIN));
            if let Some(max) = s.maximum {
                if n > max {
                    n = max;
                }
            }
            if s.kind == SchemaKind::Integer || n.fract() == 0.0 {
                Ok(Value::from(n.ceil() as i64))
            } else {
                Ok(serde_json::Number::from_f64(n)
                    .map(Value::Number)
                    .unwrap_or(Value::from(1)))
            }
        }
        SchemaKind::Boolean => Ok(Value::Bool(false)),
        SchemaKind::Array => {
            let min = s.min_items.unwrap_or(0);
            if min == 0 {
                return Ok(Value::Array(Vec::new()));
            }
            let item_schema = s.items.as_deref().cloned().unwrap_or_default();
            let item = example(&item_schema, &format!("{field}[0]"), depth + 1)?;
            Ok(Value::Array(vec![item; min as usize]))
        }
        SchemaKind::Object => example_object(s, field, depth),
        SchemaKind::Any => {
            if !s.properties.is_empty() || !s.one_of.is_empty() {
                example_object(s, field, depth)
            } else {
                Ok(Value::String("example".to_string()))
            }
        }
    }
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

fn example_object(s: &Schema, field: &str, depth: usize) -> Result<Value, String> {
    let mut map = Map::new();
    let add = |map: &mut Map<String, Value>, key: &str| -> Result<(), String> {
        if map.contains_key(key) {
            return Ok(());
        }
        match s.properties.get(key) {
            Some(p) if p.read_only => Ok(()),
            Some(p) => {
                let v = example(p, &join(field, key), depth + 1)?;
                map.insert(key.to_string(), v);
                Ok(())
            }
            // Required but undeclared (spec slip): nothing sensible to send.
            None => Ok(()),
        }
    };
    for r in &s.required {
        add(&mut map, r)?;
    }
    for g in &s.one_of {
        let already = g
            .branches
            .iter()
            .any(|b| b.keys.iter().any(|k| map.contains_key(k)));
        if already || !g.exactly_one {
            continue;
        }
        let mut last = format!("{field}: empty one-of group");
        let mut done = false;
        for b in &g.branches {
            let mut trial = map.clone();
            let mut keys: Vec<&String> = b.required.iter().collect();
            if keys.is_empty() {
                keys.extend(b.keys.first());
            }
            let mut ok = true;
            for k in keys {
                if let Err(e) = add(&mut trial, k) {
                    last = e;
                    ok = false;
                    break;
                }
            }
            if ok {
                map = trial;
                done = true;
                break;
            }
        }
        if !done {
            return Err(last);
        }
    }
    Ok(Value::Object(map))
}
