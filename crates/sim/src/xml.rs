//! A small owned XML element tree: parse (bounded), serialize, helpers.
//!
//! The simulator keeps configuration as plain element trees. Parsing is bounded in depth
//! and size; quick-xml does not expand DTD entities, so entity bombs fail to parse.

use quick_xml::events::Event;

/// Maximum element nesting accepted from a request.
pub const MAX_DEPTH: usize = 256;
/// Nesting accepted when reloading the simulator's own saved state (xpath steps add up to 64).
pub const MAX_STORED_DEPTH: usize = 1024;
/// Attributes accepted on one element of a request. PAN-OS configuration elements carry a
/// handful (`name`, `uuid`, and the `admin`/`time`/`dirtyId`/`loc` annotations); the device's
/// schema has no element with more than a few, so 64 leaves ample room while keeping an
/// element with 100k attributes from ever reaching the configuration (issue 14 item 3).
pub const MAX_ATTRS: usize = 64;
/// Attributes accepted when reloading saved state: requests are capped at [`MAX_ATTRS`] and
/// the simulator adds its own annotations on top, so saved state may hold a few more.
pub const MAX_STORED_ATTRS: usize = 256;

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
    /// An element carries more attributes than accepted.
    #[error("element <{element}> has more than {limit} attributes")]
    TooManyAttributes {
        /// Tag of the offending element (shortened).
        element: String,
        /// The limit that was exceeded.
        limit: usize,
    },
}

/// Bounds applied while parsing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Maximum element nesting.
    pub depth: usize,
    /// Maximum attributes on one element.
    pub attrs: usize,
}

impl Limits {
    /// Bounds for XML taken from a request.
    pub const REQUEST: Limits = Limits {
        depth: MAX_DEPTH,
        attrs: MAX_ATTRS,
    };
    /// Bounds for the simulator's own saved state.
    pub const STORED: Limits = Limits {
        depth: MAX_STORED_DEPTH,
        attrs: MAX_STORED_ATTRS,
    };
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

/// Parse one element (the document root) with the request [`Limits`]. Whitespace-only text
/// is dropped. A document handed over by [`preparse`] on this thread is taken from there.
pub fn parse(input: &str) -> Result<Element, XmlError> {
    if let Some(done) = take_preparsed(Form::Document, input) {
        return done.map(|mut v| v.remove(0));
    }
    parse_limited(input, Limits::REQUEST)
}

/// [`parse`] with explicit bounds (e.g. [`Limits::STORED`] for saved state). Linear in the
/// input: attributes are checked for duplicates with a hash set, not pairwise.
pub fn parse_limited(input: &str, limits: Limits) -> Result<Element, XmlError> {
    let max_depth = limits.depth;
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
                stack.push(start_element(&s, limits.attrs)?);
            }
            Event::Empty(s) => {
                if root.is_some() {
                    return Err(XmlError::Malformed("content after root element".into()));
                }
                let el = start_element(&s, limits.attrs)?;
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
    if let Some(done) = take_preparsed(Form::Fragment, input) {
        return done;
    }
    parse_fragment_uncached(input)
}

fn parse_fragment_uncached(input: &str) -> Result<Vec<Element>, XmlError> {
    let wrapped = format!("<__frag>{input}</__frag>");
    let root = parse_limited(&wrapped, Limits::REQUEST)?;
    if root.text.as_deref().is_some_and(|t| !t.trim().is_empty()) {
        return Err(XmlError::Malformed("text outside any element".into()));
    }
    Ok(root.children)
}

fn start_element(
    s: &quick_xml::events::BytesStart<'_>,
    max_attrs: usize,
) -> Result<Element, XmlError> {
    let name = String::from_utf8_lossy(s.name().as_ref()).into_owned();
    let mut el = Element::new(name);
    // quick-xml's own duplicate check compares each attribute with every earlier one
    // (quadratic: 100k attributes took ~13 s); count against the cap and check duplicates
    // with a hash set instead, stopping at the first attribute over the cap.
    let mut seen: std::collections::HashSet<&[u8]> = std::collections::HashSet::new();
    for a in s.attributes().with_checks(false) {
        let a = a.map_err(|e| XmlError::Malformed(short(&e.to_string())))?;
        if el.attrs.len() >= max_attrs {
            return Err(XmlError::TooManyAttributes {
                element: short(&el.name),
                limit: max_attrs,
            });
        }
        if !seen.insert(a.key.into_inner()) {
            return Err(XmlError::Malformed(short(&format!(
                "duplicated attribute `{}` on <{}>",
                String::from_utf8_lossy(a.key.as_ref()),
                el.name
            ))));
        }
        let k = String::from_utf8_lossy(a.key.as_ref()).into_owned();
        let v = a
            .unescape_value()
            .map_err(|e| XmlError::Malformed(short(&e.to_string())))?
            .into_owned();
        el.attrs.push((k, v));
    }
    Ok(el)
}

/// Which parse a pre-parsed document answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// [`parse`]: one root element.
    Document,
    /// [`parse_fragment`]: sibling elements.
    Fragment,
}

