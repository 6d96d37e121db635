//! Bridge to the SCM catalog (`panops-scm`): every catalog operation becomes a route, and
//! request bodies are checked with the catalog's validator.

use std::sync::Arc;

use panops_scm::{Catalog, Operation, SchemaKind, ScmError};
use serde_json::Value;

use crate::routes::{RouteDef, RouteTable};
use crate::server::{RequestValidator, Validator};

/// Routes and validator from the built-in catalog.
pub fn builtin_routes() -> (RouteTable, Option<Validator>) {
    from_catalog(Catalog::builtin())
}

/// Routes and validator from any catalog (e.g. one generated from a newer spec directory).
pub fn from_catalog(catalog: &'static Catalog) -> (RouteTable, Option<Validator>) {
    let routes = catalog
        .operations()
        .iter()
        .enumerate()
        .map(|(i, op)| route_for(catalog, i, op))
        .collect();
    let validator: Validator = Arc::new(CatalogValidator(catalog));
    (RouteTable::new(routes), Some(validator))
}

/// Validation with the catalog's rules (types, lengths, patterns, enums, bounds, one-of).
struct CatalogValidator(&'static Catalog);

impl RequestValidator for CatalogValidator {
    fn validate_body(&self, op_index: usize, body: &Value) -> Vec<(String, String)> {
        let Some(op) = self.0.operations().get(op_index) else {
            return Vec::new();
        };
        match self.0.validate_body(op, body) {
            Ok(()) => Vec::new(),
            Err(e) => vec![(field_of(&e), e.to_string())],
        }
    }

    fn validate_query(&self, op_index: usize, name: &str, value: &str) -> Option<String> {
        let op = self.0.operations().get(op_index)?;
        let text = Value::String(value.to_string());
        // A repeated parameter (`?name=a&name=b`) arrives one value at a time: each is an item.
        let value = match op.param(name) {
            Some(p) if p.schema.kind == SchemaKind::Array => Value::Array(vec![text]),
            _ => text,
        };
        self.0
            .validate_param(op, name, &value)
            .err()
            .map(|e| e.to_string())
    }
}

/// Required read-only fields of a create body other than `id`: the server fills them in.
fn server_fields(catalog: &Catalog, op: &Operation) -> Vec<(String, Value)> {
    let Some(body) = op.body.as_ref().filter(|_| op.operation == "create") else {
        return Vec::new();
    };
    body.schema
        .required
        .iter()
        .filter(|name| name.as_str() != "id")
        .filter_map(|name| {
            let schema = body.schema.properties.get(name).filter(|p| p.read_only)?;
            let value = catalog.example_value(schema, name).ok()?;
            Some((name.clone(), value))
        })
        .collect()
}

fn route_for(catalog: &Catalog, index: usize, op: &Operation) -> RouteDef {
    let bare_array = op
        .success_schema()
        .is_some_and(|s| s.kind == SchemaKind::Array);
    let body_props = op
        .body
        .as_ref()
        .map(|b| b.schema.properties.keys().cloned().collect())
        .unwrap_or_default();
    let body_required = op.body.as_ref().is_some_and(|b| {
        b.required || !b.schema.required.is_empty() || b.schema.one_of.iter().any(|g| g.exactly_one)
    });
    let key_params = op
        .query_params()
        .filter(|p| p.required)
        .map(|p| p.name.clone())
        .filter(|n| !matches!(n.as_str(), "folder" | "snippet" | "device" | "position"))
        .collect();
    RouteDef {
        resource: op.resource.clone(),
        operation: op.operation.clone(),
        method: op.method.as_str().to_string(),
        template: op.full_path_template(),
        success_status: op.success_status(),
        bare_array,
        op_index: index,
        body_props,
        body_required,
        body_is_array: op
            .body
            .as_ref()
            .is_some_and(|b| b.schema.kind == SchemaKind::Array),
        query_params: op
            .query_params()
            // A required parameter with a default (`position`: pre) may be omitted.
            .map(|p| (p.name.clone(), p.required && p.schema.default.is_none()))
            .collect(),
        key_params,
        server_fields: server_fields(catalog, op),
        object_response: op
            .success_schema()
            .is_some_and(|s| s.kind == SchemaKind::Object),
        enveloped: op
            .success_schema()
            .is_some_and(|s| s.properties.get("data").is_some()),
        create_defaults: create_defaults(catalog, op),
        integer_id: op.object_schema().is_some_and(|s| {
            s.properties
                .get("id")
                .is_some_and(|id| id.kind == SchemaKind::Integer)
        }),
    }
}

/// Defaults declared in a create body's schema for properties the returned object must
/// have: the real service applies them at create, so they are stored with the object.
fn create_defaults(catalog: &Catalog, op: &Operation) -> Vec<(String, Value)> {
    let Some(body) = op.body.as_ref().filter(|_| op.operation == "create") else {
        return Vec::new();
    };
    let Some(returned) = catalog
        .operation(op.family, &op.resource, "get")
        .ok()
        .and_then(|get| get.object_schema())
        .or_else(|| op.object_schema())
    else {
        return Vec::new();
    };
    returned
        .required
        .iter()
        .filter_map(|name| {
            let default = body.schema.properties.get(name)?.default.clone()?;
            Some((name.clone(), default))
        })
        .collect()
}

fn field_of(e: &ScmError) -> String {
    match e {
        ScmError::InvalidParameter { field, .. }
        | ScmError::MissingParameter { field }
        | ScmError::UnknownParameter { field, .. } => field.clone(),
        _ => "body".to_string(),
    }
}
