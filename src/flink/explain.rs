//! `statecap explain-config`: what a Flink configuration file really gives
//! on one Flink version — backend, checkpoint storage, limits, the defaults
//! it leans on — with the traps called out, and the same configuration
//! written in that version's key names, as Java and as SQL `SET` lines.
//!
//! The rules themselves live in [`crate::flink::version`] (which key, which
//! default, per version) and [`crate::flink::conf_file`] (how the file is
//! parsed); this module only puts them side by side for a person.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::flink::FlinkVersion;
use crate::flink::conf_file::{self, ConfFile, ConfFormat};
use crate::flink::config::{
    self, Backend, ConfError, Explicit, KeyStatus, Resolution, Setting, Severity, Source, Storage,
    TimerStore,
};
use crate::flink::units::human_bytes;
use crate::flink::version;

/// A trap or a note about the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trap {
    /// How bad.
    pub severity: Severity,
    /// The line of the file it concerns.
    pub line: Option<usize>,
    /// The key it concerns.
    pub key: Option<String>,
    /// What happens, and what to write instead.
    pub message: String,
}

/// What a configuration file gives on one Flink version.
#[derive(Debug, Clone)]
pub struct Explanation {
    /// The file.
    pub path: PathBuf,
    /// The version.
    pub version: FlinkVersion,
    /// How the file was parsed.
    pub format: ConfFormat,
    /// Why the version does not read this file, if it does not.
    pub not_read: Option<String>,
    /// What Flink runs with (from defaults alone when the file is not
    /// read), or why it refuses to.
    pub outcome: Result<Resolution, ConfError>,
    /// Traps and notes, worst first.
    pub traps: Vec<Trap>,
    /// The configuration in this version's key names, `(key, value)`.
    pub write: Vec<(String, String)>,
    /// The same, set in the job's Java code.
    pub java: Vec<String>,
    /// The same, as SQL client statements.
    pub sql: Vec<String>,
    lines: BTreeMap<String, usize>,
}

impl Explanation {
    /// Whether Flink refuses this configuration.
    pub fn is_error(&self) -> bool {
        self.outcome.is_err()
    }

    /// The exit code of `explain-config`: 0, or 2 when Flink refuses the
    /// configuration.
    pub fn exit_code(&self) -> i32 {
        if self.is_error() { 2 } else { 0 }
    }

    /// One line for stderr when Flink refuses the configuration:
    /// `file:line: `key`: message`.
    pub fn error_line(&self) -> Option<String> {
        let e = self.outcome.as_ref().err()?;
        let line = e.key.as_ref().and_then(|k| self.lines.get(k));
        Some(format!(
            "{}{}: {}{}",
            self.path.display(),
            line.map(|l| format!(":{l}")).unwrap_or_default(),
            e.key
                .as_ref()
                .map(|k| format!("`{k}`: "))
                .unwrap_or_default(),
            e.message
        ))
    }

    /// The traps whose message contains `needle`.
    pub fn traps_about(&self, needle: &str) -> Vec<&Trap> {
        self.traps
            .iter()
            .filter(|t| t.message.contains(needle))
            .collect()
    }
}

/// Reads `path` as Flink `version` (`"1.6.2"`, `"2.0"`) reads it and
/// explains it: what `statecap explain-config` prints.
pub fn explain_file(path: &Path, version: &str) -> crate::Result<Explanation> {
    let v: FlinkVersion = version.parse().map_err(|e| Error::Config {
        path: path.to_path_buf(),
        message: format!("--flink-version: {e}"),
    })?;
    let conf = conf_file::load(path, v)?;
    Ok(explain(&conf, v))
}

