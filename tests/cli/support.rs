//! Helpers shared by the test modules: where things are, how to run the
//! binary, how to read the ground-truth files and statecap's outputs.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root (`CARGO_MANIFEST_DIR`).
pub fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `../shared/ground-truth`, beside the repository. Panics with a clear
/// message when it is absent: CI always has it, so a missing folder is a
/// broken checkout, never a reason to pass.
pub fn ground_truth_dir() -> PathBuf {
    let dir = manifest_dir().join("../shared/ground-truth");
    assert!(
        dir.join("cases.csv").is_file(),
        "ground truth not found: expected {} (with cases.csv and cases/) beside the \
         repository; these tests compare statecap with real Flink and cannot run without it",
        dir.display()
    );
    dir
}

/// The `statecap` binary cargo built for these tests.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_statecap")
}

/// Runs `statecap` with `args` and waits for it.
pub fn statecap<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    Command::new(bin())
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("the statecap binary runs")
}

/// Text of a process's stderr.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Text of a process's stdout.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Writes `text` to `dir/name` and returns the path.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap_or_else(|e| panic!("write {}: {e}", p.display()));
    p
}

/// Every file under `dir`, recursively, relative to it (empty if `dir` is
/// absent).
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p.clone());
            }
            out.push(p.strip_prefix(dir).unwrap_or(&p).to_path_buf());
        }
    }
    out.sort();
    out
}

/// A CSV file as a header and rows of named fields.
pub struct Table {
    /// Column names, in order.
    pub columns: Vec<String>,
    /// Rows: column name -> field.
    pub rows: Vec<BTreeMap<String, String>>,
}

impl Table {
    /// Reads a CSV file (plain or gzipped, by extension).
    pub fn read(path: &Path) -> Table {
        let file =
            std::fs::File::open(path).unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
        let reader: Box<dyn std::io::Read> = if path.extension() == Some(OsStr::new("gz")) {
            Box::new(flate2::read::GzDecoder::new(file))
        } else {
            Box::new(file)
        };
        let mut r = csv::Reader::from_reader(reader);
        let columns: Vec<String> = r
            .headers()
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .iter()
            .map(str::to_string)
            .collect();
        let rows = r
            .records()
            .map(|rec| {
                let rec = rec.unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                columns
                    .iter()
                    .cloned()
                    .zip(rec.iter().map(str::to_string))
                    .collect()
            })
            .collect();
        Table { columns, rows }
    }
}

/// Field `col` of a row parsed as a number.
pub fn num(row: &BTreeMap<String, String>, col: &str) -> u64 {
    let v = row
        .get(col)
        .unwrap_or_else(|| panic!("no column `{col}` in {row:?}"));
    v.parse()
        .unwrap_or_else(|_| panic!("column `{col}`: '{v}' is not a number"))
}

/// One ground-truth case.
#[derive(Debug, Clone)]
pub struct Case {
    /// Case name (its folder under `cases/`).
    pub name: String,
    /// Its folder.
    pub dir: PathBuf,
    /// Its `cases.csv` line.
    pub info: BTreeMap<String, String>,
}

impl Case {
    /// `cases/<name>/scenario.toml`.
    pub fn scenario_path(&self) -> PathBuf {
        self.dir.join("scenario.toml")
    }
    /// Rows of `expected.csv`.
    pub fn expected(&self) -> Vec<Expected> {
        let p = self.dir.join("expected.csv");
        let mut r = csv::Reader::from_path(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        r.deserialize()
            .map(|row| row.unwrap_or_else(|e| panic!("{}: {e}", p.display())))
            .collect()
    }
    /// Rows of `keygroups.csv.gz`, if the case has one (hashmap cases).
    pub fn key_groups(&self) -> Option<Vec<KeyGroupRow>> {
        let p = self.dir.join("keygroups.csv.gz");
        if !p.is_file() {
            return None;
        }
        let f = std::fs::File::open(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        let mut r = csv::Reader::from_reader(flate2::read::GzDecoder::new(f));
        Some(
            r.deserialize()
                .map(|row| row.unwrap_or_else(|e| panic!("{}: {e}", p.display())))
                .collect(),
        )
    }
}

/// One row of a case's `expected.csv`.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Expected {
    /// Records before the barrier.
    pub records: u64,
    /// Checkpoint number.
    pub checkpoint: u64,
    /// Window subtask.
    pub subtask: u32,
    /// First key group of its range.
    pub key_group_start: u32,
    /// Last key group of its range.
    pub key_group_end: u32,
    /// `completed` or `failed`.
    pub checkpoint_status: String,
    /// Keyed-state snapshot bytes, when known.
    pub state_bytes: Option<u64>,
    /// Uploaded bytes, when known.
    pub checkpointed_bytes: Option<u64>,
    /// `measured`, `failure-report` or `filesystem-twin`.
    pub source: String,
    /// Flink's exception text (failure-report rows).
    pub flink_message: Option<String>,
}

/// One row of a case's `keygroups.csv.gz`.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct KeyGroupRow {
    /// Records before the barrier.
    pub records: u64,
    /// Subtask owning the key group.
    pub subtask: u32,
    /// Key group.
    pub key_group: u32,
    /// Its bytes in the snapshot stream, framing included.
    pub bytes: u64,
}

/// The cases these tests hold statecap to: every hashmap case without
/// snapshot compression, and the Flink 1.9 legacy case (backend unset).
pub fn exact_cases() -> Vec<Case> {
    let root = ground_truth_dir();
    let t = Table::read(&root.join("cases.csv"));
    let cases: Vec<Case> = t
        .rows
        .into_iter()
        .filter(|r| {
            let hashmap = r["backend"] == "hashmap" && r["compression"] == "false";
            let legacy = r["flink_version"] == "1.9";
            hashmap || legacy
        })
        .map(|r| Case {
            name: r["case"].clone(),
            dir: root.join("cases").join(&r["case"]),
            info: r,
        })
        .collect();
    assert!(
        cases.len() >= 40 && cases.iter().any(|c| c.name.starts_with("L19_")),
        "expected the ~43 hashmap and legacy cases in {}, found {}",
        root.display(),
        cases.len()
    );
    for c in &cases {
        assert!(
            c.scenario_path().is_file(),
            "{}: no scenario.toml",
            c.dir.display()
        );
    }
    cases
}

/// Removes the `trace = ...` line of a scenario, as `gt_check.py
/// --generated` does: the input is then generated from the seed.
pub fn without_trace(text: &str) -> String {
    let out: String = text
        .lines()
        .filter(|l| {
            let t = l.trim_start();
            !(t.starts_with("trace") && t["trace".len()..].trim_start().starts_with('='))
        })
        .map(|l| format!("{l}\n"))
        .collect();
    assert_ne!(out.len(), text.len(), "no trace line to remove");
    out
}

/// Median of a non-empty slice.
pub fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    assert!(n > 0, "median of nothing");
    if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    }
}
