//! How an exact run makes its RocksDB bytes, and what that costs: the
//! window operator's writes replayed through one RocksDB instance per
//! subtask (`backend::rocksdb`), on every key group (full), on one key
//! group in `stride` of every subtask with each write standing for the
//! subtask's records over the replayed ones' (sampled), or not at all (the
//! per-entry estimate).
//!
//! Why a sample of key groups is sound for RocksDB: what decides a
//! subtask's flushes and compactions is how fast its memtables fill against
//! the slot's write-buffer manager (whole arena blocks), how many timer
//! operations its write batch gathers, and how many L0 files its flushes
//! make; what decides its bytes is its SST files' blocks. A sampled
//! instance charges each skip-list node and counts each timer operation
//! `weight` times, and counts its files' data and index blocks `weight`
//! times (their properties, meta-index and footer once): its memtables
//! fill, its batches are written, its files are cut and compacted at the
//! whole instance's cadence, on `1/weight` of the entries. The timer
//! queue's 128-timer cache is per key group, and key groups are replayed
//! whole.
//!
//! The cost ([`cost`]): per operation written, per byte a compaction
//! re-encodes (each compaction rewrites the column family's L1 file: the
//! live state, every fourth flush), per flush; measured on the project's
//! machine (2-core AMD EPYC, `tests/cli/rocksdb_sampled.rs` prints the
//! timings beside the estimates). Flushes are counted from the mechanism
//! (`docs/rocksdb.md`): the checkpoint's, and the write-buffer manager's,
//! which on a buffer smaller than one arena block come every few writes,
//! on one that holds a block but not one per written column family with
//! every timer batch (500 operations), and otherwise when the memtables'
//! bytes pass it.

use crate::backend::rocksdb;
use crate::flink::serializer::ValueLayout;
use crate::scenario::{Assigner, Scenario, TimeCharacteristic, TimerService};
use crate::workload::occupancy;

use super::budget::Work;

/// How RocksDB bytes are made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Replay {
    /// Not replayed: no RocksDB option, a mode that does not play every
    /// record, or a keyed operator.
    #[default]
    Off,
    /// Every write of every key group.
    Full,
    /// One key group in `stride` of every subtask, or (`one_subtask`) of
    /// the heaviest subtask only, the others' files scaled from it by
    /// their records.
    Sampled {
        /// Key groups per replayed one.
        stride: usize,
        /// Only the heaviest subtask replayed.
        one_subtask: bool,
    },
    /// The replay does not fit the budget even on one key group per
    /// subtask: the per-entry estimate stands in.
    OverBudget,
}

/// Measured error of a sampled replay against the full replay of the same
/// run, per checkpoint and subtask, over the grid of
/// `tests/cli/rocksdb_sampled.rs` (README, "Sampled RocksDB replay"): the
/// larger of state and checkpointed bytes' median and p90 at one key group
/// in 4 and in 16 (960 rows each).
pub const SAMPLED_ERROR: [(usize, f64, f64); 2] = [(4, 1.9, 6.4), (16, 3.2, 9.0)];

/// The measured error of a sampled replay of `stride` (the nearer grid
/// point at or above it): median and p90, percent.
pub fn sampled_error(stride: usize) -> (f64, f64) {
    let (_, m, p) = SAMPLED_ERROR
        .iter()
        .find(|e| stride <= e.0)
        .copied()
        .unwrap_or(SAMPLED_ERROR[SAMPLED_ERROR.len() - 1]);
    (m, p)
}

// Costs measured on the project's machine, per item.

/// One operation written: the key and value built (the payload drawn),
/// the memtable entry, its share of the flush's SST file.
const WRITE_NS: f64 = 1500.0;
/// One key-and-value byte a compaction re-encodes (sorted, merged, the
/// blocks built and Snappy-compressed).
const COMPACTED_BYTE_NS: f64 = 1.0;
/// One record byte written: drawn as payload text, copied into the
/// memtable, encoded and compressed by its flush.
const RECORD_BYTE_NS: f64 = 4.0;
/// One flush (a memtable switched, an SST file's fixed blocks, the
/// MANIFEST edit).
const FLUSH_NS: f64 = 20_000.0;
/// Memory per live entry of the replay (the entry, its boxed key and
/// value) beside its bytes, and per live timer (the queue set's store and
/// cache).
const ENTRY_BYTES: f64 = 96.0;
const TIMER_BYTES: f64 = 120.0;

