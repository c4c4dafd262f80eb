//! How a scenario is simulated: the modes, which one `auto` picks, and
//! what each says of its own error.

use crate::error::{Error, Result};
use crate::scenario::{Assigner, Scenario};

/// `auto` picks the analytic mode above this many element-window
/// assignments (records × windows per element).
pub const AUTO_THRESHOLD: f64 = 2e8;

/// The error bound every analytic result carries: the measured error on
/// the largest subtask's bytes against exact mode (README, "Fast mode").
pub const ANALYTIC_ERROR_BOUND: &str = "median 0.3%, max 5.6% per checkpoint on the largest subtask's bytes vs exact mode (420 checkpoints, tests/cli/fast_mode.rs)";

/// How a scenario is simulated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Play every record (discrete-event simulation).
    Exact,
    /// Play every record, simulate a sample of the key groups (the heaviest
    /// subtask whole) and estimate the rest (any window kind, any input).
    Sampled,
    /// Closed-form occupancy (tumbling and sliding windows, generated input).
    Analytic,
    /// Above the work threshold: analytic when eligible, else sampled;
    /// below it, exact.
    #[default]
    Auto,
}

impl Mode {
    /// `exact`, `sampled`, `analytic` or `auto`.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Exact => "exact",
            Mode::Sampled => "sampled",
            Mode::Analytic => "analytic",
            Mode::Auto => "auto",
        }
    }
}

/// Why a scenario cannot be simulated analytically, or `None` when it can.
pub fn ineligible(s: &Scenario) -> Option<String> {
    if s.source.trace.is_some() {
        return Some("its input is a trace (traces are always simulated exactly)".into());
    }
    if let Some((_, _, why)) = exact_only(s) {
        return Some(why);
    }
    for op in &s.operators {
        if let Assigner::Session { .. } = op.assigner {
            return Some(format!(
                "operator '{}' uses session windows (exact only)",
                op.name
            ));
        }
    }
    None
}

/// Element-window assignments of a scenario: records × windows per element,
/// summed over operators.
pub fn window_assignments(s: &Scenario) -> f64 {
    s.operators
        .iter()
        .map(|op| {
            let copies = match op.assigner {
                Assigner::Sliding {
                    size_ms, slide_ms, ..
                } => (size_ms as f64 / slide_ms as f64).ceil(),
                _ => 1.0,
            };
            s.source.records as f64 * copies
        })
        .sum()
}

/// Why `s` runs in exact mode only, if it does: the first operator that
/// is not a window (process, dedup, a join) or that has its own
/// parallelism (a chain after a keyBy), with the field that makes it so.
pub fn exact_only(s: &Scenario) -> Option<(usize, &'static str, String)> {
    s.operators.iter().enumerate().find_map(|(i, op)| {
        if op.keyed.is_some() {
            Some((
                i,
                "kind",
                format!(
                    "operator '{}' (kind = \"{}\") is simulated in exact mode only (every \
                     record, its per-key state, timers and TTL)",
                    op.name,
                    op.kind_name()
                ),
            ))
        } else if let Some(p) = op.parallelism {
            Some((
                i,
                "parallelism",
                format!(
                    "operator '{}' runs at its own parallelism {p} (a job of several keyed \
                     vertices), which statecap simulates in exact mode only",
                    op.name
                ),
            ))
        } else {
            None
        }
    })
}

