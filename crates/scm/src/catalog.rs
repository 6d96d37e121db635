//! The [`Catalog`]: every operation, looked up by family, resource and operation name.

use crate::error::{CatalogError, ScmError};
use crate::generate::{GenerateOptions, generate_from_dir};
use crate::model::*;
use crate::validate::PatternCache;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{LazyLock, OnceLock};

/// The committed, generated catalog (facts only, no vendor prose).
pub const BUILTIN_CATALOG_JSON: &str = include_str!("../catalog/catalog.json");

/// Version of the `catalog.json` layout.
pub const CATALOG_FORMAT: u32 = 1;

static BUILTIN: LazyLock<Catalog> =
    LazyLock::new(|| match Catalog::from_json(BUILTIN_CATALOG_JSON) {
        Ok(c) => c,
        // The file is generated and checked by tests; an unparsable one is a build defect.
        Err(e) => panic!("embedded catalog/catalog.json is invalid: {e}"),
    });

/// All operations of the SCM specs, indexed.
#[derive(Debug)]
pub struct Catalog {
    operations: Vec<Operation>,
    /// family → resource → operation → position in `operations`.
    index: HashMap<Family, HashMap<String, HashMap<String, usize>>>,
    /// family → resource → positions, in catalog order.
    resources: HashMap<Family, HashMap<String, Vec<usize>>>,
    pub(crate) patterns: OnceLock<PatternCache>,
}

impl Clone for Catalog {
    fn clone(&self) -> Self {
        Catalog::from_operations_unchecked(self.operations.clone())
    }
}

impl PartialEq for Catalog {
    fn eq(&self, other: &Self) -> bool {
        self.operations == other.operations
    }
}

#[derive(Serialize, Deserialize)]
struct CatalogFile {
    format: u32,
    operations: Vec<Operation>,
}

/// One resource with its operations (for `panops scm catalog`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceSummary {
    /// Resource key.
    pub resource: String,
    /// Family.
    pub family: Family,
    /// Operation names, in catalog order.
    pub operations: Vec<String>,
    /// The collection path template (`/sse/config/v1/addresses`), from the first operation.
    pub path: String,
}

/// `describe` output for one resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceDescription {
    /// Resource key.
    pub resource: String,
    /// Family.
    pub family: Family,
    /// The described operations.
    pub operations: Vec<OperationDescription>,
}

/// `describe` output for one operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OperationDescription {
    /// Operation name.
    pub operation: String,
    /// HTTP method.
    pub method: Method,
    /// Full path template (`/sse/config/v1/addresses/{id}`).
    pub path: String,
    /// Summary (only with a run-time spec directory).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// Path and query parameters.
    pub parameters: Vec<Parameter>,
    /// Body fields, flattened to dotted paths (`source_translation.dynamic_ip.translated_address`).
    pub body_fields: Vec<FieldDescription>,
    /// "Exactly one of"/"at most one of" groups, by object path.
    pub one_of_groups: Vec<GroupDescription>,
    /// Spec patterns that neither `regex` nor `fancy-regex` can compile, so are not enforced.
    pub skipped_patterns: Vec<SkippedPattern>,
    /// Success status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success_status: Option<u16>,
}

