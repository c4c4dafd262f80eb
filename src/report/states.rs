//! Which state holds the bytes: `states.csv` (every checkpoint × operator
//! × subtask × registered state), and per operator each state's share at
//! the peak, its growth per hour over the run's last half (a least-squares
//! slope), whether it levels off or grows without bound, and when the
//! largest subtask crosses each limit that applies (from the simulation
//! when it happens within the run; a linear projection at the measured
//! slope past it). The text after a run, `summary.json`, the charts and
//! the report all read [`analyze`].

use super::csv_bytes;
use crate::error::Result;
use crate::flink::units::{format_utc_minute, human_bytes, human_span_ms, parse_memory_size};
use crate::flink::{Backend, Storage};
use crate::pipeline::{CheckpointResult, OperatorResult, ScenarioResult};
use crate::scenario::Scenario;
use serde::Serialize;
use std::fmt::Write;

/// The last half's growth, over the span of the run, below this share of
/// the state's level there: the state levels off.
const LEVEL_TOLERANCE: f64 = 0.05;
/// Checkpoints needed to tell growth from a level.
const MIN_CHECKPOINTS: usize = 4;
const MS_PER_HOUR: f64 = 3_600_000.0;

/// One registered state of one operator over the run.
#[derive(Debug, Clone, Serialize)]
pub struct StateTrend {
    /// Flink's name of the state (`window-contents`,
    /// `_timer_state/event_user-timers`, a declared state's name).
    pub state: String,
    /// Its bytes (entries and their per-key-group framing) in the largest
    /// subtask at the peak checkpoint.
    pub peak_bytes: u64,
    /// Its entries there.
    pub peak_entries: u64,
    /// Its share of that subtask's bytes (heap format: header and
    /// key-group ids included).
    pub share: f64,
    /// Growth of its bytes in the largest subtask, bytes per hour, over
    /// the last half of the run (least squares); `None` with too few
    /// checkpoints.
    pub growth_per_hour: Option<f64>,
    /// Its growth over the last eighth of the run, bytes per hour.
    pub end_growth_per_hour: Option<f64>,
    /// `levels off`, `grows without bound`, or `too few checkpoints`.
    pub verdict: &'static str,
}

/// When the largest subtask crosses one limit.
#[derive(Debug, Clone, Serialize)]
pub struct Crossing {
    /// What the limit is, in Flink's terms.
    pub limit: String,
    /// Bytes per subtask.
    pub limit_bytes: u64,
    /// What is measured against it: `state`, `local disk`.
    pub measured: &'static str,
    /// `simulated` (within the run), `projected` (a linear projection at
    /// the measured slope), or `not reached` (levels off or shrinks).
    pub how: &'static str,
    /// Time from the first record until it is crossed, ms.
    pub after_ms: Option<i64>,
    /// The checkpoint that crossed it (simulated).
    pub checkpoint: Option<u64>,
    /// The date and time (with `[source] start`), ms since 1970 UTC.
    pub at_ms: Option<i64>,
    /// The sentence.
    pub text: String,
}

/// One operator's states over the run.
#[derive(Debug, Clone, Serialize)]
pub struct OperatorStates {
    /// Operator name.
    pub operator: String,
    /// Every registered state, in Flink's registration order.
    pub states: Vec<StateTrend>,
    /// The state holding the most bytes at the peak.
    pub largest: Option<String>,
    /// Growth of the largest subtask's bytes per hour (last half).
    pub growth_per_hour: Option<f64>,
    /// The same over the last eighth of the run.
    pub end_growth_per_hour: Option<f64>,
    /// `levels off`, `grows without bound`, or `too few checkpoints`.
    pub verdict: &'static str,
    /// Each limit that applies, and when the largest subtask crosses it.
    pub crossings: Vec<Crossing>,
}

/// A state's bytes in a subtask: its entries and its framing.
fn state_bytes(op: &OperatorResult, cp: &CheckpointResult, subtask: usize, i: usize) -> u64 {
    let st = &cp.subtasks[subtask];
    let kgs = (st.key_group_end - st.key_group_start + 1) as u64;
    cp.states[subtask][i].entry_bytes + op.framing.state_framing(kgs)
}

