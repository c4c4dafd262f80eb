//! RocksDB (`EmbeddedRocksDBStateBackend`) checkpoint sizes: an estimate,
//! not an exact model. Flink's own RocksDB sizes vary from run to run
//! (flushes and compactions run in the background; repeated runs differ by
//! up to ~84 KB on ~0.3 MB subtasks), so each figure comes with a range.
//!
//! The mechanism modelled, per subtask:
//! - every checkpoint flushes the memtable into a new L0 SST file per column
//!   family (`Checkpoint.createCheckpoint` flushes: Flink disables the WAL);
//!   the file holds what the interval wrote (list appends as merge operands,
//!   accumulator and reduce values as puts, one per touched entry), the new
//!   timers, and a tombstone for every entry and timer deleted;
//!   (what was written and deleted again within the interval is dropped by
//!   the flush, leaving only the tombstone);
//! - L0 and L1 are compacted into one L1 holding only the live data
//!   (obsolete versions and tombstones dropped at the bottom level) when L0
//!   reaches the file-count trigger, or when the interval deleted a large
//!   share of the entries (RocksDB weighs deletions up in its compaction
//!   score: `compensated_file_size`); measured on 1.20.5, a window that
//!   turns over between checkpoints leaves no old data behind, while
//!   overwritten accumulator and reduce values pile up for a few
//!   checkpoints;
//! - 1.16+ full checkpoints are native: every SST file of the subtask is
//!   uploaded each time; incremental checkpoints upload the new files only
//!   (`RocksIncrementalSnapshotStrategy`, `RocksNativeFullSnapshotStrategy`);
//!   private files (MANIFEST, OPTIONS, CURRENT) go every time.
//!
//! SST bytes per key-value: the user key is the key-group prefix (1 byte up
//! to 128 key groups, else 2), the serialized key and namespace; RocksDB adds
//! an 8-byte sequence/type trailer and ~3 bytes of lengths, shares key
//! prefixes inside a block, and Snappy-compresses 4 KiB blocks, which removes
//! the repeated namespaces and, for sliding windows, the copies of one
//! element that sit in a key's adjacent windows. The per-entry constants
//! below are those mechanisms' sizes for Flink's window state; the whole
//! model was compared with 24 measured RocksDB runs of Flink 1.20.5 (see the
//! README for the error per window kind).

use super::{BackendJob, HeapModel, StateModel, SubtaskSnapshot};
use crate::flink::KeyGroupLayout;
use crate::flink::serializer::{TIME_WINDOW_BYTES, ValueLayout};
use crate::sim::Snapshot;

/// Bytes of a window-contents entry's key part after prefix sharing and
/// Snappy (two distinguishing key bytes, the namespace as a back-reference,
/// the trailer and the lengths).
const KEY_PART: f64 = 13.0;
/// A key's further windows (sliding): only the namespace differs from the
/// previous entry.
const NEXT_WINDOW_PART: f64 = 8.0;
/// Bytes of one timer in the timer column family, for aligned windows:
/// timers are sorted by timestamp, and every key of a window shares it and
/// the namespace.
const TIMER_PART_SHARED: f64 = 6.0;
/// Bytes of one timer of a session window (its own timestamp and window).
const TIMER_PART: f64 = 19.0;
/// Bytes of a session entry's key part (distinct namespaces per key).
const SESSION_KEY_PART: f64 = 19.0;
/// Bytes of a tombstone (key part only).
const TOMBSTONE: f64 = 13.0;
/// Compressed share of an element's serialized bytes: Snappy finds little
/// to remove in record payloads (random text), a little in their longs.
const PAYLOAD_RATIO: f64 = 0.95;
/// Compressed share of a small accumulator of longs (zero high bytes).
const ACC_RATIO: f64 = 0.6;
/// Snappy block size of Flink's default RocksDB options.
const BLOCK: f64 = 4096.0;
/// SST file overhead: index, properties, meta-index and footer blocks.
const SST_OVERHEAD: f64 = 1200.0;
/// Private files uploaded with every checkpoint (MANIFEST, OPTIONS, CURRENT).
const PRIVATE_FILES: f64 = 9000.0;
/// L0 files that trigger a compaction (`level0_file_num_compaction_trigger`).
const L0_TRIGGER: usize = 4;
/// Share of entries deleted in an interval above which the deletions'
/// weight triggers a compaction before the checkpoint's files are taken.
const DELETION_SHARE: f64 = 0.25;
/// Raw keyed state of heap timers with RocksDB: per key group and per timer
/// (measured: 154400 = 128 x 226 + 3921 x 32).
const HEAP_TIMER_KG: f64 = 226.0;
const HEAP_TIMER_EACH: f64 = 32.0;

