//! Before deploy: every backend option side by side (`compare`), the CI gate
//! (`check`), and the recommendation: the backend and storage that hold with
//! headroom on the user's Flink version, the settings to write in that
//! version's key names, and changes to the job that shrink state, each
//! priced by simulating it.
//! [`sweep`] runs one scenario over a grid of parameter values, to find where it stops holding.

pub mod fit;
pub mod shrink;
pub mod sweep;

use crate::backend::CheckpointStatus;
use crate::backend::memory::{self, MemoryJob};
use crate::error::Result;
use crate::flink::config::{DEFAULT_MAX_STATE_SIZE, TimerStore, default_inline_threshold};
use crate::flink::emit::{Emitted, Wanted, emit};
use crate::flink::serializer::{header_bytes, key_group_framing, registered_states};
use crate::flink::units::group_digits;
use crate::flink::{Backend, FlinkVersion, ResolvedConfig, Storage};
use crate::pipeline::{self, RunOptions, ScenarioResult};
use crate::scenario::{Assigner, CheckpointTrigger, Scenario, WindowFunction};

/// Share of the JobManager limit a recommendation may use.
pub const HEADROOM_TARGET: f64 = 0.7;

/// One backend + storage option, as the user's version names it.
#[derive(Debug, Clone)]
pub struct BackendOption {
    /// E.g. `hashmap + filesystem`.
    pub label: String,
    /// What Flink would run.
    pub config: ResolvedConfig,
}

/// The options that exist in `s`'s Flink version and that statecap
/// simulates for its operators ([`options_not_simulated`]: the others).
pub fn options_for(s: &Scenario) -> Vec<BackendOption> {
    let mut out = every_option(s);
    out.retain(|o| pipeline::unsimulated(s, &o.config).is_none());
    out
}

/// The options that exist in `s`'s Flink version.
fn every_option(s: &Scenario) -> Vec<BackendOption> {
    let v = s.flink_version;
    let dir = s
        .config
        .checkpoint_dir
        .clone()
        .or_else(|| Some("hdfs:///flink/checkpoints".into()));
    let mk = |label: &str, backend: Backend, storage: Storage, incremental: bool| {
        let mut config = ResolvedConfig {
            version: v,
            backend,
            storage,
            incremental,
            checkpoint_dir: dir.clone(),
            reasons: Vec::new(),
            // The scenario's timers when it runs this backend already, else
            // what this backend keeps when nothing is set.
            timers: if backend == s.config.backend {
                s.config.timers
            } else {
                TimerStore::default_for(v, backend)
            },
            ..s.config.clone()
        };
        config.limits.max_state_size = match storage {
            Storage::JobManager { max_state_size } => Some(max_state_size),
            Storage::FileSystem { .. } => None,
        };
        BackendOption {
            label: label.to_string(),
            config,
        }
    };
    let jm = Storage::JobManager {
        max_state_size: match s.config.storage {
            Storage::JobManager { max_state_size } => max_state_size,
            _ => DEFAULT_MAX_STATE_SIZE,
        },
    };
    let fs = Storage::FileSystem {
        inline_threshold: match s.config.storage {
            Storage::FileSystem { inline_threshold } => inline_threshold,
            _ => default_inline_threshold(v),
        },
    };
    let mut out = Vec::new();
    if v < FlinkVersion::new(1, 13) {
        out.push(mk("memory (jobmanager)", Backend::Memory, jm, false));
        out.push(mk("filesystem", Backend::Fs, fs, false));
    } else {
        if v.major < 2 {
            out.push(mk("hashmap + jobmanager", Backend::HashMap, jm, false));
        }
        out.push(mk("hashmap + filesystem", Backend::HashMap, fs, false));
    }
    out.push(mk("rocksdb full", Backend::RocksDb, fs, false));
    out.push(mk("rocksdb incremental", Backend::RocksDb, fs, true));
    // The scenario's own configuration is always one of the options, under
    // its own name (a legacy backend from 1.13, RocksDB with JobManager
    // storage, ForSt: none of the above).
    if current_option(s, &out).is_none() {
        out.push(BackendOption {
            label: label_of(&s.config),
            config: s.config.clone(),
        });
    }
    out
}

/// The options of `s`'s Flink version that statecap does not simulate for
/// its operators, each with the reason (left out of [`options_for`]).
pub fn options_not_simulated(s: &Scenario) -> Vec<(String, String)> {
    every_option(s)
        .into_iter()
        .filter_map(|o| pipeline::unsimulated(s, &o.config).map(|why| (o.label, why)))
        .collect()
}

/// The option that is `s`'s own configuration: the same backend, storage
/// and (for RocksDB) incremental setting.
pub fn current_option(s: &Scenario, opts: &[BackendOption]) -> Option<usize> {
    let own = &s.config;
    opts.iter().position(|o| {
        o.config.backend == own.backend
            && o.config.storage.short_name() == own.storage.short_name()
            && (own.backend.is_heap() || o.config.incremental == own.incremental)
    })
}

