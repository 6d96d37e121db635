//! Streaming index of large configurations.
//!
//! Panorama configurations reach hundreds of megabytes. [`ConfigIndex::from_reader`] reads a
//! `show config running` response or an exported `<config>` as a stream of XML events (never
//! a tree of the whole file) and keeps only what automation asks about: addresses, address
//! groups, services, service groups, tags and security rules, with their location (shared,
//! vsys, device group + pre/post rulebase). Every string is interned once, records are small
//! fixed-size structs, and a reverse index answers "where is this name used". Tokenizing and
//! interning run as a two-stage pipeline on two threads (see `parse.rs`).
//!
//! ```
//! use panops_panos::config_index::{ConfigIndex, IndexLocation};
//!
//! let xml = r#"<response status="success"><result><config><shared>
//!   <address><entry name="web-1"><ip-netmask>10.0.0.1/32</ip-netmask></entry></address>
//!   <pre-rulebase><security><rules><entry name="allow-web">
//!     <source><member>any</member></source><destination><member>web-1</member></destination>
//!     <action>allow</action></entry></rules></security></pre-rulebase>
//! </shared></config></result></response>"#;
//! let index = ConfigIndex::from_reader(xml.as_bytes()).unwrap();
//! let web = index.address(&IndexLocation::Shared, "web-1").unwrap();
//! assert_eq!(web.value, "10.0.0.1/32");
//! let used = index.where_used("web-1");
//! assert_eq!(used[0].referrer_name, "allow-web");
//! ```

mod interner;
mod parse;
pub mod synth;

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::io::BufRead;

use interner::{Interner, Sym};

/// Failures while indexing a configuration.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// Reading the input failed.
    #[error("cannot read the configuration: {0}")]
    Io(#[from] std::io::Error),
    /// The input is not well-formed XML.
    #[error("configuration XML is malformed at byte {position}: {reason}")]
    Xml {
        /// Byte offset in the input.
        position: u64,
        /// Parser message.
        reason: String,
    },
    /// No `<config>` element was found.
    #[error("no <config> element found (expected an exported config or a `show config` response)")]
    NoConfig,
    /// The index passed its 32-bit limits (4 GiB of distinct strings, 4 G records).
    #[error("configuration is too large to index: {0}")]
    TooLarge(&'static str),
    /// The indexing worker thread stopped without an answer (a bug: please report it).
    #[error("the indexing worker thread stopped unexpectedly")]
    Worker,
}

/// Where an indexed object lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IndexLocation<'a> {
    /// `/config/shared`.
    Shared,
    /// A firewall virtual system.
    Vsys(&'a str),
    /// A Panorama device group.
    DeviceGroup(&'a str),
}

/// Rulebase of a security rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RuleBase {
    /// A firewall's own `rulebase`.
    Local,
    /// Panorama `pre-rulebase`.
    Pre,
    /// Panorama `post-rulebase`.
    Post,
}

/// Type of an address object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AddressKind {
    /// `ip-netmask`.
    IpNetmask,
    /// `ip-range`.
    IpRange,
    /// `ip-wildcard`.
    IpWildcard,
    /// `fqdn`.
    Fqdn,
    /// No (known) type element.
    Unknown,
}

/// Protocol of a service object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ServiceProtocol {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
    /// SCTP.
    Sctp,
    /// No (known) protocol element.
    Unknown,
}

/// A rule field that can reference objects by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RuleField {
    /// `source`.
    Source,
    /// `destination`.
    Destination,
    /// `service`.
    Service,
    /// `application`.
    Application,
    /// `from` zones.
    From,
    /// `to` zones.
    To,
    /// `tag`.
    Tag,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum LocKey {
    Shared,
    Vsys(Sym),
    DeviceGroup(Sym),
}

/// Multiply-rotate hasher for the index's small integer keys (symbols, location ids): the keys
/// are not attacker-chosen in a way that matters for a local index, and SipHash was a tenth of
/// the indexing time.
#[derive(Default, Clone, Copy)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
    fn write_u8(&mut self, n: u8) {
        self.write_u64(u64::from(n));
    }
    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

