//! `type=commit` requests: firewall (and Panorama-local) commits, and Panorama
//! commit-all pushes to device groups, templates and template stacks.

use std::fmt::Write as _;

use crate::{
    error::{Error, Result},
    request::ApiRequest,
    validate,
    xml::escape,
};

/// Partial-commit scope (`<partial>`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Partial {
    /// Commit only the changes of these administrators.
    pub admins: Vec<String>,
    /// Exclude device and network configuration.
    pub exclude_device_and_network: bool,
    /// Exclude policy and objects.
    pub exclude_policy_and_objects: bool,
    /// Exclude shared objects.
    pub exclude_shared_object: bool,
    /// Exclude all vsys configuration (`<no-vsys/>`).
    pub no_vsys: bool,
    /// Commit only these vsys.
    pub vsys: Vec<String>,
}

impl Partial {
    fn write(&self, out: &mut String) -> Result<()> {
        out.push_str("<partial>");
        write_admins(out, &self.admins)?;
        if self.exclude_device_and_network {
            out.push_str("<device-and-network>excluded</device-and-network>");
        }
        if self.exclude_policy_and_objects {
            out.push_str("<policy-and-objects>excluded</policy-and-objects>");
        }
        if self.exclude_shared_object {
            out.push_str("<shared-object>excluded</shared-object>");
        }
        if self.no_vsys {
            if !self.vsys.is_empty() {
                return Err(Error::invalid(
                    "vsys",
                    "cannot list vsys together with no-vsys",
                ));
            }
            out.push_str("<no-vsys/>");
        }
        if !self.vsys.is_empty() {
            out.push_str("<vsys>");
            for v in &self.vsys {
                validate::name("vsys", v, 31)?;
                let _ = write!(out, "<member>{}</member>", escape(v));
            }
            out.push_str("</vsys>");
        }
        out.push_str("</partial>");
        Ok(())
    }
}

/// A firewall commit (`type=commit&cmd=<commit>…</commit>`).
///
/// ```
/// use panops_panos::commit::Commit;
/// let c = Commit { description: Some("via panops".into()), force: true, ..Default::default() };
/// assert_eq!(c.cmd().unwrap(), "<commit><description>via panops</description><force/></commit>");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Commit {
    /// Commit description.
    pub description: Option<String>,
    /// `commit force`.
    pub force: bool,
    /// Validate only (`<commit><validate>…</validate></commit>`), nothing is applied.
    pub validate: bool,
    /// Partial commit scope.
    pub partial: Option<Partial>,
}

impl Commit {
    /// The `cmd` XML.
    pub fn cmd(&self) -> Result<String> {
        let mut body = String::new();
        if let Some(d) = &self.description {
            validate::range("description", d.chars().count() as u64, 0, 512)?;
            let _ = write!(body, "<description>{}</description>", escape(d));
        }
        if let Some(p) = &self.partial {
            p.write(&mut body)?;
        }
        if self.force {
            body.push_str("<force/>");
        }
        Ok(if self.validate {
            format!("<commit><validate>{body}</validate></commit>")
        } else {
            format!("<commit>{body}</commit>")
        })
    }

    /// Build the request (never idempotent: a commit is never retried blindly).
    pub fn request(&self) -> Result<ApiRequest> {
        Ok(ApiRequest::new("commit", false).push("cmd", self.cmd()?))
    }
}

/// What a Panorama push sends to its firewalls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PushTarget {
    /// A device group (policies and objects), optionally with its templates.
    DeviceGroup,
    /// A template (network and device configuration).
    Template,
    /// A template stack.
    TemplateStack,
}

impl PushTarget {
    /// The element naming the target in `<commit-all>` (`device-group`, `template`,
    /// `template-stack`), also used to name the field in validation errors.
    pub fn element(self) -> &'static str {
        match self {
            Self::DeviceGroup => "device-group",
            Self::Template => "template",
            Self::TemplateStack => "template-stack",
        }
    }
}

/// A Panorama push (`type=commit&action=all&cmd=<commit-all>…`): one target kind and name,
/// and the options. `include_template` and `merge_with_candidate_cfg` exist for device-group
/// pushes only; [`CommitAll::cmd`] refuses them on a template or template-stack push.
///
/// ```
/// use panops_panos::commit::CommitAll;
/// let push = CommitAll { include_template: Some(true), ..CommitAll::device_group("DG1") };
/// assert_eq!(
///     push.cmd().unwrap(),
///     "<commit-all><shared-policy><device-group><entry name=\"DG1\"></entry></device-group>\
///      <include-template>yes</include-template></shared-policy></commit-all>"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitAll {
    /// What kind of configuration is pushed.
    pub target: PushTarget,
    /// Device group, template or template stack name.
    pub name: String,
    /// Limit the push to these firewall serials (empty: every firewall of the target).
    pub devices: Vec<String>,
    /// Description.
    pub description: Option<String>,
    /// Only push changes of these admins.
    pub admins: Vec<String>,
    /// Device group only: also push the template configuration (`include-template`).
    pub include_template: Option<bool>,
    /// Override local firewall values with template values.
    pub force_template_values: Option<bool>,
    /// Device group only: merge with the firewall's candidate configuration.
    pub merge_with_candidate_cfg: Option<bool>,
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

