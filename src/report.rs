//! What statecap tells people and machines: the table printed after a run,
//! `timeline.csv`, `summary.csv`, `summary.json`, `keygroups.csv` and
//! `states.csv` ([`states`]), all
//! rendered to bytes first and written together (or not at all) by
//! [`write_outputs`]. A sweep's `sweep.csv`, capacity charts and sentences
//! are [`sweep`]'s.

pub mod chart;
pub mod ci;
pub mod compare;
pub mod document;
pub mod drift;
mod format;
pub mod html;
pub mod markdown;
pub mod pages;
pub mod provenance;
pub mod sections;
pub mod states;
pub mod sweep;
mod table;
pub use table::group as group_digits;

pub use table::render_table;

use crate::backend::CheckpointStatus;
use crate::error::{Error, Result};
use crate::flink::Storage;
use crate::pipeline::{OperatorResult, ScenarioResult};
use crate::scenario::Scenario;
use serde::Serialize;
use std::path::{Path, PathBuf};

#[derive(Serialize, Default)]
struct TimelineRow<'a> {
    checkpoint: u64,
    records: u64,
    time_ms: i64,
    watermark_ms: Option<i64>,
    operator: &'a str,
    subtask: u32,
    key_group_start: u32,
    key_group_end: u32,
    backend: &'a str,
    storage: &'a str,
    state_bytes: u64,
    checkpointed_bytes: u64,
    checkpoint_status: &'a str,
    /// `exact` (heap format), or `estimate` with the range below.
    bytes_are: &'static str,
    state_bytes_low: u64,
    state_bytes_high: u64,
    checkpointed_bytes_low: u64,
    checkpointed_bytes_high: u64,
    entries: u64,
    timers: u64,
    live_keys: u64,
    live_windows: u64,
    nonempty_key_groups: u32,
    largest_key_group: u32,
    largest_key_group_bytes: u64,
    over_limit: bool,
}

fn limit(s: &Scenario) -> Option<u64> {
    match s.config.storage {
        Storage::JobManager { max_state_size } => Some(max_state_size),
        Storage::FileSystem { .. } => None,
    }
}

/// The CSV file `name`: the header (the field names of `T`), then one row
/// per item of `rows`. The header is written even when there are no rows:
/// the csv crate's `serialize` writes it only with the first row, so it is
/// taken from a default row and written first.
pub(crate) fn csv_bytes<T: Serialize + Default>(
    name: &str,
    rows: impl IntoIterator<Item = T>,
) -> Result<Vec<u8>> {
    let e = |e| Error::output(name, e);
    let mut w = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    w.write_record(&csv_header::<T>().map_err(e)?).map_err(e)?;
    for r in rows {
        w.serialize(r).map_err(e)?;
    }
    w.into_inner().map_err(|e| Error::output(name, e))
}

/// The column names `csv` gives `T` (its field names, in order).
fn csv_header<T: Serialize + Default>() -> std::result::Result<csv::StringRecord, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.serialize(T::default())?;
    let bytes = w
        .into_inner()
        .map_err(|e| csv::Error::from(e.into_error()))?;
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(bytes.as_slice());
    r.records()
        .next()
        .unwrap_or_else(|| Ok(csv::StringRecord::new()))
}

/// How `timeline.csv` holds a run: in full (one row per checkpoint ×
/// operator × subtask) up to [`TIMELINE_ROWS`] rows, else summarized.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimelineShape {
    /// Rows of the full table.
    pub rows: u64,
    /// Rows written.
    pub written: u64,
    /// How the table was summarized, if it was.
    pub summary: Option<String>,
    /// Every `stride`-th checkpoint of each operator is kept (1: all).
    stride: usize,
}

pub use crate::pipeline::budget::TIMELINE_ROWS;

