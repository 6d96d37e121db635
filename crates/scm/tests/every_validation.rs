//! Generated validation failures for every catalog operation (sans-IO, no HTTP).
//!
//! For each operation, start from the synthesised minimal valid parameters, break one thing
//! at a time — remove a required path/query parameter or body field, give a field the wrong
//! type, an out-of-enum value, a string too long or too short, a string outside its pattern,
//! a number out of bounds, too many or too few array items, no branch or two branches of a
//! one-of group — and check that the request is refused before anything is built, with an
//! error naming exactly that field and that rule.

use panops_scm::{
    Catalog, Operation, ParamLocation, PatternMatcher, Schema, SchemaKind, ScmError, Violation,
};
use serde_json::{Map, Value, json};

/// Where a mutated value sits in the parameter object.
#[derive(Debug, Clone)]
enum Seg {
    Key(String),
    Index(usize),
}

/// One failing input: what to change, and the error expected.
#[derive(Debug, Clone)]
struct Mutation {
    /// Path from the parameter object (body fields are under the body root).
    at: Vec<Seg>,
    /// `None` removes the key.
    value: Option<Value>,
    /// Field the error must name.
    field: String,
    /// Rule the error must report (`missing`, `type`, `enum`, `maxLength`, ...).
    rule: &'static str,
}

fn rule_of(e: &ScmError) -> Option<(String, &'static str)> {
    Some(match e {
        ScmError::MissingParameter { field } => (field.clone(), "missing"),
        ScmError::UnknownParameter { field, .. } => (field.clone(), "unknown"),
        ScmError::InvalidParameter { field, violation } => (
            field.clone(),
            match violation {
                Violation::Type { .. } => "type",
                Violation::MinLength { .. } => "minLength",
                Violation::MaxLength { .. } => "maxLength",
                Violation::Pattern { .. } => "pattern",
                Violation::Enum { .. } => "enum",
                Violation::Minimum { .. } => "minimum",
                Violation::Maximum { .. } => "maximum",
                Violation::MinItems { .. } => "minItems",
                Violation::MaxItems { .. } => "maxItems",
                Violation::NotUnique { .. } => "unique",
                Violation::OneOfMissing { .. } => "oneOfMissing",
                Violation::OneOfConflict { .. } => "oneOfConflict",
                Violation::NoVariant { .. } => "noVariant",
                _ => "other",
            },
        ),
        _ => return None,
    })
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

/// A value of the wrong JSON type for `s` (none for untyped schemas or type alternatives).
fn wrong_type(s: &Schema) -> Option<Value> {
    if !s.variants.is_empty() {
        return None;
    }
    Some(match s.kind {
        SchemaKind::Any => return None,
        SchemaKind::String => json!(true),
        // Text that is not a number: wrong for bodies and for coerced query parameters alike.
        SchemaKind::Integer | SchemaKind::Number => json!("not-a-number"),
        SchemaKind::Boolean => json!("maybe"),
        SchemaKind::Array => json!(true),
        SchemaKind::Object => json!("not-an-object"),
    })
}

const NON_MATCHING: &[&str] = &[
    "!",
    "#",
    " ",
    "!!invalid value!!",
    "a b c",
    "-",
    "\u{e9}\u{e9}",
    "x",
    "0",
    "abc",
    "ABC",
    "/",
    "%%",
    "@@",
];

/// Mutations that break one constraint of the field at `at` (schema `s`), in the order the
/// validator checks them (type, enum, lengths, pattern, bounds, items), one per rule that can
/// be reached.
fn constraint_mutations(catalog: &Catalog, s: &Schema, at: &[Seg], field: &str) -> Vec<Mutation> {
    let mut out = Vec::new();
    if s.read_only {
        return out;
    }
    let mut push = |value: Value, rule: &'static str| {
        out.push(Mutation {
            at: at.to_vec(),
            value: Some(value),
            field: field.to_string(),
            rule,
        })
    };
    if let Some(v) = wrong_type(s) {
        push(v, "type");
    }
    if !s.variants.is_empty() {
        return out;
    }
    if !s.enum_values.is_empty() {
        match s.kind {
            SchemaKind::String | SchemaKind::Any => push(json!("not-an-allowed-value"), "enum"),
            SchemaKind::Integer | SchemaKind::Number => push(json!(987_654_321), "enum"),
            _ => {}
        }
        // Every later rule is only reached with an allowed value.
        return out;
    }
    match s.kind {
        SchemaKind::String => {
            if let Some(max) = s.max_length {
                push(Value::String("x".repeat(max as usize + 1)), "maxLength");
            }
            if let Some(min) = s.min_length.filter(|m| *m > 0) {
                push(Value::String("x".repeat(min as usize - 1)), "minLength");
            }
            if let Some(p) = &s.pattern {
                let matcher = PatternMatcher::compile(p);
                let fits = |c: &str| {
                    let n = c.chars().count() as u64;
                    s.min_length.is_none_or(|m| n >= m) && s.max_length.is_none_or(|m| n <= m)
                };
                let candidate = NON_MATCHING
                    .iter()
                    .map(|c| c.to_string())
                    .chain(s.min_length.map(|m| "!".repeat(m.max(1) as usize)))
                    .find(|c| fits(c) && matcher.is_match(c) == Some(false));
                if let Some(c) = candidate {
                    push(Value::String(c), "pattern");
                }
            }
        }
        SchemaKind::Integer | SchemaKind::Number => {
            if let Some(min) = s.minimum {
                push(json!(min.floor() as i64 - 1), "minimum");
            }
            if let Some(max) = s.maximum {
                push(json!(max.ceil() as i64 + 1), "maximum");
            }
        }
        SchemaKind::Array => {
            let item = s
                .items
                .as_deref()
                .and_then(|i| catalog.example_value(i, field).ok());
            if let (Some(max), Some(item)) = (s.max_items, &item) {
                // Distinct items where possible, so that uniqueItems does not fire first.
                let items: Vec<Value> = (0..=max)
                    .map(|i| match item {
                        Value::String(t)
                            if s.items
                                .as_deref()
                                .is_some_and(|is| is.enum_values.is_empty()) =>
                        {
                            Value::String(format!("{t}{i}"))
                        }
                        other => other.clone(),
                    })
                    .collect();
                push(Value::Array(items), "maxItems");
            }
            if let (Some(min), Some(item)) = (s.min_items.filter(|m| *m > 0), &item) {
                push(
                    Value::Array(vec![item.clone(); min as usize - 1]),
                    "minItems",
                );
            }
        }
        _ => {}
    }
    out
}

