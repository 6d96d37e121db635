//! Schema validation over HTTP: what the device refuses on `set` / `edit` / `multi-config`
//! is refused with its code and message, and nothing of a refused request is stored.

mod common;

use common::*;
use panops_sim::SimConfig;

const SHARED: &str = "/config/shared";

/// The `<line>` texts of an error envelope.
fn lines(body: &str) -> Vec<String> {
    body.split("<line><![CDATA[")
        .skip(1)
        .filter_map(|s| s.split("]]></line>").next())
        .map(str::to_string)
        .collect()
}

/// A write that must be refused with code 12; returns the message lines.
async fn refused(c: &Client, params: &[(&str, &str)]) -> Vec<String> {
    let body = c.fails(params).await;
    assert!(body.contains("code=\"12\""), "{body}");
    lines(&body)
}

/// Nothing is stored at `xpath` in the candidate.
async fn absent(c: &Client, xpath: &str) {
    let body = c.get(xpath).await;
    assert!(
        body.contains("code=\"7\""),
        "stored after a refusal: {body}"
    );
}

fn set<'a>(xpath: &'a str, element: &'a str) -> [(&'a str, &'a str); 4] {
    [
        ("type", "config"),
        ("action", "set"),
        ("xpath", xpath),
        ("element", element),
    ]
}

#[tokio::test]
async fn entry_without_name_is_refused_and_not_stored() {
    let sim = start(SimConfig::firewall()).await;
    let c = Client::login(&sim, "admin", "admin").await;
    let addr = format!("{VSYS}/address");
    let l = refused(
        &c,
        &set(&addr, "<entry><ip-netmask>10.0.0.1</ip-netmask></entry>"),
    )
    .await;
    assert_eq!(
        l,
        [
            "vsys1 -> address -> entry is missing 'name'",
            "vsys1 -> address is invalid"
        ]
    );
    absent(&c, &format!("{addr}/entry")).await;
    // nor can an xpath step create one
    let l = refused(
        &c,
        &set(
            &format!("{addr}/entry"),
            "<ip-netmask>10.0.0.1</ip-netmask>",
        ),
    )
    .await;
    assert_eq!(
        l,
        ["address -> entry is missing 'name'", "address is invalid"]
    );
    absent(&c, &format!("{addr}/entry")).await;
    sim.shutdown().await;
}

#[tokio::test]
async fn unknown_child_is_unexpected_here() {
    let sim = start(SimConfig::firewall()).await;
    let c = Client::login(&sim, "admin", "admin").await;
    let addr = format!("{VSYS}/address");
    let l = refused(
        &c,
        &set(
            &addr,
            "<entry name='a'><ip-netmask>10.0.0.1</ip-netmask><bogus/></entry>",
        ),
    )
    .await;
    assert_eq!(l, ["a -> bogus unexpected here"]);
    absent(&c, &format!("{addr}/entry[@name='a']")).await;
    // a misspelt field, set on the entry itself
    c.set(
        &addr,
        "<entry name='a'><ip-netmask>10.0.0.1</ip-netmask></entry>",
    )
    .await;
    let a = format!("{addr}/entry[@name='a']");
    let l = refused(&c, &set(&a, "<ip-netmsk>10.0.0.2</ip-netmsk>")).await;
    assert_eq!(l, ["a -> ip-netmsk unexpected here"]);
    absent(&c, &format!("{a}/ip-netmsk")).await;
    // edit replaces the entry only when the replacement is valid
    let l = refused(
        &c,
        &[
            ("type", "config"),
            ("action", "edit"),
            ("xpath", &a),
            (
                "element",
                "<entry name='a'><ip-netmsk>10.0.0.3</ip-netmsk></entry>",
            ),
        ],
    )
    .await;
    assert_eq!(l, ["a -> ip-netmsk unexpected here"]);
    assert!(c.get(&a).await.contains("10.0.0.1"));
    // text where the schema has elements
    let l = refused(&c, &set(VSYS, "<address>oops</address>")).await;
    assert_eq!(l, ["vsys1 -> address has unexpected text."]);
    sim.shutdown().await;
}

#[tokio::test]
async fn over_long_values_are_refused_without_echoing_them() {
    let sim = start(SimConfig::firewall()).await;
    let c = Client::login(&sim, "admin", "admin").await;
    let addr = format!("{SHARED}/address");
    // 1,100 characters and a 1 MB description: both over the catalog's 1023
    for n in [1100usize, 1 << 20] {
        let element = format!(
            "<entry name='long'><fqdn>a.example</fqdn><description>{}</description></entry>",
            "x".repeat(n)
        );
        let body = c.fails(&set(&addr, &element)).await;
        assert!(body.contains("code=\"12\""), "{}", &body[..200]);
        assert!(
            body.len() < 1000,
            "the value is not echoed: {} bytes",
            body.len()
        );
        let l = lines(&body);
        assert_eq!(
            l[0],
            format!(
                "long -> description can be at most 1023 characters, but current length: {n} value: {}...",
                "x".repeat(40)
            )
        );
        assert_eq!(l[1], "long -> description is invalid");
    }
    absent(&c, &format!("{addr}/entry[@name='long']")).await;
    // exactly at the limit is accepted
    c.set(
        &addr,
        &format!(
            "<entry name='long'><fqdn>a.example</fqdn><description>{}</description></entry>",
            "x".repeat(1023)
        ),
    )
    .await;
    sim.shutdown().await;
}

