//! Flink's rules worked by hand on traces of a few records, from the
//! measured layout of a heap snapshot (`../shared/oracle/README.md`,
//! "Facts learned"):
//!
//! ```text
//! subtask stream = header + for every key group of its range (empty too):
//!                  4 (key-group id) + 6 per registered state + entries
//! header         = process 1492, aggregate 1318, reduce 1405; session +630
//! states         = 3 (window-contents, event and processing timers); session 4
//! entry          = 16 (TimeWindow) + 8 (Long key) + value
//! value          = process: 4 + elements; aggregate: 16; reduce: 1 element
//! timer          = 8 + 8 + 16 = 32, one per (key, window); two while the
//!                  watermark is before maxTimestamp with allowed lateness
//! merging set    = 1 + 8 + 4 + 32 x sessions, per key with live sessions
//! watermark      = max timestamp - out-of-orderness - 1, after every record
//! ```
//!
//! Every expected number below is that arithmetic, written out.

use statecap::{Scenario, ScenarioResult};

/// Bytes of one element `Tuple3<Long, Long, String>` with 100 chars.
const E: u64 = 117;
/// An empty key group of a window operator (4 + 3 x 6).
const KG: u64 = 22;
/// An empty key group with session windows (4 + 4 x 6).
const KG_SESSION: u64 = 28;
/// One event-time timer.
const TIMER: u64 = 32;
/// Namespace and key of an entry.
const NS_KEY: u64 = 16 + 8;

/// A one-operator scenario replaying `trace.csv` at 1000 records/s.
fn scenario(p: u32, mp: u32, ooo_ms: u64, every: u64, operator: &str) -> String {
    format!(
        r#"name = "inline"
flink_version = "1.20"

[source]
events_per_second = 1000
trace = "trace.csv"
out_of_orderness_ms = {ooo_ms}

[job]
parallelism = {p}
max_parallelism = {mp}

[[operator]]
name = "w"
kind = "window"
time = "event"
{operator}

[state]
backend = "hashmap"

[checkpoints]
every_records = {every}
storage = "filesystem"

[flink_conf]
"execution.checkpointing.dir" = "file:///tmp/checkpoints"
"#
    )
}

/// Simulates `scenario_text` over records `(key, ts_ms, bytes)`.
fn simulate(scenario_text: &str, records: &[(i64, i64, u64)]) -> ScenarioResult {
    let tmp = tempfile::tempdir().unwrap();
    let mut trace = String::from("key,ts_ms,bytes\n");
    for (k, ts, b) in records {
        trace.push_str(&format!("{k},{ts},{b}\n"));
    }
    std::fs::write(tmp.path().join("trace.csv"), trace).unwrap();
    let path = tmp.path().join("inline.toml");
    std::fs::write(&path, scenario_text).unwrap();
    let s = Scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
    statecap::simulate(&s, &Default::default())
        .map(statecap::Run::into_result)
        .unwrap_or_else(|e| panic!("{e}"))
}

/// State bytes of subtask `subtask` at every checkpoint.
fn series(r: &ScenarioResult, subtask: usize) -> Vec<u64> {
    r.operators[0]
        .checkpoints
        .iter()
        .map(|c| c.subtasks[subtask].state_bytes)
        .collect()
}

const TUMBLING_10S_PROCESS: &str =
    "assigner = \"tumbling\"\nsize = \"10 s\"\nfunction = \"process\"";

