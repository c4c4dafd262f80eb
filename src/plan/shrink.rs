//! The state-shrinking job changes of the keyed operators that are not
//! windows (`process`, `dedup`, `join`, `interval_join`), each priced per
//! operator by simulating a modified scenario under the recommended
//! option: a TTL of a given length, an aggregate instead of a buffer of
//! every record, and records projected to fewer bytes before they are
//! buffered.

use super::JobChange;
use crate::flink::units::human_bytes;
use crate::flink::{Backend, ResolvedConfig};
use crate::pipeline::{self, RunOptions, ScenarioResult};
use crate::scenario::{
    KeyedKind, KeyedOperator, Scenario, SizeDistribution, StateKind, StateWrite, Ttl, TtlCleanup,
};

/// The share of a run that the default TTL is: short enough that the state
/// can level off inside the run, so that the run shows it.
const DEFAULT_TTL_SHARE: f64 = 0.25;

/// The last quarter of a run adding more than this share to the largest
/// subtask (over the quarter before it) is state that grows.
const GROWTH_SHARE: f64 = 0.05;

/// Prices changes under one configuration within one budget.
pub(super) struct Pricer<'a> {
    /// The scenario as given.
    pub s: &'a Scenario,
    /// The recommended option's configuration.
    pub config: &'a ResolvedConfig,
    /// The comparison's budget.
    pub budget: pipeline::Budget,
    /// The scenario's result under `config`.
    pub base: &'a ScenarioResult,
}

/// An operator's (or the job's) figures in one result.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Figures {
    /// Largest subtask at any checkpoint.
    pub peak: u64,
    /// Largest subtask at the last checkpoint.
    pub end: u64,
    /// `grows`, `levels off`, or empty when the run has too few checkpoints to tell.
    pub growth: &'static str,
}

/// Figures of the operator named `op` in `r`, or of every operator.
pub fn figures(r: &ScenarioResult, op: Option<&str>) -> Figures {
    let mut f = Figures::default();
    let mut any_grows = false;
    let mut told = false;
    for o in r
        .operators
        .iter()
        .filter(|o| op.is_none_or(|n| o.name == n))
    {
        let series: Vec<u64> = o.checkpoints.iter().map(|c| c.max_state_bytes()).collect();
        f.peak = f.peak.max(series.iter().copied().max().unwrap_or(0));
        f.end = f.end.max(series.last().copied().unwrap_or(0));
        if let Some(g) = grows(&series) {
            told = true;
            any_grows |= g;
        }
    }
    f.growth = match (told, any_grows) {
        (false, _) => "",
        (true, true) => "grows",
        (true, false) => "levels off",
    };
    f
}

/// Whether a series of checkpoints' largest subtask grows: the largest of
/// its last quarter above the largest of the quarter before by more than
/// [`GROWTH_SHARE`] (window state rises and falls within a quarter: its
/// largest does not). `None` below 4 checkpoints.
pub fn grows(series: &[u64]) -> Option<bool> {
    let n = series.len();
    if n < 4 {
        return None;
    }
    let q3 = series[n / 2..3 * n / 4].iter().copied().max().unwrap_or(0);
    let q4 = series[3 * n / 4..].iter().copied().max().unwrap_or(0);
    Some(q4 as f64 > q3 as f64 * (1.0 + GROWTH_SHARE))
}

/// `Duration.ofHours(6)`, `Duration.ofMinutes(90)`, `Duration.ofMillis(1500)`.
fn java_duration(ms: i64) -> String {
    if ms % 3_600_000 == 0 {
        format!("Duration.ofHours({})", ms / 3_600_000)
    } else if ms % 60_000 == 0 {
        format!("Duration.ofMinutes({})", ms / 60_000)
    } else if ms % 1000 == 0 {
        format!("Duration.ofSeconds({})", ms / 1000)
    } else {
        format!("Duration.ofMillis({ms})")
    }
}

/// `6 h`, `90 min`, `1.5 s`: whole units where they are whole.
pub fn short_ms(ms: i64) -> String {
    if ms % 3_600_000 == 0 {
        format!("{} h", ms / 3_600_000)
    } else if ms % 60_000 == 0 {
        format!("{} min", ms / 60_000)
    } else if ms % 1000 == 0 {
        format!("{} s", ms / 1000)
    } else {
        format!("{ms} ms")
    }
}

