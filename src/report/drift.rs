//! Why the state at the barriers saw-tooths. A window operator's state
//! grows while its window fills and drops when the window fires; what a
//! checkpoint sees depends on where in the window's life its barrier
//! lands. With a checkpoint interval longer than the window and not a
//! multiple of it (the seed job: 10.2 s against 5 s windows), each barrier
//! lands a little later in the window cycle than the one before (0.2 s),
//! so it finds a fuller window every time, until it passes the window's end
//! and finds a fresh one: the state climbs for 25 checkpoints, then drops.
//! With an interval shorter than the window, the state simply fills within
//! each window and drops when it fires.
//!
//! Pure arithmetic on the scenario (interval, window size or slide) and
//! the drops the run shows; [`crate::plan::failing_share`] prices the
//! failures over a whole cycle. Not here: drawing it (the timeline marks
//! the drops and carries [`Drift::note`]) or how the report lays it out.

use crate::flink::units::{group_digits, human_bytes};
use crate::pipeline::{OperatorResult, ScenarioResult};
use crate::scenario::{Assigner, CheckpointTrigger, Scenario};

/// Which kind of saw-tooth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The interval is longer than the window cycle and not a multiple of
    /// it: each barrier lands `shift_ms` later (or earlier, if negative) in
    /// the cycle.
    Drift,
    /// The interval is shorter than the window cycle: the state fills
    /// within each window and drops when it fires.
    Fill,
}

/// How the barriers meet one operator's window cycle.
#[derive(Debug, Clone, PartialEq)]
pub struct Drift {
    /// The operator.
    pub operator: String,
    /// Which kind.
    pub kind: Kind,
    /// Time between barriers, ms.
    pub interval_ms: u64,
    /// The window cycle: a tumbling window's size, a sliding window's slide.
    pub cycle_ms: u64,
    /// `tumbling` or `sliding`: a window's end, or a slide boundary.
    pub sliding: bool,
    /// How much later (negative: earlier) in the cycle each barrier lands.
    pub shift_ms: i64,
    /// Checkpoints from one drop to the next (a whole cycle of phases).
    pub period: u64,
    /// The drops the run shows: (checkpoint, largest subtask before, at it).
    pub drops: Vec<(u64, u64, u64)>,
    /// Share of checkpoints that fail over a whole cycle of phases (from
    /// [`crate::plan::Plan::failing_share_over_cycle`]), when known.
    pub failing_share: Option<f64>,
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// `10.2 s`, `200 ms`, `4.2 min` without a trailing `.0`.
pub fn short_ms(ms: f64) -> String {
    crate::flink::units::human_duration_ms(ms.round() as i64).replacen(".0 ", " ", 1)
}

/// Checkpoints at which the largest subtask falls to less than half of
/// what it was at the one before.
fn drops(op: &OperatorResult) -> Vec<(u64, u64, u64)> {
    op.checkpoints
        .windows(2)
        .filter_map(|w| {
            let (a, b) = (w[0].max_state_bytes(), w[1].max_state_bytes());
            (a > 0 && b * 2 < a).then_some((w[1].checkpoint, a, b))
        })
        .collect()
}

/// The time between barriers: the interval, or the records between them
/// at the source's rate (generated input only: a trace has no fixed rate).
fn interval_ms(s: &Scenario) -> Option<u64> {
    match s.checkpoints {
        CheckpointTrigger::Interval(ms) => Some(ms),
        CheckpointTrigger::EveryRecords(n) if s.source.trace.is_none() => {
            let ms = n as f64 * 1000.0 / s.source.events_per_second.max(1e-9);
            (ms >= 1.0 && ms.fract() < 1e-9).then_some(ms as u64)
        }
        CheckpointTrigger::EveryRecords(_) => None,
    }
}

/// How the barriers meet each tumbling or sliding window operator's cycle,
/// where the state at the barriers saw-tooths: the interval is not a
/// multiple of the cycle, the run has at least two checkpoints, and (for an
/// interval shorter than the cycle) the run shows a drop.
/// `failing_share` is the plan's share of failing phases, if known.
pub fn analyse(s: &Scenario, r: &ScenarioResult, failing_share: Option<f64>) -> Vec<Drift> {
    let Some(interval) = interval_ms(s) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (op, res) in s.operators.iter().zip(&r.operators) {
        let (cycle, sliding) = match op.assigner {
            Assigner::Tumbling { size_ms, .. } => (size_ms.max(0) as u64, false),
            Assigner::Sliding { slide_ms, .. } => (slide_ms.max(0) as u64, true),
            Assigner::Session { .. } => continue,
        };
        if op.keyed.is_some() || cycle == 0 || res.checkpoints.len() < 2 {
            continue;
        }
        let rem = interval % cycle;
        if rem == 0 {
            continue;
        }
        let (kind, shift, period) = if interval > cycle {
            // The smaller way round: 9.8 s against 5 s is 0.2 s earlier.
            let shift = if rem * 2 <= cycle {
                rem as i64
            } else {
                rem as i64 - cycle as i64
            };
            (Kind::Drift, shift, cycle / gcd(interval, cycle))
        } else {
            (Kind::Fill, interval as i64, cycle.div_ceil(interval).max(1))
        };
        let drops = drops(res);
        // A window that fills and fires is only worth a word where the run
        // shows it; a drift is, since a longer run meets every phase.
        if kind == Kind::Fill && drops.is_empty() {
            continue;
        }
        out.push(Drift {
            operator: res.name.clone(),
            kind,
            interval_ms: interval,
            cycle_ms: cycle,
            sliding,
            shift_ms: shift,
            period,
            drops,
            failing_share,
        });
    }
    out
}

impl Drift {
    /// `window` or `slide`.
    fn cycle_name(&self) -> &'static str {
        if self.sliding { "slide" } else { "window" }
    }

