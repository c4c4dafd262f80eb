//! `statecap explain-config`: what a Flink configuration file really gives
//! on one Flink version — backend, checkpoint storage, limits, the defaults
//! it leans on — with the traps called out, and the same configuration
//! written in that version's key names, as Java and as SQL `SET` lines.
//!
//! The rules themselves live in [`crate::flink::config`] (which key, which
//! default, per version) and [`crate::flink::conf_file`] (how the file is
//! parsed), and the same configuration is written by [`crate::flink::emit`];
//! this module finds the traps and puts them side by side for a person.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::flink::FlinkVersion;
use crate::flink::conf_file::{self, ConfFile, ConfFormat};
use crate::flink::config::{
    self, Backend, ConfError, Explicit, KeyStatus, Resolution, Setting, Severity, Source, Storage,
};
use crate::flink::emit::{Emitted, Wanted, emit};
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
    /// The same configuration written in this version's key names, Java
    /// and SQL (`None` when Flink would refuse it).
    pub written: Option<Emitted>,
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

    let written = intended
        .as_ref()
        .ok()
        .map(|r| emit(version, &wanted(conf, r)));
    Explanation {
        path: conf.path.clone(),
        version,
        format: conf.format,
        not_read: conf.not_read.clone(),
        outcome,
        traps,
        written,
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

/// What the file asks for: the resolved configuration, and the settings
/// it set that follow the job (written back as the file wrote them).
fn wanted<'a>(conf: &ConfFile, r: &'a Resolution) -> Wanted<'a> {
    let carried = [
        Setting::SavepointDir,
        Setting::InlineThreshold,
        Setting::Incremental,
        Setting::TimerService,
        Setting::ForStTimerService,
        Setting::Interval,
        Setting::Timeout,
        Setting::FrameSize,
    ]
    .into_iter()
    .filter_map(|s| match &r.decision(s)?.source {
        Source::Key { key, .. } => Some((s, conf.entries.get(key)?.trim().to_string())),
        _ => None,
    })
    .collect();
    Wanted {
        config: &r.config,
        checkpoint_interval_ms: r.checkpoint_interval_ms,
        carried,
    }
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
        if let Some(w) = &self.written {
            writeln!(f)?;
            writeln!(
                f,
                "The same configuration for Flink {v}, in its key names ({}{})",
                w.file_name(),
                if v.at_least(1, 19) && v.major == 1 {
                    "; flink-conf.yaml takes the same keys flat"
                } else {
                    ""
                }
            )?;
            for l in w.file_lines() {
                writeln!(f, "  {l}")?;
            }
            writeln!(f)?;
            writeln!(f, "Java (in the job)")?;
            for l in &w.java {
                if l.is_empty() {
                    writeln!(f)?;
                } else {
                    writeln!(f, "  {l}")?;
                }
            }
            writeln!(f)?;
            writeln!(f, "SQL client")?;
            for l in &w.sql {
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
            e.written
                .as_ref()
                .unwrap()
                .entries
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
    fn levenshtein() {
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("", "ab"), 2);
    }
}
