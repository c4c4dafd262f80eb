//! What RocksDB needs of a TaskManager: its memory, as Flink sizes it from
//! the configuration (`RocksDBMemoryConfiguration`,
//! `RocksDBSharedResourcesFactory`, `RocksDBMemoryControllerUtils`), and
//! its local disk, summed over the slots of one TaskManager.
//!
//! Memory, per slot (all RocksDB instances of a slot share one block cache
//! and one write-buffer manager):
//! - which budget: `state.backend.rocksdb.memory.fixed-per-slot` when set;
//!   else, with `state.backend.rocksdb.memory.managed` (default true from
//!   1.10), the slot's managed memory (`taskmanager.memory.managed.size`, or
//!   `managed.fraction` (0.4) of `taskmanager.memory.flink.size`, or of
//!   `process.size` less JVM metaspace (256 MiB) and overhead (0.1, within
//!   192 MiB..1 GiB), divided by `taskmanager.numberOfTaskSlots`; RocksDB
//!   is the slot's only managed-memory consumer in a streaming job, so it
//!   takes all of it); else `state.backend.rocksdb.memory.fixed-per-tm`
//!   (from 1.17) shared by every slot; else nothing bounds it (per column
//!   family write buffers and block cache, Flink before 1.10 too);
//! - the split: block cache `(3 − r)/3 · M`, write-buffer manager
//!   `2r/3 · M` charged to that cache, `r` = `write-buffer-ratio` (0.5);
//!   the cache's high-priority pool (`high-prio-pool-ratio`, 0.1) holds the
//!   index and filter blocks (Flink sets `cache_index_and_filter_blocks`
//!   with high priority when memory is shared);
//! - memtables flush early when the written column families' memtables,
//!   one arena block each (`write_buffer_size / 8`: 8 MiB on FRocksDB 6.20,
//!   capped at 1 MiB on 8.10) plus the 2 KiB inline block, exceed the
//!   write-buffer manager's mutable limit (7/8 of its capacity): then it
//!   flushes on nearly every write (Flink's own check,
//!   `RocksDBOperationUtils.sanityCheckArenaBlockSize`, warns for one
//!   column family: "RocksDB will flush memtable constantly").

use std::collections::BTreeMap;

use super::MINICLUSTER_MANAGED;
use crate::flink::FlinkVersion;
use crate::flink::units::parse_memory_size;

/// `Arena::kInlineSize`: what a written memtable charges before its first
/// arena block.
pub const INLINE_BLOCK: u64 = 2048;
/// RocksDB's default `write_buffer_size` (Flink leaves it).
pub const WRITE_BUFFER_SIZE: u64 = 64 << 20;

/// Where the slot's RocksDB memory comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Budget {
    /// The slot's managed memory (`taskmanager.memory.*`).
    Managed,
    /// No TaskManager memory configured: the local MiniCluster's 128 MiB
    /// over one slot per subtask (an assumption, said as one).
    MiniCluster,
    /// `state.backend.rocksdb.memory.fixed-per-slot`.
    FixedPerSlot,
    /// `state.backend.rocksdb.memory.fixed-per-tm`, shared by the slots.
    FixedPerTm,
    /// Nothing bounds it: `memory.managed: false` and no fixed size, or a
    /// Flink version before 1.10.
    Unbounded,
}

/// The slot's RocksDB memory and how Flink splits it.
#[derive(Debug, Clone, PartialEq)]
pub struct MemoryFit {
    /// Where the budget comes from.
    pub budget: Budget,
    /// The configuration key (or default) that decided it, as Flink names it.
    pub decided_by: String,
    /// Slots per TaskManager (`taskmanager.numberOfTaskSlots`, 1).
    pub slots: u64,
    /// Bytes for all RocksDB instances of one slot (0 when unbounded).
    pub per_slot: u64,
    /// `write-buffer-ratio`.
    pub write_buffer_ratio: f64,
    /// `high-prio-pool-ratio`.
    pub high_prio_ratio: f64,
    /// Block cache capacity: `(3 − r)/3 · per_slot`.
    pub cache: u64,
    /// Write-buffer manager capacity: `2r/3 · per_slot`.
    pub write_buffers: u64,
    /// Its mutable limit: 7/8 of the capacity.
    pub mutable_limit: u64,
    /// The cache's high-priority pool (index and filter blocks).
    pub high_prio_pool: u64,
    /// Arena block of one memtable.
    pub arena_block: u64,
}

