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

pub use parallel::{partition, simulate_partitioned};

use crate::flink::serializer::ValueLayout;
use crate::scenario::{
    Assigner, CheckpointTrigger, Scenario, TimeCharacteristic, WindowFunction, WindowOperator,
};
use crate::workload::{Batch, Clock, Input, KeySpace};

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
    fn reset(&mut self, key_groups: usize) {
        for v in [
            &mut self.kg_bytes,
            &mut self.kg_entries,
            &mut self.kg_timers,
            &mut self.kg_live_keys,
            &mut self.kg_records,
            &mut self.kg_purged_entries,
            &mut self.kg_purged_bytes,
        ] {
            v.clear();
            v.resize(key_groups, 0);
        }
        self.live_windows = 0;
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

/// Barriers: record counts at which checkpoints are taken.
#[derive(Debug, Clone, Copy)]
pub struct Barriers {
    trigger: CheckpointTrigger,
    clock: Clock,
    total: u64,
    next_k: u64,
}

impl Barriers {
    /// Barriers of a scenario over `total` records.
    pub fn new(trigger: CheckpointTrigger, clock: Clock, total: u64) -> Self {
        Barriers {
            trigger,
            clock,
            total,
            next_k: 1,
        }
    }
    /// Number of checkpoints that fall within the records.
    pub fn count(&self) -> u64 {
        match self.trigger {
            CheckpointTrigger::EveryRecords(n) => self.total / n,
            CheckpointTrigger::Interval(ms) => {
                // Checkpoints whose time falls no later than the last record.
                let last = self.clock.at(self.total.saturating_sub(1));
                (last.max(0) as u64) / ms
            }
        }
    }
    /// The next barrier: (checkpoint, records before it, processing time).
    fn next(&mut self) -> Option<(u64, u64, Option<i64>)> {
        let k = self.next_k;
        let (n, t) = match self.trigger {
            CheckpointTrigger::EveryRecords(n) => (k.checked_mul(n)?, None),
            CheckpointTrigger::Interval(ms) => {
                let t = (k as i64).checked_mul(ms as i64)?;
                (self.clock.records_before(t), Some(t))
            }
        };
        if n > self.total || k > self.count() {
            return None;
        }
        self.next_k += 1;
        Some((k, n, t))
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

/// The event-time and processing-time clocks seen by the operator.
struct Time {
    processing: bool,
    max_ts: i64,
    watermark: i64,
    wm_emitted: bool,
    ooo: i64,
}

impl Time {
    #[inline(always)]
    fn pending_watermark(&self) -> i64 {
        // BoundedOutOfOrdernessWatermarks starts at Long.MIN_VALUE + ooo + 1.
        self.max_ts.saturating_sub(self.ooo).saturating_sub(1)
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
    mut engine: E,
    on_checkpoint: &mut dyn FnMut(&Snapshot),
    progress: &dyn Fn(u64),
) -> RunStats {
    let processing = spec.op.time == TimeCharacteristic::Processing;
    let mut time = Time {
        processing,
        max_ts: i64::MIN,
        watermark: i64::MIN,
        wm_emitted: false,
        ooo: spec.out_of_orderness_ms,
    };
    let mut stats = RunStats::default();
    let mut barriers = Barriers::new(spec.trigger, spec.clock, total);
    let mut next_barrier = barriers.next();
    let mut snap = Snapshot::default();
    let kgs = spec.max_parallelism as usize;
    let wm_every = spec.watermark_every;
    let mut batch = Batch::new();
    let mut count: u64 = 0;
    let mut since_wm: u64 = 0;

    let mut take_checkpoints =
        |count: u64,
         engine: &mut E,
         time: &mut Time,
         stats: &mut RunStats,
         next_barrier: &mut Option<(u64, u64, Option<i64>)>| {
            while let Some((k, n, t)) = *next_barrier {
                if n != count {
                    break;
                }
                // The watermark that follows the phase's last record.
                if !time.processing && count > 0 {
                    let wm = time.pending_watermark();
                    if wm > time.watermark {
                        time.watermark = wm;
                        engine.advance(wm, stats);
                    }
                    time.wm_emitted = true;
                }
                let now = if time.processing {
                    let now = t.unwrap_or_else(|| spec.clock.at(count.saturating_sub(1)));
                    engine.advance(now - 1, stats);
                    now
                } else {
                    time.max_ts
                };
                snap.reset(kgs);
                snap.checkpoint = k;
                snap.records = count;
                snap.time_ms = if count == 0 && !time.processing {
                    0
                } else {
                    now
                };
                snap.watermark_ms = (!time.processing && time.wm_emitted).then_some(time.watermark);
                engine.snapshot(time.watermark, &mut snap, stats);
                on_checkpoint(&snap);
                *next_barrier = barriers.next();
            }
        };
    take_checkpoints(0, &mut engine, &mut time, &mut stats, &mut next_barrier);

    let mut kg_buf = [0u16; CHUNK];
    // The record count of the next barrier, and the watermark the next
    // emission carries (it changes only with the largest timestamp).
    let mut next_at = next_barrier.map_or(u64::MAX, |b| b.1);
    let mut pending = time.pending_watermark();
    loop {
        let n = input.fill(&mut batch);
        if n == 0 {
            break;
        }
        let (keys, all_ts, all_bytes) = (&batch.keys[..n], &batch.ts[..n], &batch.bytes[..n]);
        for (c, chunk) in keys.chunks(CHUNK).enumerate() {
            let kg_chunk = &mut kg_buf[..chunk.len()];
            engine.key_groups(chunk, kg_chunk);
            let base = c * CHUNK;
            for (j, (&key, &kg)) in chunk.iter().zip(kg_chunk.iter()).enumerate() {
                let i = base + j;
                let bytes = all_bytes[i] as u64;
                let ts = if processing {
                    let now = spec.clock.at(count);
                    engine.advance(now - 1, &mut stats);
                    now
                } else {
                    all_ts[i]
                };
                if ts > time.max_ts {
                    time.max_ts = ts;
                    pending = time.pending_watermark();
                }
                engine.element(key, kg as usize, ts, bytes, time.watermark, &mut stats);
                count += 1;
                if !processing {
                    since_wm += 1;
                    if since_wm == wm_every {
                        since_wm = 0;
                        time.wm_emitted = true;
                        if pending > time.watermark {
                            time.watermark = pending;
                            engine.advance(pending, &mut stats);
                        }
                    }
                }
                if count == next_at {
                    take_checkpoints(count, &mut engine, &mut time, &mut stats, &mut next_barrier);
                    next_at = next_barrier.map_or(u64::MAX, |b| b.1);
                }
            }
        }
        progress(count);
    }
    stats.records = count;
    stats
}