/// One RocksDB estimate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RocksEstimate {
    /// Expected `getStateSize()`.
    pub state_bytes: u64,
    /// Expected bytes uploaded by this checkpoint.
    pub checkpointed_bytes: u64,
    /// Range of `state_bytes` over flush/compaction timing: all compacted.
    pub state_low: u64,
    /// ... and nothing compacted since the live data was written.
    pub state_high: u64,
}

#[derive(Debug, Clone, Default)]
struct Lsm {
    l1: f64,
    l0: Vec<f64>,
    records: u64,
    purged: u64,
    entries: u64,
}

/// The RocksDB model of one operator: keeps each subtask's LSM between
/// checkpoints, so feed it every checkpoint in order.
#[derive(Debug, Clone)]
pub struct RocksDbModel {
    layout: KeyGroupLayout,
    header: f64,
    value: ValueLayout,
    merging: bool,
    key_bytes: f64,
    element_bytes: f64,
    copies: f64,
    incremental: bool,
    heap_timers: bool,
    prefix: f64,
    lsm: Vec<Lsm>,
    /// The heap format's rows, which the estimate overrides.
    heap: HeapModel,
}

impl RocksDbModel {
    /// A model for one operator (`heap`: its heap-format model, for the
    /// header and the per-key-group rows).
    pub fn new(job: &BackendJob, incremental: bool, heap: HeapModel) -> Self {
        let parallelism = job.layout.parallelism;
        RocksDbModel {
            prefix: if job.layout.max_parallelism <= 128 {
                1.0
            } else {
                2.0
            },
            lsm: vec![Lsm::default(); parallelism as usize],
            layout: job.layout.clone(),
            header: heap.header() as f64,
            heap,
            value: job.value,
            merging: job.merging,
            key_bytes: job.key_bytes,
            element_bytes: job.element_bytes.max(1.0),
            copies: job.copies.max(1.0),
            incremental,
            heap_timers: job.heap_timers,
        }
    }

    /// Compressed SST bytes of `entries` live entries holding `value` heap
    /// value bytes (the heap format's, without its 4-byte list length).
    fn data_bytes(&self, entries: f64, keys: f64, value: f64) -> f64 {
        if entries <= 0.0 {
            return 0.0;
        }
        let payload = match self.value {
            ValueLayout::Accumulator(acc) => entries * acc as f64 * ACC_RATIO,
            ValueLayout::List | ValueLayout::Single => {
                // A key's copies of one element sit in adjacent windows: Snappy
                // keeps one per block.
                let per_entry = value / entries;
                let per_key = per_entry * self.copies;
                let dedupe = if self.copies > 1.0 {
                    let in_block = (BLOCK / per_key.max(1.0)).clamp(1.0 / self.copies, 1.0);
                    1.0 / self.copies + (1.0 - 1.0 / self.copies) * (1.0 - in_block).max(0.0)
                } else {
                    1.0
                };
                value * PAYLOAD_RATIO * dedupe
            }
        };
        let keys = keys.clamp(entries.min(1.0), entries);
        let key_part = if self.merging {
            entries * SESSION_KEY_PART
        } else {
            keys * KEY_PART + (entries - keys) * NEXT_WINDOW_PART
        };
        key_part + entries * (self.prefix - 1.0) + payload
    }

    fn timer_part(&self) -> f64 {
        if self.merging {
            TIMER_PART
        } else {
            TIMER_PART_SHARED
        }
    }

