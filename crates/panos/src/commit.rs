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
        if !self.admins.is_empty() {
            out.push_str("<admin>");
            for a in &self.admins {
                validate::name("admin", a, 63)?;
                let _ = write!(out, "<member>{}</member>", escape(a));
            }
            out.push_str("</admin>");
        }
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

/// A Panorama push (`type=commit&action=all&cmd=<commit-all>…`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommitAll {
    /// Push a device group to its firewalls (all, or only `devices`).
    DeviceGroup {
        /// Device group name.
        name: String,
        /// Limit the push to these firewall serials.
        devices: Vec<String>,
        /// Description.
        description: Option<String>,
        /// Only push changes of these admins.
        admins: Vec<String>,
        /// Also push the template configuration (`include-template`).
        include_template: Option<bool>,
        /// Override local firewall values with template values.
        force_template_values: Option<bool>,
        /// Merge with the firewall's candidate configuration.
        merge_with_candidate_cfg: Option<bool>,
    },
    /// Push a template.
    Template {
        /// Template name.
        name: String,
        /// Limit the push to these firewall serials.
        devices: Vec<String>,
        /// Description.
        description: Option<String>,
        /// Only push changes of these admins.
        admins: Vec<String>,
        /// Override local firewall values.
        force_template_values: Option<bool>,
    },
    /// Push a template stack.
    TemplateStack {
        /// Template stack name.
        name: String,
        /// Limit the push to these firewall serials.
        devices: Vec<String>,
        /// Description.
        description: Option<String>,
        /// Only push changes of these admins.
        admins: Vec<String>,
        /// Override local firewall values.
        force_template_values: Option<bool>,
    },
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

fn write_common(
    out: &mut String,
    description: &Option<String>,
    admins: &[String],
    force_template_values: Option<bool>,
) -> Result<()> {
    if let Some(d) = description {
        let _ = write!(out, "<description>{}</description>", escape(d));
    }
    if !admins.is_empty() {
        out.push_str("<admin>");
        for a in admins {
            validate::name("admin", a, 63)?;
            let _ = write!(out, "<member>{}</member>", escape(a));
        }
        out.push_str("</admin>");
    }
    if let Some(f) = force_template_values {
        let _ = write!(
            out,
            "<force-template-values>{}</force-template-values>",
            yes_no(f)
        );
    }
    Ok(())
}

impl CommitAll {
    /// Push a whole device group with default options.
    pub fn device_group(name: impl Into<String>) -> Self {
        Self::DeviceGroup {
            name: name.into(),
            devices: vec![],
            description: None,
            admins: vec![],
            include_template: None,
            force_template_values: None,
            merge_with_candidate_cfg: None,
        }
    }

    /// Push a template with default options.
    pub fn template(name: impl Into<String>) -> Self {
        Self::Template {
            name: name.into(),
            devices: vec![],
            description: None,
            admins: vec![],
            force_template_values: None,
        }
    }

    /// Push a template stack with default options.
    pub fn template_stack(name: impl Into<String>) -> Self {
        Self::TemplateStack {
            name: name.into(),
            devices: vec![],
            description: None,
            admins: vec![],
            force_template_values: None,
        }
    }

    /// The `cmd` XML.
    pub fn cmd(&self) -> Result<String> {
        let mut out = String::from("<commit-all>");
        match self {
            Self::DeviceGroup {
                name,
                devices,
                description,
                admins,
                include_template,
                force_template_values,
                merge_with_candidate_cfg,
            } => {
                validate::name("device-group", name, 63)?;
                let _ = write!(
                    out,
                    "<shared-policy><device-group><entry name=\"{}\">",
                    escape(name)
                );
                if !devices.is_empty() {
                    out.push_str("<devices>");
                    for d in devices {
                        validate::serial("devices", d)?;
                        let _ = write!(out, "<entry name=\"{d}\"/>");
                    }
                    out.push_str("</devices>");
                }
                out.push_str("</entry></device-group>");
                write_common(&mut out, description, admins, None)?;
                if let Some(i) = include_template {
                    let _ = write!(out, "<include-template>{}</include-template>", yes_no(*i));
                }
                if let Some(f) = force_template_values {
                    let _ = write!(
                        out,
                        "<force-template-values>{}</force-template-values>",
                        yes_no(*f)
                    );
                }
                if let Some(m) = merge_with_candidate_cfg {
                    let _ = write!(
                        out,
                        "<merge-with-candidate-cfg>{}</merge-with-candidate-cfg>",
                        yes_no(*m)
                    );
                }
                out.push_str("</shared-policy>");
            }
            Self::Template {
                name,
                devices,
                description,
                admins,
                force_template_values,
            }
            | Self::TemplateStack {
                name,
                devices,
                description,
                admins,
                force_template_values,
            } => {
                let tag = if matches!(self, Self::Template { .. }) {
                    "template"
                } else {
                    "template-stack"
                };
                validate::name(tag, name, 63)?;
                let _ = write!(out, "<{tag}><name>{}</name>", escape(name));
                write_common(&mut out, description, admins, *force_template_values)?;
                if !devices.is_empty() {
                    out.push_str("<device>");
                    for d in devices {
                        validate::serial("devices", d)?;
                        let _ = write!(out, "<member>{d}</member>");
                    }
                    out.push_str("</device>");
                }
                let _ = write!(out, "</{tag}>");
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
        let CommitAll::DeviceGroup { .. } = CommitAll::device_group("x") else {
            panic!()
        };
        let dg = CommitAll::DeviceGroup {
            name: "DG1".into(),
            devices: vec!["007951000123456".into()],
            description: Some("push".into()),
            admins: vec![],
            include_template: Some(true),
            force_template_values: Some(false),
            merge_with_candidate_cfg: Some(false),
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
        let t = CommitAll::Template {
            name: "T1".into(),
            devices: vec!["0011".into()],
            description: None,
            admins: vec![],
            force_template_values: Some(true),
        };
        assert_eq!(
            t.cmd().unwrap(),
            "<commit-all><template><name>T1</name><force-template-values>yes</force-template-values>\
             <device><member>0011</member></device></template></commit-all>"
        );
        assert_eq!(
            CommitAll::template_stack("S").cmd().unwrap(),
            "<commit-all><template-stack><name>S</name></template-stack></commit-all>"
        );
        assert!(CommitAll::device_group("").cmd().is_err());
        let bad = CommitAll::Template {
            name: "T".into(),
            devices: vec!["not a serial".into()],
            description: None,
            admins: vec![],
            force_template_values: None,
        };
        assert!(bad.cmd().is_err());
    }
}
