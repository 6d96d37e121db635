//! The subset of XPath 1.0 that PAN-OS clients send, evaluated over [`Element`] trees.
//!
//! Supported: absolute location paths of child steps, `*`, predicates made of
//! `@attr='v'`, `text()='v'`, `@attr`, positional `[N]`, combined with `and`/`or`/parentheses,
//! values quoted with either quote or built with `concat(...)`, and a final `@attr`
//! projection step (`.../entry/@name`).

use std::collections::HashSet;

use crate::xml::Element;

/// Maximum accepted xpath length (bytes).
pub const MAX_XPATH: usize = 1 << 20;
/// Maximum number of location steps (real configuration is never this deep).
pub const MAX_STEPS: usize = 64;

/// A parsed xpath.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XPath {
    /// Location steps, the first one matches the document root.
    pub steps: Vec<Step>,
    /// A trailing `@attr` projection.
    pub projection: Option<String>,
}

/// One location step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Tag name, or `None` for `*`.
    pub name: Option<String>,
    /// Predicates, all of which must hold.
    pub preds: Vec<Pred>,
}

/// A predicate expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pred {
    /// `@attr='v'`
    AttrEq(String, String),
    /// `@attr`
    HasAttr(String),
    /// `text()='v'`
    TextEq(String),
    /// `[N]` (1-based)
    Position(usize),
    /// disjunction; names is a fast path when every arm is `@name='..'`
    Or(Vec<Pred>, Option<HashSet<String>>),
    /// conjunction
    And(Vec<Pred>),
    /// `not(...)`
    Not(Box<Pred>),
}

/// Why an xpath could not be parsed.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[error("{0}")]
pub struct XPathError(pub String);

impl XPath {
    /// Parse an absolute xpath.
    pub fn parse(input: &str) -> Result<XPath, XPathError> {
        if input.len() > MAX_XPATH {
            return Err(XPathError("xpath too long".into()));
        }
        let mut p = Parser {
            s: input.trim().as_bytes(),
            src: input.trim(),
            i: 0,
            depth: 0,
        };
        p.path()
    }

    /// Whether every step has a plain name (so the node can be created by `set`).
    pub fn last_name(&self) -> Option<&str> {
        self.steps.last().and_then(|s| s.name.as_deref())
    }

    /// The xpath without its last step (the parent).
    pub fn parent(&self) -> Option<XPath> {
        if self.steps.len() <= 1 {
            return None;
        }
        Some(XPath {
            steps: self.steps[..self.steps.len() - 1].to_vec(),
            projection: None,
        })
    }

    /// The single `@name='x'` of the last step, when it has exactly that.
    pub fn last_entry_name(&self) -> Option<&str> {
        self.steps.last().and_then(Step::single_name)
    }

    /// Select nodes; returns index paths from the root (empty path = root).
    pub fn select(&self, root: &Element) -> Vec<Vec<usize>> {
        let Some(first) = self.steps.first() else {
            return vec![];
        };
        if !first.matches_name(root) || !first.preds.iter().all(|p| p.eval(root, 1)) {
            return vec![];
        }
        let mut cur: Vec<(Vec<usize>, &Element)> = vec![(vec![], root)];
        for step in &self.steps[1..] {
            let mut next = Vec::new();
            for (path, el) in &cur {
                let mut pos = 0usize;
                for (i, c) in el.children.iter().enumerate() {
                    if !step.matches_name(c) {
                        continue;
                    }
                    pos += 1;
                    if step.preds.iter().all(|p| p.eval(c, pos)) {
                        let mut np = path.clone();
                        np.push(i);
                        next.push((np, c));
                    }
                }
            }
            if next.is_empty() {
                return vec![];
            }
            cur = next;
        }
        cur.into_iter().map(|(p, _)| p).collect()
    }

    /// Render back to text (normalised).
    pub fn render(&self) -> String {
        let mut s = String::new();
        for st in &self.steps {
            s.push('/');
            s.push_str(st.name.as_deref().unwrap_or("*"));
            for p in &st.preds {
                s.push('[');
                p.render(&mut s);
                s.push(']');
            }
        }
        if let Some(a) = &self.projection {
            s.push_str("/@");
            s.push_str(a);
        }
        s
    }
}

