//! The discrete-event simulation of one keyed operator (a window; a
//! process, dedup or regular join operator with declared state,
//! `process.rs`, its TTL's incremental cleanup walking the heap state
//! tables of `state_map.rs`; an interval join, `join.rs`): records in
//! order, watermarks, timers, window firing and purging, checkpoint
//! barriers; at every barrier, the per-key-group contents of the operator's
//! keyed state, in the bytes Flink's heap snapshot writes.
//!
//! Time is integer milliseconds. Events at one instant are ordered as Flink
//! orders them on a single input channel: a record, then the watermark that
//! follows it, then (at a barrier) the snapshot. Processing-time timers fire
//! before the first record whose processing time is past them.
//!
//! The per-record path touches a key bitmap and per-key-group counters; it
//! neither allocates nor dispatches dynamically (engines are generic over
//! the window function's value layout).

pub mod analytic;
mod join;
mod operator;
pub mod parallel;
mod process;
pub mod sampled;
mod state_map;
pub mod timeline;
mod window;
pub mod writes;

pub use parallel::{partition, simulate_partitioned};
pub use process::keyed_heap_format;
pub use timeline::Barriers;
pub use window::value_layout;

use operator::{Operator, OperatorUser, with_operator};

use crate::scenario::{CheckpointTrigger, Scenario, WindowOperator};
use crate::workload::{Batch, Clock, Input, KeySpace};
use timeline::{Head, TimeSink, Timeline};

/// What one checkpoint saw, key group by key group (before the heap
/// format's framing and header, which `backend` adds).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// Checkpoint number, from 1.
    pub checkpoint: u64,
    /// Records before the barrier.
    pub records: u64,
    /// Event time (max timestamp seen) or processing time at the barrier.
    pub time_ms: i64,
    /// Last watermark before the barrier (event time), if any.
    pub watermark_ms: Option<i64>,
    /// Bytes of state entries per key group: window contents, timers,
    /// merging-window sets.
    pub kg_bytes: Vec<u64>,
    /// Live (key, window) entries of `window-contents` per key group.
    pub kg_entries: Vec<u64>,
    /// Live timers per key group.
    pub kg_timers: Vec<u64>,
    /// Keys with any state, per key group.
    pub kg_live_keys: Vec<u64>,
    /// Live windows (distinct window extents) in the operator.
    pub live_windows: u64,
    /// Records routed to each key group since the start (cumulative).
    pub kg_records: Vec<u64>,
    /// Entries purged per key group since the start (cumulative).
    pub kg_purged_entries: Vec<u64>,
    /// Heap-format bytes (entries and their timers) purged per key group
    /// since the start (cumulative).
    pub kg_purged_bytes: Vec<u64>,
    /// Bytes of each registered state's entries per key group,
    /// `[state][key group]`, states in [`state_names`] order (before the
    /// per-state framing; their sum over states is `kg_bytes`). Empty when
    /// the run does not tell states apart (the analytic mode).
    pub state_bytes: Vec<Vec<u64>>,
    /// Entries of each registered state per key group (a key's value,
    /// list or map; a (key, window) entry; a timer), as `state_bytes`.
    pub state_entries: Vec<Vec<u64>>,
}

impl Snapshot {
    /// Empties the snapshot for the barrier `head` over `key_groups`.
    pub(crate) fn start(&mut self, key_groups: usize, head: &Head) {
        self.reset(key_groups);
        self.checkpoint = head.checkpoint;
        self.records = head.records;
        self.time_ms = head.time_ms;
        self.watermark_ms = head.watermark_ms;
    }

    fn reset(&mut self, key_groups: usize) {
        for v in self.counters_mut() {
            v.clear();
            v.resize(key_groups, 0);
        }
        for v in self.state_bytes.iter_mut().chain(&mut self.state_entries) {
            v.clear();
            v.resize(key_groups, 0);
        }
        self.live_windows = 0;
    }

