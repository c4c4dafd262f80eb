//! Analytic and sampled modes against exact mode: the largest subtask's
//! bytes at every checkpoint, over tumbling and sliding (and, sampled,
//! session) windows, process and aggregate, uniform and zipf keys,
//! parallelism 3, 8 and 64, 10^4 to 10^6 keys, event and processing time.
//! Prints the tables the README quotes
//! (`cargo test --release --test cli fast_mode -- --nocapture`); the
//! `--ignored` variant plays ~5×10^7 events per case.

use crate::support::{median, statecap};
use statecap::Scenario;
use statecap::pipeline::{Mode, mode::resolve};
use std::path::Path;

struct Case {
    sliding: bool,
    session: bool,
    process: bool,
    zipf: bool,
    parallelism: u32,
    keys: u64,
    processing: bool,
}

impl Case {
    fn label(&self) -> String {
        format!(
            "{} {} {} {}",
            if self.session {
                "session"
            } else if self.sliding {
                "sliding"
            } else {
                "tumbling"
            },
            if self.process { "process" } else { "aggregate" },
            if self.zipf { "zipf" } else { "uniform" },
            if self.processing { "proc" } else { "event" },
        )
    }

    fn toml(&self, records: u64) -> String {
        let assigner = if self.session {
            "assigner = \"session\"\ngap_ms = 3000"
        } else if self.sliding {
            "assigner = \"sliding\"\nsize_ms = 60000\nslide_ms = 20000"
        } else {
            "assigner = \"tumbling\"\nsize_ms = 60000"
        };
        let function = if self.process {
            "function = \"process\""
        } else {
            "function = \"aggregate\"\naccumulator_bytes = 24"
        };
        let dist = if self.zipf {
            "key_distribution = \"zipf\"\nzipf_exponent = 1.1"
        } else {
            "key_distribution = \"uniform\""
        };
        let time = if self.processing {
            "processing"
        } else {
            "event"
        };
        format!(
            r#"name = "fast_mode_case"
flink_version = "1.20"
seed = 11

[source]
records = {records}
events_per_second = 10000
keys = {keys}
{dist}
key_type = "long"
record_bytes = 100
jitter_ms = 200
out_of_orderness_ms = 500

[job]
parallelism = {p}

[[operator]]
name = "w"
kind = "window"
{assigner}
time = "{time}"
{function}

[state]
backend = "hashmap"

[checkpoints]
interval_ms = 7000
storage = "filesystem"
"#,
            keys = self.keys,
            p = self.parallelism,
        )
    }
}

/// Relative errors of the largest subtask's bytes, checkpoint by checkpoint,
/// and the run's own bound (sampled mode).
fn errors(text: &str, mode: Mode) -> (Vec<f64>, Option<f64>) {
    let s = Scenario::parse(text, Path::new("fast_mode_case.toml")).expect("valid scenario");
    let exact = statecap::simulate(
        &s,
        &statecap::RunOptions {
            mode: Mode::Exact,
            ..Default::default()
        },
    )
    .map(statecap::Run::into_result)
    .unwrap();
    let fast = statecap::simulate(
        &s,
        &statecap::RunOptions {
            mode,
            ..Default::default()
        },
    )
    .map(statecap::Run::into_result)
    .unwrap();
    let (e, a) = (
        &exact.operators[0].checkpoints,
        &fast.operators[0].checkpoints,
    );
    assert_eq!(e.len(), a.len(), "same barriers");
    let errs = e
        .iter()
        .zip(a)
        .filter(|(e, _)| e.max_state_bytes() > 0)
        .map(|(e, a)| {
            assert_eq!((e.checkpoint, e.records), (a.checkpoint, a.records));
            let (x, y) = (e.max_state_bytes() as f64, a.max_state_bytes() as f64);
            (y - x) / x
        })
        .collect();
    (errs, fast.sampled_error)
}

fn grid(records_tumbling: u64, session: bool) -> Vec<(Case, u64)> {
    let keys = [10_000u64, 100_000, 1_000_000];
    let mut v = Vec::new();
    let mut i = 0;
    let windows: &[(bool, bool)] = if session {
        &[(false, false), (true, false), (false, true)]
    } else {
        &[(false, false), (true, false)]
    };
    for &(sliding, session) in windows {
        for process in [false, true] {
            for zipf in [false, true] {
                for parallelism in [3u32, 8, 64] {
                    let c = Case {
                        sliding,
                        session,
                        process,
                        zipf,
                        parallelism,
                        keys: keys[i % 3],
                        processing: i % 4 == 3,
                    };
                    let records = if sliding {
                        records_tumbling * 2 / 3
                    } else {
                        records_tumbling
                    };
                    v.push((c, records));
                    i += 1;
                }
            }
        }
    }
    v
}