type IdMap<K, V> = HashMap<K, V, BuildHasherDefault<IdHasher>>;

/// A run of interned strings in the shared pool.
#[derive(Debug, Clone, Copy, Default)]
struct ListRef {
    start: u32,
    len: u32,
}

const NO_SYM: Sym = Sym(u32::MAX);

/// A value stored once, without deduplication: address values, filters and ports are nearly
/// all distinct and never looked up by value, so hashing them would only grow the interner
/// (and its cache misses) for nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct TextRef {
    start: u32,
    len: u32,
}

const NO_TEXT: TextRef = TextRef {
    start: u32::MAX,
    len: 0,
};

#[derive(Debug, Clone, Copy)]
struct AddressRec {
    name: Sym,
    loc: u32,
    kind: AddressKind,
    value: TextRef,
    tags: ListRef,
}

#[derive(Debug, Clone, Copy)]
struct GroupRec {
    name: Sym,
    loc: u32,
    members: ListRef,
    filter: TextRef,
    tags: ListRef,
}

#[derive(Debug, Clone, Copy)]
struct ServiceRec {
    name: Sym,
    loc: u32,
    protocol: ServiceProtocol,
    port: TextRef,
    source_port: TextRef,
    tags: ListRef,
}

#[derive(Debug, Clone, Copy)]
struct TagRec {
    name: Sym,
    loc: u32,
    color: Sym,
}

#[derive(Debug, Clone, Copy)]
struct RuleRec {
    name: Sym,
    loc: u32,
    rulebase: RuleBase,
    /// from, to, source, destination, service, application, tag.
    lists: [ListRef; 7],
    action: Sym,
    disabled: bool,
}

const RULE_LISTS: [RuleField; 7] = [
    RuleField::From,
    RuleField::To,
    RuleField::Source,
    RuleField::Destination,
    RuleField::Service,
    RuleField::Application,
    RuleField::Tag,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RefKind {
    AddressGroup,
    ServiceGroup,
    Rule(RuleField),
}

#[derive(Debug, Clone, Copy)]
struct RefRec {
    kind: RefKind,
    record: u32,
}

/// The index of one configuration.
#[derive(Debug, Default)]
pub struct ConfigIndex {
    strings: Interner,
    /// Values stored as they come (see [`TextRef`]); UTF-8, checked when read.
    texts: Vec<u8>,
    pool: Vec<Sym>,
    locations: Vec<LocKey>,
    addresses: Vec<AddressRec>,
    address_groups: Vec<GroupRec>,
    services: Vec<ServiceRec>,
    service_groups: Vec<GroupRec>,
    tags: Vec<TagRec>,
    rules: Vec<RuleRec>,
    /// Device group -> parent device group (from `readonly`), by name.
    parents: IdMap<Sym, Sym>,
    /// Reverse index: `ref_starts[sym]..ref_starts[sym+1]` into `refs`, by referenced name.
    ref_starts: Vec<u32>,
    refs: Vec<RefRec>,
    /// (kind, name, location) -> record, for the per-location lookups.
    by_name: IdMap<(u8, Sym, u32), u32>,
}

/// Number of indexed records of each kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Address objects.
    pub addresses: usize,
    /// Address groups.
    pub address_groups: usize,
    /// Service objects.
    pub services: usize,
    /// Service groups.
    pub service_groups: usize,
    /// Tags.
    pub tags: usize,
    /// Security rules.
    pub security_rules: usize,
    /// Locations seen (shared, each vsys and each device group).
    pub locations: usize,
    /// Distinct strings.
    pub strings: usize,
}

/// A list of names stored in the index.
#[derive(Debug, Clone, Copy)]
pub struct Members<'a> {
    index: &'a ConfigIndex,
    syms: &'a [Sym],
}

impl<'a> Members<'a> {
    /// The names, in document order.
    pub fn iter(&self) -> impl Iterator<Item = &'a str> + 'a {
        let index = self.index;
        self.syms.iter().map(move |s| index.strings.get(*s))
    }

