//! Concrete config paths, and the firewall-side template layer: what Panorama templates
//! pushed, local overrides of it (`action=override`), and the device errors around it.
//!
//! Behaviour modelled (pan-python's `override` change notes, kevinsteves/pan-python#3, and
//! the "set failed, may need to override template object first" error seen by XSOAR users):
//! `override` acts like `set` but only on nodes a template pushed; `set` / `edit` of a
//! template-pushed value that was not overridden is refused; deleting an override brings the
//! template value back, because the template configuration stays underneath.

use std::collections::BTreeSet;

use crate::device::{self, ApiError, ConfigReq, TemplateLayer};
use crate::xml::{self, Element};
use crate::xpath::{self, XPath};

/// One step of a concrete path: tag and `name` attribute.
pub type Step = (String, Option<String>);

/// The steps from the root to the node at index path `path` (root included).
pub fn steps_of(tree: &Element, path: &[usize]) -> Vec<Step> {
    let mut out = vec![(tree.name.clone(), None)];
    let mut cur = tree;
    for &i in path {
        let Some(c) = cur.children.get(i) else {
            break;
        };
        out.push((c.name.clone(), c.name_attr().map(str::to_string)));
        cur = c;
    }
    out
}

/// The steps of an xpath made only of plain names and single `@name` predicates.
pub fn steps_of_xpath(xp: &XPath) -> Option<Vec<Step>> {
    xp.steps
        .iter()
        .map(|s| {
            let name = s.name.clone()?;
            if s.preds.is_empty() {
                Some((name, None))
            } else {
                s.single_name().map(|n| (name, Some(n.to_string())))
            }
        })
        .collect()
}

/// Where a write lands: the existing nodes the xpath selects, else the node it would create.
pub fn write_targets(tree: &Element, xp: &XPath) -> Vec<Vec<Step>> {
    let sel = xp.select(tree);
    if sel.is_empty() {
        return steps_of_xpath(xp).into_iter().collect();
    }
    sel.iter().map(|p| steps_of(tree, p)).collect()
}

/// `/config/devices/entry[@name='localhost.localdomain']/...` for a list of steps.
pub fn canonical(steps: &[Step]) -> String {
    let mut s = String::new();
    for (tag, name) in steps {
        s.push('/');
        s.push_str(tag);
        if let Some(n) = name {
            s.push_str("[@name=");
            s.push_str(&xpath::quote(n));
            s.push(']');
        }
    }
    s
}

/// The element at a concrete path (`steps[0]` is the root).
pub fn resolve<'a>(tree: &'a Element, steps: &[Step]) -> Option<&'a Element> {
    let (first, rest) = steps.split_first()?;
    if first.0 != tree.name {
        return None;
    }
    let mut cur = tree;
    for (tag, name) in rest {
        cur = cur
            .children
            .iter()
            .find(|c| c.name == *tag && c.name_attr() == name.as_deref())?;
    }
    Some(cur)
}

/// The leaves a fragment writes under `at`: text / empty elements and member lists.
fn leaves(el: &Element, at: &mut Vec<Step>, out: &mut Vec<Vec<Step>>, depth: usize) {
    at.push((el.name.clone(), el.name_attr().map(str::to_string)));
    let list = !el.children.is_empty() && el.children.iter().all(|c| c.name == "member");
    if el.children.is_empty() || list || depth > 64 {
        out.push(at.clone());
    } else {
        for c in &el.children {
            leaves(c, at, out, depth + 1);
        }
    }
    at.pop();
}

/// Every concrete leaf path a `set`/`override` (or `edit`) of `frag` at `xp` writes.
fn written_leaves(tree: &Element, xp: &XPath, frag: &[Element], edit: bool) -> Vec<Vec<Step>> {
    let mut out = Vec::new();
    let targets = if edit {
        // edit replaces the last step: the element itself is written under the parent
        xp.parent()
            .map(|p| write_targets(tree, &p))
            .unwrap_or_default()
    } else {
        write_targets(tree, xp)
    };
    for t in targets {
        let mut at = t;
        for f in frag {
            leaves(f, &mut at, &mut out, 0);
        }
    }
    out
}

fn covered(overrides: &BTreeSet<String>, path: &str) -> bool {
    overrides.iter().any(|o| {
        path == o
            || path
                .strip_prefix(o.as_str())
                .is_some_and(|r| r.starts_with('/'))
    })
}

