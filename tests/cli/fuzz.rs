//! Fuzzing on stable Rust: proptest generates inputs shaped like the files
//! statecap reads, four targets hold properties over them, and every run
//! ends with a table of what was tried and what broke.
//!
//! | target | input | through | properties |
//! |---|---|---|---|
//! | `scenario` | shipped scenarios and `tests/data` files, mutated key by key (delete, duplicate, retype, rename, move, extreme numbers, long and unicode strings, raw edits, invalid UTF-8) | `Scenario::parse`, `Scenario::load` on a file | no panic; a refusal names the file and every mistake its line (README: "every mistake … with the file, line and field"); an accepted scenario keeps `check_scenario`'s rules |
//! | `trace` | a `key,ts_ms,bytes` CSV (headers, extra and missing columns, extreme and malformed fields, CRLF, comments, gzip, invalid UTF-8) behind a generated scenario | `Scenario::parse` + `pipeline::simulate` | no panic; a clean trace plays all its records (up to `records`); a bad one is refused at the line of its first bad record (a model of the reader decides which one); a refusal names the trace |
//! | `conf` | `flink-conf.yaml` lines and `config.yaml` YAML (nesting, anchors, aliases, merge keys, tags, block scalars, documents, duplicates, nulls, huge keys), under four file names; a few bombs (alias expansion, deep nesting, megabyte keys) through the binary | `ConfFile::parse`, `conf_file::load`, `explain` for every known version, a scenario with the file applied; `statecap explain-config` | no panic, abort or hang; a refusal names the file and a line |
//! | `pipeline` | small shipped scenarios (short played duration) mutated as above, with `--mode`, `--jobs`, `--budget`, `--flink-conf` | the `statecap` binary, `run` or `check`, killed after a timeout (its own CPU time; six times as long in wall time), under a 2 GiB address-space cap | exit code 0, 1 (`check`) or 2; no panic, abort or hang; exit 2 names the file (and how many with `:line` is counted); a failed run leaves the directory as it found it; a successful one writes every output and nothing else; the same input twice (another `--jobs`) writes the same bytes; `check` fails exactly when `run` reports a failed checkpoint |
//!
//! Budget: `STATECAP_FUZZ_CASES` inputs over all targets (default 1500,
//! about 30 s on 2 cores): 45% `scenario`, 30% `conf`, 24% `trace`, 1%
//! `pipeline` (at least 12; `STATECAP_FUZZ_PIPELINE_CASES` sets it).
//! `STATECAP_FUZZ_SEED` picks other inputs (default: a fixed seed, so CI
//! meets the same ones every time); `STATECAP_FUZZ_TIMEOUT` is the seconds a
//! case may take (10); `STATECAP_FUZZ_SAVE=DIR` writes a minimal
//! reproducer of every distinct finding there; `STATECAP_FUZZ_TARGETS=a,b`
//! runs only those targets; `STATECAP_FUZZ_VERBOSE=1` prints a line per
//! case. The long run:
//!
//! ```text
//! STATECAP_FUZZ_CASES=100000 STATECAP_FUZZ_SEED=$RANDOM cargo test --release --test cli fuzz -- --nocapture
//! ```
//!
//! A finding is a kind and a signature (a panic's source file and message,
//! a refusal's field and words, a hang's size class). A new one is shrunk
//! (proptest's value tree) to a minimal input. The test fails on any
//! finding not in [`KNOWN`], the findings of today whose fixes are under
//! way; reproducers live in `tests/data/fuzz/`.

use crate::support::{bin, manifest_dir};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use statecap::flink::FlinkVersion;
use statecap::flink::conf_file::{self, ConfFile};
use statecap::flink::explain::explain;
use statecap::flink::version::known_versions;
use statecap::pipeline::{self, Mode, RunOptions};
use statecap::{Error, Scenario};
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::fmt::Write as _;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------
// Known findings.

/// A finding of today, allowed until its fix lands: the merger removes the
/// entry with the fix (a run prints the entries it did not meet).
struct Known {
    /// The target it shows in.
    target: &'static str,
    /// Its kind.
    kind: Kind,
    /// Text its signature contains.
    signature: &'static str,
    /// What removes it.
    fixed_by: &'static str,
}

/// The findings of today. Keep it short: one entry per distinct bug.
const KNOWN: &[Known] = &[
    // None open: each finding so far is fixed and its input is a test.
];

// ---------------------------------------------------------------------------
// Budget.

fn env_u64(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) => v
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v}: expected a whole number")),
        Err(_) => default,
    }
}

/// Inputs over all targets when `STATECAP_FUZZ_CASES` is not set.
const DEFAULT_CASES: u64 = 1500;

/// Inputs per target.
struct Budget {
    scenario: u64,
    trace: u64,
    conf: u64,
    pipeline: u64,
}

fn budget() -> Budget {
    let total = env_u64("STATECAP_FUZZ_CASES", DEFAULT_CASES);
    let pipeline = env_u64("STATECAP_FUZZ_PIPELINE_CASES", (total / 100).max(12));
    Budget {
        scenario: total * 45 / 100,
        trace: total * 24 / 100,
        conf: total * 30 / 100,
        pipeline,
    }
}

fn seed() -> u64 {
    env_u64("STATECAP_FUZZ_SEED", 0x5747_EC4A_u64)
}

fn timeout() -> Duration {
    Duration::from_secs(env_u64("STATECAP_FUZZ_TIMEOUT", 10))
}

/// The address-space cap of a child process.
const MEMORY_CAP: u64 = 2 << 30;

fn runner(target: &str) -> TestRunner {
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed().to_le_bytes());
    for (i, b) in target.bytes().enumerate() {
        key[8 + i % 24] ^= b;
    }
    TestRunner::new_with_rng(
        Config {
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::from_seed(RngAlgorithm::ChaCha, &key),
    )
}

// ---------------------------------------------------------------------------
// Outcomes and findings.

/// What can go wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    /// A Rust panic (exit 101 or "panicked").
    Panic,
    /// Killed by a signal: an allocation failure, a stack overflow.
    Abort,
    /// Still running after the timeout.
    Hang,
    /// A failure that left files behind, or a success that left temporary
    /// or missing files, or printed a table before failing.
    HalfWritten,
    /// A refusal that does not say at which line of the file.
    Unlocated,
    /// A refusal that does not name the file.
    Unnamed,
    /// An exit code other than 0, 1 (`check`) or 2.
    Exit,
    /// The same input gave other bytes.
    Nondeterministic,
    /// A property of the target broken (wrong line, accepted what its own
    /// rules refuse, `check` disagreeing with `run`).
    Contract,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Panic => "panic",
            Kind::Abort => "abort",
            Kind::Hang => "hang",
            Kind::HalfWritten => "half-written",
            Kind::Unlocated => "no file:line",
            Kind::Unnamed => "no file name",
            Kind::Exit => "exit code",
            Kind::Nondeterministic => "nondeterministic",
            Kind::Contract => "contract",
        }
    }
}

/// One broken property.
#[derive(Debug, Clone)]
struct Finding {
    kind: Kind,
    /// What makes two findings the same bug.
    signature: String,
    /// The evidence (a message, the differing file).
    detail: String,
}

/// How an input ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// Read, run or explained.
    Accepted,
    /// Refused cleanly; `located` when the refusal says file:line.
    Refused { located: bool },
    /// Neither (crashed, hung).
    Failed,
}

#[derive(Debug, Clone)]
struct Outcome {
    class: Class,
    findings: Vec<Finding>,
}

impl Outcome {
    fn accepted() -> Self {
        Outcome {
            class: Class::Accepted,
            findings: Vec::new(),
        }
    }
    fn refused(located: bool) -> Self {
        Outcome {
            class: Class::Refused { located },
            findings: Vec::new(),
        }
    }
    fn failed(kind: Kind, signature: impl Into<String>, detail: impl Into<String>) -> Self {
        Outcome {
            class: Class::Failed,
            findings: Vec::new(),
        }
        .with(kind, signature, detail)
    }
    fn with(mut self, kind: Kind, signature: impl Into<String>, detail: impl Into<String>) -> Self {
        self.findings.push(Finding {
            kind,
            signature: signature.into(),
            detail: detail.into(),
        });
        self
    }
    /// The worse of two outcomes of one input, with both findings.
    fn and(mut self, other: Outcome) -> Self {
        self.class = match (self.class, other.class) {
            (Class::Failed, _) | (_, Class::Failed) => Class::Failed,
            (Class::Refused { located: a }, Class::Refused { located: b }) => {
                Class::Refused { located: a && b }
            }
            (r @ Class::Refused { .. }, _) | (_, r @ Class::Refused { .. }) => r,
            _ => Class::Accepted,
        };
        self.findings.extend(other.findings);
        self
    }
    fn has(&self, kind: Kind, signature: &str) -> bool {
        self.findings
            .iter()
            .any(|f| f.kind == kind && f.signature == signature)
    }
}

/// A message with the parts that vary between inputs of one bug replaced:
/// numbers by `N`, quoted text by `'…'`, paths by `<file>`.
fn normalize(text: &str, paths: &[&Path]) -> String {
    let mut t = text.to_string();
    for p in paths {
        t = t.replace(&p.display().to_string(), "<file>");
    }
    let mut out = String::new();
    let mut quote: Option<char> = None;
    let mut last_digit = false;
    for c in t.chars() {
        match quote {
            Some(q) if c == q => {
                out.push(c);
                quote = None;
            }
            Some(_) => {}
            None if c == '\'' => {
                out.push_str("'…");
                quote = Some('\'');
            }
            None if c.is_ascii_digit() => {
                if !last_digit {
                    out.push('N');
                }
            }
            None => out.push(c),
        }
        last_digit = quote.is_none() && c.is_ascii_digit();
    }
    out.chars().take(120).collect()
}

// ---------------------------------------------------------------------------
// Panics inside the process: caught, their message kept, not printed.

thread_local! {
    static QUIET: Cell<bool> = const { Cell::new(false) };
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// The last panic on a thread without a name (a rayon worker).
static POOL_PANIC: Mutex<Option<String>> = Mutex::new(None);

fn payload_text(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(non-text payload)".into())
}

/// From now on, panics on this thread (and on unnamed pool threads) are
/// recorded for [`catch`] instead of printed.
fn quiet_panics() {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let at = info
                .location()
                .map(|l| format!("{}:{}", l.file(), l.line()))
                .unwrap_or_default();
            let text = format!("{at}: {}", payload_text(info.payload()));
            if QUIET.with(Cell::get) {
                LAST_PANIC.with(|p| *p.borrow_mut() = Some(text));
            } else if std::thread::current().name().is_none() {
                *POOL_PANIC.lock().unwrap_or_else(|e| e.into_inner()) = Some(text);
            } else {
                default(info);
            }
        }));
    });
    QUIET.with(|q| q.set(true));
}

/// Runs `f`; a panic becomes `Err("file:line: message")`.
fn catch<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    LAST_PANIC.with(|p| p.borrow_mut().take());
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|payload| {
        LAST_PANIC
            .with(|p| p.borrow_mut().take())
            .or_else(|| POOL_PANIC.lock().ok()?.take())
            .unwrap_or_else(|| payload_text(&*payload))
    })
}

/// The finding of a caught panic: its source file (not the line, which
/// moves with every edit) and its message.
fn panic_outcome(text: &str) -> Outcome {
    let (at, msg) = text.split_once(": ").unwrap_or(("", text));
    let file = at.split(':').next().unwrap_or("");
    Outcome::failed(
        Kind::Panic,
        format!("{file}: {}", normalize(msg, &[])),
        text.to_string(),
    )
}

// ---------------------------------------------------------------------------
// The harness: generate, check, count, shrink what is new.

/// A reproducer: files to write, by name.
type Files = Vec<(String, Vec<u8>)>;

trait Target: Send + Sync + 'static {
    type Input: std::fmt::Debug + Clone + Send;
    /// Short name, as in the table.
    const NAME: &'static str;
    fn strategy(&self) -> BoxedStrategy<Self::Input>;
    fn check(&self, input: &Self::Input) -> Outcome;
    /// Files that reproduce `input` (the first is the one to run).
    fn reproducer(&self, input: &Self::Input) -> Files;
    /// Checks a new finding may spend on shrinking.
    fn shrink_checks(&self, _kind: Kind) -> usize {
        400
    }
}

/// A distinct finding and its smallest example.
#[derive(Debug, Clone)]
struct Seen {
    count: u64,
    detail: String,
    files: Files,
    known: Option<&'static str>,
}

/// What a target met.
#[derive(Debug, Clone, Default)]
struct Report {
    target: &'static str,
    tried: u64,
    accepted: u64,
    refused: u64,
    unlocated: u64,
    per_kind: BTreeMap<Kind, u64>,
    findings: BTreeMap<(Kind, String), Seen>,
    notes: Vec<String>,
    elapsed: Duration,
}

impl Report {
    fn count(&mut self, o: &Outcome) {
        self.tried += 1;
        match o.class {
            Class::Accepted => self.accepted += 1,
            Class::Refused { located } => {
                self.refused += 1;
                self.unlocated += u64::from(!located);
            }
            Class::Failed => {}
        }
        let kinds: BTreeSet<Kind> = o.findings.iter().map(|f| f.kind).collect();
        for k in kinds {
            *self.per_kind.entry(k).or_default() += 1;
        }
    }

    fn unexpected(&self) -> Vec<(&(Kind, String), &Seen)> {
        self.findings
            .iter()
            .filter(|(_, s)| s.known.is_none())
            .collect()
    }
}

fn known(target: &str, f: &Finding) -> Option<&'static str> {
    KNOWN
        .iter()
        .find(|k| k.target == target && k.kind == f.kind && f.signature.contains(k.signature))
        .map(|k| k.fixed_by)
}

/// Shrinks `tree` while the input keeps the finding `(kind, signature)`;
/// returns the smallest input that does.
fn shrink<T: Target>(
    target: &T,
    tree: &mut BoxedValueTree<T::Input>,
    kind: Kind,
    signature: &str,
    stop: &AtomicBool,
    current: &Mutex<Current>,
) -> T::Input {
    let mut best = tree.current();
    let mut budget = target.shrink_checks(kind);
    let fails = |tree: &BoxedValueTree<T::Input>, budget: &mut usize| {
        *budget = budget.saturating_sub(1);
        // Each check is a case of its own for the watchdog.
        current.lock().unwrap().started = Some(Instant::now());
        target.check(&tree.current()).has(kind, signature)
    };
    if !tree.simplify() {
        return best;
    }
    while budget > 0 && !stop.load(Ordering::Relaxed) {
        if fails(tree, &mut budget) {
            best = tree.current();
            if !tree.simplify() {
                break;
            }
        } else if !tree.complicate() {
            break;
        }
    }
    best
}

