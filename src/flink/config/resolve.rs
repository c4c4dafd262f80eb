//! Resolution: a version's loading rules applied to a configuration, in the
//! order Flink meets them — checkpoint directory, backend
//! (`StateBackendLoader`), limits, storage (`CheckpointStorageLoader`),
//! inline threshold, incremental, timers — every value recorded with where
//! it came from ([`Decision`]) and what Flink would warn about ([`Issue`]).
//!
//! [`resolve_detailed`] is a short driver; each section is one function
//! over a shared `Cx` that carries the inputs and what was found so far.

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
use crate::flink::units::{human_bytes, human_duration_ms, parse_duration_ms};
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

/// [`resolve`], with where every value came from and what Flink would warn
/// about.
pub fn resolve_detailed(
    version: FlinkVersion,
    conf: &BTreeMap<String, String>,
    explicit: &Explicit<'_>,
) -> Result<Resolution, ConfError> {
    let mut cx = Cx {
        version,
        conf,
        explicit,
        reasons: Vec::new(),
        decisions: Vec::new(),
        issues: Vec::new(),
    };
    let dir = checkpoint_dir(&mut cx);
    let backend = backend(&mut cx)?;
    // Limits that do not depend on the storage.
    let frame_size = frame_size(&mut cx)?;
    let checkpoint_timeout_ms = checkpoint_timeout(&mut cx)?;
    let checkpoint_interval_ms = checkpoint_interval(&mut cx)?;
    let max_state_size = explicit.max_state_size.unwrap_or(DEFAULT_MAX_STATE_SIZE);
    let storage_choice = storage(&mut cx, backend, dir.is_some())?;
    let jm = storage_choice.jobmanager;
    let inline_threshold = inline_threshold(&mut cx, jm)?;
    let storage = if jm {
        Storage::JobManager { max_state_size }
    } else {
        Storage::FileSystem { inline_threshold }
    };
    cx.decide(
        Setting::Storage,
        storage_name(version, backend, jm),
        storage_choice.source,
        storage_choice.why,
    );
    let incremental = incremental(&mut cx, backend)?;
    let timers = timers(&mut cx, backend)?;
    savepoint_dir(&mut cx);

    Ok(Resolution {
        config: ResolvedConfig {
            version,
            backend,
            storage,
            incremental,
            checkpoint_dir: dir,
            reasons: cx.reasons,
            limits: Limits {
                max_state_size: jm.then_some(max_state_size),
                inline_threshold,
                frame_size,
                checkpoint_timeout_ms,
            },
            timers,
        },
        decisions: cx.decisions,
        issues: cx.issues,
        checkpoint_interval_ms,
    })
}

/// What the sections of [`resolve_detailed`] share: the inputs, and the
/// reasons, decisions and issues found so far, in the order they were
/// found.
struct Cx<'a> {
    version: FlinkVersion,
    conf: &'a BTreeMap<String, String>,
    explicit: &'a Explicit<'a>,
    reasons: Vec<String>,
    decisions: Vec<Decision>,
    issues: Vec<Issue>,
}

impl Cx<'_> {
    /// `setting`, read as this version reads it.
    fn lookup(&self, setting: Setting) -> Option<Found> {
        lookup_setting(self.conf, setting, self.version)
    }
    /// This version's key for a setting every version has.
    fn key(&self, setting: Setting) -> &'static str {
        setting.keys(self.version).expect("every version").key
    }
    /// This version's checkpoint storage key; empty before 1.13.
    fn storage_key(&self) -> &'static str {
        Setting::Storage.keys(self.version).map_or("", |k| k.key)
    }
    fn reason(&mut self, reason: String) {
        self.reasons.push(reason);
    }
    fn decide(&mut self, setting: Setting, value: String, source: Source, why: String) {
        self.decisions.push(Decision {
            setting,
            value,
            source,
            why,
        });
    }
    fn issue(&mut self, severity: Severity, key: Option<String>, message: String) {
        self.issues.push(Issue {
            severity,
            key,
            message,
        });
    }
}

/// The source of a value read from the configuration.
fn key_source(f: &Found) -> Source {
    Source::Key {
        key: f.key.clone(),
        deprecated: f.deprecated,
    }
}

/// A value's key to blame when it does not parse.
fn keyed(f: &Found) -> impl FnOnce(String) -> ConfError {
    |m| ConfError::keyed(&f.key, m)
}

