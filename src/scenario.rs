//! Scenario files: what the user describes (the job, its traffic, its
//! configuration) and the checks that make every mistake a clear message
//! naming the file, the line and the field.
//!
//! Reading is two stages: [`raw`] mirrors the TOML as typed, [`validate`]
//! turns it into a [`Scenario`] of domain values and collects every error;
//! [`validate::check_scenario`] applies its rules again to a scenario changed
//! after parsing. Only this module knows about files, lines and spans.

pub mod raw;
pub mod validate;

use crate::error::{Error, Result};
use crate::flink::{FlinkVersion, ResolvedConfig};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A validated scenario: one keyed stream, its window operators, the
/// configuration Flink will really run with.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The file it came from.
    pub path: PathBuf,
    /// Name; outputs go to `<out>/<name>/`.
    pub name: String,
    /// Free text.
    pub description: Option<String>,
    /// Flink release line.
    pub flink_version: FlinkVersion,
    /// Seed of every random choice.
    pub seed: u64,
    /// The input stream (of a two-input job: the merged stream, `[input]`,
    /// with the sides' rates summed and the larger key count).
    pub source: Source,
    /// The two inputs of a two-input job (`[[source]]`, first = the left
    /// side), merged by event time into `source`; empty for one input.
    pub sides: Vec<SideSource>,
    /// Operator parallelism.
    pub parallelism: u32,
    /// Number of key groups (configured or Flink's default).
    pub max_parallelism: u32,
    /// Whether `max_parallelism` was set rather than defaulted.
    pub max_parallelism_set: bool,
    /// The keyed window operators fed by the stream.
    pub operators: Vec<WindowOperator>,
    /// Backend, storage and limits as Flink resolves them.
    pub config: ResolvedConfig,
    /// Where RocksDB keeps timers.
    pub timer_service: TimerService,
    /// `execution.checkpointing.snapshot-compression`.
    pub compression: bool,
    /// When checkpoints are taken.
    pub checkpoints: CheckpointTrigger,
    /// The `[flink_conf]` entries, values as strings.
    pub flink_conf: BTreeMap<String, String>,
    /// `[cluster] taskmanager_disk`: each TaskManager's local disk for
    /// RocksDB's working directories (`state.backend.rocksdb.localdir`,
    /// else `io.tmp.dirs`), if given.
    pub taskmanager_disk: Option<u64>,
    /// `[compare]`: the lengths and sizes the state-shrinking job changes
    /// are priced with.
    pub shrink: Shrink,
}

/// `[compare]`: what the state-shrinking job changes try
/// ([`crate::plan`]); empty means the defaults derived from the run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Shrink {
    /// `ttl`: TTL lengths to price on states without one (or with a
    /// longer one), ms.
    pub ttls_ms: Vec<i64>,
    /// `projected_record_bytes`: the mean record size after projecting
    /// buffered records to the fields an operator needs.
    pub projected_record_bytes: Option<u64>,
}

/// The keyed input stream.
#[derive(Debug, Clone)]
pub struct Source {
    /// Records to play (generated), or the cap on a trace's records.
    pub records: u64,
    /// Source rate; event time and processing time advance with it.
    pub events_per_second: f64,
    /// Distinct keys (generated input).
    pub keys: u64,
    /// How keys are drawn.
    pub key_distribution: KeyDistribution,
    /// Java type of the key.
    pub key_type: KeyType,
    /// Serialized size of one element.
    pub record_bytes: SizeDistribution,
    /// Each event time is moved back by up to this many ms.
    pub jitter_ms: u64,
    /// `forBoundedOutOfOrderness`: watermark = max ts - this - 1.
    pub out_of_orderness_ms: u64,
    /// A watermark follows every this many records (and every barrier).
    pub watermark_every_records: u64,
    /// Replay this CSV (`key,ts_ms,bytes`, optionally gzipped) instead.
    pub trace: Option<PathBuf>,
    /// How compressible record payloads are (snapshot compression, RocksDB).
    pub payload: PayloadKind,
    /// Processing time of a record minus its timestamp (`processing_lag_ms`:
    /// the TTL clock of keyed operators with state TTL).
    pub processing_lag_ms: i64,
    /// `processing_time = "checkpoint"`: every record is processed at the
    /// time of the checkpoint that follows it (the timestamp of its last
    /// record + `processing_lag_ms`), as when a backlog arrives in bursts.
    pub processing_at_checkpoint: bool,
    /// `start`: the date and time of the first record (RFC 3339), in ms
    /// since 1970 UTC; when a limit is crossed is then also given as a
    /// date and time.
    pub start_ms: Option<i64>,
}

