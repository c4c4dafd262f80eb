//! Reading a Flink configuration file the way the Flink version reads it:
//! flat `key → value` entries, each with the line it came from.
//!
//! Two formats exist (`GlobalConfiguration`):
//!
//! - **`flink-conf.yaml`** (1.6–1.20; `loadYAMLResource` [1.6.2] …
//!   `loadLegacyYAMLResource` [1.20]) is *not* YAML: each line is cut at the
//!   first `#`, trimmed, and split at the first `": "`; lines without one,
//!   or with an empty key or value, are skipped with a warning; quotes stay
//!   part of the value; indentation means nothing; a later line wins.
//! - **`config.yaml`** (1.19+, `loadYAMLResource` with snakeyaml-engine's
//!   YAML 1.2 core schema [1.19][1.20][2.0]) is standard YAML: nested maps
//!   flatten to dotted keys, lists become flow YAML (`[a, b]`), scalars
//!   resolve by the core schema (`true`, `0x10` → `16`, `1e3` → `1000.0`),
//!   a `null` value or a duplicate key is an error.
//!
//! Which file a version reads: 1.6–1.18 only `flink-conf.yaml`; 1.19 and
//! 1.20 `flink-conf.yaml` if it exists, else `config.yaml`; 2.x only
//! `config.yaml`. A file the version does not read is still parsed (so the
//! report can say what it meant), and [`ConfFile::not_read`] says why Flink
//! ignores it.
//!
//! Bounds: a file larger than [`MAX_FILE_BYTES`] is refused (Flink's
//! configuration files are a few kilobytes; snakeyaml-engine, which reads
//! `config.yaml` for Flink, stops at 3 MiB). In `config.yaml`, aliases of
//! lists and maps are refused beyond [`MAX_COLLECTION_ALIASES`] as Flink
//! refuses them (snakeyaml-engine's `maxAliasesForCollections`, 50 by
//! default, which Flink keeps), and the document the aliases expand to is
//! refused above [`MAX_EXPANDED_BYTES`], so a "billion laughs" file is an
//! error naming its line instead of exhausting memory.
//!
//! This module only reads files; what the entries mean is
//! [`crate::flink::config`]'s business.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use crate::error::{Error, Result};
use crate::flink::FlinkVersion;

/// Largest configuration file read: 1 MiB.
pub const MAX_FILE_BYTES: u64 = 1 << 20;

/// Most aliases of lists and maps in a `config.yaml`: Flink's own limit
/// (snakeyaml-engine `LoadSettings.maxAliasesForCollections`, default 50,
/// which `YamlParserUtils` does not change).
pub const MAX_COLLECTION_ALIASES: usize = 50;

/// Largest document the aliases of a `config.yaml` may expand to, in bytes
/// of nodes held (each node counted as 64 bytes plus its text).
pub const MAX_EXPANDED_BYTES: usize = 64 << 20;

/// Bytes a node counts for [`MAX_EXPANDED_BYTES`] besides its text.
const NODE_BYTES: usize = 64;

/// The two configuration file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfFormat {
    /// `flink-conf.yaml`: Flink's line parser.
    Legacy,
    /// `config.yaml`: standard YAML (1.19+).
    Standard,
}

impl ConfFormat {
    /// The file name Flink looks for.
    pub fn file_name(self) -> &'static str {
        match self {
            ConfFormat::Legacy => "flink-conf.yaml",
            ConfFormat::Standard => "config.yaml",
        }
    }
}

/// Something Flink's parser does quietly (it logs at most a warning) that
/// changes what the file means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileNote {
    /// 1-based line (0: the file as a whole).
    pub line: usize,
    /// The key concerned, if the line has one.
    pub key: Option<String>,
    /// What happens.
    pub message: String,
}

/// A configuration file as one Flink version reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfFile {
    /// The file.
    pub path: PathBuf,
    /// The version whose rules were applied.
    pub version: FlinkVersion,
    /// How it was parsed.
    pub format: ConfFormat,
    /// Flat keys and their values, as Flink's `Configuration` holds them
    /// (as strings).
    pub entries: BTreeMap<String, String>,
    /// Parser quirks worth telling the user.
    pub notes: Vec<FileNote>,
    /// Why this version does not read this file at all, if it does not.
    pub not_read: Option<String>,
    /// Entries set outside the file, in the order Flink applied them
    /// (see [`ConfFile::overlay`]).
    pub overrides: Vec<Override>,
    lines: BTreeMap<String, usize>,
}

/// An entry set outside the file: a line of `FLINK_PROPERTIES` or a `-D`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Override {
    /// Where it comes from: `FLINK_PROPERTIES line 2`, `-D`.
    pub origin: String,
    /// The key.
    pub key: String,
    /// Its value.
    pub value: String,
    /// The value it replaced and where that was set, if it replaced one.
    pub replaced: Option<(String, String)>,
}

impl ConfFile {
    /// The 1-based line that set `key` (the last one, when set twice).
    pub fn line_of(&self, key: &str) -> Option<usize> {
        self.lines.get(key).copied()
    }