type BoxedValueTree<T> = Box<dyn ValueTree<Value = T>>;

/// Where the current case of a target stands, for the watchdog.
#[derive(Default)]
struct Current {
    started: Option<Instant>,
    input: String,
}

/// Runs `cases` inputs of `target` on a thread of its own; a case that
/// outlives the timeout is a hang, and the target stops there (the thread
/// is left behind).
fn fuzz<T: Target>(target: T, cases: u64) -> Report {
    let report = Arc::new(Mutex::new(Report {
        target: T::NAME,
        ..Report::default()
    }));
    let current = Arc::new(Mutex::new(Current::default()));
    let stop = Arc::new(AtomicBool::new(false));
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let started = Instant::now();
    {
        let (report, current, stop) = (report.clone(), current.clone(), stop.clone());
        std::thread::Builder::new()
            .name(format!("fuzz-{}", T::NAME))
            .spawn(move || {
                quiet_panics();
                let strategy = target.strategy();
                let mut runner = runner(T::NAME);
                for _ in 0..cases {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let mut tree = strategy.new_tree(&mut runner).expect("an input");
                    let input = tree.current();
                    {
                        let mut c = current.lock().unwrap();
                        c.started = Some(Instant::now());
                        c.input = format!("{input:?}");
                    }
                    let t0 = Instant::now();
                    let outcome = target.check(&input);
                    if verbose() {
                        eprintln!(
                            "{} {:>6.3}s {:?} {:?}",
                            T::NAME,
                            t0.elapsed().as_secs_f64(),
                            outcome.class,
                            outcome
                                .findings
                                .iter()
                                .map(|f| &f.signature)
                                .collect::<Vec<_>>()
                        );
                    }
                    let new: Vec<Finding> = {
                        let mut r = report.lock().unwrap();
                        r.count(&outcome);
                        let mut new = Vec::new();
                        for f in &outcome.findings {
                            match r.findings.get_mut(&(f.kind, f.signature.clone())) {
                                Some(seen) => seen.count += 1,
                                None => new.push(f.clone()),
                            }
                        }
                        new
                    };
                    for f in new {
                        // Shrinking re-checks: the watchdog allows it as long.
                        current.lock().unwrap().started = Some(Instant::now());
                        let small =
                            shrink(&target, &mut tree, f.kind, &f.signature, &stop, &current);
                        let small_outcome = target.check(&small);
                        let detail = small_outcome
                            .findings
                            .iter()
                            .find(|g| g.kind == f.kind && g.signature == f.signature)
                            .map_or(f.detail.clone(), |g| g.detail.clone());
                        let seen = Seen {
                            count: 1,
                            detail,
                            files: target.reproducer(&small),
                            known: known(T::NAME, &f),
                        };
                        report
                            .lock()
                            .unwrap()
                            .findings
                            .entry((f.kind, f.signature.clone()))
                            .and_modify(|s| s.count += 1)
                            .or_insert(seen);
                    }
                    current.lock().unwrap().started = None;
                }
                let _ = done_tx.send(());
            })
            .expect("a fuzz thread");
    }
    let limit = timeout() * 3;
    loop {
        match done_rx.recv_timeout(Duration::from_millis(200)) {
            Ok(()) | Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                let c = current.lock().unwrap();
                if c.started.is_some_and(|s| s.elapsed() > limit) {
                    stop.store(true, Ordering::Relaxed);
                    let f = Finding {
                        kind: Kind::Hang,
                        signature: format!("{}: in-process case", T::NAME),
                        detail: c.input.chars().take(2000).collect(),
                    };
                    let mut r = report.lock().unwrap();
                    r.tried += 1;
                    *r.per_kind.entry(Kind::Hang).or_default() += 1;
                    r.notes.push(format!(
                        "stopped after a case ran {} s (the thread is left behind)",
                        limit.as_secs()
                    ));
                    let known = known(T::NAME, &f);
                    r.findings.insert(
                        (f.kind, f.signature),
                        Seen {
                            count: 1,
                            detail: f.detail.clone(),
                            files: vec![("input.txt".into(), f.detail.into_bytes())],
                            known,
                        },
                    );
                    break;
                }
            }
        }
    }
    let mut r = report.lock().unwrap().clone();
    r.elapsed = started.elapsed();
    r
}

// ---------------------------------------------------------------------------
// Child processes: a timeout, a memory cap, the output kept.

/// How a child process ended.
struct Child {
    /// Exit code, if it exited.
    code: Option<i32>,
    /// Signal that ended it, if one did.
    signal: Option<i32>,
    /// Killed by us after the timeout.
    timed_out: bool,
    stdout: String,
    stderr: String,
}

fn have_prlimit() -> bool {
    static HAVE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *HAVE.get_or_init(|| {
        Command::new("prlimit")
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

/// Reads at most 1 MiB of a pipe and drains the rest.
fn drain(mut r: impl Read + Send + 'static) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut kept = Vec::new();
        let mut buf = [0u8; 65536];
        while let Ok(n) = r.read(&mut buf) {
            if n == 0 {
                break;
            }
            if kept.len() < 1 << 20 {
                kept.extend_from_slice(&buf[..n]);
            }
        }
        kept
    })
}

/// Runs the statecap binary with `args` in `cwd` under the memory cap;
/// kills it after `limit`.
fn run_capped(args: &[OsString], cwd: &Path, limit: Duration) -> Child {
    let mut cmd = if have_prlimit() {
        let mut c = Command::new("prlimit");
        c.arg(format!("--as={MEMORY_CAP}")).arg("--").arg(bin());
        c
    } else {
        let mut c = Command::new("sh");
        c.arg("-c")
            .arg(format!(
                "ulimit -v {}; exec \"$0\" \"$@\"",
                MEMORY_CAP >> 10
            ))
            .arg(bin());
        c
    };
    cmd.args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        // The reports are dated by it: the same input, the same bytes.
        .env("SOURCE_DATE_EPOCH", "0")
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("the statecap binary starts");
    let out = drain(child.stdout.take().expect("stdout"));
    let err = drain(child.stderr.take().expect("stderr"));
    let started = Instant::now();
    let pid = child.id();
    let mut timed_out = false;
    let status = loop {
        match child.try_wait().expect("wait for statecap") {
            Some(s) => break s,
            // A hang is work that does not end: the child's own CPU time
            // past the limit (a loaded machine slows the wall clock, not
            // the work), or a wall time six times the limit (a child that
            // waits without working).
            None if cpu_time(pid).unwrap_or_else(|| started.elapsed()) > limit
                || started.elapsed() > limit * 6 =>
            {
                timed_out = true;
                let _ = child.kill();
                break child.wait().expect("wait for statecap");
            }
            None => std::thread::sleep(Duration::from_millis(5)),
        }
    };
    use std::os::unix::process::ExitStatusExt;
    Child {
        code: status.code(),
        signal: status.signal(),
        timed_out,
        stdout: String::from_utf8_lossy(&out.join().unwrap_or_default()).into_owned(),
        stderr: String::from_utf8_lossy(&err.join().unwrap_or_default()).into_owned(),
    }
}

/// The CPU time (user + system, every thread) process `pid` has used so
/// far, from `/proc/<pid>/stat` (in USER_HZ = 100 ticks per second);
/// `None` where `/proc` cannot tell.
fn cpu_time(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces), from field 3.
    let rest = &stat[stat.rfind(')')? + 2..];
    let mut f = rest.split(' ');
    let utime: u64 = f.nth(11)?.parse().ok()?;
    let stime: u64 = f.next()?.parse().ok()?;
    Some(Duration::from_millis((utime + stime) * 10))
}

/// Every file under `dir` with its bytes (a directory as `None`).
fn tree_of(dir: &Path) -> BTreeMap<PathBuf, Option<Vec<u8>>> {
    let mut out = BTreeMap::new();
    for rel in crate::support::files_under(dir) {
        let p = dir.join(&rel);
        out.insert(
            rel,
            if p.is_dir() {
                None
            } else {
                std::fs::read(&p).ok()
            },
        );
    }
    out
}

/// What a crashed or hung child is: its findings, or `None` when it exited
/// with a code.
fn crash(child: &Child, size_class: &str) -> Option<Outcome> {
    if child.timed_out {
        return Some(Outcome::failed(
            Kind::Hang,
            format!("hang ({size_class})"),
            child.stderr.chars().take(2000).collect::<String>(),
        ));
    }
    let panicked = child.code == Some(101) || child.stderr.contains("panicked");
    if panicked {
        // "thread 'main' (N) panicked at src/x.rs:L:C:\nmessage"
        let after = child.stderr.split("panicked at ").nth(1).unwrap_or("");
        let (at, msg) = after.split_once('\n').unwrap_or((after, ""));
        let file = at.split(':').next().unwrap_or("");
        let msg = msg.lines().next().unwrap_or("");
        return Some(Outcome::failed(
            Kind::Panic,
            format!("{file}: {}", normalize(msg, &[])),
            child.stderr.chars().take(2000).collect::<String>(),
        ));
    }
    if let Some(sig) = child.signal {
        let what = if child.stderr.contains("memory allocation of") {
            format!("memory allocation failed ({size_class})")
        } else if child.stderr.contains("overflowed its stack") {
            "stack overflow".to_string()
        } else {
            format!("signal {sig} ({size_class})")
        };
        return Some(Outcome::failed(
            Kind::Abort,
            what,
            child.stderr.chars().take(2000).collect::<String>(),
        ));
    }
    None
}

/// Whether `stderr` names one of `files`, and whether with a line
/// (`file:12` or `file: line 12`).
fn names_file(stderr: &str, files: &[&Path]) -> (bool, bool) {
    let mut named = false;
    let mut located = false;
    for f in files {
        let shown = f.display().to_string();
        for (i, _) in stderr.match_indices(&shown) {
            named = true;
            let rest = &stderr[i + shown.len()..];
            let rest = rest
                .strip_prefix(':')
                .map(|r| r.strip_prefix(" line ").unwrap_or(r));
            if rest.is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit())) {
                located = true;
            }
        }
    }
    (named, located)
}

// ---------------------------------------------------------------------------
// The test.

fn table(reports: &[Report]) -> String {
    let mut total = Report {
        target: "total",
        ..Report::default()
    };
    for r in reports {
        total.tried += r.tried;
        total.accepted += r.accepted;
        total.refused += r.refused;
        total.unlocated += r.unlocated;
        for (kind, n) in &r.per_kind {
            *total.per_kind.entry(*kind).or_default() += n;
        }
        for (k, v) in &r.findings {
            total
                .findings
                .insert((k.0, format!("{}: {}", r.target, k.1)), v.clone());
        }
        total.elapsed = total.elapsed.max(r.elapsed);
    }
    let mut t = String::new();
    let _ = writeln!(
        t,
        "{:<9} {:>7} {:>8} {:>7} {:>12} {:>6} {:>6} {:>6} {:>5} {:>12} {:>5} {:>8} {:>7}",
        "target",
        "inputs",
        "accepted",
        "refused",
        "no file:line",
        "share",
        "panics",
        "aborts",
        "hangs",
        "half-written",
        "other",
        "distinct",
        "time"
    );
    for r in reports.iter().chain([&total]) {
        let k = |kind: Kind| r.per_kind.get(&kind).copied().unwrap_or(0);
        let other =
            k(Kind::Unnamed) + k(Kind::Exit) + k(Kind::Nondeterministic) + k(Kind::Contract);
        let _ = writeln!(
            t,
            "{:<9} {:>7} {:>8} {:>7} {:>12} {:>5.1}% {:>6} {:>6} {:>5} {:>12} {:>5} {:>8} {:>6.0}s",
            r.target,
            r.tried,
            r.accepted,
            r.refused,
            r.unlocated,
            100.0 * r.unlocated as f64 / r.refused.max(1) as f64,
            k(Kind::Panic),
            k(Kind::Abort),
            k(Kind::Hang),
            k(Kind::HalfWritten),
            other,
            r.findings.len(),
            r.elapsed.as_secs_f64()
        );
    }
    t
}

fn findings_text(reports: &[Report]) -> String {
    let mut t = String::new();
    for r in reports {
        for note in &r.notes {
            let _ = writeln!(t, "{}: {note}", r.target);
        }
        for ((kind, sig), seen) in &r.findings {
            let _ = writeln!(
                t,
                "{} {} x{}: {sig}{}",
                r.target,
                kind.name(),
                seen.count,
                seen.known
                    .map(|k| format!("  [known: {k}]"))
                    .unwrap_or_else(|| "  [NEW]".into())
            );
            let detail: String = seen.detail.chars().take(400).collect();
            let _ = writeln!(t, "    {}", detail.replace('\n', "\n    "));
            if let Some((name, bytes)) = seen.files.first() {
                let shown: String = String::from_utf8_lossy(bytes).chars().take(600).collect();
                let _ = writeln!(
                    t,
                    "    reproducer {name} ({} bytes):\n      {}",
                    bytes.len(),
                    shown.replace('\n', "\n      ")
                );
            }
        }
    }
    t
}

/// `STATECAP_FUZZ_VERBOSE=1`: one line per case on stderr.
fn verbose() -> bool {
    std::env::var_os("STATECAP_FUZZ_VERBOSE").is_some()
}

/// Whether reproducers are written (then child-process findings are
/// shrunk too, which costs a process per step).
fn saving() -> bool {
    std::env::var_os("STATECAP_FUZZ_SAVE").is_some()
}

/// Writes every finding's reproducer under `STATECAP_FUZZ_SAVE`.
fn save(reports: &[Report]) {
    let Ok(dir) = std::env::var("STATECAP_FUZZ_SAVE") else {
        return;
    };
    let dir = PathBuf::from(dir);
    for r in reports {
        for (i, ((kind, sig), seen)) in r.findings.iter().enumerate() {
            let case = dir.join(format!(
                "{}-{}-{i:02}",
                r.target,
                kind.name().replace([' ', ':'], "_")
            ));
            let _ = std::fs::create_dir_all(&case);
            let _ = std::fs::write(
                case.join("FINDING.txt"),
                format!("{} {}: {sig}\n\n{}\n", r.target, kind.name(), seen.detail),
            );
            for (name, bytes) in &seen.files {
                let _ = std::fs::write(case.join(name), bytes);
            }
        }
    }
}