impl MemoryFit {
    /// What the written column families' memtables take before a write
    /// buffer is ever full: one arena block and the inline block each.
    pub fn memtables_need(&self, written_cfs: u64) -> u64 {
        written_cfs * (self.arena_block + INLINE_BLOCK)
    }

    /// Whether memtables flush long before they are full: the write-buffer
    /// manager's mutable limit cannot hold one arena block per written
    /// column family.
    pub fn flushes_early(&self, written_cfs: u64) -> bool {
        self.budget != Budget::Unbounded && self.memtables_need(written_cfs) > self.mutable_limit
    }
}

fn conf_f64(conf: &BTreeMap<String, String>, key: &str) -> Option<f64> {
    conf.get(key).and_then(|v| v.trim().parse::<f64>().ok())
}

fn conf_size(conf: &BTreeMap<String, String>, key: &str) -> Option<u64> {
    conf.get(key).and_then(|v| parse_memory_size(v).ok())
}

fn conf_bool(conf: &BTreeMap<String, String>, key: &str) -> Option<bool> {
    conf.get(key)
        .and_then(|v| match v.trim().to_ascii_lowercase().as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        })
}

/// Slots per TaskManager: `taskmanager.numberOfTaskSlots` (1).
pub fn slots(conf: &BTreeMap<String, String>) -> u64 {
    conf.get("taskmanager.numberOfTaskSlots")
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(1)
        .max(1)
}

/// The TaskManager's managed memory from its configuration, and the key
/// that decided it; `None` when no TaskManager memory is configured.
pub fn managed_memory(conf: &BTreeMap<String, String>) -> Option<(u64, &'static str)> {
    if let Some(m) = conf_size(conf, "taskmanager.memory.managed.size") {
        return Some((m, "taskmanager.memory.managed.size"));
    }
    let fraction = conf_f64(conf, "taskmanager.memory.managed.fraction").unwrap_or(0.4);
    let (flink, key) = match conf_size(conf, "taskmanager.memory.flink.size") {
        Some(f) => (f, "taskmanager.memory.flink.size"),
        None => {
            let p = conf_size(conf, "taskmanager.memory.process.size")?;
            let overhead = ((p as f64 * 0.1) as u64).clamp(192 << 20, 1 << 30);
            (
                p.saturating_sub(256 << 20).saturating_sub(overhead),
                "taskmanager.memory.process.size",
            )
        }
    };
    Some(((flink as f64 * fraction) as u64, key))
}

