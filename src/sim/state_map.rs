//! The structure of Flink's heap state table, for TTL's incremental
//! cleanup (`cleanupIncrementally(n, false)`, and the heap's default
//! background cleanup): which entries a cleanup step visits depends on
//! where they sit in the hash tables, so this models them as Flink lays
//! them out, without their values (the operator keeps those).
//!
//! - `StateTable`: one `CopyOnWriteStateMap` per key group of the subtask.
//! - `CopyOnWriteStateMap`: a chained hash table of 128 buckets at first,
//!   doubled when an insert finds more than 3/4 of the capacity in use,
//!   with incremental rehashing (every map operation first moves at least
//!   4 entries' buckets to the new table); an entry's bucket is
//!   `bitMix(key.hashCode() ^ namespace.hashCode()) & (capacity - 1)`
//!   (`VoidNamespace.hashCode()` = 99).
//! - `TtlIncrementalCleanup`: per state, one iterator over the subtask's
//!   state table (`StateTable.StateEntryIterator`: key group by key group;
//!   in each, `StateIncrementalVisitorImpl` walks bucket chains, skipping at
//!   most `n` empty buckets per step); every access of the state first runs
//!   it over at least `n` entries (whole chains), removing the expired
//!   entries and rewriting the partly expired lists and maps. At the end,
//!   it starts again at the first key group.
//!
//! Entries are dense key ids; a chain is threaded through `next` (one
//! entry per key per state). Chain order does not matter to the result (a
//! step takes whole chains), only which bucket of which table holds a key.

/// No entry.
pub(crate) const NIL: u32 = u32::MAX;

/// `CopyOnWriteStateMap.DEFAULT_CAPACITY`.
const DEFAULT_CAPACITY: usize = 128;
/// `CopyOnWriteStateMap.MIN_TRANSFERRED_PER_INCREMENTAL_REHASH`.
const MIN_TRANSFERRED: u32 = 4;
/// Length of `EMPTY_TABLE`, the rehash table when none is in progress.
const EMPTY_LEN: usize = 2;
/// The identity of `EMPTY_TABLE`.
const EMPTY_ID: u32 = 0;

/// `MathUtils.bitMix`.
#[inline]
pub(crate) fn bit_mix(mut h: i32) -> i32 {
    h ^= ((h as u32) >> 16) as i32;
    h = h.wrapping_mul(0x85eb_ca6b_u32 as i32);
    h ^= ((h as u32) >> 13) as i32;
    h = h.wrapping_mul(0xc2b2_ae35_u32 as i32);
    h ^= ((h as u32) >> 16) as i32;
    h
}

/// `CopyOnWriteStateMap.compositeHash(key, VoidNamespace.INSTANCE)`.
#[inline]
pub(crate) fn void_namespace_hash(key_hash_code: i32) -> u32 {
    bit_mix(key_hash_code ^ 99) as u32
}

/// One key group's `CopyOnWriteStateMap`: its tables of chain heads.
#[derive(Debug, Clone)]
struct KgMap {
    primary: Vec<u32>,
    primary_id: u32,
    /// Empty when no rehash is in progress (then `rehash_id` = EMPTY).
    rehash: Vec<u32>,
    rehash_id: u32,
    primary_size: u32,
    rehash_size: u32,
    rehash_index: usize,
    threshold: u32,
}

impl KgMap {
    fn size(&self) -> u32 {
        self.primary_size + self.rehash_size
    }
    fn rehashing(&self) -> bool {
        self.rehash_id != EMPTY_ID
    }
    fn len_of(&self, id: u32, dead_len: usize) -> usize {
        if id == self.primary_id {
            self.primary.len()
        } else if id == self.rehash_id {
            if id == EMPTY_ID {
                EMPTY_LEN
            } else {
                self.rehash.len()
            }
        } else {
            dead_len
        }
    }
    /// Bucket `i` of table `id` (a table that is neither primary nor
    /// rehash was emptied by a finished rehash).
    fn bucket(&self, id: u32, i: usize) -> u32 {
        if id == self.primary_id {
            self.primary[i]
        } else if id == self.rehash_id && id != EMPTY_ID {
            self.rehash[i]
        } else {
            NIL
        }
    }
}