    /// Where `key` was set: `line 12`, `FLINK_PROPERTIES line 2` or `-D`
    /// (the last that set it).
    pub fn origin_of(&self, key: &str) -> Option<String> {
        match self.overrides.iter().rev().find(|o| o.key == key) {
            Some(o) => Some(o.origin.clone()),
            None => self.line_of(key).map(|l| format!("line {l}")),
        }
    }

    /// Lays the entries set outside the file over it, in the order Flink
    /// applies them: first the lines of `FLINK_PROPERTIES` (the official
    /// Docker image's entrypoint appends them to the configuration file, so
    /// they win over the file's own lines), then every `-D key=value`
    /// (dynamic properties: the launchers, `flink run -D` and
    /// `jobmanager.sh`/`taskmanager.sh`, apply them over the loaded file),
    /// later ones winning. Each key keeps its first place in the file's
    /// report; its line is no longer the one that decides.
    pub fn overlay(&mut self, flink_properties: Option<&str>, dynamic: &[String]) -> Result<()> {
        let mut sets: Vec<(String, String, String)> = Vec::new();
        if let Some(text) = flink_properties {
            let (entries, lines, _) = parse_legacy(text);
            let mut ordered: Vec<(usize, String)> =
                lines.into_iter().map(|(k, l)| (l, k)).collect();
            ordered.sort();
            for (l, k) in ordered {
                let v = entries[&k].clone();
                sets.push((format!("FLINK_PROPERTIES line {l}"), k, v));
            }
        }
        for d in dynamic {
            let Some((k, v)) = d.split_once('=') else {
                return Err(Error::usage(
                    "-D",
                    format!("'{d}' is not key=value (e.g. -D state.backend.type=rocksdb)"),
                ));
            };
            let (k, v) = (k.trim(), v.trim());
            if k.is_empty() {
                return Err(Error::usage("-D", format!("'{d}' has no key")));
            }
            sets.push(("-D".to_string(), k.to_string(), v.to_string()));
        }
        for (origin, key, value) in sets {
            let replaced = self
                .entries
                .get(&key)
                .map(|old| (old.clone(), self.origin_of(&key).unwrap_or_default()));
            self.entries.insert(key.clone(), value.clone());
            self.overrides.push(Override {
                origin,
                key,
                value,
                replaced,
            });
        }
        Ok(())
    }

    /// Parses `text` as the file at `path` (its name picks the format; for
    /// other names, see [`format_for`]). Does not look at the disk.
    pub fn parse(text: &str, path: &Path, version: FlinkVersion) -> Result<ConfFile> {
        let format = format_for(path, text, version);
        let (entries, lines, mut notes) = match format {
            ConfFormat::Legacy => parse_legacy(text),
            ConfFormat::Standard => parse_standard(text).map_err(|e| Error::Config {
                path: path.to_path_buf(),
                message: e,
            })?,
        };
        if !matches!(file_name(path), "flink-conf.yaml" | "config.yaml") {
            notes.insert(
                0,
                FileNote {
                    // About the file, not a line of it.
                    line: 0,
                    key: None,
                    message: format!(
                        "Flink reads only files named flink-conf.yaml or config.yaml; this one is \
                         read as {} would be ({})",
                        format.file_name(),
                        match format {
                            ConfFormat::Legacy => "flat `key: value` lines",
                            ConfFormat::Standard => "standard YAML",
                        }
                    ),
                },
            );
        }
        let not_read = not_read(format, version);
        Ok(ConfFile {
            path: path.to_path_buf(),
            version,
            format,
            entries,
            notes,
            not_read,
            overrides: Vec::new(),
            lines,
        })
    }
}

/// Reads the configuration file at `path` as Flink `version` reads it.
///
/// Errors (unreadable file, YAML syntax, a duplicate key, a key without a
/// value in `config.yaml`) name the file, the line and the key. For a
/// `config.yaml` on 1.19/1.20 with a `flink-conf.yaml` beside it,
/// [`ConfFile::not_read`] says that Flink reads the other file.
pub fn load(path: &Path, version: FlinkVersion) -> Result<ConfFile> {
    let bytes = read_bounded(path)?;
    let text = String::from_utf8(bytes).map_err(|e| Error::Config {
        path: path.to_path_buf(),
        message: format!("not UTF-8 text (byte {})", e.utf8_error().valid_up_to()),
    })?;
    let mut conf = ConfFile::parse(&text, path, version)?;
    if conf.format == ConfFormat::Standard
        && conf.not_read.is_none()
        && version.major == 1
        && file_name(path) == "config.yaml"
    {
        let legacy = path
            .parent()
            .unwrap_or(Path::new("."))
            .join("flink-conf.yaml");
        if legacy.is_file() {
            // GlobalConfiguration.loadConfiguration [1.19][1.20]: the legacy
            // file is looked up first.
            conf.not_read = Some(format!(
                "{} sits in the same directory, and Flink {version} reads it instead of \
                 config.yaml (GlobalConfiguration looks for the legacy file first)",
                legacy.display()
            ));
        }
    }
    Ok(conf)
}

