//! Inputs meant to break statecap, and values Flink itself would refuse:
//! each is refused with exit code 2 and a message naming the file, line and
//! field (or the command-line option) as the user wrote it; nothing is
//! written. (`scenario_errors` runs the one-mistake fixtures of
//! `tests/data/bad/`; this module holds what a fixture cannot say.)

use crate::support::{files_under, manifest_dir, statecap, stderr, stdout, write};
use statecap::error::ScenarioError;
use statecap::{Error, Scenario};
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

/// A small scenario to edit.
const BASE: &str = r#"name = "t"
flink_version = "1.20"

[source]
records = 1000
events_per_second = 100
keys = 10
record_bytes = 117

[job]
parallelism = 2

[[operator]]
kind = "window"
assigner = "tumbling"
size = "1 s"
function = "process"

[checkpoints]
every_records = 100
"#;

fn parse_errors(text: &str) -> Vec<ScenarioError> {
    match Scenario::parse(text, Path::new("t.toml")) {
        Ok(_) => panic!("parsed, but should not:\n{text}"),
        Err(Error::Scenario(errs)) => errs,
        Err(e) => panic!("not a scenario error: {e}"),
    }
}

fn line_of(text: &str, prefix: &str) -> usize {
    text.lines()
        .position(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no line starts with {prefix}"))
        + 1
}

/// Every field with two spellings is reported under the spelling the file
/// uses, at that key's line and column.
#[test]
fn every_field_with_two_spellings_is_named_as_written() {
    // (table, the two spellings, replace this, by this with `{k}` for the key)
    let cases: &[(&str, [&str; 2], &str, &str)] = &[
        (
            "source",
            ["duration", "duration_ms"],
            "records = 1000",
            "records = 1000\n{k} = \"1 s\"",
        ),
        (
            "source",
            ["events_per_second", "rate"],
            "events_per_second = 100",
            "{k} = -1",
        ),
        (
            "operator[0]",
            ["size_ms", "size"],
            "size = \"1 s\"",
            "{k} = 0",
        ),
        (
            "operator[0]",
            ["slide_ms", "slide"],
            "assigner = \"tumbling\"",
            "assigner = \"sliding\"\n{k} = \"5 s\"",
        ),
        (
            "operator[0]",
            ["gap_ms", "gap"],
            "assigner = \"tumbling\"\nsize = \"1 s\"",
            "assigner = \"session\"\n{k} = 0",
        ),
        (
            "operator[0]",
            ["offset_ms", "offset"],
            "size = \"1 s\"",
            "size = \"1 s\"\n{k} = \"2 s\"",
        ),
        (
            "operator[0]",
            ["allowed_lateness_ms", "allowed_lateness"],
            "size = \"1 s\"",
            "size = \"1 s\"\ntime = \"processing\"\n{k} = \"5 s\"",
        ),
        (
            "checkpoints",
            ["interval_ms", "interval"],
            "every_records = 100",
            "{k} = 0",
        ),
    ];
    for &(table, keys, from, to) in cases {
        for (k, other) in [(keys[0], keys[1]), (keys[1], keys[0])] {
            assert!(BASE.contains(from), "{from}");
            let text = BASE.replacen(from, &to.replace("{k}", k), 1);
            let errs = parse_errors(&text);
            let field = format!("{table}.{k}");
            let e = errs
                .iter()
                .find(|e| e.field == field)
                .unwrap_or_else(|| panic!("no error names `{field}`: {errs:?}"));
            assert_eq!(
                (e.line, e.column),
                (Some(line_of(&text, &format!("{k} ="))), Some(1)),
                "{field}: {e}"
            );
            assert!(
                errs.iter()
                    .all(|e| !e.field.ends_with(&format!(".{other}"))),
                "`{k}` written, `{other}` reported: {errs:?}"
            );
        }
    }
    // A message naming another field names it as written too.
    let text = BASE.replace(
        "every_records = 100",
        "every_records = 100\ninterval = \"1 s\"",
    );
    let errs = parse_errors(&text);
    assert_eq!(errs[0].field, "checkpoints.interval");
    assert!(
        errs[0].message.contains("`interval`") && !errs[0].message.contains("interval_ms"),
        "{}",
        errs[0]
    );
}

/// A missing required field is reported as that field, at the line of the
/// table it belongs in (line 1 for the top level).
#[test]
fn a_missing_field_is_named_at_its_table() {
    let cases: &[(&str, &str, &str, Option<&str>)] = &[
        ("name = \"t\"\n", "", "name", None),
        ("flink_version = \"1.20\"\n", "", "flink_version", None),
        ("[job]\nparallelism = 2\n", "", "job", None),
        ("parallelism = 2\n", "", "job.parallelism", Some("[job]")),
        (
            "kind = \"window\"\n",
            "",
            "operator[0].kind",
            Some("[[operator]]"),
        ),
        (
            "[checkpoints]\nevery_records = 100\n",
            "",
            "checkpoints",
            None,
        ),
        (
            "record_bytes = 117",
            "record_bytes = { min = 1, max = 5 }",
            "source.record_bytes.distribution",
            Some("record_bytes"),
        ),
    ];
    for &(from, to, field, table) in cases {
        let text = BASE.replacen(from, to, 1);
        let errs = parse_errors(&text);
        assert_eq!(errs.len(), 1, "one error for a missing {field}: {errs:?}");
        let e = &errs[0];
        assert_eq!(e.field, field, "{e}");
        let line = table.map_or(1, |t| line_of(&text, t));
        assert_eq!(e.line, Some(line), "{e}");
        assert!(e.message.contains("missing"), "{e}");
    }
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

#[test]
fn two_scenarios_with_one_name_point_at_the_second_ones_name() {
    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(good()).unwrap();
    let a = write(tmp.path(), "a.toml", &text);
    let b = write(tmp.path(), "b.toml", &text);
    let (o, written) = run_in(&["run", &a.display().to_string(), &b.display().to_string()]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    let line = line_of(&text, "name =");
    assert!(
        err.contains(&format!("{}:{line}:1: `name`", b.display())),
        "{err}"
    );
    assert!(written.is_empty());
}

/// Operators written as an array of inline tables are located too.
#[test]
fn an_inline_operator_is_located_at_its_key() {
    // Top-level keys come before the first [table].
    let text = BASE
        .replace(
            "[[operator]]\nkind = \"window\"\nassigner = \"tumbling\"\nsize = \"1 s\"\nfunction = \"process\"\n",
            "",
        )
        .replace(
            "flink_version = \"1.20\"\n",
            "flink_version = \"1.20\"\noperator = [{ kind = \"window\", assigner = \"tumbling\", size = 0, function = \"process\" }]\n",
        );
    assert!(text.contains("operator = [{"), "{text}");
    let errs = parse_errors(&text);
    let line = line_of(&text, "operator = [{");
    let column = text.lines().nth(line - 1).unwrap().find("size").unwrap() + 1;
    assert_eq!(errs[0].field, "operator[0].size", "{errs:?}");
    assert_eq!((errs[0].line, errs[0].column), (Some(line), Some(column)));
}