/// One input of a two-input job (`[[source]]`): its own rate, keys and
/// record sizes, generated from its own seed or read from the merged trace
/// (the rows whose `stream` column is `stream`).
#[derive(Debug, Clone)]
pub struct SideSource {
    /// Its name, as operators' `input` names it.
    pub name: String,
    /// Its value of the trace's `stream` column.
    pub stream: String,
    /// Its rate (event time advances with it).
    pub events_per_second: f64,
    /// Distinct keys `0..keys` (generated input).
    pub keys: u64,
    /// How its keys are drawn.
    pub key_distribution: KeyDistribution,
    /// Serialized size of its records.
    pub record_bytes: SizeDistribution,
    /// Seed of its generator.
    pub seed: u64,
}

/// How compressible record payloads are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PayloadKind {
    /// Random characters: Snappy finds almost nothing.
    #[default]
    Random,
    /// Typical text, JSON or log lines: about half.
    Text,
    /// Repeated content: almost everything.
    Constant,
}

/// How keys are drawn for generated input.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum KeyDistribution {
    /// Every key equally likely.
    Uniform,
    /// Key `r - 1` has weight `r^-s`: key 0 is the most frequent.
    Zipf(f64),
}

/// Java type of the key, which fixes its hashCode and serialized size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyType {
    /// `Long`: 8 bytes.
    Long,
    /// `Integer`: 4 bytes.
    Int,
    /// `String` of this many ASCII chars (generated as `k000…042`).
    String(u32),
}

/// Serialized element sizes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SizeDistribution {
    /// Every record the same size.
    Fixed(u32),
    /// Uniform in `[min, max]`.
    Uniform { min: u32, max: u32 },
    /// Normal, clamped to `[min, max]`.
    Normal {
        mean: f64,
        stddev: f64,
        min: u32,
        max: u32,
    },
    /// Log-normal with this mean and standard deviation, clamped.
    LogNormal {
        mean: f64,
        stddev: f64,
        min: u32,
        max: u32,
    },
}

impl SizeDistribution {
    /// Mean size in bytes (before clamping for the continuous ones).
    pub fn mean(&self) -> f64 {
        match *self {
            SizeDistribution::Fixed(b) => b as f64,
            SizeDistribution::Uniform { min, max } => (min as f64 + max as f64) / 2.0,
            SizeDistribution::Normal { mean, .. } | SizeDistribution::LogNormal { mean, .. } => {
                mean
            }
        }
    }
}

/// Event time or processing time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeCharacteristic {
    /// Windows by record timestamps, fired by watermarks.
    Event,
    /// Windows by the operator's clock, fired by processing-time timers.
    Processing,
}

/// The window assigner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Assigner {
    /// `TumblingEventTimeWindows` / `TumblingProcessingTimeWindows`.
    Tumbling { size_ms: i64, offset_ms: i64 },
    /// `SlidingEventTimeWindows` / `SlidingProcessingTimeWindows`.
    Sliding {
        size_ms: i64,
        slide_ms: i64,
        offset_ms: i64,
    },
    /// `EventTimeSessionWindows.withGap` / `ProcessingTimeSessionWindows`.
    Session { gap_ms: i64 },
}

