//! The one way a scenario is simulated: [`simulate`] takes a validated
//! [`Scenario`] and [`RunOptions`] (the mode, the threads, the backend
//! options to apply, a progress callback) and returns a [`Run`]: one
//! [`ScenarioResult`] per backend option, and the mode and threads that
//! were actually used. `run`, `check`, `compare` and `sweep` all call it.
//!
//! Stage by stage: the workload (keys, records) is built once; each operator
//! is played once by the engine the mode picks (exact on one thread, exact
//! over key-group partitions, sampled, or analytic); at every barrier the
//! snapshot goes to every backend option's model, which turns it into bytes
//! per subtask, and the checkpoint storage's limits give its status.

pub mod budget;
pub mod mode;
pub mod replay;
pub mod result;

pub use budget::Budget;

pub use mode::Mode;
pub use result::{CheckpointResult, HeapFraming, OperatorResult, ScenarioResult, StateBytes};

use crate::backend::{self, BackendJob, StateModel, SubtaskSnapshot};
use crate::error::{Error, Result};
use crate::flink::ResolvedConfig;
use crate::scenario::{Assigner, KeyedKind, Scenario};
use crate::sim::{self, OperatorSpec, RunStats, Snapshot, sampled::Sampler};
use crate::workload::Workload;

/// Most checkpoints one run reports.
pub const MAX_CHECKPOINTS: u64 = 200_000;

/// How to simulate.
#[derive(Clone, Copy)]
pub struct RunOptions<'a> {
    /// The mode asked for (`Auto` picks by the size of the work).
    pub mode: Mode,
    /// Threads asked for (0: every core; see [`mode::threads_for`]).
    pub threads: usize,
    /// The backend options to apply to the same state, in order (empty:
    /// the scenario's own configuration).
    pub configs: &'a [ResolvedConfig],
    /// Hears the records played so far, over all operators.
    pub progress: &'a dyn Fn(u64),
    /// What the run may cost ([`Budget::DEFAULT`]: 10 s and 2 GiB); a
    /// scenario that fits no way of running is refused before it starts
    /// (see [`budget`]).
    pub budget: Budget,
    /// How an exact run's RocksDB bytes are made, if not by the budget
    /// ([`replay::choose`]): `Full` or `Sampled` replay regardless of its
    /// cost, `OverBudget` or `Off` the per-entry estimate.
    pub replay: Option<replay::Replay>,
}

impl Default for RunOptions<'_> {
    fn default() -> Self {
        RunOptions {
            mode: Mode::Auto,
            threads: 0,
            configs: &[],
            progress: &|_| {},
            budget: Budget::DEFAULT,
            replay: None,
        }
    }
}

/// What [`simulate`] returns.
#[derive(Debug, Clone)]
pub struct Run {
    /// One result per backend option, in the order asked.
    pub results: Vec<ScenarioResult>,
    /// The mode that ran (never `Auto`).
    pub mode: Mode,
    /// The threads the simulation ran on.
    pub threads: usize,
    /// Records played (per operator; every operator reads the same input).
    pub records: u64,
    /// Wall time of the simulation alone.
    pub elapsed: std::time::Duration,
    /// How the run was chosen, and what it was estimated to cost.
    pub plan: budget::Plan,
}

impl Run {
    /// The result of the first (or only) backend option.
    pub fn result(&self) -> &ScenarioResult {
        &self.results[0]
    }
    /// The result of the first (or only) backend option, by value.
    pub fn into_result(mut self) -> ScenarioResult {
        self.results.swap_remove(0)
    }
}

