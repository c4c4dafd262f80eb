//! The discrete-event simulation of one keyed window operator: records in
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

mod aligned;
pub mod analytic;
pub mod parallel;
pub mod sampled;
mod session;
pub mod timeline;

pub use parallel::{partition, simulate_partitioned};
pub use timeline::Barriers;

use crate::flink::serializer::ValueLayout;
use crate::scenario::{
    Assigner, CheckpointTrigger, Scenario, TimeCharacteristic, WindowFunction, WindowOperator,
};
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
        self.live_windows = 0;
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
        self.live_windows += other.live_windows;
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

/// Per-element value bytes of the window function, monomorphized into the
/// engines so the loop has no function-kind branch.
pub trait ValueModel: Copy {
    /// Value bytes of a new entry holding one element of `bytes`.
    fn first(self, bytes: u64) -> u64;
    /// Added value bytes when an element of `bytes` joins an entry whose
    /// last element had `last` bytes.
    fn add(self, bytes: u64, last: u64) -> i64;
    /// Whether `add` depends on the last element's size.
    fn needs_last(self) -> bool;
    /// Value bytes of merging two entries (session windows).
    fn merge(self, a: u64, b: u64) -> u64;
}

/// `ListState`: `4 + sum(elements)`.
#[derive(Clone, Copy)]
pub struct ListValue;
impl ValueModel for ListValue {
    #[inline(always)]
    fn first(self, bytes: u64) -> u64 {
        4 + bytes
    }
    #[inline(always)]
    fn add(self, bytes: u64, _: u64) -> i64 {
        bytes as i64
    }
    fn needs_last(self) -> bool {
        false
    }
    fn merge(self, a: u64, b: u64) -> u64 {
        a + b - 4
    }
}

/// One accumulator of fixed size.
#[derive(Clone, Copy)]
pub struct AccValue(pub u64);
impl ValueModel for AccValue {
    #[inline(always)]
    fn first(self, _: u64) -> u64 {
        self.0
    }
    #[inline(always)]
    fn add(self, _: u64, _: u64) -> i64 {
        0
    }
    fn needs_last(self) -> bool {
        false
    }
    fn merge(self, _: u64, _: u64) -> u64 {
        self.0
    }
}

/// One element: the latest (the reduce result's size is the last input's).
#[derive(Clone, Copy)]
pub struct SingleValue {
    /// Sizes vary: the last size must be tracked.
    pub variable: bool,
}
impl ValueModel for SingleValue {
    #[inline(always)]
    fn first(self, bytes: u64) -> u64 {
        bytes
    }
    #[inline(always)]
    fn add(self, bytes: u64, last: u64) -> i64 {
        if self.variable {
            bytes as i64 - last as i64
        } else {
            0
        }
    }
    fn needs_last(self) -> bool {
        self.variable
    }
    fn merge(self, _: u64, b: u64) -> u64 {
        b
    }
}

/// The value layout of an operator's window function.
pub fn value_layout(op: &WindowOperator) -> ValueLayout {
    match op.function {
        WindowFunction::Process | WindowFunction::Apply => ValueLayout::List,
        WindowFunction::Aggregate { accumulator_bytes } => {
            ValueLayout::Accumulator(accumulator_bytes as u64)
        }
        WindowFunction::Reduce => ValueLayout::Single,
    }
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
        }
    }
}