    /// Number of names.
    pub fn len(&self) -> usize {
        self.syms.len()
    }

    /// True when the list is empty.
    pub fn is_empty(&self) -> bool {
        self.syms.is_empty()
    }

    /// The names as a vector.
    pub fn to_vec(&self) -> Vec<&'a str> {
        self.iter().collect()
    }

    /// True when `name` is in the list.
    pub fn contains(&self, name: &str) -> bool {
        self.iter().any(|n| n == name)
    }
}

/// An address object.
#[derive(Debug, Clone, Copy)]
pub struct Address<'a> {
    /// Name.
    pub name: &'a str,
    /// Location.
    pub location: IndexLocation<'a>,
    /// Type.
    pub kind: AddressKind,
    /// Value of the type element (e.g. `10.0.0.1/32`), empty when unknown.
    pub value: &'a str,
    /// Tags.
    pub tags: Members<'a>,
}

/// An address or service group.
#[derive(Debug, Clone, Copy)]
pub struct Group<'a> {
    /// Name.
    pub name: &'a str,
    /// Location.
    pub location: IndexLocation<'a>,
    /// Static members (address groups) or members (service groups).
    pub members: Members<'a>,
    /// Dynamic filter of a dynamic address group.
    pub filter: Option<&'a str>,
    /// Tags.
    pub tags: Members<'a>,
}

/// A service object.
#[derive(Debug, Clone, Copy)]
pub struct Service<'a> {
    /// Name.
    pub name: &'a str,
    /// Location.
    pub location: IndexLocation<'a>,
    /// Protocol.
    pub protocol: ServiceProtocol,
    /// Destination port(s), e.g. `80,443` or `8000-8080`.
    pub port: Option<&'a str>,
    /// Source port(s).
    pub source_port: Option<&'a str>,
    /// Tags.
    pub tags: Members<'a>,
}

/// A tag.
#[derive(Debug, Clone, Copy)]
pub struct Tag<'a> {
    /// Name.
    pub name: &'a str,
    /// Location.
    pub location: IndexLocation<'a>,
    /// Color (`color1`...), when set.
    pub color: Option<&'a str>,
}

/// A security rule.
#[derive(Debug, Clone, Copy)]
pub struct SecurityRule<'a> {
    /// Name.
    pub name: &'a str,
    /// Location.
    pub location: IndexLocation<'a>,
    /// Rulebase.
    pub rulebase: RuleBase,
    /// Position in its rulebase (0 = first).
    pub position: usize,
    /// Source zones.
    pub from: Members<'a>,
    /// Destination zones.
    pub to: Members<'a>,
    /// Source addresses.
    pub source: Members<'a>,
    /// Destination addresses.
    pub destination: Members<'a>,
    /// Services.
    pub service: Members<'a>,
    /// Applications.
    pub application: Members<'a>,
    /// Tags.
    pub tags: Members<'a>,
    /// Action (`allow`, `deny`, ...), when set.
    pub action: Option<&'a str>,
    /// Disabled.
    pub disabled: bool,
}

/// Something that references a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Referrer {
    /// An address group (static member).
    AddressGroup,
    /// A service group (member).
    ServiceGroup,
    /// A security rule field.
    SecurityRule(RuleField, RuleBase),
}

/// One reference to a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usage<'a> {
    /// What refers to it.
    pub referrer: Referrer,
    /// Name of the referring group or rule.
    pub referrer_name: &'a str,
    /// Location of the referring group or rule.
    pub location: IndexLocation<'a>,
}

const K_ADDRESS: u8 = 0;
const K_ADDRESS_GROUP: u8 = 1;
const K_SERVICE: u8 = 2;
const K_SERVICE_GROUP: u8 = 3;
const K_TAG: u8 = 4;
const K_RULE_LOCAL: u8 = 5;
const K_RULE_PRE: u8 = 6;
const K_RULE_POST: u8 = 7;

fn rule_kind(rulebase: RuleBase) -> u8 {
    match rulebase {
        RuleBase::Local => K_RULE_LOCAL,
        RuleBase::Pre => K_RULE_PRE,
        RuleBase::Post => K_RULE_POST,
    }
}

