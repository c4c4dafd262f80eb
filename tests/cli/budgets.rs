//! Resource budgets: hostile or huge but valid inputs either finish within
//! 10 s and 2 GiB with output a person can use, or are refused up front
//! (exit 2) with the reason, the numbers and the flag that overrides.
//!
//! Each input runs as a process of its own (the CLI, or this test binary
//! running one ignored test), under a 6 GiB address-space limit as a
//! safety net; its wall time is measured and its peak resident memory read
//! from `/proc/<pid>/status` (`VmHWM`) while it runs. The tests of this
//! module take a lock, so that one heavy input does not slow another.

use crate::support::{bin, manifest_dir, stderr, stdout, write};
use statecap::Scenario;
use statecap::pipeline::{self, Budget, Mode, RunOptions};
use statecap::sim::{self, OperatorSpec, RunStats, Snapshot};
use statecap::workload::{KeyLayout, TOUCHED_MIN_KEYS, Workload};
use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What an input may take.
const SECONDS: f64 = 10.0;
const BYTES: u64 = 2 << 30;

/// One input at a time.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner())
}

/// A finished process, its wall time and its peak resident memory.
struct Measured {
    out: Output,
    secs: f64,
    peak: u64,
}

impl Measured {
    /// Asserts it stayed within [`SECONDS`] and [`BYTES`].
    fn within_budget(&self, what: &str) -> &Self {
        let peak = match self.peak {
            0 => "exited before its memory was sampled".to_string(),
            p => format!("peak {:.1} MiB", p as f64 / (1 << 20) as f64),
        };
        eprintln!(
            "{what}: {:.2} s, {peak}, exit {:?}",
            self.secs,
            self.out.status.code()
        );
        assert!(
            self.secs < SECONDS,
            "{what}: took {:.1} s (budget {SECONDS} s)\n{}",
            self.secs,
            stderr(&self.out)
        );
        assert!(
            self.peak < BYTES,
            "{what}: peak {} MiB (budget 2 GiB)",
            self.peak >> 20
        );
        self
    }

    fn code(&self) -> Option<i32> {
        self.out.status.code()
    }
}

/// Peak resident memory of a running process, bytes.
fn vm_hwm(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Runs `program` with `args` under a 6 GiB address-space limit, its
/// output to files, polling its peak memory until it exits.
fn measure<S: AsRef<OsStr>>(program: &Path, args: &[S]) -> Measured {
    let dir = tempfile::tempdir().unwrap();
    let (o, e) = (dir.path().join("out"), dir.path().join("err"));
    let t0 = Instant::now();
    let mut child = Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 6291456; exec \"$0\" \"$@\"")
        .arg(program)
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&o).unwrap())
        .stderr(std::fs::File::create(&e).unwrap())
        .spawn()
        .expect("sh runs");
    let pid = child.id();
    let mut peak = 0;
    let status = loop {
        if let Some(hwm) = vm_hwm(pid) {
            peak = peak.max(hwm);
        }
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let secs = t0.elapsed().as_secs_f64();
    Measured {
        out: Output {
            status,
            stdout: std::fs::read(&o).unwrap(),
            stderr: std::fs::read(&e).unwrap(),
        },
        secs,
        peak,
    }
}

/// `statecap args...`, measured.
fn statecap_measured<S: AsRef<OsStr>>(args: &[S]) -> Measured {
    measure(Path::new(bin()), args)
}

/// A scenario: `[source]` lines, parallelism, `[checkpoints]` lines and
/// operators (each a `[[operator]]` body).
fn scenario(name: &str, source: &str, parallelism: u32, checkpoints: &str, ops: &[&str]) -> String {
    let mut t = format!(
        "name = \"{name}\"\nflink_version = \"1.20\"\nseed = 11\n\n[source]\n{source}\n\
         record_bytes = 100\n\n[job]\nparallelism = {parallelism}\n\n[checkpoints]\n{checkpoints}\n"
    );
    for (i, op) in ops.iter().enumerate() {
        t.push_str(&format!(
            "\n[[operator]]\nname = \"op{i}\"\nkind = \"window\"\n{op}\n"
        ));
    }
    t
}

const TUMBLING_AGG: &str =
    "assigner = \"tumbling\"\nsize = \"10 s\"\nfunction = \"aggregate\"\naccumulator_bytes = 32";
const TUMBLING_PROCESS: &str = "assigner = \"tumbling\"\nsize = \"10 s\"\nfunction = \"process\"";

