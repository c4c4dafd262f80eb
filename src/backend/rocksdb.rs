//! RocksDB (`EmbeddedRocksDBStateBackend`) checkpoint sizes from the
//! mechanism: the bytes Flink writes into RocksDB and what RocksDB does
//! with them (`docs/rocksdb.md`; the measurements: `docs/rocksdb-facts.md`).
//!
//! - [`record`]: the window operator's writes (the simulator's
//!   [`crate::sim::writes::StateWrites`]) become RocksDB operations per
//!   subtask: list appends as MERGE, accumulators and reduced values as
//!   PUT, purges as DELETE, timers through the timer queue's cache
//!   ([`timers`]) and a write batch of 500;
//! - [`layout`]: the column families, keys and values Flink writes;
//! - [`lsm`]: memtables charged to the slot's write-buffer manager in arena
//!   blocks, its flushes, the checkpoint's flushes, L0 → L1 compactions;
//! - [`sst`]: the SST files' bytes (a byte-exact block-based table
//!   builder, FRocksDB 6.20 and 8.10);
//! - here: what each checkpoint uploads ([`LsmModel`]): the meta stream,
//!   every live SST (shared: new ones only for incremental checkpoints;
//!   native full checkpoints upload all as private), and the private
//!   MANIFEST, OPTIONS and CURRENT.
//!
//! The write-buffer manager's capacity follows the slot's managed memory
//! ([`wbm_capacity`]); without TaskManager memory options, Flink runs the
//! job in a local MiniCluster (128 MiB managed memory shared by the
//! slots, one slot per subtask), which is what statecap assumes then.
//!
//! The range: compactions run in the background. The expected value has
//! the compactions a checkpoint's own flushes trigger start after its
//! files are listed (as measured almost always); the low end has them
//! finished before the listing; the high end has the last compaction of
//! each column family since the previous barrier still running (its input
//! files live). Measured values sit on the expected value on Flink 2.x,
//! and scatter across the range on 1.x (compaction order varies).
//!
//! Session windows do not report their writes yet; for them (and in the
//! sampled and analytic modes, which do not replay every write) the
//! earlier per-entry estimate, [`RocksDbModel`], stands, said in the mode
//! line.
//!
//! The estimate, for those cases: the mechanism modelled, per subtask:
//! - every checkpoint flushes the memtable into a new L0 SST file per column
//!   family; the file holds what the interval wrote, the new timers, and a
//!   tombstone for every entry and timer deleted;
//! - L0 and L1 are compacted into one L1 holding only the live data when L0
//!   reaches the file-count trigger, or when the interval deleted a large
//!   share of the entries;
//! - per-entry constants for the SST bytes of Flink's window state (prefix
//!   sharing, Snappy), compared with 24 measured runs of Flink 1.20.5.

pub mod fit;
pub mod layout;
pub mod lsm;
pub mod record;
pub mod sst;
pub mod timers;

pub use record::{RecorderSetup, ReplaySample, RocksWrites, SharedLog};

use std::collections::HashSet;

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
    /// Range of `checkpointed_bytes` over the same timing: an incremental
    /// checkpoint uploads at least the interval's new L0 file (nothing
    /// compacted before the listing) and at most the compaction's new
    /// files with it (all compacted); a full one uploads the state.
    pub checkpointed_low: u64,
    /// ... high end.
    pub checkpointed_high: u64,
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
    /// Each subtask's `state_bytes` at the previous checkpoint.
    prev_state: Vec<u64>,
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
            prev_state: vec![0; parallelism as usize],
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
                let (ck, ck_low, ck_high) = if self.incremental {
                    let expected = fixed + uploaded;
                    (
                        expected,
                        expected.min(fixed + file),
                        expected.max(fixed + compacted + file),
                    )
                } else {
                    (state, low.min(state), high)
                };
                RocksEstimate {
                    state_bytes: state.round() as u64,
                    checkpointed_bytes: ck.round() as u64,
                    state_low: low.min(state).round() as u64,
                    state_high: high.round() as u64,
                    checkpointed_low: ck_low.round() as u64,
                    checkpointed_high: ck_high.round() as u64,
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
            // The uploaded bytes' own range: the state's (all compacted vs
            // not) is not the upload's, whose compacted case uploads more.
            row.checkpointed_bytes_low = est.checkpointed_low;
            row.checkpointed_bytes_high = est.checkpointed_high;
            // The working directory, estimated: every file of the high end
            // (L0 files not yet compacted), and a full compaction's output
            // (the low end's files) written beside its inputs.
            row.local_disk_bytes = est.state_high + est.state_low;
            // With local recovery, the previous checkpoint's files stay
            // until this one completes; a compaction may have dropped all.
            let prev = &mut self.prev_state[row.subtask as usize];
            row.local_backup_bytes = *prev;
            *prev = est.state_bytes;
        }
        subtasks
    }
    fn key_group_bytes(&self, snap: &Snapshot) -> Vec<u64> {
        StateModel::key_group_bytes(&self.heap, snap)
    }
}