/// Where a state's cleanup iterator stands: `StateTable.StateEntryIterator`
/// (the next key group to open) over `StateIncrementalVisitorImpl` (a table
/// and the next bucket of it).
#[derive(Debug, Clone, Copy)]
struct Cursor {
    /// Key groups of the subtask opened so far.
    next_kg: usize,
    /// The key group whose visitor is current, if any.
    kg: Option<usize>,
    table: u32,
    table_len: usize,
    pos: usize,
}

/// One state's heap state tables over every key group, with one
/// incremental-cleanup iterator per subtask.
#[derive(Debug, Clone)]
pub(crate) struct StateMaps {
    maps: Vec<KgMap>,
    next: Vec<u32>,
    next_id: u32,
    /// Per subtask: its first key group and count.
    ranges: Vec<(usize, usize)>,
    /// Per subtask: the cleanup iterator (`None`: not made yet).
    cursors: Vec<Option<Cursor>>,
    /// Entries to visit per access (`cleanupSize`).
    size: u32,
    chain: Vec<u32>,
}

/// What the cleanup found of one visited entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Clean {
    /// Nothing expired: untouched.
    Keep,
    /// Some expired, some not: rewritten (`put`).
    Rewrite,
    /// All expired: removed.
    Remove,
}

impl StateMaps {
    /// Empty maps for `keys` keys over `key_groups` key groups, split over
    /// subtasks by `ranges` (first key group, count); `cleanup_size`
    /// entries per access.
    pub(crate) fn new(
        keys: usize,
        key_groups: usize,
        ranges: Vec<(usize, usize)>,
        cleanup_size: u32,
    ) -> Self {
        let mut next_id = EMPTY_ID + 1;
        let maps = (0..key_groups)
            .map(|_| {
                let id = next_id;
                next_id += 1;
                KgMap {
                    primary: vec![NIL; DEFAULT_CAPACITY],
                    primary_id: id,
                    rehash: Vec::new(),
                    rehash_id: EMPTY_ID,
                    primary_size: 0,
                    rehash_size: 0,
                    rehash_index: 0,
                    threshold: (DEFAULT_CAPACITY as u32 >> 1) + (DEFAULT_CAPACITY as u32 >> 2),
                }
            })
            .collect();
        let n = ranges.len();
        StateMaps {
            maps,
            next: vec![NIL; keys],
            next_id,
            ranges,
            cursors: vec![None; n],
            size: cleanup_size.max(1),
            chain: Vec::new(),
        }
    }

    /// One map operation's start (`computeHashForOperationAndDoIncrementalRehash`):
    /// a rehash step if one is in progress.
    #[inline]
    pub(crate) fn op(&mut self, kg: usize, hashes: &[u32]) {
        if self.maps[kg].rehashing() {
            self.rehash_step(kg, hashes);
        }
    }

    fn rehash_step(&mut self, kg: usize, hashes: &[u32]) {
        let m = &mut self.maps[kg];
        let new_mask = m.rehash.len() - 1;
        let mut idx = m.rehash_index;
        let mut moved = 0u32;
        while moved < MIN_TRANSFERRED {
            let mut e = m.primary[idx];
            while e != NIL {
                let n = self.next[e as usize];
                let pos = hashes[e as usize] as usize & new_mask;
                self.next[e as usize] = m.rehash[pos];
                m.rehash[pos] = e;
                e = n;
                moved += 1;
            }
            m.primary[idx] = NIL;
            idx += 1;
            if idx == m.primary.len() {
                m.primary = std::mem::take(&mut m.rehash);
                m.primary_id = m.rehash_id;
                m.rehash_id = EMPTY_ID;
                m.primary_size += m.rehash_size;
                m.rehash_size = 0;
                m.rehash_index = 0;
                return;
            }
        }
        m.primary_size -= moved;
        m.rehash_size += moved;
        m.rehash_index = idx;
    }

    /// Which table holds hash `h` now: true for the primary.
    fn in_primary(m: &KgMap, h: u32) -> bool {
        (h as usize & (m.primary.len() - 1)) >= m.rehash_index
    }

