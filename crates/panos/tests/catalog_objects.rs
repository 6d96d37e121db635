//! Dynamic objects: JSON <-> XML through the catalog, validation, bulk set.

use panops_panos::catalog::{Catalog, CatalogError, ObjectKind};
use serde_json::{Value, json};

fn kind(name: &str) -> &'static ObjectKind {
    Catalog::builtin()
        .kind(name)
        .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn address_round_trips_with_members_and_booleans_as_json() {
    let address = kind("address");
    let value = json!({"name": "web-1", "ip-netmask": "10.0.0.1/32", "description": "a & b", "tag": ["prod", "web"]});
    let xml = address.to_xml(&value).unwrap();
    assert_eq!(
        xml,
        "<entry name=\"web-1\"><ip-netmask>10.0.0.1/32</ip-netmask><description>a &amp; b</description><tag><member>prod</member><member>web</member></tag></entry>"
    );
    assert_eq!(address.from_xml(&xml).unwrap(), value);
}

#[test]
fn unknown_xml_and_attributes_survive_read_modify_write() {
    let address = kind("address");
    let device_xml = r#"<entry name="a1" loc="shared" admin="ops" time="2026/12/01 10:00:00" future-attr="k"><fqdn>x.example</fqdn><future-knob><deep a="1">v</deep></future-knob><description>d</description></entry>"#;
    let mut value = address.from_xml(device_xml).unwrap();
    assert_eq!(value["fqdn"], "x.example");
    assert_eq!(
        value["_attributes"],
        json!({"loc": "shared", "admin": "ops", "time": "2026/12/01 10:00:00", "future-attr": "k"})
    );
    assert_eq!(
        value["_unknown_xml"],
        json!(["<future-knob><deep a=\"1\">v</deep></future-knob>"])
    );
    value["description"] = json!("changed");
    let xml = address.to_xml(&value).unwrap();
    // Unknown attributes go back; the device's own annotations (loc, admin, time) do not.
    assert!(
        xml.starts_with("<entry name=\"a1\" future-attr=\"k\">"),
        "{xml}"
    );
    assert!(
        xml.contains("<future-knob><deep a=\"1\">v</deep></future-knob>"),
        "{xml}"
    );
    assert!(xml.contains("<description>changed</description>"), "{xml}");
    assert_eq!(
        address.from_xml(&xml).unwrap()["_unknown_xml"],
        value["_unknown_xml"]
    );
}

#[test]
fn service_nested_variants_and_multi_step_xpaths() {
    let service = kind("service");
    let value = json!({"name": "tcp-8443", "protocol": {"tcp": {"port": "8443", "override": {"timeout": 3600}}}});
    let xml = service.to_xml(&value).unwrap();
    assert_eq!(
        xml,
        "<entry name=\"tcp-8443\"><protocol><tcp><port>8443</port><override><yes><timeout>3600</timeout></yes></override></tcp></protocol></entry>"
    );
    assert_eq!(service.from_xml(&xml).unwrap(), value);
    let err = service
        .to_xml(&json!({"name": "s", "protocol": {"tcp": {"port": "1"}, "udp": {"port": "2"}}}))
        .unwrap_err();
    assert!(matches!(err, CatalogError::OneOf { .. }), "{err}");
    assert!(err.to_string().contains("protocol"), "{err}");
    let err = service
        .to_xml(&json!({"name": "s", "protocol": {}}))
        .unwrap_err();
    assert!(err.to_string().contains("found none"), "{err}");
    let err = service
        .to_xml(
            &json!({"name": "s", "protocol": {"tcp": {"port": "1", "override": {"timeout": 0}}}}),
        )
        .unwrap_err();
    assert!(
        err.to_string().contains("protocol.tcp.override.timeout"),
        "{err}"
    );
}

#[test]
fn security_rule_round_trips_with_uuid_attribute() {
    let rule = kind("security-rule");
    let xml = r#"<entry name="allow-web" uuid="11111111-2222-4333-8444-555555555555"><from><member>trust</member></from><to><member>untrust</member></to><source><member>any</member></source><destination><member>web-1</member></destination><service><member>application-default</member></service><application><member>web-browsing</member></application><action>allow</action><disabled>no</disabled></entry>"#;
    let value = rule.from_xml(xml).unwrap();
    assert_eq!(value["disabled"], json!(false));
    assert_eq!(value["destination"], json!(["web-1"]));
    assert_eq!(value["uuid"], "11111111-2222-4333-8444-555555555555");
    assert!(
        value.get("_attributes").is_none(),
        "uuid is a field, not an unknown attribute"
    );
    let back = rule.to_xml(&value).unwrap();
    assert!(
        back.starts_with(
            "<entry name=\"allow-web\" uuid=\"11111111-2222-4333-8444-555555555555\">"
        ),
        "{back}"
    );
    assert_eq!(rule.from_xml(&back).unwrap(), value);
    let uuid = "0b9a1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d";
    let xml = rule
        .to_xml(&json!({"name": "r", "uuid": uuid, "action": "deny"}))
        .unwrap();
    assert_eq!(
        xml,
        format!("<entry name=\"r\" uuid=\"{uuid}\"><action>deny</action></entry>")
    );
    let err = rule
        .to_xml(&json!({"name": "r", "action": "permit"}))
        .unwrap_err();
    assert!(
        matches!(&err, CatalogError::InvalidField { field, .. } if field == "action"),
        "{err}"
    );
    assert!(
        err.to_string().contains("allow"),
        "lists allowed values: {err}"
    );
}

