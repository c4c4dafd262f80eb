//! Which state backend and checkpoint storage a Flink configuration really
//! selects, version by version, with the limits that come with them.
//!
//! Sources (see `shared/reference/flink-state-facts.md`, section 2):
//! `StateBackendLoader`, `CheckpointStorageLoader`, `CheckpointingOptions`,
//! `StateBackendOptions`, `MemoryStateBackend`, `JobManagerCheckpointStorage`
//! at 1.6.2, 1.13.5, the 1.17–1.20 branch points and 2.0/2.1.
//!
//! Labels used in the citations below: `[1.x.y]` is the Apache release tag
//! `release-1.x.y`; `[1.17]`, `[1.18]`, `[1.19]`, `[1.20]` and `[2.0]` are
//! the release-branch cut points of Apache master, i.e. the parent of the
//! commit "Update version to <next>-SNAPSHOT" (4bc6d6da, 404a7804,
//! 03b45844, f6f88135, dccb7821); `[2.1]` is master f6120134 (2025-06-20).
//! Key names and defaults do not change in bugfix releases.
//!
//! [`resolve`] is what scenario validation uses; [`resolve_detailed`] also
//! says where every value came from (a key, the job, a default) and what
//! Flink would warn about, for `statecap explain-config`.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// `MemoryStateBackend.DEFAULT_MAX_STATE_SIZE` /
/// `JobManagerCheckpointStorage.DEFAULT_MAX_STATE_SIZE`: 5 MiB per stream.
pub const DEFAULT_MAX_STATE_SIZE: u64 = 5 * 1024 * 1024;
/// Default RPC frame size (`akka.framesize` / `pekko.framesize`):
/// `"10485760b"` in `AkkaOptions.FRAMESIZE` [1.6.2][1.13.5][1.17] and
/// `RpcOptions.FRAMESIZE` [1.20][2.0].
pub const DEFAULT_FRAME_SIZE: u64 = 10_485_760;
/// Default checkpoint timeout: `CheckpointConfig.DEFAULT_TIMEOUT` = 10 min
/// [1.6.2]; `ExecutionCheckpointingOptions.CHECKPOINTING_TIMEOUT` [1.10.0]
/// [1.13.5], `CheckpointingOptions.CHECKPOINTING_TIMEOUT` [1.20][2.0].
pub const DEFAULT_CHECKPOINT_TIMEOUT_MS: u64 = 10 * 60 * 1000;
/// Largest inline threshold Flink accepts; larger values fall back to the
/// default with a warning: `FsStateBackend.MAX_FILE_STATE_THRESHOLD`
/// [1.6.2], `FileSystemCheckpointStorage` [1.13.5][2.0].
pub const MAX_INLINE_THRESHOLD: u64 = 1024 * 1024;

/// A Flink release line, `major.minor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct FlinkVersion {
    /// 1 or 2.
    pub major: u32,
    /// Minor release.
    pub minor: u32,
}

impl FlinkVersion {
    /// Builds a version.
    pub const fn new(major: u32, minor: u32) -> Self {
        FlinkVersion { major, minor }
    }
    /// Whether this is `major.minor` or later.
    pub fn at_least(self, major: u32, minor: u32) -> bool {
        self >= FlinkVersion::new(major, minor)
    }
}

impl fmt::Display for FlinkVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl FromStr for FlinkVersion {
    type Err = String;
    /// Accepts `1.6`, `1.6.2`, `1.20.5`, `2.0`, `2.2.1`; versions 1.6 to 2.x.
    fn from_str(s: &str) -> Result<Self, String> {
        let mut it = s.trim().split('.');
        let parse = |p: Option<&str>| -> Option<u32> { p?.parse().ok() };
        let major = parse(it.next());
        let minor = parse(it.next());
        let patch_ok = it.next().is_none_or(|p| p.parse::<u32>().is_ok()) && it.next().is_none();
        match (major, minor) {
            (Some(major), Some(minor)) if patch_ok => {
                let v = FlinkVersion::new(major, minor);
                if v < FlinkVersion::new(1, 6) || major > 2 {
                    Err(format!(
                        "Flink {s} is not supported: statecap knows 1.6 to 2.x"
                    ))
                } else {
                    Ok(v)
                }
            }
            _ => Err(format!(
                "'{s}' is not a Flink version: write major.minor, e.g. \"1.20\" or \"1.6.2\""
            )),
        }
    }
}

/// The keyed state backend, as Flink names it in that version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// `MemoryStateBackend` (1.x legacy; heap, state inline in `_metadata`).
    Memory,
    /// `FsStateBackend` (1.x legacy; heap, state in files).
    Fs,
    /// `HashMapStateBackend` (1.13+).
    HashMap,
    /// `RocksDBStateBackend` / `EmbeddedRocksDBStateBackend`.
    RocksDb,
    /// `ForStStateBackend` (2.x).
    ForSt,
}

impl Backend {
    /// Keeps state on the JVM heap (full snapshots in the heap format).
    pub fn is_heap(self) -> bool {
        matches!(self, Backend::Memory | Backend::Fs | Backend::HashMap)
    }
    /// Flink's class name for this backend in `version`.
    pub fn class_name(self, version: FlinkVersion) -> &'static str {
        match self {
            Backend::Memory => "MemoryStateBackend",
            Backend::Fs => "FsStateBackend",
            Backend::HashMap => "HashMapStateBackend",
            Backend::RocksDb if version.at_least(1, 13) => "EmbeddedRocksDBStateBackend",
            Backend::RocksDb => "RocksDBStateBackend",
            Backend::ForSt => "ForStStateBackend",
        }
    }
    /// The short name statecap writes in its tables (`hashmap`, `rocksdb`).
    pub fn short_name(self) -> &'static str {
        match self {
            Backend::Memory => "memory",
            Backend::Fs => "filesystem",
            Backend::HashMap => "hashmap",
            Backend::RocksDb => "rocksdb",
            Backend::ForSt => "forst",
        }
    }
}

/// Where checkpoint data goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Storage {
    /// In the JobManager's memory / inline in `_metadata`, with a per-stream
    /// size limit.
    JobManager {
        /// Largest stream a subtask may write, in bytes.
        max_state_size: u64,
    },
    /// Files under the checkpoint directory; streams below the inline
    /// threshold still go inline into `_metadata`.
    FileSystem {
        /// `state.storage.fs.memory-threshold` and its predecessors/successors.
        inline_threshold: u64,
    },
}

impl Storage {
    /// `jobmanager` or `filesystem`.
    pub fn short_name(self) -> &'static str {
        match self {
            Storage::JobManager { .. } => "jobmanager",
            Storage::FileSystem { .. } => "filesystem",
        }
    }
}

/// What a configuration really gives, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedConfig {
    /// The Flink version the rules were applied for.
    pub version: FlinkVersion,
    /// The backend that holds keyed state.
    pub backend: Backend,
    /// Where checkpoints go.
    pub storage: Storage,
    /// Incremental checkpoints (RocksDB only).
    pub incremental: bool,
    /// The checkpoint directory, if any.
    pub checkpoint_dir: Option<String>,
    /// One line per decision: which key (or default) decided what.
    pub reasons: Vec<String>,
    /// The limits that fail checkpoints, as this configuration sets them.
    pub limits: Limits,
    /// Where timers live (RocksDB's and ForSt's timer service; the heap for
    /// heap backends).
    pub timers: TimerStore,
}

/// The limits a configuration puts on checkpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Per-stream cap of JobManager storage (`None` with file storage).
    pub max_state_size: Option<u64>,
    /// Streams up to this size go inline into `_metadata` (file storage).
    pub inline_threshold: u64,
    /// RPC frame size: the largest message between JobManager and
    /// TaskManagers, so the largest acknowledgement with inline state.
    pub frame_size: u64,
    /// A checkpoint not complete after this long is declined.
    pub checkpoint_timeout_ms: u64,
}

/// Where a keyed backend keeps its timers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimerStore {
    /// On the JVM heap (heap backends; RocksDB with `HEAP`), snapshotted as
    /// raw keyed state.
    Heap,
    /// In RocksDB column families (`ROCKSDB`).
    RocksDb,
    /// In ForSt (`ForStDB`, 2.x).
    ForStDb,
}

impl TimerStore {
    /// Flink's value for the timer-service factory key.
    pub fn flink_value(self) -> &'static str {
        match self {
            TimerStore::Heap => "HEAP",
            TimerStore::RocksDb => "ROCKSDB",
            TimerStore::ForStDb => "ForStDB",
        }
    }
}

