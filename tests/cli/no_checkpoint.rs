//! A run in which no checkpoint falls (played for less than one checkpoint
//! interval): `check` refuses to answer (exit 2) instead of passing, `run`
//! writes its files and warns, every CSV keeps its header with no rows, and
//! a sweep's points say `no_checkpoint` rather than `holds`.

use crate::support::{Table, statecap, stderr, stdout, write};
use std::path::Path;

/// 10 s played at 1,000 records/s, a checkpoint every 10.2 s: none falls
/// inside. `{duration}` and `{trigger}` are filled in per test.
const SCENARIO: &str = r#"
name = "short_run"
flink_version = "1.6.2"
seed = 1

[source]
duration = "{duration}"
events_per_second = 1000
keys = 1000
record_bytes = 100

[job]
parallelism = 4

[[operator]]
name = "w"
kind = "window"
assigner = "tumbling"
size = "5 s"
time = "processing"
function = "apply"

[checkpoints]
{trigger}
"#;

fn scenario(dir: &Path, name: &str, duration: &str, trigger: &str) -> std::path::PathBuf {
    let text = SCENARIO
        .replace("{duration}", duration)
        .replace("{trigger}", trigger)
        .replace("short_run", name);
    write(dir, &format!("{name}.toml"), &text)
}

#[test]
fn check_refuses_to_pass_when_no_checkpoint_falls_inside_the_run() {
    let d = tempfile::tempdir().unwrap();
    let sc = scenario(d.path(), "short_run", "10 s", "interval = \"10200 ms\"");
    let o = statecap(["check".as_ref(), sc.as_os_str()]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(2), "{out}{}", stderr(&o));
    assert!(!out.contains("OK"), "never OK with no checkpoint: {out}");
    assert!(
        out.contains(
            "CANNOT CHECK short_run: no checkpoint falls inside the 10 s played: the first \
             barrier is at 10.2 s; play longer or checkpoint more often"
        ),
        "{out}"
    );

    // The same with a trigger in records.
    let sc = scenario(d.path(), "few_records", "10 s", "every_records = 20_000");
    let o = statecap(["check".as_ref(), sc.as_os_str()]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(2), "{out}");
    assert!(
        out.contains(
            "no checkpoint falls inside the 10,000 records played: the first barrier is after \
             20,000 records; play longer or checkpoint more often"
        ),
        "{out}"
    );

    // Played long enough, the same job is checked (and holds): exit 0.
    let sc = scenario(d.path(), "long_run", "30 s", "interval = \"10200 ms\"");
    let o = statecap(["check".as_ref(), sc.as_os_str()]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).starts_with("OK long_run"), "{}", stdout(&o));

    // Several scenarios: the gate answers for each; one that cannot be
    // checked makes the whole answer 2.
    let short = d.path().join("short_run.toml");
    let o = statecap(["check".as_ref(), sc.as_os_str(), short.as_os_str()]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(stdout(&o).contains("OK long_run"), "{}", stdout(&o));
}

#[test]
fn run_writes_its_files_and_warns() {
    let d = tempfile::tempdir().unwrap();
    let short = scenario(d.path(), "short_run", "10 s", "interval = \"10200 ms\"");
    let long = scenario(d.path(), "long_run", "30 s", "interval = \"10200 ms\"");
    let out = d.path().join("out");
    let o = statecap([
        "run".as_ref(),
        short.as_os_str(),
        long.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
        "--quiet".as_ref(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(
            "warning: short_run: no checkpoint falls inside the 10 s played: the first barrier \
             is at 10.2 s; play longer or checkpoint more often"
        ),
        "{}",
        stderr(&o)
    );
    assert!(!stderr(&o).contains("long_run"), "{}", stderr(&o));
    assert!(out.join("short_run/report.html").is_file());
}

/// A sweep's points without a checkpoint neither hold nor fail.
#[test]
fn sweep_points_without_a_checkpoint_do_not_hold() {
    let d = tempfile::tempdir().unwrap();
    let short = scenario(d.path(), "short_run", "10 s", "interval = \"10200 ms\"");
    let out = d.path().join("out");
    let o = statecap([
        "sweep".as_ref(),
        short.as_os_str(),
        "--vary".as_ref(),
        "parallelism=2,4".as_ref(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!stdout(&o).contains("holds at every"), "{}", stdout(&o));
    let t = Table::read(&out.join("short_run-sweep/sweep.csv"));
    assert_eq!(t.rows.len(), 2);
    for row in &t.rows {
        assert_eq!(row["status"], "no_checkpoint", "{row:?}");
        assert_eq!(row["peak_subtask_bytes"], "", "{row:?}");
        assert!(
            row["note"].starts_with("no checkpoint falls inside the 10 s played"),
            "{row:?}"
        );
    }
}

/// Every CSV has its header, also with no rows: the header of a run
/// without checkpoints is that of a run with them.
#[test]
fn every_csv_has_its_header_without_rows() {
    let d = tempfile::tempdir().unwrap();
    let short = scenario(d.path(), "short_run", "10 s", "interval = \"10200 ms\"");
    let long = scenario(d.path(), "long_run", "30 s", "interval = \"10200 ms\"");
    let out = d.path().join("out");
    let o = statecap([
        "run".as_ref(),
        short.as_os_str(),
        long.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
        "--quiet".as_ref(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    for (file, rows_when_short) in [
        ("timeline.csv", false),
        ("keygroups.csv", false),
        ("summary.csv", true),
    ] {
        let empty = Table::read(&out.join("short_run").join(file));
        let full = Table::read(&out.join("long_run").join(file));
        assert!(!full.rows.is_empty(), "{file}: the long run has rows");
        assert_eq!(empty.columns, full.columns, "{file}: the header");
        assert!(empty.columns.len() > 3, "{file}: {:?}", empty.columns);
        assert_eq!(!empty.rows.is_empty(), rows_when_short, "{file}");
    }
    let text = std::fs::read_to_string(out.join("short_run/timeline.csv")).unwrap();
    assert!(text.starts_with("checkpoint,records,time_ms,"), "{text}");
    assert_eq!(text.lines().count(), 1, "{text}");

    // compare.csv and sweep.csv of the same scenario have theirs too.
    for args in [
        vec!["compare", "--quiet"],
        vec!["sweep", "--vary", "parallelism=2,4"],
    ] {
        let mut a: Vec<std::ffi::OsString> = vec![args[0].into(), short.clone().into()];
        a.extend(args[1..].iter().map(|x| x.into()));
        a.extend(["--out".into(), out.clone().into()]);
        let o = statecap(a);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    }
    let t = Table::read(&out.join("short_run-compare/compare.csv"));
    assert_eq!(t.columns.first().map(String::as_str), Some("option"));
    let t = Table::read(&out.join("short_run-sweep/sweep.csv"));
    assert!(
        t.columns.iter().any(|c| c == "peak_subtask_bytes"),
        "{:?}",
        t.columns
    );
}