fn write_flag(out: &mut String, element: &str, value: Option<bool>) {
    if let Some(v) = value {
        let _ = write!(out, "<{element}>{}</{element}>", yes_no(v));
    }
}

impl CommitAll {
    /// Push `name` of kind `target` with default options.
    pub fn new(target: PushTarget, name: impl Into<String>) -> Self {
        Self {
            target,
            name: name.into(),
            devices: vec![],
            description: None,
            admins: vec![],
            include_template: None,
            force_template_values: None,
            merge_with_candidate_cfg: None,
        }
    }

    /// Push a whole device group with default options.
    pub fn device_group(name: impl Into<String>) -> Self {
        Self::new(PushTarget::DeviceGroup, name)
    }

    /// Push a template with default options.
    pub fn template(name: impl Into<String>) -> Self {
        Self::new(PushTarget::Template, name)
    }

    /// Push a template stack with default options.
    pub fn template_stack(name: impl Into<String>) -> Self {
        Self::new(PushTarget::TemplateStack, name)
    }

    fn write_description_and_admins(&self, out: &mut String) -> Result<()> {
        if let Some(d) = &self.description {
            let _ = write!(out, "<description>{}</description>", escape(d));
        }
        write_admins(out, &self.admins)?;
        Ok(())
    }

    /// The `cmd` XML.
    pub fn cmd(&self) -> Result<String> {
        let element = self.target.element();
        validate::name(element, &self.name, 63)?;
        for d in &self.devices {
            validate::serial("devices", d)?;
        }
        let mut out = String::from("<commit-all>");
        match self.target {
            PushTarget::DeviceGroup => {
                let _ = write!(
                    out,
                    "<shared-policy><device-group><entry name=\"{}\">",
                    escape(&self.name)
                );
                if !self.devices.is_empty() {
                    out.push_str("<devices>");
                    for d in &self.devices {
                        let _ = write!(out, "<entry name=\"{d}\"/>");
                    }
                    out.push_str("</devices>");
                }
                out.push_str("</entry></device-group>");
                self.write_description_and_admins(&mut out)?;
                write_flag(&mut out, "include-template", self.include_template);
                write_flag(
                    &mut out,
                    "force-template-values",
                    self.force_template_values,
                );
                write_flag(
                    &mut out,
                    "merge-with-candidate-cfg",
                    self.merge_with_candidate_cfg,
                );
                out.push_str("</shared-policy>");
            }
            PushTarget::Template | PushTarget::TemplateStack => {
                // The XML API has no such options outside `shared-policy`: refuse rather
                // than drop them silently.
                if self.include_template.is_some() {
                    return Err(Error::invalid(
                        "include_template",
                        format!(
                            "applies to a device-group push only, not to a {element} push \
                             (a {element} push always sends the {element})"
                        ),
                    ));
                }
                if self.merge_with_candidate_cfg.is_some() {
                    return Err(Error::invalid(
                        "merge_with_candidate_cfg",
                        format!("applies to a device-group push only, not to a {element} push"),
                    ));
                }
                let _ = write!(out, "<{element}><name>{}</name>", escape(&self.name));
                self.write_description_and_admins(&mut out)?;
                write_flag(
                    &mut out,
                    "force-template-values",
                    self.force_template_values,
                );
                if !self.devices.is_empty() {
                    out.push_str("<device>");
                    for d in &self.devices {
                        let _ = write!(out, "<member>{d}</member>");
                    }
                    out.push_str("</device>");
                }
                let _ = write!(out, "</{element}>");
            }
        }
        out.push_str("</commit-all>");
        Ok(out)
    }

    /// Build the request (never idempotent).
    pub fn request(&self) -> Result<ApiRequest> {
        Ok(ApiRequest::new("commit", false)
            .push("action", "all")
            .push("cmd", self.cmd()?))
    }
}

