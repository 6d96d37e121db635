//! Streaming config index: counts, lookups, locations, reverse index, errors.

use panops_panos::config_index::synth::{SynthParams, write_synthetic_panorama};
use panops_panos::config_index::{
    AddressKind, ConfigIndex, IndexError, IndexLocation, Referrer, RuleBase, RuleField,
    ServiceProtocol,
};

const FIREWALL: &str = r#"<?xml version="1.0"?>
<response status="success"><result>
<config version="11.1.0">
  <shared>
    <address>
      <entry name="dns-1"><ip-netmask>192.0.2.53</ip-netmask></entry>
      <entry name="it's &amp; quoted"><fqdn>q.example</fqdn></entry>
    </address>
    <tag><entry name="prod"><color>color3</color></entry></tag>
  </shared>
  <devices>
    <entry name="localhost.localdomain">
      <network><interface><ethernet><entry name="ethernet1/1"/></ethernet></interface></network>
      <vsys>
        <entry name="vsys1">
          <address>
            <entry name="web-1"><ip-netmask>10.0.0.1/32</ip-netmask><tag><member>prod</member></tag></entry>
            <entry name="range-1"><ip-range>10.0.0.1-10.0.0.9</ip-range></entry>
            <entry name="empty"/>
          </address>
          <address-group>
            <entry name="web-servers"><static><member>web-1</member><member>range-1</member></static></entry>
            <entry name="dyn"><dynamic><filter>'prod' and 'web'</filter></dynamic></entry>
            <entry name="all-web"><static><member>web-servers</member></static></entry>
          </address-group>
          <service>
            <entry name="tcp-8443"><protocol><tcp><port>8443</port><source-port>1024-65535</source-port></tcp></protocol></entry>
            <entry name="udp-53"><protocol><udp><port>53</port></udp></protocol></entry>
          </service>
          <service-group><entry name="web-svcs"><members><member>tcp-8443</member></members></entry></service-group>
          <rulebase>
            <security>
              <rules>
                <entry name="allow-web" uuid="1">
                  <from><member>untrust</member></from><to><member>dmz</member></to>
                  <source><member>any</member></source>
                  <destination><member>web-servers</member><member>dns-1</member></destination>
                  <service><member>web-svcs</member></service>
                  <application><member>ssl</member></application>
                  <action>allow</action>
                  <target><devices><entry name="x"><vsys><entry name="vsys9"/></vsys></entry></devices></target>
                </entry>
                <entry name="block-all"><from><member>any</member></from><action>deny</action><disabled>yes</disabled></entry>
              </rules>
            </security>
            <nat><rules><entry name="nat-1"/></rules></nat>
          </rulebase>
        </entry>
      </vsys>
    </entry>
  </devices>
</config>
</result></response>"#;

