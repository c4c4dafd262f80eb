//! Keyed operators that are not windows: a `KeyedProcessFunction` with
//! declared value / list / map states, an optional event-time timer per
//! record, and state TTL (`kind = "process"`), and the deduplication
//! pattern (`kind = "dedup"`: one `ValueState<Boolean>` "seen", read on
//! every record, written on a key's first). Heap snapshot bytes, per key
//! group, as `HeapSnapshotStrategy` writes them (tests/ground-truth-ops/
//! FACTS.md):
//!
//! - value entry: namespace (1) + key + value (+ 8 with TTL);
//! - list entry: 1 + key + 4 + per element (record bytes, + 8 with TTL);
//! - map entry: 1 + key + 4 + per map entry (string key + 1 null flag +
//!   value, + 8 with TTL);
//! - timer: 8 + key + 1, one per distinct (key, timestamp);
//! - every registered state (the declared ones and the two
//!   `user-timers` queues) frames every key group with 6 bytes.
//!
//! TTL runs on processing time = timestamp + `processing_lag_ms`; a value
//! written at `s` is expired at `now` iff `s + ttl <= now`; a checkpoint
//! happens at the processing time of the last record before it, and with
//! `cleanupFullSnapshot` it leaves out expired values, list elements and
//! map entries (and a list or map left empty). How each access reads and
//! re-stamps follows `TtlValueState`, `TtlListState`, `TtlMapState`.
//!
//! Per key: a timestamp per value state, a small vector per list and per
//! map (kept, never shrunk: after a key's first records the per-record
//! path allocates only when a list or map outgrows its largest size so
//! far), and a count of pending timers; the timers themselves in one heap.
//! The run is sequential: the checkpoint's processing time is the last
//! record's, which one partition alone would not know.

use crate::flink::key_group::{binary_row_long_hash, key_group_of_hash};
use crate::flink::serializer::{
    DeclaredState, KEY_GROUP_ID_BYTES, KEYED_HEADER_BASE_BYTES, PER_STATE_FRAMING_BYTES,
    SQL_BIGINT_KEY_BYTES, SQL_KEYED_HEADER_BASE_BYTES, TTL_TIMESTAMP_BYTES, VOID_NAMESPACE_BYTES,
    declared_state_meta_bytes, sql_row_bytes, string_bytes,
};
use crate::scenario::{JoinUnique, KeyedOperator, SqlShape, StateKind, StateWrite, TtlCleanup};
use crate::sim::operator::{History, Operator};
use crate::sim::state_map::{Clean, StateMaps, void_namespace_hash};
use crate::sim::writes::{MapKey, StateWrites, Window};
use crate::sim::{OperatorSpec, RunStats, Snapshot};
use crate::workload::{KeyBytes, KeySpace, NO_SUB_KEY};
use std::borrow::Cow;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet};

/// The timer queues every `KeyedProcessOperator` registers in `open()`.
const TIMER_QUEUES: [&str; 2] = [
    "_timer_state/event_user-timers",
    "_timer_state/processing_user-timers",
];

/// A value state never written (or cleared).
const ABSENT: i64 = i64::MIN;

/// The heap snapshot's header and per-key-group framing of a keyed
/// operator that is not a window.
pub fn keyed_heap_format(op: &KeyedOperator) -> (u64, u64) {
    match op.kind {
        crate::scenario::KeyedKind::IntervalJoin { .. } => super::join::heap_format(),
        _ => heap_format(op),
    }
}

/// The heap snapshot's header and per-key-group framing of `op`.
pub fn heap_format(op: &KeyedOperator) -> (u64, u64) {
    if let Some(sql) = op.sql {
        return sql_heap_format(op, sql);
    }
    let mut header = KEYED_HEADER_BASE_BYTES;
    for s in &op.states {
        let ser = match s.kind {
            StateKind::Value { value_bytes: 1 } => DeclaredState::BooleanValue,
            StateKind::Value { .. } => DeclaredState::LongValue,
            StateKind::List { .. } => DeclaredState::RecordList,
            StateKind::Map { .. } => DeclaredState::StringLongMap,
        };
        header += declared_state_meta_bytes(ser, &s.name, s.ttl.is_some());
    }
    for q in TIMER_QUEUES {
        header += declared_state_meta_bytes(DeclaredState::VoidTimers, q, false);
    }
    let states = op.states.len() as u64 + TIMER_QUEUES.len() as u64;
    (
        header,
        KEY_GROUP_ID_BYTES + states * PER_STATE_FRAMING_BYTES,
    )
}

/// The heap snapshot's header and framing of a Flink SQL dedup or join:
/// its `RowData` key serializer; a dedup (a `KeyedProcessOperator`) also
/// registers the two `user-timers` queues, a join (`StreamingJoinOperator`)
/// none.
fn sql_heap_format(op: &KeyedOperator, sql: SqlShape) -> (u64, u64) {
    let mut header = SQL_KEYED_HEADER_BASE_BYTES;
    for (i, s) in op.states.iter().enumerate() {
        let ser = match sql {
            SqlShape::DedupFirst => DeclaredState::BooleanValue,
            SqlShape::DedupLast => DeclaredState::SqlDedupRow,
            SqlShape::Join { left, right } => match if i == 0 { left } else { right } {
                JoinUnique::None => DeclaredState::SqlJoinRowCountMap,
                JoinUnique::JoinKey => DeclaredState::SqlJoinRowValue,
                JoinUnique::Other => DeclaredState::SqlJoinRowRowMap,
            },
        };
        header += declared_state_meta_bytes(ser, &s.name, s.ttl.is_some());
    }
    let mut states = op.states.len() as u64;
    if !matches!(sql, SqlShape::Join { .. }) {
        for q in TIMER_QUEUES {
            header += declared_state_meta_bytes(DeclaredState::SqlTimers, q, false);
        }
        states += TIMER_QUEUES.len() as u64;
    }
    (
        header,
        KEY_GROUP_ID_BYTES + states * PER_STATE_FRAMING_BYTES,
    )
}

