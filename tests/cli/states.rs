//! Which state holds the bytes, through the CLI: `states.csv` adds up to
//! timeline.csv's bytes row by row; the summary after a run (text and
//! summary.json) says which state is largest, its growth, whether it levels
//! off, and when the largest subtask crosses each limit: taken from the
//! simulation when it happens within the run, else projected linearly at a
//! slope recomputed here from timeline.csv; `[source] start` dates it.

use crate::support::{Table, num, statecap, stderr, stdout, write};
use serde_json::Value;
use std::collections::BTreeMap;

/// Event-id dedup, P=2, JobManager storage: `{ttl}` decides whether the
/// `seen` state levels off (a TTL well inside the run) or grows (none).
fn dedup(name: &str, ttl: &str, start: &str) -> String {
    format!(
        r#"name = "{name}"
flink_version = "1.20"
seed = 7

[source]
records = 40000
events_per_second = 100
keys = 5000000
key_type = "string"
key_length = 36
record_bytes = 300
processing_time = "event_time"
{start}

[job]
parallelism = 2

[[operator]]
name = "dedup"
kind = "dedup"
{ttl}

[state]
backend = "hashmap"

[checkpoints]
every_records = 1000
storage = "jobmanager"
max_state_size = "600 kb"

[flink_conf]
"execution.checkpointing.dir" = "file:///tmp/checkpoints"
"#
    )
}

const TTL: &str =
    "ttl = \"60 s\"\nttl_update = \"OnCreateAndWrite\"\nttl_cleanup = \"full_snapshot\"";

struct Out {
    dir: std::path::PathBuf,
    text: String,
    _tmp: tempfile::TempDir,
}

