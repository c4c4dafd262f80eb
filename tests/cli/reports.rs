//! One report per command: `run`, `compare`, `check --report` and `sweep`
//! each write a self-contained `report.html` and a `report.md` on the seed
//! job, and what they say is checked against independent truth: the
//! per-checkpoint table against `timeline.csv` row by row, the JobManager
//! total against the sum of the subtasks' bytes, the job change's saving
//! against its two sides, the scenario's hash against `sha256sum`, the
//! date against `SOURCE_DATE_EPOCH`, the drift against the interval and
//! window worked by hand. Headless Chromium renders every page (skipped
//! without it unless `STATECAP_REQUIRE_BROWSER=1`); with
//! `STATECAP_SCREENSHOTS=DIR` the screenshots are kept there to look at.

use crate::report_html::{chromium, decode_png, headless, non_white};
use crate::support::{Table, manifest_dir, num, stderr};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// 2018-11-06 14:03:20 UTC, the day the seed job's checkpoint 20 failed.
const EPOCH: &str = "1541513000";
const DATE: &str = "2018-11-06 14:03 UTC";

fn seed() -> PathBuf {
    manifest_dir().join("scenarios/seed_flink16_memory_backend.toml")
}

/// Runs statecap with `SOURCE_DATE_EPOCH` set.
fn statecap_dated(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(crate::support::bin())
        .args(args)
        .env("NO_COLOR", "1")
        .env("SOURCE_DATE_EPOCH", EPOCH)
        .output()
        .expect("statecap runs")
}

/// Every command's report directory for the seed, written into `d`:
/// (command, directory). Also the run's own directory for timeline.csv.
fn all_reports(d: &Path) -> Vec<(&'static str, PathBuf)> {
    let s = seed();
    let out = d.join("out");
    let run = |args: &[&str], ok: &[i32]| {
        let mut v: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_ref()).collect();
        v.insert(1, s.as_os_str());
        let o = statecap_dated(&v);
        assert!(
            o.status.code().is_some_and(|c| ok.contains(&c)),
            "{args:?}: {}",
            stderr(&o)
        );
    };
    let o = out.to_str().unwrap();
    run(&["run", "--out", o, "-q"], &[0]);
    run(&["compare", "--out", o, "-q"], &[0]);
    // The gate fails (exit 1) and says so in its report too.
    run(&["check", "--report", o], &[1]);
    run(
        &["sweep", "--vary", "parallelism=8,16", "--out", o, "-q"],
        &[0],
    );
    let name = "seed_flink16_memory_backend";
    vec![
        ("run", out.join(name)),
        ("compare", out.join(format!("{name}-compare"))),
        ("check", out.join(format!("{name}-check"))),
        ("sweep", out.join(format!("{name}-sweep"))),
    ]
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// `6,116,987` → 6116987 (the number a table cell starts with).
fn leading(cell: &str) -> u64 {
    let digits: String = cell
        .trim()
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == ',')
        .filter(|c| *c != ',')
        .collect();
    digits
        .parse()
        .unwrap_or_else(|_| panic!("no number in '{cell}'"))
}

fn grouped(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The rows of the Markdown table whose head starts with `first`.
fn md_table(md: &str, first: &str) -> Vec<Vec<String>> {
    let mut lines = md
        .lines()
        .skip_while(|l| !l.starts_with(&format!("| {first} |")));
    let head = lines.next().unwrap_or_else(|| panic!("no table '{first}'"));
    assert!(head.starts_with('|'));
    lines
        .skip(1)
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            l.trim_matches('|')
                .split(" | ")
                .map(|c| c.trim().to_string())
                .collect()
        })
        .collect()
}

/// Per checkpoint from timeline.csv: (largest subtask, its bytes, the sum,
/// failed), the subtask with the most bytes, ties to the lowest index.
fn truth(csv: &Table) -> BTreeMap<u64, (u64, u64, u64, bool)> {
    let mut m: BTreeMap<u64, (u64, u64, u64, bool)> = BTreeMap::new();
    for r in &csv.rows {
        let (cp, st, b) = (
            num(r, "checkpoint"),
            num(r, "subtask"),
            num(r, "state_bytes"),
        );
        let e = m.entry(cp).or_insert((st, b, 0, false));
        if b > e.1 || (b == e.1 && st < e.0) {
            e.0 = st;
            e.1 = b;
        }
        e.2 += b;
        e.3 = r["checkpoint_status"] == "failed";
    }
    m
}