/// What a run's replay moves, per subtask (before sampling).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ReplayWork {
    /// Operations written.
    pub writes: f64,
    /// Record bytes written (each element's payload drawn, copied into
    /// the memtable, encoded by its flush).
    pub record_bytes: f64,
    /// One record's bytes in all its windows: what a replayed subtask
    /// holds and encodes at least once, however thin the sample.
    pub element_bytes: f64,
    /// Flushes.
    pub flushes: f64,
    /// Key and value bytes compactions re-encode.
    pub compacted: f64,
    /// Live entries and their bytes, and live timers.
    pub live_entries: f64,
    pub live_bytes: f64,
    pub live_timers: f64,
}

/// What a trace turned out to hold once read (its size alone says little).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Read {
    /// Distinct keys.
    pub keys: Option<u64>,
    /// Mean record bytes.
    pub record_bytes: Option<f64>,
}

/// What replaying `s` moves per subtask, from the mechanism.
pub fn work(s: &Scenario, w: &Work, read: Read) -> ReplayWork {
    let keys = read.keys;
    let p = s.parallelism.max(1) as f64;
    let rec = w.records as f64;
    let rate = s.source.events_per_second.max(1e-9);
    let record_bytes = read
        .record_bytes
        .unwrap_or_else(|| s.source.record_bytes.mean())
        .max(1.0);
    let key = 8.0 + if s.max_parallelism > 128 { 2.0 } else { 1.0 };
    let two_x = s.flink_version.major >= 2;
    let arena = if two_x { 1.0 } else { 8.0 } * (1u64 << 20) as f64;
    let limit = rocksdb::wbm_capacity(&s.flink_conf, s.parallelism).bytes as f64 * 7.0 / 8.0;
    let heap_timers = s.timer_service == TimerService::Heap;
    let checkpoints = w.checkpoints as f64;
    let trace_keys = keys.unwrap_or(w.touched_keys) as f64;
    let mut out = ReplayWork::default();
    for op in &s.operators {
        if let Some(k) = &op.keyed {
            // A process, dedup or join operator: a write per state and
            // record (joins: the record into its side's buffer), a timer
            // registered and deleted per record when it has one; every
            // state's column family flushed at each barrier. Its live state
            // bounded by the keys (the records, for lists and buffers).
            let n = (k.states.len() as f64).max(1.0);
            let timers = if k.timer.is_some()
                || matches!(k.kind, crate::scenario::KeyedKind::IntervalJoin { .. })
            {
                2.0
            } else {
                0.0
            };
            let recs = rec / p;
            let writes = recs * (n + timers);
            let node = key + 16.0 + record_bytes + 24.0;
            let live_entries = (trace_keys.min(rec) * n / p).min(recs * n);
            let live_bytes = live_entries * node;
            let n_cf = n + if timers > 0.0 { 1.0 } else { 0.0 };
            let wbm = if limit < arena {
                writes * node / 1392.0
            } else {
                writes * node / limit.max(1.0)
            };
            let flushes = wbm + checkpoints * n_cf;
            out.record_bytes += recs * record_bytes;
            out.element_bytes = out.element_bytes.max(record_bytes * n);
            out.writes += writes;
            out.flushes += flushes;
            out.compacted += (flushes / 4.0 + checkpoints) * live_bytes + writes * node;
            out.live_entries += live_entries;
            out.live_bytes += live_bytes;
            out.live_timers += if timers > 0.0 { live_entries / n } else { 0.0 };
            continue;
        }
        let session = matches!(op.assigner, Assigner::Session { .. });
        let delay = if op.time == TimeCharacteristic::Event {
            (s.source.out_of_orderness_ms + s.source.jitter_ms) as f64
                + op.allowed_lateness_ms as f64
        } else {
            0.0
        };
        let (span_ms, slide_ms, copies) = match op.assigner {
            Assigner::Tumbling { size_ms, .. } => (size_ms as f64, size_ms as f64, 1.0),
            Assigner::Sliding {
                size_ms, slide_ms, ..
            } => (
                size_ms as f64,
                slide_ms as f64,
                (size_ms as f64 / slide_ms.max(1) as f64).ceil(),
            ),
            Assigner::Session { gap_ms } => (gap_ms as f64, gap_ms as f64, 1.0),
        };
        let distinct = |ms: f64| {
            let n = (rate * ms / 1000.0).min(rec).max(1.0);
            if s.source.trace.is_some() {
                n.min(trace_keys)
            } else {
                occupancy::expected_distinct(s, n)
            }
        };
        // Key-windows made over the run: each purged once, each a timer
        // registered and deleted.
        let per_window = distinct(span_ms);
        let windows = (rec / (rate * slide_ms.max(1.0) / 1000.0)).max(1.0);
        let key_windows = (windows * per_window).min(rec * copies);
        let layout = crate::sim::value_layout(op);
        let value = match layout {
            ValueLayout::Accumulator(n) => n as f64,
            _ => record_bytes,
        };
        let contents_key = key + 16.0;
        let node_c = contents_key + 8.0 + value + 24.0;
        // Live state per subtask: what the windows hold at a barrier.
        let live_keys = distinct(span_ms + delay) / p;
        let live_entries = live_keys * copies;
        let live_bytes = if layout == ValueLayout::List {
            (rate * (span_ms + delay) / 1000.0).min(rec) * copies * (record_bytes + 1.0) / p
                + live_entries * contents_key
        } else {
            live_entries * (contents_key + value)
        };
        let live_timers = if heap_timers { 0.0 } else { live_entries };
        // A key group's timer cache holds 128: beyond, every element's
        // registration is written again.
        let per_kg = live_timers * p / s.max_parallelism.max(1) as f64;
        let again = if per_kg > 128.0 {
            rec * copies * (1.0 - 128.0 / per_kg) / p
        } else {
            0.0
        };
        let timer_writes = if heap_timers {
            0.0
        } else {
            2.0 * key_windows / p + again
        };
        let contents_writes = (rec * copies + key_windows) / p;
        let mws_writes = if session { rec / p } else { 0.0 };
        let writes = contents_writes + timer_writes + mws_writes;
        let n_cf = 1.0 + f64::from(u8::from(!heap_timers)) + f64::from(u8::from(session));
        // Records until a fresh memtable leaves its 2 KiB inline block
        // (1392 bytes after its skip lists' heads), per column family
        // written one operation at a time (contents; sessions' merging-
        // window set, ~80 bytes a record).
        let fill_c = 1392.0 / (copies * node_c) + 1.0;
        let fill_m = 1392.0 / 80.0 + 1.0;
        let batches = timer_writes / 500.0;
        let recs = rec / p;
        let bytes = contents_writes * node_c + timer_writes * 64.0 + mws_writes * 80.0;
        let wbm = if limit < arena {
            // Any memtable past its inline block is flushed.
            recs / fill_c + if session { recs / fill_m } else { 0.0 } + batches
        } else if limit < n_cf * arena && n_cf >= 2.0 {
            if session {
                // Contents and merging-window set flush each other.
                2.0 * recs / (fill_c + fill_m)
            } else {
                // A flush pair at every timer batch.
                2.0 * batches
            }
        } else {
            n_cf * bytes / (limit - (n_cf - 1.0) * arena).max(arena)
        };
        let flushes = wbm + checkpoints * n_cf;
        // Every fourth flush of a column family rewrites its L1: its live
        // state (tumbling windows: on average half of the largest; sliding
        // and session windows hold about as much all along); every flushed
        // byte is compacted once.
        // At every barrier the range's early-compaction listing re-encodes
        // the live files once more.
        let live = live_bytes + live_timers * 33.0;
        let average = if matches!(op.assigner, Assigner::Tumbling { .. }) {
            0.5
        } else {
            1.0
        };
        let compacted = (wbm / 4.0 * average + checkpoints * (1.0 + n_cf / 4.0)) * live
            + contents_writes * (contents_key + value)
            + timer_writes * 33.0;
        out.record_bytes += rec * copies / p * record_bytes;
        out.element_bytes = out.element_bytes.max(record_bytes * copies);
        out.writes += writes;
        out.flushes += flushes;
        out.compacted += compacted;
        out.live_entries += live_entries;
        out.live_bytes += live_bytes;
        out.live_timers += live_timers;
    }
    out
}

