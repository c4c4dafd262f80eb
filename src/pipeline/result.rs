//! What a simulation predicts: per scenario and backend option, per
//! operator, per checkpoint, per subtask.

use super::mode::Mode;
use crate::backend::{CheckpointStatus, SubtaskSnapshot};
use crate::sim::RunStats;

/// One checkpoint of one operator.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CheckpointResult {
    /// Checkpoint number, from 1.
    pub checkpoint: u64,
    /// Records before the barrier.
    pub records: u64,
    /// Event time or processing time at the barrier.
    pub time_ms: i64,
    /// Watermark at the barrier (event time).
    pub watermark_ms: Option<i64>,
    /// Live window extents (sessions for session windows).
    pub live_windows: u64,
    /// Every subtask.
    pub subtasks: Vec<SubtaskSnapshot>,
    /// Whether the storage took it.
    pub status: CheckpointStatus,
    /// Every subtask's registered states (`[subtask][state]`, states as
    /// [`OperatorResult::states`] names them), summed over the subtask's
    /// key groups; empty when the run does not tell states apart (the
    /// sampled and analytic modes).
    #[serde(skip)]
    pub states: Vec<Vec<StateBytes>>,
}

/// One registered state of one subtask at one checkpoint, in Flink's heap
/// snapshot format (uncompressed).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct StateBytes {
    /// Bytes of its entries (namespace, key and value of every entry; a
    /// timer's bytes), without the per-key-group framing.
    pub entry_bytes: u64,
    /// Its entries: a key's value, list or map; a (key, window) entry; a
    /// timer.
    pub entries: u64,
}

/// What Flink's heap snapshot adds around the states' entries: per key
/// group, its id and each state's id and entry count; per subtask, the
/// header (the states' meta info).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct HeapFraming {
    /// The header (the key serializer and every state's meta info).
    pub header: u64,
    /// Per key group: its id (4 bytes).
    pub key_group_id: u64,
    /// Per key group and state: the state id and entry count (6 bytes).
    pub per_state: u64,
}

impl HeapFraming {
    /// A state's framing over `key_groups` key groups.
    pub fn state_framing(&self, key_groups: u64) -> u64 {
        self.per_state * key_groups
    }
    /// The header and key-group ids of a subtask of `key_groups` key
    /// groups.
    pub fn subtask_framing(&self, key_groups: u64) -> u64 {
        self.header + self.key_group_id * key_groups
    }
}

impl CheckpointResult {
    /// The largest subtask's state bytes.
    pub fn max_state_bytes(&self) -> u64 {
        self.subtasks
            .iter()
            .map(|s| s.state_bytes)
            .max()
            .unwrap_or(0)
    }
    /// The largest subtask.
    pub fn max_subtask(&self) -> &SubtaskSnapshot {
        self.subtasks
            .iter()
            .max_by_key(|s| (s.state_bytes, std::cmp::Reverse(s.subtask)))
            .expect("at least one subtask")
    }
    /// All subtasks' state bytes.
    pub fn total_state_bytes(&self) -> u64 {
        self.subtasks.iter().map(|s| s.state_bytes).sum()
    }
}

/// Everything predicted for one operator.
#[derive(Debug, Clone, serde::Serialize)]
pub struct OperatorResult {
    /// Operator name.
    pub name: String,
    /// Every checkpoint, in order.
    pub checkpoints: Vec<CheckpointResult>,
    /// Index in `checkpoints` of the one with the largest subtask.
    pub peak: Option<usize>,
    /// Bytes of every key group at the peak checkpoint.
    pub peak_key_group_bytes: Vec<u64>,
    /// Its registered keyed states, as Flink names them (see
    /// [`CheckpointResult::states`]).
    pub states: Vec<String>,
    /// The heap snapshot's framing and header around the states' entries.
    pub framing: HeapFraming,
    /// Counts over the run.
    pub stats: RunStats,
}

/// Everything predicted for one scenario.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ScenarioResult {
    /// Scenario name.
    pub name: String,
    /// Backend short name.
    pub backend: &'static str,
    /// Storage short name.
    pub storage: &'static str,
    /// Operators, in file order.
    pub operators: Vec<OperatorResult>,
    /// How the state was predicted: `Exact`, `Sampled` or `Analytic`.
    #[serde(skip)]
    pub mode: Mode,
    /// RocksDB bytes replayed from every write (else the per-entry
    /// estimate).
    #[serde(skip)]
    pub rocksdb_replayed: bool,
    /// How RocksDB bytes were made: the full or a sampled replay, or the
    /// estimate (and why).
    #[serde(skip)]
    pub rocksdb_replay: super::replay::Replay,
    /// A sampled run's error bound on an estimated subtask's state bytes
    /// (a fraction, about 95%).
    #[serde(skip)]
    pub sampled_error: Option<f64>,
}

impl serde::Serialize for RunStats {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("RunStats", 3)?;
        st.serialize_field("records", &self.records)?;
        st.serialize_field("dropped_late", &self.dropped_late)?;
        st.serialize_field("windows_purged", &self.windows_purged)?;
        st.end()
    }
}
