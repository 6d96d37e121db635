//! `type=config` requests: get/show/set/edit/delete/rename/clone/move/override and
//! transactional multi-config, plus chunking helpers for large bodies.

use std::fmt::Write as _;

use crate::{
    error::{Error, Result},
    request::ApiRequest,
    validate, xml,
};

fn base(action: &str, xpath: &str, idempotent: bool) -> Result<ApiRequest> {
    validate::xpath("xpath", xpath)?;
    Ok(ApiRequest::new("config", idempotent)
        .push("action", action)
        .push("xpath", xpath))
}

fn check_element(element: &str) -> Result<()> {
    validate::non_empty("element", element)?;
    // `set` bodies may hold several sibling elements: check them under a wrapper.
    xml::check_well_formed(&format!("<panops-wrap>{element}</panops-wrap>"))
        .map_err(|e| Error::invalid("element", format!("not well-formed XML: {e}")))
}

/// `action=get`: read the candidate configuration at `xpath`.
pub fn get(xpath: &str) -> Result<ApiRequest> {
    base("get", xpath, true)
}

/// `action=show`: read the running configuration at `xpath`.
pub fn show(xpath: &str) -> Result<ApiRequest> {
    base("show", xpath, true)
}

/// `action=set`: merge `element` (the children to add) into the node at `xpath`.
pub fn set(xpath: &str, element: &str) -> Result<ApiRequest> {
    check_element(element)?;
    Ok(base("set", xpath, false)?.push("element", element))
}

/// `action=edit`: replace the node at `xpath` by `element` (whose root must be the
/// last xpath step).
pub fn edit(xpath: &str, element: &str) -> Result<ApiRequest> {
    check_element(element)?;
    Ok(base("edit", xpath, false)?.push("element", element))
}

/// `action=delete`.
pub fn delete(xpath: &str) -> Result<ApiRequest> {
    base("delete", xpath, false)
}

/// `action=rename` of the entry at `xpath` to `new_name`.
///
/// `new_name` must be a valid object name ([`validate::object_name`]: 1–63 letters,
/// digits, spaces, `_`, `-`, `.`). For the rare node that allows other characters,
/// override with [`ApiRequest::with_param`]`("newname", …)`.
pub fn rename(xpath: &str, new_name: &str) -> Result<ApiRequest> {
    validate::object_name("newname", new_name)?;
    Ok(base("rename", xpath, false)?.push("newname", new_name))
}

/// `action=clone`: copy the entry at `from` into the parent `xpath` as `new_name`.
pub fn clone(xpath: &str, from: &str, new_name: &str) -> Result<ApiRequest> {
    validate::xpath("from", from)?;
    validate::object_name("newname", new_name)?;
    Ok(base("clone", xpath, false)?
        .push("from", from)
        .push("newname", new_name))
}

/// Where [`move_entry`] puts an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Where {
    /// First position.
    Top,
    /// Last position.
    Bottom,
    /// Just before the sibling called `dst`.
    Before(String),
    /// Just after the sibling called `dst`.
    After(String),
}

impl Where {
    fn parts(&self) -> (&'static str, Option<&str>) {
        match self {
            Self::Top => ("top", None),
            Self::Bottom => ("bottom", None),
            Self::Before(d) => ("before", Some(d)),
            Self::After(d) => ("after", Some(d)),
        }
    }
}

/// `action=move` with `where=top|bottom|before|after` and `dst=` for the last two.
pub fn move_entry(xpath: &str, position: &Where) -> Result<ApiRequest> {
    let (where_, dst) = position.parts();
    if let Some(dst) = dst {
        validate::name("dst", dst, validate::MAX_NAME_LEN)?;
    }
    Ok(base("move", xpath, false)?
        .push("where", where_)
        .push_opt("dst", dst))
}

/// `action=override`: override template values on a firewall.
pub fn override_template(xpath: &str, element: &str) -> Result<ApiRequest> {
    check_element(element)?;
    Ok(base("override", xpath, false)?.push("element", element))
}

/// One operation of a [`MultiConfig`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MultiOp {
    /// `id` attribute echoed in the nested response.
    pub id: String,
    /// `set`, `edit`, `delete`, `rename`, `clone`, `move`, `override`.
    pub action: String,
    /// Target xpath.
    pub xpath: String,
    /// Extra attributes (`newname`, `where`, `dst`, `from`).
    pub attrs: Vec<(String, String)>,
    /// Element body (children of the op element), possibly empty.
    pub element: String,
}

impl MultiOp {
    fn to_xml(&self, out: &mut String) {
        let _ = write!(
            out,
            "<{} id=\"{}\" xpath=\"{}\"",
            self.action,
            xml::escape(&self.id),
            xml::escape(&self.xpath)
        );
        for (k, v) in &self.attrs {
            let _ = write!(out, " {k}=\"{}\"", xml::escape(v));
        }
        if self.element.is_empty() {
            out.push_str("/>");
        } else {
            let _ = write!(out, ">{}</{}>", self.element, self.action);
        }
    }

