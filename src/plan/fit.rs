//! Will the TaskManagers hold the state backend: RocksDB's local disk per
//! subtask and per TaskManager against `[cluster] taskmanager_disk`, and
//! its memory per slot as Flink sizes it ([`crate::backend::rocksdb::fit`]).
//! A fit that fails (the disk too small; memtables that cannot each hold
//! one arena block in the configured memory, so RocksDB flushes on nearly
//! every write) fails `compare`'s option and `check`.

use crate::backend::rocksdb::fit::{self, Budget, MemoryFit};
use crate::flink::config::TimerStore;
use crate::flink::units::human_bytes;
use crate::flink::{Backend, ResolvedConfig};
use crate::pipeline::ScenarioResult;
use crate::scenario::{Assigner, Scenario};

/// RocksDB's default write buffers per column family without a shared
/// budget (`writebuffer.count` 2 × `writebuffer.size` 64 MiB) and its
/// default block cache (8 MiB per column family's table factory).
const UNBOUNDED_PER_CF: u64 = 2 * (64 << 20) + (8 << 20);

/// What a fit failure is about, for the scenario line that decides it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FitFailure {
    /// The TaskManager's disk is too small.
    Disk,
    /// The configured memory makes memtables flush early.
    Memory,
}

/// One backend option on the TaskManagers.
#[derive(Debug, Clone)]
pub struct ResourceFit {
    /// Largest subtask's local disk (with local recovery's copy when on).
    pub disk_subtask: u64,
    /// One TaskManager's local disk (its slots' largest subtasks).
    pub disk_tm: u64,
    /// Subtasks sharing a TaskManager per operator.
    pub slots: u64,
    /// `[cluster] taskmanager_disk`.
    pub disk: Option<u64>,
    /// Local recovery on, and the key that said so.
    pub local_recovery: Option<(bool, &'static str)>,
    /// The slot's RocksDB memory (RocksDB options only).
    pub memory: Option<MemoryFit>,
    /// Column families written per slot (all operators).
    pub written_cfs: u64,
    /// Index blocks of the slot's live data (estimate).
    pub index: u64,
    /// Uncompressed live keys and values of the slot (estimate of the hot
    /// working set).
    pub hot: u64,
    /// The first failure: what, and the sentence.
    pub failure: Option<(FitFailure, String)>,
    /// Local disk per subtask and per TaskManager, against the disk.
    pub disk_summary: String,
    /// What the local disk figure counts.
    pub disk_basis: String,
    /// The memory lines (the same for every RocksDB option).
    pub memory_lines: Vec<String>,
    /// Everything, in sentences: the disk's, then the memory's.
    pub lines: Vec<String>,
}

impl ResourceFit {
    /// The slot's RocksDB memory in bytes as the option table shows it:
    /// the shared budget, or without one the column families' own write
    /// buffers and caches.
    pub fn memory_bytes(&self) -> u64 {
        match &self.memory {
            Some(m) if m.budget == Budget::Unbounded => self.written_cfs * UNBOUNDED_PER_CF,
            Some(m) => m.per_slot,
            None => 0,
        }
    }