/// What a SQL state stores of a record of `rec` bytes: a row of `fields`
/// slots plus `extra` bytes (a map entry's null flag and count, or its
/// unique-key row and null flag).
#[derive(Clone, Copy)]
struct SqlRow {
    fields: u64,
    extra: u64,
}

impl SqlRow {
    #[inline(always)]
    fn of(self, rec: u64) -> u64 {
        sql_row_bytes(self.fields, rec) + self.extra
    }
}

/// How a SQL operator's state `i` sizes a record (`None`: as the record).
fn sql_row(sql: Option<SqlShape>, i: usize) -> Option<SqlRow> {
    let row = |fields, extra| Some(SqlRow { fields, extra });
    match sql? {
        SqlShape::DedupFirst => None,
        // (k, ts, payload, proctime)
        SqlShape::DedupLast => row(4, 0),
        SqlShape::Join { left, right } => match if i == 0 { left } else { right } {
            // MapSerializer: the row, a null flag, the Integer count
            JoinUnique::None => row(3, 1 + 4),
            JoinUnique::JoinKey => row(3, 0),
            // the unique key (k, ts) as a 2-slot row, a null flag, the row
            JoinUnique::Other => row(3, 4 + 8 + 16 + 1),
        },
    }
}

/// A state's TTL, at run time.
#[derive(Clone, Copy)]
struct Ttl {
    ttl: i64,
    on_read: bool,
    return_expired: bool,
    full_snapshot: bool,
}

/// Whether a value stamped `stamp` is expired at `now` (`TtlUtils.expired`).
#[inline(always)]
fn expired(ttl: Option<Ttl>, stamp: i64, now: i64) -> bool {
    ttl.is_some_and(|t| stamp.saturating_add(t.ttl) <= now)
}

enum Store {
    /// Last write time per key ([`ABSENT`]: none).
    Value {
        value_bytes: u64,
        first_only: bool,
        stamp: Vec<i64>,
        /// A SQL row value's bytes per key (empty: none).
        rows: Vec<u32>,
    },
    /// Per key: (write time, element bytes) in list order.
    List {
        cap: usize,
        lists: Vec<Vec<(i64, u32)>>,
        scratch: Vec<u32>,
    },
    /// Per key: (sub-key, write time).
    Map {
        prefix_len: u64,
        map_keys: u32,
        value_bytes: u64,
        maps: Vec<Vec<(u32, i64)>>,
    },
}

struct State {
    ttl: Option<Ttl>,
    store: Store,
    /// With incremental TTL cleanup: the state tables' structure, which
    /// decides what each access's cleanup visits.
    maps: Option<StateMaps>,
    /// The input whose records write it (a join's "left" and "right"
    /// lists: 0 and 1), if only one does.
    side: Option<u32>,
    /// Value bytes without the TTL timestamp (values and map values).
    raw: u32,
    /// A SQL state's row of the record (`None`: the record as it is).
    row: Option<SqlRow>,
    /// A SQL join's map state under incremental TTL cleanup (`TtlMapState`
    /// over `HeapMapState`): per key, whether the state table holds its
    /// map. An iteration that drops every expired entry leaves the map in
    /// the table, empty; only the cleanup removes a map (one whose entries
    /// are all expired). Empty: not such a state.
    held: Vec<bool>,
}

impl Store {
    /// Whether key `k` has an entry in the state table.
    #[inline(always)]
    fn present(&self, k: usize) -> bool {
        match self {
            Store::Value { stamp, .. } => stamp[k] != ABSENT,
            Store::List { lists, .. } => !lists[k].is_empty(),
            Store::Map { maps, .. } => !maps[k].is_empty(),
        }
    }

    /// `getUnexpiredOrNull` on key `k`'s entry at `now`, applied: what the
    /// incremental cleanup does with it.
    fn clean(&mut self, ttl: Option<Ttl>, k: usize, now: i64) -> Clean {
        fn filter<T>(
            v: &mut Vec<T>,
            stamp: impl Fn(&T) -> i64,
            ttl: Option<Ttl>,
            now: i64,
        ) -> Clean {
            let dead = v.iter().filter(|e| expired(ttl, stamp(e), now)).count();
            if dead == 0 {
                Clean::Keep
            } else if dead == v.len() {
                v.clear();
                Clean::Remove
            } else {
                v.retain(|e| !expired(ttl, stamp(e), now));
                Clean::Rewrite
            }
        }
        match self {
            Store::Value { stamp, .. } => {
                if expired(ttl, stamp[k], now) {
                    stamp[k] = ABSENT;
                    Clean::Remove
                } else {
                    Clean::Keep
                }
            }
            Store::List { lists, .. } => filter(&mut lists[k], |e| e.0, ttl, now),
            Store::Map { maps, .. } => filter(&mut maps[k], |e| e.1, ttl, now),
        }
    }
}

/// Where each key sits in the heap state tables: its key group, its
/// subtask and its state-map hash.
struct Placement<'a> {
    key_group: &'a [u16],
    subtask: &'a [u16],
    hashes: &'a [u32],
}