/// What the window keeps per (key, window).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowFunction {
    /// `ProcessWindowFunction`: every element, in a `ListState`.
    Process,
    /// Legacy `WindowedStream.apply(WindowFunction)`: every element too.
    Apply,
    /// `AggregateFunction`: one accumulator of this serialized size.
    Aggregate { accumulator_bytes: u32 },
    /// `ReduceFunction`: one element.
    Reduce,
}

/// One keyed window operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowOperator {
    /// Operator name, as in the timeline.
    pub name: String,
    /// The assigner.
    pub assigner: Assigner,
    /// Event or processing time.
    pub time: TimeCharacteristic,
    /// `allowedLateness` (event time only).
    pub allowed_lateness_ms: i64,
    /// The window function.
    pub function: WindowFunction,
    /// A keyed operator of another kind (`kind = "process"` or `"dedup"`):
    /// its declared state. `None` for a window; when set, `assigner`,
    /// `allowed_lateness_ms` and `function` are placeholders nothing reads
    /// for it (the simulator's `with_operator` picks its file by this).
    pub keyed: Option<KeyedOperator>,
    /// Its own parallelism (`[[operator]] parallelism`), if it differs
    /// from the job's: an operator after a keyBy, with its own subtasks
    /// and key-group ranges (the same key groups).
    pub parallelism: Option<u32>,
    /// Which records of the job's input reach it (after a dedup, or one
    /// `[[source]]` of two), and whether it passes on only some.
    pub route: Route,
}

/// Which records of the job's input reach an operator and which it passes
/// on. Each operator is simulated over the whole input in order; the
/// records that do not reach it still move its clocks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Route {
    /// Empty: every record, as is (one input; or a join of the two
    /// `[[source]]`s, left first). Else a record reaches the operator as
    /// the first entry it matches.
    pub from: Vec<RouteFrom>,
    /// A dedup with `emits = "first"`: it passes on only the records whose
    /// read of "seen" found nothing (else it passes on nothing; a process
    /// with `emits = "input"` forwards every record and needs no route of
    /// its own: operators after it take its route).
    pub emits_first: bool,
}

/// One way into an operator: the records of input `stream` (a
/// `[[source]]`'s index; `None`: any) that operator `after` passed on
/// (`None`: all of them), seen as input `side` (a join's left 0, right 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteFrom {
    /// The `[[source]]` index, if one.
    pub stream: Option<u32>,
    /// The earlier dedup (with `emits = "first"`) whose output it reads.
    pub after: Option<usize>,
    /// The join side the records arrive on (0 for one input).
    pub side: u32,
}

impl WindowOperator {
    /// Its kind as the scenario file names it.
    pub fn kind_name(&self) -> &'static str {
        self.keyed.as_ref().map_or("window", |k| k.kind.name())
    }
}

/// A keyed operator that is not a window: a `KeyedProcessFunction` with
/// declared state (`kind = "process"`) or the deduplication pattern
/// (`kind = "dedup"`: one `ValueState<Boolean>` "seen").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyedOperator {
    /// Which kind the file declared.
    pub kind: KeyedKind,
    /// The declared states, in declaration order (the snapshot's order).
    pub states: Vec<KeyedState>,
    /// An event-time timer registered per record, if any.
    pub timer: Option<EventTimer>,
    /// Processing time of a record = its timestamp + this (`[source]
    /// processing_lag_ms`; `processing_time = "event_time"`).
    pub processing_lag_ms: i64,
    /// [`Source::processing_at_checkpoint`].
    pub processing_at_checkpoint: bool,
    /// Stored as Flink SQL stores it (`style = "sql"`): `RowData` keys
    /// and rows; `None`: the DataStream pattern.
    pub sql: Option<SqlShape>,
}