/// How many branches of `g` are chosen by a key that only they have (the validator's rule
/// for a conflict: keys shared by several branches do not count).
fn distinct_branches(g: &panops_scm::OneOfGroup, present: &dyn Fn(&str) -> bool) -> usize {
    g.branches
        .iter()
        .filter(|b| {
            b.keys.iter().any(|k| {
                present(k) && g.branches.iter().filter(|o| o.keys.contains(k)).count() == 1
            })
        })
        .count()
}

/// True when setting `key` would choose another branch of a one-of group of `s` (a
/// conflict), so that a mutation of it would not test the field itself.
fn in_unchosen_branch(s: &Schema, key: &str, present: &Map<String, Value>) -> bool {
    s.one_of.iter().any(|g| {
        let before = distinct_branches(g, &|k| present.contains_key(k));
        let after = distinct_branches(g, &|k| k == key || present.contains_key(k));
        after > before.max(1)
    })
}

/// Mutations of an object present in the valid body, and of the objects below it.
fn object_mutations(
    catalog: &Catalog,
    s: &Schema,
    value: &Map<String, Value>,
    at: &[Seg],
    path: &str,
    skip_keys: &[String],
    out: &mut Vec<Mutation>,
) {
    let here = |key: &str| {
        let mut v = at.to_vec();
        v.push(Seg::Key(key.to_string()));
        v
    };
    let object_field = if path.is_empty() { "body" } else { path };
    for r in &s.required {
        if value.contains_key(r)
            && !skip_keys.contains(r)
            && !s.properties.get(r).is_some_and(|p| p.read_only)
        {
            out.push(Mutation {
                at: here(r),
                value: None,
                field: join(path, r),
                rule: "missing",
            });
        }
    }
    for g in &s.one_of {
        let chosen: Vec<&panops_scm::OneOfBranch> = g
            .branches
            .iter()
            .filter(|b| b.keys.iter().any(|k| value.contains_key(k)))
            .collect();
        let unique_to_one =
            |k: &String| g.branches.iter().filter(|b| b.keys.contains(k)).count() == 1;
        // No branch at all.
        if g.exactly_one && chosen.len() == 1 {
            let present: Vec<&String> = chosen[0]
                .keys
                .iter()
                .filter(|k| value.contains_key(*k))
                .collect();
            // Removing one key at a time, via one mutation per key, cannot empty the group;
            // the test removes them all at once by mutating their parent.
            let mut without = value.clone();
            for k in &present {
                without.remove(*k);
            }
            if !present.iter().any(|k| skip_keys.contains(k)) {
                out.push(Mutation {
                    at: at.to_vec(),
                    value: Some(Value::Object(without)),
                    field: object_field.to_string(),
                    rule: "oneOfMissing",
                });
            }
        }
        // A second branch.
        if chosen.len() == 1
            && chosen[0]
                .keys
                .iter()
                .any(|k| value.contains_key(k) && unique_to_one(k))
            && let Some((key, schema)) = g
                .branches
                .iter()
                .filter(|b| !std::ptr::eq(*b, chosen[0]))
                .flat_map(|b| b.keys.iter())
                .filter(|k| unique_to_one(k) && !skip_keys.contains(k))
                .find_map(|k| s.properties.get(k).filter(|p| !p.read_only).map(|p| (k, p)))
            && let Ok(example) = catalog.example_value(schema, &join(path, key))
        {
            let mut with = value.clone();
            with.insert(key.clone(), example);
            out.push(Mutation {
                at: at.to_vec(),
                value: Some(Value::Object(with)),
                field: object_field.to_string(),
                rule: "oneOfConflict",
            });
        }
    }
    for (key, ps) in &s.properties {
        if skip_keys.contains(key) || ps.read_only || in_unchosen_branch(s, key, value) {
            continue;
        }
        let field = join(path, key);
        out.extend(constraint_mutations(catalog, ps, &here(key), &field));
        match value.get(key) {
            Some(Value::Object(inner)) if ps.variants.is_empty() => {
                object_mutations(catalog, ps, inner, &here(key), &field, &[], out);
            }
            Some(Value::Array(items)) => {
                if let (Some(Value::Object(inner)), Some(item_schema)) =
                    (items.first(), ps.items.as_deref())
                    && item_schema.variants.is_empty()
                {
                    let mut at = here(key);
                    at.push(Seg::Index(0));
                    object_mutations(
                        catalog,
                        item_schema,
                        inner,
                        &at,
                        &format!("{field}[0]"),
                        &[],
                        out,
                    );
                }
            }
            _ => {}
        }
    }
}

