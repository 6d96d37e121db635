//! String interner: every distinct string is stored once in one buffer and named by a `u32`.
//!
//! An open-addressing table of (hash, id) slots keeps lookups cheap without a second copy
//! of the strings as map keys.

/// Id of an interned string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Sym(pub(crate) u32);

#[derive(Debug)]
pub(crate) struct Interner {
    /// Every string once, each preceded by an 8-byte header: its id and its length (u32 LE).
    /// The header sits next to the bytes, so a hit in the table touches one place only.
    data: Vec<u8>,
    /// Header offset of each string, by id (for `get`).
    starts: Vec<u32>,
    /// `hash << 32 | (offset + 1)` per slot, 0 when empty; the length is a power of two.
    /// Keeping the hash in the slot avoids touching string data on a mismatch and lets the
    /// table grow without rehashing strings; keeping the offset (not the id) saves the
    /// `starts` lookup — one cache miss of three — on every probe of a large index.
    slots: Vec<u64>,
}

impl Default for Interner {
    fn default() -> Self {
        Self {
            data: Vec::new(),
            starts: Vec::new(),
            slots: vec![0; 1024],
        }
    }
}

const K: u64 = 0x9e37_79b9_7f4a_7c15;
const HEADER: usize = 8;

fn word(bytes: &[u8]) -> u64 {
    let mut b = [0u8; 8];
    b[..bytes.len()].copy_from_slice(bytes);
    u64::from_le_bytes(b)
}

/// 32-bit hash: 8 bytes at a time, multiply-rotate, then a final avalanche.
fn hash(s: &[u8]) -> u32 {
    let mut h = (s.len() as u64) ^ K;
    let mut chunks = s.chunks_exact(8);
    for chunk in &mut chunks {
        h = (h ^ word(chunk)).wrapping_mul(K).rotate_left(29);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        h = (h ^ word(rest)).wrapping_mul(K).rotate_left(29);
    }
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    (h >> 32) as u32
}

fn u32_at(data: &[u8], at: usize) -> u32 {
    data.get(at..at + 4)
        .and_then(|b| b.try_into().ok())
        .map(u32::from_le_bytes)
        .unwrap_or(0)
}

impl Interner {
    /// (id, bytes) of the string whose header is at `offset`.
    fn entry(&self, offset: usize) -> (u32, &[u8]) {
        let id = u32_at(&self.data, offset);
        let len = u32_at(&self.data, offset + 4) as usize;
        let start = offset + HEADER;
        (id, self.data.get(start..start + len).unwrap_or(&[]))
    }

    pub(crate) fn get(&self, sym: Sym) -> &str {
        let Some(&offset) = self.starts.get(sym.0 as usize) else {
            return "";
        };
        // The indexer only interns text it decoded as UTF-8; the check is for safety only.
        std::str::from_utf8(self.entry(offset as usize).1).unwrap_or("")
    }

    pub(crate) fn len(&self) -> usize {
        self.starts.len()
    }

    pub(crate) fn bytes(&self) -> usize {
        self.data.capacity() + self.starts.capacity() * 4 + self.slots.capacity() * 8
    }

    /// Slot index of `s`: `Ok` when present (with its id), `Err` with the empty slot to use.
    fn probe(&self, s: &[u8], h: u32) -> Result<Sym, usize> {
        let mask = self.slots.len() - 1;
        let mut i = h as usize & mask;
        loop {
            let slot = self.slots[i];
            if slot == 0 {
                return Err(i);
            }
            if (slot >> 32) as u32 == h {
                let (id, bytes) = self.entry((slot as u32).wrapping_sub(1) as usize);
                if bytes == s {
                    return Ok(Sym(id));
                }
            }
            i = (i + 1) & mask;
        }
    }

    pub(crate) fn lookup(&self, s: &str) -> Option<Sym> {
        self.probe(s.as_bytes(), hash(s.as_bytes())).ok()
    }

    /// Interns `s`; `None` when the index would pass 4 GiB of string data.
    #[cfg(test)]
    pub(crate) fn intern(&mut self, s: &str) -> Option<Sym> {
        self.intern_bytes(s.as_bytes())
    }

    /// Interns UTF-8 `bytes` (checked when read back by [`Interner::get`]).
    pub(crate) fn intern_bytes(&mut self, bytes: &[u8]) -> Option<Sym> {
        if (self.starts.len() + 1) * 2 > self.slots.len() {
            self.grow();
        }
        let h = hash(bytes);
        let free = match self.probe(bytes, h) {
            Ok(sym) => return Some(sym),
            Err(free) => free,
        };
        let offset = u32::try_from(self.data.len()).ok()?;
        let id = u32::try_from(self.starts.len())
            .ok()
            .filter(|&id| id < u32::MAX - 1)?;
        let len = u32::try_from(bytes.len()).ok()?;
        u32::try_from(self.data.len() + HEADER + bytes.len())
            .ok()
            .filter(|&end| end < u32::MAX)?;
        self.data.extend_from_slice(&id.to_le_bytes());
        self.data.extend_from_slice(&len.to_le_bytes());
        self.data.extend_from_slice(bytes);
        self.starts.push(offset);
        self.slots[free] = (u64::from(h) << 32) | u64::from(offset + 1);
        Some(Sym(id))
    }

    fn grow(&mut self) {
        let new_len = self.slots.len() * 2;
        let mut slots = vec![0u64; new_len];
        let mask = new_len - 1;
        for &slot in self.slots.iter().filter(|&&s| s != 0) {
            let mut i = (slot >> 32) as usize & mask;
            while slots[i] != 0 {
                i = (i + 1) & mask;
            }
            slots[i] = slot;
        }
        self.slots = slots;
    }

    pub(crate) fn shrink(&mut self) {
        self.data.shrink_to_fit();
        self.starts.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interning_is_idempotent_and_survives_growth() {
        let mut strings = Interner::default();
        let syms: Vec<Sym> = (0..5000)
            .map(|i| strings.intern(&format!("name-{i}")).unwrap())
            .collect();
        assert_eq!(strings.len(), 5000);
        for (i, sym) in syms.iter().enumerate() {
            assert_eq!(strings.get(*sym), format!("name-{i}"));
            assert_eq!(strings.intern(&format!("name-{i}")), Some(*sym));
            assert_eq!(strings.lookup(&format!("name-{i}")), Some(*sym));
        }
        assert_eq!(strings.lookup("absent"), None);
        let empty = strings.intern("").unwrap();
        assert_eq!(strings.get(empty), "");
    }
}