impl State {
    /// An access of the state by key `k` (`accessCallback`): the
    /// incremental cleanup's step over the subtask's state table.
    #[inline(always)]
    fn access(&mut self, at: &Placement<'_>, k: usize, now: i64) {
        if let Some(m) = self.maps.as_mut() {
            let ttl = self.ttl;
            let store = &mut self.store;
            let held = &mut self.held;
            let sub = at.subtask[at.key_group[k] as usize] as usize;
            m.cleanup(sub, at.hashes, at.key_group, |key| {
                let key = key as usize;
                match held.get_mut(key) {
                    None => store.clean(ttl, key, now),
                    // TtlMapState.getUnexpiredOrNull: an empty map is kept
                    // as it is; otherwise a new map of the unexpired
                    // entries (written back), or none (removed).
                    Some(h) => {
                        if !store.present(key) {
                            Clean::Keep
                        } else {
                            let c = store.clean(ttl, key, now);
                            if c == Clean::Remove {
                                *h = false;
                                Clean::Remove
                            } else {
                                Clean::Rewrite
                            }
                        }
                    }
                }
            });
        }
    }

    /// Whether key `k` has an entry in the state table.
    #[inline(always)]
    fn in_table(&self, k: usize) -> bool {
        match self.held.get(k) {
            Some(&h) => h,
            None => self.store.present(k),
        }
    }

    /// A state-map operation on key `k` (a rehash step).
    #[inline(always)]
    fn op(&mut self, at: &Placement<'_>, k: usize) {
        if let Some(m) = self.maps.as_mut() {
            m.op(at.key_group[k] as usize, at.hashes);
        }
    }

    /// A `put` of key `k`: its entry is created if it has none.
    #[inline(always)]
    fn put(&mut self, at: &Placement<'_>, k: usize) {
        if self.maps.is_some() {
            let present = self.in_table(k);
            let Some(m) = self.maps.as_mut() else { return };
            let kg = at.key_group[k] as usize;
            m.op(kg, at.hashes);
            if !present {
                m.insert(kg, k as u32, at.hashes);
                if let Some(h) = self.held.get_mut(k) {
                    *h = true;
                }
            }
        }
    }

    /// A `remove` of key `k`'s entry (present or not).
    #[inline(always)]
    fn remove(&mut self, at: &Placement<'_>, k: usize) {
        if self.maps.is_some() {
            let present = self.in_table(k);
            let Some(m) = self.maps.as_mut() else { return };
            let kg = at.key_group[k] as usize;
            m.op(kg, at.hashes);
            if present {
                m.unlink(kg, k as u32, at.hashes);
                if let Some(h) = self.held.get_mut(k) {
                    *h = false;
                }
            }
        }
    }
}

impl State {
    fn clear(&mut self, key: usize) {
        match &mut self.store {
            Store::Value { stamp, .. } => stamp[key] = ABSENT,
            Store::List { lists, .. } => lists[key].clear(),
            Store::Map { maps, .. } => maps[key].clear(),
        }
    }
}

/// A process or dedup operator over every key of the key space.
pub(super) struct Process<'k, W: StateWrites> {
    /// Each key's key group: the key space's, or (SQL) its key row's.
    key_group: Cow<'k, [u16]>,
    key_bytes: Cow<'k, KeyBytes>,
    lag: i64,
    states: Vec<State>,
    /// Records per key (drawing generated sub-keys), if a map needs them.
    seen: Vec<u32>,
    timer_delay: Option<i64>,
    clears: Vec<usize>,
    timers: BinaryHeap<Reverse<(i64, u32)>>,
    timer_set: HashSet<(u32, i64)>,
    pending: Vec<u32>,
    /// With incremental TTL cleanup: each key group's subtask and each
    /// key's state-map hash (empty otherwise).
    subtask: Vec<u16>,
    hashes: Vec<u32>,
    /// Processing time of the last record.
    now: i64,
    /// Keeps the loads of [`Operator::prefetch`].
    sink: u64,
    history: History,
    /// Hears every state write (RocksDB); [`crate::sim::writes::NoWrites`] for the heap.
    writes: W,
    /// A list's element sizes (RocksDB writes only).
    sizes: Vec<u32>,
    /// Whether the last record found no "seen" value (a dedup passes it on).
    emitted: bool,
    /// Whether the operator registers the two `user-timers` queues (a SQL
    /// join, Flink's `StreamingJoinOperator`, does not).
    timer_queues: bool,
    /// `processing_time = "checkpoint"`: the records since the last
    /// checkpoint (key, key group, timestamp, bytes, sub-key), applied at
    /// the next; the buffer is kept, so only its first phase allocates.
    deferred: Option<Vec<Deferred>>,
}

/// A record held until the next checkpoint: key, key group, timestamp,
/// bytes, sub-key.
type Deferred = (u32, u32, i64, u64, u32);