/// Index of the checkpoint's largest subtask.
fn top(cp: &CheckpointResult) -> usize {
    let t = cp.max_subtask().subtask;
    cp.subtasks.iter().position(|s| s.subtask == t).unwrap_or(0)
}

/// Time of the first record: the first checkpoint's time less the
/// records before it at the source rate.
fn first_record_ms(s: &Scenario, op: &OperatorResult) -> i64 {
    op.checkpoints.first().map_or(0, |c| {
        let rate = s.source.events_per_second.max(1e-9);
        c.time_ms - ((c.records.saturating_sub(1)) as f64 * 1000.0 / rate).round() as i64
    })
}

/// Least-squares slope of `(t_ms, y)` over the points in the last
/// `1 / part` of their time span, bytes per hour; `None` with too few.
pub fn end_slope(points: &[(i64, f64)], part: i64) -> Option<f64> {
    if points.len() < MIN_CHECKPOINTS {
        return None;
    }
    let (t0, t1) = (points[0].0, points[points.len() - 1].0);
    let mid = t1 - (t1 - t0) / part;
    let half: Vec<(f64, f64)> = points
        .iter()
        .filter(|p| p.0 >= mid)
        .map(|&(t, y)| (t as f64, y))
        .collect();
    if half.len() < 2 || (part > 2 && half.len() < 3) {
        return None;
    }
    let n = half.len() as f64;
    let mt = half.iter().map(|p| p.0).sum::<f64>() / n;
    let my = half.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = half.iter().map(|p| (p.0 - mt) * (p.0 - mt)).sum();
    if sxx == 0.0 {
        return None;
    }
    let sxy: f64 = half.iter().map(|p| (p.0 - mt) * (p.1 - my)).sum();
    Some(sxy / sxx * MS_PER_HOUR)
}

/// Whether a series levels off: its last half's slope (bytes per hour),
/// over the whole run's span, adds less than [`LEVEL_TOLERANCE`] of the
/// last half's mean level; or its growth has stopped by the end (the
/// slope over the last eighth is not positive).
fn verdict(points: &[(i64, f64)], slope: Option<f64>) -> &'static str {
    let Some(slope) = slope else {
        return "too few checkpoints";
    };
    if end_slope(points, 8).is_some_and(|g| g <= 0.0) {
        return "levels off";
    }
    let (t0, t1) = (points[0].0, points[points.len() - 1].0);
    let mid = t0 + (t1 - t0) / 2;
    let half: Vec<f64> = points.iter().filter(|p| p.0 >= mid).map(|p| p.1).collect();
    let level = half.iter().sum::<f64>() / half.len().max(1) as f64;
    let added = slope * (t1 - t0) as f64 / MS_PER_HOUR;
    if added <= LEVEL_TOLERANCE * level.max(1.0) {
        "levels off"
    } else {
        "grows without bound"
    }
}

/// The limits a subtask's bytes must stay under, and what is measured
/// against each: the JobManager storage's max state size and the RPC
/// frame (memory-backed storage), the task heap (heap backends: the
/// serialized bytes, a lower bound of the objects on the heap), the
/// TaskManager's local disk per slot (RocksDB, `[cluster]
/// taskmanager_disk`).
pub fn limits(s: &Scenario) -> Vec<(String, u64, &'static str)> {
    let mut v = Vec::new();
    if let Storage::JobManager { max_state_size } = s.config.storage {
        v.push((
            "JobManager storage max state size".to_string(),
            max_state_size,
            "state",
        ));
        v.push((
            "RPC frame (akka/pekko.framesize)".to_string(),
            s.config.limits.frame_size,
            "state",
        ));
    }
    let slots = crate::backend::rocksdb::fit::slots(&s.flink_conf);
    if s.config.backend.is_heap() {
        let (heap, key) = match s
            .flink_conf
            .get("taskmanager.memory.task.heap.size")
            .and_then(|v| parse_memory_size(v).ok())
        {
            Some(h) => (h, "taskmanager.memory.task.heap.size"),
            None => (
                crate::backend::memory::DEFAULT_TASK_HEAP,
                "default task heap",
            ),
        };
        v.push((format!("task heap per slot ({key})"), heap / slots, "state"));
    }
    if s.config.backend == Backend::RocksDb
        && let Some(disk) = s.taskmanager_disk
    {
        v.push((
            "local disk per slot ([cluster] taskmanager_disk)".to_string(),
            disk / slots,
            "local disk",
        ));
    }
    v
}