struct Preparsed {
    form: Form,
    input: String,
    result: Result<Vec<Element>, XmlError>,
}

thread_local! {
    // Documents parsed before the state lock was taken, for the request being handled on this
    // thread. Keyed by the exact input, so a handler that parses something else (or the same
    // text in another form) parses it itself and behaves exactly as without pre-parsing.
    static PREPARSED: std::cell::RefCell<Vec<Preparsed>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Pre-parsed documents of one request; dropping it forgets whatever was not used.
#[must_use = "the documents are only available while the guard lives"]
pub struct PreparsedGuard(());

impl Drop for PreparsedGuard {
    fn drop(&mut self) {
        PREPARSED.with(|p| p.borrow_mut().clear());
    }
}

/// Parse a request's XML parameters now, on this thread and outside any lock, so that the
/// handler later running on the same thread under the state lock gets the finished trees
/// from [`parse`] / [`parse_fragment`] instead of parsing a large body while every other
/// client waits. Errors are kept too, and answered exactly as a parse inside the handler.
pub fn preparse<'a>(docs: impl IntoIterator<Item = (Form, &'a str)>) -> PreparsedGuard {
    let done: Vec<Preparsed> = docs
        .into_iter()
        .map(|(form, input)| Preparsed {
            form,
            input: input.to_string(),
            result: match form {
                Form::Document => parse_limited(input, Limits::REQUEST).map(|e| vec![e]),
                Form::Fragment => parse_fragment_uncached(input),
            },
        })
        .collect();
    PREPARSED.with(|p| *p.borrow_mut() = done);
    PreparsedGuard(())
}

/// The pre-parsed result for `input`, removed so that its tree is moved out, not cloned.
fn take_preparsed(form: Form, input: &str) -> Option<Result<Vec<Element>, XmlError>> {
    PREPARSED.with(|p| {
        let mut p = p.borrow_mut();
        let i = p.iter().position(|d| d.form == form && d.input == input)?;
        Some(p.swap_remove(i).result)
    })
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

    fn with_attrs(n: usize) -> String {
        let mut s = String::from("<a");
        for i in 0..n {
            s.push_str(&format!(" k{i}='v{i}'"));
        }
        s.push_str("/>");
        s
    }

    #[test]
    fn attributes_capped_and_duplicates_malformed() {
        let at_cap = parse(&with_attrs(MAX_ATTRS)).unwrap();
        assert_eq!(at_cap.attrs.len(), MAX_ATTRS);
        assert_eq!(at_cap.attr("k63"), Some("v63"));
        assert_eq!(
            parse(&with_attrs(MAX_ATTRS + 1)),
            Err(XmlError::TooManyAttributes {
                element: "a".into(),
                limit: MAX_ATTRS
            })
        );
        assert!(parse_fragment(&with_attrs(100_000)).is_err());
        // saved state may carry more than a request
        assert!(parse_limited(&with_attrs(MAX_ATTRS + 10), Limits::STORED).is_ok());
        match parse("<a x='1' y='2' x='3'/>") {
            Err(XmlError::Malformed(m)) => assert!(m.contains("duplicated attribute `x`"), "{m}"),
            other => panic!("{other:?}"),
        }
        // an attribute named like another's value is no duplicate
        assert!(parse("<a x='y' y='x'/>").is_ok());
    }

    #[test]
    fn preparsed_documents_are_used_once_and_only_for_their_input() {
        let doc = "<show><system><info/></system></show>";
        let frag = "<entry name='a'/><entry name='b'/>";
        {
            let _g = preparse([(Form::Document, doc), (Form::Fragment, frag)]);
            // present in the cache: same answers as a direct parse
            assert_eq!(
                parse(doc).unwrap(),
                parse_limited(doc, Limits::REQUEST).unwrap()
            );
            assert_eq!(parse_fragment(frag).unwrap().len(), 2);
            // the same text in the other form is parsed on its own
            assert!(parse(frag).is_err());
            // used up: parsed again, same answer
            assert_eq!(parse_fragment(frag).unwrap().len(), 2);
            PREPARSED.with(|p| assert!(p.borrow().is_empty()));
        }
        let _g = preparse([(Form::Fragment, "<a x='1' x='2'/>")]);
        assert!(matches!(
            parse_fragment("<a x='1' x='2'/>"),
            Err(XmlError::Malformed(_))
        ));
        drop(_g);
        let _g = preparse([(Form::Document, doc)]);
        drop(_g);
        PREPARSED.with(|p| assert!(p.borrow().is_empty()));
    }

    #[test]
    fn fragment() {
        let v = parse_fragment("<entry name='a'/><entry name='b'/>").unwrap();
        assert_eq!(v.len(), 2);
    }
}
