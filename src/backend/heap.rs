//! The heap backend (hashmap / memory / fs): the full snapshot is exact:
//! header, the framing of every key group of the subtask's range (empty
//! ones too), and the entries (`HeapSnapshotStrategy`,
//! `KeyGroupRangeOffsets`).

use super::compression::Compression;
use super::{BackendJob, StateModel, SubtaskSnapshot};
use crate::flink::KeyGroupLayout;
use crate::flink::serializer::{ValueLayout, header_bytes, key_group_framing};
use crate::sim::Snapshot;

/// The heap backend's snapshot model for one operator.
#[derive(Debug, Clone)]
pub struct HeapModel {
    layout: KeyGroupLayout,
    header: u64,
    framing: u64,
    compression: Option<Compression>,
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

    /// The model of a job's operator (compressed if the job says so).
    pub fn for_job(job: &BackendJob) -> Self {
        let mut heap = HeapModel::new(job.layout.clone(), job.value, job.merging);
        if let Some((header, framing)) = job.heap_format {
            heap.header = header;
            heap.framing = framing;
        }
        if !job.compression {
            return heap;
        }
        heap.with_compression(Compression {
            value: job.value,
            key_bytes: job.key_bytes,
            element_bytes: job.element_bytes,
            copies: job.copies,
            merging: job.merging,
            payload: job.payload,
        })
    }

    /// Snappy-compressed snapshots (an estimate; see [`compression`](super::compression)).
    pub fn with_compression(mut self, c: Compression) -> Self {
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
                    checkpointed_bytes_low: 0,
                    checkpointed_bytes_high: 0,
                    entries: 0,
                    timers: 0,
                    live_keys: 0,
                    nonempty_key_groups: 0,
                    largest_key_group: s,
                    largest_key_group_bytes: 0,
                    local_disk_bytes: 0,
                    local_backup_bytes: 0,
                    live_data_bytes: 0,
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
                row.checkpointed_bytes_low = row.state_bytes;
                row.checkpointed_bytes_high = row.state_bytes;
                row.live_data_bytes = row.state_bytes;
                // A local copy of the previous snapshot (local recovery).
                row.local_backup_bytes = row.state_bytes;
                row
            })
            .collect()
    }
}

impl StateModel for HeapModel {
    fn checkpoint(&mut self, snap: &Snapshot) -> Vec<SubtaskSnapshot> {
        self.subtasks(snap)
    }
    fn key_group_bytes(&self, snap: &Snapshot) -> Vec<u64> {
        (0..snap.kg_bytes.len())
            .map(|kg| HeapModel::key_group_bytes(self, snap, kg))
            .collect()
    }
}