fn on_off(b: bool) -> String {
    if b { "on".into() } else { "off".into() }
}

// --- checkpoint directory

fn checkpoint_dir(cx: &mut Cx<'_>) -> Option<String> {
    match cx.lookup(Setting::CheckpointDir) {
        Some(f) => {
            cx.reason(format!(
                "checkpoint directory from '{}': {}",
                f.key, f.value
            ));
            cx.decide(
                Setting::CheckpointDir,
                f.value.clone(),
                key_source(&f),
                String::new(),
            );
            Some(f.value)
        }
        None => {
            let why = format!("'{}' is not set", cx.key(Setting::CheckpointDir));
            cx.decide(Setting::CheckpointDir, "none".into(), Source::Default, why);
            None
        }
    }
}

// --- backend: StateBackendLoader.fromApplicationOrConfigOrDefault

/// The backend set in the job, else the configured one, else the version's
/// default.
fn backend(cx: &mut Cx<'_>) -> Result<Backend, ConfError> {
    let version = cx.version;
    match (cx.explicit.backend, cx.lookup(Setting::Backend)) {
        (Some(b), found) => {
            let b = backend_from_name(version, b).map_err(ConfError::plain)?;
            cx.reason(format!("backend {} set by the job", b.class_name(version)));
            if let Some(f) = found {
                cx.issue(
                    Severity::Note,
                    Some(f.key.clone()),
                    format!(
                        "'{}: {}' is not used: the backend set in the job wins",
                        f.key, f.value
                    ),
                );
            }
            cx.decide(
                Setting::Backend,
                b.class_name(version).into(),
                Source::Job,
                "set in the job (env.setStateBackend)".into(),
            );
            Ok(b)
        }
        (None, Some(f)) => {
            let b = backend_from_config(version, &f.value).map_err(keyed(&f))?;
            cx.reason(format!(
                "backend {} from '{}: {}'",
                b.class_name(version),
                f.key,
                f.value
            ));
            deprecated_shortcut(cx, &f);
            cx.decide(
                Setting::Backend,
                b.class_name(version).into(),
                key_source(&f),
                String::new(),
            );
            Ok(b)
        }
        (None, None) => Ok(default_backend(cx)),
    }
}

/// From 1.13 the legacy shortcuts still load, but not what they seem to
/// say.
fn deprecated_shortcut(cx: &mut Cx<'_>, f: &Found) {
    let backend_key = cx.key(Setting::Backend);
    let n = f.value.to_lowercase();
    if cx.version.at_least(1, 13) && n == "jobmanager" {
        let message = format!(
            "'jobmanager' loads the deprecated MemoryStateBackend (removed in 2.0): \
             it is its own checkpoint storage, keeps every subtask's state in the \
             JobManager's memory with a 5 MiB limit, and overrides any checkpoint \
             storage setting; write '{backend_key}: hashmap' and '{}: jobmanager' \
             for the same behaviour",
            cx.storage_key()
        );
        cx.issue(Severity::Warning, Some(f.key.clone()), message);
    } else if cx.version.at_least(1, 13) && n == "filesystem" {
        let message = format!(
            "'filesystem' is deprecated since 1.13 and removed in 2.0: it loads \
             HashMapStateBackend, and the checkpoint storage then comes from '{}' \
             or the checkpoint directory, not from this value; write \
             '{backend_key}: hashmap'",
            cx.storage_key()
        );
        cx.issue(Severity::Warning, Some(f.key.clone()), message);
    }
}

/// No backend in the job or the configuration.
fn default_backend(cx: &mut Cx<'_>) -> Backend {
    let version = cx.version;
    let backend_key = cx.key(Setting::Backend);
    if version.at_least(1, 13) {
        let why = if version.at_least(1, 19) {
            // StateBackendOptions.STATE_BACKEND defaultValue("hashmap") [1.19].
            format!(
                "'{backend_key}' defaults to hashmap (StateBackendOptions.STATE_BACKEND, 1.19+)"
            )
        } else {
            // StateBackendLoader.loadFromApplicationOrConfigOrDefaultInternal
            // (3) "use the default" HashMapStateBackendFactory [1.13.5].
            format!(
                "no '{backend_key}': StateBackendLoader falls back to HashMapStateBackend (1.13+)"
            )
        };
        cx.reason(format!(
            "no state backend configured: Flink {version} defaults to HashMapStateBackend"
        ));
        cx.decide(
            Setting::Backend,
            "HashMapStateBackend".into(),
            Source::Default,
            why,
        );
        Backend::HashMap
    } else {
        // StateBackendLoader.fromApplicationOrConfigOrDefault (3) "use
        // the default" MemoryStateBackendFactory [1.6.2]–[1.12.7].
        cx.reason(format!(
            "no state backend configured: Flink {version} defaults to MemoryStateBackend \
             (5 MiB per subtask), even with a checkpoint directory set"
        ));
        cx.decide(
            Setting::Backend,
            "MemoryStateBackend".into(),
            Source::Default,
            "no 'state.backend': StateBackendLoader falls back to MemoryStateBackend \
             (1.6–1.12), whatever the checkpoint directory"
                .into(),
        );
        Backend::Memory
    }
}

