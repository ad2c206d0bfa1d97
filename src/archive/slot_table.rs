//! The archive store's table of cited URLs: one fixed-size slot per URL (where its latest
//! manifest line is), found by a 64-bit hash of its key.
//!
//! The slots sit in chunks that are never moved, and the hash index holds only each slot's
//! position (4 bytes). So the table grows without a moment where an old and a new copy of
//! every slot are both held, as a `HashMap<u64, Slot>` has when it doubles: at 300,000
//! URLs that was 21.5 MB plus 10.7 MB while it grew, against 12 MB of slots and 2.6 MB of
//! index here.

use hashbrown::HashTable;

/// Slots per chunk: 4,096 × 40 bytes, 160 KB, allocated whole.
const CHUNK: usize = 4096;

/// Slots by hash. Several keys may share a hash: [`SlotTable::find`] asks the caller which
/// of them is the one it looks for.
#[derive(Debug)]
pub(super) struct SlotTable<S> {
    chunks: Vec<Vec<(u64, S)>>,
    index: HashTable<u32>,
}

impl<S: Copy> SlotTable<S> {
    pub(super) fn new() -> SlotTable<S> {
        SlotTable {
            chunks: Vec::new(),
            index: HashTable::new(),
        }
    }

    /// Number of slots.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.index.len()
    }

    pub(super) fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    fn entry(chunks: &[Vec<(u64, S)>], at: u32) -> Option<&(u64, S)> {
        let at = at as usize;
        chunks.get(at / CHUNK)?.get(at % CHUNK)
    }

    /// The position of the slot under `hash` that `accept` takes (it confirms the key, e.g.
    /// by reading the slot's line back).
    pub(super) fn find(&self, hash: u64, mut accept: impl FnMut(&S) -> bool) -> Option<u32> {
        let chunks = &self.chunks;
        self.index
            .find(hash, |&at| {
                Self::entry(chunks, at).is_some_and(|(h, slot)| *h == hash && accept(slot))
            })
            .copied()
    }

    /// The slot at `at` (from [`SlotTable::find`] or [`SlotTable::push`]).
    pub(super) fn get(&self, at: u32) -> Option<S> {
        Self::entry(&self.chunks, at).map(|(_, slot)| *slot)
    }

    /// Replaces the slot at `at`.
    pub(super) fn set(&mut self, at: u32, slot: S) {
        let at = at as usize;
        if let Some(entry) = self
            .chunks
            .get_mut(at / CHUNK)
            .and_then(|c| c.get_mut(at % CHUNK))
        {
            entry.1 = slot;
        }
    }

    /// Adds a slot under `hash` (whether or not another key has that hash) and returns its
    /// position; `None` past 2^32 slots, when it is not kept (a lookup then finds nothing,
    /// which costs a revisit, never a wrong answer).
    pub(super) fn push(&mut self, hash: u64, slot: S) -> Option<u32> {
        let at = u32::try_from(self.index.len()).ok()?;
        if self.chunks.last().is_none_or(|c| c.len() == CHUNK) {
            self.chunks.push(Vec::with_capacity(CHUNK));
        }
        self.chunks.last_mut()?.push((hash, slot));
        let chunks = &self.chunks;
        self.index.insert_unique(hash, at, |&at| {
            Self::entry(chunks, at).map_or(0, |(h, _)| *h)
        });
        Some(at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_found_by_hash_and_confirmed_by_the_caller() {
        let mut table = SlotTable::new();
        // Enough slots for several chunks and several growths of the index.
        for i in 0..10_000u64 {
            let at = table
                .push(i.wrapping_mul(0x9E37_79B9_7F4A_7C15), i)
                .unwrap();
            assert_eq!(at as u64, i);
        }
        assert_eq!(table.len(), 10_000);
        for i in [0u64, 1, 4095, 4096, 9_999] {
            let hash = i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
            let at = table.find(hash, |_| true).unwrap();
            assert_eq!(table.get(at), Some(i));
        }
        assert_eq!(table.find(12345, |_| true), None);
        // Two keys under one hash: the caller picks.
        let a = table.push(7, 100).unwrap();
        let b = table.push(7, 200).unwrap();
        assert_eq!(table.find(7, |s| *s == 200), Some(b));
        assert_eq!(table.find(7, |s| *s == 100), Some(a));
        assert_eq!(table.find(7, |s| *s == 300), None);
        table.set(b, 250);
        assert_eq!(table.get(b), Some(250));
        assert_eq!(table.get(a), Some(100));
        assert_eq!(table.get(u32::MAX), None);
    }
}