impl ConfigIndex {
    /// Indexes a configuration read from `reader` (an exported `<config>` or a
    /// `<response><result><config>` envelope), streaming.
    pub fn from_reader<R: BufRead>(reader: R) -> Result<ConfigIndex, IndexError> {
        let mut index = parse::parse(reader)?;
        index.finish()?;
        Ok(index)
    }

    fn finish(&mut self) -> Result<(), IndexError> {
        let mut by_name = IdMap::with_capacity_and_hasher(
            self.addresses.len()
                + self.address_groups.len()
                + self.services.len()
                + self.service_groups.len()
                + self.tags.len()
                + self.rules.len(),
            BuildHasherDefault::default(),
        );
        let too_large = || IndexError::TooLarge("more than 4G records");
        for (i, r) in self.addresses.iter().enumerate() {
            by_name.insert(
                (K_ADDRESS, r.name, r.loc),
                u32::try_from(i).map_err(|_| too_large())?,
            );
        }
        for (i, r) in self.address_groups.iter().enumerate() {
            by_name.insert(
                (K_ADDRESS_GROUP, r.name, r.loc),
                u32::try_from(i).map_err(|_| too_large())?,
            );
        }
        for (i, r) in self.services.iter().enumerate() {
            by_name.insert(
                (K_SERVICE, r.name, r.loc),
                u32::try_from(i).map_err(|_| too_large())?,
            );
        }
        for (i, r) in self.service_groups.iter().enumerate() {
            by_name.insert(
                (K_SERVICE_GROUP, r.name, r.loc),
                u32::try_from(i).map_err(|_| too_large())?,
            );
        }
        for (i, r) in self.tags.iter().enumerate() {
            by_name.insert(
                (K_TAG, r.name, r.loc),
                u32::try_from(i).map_err(|_| too_large())?,
            );
        }
        for (i, r) in self.rules.iter().enumerate() {
            by_name.insert(
                (rule_kind(r.rulebase), r.name, r.loc),
                u32::try_from(i).map_err(|_| too_large())?,
            );
        }
        self.by_name = by_name;

        // Reverse index in compressed-row form: count per referenced name, then fill.
        let n = self.strings.len();
        let mut counts = vec![0u32; n + 1];
        let each_ref = |f: &mut dyn FnMut(Sym, RefRec)| {
            for (i, g) in self.address_groups.iter().enumerate() {
                for s in
                    &self.pool[g.members.start as usize..(g.members.start + g.members.len) as usize]
                {
                    f(
                        *s,
                        RefRec {
                            kind: RefKind::AddressGroup,
                            record: i as u32,
                        },
                    );
                }
            }
            for (i, g) in self.service_groups.iter().enumerate() {
                for s in
                    &self.pool[g.members.start as usize..(g.members.start + g.members.len) as usize]
                {
                    f(
                        *s,
                        RefRec {
                            kind: RefKind::ServiceGroup,
                            record: i as u32,
                        },
                    );
                }
            }
            for (i, r) in self.rules.iter().enumerate() {
                for (field, list) in RULE_LISTS.iter().zip(r.lists.iter()) {
                    if matches!(field, RuleField::From | RuleField::To | RuleField::Tag) {
                        continue;
                    }
                    for s in &self.pool[list.start as usize..(list.start + list.len) as usize] {
                        f(
                            *s,
                            RefRec {
                                kind: RefKind::Rule(*field),
                                record: i as u32,
                            },
                        );
                    }
                }
            }
        };
        each_ref(&mut |s, _| counts[s.0 as usize + 1] += 1);
        for i in 1..counts.len() {
            counts[i] += counts[i - 1];
        }
        let total = counts[n] as usize;
        let mut fill = counts.clone();
        let mut refs = vec![
            RefRec {
                kind: RefKind::AddressGroup,
                record: 0
            };
            total
        ];
        each_ref(&mut |s, r| {
            let slot = &mut fill[s.0 as usize];
            refs[*slot as usize] = r;
            *slot += 1;
        });
        self.ref_starts = counts;
        self.refs = refs;
        self.pool.shrink_to_fit();
        self.texts.shrink_to_fit();
        self.strings.shrink();
        Ok(())
    }

