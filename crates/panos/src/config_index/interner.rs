//! String interner: every distinct string is stored once in one buffer and named by a `u32`.
//!
//! An open-addressing table of ids (4 bytes a slot) keeps lookups cheap without a second
//! copy of the strings as map keys.

/// Id of an interned string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Sym(pub(crate) u32);

#[derive(Debug)]
pub(crate) struct Interner {
    data: String,
    /// Start offset of each string; the end is the next start (or `data.len()`).
    starts: Vec<u32>,
    /// `id + 1` per slot, 0 when empty; the length is a power of two.
    slots: Vec<u32>,
}

impl Default for Interner {
    fn default() -> Self {
        Self {
            data: String::new(),
            starts: Vec::new(),
            slots: vec![0; 1024],
        }
    }
}

fn hash(s: &[u8]) -> u64 {
    // FNV-1a with a final mix: strings here are short names and addresses.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in s {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h ^ (h >> 29)
}

impl Interner {
    pub(crate) fn get(&self, sym: Sym) -> &str {
        let i = sym.0 as usize;
        let start = self.starts.get(i).copied().unwrap_or(0) as usize;
        let end = self
            .starts
            .get(i + 1)
            .map(|&e| e as usize)
            .unwrap_or(self.data.len());
        self.data.get(start..end).unwrap_or("")
    }

    pub(crate) fn len(&self) -> usize {
        self.starts.len()
    }

    pub(crate) fn bytes(&self) -> usize {
        self.data.capacity() + self.starts.capacity() * 4 + self.slots.capacity() * 4
    }

    pub(crate) fn lookup(&self, s: &str) -> Option<Sym> {
        let mask = self.slots.len() - 1;
        let mut i = hash(s.as_bytes()) as usize & mask;
        loop {
            match self.slots[i] {
                0 => return None,
                v => {
                    let sym = Sym(v - 1);
                    if self.get(sym) == s {
                        return Some(sym);
                    }
                }
            }
            i = (i + 1) & mask;
        }
    }

    /// Interns `s`; `None` when the index would pass 4 GiB of string data.
    pub(crate) fn intern(&mut self, s: &str) -> Option<Sym> {
        if (self.starts.len() + 1) * 2 > self.slots.len() {
            self.grow();
        }
        let mask = self.slots.len() - 1;
        let mut i = hash(s.as_bytes()) as usize & mask;
        loop {
            match self.slots[i] {
                0 => break,
                v => {
                    let sym = Sym(v - 1);
                    if self.get(sym) == s {
                        return Some(sym);
                    }
                }
            }
            i = (i + 1) & mask;
        }
        let start = u32::try_from(self.data.len()).ok()?;
        let id = u32::try_from(self.starts.len())
            .ok()
            .filter(|&id| id < u32::MAX - 1)?;
        u32::try_from(self.data.len() + s.len()).ok()?;
        self.data.push_str(s);
        self.starts.push(start);
        self.slots[i] = id + 1;
        Some(Sym(id))
    }

    fn grow(&mut self) {
        let new_len = self.slots.len() * 2;
        let mut slots = vec![0u32; new_len];
        let mask = new_len - 1;
        for id in 0..self.starts.len() {
            let s = self.get(Sym(id as u32));
            let mut i = hash(s.as_bytes()) as usize & mask;
            while slots[i] != 0 {
                i = (i + 1) & mask;
            }
            slots[i] = id as u32 + 1;
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
