//! Session windows (merging): each key has its own sessions, merged as
//! `MergingWindowSet.addWindow` merges them, with their trigger and cleanup
//! timers in one time-ordered queue (lazily invalidated when a session is
//! merged away). The merging-window-set state (`VoidNamespace`, key, list
//! of `Tuple2<TimeWindow, TimeWindow>`) is counted per key.

use super::{Engine, RunStats, Snapshot, ValueModel};
use crate::flink::serializer::{
    MERGING_WINDOW_PAIR_BYTES, TIME_WINDOW_BYTES, VOID_NAMESPACE_BYTES, timer_bytes,
};
use crate::workload::{KeyBytes, KeySpace};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

#[derive(Debug, Clone, Copy)]
struct Session {
    start: i64,
    end: i64,
    /// Value bytes of the window-contents entry.
    value: u64,
    last: u32,
    timers: u8,
}

/// A queued timer: (time, key, start, end, is_cleanup).
type Timer = Reverse<(i64, u32, i64, i64, bool)>;

pub(super) struct Sessions<'k, V> {
    key_group: &'k [u16],
    key_bytes: &'k KeyBytes,
    gap: i64,
    lateness: i64,
    processing: bool,
    value: V,
    sessions: Vec<Vec<Session>>,
    queue: BinaryHeap<Timer>,
    kg_bytes: Vec<i64>,
    kg_entries: Vec<i64>,
    kg_timers: Vec<i64>,
    kg_keys: Vec<i64>,
    live_sessions: u64,
    merged: Vec<Session>,
}

impl<'k, V: ValueModel> Sessions<'k, V> {
    pub(super) fn new(
        keys: &'k KeySpace,
        kgs: usize,
        gap: i64,
        lateness: i64,
        processing: bool,
        value: V,
    ) -> Self {
        Sessions {
            key_group: &keys.key_group,
            key_bytes: &keys.key_bytes,
            gap,
            lateness,
            processing,
            value,
            sessions: vec![Vec::new(); keys.len()],
            queue: BinaryHeap::new(),
            kg_bytes: vec![0; kgs],
            kg_entries: vec![0; kgs],
            kg_timers: vec![0; kgs],
            kg_keys: vec![0; kgs],
            live_sessions: 0,
            merged: Vec::new(),
        }
    }

    fn mws_bytes(key_bytes: u64, n: usize) -> i64 {
        if n == 0 {
            0
        } else {
            (VOID_NAMESPACE_BYTES + key_bytes + 4 + MERGING_WINDOW_PAIR_BYTES * n as u64) as i64
        }
    }

    /// Adds (`sign = 1`) or removes (`-1`) a session's entry and timers.
    fn account(&mut self, kg: usize, key_bytes: u64, s: &Session, sign: i64) {
        let entry = TIME_WINDOW_BYTES + key_bytes + s.value;
        let timers = s.timers as i64;
        self.kg_bytes[kg] += sign * (entry as i64 + timers * timer_bytes(key_bytes) as i64);
        self.kg_entries[kg] += sign;
        self.kg_timers[kg] += sign * timers;
    }

    fn set_count(&mut self, kg: usize, key_bytes: u64, before: usize, after: usize) {
        self.kg_bytes[kg] += Self::mws_bytes(key_bytes, after) - Self::mws_bytes(key_bytes, before);
        self.kg_keys[kg] += (after > 0) as i64 - (before > 0) as i64;
        self.live_sessions = self.live_sessions + after as u64 - before as u64;
    }

    /// Registers the timers of a new or merged session (`EventTimeTrigger`
    /// on element / on merge, and `registerCleanupTimer`).
    fn timers_for(&mut self, key: u32, s: &mut Session, watermark: i64) {
        let max_ts = s.end - 1;
        let cleanup = max_ts.saturating_add(self.lateness);
        let trigger = self.processing || max_ts > watermark;
        s.timers = if trigger && self.lateness > 0 { 2 } else { 1 };
        if s.timers == 2 {
            self.queue
                .push(Reverse((max_ts, key, s.start, s.end, false)));
        }
        self.queue
            .push(Reverse((cleanup, key, s.start, s.end, true)));
    }
}

