//! Safe xpath building: literal quoting, `entry[@name=…]` predicates, `or`-lists and
//! the location prefixes of firewalls and Panorama.
//!
//! Names are never spliced into an xpath unquoted: [`quote`] picks single quotes,
//! else double quotes, else an XPath 1.0 `concat()` expression, so a name containing
//! quotes cannot close its predicate and inject xpath (CWE-643).

use std::fmt;

use crate::{
    error::{Error, Result},
    validate,
};

/// Default firewall device entry name.
pub const LOCALHOST: &str = "localhost.localdomain";

/// Quote `value` as an XPath 1.0 string literal.
///
/// ```
/// use panops_panos::xpath::quote;
/// assert_eq!(quote("web"), "'web'");
/// assert_eq!(quote("it's"), "\"it's\"");
/// assert_eq!(quote(r#"a'b"c"#), r#"concat('a', "'", 'b"c')"#);
/// ```
pub fn quote(value: &str) -> String {
    if !value.contains('\'') {
        format!("'{value}'")
    } else if !value.contains('"') {
        format!("\"{value}\"")
    } else {
        let parts: Vec<String> = value.split('\'').map(|p| format!("'{p}'")).collect();
        format!("concat({})", parts.join(", \"'\", "))
    }
}

/// `entry[@name='<name>']`.
pub fn entry(name: &str) -> String {
    format!("entry[@name={}]", quote(name))
}

/// `member[text()='<value>']`.
pub fn member(value: &str) -> String {
    format!("member[text()={}]", quote(value))
}

/// `entry[@name='a' or @name='b' …]` selecting several siblings at once.
pub fn entries_or<S: AsRef<str>>(names: &[S]) -> Result<String> {
    if names.is_empty() {
        return Err(Error::invalid("names", "at least one name is required"));
    }
    let preds: Vec<String> = names
        .iter()
        .map(|n| format!("@name={}", quote(n.as_ref())))
        .collect();
    Ok(format!("entry[{}]", preds.join(" or ")))
}

/// Split `names` into several `parent/entry[@name=… or …]` xpaths, each at most
/// `max_len` bytes long (pan-os-python chunks deletes at about 25 000 characters).
/// A single name longer than the limit still gets its own xpath.
pub fn chunked_entries_or<S: AsRef<str>>(
    parent: &str,
    names: &[S],
    max_len: usize,
) -> Result<Vec<String>> {
    validate::xpath("xpath", parent)?;
    if names.is_empty() {
        return Err(Error::invalid("names", "at least one name is required"));
    }
    let mut out = Vec::new();
    let mut current: Vec<String> = Vec::new();
    let base = parent.len() + "/entry[]".len();
    let mut len = base;
    for name in names {
        let pred = format!("@name={}", quote(name.as_ref()));
        let extra = pred.len() + if current.is_empty() { 0 } else { 4 };
        if !current.is_empty() && len + extra > max_len {
            out.push(format!("{parent}/entry[{}]", current.join(" or ")));
            current.clear();
            len = base;
        }
        len += pred.len() + if current.is_empty() { 0 } else { 4 };
        current.push(pred);
    }
    if !current.is_empty() {
        out.push(format!("{parent}/entry[{}]", current.join(" or ")));
    }
    Ok(out)
}

/// Which rulebase of a location.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rulebase {
    /// The firewall rulebase (`rulebase`).
    Local,
    /// Panorama pre-rulebase.
    Pre,
    /// Panorama post-rulebase.
    Post,
}

/// Where configuration lives (§3.5 of the XML API notes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// `/config/shared` (firewall or Panorama shared objects).
    Shared,
    /// A firewall virtual system: `/config/devices/entry[@name=D]/vsys/entry[@name=V]`.
    Vsys {
        /// Device entry (normally `localhost.localdomain`).
        device: String,
        /// Virtual system name, e.g. `vsys1`.
        vsys: String,
    },
    /// A Panorama device group.
    DeviceGroup {
        /// Device group name.
        name: String,
    },
    /// A Panorama template, optionally narrowed to a vsys inside it (else the shared
    /// device level of the template).
    Template {
        /// Template name.
        name: String,
        /// Vsys inside the template.
        vsys: Option<String>,
    },
    /// A Panorama template stack, optionally narrowed to a vsys.
    TemplateStack {
        /// Template stack name.
        name: String,
        /// Vsys inside the stack.
        vsys: Option<String>,
    },
    /// Panorama's own configuration (`/config/panorama`).
    Panorama,
}