/// A `dedup` or `join` as Flink SQL's planner runs it (`style = "sql"`):
/// the key is a `BinaryRowData` of the one `BIGINT` key column (20 bytes,
/// its own hash and so its own key groups), a row is the record as
/// (key `BIGINT`, timestamp `BIGINT`, payload `STRING`), a dedup's row with
/// the `PROCTIME()` column too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SqlShape {
    /// `ROW_NUMBER() OVER (PARTITION BY k ORDER BY proctime) = 1`:
    /// `ProcTimeDeduplicateKeepFirstRowFunction`, `ValueState<Boolean>`
    /// "deduplicate-state".
    DedupFirst,
    /// `... ORDER BY proctime DESC) = 1`: `ProcTimeDeduplicateKeepLastRowFunction`,
    /// `ValueState<RowData>` "deduplicate-state" (the key's last row).
    DedupLast,
    /// `SELECT * FROM L JOIN R ON L.k = R.k` (`StreamingJoinOperator`,
    /// states "left-records" / "right-records"), each side stored by its
    /// unique key (`JoinRecordStateViews`).
    Join { left: JoinUnique, right: JoinUnique },
}

/// A SQL join input's unique key, which picks its state's layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinUnique {
    /// None (`InputSideHasNoUniqueKey`): `MapState<RowData, Integer>`,
    /// record -> count.
    None,
    /// Contained in the join key (`JoinKeyContainsUniqueKey`):
    /// `ValueState<RowData>`, the key's last row.
    JoinKey,
    /// (key, timestamp) (`InputSideHasUniqueKey`): `MapState<RowData,
    /// RowData>`, unique key -> row.
    Other,
}

/// The kinds of [`KeyedOperator`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyedKind {
    Process,
    Dedup,
    /// A regular join of two inputs keeping every record of each side
    /// (`KeyedCoProcessFunction` with ListStates "left" and "right").
    Join,
    /// `intervalJoin(..).between(lower, upper)`: Flink's `LEFT_BUFFER` /
    /// `RIGHT_BUFFER` and cleanup timers.
    IntervalJoin {
        /// Inclusive lower bound, ms (an exclusive one moved by 1).
        lower_ms: i64,
        /// Inclusive upper bound, ms.
        upper_ms: i64,
    },
}

impl KeyedKind {
    /// As the scenario file names it.
    pub fn name(self) -> &'static str {
        match self {
            KeyedKind::Process => "process",
            KeyedKind::Dedup => "dedup",
            KeyedKind::Join => "join",
            KeyedKind::IntervalJoin { .. } => "interval_join",
        }
    }

    /// Whether it reads two inputs.
    pub fn two_inputs(self) -> bool {
        matches!(self, KeyedKind::Join | KeyedKind::IntervalJoin { .. })
    }
}

/// One declared keyed state (`[[operator.state]]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyedState {
    /// Flink's state name (written in the snapshot header).
    pub name: String,
    /// What it holds.
    pub kind: StateKind,
    /// When it is written.
    pub write: StateWrite,
    /// Its TTL, if any.
    pub ttl: Option<Ttl>,
}

/// What a declared state holds (the serializers statecap knows the
/// header of: `Long` / `Boolean` values, lists of the input record,
/// maps of `String` sub-keys to `Long`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StateKind {
    /// `ValueState`: `value_bytes` = 8 (`Long`) or 1 (`Boolean`).
    Value { value_bytes: u32 },
    /// `ListState` of the input record; with `max_elements`, the newest
    /// that many are kept (append; when full, clear and re-add).
    List { max_elements: Option<u32> },
    /// `MapState<String, Long>`: `put(prefix + sub_key, ts)`.
    Map {
        prefix: String,
        map_keys: u32,
        value_bytes: u32,
    },
}

/// When a declared state is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateWrite {
    /// Every record of the key (value: `update`; list: append; map: `put`).
    EveryRecord,
    /// Read on every record, written when absent (value states).
    FirstPerKey,
}