/// Rows of a CSV file (without its header).
fn csv_rows(path: &Path) -> usize {
    let mut r = csv::Reader::from_path(path).unwrap();
    r.records().count()
}

/// Bytes of every file under `dir`.
fn dir_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.metadata().map_or(0, |m| m.len()))
        .sum()
}

// ------------------------------------------------ 1. huge declared key spaces

#[test]
fn declared_key_spaces_of_billions_cost_what_the_records_touch() {
    let _one = serial();
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("keys_2_32", "keys = 4294967296\nkey_type = \"long\""),
        (
            "keys_1e9_strings",
            "keys = 1_000_000_000\nkey_type = \"string\"\nkey_length = 12",
        ),
        (
            "keys_1e15_zipf",
            "keys = 1_000_000_000_000_000\nkey_distribution = \"zipf\"\nzipf_exponent = 1.1",
        ),
    ];
    for (name, keys) in cases {
        let file = write(
            dir.path(),
            &format!("{name}.toml"),
            &scenario(
                name,
                &format!("records = 100_000\nevents_per_second = 1000\n{keys}"),
                4,
                "interval = \"10 s\"",
                &[TUMBLING_AGG],
            ),
        );
        let out = dir.path().join("out");
        let m = statecap_measured(&[
            "run".as_ref(),
            file.as_os_str(),
            "--out".as_ref(),
            out.as_os_str(),
        ]);
        m.within_budget(name);
        assert_eq!(m.code(), Some(0), "{name}: {}", stderr(&m.out));
        assert!(
            stdout(&m.out).contains("mode: exact"),
            "{name}: {}",
            stdout(&m.out)
        );
        assert_eq!(csv_rows(&out.join(name).join("timeline.csv")), 9 * 4);
    }
}

fn snapshots(s: &Scenario, layout: KeyLayout, parts: usize) -> (Vec<Snapshot>, RunStats) {
    let w = Workload::with_layout(s, layout).unwrap();
    assert_eq!(w.layout, layout);
    let spec = OperatorSpec::new(s, 0);
    let mut snaps = Vec::new();
    let stats = if parts > 1 {
        let owner = sim::partition(&w.key_group_weights(s.max_parallelism), parts);
        sim::simulate_partitioned(
            &spec,
            &w.keys,
            w.records,
            w.input(),
            &owner,
            &mut |snap| snaps.push(snap.clone()),
            &|_| {},
        )
    } else {
        sim::simulate(
            &spec,
            &w.keys,
            w.records,
            w.input(),
            &mut |snap| snaps.push(snap.clone()),
            &|_| {},
        )
    };
    (snaps, stats)
}

#[test]
fn touched_and_declared_key_layouts_give_the_same_snapshots() {
    let _one = serial();
    let ops = [
        TUMBLING_AGG,
        "assigner = \"sliding\"\nsize = \"6 s\"\nslide = \"2 s\"\nfunction = \"process\"",
        "assigner = \"session\"\ngap = \"1 s\"\nfunction = \"reduce\"",
        "assigner = \"tumbling\"\nsize = \"5 s\"\ntime = \"processing\"\nfunction = \"reduce\"",
    ];
    let sources = [
        "key_type = \"long\"",
        "key_distribution = \"zipf\"\nzipf_exponent = 1.2\nkey_type = \"int\"",
        "key_type = \"string\"\nkey_length = 10\njitter_ms = 300\nout_of_orderness_ms = 200",
    ];
    // Just below and just above the key space where `Workload::new` holds
    // only the touched keys: both computed both ways.
    for keys in [TOUCHED_MIN_KEYS, TOUCHED_MIN_KEYS + 1] {
        for (i, op) in ops.iter().enumerate() {
            let src = sources[i % sources.len()];
            let text = scenario(
                "layouts",
                &format!("records = 60_000\nevents_per_second = 2000\nkeys = {keys}\n{src}"),
                3,
                "interval = \"3 s\"",
                &[op],
            );
            let s = Scenario::parse(&text, Path::new("layouts.toml")).unwrap();
            let picked = Workload::new(&s).unwrap().layout;
            let expect = if keys > TOUCHED_MIN_KEYS {
                KeyLayout::Touched
            } else {
                KeyLayout::Declared
            };
            assert_eq!(picked, expect, "{keys} keys");
            for parts in [1, 2] {
                let declared = snapshots(&s, KeyLayout::Declared, parts);
                let touched = snapshots(&s, KeyLayout::Touched, parts);
                assert!(declared.0.len() >= 9, "{keys} keys, op {i}: checkpoints");
                assert_eq!(
                    declared, touched,
                    "{keys} keys, op {i}, {parts} partitions: the layouts differ"
                );
            }
        }
    }
}

