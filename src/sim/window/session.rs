//! Session windows (merging): each key has its own sessions, merged as
//! `MergingWindowSet.addWindow` merges them. The merging-window-set state
//! (`VoidNamespace`, key, list of `Tuple2<TimeWindow, TimeWindow>`) is
//! counted per key.
//!
//! Timers: a session's timers only change what Flink holds when (a) the
//! key's next element arrives, or (b) a snapshot is taken. So firing is
//! exact but lazy: before an element is merged, the key's own sessions whose
//! cleanup (or trigger) time the clock has passed are purged (or lose their
//! trigger timer), exactly as Flink's timers would have done; at a snapshot,
//! one sweep over the pending timer list settles every other key. Each
//! session has one pending cleanup entry and, while its trigger timer is
//! distinct (allowed lateness > 0), one trigger entry; a session that grew
//! keeps its entries, which the sweep moves to the new time. There is no
//! priority queue on the per-record path, and keys hold their sessions in a
//! slab of reusable lists, so it does not allocate once the slab has grown.

use super::ValueModel;
use crate::flink::serializer::{
    MERGING_WINDOW_PAIR_BYTES, TIME_WINDOW_BYTES, VOID_NAMESPACE_BYTES, timer_bytes,
};
use crate::sim::operator::{History, Operator};
use crate::sim::writes::{StateWrites, Window};
use crate::sim::{RunStats, Snapshot};
use crate::workload::{KeyBytes, KeySpace};

#[derive(Debug, Clone, Copy)]
struct Session {
    id: u64,
    start: i64,
    end: i64,
    /// Value bytes of the window-contents entry.
    value: u64,
    last: u32,
    timers: u8,
    /// The state window (namespace of its window-contents entry).
    ns: (i64, i64),
}

/// A pending timer entry.
#[derive(Debug, Clone, Copy)]
struct Timer {
    time: i64,
    id: u64,
    key: u32,
    cleanup: bool,
}

const NONE: u32 = u32::MAX;

/// Timer entries whose keys' sessions `sweep` loads ahead at a time.
const AHEAD: usize = 64;

pub(super) struct Sessions<'k, V, W> {
    key_group: &'k [u16],
    key_bytes: &'k KeyBytes,
    gap: i64,
    lateness: i64,
    processing: bool,
    value: V,
    /// Per key: index of its list in `lists`, or `NONE`.
    head: Vec<u32>,
    lists: Vec<Vec<Session>>,
    free: Vec<u32>,
    next_id: u64,
    pending: Vec<Timer>,
    /// Every timer at or before this time has fired.
    fired_to: i64,
    /// Sweep the pending list when it grows past this.
    sweep_at: usize,
    purged: u64,
    kg_bytes: Vec<i64>,
    /// The timers' part of `kg_bytes`.
    kg_timer_bytes: Vec<i64>,
    /// The `merging-window-set` part of `kg_bytes`.
    kg_mws_bytes: Vec<i64>,
    kg_entries: Vec<i64>,
    kg_timers: Vec<i64>,
    kg_keys: Vec<i64>,
    live_sessions: u64,
    sink: i64,
    history: History,
    /// Hears every state write (RocksDB); a no-op for the heap.
    writes: W,
    /// The mapping written by [`Sessions::persist`].
    pairs: Vec<(Window, Window)>,
}

fn win((start, end): (i64, i64)) -> Window {
    Window { start, end }
}

