//! `statecap sweep`: the same scenario over a grid of parameter values, to
//! see where a configuration stops holding. Each `--vary NAME=VALUES` adds
//! a dimension; every point of the grid is a full simulation, run in
//! parallel on all cores (rayon). The outputs are `sweep.csv` (one row per
//! point), a capacity chart per swept parameter and the crossing points in
//! words ("the memory backend fails above 62k records/s at parallelism 8").
//!
//! A point changes the validated [`Scenario`] directly (no text is
//! re-parsed), so the checks a value needs are made here: a parallelism
//! above a configured max parallelism, a window size below its slide, a
//! key count a string key cannot spell are reported as invalid points, not
//! errors of the whole sweep.
//!
//! Not here: what one simulation does (see [`crate::pipeline::simulate`]).

use crate::backend::CheckpointStatus;
use crate::error::{Error, Result};
use crate::flink::units::{human_bytes, human_duration_ms, parse_duration_ms};
use crate::flink::{Backend, Storage, default_max_parallelism};
use crate::pipeline::Mode;
use crate::report::chart::{self, CapacityChart, CapacityLine, CapacityPoint, Limit};
use crate::scenario::{Assigner, CheckpointTrigger, KeyType, Scenario};
use rayon::prelude::*;
use std::fmt::Write;

/// A parameter a sweep can vary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Param {
    /// `source.events_per_second` (the played duration is kept).
    EventsPerSecond,
    /// `source.duration_ms` (records = duration × rate).
    DurationMs,
    /// `source.records`.
    Records,
    /// `source.keys`.
    Keys,
    /// `job.parallelism` (key groups follow Flink's default unless set).
    Parallelism,
    /// `job.max_parallelism`.
    MaxParallelism,
    /// `window.size_ms` of every tumbling and sliding operator.
    WindowSizeMs,
    /// `window.slide_ms` of every sliding operator.
    WindowSlideMs,
    /// `window.gap_ms` of every session operator.
    SessionGapMs,
    /// `checkpoints.interval_ms`.
    CheckpointIntervalMs,
    /// `checkpoints.every_records`.
    CheckpointEveryRecords,
}

impl Param {
    /// Every parameter, in the order points apply them.
    pub const ALL: [Param; 11] = [
        Param::EventsPerSecond,
        Param::DurationMs,
        Param::Records,
        Param::Keys,
        Param::Parallelism,
        Param::MaxParallelism,
        Param::WindowSizeMs,
        Param::WindowSlideMs,
        Param::SessionGapMs,
        Param::CheckpointIntervalMs,
        Param::CheckpointEveryRecords,
    ];

