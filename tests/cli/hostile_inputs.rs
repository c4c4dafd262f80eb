//! Inputs meant to break statecap, and values Flink itself would refuse:
//! each is refused with exit code 2 and a message naming the file, line and
//! field (or the command-line option) as the user wrote it; nothing is
//! written. (`scenario_errors` runs the one-mistake fixtures of
//! `tests/data/bad/`; this module holds what a fixture cannot say.)

use crate::support::{files_under, manifest_dir, statecap, stderr, stdout};
use std::path::{Path, PathBuf};

fn good() -> PathBuf {
    manifest_dir().join("tests/data/good.toml")
}

/// Runs statecap with `args` and `--out <tmp>/out` appended; returns the
/// output and what was written.
fn run_in(args: &[&str]) -> (std::process::Output, Vec<PathBuf>) {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let mut all: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    all.extend(["--out".to_string(), out.display().to_string()]);
    let o = statecap(&all);
    (o, files_under(&out))
}

/// The command was refused as bad input, naming `option` and saying
/// `what`, and wrote nothing.
fn refused(args: &[&str], option: &str, what: &str) {
    let (o, written) = run_in(args);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
    assert!(
        err.contains(option) && err.contains(what),
        "{args:?}: stderr names neither {option} nor '{what}': {err}"
    );
    assert!(
        !err.contains("unexpected argument"),
        "{args:?}: clap's hint instead of statecap's own message: {err}"
    );
    assert!(written.is_empty(), "{args:?}: wrote {written:?}");
    assert_eq!(stdout(&o), "", "{args:?}");
}

#[test]
fn size_options_must_be_positive() {
    let g = good().display().to_string();
    for v in ["0", "0 mb", "-1 mb", "-5"] {
        refused(&["run", &g, "--budget", v], "--budget", "must be positive");
        refused(
            &["sweep", &g, "--vary", "parallelism=2", "--budget", v],
            "--budget",
            "must be positive",
        );
        refused(
            &["compare", &g, "--bandwidth", v],
            "--bandwidth",
            "must be positive",
        );
    }
    // Not a size at all: still the option's name and statecap's words.
    refused(&["run", &g, "--budget", "lots"], "--budget", "lots");
}

#[test]
fn jobs_must_be_1_to_1024() {
    let g = good().display().to_string();
    for flag in ["-j", "--jobs"] {
        for v in ["0", "-1", "1025", "100000"] {
            refused(&["run", &g, flag, v], "--jobs", "1 to 1024");
            refused(
                &["sweep", &g, "--vary", "parallelism=2", flag, v],
                "--jobs",
                "1 to 1024",
            );
        }
    }
    // The bounds themselves are taken.
    for v in ["1", "1024"] {
        let (o, written) = run_in(&["run", &g, "--jobs", v, "--quiet"]);
        assert_eq!(o.status.code(), Some(0), "--jobs {v}: {}", stderr(&o));
        assert!(!written.is_empty());
    }
}

#[test]
fn a_sweep_with_no_valid_point_exits_2_after_writing_why() {
    let g = good().display().to_string();
    // The scenario has no sliding window: every point is invalid.
    let (o, written) = run_in(&["sweep", &g, "--vary", "window.slide_ms=500,1000"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("--vary")
            && err.contains("no point of the sweep")
            && err.contains("applies to no operator"),
        "{err}"
    );
    // The table and sweep.csv say why, point by point.
    assert!(
        written.iter().any(|p| p.ends_with("sweep.csv")),
        "{written:?}"
    );
    assert!(stdout(&o).contains("wrote"), "{}", stdout(&o));
    // One valid point is enough for exit 0.
    let (o, _) = run_in(&["sweep", &g, "--vary", "parallelism=2,40000", "--quiet"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn a_file_that_is_not_a_scenario_is_refused_without_reading_it_all() {
    let tmp = tempfile::tempdir().unwrap();
    let big = tmp.path().join("big.toml");
    std::fs::write(&big, "#".repeat((1 << 20) + 1)).unwrap();
    let mut paths = vec![big];
    // An endless file.
    if Path::new("/dev/zero").exists() {
        paths.push(PathBuf::from("/dev/zero"));
    }
    for p in paths {
        let (o, written) = run_in(&["run", &p.display().to_string()]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{}: {err}", p.display());
        assert!(
            err.contains(&p.display().to_string()) && err.contains("larger than 1024 KiB"),
            "{err}"
        );
        assert!(written.is_empty());
    }
}
