//! Bad input is exit code 2, a message that names the file, the line and
//! the field, and no output at all.
//!
//! `tests/data/bad/*.toml` hold one mistake each. Each fixture says what
//! stderr must contain in `# expect:` comment lines: `{file}` stands for the
//! fixture's path, `{dir}` for its folder, and `a | b` accepts either.
//! Every fixture in the folder is run; adding one needs no code.

use crate::support::{files_under, manifest_dir, statecap, stderr, stdout, write};
use proptest::prelude::*;
use statecap::Scenario;
use std::path::{Path, PathBuf};

fn bad_fixtures() -> Vec<PathBuf> {
    let dir = manifest_dir().join("tests/data/bad");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    v.sort();
    assert!(
        v.len() >= 10,
        "expected at least 10 fixtures in {}",
        dir.display()
    );
    v
}

fn good_fixture() -> PathBuf {
    manifest_dir().join("tests/data/good.toml")
}

/// The `# expect:` lines of a fixture, placeholders filled in; each one a
/// list of alternatives.
fn expectations(fixture: &Path) -> Vec<Vec<String>> {
    // Lossy: a fixture may hold a byte that is not UTF-8 (its mistake).
    let text = String::from_utf8_lossy(&std::fs::read(fixture).expect("fixture text")).into_owned();
    let dir = fixture.parent().expect("fixture folder");
    text.lines()
        .filter_map(|l| l.strip_prefix("# expect:"))
        .map(|e| {
            e.split(" | ")
                .map(|alt| {
                    alt.trim()
                        .replace("{file}", &fixture.display().to_string())
                        .replace("{dir}", &dir.display().to_string())
                })
                .collect()
        })
        .collect()
}