/// `<admin><member>…</member></admin>` for an admin-scoped commit or push; nothing when empty.
fn write_admins(out: &mut String, admins: &[String]) -> Result<()> {
    if admins.is_empty() {
        return Ok(());
    }
    out.push_str("<admin>");
    for a in admins {
        validate::name("admin", a, 63)?;
        let _ = write!(out, "<member>{}</member>", escape(a));
    }
    out.push_str("</admin>");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn firewall_commit_xml() {
        assert_eq!(Commit::default().cmd().unwrap(), "<commit></commit>");
        let c = Commit {
            description: Some("a<b".into()),
            force: true,
            validate: false,
            partial: Some(Partial {
                admins: vec!["admin".into(), "ops".into()],
                exclude_device_and_network: true,
                exclude_policy_and_objects: true,
                exclude_shared_object: true,
                no_vsys: false,
                vsys: vec!["vsys1".into()],
            }),
        };
        assert_eq!(
            c.cmd().unwrap(),
            "<commit><description>a&lt;b</description><partial><admin><member>admin</member><member>ops</member></admin>\
             <device-and-network>excluded</device-and-network><policy-and-objects>excluded</policy-and-objects>\
             <shared-object>excluded</shared-object><vsys><member>vsys1</member></vsys></partial><force/></commit>"
        );
        let v = Commit {
            validate: true,
            partial: Some(Partial {
                no_vsys: true,
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(
            v.cmd().unwrap(),
            "<commit><validate><partial><no-vsys/></partial></validate></commit>"
        );
        let req = v.request().unwrap();
        assert_eq!(req.params().len(), 2);
        assert!(!req.is_idempotent());
        let bad = Commit {
            partial: Some(Partial {
                no_vsys: true,
                vsys: vec!["vsys1".into()],
                ..Default::default()
            }),
            ..Default::default()
        };
        assert!(bad.cmd().is_err());
    }

    #[test]
    fn commit_all_xml() {
        assert_eq!(CommitAll::device_group("x").target, PushTarget::DeviceGroup);
        let dg = CommitAll {
            devices: vec!["007951000123456".into()],
            description: Some("push".into()),
            include_template: Some(true),
            force_template_values: Some(false),
            merge_with_candidate_cfg: Some(false),
            ..CommitAll::device_group("DG1")
        };
        assert_eq!(
            dg.cmd().unwrap(),
            "<commit-all><shared-policy><device-group><entry name=\"DG1\"><devices><entry name=\"007951000123456\"/></devices>\
             </entry></device-group><description>push</description><include-template>yes</include-template>\
             <force-template-values>no</force-template-values><merge-with-candidate-cfg>no</merge-with-candidate-cfg>\
             </shared-policy></commit-all>"
        );
        let r = dg.request().unwrap();
        assert_eq!(r.param("action"), Some("all"));
        assert!(!r.is_idempotent());
        let t = CommitAll {
            devices: vec!["0011".into()],
            force_template_values: Some(true),
            admins: vec!["ops".into()],
            ..CommitAll::template("T1")
        };
        assert_eq!(
            t.cmd().unwrap(),
            "<commit-all><template><name>T1</name><admin><member>ops</member></admin>\
             <force-template-values>yes</force-template-values>\
             <device><member>0011</member></device></template></commit-all>"
        );
        assert_eq!(
            CommitAll::template_stack("S").cmd().unwrap(),
            "<commit-all><template-stack><name>S</name></template-stack></commit-all>"
        );
        assert_eq!(
            CommitAll::new(PushTarget::TemplateStack, "S"),
            CommitAll::template_stack("S")
        );
        assert!(CommitAll::device_group("").cmd().is_err());
        let bad = CommitAll {
            devices: vec!["not a serial".into()],
            ..CommitAll::template("T")
        };
        assert!(bad.cmd().is_err());
        let bad_dg = CommitAll {
            devices: vec!["not a serial".into()],
            ..CommitAll::device_group("DG1")
        };
        assert!(bad_dg.cmd().is_err());
    }

    /// Options that exist only under `shared-policy` are refused, by name, on a template
    /// or template-stack push instead of being dropped.
    #[test]
    fn device_group_only_options_are_refused_on_template_pushes() {
        for target in [PushTarget::Template, PushTarget::TemplateStack] {
            let with_include = CommitAll {
                include_template: Some(true),
                ..CommitAll::new(target, "T1")
            };
            match with_include.cmd() {
                Err(Error::Invalid { field, reason }) => {
                    assert_eq!(field, "include_template");
                    assert!(reason.contains(target.element()), "{reason}");
                }
                other => panic!("{target:?}: {other:?}"),
            }
            let with_merge = CommitAll {
                merge_with_candidate_cfg: Some(false),
                ..CommitAll::new(target, "T1")
            };
            assert!(matches!(
                with_merge.cmd(),
                Err(Error::Invalid { field, .. }) if field == "merge_with_candidate_cfg"
            ));
        }
    }
}