impl<'k, W: StateWrites> Process<'k, W> {
    pub(super) fn new(
        op: &KeyedOperator,
        keys: &'k KeySpace,
        spec: &OperatorSpec,
        writes: W,
    ) -> Self {
        let kgs = spec.max_parallelism as usize;
        let layout = crate::flink::KeyGroupLayout::new(spec.parallelism, spec.max_parallelism);
        let ranges: Vec<(usize, usize)> = (0..spec.parallelism)
            .map(|i| {
                let (a, b) = layout.range_of(i);
                (a as usize, (b + 1 - a) as usize)
            })
            .collect();
        let n = keys.len();
        let mut needs_seen = false;
        let mut incremental = false;
        let join = op.kind == crate::scenario::KeyedKind::Join;
        let states = op
            .states
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let ttl = s.ttl.map(|t| Ttl {
                    ttl: t.ttl_ms,
                    on_read: t.update_on_read,
                    return_expired: t.return_expired,
                    full_snapshot: t.cleanup == TtlCleanup::FullSnapshot,
                });
                // Incremental cleanup walks the heap's state tables; RocksDB
                // (a run that hears writes) has none.
                let raw = match &s.kind {
                    StateKind::Value { value_bytes } | StateKind::Map { value_bytes, .. } => {
                        *value_bytes
                    }
                    StateKind::List { .. } => 0,
                };
                let maps = match s.ttl.map(|t| t.cleanup) {
                    Some(TtlCleanup::Incremental { size }) if !W::ON => {
                        incremental = true;
                        Some(StateMaps::new(n, kgs, ranges.clone(), size))
                    }
                    _ => None,
                };
                let ts_bytes = if ttl.is_some() {
                    TTL_TIMESTAMP_BYTES
                } else {
                    0
                };
                let store = match &s.kind {
                    StateKind::Value { value_bytes } => Store::Value {
                        value_bytes: *value_bytes as u64 + ts_bytes,
                        first_only: s.write == StateWrite::FirstPerKey,
                        stamp: vec![ABSENT; n],
                        rows: if sql_row(op.sql, i).is_some() {
                            vec![0; n]
                        } else {
                            Vec::new()
                        },
                    },
                    StateKind::List { max_elements } => {
                        let cap = max_elements.unwrap_or(0) as usize;
                        Store::List {
                            cap,
                            lists: (0..n).map(|_| Vec::with_capacity(cap.min(64))).collect(),
                            scratch: Vec::with_capacity(cap.min(1 << 16)),
                        }
                    }
                    StateKind::Map {
                        prefix,
                        map_keys,
                        value_bytes,
                    } => {
                        needs_seen = true;
                        Store::Map {
                            prefix_len: prefix.len() as u64,
                            map_keys: *map_keys,
                            value_bytes: *value_bytes as u64 + ts_bytes,
                            maps: (0..n).map(|_| Vec::new()).collect(),
                        }
                    }
                };
                // A SQL join's side without a unique key, or with one
                // other than the join key, is a MapState.
                let sql_map = matches!(store, Store::List { .. })
                    && matches!(op.sql, Some(SqlShape::Join { .. }));
                State {
                    ttl,
                    store,
                    held: if sql_map && maps.is_some() {
                        vec![false; n]
                    } else {
                        Vec::new()
                    },
                    maps,
                    side: join.then_some(i as u32),
                    raw,
                    row: sql_row(op.sql, i),
                }
            })
            .collect();
        // A SQL key is a BinaryRowData of the BIGINT key: its own hash,
        // key groups and size.
        let sql_hashes: Vec<i32> = if op.sql.is_some() {
            (0..n)
                .map(|k| binary_row_long_hash(keys.values.get(k).copied().unwrap_or(k as i64)))
                .collect()
        } else {
            Vec::new()
        };
        let (key_group, key_bytes) = if op.sql.is_some() {
            (
                Cow::Owned(
                    sql_hashes
                        .iter()
                        .map(|&h| key_group_of_hash(h, spec.max_parallelism) as u16)
                        .collect(),
                ),
                Cow::Owned(KeyBytes::Fixed(SQL_BIGINT_KEY_BYTES as u32)),
            )
        } else {
            (
                Cow::Borrowed(&keys.key_group[..]),
                Cow::Borrowed(&keys.key_bytes),
            )
        };
        let (subtask, hashes) = if incremental {
            (
                (0..kgs as u32)
                    .map(|g| layout.subtask_of(g) as u16)
                    .collect(),
                (0..n as u32)
                    .map(|k| {
                        void_namespace_hash(match sql_hashes.get(k as usize) {
                            Some(&h) => h,
                            None => keys.hash_code(k, spec.key_type),
                        })
                    })
                    .collect(),
            )
        } else {
            (Vec::new(), Vec::new())
        };
        Process {
            key_group,
            key_bytes,
            lag: op.processing_lag_ms,
            states,
            seen: if needs_seen { vec![0; n] } else { Vec::new() },
            timer_delay: op.timer.as_ref().map(|t| t.delay_ms),
            clears: op.timer.as_ref().map_or(Vec::new(), |t| t.clears.clone()),
            timers: BinaryHeap::new(),
            timer_set: HashSet::new(),
            pending: if op.timer.is_some() {
                vec![0; n]
            } else {
                Vec::new()
            },
            subtask,
            hashes,
            now: i64::MIN,
            sink: 0,
            history: History::new(kgs),
            writes,
            sizes: Vec::new(),
            emitted: true,
            timer_queues: !matches!(op.sql, Some(SqlShape::Join { .. })),
            deferred: op.processing_at_checkpoint.then(Vec::new),
        }
    }
}