    /// The scenario fields that decide a failure, first the most specific.
    pub fn deciding_fields(&self) -> Vec<String> {
        match &self.failure {
            Some((FitFailure::Disk, _)) => vec![
                "cluster.taskmanager_disk".into(),
                "cluster".into(),
                "flink_conf.taskmanager.numberOfTaskSlots".into(),
            ],
            Some((FitFailure::Memory, _)) => {
                let mut v = Vec::new();
                if let Some(m) = &self.memory {
                    v.push(format!("flink_conf.{}", m.decided_by));
                }
                for k in [
                    "state.backend.rocksdb.memory.write-buffer-ratio",
                    "taskmanager.numberOfTaskSlots",
                    "state.backend.rocksdb.writebuffer.size",
                ] {
                    v.push(format!("flink_conf.{k}"));
                }
                v.push("flink_conf".into());
                v
            }
            None => Vec::new(),
        }
    }
}

/// Column families one window operator writes: its window contents, its
/// timers (unless on the heap), its merging-window set (sessions).
fn written_cfs(s: &Scenario, config: &ResolvedConfig) -> u64 {
    s.operators
        .iter()
        .map(|op| {
            1 + u64::from(config.timers != TimerStore::Heap)
                + u64::from(matches!(op.assigner, Assigner::Session { .. }))
        })
        .sum()
}

/// The fit of `config` with the run `r`.
pub fn resource_fit(s: &Scenario, config: &ResolvedConfig, r: &ScenarioResult) -> ResourceFit {
    let rocks = config.backend == Backend::RocksDb;
    let slots_conf = fit::slots(&s.flink_conf);
    let slots = slots_conf.min(s.parallelism.max(1) as u64);
    let local_recovery = fit::local_recovery(&s.flink_conf);
    let recovery_on = local_recovery.is_some_and(|l| l.0);
    // Per operator: the largest subtask, and the `slots` largest subtasks
    // of one checkpoint (a TaskManager's slots filled with the largest);
    // slot sharing puts one subtask of every operator in each slot.
    let mut disk_subtask = 0u64;
    let mut disk_tm = 0u64;
    let mut hot = 0u64;
    for op in &r.operators {
        let mut op_sub = 0u64;
        let mut op_tm = 0u64;
        let mut op_hot = 0u64;
        for cp in &op.checkpoints {
            let mut d: Vec<u64> = cp
                .subtasks
                .iter()
                .map(|st| {
                    let backup = if recovery_on {
                        st.local_backup_bytes
                    } else {
                        0
                    };
                    (if rocks { st.local_disk_bytes } else { 0 }) + backup
                })
                .collect();
            d.sort_unstable_by(|a, b| b.cmp(a));
            op_sub = op_sub.max(d.first().copied().unwrap_or(0));
            op_tm = op_tm.max(d.iter().take(slots as usize).sum());
            op_hot = op_hot.max(
                cp.subtasks
                    .iter()
                    .map(|st| st.live_data_bytes)
                    .max()
                    .unwrap_or(0),
            );
        }
        disk_subtask += op_sub;
        disk_tm += op_tm;
        hot += op_hot;
    }
    let key_bytes = match s.source.key_type {
        crate::scenario::KeyType::Long => 8.0,
        crate::scenario::KeyType::Int => 4.0,
        crate::scenario::KeyType::String(n) => {
            crate::flink::serializer::string_bytes(n as u64) as f64
        }
    };
    let cfs = written_cfs(s, config);
    let mut lines = Vec::new();
    let mut failure = None;
    let memory = rocks.then(|| fit::memory_fit(&s.flink_conf, s.flink_version, s.parallelism));
    let index = if rocks {
        fit::index_bytes(hot, key_bytes)
    } else {
        0
    };
    let mut disk_summary = String::new();
    let mut disk_basis = String::new();
    if rocks {
        disk_basis = format!(
            "local disk (RocksDB's working directory at its fullest): live SST files, L0 files not yet \
             compacted and a compaction's inputs beside its outputs, MANIFEST, OPTIONS, CURRENT, and the native \
             checkpoint's directory while it uploads (hard links to the live SSTs, copies of the small files){}",
            if recovery_on {
                "; local recovery keeps the last checkpoint's directory until the next completes: its files \
                 compacted away since stay on disk"
            } else {
                "; the directory is deleted once uploaded (local recovery off)"
            }
        );
    } else if recovery_on {
        disk_basis =
            "local disk: local recovery writes each snapshot to local disk as well".to_string();
    }
    if rocks || recovery_on {
        let tm = format!(
            "local disk {} per subtask, {} per TaskManager (taskmanager.numberOfTaskSlots: {slots_conf}, its \
             slots holding the largest subtasks)",
            human_bytes(disk_subtask),
            human_bytes(disk_tm),
        );
        disk_summary = match s.taskmanager_disk {
            Some(d) if disk_tm > d => {
                failure = Some((
                    FitFailure::Disk,
                    format!(
                        "local disk: one TaskManager needs {} ({} B) for {}, more than its {} ({} B) disk \
                         (cluster.taskmanager_disk)",
                        human_bytes(disk_tm),
                        disk_tm,
                        if rocks {
                            "RocksDB's working directories"
                        } else {
                            "local recovery's copies of the snapshots"
                        },
                        human_bytes(d),
                        d
                    ),
                ));
                format!("{tm}: more than the {} disk", human_bytes(d))
            }
            Some(d) => format!(
                "{tm}: fits the {} disk ({:.0}% used)",
                human_bytes(d),
                disk_tm as f64 * 100.0 / d.max(1) as f64
            ),
            None => format!(
                "{tm}; no disk size given ([cluster] taskmanager_disk = \"50 gb\" checks it)"
            ),
        };
        lines.push(disk_summary.clone());
        lines.push(disk_basis.clone());
    }
    if let Some(m) = &memory {
        let assumed = m.budget == Budget::MiniCluster;
        match m.budget {
            Budget::Unbounded => lines.push(format!(
                "memory: not bounded by Flink ({}): each written column family ({cfs} per slot) keeps its own \
                 write buffers (2 × 64 MiB) and block cache (8 MiB), up to {} per slot outside Flink's memory \
                 budget",
                m.decided_by,
                human_bytes(cfs * UNBOUNDED_PER_CF)
            )),
            _ => {
                lines.push(format!(
                    "memory per slot {} ({}): block cache {} ((3 − {r})/3 of it), write buffers {} (2 · {r}/3, \
                     charged to the cache), high-priority pool for index and filter blocks {} ({} of the cache)",
                    human_bytes(m.per_slot),
                    m.decided_by,
                    human_bytes(m.cache),
                    human_bytes(m.write_buffers),
                    human_bytes(m.high_prio_pool),
                    m.high_prio_ratio,
                    r = m.write_buffer_ratio,
                ));
                let need = m.memtables_need(cfs);
                if m.flushes_early(cfs) {
                    let msg = format!(
                        "managed memory: {} per slot gives the write-buffer manager {} (flushes above {}), less \
                         than the {cfs} written column families' memtables need ({} arena block + 2 KiB each = {}): \
                         RocksDB flushes on nearly every write (Flink warns: 'RocksDB will flush memtable \
                         constantly'); give each slot at least {} of managed memory",
                        human_bytes(m.per_slot),
                        human_bytes(m.write_buffers),
                        human_bytes(m.mutable_limit),
                        human_bytes(m.arena_block),
                        human_bytes(need),
                        human_bytes(min_slot_memory(m, cfs))
                    );
                    lines.push(format!(
                        "memtables flush early: {} of write buffers (mutable limit {}) cannot hold one {} arena \
                         block for each of the {cfs} written column families ({})",
                        human_bytes(m.write_buffers),
                        human_bytes(m.mutable_limit),
                        human_bytes(m.arena_block),
                        human_bytes(need)
                    ));
                    if !assumed {
                        failure = failure.or(Some((FitFailure::Memory, msg)));
                    }
                } else {
                    lines.push(format!(
                        "memtables: the {cfs} written column families need {} before a flush, within the mutable \
                         limit {}: they flush when full or at a checkpoint",
                        human_bytes(need),
                        human_bytes(m.mutable_limit)
                    ));
                }
                let data = m.cache.saturating_sub(m.write_buffers).saturating_sub(index);
                lines.push(format!(
                    "block cache (estimates): index blocks ~{} {} the high-priority pool {}; hot working set \
                     ~{} (every live window, uncompressed) {} the ~{} left for data blocks{}",
                    human_bytes(index),
                    if index <= m.high_prio_pool {
                        "fit in"
                    } else {
                        "do not fit in"
                    },
                    human_bytes(m.high_prio_pool),
                    human_bytes(hot),
                    if hot <= data { "fits in" } else { "exceeds" },
                    human_bytes(data),
                    if hot <= data {
                        ""
                    } else {
                        ": window reads go to disk"
                    }
                ));
                if assumed {
                    lines.push(format!(
                        "{}: set taskmanager.memory.process.size (or .managed.size) and \
                         taskmanager.numberOfTaskSlots to check the deployment's memory",
                        m.decided_by
                    ));
                }
            }
        }
    }
    ResourceFit {
        disk_subtask,
        disk_tm,
        slots,
        disk: s.taskmanager_disk,
        local_recovery,
        memory,
        written_cfs: cfs,
        index,
        hot,
        failure,
        memory_lines: lines
            .iter()
            .skip(if rocks || recovery_on { 2 } else { 0 })
            .cloned()
            .collect(),
        disk_summary,
        disk_basis,
        lines,
    }
}

/// The least memory per slot with which `cfs` memtables of one arena block
/// each fit under the write-buffer manager's mutable limit.
fn min_slot_memory(m: &MemoryFit, cfs: u64) -> u64 {
    // mutable = 7/8 · 2r/3 · M ≥ need  ⇔  M ≥ need · 12 / (7 r).
    let need = m.memtables_need(cfs) as f64;
    (need * 12.0 / (7.0 * m.write_buffer_ratio)).ceil() as u64
}
