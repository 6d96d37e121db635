//! Building a validated [`HttpRequest`] from `{resource, operation, parameters}`.
//!
//! # Parameters
//!
//! `params` is a JSON object (or `null` for none):
//! - keys naming a declared **path** or **query** parameter of the operation (`id`, `folder`,
//!   `snippet`, `device`, `position`, `name`, `limit`, `offset`, ...) go to the path or query;
//!   numbers and booleans may be given as JSON values or as text;
//! - the **body** is either the value of a `body` key (when the operation has no parameter
//!   called `body`), or else every remaining key. In the second form, a query/path parameter
//!   that is also a (writable) body property is sent in both places (e.g. `name` on the
//!   collection-level PUT of mobile-agent resources).
//!
//! A key that is neither a parameter nor a body property is rejected (`unknown parameter`),
//! with one exception: the location keys `folder`, `snippet` and `device` are dropped when the
//! operation declares them nowhere (the sse-v1 updates and deletes by id). The API reports an
//! object's location in every response but fixes it by the id, so a fetched object can be
//! passed back unchanged, as the read-only `id` can; pan-scm-sdk drops `folder` on update too.
//! `folder`/`snippet`/`device` query parameters are treated as one "exactly one of" group when
//! an operation declares more than one of them (the spec's `required` on all three is an
//! artefact). A required query parameter that has a spec default (e.g. `position: pre`) is
//! filled with it when absent.

use crate::catalog::Catalog;
use crate::error::{ScmError, Violation};
use crate::model::{Family, Method, Operation, ParamLocation, SchemaKind};
use crate::validate::json_type_name;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A validated request, ready for a transport. Nothing here has touched the network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HttpRequest {
    /// HTTP method.
    pub method: Method,
    /// Path from the host root, path parameters substituted and percent-encoded, literal
    /// `:verb` suffixes kept (e.g. `/sse/config/v1/security-rules/abc:move`).
    pub path: String,
    /// Query pairs, in spec order, NOT percent-encoded (see [`HttpRequest::query_string`]).
    pub query: Vec<(String, String)>,
    /// JSON body.
    pub body: Option<Value>,
    /// Family of the operation (selects the default host).
    pub family: Family,
    /// Resource key (for error messages: `API error [..] on <resource>.<operation>`).
    pub resource: String,
    /// Operation name.
    pub operation: String,
}

impl HttpRequest {
    /// The query string, percent-encoded, without the leading `?` (empty when no query).
    pub fn query_string(&self) -> String {
        self.query
            .iter()
            .map(|(k, v)| format!("{}={}", encode_query(k), encode_query(v)))
            .collect::<Vec<_>>()
            .join("&")
    }

    /// `path?query` (or just `path`).
    pub fn path_and_query(&self) -> String {
        if self.query.is_empty() {
            self.path.clone()
        } else {
            format!("{}?{}", self.path, self.query_string())
        }
    }

    /// True when retrying after a 5xx is safe (GET, PUT, DELETE).
    pub fn is_idempotent(&self) -> bool {
        self.method.is_idempotent()
    }

    /// `<resource>.<operation>`.
    pub fn qualified_name(&self) -> String {
        format!("{}.{}", self.resource, self.operation)
    }
}

const CONTAINERS: [&str; 3] = ["folder", "snippet", "device"];

impl Catalog {
    /// Validates `params` against the operation and builds the request (see module docs).
    pub fn build_request(
        &self,
        family: Family,
        resource: &str,
        operation: &str,
        params: &Value,
    ) -> Result<HttpRequest, ScmError> {
        let op = self.operation(family, resource, operation)?;
        self.build_request_for(op, params)
    }