/// State TTL (`StateTtlConfig`) on processing time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ttl {
    /// Time to live.
    pub ttl_ms: i64,
    /// `OnReadAndWrite` (else `OnCreateAndWrite`).
    pub update_on_read: bool,
    /// `ReturnExpiredIfNotCleanedUp` (else `NeverReturnExpired`).
    pub return_expired: bool,
    /// The cleanup strategy.
    pub cleanup: TtlCleanup,
    /// RocksDB's compaction filter drops expired entries at compactions
    /// (`cleanupInRocksdbCompactFilter`, and Flink's default cleanup on
    /// RocksDB); the heap backend ignores it.
    pub compaction_filter: bool,
}

/// The TTL cleanup strategies statecap simulates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TtlCleanup {
    /// `disableCleanupInBackground()`: expired values stay until read or
    /// overwritten (`cleanupInRocksdbCompactFilter` is the same on heap).
    None,
    /// `cleanupFullSnapshot()`: a checkpoint leaves expired values out.
    FullSnapshot,
    /// `cleanupIncrementally(size, false)` (and the heap's default
    /// background cleanup, size 5): every access of the state first
    /// visits `size` entries of the subtask's state table and drops or
    /// rewrites the expired ones.
    Incremental { size: u32 },
}

/// `registerEventTimeTimer(ts + delay_ms)` per record; when it fires, the
/// states at `clears` (indices into the operator's states) of that key are
/// cleared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventTimer {
    /// After the record's timestamp.
    pub delay_ms: i64,
    /// Indices of the states cleared when it fires.
    pub clears: Vec<usize>,
}

/// RocksDB's timer service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimerService {
    /// Timers in RocksDB column families.
    RocksDb,
    /// Timers on the heap, snapshotted as raw keyed state.
    Heap,
}

/// When checkpoints are taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckpointTrigger {
    /// After every `n` records (and the watermark that follows them).
    EveryRecords(u64),
    /// Every `ms` of processing time.
    Interval(u64),
}

impl Scenario {
    /// How the job's key groups fall on its subtasks (Flink's
    /// `KeyGroupRangeAssignment` for this parallelism and max parallelism).
    pub fn layout(&self) -> crate::flink::KeyGroupLayout {
        crate::flink::KeyGroupLayout::new(self.parallelism, self.max_parallelism)
    }

    /// The parallelism of operator `i`: its own, or the job's.
    pub fn operator_parallelism(&self, i: usize) -> u32 {
        self.operators
            .get(i)
            .and_then(|o| o.parallelism)
            .unwrap_or(self.parallelism)
    }

    /// How operator `i`'s key groups fall on its subtasks.
    pub fn operator_layout(&self, i: usize) -> crate::flink::KeyGroupLayout {
        crate::flink::KeyGroupLayout::new(self.operator_parallelism(i), self.max_parallelism)
    }

    /// The job's parallelism in words, with the operators that have their
    /// own: `2`, or `2 (window: 3)`.
    pub fn parallelism_text(&self) -> String {
        let own: Vec<String> = self
            .operators
            .iter()
            .filter_map(|o| o.parallelism.map(|p| format!("{}: {p}", o.name)))
            .collect();
        if own.is_empty() {
            self.parallelism.to_string()
        } else {
            format!("{} ({})", self.parallelism, own.join(", "))
        }
    }

    /// The first operator with its own parallelism (a job of several
    /// vertices), if any.
    pub fn own_parallelism(&self) -> Option<usize> {
        self.operators.iter().position(|o| o.parallelism.is_some())
    }

    /// Reads and validates a scenario file.
    pub fn load(path: &Path) -> Result<Scenario> {
        let text = read_text(path)?;
        Self::parse(&text, path)
    }

    /// Validates scenario text; `path` names the file in messages and is the
    /// base for a relative `trace`.
    pub fn parse(text: &str, path: &Path) -> Result<Scenario> {
        validate::parse(text, path).map_err(Error::Scenario)
    }