/// One record's accesses of a state with incremental TTL cleanup, in the
/// order the process function makes them (`value()` then `update()`;
/// `get()` then `add()` or `clear()` + `addAll()`; `put()`), each access
/// first running the cleanup step, each state-table operation a rehash
/// step (`TtlValueState`, `TtlListState`, `TtlMapState`, `HeapMapState`).
#[inline(never)]
fn element_incremental(
    st: &mut State,
    at: &Placement<'_>,
    (key, nth): (u32, u32),
    now: i64,
    bytes: u64,
    sub_key: u32,
) -> bool {
    let k = key as usize;
    let ttl = st.ttl;
    let (on_read, ret) = ttl.map_or((false, false), |t| (t.on_read, t.return_expired));
    // value() / get(): the access, then the read.
    st.access(at, k, now);
    st.op(at, k);
    match &mut st.store {
        Store::Value {
            first_only, stamp, ..
        } => {
            let first_only = *first_only;
            let s = stamp[k];
            let mut null = s == ABSENT;
            if s != ABSENT {
                if expired(ttl, s, now) {
                    // Cleared; returned anyway with ReturnExpiredIfNotCleanedUp.
                    st.remove(at, k);
                    st.clear(k);
                    null = !ret;
                } else if on_read {
                    st.op(at, k);
                    if let Store::Value { stamp, .. } = &mut st.store {
                        stamp[k] = now;
                    }
                }
            }
            if !first_only || null {
                // update(): an access and a put.
                st.access(at, k, now);
                st.put(at, k);
                if let Store::Value { stamp, rows, .. } = &mut st.store {
                    stamp[k] = now;
                    if let Some(r) = rows.get_mut(k) {
                        *r = bytes as u32;
                    }
                }
            }
            return null;
        }
        Store::List {
            cap,
            lists,
            scratch,
        } => {
            let cap = *cap;
            if cap == 0 && !st.held.is_empty() {
                // A SQL join's map (`addRecord`): `get(row)` (the access
                // and the table's get above; a new row is absent), then
                // `put(row, 1)`: an access, the table's get and, when the
                // key has no map, a put of a new one.
                st.access(at, k, now);
                st.put(at, k);
                if let Store::List { lists, .. } = &mut st.store {
                    lists[k].push((now, bytes as u32));
                }
                return true;
            }
            if cap == 0 {
                // add() alone: the access and the table's get above, no
                // read; `HeapListState.add` puts a new list when there is
                // none (a second state-map operation).
                let present = !lists[k].is_empty();
                lists[k].push((now, bytes as u32));
                if !present && let Some(m) = st.maps.as_mut() {
                    let kg = at.key_group[k] as usize;
                    m.op(kg, at.hashes);
                    m.insert(kg, k as u32, at.hashes);
                }
                return true;
            }
            let mut unexpired = 0usize;
            scratch.clear();
            for &(s, b) in lists[k].iter() {
                let live = !expired(ttl, s, now);
                unexpired += live as usize;
                if live || ret {
                    scratch.push(b);
                }
            }
            let full = scratch.len() >= cap;
            if unexpired == 0 {
                // The iteration found no unexpired element: clear().
                st.remove(at, k);
                st.clear(k);
            } else if on_read {
                // OnReadAndWrite: get() rewrites the unexpired ones (a put).
                st.op(at, k);
                if let Store::List { lists, .. } = &mut st.store {
                    let l = &mut lists[k];
                    l.retain(|&(s, _)| !expired(ttl, s, now));
                    for e in l.iter_mut() {
                        e.0 = now;
                    }
                }
            }
            if full {
                // clear() (no access), then addAll(): an access and a put.
                st.remove(at, k);
                st.clear(k);
                st.access(at, k, now);
                st.put(at, k);
                // The cleanup leaves `scratch` (this key's read) alone.
                if let Store::List { lists, scratch, .. } = &mut st.store {
                    for &b in &scratch[scratch.len() + 1 - cap..] {
                        lists[k].push((now, b));
                    }
                    lists[k].push((now, bytes as u32));
                }
            } else {
                // add(): an access and a put.
                st.access(at, k, now);
                st.put(at, k);
                if let Store::List { lists, .. } = &mut st.store {
                    lists[k].push((now, bytes as u32));
                }
            }
        }
        Store::Map { map_keys, .. } => {
            // put(): HeapMapState reads the key's map and puts a new one
            // when there is none.
            let sub = if sub_key == NO_SUB_KEY {
                drawn_sub_key(key, nth, *map_keys)
            } else {
                sub_key
            };
            if !st.store.present(k) {
                st.put(at, k);
            }
            if let Store::Map { maps, .. } = &mut st.store {
                let m = &mut maps[k];
                match m.iter_mut().find(|e| e.0 == sub) {
                    Some(e) => e.1 = now,
                    None => m.push((sub, now)),
                }
            }
        }
    }
    true
}

/// A join's read of the other side's list under TTL: `get()` and the
/// whole iteration (the join counts the matches), as `TtlListState` does
/// it. The access runs the incremental cleanup's step; OnReadAndWrite
/// rewrites the unexpired elements with the current time (expired ones
/// dropped); an iteration that finds no unexpired element clears the list
/// (`IteratorWithCleanup`; on RocksDB a DELETE, whether the key had a list
/// or not).
#[inline(never)]
fn join_read<W: StateWrites>(
    st: &mut State,
    at: &Placement<'_>,
    (kg, key, i): (usize, u32, usize),
    now: i64,
    writes: &mut W,
    sizes: &mut Vec<u32>,
) {
    let k = key as usize;
    let ttl = st.ttl;
    st.access(at, k, now);
    st.op(at, k);
    let Store::List { lists, .. } = &mut st.store else {
        return;
    };
    let l = &mut lists[k];
    if !st.held.is_empty() {
        // A SQL join's map (`getRecords`: one `entries()` iteration): the
        // iterator removes each expired entry it meets from the key's map,
        // which stays in the state table, empty or not.
        l.retain(|&(s, _)| !expired(ttl, s, now));
        return;
    }
    let unexpired = l.iter().filter(|e| !expired(ttl, e.0, now)).count();
    if unexpired == 0 {
        if W::ON {
            writes.state_delete(kg, key, i, None);
        }
        st.remove(at, k);
        st.clear(k);
    } else if ttl.is_some_and(|t| t.on_read) {
        l.retain(|&(s, _)| !expired(ttl, s, now));
        for e in l.iter_mut() {
            e.0 = now;
        }
        if W::ON {
            sizes.clear();
            sizes.extend(l.iter().map(|e| e.1));
            writes.list_replace(kg, key, i, Some(now), sizes);
        }
        st.op(at, k);
    }
}