/// The slot's RocksDB memory for a job of `parallelism` on Flink `version`
/// (FRocksDB 8.10 from 2.0, else 6.20) with the configuration `conf`.
pub fn memory_fit(
    conf: &BTreeMap<String, String>,
    version: FlinkVersion,
    parallelism: u32,
) -> MemoryFit {
    let slots = slots(conf);
    let r = conf_f64(conf, "state.backend.rocksdb.memory.write-buffer-ratio").unwrap_or(0.5);
    let hp = conf_f64(conf, "state.backend.rocksdb.memory.high-prio-pool-ratio").unwrap_or(0.1);
    let wbs =
        conf_size(conf, "state.backend.rocksdb.writebuffer.size").unwrap_or(WRITE_BUFFER_SIZE);
    let arena_block = if version.major >= 2 {
        (wbs / 8).min(1 << 20)
    } else {
        wbs / 8
    };
    let (budget, decided_by, per_slot) = if version < FlinkVersion::new(1, 10) {
        (
            Budget::Unbounded,
            format!("Flink {version}; managed memory for RocksDB from 1.10"),
            0,
        )
    } else if let Some(f) = conf_size(conf, "state.backend.rocksdb.memory.fixed-per-slot") {
        (
            Budget::FixedPerSlot,
            "state.backend.rocksdb.memory.fixed-per-slot".to_string(),
            f,
        )
    } else if conf_bool(conf, "state.backend.rocksdb.memory.managed").unwrap_or(true) {
        match managed_memory(conf) {
            Some((m, key)) => (Budget::Managed, key.to_string(), m / slots),
            None => (
                Budget::MiniCluster,
                "no taskmanager.memory.* set: local MiniCluster assumed (128 MiB managed memory, \
                 one slot per subtask)"
                    .to_string(),
                MINICLUSTER_MANAGED / parallelism.max(1) as u64,
            ),
        }
    } else if version >= FlinkVersion::new(1, 17)
        && let Some(t) = conf_size(conf, "state.backend.rocksdb.memory.fixed-per-tm")
    {
        (
            Budget::FixedPerTm,
            "state.backend.rocksdb.memory.fixed-per-tm".to_string(),
            t / slots,
        )
    } else {
        (
            Budget::Unbounded,
            "state.backend.rocksdb.memory.managed".to_string(),
            0,
        )
    };
    // RocksDBMemoryControllerUtils: (long) ((3 - r) * M / 3) and
    // (long) (2 * M * r / 3), in doubles as Java computes them.
    let cache = ((3.0 - r) * per_slot as f64 / 3.0) as u64;
    let write_buffers = (2.0 * per_slot as f64 * r / 3.0) as u64;
    // WriteBufferManager: mutable_limit_ = buffer_size_ * 7 / 8.
    let mutable_limit = write_buffers / 8 * 7 + (write_buffers % 8) * 7 / 8;
    MemoryFit {
        budget,
        decided_by,
        slots,
        per_slot,
        write_buffer_ratio: r,
        high_prio_ratio: hp,
        cache,
        write_buffers,
        mutable_limit,
        high_prio_pool: (cache as f64 * hp) as u64,
        arena_block,
    }
}

/// Index block bytes (uncompressed, as cached) for `live_data` bytes of
/// keys and values in 4 KiB data blocks: one index entry per block, its
/// separator key (`key_bytes` of the user key, a key-group prefix and an
/// 8-byte window namespace after shortening, 8 bytes of sequence and type),
/// the block handle (two varints) and a restart point (restart interval 1).
/// An estimate: the separator shortening and the block count vary with the
/// data.
pub fn index_bytes(live_data: u64, key_bytes: f64) -> u64 {
    let blocks = live_data.div_ceil(4096);
    let per_entry = key_bytes + 2.0 + 8.0 + 8.0 + 6.0 + 4.0;
    (blocks as f64 * per_entry).round() as u64
}

