//! Validation helpers. Every failure names the field and what would be accepted.

use crate::error::{Error, Result};

/// Maximum length of most PAN-OS object names.
pub const MAX_NAME_LEN: usize = 63;

/// A non-empty name of at most `max` characters without control characters.
/// Used for names that PAN-OS accepts more loosely (vsys, device groups, users).
pub fn name(field: &str, value: &str, max: usize) -> Result<()> {
    if value.is_empty() {
        return Err(Error::invalid(field, "must not be empty"));
    }
    let len = value.chars().count();
    if len > max {
        return Err(Error::invalid(
            field,
            format!("can be at most {max} characters, but current length: {len}"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(Error::invalid(field, "must not contain control characters"));
    }
    Ok(())
}

/// An object name as PAN-OS accepts it for addresses, tags, services, rules, …:
/// 1–63 characters; letters, digits, space, `_`, `-`, `.`; starting with a letter,
/// digit or `_`.
pub fn object_name(field: &str, value: &str) -> Result<()> {
    name(field, value, MAX_NAME_LEN)?;
    let first_ok = value
        .chars()
        .next()
        .is_some_and(|c| c.is_alphanumeric() || c == '_');
    if !first_ok {
        return Err(Error::invalid(
            field,
            "must start with a letter, a digit or an underscore",
        ));
    }
    if let Some(bad) = value
        .chars()
        .find(|c| !(c.is_alphanumeric() || matches!(c, ' ' | '_' | '-' | '.')))
    {
        return Err(Error::invalid(
            field,
            format!(
                "character {bad:?} is not allowed; use letters, digits, spaces, '_', '-' or '.'"
            ),
        ));
    }
    Ok(())
}

/// An address with an optional prefix length, as `ip-netmask` takes it: `10.0.0.1`,
/// `10.0.0.0/24`, `2001:db8::/32` (prefix at most 32 for IPv4, 128 for IPv6).
pub fn ip_netmask(field: &str, value: &str) -> Result<()> {
    let (addr, prefix) = match value.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (value, None),
    };
    let ip: std::net::IpAddr = addr.parse().map_err(|_| {
        Error::invalid(
            field,
            format!("{value:?} is not an IP address (expected e.g. 10.0.0.1, 10.0.0.0/24 or 2001:db8::/32)"),
        )
    })?;
    if let Some(p) = prefix {
        let max = if ip.is_ipv4() { 32 } else { 128 };
        let ok = !p.is_empty()
            && p.len() <= 3
            && p.bytes().all(|b| b.is_ascii_digit())
            && p.parse::<u8>().is_ok_and(|n| n <= max);
        if !ok {
            return Err(Error::invalid(
                field,
                format!("{value:?} has prefix length {p:?}; it must be a number from 0 to {max}"),
            ));
        }
    }
    Ok(())
}

/// A range `FIRST-LAST` of two addresses of the same family, first ≤ last, as `ip-range`
/// takes it: `10.0.0.1-10.0.0.9`.
pub fn ip_range(field: &str, value: &str) -> Result<()> {
    let bad = |why: &str| {
        Error::invalid(
            field,
            format!("{value:?} {why} (expected e.g. 10.0.0.1-10.0.0.9)"),
        )
    };
    let (a, b) = value
        .split_once('-')
        .ok_or_else(|| bad("is not a range FIRST-LAST"))?;
    let a: std::net::IpAddr = a
        .parse()
        .map_err(|_| bad("does not start with an IP address"))?;
    let b: std::net::IpAddr = b
        .parse()
        .map_err(|_| bad("does not end with an IP address"))?;
    match (a, b) {
        (std::net::IpAddr::V4(x), std::net::IpAddr::V4(y)) if x <= y => Ok(()),
        (std::net::IpAddr::V6(x), std::net::IpAddr::V6(y)) if x <= y => Ok(()),
        (x, y) if x.is_ipv4() == y.is_ipv4() => Err(bad("ends before it starts")),
        _ => Err(bad("mixes IPv4 and IPv6")),
    }
}

/// An IPv4 address and wildcard mask, as `ip-wildcard` takes it: `10.0.0.0/0.0.255.255`.
pub fn ip_wildcard(field: &str, value: &str) -> Result<()> {
    let bad = || {
        Error::invalid(
            field,
            format!(
                "{value:?} is not ADDRESS/WILDCARD-MASK of two IPv4 addresses (expected e.g. 10.0.0.0/0.0.255.255)"
            ),
        )
    };
    let (a, m) = value.split_once('/').ok_or_else(bad)?;
    a.parse::<std::net::Ipv4Addr>().map_err(|_| bad())?;
    m.parse::<std::net::Ipv4Addr>().map_err(|_| bad())?;
    Ok(())
}

/// The format check for a field known by its name on both PAN-OS (`ip-netmask`) and SCM
/// (`ip_netmask`) when the specs give it as a bare string: address values. `None` when the
/// name has no known format.
pub fn known_format(field_name: &str, path: &str, value: &str) -> Option<Result<()>> {
    match field_name.replace('_', "-").as_str() {
        "ip-netmask" => Some(ip_netmask(path, value)),
        "ip-range" => Some(ip_range(path, value)),
        "ip-wildcard" => Some(ip_wildcard(path, value)),
        _ => None,
    }
}

/// A device serial number (alphanumeric, 1–32 characters).
pub fn serial(field: &str, value: &str) -> Result<()> {
    if value.is_empty() || value.len() > 32 || !value.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(Error::invalid(
            field,
            format!("{value:?} is not a device serial number (1-32 letters or digits)"),
        ));
    }
    Ok(())
}

/// A non-empty xpath starting with `/`.
pub fn xpath(field: &str, value: &str) -> Result<()> {
    if value.trim().is_empty() {
        return Err(Error::invalid(field, "must not be empty"));
    }
    if !value.starts_with('/') {
        return Err(Error::invalid(
            field,
            format!("must be an absolute xpath starting with '/', got {value:?}"),
        ));
    }
    if value.chars().any(|c| c == '\n' || c == '\r' || c == '\0') {
        return Err(Error::invalid(field, "must not contain line breaks or NUL"));
    }
    Ok(())
}

/// An integer within `min..=max`.
pub fn range(field: &str, value: u64, min: u64, max: u64) -> Result<()> {
    if value < min || value > max {
        return Err(Error::invalid(
            field,
            format!("{value} is out of range; must be between {min} and {max}"),
        ));
    }
    Ok(())
}

/// A non-empty value.
pub fn non_empty(field: &str, value: &str) -> Result<()> {
    if value.trim().is_empty() {
        return Err(Error::invalid(field, "must not be empty"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_formats() {
        for ok in [
            "10.0.0.1",
            "10.0.0.0/24",
            "0.0.0.0/0",
            "2001:db8::/32",
            "::1",
            "10.1.2.3/32",
        ] {
            assert!(ip_netmask("ip", ok).is_ok(), "{ok}");
        }
        for bad in [
            "10.0.0.300",
            "10.0.0.1/33",
            "2001:db8::/129",
            "10.0.0.1/",
            "x",
            "",
            "10.0.0.1/+1",
            "10.0.0.0/24/1",
        ] {
            assert!(ip_netmask("ip", bad).is_err(), "{bad}");
        }
        assert!(ip_range("r", "10.0.0.1-10.0.0.9").is_ok());
        assert!(ip_range("r", "2001:db8::1-2001:db8::ff").is_ok());
        for bad in [
            "10.0.0.9-10.0.0.1",
            "10.0.0.1-::1",
            "10.0.0.1",
            "10.0.0.1-10.0.0.300",
        ] {
            assert!(ip_range("r", bad).is_err(), "{bad}");
        }
        assert!(ip_wildcard("w", "10.0.0.0/0.0.255.255").is_ok());
        assert!(ip_wildcard("w", "10.0.0.0/16").is_err());
        let e = ip_netmask("ip_netmask", "10.0.0.300")
            .unwrap_err()
            .to_string();
        assert!(e.contains("ip_netmask") && e.contains("10.0.0.300"), "{e}");
    }

    proptest::proptest! {
        #[test]
        fn ip_netmask_agrees_with_the_standard_parser(a in 0u32..=u32::MAX, prefix in 0u16..300, text in "\\PC{0,24}") {
            let ip = std::net::Ipv4Addr::from(a);
            proptest::prop_assert_eq!(ip_netmask("f", &format!("{ip}/{prefix}")).is_ok(), prefix <= 32);
            proptest::prop_assert!(ip_netmask("f", &ip.to_string()).is_ok());
            // Any text: never a panic; accepted only if the address part really parses.
            let ok = ip_netmask("f", &text).is_ok();
            let addr = text.split_once('/').map_or(text.as_str(), |(a, _)| a);
            if ok {
                proptest::prop_assert!(addr.parse::<std::net::IpAddr>().is_ok());
            }
            let _ = ip_range("f", &text);
            let _ = ip_wildcard("f", &text);
        }
    }

    #[test]
    fn names() {
        assert!(object_name("name", "web-srv_01.example").is_ok());
        assert!(object_name("name", &"a".repeat(63)).is_ok());
        let long = object_name("name", &"a".repeat(64))
            .unwrap_err()
            .to_string();
        assert_eq!(
            long,
            "invalid name: can be at most 63 characters, but current length: 64"
        );
        assert!(object_name("name", "-x").is_err());
        assert!(object_name("name", "a'b").is_err());
        assert!(object_name("name", "").is_err());
        assert!(name("user", "dom\\user", 63).is_ok());
        assert!(name("user", "a\nb", 63).is_err());
    }

    #[test]
    fn other() {
        assert!(xpath("xpath", "").is_err());
        assert!(xpath("xpath", "config").is_err());
        assert!(xpath("xpath", "/config").is_ok());
        assert!(range("nlogs", 0, 1, 5000).is_err());
        assert!(range("nlogs", 5000, 1, 5000).is_ok());
        assert!(serial("serial", "007951000123456").is_ok());
        assert!(serial("serial", "0079-1").is_err());
    }
}