impl<V: ValueModel> Engine for Sessions<'_, V> {
    fn element(&mut self, key: u32, ts: i64, bytes: u64, watermark: i64, stats: &mut RunStats) {
        let kg = self.key_group[key as usize] as usize;
        let kb = self.key_bytes.get(key);
        let (start, end) = (ts, ts.saturating_add(self.gap));
        let list = &self.sessions[key as usize];
        // TimeWindow.intersects: start <= other.end && end >= other.start.
        let mut ms = start;
        let mut me = end;
        let mut overlaps = 0;
        let mut only = usize::MAX;
        for (i, s) in list.iter().enumerate() {
            if s.start <= end && s.end >= start {
                ms = ms.min(s.start);
                me = me.max(s.end);
                overlaps += 1;
                only = i;
            }
        }
        // isWindowLate on the merged window.
        if !self.processing && (me - 1).saturating_add(self.lateness) <= watermark {
            stats.dropped_late += 1;
            return;
        }
        let before = list.len();
        if overlaps == 1 && list[only].start == ms && list[only].end == me {
            // The new window lies inside an existing session: no merge, the
            // element joins that session's state; timers are unchanged.
            let value = self.value;
            let s = &mut self.sessions[key as usize][only];
            let delta = value.add(bytes, s.last as u64);
            s.value = (s.value as i64 + delta) as u64;
            s.last = bytes as u32;
            self.kg_bytes[kg] += delta;
            return;
        }
        // Merge every overlapping session into one (its state window keeps
        // one of the old namespaces: same size).
        let mut merged = std::mem::take(&mut self.merged);
        merged.clear();
        let list = &mut self.sessions[key as usize];
        let mut i = 0;
        while i < list.len() {
            if list[i].start <= end && list[i].end >= start {
                merged.push(list.swap_remove(i));
            } else {
                i += 1;
            }
        }
        let mut s = Session {
            start: ms,
            end: me,
            value: self.value.first(bytes),
            last: bytes as u32,
            timers: 0,
        };
        for m in &merged {
            s.value = self.value.merge(m.value, s.value);
        }
        for m in merged.iter() {
            self.account(kg, kb, m, -1);
        }
        self.timers_for(key, &mut s, watermark);
        self.account(kg, kb, &s, 1);
        self.sessions[key as usize].push(s);
        let after = self.sessions[key as usize].len();
        self.set_count(kg, kb, before, after);
        self.merged = merged;
    }

    fn advance(&mut self, time: i64, stats: &mut RunStats) {
        while let Some(&Reverse((t, key, start, end, cleanup))) = self.queue.peek() {
            if t > time {
                break;
            }
            self.queue.pop();
            let list = &self.sessions[key as usize];
            let Some(i) = list.iter().position(|s| s.start == start && s.end == end) else {
                continue; // merged away: the timer was deleted
            };
            let kg = self.key_group[key as usize] as usize;
            let kb = self.key_bytes.get(key);
            if cleanup {
                let before = list.len();
                let s = self.sessions[key as usize].swap_remove(i);
                self.account(kg, kb, &s, -1);
                self.set_count(kg, kb, before, before - 1);
                stats.windows_purged += 1;
            } else if self.sessions[key as usize][i].timers == 2 {
                // The trigger timer fired; the cleanup timer remains.
                self.sessions[key as usize][i].timers = 1;
                self.kg_bytes[kg] -= timer_bytes(kb) as i64;
                self.kg_timers[kg] -= 1;
            }
        }
    }

    fn snapshot(&self, _watermark: i64, snap: &mut Snapshot) {
        for kg in 0..snap.kg_bytes.len() {
            snap.kg_bytes[kg] = self.kg_bytes[kg] as u64;
            snap.kg_entries[kg] = self.kg_entries[kg] as u64;
            snap.kg_timers[kg] = self.kg_timers[kg] as u64;
            snap.kg_live_keys[kg] = self.kg_keys[kg] as u64;
        }
        snap.live_windows = self.live_sessions;
    }
}