#[test]
fn one_key_tumbling_process_window() {
    // One key, P=1, 128 key groups, a checkpoint after every record.
    let r = simulate(
        &scenario(1, 128, 0, 1, TUMBLING_10S_PROCESS),
        &[
            (1, 0, E),
            (1, 1000, E),
            (1, 2000, E),
            (1, 9999, E),  // watermark 9998: the window [0, 10 s) lives
            (1, 10000, E), // watermark 9999 = its maxTimestamp: fired, purged
            (1, 500, E),   // for [0, 10 s) and already past it: dropped
        ],
    );
    let base = 1492 + 128 * KG;
    let one_window = |n: u64| NS_KEY + 4 + n * E + TIMER;
    assert_eq!(
        series(&r, 0),
        vec![
            base + one_window(1),
            base + one_window(2),
            base + one_window(3),
            base + one_window(4),
            base + one_window(1),
            base + one_window(1),
        ]
    );
    // The brief's case, as one number: three records, one window, one timer.
    assert_eq!(
        series(&r, 0)[2],
        1492 + 128 * 22 + (16 + 8 + 4 + 3 * 117) + 32
    );
    assert_eq!(series(&r, 0)[2], 4719);

    let op = &r.operators[0];
    let wms: Vec<Option<i64>> = op.checkpoints.iter().map(|c| c.watermark_ms).collect();
    assert_eq!(
        wms,
        vec![
            Some(-1),
            Some(999),
            Some(1999),
            Some(9998),
            Some(9999),
            Some(9999)
        ]
    );
    assert_eq!(op.stats.dropped_late, 1);
    assert_eq!(op.stats.windows_purged, 1);
    let last = op.checkpoints.last().unwrap();
    assert_eq!((last.subtasks[0].entries, last.subtasks[0].timers), (1, 1));

    // Which state holds them: the window's list and its event-time timer.
    assert_eq!(
        op.states,
        [
            "window-contents",
            "_timer_state/event_window-timers",
            "_timer_state/processing_window-timers"
        ]
    );
    let states = |c: usize| -> Vec<(u64, u64)> {
        op.checkpoints[c].states[0]
            .iter()
            .map(|s| (s.entry_bytes, s.entries))
            .collect()
    };
    assert_eq!(states(2), [(NS_KEY + 4 + 3 * E, 1), (TIMER, 1), (0, 0)]);
    assert_eq!(states(5), [(NS_KEY + 4 + E, 1), (TIMER, 1), (0, 0)]);
}

#[test]
fn every_key_group_of_the_range_pays_its_framing() {
    // P=1 with 1000 key groups: 22000 bytes of framing per checkpoint.
    let r = simulate(
        &scenario(1, 1000, 0, 3, TUMBLING_10S_PROCESS),
        &[(1, 0, E), (1, 1000, E), (1, 2000, E)],
    );
    assert_eq!(
        series(&r, 0),
        vec![1492 + 22000 + (NS_KEY + 4 + 3 * E) + TIMER]
    );
}

#[test]
fn aggregate_and_reduce_keep_one_value_per_window() {
    let records = [(1, 0, E), (1, 1000, E), (1, 2000, E)];
    let agg = simulate(
        &scenario(
            1,
            128,
            0,
            1,
            "assigner = \"tumbling\"\nsize = \"10 s\"\nfunction = \"aggregate\"",
        ),
        &records,
    );
    // Accumulator Tuple2<Long, Long>: 16 bytes, however many elements.
    assert_eq!(
        series(&agg, 0),
        vec![1318 + 128 * KG + NS_KEY + 16 + TIMER; 3]
    );
    let reduce = simulate(
        &scenario(
            1,
            128,
            0,
            1,
            "assigner = \"tumbling\"\nsize = \"10 s\"\nfunction = \"reduce\"",
        ),
        &records,
    );
    // The reduced value: one element.
    assert_eq!(
        series(&reduce, 0),
        vec![1405 + 128 * KG + NS_KEY + E + TIMER; 3]
    );
}

const SESSION_5S_PROCESS: &str = "assigner = \"session\"\ngap = \"5 s\"\nfunction = \"process\"";