    /// A `put` of key `key` that was absent (after [`StateMaps::op`]):
    /// `putEntry`'s insert, doubling the capacity first when full.
    pub(crate) fn insert(&mut self, kg: usize, key: u32, hashes: &[u32]) {
        let h = hashes[key as usize];
        let primary = Self::in_primary(&self.maps[kg], h);
        if self.maps[kg].size() > self.maps[kg].threshold {
            let id = self.next_id;
            self.next_id += 1;
            let m = &mut self.maps[kg];
            // Never while rehashing: the rehash steps finish first.
            let cap = m.primary.len() * 2;
            m.rehash = vec![NIL; cap];
            m.rehash_id = id;
            m.threshold = ((cap >> 1) + (cap >> 2)) as u32;
        }
        let m = &mut self.maps[kg];
        let tab = if primary {
            &mut m.primary
        } else {
            &mut m.rehash
        };
        let i = h as usize & (tab.len() - 1);
        self.next[key as usize] = tab[i];
        tab[i] = key;
        if primary {
            m.primary_size += 1;
        } else {
            m.rehash_size += 1;
        }
    }

    /// A `remove` of key `key`, present (after [`StateMaps::op`]).
    pub(crate) fn unlink(&mut self, kg: usize, key: u32, hashes: &[u32]) {
        let h = hashes[key as usize];
        let m = &mut self.maps[kg];
        let primary = Self::in_primary(m, h);
        let tab = if primary {
            &mut m.primary
        } else {
            &mut m.rehash
        };
        let i = h as usize & (tab.len() - 1);
        let mut prev = NIL;
        let mut e = tab[i];
        while e != NIL && e != key {
            prev = e;
            e = self.next[e as usize];
        }
        if e == NIL {
            debug_assert!(false, "removing an entry that is not there");
            return;
        }
        let after = self.next[key as usize];
        if prev == NIL {
            tab[i] = after;
        } else {
            self.next[prev as usize] = after;
        }
        self.next[key as usize] = NIL;
        if primary {
            m.primary_size -= 1;
        } else {
            m.rehash_size -= 1;
        }
    }

    /// `StateIncrementalVisitorImpl.hasNext` of `c`'s key group.
    fn visitor_has_next(&self, kg: usize, c: &Cursor) -> bool {
        let m = &self.maps[kg];
        m.size() > 0 && (c.pos < c.table_len || c.table == m.primary_id)
    }

    /// `StateTable.StateEntryIterator.hasNext` for `subtask`: opens the
    /// next non-empty key group if the current one is done.
    fn table_has_next(&mut self, subtask: usize, c: &mut Cursor) -> bool {
        let (first, n) = self.ranges[subtask];
        if let Some(kg) = c.kg
            && self.visitor_has_next(kg, c)
        {
            return true;
        }
        while c.next_kg < n {
            let kg = first + c.next_kg;
            c.next_kg += 1;
            let m = &self.maps[kg];
            let v = Cursor {
                next_kg: c.next_kg,
                kg: Some(kg),
                table: m.primary_id,
                table_len: m.primary.len(),
                pos: 0,
            };
            if self.visitor_has_next(kg, &v) {
                *c = v;
                return true;
            }
        }
        false
    }

    /// A fresh iterator over `subtask`'s key groups (its constructor opens
    /// the first non-empty one).
    fn fresh(&mut self, subtask: usize) -> Cursor {
        let mut c = Cursor {
            next_kg: 0,
            kg: None,
            table: EMPTY_ID,
            table_len: 0,
            pos: 0,
        };
        self.table_has_next(subtask, &mut c);
        c
    }

    /// The next chain of the current key group into `self.chain`
    /// (`StateEntryChainIterator.next`; empty: no entry within `size`
    /// empty buckets).
    fn next_chain(&mut self, kg: usize, c: &mut Cursor) {
        self.chain.clear();
        let m = &self.maps[kg];
        loop {
            let mut found = NIL;
            let mut skipped = 0u32;
            while c.pos < c.table_len && skipped < self.size {
                let b = m.bucket(c.table, c.pos);
                c.pos += 1;
                if b != NIL {
                    found = b;
                    break;
                }
                skipped += 1;
            }
            if found != NIL
                || c.pos < c.table_len
                || c.table == m.rehash_id
                || c.table != m.primary_id
            {
                let mut e = found;
                while e != NIL {
                    self.chain.push(e);
                    e = self.next[e as usize];
                }
                return;
            }
            c.table = m.rehash_id;
            c.table_len = m.len_of(m.rehash_id, 0);
            c.pos = 0;
        }
    }

