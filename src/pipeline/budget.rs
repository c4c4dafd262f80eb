//! What a run will cost, worked out before it starts, and the budget it
//! must fit: every input, however hostile or huge, either runs within the
//! budget (10 s and 2 GiB by default, on this project's 2-core machine) in
//! a way that fits, or is refused up front with the numbers and the flag
//! that lifts the budget ([`OVERRIDE_FLAG`]).
//!
//! The cost of a run, in one place ([`Work`], then [`estimate`] per way of
//! running it):
//!
//! - records played × operators × windows per element (the engines'
//!   work), plus generating (or reading) every record once per operator;
//! - checkpoints × operators × (key groups × live windows, live keys,
//!   subtasks): what every barrier costs, and the rows of the results
//!   (checkpoints × subtasks × operators × backend options) held in memory;
//! - the keys held: every declared key (2 bytes each, plus a bit per live
//!   window and, for sessions and reduce, 4 bytes per key and engine), or
//!   only those the records touch ([`KeyLayout::Touched`]: memory follows
//!   the records, not the declared key space), or none (analytic);
//! - the engines are per thread: partitions multiply what each holds.
//!
//! [`plan`] takes the mode asked for: `auto` keeps its own rule (see
//! [`super::mode::resolve`]) when that fits, else falls back to the
//! analytic mode (when eligible), then to the sampled one; an explicit mode
//! runs only if it fits. It takes the key layout that costs least and as
//! many threads as fit in memory. The constants below are measured on the
//! project's machine (2-core AMD EPYC): estimates are within a factor of
//! about two, which is why the refusal names the flag that runs anyway.

use super::mode::{self, Mode};
use crate::error::{Error, Result};
use crate::flink::serializer::ValueLayout;
use crate::flink::units::group_digits as group;
use crate::flink::units::human_bytes;
use crate::scenario::{
    Assigner, KeyDistribution, KeyType, Scenario, TimeCharacteristic, WindowOperator,
};
use crate::sim::{self, Barriers};
use crate::workload::{Clock, KeyLayout, MAX_HELD_KEYS, RECORD_ONCE_MAX, occupancy};

/// What a run may take.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Budget {
    /// Wall time, seconds (estimated before the run).
    pub seconds: f64,
    /// Peak memory, bytes (estimated before the run).
    pub bytes: u64,
}

impl Budget {
    /// 10 s and 2 GiB: what a run may take unless told otherwise.
    pub const DEFAULT: Budget = Budget {
        seconds: 10.0,
        bytes: 2 << 30,
    };
    /// No budget (`--ignore-budget`): the way of running is still chosen
    /// to cost least, but nothing is refused for its cost.
    pub const UNLIMITED: Budget = Budget {
        seconds: f64::INFINITY,
        bytes: u64::MAX,
    };
}

impl Default for Budget {
    fn default() -> Self {
        Budget::DEFAULT
    }
}

/// Rows of `timeline.csv` written in full; beyond, the table is summarized
/// (see `report::timeline_csv`) unless asked for in full.
pub const TIMELINE_ROWS: u64 = 100_000;

/// The command-line flag that runs a scenario whatever its estimate.
pub const OVERRIDE_FLAG: &str = "--ignore-budget";

/// Most threads one simulation spawns, whatever it is asked for.
pub const MAX_THREADS: usize = 64;

// Costs measured on the project's machine (2-core AMD EPYC), per item.

