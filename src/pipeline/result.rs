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