/// Why statecap cannot simulate `s` on `config`, if it cannot: an operator
/// other than a window (process, dedup, join) is simulated on the heap
/// and RocksDB backends without snapshot compression only; a Flink SQL
/// dedup or join (`style = "sql"`) on the heap only.
pub fn unsimulated(s: &Scenario, config: &ResolvedConfig) -> Option<String> {
    if !config.backend.is_heap()
        && let Some(op) = s
            .operators
            .iter()
            .find(|o| o.keyed.as_ref().is_some_and(|k| k.sql.is_some()))
    {
        return Some(format!(
            "operator '{}' (kind = \"{}\", style = \"sql\") is simulated on the heap backend \
             only, not on {}: its RowData keys and rows in RocksDB are not simulated yet",
            op.name,
            op.kind_name(),
            config.backend.short_name()
        ));
    }
    if (config.backend.is_heap() || config.backend == crate::flink::Backend::RocksDb)
        && !s.compression
    {
        return None;
    }
    let op = s.operators.iter().find(|o| o.keyed.is_some())?;
    Some(format!(
        "operator '{}' (kind = \"{}\") is simulated on the heap and RocksDB backends \
         without snapshot compression only, not on {}{}",
        op.name,
        op.kind_name(),
        config.backend.short_name(),
        if s.compression {
            " with compression"
        } else {
            ""
        }
    ))
}