/// Generating one record: a uniform key, its time and size.
const GENERATE_NS: f64 = 25.0;
/// Drawing a zipf key (rejection-inversion sampling, a few `powf`s).
const ZIPF_NS: f64 = 170.0;
/// Reading one record of a trace (parsing, gzip).
const TRACE_NS: f64 = 400.0;
/// Replaying one record held in memory.
const REPLAY_NS: f64 = 2.0;
/// One element-window assignment of an aligned (tumbling, sliding) window
/// whose per-key state fits in the L2 cache, in L3, and beyond.
const ALIGNED_NS: [f64; 3] = [12.0, 45.0, 110.0];
/// Each further window of an element of a sliding window (its key group
/// already in cache).
const COPY_NS: f64 = 10.0;
/// One element of a session window, by the same cache levels.
const SESSION_NS: [f64; 3] = [150.0, 300.0, 500.0];
/// Working sets at which the engines' costs step up (L2, L3).
const CACHE_BYTES: [f64; 2] = [1.0 * (1 << 20) as f64, 16.0 * (1 << 20) as f64];
/// A barrier: per key group and live window.
const BARRIER_CELL_NS: f64 = 4.0;
/// A barrier: per live key counted (aligned windows), per pending timer
/// swept (sessions).
const LIVE_KEY_NS: [f64; 2] = [1.0, 5.0];
/// A barrier: per subtask and backend option (the model, the status, the
/// row of the results).
const ROW_NS: f64 = 400.0;
/// A barrier: per operator and backend option, and per key group of it
/// (the snapshot, the model's pass over the key groups).
const CHECKPOINT_NS: f64 = 5000.0;
const CHECKPOINT_KEY_GROUP_NS: f64 = 60.0;
/// A result row held in memory (one subtask at one checkpoint).
const ROW_BYTES: f64 = 128.0;
/// A row of `timeline.csv` rendered (bytes; time is [`ROW_NS`]).
const CSV_ROW_BYTES: f64 = 300.0;
/// The analytic mode: one cell (bucket × key group) of an occupancy
/// question.
const CELL_NS: f64 = 3.0;
/// The analytic mode, at every barrier: the expected maximum over the
/// subtasks (400 steps of a product over the subtasks), per subtask; and
/// the key groups' counters.
const BUMP_NS: f64 = 400.0 * 20.0;
const KEY_GROUP_NS: f64 = 60.0;
/// Hashing one key (for the key table or the occupancy): long or int,
/// string.
const HASH_NS: [f64; 2] = [8.0, 40.0];
/// Drawing one key ahead and numbering it (touched keys).
const DRAW_AHEAD_NS: f64 = 40.0;
/// What every run holds besides (the binary, the charts' buffers, the
/// rendered report).
const BASE_BYTES: f64 = 64.0 * (1 << 20) as f64;
/// A live session (its list entry, timers, slab).
const SESSION_BYTES: f64 = 160.0;
/// A record of a trace in memory, and a key of its table.
const TRACE_RECORD_BYTES: f64 = 16.0;
const TRACE_KEY_BYTES: f64 = 80.0;

/// The volume of a scenario, whatever way it runs.
#[derive(Debug, Clone)]
pub struct Work {
    /// Records played (estimated from the file's size for a trace).
    pub records: u64,
    /// Operators (each plays every record).
    pub operators: usize,
    /// Element-window assignments, over all operators.
    pub assignments: f64,
    /// Checkpoints of each operator.
    pub checkpoints: u64,
    /// Result rows: checkpoints × subtasks × operators (per backend option).
    pub rows: u64,
    /// Backend options applied to the same state.
    pub options: usize,
    /// Keys declared (generated input) or in the trace (estimated).
    pub declared_keys: u64,
    /// Distinct keys the records touch (expected).
    pub touched_keys: u64,
    /// Keys drawing 90% of the records (the hot set).
    pub hot_keys: f64,
    /// Subtasks.
    pub parallelism: u32,
    /// Key groups.
    pub key_groups: u32,
    trace: bool,
    zipf: bool,
    string_keys: bool,
    ops: Vec<OpWork>,
    occupancy_bytes: u64,
    occupancy_cells: f64,
    hashed_keys: f64,
}

/// One operator's share of the work.
#[derive(Debug, Clone)]
struct OpWork {
    session: bool,
    /// Windows per element.
    copies: f64,
    /// Live windows at a barrier (aligned), at most.
    live_windows: f64,
    /// Keys with state at a barrier (expected), at most.
    live_keys: f64,
    /// Bytes per held key and live window besides the bitmap bit (the last
    /// element's size, for reduce).
    per_key_bytes: f64,
    /// A process or dedup operator: (ns per record, bytes per held key,
    /// ns per held key at a barrier); `None` for a window.
    keyed: Option<(f64, f64, f64)>,
}