/// Each operator's states over the run: empty when the run does not tell
/// states apart (the sampled and analytic modes).
pub fn analyze(s: &Scenario, r: &ScenarioResult) -> Vec<OperatorStates> {
    r.operators
        .iter()
        .filter(|op| {
            !op.checkpoints.is_empty() && op.checkpoints.iter().all(|c| !c.states.is_empty())
        })
        .map(|op| operator(s, op))
        .collect()
}

fn operator(s: &Scenario, op: &OperatorResult) -> OperatorStates {
    let peak = &op.checkpoints[op.peak.unwrap_or(0)];
    let pt = top(peak);
    // The subtask's heap bytes: its states, header and key-group ids.
    let peak_total: u64 = (0..op.states.len())
        .map(|i| state_bytes(op, peak, pt, i))
        .sum::<u64>()
        + {
            let st = &peak.subtasks[pt];
            op.framing
                .subtask_framing((st.key_group_end - st.key_group_start + 1) as u64)
        };
    let states: Vec<StateTrend> = op
        .states
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let points: Vec<(i64, f64)> = op
                .checkpoints
                .iter()
                .map(|c| (c.time_ms, state_bytes(op, c, top(c), i) as f64))
                .collect();
            let slope = end_slope(&points, 2);
            let bytes = state_bytes(op, peak, pt, i);
            StateTrend {
                state: name.clone(),
                peak_bytes: bytes,
                peak_entries: peak.states[pt][i].entries,
                share: bytes as f64 / peak_total.max(1) as f64,
                growth_per_hour: slope,
                end_growth_per_hour: end_slope(&points, 8),
                verdict: verdict(&points, slope),
            }
        })
        .collect();
    let largest = states
        .iter()
        .max_by_key(|t| t.peak_bytes)
        .map(|t| t.state.clone());
    let points: Vec<(i64, f64)> = op
        .checkpoints
        .iter()
        .map(|c| (c.time_ms, c.max_state_bytes() as f64))
        .collect();
    let slope = end_slope(&points, 2);
    let verdict = verdict(&points, slope);
    let start = first_record_ms(s, op);
    let crossings = limits(s)
        .into_iter()
        .map(|(limit, bytes, measured)| {
            crossing(s, op, start, slope, verdict, limit, bytes, measured)
        })
        .collect();
    OperatorStates {
        operator: op.name.clone(),
        states,
        largest,
        growth_per_hour: slope,
        end_growth_per_hour: end_slope(&points, 8),
        verdict,
        crossings,
    }
}

