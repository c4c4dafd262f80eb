//! Shared set-up: scenarios written as TOML, and their generated input
//! played once into an in-memory [`Trace`] so that the event-loop
//! benchmarks time the simulator, not the random number generators.

pub mod clock;
pub mod event_loop;
pub mod key_groups;
pub mod parallel;
pub mod rocksdb;
pub mod snapshot;
pub mod trace;

use clock::Clock;
use criterion::Criterion;
use statecap::Scenario;
use statecap::sim::{self, OperatorSpec, RunStats, Snapshot};
use statecap::workload::{Batch, Generator, Input, KeySpace, Trace};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// Small samples and short measurements: the whole suite runs in minutes.
/// No plots: `report.sh` reads criterion's JSON, and the plotting backend
/// needs system fonts that a build machine may lack.
pub fn config() -> Criterion<Clock> {
    Criterion::default()
        .with_measurement(Clock::from_env())
        .without_plots()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2))
}

/// Source rate of every benchmark scenario (records per second of event
/// time); windows are sized against it.
pub const EVENTS_PER_SECOND: u64 = 100_000;

/// The `[[operator]]` lines of a window kind and function.
fn operator_toml(window: &str, function: &str) -> String {
    let assigner = match window {
        "tumbling" => "assigner = \"tumbling\"\nsize_ms = 5000".to_string(),
        "sliding" => "assigner = \"sliding\"\nsize_ms = 10000\nslide_ms = 5000".to_string(),
        "session" => "assigner = \"session\"\ngap_ms = 1000".to_string(),
        other => panic!("unknown window {other}"),
    };
    let function = match function {
        "aggregate" => "function = \"aggregate\"\naccumulator_bytes = 16".to_string(),
        f => format!("function = \"{f}\""),
    };
    format!(
        "[[operator]]\nname = \"window\"\nkind = \"window\"\n{assigner}\ntime = \"event\"\n\
         allowed_lateness_ms = 0\n{function}\n"
    )
}

/// A one-operator scenario: `records` records over `keys` long keys,
/// uniform or zipf (exponent 1.1), a checkpoint every `every` records.
pub fn scenario(
    window: &str,
    function: &str,
    keys: u64,
    zipf: bool,
    records: u64,
    every: u64,
) -> Scenario {
    let distribution = if zipf {
        "key_distribution = \"zipf\"\nzipf_exponent = 1.1"
    } else {
        "key_distribution = \"uniform\""
    };
    let text = format!(
        "name = \"bench\"\nflink_version = \"1.20\"\nseed = 42\n\n\
         [source]\nrecords = {records}\nevents_per_second = {EVENTS_PER_SECOND}\n\
         keys = {keys}\n{distribution}\nkey_type = \"long\"\nrecord_bytes = 117\n\
         jitter_ms = 50\nout_of_orderness_ms = 100\nwatermark_every_records = 1\n\n\
         [job]\nparallelism = 4\n\n{}\n\
         [state]\nbackend = \"hashmap\"\n\n\
         [checkpoints]\nevery_records = {every}\nstorage = \"filesystem\"\n",
        operator_toml(window, function)
    );
    Scenario::parse(&text, Path::new("bench.toml")).expect("benchmark scenario is valid")
}

/// Plays the scenario's generated input once into memory.
pub fn generate_trace(s: &Scenario) -> Arc<Trace> {
    let n = s.source.records as usize;
    let mut trace = Trace {
        keys: Vec::with_capacity(n),
        ts: Vec::with_capacity(n),
        bytes: Vec::with_capacity(n),
        sub_keys: Vec::new(),
        key_space: KeySpace::generated(s.source.keys, s.source.key_type, s.max_parallelism),
    };
    let mut input = Input::Generated(Box::new(Generator::new(s)));
    let mut batch = Batch::new();
    while input.fill(&mut batch) > 0 {
        trace.keys.extend_from_slice(&batch.keys);
        trace.ts.extend_from_slice(&batch.ts);
        trace.bytes.extend_from_slice(&batch.bytes);
    }
    Arc::new(trace)
}

/// Runs operator 0 of `s` over `trace`, handing every snapshot to
/// `on_checkpoint`.
pub fn simulate(
    spec: &OperatorSpec,
    trace: &Arc<Trace>,
    on_checkpoint: &mut dyn FnMut(&Snapshot),
) -> RunStats {
    sim::simulate(
        spec,
        &trace.key_space,
        trace.keys.len() as u64,
        Input::from_trace(trace.clone()),
        on_checkpoint,
        &|_| {},
    )
}

/// `10000` → `1e4`.
pub fn power_of_ten(n: u64) -> String {
    let e = (n as f64).log10().round() as u32;
    if 10u64.pow(e) == n {
        format!("1e{e}")
    } else {
        n.to_string()
    }
}