/// A process or dedup operator's cost: per record (over a key space
/// larger than the caches, measured on 5M records and 200k keys: dedup
/// 40 ns, count + list of 5 + map of 20 sub-keys 515 ns), per held key,
/// and per held key at a barrier.
fn keyed_work(k: &crate::scenario::KeyedOperator) -> (f64, f64, f64) {
    use crate::scenario::StateKind;
    let (mut ns, mut bytes, mut barrier) = (20.0, 0.0, 2.0);
    for st in &k.states {
        let (n, b) = match &st.kind {
            StateKind::Value { .. } => (20.0, 8.0),
            StateKind::List { max_elements } => {
                let cap = max_elements.unwrap_or(8).min(1 << 16) as f64;
                (100.0 + 5.0 * cap, 24.0 + 16.0 * cap)
            }
            StateKind::Map { map_keys, .. } => {
                let m = (*map_keys).min(1 << 16) as f64;
                (40.0 + 12.0 * m, 24.0 + 16.0 * m)
            }
        };
        ns += n;
        bytes += b;
        barrier += 3.0 + b / 16.0;
    }
    if k.timer.is_some() {
        ns += 100.0;
        bytes += 4.0 + 64.0;
    }
    // The joins' fixed states: an interval join's buckets (a map of
    // timestamps to lists per side) and cleanup timers, a join's two lists
    // of records (measured: 2.7M records of an interval join at ~2.4 µs,
    // 4 subtasks, 1.5M keys).
    match k.kind {
        crate::scenario::KeyedKind::IntervalJoin { .. } => {
            ns += 2500.0;
            bytes += 400.0;
            barrier += 40.0;
        }
        crate::scenario::KeyedKind::Join => {
            ns += 400.0;
            bytes += 200.0;
            barrier += 20.0;
        }
        _ => {}
    }
    (ns, bytes, barrier)
}

/// How a scenario runs, and what that is estimated to cost.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    /// The mode.
    pub mode: Mode,
    /// How the keys are held.
    pub layout: KeyLayout,
    /// Threads.
    pub threads: usize,
    /// Wall time, seconds.
    pub seconds: f64,
    /// Peak memory, bytes.
    pub bytes: u64,
    /// What costs most, in words.
    pub why: String,
}

impl Estimate {
    /// Whether it fits `budget`.
    pub fn fits(&self, budget: &Budget) -> bool {
        self.seconds <= budget.seconds && self.bytes <= budget.bytes
    }

    /// `about 3.2 s and 450.0 MiB`.
    pub fn text(&self) -> String {
        format!(
            "about {} and {}",
            seconds(self.seconds),
            human_bytes(self.bytes)
        )
    }
}

fn seconds(s: f64) -> String {
    if s < 0.1 {
        "0.1 s".into()
    } else if s < 100.0 {
        format!("{s:.1} s")
    } else if s < 6000.0 {
        format!("{:.0} s ({:.0} min)", s, s / 60.0)
    } else {
        format!("{:.0} h", s / 3600.0)
    }
}

/// The volume of `s` with `options` backend options.
pub fn work(s: &Scenario, options: usize) -> Work {
    let src = &s.source;
    let (records, declared_keys) = match &src.trace {
        Some(path) => trace_size(path, src.records),
        None => (src.records, src.keys),
    };
    let trace = src.trace.is_some();
    let zipf = matches!(src.key_distribution, KeyDistribution::Zipf(_)) && !trace;
    let touched = if trace {
        declared_keys as f64
    } else {
        occupancy::expected_distinct(s, records as f64)
    };
    let hot = if trace {
        declared_keys as f64
    } else {
        occupancy::hot_keys(s, 0.9).min(touched.max(1.0))
    };
    let clock = Clock::new(src.events_per_second);
    let checkpoints = Barriers::new(s.checkpoints, clock, records).checkpoints();
    let ops: Vec<OpWork> = s
        .operators
        .iter()
        .map(|op| op_work(s, op, records, touched, trace))
        .collect();
    let assignments = ops.iter().map(|o| o.copies).sum::<f64>() * records as f64;
    let kgs = s.max_parallelism as usize;
    let (occupancy_bytes, occupancy_cells, hashed_keys) = if trace {
        (0, 0.0, 0.0)
    } else {
        let hashed = occupancy::hashed_keys(src.key_type).min(src.keys) as f64;
        let bytes = occupancy::Occupancy::bytes(s, kgs);
        (bytes, bytes as f64 / 4.0, hashed)
    };
    Work {
        records,
        operators: s.operators.len(),
        assignments,
        checkpoints,
        rows: checkpoints
            .saturating_mul(s.parallelism as u64)
            .saturating_mul(s.operators.len() as u64),
        options: options.max(1),
        declared_keys,
        touched_keys: touched.round() as u64,
        hot_keys: hot,
        parallelism: s.parallelism,
        key_groups: s.max_parallelism,
        trace,
        zipf,
        string_keys: matches!(src.key_type, KeyType::String(_)),
        ops,
        occupancy_bytes,
        occupancy_cells,
        hashed_keys,
    }
}

