//! A scenario is a pure function of its file: the same generated-input
//! scenario run twice writes byte-identical outputs (the reports too, whose
//! date is `SOURCE_DATE_EPOCH`'s, the reproducible-builds convention), and
//! its seed is what makes the draws (another seed, other bytes).

use crate::support::{bin, stderr, write};
use std::path::Path;

/// Generated input exercising every random stream: zipf keys, log-normal
/// sizes, jitter; two operators (sliding and session).
const SCENARIO: &str = r#"name = "determinism"
flink_version = "1.20"
seed = 11

[source]
records = 60000
events_per_second = 2000
keys = 3000
key_distribution = "zipf"
zipf_exponent = 1.05
record_bytes = { distribution = "lognormal", mean = 300, stddev = 120, min = 40, max = "2 kb" }
jitter_ms = 1500
out_of_orderness_ms = 1000

[job]
parallelism = 4

[[operator]]
name = "sliding"
kind = "window"
assigner = "sliding"
size = "20 s"
slide = "5 s"
function = "process"

[[operator]]
name = "sessions"
kind = "window"
assigner = "session"
gap = "3 s"
function = "reduce"

[checkpoints]
every_records = 5000
"#;

const FILES: [&str; 8] = [
    "timeline.csv",
    "summary.json",
    "summary.csv",
    "keygroups.csv",
    "report.html",
    "report.md",
    "timeline.svg",
    "timeline.png",
];

/// Runs the scenario text in `dir/tag/` (as `determinism.toml`, from that
/// folder, so the path the report names is the same) with
/// `SOURCE_DATE_EPOCH` set; returns `(file, bytes)` of its outputs.
fn run(dir: &Path, tag: &str, text: &str) -> Vec<(String, Vec<u8>)> {
    let home = dir.join(tag);
    std::fs::create_dir_all(&home).unwrap();
    write(&home, "determinism.toml", text);
    let out = home.join("out");
    let o = std::process::Command::new(bin())
        .args(["run", "determinism.toml", "--out", "out", "--quiet"])
        .current_dir(&home)
        .env("SOURCE_DATE_EPOCH", "1541513000")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    FILES
        .iter()
        .map(|f| {
            let p = out.join("determinism").join(f);
            let bytes = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (f.to_string(), bytes)
        })
        .collect()
}

#[test]
fn the_same_scenario_twice_writes_identical_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let a = run(tmp.path(), "a", SCENARIO);
    let b = run(tmp.path(), "b", SCENARIO);
    for ((f, x), (_, y)) in a.iter().zip(&b) {
        assert!(x.len() > 100, "{f} is nearly empty");
        assert!(x == y, "{f} differs between two runs of the same scenario");
    }
}

#[test]
fn another_seed_changes_the_outputs() {
    let tmp = tempfile::tempdir().unwrap();
    let a = run(tmp.path(), "a", SCENARIO);
    let c = run(tmp.path(), "c", &SCENARIO.replace("seed = 11", "seed = 12"));
    for f in ["timeline.csv", "summary.json"] {
        let x = &a.iter().find(|(n, _)| n == f).unwrap().1;
        let y = &c.iter().find(|(n, _)| n == f).unwrap().1;
        assert!(x != y, "{f} is the same for seeds 11 and 12");
    }
}

#[test]
fn the_library_is_deterministic_too() {
    let tmp = tempfile::tempdir().unwrap();
    let p = write(tmp.path(), "lib.toml", SCENARIO);
    let s = statecap::Scenario::load(&p).unwrap();
    let json = |s: &statecap::Scenario| {
        serde_json::to_string(
            &statecap::simulate(s, &Default::default())
                .map(statecap::Run::into_result)
                .unwrap(),
        )
        .unwrap()
    };
    let first = json(&s);
    assert_eq!(first, json(&s), "two simulations of one Scenario differ");
    // A clone and a reload are the same scenario.
    assert_eq!(first, json(&s.clone()));
    assert_eq!(first, json(&statecap::Scenario::load(&p).unwrap()));
}