impl Location {
    /// A firewall vsys on `localhost.localdomain`.
    pub fn vsys(vsys: impl Into<String>) -> Self {
        Self::Vsys {
            device: LOCALHOST.to_owned(),
            vsys: vsys.into(),
        }
    }

    /// A Panorama device group.
    pub fn device_group(name: impl Into<String>) -> Self {
        Self::DeviceGroup { name: name.into() }
    }

    /// Check the names this location carries.
    pub fn validate(&self) -> Result<()> {
        match self {
            Self::Shared | Self::Panorama => Ok(()),
            Self::Vsys { device, vsys } => {
                validate::name("device", device, 63)?;
                validate::name("vsys", vsys, 31)?;
                if vsys == "shared" {
                    return Err(Error::invalid(
                        "vsys",
                        "\"shared\" is not a vsys; use Location::Shared",
                    ));
                }
                Ok(())
            }
            Self::DeviceGroup { name } => validate::name("device-group", name, 63),
            Self::Template { name, vsys } => {
                validate::name("template", name, 63)?;
                vsys.as_deref()
                    .map_or(Ok(()), |v| validate::name("vsys", v, 31))
            }
            Self::TemplateStack { name, vsys } => {
                validate::name("template-stack", name, 63)?;
                vsys.as_deref()
                    .map_or(Ok(()), |v| validate::name("vsys", v, 31))
            }
        }
    }

    /// The xpath prefix under which objects of this location live.
    pub fn prefix(&self) -> Result<String> {
        self.validate()?;
        let dev = format!("/config/devices/{}", entry(LOCALHOST));
        Ok(match self {
            Self::Shared => "/config/shared".to_owned(),
            Self::Panorama => "/config/panorama".to_owned(),
            Self::Vsys { device, vsys } => {
                format!("/config/devices/{}/vsys/{}", entry(device), entry(vsys))
            }
            Self::DeviceGroup { name } => format!("{dev}/device-group/{}", entry(name)),
            Self::Template { name, vsys } => {
                template_prefix(&dev, "template", name, vsys.as_deref())
            }
            Self::TemplateStack { name, vsys } => {
                template_prefix(&dev, "template-stack", name, vsys.as_deref())
            }
        })
    }

    /// The xpath of a rulebase of this location (`…/rulebase`, `…/pre-rulebase`,
    /// `…/post-rulebase`).
    pub fn rulebase(&self, which: Rulebase) -> Result<String> {
        let prefix = self.prefix()?;
        let panorama_side = matches!(self, Self::DeviceGroup { .. } | Self::Shared);
        match (which, panorama_side) {
            (Rulebase::Local, false) => Ok(format!("{prefix}/rulebase")),
            (Rulebase::Pre, true) => Ok(format!("{prefix}/pre-rulebase")),
            (Rulebase::Post, true) => Ok(format!("{prefix}/post-rulebase")),
            (Rulebase::Local, true) => Err(Error::invalid(
                "rulebase",
                "device groups and Panorama shared have pre- and post-rulebases only",
            )),
            (_, false) => Err(Error::invalid(
                "rulebase",
                "pre/post rulebases exist only in device groups and Panorama shared",
            )),
        }
    }
}

fn template_prefix(dev: &str, kind: &str, name: &str, vsys: Option<&str>) -> String {
    let base = format!(
        "{dev}/{kind}/{}/config/devices/{}",
        entry(name),
        entry(LOCALHOST)
    );
    match vsys {
        Some(v) => format!("{base}/vsys/{}", entry(v)),
        None => base,
    }
}

