//! Schema validation of written configuration against the object catalog.
//!
//! The device checks every element of a `set` / `edit` / `multi-config` against its schema:
//! an element the schema does not have is refused with "<node> -> <tag> unexpected here", a
//! value that breaks a length, range or enum is refused with "<node> -> <field> '<v>' is
//! invalid", and an `<entry>` without its `name` is refused. The simulator's schema is the
//! generated object catalog, which covers the kinds panops writes at the locations they live:
//! inside an entry of a known kind, every child is judged; outside one (device settings,
//! structures the catalog lacks) the device's schema is unknown here, so nothing is refused.

use std::collections::HashMap;
use std::sync::LazyLock;

use panops_panos::catalog::{Catalog, Field, FieldKind, ObjectKind, ResourceType, VarKind};

use crate::device::ApiError;
use crate::xml::Element;
use crate::xpath::XPath;

/// One step of a container pattern.
#[derive(Debug)]
enum PatStep {
    /// This tag exactly.
    Tag(String),
    /// One of these tags (any tag when empty): an element-rendered location variable
    /// such as `$rulebase`.
    OneOf(Vec<String>),
}

impl PatStep {
    fn matches(&self, tag: &str) -> bool {
        match self {
            PatStep::Tag(t) => t == tag,
            PatStep::OneOf(v) => v.is_empty() || v.iter().any(|x| x == tag),
        }
    }
}

/// A container of entries of one kind: `config/shared/address` → `address` entries.
struct Container {
    steps: Vec<PatStep>,
    kind: &'static ObjectKind,
}

struct Index {
    /// Containers by their last tag (the kind's own container tag), for the common lookup.
    by_last: HashMap<String, Vec<Container>>,
}

static INDEX: LazyLock<Index> = LazyLock::new(|| build(Catalog::builtin()));

fn build(cat: &'static Catalog) -> Index {
    let mut by_last: HashMap<String, Vec<Container>> = HashMap::new();
    for kind in cat.kinds() {
        // config kinds (dns, ntp, general, ...) each describe part of one shared element
        // (deviceconfig/system), so none of them alone is the schema of that element
        if !matches!(kind.resource_type, ResourceType::Entry | ResourceType::Uuid) {
            continue;
        }
        for loc in &kind.locations {
            if loc.read_only {
                continue;
            }
            let mut steps = Vec::new();
            for s in &loc.path {
                match s.strip_prefix('$') {
                    Some(var) => {
                        let v = loc.vars.iter().find(|v| v.name == var);
                        match v.map(|v| v.kind) {
                            Some(VarKind::Element) => steps.push(PatStep::OneOf(
                                v.map(|v| v.values.clone()).unwrap_or_default(),
                            )),
                            _ => steps.push(PatStep::Tag("entry".into())),
                        }
                    }
                    None => steps.push(PatStep::Tag(s.clone())),
                }
            }
            let mut suffix: Vec<&String> = kind.xpath_suffix.iter().collect();
            // `.../units/$name`: the trailing variable is the entry itself
            if suffix.last().is_some_and(|s| s.starts_with('$')) {
                suffix.pop();
            }
            for s in suffix {
                if s.starts_with('$') {
                    steps.push(PatStep::Tag("entry".into()));
                } else {
                    steps.push(PatStep::Tag(s.clone()));
                }
            }
            let Some(PatStep::Tag(last)) = steps.last() else {
                continue;
            };
            by_last
                .entry(last.clone())
                .or_default()
                .push(Container { steps, kind });
        }
    }
    Index { by_last }
}