impl Step {
    fn matches_name(&self, el: &Element) -> bool {
        match &self.name {
            Some(n) => *n == el.name,
            None => true,
        }
    }

    /// `entry[@name='x']` → Some("x").
    pub fn single_name(&self) -> Option<&str> {
        match self.preds.as_slice() {
            [Pred::AttrEq(a, v)] if a == "name" => Some(v),
            _ => None,
        }
    }

    /// Whether an element could be created from this step.
    pub fn creatable(&self) -> bool {
        self.name.is_some() && (self.preds.is_empty() || self.single_name().is_some())
    }

    /// Build the element this step describes.
    pub fn create(&self) -> Option<Element> {
        let name = self.name.as_deref()?;
        let mut e = Element::new(name);
        if let Some(n) = self.single_name() {
            e.set_attr("name", n);
        } else if !self.preds.is_empty() {
            return None;
        }
        Some(e)
    }

    /// Whether an element matches this step (name and predicates, position ignored).
    pub fn matches(&self, el: &Element) -> bool {
        self.matches_name(el) && self.preds.iter().all(|p| p.eval(el, 1))
    }
}

impl Pred {
    fn eval(&self, el: &Element, pos: usize) -> bool {
        match self {
            Pred::AttrEq(a, v) => el.attr(a) == Some(v.as_str()),
            Pred::HasAttr(a) => el.attr(a).is_some(),
            Pred::TextEq(v) => el.text_str() == v.as_str() || el.text.as_deref() == Some(v),
            Pred::Position(n) => pos == *n,
            Pred::Or(ps, Some(names)) => {
                let _ = ps;
                el.name_attr().is_some_and(|n| names.contains(n))
            }
            Pred::Or(ps, None) => ps.iter().any(|p| p.eval(el, pos)),
            Pred::And(ps) => ps.iter().all(|p| p.eval(el, pos)),
            Pred::Not(p) => !p.eval(el, pos),
        }
    }

    fn render(&self, s: &mut String) {
        match self {
            Pred::AttrEq(a, v) => {
                s.push('@');
                s.push_str(a);
                s.push('=');
                s.push_str(&quote(v));
            }
            Pred::HasAttr(a) => {
                s.push('@');
                s.push_str(a);
            }
            Pred::TextEq(v) => {
                s.push_str("text()=");
                s.push_str(&quote(v));
            }
            Pred::Position(n) => s.push_str(&n.to_string()),
            Pred::Or(ps, _) | Pred::And(ps) => {
                let op = if matches!(self, Pred::Or(..)) {
                    " or "
                } else {
                    " and "
                };
                for (i, p) in ps.iter().enumerate() {
                    if i > 0 {
                        s.push_str(op);
                    }
                    s.push('(');
                    p.render(s);
                    s.push(')');
                }
            }
            Pred::Not(p) => {
                s.push_str("not(");
                p.render(s);
                s.push(')');
            }
        }
    }
}

/// Quote a value for an xpath literal (single, else double, else concat()).
pub fn quote(v: &str) -> String {
    if !v.contains('\'') {
        format!("'{v}'")
    } else if !v.contains('"') {
        format!("\"{v}\"")
    } else {
        let parts: Vec<String> = v.split('\'').map(|p| format!("'{p}'")).collect::<Vec<_>>();
        format!("concat({})", parts.join(", \"'\", "))
    }
}

struct Parser<'a> {
    s: &'a [u8],
    src: &'a str,
    i: usize,
    depth: usize,
}