#[test]
fn every_bad_fixture_exits_2_naming_file_line_and_field() {
    let mut problems = Vec::new();
    for fixture in bad_fixtures() {
        let name = fixture.file_name().unwrap().to_string_lossy().into_owned();
        let expect = expectations(&fixture);
        assert!(
            expect.len() >= 2
                && expect[0]
                    .iter()
                    .all(|a| a.contains(".toml:") || a.contains(".csv:")),
            "{name}: the first `# expect:` line must locate the mistake as path:LINE:"
        );
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        let o = statecap([
            "run".as_ref(),
            fixture.as_os_str(),
            "--out".as_ref(),
            out.as_os_str(),
        ]);
        let err = stderr(&o);
        if o.status.code() != Some(2) {
            problems.push(format!(
                "{name}: exit {:?}, not 2; stderr: {err}",
                o.status.code()
            ));
        }
        for alts in &expect {
            if !alts.iter().any(|a| err.contains(a.as_str())) {
                problems.push(format!(
                    "{name}: stderr lacks {alts:?}:\n    {}",
                    err.trim()
                ));
            }
        }
        if err.contains("panicked") {
            problems.push(format!("{name}: panicked: {err}"));
        }
        let written = files_under(&out);
        if !written.is_empty() {
            problems.push(format!("{name}: wrote {written:?}"));
        }
        if !stdout(&o).is_empty() {
            problems.push(format!("{name}: printed to stdout: {}", stdout(&o)));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Runs `statecap run <files> --out <tmp>/out`; returns the output and
/// what was written.
fn run_files(files: &[&Path]) -> (std::process::Output, Vec<PathBuf>) {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let mut args: Vec<&std::ffi::OsStr> = vec!["run".as_ref()];
    args.extend(files.iter().map(|f| f.as_os_str()));
    args.extend(["--out".as_ref(), out.as_os_str()]);
    let o = statecap(args);
    let written = files_under(&out);
    (o, written)
}

#[test]
fn a_good_and_a_bad_scenario_together_write_nothing() {
    let good = good_fixture();
    let bad = manifest_dir().join("tests/data/bad/slide_larger_than_size.toml");
    for files in [[&good, &bad], [&bad, &good]] {
        let (o, written) = run_files(&[files[0], files[1]]);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(
            stderr(&o).contains("slide_larger_than_size.toml:"),
            "{}",
            stderr(&o)
        );
        assert_eq!(written, Vec::<PathBuf>::new(), "nothing may be written");
        assert_eq!(stdout(&o), "", "nothing may be printed");
    }
    // The good one alone works (so the failure above is the bad one's).
    let (o, written) = run_files(&[&good]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!written.is_empty());
}

#[test]
fn a_bad_trace_after_a_good_scenario_writes_nothing() {
    // The trace is read when its scenario is simulated, after the good
    // scenario ran: still, no output directory may appear.
    let good = good_fixture();
    let bad = manifest_dir().join("tests/data/bad/bad_trace_line.toml");
    let (o, written) = run_files(&[&good, &bad]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("bad_trace_line.csv:4"),
        "{}",
        stderr(&o)
    );
    assert_eq!(written, Vec::<PathBuf>::new(), "nothing may be written");
}

#[test]
fn every_mistake_of_every_file_is_listed() {
    let a = manifest_dir().join("tests/data/bad/slide_larger_than_size.toml");
    let b = manifest_dir().join("tests/data/bad/parallelism_above_max.toml");
    let (o, written) = run_files(&[&a, &b]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("slide_larger_than_size.toml:23:"), "{err}");
    assert!(err.contains("parallelism_above_max.toml:17:"), "{err}");
    assert!(written.is_empty());

    // Two mistakes in one file: both reported, each at its line.
    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(good_fixture())
        .unwrap()
        .replace(
            "keys = 10\n",
            "keys = 10\nkey_distribution = \"zipf\"\nzipf_exponent = -1\n",
        )
        .replace(
            "assigner = \"tumbling\"",
            "assigner = \"sliding\"\nslide_ms = 5000",
        );
    let p = write(tmp.path(), "two.toml", &text);
    let line_of = |needle: &str| text.lines().position(|l| l.starts_with(needle)).unwrap() + 1;
    let (o, _) = run_files(&[&p]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    let shown = p.display();
    assert!(
        err.contains(&format!("{shown}:{}:", line_of("zipf_exponent")))
            && err.contains("`source.zipf_exponent`"),
        "{err}"
    );
    assert!(
        err.contains(&format!("{shown}:{}:", line_of("slide_ms")))
            && err.contains("`operator[0].slide_ms`"),
        "{err}"
    );
}

#[test]
fn a_missing_scenario_file_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("nowhere.toml");
    let (o, written) = run_files(&[&missing]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains(&missing.display().to_string()),
        "{}",
        stderr(&o)
    );
    assert!(written.is_empty());
}

#[test]
fn fixtures_fail_the_same_way_through_the_library() {
    // Scenario::load is what the CLI calls; the message is the error's
    // Display. (Trace lines are read later, by the simulation.)
    for fixture in bad_fixtures() {
        let name = fixture.file_name().unwrap().to_string_lossy().into_owned();
        match Scenario::load(&fixture) {
            Err(e) => {
                let first = &expectations(&fixture)[0];
                let msg = e.to_string();
                assert!(
                    first.iter().any(|a| msg.contains(a.as_str())),
                    "{name}: {msg} lacks {first:?}"
                );
            }
            Ok(s) => {
                assert!(
                    s.source.trace.is_some(),
                    "{name}: loads without error but has no trace to fail on"
                );
                let e = statecap::simulate(&s, &Default::default())
                    .map(statecap::Run::into_result)
                    .expect_err("the bad trace fails the simulation");
                assert!(
                    matches!(e, statecap::Error::Trace { line: Some(4), .. }),
                    "{e}"
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Scenario::parse never panics.

/// A valid scenario using every section and most fields, to mutate.
const RICH: &str = r#"name = "rich"
flink_version = "1.17.2"
seed = 7
description = "every section"

[source]
duration = "2 min"
events_per_second = 250.5
keys = 5000
key_distribution = "zipf"
zipf_exponent = 1.1
key_type = "string"
key_length = 8
record_bytes = { distribution = "lognormal", mean = 400, stddev = 150, min = 40, max = "4 kb" }
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
time = "event"
allowed_lateness = "5 s"
function = "process"

[[operator]]
name = "sessions"
kind = "window"
assigner = "session"
gap = "30 s"
function = "aggregate"
accumulator_bytes = 24

[state]
backend = "rocksdb"
timer_service = "heap"
incremental = true
compression = false

[checkpoints]
interval = "10 s"
storage = "jobmanager"
max_state_size = "5 mb"

[flink_conf]
"state.checkpoints.dir" = "file:///tmp/c"
"taskmanager.numberOfTaskSlots" = 4
"#;

/// Values that sit on edges of what the fields accept.
const EDGE_VALUES: &[&str] = &[
    "0",
    "-1",
    "1",
    "-9223372036854775808",
    "9223372036854775807",
    "1e300",
    "-1e300",
    "1e-300",
    "0.5",
    "nan",
    "inf",
    "-inf",
    "true",
    "\"\"",
    "\" \"",
    "\"0\"",
    "\"-5 s\"",
    "\"1.5 kb\"",
    "\"0.0001 ms\"",
    "\"99999999999999999999 tb\"",
    "\"1e400\"",
    "\"1.5\"",
    "\"2.99\"",
    "\"1.6.2\"",
    "\"héllo wörld ✓\"",
    "\"tumbling\"",
    "\"session\"",
    "\"zipf\"",
    "\"string\"",
    "[]",
    "[1, 2]",
    "{}",
    "{ distribution = \"normal\", mean = 0, stddev = 0 }",
    "{ distribution = \"uniform\", min = 10, max = 1 }",
    "{ distribution = \"lognormal\", mean = 1, stddev = 1e300 }",
    "1979-05-27T07:32:00Z",
];

/// Replaces the value of line `line` (if it is `key = value`).
fn replace_value(text: &str, line: usize, value: &str) -> String {
    text.lines()
        .enumerate()
        .map(|(i, l)| match l.split_once('=') {
            Some((k, _)) if i == line && !l.starts_with('#') => format!("{k}= {value}\n"),
            _ => format!("{l}\n"),
        })
        .collect()
}

fn parse(text: &str) -> Result<Scenario, statecap::Error> {
    Scenario::parse(text, Path::new("/nonexistent/fuzz.toml"))
}

#[test]
fn the_rich_scenario_is_valid() {
    let s = parse(RICH).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.operators.len(), 2);
}

#[test]
fn every_edge_value_in_every_field_is_an_error_or_a_scenario() {
    let lines = RICH.lines().count();
    let mut panics = Vec::new();
    for line in 0..lines {
        for v in EDGE_VALUES {
            let text = replace_value(RICH, line, v);
            if std::panic::catch_unwind(|| {
                let _ = parse(&text);
            })
            .is_err()
            {
                panics.push(format!(
                    "line {}: `{}` with value {v}",
                    line + 1,
                    RICH.lines().nth(line).unwrap()
                ));
            }
        }
    }
    assert!(
        panics.is_empty(),
        "Scenario::parse panicked on:\n{}",
        panics.join("\n")
    );
}

/// One edit of a scenario's text.
#[derive(Debug, Clone)]
enum Edit {
    Delete { at: usize, len: usize },
    Insert { at: usize, text: String },
    Value { line: usize, value: String },
    DuplicateLine { line: usize },
    DeleteLine { line: usize },
}

fn boundary(s: &str, at: usize) -> usize {
    let mut i = at % (s.len() + 1);
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn apply(text: &str, e: &Edit) -> String {
    let n_lines = text.lines().count().max(1);
    match e {
        Edit::Delete { at, len } => {
            let a = boundary(text, *at);
            let b = boundary(text, (a + len).min(text.len()));
            format!("{}{}", &text[..a], &text[b.max(a)..])
        }
        Edit::Insert { at, text: t } => {
            let a = boundary(text, *at);
            format!("{}{t}{}", &text[..a], &text[a..])
        }
        Edit::Value { line, value } => replace_value(text, line % n_lines, value),
        Edit::DuplicateLine { line } => text
            .lines()
            .enumerate()
            .flat_map(|(i, l)| {
                let n = if i == line % n_lines { 2 } else { 1 };
                std::iter::repeat_n(format!("{l}\n"), n)
            })
            .collect(),
        Edit::DeleteLine { line } => text
            .lines()
            .enumerate()
            .filter(|(i, _)| *i != line % n_lines)
            .map(|(_, l)| format!("{l}\n"))
            .collect(),
    }
}

fn edit() -> impl Strategy<Value = Edit> {
    let token = prop_oneof![
        "[a-z_]{1,12}",
        "[0-9]{1,25}",
        Just("=".to_string()),
        Just("\"".to_string()),
        Just("[".to_string()),
        Just("[[operator]]\n".to_string()),
        Just("]".to_string()),
        Just("\n".to_string()),
        Just("{".to_string()),
        Just(".".to_string()),
        "\\PC{0,6}",
    ];
    let value = prop_oneof![
        proptest::sample::select(EDGE_VALUES).prop_map(str::to_string),
        any::<i64>().prop_map(|v| v.to_string()),
        any::<f64>().prop_map(|v| format!("{v:?}")),
        "\"[0-9]{1,20}(\\.[0-9]{0,3})? ?(ns|us|ms|s|min|h|d|b|kb|mb|gb|tb|x)?\"",
    ];
    prop_oneof![
        (any::<usize>(), 1usize..40).prop_map(|(at, len)| Edit::Delete { at, len }),
        (any::<usize>(), token).prop_map(|(at, text)| Edit::Insert { at, text }),
        (any::<usize>(), value).prop_map(|(line, value)| Edit::Value { line, value }),
        any::<usize>().prop_map(|line| Edit::DuplicateLine { line }),
        any::<usize>().prop_map(|line| Edit::DeleteLine { line }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic_the_parser(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = parse(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn random_edits_of_a_valid_scenario_never_panic_the_parser(
        edits in proptest::collection::vec(edit(), 1..5)
    ) {
        let text = edits.iter().fold(RICH.to_string(), |t, e| apply(&t, e));
        let _ = parse(&text);
    }
}