impl Index {
    /// The kind whose entries live directly under the tag path `path`.
    fn kind_at(&self, path: &[&str]) -> Option<&'static ObjectKind> {
        let last = path.last()?;
        self.by_last.get(*last)?.iter().find_map(|c| {
            (c.steps.len() == path.len() && c.steps.iter().zip(path).all(|(s, t)| s.matches(t)))
                .then_some(c.kind)
        })
    }

    /// Whether some kind's container lies at or below the tag path `path` (a kind nested
    /// in another kind's entry, e.g. static routes inside a virtual router).
    fn leads_to_kind(&self, path: &[&str]) -> bool {
        self.by_last.values().flatten().any(|c| {
            c.steps.len() >= path.len() && c.steps.iter().zip(path).all(|(s, t)| s.matches(t))
        })
    }
}

/// Where a walk stands relative to the catalog.
#[derive(Clone)]
enum Pos {
    /// Outside any known entry: the catalog does not describe this element.
    Free,
    /// Inside a known structure: children are judged against `fields` (at `prefix`, for
    /// fields whose xpath has several steps such as `option/disable-server-response-inspection`).
    Fields {
        fields: &'static [Field],
        prefix: Vec<&'static str>,
    },
    /// A value field: no child elements.
    Leaf(&'static Field),
    /// A member list: only `<member>` children.
    Members,
    /// One `<member>`.
    Member,
    /// A list of named entries with `fields`.
    Entries(&'static Field),
    /// Below something the catalog lacks the shape of: not judged.
    Opaque,
}

/// Most characters of a value quoted back in an error (a 50 MB description is not echoed).
const QUOTE_MAX: usize = 40;

fn quoted(v: &str) -> String {
    if v.chars().count() <= QUOTE_MAX {
        v.to_string()
    } else {
        let head: String = v.chars().take(QUOTE_MAX).collect();
        format!("{head}...")
    }
}

struct Walk {
    /// Tags from the root to the current element.
    path: Vec<String>,
    /// Human label of the current node (`a -> profile-setting`), for messages.
    label: Vec<String>,
}

impl Walk {
    fn label(&self) -> String {
        if self.label.is_empty() {
            self.path.last().cloned().unwrap_or_default()
        } else {
            self.label.join(" -> ")
        }
    }

    fn unexpected(&self, tag: &str) -> ApiError {
        let node = self.label();
        ApiError::lines(
            12,
            vec![
                format!("{node} -> {tag} unexpected here"),
                format!("{node} is invalid"),
            ],
        )
    }

    /// The position of child `tag` of an element at `pos`.
    fn child(&self, pos: &Pos, tag: &str) -> Result<Pos, ApiError> {
        Ok(match pos {
            Pos::Opaque => Pos::Opaque,
            Pos::Free => {
                if tag != "entry" {
                    return Ok(Pos::Free);
                }
                let path: Vec<&str> = self.path.iter().map(String::as_str).collect();
                match INDEX.kind_at(&path) {
                    Some(kind) => Pos::Fields {
                        fields: &kind.fields,
                        prefix: Vec::new(),
                    },
                    None => Pos::Free,
                }
            }
            Pos::Fields { fields, prefix } => {
                let depth = prefix.len();
                let mut exact = None;
                let mut deeper = false;
                for f in fields.iter().filter(|f| !f.attribute) {
                    if f.xpath.len() > depth
                        && f.xpath[..depth].iter().zip(prefix).all(|(a, b)| a == b)
                        && f.xpath[depth] == tag
                    {
                        if f.xpath.len() == depth + 1 {
                            exact = Some(f);
                        } else {
                            deeper = true;
                        }
                    }
                }
                match exact {
                    Some(f) => match f.kind {
                        FieldKind::Member => Pos::Members,
                        FieldKind::EntryList if f.fields.is_empty() => Pos::Opaque,
                        FieldKind::EntryList => Pos::Entries(f),
                        FieldKind::Object if f.fields.is_empty() => Pos::Opaque,
                        FieldKind::Object => Pos::Fields {
                            fields: &f.fields,
                            prefix: Vec::new(),
                        },
                        _ => Pos::Leaf(f),
                    },
                    None if deeper => {
                        let mut prefix = prefix.clone();
                        if let Some(f) = fields
                            .iter()
                            .find(|f| f.xpath.len() > depth + 1 && f.xpath[depth] == tag)
                        {
                            prefix.push(f.xpath[depth].as_str());
                        }
                        Pos::Fields { fields, prefix }
                    }
                    None => {
                        let mut p: Vec<&str> = self.path.iter().map(String::as_str).collect();
                        p.push(tag);
                        if INDEX.leads_to_kind(&p) {
                            Pos::Free
                        } else {
                            return Err(self.unexpected(tag));
                        }
                    }
                }
            }
            Pos::Leaf(_) | Pos::Member => return Err(self.unexpected(tag)),
            Pos::Members => {
                if tag == "member" {
                    Pos::Member
                } else {
                    return Err(self.unexpected(tag));
                }
            }
            Pos::Entries(f) => {
                if tag != "entry" {
                    return Err(self.unexpected(tag));
                }
                Pos::Fields {
                    fields: &f.fields,
                    prefix: Vec::new(),
                }
            }
        })
    }

    /// Judge element `el` placed at the current path, whose position is `pos`.
    fn element(&mut self, pos: &Pos, el: &Element, depth: usize) -> Result<(), ApiError> {
        if let Pos::Leaf(f) = pos {
            if let Some(c) = el.children.first() {
                return Err(self.unexpected(&c.name));
            }
            return self.value(f, el.text_str());
        }
        self.children(pos, &el.children, depth)
    }

    /// Judge `children` of the element at the current path, whose position is `pos`.
    fn children(&mut self, pos: &Pos, children: &[Element], depth: usize) -> Result<(), ApiError> {
        if matches!(pos, Pos::Opaque) || depth > 128 {
            return Ok(());
        }
        if let Pos::Leaf(_) | Pos::Member = pos
            && let Some(c) = children.first()
        {
            return Err(self.unexpected(&c.name));
        }
        for c in children {
            let name = c.name_attr();
            let cpos = self.child(pos, &c.name)?;
            // an entry of a kind or of an entry list is addressed by its name
            let named_entry = c.name == "entry"
                && matches!(pos, Pos::Free | Pos::Entries(_))
                && matches!(cpos, Pos::Fields { .. } | Pos::Opaque);
            if named_entry && name.is_none_or(str::is_empty) {
                let node = self.label();
                return Err(ApiError::lines(
                    12,
                    vec![
                        format!("{node} -> entry 'name' is missing"),
                        format!("{node} is invalid"),
                    ],
                ));
            }
            let saved = if named_entry && matches!(pos, Pos::Free) {
                // a new object: messages name it from here on
                Some(std::mem::take(&mut self.label))
            } else {
                None
            };
            let pushed = if matches!(cpos, Pos::Free) || c.name == "member" {
                false
            } else {
                self.label.push(
                    name.filter(|_| c.name == "entry")
                        .unwrap_or(&c.name)
                        .to_string(),
                );
                true
            };
            self.path.push(c.name.clone());
            let r = self.element(&cpos, c, depth + 1);
            self.path.pop();
            if pushed {
                self.label.pop();
            }
            if let Some(saved) = saved {
                self.label = saved;
            }
            r?;
        }
        Ok(())
    }

    fn value(&self, f: &Field, v: &str) -> Result<(), ApiError> {
        let node = self.label.join(" -> ");
        let invalid = |why: String| {
            let name = &f.name;
            let shown = quoted(v);
            ApiError::lines(
                12,
                vec![
                    format!("{node} '{shown}' is invalid. {why}"),
                    format!(
                        "{} is invalid",
                        node.rsplit_once(" -> ").map_or(name.as_str(), |x| x.0)
                    ),
                ],
            )
        };
        match f.kind {
            FieldKind::String => {
                let len = v.chars().count() as u64;
                if let Some(max) = f.max_length
                    && len > max
                {
                    return Err(invalid(format!(
                        "{} can be at most {max} characters, but current length: {len}",
                        f.name
                    )));
                }
                if let Some(min) = f.min_length
                    && len < min
                {
                    return Err(invalid(format!(
                        "{} must be at least {min} characters, but current length: {len}",
                        f.name
                    )));
                }
            }
            FieldKind::Int => match v.trim().parse::<i64>() {
                Ok(n) => {
                    if f.min_value.is_some_and(|m| n < m) || f.max_value.is_some_and(|m| n > m) {
                        return Err(invalid(format!(
                            "{} must be between {} and {}",
                            f.name,
                            f.min_value.map_or("-".into(), |m| m.to_string()),
                            f.max_value.map_or("-".into(), |m| m.to_string())
                        )));
                    }
                }
                Err(_) => return Err(invalid(format!("{} must be an integer", f.name))),
            },
            FieldKind::Float => {
                if v.trim().parse::<f64>().is_err() {
                    return Err(invalid(format!("{} must be a number", f.name)));
                }
            }
            FieldKind::Bool => {
                if !matches!(v, "yes" | "no") {
                    return Err(invalid(format!("{} must be 'yes' or 'no'", f.name)));
                }
            }
            FieldKind::Enum => {
                if !f.values.is_empty() && !f.values.iter().any(|x| x == v) {
                    return Err(invalid(format!(
                        "{} must be one of: {}",
                        f.name,
                        f.values.join(", ")
                    )));
                }
            }
            FieldKind::Member | FieldKind::EntryList | FieldKind::Object => {}
        }
        Ok(())
    }
}

/// Judge a write against the catalog's schema: for `set`, `frag` are children of the node
/// at `xp`; for `edit`, the one element of `frag` replaces the node at `xp`.
pub fn check(xp: &XPath, frag: &[Element], edit: bool) -> Result<(), ApiError> {
    let steps = if edit {
        &xp.steps[..xp.steps.len().saturating_sub(1)]
    } else {
        &xp.steps[..]
    };
    let mut walk = Walk {
        path: Vec::new(),
        label: Vec::new(),
    };
    let mut pos = Pos::Free;
    for s in steps {
        let Some(tag) = s.name.as_deref() else {
            // `*`: which element is meant is unknown, so its schema is too
            return Ok(());
        };
        let name = s.single_name();
        let next = walk.child(&pos, tag)?;
        if matches!(pos, Pos::Free) && !matches!(next, Pos::Free) {
            walk.label.clear();
        }
        walk.path.push(tag.to_string());
        if !matches!(next, Pos::Free) {
            match (tag, name) {
                ("entry", Some(n)) => walk.label.push(n.to_string()),
                ("entry", None) => walk.label.push("entry".into()),
                (t, _) => walk.label.push(t.to_string()),
            }
        }
        pos = next;
    }
    walk.children(&pos, frag, 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml;

    const SHARED: &str = "/config/shared";
    const VSYS1: &str =
        "/config/devices/entry[@name='localhost.localdomain']/vsys/entry[@name='vsys1']";

    fn set(xpath: &str, element: &str) -> Result<(), ApiError> {
        let xp = XPath::parse(xpath).unwrap();
        check(&xp, &xml::parse_fragment(element).unwrap(), false)
    }

    fn edit(xpath: &str, element: &str) -> Result<(), ApiError> {
        let xp = XPath::parse(xpath).unwrap();
        check(&xp, &xml::parse_fragment(element).unwrap(), true)
    }

    #[test]
    fn known_fields_pass() {
        set(
            &format!("{SHARED}/address"),
            "<entry name='a'><ip-netmask>10.0.0.1</ip-netmask><description>d</description><tag><member>t</member></tag></entry>",
        )
        .unwrap();
        set(
            &format!("{VSYS1}/rulebase/security/rules"),
            "<entry name='r'><from><member>any</member></from><action>allow</action><option><disable-server-response-inspection>no</disable-server-response-inspection></option></entry>",
        )
        .unwrap();
    }

    #[test]
    fn unknown_child_of_known_entry_is_unexpected() {
        let e = set(
            &format!("{SHARED}/address"),
            "<entry name='a'><ip-netmask>10.0.0.1</ip-netmask><bogus/></entry>",
        )
        .unwrap_err();
        assert_eq!(e.code, 12);
        assert_eq!(e.lines[0], "a -> bogus unexpected here");
        // also when the xpath points at the entry and the element is a misspelt field
        let e = set(
            &format!("{SHARED}/address/entry[@name='a']"),
            "<ip-netmsk>10.0.0.1</ip-netmsk>",
        )
        .unwrap_err();
        assert_eq!(e.lines[0], "a -> ip-netmsk unexpected here");
        // and a path that goes through an unknown node
        let e = set(
            &format!("{SHARED}/address/entry[@name='a']/ip-netmsk"),
            "<x/>",
        )
        .unwrap_err();
        assert_eq!(e.lines[0], "a -> ip-netmsk unexpected here");
        // a member list holds only members
        let e = set(
            &format!("{SHARED}/address"),
            "<entry name='a'><tag><bogus>t</bogus></tag></entry>",
        )
        .unwrap_err();
        assert_eq!(e.lines[0], "a -> tag -> bogus unexpected here");
    }

    #[test]
    fn entry_without_name_is_refused() {
        let e = set(
            &format!("{SHARED}/address"),
            "<entry><ip-netmask>10.0.0.1</ip-netmask></entry>",
        )
        .unwrap_err();
        assert_eq!(e.code, 12);
        assert!(e.lines[0].contains("'name' is missing"), "{:?}", e.lines);
    }

    #[test]
    fn over_long_description_is_refused_and_not_echoed_whole() {
        let long = "x".repeat(1100);
        let e = set(
            &format!("{SHARED}/address"),
            &format!(
                "<entry name='a'><fqdn>a.example</fqdn><description>{long}</description></entry>"
            ),
        )
        .unwrap_err();
        assert_eq!(e.code, 12);
        assert!(
            e.lines[0].contains("at most 1023 characters, but current length: 1100"),
            "{:?}",
            e.lines
        );
        assert!(e.lines[0].len() < 200);
        set(
            &format!("{SHARED}/address"),
            &format!(
                "<entry name='a'><description>{}</description></entry>",
                "x".repeat(1023)
            ),
        )
        .unwrap();
    }

    #[test]
    fn enum_and_bool_values_are_judged() {
        let e = set(
            &format!("{VSYS1}/rulebase/security/rules"),
            "<entry name='r'><action>maybe</action></entry>",
        )
        .unwrap_err();
        assert!(
            e.lines[0].starts_with("r -> action 'maybe' is invalid"),
            "{:?}",
            e.lines
        );
        let e = set(
            &format!("{VSYS1}/rulebase/security/rules"),
            "<entry name='r'><disabled>perhaps</disabled></entry>",
        )
        .unwrap_err();
        assert!(e.lines[0].contains("'yes' or 'no'"), "{:?}", e.lines);
    }

    #[test]
    fn edit_judges_the_replacing_element() {
        let e = edit(
            &format!("{SHARED}/address/entry[@name='a']"),
            "<entry name='a'><bogus/></entry>",
        )
        .unwrap_err();
        assert_eq!(e.lines[0], "a -> bogus unexpected here");
        edit(
            &format!("{SHARED}/address/entry[@name='a']/description"),
            "<description>ok</description>",
        )
        .unwrap();
    }

    #[test]
    fn outside_known_kinds_nothing_is_refused() {
        // device settings: the catalog's config kinds do not describe the whole element
        set(
            "/config/devices/entry[@name='localhost.localdomain']/deviceconfig/system",
            "<hostname>fw</hostname><anything-else/>",
        )
        .unwrap();
        set(&format!("{SHARED}/some-container"), "<entry><x/></entry>").unwrap();
    }
}
