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
            "source",
            ["jitter_ms", "jitter"],
            "keys = 10",
            "keys = 10\n{k} = \"400 d\"",
        ),
        (
            "source",
            ["out_of_orderness_ms", "out_of_orderness"],
            "keys = 10",
            "keys = 10\n{k} = \"-1 s\"",
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
    // Every pair of spellings the parser knows is tested here.
    assert_eq!(cases.len(), statecap::scenario::raw::SPELLINGS.len());
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

/// Every numeric field refuses what it cannot hold, naming itself at its
/// line: values Flink refuses (with Flink's rule in the message), and
/// those beyond statecap's own bounds (said to be statecap's).
#[test]
fn every_numeric_field_refuses_what_it_cannot_hold() {
    const RICH: &str = r#"name = "rich"
flink_version = "1.17"
seed = 7

[source]
duration = "2 min"
events_per_second = 250.5
keys = 5000
key_distribution = "zipf"
zipf_exponent = 1.1
key_type = "string"
key_length = 8
record_bytes = 300
jitter_ms = "2 s"
out_of_orderness = 500
watermark_every_records = 10

[job]
parallelism = 3
max_parallelism = 256

[[operator]]
name = "slide"
kind = "window"
assigner = "sliding"
size = "1 min"
slide = "10 s"
offset_ms = 1000
allowed_lateness = "5 s"
function = "process"

[[operator]]
name = "sessions"
kind = "window"
assigner = "session"
gap = "30 s"
function = "aggregate"
accumulator_bytes = 24

[checkpoints]
interval = "10 s"
storage = "jobmanager"
max_state_size = "5 mb"
"#;
    assert!(Scenario::parse(RICH, Path::new("t.toml")).is_ok());
    let long = "9223372036854775807";
    let cases: &[(&str, &[&str])] = &[
        ("seed", &["-1"]),
        ("duration", &["0", "\"-1 s\"", "\"0.5 ms\"", "\"40000 d\""]),
        (
            "events_per_second",
            &["0", "-1", "nan", "inf", "-inf", "1e13"],
        ),
        ("keys", &["0", "-1"]),
        ("zipf_exponent", &["0", "-1", "nan", "inf", "11"]),
        ("key_length", &["0", "-1", "65536", "4294967296"]),
        ("record_bytes", &["0", "-1", "\"1.5 gb\"", "\"2 gb\"", long]),
        ("jitter_ms", &["\"-1 s\"", "\"366 d\"", long]),
        ("out_of_orderness", &["\"-1 s\"", "\"366 d\"", long]),
        ("watermark_every_records", &["0", "-1"]),
        ("parallelism", &["0", "-1", "32769", long]),
        ("max_parallelism", &["0", "-1", "32769", long]),
        ("size", &["0", "\"-1 s\"", "\"366 d\"", long]),
        ("slide", &["0", "\"-1 s\"", "\"2 min\"", "1"]),
        ("offset_ms", &["\"-1 s\"", "\"10 s\"", long]),
        ("allowed_lateness", &["\"-1 s\"", "-1"]),
        ("gap", &["0", "\"-1 s\"", "\"366 d\"", long]),
        ("accumulator_bytes", &["0", "\"2 gb\""]),
        ("interval", &["0", "9", "\"-1 s\"", "\"1 ms\""]),
        ("max_state_size", &["0", "-1", "\"2 gb\"", "\"1 tb\""]),
    ];
    let mut problems = Vec::new();
    for &(key, values) in cases {
        let line = line_of(RICH, &format!("{key} ="));
        for v in values {
            let text: String = RICH
                .lines()
                .enumerate()
                .map(|(i, l)| {
                    if i + 1 == line {
                        format!("{key} = {v}\n")
                    } else {
                        format!("{l}\n")
                    }
                })
                .collect();
            let errs = match Scenario::parse(&text, Path::new("t.toml")) {
                Ok(_) => {
                    problems.push(format!("{key} = {v}: accepted"));
                    continue;
                }
                Err(Error::Scenario(errs)) => errs,
                Err(e) => {
                    problems.push(format!("{key} = {v}: {e}"));
                    continue;
                }
            };
            if !errs
                .iter()
                .any(|e| e.field.ends_with(key) && e.line == Some(line))
            {
                problems.push(format!(
                    "{key} = {v}: no error names `{key}` at line {line}: {errs:?}"
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The scenario's checkpoint bound is the one the simulation keeps as a
/// backstop, and a sweep point past it is invalid, named by its field.
#[test]
fn too_many_checkpoints_is_a_field_error_everywhere() {
    use statecap::scenario::validate;
    assert_eq!(
        validate::MAX_CHECKPOINTS,
        statecap::pipeline::MAX_CHECKPOINTS
    );
    let s = Scenario::load(&good()).unwrap();
    let mut t = s.clone();
    t.source.records = 1_000_000;
    t.checkpoints = statecap::scenario::CheckpointTrigger::EveryRecords(1);
    let broken = validate::check_scenario(&t).unwrap_err();
    assert_eq!(broken[0].0, "checkpoints.every_records");
    assert!(broken[0].1.contains("1000000 checkpoints"), "{broken:?}");
    // The count is the simulation's, checkpoint for checkpoint.
    for (records, eps, ms) in [(1000, 100.0, 10), (1001, 100.0, 10), (77_777, 333.3, 70)] {
        let trigger = statecap::scenario::CheckpointTrigger::Interval(ms);
        let mut u = s.clone();
        u.source.records = records;
        u.source.events_per_second = eps;
        u.checkpoints = trigger;
        let run = statecap::simulate(&u, &Default::default()).unwrap();
        assert_eq!(
            validate::checkpoint_count(trigger, records, eps),
            run.result().operators[0].checkpoints.len() as u64,
            "{records} records at {eps}/s, every {ms} ms"
        );
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