/// Share of the SST bytes added on both sides of the range for what its
/// variants do not enumerate (payload compressibility: two random draws of
/// the same kind differ by ~0.3 %; flush boundaries of Flink 1.x, which
/// move with the interleaving of timer batches and state writes).
pub const SST_MARGIN: f64 = 0.015;

/// `CURRENT`: the MANIFEST's name and a newline.
pub const CURRENT_BYTES: u64 = 16;
/// The meta stream's bytes for the two timer queues' meta info, absent
/// when timers live on the heap (measured: 1492 vs 789 B, FACTS §1).
pub const TIMER_QUEUES_META: u64 = 703;

/// `OPTIONS-NNNNNN`: a fixed part (with the instance and log paths of the
/// measured runs, ~60 characters each: a deployment's paths change it by
/// 2 bytes per character) and per column family its two sections, which
/// name it twice. Measured on Flink 1.20.5 (17463 B with 4 column
/// families, 21117 with 5, 10115 with 2) and 2.2.1 (21341, 12036).
pub fn options_bytes<S: AsRef<str>>(version: sst::RocksVersion, cfs: &[S]) -> u64 {
    let (base, per_cf) = match version {
        sst::RocksVersion::V6_20 => (2817, 3616),
        sst::RocksVersion::V8_10 => (2780, 4595),
    };
    base + cfs
        .iter()
        .map(|n| per_cf + 2 * n.as_ref().len() as u64)
        .sum::<u64>()
}

/// Local MiniCluster managed memory (`MiniClusterConfiguration`'s default
/// TaskManager: 128 MiB for all slots).
pub const MINICLUSTER_MANAGED: u64 = 128 << 20;

/// Where the write-buffer manager's capacity came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WbmCapacity {
    /// Bytes (`2/3 · managed memory per slot · write-buffer-ratio 0.5`).
    pub bytes: u64,
    /// Managed memory per slot.
    pub managed_per_slot: u64,
    /// Whether the local MiniCluster default was assumed.
    pub minicluster: bool,
}

/// The write-buffer manager's capacity per slot for a job of `parallelism`
/// from its Flink configuration: `taskmanager.memory.managed.size`, or
/// `managed.fraction` (0.4) of `taskmanager.memory.flink.size` (or of
/// `process.size` less JVM metaspace 256 MiB and overhead 10 % in
/// 192 MiB..1 GiB), over `taskmanager.numberOfTaskSlots` (1); without any
/// of them, the MiniCluster's 128 MiB over one slot per subtask.
pub fn wbm_capacity(
    conf: &std::collections::BTreeMap<String, String>,
    parallelism: u32,
) -> WbmCapacity {
    use crate::flink::units::parse_memory_size;
    let get = |k: &str| conf.get(k).and_then(|v| parse_memory_size(v).ok());
    let fraction = conf
        .get("taskmanager.memory.managed.fraction")
        .and_then(|v| v.trim().parse::<f64>().ok())
        .unwrap_or(0.4);
    let ratio = conf
        .get("state.backend.rocksdb.memory.write-buffer-ratio")
        .and_then(|v| v.trim().parse::<f64>().ok())
        .unwrap_or(0.5);
    let slots = conf
        .get("taskmanager.numberOfTaskSlots")
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(1)
        .max(1);
    let managed = get("taskmanager.memory.managed.size").or_else(|| {
        let flink = get("taskmanager.memory.flink.size").or_else(|| {
            get("taskmanager.memory.process.size").map(|p| {
                let overhead = ((p as f64 * 0.1) as u64).clamp(192 << 20, 1 << 30);
                p.saturating_sub(256 << 20).saturating_sub(overhead)
            })
        })?;
        Some((flink as f64 * fraction) as u64)
    });
    let (per_slot, minicluster) = match managed {
        Some(m) => (m / slots, false),
        None => (MINICLUSTER_MANAGED / parallelism.max(1) as u64, true),
    };
    WbmCapacity {
        bytes: (2.0 * per_slot as f64 * ratio / 3.0) as u64,
        managed_per_slot: per_slot,
        minicluster,
    }
}

/// The RocksDB model fed by the write stream ([`record`]): one per
/// backend option, all reading the same log.
pub struct LsmModel {
    log: SharedLog,
    next: usize,
    heap: HeapModel,
    incremental: bool,
    heap_timers: bool,
    meta: u64,
    prev: Vec<HashSet<u64>>,
    /// Each subtask's previous checkpoint: its SST files and private bytes
    /// (what a retained local copy holds).
    prev_local: Vec<(Vec<(u64, u64)>, u64)>,
}

impl LsmModel {
    /// The model of `job` reading `log`.
    pub fn new(job: &BackendJob, incremental: bool, heap: HeapModel, log: SharedLog) -> Self {
        let header = heap.header();
        LsmModel {
            log,
            next: 0,
            incremental,
            heap_timers: job.heap_timers,
            meta: if job.heap_timers {
                header.saturating_sub(TIMER_QUEUES_META)
            } else {
                header
            },
            prev: vec![HashSet::new(); job.layout.parallelism as usize],
            prev_local: vec![(Vec::new(), 0); job.layout.parallelism as usize],
            heap,
        }
    }
}