    /// Its name on the command line and in `sweep.csv`.
    pub fn name(self) -> &'static str {
        match self {
            Param::EventsPerSecond => "source.events_per_second",
            Param::DurationMs => "source.duration_ms",
            Param::Records => "source.records",
            Param::Keys => "source.keys",
            Param::Parallelism => "parallelism",
            Param::MaxParallelism => "max_parallelism",
            Param::WindowSizeMs => "window.size_ms",
            Param::WindowSlideMs => "window.slide_ms",
            Param::SessionGapMs => "window.gap_ms",
            Param::CheckpointIntervalMs => "checkpoints.interval_ms",
            Param::CheckpointEveryRecords => "checkpoints.every_records",
        }
    }

    /// Other spellings accepted.
    fn aliases(self) -> &'static [&'static str] {
        match self {
            Param::EventsPerSecond => &["events_per_second", "rate", "eps"],
            Param::DurationMs => &["duration_ms", "duration", "source.duration"],
            Param::Records => &["records"],
            Param::Keys => &["keys"],
            Param::Parallelism => &["job.parallelism", "p"],
            Param::MaxParallelism => &["job.max_parallelism"],
            Param::WindowSizeMs => &["window.size", "size_ms", "operator.size_ms"],
            Param::WindowSlideMs => &["window.slide", "slide_ms", "operator.slide_ms"],
            Param::SessionGapMs => &["window.gap", "gap_ms", "operator.gap_ms"],
            Param::CheckpointIntervalMs => &["checkpoints.interval", "checkpoint_interval_ms"],
            Param::CheckpointEveryRecords => &["every_records"],
        }
    }

    /// Parses a name or alias.
    pub fn parse(name: &str) -> std::result::Result<Param, String> {
        let n = name.trim();
        Param::ALL
            .into_iter()
            .find(|p| p.name() == n || p.aliases().contains(&n))
            .ok_or_else(|| {
                let names: Vec<&str> = Param::ALL.iter().map(|p| p.name()).collect();
                format!(
                    "unknown sweep parameter '{n}': expected one of {}",
                    names.join(", ")
                )
            })
    }

    /// A duration in milliseconds (values may be written `5s`, `1min`).
    pub fn is_duration(self) -> bool {
        matches!(
            self,
            Param::DurationMs
                | Param::WindowSizeMs
                | Param::WindowSlideMs
                | Param::SessionGapMs
                | Param::CheckpointIntervalMs
        )
    }

    /// Takes whole numbers only.
    pub fn is_integer(self) -> bool {
        self != Param::EventsPerSecond
    }

    /// How a value reads in a sentence: `8`, `62,000 records/s`, `5.0 s`.
    pub fn show(self, v: f64) -> String {
        match self {
            _ if self.is_duration() => human_duration_ms(v.round() as i64),
            Param::EventsPerSecond => format!("{} records/s", group_f(v)),
            Param::Keys => format!("{} keys", group_f(v)),
            Param::Records => format!("{} records", group_f(v)),
            Param::CheckpointEveryRecords => format!("every {} records", group_f(v)),
            _ => group_f(v),
        }
    }

    /// Short phrase for a line or a crossing: `parallelism 8`.
    pub fn phrase(self, v: f64) -> String {
        match self {
            Param::Parallelism => format!("parallelism {}", group_f(v)),
            Param::MaxParallelism => format!("{} key groups", group_f(v)),
            Param::WindowSizeMs => format!("window {}", self.show(v)),
            Param::WindowSlideMs => format!("slide {}", self.show(v)),
            Param::SessionGapMs => format!("gap {}", self.show(v)),
            Param::DurationMs => format!("{} of traffic", self.show(v)),
            Param::CheckpointIntervalMs => format!("checkpoints every {}", self.show(v)),
            _ => self.show(v),
        }
    }

    /// What a sentence calls it: `rate`, `parallelism`.
    pub fn noun(self) -> &'static str {
        match self {
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
    fn axis(self) -> String {
        match self {
            Param::EventsPerSecond => "source rate (records/s)".into(),
            Param::Keys => "distinct keys".into(),
            Param::Parallelism => "parallelism".into(),
            Param::MaxParallelism => "max parallelism (key groups)".into(),
            Param::Records => "records played".into(),
            _ => self.name().into(),
        }
    }

    /// Applies `v` to a scenario.
    pub fn apply(self, s: &mut Scenario, v: f64) -> std::result::Result<(), String> {
        let n = v.round();
        let whole = |what: &str| -> std::result::Result<u64, String> {
            if !(1.0..=1e15).contains(&n) {
                Err(format!("{what} must be at least 1, got {v}"))
            } else {
                Ok(n as u64)
            }
        };
        let traced = s.source.trace.is_some();
        let src_only = |p: Param| -> std::result::Result<(), String> {
            if traced {
                Err(format!(
                    "{} cannot be varied: the scenario replays a trace",
                    p.name()
                ))
            } else {
                Ok(())
            }
        };
        match self {
            Param::EventsPerSecond => {
                src_only(self)?;
                if !(v.is_finite() && v > 0.0 && v <= 1e12) {
                    return Err(format!("the rate must be positive, got {v}"));
                }
                // Keep the played duration: records scale with the rate.
                let dur_s = s.source.records as f64 / s.source.events_per_second;
                s.source.events_per_second = v;
                s.source.records = (dur_s * v).round().max(1.0) as u64;
            }
            Param::DurationMs => {
                src_only(self)?;
                let ms = whole("the duration")?;
                s.source.records =
                    ((ms as f64 * s.source.events_per_second / 1000.0).round() as u64).max(1);
            }
            Param::Records => s.source.records = whole("records")?,
            Param::Keys => {
                src_only(self)?;
                let k = whole("keys")?;
                if k > 1 << 32 {
                    return Err(format!("{k} keys is more than statecap tracks (2^32)"));
                }
                if let KeyType::String(len) = s.source.key_type {
                    let digits = k.max(2).saturating_sub(1).to_string().len() as u32;
                    if len < digits + 1 {
                        return Err(format!(
                            "{k} distinct keys need a key_length of at least {} (the scenario has {len})",
                            digits + 1
                        ));
                    }
                }
                s.source.keys = k;
            }
            Param::Parallelism => {
                let p = whole("parallelism")?;
                if p > 32768 {
                    return Err(format!("parallelism must be at most 32768, got {p}"));
                }
                let p = p as u32;
                if s.max_parallelism_set {
                    if p > s.max_parallelism {
                        return Err(format!(
                            "parallelism {p} is above the max parallelism {} the scenario sets",
                            s.max_parallelism
                        ));
                    }
                } else {
                    s.max_parallelism = default_max_parallelism(p);
                }
                s.parallelism = p;
            }
            Param::MaxParallelism => {
                let mp = whole("max parallelism")?;
                if mp > 32768 || (mp as u32) < s.parallelism {
                    return Err(format!(
                        "max parallelism must be between the parallelism {} and 32768, got {mp}",
                        s.parallelism
                    ));
                }
                s.max_parallelism = mp as u32;
                s.max_parallelism_set = true;
            }
            Param::WindowSizeMs | Param::WindowSlideMs | Param::SessionGapMs => {
                let ms = whole("a window length")? as i64;
                let mut applied = 0;
                for op in &mut s.operators {
                    match (&mut op.assigner, self) {
                        (Assigner::Tumbling { size_ms, offset_ms }, Param::WindowSizeMs) => {
                            if *offset_ms >= ms {
                                return Err(format!(
                                    "'{}': offset {offset_ms} ms must be below the size {ms} ms",
                                    op.name
                                ));
                            }
                            *size_ms = ms;
                        }
                        (
                            Assigner::Sliding {
                                size_ms, slide_ms, ..
                            },
                            Param::WindowSizeMs | Param::WindowSlideMs,
                        ) => {
                            let (size, slide) = if self == Param::WindowSizeMs {
                                (ms, *slide_ms)
                            } else {
                                (*size_ms, ms)
                            };
                            if slide > size {
                                return Err(format!(
                                    "'{}': slide {slide} ms is larger than the window size {size} ms",
                                    op.name
                                ));
                            }
                            if size / slide > 10_000 {
                                return Err(format!(
                                    "'{}': {} windows per element is too many",
                                    op.name,
                                    size / slide
                                ));
                            }
                            (*size_ms, *slide_ms) = (size, slide);
                        }
                        (Assigner::Session { gap_ms }, Param::SessionGapMs) => *gap_ms = ms,
                        _ => continue,
                    }
                    applied += 1;
                }
                if applied == 0 {
                    return Err(format!(
                        "{} applies to no operator of this scenario",
                        self.name()
                    ));
                }
            }
            Param::CheckpointIntervalMs => {
                s.checkpoints = CheckpointTrigger::Interval(whole("the interval")?)
            }
            Param::CheckpointEveryRecords => {
                s.checkpoints = CheckpointTrigger::EveryRecords(whole("every_records")?)
            }
        }
        Ok(())
    }
}

