//! A minimal, span-preserving XML tree used to read device responses.
//!
//! Responses are small-to-medium documents (a configuration *export* is not parsed
//! into this tree; see [`crate::response::Response::parse`]). Each element remembers
//! the byte ranges of its outer and inner markup in the original document, so a
//! sub-tree can be handed back to the caller byte-for-byte as the device sent it.

use std::ops::Range;

use quick_xml::{Reader, events::Event};

/// One XML element with its attributes, children and source spans.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    /// Element name as written (including any prefix).
    pub name: String,
    /// Attributes in document order, values unescaped.
    pub attrs: Vec<(String, String)>,
    /// Child nodes in document order.
    pub children: Vec<Node>,
    /// Byte range of the whole element (`<a …>…</a>`) in the source.
    pub outer: Range<usize>,
    /// Byte range of the element content (between start and end tag) in the source.
    pub inner: Range<usize>,
}

/// A child node: an element or a run of text (CDATA is folded into text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// A child element.
    Element(Element),
    /// Unescaped character data.
    Text(String),
}

/// Why a document could not be read as XML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlError(pub String);

impl std::fmt::Display for XmlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for XmlError {}

fn pos(reader: &Reader<&[u8]>) -> usize {
    usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX)
}

fn start_element(
    e: &quick_xml::events::BytesStart<'_>,
    start: usize,
    end: usize,
) -> Result<Element, XmlError> {
    let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
    let mut attrs = Vec::new();
    for attr in e.attributes() {
        let attr = attr.map_err(|err| XmlError(format!("bad attribute in <{name}>: {err}")))?;
        let key = String::from_utf8_lossy(attr.key.as_ref()).into_owned();
        let value = attr
            .unescape_value()
            .map_err(|err| XmlError(format!("bad attribute value {key} in <{name}>: {err}")))?
            .into_owned();
        attrs.push((key, value));
    }
    Ok(Element {
        name,
        attrs,
        children: Vec::new(),
        outer: start..end,
        inner: end..end,
    })
}

/// Deepest element nesting [`parse`] accepts. Real answers stay far below (a full Panorama
/// configuration is about 20 deep); the cap keeps a hostile reply from overflowing the stack
/// of every recursive walk over the tree (conversion, text, drop). Same as the simulator's.
pub const MAX_DEPTH: usize = 256;

/// Parse a whole document and return its root element.
///
/// Processing instructions, comments and the doctype are skipped. Text outside the
/// root element must be whitespace. Nesting deeper than [`MAX_DEPTH`] is an error.
pub fn parse(doc: &[u8]) -> Result<Element, XmlError> {
    let mut reader = Reader::from_reader(doc);
    reader.config_mut().trim_text(false);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        let before = pos(&reader);
        let event = reader
            .read_event()
            .map_err(|e| XmlError(format!("malformed XML at byte {}: {e}", pos(&reader))))?;
        let after = pos(&reader);
        match event {
            Event::Start(e) => {
                if root.is_some() {
                    return Err(XmlError("content after the root element".into()));
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(XmlError(format!(
                        "XML nested deeper than {MAX_DEPTH} elements at byte {before}; no PAN-OS \
                         answer is that deep"
                    )));
                }
                stack.push(start_element(&e, before, after)?);
            }
            Event::Empty(e) => {
                if root.is_some() {
                    return Err(XmlError("content after the root element".into()));
                }
                let el = start_element(&e, before, after)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(Node::Element(el)),
                    None => root = Some(el),
                }
            }
            Event::End(_) => {
                let mut el = stack
                    .pop()
                    .ok_or_else(|| XmlError("unbalanced end tag".into()))?;
                el.inner = el.outer.end..before;
                el.outer = el.outer.start..after;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(Node::Element(el)),
                    None => root = Some(el),
                }
            }
            Event::Text(t) => {
                let text = t
                    .unescape()
                    .map_err(|e| XmlError(format!("bad text at byte {before}: {e}")))?;
                match stack.last_mut() {
                    Some(parent) => push_text(parent, &text),
                    None if text.trim().is_empty() => {}
                    None => return Err(XmlError("text outside the root element".into())),
                }
            }
            Event::CData(t) => {
                let text = String::from_utf8_lossy(&t.into_inner()).into_owned();
                if let Some(parent) = stack.last_mut() {
                    push_text(parent, &text);
                }
            }
            Event::Eof => break,
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_) => {}
        }
    }
    if !stack.is_empty() {
        return Err(XmlError(format!(
            "document ended inside <{}>",
            stack.last().map(|e| e.name.as_str()).unwrap_or("")
        )));
    }
    root.ok_or_else(|| XmlError("document has no root element".into()))
}