/// The sub-key of a generated record: uniform over `0..map_keys`, from
/// the key and its record count (splitmix64).
#[inline(always)]
fn drawn_sub_key(key: u32, nth: u32, map_keys: u32) -> u32 {
    let mut z = ((key as u64) << 32 | nth as u64).wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (((z >> 32) * map_keys as u64) >> 32) as u32
}

/// Decimal digits of `v`.
#[inline(always)]
fn digits(mut v: u32) -> u64 {
    let mut n = 1;
    while v >= 10 {
        v /= 10;
        n += 1;
    }
    n
}

impl<W: StateWrites> Process<'_, W> {
    /// With `processing_time = "checkpoint"`: applies the records held
    /// since the last checkpoint, all at this checkpoint's processing time
    /// (the latest timestamp + the lag).
    fn flush_deferred(&mut self) {
        let Some(mut d) = self.deferred.take() else {
            return;
        };
        if let Some(max) = d.iter().map(|r| r.2).max() {
            let now = max
                .max(self.now.saturating_sub(self.lag))
                .saturating_add(self.lag);
            for &(key, kg, ts, bytes, sub_key) in &d {
                self.apply(key, kg as usize, ts, bytes, sub_key, now);
            }
        }
        d.clear();
        self.deferred = Some(d);
    }

    /// One record's state accesses at processing time `now`.
    #[inline(always)]
    fn apply(&mut self, key: u32, kg: usize, ts: i64, bytes: u64, sub_key: u32, now: i64) {
        self.now = now;
        self.writes.now(now);
        let k = key as usize;
        let nth = match self.seen.get_mut(k) {
            Some(c) => {
                *c = c.wrapping_add(1);
                *c
            }
            None => 0,
        };
        let at = Placement {
            key_group: &self.key_group,
            subtask: &self.subtask,
            hashes: &self.hashes,
        };
        for (i, st) in self.states.iter_mut().enumerate() {
            // A join's record writes its own side's list (`sub_key` is its
            // input).
            if st.side.is_some_and(|s| s != sub_key) {
                // ... and reads the other side's (with TTL, a read changes
                // the list).
                if st.ttl.is_some() {
                    join_read(
                        st,
                        &at,
                        (kg, key, i),
                        now,
                        &mut self.writes,
                        &mut self.sizes,
                    );
                }
                continue;
            }
            let stamp = st.ttl.map(|_| now);
            let raw = st.raw;
            // A SQL state stores the record's row.
            let bytes = st.row.map_or(bytes, |r| r.of(bytes));
            if st.maps.is_some() {
                let null = element_incremental(st, &at, (key, nth), now, bytes, sub_key);
                if matches!(
                    st.store,
                    Store::Value {
                        first_only: true,
                        ..
                    }
                ) {
                    self.emitted = null;
                }
                continue;
            }
            let ttl = st.ttl;
            match &mut st.store {
                Store::Value {
                    first_only,
                    stamp,
                    rows,
                    ..
                } => {
                    let s = stamp[k];
                    if *first_only {
                        // value() returns nothing: absent, or expired and
                        // not returned (NeverReturnExpired).
                        self.emitted = s == ABSENT
                            || (expired(ttl, s, now) && !ttl.is_some_and(|t| t.return_expired));
                    }
                    if !*first_only || s == ABSENT {
                        stamp[k] = now;
                        if let Some(r) = rows.get_mut(k) {
                            *r = bytes as u32;
                        }
                        if W::ON {
                            self.writes.value_put(kg, key, i, ttl.map(|_| now), raw);
                        }
                    } else if let Some(t) = ttl {
                        // TtlValueState.value(): an expired value is
                        // cleared (then written again when it reads as
                        // null; ReturnExpiredIfNotCleanedUp returns it
                        // and writes nothing); OnReadAndWrite re-stamps
                        // what it returns.
                        if expired(ttl, s, now) {
                            stamp[k] = if t.return_expired { ABSENT } else { now };
                        } else if t.on_read {
                            stamp[k] = now;
                        }
                        if W::ON && stamp[k] != s {
                            if stamp[k] == ABSENT {
                                self.writes.state_delete(kg, key, i, None);
                            } else {
                                self.writes.value_put(kg, key, i, Some(now), raw);
                            }
                        }
                    }
                }
                Store::List {
                    cap,
                    lists,
                    scratch,
                } => {
                    let l = &mut lists[k];
                    if *cap == 0 {
                        // add() alone: no read.
                        l.push((now, bytes as u32));
                        if W::ON {
                            self.writes.list_add(kg, key, i, stamp, ts, bytes as u32);
                        }
                        continue;
                    }
                    // get(): the unexpired elements (all of them with
                    // ReturnExpiredIfNotCleanedUp).
                    let ret = ttl.is_some_and(|t| t.return_expired);
                    let mut unexpired = 0usize;
                    scratch.clear();
                    for &(s, b) in l.iter() {
                        let live = !expired(ttl, s, now);
                        unexpired += live as usize;
                        if live || ret {
                            scratch.push(b);
                        }
                    }
                    // What RocksDB hears: the whole list rewritten (clear +
                    // addAll, or get()'s re-stamping), or the element merged
                    // (after a DELETE when the read found nothing alive).
                    let mut rewrite = false;
                    if scratch.len() >= *cap {
                        // Full: clear, re-add the newest cap - 1 and this one.
                        l.clear();
                        for &b in &scratch[scratch.len() + 1 - *cap..] {
                            l.push((now, b));
                        }
                        rewrite = true;
                    } else if unexpired == 0 {
                        // The iteration found no unexpired element: cleared.
                        if W::ON && !l.is_empty() {
                            self.writes.state_delete(kg, key, i, None);
                        }
                        l.clear();
                    } else if ttl.is_some_and(|t| t.on_read) {
                        // OnReadAndWrite: get() rewrites the unexpired ones.
                        l.retain(|&(s, _)| !expired(ttl, s, now));
                        for e in l.iter_mut() {
                            e.0 = now;
                        }
                        rewrite = true;
                    }
                    l.push((now, bytes as u32));
                    if W::ON {
                        if rewrite {
                            self.sizes.clear();
                            self.sizes.extend(l.iter().map(|e| e.1));
                            self.writes.list_replace(kg, key, i, stamp, &self.sizes);
                        } else {
                            self.writes.list_add(kg, key, i, stamp, ts, bytes as u32);
                        }
                    }
                }
                Store::Map {
                    map_keys,
                    maps,
                    prefix_len,
                    ..
                } => {
                    let sub = if sub_key == NO_SUB_KEY {
                        drawn_sub_key(key, nth, *map_keys)
                    } else {
                        sub_key
                    };
                    if W::ON {
                        let uk = MapKey::Str {
                            prefix_len: *prefix_len as u32,
                            n: sub,
                        };
                        self.writes.map_put(kg, key, i, uk, stamp, raw);
                    }
                    let m = &mut maps[k];
                    match m.iter_mut().find(|e| e.0 == sub) {
                        Some(e) => e.1 = now,
                        None => m.push((sub, now)),
                    }
                }
            }
        }
        if let Some(d) = self.timer_delay {
            let at = ts.saturating_add(d);
            if W::ON {
                let w = Window { start: 0, end: 0 };
                self.writes.register_timer(kg, key, at, w);
            }
            if self.timer_set.insert((key, at)) {
                self.timers.push(Reverse((at, key)));
                self.pending[k] += 1;
            }
        }
    }
}

