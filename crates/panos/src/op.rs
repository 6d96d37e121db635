//! `type=op` requests and the CLI-text → XML conversion of pan-python's `-X`.
//!
//! Unquoted words nest (`show system info` → `<show><system><info/>…`), a
//! `"quoted"` token becomes the text of the preceding word, after which further
//! words continue at the same level:
//!
//! ```
//! use panops_panos::op::cli_to_xml;
//! assert_eq!(
//!     cli_to_xml(r#"show interface "ethernet1/1""#).unwrap(),
//!     "<show><interface>ethernet1/1</interface></show>"
//! );
//! assert_eq!(
//!     cli_to_xml("show system info").unwrap(),
//!     "<show><system><info></info></system></show>"
//! );
//! ```
//!
//! Unlike pan-python (which splits on whitespace only), a quoted value may contain
//! spaces, and text is XML-escaped. Where the device's command grammar says a keyword takes
//! a value ([`GRAMMAR`]: `show session all filter application`, `show interface`,
//! `show routing route type`, …), the next token is its value whatever it looks like, so
//! `filter application ssl` is `<application>ssl</application>` as on the device CLI, not
//! an `<ssl/>` element that matches nothing. Elsewhere a bare token that cannot be an element
//! name (`10.0.0.1`, `ethernet1/1`, `42`) is taken as the value of the word before it; a
//! value that looks like a word after a keyword the table does not know must still be quoted.
//!
//! ```
//! use panops_panos::op::cli_to_xml;
//! assert_eq!(
//!     cli_to_xml("show session all filter application ssl source 10.0.0.1").unwrap(),
//!     "<show><session><all><filter><application>ssl</application><source>10.0.0.1</source></filter></all></session></show>"
//! );
//! assert_eq!(
//!     cli_to_xml("show routing route type static").unwrap(),
//!     "<show><routing><route><type>static</type></route></routing></show>"
//! );
//! ```

use crate::{
    error::{Error, Result},
    request::ApiRequest,
    xml,
};

enum Token {
    Word(String),
    Quoted(String),
}

fn tokenize(cmd: &str) -> Result<Vec<Token>> {
    let mut tokens = Vec::new();
    let mut chars = cmd.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        if c == '"' {
            chars.next();
            let mut text = String::new();
            let mut closed = false;
            for (_, c) in chars.by_ref() {
                if c == '"' {
                    closed = true;
                    break;
                }
                text.push(c);
            }
            if !closed {
                return Err(Error::invalid(
                    "cmd",
                    format!("unterminated quote starting at byte {start}"),
                ));
            }
            tokens.push(Token::Quoted(text));
        } else {
            let mut word = String::new();
            while let Some(&(_, c)) = chars.peek() {
                if c.is_whitespace() || c == '"' {
                    break;
                }
                word.push(c);
                chars.next();
            }
            tokens.push(Token::Word(word));
        }
    }
    Ok(tokens)
}

/// Keywords of the device's session filter (`show|clear session all filter KEY VALUE`).
const SESSION_FILTER_KEYS: &[&str] = &[
    "application",
    "count",
    "decrypt-forward",
    "decrypt-mirror",
    "destination",
    "destination-port",
    "destination-user",
    "egress-interface",
    "from",
    "hw-interface",
    "id",
    "ingress-interface",
    "min-kb",
    "nat",
    "nat-rule",
    "pbf-rule",
    "protocol",
    "qos-class",
    "qos-node-id",
    "qos-rule",
    "rematch",
    "rule",
    "source",
    "source-port",
    "source-user",
    "ssl-decrypt",
    "state",
    "to",
    "type",
    "vsys",
    "vsys-name",
];

/// Keywords of `test security-policy-match` (and of the NAT / PBF / decryption variants).
const POLICY_MATCH_KEYS: &[&str] = &[
    "application",
    "category",
    "destination",
    "destination-port",
    "from",
    "protocol",
    "show-all",
    "source",
    "source-port",
    "source-user",
    "to",
    "to-interface",
    "vsys",
];

