//! The one writer of Flink configuration. Given what a job should run with
//! (a [`ResolvedConfig`], plus the settings a file carried that follow the
//! job rather than the backend), it writes every form statecap prints, in
//! the key names and API of one Flink version:
//!
//! - the configuration file: `flink-conf.yaml` (flat `key: value` lines)
//!   before 1.19, `config.yaml` (standard YAML, nested) from 1.19;
//! - Java: the legacy backend classes up to 1.12, `HashMapStateBackend` /
//!   `EmbeddedRocksDBStateBackend` + `setCheckpointStorage` from 1.13 to
//!   1.20, a `Configuration` handed to `getExecutionEnvironment` from 1.20
//!   (the only form in 2.x, where `setStateBackend` is gone);
//! - SQL client `SET` statements where that version's SQL client can set
//!   them per job, and a comment saying why not where it cannot.
//!
//! `explain-config`, `compare`, `run`'s report and the recommended
//! configuration file all call [`emit`]; `tests` below read every form
//! back through statecap's own reader for every version.

use serde::Serialize;

use crate::flink::FlinkVersion;
use crate::flink::conf_file::ConfFormat;
use crate::flink::config::{
    Backend, DEFAULT_MAX_STATE_SIZE, ResolvedConfig, Setting, Storage, TimerStore,
};

/// What to write.
#[derive(Debug, Clone)]
pub struct Wanted<'a> {
    /// Backend, storage, directory, incremental, timers and limits.
    pub config: &'a ResolvedConfig,
    /// The checkpoint interval, when the job's configuration sets one.
    pub checkpoint_interval_ms: Option<u64>,
    /// Settings a configuration file set, carried over as written there
    /// (savepoint directory, timeout, frame size, interval) or as a sign
    /// that the file set them (inline threshold, timers, incremental):
    /// those are written from the resolved value.
    pub carried: Vec<(Setting, String)>,
}

impl<'a> Wanted<'a> {
    /// A configuration with nothing carried from a file.
    pub fn config(config: &'a ResolvedConfig) -> Self {
        Wanted {
            config,
            checkpoint_interval_ms: None,
            carried: Vec::new(),
        }
    }

    fn carried(&self, s: Setting) -> Option<&str> {
        self.carried
            .iter()
            .find(|(c, _)| *c == s)
            .map(|(_, v)| v.as_str())
    }
}

/// A configuration written for one Flink version, in every form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Emitted {
    /// The version the forms are written for.
    #[serde(serialize_with = "display")]
    pub version: FlinkVersion,
    /// `(key, value)` in this version's key names, in the order written.
    pub entries: Vec<(String, String)>,
    /// The same, set in the job's Java code (blank strings separate
    /// alternatives).
    pub java: Vec<String>,
    /// The same, as SQL client statements (or a comment saying why not).
    pub sql: Vec<String>,
}

fn display<S: serde::Serializer>(v: &FlinkVersion, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

impl Emitted {
    /// The file format this version reads natively: `flink-conf.yaml`
    /// before 1.19, `config.yaml` from 1.19 (`GlobalConfiguration`
    /// [1.19][2.0]; 1.19 and 1.20 still prefer a `flink-conf.yaml` beside it).
    pub fn format(&self) -> ConfFormat {
        format_for(self.version)
    }

    /// `flink-conf.yaml` or `config.yaml`.
    pub fn file_name(&self) -> &'static str {
        self.format().file_name()
    }

    /// The configuration file's lines (no trailing newlines).
    pub fn file_lines(&self) -> Vec<String> {
        file_lines(self.format(), &self.entries)
    }

    /// The configuration file: `header` as `#` comment lines, then the
    /// entries.
    pub fn file_text(&self, header: &str) -> String {
        let mut out = String::new();
        for l in header.lines() {
            out.push_str("# ");
            out.push_str(l);
            out.push('\n');
        }
        for l in self.file_lines() {
            out.push_str(&l);
            out.push('\n');
        }
        out
    }
}

/// The file format Flink `version` reads natively.
pub fn format_for(version: FlinkVersion) -> ConfFormat {
    if version.at_least(1, 19) {
        ConfFormat::Standard
    } else {
        ConfFormat::Legacy
    }
}

/// Writes `wanted` for Flink `version` in every form.
pub fn emit(version: FlinkVersion, wanted: &Wanted<'_>) -> Emitted {
    let entries = entries(version, wanted);
    Emitted {
        version,
        java: java_lines(version, wanted, &entries),
        sql: sql_lines(version, &entries),
        entries,
    }
}

/// The value of `state.backend` (or its successor) that selects `backend`
/// in `version` (`StateBackendLoader` shortcuts: `jobmanager`,
/// `filesystem`, `rocksdb` [1.6.2]–[1.12.7]; `hashmap` added [1.13.0];
/// `forst` [2.0], where `jobmanager` and `filesystem` are gone).
pub fn backend_value(version: FlinkVersion, backend: Backend) -> &'static str {
    match backend {
        Backend::Memory => "jobmanager",
        Backend::Fs => "filesystem",
        Backend::HashMap if !version.at_least(1, 13) => "filesystem",
        Backend::HashMap => "hashmap",
        Backend::RocksDb => "rocksdb",
        Backend::ForSt => "forst",
    }
}

