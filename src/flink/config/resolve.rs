//! Resolution: a version's loading rules applied to a configuration, in the
//! order Flink meets them — checkpoint directory, backend
//! (`StateBackendLoader`), limits, storage (`CheckpointStorageLoader`),
//! inline threshold, incremental, timers — every value recorded with where
//! it came from ([`Decision`]) and what Flink would warn about ([`Issue`]).

use std::collections::BTreeMap;
use std::fmt;

use super::keys::{Found, Setting, lookup_setting};
use super::model::{
    Backend, DEFAULT_CHECKPOINT_TIMEOUT_MS, DEFAULT_FRAME_SIZE, DEFAULT_MAX_STATE_SIZE, Limits,
    ResolvedConfig, Storage, TimerStore,
};
use super::values::{
    backend_from_config, backend_from_name, default_inline_threshold, parse_bool, parse_frame_size,
    parse_threshold, storage_from_config, storage_kind,
};
use crate::flink::version::FlinkVersion;

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
    }

    #[test]
    fn fs_backend_needs_a_directory_on_1_6() {
        // Without a directory, 1.6's FsStateBackend cannot be created.
        let e = resolve(
            FlinkVersion::new(1, 6),
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
}
