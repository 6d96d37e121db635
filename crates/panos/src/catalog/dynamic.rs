//! Dynamic objects: JSON values <-> PAN-OS XML, driven by the catalog.
//!
//! JSON field names are the XML element names. Member lists are JSON arrays of strings,
//! entry lists arrays of objects with a `name`, booleans `true`/`false` (`yes`/`no` in XML).
//! Child elements the catalog does not know are kept, serialized, under
//! [`UNKNOWN_XML_KEY`] and written back by `to_xml`, so a read-modify-write cycle never
//! drops configuration a newer PAN-OS added. Attributes of an entry other than its name
//! (`uuid`, `loc`, ...) are kept under [`ATTRIBUTES_KEY`].

use quick_xml::Reader;
use quick_xml::escape::escape;
use quick_xml::events::Event;
use serde_json::{Map, Value};

use super::{CatalogError, Field, FieldKind, ObjectKind};

/// JSON key holding unknown child elements as raw XML fragments.
pub const UNKNOWN_XML_KEY: &str = "_unknown_xml";
/// JSON key holding an entry's attributes other than its name.
pub const ATTRIBUTES_KEY: &str = "_attributes";

/// Entry attributes the device manages itself; decoded into [`ATTRIBUTES_KEY`] but never encoded.
pub const DEVICE_ANNOTATIONS: [&str; 4] = ["admin", "time", "dirtyId", "loc"];

#[derive(Debug, Clone)]
enum Node {
    Elem(Elem),
    Text(String),
    Raw(String),
}

#[derive(Debug, Clone, Default)]
struct Elem {
    name: String,
    attrs: Vec<(String, String)>,
    children: Vec<Node>,
}

impl Elem {
    fn new(name: &str) -> Self {
        Elem {
            name: name.to_string(),
            ..Elem::default()
        }
    }

    fn child(&self, name: &str) -> Option<&Elem> {
        self.elements().find(|e| e.name == name)
    }

    fn elements(&self) -> impl Iterator<Item = &Elem> {
        self.children.iter().filter_map(|n| match n {
            Node::Elem(e) => Some(e),
            _ => None,
        })
    }

    fn text(&self) -> String {
        let mut s = String::new();
        for n in &self.children {
            if let Node::Text(t) = n {
                s.push_str(t);
            }
        }
        s.trim().to_string()
    }

    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Child element `name`, created if absent (for intermediate path steps).
    fn child_mut(&mut self, name: &str) -> &mut Elem {
        let pos = self
            .children
            .iter()
            .position(|n| matches!(n, Node::Elem(e) if e.name == name));
        let idx = match pos {
            Some(i) => i,
            None => {
                self.children.push(Node::Elem(Elem::new(name)));
                self.children.len() - 1
            }
        };
        match &mut self.children[idx] {
            Node::Elem(e) => e,
            // The index was chosen among element nodes just above.
            _ => unreachable!("child_mut index points at an element"),
        }
    }

    fn write(&self, out: &mut String) {
        out.push('<');
        out.push_str(&self.name);
        for (k, v) in &self.attrs {
            out.push(' ');
            out.push_str(k);
            out.push_str("=\"");
            out.push_str(&escape(v.as_str()));
            out.push('"');
        }
        if self.children.is_empty() {
            out.push_str("/>");
            return;
        }
        out.push('>');
        for n in &self.children {
            match n {
                Node::Elem(e) => e.write(out),
                Node::Text(t) => out.push_str(&escape(t.as_str())),
                Node::Raw(r) => out.push_str(r),
            }
        }
        out.push_str("</");
        out.push_str(&self.name);
        out.push('>');
    }

    fn to_xml(&self) -> String {
        let mut s = String::new();
        self.write(&mut s);
        s
    }
}