    /// The explanation, in sentences: why, what the run shows, what it
    /// means for failures.
    pub fn sentences(&self) -> Vec<String> {
        let i = short_ms(self.interval_ms as f64);
        let w = short_ms(self.cycle_ms as f64);
        let end = if self.sliding {
            "a slide boundary, where the oldest pane is dropped"
        } else {
            "the window's end, where the window fires and its state is dropped"
        };
        let mut out = Vec::new();
        match self.kind {
            Kind::Drift => {
                let shift = short_ms(self.shift_ms.unsigned_abs() as f64);
                let whole = self.interval_ms / self.cycle_ms;
                let cycle_time = short_ms((self.period * self.interval_ms) as f64);
                let (way, fuller, then) = if self.shift_ms > 0 {
                    (
                        "later",
                        "a fuller window every time",
                        "passes the window's end and meets a fresh, nearly empty window: the \
                         state drops and the climb starts again",
                    )
                } else {
                    (
                        "earlier",
                        "an emptier window every time",
                        "passes back over the window's start and meets a full window: the state \
                         jumps up and the descent starts again",
                    )
                };
                out.push(format!(
                    "The checkpoint interval ({i}) is not a multiple of \
                     the {w} {}: {i} = {whole} × {w} {} {shift}, so each barrier lands {shift} \
                     {way} in the {w} cycle than the one before and finds {fuller}. Every {} \
                     checkpoints ({cycle_time}) the barrier {then}.",
                    self.cycle_name(),
                    if self.shift_ms > 0 { "+" } else { "-" },
                    self.period,
                ));
            }
            Kind::Fill => {
                out.push(format!(
                    "Barriers come every {i}, within the {w} {}: the \
                     state grows as the window fills and drops at {end}, about every {} \
                     checkpoints.",
                    self.cycle_name(),
                    self.period
                ));
            }
        }
        if let Some(&(cp, before, after)) = self.drops.first() {
            let more = match self.drops.len() {
                1 => String::new(),
                n => format!(
                    " ({} drops in the run, at checkpoints {})",
                    n,
                    self.drops
                        .iter()
                        .take(8)
                        .map(|d| d.0.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                        + if n > 8 { ", …" } else { "" }
                ),
            };
            out.push(format!(
                "In this run: the largest subtask of operator '{}' falls from {} at checkpoint \
                 {} to {} at checkpoint {cp}{more}.",
                self.operator,
                human_bytes(before),
                cp - 1,
                human_bytes(after),
            ));
        } else if self.kind == Kind::Drift {
            out.push(format!(
                "This run covers less than one cycle of {} checkpoints: a longer one meets the \
                 window at every phase, the fullest included.",
                group_digits(self.period)
            ));
        }
        if let Some(share) = self.failing_share {
            out.push(format!(
                "Checkpoints fail where a barrier meets a full window: over a whole cycle of \
                 phases (barriers every 1/40 of the {w} {}), {:.0}% of checkpoints fail. Which \
                 ones do in production depends on where the barriers happen to land, so a \
                 failure that is rare in a short run is certain in a long one.",
                self.cycle_name(),
                share * 100.0
            ));
        }
        out
    }

    /// The short note the timeline carries under its panel.
    pub fn note(&self) -> String {
        let i = short_ms(self.interval_ms as f64);
        let w = short_ms(self.cycle_ms as f64);
        match self.kind {
            Kind::Drift => format!(
                "Saw-tooth: a barrier every {i} lands {} {} in the {w} {} cycle each time, so it \
                 finds {}; every {} checkpoints it {} (dotted lines){}.",
                short_ms(self.shift_ms.unsigned_abs() as f64),
                if self.shift_ms > 0 {
                    "later"
                } else {
                    "earlier"
                },
                self.cycle_name(),
                if self.shift_ms > 0 {
                    "a fuller window"
                } else {
                    "an emptier window"
                },
                self.period,
                if self.shift_ms > 0 {
                    "passes the window's end and meets a fresh one"
                } else {
                    "passes the window's start and meets a full one"
                },
                match self.failing_share {
                    Some(f) =>
                        format!("; over a whole cycle {:.0}% of checkpoints fail", f * 100.0),
                    None => String::new(),
                }
            ),
            Kind::Fill => format!(
                "Saw-tooth: barriers every {i} within the {w} {}: the state fills and drops when \
                 the window fires (dotted lines), about every {} checkpoints.",
                self.cycle_name(),
                self.period
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 5 s tumbling processing-time window at 100 records/s, 300 s
    /// played, checkpoints every `interval`.
    fn with_interval(interval: &str) -> (Scenario, ScenarioResult) {
        let s = Scenario::parse(
            &format!(
                r#"
name = "d"
flink_version = "1.20"
[source]
records = 30000
events_per_second = 100
keys = 50
record_bytes = 100
[job]
parallelism = 2
[[operator]]
kind = "window"
assigner = "tumbling"
size = "5 s"
time = "processing"
function = "process"
[checkpoints]
interval = "{interval}"
"#
            ),
            "d.toml".as_ref(),
        )
        .unwrap();
        let r = crate::pipeline::simulate(&s, &Default::default())
            .unwrap()
            .into_result();
        (s, r)
    }

    #[test]
    fn the_smaller_way_round_and_the_period() {
        assert_eq!(gcd(10_200, 5_000), 200);
        assert_eq!(short_ms(10_200.0), "10.2 s");
        assert_eq!(short_ms(200.0), "200 ms");
        // 10.2 s = 2 × 5 s + 0.2 s: 0.2 s later each time, a drop every
        // 5 / 0.2 = 25 checkpoints (at 25, the phase wraps to 0).
        let (s, r) = with_interval("10200 ms");
        let d = &analyse(&s, &r, None)[0];
        assert_eq!((d.kind, d.shift_ms, d.period), (Kind::Drift, 200, 25));
        assert_eq!(d.drops.first().map(|x| x.0), Some(25));
        // 9.8 s = 2 × 5 s - 0.2 s: 0.2 s earlier each time, and the state
        // jumps up instead of dropping.
        let (s, r) = with_interval("9800 ms");
        let d = &analyse(&s, &r, None)[0];
        assert_eq!((d.kind, d.shift_ms, d.period), (Kind::Drift, -200, 25));
        assert!(d.sentences()[0].contains("200 ms earlier"));
        // A multiple of the window: every barrier at the same phase.
        let (s, r) = with_interval("10 s");
        assert!(analyse(&s, &r, None).is_empty());
        // Shorter than the window: it fills and fires, every 2 or 3.
        let (s, r) = with_interval("2 s");
        let d = &analyse(&s, &r, None)[0];
        assert_eq!((d.kind, d.period), (Kind::Fill, 3));
        assert!(!d.drops.is_empty());
    }
}
