//! Typed views of the object kinds automation touches most: addresses, address groups,
//! services, service groups, tags and security rules.
//!
//! They are thin: each type serialises to exactly the JSON the [catalog](crate::catalog)
//! decodes and encodes (kebab-case field names, lists of members), so the catalog stays the
//! one description of a kind — xpath, locations, limits and validation all come from it. A
//! typed value converts to and from that JSON with [`TypedObject::to_value`] and
//! [`TypedObject::from_value`]; fields a type does not name (newer PAN-OS fields, the
//! `_unknown_xml` the catalog keeps for elements it does not know) travel in `extra`, so a
//! read-modify-write through a typed value loses nothing.
//!
//! ```
//! use panops_panos::catalog::Catalog;
//! use panops_panos::objects::{Address, AddressValue, TypedObject};
//!
//! let a = Address::new("web-1", AddressValue::IpNetmask("10.0.0.1/32".into())).with_tag("ioc");
//! let kind = Catalog::builtin().kind(Address::KIND)?;
//! let xml = kind.to_xml(&a.to_value()?)?;
//! assert_eq!(xml, r#"<entry name="web-1"><ip-netmask>10.0.0.1/32</ip-netmask><tag><member>ioc</member></tag></entry>"#);
//! let back = Address::from_value(kind.from_xml(&xml)?)?;
//! assert_eq!(back, a);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use serde::{Deserialize, Serialize, de::DeserializeOwned};
use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// A typed object kind of the catalog.
pub trait TypedObject: Serialize + DeserializeOwned {
    /// The catalog kind name (`address`, `security-rule`, ...).
    const KIND: &'static str;

    /// The entry name.
    fn name(&self) -> &str;

    /// The catalog JSON of this object.
    fn to_value(&self) -> Result<Value> {
        serde_json::to_value(self)
            .map_err(|e| Error::invalid(Self::KIND, format!("cannot encode: {e}")))
    }

    /// Reads the catalog JSON of one object (as decoded from the device).
    fn from_value(value: Value) -> Result<Self> {
        let obj: Self = serde_json::from_value(value).map_err(|e| {
            Error::invalid(
                Self::KIND,
                format!("does not match the typed {}: {e}", Self::KIND),
            )
        })?;
        obj.check()?;
        Ok(obj)
    }

    /// Rules serde cannot express (checked by [`from_value`](Self::from_value)).
    fn check(&self) -> Result<()> {
        Ok(())
    }
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// The value of an address object: exactly one of the four types.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AddressValue {
    /// `ip-netmask`: an IP address or network (`10.0.0.1`, `10.0.0.0/24`, IPv6 too).
    IpNetmask(String),
    /// `ip-range`: `first-last`.
    IpRange(String),
    /// `ip-wildcard`: `address/wildcard-mask`.
    IpWildcard(String),
    /// `fqdn`: a domain name.
    Fqdn(String),
}

/// An address object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Address {
    /// Name (unique among addresses and address groups of a location).
    pub name: String,
    /// What the address is.
    #[serde(flatten)]
    pub value: AddressValue,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tag: Vec<String>,
    /// Fields this type does not name, kept for read-modify-write.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Address {
    /// An address with no description or tags.
    pub fn new(name: impl Into<String>, value: AddressValue) -> Self {
        Self {
            name: name.into(),
            value,
            description: None,
            tag: Vec::new(),
            extra: Map::new(),
        }
    }

    /// Adds a tag.
    pub fn with_tag(mut self, tag: impl Into<String>) -> Self {
        self.tag.push(tag.into());
        self
    }

    /// Sets the description.
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }
}

impl TypedObject for Address {
    const KIND: &'static str = "address";
    fn name(&self) -> &str {
        &self.name
    }

    fn check(&self) -> Result<()> {
        // The flattened enum takes one type; a second one would land in `extra` unnoticed.
        const TYPES: [&str; 4] = ["ip-netmask", "ip-range", "ip-wildcard", "fqdn"];
        match TYPES.iter().find(|t| self.extra.contains_key(**t)) {
            Some(t) => Err(Error::invalid(
                format!("{}.{t}", self.name),
                "an address has exactly one of ip-netmask, ip-range, ip-wildcard, fqdn",
            )),
            None => Ok(()),
        }
    }
}

/// The dynamic part of an address group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DynamicFilter {
    /// Tag expression such as `'ioc' and 'blocked'`.
    pub filter: String,
}

