//! What `statecap sweep` shows of a [`Sweep`]: `sweep.csv` (one row per
//! point), a capacity chart per swept parameter ([`super::chart`]), and the
//! text printed: the grid of peaks, the invalid points, and each crossing in
//! words, each naming the limit it is about ("the memory backend's 5.0 MiB
//! limit is exceeded above 62,000 records/s at parallelism 8, so checkpoints
//! fail"; "the 2.0 MiB budget holds at every swept key count"). The limits
//! are the checkpoint storage's and the user's budgets.
//!
//! Not here: running the points and finding the crossings
//! ([`crate::plan::sweep`]).

use super::chart::{self, CapacityChart, CapacityLine, CapacityPoint, Limit};
use super::table::group;
use crate::error::{Error, Result};
use crate::flink::units::{human_bytes, human_duration_ms};
use crate::flink::{Backend, Storage};
use crate::pipeline::Mode;
use crate::plan::sweep::{CrossingKind, Param, Point, Status, Sweep};
use crate::plan::sweep::{crossing, log_axis, peaks, round_sig};
use crate::scenario::Scenario;
use std::fmt::Write;

/// The limits of a sweep: the storage's (when it has one), then `budgets`.
pub fn limits(sw: &Sweep, budgets: &[Limit]) -> Vec<Limit> {
    super::markdown::limits(&sw.base, budgets)
}

/// `sweep.csv`: one row per point.
pub fn csv(sw: &Sweep) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut head: Vec<String> = sw.vary.iter().map(|v| v.param.name().to_string()).collect();
    head.extend(
        [
            "records",
            "parallelism_used",
            "key_groups",
            "backend",
            "storage",
            "limit_bytes",
            "peak_subtask_bytes",
            "peak_total_bytes",
            "checkpoints",
            "failed_checkpoints",
            "first_failed_checkpoint",
            "status",
            "note",
            "mode",
            "elapsed_ms",
        ]
        .map(String::from),
    );
    let e = |e: csv::Error| Error::output("sweep.csv", e);
    w.write_record(&head).map_err(e)?;
    let limit = match sw.base.config.storage {
        Storage::JobManager { max_state_size } => max_state_size.to_string(),
        Storage::FileSystem { .. } => String::new(),
    };
    for p in &sw.points {
        let mut row: Vec<String> = p.values.iter().map(|v| num(*v)).collect();
        let opt = |v: Option<u64>| v.map_or(String::new(), |b| b.to_string());
        let note = match &p.status {
            Status::Invalid(m) | Status::Error(m) | Status::NoCheckpoint(m) => m.clone(),
            _ => String::new(),
        };
        row.extend([
            p.records.to_string(),
            p.parallelism.to_string(),
            p.max_parallelism.to_string(),
            sw.base.config.backend.short_name().to_string(),
            sw.base.config.storage.short_name().to_string(),
            limit.clone(),
            opt(p.peak_subtask_bytes),
            opt(p.peak_total_bytes),
            p.checkpoints.to_string(),
            p.failed_checkpoints.to_string(),
            opt(p.first_failed_checkpoint),
            p.status.name().to_string(),
            note,
            p.mode.to_string(),
            p.elapsed_ms.to_string(),
        ]);
        w.write_record(&row).map_err(e)?;
    }
    w.into_inner().map_err(|e| Error::output("sweep.csv", e))
}