fn in_template(layer: &TemplateLayer, steps: &[Step]) -> bool {
    resolve(&layer.config, steps).is_some()
}

fn parse(req: &ConfigReq) -> Result<(XPath, Vec<Element>), ApiError> {
    let xp = XPath::parse(&req.xpath).map_err(|e| ApiError::new(6, format!("Bad Xpath: {e}")))?;
    let frag = match req.element.as_deref() {
        Some(e) => xml::parse_fragment(e)
            .map_err(|e| ApiError::new(18, format!("Malformed Request: {e}")))?,
        None => Vec::new(),
    };
    Ok((xp, frag))
}

/// A write on a device that may hold template-pushed configuration. `set`/`edit` of a
/// template value needs an override first; `override` needs a template node; `delete` of an
/// override restores the template value. Other actions (and devices with nothing pushed)
/// behave as [`device::apply_write`].
pub fn apply_write_layered(
    tree: &mut Element,
    layer: &mut TemplateLayer,
    req: &ConfigReq,
    admin: &str,
    panorama: bool,
) -> Result<(), ApiError> {
    let nothing_pushed = layer.config.children.is_empty();
    match req.action.as_str() {
        "override" => {
            let (xp, frag) = parse(req)?;
            let targets = write_targets(tree, &xp);
            let leaves = written_leaves(tree, &xp, &frag, false);
            // every value overridden must come from a template (the target itself when the
            // element is empty)
            let not_template = if leaves.is_empty() {
                targets.iter().find(|t| !in_template(layer, t))
            } else {
                leaves.iter().find(|l| !in_template(layer, l))
            };
            if nothing_pushed || targets.is_empty() || not_template.is_some() {
                let what = not_template
                    .map(|p| canonical(p))
                    .unwrap_or_else(|| req.xpath.clone());
                // wording not documented; modelled on the "set failed, ..." error (a guess)
                return Err(ApiError::new(
                    12,
                    format!(
                        "override failed, {} is not a template object",
                        what.chars().take(300).collect::<String>()
                    ),
                ));
            }
            device::apply_write(tree, req, admin, panorama)?;
            if leaves.is_empty() {
                for t in &targets {
                    layer.overrides.insert(canonical(t));
                }
            }
            for l in leaves {
                layer.overrides.insert(canonical(&l));
            }
            Ok(())
        }
        "set" | "edit" if !nothing_pushed => {
            let (xp, frag) = parse(req)?;
            for l in written_leaves(tree, &xp, &frag, req.action == "edit") {
                if in_template(layer, &l) && !covered(&layer.overrides, &canonical(&l)) {
                    return Err(ApiError::new(
                        12,
                        format!(
                            "{} failed, may need to override template object first",
                            req.action
                        ),
                    ));
                }
            }
            device::apply_write(tree, req, admin, panorama)
        }
        "delete" if !nothing_pushed => {
            let (xp, _) = parse(req)?;
            let sel = xp.select(tree);
            let mut restore: Vec<Vec<Step>> = Vec::new();
            for p in &sel {
                let steps = steps_of(tree, p);
                if !in_template(layer, &steps) {
                    continue;
                }
                let c = canonical(&steps);
                let inner = format!("{c}/");
                let overridden: Vec<String> = layer
                    .overrides
                    .iter()
                    .filter(|o| **o == c || o.starts_with(&inner))
                    .cloned()
                    .collect();
                if overridden.is_empty() && !covered(&layer.overrides, &c) {
                    return Err(ApiError::new(
                        12,
                        "delete failed, may need to override template object first",
                    ));
                }
                for o in overridden {
                    layer.overrides.remove(&o);
                }
                restore.push(steps);
            }
            if restore.is_empty() {
                return device::apply_write(tree, req, admin, panorama);
            }
            // the override goes away and the template value shows again
            for steps in restore {
                let Some(tpl) = resolve(&layer.config, &steps).cloned() else {
                    continue;
                };
                let x = XPath::parse(&canonical(&steps))
                    .map_err(|e| ApiError::new(6, format!("Bad Xpath: {e}")))?;
                for p in x.select(tree) {
                    if let Some(node) = xpath::get_mut(tree, &p) {
                        *node = tpl.clone();
                    }
                }
            }
            Ok(())
        }
        _ => device::apply_write(tree, req, admin, panorama),
    }
}