#[test]
fn url_filtering_profile_entry_lists_round_trip() {
    let profile = kind("url-filtering-profile");
    let field = profile.field("http-header-insertion").unwrap();
    let value =
        json!({"name": "p", "block": ["malware"], "http-header-insertion": [{"name": "h1"}]});
    let xml = profile.to_xml(&value).unwrap();
    assert!(
        xml.contains("<http-header-insertion><entry name=\"h1\"/></http-header-insertion>"),
        "{xml}"
    );
    assert_eq!(profile.from_xml(&xml).unwrap(), value);
    assert!(
        !field.fields.is_empty(),
        "entry list items carry their own fields"
    );
}

#[test]
fn validation_errors_name_the_field() {
    let address = kind("address");
    let cases: Vec<(Value, &str)> = vec![
        (json!({"ip-netmask": "1.1.1.1"}), "name"),
        (
            json!({"name": "a"}),
            "exactly one of [fqdn, ip-netmask, ip-range, ip-wildcard]",
        ),
        (
            json!({"name": "a", "fqdn": "x", "ip-netmask": "1.1.1.1"}),
            "found fqdn, ip-netmask",
        ),
        (json!({"name": "a", "fqdn": ""}), "fqdn"),
        (
            json!({"name": "a", "fqdn": "x", "colour": "red"}),
            "unknown field colour",
        ),
        (json!({"name": "a", "fqdn": "x", "tag": [1]}), "tag"),
        (
            json!({"name": "a", "fqdn": "x", "description": "d".repeat(1024)}),
            "at most 1023",
        ),
        (
            json!({"name": "a", "fqdn": "x", "_unknown_xml": ["<a>"]}),
            "_unknown_xml",
        ),
        (
            json!({"name": "a", "fqdn": "x", "_unknown_xml": ["<a/><b/>"]}),
            "exactly one element",
        ),
        (json!("not an object"), "expected a JSON object"),
    ];
    for (value, needle) in cases {
        let err = address.to_xml(&value).unwrap_err();
        assert!(err.to_string().contains(needle), "{value}: {err}");
    }
    let tag = kind("tag");
    let err = tag
        .to_xml(&json!({"name": "t", "color": "color999"}))
        .unwrap_err();
    assert!(err.to_string().contains("color"), "{err}");
    assert!(tag.to_xml(&json!({"name": "t", "color": "color1"})).is_ok());
}

#[test]
fn malformed_xml_is_a_decode_error() {
    let address = kind("address");
    for bad in [
        "",
        "<entry name=\"a\"><fqdn>x</entry>",
        "<address/>",
        "<entry><fqdn>x</fqdn></entry>",
    ] {
        let err = address.from_xml(bad).unwrap_err();
        assert!(matches!(err, CatalogError::Xml { .. }), "{bad}: {err}");
    }
}

#[test]
fn lists_decode_from_a_response_envelope() {
    let address = kind("address");
    let xml = r#"<response status="success"><result total-count="2" count="2"><address><entry name="a"><fqdn>a.example</fqdn></entry><entry name="b"><ip-netmask>10.0.0.2</ip-netmask></entry></address></result></response>"#;
    let all = address.from_xml_list(xml).unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[1], json!({"name": "b", "ip-netmask": "10.0.0.2"}));
}

#[test]
fn bulk_set_builds_one_element_and_chunks_by_bytes() {
    let address = kind("address");
    let values: Vec<Value> = (0..50)
        .map(|i| json!({"name": format!("h{i}"), "ip-netmask": format!("10.0.0.{i}")}))
        .collect();
    let element = address.bulk_set_element(&values).unwrap();
    assert_eq!(element.matches("<entry ").count(), 50);
    assert!(element.starts_with(
        "<entry name=\"h0\"><ip-netmask>10.0.0.0</ip-netmask></entry><entry name=\"h1\">"
    ));
    let chunks = address.bulk_set_chunks(&values, 400).unwrap();
    assert!(chunks.len() > 1);
    assert!(chunks.iter().all(|c| c.len() <= 400));
    assert_eq!(chunks.concat(), element);
    let err = address
        .bulk_set_element(&[values[0].clone(), json!({"name": "bad", "fqdn": ""})])
        .unwrap_err();
    assert!(err.to_string().contains("[1].fqdn"), "{err}");
}

#[test]
fn config_kinds_use_their_element_instead_of_entry() {
    let dns = kind("dns");
    assert!(!dns.is_entry());
    assert!(matches!(
        dns.bulk_set_element(&[json!({})]),
        Err(CatalogError::NotEntries { .. })
    ));
    let value = dns.from_xml("<system><unknown-thing/></system>").unwrap();
    assert_eq!(value["_unknown_xml"], json!(["<unknown-thing/>"]));
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn from_xml_never_panics(xml in "(<[a-z]{1,3}( name=\"[a-z']{0,3}\")?/?>|</[a-z]{1,3}>|[a-z&;<>\"']{0,4}){0,12}") {
            let _ = kind("address").from_xml(&xml);
            let _ = kind("security-rule").from_xml_list(&xml);
        }

        #[test]
        fn address_values_round_trip(
            name in "[^\\p{Cc}]{1,63}",
            value in "[^\\p{Cc}]{1,60}",
            description in "[^\\p{Cc}]{0,80}",
            tags in proptest::collection::vec("[^\\p{Cc}]{1,20}", 0..4),
        ) {
            // XML drops surrounding whitespace of text content.
            let value = value.trim().to_string();
            let description = description.trim().to_string();
            prop_assume!(!value.is_empty() && tags.iter().all(|t| !t.trim().is_empty() && t.trim() == t));
            let mut object = json!({"name": name, "fqdn": value, "tag": tags});
            if !description.is_empty() {
                object["description"] = json!(description);
            }
            let address = kind("address");
            let xml = address.to_xml(&object).unwrap();
            prop_assert_eq!(address.from_xml(&xml).unwrap(), object);
        }
    }
}