/// Every mutation of one operation.
fn mutations(catalog: &Catalog, op: &Operation, base: &Map<String, Value>) -> Vec<Mutation> {
    let mut out = Vec::new();
    let containers: Vec<&str> = ["folder", "snippet", "device"]
        .into_iter()
        .filter(|c| {
            op.param(c)
                .is_some_and(|p| p.location == ParamLocation::Query)
        })
        .collect();
    for p in &op.params {
        if p.location == ParamLocation::Header {
            continue;
        }
        let at = vec![Seg::Key(p.name.clone())];
        let in_group = containers.len() > 1 && containers.contains(&p.name.as_str());
        let defaulted = p.location == ParamLocation::Query && p.schema.default.is_some();
        if (p.location == ParamLocation::Path || p.required)
            && !defaulted
            && base.contains_key(&p.name)
        {
            out.push(Mutation {
                at: at.clone(),
                value: None,
                field: if in_group {
                    containers.join("/")
                } else {
                    p.name.clone()
                },
                rule: if in_group { "oneOfMissing" } else { "missing" },
            });
        }
        if in_group && !base.contains_key(&p.name) {
            // Another container is the chosen one; giving this one too is a conflict.
            let mut present: Vec<&str> = containers
                .iter()
                .copied()
                .filter(|c| base.contains_key(*c) || *c == p.name)
                .collect();
            present.sort_by_key(|c| containers.iter().position(|x| x == c));
            out.push(Mutation {
                at: at.clone(),
                value: Some(json!("Shared")),
                field: present.join("/"),
                rule: "oneOfConflict",
            });
            continue;
        }
        out.extend(constraint_mutations(catalog, &p.schema, &at, &p.name));
    }
    let Some(body) = &op.body else {
        return out;
    };
    let params: Vec<String> = op.params.iter().map(|p| p.name.clone()).collect();
    let explicit = op.param("body").is_none() && base.contains_key("body");
    if body.schema.kind == SchemaKind::Array && op.param("body").is_none() {
        // An array body travels as `body`: an item missing its first required field.
        if let Some(items) = body.schema.items.as_deref()
            && let Some(first) = items.required.first()
        {
            out.push(Mutation {
                at: vec![Seg::Key("body".into())],
                value: Some(json!([{}])),
                field: format!("[0].{first}"),
                rule: "missing",
            });
        }
        if !explicit {
            out.extend(constraint_mutations(
                catalog,
                &body.schema,
                &[Seg::Key("body".into())],
                "body",
            ));
            return out;
        }
    }
    if explicit {
        match base.get("body") {
            Some(Value::Object(fields)) => object_mutations(
                catalog,
                &body.schema,
                fields,
                &[Seg::Key("body".into())],
                "",
                &[],
                &mut out,
            ),
            _ => {
                // Array bodies: the wrong type, or the wrong number of items.
                let at = vec![Seg::Key("body".into())];
                out.extend(constraint_mutations(catalog, &body.schema, &at, "body"));
            }
        }
    } else {
        let fields: Map<String, Value> = base
            .iter()
            .filter(|(k, _)| !params.contains(k) || body.schema.properties.contains_key(*k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        // Keys that are also parameters are checked (first) as parameters above.
        object_mutations(catalog, &body.schema, &fields, &[], "", &params, &mut out);
    }
    out
}

fn apply(base: &Map<String, Value>, m: &Mutation, params: &[String]) -> Value {
    let mut root = Value::Object(base.clone());
    let mut cur = &mut root;
    for (i, seg) in m.at.iter().enumerate() {
        let last = i + 1 == m.at.len();
        match seg {
            Seg::Key(k) => {
                let Some(map) = cur.as_object_mut() else {
                    panic!("mutation path {:?} crosses a non-object", m.at)
                };
                if last {
                    match &m.value {
                        Some(v) => {
                            map.insert(k.clone(), v.clone());
                        }
                        None => {
                            map.remove(k);
                        }
                    }
                    return root;
                }
                cur = map.entry(k.clone()).or_insert_with(|| json!({}));
            }
            Seg::Index(n) => {
                let Some(items) = cur.as_array_mut() else {
                    panic!("mutation path {:?} crosses a non-array", m.at)
                };
                if last {
                    if let Some(v) = &m.value {
                        items[*n] = v.clone();
                    }
                    return root;
                }
                cur = &mut items[*n];
            }
        }
    }
    // An empty path replaces the whole body root (one-of mutations of the root object).
    match &m.value {
        Some(Value::Object(fields)) => {
            let mut merged = base.clone();
            for k in base.keys() {
                if !fields.contains_key(k) && !params.contains(k) {
                    merged.remove(k);
                }
            }
            merged.extend(fields.clone());
            Value::Object(merged)
        }
        _ => root,
    }
}

#[test]
fn every_operation_refuses_broken_input_naming_the_field() {
    let catalog = Catalog::builtin();
    let mut checked = 0usize;
    let mut per_rule: std::collections::BTreeMap<&str, usize> = Default::default();
    let mut failures = Vec::new();
    let mut uncovered = Vec::new();
    for op in catalog.operations() {
        let name = format!("{} {}", op.family, op.qualified_name());
        let base = match catalog.example_params(op) {
            Ok(Value::Object(m)) => m,
            other => panic!("{name}: no valid example: {other:?}"),
        };
        catalog
            .build_request_for(op, &Value::Object(base.clone()))
            .unwrap_or_else(|e| panic!("{name}: the valid example is refused: {e}"));
        let params: Vec<String> = op.params.iter().map(|p| p.name.clone()).collect();
        let cases = mutations(catalog, op, &base);
        let constrained = op.params.iter().any(|p| {
            p.required || p.location == ParamLocation::Path || p.schema.kind != SchemaKind::Any
        }) || op.body.is_some();
        if cases.is_empty() && constrained {
            uncovered.push(name.clone());
        }
        for m in cases {
            let input = apply(&base, &m, &params);
            checked += 1;
            *per_rule.entry(m.rule).or_default() += 1;
            match catalog.build_request_for(op, &input) {
                Ok(req) => failures.push(format!(
                    "{name}: {} {} accepted: {}",
                    m.field,
                    m.rule,
                    req.path_and_query()
                )),
                Err(e) => {
                    if !e.is_validation() {
                        failures.push(format!("{name}: not a validation error: {e}"));
                        continue;
                    }
                    match rule_of(&e) {
                        Some((field, rule)) if field == m.field && rule == m.rule => {
                            // The message names the field for the user, too.
                            if !e.to_string().contains(&format!("'{}'", m.field)) {
                                failures
                                    .push(format!("{name}: message does not quote the field: {e}"));
                            }
                        }
                        other => failures.push(format!(
                            "{name}: expected {} {} got {other:?}: {e} (input {input})",
                            m.field, m.rule
                        )),
                    }
                }
            }
        }
    }
    eprintln!("{checked} failing inputs checked: {per_rule:?}");
    assert!(
        failures.is_empty(),
        "{} of {checked} failing inputs misreported:\n{}",
        failures.len(),
        failures
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(
        uncovered.is_empty(),
        "operations with constraints but no failing input: {uncovered:?}"
    );
    // Every kind of rule is exercised somewhere in the catalog.
    for rule in [
        "missing",
        "type",
        "enum",
        "maxLength",
        "minLength",
        "pattern",
        "minimum",
        "maximum",
        "maxItems",
        "minItems",
        "oneOfMissing",
        "oneOfConflict",
    ] {
        assert!(
            per_rule.get(rule).copied().unwrap_or(0) > 0,
            "no {rule} case generated"
        );
    }
    // Both families, every operation (the loop above would silently shrink with the catalog).
    assert_eq!(catalog.operations().len(), 344 + 697);
}