/// Simulates every operator of `s` and applies every backend option of
/// `opts` to the same state. The window state does not depend on the
/// backend; its snapshot bytes, uploads and limits do. An exact run over
/// several threads gives the same result, byte for byte, as on one.
pub fn simulate(s: &Scenario, opts: &RunOptions) -> Result<Run> {
    let started = std::time::Instant::now();
    let configs = if opts.configs.is_empty() {
        std::slice::from_ref(&s.config)
    } else {
        opts.configs
    };
    let plan = budget::plan(s, opts.mode, opts.threads, configs.len(), &opts.budget)?;
    let mode = plan.estimate.mode;
    let workload = Workload::with_layout(s, plan.estimate.layout).map_err(|e| match e {
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
    // RocksDB in an exact run replays the writes into one instance per
    // subtask, on one thread (the instances see the writes in order): of
    // every key group, or of a sample of them, whichever fits the budget
    // beside the run (`replay`); else the per-entry estimate stands in, and
    // the mode line says so.
    let read = replay::Read {
        keys: s.source.trace.as_ref().map(|_| workload.keys.len() as u64),
        record_bytes: Some(workload.mean_record_bytes(s)),
    };
    let replay = if mode == Mode::Exact
        && configs
            .iter()
            .any(|c| c.backend == crate::flink::Backend::RocksDb)
    {
        opts.replay
            .unwrap_or_else(|| replay::choose(s, &plan, &opts.budget, read))
    } else {
        replay::Replay::Off
    };
    // The replay's cost goes with the run's estimate.
    let mut plan = plan;
    if let Some((secs, bytes)) = replay::shape(replay, s.parallelism).map(|(stride, subtasks)| {
        replay::cost(&replay::work(s, &plan.work, read), subtasks, stride)
    }) {
        let one = budget::estimate(&plan.work, mode, plan.estimate.layout, 1);
        plan.estimate.seconds = one.seconds + secs;
        plan.estimate.bytes = one.bytes + bytes as u64;
        plan.estimate.threads = 1;
    }
    let any_rocks_writes = matches!(
        replay,
        replay::Replay::Full | replay::Replay::Sampled { .. }
    );
    // The plan's threads, fewer for a trace shorter than its size said;
    // never more than key groups.
    // Process and dedup operators run on one thread (their checkpoint's
    // processing time is the last record's, over all key groups), and so
    // does a RocksDB replay (the instances see the writes in order).
    let threads = if any_rocks_writes || s.operators.iter().any(|o| o.keyed.is_some()) {
        1
    } else {
        mode::threads_for(mode, workload.records, plan.estimate.threads)
            .min(plan.estimate.threads)
            .min(s.max_parallelism as usize)
            .max(1)
    };
    let layout = s.layout();
    let mut sampler = (mode == Mode::Sampled)
        .then(|| Sampler::new(sampling_weights(s, &workload), layout.clone()));
    let partitions = match &sampler {
        // The sampled key groups, split over the threads.
        Some(sm) => {
            let w = workload.key_group_weights(s.max_parallelism);
            let mut owner = sim::partition(&w, threads);
            for (o, &mine) in owner.iter_mut().zip(sm.owner()) {
                if mine == sim::parallel::NOBODY {
                    *o = sim::parallel::NOBODY;
                }
            }
            Some(owner)
        }
        None => (threads > 1 && !any_rocks_writes)
            .then(|| sim::partition(&workload.key_group_weights(s.max_parallelism), threads)),
    };
    let mut results: Vec<ScenarioResult> = configs
        .iter()
        .map(|c| ScenarioResult {
            mode,
            rocksdb_replayed: any_rocks_writes && c.backend == crate::flink::Backend::RocksDb,
            rocksdb_replay: if c.backend == crate::flink::Backend::RocksDb {
                replay
            } else {
                replay::Replay::Off
            },
            sampled_error: None,
            name: s.name.clone(),
            backend: c.backend.short_name(),
            storage: c.storage.short_name(),
            operators: Vec::new(),
        })
        .collect();
    // The records each dedup with `emits = "first"` passed on, for the
    // operators after it.
    let mut passed: Vec<Option<Vec<u64>>> = vec![None; s.operators.len()];
    for (i, op) in s.operators.iter().enumerate() {
        let spec = OperatorSpec::new(s, i);
        let n_ckpt = sim::Barriers::new(spec.trigger, spec.clock, workload.records).checkpoints();
        if n_ckpt > MAX_CHECKPOINTS {
            return Err(Error::Limit(format!(
                "{}: {n_ckpt} checkpoints is more than statecap reports ({MAX_CHECKPOINTS}); \
                 take them less often",
                s.path.display()
            )));
        }
        let layout = s.operator_layout(i);
        let job = BackendJob {
            layout: layout.clone(),
            value: sim::value_layout(op),
            merging: matches!(op.assigner, Assigner::Session { .. }),
            copies: match op.assigner {
                Assigner::Sliding {
                    size_ms, slide_ms, ..
                } => size_ms as f64 / slide_ms as f64,
                _ => 1.0,
            },
            key_bytes: workload.mean_key_bytes(),
            element_bytes: workload.mean_record_bytes(s),
            compression: s.compression,
            payload: s.source.payload,
            heap_timers: s.timer_service == crate::scenario::TimerService::Heap,
            heap_format: op.keyed.as_ref().map(sim::keyed_heap_format),
        };
        let state_names = sim::state_names(op);
        let framing = {
            let heap = backend::heap::HeapModel::for_job(&BackendJob {
                compression: false,
                ..job.clone()
            });
            result::HeapFraming {
                header: heap.header(),
                key_group_id: crate::flink::serializer::KEY_GROUP_ID_BYTES,
                per_state: crate::flink::serializer::PER_STATE_FRAMING_BYTES,
            }
        };
        if let Some(why) = configs.iter().find_map(|c| unsimulated(s, c)) {
            return Err(Error::Limit(format!("{}: {why}", s.path.display())));
        }
        let recorder = any_rocks_writes.then(|| {
            let version = if s.flink_version.major >= 2 {
                backend::rocksdb::sst::RocksVersion::V8_10
            } else {
                backend::rocksdb::sst::RocksVersion::V6_20
            };
            backend::rocksdb::RocksWrites::new(&backend::rocksdb::RecorderSetup {
                layout: layout.clone(),
                key_len: job.key_bytes.round().max(1.0) as usize,
                heap_timers: job.heap_timers,
                merging: job.merging,
                value: job.value,
                version,
                wbm_capacity: backend::rocksdb::wbm_capacity(&s.flink_conf, s.parallelism).bytes,
                seed: s.seed,
                key_values: workload.keys.values.clone(),
                sample: match replay {
                    replay::Replay::Sampled {
                        stride,
                        one_subtask,
                    } => Some(backend::rocksdb::ReplaySample::strided(
                        &layout,
                        &workload.key_group_weights(s.max_parallelism),
                        stride,
                        one_subtask,
                    )),
                    _ => None,
                },
                keyed: op.keyed.as_ref().map(keyed_columns),
            })
        });
        let (writes, rocks_log) = match recorder {
            Some((w, l)) => (Some(w), Some(l)),
            None => (None, None),
        };
        let mut per_option: Vec<OptionRun> = configs
            .iter()
            .map(|c| OptionRun {
                config: c,
                model: backend::model_for(c, &job, rocks_log.as_ref()),
                checkpoints: Vec::new(),
                peak: None,
                peak_kgs: Vec::new(),
            })
            .collect();
        let offset = workload.records * i as u64;
        let progress = |n| (opts.progress)(offset + n);
        let mut on_checkpoint = |snap: &Snapshot| {
            let filled;
            let snap = match sampler.as_mut() {
                Some(sm) => {
                    let mut c = snap.clone();
                    sm.fill(&mut c);
                    // The estimated key groups have no states.
                    c.state_bytes.clear();
                    c.state_entries.clear();
                    filled = c;
                    &filled
                }
                None => snap,
            };
            for run in per_option.iter_mut() {
                run.checkpoint(snap);
            }
        };
        let read_later = op.route.emits_first
            && s.operators[i + 1..]
                .iter()
                .any(|o| o.route.from.iter().any(|f| f.after == Some(i)));
        let mut emitted = read_later.then(|| sim::record_bits(workload.records));
        let routed = !op.route.from.is_empty() || emitted.is_some();
        let mut routing = sim::Routing {
            from: op
                .route
                .from
                .iter()
                .map(|f| {
                    let after = f.after.and_then(|j| passed.get(j)?.as_deref());
                    (f.stream, after, f.side)
                })
                .collect(),
            join: op.keyed.as_ref().is_some_and(|k| k.kind == KeyedKind::Join),
            two_inputs: !s.sides.is_empty(),
            emitted: emitted.as_deref_mut(),
        };
        let stats = match writes {
            Some(w) if routed => sim::simulate_routed(
                &spec,
                &workload.keys,
                workload.records,
                workload.input(),
                w,
                &mut routing,
                &mut on_checkpoint,
                &progress,
            ),
            None if routed => sim::simulate_routed(
                &spec,
                &workload.keys,
                workload.records,
                workload.input(),
                sim::writes::NoWrites,
                &mut routing,
                &mut on_checkpoint,
                &progress,
            ),
            Some(w) => sim::simulate_with_writes(
                &spec,
                &workload.keys,
                workload.records,
                workload.input(),
                w,
                &mut on_checkpoint,
                &progress,
            ),
            None => play(
                mode,
                s,
                &spec,
                &workload,
                partitions.as_deref(),
                &mut on_checkpoint,
                &progress,
            ),
        };
        drop(routing);
        passed[i] = emitted;
        for (run, result) in per_option.into_iter().zip(results.iter_mut()) {
            result.operators.push(OperatorResult {
                name: op.name.clone(),
                checkpoints: run.checkpoints,
                peak: run.peak.map(|p| p.1),
                peak_key_group_bytes: run.peak_kgs,
                states: state_names.clone(),
                framing,
                stats: stats.clone(),
            });
        }
    }
    if let Some(sm) = &sampler {
        for r in results.iter_mut() {
            r.sampled_error = Some(sm.error_bound());
        }
    }
    Ok(Run {
        results,
        mode,
        threads,
        records: workload.records,
        elapsed: started.elapsed(),
        plan,
    })
}

/// Plays one operator in `mode`: the exact simulator (over the key-group
/// `partitions`, one thread each, if given), or the analytic snapshots at
/// the same barriers.
fn play(
    mode: Mode,
    s: &Scenario,
    spec: &OperatorSpec,
    workload: &Workload,
    partitions: Option<&[u8]>,
    on_checkpoint: &mut dyn FnMut(&Snapshot),
    progress: &dyn Fn(u64),
) -> RunStats {
    let (keys, total) = (&workload.keys, workload.records);
    match (mode, partitions) {
        (Mode::Analytic, _) => sim::analytic::simulate(
            s,
            spec,
            workload
                .occupancy()
                .expect("analytic runs take generated input"),
            total,
            on_checkpoint,
            progress,
        ),
        (_, Some(owner)) => sim::simulate_partitioned(
            spec,
            keys,
            total,
            workload.input(),
            owner,
            on_checkpoint,
            progress,
        ),
        (_, None) => sim::simulate(spec, keys, total, workload.input(), on_checkpoint, progress),
    }
}

/// What a key group's state is expected to be proportional to, for the
/// sampled mode's ratio estimator: its records when windows keep every
/// element (lists), else its distinct keys among a window's records (one
/// accumulator or element per key and window). From the first operator.
fn sampling_weights(s: &Scenario, workload: &Workload) -> Vec<f64> {
    let Some(op) = s.operators.first() else {
        return workload.key_group_weights(s.max_parallelism);
    };
    if sim::value_layout(op) == crate::flink::serializer::ValueLayout::List {
        return workload.key_group_weights(s.max_parallelism);
    }
    let span_ms = match op.assigner {
        Assigner::Tumbling { size_ms, .. } | Assigner::Sliding { size_ms, .. } => size_ms as f64,
        Assigner::Session { gap_ms } => 2.0 * gap_ms as f64,
    };
    let n = (s.source.events_per_second * span_ms / 1000.0).min(workload.records as f64);
    workload.key_group_distinct(s.max_parallelism, n.max(1.0))
}

/// A keyed operator's (not a window's) column families in RocksDB: its
/// states in declaration order (the interval join's `LEFT_BUFFER` and
/// `RIGHT_BUFFER`), each with its TTL when the compaction filter cleans
/// it; its timer service's name and its timers' namespace.
fn keyed_columns(
    op: &crate::scenario::KeyedOperator,
) -> (
    Vec<backend::rocksdb::layout::KeyedCf>,
    &'static str,
    backend::rocksdb::layout::TimerNamespace,
) {
    use crate::scenario::{KeyedKind, StateKind};
    use backend::rocksdb::layout::{KeyedCf, StateLayout, TimerNamespace};
    if let KeyedKind::IntervalJoin { .. } = op.kind {
        let buffer = |name: &str| KeyedCf {
            name: name.into(),
            kind: StateLayout::Map,
            filter_ttl: None,
        };
        return (
            vec![buffer("LEFT_BUFFER"), buffer("RIGHT_BUFFER")],
            "CLEANUP_TIMER",
            TimerNamespace::Cleanup,
        );
    }
    let states = op
        .states
        .iter()
        .map(|st| KeyedCf {
            name: st.name.clone(),
            kind: match st.kind {
                StateKind::Value { .. } => StateLayout::Value,
                StateKind::List { .. } => StateLayout::List,
                StateKind::Map { .. } => StateLayout::Map,
            },
            filter_ttl: st.ttl.filter(|t| t.compaction_filter).map(|t| t.ttl_ms),
        })
        .collect();
    (states, "user-timers", TimerNamespace::Void)
}

/// Each subtask's registered states, summed over its key-group range.
fn per_subtask_states(snap: &Snapshot, subtasks: &[SubtaskSnapshot]) -> Vec<Vec<StateBytes>> {
    if snap.state_bytes.is_empty() {
        return Vec::new();
    }
    subtasks
        .iter()
        .map(|t| {
            let range = t.key_group_start as usize..=t.key_group_end as usize;
            snap.state_bytes
                .iter()
                .zip(&snap.state_entries)
                .map(|(b, e)| StateBytes {
                    entry_bytes: b[range.clone()].iter().sum(),
                    entries: e[range.clone()].iter().sum(),
                })
                .collect()
        })
        .collect()
}

/// One backend option's model and results while a simulation runs.
struct OptionRun<'c> {
    config: &'c ResolvedConfig,
    model: Box<dyn StateModel>,
    checkpoints: Vec<CheckpointResult>,
    peak: Option<(u64, usize)>,
    peak_kgs: Vec<u64>,
}

impl OptionRun<'_> {
    /// Turns one barrier's snapshot into this option's checkpoint.
    fn checkpoint(&mut self, snap: &Snapshot) {
        let subtasks = self.model.checkpoint(snap);
        let status = backend::storage_verdict(self.config, &subtasks);
        let cp = CheckpointResult {
            checkpoint: snap.checkpoint,
            records: snap.records,
            time_ms: snap.time_ms,
            watermark_ms: snap.watermark_ms,
            live_windows: snap.live_windows,
            states: per_subtask_states(snap, &subtasks),
            subtasks,
            status,
        };
        let m = cp.max_state_bytes();
        if self.peak.is_none_or(|(b, _)| m > b) {
            self.peak = Some((m, self.checkpoints.len()));
            self.peak_kgs = self.model.key_group_bytes(snap);
        }
        self.checkpoints.push(cp);
    }
}