/// The mode that will run: `Exact`, `Sampled` or `Analytic` (never `Auto`). Asking for
/// `analytic` on an ineligible scenario is an error naming why.
pub fn resolve(s: &Scenario, mode: Mode) -> Result<Mode> {
    // Process and dedup operators are simulated exactly only: `auto` picks
    // exact, another mode asked for is refused at the operator's kind.
    if let Some((i, field, why)) = exact_only(s) {
        if matches!(mode, Mode::Exact | Mode::Auto) {
            return Ok(Mode::Exact);
        }
        let why = format!("--mode {}: {why}; use --mode exact or auto", mode.name());
        let e = s.error_at(&format!("operator[{i}].{field}"), why.clone());
        return match e.line {
            Some(_) => Err(Error::Scenario(vec![e])),
            None => Err(Error::Limit(format!("{}: {why}", s.path.display()))),
        };
    }
    match mode {
        Mode::Exact => Ok(Mode::Exact),
        Mode::Sampled => Ok(Mode::Sampled),
        Mode::Analytic => match ineligible(s) {
            None => Ok(Mode::Analytic),
            // At the line that makes it ineligible: the trace, or the
            // first session window.
            Some(why) => {
                let field = match s
                    .operators
                    .iter()
                    .position(|op| matches!(op.assigner, Assigner::Session { .. }))
                {
                    Some(i) if s.source.trace.is_none() => format!("operator[{i}].assigner"),
                    _ => "source.trace".to_string(),
                };
                let e = s.error_at(
                    &field,
                    format!("--mode analytic: {why}; use --mode exact or auto"),
                );
                match e.line {
                    Some(_) => Err(Error::Scenario(vec![e])),
                    None => Err(Error::Limit(format!(
                        "{}: --mode analytic: {why}; use --mode exact or auto",
                        s.path.display()
                    ))),
                }
            }
        },
        // A trace is played exactly (its length is known only once read).
        Mode::Auto => Ok(
            if s.source.trace.is_some() || window_assignments(s) <= AUTO_THRESHOLD {
                Mode::Exact
            } else if ineligible(s).is_none() {
                Mode::Analytic
            } else {
                Mode::Sampled
            },
        ),
    }
}

/// One line saying which mode produced a result and its error bound
/// (`sampled_error`: the sampled run's own bound, a fraction). It speaks of
/// the simulation (records, windows, timers, key groups) only: how exact
/// the bytes are depends on the backend too, and the report adds that
/// (RocksDB and compressed bytes are estimates whatever the mode).
pub fn describe(mode: Mode, sampled_error: Option<f64>) -> String {
    match mode {
        Mode::Analytic => {
            format!("mode: analytic (closed-form occupancy; error {ANALYTIC_ERROR_BOUND})")
        }
        Mode::Sampled => format!("mode: sampled ({})", sampled_bound(sampled_error)),
        _ => format!("mode: exact ({EXACT_SIMULATION})"),
    }
}

/// What an exact run gets exactly right.
const EXACT_SIMULATION: &str =
    "every record simulated; records, windows, timers and key groups exact";

/// What a sampled result's error is.
fn sampled_bound(error: Option<f64>) -> String {
    format!(
        "the heaviest subtask simulated whole; others estimated from a sample of \
         their key groups, ±{:.2}% at 95% on their state bytes",
        100.0 * error.unwrap_or(0.0)
    )
}

/// What a result in `mode` says of its error, as `summary.json` carries it
/// (of the simulation; the report adds what the backend estimates).
pub fn error_text(mode: Mode, sampled_error: Option<f64>) -> String {
    match mode {
        Mode::Analytic => ANALYTIC_ERROR_BOUND.to_string(),
        Mode::Sampled => sampled_bound(sampled_error),
        _ => format!("exact ({EXACT_SIMULATION})"),
    }
}

/// Exact runs of at least this many records are split over threads.
pub const PARALLEL_MIN_RECORDS: u64 = 1 << 20;

/// Threads a run in `mode` over `records` records uses when asked for
/// `threads` (0: every core, or one inside a rayon pool, which already
/// uses them). Only exact runs of [`PARALLEL_MIN_RECORDS`] or more and
/// sampled runs are split; the analytic mode is closed form on one thread.
/// Never more than [`super::budget::MAX_THREADS`].
pub fn threads_for(mode: Mode, records: u64, threads: usize) -> usize {
    let available = match threads {
        0 if rayon::current_thread_index().is_some() => 1,
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    }
    .min(super::budget::MAX_THREADS);
    match mode {
        Mode::Sampled => available.max(1),
        Mode::Exact if records >= PARALLEL_MIN_RECORDS => available.max(1),
        _ => 1,
    }
}