/// Records and keys of a trace, from its size: at least 12 bytes a line,
/// about five times that once gunzipped; every record a key at most.
fn trace_size(path: &std::path::Path, cap: u64) -> (u64, u64) {
    let bytes = std::fs::metadata(path).map_or(0, |m| m.len());
    let gz = path.extension().is_some_and(|e| e == "gz");
    let lines = if gz { bytes * 5 / 12 } else { bytes / 12 };
    let records = lines.min(cap).max(1);
    (records, records)
}

fn op_work(s: &Scenario, op: &WindowOperator, records: u64, touched: f64, trace: bool) -> OpWork {
    let src = &s.source;
    if let Some(k) = &op.keyed {
        return OpWork {
            session: false,
            copies: 1.0,
            live_windows: 0.0,
            live_keys: touched,
            per_key_bytes: 0.0,
            keyed: Some(keyed_work(k)),
        };
    }
    let event = op.time == TimeCharacteristic::Event;
    let lateness = if event { op.allowed_lateness_ms } else { 0 };
    let delay = if event {
        (src.out_of_orderness_ms + src.jitter_ms) as i64 + lateness
    } else {
        0
    };
    let rate = src.events_per_second;
    let distinct_in = |ms: f64| {
        let n = (rate * ms / 1000.0).min(records as f64);
        if trace {
            n.min(touched)
        } else {
            occupancy::expected_distinct(s, n)
        }
    };
    match op.assigner {
        Assigner::Tumbling { size_ms, .. } | Assigner::Sliding { size_ms, .. } => {
            let slide = match op.assigner {
                Assigner::Sliding { slide_ms, .. } => slide_ms,
                _ => size_ms,
            };
            let copies = (size_ms as f64 / slide as f64).ceil();
            OpWork {
                session: false,
                copies,
                // Slots are made on demand: never more than the records'
                // window assignments, however long the delay.
                live_windows: (((size_ms + delay) as f64 / slide as f64).ceil() + 1.0)
                    .min(records as f64 * copies + 1.0),
                live_keys: distinct_in((size_ms + delay) as f64),
                per_key_bytes: if sim::value_layout(op) == ValueLayout::Single {
                    4.0
                } else {
                    0.0
                },
                keyed: None,
            }
        }
        Assigner::Session { gap_ms } => OpWork {
            session: true,
            copies: 1.0,
            live_windows: 1.0,
            live_keys: distinct_in((gap_ms + delay) as f64),
            per_key_bytes: 0.0,
            keyed: None,
        },
    }
}

