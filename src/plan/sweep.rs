//! The same scenario over a grid of parameter values, to see where a
//! configuration stops holding. Each [`Vary`] adds a dimension; every point
//! of the grid is a full simulation ([`crate::pipeline::simulate`]), run in
//! parallel on the current rayon pool. [`Sweep::crossings`] finds, along
//! every swept dimension, where the peak crosses each limit asked about.
//!
//! A point changes the validated [`Scenario`] directly (no text is
//! re-parsed); the changed scenario must keep the rules the parser applies,
//! checked by the parser's own code ([`validate::check_scenario`]). A
//! parallelism above a max parallelism the scenario sets, a window size
//! below its slide, a key count a string key cannot spell make invalid
//! points, described in the parser's words, not errors of the whole sweep.
//!
//! The words and files (sweep.csv, capacity charts, the crossings as
//! sentences) are [`crate::report::sweep`]'s.

use crate::backend::CheckpointStatus;
use crate::error::{Error, Result};
use crate::flink::default_max_parallelism;
use crate::flink::units::parse_duration_ms;
use crate::pipeline::{self, Budget, Mode, RunOptions};
use crate::scenario::validate;
use crate::scenario::{Assigner, CheckpointTrigger, Scenario};
use rayon::prelude::*;

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

    /// Applies `v` to a scenario. The changed scenario keeps every rule of
    /// [`validate::check_scenario`], or the error names each one it breaks
    /// (the scenario is then left part-changed).
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
                s.source.keys = whole("keys")?;
            }
            Param::Parallelism => {
                let p = whole("parallelism")?;
                // Checked before it is narrowed to the scenario's type.
                validate::check_parallelism(p as i64)
                    .map_err(|m| broken(&[("job.parallelism".into(), m)]))?;
                let p = p as u32;
                if !s.max_parallelism_set {
                    s.max_parallelism = default_max_parallelism(p);
                }
                s.parallelism = p;
            }
            Param::MaxParallelism => {
                let mp = whole("max parallelism")?;
                validate::check_max_parallelism(mp as i64, s.parallelism)
                    .map_err(|m| broken(&[("job.max_parallelism".into(), m)]))?;
                s.max_parallelism = mp as u32;
                s.max_parallelism_set = true;
            }
            Param::WindowSizeMs | Param::WindowSlideMs | Param::SessionGapMs => {
                let ms = whole("a window length")? as i64;
                let mut applied = 0;
                for op in &mut s.operators {
                    match (&mut op.assigner, self) {
                        (
                            Assigner::Tumbling { size_ms, .. } | Assigner::Sliding { size_ms, .. },
                            Param::WindowSizeMs,
                        ) => *size_ms = ms,
                        (Assigner::Sliding { slide_ms, .. }, Param::WindowSlideMs) => {
                            *slide_ms = ms
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
        validate::check_scenario(s).map_err(|v| broken(&v))
    }
}

/// The rules a point breaks, as the parser names them:
/// `` `job.max_parallelism`: 2 is below the parallelism 4: … ``.
fn broken(rules: &[(String, String)]) -> String {
    rules
        .iter()
        .map(|(field, m)| format!("`{field}`: {m}"))
        .collect::<Vec<_>>()
        .join("; ")
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

/// Parses every `--vary` text, in order; a parameter given twice is an
/// error.
pub fn parse_dimensions(texts: &[String]) -> Result<Vec<Vary>> {
    let vary: Vec<Vary> = texts
        .iter()
        .map(|t| Vary::parse(t))
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| Error::usage("--vary", e))?;
    for (i, v) in vary.iter().enumerate() {
        if vary[..i].iter().any(|w| w.param == v.param) {
            return Err(Error::usage(
                "--vary",
                format!("{} is given twice", v.param.name()),
            ));
        }
    }
    Ok(vary)
}

/// Most points a sweep runs.
pub const MAX_POINTS: usize = 100_000;

/// How many points the grid of `vary` has: at most [`MAX_POINTS`].
pub fn grid_points(vary: &[Vary]) -> Result<usize> {
    let n = vary
        .iter()
        .fold(1usize, |n, v| n.saturating_mul(v.values.len()));
    if n > MAX_POINTS {
        return Err(Error::Limit(format!(
            "the grid has {n} points: at most 100,000"
        )));
    }
    Ok(n)
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
    /// No checkpoint fell inside the run: nothing held or failed
    /// ([`super::no_checkpoint`] says why).
    NoCheckpoint(String),
}

impl Status {
    /// `holds`, `fails`, `invalid`, `error`, `no_checkpoint`.
    pub fn name(&self) -> &'static str {
        match self {
            Status::Holds => "holds",
            Status::Fails => "fails",
            Status::Invalid(_) => "invalid",
            Status::Error(_) => "error",
            Status::NoCheckpoint(_) => "no_checkpoint",
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

/// The scenario of one point: the values applied in the order of
/// [`Param::ALL`], each judged against the base and the values applied
/// before it (see [`Param::apply`]).
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

fn run_point(base: &Scenario, vary: &[Vary], values: &[f64], mode: Mode, budget: Budget) -> Point {
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
    // `auto` is left to the run: it picks the mode that fits the budget.
    pt.mode = mode.name();
    let run = pipeline::simulate(
        &s,
        &RunOptions {
            mode,
            budget,
            ..Default::default()
        },
    );
    if let Ok(r) = &run {
        pt.mode = r.mode.name();
    }
    match run.map(pipeline::Run::into_result) {
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
            if pt.failed_checkpoints > 0 {
                pt.status = Status::Fails;
            }
            match super::no_checkpoint(&s, &r) {
                // Nothing measured: no peak to compare with a limit.
                Some(why) if pt.failed_checkpoints == 0 => pt.status = Status::NoCheckpoint(why),
                _ => {
                    pt.peak_subtask_bytes = Some(peak);
                    pt.peak_total_bytes = Some(total);
                }
            }
        }
    }
    pt.elapsed_ms = t0.elapsed().as_millis() as u64;
    pt
}

/// Runs every point of the grid in parallel on the current rayon pool;
/// `tick` is called as each point finishes (a progress bar's step).
pub fn run(
    base: &Scenario,
    vary: Vec<Vary>,
    mode: Mode,
    budget: Budget,
    tick: &(dyn Fn() + Sync),
) -> Sweep {
    let t0 = std::time::Instant::now();
    let g = grid(&vary);
    let points: Vec<Point> = g
        .par_iter()
        .map(|values| {
            let p = run_point(base, &vary, values, mode, budget);
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
    /// Which limit: its index in the limits asked about.
    pub limit: usize,
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

    /// Every crossing of every limit (bytes per subtask, in the order
    /// given) along every swept dimension with two values or more.
    pub fn crossings(&self, limits: &[u64]) -> Vec<Crossing> {
        let mut out = Vec::new();
        for (d, v) in self.vary.iter().enumerate() {
            if v.values.len() < 2 {
                continue;
            }
            let log = log_axis(&v.values);
            for (fixed, pts) in self.lines(d) {
                let xs = peaks(d, &pts);
                if xs.len() < 2 {
                    continue;
                }
                for (limit, &bytes) in limits.iter().enumerate() {
                    out.push(Crossing {
                        param: v.param,
                        fixed: fixed.clone(),
                        limit,
                        kind: crossing(&xs, bytes, log),
                    });
                }
            }
        }
        out
    }
}

/// The points of a line that ran, as (value of dimension `d`, peak bytes
/// of the largest subtask).
pub fn peaks(d: usize, points: &[&Point]) -> Vec<(f64, u64)> {
    points
        .iter()
        .filter_map(|p| p.peak_subtask_bytes.map(|b| (p.values[d], b)))
        .collect()
}

/// Two significant figures for a sentence: 61_733 → 62_000.
pub fn round_sig(x: f64) -> f64 {
    if x <= 0.0 || !x.is_finite() {
        return x;
    }
    let mag = 10f64.powf(x.log10().floor() - 1.0);
    (x / mag).round() * mag
}

/// Whether values are read (and crossings interpolated) on a log axis:
/// log-spaced values read better on one.
pub fn log_axis(values: &[f64]) -> bool {
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(0f64, f64::max);
    lo > 0.0 && hi / lo >= 4.0
}

/// Where the points `(x, peak)` (sorted by x, at least one) first cross
/// `limit`.
pub fn crossing(xs: &[(f64, u64)], limit: u64, log: bool) -> CrossingKind {
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

    fn base() -> Scenario {
        Scenario::parse(
            r#"
name = "t"
flink_version = "1.17"
[source]
records = 1000
events_per_second = 100
keys = 50
key_type = "string"
key_length = 3
record_bytes = 10
[job]
parallelism = 2
max_parallelism = 4
[[operator]]
kind = "window"
assigner = "sliding"
size = "10 s"
slide = "2 s"
offset = "1 s"
function = "reduce"
[checkpoints]
interval = "1 s"
"#,
            "t.toml".as_ref(),
        )
        .unwrap()
    }

    /// A point breaks the parser's rules in the parser's words.
    #[test]
    fn points_are_judged_by_the_parsers_rules() {
        let s = base();
        let at =
            |p: &str, v: f64| point_scenario(&s, &[Vary::parse(&format!("{p}=1")).unwrap()], &[v]);
        assert_eq!(
            at("parallelism", 8.0).unwrap_err(),
            "`job.max_parallelism`: 4 is below the parallelism 8: \
             Flink requires parallelism <= max parallelism"
        );
        assert_eq!(
            at("parallelism", 40000.0).unwrap_err(),
            "`job.parallelism`: must be 1..32768, got 40000"
        );
        assert_eq!(
            at("keys", 500.0).unwrap_err(),
            "`source.key_length`: 500 distinct keys need a key_length of at least 4"
        );
        assert_eq!(
            at("window.slide_ms", 20_000.0).unwrap_err(),
            "`operator[0].slide_ms`: slide 20000 ms is larger than the window size 10000 ms: \
             elements between windows would be lost"
        );
        assert_eq!(
            at("window.slide_ms", 500.0).unwrap_err(),
            "`operator[0].offset_ms`: offset 1000 ms must be below the slide 500 ms"
        );
        assert!(
            at("window.gap_ms", 1000.0)
                .unwrap_err()
                .contains("applies to no operator")
        );
        assert_eq!(
            at("parallelism", 0.0).unwrap_err(),
            "parallelism must be at least 1, got 0"
        );
        let p = at("max_parallelism", 64.0).unwrap();
        assert_eq!((p.parallelism, p.max_parallelism), (2, 64));
        let p = at("rate", 200.0).unwrap();
        assert_eq!(p.source.records, 2000, "the played duration is kept");
    }
}
