//! TaskManager memory and snapshot time, per subtask: estimates (marked EST
//! in `shared/reference/flink-state-facts.md`, section 9), not exact.
//!
//! Heap backend: `CopyOnWriteStateMap` entries (40 B), table slots (~8 B),
//! key objects (`Long` 24 B, `Integer` 16 B, `String` 24 + 16 + chars), a
//! `TimeWindow` namespace (32 B), the value object (an `ArrayList` of ~80 B
//! plus the element objects, or an accumulator), ~80 B per heap timer and
//! ~0.65 KB per state and key group (one map per key group from 1.9), all
//! on JDK 17 with compressed oops. RocksDB keeps state off-heap; its memory
//! is bounded by the slot's managed memory (default on from 1.10).

use crate::backend::SubtaskSnapshot;
use crate::flink::serializer::ValueLayout;

/// Flink's default TaskManager (`taskmanager.memory.process.size: 1728m`,
/// one slot): task heap and managed memory, bytes.
pub const DEFAULT_TASK_HEAP: u64 = 384 << 20;
/// Managed memory of that TaskManager (0.4 of total Flink memory).
pub const DEFAULT_MANAGED: u64 = 512 << 20;
/// Upload bandwidth per subtask assumed when none is given.
pub const DEFAULT_BANDWIDTH: f64 = 100.0 * 1024.0 * 1024.0;
/// Heap snapshot serialization throughput per subtask (EST).
const SERIALIZE_BYTES_PER_S: f64 = 400.0 * 1024.0 * 1024.0;

/// What the memory model needs of the job.
#[derive(Debug, Clone, Copy)]
pub struct MemoryJob {
    /// Window value layout.
    pub value: ValueLayout,
    /// Serialized key bytes.
    pub key_bytes: f64,
    /// Serialized element bytes (mean).
    pub element_bytes: f64,
    /// Key groups of the subtask's range.
    pub key_groups: u64,
    /// Registered states (3, 4 with sessions).
    pub states: u64,
    /// Heap header + framing of the subtask's snapshot.
    pub fixed_snapshot_bytes: u64,
}

/// Heap bytes the hashmap backend holds for one subtask's window state.
pub fn heap_bytes(job: &MemoryJob, st: &SubtaskSnapshot) -> u64 {
    let e = st.entries as f64;
    let key_obj = if job.key_bytes <= 4.0 {
        16.0
    } else if job.key_bytes <= 8.0 {
        24.0
    } else {
        24.0 + ((16.0 + job.key_bytes) / 8.0).ceil() * 8.0
    };
    // An element object: the record's fields as objects (headers, boxed
    // longs, a String) take about twice the serialized bytes plus ~48 B.
    let element_obj = 2.0 * job.element_bytes + 48.0;
    let value = match job.value {
        ValueLayout::List => {
            let serialized = st.state_bytes.saturating_sub(job.fixed_snapshot_bytes) as f64
                - e * (16.0 + job.key_bytes + 4.0)
                - st.timers as f64 * (24.0 + job.key_bytes);
            let elements = (serialized / job.element_bytes.max(1.0)).max(e);
            e * 80.0 + (elements - e).max(0.0) * 6.0 + elements * element_obj
        }
        ValueLayout::Accumulator(b) => e * (24.0 + 3.0 * b as f64),
        ValueLayout::Single => e * element_obj,
    };
    let entries = e * (40.0 + 8.0 + key_obj + 32.0);
    let timers = st.timers as f64 * 80.0;
    let fixed = (job.key_groups * job.states) as f64 * 650.0;
    (entries + value + timers + fixed).round() as u64
}

/// Seconds to write one subtask's checkpoint: serialize (heap) and upload.
pub fn snapshot_seconds(heap: bool, uploaded: u64, bandwidth: f64) -> f64 {
    let up = uploaded as f64 / bandwidth.max(1.0);
    if heap {
        up + uploaded as f64 / SERIALIZE_BYTES_PER_S
    } else {
        up
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn st(entries: u64, timers: u64, state: u64) -> SubtaskSnapshot {
        SubtaskSnapshot {
            subtask: 0,
            key_group_start: 0,
            key_group_end: 127,
            state_bytes: state,
            checkpointed_bytes: state,
            state_bytes_low: state,
            state_bytes_high: state,
            checkpointed_bytes_low: state,
            checkpointed_bytes_high: state,
            entries,
            timers,
            live_keys: entries,
            nonempty_key_groups: 128,
            largest_key_group: 0,
            largest_key_group_bytes: 0,
            local_disk_bytes: 0,
            local_backup_bytes: 0,
            live_data_bytes: state,
        }
    }

    #[test]
    fn heap_memory_is_several_times_the_snapshot() {
        // ValueState<Long>-like accumulator: ~96 B per entry vs 40 serialized
        // (reference, section 9): heap must exceed the serialized bytes.
        let job = MemoryJob {
            value: ValueLayout::Accumulator(16),
            key_bytes: 8.0,
            element_bytes: 117.0,
            key_groups: 128,
            states: 3,
            fixed_snapshot_bytes: 1318 + 128 * 22,
        };
        let s = st(10_000, 10_000, 1318 + 128 * 22 + 10_000 * (40 + 32));
        let h = heap_bytes(&job, &s);
        assert!(h > 2 * s.state_bytes, "{h}");
        assert!(snapshot_seconds(true, 100 << 20, DEFAULT_BANDWIDTH) > 1.0);
    }
}
