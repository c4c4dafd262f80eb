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
//! - `ops_ground_truth`  `tests/ground-truth-ops`: every hashmap case of a
//!   `process` or `dedup` operator (TTL cleanup none or full snapshot) replayed
//!   through the library, bytes and status of every row equal to real Flink's;
//!   the other cases refused at the field statecap does not simulate.
//! - `generated`         the same cases with the trace line removed (input
//!   generated from the seed): the largest subtask per checkpoint within 3 %
//!   (median over all checkpoints).
//! - `scenario_errors`   `tests/data/bad/*.toml`, one mistake each: exit code 2,
//!   a message naming file, line and field, nothing written; a good and a bad
//!   file together write nothing; `Scenario::parse` never panics (proptest).
//! - `hostile_inputs`    what a one-mistake fixture cannot say: option values
//!   (`--budget 0`, `--jobs 100000`, negative sizes), a sweep with no valid
//!   point, files too large to be a scenario, every field's two spellings,
//!   missing fields at their table, every numeric field's bounds, the
//!   checkpoint bound shared with the simulation.
//! - `determinism`       the same scenario twice gives byte-identical outputs; a
//!   different seed changes them.
//! - `exports`           timeline.csv, summary.csv, summary.json, keygroups.csv:
//!   columns, row counts, Flink's failure message; `--help`.
//! - `states`            states.csv adds up to timeline.csv row by row; the
//!   summary's largest state, verdict, and each limit's crossing (simulated,
//!   or projected at a slope recomputed from timeline.csv), dated by `start`.
//! - `shipped_scenarios` every `scenarios/*.toml` of the repository runs through
//!   the CLI (shortened; `--ignored` runs them in full).
//! - `invariants`        hand-worked Flink rules on tiny inline traces: header,
//!   key-group framing, entries, timers, sessions, lateness, sliding copies.
//! - `report_html`       charts (PNG + SVG, font embedded), report.html
//!   self-contained and rendered by headless Chromium (skipped without it,
//!   failed without it when `STATECAP_REQUIRE_BROWSER=1`).
//! - `reports`           one report per command (`run`, `compare`, `check
//!   --report`, `sweep`): the per-checkpoint table equal to timeline.csv, the
//!   JobManager total, the job change's saving, the drift, every limit, the
//!   scenario's sha256 and `SOURCE_DATE_EPOCH`'s date; the same bytes twice;
//!   each page rendered by headless Chromium.
//! - `parallel`          one operator over several threads (partitions of key
//!   groups) equals one thread, snapshot by snapshot, on the ground-truth
//!   cases and a grid of time kinds, lateness and checkpoint triggers.
//! - `rocksdb_ground_truth` every RocksDB case measured on real Flink, replayed:
//!   per window kind, the median and 90th-percentile error and the share of
//!   measured values inside the predicted range, held to the bar reached.
//! - `rocksdb_sampled`   the sampled RocksDB replay against the full one (a
//!   grid of window kinds, functions, Flink 1.20 / 2.2, full / incremental),
//!   within the error the mode line prints; the budget's choice of replay.
//! - `rocksdb_sst`       the SST builder rebuilds real Flink-written SST files
//!   (tests/data/sst/) byte for byte.
//! - `readme`            the README's scenario file names every field of
//!   `src/scenario/raw.rs` and parses in every form it shows; its
//!   `explain-config` example is what the command prints.
//! - `recommend`         `compare` on RocksDB jobs: the scenario's own
//!   configuration under its own name, kept when it holds; never moved to
//!   JobManager storage unless the state fits there.
//! - `shrink`            `compare`'s state-shrinking job changes per keyed
//!   operator (a TTL, an aggregate instead of a buffer, projected records):
//!   each saving equals two independent `run`s, the file as written and
//!   changed by hand; a TTL levels a growing dedup off.
//! - `accuracy`          the `mode:` line and summary.json's `mode_error`: the
//!   simulation exact, heap bytes exact, RocksDB and compressed bytes
//!   estimated (RocksDB with its range).
//! - `code_over_file`    `check` / `run --flink-conf` on a scenario that sets
//!   its backend and storage in code: one line says the job's setting wins.
//! - `sweep`             `statecap sweep`: sweep.csv, capacity charts,
//!   crossings, every core, a progress bar only on a terminal.
//! - `no_checkpoint`     a run shorter than one checkpoint interval: `check`
//!   exits 2 with the reason (never OK), `run` warns, a sweep's points are
//!   `no_checkpoint`, every CSV keeps its header.
//! - `layers`            the house rule on the source: each module imports only
//!   from its own floor or below; the library prints nothing and has no flags.
//! - `budgets`           hostile or huge but valid inputs (2^32 to 10^15
//!   declared keys, megabyte names, YAML alias bombs, a checkpoint every
//!   millisecond or record, a thousand operators, `-j 100000`, sampled mode
//!   on a full day of 10^8 keys) finish within 10 s and 2 GiB, measured per
//!   process, or are refused up front with the numbers and the flag; the
//!   touched-key layout gives the same snapshots as the declared one.
//! - `chart_labels`      compare.svg, comparison.svg, skew.svg and timeline.svg:
//!   no text over a text or a bar, the limit only across the rows it bounds,
//!   the decision marked; the timeline's failures on its drawn line.
//! - `ci_formats`        `check --format text|json|junit|github`: the same
//!   verdicts and exit codes in each; JUnit XML valid against Jenkins'
//!   junit-10.xsd (xmllint); workflow commands on the deciding line.
//! - `config_emit`       every version × every option written, saved under the
//!   version's file name and read back to the same configuration; Java and
//!   SQL in each version's API.
//! - `explain_config`    `explain-config` on real file shapes: what each version
//!   selects, its traps, its exit code.
//! - `fast_mode`         the analytic and sampled modes against exact mode,
//!   and which mode `auto` picks.
//! - `resource_fit`      RocksDB on the TaskManagers: the managed-memory split
//!   worked by hand from Flink's formula, a disk one byte too small and a
//!   memory that makes memtables flush constantly fail `check` on their line.
//! - `fuzz`              generated inputs on stable Rust (proptest): mutated
//!   scenarios through the parser, traces through the reader, Flink
//!   configuration files through every version's reader and `explain`, and
//!   mutated small scenarios through the binary under a timeout and a memory
//!   cap: no panic, abort or hang, refusals that name file and line, all
//!   outputs or none, the same bytes twice; a table of what was tried
//!   (`STATECAP_FUZZ_CASES` sets how many).
//! - `properties`        proptest properties of the simulation on generated
//!   jobs: heap bytes add up over key groups, the same seed or any number of
//!   threads gives the same result, parallelism moves key groups and not
//!   state, and monotone where Flink is (each proved in a comment).
//!
//! The ground-truth cases live beside the repository in
//! `../shared/ground-truth`; the tests that need them fail (never skip) when
//! it is absent.

mod support;

mod accuracy;
mod budgets;
mod chart_labels;
mod ci_formats;
mod code_over_file;
mod config_emit;
mod determinism;
mod explain_config;
mod exports;
mod fast_mode;
mod fuzz;
mod generated;
mod ground_truth;
mod hostile_inputs;
mod invariants;
mod layers;
mod no_checkpoint;
mod ops_ground_truth;
mod parallel;
mod properties;
mod readme;
mod recommend;
mod report_html;
mod reports;
mod resource_fit;
mod rocksdb_ground_truth;
mod rocksdb_sampled;
mod rocksdb_sst;
mod scenario_errors;
mod shipped_scenarios;
mod shrink;
mod states;
mod sweep;
