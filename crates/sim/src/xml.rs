//! A small owned XML element tree: parse (bounded), serialize, helpers.
//!
//! The simulator keeps configuration as plain element trees. Parsing is bounded in depth
//! and size; quick-xml does not expand DTD entities, so entity bombs fail to parse.

use quick_xml::events::Event;

/// Maximum element nesting accepted from a request.
pub const MAX_DEPTH: usize = 256;
/// Nesting accepted when reloading the simulator's own saved state (xpath steps add up to 64).
pub const MAX_STORED_DEPTH: usize = 1024;

/// One XML element: name, attributes in order, children, and text (concatenated).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Element {
    /// Tag name.
    pub name: String,
    /// Attributes in document order.
    pub attrs: Vec<(String, String)>,
    /// Child elements in document order.
    pub children: Vec<Element>,
    /// Text content (leaf values such as `<ip-netmask>10.0.0.1</ip-netmask>`).
    pub text: Option<String>,
}

/// Why a document could not be parsed.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum XmlError {
    /// Not well-formed XML.
    #[error("malformed XML: {0}")]
    Malformed(String),
    /// Too deeply nested.
    #[error("XML nested too deeply")]
    TooDeep,
    /// No root element.
    #[error("XML document has no root element")]
    Empty,
}

impl Element {
    /// A new element with no attributes or children.
    pub fn new(name: impl Into<String>) -> Self {
        Element {
            name: name.into(),
            ..Default::default()
        }
    }

    /// A leaf element with text.
    pub fn text_node(name: impl Into<String>, text: impl Into<String>) -> Self {
        Element {
            name: name.into(),
            text: Some(text.into()),
            ..Default::default()
        }
    }

    /// An `<entry name="..."/>`.
    pub fn entry(name: impl Into<String>) -> Self {
        Element::new("entry").with_attr("name", name)
    }

    /// Builder: add an attribute.
    pub fn with_attr(mut self, k: impl Into<String>, v: impl Into<String>) -> Self {
        self.set_attr(k, v);
        self
    }

    /// Builder: add a child.
    pub fn with_child(mut self, c: Element) -> Self {
        self.children.push(c);
        self
    }

    /// Builder: add a text child `<name>text</name>`.
    pub fn with_text_child(self, name: impl Into<String>, text: impl Into<String>) -> Self {
        self.with_child(Element::text_node(name, text))
    }

    /// Attribute value.
    pub fn attr(&self, k: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
    }

    /// Set or replace an attribute.
    pub fn set_attr(&mut self, k: impl Into<String>, v: impl Into<String>) {
        let k = k.into();
        let v = v.into();
        if let Some(slot) = self.attrs.iter_mut().find(|(n, _)| *n == k) {
            slot.1 = v;
        } else {
            self.attrs.push((k, v));
        }
    }

    /// Remove an attribute.
    pub fn remove_attr(&mut self, k: &str) {
        self.attrs.retain(|(n, _)| n != k);
    }

    /// The `name` attribute.
    pub fn name_attr(&self) -> Option<&str> {
        self.attr("name")
    }

    /// First child with this tag.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// First child with this tag (mutable).
    pub fn child_mut(&mut self, name: &str) -> Option<&mut Element> {
        self.children.iter_mut().find(|c| c.name == name)
    }

    /// First child with this tag, created if missing.
    pub fn child_or_insert(&mut self, name: &str) -> &mut Element {
        let idx = match self.children.iter().position(|c| c.name == name) {
            Some(i) => i,
            None => {
                self.children.push(Element::new(name));
                self.children.len() - 1
            }
        };
        &mut self.children[idx]
    }

    /// `entry[@name=n]` child.
    pub fn entry_child(&self, n: &str) -> Option<&Element> {
        self.children
            .iter()
            .find(|c| c.name == "entry" && c.name_attr() == Some(n))
    }

    /// `entry[@name=n]` child, created if missing.
    pub fn entry_or_insert(&mut self, n: &str) -> &mut Element {
        let idx = match self
            .children
            .iter()
            .position(|c| c.name == "entry" && c.name_attr() == Some(n))
        {
            Some(i) => i,
            None => {
                self.children.push(Element::entry(n));
                self.children.len() - 1
            }
        };
        &mut self.children[idx]
    }

    /// Follow a `/`-separated path of child tags (no predicates).
    pub fn find(&self, path: &str) -> Option<&Element> {
        let mut cur = self;
        for step in path.split('/').filter(|s| !s.is_empty()) {
            cur = cur.child(step)?;
        }
        Some(cur)
    }

    /// Text of the element at a child path.
    pub fn find_text(&self, path: &str) -> Option<&str> {
        self.find(path).and_then(|e| e.text.as_deref())
    }

    /// Text of this element, trimmed, or "".
    pub fn text_str(&self) -> &str {
        self.text.as_deref().map(str::trim).unwrap_or("")
    }

    /// Texts of `member` children.
    pub fn members(&self) -> Vec<String> {
        self.children
            .iter()
            .filter(|c| c.name == "member")
            .map(|c| c.text_str().to_string())
            .collect()
    }

    /// Remove `admin`/`time`/`dirtyId` annotation attributes recursively.
    pub fn strip_annotations(&mut self) {
        self.attrs
            .retain(|(k, _)| k != "admin" && k != "time" && k != "dirtyId");
        for c in &mut self.children {
            c.strip_annotations();
        }
    }