/// The settings to write: backend and storage always (so nothing rests on
/// a default), the directory when there is one, incremental for RocksDB,
/// the rest when the file set them.
fn entries(version: FlinkVersion, w: &Wanted<'_>) -> Vec<(String, String)> {
    let c = w.config;
    let key = |s: Setting| s.keys(version).map(|k| k.key.to_string());
    let mut out = Vec::new();
    let mut push = |s: Setting, v: String| {
        if let Some(k) = key(s) {
            out.push((k, v));
        }
    };
    push(Setting::Backend, backend_value(version, c.backend).into());
    // A legacy backend is its own storage (`StateBackendLoader` [1.13.5]:
    // the storage key is ignored with a warning), so none is written.
    if !matches!(c.backend, Backend::Memory | Backend::Fs) {
        push(Setting::Storage, c.storage.short_name().into());
    }
    if let Some(d) = &c.checkpoint_dir {
        push(Setting::CheckpointDir, d.clone());
    }
    if let Some(v) = w.carried(Setting::SavepointDir) {
        push(Setting::SavepointDir, v.into());
    }
    if matches!(c.storage, Storage::FileSystem { .. })
        && w.carried(Setting::InlineThreshold).is_some()
    {
        push(
            Setting::InlineThreshold,
            c.limits.inline_threshold.to_string(),
        );
    }
    if c.backend == Backend::RocksDb {
        push(Setting::Incremental, c.incremental.to_string());
        if w.carried(Setting::TimerService).is_some()
            || c.timers != TimerStore::default_for(version, c.backend)
        {
            push(Setting::TimerService, c.timers.flink_value().into());
        }
    }
    if c.backend == Backend::ForSt
        && (w.carried(Setting::ForStTimerService).is_some()
            || c.timers != TimerStore::default_for(version, c.backend))
    {
        push(Setting::ForStTimerService, c.timers.flink_value().into());
    }
    match (w.carried(Setting::Interval), w.checkpoint_interval_ms) {
        (Some(v), _) => push(Setting::Interval, v.into()),
        (None, Some(ms)) => push(Setting::Interval, format!("{ms} ms")),
        (None, None) => {}
    }
    for s in [Setting::Timeout, Setting::FrameSize] {
        if let Some(v) = w.carried(s) {
            push(s, v.into());
        }
    }
    out
}