/// A configuration's name in the option table: `hashmap + jobmanager`,
/// `rocksdb incremental`, `rocksdb full + jobmanager`, `memory (jobmanager)`.
fn label_of(c: &ResolvedConfig) -> String {
    let backend = match c.backend {
        Backend::Memory => return "memory (jobmanager)".into(),
        Backend::Fs => return "filesystem".into(),
        b if b.is_heap() => b.short_name().to_string(),
        b => format!(
            "{} {}",
            b.short_name(),
            if c.incremental { "incremental" } else { "full" }
        ),
    };
    match (c.backend, c.storage) {
        (Backend::HashMap, st) => format!("{backend} + {}", st.short_name()),
        (_, Storage::FileSystem { .. }) => backend,
        (_, st) => format!("{backend} + {}", st.short_name()),
    }
}

/// One option's figures over the whole run (largest over operators).
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct OptionSummary {
    /// Option label.
    pub option: String,
    /// Flink's class name.
    pub backend: String,
    /// `jobmanager` or `filesystem`.
    pub storage: String,
    /// Largest subtask snapshot at any checkpoint.
    pub peak_subtask_bytes: u64,
    /// Its range (RocksDB: flush/compaction timing), low.
    pub peak_subtask_low: u64,
    /// ... high.
    pub peak_subtask_high: u64,
    /// Largest checkpoint total over subtasks.
    pub peak_total_bytes: u64,
    /// Mean bytes uploaded per checkpoint (all subtasks).
    pub upload_per_checkpoint: u64,
    /// TaskManager memory of the largest subtask (heap: JVM heap; RocksDB:
    /// bounded by managed memory).
    pub tm_memory_bytes: u64,
    /// Slowest subtask's snapshot time, seconds.
    pub snapshot_seconds: f64,
    /// Failed checkpoints.
    pub failed_checkpoints: usize,
    /// Checkpoints taken.
    pub checkpoints: usize,
    /// What fails first, in Flink's terms; empty if it holds.
    pub fails_first: String,
    /// Share of the binding limit left at the peak (negative: over).
    pub headroom: f64,
    /// No checkpoint fails and the memory fits.
    pub holds: bool,
    /// The limit `headroom` is measured against: `JobManager limit 5.0 MiB`,
    /// `task heap 384.0 MiB`, or empty when none bounds the option.
    pub headroom_against: String,
    /// Local disk of the largest subtask at its fullest (RocksDB's working
    /// directory; with local recovery, the local copy of the last
    /// checkpoint too).
    pub local_disk_subtask_bytes: u64,
    /// Local disk of one TaskManager: its slots' subtasks, the largest ones.
    pub local_disk_tm_bytes: u64,
    /// `[cluster] taskmanager_disk`, if given.
    pub taskmanager_disk_bytes: Option<u64>,
    /// RocksDB memory of one slot (0: not bounded by Flink).
    pub rocksdb_memory_slot_bytes: u64,
    /// Its write-buffer manager's capacity.
    pub write_buffer_bytes: u64,
    /// Its block cache's capacity.
    pub block_cache_bytes: u64,
    /// Whether memtables flush long before they are full.
    pub memtables_flush_early: bool,
}

/// Options side by side.
#[derive(Debug, Clone)]
pub struct Comparison {
    /// Summaries in option order.
    pub options: Vec<OptionSummary>,
    /// The full results, in the same order.
    pub results: Vec<ScenarioResult>,
    /// What each run could cost (the job changes [`plan`] simulates get
    /// the same).
    pub budget: pipeline::Budget,
}

fn memory_job(s: &Scenario, op_index: usize, key_groups: u64) -> MemoryJob {
    let op = &s.operators[op_index];
    let merging = matches!(op.assigner, Assigner::Session { .. });
    let value = crate::sim::value_layout(op);
    let key_bytes = match s.source.key_type {
        crate::scenario::KeyType::Long => 8.0,
        crate::scenario::KeyType::Int => 4.0,
        crate::scenario::KeyType::String(n) => {
            crate::flink::serializer::string_bytes(n as u64) as f64
        }
    };
    MemoryJob {
        value,
        key_bytes,
        element_bytes: s.source.record_bytes.mean().max(1.0),
        key_groups,
        states: registered_states(merging),
        fixed_snapshot_bytes: header_bytes(value, merging)
            + key_groups * key_group_framing(merging),
    }
}