    /// Serialize to a string.
    pub fn to_xml(&self) -> String {
        let mut s = String::with_capacity(256);
        self.write_to(&mut s);
        s
    }

    /// Serialize into `out`.
    pub fn write_to(&self, out: &mut String) {
        out.push('<');
        out.push_str(&self.name);
        for (k, v) in &self.attrs {
            out.push(' ');
            out.push_str(k);
            out.push_str("=\"");
            escape_into(v, out, true);
            out.push('"');
        }
        let text = self.text.as_deref().filter(|t| !t.is_empty());
        if self.children.is_empty() && text.is_none() {
            out.push_str("/>");
            return;
        }
        out.push('>');
        if let Some(t) = text {
            escape_into(t, out, false);
        }
        for c in &self.children {
            c.write_to(out);
        }
        out.push_str("</");
        out.push_str(&self.name);
        out.push('>');
    }

    /// Number of elements in this subtree.
    pub fn count(&self) -> usize {
        1 + self.children.iter().map(Element::count).sum::<usize>()
    }
}

/// Escape text for XML.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    escape_into(s, &mut out, true);
    out
}

fn escape_into(s: &str, out: &mut String, attr: bool) {
    for ch in s.chars() {
        match ch {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' if attr => out.push_str("&quot;"),
            '\'' if attr => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
}

/// Parse one element (the document root). Whitespace-only text is dropped.
pub fn parse(input: &str) -> Result<Element, XmlError> {
    parse_max_depth(input, MAX_DEPTH)
}

/// [`parse`] with an explicit nesting limit.
pub fn parse_max_depth(input: &str, max_depth: usize) -> Result<Element, XmlError> {
    let mut reader = quick_xml::Reader::from_str(input);
    reader.config_mut().trim_text(false);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        let ev = reader
            .read_event()
            .map_err(|e| XmlError::Malformed(short(&e.to_string())))?;
        match ev {
            Event::Start(s) => {
                if root.is_some() {
                    return Err(XmlError::Malformed("content after root element".into()));
                }
                if stack.len() >= max_depth {
                    return Err(XmlError::TooDeep);
                }
                stack.push(start_element(&s)?);
            }
            Event::Empty(s) => {
                if root.is_some() {
                    return Err(XmlError::Malformed("content after root element".into()));
                }
                let el = start_element(&s)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::End(_) => {
                let Some(mut el) = stack.pop() else {
                    return Err(XmlError::Malformed("unexpected end tag".into()));
                };
                if let Some(t) = &el.text
                    && t.trim().is_empty()
                {
                    el.text = None;
                }
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::Text(t) => {
                let txt = t
                    .unescape()
                    .map_err(|e| XmlError::Malformed(short(&e.to_string())))?;
                if let Some(cur) = stack.last_mut() {
                    cur.text.get_or_insert_with(String::new).push_str(&txt);
                } else if !txt.trim().is_empty() {
                    return Err(XmlError::Malformed("text outside the root element".into()));
                }
            }
            Event::CData(c) => {
                let txt = String::from_utf8_lossy(&c.into_inner()).into_owned();
                if let Some(cur) = stack.last_mut() {
                    cur.text.get_or_insert_with(String::new).push_str(&txt);
                }
            }
            Event::DocType(_) => {
                return Err(XmlError::Malformed("DOCTYPE is not allowed".into()));
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !stack.is_empty() {
        return Err(XmlError::Malformed("unclosed element".into()));
    }
    root.ok_or(XmlError::Empty)
}

/// Parse a fragment that may hold several sibling elements (e.g. a `set` element).
pub fn parse_fragment(input: &str) -> Result<Vec<Element>, XmlError> {
    let wrapped = format!("<__frag>{input}</__frag>");
    let root = parse(&wrapped)?;
    if root.text.as_deref().is_some_and(|t| !t.trim().is_empty()) {
        return Err(XmlError::Malformed("text outside any element".into()));
    }
    Ok(root.children)
}

fn start_element(s: &quick_xml::events::BytesStart<'_>) -> Result<Element, XmlError> {
    let name = String::from_utf8_lossy(s.name().as_ref()).into_owned();
    let mut el = Element::new(name);
    for a in s.attributes() {
        let a = a.map_err(|e| XmlError::Malformed(short(&e.to_string())))?;
        let k = String::from_utf8_lossy(a.key.as_ref()).into_owned();
        let v = a
            .unescape_value()
            .map_err(|e| XmlError::Malformed(short(&e.to_string())))?
            .into_owned();
        el.attrs.push((k, v));
    }
    Ok(el)
}

fn short(s: &str) -> String {
    s.chars().take(200).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip() {
        let e = parse("<a x='1'><b>t&amp;</b><c/></a>").unwrap();
        assert_eq!(e.to_xml(), "<a x=\"1\"><b>t&amp;</b><c/></a>");
    }

    #[test]
    fn entity_bomb_rejected() {
        let bomb = "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">]><a>&lol;</a>";
        assert!(parse(bomb).is_err());
        assert!(parse("<a>&lol;</a>").is_err());
    }

    #[test]
    fn depth_capped() {
        let s = "<a>".repeat(MAX_DEPTH + 1) + &"</a>".repeat(MAX_DEPTH + 1);
        assert_eq!(parse(&s), Err(XmlError::TooDeep));
    }

    #[test]
    fn fragment() {
        let v = parse_fragment("<entry name='a'/><entry name='b'/>").unwrap();
        assert_eq!(v.len(), 2);
    }
}