    /// Makes room for `states` registered states (zeroed over the key
    /// groups of `kg_bytes`); called by an engine at the barrier.
    pub(crate) fn with_states(&mut self, states: usize) {
        let kgs = self.kg_bytes.len();
        for v in [&mut self.state_bytes, &mut self.state_entries] {
            v.resize_with(states, Vec::new);
            for s in v.iter_mut() {
                s.resize(kgs, 0);
            }
        }
    }

    /// Every per-key-group counter, in field order.
    pub fn counters(&self) -> [&Vec<u64>; 7] {
        [
            &self.kg_bytes,
            &self.kg_entries,
            &self.kg_timers,
            &self.kg_live_keys,
            &self.kg_records,
            &self.kg_purged_entries,
            &self.kg_purged_bytes,
        ]
    }

    /// Every per-key-group counter, in field order, to change.
    pub fn counters_mut(&mut self) -> [&mut Vec<u64>; 7] {
        [
            &mut self.kg_bytes,
            &mut self.kg_entries,
            &mut self.kg_timers,
            &mut self.kg_live_keys,
            &mut self.kg_records,
            &mut self.kg_purged_entries,
            &mut self.kg_purged_bytes,
        ]
    }

    /// Adds `other`'s counters, key group by key group, and its live windows.
    pub fn add(&mut self, other: &Snapshot) {
        for (a, b) in self.counters_mut().into_iter().zip(other.counters()) {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
        }
        if other.state_bytes.len() > self.state_bytes.len() {
            self.with_states(other.state_bytes.len());
        }
        for (a, b) in self
            .state_bytes
            .iter_mut()
            .zip(&other.state_bytes)
            .chain(self.state_entries.iter_mut().zip(&other.state_entries))
        {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
        }
        self.live_windows += other.live_windows;
    }
}

/// The registered keyed states of `op`, as Flink names them, in the order
/// of [`Snapshot::state_bytes`]: a process, dedup or join operator's
/// declared states then its two `user-timers` queues (a SQL join none); an interval join's
/// buffers and `CLEANUP_TIMER` queues; a window's `window-contents`, a
/// session's `merging-window-set`, and its `window-timers` queues.
pub fn state_names(op: &WindowOperator) -> Vec<String> {
    let timers = |name: &str| {
        [
            format!("_timer_state/event_{name}"),
            format!("_timer_state/processing_{name}"),
        ]
    };
    match &op.keyed {
        Some(k) => match k.kind {
            crate::scenario::KeyedKind::IntervalJoin { .. } => {
                let mut v = vec!["LEFT_BUFFER".to_string(), "RIGHT_BUFFER".to_string()];
                v.extend(timers("CLEANUP_TIMER"));
                v
            }
            _ => {
                let mut v: Vec<String> = k.states.iter().map(|s| s.name.clone()).collect();
                // A SQL join (`StreamingJoinOperator`) registers no timers.
                if !matches!(k.sql, Some(crate::scenario::SqlShape::Join { .. })) {
                    v.extend(timers("user-timers"));
                }
                v
            }
        },
        None => {
            let mut v = vec!["window-contents".to_string()];
            if matches!(op.assigner, crate::scenario::Assigner::Session { .. }) {
                v.push("merging-window-set".to_string());
            }
            v.extend(timers("window-timers"));
            v
        }
    }
}

/// Counts kept over the whole run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunStats {
    /// Records played.
    pub records: u64,
    /// Element-window assignments dropped as late.
    pub dropped_late: u64,
    /// Windows fired and purged.
    pub windows_purged: u64,
}

/// Static description of one operator's run.
#[derive(Debug, Clone)]
pub struct OperatorSpec {
    /// The operator.
    pub op: WindowOperator,
    /// Key groups of the job.
    pub max_parallelism: u32,
    /// Out-of-orderness of the watermark generator.
    pub out_of_orderness_ms: i64,
    /// Watermark after every this many records.
    pub watermark_every: u64,
    /// Source clock.
    pub clock: Clock,
    /// Checkpoint trigger.
    pub trigger: CheckpointTrigger,
    /// The operator's parallelism (its subtasks' key-group ranges).
    pub parallelism: u32,
    /// Java type of the key (its `hashCode`, which the heap state maps
    /// hash).
    pub key_type: crate::scenario::KeyType,
}

