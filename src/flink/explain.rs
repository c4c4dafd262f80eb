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
use crate::flink::config::catalog;
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
    /// Where each key was set: `line 12`, `FLINK_PROPERTIES line 2`, `-D`.
    origins: BTreeMap<String, String>,
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
    explain_file_with(path, version, None, &[])
}

/// [`explain_file`], with what is set outside the file laid over it in the
/// order Flink applies it: the lines of `FLINK_PROPERTIES`, then each
/// `-D key=value` (see [`ConfFile::overlay`]).
pub fn explain_file_with(
    path: &Path,
    version: &str,
    flink_properties: Option<&str>,
    dynamic: &[String],
) -> crate::Result<Explanation> {
    let v: FlinkVersion = version.parse().map_err(|e| Error::Config {
        path: path.to_path_buf(),
        message: format!("--flink-version: {e}"),
    })?;
    let mut conf = conf_file::load(path, v)?;
    conf.overlay(flink_properties, dynamic)?;
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
            severity: if n.line == 0
                || n.message.contains("is set again")
                || n.message.contains("set twice")
            {
                Severity::Note
            } else {
                Severity::Warning
            },
            line: (n.line > 0).then_some(n.line),
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
    let operator_file = conf
        .entries
        .keys()
        .any(|k| k.starts_with("kubernetes.operator."));
    if operator_file {
        traps.push(Trap {
            severity: Severity::Note,
            line: None,
            key: None,
            message: "kubernetes.operator.* keys: this looks like the Flink Kubernetes \
                      Operator's own configuration, which the operator reads (as \
                      flink-conf.yaml, whatever the Flink version of its jobs); a job's \
                      settings go in its FlinkDeployment's spec.flinkConfiguration"
                .into(),
        });
    }
    if conf.format == ConfFormat::Legacy
        && version.at_least(1, 19)
        && version.major == 1
        && !operator_file
    {
        traps.push(Trap {
            severity: Severity::Note,
            line: None,
            key: None,
            message: "flink-conf.yaml is deprecated from 1.19 and not read by Flink 2.x: \
                      move to config.yaml (bin/migrate-config-file.sh in 1.20)"
                .into(),
        });
    }
    for o in &conf.overrides {
        let message = match &o.replaced {
            Some((old, at)) => format!(
                "{} sets '{}: {}' over '{old}' ({at})",
                o.origin, o.key, o.value
            ),
            None => format!("{} sets '{}: {}'", o.origin, o.key, o.value),
        };
        traps.push(Trap {
            severity: Severity::Note,
            line: None,
            key: Some(o.key.clone()),
            message,
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
        origins: conf
            .entries
            .keys()
            .filter_map(|k| conf.origin_of(k).map(|o| (k.clone(), o)))
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
    let mut unknown = 0usize;
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
        if let Some(var) = template_variable(value) {
            push(
                traps,
                Severity::Warning,
                format!(
                    "'{value}' holds the template variable {var}, not rendered: Flink does not \
                     expand variables in its configuration file and reads the text as written; \
                     render the file (envsubst, Helm, the operator) before Flink reads it"
                ),
            );
        }
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
            KeyStatus::Unknown if passes_through(key, version) => {}
            KeyStatus::Unknown if catalog::knows(version, key).is_some() => {
                if catalog::knows(version, key) == Some(true) {
                    continue;
                }
                unknown += 1;
                if unknown > MAX_UNKNOWN_NAMED {
                    continue;
                }
                let elsewhere: Vec<String> = catalog::versions()
                    .into_iter()
                    .filter(|v| {
                        v.parse::<FlinkVersion>()
                            .is_ok_and(|fv| catalog::knows(fv, key) == Some(true))
                    })
                    .collect();
                let known = match elsewhere.as_slice() {
                    [] => String::new(),
                    [one] => format!(" (Flink {one} knows it)"),
                    [first, .., last] => format!(" (Flink {first} to {last} know it)"),
                };
                let near = match catalog::closest(version, key) {
                    Some(n) => format!(" (did you mean '{n}'?)"),
                    None => String::new(),
                };
                push(
                    traps,
                    Severity::Warning,
                    format!(
                        "Flink {version} has no key '{key}'{known} and ignores it without a \
                         word{near}"
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
    if unknown > MAX_UNKNOWN_NAMED {
        traps.push(Trap {
            severity: Severity::Warning,
            line: None,
            key: None,
            message: format!(
                "{} more keys Flink {version} does not know (the first {MAX_UNKNOWN_NAMED} are \
                 named above)",
                unknown - MAX_UNKNOWN_NAMED
            ),
        });
    }
}

/// Unknown keys named one by one; the rest are counted.
const MAX_UNKNOWN_NAMED: usize = 50;

/// Keys read by file-system plugins, metric reporters, deployment modules
/// or Hadoop rather than by a `ConfigOption` of Flink's distribution: not
/// checked against the catalog.
const PASS_THROUGH: &[&str] = &[
    "fs.",
    "s3.",
    "s3a.",
    "s3p.",
    "presto.s3.",
    "gs.",
    "oss.",
    "azure.",
    "metrics.reporter.",
    "yarn.",
    "kubernetes.",
    "flink.hadoop.",
    "flink.yarn.",
    "hadoop.",
    "table.",
    "sql-gateway.",
    "security.",
    "env.",
    "python.",
];

/// Also `restart-strategy*` before 1.10, which reads them as plain strings
/// (`RestartStrategyOptions` is from 1.10).
fn passes_through(key: &str, version: FlinkVersion) -> bool {
    PASS_THROUGH.iter().any(|p| key.starts_with(p))
        || (!version.at_least(1, 10) && key.starts_with("restart-strategy"))
}

/// The first `${NAME}` (or `$NAME` at the start of the value) in `value`: a
/// template left unrendered.
fn template_variable(value: &str) -> Option<&str> {
    if let Some(i) = value.find("${") {
        let end = value[i..].find('}').map_or(value.len(), |j| i + j + 1);
        return Some(&value[i..end]);
    }
    let rest = value.strip_prefix('$')?;
    let name_len = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    (name_len > 0 && rest.starts_with(|c: char| c.is_ascii_uppercase() || c == '_'))
        .then(|| &value[..1 + name_len])
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
                            let at = self.origins.get(key.as_str());
                            format!(
                                "from '{key}'{}{}",
                                at.map(|o| format!(" ({o})")).unwrap_or_default(),
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
    fn a_line_fusing_two_entries_is_called_out() {
        // A missing line break, as in a file written by a template that
        // dropped a newline.
        let e = explain_text(
            "fs.s3a.path.style.access: truejobmanager.rpc.address: jobmanager\n\
             state.backend: rocksdb\n",
            "flink-conf.yaml",
            "1.17",
        );
        let t = e.traps_about("the value holds another entry");
        assert_eq!(t.len(), 1, "{e}");
        assert_eq!(t[0].line, Some(1));
        assert!(
            t[0].message.contains("jobmanager.rpc.address: jobmanager"),
            "{e}"
        );
        // Values with a colon that is not an entry are left alone.
        let e = explain_text(
            "state.checkpoints.dir: s3://bucket/cp\nenv.java.opts: -Da=b: c\n",
            "flink-conf.yaml",
            "1.17",
        );
        assert!(
            e.traps_about("the value holds another entry").is_empty(),
            "{e}"
        );
    }

    #[test]
    fn unrendered_template_variables_are_called_out() {
        let e = explain_text(
            "state.backend: ${STATE_BACKEND}\nstate.checkpoints.dir: $CHECKPOINT_DIR\n\
             execution.checkpointing.interval: 10 s\n",
            "flink-conf.yaml",
            "1.17",
        );
        let t = e.traps_about("not rendered");
        assert_eq!(t.len(), 2, "{e}");
        assert!(t.iter().any(|t| t.message.contains("${STATE_BACKEND}")));
        assert!(t.iter().any(|t| t.message.contains("$CHECKPOINT_DIR")));
    }

    #[test]
    fn a_renamed_file_gets_one_note_about_the_file_not_a_line() {
        let e = explain_text("state.backend: rocksdb\n", "flink-conf-prod.yaml", "1.17");
        let t = e.traps_about("Flink reads only files named");
        assert_eq!(t.len(), 1);
        assert_eq!((t[0].severity, t[0].line), (Severity::Note, None));
    }

    #[test]
    fn an_operator_configuration_is_not_told_to_migrate() {
        let text = "kubernetes.operator.reconcile.interval: 15 s\n\
                    kubernetes.operator.metrics.reporter.slf4j.interval: 5 MINUTE\n";
        let e = explain_text(text, "flink-conf.yaml", "1.20");
        assert!(e.traps_about("move to config.yaml").is_empty(), "{e}");
        assert_eq!(e.traps_about("Kubernetes Operator").len(), 1, "{e}");
        let e = explain_text("state.backend: rocksdb\n", "flink-conf.yaml", "1.20");
        assert_eq!(e.traps_about("move to config.yaml").len(), 1, "{e}");
    }

    #[test]
    fn flink_properties_then_dynamic_properties_win_over_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("flink-conf.yaml");
        std::fs::write(
            &path,
            "state.backend: hashmap\nstate.checkpoints.dir: file:///cp\n\
             execution.checkpointing.interval: 10 s\n",
        )
        .unwrap();
        let props = "state.backend: filesystem\nstate.backend.incremental: true";
        // FLINK_PROPERTIES over the file.
        let e = explain_file_with(&path, "1.17", Some(props), &[]).unwrap();
        let r = e.outcome.as_ref().unwrap();
        assert_eq!(r.config.backend, crate::flink::Backend::HashMap, "{e}");
        assert!(e.to_string().contains("FLINK_PROPERTIES line 1"), "{e}");
        // -D over both.
        let e = explain_file_with(
            &path,
            "1.17",
            Some(props),
            &["state.backend=rocksdb".to_string()],
        )
        .unwrap();
        let r = e.outcome.as_ref().unwrap();
        assert_eq!(r.config.backend, crate::flink::Backend::RocksDb, "{e}");
        assert!(
            e.traps_about(
                "-D sets 'state.backend: rocksdb' over 'filesystem' (FLINK_PROPERTIES line 1)"
            )
            .len()
                == 1,
            "{e}"
        );
        // A -D without '=' is a usage error.
        assert!(explain_file_with(&path, "1.17", None, &["state.backend".into()]).is_err());
    }

    #[test]
    fn keys_the_version_does_not_know_are_named_with_the_closest_it_does() {
        let text = "execution.checkpointing.enabled: true\n\
                    taskmanager.numberOfTaskManagers: 3\n\
                    taskmanager.numberOfTaskSlot: 4\n\
                    taskmanager.numberOfTaskSlots: 4\n\
                    parallelism.default: 8\n\
                    fs.s3a.endpoint: http://minio:9000\n";
        let e = explain_text(text, "flink-conf.yaml", "1.20");
        let unknown = e.traps_about("has no key");
        let keys: Vec<&str> = unknown.iter().filter_map(|t| t.key.as_deref()).collect();
        assert_eq!(
            keys,
            [
                "execution.checkpointing.enabled",
                "taskmanager.numberOfTaskManagers",
                "taskmanager.numberOfTaskSlot"
            ],
            "{e}"
        );
        assert!(
            unknown[2]
                .message
                .contains("did you mean 'taskmanager.numberOfTaskSlots'?"),
            "{e}"
        );
        // A key of another version says which versions know it.
        let e = explain_text(
            "jobmanager.adaptive-batch-scheduler.max-parallelism: 64\n",
            "flink-conf.yaml",
            "1.13",
        );
        let t = e.traps_about("has no key");
        assert!(t.len() == 1 && t[0].message.contains("know it)"), "{e}");
        // Thousands of unknown keys: fifty named, the rest counted.
        let many: String = (0..2000).map(|i| format!("no.such.key{i}: 1\n")).collect();
        let e = explain_text(&many, "flink-conf.yaml", "1.20");
        assert_eq!(e.traps_about("has no key").len(), MAX_UNKNOWN_NAMED);
        assert_eq!(e.traps_about("1950 more keys").len(), 1);
    }

    #[test]
    fn levenshtein() {
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("", "ab"), 2);
    }
}