impl<W: StateWrites> Operator for Process<'_, W> {
    #[inline]
    fn key_groups(&mut self, keys: &[u32], kgs: &mut [u16]) {
        for (k, g) in keys.iter().zip(kgs.iter_mut()) {
            *g = self.key_group[*k as usize];
        }
        self.prefetch(keys);
    }

    /// Loads the keys' lists and maps ahead (a cache miss each over a
    /// large key space): independent loads here overlap, in `element` they
    /// would stall one by one.
    #[inline]
    fn prefetch(&mut self, keys: &[u32]) {
        let mut sink = 0u64;
        for st in &self.states {
            match &st.store {
                Store::Value { stamp, .. } => {
                    for &k in keys {
                        sink ^= stamp[k as usize] as u64;
                    }
                }
                Store::List { lists, .. } => {
                    for &k in keys {
                        let l = &lists[k as usize];
                        sink ^= l.first().map_or(0, |e| e.1 as u64);
                    }
                }
                Store::Map { maps, .. } => {
                    for &k in keys {
                        let m = &maps[k as usize];
                        sink ^= m.first().map_or(0, |e| e.0 as u64);
                    }
                }
            }
        }
        self.sink = self.sink.wrapping_add(sink);
    }

    #[inline(always)]
    fn element(
        &mut self,
        key: u32,
        kg: usize,
        ts: i64,
        bytes: u64,
        sub_key: u32,
        _watermark: i64,
        _stats: &mut RunStats,
    ) {
        self.history.record(kg);
        if let Some(d) = self.deferred.as_mut() {
            // Processed at the next checkpoint's time (`snapshot`).
            d.push((key, kg as u32, ts, bytes, sub_key));
            return;
        }
        self.apply(key, kg, ts, bytes, sub_key, ts.saturating_add(self.lag));
    }

    #[inline(always)]
    fn advance(&mut self, time: i64, _stats: &mut RunStats) {
        while let Some(&Reverse((at, key))) = self.timers.peek() {
            if at > time {
                break;
            }
            self.timers.pop();
            self.timer_set.remove(&(key, at));
            self.pending[key as usize] -= 1;
            let fired = at;
            let at = Placement {
                key_group: &self.key_group,
                subtask: &self.subtask,
                hashes: &self.hashes,
            };
            let kg = self.key_group[key as usize] as usize;
            if W::ON {
                let w = Window { start: 0, end: 0 };
                self.writes.poll_timer(kg, key, fired, w);
            }
            for &i in &self.clears {
                let st = &mut self.states[i];
                let k = key as usize;
                if W::ON {
                    match &st.store {
                        Store::Map {
                            maps, prefix_len, ..
                        } => {
                            // MapState.clear: a DELETE per entry.
                            for &(sub, _) in &maps[k] {
                                let uk = MapKey::Str {
                                    prefix_len: *prefix_len as u32,
                                    n: sub,
                                };
                                self.writes.state_delete(kg, key, i, Some(uk));
                            }
                        }
                        _ => self.writes.state_delete(kg, key, i, None),
                    }
                }
                // clear(): a remove in the state table (a value state's
                // clear() is an access too: AbstractTtlState.clear).
                st.remove(&at, k);
                st.clear(k);
                if matches!(st.store, Store::Value { .. }) {
                    st.access(&at, k, self.now);
                }
            }
        }
    }

    fn snapshot(&mut self, watermark: i64, snap: &mut Snapshot, stats: &mut RunStats) {
        self.flush_deferred();
        self.advance(watermark, stats);
        let now = self.now;
        // cleanupFullSnapshot leaves out what is expired at the checkpoint.
        let kept = |ttl: Option<Ttl>, s: i64| {
            !(ttl.is_some_and(|t| t.full_snapshot) && expired(ttl, s, now))
        };
        // Declared states, then the event and processing timer queues.
        let declared = self.states.len();
        snap.with_states(declared + if self.timer_queues { 2 } else { 0 });
        for k in 0..self.key_group.len() {
            let kg = self.key_group[k] as usize;
            let key_bytes = self.key_bytes.get(k as u32);
            let entry_base = VOID_NAMESPACE_BYTES + key_bytes;
            let mut bytes = 0u64;
            let mut entries = 0u64;
            for (si, st) in self.states.iter().enumerate() {
                let (before_bytes, before_entries) = (bytes, entries);
                let ttl = st.ttl;
                let ts_bytes = if ttl.is_some() {
                    TTL_TIMESTAMP_BYTES
                } else {
                    0
                };
                match &st.store {
                    Store::Value {
                        value_bytes,
                        stamp,
                        rows,
                        ..
                    } => {
                        let s = stamp[k];
                        if s != ABSENT && kept(ttl, s) {
                            bytes +=
                                entry_base + value_bytes + rows.get(k).map_or(0, |&r| r as u64);
                            entries += 1;
                        }
                    }
                    Store::List { lists, .. } => {
                        let mut n = 0u64;
                        let mut b = 0u64;
                        for &(s, e) in &lists[k] {
                            if kept(ttl, s) {
                                n += 1;
                                b += e as u64 + ts_bytes;
                            }
                        }
                        // A SQL join's map left empty by an iteration
                        // is an entry: the key and an empty map.
                        if n > 0 || st.held.get(k) == Some(&true) {
                            bytes += entry_base + 4 + b;
                            entries += 1;
                        }
                    }
                    Store::Map {
                        prefix_len,
                        value_bytes,
                        maps,
                        ..
                    } => {
                        let mut n = 0u64;
                        let mut b = 0u64;
                        for &(sub, s) in &maps[k] {
                            if kept(ttl, s) {
                                n += 1;
                                b += string_bytes(prefix_len + digits(sub)) + 1 + value_bytes;
                            }
                        }
                        if n > 0 {
                            bytes += entry_base + 4 + b;
                            entries += 1;
                        }
                    }
                }
                snap.state_bytes[si][kg] += bytes - before_bytes;
                snap.state_entries[si][kg] += entries - before_entries;
            }
            let timers = self.pending.get(k).copied().unwrap_or(0) as u64;
            let timer_bytes = timers * (8 + key_bytes + VOID_NAMESPACE_BYTES);
            bytes += timer_bytes;
            // The per-record timer is an event-time one.
            if self.timer_queues {
                snap.state_bytes[declared][kg] += timer_bytes;
                snap.state_entries[declared][kg] += timers;
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

    #[inline(always)]
    fn emitted(&self) -> bool {
        self.emitted
    }

    /// The checkpoint's processing time is the last record's of the whole
    /// input (the source's phase), whichever operator read it.
    #[inline(always)]
    fn passed_over(&mut self, ts: i64) {
        let now = ts.saturating_add(self.lag);
        self.now = now;
        self.writes.now(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{KeyedKind, KeyedState, Ttl as ScTtl};

    fn op(states: Vec<KeyedState>) -> KeyedOperator {
        KeyedOperator {
            kind: KeyedKind::Process,
            states,
            timer: None,
            processing_lag_ms: 0,
            processing_at_checkpoint: false,
            sql: None,
        }
    }

    #[test]
    fn headers_as_measured() {
        let v = |name: &str, vb: u32| KeyedState {
            name: name.into(),
            kind: StateKind::Value { value_bytes: vb },
            write: StateWrite::EveryRecord,
            ttl: None,
        };
        let list = KeyedState {
            name: "last".into(),
            kind: StateKind::List {
                max_elements: Some(3),
            },
            write: StateWrite::EveryRecord,
            ttl: None,
        };
        let map = KeyedState {
            name: "events".into(),
            kind: StateKind::Map {
                prefix: "e".into(),
                map_keys: 10,
                value_bytes: 8,
            },
            write: StateWrite::EveryRecord,
            ttl: None,
        };
        assert_eq!(heap_format(&op(vec![v("count", 8)])), (1040, 4 + 18));
        assert_eq!(heap_format(&op(vec![v("seen", 1)])).0, 1045);
        let all = vec![v("count", 8), list, map];
        assert_eq!(heap_format(&op(all.clone())), (2157, 4 + 30));
        let ttl = Some(ScTtl {
            ttl_ms: 5000,
            update_on_read: false,
            return_expired: false,
            cleanup: TtlCleanup::None,
            compaction_filter: false,
        });
        let with_ttl = all.into_iter().map(|s| KeyedState { ttl, ..s }).collect();
        assert_eq!(heap_format(&op(with_ttl)).0, 2709);
    }

    #[test]
    fn drawn_sub_keys_stay_in_range() {
        for k in 0..100 {
            for n in 0..100 {
                assert!(drawn_sub_key(k, n, 7) < 7);
            }
        }
    }
}