fn run(name: &str, scenario: &str) -> Out {
    let tmp = tempfile::tempdir().unwrap();
    let f = write(tmp.path(), &format!("{name}.toml"), scenario);
    let out = tmp.path().join("out");
    let o = statecap([
        "run".as_ref(),
        f.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    Out {
        dir: out.join(name),
        text: stdout(&o),
        _tmp: tmp,
    }
}

fn summary_states(out: &Out) -> Value {
    let j: Value =
        serde_json::from_slice(&std::fs::read(out.dir.join("summary.json")).unwrap()).unwrap();
    j["states"][0].clone()
}

/// The largest subtask's bytes per checkpoint: (time_ms, bytes).
fn largest(timeline: &Table) -> Vec<(i64, u64)> {
    let mut m: BTreeMap<u64, (i64, u64)> = BTreeMap::new();
    for r in &timeline.rows {
        let e = m
            .entry(num(r, "checkpoint"))
            .or_insert((r["time_ms"].parse().unwrap(), 0));
        e.1 = e.1.max(num(r, "state_bytes"));
    }
    m.into_values().collect()
}

#[test]
fn states_add_up_to_each_subtasks_bytes_row_by_row() {
    let out = run("dedup_ttl", &dedup("dedup_ttl", TTL, ""));
    let timeline = Table::read(&out.dir.join("timeline.csv"));
    let states = Table::read(&out.dir.join("states.csv"));
    // seen, the two timer queues and the header per subtask and checkpoint.
    assert_eq!(states.rows.len(), timeline.rows.len() * 4);
    let mut sums: BTreeMap<(u64, u64), (u64, f64)> = BTreeMap::new();
    for r in &states.rows {
        let e = sums
            .entry((num(r, "checkpoint"), num(r, "subtask")))
            .or_default();
        e.0 += num(r, "bytes");
        e.1 += r["share"].parse::<f64>().unwrap();
        if r["state"] == "seen" {
            // 6 bytes per key group of the range (64) around the entries.
            assert_eq!(num(r, "bytes"), num(r, "entry_bytes") + 64 * 6);
        }
    }
    for r in &timeline.rows {
        let (bytes, share) = sums[&(num(r, "checkpoint"), num(r, "subtask"))];
        assert_eq!(bytes, num(r, "state_bytes"), "{r:?}");
        assert!((share - 1.0).abs() < 1e-5, "shares add up to {share}");
    }
    // `seen`: one entry per live key, each 1 + (1 + 36) + 1 + 8 bytes with TTL.
    let seen: Vec<&BTreeMap<String, String>> = states
        .rows
        .iter()
        .filter(|r| r["state"] == "seen")
        .collect();
    for r in &seen {
        assert_eq!(num(r, "entry_bytes"), num(r, "entries") * (1 + 37 + 1 + 8));
    }
    // The TTL holds a minute of keys: the summary says it levels off.
    let s = summary_states(&out);
    assert_eq!(s["largest"], "seen");
    assert_eq!(s["verdict"], "levels off", "{s}");
    assert!(
        out.text
            .contains("states of dedup (largest subtask): levels off"),
        "{}",
        out.text
    );
    for c in s["crossings"].as_array().unwrap() {
        assert_eq!(c["how"], "not reached", "{c}");
    }
}

#[test]
fn growing_state_crosses_limits_simulated_then_projected_with_dates() {
    let start = "start = \"2026-12-07T09:00:00Z\"";
    let out = run("dedup_forever", &dedup("dedup_forever", "", start));
    let s = summary_states(&out);
    assert_eq!(s["verdict"], "grows without bound", "{s}");
    let timeline = Table::read(&out.dir.join("timeline.csv"));
    let series = largest(&timeline);
    // The first record is at time 0 (generated at 100 records/s).
    let t0 = series[0].0 - (999.0 * 10.0) as i64;
    let crossings = s["crossings"].as_array().unwrap();
    let by = |label: &str| {
        crossings
            .iter()
            .find(|c| c["limit"].as_str().unwrap().starts_with(label))
            .unwrap_or_else(|| panic!("no {label} crossing in {crossings:?}"))
    };
    // Within the run: the first checkpoint whose largest subtask is over
    // 600 KiB.
    let jm = by("JobManager storage");
    let (t, _) = *series.iter().find(|(_, b)| *b > 600 * 1024).unwrap();
    assert_eq!(jm["how"], "simulated");
    assert_eq!(jm["after_ms"].as_i64().unwrap(), t - t0);
    let day = 1_796_634_000_000i64; // 2026-12-07T09:00:00Z
    assert_eq!(jm["at_ms"].as_i64().unwrap(), day + t - t0);
    // Past it: the 10 MiB frame, at the least-squares slope of the last
    // half of the run, recomputed here.
    let (t_end, last) = *series.last().unwrap();
    let mid = series[0].0 + (t_end - series[0].0) / 2;
    let half: Vec<(f64, f64)> = series
        .iter()
        .filter(|p| p.0 >= mid)
        .map(|&(t, b)| (t as f64, b as f64))
        .collect();
    let n = half.len() as f64;
    let (mt, mb) = (
        half.iter().map(|p| p.0).sum::<f64>() / n,
        half.iter().map(|p| p.1).sum::<f64>() / n,
    );
    let slope_per_ms = half.iter().map(|p| (p.0 - mt) * (p.1 - mb)).sum::<f64>()
        / half.iter().map(|p| (p.0 - mt) * (p.0 - mt)).sum::<f64>();
    assert!(slope_per_ms > 0.0);
    let frame = by("RPC frame");
    assert_eq!(frame["how"], "projected");
    let want = t_end - t0 + ((10 * 1024 * 1024 - last) as f64 / slope_per_ms).ceil() as i64;
    let got = frame["after_ms"].as_i64().unwrap();
    assert!(
        (got - want).abs() <= 1,
        "projected after {got} ms, recomputed {want} ms"
    );
    let g = s["growth_per_hour"].as_f64().unwrap();
    assert!((g / (slope_per_ms * 3.6e6) - 1.0).abs() < 1e-9);
    // The text says so, with the date and the measured slope.
    let line = out
        .text
        .lines()
        .find(|l| l.contains("RPC frame"))
        .unwrap_or_else(|| panic!("{}", out.text));
    assert!(
        line.contains("projected") && line.contains("UTC") && line.contains("/h"),
        "{line}"
    );
    assert!(out.text.contains("crossed at checkpoint"), "{}", out.text);
}

/// The rows of the Markdown table whose head starts with `first`.
fn md_table(md: &str, first: &str) -> Vec<Vec<String>> {
    let mut lines = md
        .lines()
        .skip_while(|l| !l.starts_with(&format!("| {first} |")));
    lines.next().unwrap_or_else(|| panic!("no table '{first}'"));
    lines
        .skip(1)
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            l.trim_matches('|')
                .split(" | ")
                .map(|c| c.trim().to_string())
                .collect()
        })
        .collect()
}

