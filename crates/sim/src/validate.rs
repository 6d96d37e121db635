//! Validation as the device does it: names, address formats, references.

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr};

use crate::device::ApiError;
use crate::template::{self, Step};
use crate::xml::Element;
use crate::xpath::{self, XPath};

mod schema;
pub use schema::check as check_schema;

/// Containers whose `entry` children are named objects subject to name rules.
const NAMED_KINDS: &[&str] = &[
    "address",
    "address-group",
    "service",
    "service-group",
    "application-group",
    "rules",
    "profile-group",
    "schedule",
    "external-list",
    "region",
    "dynamic-user-group",
    "custom-url-category",
    "certificate",
    "tag",
];

/// Check the name of a new entry whose parent tags are `ctx` (ending with the container tag).
pub fn check_name(ctx: &[String], name: &str, panorama: bool) -> Result<(), ApiError> {
    let Some(kind) = ctx.last() else {
        return Ok(());
    };
    // only named objects inside an object container (shared / vsys / device-group / template config)
    if !NAMED_KINDS.contains(&kind.as_str()) || ctx.iter().any(|t| t == "mgt-config") {
        return Ok(());
    }
    let len = name.chars().count();
    let (max, code) = match kind.as_str() {
        "tag" => (127, 12),
        "certificate" if panorama => (31, 17),
        _ => (63, 12),
    };
    if len == 0 {
        return Err(ApiError::new(12, format!("{kind} name is empty")));
    }
    if len > max {
        return Err(ApiError::new(
            code,
            format!("{name} can be at most {max} characters, but current length: {len}"),
        ));
    }
    let bad_char = if kind == "tag" {
        name.chars()
            .any(|c| c.is_control() || matches!(c, '\'' | '"' | '<' | '>' | '&' | ']' | '['))
    } else {
        let first_ok = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
        !first_ok
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ' '))
            || (kind == "certificate" && name.starts_with('_'))
    };
    if bad_char {
        return Err(ApiError::new(
            12,
            format!(
                "{kind} -> {name} is invalid. Names must start with an alphanumeric character or underscore and contain only alphanumeric characters, underscore, hyphen, period or space"
            ),
        ));
    }
    Ok(())
}

/// Validate a fragment placed under the tags in `ctx`.
pub fn check_subtree(ctx: &[String], el: &Element, panorama: bool) -> Result<(), ApiError> {
    if el.name == "entry"
        && let Some(n) = el.name_attr()
    {
        check_name(ctx, n, panorama)?;
        if ctx.last().is_some_and(|k| k == "address") {
            check_address(n, el)?;
        }
    }
    let mut path = ctx.to_vec();
    // an address entry addressed directly: .../address/entry[@name='a'] + <ip-netmask>
    if el.name != "entry"
        && ctx.len() >= 2
        && ctx[ctx.len() - 2] == "address"
        && ctx[ctx.len() - 1] == "entry"
    {
        check_address_field("address", &el.name, el.text_str())?;
    }
    path.push(el.name.clone());
    if path.len() > 200 {
        return Ok(());
    }
    for c in &el.children {
        check_subtree(&path, c, panorama)?;
    }
    Ok(())
}

fn check_address(name: &str, el: &Element) -> Result<(), ApiError> {
    let kinds: Vec<&Element> = el
        .children
        .iter()
        .filter(|c| {
            matches!(
                c.name.as_str(),
                "ip-netmask" | "ip-range" | "ip-wildcard" | "fqdn"
            )
        })
        .collect();
    if kinds.len() > 1 {
        return Err(ApiError::new(
            12,
            format!("{name}: only one of ip-netmask, ip-range, ip-wildcard, fqdn may be set"),
        ));
    }
    for k in kinds {
        check_address_field(name, &k.name, k.text_str())?;
    }
    Ok(())
}

fn check_address_field(name: &str, field: &str, v: &str) -> Result<(), ApiError> {
    let ok = match field {
        "ip-netmask" => valid_netmask(v),
        "ip-range" => valid_range(v),
        "ip-wildcard" => v
            .split_once('/')
            .is_some_and(|(a, m)| a.parse::<Ipv4Addr>().is_ok() && m.parse::<Ipv4Addr>().is_ok()),
        "fqdn" => valid_fqdn(v),
        _ => true,
    };
    if ok {
        Ok(())
    } else {
        Err(ApiError::new(
            12,
            format!("{name} -> {field} '{v}' is not a valid {field}"),
        ))
    }
}

