//! Validation of parameters and bodies against the catalog's flattened schemas.
//!
//! Patterns are the spec's (ECMA-262) regexes. Each is compiled with `regex`; when that fails,
//! with `fancy-regex`; when both fail it is *skipped deliberately*: recorded with the two
//! compile errors, listed by [`crate::Catalog::skipped_patterns`] and in `describe`. Two spec
//! patterns are in that list today (`^[0-9a-zA-Z._-\s]{1,}$` and `^[a-zA-Z\d-_\. ]+$`: a range
//! that ends at a class escape), and both sit on fields that also carry an `enum` or a
//! `maxLength`, which still apply.

use crate::catalog::{Catalog, SkippedPattern};
use crate::error::{ScmError, Violation, fmt_num};
use crate::model::{Operation, ParamLocation, Schema, SchemaKind};
use serde_json::Value;
use std::collections::HashMap;

/// A compiled spec pattern.
#[derive(Debug)]
pub enum PatternMatcher {
    /// Compiled by the `regex` crate.
    Regex(regex::Regex),
    /// Compiled by `fancy-regex` (look-around, back-references).
    Fancy(fancy_regex::Regex),
    /// Neither crate accepts it; the string holds both errors.
    Skipped(String),
}

impl PatternMatcher {
    /// Compiles a spec pattern, falling back as described in the module docs.
    pub fn compile(pattern: &str) -> PatternMatcher {
        match regex::Regex::new(pattern) {
            Ok(r) => PatternMatcher::Regex(r),
            Err(e1) => match fancy_regex::Regex::new(pattern) {
                Ok(r) => PatternMatcher::Fancy(r),
                Err(e2) => PatternMatcher::Skipped(format!(
                    "regex: {}; fancy-regex: {}",
                    one_line(&e1.to_string()),
                    one_line(&e2.to_string())
                )),
            },
        }
    }

    /// `Some(matches)`, or `None` when the pattern is skipped (or matching gave up).
    pub fn is_match(&self, value: &str) -> Option<bool> {
        match self {
            PatternMatcher::Regex(r) => Some(r.is_match(value)),
            PatternMatcher::Fancy(r) => r.is_match(value).ok(),
            PatternMatcher::Skipped(_) => None,
        }
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// All patterns of a catalog, compiled once.
#[derive(Debug, Default)]
pub struct PatternCache {
    map: HashMap<String, PatternMatcher>,
}

impl PatternCache {
    pub(crate) fn compile(patterns: Vec<String>) -> PatternCache {
        let mut map = HashMap::new();
        for p in patterns {
            map.entry(p)
                .or_insert_with_key(|p| PatternMatcher::compile(p));
        }
        PatternCache { map }
    }

    fn is_match(&mut self, pattern: &str, value: &str) -> Option<bool> {
        if !self.map.contains_key(pattern) {
            self.map
                .insert(pattern.to_string(), PatternMatcher::compile(pattern));
        }
        self.map.get(pattern).and_then(|m| m.is_match(value))
    }

    pub(crate) fn skip_reason(&self, pattern: &str) -> Option<&str> {
        match self.map.get(pattern) {
            Some(PatternMatcher::Skipped(r)) => Some(r),
            _ => None,
        }
    }

    pub(crate) fn skipped(&self) -> Vec<SkippedPattern> {
        let mut v: Vec<SkippedPattern> = self
            .map
            .iter()
            .filter_map(|(p, m)| match m {
                PatternMatcher::Skipped(r) => Some(SkippedPattern {
                    pattern: p.clone(),
                    reason: r.clone(),
                }),
                _ => None,
            })
            .collect();
        v.sort_by(|a, b| a.pattern.cmp(&b.pattern));
        v
    }
}

/// What is being validated: a request (read-only fields may be omitted and are not checked)
/// or a response (read-only required fields must be present).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// A request the client sends (or the simulator receives).
    Request,
    /// A response the server sends.
    Response,
}

struct Validator<'c> {
    cache: &'c PatternCache,
    extra: PatternCache,
    direction: Direction,
    /// Query/path parameters arrive as strings from CLIs: accept numeric/boolean text.
    coerce_strings: bool,
}