/// The time a run spans, ms: the records at the source's rate, or (a
/// trace, whose timestamps need not start at 0) its checkpoints' span
/// stretched by one checkpoint's step (`n` checkpoints, `n - 1` steps).
pub fn played_ms(s: &Scenario, base: &ScenarioResult) -> i64 {
    let generated =
        (s.source.records as f64 * 1000.0 / s.source.events_per_second.max(1e-9)).round() as i64;
    if s.source.trace.is_none() {
        return generated;
    }
    base.operators
        .iter()
        .filter(|o| o.checkpoints.len() >= 2)
        .map(|o| {
            let n = o.checkpoints.len() as i64;
            let span = o.checkpoints[n as usize - 1].time_ms - o.checkpoints[0].time_ms;
            span.saturating_mul(n) / (n - 1)
        })
        .max()
        .unwrap_or(generated)
}

/// The default TTL: [`DEFAULT_TTL_SHARE`] of `played`, rounded down to
/// whole hours, minutes or seconds.
pub fn default_ttl_ms(played: i64) -> i64 {
    let q = (played as f64 * DEFAULT_TTL_SHARE) as i64;
    let unit = [3_600_000, 60_000, 1000]
        .into_iter()
        .find(|&u| q >= u)
        .unwrap_or(1);
    (q / unit * unit).max(1)
}

/// A size distribution with its mean moved to `mean` (every parameter
/// scaled by the same factor, at least 1 byte).
fn scaled(d: SizeDistribution, mean: f64) -> SizeDistribution {
    let f = mean / d.mean().max(1.0);
    let b = |x: u32| ((x as f64 * f).round() as u32).max(1);
    match d {
        SizeDistribution::Fixed(x) => SizeDistribution::Fixed(b(x)),
        SizeDistribution::Uniform { min, max } => SizeDistribution::Uniform {
            min: b(min),
            max: b(max),
        },
        SizeDistribution::Normal {
            mean: m,
            stddev,
            min,
            max,
        } => SizeDistribution::Normal {
            mean: m * f,
            stddev: stddev * f,
            min: b(min),
            max: b(max),
        },
        SizeDistribution::LogNormal {
            mean: m,
            stddev,
            min,
            max,
        } => SizeDistribution::LogNormal {
            mean: m * f,
            stddev: stddev * f,
            min: b(min),
            max: b(max),
        },
    }
}

/// What a change is before it is priced.
struct Proposed {
    kind: &'static str,
    change: String,
    cost: String,
    /// Why it cannot be simulated, if it cannot.
    not_priced: Option<String>,
    apply: Box<dyn Fn(&mut Scenario)>,
}