/// The shape of `timeline.csv` for `r` (`full`: every row, however many).
/// A summarized table keeps, of each checkpoint, the row of its largest
/// subtask; if that is still more than [`TIMELINE_ROWS`] rows, only every
/// `k`-th checkpoint of each operator (and its first failure, its peak and
/// its last checkpoint).
pub fn timeline_shape(r: &ScenarioResult, full: bool) -> TimelineShape {
    let cps: u64 = r.operators.iter().map(|o| o.checkpoints.len() as u64).sum();
    let rows: u64 = r
        .operators
        .iter()
        .flat_map(|o| o.checkpoints.iter())
        .map(|c| c.subtasks.len() as u64)
        .sum();
    if full || rows <= TIMELINE_ROWS {
        return TimelineShape {
            rows,
            written: rows,
            summary: None,
            stride: 1,
        };
    }
    let stride = cps.div_ceil(TIMELINE_ROWS).max(1) as usize;
    let written: u64 = r
        .operators
        .iter()
        .map(|o| {
            let keep = kept(o, stride);
            (0..o.checkpoints.len()).filter(|&k| keep(k)).count() as u64
        })
        .sum();
    let which = if stride == 1 {
        "the largest subtask of every checkpoint".to_string()
    } else {
        format!(
            "the largest subtask of every {} checkpoint (and of each operator's first failure, \
             peak and last checkpoint)",
            ordinal(stride)
        )
    };
    TimelineShape {
        rows,
        written,
        summary: Some(format!(
            "timeline.csv summarized: {} of {} rows, {which}; `statecap run --full-timeline` \
             writes every row",
            group_digits(written),
            group_digits(rows)
        )),
        stride,
    }
}