/// Summarizes one option's result.
pub fn summarize_option(
    s: &Scenario,
    opt: &BackendOption,
    r: &ScenarioResult,
    bandwidth: f64,
) -> OptionSummary {
    let timeout_s = opt.config.limits.checkpoint_timeout_ms as f64 / 1000.0;
    let frame = opt.config.limits.frame_size;
    let heap = opt.config.backend.is_heap();
    let mut sum = OptionSummary {
        option: opt.label.clone(),
        backend: opt.config.backend.class_name(s.flink_version).to_string(),
        storage: opt.config.storage.short_name().to_string(),
        peak_subtask_bytes: 0,
        peak_subtask_low: 0,
        peak_subtask_high: 0,
        peak_total_bytes: 0,
        upload_per_checkpoint: 0,
        tm_memory_bytes: 0,
        snapshot_seconds: 0.0,
        failed_checkpoints: 0,
        checkpoints: 0,
        fails_first: String::new(),
        headroom: 1.0,
        holds: true,
        headroom_against: String::new(),
        local_disk_subtask_bytes: 0,
        local_disk_tm_bytes: 0,
        taskmanager_disk_bytes: s.taskmanager_disk,
        rocksdb_memory_slot_bytes: 0,
        write_buffer_bytes: 0,
        block_cache_bytes: 0,
        memtables_flush_early: false,
    };
    let resources = fit::resource_fit(s, &opt.config, r);
    let mut uploads = 0u64;
    let mut first_fail: Option<(u64, String)> = None;
    for (oi, op) in r.operators.iter().enumerate() {
        let layout = s.operator_layout(oi);
        for cp in &op.checkpoints {
            sum.checkpoints += 1;
            let top = cp.max_subtask();
            if top.state_bytes > sum.peak_subtask_bytes {
                sum.peak_subtask_bytes = top.state_bytes;
                sum.peak_subtask_low = top.state_bytes_low;
                sum.peak_subtask_high = top.state_bytes_high;
            }
            sum.peak_total_bytes = sum.peak_total_bytes.max(cp.total_state_bytes());
            uploads += cp
                .subtasks
                .iter()
                .map(|s| s.checkpointed_bytes)
                .sum::<u64>();
            for st in &cp.subtasks {
                let (a, b) = layout.range_of(st.subtask);
                let job = memory_job(s, oi, (b - a + 1) as u64);
                let mem = if heap {
                    memory::heap_bytes(&job, st)
                } else if opt.config.backend == Backend::RocksDb {
                    resources.memory_bytes()
                } else {
                    memory::DEFAULT_MANAGED
                };
                sum.tm_memory_bytes = sum.tm_memory_bytes.max(mem);
                let t = memory::snapshot_seconds(heap, st.checkpointed_bytes, bandwidth);
                sum.snapshot_seconds = sum.snapshot_seconds.max(t);
                // JobManager storage ships the state inline in the task's
                // acknowledgement: it must fit the RPC frame.
                if matches!(opt.config.storage, Storage::JobManager { .. })
                    && st.state_bytes > frame
                    && first_fail.is_none()
                {
                    first_fail = Some((
                        cp.checkpoint,
                        format!(
                            "checkpoint {}: subtask {} acknowledges {} inline, above the RPC frame size {} (akka/pekko.framesize)",
                            cp.checkpoint, st.subtask, st.state_bytes, frame
                        ),
                    ));
                }
                if t > timeout_s && first_fail.is_none() {
                    first_fail = Some((
                        cp.checkpoint,
                        format!(
                            "checkpoint {} expired before completing: subtask {} needs {:.0} s, timeout {:.0} s",
                            cp.checkpoint, st.subtask, t, timeout_s
                        ),
                    ));
                }
            }
            if let CheckpointStatus::Failed {
                subtask,
                size,
                max_size,
                ..
            } = &cp.status
            {
                sum.failed_checkpoints += 1;
                if first_fail.as_ref().is_none_or(|(c, _)| cp.checkpoint < *c) {
                    first_fail = Some((
                        cp.checkpoint,
                        format!(
                            "checkpoint {}: subtask {subtask} Size={size} > maxSize={max_size} (memory-backed limit)",
                            cp.checkpoint
                        ),
                    ));
                }
            }
        }
    }
    sum.upload_per_checkpoint = uploads / (sum.checkpoints.max(1) as u64);
    let mut headroom: f64 = 1.0;
    if let Storage::JobManager { max_state_size } = opt.config.storage {
        headroom = headroom.min(1.0 - sum.peak_subtask_bytes as f64 / max_state_size as f64);
        sum.headroom_against = format!(
            "JobManager limit {}",
            crate::flink::units::human_bytes(max_state_size)
        );
    }
    if heap {
        let of_heap = 1.0 - sum.tm_memory_bytes as f64 / memory::DEFAULT_TASK_HEAP as f64;
        if of_heap < headroom {
            headroom = of_heap;
            sum.headroom_against = format!(
                "task heap {}",
                crate::flink::units::human_bytes(memory::DEFAULT_TASK_HEAP)
            );
        }
        if sum.tm_memory_bytes > memory::DEFAULT_TASK_HEAP && first_fail.is_none() {
            first_fail = Some((
                0,
                format!(
                    "JVM heap: ~{} of window state per subtask exceeds the default task heap ({})",
                    crate::flink::units::human_bytes(sum.tm_memory_bytes),
                    crate::flink::units::human_bytes(memory::DEFAULT_TASK_HEAP)
                ),
            ));
        }
    }
    sum.local_disk_subtask_bytes = resources.disk_subtask;
    sum.local_disk_tm_bytes = resources.disk_tm;
    if let Some(m) = &resources.memory {
        sum.rocksdb_memory_slot_bytes = m.per_slot;
        sum.write_buffer_bytes = m.write_buffers;
        sum.block_cache_bytes = m.cache;
        sum.memtables_flush_early = m.flushes_early(resources.written_cfs);
    }
    // The TaskManagers not holding the backend fails the option after any
    // failing checkpoint.
    if first_fail.is_none()
        && let Some((_, why)) = &resources.failure
    {
        first_fail = Some((0, why.clone()));
    }
    sum.headroom = headroom;
    sum.fails_first = first_fail.map(|f| f.1).unwrap_or_default();
    sum.holds = sum.fails_first.is_empty();
    sum
}