/// `a.b.c.d[/n]` or IPv6`[/n]`.
pub fn valid_netmask(v: &str) -> bool {
    let (ip, len) = match v.split_once('/') {
        Some((i, l)) => (i, Some(l)),
        None => (v, None),
    };
    let Ok(ip) = ip.parse::<IpAddr>() else {
        return false;
    };
    match len {
        None => true,
        Some(l) => match l.parse::<u8>() {
            Ok(n) => n <= if ip.is_ipv4() { 32 } else { 128 },
            Err(_) => false,
        },
    }
}

/// `ip-ip`, same family, ascending.
pub fn valid_range(v: &str) -> bool {
    let Some((a, b)) = v.split_once('-') else {
        return false;
    };
    match (a.trim().parse::<IpAddr>(), b.trim().parse::<IpAddr>()) {
        (Ok(IpAddr::V4(a)), Ok(IpAddr::V4(b))) => a <= b,
        (Ok(IpAddr::V6(a)), Ok(IpAddr::V6(b))) => a <= b,
        _ => false,
    }
}

/// Hostname syntax.
pub fn valid_fqdn(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= 255
        && v.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
}

/// Object kinds that share one name space in a container: an address and an address group
/// (or a service and a service group) cannot have the same name in the same vsys, device
/// group or shared, while an external list may shadow a group (pan-os-php#279, batfish#2975).
fn namespace_sibling(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "address" => "address-group",
        "address-group" => "address",
        "service" => "service-group",
        "service-group" => "service",
        _ => return None,
    })
}

/// A named object a write introduces: (container steps, kind, name).
type NewObject = (Vec<Step>, String, String);

fn named_entries(at: &mut Vec<Step>, el: &Element, out: &mut Vec<NewObject>, depth: usize) {
    if el.name == "entry"
        && let Some(n) = el.name_attr()
        && let Some((kind, _)) = at.last()
        && namespace_sibling(kind).is_some()
    {
        out.push((at[..at.len() - 1].to_vec(), kind.clone(), n.to_string()));
        return;
    }
    if depth > 64 {
        return;
    }
    at.push((el.name.clone(), el.name_attr().map(str::to_string)));
    for c in &el.children {
        named_entries(at, c, out, depth + 1);
    }
    at.pop();
}

fn namespace_error(kind: &str, other: &str, name: &str) -> ApiError {
    // The device's exact wording is not in our sources; modelled on PAN-OS validation
    // messages ("<kind> -> <name> '<name>' is ...") - a guess.
    ApiError::new(
        12,
        format!("{kind} -> {name} '{name}' is already in use by {other} -> {name}"),
    )
}

fn check_new_objects(tree: &Element, new: &[NewObject]) -> Result<(), ApiError> {
    let mut by_container: HashMap<(&[Step], &str), HashSet<&str>> = HashMap::new();
    for (c, kind, name) in new {
        by_container
            .entry((c.as_slice(), kind.as_str()))
            .or_default()
            .insert(name.as_str());
    }
    for (c, kind, name) in new {
        let Some(other) = namespace_sibling(kind) else {
            continue;
        };
        let in_request = by_container
            .get(&(c.as_slice(), other))
            .is_some_and(|names| names.contains(name.as_str()));
        let existing = || {
            template::resolve(tree, c)
                .and_then(|cn| cn.child(other))
                .and_then(|k| k.entry_child(name))
                .is_some()
        };
        if in_request || existing() {
            return Err(namespace_error(kind, other, name));
        }
    }
    Ok(())
}

/// Refuse a `set` / `edit` that would give an address and an address group (or a service
/// and a service group) of one container the same name.
pub fn check_namespaces(
    tree: &Element,
    xp: &XPath,
    frag: &[Element],
    edit: bool,
) -> Result<(), ApiError> {
    let targets = if edit {
        xp.parent()
            .map(|p| template::write_targets(tree, &p))
            .unwrap_or_default()
    } else {
        template::write_targets(tree, xp)
    };
    let mut new = Vec::new();
    for t in targets {
        // `.../address/entry[@name='x']` with the entry's children as the element
        if !edit
            && t.len() >= 3
            && let (tag, Some(n)) = &t[t.len() - 1]
            && tag == "entry"
            && namespace_sibling(&t[t.len() - 2].0).is_some()
        {
            new.push((
                t[..t.len() - 2].to_vec(),
                t[t.len() - 2].0.clone(),
                n.clone(),
            ));
            continue;
        }
        let mut at = t;
        for f in frag {
            named_entries(&mut at, f, &mut new, 0);
        }
    }
    check_new_objects(tree, &new)
}