impl<'k, V: ValueModel, W: StateWrites> Sessions<'k, V, W> {
    pub(super) fn new(
        keys: &'k KeySpace,
        kgs: usize,
        gap: i64,
        lateness: i64,
        processing: bool,
        value: V,
        writes: W,
    ) -> Self {
        Sessions {
            key_group: &keys.key_group,
            key_bytes: &keys.key_bytes,
            gap,
            lateness,
            processing,
            value,
            head: vec![NONE; keys.len()],
            lists: Vec::new(),
            free: Vec::new(),
            next_id: 0,
            pending: Vec::new(),
            fired_to: i64::MIN,
            sweep_at: 1 << 20,
            purged: 0,
            kg_bytes: vec![0; kgs],
            kg_timer_bytes: vec![0; kgs],
            kg_mws_bytes: vec![0; kgs],
            kg_entries: vec![0; kgs],
            kg_timers: vec![0; kgs],
            kg_keys: vec![0; kgs],
            live_sessions: 0,
            sink: 0,
            history: History::new(kgs),
            writes,
            pairs: Vec::new(),
        }
    }

    /// `MergingWindowSet.persist`: the key's mapping, written.
    fn persist(&mut self, kg: usize, key: u32, h: usize) {
        self.pairs.clear();
        self.pairs.extend(
            self.lists[h]
                .iter()
                .map(|s| (win((s.start, s.end)), win(s.ns))),
        );
        self.writes.merging_set(kg, key, &self.pairs);
    }

    /// The writes of purging session `s` of `key` (its cleanup timer
    /// fired): the timer's poll, the entry's clear, the trigger's delete;
    /// `persist` follows once the session left the key's list.
    fn report_purge(&mut self, kg: usize, key: u32, s: &Session) {
        let w = win((s.start, s.end));
        let max_ts = s.end - 1;
        let cleanup = self.cleanup_time(s.end);
        if s.timers == 2 {
            self.writes.poll_timer(kg, key, max_ts, w);
        }
        self.writes.poll_timer(kg, key, cleanup, w);
        self.writes.clear(kg, key, win(s.ns));
        self.writes.delete_timer(kg, key, max_ts, w);
    }

    fn mws_bytes(key_bytes: u64, n: usize) -> i64 {
        if n == 0 {
            0
        } else {
            (VOID_NAMESPACE_BYTES + key_bytes + 4 + MERGING_WINDOW_PAIR_BYTES * n as u64) as i64
        }
    }

    /// Adds (`sign = 1`) or removes (`-1`) a session's entry and timers.
    #[inline]
    fn account(&mut self, kg: usize, key_bytes: u64, value: u64, timers: u8, sign: i64) {
        let entry = TIME_WINDOW_BYTES + key_bytes + value;
        let timers = timers as i64;
        let timer = sign * timers * timer_bytes(key_bytes) as i64;
        self.kg_bytes[kg] += sign * entry as i64 + timer;
        self.kg_timer_bytes[kg] += timer;
        self.kg_entries[kg] += sign;
        self.kg_timers[kg] += sign * timers;
    }

    fn set_count(&mut self, kg: usize, key_bytes: u64, before: usize, after: usize) {
        let mws = Self::mws_bytes(key_bytes, after) - Self::mws_bytes(key_bytes, before);
        self.kg_bytes[kg] += mws;
        self.kg_mws_bytes[kg] += mws;
        self.kg_keys[kg] += (after > 0) as i64 - (before > 0) as i64;
        self.live_sessions = self.live_sessions + after as u64 - before as u64;
    }

    /// Timers of a session after `EventTimeTrigger.onElement` / `onMerge`
    /// and `registerCleanupTimer`: the trigger timer exists while
    /// `maxTimestamp` is ahead of the watermark and is distinct from the
    /// cleanup timer only with allowed lateness.
    #[inline]
    fn timer_count(&self, end: i64, watermark: i64) -> u8 {
        let trigger = self.processing || end - 1 > watermark;
        if trigger && self.lateness > 0 { 2 } else { 1 }
    }

    #[inline]
    fn cleanup_time(&self, end: i64) -> i64 {
        (end - 1).saturating_add(self.lateness)
    }