fn sha256(p: &Path) -> String {
    let o = Command::new("sha256sum")
        .arg(p)
        .output()
        .expect("sha256sum");
    String::from_utf8_lossy(&o.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

#[test]
fn every_command_writes_a_report_that_agrees_with_the_run() {
    let d = tempfile::tempdir().unwrap();
    let reports = all_reports(d.path());
    let csv = Table::read(&reports[0].1.join("timeline.csv"));
    let by_cp = truth(&csv);
    let hash = sha256(&seed());
    let json: serde_json::Value =
        serde_json::from_str(&read(&reports[0].1.join("summary.json"))).unwrap();
    let first_failure = json["operators"][0]["failures"][0]["message"]
        .as_str()
        .unwrap()
        .to_string();
    // The JobManager holds every subtask's snapshot: the largest sum.
    let (jm_cp, jm_total) = by_cp
        .iter()
        .map(|(cp, t)| (*cp, t.2))
        .max_by_key(|x| x.1)
        .unwrap();
    let peak = by_cp.values().map(|t| t.1).max().unwrap();
    let exact = csv
        .rows
        .iter()
        .filter(|r| r["bytes_are"] == "exact")
        .count();

    for (cmd, dir) in &reports {
        let html = read(&dir.join("report.html"));
        let md = read(&dir.join("report.md"));
        let what = |f: &str| format!("{cmd}: {f}");

        // Self-contained.
        assert!(html.starts_with("<!DOCTYPE html>"), "{}", what("html"));
        for bad in ["<script", "<link", "<img"] {
            assert!(!html.contains(bad), "{}", what(bad));
        }
        assert_eq!(html.matches("@font-face").count(), 1, "{}", what("font"));
        // Every chart report.md links is beside it.
        for l in md.lines().filter(|l| l.starts_with("![")) {
            let f = &l[l.find("](").unwrap() + 2..l.len() - 1];
            assert!(dir.join(f).is_file(), "{}", what(f));
        }
        for id in [
            "verdict",
            "brief",
            "drift",
            "recommendation",
            "checkpoints",
            "jobmanager",
            "limits",
            "assumptions",
            "configuration",
            "about",
        ] {
            assert!(
                html.contains(&format!("<section id=\"{id}\"")),
                "{}",
                what(id)
            );
        }

        // The verdict with Flink's own log line.
        let log = format!("java.io.IOException: {first_failure}");
        assert!(md.contains(&log), "{}", what("Flink's log line"));
        assert!(
            html.contains(&log.replace('\'', "&#39;")),
            "{}",
            what("log line in html")
        );

        // The per-checkpoint table equals timeline.csv, folded away.
        assert!(
            html.contains(
                "<details><summary>operator &#39;user-window&#39;: 29 checkpoints, 5 failed"
            ),
            "{}",
            what("collapsible table")
        );
        let rows = md_table(&md, "checkpoint");
        assert_eq!(rows.len(), by_cp.len(), "{}", what("rows"));
        for r in &rows {
            let cp: u64 = r[0].parse().unwrap();
            let (st, b, total, failed) = by_cp[&cp];
            assert_eq!(
                r[3].parse::<u64>().unwrap(),
                st,
                "{} cp {cp}",
                what("subtask")
            );
            assert_eq!(leading(&r[4]), b, "{} cp {cp}", what("bytes"));
            assert_eq!(leading(&r[6]), total, "{} cp {cp}", what("total"));
            assert_eq!(
                r.last().unwrap().starts_with("FAILED"),
                failed,
                "{} cp {cp}",
                what("status")
            );
        }

        // The recommendation with the job change and what it saves.
        assert!(
            md.contains("For Flink 1.6: **filesystem**."),
            "{}",
            what("option")
        );
        assert!(html.contains("For Flink 1.6: <b>filesystem</b>."));
        assert!(md.contains("state.backend: filesystem"), "{}", what("conf"));
        let change = md_table(&md, "change");
        let pre = change
            .iter()
            .find(|r| r[0].starts_with("pre-aggregate incrementally"))
            .unwrap_or_else(|| panic!("{}", what("pre-aggregate")));
        let (before, after, saved) = (leading(&pre[1]), leading(&pre[2]), leading(&pre[3]));
        assert_eq!(before, peak, "{}", what("the change starts from the peak"));
        assert_eq!(saved, before - after, "{}", what("saving"));
        assert!(after < before / 10, "{}", what("pre-aggregating shrinks"));

        // The drift, worked by hand: 10.2 s = 2 × 5 s + 0.2 s; the phase
        // repeats every 5000 / gcd(10200, 5000) = 5000 / 200 = 25 barriers.
        assert!(
            md.contains("10.2 s = 2 × 5 s + 200 ms")
                && md.contains("lands 200 ms later")
                && md.contains("Every 25 checkpoints"),
            "{}",
            what("drift")
        );
        // The drop it names is in timeline.csv: checkpoint 25 under half of 24.
        assert!(by_cp[&25].1 * 2 < by_cp[&24].1);
        assert!(md.contains("at checkpoint 24 to") && md.contains("at checkpoint 25."));
        assert!(
            md.contains("% of checkpoints fail"),
            "{}",
            what("failing share")
        );

        // The JobManager: the sum over subtasks, and the frame size.
        assert!(
            md.contains(&format!(
                "{} ({}) at checkpoint {jm_cp}",
                grouped(jm_total),
                "44.6 MiB"
            )),
            "{}: JobManager total {jm_total} at {jm_cp}",
            cmd
        );
        assert!(
            md.contains("`akka.framesize` = 10.0 MiB"),
            "{}",
            what("frame")
        );

        // Every limit with its value and source.
        let limits = md_table(&md, "limit");
        let state = limits
            .iter()
            .find(|r| r[0].starts_with("state per subtask"))
            .unwrap();
        assert_eq!(leading(&state[1]), 5 * 1024 * 1024);
        assert!(state[2].contains("DEFAULT_MAX_STATE_SIZE") && state[5] == "FAILS");
        assert!(limits.iter().any(|r| r[0].starts_with("RPC frame")
            && leading(&r[1]) == 10_485_760
            && r[2].contains("akka.framesize")));
        assert!(limits.iter().any(|r| r[0] == "checkpoint timeout"));

        // Assumptions: exact vs estimated, as timeline.csv's bytes_are.
        assert!(
            md.contains(&format!("{exact} of {} exact", csv.rows.len())),
            "{}",
            what("bytes_are")
        );
        assert!(md.contains("Record sizes: log-normal, mean 1.0 KiB"));
        assert!(md.contains("Mode: exact"));

        // Version, hash and date.
        for text in [&md, &html] {
            assert!(text.contains(&hash), "{}", what("sha256"));
            assert!(text.contains(DATE), "{}", what("date"));
            assert!(
                text.contains(&format!("statecap {}", env!("CARGO_PKG_VERSION"))),
                "{}",
                what("version")
            );
        }
        assert!(md.starts_with(&format!("# statecap {cmd}: seed_flink16_memory_backend")));
    }
    // What only one command says.
    let by = |c: &str| {
        read(
            &reports
                .iter()
                .find(|r| r.0 == c)
                .unwrap()
                .1
                .join("report.md"),
        )
    };
    let compare = by("compare");
    assert!(compare.contains("## Every backend option on the same traffic"));
    assert!(compare.contains("% of the JobManager limit 5.0 MiB"));
    let check = by("check");
    assert!(check.contains("**statecap check**: FAIL seed_flink16_memory_backend"));
    assert!(check.contains("Exit code 1; decided at"));
    let sweep = by("sweep");
    assert!(sweep.contains("## The sweep"));
    assert!(sweep.contains("![capacity_parallelism](capacity_parallelism.svg)"));
    assert!(sweep.contains("| parallelism | largest subtask |"));
}

#[test]
fn reports_are_the_same_bytes_twice_with_source_date_epoch() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let (ra, rb) = (all_reports(a.path()), all_reports(b.path()));
    for ((cmd, x), (_, y)) in ra.iter().zip(&rb) {
        for f in ["report.html", "report.md", "timeline.svg"] {
            assert!(
                std::fs::read(x.join(f)).unwrap() == std::fs::read(y.join(f)).unwrap(),
                "{cmd}: {f} differs between two runs"
            );
        }
    }
}

#[test]
fn a_bad_source_date_epoch_is_refused_before_anything_is_written() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("out");
    let o = Command::new(crate::support::bin())
        .args([
            "run".as_ref(),
            seed().as_os_str(),
            "--out".as_ref(),
            out.as_os_str(),
        ])
        .env("SOURCE_DATE_EPOCH", "yesterday")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("SOURCE_DATE_EPOCH"), "{}", stderr(&o));
    assert!(!out.exists());
}

