//! The interval join (`left.keyBy(k).intervalJoin(right.keyBy(k))
//! .between(lower, upper)`, Flink's `IntervalJoinOperator`): per key, two
//! `MapState<Long, List<BufferEntry<T>>>` (`LEFT_BUFFER`, `RIGHT_BUFFER`)
//! holding each record under its timestamp, and an event-time cleanup
//! timer per (key, side, cleanup time) in the `CLEANUP_TIMER` service
//! (namespace `"CLEANUP_LEFT"` / `"CLEANUP_RIGHT"`). Heap snapshot bytes
//! per key group (tests/ground-truth-ops/FACTS.md, section 5):
//!
//! - buffer entry: namespace (1) + key + 4 (map size) + per timestamp
//!   bucket 8 (ts) + 1 (null flag) + 4 (list size) + per record 1 (the
//!   `hasBeenJoined` flag) + the record;
//! - timer: 8 + key + the namespace string (13 or 14 bytes);
//! - four registered states frame every key group with 6 bytes each.
//!
//! A record older than the current watermark is late and dropped. A left
//! record at `ts` is cleaned up when the watermark reaches `ts + upper`
//! (or `ts` if `upper <= 0`), a right one at `ts - lower` (or `ts` if
//! `lower >= 0`): its bucket is removed then.
//!
//! The regular join (`kind = "join"`) is a process operator with two lists
//! (`process.rs`).

use crate::flink::serializer::{
    DeclaredState, KEY_GROUP_ID_BYTES, KEYED_HEADER_BASE_BYTES, PER_STATE_FRAMING_BYTES,
    VOID_NAMESPACE_BYTES, declared_state_meta_bytes, string_bytes,
};
use crate::sim::operator::{History, Operator};
use crate::sim::writes::{MapKey, StateWrites, Window};
use crate::sim::{RunStats, Snapshot};
use crate::workload::{KeyBytes, KeySpace};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet};

/// The registered states, in the header's order.
const STATES: [(DeclaredState, &str); 4] = [
    (DeclaredState::BufferMap, "LEFT_BUFFER"),
    (DeclaredState::BufferMap, "RIGHT_BUFFER"),
    (
        DeclaredState::StringTimers,
        "_timer_state/event_CLEANUP_TIMER",
    ),
    (
        DeclaredState::StringTimers,
        "_timer_state/processing_CLEANUP_TIMER",
    ),
];

/// The timers' namespaces per side.
const NAMESPACES: [&str; 2] = ["CLEANUP_LEFT", "CLEANUP_RIGHT"];

/// The heap snapshot's header and per-key-group framing of an interval
/// join.
pub fn heap_format() -> (u64, u64) {
    let header = KEYED_HEADER_BASE_BYTES
        + STATES
            .iter()
            .map(|&(s, name)| declared_state_meta_bytes(s, name, false))
            .sum::<u64>();
    (
        header,
        KEY_GROUP_ID_BYTES + STATES.len() as u64 * PER_STATE_FRAMING_BYTES,
    )
}

/// One timestamp's bucket of a key's buffer: its records and their bytes.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    ts: i64,
    records: u32,
    bytes: u64,
}

/// An interval join over every key of the key space.
pub(super) struct IntervalJoin<'k, W: StateWrites> {
    key_group: &'k [u16],
    key_bytes: &'k KeyBytes,
    lower: i64,
    upper: i64,
    /// Per side, per key: its buckets.
    buffers: [Vec<Vec<Bucket>>; 2],
    /// Pending cleanup timers: (time, key, side).
    timers: BinaryHeap<Reverse<(i64, u32, u8)>>,
    timer_set: HashSet<(u32, u8, i64)>,
    /// Per side, per key: pending timers.
    pending: [Vec<u32>; 2],
    history: History,
    /// Hears every state write (RocksDB); [`crate::sim::writes::NoWrites`] for the heap.
    writes: W,
    /// Record sizes of one bucket (RocksDB writes only).
    sizes: Vec<u32>,
}

impl<'k, W: StateWrites> IntervalJoin<'k, W> {
    /// An empty join between inclusive bounds `lower`..`upper` (ms).
    pub(super) fn new(lower: i64, upper: i64, keys: &'k KeySpace, kgs: usize, writes: W) -> Self {
        let n = keys.len();
        IntervalJoin {
            key_group: &keys.key_group,
            key_bytes: &keys.key_bytes,
            lower,
            upper,
            buffers: [vec![Vec::new(); n], vec![Vec::new(); n]],
            timers: BinaryHeap::new(),
            timer_set: HashSet::new(),
            pending: [vec![0; n], vec![0; n]],
            history: History::new(kgs),
            writes,
            sizes: Vec::new(),
        }
    }

    /// When a record of `side` at `ts` is cleaned up, and the bucket that
    /// timer removes.
    #[inline(always)]
    fn cleanup_time(&self, side: usize, ts: i64) -> i64 {
        // processElement(.., relativeUpperBound): upper for the left side,
        // -lower for the right.
        let rel_upper = if side == 0 { self.upper } else { -self.lower };
        if rel_upper > 0 {
            ts.saturating_add(rel_upper)
        } else {
            ts
        }
    }