/// An address group: static members or a dynamic tag filter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct AddressGroup {
    /// Name.
    pub name: String,
    /// Static members (address or group names).
    #[serde(default, rename = "static", skip_serializing_if = "Option::is_none")]
    pub static_members: Option<Vec<String>>,
    /// Dynamic membership by tag filter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dynamic: Option<DynamicFilter>,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tag: Vec<String>,
    /// Fields this type does not name, kept for read-modify-write.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl AddressGroup {
    /// A static group of these members.
    pub fn with_members<S: Into<String>>(
        name: impl Into<String>,
        members: impl IntoIterator<Item = S>,
    ) -> Self {
        Self {
            name: name.into(),
            static_members: Some(members.into_iter().map(Into::into).collect()),
            dynamic: None,
            description: None,
            tag: Vec::new(),
            extra: Map::new(),
        }
    }

    /// A dynamic group matching a tag filter.
    pub fn dynamic(name: impl Into<String>, filter: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            static_members: None,
            dynamic: Some(DynamicFilter {
                filter: filter.into(),
            }),
            description: None,
            tag: Vec::new(),
            extra: Map::new(),
        }
    }
}

impl TypedObject for AddressGroup {
    const KIND: &'static str = "address-group";
    fn name(&self) -> &str {
        &self.name
    }
}

/// Ports of one protocol of a service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Ports {
    /// Destination ports: `80`, `8080-8090`, `80,443`.
    pub port: String,
    /// Source ports, if restricted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_port: Option<String>,
    /// Fields this type does not name (`override`), kept for read-modify-write.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The protocol of a service: exactly one of TCP, UDP (or SCTP in `extra`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Protocol {
    /// TCP ports.
    Tcp(Ports),
    /// UDP ports.
    Udp(Ports),
}

/// A service object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Service {
    /// Name.
    pub name: String,
    /// Protocol and ports.
    pub protocol: Protocol,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tag: Vec<String>,
    /// Fields this type does not name, kept for read-modify-write.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Service {
    /// A TCP service on these destination ports.
    pub fn tcp(name: impl Into<String>, port: impl Into<String>) -> Self {
        Self::with(name, Protocol::Tcp(Ports::new(port)))
    }

    /// A UDP service on these destination ports.
    pub fn udp(name: impl Into<String>, port: impl Into<String>) -> Self {
        Self::with(name, Protocol::Udp(Ports::new(port)))
    }

    fn with(name: impl Into<String>, protocol: Protocol) -> Self {
        Self {
            name: name.into(),
            protocol,
            description: None,
            tag: Vec::new(),
            extra: Map::new(),
        }
    }
}

impl Ports {
    /// Destination ports only.
    pub fn new(port: impl Into<String>) -> Self {
        Self {
            port: port.into(),
            source_port: None,
            extra: Map::new(),
        }
    }
}

impl TypedObject for Service {
    const KIND: &'static str = "service";
    fn name(&self) -> &str {
        &self.name
    }
}

/// A service group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct ServiceGroup {
    /// Name.
    pub name: String,
    /// Member services or groups.
    #[serde(default)]
    pub members: Vec<String>,
    /// Tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tag: Vec<String>,
    /// Fields this type does not name, kept for read-modify-write.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl TypedObject for ServiceGroup {
    const KIND: &'static str = "service-group";
    fn name(&self) -> &str {
        &self.name
    }
}

/// A tag.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Tag {
    /// Name.
    pub name: String,
    /// `color1` … (the GUI's colour names map to these numbers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comments: Option<String>,
    /// Fields this type does not name, kept for read-modify-write.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Tag {
    /// A tag with no colour or comment.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            color: None,
            comments: None,
            extra: Map::new(),
        }
    }
}

impl TypedObject for Tag {
    const KIND: &'static str = "tag";
    fn name(&self) -> &str {
        &self.name
    }
}