impl std::fmt::Display for ResourceDescription {
    /// Plain-text `describe` output: one block per operation.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, op) in self.operations.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            writeln!(
                f,
                "{}.{} ({})  {} {}",
                self.resource, op.operation, self.family, op.method, op.path
            )?;
            if let Some(s) = &op.summary {
                writeln!(f, "  {s}")?;
            }
            if !op.parameters.is_empty() {
                writeln!(f, "  parameters:")?;
                for p in &op.parameters {
                    let loc = match p.location {
                        ParamLocation::Path => "path",
                        ParamLocation::Query => "query",
                        ParamLocation::Header => "header",
                    };
                    writeln!(
                        f,
                        "    {}{} ({loc}): {}",
                        p.name,
                        if p.required { "*" } else { "" },
                        p.schema.constraint_summary()
                    )?;
                    if let Some(d) = &p.description {
                        writeln!(f, "        {}", d.lines().next().unwrap_or(""))?;
                    }
                }
            }
            if !op.body_fields.is_empty() {
                writeln!(f, "  body fields:")?;
                for b in &op.body_fields {
                    writeln!(
                        f,
                        "    {}{}: {}",
                        b.path,
                        if b.required { "*" } else { "" },
                        b.schema.constraint_summary()
                    )?;
                    if let Some(d) = &b.schema.description {
                        writeln!(f, "        {}", d.lines().next().unwrap_or(""))?;
                    }
                }
            }
            for g in &op.one_of_groups {
                let kind = if g.group.exactly_one {
                    "exactly one of"
                } else {
                    "at most one of"
                };
                let at = if g.object.is_empty() {
                    "body".to_string()
                } else {
                    g.object.clone()
                };
                let alts: Vec<String> = g
                    .group
                    .branches
                    .iter()
                    .filter(|b| !b.keys.is_empty())
                    .map(|b| b.keys.join("+"))
                    .collect();
                writeln!(f, "  {at}: {kind} {}", alts.join(" | "))?;
            }
            for s in &op.skipped_patterns {
                writeln!(f, "  pattern not enforced: {} ({})", s.pattern, s.reason)?;
            }
        }
        Ok(())
    }
}

/// One body field in a `describe` listing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldDescription {
    /// Dotted path; array elements are written `field[]`.
    pub path: String,
    /// Required (within its parent object, when that parent is present).
    pub required: bool,
    /// The node's constraints (children omitted: they have their own rows).
    pub schema: Schema,
}

/// A one-of group in a `describe` listing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupDescription {
    /// Path of the object the group belongs to (empty for the body root).
    pub object: String,
    /// The group.
    pub group: OneOfGroup,
}

/// A spec pattern that cannot be enforced, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedPattern {
    /// The pattern as written in the spec.
    pub pattern: String,
    /// The compile errors of `regex` and `fancy-regex`.
    pub reason: String,
}

