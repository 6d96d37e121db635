//! Parameter validation against an action's specification, before anything is sent.

use serde_json::Value;

use super::spec::{ActionSpec, ParamSpec, ParamType};
use crate::error::ActionError;

/// Checks `params` against `spec`: an object, only known names, required ones present,
/// types and allowed values. The error names the parameter.
pub fn validate(spec: &ActionSpec, params: &Value) -> Result<(), ActionError> {
    validate_with(spec, params, &|_| false)
}

/// Like [`validate`], for a workflow step before it runs: values for which `deferred` is
/// true (they hold `${steps...}` references) count as present but are checked only once
/// the references are resolved.
pub fn validate_with(
    spec: &ActionSpec,
    params: &Value,
    deferred: &dyn Fn(&Value) -> bool,
) -> Result<(), ActionError> {
    let map = match params {
        Value::Object(m) => m,
        Value::Null => &serde_json::Map::new(),
        _ => {
            return Err(ActionError::invalid("parameters", "must be a JSON object"));
        }
    };
    for key in map.keys() {
        if spec.param(key).is_none() {
            let known: Vec<&str> = spec.params.iter().map(|p| p.name.as_str()).collect();
            return Err(ActionError::invalid(
                key.clone(),
                format!(
                    "{} has no parameter {key:?} (known: {})",
                    spec.qualified(),
                    known.join(", ")
                ),
            ));
        }
    }
    for param in &spec.params {
        match map.get(&param.name) {
            None | Some(Value::Null) => {
                if param.required {
                    return Err(ActionError::invalid(
                        param.name.clone(),
                        format!("is required by {}: {}", spec.qualified(), param.description),
                    ));
                }
            }
            Some(v) if deferred(v) => {}
            Some(v) => check_type(param, v)?,
        }
    }
    Ok(())
}

fn check_type(param: &ParamSpec, v: &Value) -> Result<(), ActionError> {
    let bad = |what: &str| {
        Err(ActionError::invalid(
            param.name.clone(),
            format!("must be {what}, got {}", type_name(v)),
        ))
    };
    match param.ty {
        ParamType::String => match v {
            Value::String(s) => {
                if s.is_empty() && param.required {
                    return Err(ActionError::invalid(
                        param.name.clone(),
                        "must not be empty",
                    ));
                }
                if let Some(max) = param.max_length
                    && s.chars().count() > max
                {
                    return Err(ActionError::invalid(
                        param.name.clone(),
                        format!("is {} characters, at most {max} allowed", s.chars().count()),
                    ));
                }
                if !param.values.is_empty() && !param.values.iter().any(|x| x == s) {
                    return Err(ActionError::invalid(
                        param.name.clone(),
                        format!("{s:?} is not one of {}", param.values.join(", ")),
                    ));
                }
                Ok(())
            }
            _ => bad("a string"),
        },
        // Every integer parameter (ports, seconds, ids) is a count: negative ones are refused.
        ParamType::Integer => match v {
            Value::Number(n) if n.is_u64() => Ok(()),
            Value::String(s) if s.parse::<u64>().is_ok() => Ok(()),
            _ => bad("a non-negative integer"),
        },
        ParamType::Id => match v {
            Value::Number(n) if n.is_u64() => Ok(()),
            Value::String(s) if !s.is_empty() => Ok(()),
            _ => bad("a job id (integer or string)"),
        },
        ParamType::Boolean => match v {
            Value::Bool(_) => Ok(()),
            _ => bad("true or false"),
        },
        ParamType::StringList => match v {
            Value::String(_) => Ok(()),
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    if !item.is_string() {
                        return Err(ActionError::invalid(
                            format!("{}[{i}]", param.name),
                            format!("must be a string, got {}", type_name(item)),
                        ));
                    }
                }
                Ok(())
            }
            _ => bad("a string or a list of strings"),
        },
        ParamType::Object => match v {
            Value::Object(_) => Ok(()),
            _ => bad("an object"),
        },
        ParamType::ObjectList => match v {
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    if !item.is_object() {
                        return Err(ActionError::invalid(
                            format!("{}[{i}]", param.name),
                            format!("must be an object, got {}", type_name(item)),
                        ));
                    }
                }
                Ok(())
            }
            _ => bad("a list of objects"),
        },
    }
}

/// JSON type name for messages.
pub(crate) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}
