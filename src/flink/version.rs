//! Which state backend and checkpoint storage a Flink configuration really
//! selects, version by version, with the limits that come with them.
//!
//! Sources (see `shared/reference/flink-state-facts.md`, section 2):
//! `StateBackendLoader`, `CheckpointStorageLoader`, `CheckpointingOptions`,
//! `StateBackendOptions`, `MemoryStateBackend`, `JobManagerCheckpointStorage`
//! at 1.6.2, 1.13.5, the 1.17–1.20 branch points and 2.0/2.1.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// `MemoryStateBackend.DEFAULT_MAX_STATE_SIZE` /
/// `JobManagerCheckpointStorage.DEFAULT_MAX_STATE_SIZE`: 5 MiB per stream.
pub const DEFAULT_MAX_STATE_SIZE: u64 = 5 * 1024 * 1024;
/// Default RPC frame size (`akka.framesize` / `pekko.framesize`).
pub const DEFAULT_FRAME_SIZE: u64 = 10_485_760;

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
    fn at_least(self, major: u32, minor: u32) -> bool {
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

/// The backend named in a scenario's `[state] backend` or a config value.
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

fn storage_kind(name: &str) -> Result<bool, String> {
    match name.trim().to_ascii_lowercase().as_str() {
        "jobmanager" | "memory" => Ok(true),
        "filesystem" | "fs" => Ok(false),
        _ => Err(format!(
            "unknown checkpoint storage '{name}': expected jobmanager or filesystem"
        )),
    }
}

/// Looks a key up under all the names it had across versions.
fn lookup<'a>(conf: &'a BTreeMap<String, String>, keys: &[&str]) -> Option<(&'a str, String)> {
    keys.iter().find_map(|k| {
        conf.get_key_value(*k)
            .map(|(k, v)| (k.as_str(), v.trim().to_string()))
    })
}

const BACKEND_KEYS: &[&str] = &["state.backend.type", "state.backend"];
const STORAGE_KEYS: &[&str] = &[
    "execution.checkpointing.storage",
    "state.checkpoint-storage",
];
const DIR_KEYS: &[&str] = &[
    "execution.checkpointing.dir",
    "state.checkpoints.dir",
    "state.backend.fs.checkpointdir",
];
const THRESHOLD_KEYS: &[&str] = &[
    "execution.checkpointing.data-inline-threshold",
    "state.storage.fs.memory-threshold",
    "state.backend.fs.memory-threshold",
];
const INCREMENTAL_KEYS: &[&str] = &[
    "execution.checkpointing.incremental",
    "state.backend.incremental",
];

/// Default inline threshold: 1024 bytes up to 1.10, 20 KiB from 1.11
/// (FLINK-17865).
pub fn default_inline_threshold(version: FlinkVersion) -> u64 {
    if version.at_least(1, 11) {
        20 * 1024
    } else {
        1024
    }
}

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

/// Applies version `version`'s loading rules to a configuration.
///
/// Settings made in code (`explicit`) win over the configuration file, as
/// `env.setStateBackend(...)` does in Flink.
pub fn resolve(
    version: FlinkVersion,
    conf: &BTreeMap<String, String>,
    explicit: &Explicit<'_>,
) -> Result<ResolvedConfig, String> {
    let mut reasons = Vec::new();
    let dir = lookup(conf, DIR_KEYS).map(|(k, v)| {
        reasons.push(format!("checkpoint directory from '{k}': {v}"));
        v
    });
    let backend = match (explicit.backend, lookup(conf, BACKEND_KEYS)) {
        (Some(b), _) => {
            let b = backend_from_name(version, b)?;
            reasons.push(format!("backend {} set by the job", b.class_name(version)));
            b
        }
        (None, Some((k, v))) => {
            let b = backend_from_name(version, &v).map_err(|e| format!("'{k}': {e}"))?;
            reasons.push(format!("backend {} from '{k}: {v}'", b.class_name(version)));
            b
        }
        (None, None) if version.at_least(1, 13) => {
            reasons.push(format!(
                "no state backend configured: Flink {version} defaults to HashMapStateBackend"
            ));
            Backend::HashMap
        }
        (None, None) => {
            reasons.push(format!(
                "no state backend configured: Flink {version} defaults to MemoryStateBackend \
                 (5 MiB per subtask), even with a checkpoint directory set"
            ));
            Backend::Memory
        }
    };
    let threshold = match lookup(conf, THRESHOLD_KEYS) {
        Some((k, v)) => {
            let t =
                crate::scenario::units::parse_memory_size(&v).map_err(|e| format!("'{k}': {e}"))?;
            // Values above 1 MiB fall back to the default.
            if t > 1024 * 1024 {
                reasons.push(format!("'{k}' above 1 MiB is ignored: default used"));
                default_inline_threshold(version)
            } else {
                t
            }
        }
        None => default_inline_threshold(version),
    };
    let max_state_size = explicit.max_state_size.unwrap_or(DEFAULT_MAX_STATE_SIZE);
    let jm = Storage::JobManager { max_state_size };
    let fs = Storage::FileSystem {
        inline_threshold: threshold,
    };
    let storage = if let Some(s) = explicit.storage {
        let s = if storage_kind(s)? { jm } else { fs };
        reasons.push(format!(
            "checkpoint storage {} set by the job",
            s.short_name()
        ));
        s
    } else if backend == Backend::Memory {
        reasons.push("MemoryStateBackend is its own storage: state inline in _metadata".into());
        jm
    } else if matches!(backend, Backend::Fs | Backend::RocksDb) && !version.at_least(1, 13) {
        if dir.is_none() {
            return Err(format!(
                "{} needs a checkpoint directory ('state.checkpoints.dir')",
                backend.class_name(version)
            ));
        }
        fs
    } else if let Some((k, v)) = lookup(conf, STORAGE_KEYS) {
        let s = if storage_kind(&v).map_err(|e| format!("'{k}': {e}"))? {
            jm
        } else {
            fs
        };
        reasons.push(format!(
            "checkpoint storage {} from '{k}: {v}'",
            s.short_name()
        ));
        s
    } else if dir.is_some() {
        reasons.push("no checkpoint storage configured: a checkpoint directory selects FileSystemCheckpointStorage".into());
        fs
    } else {
        reasons.push("no checkpoint storage and no directory: JobManagerCheckpointStorage (5 MiB per subtask)".into());
        jm
    };
    if matches!(storage, Storage::FileSystem { .. }) && dir.is_none() && explicit.storage.is_none()
    {
        return Err("filesystem checkpoint storage needs a checkpoint directory".into());
    }
    let incremental = match (explicit.incremental, lookup(conf, INCREMENTAL_KEYS)) {
        (Some(b), _) => b,
        (None, Some((k, v))) => match v.to_ascii_lowercase().as_str() {
            "true" => true,
            "false" => false,
            _ => return Err(format!("'{k}': expected true or false, got '{v}'")),
        },
        (None, None) => backend == Backend::ForSt,
    };
    Ok(ResolvedConfig {
        version,
        backend,
        storage,
        incremental: incremental && matches!(backend, Backend::RocksDb | Backend::ForSt),
        checkpoint_dir: dir,
        reasons,
    })
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
