//! What `statecap run` writes: `timeline.csv` (one row per checkpoint ×
//! operator × subtask, with the columns downstream tools read),
//! `summary.csv`, `summary.json` (failures in Flink's own words) and
//! `keygroups.csv`; and the help the binary gives.

use crate::support::{Table, num, statecap, stderr, stdout, write};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Columns every timeline must have.
const TIMELINE_COLUMNS: &[&str] = &[
    "checkpoint",
    "records",
    "time_ms",
    "watermark_ms",
    "operator",
    "subtask",
    "key_group_start",
    "key_group_end",
    "backend",
    "state_bytes",
    "checkpointed_bytes",
    "checkpoint_status",
];

/// Two operators, P=3, 10 checkpoints; nothing fails.
const TWO_OPERATORS: &str = r#"name = "two_operators"
flink_version = "1.20"
seed = 3

[source]
records = 10000
events_per_second = 500
keys = 400
record_bytes = 117

[job]
parallelism = 3

[[operator]]
name = "contents"
kind = "window"
assigner = "tumbling"
size = "10 s"
function = "process"

[[operator]]
name = "counts"
kind = "window"
assigner = "sliding"
size = "10 s"
slide = "2 s"
function = "aggregate"

[checkpoints]
every_records = 1000
storage = "filesystem"

[flink_conf]
"execution.checkpointing.dir" = "file:///tmp/checkpoints"
"#;

/// Subtasks outgrow a 20 KiB JobManager limit within each 10 s window.
const FAILING_120: &str = r#"name = "failing_120"
flink_version = "1.20"
seed = 5

[source]
records = 4000
events_per_second = 100
keys = 50
record_bytes = 117

[job]
parallelism = 2

[[operator]]
name = "window"
kind = "window"
assigner = "tumbling"
size = "10 s"
function = "process"

[state]
backend = "hashmap"

[checkpoints]
every_records = 200
storage = "jobmanager"
max_state_size = "20 kb"
"#;

/// Flink 1.9 with a checkpoint directory but no backend: the default
/// MemoryStateBackend and its 5 MiB limit.
const FAILING_19: &str = r#"name = "failing_19"
flink_version = "1.9"
seed = 5

[source]
records = 30000
events_per_second = 1000
keys = 1000
record_bytes = 1018

[job]
parallelism = 2

[[operator]]
name = "window"
kind = "window"
assigner = "tumbling"
size = "20 s"
function = "apply"

[flink_conf]
"state.checkpoints.dir" = "file:///tmp/checkpoints"

[checkpoints]
every_records = 2500
"#;

/// Runs one scenario; returns the folder of its outputs.
fn run(dir: &Path, name: &str, text: &str) -> PathBuf {
    let scenario = write(dir, &format!("{name}.toml"), text);
    let out = dir.join("out");
    let o = statecap([
        "run".as_ref(),
        scenario.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains(name),
        "the table names the scenario:\n{}",
        stdout(&o)
    );
    out.join(name)
}

fn json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn timeline_has_the_columns_and_one_row_per_checkpoint_and_subtask() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = run(tmp.path(), "two_operators", TWO_OPERATORS);
    let t = Table::read(&dir.join("timeline.csv"));
    for c in TIMELINE_COLUMNS {
        assert!(
            t.columns.iter().any(|x| x == c),
            "timeline lacks `{c}`: {:?}",
            t.columns
        );
    }
    // 10 checkpoints × 3 subtasks × 2 operators.
    assert_eq!(t.rows.len(), 10 * 3 * 2);
    // (operator, checkpoint) -> (subtask, first key group, last key group).
    type Rows = Vec<(u64, u64, u64)>;
    let mut seen: BTreeMap<(String, u64), Rows> = BTreeMap::new();
    for r in &t.rows {
        let k = num(r, "checkpoint");
        assert_eq!(num(r, "records"), k * 1000, "{r:?}");
        assert_eq!(r["backend"], "hashmap");
        assert_eq!(r["checkpoint_status"], "completed");
        assert_eq!(
            num(r, "checkpointed_bytes"),
            num(r, "state_bytes"),
            "heap: full"
        );
        // Watermark = max timestamp - 0 - 1 at 500 records/s.
        assert_eq!(num(r, "time_ms"), (k * 1000 - 1) * 2);
        assert_eq!(num(r, "watermark_ms"), (k * 1000 - 1) * 2 - 1);
        seen.entry((r["operator"].clone(), k)).or_default().push((
            num(r, "subtask"),
            num(r, "key_group_start"),
            num(r, "key_group_end"),
        ));
    }
    assert_eq!(seen.len(), 20);
    for ((op, k), rows) in seen {
        // Subtasks 0..3 in order, their ranges tiling key groups 0..127.
        let subtasks: Vec<u64> = rows.iter().map(|r| r.0).collect();
        assert_eq!(subtasks, vec![0, 1, 2], "{op} checkpoint {k}");
        let ranges: Vec<(u64, u64)> = rows.iter().map(|r| (r.1, r.2)).collect();
        assert_eq!(
            ranges,
            vec![(0, 42), (43, 85), (86, 127)],
            "{op} checkpoint {k}"
        );
    }
}