/// Parses the first element of `xml` (declarations, comments and whitespace around it are
/// skipped). Returns the element and whether anything but whitespace followed it.
fn parse_tree(xml: &str) -> Result<(Elem, bool), String> {
    let mut reader = Reader::from_str(xml);
    let mut stack: Vec<Elem> = Vec::new();
    let mut root: Option<Elem> = None;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| format!("at byte {}: {e}", reader.buffer_position()))?;
        match event {
            Event::Start(start) | Event::Empty(start) if root.is_some() => {
                let _ = start;
                return Ok((root.unwrap_or_default(), true));
            }
            Event::Start(start) => stack.push(elem_from(&start)?),
            Event::Empty(start) => {
                let elem = elem_from(&start)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(Node::Elem(elem)),
                    None => root = Some(elem),
                }
            }
            Event::End(_) => {
                let Some(done) = stack.pop() else {
                    return Err("unbalanced end tag".into());
                };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(Node::Elem(done)),
                    None => root = Some(done),
                }
            }
            Event::Text(text) => {
                let t = text.unescape().map_err(|e| e.to_string())?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(Node::Text(t.into_owned())),
                    None if !t.trim().is_empty() => {
                        if root.is_some() {
                            return Ok((root.unwrap_or_default(), true));
                        }
                        return Err("text outside of an element".into());
                    }
                    None => {}
                }
            }
            Event::CData(data) => {
                if let Some(parent) = stack.last_mut() {
                    parent
                        .children
                        .push(Node::Text(String::from_utf8_lossy(&data).into_owned()));
                }
            }
            Event::Eof => {
                if !stack.is_empty() {
                    return Err(format!(
                        "element <{}> is not closed",
                        stack[stack.len() - 1].name
                    ));
                }
                return root
                    .map(|r| (r, false))
                    .ok_or_else(|| "no element found".to_string());
            }
            _ => {}
        }
    }
}

fn elem_from(start: &quick_xml::events::BytesStart<'_>) -> Result<Elem, String> {
    let name = String::from_utf8_lossy(start.name().as_ref()).into_owned();
    let mut attrs = Vec::new();
    for attr in start.attributes() {
        let attr = attr.map_err(|e| format!("attribute of <{name}>: {e}"))?;
        let key = String::from_utf8_lossy(attr.key.as_ref()).into_owned();
        let value = attr
            .unescape_value()
            .map_err(|e| format!("attribute {key} of <{name}>: {e}"))?
            .into_owned();
        attrs.push((key, value));
    }
    Ok(Elem {
        name,
        attrs,
        children: Vec::new(),
    })
}

fn join(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_string()
    } else {
        format!("{parent}.{name}")
    }
}

impl ObjectKind {
    fn decode_err(&self, reason: impl Into<String>) -> CatalogError {
        CatalogError::Xml {
            kind: self.name.clone(),
            reason: reason.into(),
        }
    }

    fn field_err(&self, field: &str, reason: impl Into<String>) -> CatalogError {
        CatalogError::InvalidField {
            kind: self.name.clone(),
            field: field.to_string(),
            reason: reason.into(),
        }
    }

    /// Element name of a config kind's single element (last step of its xpath).
    fn root_element(&self) -> &str {
        self.xpath_suffix
            .last()
            .or_else(|| self.locations.first().and_then(|l| l.path.last()))
            .map(String::as_str)
            .filter(|s| !s.starts_with('$'))
            .unwrap_or("entry")
    }

    /// Decodes one object (`<entry name="...">…</entry>`, or the configuration element for
    /// config kinds) into JSON.
    pub fn from_xml(&self, xml: &str) -> Result<Value, CatalogError> {
        let (root, _) = parse_tree(xml).map_err(|e| self.decode_err(e))?;
        self.decode_root(&root)
    }

    /// Decodes every `<entry>` of a container such as `<address>…</address>` or a
    /// `<response><result>…` envelope (wrappers with a single child are descended).
    pub fn from_xml_list(&self, xml: &str) -> Result<Vec<Value>, CatalogError> {
        let (root, _) = parse_tree(xml).map_err(|e| self.decode_err(e))?;
        if root.name == "entry" {
            return Ok(vec![self.decode_root(&root)?]);
        }
        let mut cur = &root;
        loop {
            if cur.elements().any(|e| e.name == "entry") {
                return cur
                    .elements()
                    .filter(|e| e.name == "entry")
                    .map(|e| self.decode_root(e))
                    .collect();
            }
            let mut children = cur.elements();
            match (children.next(), children.next()) {
                (Some(only), None) => cur = only,
                _ => return Ok(Vec::new()),
            }
        }
    }

