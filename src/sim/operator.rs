//! The seam every kind of keyed operator plugs into: [`Operator`] is what
//! an engine does with records, time and barriers, per key group;
//! [`with_operator`] picks the file that simulates a scenario's operator
//! ([`super::window`]: tumbling, sliding and session windows;
//! [`super::process`]: process and dedup operators with declared state) and
//! builds it monomorphized, so the per-record path has no dynamic dispatch.
//! The drivers ([`super::simulate`], [`super::parallel`]) know nothing else
//! of the operator.

use super::writes::StateWrites;
use super::{OperatorSpec, RunStats, Snapshot};
use crate::workload::KeySpace;

/// One kind of keyed operator, simulated per key group: records in,
/// state mutations per key group, the state's contents at a barrier.
pub(crate) trait Operator {
    /// Writes the key group of every key of `keys` into `kgs` (same
    /// length), before those records are played. The lookups are
    /// independent of each other, so their cache misses overlap here
    /// instead of stalling the per-element path one by one.
    fn key_groups(&mut self, keys: &[u32], kgs: &mut [u16]);
    /// Loads ahead the state `element` will touch for `keys` (their key
    /// groups already known).
    fn prefetch(&mut self, keys: &[u32]);
    /// Processes one element of key `key` (in key group `kg`) at `ts`
    /// (event time, or processing time); `sub_key` is the trace's
    /// `sub_key` column ([`crate::workload::NO_SUB_KEY`] without one).
    #[allow(clippy::too_many_arguments)]
    fn element(
        &mut self,
        key: u32,
        kg: usize,
        ts: i64,
        bytes: u64,
        sub_key: u32,
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
    /// them; otherwise each extent belongs to one key (sessions, and
    /// operators without windows).
    const SHARED_EXTENTS: bool;
    /// A record whose key's state is kept by another partition: opens the
    /// window extents it would (aligned windows), without touching any key.
    fn foreign_record(&mut self, ts: i64, watermark: i64);
    /// Whether the last `element` passed its record on (a dedup with
    /// `emits = "first"`: the read of "seen" found nothing).
    #[inline(always)]
    fn emitted(&self) -> bool {
        true
    }
    /// A record of the job's input that does not reach this operator (read
    /// by another, or dropped by a dedup before it) at `ts`: the processing
    /// time a checkpoint sees moves on all the same.
    #[inline(always)]
    fn passed_over(&mut self, _ts: i64) {}
}

/// What every operator counts per key group over the whole run: records
/// routed to it, and the entries and heap-format bytes purged from it.
/// Cumulative; copied into each [`Snapshot`].
#[derive(Debug, Clone)]
pub(crate) struct History {
    records: Vec<u64>,
    purged_entries: Vec<u64>,
    purged_bytes: Vec<u64>,
}

impl History {
    /// Zero counts over `key_groups` key groups.
    pub(crate) fn new(key_groups: usize) -> Self {
        History {
            records: vec![0; key_groups],
            purged_entries: vec![0; key_groups],
            purged_bytes: vec![0; key_groups],
        }
    }

    /// One record routed to key group `kg`.
    #[inline(always)]
    pub(crate) fn record(&mut self, kg: usize) {
        self.records[kg] += 1;
    }

    /// `entries` entries of `bytes` bytes (with their timers) purged from
    /// key group `kg`.
    #[inline(always)]
    pub(crate) fn purge(&mut self, kg: usize, entries: u64, bytes: u64) {
        self.purged_entries[kg] += entries;
        self.purged_bytes[kg] += bytes;
    }

    /// Copies the counts into `snap` (sized for the same key groups).
    pub(crate) fn write(&self, snap: &mut Snapshot) {
        snap.kg_records.copy_from_slice(&self.records);
        snap.kg_purged_entries.copy_from_slice(&self.purged_entries);
        snap.kg_purged_bytes.copy_from_slice(&self.purged_bytes);
    }
}

/// Runs the operator that simulates `spec`: [`with_operator`] builds it
/// (monomorphized over its kind and value layout) and hands over a way to
/// make as many as the run needs (one per partition).
pub(crate) trait OperatorUser {
    fn run<E: Operator + Send, M: Fn() -> E + Sync>(self, make: M) -> RunStats;
}

/// Calls `user` with the constructor of the operator `spec` describes.
/// A new kind of operator is a file beside `window.rs` and one arm here.
/// `writes` hears the state writes of the (first) operator made.
pub(crate) fn with_operator<U: OperatorUser, W: StateWrites + Default + Send>(
    spec: &OperatorSpec,
    keys: &KeySpace,
    writes: W,
    user: U,
) -> RunStats {
    match &spec.op.keyed {
        Some(op) => {
            // The first engine made hears the writes (runs that listen
            // make one).
            let writes = std::sync::Mutex::new(Some(writes));
            let take = || {
                writes
                    .lock()
                    .map(|mut w| w.take().unwrap_or_default())
                    .unwrap_or_default()
            };
            match op.kind {
                crate::scenario::KeyedKind::IntervalJoin { lower_ms, upper_ms } => {
                    let kgs = spec.max_parallelism as usize;
                    user.run(|| {
                        super::join::IntervalJoin::new(lower_ms, upper_ms, keys, kgs, take())
                    })
                }
                _ => user.run(|| super::process::Process::new(op, keys, spec, take())),
            }
        }
        None => super::window::with_window(spec, keys, writes, user),
    }
}
