//! statecap's integration tests: one test binary (Matklad's layout), one
//! behaviour per module. `cargo test --release --test cli` runs them all;
//! `-- --nocapture` shows the tables some of them print.
//!
//! Modules:
//!
//! - `support`           shared helpers: paths, the binary, ground-truth files,
//!   temporary scenarios. Not a test.
//! - `ground_truth`      every uncompressed hashmap case measured on real Flink
//!   (and the Flink 1.9 legacy case), replayed from its trace through the
//!   library: bytes per subtask, checkpoint status, Flink's failure message
//!   and the bytes of every key group equal to the byte.
//! - `generated`         the same cases with the trace line removed (input
//!   generated from the seed): the largest subtask per checkpoint within 3 %
//!   (median over all checkpoints).
//! - `scenario_errors`   `tests/data/bad/*.toml`, one mistake each: exit code 2,
//!   a message naming file, line and field, nothing written; a good and a bad
//!   file together write nothing; `Scenario::parse` never panics (proptest).
//! - `determinism`       the same scenario twice gives byte-identical outputs; a
//!   different seed changes them.
//! - `exports`           timeline.csv, summary.csv, summary.json, keygroups.csv:
//!   columns, row counts, Flink's failure message; `--help`.
//! - `shipped_scenarios` every `scenarios/*.toml` of the repository runs through
//!   the CLI (shortened; `--ignored` runs them in full).
//! - `invariants`        hand-worked Flink rules on tiny inline traces: header,
//!   key-group framing, entries, timers, sessions, lateness, sliding copies.
//! - `report_html`       charts (PNG + SVG, font embedded), report.html
//!   self-contained and rendered by headless Chromium (fails without it).
//! - `parallel`          one operator over several threads (partitions of key
//!   groups) equals one thread, snapshot by snapshot, on the ground-truth
//!   cases and a grid of time kinds, lateness and checkpoint triggers.
//! - `sweep`             `statecap sweep`: sweep.csv, capacity charts,
//!   crossings, every core, a progress bar only on a terminal.
//! - `layers`            the house rule on the source: each module imports only
//!   from its own floor or below; the library prints nothing and has no flags.
//! - `budgets`           hostile or huge but valid inputs (2^32 to 10^15
//!   declared keys, megabyte names, YAML alias bombs, a checkpoint every
//!   millisecond or record, a thousand operators, `-j 100000`, sampled mode
//!   on a full day of 10^8 keys) finish within 10 s and 2 GiB, measured per
//!   process, or are refused up front with the numbers and the flag; the
//!   touched-key layout gives the same snapshots as the declared one.
//!
//! The ground-truth cases live beside the repository in
//! `../shared/ground-truth`; the tests that need them fail (never skip) when
//! it is absent.

mod support;

mod budgets;
mod config_emit;
mod determinism;
mod explain_config;
mod exports;
mod fast_mode;
mod generated;
mod ground_truth;
mod invariants;
mod layers;
mod parallel;
mod report_html;
mod scenario_errors;
mod shipped_scenarios;
mod sweep;
