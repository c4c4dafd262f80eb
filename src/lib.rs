//! statecap predicts, before a job is deployed, how large Apache Flink
//! keyed state and checkpoints will be on every subtask, and whether the
//! configured backend and checkpoint storage will hold them.
//!
//! The pipeline, stage by stage:
//!
//! ```text
//! scenario.toml ─► Scenario (validated)      scenario
//!               ─► Workload (keys, records)   workload
//!               ─► key groups, serializers    flink
//!               ─► Snapshot per barrier       sim
//!               ─► bytes per subtask, limits  backend
//!               ─► tables, CSV, JSON          report
//! ```
//!
//! ```no_run
//! use statecap::{Scenario, simulate_scenario};
//! let s = Scenario::load("scenarios/seed_flink16_memory_backend.toml".as_ref())?;
//! let result = simulate_scenario(&s, &|_| {})?;
//! for cp in &result.operators[0].checkpoints {
//!     println!("{} {} {}", cp.checkpoint, cp.max_state_bytes(), cp.status.name());
//! }
//! # Ok::<(), statecap::Error>(())
//! ```

pub mod backend;
pub mod error;
pub mod fast;
pub mod flink;
pub mod plan;
pub mod report;
pub mod scenario;
pub mod sim;
pub mod sweep;
pub mod workload;

pub use error::{Error, Result};
pub use scenario::Scenario;

use backend::{CheckpointStatus, HeapModel, SubtaskSnapshot};
use flink::KeyGroupLayout;
use scenario::Assigner;
use sim::{OperatorSpec, RunStats};
use workload::Workload;

/// Most checkpoints one run reports.
pub const MAX_CHECKPOINTS: u64 = 200_000;

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
    pub mode: fast::Mode,
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

/// Simulates every operator of a scenario under its own configuration.
/// `progress` receives the records played so far (over all operators).
pub fn simulate_scenario(s: &Scenario, progress: &dyn Fn(u64)) -> Result<ScenarioResult> {
    let mut results = simulate_options(s, std::slice::from_ref(&s.config), progress)?;
    Ok(results.remove(0))
}

/// Simulates a scenario once and applies every backend option to the same
/// state: one result per option, in order. The window state does not depend
/// on the backend; its snapshot bytes, uploads and limits do.
pub fn simulate_options(
    s: &Scenario,
    options: &[flink::ResolvedConfig],
    progress: &dyn Fn(u64),
) -> Result<Vec<ScenarioResult>> {
    simulate_options_mode(s, options, fast::Mode::Auto, progress)
}

/// [`simulate_scenario`] in a chosen [`fast::Mode`] (see [`fast::resolve`]).
pub fn simulate_scenario_mode(
    s: &Scenario,
    mode: fast::Mode,
    progress: &dyn Fn(u64),
) -> Result<ScenarioResult> {
    let mut results = simulate_options_mode(s, std::slice::from_ref(&s.config), mode, progress)?;
    Ok(results.remove(0))
}

/// [`simulate_options`] in a chosen [`fast::Mode`]: `exact` plays every
/// record, `analytic` computes the same snapshots in closed form, `auto`
/// picks by the size of the work. Exact runs use every core (see
/// [`simulate_options_threads`]).
pub fn simulate_options_mode(
    s: &Scenario,
    options: &[flink::ResolvedConfig],
    mode: fast::Mode,
    progress: &dyn Fn(u64),
) -> Result<Vec<ScenarioResult>> {
    simulate_options_threads(s, options, mode, 0, progress)
}

/// Exact runs of at least this many records are split over threads.
pub const PARALLEL_MIN_RECORDS: u64 = 1 << 20;

/// Threads an exact run uses when asked for `threads` (0: every core, or
/// one inside a rayon pool, where the pool already uses them).
pub fn exact_threads(threads: usize) -> usize {
    match threads {
        0 if rayon::current_thread_index().is_some() => 1,
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    }
}

