//! XML → JSON for command output: attributes become `@name`, repeated children become arrays,
//! text-only elements become strings. This is the shape xmltodict users expect.

use panops_panos::xml::Element;
#[cfg(test)]
use panops_panos::xml::parse;
use serde_json::{Map, Value};

/// Converts an element to JSON (the element's own name is not included).
pub fn element_to_json(el: &Element) -> Value {
    let mut map = Map::new();
    for (k, v) in &el.attrs {
        map.insert(format!("@{k}"), Value::String(v.clone()));
    }
    let mut children = el.elements().peekable();
    if children.peek().is_none() {
        let text = el.own_text().unwrap_or_default();
        if map.is_empty() {
            return if text.is_empty() {
                Value::Null
            } else {
                Value::String(text)
            };
        }
        if !text.is_empty() {
            map.insert("#text".into(), Value::String(text));
        }
        return Value::Object(map);
    }
    for child in children {
        let value = element_to_json(child);
        match map.get_mut(&child.name) {
            Some(Value::Array(items)) => items.push(value),
            Some(existing) => {
                let first = existing.take();
                *existing = Value::Array(vec![first, value]);
            }
            None => {
                map.insert(child.name.clone(), value);
            }
        }
    }
    Value::Object(map)
}

/// Parses an XML fragment (one root) into JSON; falls back to the text itself if it is not XML.
#[cfg(test)]
pub fn xml_to_json(xml: &str) -> Value {
    match parse(xml.as_bytes()) {
        Ok(el) => {
            let mut map = Map::new();
            map.insert(el.name.clone(), element_to_json(&el));
            Value::Object(map)
        }
        Err(_) => Value::String(xml.to_string()),
    }
}

/// The children of `<result>` as JSON (without the `result` wrapper), or null.
pub fn result_json(result: Option<&Element>) -> Value {
    result.map(element_to_json).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn repeated_children_become_arrays_and_attrs_are_prefixed() {
        let v = xml_to_json(
            "<address><entry name='a'><ip-netmask>1.1.1.1</ip-netmask></entry><entry name='b'><fqdn>x.example</fqdn></entry></address>",
        );
        assert_eq!(
            v,
            json!({"address": {"entry": [
                {"@name": "a", "ip-netmask": "1.1.1.1"},
                {"@name": "b", "fqdn": "x.example"}
            ]}})
        );
    }

    #[test]
    fn non_xml_is_kept_as_text() {
        assert_eq!(xml_to_json("not xml"), json!("not xml"));
    }
}