#[test]
fn fuzz_targets_hold_their_properties() {
    let b = budget();
    let only = std::env::var("STATECAP_FUZZ_TARGETS").unwrap_or_default();
    let on = |t: &str| only.is_empty() || only.split(',').any(|x| x.trim() == t);
    let b = Budget {
        scenario: if on("scenario") { b.scenario } else { 0 },
        trace: if on("trace") { b.trace } else { 0 },
        conf: if on("conf") { b.conf } else { 0 },
        pipeline: if on("pipeline") { b.pipeline } else { 0 },
    };
    let handles = [
        std::thread::spawn(move || fuzz(ScenarioTarget::new(), b.scenario)),
        std::thread::spawn(move || fuzz(TraceTarget::new(), b.trace)),
        std::thread::spawn(move || fuzz(ConfTarget::new(), b.conf)),
        std::thread::spawn(move || fuzz(PipelineTarget::new(), b.pipeline)),
    ];
    let reports: Vec<Report> = handles
        .into_iter()
        .map(|h| h.join().expect("a fuzz target"))
        .collect();
    println!(
        "fuzz (seed {:#x}, timeout {} s, memory cap {} MiB{}):\n{}",
        seed(),
        timeout().as_secs(),
        MEMORY_CAP >> 20,
        if have_prlimit() {
            ", prlimit"
        } else {
            ", ulimit -v"
        },
        table(&reports)
    );
    print!("{}", findings_text(&reports));
    save(&reports);
    let met: BTreeSet<(&str, Kind, &str)> = reports
        .iter()
        .flat_map(|r| {
            r.findings
                .iter()
                .map(move |((k, s), _)| (r.target, *k, s.as_str()))
        })
        .collect();
    for k in KNOWN {
        if !met
            .iter()
            .any(|(t, kind, s)| *t == k.target && *kind == k.kind && s.contains(k.signature))
        {
            println!(
                "known finding not met in this run (remove it once fixed): {} {} {:?}",
                k.target,
                k.kind.name(),
                k.signature
            );
        }
    }
    let unexpected: Vec<String> = reports
        .iter()
        .flat_map(|r| {
            r.unexpected().into_iter().map(move |((k, s), seen)| {
                format!(
                    "{} {}: {s}\n    {}",
                    r.target,
                    k.name(),
                    seen.detail.chars().take(300).collect::<String>()
                )
            })
        })
        .collect();
    assert!(
        unexpected.is_empty(),
        "{} new finding(s) (reproduce with the same STATECAP_FUZZ_SEED; STATECAP_FUZZ_SAVE=DIR writes them):\n{}",
        unexpected.len(),
        unexpected.join("\n")
    );
}

// ---------------------------------------------------------------------------
// Scenario text, mutated key by key.

/// The files the mutations start from: the shipped scenarios and the
/// scenario files of `tests/data` (good and bad), sorted.
fn corpus() -> Vec<(PathBuf, String)> {
    let root = manifest_dir();
    let mut files = Vec::new();
    for dir in ["scenarios", "tests/data", "tests/data/bad"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "toml") {
                let text = std::fs::read_to_string(&p).unwrap_or_default();
                files.push((p, text));
            }
        }
    }
    files.sort();
    assert!(files.len() >= 10, "the scenario corpus is missing");
    files
}

/// Every field name a scenario may hold, some misspelt, and flink_conf keys.
#[rustfmt::skip]
const FIELDS: &[&str] = &[
    "name", "flink_version", "seed", "description", "records", "duration", "duration_ms",
    "events_per_second", "rate", "keys", "key_distribution", "zipf_exponent", "key_type",
    "key_length", "record_bytes", "jitter_ms", "jitter", "out_of_orderness_ms", "out_of_orderness",
    "watermark_every_records", "trace", "payload", "parallelism", "max_parallelism", "kind",
    "assigner", "size_ms", "size", "slide_ms", "slide", "gap_ms", "gap", "offset_ms", "offset",
    "time", "allowed_lateness_ms", "allowed_lateness", "function", "accumulator_bytes", "backend",
    "timer_service", "incremental", "compression", "every_records", "interval_ms", "interval",
    "storage", "max_state_size", "distribution", "min", "max", "mean", "stddev", "Name",
    "parallelism ", "keys_", "sizes", "\"state.backend\"", "\"state.backend.type\"",
    "\"state.checkpoints.dir\"", "\"execution.checkpointing.dir\"",
    "\"execution.checkpointing.interval\"", "\"state.checkpoint-storage\"",
    "\"execution.checkpointing.storage\"", "\"state.backend.incremental\"",
    "\"state.storage.fs.memory-threshold\"", "\"execution.checkpointing.data-inline-threshold\"",
    "\"akka.framesize\"", "\"pekko.framesize\"", "\"state.backend.rocksdb.timer-service.factory\"",
    "\"execution.checkpointing.snapshot-compression\"", "\"ключ\"", "\"\"", "a.b.c", "source.keys",
    "job.parallelism",
];

/// Numbers and texts on the edges of what fields accept.
#[rustfmt::skip]
const EXTREMES: &[&str] = &[
    "0", "-1", "1", "2", "7", "127", "128", "129", "32767", "32768", "32769", "65535", "65536",
    "2147483647", "2147483648", "-2147483648", "4294967295", "4294967296", "4294967297",
    "9007199254740993", "9223372036854775807", "9223372036854775808", "-9223372036854775808",
    "18446744073709551615", "18446744073709551616", "1e308", "1.7976931348623157e308", "-1e308",
    "1e-308", "5e-324", "nan", "+nan", "-nan", "inf", "-inf", "0.0", "-0.0", "0.5", "1.5", "1e3",
    "1e9", "1e12", "1e18", "1e19", "9.2e18", "1_000", "0x10", "0o17", "0b101", "true", "false",
    "\"\"", "\" \"", "\"0\"", "\"-1\"", "\"1 tb\"", "\"1 TB\"", "\"1tb\"", "\"1 b\"", "\"0 b\"",
    "\"1 kb\"", "\"1.5 kb\"", "\"5 mb\"", "\"8 eb\"", "\"99999999999999999999 tb\"",
    "\"18446744073709551615\"", "\"18446744073709551616\"", "\"9223372036854775807 ms\"",
    "\"9223372036854775808 ms\"", "\"0 ms\"", "\"1 ms\"", "\"-5 s\"", "\"0.0001 ms\"", "\"1e400\"",
    "\"1e18\"", "\"nan\"", "\"inf\"", "\"1 d\"", "\"365 d\"", "\"366 d\"", "\"100000 d\"",
    "\"1 min\"", "\"1 h\"", "\"10 s\"", "\"10\"", "\"10M\"", "\"1_000\"", "\" 5 s \"",
    "\"5 parsecs\"", "\"1.6.2\"", "\"1.5\"", "\"1.6\"", "\"2.99\"", "\"3.0\"", "\"1.20.5.1\"",
    "\"01.020\"", "\"1.-1\"", "\"héllo wörld ✓\"", "\"\\u0000\"", "\"\\n\"", "\"../../etc\"",
    "\"/\"", "\".\"", "\"con\"", "\"a/b\"", "\"..\"", "[]", "[1, 2]", "[\"a\"]", "[[]]", "{}",
    "{ a = 1 }", "{ distribution = \"normal\", mean = 0, stddev = 0 }",
    "{ distribution = \"normal\", mean = 1, stddev = 1e300 }",
    "{ distribution = \"uniform\", min = 10, max = 1 }",
    "{ distribution = \"uniform\", min = 0, max = 0 }",
    "{ distribution = \"uniform\", min = 1, max = \"8 eb\" }",
    "{ distribution = \"lognormal\", mean = 1, stddev = 1e300 }",
    "{ distribution = \"lognormal\", mean = \"1 tb\", stddev = \"1 tb\" }",
    "{ distribution = \"lognormal\", mean = 400, stddev = 0, min = 400, max = 400 }",
    "{ distribution = \"zipf\" }", "1979-05-27T07:32:00Z", "07:32:00", "1979-05-27",
];

/// Values a field takes when it is right, to reach the rules behind them.
#[rustfmt::skip]
const WORDS: &[&str] = &[
    "\"tumbling\"", "\"sliding\"", "\"session\"", "\"process\"", "\"apply\"", "\"aggregate\"",
    "\"reduce\"", "\"event\"", "\"processing\"", "\"uniform\"", "\"zipf\"", "\"normal\"",
    "\"lognormal\"", "\"long\"", "\"int\"", "\"integer\"", "\"string\"", "\"hashmap\"",
    "\"rocksdb\"", "\"memory\"", "\"filesystem\"", "\"fs\"", "\"jobmanager\"", "\"forst\"",
    "\"heap\"", "\"random\"", "\"text\"", "\"constant\"", "\"window\"", "\"1.6\"", "\"1.6.2\"",
    "\"1.9\"", "\"1.10\"", "\"1.12\"", "\"1.13\"", "\"1.17\"", "\"1.18\"", "\"1.19\"", "\"1.20\"",
    "\"2.0\"", "\"2.1\"", "\"2.2\"", "\"HEAP\"", "\"ROCKSDB\"", "\"file:///tmp/c\"",
    "\"hdfs:///flink/checkpoints\"", "true", "false",
];

/// A TOML string literal of `s`.
fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// Any value: edges, right words, random numbers and quantities, long,
/// unicode and nested texts.
fn literal() -> BoxedStrategy<String> {
    prop_oneof![
        5 => proptest::sample::select(EXTREMES).prop_map(str::to_string),
        3 => proptest::sample::select(WORDS).prop_map(str::to_string),
        2 => any::<i64>().prop_map(|v| v.to_string()),
        1 => any::<u64>().prop_map(|v| v.to_string()),
        1 => any::<f64>().prop_map(|v| format!("{v:?}").replace("NaN", "nan")),
        3 => "[0-9]{1,21}(\\.[0-9]{0,3})?(e[0-9]{1,3})? ?(ns|us|ms|s|sec|min|h|d|b|kb|mb|gb|tb|pb|eb|x)?"
            .prop_map(|s| toml_string(&s)),
        1 => (0usize..70_000).prop_map(|n| toml_string(&"x".repeat(n))),
        2 => "\\PC{0,24}".prop_map(|s| toml_string(&s)),
        1 => (1usize..120).prop_map(|d| format!("{}1{}", "[".repeat(d), "]".repeat(d))),
        1 => (1usize..60).prop_map(|d| format!("{}1{}", "{ a = ".repeat(d), " }".repeat(d))),
    ]
    .boxed()
}

/// Values that keep a scenario small enough to run: small numbers,
/// durations, right words, and now and then an edge.
fn moderate() -> BoxedStrategy<String> {
    prop_oneof![
        4 => (0u64..3000).prop_map(|v| v.to_string()),
        3 => "\"[1-9][0-9]{0,2} ?(ms|s)\"".prop_map(|s| s),
        4 => proptest::sample::select(WORDS).prop_map(str::to_string),
        1 => (0.0f64..4.0).prop_map(|v| format!("{v:?}")),
        2 => proptest::sample::select(EXTREMES).prop_map(str::to_string),
    ]
    .boxed()
}

/// Values that fit a field (its type and its range), to get past the
/// parser to the rules and the simulation behind it.
fn fitting(key: &str) -> &'static [&'static str] {
    match key.trim().trim_matches('"') {
        "records" | "keys" => &[
            "1", "2", "10", "100", "1000", "5000", "20000", "1e4", "\"300\"",
        ],
        "events_per_second" | "rate" => &["1", "3", "7.5", "0.5", "100", "1000", "2000"],
        "duration" | "duration_ms" => &["\"1 s\"", "\"5 s\"", "\"20 s\"", "500", "\"1 min\""],
        "key_distribution" => &["\"uniform\"", "\"zipf\""],
        "zipf_exponent" => &["0.5", "1.1", "2", "10"],
        "key_type" => &["\"long\"", "\"int\"", "\"string\""],
        "key_length" => &["1", "4", "8", "16", "100"],
        "record_bytes" => &[
            "1",
            "10",
            "117",
            "\"1 kb\"",
            "\"64 kb\"",
            "{ distribution = \"uniform\", min = 10, max = 300 }",
            "{ distribution = \"normal\", mean = 200, stddev = 50, min = 20, max = 400 }",
            "{ distribution = \"lognormal\", mean = 400, stddev = 150, min = 40, max = \"4 kb\" }",
        ],
        "jitter" | "jitter_ms" | "out_of_orderness" | "out_of_orderness_ms" => {
            &["0", "100", "\"1 s\"", "\"10 s\""]
        }
        "watermark_every_records" => &["1", "10", "1000"],
        "parallelism" => &["1", "2", "3", "4", "8", "16", "128"],
        "max_parallelism" => &["1", "4", "128", "256", "4096", "32768"],
        "assigner" => &["\"tumbling\"", "\"sliding\"", "\"session\""],
        "time" => &["\"event\"", "\"processing\""],
        "function" => &["\"process\"", "\"apply\"", "\"aggregate\"", "\"reduce\""],
        "kind" => &["\"window\""],
        "size" | "size_ms" | "slide" | "slide_ms" | "gap" | "gap_ms" => &[
            "1",
            "100",
            "\"1 s\"",
            "\"5 s\"",
            "\"10 s\"",
            "\"1 min\"",
            "\"1 h\"",
        ],
        "offset" | "offset_ms" => &["0", "1", "\"1 s\"", "\"4 s\""],
        "allowed_lateness" | "allowed_lateness_ms" => &["0", "\"1 s\"", "\"10 s\""],
        "accumulator_bytes" => &["1", "16", "48", "\"1 kb\""],
        "backend" => &[
            "\"hashmap\"",
            "\"rocksdb\"",
            "\"memory\"",
            "\"filesystem\"",
            "\"jobmanager\"",
            "\"forst\"",
        ],
        "timer_service" => &["\"rocksdb\"", "\"heap\""],
        "incremental" | "compression" => &["true", "false"],
        "every_records" => &["1", "10", "100", "1000", "5000"],
        "interval" | "interval_ms" => &["\"100 ms\"", "\"1 s\"", "\"2 s\"", "\"10 s\""],
        "storage" => &["\"jobmanager\"", "\"filesystem\""],
        "max_state_size" => &["\"1 kb\"", "\"1 mb\"", "\"5 mb\"", "\"1 gb\""],
        "flink_version" => &[
            "\"1.6\"", "\"1.9\"", "\"1.12\"", "\"1.13\"", "\"1.17\"", "\"1.19\"", "\"1.20\"",
            "\"2.0\"", "\"2.2\"",
        ],
        "seed" => &["0", "1", "42", "18446744073709551615"],
        "name" => &["\"a\"", "\"x-y.z\"", "\"good\""],
        "payload" => &["\"random\"", "\"text\"", "\"constant\""],
        "state.backend" | "state.backend.type" => &[
            "\"rocksdb\"",
            "\"hashmap\"",
            "\"filesystem\"",
            "\"jobmanager\"",
            "\"forst\"",
        ],
        "state.checkpoint-storage" | "execution.checkpointing.storage" => {
            &["\"jobmanager\"", "\"filesystem\""]
        }
        _ => &["1", "\"1 s\"", "true", "\"x\""],
    }
}