/// The file's bytes, refused (naming the line where the limit falls) when
/// it holds more than [`MAX_FILE_BYTES`].
fn read_bounded(path: &Path) -> Result<Vec<u8>> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(path, e))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        let line = 1 + bytes[..MAX_FILE_BYTES as usize]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        let size = std::fs::metadata(path).map_or(bytes.len() as u64, |m| m.len());
        return Err(Error::Config {
            path: path.to_path_buf(),
            message: format!(
                "line {line}: the file is {size} bytes, more than the {MAX_FILE_BYTES} bytes \
                 (1 MiB) statecap reads from a Flink configuration file (the limit is reached \
                 on this line); a Flink configuration is a few kilobytes"
            ),
        });
    }
    Ok(bytes)
}

fn file_name(path: &Path) -> &str {
    path.file_name().and_then(|n| n.to_str()).unwrap_or("")
}

/// The format a file is read in: by its name (`flink-conf.yaml`,
/// `config.yaml`); for other names, by the version (legacy up to 1.18,
/// standard from 2.0; on 1.19/1.20 standard when the file nests keys under
/// indented lines, else legacy).
pub fn format_for(path: &Path, text: &str, version: FlinkVersion) -> ConfFormat {
    let name = file_name(path);
    if name == "flink-conf.yaml" || name.ends_with("flink-conf.yaml") {
        ConfFormat::Legacy
    } else if name == "config.yaml" || version.major >= 2 {
        ConfFormat::Standard
    } else if !version.at_least(1, 19) {
        ConfFormat::Legacy
    } else if text.lines().any(|l| {
        let t = l.trim_start();
        l.len() != t.len() && !t.starts_with('#') && !t.is_empty()
    }) {
        ConfFormat::Standard
    } else {
        ConfFormat::Legacy
    }
}

/// Why `version` does not read a file of this format, if it does not
/// (`GlobalConfiguration.loadConfiguration` [1.6.2][1.18][1.19][2.0]).
fn not_read(format: ConfFormat, version: FlinkVersion) -> Option<String> {
    match format {
        ConfFormat::Legacy if version.major >= 2 => Some(format!(
            "Flink {version} reads only config.yaml (standard YAML); flink-conf.yaml is not read \
             at all, so none of its entries apply: migrate it to config.yaml \
             (bin/migrate-config-file.sh of Flink 1.20 does; `statecap explain-config` writes it)"
        )),
        ConfFormat::Standard if !version.at_least(1, 19) => Some(format!(
            "Flink {version} reads only flink-conf.yaml; config.yaml is read from 1.19 on, so \
             none of its entries apply: write them as flat `key: value` lines in flink-conf.yaml \
             (`statecap explain-config` writes it)"
        )),
        _ => None,
    }
}

type Parsed = (
    BTreeMap<String, String>,
    BTreeMap<String, usize>,
    Vec<FileNote>,
);

/// Java's `String.trim()`: strips every char up to U+0020.
fn java_trim(s: &str) -> &str {
    s.trim_matches(|c: char| c <= ' ')
}

/// Lines as Java's `BufferedReader.readLine` splits them (`\n`, `\r\n`,
/// `\r`).
fn java_lines(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        match rest.find(['\n', '\r']) {
            Some(i) => {
                out.push(&rest[..i]);
                let skip = if rest[i..].starts_with("\r\n") { 2 } else { 1 };
                rest = &rest[i + skip..];
            }
            None => {
                out.push(rest);
                rest = "";
            }
        }
    }
    out
}