fn measure(records_tumbling: u64, mode: Mode, median_bound: f64, bound: f64) {
    let mut all = Vec::new();
    let mut table = String::from(
        "| case | P | keys | records | checkpoints | median error | max error | mean signed | own bound |\n|---|---|---|---|---|---|---|---|---|\n",
    );
    let t0 = std::time::Instant::now();
    for (c, records) in grid(records_tumbling, mode == Mode::Sampled) {
        let (signed, own) = errors(&c.toml(records), mode);
        let bias = signed.iter().sum::<f64>() / signed.len() as f64;
        let errs: Vec<f64> = signed.iter().map(|e| e.abs()).collect();
        let max = errs.iter().cloned().fold(0.0, f64::max);
        table.push_str(&format!(
            "| {} | {} | {} | {} | {} | {:.3}% | {:.3}% | {:+.3}% | {} |\n",
            c.label(),
            c.parallelism,
            c.keys,
            records,
            errs.len(),
            100.0 * median(&errs),
            100.0 * max,
            100.0 * bias,
            own.map_or("-".to_string(), |b| format!("±{:.2}%", 100.0 * b)),
        ));
        if let Some(b) = own {
            // The run's own bound covers what it got wrong; a run that
            // simulated every key group (bound 0) is exact.
            assert!(
                max <= b + 1e-9,
                "{}: max error {:.3}% beyond its own bound ±{:.3}%",
                c.label(),
                100.0 * max,
                100.0 * b
            );
        }
        all.extend(errs);
    }
    let med = median(&all);
    let max = all.iter().cloned().fold(0.0, f64::max);
    println!(
        "{} mode\n{table}\nall {} checkpoints: median {:.3}%, max {:.3}% ({:.1} s)",
        mode.name(),
        all.len(),
        100.0 * med,
        100.0 * max,
        t0.elapsed().as_secs_f64()
    );
    assert!(
        med <= median_bound,
        "median error {:.3}% > {:.1}%",
        100.0 * med,
        100.0 * median_bound
    );
    assert!(
        max <= bound,
        "max error {:.3}% > {:.1}%",
        100.0 * max,
        100.0 * bound
    );
}

#[test]
fn analytic_mode_is_within_one_percent_of_exact() {
    measure(1_500_000, Mode::Analytic, 0.01, 0.08);
}

#[test]
fn sampled_mode_is_within_one_percent_of_exact() {
    // Median within 1%; the maximum (an estimated subtask's noise above the
    // true largest) is measured at 10.3% and bounded here at 12%.
    measure(1_500_000, Mode::Sampled, 0.01, 0.12);
}

#[test]
#[ignore = "about 5×10^7 events per case; run with --ignored"]
fn analytic_mode_is_within_one_percent_of_exact_at_scale() {
    measure(50_000_000, Mode::Analytic, 0.01, 0.08);
}

#[test]
fn auto_picks_analytic_only_for_large_eligible_work() {
    let small = Case {
        sliding: false,
        session: false,
        process: false,
        zipf: false,
        parallelism: 3,
        keys: 1000,
        processing: false,
    };
    let s = Scenario::parse(&small.toml(10_000), Path::new("a.toml")).unwrap();
    assert_eq!(resolve(&s, Mode::Auto).unwrap(), Mode::Exact);
    let s = Scenario::parse(&small.toml(300_000_000), Path::new("a.toml")).unwrap();
    assert_eq!(resolve(&s, Mode::Auto).unwrap(), Mode::Analytic);
    let session = small.toml(1000).replace(
        "assigner = \"tumbling\"\nsize_ms = 60000",
        "assigner = \"session\"\ngap_ms = 1000",
    );
    let s = Scenario::parse(&session, Path::new("a.toml")).unwrap();
    let e = resolve(&s, Mode::Analytic).unwrap_err().to_string();
    assert!(e.contains("session windows"), "{e}");
}

#[test]
fn cli_says_which_mode_produced_the_result() {
    let dir = tempfile::tempdir().unwrap();
    let small = Case {
        sliding: true,
        session: false,
        process: true,
        zipf: true,
        parallelism: 8,
        keys: 5000,
        processing: false,
    };
    let file = dir.path().join("case.toml");
    std::fs::write(&file, small.toml(200_000)).unwrap();
    for (mode, word) in [
        ("exact", "exact"),
        ("analytic", "analytic"),
        ("auto", "exact"),
    ] {
        let out = dir.path().join(mode);
        let o = statecap([
            "run".as_ref(),
            file.as_os_str(),
            "--mode".as_ref(),
            mode.as_ref(),
            "--out".as_ref(),
            out.as_os_str(),
        ]);
        assert_eq!(o.status.code(), Some(0), "{o:?}");
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(text.contains(&format!("mode: {word}")), "{text}");
        let j: serde_json::Value = serde_json::from_slice(
            &std::fs::read(out.join("fast_mode_case/summary.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(j["mode"], word);
    }
}