/// [`simulate_options_mode`] with an exact run spread over `threads`
/// threads (0: see [`exact_threads`]). Key groups are split into that many
/// partitions of near-equal expected records, each simulated on its own
/// thread while this one produces the input; the result is the same, byte
/// for byte, as on one thread.
pub fn simulate_options_threads(
    s: &Scenario,
    options: &[flink::ResolvedConfig],
    mode: fast::Mode,
    threads: usize,
    progress: &dyn Fn(u64),
) -> Result<Vec<ScenarioResult>> {
    let mode = fast::resolve(s, mode)?;
    let workload = Workload::new(s).map_err(|e| match e {
        // Name the scenario that uses the trace.
        Error::Trace {
            path,
            line,
            message,
        } => Error::Trace {
            path,
            line,
            message: format!("{message} (trace of {})", s.path.display()),
        },
        e => e,
    })?;
    let threads = exact_threads(threads);
    let mut sampler = (mode == fast::Mode::Sampled).then(|| {
        fast::sampled::Sampler::new(
            sampling_weights(s, &workload),
            KeyGroupLayout::new(s.parallelism, s.max_parallelism),
        )
    });
    let partitions = match &sampler {
        // The sampled key groups, split over the threads.
        Some(sm) => {
            let w = workload.key_group_weights(s.max_parallelism);
            let mut owner = sim::partition(&w, threads.max(1));
            for (o, &mine) in owner.iter_mut().zip(sm.owner()) {
                if mine == sim::parallel::NOBODY {
                    *o = sim::parallel::NOBODY;
                }
            }
            Some(owner)
        }
        None => {
            (mode == fast::Mode::Exact && threads > 1 && workload.records >= PARALLEL_MIN_RECORDS)
                .then(|| sim::partition(&workload.key_group_weights(s.max_parallelism), threads))
        }
    };
    let mut results: Vec<ScenarioResult> = options
        .iter()
        .map(|c| ScenarioResult {
            mode,
            sampled_error: None,
            name: s.name.clone(),
            backend: c.backend.short_name(),
            storage: c.storage.short_name(),
            operators: Vec::new(),
        })
        .collect();
    for (i, op) in s.operators.iter().enumerate() {
        let spec = OperatorSpec::new(s, i);
        let n_ckpt = sim::Barriers::new(spec.trigger, spec.clock, workload.records).count();
        if n_ckpt > MAX_CHECKPOINTS {
            return Err(Error::Limit(format!(
                "{}: {n_ckpt} checkpoints is more than statecap reports ({MAX_CHECKPOINTS}); \
                 take them less often",
                s.path.display()
            )));
        }
        let layout = KeyGroupLayout::new(s.parallelism, s.max_parallelism);
        let merging = matches!(op.assigner, Assigner::Session { .. });
        let copies = match op.assigner {
            Assigner::Sliding {
                size_ms, slide_ms, ..
            } => size_ms as f64 / slide_ms as f64,
            _ => 1.0,
        };
        let mut heap = HeapModel::new(layout.clone(), sim::value_layout(op), merging);
        if s.compression {
            heap = heap.with_compression(backend::compression::Compression {
                value: sim::value_layout(op),
                key_bytes: workload.mean_key_bytes(),
                element_bytes: workload.mean_record_bytes(s),
                copies,
                merging,
                payload: s.source.payload,
            });
        }
        let mut per_option: Vec<OptionRun> = options
            .iter()
            .map(|c| OptionRun {
                config: c,
                rocks: (c.backend == flink::Backend::RocksDb).then(|| {
                    backend::rocksdb::RocksDbModel::new(backend::rocksdb::RocksJob {
                        parallelism: s.parallelism,
                        max_parallelism: s.max_parallelism,
                        value: sim::value_layout(op),
                        merging,
                        key_bytes: workload.mean_key_bytes(),
                        element_bytes: workload.mean_record_bytes(s),
                        copies,
                        incremental: c.incremental,
                        heap_timers: s.timer_service == scenario::TimerService::Heap,
                        header: heap.header(),
                    })
                }),
                checkpoints: Vec::new(),
                peak: None,
                peak_kgs: Vec::new(),
            })
            .collect();
        let offset = workload.records * i as u64;
        let stats = fast::simulate(
            mode,
            s,
            &spec,
            &workload.keys,
            workload.records,
            workload.input(),
            partitions.as_deref(),
            &mut |snap| {
                let filled;
                let snap = match sampler.as_mut() {
                    Some(sm) => {
                        let mut c = snap.clone();
                        sm.fill(&mut c);
                        filled = c;
                        &filled
                    }
                    None => snap,
                };
                let base = heap.subtasks(snap);
                for run in per_option.iter_mut() {
                    let mut subtasks = base.clone();
                    if let Some(r) = run.rocks.as_mut() {
                        for (row, est) in subtasks.iter_mut().zip(r.checkpoint(snap)) {
                            row.state_bytes = est.state_bytes;
                            row.checkpointed_bytes = est.checkpointed_bytes;
                            row.state_bytes_low = est.state_low;
                            row.state_bytes_high = est.state_high;
                        }
                    }
                    let status = backend::storage_verdict(run.config, &subtasks);
                    let cp = CheckpointResult {
                        checkpoint: snap.checkpoint,
                        records: snap.records,
                        time_ms: snap.time_ms,
                        watermark_ms: snap.watermark_ms,
                        live_windows: snap.live_windows,
                        subtasks,
                        status,
                    };
                    let m = cp.max_state_bytes();
                    if run.peak.is_none_or(|(b, _)| m > b) {
                        run.peak = Some((m, run.checkpoints.len()));
                        run.peak_kgs = (0..snap.kg_bytes.len())
                            .map(|kg| heap.key_group_bytes(snap, kg))
                            .collect();
                    }
                    run.checkpoints.push(cp);
                }
            },
            &|n| progress(offset + n),
        );
        for (run, result) in per_option.into_iter().zip(results.iter_mut()) {
            result.operators.push(OperatorResult {
                name: op.name.clone(),
                checkpoints: run.checkpoints,
                peak: run.peak.map(|p| p.1),
                peak_key_group_bytes: run.peak_kgs,
                stats: stats.clone(),
            });
        }
    }
    if let Some(sm) = &sampler {
        for r in results.iter_mut() {
            r.sampled_error = Some(sm.error_bound());
        }
    }
    Ok(results)
}