#[test]
fn firewall_config_is_indexed_by_vsys() {
    let index = ConfigIndex::from_reader(FIREWALL.as_bytes()).unwrap();
    let counts = index.counts();
    assert_eq!(
        (
            counts.addresses,
            counts.address_groups,
            counts.services,
            counts.service_groups,
            counts.tags,
            counts.security_rules
        ),
        (5, 3, 2, 1, 1, 2)
    );
    let vsys1 = IndexLocation::Vsys("vsys1");
    let web = index.address(&vsys1, "web-1").unwrap();
    assert_eq!(
        (web.kind, web.value),
        (AddressKind::IpNetmask, "10.0.0.1/32")
    );
    assert_eq!(web.tags.to_vec(), ["prod"]);
    assert_eq!(
        index.address(&vsys1, "range-1").unwrap().kind,
        AddressKind::IpRange
    );
    assert_eq!(
        index.address(&vsys1, "empty").unwrap().kind,
        AddressKind::Unknown
    );
    assert!(index.address(&IndexLocation::Shared, "web-1").is_none());
    assert_eq!(
        index
            .address(&IndexLocation::Shared, "it's & quoted")
            .unwrap()
            .value,
        "q.example"
    );
    let dyn_group = index.address_group(&vsys1, "dyn").unwrap();
    assert_eq!(dyn_group.filter, Some("'prod' and 'web'"));
    assert!(dyn_group.members.is_empty());
    let svc = index.service(&vsys1, "tcp-8443").unwrap();
    assert_eq!(
        (svc.protocol, svc.port, svc.source_port),
        (ServiceProtocol::Tcp, Some("8443"), Some("1024-65535"))
    );
    assert_eq!(
        index.service(&vsys1, "udp-53").unwrap().protocol,
        ServiceProtocol::Udp
    );
    assert_eq!(
        index
            .service_group(&vsys1, "web-svcs")
            .unwrap()
            .members
            .to_vec(),
        ["tcp-8443"]
    );
    assert_eq!(
        index.tag(&IndexLocation::Shared, "prod").unwrap().color,
        Some("color3")
    );
    let rule = index
        .security_rule(&vsys1, RuleBase::Local, "allow-web")
        .unwrap();
    assert_eq!(rule.destination.to_vec(), ["web-servers", "dns-1"]);
    assert_eq!(
        (rule.action, rule.disabled, rule.position),
        (Some("allow"), false, 0)
    );
    assert_eq!(rule.from.to_vec(), ["untrust"]);
    let block = index
        .security_rule(&vsys1, RuleBase::Local, "block-all")
        .unwrap();
    assert_eq!(
        (block.action, block.disabled, block.position),
        (Some("deny"), true, 1)
    );
    assert!(
        index
            .security_rule(&vsys1, RuleBase::Pre, "allow-web")
            .is_none()
    );
}

#[test]
fn reverse_index_finds_direct_and_transitive_users() {
    let index = ConfigIndex::from_reader(FIREWALL.as_bytes()).unwrap();
    let direct = index.where_used("web-1");
    assert_eq!(direct.len(), 1);
    assert_eq!(direct[0].referrer, Referrer::AddressGroup);
    assert_eq!(direct[0].referrer_name, "web-servers");
    let all = index.where_used_transitive("web-1");
    let names: Vec<&str> = all.iter().map(|u| u.referrer_name).collect();
    assert_eq!(names.len(), 3, "{names:?}");
    assert!(
        names.contains(&"all-web") && names.contains(&"allow-web"),
        "{names:?}"
    );
    let rule_use = all.iter().find(|u| u.referrer_name == "allow-web").unwrap();
    assert_eq!(
        rule_use.referrer,
        Referrer::SecurityRule(RuleField::Destination, RuleBase::Local)
    );
    assert_eq!(rule_use.location, IndexLocation::Vsys("vsys1"));
    assert_eq!(
        index.where_used("tcp-8443")[0].referrer,
        Referrer::ServiceGroup
    );
    assert!(index.where_used("no-such-object").is_empty());
    // Zones are not object references.
    assert!(index.where_used("untrust").is_empty());
}

#[test]
fn synthetic_panorama_counts_match_the_generator() {
    let mut xml = Vec::new();
    let stats = write_synthetic_panorama(&mut xml, &SynthParams::small()).unwrap();
    let index = ConfigIndex::from_reader(xml.as_slice()).unwrap();
    let counts = index.counts();
    assert_eq!(
        counts.addresses, stats.addresses,
        "the template's address is not indexed"
    );
    assert_eq!(counts.address_groups, stats.address_groups);
    assert_eq!(counts.services, stats.services);
    assert_eq!(counts.service_groups, stats.service_groups);
    assert_eq!(counts.tags, stats.tags);
    assert_eq!(counts.security_rules, stats.security_rules);
    assert_eq!(index.locations().count(), 4);
    let dg1 = IndexLocation::DeviceGroup("DG-001");
    let addr = index.address(&dg1, "h-001-000003").unwrap();
    assert_eq!(addr.kind, AddressKind::IpNetmask);
    assert!(
        index
            .security_rule(&dg1, RuleBase::Post, "rule-001-post-rulebase-00000")
            .is_some()
    );
    assert!(
        index
            .security_rule(&dg1, RuleBase::Pre, "rule-001-pre-rulebase-00000")
            .is_some()
    );
    assert_eq!(index.parent_device_group("DG-001"), Some("DG-000"));
    assert_eq!(index.parent_device_group("DG-000"), None);
    // DG-001 sees DG-000's objects through the hierarchy, then shared.
    let inherited = index.resolve_address(&dg1, "h-000-000001").unwrap();
    assert_eq!(inherited.location, IndexLocation::DeviceGroup("DG-000"));
    let shared = index.resolve_address(&dg1, "h-shr-000001").unwrap();
    assert_eq!(shared.location, IndexLocation::Shared);
    assert!(
        index.resolve_address(&dg1, "h-002-000001").is_none(),
        "a sibling is not visible"
    );
    assert!(
        index.heap_bytes() < xml.len(),
        "the index is smaller than the file"
    );
}