/// Explains `conf` for Flink `version` (normally the version it was loaded
/// for).
pub fn explain(conf: &ConfFile, version: FlinkVersion) -> Explanation {
    let empty = Default::default();
    let effective = if conf.not_read.is_some() {
        &empty
    } else {
        &conf.entries
    };
    let outcome = config::resolve_detailed(version, effective, &Explicit::default());
    // What the file means, were it read: the source of "what to write".
    let intended = if conf.not_read.is_some() {
        config::resolve_detailed(version, &conf.entries, &Explicit::default())
    } else {
        outcome.clone()
    };
    let mut traps = Vec::new();
    let line = |key: &Option<String>| key.as_deref().and_then(|k| conf.line_of(k));

    if let Some(why) = &conf.not_read {
        traps.push(Trap {
            severity: Severity::Warning,
            line: None,
            key: None,
            message: format!("this file is not read: {why}"),
        });
    }
    for n in &conf.notes {
        traps.push(Trap {
            severity: if n.message.contains("is set again") || n.message.contains("set twice") {
                Severity::Note
            } else {
                Severity::Warning
            },
            line: Some(n.line),
            key: n.key.clone(),
            message: n.message.clone(),
        });
    }
    key_traps(conf, version, &mut traps);
    match &outcome {
        Err(e) => traps.push(Trap {
            severity: Severity::Error,
            line: line(&e.key),
            key: e.key.clone(),
            message: format!("Flink {version} refuses this configuration: {}", e.message),
        }),
        Ok(r) => {
            for i in &r.issues {
                traps.push(Trap {
                    severity: i.severity,
                    line: line(&i.key),
                    key: i.key.clone(),
                    message: i.message.clone(),
                });
            }
            if conf.not_read.is_none() {
                resolution_traps(conf, version, r, &mut traps);
            }
        }
    }
    if conf.not_read.is_some()
        && let Err(e) = &intended
    {
        traps.push(Trap {
            severity: Severity::Warning,
            line: line(&e.key),
            key: e.key.clone(),
            message: format!(
                "were it read, Flink {version} would refuse it: {}",
                e.message
            ),
        });
    }
    if conf.format == ConfFormat::Legacy && version.at_least(1, 19) && version.major == 1 {
        traps.push(Trap {
            severity: Severity::Note,
            line: None,
            key: None,
            message: "flink-conf.yaml is deprecated from 1.19 and not read by Flink 2.x: \
                      move to config.yaml (bin/migrate-config-file.sh in 1.20)"
                .into(),
        });
    }
    traps.sort_by_key(|t| (t.severity, t.line.unwrap_or(0)));

    let (write, java, sql) = match &intended {
        Ok(r) => {
            let w = write_lines(conf, version, r);
            let j = java_lines(version, r, &w);
            let s = sql_lines(version, &w);
            (w, j, s)
        }
        Err(_) => Default::default(),
    };
    Explanation {
        path: conf.path.clone(),
        version,
        format: conf.format,
        not_read: conf.not_read.clone(),
        outcome,
        traps,
        write,
        java,
        sql,
        lines: conf
            .entries
            .keys()
            .filter_map(|k| conf.line_of(k).map(|l| (k.clone(), l)))
            .collect(),
    }
}

