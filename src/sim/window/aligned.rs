//! Tumbling and sliding windows: every key's windows share the same
//! extents, so the state is kept per live window extent: a bitmap of the
//! keys that have an entry, and per key group the entry bytes, the entry
//! count and the bytes of one timer per entry. A window fires and purges for
//! all keys at once, which makes purging a whole-slot operation.
//!
//! The per-element path is a handful of loads and stores: the window start
//! comes from a cached range (no division while time stays in the same
//! slide), the key's bit is tested and set, and the key group's counts are
//! updated (over a large key space, without a branch on whether the entry
//! is new, see [`LARGE_KEYS`]). Keep the counts in separate arrays: one
//! array of `(bytes, entries, timer_unit)` measured slower.

use super::ValueModel;
use crate::flink::serializer::{TIME_WINDOW_BYTES, timer_bytes};
use crate::sim::operator::{History, Operator};
use crate::sim::writes::{StateWrites, Window};
use crate::sim::{RunStats, Snapshot};
use crate::workload::{KeyBytes, KeySpace};

/// Over key spaces larger than this, each window's per-key state is loaded
/// ahead (a window's bitmap, `keys / 8` bytes, outgrows the L1 cache and its
/// last sizes, 4 bytes a key, the L2 cache) and the counts are updated
/// without a branch on whether the entry is new (keys are seldom seen
/// twice in a window, so that branch is unpredictable). Below it, the
/// branch predicts well and costs less than the selects.
const LARGE_KEYS: usize = 1 << 18;

/// One live window extent `[start, end)`.
struct Slot {
    start: i64,
    end: i64,
    present: Vec<u64>,
    bytes: Vec<u64>,
    entries: Vec<u64>,
    timer_unit: Vec<u64>,
    last: Vec<u32>,
}

impl Slot {
    fn new(keys: usize, kgs: usize, needs_last: bool) -> Self {
        Slot {
            start: 0,
            end: 0,
            present: vec![0; keys.div_ceil(64)],
            bytes: vec![0; kgs],
            entries: vec![0; kgs],
            timer_unit: vec![0; kgs],
            last: if needs_last {
                vec![0; keys]
            } else {
                Vec::new()
            },
        }
    }
    fn clear(&mut self) {
        self.present.fill(0);
        self.bytes.fill(0);
        self.entries.fill(0);
        self.timer_unit.fill(0);
    }
}

/// Tumbling (`slide == size`) and sliding windows.
pub(super) struct Aligned<'k, V, W> {
    key_group: &'k [u16],
    key_bytes: &'k KeyBytes,
    kgs: usize,
    size: i64,
    slide: i64,
    offset: i64,
    lateness: i64,
    processing: bool,
    value: V,
    slots: Vec<Slot>,
    pool: Vec<Slot>,
    /// Every timestamp in `[start_lo, start_hi)` has the last window start
    /// `start_lo`.
    start_lo: i64,
    start_hi: i64,
    /// Whether the key space is larger than [`LARGE_KEYS`].
    large: bool,
    sink: u64,
    history: History,
    /// Hears every state write (RocksDB); [`crate::sim::writes::NoWrites`] for the heap.
    writes: W,
}

impl<'k, V: ValueModel, W: StateWrites> Aligned<'k, V, W> {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn new(
        keys: &'k KeySpace,
        kgs: usize,
        size: i64,
        slide: i64,
        offset: i64,
        lateness: i64,
        processing: bool,
        value: V,
        writes: W,
    ) -> Self {
        Aligned {
            key_group: &keys.key_group,
            key_bytes: &keys.key_bytes,
            kgs,
            size,
            slide,
            offset,
            lateness,
            processing,
            value,
            slots: Vec::new(),
            pool: Vec::new(),
            start_lo: 0,
            start_hi: 0,
            large: keys.len() > LARGE_KEYS,
            sink: 0,
            history: History::new(kgs),
            writes,
        }
    }

    /// `TimeWindow.getWindowStartWithOffset` (Java `%` semantics).
    #[inline(always)]
    fn last_start(&mut self, ts: i64) -> i64 {
        if ts >= self.start_lo && ts < self.start_hi {
            return self.start_lo;
        }
        self.compute_last_start(ts)
    }

    /// Computes the last start and caches the range of timestamps that
    /// share it. When `ts - offset + slide >= 0`, `%` is a true modulo and
    /// every `ts` in `[start, start + slide)` has the same `start`; below,
    /// Java's truncating `%` is not periodic, so nothing is cached.
    #[inline(never)]
    fn compute_last_start(&mut self, ts: i64) -> i64 {
        let shifted = ts - self.offset + self.slide;
        let start = ts - shifted % self.slide;
        if shifted >= 0 {
            self.start_lo = start;
            self.start_hi = start.saturating_add(self.slide);
        }
        start
    }

    /// Index of the slot starting at `start`, searching down from `hint`;
    /// creates it in order when absent.
    #[inline(always)]
    fn slot_index(&mut self, start: i64, hint: usize) -> usize {
        let mut i = hint.min(self.slots.len());
        while i > 0 {
            let s = self.slots[i - 1].start;
            if s == start {
                return i - 1;
            }
            if s < start {
                break;
            }
            i -= 1;
        }
        self.insert_slot(i, start)
    }