/// What running `w` in `mode`, with `layout`, on `threads` threads costs.
pub fn estimate(w: &Work, mode: Mode, layout: KeyLayout, threads: usize) -> Estimate {
    let threads = threads.max(1);
    let rec = w.records as f64;
    let ops = w.operators as f64;
    let kgs = w.key_groups as f64;
    // Keys each engine holds state for.
    let held = match layout {
        KeyLayout::Declared => w.declared_keys as f64,
        KeyLayout::Touched => w.touched_keys as f64,
        KeyLayout::Keyless => 0.0,
    };
    let mut bytes = BASE_BYTES;
    let mut secs = 0.0;
    let mut why: Vec<(f64, String)> = Vec::new();
    // Results: one row per subtask, checkpoint, operator and option.
    let rows = w.rows as f64 * w.options as f64;
    bytes += rows * ROW_BYTES + (rows.min(TIMELINE_ROWS as f64)) * CSV_ROW_BYTES;
    let barrier_rows = rows * ROW_NS * 1e-9
        + (w.checkpoints * w.operators as u64 * w.options as u64) as f64
            * (CHECKPOINT_NS + kgs * CHECKPOINT_KEY_GROUP_NS)
            * 1e-9;
    secs += barrier_rows;
    why.push((
        barrier_rows,
        format!(
            "{} checkpoints × {} subtasks × {} operator{}{}",
            group(w.checkpoints),
            group(w.parallelism as u64),
            group(w.operators as u64),
            if w.operators == 1 { "" } else { "s" },
            if w.options > 1 {
                format!(" × {} backend options", w.options)
            } else {
                String::new()
            }
        ),
    ));
    match mode {
        Mode::Analytic => {
            let hash = w.hashed_keys * HASH_NS[usize::from(w.string_keys)] * 1e-9;
            bytes += w.occupancy_bytes as f64;
            let per_barrier: f64 = w
                .ops
                .iter()
                .map(|o| {
                    (o.live_windows + 3.0) * (w.occupancy_cells + kgs) * CELL_NS
                        + w.parallelism as f64 * BUMP_NS
                        + kgs * KEY_GROUP_NS
                })
                .sum();
            let barriers = w.checkpoints as f64 * per_barrier * 1e-9;
            secs += hash + barriers;
            why.push((hash, format!("{} keys hashed", group(w.hashed_keys as u64))));
            why.push((
                barriers,
                format!(
                    "{} checkpoints in closed form",
                    group(w.checkpoints.saturating_mul(w.operators as u64))
                ),
            ));
        }
        Mode::Exact | Mode::Sampled | Mode::Auto => {
            // Keys held: the table (each key hashed), and (touched) drawing
            // them ahead.
            bytes += 2.0 * held;
            if !w.trace {
                let table = held * HASH_NS[usize::from(w.string_keys)] * 1e-9;
                secs += table;
                why.push((table, format!("{} keys hashed", group(held as u64))));
            }
            if layout == KeyLayout::Touched {
                let slots = (2.0 * held).max(16.0).log2().ceil().exp2();
                bytes += slots * 16.0 + 8.0 * held;
                let ahead = rec * (DRAW_AHEAD_NS + if w.zipf { ZIPF_NS } else { 0.0 }) * 1e-9;
                secs += ahead;
                why.push((ahead, format!("{} keys drawn ahead", group(w.records))));
            }
            if w.trace {
                bytes += rec * TRACE_RECORD_BYTES + held * TRACE_KEY_BYTES;
            }
            let produce = if w.trace {
                TRACE_NS
            } else {
                GENERATE_NS + if w.zipf { ZIPF_NS } else { 0.0 }
            };
            // Sampled: the heaviest subtask and about a quarter of the rest.
            let share = if mode == Mode::Sampled {
                bytes += w.occupancy_bytes as f64;
                secs += w.hashed_keys * HASH_NS[usize::from(w.string_keys)] * 1e-9;
                (1.0 / w.parallelism as f64 + 0.3).min(1.0)
            } else {
                if threads > 1 && !w.trace {
                    bytes += w.occupancy_bytes as f64;
                    secs += w.hashed_keys * HASH_NS[usize::from(w.string_keys)] * 1e-9;
                }
                1.0
            };
            // The hot keys' state is what the caches see.
            let hot = w.hot_keys.min(held.max(1.0));
            let mut engine_secs = 0.0;
            let mut barrier_secs = 0.0;
            for o in &w.ops {
                // Per record: the first window's cost by the cache level of
                // the hot keys' state, then each further window; what each
                // thread's engine holds, and what the threads share.
                let (per_record, per_thread, shared, per_barrier) =
                    if let Some((ns, b, nb)) = o.keyed {
                        // Every key of the key space has its slots; a barrier
                        // visits them all.
                        (ns, held * b + kgs * 32.0, 0.0, held * nb)
                    } else if o.session {
                        let live = o.live_keys.min(held);
                        let working = hot * 4.0 + live.min(hot) * SESSION_BYTES;
                        (
                            level(SESSION_NS, working),
                            held * 4.0 + kgs * 64.0,
                            live * SESSION_BYTES * 2.0,
                            live * LIVE_KEY_NS[1],
                        )
                    } else {
                        let slots = o.live_windows + 1.0;
                        let working = hot * (2.0 + o.copies / 8.0 + o.per_key_bytes * o.copies);
                        (
                            level(ALIGNED_NS, working) + (o.copies - 1.0) * COPY_NS,
                            slots * (held / 8.0 + held * o.per_key_bytes + kgs * 32.0),
                            0.0,
                            slots * kgs * BARRIER_CELL_NS + o.live_keys.min(held) * LIVE_KEY_NS[0],
                        )
                    };
                bytes += per_thread * threads as f64 + shared;
                engine_secs += rec * per_record * share;
                barrier_secs += w.checkpoints as f64 * per_barrier * share;
            }
            // The producer's thread generates every record for each
            // operator (once, replayed, for several operators over few
            // records); the engines share the threads.
            let recorded = !w.trace && w.operators > 1 && w.records <= RECORD_ONCE_MAX;
            let produce_secs = if recorded {
                bytes += rec * TRACE_RECORD_BYTES;
                (rec * produce + rec * ops * REPLAY_NS) * 1e-9
            } else {
                rec * ops * produce * 1e-9
            };
            let engines = engine_secs * 1e-9 / (threads as f64 * 0.75).max(1.0);
            let barrier_secs = barrier_secs * 1e-9 / (threads as f64 * 0.75).max(1.0);
            secs += produce_secs.max(engines) + produce_secs.min(engines) / threads as f64;
            secs += barrier_secs;
            why.push((
                produce_secs.max(engines),
                format!(
                    "{} records × {} operator{}{}",
                    group(w.records),
                    group(w.operators as u64),
                    if w.operators == 1 { "" } else { "s" },
                    if w.assignments > rec * ops {
                        format!(" ({} window assignments)", compact(w.assignments))
                    } else {
                        String::new()
                    }
                ),
            ));
            why.push((barrier_secs, "live state counted at every barrier".into()));
        }
    }
    why.sort_by(|a, b| b.0.total_cmp(&a.0));
    let why = why
        .into_iter()
        .filter(|(t, _)| *t >= 0.05 * secs)
        .take(2)
        .map(|(_, w)| w)
        .collect::<Vec<_>>()
        .join(", ");
    Estimate {
        mode,
        layout,
        threads,
        seconds: secs,
        bytes: bytes.min(u64::MAX as f64) as u64,
        why,
    }
}

