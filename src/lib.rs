//! statecap predicts, before a job is deployed, how large Apache Flink
//! keyed state and checkpoints will be on every subtask, and whether the
//! configured backend and checkpoint storage will hold them.
//!
//! The house, floor by floor; each module imports only from the floors
//! below it (`tests/cli/layers.rs` fails when one reaches up):
//!
//! ```text
//! cli       the binary (main.rs, cli.rs, cli/): flags, progress bars, printing
//! report    tables, CSV, JSON, charts, report.html/.md      (people, machines)
//!           sweep.rs: sweep.csv, capacity charts, crossings in words
//! plan      compare the backend options, recommend
//!           sweep.rs: a grid of parameter values over all cores, crossings
//! pipeline  simulate(&Scenario, &RunOptions) -> Run          (the one entry)
//!           budget.rs: what a run costs; the mode, keys, threads that fit
//! backend   Snapshot -> bytes per subtask, limits            heap.rs | rocksdb.rs
//! sim       records -> state per key group at each barrier   window (aligned, session)
//!           process.rs: process, dedup, join operators (declared state, timers, TTL)
//!           state_map.rs: the heap state tables TTL's incremental cleanup walks
//!           join.rs: the interval join (buffers, cleanup timers)
//!           timeline.rs: barriers, watermarks, processing time, for every engine
//!           analytic.rs, sampled.rs: the fast modes
//! workload  keys (declared, or only those touched), key groups, records
//!           (generated or a trace)
//! scenario  the scenario file, validated (file:line:field)
//! flink     Flink's own rules: units, key groups, serializers, versions;
//!           configuration: read (conf_file), resolve (config/), write (emit),
//!           explain-config's traps (explain)
//! error     what can go wrong
//! ```
//!
//! The seams: an operator kind is one file under [`sim`] behind the
//! `Operator` trait of `sim/operator.rs` (records → state mutations per key
//! group) and one arm of its `with_operator`; a backend is one file under
//! [`backend`] behind [`backend::StateModel`] (state → bytes) and one arm of
//! [`backend::model_for`]. Configuration is written in one place,
//! [`flink::emit`], for every version; the rules a scenario value must keep
//! live once, in `scenario::validate` (the parser and `sweep` call them).
//!
//! ```no_run
//! use statecap::{Scenario, pipeline};
//! let s = Scenario::load("scenarios/seed_flink16_memory_backend.toml".as_ref())?;
//! let run = pipeline::simulate(&s, &pipeline::RunOptions::default())?;
//! for cp in &run.result().operators[0].checkpoints {
//!     println!("{} {} {}", cp.checkpoint, cp.max_state_bytes(), cp.status.name());
//! }
//! # Ok::<(), statecap::Error>(())
//! ```

pub mod backend;
pub mod error;
pub mod flink;
pub mod pipeline;
pub mod plan;
pub mod report;
pub mod scenario;
pub mod sim;
pub mod workload;

pub use error::{Error, Result};
pub use pipeline::{
    CheckpointResult, Mode, OperatorResult, Run, RunOptions, ScenarioResult, simulate,
};
pub use scenario::Scenario;