/// Simulates the scenario once and compares every option.
pub fn compare(
    s: &Scenario,
    bandwidth: f64,
    budget: pipeline::Budget,
    progress: &dyn Fn(u64),
) -> Result<Comparison> {
    let opts = options_for(s);
    let configs: Vec<ResolvedConfig> = opts.iter().map(|o| o.config.clone()).collect();
    let results = pipeline::simulate(
        s,
        &RunOptions {
            configs: &configs,
            progress,
            budget,
            ..RunOptions::default()
        },
    )?
    .results;
    let options = opts
        .iter()
        .zip(&results)
        .map(|(o, r)| summarize_option(s, o, r, bandwidth))
        .collect();
    Ok(Comparison {
        options,
        results,
        budget,
    })
}

/// The configuration to write for `config` on `s`'s Flink version, in
/// every form (file, Java, SQL), with the scenario's checkpoint interval.
pub fn configuration(s: &Scenario, config: &ResolvedConfig) -> Emitted {
    let interval = match s.checkpoints {
        CheckpointTrigger::Interval(ms) => Some(ms),
        CheckpointTrigger::EveryRecords(_) => None,
    };
    emit(
        s.flink_version,
        &Wanted {
            config,
            checkpoint_interval_ms: interval,
            carried: Vec::new(),
        },
    )
}

/// A change to the job, priced by simulating it (`job-changes.csv`).
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct JobChange {
    /// The operator it changes; empty for a change of the whole job.
    pub operator: String,
    /// `pre_aggregate`, `max_parallelism`, `ttl`, `aggregate`, `projection`.
    pub kind: &'static str,
    /// What to change.
    pub change: String,
    /// What the job gives up for it (empty: nothing).
    pub cost: String,
    /// Largest subtask at any checkpoint now (under the recommended
    /// option; of the operator, or of the job for a change of the whole
    /// job).
    pub peak_before: u64,
    /// ... with the change (none when not priced).
    pub peak_after: Option<u64>,
    /// Largest subtask at the last checkpoint now.
    pub end_before: u64,
    /// ... with the change.
    pub end_after: Option<u64>,
    /// Whether the state `grows` or `levels off` over the run now (empty:
    /// too few checkpoints to tell).
    pub growth_before: &'static str,
    /// ... with the change.
    pub growth_after: &'static str,
    /// Why the change was not simulated (empty: it was).
    pub not_priced: String,
}

impl JobChange {
    /// Bytes saved at the peak (negative: added); none when not priced.
    pub fn saved_at_peak(&self) -> Option<i64> {
        self.peak_after.map(|a| self.peak_before as i64 - a as i64)
    }
    /// Bytes saved at the end of the run.
    pub fn saved_at_end(&self) -> Option<i64> {
        self.end_after.map(|a| self.end_before as i64 - a as i64)
    }
}

/// The recommendation.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Plan {
    /// Index into the comparison's options.
    pub recommended: usize,
    /// Its label.
    pub option: String,
    /// Why.
    pub reasons: Vec<String>,
    /// What to write, in every form.
    pub config: Emitted,
    /// Changes to the job and what they save.
    pub job_changes: Vec<JobChange>,
    /// Checkpoints that fail under the current configuration.
    pub failing_checkpoints: Vec<u64>,
    /// Share of checkpoints that would fail if barriers landed uniformly
    /// across the window cycle (aligned windows, memory-backed limit).
    pub failing_share_over_cycle: Option<f64>,
}