impl OperatorSpec {
    /// The spec of operator `i` of a scenario.
    pub fn new(s: &Scenario, i: usize) -> Self {
        OperatorSpec {
            op: s.operators[i].clone(),
            max_parallelism: s.max_parallelism,
            out_of_orderness_ms: s.source.out_of_orderness_ms as i64,
            watermark_every: s.source.watermark_every_records,
            clock: Clock::new(s.source.events_per_second),
            trigger: s.checkpoints,
            parallelism: s.operator_parallelism(i),
            key_type: s.source.key_type,
        }
    }
}

/// Plays `input` through one window operator, calling `on_checkpoint` at
/// every barrier and `progress` after every batch with the records so far.
pub fn simulate(
    spec: &OperatorSpec,
    keys: &KeySpace,
    total_records: u64,
    input: Input,
    on_checkpoint: &mut dyn FnMut(&Snapshot),
    progress: &dyn Fn(u64),
) -> RunStats {
    simulate_with_writes(
        spec,
        keys,
        total_records,
        input,
        writes::NoWrites,
        on_checkpoint,
        progress,
    )
}

/// [`simulate`], telling `writes` every state write in order (on one
/// thread; before `on_checkpoint`, `writes` hears the barrier).
pub fn simulate_with_writes<W: writes::StateWrites + Default + Send>(
    spec: &OperatorSpec,
    keys: &KeySpace,
    total_records: u64,
    mut input: Input,
    writes: W,
    on_checkpoint: &mut dyn FnMut(&Snapshot),
    progress: &dyn Fn(u64),
) -> RunStats {
    with_operator(
        spec,
        keys,
        writes,
        Sequential {
            spec,
            total: total_records,
            input: &mut input,
            on_checkpoint,
            progress,
            routing: None,
        },
    )
}

/// One way into an operator: the `[[source]]` index (`None`: any), the
/// records an earlier operator passed on (a bit per record of the input;
/// `None`: all), the side they arrive on.
pub type RouteIn<'a> = (Option<u32>, Option<&'a [u64]>, u32);

/// Which records of the job's input reach one operator (its
/// [`crate::scenario::Route`], with the records each earlier dedup passed
/// on), and where it notes the ones it passes on.
#[derive(Default)]
pub struct Routing<'a> {
    /// The ways in, the first that a record matches taken.
    pub from: Vec<RouteIn<'a>>,
    /// A join: the side is the record's `sub_key` for the engine.
    pub join: bool,
    /// A job of two inputs: a record's `sub_key` is its `[[source]]`
    /// index, not a map sub-key.
    pub two_inputs: bool,
    /// A bit per record of the input, set for each record it passes on.
    pub emitted: Option<&'a mut [u64]>,
}

impl Routing<'_> {
    /// The `sub_key` the engine sees record `idx` with (its raw `sub`), or
    /// `None` when it does not reach the operator.
    #[inline(always)]
    fn reach(&self, idx: u64, sub: u32) -> Option<u32> {
        if self.from.is_empty() {
            return Some(sub);
        }
        let bit = |m: &[u64]| m[(idx / 64) as usize] >> (idx % 64) & 1 == 1;
        let side = self
            .from
            .iter()
            .find(|(stream, after, _)| stream.is_none_or(|s| s == sub) && after.is_none_or(bit))?
            .2;
        Some(if self.join {
            side
        } else if self.two_inputs {
            crate::workload::NO_SUB_KEY
        } else {
            sub
        })
    }
}

/// A bit per record of `records`, none set.
pub fn record_bits(records: u64) -> Vec<u64> {
    vec![0; records.div_ceil(64) as usize]
}