/// The cost of a step of the memory hierarchy for a working set.
fn level(ns: [f64; 3], working: f64) -> f64 {
    if working <= CACHE_BYTES[0] {
        ns[0]
    } else if working <= CACHE_BYTES[1] {
        ns[1]
    } else {
        ns[2]
    }
}

/// `8.6e9`.
fn compact(x: f64) -> String {
    if x < 1e6 {
        group(x as u64)
    } else {
        format!("{x:.1e}").replace("e", "×10^")
    }
}

/// How a scenario will run: the estimate of the way chosen.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The way chosen and its cost.
    pub estimate: Estimate,
    /// The scenario's volume.
    pub work: Work,
    /// The budget it was held to.
    pub budget: Budget,
}

/// The layout a mode holds its keys in: none for the analytic mode; for
/// generated input the one [`KeyLayout::for_generated`] picks, or the
/// other if that one alone fits in memory.
fn layouts(w: &Work, mode: Mode) -> Vec<KeyLayout> {
    if mode == Mode::Analytic {
        return vec![KeyLayout::Keyless];
    }
    if w.trace {
        return vec![KeyLayout::Declared];
    }
    let first = KeyLayout::for_generated(w.declared_keys, w.records);
    let other = match first {
        KeyLayout::Declared => KeyLayout::Touched,
        _ => KeyLayout::Declared,
    };
    vec![first, other]
}