/// One edit of a scenario's text; `line` and `section` count `key = value`
/// lines and section headers (modulo their number).
#[derive(Debug, Clone)]
enum Mutation {
    /// Gives the value a new text.
    Set { line: usize, value: String },
    /// Gives the value one that fits its field ([`fitting`]).
    Fit { line: usize, pick: usize },
    /// Deletes the key.
    Delete { line: usize },
    /// Writes the key twice.
    Duplicate { line: usize },
    /// Renames the key.
    Rename { line: usize, key: String },
    /// Moves the key under another section header (0: the top).
    Move { line: usize, section: usize },
    /// Adds a key under a section header (0: the top).
    Add {
        section: usize,
        key: String,
        value: String,
    },
    /// Writes a section (its header and keys) again at the end.
    DuplicateSection { section: usize },
    /// Deletes a section.
    DeleteSection { section: usize },
    /// Inserts text at a byte offset.
    Splice { at: usize, text: String },
    /// Deletes bytes.
    Cut { at: usize, len: usize },
}

/// Mutations; `fit` weighs value changes that fit their field against
/// everything else (10: mostly fitting).
fn mutation(values: BoxedStrategy<String>, fit: u32) -> BoxedStrategy<Mutation> {
    let field = proptest::sample::select(FIELDS).prop_map(str::to_string);
    let token = prop_oneof![
        Just("=".to_string()),
        Just("\"".to_string()),
        Just("'''".to_string()),
        Just("[".to_string()),
        Just("]".to_string()),
        Just("\n".to_string()),
        Just("\r\n".to_string()),
        Just("\n[[operator]]\n".to_string()),
        Just("\n[source]\n".to_string()),
        Just("\n[state]\n".to_string()),
        Just("{".to_string()),
        Just(".".to_string()),
        Just("#".to_string()),
        Just("\\".to_string()),
        Just("\t".to_string()),
        Just("\u{feff}".to_string()),
        "[a-z_]{1,12}",
        "[0-9]{1,25}",
        "\\PC{0,6}",
    ];
    prop_oneof![
        fit => (any::<usize>(), any::<usize>()).prop_map(|(line, pick)| Mutation::Fit { line, pick }),
        6 => (any::<usize>(), values.clone()).prop_map(|(line, value)| Mutation::Set { line, value }),
        2 => any::<usize>().prop_map(|line| Mutation::Delete { line }),
        1 => any::<usize>().prop_map(|line| Mutation::Duplicate { line }),
        1 => (any::<usize>(), field.clone()).prop_map(|(line, key)| Mutation::Rename { line, key }),
        1 => (any::<usize>(), any::<usize>())
            .prop_map(|(line, section)| Mutation::Move { line, section }),
        2 => (any::<usize>(), field, values)
            .prop_map(|(section, key, value)| Mutation::Add { section, key, value }),
        1 => any::<usize>().prop_map(|section| Mutation::DuplicateSection { section }),
        1 => any::<usize>().prop_map(|section| Mutation::DeleteSection { section }),
        1 => (any::<usize>(), token).prop_map(|(at, text)| Mutation::Splice { at, text }),
        1 => (any::<usize>(), 1usize..40).prop_map(|(at, len)| Mutation::Cut { at, len }),
    ]
    .boxed()
}

/// Indices of the `key = value` lines.
fn key_lines(lines: &[String]) -> Vec<usize> {
    lines
        .iter()
        .enumerate()
        .filter(|(_, l)| {
            let t = l.trim_start();
            !t.starts_with('#')
                && !t.starts_with('[')
                && t.split_once('=').is_some_and(|(k, _)| !k.trim().is_empty())
        })
        .map(|(i, _)| i)
        .collect()
}

/// Indices of the section headers.
fn headers(lines: &[String]) -> Vec<usize> {
    lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.trim_start().starts_with('['))
        .map(|(i, _)| i)
        .collect()
}

/// The line after which something goes "under section `n`" (0: the top).
fn section_anchor(lines: &[String], n: usize) -> Option<usize> {
    let h = headers(lines);
    match n % (h.len() + 1) {
        0 => None,
        i => Some(h[i - 1]),
    }
}

/// The lines of section `n` (its header up to the next one).
fn section_range(lines: &[String], n: usize) -> Option<std::ops::Range<usize>> {
    let h = headers(lines);
    if h.is_empty() {
        return None;
    }
    let i = n % h.len();
    Some(h[i]..h.get(i + 1).copied().unwrap_or(lines.len()))
}