fn push_text(parent: &mut Element, text: &str) {
    if let Some(Node::Text(prev)) = parent.children.last_mut() {
        prev.push_str(text);
    } else {
        parent.children.push(Node::Text(text.to_owned()));
    }
}

impl Element {
    /// Value of attribute `name`.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Child elements in document order.
    pub fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|n| match n {
            Node::Element(e) => Some(e),
            Node::Text(_) => None,
        })
    }

    /// First child element called `name`.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.elements().find(|e| e.name == name)
    }

    /// All child elements called `name`.
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.elements().filter(move |e| e.name == name)
    }

    /// Follow a `/`-separated path of child names, first match at each step.
    pub fn path(&self, path: &str) -> Option<&Element> {
        path.split('/')
            .filter(|s| !s.is_empty())
            .try_fold(self, |el, step| el.child(step))
    }

    /// All elements reached by a `/`-separated path (`*` matches any name).
    pub fn find_all<'a>(&'a self, path: &str) -> Vec<&'a Element> {
        let mut current = vec![self];
        for step in path.split('/').filter(|s| !s.is_empty()) {
            current = current
                .into_iter()
                .flat_map(|e| e.elements().filter(|c| step == "*" || c.name == step))
                .collect();
        }
        current
    }

    /// Direct text content (text and CDATA children only), or `None` if there is none.
    pub fn own_text(&self) -> Option<String> {
        let mut out = String::new();
        let mut any = false;
        for n in &self.children {
            if let Node::Text(t) = n {
                out.push_str(t);
                any = true;
            }
        }
        if any && !out.trim().is_empty() {
            Some(out)
        } else {
            None
        }
    }

    /// All descendant text concatenated, trimmed.
    pub fn deep_text(&self) -> String {
        let mut out = String::new();
        fn walk(e: &Element, out: &mut String) {
            for n in &e.children {
                match n {
                    Node::Text(t) => out.push_str(t),
                    Node::Element(c) => walk(c, out),
                }
            }
        }
        walk(self, &mut out);
        out.trim().to_owned()
    }

    /// Trimmed text of child `name`, if present and non-empty.
    pub fn child_text(&self, name: &str) -> Option<String> {
        self.child(name)
            .map(|c| c.deep_text())
            .filter(|t| !t.is_empty())
    }
}

/// Escape text for use as XML character data or a double-quoted attribute value.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// Check that `text` is one well-formed XML element (used for pass-through XML).
pub fn check_well_formed(text: &str) -> Result<(), XmlError> {
    // The same rules as `parse`, checked on the event stream without building a tree: bulk
    // `set` bodies reach megabytes, and a tree of them was most of the cost of staging one.
    let mut reader = Reader::from_reader(text.as_bytes());
    reader.config_mut().trim_text(false);
    reader.config_mut().check_end_names = true;
    let mut depth = 0usize;
    let mut seen_root = false;
    loop {
        let before = pos(&reader);
        let event = reader
            .read_event()
            .map_err(|e| XmlError(format!("malformed XML at byte {}: {e}", pos(&reader))))?;
        match event {
            Event::Start(_) | Event::Empty(_) if depth == 0 && seen_root => {
                return Err(XmlError("content after the root element".into()));
            }
            Event::Start(e) => {
                check_attributes(&e)?;
                depth += 1;
            }
            Event::Empty(e) => {
                check_attributes(&e)?;
                if depth == 0 {
                    seen_root = true;
                }
            }
            Event::End(_) => {
                depth = depth
                    .checked_sub(1)
                    .ok_or_else(|| XmlError("unbalanced end tag".into()))?;
                if depth == 0 {
                    seen_root = true;
                }
            }
            Event::Text(t) => {
                let text = t
                    .unescape()
                    .map_err(|e| XmlError(format!("bad text at byte {before}: {e}")))?;
                if depth == 0 && !text.trim().is_empty() {
                    return Err(XmlError("text outside the root element".into()));
                }
            }
            Event::Eof => break,
            Event::CData(_)
            | Event::Decl(_)
            | Event::PI(_)
            | Event::Comment(_)
            | Event::DocType(_) => {}
        }
    }
    if depth != 0 {
        return Err(XmlError("document ended inside an element".into()));
    }
    if !seen_root {
        return Err(XmlError("document has no root element".into()));
    }
    Ok(())
}