/// The device's command grammar for keywords that take a value: after exactly the words of
/// `path` (`*` stands for any one word, e.g. the log type), each keyword of the second list
/// takes the next token as its text. Taken from the PAN-OS CLI (`?` at each level) and the
/// XML that the device's `debug cli on` shows for it; commands not listed keep the generic
/// rule (bare words nest, a token that cannot be an element is a value).
pub const GRAMMAR: &[(&[&str], &[&str])] = &[
    (&["show", "session", "all", "filter"], SESSION_FILTER_KEYS),
    (&["clear", "session", "all", "filter"], SESSION_FILTER_KEYS),
    (&["show", "session", "all"], &["start-at"]),
    (&["show", "session"], &["id"]),
    (&["clear", "session"], &["id"]),
    (&["show", "jobs"], &["id"]),
    (&["show"], &["interface"]),
    (&["show", "counter"], &["interface"]),
    (
        &["show", "counter", "global", "filter"],
        &[
            "aspect",
            "backtrace",
            "category",
            "delta",
            "packet-filter",
            "severity",
            "value",
        ],
    ),
    (
        &["show", "routing", "route"],
        &[
            "afi",
            "destination",
            "ecmp",
            "interface",
            "nexthop",
            "type",
            "virtual-router",
        ],
    ),
    (
        &["show", "routing", "fib"],
        &["afi", "ecmp", "interface", "virtual-router"],
    ),
    (
        &["show", "routing", "protocol", "bgp", "peer"],
        &["peer-name", "virtual-router"],
    ),
    (
        &["show", "routing", "protocol", "bgp", "summary"],
        &["virtual-router"],
    ),
    (&["show", "user", "ip-user-mapping"], &["ip"]),
    (&["show", "user", "ip-user-mapping-mp"], &["ip"]),
    (
        &["show", "user", "ip-user-mapping", "all"],
        &["option", "type"],
    ),
    (&["show", "user", "user-ids"], &["match-user"]),
    (&["show", "user", "group"], &["name"]),
    (&["show", "user", "dynamic-user-group"], &["name"]),
    (&["show", "user", "user-id-agent"], &["state"]),
    (&["show", "object", "dynamic-address-group"], &["name"]),
    (&["show", "object", "dynamic-user-group"], &["name"]),
    (
        &["show", "object", "registered-ip"],
        &["ip", "limit", "start-point"],
    ),
    (&["show", "object", "registered-user"], &["user"]),
    (
        &["show", "object", "registered-user", "all"],
        &["limit", "start-point"],
    ),
    (&["show", "vpn", "flow"], &["name", "tunnel-id"]),
    (&["show", "vpn", "ike-sa"], &["gateway"]),
    (&["show", "vpn", "ipsec-sa"], &["tunnel"]),
    (&["show", "vpn", "tunnel"], &["name"]),
    (
        &["show", "global-protect-gateway", "statistics"],
        &["gateway"],
    ),
    (
        &["show", "global-protect-gateway", "current-user"],
        &["domain", "gateway", "user"],
    ),
    (&["show", "config", "running"], &["xpath"]),
    (&["show", "config", "candidate"], &["xpath"]),
    (&["show", "config", "merged"], &["xpath"]),
    (&["show", "config", "pushed-template"], &["xpath"]),
    (&["show", "config", "pushed-shared-policy"], &["xpath"]),
    (
        &["show", "log", "*"],
        &["direction", "query", "receive_time"],
    ),
    (&["test", "security-policy-match"], POLICY_MATCH_KEYS),
    (&["test", "nat-policy-match"], POLICY_MATCH_KEYS),
    (&["test", "pbf-policy-match"], POLICY_MATCH_KEYS),
    (&["test", "decryption-policy-match"], POLICY_MATCH_KEYS),
    (&["test"], &["url", "url-info-cloud", "url-info-host"]),
    (
        &["request", "certificate", "generate"],
        &[
            "ca",
            "certificate-name",
            "country-code",
            "days-till-expiry",
            "email",
            "hostname",
            "ip",
            "locality",
            "name",
            "organization",
            "organization-unit",
            "signed-by",
            "state",
        ],
    ),
    (
        &["request", "certificate", "renew"],
        &["certificate-name", "days-till-expiry"],
    ),
    (&["request", "certificate", "revoke"], &["certificate-name"]),
    (&["request", "certificate", "fetch"], &["certificate-name"]),
    (&["request", "commit-lock", "add"], &["comment"]),
    (&["request", "commit-lock", "remove"], &["admin"]),
    (&["request", "config-lock", "add"], &["comment"]),
    (&["request", "config-lock", "remove"], &["admin"]),
    (&["set", "system", "setting"], &["target-vsys"]),
];

