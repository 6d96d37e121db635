//! Workflows: actions run in order, later ones using earlier results.
//!
//! A workflow file is one action, a list of actions, or `{"profile"?, "steps": [...]}`.
//! Any string parameter may hold `${steps.N.result.path}` (N counts from 0; the path walks
//! objects by key and lists by index). A string that is only a reference takes the referenced
//! JSON value as is (a number, a list); a reference inside a longer string is replaced by its
//! text. The run stops at the first failure and reports what was done.
//!
//! A step with `"skip_unsupported": true` is skipped (and reported as skipped) when its
//! backend lacks the action, so one file can serve a Panorama and an SCM tenant.

use serde::{Deserialize, Serialize};
use serde_json::Value;
#[cfg(test)]
use serde_json::json;

use crate::backend::{Action, Backends};
use crate::catalog;
use crate::error::ActionError;

/// One step of a workflow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// The action.
    #[serde(flatten)]
    pub action: Action,
    /// Skip (instead of failing) when the backend cannot run this action.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub skip_unsupported: bool,
    /// A label for reports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// A list of steps with an optional default profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Workflow {
    /// Profile of steps that name none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// What the workflow does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The steps, in order.
    pub steps: Vec<Step>,
}

impl Workflow {
    /// Parses a workflow file: one action, a list of actions, or `{"steps": [...]}`.
    pub fn parse(text: &str) -> Result<Workflow, ActionError> {
        let value: Value = serde_json::from_str(text)
            .map_err(|e| ActionError::invalid("(file)", format!("not valid JSON: {e}")))?;
        Self::from_value(value)
    }

    /// Like [`Workflow::parse`], from a JSON value.
    pub fn from_value(value: Value) -> Result<Workflow, ActionError> {
        let shape_err = |e: serde_json::Error, at: &str| {
            ActionError::invalid(at, format!("is not an action: {e}"))
        };
        match value {
            Value::Array(items) => {
                let mut steps = Vec::with_capacity(items.len());
                for (i, item) in items.into_iter().enumerate() {
                    steps.push(
                        serde_json::from_value(item)
                            .map_err(|e| shape_err(e, &format!("steps[{i}]")))?,
                    );
                }
                Ok(Workflow {
                    profile: None,
                    description: None,
                    steps,
                })
            }
            Value::Object(ref m) if m.contains_key("steps") => {
                let profile = m.get("profile").and_then(Value::as_str).map(str::to_string);
                let description = m
                    .get("description")
                    .and_then(Value::as_str)
                    .map(str::to_string);
                let Some(Value::Array(items)) = m.get("steps") else {
                    return Err(ActionError::invalid("steps", "must be a list of actions"));
                };
                let mut steps = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    steps.push(
                        serde_json::from_value(item.clone())
                            .map_err(|e| shape_err(e, &format!("steps[{i}]")))?,
                    );
                }
                Ok(Workflow {
                    profile,
                    description,
                    steps,
                })
            }
            Value::Object(_) => Ok(Workflow {
                profile: None,
                description: None,
                steps: vec![serde_json::from_value(value).map_err(|e| shape_err(e, "(file)"))?],
            }),
            _ => Err(ActionError::invalid(
                "(file)",
                "must be an action, a list of actions or {\"steps\": [...]}",
            )),
        }
    }

    /// Checks every step before anything runs: the action exists, its parameters are known
    /// and those without `${steps...}` references have the right types and formats (ports,
    /// addresses, names: [`crate::fields::check_values`]). A typo in step 7
    /// is then found before steps 0 to 6 change anything. The error's field is
    /// `steps[N]` or `steps[N].PARAMETER`.
    pub fn check(&self) -> Result<(), ActionError> {
        for (i, step) in self.steps.iter().enumerate() {
            let spec = catalog::find(&step.action.resource, &step.action.operation)
                .map_err(|e| ActionError::invalid(format!("steps[{i}]"), e.to_string()))?;
            catalog::validate_with(spec, &step.action.parameters, &has_reference)
                .and_then(|()| {
                    crate::fields::check_values(spec, &step.action.parameters, &has_reference)
                })
                .map_err(|e| match e {
                    ActionError::InvalidParameter { field, message } => ActionError::invalid(
                        format!("steps[{i}].{field}"),
                        format!("{}: {message}", spec.qualified()),
                    ),
                    other => other,
                })?;
        }
        Ok(())
    }

    /// Every profile the workflow names (the default one included), sorted, without duplicates.
    pub fn profiles(&self) -> Vec<Option<String>> {
        let mut out: Vec<Option<String>> = self
            .steps
            .iter()
            .map(|s| s.action.profile.clone().or_else(|| self.profile.clone()))
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

/// One completed step in a [`Report`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Completed {
    /// Step index.
    pub step: usize,
    /// `resource.operation`.
    pub action: String,
    /// Label, when the step has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The result (`null` when skipped).
    pub result: Value,
    /// Why the step was skipped, when it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
}

/// The failed step in a [`Report`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Failed {
    /// Step index.
    pub step: usize,
    /// `resource.operation`.
    pub action: String,
    /// Label, when the step has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The error, `{code, message, field?}`.
    pub error: Value,
}