    fn decode_root(&self, root: &Elem) -> Result<Value, CatalogError> {
        let mut map = Map::new();
        if let Some(key) = &self.entry_key {
            if root.name != "entry" {
                return Err(self.decode_err(format!("expected <entry>, found <{}>", root.name)));
            }
            let name = root
                .attr(key)
                .ok_or_else(|| self.decode_err(format!("<entry> has no {key} attribute")))?;
            map.insert(key.clone(), Value::String(name.to_string()));
            let attrs: Map<String, Value> = root
                .attrs
                .iter()
                .filter(|(k, _)| {
                    k != key && !self.fields.iter().any(|f| f.attribute && &f.name == k)
                })
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect();
            if !attrs.is_empty() {
                map.insert(ATTRIBUTES_KEY.into(), Value::Object(attrs));
            }
        }
        decode_object(&self.fields, root, &mut map);
        Ok(Value::Object(map))
    }

    /// Encodes one object as the XML element to send with `set` at the container xpath
    /// (or `edit` at the entry xpath), after validating it against the catalog.
    pub fn to_xml(&self, value: &Value) -> Result<String, CatalogError> {
        Ok(self.encode_root(value)?.to_xml())
    }

    fn encode_root(&self, value: &Value) -> Result<Elem, CatalogError> {
        let Some(map) = value.as_object() else {
            return Err(self.field_err("(object)", "expected a JSON object"));
        };
        let mut root;
        if let Some(key) = &self.entry_key {
            let name = match map.get(key) {
                Some(Value::String(s)) => s.as_str(),
                Some(_) => return Err(self.field_err(key, "expected a string")),
                None => {
                    return Err(CatalogError::MissingField {
                        kind: self.name.clone(),
                        field: key.clone(),
                    });
                }
            };
            self.check_name(name)?;
            root = Elem::new("entry");
            root.attrs.push((key.clone(), name.to_string()));
            if let Some(attrs) = map.get(ATTRIBUTES_KEY) {
                let Some(attrs) = attrs.as_object() else {
                    return Err(self.field_err(ATTRIBUTES_KEY, "expected an object of strings"));
                };
                for (k, v) in attrs {
                    let Some(v) = v.as_str() else {
                        return Err(self.field_err(&join(ATTRIBUTES_KEY, k), "expected a string"));
                    };
                    if k == key || !is_xml_name(k) {
                        return Err(
                            self.field_err(&join(ATTRIBUTES_KEY, k), "not a valid attribute name")
                        );
                    }
                    // Annotations the device adds to candidate reads (who changed the entry
                    // and when, Panorama's inherited location) are its own to set: writing
                    // them back would claim another admin's change.
                    if DEVICE_ANNOTATIONS.contains(&k.as_str()) {
                        continue;
                    }
                    root.attrs.push((k.clone(), v.to_string()));
                }
            }
        } else {
            root = Elem::new(self.root_element());
        }
        let skip: &[&str] = match &self.entry_key {
            Some(k) => &[k.as_str()],
            None => &[],
        };
        self.encode_object(&self.fields, map, &mut root, "", skip, true)?;
        Ok(root)
    }

    fn encode_object(
        &self,
        fields: &[Field],
        map: &Map<String, Value>,
        elem: &mut Elem,
        path: &str,
        skip: &[&str],
        top: bool,
    ) -> Result<(), CatalogError> {
        for (key, value) in map {
            if skip.contains(&key.as_str()) || key == ATTRIBUTES_KEY && top || value.is_null() {
                continue;
            }
            if key == UNKNOWN_XML_KEY {
                continue;
            }
            let Some(field) = fields.iter().find(|f| &f.name == key) else {
                return Err(CatalogError::UnknownField {
                    kind: self.name.clone(),
                    field: join(path, key),
                });
            };
            let fpath = join(path, key);
            if field.attribute {
                let Some(text) = value.as_str() else {
                    return Err(self.field_err(&fpath, "expected a string"));
                };
                self.check_text(field, text, &fpath)?;
                elem.attrs.retain(|(k, _)| k != key);
                elem.attrs.push((key.clone(), text.to_string()));
                continue;
            }
            let mut target = &mut *elem;
            let (last, parents) = field
                .xpath
                .split_last()
                .ok_or_else(|| self.field_err(&fpath, "field has no xpath"))?;
            for step in parents {
                target = target.child_mut(step);
            }
            let leaf = self.encode_value(field, value, last, &fpath)?;
            target.children.push(Node::Elem(leaf));
        }
        for field in fields {
            if field.required && map.get(&field.name).is_none_or(Value::is_null) {
                return Err(CatalogError::MissingField {
                    kind: self.name.clone(),
                    field: join(path, &field.name),
                });
            }
        }
        self.check_one_of(fields, map, path, top)?;
        if let Some(unknown) = map.get(UNKNOWN_XML_KEY) {
            let fpath = join(path, UNKNOWN_XML_KEY);
            let Some(items) = unknown.as_array() else {
                return Err(self.field_err(&fpath, "expected an array of XML fragments"));
            };
            for item in items {
                let Some(fragment) = item.as_str() else {
                    return Err(self.field_err(&fpath, "expected an array of XML fragments"));
                };
                match parse_tree(fragment) {
                    Ok((_, false)) => elem.children.push(Node::Raw(fragment.trim().to_string())),
                    Ok((_, true)) => {
                        return Err(self.field_err(&fpath, "each item must be exactly one element"));
                    }
                    Err(e) => {
                        return Err(self.field_err(&fpath, format!("not well-formed XML: {e}")));
                    }
                }
            }
        }
        Ok(())
    }

