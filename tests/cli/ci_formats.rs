//! `check --format`: the same verdicts as text, JSON, JUnit XML (validated
//! against Jenkins' `junit-10.xsd` with `xmllint`) and GitHub Actions
//! workflow commands pointing at the scenario line that decides them; exit
//! codes the same in every format.

use crate::support::{manifest_dir, statecap, stderr, stdout, write};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A small job on Flink 1.6: `{state}` picks what holds it, `{trigger}`
/// its checkpoints; the operator's name has every character XML escapes.
const SCENARIO: &str = r#"
name = "{name}"
flink_version = "1.6.2"
seed = 7

[source]
duration = "60 s"
events_per_second = 2000
keys = 5000
record_bytes = 1000

[job]
parallelism = 2

[[operator]]
name = "win <&> 'q' \"dq\""
kind = "window"
assigner = "tumbling"
size = "10 s"
time = "processing"
function = "apply"

{state}

[checkpoints]
{trigger}
"#;

fn scenario(dir: &Path, name: &str, state: &str, trigger: &str) -> PathBuf {
    let text = SCENARIO
        .replace("{name}", name)
        .replace("{state}", state)
        .replace("{trigger}", trigger);
    write(dir, &format!("{name}.toml"), &text)
}

/// Three scenarios: one that fails (the 1.6 default memory backend with a
/// checkpoint directory), one that holds (filesystem storage), one without a
/// checkpoint inside the run.
fn three(dir: &Path) -> [PathBuf; 3] {
    [
        scenario(
            dir,
            "fails",
            "[flink_conf]\n\"state.checkpoints.dir\" = \"hdfs:///flink/checkpoints\"",
            "interval = \"7 s\"",
        ),
        scenario(
            dir,
            "holds",
            "[state]\nbackend = \"filesystem\"\n[flink_conf]\n\
             \"state.checkpoints.dir\" = \"hdfs:///flink/checkpoints\"",
            "interval = \"7 s\"",
        ),
        scenario(dir, "no_checkpoint", "", "interval = \"2 min\""),
    ]
}

fn check(files: &[&Path], format: &str) -> std::process::Output {
    let mut args: Vec<&std::ffi::OsStr> = vec!["check".as_ref()];
    args.extend(files.iter().map(|f| f.as_os_str()));
    args.push(std::ffi::OsStr::new("--format"));
    args.push(std::ffi::OsStr::new(format));
    statecap(args)
}

/// The 1-based line of the first line of `file` containing `needle`.
fn line_of(file: &Path, needle: &str) -> usize {
    std::fs::read_to_string(file)
        .unwrap()
        .lines()
        .position(|l| l.contains(needle))
        .map(|i| i + 1)
        .unwrap_or_else(|| panic!("{needle} not in {}", file.display()))
}

#[test]
fn every_format_exits_as_text_does() {
    let d = tempfile::tempdir().unwrap();
    let [fails, holds, none] = three(d.path());
    for (files, code) in [
        (vec![holds.as_path()], 0),
        (vec![fails.as_path()], 1),
        (vec![none.as_path()], 2),
        (vec![holds.as_path(), fails.as_path()], 1),
        (vec![fails.as_path(), none.as_path()], 2),
    ] {
        for format in ["text", "json", "junit", "github"] {
            let o = check(&files, format);
            assert_eq!(
                o.status.code(),
                Some(code),
                "{format} {files:?}: {}",
                stderr(&o)
            );
        }
    }
}

#[test]
fn json_carries_each_verdict_and_where_it_is_decided() {
    let d = tempfile::tempdir().unwrap();
    let [fails, holds, none] = three(d.path());
    let o = check(&[&fails, &holds, &none], "json");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("one JSON document");
    assert_eq!(v["exit_code"], 2);
    let s = v["scenarios"].as_array().unwrap();
    assert_eq!(s.len(), 3);
    assert_eq!(s[0]["status"], "fails");
    assert_eq!(s[0]["backend"], "memory");
    assert_eq!(s[0]["limit_bytes"], 5_242_880);
    assert!(s[0]["largest_subtask_bytes"].as_u64().unwrap() > 5_242_880);
    assert_eq!(s[0]["field"], "flink_conf.state.checkpoints.dir");
    assert_eq!(
        s[0]["line"].as_u64().unwrap() as usize,
        line_of(&fails, "state.checkpoints.dir")
    );
    assert_eq!(s[1]["status"], "holds");
    assert_eq!(s[1]["exit_code"], 0);
    assert_eq!(s[1]["field"], "state.backend");
    assert_eq!(s[2]["status"], "cannot_check");
    assert_eq!(s[2]["field"], "checkpoints.interval");
    assert_eq!(
        s[2]["line"].as_u64().unwrap() as usize,
        line_of(&none, "interval = ")
    );
    // The message is the text form's.
    let text = stdout(&check(&[&fails], "text"));
    assert_eq!(format!("{}\n", s[0]["message"].as_str().unwrap()), text);
}

