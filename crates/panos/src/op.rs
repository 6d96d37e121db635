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
//! spaces, and text is XML-escaped. A bare token that cannot be an element name
//! (`10.0.0.1`, `ethernet1/1`, `42`) is taken as the value of the word before it, so
//! `show session all filter source 10.0.0.1` works as typed on the device CLI; a value
//! that looks like a word (`show user group name admins`) must still be quoted.
//!
//! ```
//! use panops_panos::op::cli_to_xml;
//! assert_eq!(
//!     cli_to_xml("show session all filter source 10.0.0.1").unwrap(),
//!     "<show><session><all><filter><source>10.0.0.1</source></filter></all></session></show>"
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