// ------------------------------------------------ 2. names of megabytes

#[test]
fn names_of_megabytes_are_cut_to_the_charts_width() {
    let _one = serial();
    let me = std::env::current_exe().unwrap();
    let m = measure(
        &me,
        &[
            "budgets::long_names_render",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ],
    );
    m.within_budget("3 MB scenario name, 2 MB operator name");
    assert_eq!(m.code(), Some(0), "{}\n{}", stdout(&m.out), stderr(&m.out));
    assert!(
        stdout(&m.out).contains("1 passed"),
        "the child test ran: {}",
        stdout(&m.out)
    );
}

/// The outputs of a scenario whose names are megabytes long (validation
/// bounds names; charts must not rely on it). Run by
/// `names_of_megabytes_are_cut_to_the_charts_width` as a process of its own.
#[test]
#[ignore = "run as a child process by names_of_megabytes_are_cut_to_the_charts_width"]
fn long_names_render() {
    let text = std::fs::read_to_string(manifest_dir().join("tests/data/good.toml")).unwrap();
    let mut s = Scenario::parse(&text, Path::new("good.toml")).unwrap();
    s.name = "n".repeat(3_000_000);
    s.operators[0].name = "o".repeat(2_000_000);
    let r = pipeline::simulate(&s, &RunOptions::default())
        .unwrap()
        .into_result();
    let files = statecap::report::render_outputs(&s, &r).unwrap();
    for (name, bytes) in &files {
        if name.ends_with(".svg") {
            // The chart's texts are cut to its width: a few hundred
            // characters of each name, not megabytes.
            let text = String::from_utf8_lossy(bytes);
            let longest = text
                .split(|c: char| c != 'n' && c != 'o')
                .map(str::len)
                .max()
                .unwrap_or(0);
            assert!(longest < 1000, "{name}: a run of {longest} name characters");
        }
        if name.ends_with(".png") {
            assert!(bytes.len() < 2 << 20, "{name}: {} bytes", bytes.len());
        }
    }
}

// ------------------------------------------------ 3. configuration files

#[test]
fn yaml_alias_bombs_and_huge_configuration_files_are_refused() {
    let _one = serial();
    let dir = tempfile::tempdir().unwrap();
    // Billion laughs: nine levels of nine aliases.
    let mut bomb =
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
            .to_string();
    let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"];
    for w in names.windows(2) {
        let refs = vec![format!("*{}", w[0]); 9].join(",");
        bomb.push_str(&format!("{}: &{} [{refs}]\n", w[1], w[1]));
    }
    let bomb_dir = dir.path().join("bomb");
    std::fs::create_dir(&bomb_dir).unwrap();
    let bomb_file = write(&bomb_dir, "config.yaml", &bomb);
    let good = manifest_dir().join("tests/data/good.toml");
    let runs: [Vec<&OsStr>; 2] = [
        vec![
            "explain-config".as_ref(),
            bomb_file.as_os_str(),
            "--flink-version".as_ref(),
            "2.0".as_ref(),
        ],
        vec![
            "run".as_ref(),
            good.as_os_str(),
            "--flink-conf".as_ref(),
            bomb_file.as_os_str(),
            "--out".as_ref(),
            dir.path().as_os_str(),
        ],
    ];
    for args in &runs {
        let m = statecap_measured(args);
        m.within_budget("billion laughs");
        assert!(m.secs < 1.0, "refused at once, not after {:.1} s", m.secs);
        assert_eq!(m.code(), Some(2));
        let e = stderr(&m.out);
        assert!(
            e.contains("config.yaml: line ") && e.contains("aliases expand") && e.contains("MiB"),
            "{e}"
        );
    }
    // Files over 1 MiB, in either format.
    for (version, name) in [("1.17", "flink-conf.yaml"), ("2.0", "config.yaml")] {
        let d = dir.path().join(version);
        std::fs::create_dir(&d).unwrap();
        let line = "state.checkpoints.num-retained: 1\n# padding padding padding\n";
        let big = write(&d, name, &line.repeat((1 << 20) / line.len() + 100));
        let m = statecap_measured(&[
            "explain-config".as_ref(),
            big.as_os_str(),
            "--flink-version".as_ref(),
            version.as_ref(),
        ]);
        m.within_budget("a configuration file over 1 MiB");
        assert_eq!(m.code(), Some(2));
        let e = stderr(&m.out);
        assert!(
            e.contains(&format!("{name}: line ")) && e.contains("1 MiB"),
            "{e}"
        );
    }
}