fn same_node(a: &Element, b: &Element) -> bool {
    a.name == b.name
        && a.name_attr() == b.name_attr()
        && (a.name != "member" || a.text_str() == b.text_str())
}

/// Remove from a firewall tree what an earlier template push (`old`) put there and the new
/// push (`new`) no longer has: a template push replaces the template's values on the device,
/// so a certificate or member deleted in the template goes away on the firewall too.
pub fn remove_stale(tree: &mut Element, old: &Element, new: &Element) {
    for o in &old.children {
        match new.children.iter().find(|n| same_node(n, o)) {
            Some(n) => {
                if let Some(t) = tree.children.iter_mut().find(|t| same_node(t, o)) {
                    remove_stale(t, o, n);
                }
            }
            None => tree.children.retain(|t| !same_node(t, o)),
        }
    }
}

/// Merge a template push into a firewall tree, keeping local overrides on top.
pub fn merge_push(tree: &mut Element, pushed: &Element, overrides: &BTreeSet<String>) {
    let mut kept: Vec<(XPath, Element)> = Vec::new();
    for o in overrides {
        let Ok(x) = XPath::parse(o) else {
            continue;
        };
        if let Some(e) = x
            .select(tree)
            .first()
            .and_then(|p| xpath::get(tree, p))
            .cloned()
        {
            kept.push((x, e));
        }
    }
    device::deep_merge(tree, pushed);
    for (x, e) in kept {
        for p in x.select(tree) {
            if let Some(node) = xpath::get_mut(tree, &p) {
                *node = e.clone();
            }
        }
    }
}

// ---- Panorama's record of what it pushed to each managed firewall -------------------

/// The outcome of the last push of one kind (device-group policy or template) to a firewall.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PushState {
    /// md5 of what the last successful push brought (`None`: never pushed).
    pub md5: Option<String>,
    /// Successful pushes so far (Panorama's `shared-policy-version`).
    pub version: u64,
    /// Outcome of the last push, as `last-commit-all-state-sp|tpl` reads
    /// (`commit succeeded`, `commit failed`); `None` before the first push.
    pub last: Option<String>,
}

/// What Panorama last pushed to one managed firewall, from which it derives the sync status
/// of `show devicegroups`, `show templates` and `show template-stack`. A firewall is
/// "In Sync" while the md5 of what Panorama's *running* configuration would push to it now
/// equals the md5 of its last successful push: changing a device group (or `shared`, or an
/// ancestor group) or a template and committing that on Panorama turns its firewalls
/// "Out of Sync" until the next push reaches them; uncommitted candidate edits change
/// nothing, as on Panorama.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PushRecord {
    /// Device-group policy and objects.
    pub policy: PushState,
    /// Template / template-stack configuration.
    pub template: PushState,
}

/// `commit succeeded`, the wording of `last-commit-all-state-sp|tpl` read by a public
/// Panorama admin script (`summarizeCommitStatus`, which also knows `commit failed`,
/// `commit succeeded with warnings` and `not connected`).
pub const PUSH_SUCCEEDED: &str = "commit succeeded";
/// See [`PUSH_SUCCEEDED`].
pub const PUSH_FAILED: &str = "commit failed";

impl PushState {
    /// Record a successful push of configuration whose md5 is `md5`.
    pub fn succeeded(&mut self, md5: String) {
        self.md5 = Some(md5);
        self.version += 1;
        self.last = Some(PUSH_SUCCEEDED.into());
    }

    /// Record a failed push (the firewall keeps what it had).
    pub fn failed(&mut self) {
        self.last = Some(PUSH_FAILED.into());
    }

    /// Whether the firewall has what Panorama would push now (`current`).
    pub fn in_sync(&self, current: Option<&str>) -> bool {
        self.md5.is_some() && self.md5.as_deref() == current
    }
}

/// The status words Panorama uses (`shared-policy-status`, `template-status`), as compared
/// by pan-os-python (`refresh_devices`) and the public admin scripts that read them.
pub fn sync_word(in_sync: bool) -> &'static str {
    if in_sync { "In Sync" } else { "Out of Sync" }
}