/// The capacity chart along dimension `d`, with the storage's limit and
/// `budgets` drawn.
pub fn chart(sw: &Sweep, d: usize, budgets: &[Limit]) -> CapacityChart {
    let v = &sw.vary[d];
    let limits = limits(sw, budgets);
    let log = log_axis(&v.values);
    let lines = sw
        .lines(d)
        .into_iter()
        .map(|(fixed, pts)| {
            let xs = peaks(d, &pts);
            // A line none of whose points ran crosses nothing.
            let crossing = limits.first().filter(|_| !xs.is_empty()).and_then(|l| {
                match crossing(&xs, l.bytes, log) {
                    CrossingKind::Above { at, .. } | CrossingKind::Below { at, .. } => Some(at),
                    _ => None,
                }
            });
            CapacityLine {
                label: if fixed.is_empty() {
                    sw.base.name.clone()
                } else {
                    fixed
                        .iter()
                        .map(|(p, x)| phrase(*p, *x))
                        .collect::<Vec<_>>()
                        .join(", ")
                },
                points: pts
                    .iter()
                    .map(|p| CapacityPoint {
                        x: p.values[d],
                        peak_bytes: p.peak_subtask_bytes,
                        failed: p.status == Status::Fails,
                    })
                    .collect(),
                crossing,
            }
        })
        .collect();
    CapacityChart {
        title: format!("{} — capacity against {}", sw.base.name, axis(v.param)),
        subtitle: format!(
            "{} + {} storage, Flink {}; {} points",
            sw.base.config.backend.class_name(sw.base.flink_version),
            sw.base.config.storage.short_name(),
            sw.base.flink_version,
            sw.points.len()
        ),
        x_desc: axis(v.param),
        x_is_ms: v.param.is_duration(),
        x_is_integer: v.param.is_integer() && !v.param.is_duration(),
        lines,
        limits,
    }
}

/// File stem of the chart along dimension `d`: `capacity_parallelism`.
pub fn chart_name(sw: &Sweep, d: usize) -> String {
    let n = sw.vary[d].param.name();
    format!("capacity_{}", n.rsplit('.').next().unwrap_or(n))
}

/// `sweep.csv` and the capacity charts (PNG + SVG), as output files.
pub fn outputs(sw: &Sweep, budgets: &[Limit]) -> Result<Vec<(String, Vec<u8>)>> {
    let mut files = vec![("sweep.csv".to_string(), csv(sw)?)];
    for d in 0..sw.vary.len() {
        if sw.vary[d].values.len() < 2 {
            continue;
        }
        files.extend(chart::files(&chart_name(sw, d), &chart(sw, d, budgets))?);
    }
    Ok(files)
}

/// What `statecap sweep` prints: the grid of peaks and the crossings.
pub fn render(sw: &Sweep, budgets: &[Limit]) -> String {
    let mut o = String::new();
    let dims: Vec<&str> = sw.vary.iter().map(|v| v.param.name()).collect();
    let analytic = sw.points.iter().filter(|p| p.mode == "analytic").count();
    let _ = writeln!(
        o,
        "sweep {}: {} points ({}) on {} threads in {:.1} s{}",
        sw.base.name,
        sw.points.len(),
        dims.join(" × "),
        sw.threads,
        sw.elapsed_ms as f64 / 1e3,
        if analytic > 0 {
            format!(
                "; {analytic} in analytic mode {}",
                crate::pipeline::mode::describe(Mode::Analytic, None)
                    .trim_start_matches("mode: analytic ")
            )
        } else {
            String::new()
        }
    );
    let _ = writeln!(
        o,
        "{} + {} storage{}; cells: peak snapshot of the largest subtask, ✗ = a checkpoint fails",
        sw.base.config.backend.class_name(sw.base.flink_version),
        sw.base.config.storage.short_name(),
        match sw.base.config.storage {
            Storage::JobManager { max_state_size } =>
                format!(", limit {} per subtask", human_bytes(max_state_size)),
            Storage::FileSystem { .. } => String::new(),
        }
    );
    let cell = |p: &Point| match (&p.status, p.peak_subtask_bytes) {
        (Status::Invalid(_), _) => "invalid".to_string(),
        (Status::Error(_), _) => "error".to_string(),
        (Status::NoCheckpoint(_), _) => "no ckpt".to_string(),
        (s, Some(b)) => format!(
            "{}{}",
            human_bytes(b),
            if *s == Status::Fails { " ✗" } else { "  " }
        ),
        (_, None) => "-".into(),
    };
    match sw.vary.len() {
        2 => {
            let (a, b) = (&sw.vary[0], &sw.vary[1]);
            let w0 = a
                .values
                .iter()
                .map(|v| group_f(*v).len())
                .max()
                .unwrap_or(0)
                .max(a.param.name().len().min(12));
            let _ = write!(o, "\n{:>w0$} ", "");
            let _ = writeln!(o, " {} →", b.param.name());
            let _ = write!(o, "{:>w0$} ", trunc(a.param.name(), w0));
            for v in &b.values {
                let _ = write!(o, " {:>12}", compact(b.param, *v));
            }
            let _ = writeln!(o);
            for (i, va) in a.values.iter().enumerate() {
                let _ = write!(o, "{:>w0$} ", group_f(*va));
                for j in 0..b.values.len() {
                    let p = &sw.points[i * b.values.len() + j];
                    let _ = write!(o, " {:>12}", cell(p));
                }
                let _ = writeln!(o);
            }
        }
        _ => {
            let _ = writeln!(o);
            for v in &sw.vary {
                let _ = write!(o, "{:>14} ", trunc(v.param.name(), 14));
            }
            let _ = writeln!(o, " {:>12}", "peak");
            for p in &sw.points {
                for (v, x) in sw.vary.iter().zip(&p.values) {
                    let _ = write!(o, "{:>14} ", compact(v.param, *x));
                }
                let _ = writeln!(o, " {:>12}", cell(p));
            }
        }
    }
    let invalid: Vec<&Point> = sw
        .points
        .iter()
        .filter(|p| {
            matches!(
                p.status,
                Status::Invalid(_) | Status::Error(_) | Status::NoCheckpoint(_)
            )
        })
        .collect();
    for p in invalid.iter().take(5) {
        if let Status::Invalid(m) | Status::Error(m) | Status::NoCheckpoint(m) = &p.status {
            let _ = writeln!(o, "  {}: {m}", describe_values(sw, &p.values));
        }
    }
    let _ = writeln!(o);
    for line in crossing_lines(sw, budgets) {
        let _ = writeln!(o, "{line}");
    }
    o
}