impl ResolvedConfig {
    /// The exception text Flink logs when a subtask's stream exceeds the
    /// memory-backed limit (`MemCheckpointStreamFactory.checkSize`), in this
    /// version's words.
    pub fn size_exceeded_message(&self, size: u64, max: u64) -> String {
        size_exceeded_message(self.version, size, max)
    }
}

/// `MemCheckpointStreamFactory.MemoryCheckpointOutputStream.checkSize`: 1.6–1.12
/// recommend "a different state backend"; 1.13+ "a different checkpoint
/// storage" (FLIP-142). Measured on 1.9.3 and 1.20.5.
pub fn size_exceeded_message(version: FlinkVersion, size: u64, max: u64) -> String {
    if version.at_least(1, 13) {
        format!(
            "Size of the state is larger than the maximum permitted memory-backed state. \
             Size={size}, maxSize={max}. Consider using a different checkpoint storage, \
             like the FileSystemCheckpointStorage."
        )
    } else {
        format!(
            "Size of the state is larger than the maximum permitted memory-backed state. \
             Size={size} , maxSize={max} . Consider using a different state backend, \
             like the File System State backend."
        )
    }
}

/// Every release line statecap knows, oldest first.
pub fn known_versions() -> impl Iterator<Item = FlinkVersion> {
    (6..=20)
        .map(|m| FlinkVersion::new(1, m))
        .chain((0..=2).map(|m| FlinkVersion::new(2, m)))
}

// ---------------------------------------------------------------------------
// Keys, by role, per version
// ---------------------------------------------------------------------------

/// A setting whose key changed across versions, by its role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Setting {
    /// The keyed state backend.
    Backend,
    /// The checkpoint storage (1.13+).
    Storage,
    /// The checkpoint directory.
    CheckpointDir,
    /// The savepoint directory.
    SavepointDir,
    /// Streams up to this size go inline into `_metadata`.
    InlineThreshold,
    /// Incremental checkpoints (RocksDB).
    Incremental,
    /// RocksDB's timer service.
    TimerService,
    /// ForSt's timer service (2.x).
    ForStTimerService,
    /// RPC frame size.
    FrameSize,
    /// Checkpoint interval (1.10+ in the configuration).
    Interval,
    /// Checkpoint timeout (1.10+ in the configuration).
    Timeout,
}

/// The key a version reads for a setting, and the older names it still
/// accepts (read in this order after the key: Flink's
/// `Configuration.getRawValueFromOption`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyNames {
    /// The current key.
    pub key: &'static str,
    /// Deprecated keys still read.
    pub deprecated: &'static [&'static str],
}

const fn names(key: &'static str, deprecated: &'static [&'static str]) -> Option<KeyNames> {
    Some(KeyNames { key, deprecated })
}

impl Setting {
    /// Every setting, in the order reports list them.
    pub const ALL: [Setting; 11] = [
        Setting::Backend,
        Setting::Storage,
        Setting::CheckpointDir,
        Setting::SavepointDir,
        Setting::InlineThreshold,
        Setting::Incremental,
        Setting::TimerService,
        Setting::ForStTimerService,
        Setting::FrameSize,
        Setting::Interval,
        Setting::Timeout,
    ];

    /// What people call it.
    pub fn label(self) -> &'static str {
        match self {
            Setting::Backend => "state backend",
            Setting::Storage => "checkpoint storage",
            Setting::CheckpointDir => "checkpoint directory",
            Setting::SavepointDir => "savepoint directory",
            Setting::InlineThreshold => "inline threshold",
            Setting::Incremental => "incremental",
            Setting::TimerService => "RocksDB timers",
            Setting::ForStTimerService => "ForSt timers",
            Setting::FrameSize => "RPC frame size",
            Setting::Interval => "checkpoint interval",
            Setting::Timeout => "checkpoint timeout",
        }
    }

    /// The keys Flink `version` reads for this setting; `None` when that
    /// version has no configuration key for it.
    pub fn keys(self, version: FlinkVersion) -> Option<KeyNames> {
        let v = |major, minor| version.at_least(major, minor);
        match self {
            // `CheckpointingOptions.STATE_BACKEND` [1.6.2]–[1.12.7],
            // `StateBackendOptions.STATE_BACKEND` [1.13.5]: `state.backend`;
            // renamed `state.backend.type` with the old key as deprecated
            // key by FLINK-29372 [1.17]; unchanged [2.0][2.1].
            Setting::Backend if v(1, 17) => names("state.backend.type", &["state.backend"]),
            Setting::Backend => names("state.backend", &[]),
            // `CheckpointingOptions.CHECKPOINT_STORAGE`: new in [1.13.0];
            // renamed by FLINK-34482 [1.20].
            Setting::Storage if v(1, 20) => names(
                "execution.checkpointing.storage",
                &["state.checkpoint-storage"],
            ),
            Setting::Storage if v(1, 13) => names("state.checkpoint-storage", &[]),
            Setting::Storage => None,
            // `CheckpointingOptions.CHECKPOINTS_DIRECTORY` [1.6.2]–[1.19];
            // FLINK-34482 [1.20][2.0].
            Setting::CheckpointDir if v(1, 20) => names(
                "execution.checkpointing.dir",
                &["state.checkpoints.dir", "state.backend.fs.checkpointdir"],
            ),
            Setting::CheckpointDir => {
                names("state.checkpoints.dir", &["state.backend.fs.checkpointdir"])
            }
            // `CheckpointingOptions.SAVEPOINT_DIRECTORY` [1.6.2]; [1.20].
            Setting::SavepointDir if v(1, 20) => names(
                "execution.checkpointing.savepoint-dir",
                &["state.savepoints.dir", "savepoints.state.backend.fs.dir"],
            ),
            Setting::SavepointDir => {
                names("state.savepoints.dir", &["savepoints.state.backend.fs.dir"])
            }
            // `CheckpointingOptions.FS_SMALL_FILE_THRESHOLD`:
            // `state.backend.fs.memory-threshold` [1.6.2]–[1.12.7];
            // `state.storage.fs.memory-threshold` [1.13.0]–[1.19];
            // `execution.checkpointing.data-inline-threshold` [1.20][2.0].
            Setting::InlineThreshold if v(1, 20) => names(
                "execution.checkpointing.data-inline-threshold",
                &[
                    "state.storage.fs.memory-threshold",
                    "state.backend.fs.memory-threshold",
                ],
            ),
            Setting::InlineThreshold if v(1, 13) => names(
                "state.storage.fs.memory-threshold",
                &["state.backend.fs.memory-threshold"],
            ),
            Setting::InlineThreshold => names("state.backend.fs.memory-threshold", &[]),
            // `CheckpointingOptions.INCREMENTAL_CHECKPOINTS` [1.6.2]–[1.19];
            // FLINK-34482 [1.20][2.0].
            Setting::Incremental if v(1, 20) => names(
                "execution.checkpointing.incremental",
                &["state.backend.incremental"],
            ),
            Setting::Incremental => names("state.backend.incremental", &[]),
            // `RocksDBOptions.TIMER_SERVICE_FACTORY` [1.6.2]–[2.0].
            Setting::TimerService => names("state.backend.rocksdb.timer-service.factory", &[]),
            // `ForStOptions.TIMER_SERVICE_FACTORY` [2.0].
            Setting::ForStTimerService if v(2, 0) => {
                names("state.backend.forst.timer-service.factory", &[])
            }
            Setting::ForStTimerService => None,
            // `AkkaOptions.FRAMESIZE` `akka.framesize` [1.6.2]–[1.17];
            // `pekko.framesize` with `akka.framesize` deprecated [1.18],
            // `RpcOptions.FRAMESIZE` [1.20][2.0].
            Setting::FrameSize if v(1, 18) => names("pekko.framesize", &["akka.framesize"]),
            Setting::FrameSize => names("akka.framesize", &[]),
            // `ExecutionCheckpointingOptions` is new in [1.10.0] (absent in
            // [1.9.0]: checkpointing is set in code only);
            // `CheckpointingOptions` [1.20][2.0].
            Setting::Interval if v(1, 10) => names("execution.checkpointing.interval", &[]),
            Setting::Timeout if v(1, 10) => names("execution.checkpointing.timeout", &[]),
            Setting::Interval | Setting::Timeout => None,
        }
    }

    /// Whether `key` is one of this setting's names in any version.
    pub fn has_key(self, key: &str) -> bool {
        known_versions().any(|v| {
            self.keys(v)
                .is_some_and(|k| k.key == key || k.deprecated.contains(&key))
        })
    }

    /// The setting `key` names in some version, if any.
    pub fn of_key(key: &str) -> Option<Setting> {
        Setting::ALL.into_iter().find(|s| s.has_key(key))
    }
}

