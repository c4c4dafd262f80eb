//! The sampled RocksDB replay against the full replay of the same run:
//! state and checkpointed bytes of every subtask at every checkpoint, over
//! tumbling, sliding and session windows, process and aggregate, Flink
//! 1.20 and 2.2, full and incremental checkpoints, one key group in 4 and
//! in 16 of every subtask; and the budget's choice between the full
//! replay, a sampled one and the estimate. Prints the table the README
//! quotes (`cargo test --release --test cli rocksdb_sampled -- --nocapture`;
//! `--ignored` plays the README's grid of 200,000 records per case).

use statecap::Scenario;
use statecap::pipeline::replay::{self, Replay};
use statecap::pipeline::{Budget, Mode};
use std::path::Path;

fn toml(window: &str, function: &str, version: &str, incremental: bool, records: u64) -> String {
    let assigner = match window {
        "tumbling" => "assigner = \"tumbling\"\nsize_ms = 10000",
        "sliding" => "assigner = \"sliding\"\nsize_ms = 30000\nslide_ms = 10000",
        _ => "assigner = \"session\"\ngap_ms = 3000",
    };
    format!(
        r#"name = "sampled_replay"
flink_version = "{version}"
seed = 42

[source]
records = {records}
events_per_second = 2000
keys = 20000
key_distribution = "uniform"
key_type = "long"
record_bytes = 117

[job]
parallelism = 4

[[operator]]
name = "window"
kind = "window"
{assigner}
time = "event"
function = "{function}"

[state]
backend = "rocksdb"
timer_service = "rocksdb"
incremental = {incremental}

[checkpoints]
every_records = {every}
storage = "filesystem"
"#,
        every = records / 10,
    )
}

fn run(s: &Scenario, replay: Replay) -> statecap::ScenarioResult {
    statecap::simulate(
        s,
        &statecap::RunOptions {
            mode: Mode::Exact,
            replay: Some(replay),
            ..Default::default()
        },
    )
    .map(statecap::Run::into_result)
    .unwrap()
}

/// Relative errors of the sampled replay's state and checkpointed bytes
/// against the full replay's, per checkpoint and subtask.
fn errors(s: &Scenario, stride: usize) -> (Vec<f64>, Vec<f64>) {
    let full = run(s, Replay::Full);
    let sampled = run(
        s,
        Replay::Sampled {
            stride,
            one_subtask: false,
        },
    );
    let (mut st, mut ck) = (Vec::new(), Vec::new());
    for (a, b) in full.operators[0]
        .checkpoints
        .iter()
        .zip(&sampled.operators[0].checkpoints)
    {
        assert_eq!(a.checkpoint, b.checkpoint);
        for (x, y) in a.subtasks.iter().zip(&b.subtasks) {
            // The heap side of a sampled replay is the exact run's.
            assert_eq!((x.entries, x.timers), (y.entries, y.timers));
            let rel = |w: u64, g: u64| (g as f64 - w as f64).abs() / (w as f64).max(1.0);
            st.push(rel(x.state_bytes, y.state_bytes));
            ck.push(rel(x.checkpointed_bytes, y.checkpointed_bytes));
        }
    }
    (st, ck)
}

fn quantile(v: &[f64], q: f64) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    s[(q * (s.len() - 1) as f64) as usize]
}

/// The grid, its table, and the errors over all of it.
fn grid(records: u64, strides: &[usize]) -> Vec<(usize, f64, f64)> {
    let mut out = Vec::new();
    for &stride in strides {
        println!(
            "\none key group in {stride}:\n| case | rows | state median | state p90 | checkpointed median | checkpointed p90 |\n|---|---|---|---|---|---|"
        );
        let (mut all_s, mut all_c) = (Vec::new(), Vec::new());
        for window in ["tumbling", "sliding", "session"] {
            for function in ["process", "aggregate"] {
                for version in ["1.20", "2.2"] {
                    for incremental in [true, false] {
                        let text = toml(window, function, version, incremental, records);
                        let s = Scenario::parse(&text, Path::new("sampled_replay.toml"))
                            .expect("valid scenario");
                        let (st, ck) = errors(&s, stride);
                        println!(
                            "| {window} {function} {version} {} | {} | {:.2}% | {:.2}% | {:.2}% | {:.2}% |",
                            if incremental { "incremental" } else { "full" },
                            st.len(),
                            100.0 * quantile(&st, 0.5),
                            100.0 * quantile(&st, 0.9),
                            100.0 * quantile(&ck, 0.5),
                            100.0 * quantile(&ck, 0.9),
                        );
                        all_s.extend(st);
                        all_c.extend(ck);
                    }
                }
            }
        }
        let median = 100.0 * quantile(&all_s, 0.5).max(quantile(&all_c, 0.5));
        let p90 = 100.0 * quantile(&all_s, 0.9).max(quantile(&all_c, 0.9));
        println!(
            "| all | {} | {:.2}% | {:.2}% | {:.2}% | {:.2}% |",
            all_s.len(),
            100.0 * quantile(&all_s, 0.5),
            100.0 * quantile(&all_s, 0.9),
            100.0 * quantile(&all_c, 0.5),
            100.0 * quantile(&all_c, 0.9)
        );
        out.push((stride, median, p90));
    }
    out
}