impl Catalog {
    /// The embedded catalog generated from the official specs (parsed once, lazily).
    pub fn builtin() -> &'static Catalog {
        &BUILTIN
    }

    /// Generates a catalog from a directory holding `sse-v1/*.yaml` and/or `v2/*.yaml`
    /// (the layout of the official specs), keeping vendor descriptions for `describe`.
    pub fn from_spec_dir(path: impl AsRef<Path>) -> Result<Catalog, CatalogError> {
        let ops = generate_from_dir(
            path.as_ref(),
            GenerateOptions {
                descriptions: true,
                ..GenerateOptions::default()
            },
        )?;
        Catalog::from_operations(ops)
    }

    /// Like [`Catalog::facts_from_spec_dir`], also keeping the schemas of error responses
    /// ([`crate::ResponseSpec::schema`] of 4xx/5xx/`default`), for checking a server's error
    /// bodies against the specs.
    pub fn with_error_schemas_from_spec_dir(
        path: impl AsRef<Path>,
    ) -> Result<Catalog, CatalogError> {
        let ops = generate_from_dir(
            path.as_ref(),
            GenerateOptions {
                error_schemas: true,
                ..GenerateOptions::default()
            },
        )?;
        Catalog::from_operations(ops)
    }

    /// Like [`Catalog::from_spec_dir`] but without descriptions (what `catalog.json` holds).
    pub fn facts_from_spec_dir(path: impl AsRef<Path>) -> Result<Catalog, CatalogError> {
        let ops = generate_from_dir(
            path.as_ref(),
            GenerateOptions {
                descriptions: false,
                error_schemas: false,
            },
        )?;
        Catalog::from_operations(ops)
    }

    /// Builds a catalog, rejecting two operations with the same family/resource/operation.
    pub fn from_operations(mut operations: Vec<Operation>) -> Result<Catalog, CatalogError> {
        operations.sort_by(|a, b| {
            (a.family, &a.resource, &a.operation).cmp(&(b.family, &b.resource, &b.operation))
        });
        for w in operations.windows(2) {
            let (a, b) = (&w[0], &w[1]);
            if a.family == b.family && a.resource == b.resource && a.operation == b.operation {
                return Err(CatalogError::Duplicate {
                    family: a.family.to_string(),
                    resource: a.resource.clone(),
                    operation: a.operation.clone(),
                    first: format!("{} {}{} ({})", a.method, a.base_path, a.path, a.spec_file),
                    second: format!("{} {}{} ({})", b.method, b.base_path, b.path, b.spec_file),
                });
            }
        }
        Ok(Catalog::from_operations_unchecked(operations))
    }

    fn from_operations_unchecked(operations: Vec<Operation>) -> Catalog {
        let mut index: HashMap<Family, HashMap<String, HashMap<String, usize>>> = HashMap::new();
        let mut resources: HashMap<Family, HashMap<String, Vec<usize>>> = HashMap::new();
        for (i, op) in operations.iter().enumerate() {
            index
                .entry(op.family)
                .or_default()
                .entry(op.resource.clone())
                .or_default()
                .insert(op.operation.clone(), i);
            resources
                .entry(op.family)
                .or_default()
                .entry(op.resource.clone())
                .or_default()
                .push(i);
        }
        Catalog {
            operations,
            index,
            resources,
            patterns: OnceLock::new(),
        }
    }

    /// Parses a `catalog.json` document.
    pub fn from_json(json: &str) -> Result<Catalog, CatalogError> {
        let file: CatalogFile = serde_json::from_str(json)?;
        Catalog::from_operations(file.operations)
    }

    /// Serialises to the committed `catalog.json` layout: compact, one operation per line.
    pub fn to_json(&self) -> String {
        let mut out = format!("{{\"format\":{CATALOG_FORMAT},\"operations\":[\n");
        for (i, op) in self.operations.iter().enumerate() {
            // Serialising plain data into a String cannot fail.
            out.push_str(&serde_json::to_string(op).unwrap_or_default());
            if i + 1 < self.operations.len() {
                out.push(',');
            }
            out.push('\n');
        }
        out.push_str("]}\n");
        out
    }

    /// A copy without vendor descriptions and summaries.
    pub fn without_descriptions(&self) -> Catalog {
        let mut ops = self.operations.clone();
        for op in &mut ops {
            op.summary = None;
            for p in &mut op.params {
                p.description = None;
                strip_schema(&mut p.schema);
            }
            if let Some(b) = &mut op.body {
                strip_schema(&mut b.schema);
            }
            for r in &mut op.responses {
                if let Some(s) = &mut r.schema {
                    strip_schema(s);
                }
            }
        }
        Catalog::from_operations_unchecked(ops)
    }

    /// Every operation, sorted by family, resource, operation.
    pub fn operations(&self) -> &[Operation] {
        &self.operations
    }

    /// The operations of one family.
    pub fn operations_in(&self, family: Family) -> impl Iterator<Item = &Operation> {
        self.operations.iter().filter(move |o| o.family == family)
    }

    /// Whether the family has this resource.
    pub fn has_resource(&self, family: Family, resource: &str) -> bool {
        self.resources
            .get(&family)
            .is_some_and(|r| r.contains_key(resource))
    }

    /// Looks an operation up; errors with the messages users know
    /// (`unsupported resource: x`, `unsupported operation: x.y`).
    pub fn operation(
        &self,
        family: Family,
        resource: &str,
        operation: &str,
    ) -> Result<&Operation, ScmError> {
        if let Some(i) = self
            .index
            .get(&family)
            .and_then(|r| r.get(resource))
            .and_then(|o| o.get(operation))
        {
            return Ok(&self.operations[*i]);
        }
        if self.has_resource(family, resource) {
            Err(ScmError::UnsupportedOperation {
                resource: resource.to_string(),
                operation: operation.to_string(),
            })
        } else {
            Err(ScmError::UnsupportedResource(resource.to_string()))
        }
    }

    /// The operations of one resource, in catalog order.
    pub fn resource_operations(
        &self,
        family: Family,
        resource: &str,
    ) -> Result<Vec<&Operation>, ScmError> {
        self.resources
            .get(&family)
            .and_then(|r| r.get(resource))
            .map(|ix| ix.iter().map(|i| &self.operations[*i]).collect())
            .ok_or_else(|| ScmError::UnsupportedResource(resource.to_string()))
    }

    /// Every resource with its operations, sorted by family then resource.
    pub fn resources(&self) -> Vec<ResourceSummary> {
        let mut grouped: BTreeMap<(Family, &str), Vec<&Operation>> = BTreeMap::new();
        for op in &self.operations {
            grouped
                .entry((op.family, op.resource.as_str()))
                .or_default()
                .push(op);
        }
        grouped
            .into_iter()
            .map(|((family, resource), ops)| {
                let path = ops
                    .iter()
                    .find(|o| o.path_params().next().is_none() && !o.path.contains(':'))
                    .or(ops.first())
                    .map(|o| o.full_path_template())
                    .unwrap_or_default();
                ResourceSummary {
                    resource: resource.to_string(),
                    family,
                    operations: ops.iter().map(|o| o.operation.clone()).collect(),
                    path,
                }
            })
            .collect()
    }

    /// The resources of one family.
    pub fn resources_in(&self, family: Family) -> Vec<ResourceSummary> {
        self.resources()
            .into_iter()
            .filter(|r| r.family == family)
            .collect()
    }

    /// Parameters, body fields and constraints of a resource's operations (or of one).
    pub fn describe(
        &self,
        family: Family,
        resource: &str,
        operation: Option<&str>,
    ) -> Result<ResourceDescription, ScmError> {
        let ops: Vec<&Operation> = match operation {
            Some(op) => vec![self.operation(family, resource, op)?],
            None => self.resource_operations(family, resource)?,
        };
        let operations = ops.into_iter().map(|op| self.describe_op(op)).collect();
        Ok(ResourceDescription {
            resource: resource.to_string(),
            family,
            operations,
        })
    }

    fn describe_op(&self, op: &Operation) -> OperationDescription {
        let mut body_fields = Vec::new();
        let mut groups = Vec::new();
        let mut patterns = Vec::new();
        for p in &op.params {
            collect_patterns(&p.schema, &mut patterns);
        }
        if let Some(b) = &op.body {
            flatten_fields(&b.schema, "", &mut body_fields, &mut groups);
            collect_patterns(&b.schema, &mut patterns);
        }
        let cache = self.pattern_cache();
        let mut skipped: Vec<SkippedPattern> = Vec::new();
        for p in patterns {
            if let Some(reason) = cache.skip_reason(&p) {
                if !skipped.iter().any(|s| s.pattern == p) {
                    skipped.push(SkippedPattern {
                        pattern: p,
                        reason: reason.to_string(),
                    });
                }
            }
        }
        OperationDescription {
            operation: op.operation.clone(),
            method: op.method,
            path: op.full_path_template(),
            summary: op.summary.clone(),
            parameters: op.params.clone(),
            body_fields,
            one_of_groups: groups,
            skipped_patterns: skipped,
            success_status: op.success_status(),
        }
    }

    /// Every distinct pattern of the catalog that cannot be compiled, with the reason.
    pub fn skipped_patterns(&self) -> Vec<SkippedPattern> {
        self.pattern_cache().skipped()
    }

    /// Adds the operations of `newer` and fills in descriptions: an operation present in both
    /// is taken from `newer` (a newer spec wins), operations only in `self` are kept.
    #[must_use]
    pub fn merged_with(&self, newer: Catalog) -> Catalog {
        let mut by_key: BTreeMap<(Family, String, String), Operation> = self
            .operations
            .iter()
            .map(|o| {
                (
                    (o.family, o.resource.clone(), o.operation.clone()),
                    o.clone(),
                )
            })
            .collect();
        for op in newer.operations {
            by_key.insert((op.family, op.resource.clone(), op.operation.clone()), op);
        }
        Catalog::from_operations_unchecked(by_key.into_values().collect())
    }

    /// Finds the operation serving `method` + `path` (a full path such as
    /// `/sse/config/v1/addresses/abc`, no query string), with the decoded path parameters.
    /// Literal paths win over templated ones (`/config-versions/running` over `/{version}`).
    pub fn match_route(&self, method: Method, path: &str) -> Option<RouteMatch<'_>> {
        let mut best: Option<(usize, RouteMatch<'_>)> = None;
        for op in self.operations.iter().filter(|o| o.method == method) {
            let Some(rest) = path.strip_prefix(op.base_path.as_str()) else {
                continue;
            };
            if let Some(params) = match_template(&op.path, rest) {
                let literal_score =
                    op.path.len() - params.iter().map(|(k, _)| k.len() + 2).sum::<usize>();
                let better = best.as_ref().is_none_or(|(score, m)| {
                    params.len() < m.path_params.len()
                        || (params.len() == m.path_params.len() && literal_score > *score)
                });
                if better {
                    best = Some((
                        literal_score,
                        RouteMatch {
                            operation: op,
                            path_params: params,
                        },
                    ));
                }
            }
        }
        best.map(|(_, m)| m)
    }

    pub(crate) fn pattern_cache(&self) -> &PatternCache {
        self.patterns.get_or_init(|| {
            let mut all = Vec::new();
            for op in &self.operations {
                for p in &op.params {
                    collect_patterns(&p.schema, &mut all);
                }
                if let Some(b) = &op.body {
                    collect_patterns(&b.schema, &mut all);
                }
            }
            PatternCache::compile(all)
        })
    }
}