/// A security rule. Lists left empty are sent as they are; PAN-OS requires `from`, `to`,
/// `source`, `destination`, `application` and `service` on commit, so [`SecurityRule::new`]
/// fills them with `any` (service: `application-default`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct SecurityRule {
    /// Name.
    pub name: String,
    /// Source zones.
    #[serde(default)]
    pub from: Vec<String>,
    /// Destination zones.
    #[serde(default)]
    pub to: Vec<String>,
    /// Source addresses.
    #[serde(default)]
    pub source: Vec<String>,
    /// Destination addresses.
    #[serde(default)]
    pub destination: Vec<String>,
    /// Source users.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub source_user: Vec<String>,
    /// URL categories.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub category: Vec<String>,
    /// Applications.
    #[serde(default)]
    pub application: Vec<String>,
    /// Services.
    #[serde(default)]
    pub service: Vec<String>,
    /// `allow`, `deny`, `drop`, `reset-client`, `reset-server`, `reset-both`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tag: Vec<String>,
    /// Disabled.
    #[serde(default, skip_serializing_if = "is_false")]
    pub disabled: bool,
    /// Fields this type does not name (log settings, profiles, uuid, ...), kept.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl SecurityRule {
    /// A rule matching anything, with `action` (allow, deny, ...).
    pub fn new(name: impl Into<String>, action: impl Into<String>) -> Self {
        let any = || vec!["any".to_string()];
        Self {
            name: name.into(),
            from: any(),
            to: any(),
            source: any(),
            destination: any(),
            source_user: Vec::new(),
            category: Vec::new(),
            application: any(),
            service: vec!["application-default".into()],
            action: Some(action.into()),
            description: None,
            tag: Vec::new(),
            disabled: false,
            extra: Map::new(),
        }
    }
}

impl TypedObject for SecurityRule {
    const KIND: &'static str = "security-rule";
    fn name(&self) -> &str {
        &self.name
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;
    use serde_json::json;

    fn round_trip<T: TypedObject + PartialEq + std::fmt::Debug>(obj: &T) -> String {
        let kind = Catalog::builtin().kind(T::KIND).unwrap();
        let xml = kind.to_xml(&obj.to_value().unwrap()).unwrap();
        let back = T::from_value(kind.from_xml(&xml).unwrap()).unwrap();
        assert_eq!(&back, obj, "{xml}");
        xml
    }

    #[test]
    fn every_typed_kind_round_trips_through_the_catalog() {
        let xml = round_trip(
            &Address::new("h1", AddressValue::Fqdn("c2.example.net".into()))
                .with_description("C2")
                .with_tag("ioc"),
        );
        assert!(xml.contains("<fqdn>c2.example.net</fqdn>"), "{xml}");
        round_trip(&Address::new(
            "r1",
            AddressValue::IpRange("10.0.0.1-10.0.0.9".into()),
        ));
        let xml = round_trip(&AddressGroup::with_members("g", ["h1", "r1"]));
        assert!(
            xml.contains("<static><member>h1</member><member>r1</member></static>"),
            "{xml}"
        );
        let xml = round_trip(&AddressGroup::dynamic("dag", "'ioc' and 'blocked'"));
        assert!(xml.contains("<dynamic><filter>"), "{xml}");
        let xml = round_trip(&Service::tcp("web", "80,443"));
        assert!(
            xml.contains("<protocol><tcp><port>80,443</port></tcp></protocol>"),
            "{xml}"
        );
        round_trip(&Service::udp("dns", "53"));
        round_trip(&ServiceGroup {
            name: "sg".into(),
            members: vec!["web".into(), "dns".into()],
            tag: vec![],
            extra: Map::new(),
        });
        round_trip(&Tag {
            color: Some("color1".into()),
            comments: Some("incident".into()),
            ..Tag::new("t")
        });
        let mut rule = SecurityRule::new("block", "deny");
        rule.destination = vec!["g".into()];
        rule.tag = vec!["ioc".into()];
        let xml = round_trip(&rule);
        assert!(xml.contains("<action>deny</action>"), "{xml}");
    }

    #[test]
    fn unknown_fields_and_xml_survive_a_typed_read_modify_write() {
        let kind = Catalog::builtin().kind("address").unwrap();
        let device = r#"<entry name="h1" loc="shared"><ip-netmask>10.0.0.1</ip-netmask><future-field>x</future-field></entry>"#;
        let mut a = Address::from_value(kind.from_xml(device).unwrap()).unwrap();
        assert_eq!(a.value, AddressValue::IpNetmask("10.0.0.1".into()));
        a.description = Some("edited".into());
        let xml = kind.to_xml(&a.to_value().unwrap()).unwrap();
        assert!(xml.contains("<future-field>x</future-field>"), "{xml}");
        assert!(xml.contains("<description>edited</description>"), "{xml}");
    }

    #[test]
    fn json_that_is_not_the_type_is_a_clear_error() {
        let e = Address::from_value(json!({"name": "x"}))
            .unwrap_err()
            .to_string();
        assert!(e.contains("address"), "{e}");
        let e = Address::from_value(json!({"name": "x", "fqdn": "a", "ip-netmask": "1.1.1.1"}));
        assert!(e.is_err(), "two address types at once");
    }
}