/// The same check for a rename or clone to `newname` inside the kind container at
/// `kind_path` (index path of e.g. `.../vsys/entry[@name='vsys1']/address`).
pub fn check_namespace_name(
    tree: &Element,
    kind_path: &[usize],
    newname: &str,
) -> Result<(), ApiError> {
    let steps = template::steps_of(tree, kind_path);
    let Some(((kind, _), container)) = steps.split_last() else {
        return Ok(());
    };
    if namespace_sibling(kind).is_none() {
        return Ok(());
    }
    check_new_objects(
        tree,
        &[(container.to_vec(), kind.clone(), newname.to_string())],
    )
}

/// A kind family for references.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Family {
    Address,
    Service,
    Tag,
    AppGroup,
    Schedule,
    ProfileGroup,
    Certificate,
}

fn family_of(kind: &str) -> Option<Family> {
    Some(match kind {
        "address" | "address-group" | "external-list" | "region" => Family::Address,
        "service" | "service-group" => Family::Service,
        "tag" => Family::Tag,
        "application-group" => Family::AppGroup,
        "schedule" => Family::Schedule,
        "profile-group" => Family::ProfileGroup,
        "certificate" => Family::Certificate,
        _ => return None,
    })
}

fn family_kinds(f: Family) -> &'static [&'static str] {
    match f {
        Family::Address => &["address", "address-group", "external-list", "region"],
        Family::Service => &["service", "service-group"],
        Family::Tag => &["tag"],
        Family::AppGroup => &["application-group", "application"],
        Family::Schedule => &["schedule"],
        Family::ProfileGroup => &["profile-group"],
        Family::Certificate => &["certificate"],
    }
}

/// A reference found in config: (description of the referrer, family, referenced name).
struct Ref {
    desc: String,
    family: Family,
    name: String,
}

/// A place that holds named objects: shared, a vsys, a device group, Panorama itself,
/// or the same inside a template / template stack (`root` is the enclosing `<config>`).
struct Container {
    path: Vec<usize>,
    desc: String,
    shared: bool,
    root: Vec<usize>,
    template: bool,
    /// Device-group name (Panorama, top-level config only).
    dg: Option<String>,
}

/// Device-group parents from `/config/readonly/devices/entry/device-group/entry/parent-dg`.
pub fn dg_parents(tree: &Element) -> std::collections::HashMap<String, String> {
    let mut out = std::collections::HashMap::new();
    let Some(groups) = tree
        .find("readonly/devices")
        .and_then(|d| d.entry_child("localhost.localdomain"))
        .and_then(|l| l.child("device-group"))
    else {
        return out;
    };
    for e in &groups.children {
        if let (Some(n), Some(p)) = (e.name_attr(), e.find_text("parent-dg"))
            && !p.is_empty()
        {
            out.insert(n.to_string(), p.to_string());
        }
    }
    out
}

/// The ancestors of a device group, nearest first (cycle-safe).
pub fn dg_ancestors(parents: &std::collections::HashMap<String, String>, dg: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = dg;
    while let Some(p) = parents.get(cur) {
        if p == dg || out.contains(p) || out.len() > 64 {
            break;
        }
        out.push(p.clone());
        cur = p;
    }
    out
}

/// All object containers in a tree.
fn containers(tree: &Element) -> Vec<Container> {
    let mut out = Vec::new();
    collect(tree, &[], false, "", &mut out, 0);
    out
}

