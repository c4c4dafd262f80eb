//! Flink configuration files read into flat `key -> value` entries.
//!
//! This reads the flat `key: value` form that `flink-conf.yaml` uses and
//! that `config.yaml` (1.19+) also accepts; nested YAML is read by the
//! fuller loader that replaces this one.

use crate::error::{Error, Result};
use crate::flink::FlinkVersion;
use std::collections::BTreeMap;
use std::path::Path;

/// A configuration file's entries.
#[derive(Debug, Clone, Default)]
pub struct ConfFile {
    /// Flat keys and their values.
    pub entries: BTreeMap<String, String>,
    lines: BTreeMap<String, usize>,
}

impl ConfFile {
    /// The 1-based line a key was read from.
    pub fn line_of(&self, key: &str) -> Option<usize> {
        self.lines.get(key).copied()
    }
}

/// Reads `path` (`flink-conf.yaml` or flat `config.yaml`).
pub fn load(path: &Path, _version: FlinkVersion) -> Result<ConfFile> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let mut out = ConfFile::default();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.split(" #").next().unwrap_or("").trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((k, v)) = line.split_once(':') else {
            return Err(Error::Config {
                path: path.to_path_buf(),
                message: format!("line {}: expected `key: value`, got '{line}'", i + 1),
            });
        };
        let k = k.trim().to_string();
        let v = v.trim().trim_matches(|c| c == '"' || c == '\'').to_string();
        out.lines.insert(k.clone(), i + 1);
        out.entries.insert(k, v);
    }
    Ok(out)
}