#[test]
fn a_sampled_replay_is_within_its_printed_error_of_the_full_replay() {
    // A small grid (20,000 records per case): the errors the mode line
    // prints were measured on ten times as many; a small run is noisier,
    // so it must be within twice them.
    for (stride, median, p90) in grid(20_000, &[4]) {
        let (m, p) = replay::sampled_error(stride);
        assert!(
            median <= 2.0 * m && p90 <= 2.0 * p,
            "1 in {stride}: median {median:.2}%, p90 {p90:.2}% against {m}% / {p}%"
        );
    }
}

#[test]
#[ignore]
fn the_readme_grid_of_sampled_replays() {
    for (stride, median, p90) in grid(200_000, &[4, 16]) {
        let (m, p) = replay::sampled_error(stride);
        assert!(
            median <= m + 0.05 && p90 <= p + 0.05,
            "1 in {stride}: median {median:.2}%, p90 {p90:.2}% against the printed {m}% / {p}%"
        );
    }
}

#[test]
fn the_budget_picks_the_full_replay_a_sample_or_the_estimate() {
    let plan = |text: &str, budget: &Budget| {
        let s = Scenario::parse(text, Path::new("sampled_replay.toml")).unwrap();
        let p = statecap::pipeline::budget::plan(&s, Mode::Auto, 1, 1, budget).unwrap();
        (
            replay::choose(&s, &p, budget, replay::Read::default()),
            s,
            p,
        )
    };
    // Small: every write.
    let small = toml("tumbling", "process", "1.20", true, 20_000);
    assert_eq!(plan(&small, &Budget::DEFAULT).0, Replay::Full);
    // Production size (10^8 keys, 2 hours at 3,000 records/s, P = 8, 1 GiB
    // managed memory per slot): a sample.
    let big = toml("tumbling", "process", "1.20", true, 20_000)
        .replace("records = 20000", "records = 21600000")
        .replace("keys = 20000", "keys = 100000000")
        .replace("events_per_second = 2000", "events_per_second = 3000")
        .replace("parallelism = 4", "parallelism = 8")
        .replace("every_records = 2000", "every_records = 1800000")
        .replace(
            "[checkpoints]",
            "[flink_conf]\n\"taskmanager.memory.managed.size\" = \"4 gb\"\n\
             \"taskmanager.numberOfTaskSlots\" = \"4\"\n\n[checkpoints]",
        );
    let (choice, s, p) = plan(&big, &Budget::DEFAULT);
    assert_eq!(p.estimate.mode, Mode::Exact);
    match choice {
        Replay::Sampled { stride, .. } => assert!(stride > 1, "{stride}"),
        other => panic!("{other:?}"),
    }
    // No budget: every write; no time left beside the run: the estimate.
    assert_eq!(plan(&big, &Budget::UNLIMITED).0, Replay::Full);
    let tight = Budget {
        seconds: p.estimate.seconds + 1e-6,
        ..Budget::DEFAULT
    };
    assert_eq!(
        replay::choose(&s, &p, &tight, replay::Read::default()),
        Replay::OverBudget
    );
}

#[test]
fn the_mode_line_says_which_replay_ran() {
    let s = Scenario::parse(
        &toml("tumbling", "process", "2.2", true, 20_000),
        Path::new("sampled_replay.toml"),
    )
    .unwrap();
    let line = |r: Replay| statecap::report::mode_line(&s, &run(&s, r));
    let full = line(Replay::Full);
    assert!(full.contains("replayed from every write"), "{full}");
    let sampled = line(Replay::Sampled {
        stride: 4,
        one_subtask: false,
    });
    let (m, p) = replay::sampled_error(4);
    assert!(
        sampled.contains("one key group in 4 per subtask")
            && sampled.contains(&format!("median {m}%, p90 {p}%")),
        "{sampled}"
    );
    let over = line(Replay::OverBudget);
    assert!(over.contains("would not fit the budget"), "{over}");
}
