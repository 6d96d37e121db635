//! A string that never shows itself in `Debug` or `Display` and is wiped from memory when
//! dropped.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};

/// A secret value (API key, password, passphrase).
///
/// `Debug` and `Display` print `***`; the value is only reachable through
/// [`Secret::expose`], which makes every use greppable. It is the `secrecy` crate's
/// [`SecretString`] underneath (the type the SCM side uses), so the memory is zeroized on
/// drop.
#[derive(Clone)]
pub struct Secret(SecretString);

impl Secret {
    /// Wrap a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(SecretString::from(value.into()))
    }

    /// The secret value. Only call this where the value is sent to the device.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// Whether the secret is the empty string.
    pub fn is_empty(&self) -> bool {
        self.0.expose_secret().is_empty()
    }
}

impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        self.expose() == other.expose()
    }
}

impl Eq for Secret {}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(SecretString::from(value))
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self(SecretString::from(value))
    }
}

impl From<SecretString> for Secret {
    fn from(value: SecretString) -> Self {
        Self(value)
    }
}

impl From<Secret> for SecretString {
    fn from(value: Secret) -> Self {
        value.0
    }
}

/// Elements whose text is a secret on a PAN-OS device: API keys, passwords, passphrases,
/// private keys and password hashes.
const SECRET_ELEMENTS: &[&str] = &["key", "password", "passphrase", "private-key", "phash"];

/// Attributes whose value is a secret (`key=` in URLs echoed back, `password=` in forms).
const SECRET_ATTRIBUTES: &[&str] = &["key", "password", "passwd", "passphrase"];

/// Mask the secret-bearing parts of an XML (or XML-like) text: the content of every
/// `<key>`, `<password>`, `<passphrase>`, `<private-key>` and `<phash>` element and the
/// value of `key=`/`password=` attributes or query parameters become `***`.
///
/// It works on text rather than a parsed tree because its inputs are excerpts and logged
/// bodies, which may be cut off mid-element: content whose closing tag is missing is masked
/// to the end.
pub fn redact_xml_secrets(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(lt) = rest.find('<') {
        out.push_str(&mask_attributes(&rest[..lt]));
        let tail = &rest[lt..];
        let Some(name) = open_tag_name(tail) else {
            out.push('<');
            rest = &tail[1..];
            continue;
        };
        let Some(gt) = tail.find('>') else {
            out.push_str(&mask_attributes(tail));
            return out;
        };
        let tag = &tail[..=gt];
        out.push_str(&mask_attributes(tag));
        let after = &tail[gt + 1..];
        if SECRET_ELEMENTS.contains(&name) && !tag.ends_with("/>") {
            let close = format!("</{name}");
            match after.find(&close) {
                Some(end) => {
                    if end > 0 {
                        out.push_str("***");
                    }
                    rest = &after[end..];
                }
                None => {
                    if !after.is_empty() {
                        out.push_str("***");
                    }
                    return out;
                }
            }
        } else {
            rest = after;
        }
    }
    out.push_str(&mask_attributes(rest));
    out
}

/// The element name of an opening tag at the start of `s` (`<name ...>`), if it is one.
fn open_tag_name(s: &str) -> Option<&str> {
    let body = s.strip_prefix('<')?;
    let end = body
        .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
        .unwrap_or(body.len());
    let name = &body[..end];
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'));
    valid.then_some(name)
}

