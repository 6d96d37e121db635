//! Schema validation of written configuration against the object catalog.
//!
//! The device checks every element of a `set` / `edit` / `multi-config` against its schema
//! and refuses (code 12, "Invalid object": "Xpath or element values provided are not
//! complete", PAN-OS XML API error-code table) an element the schema does not have, a value
//! that breaks a length, range or enum, and an `<entry>` without its `name`. The simulator's
//! schema is the generated object catalog (`crates/panos/catalog/objects.json`, from the
//! vendor's pan-os-codegen specs), which covers the kinds panops writes at the locations they
//! live in:
//!
//! * inside an entry of a catalog kind every child is judged against the kind's fields;
//! * at a location node (`/config/shared`, a firewall vsys, a device group) a child must be a
//!   container the catalog or [`LOCATION_EXTRA`] knows (so `/config/shared/adress` is refused);
//! * everywhere else (device settings, network, templates' own settings, structures the
//!   catalog lacks) the device's schema is unknown here, so nothing is refused: an
//!   over-strict simulator would break valid requests of real clients.
//!
//! The codegen specs model what Terraform supports, not the whole device schema, so a few
//! elements real clients send are missing from the catalog; [`CATALOG_GAPS`] lists them, each
//! with the client that sends it.
//!
//! Message shapes, from replies quoted in public client code and issues:
//! * `test -> admin-use-only unexpected here` (terraform-provider-panos #439, a `set` of one
//!   entry at its container) and ` test-new unexpected here` (pango `multi_config_test.go`
//!   fixture): one line, the path starting at the nearest named entry.
//! * `vsys1 -> address has unexpected text.` (pan-os-python #136).
//! * `allow-InsightConnecta -> list 'yahoo.com' is invalid. <why>` followed by
//!   `allow-InsightConnecta -> list is invalid` (rapid7/insightconnect-plugins #798, an `edit`).
//! * `… can be at most 32 characters, but current length: 46 value …` (netbox-panorama-
//!   configpump-plugin #12) and `… Node can be at most 127 characters, but current length:
//!   156 value: …` (pan-scm-sdk #207).
//! * `log-settings -> email -> default -> server -> default  is missing 'protocol'` then
//!   `… -> server is invalid` (pan-os-python #347): the shape used for an entry without
//!   `name` (no public source quotes that exact case).
//!
//! The wording of the reason after "is invalid." for enums, integers and yes/no values is not
//! quoted by any public source we found; it is ours.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use panops_panos::catalog::{Catalog, Field, FieldKind, ObjectKind, ResourceType, VarKind};

use crate::device::ApiError;
use crate::xml::Element;
use crate::xpath::XPath;

/// Elements real clients send inside an entry of a catalog kind that the catalog (the
/// codegen specs) does not describe: `(kind, path inside the entry, tag)`. Everything below
/// such an element is accepted unjudged.
const CATALOG_GAPS: &[(&str, &str, &str)] = &[
    // pan-os-python ServiceObject: `protocol/{protocol}/override/no` when the timeout override
    // is off (panos/objects.py); the spec models only `override/yes`.
    ("service", "protocol/tcp/override", "no"),
    ("service", "protocol/udp/override", "no"),
    // pan-os-python ApplicationGroup `tag` (panos/objects.py, vartype member).
    ("application-group", "", "tag"),
    // pan-os-python ApplicationObject `tunnel-applications` as a member list.
    ("application", "", "tunnel-applications"),
    // pan-os-python ApplicationObject `tag` (member list).
    ("application", "", "tag"),
    // pan-os-python Zone `device-acl/include-acl|exclude-acl` (panos/network.py).
    ("zone", "device-acl", "include-acl"),
    ("zone", "device-acl", "exclude-acl"),
    // pan-os-python EmailServerProfile / SyslogServerProfile `escaping/...` (panos/device.py).
    ("email-profile", "", "escaping"),
    ("syslog-profile", "", "escaping"),
];