/// How a version treats a key that names a setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyStatus {
    /// The version's own key.
    Current(Setting),
    /// An older name this version still reads; `key` is the current one.
    Deprecated {
        /// The setting.
        setting: Setting,
        /// What to write instead.
        key: &'static str,
    },
    /// A name of this setting in other versions only: this version ignores
    /// it. `first`/`last` are the versions that read it.
    Ignored {
        /// The setting.
        setting: Setting,
        /// The first version that reads the key.
        first: FlinkVersion,
        /// The last version that reads it.
        last: FlinkVersion,
        /// The key this version reads instead, if it has one.
        instead: Option<&'static str>,
    },
    /// Not a key of any setting statecap knows.
    Unknown,
}

/// Whether `version` reads `key`, and under which name.
pub fn key_status(key: &str, version: FlinkVersion) -> KeyStatus {
    let Some(setting) = Setting::of_key(key) else {
        return KeyStatus::Unknown;
    };
    match setting.keys(version) {
        Some(k) if k.key == key => KeyStatus::Current(setting),
        Some(k) if k.deprecated.contains(&key) => KeyStatus::Deprecated {
            setting,
            key: k.key,
        },
        current => {
            let reads = |v: FlinkVersion| {
                setting
                    .keys(v)
                    .is_some_and(|k| k.key == key || k.deprecated.contains(&key))
            };
            let first = known_versions().find(|&v| reads(v)).expect("has_key");
            let last = known_versions()
                .filter(|&v| reads(v))
                .last()
                .expect("has_key");
            KeyStatus::Ignored {
                setting,
                first,
                last,
                instead: current.map(|k| k.key),
            }
        }
    }
}

/// A value found in a configuration, and under which key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The key it was read from.
    pub key: String,
    /// The value, trimmed.
    pub value: String,
    /// Whether `key` is a deprecated name in this version.
    pub deprecated: bool,
}

/// Reads `setting` as Flink `version` does: its key first, then its
/// deprecated keys in order (`Configuration.getRawValueFromOption`); keys
/// of other versions are not read.
pub fn lookup_setting(
    conf: &BTreeMap<String, String>,
    setting: Setting,
    version: FlinkVersion,
) -> Option<Found> {
    let k = setting.keys(version)?;
    std::iter::once(k.key)
        .chain(k.deprecated.iter().copied())
        .find_map(|key| {
            conf.get(key).map(|v| Found {
                key: key.to_string(),
                value: v.trim().to_string(),
                deprecated: key != k.key,
            })
        })
}

/// Merges the entries of a configuration file over a scenario's
/// `[flink_conf]`: for every setting the file sets (under any of its names
/// in any version), the scenario's entries for that setting are dropped,
/// so the file wins; other entries are kept.
pub fn merge_conf(base: &mut BTreeMap<String, String>, overlay: &BTreeMap<String, String>) {
    for key in overlay.keys() {
        if let Some(s) = Setting::of_key(key) {
            base.retain(|k, _| !s.has_key(k));
        }
    }
    for (k, v) in overlay {
        base.insert(k.clone(), v.clone());
    }
}

// ---------------------------------------------------------------------------
// Values, as each version parses them
// ---------------------------------------------------------------------------

/// The backend named in a scenario's `[state] backend` (what the job sets
/// in code). Lenient on purpose: `hashmap` before 1.13 is the heap
/// `FsStateBackend`.
fn backend_from_name(version: FlinkVersion, name: &str) -> Result<Backend, String> {
    let n = name.trim().to_ascii_lowercase();
    let legacy_ok = version.major < 2;
    match n.as_str() {
        "jobmanager" | "memory" if legacy_ok => Ok(Backend::Memory),
        "filesystem" | "fs" if legacy_ok => Ok(if version.at_least(1, 13) {
            // 1.13+: the `filesystem` shortcut loads HashMapStateBackend.
            Backend::HashMap
        } else {
            Backend::Fs
        }),
        "hashmap" | "heap" if version.at_least(1, 13) => Ok(Backend::HashMap),
        "hashmap" | "heap" => Ok(Backend::Fs),
        "rocksdb" => Ok(Backend::RocksDb),
        "forst" if version.major >= 2 => Ok(Backend::ForSt),
        "jobmanager" | "memory" | "filesystem" | "fs" => Err(format!(
            "state backend '{name}' was removed in Flink 2.0: use hashmap, rocksdb or forst"
        )),
        "forst" => Err(format!(
            "the ForSt backend exists from Flink 2.0, not in {version}"
        )),
        _ => Err(format!(
            "unknown state backend '{name}': expected hashmap, rocksdb{}",
            if legacy_ok {
                ", filesystem or jobmanager"
            } else {
                " or forst"
            }
        )),
    }
}

/// The backend a configuration value selects in `version`.
///
/// `StateBackendLoader.loadStateBackendFromConfig` lower-cases the value
/// and matches its shortcuts; any other value is loaded as a
/// `StateBackendFactory` class and fails with "Cannot find configured state
/// backend factory class". Shortcuts: `jobmanager` (MemoryStateBackend),
/// `filesystem` (FsStateBackend), `rocksdb` [1.6.2]–[1.12.7]; `hashmap`
/// added, `filesystem` falling through to HashMapStateBackend and
/// `jobmanager` still the legacy MemoryStateBackend [1.13.5]–[1.20];
/// `hashmap`, `rocksdb`, `forst` only [2.0][2.1].
pub fn backend_from_config(version: FlinkVersion, value: &str) -> Result<Backend, String> {
    let n = value.trim().to_lowercase();
    let shortcuts = if version.major >= 2 {
        "hashmap, rocksdb, forst"
    } else if version.at_least(1, 13) {
        "hashmap, rocksdb, filesystem (deprecated), jobmanager (deprecated)"
    } else {
        "jobmanager, filesystem, rocksdb"
    };
    let not_found = |extra: &str| {
        format!(
            "Cannot find configured state backend factory class: {value} \
             (Flink {version} fails to start the job; its shortcuts are {shortcuts}{extra})"
        )
    };
    match n.as_str() {
        "rocksdb" => Ok(Backend::RocksDb),
        "jobmanager" if version.major < 2 => Ok(Backend::Memory),
        "filesystem" if version.at_least(1, 13) && version.major < 2 => Ok(Backend::HashMap),
        "filesystem" if version.major < 2 => Ok(Backend::Fs),
        "hashmap" if version.at_least(1, 13) => Ok(Backend::HashMap),
        "forst" if version.major >= 2 => Ok(Backend::ForSt),
        "jobmanager" | "filesystem" => Err(not_found(
            "; the legacy backends were removed in 2.0: write hashmap, and \
             execution.checkpointing.storage: jobmanager or filesystem",
        )),
        "hashmap" => Err(not_found(
            "; HashMapStateBackend exists from 1.13: write filesystem \
             (FsStateBackend, the same heap backend with file checkpoints)",
        )),
        "forst" => Err(not_found("; ForSt exists from 2.0")),
        _ => Err(not_found("")),
    }
}

/// `CheckpointStorageLoader.fromConfig` [1.13.5][2.0]: `jobmanager` or
/// `filesystem`, lower-cased; anything else is loaded as a factory class.
/// Returns whether it is JobManager storage.
fn storage_from_config(value: &str) -> Result<bool, String> {
    match value.trim().to_lowercase().as_str() {
        "jobmanager" => Ok(true),
        "filesystem" => Ok(false),
        _ => Err(format!(
            "Cannot find configured state backend factory class: {value} \
             (checkpoint storage shortcuts are jobmanager and filesystem)"
        )),
    }
}

/// The storage named in a scenario's `[checkpoints] storage`.
fn storage_kind(name: &str) -> Result<bool, String> {
    match name.trim().to_ascii_lowercase().as_str() {
        "jobmanager" | "memory" => Ok(true),
        "filesystem" | "fs" => Ok(false),
        _ => Err(format!(
            "unknown checkpoint storage '{name}': expected jobmanager or filesystem"
        )),
    }
}