/// Mask `name="value"`, `name='value'` and `name=value` (query-string style) for the
/// secret attribute names.
fn mask_attributes(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let bytes = s.as_bytes();
    let mut i = 0;
    let mut copied = 0;
    while i < bytes.len() {
        let starts_word = i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'-');
        let hit = starts_word
            .then(|| {
                SECRET_ATTRIBUTES.iter().find(|attr| {
                    bytes.len() - i > attr.len()
                        && bytes[i..i + attr.len()].eq_ignore_ascii_case(attr.as_bytes())
                        && bytes[i + attr.len()] == b'='
                })
            })
            .flatten();
        let Some(attr) = hit else {
            i += 1;
            continue;
        };
        let value_start = i + attr.len() + 1;
        let (open, close): (usize, Option<u8>) = match bytes.get(value_start) {
            Some(q @ (b'"' | b'\'')) => (value_start + 1, Some(*q)),
            _ => (value_start, None),
        };
        let end = match close {
            Some(q) => s[open..]
                .bytes()
                .position(|b| b == q)
                .map_or(s.len(), |p| open + p),
            None => s[open..]
                .bytes()
                .position(|b| matches!(b, b'&' | b' ' | b'"' | b'\'' | b'>' | b'<'))
                .map_or(s.len(), |p| open + p),
        };
        out.push_str(&s[copied..open]);
        if end > open {
            out.push_str("***");
        }
        copied = end;
        i = end.max(i + 1);
    }
    out.push_str(&s[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_printed() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?} {s}"), "*** ***");
        assert_eq!(s.expose(), "hunter2");
    }

    #[test]
    fn secret_elements_are_masked_everywhere() {
        let xml = "<response status=\"success\"><result><key>LUFRPT1abc==</key>\
                   <entry><password>hunter2</password><phash>$1$x$y</phash></entry>\
                   <key>second</key><name>keep</name></result></response>";
        let out = redact_xml_secrets(xml);
        assert!(!out.contains("LUFRPT1abc"), "{out}");
        assert!(!out.contains("hunter2"), "{out}");
        assert!(!out.contains("$1$x$y"), "{out}");
        assert!(!out.contains("second"), "{out}");
        assert!(out.contains("<name>keep</name>"), "{out}");
        assert!(out.contains("<key>***</key>"), "{out}");
    }

    #[test]
    fn cut_off_secret_is_masked_to_the_end() {
        let out = redact_xml_secrets("<result><private-key>-----BEGIN PRIVATE KEY-----MIIE");
        assert_eq!(out, "<result><private-key>***");
        let out = redact_xml_secrets("<a><passphrase attr=\"1\">pw");
        assert_eq!(out, "<a><passphrase attr=\"1\">***");
    }

    #[test]
    fn secret_attributes_and_query_parameters_are_masked() {
        let out =
            redact_xml_secrets("<form action=\"/api/?type=op&key=SECRETKEY&cmd=x\" password='pw'>");
        assert!(!out.contains("SECRETKEY"), "{out}");
        assert!(!out.contains("'pw'"), "{out}");
        assert!(out.contains("cmd=x"), "{out}");
        // A word merely ending in "key" is not a key attribute.
        assert_eq!(redact_xml_secrets("monkey=banana"), "monkey=banana");
    }

    #[test]
    fn text_without_secrets_is_unchanged() {
        let xml = "<html><body><h1>Login</h1><p>a < b</p><keyboard>x</keyboard></body></html>";
        assert_eq!(redact_xml_secrets(xml), xml);
    }

    proptest::proptest! {
        #[test]
        fn never_panics_and_never_shows_an_element_secret(
            before in "\\PC{0,40}",
            secret in "[A-Za-z0-9+/=]{4,40}",
            element in proptest::sample::select(SECRET_ELEMENTS),
            cut in 0usize..200,
        ) {
            let doc = format!("<r>{before}<{element}>{secret}</{element}></r>");
            let cut = (0..=cut.min(doc.len())).rev().find(|i| doc.is_char_boundary(*i)).unwrap_or(0);
            let _ = redact_xml_secrets(&before);
            let whole = redact_xml_secrets(&format!("<r><{element}>{secret}</{element}></r>"));
            proptest::prop_assert!(!whole.contains(&secret));
            let part = redact_xml_secrets(&doc[..cut]);
            let open = format!("<{element}>");
            if let Some(at) = doc[..cut].find(&open) {
                if !before.contains('<') {
                    proptest::prop_assert!(!part[at..].contains(&secret[..]), "{part}");
                }
            }
        }
    }
}