impl Parser<'_> {
    fn err<T>(&self, what: &str) -> Result<T, XPathError> {
        Err(XPathError(format!("{what} at position {}", self.i)))
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        self.ws();
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn keyword(&mut self, kw: &str) -> bool {
        self.ws();
        let end = self.i + kw.len();
        if self.s.get(self.i..end) == Some(kw.as_bytes()) {
            let next = self.s.get(end).copied();
            if next.is_none_or(|c| !is_name_char(c)) {
                self.i = end;
                return true;
            }
        }
        false
    }

    fn name(&mut self) -> Result<String, XPathError> {
        let start = self.i;
        while let Some(c) = self.peek() {
            if is_name_char(c) || c >= 0x80 {
                self.i += 1;
            } else {
                break;
            }
        }
        if start == self.i {
            return self.err("expected a name");
        }
        Ok(self.src[start..self.i].to_string())
    }

    fn path(&mut self) -> Result<XPath, XPathError> {
        let mut steps = Vec::new();
        let mut projection = None;
        if self.s.is_empty() {
            return self.err("empty xpath");
        }
        if self.peek() != Some(b'/') {
            return self.err("xpath must be absolute");
        }
        while self.i < self.s.len() {
            if self.peek() != Some(b'/') {
                return self.err("expected '/'");
            }
            self.i += 1;
            if self.peek() == Some(b'/') {
                return self.err("descendant axis '//' is not supported");
            }
            if self.peek() == Some(b'@') {
                self.i += 1;
                projection = Some(self.name()?);
                if self.i != self.s.len() {
                    return self.err("attribute projection must be last");
                }
                break;
            }
            let name = if self.peek() == Some(b'*') {
                self.i += 1;
                None
            } else {
                Some(self.name()?)
            };
            let mut preds = Vec::new();
            while self.peek() == Some(b'[') {
                self.i += 1;
                let p = self.or_expr()?;
                if !self.eat(b']') {
                    return self.err("expected ']'");
                }
                preds.push(p);
            }
            steps.push(Step { name, preds });
            if steps.len() > MAX_STEPS {
                return self.err("xpath has too many steps");
            }
        }
        if steps.is_empty() {
            return self.err("xpath has no steps");
        }
        Ok(XPath { steps, projection })
    }

    fn or_expr(&mut self) -> Result<Pred, XPathError> {
        let mut arms = vec![self.and_expr()?];
        while self.keyword("or") {
            arms.push(self.and_expr()?);
        }
        if arms.len() == 1 {
            return Ok(arms.remove(0));
        }
        let fast = arms
            .iter()
            .map(|a| match a {
                Pred::AttrEq(k, v) if k == "name" => Some(v.clone()),
                _ => None,
            })
            .collect::<Option<HashSet<String>>>();
        Ok(Pred::Or(arms, fast))
    }

    fn and_expr(&mut self) -> Result<Pred, XPathError> {
        let mut arms = vec![self.term()?];
        while self.keyword("and") {
            arms.push(self.term()?);
        }
        if arms.len() == 1 {
            Ok(arms.remove(0))
        } else {
            Ok(Pred::And(arms))
        }
    }

    fn term(&mut self) -> Result<Pred, XPathError> {
        self.depth += 1;
        if self.depth > 64 {
            return self.err("predicate nested too deeply");
        }
        let r = self.term_inner();
        self.depth -= 1;
        r
    }

    fn term_inner(&mut self) -> Result<Pred, XPathError> {
        self.ws();
        if self.eat(b'(') {
            let p = self.or_expr()?;
            if !self.eat(b')') {
                return self.err("expected ')'");
            }
            return Ok(p);
        }
        if self.keyword("not") {
            if !self.eat(b'(') {
                return self.err("expected '(' after not");
            }
            let p = self.or_expr()?;
            if !self.eat(b')') {
                return self.err("expected ')'");
            }
            return Ok(Pred::Not(Box::new(p)));
        }
        self.ws();
        match self.peek() {
            Some(b'@') => {
                self.i += 1;
                let a = self.name()?;
                if self.eat(b'=') {
                    let v = self.value()?;
                    Ok(Pred::AttrEq(a, v))
                } else {
                    Ok(Pred::HasAttr(a))
                }
            }
            Some(c) if c.is_ascii_digit() => {
                let start = self.i;
                while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                    self.i += 1;
                }
                let n: usize = self.src[start..self.i]
                    .parse()
                    .map_err(|_| XPathError("bad position".into()))?;
                Ok(Pred::Position(n))
            }
            _ => {
                if self.keyword("text") {
                    if !(self.eat(b'(') && self.eat(b')')) {
                        return self.err("expected text()");
                    }
                    if !self.eat(b'=') {
                        return self.err("expected '=' after text()");
                    }
                    let v = self.value()?;
                    return Ok(Pred::TextEq(v));
                }
                self.err("unsupported predicate")
            }
        }
    }

    fn value(&mut self) -> Result<String, XPathError> {
        self.ws();
        if self.keyword("concat") {
            if !self.eat(b'(') {
                return self.err("expected '(' after concat");
            }
            let mut out = String::new();
            loop {
                out.push_str(&self.literal()?);
                if self.eat(b',') {
                    continue;
                }
                if self.eat(b')') {
                    break;
                }
                return self.err("expected ',' or ')' in concat");
            }
            return Ok(out);
        }
        self.literal()
    }

    fn literal(&mut self) -> Result<String, XPathError> {
        self.ws();
        let q = match self.peek() {
            Some(q @ (b'\'' | b'"')) => q,
            _ => return self.err("expected a quoted value"),
        };
        self.i += 1;
        let start = self.i;
        while let Some(c) = self.peek() {
            if c == q {
                let v = self.src[start..self.i].to_string();
                self.i += 1;
                return Ok(v);
            }
            self.i += 1;
        }
        self.err("unterminated string")
    }
}