/// A boolean option's value. `Configuration.convertToBoolean` [1.6.2]
/// [1.9.0] is `Boolean.parseBoolean`: anything but `true` (any case) is
/// false; from [1.10.0] only `true`/`false` (any case), anything else is
/// an error.
fn parse_bool(version: FlinkVersion, value: &str) -> Result<(bool, Option<String>), String> {
    match value.to_ascii_lowercase().as_str() {
        "true" => Ok((true, None)),
        "false" => Ok((false, None)),
        _ if !version.at_least(1, 10) => Ok((
            false,
            Some(format!(
                "'{value}' is not true: Flink {version} reads it as false"
            )),
        )),
        _ => Err(format!(
            "Unrecognized option for boolean: {value}. Expected either true or false(case insensitive)"
        )),
    }
}

/// Default inline threshold: 1024 bytes up to 1.10, 20 KiB from 1.11
/// (FLINK-17865; `CheckpointingOptions.FS_SMALL_FILE_THRESHOLD` is
/// `defaultValue(1024)` [1.10.0], `MemorySize.parse("20kb")` [1.11.0]).
pub fn default_inline_threshold(version: FlinkVersion) -> u64 {
    if version.at_least(1, 11) {
        20 * 1024
    } else {
        1024
    }
}

/// The inline threshold from a configured value, and a warning when Flink
/// falls back to the default.
///
/// [1.6.2]–[1.10.0] the option is an `Integer` of bytes: up to 1.9 a value
/// that is no integer (`"20kb"`) logs "Configuration cannot evaluate value
/// … as an integer number" and the default is used
/// (`Configuration.convertToInt`); 1.10 throws "Could not parse value"
/// (`Configuration.getOptional`). From [1.11.0] it is a `MemorySize`.
/// Values outside 0..=1 MiB are ignored with a warning and the default
/// used (`FsStateBackend` [1.6.2], `FileSystemCheckpointStorage`
/// [1.13.5]).
fn parse_threshold(
    version: FlinkVersion,
    key: &str,
    value: &str,
) -> Result<(u64, Option<String>), String> {
    let default = default_inline_threshold(version);
    let parsed: Result<i128, String> = if version.at_least(1, 11) {
        crate::flink::units::parse_memory_size(value).map(|b| b as i128)
    } else {
        value
            .parse::<i32>()
            .map(i128::from)
            .map_err(|_| format!("'{value}' is not an integer number of bytes"))
    };
    match parsed {
        Err(e) if !version.at_least(1, 10) => Ok((
            default,
            Some(format!(
                "{e}: Flink {version} logs \"Configuration cannot evaluate value {value} as an \
                 integer number\" and uses the default {default} bytes (units such as 'kb' work \
                 from 1.11)"
            )),
        )),
        Err(e) => Err(format!(
            "Could not parse value '{value}' for key '{key}' ({e})"
        )),
        Ok(t) if !(0..=MAX_INLINE_THRESHOLD as i128).contains(&t) => Ok((
            default,
            Some(format!(
                "{value} is outside 0 to 1 MiB: Flink ignores it (\"Ignoring invalid file size \
                 threshold value\") and uses the default {default} bytes"
            )),
        )),
        Ok(t) => Ok((t as u64, None)),
    }
}

/// A size in Akka's / Pekko's HOCON syntax, as `akka.framesize` is handed
/// to the RPC system: `10485760b`, `10 MiB`, `10M`; `kB`/`MB`/`GB` are
/// powers of 1000.
pub fn parse_frame_size(value: &str) -> Result<u64, String> {
    let t = value.trim();
    let end = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(end);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("'{value}' is not a size such as 10485760b"))?;
    let mult: u64 = match unit.trim() {
        "" | "b" | "B" | "byte" | "bytes" => 1,
        "k" | "K" | "Ki" | "KiB" | "kibibyte" | "kibibytes" => 1 << 10,
        "kB" | "kilobyte" | "kilobytes" => 1000,
        "m" | "M" | "Mi" | "MiB" | "mebibyte" | "mebibytes" => 1 << 20,
        "MB" | "megabyte" | "megabytes" => 1_000_000,
        "g" | "G" | "Gi" | "GiB" | "gibibyte" | "gibibytes" => 1 << 30,
        "GB" | "gigabyte" | "gigabytes" => 1_000_000_000,
        u => return Err(format!("unknown size unit '{u}' in '{value}'")),
    };
    n.checked_mul(mult)
        .ok_or_else(|| format!("'{value}' is too large"))
}

// ---------------------------------------------------------------------------
// Resolution
// ---------------------------------------------------------------------------

/// Inputs to [`resolve`] besides the configuration file's entries.
#[derive(Debug, Clone, Default)]
pub struct Explicit<'a> {
    /// Backend set in the job's code or the scenario (`[state] backend`).
    pub backend: Option<&'a str>,
    /// Storage set in the job's code or the scenario (`[checkpoints] storage`).
    pub storage: Option<&'a str>,
    /// Incremental set in code.
    pub incremental: Option<bool>,
    /// Memory-backed limit set in code (`new MemoryStateBackend(size)`).
    pub max_state_size: Option<u64>,
}

/// Why a configuration cannot run, and the key to blame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfError {
    /// The configuration key whose value is wrong (`None` for settings made
    /// in the job).
    pub key: Option<String>,
    /// What Flink says, and what would be right.
    pub message: String,
}

impl ConfError {
    fn plain(message: String) -> Self {
        ConfError { key: None, message }
    }
    fn keyed(key: &str, message: String) -> Self {
        ConfError {
            key: Some(key.to_string()),
            message,
        }
    }
}

impl fmt::Display for ConfError {
    /// `'key': message` (the form [`error_key`] reads back), or the message.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.key {
            Some(k) => write!(f, "'{k}': {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for ConfError {}

/// The key a [`resolve`] error names (`'key': …`), if it names one.
pub fn error_key(message: &str) -> Option<&str> {
    let rest = message.strip_prefix('\'')?;
    let (key, tail) = rest.split_once('\'')?;
    tail.starts_with(':').then_some(key)
}

/// Where a resolved value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Read from this configuration key.
    Key {
        /// The key.
        key: String,
        /// Whether it is a deprecated name in this version.
        deprecated: bool,
    },
    /// Set in the job (the scenario's `[state]` / `[checkpoints]`).
    Job,
    /// Flink's default in this version.
    Default,
    /// Follows from another setting.
    Implied,
}

/// One resolved setting: its value, where it came from and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The setting.
    pub setting: Setting,
    /// The value, as a person reads it.
    pub value: String,
    /// Where it came from.
    pub source: Source,
    /// Why (with the Flink class that decides), when not obvious.
    pub why: String,
}

/// How bad an [`Issue`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Flink refuses the configuration.
    Error,
    /// Flink runs, but not as the file suggests.
    Warning,
    /// Worth knowing.
    Note,
}

/// Something Flink would warn about, or a trap in the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// How bad.
    pub severity: Severity,
    /// The key concerned.
    pub key: Option<String>,
    /// What happens, and what to write instead.
    pub message: String,
}

/// A resolved configuration with its provenance.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolution {
    /// What the configuration gives.
    pub config: ResolvedConfig,
    /// Every setting, where it came from.
    pub decisions: Vec<Decision>,
    /// Warnings and notes found while resolving.
    pub issues: Vec<Issue>,
    /// The checkpoint interval from the configuration (`None`: not set
    /// there, so checkpointing is off unless the job enables it).
    pub checkpoint_interval_ms: Option<u64>,
}

impl Resolution {
    /// The decision for `setting`.
    pub fn decision(&self, setting: Setting) -> Option<&Decision> {
        self.decisions.iter().find(|d| d.setting == setting)
    }
}

/// Applies version `version`'s loading rules to a configuration.
///
/// Settings made in code (`explicit`) win over the configuration file, as
/// `env.setStateBackend(...)` does in Flink. Errors that concern a key read
/// `'key': message` ([`error_key`]).
pub fn resolve(
    version: FlinkVersion,
    conf: &BTreeMap<String, String>,
    explicit: &Explicit<'_>,
) -> Result<ResolvedConfig, String> {
    resolve_detailed(version, conf, explicit)
        .map(|r| r.config)
        .map_err(|e| e.to_string())
}

fn human(b: u64) -> String {
    crate::flink::units::human_bytes(b)
}