#[test]
fn sessions_merge_and_keep_a_merging_window_set() {
    let base = 2122 + 128 * KG_SESSION;
    // Per key with live sessions: VoidNamespace, key, count, pairs.
    let set = |sessions: u64| 1 + 8 + 4 + 32 * sessions;
    let session = |n: u64| NS_KEY + 4 + n * E + TIMER;

    // One key: three records merge into one session; a fourth, 18 s later,
    // finds it fired (watermark 19999 >= 6999) and starts a new one.
    let r = simulate(
        &scenario(1, 128, 0, 1, SESSION_5S_PROCESS),
        &[(1, 0, E), (1, 1000, E), (1, 2000, E), (1, 20000, E)],
    );
    assert_eq!(
        series(&r, 0),
        vec![
            base + session(1) + set(1),
            base + session(2) + set(1),
            base + session(3) + set(1),
            base + session(1) + set(1),
        ]
    );

    // With 30 s of out-of-orderness nothing fires: key 1 holds two
    // sessions (one set entry of two pairs), key 2 one more.
    let r = simulate(
        &scenario(1, 128, 30_000, 1, SESSION_5S_PROCESS),
        &[(1, 0, E), (1, 20000, E), (2, 21000, E)],
    );
    assert_eq!(
        series(&r, 0),
        vec![
            base + session(1) + set(1),
            base + 2 * session(1) + set(2),
            base + 3 * session(1) + set(2) + set(1),
        ]
    );
    assert_eq!(r.operators[0].checkpoints[2].live_windows, 3);
    // By state: three sessions' lists, two keys' merging-window sets,
    // three timers.
    let op = &r.operators[0];
    assert_eq!(op.states[1], "merging-window-set");
    let states: Vec<(u64, u64)> = op.checkpoints[2].states[0]
        .iter()
        .map(|s| (s.entry_bytes, s.entries))
        .collect();
    assert_eq!(
        states,
        [
            (3 * (NS_KEY + 4 + E), 3),
            (set(2) + set(1), 2),
            (3 * TIMER, 3),
            (0, 0)
        ]
    );
}

#[test]
fn allowed_lateness_keeps_two_timers_then_one_and_drops_what_is_past_it() {
    let r = simulate(
        &scenario(
            1,
            128,
            0,
            1,
            "assigner = \"tumbling\"\nsize = \"10 s\"\nallowed_lateness = \"5 s\"\nfunction = \"process\"",
        ),
        &[
            (7, 0, E),     // [0, 10 s): trigger timer 9999 and cleanup timer 14999
            (7, 1000, E),  //
            (7, 12000, E), // wm 11999: [0, 10 s) fired, kept with its cleanup timer;
            //                [10 s, 20 s) opens with two timers
            (7, 500, E),   // late but within the lateness: joins [0, 10 s)
            (7, 16000, E), // wm 15999 >= 14999: [0, 10 s) purged
            (7, 3000, E),  // past maxTimestamp + lateness: dropped
        ],
    );
    let base = 1492 + 128 * KG;
    let entry = |n: u64| NS_KEY + 4 + n * E;
    assert_eq!(
        series(&r, 0),
        vec![
            base + entry(1) + 2 * TIMER,
            base + entry(2) + 2 * TIMER,
            base + (entry(2) + TIMER) + (entry(1) + 2 * TIMER),
            base + (entry(3) + TIMER) + (entry(1) + 2 * TIMER),
            base + entry(2) + 2 * TIMER,
            base + entry(2) + 2 * TIMER,
        ]
    );
    let timers: Vec<u64> = r.operators[0]
        .checkpoints
        .iter()
        .map(|c| c.subtasks[0].timers)
        .collect();
    assert_eq!(timers, vec![2, 2, 3, 3, 2, 2]);
    assert_eq!(r.operators[0].stats.dropped_late, 1);
}

#[test]
fn sliding_windows_hold_every_element_size_over_slide_times() {
    // 30 s windows every 10 s: each element is in 3 windows.
    let r = simulate(
        &scenario(
            1,
            128,
            0,
            1,
            "assigner = \"sliding\"\nsize = \"30 s\"\nslide = \"10 s\"\nfunction = \"process\"",
        ),
        &[
            (1, 25000, E), // [0, 30), [10, 40), [20, 50)
            (1, 26000, E), // the same three
            (1, 35000, E), // wm 34999 purges [0, 30); in [10, 40), [20, 50), [30, 60)
        ],
    );
    let base = 1492 + 128 * KG;
    let window = |n: u64| NS_KEY + 4 + n * E + TIMER;
    assert_eq!(
        series(&r, 0),
        vec![
            base + 3 * window(1),
            base + 3 * window(2),
            base + window(3) + window(3) + window(1),
        ]
    );
    let last = &r.operators[0].checkpoints[2];
    assert_eq!(last.live_windows, 3);
    assert_eq!(last.subtasks[0].entries, 3);
}