/// Whether an option holds with the headroom a recommendation wants.
fn fits(o: &OptionSummary) -> bool {
    o.holds && o.headroom >= 1.0 - HEADROOM_TARGET
}

/// Builds the plan from a comparison.
///
/// The current configuration stays when it holds with headroom (no change
/// for the sake of it). Otherwise, of the options that hold with headroom,
/// the smallest change (the same backend first, then the same incremental
/// setting; the table's order, heap before RocksDB, breaks ties), else the
/// first that holds, else RocksDB incremental. A job on RocksDB is never moved to
/// JobManager storage unless its state fits there with headroom, and the
/// reasons then say so.
pub fn plan(s: &Scenario, cmp: &Comparison) -> Result<Plan> {
    let opts = options_for(s);
    let n = cmp.options.len().min(opts.len());
    let jm = |i: usize| matches!(opts[i].config.storage, Storage::JobManager { .. });
    let on_rocksdb = !s.config.backend.is_heap();
    // JobManager storage for a RocksDB job only where the state fits.
    let allowed = |i: usize| !(on_rocksdb && jm(i)) || fits(&cmp.options[i]);
    let current = current_option(s, &opts).filter(|&c| c < n);
    let last_resort = opts
        .iter()
        .position(|o| o.config.backend == Backend::RocksDb && o.config.incremental)
        .unwrap_or(n - 1);
    // How far an option is from the current configuration: a backend
    // change weighs more than turning incremental checkpoints on or off.
    let change = |i: usize| {
        2 * u8::from(opts[i].config.backend != s.config.backend)
            + u8::from(opts[i].config.incremental != s.config.incremental)
    };
    let pick = current
        .filter(|&c| fits(&cmp.options[c]))
        .or_else(|| {
            (0..n)
                .filter(|&i| fits(&cmp.options[i]))
                .min_by_key(|&i| (change(i), i))
        })
        .or_else(|| (0..n).find(|&i| cmp.options[i].holds && allowed(i)))
        .unwrap_or(last_resort);
    let chosen = &cmp.options[pick];
    let mut reasons = Vec::new();
    if let Some(why) = cmp.results.first().and_then(|r| no_checkpoint(s, r)) {
        reasons.push(format!("{why}: nothing below is about a checkpoint"));
    }
    if let Some(c) = current {
        let o = &cmp.options[c];
        if c == pick {
            reasons.push(format!(
                "the current configuration ({}) holds with headroom: keep it",
                o.option
            ));
        } else if o.holds {
            reasons.push(format!(
                "the current configuration ({}) holds, but with only {:.0}% headroom",
                o.option,
                o.headroom * 100.0
            ));
        } else {
            reasons.push(format!(
                "the current configuration ({}) fails: {}",
                o.option, o.fails_first
            ));
        }
    }
    reasons.push(format!(
        "{} holds: peak subtask {} (total {}), {}, TaskManager memory ~{}",
        chosen.option,
        crate::flink::units::human_bytes(chosen.peak_subtask_bytes),
        crate::flink::units::human_bytes(chosen.peak_total_bytes),
        if chosen.headroom_against.is_empty() {
            "no per-subtask limit".to_string()
        } else {
            format!(
                "{:.0}% headroom against the {}",
                chosen.headroom * 100.0,
                chosen.headroom_against
            )
        },
        crate::flink::units::human_bytes(chosen.tm_memory_bytes)
    ));
    if on_rocksdb && jm(pick) {
        let limit = opts[pick].config.limits.max_state_size.unwrap_or(0);
        reasons.push(format!(
            "JobManager storage instead of {} only because the state fits: the largest subtask \
             is {} of the {} JobManager limit and ~{} of heap; state that grows past that needs \
             RocksDB with file storage again",
            s.config.backend.class_name(s.flink_version),
            crate::flink::units::human_bytes(chosen.peak_subtask_bytes),
            crate::flink::units::human_bytes(limit),
            crate::flink::units::human_bytes(chosen.tm_memory_bytes)
        ));
    }
    if Some(pick) != current {
        for (i, o) in cmp.options.iter().enumerate().take(pick) {
            if Some(i) == current {
                continue;
            }
            if !o.holds {
                reasons.push(format!("not {}: {}", o.option, o.fails_first));
            } else if !fits(o) {
                reasons.push(format!(
                    "not {}: only {:.0}% headroom",
                    o.option,
                    o.headroom * 100.0
                ));
            } else if opts[i].config.backend != s.config.backend {
                reasons.push(format!(
                    "not {}: it holds too, but changes the backend from {}",
                    o.option,
                    s.config.backend.class_name(s.flink_version)
                ));
            } else {
                reasons.push(format!(
                    "not {}: it holds too, but turns incremental checkpoints {}",
                    o.option,
                    if s.config.incremental { "off" } else { "on" }
                ));
            }
        }
    }
    let config = configuration(s, &opts[pick].config);

    // Job changes, each simulated under the chosen option within the
    // comparison's budget (one over it is listed as not priced, with why).
    let base = &cmp.results[pick];
    let job = shrink::figures(base, None);
    let mut job_changes = Vec::new();
    let with = |kind: &'static str, change: String, f: &dyn Fn(&mut Scenario)| -> JobChange {
        let mut t = s.clone();
        f(&mut t);
        let mut c = JobChange {
            kind,
            change,
            peak_before: job.peak,
            end_before: job.end,
            growth_before: job.growth,
            ..JobChange::default()
        };
        match pipeline::simulate(
            &t,
            &RunOptions {
                configs: std::slice::from_ref(&opts[pick].config),
                budget: cmp.budget,
                ..RunOptions::default()
            },
        ) {
            Ok(run) => {
                let after = shrink::figures(run.result(), None);
                c.peak_after = Some(after.peak);
                c.end_after = Some(after.end);
                c.growth_after = after.growth;
            }
            Err(e) => c.not_priced = e.to_string(),
        }
        c
    };
    // A window that buffers every element (process, apply); the other
    // keyed operators carry the same default function but no window.
    let buffers = |o: &crate::scenario::WindowOperator| {
        o.keyed.is_none() && matches!(o.function, WindowFunction::Process | WindowFunction::Apply)
    };
    if s.operators.iter().any(buffers) {
        job_changes.push(with(
            "pre_aggregate",
            "pre-aggregate incrementally: .aggregate(AggregateFunction, ProcessWindowFunction) with a ~32-byte accumulator instead of buffering every element".into(),
            &|t: &mut Scenario| {
                for o in t.operators.iter_mut() {
                    if buffers(o) {
                        o.function = WindowFunction::Aggregate {
                            accumulator_bytes: 32,
                        };
                    }
                }
            },
        ));
    }
    if !s.max_parallelism.is_multiple_of(s.parallelism) {
        let even = (s.max_parallelism.div_ceil(s.parallelism) * s.parallelism).min(32768);
        job_changes.push(with(
            "max_parallelism",
            format!(
                "max parallelism {even} (a multiple of parallelism {}): every subtask gets {} key groups instead of {} or {}",
                s.parallelism,
                even / s.parallelism,
                s.max_parallelism / s.parallelism,
                s.max_parallelism / s.parallelism + 1
            ),
            &|t: &mut Scenario| {
                t.max_parallelism = even;
                t.max_parallelism_set = true;
            },
        ));
    }
    job_changes.extend(
        shrink::Pricer {
            s,
            config: &opts[pick].config,
            budget: cmp.budget,
            base,
        }
        .changes(),
    );
    let failing_checkpoints: Vec<u64> = cmp
        .results
        .get(current.unwrap_or(pick))
        .map(|r| {
            r.operators
                .iter()
                .flat_map(|o| o.checkpoints.iter())
                .filter(|c| matches!(c.status, CheckpointStatus::Failed { .. }))
                .map(|c| c.checkpoint)
                .collect()
        })
        .unwrap_or_default();
    let failing_share_over_cycle = if failing_checkpoints.is_empty() {
        None
    } else {
        failing_share(s)?
    };
    Ok(Plan {
        recommended: pick,
        option: chosen.option.clone(),
        reasons,
        config,
        job_changes,
        failing_checkpoints,
        failing_share_over_cycle,
    })
}