/// Levenshtein distance, for "did you mean".
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Keys this version ignores, reads under an old name, or that look like a
/// misspelt state key.
fn key_traps(conf: &ConfFile, version: FlinkVersion, traps: &mut Vec<Trap>) {
    let all_keys: Vec<&'static str> = Setting::ALL
        .iter()
        .flat_map(|s| {
            version::known_versions()
                .filter_map(move |v| s.keys(v))
                .flat_map(|k| std::iter::once(k.key).chain(k.deprecated.iter().copied()))
        })
        .collect();
    for (key, value) in &conf.entries {
        let line = conf.line_of(key);
        let push = |traps: &mut Vec<Trap>, severity, message| {
            traps.push(Trap {
                severity,
                line,
                key: Some(key.clone()),
                message,
            })
        };
        match config::key_status(key, version) {
            KeyStatus::Current(_) => {}
            KeyStatus::Deprecated { setting, key: new } => {
                if let Some(v) = conf.entries.get(new)
                    && v.trim() != value.trim()
                {
                    push(
                        traps,
                        Severity::Warning,
                        format!(
                            "'{key}: {value}' is not used: '{new}: {}' is set too, and Flink reads \
                             the current key first",
                            v.trim()
                        ),
                    );
                } else if conf.not_read.is_none() {
                    push(
                        traps,
                        Severity::Note,
                        format!(
                            "'{key}' is a deprecated name in Flink {version} ({}): it still \
                             works; write '{new}'",
                            setting.label()
                        ),
                    );
                }
            }
            KeyStatus::Ignored {
                setting,
                first,
                last,
                instead,
            } => {
                let known = if last == version::known_versions().last().expect("non-empty") {
                    format!("known from Flink {first}")
                } else if first == FlinkVersion::new(1, 6) {
                    format!("known up to Flink {last}")
                } else {
                    format!("known in Flink {first} to {last}")
                };
                let instead = match instead {
                    Some(k) if conf.entries.contains_key(k) => {
                        format!("; '{k}' is set and used")
                    }
                    Some(k) => format!("; write '{k}'"),
                    None => format!("; Flink {version} has no key for the {}", setting.label()),
                };
                push(
                    traps,
                    Severity::Warning,
                    format!(
                        "Flink {version} does not know '{key}' ({known}) and ignores it{instead}"
                    ),
                );
            }
            KeyStatus::Unknown => {
                let looks_like_state = key.starts_with("state.")
                    || key.starts_with("execution.checkpointing.")
                    || key.contains("checkpoint");
                if !looks_like_state {
                    continue;
                }
                if let Some(near) = all_keys
                    .iter()
                    .filter(|k| distance(k, key) <= 3)
                    .min_by_key(|k| distance(k, key))
                {
                    let current = match config::key_status(near, version) {
                        KeyStatus::Current(_) => near.to_string(),
                        KeyStatus::Deprecated { key, .. } => key.to_string(),
                        KeyStatus::Ignored { instead, .. } => instead.unwrap_or(near).to_string(),
                        KeyStatus::Unknown => near.to_string(),
                    };
                    push(
                        traps,
                        Severity::Warning,
                        format!(
                            "'{key}' is no Flink key (did you mean '{current}'?): Flink ignores \
                             keys it does not know"
                        ),
                    );
                }
            }
        }
    }
}

/// Traps that depend on what the configuration resolved to.
fn resolution_traps(conf: &ConfFile, version: FlinkVersion, r: &Resolution, traps: &mut Vec<Trap>) {
    let c = &r.config;
    let backend_default = r
        .decision(Setting::Backend)
        .is_some_and(|d| d.source == Source::Default);
    let dir = r
        .decision(Setting::CheckpointDir)
        .and_then(|d| match &d.source {
            Source::Key { key, .. } => Some(key.clone()),
            _ => None,
        });
    let backend_key = Setting::Backend.keys(version).expect("every version").key;
    if c.backend == Backend::Memory && backend_default && !version.at_least(1, 13) {
        if let Some(dir_key) = &dir {
            traps.push(Trap {
                severity: Severity::Warning,
                line: conf.line_of(dir_key),
                key: Some(dir_key.clone()),
                message: format!(
                    "'{dir_key}' is set but '{backend_key}' is not: Flink {version} keeps the \
                     default MemoryStateBackend (StateBackendLoader). Every subtask's state goes \
                     inline into the checkpoint metadata through the JobManager, the directory \
                     only receives _metadata, and a subtask above {} fails the checkpoint: \
                     \"Size of the state is larger than the maximum permitted memory-backed \
                     state\". To write state as files, add '{backend_key}: filesystem' (or \
                     rocksdb)",
                    human_bytes(config::DEFAULT_MAX_STATE_SIZE)
                ),
            });
        } else {
            traps.push(Trap {
                severity: Severity::Note,
                line: None,
                key: None,
                message: format!(
                    "no '{backend_key}': Flink {version} uses MemoryStateBackend, {} per \
                     subtask, state kept in the JobManager's memory",
                    human_bytes(config::DEFAULT_MAX_STATE_SIZE)
                ),
            });
        }
    } else if let Storage::JobManager { max_state_size } = c.storage {
        let storage_key = Setting::Storage.keys(version).map(|k| k.key);
        let fix = match storage_key {
            Some(k) if c.backend != Backend::Memory => format!(
                "write '{k}: filesystem' and a checkpoint directory ('{}')",
                Setting::CheckpointDir
                    .keys(version)
                    .expect("every version")
                    .key
            ),
            _ => format!(
                "write '{backend_key}: {}' and a checkpoint directory",
                if version.at_least(1, 13) {
                    "hashmap"
                } else {
                    "filesystem"
                }
            ),
        };
        traps.push(Trap {
            severity: Severity::Warning,
            line: None,
            key: None,
            message: format!(
                "JobManager storage: every subtask's keyed state must stay under {} and the \
                 whole checkpoint is held in the JobManager's heap; fine for small state only. \
                 For state larger than a few MiB per subtask, {fix}",
                human_bytes(max_state_size)
            ),
        });
    }
    if let Storage::JobManager { .. } = c.storage {
        traps.push(Trap {
            severity: Severity::Note,
            line: None,
            key: None,
            message: format!(
                "with JobManager storage a task's acknowledgement carries all its inline state \
                 in one RPC message of at most {} ('{}'): several keyed operators chained into \
                 one task add up",
                human_bytes(c.limits.frame_size),
                Setting::FrameSize.keys(version).expect("every version").key
            ),
        });
    }
    if r.checkpoint_interval_ms.is_none() {
        traps.push(Trap {
            severity: Severity::Note,
            line: None,
            key: None,
            message: if version.at_least(1, 10) {
                "checkpointing is disabled in this file ('execution.checkpointing.interval' is \
                 not set): the job takes checkpoints only if it calls env.enableCheckpointing(ms)"
                    .into()
            } else {
                format!(
                    "Flink {version} enables checkpointing in the job only \
                     (env.enableCheckpointing(ms)); 'execution.checkpointing.interval' exists \
                     from 1.10"
                )
            },
        });
    }
    if c.backend == Backend::ForSt {
        traps.push(Trap {
            severity: Severity::Note,
            line: None,
            key: None,
            message: "ForSt is experimental in 2.0; it keeps SST files on the checkpoint file \
                      system and disaggregates state only with the async State V2 API"
                .into(),
        });
    }
}