    fn check_one_of(
        &self,
        fields: &[Field],
        map: &Map<String, Value>,
        path: &str,
        top: bool,
    ) -> Result<(), CatalogError> {
        let mut groups: Vec<u32> = fields.iter().filter_map(|f| f.one_of).collect();
        groups.sort_unstable();
        groups.dedup();
        // A one-of group needs exactly one member where the catalog says so (address type)
        // and in objects made only of choices (service protocol); elsewhere at most one.
        let only_choices = fields.iter().all(|f| f.one_of.is_some());
        for group in groups {
            let members: Vec<&Field> = fields.iter().filter(|f| f.one_of == Some(group)).collect();
            let found: Vec<&str> = members
                .iter()
                .filter(|f| map.get(&f.name).is_some_and(|v| !v.is_null()))
                .map(|f| f.name.as_str())
                .collect();
            let exactly = (top && self.required_choices.contains(&group)) || only_choices;
            if found.len() > 1 || (exactly && found.is_empty()) {
                return Err(CatalogError::OneOf {
                    kind: self.name.clone(),
                    at: if path.is_empty() {
                        String::new()
                    } else {
                        format!("{path}: ")
                    },
                    choices: members
                        .iter()
                        .map(|f| f.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                    found: if found.is_empty() {
                        "none".into()
                    } else {
                        found.join(", ")
                    },
                });
            }
        }
        Ok(())
    }

    fn encode_value(
        &self,
        field: &Field,
        value: &Value,
        element: &str,
        path: &str,
    ) -> Result<Elem, CatalogError> {
        let mut leaf = Elem::new(element);
        match field.kind {
            FieldKind::String | FieldKind::Enum => {
                let text = match value {
                    Value::String(s) => s.clone(),
                    Value::Number(n) if field.kind == FieldKind::String => n.to_string(),
                    _ => return Err(self.field_err(path, "expected a string")),
                };
                self.check_text(field, &text, path)?;
                leaf.children.push(Node::Text(text));
            }
            FieldKind::Int => {
                let n = match value {
                    Value::Number(n) => n.as_i64(),
                    Value::String(s) => s.trim().parse::<i64>().ok(),
                    _ => None,
                }
                .ok_or_else(|| self.field_err(path, "expected an integer"))?;
                if field.min_value.is_some_and(|min| n < min)
                    || field.max_value.is_some_and(|max| n > max)
                {
                    return Err(self.field_err(
                        path,
                        format!(
                            "{n} is out of range {}..={}",
                            field.min_value.map(|v| v.to_string()).unwrap_or_default(),
                            field.max_value.map(|v| v.to_string()).unwrap_or_default()
                        ),
                    ));
                }
                leaf.children.push(Node::Text(n.to_string()));
            }
            FieldKind::Float => {
                let n = match value {
                    Value::Number(n) => n.as_f64(),
                    Value::String(s) => s.trim().parse::<f64>().ok(),
                    _ => None,
                }
                .filter(|f| f.is_finite())
                .ok_or_else(|| self.field_err(path, "expected a number"))?;
                leaf.children.push(Node::Text(n.to_string()));
            }
            FieldKind::Bool => {
                let b = match value {
                    Value::Bool(b) => *b,
                    Value::String(s) if s == "yes" => true,
                    Value::String(s) if s == "no" => false,
                    _ => {
                        return Err(self.field_err(path, "expected true/false (or \"yes\"/\"no\")"));
                    }
                };
                leaf.children
                    .push(Node::Text(if b { "yes" } else { "no" }.into()));
            }
            FieldKind::Member => {
                let items: Vec<&Value> = match value {
                    Value::Array(a) => a.iter().collect(),
                    Value::String(_) => vec![value],
                    _ => return Err(self.field_err(path, "expected an array of strings")),
                };
                for item in items {
                    let Some(s) = item.as_str() else {
                        return Err(self.field_err(path, "expected an array of strings"));
                    };
                    if s.is_empty() {
                        return Err(self.field_err(path, "members must not be empty"));
                    }
                    if let Some(max) = field.max_length
                        && s.chars().count() as u64 > max
                    {
                        return Err(self.field_err(
                            path,
                            format!("member {s:?} is longer than {max} characters"),
                        ));
                    }
                    let mut member = Elem::new("member");
                    member.children.push(Node::Text(s.to_string()));
                    leaf.children.push(Node::Elem(member));
                }
            }
            FieldKind::EntryList => {
                let Some(items) = value.as_array() else {
                    return Err(self.field_err(path, "expected an array of objects with a name"));
                };
                for item in items {
                    let Some(obj) = item.as_object() else {
                        return Err(
                            self.field_err(path, "expected an array of objects with a name")
                        );
                    };
                    let Some(name) = obj
                        .get("name")
                        .and_then(Value::as_str)
                        .filter(|n| !n.is_empty())
                    else {
                        return Err(CatalogError::MissingField {
                            kind: self.name.clone(),
                            field: format!("{path}[].name"),
                        });
                    };
                    let mut entry = Elem::new("entry");
                    entry.attrs.push(("name".into(), name.to_string()));
                    let item_path = format!("{path}[{name}]");
                    self.encode_object(
                        &field.fields,
                        obj,
                        &mut entry,
                        &item_path,
                        &["name"],
                        false,
                    )?;
                    leaf.children.push(Node::Elem(entry));
                }
            }
            FieldKind::Object => match value {
                Value::Object(obj) => {
                    self.encode_object(&field.fields, obj, &mut leaf, path, &[], false)?
                }
                // A presence-only element (no fields) may be given as `true`.
                Value::Bool(true) if field.fields.is_empty() => {}
                _ => return Err(self.field_err(path, "expected an object")),
            },
        }
        Ok(leaf)
    }

    fn check_text(&self, field: &Field, text: &str, path: &str) -> Result<(), CatalogError> {
        let len = text.chars().count() as u64;
        if let Some(min) = field.min_length
            && len < min
        {
            return Err(self.field_err(
                path,
                format!("is {len} characters, at least {min} required"),
            ));
        }
        if let Some(max) = field.max_length
            && len > max
        {
            return Err(self.field_err(path, format!("is {len} characters, at most {max} allowed")));
        }
        // Address fields are bare strings in the specs; their format is known by name.
        if let Some(Err(crate::Error::Invalid { reason, .. })) =
            crate::validate::known_format(&field.name, path, text)
        {
            return Err(self.field_err(path, reason));
        }
        if !field.values.is_empty() && !field.values.iter().any(|v| v == text) {
            return Err(self.field_err(
                path,
                format!("{text:?} is not one of {}", field.values.join(", ")),
            ));
        }
        Ok(())
    }

    /// Encodes many entries as one element (`<entry…/><entry…/>…`) for a single `set` at
    /// the container xpath (`self.xpath(args, None)`), validating each.
    pub fn bulk_set_element(&self, values: &[Value]) -> Result<String, CatalogError> {
        Ok(self.bulk_set_chunks(values, usize::MAX)?.concat())
    }

    /// Like [`ObjectKind::bulk_set_element`], split into elements of at most `max_bytes`
    /// (an entry larger than the budget gets a chunk of its own).
    pub fn bulk_set_chunks(
        &self,
        values: &[Value],
        max_bytes: usize,
    ) -> Result<Vec<String>, CatalogError> {
        if !self.is_entry() {
            return Err(CatalogError::NotEntries {
                kind: self.name.clone(),
            });
        }
        let mut entries = Vec::with_capacity(values.len());
        for (i, value) in values.iter().enumerate() {
            entries.push(self.to_xml(value).map_err(|e| match e {
                CatalogError::InvalidField {
                    kind,
                    field,
                    reason,
                } => CatalogError::InvalidField {
                    kind,
                    field: format!("[{i}].{field}"),
                    reason,
                },
                other => other,
            })?);
        }
        Ok(chunk_entries(&entries, max_bytes))
    }
}

/// Packs serialized entries, in order, into elements of at most `max_bytes` each.
pub fn chunk_entries(entries: &[String], max_bytes: usize) -> Vec<String> {
    let mut chunks = Vec::new();
    let mut current = String::new();
    for entry in entries {
        if !current.is_empty() && current.len().saturating_add(entry.len()) > max_bytes {
            chunks.push(std::mem::take(&mut current));
        }
        current.push_str(entry);
    }
    if !current.is_empty() {
        chunks.push(current);
    }
    chunks
}

fn is_xml_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
}

