//! The streaming state machine, in two stages on two threads.
//!
//! The **front** (the caller's thread, which owns the reader) tokenizes the XML with
//! quick-xml, tracks one context per open element, skips unknown subtrees and captures the
//! few texts and names the index keeps. It emits them as [`Op`]s in batches. The **back** (a
//! scoped worker thread) interns the strings and builds the records. Tokenizing and interning
//! each take about half of the work on a large configuration, so the pipeline runs close to
//! twice as fast on two cores; batches keep the hand-off cheap, and a bounded channel keeps
//! memory flat (a few batches in flight, whatever the input size).

use std::collections::HashMap;
use std::io::BufRead;
use std::ops::Range;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

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

/// A byte range of a batch's `bytes`.
type Span = Range<u32>;

/// What the front tells the back, in document order.
#[derive(Debug, Clone)]
enum Op {
    /// A new location (its id is the next one).
    Location(LocOp, Span),
    /// An entry opens at a location (its type comes with [`Op::EndEntry`]).
    Entry(u32, RuleBase, Span),
    /// A captured text of the open entry (trimmed).
    Text(TextSlot, Span),
    /// A list member of the open entry (trimmed).
    Member(usize, Span),
    /// The protocol of the open service.
    Protocol(ServiceProtocol),
    /// The open entry ends.
    EndEntry(ObjType),
    /// A device group of the `readonly` section opens.
    ReadonlyDg(Span),
}

#[derive(Debug, Clone, Copy)]
enum LocOp {
    Shared,
    Vsys,
    DeviceGroup,
}

#[derive(Default)]
struct Batch {
    bytes: Vec<u8>,
    ops: Vec<Op>,
}

impl Batch {
    fn span(&mut self, s: &[u8]) -> Result<Span, IndexError> {
        let start = u32::try_from(self.bytes.len()).map_err(|_| too_large())?;
        self.bytes.extend_from_slice(s);
        let end = u32::try_from(self.bytes.len()).map_err(|_| too_large())?;
        Ok(start..end)
    }

    /// The bytes of a span: UTF-8, since the front only appends `&str`s and cuts at ASCII.
    fn bytes(&self, span: &Span) -> &[u8] {
        &self.bytes[span.start as usize..span.end as usize]
    }
}

/// Flush a batch once it holds this many bytes or ops.
const BATCH_BYTES: usize = 256 * 1024;
const BATCH_OPS: usize = 16 * 1024;
/// Batches in flight between the two stages.
const IN_FLIGHT: usize = 4;

fn too_large() -> IndexError {
    IndexError::TooLarge("more than 4 GiB of distinct strings or 4G list items")
}

// ---- front: tokens -> ops --------------------------------------------------------------

struct Front {
    loc_ids: HashMap<(u8, Vec<u8>), u32>,
    /// Where the text being captured starts in the batch: texts are unescaped straight into
    /// the batch (no pushes happen while one is open, so the batch cannot change under it).
    text_start: usize,
    batch: Batch,
    tx: SyncSender<Batch>,
    seen_config: bool,
    /// The back hung up (it failed); stop reading and report its error.
    back_gone: bool,
}

/// Appends the unescaped `name` attribute of `e` to `batch`; `None` when there is none.
fn name_span(batch: &mut Batch, e: &BytesStart<'_>) -> Result<Option<Span>, IndexError> {
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
    batch.span(value.as_bytes()).map(Some)
}