/// `GlobalConfiguration.loadYAMLResource` [1.6.2] / `loadLegacyYAMLResource`
/// [1.20], line by line, with a note wherever the result is not what a YAML
/// reader would expect.
pub fn parse_legacy(text: &str) -> Parsed {
    let mut entries = BTreeMap::new();
    let mut lines: BTreeMap<String, usize> = BTreeMap::new();
    let mut notes = Vec::new();
    for (i, line) in java_lines(text).into_iter().enumerate() {
        let n = i + 1;
        // 1. check for comments: line.split("#", 2)[0].trim()
        let (before, comment) = match line.split_once('#') {
            Some((b, c)) => (b, Some(c)),
            None => (line, None),
        };
        let conf = java_trim(before);
        if conf.is_empty() {
            continue;
        }
        // 2. get key and value: conf.split(": ", 2)
        let Some((k, v)) = conf.split_once(": ") else {
            let message = if conf.ends_with(':') {
                format!(
                    "'{conf}' opens a nested YAML block: flink-conf.yaml has no nesting, Flink \
                     skips this line (\"Line is not a key-value pair\") and reads each indented \
                     line below as a key of its own; write flat dotted keys"
                )
            } else {
                format!(
                    "'{conf}' is not a `key: value` line (missing space after ':'?): Flink \
                     skips it"
                )
            };
            notes.push(FileNote {
                line: n,
                key: None,
                message,
            });
            continue;
        };
        let (key, value) = (java_trim(k), java_trim(v));
        if key.is_empty() || value.is_empty() {
            notes.push(FileNote {
                line: n,
                key: (!key.is_empty()).then(|| key.to_string()),
                message: "key or value is empty: Flink skips this line".into(),
            });
            continue;
        }
        if line.starts_with([' ', '\t']) {
            notes.push(FileNote {
                line: n,
                key: Some(key.to_string()),
                message: format!(
                    "indented, but flink-conf.yaml has no nesting: this line sets the key \
                     '{key}' as written"
                ),
            });
        }
        let quoted = value.len() >= 2
            && ((value.starts_with('"') && value.ends_with('"'))
                || (value.starts_with('\'') && value.ends_with('\'')));
        if quoted {
            notes.push(FileNote {
                line: n,
                key: Some(key.to_string()),
                message: format!(
                    "the quotes are part of the value in flink-conf.yaml: '{key}' is {value} \
                     with its quotes; write it without them"
                ),
            });
        }
        if let Some(c) = comment
            && !before.ends_with([' ', '\t'])
            && !c.trim().is_empty()
        {
            notes.push(FileNote {
                line: n,
                key: Some(key.to_string()),
                message: format!(
                    "'#' starts a comment anywhere in flink-conf.yaml: the value is cut to \
                     '{value}' (#{c} is dropped)"
                ),
            });
        }
        if let Some((glued, other)) = fused_entry(value) {
            notes.push(FileNote {
                line: n,
                key: Some(key.to_string()),
                message: format!(
                    "the value holds another entry, '{other}': a line break is missing; \
                     Flink reads one key '{key}' with the value '{value}', and '{other}' is \
                     not set{}; split the line",
                    if glued.is_empty() {
                        String::new()
                    } else {
                        format!(" ('{key}' is meant to be '{glued}')")
                    }
                ),
            });
        }
        if let Some(prev) = lines.get(key) {
            notes.push(FileNote {
                line: n,
                key: Some(key.to_string()),
                message: format!("'{key}' is set again (first on line {prev}): this line wins"),
            });
        }
        entries.insert(key.to_string(), value.to_string());
        lines.insert(key.to_string(), n);
    }
    (entries, lines, notes)
}

/// Two entries glued on one line (`fs.s3a.path.style.access: truejobmanager.rpc.address: jobmanager`):
/// the value's text before the second entry's key, and that entry
/// (`jobmanager.rpc.address: jobmanager`). The second key is the longest
/// dotted Flink-style key (`word.word…`) ending right before `: `; where the
/// glued text runs into it without a separator, the split is where a key
/// Flink knows begins, else at the first dotted word.
pub fn fused_entry(value: &str) -> Option<(String, String)> {
    let at = value.find(": ")?;
    let before = &value[..at];
    let token_start = before
        .rfind(|c: char| c.is_whitespace())
        .map_or(0, |i| i + 1);
    let token = &before[token_start..];
    let keyish = |t: &str| {
        t.contains('.')
            && !t.starts_with('.')
            && !t.ends_with('.')
            && t.starts_with(|c: char| c.is_ascii_lowercase())
            && t.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
            && !t.split('.').any(str::is_empty)
    };
    if !keyish(token) {
        return None;
    }
    // Where the key starts: the first suffix a Flink version knows, else
    // the first segment boundary that leaves a dotted key.
    let starts = token.char_indices().map(|(i, _)| i);
    let split = starts
        .clone()
        .find(|&i| super::config::catalog::known_anywhere(&token[i..]))
        .unwrap_or(0);
    let glued = format!("{}{}", &value[..token_start], &token[..split]);
    let other = format!("{}{}", &token[split..], &value[at..]);
    Some((glued.trim().to_string(), other.trim().to_string()))
}

