//! `statecap sweep`: a small grid over two parameters writes `sweep.csv`
//! (one row per point) and a capacity chart per parameter, prints where the
//! limit is crossed, uses every core, and shows no progress bar when its
//! output is piped (one on a terminal).

use crate::support::{Table, statecap, stderr, stdout, write};
use std::path::Path;

/// Memory backend (Flink 1.9 default) at 5 MiB: rate and parallelism
/// decide whether it holds. Small: each point plays 30 s of traffic.
const SCENARIO: &str = r#"
name = "sweep_small"
flink_version = "1.9"
seed = 9

[source]
duration = "30 s"
events_per_second = 2000
keys = 2000
key_distribution = "zipf"
zipf_exponent = 0.7
record_bytes = 500

[job]
parallelism = 2

[[operator]]
name = "w"
kind = "window"
assigner = "tumbling"
size = "20 s"
time = "processing"
function = "process"

[flink_conf]
"state.checkpoints.dir" = "hdfs:///c"

[checkpoints]
interval = "3 s"
"#;

fn sweep(dir: &Path, extra: &[&str]) -> std::process::Output {
    let sc = write(dir, "sweep_small.toml", SCENARIO);
    let out = dir.join("out");
    let mut args: Vec<String> = vec![
        "sweep".into(),
        sc.display().to_string(),
        "--vary".into(),
        "parallelism=1,2,4".into(),
        "--vary".into(),
        "source.events_per_second=250..4000:log:5".into(),
        "--out".into(),
        out.display().to_string(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    statecap(&args)
}

#[test]
fn sweep_writes_csv_charts_and_crossings() {
    let d = tempfile::tempdir().unwrap();
    let o = sweep(d.path(), &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    assert!(
        text.contains(&format!(
            "15 points (parallelism × source.events_per_second) on {cores} threads"
        )),
        "every core: {text}"
    );
    assert!(
        text.contains("the memory backend's 5.0 MiB limit is exceeded above")
            && text.contains("records/s at parallelism 2, so checkpoints fail"),
        "a crossing in words: {text}"
    );
    assert!(
        text.contains("the memory backend's 5.0 MiB limit holds with parallelism"),
        "{text}"
    );
    // Piped: no progress bar, nothing on stderr.
    assert_eq!(stderr(&o), "", "no progress bar when piped");

    let dir = d.path().join("out/sweep_small-sweep");
    let t = Table::read(&dir.join("sweep.csv"));
    assert_eq!(t.rows.len(), 15, "one row per point");
    for c in [
        "parallelism",
        "source.events_per_second",
        "peak_subtask_bytes",
        "peak_total_bytes",
        "first_failed_checkpoint",
        "status",
        "mode",
    ] {
        assert!(t.columns.iter().any(|x| x == c), "column {c}");
    }
    let status = |p: &str, r: &str| {
        t.rows
            .iter()
            .find(|row| row["parallelism"] == p && row["source.events_per_second"] == r)
            .unwrap_or_else(|| panic!("no row p={p} rate={r}"))["status"]
            .clone()
    };
    assert_eq!(status("4", "250"), "holds");
    assert_eq!(status("1", "4000"), "fails");
    for row in &t.rows {
        assert_eq!(row["mode"], "exact", "small points are simulated exactly");
        let failed = row["status"] == "fails";
        assert_eq!(
            failed,
            !row["first_failed_checkpoint"].is_empty(),
            "{row:?}"
        );
        // More subtasks never hold more bytes in the largest one than one subtask holds in all.
        let peak: u64 = row["peak_subtask_bytes"].parse().unwrap();
        let total: u64 = row["peak_total_bytes"].parse().unwrap();
        assert!(peak <= total && peak > 0, "{row:?}");
    }
    for name in ["capacity_parallelism", "capacity_events_per_second"] {
        let png = std::fs::read(dir.join(format!("{name}.png"))).expect(name);
        assert!(png.starts_with(b"\x89PNG"), "{name}.png");
        assert!(png.len() > 10_000, "{name}.png has content");
        let svg = std::fs::read_to_string(dir.join(format!("{name}.svg"))).expect(name);
        assert!(
            svg.contains("MemoryStateBackend limit 5.0 MiB"),
            "{name}.svg limit"
        );
        assert!(svg.contains("@font-face"), "{name}.svg font");
    }
}

#[test]
fn sweep_is_the_same_on_one_thread_and_reports_invalid_points() {
    let d1 = tempfile::tempdir().unwrap();
    let d2 = tempfile::tempdir().unwrap();
    let a = sweep(d1.path(), &["--jobs", "1", "--quiet"]);
    let b = sweep(d2.path(), &["--quiet"]);
    assert!(a.status.success() && b.status.success());
    let strip = |p: &Path| {
        let t = Table::read(&p.join("out/sweep_small-sweep/sweep.csv"));
        t.rows
            .into_iter()
            .map(|mut r| {
                r.remove("elapsed_ms");
                r
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(
        strip(d1.path()),
        strip(d2.path()),
        "same grid, same numbers"
    );

    // A max parallelism set in the file bounds the swept parallelism.
    let d = tempfile::tempdir().unwrap();
    let sc = write(
        d.path(),
        "bounded.toml",
        &SCENARIO.replace("parallelism = 2", "parallelism = 2\nmax_parallelism = 2"),
    );
    let out = d.path().join("out");
    let o = statecap([
        "sweep",
        &sc.display().to_string(),
        "--vary",
        "parallelism=1,2,4",
        "--out",
        &out.display().to_string(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let t = Table::read(&out.join("sweep_small-sweep/sweep.csv"));
    let p4 = t.rows.iter().find(|r| r["parallelism"] == "4").unwrap();
    assert_eq!(p4["status"], "invalid");
    assert!(
        p4["note"].contains("`job.max_parallelism`: 2 is below the parallelism 4"),
        "the parser's words: {p4:?}"
    );
}

#[test]
fn sweep_rejects_unknown_parameters_and_bad_ranges() {
    let d = tempfile::tempdir().unwrap();
    let sc = write(d.path(), "s.toml", SCENARIO);
    for (vary, msg) in [
        ("colour=1,2", "unknown sweep parameter 'colour'"),
        ("keys=1e5..1e8:cubic:3", "unknown range mode 'cubic'"),
        ("parallelism", "expected NAME=VALUES"),
    ] {
        let o = statecap(["sweep", &sc.display().to_string(), "--vary", vary]);
        assert_eq!(o.status.code(), Some(2), "{vary}");
        assert!(stderr(&o).contains(msg), "{vary}: {}", stderr(&o));
    }
}

#[test]
fn sweep_shows_a_progress_bar_on_a_terminal() {
    // `script` gives the command a pseudo-terminal; the bar goes to it.
    let d = tempfile::tempdir().unwrap();
    let sc = write(d.path(), "s.toml", SCENARIO);
    let out = d.path().join("out");
    let cmd = format!(
        "{} sweep {} --vary parallelism=1,2 --vary source.events_per_second=1000,2000,4000 --out {}",
        crate::support::bin(),
        sc.display(),
        out.display()
    );
    let o = std::process::Command::new("script")
        .args(["-qefc", &cmd, "/dev/null"])
        .env("TERM", "xterm")
        .output()
        .expect("script (util-linux) runs");
    assert!(o.status.success(), "{}", stderr(&o));
    let tty = String::from_utf8_lossy(&o.stdout);
    assert!(
        tty.contains("points"),
        "progress bar on the terminal: {tty}"
    );
    assert!(
        tty.contains("sweep sweep_small ["),
        "bar with its message: {tty}"
    );
}

#[test]
fn sweep_runs_on_the_shipped_seed_scenario() {
    // The seed job, shortened to 20 and 40 s of traffic: two swept
    // parameters, two capacity charts.
    let seed = crate::support::manifest_dir().join("scenarios/seed_flink16_memory_backend.toml");
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("out");
    let o = statecap([
        "sweep",
        &seed.display().to_string(),
        "--vary",
        "source.duration_ms=20s,40s",
        "--vary",
        "parallelism=2,8",
        "--out",
        &out.display().to_string(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let dir = out.join("seed_flink16_memory_backend-sweep");
    let t = Table::read(&dir.join("sweep.csv"));
    assert_eq!(t.rows.len(), 4);
    assert_eq!(
        t.rows
            .iter()
            .map(|r| r["records"].as_str())
            .collect::<Vec<_>>(),
        ["182000", "182000", "364000", "364000"],
        "9,100 records/s for 20 s and 40 s"
    );
    for name in ["capacity_duration_ms", "capacity_parallelism"] {
        assert!(dir.join(format!("{name}.png")).is_file(), "{name}.png");
        assert!(dir.join(format!("{name}.svg")).is_file(), "{name}.svg");
    }
    assert!(
        stdout(&o).contains("the memory backend's 5.0 MiB limit"),
        "{}",
        stdout(&o)
    );
}

/// With `--budget`, every sentence names the limit it is about: a sweep
/// that crosses the backend's limit and stays under a larger budget (or
/// the reverse) says both without contradicting itself.
#[test]
fn sweep_sentences_name_the_limit_they_are_about() {
    let d = tempfile::tempdir().unwrap();
    let crossings = |budget: &str| -> Vec<String> {
        let o = sweep(d.path(), &["--budget", budget]);
        assert!(o.status.success(), "{}", stderr(&o));
        stdout(&o)
            .lines()
            .filter(|l| {
                l.contains(" at every swept ") || l.contains(" above ") || l.contains(" or more")
            })
            .map(str::to_string)
            .collect()
    };
    for budget in ["20 mb", "1 kb", "2 mb"] {
        let lines = crossings(budget);
        assert!(!lines.is_empty(), "{budget}");
        let name = format!("the {}.0 MiB budget", budget.trim_end_matches(" mb"));
        for l in &lines {
            assert!(
                l.starts_with("the memory backend's 5.0 MiB limit ")
                    || l.starts_with("the 1.0 KiB budget ")
                    || l.starts_with(&format!("{name} ")),
                "{budget}: a sentence that names no limit: {l}"
            );
            // The backend's limit is what fails checkpoints; a budget is not.
            if l.contains("so checkpoints fail") {
                assert!(l.starts_with("the memory backend's"), "{l}");
            }
            if l.starts_with("the memory backend's") && l.contains(" is exceeded ") {
                assert!(l.contains("so checkpoints fail"), "{l}");
            }
        }
        // The same line of points never both holds and fails one limit.
        for l in lines
            .iter()
            .filter(|l| l.contains(" holds at every swept "))
        {
            let (limit, rest) = l.split_once(" holds at every swept ").unwrap();
            let (what, _) = rest.split_once(" (").unwrap();
            let twin = format!("{limit} is exceeded at every swept {what}");
            assert!(!lines.iter().any(|m| m.starts_with(&twin)), "{budget}: {l}");
        }
    }
    let lines = crossings("20 mb");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("the 20.0 MiB budget holds at every swept")),
        "{lines:?}"
    );
    let o = sweep(d.path(), &["--budget", "20 mb"]);
    assert!(
        stdout(&o).contains(
            "the 20.0 MiB budget is above the memory backend's 5.0 MiB limit: checkpoints fail \
             before the state reaches it"
        ),
        "{}",
        stdout(&o)
    );
}