/// An xpath under construction.
///
/// ```
/// use panops_panos::xpath::{Location, Xpath};
/// let x = Xpath::at(&Location::vsys("vsys1")).unwrap().child("address").entry("web");
/// assert_eq!(
///     x.as_str(),
///     "/config/devices/entry[@name='localhost.localdomain']/vsys/entry[@name='vsys1']/address/entry[@name='web']"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Xpath(String);

impl Xpath {
    /// Start from a raw absolute xpath (validated).
    pub fn new(root: impl Into<String>) -> Result<Self> {
        let root = root.into();
        validate::xpath("xpath", &root)?;
        Ok(Self(root))
    }

    /// Start at a location prefix.
    pub fn at(location: &Location) -> Result<Self> {
        Ok(Self(location.prefix()?))
    }

    /// Append path steps such as `address` or `rulebase/security/rules`.
    #[must_use]
    pub fn child(mut self, steps: &str) -> Self {
        for step in steps.split('/').filter(|s| !s.is_empty()) {
            self.0.push('/');
            self.0.push_str(step);
        }
        self
    }

    /// Append `/entry[@name=…]` with `name` quoted.
    #[must_use]
    pub fn entry(mut self, name: &str) -> Self {
        self.0.push('/');
        self.0.push_str(&entry(name));
        self
    }

    /// Append `/member[text()=…]` with `value` quoted.
    #[must_use]
    pub fn member(mut self, value: &str) -> Self {
        self.0.push('/');
        self.0.push_str(&member(value));
        self
    }

    /// Append `/entry[@name=… or …]`.
    pub fn entries(mut self, names: &[impl AsRef<str>]) -> Result<Self> {
        self.0.push('/');
        self.0.push_str(&entries_or(names)?);
        Ok(self)
    }

    /// The xpath text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The xpath text, owned.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for Xpath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Xpath {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations() {
        let dev = "/config/devices/entry[@name='localhost.localdomain']";
        assert_eq!(Location::Shared.prefix().unwrap(), "/config/shared");
        assert_eq!(
            Location::device_group("DG 1")
                .rulebase(Rulebase::Pre)
                .unwrap(),
            format!("{dev}/device-group/entry[@name='DG 1']/pre-rulebase")
        );
        assert_eq!(
            Location::Shared.rulebase(Rulebase::Post).unwrap(),
            "/config/shared/post-rulebase"
        );
        assert_eq!(
            Location::vsys("vsys2").rulebase(Rulebase::Local).unwrap(),
            format!("{dev}/vsys/entry[@name='vsys2']/rulebase")
        );
        assert!(Location::vsys("vsys1").rulebase(Rulebase::Pre).is_err());
        assert_eq!(
            Location::Template {
                name: "T".into(),
                vsys: Some("vsys1".into())
            }
            .prefix()
            .unwrap(),
            format!(
                "{dev}/template/entry[@name='T']/config/devices/entry[@name='localhost.localdomain']/vsys/entry[@name='vsys1']"
            )
        );
        assert_eq!(
            Location::TemplateStack {
                name: "S".into(),
                vsys: None
            }
            .prefix()
            .unwrap(),
            format!(
                "{dev}/template-stack/entry[@name='S']/config/devices/entry[@name='localhost.localdomain']"
            )
        );
        assert!(Location::vsys("shared").prefix().is_err());
        assert!(Location::device_group("").prefix().is_err());
    }

    #[test]
    fn or_lists_and_chunks() {
        assert_eq!(
            entries_or(&["a", "b'c"]).unwrap(),
            "entry[@name='a' or @name=\"b'c\"]"
        );
        assert!(entries_or::<&str>(&[]).is_err());
        let names: Vec<String> = (0..100).map(|i| format!("n{i}")).collect();
        let chunks = chunked_entries_or("/config/shared/address", &names, 200).unwrap();
        assert!(chunks.len() > 1);
        let total: usize = chunks.iter().map(|c| c.matches("@name=").count()).sum();
        assert_eq!(total, 100);
        assert!(chunks.iter().all(|c| c.len() <= 200));
    }
}
