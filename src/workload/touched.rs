//! The keys a generated run touches: drawn ahead from the seed and
//! numbered in order of first appearance, so that a key space of billions
//! of declared keys costs what the records reach, not what is declared.
//!
//! The key stream has its own generator (see `generate`), so drawing the
//! keys alone gives the same keys, in the same order, as the run will
//! draw; during the run the generator maps each drawn key to its number
//! with [`KeyMap::get`], an open-addressing table probed without a branch
//! on a miss (every drawn key is in it) and without allocating.

use super::generate::Generator;
use crate::scenario::Scenario;

/// No key (declared keys are below 2^63).
const EMPTY: u64 = u64::MAX;

/// Declared key id → dense id, for the keys a run touches.
#[derive(Debug, Clone)]
pub struct KeyMap {
    /// `(key, dense id)`, [`EMPTY`] where free; a power of two long.
    slots: Vec<(u64, u32)>,
    /// `64 - log2(slots.len())`.
    shift: u32,
    len: usize,
}

impl KeyMap {
    fn with_slots(slots: usize) -> KeyMap {
        let slots = slots.next_power_of_two().max(16);
        KeyMap {
            slots: vec![(EMPTY, 0); slots],
            shift: 64 - slots.trailing_zeros(),
            len: 0,
        }
    }

    #[inline(always)]
    fn home(&self, key: u64) -> usize {
        (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> self.shift) as usize
    }

    /// The dense id of `key`, numbering it next if it is new.
    fn insert(&mut self, key: u64) -> u32 {
        if 2 * (self.len + 1) > self.slots.len() {
            self.grow();
        }
        let mask = self.slots.len() - 1;
        let mut i = self.home(key);
        loop {
            let (k, id) = self.slots[i];
            if k == key {
                return id;
            }
            if k == EMPTY {
                let id = self.len as u32;
                self.slots[i] = (key, id);
                self.len += 1;
                return id;
            }
            i = (i + 1) & mask;
        }
    }

    fn grow(&mut self) {
        let old = std::mem::take(&mut self.slots);
        *self = KeyMap {
            len: self.len,
            ..KeyMap::with_slots(old.len() * 2)
        };
        let mask = self.slots.len() - 1;
        for (k, id) in old.into_iter().filter(|&(k, _)| k != EMPTY) {
            let mut i = self.home(k);
            while self.slots[i].0 != EMPTY {
                i = (i + 1) & mask;
            }
            self.slots[i] = (k, id);
        }
    }

    /// The dense id of `key`, which must have been drawn.
    #[inline(always)]
    pub fn get(&self, key: u64) -> u32 {
        let mask = self.slots.len() - 1;
        let mut i = self.home(key);
        loop {
            let (k, id) = self.slots[i];
            if k == key {
                return id;
            }
            debug_assert!(k != EMPTY, "key {key} was not drawn ahead");
            i = (i + 1) & mask;
        }
    }

    /// Keys held.
    pub fn len(&self) -> usize {
        self.len
    }

    /// No key.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Draws the keys of every record of `s` (generated input) ahead: the
    /// table, and the declared ids of the keys in dense order.
    pub fn draw(s: &Scenario) -> (KeyMap, Vec<u64>) {
        let mut map = KeyMap::with_slots(1024);
        let mut ids = Vec::new();
        Generator::new(s).draw_keys(s.source.records, |k| {
            if map.insert(k) as usize == ids.len() {
                ids.push(k);
            }
        });
        (map, ids)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_numbered_in_order_of_first_appearance() {
        let mut m = KeyMap::with_slots(4);
        let keys = [7u64, 1 << 40, 7, 3, 1 << 40, u64::MAX - 1, 0];
        let ids: Vec<u32> = keys.iter().map(|&k| m.insert(k)).collect();
        assert_eq!(ids, [0, 1, 0, 2, 1, 3, 4]);
        // Grown past its first size, every key keeps its number.
        for k in 100..10_000u64 {
            m.insert(k * 7919);
        }
        assert_eq!(m.get(7), 0);
        assert_eq!(m.get(u64::MAX - 1), 3);
        assert_eq!(m.get(100 * 7919), 5);
        assert_eq!(m.len(), 5 + 9900);
    }
}