/// What a run did: `{ok, completed: [...], failed?: {step, error}}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// True when every step completed (or was skipped).
    pub ok: bool,
    /// Steps done, in order.
    pub completed: Vec<Completed>,
    /// The step that failed; the steps after it were not run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed: Option<Failed>,
    /// Steps not run because of the failure.
    pub not_run: usize,
}

impl Report {
    /// The report as JSON.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

/// Runs `workflow` on `backends`, stopping at the first failure.
pub async fn run(backends: &Backends, workflow: &Workflow) -> Report {
    let mut completed: Vec<Completed> = Vec::new();
    let mut results: Vec<Option<Value>> = Vec::new();
    let total = workflow.steps.len();
    for (i, step) in workflow.steps.iter().enumerate() {
        let label = format!("{}.{}", step.action.resource, step.action.operation);
        let profile = step
            .action
            .profile
            .clone()
            .or_else(|| workflow.profile.clone());
        let outcome = run_step(backends, step, profile.as_deref(), &results).await;
        match outcome {
            Ok(StepOutcome::Done(result)) => {
                results.push(Some(result.clone()));
                completed.push(Completed {
                    step: i,
                    action: label,
                    name: step.name.clone(),
                    result,
                    skipped: None,
                });
            }
            Ok(StepOutcome::Skipped(reason)) => {
                results.push(None);
                completed.push(Completed {
                    step: i,
                    action: label,
                    name: step.name.clone(),
                    result: Value::Null,
                    skipped: Some(reason),
                });
            }
            Err(e) => {
                return Report {
                    ok: false,
                    completed,
                    failed: Some(Failed {
                        step: i,
                        action: label,
                        name: step.name.clone(),
                        error: e.to_json()["error"].clone(),
                    }),
                    not_run: total - i - 1,
                };
            }
        }
    }
    Report {
        ok: true,
        completed,
        failed: None,
        not_run: 0,
    }
}

enum StepOutcome {
    Done(Value),
    Skipped(String),
}

async fn run_step(
    backends: &Backends,
    step: &Step,
    profile: Option<&str>,
    results: &[Option<Value>],
) -> Result<StepOutcome, ActionError> {
    let backend = backends.get(profile)?;
    let spec = catalog::find(&step.action.resource, &step.action.operation)?;
    if !spec.supports(backend.kind()) {
        let err = crate::backend::unsupported(spec, backend.kind());
        return if step.skip_unsupported {
            Ok(StepOutcome::Skipped(err.message()))
        } else {
            Err(err)
        };
    }
    let params = substitute(&step.action.parameters, results, "")?;
    backend
        .execute(&step.action.resource, &step.action.operation, &params)
        .await
        .map(StepOutcome::Done)
}

/// True when `value` holds a `${...}` reference anywhere.
fn has_reference(value: &Value) -> bool {
    match value {
        Value::String(s) => s.contains("${"),
        Value::Array(items) => items.iter().any(has_reference),
        Value::Object(m) => m.values().any(has_reference),
        _ => false,
    }
}

/// Replaces `${steps.N.result...}` references in every string of `value`.
pub fn substitute(
    value: &Value,
    results: &[Option<Value>],
    at: &str,
) -> Result<Value, ActionError> {
    match value {
        Value::String(s) => substitute_str(s, results, at),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, v)| substitute(v, results, &format!("{at}[{i}]")))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        Value::Object(m) => {
            let mut out = serde_json::Map::new();
            for (k, v) in m {
                let path = if at.is_empty() {
                    k.clone()
                } else {
                    format!("{at}.{k}")
                };
                out.insert(k.clone(), substitute(v, results, &path)?);
            }
            Ok(Value::Object(out))
        }
        other => Ok(other.clone()),
    }
}

fn substitute_str(s: &str, results: &[Option<Value>], at: &str) -> Result<Value, ActionError> {
    if !s.contains("${") {
        return Ok(Value::String(s.to_string()));
    }
    let trimmed = s.trim();
    if trimmed.starts_with("${")
        && trimmed.ends_with('}')
        && trimmed[2..].find('}') == Some(trimmed.len() - 3)
    {
        return resolve(&trimmed[2..trimmed.len() - 1], results, at);
    }
    let mut out = String::new();
    let mut rest = s;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| ActionError::InvalidReference {
                field: at.to_string(),
                message: format!("unterminated reference in {s:?}"),
            })?;
        let v = resolve(&after[..end], results, at)?;
        match v {
            Value::String(t) => out.push_str(&t),
            other => out.push_str(&other.to_string()),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(Value::String(out))
}

