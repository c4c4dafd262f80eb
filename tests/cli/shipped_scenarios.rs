//! Every scenario shipped in `scenarios/` is valid and runs through the
//! CLI. The folder is read at test time, so new scenarios are covered
//! without touching this file.
//!
//! Shipped scenarios describe production jobs (tens of millions of records,
//! minutes of simulation). The default test plays each one shortened: its
//! source capped at a few hundred thousand records, or at the records
//! before its first checkpoint when that is later. The full runs are
//! `cargo test --release --test cli -- --ignored`.

use crate::support::{Table, files_under, manifest_dir, statecap, stderr, stdout};
use statecap::Scenario;
use statecap::scenario::CheckpointTrigger;
use statecap::workload::Clock;
use std::path::{Path, PathBuf};

/// Records a shortened scenario plays at least (if it has that many).
const SHORT_RECORDS: u64 = 300_000;

fn shipped() -> Vec<PathBuf> {
    let dir = manifest_dir().join("scenarios");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    v.sort();
    assert!(
        !v.is_empty(),
        "no scenario in {}: the repository ships at least one",
        dir.display()
    );
    v
}

/// Records played before the first checkpoint.
fn first_checkpoint_records(s: &Scenario) -> u64 {
    match s.checkpoints {
        CheckpointTrigger::EveryRecords(n) => n,
        CheckpointTrigger::Interval(ms) => {
            // The barrier at `ms` needs a record at or after it.
            Clock::new(s.source.events_per_second).records_before(ms as i64) + 1
        }
    }
}

/// A copy of a shipped scenario whose source stops after `records`
/// records, its trace (if any) made absolute.
fn shortened(path: &Path, s: &Scenario, records: u64) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let mut doc: toml_edit::DocumentMut = text.parse().expect("valid TOML");
    // One input: [source]; two (a join): [input], the merged stream.
    let table = if doc.get("input").is_some() {
        "input"
    } else {
        "source"
    };
    let src = doc[table].as_table_mut().expect("[source] or [input]");
    for k in ["records", "duration", "duration_ms"] {
        src.remove(k);
    }
    src["records"] = toml_edit::value(records as i64);
    if let Some(t) = &s.source.trace {
        src["trace"] = toml_edit::value(t.display().to_string());
    }
    doc.to_string()
}

/// Runs one file through the CLI; checks the outputs; returns the seconds
/// it took.
fn run_and_check(file: &Path, s: &Scenario, out: &Path, expect_checkpoints: bool) -> f64 {
    let t0 = std::time::Instant::now();
    let o = statecap([
        "run".as_ref(),
        file.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    let secs = t0.elapsed().as_secs_f64();
    let name = &s.name;
    assert_eq!(
        o.status.code(),
        Some(0),
        "{name}: exit {:?}\n{}",
        o.status.code(),
        stderr(&o)
    );
    assert!(stdout(&o).contains(name.as_str()), "{name}: no table");
    let dir = out.join(name);
    for f in [
        "timeline.csv",
        "summary.csv",
        "summary.json",
        "keygroups.csv",
    ] {
        assert!(dir.join(f).is_file(), "{name}: no {f}");
    }
    let t = Table::read(&dir.join("timeline.csv"));
    assert!(t.columns.iter().any(|c| c == "state_bytes"));
    let per_ckpt = s.parallelism as usize * s.operators.len();
    assert_eq!(t.rows.len() % per_ckpt, 0, "{name}: whole checkpoints");
    if expect_checkpoints {
        assert!(!t.rows.is_empty(), "{name}: no checkpoint");
    }
    let j: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("summary.json")).unwrap()).unwrap();
    assert_eq!(j["scenario"].as_str(), Some(name.as_str()));
    assert_eq!(
        j["operators"].as_array().map(Vec::len),
        Some(s.operators.len())
    );
    secs
}

#[test]
fn every_shipped_scenario_loads_under_its_own_name() {
    let mut names = std::collections::BTreeMap::new();
    for p in shipped() {
        let s = Scenario::load(&p).unwrap_or_else(|e| panic!("{e}"));
        assert!(!s.operators.is_empty());
        // `statecap run scenarios/*.toml` writes out/<name>/: one each.
        if let Some(other) = names.insert(s.name.clone(), p.clone()) {
            panic!(
                "{} and {} are both named '{}': their outputs would overwrite each other",
                other.display(),
                p.display(),
                s.name
            );
        }
    }
}

#[test]
fn every_shipped_scenario_runs_shortened() {
    let tmp = tempfile::tempdir().unwrap();
    for p in shipped() {
        let s = Scenario::load(&p).unwrap_or_else(|e| panic!("{e}"));
        let first = first_checkpoint_records(&s);
        let records = s.source.records.min(SHORT_RECORDS.max(first));
        let copy = tmp.path().join(p.file_name().unwrap());
        std::fs::write(&copy, shortened(&p, &s, records)).unwrap();
        let out = tmp.path().join("out");
        let secs = run_and_check(&copy, &s, &out, records >= first);
        eprintln!(
            "{}: {records} of {} records in {secs:.1} s",
            s.name,
            if s.source.records == u64::MAX {
                "all".to_string()
            } else {
                s.source.records.to_string()
            }
        );
    }
}

#[test]
#[ignore = "minutes: the shipped scenarios at full length"]
fn every_shipped_scenario_runs_in_full() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    for p in shipped() {
        let s = Scenario::load(&p).unwrap();
        let secs = run_and_check(&p, &s, &out, false);
        eprintln!("{}: {secs:.1} s", s.name);
    }
    assert!(!files_under(&out).is_empty());
}

/// The shipped full-day rollup on RocksDB with incremental checkpoints (the
/// per-entry estimate: the analytic mode replays no writes). Every
/// incremental checkpoint uploads at least its meta stream and its private
/// MANIFEST, OPTIONS and CURRENT, so no upload range may start at 0 B; and
/// each range holds its expected value. (The upload range used to be the
/// expected upload less the state range's width, which is the compaction's
/// uncertainty, not the upload's: 0 B on 2,944 of 9,152 rows.)
#[test]
fn rocksdb_upload_ranges_never_start_at_zero() {
    let d = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(
        manifest_dir().join("scenarios/daily_rollup_1e8_keys_full_day.toml"),
    )
    .unwrap();
    assert!(text.contains("backend = \"hashmap\""));
    let text = text.replace(
        "backend = \"hashmap\"",
        "backend = \"rocksdb\"\nincremental = true",
    );
    let p = crate::support::write(d.path(), "rollup_rocksdb.toml", &text);
    let out = d.path().join("out");
    let o = statecap(["run", p.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let t = Table::read(&out.join("daily_rollup_1e8_keys_full_day/timeline.csv"));
    assert!(t.rows.len() > 1000, "{}", t.rows.len());
    let num = crate::support::num;
    for r in &t.rows {
        let (lo, ck, hi) = (
            num(r, "checkpointed_bytes_low"),
            num(r, "checkpointed_bytes"),
            num(r, "checkpointed_bytes_high"),
        );
        // The private files alone: OPTIONS of the window's column
        // families is ~10 KB (docs/rocksdb-facts.md).
        assert!(lo >= 9000, "{r:?}");
        assert!(lo <= ck && ck <= hi, "{r:?}");
    }
}
