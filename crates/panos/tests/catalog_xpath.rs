//! Golden xpaths from the builtin catalog (facts of the PAN-OS xpath layout) and the
//! safety of name quoting.

use panops_panos::catalog::{Catalog, CatalogError, LocationArgs, Rulebase};
use panops_panos::xpath::quote as quote_xpath_literal;
use proptest::prelude::*;

const FW: &str = "/config/devices/entry[@name='localhost.localdomain']";

fn xpath(kind: &str, args: &LocationArgs, name: Option<&str>) -> String {
    Catalog::builtin()
        .kind(kind)
        .unwrap_or_else(|e| panic!("{e}"))
        .xpath(args, name)
        .unwrap_or_else(|e| panic!("{kind}: {e}"))
}

#[test]
fn object_kinds_resolve_at_every_location() {
    // (kind, container element below the location)
    let kinds = [
        ("address", "address"),
        ("address-group", "address-group"),
        ("service", "service"),
        ("service-group", "service-group"),
        ("tag", "tag"),
        ("custom-url-category", "profiles/custom-url-category"),
        ("dynamic-user-group", "dynamic-user-group"),
    ];
    for (kind, container) in kinds {
        assert_eq!(
            xpath(kind, &LocationArgs::shared(), Some("x")),
            format!("/config/shared/{container}/entry[@name='x']")
        );
        assert_eq!(
            xpath(kind, &LocationArgs::shared(), None),
            format!("/config/shared/{container}")
        );
        assert_eq!(
            xpath(kind, &LocationArgs::vsys("vsys2"), Some("x")),
            format!("{FW}/vsys/entry[@name='vsys2']/{container}/entry[@name='x']")
        );
        assert_eq!(
            xpath(kind, &LocationArgs::device_group("DG"), Some("x")),
            format!("{FW}/device-group/entry[@name='DG']/{container}/entry[@name='x']")
        );
    }
}

#[test]
fn the_first_golden_of_the_reference_layout_matches_exactly() {
    assert_eq!(
        xpath("address", &LocationArgs::vsys("vsys1"), Some("x")),
        "/config/devices/entry[@name='localhost.localdomain']/vsys/entry[@name='vsys1']/address/entry[@name='x']"
    );
    assert_eq!(
        xpath("address", &LocationArgs::shared(), None),
        "/config/shared/address"
    );
}

#[test]
fn url_filtering_profiles_live_under_profiles() {
    assert_eq!(
        xpath("url-filtering-profile", &LocationArgs::shared(), Some("p")),
        "/config/shared/profiles/url-filtering/entry[@name='p']"
    );
    assert_eq!(
        xpath(
            "url-filtering-profile",
            &LocationArgs::device_group("DG"),
            Some("p")
        ),
        format!("{FW}/device-group/entry[@name='DG']/profiles/url-filtering/entry[@name='p']")
    );
}

#[test]
fn security_rules_use_the_rulebase_of_their_location() {
    assert_eq!(
        xpath(
            "security-rule",
            &LocationArgs::device_group("DG"),
            Some("r")
        ),
        "/config/devices/entry[@name='localhost.localdomain']/device-group/entry[@name='DG']/pre-rulebase/security/rules/entry[@name='r']"
    );
    assert_eq!(
        xpath(
            "security-rule",
            &LocationArgs::device_group("DG").with_rulebase(Rulebase::Post),
            Some("r")
        ),
        format!(
            "{FW}/device-group/entry[@name='DG']/post-rulebase/security/rules/entry[@name='r']"
        )
    );
    assert_eq!(
        xpath(
            "security-rule",
            &LocationArgs::shared().with_rulebase(Rulebase::Post),
            None
        ),
        "/config/shared/post-rulebase/security/rules"
    );
    assert_eq!(
        xpath("security-rule", &LocationArgs::vsys("vsys1"), Some("r")),
        format!("{FW}/vsys/entry[@name='vsys1']/rulebase/security/rules/entry[@name='r']")
    );
    assert_eq!(
        xpath(
            "security-rule",
            &LocationArgs::vsys("vsys1").with_rulebase(Rulebase::Local),
            None
        ),
        format!("{FW}/vsys/entry[@name='vsys1']/rulebase/security/rules")
    );
    assert!(
        Catalog::builtin()
            .kind("security-rule")
            .unwrap()
            .xpath(
                &LocationArgs::device_group("DG").with_rulebase(Rulebase::Local),
                None
            )
            .is_err(),
        "a device group has no local rulebase"
    );
    assert_eq!(
        xpath("nat-rule", &LocationArgs::vsys("vsys1"), Some("n")),
        format!("{FW}/vsys/entry[@name='vsys1']/rulebase/nat/rules/entry[@name='n']")
    );
}

#[test]
fn template_locations_nest_a_device_config() {
    assert_eq!(
        xpath(
            "zone",
            &LocationArgs::template("T").with_vsys("vsys3"),
            Some("trust")
        ),
        format!(
            "{FW}/template/entry[@name='T']/config/devices/entry[@name='localhost.localdomain']/vsys/entry[@name='vsys3']/zone/entry[@name='trust']"
        )
    );
    assert_eq!(
        xpath("zone", &LocationArgs::template_stack("S"), Some("trust")),
        format!(
            "{FW}/template-stack/entry[@name='S']/config/devices/entry[@name='localhost.localdomain']/vsys/entry[@name='vsys1']/zone/entry[@name='trust']"
        )
    );
}

#[test]
fn names_with_quotes_are_quoted_safely() {
    assert_eq!(
        xpath("address", &LocationArgs::shared(), Some("it's")),
        "/config/shared/address/entry[@name=\"it's\"]"
    );
    assert_eq!(
        xpath("address", &LocationArgs::shared(), Some("a'b\"c")),
        "/config/shared/address/entry[@name=concat('a', \"'\", 'b\"c')]"
    );
}