    /// Reads a scenario and applies a Flink configuration file to it, as
    /// `statecap run --flink-conf FILE` does: the file is read as the
    /// scenario's Flink version reads it ([`crate::flink::conf_file`]), its
    /// entries override `[flink_conf]` setting by setting, and the
    /// configuration is resolved again (`[state]` / `[checkpoints]`, the
    /// job's code, still win). A file that version does not read at all
    /// (`flink-conf.yaml` on 2.x, `config.yaml` before 1.19) is an error.
    pub fn load_with_flink_conf(path: &Path, conf_path: &Path) -> Result<Scenario> {
        let text = read_text(path)?;
        // The version decides how the file is read; a scenario without a
        // valid one reports that through the normal validation.
        let version = toml::from_str::<toml::Table>(&text).ok().and_then(|t| {
            t.get("flink_version")?
                .as_str()?
                .parse::<FlinkVersion>()
                .ok()
        });
        let Some(version) = version else {
            return Self::parse(&text, path);
        };
        let conf = crate::flink::conf_file::load(conf_path, version)?;
        Self::parse_with_flink_conf(&text, path, &conf)
    }

    /// [`Scenario::parse`] with a configuration file already read (see
    /// [`Scenario::load_with_flink_conf`]).
    pub fn parse_with_flink_conf(
        text: &str,
        path: &Path,
        conf: &crate::flink::conf_file::ConfFile,
    ) -> Result<Scenario> {
        if let Some(why) = &conf.not_read {
            return Err(Error::Config {
                path: conf.path.clone(),
                message: format!(
                    "{why} (`statecap explain-config {} --flink-version {}` shows it in detail)",
                    conf.path.display(),
                    conf.version
                ),
            });
        }
        validate::parse_with(text, path, Some(conf)).map_err(Error::Scenario)
    }

    /// This scenario with a configuration file applied (re-reads its file:
    /// see [`Scenario::load_with_flink_conf`]).
    pub fn with_flink_conf(self, conf: &crate::flink::conf_file::ConfFile) -> Result<Scenario> {
        let text = read_text(&self.path)?;
        Self::parse_with_flink_conf(&text, &self.path, conf)
    }

    /// The directory name of this scenario's outputs.
    pub fn output_name(&self) -> &str {
        &self.name
    }

    /// Line and column (1-based) where the file writes `field`
    /// (`checkpoints.storage`, `operator[0].size`, `flink_conf.state.backend`),
    /// or `None` when it does not write it.
    pub fn written_at(&self, field: &str) -> Option<(usize, usize)> {
        let text = read_text(&self.path).ok()?;
        validate::written_at(&text, &self.path, field)
    }

    /// An error about `field` of this scenario (`name`,
    /// `operator[0].size_ms`…), located in its file as validation locates
    /// its own (the file is read again; without it, no line).
    pub fn error_at(&self, field: &str, message: impl Into<String>) -> crate::error::ScenarioError {
        let text = read_text(&self.path).unwrap_or_default();
        validate::locate(&text, &self.path, field, message.into())
    }
}

/// Largest scenario file statecap reads: 1 MiB (statecap's bound; a
/// scenario is a page of text, and this keeps `/dev/zero` from filling
/// memory).
pub const MAX_SCENARIO_BYTES: u64 = 1 << 20;

/// The text of a scenario file: at most [`MAX_SCENARIO_BYTES`], and UTF-8
/// (a file that is not is refused at the line and column of its first bad
/// byte).
fn read_text(path: &Path) -> Result<String> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut bytes = Vec::new();
    file.take(MAX_SCENARIO_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(path, e))?;
    if bytes.len() as u64 > MAX_SCENARIO_BYTES {
        return Err(Error::Scenario(vec![crate::error::ScenarioError {
            path: path.to_path_buf(),
            line: None,
            column: None,
            field: String::new(),
            message: format!(
                "larger than {} KiB: not a scenario file (statecap reads at most that much)",
                MAX_SCENARIO_BYTES >> 10
            ),
        }]));
    }
    String::from_utf8(bytes).map_err(|e| {
        let utf8 = e.utf8_error();
        Error::Scenario(vec![validate::not_utf8(path, e.as_bytes(), utf8)])
    })
}