/// The ways `mode` may hold its keys (within what a run can hold), each
/// with as many of `threads` threads as fit in `budget` (at least one).
fn ways(w: &Work, mode: Mode, threads: usize, budget: &Budget) -> Vec<Estimate> {
    layouts(w, mode)
        .into_iter()
        .filter(|&l| match l {
            KeyLayout::Declared => w.declared_keys <= MAX_HELD_KEYS,
            KeyLayout::Touched => w.touched_keys <= MAX_HELD_KEYS,
            KeyLayout::Keyless => true,
        })
        .map(|l| {
            let mut t = threads;
            let mut e = estimate(w, mode, l, t);
            while t > 1 && e.bytes > budget.bytes {
                t = t.div_ceil(2);
                e = estimate(w, mode, l, t);
            }
            e
        })
        .collect()
}

/// The cheapest way to run `w` in `mode` (the first that fits `budget`,
/// else the one of least memory), if the mode can hold its keys at all.
fn best(w: &Work, mode: Mode, threads: usize, budget: &Budget) -> Option<Estimate> {
    let ways = ways(w, mode, threads, budget);
    if let Some(e) = ways.iter().find(|e| e.fits(budget)) {
        return Some(e.clone());
    }
    ways.into_iter().min_by_key(|e| e.bytes)
}

/// Decides how `s` runs: the mode (`asked`, or for `auto` its own pick, the
/// analytic or the sampled mode, whichever first fits), the key layout and
/// the threads (`threads`: asked for, 0 every core), for `options` backend
/// options; or refuses, naming the estimate, the budget, a mode that
/// fits and [`OVERRIDE_FLAG`].
pub fn plan(
    s: &Scenario,
    asked: Mode,
    threads: usize,
    options: usize,
    budget: &Budget,
) -> Result<Plan> {
    if let (KeyType::Int, None) = (s.source.key_type, &s.source.trace)
        && s.source.keys > 1 << 32
    {
        return Err(Error::Limit(format!(
            "{}: `source.keys` = {} with key_type = \"int\": a Java Integer has 2^32 values; \
             use key_type = \"long\"",
            s.path.display(),
            s.source.keys
        )));
    }
    let w = work(s, options);
    let first = mode::resolve(s, asked)?;
    let mut candidates = vec![first];
    // Process, dedup and join operators, and chains: exact only
    // (`mode::resolve`).
    let exact_only = mode::exact_only(s).is_some();
    if asked == Mode::Auto && !exact_only {
        if mode::ineligible(s).is_none() {
            candidates.push(Mode::Analytic);
        }
        candidates.push(Mode::Sampled);
    }
    candidates.dedup();
    let mut tried: Vec<Estimate> = Vec::new();
    let mut unheld = None;
    for &m in &candidates {
        let t = mode::threads_for(m, w.records, threads);
        match best(&w, m, t, budget) {
            Some(e) if e.fits(budget) => {
                return Ok(Plan {
                    estimate: e,
                    work: w,
                    budget: *budget,
                });
            }
            Some(e) => tried.push(e),
            None => unheld = Some(m),
        }
    }
    Err(Error::Limit(refusal(
        s, &w, asked, &tried, unheld, threads, budget,
    )))
}