/// Whether `word`, after the still-open words `open`, takes the next token as its value.
fn takes_value(open: &[String], word: &str) -> bool {
    GRAMMAR.iter().any(|(path, keys)| {
        path.len() == open.len()
            && path.iter().zip(open).all(|(p, o)| *p == "*" || p == o)
            && keys.contains(&word)
    })
}

/// Convert an op command in CLI form to XML (see the module docs).
pub fn cli_to_xml(cmd: &str) -> Result<String> {
    let tokens = tokenize(cmd)?;
    if tokens.is_empty() {
        return Err(Error::invalid("cmd", "must not be empty"));
    }
    let mut out = String::new();
    let mut open: Vec<String> = Vec::new();
    let mut iter = tokens.into_iter().peekable();
    // Whether the last thing written is the opening tag of `open.last()`, i.e. that word has
    // no content yet and can still take a bare value.
    let mut just_opened = false;
    while let Some(tok) = iter.next() {
        match tok {
            Token::Word(w) if !xml::is_element_name(&w) => {
                // A bare value such as `10.0.0.1` or `ethernet1/1` cannot be an element, so it
                // is the text of the word before it, exactly as if it had been quoted. Angle
                // brackets are refused rather than escaped: they mean half-typed XML.
                let word = open
                    .last()
                    .filter(|_| just_opened && !w.contains(['<', '>']))
                    .cloned();
                let Some(word) = word else {
                    return Err(Error::invalid(
                        "cmd",
                        format!("{w:?} is not a command word; quote values with \"…\""),
                    ));
                };
                open.pop();
                out.truncate(out.len() - word.len() - 2);
                out.push_str(&format!("<{word}>{}</{word}>", xml::escape(&w)));
                just_opened = false;
            }
            Token::Word(w) if takes_value(&open, &w) && iter.peek().is_some() => {
                // The grammar says the next token is this keyword's value, whatever it looks
                // like. Angle brackets in a bare value are refused: they mean half-typed XML.
                let value = match iter.next() {
                    Some(Token::Word(v)) if v.contains(['<', '>']) => {
                        return Err(Error::invalid(
                            "cmd",
                            format!("{v:?} is not a value of {w}; quote values with \"…\""),
                        ));
                    }
                    Some(Token::Word(v) | Token::Quoted(v)) => v,
                    None => unreachable!("peeked a token"),
                };
                out.push_str(&format!("<{w}>{}</{w}>", xml::escape(&value)));
                just_opened = false;
            }
            Token::Word(w) => {
                just_opened = false;
                if let Some(Token::Quoted(_)) = iter.peek() {
                    let Some(Token::Quoted(text)) = iter.next() else {
                        unreachable!("peeked a quoted token")
                    };
                    out.push_str(&format!("<{w}>{}</{w}>", xml::escape(&text)));
                } else {
                    out.push_str(&format!("<{w}>"));
                    open.push(w);
                    just_opened = true;
                }
            }
            Token::Quoted(text) => {
                return Err(Error::invalid(
                    "cmd",
                    format!("value \"{text}\" must follow a command word"),
                ));
            }
        }
    }
    while let Some(w) = open.pop() {
        out.push_str(&format!("</{w}>"));
    }
    Ok(out)
}