impl StateModel for LsmModel {
    fn checkpoint(&mut self, snap: &Snapshot) -> Vec<SubtaskSnapshot> {
        let mut rows = self.heap.subtasks(snap);
        let Ok(log) = self.log.lock() else {
            return rows;
        };
        let Some(cp) = log.checkpoints.get(self.next) else {
            return rows;
        };
        self.next += 1;
        let version = log.version.unwrap_or(sst::RocksVersion::V6_20);
        let private = options_bytes(version, &log.cfs) + CURRENT_BYTES;
        // Per subtask and listing variant (expected, compacted,
        // uncompacted, early): SST bytes, of them new, MANIFEST bytes.
        let sst = |i: usize, l: &record::Listing| {
            let prev = &self.prev[i];
            let all: u64 = l.files.iter().map(|f| f.1).sum();
            let new: u64 = l
                .files
                .iter()
                .filter(|f| !prev.contains(&f.0))
                .map(|f| f.1)
                .sum();
            (all, new, l.manifest)
        };
        let own: Vec<[(u64, u64, u64); 4]> = cp
            .iter()
            .enumerate()
            .map(|(i, l)| {
                [
                    sst(i, &l.expected),
                    sst(i, &l.compacted),
                    sst(i, &l.uncompacted),
                    sst(i, &l.early),
                ]
            })
            .collect();
        for row in rows.iter_mut() {
            let i = row.subtask as usize;
            let raw_timers = if self.heap_timers {
                (row.key_group_end - row.key_group_start + 1) as u64 * HEAP_TIMER_KG as u64
                    + row.timers * HEAP_TIMER_EACH as u64
            } else {
                0
            };
            let fixed = self.meta + private + raw_timers;
            // A subtask a sampled replay left out: the replayed one's
            // files, scaled by their records.
            let (src, ratio) = log.proxy.get(i).copied().flatten().unwrap_or((i, 1.0));
            let Some(variants) = own.get(src) else {
                continue;
            };
            let scale = |b: u64| (b as f64 * ratio).round() as u64;
            let all = variants.map(|(sst_all, sst_new, manifest)| {
                let state = fixed + manifest + scale(sst_all);
                let ck = if self.incremental {
                    fixed + manifest + scale(sst_new)
                } else {
                    state
                };
                (state, ck)
            });
            let e = all[0];
            // What the variants do not enumerate: SST bytes move with the
            // payloads' compressibility and with flush boundaries that
            // shift when writes interleave differently.
            let margin = (scale(variants[0].0) as f64 * SST_MARGIN) as u64;
            row.state_bytes = e.0;
            row.checkpointed_bytes = e.1;
            row.state_bytes_low = all
                .iter()
                .map(|v| v.0)
                .min()
                .unwrap_or(e.0)
                .saturating_sub(margin);
            row.state_bytes_high = all.iter().map(|v| v.0).max().unwrap_or(e.0) + margin;
            row.checkpointed_bytes_low = all
                .iter()
                .map(|v| v.1)
                .min()
                .unwrap_or(e.1)
                .saturating_sub(margin);
            row.checkpointed_bytes_high = all.iter().map(|v| v.1).max().unwrap_or(e.1) + margin;
            // The working directory at its fullest: every file of any
            // variant (a compaction's inputs beside its outputs), the live
            // MANIFEST, OPTIONS and CURRENT, and their copies in the native
            // checkpoint's directory (its SSTs are hard links). A subtask a
            // sampled replay left out: the replayed one's, scaled.
            let Some(lst) = cp.get(src) else {
                continue;
            };
            let mut on_disk: Vec<(u64, u64)> =
                [&lst.expected, &lst.compacted, &lst.uncompacted, &lst.early]
                    .iter()
                    .flat_map(|l| l.files.iter().copied())
                    .collect();
            on_disk.sort_unstable();
            on_disk.dedup_by_key(|f| f.0);
            let manifest = [&lst.expected, &lst.compacted, &lst.uncompacted, &lst.early]
                .iter()
                .map(|l| l.manifest)
                .max()
                .unwrap_or(0);
            let ssts: u64 = scale(on_disk.iter().map(|f| f.1).sum());
            let own_private = private + lst.expected.manifest;
            row.local_disk_bytes = ssts + manifest + private + own_private;
            // Local recovery keeps the previous checkpoint's directory until
            // this one completes: its files no longer live, and its copies.
            let (prev_files, prev_private) = &self.prev_local[i];
            row.local_backup_bytes = prev_files
                .iter()
                .filter(|f| on_disk.binary_search_by_key(&f.0, |g| g.0).is_err())
                .map(|f| f.1)
                .sum::<u64>()
                + prev_private;
            let kept: Vec<(u64, u64)> = lst
                .expected
                .files
                .iter()
                .map(|&(n, b)| (n, scale(b)))
                .collect();
            self.prev_local[i] = (kept, own_private);
        }
        for (i, l) in cp.iter().enumerate() {
            self.prev[i] = l.expected.files.iter().map(|f| f.0).collect();
        }
        rows
    }
    fn key_group_bytes(&self, snap: &Snapshot) -> Vec<u64> {
        StateModel::key_group_bytes(&self.heap, snap)
    }
}