/// The settings to write for this version: backend and storage always
/// (so nothing rests on a default), the rest when the file sets them.
fn write_lines(conf: &ConfFile, version: FlinkVersion, r: &Resolution) -> Vec<(String, String)> {
    let c = &r.config;
    let key = |s: Setting| s.keys(version).map(|k| k.key.to_string());
    let set_in_file = |s: Setting| {
        r.decision(s).and_then(|d| match &d.source {
            Source::Key { key, .. } => conf.entries.get(key).map(|v| v.trim().to_string()),
            _ => None,
        })
    };
    let mut out = Vec::new();
    let backend = match c.backend {
        Backend::Memory => "jobmanager",
        Backend::Fs => "filesystem",
        Backend::HashMap if !version.at_least(1, 13) => "filesystem",
        Backend::HashMap => "hashmap",
        Backend::RocksDb => "rocksdb",
        Backend::ForSt => "forst",
    };
    out.push((
        key(Setting::Backend).expect("every version"),
        backend.to_string(),
    ));
    let legacy = matches!(c.backend, Backend::Memory | Backend::Fs);
    if let Some(k) = key(Setting::Storage)
        && !legacy
    {
        let s = match c.storage {
            Storage::JobManager { .. } => "jobmanager",
            Storage::FileSystem { .. } => "filesystem",
        };
        out.push((k, s.to_string()));
    }
    if let Some(d) = &c.checkpoint_dir {
        out.push((
            key(Setting::CheckpointDir).expect("every version"),
            d.clone(),
        ));
    }
    if let Some(v) = set_in_file(Setting::SavepointDir) {
        out.push((key(Setting::SavepointDir).expect("every version"), v));
    }
    if matches!(c.storage, Storage::FileSystem { .. })
        && set_in_file(Setting::InlineThreshold).is_some()
    {
        out.push((
            key(Setting::InlineThreshold).expect("every version"),
            c.limits.inline_threshold.to_string(),
        ));
    }
    if c.backend == Backend::RocksDb
        && (c.incremental || set_in_file(Setting::Incremental).is_some())
    {
        out.push((
            key(Setting::Incremental).expect("every version"),
            c.incremental.to_string(),
        ));
    }
    if c.backend == Backend::RocksDb && set_in_file(Setting::TimerService).is_some() {
        out.push((
            key(Setting::TimerService).expect("every version"),
            c.timers.flink_value().to_string(),
        ));
    }
    if c.backend == Backend::ForSt && set_in_file(Setting::ForStTimerService).is_some() {
        out.push((
            key(Setting::ForStTimerService).expect("2.x"),
            c.timers.flink_value().to_string(),
        ));
    }
    for s in [Setting::Interval, Setting::Timeout, Setting::FrameSize] {
        if let (Some(k), Some(v)) = (key(s), set_in_file(s)) {
            out.push((k, v));
        }
    }
    out
}

