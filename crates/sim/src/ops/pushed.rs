//! `show config pushed-shared-policy [vsys N]` on a firewall: what Panorama's last
//! device-group push brought, kept apart from the local configuration.
//!
//! Shape: `result/policy/panorama/{address,address-group,…}/entry` and
//! `…/panorama/{pre-rulebase,post-rulebase}/<type>/rules/entry`, each pushed entry with a
//! `loc` attribute naming the Panorama location it came from (`shared` or the device group).
//! Sources: a public script reading `policy/panorama/address/entry`,
//! `policy/panorama/pre-rulebase/security/rules/entry` and `…/post-rulebase/…` from this
//! command (jayshepherd, firewall rule audit via pan.xapi + xmltodict), and a lab note
//! (PA-5220 / PA-VM, PAN-OS 11.1–11.2) saying that Panorama *Shared* objects answer the
//! command without a vsys while *device-group* objects answer `… pushed-shared-policy vsys
//! N` only. Rules are listed by both (the simulator pushes to vsys1); the exact split of rules
//! between the two forms is not in our sources.

use crate::device::{ApiError, Device};
use crate::validate;
use crate::xml::Element;

use crate::api::{PUSHED_OBJECT_KINDS as OBJECT_KINDS, PUSHED_RULE_TYPES as RULE_TYPES};

/// The `<policy><panorama>` tree a push of device group `dg` brings, from Panorama's running
/// configuration: shared, then the ancestors from the top down, then the group itself; a
/// name defined lower in the hierarchy replaces the same name from above.
pub fn pushed_policy(pano: &Element, dg: &str) -> Element {
    let dgs = pano
        .find("devices")
        .and_then(|d| d.entry_child("localhost.localdomain"))
        .and_then(|l| l.child("device-group"));
    let mut chain: Vec<(Option<&Element>, String)> = vec![(pano.child("shared"), "shared".into())];
    let parents = validate::dg_parents(pano);
    for a in validate::dg_ancestors(&parents, dg).iter().rev() {
        chain.push((dgs.and_then(|g| g.entry_child(a)), a.clone()));
    }
    chain.push((dgs.and_then(|g| g.entry_child(dg)), dg.to_string()));
    let mut out = Element::new("panorama");
    for kind in OBJECT_KINDS {
        let mut container = Element::new(*kind);
        for (src, loc) in &chain {
            for e in src
                .and_then(|s| s.child(kind))
                .map(|o| o.children.as_slice())
                .unwrap_or(&[])
            {
                let mut e = e.clone();
                e.strip_annotations();
                e.set_attr("loc", loc.as_str());
                if let Some(n) = e.name_attr().map(str::to_string) {
                    container
                        .children
                        .retain(|x| x.name_attr() != Some(n.as_str()));
                }
                container.children.push(e);
            }
        }
        if !container.children.is_empty() {
            out.children.push(container);
        }
    }
    for rb in ["pre-rulebase", "post-rulebase"] {
        let mut base = Element::new(rb);
        for rtype in RULE_TYPES {
            // pre-rules top-down (shared first), post-rules bottom-up (device group first)
            let order: Vec<&(Option<&Element>, String)> = if rb == "post-rulebase" {
                chain.iter().rev().collect()
            } else {
                chain.iter().collect()
            };
            let mut rules = Element::new("rules");
            for (src, loc) in order {
                for e in src
                    .and_then(|s| s.child(rb))
                    .and_then(|r| r.child(rtype))
                    .and_then(|r| r.child("rules"))
                    .map(|r| r.children.as_slice())
                    .unwrap_or(&[])
                {
                    let mut e = e.clone();
                    e.strip_annotations();
                    e.set_attr("loc", loc.as_str());
                    rules.children.push(e);
                }
            }
            if !rules.children.is_empty() {
                base.children.push(Element::new(*rtype).with_child(rules));
            }
        }
        if !base.children.is_empty() {
            out.children.push(base);
        }
    }
    Element::new("policy").with_child(out)
}

/// `show config pushed-shared-policy [vsys N]`: shared-scope objects without a vsys, the
/// device-group objects with one; the rules in both.
pub fn show(dev: &Device, sub: &Element) -> Result<String, ApiError> {
    if dev.panorama {
        return Err(ApiError::new(
            17,
            "show config pushed-shared-policy is a firewall command",
        ));
    }
    let vsys = sub
        .find_text("vsys")
        .map(str::trim)
        .filter(|v| !v.is_empty());
    if let Some(v) = vsys {
        crate::ops::check_vsys(dev, v)?;
    }
    let mut policy = dev.pushed_policy.clone();
    let pushed_to_vsys = vsys.is_none_or(|v| v == "vsys1");
    if let Some(p) = policy.child_mut("panorama") {
        p.children.retain_mut(|c| {
            if c.name.ends_with("rulebase") {
                return pushed_to_vsys;
            }
            c.children.retain(|e| match vsys {
                None => e.attr("loc") == Some("shared"),
                Some(_) => pushed_to_vsys && e.attr("loc") != Some("shared"),
            });
            !c.children.is_empty()
        });
    }
    Ok(format!(
        "<response status=\"success\"><result>{}</result></response>",
        policy.to_xml()
    ))
}