/// [`simulate_with_writes`] for an operator that reads only some of the
/// input's records (`routing`), noting the ones it passes on.
#[allow(clippy::too_many_arguments)]
pub fn simulate_routed<W: writes::StateWrites + Default + Send>(
    spec: &OperatorSpec,
    keys: &KeySpace,
    total_records: u64,
    mut input: Input,
    writes: W,
    routing: &mut Routing<'_>,
    on_checkpoint: &mut dyn FnMut(&Snapshot),
    progress: &dyn Fn(u64),
) -> RunStats {
    with_operator(
        spec,
        keys,
        writes,
        Sequential {
            spec,
            total: total_records,
            input: &mut input,
            on_checkpoint,
            progress,
            routing: Some(routing),
        },
    )
}

/// One engine over every key group, on this thread.
struct Sequential<'a, 'r> {
    spec: &'a OperatorSpec,
    total: u64,
    input: &'a mut Input,
    on_checkpoint: &'a mut dyn FnMut(&Snapshot),
    progress: &'a dyn Fn(u64),
    routing: Option<&'a mut Routing<'r>>,
}

impl OperatorUser for Sequential<'_, '_> {
    fn run<E: Operator + Send, M: Fn() -> E + Sync>(self, make: M) -> RunStats {
        match self.routing {
            None => drive(
                self.spec,
                self.total,
                self.input,
                make(),
                self.on_checkpoint,
                self.progress,
            ),
            Some(r) => drive_routed(
                self.spec,
                self.total,
                self.input,
                make(),
                r,
                self.on_checkpoint,
                self.progress,
            ),
        }
    }
}

/// [`drive`] for an operator that some records do not reach.
fn drive_routed<E: Operator>(
    spec: &OperatorSpec,
    total: u64,
    input: &mut Input,
    engine: E,
    routing: &mut Routing<'_>,
    on_checkpoint: &mut dyn FnMut(&Snapshot),
    progress: &dyn Fn(u64),
) -> RunStats {
    let mut line = Timeline::new(spec, total);
    let mut direct = Direct {
        engine,
        stats: RunStats::default(),
        snap: Snapshot::default(),
        kgs: spec.max_parallelism as usize,
        on_checkpoint,
    };
    line.start(&mut direct);
    let mut batch = Batch::new();
    let mut kg_buf = [0u16; CHUNK];
    let mut idx = 0u64;
    loop {
        let n = input.fill(&mut batch);
        if n == 0 {
            break;
        }
        let (keys, all_ts, all_bytes) = (&batch.keys[..n], &batch.ts[..n], &batch.bytes[..n]);
        let subs = &batch.sub[..];
        for (c, chunk) in keys.chunks(CHUNK).enumerate() {
            let kg_chunk = &mut kg_buf[..chunk.len()];
            direct.engine.key_groups(chunk, kg_chunk);
            let base = c * CHUNK;
            for (j, (&key, &kg)) in chunk.iter().zip(kg_chunk.iter()).enumerate() {
                let i = base + j;
                let ts = line.record_time(all_ts[i], &mut direct);
                let sub = subs.get(i).copied().unwrap_or(crate::workload::NO_SUB_KEY);
                match routing.reach(idx, sub) {
                    Some(sub) => {
                        direct.engine.element(
                            key,
                            kg as usize,
                            ts,
                            all_bytes[i] as u64,
                            sub,
                            line.watermark(),
                            &mut direct.stats,
                        );
                        if let Some(m) = routing.emitted.as_deref_mut()
                            && direct.engine.emitted()
                        {
                            m[(idx / 64) as usize] |= 1 << (idx % 64);
                        }
                    }
                    None => direct.engine.passed_over(ts),
                }
                idx += 1;
                line.record_done(&mut direct);
            }
        }
        progress(line.count());
    }
    let mut stats = direct.stats;
    stats.records = line.count();
    stats
}

/// Records whose key groups are looked up together, ahead of playing them.
pub(crate) const CHUNK: usize = 256;