fn char_boundary(s: &str, at: usize) -> usize {
    let mut i = at % (s.len() + 1);
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn apply(text: &str, m: &Mutation) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let keyed = key_lines(&lines);
    let pick = |line: usize| (!keyed.is_empty()).then(|| keyed[line % keyed.len()]);
    let insert_under =
        |lines: &mut Vec<String>, section: usize, l: String| match section_anchor(lines, section) {
            Some(h) => lines.insert(h + 1, l),
            None => lines.insert(0, l),
        };
    match m {
        Mutation::Set { line, value } => {
            if let Some(i) = pick(*line) {
                let key = lines[i].split_once('=').map_or("", |(k, _)| k).to_string();
                lines[i] = format!("{} = {value}", key.trim_end());
            }
        }
        Mutation::Fit { line, pick: p } => {
            if let Some(i) = pick(*line) {
                let key = lines[i].split_once('=').map_or("", |(k, _)| k).to_string();
                let values = fitting(&key);
                lines[i] = format!("{} = {}", key.trim_end(), values[p % values.len()]);
            }
        }
        Mutation::Delete { line } => {
            if let Some(i) = pick(*line) {
                lines.remove(i);
            }
        }
        Mutation::Duplicate { line } => {
            if let Some(i) = pick(*line) {
                let l = lines[i].clone();
                lines.insert(i + 1, l);
            }
        }
        Mutation::Rename { line, key } => {
            if let Some(i) = pick(*line) {
                let rest = lines[i].split_once('=').map_or("", |(_, v)| v).to_string();
                lines[i] = format!("{key} ={rest}");
            }
        }
        Mutation::Move { line, section } => {
            if let Some(i) = pick(*line) {
                let l = lines.remove(i);
                insert_under(&mut lines, *section, l);
            }
        }
        Mutation::Add {
            section,
            key,
            value,
        } => insert_under(&mut lines, *section, format!("{key} = {value}")),
        Mutation::DuplicateSection { section } => {
            if let Some(r) = section_range(&lines, *section) {
                let copy: Vec<String> = lines[r].to_vec();
                lines.extend(copy);
            }
        }
        Mutation::DeleteSection { section } => {
            if let Some(r) = section_range(&lines, *section) {
                lines.drain(r);
            }
        }
        Mutation::Splice { at, text: t } => {
            let a = char_boundary(text, *at);
            return format!("{}{t}{}", &text[..a], &text[a..]);
        }
        Mutation::Cut { at, len } => {
            let a = char_boundary(text, *at);
            let b = char_boundary(text, (a + len).min(text.len()));
            return format!("{}{}", &text[..a], &text[b.max(a)..]);
        }
    }
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

/// Bytes inserted at an offset (invalid UTF-8 among them).
fn raw_bytes() -> BoxedStrategy<(usize, Vec<u8>)> {
    (
        any::<usize>(),
        prop_oneof![
            Just(vec![0xff]),
            Just(vec![0xc3]),
            Just(vec![0xed, 0xa0, 0x80]),
            Just(vec![0xf4, 0x90, 0x80, 0x80]),
            Just(vec![0xef, 0xbb, 0xbf]),
            Just(vec![0]),
            proptest::collection::vec(any::<u8>(), 1..8),
        ],
    )
        .boxed()
}

fn insert_bytes(text: &str, raw: &Option<(usize, Vec<u8>)>) -> Vec<u8> {
    let mut b = text.as_bytes().to_vec();
    if let Some((at, bytes)) = raw {
        let at = at % (b.len() + 1);
        b.splice(at..at, bytes.iter().copied());
    }
    b
}

/// Whether a refusal of `text` at `path` says what it must: every mistake
/// names the file and a line within it; an I/O error names the file.
fn scenario_refusal(e: &Error, path: &Path, text: Option<&str>) -> Outcome {
    let lines = text.map_or(0, |t| t.lines().count());
    // Errors are located through a span-keeping parse of the text: when
    // that parse fails where the reading one succeeds, no error has a line.
    let locator = text.and_then(|t| {
        let e = toml_edit::Document::parse(t).err()?;
        let shown = e.to_string();
        Some(
            shown
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("")
                .trim()
                .to_string(),
        )
    });
    let mut o = Outcome::refused(true);
    let shown = e.to_string();
    if !shown.contains(&path.display().to_string()) {
        o = o.with(
            Kind::Unnamed,
            normalize(&shown, &[path]),
            shown.chars().take(500).collect::<String>(),
        );
    }
    match e {
        Error::Scenario(errs) => {
            for se in errs {
                if se.path != path {
                    o = o.with(
                        Kind::Unnamed,
                        format!("`{}` names another file", se.field),
                        se.to_string(),
                    );
                }
                match se.line {
                    None => {
                        o.class = Class::Refused { located: false };
                        let signature = match &locator {
                            Some(why) => format!(
                                "every error unlocated: the text is TOML to the reader, not to \
                                 the locator (toml_edit: {})",
                                normalize(why, &[])
                            ),
                            None => format!("`{}`: {}", se.field, normalize(&se.message, &[path])),
                        };
                        o = o.with(Kind::Unlocated, signature, se.to_string());
                    }
                    // Without the text (bytes that are not UTF-8) the lines
                    // are not counted here.
                    Some(l) if l == 0 || (text.is_some() && l > lines + 1) => {
                        o = o.with(
                            Kind::Contract,
                            format!("`{}`: line beyond the file", se.field),
                            format!("line {l} of {lines}: {se}"),
                        );
                    }
                    Some(_) => {}
                }
            }
        }
        Error::Io { path: p, source } => {
            o.class = Class::Refused { located: false };
            o = o.with(
                Kind::Unlocated,
                format!("io: {}", normalize(&source.to_string(), &[])),
                shown.chars().take(500).collect::<String>(),
            );
            if p != path {
                o = o.with(Kind::Unnamed, "io error names another file", shown);
            }
        }
        other => {
            o = o.with(
                Kind::Contract,
                "the parser returned an error that is not Error::Scenario or Error::Io",
                other.to_string(),
            );
        }
    }
    o
}

/// The properties of a parsed (or refused) scenario.
fn scenario_outcome(
    r: Result<Result<Scenario, Error>, String>,
    path: &Path,
    text: Option<&str>,
) -> Outcome {
    match r {
        Err(panic) => panic_outcome(&panic),
        Ok(Err(e)) => scenario_refusal(&e, path, text),
        Ok(Ok(s)) => match statecap::scenario::validate::check_scenario(&s) {
            Ok(()) => Outcome::accepted(),
            Err(broken) => Outcome::accepted().with(
                Kind::Contract,
                format!(
                    "accepted, but check_scenario refuses {}",
                    broken
                        .iter()
                        .map(|(f, _)| f.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                format!("{broken:?}"),
            ),
        },
    }
}

#[derive(Debug, Clone)]
struct ScenarioCase {
    base: usize,
    mutations: Vec<Mutation>,
    /// Raw bytes (invalid UTF-8 among them): read through a file.
    raw: Option<(usize, Vec<u8>)>,
    /// Read through `Scenario::load` on a file rather than parsed.
    via_file: bool,
}

struct ScenarioTarget {
    corpus: Vec<(PathBuf, String)>,
}

impl ScenarioTarget {
    fn new() -> Self {
        ScenarioTarget { corpus: corpus() }
    }
    fn text(&self, c: &ScenarioCase) -> String {
        let base = &self.corpus[c.base % self.corpus.len()].1;
        c.mutations.iter().fold(base.clone(), |t, m| apply(&t, m))
    }
}

impl Target for ScenarioTarget {
    type Input = ScenarioCase;
    const NAME: &'static str = "scenario";

    fn strategy(&self) -> BoxedStrategy<ScenarioCase> {
        // Mostly the valid files (the shipped scenarios and good.toml come
        // first in `good`), so that mutations reach the rules behind the
        // syntax; the bad fixtures a third of the time.
        let good: Vec<usize> = (0..self.corpus.len())
            .filter(|&i| {
                !self.corpus[i]
                    .0
                    .parent()
                    .is_some_and(|d| d.ends_with("bad"))
            })
            .collect();
        let bad: Vec<usize> = (0..self.corpus.len())
            .filter(|i| !good.contains(i))
            .collect();
        let base = prop_oneof![
            2 => proptest::sample::select(good),
            1 => proptest::sample::select(bad),
        ];
        (
            base,
            proptest::collection::vec(mutation(literal(), 8), 1..4),
            proptest::option::weighted(0.1, raw_bytes()),
            proptest::bool::weighted(0.1),
        )
            .prop_map(|(base, mutations, raw, via_file)| ScenarioCase {
                base,
                mutations,
                raw,
                via_file,
            })
            .boxed()
    }

    fn check(&self, c: &ScenarioCase) -> Outcome {
        let text = self.text(c);
        let base = &self.corpus[c.base % self.corpus.len()].0;
        if c.raw.is_none() && !c.via_file {
            return scenario_outcome(catch(|| Scenario::parse(&text, base)), base, Some(&text));
        }
        let bytes = insert_bytes(&text, &c.raw);
        let tmp = tempfile::tempdir().expect("a temporary directory");
        let path = tmp.path().join(base.file_name().expect("a file name"));
        std::fs::write(&path, &bytes).expect("write the scenario");
        let text = std::str::from_utf8(&bytes).ok();
        scenario_outcome(catch(|| Scenario::load(&path)), &path, text)
    }

    fn reproducer(&self, c: &ScenarioCase) -> Files {
        let base = &self.corpus[c.base % self.corpus.len()].0;
        let name = base
            .file_name()
            .expect("a file name")
            .to_string_lossy()
            .into_owned();
        vec![
            (name, insert_bytes(&self.text(c), &c.raw)),
            (
                "FROM.txt".into(),
                format!(
                    "mutated from {}\n{:#?}\n",
                    base.strip_prefix(manifest_dir()).unwrap_or(base).display(),
                    c
                )
                .into_bytes(),
            ),
        ]
    }
}

// ---------------------------------------------------------------------------
// Traces: a CSV behind a generated scenario, and a model of the reader.

/// The Java type of the trace's keys.
#[derive(Debug, Clone, Copy)]
enum TraceKey {
    Long,
    Int,
    Str(u32),
}

/// One physical line of a trace.
#[derive(Debug, Clone)]
enum TraceLine {
    /// A record, field by field (no separators or quotes inside).
    Row(Vec<Vec<u8>>),
    /// An empty line (skipped).
    Blank,
    /// A `#` comment (skipped).
    Comment(String),
}

/// How the trace file is stored.
#[derive(Debug, Clone, Copy)]
enum Packing {
    Plain,
    Gzip,
    /// Gzip cut after this many bytes (modulo its length).
    TruncatedGzip(usize),
}

/// The window of the scenario in front of the trace.
#[derive(Debug, Clone)]
struct TraceJob {
    eps: u32,
    parallelism: u32,
    max_parallelism: u32,
    /// `assigner = …` and its lengths, `time = …`, `function = …`.
    operator: String,
    out_of_orderness_ms: u64,
    checkpoint: String,
    backend: &'static str,
    cap: Option<u64>,
    sampled: bool,
}

#[derive(Debug, Clone)]
struct TraceCase {
    key: TraceKey,
    header: Option<Vec<String>>,
    lines: Vec<TraceLine>,
    crlf: bool,
    packing: Packing,
    /// Raw bytes inserted into the text: the model no longer applies.
    chaos: Option<(usize, Vec<u8>)>,
    job: TraceJob,
}

/// What the reader must do with a trace, by the rules its module states
/// (`src/workload/trace.rs`): fields trimmed; blank and `#` lines skipped;
/// a first record whose first field is `key` is a header naming the
/// `ts_ms` (`ts`, `timestamp`) and `bytes` (`record_bytes`) columns; the
/// key is an `i64` (`i32` for int keys; UTF-8 text of at most 65535
/// serialized bytes for strings); the timestamp an `i64`; the bytes a
/// whole number from 1 to 2^30; reading stops after `cap` records.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Expect {
    /// Plays this many records.
    Records(u64),
    /// Refused at this line.
    BadLine(u64),
    /// Refused without a line (no records).
    Empty,
}

fn java_utf8_len(s: &str) -> u64 {
    let units: Vec<u16> = s.encode_utf16().collect();
    let bytes: u64 = units
        .iter()
        .map(|&c| match c {
            0..0x80 => 1,
            0x80..0x800 => 2,
            _ => 3,
        })
        .sum();
    let mut v = units.len() as u64 + 1;
    let mut varint = 1;
    while v >= 0x80 {
        v >>= 7;
        varint += 1;
    }
    varint + bytes
}

fn expect_trace(c: &TraceCase) -> Expect {
    let mut line = 0u64;
    let (mut ct, mut cb) = (1usize, 2usize);
    let mut first = true;
    let mut records = 0u64;
    let header_line = c
        .header
        .as_ref()
        .map(|h| TraceLine::Row(h.iter().map(|f| f.as_bytes().to_vec()).collect()));
    for l in header_line.iter().chain(&c.lines) {
        line += 1;
        let TraceLine::Row(fields) = l else {
            continue;
        };
        let fields: Vec<&[u8]> = fields.iter().map(|f| f.trim_ascii()).collect();
        if first {
            first = false;
            let f0 = String::from_utf8_lossy(fields[0]).to_ascii_lowercase();
            if f0 == "key" {
                let names: Vec<String> = fields
                    .iter()
                    .map(|f| String::from_utf8_lossy(f).to_ascii_lowercase())
                    .collect();
                let find = |want: &[&str]| names.iter().position(|n| want.contains(&n.as_str()));
                match (
                    find(&["ts_ms", "ts", "timestamp"]),
                    find(&["bytes", "record_bytes"]),
                ) {
                    (Some(t), Some(b)) => (ct, cb) = (t, b),
                    _ => return Expect::BadLine(line),
                }
                continue;
            }
        }
        if c.job.cap.is_some_and(|cap| records >= cap) {
            break;
        }
        let text = |i: usize| fields.get(i).and_then(|f| std::str::from_utf8(f).ok());
        let key_ok = match (c.key, text(0)) {
            (_, None) => false,
            (TraceKey::Long, Some(k)) => k.parse::<i64>().is_ok(),
            (TraceKey::Int, Some(k)) => k.parse::<i32>().is_ok(),
            (TraceKey::Str(_), Some(k)) => java_utf8_len(k) <= 65535,
        };
        let ts_ok = text(ct).is_some_and(|t| t.parse::<i64>().is_ok());
        let bytes_ok = text(cb)
            .and_then(|b| b.parse::<u64>().ok())
            .is_some_and(|b| (1..=1 << 30).contains(&b));
        if !(key_ok && ts_ok && bytes_ok) {
            return Expect::BadLine(line);
        }
        records += 1;
    }
    if records == 0 {
        Expect::Empty
    } else {
        Expect::Records(records)
    }
}

fn trace_text(c: &TraceCase) -> Vec<u8> {
    let eol: &[u8] = if c.crlf { b"\r\n" } else { b"\n" };
    let mut out = Vec::new();
    if let Some(h) = &c.header {
        out.extend_from_slice(h.join(",").as_bytes());
        out.extend_from_slice(eol);
    }
    for l in &c.lines {
        match l {
            TraceLine::Row(fields) => out.extend_from_slice(&fields.join(&b","[..])),
            TraceLine::Blank => {}
            TraceLine::Comment(t) => {
                out.push(b'#');
                out.extend_from_slice(t.as_bytes());
            }
        }
        out.extend_from_slice(eol);
    }
    if let Some((at, bytes)) = &c.chaos {
        let at = at % (out.len() + 1);
        out.splice(at..at, bytes.iter().copied());
    }
    match c.packing {
        Packing::Plain => out,
        Packing::Gzip | Packing::TruncatedGzip(_) => {
            use std::io::Write;
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            gz.write_all(&out).expect("gzip in memory");
            let mut z = gz.finish().expect("gzip in memory");
            if let Packing::TruncatedGzip(n) = c.packing {
                z.truncate(n % z.len());
            }
            z
        }
    }
}

fn trace_scenario(c: &TraceCase, trace: &Path) -> String {
    let j = &c.job;
    let key = match c.key {
        TraceKey::Long => "key_type = \"long\"".to_string(),
        TraceKey::Int => "key_type = \"int\"".to_string(),
        TraceKey::Str(n) => format!("key_type = \"string\"\nkey_length = {n}"),
    };
    let cap = j
        .cap
        .map(|n| format!("records = {n}\n"))
        .unwrap_or_default();
    format!(
        "name = \"trace\"\nflink_version = \"1.20\"\nseed = 1\n\n[source]\nevents_per_second = {}\n\
         trace = {}\n{cap}{key}\nout_of_orderness_ms = {}\n\n[job]\nparallelism = {}\n\
         max_parallelism = {}\n\n[[operator]]\nname = \"w\"\nkind = \"window\"\n{}\n\n[state]\n\
         backend = \"{}\"\n\n[checkpoints]\n{}\n",
        j.eps,
        toml_string(&trace.display().to_string()),
        j.out_of_orderness_ms,
        j.parallelism,
        j.max_parallelism,
        j.operator,
        j.backend,
        j.checkpoint
    )
}

/// A key field; `clean`: only keys the reader takes.
fn trace_field(key: TraceKey, clean: bool) -> BoxedStrategy<Vec<u8>> {
    let text = |s: &'static str| Just(s.as_bytes().to_vec());
    match (key, clean) {
        (TraceKey::Long, true) => {
            return any::<i64>()
                .prop_map(|v| v.to_string().into_bytes())
                .boxed();
        }
        (TraceKey::Int, true) => {
            return (-50i32..50)
                .prop_map(|v| v.to_string().into_bytes())
                .boxed();
        }
        (TraceKey::Str(_), true) => {
            return "[a-z]{1,3}[0-9]{0,3}".prop_map(String::into_bytes).boxed();
        }
        _ => {}
    }
    match key {
        TraceKey::Long | TraceKey::Int => prop_oneof![
            40 => (-50i64..50).prop_map(|v| v.to_string().into_bytes()),
            2 => any::<i64>().prop_map(|v| v.to_string().into_bytes()),
            2 => any::<i32>().prop_map(|v| v.to_string().into_bytes()),
            1 => proptest::sample::select(&[
                "2147483647", "2147483648", "-2147483649", "9223372036854775807",
                "9223372036854775808", "-9223372036854775809", "+5", " 7 ", "0x10", "1.0",
                "1e3", "", "user_1", "KEY", "-", "٣",
            ][..])
            .prop_map(|s| s.as_bytes().to_vec()),
        ]
        .boxed(),
        TraceKey::Str(_) => prop_oneof![
            40 => "[a-z]{1,3}[0-9]{0,3}".prop_map(String::into_bytes),
            4 => "[^,\"#\r\n]{0,12}".prop_map(String::into_bytes),
            1 => (60_000usize..70_000).prop_map(|n| "é".repeat(n / 2).into_bytes()),
            1 => (21_000usize..23_000).prop_map(|n| "€".repeat(n).into_bytes()),
            1 => text("Key"),
            1 => Just(vec![0xff, b'k']),
        ]
        .boxed(),
    }
}

/// A timestamp field; `clean`: only whole numbers.
fn ts_field(clean: bool) -> BoxedStrategy<Vec<u8>> {
    if clean {
        return prop_oneof![
            20 => (0i64..100_000).prop_map(|v| v.to_string().into_bytes()),
            1 => any::<i64>().prop_map(|v| v.to_string().into_bytes()),
        ]
        .boxed();
    }
    prop_oneof![
        40 => (0i64..100_000).prop_map(|v| v.to_string().into_bytes()),
        2 => any::<i64>().prop_map(|v| v.to_string().into_bytes()),
        1 => proptest::sample::select(&[
            "-1", "-9223372036854775808", "9223372036854775807", "9223372036854775808",
            "-9223372036854775809", "1.5", "1e3", "", " 12 ", "+12", "twenty", "0x1F",
            "4611686018427387904", "-4611686018427387904", "86400000000",
        ][..])
        .prop_map(|s| s.as_bytes().to_vec()),
    ]
    .boxed()
}

/// A bytes field; `clean`: only 1 to 2^30.
fn bytes_field(clean: bool) -> BoxedStrategy<Vec<u8>> {
    if clean {
        return prop_oneof![
            20 => (1u64..2000).prop_map(|v| v.to_string().into_bytes()),
            1 => (1u64..=1 << 30).prop_map(|v| v.to_string().into_bytes()),
        ]
        .boxed();
    }
    prop_oneof![
        40 => (1u64..2000).prop_map(|v| v.to_string().into_bytes()),
        1 => proptest::sample::select(&[
            "0", "1", "1073741824", "1073741825", "4294967296", "18446744073709551615",
            "18446744073709551616", "-1", "1kb", "", "1.0", " 117 ",
        ][..])
        .prop_map(|s| s.as_bytes().to_vec()),
    ]
    .boxed()
}

fn trace_case() -> BoxedStrategy<TraceCase> {
    let key = prop_oneof![
        Just(TraceKey::Long),
        Just(TraceKey::Int),
        (1u32..20).prop_map(TraceKey::Str),
    ];
    let header = proptest::option::weighted(
        0.6,
        prop_oneof![
            30 => Just(vec!["key".to_string(), "ts_ms".into(), "bytes".into()]),
            1 => Just(vec!["KEY".to_string(), "Timestamp".into(), "record_bytes".into()]),
            1 => Just(vec!["key".to_string(), "bytes".into(), "ts".into(), "key_group".into()]),
            1 => Just(vec!["key".to_string(), "ts_ms".into()]),
            1 => Just(vec!["key".to_string(), "time".into(), "bytes".into()]),
            1 => Just(vec!["key".to_string()]),
        ],
    );
    let job = (
        prop_oneof![Just(1u32), Just(3), Just(1000), 1u32..5000],
        1u32..5,
        prop_oneof![Just(1u32), Just(4), Just(128), Just(32768)],
        prop_oneof![
            Just("assigner = \"tumbling\"\nsize = \"1 s\"\nfunction = \"process\"".to_string()),
            Just("assigner = \"tumbling\"\nsize = \"1 s\"\ntime = \"processing\"\nfunction = \"aggregate\"".to_string()),
            Just("assigner = \"sliding\"\nsize = \"10 s\"\nslide = \"1 s\"\nfunction = \"reduce\"".to_string()),
            Just("assigner = \"sliding\"\nsize = \"365 d\"\nslide = \"1 d\"\nfunction = \"process\"".to_string()),
            Just("assigner = \"session\"\ngap = \"2 s\"\nfunction = \"process\"".to_string()),
            Just("assigner = \"session\"\ngap = \"365 d\"\nallowed_lateness = \"1 d\"\nfunction = \"aggregate\"".to_string()),
            Just("assigner = \"tumbling\"\nsize = \"1 ms\"\nallowed_lateness = \"365 d\"\nfunction = \"apply\"".to_string()),
        ],
        // Up to the 365-day bound on out-of-orderness.
        prop_oneof![Just(0u64), Just(1000), Just(365 * 86_400_000)],
        prop_oneof![
            Just("every_records = 1".to_string()),
            Just("every_records = 3".to_string()),
            Just("interval = \"1 s\"".to_string()),
            Just("interval = \"250 ms\"".to_string()),
        ],
        prop_oneof![Just("hashmap"), Just("rocksdb")],
        proptest::option::weighted(0.2, 1u64..20),
        proptest::bool::weighted(0.15),
    )
        .prop_map(
            |(eps, parallelism, mp, operator, ooo, checkpoint, backend, cap, sampled)| TraceJob {
                eps,
                parallelism: parallelism.min(mp),
                max_parallelism: mp,
                operator,
                out_of_orderness_ms: ooo,
                checkpoint,
                backend,
                cap,
                sampled,
            },
        );
    // Half the traces are clean (every record one the reader takes), so
    // that they reach the simulation; the others have a bad field now and
    // then.
    (key, header, job, proptest::bool::weighted(0.5))
        .prop_flat_map(|(key, header, job, clean)| {
            let row = (
                trace_field(key, clean),
                ts_field(clean),
                bytes_field(clean),
                proptest::collection::vec("[a-z0-9 ]{0,6}".prop_map(String::into_bytes), 0..2),
                proptest::bool::weighted(if clean { 0.0 } else { 0.01 }),
            )
                .prop_map(|(k, t, b, extra, short)| {
                    let mut fields = vec![k, t, b];
                    if short {
                        fields.truncate(2);
                    }
                    fields.extend(extra);
                    TraceLine::Row(fields)
                });
            let line = prop_oneof![
                20 => row,
                1 => Just(TraceLine::Blank),
                1 => "[ -~]{0,10}".prop_map(TraceLine::Comment),
            ];
            (
                Just(key),
                Just(header),
                proptest::collection::vec(line, 0..40),
                proptest::bool::weighted(0.2),
                prop_oneof![
                    8 => Just(Packing::Plain),
                    1 => Just(Packing::Gzip),
                    1 => any::<usize>().prop_map(Packing::TruncatedGzip),
                ],
                proptest::option::weighted(0.08, raw_bytes()),
                Just(job),
            )
        })
        .prop_map(
            |(key, header, lines, crlf, packing, chaos, job)| TraceCase {
                key,
                header,
                lines,
                crlf,
                packing,
                chaos,
                job,
            },
        )
        .boxed()
}

struct TraceTarget;

impl TraceTarget {
    fn new() -> Self {
        TraceTarget
    }
}

impl Target for TraceTarget {
    type Input = TraceCase;
    const NAME: &'static str = "trace";

    fn strategy(&self) -> BoxedStrategy<TraceCase> {
        trace_case()
    }

    fn check(&self, c: &TraceCase) -> Outcome {
        let tmp = tempfile::tempdir().expect("a temporary directory");
        let trace = tmp.path().join("trace.csv");
        std::fs::write(&trace, trace_text(c)).expect("write the trace");
        let path = tmp.path().join("trace.toml");
        let text = trace_scenario(c, &trace);
        let s = match catch(|| Scenario::parse(&text, &path)) {
            Err(p) => return panic_outcome(&p),
            Ok(Err(e)) => {
                return Outcome::failed(
                    Kind::Contract,
                    "the generated scenario is refused",
                    e.to_string(),
                );
            }
            Ok(Ok(s)) => s,
        };
        let opts = RunOptions {
            mode: if c.job.sampled {
                Mode::Sampled
            } else {
                Mode::Exact
            },
            threads: if c.job.sampled { 2 } else { 1 },
            ..RunOptions::default()
        };
        let modelled = c.chaos.is_none() && !matches!(c.packing, Packing::TruncatedGzip(_));
        let expect = modelled.then(|| expect_trace(c));
        let run = match catch(|| pipeline::simulate(&s, &opts)) {
            Err(p) => return panic_outcome(&p),
            Ok(r) => r,
        };
        match run {
            Ok(run) => {
                let o = Outcome::accepted();
                match expect {
                    Some(Expect::Records(n)) if n == run.records => o,
                    Some(e) => o.with(
                        Kind::Contract,
                        format!("played a trace the reader must refuse ({e:?})"),
                        format!("played {} records, expected {e:?}", run.records),
                    ),
                    None => o,
                }
            }
            Err(e) => {
                let shown = e.to_string();
                // A run over the budget is refused before the trace is
                // read (its cost is worked out from the file's size), at
                // the scenario file: the reader is not what answered.
                if matches!(e, Error::Limit(_))
                    && shown.starts_with(&format!("{}: over budget", path.display()))
                {
                    return Outcome::refused(true);
                }
                let (named, located) = names_file(&shown, &[&trace]);
                let mut o = Outcome::refused(located);
                if !named {
                    o = o.with(
                        Kind::Unnamed,
                        normalize(&shown, &[&trace, &path]),
                        shown.clone(),
                    );
                }
                let line = match &e {
                    Error::Trace { line, .. } => *line,
                    other => {
                        return o.with(
                            Kind::Contract,
                            format!(
                                "a trace refused with another error: {}",
                                normalize(&other.to_string(), &[&trace, &path])
                            ),
                            shown,
                        );
                    }
                };
                match (expect, line) {
                    (None, _) => o,
                    (Some(Expect::BadLine(l)), Some(m)) if l == m => o,
                    // No record: refused at the line where the trace ends.
                    (Some(Expect::Empty), Some(_)) if shown.contains("without a record") => o,
                    (Some(Expect::BadLine(l)), Some(m)) if m < l => {
                        let why = if c.crlf {
                            "CRLF line ends"
                        } else if c.header.is_none()
                            && matches!(c.lines.first(), Some(TraceLine::Blank))
                        {
                            "blank lines before the first record"
                        } else {
                            "other"
                        };
                        o.with(
                            Kind::Contract,
                            format!("refused at an earlier line than the bad record's ({why})"),
                            format!("{shown} (expected line {l})"),
                        )
                    }
                    (Some(want), got) => o.with(
                        Kind::Contract,
                        format!(
                            "refused {} (expected {})",
                            if got.is_some() {
                                "at a line"
                            } else {
                                "without a line"
                            },
                            match want {
                                Expect::Records(_) => "to play it",
                                Expect::BadLine(_) => "another line",
                                Expect::Empty => "the line it ends at",
                            }
                        ),
                        format!("{shown} (expected {want:?})"),
                    ),
                }
            }
        }
    }

    fn reproducer(&self, c: &TraceCase) -> Files {
        let trace = PathBuf::from("trace.csv");
        vec![
            ("trace.toml".into(), trace_scenario(c, &trace).into_bytes()),
            // Gzip or not, the reader knows it by its magic bytes.
            ("trace.csv".into(), trace_text(c)),
        ]
    }
}

// ---------------------------------------------------------------------------
// Flink configuration files: legacy lines and standard YAML.

/// Keys Flink's configuration knows (and statecap reads), and a few others.
#[rustfmt::skip]
const CONF_KEYS: &[&str] = &[
    "state.backend", "state.backend.type", "state.checkpoints.dir", "execution.checkpointing.dir",
    "state.checkpoint-storage", "execution.checkpointing.storage", "state.backend.incremental",
    "execution.checkpointing.incremental", "state.storage.fs.memory-threshold",
    "state.backend.fs.memory-threshold", "execution.checkpointing.data-inline-threshold",
    "state.backend.fs.checkpointdir", "state.savepoints.dir", "savepoints.state.backend.fs.dir",
    "execution.checkpointing.savepoint-dir", "akka.framesize", "pekko.framesize",
    "state.backend.rocksdb.timer-service.factory", "state.backend.forst.timer-service.factory",
    "execution.checkpointing.interval", "execution.checkpointing.timeout",
    "execution.checkpointing.snapshot-compression", "taskmanager.numberOfTaskSlots",
    "parallelism.default", "jobmanager.rpc.address", "state", "state.backend.type.extra", "ключ",
    "a", "<<", "?", "-",
];

/// Values, right and wrong, for those keys, and YAML's own forms.
#[rustfmt::skip]
const CONF_VALUES: &[&str] = &[
    "rocksdb", "RocksDB", "hashmap", "HASHMAP", "filesystem", "jobmanager", "memory", "fs",
    "forst", "heap", "HEAP", "ROCKSDB",
    "org.apache.flink.contrib.streaming.state.RocksDBStateBackendFactory", "com.example.Factory",
    "hdfs:///flink/checkpoints", "s3://bucket/c", "file:///tmp/c", "true", "false", "TRUE", "yes",
    "no", "on", "1", "0", "-1", "10 s", "1 min", "0 ms", "-5 s", "9223372036854775807 ms",
    "9223372036854775808", "5 mb", "1 tb", "20971520b", "2mb", "1.5 mb", "99999999999999999999",
    "18446744073709551615", "0x10", "0o17", "1e3", "1e400", ".inf", "-.inf", ".nan", "1_000",
    "null", "~", "Null", "\"\"", "''", "\"quoted\"", "'single'", "\"a: b\"", "a: b", "a #b", "a#b",
    "[a, b]", "[]", "{}", "{a: 1}", "{a: {b: c}}", "[rocksdb, hashmap]", "!!str 5", "!!int 5",
    "!!binary aGk=", "!!float 1", "!custom x", "|", ">-", "&a rocksdb", "&b [x, y]", "*a", "*b",
    "*nope", "\"\\x00\"", "\"\\u2028\"", "é", "✓", "- item", "a: b: c", "'unterminated",
    "\"unterminated", "[unclosed", "{unclosed", "@x", "`x", "%x", "\t", "",
];

/// One line (or, for nested keys, several) of a configuration file.
#[derive(Debug, Clone)]
enum ConfLine {
    /// `key<sep>value # comment`, indented.
    Entry {
        indent: usize,
        key: String,
        sep: &'static str,
        value: String,
        comment: Option<String>,
    },
    /// A dotted key written nested, one segment a line, then the value.
    Nested {
        indent: usize,
        path: Vec<String>,
        value: String,
    },
    /// `- value`.
    Item { indent: usize, value: String },
    /// Something else: `---`, `...`, `%YAML 1.2`, `? [a]`, a comment, nothing.
    Raw(String),
}

/// An input built to exhaust a reader, read through the binary (the cap
/// and the timeout protect the test).
#[derive(Debug, Clone)]
enum Bomb {
    /// `levels` anchors, each a list of `fan` aliases of the one before.
    Aliases { levels: usize, fan: usize },
    /// Block maps nested this deep.
    DeepMap(usize),
    /// Flow sequences nested this deep.
    DeepFlow(usize),
    /// Block sequences nested this deep.
    DeepSeq(usize),
    /// A key this long.
    LongKey(usize),
    /// This many keys.
    ManyKeys(usize),
}

fn bomb_text(b: &Bomb) -> String {
    match *b {
        Bomb::Aliases { levels, fan } => {
            let mut t = format!("a0: &a0 [{}]\n", vec!["x"; fan].join(", "));
            for i in 1..=levels {
                let refs = vec![format!("*a{}", i - 1); fan].join(", ");
                let _ = writeln!(t, "a{i}: &a{i} [{refs}]");
            }
            t
        }
        Bomb::DeepMap(d) => {
            let mut t = String::new();
            for i in 0..d {
                let _ = writeln!(t, "{}k{i}:", " ".repeat(i));
            }
            let _ = writeln!(t, "{}v: 1", " ".repeat(d));
            t
        }
        Bomb::DeepFlow(d) => format!("a: {}x{}\n", "[".repeat(d), "]".repeat(d)),
        Bomb::DeepSeq(d) => {
            let mut t = String::from("a:\n");
            for i in 0..d {
                let _ = writeln!(t, "{}-", " ".repeat(i + 1));
            }
            let _ = writeln!(t, "{}- x", " ".repeat(d + 1));
            t
        }
        Bomb::LongKey(n) => format!("state.backend.{}: rocksdb\n", "k".repeat(n)),
        Bomb::ManyKeys(n) => (0..n).map(|i| format!("key.{i}: {i}\n")).collect(),
    }
}

fn bomb() -> BoxedStrategy<Bomb> {
    prop_oneof![
        (5usize..12, 4usize..12).prop_map(|(levels, fan)| Bomb::Aliases { levels, fan }),
        (1_000usize..60_000).prop_map(Bomb::DeepMap),
        (1_000usize..200_000).prop_map(Bomb::DeepFlow),
        (1_000usize..60_000).prop_map(Bomb::DeepSeq),
        (1usize << 20..16 << 20).prop_map(Bomb::LongKey),
        (100_000usize..1_000_000).prop_map(Bomb::ManyKeys),
    ]
    .boxed()
}

/// File names a configuration is read under.
#[rustfmt::skip]
const CONF_NAMES: &[&str] = &[
    "flink-conf.yaml", "config.yaml", "conf.yaml", "my-flink-conf.yaml",
];

#[derive(Debug, Clone)]
struct ConfCase {
    name: usize,
    lines: Vec<ConfLine>,
    crlf: bool,
    /// Raw bytes (invalid UTF-8 among them): read through `load`.
    raw: Option<(usize, Vec<u8>)>,
    /// A `flink-conf.yaml` beside it (read through `load`).
    sibling: bool,
    /// The version whose scenario the file is applied to.
    version: usize,
    /// Read through the binary instead.
    bomb: Option<Bomb>,
}

fn conf_line() -> BoxedStrategy<ConfLine> {
    let key = prop_oneof![
        6 => proptest::sample::select(CONF_KEYS).prop_map(str::to_string),
        1 => "[a-z.]{1,12}",
        1 => "\\PC{1,8}",
        // Longer keys are bombs (seconds per version): see `Bomb::LongKey`.
        1 => (1usize..300).prop_map(|n| format!("state.{}", "k".repeat(n))),
        1 => proptest::sample::select(CONF_KEYS).prop_map(|k| format!("\"{k}\"")),
    ];
    let value = prop_oneof![
        6 => proptest::sample::select(CONF_VALUES).prop_map(str::to_string),
        1 => "[0-9]{1,22}( ?(b|kb|mb|gb|tb|ms|s|min|h|d))?",
        1 => "\\PC{0,10}",
    ];
    let indent = prop_oneof![6 => Just(0usize), 2 => 1usize..8, 1 => 8usize..60];
    prop_oneof![
        10 => (
            indent.clone(),
            key.clone(),
            proptest::sample::select(&[": ", ":", " : ", ":\t", ":  ", "=", ": : "][..]),
            value.clone(),
            proptest::option::weighted(0.1, "[ -~]{0,8}"),
        )
            .prop_map(|(indent, key, sep, value, comment)| ConfLine::Entry {
                indent,
                key,
                sep,
                value,
                comment,
            }),
        4 => (
            indent.clone(),
            proptest::sample::select(CONF_KEYS),
            value.clone(),
            1usize..6,
        )
            .prop_map(|(indent, key, value, cut)| {
                let parts: Vec<&str> = key.split('.').collect();
                let cut = cut.min(parts.len());
                let mut path: Vec<String> = parts[..cut].iter().map(|s| s.to_string()).collect();
                if cut < parts.len() {
                    path.push(parts[cut..].join("."));
                }
                ConfLine::Nested { indent, path, value }
            }),
        1 => (indent, value).prop_map(|(indent, value)| ConfLine::Item { indent, value }),
        1 => proptest::sample::select(&[
            "---", "...", "--- !!map", "%YAML 1.2", "%TAG ! tag:x,2000:", "? [a, b]", ": c",
            "# comment", "", "   ", "\t", "a: &m", "  x: 1", "b: *m", "<<: *m", "c: !!set",
            "? complex", "{a: 1}", "[1, 2]", "- - x", "'key': v", "\"k\\u0000\": v", "key: |",
            "  line one", "  line two", "key: >", "&x y: z", "*x : w",
        ][..])
        .prop_map(|s| ConfLine::Raw(s.to_string())),
    ]
    .boxed()
}

fn conf_text(c: &ConfCase) -> Vec<u8> {
    let mut t = String::new();
    for l in &c.lines {
        match l {
            ConfLine::Entry {
                indent,
                key,
                sep,
                value,
                comment,
            } => {
                let _ = write!(t, "{}{key}{sep}{value}", " ".repeat(*indent));
                if let Some(cm) = comment {
                    let _ = write!(t, " #{cm}");
                }
                t.push('\n');
            }
            ConfLine::Nested {
                indent,
                path,
                value,
            } => {
                for (i, p) in path.iter().enumerate() {
                    let pad = " ".repeat(indent + 2 * i);
                    if i + 1 == path.len() {
                        let _ = writeln!(t, "{pad}{p}: {value}");
                    } else {
                        let _ = writeln!(t, "{pad}{p}:");
                    }
                }
            }
            ConfLine::Item { indent, value } => {
                let _ = writeln!(t, "{}- {value}", " ".repeat(*indent));
            }
            ConfLine::Raw(r) => {
                t.push_str(r);
                t.push('\n');
            }
        }
    }
    if c.crlf {
        t = t.replace('\n', "\r\n");
    }
    insert_bytes(&t, &c.raw)
}

/// A scenario of `version` to apply a configuration file to.
fn conf_scenario(version: FlinkVersion) -> String {
    format!(
        "name = \"conf\"\nflink_version = \"{version}\"\n\n[source]\nrecords = 100\n\
         events_per_second = 10\nkeys = 5\nrecord_bytes = 10\n\n[job]\nparallelism = 1\n\n\
         [[operator]]\nkind = \"window\"\nassigner = \"tumbling\"\nsize = \"1 s\"\n\
         function = \"reduce\"\n\n[checkpoints]\nevery_records = 10\n"
    )
}

/// Whether a message says where in the file (`line 3`, `byte 12`).
fn says_line(message: &str) -> bool {
    ["line ", "(byte "].iter().any(|w| {
        message
            .match_indices(w)
            .any(|(i, m)| message[i + m.len()..].starts_with(|c: char| c.is_ascii_digit()))
    })
}

/// The properties of one configuration file read by one version.
fn conf_outcome(
    read: Result<statecap::Result<ConfFile>, String>,
    path: &Path,
    v: FlinkVersion,
    lines: usize,
) -> (Outcome, Option<ConfFile>) {
    let conf = match read {
        Err(p) => return (panic_outcome(&p), None),
        Ok(Err(e)) => {
            let shown = e.to_string();
            let (named, _) = names_file(&shown, &[path]);
            let located = says_line(&shown);
            let mut o = Outcome::refused(located);
            if !named {
                o = o.with(Kind::Unnamed, normalize(&shown, &[path]), shown.clone());
            }
            match &e {
                Error::Config { message, .. } if !located => {
                    o = o.with(Kind::Unlocated, normalize(message, &[path]), shown);
                }
                Error::Config { .. } | Error::Io { .. } => {}
                other => {
                    o = o.with(
                        Kind::Contract,
                        "the reader returned an error that is not Error::Config or Error::Io",
                        other.to_string(),
                    );
                }
            }
            return (o, None);
        }
        Ok(Ok(conf)) => conf,
    };
    let mut o = Outcome::accepted();
    for k in conf.entries.keys() {
        if conf.line_of(k).is_none_or(|l| l == 0 || l > lines + 1) {
            o = o.with(
                Kind::Contract,
                "an entry's line is not in the file",
                format!("{k}: line {:?} of {lines}", conf.line_of(k)),
            );
            break;
        }
    }
    let explained = match catch(|| {
        let e = explain(&conf, v);
        let text = e.to_string();
        (e.exit_code(), e.error_line(), text.len())
    }) {
        Err(p) => return (o.and(panic_outcome(&p)), Some(conf)),
        Ok(x) => x,
    };
    match explained {
        (0, None, _) => {}
        (2, Some(line), _) => {
            let (named, located) = names_file(&line, &[path]);
            o = o.and(Outcome::refused(located));
            if !named {
                o = o.with(Kind::Unnamed, normalize(&line, &[path]), line.clone());
            }
            if !located {
                o = o.with(
                    Kind::Unlocated,
                    format!("explain: {}", normalize(&line, &[path])),
                    line,
                );
            }
        }
        (code, line, _) => {
            o = o.with(
                Kind::Exit,
                format!(
                    "explain-config would exit {code} (error line: {})",
                    line.is_some()
                ),
                format!("{line:?}"),
            );
        }
    }
    (o, Some(conf))
}

struct ConfTarget {
    versions: Vec<FlinkVersion>,
}

impl ConfTarget {
    fn new() -> Self {
        ConfTarget {
            versions: known_versions().collect(),
        }
    }

    fn bomb_check(&self, c: &ConfCase, b: &Bomb) -> Outcome {
        let tmp = tempfile::tempdir().expect("a temporary directory");
        let path = tmp.path().join(CONF_NAMES[c.name % CONF_NAMES.len()]);
        std::fs::write(&path, bomb_text(b)).expect("write the file");
        let v = self.versions[c.version % self.versions.len()];
        let child = run_capped(
            &[
                "explain-config".into(),
                path.clone().into_os_string(),
                "--flink-version".into(),
                v.to_string().into(),
            ],
            tmp.path(),
            timeout(),
        );
        if let Some(o) = crash(
            &child,
            &format!("{b:?}")
                .split(['(', ' '])
                .next()
                .unwrap_or("")
                .to_lowercase(),
        ) {
            return o;
        }
        match child.code {
            Some(0) => Outcome::accepted(),
            Some(2) => {
                let (named, located) = names_file(&child.stderr, &[&path]);
                let located = located || says_line(&child.stderr);
                let mut o = Outcome::refused(located);
                if !named {
                    o = o.with(
                        Kind::Unnamed,
                        normalize(&child.stderr, &[&path]),
                        child.stderr.clone(),
                    );
                }
                o
            }
            code => Outcome::failed(
                Kind::Exit,
                format!("explain-config exit {code:?}"),
                child.stderr,
            ),
        }
    }
}

impl Target for ConfTarget {
    type Input = ConfCase;
    const NAME: &'static str = "conf";

    fn strategy(&self) -> BoxedStrategy<ConfCase> {
        (
            0..CONF_NAMES.len(),
            proptest::collection::vec(conf_line(), 0..24),
            proptest::bool::weighted(0.1),
            proptest::option::weighted(0.05, raw_bytes()),
            proptest::bool::weighted(0.2),
            any::<usize>(),
            proptest::option::weighted(0.005, bomb()),
        )
            .prop_map(
                |(name, lines, crlf, raw, sibling, version, bomb)| ConfCase {
                    name,
                    lines,
                    crlf,
                    raw,
                    sibling,
                    version,
                    bomb,
                },
            )
            .boxed()
    }

    fn check(&self, c: &ConfCase) -> Outcome {
        if let Some(b) = &c.bomb {
            return self.bomb_check(c, b);
        }
        let bytes = conf_text(c);
        let lines = String::from_utf8_lossy(&bytes).lines().count();
        let name = CONF_NAMES[c.name % CONF_NAMES.len()];
        let tmp = tempfile::tempdir().expect("a temporary directory");
        let path = tmp.path().join(name);
        let via_file = c.raw.is_some() || c.sibling;
        if via_file {
            std::fs::write(&path, &bytes).expect("write the file");
            if c.sibling && name != "flink-conf.yaml" {
                std::fs::write(
                    tmp.path().join("flink-conf.yaml"),
                    "state.backend: rocksdb\n",
                )
                .expect("write the sibling");
            }
        }
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let mut outcome: Option<Outcome> = None;
        let mut applied: Option<ConfFile> = None;
        let pick = c.version % self.versions.len();
        // Every version reads a third of the inputs (the one the file is
        // applied to always): over a run, every version reads every kind.
        for (i, &v) in self.versions.iter().enumerate() {
            if i != pick && !(i + c.version / self.versions.len()).is_multiple_of(3) {
                continue;
            }
            let read = if via_file {
                catch(|| conf_file::load(&path, v))
            } else {
                catch(|| ConfFile::parse(&text, &path, v))
            };
            let (o, conf) = conf_outcome(read, &path, v, lines);
            if i == pick {
                applied = conf;
            }
            outcome = Some(match outcome {
                None => o,
                Some(prev) => prev.and(o),
            });
        }
        let mut outcome = outcome.expect("at least one version");
        // The file laid over a scenario of one version, as `run --flink-conf`.
        if let Some(conf) = applied {
            let v = self.versions[pick];
            let scen = tmp.path().join("conf.toml");
            let stext = conf_scenario(v);
            let o = match catch(|| Scenario::parse_with_flink_conf(&stext, &scen, &conf)) {
                Err(p) => panic_outcome(&p),
                Ok(Ok(_)) => Outcome::accepted(),
                Ok(Err(Error::Config { path: p, .. })) if p == path => Outcome::refused(true),
                Ok(Err(Error::Scenario(errs))) => {
                    let mut o = Outcome::refused(errs.iter().all(|e| e.line.is_some()));
                    for e in &errs {
                        if e.path != path && e.path != scen {
                            o = o.with(
                                Kind::Unnamed,
                                format!("`{}` names another file", e.field),
                                e.to_string(),
                            );
                        }
                        if e.line.is_none() {
                            o = o.with(
                                Kind::Unlocated,
                                format!(
                                    "applied: `{}`: {}",
                                    e.field,
                                    normalize(&e.message, &[&path, &scen])
                                ),
                                e.to_string(),
                            );
                        }
                    }
                    o
                }
                Ok(Err(e)) => Outcome::refused(false).with(
                    Kind::Contract,
                    "applying a configuration failed with another error",
                    e.to_string(),
                ),
            };
            outcome = outcome.and(o);
        }
        outcome
    }

    fn reproducer(&self, c: &ConfCase) -> Files {
        let name = CONF_NAMES[c.name % CONF_NAMES.len()].to_string();
        let bytes = match &c.bomb {
            Some(b) => bomb_text(b).into_bytes(),
            None => conf_text(c),
        };
        let v = self.versions[c.version % self.versions.len()];
        vec![
            (name.clone(), bytes),
            ("conf.toml".into(), conf_scenario(v).into_bytes()),
            (
                "HOW.txt".into(),
                format!("statecap explain-config {name} --flink-version {v}\n{c:#?}\n")
                    .into_bytes(),
            ),
        ]
    }

    fn shrink_checks(&self, kind: Kind) -> usize {
        match kind {
            // A bomb runs in a child process: shrunk only for reproducers.
            Kind::Hang => 0,
            Kind::Abort if saving() => 12,
            Kind::Abort => 0,
            _ => 400,
        }
    }
}

// ---------------------------------------------------------------------------
// The whole pipeline, through the binary.

/// What `statecap run` writes for every scenario.
#[rustfmt::skip]
const OUTPUTS: &[&str] = &[
    "comparison.png", "comparison.svg", "keygroups.csv", "report.html", "report.md", "skew.png",
    "skew.svg", "states.csv", "summary.csv", "summary.json", "timeline.csv", "timeline.png",
    "timeline.svg",
];

/// Whether `name` is a per-operator states chart (`states-3.png`).
fn states_chart(name: &str) -> bool {
    name.strip_prefix("states-")
        .and_then(|r| r.strip_suffix(".png").or_else(|| r.strip_suffix(".svg")))
        .is_some_and(|n| n.parse::<u32>().is_ok_and(|n| n >= 1))
}

/// A scenario shortened to a few seconds of play: durations of 20 s, at
/// most 2000 records/s, 20000 records and 20000 keys, a checkpoint every
/// 2 s.
fn small(text: &str) -> String {
    let number = |v: &str| -> Option<f64> {
        v.trim()
            .replace('_', "")
            .split('#')
            .next()?
            .trim()
            .parse()
            .ok()
    };
    text.lines()
        .map(|l| {
            let Some((k, v)) = l.split_once('=') else {
                return l.to_string();
            };
            let key = k.trim().trim_matches('"');
            let capped = |cap: f64| match number(v) {
                Some(n) if n > cap => format!("{} = {cap}", k.trim_end()),
                _ => l.to_string(),
            };
            match key {
                "duration" | "duration_ms" => format!("{} = \"20 s\"", k.trim_end()),
                "events_per_second" | "rate" => capped(2000.0),
                "records" | "keys" => capped(20000.0),
                "interval" | "interval_ms" | "execution.checkpointing.interval" => {
                    format!("{} = \"2 s\"", k.trim_end())
                }
                _ => l.to_string(),
            }
        })
        .map(|l| l + "\n")
        .collect()
}

/// How large a scenario's work is, in the words a hang or an abort is
/// filed under.
fn size_class(s: &Scenario) -> String {
    use statecap::scenario::CheckpointTrigger;
    let records = s.source.records as f64;
    let work = pipeline::mode::window_assignments(s);
    let checkpoints = match s.checkpoints {
        CheckpointTrigger::EveryRecords(n) => records / n as f64,
        CheckpointTrigger::Interval(ms) => {
            records / s.source.events_per_second * 1000.0 / ms as f64
        }
    }
    .min(pipeline::MAX_CHECKPOINTS as f64);
    if s.source.keys as f64 > 1e8 {
        "keys > 1e8".into()
    } else if work > 1e9 {
        "records × windows > 1e9".into()
    } else if checkpoints * s.parallelism as f64 > 1e7 {
        "checkpoints × subtasks > 1e7".into()
    } else if checkpoints * s.max_parallelism as f64 > 1e9 {
        "checkpoints × key groups > 1e9".into()
    } else {
        "small".into()
    }
}

/// A configuration file for `--flink-conf`.
#[derive(Debug, Clone)]
enum PipelineConf {
    /// One of `tests/data/conf`.
    Shipped(usize),
    /// A generated one.
    Written(ConfCase),
}

#[derive(Debug, Clone)]
struct PipelineCase {
    base: usize,
    mutations: Vec<Mutation>,
    /// `check` instead of `run`.
    check: bool,
    mode: Option<&'static str>,
    jobs: Option<u8>,
    budget: Option<&'static str>,
    quiet: bool,
    conf: Option<PipelineConf>,
    /// Run again with other `--jobs` and compare the bytes.
    twice: bool,
    /// Run `check` too and compare its verdict with `run`'s summary.
    gate: bool,
}

struct PipelineTarget {
    corpus: Vec<(PathBuf, String)>,
    confs: Vec<PathBuf>,
}

impl PipelineTarget {
    fn new() -> Self {
        // The valid files: the bad ones are the scenario target's.
        let corpus = corpus()
            .into_iter()
            .filter(|(p, _)| !p.parent().is_some_and(|d| d.ends_with("bad")))
            .map(|(p, t)| {
                let s = small(&t);
                (p, s)
            })
            .collect();
        let mut confs: Vec<PathBuf> = std::fs::read_dir(manifest_dir().join("tests/data/conf"))
            .map(|d| {
                d.flatten()
                    .flat_map(|e| std::fs::read_dir(e.path()).into_iter().flatten().flatten())
                    .map(|e| e.path())
                    .collect()
            })
            .unwrap_or_default();
        confs.sort();
        PipelineTarget { corpus, confs }
    }

    fn text(&self, c: &PipelineCase) -> String {
        let base = &self.corpus[c.base % self.corpus.len()].1;
        c.mutations.iter().fold(base.clone(), |t, m| apply(&t, m))
    }

    /// Writes the case's files into `dir`: the scenario, its trace, the
    /// configuration file. Returns (scenario, configuration).
    fn lay_out(&self, c: &PipelineCase, dir: &Path) -> (PathBuf, Option<PathBuf>) {
        let (base, _) = &self.corpus[c.base % self.corpus.len()];
        let scenario = dir.join(base.file_name().expect("a file name"));
        std::fs::write(&scenario, self.text(c)).expect("write the scenario");
        // Traces beside the original go beside the copy.
        if let Ok(entries) = std::fs::read_dir(base.parent().expect("a folder")) {
            for e in entries.flatten() {
                let p = e.path();
                if p.extension().is_some_and(|x| x == "csv") {
                    let _ = std::fs::copy(&p, dir.join(e.file_name()));
                }
            }
        }
        let conf = c.conf.as_ref().map(|pc| match pc {
            PipelineConf::Shipped(i) => {
                let src = &self.confs[i % self.confs.len()];
                let to = dir.join("conf").join(src.file_name().expect("a file name"));
                std::fs::create_dir_all(to.parent().expect("a folder")).expect("mkdir conf");
                std::fs::copy(src, &to).expect("copy the configuration");
                to
            }
            PipelineConf::Written(cc) => {
                let to = dir
                    .join("conf")
                    .join(CONF_NAMES[cc.name % CONF_NAMES.len()]);
                std::fs::create_dir_all(to.parent().expect("a folder")).expect("mkdir conf");
                std::fs::write(&to, conf_text(cc)).expect("write the configuration");
                to
            }
        });
        (scenario, conf)
    }

    fn args(
        c: &PipelineCase,
        scenario: &Path,
        conf: Option<&Path>,
        out: &str,
        jobs: Option<u8>,
    ) -> Vec<OsString> {
        let mut a: Vec<OsString> = Vec::new();
        if c.check {
            a.push("check".into());
            a.push(scenario.into());
        } else {
            a.extend([
                "run".into(),
                scenario.into(),
                "--out".into(),
                out.into(),
                "--no-progress".into(),
            ]);
            if c.quiet {
                a.push("--quiet".into());
            }
            if let Some(m) = c.mode {
                a.extend(["--mode".into(), m.into()]);
            }
            if let Some(j) = jobs {
                a.extend(["--jobs".into(), j.to_string().into()]);
            }
            if let Some(b) = c.budget {
                a.push(format!("--budget={b}").into());
            }
        }
        if let Some(f) = conf {
            a.extend(["--flink-conf".into(), f.into()]);
        }
        a
    }
}

/// The files of `out/<one dir>`, by name.
fn written(out: &Path) -> Result<(String, BTreeMap<String, Vec<u8>>), String> {
    let dirs: Vec<PathBuf> = std::fs::read_dir(out)
        .map_err(|e| format!("{}: {e}", out.display()))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.file_name().is_some_and(|n| n != "keep"))
        .collect();
    let [dir] = dirs.as_slice() else {
        return Err(format!("expected one output directory, found {dirs:?}"));
    };
    let mut files = BTreeMap::new();
    for e in std::fs::read_dir(dir).map_err(|e| e.to_string())?.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        files.insert(name, std::fs::read(e.path()).unwrap_or_default());
    }
    let name = dir
        .file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    Ok((name, files))
}