/// A legacy backend object that is also a CheckpointStorage: Memory and
/// Fs (CheckpointStorageLoader.load, "Legacy state backends always take
/// precedence" [1.13.5][1.20]; before 1.13 every backend was its own
/// storage).
fn legacy_storage(backend: Backend) -> bool {
    matches!(backend, Backend::Memory | Backend::Fs)
}

// --- limits that do not depend on the storage

fn frame_size(cx: &mut Cx<'_>) -> Result<u64, ConfError> {
    match cx.lookup(Setting::FrameSize) {
        Some(f) => {
            let b = parse_frame_size(&f.value).map_err(keyed(&f))?;
            cx.decide(
                Setting::FrameSize,
                format!("{} ({b} B)", human_bytes(b)),
                key_source(&f),
                String::new(),
            );
            Ok(b)
        }
        None => {
            let why = format!("'{}' defaults to 10485760b", cx.key(Setting::FrameSize));
            cx.decide(
                Setting::FrameSize,
                format!(
                    "{} ({DEFAULT_FRAME_SIZE} B)",
                    human_bytes(DEFAULT_FRAME_SIZE)
                ),
                Source::Default,
                why,
            );
            Ok(DEFAULT_FRAME_SIZE)
        }
    }
}

fn checkpoint_timeout(cx: &mut Cx<'_>) -> Result<u64, ConfError> {
    match cx.lookup(Setting::Timeout) {
        Some(f) => {
            let ms = parse_duration_ms(&f.value).map_err(keyed(&f))?;
            cx.decide(
                Setting::Timeout,
                human_duration_ms(ms as i64),
                key_source(&f),
                String::new(),
            );
            Ok(ms)
        }
        None => {
            let why = if cx.version.at_least(1, 10) {
                "'execution.checkpointing.timeout' defaults to 10 min".into()
            } else {
                "CheckpointConfig.DEFAULT_TIMEOUT (set in code only before 1.10)".into()
            };
            cx.decide(Setting::Timeout, "10.0 min".into(), Source::Default, why);
            Ok(DEFAULT_CHECKPOINT_TIMEOUT_MS)
        }
    }
}

fn checkpoint_interval(cx: &mut Cx<'_>) -> Result<Option<u64>, ConfError> {
    match cx.lookup(Setting::Interval) {
        Some(f) => {
            let ms = parse_duration_ms(&f.value).map_err(keyed(&f))?;
            cx.decide(
                Setting::Interval,
                human_duration_ms(ms as i64),
                key_source(&f),
                String::new(),
            );
            Ok(Some(ms))
        }
        None => {
            let why = if cx.version.at_least(1, 10) {
                "'execution.checkpointing.interval' is not set: no checkpoints unless the \
                 job calls env.enableCheckpointing(ms)"
                    .into()
            } else {
                format!(
                    "Flink {} has no configuration key for it: checkpoints only if \
                     the job calls env.enableCheckpointing(ms)",
                    cx.version
                )
            };
            cx.decide(Setting::Interval, "disabled".into(), Source::Default, why);
            Ok(None)
        }
    }
}

// --- storage

/// The checkpoint storage chosen, before the inline threshold is known.
struct StorageChoice {
    /// JobManager storage (else files).
    jobmanager: bool,
    /// Where the choice came from.
    source: Source,
    /// Why.
    why: String,
}

impl StorageChoice {
    fn new(jobmanager: bool, source: Source, why: String) -> Self {
        StorageChoice {
            jobmanager,
            source,
            why,
        }
    }
}