#[test]
fn chromium_renders_every_commands_report() {
    let Some(browser) = chromium("chromium_renders_every_commands_report") else {
        return;
    };
    let d = tempfile::tempdir().unwrap();
    let keep = std::env::var_os("STATECAP_SCREENSHOTS").map(PathBuf::from);
    for (cmd, dir) in all_reports(d.path()) {
        let page = dir.join("report.html");
        let dom = headless(&browser, &page, &["--dump-dom".to_string()]);
        assert!(
            dom.contains(&format!("statecap {cmd}: seed_flink16_memory_backend")),
            "{cmd}: title"
        );
        assert!(dom.contains("<details>"), "{cmd}: the folded table");
        assert!(
            dom.contains("id=\"chart-timeline\""),
            "{cmd}: timeline inline"
        );
        let shot = d.path().join(format!("{cmd}.png"));
        headless(
            &browser,
            &page,
            &[
                format!("--screenshot={}", shot.display()),
                "--window-size=1200,2400".to_string(),
            ],
        );
        let (w, h, n, px) = decode_png(&std::fs::read(&shot).unwrap());
        assert_eq!((w, h), (1200, 2400));
        let ink = non_white(&px, n);
        assert!(ink > 150_000, "{cmd}: nearly blank ({ink})");
        if let Some(k) = &keep {
            std::fs::create_dir_all(k).unwrap();
            std::fs::copy(&shot, k.join(format!("{cmd}.png"))).unwrap();
        }
    }
}