#[test]
fn location_errors_name_the_problem() {
    let address = Catalog::builtin().kind("address").unwrap();
    let err = address
        .xpath(&LocationArgs::new("device-group"), None)
        .unwrap_err();
    assert!(
        matches!(err, CatalogError::MissingLocationVar { ref var, .. } if var == "device_group"),
        "{err}"
    );
    let err = address
        .xpath(&LocationArgs::vsys("shared"), None)
        .unwrap_err();
    assert!(
        matches!(err, CatalogError::InvalidLocationVar { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("vsys"), "{err}");
    let err = address
        .xpath(&LocationArgs::template("T"), None)
        .unwrap_err();
    assert!(matches!(err, CatalogError::UnknownLocation { .. }), "{err}");
    assert!(
        err.to_string().contains("device-group"),
        "lists known locations: {err}"
    );
    let err = address
        .xpath(
            &LocationArgs::device_group("DG").with_rulebase(Rulebase::Post),
            None,
        )
        .unwrap_err();
    assert!(
        matches!(err, CatalogError::UnexpectedLocationVar { ref var, .. } if var == "rulebase"),
        "{err}"
    );
    let rule = Catalog::builtin().kind("security-rule").unwrap();
    let err = rule
        .xpath(
            &LocationArgs::device_group("DG").var("rulebase", "rulebase']|//*"),
            None,
        )
        .unwrap_err();
    assert!(
        matches!(err, CatalogError::InvalidLocationVar { .. }),
        "{err}"
    );
    assert!(address.xpath(&LocationArgs::shared(), Some("")).is_err());
    assert!(matches!(
        Catalog::builtin().kind("no-such-kind"),
        Err(CatalogError::UnknownKind(_))
    ));
}

#[test]
fn aliases_find_kinds_by_spec_file_and_spec_name() {
    let catalog = Catalog::builtin();
    assert_eq!(catalog.kind("administrative-tag").unwrap().name, "tag");
    assert_eq!(
        catalog.kind("security-policy-rule").unwrap().name,
        "security-rule"
    );
    assert!(
        catalog.len() > 100,
        "the builtin catalog covers the spec set"
    );
}

/// Evaluates an XPath 1.0 string expression made of literals and `concat()`; returns the
/// value and the unparsed rest.
fn eval_literal(s: &str) -> Option<(String, &str)> {
    if let Some(rest) = s.strip_prefix("concat(") {
        let mut out = String::new();
        let mut rest = rest;
        loop {
            let (part, r) = eval_quoted(rest)?;
            out.push_str(&part);
            if let Some(r) = r.strip_prefix(',') {
                rest = r.trim_start_matches(' ');
            } else {
                return Some((out, r.strip_prefix(')')?));
            }
        }
    }
    eval_quoted(s)
}

fn eval_quoted(s: &str) -> Option<(String, &str)> {
    let quote = s.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let body = &s[1..];
    let end = body.find(quote)?;
    Some((body[..end].to_string(), &body[end + 1..]))
}

proptest! {
    #[test]
    fn any_name_stays_inside_its_predicate(name in "[^\\p{Cc}]{1,40}") {
        let got = xpath("address", &LocationArgs::shared(), Some(&name));
        let rest = got.strip_prefix("/config/shared/address/entry[@name=").unwrap();
        let (value, tail) = eval_literal(rest).expect("a well-formed literal");
        prop_assert_eq!(value, name);
        prop_assert_eq!(tail, "]");
    }

    #[test]
    fn quoting_round_trips_for_quote_heavy_strings(value in "['\"a]{0,12}") {
        let literal = quote_xpath_literal(&value);
        let (got, tail) = eval_literal(&literal).expect("well-formed");
        prop_assert_eq!(got, value);
        prop_assert_eq!(tail, "");
    }
}

#[test]
fn every_kind_resolves_at_every_location_with_its_variables_set() {
    let mut resolved = 0;
    for kind in Catalog::builtin().kinds() {
        for location in &kind.locations {
            let mut args = LocationArgs::new(location.name.clone());
            for var in location.vars.iter().filter(|v| v.default.is_none()) {
                let value = var
                    .values
                    .first()
                    .cloned()
                    .unwrap_or_else(|| "x1".to_string());
                args = args.var(var.name.clone(), value);
            }
            for step in kind.xpath_suffix.iter().filter_map(|s| s.strip_prefix('$')) {
                if step != "name" {
                    args = args.var(step, "p1");
                }
            }
            let name =
                (kind.is_entry() || kind.xpath_suffix.iter().any(|s| s == "$name")).then_some("n1");
            let got = kind
                .xpath(&args, name)
                .unwrap_or_else(|e| panic!("{} at {}: {e}", kind.name, location.name));
            assert!(got.starts_with("/config"), "{}: {got}", kind.name);
            assert!(!got.contains('$'), "{}: {got}", kind.name);
            if name.is_some() {
                assert!(got.ends_with("[@name='n1']"), "{}: {got}", kind.name);
            }
            resolved += 1;
        }
    }
    assert!(resolved > 300, "{resolved}");
}

#[test]
fn parent_variables_of_nested_kinds_are_entries() {
    let vlan_entry = Catalog::builtin().kind("vlan-entry").unwrap();
    let got = vlan_entry
        .xpath(
            &LocationArgs::ngfw().var("parent", "vlan1"),
            Some("00:11:22:33:44:55"),
        )
        .unwrap();
    assert!(
        got.ends_with("/network/vlan/entry[@name='vlan1']/mac/entry[@name='00:11:22:33:44:55']"),
        "{got}"
    );
}