// ------------------------------------------------ 4. valid but heavy

#[test]
fn a_checkpoint_every_millisecond_at_parallelism_64() {
    let _one = serial();
    let dir = tempfile::tempdir().unwrap();
    let ckpt = |name: &str, interval: &str| {
        write(
            dir.path(),
            &format!("{name}.toml"),
            &scenario(
                name,
                "duration = \"100 s\"\nevents_per_second = 10_000\nkeys = 10_000",
                64,
                &format!("interval = \"{interval}\""),
                &[TUMBLING_AGG],
            ),
        )
    };
    let out = dir.path().join("out");
    // Flink refuses an interval under 10 ms
    // (CheckpointCoordinatorConfiguration.MINIMAL_CHECKPOINT_TIME): so does
    // statecap, up front, at the field.
    let file = ckpt("ckpt_1ms", "1 ms");
    let m = statecap_measured(&[
        "run".as_ref(),
        file.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    m.within_budget("a 1 ms interval");
    assert_eq!(m.code(), Some(2), "{}", stderr(&m.out));
    let e = stderr(&m.out);
    assert!(
        e.contains("ckpt_1ms.toml:") && e.contains("`checkpoints.interval`") && e.contains("10 ms"),
        "{e}"
    );
    assert!(!out.join("ckpt_1ms").exists());
    // The shortest interval Flink takes: 9,999 checkpoints × 64 subtasks.
    let file = ckpt("ckpt_10ms", "10 ms");
    let m = statecap_measured(&[
        "run".as_ref(),
        file.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    m.within_budget("10,000 checkpoints × 64 subtasks");
    assert_eq!(m.code(), Some(0), "{}", stderr(&m.out));
    summarized(&m.out, &out.join("ckpt_10ms"), 639_936);
}

/// The run's timeline.csv was summarized to at most 10^5 rows, and both the
/// printed output and summary.json say so and how to get every row.
fn summarized(o: &Output, dir: &Path, full_rows: u64) {
    let text = stdout(o);
    assert!(
        text.contains("timeline.csv summarized")
            && text.contains(&statecap::report::group_digits(full_rows))
            && text.contains("--full-timeline"),
        "{text}"
    );
    assert!(
        text.lines().count() < 80,
        "the printed table elides: {} lines",
        text.lines().count()
    );
    let rows = csv_rows(&dir.join("timeline.csv"));
    assert!(
        rows > 0 && rows as u64 <= statecap::report::TIMELINE_ROWS,
        "{rows} rows"
    );
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("summary.json")).unwrap()).unwrap();
    assert_eq!(json["timeline"]["rows"], full_rows);
    assert_eq!(json["timeline"]["rows_written"], rows as u64);
    let how = json["timeline"]["summarized"].as_str().unwrap_or("");
    assert!(how.contains("--full-timeline"), "{json}");
    assert!(
        dir_bytes(dir) < 100 << 20,
        "{} bytes written",
        dir_bytes(dir)
    );
}

#[test]
fn a_checkpoint_after_every_record() {
    let _one = serial();
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "every_record.toml",
        &scenario(
            "every_record",
            "records = 120_000\nevents_per_second = 1000\nkeys = 1000",
            12,
            "every_records = 1",
            &[TUMBLING_PROCESS],
        ),
    );
    let out = dir.path().join("out");
    let m = statecap_measured(&[
        "run".as_ref(),
        file.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    m.within_budget("120,000 checkpoints × 12 subtasks");
    assert_eq!(m.code(), Some(0), "{}", stderr(&m.out));
    summarized(&m.out, &out.join("every_record"), 1_440_000);
}

#[test]
fn full_timeline_writes_every_row_when_asked() {
    let _one = serial();
    let dir = tempfile::tempdir().unwrap();
    // 2,000 checkpoints × 64 subtasks: 128,000 rows, just over the bound.
    let file = write(
        dir.path(),
        "rows.toml",
        &scenario(
            "rows",
            "records = 20_000\nevents_per_second = 1000\nkeys = 1000",
            64,
            "every_records = 10",
            &[TUMBLING_AGG],
        ),
    );
    let out = dir.path().join("out");
    let run = |extra: &[&str]| {
        let mut args: Vec<&OsStr> = vec![
            "run".as_ref(),
            file.as_os_str(),
            "--out".as_ref(),
            out.as_os_str(),
        ];
        args.extend(extra.iter().map(OsStr::new));
        statecap_measured(&args)
    };
    let m = run(&[]);
    m.within_budget("128,000 rows, summarized");
    summarized(&m.out, &out.join("rows"), 128_000);
    // The summary keeps the largest subtask of every checkpoint.
    assert_eq!(csv_rows(&out.join("rows/timeline.csv")), 2_000);
    let m = run(&["--full-timeline"]);
    m.within_budget("128,000 rows in full");
    assert_eq!(m.code(), Some(0));
    assert!(!stdout(&m.out).contains("summarized"));
    assert_eq!(csv_rows(&out.join("rows/timeline.csv")), 128_000);
}

#[test]
fn a_thousand_operators() {
    let _one = serial();
    let dir = tempfile::tempdir().unwrap();
    let ops = vec![TUMBLING_PROCESS; 1000];
    let file = write(
        dir.path(),
        "ops_1000.toml",
        &scenario(
            "ops_1000",
            "records = 100_000\nevents_per_second = 1000\nkeys = 10_000",
            4,
            "interval = \"10 s\"",
            &ops,
        ),
    );
    let out = dir.path().join("out");
    let m = statecap_measured(&[
        "run".as_ref(),
        file.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    m.within_budget("1,000 operators");
    assert_eq!(m.code(), Some(0), "{}", stderr(&m.out));
    let text = stdout(&m.out);
    assert!(
        text.contains("… and 992 more operators") && text.lines().count() < 200,
        "{} lines:\n{text}",
        text.lines().count()
    );
    let d = out.join("ops_1000");
    assert!(dir_bytes(&d) < 50 << 20, "{} bytes written", dir_bytes(&d));
    // Every operator is in the summary; the charts draw eight.
    assert_eq!(csv_rows(&d.join("summary.csv")), 1000);
    let svg = std::fs::read_to_string(d.join("timeline.svg")).unwrap();
    assert!(svg.contains("8 of 1000 operators drawn"));
}

#[test]
fn threads_asked_for_beyond_reason_are_capped() {
    let _one = serial();
    let text = scenario(
        "threads",
        "records = 1_100_000\nevents_per_second = 100_000\nkeys = 50_000",
        8,
        "interval = \"2 s\"",
        &[TUMBLING_AGG],
    );
    let s = Scenario::parse(&text, Path::new("threads.toml")).unwrap();
    let run = |threads| {
        pipeline::simulate(
            &s,
            &RunOptions {
                mode: Mode::Exact,
                threads,
                ..RunOptions::default()
            },
        )
        .unwrap()
    };
    let many = run(100_000);
    assert!(
        many.threads <= pipeline::budget::MAX_THREADS,
        "{}",
        many.threads
    );
    let one = run(1);
    assert_eq!(one.threads, 1);
    for (a, b) in one.result().operators[0]
        .checkpoints
        .iter()
        .zip(&many.result().operators[0].checkpoints)
    {
        assert_eq!(a.subtasks, b.subtasks, "checkpoint {}", a.checkpoint);
    }
    // Through the CLI too.
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "threads.toml", &text);
    let m = statecap_measured(&[
        "run".as_ref(),
        file.as_os_str(),
        "-j".as_ref(),
        "100000".as_ref(),
        "--out".as_ref(),
        dir.path().as_os_str(),
    ]);
    // On the command line, -j 100000 is refused up front, with the range.
    m.within_budget("run -j 100000");
    assert_eq!(m.code(), Some(2), "{}", stderr(&m.out));
    assert!(
        stderr(&m.out).contains("--jobs") && stderr(&m.out).contains("1 to 1024"),
        "{}",
        stderr(&m.out)
    );
}

// ------------------------------------------------ 5. the full-day scenario

#[test]
fn sampled_mode_on_a_full_day_of_1e8_keys_is_refused_with_the_estimate() {
    let _one = serial();
    let file = manifest_dir().join("scenarios/daily_rollup_1e8_keys_full_day.toml");
    let dir = tempfile::tempdir().unwrap();
    let m = statecap_measured(&[
        "run".as_ref(),
        file.as_os_str(),
        "--mode".as_ref(),
        "sampled".as_ref(),
        "--out".as_ref(),
        dir.path().as_os_str(),
    ]);
    m.within_budget("--mode sampled, 8.64×10^9 records");
    assert!(m.secs < 2.0, "refused up front, not after {:.1} s", m.secs);
    assert_eq!(m.code(), Some(2));
    let e = stderr(&m.out);
    for want in [
        "8,640,000,000 records",
        "sampled mode would take about",
        "the budget is 10.0 s and 2.0 GiB",
        "--mode analytic fits",
        "--ignore-budget",
    ] {
        assert!(e.contains(want), "missing '{want}' in:\n{e}");
    }
    assert!(
        std::fs::read_dir(dir.path()).unwrap().next().is_none(),
        "nothing written"
    );
    // `auto` takes the analytic mode, well within the budget.
    let m = statecap_measured(&[
        "run".as_ref(),
        file.as_os_str(),
        "--out".as_ref(),
        dir.path().as_os_str(),
    ]);
    m.within_budget("auto on the full day");
    assert_eq!(m.code(), Some(0), "{}", stderr(&m.out));
    assert!(stdout(&m.out).contains("mode: analytic"));
}

#[test]
fn the_library_holds_every_caller_to_the_budget_unless_lifted() {
    let _one = serial();
    let text = scenario(
        "huge",
        "records = 5_000_000_000\nevents_per_second = 100_000\nkeys = 1_000_000\n\
         key_distribution = \"zipf\"\nzipf_exponent = 1.1",
        8,
        "interval = \"1 min\"",
        &["assigner = \"session\"\ngap = \"5 s\"\nfunction = \"process\""],
    );
    let s = Scenario::parse(&text, Path::new("huge.toml")).unwrap();
    let plan = pipeline::budget::plan(&s, Mode::Auto, 0, 1, &Budget::DEFAULT);
    let e = plan.unwrap_err().to_string();
    assert!(
        e.contains("huge.toml: over budget")
            && e.contains("5,000,000,000 records")
            && e.contains("sampled mode would take")
            && e.contains("--ignore-budget"),
        "{e}"
    );
    let lifted = pipeline::budget::plan(&s, Mode::Auto, 0, 1, &Budget::UNLIMITED).unwrap();
    assert_eq!(lifted.estimate.mode, Mode::Sampled);
    assert!(lifted.estimate.seconds > SECONDS);
}

#[test]
fn each_sweep_point_is_held_to_the_budget_and_auto_falls_back() {
    let _one = serial();
    let file = manifest_dir().join("scenarios/daily_rollup_1e8_keys_full_day.toml");
    let dir = tempfile::tempdir().unwrap();
    let sweep = |extra: &[&str]| {
        let mut args: Vec<&std::ffi::OsStr> = vec![
            "sweep".as_ref(),
            file.as_os_str(),
            "--vary".as_ref(),
            "parallelism=32,64".as_ref(),
            "--out".as_ref(),
            dir.path().as_os_str(),
            "-q".as_ref(),
        ];
        args.extend(extra.iter().map(|a| std::ffi::OsStr::new(*a)));
        statecap_measured(&args)
    };
    let csv = || {
        std::fs::read_to_string(
            dir.path()
                .join("daily_rollup_1e8_keys_full_day-sweep/sweep.csv"),
        )
        .unwrap()
    };
    // auto: each point too heavy for the exact mode runs analytic.
    let m = sweep(&[]);
    m.within_budget("sweep auto over the full day");
    assert_eq!(m.code(), Some(0), "{}", stderr(&m.out));
    let text = csv();
    assert_eq!(text.lines().count(), 3, "{text}");
    assert!(
        text.lines()
            .skip(1)
            .all(|l| l.contains("analytic") && !l.contains("error")),
        "{text}"
    );
    // The sampled mode fits no point: each is an error row naming the
    // estimate and the flag.
    let m = sweep(&["--mode", "sampled"]);
    m.within_budget("sweep sampled over the full day");
    let text = csv();
    let mut rows = csv::Reader::from_reader(text.as_bytes());
    let notes: Vec<String> = rows
        .records()
        .map(|r| r.unwrap().get(13).unwrap_or_default().to_string())
        .collect();
    assert_eq!(notes.len(), 2, "{text}");
    assert!(
        notes
            .iter()
            .all(|n| n.contains("over budget") && n.contains("--ignore-budget")),
        "{text}"
    );
}