fn drive<E: Operator>(
    spec: &OperatorSpec,
    total: u64,
    input: &mut Input,
    engine: E,
    on_checkpoint: &mut dyn FnMut(&Snapshot),
    progress: &dyn Fn(u64),
) -> RunStats {
    let mut line = Timeline::new(spec, total);
    let mut direct = Direct {
        engine,
        stats: RunStats::default(),
        snap: Snapshot::default(),
        kgs: spec.max_parallelism as usize,
        on_checkpoint,
    };
    line.start(&mut direct);
    let mut batch = Batch::new();
    let mut kg_buf = [0u16; CHUNK];
    loop {
        let n = input.fill(&mut batch);
        if n == 0 {
            break;
        }
        let (keys, all_ts, all_bytes) = (&batch.keys[..n], &batch.ts[..n], &batch.bytes[..n]);
        let subs = &batch.sub[..];
        for (c, chunk) in keys.chunks(CHUNK).enumerate() {
            let kg_chunk = &mut kg_buf[..chunk.len()];
            direct.engine.key_groups(chunk, kg_chunk);
            let base = c * CHUNK;
            for (j, (&key, &kg)) in chunk.iter().zip(kg_chunk.iter()).enumerate() {
                let i = base + j;
                let ts = line.record_time(all_ts[i], &mut direct);
                direct.engine.element(
                    key,
                    kg as usize,
                    ts,
                    all_bytes[i] as u64,
                    subs.get(i).copied().unwrap_or(crate::workload::NO_SUB_KEY),
                    line.watermark(),
                    &mut direct.stats,
                );
                line.record_done(&mut direct);
            }
        }
        progress(line.count());
    }
    let mut stats = direct.stats;
    stats.records = line.count();
    stats
}

/// The time line played straight into one engine.
struct Direct<'a, E> {
    engine: E,
    stats: RunStats,
    snap: Snapshot,
    kgs: usize,
    on_checkpoint: &'a mut dyn FnMut(&Snapshot),
}

impl<E: Operator> TimeSink for Direct<'_, E> {
    #[inline(always)]
    fn advance(&mut self, time: i64, _watermark: i64) {
        self.engine.advance(time, &mut self.stats);
    }
    fn barrier(&mut self, head: &Head) {
        self.snap.start(self.kgs, head);
        self.engine
            .snapshot(head.watermark, &mut self.snap, &mut self.stats);
        (self.on_checkpoint)(&self.snap);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::NO_SUB_KEY;

    #[test]
    fn every_record_reaches_an_operator_without_a_route() {
        let r = Routing::default();
        assert_eq!(r.reach(0, 7), Some(7));
        assert_eq!(r.reach(1_000_000, NO_SUB_KEY), Some(NO_SUB_KEY));
    }

    /// A join of two dedups: record 0 (left) and 65 (right) passed their
    /// dedups, 1 (left) and 64 (right) did not; the join sees each passed
    /// record as its side.
    #[test]
    fn a_join_sees_what_each_dedup_passed_on_as_its_side() {
        let mut left = record_bits(130);
        let mut right = record_bits(130);
        left[0] |= 1;
        right[1] |= 1 << 1; // record 65
        let r = Routing {
            from: vec![
                (Some(0), Some(&left[..]), 0),
                (Some(1), Some(&right[..]), 1),
            ],
            join: true,
            two_inputs: true,
            emitted: None,
        };
        assert_eq!(r.reach(0, 0), Some(0));
        assert_eq!(r.reach(1, 0), None);
        assert_eq!(r.reach(64, 1), None);
        assert_eq!(r.reach(65, 1), Some(1));
        // Record 0 is a left record: the right dedup's bit does not matter.
        assert_eq!(r.reach(0, 1), None);
    }

    /// A one-input operator reading one [[source]] of two sees its records
    /// without a map sub-key (the record's sub is its source index).
    #[test]
    fn one_source_of_two_reaches_without_a_sub_key() {
        let r = Routing {
            from: vec![(Some(1), None, 0)],
            join: false,
            two_inputs: true,
            emitted: None,
        };
        assert_eq!(r.reach(3, 0), None);
        assert_eq!(r.reach(4, 1), Some(NO_SUB_KEY));
    }
}