    /// [`Catalog::build_request`] for an operation already looked up.
    pub fn build_request_for(
        &self,
        op: &Operation,
        params: &Value,
    ) -> Result<HttpRequest, ScmError> {
        let empty = Map::new();
        let map = match params {
            Value::Object(m) => m,
            Value::Null => &empty,
            other => {
                return Err(ScmError::ParamsNotObject {
                    operation: op.qualified_name(),
                    got: json_type_name(other),
                });
            }
        };

        // Path.
        let mut path = String::with_capacity(op.base_path.len() + op.path.len() + 16);
        path.push_str(&op.base_path);
        let mut rest = op.path.as_str();
        while let Some(start) = rest.find('{') {
            path.push_str(&rest[..start]);
            let Some(end) = rest[start..].find('}') else {
                break;
            };
            let name = &rest[start + 1..start + end];
            let value = map.get(name).ok_or_else(|| ScmError::MissingParameter {
                field: name.to_string(),
            })?;
            self.validate_param(op, name, value)?;
            let text = scalar_text(value).ok_or_else(|| ScmError::InvalidParameter {
                field: name.to_string(),
                violation: Violation::Type {
                    expected: "string".to_string(),
                    value: value.to_string(),
                },
            })?;
            if text.is_empty() {
                return Err(ScmError::InvalidParameter {
                    field: name.to_string(),
                    violation: Violation::MinLength {
                        value: "\"\"".to_string(),
                        min: 1,
                    },
                });
            }
            path.push_str(&encode_path_segment(&text));
            rest = &rest[start + end + 1..];
        }
        path.push_str(rest);

        // Query.
        let declared_containers: Vec<&str> = CONTAINERS
            .iter()
            .copied()
            .filter(|c| {
                op.param(c)
                    .is_some_and(|p| p.location == ParamLocation::Query)
            })
            .collect();
        let container_group = declared_containers.len() > 1;
        if container_group {
            let given: Vec<String> = declared_containers
                .iter()
                .filter(|c| map.get(**c).is_some_and(|v| !v.is_null()))
                .map(|c| c.to_string())
                .collect();
            let any_required = declared_containers
                .iter()
                .any(|c| op.param(c).is_some_and(|p| p.required));
            if given.len() > 1 {
                return Err(ScmError::InvalidParameter {
                    field: given.join("/"),
                    violation: Violation::OneOfConflict {
                        present: given,
                        keys: declared_containers.iter().map(|c| c.to_string()).collect(),
                    },
                });
            }
            if given.is_empty() && any_required {
                return Err(ScmError::InvalidParameter {
                    field: declared_containers.join("/"),
                    violation: Violation::OneOfMissing {
                        keys: declared_containers.iter().map(|c| c.to_string()).collect(),
                    },
                });
            }
        }
        let mut query = Vec::new();
        for p in op.query_params() {
            let value = match map.get(&p.name) {
                Some(v) if !v.is_null() => v.clone(),
                _ => {
                    let in_group = container_group && CONTAINERS.contains(&p.name.as_str());
                    if p.required && !in_group {
                        match &p.schema.default {
                            Some(d) => d.clone(),
                            None => {
                                return Err(ScmError::MissingParameter {
                                    field: p.name.clone(),
                                });
                            }
                        }
                    } else {
                        continue;
                    }
                }
            };
            self.validate_param(op, &p.name, &value)?;
            match &value {
                Value::Array(items) => {
                    for item in items {
                        if let Some(t) = scalar_text(item) {
                            query.push((p.name.clone(), t));
                        }
                    }
                }
                other => {
                    if let Some(t) = scalar_text(other) {
                        query.push((p.name.clone(), t));
                    } else {
                        query.push((p.name.clone(), other.to_string()));
                    }
                }
            }
        }

        // Body.
        let is_param = |k: &str| op.params.iter().any(|p| p.name == k);
        let body_declares = |k: &str| {
            op.body
                .as_ref()
                .is_some_and(|b| b.schema.properties.contains_key(k))
        };
        // Location keys the operation declares nowhere: reported by the API, fixed by the id.
        let undeclared_location =
            |k: &str| CONTAINERS.contains(&k) && !is_param(k) && !body_declares(k);
        let stripped;
        let map = if map.keys().any(|k| undeclared_location(k)) {
            stripped = map
                .iter()
                .filter(|(k, _)| !undeclared_location(k))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect::<Map<String, Value>>();
            &stripped
        } else {
            map
        };
        let body = match &op.body {
            None => {
                if let Some(k) = map.keys().find(|k| !is_param(k)) {
                    return Err(ScmError::UnknownParameter {
                        field: k.clone(),
                        expected: op
                            .params
                            .iter()
                            .map(|p| p.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                    });
                }
                None
            }
            Some(spec) => {
                let explicit = if is_param("body") {
                    None
                } else {
                    map.get("body")
                };
                let body = match explicit {
                    Some(b) => {
                        if let Some(k) = map.keys().find(|k| !is_param(k) && *k != "body") {
                            return Err(ScmError::UnknownParameter {
                                field: k.clone(),
                                expected: format!(
                                    "{} (the body is given as `body`)",
                                    op.params
                                        .iter()
                                        .map(|p| p.name.as_str())
                                        .chain(std::iter::once("body"))
                                        .collect::<Vec<_>>()
                                        .join(", ")
                                ),
                            });
                        }
                        Some(match b {
                            Value::Object(fields)
                                if fields.keys().any(|k| undeclared_location(k)) =>
                            {
                                Value::Object(
                                    fields
                                        .iter()
                                        .filter(|(k, _)| !undeclared_location(k))
                                        .map(|(k, v)| (k.clone(), v.clone()))
                                        .collect(),
                                )
                            }
                            other => other.clone(),
                        })
                    }
                    None => {
                        let mut obj = Map::new();
                        for (k, v) in map {
                            let declared_param = is_param(k);
                            let body_prop = spec.schema.properties.get(k);
                            // Body fields, plus parameters the body also declares (writable).
                            if !declared_param || body_prop.is_some_and(|p| !p.read_only) {
                                obj.insert(k.clone(), v.clone());
                            }
                        }
                        let needs_body = !obj.is_empty()
                            || spec.required
                            || !spec.schema.required.is_empty()
                            || spec.schema.one_of.iter().any(|g| g.exactly_one);
                        if needs_body {
                            if spec.schema.kind == SchemaKind::Array && obj.is_empty() {
                                // An array body can only be given as `body`.
                                return Err(ScmError::MissingParameter {
                                    field: "body".to_string(),
                                });
                            }
                            Some(Value::Object(obj))
                        } else {
                            None
                        }
                    }
                };
                if let Some(b) = &body {
                    self.validate_body(op, b)?;
                }
                body
            }
        };

        Ok(HttpRequest {
            method: op.method,
            path,
            query,
            body,
            family: op.family,
            resource: op.resource.clone(),
            operation: op.operation.clone(),
        })
    }
}

fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Everything but RFC 3986 unreserved characters (`A-Z a-z 0-9 - . _ ~`) is escaped.
const NOT_UNRESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes one path segment (everything but RFC 3986 unreserved characters).
pub fn encode_path_segment(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, NOT_UNRESERVED).to_string()
}

/// Percent-encodes a query key or value (`application/x-www-form-urlencoded` style, space as
/// `%20`).
pub fn encode_query(s: &str) -> String {
    encode_path_segment(s)
}

/// Decodes `%XX` escapes (and leaves malformed ones as they are). `+` is kept.
pub fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_round_trip() {
        assert_eq!(encode_path_segment("a b/c:d"), "a%20b%2Fc%3Ad");
        assert_eq!(percent_decode("a%20b%2Fc%3Ad"), "a b/c:d");
        // An escape at the very end is decoded too (the hand-written decoder missed it).
        assert_eq!(percent_decode("a%41"), "aA");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%4"), "%4");
        assert_eq!(percent_decode("Mobile%20Users"), "Mobile Users");
    }
}