#[tokio::test]
async fn bad_enum_and_range_values_are_invalid() {
    let sim = start(SimConfig::firewall()).await;
    let c = Client::login(&sim, "admin", "admin").await;
    let rules = format!("{VSYS}/rulebase/security/rules");
    let l = refused(
        &c,
        &set(
            &rules,
            "<entry name='r'><from><member>any</member></from><to><member>any</member></to><action>maybe</action></entry>",
        ),
    )
    .await;
    assert!(
        l[0].starts_with("r -> action 'maybe' is invalid. action must be one of: "),
        "{l:?}"
    );
    assert_eq!(l[1], "r -> action is invalid");
    absent(&c, &format!("{rules}/entry[@name='r']")).await;
    let tags = format!("{SHARED}/tag");
    let l = refused(
        &c,
        &set(&tags, "<entry name='t'><color>purple</color></entry>"),
    )
    .await;
    assert!(l[0].starts_with("t -> color 'purple' is invalid."), "{l:?}");
    let svc = format!("{SHARED}/service");
    let l = refused(
        &c,
        &set(
            &svc,
            "<entry name='s'><protocol><tcp><port>80</port><override><yes><timeout>0</timeout></yes></override></tcp></protocol></entry>",
        ),
    )
    .await;
    assert_eq!(
        l[0],
        "s -> protocol -> tcp -> override -> yes -> timeout '0' is invalid. timeout must be between 1 and 604800"
    );
    absent(&c, &format!("{svc}/entry[@name='s']")).await;
    sim.shutdown().await;
}

#[tokio::test]
async fn misspelt_config_paths_are_refused_never_stored() {
    let sim = start(SimConfig::firewall()).await;
    let c = Client::login(&sim, "admin", "admin").await;
    let l = refused(
        &c,
        &set(
            "/config/shared/adress",
            "<entry name='a'><ip-netmask>10.0.0.1</ip-netmask></entry>",
        ),
    )
    .await;
    assert_eq!(l, ["shared -> adress unexpected here"]);
    absent(&c, "/config/shared/adress").await;
    let l = refused(&c, &set(&format!("{VSYS}/adress"), "<entry name='a'/>")).await;
    assert_eq!(l, ["vsys1 -> adress unexpected here"]);
    absent(&c, &format!("{VSYS}/adress")).await;
    // a misspelt step below an entry of a known kind
    let l = refused(
        &c,
        &set(
            &format!("{VSYS}/address/entry[@name='a']/ip-netmsk"),
            "<x/>",
        ),
    )
    .await;
    assert_eq!(l, ["a -> ip-netmsk unexpected here"]);
    absent(&c, &format!("{VSYS}/address/entry[@name='a']")).await;
    // what the catalog does not model is accepted as before
    c.set(
        "/config/devices/entry[@name='localhost.localdomain']/deviceconfig/system",
        "<login-banner>hello</login-banner>",
    )
    .await;
    c.set(SHARED, "<certificate><entry name='c'/></certificate>")
        .await;
    sim.shutdown().await;
}

#[tokio::test]
async fn multi_config_with_one_bad_request_applies_nothing() {
    let sim = start(SimConfig::firewall()).await;
    let c = Client::login(&sim, "admin", "admin").await;
    let addr = format!("{VSYS}/address");
    let element = format!(
        "<multi-config>\
         <set id='1' xpath=\"{addr}\"><entry name='m1'><fqdn>m1.example</fqdn></entry></set>\
         <set id='2' xpath=\"{addr}\"><entry name='m2'><fqdn>m2.example</fqdn><bogus/></entry></set>\
         <set id='3' xpath=\"{addr}\"><entry name='m3'><fqdn>m3.example</fqdn></entry></set>\
         </multi-config>"
    );
    let body = c
        .fails(&[
            ("type", "config"),
            ("action", "multi-config"),
            ("element", &element),
        ])
        .await;
    assert!(
        body.contains("id=\"1\"") && body.contains("m2 -> bogus unexpected here"),
        "{body}"
    );
    assert!(
        !body.contains("id=\"3\""),
        "stops at the bad request: {body}"
    );
    for n in ["m1", "m2", "m3"] {
        absent(&c, &format!("{addr}/entry[@name='{n}']")).await;
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn deleting_a_missing_node_answers_success_code_7() {
    let sim = start(SimConfig::firewall()).await;
    let c = Client::login(&sim, "admin", "admin").await;
    let addr = format!("{VSYS}/address");
    let missing = format!("{addr}/entry[@name='nope']");
    let body = c
        .ok(&[
            ("type", "config"),
            ("action", "delete"),
            ("xpath", &missing),
        ])
        .await;
    assert_eq!(
        body,
        "<response status=\"success\" code=\"7\"><msg>Object doesn't exist</msg></response>"
    );
    // nothing changed, so there is nothing to commit
    let body = c
        .op("<check><pending-changes></pending-changes></check>")
        .await;
    assert!(body.contains("<result>no</result>"), "{body}");
    // inside multi-config it does not fail the transaction
    let body = c
        .ok(&[
            ("type", "config"),
            ("action", "multi-config"),
            (
                "element",
                &format!(
                    "<multi-config><delete id='1' xpath=\"{missing}\"/>\
                     <set id='2' xpath=\"{addr}\"><entry name='m'><fqdn>m.example</fqdn></entry></set></multi-config>"
                ),
            ),
        ])
        .await;
    assert!(
        body.starts_with("<response status=\"success\" code=\"20\">")
            && body.contains(
                "<response status=\"success\" code=\"7\" id=\"1\"><msg>Object doesn't exist</msg></response>"
            ),
        "{body}"
    );
    assert!(
        c.get(&format!("{addr}/entry[@name='m']"))
            .await
            .contains("m.example")
    );
    sim.shutdown().await;
}