/// `2nd`, `3rd`, `10th`.
fn ordinal(n: usize) -> String {
    let suffix = match (n % 10, n % 100) {
        (1, 11) | (2, 12) | (3, 13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// The checkpoints of `op` a summarized timeline keeps: every `stride`-th,
/// the first failure, the peak and the last.
fn kept(op: &OperatorResult, stride: usize) -> impl Fn(usize) -> bool + '_ {
    let n = op.checkpoints.len();
    let first_failed = op
        .checkpoints
        .iter()
        .position(|c| matches!(c.status, CheckpointStatus::Failed { .. }));
    move |k| k % stride == 0 || k + 1 == n || Some(k) == op.peak || Some(k) == first_failed
}

/// `timeline.csv`: one row per checkpoint × operator × subtask (summarized
/// above [`TIMELINE_ROWS`] rows: see [`timeline_shape`]).
pub fn timeline_csv(s: &Scenario, r: &ScenarioResult) -> Result<Vec<u8>> {
    timeline_csv_shaped(s, r, &timeline_shape(r, false))
}

/// `timeline.csv` in `shape`.
pub fn timeline_csv_shaped(
    s: &Scenario,
    r: &ScenarioResult,
    shape: &TimelineShape,
) -> Result<Vec<u8>> {
    let summarized = shape.summary.is_some();
    let stride = shape.stride;
    let lim = limit(s);
    // The heap format is replayed exactly; compression, RocksDB and a
    // closed-form (analytic) run are estimates. A row's range says how wide.
    let exact =
        s.config.backend.is_heap() && !s.compression && r.mode == crate::pipeline::Mode::Exact;
    let rows = r.operators.iter().flat_map(|op| {
        let keep = kept(op, stride);
        op.checkpoints
            .iter()
            .enumerate()
            .filter(move |&(k, _)| !summarized || keep(k))
            .flat_map(move |(_, cp)| {
                let top = cp.max_subtask().subtask;
                cp.subtasks
                    .iter()
                    .filter(move |st| !summarized || st.subtask == top)
                    .map(move |st| TimelineRow {
                        checkpoint: cp.checkpoint,
                        records: cp.records,
                        time_ms: cp.time_ms,
                        watermark_ms: cp.watermark_ms,
                        operator: &op.name,
                        subtask: st.subtask,
                        key_group_start: st.key_group_start,
                        key_group_end: st.key_group_end,
                        backend: r.backend,
                        storage: r.storage,
                        state_bytes: st.state_bytes,
                        checkpointed_bytes: st.checkpointed_bytes,
                        checkpoint_status: cp.status.name(),
                        bytes_are: if exact && st.state_bytes_low == st.state_bytes_high {
                            "exact"
                        } else {
                            "estimate"
                        },
                        state_bytes_low: st.state_bytes_low,
                        state_bytes_high: st.state_bytes_high,
                        checkpointed_bytes_low: st.checkpointed_bytes_low,
                        checkpointed_bytes_high: st.checkpointed_bytes_high,
                        entries: st.entries,
                        timers: st.timers,
                        live_keys: st.live_keys,
                        live_windows: cp.live_windows,
                        nonempty_key_groups: st.nonempty_key_groups,
                        largest_key_group: st.largest_key_group,
                        largest_key_group_bytes: st.largest_key_group_bytes,
                        over_limit: lim.is_some_and(|l| st.state_bytes > l),
                    })
            })
    });
    csv_bytes("timeline.csv", rows)
}

/// Peaks and failures of one operator.
#[derive(Debug, Clone, Serialize, Default)]
pub struct OperatorSummary {
    /// Operator name.
    pub operator: String,
    /// Checkpoints taken.
    pub checkpoints: usize,
    /// Checkpoints that failed.
    pub failed_checkpoints: usize,
    /// The first failing checkpoint.
    pub first_failed_checkpoint: Option<u64>,
    /// Checkpoint with the largest subtask.
    pub peak_checkpoint: Option<u64>,
    /// Records before it.
    pub peak_records: Option<u64>,
    /// Its largest subtask.
    pub peak_subtask: Option<u32>,
    /// That subtask's bytes.
    pub peak_subtask_bytes: u64,
    /// Largest total over subtasks at any checkpoint.
    pub peak_total_bytes: u64,
    /// Memory-backed limit per subtask, if the storage has one.
    pub limit_bytes: Option<u64>,
    /// Limit minus the peak (negative: over).
    pub headroom_bytes: Option<i64>,
    /// Records dropped as late (element-window assignments).
    pub dropped_late: u64,
    /// Backend.
    pub backend: String,
    /// Storage.
    pub storage: String,
}

/// Summarizes one operator.
pub fn summarize(s: &Scenario, r: &ScenarioResult, op: &OperatorResult) -> OperatorSummary {
    let lim = limit(s);
    let failed: Vec<u64> = op
        .checkpoints
        .iter()
        .filter(|c| matches!(c.status, CheckpointStatus::Failed { .. }))
        .map(|c| c.checkpoint)
        .collect();
    let peak = op.peak.map(|i| &op.checkpoints[i]);
    let peak_bytes = peak.map_or(0, |c| c.max_state_bytes());
    OperatorSummary {
        operator: op.name.clone(),
        checkpoints: op.checkpoints.len(),
        failed_checkpoints: failed.len(),
        first_failed_checkpoint: failed.first().copied(),
        peak_checkpoint: peak.map(|c| c.checkpoint),
        peak_records: peak.map(|c| c.records),
        peak_subtask: peak.map(|c| c.max_subtask().subtask),
        peak_subtask_bytes: peak_bytes,
        peak_total_bytes: op
            .checkpoints
            .iter()
            .map(|c| c.total_state_bytes())
            .max()
            .unwrap_or(0),
        limit_bytes: lim,
        headroom_bytes: lim.map(|l| l as i64 - peak_bytes as i64),
        dropped_late: op.stats.dropped_late,
        backend: r.backend.to_string(),
        storage: r.storage.to_string(),
    }
}

/// `summary.csv`: one row per operator.
pub fn summary_csv(s: &Scenario, r: &ScenarioResult) -> Result<Vec<u8>> {
    csv_bytes(
        "summary.csv",
        r.operators.iter().map(|op| summarize(s, r, op)),
    )
}

#[derive(Serialize)]
struct Failure<'a> {
    checkpoint: u64,
    records: u64,
    subtask: u32,
    size: u64,
    max_size: u64,
    over_limit: &'a [u32],
    message: &'a str,
}

/// How exact a run's bytes are, beside what its mode says of the
/// simulation: the heap format is replayed exactly (in an exact run);
/// Snappy compression and RocksDB are estimated whatever the mode, RocksDB
/// with a range per subtask (`state_bytes_low`..`state_bytes_high`).
pub fn bytes_accuracy(s: &Scenario, r: &ScenarioResult) -> Option<String> {
    use crate::flink::units::human_bytes;
    if s.config.backend.is_heap() {
        return match (s.compression, r.mode) {
            (true, _) => Some(
                "Snappy-compressed snapshot bytes estimated (measured median error 8.4% against \
                 real Flink)"
                    .into(),
            ),
            (false, crate::pipeline::Mode::Exact) => Some("heap snapshot bytes exact".into()),
            // The mode's own bound covers them.
            (false, _) => None,
        };
    }
    let top = r
        .operators
        .iter()
        .flat_map(|o| o.checkpoints.iter())
        .map(|c| c.max_subtask())
        .max_by_key(|st| st.state_bytes);
    let figures = top.map_or_else(String::new, |st| {
        if st.state_bytes_low == st.state_bytes_high {
            format!(": largest subtask {}", human_bytes(st.state_bytes))
        } else {
            format!(
                ": largest subtask {} (range {}..{})",
                human_bytes(st.state_bytes),
                human_bytes(st.state_bytes_low),
                human_bytes(st.state_bytes_high)
            )
        }
    });
    let name = if s.config.backend == crate::flink::Backend::ForSt {
        "ForSt (as RocksDB)"
    } else {
        "RocksDB"
    };
    let replayed = r.rocksdb_replayed;
    let mut kinds: Vec<&str> = Vec::new();
    for op in &s.operators {
        let k = match (op.assigner, replayed) {
            (crate::scenario::Assigner::Tumbling { .. }, true) => "2.9% tumbling",
            (crate::scenario::Assigner::Sliding { .. }, true) => "1.8% sliding",
            (crate::scenario::Assigner::Session { .. }, true) => "1.8% session",
            (crate::scenario::Assigner::Tumbling { .. }, false) => "11.5% tumbling",
            (crate::scenario::Assigner::Sliding { .. }, false) => "29.9% sliding",
            (crate::scenario::Assigner::Session { .. }, false) => "35.6% session",
        };
        if !kinds.contains(&k) {
            kinds.push(k);
        }
    }
    if !replayed {
        let why = if r.rocksdb_replay == crate::pipeline::replay::Replay::OverBudget {
            "replaying the writes, even of one key group of one subtask, would not fit the budget beside the run"
                .to_string()
        } else if r.mode == crate::pipeline::Mode::Exact {
            "every write is replayed in exact runs of window operators".to_string()
        } else {
            "this mode does not replay every write".to_string()
        };
        return Some(format!(
            "{name} state bytes estimated{figures} (per-entry estimate: {why}); measured median \
             error {} against real Flink",
            kinds.join(", ")
        ));
    }
    let memory = crate::backend::rocksdb::wbm_capacity(&s.flink_conf, s.parallelism);
    let memory = if memory.minicluster {
        format!(
            "no TaskManager memory configured: local MiniCluster assumed ({} managed memory per slot)",
            human_bytes(memory.managed_per_slot)
        )
    } else {
        format!(
            "{} managed memory per slot",
            human_bytes(memory.managed_per_slot)
        )
    };
    let what = match r.rocksdb_replay {
        crate::pipeline::replay::Replay::Sampled {
            stride,
            one_subtask,
        } => {
            let (median, p90) = crate::pipeline::replay::sampled_error(stride);
            let whose = if one_subtask {
                "of the heaviest subtask (the others' files scaled from it by their records)"
            } else {
                "per subtask"
            };
            format!(
                "replayed from the writes of one key group in {stride} {whose}, each standing \
                 for the subtask's records over theirs (measured against the full replay: median \
                 {median}%, p90 {p90}% per checkpoint and subtask)"
            )
        }
        _ => "replayed from every write".to_string(),
    };
    Some(format!(
        "{name} state bytes {what} (memtables, flushes, compactions, SST \
         files){figures}, the range for compaction timing; {memory}; payloads assumed random \
         text; measured median error {} against real Flink 1.20",
        kinds.join(", ")
    ))
}

/// The `mode: …` line printed after a run's table: the simulation's mode
/// and bound, then how exact the bytes are ([`bytes_accuracy`]).
pub fn mode_line(s: &Scenario, r: &ScenarioResult) -> String {
    let mut mode = crate::pipeline::mode::describe(r.mode, r.sampled_error);
    // `auto` picks exact for these; say why.
    if let Some((_, _, why)) = crate::pipeline::mode::exact_only(s) {
        mode = format!("{mode}; {why}");
    }
    match bytes_accuracy(s, r) {
        Some(b) => format!("{mode}; {b}"),
        None => mode,
    }
}

/// `summary.json`: the scenario's configuration as Flink resolves it, and per
/// operator the peaks and every failure with Flink's message.
pub fn summary_json(s: &Scenario, r: &ScenarioResult) -> Result<Vec<u8>> {
    summary_json_shaped(s, r, &timeline_shape(r, false))
}

/// `summary.json`, saying how `timeline.csv` was written (`shape`).
pub fn summary_json_shaped(
    s: &Scenario,
    r: &ScenarioResult,
    shape: &TimelineShape,
) -> Result<Vec<u8>> {
    let ops: Vec<serde_json::Value> = r
        .operators
        .iter()
        .map(|op| {
            let failures: Vec<Failure> = op
                .checkpoints
                .iter()
                .filter_map(|c| match &c.status {
                    CheckpointStatus::Failed {
                        subtask,
                        size,
                        max_size,
                        over_limit,
                        message,
                    } => Some(Failure {
                        checkpoint: c.checkpoint,
                        records: c.records,
                        subtask: *subtask,
                        size: *size,
                        max_size: *max_size,
                        over_limit,
                        message,
                    }),
                    CheckpointStatus::Completed => None,
                })
                .collect();
            serde_json::json!({
                "summary": summarize(s, r, op),
                "failures": failures,
                "stats": op.stats,
            })
        })
        .collect();
    let v = serde_json::json!({
        "scenario": s.name,
        "flink_version": s.flink_version.to_string(),
        "backend": s.config.backend.class_name(s.flink_version),
        "storage": r.storage,
        "limit_bytes": limit(s),
        "parallelism": s.parallelism,
        "max_parallelism": s.max_parallelism,
        "configuration": s.config.reasons,
        "operators": ops,
        "states": states::analyze(s, r),
        "mode": r.mode.name(),
        "mode_error": match bytes_accuracy(s, r) {
            Some(b) => format!("{}; {b}", crate::pipeline::mode::error_text(r.mode, r.sampled_error)),
            None => crate::pipeline::mode::error_text(r.mode, r.sampled_error),
        },
        "timeline": {
            "rows": shape.rows,
            "rows_written": shape.written,
            "summarized": shape.summary,
        },
    });
    let mut out = serde_json::to_vec_pretty(&v).map_err(|e| Error::output("summary.json", e))?;
    out.push(b'\n');
    Ok(out)
}

/// `keygroups.csv`: bytes of every key group at each operator's peak
/// checkpoint.
pub fn keygroups_csv(s: &Scenario, r: &ScenarioResult) -> Result<Vec<u8>> {
    #[derive(Serialize, Default)]
    struct Row<'a> {
        operator: &'a str,
        checkpoint: u64,
        key_group: usize,
        subtask: u32,
        bytes: u64,
    }
    let rows = r.operators.iter().enumerate().flat_map(|(i, op)| {
        let cp = op.peak.map_or(0, |i| op.checkpoints[i].checkpoint);
        let layout = s.operator_layout(i);
        op.peak_key_group_bytes
            .iter()
            .enumerate()
            .map(move |(kg, &bytes)| Row {
                operator: &op.name,
                checkpoint: cp,
                key_group: kg,
                subtask: layout.subtask_of(kg as u32),
                bytes,
            })
            .collect::<Vec<_>>()
    });
    csv_bytes("keygroups.csv", rows)
}