fn group_f(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e18 {
        thousands(v.abs() as u64)
    } else {
        format!("{v:.2}")
    }
}

/// Thousands separators: `62,000`.
fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// One `--vary`: a parameter and its values.
#[derive(Debug, Clone, PartialEq)]
pub struct Vary {
    /// The parameter.
    pub param: Param,
    /// Its values, in the order given.
    pub values: Vec<f64>,
}

fn number(p: Param, t: &str) -> std::result::Result<f64, String> {
    let t = t.trim();
    let clean: String = t.chars().filter(|&c| c != '_').collect();
    if let Ok(v) = clean.parse::<f64>() {
        return Ok(v);
    }
    if p.is_duration() {
        return parse_duration_ms(t).map(|v| v as f64);
    }
    Err(format!("'{t}' is not a number"))
}

impl Vary {
    /// Parses `NAME=VALUES`: a list (`1,2,4,8`) or a range
    /// `FROM..TO:log:N` / `FROM..TO:lin:N` (N points, ends included).
    pub fn parse(text: &str) -> std::result::Result<Vary, String> {
        let (name, vals) = text.split_once('=').ok_or_else(|| {
            format!("--vary '{text}': expected NAME=VALUES, e.g. parallelism=1,2,4,8")
        })?;
        let param = Param::parse(name)?;
        let ctx = |e: String| format!("--vary '{text}': {e}");
        let mut values: Vec<f64> = if let Some((from, rest)) = vals.split_once("..") {
            let mut parts = rest.split(':');
            let to = parts.next().unwrap_or_default();
            let mode = parts.next().unwrap_or("lin");
            let n: usize = parts.next().unwrap_or("5").trim().parse().map_err(|_| {
                ctx("the number of points after the mode must be a whole number".into())
            })?;
            let (a, b) = (
                number(param, from).map_err(ctx)?,
                number(param, to).map_err(ctx)?,
            );
            if !(2..=1000).contains(&n) {
                return Err(ctx(format!("a range needs 2 to 1000 points, got {n}")));
            }
            match mode.trim() {
                "log" => {
                    if a <= 0.0 || b <= 0.0 {
                        return Err(ctx("a log range needs positive ends".into()));
                    }
                    (0..n)
                        .map(|i| a * (b / a).powf(i as f64 / (n - 1) as f64))
                        .collect()
                }
                "lin" | "linear" => (0..n)
                    .map(|i| a + (b - a) * i as f64 / (n - 1) as f64)
                    .collect(),
                m => return Err(ctx(format!("unknown range mode '{m}': use log or lin"))),
            }
        } else {
            vals.split(',')
                .map(|t| number(param, t).map_err(ctx))
                .collect::<std::result::Result<_, _>>()?
        };
        if param.is_integer() {
            for v in &mut values {
                *v = v.round();
            }
        }
        let mut seen = Vec::new();
        values.retain(|v| {
            let fresh = !seen.contains(v);
            seen.push(*v);
            fresh
        });
        if values.is_empty() {
            return Err(ctx("no values".into()));
        }
        Ok(Vary { param, values })
    }
}

/// What became of one point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Every checkpoint completed.
    Holds,
    /// At least one checkpoint failed.
    Fails,
    /// The values do not make a valid scenario.
    Invalid(String),
    /// The simulation stopped with an error.
    Error(String),
}

impl Status {
    /// `holds`, `fails`, `invalid`, `error`.
    pub fn name(&self) -> &'static str {
        match self {
            Status::Holds => "holds",
            Status::Fails => "fails",
            Status::Invalid(_) => "invalid",
            Status::Error(_) => "error",
        }
    }
}