/// Where each limit is crossed, one sentence per line of the grid and
/// limit, each naming the limit it is about.
pub fn crossing_lines(sw: &Sweep, budgets: &[Limit]) -> Vec<String> {
    let mut out = Vec::new();
    let limits = limits(sw, budgets);
    let bytes: Vec<u64> = limits.iter().map(|l| l.bytes).collect();
    // Every sentence names the limit it is about: the storage's ("the
    // memory backend's 5.0 MiB limit", over which checkpoints fail) or a
    // budget ("the 2.0 MiB budget"), so a sweep that fails the one and
    // holds the other says both without contradiction.
    let is_storage = |i: usize| i == 0 && limits.len() > budgets.len();
    let name = |i: usize| {
        if is_storage(i) {
            storage_limit_name(&sw.base, limits[i].bytes)
        } else {
            format!("the {} {}", human_bytes(limits[i].bytes), limits[i].label)
        }
    };
    for c in sw.crossings(&bytes) {
        let who = name(c.limit);
        let peak = |b: u64| beside(b, limits[c.limit].bytes);
        let fail = if is_storage(c.limit) {
            ", so checkpoints fail"
        } else {
            ""
        };
        let at = if c.fixed.is_empty() {
            String::new()
        } else {
            format!(
                " at {}",
                c.fixed
                    .iter()
                    .map(|(p, x)| phrase(*p, *x))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        let p = c.param;
        let line = match c.kind {
            CrossingKind::Above {
                at: x,
                last_ok,
                first_over,
            } => format!(
                "{who} is exceeded above {}{at}{fail} (under at {}: {}; over at {}: {})",
                phrase(p, round_sig(x)),
                show(p, last_ok.0),
                peak(last_ok.1),
                show(p, first_over.0),
                peak(first_over.1)
            ),
            CrossingKind::Below {
                at: x,
                last_over,
                first_ok,
            } if matches!(p, Param::Parallelism | Param::MaxParallelism) => format!(
                "{who} holds with {} or more{at} (over at {}: {}; under at {}: {})",
                phrase(p, x.ceil()),
                show(p, last_over.0),
                peak(last_over.1),
                show(p, first_ok.0),
                peak(first_ok.1)
            ),
            CrossingKind::Below {
                at: x,
                last_over,
                first_ok,
            } => format!(
                "{who} is exceeded below {}{at}{fail} (over at {}: {}; under at {}: {})",
                phrase(p, round_sig(x)),
                show(p, last_over.0),
                peak(last_over.1),
                show(p, first_ok.0),
                peak(first_ok.1)
            ),
            CrossingKind::Always { lowest } => format!(
                "{who} is exceeded at every swept {}{at}{fail} (lowest peak {} at {})",
                noun(p),
                human_bytes(lowest.1),
                show(p, lowest.0)
            ),
            CrossingKind::Never { highest } => format!(
                "{who} holds at every swept {}{at} (highest peak {} at {}, {:.0}% of it)",
                noun(p),
                human_bytes(highest.1),
                show(p, highest.0),
                highest.1 as f64 * 100.0 / limits[c.limit].bytes as f64,
            ),
        };
        out.push(line);
    }
    // A budget above the storage's limit never binds: checkpoints fail first.
    if is_storage(0) {
        for (i, l) in limits.iter().enumerate().skip(1) {
            if l.bytes > limits[0].bytes {
                out.push(format!(
                    "{} is above {}: checkpoints fail before the state reaches it",
                    name(i),
                    name(0)
                ));
            }
        }
    }
    if limits.is_empty() {
        out.push(format!(
            "{} storage has no per-subtask limit: give --budget SIZE to find where the state outgrows yours",
            sw.base.config.storage.short_name()
        ));
    }
    out
}

/// Every point as a table: the values, the peak of the largest subtask,
/// the checkpoints, the first failure and the outcome.
pub fn points_table(sw: &Sweep) -> super::document::Block {
    let mut head: Vec<String> = sw.vary.iter().map(|v| v.param.name().to_string()).collect();
    let n = head.len();
    head.extend(
        [
            "largest subtask",
            "all subtasks",
            "checkpoints",
            "failed",
            "first failed",
            "status",
        ]
        .map(String::from),
    );
    let rows = sw
        .points
        .iter()
        .map(|p| {
            let mut row: Vec<String> = sw
                .vary
                .iter()
                .zip(&p.values)
                .map(|(v, x)| show(v.param, *x))
                .collect();
            let opt = |b: Option<u64>| b.map_or("-".to_string(), human_bytes);
            row.extend([
                opt(p.peak_subtask_bytes),
                opt(p.peak_total_bytes),
                p.checkpoints.to_string(),
                p.failed_checkpoints.to_string(),
                p.first_failed_checkpoint
                    .map_or("-".to_string(), |c| c.to_string()),
                match &p.status {
                    Status::Fails => "FAILS".to_string(),
                    Status::Invalid(m) | Status::Error(m) | Status::NoCheckpoint(m) => {
                        format!("{}: {m}", p.status.name())
                    }
                    s => s.name().to_string(),
                },
            ]);
            row
        })
        .collect();
    let mut right = vec![true; n + 5];
    right.push(false);
    super::document::Block::Table { head, rows, right }
}

fn describe_values(sw: &Sweep, values: &[f64]) -> String {
    sw.vary
        .iter()
        .zip(values)
        .map(|(v, x)| format!("{}={}", v.param.name(), num(*x)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `bytes` as a person reads it, in bytes when rounding would make it read
/// as `limit` ("over at 3,000 records/s: 2,098,001 B" of a 2.0 MiB budget).
fn beside(bytes: u64, limit: u64) -> String {
    let text = human_bytes(bytes);
    if bytes != limit && text == human_bytes(limit) {
        format!("{} B", group(bytes))
    } else {
        text
    }
}

/// "the memory backend's 5.0 MiB limit", "the JobManager storage's 5.0 MiB
/// limit (hashmap backend)".
fn storage_limit_name(s: &Scenario, bytes: u64) -> String {
    match s.config.backend {
        Backend::Memory => format!("the memory backend's {} limit", human_bytes(bytes)),
        b => format!(
            "the JobManager storage's {} limit ({} backend)",
            human_bytes(bytes),
            b.short_name()
        ),
    }
}

fn trunc(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

fn compact(p: Param, v: f64) -> String {
    if p.is_duration() {
        human_duration_ms(v.round() as i64)
    } else {
        chart::compact_count(v)
    }
}

fn num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e18 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// How a value reads in a sentence: `8`, `62,000 records/s`, `5.0 s`.
pub fn show(p: Param, v: f64) -> String {
    match p {
        _ if p.is_duration() => human_duration_ms(v.round() as i64),
        Param::EventsPerSecond => format!("{} records/s", group_f(v)),
        Param::Keys => format!("{} keys", group_f(v)),
        Param::Records => format!("{} records", group_f(v)),
        Param::CheckpointEveryRecords => format!("every {} records", group_f(v)),
        _ => group_f(v),
    }
}

/// Short phrase for a line or a crossing: `parallelism 8`.
pub fn phrase(p: Param, v: f64) -> String {
    match p {
        Param::Parallelism => format!("parallelism {}", group_f(v)),
        Param::MaxParallelism => format!("{} key groups", group_f(v)),
        Param::WindowSizeMs => format!("window {}", show(p, v)),
        Param::WindowSlideMs => format!("slide {}", show(p, v)),
        Param::SessionGapMs => format!("gap {}", show(p, v)),
        Param::DurationMs => format!("{} of traffic", show(p, v)),
        Param::CheckpointIntervalMs => format!("checkpoints every {}", show(p, v)),
        _ => show(p, v),
    }
}

/// What a sentence calls a parameter: `rate`, `parallelism`.
pub fn noun(p: Param) -> &'static str {
    match p {
        Param::EventsPerSecond => "rate",
        Param::DurationMs => "duration",
        Param::Records => "record count",
        Param::Keys => "key count",
        Param::Parallelism => "parallelism",
        Param::MaxParallelism => "max parallelism",
        Param::WindowSizeMs => "window size",
        Param::WindowSlideMs => "window slide",
        Param::SessionGapMs => "session gap",
        Param::CheckpointIntervalMs => "checkpoint interval",
        Param::CheckpointEveryRecords => "checkpoint spacing",
    }
}

/// The axis title of a capacity chart.
fn axis(p: Param) -> String {
    match p {
        Param::EventsPerSecond => "source rate (records/s)".into(),
        Param::Keys => "distinct keys".into(),
        Param::Parallelism => "parallelism".into(),
        Param::MaxParallelism => "max parallelism (key groups)".into(),
        Param::Records => "records played".into(),
        _ => p.name().into(),
    }
}

/// A whole value with thousands separators (`62,000`), others with two
/// decimals.
fn group_f(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e18 {
        group(v.abs() as u64)
    } else {
        format!("{v:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::sweep::Vary;

    /// Every point invalid: the chart has lines without points that ran,
    /// and no crossing on them.
    #[test]
    fn a_line_of_invalid_points_has_no_crossing() {
        let base = Scenario::parse(
            r#"
name = "t"
flink_version = "1.9"
[source]
records = 100
events_per_second = 10
keys = 5
record_bytes = 10
[job]
parallelism = 2
max_parallelism = 2
[[operator]]
kind = "window"
assigner = "tumbling"
size = "1 s"
function = "reduce"
[checkpoints]
interval = "1 s"
"#,
            "t.toml".as_ref(),
        )
        .unwrap();
        let vary = vec![Vary::parse("parallelism=4,8").unwrap()];
        let sw = crate::plan::sweep::run(&base, vary, Mode::Exact, Default::default(), &|| {});
        assert!(sw.points.iter().all(|p| p.status.name() == "invalid"));
        let c = chart(&sw, 0, &[]);
        assert_eq!(c.lines.len(), 1);
        assert_eq!(c.lines[0].crossing, None);
        assert!(render(&sw, &[]).contains("parallelism=8: `job.max_parallelism`"));
    }
}