/// Seconds and bytes of a replay of `stride` (1: full) of the work `r` on
/// `subtasks` subtasks.
pub fn cost(r: &ReplayWork, subtasks: u32, stride: usize) -> (f64, f64) {
    let f = 1.0 / stride.max(1) as f64;
    let p = subtasks.max(1) as f64;
    let secs = p
        * (f * (r.writes * WRITE_NS
            + r.compacted * COMPACTED_BYTE_NS
            + r.record_bytes * RECORD_BYTE_NS)
            + r.flushes * FLUSH_NS)
        * 1e-9;
    let bytes =
        p * f * (r.live_entries * ENTRY_BYTES + 2.0 * r.live_bytes + r.live_timers * TIMER_BYTES);
    // However thin the sample, a replayed subtask holds, copies and
    // encodes one record whole (its value, the memtable's copy, the SST
    // block, Snappy's output).
    let one = p * r.element_bytes;
    (secs.max(one * RECORD_BYTE_NS * 1e-9), bytes.max(4.0 * one))
}

/// The replay that fits: the full one if its cost (added to `plan`'s)
/// fits `budget`, else the sampled one of the smallest stride that does
/// (1 in 2, 4, 8, … key groups, at most down to one per subtask), then the
/// same on the heaviest subtask alone, else none ([`Replay::OverBudget`]).
pub fn choose(
    s: &Scenario,
    plan: &super::budget::Plan,
    budget: &super::budget::Budget,
    read: Read,
) -> Replay {
    let r = work(s, &plan.work, read);
    let per_subtask = (s.max_parallelism as usize).div_ceil(s.parallelism.max(1) as usize);
    // A replay runs the simulation on one thread (the instances see the
    // writes in order).
    let run = super::budget::estimate(&plan.work, plan.estimate.mode, plan.estimate.layout, 1);
    let fits = |stride: usize, subtasks: u32| {
        let (secs, bytes) = cost(&r, subtasks, stride);
        run.seconds + secs <= budget.seconds && run.bytes as f64 + bytes <= budget.bytes as f64
    };
    // Every subtask, then the heaviest only (its flushes, which a sample
    // does not thin out, are then paid once).
    // A keyed operator other than a window is replayed whole or not at
    // all: the sampled replay's weights are measured on windows only.
    if s.operators.iter().any(|o| o.keyed.is_some()) {
        return if fits(1, s.parallelism) {
            Replay::Full
        } else {
            Replay::OverBudget
        };
    }
    for (subtasks, one_subtask) in [(s.parallelism, false), (1, true)] {
        if one_subtask && s.parallelism <= 1 {
            break;
        }
        let mut stride = 1;
        loop {
            if fits(stride, subtasks) {
                return if stride == 1 && !one_subtask {
                    Replay::Full
                } else {
                    Replay::Sampled {
                        stride,
                        one_subtask,
                    }
                };
            }
            if stride >= per_subtask {
                break;
            }
            stride = (stride * 2).min(per_subtask);
        }
    }
    Replay::OverBudget
}

/// The stride and replayed subtasks of `replay`, if it replays.
pub fn shape(replay: Replay, parallelism: u32) -> Option<(usize, u32)> {
    match replay {
        Replay::Full => Some((1, parallelism)),
        Replay::Sampled {
            stride,
            one_subtask,
        } => Some((stride, if one_subtask { 1 } else { parallelism })),
        _ => None,
    }
}