    #[cold]
    fn insert_slot(&mut self, at: usize, start: i64) -> usize {
        let n = self.key_group.len();
        let needs_last = self.value.needs_last();
        let mut slot = self
            .pool
            .pop()
            .unwrap_or_else(|| Slot::new(n, self.kgs, needs_last));
        slot.start = start;
        slot.end = start + self.size;
        self.slots.insert(at, slot);
        at
    }

    /// Makes the slots a record at `ts` would, without touching any key's
    /// state (a record of a key group simulated in another partition).
    #[inline(never)]
    fn other_extents(&mut self, ts: i64, watermark: i64) {
        let mut start = self.compute_last_start(ts);
        let mut hint = self.slots.len();
        while start > ts - self.size {
            if self.processing || self.cleanup_time(start + self.size) > watermark {
                hint = self.slot_index(start, hint);
            }
            start -= self.slide;
        }
    }

    /// Purges every slot whose cleanup time is at or before `time`.
    #[inline(never)]
    fn purge(&mut self, time: i64, stats: &mut RunStats) {
        // Slots are ordered by start and share one size: the expired ones
        // are a prefix.
        let mut n = 0;
        while n < self.slots.len() && self.cleanup_time(self.slots[n].end) <= time {
            n += 1;
        }
        for mut slot in self.slots.drain(..n) {
            if W::ON {
                Self::report_purge(
                    &mut self.writes,
                    &slot,
                    self.key_group,
                    self.lateness,
                    self.processing,
                );
            }
            // At purge, one timer per entry is left (the cleanup timer).
            for kg in 0..self.kgs {
                self.history
                    .purge(kg, slot.entries[kg], slot.bytes[kg] + slot.timer_unit[kg]);
            }
            slot.clear();
            self.pool.push(slot);
            stats.windows_purged += 1;
        }
    }

    /// Reports the writes of purging `slot`: per key group, per key in key
    /// order (the timer queue's order), the timer's poll, the entry's clear
    /// and the trigger's delete of its timer (`WindowOperator.onEventTime`
    /// → `clearAllState`). With allowed lateness the trigger timer
    /// (`maxTimestamp`) is polled here too, at the cleanup time: an
    /// approximation (Flink polls it when the watermark passes it).
    #[cold]
    fn report_purge(
        writes: &mut W,
        slot: &Slot,
        key_group: &[u16],
        lateness: i64,
        processing: bool,
    ) {
        let mut keys: Vec<(u16, u32)> = Vec::new();
        for (w, &bits) in slot.present.iter().enumerate() {
            let mut bits = bits;
            while bits != 0 {
                let b = bits.trailing_zeros() as usize;
                bits &= bits - 1;
                let k = (w * 64 + b) as u32;
                keys.push((key_group[k as usize], k));
            }
        }
        keys.sort_unstable();
        let window = Window {
            start: slot.start,
            end: slot.end,
        };
        let max_ts = slot.end - 1;
        let cleanup = if processing {
            max_ts
        } else {
            max_ts.saturating_add(lateness)
        };
        for (kg, key) in keys {
            let kg = kg as usize;
            if cleanup != max_ts {
                writes.poll_timer(kg, key, max_ts, window);
            }
            writes.poll_timer(kg, key, cleanup, window);
            writes.clear(kg, key, window);
            writes.delete_timer(kg, key, max_ts, window);
        }
    }

    /// Cleanup time: `maxTimestamp + allowedLateness` (event time) or
    /// `maxTimestamp` (processing time).
    #[inline(always)]
    fn cleanup_time(&self, end: i64) -> i64 {
        (end - 1).saturating_add(self.lateness)
    }
}