/// One point of the grid and what it predicts (over all operators).
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// The value of every swept parameter, in `--vary` order.
    pub values: Vec<f64>,
    /// Largest subtask at any checkpoint.
    pub peak_subtask_bytes: Option<u64>,
    /// Largest sum over subtasks at any checkpoint.
    pub peak_total_bytes: Option<u64>,
    /// Checkpoints taken.
    pub checkpoints: usize,
    /// Checkpoints that failed.
    pub failed_checkpoints: usize,
    /// The first to fail.
    pub first_failed_checkpoint: Option<u64>,
    /// Records played.
    pub records: u64,
    /// Parallelism and key groups of the point.
    pub parallelism: u32,
    /// Key groups.
    pub max_parallelism: u32,
    /// Outcome.
    pub status: Status,
    /// Wall time of the simulation, ms.
    pub elapsed_ms: u64,
    /// `exact` or `analytic`: how the point was simulated.
    pub mode: &'static str,
}

/// The whole sweep.
#[derive(Debug, Clone)]
pub struct Sweep {
    /// The scenario as loaded.
    pub base: Scenario,
    /// The dimensions.
    pub vary: Vec<Vary>,
    /// Every point, the first dimension varying slowest.
    pub points: Vec<Point>,
    /// Threads used.
    pub threads: usize,
    /// Wall time, ms.
    pub elapsed_ms: u64,
    /// Extra limits (a user's budget).
    pub budgets: Vec<Limit>,
    /// The mode asked for (`auto` picks per point).
    pub mode: Mode,
}

/// Every combination of the values, the first dimension slowest.
pub fn grid(vary: &[Vary]) -> Vec<Vec<f64>> {
    let mut out = vec![Vec::new()];
    for v in vary {
        out = out
            .into_iter()
            .flat_map(|prefix| {
                v.values.iter().map(move |&x| {
                    let mut p = prefix.clone();
                    p.push(x);
                    p
                })
            })
            .collect();
    }
    out
}

/// The scenario of one point.
pub fn point_scenario(
    base: &Scenario,
    vary: &[Vary],
    values: &[f64],
) -> std::result::Result<Scenario, String> {
    let mut s = base.clone();
    let mut order: Vec<(Param, f64)> = vary
        .iter()
        .map(|v| v.param)
        .zip(values.iter().copied())
        .collect();
    order.sort_by_key(|(p, _)| *p);
    for (p, v) in order {
        p.apply(&mut s, v)?;
    }
    Ok(s)
}

fn run_point(base: &Scenario, vary: &[Vary], values: &[f64], mode: Mode) -> Point {
    let t0 = std::time::Instant::now();
    let mut pt = Point {
        values: values.to_vec(),
        peak_subtask_bytes: None,
        peak_total_bytes: None,
        checkpoints: 0,
        failed_checkpoints: 0,
        first_failed_checkpoint: None,
        records: 0,
        parallelism: base.parallelism,
        max_parallelism: base.max_parallelism,
        status: Status::Holds,
        elapsed_ms: 0,
        mode: "",
    };
    let s = match point_scenario(base, vary, values) {
        Ok(s) => s,
        Err(e) => {
            pt.status = Status::Invalid(e);
            return pt;
        }
    };
    pt.records = s.source.records;
    pt.parallelism = s.parallelism;
    pt.max_parallelism = s.max_parallelism;
    let used = match crate::pipeline::mode::resolve(&s, mode) {
        Ok(m) => m,
        Err(e) => {
            pt.status = Status::Invalid(e.to_string());
            return pt;
        }
    };
    pt.mode = used.name();
    let run = crate::pipeline::simulate(
        &s,
        &crate::pipeline::RunOptions {
            mode: used,
            ..Default::default()
        },
    );
    match run.map(crate::pipeline::Run::into_result) {
        Err(e) => pt.status = Status::Error(e.to_string()),
        Ok(r) => {
            let cps = r.operators.iter().flat_map(|op| op.checkpoints.iter());
            let mut peak = 0;
            let mut total = 0;
            for c in cps {
                pt.checkpoints += 1;
                peak = peak.max(c.max_state_bytes());
                total = total.max(c.total_state_bytes());
                if matches!(c.status, CheckpointStatus::Failed { .. }) {
                    pt.failed_checkpoints += 1;
                    pt.first_failed_checkpoint = Some(
                        pt.first_failed_checkpoint
                            .map_or(c.checkpoint, |f| f.min(c.checkpoint)),
                    );
                }
            }
            pt.peak_subtask_bytes = Some(peak);
            pt.peak_total_bytes = Some(total);
            if pt.failed_checkpoints > 0 {
                pt.status = Status::Fails;
            }
        }
    }
    pt.elapsed_ms = t0.elapsed().as_millis() as u64;
    pt
}

