//! From what the simulator saw at a barrier to what each backend writes:
//! snapshot bytes per subtask, what the checkpoint uploads, and whether the
//! checkpoint storage accepts it.
//!
//! The seam: a backend is one file that turns what the simulator saw at a
//! barrier ([`Snapshot`], per key group) into bytes per subtask, behind
//! [`StateModel`]; [`model_for`] picks the file for a configuration.
//! - [`heap`]: the heap (hashmap / memory / fs) full snapshot, exact:
//!   header, the framing of every key group of the subtask's range (empty
//!   ones too), and the entries; Snappy-compressed as an estimate
//!   ([`compression`]).
//! - [`rocksdb`]: RocksDB's writes, memtables, flushes, compactions and SST
//!   bytes per subtask, replayed from the operator's write stream, and
//!   what each checkpoint uploads; a range for compaction timing.
//!
//! [`memory`] estimates TaskManager memory and snapshot time; the
//! checkpoint storage's limits are applied by [`storage_verdict`].

pub mod compression;
pub mod heap;
pub mod memory;
pub mod rocksdb;

pub use heap::HeapModel;

use crate::flink::serializer::ValueLayout;
use crate::flink::{Backend, KeyGroupLayout, ResolvedConfig, Storage};
use crate::scenario::PayloadKind;
use crate::sim::Snapshot;

/// What a backend model needs to know of one operator and its traffic.
#[derive(Debug, Clone)]
pub struct BackendJob {
    /// Key groups and subtasks.
    pub layout: KeyGroupLayout,
    /// The operator's value layout.
    pub value: ValueLayout,
    /// Merging (session) windows.
    pub merging: bool,
    /// Windows each element belongs to (`size / slide` for sliding).
    pub copies: f64,
    /// Mean serialized key bytes.
    pub key_bytes: f64,
    /// Mean serialized element bytes.
    pub element_bytes: f64,
    /// Snappy-compressed snapshots (`execution.checkpointing.snapshot-compression`).
    pub compression: bool,
    /// What the records carry (for compression estimates).
    pub payload: PayloadKind,
    /// Timers on the heap (`state.backend.rocksdb.timer-service.factory: HEAP`).
    pub heap_timers: bool,
    /// The heap snapshot's header and per-key-group framing when the
    /// operator is not a window (a process or dedup operator's declared
    /// states); `None`: the window operator's.
    pub heap_format: Option<(u64, u64)>,
}

/// A backend's bytes for one operator, checkpoint after checkpoint (a
/// model may keep state between checkpoints, as RocksDB's files do).
pub trait StateModel {
    /// Every subtask's share of the checkpoint at this barrier.
    fn checkpoint(&mut self, snap: &Snapshot) -> Vec<SubtaskSnapshot>;
    /// Bytes of every key group in the snapshot stream (skew).
    fn key_group_bytes(&self, snap: &Snapshot) -> Vec<u64>;
}

/// The model of the backend `config` selects, for `job`; for RocksDB, fed
/// by the operator's write stream when `rocks_log` has one (else the
/// per-entry estimate).
pub fn model_for(
    config: &ResolvedConfig,
    job: &BackendJob,
    rocks_log: Option<&rocksdb::SharedLog>,
) -> Box<dyn StateModel> {
    let heap = HeapModel::for_job(job);
    match (config.backend, rocks_log) {
        (Backend::RocksDb, Some(log)) => Box::new(rocksdb::LsmModel::new(
            job,
            config.incremental,
            HeapModel::for_job(&BackendJob {
                compression: false,
                ..job.clone()
            }),
            log.clone(),
        )),
        (Backend::RocksDb, None) => {
            Box::new(rocksdb::RocksDbModel::new(job, config.incremental, heap))
        }
        _ => Box::new(heap),
    }
}