    /// `TtlIncrementalCleanup.stateAccessed` on `subtask`: visits at least
    /// `size` entries (whole chains); `clean` says what to do with each
    /// visited key (and applies it to the key's value), this applies the
    /// map operation (`remove`, or `put` for a rewrite).
    pub(crate) fn cleanup(
        &mut self,
        subtask: usize,
        hashes: &[u32],
        key_group: &[u16],
        mut clean: impl FnMut(u32) -> Clean,
    ) {
        let mut c = match self.cursors[subtask] {
            Some(mut c) => {
                if self.table_has_next(subtask, &mut c) {
                    c
                } else {
                    self.fresh(subtask)
                }
            }
            None => self.fresh(subtask),
        };
        let mut visited = 0u32;
        while visited < self.size && self.table_has_next(subtask, &mut c) {
            let Some(kg) = c.kg else { break };
            self.next_chain(kg, &mut c);
            if self.chain.is_empty() {
                break;
            }
            let chain = std::mem::take(&mut self.chain);
            for &k in &chain {
                debug_assert_eq!(key_group[k as usize] as usize, kg);
                match clean(k) {
                    Clean::Keep => {}
                    Clean::Rewrite => self.op(kg, hashes),
                    Clean::Remove => {
                        self.op(kg, hashes);
                        self.unlink(kg, k, hashes);
                    }
                }
            }
            visited += chain.len() as u32;
            self.chain = chain;
        }
        self.cursors[subtask] = Some(c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_mix_as_flinks() {
        // MathUtils.bitMix is murmur3's fmix32.
        assert_eq!(bit_mix(0), 0);
        assert_eq!(bit_mix(1) as u32, 0x514e_28b7);
    }

    /// Inserting more than 96 keys into one key group's map doubles it,
    /// and the rehash steps move every entry over without losing one.
    #[test]
    fn a_map_doubles_and_rehashes_every_entry() {
        let n = 400u32;
        let hashes: Vec<u32> = (0..n).map(|k| void_namespace_hash(k as i32)).collect();
        let mut m = StateMaps::new(n as usize, 1, vec![(0, 1)], 5);
        for k in 0..n {
            m.op(0, &hashes);
            m.insert(0, k, &hashes);
        }
        for _ in 0..1000 {
            m.op(0, &hashes);
        }
        let map = &m.maps[0];
        assert!(!map.rehashing());
        assert_eq!(map.primary.len(), 1024);
        assert_eq!(map.size(), n);
        let mut seen = 0;
        for (i, &head) in map.primary.iter().enumerate() {
            let mut e = head;
            while e != NIL {
                assert_eq!(hashes[e as usize] as usize & 1023, i);
                seen += 1;
                e = m.next[e as usize];
            }
        }
        assert_eq!(seen, n);
        for k in 0..n {
            m.op(0, &hashes);
            m.unlink(0, k, &hashes);
        }
        assert_eq!(m.maps[0].size(), 0);
    }

    /// A cleanup pass visits every entry of every key group of the subtask
    /// once before it starts again.
    #[test]
    fn cleanup_goes_round_the_subtasks_key_groups() {
        let n = 60u32;
        let hashes: Vec<u32> = (0..n).map(|k| void_namespace_hash(k as i32)).collect();
        let kgs: Vec<u16> = (0..n).map(|k| (k % 3) as u16).collect();
        let mut m = StateMaps::new(n as usize, 3, vec![(0, 2), (2, 1)], 5);
        for k in 0..n {
            m.op(kgs[k as usize] as usize, &hashes);
            m.insert(kgs[k as usize] as usize, k, &hashes);
        }
        let mut visits = vec![0u32; n as usize];
        for _ in 0..200 {
            m.cleanup(0, &hashes, &kgs, |k| {
                visits[k as usize] += 1;
                Clean::Keep
            });
        }
        let v0: Vec<u32> = (0..n)
            .filter(|k| k % 3 != 2)
            .map(|k| visits[k as usize])
            .collect();
        assert!(v0.iter().all(|&v| v > 0), "{v0:?}");
        let lo = *v0.iter().min().unwrap();
        let hi = *v0.iter().max().unwrap();
        assert!(hi - lo <= 1, "{lo}..{hi}");
        assert!(
            (0..n)
                .filter(|k| k % 3 == 2)
                .all(|k| visits[k as usize] == 0)
        );
    }
}