fn collect(
    cfg: &Element,
    root: &[usize],
    template: bool,
    prefix: &str,
    out: &mut Vec<Container>,
    depth: usize,
) {
    let at = |extra: &[usize]| -> Vec<usize> { root.iter().chain(extra).copied().collect() };
    for (i, c) in cfg.children.iter().enumerate() {
        if c.name == "shared" || (c.name == "panorama" && depth == 0) {
            out.push(Container {
                path: at(&[i]),
                desc: format!("{prefix}{}", c.name),
                shared: c.name == "shared",
                root: root.to_vec(),
                template,
                dg: None,
            });
        }
        if c.name != "devices" {
            continue;
        }
        for (j, d) in c.children.iter().enumerate() {
            for (k, sect) in d.children.iter().enumerate() {
                match sect.name.as_str() {
                    "vsys" | "device-group" => {
                        for (l, e) in sect.children.iter().enumerate() {
                            out.push(Container {
                                path: at(&[i, j, k, l]),
                                desc: format!("{prefix}{}", e.name_attr().unwrap_or("?")),
                                shared: false,
                                root: root.to_vec(),
                                template,
                                dg: (sect.name == "device-group" && depth == 0)
                                    .then(|| e.name_attr().unwrap_or("").to_string()),
                            });
                        }
                    }
                    "template" | "template-stack" if depth == 0 => {
                        for (l, e) in sect.children.iter().enumerate() {
                            if let Some((m, conf)) = e
                                .children
                                .iter()
                                .enumerate()
                                .find(|(_, x)| x.name == "config")
                            {
                                let p = at(&[i, j, k, l, m]);
                                let pre =
                                    format!("{} {} -> ", sect.name, e.name_attr().unwrap_or("?"));
                                collect(conf, &p, true, &pre, out, depth + 1);
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
    }
}

fn members_of(el: &Element, child: &str) -> Vec<String> {
    el.child(child).map(Element::members).unwrap_or_default()
}

/// Every reference held by objects and rules of one container.
fn refs_in(container: &Element) -> Vec<Ref> {
    let mut out = Vec::new();
    for rb in ["rulebase", "pre-rulebase", "post-rulebase"] {
        let Some(rulebase) = container.child(rb) else {
            continue;
        };
        for typ in &rulebase.children {
            let Some(rules) = typ.child("rules") else {
                continue;
            };
            for r in &rules.children {
                let rn = r.name_attr().unwrap_or("?");
                let base = format!("{rb} -> {} -> rules -> {rn}", typ.name);
                for (field, fam) in [
                    ("source", Family::Address),
                    ("destination", Family::Address),
                    ("service", Family::Service),
                    ("tag", Family::Tag),
                    ("application", Family::AppGroup),
                ] {
                    for m in members_of(r, field) {
                        out.push(Ref {
                            desc: format!("{base} -> {field}"),
                            family: fam,
                            name: m,
                        });
                    }
                }
                if let Some(s) = r.child("schedule") {
                    out.push(Ref {
                        desc: format!("{base} -> schedule"),
                        family: Family::Schedule,
                        name: s.text_str().to_string(),
                    });
                }
                if let Some(g) = r.find("profile-setting/group") {
                    for m in g.members() {
                        out.push(Ref {
                            desc: format!("{base} -> profile-setting -> group"),
                            family: Family::ProfileGroup,
                            name: m,
                        });
                    }
                }
            }
        }
    }
    if let Some(groups) = container.child("address-group") {
        for g in &groups.children {
            let gn = g.name_attr().unwrap_or("?");
            for m in g.child("static").map(Element::members).unwrap_or_default() {
                out.push(Ref {
                    desc: format!("address-group -> {gn} -> static"),
                    family: Family::Address,
                    name: m,
                });
            }
        }
    }
    if let Some(groups) = container.child("service-group") {
        for g in &groups.children {
            let gn = g.name_attr().unwrap_or("?");
            for m in members_of(g, "members") {
                out.push(Ref {
                    desc: format!("service-group -> {gn} -> members"),
                    family: Family::Service,
                    name: m,
                });
            }
        }
    }
    if let Some(profiles) = container.child("ssl-tls-service-profile") {
        for p in &profiles.children {
            if let Some(cert) = p.child("certificate") {
                out.push(Ref {
                    desc: format!(
                        "ssl-tls-service-profile -> {} -> certificate",
                        p.name_attr().unwrap_or("?")
                    ),
                    family: Family::Certificate,
                    name: cert.text_str().to_string(),
                });
            }
        }
    }
    if let Some(profiles) = container.child("certificate-profile") {
        for p in &profiles.children {
            for ca in p.child("CA").map(|c| c.children.as_slice()).unwrap_or(&[]) {
                out.push(Ref {
                    desc: format!(
                        "certificate-profile -> {} -> CA",
                        p.name_attr().unwrap_or("?")
                    ),
                    family: Family::Certificate,
                    name: ca.name_attr().unwrap_or("").to_string(),
                });
            }
        }
    }
    for kind in ["address", "address-group", "service", "service-group"] {
        if let Some(k) = container.child(kind) {
            for e in &k.children {
                for m in members_of(e, "tag") {
                    out.push(Ref {
                        desc: format!("{kind} -> {} -> tag", e.name_attr().unwrap_or("?")),
                        family: Family::Tag,
                        name: m,
                    });
                }
            }
        }
    }
    out
}

/// Names each container defines, per family, built once per container on first use: a commit
/// of a device group with tens of thousands of objects checks every reference against them, and
/// a linear scan per reference made that quadratic.
#[derive(Default)]
struct Defined<'t> {
    sets: HashMap<(*const Element, Family), HashSet<&'t str>>,
}

impl<'t> Defined<'t> {
    fn defines(&mut self, container: &'t Element, fam: Family, name: &str) -> bool {
        self.sets
            .entry((std::ptr::from_ref(container), fam))
            .or_insert_with(|| {
                family_kinds(fam)
                    .iter()
                    .filter_map(|k| container.child(k))
                    .flat_map(|kind| kind.children.iter())
                    .filter(|e| e.name == "entry")
                    .filter_map(Element::name_attr)
                    .collect()
            })
            .contains(name)
    }
}

fn defines(container: &Element, fam: Family, name: &str) -> bool {
    family_kinds(fam).iter().any(|k| {
        container
            .child(k)
            .and_then(|c| c.entry_child(name))
            .is_some()
    })
}

fn builtin(fam: Family, name: &str) -> bool {
    match fam {
        Family::Address => name == "any" || valid_netmask(name) || valid_range(name),
        Family::Service => matches!(
            name,
            "any" | "application-default" | "service-http" | "service-https"
        ),
        Family::AppGroup => true, // applications come from the content database; not modelled
        Family::Tag | Family::Schedule | Family::ProfileGroup | Family::Certificate => false,
    }
}

/// Refuse to delete objects that are still referenced (code 10), naming the referrers.
pub fn check_delete(tree: &Element, sel: &[Vec<usize>]) -> Result<(), ApiError> {
    let all = containers(tree);
    let parents = dg_parents(tree);
    for p in sel {
        // p = container path + [kind idx, entry idx]
        if p.len() < 3 {
            continue;
        }
        let Some(entry) = xpath::get(tree, p) else {
            continue;
        };
        if entry.name != "entry" {
            continue;
        }
        let Some(kind_el) = xpath::get(tree, &p[..p.len() - 1]) else {
            continue;
        };
        let Some(fam) = family_of(&kind_el.name) else {
            continue;
        };
        let cpath = &p[..p.len() - 2];
        let Some(owner) = all.iter().find(|c| c.path == cpath) else {
            continue;
        };
        let name = entry.name_attr().unwrap_or("");
        let mut lines = Vec::new();
        for other in &all {
            let Some(c) = xpath::get(tree, &other.path) else {
                continue;
            };
            if other.path != cpath {
                // other containers see a shared object of the same config, or an object of an
                // ancestor device group, unless they shadow it
                let descendant = match (&owner.dg, &other.dg) {
                    (Some(o), Some(d)) => dg_ancestors(&parents, d).contains(o),
                    _ => false,
                };
                if !(owner.shared || descendant)
                    || other.shared
                    || other.root != owner.root
                    || defines(c, fam, name)
                {
                    continue;
                }
            }
            for r in refs_in(c) {
                if r.family == fam && r.name == name {
                    lines.push(format!(" {} -> {}", other.desc, r.desc));
                }
            }
        }
        let cdesc = &owner.desc;
        if !lines.is_empty() {
            let mut out = vec![format!(
                " {cdesc} -> {} -> {name} cannot be deleted because of references from:",
                kind_el.name
            )];
            out.extend(lines);
            return Err(ApiError::lines(10, out));
        }
    }
    Ok(())
}

/// After a rename, follow references in the container and (for shared) everywhere.
pub fn rename_references(tree: &mut Element, kind_path: &[usize], old: &str, new: &str) {
    let Some(kind_el) = xpath::get(tree, kind_path) else {
        return;
    };
    let Some(fam) = family_of(&kind_el.name) else {
        return;
    };
    if kind_path.is_empty() {
        return;
    }
    let cpath = kind_path[..kind_path.len() - 1].to_vec();
    let all = containers(tree);
    let owner_root = all
        .iter()
        .find(|c| c.path == cpath && c.shared)
        .map(|c| c.root.clone());
    let targets: Vec<Vec<usize>> = all
        .into_iter()
        .filter(|c| c.path == cpath || owner_root.as_ref() == Some(&c.root))
        .map(|c| c.path)
        .collect();
    let fields: &[&str] = match fam {
        Family::Address => &["source", "destination", "static"],
        Family::Service => &["service", "members"],
        Family::Tag => &["tag"],
        Family::AppGroup => &["application"],
        Family::Schedule | Family::ProfileGroup | Family::Certificate => &[],
    };
    for cp in targets {
        if let Some(c) = xpath::get_mut(tree, &cp) {
            rename_members(c, fields, old, new, 0);
        }
    }
}

fn rename_members(el: &mut Element, fields: &[&str], old: &str, new: &str, depth: usize) {
    if depth > 12 {
        return;
    }
    let is_field = fields.contains(&el.name.as_str());
    for c in &mut el.children {
        if is_field && c.name == "member" && c.text_str() == old {
            c.text = Some(new.to_string());
        } else {
            rename_members(c, fields, old, new, depth + 1);
        }
    }
}

/// Commit-time validation: unresolved references. Returns error lines (empty = valid).
/// Template contents are partial by design (they combine in stacks and with local
/// config), so only the device's own containers are checked.
pub fn commit_errors(tree: &Element) -> Vec<String> {
    let all = containers(tree);
    let parents = dg_parents(tree);
    let mut defined = Defined::default();
    let mut errors = Vec::new();
    for con in all.iter().filter(|c| !c.template) {
        let Some(c) = xpath::get(tree, &con.path) else {
            continue;
        };
        let shared = all
            .iter()
            .find(|s| s.shared && s.root == con.root)
            .and_then(|s| xpath::get(tree, &s.path));
        let ancestors: Vec<&Element> = match &con.dg {
            Some(dg) => dg_ancestors(&parents, dg)
                .iter()
                .filter_map(|a| {
                    all.iter()
                        .find(|x| x.dg.as_deref() == Some(a.as_str()))
                        .and_then(|x| xpath::get(tree, &x.path))
                })
                .collect(),
            None => Vec::new(),
        };
        for r in refs_in(c) {
            if builtin(r.family, &r.name) || defined.defines(c, r.family, &r.name) {
                continue;
            }
            if !con.shared && shared.is_some_and(|s| defined.defines(s, r.family, &r.name)) {
                continue;
            }
            if ancestors
                .iter()
                .any(|x| defined.defines(x, r.family, &r.name))
            {
                continue;
            }
            errors.push(format!(
                " {} -> {} '{}' is not a valid reference",
                con.desc, r.desc, r.name
            ));
            errors.push(format!(" {} -> {} is invalid", con.desc, r.desc));
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert!(valid_netmask("10.0.0.0/8"));
        assert!(valid_netmask("2001:db8::/32"));
        assert!(!valid_netmask("10.0.0.0/33"));
        assert!(!valid_netmask("10.0.0"));
        assert!(valid_range("10.0.0.1-10.0.0.9"));
        assert!(!valid_range("10.0.0.9-10.0.0.1"));
        assert!(valid_fqdn("www.example.com"));
        assert!(!valid_fqdn("bad..example"));
    }

    #[test]
    fn names() {
        let ctx = vec!["address".to_string()];
        assert!(check_name(&ctx, "ok name-1.x", false).is_ok());
        assert!(check_name(&ctx, "x' or '1'='1", false).is_err());
        assert!(check_name(&ctx, "-lead", false).is_err());
    }

    #[test]
    fn bound_certificate_cannot_be_deleted() {
        let tree = crate::xml::parse(
            "<config><shared/><devices><entry name='localhost.localdomain'><template><entry name='T'><config><shared><certificate><entry name='c1'/><entry name='c2'/></certificate><ssl-tls-service-profile><entry name='p1'><certificate>c1</certificate></entry></ssl-tls-service-profile></shared></config></entry></template></entry></devices></config>",
        )
        .unwrap();
        let x = crate::xpath::XPath::parse("/config/devices/entry/template/entry[@name='T']/config/shared/certificate/entry[@name='c1']").unwrap();
        let e = check_delete(&tree, &x.select(&tree)).unwrap_err();
        assert_eq!(e.code, 10);
        assert!(e.lines.iter().any(|l| l.contains("p1")), "{e:?}");
        let x = crate::xpath::XPath::parse("/config/devices/entry/template/entry[@name='T']/config/shared/certificate/entry[@name='c2']").unwrap();
        assert!(check_delete(&tree, &x.select(&tree)).is_ok());
        // template contents are not validated at commit
        assert!(commit_errors(&tree).is_empty());
    }
}
