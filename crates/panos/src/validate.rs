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