#[test]
fn summaries_and_key_groups_agree_with_the_timeline() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = run(tmp.path(), "two_operators", TWO_OPERATORS);
    let timeline = Table::read(&dir.join("timeline.csv"));
    let summary = Table::read(&dir.join("summary.csv"));
    let ops: Vec<&str> = summary
        .rows
        .iter()
        .map(|r| r["operator"].as_str())
        .collect();
    assert_eq!(ops, vec!["contents", "counts"]);

    let j = json(&dir.join("summary.json"));
    assert_eq!(j["scenario"], "two_operators");
    assert_eq!(j["flink_version"], "1.20");
    assert_eq!(j["parallelism"], 3);
    assert_eq!(j["max_parallelism"], 128);
    assert_eq!(j["limit_bytes"], Value::Null);
    let jops = j["operators"].as_array().expect("operators");
    assert_eq!(jops.len(), 2);

    let kgs = Table::read(&dir.join("keygroups.csv"));
    assert_eq!(kgs.rows.len(), 2 * 128, "every key group of every operator");
    for (jop, (name, header)) in jops.iter().zip([("contents", 1492), ("counts", 1318)]) {
        let s = &jop["summary"];
        assert_eq!(s["operator"], name);
        assert_eq!(s["checkpoints"], 10);
        assert_eq!(s["failed_checkpoints"], 0);
        assert_eq!(jop["failures"].as_array().map(Vec::len), Some(0));
        assert_eq!(jop["stats"]["records"], 10000);
        // The peak in the summary is the timeline's largest row.
        let rows: Vec<_> = timeline
            .rows
            .iter()
            .filter(|r| r["operator"] == name)
            .collect();
        let max = rows.iter().map(|r| num(r, "state_bytes")).max().unwrap();
        assert_eq!(s["peak_subtask_bytes"].as_u64(), Some(max), "{name}");
        let peak_ckpt = s["peak_checkpoint"].as_u64().unwrap();
        let peak_subtask = s["peak_subtask"].as_u64().unwrap();
        let peak_row = rows
            .iter()
            .find(|r| num(r, "checkpoint") == peak_ckpt && num(r, "subtask") == peak_subtask)
            .expect("the peak row");
        assert_eq!(num(peak_row, "state_bytes"), max);
        // keygroups.csv is the peak checkpoint: the peak subtask's key
        // groups and the header make its stream.
        let mine: Vec<_> = kgs.rows.iter().filter(|r| r["operator"] == name).collect();
        assert!(mine.iter().all(|r| num(r, "checkpoint") == peak_ckpt));
        let sum: u64 = mine
            .iter()
            .filter(|r| num(r, "subtask") == peak_subtask)
            .map(|r| num(r, "bytes"))
            .sum();
        assert_eq!(header + sum, max, "{name}: header {header} + key groups");
        let groups: BTreeSet<u64> = mine.iter().map(|r| num(r, "key_group")).collect();
        assert_eq!(groups, (0..128).collect());
    }
}

/// Checks every failure of a failing run against the timeline and Flink's
/// wording; returns how many checkpoints failed.
fn check_failures(dir: &Path, limit: u64, message: impl Fn(u64, u64) -> String) -> usize {
    let timeline = Table::read(&dir.join("timeline.csv"));
    let j = json(&dir.join("summary.json"));
    assert_eq!(j["limit_bytes"].as_u64(), Some(limit));
    let op = &j["operators"][0];
    let failures = op["failures"].as_array().expect("failures");
    let mut by_ckpt: BTreeMap<u64, Vec<&BTreeMap<String, String>>> = BTreeMap::new();
    for r in &timeline.rows {
        by_ckpt.entry(num(r, "checkpoint")).or_default().push(r);
        let over = num(r, "state_bytes") > limit;
        assert_eq!(r["over_limit"], over.to_string(), "{r:?}");
    }
    let failed: BTreeSet<u64> = failures
        .iter()
        .map(|f| f["checkpoint"].as_u64().unwrap())
        .collect();
    for (k, rows) in &by_ckpt {
        let over: Vec<u64> = rows
            .iter()
            .filter(|r| num(r, "state_bytes") > limit)
            .map(|r| num(r, "subtask"))
            .collect();
        let status = if over.is_empty() {
            "completed"
        } else {
            "failed"
        };
        assert_eq!(failed.contains(k), !over.is_empty(), "checkpoint {k}");
        for r in rows {
            assert_eq!(r["checkpoint_status"], status, "checkpoint {k}");
        }
    }
    for f in failures {
        let k = f["checkpoint"].as_u64().unwrap();
        let subtask = f["subtask"].as_u64().unwrap();
        let size = f["size"].as_u64().unwrap();
        assert_eq!(f["max_size"].as_u64(), Some(limit));
        let rows = &by_ckpt[&k];
        assert_eq!(f["records"].as_u64(), Some(num(rows[0], "records")));
        let row = rows.iter().find(|r| num(r, "subtask") == subtask).unwrap();
        assert_eq!(num(row, "state_bytes"), size, "checkpoint {k}");
        assert!(size > limit);
        let over: Vec<u64> = f["over_limit"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap())
            .collect();
        assert!(over.contains(&subtask));
        assert_eq!(f["message"].as_str(), Some(message(size, limit).as_str()));
    }
    let s = &op["summary"];
    assert_eq!(s["failed_checkpoints"].as_u64(), Some(failed.len() as u64));
    assert_eq!(
        s["first_failed_checkpoint"].as_u64(),
        failed.first().copied()
    );
    assert!(
        failed.len() < by_ckpt.len(),
        "some checkpoints should complete: {failed:?}"
    );
    failed.len()
}