#[allow(clippy::too_many_arguments)]
fn crossing(
    s: &Scenario,
    op: &OperatorResult,
    start: i64,
    slope: Option<f64>,
    verdict: &'static str,
    limit: String,
    bytes: u64,
    measured: &'static str,
) -> Crossing {
    let value = |c: &CheckpointResult| match measured {
        "local disk" => c
            .subtasks
            .iter()
            .map(|s| s.local_disk_bytes)
            .max()
            .unwrap_or(0),
        _ => c.max_state_bytes(),
    };
    let date = |after: i64| s.source.start_ms.map(|t| t.saturating_add(after));
    let when = |after: i64| match date(after) {
        Some(at) => format!(", on {}", format_utc_minute(at)),
        None => String::new(),
    };
    let mut c = Crossing {
        limit,
        limit_bytes: bytes,
        measured,
        how: "not reached",
        after_ms: None,
        checkpoint: None,
        at_ms: None,
        text: String::new(),
    };
    let what = format!("{} ({})", c.limit, human_bytes(bytes));
    if let Some(cp) = op.checkpoints.iter().find(|cp| value(cp) > bytes) {
        let after = cp.time_ms - start;
        c.how = "simulated";
        c.after_ms = Some(after);
        c.checkpoint = Some(cp.checkpoint);
        c.at_ms = date(after);
        c.text = format!(
            "{what}: crossed at checkpoint {} (simulated), after {}{} at the given rate",
            cp.checkpoint,
            human_span_ms(after),
            when(after)
        );
        return c;
    }
    let last = op.checkpoints.last().map_or(0, value);
    match slope {
        Some(g) if verdict == "grows without bound" && g > 0.0 => {
            let t_last = op.checkpoints.last().map_or(0, |c| c.time_ms);
            let ahead = ((bytes - last) as f64 / g * MS_PER_HOUR).ceil();
            let after = (t_last - start).saturating_add(ahead.min(i64::MAX as f64 / 2.0) as i64);
            c.how = "projected";
            c.after_ms = Some(after);
            c.at_ms = date(after);
            c.text = format!(
                "{what}: projected to be crossed after {}{} at the given rate (linear, at the \
                 measured {}/h of the largest subtask)",
                human_span_ms(after),
                when(after),
                human_bytes(g.round() as u64)
            );
        }
        _ => {
            let peak = op.checkpoints.iter().map(value).max().unwrap_or(0);
            c.text = format!(
                "{what}: not reached (the largest subtask {}; its peak {})",
                if verdict == "too few checkpoints" {
                    "has too few checkpoints to project"
                } else {
                    "levels off"
                },
                human_bytes(peak)
            );
        }
    }
    c
}

/// Signed bytes per hour for people: `+1.2 MiB/h`, `-3 B/h`, `0 B/h`.
pub fn growth_text(g: Option<f64>) -> String {
    match g {
        None => "-".into(),
        Some(g) => {
            let sign = if g > 0.5 {
                "+"
            } else if g < -0.5 {
                "-"
            } else {
                ""
            };
            format!("{sign}{}/h", human_bytes(g.abs().round() as u64))
        }
    }
}

/// The text printed after a run: per operator, its largest state at the
/// peak, growth, verdict, and the limits' crossings.
pub fn render_summary(a: &[OperatorStates]) -> String {
    let mut o = String::new();
    for op in a.iter().take(super::chart::MAX_PANELS) {
        let _ = write!(
            o,
            "states of {} (largest subtask): {}, {} over the last half",
            op.operator,
            op.verdict,
            growth_text(op.growth_per_hour),
        );
        match op.end_growth_per_hour {
            Some(_) => {
                let _ = writeln!(
                    o,
                    ", {} over the last eighth",
                    growth_text(op.end_growth_per_hour)
                );
            }
            None => o.push('\n'),
        }
        let mut states: Vec<&StateTrend> = op.states.iter().collect();
        states.sort_by_key(|t| std::cmp::Reverse(t.peak_bytes));
        for t in states.iter().filter(|t| t.peak_bytes > 0).take(4) {
            let _ = writeln!(
                o,
                "  {:<40} {:>10} {:>5.1}%  {:>12}  {}",
                t.state,
                human_bytes(t.peak_bytes),
                t.share * 100.0,
                growth_text(t.growth_per_hour),
                t.verdict
            );
        }
        for c in &op.crossings {
            let _ = writeln!(o, "  {}", c.text);
        }
    }
    if a.len() > super::chart::MAX_PANELS {
        let _ = writeln!(
            o,
            "states of {} more operators: summary.json and states.csv",
            a.len() - super::chart::MAX_PANELS
        );
    }
    o
}

