//! The streaming state machine: one context per open element, unknown subtrees skipped.

use std::collections::HashMap;
use std::io::BufRead;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use super::interner::Sym;
use super::{
    AddressKind, AddressRec, ConfigIndex, GroupRec, IndexError, ListRef, LocKey, NO_SYM, NO_TEXT,
    RuleBase, RuleRec, ServiceProtocol, ServiceRec, TagRec, TextRef,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ObjType {
    Address,
    AddressGroup,
    Service,
    ServiceGroup,
    Tag,
    Rule,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TextSlot {
    AddressValue(AddressKind),
    Filter,
    Port,
    SourcePort,
    Color,
    Action,
    Disabled,
    ParentDg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Inner {
    Dynamic,
    Protocol,
    Proto,
}

// List slots of the entry builder; 0..7 match `RULE_LISTS`.
const L_FROM: usize = 0;
const L_TO: usize = 1;
const L_SOURCE: usize = 2;
const L_DESTINATION: usize = 3;
const L_SERVICE: usize = 4;
const L_APPLICATION: usize = 5;
const L_TAG: usize = 6;
const L_MEMBERS: usize = 7;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ctx {
    Root,
    Config,
    Devices,
    DeviceEntry,
    DeviceGroups,
    Vsyses,
    Scope(u32),
    Container(u32, ObjType),
    Rulebase(u32, RuleBase),
    Security(u32, RuleBase),
    Rules(u32, RuleBase),
    Entry(ObjType),
    Inner(Inner),
    Text(TextSlot),
    List(usize),
    Member(usize),
    Readonly,
    ReadonlyDevices,
    ReadonlyDeviceEntry,
    ReadonlyDeviceGroups,
    ReadonlyDeviceGroup,
}

struct Builder {
    name: Sym,
    loc: u32,
    rulebase: RuleBase,
    lists: [Vec<Sym>; 8],
    address_kind: AddressKind,
    value: TextRef,
    filter: TextRef,
    protocol: ServiceProtocol,
    port: TextRef,
    source_port: TextRef,
    color: Sym,
    action: Sym,
    disabled: bool,
}

impl Builder {
    fn reset(&mut self, name: Sym, loc: u32, rulebase: RuleBase) {
        self.name = name;
        self.loc = loc;
        self.rulebase = rulebase;
        for l in &mut self.lists {
            l.clear();
        }
        self.address_kind = AddressKind::Unknown;
        self.value = NO_TEXT;
        self.filter = NO_TEXT;
        self.protocol = ServiceProtocol::Unknown;
        self.port = NO_TEXT;
        self.source_port = NO_TEXT;
        self.color = NO_SYM;
        self.action = NO_SYM;
        self.disabled = false;
    }
}

struct Parser {
    index: ConfigIndex,
    loc_ids: HashMap<LocKey, u32>,
    cur: Builder,
    text: String,
    readonly_dg: Sym,
    seen_config: bool,
}

fn too_large() -> IndexError {
    IndexError::TooLarge("more than 4 GiB of distinct strings or 4G list items")
}

impl Parser {
    fn intern(&mut self, s: &str) -> Result<Sym, IndexError> {
        self.index.strings.intern(s).ok_or_else(too_large)
    }

    fn name_attr(&mut self, e: &BytesStart<'_>) -> Result<Option<Sym>, IndexError> {
        let Some(attr) = e.try_get_attribute("name").map_err(|err| IndexError::Xml {
            position: 0,
            reason: err.to_string(),
        })?
        else {
            return Ok(None);
        };
        let value = attr.unescape_value().map_err(|err| IndexError::Xml {
            position: 0,
            reason: err.to_string(),
        })?;
        self.intern(&value).map(Some)
    }

    fn location(&mut self, key: LocKey) -> u32 {
        if let Some(&id) = self.loc_ids.get(&key) {
            return id;
        }
        let id = self.index.locations.len() as u32;
        self.index.locations.push(key);
        self.loc_ids.insert(key, id);
        id
    }

    /// Context of a child element, or `None` to skip its subtree.
    fn child(&mut self, parent: Ctx, e: &BytesStart<'_>) -> Result<Option<Ctx>, IndexError> {
        let name = e.local_name();
        let name = name.as_ref();
        Ok(match (parent, name) {
            (Ctx::Root, b"config") => {
                self.seen_config = true;
                Some(Ctx::Config)
            }
            (Ctx::Root, b"response" | b"result") => Some(Ctx::Root),
            (Ctx::Config, b"shared") => Some(Ctx::Scope(self.location(LocKey::Shared))),
            (Ctx::Config, b"devices") => Some(Ctx::Devices),
            (Ctx::Config, b"readonly") => Some(Ctx::Readonly),
            (Ctx::Devices, b"entry") => Some(Ctx::DeviceEntry),
            (Ctx::DeviceEntry, b"device-group") => Some(Ctx::DeviceGroups),
            (Ctx::DeviceEntry, b"vsys") => Some(Ctx::Vsyses),
            (Ctx::DeviceGroups, b"entry") => self
                .name_attr(e)?
                .map(|dg| Ctx::Scope(self.location(LocKey::DeviceGroup(dg)))),
            (Ctx::Vsyses, b"entry") => self
                .name_attr(e)?
                .map(|vsys| Ctx::Scope(self.location(LocKey::Vsys(vsys)))),
            (Ctx::Scope(loc), _) => match name {
                b"address" => Some(Ctx::Container(loc, ObjType::Address)),
                b"address-group" => Some(Ctx::Container(loc, ObjType::AddressGroup)),
                b"service" => Some(Ctx::Container(loc, ObjType::Service)),
                b"service-group" => Some(Ctx::Container(loc, ObjType::ServiceGroup)),
                b"tag" => Some(Ctx::Container(loc, ObjType::Tag)),
                b"pre-rulebase" => Some(Ctx::Rulebase(loc, RuleBase::Pre)),
                b"post-rulebase" => Some(Ctx::Rulebase(loc, RuleBase::Post)),
                b"rulebase" => Some(Ctx::Rulebase(loc, RuleBase::Local)),
                _ => None,
            },
            (Ctx::Rulebase(loc, rb), b"security") => Some(Ctx::Security(loc, rb)),
            (Ctx::Security(loc, rb), b"rules") => Some(Ctx::Rules(loc, rb)),
            (Ctx::Rules(loc, rb), b"entry") => self.start_entry(e, loc, rb, ObjType::Rule)?,
            (Ctx::Container(loc, typ), b"entry") => {
                self.start_entry(e, loc, RuleBase::Local, typ)?
            }
            (Ctx::Entry(typ), _) => self.entry_child(typ, name),
            (Ctx::Inner(Inner::Dynamic), b"filter") => Some(self.text_ctx(TextSlot::Filter)),
            (Ctx::Inner(Inner::Protocol), _) => {
                self.cur.protocol = match name {
                    b"tcp" => ServiceProtocol::Tcp,
                    b"udp" => ServiceProtocol::Udp,
                    b"sctp" => ServiceProtocol::Sctp,
                    _ => return Ok(None),
                };
                Some(Ctx::Inner(Inner::Proto))
            }
            (Ctx::Inner(Inner::Proto), b"port") => Some(self.text_ctx(TextSlot::Port)),
            (Ctx::Inner(Inner::Proto), b"source-port") => Some(self.text_ctx(TextSlot::SourcePort)),
            (Ctx::List(slot), b"member") => {
                self.text.clear();
                Some(Ctx::Member(slot))
            }
            (Ctx::Readonly, b"devices") => Some(Ctx::ReadonlyDevices),
            (Ctx::ReadonlyDevices, b"entry") => Some(Ctx::ReadonlyDeviceEntry),
            (Ctx::ReadonlyDeviceEntry, b"device-group") => Some(Ctx::ReadonlyDeviceGroups),
            (Ctx::ReadonlyDeviceGroups, b"entry") => match self.name_attr(e)? {
                Some(dg) => {
                    self.readonly_dg = dg;
                    Some(Ctx::ReadonlyDeviceGroup)
                }
                None => None,
            },
            (Ctx::ReadonlyDeviceGroup, b"parent-dg") => Some(self.text_ctx(TextSlot::ParentDg)),
            _ => None,
        })
    }

    fn text_ctx(&mut self, slot: TextSlot) -> Ctx {
        self.text.clear();
        Ctx::Text(slot)
    }

    fn start_entry(
        &mut self,
        e: &BytesStart<'_>,
        loc: u32,
        rulebase: RuleBase,
        typ: ObjType,
    ) -> Result<Option<Ctx>, IndexError> {
        let Some(name) = self.name_attr(e)? else {
            return Ok(None);
        };
        self.cur.reset(name, loc, rulebase);
        Ok(Some(Ctx::Entry(typ)))
    }

    fn entry_child(&mut self, typ: ObjType, name: &[u8]) -> Option<Ctx> {
        let ctx = match (typ, name) {
            (_, b"tag") if typ != ObjType::Tag => Ctx::List(L_TAG),
            (ObjType::Address, b"ip-netmask") => {
                Ctx::Text(TextSlot::AddressValue(AddressKind::IpNetmask))
            }
            (ObjType::Address, b"ip-range") => {
                Ctx::Text(TextSlot::AddressValue(AddressKind::IpRange))
            }
            (ObjType::Address, b"ip-wildcard") => {
                Ctx::Text(TextSlot::AddressValue(AddressKind::IpWildcard))
            }
            (ObjType::Address, b"fqdn") => Ctx::Text(TextSlot::AddressValue(AddressKind::Fqdn)),
            (ObjType::AddressGroup, b"static") => Ctx::List(L_MEMBERS),
            (ObjType::AddressGroup, b"dynamic") => Ctx::Inner(Inner::Dynamic),
            (ObjType::Service, b"protocol") => Ctx::Inner(Inner::Protocol),
            (ObjType::ServiceGroup, b"members") => Ctx::List(L_MEMBERS),
            (ObjType::Tag, b"color") => Ctx::Text(TextSlot::Color),
            (ObjType::Rule, b"from") => Ctx::List(L_FROM),
            (ObjType::Rule, b"to") => Ctx::List(L_TO),
            (ObjType::Rule, b"source") => Ctx::List(L_SOURCE),
            (ObjType::Rule, b"destination") => Ctx::List(L_DESTINATION),
            (ObjType::Rule, b"service") => Ctx::List(L_SERVICE),
            (ObjType::Rule, b"application") => Ctx::List(L_APPLICATION),
            (ObjType::Rule, b"action") => Ctx::Text(TextSlot::Action),
            (ObjType::Rule, b"disabled") => Ctx::Text(TextSlot::Disabled),
            _ => return None,
        };
        if matches!(ctx, Ctx::Text(_)) {
            self.text.clear();
        }
        Some(ctx)
    }

    fn close(&mut self, ctx: Ctx) -> Result<(), IndexError> {
        match ctx {
            Ctx::Text(slot) => {
                let value = self.text.trim();
                match slot {
                    TextSlot::AddressValue(kind) => {
                        self.cur.address_kind = kind;
                        self.cur.value = self.store_text()?;
                    }
                    TextSlot::Filter => self.cur.filter = self.store_text()?,
                    TextSlot::Port => self.cur.port = self.store_text()?,
                    TextSlot::SourcePort => self.cur.source_port = self.store_text()?,
                    TextSlot::Color => {
                        self.cur.color = self.index.strings.intern(value).ok_or_else(too_large)?
                    }
                    TextSlot::Action => {
                        self.cur.action = self.index.strings.intern(value).ok_or_else(too_large)?
                    }
                    TextSlot::Disabled => self.cur.disabled = value == "yes",
                    TextSlot::ParentDg => {
                        if !value.is_empty() {
                            let sym = self.index.strings.intern(value).ok_or_else(too_large)?;
                            self.index.parents.insert(self.readonly_dg, sym);
                        }
                    }
                }
            }
            Ctx::Member(slot) => {
                let sym = self
                    .index
                    .strings
                    .intern(self.text.trim())
                    .ok_or_else(too_large)?;
                self.cur.lists[slot].push(sym);
            }
            Ctx::Entry(typ) => self.finish_entry(typ)?,
            _ => {}
        }
        Ok(())
    }

    /// Appends the trimmed captured text to the value store.
    fn store_text(&mut self) -> Result<TextRef, IndexError> {
        let value = self.text.trim();
        let start = u32::try_from(self.index.texts.len()).map_err(|_| too_large())?;
        let len = u32::try_from(value.len()).map_err(|_| too_large())?;
        start
            .checked_add(len)
            .filter(|&e| e < u32::MAX)
            .ok_or_else(too_large)?;
        self.index.texts.push_str(value);
        Ok(TextRef { start, len })
    }

    fn push_list(&mut self, slot: usize) -> Result<ListRef, IndexError> {
        let list = &self.cur.lists[slot];
        let start = u32::try_from(self.index.pool.len()).map_err(|_| too_large())?;
        let len = u32::try_from(list.len()).map_err(|_| too_large())?;
        start.checked_add(len).ok_or_else(too_large)?;
        self.index.pool.extend_from_slice(list);
        Ok(ListRef { start, len })
    }

    fn finish_entry(&mut self, typ: ObjType) -> Result<(), IndexError> {
        let tags = self.push_list(L_TAG)?;
        let c = &self.cur;
        match typ {
            ObjType::Address => self.index.addresses.push(AddressRec {
                name: c.name,
                loc: c.loc,
                kind: c.address_kind,
                value: c.value,
                tags,
            }),
            ObjType::Tag => self.index.tags.push(TagRec {
                name: c.name,
                loc: c.loc,
                color: c.color,
            }),
            ObjType::Service => self.index.services.push(ServiceRec {
                name: c.name,
                loc: c.loc,
                protocol: c.protocol,
                port: c.port,
                source_port: c.source_port,
                tags,
            }),
            ObjType::AddressGroup | ObjType::ServiceGroup => {
                let members = self.push_list(L_MEMBERS)?;
                let c = &self.cur;
                let rec = GroupRec {
                    name: c.name,
                    loc: c.loc,
                    members,
                    filter: c.filter,
                    tags,
                };
                if typ == ObjType::AddressGroup {
                    self.index.address_groups.push(rec);
                } else {
                    self.index.service_groups.push(rec);
                }
            }
            ObjType::Rule => {
                let mut lists = [ListRef::default(); 7];
                for (slot, list) in lists.iter_mut().enumerate().take(L_TAG) {
                    *list = self.push_list(slot)?;
                }
                lists[L_TAG] = tags;
                let c = &self.cur;
                self.index.rules.push(RuleRec {
                    name: c.name,
                    loc: c.loc,
                    rulebase: c.rulebase,
                    lists,
                    action: c.action,
                    disabled: c.disabled,
                });
            }
        }
        Ok(())
    }

    fn capturing(stack: &[Ctx]) -> bool {
        matches!(stack.last(), Some(Ctx::Text(_) | Ctx::Member(_)))
    }
}

fn xml_err<R>(reader: &Reader<R>, err: impl std::fmt::Display) -> IndexError {
    IndexError::Xml {
        position: reader.buffer_position(),
        reason: err.to_string(),
    }
}

pub(super) fn parse<R: BufRead>(input: R) -> Result<ConfigIndex, IndexError> {
    let mut reader = Reader::from_reader(input);
    let mut parser = Parser {
        index: ConfigIndex::default(),
        loc_ids: HashMap::new(),
        cur: Builder {
            name: NO_SYM,
            loc: 0,
            rulebase: RuleBase::Local,
            lists: Default::default(),
            address_kind: AddressKind::Unknown,
            value: NO_TEXT,
            filter: NO_TEXT,
            protocol: ServiceProtocol::Unknown,
            port: NO_TEXT,
            source_port: NO_TEXT,
            color: NO_SYM,
            action: NO_SYM,
            disabled: false,
        },
        text: String::new(),
        readonly_dg: NO_SYM,
        seen_config: false,
    };
    let mut stack: Vec<Ctx> = Vec::with_capacity(32);
    let mut buf = Vec::with_capacity(64 * 1024);
    let mut skip_buf = Vec::with_capacity(64 * 1024);
    loop {
        buf.clear();
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| xml_err(&reader, e))?;
        match event {
            Event::Start(e) => {
                let parent = stack.last().copied().unwrap_or(Ctx::Root);
                match parser.child(parent, &e)? {
                    Some(ctx) => stack.push(ctx),
                    None => {
                        skip_buf.clear();
                        reader
                            .read_to_end_into(e.name(), &mut skip_buf)
                            .map_err(|err| xml_err(&reader, err))?;
                    }
                }
            }
            Event::Empty(e) => {
                let parent = stack.last().copied().unwrap_or(Ctx::Root);
                if let Some(ctx) = parser.child(parent, &e)? {
                    parser.close(ctx)?;
                }
            }
            Event::End(_) => {
                if let Some(ctx) = stack.pop() {
                    parser.close(ctx)?;
                }
            }
            Event::Text(t) if Parser::capturing(&stack) => {
                let text = t.unescape().map_err(|e| xml_err(&reader, e))?;
                parser.text.push_str(&text);
            }
            Event::CData(c) if Parser::capturing(&stack) => {
                parser.text.push_str(&String::from_utf8_lossy(&c));
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !stack.is_empty() {
        return Err(IndexError::Xml {
            position: reader.buffer_position(),
            reason: "unexpected end of input: elements are not closed".into(),
        });
    }
    if !parser.seen_config {
        return Err(IndexError::NoConfig);
    }
    Ok(parser.index)
}