/// One subtask's share of a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SubtaskSnapshot {
    /// Subtask index.
    pub subtask: u32,
    /// First key group of its range.
    pub key_group_start: u32,
    /// Last key group of its range (inclusive).
    pub key_group_end: u32,
    /// Keyed-state snapshot size (Flink `getStateSize()`), header included.
    pub state_bytes: u64,
    /// Bytes this checkpoint uploaded (`getCheckpointedSize()`).
    pub checkpointed_bytes: u64,
    /// Low end of the range of `state_bytes` (= it where the model is exact).
    pub state_bytes_low: u64,
    /// High end of the range of `state_bytes`.
    pub state_bytes_high: u64,
    /// Low end of the range of `checkpointed_bytes`.
    pub checkpointed_bytes_low: u64,
    /// High end of the range of `checkpointed_bytes`.
    pub checkpointed_bytes_high: u64,
    /// Live (key, window) entries.
    pub entries: u64,
    /// Live timers.
    pub timers: u64,
    /// Keys with state.
    pub live_keys: u64,
    /// Key groups holding any entry.
    pub nonempty_key_groups: u32,
    /// The key group with the most bytes, and its bytes.
    pub largest_key_group: u32,
    /// Bytes of that key group.
    pub largest_key_group_bytes: u64,
    /// RocksDB: the subtask's working directory at its fullest around this
    /// checkpoint: every live SST file (L0 files not yet compacted, a
    /// compaction's inputs beside its outputs), MANIFEST, OPTIONS and
    /// CURRENT, and the native checkpoint's local directory while it uploads
    /// (its SSTs hard links to live files, its MANIFEST, OPTIONS and CURRENT
    /// copies). 0 for heap backends.
    pub local_disk_bytes: u64,
    /// RocksDB with local recovery: what the retained local copy of the
    /// previous checkpoint adds (its SST files compaction has since dropped,
    /// its private files). Heap backends: the local copy of this snapshot.
    pub local_backup_bytes: u64,
    /// Uncompressed bytes of the live keys and values (the heap snapshot
    /// format's bytes): the data a block cache would hold to serve every
    /// live window from memory.
    pub live_data_bytes: u64,
}

/// Whether the checkpoint storage took the checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum CheckpointStatus {
    /// Every subtask acknowledged.
    Completed,
    /// A subtask declined.
    Failed {
        /// The largest subtask over the limit. Which subtask Flink reports
        /// first is not deterministic (1.9: every subtask over the limit
        /// declines; 1.20: the others are cancelled after the first).
        subtask: u32,
        /// Its stream size.
        size: u64,
        /// The limit.
        max_size: u64,
        /// Subtasks over the limit (all decline in 1.9).
        over_limit: Vec<u32>,
        /// Flink's exception text.
        message: String,
    },
}

impl CheckpointStatus {
    /// `completed` or `failed`.
    pub fn name(&self) -> &'static str {
        match self {
            CheckpointStatus::Completed => "completed",
            CheckpointStatus::Failed { .. } => "failed",
        }
    }
}

/// Applies the checkpoint storage's limits to one checkpoint.
pub fn storage_verdict(config: &ResolvedConfig, subtasks: &[SubtaskSnapshot]) -> CheckpointStatus {
    match config.storage {
        Storage::JobManager { max_state_size } => {
            let over: Vec<&SubtaskSnapshot> = subtasks
                .iter()
                .filter(|s| s.state_bytes > max_state_size)
                .collect();
            match over
                .iter()
                .max_by_key(|s| (s.state_bytes, std::cmp::Reverse(s.subtask)))
            {
                None => CheckpointStatus::Completed,
                Some(worst) => CheckpointStatus::Failed {
                    subtask: worst.subtask,
                    size: worst.state_bytes,
                    max_size: max_state_size,
                    over_limit: over.iter().map(|s| s.subtask).collect(),
                    message: config.size_exceeded_message(worst.state_bytes, max_state_size),
                },
            }
        }
        Storage::FileSystem { .. } => CheckpointStatus::Completed,
    }
}