    /// Estimates one checkpoint for every subtask.
    pub fn estimate(&mut self, snap: &Snapshot) -> Vec<RocksEstimate> {
        let kb = self.key_bytes;
        (0..self.layout.parallelism as usize)
            .map(|i| {
                let (s, e) = self.layout.range_of(i as u32);
                let range = s as usize..=e as usize;
                let sum = |v: &[u64]| range.clone().map(|g| v[g]).sum::<u64>();
                let entries = sum(&snap.kg_entries);
                let timers = sum(&snap.kg_timers) as f64;
                let heap = sum(&snap.kg_bytes) as f64;
                let keys = sum(&snap.kg_live_keys) as f64;
                let records = sum(&snap.kg_records);
                let purged = sum(&snap.kg_purged_entries);
                let ef = entries as f64;
                let mws_heap = if self.merging {
                    keys * (13.0 + kb) + 32.0 * ef
                } else {
                    0.0
                };
                let list_len = if self.value == ValueLayout::List {
                    4.0 * ef
                } else {
                    0.0
                };
                let value = (heap
                    - ef * (TIME_WINDOW_BYTES as f64 + kb)
                    - timers * (24.0 + kb)
                    - mws_heap
                    - list_len)
                    .max(0.0);
                let timer_bytes = if self.heap_timers {
                    0.0
                } else {
                    timers * TIMER_PART
                };
                let mws = if self.merging {
                    keys * (10.0 + kb) + ef * 16.0
                } else {
                    0.0
                };
                let live = self.data_bytes(ef, keys, value) + timer_bytes + mws;

                // What the interval wrote: the new L0 file.
                let lsm = &self.lsm[i];
                let d_records = (records - lsm.records) as f64;
                let d_purged = (purged - lsm.purged) as f64;
                let created = (entries as f64 - lsm.entries as f64 + d_purged).max(0.0);
                // Only what is still live at the flush reaches the file.
                let touched = (d_records * self.copies).min(ef).max(created.min(ef));
                let written_value = match self.value {
                    ValueLayout::List => (d_records * self.copies * self.element_bytes).min(value),
                    ValueLayout::Single => touched * self.element_bytes,
                    ValueLayout::Accumulator(_) => 0.0,
                };
                let touched_keys = touched * (keys / ef.max(1.0)).min(1.0);
                let tombstones = d_purged * TOMBSTONE * if self.heap_timers { 1.0 } else { 2.0 };
                let new_timers = if self.heap_timers {
                    0.0
                } else {
                    created * self.timer_part()
                };
                let mut file = self.data_bytes(touched, touched_keys, written_value)
                    + new_timers
                    + tombstones
                    + SST_OVERHEAD * if self.heap_timers { 1.0 } else { 2.0 };
                if self.merging {
                    file += touched.min(keys) * (SESSION_KEY_PART + kb + 26.0);
                }
                let lsm = &mut self.lsm[i];
                lsm.records = records;
                lsm.purged = purged;
                lsm.entries = entries;
                lsm.l0.push(file);
                let compacted = live + SST_OVERHEAD * 2.0;
                let uploaded;
                let deletion_heavy = d_purged >= DELETION_SHARE * (ef + d_purged).max(1.0);
                if deletion_heavy {
                    // The deletions' weight compacted the old files away; the
                    // interval's tombstones are still in its fresh L0 file.
                    lsm.l0.clear();
                    lsm.l0.push(tombstones + SST_OVERHEAD);
                    lsm.l1 = compacted;
                    uploaded = compacted + tombstones + SST_OVERHEAD;
                } else if lsm.l0.len() >= L0_TRIGGER
                    || (lsm.l1 > 0.0 && lsm.l0.iter().sum::<f64>() > lsm.l1)
                {
                    lsm.l0.clear();
                    lsm.l1 = compacted;
                    uploaded = compacted;
                } else {
                    uploaded = file;
                }
                let raw_timers = if self.heap_timers {
                    (e - s + 1) as f64 * HEAP_TIMER_KG + timers * HEAP_TIMER_EACH
                } else {
                    0.0
                };
                let fixed = self.header + PRIVATE_FILES + raw_timers;
                let state = fixed + lsm.l1 + lsm.l0.iter().sum::<f64>();
                let low = fixed + compacted;
                let high = state.max(low);
                RocksEstimate {
                    state_bytes: state.round() as u64,
                    checkpointed_bytes: if self.incremental {
                        (fixed + uploaded).round() as u64
                    } else {
                        state.round() as u64
                    },
                    state_low: low.min(state).round() as u64,
                    state_high: high.round() as u64,
                }
            })
            .collect()
    }
}

impl StateModel for RocksDbModel {
    fn checkpoint(&mut self, snap: &Snapshot) -> Vec<SubtaskSnapshot> {
        let mut subtasks = self.heap.subtasks(snap);
        for (row, est) in subtasks.iter_mut().zip(self.estimate(snap)) {
            row.state_bytes = est.state_bytes;
            row.checkpointed_bytes = est.checkpointed_bytes;
            row.state_bytes_low = est.state_low;
            row.state_bytes_high = est.state_high;
        }
        subtasks
    }
    fn key_group_bytes(&self, snap: &Snapshot) -> Vec<u64> {
        StateModel::key_group_bytes(&self.heap, snap)
    }
}