#[test]
fn key_groups_and_subtask_ranges() {
    // Key groups as Flink computed them (ground-truth trace column
    // `key_group`, maxParallelism 128): 4 -> 7, 13 -> 1, 3 -> 113, 7 -> 113.
    let records = [
        (4, 0, E),
        (13, 100, E),
        (3, 200, E),
        (7, 300, E),
        (3, 400, E),
    ];
    let one = NS_KEY + 4 + E + TIMER;
    let two = NS_KEY + 4 + 2 * E + TIMER;

    // P=2: key groups 0-63 and 64-127.
    let r = simulate(&scenario(2, 128, 0, 5, TUMBLING_10S_PROCESS), &records);
    let cp = &r.operators[0].checkpoints[0];
    let ranges: Vec<(u32, u32)> = cp
        .subtasks
        .iter()
        .map(|s| (s.key_group_start, s.key_group_end))
        .collect();
    assert_eq!(ranges, vec![(0, 63), (64, 127)]);
    assert_eq!(series(&r, 0), vec![1492 + 64 * KG + 2 * one]);
    assert_eq!(series(&r, 1), vec![1492 + 64 * KG + two + one]);
    let kgs = &r.operators[0].peak_key_group_bytes;
    assert_eq!(kgs.len(), 128);
    for (kg, &b) in kgs.iter().enumerate() {
        let want = match kg {
            1 | 7 => KG + one,
            113 => KG + two + one,
            _ => KG,
        };
        assert_eq!(b, want, "key group {kg}");
    }

    // P=3: 0-42, 43-85 (empty: header and framing only), 86-127.
    let r = simulate(&scenario(3, 128, 0, 5, TUMBLING_10S_PROCESS), &records);
    let cp = &r.operators[0].checkpoints[0];
    let ranges: Vec<(u32, u32)> = cp
        .subtasks
        .iter()
        .map(|s| (s.key_group_start, s.key_group_end))
        .collect();
    assert_eq!(ranges, vec![(0, 42), (43, 85), (86, 127)]);
    assert_eq!(series(&r, 0), vec![1492 + 43 * KG + 2 * one]);
    assert_eq!(series(&r, 1), vec![1492 + 43 * KG]);
    assert_eq!(series(&r, 2), vec![1492 + 42 * KG + two + one]);
    let live: Vec<u64> = cp.subtasks.iter().map(|s| s.live_keys).collect();
    assert_eq!(live, vec![2, 0, 2]);
}

#[test]
fn session_with_allowed_lateness_keeps_its_cleanup_timer() {
    let base = 2122 + 128 * KG_SESSION;
    let set = 1 + 8 + 4 + 32;
    let entry = NS_KEY + 4 + E;
    let r = simulate(
        &scenario(
            1,
            128,
            0,
            1,
            "assigner = \"session\"\ngap = \"5 s\"\nallowed_lateness = \"5 s\"\nfunction = \"process\"",
        ),
        &[
            (1, 0, E),     // [0, 5 s) of key 1: timers at 4999 and 9999
            (2, 7000, E),  // wm 6999: key 1's session fired, kept until 9999
            (3, 10000, E), // wm 9999: key 1's session cleaned up
        ],
    );
    assert_eq!(
        series(&r, 0),
        vec![
            base + entry + 2 * TIMER + set,
            base + (entry + TIMER + set) + (entry + 2 * TIMER + set),
            base + 2 * (entry + 2 * TIMER + set),
        ]
    );
}

#[test]
fn reduce_sessions_bridged_by_an_element_hold_one_element() {
    // statecap's reduce model: the window holds one element, the size of
    // the last input. Two sessions of key 1 (nothing fires: 30 s of
    // out-of-orderness), then an element that bridges them: one session
    // holding that element.
    let r = simulate(
        &scenario(
            1,
            128,
            30_000,
            1,
            "assigner = \"session\"\ngap = \"5 s\"\nfunction = \"reduce\"",
        ),
        &[
            (1, 0, 1000),  // [0, 5 s)
            (1, 8000, 10), // [8 s, 13 s)
            (1, 4000, 50), // [4 s, 9 s) merges both: [0, 13 s)
        ],
    );
    let base = 2035 + 128 * KG_SESSION;
    let set = |sessions: u64| 1 + 8 + 4 + 32 * sessions;
    assert_eq!(
        series(&r, 0),
        vec![
            base + (NS_KEY + 1000 + TIMER) + set(1),
            base + (NS_KEY + 1000 + TIMER) + (NS_KEY + 10 + TIMER) + set(2),
            base + (NS_KEY + 50 + TIMER) + set(1),
        ]
    );
}
