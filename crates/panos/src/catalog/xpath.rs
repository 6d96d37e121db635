//! Building xpaths from a kind's location templates, with safe quoting of names.

use std::collections::BTreeMap;

use super::{CatalogError, ObjectKind, VarKind};
use crate::xpath::{Rulebase, quote};

/// Which location an object lives in, and the values of the location's variables.
///
/// Variables the caller does not set take the spec default (`localhost.localdomain`,
/// `vsys1`, `pre-rulebase`, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocationArgs {
    location: String,
    vars: BTreeMap<String, String>,
}

impl LocationArgs {
    /// Any location by its catalog name.
    pub fn new(location: impl Into<String>) -> Self {
        Self {
            location: location.into(),
            vars: BTreeMap::new(),
        }
    }

    /// `shared` (firewall or Panorama).
    pub fn shared() -> Self {
        Self::new("shared")
    }

    /// A firewall virtual system.
    pub fn vsys(vsys: impl Into<String>) -> Self {
        Self::new("vsys").var("vsys", vsys)
    }

    /// A Panorama device group.
    pub fn device_group(device_group: impl Into<String>) -> Self {
        Self::new("device-group").var("device_group", device_group)
    }

    /// A Panorama template (add [`LocationArgs::with_vsys`] for vsys-scoped kinds).
    pub fn template(template: impl Into<String>) -> Self {
        Self::new("template").var("template", template)
    }

    /// A Panorama template stack.
    pub fn template_stack(stack: impl Into<String>) -> Self {
        Self::new("template-stack").var("template_stack", stack)
    }

    /// The firewall's device-level configuration.
    pub fn ngfw() -> Self {
        Self::new("ngfw")
    }

    /// Panorama's own configuration.
    pub fn panorama() -> Self {
        Self::new("panorama")
    }

    /// Selects the pre- or post-rulebase (Panorama rules); `Local` is the firewall's
    /// `rulebase`, implied by the vsys location.
    pub fn with_rulebase(self, rulebase: Rulebase) -> Self {
        let element = match rulebase {
            Rulebase::Local => LOCAL_RULEBASE,
            Rulebase::Pre => "pre-rulebase",
            Rulebase::Post => "post-rulebase",
        };
        self.var("rulebase", element)
    }

    /// Sets the vsys (templates, template stacks).
    pub fn with_vsys(self, vsys: impl Into<String>) -> Self {
        self.var("vsys", vsys)
    }

    /// Sets any location variable (e.g. `ngfw_device`, `panorama_device`, `parent`).
    pub fn var(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.vars.insert(name.into(), value.into());
        self
    }

    /// The location name.
    pub fn location(&self) -> &str {
        &self.location
    }

    /// The value set for a variable.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }
}

const LOCAL_RULEBASE: &str = "rulebase";

fn entry_step(value: &str) -> String {
    format!("entry[@name={}]", quote(value))
}

