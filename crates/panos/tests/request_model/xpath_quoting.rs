use panops_panos::xpath::{entries_or, entry, quote};
use proptest::prelude::*;

/// Parse one XPath 1.0 string literal or `concat(lit, lit, …)` at the start of `s`;
/// return its value and the rest of the input.
fn parse_literal(s: &str) -> Option<(String, &str)> {
    let quote_char = s.chars().next()?;
    if quote_char == '\'' || quote_char == '"' {
        let body = &s[1..];
        let end = body.find(quote_char)?;
        return Some((body[..end].to_owned(), &body[end + 1..]));
    }
    let mut rest = s.strip_prefix("concat(")?;
    let mut value = String::new();
    loop {
        let (part, r) = parse_literal(rest)?;
        value.push_str(&part);
        rest = r;
        if let Some(r) = rest.strip_prefix(", ") {
            rest = r;
        } else {
            return Some((value, rest.strip_prefix(')')?));
        }
    }
}

proptest! {
    #[test]
    fn quoted_literal_round_trips(name in any::<String>()) {
        let q = quote(&name);
        let (value, rest) = parse_literal(&q).expect("parses");
        prop_assert_eq!(value, name);
        prop_assert_eq!(rest, "");
    }

    #[test]
    fn name_never_escapes_its_predicate(name in "[a-z'\"\\] \\[@=()/,]{0,24}") {
        let e = entry(&name);
        let inner = e.strip_prefix("entry[@name=").expect("prefix");
        let (value, rest) = parse_literal(inner).expect("literal");
        prop_assert_eq!(&value, &name);
        // Exactly the closing bracket remains: nothing of the name leaked out.
        prop_assert_eq!(rest, "]");
    }

    #[test]
    fn or_lists_hold_every_name(names in proptest::collection::vec("[a-z'\" ]{0,8}", 1..6)) {
        let xp = entries_or(&names).unwrap();
        let mut rest = xp.strip_prefix("entry[").unwrap();
        for (i, name) in names.iter().enumerate() {
            if i > 0 {
                rest = rest.strip_prefix(" or ").expect("separator");
            }
            rest = rest.strip_prefix("@name=").expect("attr");
            let (value, r) = parse_literal(rest).expect("literal");
            prop_assert_eq!(&value, name);
            rest = r;
        }
        prop_assert_eq!(rest, "]");
    }
}