impl Front {
    fn push(&mut self, op: Op) {
        self.batch.ops.push(op);
        if self.batch.bytes.len() >= BATCH_BYTES || self.batch.ops.len() >= BATCH_OPS {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if self.batch.ops.is_empty() || self.back_gone {
            return;
        }
        let batch = std::mem::take(&mut self.batch);
        if self.tx.send(batch).is_err() {
            self.back_gone = true;
        }
    }

    /// The id of a location whose name was just appended to the batch as `name` (a span the
    /// location op reuses, or drops again when the location is known).
    fn location(&mut self, kind: LocOp, name: Span) -> Result<u32, IndexError> {
        let bytes = &self.batch.bytes[name.start as usize..name.end as usize];
        if let Some(&id) = self.loc_ids.get(&(kind as u8, bytes.to_vec())) {
            self.batch.bytes.truncate(name.start as usize);
            return Ok(id);
        }
        let id = u32::try_from(self.loc_ids.len()).map_err(|_| too_large())?;
        self.loc_ids.insert((kind as u8, bytes.to_vec()), id);
        self.push(Op::Location(kind, name));
        Ok(id)
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
            (Ctx::Config, b"shared") => {
                let empty = self.batch.span(b"")?;
                Some(Ctx::Scope(self.location(LocOp::Shared, empty)?))
            }
            (Ctx::Config, b"devices") => Some(Ctx::Devices),
            (Ctx::Config, b"readonly") => Some(Ctx::Readonly),
            (Ctx::Devices, b"entry") => Some(Ctx::DeviceEntry),
            (Ctx::DeviceEntry, b"device-group") => Some(Ctx::DeviceGroups),
            (Ctx::DeviceEntry, b"vsys") => Some(Ctx::Vsyses),
            (Ctx::DeviceGroups, b"entry") => match name_span(&mut self.batch, e)? {
                Some(dg) => Some(Ctx::Scope(self.location(LocOp::DeviceGroup, dg)?)),
                None => None,
            },
            (Ctx::Vsyses, b"entry") => match name_span(&mut self.batch, e)? {
                Some(vsys) => Some(Ctx::Scope(self.location(LocOp::Vsys, vsys)?)),
                None => None,
            },
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
                let protocol = match name {
                    b"tcp" => ServiceProtocol::Tcp,
                    b"udp" => ServiceProtocol::Udp,
                    b"sctp" => ServiceProtocol::Sctp,
                    _ => return Ok(None),
                };
                self.push(Op::Protocol(protocol));
                Some(Ctx::Inner(Inner::Proto))
            }
            (Ctx::Inner(Inner::Proto), b"port") => Some(self.text_ctx(TextSlot::Port)),
            (Ctx::Inner(Inner::Proto), b"source-port") => Some(self.text_ctx(TextSlot::SourcePort)),
            (Ctx::List(slot), b"member") => {
                self.text_start = self.batch.bytes.len();
                Some(Ctx::Member(slot))
            }
            (Ctx::Readonly, b"devices") => Some(Ctx::ReadonlyDevices),
            (Ctx::ReadonlyDevices, b"entry") => Some(Ctx::ReadonlyDeviceEntry),
            (Ctx::ReadonlyDeviceEntry, b"device-group") => Some(Ctx::ReadonlyDeviceGroups),
            (Ctx::ReadonlyDeviceGroups, b"entry") => match name_span(&mut self.batch, e)? {
                Some(dg) => {
                    self.push(Op::ReadonlyDg(dg));
                    Some(Ctx::ReadonlyDeviceGroup)
                }
                None => None,
            },
            (Ctx::ReadonlyDeviceGroup, b"parent-dg") => Some(self.text_ctx(TextSlot::ParentDg)),
            _ => None,
        })
    }

    fn text_ctx(&mut self, slot: TextSlot) -> Ctx {
        self.text_start = self.batch.bytes.len();
        Ctx::Text(slot)
    }

    /// The span of the captured text, trimmed of surrounding XML whitespace (space, tab, CR,
    /// LF: all ASCII, so the cut stays on a character boundary).
    fn captured(&self) -> Result<Span, IndexError> {
        let all = &self.batch.bytes[self.text_start..];
        let lead = all
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .unwrap_or(all.len());
        let trail = all[lead..]
            .iter()
            .rev()
            .position(|b| !b.is_ascii_whitespace())
            .unwrap_or(0);
        let start = u32::try_from(self.text_start + lead).map_err(|_| too_large())?;
        let end = u32::try_from(self.text_start + all.len() - trail).map_err(|_| too_large())?;
        Ok(start..end)
    }

    fn start_entry(
        &mut self,
        e: &BytesStart<'_>,
        loc: u32,
        rulebase: RuleBase,
        typ: ObjType,
    ) -> Result<Option<Ctx>, IndexError> {
        let Some(span) = name_span(&mut self.batch, e)? else {
            return Ok(None);
        };
        self.push(Op::Entry(loc, rulebase, span));
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
            self.text_start = self.batch.bytes.len();
        }
        Some(ctx)
    }

    fn close(&mut self, ctx: Ctx) -> Result<(), IndexError> {
        match ctx {
            Ctx::Text(slot) => {
                let span = self.captured()?;
                self.push(Op::Text(slot, span));
            }
            Ctx::Member(slot) => {
                let span = self.captured()?;
                self.push(Op::Member(slot, span));
            }
            Ctx::Entry(typ) => self.push(Op::EndEntry(typ)),
            _ => {}
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

fn front<R: BufRead>(input: R, front: &mut Front) -> Result<(), IndexError> {
    let mut reader = Reader::from_reader(input);
    let mut stack: Vec<Ctx> = Vec::with_capacity(32);
    let mut buf = Vec::with_capacity(64 * 1024);
    let mut skip_buf = Vec::with_capacity(64 * 1024);
    loop {
        if front.back_gone {
            return Ok(());
        }
        buf.clear();
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| xml_err(&reader, e))?;
        match event {
            Event::Start(e) => {
                let parent = stack.last().copied().unwrap_or(Ctx::Root);
                match front.child(parent, &e)? {
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
                if let Some(ctx) = front.child(parent, &e)? {
                    front.close(ctx)?;
                }
            }
            Event::End(_) => {
                if let Some(ctx) = stack.pop() {
                    front.close(ctx)?;
                }
            }
            Event::Text(t) if Front::capturing(&stack) => {
                let text = t.unescape().map_err(|e| xml_err(&reader, e))?;
                front.batch.bytes.extend_from_slice(text.as_bytes());
            }
            Event::CData(c) if Front::capturing(&stack) => {
                front
                    .batch
                    .bytes
                    .extend_from_slice(String::from_utf8_lossy(&c).as_bytes());
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
    if !front.seen_config {
        return Err(IndexError::NoConfig);
    }
    front.flush();
    Ok(())
}

// ---- back: ops -> index ----------------------------------------------------------------

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
    fn new() -> Self {
        Self {
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
        }
    }

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

struct Back {
    index: ConfigIndex,
    cur: Builder,
    readonly_dg: Sym,
}

impl Back {
    fn intern(&mut self, s: &[u8]) -> Result<Sym, IndexError> {
        self.index.strings.intern_bytes(s).ok_or_else(too_large)
    }

    fn apply(&mut self, batch: &Batch) -> Result<(), IndexError> {
        for op in &batch.ops {
            match op {
                Op::Location(kind, name) => {
                    let key = match kind {
                        LocOp::Shared => LocKey::Shared,
                        LocOp::Vsys => LocKey::Vsys(self.intern(batch.bytes(name))?),
                        LocOp::DeviceGroup => LocKey::DeviceGroup(self.intern(batch.bytes(name))?),
                    };
                    self.index.locations.push(key);
                }
                Op::Entry(loc, rulebase, name) => {
                    let name = self.intern(batch.bytes(name))?;
                    self.cur.reset(name, *loc, *rulebase);
                }
                Op::Text(slot, text) => self.text(*slot, batch.bytes(text))?,
                Op::Member(slot, text) => {
                    let sym = self.intern(batch.bytes(text))?;
                    self.cur.lists[*slot].push(sym);
                }
                Op::Protocol(p) => self.cur.protocol = *p,
                Op::EndEntry(typ) => self.finish_entry(*typ)?,
                Op::ReadonlyDg(name) => self.readonly_dg = self.intern(batch.bytes(name))?,
            }
        }
        Ok(())
    }

    fn text(&mut self, slot: TextSlot, value: &[u8]) -> Result<(), IndexError> {
        match slot {
            TextSlot::AddressValue(kind) => {
                self.cur.address_kind = kind;
                self.cur.value = self.store_text(value)?;
            }
            TextSlot::Filter => self.cur.filter = self.store_text(value)?,
            TextSlot::Port => self.cur.port = self.store_text(value)?,
            TextSlot::SourcePort => self.cur.source_port = self.store_text(value)?,
            TextSlot::Color => self.cur.color = self.intern(value)?,
            TextSlot::Action => self.cur.action = self.intern(value)?,
            TextSlot::Disabled => self.cur.disabled = value == b"yes",
            TextSlot::ParentDg => {
                if !value.is_empty() {
                    let sym = self.intern(value)?;
                    self.index.parents.insert(self.readonly_dg, sym);
                }
            }
        }
        Ok(())
    }

    /// Appends a value to the value store.
    fn store_text(&mut self, value: &[u8]) -> Result<TextRef, IndexError> {
        let start = u32::try_from(self.index.texts.len()).map_err(|_| too_large())?;
        let len = u32::try_from(value.len()).map_err(|_| too_large())?;
        start
            .checked_add(len)
            .filter(|&e| e < u32::MAX)
            .ok_or_else(too_large)?;
        self.index.texts.extend_from_slice(value);
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
}

fn back(rx: Receiver<Batch>) -> Result<ConfigIndex, IndexError> {
    let mut back = Back {
        index: ConfigIndex::default(),
        cur: Builder::new(),
        readonly_dg: NO_SYM,
    };
    // On an error, returning drops `rx`, which tells the front to stop.
    for batch in rx {
        back.apply(&batch)?;
    }
    Ok(back.index)
}

pub(super) fn parse<R: BufRead>(input: R) -> Result<ConfigIndex, IndexError> {
    let (tx, rx) = sync_channel::<Batch>(IN_FLIGHT);
    std::thread::scope(|scope| {
        let worker = scope.spawn(move || back(rx));
        let mut f = Front {
            loc_ids: HashMap::new(),
            text_start: 0,
            batch: Batch::default(),
            tx,
            seen_config: false,
            back_gone: false,
        };
        let front_result = front(input, &mut f);
        // Closing the channel ends the back's loop.
        drop(f);
        let back_result = worker.join().unwrap_or(Err(IndexError::Worker));
        match (front_result, back_result) {
            (Err(e), _) => Err(e),
            (Ok(()), result) => result,
        }
    })
}