fn java_string(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The same configuration in the job's code, in this version's API:
/// legacy backend classes up to 1.12, `HashMapStateBackend` /
/// `EmbeddedRocksDBStateBackend` + `setCheckpointStorage` from 1.13
/// (deprecated in 1.20), a `Configuration` handed to
/// `getExecutionEnvironment` from 1.20 (the only way in 2.x, where
/// `setStateBackend` is gone).
fn java_lines(version: FlinkVersion, r: &Resolution, write: &[(String, String)]) -> Vec<String> {
    let c = &r.config;
    let mut out = Vec::new();
    let dir = c.checkpoint_dir.as_deref().map(java_string);
    let dir_or = dir.clone().unwrap_or_else(|| "\"<checkpoint dir>\"".into());
    if version.major < 2 {
        if version.at_least(1, 20) {
            out.push(
                "// 1.20: setStateBackend / setCheckpointStorage are deprecated (gone in 2.0); \
                 the Configuration form below is the lasting one"
                    .into(),
            );
        }
        if !version.at_least(1, 13) {
            match c.backend {
                Backend::Memory => out.push(
                    "env.setStateBackend(new MemoryStateBackend());  // 5 MiB per subtask, \
                     state inline in _metadata"
                        .into(),
                ),
                Backend::Fs | Backend::HashMap => out.push(format!(
                    "env.setStateBackend(new FsStateBackend({dir_or}));"
                )),
                Backend::RocksDb => out.push(format!(
                    "env.setStateBackend(new RocksDBStateBackend({dir_or}, {}));",
                    c.incremental
                )),
                Backend::ForSt => {}
            }
        } else {
            match c.backend {
                Backend::Memory => {
                    out.push(
                        "// the deprecated MemoryStateBackend is HashMapStateBackend + \
                         JobManagerCheckpointStorage:"
                            .into(),
                    );
                    out.push("env.setStateBackend(new HashMapStateBackend());".into());
                }
                Backend::RocksDb => {
                    out.push(format!(
                        "EmbeddedRocksDBStateBackend backend = new EmbeddedRocksDBStateBackend({});",
                        c.incremental
                    ));
                    if c.timers == TimerStore::Heap {
                        out.push(
                            "backend.setPriorityQueueStateType(\
                             EmbeddedRocksDBStateBackend.PriorityQueueStateType.HEAP);"
                                .into(),
                        );
                    }
                    out.push("env.setStateBackend(backend);".into());
                }
                _ => out.push("env.setStateBackend(new HashMapStateBackend());".into()),
            }
            match (c.storage, &dir) {
                (Storage::JobManager { .. }, _) => out.push(
                    "env.getCheckpointConfig().setCheckpointStorage(new JobManagerCheckpointStorage());"
                        .into(),
                ),
                (Storage::FileSystem { .. }, Some(d)) => out.push(format!(
                    "env.getCheckpointConfig().setCheckpointStorage({d});"
                )),
                (Storage::FileSystem { .. }, None) => {}
            }
        }
        if c.backend == Backend::RocksDb && !version.at_least(1, 13) {
            out.push(format!(
                "// timers ({}): set in flink-conf.yaml, state.backend.rocksdb.timer-service.factory",
                c.timers.flink_value()
            ));
        }
        if let Some(ms) = r.checkpoint_interval_ms {
            out.push(format!("env.enableCheckpointing({ms});"));
        } else {
            out.push("env.enableCheckpointing(/* interval ms */);  // off unless called".into());
        }
        if r.decision(Setting::Timeout)
            .is_some_and(|d| matches!(d.source, Source::Key { .. }))
        {
            out.push(format!(
                "env.getCheckpointConfig().setCheckpointTimeout({});",
                c.limits.checkpoint_timeout_ms
            ));
        }
    }
    if version.at_least(1, 20) {
        if !out.is_empty() {
            out.push(String::new());
        }
        out.push("Configuration config = new Configuration();".into());
        for (k, v) in write {
            let (option, value) = match Setting::ALL
                .into_iter()
                .find(|s| s.keys(version).is_some_and(|n| n.key == k))
            {
                Some(Setting::Backend) => ("StateBackendOptions.STATE_BACKEND", java_string(v)),
                Some(Setting::Storage) => {
                    ("CheckpointingOptions.CHECKPOINT_STORAGE", java_string(v))
                }
                Some(Setting::CheckpointDir) => {
                    ("CheckpointingOptions.CHECKPOINTS_DIRECTORY", java_string(v))
                }
                Some(Setting::SavepointDir) => {
                    ("CheckpointingOptions.SAVEPOINT_DIRECTORY", java_string(v))
                }
                Some(Setting::InlineThreshold) => (
                    "CheckpointingOptions.FS_SMALL_FILE_THRESHOLD",
                    format!("MemorySize.parse({})", java_string(v)),
                ),
                Some(Setting::Incremental) => {
                    ("CheckpointingOptions.INCREMENTAL_CHECKPOINTS", v.clone())
                }
                Some(Setting::Interval) => (
                    "CheckpointingOptions.CHECKPOINTING_INTERVAL",
                    format!(
                        "Duration.ofMillis({})",
                        r.checkpoint_interval_ms.unwrap_or(0)
                    ),
                ),
                Some(Setting::Timeout) => (
                    "CheckpointingOptions.CHECKPOINTING_TIMEOUT",
                    format!("Duration.ofMillis({})", c.limits.checkpoint_timeout_ms),
                ),
                // Cluster-wide or backend-specific: by key.
                Some(Setting::FrameSize) => continue,
                _ => {
                    out.push(format!(
                        "config.setString({}, {});",
                        java_string(k),
                        java_string(v)
                    ));
                    continue;
                }
            };
            out.push(format!("config.set({option}, {value});"));
        }
        out.push(
            "StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(config);"
                .into(),
        );
        if r.checkpoint_interval_ms.is_none() {
            out.push("env.enableCheckpointing(/* interval ms */);  // off unless called".into());
        }
    }
    out
}

/// SQL client statements: `SET 'key' = 'value';` from 1.14, `SET key =
/// value;` in 1.13 (docs `sqlClient.md` [1.14.2], [1.13.5]); before 1.13
/// the SQL client cannot set these per job.
fn sql_lines(version: FlinkVersion, write: &[(String, String)]) -> Vec<String> {
    if !version.at_least(1, 13) {
        return vec![format!(
            "-- the SQL client of Flink {version} cannot set these per job: they belong in \
             flink-conf.yaml"
        )];
    }
    let frame = Setting::FrameSize.keys(version).expect("every version").key;
    let mut out: Vec<String> = write
        .iter()
        .filter(|(k, _)| k != frame)
        .map(|(k, v)| {
            if version.at_least(1, 14) {
                format!("SET '{k}' = '{}';", v.replace('\'', "''"))
            } else {
                format!("SET {k} = {v};")
            }
        })
        .collect();
    if write.iter().any(|(k, _)| k == frame) {
        out.push(format!(
            "-- '{frame}' is a cluster setting: it cannot be set per job"
        ));
    }
    out
}

/// A value as it goes into the file: never quoted in flink-conf.yaml
/// (quotes would become part of it), quoted in config.yaml when plain YAML
/// would read it differently.
fn yaml_value(format: ConfFormat, v: &str) -> String {
    if format == ConfFormat::Legacy {
        return v.to_string();
    }
    let plain_ok = !v.is_empty()
        && !v.starts_with(|c: char| "-?:,[]{}#&*!|>'\"%@` ".contains(c))
        && !v.ends_with(' ')
        && !v.contains(": ")
        && !v.contains(" #");
    if plain_ok {
        v.to_string()
    } else {
        format!("'{}'", v.replace('\'', "''"))
    }
}

/// `key: value` lines; nested for config.yaml, unless a key is both a value
/// and a parent (then flat dotted keys, which standard YAML reads too).
fn file_text(format: ConfFormat, write: &[(String, String)]) -> Vec<String> {
    let flat = || {
        write
            .iter()
            .map(|(k, v)| format!("{k}: {}", yaml_value(format, v)))
            .collect()
    };
    if format == ConfFormat::Legacy {
        return flat();
    }
    let clash = write.iter().any(|(a, _)| {
        write.iter().any(|(b, _)| {
            b.len() > a.len() && b.starts_with(a.as_str()) && b[a.len()..].starts_with('.')
        })
    });
    if clash {
        return flat();
    }
    // Nest: emit keys in order, sharing the longest common prefix with the
    // previous key.
    let mut sorted: Vec<&(String, String)> = write.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out = Vec::new();
    let mut prev: Vec<&str> = Vec::new();
    for (k, v) in sorted {
        let parts: Vec<&str> = k.split('.').collect();
        let common = prev
            .iter()
            .zip(&parts)
            .take_while(|(a, b)| a == b)
            .count()
            .min(parts.len() - 1);
        for (depth, p) in parts.iter().enumerate().take(parts.len() - 1).skip(common) {
            out.push(format!("{}{p}:", "  ".repeat(depth)));
        }
        out.push(format!(
            "{}{}: {}",
            "  ".repeat(parts.len() - 1),
            parts[parts.len() - 1],
            yaml_value(format, v)
        ));
        prev = parts[..parts.len() - 1].to_vec();
    }
    out
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = self.version;
        writeln!(
            f,
            "{} as Flink {v} reads it ({})",
            self.path.display(),
            match self.format {
                ConfFormat::Legacy => "flink-conf.yaml: flat `key: value` lines",
                ConfFormat::Standard => "config.yaml: standard YAML",
            }
        )?;
        writeln!(f)?;
        match &self.outcome {
            Err(_) => {
                writeln!(
                    f,
                    "Flink {v} refuses this configuration: the job does not start (ERROR below)"
                )?;
            }
            Ok(r) => {
                if self.not_read.is_some() {
                    writeln!(
                        f,
                        "What Flink {v} runs with (this file is not read: defaults only)"
                    )?;
                } else {
                    writeln!(f, "What this file gives on Flink {v}")?;
                }
                let rows = Setting::ALL
                    .into_iter()
                    .filter_map(|s| r.decision(s))
                    .collect::<Vec<_>>();
                let width = rows
                    .iter()
                    .map(|d| d.value.chars().count())
                    .max()
                    .unwrap_or(0)
                    .clamp(20, 40);
                for d in &rows {
                    let from = match &d.source {
                        Source::Key { key, deprecated } => {
                            let line = self_line(self, key);
                            format!(
                                "from '{key}'{}{}",
                                line.map(|l| format!(" (line {l})")).unwrap_or_default(),
                                if *deprecated { ", deprecated name" } else { "" }
                            )
                        }
                        Source::Job => "set in the job".into(),
                        Source::Default => format!("default: {}", d.why),
                        Source::Implied => d.why.clone(),
                    };
                    writeln!(f, "  {:<21}{:<width$}  {from}", d.setting.label(), d.value)?;
                }
                if let Some(max) = r.config.limits.max_state_size {
                    writeln!(
                        f,
                        "  {:<21}{:<width$}  a subtask above it fails the checkpoint",
                        "limit per subtask",
                        format!("{} ({max} B)", human_bytes(max))
                    )?;
                }
                let defaults: Vec<_> = rows
                    .iter()
                    .filter(|d| d.source == Source::Default)
                    .collect();
                if !defaults.is_empty() {
                    writeln!(f)?;
                    writeln!(f, "Defaults it relies on")?;
                    for d in defaults {
                        writeln!(f, "  - {}: {} ({})", d.setting.label(), d.value, d.why)?;
                    }
                }
            }
        }
        writeln!(f)?;
        if self.traps.is_empty() {
            writeln!(f, "Traps: none found")?;
        } else {
            writeln!(f, "Traps")?;
            for t in &self.traps {
                let tag = match t.severity {
                    Severity::Error => "ERROR",
                    Severity::Warning => "TRAP ",
                    Severity::Note => "note ",
                };
                let at = match (t.line, &t.key) {
                    (Some(l), Some(k)) => format!("line {l} `{k}`: "),
                    (Some(l), None) => format!("line {l}: "),
                    (None, Some(k)) => format!("`{k}`: "),
                    (None, None) => String::new(),
                };
                writeln!(f, "  {tag} {at}{}", t.message)?;
            }
        }
        if !self.write.is_empty() {
            let format = if v.at_least(1, 19) {
                ConfFormat::Standard
            } else {
                ConfFormat::Legacy
            };
            writeln!(f)?;
            writeln!(
                f,
                "The same configuration for Flink {v}, in its key names ({}{})",
                format.file_name(),
                if v.at_least(1, 19) && v.major == 1 {
                    "; flink-conf.yaml takes the same keys flat"
                } else {
                    ""
                }
            )?;
            for l in file_text(format, &self.write) {
                writeln!(f, "  {l}")?;
            }
            writeln!(f)?;
            writeln!(f, "Java (in the job)")?;
            for l in &self.java {
                if l.is_empty() {
                    writeln!(f)?;
                } else {
                    writeln!(f, "  {l}")?;
                }
            }
            writeln!(f)?;
            writeln!(f, "SQL client")?;
            for l in &self.sql {
                writeln!(f, "  {l}")?;
            }
        }
        Ok(())
    }
}