/// `xmllint`, or `None` (then the test says so) unless
/// `STATECAP_REQUIRE_XMLLINT=1` (set by `.ci/run`, which installs it).
fn xmllint() -> Option<&'static str> {
    let found = Command::new("xmllint")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if found {
        return Some("xmllint");
    }
    assert!(
        std::env::var_os("STATECAP_REQUIRE_XMLLINT").is_none(),
        "xmllint is required (STATECAP_REQUIRE_XMLLINT is set) but not found: \
         apt-get install libxml2-utils"
    );
    eprintln!("skipped: xmllint not found (apt-get install libxml2-utils)");
    None
}

#[test]
fn junit_validates_against_the_jenkins_schema() {
    let d = tempfile::tempdir().unwrap();
    let [fails, holds, none] = three(d.path());
    let o = check(&[&fails, &holds, &none], "junit");
    let xml = stdout(&o);
    // Counts and elements, read without a parser: one suite per scenario.
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"));
    assert!(
        xml.contains(
            "<testsuites name=\"statecap check\" tests=\"3\" failures=\"1\" errors=\"1\">"
        ),
        "{xml}"
    );
    assert_eq!(xml.matches("<testsuite ").count(), 3);
    assert_eq!(xml.matches("<failure ").count(), 1);
    assert_eq!(xml.matches("<error ").count(), 1);
    // The operator's name, escaped.
    assert!(
        xml.contains("win &lt;&amp;&gt; &apos;q&apos; &quot;dq&quot;"),
        "{xml}"
    );
    assert!(!xml.contains("win <&>"));
    let Some(lint) = xmllint() else { return };
    let out = d.path().join("check.xml");
    std::fs::write(&out, &xml).unwrap();
    let schema = manifest_dir().join("tests/data/junit/junit-10.xsd");
    let v = Command::new(lint)
        .arg("--noout")
        .arg("--schema")
        .arg(&schema)
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        v.status.success(),
        "xmllint: {}{}\n{xml}",
        String::from_utf8_lossy(&v.stdout),
        String::from_utf8_lossy(&v.stderr)
    );
    // The schema is not vacuous: a report without the required counts fails it.
    std::fs::write(&out, xml.replace(" tests=\"1\"", "")).unwrap();
    let bad = Command::new(lint)
        .arg("--noout")
        .arg("--schema")
        .arg(&schema)
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        !bad.status.success(),
        "a testsuite without `tests` must not validate"
    );
}

/// One workflow command: `::cmd prop=v,prop=v::message`, decoded as the
/// Actions runner decodes it (actions/toolkit, command.ts).
fn parse_command(line: &str) -> (String, Vec<(String, String)>, String) {
    let rest = line.strip_prefix("::").expect("starts with ::");
    let (head, data) = rest.split_once("::").expect("a second ::");
    let (cmd, props) = head.split_once(' ').unwrap_or((head, ""));
    let unescape = |s: &str| {
        s.replace("%0D", "\r")
            .replace("%0A", "\n")
            .replace("%3A", ":")
            .replace("%2C", ",")
            .replace("%25", "%")
    };
    let props = props
        .split(',')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').expect("key=value");
            (k.to_string(), unescape(v))
        })
        .collect();
    (cmd.to_string(), props, unescape(data))
}

#[test]
fn github_annotations_point_at_the_deciding_line() {
    let d = tempfile::tempdir().unwrap();
    let [fails, holds, none] = three(d.path());
    let o = check(&[&fails, &holds, &none], "github");
    let text = stdout(&o);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines.len(),
        3,
        "one command per scenario, on one line each:\n{text}"
    );
    let want = [
        ("error", &fails, line_of(&fails, "state.checkpoints.dir")),
        ("notice", &holds, line_of(&holds, "backend = ")),
        ("error", &none, line_of(&none, "interval = ")),
    ];
    for (line, (cmd, file, at)) in lines.iter().zip(want) {
        let (c, props, message) = parse_command(line);
        assert_eq!(c, cmd, "{line}");
        let get = |k: &str| props.iter().find(|(p, _)| p == k).map(|(_, v)| v.clone());
        assert_eq!(
            get("file").as_deref(),
            Some(file.to_str().unwrap()),
            "{line}"
        );
        assert_eq!(get("line"), Some(at.to_string()), "{line}");
        assert_eq!(get("col").as_deref(), Some("1"), "{line}");
        assert!(get("title").unwrap().starts_with("statecap: "), "{line}");
        // The message is the text verdict (and, for a failure, why the
        // backend is what it is).
        let verdict = stdout(&check(&[file], "text"));
        assert!(
            message.starts_with(verdict.trim_end()),
            "{message}\n---\n{verdict}"
        );
    }
    let (_, _, failing) = parse_command(lines[0]);
    assert!(
        failing.contains("Flink 1.6 defaults to MemoryStateBackend"),
        "{failing}"
    );
}
