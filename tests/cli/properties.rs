//! Properties of the simulation over generated scenarios (proptest), through
//! the library: `Scenario::parse` and `pipeline::simulate`.
//!
//! - **The heap format adds up** (`heap_snapshot_bytes_add_up`): a
//!   subtask's stream is the header, then every key group of its range
//!   (empty ones too) with its framing and entries, so at every checkpoint
//!   its bytes are the header plus its key groups' bytes (`keygroups.csv`,
//!   at the peak), and those are the arithmetic of `tests/cli/invariants.rs`
//!   over the entries, timers and keys the simulation reports.
//! - **Pure function of the file** (`same_seed_same_result`,
//!   `threads_do_not_change_the_result`): the same scenario twice gives the
//!   same result; so does any number of threads (the sampled mode always
//!   splits key groups over them, the exact mode from 2^20 records).
//! - **Key groups, not subtasks, hold the state**
//!   (`parallelism_moves_key_groups_not_state`): with the max parallelism
//!   fixed, another parallelism moves whole key groups between subtasks, so
//!   the total over subtasks less one header each does not change.
//! - **Monotone where Flink is**: a larger tumbling window (a multiple of
//!   the smaller) or a longer sliding window (same slide) never holds less;
//!   a larger accumulator or record costs exactly its extra bytes per entry
//!   (per element); a larger memory limit never fails a checkpoint the
//!   smaller one passes; playing more records never changes the checkpoints
//!   the shorter run took. Each is proved in a comment at its test. More
//!   records per second is *not* monotone at a checkpoint (a higher rate
//!   also moves the watermark on and fires windows sooner):
//!   `a_higher_rate_can_hold_less_at_a_checkpoint` shows it, so no
//!   property asserts it.
//!
//! `STATECAP_PROPERTY_CASES` sets the cases per property (default 64).

use proptest::prelude::*;
use statecap::backend::CheckpointStatus;
use statecap::pipeline::{self, Mode, RunOptions};
use statecap::{CheckpointResult, Scenario, ScenarioResult};
use std::path::Path;