/// The checkpoint storage: the legacy backend's own, the job's, the
/// configured one, or the version's default; a file storage without a
/// directory is an error.
fn storage(cx: &mut Cx<'_>, backend: Backend, has_dir: bool) -> Result<StorageChoice, ConfError> {
    let version = cx.version;
    let dir_key = cx.key(Setting::CheckpointDir);
    let storage_found = cx.lookup(Setting::Storage);
    let choice = if legacy_storage(backend) && version.at_least(1, 13) {
        legacy_backend_storage(cx, backend, storage_found.as_ref())
    } else if let Some(s) = cx.explicit.storage {
        let jm = storage_kind(s).map_err(ConfError::plain)?;
        cx.reason(format!(
            "checkpoint storage {} set by the job",
            if jm { "jobmanager" } else { "filesystem" }
        ));
        StorageChoice::new(jm, Source::Job, "set in the job".into())
    } else if backend == Backend::Memory {
        cx.reason("MemoryStateBackend is its own storage: state inline in _metadata".into());
        StorageChoice::new(
            true,
            Source::Implied,
            "MemoryStateBackend is its own storage: all state inline in _metadata, through the \
             JobManager"
                .into(),
        )
    } else if matches!(backend, Backend::Fs | Backend::RocksDb) && !version.at_least(1, 13) {
        // FsStateBackendFactory / RocksDBStateBackendFactory.createFromConfig
        // [1.6.2]: both need the checkpoint directory.
        if !has_dir {
            return Err(backend_without_directory(cx, backend));
        }
        StorageChoice::new(
            false,
            Source::Implied,
            format!(
                "{} writes checkpoints as files under the directory",
                backend.class_name(version)
            ),
        )
    } else if let Some(f) = &storage_found {
        let jm = storage_from_config(&f.value).map_err(keyed(f))?;
        cx.reason(format!(
            "checkpoint storage {} from '{}: {}'",
            if jm { "jobmanager" } else { "filesystem" },
            f.key,
            f.value
        ));
        if !jm && !has_dir {
            // FileSystemCheckpointStorage.createFromConfig [1.13.5][2.0].
            return Err(ConfError::keyed(
                &f.key,
                format!(
                    "Cannot create the file system state backend: The configuration does not \
                     specify the checkpoint directory '{dir_key}'"
                ),
            ));
        }
        StorageChoice::new(jm, key_source(f), String::new())
    } else if has_dir {
        // CheckpointStorageLoader.createDefaultCheckpointStorage [1.13.5][2.0].
        cx.reason("no checkpoint storage configured: a checkpoint directory selects FileSystemCheckpointStorage".into());
        StorageChoice::new(
            false,
            Source::Default,
            format!(
                "no '{}': a checkpoint directory selects FileSystemCheckpointStorage \
                 (CheckpointStorageLoader, 1.13+)",
                cx.storage_key()
            ),
        )
    } else {
        cx.reason("no checkpoint storage and no directory: JobManagerCheckpointStorage (5 MiB per subtask)".into());
        StorageChoice::new(
            true,
            Source::Default,
            format!(
                "no '{}' and no directory: JobManagerCheckpointStorage (CheckpointStorageLoader, \
                 1.13+)",
                cx.storage_key()
            ),
        )
    };
    if !choice.jobmanager && !has_dir && cx.explicit.storage.is_none() {
        return Err(ConfError::plain(
            "filesystem checkpoint storage needs a checkpoint directory".into(),
        ));
    }
    Ok(choice)
}

/// From 1.13, a legacy backend is its own storage and every other storage
/// setting is ignored (`CheckpointStorageLoader`).
fn legacy_backend_storage(
    cx: &mut Cx<'_>,
    backend: Backend,
    storage_found: Option<&Found>,
) -> StorageChoice {
    let class = backend.class_name(cx.version);
    if let Some(s) = cx.explicit.storage {
        cx.issue(
            Severity::Warning,
            None,
            format!(
                "the checkpoint storage '{s}' set in the job is ignored: the legacy {class} \
                 takes precedence (CheckpointStorageLoader)"
            ),
        );
    }
    if let Some(f) = storage_found {
        cx.issue(
            Severity::Warning,
            Some(f.key.clone()),
            format!(
                "'{}: {}' is ignored: the legacy {} is its own checkpoint storage and takes \
                 precedence (CheckpointStorageLoader: \"Config option '{}' is ignored because \
                 legacy state backend is used\")",
                f.key, f.value, class, f.key
            ),
        );
    }
    cx.reason(format!(
        "{class} is its own storage: state inline in _metadata"
    ));
    StorageChoice::new(
        backend == Backend::Memory,
        Source::Implied,
        format!("the legacy {class} is its own checkpoint storage"),
    )
}