/// Runs every point of the grid in parallel on the current rayon pool;
/// `tick` is called as each point finishes.
pub fn run(
    base: &Scenario,
    vary: Vec<Vary>,
    budgets: Vec<Limit>,
    mode: Mode,
    tick: &(dyn Fn() + Sync),
) -> Sweep {
    let t0 = std::time::Instant::now();
    let g = grid(&vary);
    let points: Vec<Point> = g
        .par_iter()
        .map(|values| {
            let p = run_point(base, &vary, values, mode);
            tick();
            p
        })
        .collect();
    Sweep {
        base: base.clone(),
        vary,
        points,
        threads: rayon::current_num_threads(),
        elapsed_ms: t0.elapsed().as_millis() as u64,
        budgets,
        mode,
    }
}

/// A line of a sweep: the other dimensions' values, and its points in
/// increasing order of the swept one.
pub type Line<'a> = (Vec<(Param, f64)>, Vec<&'a Point>);

/// Where a line of points crosses a limit.
#[derive(Debug, Clone, PartialEq)]
pub struct Crossing {
    /// The swept parameter.
    pub param: Param,
    /// The other parameters' values on this line.
    pub fixed: Vec<(Param, f64)>,
    /// The limit.
    pub limit: Limit,
    /// What happens along the line.
    pub kind: CrossingKind,
}

/// How a line meets a limit.
#[derive(Debug, Clone, PartialEq)]
pub enum CrossingKind {
    /// Holds up to `last_ok`, over from `first_over`; `at` interpolated.
    Above {
        at: f64,
        last_ok: (f64, u64),
        first_over: (f64, u64),
    },
    /// Over up to `last_over`, holds from `first_ok`; `at` interpolated.
    Below {
        at: f64,
        last_over: (f64, u64),
        first_ok: (f64, u64),
    },
    /// Over at every value.
    Always { lowest: (f64, u64) },
    /// Under at every value.
    Never { highest: (f64, u64) },
}

impl Sweep {
    /// Limits of the sweep: the storage's, then the budgets.
    pub fn limits(&self) -> Vec<Limit> {
        crate::report::markdown::limits(&self.base, &self.budgets)
    }