/// The result of [`Catalog::match_route`].
#[derive(Debug, Clone)]
pub struct RouteMatch<'a> {
    /// The operation.
    pub operation: &'a Operation,
    /// Path parameters, percent-decoded, in template order.
    pub path_params: Vec<(String, String)>,
}

/// Matches a relative template (`/addresses/{id}:move`) against a relative path.
fn match_template(template: &str, path: &str) -> Option<Vec<(String, String)>> {
    let mut params = Vec::new();
    let mut t = template;
    let mut p = path;
    loop {
        match t.find('{') {
            None => return (t == p).then_some(params),
            Some(start) => {
                let (lit, rest) = t.split_at(start);
                p = p.strip_prefix(lit)?;
                let end = rest.find('}')?;
                let name = &rest[1..end];
                t = &rest[end + 1..];
                // The value runs to the next literal character of the template (or '/').
                let stop = t.chars().next();
                let len = match stop {
                    Some(c) => p.find([c, '/']).unwrap_or(p.len()),
                    None => p.find('/').unwrap_or(p.len()),
                };
                if len == 0 {
                    return None;
                }
                let raw = &p[..len];
                params.push((name.to_string(), crate::request::percent_decode(raw)));
                p = &p[len..];
            }
        }
    }
}

fn strip_schema(s: &mut Schema) {
    s.description = None;
    if let Some(i) = &mut s.items {
        strip_schema(i);
    }
    for v in s.properties.values_mut() {
        strip_schema(v);
    }
    for v in &mut s.variants {
        strip_schema(v);
    }
}