/// A YAML node with the line it starts on.
#[derive(Debug, Clone)]
enum Node {
    Scalar {
        value: String,
        plain: bool,
        line: usize,
    },
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

/// Builds the document tree from yaml-rust2's events (as its own
/// `YamlLoader` does), keeping each scalar's line.
/// Aliases are expanded (each a copy of its anchor's node), within
/// [`MAX_COLLECTION_ALIASES`] and [`MAX_EXPANDED_BYTES`].
#[derive(Default)]
struct Builder {
    docs: Vec<Node>,
    stack: Vec<(Node, usize)>,
    pending_keys: Vec<Option<Node>>,
    /// Each anchor's node and its weight (see [`weight`]).
    anchors: HashMap<usize, (Node, usize)>,
    /// Aliases of lists and maps so far.
    collection_aliases: usize,
    /// Weight of every node built so far, aliases expanded.
    expanded: usize,
    error: Option<String>,
}

/// What a node counts for [`MAX_EXPANDED_BYTES`]: [`NODE_BYTES`] per node
/// plus the text of its scalars.
fn weight(node: &Node) -> usize {
    match node {
        Node::Scalar { value, .. } => NODE_BYTES + value.len(),
        Node::Seq(items) => NODE_BYTES + items.iter().map(weight).sum::<usize>(),
        Node::Map(entries) => {
            NODE_BYTES
                + entries
                    .iter()
                    .map(|(k, v)| weight(k) + weight(v))
                    .sum::<usize>()
        }
    }
}

impl Builder {
    fn insert(&mut self, node: Node, anchor: usize) {
        if anchor > 0 {
            let w = weight(&node);
            self.anchors.insert(anchor, (node.clone(), w));
        }
        match self.stack.last_mut() {
            None => self.stack.push((node, 0)),
            Some((Node::Seq(items), _)) => items.push(node),
            Some((Node::Map(entries), _)) => {
                let slot = self.pending_keys.last_mut().expect("a key slot per map");
                match slot.take() {
                    None => *slot = Some(node),
                    Some(key) => entries.push((key, node)),
                }
            }
            Some((Node::Scalar { .. }, _)) => unreachable!("scalars hold no children"),
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        if self.error.is_some() {
            // The file is refused: the rest is only parsed through.
            return;
        }
        match ev {
            Event::DocumentEnd => match self.stack.pop() {
                Some((n, _)) => self.docs.push(n),
                None => self.docs.push(Node::Map(Vec::new())),
            },
            Event::SequenceStart(anchor, _) => {
                self.expanded += NODE_BYTES;
                self.stack.push((Node::Seq(Vec::new()), anchor));
            }
            Event::MappingStart(anchor, _) => {
                self.expanded += NODE_BYTES;
                self.stack.push((Node::Map(Vec::new()), anchor));
                self.pending_keys.push(None);
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if matches!(ev, Event::MappingEnd) {
                    self.pending_keys.pop();
                }
                if let Some((node, anchor)) = self.stack.pop() {
                    self.insert(node, anchor);
                }
            }
            Event::Scalar(value, style, anchor, tag) => {
                let plain = style == TScalarStyle::Plain && tag.is_none();
                self.expanded += NODE_BYTES + value.len();
                self.insert(
                    Node::Scalar {
                        value,
                        plain,
                        line: mark.line(),
                    },
                    anchor,
                );
            }
            Event::Alias(id) => match self.anchors.get(&id) {
                Some((n, w)) => {
                    let collection = !matches!(n, Node::Scalar { .. });
                    self.collection_aliases += usize::from(collection);
                    self.expanded = self.expanded.saturating_add(*w);
                    if self.collection_aliases > MAX_COLLECTION_ALIASES {
                        self.error = Some(format!(
                            "line {}: more than {MAX_COLLECTION_ALIASES} aliases of lists or \
                             maps: Flink refuses the file (snakeyaml-engine: \"Number of \
                             aliases for non-scalar nodes exceeds the specified \
                             max={MAX_COLLECTION_ALIASES}\")",
                            mark.line()
                        ));
                    } else if self.expanded > MAX_EXPANDED_BYTES {
                        self.error = Some(format!(
                            "line {}: the aliases expand the file to more than {} MiB of YAML \
                             nodes (a \"billion laughs\" file): statecap refuses it; a Flink \
                             configuration needs no more than a few aliases",
                            mark.line(),
                            MAX_EXPANDED_BYTES >> 20
                        ));
                    } else {
                        let n = n.clone();
                        self.insert(n, 0);
                    }
                }
                None => {
                    self.error
                        .get_or_insert(format!("line {}: unknown alias", mark.line()));
                }
            },
            _ => {}
        }
    }
}

/// A plain scalar's value under the YAML 1.2 core schema
/// (snakeyaml-engine `CoreSchema`, what `YamlParserUtils` loads with), as
/// Flink then turns it into a string (`ConfigurationUtils.convertToString`:
/// strings as they are, other values through the YAML dumper). `None` for
/// null.
fn core_schema(value: &str) -> Option<String> {
    let v = value;
    if matches!(v, "" | "~" | "null" | "Null" | "NULL") {
        return None;
    }
    if matches!(v, "true" | "True" | "TRUE") {
        return Some("true".into());
    }
    if matches!(v, "false" | "False" | "FALSE") {
        return Some("false".into());
    }
    let (sign, digits) = match v.strip_prefix('-') {
        Some(d) => ("-", d),
        None => ("", v.strip_prefix('+').unwrap_or(v)),
    };
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        let t = digits.trim_start_matches('0');
        return Some(if t.is_empty() {
            "0".into()
        } else {
            format!("{sign}{t}")
        });
    }
    if let Some(h) = v.strip_prefix("0x")
        && !h.is_empty()
        && let Ok(n) = u128::from_str_radix(h, 16)
    {
        return Some(n.to_string());
    }
    if let Some(o) = v.strip_prefix("0o")
        && !o.is_empty()
        && let Ok(n) = u128::from_str_radix(o, 8)
    {
        return Some(n.to_string());
    }
    match v {
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => return Some(".inf".into()),
        "-.inf" | "-.Inf" | "-.INF" => return Some("-.inf".into()),
        ".nan" | ".NaN" | ".NAN" => return Some(".nan".into()),
        _ => {}
    }
    if is_core_float(v)
        && let Ok(f) = v.parse::<f64>()
    {
        return Some(java_double(f));
    }
    Some(v.to_string())
}

/// `[-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?`
fn is_core_float(v: &str) -> bool {
    let b = v.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'-' | b'+')));
    let digits = |i: &mut usize| {
        let s = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - s
    };
    let int = digits(&mut i);
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let frac = digits(&mut i);
        if int == 0 && frac == 0 {
            return false;
        }
    } else if int == 0 {
        return false;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// Java's `Double.toString`: `1000.0`, `0.5`, `1.0E7`, `1.0E-4`.
fn java_double(f: f64) -> String {
    let a = f.abs();
    if a == 0.0 || (1e-3..1e7).contains(&a) {
        let s = format!("{f}");
        if s.contains('.') { s } else { format!("{s}.0") }
    } else {
        let s = format!("{f:E}");
        match s.split_once('E') {
            Some((m, e)) if !m.contains('.') => format!("{m}.0E{e}"),
            _ => s,
        }
    }
}

/// A scalar as a flow-YAML item (what `YamlParserUtils.toYAMLString`
/// dumps for list elements): plain when that reads back the same, else
/// single-quoted.
fn flow_scalar(value: &str, plain: bool) -> String {
    if plain {
        return core_schema(value).unwrap_or_else(|| "null".into());
    }
    let safe = !value.is_empty()
        && core_schema(value).as_deref() == Some(value)
        && !value.starts_with(|c: char| "-?:,[]{}#&*!|>'\"%@` ".contains(c))
        && !value.ends_with(' ')
        && !value.contains(": ")
        && !value.contains(" #")
        && !value.contains([',', '[', ']', '{', '}', '\n']);
    if safe {
        value.to_string()
    } else {
        format!("'{}'", value.replace('\'', "''"))
    }
}

fn flow(node: &Node) -> String {
    match node {
        Node::Scalar { value, plain, .. } => flow_scalar(value, *plain),
        Node::Seq(items) => format!(
            "[{}]",
            items.iter().map(flow).collect::<Vec<_>>().join(", ")
        ),
        Node::Map(entries) => format!(
            "{{{}}}",
            entries
                .iter()
                .map(|(k, v)| format!("{}: {}", flow(k), flow(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn key_line(node: &Node) -> usize {
    match node {
        Node::Scalar { line, .. } => *line,
        Node::Seq(items) => items.first().map_or(0, key_line),
        Node::Map(entries) => entries.first().map_or(0, |(k, _)| key_line(k)),
    }
}

/// `GlobalConfiguration.loadYAMLResource` [1.19][1.20][2.0]: standard
/// YAML, flattened.
pub fn parse_standard(text: &str) -> std::result::Result<Parsed, String> {
    let mut b = Builder::default();
    let mut parser = Parser::new_from_str(text);
    parser.load(&mut b, true).map_err(|e| {
        format!(
            "line {}, column {}: not valid YAML: {} (Flink: \"Error parsing YAML configuration\")",
            e.marker().line(),
            e.marker().col() + 1,
            e.info()
        )
    })?;
    if let Some(e) = b.error {
        return Err(e);
    }
    if b.docs.len() > 1 {
        return Err(format!(
            "line {}: more than one YAML document: Flink loads exactly one",
            b.docs.get(1).map_or(0, key_line)
        ));
    }
    let mut out: Parsed = (BTreeMap::new(), BTreeMap::new(), Vec::new());
    match b.docs.pop() {
        None => {}
        Some(Node::Map(entries)) => flatten(&entries, "", &mut out)?,
        Some(other) => {
            return Err(format!(
                "line {}: the top level must be a map of keys to values",
                key_line(&other)
            ));
        }
    }
    Ok(out)
}

/// `GlobalConfiguration.flatten`: nested keys joined with `.`; lists kept
/// as flow YAML text; the later of two equal flattened keys wins.
fn flatten(
    entries: &[(Node, Node)],
    prefix: &str,
    out: &mut Parsed,
) -> std::result::Result<(), String> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (k, v) in entries {
        let (name, line) = match k {
            Node::Scalar { value, plain, line } => {
                let name = if *plain {
                    core_schema(value).unwrap_or_else(|| "null".into())
                } else {
                    value.clone()
                };
                (name, *line)
            }
            other => {
                return Err(format!(
                    "line {}: a key must be a plain scalar, not {}",
                    key_line(other),
                    flow(other)
                ));
            }
        };
        if let Some(first) = seen.insert(name.clone(), line) {
            // snakeyaml-engine's default LoadSettings reject duplicate keys.
            return Err(format!(
                "line {line}: `{prefix}{name}`: found duplicate key {name} (first on line \
                 {first}): Flink refuses the file (\"Error parsing YAML configuration\")"
            ));
        }
        let key = format!("{prefix}{name}");
        let value = match v {
            Node::Map(inner) => {
                flatten(inner, &format!("{key}."), out)?;
                continue;
            }
            Node::Seq(_) => flow(v),
            Node::Scalar { value, plain, .. } => {
                if *plain {
                    match core_schema(value) {
                        Some(s) => s,
                        None => {
                            return Err(format!(
                                "line {line}: `{key}`: no value (YAML null): Flink refuses the \
                                 file (\"Value must not be null\"); remove the line or give \
                                 a value"
                            ));
                        }
                    }
                } else {
                    value.clone()
                }
            }
        };
        let (entries, lines, notes) = out;
        if let Some(prev) = lines.get(&key) {
            notes.push(FileNote {
                line,
                key: Some(key.clone()),
                message: format!(
                    "'{key}' is set twice, as a dotted key and as nested keys (first on line \
                     {prev}): the later one wins"
                ),
            });
        }
        entries.insert(key.clone(), value);
        lines.insert(key, line);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const V16: FlinkVersion = FlinkVersion::new(1, 6);
    const V120: FlinkVersion = FlinkVersion::new(1, 20);
    const V20: FlinkVersion = FlinkVersion::new(2, 0);

    fn legacy(text: &str) -> ConfFile {
        ConfFile::parse(text, Path::new("conf/flink-conf.yaml"), V16).unwrap()
    }

    fn standard(text: &str) -> Result<ConfFile> {
        ConfFile::parse(text, Path::new("conf/config.yaml"), V20)
    }

    #[test]
    fn legacy_lines_split_like_flink() {
        let c = legacy(
            "# a comment\n\
             jobmanager.rpc.address: localhost # network address\n\
             state.checkpoints.dir: hdfs:///flink/checkpoints\n\
             taskmanager.rpc.port  : 6122\n\
             broken:value\n\
             empty: \n\
             a: b: c\r\n\
             state.backend: \"rocksdb\"\n\
             state.checkpoints.dir: hdfs:///other\n",
        );
        assert_eq!(c.format, ConfFormat::Legacy);
        assert_eq!(c.entries["jobmanager.rpc.address"], "localhost");
        assert_eq!(c.entries["taskmanager.rpc.port"], "6122");
        // split(": ", 2): the rest of the line is the value.
        assert_eq!(c.entries["a"], "b: c");
        // Quotes stay.
        assert_eq!(c.entries["state.backend"], "\"rocksdb\"");
        // The last line wins.
        assert_eq!(c.entries["state.checkpoints.dir"], "hdfs:///other");
        assert_eq!(c.line_of("state.checkpoints.dir"), Some(9));
        assert!(!c.entries.contains_key("broken:value"));
        assert!(!c.entries.contains_key("empty"));
        let on = |l: usize| c.notes.iter().any(|n| n.line == l);
        assert!(on(5) && on(6) && on(8) && on(9));
        assert_eq!(c.not_read, None);
    }

    #[test]
    fn legacy_parser_does_not_nest() {
        let c = legacy("state:\n  backend: rocksdb\n");
        assert_eq!(
            c.entries.get("backend").map(String::as_str),
            Some("rocksdb")
        );
        assert!(!c.entries.contains_key("state.backend"));
        assert!(c.notes[0].message.contains("nested YAML"));
    }

    #[test]
    fn standard_yaml_flattens_nested_keys() {
        let c = standard(
            "state:\n\
             \x20 backend:\n\
             \x20   type: rocksdb\n\
             \x20   incremental: TRUE\n\
             execution.checkpointing:\n\
             \x20 dir: 's3://bucket/checkpoints'\n\
             \x20 interval: 30 s\n\
             \x20 data-inline-threshold: 0x400\n\
             pekko.framesize: 1e7\n\
             state.backend.rocksdb.compression.per.level: [SNAPPY_COMPRESSION, 'a, b']\n",
        )
        .unwrap();
        assert_eq!(c.format, ConfFormat::Standard);
        assert_eq!(c.entries["state.backend.type"], "rocksdb");
        assert_eq!(c.entries["state.backend.incremental"], "true");
        assert_eq!(
            c.entries["execution.checkpointing.dir"],
            "s3://bucket/checkpoints"
        );
        assert_eq!(c.entries["execution.checkpointing.interval"], "30 s");
        assert_eq!(
            c.entries["execution.checkpointing.data-inline-threshold"],
            "1024"
        );
        assert_eq!(c.entries["pekko.framesize"], "1.0E7");
        assert_eq!(
            c.entries["state.backend.rocksdb.compression.per.level"],
            "[SNAPPY_COMPRESSION, 'a, b']"
        );
        assert_eq!(c.line_of("state.backend.type"), Some(3));
        assert_eq!(c.line_of("execution.checkpointing.interval"), Some(7));
    }

    #[test]
    fn standard_yaml_errors_name_line_and_key() {
        let e = standard("state.backend.type: hashmap\nstate.backend.type: rocksdb\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("conf/config.yaml") && e.contains("line 2"),
            "{e}"
        );
        assert!(e.contains("duplicate key"), "{e}");
        let e = standard("a:\n  b:\n").unwrap_err().to_string();
        assert!(e.contains("line 2") && e.contains("`a.b`"), "{e}");
        let e = standard("a: [1, 2\n").unwrap_err().to_string();
        assert!(e.contains("not valid YAML"), "{e}");
        // YAML 1.2: `yes` is a string, and an empty file is no entries.
        assert_eq!(standard("x: yes\n").unwrap().entries["x"], "yes");
        assert!(standard("# nothing\n").unwrap().entries.is_empty());
    }

    #[test]
    fn aliases_are_bounded_as_flink_bounds_them() {
        // A few aliases, as a configuration might use them, are read.
        let c = standard("base: &d 30 s\nexecution.checkpointing.interval: *d\n").unwrap();
        assert_eq!(c.entries["execution.checkpointing.interval"], "30 s");
        let list = |n: usize| {
            let mut t = "l: &l [a, b]\n".to_string();
            for i in 0..n {
                t.push_str(&format!("k{i}: *l\n"));
            }
            t
        };
        assert!(standard(&list(MAX_COLLECTION_ALIASES)).is_ok());
        let e = standard(&list(MAX_COLLECTION_ALIASES + 1))
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 52") && e.contains("max=50"), "{e}");
        // Billion laughs: nine levels of nine aliases, refused at once.
        let mut t = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n".to_string();
        let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"];
        for w in names.windows(2) {
            let refs = vec![format!("*{}", w[0]); 9].join(", ");
            t.push_str(&format!("{}: &{} [{refs}]\n", w[1], w[1]));
        }
        let t0 = std::time::Instant::now();
        let e = standard(&t).unwrap_err().to_string();
        assert!(e.contains("line 7") && e.contains("expand"), "{e}");
        assert!(t0.elapsed().as_secs_f64() < 1.0);
        // Scalar aliases are not counted by Flink, but their expansion is.
        let big = "x".repeat(100_000);
        let mut t = format!("s: &s {big}\n");
        for i in 0..1000 {
            t.push_str(&format!("k{i}: *s\n"));
        }
        let e = standard(&t).unwrap_err().to_string();
        assert!(e.contains("expand") && e.contains("64 MiB"), "{e}");
    }

    #[test]
    fn files_over_a_mebibyte_are_refused_with_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("config.yaml");
        let line = "# a comment line of forty bytes or so..\n";
        std::fs::write(&p, line.repeat((MAX_FILE_BYTES as usize / line.len()) + 10)).unwrap();
        let e = load(&p, V20).unwrap_err().to_string();
        let at = MAX_FILE_BYTES as usize / line.len() + 1;
        assert!(
            e.contains(&format!("line {at}:")) && e.contains("1 MiB"),
            "{e}"
        );
        std::fs::write(&p, "a: b\n").unwrap();
        assert_eq!(load(&p, V20).unwrap().entries["a"], "b");
    }

    #[test]
    fn which_version_reads_which_file() {
        let p = Path::new("flink-conf.yaml");
        assert!(
            ConfFile::parse("a: b\n", p, V120)
                .unwrap()
                .not_read
                .is_none()
        );
        assert!(
            ConfFile::parse("a: b\n", p, V20)
                .unwrap()
                .not_read
                .is_some()
        );
        let p = Path::new("config.yaml");
        assert!(
            ConfFile::parse("a: b\n", p, FlinkVersion::new(1, 18))
                .unwrap()
                .not_read
                .is_some()
        );
        assert!(
            ConfFile::parse("a: b\n", p, FlinkVersion::new(1, 19))
                .unwrap()
                .not_read
                .is_none()
        );
        // Other names: by version and content.
        let p = Path::new("prod.yaml");
        assert_eq!(format_for(p, "a: b\n", V16), ConfFormat::Legacy);
        assert_eq!(format_for(p, "a:\n  b: c\n", V120), ConfFormat::Standard);
        assert_eq!(format_for(p, "a: b\n", V20), ConfFormat::Standard);
    }

    #[test]
    fn core_schema_scalars() {
        assert_eq!(core_schema("0o17").as_deref(), Some("15"));
        assert_eq!(core_schema("+007").as_deref(), Some("7"));
        assert_eq!(core_schema("1.5").as_deref(), Some("1.5"));
        assert_eq!(core_schema("3.").as_deref(), Some("3.0"));
        assert_eq!(core_schema("1e-4").as_deref(), Some("1.0E-4"));
        assert_eq!(core_schema("10485760b").as_deref(), Some("10485760b"));
        assert_eq!(core_schema("~"), None);
        assert!(!is_core_float("."));
        assert!(!is_core_float("1e"));
    }
}