/// Children of a location node (`shared`, a firewall vsys, a device group) that are not the
/// container of any catalog kind but that the device's schema has there: from the
/// simulator's factory configuration (`botnet`), the xpaths of pan-os-python's
/// vsys/shared-rooted classes (panos/objects.py, device.py, network.py, policies.py) and the
/// reference notes (`certificate`, `ssl-tls-service-profile`, `{pre,post}-rulebase`,
/// device-group `devices`).
const LOCATION_EXTRA: &[&str] = &[
    "access-domain",
    "admin-role",
    "application-container",
    "application-filter",
    "application-tag",
    "authentication-profile",
    "authentication-sequence",
    "botnet",
    "certificate",
    "certificate-profile",
    "content-preview",
    "description",
    "devices",
    "display-name",
    "email-scheduler",
    "global-protect",
    "authentication-object",
    "authorization-code",
    "import",
    "local-user-database",
    "master-device",
    "ocsp-responder",
    "pdf-summary-report",
    "post-rulebase",
    "profile-group",
    "pre-rulebase",
    "redistribution-agent",
    "reference-templates",
    "region",
    "report-group",
    "reports",
    "response-page",
    "rulebase",
    "scep",
    "server-profile",
    "setting",
    "ssl-decrypt",
    "ssl-tls-service-profile",
    "to-sw-version",
    "ts-agent",
    "url-admin-override",
    "user-id-agent",
    "user-id-agent-sequence",
    "user-id-collector",
    "user-id-ssl-auth",
    "zone",
];

/// Catalog location names whose node is checked with [`LOCATION_EXTRA`].
const CHECKED_LOCATIONS: &[&str] = &["shared", "vsys", "device-group"];

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

fn matches_all(steps: &[PatStep], path: &[&str]) -> bool {
    steps.len() == path.len() && steps.iter().zip(path).all(|(s, t)| s.matches(t))
}

/// A container of entries of one kind: `config/shared/address` → `address` entries.
struct Container {
    steps: Vec<PatStep>,
    kind: &'static ObjectKind,
}

/// A location node and the children the schema allows there.
struct LocationNode {
    steps: Vec<PatStep>,
    children: HashSet<String>,
}

struct Index {
    /// Containers by their last tag (the kind's own container tag), for the common lookup.
    by_last: HashMap<String, Vec<Container>>,
    /// Location nodes whose children are checked.
    locations: Vec<LocationNode>,
}

static INDEX: LazyLock<Index> = LazyLock::new(|| build(Catalog::builtin()));

fn location_steps(loc: &panops_panos::catalog::Location) -> Vec<PatStep> {
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
    steps
}

fn build(cat: &'static Catalog) -> Index {
    let mut by_last: HashMap<String, Vec<Container>> = HashMap::new();
    let mut locations: Vec<LocationNode> = Vec::new();
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
            let mut steps = location_steps(loc);
            if CHECKED_LOCATIONS.contains(&loc.name.as_str())
                && is_location_node(loc)
                && let Some(first) = kind.xpath_suffix.first()
                && !first.starts_with('$')
            {
                let here = location_steps(loc);
                match locations.iter_mut().find(|l| same_pattern(&l.steps, &here)) {
                    Some(l) => {
                        l.children.insert(first.clone());
                    }
                    None => {
                        let mut children: HashSet<String> =
                            LOCATION_EXTRA.iter().map(|s| s.to_string()).collect();
                        children.insert(first.clone());
                        locations.push(LocationNode {
                            steps: here,
                            children,
                        });
                    }
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
    Index { by_last, locations }
}

/// Whether a location's path ends at the location node itself (`.../shared`, the vsys or
/// device-group entry) rather than inside it (`.../post-rulebase`, `.../$rulebase`): only
/// the node itself has the children list [`LOCATION_EXTRA`] completes.
fn is_location_node(loc: &panops_panos::catalog::Location) -> bool {
    match loc.path.last().map(String::as_str) {
        Some("shared") => true,
        Some(last) => last.strip_prefix('$').is_some_and(|var| {
            loc.vars
                .iter()
                .find(|v| v.name == var)
                .is_some_and(|v| v.kind != VarKind::Element)
        }),
        None => false,
    }
}

fn same_pattern(a: &[PatStep], b: &[PatStep]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| match (x, y) {
            (PatStep::Tag(x), PatStep::Tag(y)) => x == y,
            (PatStep::OneOf(x), PatStep::OneOf(y)) => x == y,
            _ => false,
        })
}

impl Index {
    /// The kind whose entries live directly under the tag path `path`.
    fn kind_at(&self, path: &[&str]) -> Option<&'static ObjectKind> {
        let last = path.last()?;
        self.by_last
            .get(*last)?
            .iter()
            .find_map(|c| matches_all(&c.steps, path).then_some(c.kind))
    }

    /// Whether some kind's container lies at or below the tag path `path` (a kind nested
    /// in another kind's entry, e.g. static routes inside a virtual router).
    fn leads_to_kind(&self, path: &[&str]) -> bool {
        self.by_last.values().flatten().any(|c| {
            c.steps.len() >= path.len() && c.steps.iter().zip(path).all(|(s, t)| s.matches(t))
        })
    }

    /// The children allowed at the location node at `path`, when it is one.
    fn location_at(&self, path: &[&str]) -> Option<&HashSet<String>> {
        self.locations
            .iter()
            .find(|l| matches_all(&l.steps, path))
            .map(|l| &l.children)
    }
}