/// `states.csv`: one row per checkpoint × operator × subtask × state
/// (Flink's registered states, then `(header)`: the header and key-group
/// ids). `bytes` is the state's part of the subtask's heap snapshot
/// (entries and per-key-group framing; the rows of a subtask add up to its
/// heap `state_bytes`), `entry_bytes` without the framing, `share` of the
/// subtask's heap bytes.
///
/// When `timeline.csv` is summarized (`shape`), so is `states.csv`: the
/// states of the same rows (the largest subtask of each checkpoint kept).
pub fn states_csv(r: &ScenarioResult, shape: &super::TimelineShape) -> Result<Vec<u8>> {
    #[derive(Serialize, Default)]
    struct Row<'a> {
        checkpoint: u64,
        records: u64,
        time_ms: i64,
        operator: &'a str,
        subtask: u32,
        state: &'a str,
        bytes: u64,
        entry_bytes: u64,
        entries: Option<u64>,
        share: f64,
    }
    let mut rows = Vec::new();
    let summarized = shape.summary.is_some();
    for op in &r.operators {
        let keep = super::kept(op, shape.stride);
        for (k, cp) in op.checkpoints.iter().enumerate() {
            if summarized && !keep(k) {
                continue;
            }
            let largest = cp.max_subtask().subtask;
            for (si, st) in cp.subtasks.iter().enumerate() {
                if summarized && st.subtask != largest {
                    continue;
                }
                let Some(states) = cp.states.get(si) else {
                    continue;
                };
                let kgs = (st.key_group_end - st.key_group_start + 1) as u64;
                let framing = op.framing.subtask_framing(kgs);
                let total: u64 = states
                    .iter()
                    .map(|s| s.entry_bytes + op.framing.state_framing(kgs))
                    .sum::<u64>()
                    + framing;
                let row = |state, bytes, entry_bytes, entries| Row {
                    checkpoint: cp.checkpoint,
                    records: cp.records,
                    time_ms: cp.time_ms,
                    operator: &op.name,
                    subtask: st.subtask,
                    state,
                    bytes,
                    entry_bytes,
                    entries,
                    share: (bytes as f64 / total.max(1) as f64 * 1e6).round() / 1e6,
                };
                for (name, s) in op.states.iter().zip(states) {
                    rows.push(row(
                        name.as_str(),
                        s.entry_bytes + op.framing.state_framing(kgs),
                        s.entry_bytes,
                        Some(s.entries),
                    ));
                }
                rows.push(row("(header)", framing, 0, None));
            }
        }
    }
    csv_bytes("states.csv", rows)
}

/// The report's section: per operator, the verdict, the per-state table
/// (bytes and entries in the largest subtask at the peak, share, growth,
/// verdict) and when each limit is crossed; `None` when the run does not
/// tell states apart.
pub fn section(s: &Scenario, r: &ScenarioResult) -> Option<super::document::Section> {
    use super::document::{Block, Section};
    let a = analyze(s, r);
    if a.is_empty() {
        return None;
    }
    let mut blocks = vec![Block::Para(
        "Each registered keyed state's bytes in the largest subtask at the peak checkpoint \
         (its entries and 6 bytes of framing per key group, in Flink's heap snapshot format; \
         `states.csv` has every checkpoint and subtask), its growth per hour over the last \
         half of the run (least squares) and whether it levels off (TTL, windows and timers \
         clear it: no growth by the end) or grows without bound. A limit crossed within the \
         run is taken from the simulation; past it, the crossing is a linear projection at \
         the measured growth."
            .into(),
    )];
    for op in &a {
        blocks.push(Block::Para(format!(
            "Operator `{}`: {}; the largest subtask {} over the last half{}.",
            op.operator,
            op.verdict,
            growth_text(op.growth_per_hour),
            match op.end_growth_per_hour {
                Some(g) => format!(", {} over the last eighth", growth_text(Some(g))),
                None => String::new(),
            }
        )));
        blocks.push(Block::Table {
            head: [
                "state",
                "bytes at the peak",
                "entries",
                "share",
                "growth per hour",
                "verdict",
            ]
            .map(String::from)
            .to_vec(),
            rows: op
                .states
                .iter()
                .map(|t| {
                    vec![
                        format!("`{}`", t.state),
                        super::sections::bytes_cell(t.peak_bytes),
                        super::group_digits(t.peak_entries),
                        format!("{:.1}%", t.share * 100.0),
                        growth_text(t.growth_per_hour),
                        t.verdict.to_string(),
                    ]
                })
                .collect(),
            right: vec![false, true, true, true, true, false],
        });
        if !op.crossings.is_empty() {
            blocks.push(Block::List(
                op.crossings.iter().map(|c| c.text.clone()).collect(),
            ));
        }
    }
    Some(Section::new(
        "states",
        "Which state holds the bytes",
        blocks,
    ))
}