/// FsStateBackend or RocksDBStateBackend before 1.13 without a checkpoint
/// directory: blamed on the backend's key when the configuration chose it.
fn backend_without_directory(cx: &Cx<'_>, backend: Backend) -> ConfError {
    let dir_key = cx.key(Setting::CheckpointDir);
    let what = if backend == Backend::Fs {
        "file system"
    } else {
        "RocksDB"
    };
    let msg = format!(
        "Cannot create the {what} state backend: The configuration does not specify \
         the checkpoint directory '{dir_key}'"
    );
    match cx.lookup(Setting::Backend) {
        Some(f) if cx.explicit.backend.is_none() => ConfError::keyed(&f.key, msg),
        _ => ConfError::plain(format!(
            "{} needs a checkpoint directory ('{dir_key}')",
            backend.class_name(cx.version)
        )),
    }
}

/// How the storage decision names what was chosen.
fn storage_name(version: FlinkVersion, backend: Backend, jobmanager: bool) -> String {
    if jobmanager {
        if backend == Backend::Memory {
            "JobManager (MemoryStateBackend)".to_string()
        } else {
            "JobManagerCheckpointStorage".to_string()
        }
    } else if version.at_least(1, 13) && !legacy_storage(backend) {
        "FileSystemCheckpointStorage".into()
    } else {
        format!("files ({})", backend.class_name(version))
    }
}

// --- inline threshold: read only by file storage

fn inline_threshold(cx: &mut Cx<'_>, jobmanager: bool) -> Result<u64, ConfError> {
    let version = cx.version;
    match (cx.lookup(Setting::InlineThreshold), jobmanager) {
        (Some(f), false) => {
            let (t, warning) = parse_threshold(version, &f.key, &f.value).map_err(keyed(&f))?;
            let value = format!("{} ({t} B)", human_bytes(t));
            if let Some(w) = warning {
                cx.reason(format!("'{}' is ignored: default used", f.key));
                cx.issue(Severity::Warning, Some(f.key.clone()), w);
                let why = format!("'{}' is ignored", f.key);
                cx.decide(Setting::InlineThreshold, value, Source::Default, why);
            } else {
                cx.decide(
                    Setting::InlineThreshold,
                    value,
                    key_source(&f),
                    String::new(),
                );
            }
            Ok(t)
        }
        (found, true) => {
            if let Some(f) = found {
                cx.issue(
                    Severity::Note,
                    Some(f.key.clone()),
                    format!(
                        "'{}' has no effect with JobManager storage: everything is inline",
                        f.key
                    ),
                );
            }
            cx.decide(
                Setting::InlineThreshold,
                "everything inline".into(),
                Source::Implied,
                "JobManager storage keeps all state inline in _metadata".into(),
            );
            Ok(default_inline_threshold(version))
        }
        (None, false) => {
            let t = default_inline_threshold(version);
            cx.decide(
                Setting::InlineThreshold,
                format!("{} ({t} B)", human_bytes(t)),
                Source::Default,
                format!(
                    "default {} ({})",
                    human_bytes(t),
                    if version.at_least(1, 11) {
                        "20kb from 1.11"
                    } else {
                        "1024 bytes up to 1.10"
                    }
                ),
            );
            Ok(t)
        }
    }
}

// --- incremental: read by RocksDB (RocksDBStateBackend.configure);
// ForSt always takes incremental checkpoints (ForStStateBackend
// .setEnableIncrementalCheckpointing(true) [2.0]).