fn is_name_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b':')
}

/// Get an element by index path.
pub fn get<'a>(root: &'a Element, path: &[usize]) -> Option<&'a Element> {
    let mut cur = root;
    for &i in path {
        cur = cur.children.get(i)?;
    }
    Some(cur)
}

/// Get an element by index path (mutable).
pub fn get_mut<'a>(root: &'a mut Element, path: &[usize]) -> Option<&'a mut Element> {
    let mut cur = root;
    for &i in path {
        cur = cur.children.get_mut(i)?;
    }
    Some(cur)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::parse;

    fn tree() -> Element {
        parse("<config><shared><address><entry name='a'><ip-netmask>1.1.1.1</ip-netmask></entry><entry name=\"it's\"/><entry name='c'/></address><tag><member>x</member><member>y</member></tag></shared></config>").unwrap()
    }

    #[test]
    fn select_by_name_either_quote() {
        let t = tree();
        let x = XPath::parse("/config/shared/address/entry[@name='a']").unwrap();
        assert_eq!(x.select(&t), vec![vec![0, 0, 0]]);
        let x = XPath::parse("/config/shared/address/entry[@name=\"it's\"]").unwrap();
        assert_eq!(x.select(&t), vec![vec![0, 0, 1]]);
        let x =
            XPath::parse("/config/shared/address/entry[@name=concat('it', \"'\", 's')]").unwrap();
        assert_eq!(x.select(&t).len(), 1);
    }

    #[test]
    fn or_list_and_projection() {
        let t = tree();
        let x = XPath::parse("/config/shared/address/entry[@name='a' or @name='c']/@name").unwrap();
        assert_eq!(x.projection.as_deref(), Some("name"));
        assert_eq!(x.select(&t).len(), 2);
        let x = XPath::parse("/config/shared/*/entry").unwrap();
        assert_eq!(x.select(&t).len(), 3);
        let x = XPath::parse("/config/shared/tag/member[text()='y']").unwrap();
        assert_eq!(x.select(&t), vec![vec![0, 1, 1]]);
    }

    #[test]
    fn quote_roundtrip() {
        for v in ["plain", "it's", "say \"hi\"", "both ' and \""] {
            let x = XPath::parse(&format!("/a/entry[@name={}]", quote(v))).unwrap();
            assert_eq!(x.last_entry_name(), Some(v));
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let x = format!(
            "/a[{}@name='x'{}]",
            "(".repeat(100_000),
            ")".repeat(100_000)
        );
        assert!(XPath::parse(&x).is_err());
        let x = format!(
            "/a[{}@name='x'{}]",
            "not(".repeat(100_000),
            ")".repeat(100_000)
        );
        assert!(XPath::parse(&x).is_err());
    }

    #[test]
    fn step_count_is_bounded() {
        assert!(XPath::parse(&"/a".repeat(MAX_STEPS)).is_ok());
        assert!(XPath::parse(&"/a".repeat(100_000)).is_err());
    }

    #[test]
    fn malformed() {
        for bad in [
            "",
            "config",
            "/a[",
            "/a[@name='x",
            "//a",
            "/a/@b/c",
            "/a[foo()]",
        ] {
            assert!(XPath::parse(bad).is_err(), "{bad}");
        }
    }
}