/// Where a walk stands relative to the catalog.
#[derive(Clone)]
enum Pos {
    /// Outside any known entry: the catalog does not describe this element.
    Free,
    /// The container of a catalog kind's entries (`.../address`): only `<entry>` children.
    Container(&'static ObjectKind),
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
    /// Human label of the current node (`a -> profile-setting`), for messages: it restarts
    /// at every named entry, as the device's messages do.
    label: Vec<String>,
    /// The catalog kind whose entry the walk is in, and the depth of `path` at that entry.
    kind: Option<(&'static str, usize)>,
}

/// How deep a walk goes before it stops judging (real configuration is far shallower).
const MAX_DEPTH: usize = 128;

impl Walk {
    fn label(&self) -> String {
        self.label.join(" -> ")
    }

    fn with(&self, tag: &str) -> String {
        if self.label.is_empty() {
            tag.to_string()
        } else {
            format!("{} -> {tag}", self.label())
        }
    }

    fn unexpected(&self, tag: &str) -> ApiError {
        ApiError::new(12, format!("{} unexpected here", self.with(tag)))
    }

    /// Whether `tag` below the current element is a catalog gap of the current kind.
    fn gap(&self, tag: &str) -> bool {
        let Some((kind, at)) = self.kind else {
            return false;
        };
        let inside = self.path.get(at + 1..).unwrap_or(&[]).join("/");
        // A device-group entry is a catalog kind (its own fields: description, devices, ...)
        // and also a location node holding everything a vsys does: the location children
        // that are no catalog kind (certificates imported into the group, certificate
        // profiles, ...) are accepted there as at shared or a vsys.
        if kind == "device-group" && inside.is_empty() && LOCATION_EXTRA.contains(&tag) {
            return true;
        }
        CATALOG_GAPS
            .iter()
            .any(|(k, p, t)| *k == kind && *p == inside && *t == tag)
    }

    /// The position of child `tag` of an element at `pos`.
    fn child(&self, pos: &Pos, tag: &str) -> Result<Pos, ApiError> {
        if !matches!(pos, Pos::Opaque | Pos::Free | Pos::Container(_)) && self.gap(tag) {
            return Ok(Pos::Opaque);
        }
        Ok(match pos {
            Pos::Opaque => Pos::Opaque,
            Pos::Free => {
                let path: Vec<&str> = self.path.iter().map(String::as_str).collect();
                if let Some(allowed) = INDEX.location_at(&path)
                    && !allowed.contains(tag)
                {
                    return Err(self.unexpected(tag));
                }
                if tag != "entry" {
                    let mut p = path;
                    p.push(tag);
                    return Ok(INDEX.kind_at(&p).map_or(Pos::Free, Pos::Container));
                }
                match INDEX.kind_at(&path) {
                    Some(kind) => Pos::Fields {
                        fields: &kind.fields,
                        prefix: Vec::new(),
                    },
                    None => Pos::Free,
                }
            }
            Pos::Container(kind) => {
                if tag != "entry" {
                    return Err(self.unexpected(tag));
                }
                Pos::Fields {
                    fields: &kind.fields,
                    prefix: Vec::new(),
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

    /// Step into child `tag` (named `name` when an entry) at position `cpos`, run `f`, and
    /// step back out.
    fn enter<T>(
        &mut self,
        tag: &str,
        name: Option<&str>,
        cpos: &Pos,
        f: impl FnOnce(&mut Self) -> T,
    ) -> T {
        let saved_label = match (tag, name) {
            // the device's messages name a node from its nearest named entry
            ("entry", Some(n)) => Some(std::mem::replace(&mut self.label, vec![n.to_string()])),
            _ => {
                self.label.push(tag.to_string());
                None
            }
        };
        let saved_kind = self.kind;
        if tag == "entry"
            && let Pos::Fields { .. } = cpos
            && self.kind.is_none()
            && let Some(kind) =
                INDEX.kind_at(&self.path.iter().map(String::as_str).collect::<Vec<_>>())
        {
            self.kind = Some((kind.name.as_str(), self.path.len()));
        }
        self.path.push(tag.to_string());
        let r = f(self);
        self.path.pop();
        self.kind = saved_kind;
        match saved_label {
            Some(l) => self.label = l,
            None => {
                self.label.pop();
            }
        }
        r
    }

    /// Judge element `el` placed at the current path, whose position is `pos`.
    fn element(&mut self, pos: &Pos, el: &Element, depth: usize) -> Result<(), ApiError> {
        if let Pos::Leaf(f) = pos {
            if let Some(c) = el.children.first() {
                return Err(self.unexpected(&c.name));
            }
            return self.value(f, el.text_str());
        }
        if matches!(
            pos,
            Pos::Fields { .. } | Pos::Members | Pos::Entries(_) | Pos::Container(_)
        ) && !el.text_str().trim().is_empty()
        {
            return Err(ApiError::new(
                12,
                format!("{} has unexpected text.", self.label()),
            ));
        }
        self.children(pos, &el.children, depth)
    }

    /// Judge `children` of the element at the current path, whose position is `pos`.
    fn children(&mut self, pos: &Pos, children: &[Element], depth: usize) -> Result<(), ApiError> {
        if matches!(pos, Pos::Opaque) || depth > MAX_DEPTH {
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
                && matches!(pos, Pos::Free | Pos::Container(_) | Pos::Entries(_))
                && matches!(cpos, Pos::Fields { .. } | Pos::Opaque);
            if named_entry && name.is_none_or(str::is_empty) {
                let node = self.label();
                return Err(ApiError::lines(
                    12,
                    vec![
                        format!("{} is missing 'name'", self.with("entry")),
                        format!("{node} is invalid"),
                    ],
                ));
            }
            let name = name.filter(|_| c.name == "entry");
            self.enter(&c.name, name, &cpos, |w| w.element(&cpos, c, depth + 1))?;
        }
        Ok(())
    }

    fn value(&self, f: &Field, v: &str) -> Result<(), ApiError> {
        // the node whose value is judged is the current one (the walk stands on the field)
        let node = self.label();
        let invalid = |why: String| {
            let shown = quoted(v);
            ApiError::lines(
                12,
                vec![
                    format!("{node} '{shown}' is invalid. {why}"),
                    format!("{node} is invalid"),
                ],
            )
        };
        match f.kind {
            FieldKind::String => {
                let len = v.chars().count() as u64;
                if let Some(max) = f.max_length
                    && len > max
                {
                    return Err(ApiError::lines(
                        12,
                        vec![
                            format!(
                                "{node} can be at most {max} characters, but current length: {len} value: {}",
                                quoted(v)
                            ),
                            format!("{node} is invalid"),
                        ],
                    ));
                }
                if let Some(min) = f.min_length
                    && len < min
                {
                    return Err(ApiError::lines(
                        12,
                        vec![
                            format!(
                                "{node} must be at least {min} characters, but current length: {len} value: {}",
                                quoted(v)
                            ),
                            format!("{node} is invalid"),
                        ],
                    ));
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
        kind: None,
    };
    let mut pos = Pos::Free;
    for (i, s) in steps.iter().enumerate() {
        let Some(tag) = s.name.as_deref() else {
            // `*`: which element is meant is unknown, so its schema is too
            return Ok(());
        };
        let name = s.single_name();
        if tag == "entry" && name.is_none() {
            // an entry chosen by something other than its name: which one is unknown
            return Ok(());
        }
        let next = if i == 0 {
            // the document root
            Pos::Free
        } else {
            walk.child(&pos, tag)?
        };
        // mirror `enter` without returning: the xpath steps are never left
        match (tag, name) {
            ("entry", Some(n)) => walk.label = vec![n.to_string()],
            // the root is not named in messages
            _ if i == 0 => {}
            _ => walk.label.push(tag.to_string()),
        }
        if tag == "entry"
            && walk.kind.is_none()
            && let Pos::Fields { .. } = next
            && let Some(kind) =
                INDEX.kind_at(&walk.path.iter().map(String::as_str).collect::<Vec<_>>())
        {
            walk.kind = Some((kind.name.as_str(), walk.path.len()));
        }
        walk.path.push(tag.to_string());
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
        assert_eq!(
            e.lines,
            [
                "shared -> address -> entry is missing 'name'",
                "shared -> address is invalid"
            ]
        );
        // also an entry of an entry list inside an object
        let e = set(
            &format!("{VSYS1}/rulebase/security/rules"),
            "<entry name='r'><target><devices><entry/></devices></target></entry>",
        );
        if let Err(e) = e {
            assert!(e.lines[0].ends_with("is missing 'name'"), "{:?}", e.lines);
        }
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
        set(
            "/config/devices/entry[@name='localhost.localdomain']/network/some-container",
            "<entry><x/></entry>",
        )
        .unwrap();
        // a template's own settings: the catalog does not model them
        set(
            "/config/devices/entry[@name='localhost.localdomain']/template/entry[@name='t']/settings",
            "<default-vsys>vsys1</default-vsys>",
        )
        .unwrap();
    }

    #[test]
    fn a_device_group_holds_certificates_but_not_typos() {
        let dg =
            "/config/devices/entry[@name='localhost.localdomain']/device-group/entry[@name='DG1']";
        set(
            &format!("{dg}/certificate"),
            "<entry name='c'><common-name>c</common-name></entry>",
        )
        .unwrap();
        set(dg, "<certificate><entry name='c'/></certificate>").unwrap();
        let e = set(dg, "<certifcate><entry name='c'/></certifcate>").unwrap_err();
        assert_eq!(e.lines[0], "DG1 -> certifcate unexpected here");
    }

    #[test]
    fn misspelt_location_child_is_unexpected() {
        let e = set(&format!("{SHARED}/adress"), "<entry name='a'/>").unwrap_err();
        assert_eq!(e.code, 12);
        assert_eq!(e.lines, ["shared -> adress unexpected here"]);
        let e = set(SHARED, "<adress><entry name='a'/></adress>").unwrap_err();
        assert_eq!(e.lines, ["shared -> adress unexpected here"]);
        let e = set(VSYS1, "<adress/>").unwrap_err();
        assert_eq!(e.lines, ["vsys1 -> adress unexpected here"]);
        // children the device has there but no catalog kind lives in
        set(SHARED, "<certificate><entry name='c'/></certificate>").unwrap();
        set(VSYS1, "<import><network><interface><member>ethernet1/1</member></interface></network></import>").unwrap();
        set(
            "/config/devices/entry[@name='localhost.localdomain']/device-group/entry[@name='dg']",
            "<devices><entry name='007951000000001'/></devices>",
        )
        .unwrap();
    }

    #[test]
    fn text_in_a_container_is_unexpected() {
        let e = set(VSYS1, "<address>oops</address>").unwrap_err();
        assert_eq!(e.lines, ["vsys1 -> address has unexpected text."]);
        // whitespace between elements is not text
        set(
            &format!("{SHARED}/address"),
            "<entry name='a'>\n  <ip-netmask>10.0.0.1</ip-netmask>\n</entry>",
        )
        .unwrap();
    }

    #[test]
    fn catalog_gaps_real_clients_send_are_accepted() {
        // pan-os-python ServiceObject without a timeout override
        set(
            &format!("{SHARED}/service"),
            "<entry name='s'><protocol><tcp><port>443</port><override><no/></override></tcp></protocol></entry>",
        )
        .unwrap();
        // but the gap is only where the client puts it
        let e = set(
            &format!("{SHARED}/service"),
            "<entry name='s'><protocol><tcp><no/></tcp></protocol></entry>",
        )
        .unwrap_err();
        assert_eq!(e.lines, ["s -> protocol -> tcp -> no unexpected here"]);
    }

    #[test]
    fn labels_restart_at_the_nearest_named_entry() {
        let e = set(VSYS1, "<address><entry name='a'><bogus/></entry></address>").unwrap_err();
        assert_eq!(e.lines, ["a -> bogus unexpected here"]);
        let e = set(
            &format!("{VSYS1}/address/entry[@name='a']"),
            "<description>d</description><bogus/>",
        )
        .unwrap_err();
        assert_eq!(e.lines, ["a -> bogus unexpected here"]);
    }

    #[test]
    fn bad_values_name_the_field_twice() {
        let e = set(
            &format!("{SHARED}/tag"),
            "<entry name='t'><color>purple</color></entry>",
        )
        .unwrap_err();
        assert!(
            e.lines[0].starts_with("t -> color 'purple' is invalid. color must be one of: color1,"),
            "{:?}",
            e.lines
        );
        assert_eq!(e.lines[1], "t -> color is invalid");
        let e = set(
            &format!("{SHARED}/service"),
            "<entry name='s'><protocol><tcp><port>1</port><override><yes><timeout>0</timeout></yes></override></tcp></protocol></entry>",
        )
        .unwrap_err();
        assert_eq!(
            e.lines[0],
            "s -> protocol -> tcp -> override -> yes -> timeout '0' is invalid. timeout must be between 1 and 604800"
        );
        let e = set(
            &format!("{SHARED}/service"),
            "<entry name='s'><protocol><tcp><port>1</port><override><yes><timeout>soon</timeout></yes></override></tcp></protocol></entry>",
        )
        .unwrap_err();
        assert!(
            e.lines[0].ends_with("timeout must be an integer"),
            "{:?}",
            e.lines
        );
    }
}