    fn xml_len(&self) -> usize {
        let mut s = String::new();
        self.to_xml(&mut s);
        s.len()
    }
}

/// A transactional batch of config operations (`action=multi-config`): all succeed
/// or none is applied.
///
/// ```
/// use panops_panos::config::MultiConfig;
/// let mut mc = MultiConfig::new();
/// mc.set("/config/shared/address", "<entry name=\"a\"><ip-netmask>10.0.0.1</ip-netmask></entry>").unwrap();
/// mc.delete("/config/shared/address/entry[@name='old']").unwrap();
/// let req = mc.request(false).unwrap();
/// assert_eq!(req.param("action"), Some("multi-config"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MultiConfig {
    ops: Vec<MultiOp>,
}

impl MultiConfig {
    /// An empty batch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Operations in order.
    pub fn ops(&self) -> &[MultiOp] {
        &self.ops
    }

    /// Number of operations.
    pub fn len(&self) -> usize {
        self.ops.len()
    }

    /// Whether the batch is empty.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    fn add(
        &mut self,
        action: &str,
        xpath: &str,
        attrs: Vec<(String, String)>,
        element: &str,
    ) -> Result<&mut MultiOp> {
        validate::xpath("xpath", xpath)?;
        if !element.is_empty() {
            check_element(element)?;
        }
        let id = (self.ops.len() + 1).to_string();
        self.ops.push(MultiOp {
            id,
            action: action.to_owned(),
            xpath: xpath.to_owned(),
            attrs,
            element: element.to_owned(),
        });
        Ok(self.ops.last_mut().expect("just pushed"))
    }

    /// Add a `set`. Returns the op so its `id` can be changed.
    pub fn set(&mut self, xpath: &str, element: &str) -> Result<&mut MultiOp> {
        validate::non_empty("element", element)?;
        self.add("set", xpath, vec![], element)
    }

    /// Add an `edit`.
    pub fn edit(&mut self, xpath: &str, element: &str) -> Result<&mut MultiOp> {
        validate::non_empty("element", element)?;
        self.add("edit", xpath, vec![], element)
    }

    /// Add a `delete`.
    pub fn delete(&mut self, xpath: &str) -> Result<&mut MultiOp> {
        self.add("delete", xpath, vec![], "")
    }

    /// Add a `rename`.
    pub fn rename(&mut self, xpath: &str, new_name: &str) -> Result<&mut MultiOp> {
        validate::object_name("newname", new_name)?;
        self.add(
            "rename",
            xpath,
            vec![("newname".into(), new_name.into())],
            "",
        )
    }

    /// Add a `clone`.
    pub fn clone_entry(&mut self, xpath: &str, from: &str, new_name: &str) -> Result<&mut MultiOp> {
        validate::xpath("from", from)?;
        validate::object_name("newname", new_name)?;
        self.add(
            "clone",
            xpath,
            vec![
                ("from".into(), from.into()),
                ("newname".into(), new_name.into()),
            ],
            "",
        )
    }

    /// Add a `move`.
    pub fn move_entry(&mut self, xpath: &str, position: &Where) -> Result<&mut MultiOp> {
        let (where_, dst) = position.parts();
        let mut attrs = vec![("where".to_owned(), where_.to_owned())];
        if let Some(dst) = dst {
            validate::name("dst", dst, validate::MAX_NAME_LEN)?;
            attrs.push(("dst".into(), dst.into()));
        }
        self.add("move", xpath, attrs, "")
    }

    /// The `element` document: `<multi-configure-request>…</multi-configure-request>`.
    pub fn to_xml(&self) -> String {
        let mut out = String::from("<multi-configure-request>");
        for op in &self.ops {
            op.to_xml(&mut out);
        }
        out.push_str("</multi-configure-request>");
        out
    }

    /// Build the request. `strict` adds `strict-transactional=yes` (also fails if a
    /// commit is running or other admins have pending changes).
    pub fn request(&self, strict: bool) -> Result<ApiRequest> {
        if self.ops.is_empty() {
            return Err(Error::invalid(
                "multi-config",
                "at least one operation is required",
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for op in &self.ops {
            if !seen.insert(op.id.as_str()) {
                return Err(Error::invalid(
                    "id",
                    format!("duplicate operation id {:?}", op.id),
                ));
            }
        }
        let req = ApiRequest::new("config", false)
            .push("action", "multi-config")
            .push("element", self.to_xml());
        Ok(if strict {
            req.push("strict-transactional", "yes")
        } else {
            req
        })
    }

    /// Split into batches of at most `max_ops` operations and about `max_bytes` of
    /// XML each (an operation bigger than `max_bytes` gets a batch of its own). Each
    /// batch is transactional on its own; the whole is not.
    pub fn chunks(&self, max_ops: usize, max_bytes: usize) -> Vec<MultiConfig> {
        let max_ops = max_ops.max(1);
        let mut out = Vec::new();
        let mut cur = MultiConfig::new();
        let mut size = 0;
        for op in &self.ops {
            let len = op.xml_len();
            if !cur.is_empty() && (cur.len() >= max_ops || size + len > max_bytes) {
                out.push(std::mem::take(&mut cur));
                size = 0;
            }
            size += len;
            cur.ops.push(op.clone());
        }
        if !cur.is_empty() {
            out.push(cur);
        }
        out
    }
}

/// Group sibling elements (for one `set` at their parent xpath) into bodies of at
/// most `max_bytes` bytes each; an element bigger than the limit gets its own body.
pub fn chunk_elements<S: AsRef<str>>(elements: &[S], max_bytes: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for el in elements {
        let el = el.as_ref();
        if !cur.is_empty() && cur.len() + el.len() > max_bytes {
            out.push(std::mem::take(&mut cur));
        }
        cur.push_str(el);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const X: &str = "/config/shared/address/entry[@name='a']";

    fn params(r: &ApiRequest) -> Vec<(String, String)> {
        r.params()
            .iter()
            .map(|(k, v)| (k.clone(), v.expose().to_owned()))
            .collect()
    }

    fn p(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn exact_params() {
        assert_eq!(
            params(&get(X).unwrap()),
            p(&[("type", "config"), ("action", "get"), ("xpath", X)])
        );
        assert!(get(X).unwrap().is_idempotent());
        assert!(show(X).unwrap().is_idempotent());
        let s = set("/config/shared/address", "<entry name=\"a\"/>").unwrap();
        assert!(!s.is_idempotent());
        assert_eq!(
            params(&s),
            p(&[
                ("type", "config"),
                ("action", "set"),
                ("xpath", "/config/shared/address"),
                ("element", "<entry name=\"a\"/>")
            ])
        );
        assert_eq!(
            params(&rename(X, "b").unwrap()),
            p(&[
                ("type", "config"),
                ("action", "rename"),
                ("xpath", X),
                ("newname", "b")
            ])
        );
        assert_eq!(
            params(&clone("/config/shared/address", X, "c").unwrap()),
            p(&[
                ("type", "config"),
                ("action", "clone"),
                ("xpath", "/config/shared/address"),
                ("from", X),
                ("newname", "c")
            ])
        );
        assert_eq!(
            params(&move_entry(X, &Where::After("r2".into())).unwrap()),
            p(&[
                ("type", "config"),
                ("action", "move"),
                ("xpath", X),
                ("where", "after"),
                ("dst", "r2")
            ])
        );
        assert_eq!(
            params(&move_entry(X, &Where::Top).unwrap()),
            p(&[
                ("type", "config"),
                ("action", "move"),
                ("xpath", X),
                ("where", "top")
            ])
        );
        assert_eq!(delete(X).unwrap().param("action"), Some("delete"));
        assert_eq!(
            override_template(X, "<x/>").unwrap().param("action"),
            Some("override")
        );
    }

    #[test]
    fn validation() {
        assert!(get("").is_err());
        assert!(set(X, "").is_err());
        assert!(set(X, "<a>").is_err());
        assert!(set(X, "<a/><b/>").is_ok());
        let e = rename(X, &"n".repeat(64)).unwrap_err().to_string();
        assert!(e.contains("newname"), "{e}");
        assert!(rename(X, "a'b").is_err());
        assert!(rename(X, "web 1.x_y-z").is_ok());
        assert!(clone(X, X, "bad/name").is_err());
    }

    #[test]
    fn multi_config_xml_and_chunks() {
        let mut mc = MultiConfig::new();
        mc.set("/config/shared/address", "<entry name=\"a\"/>")
            .unwrap();
        mc.delete("/config/shared/address/entry[@name=\"x\"]")
            .unwrap()
            .id = "del-x".into();
        mc.move_entry(X, &Where::Before("z".into())).unwrap();
        assert_eq!(
            mc.to_xml(),
            "<multi-configure-request><set id=\"1\" xpath=\"/config/shared/address\"><entry name=\"a\"/></set>\
             <delete id=\"del-x\" xpath=\"/config/shared/address/entry[@name=&quot;x&quot;]\"/>\
             <move id=\"3\" xpath=\"/config/shared/address/entry[@name=&apos;a&apos;]\" where=\"before\" dst=\"z\"/>\
             </multi-configure-request>"
        );
        let req = mc.request(true).unwrap();
        assert_eq!(req.param("strict-transactional"), Some("yes"));
        assert_eq!(mc.chunks(2, 1 << 20).len(), 2);
        assert_eq!(mc.chunks(10, 1).len(), 3);
        assert!(MultiConfig::new().request(false).is_err());
        mc.delete(X).unwrap().id = "1".into();
        assert!(mc.request(false).is_err());
    }

    #[test]
    fn element_chunks() {
        let els: Vec<String> = (0..10).map(|i| format!("<entry name=\"{i}\"/>")).collect();
        let chunks = chunk_elements(&els, 40);
        assert_eq!(chunks.concat(), els.concat());
        assert!(chunks.iter().all(|c| c.len() <= 40));
    }
}