impl Catalog {
    /// Validates a value against a schema; `field` names it in errors (empty for a body root).
    pub fn validate_value(
        &self,
        schema: &Schema,
        value: &Value,
        field: &str,
        direction: Direction,
    ) -> Result<(), ScmError> {
        let mut v = Validator {
            cache: self.pattern_cache(),
            extra: PatternCache::default(),
            direction,
            coerce_strings: false,
        };
        v.check(schema, value, field)
    }

    /// Validates a request body for an operation (what the simulator does on receipt).
    pub fn validate_body(&self, op: &Operation, body: &Value) -> Result<(), ScmError> {
        match &op.body {
            Some(b) => self.validate_value(&b.schema, body, "", Direction::Request),
            None => Ok(()),
        }
    }

    /// Validates one path/query parameter value (strings are accepted for numbers/booleans).
    pub fn validate_param(
        &self,
        op: &Operation,
        name: &str,
        value: &Value,
    ) -> Result<(), ScmError> {
        let Some(p) = op.param(name) else {
            return Err(ScmError::UnknownParameter {
                field: name.to_string(),
                expected: op
                    .params
                    .iter()
                    .map(|p| p.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        };
        let mut v = Validator {
            cache: self.pattern_cache(),
            extra: PatternCache::default(),
            direction: Direction::Request,
            coerce_strings: p.location != ParamLocation::Header,
        };
        v.check(&p.schema, value, name)
    }
}

/// Field names whose values never appear in error messages.
pub(crate) fn is_secret_field(field: &str, schema: &Schema) -> bool {
    if schema.format.as_deref() == Some("password") {
        return true;
    }
    let last = field
        .rsplit(['.', '['])
        .next()
        .unwrap_or(field)
        .to_ascii_lowercase();
    [
        "password",
        "secret",
        "passphrase",
        "pre_shared_key",
        "psk",
        "private_key",
        "key_file",
        "token",
        "bind_password",
    ]
    .iter()
    .any(|s| last.contains(s))
}

fn render(field: &str, schema: &Schema, value: &Value) -> String {
    if is_secret_field(field, schema) {
        return "<redacted>".to_string();
    }
    let s = value.to_string();
    if s.chars().count() > 120 {
        let cut: String = s.chars().take(117).collect();
        format!("{cut}...")
    } else {
        s
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

pub(crate) fn json_type_name(v: &Value) -> &'static str {
    type_name(v)
}

/// The JSON type of a value (`string`, `object`, ...).
pub fn json_kind(v: &Value) -> &'static str {
    type_name(v)
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

impl Validator<'_> {
    fn pattern_match(&mut self, pattern: &str, value: &str) -> Option<bool> {
        if let Some(m) = self.cache.map.get(pattern) {
            return m.is_match(value);
        }
        self.extra.is_match(pattern, value)
    }

    fn invalid(field: &str, violation: Violation) -> ScmError {
        ScmError::InvalidParameter {
            field: if field.is_empty() {
                "body".to_string()
            } else {
                field.to_string()
            },
            violation,
        }
    }

    fn check(&mut self, s: &Schema, value: &Value, field: &str) -> Result<(), ScmError> {
        if value.is_null() {
            if s.nullable || s.kind == SchemaKind::Any && s.variants.is_empty() {
                return Ok(());
            }
            return Err(Self::invalid(
                field,
                Violation::Type {
                    expected: s.kind.as_str().to_string(),
                    value: "null".to_string(),
                },
            ));
        }
        if s.read_only && self.direction == Direction::Request {
            // Server-assigned: sending it back (e.g. a fetched object) is harmless.
            return Ok(());
        }
        if !s.variants.is_empty()
            && (s.kind == SchemaKind::Any || !self.kind_matches(s.kind, value))
        {
            // Type alternatives: the value must satisfy one of them.
            let variants = s.variants.clone();
            if variants
                .iter()
                .any(|variant| self.check(variant, value, field).is_ok())
            {
                return Ok(());
            }
            let expected = variants
                .iter()
                .map(|v| v.kind.as_str())
                .collect::<Vec<_>>()
                .join(" | ");
            return Err(Self::invalid(
                field,
                Violation::NoVariant {
                    value: render(field, s, value),
                    expected,
                },
            ));
        }
        if !self.kind_matches(s.kind, value) {
            return Err(Self::invalid(
                field,
                Violation::Type {
                    expected: s.kind.as_str().to_string(),
                    value: render(field, s, value),
                },
            ));
        }
        if !s.enum_values.is_empty() && !self.in_enum(s, value) {
            let allowed = Value::Array(s.enum_values.clone()).to_string();
            return Err(Self::invalid(
                field,
                Violation::Enum {
                    value: render(field, s, value),
                    allowed,
                },
            ));
        }
        match value {
            Value::String(text) => {
                if matches!(s.kind, SchemaKind::Integer | SchemaKind::Number) {
                    // Coerced numeric text.
                    if let Ok(n) = text.trim().parse::<f64>() {
                        self.check_bounds(s, n, value, field)?;
                    }
                    return Ok(());
                }
                let len = text.chars().count() as u64;
                if let Some(min) = s.min_length {
                    if len < min {
                        return Err(Self::invalid(
                            field,
                            Violation::MinLength {
                                value: render(field, s, value),
                                min,
                            },
                        ));
                    }
                }
                if let Some(max) = s.max_length {
                    if len > max {
                        return Err(Self::invalid(
                            field,
                            Violation::MaxLength {
                                value: render(field, s, value),
                                max,
                            },
                        ));
                    }
                }
                if let Some(p) = &s.pattern {
                    if self.pattern_match(p, text) == Some(false) {
                        return Err(Self::invalid(
                            field,
                            Violation::Pattern {
                                value: render(field, s, value),
                                pattern: p.clone(),
                            },
                        ));
                    }
                }
            }
            Value::Number(n) => {
                if let Some(f) = n.as_f64() {
                    self.check_bounds(s, f, value, field)?;
                }
            }
            Value::Array(items) => {
                let count = items.len();
                if let Some(min) = s.min_items {
                    if (count as u64) < min {
                        return Err(Self::invalid(field, Violation::MinItems { count, min }));
                    }
                }
                if let Some(max) = s.max_items {
                    if (count as u64) > max {
                        return Err(Self::invalid(field, Violation::MaxItems { count, max }));
                    }
                }
                if s.unique_items {
                    for (i, a) in items.iter().enumerate() {
                        if items[..i].contains(a) {
                            return Err(Self::invalid(
                                field,
                                Violation::NotUnique {
                                    value: render(field, s, a),
                                },
                            ));
                        }
                    }
                }
                if let Some(item_schema) = &s.items {
                    for (i, item) in items.iter().enumerate() {
                        self.check(item_schema, item, &format!("{field}[{i}]"))?;
                    }
                }
            }
            Value::Object(map) => self.check_object(s, map, field)?,
            _ => {}
        }
        Ok(())
    }

    fn check_bounds(&self, s: &Schema, n: f64, value: &Value, field: &str) -> Result<(), ScmError> {
        if let Some(min) = s.minimum {
            if n < min {
                return Err(Self::invalid(
                    field,
                    Violation::Minimum {
                        value: render(field, s, value),
                        min,
                    },
                ));
            }
        }
        if let Some(max) = s.maximum {
            if n > max {
                return Err(Self::invalid(
                    field,
                    Violation::Maximum {
                        value: render(field, s, value),
                        max,
                    },
                ));
            }
        }
        Ok(())
    }

    fn check_object(
        &mut self,
        s: &Schema,
        map: &serde_json::Map<String, Value>,
        field: &str,
    ) -> Result<(), ScmError> {
        let free_form = s.open || (s.properties.is_empty() && s.one_of.is_empty());
        if !free_form {
            for key in map.keys() {
                if !s.properties.contains_key(key) {
                    return Err(ScmError::UnknownParameter {
                        field: join(field, key),
                        expected: s.properties.keys().cloned().collect::<Vec<_>>().join(", "),
                    });
                }
            }
        }
        for r in &s.required {
            let read_only = s.properties.get(r).is_some_and(|p| p.read_only);
            if read_only && self.direction == Direction::Request {
                continue;
            }
            if !map.contains_key(r) {
                return Err(ScmError::MissingParameter {
                    field: join(field, r),
                });
            }
        }
        for group in &s.one_of {
            let keys: Vec<String> = group.all_keys().into_iter().map(str::to_string).collect();
            let chosen: Vec<usize> = group
                .branches
                .iter()
                .enumerate()
                .filter(|(_, b)| b.keys.iter().any(|k| map.contains_key(k)))
                .map(|(i, _)| i)
                .collect();
            if chosen.len() > 1 {
                let present: Vec<String> = keys
                    .iter()
                    .filter(|k| map.contains_key(k.as_str()))
                    .cloned()
                    .collect();
                // Keys shared by several branches do not make a conflict on their own.
                let distinct = chosen
                    .iter()
                    .filter(|i| {
                        group.branches[**i].keys.iter().any(|k| {
                            map.contains_key(k)
                                && group.branches.iter().filter(|b| b.keys.contains(k)).count() == 1
                        })
                    })
                    .count();
                if distinct > 1 {
                    return Err(Self::invalid(
                        field,
                        Violation::OneOfConflict { present, keys },
                    ));
                }
            }
            if chosen.is_empty() && group.exactly_one {
                return Err(Self::invalid(field, Violation::OneOfMissing { keys }));
            }
            if chosen.len() == 1 {
                let b = &group.branches[chosen[0]];
                for r in &b.required {
                    let read_only = s.properties.get(r).is_some_and(|p| p.read_only);
                    if read_only && self.direction == Direction::Request {
                        continue;
                    }
                    if !map.contains_key(r) {
                        return Err(ScmError::MissingParameter {
                            field: join(field, r),
                        });
                    }
                }
            }
        }
        for (key, v) in map {
            if let Some(ps) = s.properties.get(key) {
                self.check(ps, v, &join(field, key))?;
            }
        }
        Ok(())
    }

    fn kind_matches(&self, kind: SchemaKind, value: &Value) -> bool {
        match (kind, value) {
            (SchemaKind::Any, _) => true,
            (SchemaKind::String, Value::String(_)) => true,
            (SchemaKind::Boolean, Value::Bool(_)) => true,
            (SchemaKind::Number, Value::Number(_)) => true,
            (SchemaKind::Integer, Value::Number(n)) => {
                n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0)
            }
            (SchemaKind::Array, Value::Array(_)) => true,
            (SchemaKind::Object, Value::Object(_)) => true,
            (SchemaKind::Number, Value::String(t)) if self.coerce_strings => {
                t.trim().parse::<f64>().is_ok()
            }
            (SchemaKind::Integer, Value::String(t)) if self.coerce_strings => {
                t.trim().parse::<i64>().is_ok()
            }
            (SchemaKind::Boolean, Value::String(t)) if self.coerce_strings => {
                matches!(t.as_str(), "true" | "false")
            }
            _ => false,
        }
    }

    fn in_enum(&self, s: &Schema, value: &Value) -> bool {
        s.enum_values.iter().any(|e| {
            e == value
                || match (e, value) {
                    (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
                    (Value::Number(a), Value::String(t)) if self.coerce_strings => {
                        t.trim().parse::<f64>().ok() == a.as_f64()
                    }
                    (Value::Bool(a), Value::String(t)) if self.coerce_strings => {
                        t == &a.to_string()
                    }
                    _ => false,
                }
        })
    }
}

/// Renders a number bound as the spec writes it (`65535`, not `65535.0`).
pub fn format_bound(n: f64) -> String {
    fmt_num(n)
}