pub(crate) fn collect_patterns(s: &Schema, out: &mut Vec<String>) {
    if let Some(p) = &s.pattern {
        out.push(p.clone());
    }
    if let Some(i) = &s.items {
        collect_patterns(i, out);
    }
    for v in s.properties.values() {
        collect_patterns(v, out);
    }
    for v in &s.variants {
        collect_patterns(v, out);
    }
}

fn flatten_fields(
    s: &Schema,
    prefix: &str,
    out: &mut Vec<FieldDescription>,
    groups: &mut Vec<GroupDescription>,
) {
    for g in &s.one_of {
        groups.push(GroupDescription {
            object: prefix.to_string(),
            group: g.clone(),
        });
    }
    if let Some(items) = &s.items {
        let path = format!("{prefix}[]");
        if !items.properties.is_empty() {
            flatten_fields(items, &path, out, groups);
        }
    }
    for (name, child) in &s.properties {
        let path = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}.{name}")
        };
        let mut shallow = child.clone();
        shallow.properties.clear();
        shallow.one_of.clear();
        if let Some(items) = &mut shallow.items {
            items.properties.clear();
            items.one_of.clear();
        }
        out.push(FieldDescription {
            path: path.clone(),
            required: s.required.contains(name),
            schema: shallow,
        });
        flatten_fields(child, &path, out, groups);
    }
}