/// Why nothing about checkpoints can be said of `r`: no checkpoint fell
/// inside the records played (of some operator), so there is no snapshot to
/// hold or fail. `None` when every operator has at least one.
pub fn no_checkpoint(s: &Scenario, r: &ScenarioResult) -> Option<String> {
    let empty: Vec<&str> = r
        .operators
        .iter()
        .filter(|o| o.checkpoints.is_empty())
        .map(|o| o.name.as_str())
        .collect();
    if empty.is_empty() {
        return None;
    }
    let played = r
        .operators
        .iter()
        .map(|o| o.stats.records)
        .max()
        .unwrap_or(0);
    let why = match s.checkpoints {
        CheckpointTrigger::Interval(ms) => format!(
            "no checkpoint falls inside the {} played: the first barrier is at {}",
            short_duration(
                (played as f64 * 1000.0 / s.source.events_per_second.max(1e-9)).round() as i64
            ),
            short_duration(ms as i64)
        ),
        CheckpointTrigger::EveryRecords(n) => format!(
            "no checkpoint falls inside the {} records played: the first barrier is after {} records",
            group_digits(played),
            group_digits(n)
        ),
    };
    let who = if empty.len() == r.operators.len() {
        String::new()
    } else {
        format!(" (operator '{}')", empty.join("', '"))
    };
    Some(format!("{why}{who}; play longer or checkpoint more often"))
}