impl<V: ValueModel, W: StateWrites> Operator for Aligned<'_, V, W> {
    #[inline]
    fn key_groups(&mut self, keys: &[u32], kgs: &mut [u16]) {
        for (k, g) in keys.iter().zip(kgs.iter_mut()) {
            *g = self.key_group[*k as usize];
        }
        self.prefetch(keys);
    }

    #[inline]
    fn prefetch(&mut self, keys: &[u32]) {
        // Over a large key space, the keys' bits (and last sizes) in the
        // newest window are cache misses too: load them here, where the
        // misses overlap, so that `element` finds them in cache.
        if self.large
            && let Some(slot) = self.slots.last()
        {
            let mut sink = 0u64;
            for &k in keys {
                sink ^= slot.present[(k >> 6) as usize];
            }
            if self.value.needs_last() {
                for &k in keys {
                    sink ^= slot.last[k as usize] as u64;
                }
            }
            // Keeps the loads: their values are otherwise unused.
            self.sink = self.sink.wrapping_add(sink);
        }
    }

    #[inline(always)]
    fn element(
        &mut self,
        key: u32,
        kg: usize,
        ts: i64,
        bytes: u64,
        _sub_key: u32,
        watermark: i64,
        stats: &mut RunStats,
    ) {
        self.history.record(kg);
        let word = (key >> 6) as usize;
        let bit = 1u64 << (key & 63);
        let key_bytes = self.key_bytes.get(key);
        let value = self.value;
        // What a new entry adds, and what an element adds to an entry.
        let new_bytes = TIME_WINDOW_BYTES + key_bytes + value.first(bytes);
        let new_timer = timer_bytes(key_bytes);
        let large = self.large;
        if W::ON {
            self.writes.element(kg, key, ts, bytes);
        }
        let mut start = self.last_start(ts);
        let mut hint = self.slots.len();
        while start > ts - self.size {
            let end = start + self.size;
            // WindowOperator.isWindowLate: event time and cleanup <= watermark.
            if !self.processing && self.cleanup_time(end) <= watermark {
                stats.dropped_late += 1;
                start -= self.slide;
                continue;
            }
            let i = self.slot_index(start, hint);
            hint = i;
            if W::ON {
                // WindowOperator.processElement: the state's add, the
                // trigger's timer (EventTimeTrigger registers maxTimestamp
                // unless the watermark passed it), the cleanup timer.
                let w = Window { start, end };
                self.writes.add(kg, key, w);
                let max_ts = end - 1;
                if self.processing || max_ts > watermark {
                    self.writes.register_timer(kg, key, max_ts, w);
                }
                self.writes
                    .register_timer(kg, key, self.cleanup_time(end), w);
            }
            let slot = &mut self.slots[i];
            let w = &mut slot.present[word];
            let new = *w & bit == 0;
            *w |= bit;
            let last = if value.needs_last() {
                // A new entry's old `last` is stale and unused.
                std::mem::replace(&mut slot.last[key as usize], bytes as u32) as u64
            } else {
                0
            };
            let added = value.add(bytes, last) as u64;
            if large {
                // Whether the entry is new is a coin toss over a large key
                // space: selects, not a branch.
                slot.bytes[kg] = slot.bytes[kg].wrapping_add(if new { new_bytes } else { added });
                slot.entries[kg] += new as u64;
                slot.timer_unit[kg] += new_timer & (new as u64).wrapping_neg();
            } else if new {
                slot.bytes[kg] += new_bytes;
                slot.entries[kg] += 1;
                slot.timer_unit[kg] += new_timer;
            } else {
                slot.bytes[kg] = slot.bytes[kg].wrapping_add(added);
            }
            start -= self.slide;
        }
    }

    const SHARED_EXTENTS: bool = true;

    #[inline(always)]
    fn foreign_record(&mut self, ts: i64, watermark: i64) {
        // Within the cached range, the extents of `ts` were made (or found
        // late, which they stay) by an earlier record.
        if ts < self.start_lo || ts >= self.start_hi {
            self.other_extents(ts, watermark);
        }
    }

    #[inline(always)]
    fn advance(&mut self, time: i64, stats: &mut RunStats) {
        if !self.slots.is_empty() && self.cleanup_time(self.slots[0].end) <= time {
            self.purge(time, stats);
        }
    }

    fn snapshot(&mut self, watermark: i64, snap: &mut Snapshot, _stats: &mut RunStats) {
        let words = self.key_group.len().div_ceil(64);
        // window-contents, then the event and processing window-timers.
        snap.with_states(3);
        let timer_queue = if self.processing { 2 } else { 1 };
        for slot in &self.slots {
            // With allowed lateness, the trigger timer (maxTimestamp) and the
            // cleanup timer (maxTimestamp + lateness) are distinct until the
            // watermark passes maxTimestamp.
            let timers = if !self.processing && self.lateness > 0 && watermark < slot.end - 1 {
                2
            } else {
                1
            };
            for kg in 0..self.kgs {
                let timer_bytes = timers * slot.timer_unit[kg];
                snap.kg_bytes[kg] += slot.bytes[kg] + timer_bytes;
                snap.kg_entries[kg] += slot.entries[kg];
                snap.kg_timers[kg] += timers * slot.entries[kg];
                snap.state_bytes[0][kg] += slot.bytes[kg];
                snap.state_entries[0][kg] += slot.entries[kg];
                snap.state_bytes[timer_queue][kg] += timer_bytes;
                snap.state_entries[timer_queue][kg] += timers * slot.entries[kg];
            }
        }
        snap.live_windows = self.slots.len() as u64;
        self.history.write(snap);
        self.writes.barrier(snap.checkpoint);
        // Live keys: keys present in any live window.
        match self.slots.len() {
            0 => {}
            1 => count_keys(self.slots[0].present.iter().copied(), self.key_group, snap),
            _ => count_keys(
                (0..words).map(|w| self.slots.iter().fold(0u64, |a, s| a | s.present[w])),
                self.key_group,
                snap,
            ),
        }
    }
}

fn count_keys(words: impl Iterator<Item = u64>, key_group: &[u16], snap: &mut Snapshot) {
    for (w, mut bits) in words.enumerate() {
        while bits != 0 {
            let b = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            snap.kg_live_keys[key_group[w * 64 + b] as usize] += 1;
        }
    }
}