    fn list(&self, r: ListRef) -> Members<'_> {
        let start = r.start as usize;
        let end = start + r.len as usize;
        Members {
            index: self,
            syms: self.pool.get(start..end).unwrap_or(&[]),
        }
    }

    fn text(&self, t: TextRef) -> Option<&str> {
        if t == NO_TEXT {
            return None;
        }
        let start = t.start as usize;
        self.texts
            .get(start..start + t.len as usize)
            .and_then(|b| std::str::from_utf8(b).ok())
    }

    fn opt(&self, s: Sym) -> Option<&str> {
        (s != NO_SYM).then(|| self.strings.get(s))
    }

    fn location_of(&self, loc: u32) -> IndexLocation<'_> {
        match self.locations.get(loc as usize) {
            Some(LocKey::Vsys(s)) => IndexLocation::Vsys(self.strings.get(*s)),
            Some(LocKey::DeviceGroup(s)) => IndexLocation::DeviceGroup(self.strings.get(*s)),
            _ => IndexLocation::Shared,
        }
    }

    fn loc_id(&self, location: &IndexLocation<'_>) -> Option<u32> {
        let key = match location {
            IndexLocation::Shared => LocKey::Shared,
            IndexLocation::Vsys(v) => LocKey::Vsys(self.strings.lookup(v)?),
            IndexLocation::DeviceGroup(d) => LocKey::DeviceGroup(self.strings.lookup(d)?),
        };
        self.locations
            .iter()
            .position(|l| *l == key)
            .map(|p| p as u32)
    }

    fn find(&self, kind: u8, location: &IndexLocation<'_>, name: &str) -> Option<usize> {
        let loc = self.loc_id(location)?;
        let name = self.strings.lookup(name)?;
        self.by_name.get(&(kind, name, loc)).map(|&i| i as usize)
    }

    /// Record counts.
    pub fn counts(&self) -> Counts {
        Counts {
            addresses: self.addresses.len(),
            address_groups: self.address_groups.len(),
            services: self.services.len(),
            service_groups: self.service_groups.len(),
            tags: self.tags.len(),
            security_rules: self.rules.len(),
            locations: self.locations.len(),
            strings: self.strings.len(),
        }
    }

    /// Approximate heap bytes held by the index.
    pub fn heap_bytes(&self) -> usize {
        use std::mem::size_of;
        self.strings.bytes()
            + self.texts.capacity()
            + self.pool.capacity() * size_of::<Sym>()
            + self.locations.capacity() * size_of::<LocKey>()
            + self.addresses.capacity() * size_of::<AddressRec>()
            + (self.address_groups.capacity() + self.service_groups.capacity()) * size_of::<GroupRec>()
            + self.services.capacity() * size_of::<ServiceRec>()
            + self.tags.capacity() * size_of::<TagRec>()
            + self.rules.capacity() * size_of::<RuleRec>()
            + self.ref_starts.capacity() * 4
            + self.refs.capacity() * size_of::<RefRec>()
            // hashbrown: key + value + one control byte per bucket, ~87% load.
            + self.by_name.capacity() * (size_of::<(u8, Sym, u32)>() + 4 + 1)
    }

    /// Locations seen (shared, vsys, device groups), in document order.
    pub fn locations(&self) -> impl Iterator<Item = IndexLocation<'_>> + '_ {
        (0..self.locations.len() as u32).map(|i| self.location_of(i))
    }

    /// Parent of a device group (from the configuration's `readonly` section).
    pub fn parent_device_group(&self, device_group: &str) -> Option<&str> {
        let sym = self.strings.lookup(device_group)?;
        self.parents.get(&sym).map(|p| self.strings.get(*p))
    }

    fn address_view(&self, r: &AddressRec) -> Address<'_> {
        Address {
            name: self.strings.get(r.name),
            location: self.location_of(r.loc),
            kind: r.kind,
            value: self.text(r.value).unwrap_or(""),
            tags: self.list(r.tags),
        }
    }

    fn group_view(&self, r: &GroupRec) -> Group<'_> {
        Group {
            name: self.strings.get(r.name),
            location: self.location_of(r.loc),
            members: self.list(r.members),
            filter: self.text(r.filter),
            tags: self.list(r.tags),
        }
    }

    fn service_view(&self, r: &ServiceRec) -> Service<'_> {
        Service {
            name: self.strings.get(r.name),
            location: self.location_of(r.loc),
            protocol: r.protocol,
            port: self.text(r.port),
            source_port: self.text(r.source_port),
            tags: self.list(r.tags),
        }
    }

    fn tag_view(&self, r: &TagRec) -> Tag<'_> {
        Tag {
            name: self.strings.get(r.name),
            location: self.location_of(r.loc),
            color: self.opt(r.color),
        }
    }

    fn rule_view(&self, i: usize) -> Option<SecurityRule<'_>> {
        let r = self.rules.get(i)?;
        // Rules of one rulebase are contiguous in document order.
        let position = self.rules[..i]
            .iter()
            .rev()
            .take_while(|o| o.loc == r.loc && o.rulebase == r.rulebase)
            .count();
        Some(SecurityRule {
            name: self.strings.get(r.name),
            location: self.location_of(r.loc),
            rulebase: r.rulebase,
            position,
            from: self.list(r.lists[0]),
            to: self.list(r.lists[1]),
            source: self.list(r.lists[2]),
            destination: self.list(r.lists[3]),
            service: self.list(r.lists[4]),
            application: self.list(r.lists[5]),
            tags: self.list(r.lists[6]),
            action: self.opt(r.action),
            disabled: r.disabled,
        })
    }

    /// The address `name` at `location`.
    pub fn address(&self, location: &IndexLocation<'_>, name: &str) -> Option<Address<'_>> {
        self.find(K_ADDRESS, location, name)
            .map(|i| self.address_view(&self.addresses[i]))
    }

    /// All addresses, in document order.
    pub fn addresses(&self) -> impl Iterator<Item = Address<'_>> + '_ {
        self.addresses.iter().map(|r| self.address_view(r))
    }

    /// The address group `name` at `location`.
    pub fn address_group(&self, location: &IndexLocation<'_>, name: &str) -> Option<Group<'_>> {
        self.find(K_ADDRESS_GROUP, location, name)
            .map(|i| self.group_view(&self.address_groups[i]))
    }

    /// All address groups.
    pub fn address_groups(&self) -> impl Iterator<Item = Group<'_>> + '_ {
        self.address_groups.iter().map(|r| self.group_view(r))
    }

    /// The service `name` at `location`.
    pub fn service(&self, location: &IndexLocation<'_>, name: &str) -> Option<Service<'_>> {
        self.find(K_SERVICE, location, name)
            .map(|i| self.service_view(&self.services[i]))
    }

    /// All services.
    pub fn services(&self) -> impl Iterator<Item = Service<'_>> + '_ {
        self.services.iter().map(|r| self.service_view(r))
    }

    /// The service group `name` at `location`.
    pub fn service_group(&self, location: &IndexLocation<'_>, name: &str) -> Option<Group<'_>> {
        self.find(K_SERVICE_GROUP, location, name)
            .map(|i| self.group_view(&self.service_groups[i]))
    }

    /// All service groups.
    pub fn service_groups(&self) -> impl Iterator<Item = Group<'_>> + '_ {
        self.service_groups.iter().map(|r| self.group_view(r))
    }

    /// The tag `name` at `location`.
    pub fn tag(&self, location: &IndexLocation<'_>, name: &str) -> Option<Tag<'_>> {
        self.find(K_TAG, location, name)
            .map(|i| self.tag_view(&self.tags[i]))
    }

    /// All tags.
    pub fn tags(&self) -> impl Iterator<Item = Tag<'_>> + '_ {
        self.tags.iter().map(|r| self.tag_view(r))
    }

    /// The security rule `name` in `rulebase` at `location`.
    pub fn security_rule(
        &self,
        location: &IndexLocation<'_>,
        rulebase: RuleBase,
        name: &str,
    ) -> Option<SecurityRule<'_>> {
        self.find(rule_kind(rulebase), location, name)
            .and_then(|i| self.rule_view(i))
    }

    /// All security rules, in document order.
    pub fn security_rules(&self) -> impl Iterator<Item = SecurityRule<'_>> + '_ {
        (0..self.rules.len()).filter_map(|i| self.rule_view(i))
    }

    /// Addresses called `name` in any location.
    pub fn addresses_named<'a>(&'a self, name: &str) -> impl Iterator<Item = Address<'a>> + 'a {
        let sym = self.strings.lookup(name);
        self.addresses
            .iter()
            .filter(move |r| Some(r.name) == sym)
            .map(|r| self.address_view(r))
    }

    /// The address `name` as seen from `location`: the location itself, then its ancestor
    /// device groups, then shared.
    pub fn resolve_address(&self, location: &IndexLocation<'_>, name: &str) -> Option<Address<'_>> {
        let mut current = *location;
        let mut hops = 0;
        loop {
            if let Some(found) = self.address(&current, name) {
                return Some(found);
            }
            current = match current {
                IndexLocation::DeviceGroup(dg) if hops < 64 => match self.parent_device_group(dg) {
                    Some(parent) => IndexLocation::DeviceGroup(parent),
                    None => IndexLocation::Shared,
                },
                IndexLocation::Vsys(_) => IndexLocation::Shared,
                _ => return None,
            };
            hops += 1;
        }
    }

    /// Direct references to `name` (address/service group members, rule source,
    /// destination, service, application), in any location.
    ///
    /// References are by name: a reference in a device group may resolve to an object of
    /// that name in the device group, an ancestor or shared (see [`Self::resolve_address`]).
    pub fn where_used(&self, name: &str) -> Vec<Usage<'_>> {
        let Some(sym) = self.strings.lookup(name) else {
            return Vec::new();
        };
        self.usages(sym).collect()
    }

    fn usages(&self, sym: Sym) -> impl Iterator<Item = Usage<'_>> + '_ {
        let i = sym.0 as usize;
        let start = self.ref_starts.get(i).copied().unwrap_or(0) as usize;
        let end = self.ref_starts.get(i + 1).copied().unwrap_or(0) as usize;
        self.refs
            .get(start..end)
            .unwrap_or(&[])
            .iter()
            .map(move |r| {
                let (referrer, name, loc) = match r.kind {
                    RefKind::AddressGroup => {
                        let g = &self.address_groups[r.record as usize];
                        (Referrer::AddressGroup, g.name, g.loc)
                    }
                    RefKind::ServiceGroup => {
                        let g = &self.service_groups[r.record as usize];
                        (Referrer::ServiceGroup, g.name, g.loc)
                    }
                    RefKind::Rule(field) => {
                        let rule = &self.rules[r.record as usize];
                        (
                            Referrer::SecurityRule(field, rule.rulebase),
                            rule.name,
                            rule.loc,
                        )
                    }
                };
                Usage {
                    referrer,
                    referrer_name: self.strings.get(name),
                    location: self.location_of(loc),
                }
            })
    }

    /// References to `name` and, through the groups that contain it (recursively), to
    /// those groups: everything that would change if the object changed.
    pub fn where_used_transitive(&self, name: &str) -> Vec<Usage<'_>> {
        let Some(start) = self.strings.lookup(name) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut seen = vec![start];
        let mut queue = vec![start];
        while let Some(sym) = queue.pop() {
            for usage in self.usages(sym) {
                if matches!(
                    usage.referrer,
                    Referrer::AddressGroup | Referrer::ServiceGroup
                ) && let Some(group) = self.strings.lookup(usage.referrer_name)
                    && !seen.contains(&group)
                {
                    seen.push(group);
                    queue.push(group);
                }
                out.push(usage);
            }
        }
        out
    }
}