fn resolve(reference: &str, results: &[Option<Value>], at: &str) -> Result<Value, ActionError> {
    let bad = |message: String| ActionError::InvalidReference {
        field: at.to_string(),
        message,
    };
    let mut parts = reference.split('.');
    if parts.next() != Some("steps") {
        return Err(bad(format!(
            "${{{reference}}} must start with steps.N.result"
        )));
    }
    let n: usize = parts.next().and_then(|n| n.parse().ok()).ok_or_else(|| {
        bad(format!(
            "${{{reference}}}: steps must be followed by a step number"
        ))
    })?;
    if parts.next() != Some("result") {
        return Err(bad(format!("${{{reference}}}: expected steps.{n}.result")));
    }
    let result = match results.get(n) {
        Some(Some(r)) => r,
        Some(None) => return Err(bad(format!("${{{reference}}}: step {n} was skipped"))),
        None => {
            return Err(bad(format!(
                "${{{reference}}}: step {n} has not run yet (only earlier steps can be referenced)"
            )));
        }
    };
    let mut cur = result;
    let mut walked = format!("steps.{n}.result");
    for key in parts {
        let next = match cur {
            Value::Object(m) => m.get(key),
            Value::Array(a) => key.parse::<usize>().ok().and_then(|i| a.get(i)),
            _ => None,
        };
        cur = next.ok_or_else(|| {
            let have = match cur {
                Value::Object(m) => {
                    format!("keys: {}", m.keys().cloned().collect::<Vec<_>>().join(", "))
                }
                Value::Array(a) => format!("a list of {}", a.len()),
                other => format!("{} value", catalog::type_name(other)),
            };
            bad(format!(
                "${{{reference}}}: {walked} has no {key:?} ({have})"
            ))
        })?;
        walked.push('.');
        walked.push_str(key);
    }
    Ok(cur.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_and_embedded_references() {
        let results = vec![Some(
            json!({"job_id": 7, "serials": ["A", "B"], "o": {"name": "x"}}),
        )];
        assert_eq!(
            substitute(&json!("${steps.0.result.job_id}"), &results, "id").unwrap(),
            json!(7)
        );
        assert_eq!(
            substitute(
                &json!({"devices": "${steps.0.result.serials}"}),
                &results,
                ""
            )
            .unwrap(),
            json!({"devices": ["A", "B"]})
        );
        assert_eq!(
            substitute(
                &json!("job ${steps.0.result.job_id} on ${steps.0.result.serials.1}"),
                &results,
                "d"
            )
            .unwrap(),
            json!("job 7 on B")
        );
    }

    #[test]
    fn bad_references_name_the_parameter() {
        let results = vec![Some(json!({"a": 1})), None];
        let e = substitute(&json!({"x": "${steps.0.result.b}"}), &results, "").unwrap_err();
        assert_eq!(e.field(), Some("x"));
        assert!(e.message().contains("keys: a"), "{e}");
        let e = substitute(&json!({"x": "${steps.3.result}"}), &results, "").unwrap_err();
        assert!(e.message().contains("has not run"), "{e}");
        let e = substitute(&json!({"x": ["${steps.1.result}"]}), &results, "").unwrap_err();
        assert_eq!(e.field(), Some("x[0]"));
        assert!(e.message().contains("skipped"), "{e}");
    }

    #[test]
    fn parses_the_three_shapes() {
        let one = Workflow::parse(r#"{"resource":"tag","operation":"list"}"#).unwrap();
        assert_eq!(one.steps.len(), 1);
        let list = Workflow::parse(r#"[{"resource":"tag","operation":"list","profile":"p"},{"resource":"tag","operation":"get","parameters":{"name":"x"}}]"#).unwrap();
        assert_eq!(list.profiles(), vec![None, Some("p".to_string())]);
        let wf = Workflow::parse(r#"{"profile":"s","steps":[{"resource":"tag","operation":"list","skip_unsupported":true}]}"#).unwrap();
        assert!(wf.steps[0].skip_unsupported);
        assert_eq!(wf.profiles(), vec![Some("s".to_string())]);
        let e = Workflow::parse(r#"[{"operation":"list"}]"#).unwrap_err();
        assert_eq!(e.field(), Some("steps[0]"));
    }

    #[test]
    fn check_finds_bad_steps_before_running() {
        let wf = |v: Value| Workflow::from_value(v).unwrap().check();
        assert!(
            wf(json!([
                {"resource": "device", "operation": "listConnected"},
                {"resource": "userTag", "operation": "register",
                 "parameters": {"user": "u", "tags": ["t"], "target": "${steps.0.result.serials.0}", "timeout": "${steps.0.result.count}"}}
            ]))
            .is_ok()
        );
        let e = wf(json!([
            {"resource": "tag", "operation": "list"},
            {"resource": "adress", "operation": "create"}
        ]))
        .unwrap_err();
        assert_eq!(e.field(), Some("steps[1]"));
        assert!(e.message().contains("adress.create"), "{e}");
        let e = wf(json!([{"resource": "address", "operation": "create", "parameters": {"name": "a", "ipnetmask": "x"}}])).unwrap_err();
        assert_eq!(e.field(), Some("steps[0].ipnetmask"));
        let e = wf(json!([{"resource": "userTag", "operation": "register", "parameters": {"user": "u", "tags": ["t"], "timeout": "soon"}}])).unwrap_err();
        assert_eq!(e.field(), Some("steps[0].timeout"));
        let e = wf(
            json!([{"resource": "userTag", "operation": "register", "parameters": {"user": "u"}}]),
        )
        .unwrap_err();
        assert_eq!(e.field(), Some("steps[0].tags"));
    }
}