/// An engine that simulates one kind of window.
trait Engine {
    /// Writes the key group of every key of `keys` into `kgs` (same
    /// length), before those records are played. The lookups are
    /// independent of each other, so their cache misses overlap here
    /// instead of stalling the per-element path one by one.
    fn key_groups(&mut self, keys: &[u32], kgs: &mut [u16]);
    /// Loads ahead the state `element` will touch for `keys` (their key
    /// groups already known).
    fn prefetch(&mut self, keys: &[u32]);
    /// Processes one element of key `key` (in key group `kg`) at `ts`
    /// (event time, or processing time).
    fn element(
        &mut self,
        key: u32,
        kg: usize,
        ts: i64,
        bytes: u64,
        watermark: i64,
        stats: &mut RunStats,
    );
    /// Fires every timer at or before `time` (the watermark, or the
    /// processing time just before the next record or barrier).
    fn advance(&mut self, time: i64, stats: &mut RunStats);
    /// Adds the live state to `snap` (zeroed), given the current watermark.
    /// Settles due timers first; counts purged windows into `stats`.
    fn snapshot(&mut self, watermark: i64, snap: &mut Snapshot, stats: &mut RunStats);
    /// Whether the live window extents are shared by every key (aligned
    /// windows), so that every partition of the key groups sees all of
    /// them; otherwise each extent belongs to one key (sessions).
    const SHARED_EXTENTS: bool;
    /// A record whose key's state is not kept here: opens the window
    /// extents it would (aligned windows), without touching any key.
    fn other(&mut self, ts: i64, watermark: i64);
}

/// Plays `input` through one window operator, calling `on_checkpoint` at
/// every barrier and `progress` after every batch with the records so far.
pub fn simulate(
    spec: &OperatorSpec,
    keys: &KeySpace,
    total_records: u64,
    mut input: Input,
    on_checkpoint: &mut dyn FnMut(&Snapshot),
    progress: &dyn Fn(u64),
) -> RunStats {
    with_engine(
        spec,
        keys,
        Sequential {
            spec,
            total: total_records,
            input: &mut input,
            on_checkpoint,
            progress,
        },
    )
}

/// Runs the engine that simulates `spec`'s operator: [`with_engine`] builds
/// it (monomorphized over window kind and value layout) and hands over a way
/// to make as many as the run needs.
trait EngineUser {
    fn run<E: Engine + Send, M: Fn() -> E + Sync>(self, make: M) -> RunStats;
}

/// Calls `user` with the engine constructor of `spec`'s window kind and
/// value layout.
fn with_engine<U: EngineUser>(spec: &OperatorSpec, keys: &KeySpace, user: U) -> RunStats {
    match value_layout(&spec.op) {
        ValueLayout::List => with_value(spec, keys, ListValue, user),
        ValueLayout::Accumulator(b) => with_value(spec, keys, AccValue(b), user),
        ValueLayout::Single => with_value(spec, keys, SingleValue { variable: true }, user),
    }
}

fn with_value<V: ValueModel + Send + Sync, U: EngineUser>(
    spec: &OperatorSpec,
    keys: &KeySpace,
    v: V,
    user: U,
) -> RunStats {
    let processing = spec.op.time == TimeCharacteristic::Processing;
    let lateness = if processing {
        0
    } else {
        spec.op.allowed_lateness_ms
    };
    let kgs = spec.max_parallelism as usize;
    match spec.op.assigner {
        Assigner::Tumbling { size_ms, offset_ms } => user.run(|| {
            aligned::Aligned::new(
                keys, kgs, size_ms, size_ms, offset_ms, lateness, processing, v,
            )
        }),
        Assigner::Sliding {
            size_ms,
            slide_ms,
            offset_ms,
        } => user.run(|| {
            aligned::Aligned::new(
                keys, kgs, size_ms, slide_ms, offset_ms, lateness, processing, v,
            )
        }),
        Assigner::Session { gap_ms } => {
            user.run(|| session::Sessions::new(keys, kgs, gap_ms, lateness, processing, v))
        }
    }
}

/// One engine over every key group, on this thread.
struct Sequential<'a> {
    spec: &'a OperatorSpec,
    total: u64,
    input: &'a mut Input,
    on_checkpoint: &'a mut dyn FnMut(&Snapshot),
    progress: &'a dyn Fn(u64),
}

impl EngineUser for Sequential<'_> {
    fn run<E: Engine + Send, M: Fn() -> E + Sync>(self, make: M) -> RunStats {
        drive(
            self.spec,
            self.total,
            self.input,
            make(),
            self.on_checkpoint,
            self.progress,
        )
    }
}

/// Records whose key groups are looked up together, ahead of playing them.
pub(crate) const CHUNK: usize = 256;

fn drive<E: Engine>(
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

impl<E: Engine> TimeSink for Direct<'_, E> {
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