fn decode_object(fields: &[Field], elem: &Elem, map: &mut Map<String, Value>) {
    for field in fields {
        if field.attribute {
            if let Some(v) = elem.attr(&field.name) {
                map.insert(field.name.clone(), Value::String(v.to_string()));
            }
            continue;
        }
        let mut cur = Some(elem);
        for step in &field.xpath {
            cur = cur.and_then(|e| e.child(step));
        }
        if let Some(node) = cur {
            map.insert(field.name.clone(), decode_value(field, node));
        }
    }
    let unknown: Vec<Value> = elem
        .elements()
        .filter(|child| {
            !fields
                .iter()
                .any(|f| !f.attribute && f.xpath.first() == Some(&child.name))
        })
        .map(|child| Value::String(child.to_xml()))
        .collect();
    if !unknown.is_empty() {
        map.insert(UNKNOWN_XML_KEY.into(), Value::Array(unknown));
    }
}

fn decode_value(field: &Field, node: &Elem) -> Value {
    match field.kind {
        FieldKind::String | FieldKind::Enum => Value::String(node.text()),
        FieldKind::Int => {
            let t = node.text();
            t.parse::<i64>()
                .map(Value::from)
                .unwrap_or(Value::String(t))
        }
        FieldKind::Float => {
            let t = node.text();
            t.parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map(Value::Number)
                .unwrap_or(Value::String(t))
        }
        FieldKind::Bool => match node.text().as_str() {
            "yes" => Value::Bool(true),
            "no" => Value::Bool(false),
            other => Value::String(other.to_string()),
        },
        FieldKind::Member => Value::Array(
            node.elements()
                .filter(|e| e.name == "member")
                .map(|e| Value::String(e.text()))
                .collect(),
        ),
        FieldKind::EntryList => Value::Array(
            node.elements()
                .filter(|e| e.name == "entry")
                .map(|e| {
                    let mut m = Map::new();
                    if let Some(name) = e.attr("name") {
                        m.insert("name".into(), Value::String(name.to_string()));
                    }
                    decode_object(&field.fields, e, &mut m);
                    Value::Object(m)
                })
                .collect(),
        ),
        FieldKind::Object => {
            let mut m = Map::new();
            decode_object(&field.fields, node, &mut m);
            Value::Object(m)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_tree_reads_nested_elements_and_reports_trailing_content() {
        let (root, more) =
            parse_tree("<?xml version=\"1.0\"?><a x=\"1\"><b>t&amp;</b><c/></a>").unwrap();
        assert!(!more);
        assert_eq!(root.name, "a");
        assert_eq!(root.attr("x"), Some("1"));
        assert_eq!(root.child("b").unwrap().text(), "t&");
        assert_eq!(root.to_xml(), "<a x=\"1\"><b>t&amp;</b><c/></a>");
        assert!(parse_tree("<a/><b/>").unwrap().1);
        assert!(parse_tree("<a><b></a>").is_err());
        assert!(parse_tree("").is_err());
    }

    #[test]
    fn chunks_respect_the_budget_and_keep_order() {
        let entries: Vec<String> = (0..5).map(|i| format!("<entry name=\"{i}\"/>")).collect();
        let chunks = chunk_entries(&entries, 40);
        assert!(chunks.iter().all(|c| c.len() <= 40));
        assert_eq!(chunks.concat(), entries.concat());
        assert_eq!(chunk_entries(&entries, 1).len(), 5);
    }
}