/// Every output file of a run, rendered.
pub fn render_outputs(s: &Scenario, r: &ScenarioResult) -> Result<Vec<(String, Vec<u8>)>> {
    render_outputs_with(s, r, &[])
}

/// Every output file of a run, with extra limit lines (a user's own
/// budget) on the charts and in the report: the CSVs and JSON, then the
/// charts (PNG + SVG), `report.html` and `report.md` ([`pages::run`]).
/// The report's recommendation is not simulated here (`statecap run` does
/// it: [`render_run`]); the date follows `SOURCE_DATE_EPOCH`.
pub fn render_outputs_with(
    s: &Scenario,
    r: &ScenarioResult,
    budgets: &[chart::Limit],
) -> Result<Vec<(String, Vec<u8>)>> {
    render_outputs_shaped(s, r, budgets, &timeline_shape(r, false))
}

/// [`render_outputs_with`], with `timeline.csv` in `shape` (see
/// [`timeline_shape`]).
pub fn render_outputs_shaped(
    s: &Scenario,
    r: &ScenarioResult,
    budgets: &[chart::Limit],
    shape: &TimelineShape,
) -> Result<Vec<(String, Vec<u8>)>> {
    let advice = sections::Advice::Unavailable(
        "this call does not simulate the other backend options; `statecap run` and `statecap \
         compare` do"
            .into(),
    );
    render_run(
        s,
        r,
        budgets,
        shape,
        &advice,
        provenance::Stamp::from_env()?,
    )
}