/// `check`'s exit for a run's summary.csv: 1 when a checkpoint failed.
fn gate_expected(summary: &[u8]) -> Option<i32> {
    let mut r = csv::Reader::from_reader(summary);
    let col = r
        .headers()
        .ok()?
        .iter()
        .position(|h| h == "failed_checkpoints")?;
    let taken = r.headers().ok()?.iter().position(|h| h == "checkpoints")?;
    let mut failed = false;
    let mut checkpoints = 0;
    for rec in r.records() {
        let rec = rec.ok()?;
        failed |= rec.get(col)?.parse::<u64>().ok()? > 0;
        checkpoints += rec.get(taken)?.parse::<u64>().ok()?;
    }
    // 1 a checkpoint fails; 2 no checkpoint to check (never OK); 0 holds.
    Some(if failed {
        1
    } else if checkpoints == 0 {
        2
    } else {
        0
    })
}

impl Target for PipelineTarget {
    type Input = PipelineCase;
    const NAME: &'static str = "pipeline";

    fn strategy(&self) -> BoxedStrategy<PipelineCase> {
        let values = prop_oneof![6 => moderate(), 1 => literal()].boxed();
        let conf_case = (
            0..CONF_NAMES.len(),
            proptest::collection::vec(conf_line(), 0..12),
            any::<usize>(),
        )
            .prop_map(|(name, lines, version)| ConfCase {
                name,
                lines,
                crlf: false,
                raw: None,
                sibling: false,
                version,
                bomb: None,
            });
        (
            (
                0..self.corpus.len(),
                proptest::collection::vec(mutation(values, 40), 0..4),
                proptest::bool::weighted(0.15),
                proptest::option::weighted(
                    0.4,
                    proptest::sample::select(&["exact", "sampled", "analytic", "auto"][..]),
                ),
                proptest::option::weighted(0.5, 1u8..4),
            ),
            (
                proptest::option::weighted(
                    0.15,
                    proptest::sample::select(
                        &["64 mb", "1 kb", "0", "1 tb", "-1 mb", "x", "1e400 b"][..],
                    ),
                ),
                proptest::bool::weighted(0.5),
                proptest::option::weighted(
                    0.35,
                    prop_oneof![
                        any::<usize>().prop_map(PipelineConf::Shipped),
                        conf_case.prop_map(PipelineConf::Written),
                    ],
                ),
                proptest::bool::weighted(0.3),
                proptest::bool::weighted(0.3),
            ),
        )
            .prop_map(
                |((base, mutations, check, mode, jobs), (budget, quiet, conf, twice, gate))| {
                    PipelineCase {
                        base,
                        mutations,
                        check,
                        mode,
                        jobs,
                        budget,
                        quiet,
                        conf,
                        twice,
                        gate,
                    }
                },
            )
            .boxed()
    }