impl ObjectKind {
    /// The xpath of the container (`name = None`) or of one named entry.
    pub fn xpath(&self, args: &LocationArgs, name: Option<&str>) -> Result<String, CatalogError> {
        let location =
            self.location(&args.location)
                .ok_or_else(|| CatalogError::UnknownLocation {
                    kind: self.name.clone(),
                    location: args.location.clone(),
                    known: self
                        .locations
                        .iter()
                        .map(|l| l.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                })?;
        let suffix_vars: Vec<&str> = self
            .xpath_suffix
            .iter()
            .filter_map(|s| s.strip_prefix('$'))
            .filter(|v| *v != "name")
            .collect();
        for (given, value) in &args.vars {
            // The firewall rulebase is part of the vsys location path itself.
            let implied = given == "rulebase"
                && value == LOCAL_RULEBASE
                && location.path.iter().any(|s| s == LOCAL_RULEBASE);
            if !implied
                && !location.vars.iter().any(|v| &v.name == given)
                && !suffix_vars.contains(&given.as_str())
            {
                let mut known: Vec<&str> = location.vars.iter().map(|v| v.name.as_str()).collect();
                known.extend(&suffix_vars);
                return Err(CatalogError::UnexpectedLocationVar {
                    kind: self.name.clone(),
                    location: location.name.clone(),
                    var: given.clone(),
                    known: if known.is_empty() {
                        "none".into()
                    } else {
                        known.join(", ")
                    },
                });
            }
        }
        let var_error = |var: &str, value: &str, reason: String| CatalogError::InvalidLocationVar {
            kind: self.name.clone(),
            location: location.name.clone(),
            var: var.to_string(),
            value: value.to_string(),
            reason,
        };
        let mut out = String::with_capacity(128);
        for step in &location.path {
            out.push('/');
            let Some(var_name) = step.strip_prefix('$') else {
                out.push_str(step);
                continue;
            };
            // The spec parser guarantees every `$var` of a path is declared.
            let Some(var) = location.vars.iter().find(|v| v.name == var_name) else {
                return Err(CatalogError::MissingLocationVar {
                    kind: self.name.clone(),
                    location: location.name.clone(),
                    var: var_name.to_string(),
                });
            };
            let value = match args.vars.get(var_name).or(var.default.as_ref()) {
                Some(v) => v.as_str(),
                None => {
                    return Err(CatalogError::MissingLocationVar {
                        kind: self.name.clone(),
                        location: location.name.clone(),
                        var: var_name.to_string(),
                    });
                }
            };
            if value.is_empty() {
                return Err(var_error(var_name, value, "it must not be empty".into()));
            }
            if var.not_values.iter().any(|v| v == value) {
                return Err(var_error(
                    var_name,
                    value,
                    format!("use the {value:?} location instead"),
                ));
            }
            if !var.values.is_empty() && !var.values.iter().any(|v| v == value) {
                return Err(var_error(
                    var_name,
                    value,
                    format!("expected one of {}", var.values.join(", ")),
                ));
            }
            match var.kind {
                VarKind::Entry => out.push_str(&entry_step(value)),
                VarKind::Element => {
                    if !is_element_name(value) {
                        return Err(var_error(var_name, value, "not an XML element name".into()));
                    }
                    out.push_str(value);
                }
            }
        }
        let mut name_used = false;
        for step in &self.xpath_suffix {
            out.push('/');
            match step.strip_prefix('$') {
                None => out.push_str(step),
                Some("name") => match name {
                    Some(n) => {
                        self.check_name(n)?;
                        out.push_str(&entry_step(n));
                        name_used = true;
                    }
                    None => {
                        // Container of the named element: drop the trailing step.
                        out.pop();
                        break;
                    }
                },
                Some(var) => match args.vars.get(var) {
                    Some(v) if !v.is_empty() => out.push_str(&entry_step(v)),
                    _ => {
                        return Err(CatalogError::MissingLocationVar {
                            kind: self.name.clone(),
                            location: location.name.clone(),
                            var: var.to_string(),
                        });
                    }
                },
            }
        }
        if let (Some(n), false) = (name, name_used) {
            if !self.is_entry() {
                return Err(CatalogError::NotEntries {
                    kind: self.name.clone(),
                });
            }
            self.check_name(n)?;
            out.push('/');
            out.push_str(&entry_step(n));
        }
        Ok(out)
    }

    pub(super) fn check_name(&self, name: &str) -> Result<(), CatalogError> {
        let invalid = |reason: String| CatalogError::InvalidName {
            kind: self.name.clone(),
            reason,
        };
        if name.is_empty() {
            return Err(invalid("the name must not be empty".into()));
        }
        if let Some(max) = self.name_max_length
            && name.chars().count() as u64 > max
        {
            return Err(invalid(format!(
                "{name:?} is {} characters, at most {max} allowed",
                name.chars().count()
            )));
        }
        if name.chars().any(|c| c.is_control()) {
            return Err(invalid("the name contains control characters".into()));
        }
        Ok(())
    }
}

fn is_element_name(value: &str) -> bool {
    let mut chars = value.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}