fn check_attributes(e: &quick_xml::events::BytesStart<'_>) -> Result<(), XmlError> {
    for attr in e.attributes() {
        let attr = attr.map_err(|err| XmlError(format!("bad attribute: {err}")))?;
        attr.unescape_value()
            .map_err(|err| XmlError(format!("bad attribute value: {err}")))?;
    }
    Ok(())
}

/// Whether `name` is usable as an XML element name in a command.
pub fn is_element_name(name: &str) -> bool {
    let mut chars = name.chars();
    match chars.next() {
        Some(c) if c.is_alphabetic() || c == '_' => {}
        _ => return false,
    }
    chars.all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_formedness_check_agrees_with_the_parser() {
        let cases = [
            "<a/>",
            "<a><b x='1'>t&amp;</b><c/></a>",
            "<?xml version='1.0'?><a/>",
            "<a>",
            "<a></b>",
            "</a>",
            "<a/><b/>",
            "text",
            "<a/>tail",
            "<a x='&bogus;'/>",
            "<a>&bogus;</a>",
            "<a x='1' x='2'/>",
            "",
            "  <a> <![CDATA[<x>]]> </a>  ",
            "<a><b></a></b>",
        ];
        for case in cases {
            assert_eq!(
                check_well_formed(case).is_ok(),
                parse(case.as_bytes()).is_ok(),
                "{case:?}"
            );
        }
    }

    #[test]
    fn spans_are_exact() {
        let doc = br#"<?xml version="1.0"?><response status = 'success'><result><a x="1">t&amp;<![CDATA[<c>]]></a><b/></result></response>"#;
        let root = parse(doc).unwrap();
        assert_eq!(root.attr("status"), Some("success"));
        let result = root.child("result").unwrap();
        assert_eq!(
            &doc[result.inner.clone()],
            br#"<a x="1">t&amp;<![CDATA[<c>]]></a><b/>"#
        );
        let a = result.child("a").unwrap();
        assert_eq!(a.own_text().as_deref(), Some("t&<c>"));
        assert_eq!(
            &doc[a.outer.clone()],
            br#"<a x="1">t&amp;<![CDATA[<c>]]></a>"#
        );
        let b = result.child("b").unwrap();
        assert_eq!(&doc[b.outer.clone()], b"<b/>");
        assert!(b.inner.is_empty());
    }

    #[test]
    fn nesting_is_capped_without_overflowing_the_stack() {
        let ok = format!("{}{}", "<a>".repeat(MAX_DEPTH), "</a>".repeat(MAX_DEPTH));
        assert!(parse(ok.as_bytes()).is_ok());
        // A million levels: before the cap this built a tree whose drop overflowed the stack.
        let deep = format!("<response status=\"success\">{}", "<a>".repeat(1_000_000));
        let e = parse(deep.as_bytes()).unwrap_err();
        assert!(e.0.contains("nested deeper than"), "{e}");
        let deep = format!(
            "{}{}",
            "<a>".repeat(MAX_DEPTH + 1),
            "</a>".repeat(MAX_DEPTH + 1)
        );
        assert!(parse(deep.as_bytes()).is_err());
    }

    #[test]
    fn rejects_garbage() {
        assert!(parse(b"<a><b></a>").is_err());
        assert!(parse(b"").is_err());
        assert!(parse(b"<a/><b/>").is_err());
        assert!(parse(b"<html>").is_err());
    }
}