/// Normalise an op command: XML (starting with `<`) is checked for well-formedness and
/// passed through, anything else is converted with [`cli_to_xml`].
pub fn command_xml(cmd: &str) -> Result<String> {
    let trimmed = cmd.trim();
    if trimmed.starts_with('<') {
        xml::check_well_formed(trimmed)
            .map_err(|e| Error::invalid("cmd", format!("not well-formed XML: {e}")))?;
        Ok(trimmed.to_owned())
    } else {
        cli_to_xml(trimmed)
    }
}

/// Build `type=op&cmd=…`. `show …` commands are marked idempotent (safe to retry).
pub fn op(cmd: &str) -> Result<ApiRequest> {
    let xml = command_xml(cmd)?;
    let idempotent = xml.starts_with("<show>") || xml.starts_with("<show/>");
    Ok(ApiRequest::new("op", idempotent).push("cmd", xml))
}

/// `show jobs id N` as a request (idempotent).
pub fn show_job(id: u64) -> ApiRequest {
    ApiRequest::new("op", true).push("cmd", format!("<show><jobs><id>{id}</id></jobs></show>"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_conversion() {
        assert_eq!(
            cli_to_xml(r#"show session all filter source "1.1.1.1" destination "2.2.2.2""#)
                .unwrap(),
            "<show><session><all><filter><source>1.1.1.1</source><destination>2.2.2.2</destination></filter></all></session></show>"
        );
        assert_eq!(
            cli_to_xml(r#"test url "a b&c""#).unwrap(),
            "<test><url>a b&amp;c</url></test>"
        );
        assert!(cli_to_xml("").is_err());
        assert!(cli_to_xml(r#""x""#).is_err());
        assert!(cli_to_xml(r#"show "x"#).is_err());
        assert!(cli_to_xml("show <evil>").is_err());
    }

    #[test]
    fn bare_values_are_the_text_of_the_word_before() {
        let cases = [
            (
                "show session all filter source 10.0.0.1",
                "<show><session><all><filter><source>10.0.0.1</source></filter></all></session></show>",
            ),
            (
                "show session all filter source 10.0.0.1 destination 10.0.0.2 destination-port 443",
                "<show><session><all><filter><source>10.0.0.1</source><destination>10.0.0.2</destination><destination-port>443</destination-port></filter></all></session></show>",
            ),
            ("show jobs id 5", "<show><jobs><id>5</id></jobs></show>"),
            (
                "show interface ethernet1/1",
                "<show><interface>ethernet1/1</interface></show>",
            ),
            (
                "clear session id 12 ",
                "<clear><session><id>12</id></session></clear>",
            ),
            (
                "show user ip-user-mapping ip 10.1.1.1",
                "<show><user><ip-user-mapping><ip>10.1.1.1</ip></ip-user-mapping></user></show>",
            ),
            (
                "show object registered-ip ip 2001:db8::1",
                "<show><object><registered-ip><ip>2001:db8::1</ip></registered-ip></object></show>",
            ),
            ("test url a&b/c", "<test><url>a&amp;b/c</url></test>"),
        ];
        for (cli, xml) in cases {
            assert_eq!(cli_to_xml(cli).unwrap(), xml, "{cli}");
        }
        // A bare value needs a word that has no content yet.
        for bad in [
            "10.0.0.1",
            "show jobs id 5 6",
            r#"show jobs id "5" 6"#,
            "show <x>",
        ] {
            let err = cli_to_xml(bad).unwrap_err().to_string();
            assert!(err.contains("is not a command word"), "{bad}: {err}");
        }
    }

    /// Outputs of pan-python 0.26 `PanXapi.cmd_xml()` for the same inputs.
    #[test]
    fn matches_pan_python() {
        let cases = [
            (
                "show system info",
                "<show><system><info></info></system></show>",
            ),
            (
                r#"show interface "ethernet1/1""#,
                "<show><interface>ethernet1/1</interface></show>",
            ),
            (
                r#"request commit-lock add comment "x""#,
                "<request><commit-lock><add><comment>x</comment></add></commit-lock></request>",
            ),
            (
                r#"show jobs id "5""#,
                "<show><jobs><id>5</id></jobs></show>",
            ),
        ];
        for (cli, xml) in cases {
            assert_eq!(cli_to_xml(cli).unwrap(), xml, "{cli}");
        }
    }

    /// The device's grammar: a keyword that takes a value takes the next token, word or not,
    /// exactly as the device's own CLI sends it (`debug cli on`).
    #[test]
    fn grammar_examples() {
        let cases = [
            (
                "show session all filter application ssl",
                "<show><session><all><filter><application>ssl</application></filter></all></session></show>",
            ),
            (
                "show session all filter from trust to untrust state active type flow nat source ssl-decrypt no count yes",
                "<show><session><all><filter><from>trust</from><to>untrust</to><state>active</state><type>flow</type><nat>source</nat><ssl-decrypt>no</ssl-decrypt><count>yes</count></filter></all></session></show>",
            ),
            (
                "show session all filter rule allow-web source-user corp\\alice destination-user bob vsys vsys1 min-kb 10 protocol 6 source-port 1024 destination-port 443",
                "<show><session><all><filter><rule>allow-web</rule><source-user>corp\\alice</source-user><destination-user>bob</destination-user><vsys>vsys1</vsys><min-kb>10</min-kb><protocol>6</protocol><source-port>1024</source-port><destination-port>443</destination-port></filter></all></session></show>",
            ),
            (
                "clear session all filter application web-browsing",
                "<clear><session><all><filter><application>web-browsing</application></filter></all></session></clear>",
            ),
            (
                "show user ip-user-mapping ip 10.1.1.1",
                "<show><user><ip-user-mapping><ip>10.1.1.1</ip></ip-user-mapping></user></show>",
            ),
            (
                "show user ip-user-mapping all option count",
                "<show><user><ip-user-mapping><all><option>count</option></all></ip-user-mapping></user></show>",
            ),
            (
                "show user user-ids match-user alice",
                "<show><user><user-ids><match-user>alice</match-user></user-ids></user></show>",
            ),
            (
                "show user group name admins",
                "<show><user><group><name>admins</name></group></user></show>",
            ),
            (
                "show user group list",
                "<show><user><group><list></list></group></user></show>",
            ),
            (
                "show routing route type static virtual-router default destination 10.0.0.0/8",
                "<show><routing><route><type>static</type><virtual-router>default</virtual-router><destination>10.0.0.0/8</destination></route></routing></show>",
            ),
            (
                "show interface all",
                "<show><interface>all</interface></show>",
            ),
            (
                "show interface management",
                "<show><interface>management</interface></show>",
            ),
            (
                "show counter interface all",
                "<show><counter><interface>all</interface></counter></show>",
            ),
            (
                "show counter global filter severity drop delta yes",
                "<show><counter><global><filter><severity>drop</severity><delta>yes</delta></filter></global></counter></show>",
            ),
            (
                "test security-policy-match from trust to untrust source 10.0.0.1 destination 8.8.8.8 destination-port 53 protocol 17 application dns",
                "<test><security-policy-match><from>trust</from><to>untrust</to><source>10.0.0.1</source><destination>8.8.8.8</destination><destination-port>53</destination-port><protocol>17</protocol><application>dns</application></security-policy-match></test>",
            ),
            (
                r#"show log traffic query "(addr.src in 10.0.0.1)" direction backward"#,
                "<show><log><traffic><query>(addr.src in 10.0.0.1)</query><direction>backward</direction></traffic></log></show>",
            ),
            (
                "request certificate generate certificate-name web name www.example.com signed-by root-ca ca no",
                "<request><certificate><generate><certificate-name>web</certificate-name><name>www.example.com</name><signed-by>root-ca</signed-by><ca>no</ca></generate></certificate></request>",
            ),
            (
                "request commit-lock add comment maintenance",
                "<request><commit-lock><add><comment>maintenance</comment></add></commit-lock></request>",
            ),
            (
                "show object dynamic-address-group name quarantine",
                "<show><object><dynamic-address-group><name>quarantine</name></dynamic-address-group></object></show>",
            ),
            (
                "show user user-id-agent state all",
                "<show><user><user-id-agent><state>all</state></user-id-agent></user></show>",
            ),
            (
                "show user user-id-agent statistics",
                "<show><user><user-id-agent><statistics></statistics></user-id-agent></user></show>",
            ),
            (
                "show config running xpath devices",
                "<show><config><running><xpath>devices</xpath></running></config></show>",
            ),
            (
                "show vpn flow tunnel-id 3",
                "<show><vpn><flow><tunnel-id>3</tunnel-id></flow></vpn></show>",
            ),
            (
                "show global-protect-gateway current-user gateway gw1",
                "<show><global-protect-gateway><current-user><gateway>gw1</gateway></current-user></global-protect-gateway></show>",
            ),
            // Commands without value keywords keep nesting.
            (
                "show system environmentals",
                "<show><system><environmentals></environmentals></system></show>",
            ),
            (
                "show session all",
                "<show><session><all></all></session></show>",
            ),
            ("show jobs all", "<show><jobs><all></all></jobs></show>"),
            // A value keyword at the end has no value: an empty element, as before.
            (
                "show counter interface",
                "<show><counter><interface></interface></counter></show>",
            ),
            // Outside its context a keyword is an ordinary word: `application` under `show`
            // is not a filter key.
            (
                "show application ssl",
                "<show><application><ssl></ssl></application></show>",
            ),
            // An unknown command keeps the generic rule.
            (
                "show foo bar 10.0.0.1",
                "<show><foo><bar>10.0.0.1</bar></foo></show>",
            ),
        ];
        for (cli, xml) in cases {
            assert_eq!(cli_to_xml(cli).unwrap(), xml, "{cli}");
        }
        // A bare value may not carry markup; a quoted one is escaped text.
        assert!(cli_to_xml("show interface <x>").is_err());
        assert_eq!(
            cli_to_xml(r#"show interface "<x>""#).unwrap(),
            "<show><interface>&lt;x&gt;</interface></show>"
        );
    }

    proptest::proptest! {
        /// For every filter key the next token is its value: a word, a number, an address,
        /// quoted or not, gives the same XML; anything else never panics.
        #[test]
        fn filter_keys_take_any_value(
            key in proptest::sample::select(SESSION_FILTER_KEYS),
            value in "[a-z][a-z0-9-]{0,12}|[0-9]{1,5}|[0-9]{1,3}(\\.[0-9]{1,3}){3}|[a-z]+[0-9]+/[0-9]+",
            text in "\\PC{0,40}",
        ) {
            let want = format!("<show><session><all><filter><{key}>{value}</{key}></filter></all></session></show>");
            proptest::prop_assert_eq!(cli_to_xml(&format!("show session all filter {key} {value}")).unwrap(), want.clone());
            proptest::prop_assert_eq!(cli_to_xml(&format!("show session all filter {key} \"{value}\"")).unwrap(), want);
            // A word outside the table nests exactly as before the grammar existed.
            let nested = cli_to_xml(&format!("show nothing-known {value}")).unwrap();
            if xml::is_element_name(&value) {
                proptest::prop_assert_eq!(nested, format!("<show><nothing-known><{value}></{value}></nothing-known></show>"));
            } else {
                proptest::prop_assert_eq!(nested, format!("<show><nothing-known>{value}</nothing-known></show>"));
            }
            let _ = cli_to_xml(&text);
            let _ = cli_to_xml(&format!("show session all filter {key} {text}"));
        }
    }

    #[test]
    fn op_requests() {
        let r = op("show system info").unwrap();
        assert_eq!(
            r.form_body(),
            "type=op&cmd=%3Cshow%3E%3Csystem%3E%3Cinfo%3E%3C%2Finfo%3E%3C%2Fsystem%3E%3C%2Fshow%3E"
        );
        assert!(r.is_idempotent());
        let r = op("<request><restart><system/></restart></request>").unwrap();
        assert!(!r.is_idempotent());
        assert_eq!(
            r.param("cmd"),
            Some("<request><restart><system/></restart></request>")
        );
        assert!(op("<show><x></show>").is_err());
        assert_eq!(
            show_job(7).param("cmd"),
            Some("<show><jobs><id>7</id></jobs></show>")
        );
    }
}