fn cases() -> u32 {
    std::env::var("STATECAP_PROPERTY_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64)
}

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------------------
// Generated jobs.

#[derive(Debug, Clone, Copy, PartialEq)]
enum Window {
    Tumbling { size: u64 },
    Sliding { size: u64, slide: u64 },
    Session { gap: u64 },
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Function {
    Process,
    Apply,
    Aggregate(u32),
    Reduce,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum KeyKind {
    Long,
    Int,
    Str(u32),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Trigger {
    EveryRecords(u64),
    Interval(u64),
}

/// A job small enough to simulate in milliseconds: generated input, one
/// window operator, the heap backend.
#[derive(Debug, Clone, PartialEq)]
struct Job {
    seed: u64,
    records: u64,
    eps: u32,
    keys: u64,
    zipf: Option<f64>,
    key: KeyKind,
    /// Fixed serialized size of every record.
    record_bytes: u32,
    jitter: u64,
    ooo: u64,
    watermark_every: u64,
    parallelism: u32,
    max_parallelism: u32,
    window: Window,
    processing: bool,
    lateness: u64,
    function: Function,
    trigger: Trigger,
    /// JobManager storage with this limit (else filesystem storage).
    limit: Option<u64>,
}

impl Job {
    fn toml(&self) -> String {
        let mut t = format!(
            "name = \"prop\"\nflink_version = \"1.20\"\nseed = {}\n\n[source]\nrecords = {}\n\
             events_per_second = {}\nkeys = {}\nrecord_bytes = {}\njitter_ms = {}\n\
             out_of_orderness_ms = {}\nwatermark_every_records = {}\n",
            self.seed,
            self.records,
            self.eps,
            self.keys,
            self.record_bytes,
            self.jitter,
            self.ooo,
            self.watermark_every
        );
        if let Some(s) = self.zipf {
            t += &format!("key_distribution = \"zipf\"\nzipf_exponent = {s}\n");
        }
        t += &match self.key {
            KeyKind::Long => "key_type = \"long\"\n".to_string(),
            KeyKind::Int => "key_type = \"int\"\n".to_string(),
            KeyKind::Str(len) => format!("key_type = \"string\"\nkey_length = {len}\n"),
        };
        t += &format!(
            "\n[job]\nparallelism = {}\nmax_parallelism = {}\n\n[[operator]]\nname = \"w\"\n\
             kind = \"window\"\n",
            self.parallelism, self.max_parallelism
        );
        t += &match self.window {
            Window::Tumbling { size } => format!("assigner = \"tumbling\"\nsize_ms = {size}\n"),
            Window::Sliding { size, slide } => {
                format!("assigner = \"sliding\"\nsize_ms = {size}\nslide_ms = {slide}\n")
            }
            Window::Session { gap } => format!("assigner = \"session\"\ngap_ms = {gap}\n"),
        };
        if self.processing {
            t += "time = \"processing\"\n";
        } else {
            t += &format!(
                "time = \"event\"\nallowed_lateness_ms = {}\n",
                self.lateness
            );
        }
        t += &match self.function {
            Function::Process => "function = \"process\"\n".to_string(),
            Function::Apply => "function = \"apply\"\n".to_string(),
            Function::Aggregate(a) => {
                format!("function = \"aggregate\"\naccumulator_bytes = {a}\n")
            }
            Function::Reduce => "function = \"reduce\"\n".to_string(),
        };
        t += "\n[state]\nbackend = \"hashmap\"\n\n[checkpoints]\n";
        t += &match self.trigger {
            Trigger::EveryRecords(n) => format!("every_records = {n}\n"),
            Trigger::Interval(ms) => format!("interval_ms = {ms}\n"),
        };
        match self.limit {
            Some(l) => t += &format!("storage = \"jobmanager\"\nmax_state_size = {l}\n"),
            None => {
                t += "storage = \"filesystem\"\n\n[flink_conf]\n\
                      \"execution.checkpointing.dir\" = \"file:///tmp/checkpoints\"\n"
            }
        }
        t
    }

    fn scenario(&self) -> Scenario {
        Scenario::parse(&self.toml(), Path::new("prop.toml"))
            .unwrap_or_else(|e| panic!("{e}\n{}", self.toml()))
    }

    /// Serialized key bytes (generated keys have one size).
    fn key_bytes(&self) -> u64 {
        match self.key {
            KeyKind::Long => 8,
            KeyKind::Int => 4,
            // StringValue.writeString: varint(len + 1), then one byte a char.
            KeyKind::Str(len) => len as u64 + if len < 127 { 1 } else { 2 },
        }
    }
}

fn simulate(job: &Job, mode: Mode, threads: usize) -> pipeline::Run {
    let s = job.scenario();
    pipeline::simulate(
        &s,
        &RunOptions {
            mode,
            threads,
            ..RunOptions::default()
        },
    )
    .unwrap_or_else(|e| panic!("{e}\n{}", job.toml()))
}

fn exact(job: &Job) -> ScenarioResult {
    simulate(job, Mode::Exact, 1).into_result()
}

fn window() -> impl Strategy<Value = Window> {
    prop_oneof![
        (1u64..20_000).prop_map(|size| Window::Tumbling { size }),
        (1u64..200, 1u64..8).prop_map(|(slide, n)| Window::Sliding {
            size: slide * n,
            slide
        }),
        (1u64..5_000).prop_map(|gap| Window::Session { gap }),
    ]
}

fn function() -> impl Strategy<Value = Function> {
    prop_oneof![
        Just(Function::Process),
        Just(Function::Apply),
        (1u32..100).prop_map(Function::Aggregate),
        Just(Function::Reduce),
    ]
}

prop_compose! {
    /// Any small job; `records` up to `max_records`.
    fn job(max_records: u64)(
        seed in any::<u64>(),
        records in 1..max_records,
        eps in 1u32..5_000,
        keys in 1u64..3_000,
        zipf in proptest::option::weighted(0.3, 0.1f64..3.0),
        key in prop_oneof![Just(KeyKind::Long), Just(KeyKind::Int), (1u32..20).prop_map(KeyKind::Str)],
        record_bytes in 1u32..500,
        jitter in prop_oneof![3 => Just(0u64), 1 => 0u64..3_000],
        ooo in prop_oneof![3 => Just(0u64), 1 => 0u64..3_000],
        watermark_every in prop_oneof![3 => Just(1u64), 1 => 1u64..100],
        parallelism in 1u32..6,
        extra_groups in 0u32..200,
        window in window(),
        processing in proptest::bool::weighted(0.3),
        lateness in prop_oneof![3 => Just(0u64), 1 => 0u64..5_000],
        function in function(),
        every in proptest::bool::ANY,
        step in any::<u64>(),
    ) -> Job {
        // Two checkpoints or more: every 1 to records/2 records, or every 10 ms
        // (Flink's MINIMAL_CHECKPOINT_TIME) to half the played time.
        let played_ms = records * 1000 / eps as u64;
        let trigger = if every {
            Trigger::EveryRecords(1 + step % (records / 2).max(1))
        } else {
            Trigger::Interval(10 + step % (played_ms / 2).saturating_sub(10).max(1))
        };
        // Generated string keys spell `k` and the key's number.
        let key = match key {
            KeyKind::Str(len) => KeyKind::Str(len.max(keys.to_string().len() as u32 + 1)),
            k => k,
        };
        Job {
            seed,
            records,
            eps,
            keys,
            zipf,
            key,
            record_bytes,
            jitter,
            ooo,
            watermark_every,
            parallelism,
            max_parallelism: parallelism + extra_groups,
            window,
            processing,
            lateness: if processing { 0 } else { lateness },
            function,
            trigger,
            limit: None,
        }
    }
}

// ---------------------------------------------------------------------------
// (a) The heap format adds up.

/// Header of a subtask's stream (`serializer::header_bytes`, measured):
/// process/apply 1492, aggregate 1318, reduce 1405; sessions +630.
fn header(job: &Job) -> u64 {
    let base = match job.function {
        Function::Process | Function::Apply => 1492,
        Function::Aggregate(_) => 1318,
        Function::Reduce => 1405,
    };
    base + if matches!(job.window, Window::Session { .. }) {
        630
    } else {
        0
    }
}

/// Framing of every key group: its id (4) and 6 per registered state (3;
/// 4 with the merging-window set of sessions).
fn framing(job: &Job) -> u64 {
    4 + 6 * if matches!(job.window, Window::Session { .. }) {
        4
    } else {
        3
    }
}

/// Checks one checkpoint of one subtask against the heap layout; `Err`
/// says what does not add up.
fn heap_layout(job: &Job, cp: &CheckpointResult) -> Result<(), String> {
    let k = job.key_bytes();
    let e = job.record_bytes as u64;
    let session = matches!(job.window, Window::Session { .. });
    for s in &cp.subtasks {
        let groups = (s.key_group_end - s.key_group_start + 1) as u64;
        let at = format!("checkpoint {} subtask {}: {s:?}", cp.checkpoint, s.subtask);
        // entry = TimeWindow 16 + key + value; timer = 8 + key + 16;
        // sessions: per key with live sessions 1 + key + 4, and 32 per
        // session in its merging-window set.
        let value = match job.function {
            Function::Aggregate(a) => a as u64,
            Function::Reduce => e,
            Function::Process | Function::Apply => 4,
        };
        let mut fixed = header(job)
            + groups * framing(job)
            + s.entries * (16 + k + value)
            + s.timers * (8 + k + 16);
        if session {
            fixed += s.live_keys * (1 + k + 4) + s.entries * 32;
        }
        let rest = s.state_bytes.checked_sub(fixed).ok_or(format!(
            "{at}: {} bytes, fewer than header, framing, entries and timers ({fixed})",
            s.state_bytes
        ))?;
        match job.function {
            // The elements of the lists: at least one per entry, E each.
            Function::Process | Function::Apply if rest % e != 0 || rest / e < s.entries => {
                return Err(format!(
                    "{at}: {rest} bytes of list elements for {} entries of {e}-byte records",
                    s.entries
                ));
            }
            Function::Process | Function::Apply => {}
            _ if rest != 0 => return Err(format!("{at}: {rest} bytes more than the layout")),
            _ => {}
        }
        if s.state_bytes != s.checkpointed_bytes
            || s.state_bytes_low != s.state_bytes
            || s.state_bytes_high != s.state_bytes
        {
            return Err(format!("{at}: heap bytes are exact, without a range"));
        }
        // One timer per (key, window) (the cleanup timer of a window without
        // lateness falls at its trigger time: the same timer); two while a
        // window with lateness waits for the watermark.
        let timers_ok = if job.lateness == 0 {
            s.timers == s.entries
        } else {
            s.entries <= s.timers && s.timers <= 2 * s.entries
        };
        if !timers_ok {
            return Err(format!(
                "{at}: {} timers for {} entries",
                s.timers, s.entries
            ));
        }
        if s.live_keys > s.entries
            || (s.nonempty_key_groups as u64) > s.live_keys.min(groups)
            || (s.entries == 0) != (s.live_keys == 0)
        {
            return Err(format!("{at}: entries, keys and key groups disagree"));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(cases()))]

    /// At every checkpoint each subtask's bytes are the heap layout of what
    /// it holds; at the peak, each subtask's bytes are the header plus the
    /// bytes of its key groups (as `keygroups.csv` lists them).
    #[test]
    fn heap_snapshot_bytes_add_up(job in job(6_000)) {
        let r = exact(&job);
        let op = &r.operators[0];
        for cp in &op.checkpoints {
            if let Err(e) = heap_layout(&job, cp) {
                prop_assert!(false, "{e}\n{}", job.toml());
            }
        }
        if let Some(peak) = op.peak {
            let kg = &op.peak_key_group_bytes;
            prop_assert_eq!(kg.len(), job.max_parallelism as usize);
            for s in &op.checkpoints[peak].subtasks {
                let range = &kg[s.key_group_start as usize..=s.key_group_end as usize];
                prop_assert_eq!(s.state_bytes, header(&job) + range.iter().sum::<u64>(), "{:?}", s);
                prop_assert!(range.iter().all(|&b| b >= framing(&job)), "{:?}", range);
                let nonempty = range.iter().filter(|&&b| b > framing(&job)).count() as u32;
                prop_assert_eq!(nonempty, s.nonempty_key_groups);
                let largest = range.iter().copied().max().unwrap_or(0);
                if nonempty > 0 {
                    prop_assert_eq!(largest, s.largest_key_group_bytes);
                    prop_assert_eq!(kg[s.largest_key_group as usize], largest);
                }
            }
            // The peak is the checkpoint with the largest subtask.
            let max = op.checkpoints.iter().map(|c| c.max_state_bytes()).max();
            prop_assert_eq!(Some(op.checkpoints[peak].max_state_bytes()), max);
        }
    }
}

// ---------------------------------------------------------------------------
// (b) A pure function of the file.

fn json(r: &ScenarioResult) -> serde_json::Value {
    serde_json::to_value(r).expect("a result serializes")
}

proptest! {
    #![proptest_config(config(cases()))]

    #[test]
    fn same_seed_same_result(job in job(6_000)) {
        let a = simulate(&job, Mode::Auto, 0);
        let b = simulate(&job, Mode::Auto, 0);
        prop_assert_eq!(a.mode, b.mode);
        prop_assert!(json(a.result()) == json(b.result()), "{}", job.toml());
    }

    /// The sampled mode splits the sampled key groups over the threads it
    /// is given, whatever the size: 1, 2 and 3 threads agree.
    #[test]
    fn threads_do_not_change_the_sampled_result(job in job(6_000)) {
        let one = simulate(&job, Mode::Sampled, 1);
        for threads in [2, 3] {
            let many = simulate(&job, Mode::Sampled, threads);
            // Never more threads than key groups to split among them.
            let expected = threads.min(job.max_parallelism as usize);
            prop_assert_eq!(many.threads, expected, "the run used other threads than asked");
            prop_assert!(json(one.result()) == json(many.result()), "{} threads\n{}", threads, job.toml());
        }
    }
}

proptest! {
    // Each case plays 2^20 records three times.
    #![proptest_config(config(cases().div_ceil(10)))]

    /// Exact runs of 2^20 records or more are split over the threads; any
    /// number gives the result of one.
    #[test]
    fn threads_do_not_change_the_exact_result(mut job in job(2)) {
        job.records = pipeline::mode::PARALLEL_MIN_RECORDS + job.seed % 50_000;
        job.eps = job.eps.max(1_000);
        job.trigger = match job.trigger {
            Trigger::EveryRecords(n) => Trigger::EveryRecords(n * 1_000),
            Trigger::Interval(ms) => Trigger::Interval(ms.max(1_000)),
        };
        let one = simulate(&job, Mode::Exact, 1);
        for threads in [2, 3] {
            let many = simulate(&job, Mode::Exact, threads);
            // Never more threads than key groups to split among them.
            let expected = threads.min(job.max_parallelism as usize);
            prop_assert_eq!(many.threads, expected, "the run used other threads than asked");
            prop_assert!(json(one.result()) == json(many.result()), "{} threads\n{}", threads, job.toml());
        }
    }
}

// ---------------------------------------------------------------------------
// Key groups hold the state.

proptest! {
    #![proptest_config(config(cases()))]

    /// Flink assigns keys to key groups by the max parallelism alone, and a
    /// subtask's state is its key groups'. Another parallelism (same max
    /// parallelism) moves whole key groups: per checkpoint, the bytes over
    /// all subtasks less one header each, and the entries, timers, live
    /// keys and non-empty key groups over all subtasks, stay the same.
    #[test]
    fn parallelism_moves_key_groups_not_state(job in job(6_000), other in 1u32..6) {
        let mut moved = job.clone();
        moved.parallelism = other.min(job.max_parallelism);
        let (a, b) = (exact(&job), exact(&moved));
        let (a, b) = (&a.operators[0], &b.operators[0]);
        prop_assert_eq!(a.checkpoints.len(), b.checkpoints.len());
        let sums = |cp: &CheckpointResult, p: u32| {
            let sum = |f: fn(&statecap::backend::SubtaskSnapshot) -> u64| cp.subtasks.iter().map(f).sum::<u64>();
            (
                cp.total_state_bytes() - p as u64 * header(&job),
                sum(|s| s.entries),
                sum(|s| s.timers),
                sum(|s| s.live_keys),
                sum(|s| s.nonempty_key_groups as u64),
                cp.live_windows,
            )
        };
        for (x, y) in a.checkpoints.iter().zip(&b.checkpoints) {
            prop_assert_eq!(
                sums(x, job.parallelism),
                sums(y, moved.parallelism),
                "checkpoint {}, parallelism {} and {}\n{}",
                x.checkpoint, job.parallelism, moved.parallelism, job.toml()
            );
        }
        prop_assert_eq!(&a.peak_key_group_bytes.len(), &b.peak_key_group_bytes.len());
        prop_assert_eq!(a.stats.dropped_late, b.stats.dropped_late);
    }
}

// ---------------------------------------------------------------------------
// (c) Monotone where Flink is.

/// Asserts that every subtask of `small` holds no more than the same
/// subtask of `large`, checkpoint by checkpoint: bytes, entries, timers,
/// live keys, non-empty key groups.
fn dominated(small: &ScenarioResult, large: &ScenarioResult) -> Result<(), String> {
    let (a, b) = (&small.operators[0], &large.operators[0]);
    if a.checkpoints.len() != b.checkpoints.len() {
        return Err(format!(
            "{} checkpoints against {}",
            a.checkpoints.len(),
            b.checkpoints.len()
        ));
    }
    for (x, y) in a.checkpoints.iter().zip(&b.checkpoints) {
        for (s, t) in x.subtasks.iter().zip(&y.subtasks) {
            let le = s.state_bytes <= t.state_bytes
                && s.entries <= t.entries
                && s.timers <= t.timers
                && s.live_keys <= t.live_keys
                && s.nonempty_key_groups <= t.nonempty_key_groups;
            if !le {
                return Err(format!(
                    "checkpoint {} subtask {}: {s:?} is not below {t:?}",
                    x.checkpoint, s.subtask
                ));
            }
        }
    }
    Ok(())
}

/// A job whose event time is the source's clock: no jitter, no
/// out-of-orderness, no lateness, event time.
fn in_order(mut job: Job) -> Job {
    job.jitter = 0;
    job.ooo = 0;
    job.lateness = 0;
    job.processing = false;
    job
}

proptest! {
    #![proptest_config(config(cases()))]

    /// Tumbling event-time windows of size W and of m·W (offset 0), records
    /// in timestamp order (no jitter, no out-of-orderness, no lateness).
    ///
    /// Proof. Timestamps never decrease, so at a barrier every record has
    /// a timestamp ≤ T, the largest so far, and the watermark (emitted
    /// before every barrier) is T − 1. A window [s, s + W) fires when the
    /// watermark reaches s + W − 1, so it is live iff s + W > T: of the
    /// windows with records, only the one holding T, [⌊T/W⌋W, …), which
    /// holds exactly the records with timestamps in [⌊T/W⌋W, T]. With m·W
    /// the live window starts at ⌊T/mW⌋mW ≤ ⌊T/W⌋W: it holds those records
    /// and possibly more. No record is late in either (a record's window
    /// ends after T ≥ every earlier timestamp). The barriers fall at the
    /// same records in both (they depend on the trigger and the clock, not
    /// on the window). So every (key, window) entry of the small run has an
    /// entry in the large one with a superset of its records: per key
    /// group, entries, timers (one per entry), keys and bytes (an element
    /// per record, one value per entry) are no fewer, and so per subtask.
    #[test]
    fn a_larger_tumbling_window_never_holds_less(job in job(6_000), size in 1u64..5_000, m in 2u64..6) {
        let mut small = in_order(job);
        small.window = Window::Tumbling { size };
        let mut large = small.clone();
        large.window = Window::Tumbling { size: size * m };
        if let Err(e) = dominated(&exact(&small), &exact(&large)) {
            prop_assert!(false, "{e}\nsize {size} against {}\n{}", size * m, small.toml());
        }
    }

    /// Sliding event-time windows of one slide S (offset 0), sizes W ≤ W',
    /// records in timestamp order.
    ///
    /// Proof. As above the watermark at a barrier is T − 1, so the window
    /// starting at s (a multiple of S) is live iff s + W > T, and it holds
    /// the records with timestamps in [s, min(s + W − 1, T)] = [s, T]. With
    /// W' the live starts are a superset (s + W' > T), and each live window
    /// holds the same records, [s, T]. So the (key, window) entries of the
    /// W run are entries of the W' run with the same contents: per key
    /// group and per subtask, nothing is smaller.
    #[test]
    fn a_longer_sliding_window_never_holds_less(job in job(6_000), slide in 1u64..300, n in 1u64..6, more in 1u64..4) {
        let mut small = in_order(job);
        small.window = Window::Sliding { size: slide * n, slide };
        let mut large = small.clone();
        large.window = Window::Sliding { size: slide * (n + more), slide };
        if let Err(e) = dominated(&exact(&small), &exact(&large)) {
            prop_assert!(false, "{e}\nsizes {} and {}, slide {slide}\n{}", slide * n, slide * (n + more), small.toml());
        }
    }

    /// A larger accumulator: the same entries (the accumulator's size draws
    /// nothing and fires nothing), each `extra` bytes larger: every
    /// subtask grows by exactly entries × extra.
    #[test]
    fn a_larger_accumulator_costs_its_bytes_per_entry(job in job(6_000), acc in 1u32..100, extra in 1u32..100) {
        let mut small = job;
        small.function = Function::Aggregate(acc);
        let mut large = small.clone();
        large.function = Function::Aggregate(acc + extra);
        let (a, b) = (exact(&small), exact(&large));
        for (x, y) in a.operators[0].checkpoints.iter().zip(&b.operators[0].checkpoints) {
            for (s, t) in x.subtasks.iter().zip(&y.subtasks) {
                prop_assert_eq!((s.entries, s.timers), (t.entries, t.timers));
                prop_assert_eq!(t.state_bytes - s.state_bytes, s.entries * extra as u64, "{}", small.toml());
            }
        }
    }

    /// Larger records (one fixed size for all): the keys, timestamps and
    /// windows are drawn from streams of their own, so the same entries
    /// hold the same records, each `extra` bytes larger: a reduced value is
    /// one record (exactly entries × extra more), a list holds at least one
    /// record per entry (a multiple of extra, at least entries × extra).
    #[test]
    fn larger_records_cost_their_bytes_per_element(job in job(6_000), extra in 1u32..300) {
        let small = job;
        let mut large = small.clone();
        large.record_bytes += extra;
        let (a, b) = (exact(&small), exact(&large));
        for (x, y) in a.operators[0].checkpoints.iter().zip(&b.operators[0].checkpoints) {
            for (s, t) in x.subtasks.iter().zip(&y.subtasks) {
                prop_assert_eq!((s.entries, s.timers, s.live_keys), (t.entries, t.timers, t.live_keys));
                let more = t.state_bytes - s.state_bytes;
                let extra = extra as u64;
                match small.function {
                    Function::Aggregate(_) => prop_assert_eq!(more, 0),
                    Function::Reduce => prop_assert_eq!(more, s.entries * extra),
                    Function::Process | Function::Apply => {
                        prop_assert!(more % extra == 0 && more >= s.entries * extra, "{} more bytes\n{}", more, small.toml());
                    }
                }
            }
        }
    }

    /// JobManager storage fails a checkpoint iff a subtask's bytes exceed
    /// the limit (the state does not depend on the limit): a checkpoint
    /// that fails under the larger limit fails under the smaller one.
    #[test]
    fn a_larger_memory_limit_never_fails_more(job in job(6_000), limit in 1_000u64..200_000, more in 1u64..100_000) {
        let mut small = job;
        small.limit = Some(limit);
        let mut large = small.clone();
        large.limit = Some(limit + more);
        let (a, b) = (exact(&small), exact(&large));
        for (run, l) in [(&a, limit), (&b, limit + more)] {
            for cp in &run.operators[0].checkpoints {
                let failed = matches!(cp.status, CheckpointStatus::Failed { .. });
                prop_assert_eq!(failed, cp.max_state_bytes() > l, "checkpoint {}", cp.checkpoint);
            }
        }
        for (x, y) in a.operators[0].checkpoints.iter().zip(&b.operators[0].checkpoints) {
            let (fx, fy) = (
                matches!(x.status, CheckpointStatus::Failed { .. }),
                matches!(y.status, CheckpointStatus::Failed { .. }),
            );
            prop_assert!(fx || !fy, "checkpoint {} fails only under the larger limit", x.checkpoint);
        }
    }

    /// The future does not change the past: a checkpoint's state depends on
    /// the records before its barrier only, and a barrier that falls within
    /// the shorter run falls at the same record in the longer one (its
    /// time is on the clock, and a later record exists in both). So the
    /// shorter run's checkpoints are the first checkpoints of the longer.
    #[test]
    fn more_records_keep_the_earlier_checkpoints(job in job(6_000), more in 1u64..3_000) {
        let short = job;
        let mut long = short.clone();
        long.records += more;
        let (a, b) = (exact(&short), exact(&long));
        let (a, b) = (&a.operators[0], &b.operators[0]);
        prop_assert!(a.checkpoints.len() <= b.checkpoints.len());
        for (x, y) in a.checkpoints.iter().zip(&b.checkpoints) {
            prop_assert!(
                serde_json::to_value(x).ok() == serde_json::to_value(y).ok(),
                "checkpoint {} differs\n short: {:?}\n long: {:?}\n{}", x.checkpoint, x, y, short.toml()
            );
        }
    }
}

/// Why no property says "more records per second never holds less": at a
/// checkpoint every 700 ms, 2 records/s (at 0 and 500 ms) leave the
/// watermark at 499 and the window [0, 600) live with 2 records; 3
/// records/s (at 0, 333 and 666 ms) move the watermark to 665, which fires
/// [0, 600), and leave 1 record in [600, 1200). The faster source holds
/// less, in Flink as here.
#[test]
fn a_higher_rate_can_hold_less_at_a_checkpoint() {
    let job = |eps| Job {
        seed: 1,
        records: 4,
        eps,
        keys: 1,
        zipf: None,
        key: KeyKind::Long,
        record_bytes: 100,
        jitter: 0,
        ooo: 0,
        watermark_every: 1,
        parallelism: 1,
        max_parallelism: 1,
        window: Window::Tumbling { size: 600 },
        processing: false,
        lateness: 0,
        function: Function::Process,
        trigger: Trigger::Interval(700),
        limit: None,
    };
    let first = |eps| {
        let r = exact(&job(eps));
        let cp = &r.operators[0].checkpoints[0];
        (cp.records, cp.watermark_ms, cp.max_state_bytes())
    };
    let (slow, fast) = (first(2), first(3));
    assert_eq!((slow.0, slow.1), (2, Some(499)), "{slow:?}");
    assert_eq!((fast.0, fast.1), (3, Some(665)), "{fast:?}");
    assert_eq!(
        slow.2 - fast.2,
        100,
        "one element more at 2 records/s than at 3: {slow:?} {fast:?}"
    );
}