    /// Lines along dimension `d`: the points grouped by the other
    /// dimensions' values, each sorted by the value of `d`.
    pub fn lines(&self, d: usize) -> Vec<Line<'_>> {
        let mut out: Vec<Line<'_>> = Vec::new();
        for p in &self.points {
            let key: Vec<(Param, f64)> = self
                .vary
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != d)
                .map(|(i, v)| (v.param, p.values[i]))
                .collect();
            match out.iter_mut().find(|(k, _)| *k == key) {
                Some((_, v)) => v.push(p),
                None => out.push((key, vec![p])),
            }
        }
        for (_, v) in &mut out {
            v.sort_by(|a, b| a.values[d].total_cmp(&b.values[d]));
        }
        out
    }

    /// Every crossing of every limit along every swept dimension.
    pub fn crossings(&self) -> Vec<Crossing> {
        let limits = self.limits();
        let mut out = Vec::new();
        for (d, v) in self.vary.iter().enumerate() {
            if v.values.len() < 2 {
                continue;
            }
            let log = log_axis(&v.values);
            for (fixed, pts) in self.lines(d) {
                let xs: Vec<(f64, u64)> = pts
                    .iter()
                    .filter_map(|p| p.peak_subtask_bytes.map(|b| (p.values[d], b)))
                    .collect();
                if xs.len() < 2 {
                    continue;
                }
                for l in &limits {
                    out.push(Crossing {
                        param: v.param,
                        fixed: fixed.clone(),
                        limit: l.clone(),
                        kind: crossing(&xs, l.bytes, log),
                    });
                }
            }
        }
        out
    }

    /// `sweep.csv`: one row per point.
    pub fn csv(&self) -> Result<Vec<u8>> {
        let mut w = csv::Writer::from_writer(Vec::new());
        let mut head: Vec<String> = self
            .vary
            .iter()
            .map(|v| v.param.name().to_string())
            .collect();
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
        let e = |e: csv::Error| Error::Limit(format!("sweep.csv: {e}"));
        w.write_record(&head).map_err(e)?;
        let limit = match self.base.config.storage {
            Storage::JobManager { max_state_size } => max_state_size.to_string(),
            Storage::FileSystem { .. } => String::new(),
        };
        for p in &self.points {
            let mut row: Vec<String> = p.values.iter().map(|v| num(*v)).collect();
            let opt = |v: Option<u64>| v.map_or(String::new(), |b| b.to_string());
            let note = match &p.status {
                Status::Invalid(m) | Status::Error(m) => m.clone(),
                _ => String::new(),
            };
            row.extend([
                p.records.to_string(),
                p.parallelism.to_string(),
                p.max_parallelism.to_string(),
                self.base.config.backend.short_name().to_string(),
                self.base.config.storage.short_name().to_string(),
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
        w.into_inner()
            .map_err(|e| Error::Limit(format!("sweep.csv: {e}")))
    }

    /// The capacity chart along dimension `d`.
    pub fn chart(&self, d: usize) -> CapacityChart {
        let v = &self.vary[d];
        let limits = self.limits();
        let log = log_axis(&v.values);
        let lines = self
            .lines(d)
            .into_iter()
            .map(|(fixed, pts)| {
                let xs: Vec<(f64, u64)> = pts
                    .iter()
                    .filter_map(|p| p.peak_subtask_bytes.map(|b| (p.values[d], b)))
                    .collect();
                let crossing = limits
                    .first()
                    .and_then(|l| match crossing(&xs, l.bytes, log) {
                        CrossingKind::Above { at, .. } | CrossingKind::Below { at, .. } => Some(at),
                        _ => None,
                    });
                CapacityLine {
                    label: if fixed.is_empty() {
                        self.base.name.clone()
                    } else {
                        fixed
                            .iter()
                            .map(|(p, x)| p.phrase(*x))
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
            title: format!("{} — capacity against {}", self.base.name, v.param.axis()),
            subtitle: format!(
                "{} + {} storage, Flink {}; {} points",
                self.base.config.backend.class_name(self.base.flink_version),
                self.base.config.storage.short_name(),
                self.base.flink_version,
                self.points.len()
            ),
            x_desc: v.param.axis(),
            x_is_ms: v.param.is_duration(),
            x_is_integer: v.param.is_integer() && !v.param.is_duration(),
            lines,
            limits,
        }
    }

    /// File stem of the chart along dimension `d`: `capacity_parallelism`.
    pub fn chart_name(&self, d: usize) -> String {
        let n = self.vary[d].param.name();
        format!("capacity_{}", n.rsplit('.').next().unwrap_or(n))
    }

    /// `sweep.csv` and the capacity charts (PNG + SVG), as output files.
    pub fn outputs(&self) -> Result<Vec<(String, Vec<u8>)>> {
        let mut files = vec![("sweep.csv".to_string(), self.csv()?)];
        for d in 0..self.vary.len() {
            if self.vary[d].values.len() < 2 {
                continue;
            }
            files.extend(chart::files(&self.chart_name(d), &self.chart(d))?);
        }
        Ok(files)
    }

    /// What `statecap sweep` prints: the grid of peaks and the crossings.
    pub fn render(&self) -> String {
        let mut o = String::new();
        let dims: Vec<&str> = self.vary.iter().map(|v| v.param.name()).collect();
        let analytic = self.points.iter().filter(|p| p.mode == "analytic").count();
        let _ = writeln!(
            o,
            "sweep {}: {} points ({}) on {} threads in {:.1} s{}",
            self.base.name,
            self.points.len(),
            dims.join(" × "),
            self.threads,
            self.elapsed_ms as f64 / 1e3,
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
            self.base.config.backend.class_name(self.base.flink_version),
            self.base.config.storage.short_name(),
            match self.base.config.storage {
                Storage::JobManager { max_state_size } =>
                    format!(", limit {} per subtask", human_bytes(max_state_size)),
                Storage::FileSystem { .. } => String::new(),
            }
        );
        let cell = |p: &Point| match (&p.status, p.peak_subtask_bytes) {
            (Status::Invalid(_), _) => "invalid".to_string(),
            (Status::Error(_), _) => "error".to_string(),
            (s, Some(b)) => format!(
                "{}{}",
                human_bytes(b),
                if *s == Status::Fails { " ✗" } else { "  " }
            ),
            (_, None) => "-".into(),
        };
        match self.vary.len() {
            2 => {
                let (a, b) = (&self.vary[0], &self.vary[1]);
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
                        let p = &self.points[i * b.values.len() + j];
                        let _ = write!(o, " {:>12}", cell(p));
                    }
                    let _ = writeln!(o);
                }
            }
            _ => {
                let _ = writeln!(o);
                for v in &self.vary {
                    let _ = write!(o, "{:>14} ", trunc(v.param.name(), 14));
                }
                let _ = writeln!(o, " {:>12}", "peak");
                for p in &self.points {
                    for (v, x) in self.vary.iter().zip(&p.values) {
                        let _ = write!(o, "{:>14} ", compact(v.param, *x));
                    }
                    let _ = writeln!(o, " {:>12}", cell(p));
                }
            }
        }
        let invalid: Vec<&Point> = self
            .points
            .iter()
            .filter(|p| matches!(p.status, Status::Invalid(_) | Status::Error(_)))
            .collect();
        for p in invalid.iter().take(5) {
            if let Status::Invalid(m) | Status::Error(m) = &p.status {
                let _ = writeln!(o, "  {}: {m}", self.describe_values(&p.values));
            }
        }
        let _ = writeln!(o);
        let who = subject(&self.base);
        for c in self.crossings() {
            let at = if c.fixed.is_empty() {
                String::new()
            } else {
                format!(
                    " at {}",
                    c.fixed
                        .iter()
                        .map(|(p, x)| p.phrase(*x))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            let is_storage = self.budgets.iter().all(|b| *b != c.limit);
            let fails = if is_storage {
                "fails".to_string()
            } else {
                format!("exceeds the {}", c.limit.text())
            };
            let p = c.param;
            let line = match c.kind {
                CrossingKind::Above {
                    at: x,
                    last_ok,
                    first_over,
                } => format!(
                    "{who} {fails} above {}{at} (holds at {}: {}; over at {}: {})",
                    p.phrase(round_sig(x)),
                    p.show(last_ok.0),
                    human_bytes(last_ok.1),
                    p.show(first_over.0),
                    human_bytes(first_over.1)
                ),
                CrossingKind::Below {
                    at: x,
                    last_over,
                    first_ok,
                } if matches!(p, Param::Parallelism | Param::MaxParallelism) => format!(
                    "{who} needs {} or more{at} (over at {}: {}; holds at {}: {})",
                    p.phrase(x.ceil()),
                    p.show(last_over.0),
                    human_bytes(last_over.1),
                    p.show(first_ok.0),
                    human_bytes(first_ok.1)
                ),
                CrossingKind::Below {
                    at: x,
                    last_over,
                    first_ok,
                } => format!(
                    "{who} {fails} below {}{at} (over at {}: {}; holds at {}: {})",
                    p.phrase(round_sig(x)),
                    p.show(last_over.0),
                    human_bytes(last_over.1),
                    p.show(first_ok.0),
                    human_bytes(first_ok.1)
                ),
                CrossingKind::Always { lowest } => format!(
                    "{who} {fails} at every swept {}{at} (lowest peak {} at {})",
                    p.noun(),
                    human_bytes(lowest.1),
                    p.show(lowest.0)
                ),
                CrossingKind::Never { highest } => format!(
                    "{who} holds at every swept {}{at} (highest peak {} at {}, {:.0}% of the {})",
                    p.noun(),
                    human_bytes(highest.1),
                    p.show(highest.0),
                    highest.1 as f64 * 100.0 / c.limit.bytes as f64,
                    c.limit.text()
                ),
            };
            let _ = writeln!(o, "{line}");
        }
        if self.limits().is_empty() {
            let _ = writeln!(
                o,
                "{} storage has no per-subtask limit: give --budget SIZE to find where the state outgrows yours",
                self.base.config.storage.short_name()
            );
        }
        o
    }

    fn describe_values(&self, values: &[f64]) -> String {
        self.vary
            .iter()
            .zip(values)
            .map(|(v, x)| format!("{}={}", v.param.name(), num(*x)))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// "the memory backend", "the hashmap backend with jobmanager storage".
fn subject(s: &Scenario) -> String {
    match (s.config.backend, s.config.storage) {
        (Backend::Memory, _) => "the memory backend".into(),
        (b, st) => format!(
            "the {} backend with {} storage",
            b.short_name(),
            st.short_name()
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

/// Two significant figures for a sentence: 61_733 → 62_000.
pub fn round_sig(x: f64) -> f64 {
    if x <= 0.0 || !x.is_finite() {
        return x;
    }
    let mag = 10f64.powf(x.log10().floor() - 1.0);
    (x / mag).round() * mag
}

/// Log-spaced values read better on a log axis and interpolate in it.
fn log_axis(values: &[f64]) -> bool {
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(0f64, f64::max);
    lo > 0.0 && hi / lo >= 4.0
}

/// Where the points `(x, peak)` (sorted by x) first cross `limit`.
fn crossing(xs: &[(f64, u64)], limit: u64, log: bool) -> CrossingKind {
    let over = |b: u64| b > limit;
    if xs.iter().all(|&(_, b)| over(b)) {
        let lowest = *xs.iter().min_by_key(|p| p.1).expect("points");
        return CrossingKind::Always { lowest };
    }
    if xs.iter().all(|&(_, b)| !over(b)) {
        let highest = *xs.iter().max_by_key(|p| p.1).expect("points");
        return CrossingKind::Never { highest };
    }
    let k = xs
        .windows(2)
        .position(|w| over(w[0].1) != over(w[1].1))
        .expect("a change between two points");
    let (a, b) = (xs[k], xs[k + 1]);
    // Interpolate where peak = limit, in log space when the sweep is.
    let f = |x: f64| if log { x.max(1e-12).ln() } else { x };
    let g = |y: u64| {
        if log {
            (y.max(1) as f64).ln()
        } else {
            y as f64
        }
    };
    let t = ((g(limit) - g(a.1)) / (g(b.1) - g(a.1))).clamp(0.0, 1.0);
    let fx = f(a.0) + t * (f(b.0) - f(a.0));
    let at = if log { fx.exp() } else { fx };
    if over(a.1) {
        CrossingKind::Below {
            at,
            last_over: a,
            first_ok: b,
        }
    } else {
        CrossingKind::Above {
            at,
            last_ok: a,
            first_over: b,
        }
    }
}

/// Options of the `sweep` command.
#[derive(Debug, Clone)]
pub struct SweepOptions {
    /// The scenario file.
    pub scenario: std::path::PathBuf,
    /// `--vary` texts.
    pub vary: Vec<String>,
    /// Output root: files go to `out/<name>-sweep/`.
    pub out: std::path::PathBuf,
    /// Extra limits: `--budget SIZE`.
    pub budgets: Vec<String>,
    /// Threads (default: every core).
    pub jobs: Option<usize>,
    /// Print nothing but errors.
    pub quiet: bool,
    /// Never show a progress bar.
    pub no_progress: bool,
    /// Exact, analytic, or auto (per point, as `run` picks).
    pub mode: Mode,
}

/// Runs `statecap sweep`; returns the exit code.
pub fn command(o: &SweepOptions) -> Result<i32> {
    use std::io::IsTerminal;
    let base = Scenario::load(&o.scenario)?;
    let vary: Vec<Vary> = o
        .vary
        .iter()
        .map(|t| Vary::parse(t))
        .collect::<std::result::Result<_, _>>()
        .map_err(Error::Limit)?;
    for (i, v) in vary.iter().enumerate() {
        if vary[..i].iter().any(|w| w.param == v.param) {
            return Err(Error::Limit(format!(
                "--vary {} is given twice",
                v.param.name()
            )));
        }
    }
    let budgets: Vec<Limit> = o
        .budgets
        .iter()
        .map(|b| {
            crate::flink::units::parse_memory_size(b)
                .map(|bytes| Limit {
                    label: "budget".into(),
                    bytes,
                })
                .map_err(|e| Error::Limit(format!("--budget: {e}")))
        })
        .collect::<Result<_>>()?;
    let n = grid(&vary).len();
    if n > 100_000 {
        return Err(Error::Limit(format!(
            "the grid has {n} points: at most 100,000"
        )));
    }
    let bar = if !o.quiet && !o.no_progress && std::io::stderr().is_terminal() {
        let b = indicatif::ProgressBar::new(n as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{msg} [{bar:30}] {pos}/{len} points  {elapsed_precise}  eta {eta}",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        b.set_message(format!("sweep {}", base.name));
        b.enable_steady_tick(std::time::Duration::from_millis(200));
        b
    } else {
        indicatif::ProgressBar::hidden()
    };
    let go = || run(&base, vary.clone(), budgets.clone(), o.mode, &|| bar.inc(1));
    let sweep = match o.jobs {
        Some(j) => rayon::ThreadPoolBuilder::new()
            .num_threads(j.max(1))
            .build()
            .map_err(|e| Error::Limit(format!("--jobs: {e}")))?
            .install(go),
        None => go(),
    };
    bar.finish_and_clear();
    let files = sweep.outputs()?;
    let refs: Vec<(&str, Vec<u8>)> = files.iter().map(|(n, b)| (n.as_str(), b.clone())).collect();
    let dir = crate::report::write_outputs(&o.out, &format!("{}-sweep", base.name), &refs)?;
    if !o.quiet {
        print!("{}", sweep.render());
        println!("wrote {}", dir.display());
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vary_lists_and_ranges() {
        let v = Vary::parse("parallelism=1,2,4,8,16").unwrap();
        assert_eq!(v.param, Param::Parallelism);
        assert_eq!(v.values, vec![1.0, 2.0, 4.0, 8.0, 16.0]);
        let v = Vary::parse("keys=1e5..1e8:log:7").unwrap();
        assert_eq!(v.param, Param::Keys);
        assert_eq!(v.values.len(), 7);
        assert_eq!(v.values[0], 1e5);
        assert_eq!(v.values[6], 1e8);
        assert_eq!(v.values[2], 1e6);
        let v = Vary::parse("window.size_ms=1s,5s,10000").unwrap();
        assert_eq!(v.values, vec![1000.0, 5000.0, 10000.0]);
        let v = Vary::parse("source.events_per_second=1000..5000:lin:5").unwrap();
        assert_eq!(v.values, vec![1000.0, 2000.0, 3000.0, 4000.0, 5000.0]);
        assert!(Vary::parse("colour=1").is_err());
        assert!(Vary::parse("parallelism").is_err());
        assert!(Vary::parse("keys=1..10:cubic:3").is_err());
    }

    #[test]
    fn grid_is_the_cartesian_product_first_dimension_slowest() {
        let a = Vary::parse("p=1,2").unwrap();
        let b = Vary::parse("keys=10,20,30").unwrap();
        let g = grid(&[a, b]);
        assert_eq!(g.len(), 6);
        assert_eq!(g[0], vec![1.0, 10.0]);
        assert_eq!(g[1], vec![1.0, 20.0]);
        assert_eq!(g[3], vec![2.0, 10.0]);
    }

    #[test]
    fn crossings_interpolate_between_the_last_holding_and_first_failing_points() {
        let xs = [(1000.0, 100), (2000.0, 200), (3000.0, 300)];
        match crossing(&xs, 250, false) {
            CrossingKind::Above {
                at,
                last_ok,
                first_over,
            } => {
                assert!((at - 2500.0).abs() < 1e-6);
                assert_eq!(last_ok, (2000.0, 200));
                assert_eq!(first_over, (3000.0, 300));
            }
            k => panic!("{k:?}"),
        }
        let xs = [(1.0, 800), (2.0, 400), (4.0, 200)];
        assert!(matches!(
            crossing(&xs, 500, true),
            CrossingKind::Below { .. }
        ));
        assert!(matches!(
            crossing(&xs, 100, true),
            CrossingKind::Always { .. }
        ));
        assert!(matches!(
            crossing(&xs, 1000, true),
            CrossingKind::Never { .. }
        ));
        assert_eq!(round_sig(61_733.0), 62_000.0);
    }
}