/// `execution.checkpointing.local-backup.enabled` (1.20+), formerly
/// `state.backend.local-recovery` (false).
pub fn local_recovery(conf: &BTreeMap<String, String>) -> Option<(bool, &'static str)> {
    for key in [
        "execution.checkpointing.local-backup.enabled",
        "state.backend.local-recovery",
    ] {
        if let Some(b) = conf_bool(conf, key) {
            return Some((b, key));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conf(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn managed_memory_split_worked_by_hand() {
        // taskmanager.memory.process.size: 4096m, 2 slots, Flink 1.20.
        // Overhead: 0.1 · 4096 MiB = 409.6 MiB, inside 192 MiB..1 GiB, as
        // Flink's long arithmetic: (long) (4294967296 · 0.1) = 429496729.
        // Flink memory: 4294967296 − 268435456 − 429496729 = 3597035111.
        // Managed: (long) (0.4 · 3597035111) = 1438814044; per slot
        // 1438814044 / 2 = 719407022.
        // Cache: (long) (2.5 · 719407022 / 3) = 599505851.
        // Write buffers: (long) (2 · 719407022 · 0.5 / 3) = 239802340.
        // Mutable limit: 239802340 · 7 / 8 = 209827047 (integer).
        // High-priority pool: (long) (599505851 · 0.1) = 59950585.
        let m = memory_fit(
            &conf(&[
                ("taskmanager.memory.process.size", "4096m"),
                ("taskmanager.numberOfTaskSlots", "2"),
            ]),
            FlinkVersion::new(1, 20),
            8,
        );
        assert_eq!(m.budget, Budget::Managed);
        assert_eq!(m.per_slot, 719_407_022);
        assert_eq!(m.cache, 599_505_851);
        assert_eq!(m.write_buffers, 239_802_340);
        assert_eq!(m.mutable_limit, 209_827_047);
        assert_eq!(m.high_prio_pool, 59_950_585);
        assert_eq!(m.arena_block, 8 << 20);
        // Two written column families need 2 · (8 MiB + 2 KiB): far below.
        assert!(!m.flushes_early(2));
    }

    #[test]
    fn small_managed_memory_flushes_early_on_6_20_not_on_8_10() {
        // 48 MiB managed, 1 slot: write buffers 2 · 48 MiB · 0.5 / 3 =
        // 16 MiB, mutable limit 14 MiB: two column families' 8 MiB blocks
        // (16 MiB + 4 KiB) exceed it; one does not; on 2.x (1 MiB blocks)
        // nothing flushes early.
        let c = conf(&[("taskmanager.memory.managed.size", "48m")]);
        let m = memory_fit(&c, FlinkVersion::new(1, 20), 4);
        assert_eq!(m.write_buffers, 16 << 20);
        assert_eq!(m.mutable_limit, 14 << 20);
        assert!(m.flushes_early(2));
        assert!(!m.flushes_early(1));
        let m2 = memory_fit(&c, FlinkVersion::new(2, 2), 4);
        assert_eq!(m2.arena_block, 1 << 20);
        assert!(!m2.flushes_early(3));
    }

    #[test]
    fn budget_order_follows_the_shared_resources_factory() {
        let v = FlinkVersion::new(1, 20);
        // fixed-per-slot wins over managed memory.
        let m = memory_fit(
            &conf(&[
                ("state.backend.rocksdb.memory.fixed-per-slot", "300m"),
                ("taskmanager.memory.managed.size", "1g"),
            ]),
            v,
            2,
        );
        assert_eq!((m.budget, m.per_slot), (Budget::FixedPerSlot, 300 << 20));
        // fixed-per-tm only when managed memory is off; split over slots.
        let m = memory_fit(
            &conf(&[
                ("state.backend.rocksdb.memory.fixed-per-tm", "1g"),
                ("taskmanager.numberOfTaskSlots", "4"),
            ]),
            v,
            2,
        );
        assert_eq!(m.budget, Budget::MiniCluster);
        let m = memory_fit(
            &conf(&[
                ("state.backend.rocksdb.memory.fixed-per-tm", "1g"),
                ("state.backend.rocksdb.memory.managed", "false"),
                ("taskmanager.numberOfTaskSlots", "4"),
            ]),
            v,
            2,
        );
        assert_eq!((m.budget, m.per_slot), (Budget::FixedPerTm, 256 << 20));
        let m = memory_fit(
            &conf(&[("state.backend.rocksdb.memory.managed", "false")]),
            v,
            2,
        );
        assert_eq!(m.budget, Budget::Unbounded);
        assert!(!m.flushes_early(4));
        // Before 1.10 Flink does not bound RocksDB's memory.
        let m = memory_fit(&conf(&[]), FlinkVersion::new(1, 9), 2);
        assert_eq!(m.budget, Budget::Unbounded);
        // The MiniCluster: 128 MiB over the subtasks.
        let m = memory_fit(&conf(&[]), v, 4);
        assert_eq!((m.budget, m.per_slot), (Budget::MiniCluster, 32 << 20));
    }
}