/// md5 (lowercase hex) of an element without its annotations (`admin`, `time`, …), so that
/// only configuration content counts.
pub fn md5_hex(el: &Element) -> String {
    use md5::{Digest, Md5};
    let mut c = el.clone();
    c.strip_annotations();
    Md5::digest(c.to_xml().as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn device_groups(pano: &Element) -> Option<&Element> {
    pano.find("devices")
        .and_then(|d| d.entry_child("localhost.localdomain"))
        .and_then(|l| l.child("device-group"))
}

/// md5 of the policy a push of device group `dg` brings: `shared`, the ancestor groups and
/// the group itself, without the member lists (adding a firewall to a group does not change
/// what the others have). `None` when the group does not exist.
pub fn policy_md5(pano: &Element, dg: &str) -> Option<String> {
    let groups = device_groups(pano)?;
    let own = groups.entry_child(dg)?;
    let mut policy = Element::new("policy");
    if let Some(s) = pano.child("shared") {
        policy.children.push(s.clone());
    }
    let parents = crate::validate::dg_parents(pano);
    let chain = crate::validate::dg_ancestors(&parents, dg);
    for g in chain
        .iter()
        .rev()
        .filter_map(|a| groups.entry_child(a))
        .chain(std::iter::once(own))
    {
        let mut g = g.clone();
        g.children.retain(|c| c.name != "devices");
        policy.children.push(g);
    }
    Some(md5_hex(&policy))
}

#[cfg(test)]
mod sync_tests {
    use super::*;

    fn pano(addr: &str) -> Element {
        xml::parse(&format!("<config><shared><address><entry name='s'><ip-netmask>{addr}</ip-netmask></entry></address></shared><devices><entry name='localhost.localdomain'><device-group><entry name='parent'><address/></entry><entry name='dg'><devices><entry name='FW1'/></devices><address><entry name='a'/></address></entry></device-group></entry></devices><readonly><devices><entry name='localhost.localdomain'><device-group><entry name='dg'><parent-dg>parent</parent-dg></entry></device-group></entry></devices></readonly></config>")).unwrap()
    }

    #[test]
    fn policy_md5_follows_shared_and_the_group_but_not_membership() {
        let a = pano("192.0.2.1");
        let m = policy_md5(&a, "dg").unwrap();
        assert_eq!(m.len(), 32);
        assert_eq!(policy_md5(&a, "dg"), Some(m.clone()));
        assert_ne!(
            policy_md5(&pano("192.0.2.2"), "dg").unwrap(),
            m,
            "shared counts"
        );
        let mut b = a.clone();
        let x =
            XPath::parse("/config/devices/entry/device-group/entry[@name='dg']/devices").unwrap();
        let p = x.select(&b)[0].clone();
        xpath::get_mut(&mut b, &p)
            .unwrap()
            .children
            .push(Element::new("entry"));
        assert_eq!(
            policy_md5(&b, "dg").unwrap(),
            m,
            "membership does not count"
        );
        let x = XPath::parse("/config/devices/entry/device-group/entry[@name='parent']/address")
            .unwrap();
        let p = x.select(&b)[0].clone();
        xpath::get_mut(&mut b, &p)
            .unwrap()
            .children
            .push(Element::new("entry"));
        assert_ne!(policy_md5(&b, "dg").unwrap(), m, "an ancestor counts");
        assert_eq!(policy_md5(&a, "nope"), None);
    }

    #[test]
    fn push_state_is_in_sync_only_with_what_was_pushed() {
        let mut s = PushState::default();
        assert!(!s.in_sync(Some("x")), "never pushed");
        s.succeeded("x".into());
        assert!(s.in_sync(Some("x")));
        assert!(!s.in_sync(Some("y")));
        assert!(!s.in_sync(None));
        s.failed();
        assert_eq!(s.last.as_deref(), Some(PUSH_FAILED));
        assert_eq!((s.version, s.md5.as_deref()), (1, Some("x")));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remove_stale_drops_what_the_new_push_no_longer_has() {
        let old = xml::parse("<config><shared><certificate><entry name='a'/><entry name='b'/></certificate><p><member>x</member><member>y</member></p></shared></config>").unwrap();
        let new = xml::parse("<config><shared><certificate><entry name='b'/></certificate><p><member>y</member></p></shared></config>").unwrap();
        let mut tree = xml::parse("<config><shared><certificate><entry name='a'/><entry name='b'/><entry name='local'/></certificate><p><member>x</member><member>y</member></p></shared><mine/></config>").unwrap();
        remove_stale(&mut tree, &old, &new);
        let s = tree.to_xml();
        assert!(!s.contains("name=\"a\""), "{s}");
        assert!(
            s.contains("name=\"b\"") && s.contains("name=\"local\"") && s.contains("<mine"),
            "{s}"
        );
        assert!(
            !s.contains("<member>x</member>") && s.contains("<member>y</member>"),
            "{s}"
        );
    }

    const SYS: &str = "/config/devices/entry[@name='localhost.localdomain']/deviceconfig/system";

    fn setup() -> (Element, TemplateLayer) {
        let pushed = xml::parse("<config><devices><entry name='localhost.localdomain'><deviceconfig><system><login-banner>from panorama</login-banner><dns-setting><servers><primary>192.0.2.53</primary></servers></dns-setting></system></deviceconfig></entry></devices></config>").unwrap();
        let mut tree = xml::parse("<config><devices><entry name='localhost.localdomain'><deviceconfig><system><hostname>fw</hostname></system></deviceconfig></entry></devices></config>").unwrap();
        let layer = TemplateLayer {
            config: pushed.clone(),
            overrides: BTreeSet::new(),
        };
        merge_push(&mut tree, &pushed, &layer.overrides);
        (tree, layer)
    }

    fn req(action: &str, xpath: &str, element: Option<&str>) -> ConfigReq {
        ConfigReq {
            action: action.into(),
            xpath: xpath.into(),
            element: element.map(str::to_string),
            ..Default::default()
        }
    }

    fn banner(tree: &Element) -> String {
        tree.find("devices/entry/deviceconfig/system/login-banner")
            .map(|e| e.text_str().to_string())
            .unwrap_or_default()
    }

    #[test]
    fn override_wins_and_template_stays_underneath() {
        let (mut tree, mut layer) = setup();
        let e = apply_write_layered(
            &mut tree,
            &mut layer,
            &req("set", SYS, Some("<login-banner>local</login-banner>")),
            "admin",
            false,
        )
        .unwrap_err();
        assert_eq!(
            e.lines,
            vec!["set failed, may need to override template object first".to_string()]
        );
        // a local-only value is fine
        apply_write_layered(
            &mut tree,
            &mut layer,
            &req("set", SYS, Some("<hostname>edge</hostname>")),
            "admin",
            false,
        )
        .unwrap();
        // override of something no template pushed is refused
        let e = apply_write_layered(
            &mut tree,
            &mut layer,
            &req("override", SYS, Some("<hostname>x</hostname>")),
            "admin",
            false,
        )
        .unwrap_err();
        assert!(e.lines[0].contains("is not a template object"), "{e:?}");
        apply_write_layered(
            &mut tree,
            &mut layer,
            &req("override", SYS, Some("<login-banner>local</login-banner>")),
            "admin",
            false,
        )
        .unwrap();
        assert_eq!(banner(&tree), "local");
        // a new push keeps the override on top
        let pushed = layer.config.clone();
        merge_push(&mut tree, &pushed, &layer.overrides);
        assert_eq!(banner(&tree), "local");
        // after the override, set works too
        apply_write_layered(
            &mut tree,
            &mut layer,
            &req("set", SYS, Some("<login-banner>local2</login-banner>")),
            "admin",
            false,
        )
        .unwrap();
        // deleting the override restores the template value
        apply_write_layered(
            &mut tree,
            &mut layer,
            &req("delete", &format!("{SYS}/login-banner"), None),
            "admin",
            false,
        )
        .unwrap();
        assert_eq!(banner(&tree), "from panorama");
        assert!(layer.overrides.is_empty());
        // and a template value that is not overridden cannot be deleted locally
        let e = apply_write_layered(
            &mut tree,
            &mut layer,
            &req("delete", &format!("{SYS}/login-banner"), None),
            "admin",
            false,
        )
        .unwrap_err();
        assert!(e.lines[0].starts_with("delete failed"), "{e:?}");
    }

    #[test]
    fn override_without_any_template_is_refused() {
        let mut tree = xml::parse("<config><shared/></config>").unwrap();
        let mut layer = TemplateLayer::default();
        let e = apply_write_layered(
            &mut tree,
            &mut layer,
            &req("override", "/config/shared", Some("<tag/>")),
            "admin",
            false,
        )
        .unwrap_err();
        assert_eq!(e.code, 12);
        assert!(tree.find("shared/tag").is_none());
    }
}