impl Pricer<'_> {
    /// The state-shrinking changes of every keyed operator, each simulated.
    pub fn changes(&self) -> Vec<JobChange> {
        let mut out = Vec::new();
        for (oi, o) in self.s.operators.iter().enumerate() {
            let Some(k) = &o.keyed else { continue };
            let mut proposed = self.ttl_changes(oi, k);
            proposed.extend(self.aggregate_change(oi, k));
            proposed.extend(self.projection_change(k));
            if proposed.is_empty() {
                continue;
            }
            let before = figures(self.base, Some(&o.name));
            for p in proposed {
                out.push(self.price(&o.name, before, p));
            }
        }
        out
    }

    /// Simulates one change.
    fn price(&self, op: &str, before: Figures, p: Proposed) -> JobChange {
        let mut c = JobChange {
            operator: op.to_string(),
            kind: p.kind,
            change: p.change,
            cost: p.cost,
            peak_before: before.peak,
            end_before: before.end,
            growth_before: before.growth,
            ..JobChange::default()
        };
        if let Some(why) = p.not_priced {
            c.not_priced = why;
            return c;
        }
        let mut t = self.s.clone();
        (p.apply)(&mut t);
        match pipeline::simulate(
            &t,
            &RunOptions {
                configs: std::slice::from_ref(self.config),
                budget: self.budget,
                ..RunOptions::default()
            },
        ) {
            Ok(run) => {
                let after = figures(run.result(), Some(op));
                c.peak_after = Some(after.peak);
                c.end_after = Some(after.end);
                c.growth_after = after.growth;
            }
            Err(e) => c.not_priced = e.to_string(),
        }
        c
    }

    /// Flink's default TTL cleanup on the recommended backend, in words.
    fn default_cleanup(&self) -> &'static str {
        if self.config.backend == Backend::RocksDb {
            "Flink's default cleanup on RocksDB: the compaction filter drops expired entries \
             when compactions reach them"
        } else {
            "Flink's default cleanup on the heap: incremental, 5 entries per state access \
             (expired entries stay in memory and in snapshots until visited)"
        }
    }

    /// A TTL of each length on the operator's states that have none, or a
    /// longer one.
    fn ttl_changes(&self, oi: usize, k: &KeyedOperator) -> Vec<Proposed> {
        let lengths = if self.s.shrink.ttls_ms.is_empty() {
            vec![default_ttl_ms(played_ms(self.s, self.base))]
        } else {
            self.s.shrink.ttls_ms.clone()
        };
        let defaulted = self.s.shrink.ttls_ms.is_empty();
        let mut out = Vec::new();
        for ttl_ms in lengths {
            let which: Vec<usize> = (0..k.states.len())
                .filter(|&i| k.states[i].ttl.is_none_or(|t| t.ttl_ms > ttl_ms))
                .collect();
            if which.is_empty() {
                continue;
            }
            let name = |i: &usize| format!("\"{}\"", k.states[*i].name);
            let (fresh, shorter): (Vec<usize>, Vec<usize>) =
                which.iter().partition(|&&i| k.states[i].ttl.is_none());
            let mut parts = Vec::new();
            if !fresh.is_empty() {
                parts.push(format!(
                    "TTL {} on {} (StateTtlConfig.newBuilder({}), OnCreateAndWrite, \
                     NeverReturnExpired; {})",
                    short_ms(ttl_ms),
                    fresh.iter().map(name).collect::<Vec<_>>().join(", "),
                    java_duration(ttl_ms),
                    self.default_cleanup()
                ));
            }
            for i in &shorter {
                let had = k.states[*i].ttl.map_or(0, |t| t.ttl_ms);
                parts.push(format!(
                    "TTL {} instead of {} on {} (its update type, visibility and cleanup kept)",
                    short_ms(ttl_ms),
                    short_ms(had),
                    name(i)
                ));
            }
            let mut change = parts.join("; ");
            if defaulted {
                let played = played_ms(self.s, self.base);
                let shown = if played % 1000 == 0 {
                    short_ms(played)
                } else {
                    crate::flink::units::human_duration_ms(played)
                };
                change.push_str(&format!(
                    " — default length: a quarter of the {shown} played ([compare] ttl prices \
                     others)"
                ));
            }
            let len = short_ms(ttl_ms);
            let cost = match k.kind {
                KeyedKind::Dedup => format!(
                    "an id not seen for {len} (processing time) is forgotten: a duplicate \
                     arriving later passes again"
                ),
                KeyedKind::Join | KeyedKind::IntervalJoin { .. } => format!(
                    "a row is kept {len} (processing time) after its last write: a match \
                     arriving later is missed (as table.exec.state.ttl does)"
                ),
                KeyedKind::Process => format!(
                    "what a key wrote {len} (processing time) ago is forgotten: its next \
                     record starts from empty"
                ),
            };
            out.push(Proposed {
                kind: "ttl",
                change,
                cost,
                not_priced: None,
                apply: Box::new(move |t: &mut Scenario| {
                    let Some(k) = t.operators[oi].keyed.as_mut() else {
                        return;
                    };
                    for &i in &which {
                        k.states[i].ttl = Some(match k.states[i].ttl {
                            // A shorter length, the rest as the job has it.
                            Some(old) => Ttl { ttl_ms, ..old },
                            // Flink's defaults, as a scenario with `ttl`
                            // alone has them: the background cleanup
                            // (incremental, 5, on heap; the compaction
                            // filter on RocksDB).
                            None => Ttl {
                                ttl_ms,
                                update_on_read: false,
                                return_expired: false,
                                cleanup: TtlCleanup::Incremental { size: 5 },
                                compaction_filter: true,
                            },
                        });
                    }
                }),
            });
        }
        out
    }

    /// An 8-byte aggregate (`ValueState<Long>`) instead of a list that
    /// keeps every record.
    fn aggregate_change(&self, oi: usize, k: &KeyedOperator) -> Option<Proposed> {
        let which: Vec<usize> = (0..k.states.len())
            .filter(|&i| matches!(k.states[i].kind, StateKind::List { max_elements: None }))
            .collect();
        if which.is_empty() {
            return None;
        }
        let names: Vec<String> = which
            .iter()
            .map(|&i| format!("ListState \"{}\"", k.states[i].name))
            .collect();
        let cost = if k.kind == KeyedKind::Join {
            "the join no longer emits every matching pair: each side keeps one aggregate per \
             key (a count, a sum, the latest value) that the other side's rows are joined with"
                .to_string()
        } else {
            "the operator keeps no records: it can emit only what the aggregate carries, computed \
             as each record arrives"
                .to_string()
        };
        Some(Proposed {
            kind: "aggregate",
            change: format!(
                "an aggregate instead of a buffer: a ValueState<Long> (8 bytes: a count, a sum, \
                 the latest timestamp) in place of {}, updated on every record",
                names.join(" and ")
            ),
            cost,
            not_priced: None,
            apply: Box::new(move |t: &mut Scenario| {
                let Some(k) = t.operators[oi].keyed.as_mut() else {
                    return;
                };
                for &i in &which {
                    k.states[i].kind = StateKind::Value { value_bytes: 8 };
                    k.states[i].write = StateWrite::EveryRecord;
                }
            }),
        })
    }

    /// Records projected to fewer bytes before an operator buffers them
    /// (a `map()` before its keyBy keeping the fields it needs). Priced
    /// where the operator is the job's only one, so that nothing else
    /// reads the projected records.
    fn projection_change(&self, k: &KeyedOperator) -> Option<Proposed> {
        let buffers = match k.kind {
            KeyedKind::Join | KeyedKind::IntervalJoin { .. } => true,
            KeyedKind::Dedup => false,
            KeyedKind::Process => k
                .states
                .iter()
                .any(|st| matches!(st.kind, StateKind::List { .. })),
        };
        if !buffers || self.s.operators.len() != 1 {
            return None;
        }
        let given = self.s.shrink.projected_record_bytes;
        // The inputs and their mean record sizes.
        let inputs: Vec<(String, f64)> = if self.s.sides.is_empty() {
            vec![("the input".into(), self.s.source.record_bytes.mean())]
        } else {
            self.s
                .sides
                .iter()
                .map(|d| (format!("'{}'", d.name), d.record_bytes.mean()))
                .collect()
        };
        let target = move |mean: f64| given.map_or((mean / 2.0).round().max(1.0), |b| b as f64);
        if inputs.iter().all(|&(_, m)| target(m) >= m) {
            return None;
        }
        let sizes: Vec<String> = inputs
            .iter()
            .filter(|&&(_, m)| target(m) < m)
            .map(|(n, m)| {
                format!(
                    "{n} from a mean {} to {}",
                    human_bytes(m.round() as u64),
                    human_bytes(target(*m) as u64)
                )
            })
            .collect();
        let mut change = format!(
            "fewer bytes per buffered record: a map() before the keyBy keeping only the fields \
             the operator needs, {}",
            sizes.join(", ")
        );
        if given.is_none() {
            change.push_str(
                " (default: half the mean record; [compare] projected_record_bytes sets it)",
            );
        }
        let not_priced = self.s.source.trace.as_ref().map(|_| {
            "the record sizes come from the trace, which statecap does not rewrite: project \
             the trace's bytes column and run it"
                .to_string()
        });
        let sides = !self.s.sides.is_empty();
        Some(Proposed {
            kind: "projection",
            change,
            cost: "the fields left out are not available to the operator (or after it)".into(),
            not_priced,
            apply: Box::new(move |t: &mut Scenario| {
                if sides {
                    for d in t.sides.iter_mut() {
                        let m = d.record_bytes.mean();
                        if target(m) < m {
                            d.record_bytes = scaled(d.record_bytes, target(m));
                        }
                    }
                } else {
                    let m = t.source.record_bytes.mean();
                    t.source.record_bytes = scaled(t.source.record_bytes, target(m));
                }
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn growth_is_told_from_the_last_two_quarters() {
        assert_eq!(grows(&[1, 2, 3]), None);
        // Still rising by a tenth: grows.
        assert_eq!(grows(&[10, 20, 30, 40, 50, 60, 70, 80]), Some(true));
        // Risen and flat: levels off.
        assert_eq!(grows(&[10, 50, 100, 100, 101, 100, 102, 101]), Some(false));
        // A window's saw-tooth rises and falls within a quarter.
        assert_eq!(grows(&[5, 90, 5, 90, 5, 90, 5, 92]), Some(false));
    }

    #[test]
    fn the_default_ttl_is_a_quarter_of_the_run_in_whole_units() {
        assert_eq!(default_ttl_ms(26 * 3_600_000), 6 * 3_600_000);
        assert_eq!(default_ttl_ms(2 * 3_600_000), 30 * 60_000);
        assert_eq!(default_ttl_ms(60_000), 15_000);
        assert_eq!(default_ttl_ms(3), 1);
        assert_eq!(short_ms(90 * 60_000), "90 min");
        assert_eq!(java_duration(6 * 3_600_000), "Duration.ofHours(6)");
    }

    #[test]
    fn scaling_moves_the_mean_and_keeps_the_shape() {
        let d = SizeDistribution::Normal {
            mean: 600.0,
            stddev: 150.0,
            min: 200,
            max: 4096,
        };
        let h = scaled(d, 300.0);
        assert_eq!(
            h,
            SizeDistribution::Normal {
                mean: 300.0,
                stddev: 75.0,
                min: 100,
                max: 2048
            }
        );
        assert_eq!(
            scaled(SizeDistribution::Fixed(3), 1.0),
            SizeDistribution::Fixed(1)
        );
    }
}