    /// Applies to `key`'s sessions every timer that has fired: purges the
    /// sessions whose cleanup time has passed, drops fired trigger timers.
    #[inline]
    fn settle_key(&mut self, key: u32) {
        let h = self.head[key as usize];
        if h == NONE {
            return;
        }
        let h = h as usize;
        let kg = self.key_group[key as usize] as usize;
        let kb = self.key_bytes.get(key);
        let mut i = 0;
        while i < self.lists[h].len() {
            let s = self.lists[h][i];
            if self.cleanup_time(s.end) <= self.fired_to {
                let before = self.lists[h].len();
                self.lists[h].swap_remove(i);
                if W::ON {
                    self.report_purge(kg, key, &s);
                    self.persist(kg, key, h);
                }
                self.account(kg, kb, s.value, s.timers, -1);
                self.set_count(kg, kb, before, before - 1);
                self.purged += 1;
                self.history.purge(
                    kg,
                    1,
                    TIME_WINDOW_BYTES + kb + s.value + s.timers as u64 * timer_bytes(kb),
                );
                continue;
            }
            if s.timers == 2 && s.end - 1 <= self.fired_to {
                if W::ON {
                    self.writes
                        .poll_timer(kg, key, s.end - 1, win((s.start, s.end)));
                }
                self.lists[h][i].timers = 1;
                self.kg_bytes[kg] -= timer_bytes(kb) as i64;
                self.kg_timer_bytes[kg] -= timer_bytes(kb) as i64;
                self.kg_timers[kg] -= 1;
            }
            i += 1;
        }
        self.release_if_empty(key);
    }

    /// Settles every key with a due timer and drops entries that no longer
    /// stand for a timer; entries of sessions that grew move to their new
    /// time.
    fn sweep(&mut self) {
        let mut pending = std::mem::take(&mut self.pending);
        // Both passes visit keys at random: each chunk's session lists are
        // loaded ahead, so that their cache misses overlap.
        for chunk in pending.chunks(AHEAD) {
            self.load_ahead(chunk.iter().map(|t| t.key));
            for t in chunk {
                if t.time <= self.fired_to {
                    self.settle_key(t.key);
                }
            }
        }
        let mut kept = 0;
        for i in 0..pending.len() {
            if i % AHEAD == 0 {
                let end = (i + AHEAD).min(pending.len());
                self.load_ahead(pending[i..end].iter().map(|t| t.key));
            }
            let mut t = pending[i];
            if self.still_pending(&mut t) {
                pending[kept] = t;
                kept += 1;
            }
        }
        pending.truncate(kept);
        self.sweep_at = (pending.len() * 2).max(1 << 20);
        self.pending = pending;
    }

    /// Whether a timer entry still stands for a timer; moves it to its
    /// session's current time.
    #[inline]
    fn still_pending(&self, t: &mut Timer) -> bool {
        let h = self.head[t.key as usize];
        if h == NONE {
            return false;
        }
        let Some(s) = self.lists[h as usize].iter().find(|s| s.id == t.id) else {
            return false; // purged or merged away
        };
        if t.cleanup {
            t.time = self.cleanup_time(s.end);
            true
        } else if s.timers == 2 {
            t.time = s.end - 1;
            true
        } else {
            false
        }
    }

    /// Loads the key groups and session lists of `keys` into cache (four
    /// misses per key over a large key space); the misses of different keys
    /// overlap here instead of stalling the code that then visits them.
    #[inline]
    fn load_ahead(&mut self, keys: impl Iterator<Item = u32>) {
        let mut sink = 0i64;
        for k in keys {
            sink ^= self.key_group[k as usize] as i64;
            let h = self.head[k as usize];
            if h != NONE {
                sink ^= self.lists[h as usize].first().map_or(0, |s| s.end);
            }
        }
        // Keeps the loads: their values are otherwise unused.
        self.sink = self.sink.wrapping_add(sink);
    }

    #[inline]
    fn push_timer(&mut self, time: i64, id: u64, key: u32, cleanup: bool) {
        self.pending.push(Timer {
            time,
            id,
            key,
            cleanup,
        });
        if self.pending.len() >= self.sweep_at {
            self.sweep();
        }
    }