fn incremental(cx: &mut Cx<'_>, backend: Backend) -> Result<bool, ConfError> {
    let version = cx.version;
    let found = cx.lookup(Setting::Incremental);
    let rocks = matches!(backend, Backend::RocksDb | Backend::ForSt);
    let incremental = match (cx.explicit.incremental, &found) {
        (Some(b), _) => {
            cx.decide(
                Setting::Incremental,
                on_off(b && rocks),
                Source::Job,
                String::new(),
            );
            b
        }
        (None, Some(f)) if rocks => {
            let (b, warning) = parse_bool(version, &f.value).map_err(keyed(f))?;
            if let Some(w) = warning {
                cx.issue(Severity::Warning, Some(f.key.clone()), w);
            }
            cx.decide(
                Setting::Incremental,
                on_off(b),
                key_source(f),
                String::new(),
            );
            b
        }
        (None, _) if rocks => {
            cx.decide(
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
            cx.decide(
                Setting::Incremental,
                "off (full snapshots)".into(),
                Source::Implied,
                "heap backends always take full snapshots".into(),
            );
            false
        }
    };
    if let Some(f) = &found
        && !rocks
        && cx.explicit.incremental.is_none()
    {
        cx.issue(
            Severity::Note,
            Some(f.key.clone()),
            format!(
                "'{}: {}' has no effect: {} takes full snapshots (incremental checkpoints are \
                 a RocksDB feature)",
                f.key,
                f.value,
                backend.class_name(version)
            ),
        );
    }
    if backend == Backend::ForSt && !incremental {
        cx.issue(
            Severity::Note,
            found.as_ref().map(|f| f.key.clone()),
            "ForSt ignores incremental = false: it always takes incremental \
             checkpoints (ForStStateBackend, 2.0)"
                .into(),
        );
    }
    Ok((incremental && rocks) || backend == Backend::ForSt)
}

// --- timers

fn timers(cx: &mut Cx<'_>, backend: Backend) -> Result<TimerStore, ConfError> {
    match backend {
        Backend::RocksDb => rocksdb_timers(cx),
        Backend::ForSt => forst_timers(cx),
        _ => {
            for s in [Setting::TimerService, Setting::ForStTimerService] {
                if let Some(f) = cx.lookup(s) {
                    let message = format!(
                        "'{}' has no effect: {} keeps timers on the heap",
                        f.key,
                        backend.class_name(cx.version)
                    );
                    cx.issue(Severity::Note, Some(f.key.clone()), message);
                }
            }
            Ok(TimerStore::Heap)
        }
    }
}

/// RocksDBOptions.TIMER_SERVICE_FACTORY: HEAP [1.6.2]–[1.9.0], ROCKSDB
/// from [1.10.0].
fn rocksdb_timers(cx: &mut Cx<'_>) -> Result<TimerStore, ConfError> {
    timer_service(
        cx,
        Backend::RocksDb,
        Setting::TimerService,
        [TimerStore::Heap, TimerStore::RocksDb],
        "HEAP up to 1.9, ROCKSDB from 1.10 (RocksDBOptions.TIMER_SERVICE_FACTORY)",
    )
}

/// ForStOptions.TIMER_SERVICE_FACTORY defaultValue(ForStDB) [2.0].
fn forst_timers(cx: &mut Cx<'_>) -> Result<TimerStore, ConfError> {
    timer_service(
        cx,
        Backend::ForSt,
        Setting::ForStTimerService,
        [TimerStore::Heap, TimerStore::ForStDb],
        "ForStOptions.TIMER_SERVICE_FACTORY defaults to ForStDB",
    )
}

/// A timer-service factory key: one of `accepted` (Flink's enum, matched
/// ignoring case), else the backend's default.
fn timer_service(
    cx: &mut Cx<'_>,
    backend: Backend,
    setting: Setting,
    accepted: [TimerStore; 2],
    default_why: &str,
) -> Result<TimerStore, ConfError> {
    let Some(f) = cx.lookup(setting) else {
        let t = TimerStore::default_for(cx.version, backend);
        cx.decide(
            setting,
            t.flink_value().into(),
            Source::Default,
            default_why.into(),
        );
        return Ok(t);
    };
    let t = accepted
        .into_iter()
        .find(|t| t.flink_value().eq_ignore_ascii_case(&f.value))
        .ok_or_else(|| {
            ConfError::keyed(
                &f.key,
                format!(
                    "'{}' is not {} or {}",
                    f.value,
                    accepted[0].flink_value(),
                    accepted[1].flink_value()
                ),
            )
        })?;
    cx.decide(
        setting,
        t.flink_value().into(),
        key_source(&f),
        String::new(),
    );
    Ok(t)
}

// --- savepoint directory: recorded, used by nothing else

fn savepoint_dir(cx: &mut Cx<'_>) {
    if let Some(f) = cx.lookup(Setting::SavepointDir) {
        cx.decide(
            Setting::SavepointDir,
            f.value.clone(),
            key_source(&f),
            String::new(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::flink::config::test_conf as conf;

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