    fn check(&self, c: &PipelineCase) -> Outcome {
        let tmp = tempfile::tempdir().expect("a temporary directory");
        let dir = tmp.path();
        let (scenario, conf) = self.lay_out(c, dir);
        std::fs::create_dir_all(dir.join("out/keep")).expect("mkdir out");
        std::fs::write(dir.join("out/keep/keep.txt"), "an earlier report").expect("write");
        let before = tree_of(dir);
        let class = match catch(|| Scenario::load(&scenario)) {
            Ok(Ok(s)) => size_class(&s),
            _ => "unparsed".into(),
        };
        let child = run_capped(
            &Self::args(c, &scenario, conf.as_deref(), "out", c.jobs),
            dir,
            timeout(),
        );
        let inputs: Vec<PathBuf> = std::iter::once(scenario.clone())
            .chain(conf.clone())
            .chain(
                std::fs::read_dir(dir)
                    .into_iter()
                    .flatten()
                    .flatten()
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|x| x == "csv")),
            )
            .collect();
        let input_refs: Vec<&Path> = inputs.iter().map(PathBuf::as_path).collect();
        let unchanged = |o: Outcome, when: &str| -> Outcome {
            let after = tree_of(dir);
            if after == before {
                return o;
            }
            let changed: Vec<String> = after
                .keys()
                .chain(before.keys())
                .filter(|k| after.get(*k) != before.get(*k))
                .map(|k| k.display().to_string())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            o.with(
                Kind::HalfWritten,
                format!("{when} changed files"),
                format!("{changed:?}"),
            )
        };
        if let Some(o) = crash(&child, &class) {
            return if child.timed_out {
                o
            } else {
                unchanged(o, "a crash")
            };
        }
        let code = child.code.unwrap_or(-1);
        match (c.check, code) {
            // `check` answering that it cannot check (no checkpoint inside
            // the run): exit 2 with the verdict on stdout and nothing on
            // stderr, an answer rather than a refusal.
            (true, 2)
                if child.stderr.is_empty()
                    && !child.stdout.is_empty()
                    && child.stdout.lines().any(|l| l.starts_with("CANNOT CHECK ")) =>
            {
                unchanged(Outcome::accepted(), "check")
            }
            (_, 2) => {
                if verbose() {
                    eprintln!(
                        "pipeline refusal: {}",
                        child.stderr.lines().next().unwrap_or("")
                    );
                }
                let usage =
                    child.stderr.starts_with("error: --") || child.stderr.contains("Usage:");
                let (named, located) = names_file(&child.stderr, &input_refs);
                // A usage error concerns no file: counted as located.
                let mut o = Outcome::refused(located || usage);
                if !named && !usage {
                    o = o.with(
                        Kind::Unnamed,
                        normalize(&child.stderr, &input_refs),
                        child.stderr.clone(),
                    );
                }
                if !child.stdout.is_empty() {
                    o = o.with(
                        Kind::HalfWritten,
                        "printed on stdout, then failed",
                        child.stdout.chars().take(500).collect::<String>(),
                    );
                }
                unchanged(o, "a refusal")
            }
            (true, 0 | 1) => unchanged(Outcome::accepted(), "check"),
            (false, 0) => {
                let mut o = Outcome::accepted();
                let (name, files) = match written(&dir.join("out")) {
                    Ok(w) => w,
                    Err(e) => {
                        return o.with(
                            Kind::HalfWritten,
                            "a success without its output directory",
                            e,
                        );
                    }
                };
                let names: BTreeSet<&str> = files
                    .keys()
                    .map(String::as_str)
                    .filter(|n| !states_chart(n))
                    .collect();
                let want: BTreeSet<&str> = OUTPUTS.iter().copied().collect();
                if names != want {
                    o = o.with(
                        Kind::HalfWritten,
                        "a success wrote other files than the outputs",
                        format!("{name}: {names:?}"),
                    );
                }
                let mine = Path::new("out").join(&name);
                let stray: Vec<String> = tree_of(dir)
                    .keys()
                    .filter(|k| !before.contains_key(*k) && !k.starts_with(&mine))
                    .map(|k| k.display().to_string())
                    .collect();
                if !stray.is_empty() {
                    o = o.with(
                        Kind::HalfWritten,
                        "a success left other files",
                        format!("{stray:?}"),
                    );
                }
                if c.twice {
                    let jobs = Some(match c.jobs {
                        Some(1) | None => 3,
                        Some(_) => 1,
                    });
                    let again = run_capped(
                        &Self::args(c, &scenario, conf.as_deref(), "out2", jobs),
                        dir,
                        timeout(),
                    );
                    match (again.code, written(&dir.join("out2"))) {
                        (Some(0), Ok((_, second))) => {
                            let differ: Vec<&String> = files
                                .keys()
                                .filter(|f| files.get(*f) != second.get(*f))
                                .collect();
                            if !differ.is_empty() {
                                o = o.with(
                                    Kind::Nondeterministic,
                                    format!("{differ:?}"),
                                    format!("--jobs {:?} then {jobs:?}: {differ:?} differ", c.jobs),
                                );
                            }
                        }
                        (code, w) => {
                            o = o.with(
                                Kind::Nondeterministic,
                                "the same input failed the second time",
                                format!("exit {code:?}, {:?}: {}", w.err(), again.stderr),
                            );
                        }
                    }
                }
                if c.gate && c.mode.is_none_or(|m| m == "auto") {
                    let check = PipelineCase {
                        check: true,
                        ..c.clone()
                    };
                    let verdict = run_capped(
                        &Self::args(&check, &scenario, conf.as_deref(), "", None),
                        dir,
                        timeout(),
                    );
                    let expected = files.get("summary.csv").and_then(|s| gate_expected(s));
                    if verdict.code != expected {
                        o = o.with(
                            Kind::Contract,
                            format!(
                                "check exits {:?} where run's summary.csv says {expected:?}",
                                verdict.code
                            ),
                            format!("{}{}", verdict.stdout, verdict.stderr),
                        );
                    }
                }
                o
            }
            (_, code) => unchanged(
                Outcome::failed(
                    Kind::Exit,
                    format!("{} exit {code}", if c.check { "check" } else { "run" }),
                    child.stderr.clone(),
                ),
                "an odd exit",
            ),
        }
    }

    fn reproducer(&self, c: &PipelineCase) -> Files {
        let tmp = tempfile::tempdir().expect("a temporary directory");
        let (scenario, conf) = self.lay_out(c, tmp.path());
        let mut files = vec![(
            scenario
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned(),
            std::fs::read(&scenario).unwrap_or_default(),
        )];
        if let Some(f) = &conf {
            files.push((
                format!(
                    "conf-{}",
                    f.file_name().unwrap_or_default().to_string_lossy()
                ),
                std::fs::read(f).unwrap_or_default(),
            ));
        }
        let args: Vec<String> = Self::args(c, &scenario, conf.as_deref(), "out", c.jobs)
            .iter()
            .map(|a| {
                a.to_string_lossy()
                    .replace(&tmp.path().display().to_string(), ".")
            })
            .collect();
        files.push((
            "HOW.txt".into(),
            format!("statecap {}\n{c:#?}\n", args.join(" ")).into_bytes(),
        ));
        files
    }

    fn shrink_checks(&self, kind: Kind) -> usize {
        match kind {
            Kind::Hang => 0,
            _ if saving() => 40,
            _ => 0,
        }
    }
}