#[test]
fn every_rule_reference_is_in_the_reverse_index() {
    let mut xml = Vec::new();
    write_synthetic_panorama(&mut xml, &SynthParams::small()).unwrap();
    let index = ConfigIndex::from_reader(xml.as_slice()).unwrap();
    for rule in index.security_rules() {
        for dst in rule.destination.iter() {
            assert!(
                index
                    .where_used(dst)
                    .iter()
                    .any(|u| u.referrer_name == rule.name
                        && u.referrer
                            == Referrer::SecurityRule(RuleField::Destination, rule.rulebase)),
                "{} -> {dst}",
                rule.name
            );
        }
    }
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    let truncated = &FIREWALL[..FIREWALL.len() / 2];
    assert!(matches!(
        ConfigIndex::from_reader(truncated.as_bytes()),
        Err(IndexError::Xml { .. })
    ));
    assert!(matches!(
        ConfigIndex::from_reader("<response status=\"success\"><result/></response>".as_bytes()),
        Err(IndexError::NoConfig)
    ));
    assert!(
        ConfigIndex::from_reader(
            "<config><shared><address><entry name=\"a\"></address></shared></config>".as_bytes()
        )
        .is_err()
    );
    assert!(ConfigIndex::from_reader("".as_bytes()).is_err());
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn arbitrary_input_never_panics(cut in 0usize..FIREWALL.len(), noise in "[<>/a-z\"= ]{0,8}") {
            let mut text = FIREWALL[..cut].to_string();
            text.push_str(&noise);
            text.push_str(&FIREWALL[cut..]);
            let _ = ConfigIndex::from_reader(text.as_bytes());
        }
    }
}

/// Many batches cross the hand-off between the tokenizing and the interning stage: every
/// record (values, members, names) must come out whole, wherever a batch ended.
#[test]
fn records_survive_batch_boundaries() {
    let mut xml = String::from("<config><shared><address>");
    let n = 30_000;
    for i in 0..n {
        xml.push_str(&format!(
            "<entry name=\"a-{i}\"><ip-netmask>10.{}.{}.{}/32</ip-netmask><tag><member>t-{}</member></tag></entry>",
            i / 65536,
            (i / 256) % 256,
            i % 256,
            i % 7
        ));
    }
    xml.push_str("</address><address-group><entry name=\"all\"><static>");
    for i in 0..n {
        xml.push_str(&format!("<member> a-{i} </member>"));
    }
    xml.push_str("</static></entry></address-group></shared></config>");
    assert!(xml.len() > 2 << 20, "spans several batches: {}", xml.len());
    let index = ConfigIndex::from_reader(xml.as_bytes()).unwrap();
    assert_eq!(index.counts().addresses, n);
    for i in [0, 1, 4_999, 12_345, n - 1] {
        let a = index
            .address(&IndexLocation::Shared, &format!("a-{i}"))
            .unwrap();
        assert_eq!(
            a.value,
            format!("10.{}.{}.{}/32", i / 65536, (i / 256) % 256, i % 256)
        );
        assert_eq!(a.tags.to_vec(), [format!("t-{}", i % 7).as_str()]);
        let users = index.where_used(&format!("a-{i}"));
        assert_eq!(users.len(), 1, "a-{i}");
        assert_eq!(users[0].referrer_name, "all");
    }
    let group = index.address_group(&IndexLocation::Shared, "all").unwrap();
    assert_eq!(group.members.len(), n);
    assert_eq!(
        group.members.iter().last(),
        Some(format!("a-{}", n - 1).as_str())
    );
}