fn java_string(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The same configuration in the job's code, in this version's API.
///
/// - `MemoryStateBackend(int)`, `FsStateBackend(String)`,
///   `RocksDBStateBackend(String, boolean)`: [1.6.2]–[1.20], deprecated
///   from [1.13.0], absent at [2.0].
/// - `HashMapStateBackend`, `EmbeddedRocksDBStateBackend(boolean)`,
///   `CheckpointConfig.setCheckpointStorage`, `JobManagerCheckpointStorage`:
///   new in [1.13.0] (FLIP-142).
/// - `StreamExecutionEnvironment.setStateBackend`: deprecated in [1.20],
///   absent at [2.0]; `getExecutionEnvironment(Configuration)` with
///   `StateBackendOptions` / `CheckpointingOptions` keys is the lasting
///   form (`CheckpointingOptions.CHECKPOINTING_INTERVAL` moved there in
///   [1.20]).
fn java_lines(version: FlinkVersion, w: &Wanted<'_>, entries: &[(String, String)]) -> Vec<String> {
    let mut out = Vec::new();
    if version.major < 2 {
        if version.at_least(1, 20) {
            out.push(
                "// 1.20: setStateBackend / setCheckpointStorage are deprecated (gone in 2.0); \
                 the Configuration form below is the lasting one"
                    .into(),
            );
        }
        if version.at_least(1, 13) {
            backend_and_storage_java(w.config, &mut out);
        } else {
            legacy_backend_java(w.config, &mut out);
        }
        let c = w.config;
        if c.backend == Backend::RocksDb && !version.at_least(1, 13) {
            out.push(format!(
                "// timers ({}): set in {}, state.backend.rocksdb.timer-service.factory",
                c.timers.flink_value(),
                format_for(version).file_name()
            ));
        }
        out.push(enable_checkpointing(w.checkpoint_interval_ms));
        if w.carried(Setting::Timeout).is_some() {
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
        configuration_java(version, w, entries, &mut out);
    }
    out
}

/// 1.6–1.12: the backend object is the storage too.
fn legacy_backend_java(c: &ResolvedConfig, out: &mut Vec<String>) {
    let dir = c
        .checkpoint_dir
        .as_deref()
        .map_or_else(|| "\"<checkpoint dir>\"".into(), java_string);
    match c.backend {
        Backend::Memory => {
            let size = match c.storage {
                Storage::JobManager { max_state_size }
                    if max_state_size != DEFAULT_MAX_STATE_SIZE =>
                {
                    max_state_size.to_string()
                }
                _ => String::new(),
            };
            out.push(format!(
                "env.setStateBackend(new MemoryStateBackend({size}));  // 5 MiB per \
                 subtask unless given, state inline in _metadata"
            ))
        }
        Backend::Fs | Backend::HashMap => {
            out.push(format!("env.setStateBackend(new FsStateBackend({dir}));"))
        }
        Backend::RocksDb => out.push(format!(
            "env.setStateBackend(new RocksDBStateBackend({dir}, {}));",
            c.incremental
        )),
        Backend::ForSt => {}
    }
}

/// 1.13–1.20 (FLIP-142): a backend, and a checkpoint storage beside it.
fn backend_and_storage_java(c: &ResolvedConfig, out: &mut Vec<String>) {
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
    match (c.storage, &c.checkpoint_dir) {
        (Storage::JobManager { .. }, _) => out.push(
            "env.getCheckpointConfig().setCheckpointStorage(new JobManagerCheckpointStorage());"
                .into(),
        ),
        (Storage::FileSystem { .. }, Some(d)) => out.push(format!(
            "env.getCheckpointConfig().setCheckpointStorage({});",
            java_string(d)
        )),
        (Storage::FileSystem { .. }, None) => {}
    }
}

/// 1.20 and 2.x: the entries as a `Configuration` handed to
/// `getExecutionEnvironment`, by their `ConfigOption` where the job may set
/// them.
fn configuration_java(
    version: FlinkVersion,
    w: &Wanted<'_>,
    entries: &[(String, String)],
    out: &mut Vec<String>,
) {
    let c = w.config;
    out.push("Configuration config = new Configuration();".into());
    for (k, v) in entries {
        let setting = Setting::ALL
            .into_iter()
            .find(|s| s.keys(version).is_some_and(|n| n.key == k));
        let (option, value) = match setting {
            Some(Setting::Backend) => ("StateBackendOptions.STATE_BACKEND", java_string(v)),
            Some(Setting::Storage) => ("CheckpointingOptions.CHECKPOINT_STORAGE", java_string(v)),
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
                    w.checkpoint_interval_ms.unwrap_or(0)
                ),
            ),
            Some(Setting::Timeout) => (
                "CheckpointingOptions.CHECKPOINTING_TIMEOUT",
                format!("Duration.ofMillis({})", c.limits.checkpoint_timeout_ms),
            ),
            // A cluster setting: the job cannot set it.
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
    if w.checkpoint_interval_ms.is_none() {
        out.push(enable_checkpointing(None));
    }
}

fn enable_checkpointing(interval_ms: Option<u64>) -> String {
    match interval_ms {
        Some(ms) => format!("env.enableCheckpointing({ms});"),
        None => "env.enableCheckpointing(/* interval ms */);  // off unless called".into(),
    }
}

/// SQL client statements: `SET 'key' = 'value';` from 1.14, `SET key =
/// value;` in 1.13 (docs `sqlClient.md` [1.14.2], [1.13.5]); before 1.13
/// the SQL client cannot set these per job. The frame size is a cluster
/// setting in every version.
fn sql_lines(version: FlinkVersion, entries: &[(String, String)]) -> Vec<String> {
    if !version.at_least(1, 13) {
        return vec![format!(
            "-- the SQL client of Flink {version} cannot set these per job: they belong in {}",
            format_for(version).file_name()
        )];
    }
    let frame = Setting::FrameSize.keys(version).map(|k| k.key);
    let mut out: Vec<String> = entries
        .iter()
        .filter(|(k, _)| Some(k.as_str()) != frame)
        .map(|(k, v)| {
            if version.at_least(1, 14) {
                format!("SET '{k}' = '{}';", v.replace('\'', "''"))
            } else {
                format!("SET {k} = {v};")
            }
        })
        .collect();
    if let Some(frame) = frame
        && entries.iter().any(|(k, _)| k == frame)
    {
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
pub fn file_lines(format: ConfFormat, entries: &[(String, String)]) -> Vec<String> {
    let flat = || {
        entries
            .iter()
            .map(|(k, v)| format!("{k}: {}", yaml_value(format, v)))
            .collect()
    };
    if format == ConfFormat::Legacy {
        return flat();
    }
    let clash = entries.iter().any(|(a, _)| {
        entries.iter().any(|(b, _)| {
            b.len() > a.len() && b.starts_with(a.as_str()) && b[a.len()..].starts_with('.')
        })
    });
    if clash {
        return flat();
    }
    // Nest: keys in order, each sharing the longest common prefix with the
    // previous key.
    let mut sorted: Vec<&(String, String)> = entries.iter().collect();
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_config_yaml_nests() {
        let w = vec![
            ("state.backend.type".to_string(), "rocksdb".to_string()),
            ("execution.checkpointing.dir".into(), "s3://b/c".into()),
            ("execution.checkpointing.incremental".into(), "true".into()),
        ];
        assert_eq!(
            file_lines(ConfFormat::Standard, &w),
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
            file_lines(ConfFormat::Standard, &w)[0],
            "state.backend: rocksdb"
        );
    }
}