/// Every output file of `statecap run`: [`render_outputs_shaped`] with the
/// recommendation (`advice`) and the report dated `stamp`.
pub fn render_run(
    s: &Scenario,
    r: &ScenarioResult,
    budgets: &[chart::Limit],
    shape: &TimelineShape,
    advice: &sections::Advice,
    stamp: provenance::Stamp,
) -> Result<Vec<(String, Vec<u8>)>> {
    let mut files = vec![
        (
            "timeline.csv".to_string(),
            timeline_csv_shaped(s, r, shape)?,
        ),
        ("summary.csv".to_string(), summary_csv(s, r)?),
        (
            "summary.json".to_string(),
            summary_json_shaped(s, r, shape)?,
        ),
        ("keygroups.csv".to_string(), keygroups_csv(s, r)?),
        ("states.csv".to_string(), states::states_csv(r, shape)?),
    ];
    files.extend(pages::run(s, r, budgets, advice, stamp)?);
    Ok(files)
}

/// Writes `files` under `out/name/` all together: into a temporary
/// directory beside it first, then renamed into place, so a reader never
/// sees a half-written set.
pub fn write_outputs<N: AsRef<str>>(
    out: &Path,
    name: &str,
    files: &[(N, Vec<u8>)],
) -> Result<PathBuf> {
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    let tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}-"))
        .tempdir_in(out)
        .map_err(|e| Error::io(out, e))?;
    for (file, bytes) in files {
        let p = tmp.path().join(file.as_ref());
        std::fs::write(&p, bytes).map_err(|e| Error::io(&p, e))?;
    }
    let dest = out.join(name);
    if dest.exists() {
        std::fs::remove_dir_all(&dest).map_err(|e| Error::io(&dest, e))?;
    }
    let kept = tmp.keep();
    std::fs::rename(&kept, &dest).map_err(|e| {
        let _ = std::fs::remove_dir_all(&kept);
        Error::io(&dest, e)
    })?;
    Ok(dest)
}