    #[inline(always)]
    fn bucket_of(&self, side: usize, timer: i64) -> i64 {
        if side == 0 {
            if self.upper <= 0 {
                timer
            } else {
                timer - self.upper
            }
        } else if self.lower <= 0 {
            timer + self.lower
        } else {
            timer
        }
    }
}

impl<W: StateWrites> Operator for IntervalJoin<'_, W> {
    #[inline]
    fn key_groups(&mut self, keys: &[u32], kgs: &mut [u16]) {
        for (k, g) in keys.iter().zip(kgs.iter_mut()) {
            *g = self.key_group[*k as usize];
        }
    }

    #[inline]
    fn prefetch(&mut self, _keys: &[u32]) {}

    /// `sub_key` is the record's input: 0 (left) or 1 (right).
    #[inline(always)]
    fn element(
        &mut self,
        key: u32,
        kg: usize,
        ts: i64,
        bytes: u64,
        sub_key: u32,
        watermark: i64,
        stats: &mut RunStats,
    ) {
        self.history.record(kg);
        // isLate: timestamp < current watermark.
        if watermark != i64::MIN && ts < watermark {
            stats.dropped_late += 1;
            return;
        }
        let side = (sub_key == 1) as usize;
        let k = key as usize;
        let at = self.cleanup_time(side, ts);
        let b = &mut self.buffers[side][k];
        let i = match b.iter().position(|e| e.ts == ts) {
            Some(i) => {
                b[i].records += 1;
                b[i].bytes += bytes;
                i
            }
            None => {
                b.push(Bucket {
                    ts,
                    records: 1,
                    bytes,
                });
                b.len() - 1
            }
        };
        if W::ON {
            // addToBuffer: the bucket read, the record added, the bucket
            // put back whole; then the cleanup timer registered.
            let e = b[i];
            self.sizes.clear();
            let each = (e.bytes / e.records as u64) as u32;
            self.sizes.resize(e.records as usize, each);
            if let Some(last) = self.sizes.last_mut() {
                *last += (e.bytes - each as u64 * e.records as u64) as u32;
            }
            self.writes.bucket_put(kg, key, side, ts, &self.sizes);
            let w = Window {
                start: side as i64,
                end: 0,
            };
            self.writes.register_timer(kg, key, at, w);
        }
        if self.timer_set.insert((key, side as u8, at)) {
            self.timers.push(Reverse((at, key, side as u8)));
            self.pending[side][k] += 1;
        }
    }

    #[inline(always)]
    fn advance(&mut self, time: i64, _stats: &mut RunStats) {
        while let Some(&Reverse((at, key, side))) = self.timers.peek() {
            if at > time {
                break;
            }
            self.timers.pop();
            self.timer_set.remove(&(key, side, at));
            let (k, s) = (key as usize, side as usize);
            self.pending[s][k] -= 1;
            let ts = self.bucket_of(s, at);
            let kg = self.key_group[k] as usize;
            if W::ON {
                let w = Window {
                    start: s as i64,
                    end: 0,
                };
                self.writes.poll_timer(kg, key, at, w);
                self.writes.state_delete(kg, key, s, Some(MapKey::Long(ts)));
            }
            let buf = &mut self.buffers[s][k];
            if let Some(i) = buf.iter().position(|e| e.ts == ts) {
                let e = buf.swap_remove(i);
                self.history
                    .purge(kg, e.records as u64, 13 + e.records as u64 + e.bytes);
            }
        }
    }

    fn snapshot(&mut self, watermark: i64, snap: &mut Snapshot, stats: &mut RunStats) {
        self.advance(watermark, stats);
        // LEFT_BUFFER, RIGHT_BUFFER, then the event-time and processing-time
        // CLEANUP_TIMER queues (the join's timers are event-time ones).
        snap.with_states(4);
        for k in 0..self.key_group.len() {
            let kg = self.key_group[k] as usize;
            let key_bytes = self.key_bytes.get(k as u32);
            let mut bytes = 0u64;
            let mut entries = 0u64;
            let mut timers = 0u64;
            for (side, ns) in NAMESPACES.iter().enumerate() {
                let buf = &self.buffers[side][k];
                if !buf.is_empty() {
                    entries += 1;
                    let mut b = VOID_NAMESPACE_BYTES + key_bytes + 4;
                    for e in buf {
                        b += 8 + 1 + 4 + e.records as u64 + e.bytes;
                    }
                    bytes += b;
                    snap.state_bytes[side][kg] += b;
                    snap.state_entries[side][kg] += 1;
                }
                let t = self.pending[side][k] as u64;
                timers += t;
                let tb = t * (8 + key_bytes + string_bytes(ns.len() as u64));
                bytes += tb;
                snap.state_bytes[2][kg] += tb;
                snap.state_entries[2][kg] += t;
            }
            snap.kg_bytes[kg] += bytes;
            snap.kg_entries[kg] += entries;
            snap.kg_timers[kg] += timers;
            snap.kg_live_keys[kg] += (entries + timers > 0) as u64;
        }
        self.history.write(snap);
        self.writes.barrier(snap.checkpoint);
    }

    const SHARED_EXTENTS: bool = false;

    #[inline(always)]
    fn foreign_record(&mut self, _ts: i64, _watermark: i64) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_as_measured() {
        // FACTS.md: interval join H = 2711, 4 states.
        assert_eq!(heap_format(), (2711, 28));
    }
}