fn self_line(e: &Explanation, key: &str) -> Option<usize> {
    e.lines.get(key).copied()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn explain_text(text: &str, name: &str, version: &str) -> Explanation {
        let v: FlinkVersion = version.parse().unwrap();
        let conf = ConfFile::parse(text, Path::new(name), v).unwrap();
        explain(&conf, v)
    }

    #[test]
    fn seed_file_is_the_5_mib_memory_backend() {
        let e = explain_text(
            "state.checkpoints.dir: hdfs:///flink/checkpoints\n",
            "flink-conf.yaml",
            "1.6.2",
        );
        let r = e.outcome.as_ref().unwrap();
        assert_eq!(r.config.backend, Backend::Memory);
        assert_eq!(r.config.limits.max_state_size, Some(5 * 1024 * 1024));
        assert_eq!(
            e.traps_about("keeps the default MemoryStateBackend").len(),
            1
        );
        assert!(
            e.write
                .contains(&("state.backend".into(), "jobmanager".into()))
        );
        let text = e.to_string();
        assert!(text.contains("MemoryStateBackend"), "{text}");
        assert!(text.contains("5.0 MiB"), "{text}");
    }

    #[test]
    fn keys_of_other_versions_are_called_out() {
        let e = explain_text(
            "state.backend.type: rocksdb\nexecution.checkpointing.dir: s3://b/c\n",
            "flink-conf.yaml",
            "1.13",
        );
        assert_eq!(e.traps_about("does not know 'state.backend.type'").len(), 1);
        assert_eq!(
            e.traps_about("does not know 'execution.checkpointing.dir'")
                .len(),
            1
        );
        let r = e.outcome.as_ref().unwrap();
        assert_eq!(r.config.backend, Backend::HashMap);
        assert!(matches!(r.config.storage, Storage::JobManager { .. }));
    }

    #[test]
    fn misspelt_keys_get_a_suggestion() {
        let e = explain_text(
            "state.checkpoints.dir: file:///c\nstate.backend.fs.checkpoint.dir: file:///c\n",
            "flink-conf.yaml",
            "1.9",
        );
        assert_eq!(e.traps_about("did you mean").len(), 1, "{e}");
    }

    #[test]
    fn written_config_yaml_nests() {
        let w = vec![
            ("state.backend.type".to_string(), "rocksdb".to_string()),
            ("execution.checkpointing.dir".into(), "s3://b/c".into()),
            ("execution.checkpointing.incremental".into(), "true".into()),
        ];
        assert_eq!(
            file_text(ConfFormat::Standard, &w),
            vec![
                "execution:",
                "  checkpointing:",
                "    dir: s3://b/c",
                "    incremental: true",
                "state:",
                "  backend:",
                "    type: rocksdb",
            ]
        );
        let w = vec![
            ("state.backend".to_string(), "rocksdb".to_string()),
            ("state.backend.incremental".into(), "true".into()),
        ];
        assert_eq!(
            file_text(ConfFormat::Standard, &w)[0],
            "state.backend: rocksdb"
        );
    }

    #[test]
    fn levenshtein() {
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("", "ab"), 2);
    }
}