/// What a key group's state is expected to be proportional to, for the
/// sampled mode's ratio estimator: its records when windows keep every
/// element (lists), else its distinct keys among a window's records (one
/// accumulator or element per key and window). From the first operator.
fn sampling_weights(s: &Scenario, workload: &Workload) -> Vec<f64> {
    let Some(op) = s.operators.first() else {
        return workload.key_group_weights(s.max_parallelism);
    };
    if sim::value_layout(op) == flink::serializer::ValueLayout::List {
        return workload.key_group_weights(s.max_parallelism);
    }
    let span_ms = match op.assigner {
        Assigner::Tumbling { size_ms, .. } | Assigner::Sliding { size_ms, .. } => size_ms as f64,
        Assigner::Session { gap_ms } => 2.0 * gap_ms as f64,
    };
    let n = (s.source.events_per_second * span_ms / 1000.0).min(workload.records as f64);
    workload.key_group_distinct(s.max_parallelism, n.max(1.0))
}

/// One backend option's models and results while a simulation runs.
struct OptionRun<'c> {
    config: &'c flink::ResolvedConfig,
    rocks: Option<backend::rocksdb::RocksDbModel>,
    checkpoints: Vec<CheckpointResult>,
    peak: Option<(u64, usize)>,
    peak_kgs: Vec<u64>,
}
