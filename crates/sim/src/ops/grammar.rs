//! The op-command schema: which words the simulator's op commands accept, so that a typo or
//! an extra word is refused the way the device refuses it, naming the word the schema check
//! stopped at (`show -> sytem  is unexpected`, code 17; the text comes from device replies
//! quoted in pan-python issue #24, pan-os-python issue #122 and ansible-pan issue #58), rather
//! than answering as if the word were not there.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use crate::device::ApiError;
use crate::xml::Element;

/// One line per command path. A plain word is a keyword (an element without text); `word=`
/// takes a value (text); `word*` takes anything below (filters, xpaths, and the commands of
/// other modules that check their own arguments).
const SPEC: &str = "
show system info
show system resources
show system environmentals thermal
show system environmentals fan
show system environmentals power
show system environmentals power-supply
show system disk-space
show running resource-monitor second last=
show running resource-monitor minute last=
show running resource-monitor hour last=
show running resource-monitor day last=
show running resource-monitor week last=
show jobs id=
show jobs all
show jobs processed
show jobs pending
show session info
show session id=
show session all*
clear session id=
clear session all*
show counter interface=
show counter global filter*
show counter global delta=
show interface=
show routing route*
show routing summary
show routing protocol bgp peer peer-name=
show routing protocol bgp peer virtual-router=
show routing protocol bgp summary*
show high-availability state
show high-availability all
request high-availability*
request license info
show user ip-user-mapping ip=
show user ip-user-mapping all option=
show user ip-user-mapping-mp ip=
show user ip-user-mapping-mp all option=
show user group name=
show user group list
show user dynamic-user-group name=
show user user-attributes user=
show user user-id-agent state=
show user user-id-agent statistics
show object registered-ip*
show object registered-user*
show object dynamic-user-group name=
show object dynamic-address-group name=
show object dynamic-address-group all
show config*
show sslmgr-store*
show clock
check pending-changes
show commit-locks
show config-locks
request commit-lock add comment=
request commit-lock remove admin=
request config-lock add comment=
request config-lock remove admin=
revert config*
load*
save*
set*
export*
show dg-hierarchy
request move-dg*
show templates*
show rule-hit-count*
request restart system
show devices all
show devices connected
show devicegroups*
show vpn flow tunnel-id=
show vpn ike-sa*
show vpn ipsec-sa*
show vpn tunnel*
show global-protect-gateway statistics gateway=
show global-protect-gateway current-user*
";

#[derive(Default, Debug)]
struct Node {
    /// Accepts text.
    value: bool,
    /// Accepts anything below.
    free: bool,
    children: BTreeMap<String, Node>,
}

fn schema() -> &'static Node {
    static S: OnceLock<Node> = OnceLock::new();
    S.get_or_init(|| {
        let mut root = Node::default();
        for line in SPEC.lines().filter(|l| !l.trim().is_empty()) {
            let mut cur = &mut root;
            for tok in line.split_whitespace() {
                let (name, value, free) = if let Some(n) = tok.strip_suffix('=') {
                    (n, true, false)
                } else if let Some(n) = tok.strip_suffix('*') {
                    (n, true, true)
                } else {
                    (tok, false, false)
                };
                cur = cur.children.entry(name.to_string()).or_default();
                cur.value |= value;
                cur.free |= free;
            }
        }
        root
    })
}

fn unexpected(path: &[&str]) -> ApiError {
    ApiError::new(17, format!("{}  is unexpected", path.join(" -> ")))
}

/// Check `el` against the schema: `Err` with the device's text naming the first word that
/// does not belong (depth first, in document order).
pub fn check(el: &Element) -> Result<(), ApiError> {
    let Some(node) = schema().children.get(&el.name) else {
        return Err(unexpected(&[&el.name]));
    };
    let mut path = vec![el.name.as_str()];
    walk(node, el, &mut path)
}

fn walk<'a>(node: &Node, el: &'a Element, path: &mut Vec<&'a str>) -> Result<(), ApiError> {
    if node.free {
        return Ok(());
    }
    if !node.value && !el.text_str().trim().is_empty() {
        return Err(ApiError::new(
            17,
            format!("{} has unexpected text.", path.join(" -> ")),
        ));
    }
    for c in &el.children {
        path.push(c.name.as_str());
        let Some(n) = node.children.get(&c.name) else {
            return Err(unexpected(path));
        };
        walk(n, c, path)?;
        path.pop();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(cmd: &str) -> String {
        let el = crate::xml::parse(cmd).unwrap();
        check(&el).unwrap_err().lines.join("\n")
    }

    #[test]
    fn names_the_word_it_stopped_at() {
        assert_eq!(
            err("<show><sytem><info/></sytem></show>"),
            "show -> sytem  is unexpected"
        );
        assert_eq!(
            err("<show><system><info><bogus/></info></system></show>"),
            "show -> system -> info -> bogus  is unexpected"
        );
        assert_eq!(err("<shw/>"), "shw  is unexpected");
        assert_eq!(
            err("<show><clock>more</clock></show>"),
            "show -> clock has unexpected text."
        );
        let ok = crate::xml::parse("<show><jobs><id>4</id></jobs></show>").unwrap();
        assert!(check(&ok).is_ok());
    }
}