/// Why a scenario does not run, with the numbers and the ways out.
fn refusal(
    s: &Scenario,
    w: &Work,
    asked: Mode,
    tried: &[Estimate],
    unheld: Option<Mode>,
    threads: usize,
    budget: &Budget,
) -> String {
    let mut m = format!("{}: over budget", s.path.display());
    let keys = if w.trace {
        String::new()
    } else {
        format!(
            ", {} keys declared and about {} touched",
            group(w.declared_keys),
            group(w.touched_keys)
        )
    };
    m.push_str(&format!(
        " ({} records × {} operator{}{keys}, {} checkpoints × {} subtasks = {} result rows)",
        group(w.records),
        group(w.operators as u64),
        if w.operators == 1 { "" } else { "s" },
        group(w.checkpoints),
        group(w.parallelism as u64),
        group(w.rows)
    ));
    for e in tried {
        m.push_str(&format!(
            ";\n  {} mode would take {} ({})",
            e.mode.name(),
            e.text(),
            e.why
        ));
    }
    if let Some(u) = unheld {
        m.push_str(&format!(
            ";\n  {} mode would hold about {} distinct keys, more than a run can ({})",
            u.name(),
            group(w.touched_keys),
            group(MAX_HELD_KEYS)
        ));
    }
    m.push_str(&format!(
        ";\n  the budget is {} and {}",
        seconds(budget.seconds),
        human_bytes(budget.bytes)
    ));
    // A mode that would fit, if the one asked for does not.
    if asked != Mode::Auto {
        let others = [Mode::Analytic, Mode::Sampled, Mode::Exact];
        for o in others.into_iter().filter(|&o| o != asked) {
            if o == Mode::Analytic && mode::ineligible(s).is_some() {
                continue;
            }
            let t = mode::threads_for(o, w.records, threads);
            if let Some(e) = best(w, o, t, budget).filter(|e| e.fits(budget)) {
                m.push_str(&format!(";\n  --mode {} fits ({})", o.name(), e.text()));
                break;
            }
        }
    }
    m.push_str(&format!(
        ";\n  fewer records, checkpoints or operators fit; `statecap run`, `check`, `compare` or `sweep` \
         {OVERRIDE_FLAG} runs it anyway"
    ));
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario(source: &str, checkpoints: &str, ops: usize) -> Scenario {
        let mut t = format!(
            "name = \"b\"\nflink_version = \"1.20\"\nseed = 1\n[source]\n{source}\n\
             record_bytes = 100\n[job]\nparallelism = 4\n[checkpoints]\n{checkpoints}\n"
        );
        for i in 0..ops {
            t.push_str(&format!(
                "[[operator]]\nname = \"w{i}\"\nkind = \"window\"\nassigner = \"tumbling\"\n\
                 size = \"10 s\"\nfunction = \"aggregate\"\naccumulator_bytes = 32\n"
            ));
        }
        Scenario::parse(&t, std::path::Path::new("b.toml")).unwrap()
    }

    #[test]
    fn a_huge_key_space_holds_only_the_touched_keys() {
        let s = scenario(
            "records = 100000\nevents_per_second = 1000\nkeys = 4294967296",
            "interval = \"10 s\"",
            1,
        );
        let p = plan(&s, Mode::Auto, 0, 1, &Budget::DEFAULT).unwrap();
        assert_eq!(p.estimate.mode, Mode::Exact);
        assert_eq!(p.estimate.layout, KeyLayout::Touched);
        assert!(p.estimate.bytes < 200 << 20, "{:?}", p.estimate);
        assert!(p.work.touched_keys <= 100_000);
    }

    #[test]
    fn what_does_not_fit_is_refused_with_the_numbers_and_the_flag() {
        let s = scenario(
            "records = 2000000000\nevents_per_second = 100000\nkeys = 1000",
            "interval = \"10 s\"",
            1,
        );
        let e = plan(&s, Mode::Exact, 0, 1, &Budget::DEFAULT)
            .unwrap_err()
            .to_string();
        assert!(e.contains("2,000,000,000 records"), "{e}");
        assert!(e.contains("exact mode would take about"), "{e}");
        assert!(e.contains("--mode analytic fits"), "{e}");
        assert!(e.contains(OVERRIDE_FLAG), "{e}");
        // Auto falls back to the analytic mode, and no budget runs anything.
        let p = plan(&s, Mode::Auto, 0, 1, &Budget::DEFAULT).unwrap();
        assert_eq!(p.estimate.mode, Mode::Analytic);
        assert!(plan(&s, Mode::Exact, 0, 1, &Budget::UNLIMITED).is_ok());
    }

    #[test]
    fn int_keys_beyond_two_to_the_32_are_refused() {
        let s = scenario(
            "records = 10\nevents_per_second = 10\nkeys = 5000000000\nkey_type = \"int\"",
            "every_records = 5",
            1,
        );
        let e = plan(&s, Mode::Auto, 0, 1, &Budget::DEFAULT)
            .unwrap_err()
            .to_string();
        assert!(e.contains("Integer"), "{e}");
    }
}