/// [`resolve`], with where every value came from and what Flink would warn
/// about.
pub fn resolve_detailed(
    version: FlinkVersion,
    conf: &BTreeMap<String, String>,
    explicit: &Explicit<'_>,
) -> Result<Resolution, ConfError> {
    let mut reasons = Vec::new();
    let mut decisions = Vec::new();
    let mut issues = Vec::new();
    let mut decide = |setting: Setting, value: String, source: Source, why: String| {
        decisions.push(Decision {
            setting,
            value,
            source,
            why,
        })
    };
    let from = |f: &Found| Source::Key {
        key: f.key.clone(),
        deprecated: f.deprecated,
    };
    let backend_key = Setting::Backend.keys(version).expect("every version").key;
    let dir_key = Setting::CheckpointDir
        .keys(version)
        .expect("every version")
        .key;

    // --- checkpoint directory
    let dir_found = lookup_setting(conf, Setting::CheckpointDir, version);
    let dir = dir_found.as_ref().map(|f| {
        reasons.push(format!(
            "checkpoint directory from '{}': {}",
            f.key, f.value
        ));
        f.value.clone()
    });
    match &dir_found {
        Some(f) => decide(
            Setting::CheckpointDir,
            f.value.clone(),
            from(f),
            String::new(),
        ),
        None => decide(
            Setting::CheckpointDir,
            "none".into(),
            Source::Default,
            format!("'{dir_key}' is not set"),
        ),
    }

    // --- backend: StateBackendLoader.fromApplicationOrConfigOrDefault
    let backend_found = lookup_setting(conf, Setting::Backend, version);
    let backend = match (explicit.backend, &backend_found) {
        (Some(b), found) => {
            let b = backend_from_name(version, b).map_err(ConfError::plain)?;
            reasons.push(format!("backend {} set by the job", b.class_name(version)));
            if let Some(f) = found {
                issues.push(Issue {
                    severity: Severity::Note,
                    key: Some(f.key.clone()),
                    message: format!(
                        "'{}: {}' is not used: the backend set in the job wins",
                        f.key, f.value
                    ),
                });
            }
            decide(
                Setting::Backend,
                b.class_name(version).into(),
                Source::Job,
                "set in the job (env.setStateBackend)".into(),
            );
            b
        }
        (None, Some(f)) => {
            let b =
                backend_from_config(version, &f.value).map_err(|m| ConfError::keyed(&f.key, m))?;
            reasons.push(format!(
                "backend {} from '{}: {}'",
                b.class_name(version),
                f.key,
                f.value
            ));
            let n = f.value.to_lowercase();
            if version.at_least(1, 13) && n == "jobmanager" {
                issues.push(Issue {
                    severity: Severity::Warning,
                    key: Some(f.key.clone()),
                    message: format!(
                        "'jobmanager' loads the deprecated MemoryStateBackend (removed in 2.0): \
                         it is its own checkpoint storage, keeps every subtask's state in the \
                         JobManager's memory with a 5 MiB limit, and overrides any checkpoint \
                         storage setting; write '{backend_key}: hashmap' and '{}: jobmanager' \
                         for the same behaviour",
                        Setting::Storage.keys(version).map_or("", |k| k.key)
                    ),
                });
            } else if version.at_least(1, 13) && n == "filesystem" {
                issues.push(Issue {
                    severity: Severity::Warning,
                    key: Some(f.key.clone()),
                    message: format!(
                        "'filesystem' is deprecated since 1.13 and removed in 2.0: it loads \
                         HashMapStateBackend, and the checkpoint storage then comes from '{}' \
                         or the checkpoint directory, not from this value; write \
                         '{backend_key}: hashmap'",
                        Setting::Storage.keys(version).map_or("", |k| k.key)
                    ),
                });
            }
            decide(
                Setting::Backend,
                b.class_name(version).into(),
                from(f),
                String::new(),
            );
            b
        }
        (None, None) if version.at_least(1, 19) => {
            // StateBackendOptions.STATE_BACKEND defaultValue("hashmap") [1.19].
            reasons.push(format!(
                "no state backend configured: Flink {version} defaults to HashMapStateBackend"
            ));
            decide(
                Setting::Backend,
                "HashMapStateBackend".into(),
                Source::Default,
                format!(
                    "'{backend_key}' defaults to hashmap (StateBackendOptions.STATE_BACKEND, 1.19+)"
                ),
            );
            Backend::HashMap
        }
        (None, None) if version.at_least(1, 13) => {
            // StateBackendLoader.loadFromApplicationOrConfigOrDefaultInternal
            // (3) "use the default" HashMapStateBackendFactory [1.13.5].
            reasons.push(format!(
                "no state backend configured: Flink {version} defaults to HashMapStateBackend"
            ));
            decide(
                Setting::Backend,
                "HashMapStateBackend".into(),
                Source::Default,
                format!(
                    "no '{backend_key}': StateBackendLoader falls back to HashMapStateBackend (1.13+)"
                ),
            );
            Backend::HashMap
        }
        (None, None) => {
            // StateBackendLoader.fromApplicationOrConfigOrDefault (3) "use
            // the default" MemoryStateBackendFactory [1.6.2]–[1.12.7].
            reasons.push(format!(
                "no state backend configured: Flink {version} defaults to MemoryStateBackend \
                 (5 MiB per subtask), even with a checkpoint directory set"
            ));
            decide(
                Setting::Backend,
                "MemoryStateBackend".into(),
                Source::Default,
                "no 'state.backend': StateBackendLoader falls back to MemoryStateBackend \
                 (1.6–1.12), whatever the checkpoint directory"
                    .into(),
            );
            Backend::Memory
        }
    };
    // A legacy backend object that is also a CheckpointStorage: Memory and
    // Fs (CheckpointStorageLoader.load, "Legacy state backends always take
    // precedence" [1.13.5][1.20]; before 1.13 every backend was its own
    // storage).
    let legacy_storage = matches!(backend, Backend::Memory | Backend::Fs);

    // --- limits that do not depend on the storage
    let frame = match lookup_setting(conf, Setting::FrameSize, version) {
        Some(f) => {
            let b = parse_frame_size(&f.value).map_err(|m| ConfError::keyed(&f.key, m))?;
            decide(
                Setting::FrameSize,
                format!("{} ({b} B)", human(b)),
                from(&f),
                String::new(),
            );
            b
        }
        None => {
            decide(
                Setting::FrameSize,
                format!("{} ({DEFAULT_FRAME_SIZE} B)", human(DEFAULT_FRAME_SIZE)),
                Source::Default,
                format!(
                    "'{}' defaults to 10485760b",
                    Setting::FrameSize.keys(version).expect("every version").key
                ),
            );
            DEFAULT_FRAME_SIZE
        }
    };
    let duration = |f: &Found| {
        crate::flink::units::parse_duration_ms(&f.value).map_err(|m| ConfError::keyed(&f.key, m))
    };
    let timeout = match lookup_setting(conf, Setting::Timeout, version) {
        Some(f) => {
            let ms = duration(&f)?;
            decide(
                Setting::Timeout,
                crate::flink::units::human_duration_ms(ms as i64),
                from(&f),
                String::new(),
            );
            ms
        }
        None => {
            decide(
                Setting::Timeout,
                "10.0 min".into(),
                Source::Default,
                if version.at_least(1, 10) {
                    "'execution.checkpointing.timeout' defaults to 10 min".into()
                } else {
                    "CheckpointConfig.DEFAULT_TIMEOUT (set in code only before 1.10)".into()
                },
            );
            DEFAULT_CHECKPOINT_TIMEOUT_MS
        }
    };
    let interval = match lookup_setting(conf, Setting::Interval, version) {
        Some(f) => {
            let ms = duration(&f)?;
            decide(
                Setting::Interval,
                crate::flink::units::human_duration_ms(ms as i64),
                from(&f),
                String::new(),
            );
            Some(ms)
        }
        None => {
            decide(
                Setting::Interval,
                "disabled".into(),
                Source::Default,
                if version.at_least(1, 10) {
                    "'execution.checkpointing.interval' is not set: no checkpoints unless the \
                     job calls env.enableCheckpointing(ms)"
                        .into()
                } else {
                    format!(
                        "Flink {version} has no configuration key for it: checkpoints only if \
                         the job calls env.enableCheckpointing(ms)"
                    )
                },
            );
            None
        }
    };

    // --- storage
    let max_state_size = explicit.max_state_size.unwrap_or(DEFAULT_MAX_STATE_SIZE);
    let storage_found = lookup_setting(conf, Setting::Storage, version);
    let storage_key = Setting::Storage.keys(version).map(|k| k.key);
    // true = JobManager storage.
    let (jm, storage_source, storage_why) = if legacy_storage && version.at_least(1, 13) {
        if let Some(s) = explicit.storage {
            issues.push(Issue {
                severity: Severity::Warning,
                key: None,
                message: format!(
                    "the checkpoint storage '{s}' set in the job is ignored: the legacy {} \
                     takes precedence (CheckpointStorageLoader)",
                    backend.class_name(version)
                ),
            });
        }
        if let Some(f) = &storage_found {
            issues.push(Issue {
                severity: Severity::Warning,
                key: Some(f.key.clone()),
                message: format!(
                    "'{}: {}' is ignored: the legacy {} is its own checkpoint storage and takes \
                     precedence (CheckpointStorageLoader: \"Config option '{}' is ignored because \
                     legacy state backend is used\")",
                    f.key,
                    f.value,
                    backend.class_name(version),
                    f.key
                ),
            });
        }
        reasons.push(format!(
            "{} is its own storage: state inline in _metadata",
            backend.class_name(version)
        ));
        (
            backend == Backend::Memory,
            Source::Implied,
            format!(
                "the legacy {} is its own checkpoint storage",
                backend.class_name(version)
            ),
        )
    } else if let Some(s) = explicit.storage {
        let jm = storage_kind(s).map_err(ConfError::plain)?;
        reasons.push(format!(
            "checkpoint storage {} set by the job",
            if jm { "jobmanager" } else { "filesystem" }
        ));
        (jm, Source::Job, "set in the job".into())
    } else if backend == Backend::Memory {
        reasons.push("MemoryStateBackend is its own storage: state inline in _metadata".into());
        (
            true,
            Source::Implied,
            "MemoryStateBackend is its own storage: all state inline in _metadata, through the \
             JobManager"
                .into(),
        )
    } else if matches!(backend, Backend::Fs | Backend::RocksDb) && !version.at_least(1, 13) {
        // FsStateBackendFactory / RocksDBStateBackendFactory.createFromConfig
        // [1.6.2]: both need the checkpoint directory.
        if dir.is_none() {
            let what = if backend == Backend::Fs {
                "file system"
            } else {
                "RocksDB"
            };
            let msg = format!(
                "Cannot create the {what} state backend: The configuration does not specify \
                 the checkpoint directory '{dir_key}'"
            );
            return Err(match &backend_found {
                Some(f) if explicit.backend.is_none() => ConfError::keyed(&f.key, msg),
                _ => ConfError::plain(format!(
                    "{} needs a checkpoint directory ('{dir_key}')",
                    backend.class_name(version)
                )),
            });
        }
        (
            false,
            Source::Implied,
            format!(
                "{} writes checkpoints as files under the directory",
                backend.class_name(version)
            ),
        )
    } else if let Some(f) = &storage_found {
        let jm = storage_from_config(&f.value).map_err(|m| ConfError::keyed(&f.key, m))?;
        reasons.push(format!(
            "checkpoint storage {} from '{}: {}'",
            if jm { "jobmanager" } else { "filesystem" },
            f.key,
            f.value
        ));
        if !jm && dir.is_none() {
            // FileSystemCheckpointStorage.createFromConfig [1.13.5][2.0].
            return Err(ConfError::keyed(
                &f.key,
                format!(
                    "Cannot create the file system state backend: The configuration does not \
                     specify the checkpoint directory '{dir_key}'"
                ),
            ));
        }
        (jm, from(f), String::new())
    } else if dir.is_some() {
        // CheckpointStorageLoader.createDefaultCheckpointStorage [1.13.5][2.0].
        reasons.push("no checkpoint storage configured: a checkpoint directory selects FileSystemCheckpointStorage".into());
        (
            false,
            Source::Default,
            format!(
                "no '{}': a checkpoint directory selects FileSystemCheckpointStorage \
                 (CheckpointStorageLoader, 1.13+)",
                storage_key.unwrap_or("")
            ),
        )
    } else {
        reasons.push("no checkpoint storage and no directory: JobManagerCheckpointStorage (5 MiB per subtask)".into());
        (
            true,
            Source::Default,
            format!(
                "no '{}' and no directory: JobManagerCheckpointStorage (CheckpointStorageLoader, \
                 1.13+)",
                storage_key.unwrap_or("")
            ),
        )
    };
    if !jm && dir.is_none() && explicit.storage.is_none() {
        return Err(ConfError::plain(
            "filesystem checkpoint storage needs a checkpoint directory".into(),
        ));
    }

    // --- inline threshold: read only by file storage
    let threshold_found = lookup_setting(conf, Setting::InlineThreshold, version);
    let threshold = match (&threshold_found, jm) {
        (Some(f), false) => {
            let (t, warning) = parse_threshold(version, &f.key, &f.value)
                .map_err(|m| ConfError::keyed(&f.key, m))?;
            if let Some(w) = warning {
                reasons.push(format!("'{}' is ignored: default used", f.key));
                issues.push(Issue {
                    severity: Severity::Warning,
                    key: Some(f.key.clone()),
                    message: w,
                });
                decide(
                    Setting::InlineThreshold,
                    format!("{} ({t} B)", human(t)),
                    Source::Default,
                    format!("'{}' is ignored", f.key),
                );
            } else {
                decide(
                    Setting::InlineThreshold,
                    format!("{} ({t} B)", human(t)),
                    from(f),
                    String::new(),
                );
            }
            t
        }
        (found, is_jm) => {
            let t = default_inline_threshold(version);
            if is_jm {
                if let Some(f) = found {
                    issues.push(Issue {
                        severity: Severity::Note,
                        key: Some(f.key.clone()),
                        message: format!(
                            "'{}' has no effect with JobManager storage: everything is inline",
                            f.key
                        ),
                    });
                }
                decide(
                    Setting::InlineThreshold,
                    "everything inline".into(),
                    Source::Implied,
                    "JobManager storage keeps all state inline in _metadata".into(),
                );
            } else {
                decide(
                    Setting::InlineThreshold,
                    format!("{} ({t} B)", human(t)),
                    Source::Default,
                    format!(
                        "default {} ({})",
                        human(t),
                        if version.at_least(1, 11) {
                            "20kb from 1.11"
                        } else {
                            "1024 bytes up to 1.10"
                        }
                    ),
                );
            }
            t
        }
    };
    let storage = if jm {
        Storage::JobManager { max_state_size }
    } else {
        Storage::FileSystem {
            inline_threshold: threshold,
        }
    };
    let storage_name = if jm {
        if backend == Backend::Memory {
            "JobManager (MemoryStateBackend)".to_string()
        } else {
            "JobManagerCheckpointStorage".to_string()
        }
    } else if version.at_least(1, 13) && !legacy_storage {
        "FileSystemCheckpointStorage".into()
    } else {
        format!("files ({})", backend.class_name(version))
    };
    decide(Setting::Storage, storage_name, storage_source, storage_why);

    // --- incremental: read by RocksDB (RocksDBStateBackend.configure);
    // ForSt always takes incremental checkpoints (ForStStateBackend
    // .setEnableIncrementalCheckpointing(true) [2.0]).
    let incremental_found = lookup_setting(conf, Setting::Incremental, version);
    let rocks = matches!(backend, Backend::RocksDb | Backend::ForSt);
    let incremental = match (explicit.incremental, &incremental_found) {
        (Some(b), _) => {
            decide(
                Setting::Incremental,
                on_off(b && rocks),
                Source::Job,
                String::new(),
            );
            b
        }
        (None, Some(f)) if rocks => {
            let (b, warning) =
                parse_bool(version, &f.value).map_err(|m| ConfError::keyed(&f.key, m))?;
            if let Some(w) = warning {
                issues.push(Issue {
                    severity: Severity::Warning,
                    key: Some(f.key.clone()),
                    message: w,
                });
            }
            decide(Setting::Incremental, on_off(b), from(f), String::new());
            b
        }
        (None, _) if rocks => {
            decide(
                Setting::Incremental,
                on_off(backend == Backend::ForSt),
                Source::Default,
                if backend == Backend::ForSt {
                    "ForSt always takes incremental checkpoints".into()
                } else {
                    "incremental checkpoints default to false".into()
                },
            );
            backend == Backend::ForSt
        }
        (None, _) => {
            decide(
                Setting::Incremental,
                "off (full snapshots)".into(),
                Source::Implied,
                "heap backends always take full snapshots".into(),
            );
            false
        }
    };
    if let Some(f) = &incremental_found
        && !rocks
        && explicit.incremental.is_none()
    {
        issues.push(Issue {
            severity: Severity::Note,
            key: Some(f.key.clone()),
            message: format!(
                "'{}: {}' has no effect: {} takes full snapshots (incremental checkpoints are \
                 a RocksDB feature)",
                f.key,
                f.value,
                backend.class_name(version)
            ),
        });
    }
    if backend == Backend::ForSt && !incremental {
        issues.push(Issue {
            severity: Severity::Note,
            key: incremental_found.as_ref().map(|f| f.key.clone()),
            message: "ForSt ignores incremental = false: it always takes incremental \
                      checkpoints (ForStStateBackend, 2.0)"
                .into(),
        });
    }
    let incremental = (incremental && rocks) || backend == Backend::ForSt;

    // --- timers
    let timers = match backend {
        Backend::RocksDb => {
            // RocksDBOptions.TIMER_SERVICE_FACTORY: HEAP [1.6.2]–[1.9.0],
            // ROCKSDB from [1.10.0].
            match lookup_setting(conf, Setting::TimerService, version) {
                Some(f) => {
                    let t = match f.value.to_ascii_uppercase().as_str() {
                        "HEAP" => TimerStore::Heap,
                        "ROCKSDB" => TimerStore::RocksDb,
                        _ => {
                            return Err(ConfError::keyed(
                                &f.key,
                                format!("'{}' is not HEAP or ROCKSDB", f.value),
                            ));
                        }
                    };
                    decide(
                        Setting::TimerService,
                        t.flink_value().into(),
                        from(&f),
                        String::new(),
                    );
                    t
                }
                None => {
                    let t = if version.at_least(1, 10) {
                        TimerStore::RocksDb
                    } else {
                        TimerStore::Heap
                    };
                    decide(
                        Setting::TimerService,
                        t.flink_value().into(),
                        Source::Default,
                        "HEAP up to 1.9, ROCKSDB from 1.10 (RocksDBOptions.TIMER_SERVICE_FACTORY)"
                            .into(),
                    );
                    t
                }
            }
        }
        Backend::ForSt => match lookup_setting(conf, Setting::ForStTimerService, version) {
            // ForStOptions.TIMER_SERVICE_FACTORY defaultValue(ForStDB) [2.0].
            Some(f) => {
                let t = match f.value.to_ascii_uppercase().as_str() {
                    "HEAP" => TimerStore::Heap,
                    "FORSTDB" => TimerStore::ForStDb,
                    _ => {
                        return Err(ConfError::keyed(
                            &f.key,
                            format!("'{}' is not HEAP or ForStDB", f.value),
                        ));
                    }
                };
                decide(
                    Setting::ForStTimerService,
                    t.flink_value().into(),
                    from(&f),
                    String::new(),
                );
                t
            }
            None => {
                decide(
                    Setting::ForStTimerService,
                    "ForStDB".into(),
                    Source::Default,
                    "ForStOptions.TIMER_SERVICE_FACTORY defaults to ForStDB".into(),
                );
                TimerStore::ForStDb
            }
        },
        _ => {
            for s in [Setting::TimerService, Setting::ForStTimerService] {
                if let Some(f) = lookup_setting(conf, s, version) {
                    issues.push(Issue {
                        severity: Severity::Note,
                        key: Some(f.key.clone()),
                        message: format!(
                            "'{}' has no effect: {} keeps timers on the heap",
                            f.key,
                            backend.class_name(version)
                        ),
                    });
                }
            }
            TimerStore::Heap
        }
    };
    if let Some(f) = lookup_setting(conf, Setting::SavepointDir, version) {
        decide(
            Setting::SavepointDir,
            f.value.clone(),
            from(&f),
            String::new(),
        );
    }

    Ok(Resolution {
        config: ResolvedConfig {
            version,
            backend,
            storage,
            incremental,
            checkpoint_dir: dir,
            reasons,
            limits: Limits {
                max_state_size: jm.then_some(max_state_size),
                inline_threshold: threshold,
                frame_size: frame,
                checkpoint_timeout_ms: timeout,
            },
            timers,
        },
        decisions,
        issues,
        checkpoint_interval_ms: interval,
    })
}

