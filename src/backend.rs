//! From what the simulator saw at a barrier to what each backend writes:
//! snapshot bytes per subtask, what the checkpoint uploads, and whether the
//! checkpoint storage accepts it.
//!
//! The heap (hashmap / memory / fs) full snapshot is exact: header, the
//! framing of every key group of the subtask's range (empty ones too), and
//! the entries (`HeapSnapshotStrategy`, `KeyGroupRangeOffsets`).

pub mod compression;
pub mod memory;
pub mod rocksdb;

use crate::flink::serializer::{ValueLayout, header_bytes, key_group_framing};
use crate::flink::{KeyGroupLayout, ResolvedConfig, Storage};
use crate::sim::Snapshot;

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

/// The heap backend's snapshot model for one operator.
#[derive(Debug, Clone)]
pub struct HeapModel {
    layout: KeyGroupLayout,
    header: u64,
    framing: u64,
    compression: Option<compression::Compression>,
}

impl HeapModel {
    /// For a window operator with this value layout.
    pub fn new(layout: KeyGroupLayout, value: ValueLayout, merging: bool) -> Self {
        HeapModel {
            layout,
            header: header_bytes(value, merging),
            framing: key_group_framing(merging),
            compression: None,
        }
    }

    /// Snappy-compressed snapshots (an estimate; see [`compression`]).
    pub fn with_compression(mut self, c: compression::Compression) -> Self {
        self.compression = Some(c);
        self
    }

    /// Whether the bytes are exact (uncompressed heap format).
    pub fn is_exact(&self) -> bool {
        self.compression.is_none()
    }

    /// The header of every subtask's stream.
    pub fn header(&self) -> u64 {
        self.header
    }

    /// Bytes of key group `kg` in the snapshot stream.
    pub fn key_group_bytes(&self, snap: &Snapshot, kg: usize) -> u64 {
        match &self.compression {
            None => self.framing + snap.kg_bytes[kg],
            Some(c) => c.key_group(
                snap.kg_bytes[kg],
                snap.kg_entries[kg],
                snap.kg_timers[kg],
                snap.kg_live_keys[kg],
            ),
        }
    }

    /// Per-subtask snapshot of a barrier.
    pub fn subtasks(&self, snap: &Snapshot) -> Vec<SubtaskSnapshot> {
        (0..self.layout.parallelism)
            .map(|i| {
                let (s, e) = self.layout.range_of(i);
                let mut row = SubtaskSnapshot {
                    subtask: i,
                    key_group_start: s,
                    key_group_end: e,
                    state_bytes: self.header,
                    checkpointed_bytes: 0,
                    state_bytes_low: 0,
                    state_bytes_high: 0,
                    entries: 0,
                    timers: 0,
                    live_keys: 0,
                    nonempty_key_groups: 0,
                    largest_key_group: s,
                    largest_key_group_bytes: 0,
                };
                for kg in s as usize..=e as usize {
                    let b = self.key_group_bytes(snap, kg);
                    row.state_bytes += b;
                    row.entries += snap.kg_entries[kg];
                    row.timers += snap.kg_timers[kg];
                    row.live_keys += snap.kg_live_keys[kg];
                    row.nonempty_key_groups += (snap.kg_bytes[kg] > 0) as u32;
                    if b > row.largest_key_group_bytes {
                        row.largest_key_group = kg as u32;
                        row.largest_key_group_bytes = b;
                    }
                }
                row.checkpointed_bytes = row.state_bytes;
                row.state_bytes_low = row.state_bytes;
                row.state_bytes_high = row.state_bytes;
                row
            })
            .collect()
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