/// `6,116,987 (5.8 MiB)` → 6116987.
fn leading(cell: &str) -> u64 {
    let d: String = cell
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == ',')
        .filter(|c| *c != ',')
        .collect();
    d.parse()
        .unwrap_or_else(|_| panic!("no number in '{cell}'"))
}

/// The report's per-state table and the chart's lines equal states.csv,
/// row by row: at the peak checkpoint's largest subtask (from
/// timeline.csv) for the table, at every checkpoint's for the chart.
#[test]
fn report_table_and_chart_equal_states_csv() {
    let out = run("dedup_ttl_report", &dedup("dedup_ttl_report", TTL, ""));
    let timeline = Table::read(&out.dir.join("timeline.csv"));
    let states = Table::read(&out.dir.join("states.csv"));
    // Per checkpoint: its largest subtask (ties: the lowest).
    let mut top: BTreeMap<u64, (u64, u64)> = BTreeMap::new();
    for r in &timeline.rows {
        let (cp, st, b) = (
            num(r, "checkpoint"),
            num(r, "subtask"),
            num(r, "state_bytes"),
        );
        let e = top.entry(cp).or_insert((st, b));
        if b > e.1 || (b == e.1 && st < e.0) {
            *e = (st, b);
        }
    }
    let peak_bytes = top.values().map(|t| t.1).max().unwrap();
    let (&peak, &(peak_sub, _)) = top.iter().find(|(_, t)| t.1 == peak_bytes).unwrap();
    let row = |cp: u64, sub: u64, state: &str| {
        states
            .rows
            .iter()
            .find(|r| num(r, "checkpoint") == cp && num(r, "subtask") == sub && r["state"] == state)
            .unwrap_or_else(|| panic!("no states.csv row {cp} {sub} {state}"))
    };
    let md = std::fs::read_to_string(out.dir.join("report.md")).unwrap();
    let table = md_table(&md, "state");
    assert_eq!(table.len(), 3, "{table:?}");
    for cells in &table {
        let name = cells[0].trim_matches('`');
        let r = row(peak, peak_sub, name);
        assert_eq!(leading(&cells[1]), num(r, "bytes"), "{name}");
        assert_eq!(leading(&cells[2]), num(r, "entries"), "{name}");
        let share: f64 = cells[3].trim_end_matches('%').parse().unwrap();
        let want = r["share"].parse::<f64>().unwrap() * 100.0;
        assert!((share - want).abs() <= 0.05, "{name}: {share}% vs {want}%");
    }
    assert!(md.contains("![states-1](states-1.svg)"));
    for f in ["states-1.svg", "states-1.png"] {
        assert!(out.dir.join(f).is_file(), "{f}");
    }
    // The chart draws `seen` (the timers never hold an entry) and the
    // largest subtask's total.
    let scenario =
        statecap::Scenario::load(&out._tmp.path().join("dedup_ttl_report.toml")).unwrap();
    let result = statecap::simulate(&scenario, &Default::default())
        .map(statecap::Run::into_result)
        .unwrap();
    let chart = statecap::report::chart::StatesChart::new("x", &result.operators[0], Vec::new());
    assert_eq!(chart.lines.len(), 1);
    assert_eq!(chart.lines[0].0, "seen");
    assert_eq!(chart.left_out, 2);
    for (k, &cp) in chart.checkpoints.iter().enumerate() {
        let (sub, total) = top[&cp];
        assert_eq!(chart.total[k], total);
        assert_eq!(
            chart.lines[0].1[k],
            num(row(cp, sub, "seen"), "bytes"),
            "checkpoint {cp}"
        );
    }
}