#[test]
fn summary_json_names_failures_with_flinks_message() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = run(tmp.path(), "failing_120", FAILING_120);
    let j = json(&dir.join("summary.json"));
    assert_eq!(j["backend"], "HashMapStateBackend");
    assert_eq!(j["storage"], "jobmanager");
    let n = check_failures(&dir, 20 * 1024, |size, max| {
        format!(
            "Size of the state is larger than the maximum permitted memory-backed state. \
             Size={size}, maxSize={max}. Consider using a different checkpoint storage, \
             like the FileSystemCheckpointStorage."
        )
    });
    assert!(n > 0, "the scenario must fail some checkpoints");
}

#[test]
fn flink_1_9_failures_use_its_own_wording() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = run(tmp.path(), "failing_19", FAILING_19);
    let j = json(&dir.join("summary.json"));
    assert_eq!(j["backend"], "MemoryStateBackend");
    assert_eq!(j["flink_version"], "1.9");
    let n = check_failures(&dir, 5_242_880, |size, max| {
        format!(
            "Size of the state is larger than the maximum permitted memory-backed state. \
             Size={size} , maxSize={max} . Consider using a different state backend, \
             like the File System State backend."
        )
    });
    assert!(n > 0, "the scenario must fail some checkpoints");
}

#[test]
fn help_and_version_exit_0() {
    let o = statecap(["--help"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("run") && out.contains("Usage"), "{out}");

    let o = statecap(["run", "--help"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    for w in ["--out", "timeline.csv", "summary.json"] {
        assert!(out.contains(w), "`run --help` lacks {w}: {out}");
    }

    let o = statecap(["--version"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains(env!("CARGO_PKG_VERSION")));
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &[][..],
        &["run"][..],
        &["frobnicate"][..],
        &["run", "x.toml", "--bogus"][..],
    ] {
        let o = statecap(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains("Usage"), "{args:?}: {}", stderr(&o));
    }
}

#[test]
fn quiet_prints_nothing_but_still_writes() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = write(tmp.path(), "q.toml", TWO_OPERATORS);
    let out = tmp.path().join("out");
    let o = statecap([
        "run".as_ref(),
        scenario.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
        "--quiet".as_ref(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "");
    for f in [
        "timeline.csv",
        "summary.csv",
        "summary.json",
        "keygroups.csv",
    ] {
        assert!(out.join("two_operators").join(f).is_file(), "{f}");
    }
    // Running again replaces the outputs, leaving no temporary folders.
    let o = statecap([
        "run".as_ref(),
        scenario.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
        "-q".as_ref(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let entries: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(entries, vec![std::ffi::OsString::from("two_operators")]);
}

#[test]
fn five_operators_over_one_trace() {
    // A trace without `records` plays all of it; five operators read it.
    let tmp = tempfile::tempdir().unwrap();
    let mut trace = String::from("key,ts_ms,bytes\n");
    for i in 0..600 {
        trace.push_str(&format!("{},{},117\n", i % 37, i * 10));
    }
    write(tmp.path(), "five.csv", &trace);
    let mut text = String::from(
        "name = \"five\"\nflink_version = \"1.20\"\n\n[source]\nevents_per_second = 100\n\
         trace = \"five.csv\"\n\n[job]\nparallelism = 2\n\n[checkpoints]\nevery_records = 100\n",
    );
    for i in 0..5 {
        text.push_str(&format!(
            "\n[[operator]]\nname = \"w{i}\"\nkind = \"window\"\nassigner = \"tumbling\"\n\
             size = \"{} s\"\nfunction = \"process\"\n",
            i + 1
        ));
    }
    let dir = run(tmp.path(), "five", &text);
    let t = Table::read(&dir.join("timeline.csv"));
    // 6 checkpoints x 2 subtasks x 5 operators.
    assert_eq!(t.rows.len(), 6 * 2 * 5);
    let ops: BTreeSet<&str> = t.rows.iter().map(|r| r["operator"].as_str()).collect();
    assert_eq!(ops.len(), 5);
}