/// `10 s`, `10.2 s`, `1.5 min`: [`crate::flink::units::human_duration_ms`]
/// without a trailing `.0`.
fn short_duration(ms: i64) -> String {
    crate::flink::units::human_duration_ms(ms).replacen(".0 ", " ", 1)
}

/// What was tested when a configuration file is laid over a scenario
/// whose `[state]` / `[checkpoints]` also set the backend or storage: one
/// line per setting both make, saying which wins and why. Flink applies
/// what the job sets in code (`env.setStateBackend`, `setCheckpointStorage`)
/// over the configuration file, and the scenario's sections are the job's
/// code. Read from the resolved configuration's reasons ("… set by the
/// job") and the file's own entries.
pub fn code_over_file(s: &Scenario, conf: &crate::flink::conf_file::ConfFile) -> Vec<String> {
    use crate::flink::config::{Setting, backend_from_config, lookup_setting};
    let v = s.flink_version;
    let file = conf.path.file_name().map_or_else(
        || conf.path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let set_by_job = |prefix: &str| {
        s.config
            .reasons
            .iter()
            .any(|r| r.starts_with(prefix) && r.ends_with("set by the job"))
    };
    let mut out = Vec::new();
    if set_by_job("backend ")
        && let Some(f) = lookup_setting(&conf.entries, Setting::Backend, v)
    {
        let class = s.config.backend.class_name(v);
        let same = backend_from_config(v, &f.value).is_ok_and(|b| b == s.config.backend);
        out.push(if same {
            format!(
                "the scenario's [state] backend ({class}) is set in the job's code, and '{}: {}' \
                 in {file} sets the same",
                f.key, f.value
            )
        } else {
            format!(
                "the scenario's [state] backend ({class}) is set in the job's code and wins over \
                 '{}: {}' in {file}: Flink applies the job's env.setStateBackend over the \
                 configuration file",
                f.key, f.value
            )
        });
    }
    if set_by_job("checkpoint storage ")
        && let Some(f) = lookup_setting(&conf.entries, Setting::Storage, v)
    {
        let own = s.config.storage.short_name();
        let same = f.value.trim().eq_ignore_ascii_case(own);
        out.push(if same {
            format!(
                "the scenario's [checkpoints] storage ({own}) is set in the job's code, and \
                 '{}: {}' in {file} sets the same",
                f.key, f.value
            )
        } else {
            format!(
                "the scenario's [checkpoints] storage ({own}) is set in the job's code and wins \
                 over '{}: {}' in {file}: Flink applies the job's setCheckpointStorage over the \
                 configuration file",
                f.key, f.value
            )
        });
    }
    out
}

/// Replays the scenario with a barrier every 1/40 of the smallest window
/// slide: the share of barriers at which a subtask is over the memory limit
/// is the share of checkpoints that fail when the checkpoint interval drifts
/// against the window boundaries.
pub fn failing_share(s: &Scenario) -> Result<Option<f64>> {
    let Storage::JobManager { .. } = s.config.storage else {
        return Ok(None);
    };
    let step = s
        .operators
        .iter()
        .filter_map(|o| match o.assigner {
            Assigner::Tumbling { size_ms, .. } => Some(size_ms),
            Assigner::Sliding { slide_ms, .. } => Some(slide_ms),
            Assigner::Session { .. } => None,
        })
        .min();
    let Some(step) = step else { return Ok(None) };
    let mut t = s.clone();
    t.checkpoints = CheckpointTrigger::Interval(((step / 40).max(1)) as u64);
    let clock = crate::workload::Clock::new(t.source.events_per_second);
    let n = crate::sim::Barriers::new(t.checkpoints, clock, t.source.records).checkpoints();
    if n == 0 || n > crate::pipeline::MAX_CHECKPOINTS {
        return Ok(None);
    }
    let r = pipeline::simulate(&t, &RunOptions::default())?.into_result();
    let (mut total, mut failed) = (0usize, 0usize);
    for o in &r.operators {
        // Skip the first window cycle: state is still building up.
        for c in o.checkpoints.iter().skip(40) {
            total += 1;
            failed += matches!(c.status, CheckpointStatus::Failed { .. }) as usize;
        }
    }
    Ok((total > 0).then(|| failed as f64 / total as f64))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A RocksDB job (Flink 1.20) with a small state.
    fn rocksdb_job() -> Scenario {
        Scenario::parse(
            r#"
name = "r"
flink_version = "1.20"
[source]
records = 20000
events_per_second = 1000
keys = 500
record_bytes = 100
[job]
parallelism = 2
[[operator]]
kind = "window"
assigner = "tumbling"
size = "5 s"
time = "processing"
function = "process"
[state]
backend = "rocksdb"
incremental = true
[flink_conf]
"state.checkpoints.dir" = "file:///tmp/c"
[checkpoints]
interval = "2 s"
"#,
            "r.toml".as_ref(),
        )
        .unwrap()
    }

    /// Every RocksDB option (file storage) made to fail: what is left.
    fn without_rocksdb(s: &Scenario) -> Comparison {
        let mut cmp = compare(s, 1e8, Default::default(), &|_| {}).unwrap();
        for (o, opt) in cmp.options.iter_mut().zip(options_for(s)) {
            if opt.config.backend == Backend::RocksDb {
                o.holds = false;
                o.fails_first = "checkpoint 1 expired before completing".into();
            }
        }
        cmp
    }

    #[test]
    fn a_rocksdb_job_goes_to_jobmanager_storage_only_when_the_state_fits() {
        let s = rocksdb_job();
        let cmp = compare(&s, 1e8, Default::default(), &|_| {}).unwrap();
        assert_eq!(
            cmp.options[current_option(&s, &options_for(&s)).unwrap()].option,
            "rocksdb incremental"
        );
        let p = plan(&s, &cmp).unwrap();
        assert_eq!(p.option, "rocksdb incremental", "{:?}", p.reasons);

        // RocksDB failing, the state small: JobManager storage, with why.
        let cmp = without_rocksdb(&s);
        let jm = cmp.options[0].clone();
        assert_eq!(jm.option, "hashmap + jobmanager");
        assert!(jm.holds && jm.headroom >= 1.0 - HEADROOM_TARGET, "{jm:?}");
        let p = plan(&s, &cmp).unwrap();
        assert_eq!(p.option, "hashmap + jobmanager", "{:?}", p.reasons);
        assert!(
            p.reasons
                .iter()
                .any(|r| r.contains("JobManager storage instead of EmbeddedRocksDBStateBackend only because the state fits")),
            "{:?}",
            p.reasons
        );

        // The same, but JobManager storage holds without headroom: files.
        let mut cmp = without_rocksdb(&s);
        cmp.options[0].headroom = 0.05;
        let p = plan(&s, &cmp).unwrap();
        assert_eq!(p.option, "hashmap + filesystem", "{:?}", p.reasons);
        // And with nothing else holding, never JobManager storage that
        // holds only without headroom.
        cmp.options[1].holds = false;
        let p = plan(&s, &cmp).unwrap();
        assert_ne!(p.option, "hashmap + jobmanager", "{:?}", p.reasons);
    }

    /// A dedup without TTL on the heap.
    fn dedup_job() -> Scenario {
        Scenario::parse(
            r#"
name = "d"
flink_version = "1.20"
[source]
records = 20000
events_per_second = 500
keys = 1000000
record_bytes = 100
processing_time = "event_time"
[job]
parallelism = 2
[[operator]]
name = "dedup"
kind = "dedup"
[state]
backend = "hashmap"
[flink_conf]
"execution.checkpointing.dir" = "file:///tmp/c"
[checkpoints]
storage = "filesystem"
interval = "2 s"
[compare]
ttl = ["5 s", "1 s"]
"#,
            "d.toml".as_ref(),
        )
        .unwrap()
    }

    #[test]
    fn every_ttl_length_is_priced_and_a_shorter_one_saves_more() {
        let s = dedup_job();
        let cmp = compare(&s, 1e8, Default::default(), &|_| {}).unwrap();
        let p = plan(&s, &cmp).unwrap();
        let ttl: Vec<&JobChange> = p.job_changes.iter().filter(|c| c.kind == "ttl").collect();
        assert_eq!(ttl.len(), 2, "{:?}", p.job_changes);
        assert!(
            ttl[0].change.starts_with("TTL 5 s on \"seen\""),
            "{:?}",
            ttl[0]
        );
        assert!(
            ttl[1].change.starts_with("TTL 1 s on \"seen\""),
            "{:?}",
            ttl[1]
        );
        let (a, b) = (ttl[0].end_after.unwrap(), ttl[1].end_after.unwrap());
        assert!(b < a && a < ttl[0].end_before, "{ttl:?}");
    }

    #[test]
    fn a_change_over_the_budget_is_listed_as_not_priced() {
        let s = dedup_job();
        let mut cmp = compare(&s, 1e8, Default::default(), &|_| {}).unwrap();
        cmp.budget = pipeline::Budget {
            seconds: 1e-6,
            bytes: 1,
        };
        let p = plan(&s, &cmp).unwrap();
        assert!(!p.job_changes.is_empty());
        for c in &p.job_changes {
            assert!(c.peak_after.is_none() && c.end_after.is_none(), "{c:?}");
            assert!(c.not_priced.contains("budget"), "{c:?}");
        }
    }
}