    fn list_of(&mut self, key: u32) -> u32 {
        let h = self.head[key as usize];
        if h != NONE {
            return h;
        }
        let h = match self.free.pop() {
            Some(h) => h,
            None => {
                self.lists.push(Vec::with_capacity(2));
                (self.lists.len() - 1) as u32
            }
        };
        self.head[key as usize] = h;
        h
    }

    fn release_if_empty(&mut self, key: u32) {
        let h = self.head[key as usize];
        if h != NONE && self.lists[h as usize].is_empty() {
            self.head[key as usize] = NONE;
            self.free.push(h);
        }
    }
}

impl<V: ValueModel, W: StateWrites> Operator for Sessions<'_, V, W> {
    #[inline]
    fn key_groups(&mut self, keys: &[u32], kgs: &mut [u16]) {
        for (k, g) in keys.iter().zip(kgs.iter_mut()) {
            *g = self.key_group[*k as usize];
        }
        self.load_ahead(keys.iter().copied());
    }

    #[inline]
    fn prefetch(&mut self, keys: &[u32]) {
        self.load_ahead(keys.iter().copied());
    }

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
        let kb = self.key_bytes.get(key);
        let (start, end) = (ts, ts.saturating_add(self.gap));
        self.settle_key(key);
        let h = self.list_of(key) as usize;
        // TimeWindow.intersects: start <= other.end && end >= other.start.
        let (mut ms, mut me, mut overlaps, mut first) = (start, end, 0usize, usize::MAX);
        for (i, s) in self.lists[h].iter().enumerate() {
            if s.start <= end && s.end >= start {
                ms = ms.min(s.start);
                me = me.max(s.end);
                overlaps += 1;
                first = first.min(i);
            }
        }
        // isWindowLate on the merged window.
        if !self.processing && self.cleanup_time(me) <= watermark {
            stats.dropped_late += 1;
            self.release_if_empty(key);
            return;
        }
        let before = self.lists[h].len();
        let value = self.value;
        if W::ON {
            self.writes.element(kg, key, ts, bytes);
        }
        if overlaps == 0 {
            let timers = self.timer_count(me, watermark);
            let s = Session {
                id: self.next_id,
                start: ms,
                end: me,
                value: value.first(bytes),
                last: bytes as u32,
                timers,
                ns: (ms, me),
            };
            if W::ON {
                // A window of its own: state under itself, the trigger's and
                // the cleanup timer, the mapping persisted.
                let w = win((ms, me));
                self.writes.add(kg, key, w);
                if self.processing || me - 1 > watermark {
                    self.writes.register_timer(kg, key, me - 1, w);
                }
                self.writes
                    .register_timer(kg, key, self.cleanup_time(me), w);
            }
            self.next_id += 1;
            self.account(kg, kb, s.value, timers, 1);
            self.lists[h].push(s);
            self.set_count(kg, kb, before, before + 1);
            if timers == 2 {
                self.push_timer(me - 1, s.id, key, false);
            }
            self.push_timer(self.cleanup_time(me), s.id, key, true);
            if W::ON {
                self.persist(kg, key, h);
            }
            return;
        }
        // Merge every overlapping session into the first one; the others'
        // queued timers become stale (their ids disappear). The state window
        // keeps one of the old namespaces: same size.
        let mut s = self.lists[h][first];
        self.account(kg, kb, s.value, s.timers, -1);
        let changed = s.start != ms || s.end != me || overlaps > 1;
        if W::ON && changed {
            // The merge function: onMerge registers the merged window's
            // timer; every merged window's trigger and cleanup timers are
            // deleted; the other state windows merge into this one's.
            let mw = win((ms, me));
            if self.processing || me - 1 > watermark {
                self.writes.register_timer(kg, key, me - 1, mw);
            }
            let lateness = self.lateness;
            for o in self.lists[h].iter() {
                if o.start <= end && o.end >= start {
                    let ow = win((o.start, o.end));
                    self.writes.delete_timer(kg, key, o.end - 1, ow);
                    self.writes
                        .delete_timer(kg, key, (o.end - 1).saturating_add(lateness), ow);
                }
            }
            for o in self.lists[h][first + 1..].iter() {
                if o.start <= end && o.end >= start {
                    self.writes.merge_namespace(kg, key, win(s.ns), win(o.ns));
                }
            }
        }
        let mut i = first + 1;
        while i < self.lists[h].len() {
            let o = self.lists[h][i];
            if o.start <= end && o.end >= start {
                self.account(kg, kb, o.value, o.timers, -1);
                s.value = value.merge(s.value, o.value);
                self.lists[h].swap_remove(i);
            } else {
                i += 1;
            }
        }
        if value.needs_last() {
            // A single-element value is its last element.
            s.last = s.value as u32;
        }
        let delta = value.add(bytes, s.last as u64);
        s.value = (s.value as i64 + delta) as u64;
        s.last = bytes as u32;
        let had_trigger = s.timers == 2;
        if changed {
            // onMerge / onElement register the merged window's timers; the
            // old windows' timers are deleted.
            s.start = ms;
            s.end = me;
            s.timers = self.timer_count(me, watermark);
        }
        self.account(kg, kb, s.value, s.timers, 1);
        self.lists[h][first] = s;
        let after = self.lists[h].len();
        self.set_count(kg, kb, before, after);
        if W::ON {
            // The element into the state window; the trigger's and the
            // cleanup timer of the (merged) window; the mapping if it changed.
            let w = win((ms, me));
            self.writes.add(kg, key, win(s.ns));
            if self.processing || me - 1 > watermark {
                self.writes.register_timer(kg, key, me - 1, w);
            }
            self.writes
                .register_timer(kg, key, self.cleanup_time(me), w);
            if changed {
                self.persist(kg, key, h);
            }
        }
        if changed && s.timers == 2 && !had_trigger {
            self.push_timer(me - 1, s.id, key, false);
        }
    }

    const SHARED_EXTENTS: bool = false;

    #[inline(always)]
    fn foreign_record(&mut self, _ts: i64, _watermark: i64) {}

    #[inline]
    fn advance(&mut self, time: i64, _stats: &mut RunStats) {
        if time > self.fired_to {
            self.fired_to = time;
        }
    }

    fn snapshot(&mut self, _watermark: i64, snap: &mut Snapshot, stats: &mut RunStats) {
        self.sweep();
        stats.windows_purged = self.purged;
        // window-contents, merging-window-set, then the event and
        // processing window-timers.
        snap.with_states(4);
        let timer_queue = if self.processing { 3 } else { 2 };
        for kg in 0..snap.kg_bytes.len() {
            let (timers, mws) = (self.kg_timer_bytes[kg], self.kg_mws_bytes[kg]);
            snap.state_bytes[0][kg] = (self.kg_bytes[kg] - timers - mws) as u64;
            snap.state_entries[0][kg] = self.kg_entries[kg] as u64;
            snap.state_bytes[1][kg] = mws as u64;
            snap.state_entries[1][kg] = self.kg_keys[kg] as u64;
            snap.state_bytes[timer_queue][kg] = timers as u64;
            snap.state_entries[timer_queue][kg] = self.kg_timers[kg] as u64;
            snap.kg_bytes[kg] = self.kg_bytes[kg] as u64;
            snap.kg_entries[kg] = self.kg_entries[kg] as u64;
            snap.kg_timers[kg] = self.kg_timers[kg] as u64;
            snap.kg_live_keys[kg] = self.kg_keys[kg] as u64;
        }
        snap.live_windows = self.live_sessions;
        self.history.write(snap);
        self.writes.barrier(snap.checkpoint);
    }
}