fn on_off(b: bool) -> String {
    if b { "on".into() } else { "off".into() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conf(entries: &[(&str, &str)]) -> BTreeMap<String, String> {
        entries
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn seed_configuration_on_1_6_is_the_memory_backend() {
        // StateBackendLoader.loadStateBackendFromConfig [1.6]: no
        // `state.backend` -> MemoryStateBackend, whatever the directory.
        let v: FlinkVersion = "1.6.2".parse().unwrap();
        let c = conf(&[("state.checkpoints.dir", "hdfs:///flink/checkpoints")]);
        let r = resolve(v, &c, &Explicit::default()).unwrap();
        assert_eq!(r.backend, Backend::Memory);
        assert_eq!(
            r.storage,
            Storage::JobManager {
                max_state_size: 5_242_880
            }
        );
    }

    #[test]
    fn directory_alone_selects_filesystem_storage_from_1_13() {
        // CheckpointStorageLoader.createDefaultCheckpointStorage [1.13].
        let c = conf(&[("state.checkpoints.dir", "file:///tmp/c")]);
        let r = resolve(FlinkVersion::new(1, 13), &c, &Explicit::default()).unwrap();
        assert_eq!(r.backend, Backend::HashMap);
        assert!(matches!(
            r.storage,
            Storage::FileSystem {
                inline_threshold: 20480
            }
        ));
        let r = resolve(
            FlinkVersion::new(1, 20),
            &BTreeMap::new(),
            &Explicit::default(),
        )
        .unwrap();
        assert_eq!(r.storage.short_name(), "jobmanager");
    }

    #[test]
    fn legacy_backends_are_gone_in_2_x() {
        let c = conf(&[
            ("state.backend.type", "jobmanager"),
            ("execution.checkpointing.dir", "s3://b/c"),
        ]);
        assert!(resolve(FlinkVersion::new(2, 0), &c, &Explicit::default()).is_err());
        let c = conf(&[
            ("state.backend.type", "forst"),
            ("execution.checkpointing.dir", "s3://b/c"),
        ]);
        let r = resolve(FlinkVersion::new(2, 1), &c, &Explicit::default()).unwrap();
        assert_eq!(r.backend, Backend::ForSt);
        assert!(r.incremental);
    }

    #[test]
    fn failure_wording_changes_in_1_13() {
        let old = size_exceeded_message(FlinkVersion::new(1, 9), 5438534, 5242880);
        assert!(old.ends_with("Size=5438534 , maxSize=5242880 . Consider using a different state backend, like the File System State backend."));
        let new = size_exceeded_message(FlinkVersion::new(1, 20), 5510272, 5242880);
        assert!(new.contains(
            "Size=5510272, maxSize=5242880. Consider using a different checkpoint storage"
        ));
    }

    #[test]
    fn keys_follow_each_version() {
        let key = |s: Setting, v: (u32, u32)| s.keys(FlinkVersion::new(v.0, v.1)).map(|k| k.key);
        // StateBackendOptions: `state.backend` to 1.16, `state.backend.type` from 1.17.
        assert_eq!(key(Setting::Backend, (1, 16)), Some("state.backend"));
        assert_eq!(key(Setting::Backend, (1, 17)), Some("state.backend.type"));
        // CheckpointingOptions.CHECKPOINT_STORAGE: from 1.13, renamed in 1.20.
        assert_eq!(key(Setting::Storage, (1, 12)), None);
        assert_eq!(
            key(Setting::Storage, (1, 19)),
            Some("state.checkpoint-storage")
        );
        assert_eq!(
            key(Setting::Storage, (1, 20)),
            Some("execution.checkpointing.storage")
        );
        assert_eq!(
            key(Setting::InlineThreshold, (1, 12)),
            Some("state.backend.fs.memory-threshold")
        );
        assert_eq!(
            key(Setting::InlineThreshold, (1, 13)),
            Some("state.storage.fs.memory-threshold")
        );
        // AkkaOptions / RpcOptions.FRAMESIZE: pekko from 1.18.
        assert_eq!(key(Setting::FrameSize, (1, 17)), Some("akka.framesize"));
        assert_eq!(key(Setting::FrameSize, (1, 18)), Some("pekko.framesize"));
        // ExecutionCheckpointingOptions: from 1.10.
        assert_eq!(key(Setting::Interval, (1, 9)), None);
        assert_eq!(
            key(Setting::Interval, (1, 10)),
            Some("execution.checkpointing.interval")
        );
        assert_eq!(
            key_status("state.backend.type", FlinkVersion::new(1, 13)),
            KeyStatus::Ignored {
                setting: Setting::Backend,
                first: FlinkVersion::new(1, 17),
                last: FlinkVersion::new(2, 2),
                instead: Some("state.backend"),
            }
        );
        assert_eq!(
            key_status("state.checkpoints.dir", FlinkVersion::new(2, 0)),
            KeyStatus::Deprecated {
                setting: Setting::CheckpointDir,
                key: "execution.checkpointing.dir"
            }
        );
        assert_eq!(
            key_status("taskmanager.numberOfTaskSlots", FlinkVersion::new(1, 6)),
            KeyStatus::Unknown
        );
    }

    #[test]
    fn keys_of_other_versions_are_not_read() {
        // `execution.checkpointing.dir` is 1.20's key: 1.17 has no directory.
        let c = conf(&[("execution.checkpointing.dir", "s3://b/c")]);
        let r = resolve(FlinkVersion::new(1, 17), &c, &Explicit::default()).unwrap();
        assert_eq!(r.checkpoint_dir, None);
        assert_eq!(r.storage.short_name(), "jobmanager");
        // The current key wins over a deprecated one.
        let c = conf(&[
            ("state.checkpoints.dir", "s3://old"),
            ("execution.checkpointing.dir", "s3://new"),
        ]);
        let r = resolve(FlinkVersion::new(1, 20), &c, &Explicit::default()).unwrap();
        assert_eq!(r.checkpoint_dir.as_deref(), Some("s3://new"));
    }

    #[test]
    fn defaults_per_version() {
        let none = BTreeMap::new();
        let dir = conf(&[("state.checkpoints.dir", "file:///c")]);
        let at = |v: (u32, u32), c: &BTreeMap<String, String>, b: &str| {
            let e = Explicit {
                backend: Some(b),
                ..Default::default()
            };
            resolve(FlinkVersion::new(v.0, v.1), c, &e).unwrap()
        };
        // Memory to 1.12, HashMap from 1.13.
        let r = resolve(FlinkVersion::new(1, 12), &none, &Explicit::default()).unwrap();
        assert_eq!(r.backend, Backend::Memory);
        let r = resolve(FlinkVersion::new(1, 13), &none, &Explicit::default()).unwrap();
        assert_eq!(r.backend, Backend::HashMap);
        // Inline threshold 1024 B to 1.10, 20 KiB from 1.11.
        assert_eq!(
            at((1, 10), &dir, "filesystem").limits.inline_threshold,
            1024
        );
        assert_eq!(
            at((1, 11), &dir, "filesystem").limits.inline_threshold,
            20480
        );
        // RocksDB timers: HEAP to 1.9, ROCKSDB from 1.10.
        assert_eq!(at((1, 9), &dir, "rocksdb").timers, TimerStore::Heap);
        assert_eq!(at((1, 10), &dir, "rocksdb").timers, TimerStore::RocksDb);
        // Frame size and checkpoint timeout defaults.
        let r = at((1, 20), &dir, "hashmap");
        assert_eq!(r.limits.frame_size, 10_485_760);
        assert_eq!(r.limits.checkpoint_timeout_ms, 600_000);
        assert_eq!(r.limits.max_state_size, None);
    }

    #[test]
    fn values_parse_as_each_version_does() {
        let v = |m| FlinkVersion::new(1, m);
        let fs = Explicit {
            backend: Some("filesystem"),
            ..Default::default()
        };
        let with = |t: &str| {
            conf(&[
                ("state.checkpoints.dir", "file:///c"),
                ("state.backend.fs.memory-threshold", t),
            ])
        };
        // 1.6–1.9: an Integer option; "20kb" is ignored with a warning.
        let r = resolve_detailed(v(6), &with("20kb"), &fs).unwrap();
        assert_eq!(r.config.limits.inline_threshold, 1024);
        assert_eq!(r.issues.len(), 1);
        // 1.10: the same value is an error.
        let e = resolve_detailed(v(10), &with("20kb"), &fs).unwrap_err();
        assert_eq!(e.key.as_deref(), Some("state.backend.fs.memory-threshold"));
        // 1.11+: a MemorySize; above 1 MiB falls back to the default.
        let r = resolve(v(11), &with("64kb"), &fs).unwrap();
        assert_eq!(r.limits.inline_threshold, 65536);
        let r = resolve(v(11), &with("2mb"), &fs).unwrap();
        assert_eq!(r.limits.inline_threshold, 20480);
        // Booleans: lenient to 1.9, strict from 1.10.
        let rocks = |m, val: &str| {
            resolve(
                v(m),
                &conf(&[
                    ("state.backend", "rocksdb"),
                    ("state.checkpoints.dir", "file:///c"),
                    ("state.backend.incremental", val),
                ]),
                &Explicit::default(),
            )
        };
        assert!(!rocks(9, "yes").unwrap().incremental);
        assert!(rocks(10, "yes").is_err());
        assert!(rocks(10, "TRUE").unwrap().incremental);
        // Frame sizes in Akka's syntax.
        assert_eq!(parse_frame_size("10485760b").unwrap(), 10_485_760);
        assert_eq!(parse_frame_size("20 MiB").unwrap(), 20 << 20);
        assert!(parse_frame_size("big").is_err());
    }

    #[test]
    fn backend_names_per_version() {
        let v = |a, b| FlinkVersion::new(a, b);
        assert!(backend_from_config(v(1, 12), "hashmap").is_err());
        assert_eq!(backend_from_config(v(1, 12), "FileSystem"), Ok(Backend::Fs));
        assert_eq!(
            backend_from_config(v(1, 13), "filesystem"),
            Ok(Backend::HashMap)
        );
        assert_eq!(
            backend_from_config(v(1, 20), "jobmanager"),
            Ok(Backend::Memory)
        );
        assert!(backend_from_config(v(2, 0), "jobmanager").is_err());
        assert!(backend_from_config(v(1, 20), "forst").is_err());
        assert_eq!(backend_from_config(v(2, 1), "forst"), Ok(Backend::ForSt));
        // Quotes kept by the legacy parser make the name unknown.
        assert!(backend_from_config(v(1, 6), "\"rocksdb\"").is_err());
        // Without a directory, 1.6's FsStateBackend cannot be created.
        let e = resolve(
            v(1, 6),
            &conf(&[("state.backend", "filesystem")]),
            &Explicit::default(),
        )
        .unwrap_err();
        assert_eq!(error_key(&e), Some("state.backend"));
    }

    #[test]
    fn a_legacy_backend_is_its_own_storage_from_1_13() {
        // CheckpointStorageLoader.load: legacy backends take precedence.
        let c = conf(&[
            ("state.backend", "jobmanager"),
            ("state.checkpoint-storage", "filesystem"),
            ("state.checkpoints.dir", "file:///c"),
        ]);
        let r = resolve_detailed(FlinkVersion::new(1, 15), &c, &Explicit::default()).unwrap();
        assert_eq!(r.config.backend, Backend::Memory);
        assert_eq!(r.config.storage.short_name(), "jobmanager");
        assert!(r.issues.iter().any(|i| i.message.contains("is ignored")));
    }

    #[test]
    fn merging_a_file_replaces_every_name_of_a_setting() {
        let mut base = conf(&[
            ("state.checkpoints.dir", "file:///scenario"),
            ("taskmanager.numberOfTaskSlots", "4"),
        ]);
        merge_conf(
            &mut base,
            &conf(&[("execution.checkpointing.dir", "s3://file")]),
        );
        assert_eq!(
            base,
            conf(&[
                ("execution.checkpointing.dir", "s3://file"),
                ("taskmanager.numberOfTaskSlots", "4"),
            ])
        );
    }

    #[test]
    fn versions_parse() {
        assert_eq!(
            "1.20.5".parse::<FlinkVersion>().unwrap(),
            FlinkVersion::new(1, 20)
        );
        assert!("1.5".parse::<FlinkVersion>().is_err());
        assert!("x".parse::<FlinkVersion>().is_err());
        assert!("1.2.3.4".parse::<FlinkVersion>().is_err());
    }
}
