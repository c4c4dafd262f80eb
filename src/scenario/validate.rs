//! Raw scenario → [`Scenario`]: every semantic check, every error collected
//! with the line of the field it concerns. One function reads each section
//! of the file (the top level, `[source]`, `[job]`, each `[[operator]]`,
//! `[flink_conf]`, `[state]`, `[checkpoints]`), in the file's order.
//!
//! The rules a value keeps once parsed (the bounds of the parallelism, a
//! window's offset below its size, enough key length to spell the keys…)
//! are functions of their own, `check_*`: the parser calls them on what it
//! read, and [`check_scenario`] on a scenario whose values were changed
//! after parsing (a point of `statecap sweep`), so both report the same
//! field and the same words.

use super::raw::*;
use super::*;
use crate::error::ScenarioError;
use crate::flink::conf_file::ConfFile;
use crate::flink::config::{self, Explicit};
use crate::flink::key_group::UPPER_BOUND_MAX_PARALLELISM;
use crate::flink::{FlinkVersion, default_max_parallelism};

/// Finds lines of fields for semantic errors, from a span-keeping parse.
struct Locator<'a> {
    text: &'a str,
    doc: Option<toml_edit::Document<&'a str>>,
    path: &'a Path,
}

impl<'a> Locator<'a> {
    fn new(text: &'a str, path: &'a Path) -> Self {
        Locator {
            text,
            doc: toml_edit::Document::parse(text).ok(),
            path,
        }
    }

    fn line_col(&self, offset: usize) -> (usize, usize) {
        line_col(self.text, offset)
    }

    /// Span of `section.field`, `operator[i].field` or a section; `None`
    /// when the file does not write it.
    fn span(&self, field: &str) -> Option<std::ops::Range<usize>> {
        let doc = self.doc.as_ref()?;
        // Flink's keys have dots of their own: `flink_conf.state.backend`
        // is the key "state.backend" of [flink_conf].
        if let Some(key) = field.strip_prefix("flink_conf.") {
            let conf = doc.as_table().get("flink_conf")?.as_table_like()?;
            return conf.get_key_value(key)?.0.span();
        }
        let mut table: &dyn toml_edit::TableLike = doc.as_table();
        let mut best = None;
        let parts: Vec<&str> = field.split('.').collect();
        for (i, part) in parts.iter().enumerate() {
            let (name, index) = match part.split_once('[') {
                Some((n, rest)) => (n, rest.trim_end_matches(']').parse::<usize>().ok()),
                None => (*part, None),
            };
            let (key, item) = table.get_key_value(name)?;
            best = key.span().or(best);
            let item = match (index, item) {
                (Some(ix), toml_edit::Item::ArrayOfTables(a)) => {
                    let t = a.get(ix)?;
                    best = t.span().or(best);
                    if i + 1 == parts.len() {
                        return best;
                    }
                    table = t;
                    continue;
                }
                // `operator = [{ … }, { … }]`: an array of inline tables.
                (Some(ix), toml_edit::Item::Value(toml_edit::Value::Array(a))) => {
                    let t = a.get(ix)?.as_inline_table()?;
                    best = t.span().or(best);
                    if i + 1 == parts.len() {
                        return best;
                    }
                    table = t;
                    continue;
                }
                (_, item) => item,
            };
            // A [table] is where its header starts, `[` included.
            if let toml_edit::Item::Table(t) = item {
                best = t.span().or(best);
            }
            if i + 1 == parts.len() {
                return best;
            }
            table = item.as_table_like()?;
        }
        best
    }

    /// `field` as the file spells it: where a field has two spellings
    /// ([`SPELLINGS`]) and the file writes the other one, that one
    /// (`operator[0].slide_ms` → `operator[0].slide`).
    fn spelled(&self, field: &str) -> String {
        let Some((parent, last)) = field.rsplit_once('.') else {
            return field.to_string();
        };
        for (written, other) in self.other_spellings(parent) {
            if last == other {
                return format!("{parent}.{written}");
            }
        }
        field.to_string()
    }

    /// The fields of table `parent` that the file writes in the spelling
    /// the code does not use, as (written, the code's spelling) pairs.
    fn other_spellings(&self, parent: &str) -> Vec<(&'static str, &'static str)> {
        let section = parent.split(['.', '[']).next().unwrap_or("");
        let has = |key: &str| self.span(&format!("{parent}.{key}")).is_some();
        let mut out = Vec::new();
        for &(table, a, b) in SPELLINGS {
            if table != section {
                continue;
            }
            for (written, other) in [(a, b), (b, a)] {
                if has(written) && !has(other) {
                    out.push((written, other));
                }
            }
        }
        out
    }

    /// Line and column of `field` read from the lines of the text: the
    /// key in its table (the first of an array of tables), else the
    /// table's header, else the top of the file.
    fn line_of(&self, field: &str) -> (usize, usize) {
        let (table, key) = match field.rsplit_once('.') {
            Some((t, k)) => (t.split('[').next().unwrap_or(""), k),
            None => ("", field.split('[').next().unwrap_or(field)),
        };
        let mut current = "";
        let mut header = None;
        for (i, line) in self.text.lines().enumerate() {
            let t = line.trim_start();
            let col = line.chars().count() - t.chars().count() + 1;
            if t.starts_with('[') {
                current = t.trim_end().trim_matches(|c| c == '[' || c == ']').trim();
                if current == table && header.is_none() {
                    header = Some((i + 1, col));
                }
                continue;
            }
            let written = t.split('=').next().unwrap_or("").trim().trim_matches('"');
            if current == table && t.contains('=') && written == key {
                return (i + 1, col);
            }
        }
        header.unwrap_or((1, 1))
    }

    fn error(&self, field: &str, message: impl Into<String>) -> ScenarioError {
        let field = self.spelled(field);
        let mut message = message.into();
        // Other fields the message names, as the file spells them.
        if let Some((parent, _)) = field.rsplit_once('.') {
            for (written, other) in self.other_spellings(parent) {
                message = message.replace(&format!("`{other}`"), &format!("`{written}`"));
            }
        }
        // Fall back to the enclosing table when the field itself is absent,
        // and to the top of the file for a top-level one.
        let mut span = self.span(&field);
        let mut f = field.as_str();
        while span.is_none() {
            match f.rsplit_once('.') {
                Some((parent, _)) => {
                    f = parent;
                    span = self.span(f);
                }
                None => break,
            }
        }
        let (line, column) = match span {
            Some(s) => {
                let (l, c) = self.line_col(s.start);
                (Some(l), Some(c))
            }
            None if self.doc.is_some() => (Some(1), Some(1)),
            // The text is TOML but not to the span-keeping reader (an
            // integer above i64::MAX): found by reading its lines.
            None => {
                let (l, c) = self.line_of(&field);
                (Some(l), Some(c))
            }
        };
        ScenarioError {
            path: self.path.to_path_buf(),
            line,
            column,
            field,
            message,
        }
    }
}

/// An error about `field` of the scenario `text`, located as the parser
/// locates its own (see [`super::Scenario::error_at`]).
pub(super) fn locate(text: &str, path: &Path, field: &str, message: String) -> ScenarioError {
    Locator::new(text, path).error(field, message)
}

/// Where the scenario `text` writes `field` (1-based line and column), if
/// it does.
pub(super) fn written_at(text: &str, path: &Path, field: &str) -> Option<(usize, usize)> {
    let loc = Locator::new(text, path);
    loc.span(field).map(|s| loc.line_col(s.start))
}

/// 1-based line and column (in characters) of byte `offset` of `text`.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// The error for a scenario file that is not UTF-8: its line and column are
/// those of the first bad byte (counted in the characters before it).
pub(super) fn not_utf8(path: &Path, bytes: &[u8], e: std::str::Utf8Error) -> ScenarioError {
    let at = e.valid_up_to();
    let before = std::str::from_utf8(&bytes[..at]).unwrap_or_default();
    let (line, column) = line_col(before, at);
    let message = match (e.error_len(), bytes.get(at)) {
        (Some(_), Some(b)) => {
            format!("byte 0x{b:02x} is not UTF-8 text: a scenario file is UTF-8 (TOML requires it)")
        }
        _ => "the file ends inside a UTF-8 character: a scenario file is UTF-8 (TOML requires it)"
            .to_string(),
    };
    ScenarioError {
        path: path.to_path_buf(),
        line: Some(line),
        column: Some(column),
        field: String::new(),
        message,
    }
}

/// Longest text of a value quoted back in a message.
const SHOWN_CHARS: usize = 60;

/// A value as written, fit to quote in a message: control characters
/// escaped, cut after [`SHOWN_CHARS`] characters.
fn shown(value: &str) -> String {
    let mut out = String::new();
    for (i, c) in value.chars().enumerate() {
        if i == SHOWN_CHARS {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// Text quoted from the file, fit for a terminal: control characters other
/// than line breaks escaped.
fn escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() && c != '\n' {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// Turns a serde/TOML error into a located error naming the field.
fn syntax_error(loc: &Locator<'_>, e: &toml::de::Error) -> ScenarioError {
    let (line, column, field) = match e.span() {
        Some(s) => {
            let (l, c) = loc.line_col(s.start);
            // The text at the span is the key, a value or a table header.
            let line_text = loc.text.lines().nth(l - 1).unwrap_or("").trim();
            let field = line_text
                .split('=')
                .next()
                .unwrap_or("")
                .trim()
                .trim_matches(|c| c == '"' || c == '[' || c == ']');
            (Some(l), Some(c), shown(field))
        }
        None => (None, None, String::new()),
    };
    let mut message = escaped(e.message().trim());
    if message.starts_with("data did not match any variant") {
        message = "expected a size such as 117 or \"1 kb\", or a table such as \
                   { distribution = \"uniform\", min = 100, max = 300 }"
            .into();
    }
    if message.chars().count() > 4 * SHOWN_CHARS {
        message = format!(
            "{}…",
            message.chars().take(4 * SHOWN_CHARS).collect::<String>()
        );
    }
    ScenarioError {
        path: loc.path.to_path_buf(),
        line,
        column,
        field,
        message,
    }
}

fn one_of<'s>(value: &'s str, allowed: &[&str]) -> Result<&'s str, String> {
    if allowed.contains(&value) {
        Ok(value)
    } else {
        Err(format!(
            "'{}' is not one of {}",
            shown(value),
            allowed
                .iter()
                .map(|a| format!("\"{a}\""))
                .collect::<Vec<_>>()
                .join(", ")
        ))
    }
}

/// Most declared keys: 10^15. A run holds only the keys its records touch
/// (at most 2^32), so the declared key space may be as large as real ids.
const MAX_KEYS: u64 = 1_000_000_000_000_000;

/// Longest window size, slide or gap, jitter and out-of-orderness: 365
/// days (statecap's bound; Flink takes any positive `long` of ms).
const MAX_WINDOW_MS: i64 = 365 * 86_400_000;

/// Most windows one element may be assigned to (size / slide; statecap's
/// bound).
const MAX_WINDOWS_PER_ELEMENT: i64 = 10_000;

/// Most checkpoints one run reports (statecap's bound; the simulation
/// checks it again for traces, whose length is known only once read).
pub const MAX_CHECKPOINTS: u64 = 200_000;

/// `CheckpointCoordinatorConfiguration.MINIMAL_CHECKPOINT_TIME`: the
/// shortest checkpoint interval Flink takes, in ms.
pub const MINIMAL_CHECKPOINT_TIME_MS: u64 = 10;

/// Most records a source plays (statecap's bound, that of a count written
/// in the file).
const MAX_RECORDS: u64 = 9_000_000_000_000_000_000;

/// Longest stretch of time a source plays: 100 years of 365 days
/// (statecap's bound; times are milliseconds in an i64, with room for
/// windows, lateness and jitter on top).
const MAX_PLAYED_MS: f64 = 100.0 * 365.0 * 86_400_000.0;

/// Largest `max_state_size`: `MemoryStateBackend(int maxStateSize)` and
/// `JobManagerCheckpointStorage(int maxStateSize)` take a Java `int`.
const MAX_STATE_SIZE: u64 = i32::MAX as u64;

/// Longest scenario or operator name, in characters: names become
/// directory names (`<out>/<name>-compare/`) and chart titles.
pub const MAX_NAME_CHARS: usize = 200;

/// Longest `description`, in bytes (4 KiB).
pub const MAX_DESCRIPTION_BYTES: usize = 4096;

/// Largest record, accumulator or record-size parameter statecap simulates:
/// 1 GiB (statecap's bound; Flink's own limit on a serialized record is
/// that of a Java byte array, 2 GiB).
const MAX_RECORD_BYTES: u64 = 1 << 30;

// --- The rules a value keeps once parsed. The parser calls them on what it
// read; `check_scenario` calls them on a scenario changed afterwards. Each
// returns the message the parser reports for the field it concerns.

/// `source.events_per_second`: a positive, finite rate, at most 10^12 per
/// second (statecap's bound: the source rate is statecap's model, Flink has
/// none).
pub fn check_rate(r: f64) -> Result<(), String> {
    if r.is_finite() && r > 0.0 && r <= 1e12 {
        Ok(())
    } else {
        Err(format!(
            "must be a positive rate of at most 10^12 records/s (statecap's bound), got {r}"
        ))
    }
}

/// `source.records`: at least one record.
pub fn check_records(records: u64) -> Result<(), String> {
    if records == 0 {
        Err("the source must play at least one record".into())
    } else {
        Ok(())
    }
}

/// `source.records` at `source.events_per_second`: at most 100 years of
/// time (statecap's bound).
pub fn check_played_time(records: u64, eps: f64) -> Result<(), String> {
    let ms = records as f64 * 1000.0 / eps;
    if ms > MAX_PLAYED_MS {
        Err(format!(
            "{records} records at {eps} records/s take {:.3e} ms, more than 100 years \
             (statecap's bound): play fewer records or raise the rate",
            ms
        ))
    } else {
        Ok(())
    }
}

/// `source.keys`: 1 to 10^15 distinct keys.
pub fn check_keys(keys: u64) -> Result<(), String> {
    match keys {
        0 => Err("must be at least 1".into()),
        k if k > MAX_KEYS => Err(format!(
            "{k} keys is more than statecap tracks ({MAX_KEYS})"
        )),
        _ => Ok(()),
    }
}

/// `source.key_length` of a string key: 1 to 65535 chars (statecap's
/// bound: Flink's `StringSerializer` writes a length of any size).
pub fn check_key_length(len: u32) -> Result<(), String> {
    if (1..=65535).contains(&len) {
        Ok(())
    } else {
        Err(format!(
            "must be 1..65535 chars (statecap's bound), got {len}"
        ))
    }
}

/// `source.key_length` of a generated string key: long enough to spell
/// `keys` distinct keys (`k` and the key's number).
pub fn check_key_spelling(len: u32, keys: u64) -> Result<(), String> {
    let digits = keys.max(2).saturating_sub(1).to_string().len() as u32;
    if len < digits + 1 {
        Err(format!(
            "{keys} distinct keys need a key_length of at least {}",
            digits + 1
        ))
    } else {
        Ok(())
    }
}

/// `job.parallelism`: 1 to 32768. Flink refuses less than 1
/// (`ExecutionConfig.setParallelism`: "Parallelism must be at least one")
/// and more than the max parallelism, whose upper bound is
/// `KeyGroupRangeAssignment.UPPER_BOUND_MAX_PARALLELISM` = 32768.
pub fn check_parallelism(p: i64) -> Result<(), String> {
    if (1..=UPPER_BOUND_MAX_PARALLELISM as i64).contains(&p) {
        Ok(())
    } else {
        Err(format!("must be 1..32768, got {p}"))
    }
}

/// `job.max_parallelism`: 1 to 32768
/// (`StreamExecutionEnvironment.setMaxParallelism` checks
/// `0 < maxParallelism <= UPPER_BOUND_MAX_PARALLELISM`), and not below the
/// parallelism (`ExecutionJobVertex`: "parallelism is higher than the max
/// parallelism").
pub fn check_max_parallelism(mp: i64, parallelism: u32) -> Result<(), String> {
    if !(1..=UPPER_BOUND_MAX_PARALLELISM as i64).contains(&mp) {
        Err(format!("must be 1..32768 (Flink's upper bound), got {mp}"))
    } else if (mp as u32) < parallelism {
        Err(format!(
            "{mp} is below the parallelism {parallelism}: Flink requires parallelism <= max parallelism"
        ))
    } else {
        Ok(())
    }
}

/// A window's size, slide or gap: more than 0 ms, as Flink's assigners
/// require (`TumblingEventTimeWindows.of` checks `abs(offset) < size`,
/// `SlidingEventTimeWindows.of` `abs(offset) < slide and size > 0`,
/// `EventTimeSessionWindows.withGap` `0 < size`; the processing-time ones
/// the same), and at most 365 days (statecap's bound).
pub fn check_window_length(ms: i64) -> Result<(), String> {
    if ms <= 0 {
        Err(format!(
            "must be more than 0 ms (Flink's window assigners refuse it), got {ms} ms"
        ))
    } else if ms > MAX_WINDOW_MS {
        Err(format!(
            "must be at most 365 days (statecap's bound), got {ms} ms"
        ))
    } else {
        Ok(())
    }
}

/// `offset_ms` of a tumbling window: below its size
/// (`TumblingEventTimeWindows.of(size, offset)`: "parameters must satisfy
/// abs(offset) < size").
pub fn check_tumbling_offset(offset: i64, size: i64) -> Result<(), String> {
    if offset >= size {
        Err(format!(
            "offset {offset} ms must be below the size {size} ms"
        ))
    } else {
        Ok(())
    }
}

/// `slide_ms` of a sliding window (both lengths at least 1 ms): no larger
/// than the size, and at most 10,000 windows per element. Both are
/// statecap's bounds: Flink's `SlidingEventTimeWindows.of` takes a slide
/// larger than the size (elements between windows are then dropped), which
/// statecap does not simulate.
pub fn check_slide(size: i64, slide: i64) -> Result<(), String> {
    if slide > size {
        Err(format!(
            "slide {slide} ms is larger than the window size {size} ms: elements between windows would be lost"
        ))
    } else if size / slide > MAX_WINDOWS_PER_ELEMENT {
        Err(format!(
            "{} windows per element is more than statecap simulates ({MAX_WINDOWS_PER_ELEMENT})",
            size / slide
        ))
    } else {
        Ok(())
    }
}

/// `offset_ms` of a sliding window: below its slide
/// (`SlidingEventTimeWindows.of(size, slide, offset)`: "parameters must
/// satisfy abs(offset) < slide").
pub fn check_sliding_offset(offset: i64, slide: i64) -> Result<(), String> {
    if offset >= slide {
        Err(format!(
            "offset {offset} ms must be below the slide {slide} ms"
        ))
    } else {
        Ok(())
    }
}

/// The rules of a window assigner, in the order the parser reports them:
/// each broken one as (the operator's field, message). A length that breaks
/// its rule is taken as 1 ms for the rules that follow, as the parser does.
pub fn check_assigner(a: &Assigner) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    let mut length = |field: &'static str, ms: i64| match check_window_length(ms) {
        Ok(()) => ms,
        Err(m) => {
            out.push((field, m));
            1
        }
    };
    let mut relations = Vec::new();
    match *a {
        Assigner::Tumbling { size_ms, offset_ms } => {
            let size = length("size_ms", size_ms);
            relations.push(("offset_ms", check_tumbling_offset(offset_ms, size)));
        }
        Assigner::Sliding {
            size_ms,
            slide_ms,
            offset_ms,
        } => {
            let size = length("size_ms", size_ms);
            let slide = length("slide_ms", slide_ms);
            relations.push(("slide_ms", check_slide(size, slide)));
            relations.push(("offset_ms", check_sliding_offset(offset_ms, slide)));
        }
        Assigner::Session { gap_ms } => {
            length("gap_ms", gap_ms);
        }
    }
    out.extend(
        relations
            .into_iter()
            .filter_map(|(field, r)| r.err().map(|m| (field, m))),
    );
    out
}

/// `checkpoints.every_records` (at least 1: statecap's own trigger) or
/// `checkpoints.interval_ms` (at least 10 ms: Flink's
/// `CheckpointConfig.setCheckpointInterval` refuses a shorter one,
/// `MINIMAL_CHECKPOINT_TIME` = 10, and older versions'
/// `StreamingJobGraphGenerator` turn checkpointing off below it); a broken
/// rule as (field, message).
pub fn check_checkpoints(t: CheckpointTrigger) -> Result<(), (&'static str, String)> {
    match t {
        CheckpointTrigger::EveryRecords(0) => {
            Err(("checkpoints.every_records", "must be at least 1".into()))
        }
        CheckpointTrigger::Interval(ms) => {
            check_interval(ms).map_err(|m| ("checkpoints.interval_ms", m))
        }
        _ => Ok(()),
    }
}

/// A checkpoint interval: at least `MINIMAL_CHECKPOINT_TIME` (10 ms).
pub fn check_interval(ms: u64) -> Result<(), String> {
    if ms < MINIMAL_CHECKPOINT_TIME_MS {
        Err(format!(
            "must be at least 10 ms (Flink's CheckpointConfig.setCheckpointInterval refuses less: \
             MINIMAL_CHECKPOINT_TIME = 10), got {ms} ms"
        ))
    } else {
        Ok(())
    }
}

/// Checkpoints a trigger takes within `records` records played at `eps`
/// records per second: as the simulation's barriers count them (record `i`
/// at processing time `floor(i * 1000 / eps)`; a checkpoint every `ms` up
/// to the last record's time).
pub fn checkpoint_count(t: CheckpointTrigger, records: u64, eps: f64) -> u64 {
    match t {
        CheckpointTrigger::EveryRecords(n) => records / n.max(1),
        CheckpointTrigger::Interval(ms) => {
            let i = records.saturating_sub(1);
            let last: u128 = if eps.fract() == 0.0 && eps >= 1.0 {
                (i as u128 * 1000) / eps as u128
            } else {
                (i as f64 * 1000.0 / eps).floor().max(0.0) as u128
            };
            (last / ms.max(1) as u128).min(u64::MAX as u128) as u64
        }
    }
}

/// At most [`MAX_CHECKPOINTS`] checkpoints within the records played
/// (statecap's bound).
pub fn check_checkpoint_count(t: CheckpointTrigger, records: u64, eps: f64) -> Result<(), String> {
    let n = checkpoint_count(t, records, eps);
    if n > MAX_CHECKPOINTS {
        let every = match t {
            CheckpointTrigger::EveryRecords(1) => "one after every record".to_string(),
            CheckpointTrigger::EveryRecords(r) => format!("one every {r} records"),
            CheckpointTrigger::Interval(ms) => format!("one every {ms} ms"),
        };
        Err(format!(
            "{n} checkpoints ({every} over {records} records) is more than statecap reports \
             ({MAX_CHECKPOINTS}): take them less often or play fewer records"
        ))
    } else {
        Ok(())
    }
}

/// The field of the checkpoint trigger, as the code names it.
fn trigger_field(t: CheckpointTrigger) -> &'static str {
    match t {
        CheckpointTrigger::EveryRecords(_) => "checkpoints.every_records",
        CheckpointTrigger::Interval(_) => "checkpoints.interval_ms",
    }
}

/// `name`: 1 to 200 characters that can name a directory on any system:
/// letters, digits, `_`, `-` and `.`, not starting with `.` (so never `.`
/// or `..`, never a `/` or a NUL).
pub fn check_name(name: &str) -> Result<(), String> {
    let chars = name.chars().count();
    if chars > MAX_NAME_CHARS {
        Err(format!(
            "{chars} characters is longer than a name may be ({MAX_NAME_CHARS}: it names the \
             output directory and titles the charts)"
        ))
    } else if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        || name.starts_with('.')
    {
        Err(format!(
            "'{}' cannot name an output directory: use letters, digits, '_', '-' and '.' \
             (not first)",
            shown(name)
        ))
    } else {
        Ok(())
    }
}

/// An operator's `name`: 1 to 200 characters, no control characters (it
/// titles tables and charts and is a CSV column's value).
pub fn check_operator_name(name: &str) -> Result<(), String> {
    let chars = name.chars().count();
    if name.trim().is_empty() {
        Err("must not be empty".into())
    } else if chars > MAX_NAME_CHARS {
        Err(format!(
            "{chars} characters is longer than a name may be ({MAX_NAME_CHARS}: it titles \
             tables and charts)"
        ))
    } else if name.chars().any(char::is_control) {
        Err(format!(
            "'{}' has a control character (a line break, a tab…): names are one line of text",
            shown(name)
        ))
    } else {
        Ok(())
    }
}

/// The rules above on a [`Scenario`] whose numbers were changed after
/// parsing (a point of a sweep sets the rate, records, keys, parallelism,
/// window lengths or checkpoint trigger): every broken one as (field,
/// message), named and worded as the parser reports them. A scenario the
/// parser returned keeps them all. Rules about the file itself (names,
/// types, which keys go together) are the parser's alone.
pub fn check_scenario(s: &Scenario) -> Result<(), Vec<(String, String)>> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut check = |field: &str, r: Result<(), String>| {
        if let Err(m) = r {
            out.push((field.to_string(), m));
        }
    };
    let src = &s.source;
    let traced = src.trace.is_some();
    check(
        "source.events_per_second",
        check_rate(src.events_per_second),
    );
    check("source.records", check_records(src.records));
    if !traced && check_rate(src.events_per_second).is_ok() {
        check(
            "source.records",
            check_played_time(src.records, src.events_per_second),
        );
    }
    // A trace without `keys` has its own keys (0 here).
    let keys = if traced && src.keys == 0 {
        1
    } else {
        match check_keys(src.keys) {
            Ok(()) => src.keys,
            Err(m) => {
                check("source.keys", Err(m));
                1
            }
        }
    };
    if let KeyType::String(len) = src.key_type {
        match check_key_length(len) {
            Ok(()) if !traced => check("source.key_length", check_key_spelling(len, keys)),
            Ok(()) => {}
            Err(m) => check("source.key_length", Err(m)),
        }
    }
    check("job.parallelism", check_parallelism(s.parallelism as i64));
    let parallelism = s.parallelism.clamp(1, UPPER_BOUND_MAX_PARALLELISM);
    check(
        "job.max_parallelism",
        check_max_parallelism(s.max_parallelism as i64, parallelism),
    );
    for (i, op) in s.operators.iter().enumerate() {
        for (field, m) in check_assigner(&op.assigner) {
            check(&format!("operator[{i}].{field}"), Err(m));
        }
        if let Some(p) = op.parallelism {
            check(
                &format!("operator[{i}].parallelism"),
                check_max_parallelism(s.max_parallelism as i64, p),
            );
        }
    }
    match check_checkpoints(s.checkpoints) {
        Err((field, m)) => check(field, Err(m)),
        // A trace's length is known once it is read: the simulation checks.
        Ok(()) if !traced && src.records > 0 && check_rate(src.events_per_second).is_ok() => check(
            trigger_field(s.checkpoints),
            check_checkpoint_count(s.checkpoints, src.records, src.events_per_second),
        ),
        Ok(()) => {}
    }
    if out.is_empty() { Ok(()) } else { Err(out) }
}

pub(super) fn parse(text: &str, path: &Path) -> Result<Scenario, Vec<ScenarioError>> {
    parse_with(text, path, None)
}

/// [`parse`], with the entries of a Flink configuration file (`run
/// --flink-conf`) merged over `[flink_conf]` before resolution; errors in
/// values that came from that file point at its line. The sections are read
/// in the file's order, so errors come in that order.
pub(super) fn parse_with(
    text: &str,
    path: &Path,
    extra: Option<&ConfFile>,
) -> Result<Scenario, Vec<ScenarioError>> {
    let original = Locator::new(text, path);
    // Format v2's two-input jobs (joins): `[input]` (the merged stream)
    // and two `[[source]]`s. `[input]` is read as the one input's
    // `[source]` (the same lines: the `[[source]]` tables blanked out),
    // errors named `input.…`; the sides on their own.
    let table = toml::from_str::<toml::Table>(text).ok();
    let two = table.as_ref().is_some_and(|t| t.contains_key("input"));
    let (read, mut side_errs, raw_sides) = match &table {
        Some(t) if two => {
            let (sides, errs) = raw_sides(t, &original);
            (two_input_text(text), errs, sides)
        }
        Some(t) if t.get("source").is_some_and(|v| v.is_array()) => {
            return Err(vec![
                original.error(
                    "source",
                    "several [[source]] need an [input] section (the merged stream they make: \
                 `records`, `trace`, watermarks); one input is a [source] table"
                        .to_string(),
                ),
            ]);
        }
        _ => (text.to_string(), Vec::new(), Vec::new()),
    };
    let loc = Locator::new(&read, path);
    let mut raw: RawScenario = toml::from_str(&read).map_err(|e| vec![syntax_error(&loc, &e)])?;
    let mut errs: Vec<ScenarioError> = Vec::new();
    let mut err = |field: &str, msg: String| {
        let mut e = loc.error(field, msg);
        if two && (e.field == "source" || e.field.starts_with("source.")) {
            e.field = format!("input{}", &e.field["source".len()..]);
        }
        errs.push(e);
    };
    if two {
        merge_sides_into_input(&mut raw, &raw_sides, &mut err);
    }
    // A missing section is one error; what it would hold is not listed too.
    let mut quiet = |_: &str, _: String| {};

    let flink_version = top_level(&raw, &mut err);
    // `[source] seed` (format v2) is the generator's seed, as the top-level one.
    if let (Some(a), Some(b)) = (raw.seed, raw.source.as_ref().and_then(|s| s.seed))
        && a != b
    {
        err(
            "source.seed",
            format!("{b} differs from the top-level seed {a}: give one"),
        );
    }
    let seed = raw
        .seed
        .or(raw.source.as_ref().and_then(|s| s.seed))
        .unwrap_or(0);
    let source = match &raw.source {
        Some(s) => source(s, path, &mut err),
        None => {
            err(
                "source",
                "missing: the [source] section (the input stream: `records` or `duration`, \
                 `events_per_second`, `keys`, `record_bytes`)"
                    .into(),
            );
            source(&RawSource::default(), path, &mut quiet)
        }
    };
    let (parallelism, max_parallelism, max_parallelism_set) = match &raw.job {
        Some(j) => job(j, &mut err),
        None => {
            err(
                "job",
                "missing: the [job] section with the operator's `parallelism`".into(),
            );
            job(&RawJob::default(), &mut quiet)
        }
    };
    let side_names: Vec<String> = raw_sides
        .iter()
        .enumerate()
        .map(|(i, s)| s.name.clone().unwrap_or_else(|| format!("source{i}")))
        .collect();
    let flink_conf = flink_conf(raw.flink_conf.as_ref(), extra, &mut err);
    let sql_state_ttl_ms = sql_state_ttl(&flink_conf, &mut err);
    let operators = operators(
        &raw.operator,
        OperatorContext {
            sides: &side_names,
            parallelism,
            processing_lag_ms: source.processing_lag_ms,
            processing_at_checkpoint: source.processing_at_checkpoint,
            max_parallelism,
            max_parallelism_set,
            sql_state_ttl_ms,
        },
        &mut err,
    );
    let (timer_service, compression) =
        state(raw.state.as_ref(), &flink_conf, flink_version, &mut err);
    let no_checkpoints = RawCheckpoints::default();
    let raw_checkpoints = raw.checkpoints.as_ref().unwrap_or(&no_checkpoints);
    let checkpoints = checkpoints(raw_checkpoints, &flink_conf, &source, &mut err);
    let config = config(&raw, flink_version, &flink_conf, &mut err);
    if let Some(i) = operators.iter().position(|o| o.keyed.is_some()) {
        let kind = operators[i].keyed.as_ref().map_or("", |k| k.kind.name());
        if compression {
            err(
                "state.compression",
                format!(
                    "operator[{i}] (kind = \"{kind}\") is simulated without snapshot compression only"
                ),
            );
        }
    }

    let taskmanager_disk = match raw.cluster.as_ref().and_then(|c| c.taskmanager_disk) {
        Some(Bytes(0)) => {
            err(
                "cluster.taskmanager_disk",
                "must be more than 0 bytes: the local disk of one TaskManager, in Flink's size \
                 syntax (\"50 gb\")"
                    .into(),
            );
            None
        }
        other => other.map(|b| b.0),
    };
    let shrink = shrink(raw.compare.as_ref(), &mut err);
    let sides = if two {
        side_sources(&raw_sides, &original, path, &raw, &mut side_errs)
    } else {
        Vec::new()
    };
    errs.extend(side_errs);
    if let Some(c) = extra {
        locate_in_conf_file(&mut errs, c);
    }
    if !errs.is_empty() {
        return Err(errs);
    }
    Ok(Scenario {
        sides,
        path: path.to_path_buf(),
        name: raw.name.expect("checked"),
        description: raw.description,
        flink_version: flink_version.expect("checked"),
        seed,
        source,
        parallelism,
        max_parallelism,
        max_parallelism_set,
        operators,
        config: config.expect("checked"),
        timer_service,
        compression,
        checkpoints,
        flink_conf,
        taskmanager_disk,
        shrink,
    })
}

/// Most TTL lengths `[compare] ttl` may list (each is one more simulation
/// per keyed operator).
const MAX_COMPARE_TTLS: usize = 8;

/// `[compare]`: the TTL lengths and projected record size the job changes
/// are priced with.
fn shrink(raw: Option<&RawCompare>, err: &mut impl FnMut(&str, String)) -> Shrink {
    let Some(c) = raw else {
        return Shrink::default();
    };
    let mut ttls_ms = Vec::new();
    if let Some(list) = &c.ttl {
        if list.is_empty() || list.len() > MAX_COMPARE_TTLS {
            err(
                "compare.ttl",
                format!(
                    "lists {} lengths: give 1 to {MAX_COMPARE_TTLS} TTLs to price (\"1 h\"), or \
                     leave it out for the default (a quarter of the run)",
                    list.len()
                ),
            );
        }
        for (i, &Millis(ms)) in list.iter().enumerate() {
            if ms == 0 || ms as i64 > MAX_WINDOW_MS {
                err(
                    "compare.ttl",
                    format!("ttl[{i}] must be 1 ms to 365 days, got {ms} ms"),
                );
            } else if !ttls_ms.contains(&(ms as i64)) {
                ttls_ms.push(ms as i64);
            }
        }
    }
    let projected_record_bytes = match c.projected_record_bytes {
        Some(Bytes(0)) => {
            err(
                "compare.projected_record_bytes",
                "must be at least 1 byte: the mean size of a buffered record projected to \
                 the fields the operator needs"
                    .into(),
            );
            None
        }
        Some(Bytes(b)) if b > u32::MAX as u64 => {
            err(
                "compare.projected_record_bytes",
                format!(
                    "{b} bytes: at most {} (a record's size is an int)",
                    u32::MAX
                ),
            );
            None
        }
        other => other.map(|b| b.0),
    };
    Shrink {
        ttls_ms,
        projected_record_bytes,
    }
}

/// A two-input file's text with `[input]` read as `[source]`: the
/// `[[source]]` tables' lines blanked out, every other line where it was
/// (so that errors keep their lines).
fn two_input_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank = false;
    for line in text.split_inclusive('\n') {
        let t = line.trim_start();
        if t.starts_with('[') {
            let header: String = t.chars().filter(|c| !c.is_whitespace()).collect();
            blank = header.starts_with("[[source]]");
            if header.starts_with("[input]") {
                let at = line.find("[input]").unwrap_or(0);
                out.push_str(&line[..at]);
                out.push_str("[source]");
                out.push_str(&line[at + "[input]".len()..]);
                continue;
            }
        }
        if blank {
            if line.ends_with('\n') {
                out.push('\n');
            }
        } else {
            out.push_str(line);
        }
    }
    out
}

/// The two `[[source]]` tables of a two-input file, as typed; errors at
/// `source[i]` in the file.
fn raw_sides(t: &toml::Table, loc: &Locator<'_>) -> (Vec<RawSideSource>, Vec<ScenarioError>) {
    let mut errs = Vec::new();
    let Some(toml::Value::Array(a)) = t.get("source") else {
        errs.push(
            loc.error(
                "source",
                "missing: two [[source]] tables (the two inputs of the join: `name`, `stream`, \
             `events_per_second`, `keys`, `record_bytes`)"
                    .to_string(),
            ),
        );
        return (Vec::new(), errs);
    };
    if a.len() != 2 {
        errs.push(loc.error(
            "source",
            format!(
                "{} [[source]] tables: statecap simulates jobs of one input ([source]) or two \
                 ([input] with two [[source]])",
                a.len()
            ),
        ));
    }
    let mut sides = Vec::new();
    for (i, v) in a.iter().enumerate().take(2) {
        match v.clone().try_into::<RawSideSource>() {
            Ok(s) => sides.push(s),
            Err(e) => {
                let msg = e.message().trim().to_string();
                // Name the field the message is about, where it says.
                let field = msg
                    .split('`')
                    .nth(1)
                    .filter(|f| v.get(*f).is_some())
                    .map_or(format!("source[{i}]"), |f| format!("source[{i}].{f}"));
                errs.push(loc.error(&field, msg));
                // The rest of the table, without the field in error, so
                // that it adds no errors of its own.
                let rest = v.as_table().map(|t| {
                    let mut t = t.clone();
                    t.retain(|k, _| !field.ends_with(&format!(".{k}")));
                    toml::Value::Table(t)
                });
                sides.push(
                    rest.and_then(|r| r.try_into::<RawSideSource>().ok())
                        .unwrap_or_default(),
                );
            }
        }
    }
    (sides, errs)
}

/// `[input]` holds what both inputs share; each input's own fields are in
/// its `[[source]]`. The merged stream's rate is the sum of theirs, its
/// keys the larger key count, its key type and record size the first's.
fn merge_sides_into_input(
    raw: &mut RawScenario,
    sides: &[RawSideSource],
    err: &mut impl FnMut(&str, String),
) {
    let input = raw.source.get_or_insert_with(RawSource::default);
    for (f, set) in [
        ("events_per_second", input.events_per_second.is_some()),
        ("keys", input.keys.is_some()),
        ("key_distribution", input.key_distribution.is_some()),
        ("zipf_exponent", input.zipf_exponent.is_some()),
        ("key_type", input.key_type.is_some()),
        ("key_length", input.key_length.is_some()),
        ("record_bytes", input.record_bytes.is_some()),
        ("payload", input.payload.is_some()),
        ("seed", input.seed.is_some()),
    ] {
        if set {
            err(
                &format!("source.{f}"),
                "belongs to each [[source]] of a two-input job, not to [input]".into(),
            );
        }
    }
    if sides.len() != 2 {
        return;
    }
    let rate = sides
        .iter()
        .map(|s| s.events_per_second)
        .sum::<Option<f64>>();
    input.events_per_second = rate.filter(|r| r.is_finite() && *r > 0.0).or(Some(1.0));
    input.keys = sides
        .iter()
        .map(|s| s.keys.map(|k| k.0))
        .collect::<Option<Vec<u64>>>()
        .map(|k| Count(k.into_iter().max().unwrap_or(1).max(1)))
        .or(Some(Count(1)));
    input.key_type = sides[0].key_type.clone();
    input.key_length = sides[0].key_length;
    input.record_bytes = sides[0]
        .record_bytes
        .clone()
        .or(Some(RawRecordBytes::Fixed(Bytes(1))));
    input.payload = sides[0].payload.clone();
}

/// The two inputs, validated on their own (errors at `source[i].…`), given
/// the `[input]` they merge into.
fn side_sources(
    sides: &[RawSideSource],
    loc: &Locator<'_>,
    path: &Path,
    raw: &RawScenario,
    errs: &mut Vec<ScenarioError>,
) -> Vec<SideSource> {
    let input = raw.source.as_ref();
    let mut out: Vec<SideSource> = Vec::new();
    for (i, s) in sides.iter().enumerate() {
        let at = |f: &str| format!("source[{i}].{f}");
        let mut err = |field: &str, m: String| errs.push(loc.error(field, m));
        let name = match s.name.as_deref() {
            Some(n) => {
                if let Err(m) = check_operator_name(n) {
                    err(&at("name"), m);
                }
                if n == "input" || out.iter().any(|o| o.name == n) {
                    err(
                        &at("name"),
                        format!("'{}' is taken: each input needs its own name", shown(n)),
                    );
                }
                n.to_string()
            }
            None => {
                err(
                    &at("name"),
                    "missing: the input's name (operators' `input` names it)".into(),
                );
                format!("source{i}")
            }
        };
        let stream = match s.stream.as_deref() {
            Some(v) if !v.is_empty() && !v.contains([',', '"', '\n']) => v.to_string(),
            Some(v) => {
                err(
                    &at("stream"),
                    format!(
                        "'{}': a value of the trace's `stream` column (no comma or quote)",
                        shown(v)
                    ),
                );
                String::new()
            }
            None => {
                err(
                    &at("stream"),
                    "missing: the value of the trace's `stream` column for this input (\"L\", \"R\")"
                        .into(),
                );
                String::new()
            }
        };
        if !stream.is_empty() && out.iter().any(|o| o.stream == stream) {
            err(&at("stream"), "both inputs have this `stream` value".into());
        }
        if let (Some(t), Some(mine)) = (input.and_then(|x| x.trace.as_deref()), s.trace.as_deref())
            && t != mine
        {
            err(
                &at("trace"),
                format!(
                    "'{}' differs from [input] trace '{}': both inputs are read from the one \
                     merged trace",
                    shown(mine),
                    shown(t)
                ),
            );
        }
        if i == 1 && s.key_type != sides[0].key_type {
            err(
                &at("key_type"),
                "differs from the first input's: a join's two inputs are keyed by one key type"
                    .into(),
            );
        }
        // Each input's own values, read as a [source] of its own.
        let one = RawSource {
            records: input.and_then(|x| x.records),
            duration: input.and_then(|x| x.duration),
            events_per_second: s.events_per_second,
            keys: s.keys,
            key_distribution: s.key_distribution.clone(),
            zipf_exponent: s.zipf_exponent,
            key_type: s.key_type.clone(),
            key_length: s.key_length,
            record_bytes: s.record_bytes.clone(),
            ..RawSource::default()
        };
        let own = [
            "events_per_second",
            "keys",
            "key_distribution",
            "zipf_exponent",
            "key_type",
            "key_length",
            "record_bytes",
        ];
        let mut own_err = |field: &str, m: String| {
            let f = field.strip_prefix("source.").unwrap_or(field);
            if own.contains(&f.split('.').next().unwrap_or(f)) {
                errs.push(loc.error(&at(f), m));
            }
        };
        let src = source(&one, path, &mut own_err);
        out.push(SideSource {
            name,
            stream,
            events_per_second: src.events_per_second,
            keys: src.keys,
            key_distribution: src.key_distribution,
            record_bytes: src.record_bytes,
            seed: s.seed.unwrap_or(raw.seed.unwrap_or(0) + i as u64),
        });
    }
    out
}

/// `name`, `description` and `flink_version`.
fn top_level(raw: &RawScenario, err: &mut impl FnMut(&str, String)) -> Option<FlinkVersion> {
    match &raw.name {
        Some(name) => {
            if let Err(m) = check_name(name) {
                err("name", m);
            }
        }
        None => err(
            "name",
            "missing: the scenario's name (its outputs go to <out>/<name>/)".into(),
        ),
    }
    if let Some(d) = &raw.description
        && d.len() > MAX_DESCRIPTION_BYTES
    {
        err(
            "description",
            format!(
                "{} bytes is longer than a description may be ({MAX_DESCRIPTION_BYTES} bytes, \
                 4 KiB)",
                d.len()
            ),
        );
    }
    match &raw.flink_version {
        Some(toml::Value::String(s)) => match s.parse::<FlinkVersion>() {
            Ok(v) => Some(v),
            Err(e) => {
                // The message quotes the value: keep it short and printable.
                let quoted = s.chars().count() > SHOWN_CHARS || s.chars().any(char::is_control);
                err(
                    "flink_version",
                    if quoted {
                        format!(
                            "'{}' is not a Flink version: write major.minor, e.g. \"1.20\"",
                            shown(s)
                        )
                    } else {
                        e
                    },
                );
                None
            }
        },
        Some(other) => {
            err(
                "flink_version",
                format!(
                    "write the version as a string, e.g. \"1.20\" (got {})",
                    shown(&other.to_string())
                ),
            );
            None
        }
        None => {
            err(
                "flink_version",
                "missing: the Flink version the job runs on, e.g. \"1.20\"".into(),
            );
            None
        }
    }
}

/// `[source]`.
fn source(s: &RawSource, path: &Path, err: &mut impl FnMut(&str, String)) -> Source {
    let trace = s.trace.as_ref().map(|t| {
        let p = PathBuf::from(t);
        if p.is_absolute() {
            p
        } else {
            path.parent().unwrap_or(Path::new(".")).join(p)
        }
    });
    if let Some(t) = &trace
        && !t.is_file()
    {
        err(
            "source.trace",
            format!(
                "trace file {} does not exist or is not a file",
                escaped(&t.display().to_string())
            ),
        );
    }
    let traced = trace.is_some();
    let (events_per_second, records) = rate_and_records(s, traced, err);
    let keys = keys(s, traced, err);
    let key_distribution = key_distribution(s, err);
    let key_type = key_type(s, keys, traced, err);
    let record_bytes = record_bytes(s, traced, err);
    let watermark_every_records = match s.watermark_every_records {
        Some(Count(0)) => {
            err(
                "source.watermark_every_records",
                "must be at least 1".into(),
            );
            1
        }
        Some(Count(n)) => n,
        None => 1,
    };
    let payload = match s.payload.as_deref().unwrap_or("random") {
        "random" => PayloadKind::Random,
        "text" => PayloadKind::Text,
        "constant" => PayloadKind::Constant,
        other => {
            err(
                "source.payload",
                one_of(other, &["random", "text", "constant"]).unwrap_err(),
            );
            PayloadKind::Random
        }
    };
    // Event time moves back by up to the jitter: statecap's model, bounded
    // like a window so that event time stays far from i64's ends.
    let jitter_ms = match s.jitter_ms {
        Some(Millis(ms)) if ms > MAX_WINDOW_MS as u64 => {
            err(
                "source.jitter_ms",
                format!("must be at most 365 days (statecap's bound), got {ms} ms"),
            );
            0
        }
        Some(Millis(ms)) => ms,
        None => 0,
    };
    // `WatermarkStrategy.forBoundedOutOfOrderness`: the
    // `BoundedOutOfOrdernessWatermarks` constructor checks
    // "maxOutOfOrderness cannot be negative"; the upper bound is statecap's.
    let out_of_orderness_ms = match s.out_of_orderness_ms {
        Some(SignedMillis(ms)) if ms < 0 => {
            err(
                "source.out_of_orderness_ms",
                format!(
                    "must not be negative (Flink's BoundedOutOfOrdernessWatermarks: \
                     \"maxOutOfOrderness cannot be negative\"), got {ms} ms"
                ),
            );
            0
        }
        Some(SignedMillis(ms)) if ms > MAX_WINDOW_MS => {
            err(
                "source.out_of_orderness_ms",
                format!("must be at most 365 days (statecap's bound), got {ms} ms"),
            );
            0
        }
        Some(SignedMillis(ms)) => ms as u64,
        None => 0,
    };
    let processing_at_checkpoint = s.processing_time.as_deref() == Some("checkpoint");
    match s.processing_time.as_deref() {
        None | Some("event_time") | Some("checkpoint") => {}
        Some("wall_clock") => err(
            "source.processing_time",
            "\"wall_clock\" cannot be simulated to the byte: statecap runs processing time \
             as \"event_time\" (a record is processed at its timestamp + processing_lag_ms)"
                .into(),
        ),
        Some(other) => err(
            "source.processing_time",
            one_of(other, &["event_time", "checkpoint"]).unwrap_err(),
        ),
    }
    let processing_lag_ms = match s.processing_lag_ms {
        Some(SignedMillis(ms)) if !(0..=MAX_WINDOW_MS).contains(&ms) => {
            err(
                "source.processing_lag_ms",
                format!("must be 0 to 365 days, got {ms} ms"),
            );
            0
        }
        Some(SignedMillis(ms)) => ms,
        None => 0,
    };
    let start_ms = s.start.as_deref().and_then(|t| {
        crate::flink::units::parse_rfc3339_ms(t)
            .map_err(|m| err("source.start", m))
            .ok()
    });
    Source {
        processing_lag_ms,
        processing_at_checkpoint,
        start_ms,
        records,
        events_per_second,
        keys,
        key_distribution,
        key_type,
        record_bytes,
        jitter_ms,
        out_of_orderness_ms,
        watermark_every_records,
        trace,
        payload,
    }
}

/// `source.events_per_second` and the records it plays (`records`, or
/// `duration` at that rate; a trace plays all of its own by default).
fn rate_and_records(s: &RawSource, traced: bool, err: &mut impl FnMut(&str, String)) -> (f64, u64) {
    match s.events_per_second {
        Some(r) => {
            if let Err(m) = check_rate(r) {
                err("source.events_per_second", m);
            }
        }
        None => err(
            "source.events_per_second",
            "missing: the source rate in records per second".into(),
        ),
    }
    let rate = s.events_per_second.filter(|&r| check_rate(r).is_ok());
    let eps = rate.unwrap_or(1.0);
    let records = match (s.records, s.duration) {
        (Some(_), Some(_)) => {
            err(
                "source.duration",
                "give `records` or `duration`, not both".into(),
            );
            1
        }
        (Some(Count(n)), None) => match check_records(n) {
            Ok(()) => n,
            Err(m) => {
                err("source.records", m);
                1
            }
        },
        (None, Some(Millis(d))) => {
            let n = (d as f64 * eps / 1000.0).round();
            if d == 0 {
                err("source.duration", "must be more than 0 ms, got 0".into());
                1
            } else if rate.is_none() {
                1
            } else if n < 1.0 {
                err(
                    "source.duration",
                    format!("{d} ms at {eps} records/s plays no record: give a longer duration"),
                );
                1
            } else if n > MAX_RECORDS as f64 {
                err(
                    "source.duration",
                    format!(
                        "{d} ms at {eps} records/s is more than {MAX_RECORDS} records \
                         (statecap's bound)"
                    ),
                );
                1
            } else {
                n as u64
            }
        }
        (None, None) if traced => u64::MAX,
        (None, None) => {
            err(
                "source.records",
                "missing: how many records to play (`records`), or for how long (`duration = \"1 h\"`)"
                    .into(),
            );
            1
        }
    };
    // A trace's records are capped by its own length and times.
    if !traced
        && rate.is_some()
        && let Err(m) = check_played_time(records, eps)
    {
        let field = if s.duration.is_some() {
            "source.duration"
        } else {
            "source.records"
        };
        err(field, m);
        return (eps, 1);
    }
    (eps, records)
}

/// `source.keys` (a trace without it has its own keys: 0).
fn keys(s: &RawSource, traced: bool, err: &mut impl FnMut(&str, String)) -> u64 {
    match s.keys {
        Some(Count(k)) => match check_keys(k) {
            Ok(()) => k,
            Err(m) => {
                err("source.keys", m);
                1
            }
        },
        None if traced => 0,
        None => {
            err("source.keys", "missing: the number of distinct keys".into());
            1
        }
    }
}

/// `source.key_distribution` and `source.zipf_exponent`.
fn key_distribution(s: &RawSource, err: &mut impl FnMut(&str, String)) -> KeyDistribution {
    match s.key_distribution.as_deref().unwrap_or("uniform") {
        "uniform" => {
            if s.zipf_exponent.is_some() {
                err(
                    "source.zipf_exponent",
                    "only meaningful with key_distribution = \"zipf\"".into(),
                );
            }
            KeyDistribution::Uniform
        }
        "zipf" => match s.zipf_exponent {
            Some(z) if z.is_finite() && z > 0.0 && z <= 10.0 => KeyDistribution::Zipf(z),
            Some(z) => {
                err(
                    "source.zipf_exponent",
                    format!("must be more than 0 and at most 10 (statecap's range), got {z}"),
                );
                KeyDistribution::Uniform
            }
            None => {
                err(
                    "source.zipf_exponent",
                    "missing: key_distribution = \"zipf\" needs zipf_exponent (e.g. 1.1)".into(),
                );
                KeyDistribution::Uniform
            }
        },
        other => {
            err(
                "source.key_distribution",
                one_of(other, &["uniform", "zipf"]).unwrap_err(),
            );
            KeyDistribution::Uniform
        }
    }
}

/// `source.key_type` and `source.key_length`.
fn key_type(s: &RawSource, keys: u64, traced: bool, err: &mut impl FnMut(&str, String)) -> KeyType {
    let key_type = match s.key_type.as_deref().unwrap_or("long") {
        "long" => KeyType::Long,
        "int" | "integer" => KeyType::Int,
        "string" => match s.key_length {
            Some(l) => match check_key_length(l) {
                Ok(()) => {
                    if !traced && let Err(m) = check_key_spelling(l, keys) {
                        err("source.key_length", m);
                    }
                    KeyType::String(l)
                }
                Err(m) => {
                    err("source.key_length", m);
                    KeyType::String(1)
                }
            },
            None => {
                err(
                    "source.key_length",
                    "missing: key_type = \"string\" needs key_length (chars per key)".into(),
                );
                KeyType::String(1)
            }
        },
        other => {
            err(
                "source.key_type",
                one_of(other, &["long", "int", "string"]).unwrap_err(),
            );
            KeyType::Long
        }
    };
    if s.key_length.is_some() && !matches!(key_type, KeyType::String(_)) {
        err(
            "source.key_length",
            "only meaningful with key_type = \"string\"".into(),
        );
    }
    key_type
}

/// `source.record_bytes`: a size or a distribution of sizes.
fn record_bytes(
    s: &RawSource,
    traced: bool,
    err: &mut impl FnMut(&str, String),
) -> SizeDistribution {
    match &s.record_bytes {
        None if traced => SizeDistribution::Fixed(0),
        None => {
            err(
                "source.record_bytes",
                "missing: the serialized size of one record (e.g. 117 or \"1 kb\")".into(),
            );
            SizeDistribution::Fixed(1)
        }
        Some(RawRecordBytes::Fixed(Bytes(b))) => match check_record_size(*b) {
            Ok(()) => SizeDistribution::Fixed(*b as u32),
            Err(m) => {
                err("source.record_bytes", m);
                SizeDistribution::Fixed(1)
            }
        },
        Some(RawRecordBytes::Distribution(d)) => size_distribution(d, err),
    }
}

/// `[job]`: the parallelism, the max parallelism and whether it was set.
fn job(j: &RawJob, err: &mut impl FnMut(&str, String)) -> (u32, u32, bool) {
    let p = match j.parallelism {
        Some(p) => {
            if let Err(m) = check_parallelism(p) {
                err("job.parallelism", m);
            }
            p
        }
        None => {
            err(
                "job.parallelism",
                "missing: the operator's parallelism (1..32768)".into(),
            );
            1
        }
    };
    let parallelism = p.clamp(1, UPPER_BOUND_MAX_PARALLELISM as i64) as u32;
    match j.max_parallelism {
        Some(mp) => match check_max_parallelism(mp, parallelism) {
            Ok(()) => (parallelism, mp as u32, true),
            Err(m) => {
                err("job.max_parallelism", m);
                (parallelism, default_max_parallelism(parallelism), true)
            }
        },
        None => (parallelism, default_max_parallelism(parallelism), false),
    }
}

/// `[[operator]]`: at least one, names unique.
fn operators(
    raw: &[RawOperator],
    ctx: OperatorContext<'_>,
    err: &mut impl FnMut(&str, String),
) -> Vec<WindowOperator> {
    if raw.is_empty() {
        err(
            "operator",
            "missing: at least one [[operator]] (a keyed window)".into(),
        );
    }
    let mut operators = Vec::new();
    let mut names = std::collections::HashSet::new();
    let mut routes = Vec::new();
    for (i, o) in raw.iter().enumerate() {
        let route = operator_input(i, raw, ctx.sides, &routes, err);
        routes.push(route.clone());
        if let Some(mut op) = operator(i, o, ctx, err) {
            op.route = route;
            if !names.insert(op.name.clone()) {
                err(
                    &format!("operator[{i}].name"),
                    format!("two operators are named '{}'", shown(&op.name)),
                );
            }
            operators.push(op);
        }
    }
    operators
}

/// `table.exec.state.ttl` of the configuration (Flink's default: 0, no
/// TTL), the idle state retention of Flink SQL's stateful operators.
fn sql_state_ttl(conf: &BTreeMap<String, String>, err: &mut impl FnMut(&str, String)) -> i64 {
    let Some(v) = conf.get("table.exec.state.ttl") else {
        return 0;
    };
    match crate::flink::units::parse_duration_ms(v) {
        Ok(ms) if ms as i64 <= MAX_WINDOW_MS => ms as i64,
        Ok(ms) => {
            err(
                "flink_conf.table.exec.state.ttl",
                format!("must be at most 365 days (statecap's bound), got {ms} ms"),
            );
            0
        }
        Err(m) => {
            err("flink_conf.table.exec.state.ttl", m);
            0
        }
    }
}

/// `[flink_conf]`, values as strings, with a `--flink-conf` file's entries
/// merged over it.
fn flink_conf(
    raw: Option<&BTreeMap<String, toml::Value>>,
    extra: Option<&ConfFile>,
    err: &mut impl FnMut(&str, String),
) -> BTreeMap<String, String> {
    let mut flink_conf = BTreeMap::new();
    for (k, v) in raw.into_iter().flatten() {
        let v = match v {
            toml::Value::String(s) => s.clone(),
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Float(f) => f.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            other => {
                err(
                    &format!("flink_conf.{k}"),
                    format!("configuration values are strings, numbers or booleans, got {other}"),
                );
                continue;
            }
        };
        flink_conf.insert(k.clone(), v);
    }
    if let Some(c) = extra {
        // The file wins for every setting it sets; [state]/[checkpoints]
        // (the job's code) still win over both.
        config::merge_conf(&mut flink_conf, &c.entries);
    }
    flink_conf
}

/// `[state]`: the timer service and snapshot compression (the backend is
/// resolved with the configuration, in [`config`]).
fn state(
    st: Option<&RawState>,
    flink_conf: &BTreeMap<String, String>,
    flink_version: Option<FlinkVersion>,
    err: &mut impl FnMut(&str, String),
) -> (TimerService, bool) {
    let timer_service = match st.and_then(|s| s.timer_service.as_deref()) {
        None => match flink_conf
            .get("state.backend.rocksdb.timer-service.factory")
            .map(|v| v.to_ascii_lowercase())
        {
            Some(v) if v == "heap" => TimerService::Heap,
            Some(_) => TimerService::RocksDb,
            // HEAP through 1.9, ROCKSDB from 1.10.
            None if flink_version.is_some_and(|v| v < FlinkVersion::new(1, 10)) => {
                TimerService::Heap
            }
            None => TimerService::RocksDb,
        },
        Some("rocksdb") => TimerService::RocksDb,
        Some("heap") => TimerService::Heap,
        Some(other) => {
            err(
                "state.timer_service",
                one_of(other, &["rocksdb", "heap"]).unwrap_err(),
            );
            TimerService::RocksDb
        }
    };
    let compression = st.and_then(|s| s.compression).unwrap_or_else(|| {
        flink_conf
            .get("execution.checkpointing.snapshot-compression")
            .is_some_and(|v| v == "true")
    });
    (timer_service, compression)
}

/// `[checkpoints]`: the trigger (`every_records`, `interval_ms`, or the
/// configuration's interval).
fn checkpoints(
    c: &RawCheckpoints,
    flink_conf: &BTreeMap<String, String>,
    source: &Source,
    err: &mut impl FnMut(&str, String),
) -> CheckpointTrigger {
    const CONF_KEY: &str = "flink_conf.execution.checkpointing.interval";
    let conf_interval = flink_conf
        .get("execution.checkpointing.interval")
        .map(|v| crate::flink::units::parse_duration_ms(v));
    let (trigger, field) = match (c.every_records, c.interval_ms, conf_interval) {
        (Some(_), Some(_), _) => {
            err(
                "checkpoints.interval_ms",
                "give `every_records` or `interval_ms`, not both".into(),
            );
            return CheckpointTrigger::EveryRecords(1);
        }
        (Some(Count(n)), None, _) => (CheckpointTrigger::EveryRecords(n), None),
        (None, Some(Millis(ms)), _) => (CheckpointTrigger::Interval(ms), None),
        (None, None, Some(Ok(ms))) if ms > 0 => (CheckpointTrigger::Interval(ms), Some(CONF_KEY)),
        (None, None, Some(Err(e))) => {
            err(CONF_KEY, e);
            return CheckpointTrigger::Interval(MINIMAL_CHECKPOINT_TIME_MS);
        }
        (None, None, _) => {
            err(
                "checkpoints",
                "missing: a checkpoint trigger (Flink takes no checkpoints unless an interval \
                 is set); give `interval = \"10 s\"` or `every_records` in [checkpoints]"
                    .into(),
            );
            return CheckpointTrigger::Interval(MINIMAL_CHECKPOINT_TIME_MS);
        }
    };
    if let Err((code_field, m)) = check_checkpoints(trigger) {
        err(field.unwrap_or(code_field), m);
        return CheckpointTrigger::Interval(MINIMAL_CHECKPOINT_TIME_MS);
    }
    // A trace's length is known only once it is read: the simulation checks
    // its checkpoints.
    if source.trace.is_none()
        && let Err(m) = check_checkpoint_count(trigger, source.records, source.events_per_second)
    {
        err(field.unwrap_or(trigger_field(trigger)), m);
    }
    trigger
}

/// Backend, storage and limits as Flink resolves them from `[flink_conf]`,
/// with `[state]` and `[checkpoints]` (the job's code) over it.
fn config(
    raw: &RawScenario,
    flink_version: Option<FlinkVersion>,
    flink_conf: &BTreeMap<String, String>,
    err: &mut impl FnMut(&str, String),
) -> Option<ResolvedConfig> {
    let v = flink_version?;
    let st = raw.state.as_ref();
    let c = raw.checkpoints.as_ref();
    // `MemoryStateBackend(int maxStateSize)` and
    // `JobManagerCheckpointStorage(int maxStateSize)` check
    // `maxStateSize > 0` ("maxStateSize must be > 0") and take a Java int.
    let max_state_size = match c.and_then(|c| c.max_state_size) {
        Some(Bytes(b)) if !(1..=MAX_STATE_SIZE).contains(&b) => {
            err(
                "checkpoints.max_state_size",
                format!(
                    "must be 1 to {MAX_STATE_SIZE} bytes (2^31 - 1): Flink's \
                     MemoryStateBackend(int maxStateSize) and JobManagerCheckpointStorage take \
                     an int and check maxStateSize > 0, got {b}"
                ),
            );
            None
        }
        other => other.map(|b| b.0),
    };
    let explicit = Explicit {
        backend: st.and_then(|s| s.backend.as_deref()),
        storage: c.and_then(|c| c.storage.as_deref()),
        incremental: st.and_then(|s| s.incremental),
        max_state_size,
    };
    match config::resolve(v, flink_conf, &explicit) {
        Ok(r) => Some(r),
        Err(e) => {
            let field = if explicit.backend.is_some() && e.contains("backend") {
                "state.backend"
            } else if explicit.storage.is_some() {
                "checkpoints.storage"
            } else {
                "flink_conf"
            };
            err(field, e);
            None
        }
    }
}

/// Points errors about values that came from a `--flink-conf` file at that
/// file's line and key.
fn locate_in_conf_file(errs: &mut [ScenarioError], conf: &ConfFile) {
    for e in errs.iter_mut() {
        let key = match e.field.strip_prefix("flink_conf.") {
            Some(k) => Some(k.to_string()),
            None if e.field == "flink_conf" => config::error_key(&e.message).map(str::to_string),
            None => None,
        };
        if let Some(key) = key.filter(|k| conf.entries.contains_key(k)) {
            let prefix = format!("'{key}': ");
            if let Some(rest) = e.message.strip_prefix(&prefix) {
                e.message = rest.to_string();
            }
            e.path = conf.path.clone();
            e.line = conf.line_of(&key);
            e.column = None;
            e.field = key;
        }
    }
}

/// A record size (or a size distribution's bound): 1 byte to 1 GiB.
fn check_record_size(b: u64) -> Result<(), String> {
    if (1..=MAX_RECORD_BYTES).contains(&b) {
        Ok(())
    } else {
        Err(format!(
            "must be 1 byte to 1 GiB (statecap's bound), got {b}"
        ))
    }
}

/// `record_bytes = { distribution = …, min, max, mean, stddev }`: each size
/// 1 byte to 1 GiB (the standard deviation 0 to 1 GiB), `min <= mean <=
/// max`, and only the fields the distribution has.
fn size_distribution(
    d: &RawSizeDistribution,
    err: &mut impl FnMut(&str, String),
) -> SizeDistribution {
    let f = "source.record_bytes";
    let at = |x: &str| format!("{f}.{x}");
    let mut bound = |name: &str, v: Option<Bytes>| -> Option<u64> {
        let Bytes(b) = v?;
        match check_record_size(b) {
            Ok(()) => Some(b),
            Err(m) => {
                err(&at(name), m);
                None
            }
        }
    };
    let (min, max, mean) = (
        bound("min", d.min),
        bound("max", d.max),
        bound("mean", d.mean),
    );
    let sd = match d.stddev {
        Some(Bytes(b)) if b > MAX_RECORD_BYTES => {
            err(
                &at("stddev"),
                format!("must be at most 1 GiB (statecap's bound), got {b}"),
            );
            None
        }
        other => other.map(|b| b.0),
    };
    let lo = min.unwrap_or(1);
    let hi = max.unwrap_or(MAX_RECORD_BYTES);
    if lo > hi {
        err(&at("min"), format!("min {lo} is above max {hi}"));
    }
    let (lo, hi) = (lo as u32, hi.max(lo) as u32);
    let kind = match d.distribution.as_deref() {
        Some(k) => k,
        None => {
            err(
                &at("distribution"),
                "missing: \"uniform\" (min, max), \"normal\" or \"lognormal\" (mean, stddev)"
                    .into(),
            );
            return SizeDistribution::Fixed(1);
        }
    };
    match kind {
        "uniform" => {
            for (name, given) in [("mean", d.mean.is_some()), ("stddev", d.stddev.is_some())] {
                if given {
                    err(
                        &at(name),
                        "a uniform size distribution has min and max only".into(),
                    );
                }
            }
            match (min, max) {
                (Some(_), Some(_)) => SizeDistribution::Uniform { min: lo, max: hi },
                _ => {
                    if d.min.is_none() || d.max.is_none() {
                        err(f, "a uniform size distribution needs min and max".into());
                    }
                    SizeDistribution::Fixed(1)
                }
            }
        }
        kind @ ("normal" | "lognormal") => match (mean, sd) {
            (Some(m), Some(s)) => {
                if !(lo as u64..=hi as u64).contains(&m) {
                    err(
                        &at("mean"),
                        format!("mean {m} is outside min {lo} ..= max {hi}"),
                    );
                }
                let (mean, stddev) = (m as f64, s as f64);
                if kind == "normal" {
                    SizeDistribution::Normal {
                        mean,
                        stddev,
                        min: lo,
                        max: hi,
                    }
                } else {
                    SizeDistribution::LogNormal {
                        mean,
                        stddev,
                        min: lo,
                        max: hi,
                    }
                }
            }
            _ => {
                if d.mean.is_none() || d.stddev.is_none() {
                    err(
                        f,
                        format!("a {kind} size distribution needs mean (>= 1) and stddev"),
                    );
                }
                SizeDistribution::Fixed(1)
            }
        },
        other => {
            err(
                &at("distribution"),
                one_of(other, &["uniform", "normal", "lognormal"]).unwrap_err(),
            );
            SizeDistribution::Fixed(1)
        }
    }
}

/// One `[[operator]]`: its kind, time, assigner and function; `None` when
/// it is not an operator statecap can build.
fn operator(
    i: usize,
    o: &RawOperator,
    ctx: OperatorContext<'_>,
    err: &mut impl FnMut(&str, String),
) -> Option<WindowOperator> {
    let at = |f: &str| format!("operator[{i}].{f}");
    if let Some(name) = &o.name
        && let Err(m) = check_operator_name(name)
    {
        err(&at("name"), m);
    }
    let kinds = ["window", "process", "dedup", "join", "interval_join"];
    match o.kind.as_deref() {
        Some(k @ ("join" | "interval_join")) => {
            return join_operator(i, o, k == "interval_join", ctx, err);
        }
        Some("window") => {}
        Some(k @ ("process" | "dedup")) => {
            let kind = if k == "dedup" {
                KeyedKind::Dedup
            } else {
                KeyedKind::Process
            };
            return keyed_operator(i, o, kind, ctx, err);
        }
        Some(other) => {
            err(&at("kind"), one_of(other, &kinds).unwrap_err());
            return None;
        }
        None => {
            err(
                &at("kind"),
                "missing: kind = \"window\" (or \"process\", \"dedup\", \"join\", \"interval_join\")"
                    .into(),
            );
            return None;
        }
    }
    let parallelism = common_operator_fields(i, o, ctx, err);
    for (f, set) in [
        ("style", o.style.is_some()),
        ("keep", o.keep.is_some()),
        ("unique_key", o.unique_key.is_some()),
        ("timer", o.timer.is_some()),
        ("emits", o.emits.is_some()),
        ("state", !o.state.is_empty()),
    ]
    .into_iter()
    .chain(o.ttl_fields().set())
    {
        if set {
            err(
                &at(f),
                "a window operator has no such field (it belongs to kind = \"process\" or \"dedup\")"
                    .into(),
            );
        }
    }
    let time = match o.time.as_deref().unwrap_or("event") {
        "event" => TimeCharacteristic::Event,
        "processing" => TimeCharacteristic::Processing,
        other => {
            err(
                &at("time"),
                one_of(other, &["event", "processing"]).unwrap_err(),
            );
            TimeCharacteristic::Event
        }
    };
    let assigner = assigner(i, o, err)?;
    if !matches!(assigner, Assigner::Sliding { .. }) && o.slide_ms.is_some() {
        err(&at("slide_ms"), "only sliding windows have a slide".into());
    }
    if !matches!(assigner, Assigner::Session { .. }) && o.gap_ms.is_some() {
        err(&at("gap_ms"), "only session windows have a gap".into());
    }
    // `WindowedStream.allowedLateness` (`WindowOperatorBuilder` from 1.12)
    // checks "The allowed lateness cannot be negative."; any larger value
    // is taken (the cleanup timer saturates).
    let lateness = match o.allowed_lateness_ms {
        Some(SignedMillis(ms)) if ms < 0 => {
            err(
                &at("allowed_lateness_ms"),
                format!(
                    "must not be negative (Flink's WindowedStream.allowedLateness: \
                     \"The allowed lateness cannot be negative.\"), got {ms} ms"
                ),
            );
            0
        }
        Some(SignedMillis(ms)) => ms,
        None => 0,
    };
    if lateness > 0 && time == TimeCharacteristic::Processing {
        err(
            &at("allowed_lateness_ms"),
            "allowed lateness applies to event-time windows only".into(),
        );
    }
    let function = function(i, o, err)?;
    if o.accumulator_bytes.is_some() && !matches!(function, WindowFunction::Aggregate { .. }) {
        err(
            &at("accumulator_bytes"),
            "only aggregate functions have an accumulator".into(),
        );
    }
    Some(WindowOperator {
        name: o.name.clone().unwrap_or_else(|| format!("window{i}")),
        assigner,
        time,
        allowed_lateness_ms: lateness,
        function,
        keyed: None,
        parallelism,
        route: Route::default(),
    })
}

/// The window assigner of operator `i` and its lengths.
fn assigner(i: usize, o: &RawOperator, err: &mut impl FnMut(&str, String)) -> Option<Assigner> {
    let at = |f: &str| format!("operator[{i}].{f}");
    let ms = |v: Option<Millis>| v.map(|m| m.0 as i64);
    let length = |field: &str, v: Option<i64>, err: &mut dyn FnMut(&str, String)| -> i64 {
        match v.map(|x| (x, check_window_length(x))) {
            Some((x, Ok(()))) => x,
            Some((_, Err(m))) => {
                err(&at(field), m);
                1
            }
            None => {
                err(&at(field), "missing".to_string());
                1
            }
        }
    };
    // statecap takes offsets of 0 or more; Flink also takes negative ones
    // (`abs(offset) < size`), which statecap does not simulate.
    let offset = match o.offset_ms {
        Some(SignedMillis(ms)) if ms < 0 && o.assigner.as_deref() != Some("session") => {
            err(
                &at("offset_ms"),
                format!(
                    "must not be negative: statecap simulates offsets of 0 or more \
                     (Flink also takes a negative one with abs(offset) < size), got {ms} ms"
                ),
            );
            0
        }
        Some(SignedMillis(ms)) => ms,
        None => 0,
    };
    match o.assigner.as_deref() {
        Some("tumbling") => {
            let size = length("size_ms", ms(o.size_ms), err);
            if let Err(m) = check_tumbling_offset(offset, size) {
                err(&at("offset_ms"), m);
            }
            Some(Assigner::Tumbling {
                size_ms: size,
                offset_ms: offset,
            })
        }
        Some("sliding") => {
            let size = length("size_ms", ms(o.size_ms), err);
            let slide = length("slide_ms", ms(o.slide_ms), err);
            if let Err(m) = check_slide(size, slide) {
                err(&at("slide_ms"), m);
            }
            if let Err(m) = check_sliding_offset(offset, slide) {
                err(&at("offset_ms"), m);
            }
            Some(Assigner::Sliding {
                size_ms: size,
                slide_ms: slide,
                offset_ms: offset,
            })
        }
        Some("session") => {
            let gap = length("gap_ms", ms(o.gap_ms), err);
            if o.size_ms.is_some() {
                err(
                    &at("size_ms"),
                    "session windows have a `gap_ms`, not a size".into(),
                );
            }
            // `EventTimeSessionWindows.withGap(gap)` and
            // `ProcessingTimeSessionWindows.withGap(gap)` take no offset.
            if let Some(SignedMillis(ms)) = o.offset_ms {
                err(
                    &at("offset_ms"),
                    format!(
                        "session windows have no offset (Flink's \
                         EventTimeSessionWindows.withGap takes only the gap), got {ms} ms"
                    ),
                );
            }
            Some(Assigner::Session { gap_ms: gap })
        }
        Some(other) => {
            err(
                &at("assigner"),
                one_of(other, &["tumbling", "sliding", "session"]).unwrap_err(),
            );
            None
        }
        None => {
            err(
                &at("assigner"),
                "missing: tumbling, sliding or session".into(),
            );
            None
        }
    }
}

/// The window function of operator `i`.
fn function(
    i: usize,
    o: &RawOperator,
    err: &mut impl FnMut(&str, String),
) -> Option<WindowFunction> {
    let at = |f: &str| format!("operator[{i}].{f}");
    match o.function.as_deref() {
        Some("process") => Some(WindowFunction::Process),
        Some("apply") => Some(WindowFunction::Apply),
        Some("reduce") => Some(WindowFunction::Reduce),
        Some("aggregate") => Some(WindowFunction::Aggregate {
            accumulator_bytes: match o.accumulator_bytes {
                Some(Bytes(b)) if (1..=MAX_RECORD_BYTES).contains(&b) => b as u32,
                Some(Bytes(b)) => {
                    err(
                        &at("accumulator_bytes"),
                        format!("must be 1 byte to 1 GiB (statecap's bound), got {b}"),
                    );
                    16
                }
                None => 16,
            },
        }),
        Some(other) => {
            err(
                &at("function"),
                one_of(other, &["process", "apply", "aggregate", "reduce"]).unwrap_err(),
            );
            None
        }
        None => {
            err(
                &at("function"),
                "missing: process, apply, aggregate or reduce".into(),
            );
            None
        }
    }
}

/// What every `[[operator]]` is read against.
#[derive(Debug, Clone, Copy)]
struct OperatorContext<'a> {
    /// The names of a two-input job's `[[source]]`s (empty: one input).
    sides: &'a [String],
    /// `[job] parallelism`.
    parallelism: u32,
    /// `[source] processing_lag_ms`.
    processing_lag_ms: i64,
    /// `[source] processing_time = "checkpoint"`.
    processing_at_checkpoint: bool,
    /// The job's max parallelism, and whether `[job]` sets it.
    max_parallelism: u32,
    max_parallelism_set: bool,
    /// `[flink_conf] table.exec.state.ttl` (0: none), the TTL of Flink
    /// SQL's operator state.
    sql_state_ttl_ms: i64,
}

/// `parallelism` of any operator: its own (`None`: the job's). Its key
/// groups are the job's: the max parallelism, set in `[job]` or Flink's
/// default for the job's parallelism, must also be Flink's for this one.
fn common_operator_fields(
    i: usize,
    o: &RawOperator,
    ctx: OperatorContext<'_>,
    err: &mut impl FnMut(&str, String),
) -> Option<u32> {
    let at = |f: &str| format!("operator[{i}].{f}");
    let p = o.parallelism?;
    if let Err(m) = check_parallelism(p) {
        err(&at("parallelism"), m);
        return None;
    }
    let p = p as u32;
    if p == ctx.parallelism {
        return None;
    }
    if p > ctx.max_parallelism {
        err(
            &at("parallelism"),
            format!(
                "{p} is above the max parallelism {}: Flink requires parallelism <= max parallelism",
                ctx.max_parallelism
            ),
        );
        return None;
    }
    if !ctx.max_parallelism_set && default_max_parallelism(p) != ctx.max_parallelism {
        err(
            &at("parallelism"),
            format!(
                "{p}: Flink's default max parallelism for it is {}, for [job] parallelism {} it is {}; \
                 statecap simulates one set of key groups per job: set [job] max_parallelism",
                default_max_parallelism(p),
                ctx.parallelism,
                ctx.max_parallelism
            ),
        );
        return None;
    }
    Some(p)
}

/// `input` of operator `i`, resolved into its [`Route`]: the source
/// (`"input"`, or none), one `[[source]]` of a two-input job, an earlier
/// process operator that forwards every record (`emits = "input"`: this
/// one sees what it sees), or an earlier dedup that passes on the first
/// record per key (`emits = "first"`); a join reads two of these, one per
/// `[[source]]`. `routes` are the earlier operators' routes.
fn operator_input(
    i: usize,
    raw: &[RawOperator],
    sides: &[String],
    routes: &[Route],
    err: &mut impl FnMut(&str, String),
) -> Route {
    let at = |f: &str| format!("operator[{i}].{f}");
    let o = &raw[i];
    let kind = o.kind.as_deref();
    let emits_first = kind == Some("dedup") && o.emits.as_deref() == Some("first");
    let route = |from: Vec<RouteFrom>| Route { from, emits_first };
    let named = |o: &RawOperator, j: usize| {
        o.name
            .clone()
            .unwrap_or_else(|| format!("{}{j}", o.kind.as_deref().unwrap_or("window")))
    };
    // What one name gives: the records it passes on, or None (reported).
    let one = |s: &str, err: &mut dyn FnMut(&str, String)| -> Option<Vec<RouteFrom>> {
        if sides.is_empty() && s == "input" {
            return Some(Vec::new());
        }
        if let Some(x) = sides.iter().position(|n| n == s) {
            return Some(vec![RouteFrom {
                stream: Some(x as u32),
                after: None,
                side: 0,
            }]);
        }
        let Some((j, up)) = raw[..i].iter().enumerate().find(|(j, u)| named(u, *j) == s) else {
            err(
                &at("input"),
                format!(
                    "'{}' is neither {} nor an operator before this one",
                    shown(s),
                    if sides.is_empty() {
                        "the source (\"input\")".to_string()
                    } else {
                        format!("a [[source]] ({})", sides.join(", "))
                    }
                ),
            );
            return None;
        };
        let from = routes.get(j).map(|r| r.from.clone()).unwrap_or_default();
        match (up.kind.as_deref(), up.emits.as_deref()) {
            (Some("process"), Some("input")) => Some(from),
            (Some("dedup"), Some("first")) => Some(vec![RouteFrom {
                stream: from.first().and_then(|f| f.stream),
                after: Some(j),
                side: 0,
            }]),
            _ => {
                err(
                    &at("input"),
                    format!(
                        "'{}' does not forward its records: statecap chains an operator after a \
                         kind = \"process\" operator with emits = \"input\" (every record) or a \
                         kind = \"dedup\" operator with emits = \"first\" (the first record per key)",
                        shown(s)
                    ),
                );
                None
            }
        }
    };
    let join = matches!(kind, Some("join" | "interval_join"));
    if join {
        if sides.is_empty() {
            err(
                &at("kind"),
                format!(
                    "\"{}\" reads two inputs: give [input] and two [[source]] (each its own rate, \
                     keys and record size) instead of [source]",
                    kind.unwrap_or("")
                ),
            );
            return route(Vec::new());
        }
        let expected = || {
            format!(
                "a join reads two inputs, the first as its left side: the two [[source]]s \
                 (input = [\"{}\", \"{}\"]) or operators reading one each",
                sides[0],
                sides.get(1).map_or("", |s| s.as_str())
            )
        };
        let names: Vec<&str> = match &o.input {
            None => return route(Vec::new()),
            Some(toml::Value::Array(a)) if a.len() == 2 && a.iter().all(|v| v.is_str()) => {
                a.iter().filter_map(|v| v.as_str()).collect()
            }
            Some(_) => {
                err(&at("input"), expected());
                return route(Vec::new());
            }
        };
        if names == [sides[0].as_str(), sides.get(1).map_or("", |s| s.as_str())] {
            return route(Vec::new());
        }
        if kind == Some("interval_join") {
            err(
                &at("input"),
                format!(
                    "an interval join reads the two [[source]]s: expected input = [\"{}\", \"{}\"]",
                    sides[0],
                    sides.get(1).map_or("", |s| s.as_str())
                ),
            );
            return route(Vec::new());
        }
        let mut from = Vec::new();
        for (side, n) in names.iter().enumerate() {
            match one(n, err) {
                Some(f) if f.len() == 1 && f[0].stream.is_some() => from.push(RouteFrom {
                    side: side as u32,
                    ..f[0]
                }),
                Some(_) => err(&at("input"), expected()),
                None => {}
            }
        }
        if from.len() == 2 && from[0].stream == from[1].stream {
            err(
                &at("input"),
                format!(
                    "'{}' and '{}' both read [[source]] '{}': a join's two inputs are its two \
                     [[source]]s, one each",
                    shown(names[0]),
                    shown(names[1]),
                    sides[from[0].stream.unwrap_or(0) as usize]
                ),
            );
        }
        return route(from);
    }
    match &o.input {
        None if sides.is_empty() => route(Vec::new()),
        None => {
            err(
                &at("input"),
                format!(
                    "missing: in a job of two inputs, the [[source]] ({}) or the operator this \
                     one reads",
                    sides.join(", ")
                ),
            );
            route(Vec::new())
        }
        Some(toml::Value::String(s)) => route(one(s, err).unwrap_or_default()),
        Some(_) => {
            err(
                &at("input"),
                "one input: the name of the source or of an earlier operator (only a join \
                 reads two)"
                    .into(),
            );
            route(Vec::new())
        }
    }
}

/// A `kind = "join"` (every record of both inputs kept, ListStates
/// "left" and "right") or `"interval_join"` operator.
fn join_operator(
    i: usize,
    o: &RawOperator,
    interval: bool,
    ctx: OperatorContext<'_>,
    err: &mut impl FnMut(&str, String),
) -> Option<WindowOperator> {
    let at = |f: &str| format!("operator[{i}].{f}");
    let parallelism = common_operator_fields(i, o, ctx, err);
    let kind_name = if interval { "interval_join" } else { "join" };
    for (f, set) in [
        ("assigner", o.assigner.is_some()),
        ("size_ms", o.size_ms.is_some()),
        ("slide_ms", o.slide_ms.is_some()),
        ("gap_ms", o.gap_ms.is_some()),
        ("offset_ms", o.offset_ms.is_some()),
        ("allowed_lateness_ms", o.allowed_lateness_ms.is_some()),
        ("function", o.function.is_some()),
        ("accumulator_bytes", o.accumulator_bytes.is_some()),
        ("emits", o.emits.is_some()),
        ("timer", o.timer.is_some()),
        ("state", !o.state.is_empty()),
        ("lower", !interval && o.lower.is_some()),
        ("upper", !interval && o.upper.is_some()),
        ("lower_inclusive", !interval && o.lower_inclusive.is_some()),
        ("upper_inclusive", !interval && o.upper_inclusive.is_some()),
        ("retain", interval && o.retain.is_some()),
        ("style", interval && o.style.is_some()),
        ("keep", o.keep.is_some()),
        ("unique_key", interval && o.unique_key.is_some()),
    ] {
        if set {
            err(
                &at(f),
                format!("a kind = \"{kind_name}\" operator has no such field"),
            );
        }
    }
    let sql = (!interval && sql_style(&at, o, err)).then(|| {
        let side = |v: &toml::Value, f: &str, err: &mut dyn FnMut(&str, String)| match v.as_str() {
            None | Some("none") => JoinUnique::None,
            Some("join_key") => JoinUnique::JoinKey,
            Some("other") => JoinUnique::Other,
            Some(other) => {
                err(
                    &at(f),
                    one_of(other, &["none", "join_key", "other"]).unwrap_err(),
                );
                JoinUnique::None
            }
        };
        let (left, right) = match &o.unique_key {
            None => (JoinUnique::None, JoinUnique::None),
            Some(toml::Value::Array(a)) if a.len() == 2 => (
                side(&a[0], "unique_key", err),
                side(&a[1], "unique_key", err),
            ),
            Some(v @ toml::Value::String(_)) => {
                let u = side(v, "unique_key", err);
                (u, u)
            }
            Some(_) => {
                err(
                    &at("unique_key"),
                    "\"none\", \"join_key\" or \"other\" (both inputs), or [left, right]".into(),
                );
                (JoinUnique::None, JoinUnique::None)
            }
        };
        SqlShape::Join { left, right }
    });
    if sql.is_none() && o.unique_key.is_some() {
        err(
            &at("unique_key"),
            "only a SQL join (style = \"sql\") has this field".into(),
        );
    }
    // A join's two lists carry the operator's TTL (each element its own
    // timestamp); an interval join's buffers are Flink's, without TTL.
    let join_ttl = if let Some(SqlShape::Join { left, right }) = sql {
        // Flink SQL's TTL (`StateConfigUtil.createTtlConfig`) on both
        // sides' record states; simulated for MapState<RowData, Integer>
        // (no unique key) only.
        let t = sql_ttl(&at, o, ctx.sql_state_ttl_ms, err);
        if t.is_some() && (left != JoinUnique::None || right != JoinUnique::None) {
            err(
                &if o.ttl.is_some() {
                    at("ttl")
                } else {
                    "flink_conf.table.exec.state.ttl".to_string()
                },
                "TTL of a SQL join's state is simulated without a unique key only \
                 (unique_key = \"none\"), not yet with one"
                    .into(),
            );
            None
        } else {
            t
        }
    } else if interval {
        for (f, set) in o.ttl_fields().set() {
            if set {
                err(
                    &at(f),
                    format!(
                        "a {kind_name}'s buffers are Flink's own (cleaned by its timers), without TTL"
                    ),
                );
            }
        }
        None
    } else {
        ttl(&at(""), o.ttl_fields(), err)
    };
    if let Some(t) = o.time.as_deref()
        && t != "event"
    {
        err(
            &at("time"),
            format!(
                "'{}': only event time is simulated for a {kind_name}",
                shown(t)
            ),
        );
    }
    let name = o.name.clone().unwrap_or_else(|| format!("{kind_name}{i}"));
    let kind = if interval {
        let bound = |f: &str, v: Option<SignedMillis>, err: &mut dyn FnMut(&str, String)| match v {
            Some(SignedMillis(ms)) if ms.abs() <= MAX_WINDOW_MS => ms,
            Some(SignedMillis(ms)) => {
                err(
                    &at(f),
                    format!("must be within ±365 days (statecap's bound), got {ms} ms"),
                );
                0
            }
            None => {
                err(
                    &at(f),
                    format!("missing: the {f} bound of .between(lower, upper), e.g. \"-2 s\""),
                );
                0
            }
        };
        // IntervalJoinOperator: an exclusive bound moves by 1 ms, then
        // "lowerBound <= upperBound must be fulfilled".
        let lower = bound("lower", o.lower, err) + !o.lower_inclusive.unwrap_or(true) as i64;
        let upper = bound("upper", o.upper, err) - !o.upper_inclusive.unwrap_or(true) as i64;
        if lower > upper && o.lower.is_some() && o.upper.is_some() {
            err(
                &at("upper"),
                format!(
                    "lower {lower} ms > upper {upper} ms (inclusive): Flink's IntervalJoinOperator \
                     requires lowerBound <= upperBound"
                ),
            );
        }
        KeyedKind::IntervalJoin {
            lower_ms: lower,
            upper_ms: upper,
        }
    } else {
        if let Some(r) = o.retain.as_deref()
            && r != "all"
        {
            err(&at("retain"), one_of(r, &["all"]).unwrap_err());
        }
        KeyedKind::Join
    };
    let states = if interval {
        Vec::new()
    } else if let Some(SqlShape::Join { left, right }) = sql {
        // Each side's rows: a map (no unique key: row -> count; another
        // unique key: unique key -> row) is a list of its entries; a
        // value keeps the key's last row. Process sizes them from `sql`.
        [("left-records", left), ("right-records", right)]
            .into_iter()
            .map(|(n, u)| KeyedState {
                name: n.into(),
                kind: match u {
                    JoinUnique::JoinKey => StateKind::Value { value_bytes: 0 },
                    JoinUnique::None | JoinUnique::Other => StateKind::List { max_elements: None },
                },
                write: StateWrite::EveryRecord,
                ttl: join_ttl,
            })
            .collect()
    } else {
        ["left", "right"]
            .into_iter()
            .map(|n| KeyedState {
                name: n.into(),
                kind: StateKind::List { max_elements: None },
                write: StateWrite::EveryRecord,
                ttl: join_ttl,
            })
            .collect()
    };
    Some(WindowOperator {
        name,
        assigner: Assigner::Tumbling {
            size_ms: 1,
            offset_ms: 0,
        },
        time: TimeCharacteristic::Event,
        allowed_lateness_ms: 0,
        function: WindowFunction::Process,
        keyed: Some(KeyedOperator {
            kind,
            states,
            timer: None,
            processing_lag_ms: ctx.processing_lag_ms,
            processing_at_checkpoint: ctx.processing_at_checkpoint,
            sql,
        }),
        parallelism,
        route: Route::default(),
    })
}

/// A `kind = "process"` or `"dedup"` operator.
fn keyed_operator(
    i: usize,
    o: &RawOperator,
    kind: KeyedKind,
    ctx: OperatorContext<'_>,
    err: &mut impl FnMut(&str, String),
) -> Option<WindowOperator> {
    let at = |f: &str| format!("operator[{i}].{f}");
    let parallelism = common_operator_fields(i, o, ctx, err);
    for (f, set) in [
        ("assigner", o.assigner.is_some()),
        ("size_ms", o.size_ms.is_some()),
        ("slide_ms", o.slide_ms.is_some()),
        ("gap_ms", o.gap_ms.is_some()),
        ("offset_ms", o.offset_ms.is_some()),
        ("allowed_lateness_ms", o.allowed_lateness_ms.is_some()),
        ("function", o.function.is_some()),
        ("accumulator_bytes", o.accumulator_bytes.is_some()),
    ] {
        if set {
            err(
                &at(f),
                format!(
                    "only window operators have this field, not kind = \"{}\"",
                    kind.name()
                ),
            );
        }
    }
    if let Some(t) = o.time.as_deref()
        && t != "event"
    {
        err(
            &at("time"),
            format!(
                "'{}': a {} operator runs on event time (its timers) and processing time = \
                 event time + [source] processing_lag_ms (its TTL); only \"event\" is simulated",
                shown(t),
                kind.name()
            ),
        );
    }
    // A process forwards every record; a dedup the first per key.
    let emits = if kind == KeyedKind::Dedup {
        "first"
    } else {
        "input"
    };
    if let Some(e) = o.emits.as_deref()
        && e != emits
    {
        err(&at("emits"), one_of(e, &[emits]).unwrap_err());
    }
    if o.emits.is_some() && ctx.processing_at_checkpoint {
        err(
            &at("emits"),
            "a chain is not simulated with processing_time = \"checkpoint\" (records \
             processed in bursts at each checkpoint); use \"event_time\""
                .into(),
        );
    }
    if o.emits.is_some() && o.style.as_deref() == Some("sql") {
        err(
            &at("emits"),
            "a SQL operator's output is not simulated as another operator's input".into(),
        );
    }
    let mut sql = None;
    let (states, timer) = match kind {
        // Read by `join_operator`.
        KeyedKind::Join | KeyedKind::IntervalJoin { .. } => (Vec::new(), None),
        KeyedKind::Dedup if sql_style(&at, o, err) => {
            if !o.state.is_empty() {
                err(
                    &at("state"),
                    "a SQL dedup's state is fixed (ValueState \"deduplicate-state\")".into(),
                );
            }
            if o.timer.is_some() {
                err(&at("timer"), "a SQL dedup registers no timer".into());
            }
            if o.unique_key.is_some() {
                err(&at("unique_key"), "only a SQL join has this field".into());
            }
            let keep_last = match o.keep.as_deref() {
                None | Some("first") => false,
                Some("last") => true,
                Some(other) => {
                    err(&at("keep"), one_of(other, &["first", "last"]).unwrap_err());
                    false
                }
            };
            sql = Some(if keep_last {
                SqlShape::DedupLast
            } else {
                SqlShape::DedupFirst
            });
            let ttl = sql_ttl(&at, o, ctx.sql_state_ttl_ms, err);
            (
                vec![KeyedState {
                    name: "deduplicate-state".into(),
                    // Keep-last's value is the row (its bytes follow each
                    // record); value_bytes counts none of it.
                    kind: StateKind::Value {
                        value_bytes: if keep_last { 0 } else { 1 },
                    },
                    write: if keep_last {
                        StateWrite::EveryRecord
                    } else {
                        StateWrite::FirstPerKey
                    },
                    ttl,
                }],
                None,
            )
        }
        KeyedKind::Dedup => {
            if o.keep.is_some() {
                err(
                    &at("keep"),
                    "only a SQL dedup (style = \"sql\") has this field".into(),
                );
            }
            if o.unique_key.is_some() {
                err(
                    &at("unique_key"),
                    "only a SQL join (style = \"sql\") has this field".into(),
                );
            }
            if !o.state.is_empty() {
                err(
                    &at("state"),
                    "a dedup operator's state is fixed (ValueState<Boolean> \"seen\"); \
                     declare states with kind = \"process\""
                        .into(),
                );
            }
            if o.timer.is_some() {
                err(&at("timer"), "a dedup operator registers no timer".into());
            }
            let ttl = ttl(&at(""), o.ttl_fields(), err);
            (
                vec![KeyedState {
                    name: "seen".into(),
                    kind: StateKind::Value { value_bytes: 1 },
                    write: StateWrite::FirstPerKey,
                    ttl,
                }],
                None,
            )
        }
        KeyedKind::Process => {
            for (f, set) in [
                ("style", o.style.is_some()),
                ("keep", o.keep.is_some()),
                ("unique_key", o.unique_key.is_some()),
            ]
            .into_iter()
            .chain(o.ttl_fields().set())
            {
                if set {
                    err(
                        &at(f),
                        "a process operator's TTL is set per state, in its [[operator.state]]"
                            .into(),
                    );
                }
            }
            let mut states: Vec<KeyedState> = Vec::new();
            for (j, st) in o.state.iter().enumerate() {
                if let Some(k) = keyed_state(&format!("operator[{i}].state[{j}]."), st, err) {
                    if states.iter().any(|s| s.name == k.name) {
                        err(
                            &format!("operator[{i}].state[{j}].name"),
                            format!("two states are named '{}'", shown(&k.name)),
                        );
                    }
                    states.push(k);
                }
            }
            let timer = o.timer.as_ref().map(|t| {
                let tat = |f: &str| format!("operator[{i}].timer.{f}");
                if ctx.processing_at_checkpoint {
                    err(
                        &at("timer"),
                        "timers are not simulated with processing_time = \"checkpoint\" \
                         (records processed in bursts at each checkpoint); use \"event_time\""
                            .into(),
                    );
                }
                match t.time.as_deref() {
                    None | Some("event") => {}
                    Some("processing") => err(
                        &tat("time"),
                        "processing-time timers are not simulated yet (only \"event\")".into(),
                    ),
                    Some(other) => err(&tat("time"), one_of(other, &["event"]).unwrap_err()),
                }
                let delay = match t.delay {
                    Some(SignedMillis(ms)) if (0..=MAX_WINDOW_MS).contains(&ms) => ms,
                    Some(SignedMillis(ms)) => {
                        err(&tat("delay"), format!("must be 0 to 365 days, got {ms} ms"));
                        0
                    }
                    None => {
                        err(
                            &tat("delay"),
                            "missing: the timer's delay after the record's timestamp".into(),
                        );
                        0
                    }
                };
                let mut clears = Vec::new();
                for name in t.clears.iter().flatten() {
                    match o
                        .state
                        .iter()
                        .position(|s| s.name.as_deref() == Some(name.as_str()))
                    {
                        Some(j) => clears.push(j),
                        None => err(
                            &tat("clears"),
                            format!(
                                "'{}' is not a declared [[operator.state]] name",
                                shown(name)
                            ),
                        ),
                    }
                }
                EventTimer {
                    delay_ms: delay,
                    clears,
                }
            });
            (states, timer)
        }
    };
    // The placeholders of the window fields (nothing reads them for a
    // keyed operator).
    Some(WindowOperator {
        name: o
            .name
            .clone()
            .unwrap_or_else(|| format!("{}{i}", kind.name())),
        assigner: Assigner::Tumbling {
            size_ms: 1,
            offset_ms: 0,
        },
        time: TimeCharacteristic::Event,
        allowed_lateness_ms: 0,
        function: WindowFunction::Process,
        keyed: Some(KeyedOperator {
            kind,
            states,
            timer,
            processing_lag_ms: ctx.processing_lag_ms,
            processing_at_checkpoint: ctx.processing_at_checkpoint,
            sql,
        }),
        parallelism,
        route: Route::default(),
    })
}

/// One `[[operator.state]]`; `at` ends with a dot.
fn keyed_state(
    at: &str,
    st: &RawKeyedState,
    err: &mut impl FnMut(&str, String),
) -> Option<KeyedState> {
    let f = |x: &str| format!("{at}{x}");
    let name = match st.name.as_deref() {
        Some(n) if n.is_empty() || n.len() > 1000 || n.starts_with("_timer_state/") => {
            err(
                &f("name"),
                "must be 1 to 1000 characters and not start with \"_timer_state/\"".into(),
            );
            n.to_string()
        }
        Some(n) => n.to_string(),
        None => {
            err(
                &f("name"),
                "missing: the state's name (as Flink's state descriptor names it)".into(),
            );
            String::new()
        }
    };
    let forbid = |field: &str, set: bool, why: &str, err: &mut dyn FnMut(&str, String)| {
        if set {
            err(&f(field), why.to_string());
        }
    };
    let write = match st.write.as_deref() {
        None | Some("every_record") => StateWrite::EveryRecord,
        Some("first_per_key") => StateWrite::FirstPerKey,
        Some(other) => {
            err(
                &f("write"),
                one_of(other, &["every_record", "first_per_key"]).unwrap_err(),
            );
            StateWrite::EveryRecord
        }
    };
    let kind = match st.kind.as_deref() {
        Some("value") => {
            forbid(
                "element",
                st.element.is_some(),
                "only list states have elements",
                err,
            );
            forbid(
                "element_bytes",
                st.element_bytes.is_some(),
                "only list states have elements",
                err,
            );
            forbid(
                "max_elements",
                st.max_elements.is_some(),
                "only list states have elements",
                err,
            );
            forbid(
                "map_key",
                st.map_key.is_some(),
                "only map states have map keys",
                err,
            );
            forbid(
                "map_keys",
                st.map_keys.is_some(),
                "only map states have map keys",
                err,
            );
            let vb = match st.value_bytes {
                Some(Bytes(b @ (1 | 8))) => b as u32,
                Some(Bytes(b)) => {
                    err(
                        &f("value_bytes"),
                        format!(
                            "{b}: statecap knows the snapshot header of Long (8) and Boolean (1) values only"
                        ),
                    );
                    8
                }
                None => {
                    err(&f("value_bytes"), "missing: 8 (Long) or 1 (Boolean)".into());
                    8
                }
            };
            StateKind::Value { value_bytes: vb }
        }
        Some("list") => {
            forbid(
                "value_bytes",
                st.value_bytes.is_some(),
                "a list state has elements, not a value",
                err,
            );
            forbid(
                "map_key",
                st.map_key.is_some(),
                "only map states have map keys",
                err,
            );
            forbid(
                "map_keys",
                st.map_keys.is_some(),
                "only map states have map keys",
                err,
            );
            match (st.element.as_deref(), st.element_bytes) {
                (Some("record"), None) => {}
                (_, Some(_)) => err(
                    &f("element_bytes"),
                    "statecap knows the snapshot header of lists of the input record only: \
                     element = \"record\""
                        .into(),
                ),
                (Some(other), None) => err(&f("element"), one_of(other, &["record"]).unwrap_err()),
                (None, None) => err(&f("element"), "missing: element = \"record\"".into()),
            }
            let max_elements = match st.max_elements {
                Some(Count(n)) if n == 0 || n > 1_000_000 => {
                    err(&f("max_elements"), format!("must be 1 to 1000000, got {n}"));
                    None
                }
                Some(Count(n)) => Some(n as u32),
                None => None,
            };
            if write != StateWrite::EveryRecord {
                err(
                    &f("write"),
                    "a list state is written on every record".into(),
                );
            }
            StateKind::List { max_elements }
        }
        Some("map") => {
            forbid(
                "element",
                st.element.is_some(),
                "only list states have elements",
                err,
            );
            forbid(
                "element_bytes",
                st.element_bytes.is_some(),
                "only list states have elements",
                err,
            );
            forbid(
                "max_elements",
                st.max_elements.is_some(),
                "only list states have elements",
                err,
            );
            let prefix = match &st.map_key {
                Some(mk) => {
                    match mk.column.as_deref() {
                        Some("sub_key") => {}
                        Some(other) => err(
                            &f("map_key.column"),
                            one_of(other, &["sub_key"]).unwrap_err(),
                        ),
                        None => err(&f("map_key.column"), "missing: column = \"sub_key\"".into()),
                    }
                    match mk.kind.as_deref() {
                        None | Some("string") => {}
                        Some(other) => err(
                            &f("map_key.type"),
                            format!(
                                "{}; statecap knows the snapshot header of String map keys only",
                                one_of(other, &["string"]).unwrap_err()
                            ),
                        ),
                    }
                    let p = mk.prefix.clone().unwrap_or_default();
                    if p.len() > 1000 || !p.is_ascii() {
                        err(
                            &f("map_key.prefix"),
                            "must be at most 1000 ASCII characters".into(),
                        );
                    }
                    p
                }
                None => {
                    err(&f("map_key"), "missing: map_key = { column = \"sub_key\", type = \"string\", prefix = \"e\" }".into());
                    String::new()
                }
            };
            let map_keys = match st.map_keys {
                Some(Count(n)) if n == 0 || n > 1_000_000 => {
                    err(&f("map_keys"), format!("must be 1 to 1000000, got {n}"));
                    1
                }
                Some(Count(n)) => n as u32,
                None => {
                    err(
                        &f("map_keys"),
                        "missing: the number of distinct sub-keys".into(),
                    );
                    1
                }
            };
            match st.value_bytes {
                Some(Bytes(8)) => {}
                Some(Bytes(b)) => err(
                    &f("value_bytes"),
                    format!("{b}: statecap knows the snapshot header of Long (8) map values only"),
                ),
                None => err(&f("value_bytes"), "missing: 8 (Long)".into()),
            }
            if write != StateWrite::EveryRecord {
                err(
                    &f("write"),
                    "a map state is written (put) on every record".into(),
                );
            }
            StateKind::Map {
                prefix,
                map_keys,
                value_bytes: 8,
            }
        }
        Some(other) => {
            err(
                &f("kind"),
                one_of(other, &["value", "list", "map"]).unwrap_err(),
            );
            return None;
        }
        None => {
            err(
                &f("kind"),
                "missing: kind = \"value\", \"list\" or \"map\"".into(),
            );
            return None;
        }
    };
    let ttl = ttl(at, st.ttl_fields(), err);
    Some(KeyedState {
        name,
        kind,
        write,
        ttl,
    })
}

/// The TTL fields at `at` (ends with a dot); `None` without `ttl`.
/// `style` of a `dedup` or `join`: whether it is `"sql"`.
fn sql_style(
    at: &impl Fn(&str) -> String,
    o: &RawOperator,
    err: &mut impl FnMut(&str, String),
) -> bool {
    match o.style.as_deref() {
        None | Some("datastream") => false,
        Some("sql") => true,
        Some(other) => {
            err(
                &at("style"),
                one_of(other, &["datastream", "sql"]).unwrap_err(),
            );
            false
        }
    }
}

/// The TTL of a SQL operator's state: its `ttl`, else `[flink_conf]
/// table.exec.state.ttl`; Flink SQL fixes the rest (`StateConfigUtil.
/// createTtlConfig`: OnCreateAndWrite, NeverReturnExpired, the default
/// background cleanup: incremental 5 on heap, the compaction filter on
/// RocksDB).
fn sql_ttl(
    at: &impl Fn(&str) -> String,
    o: &RawOperator,
    conf_ttl_ms: i64,
    err: &mut impl FnMut(&str, String),
) -> Option<Ttl> {
    for (f, set) in o.ttl_fields().set().into_iter().skip(1) {
        if set {
            err(
                &at(f),
                "Flink SQL fixes its state TTL's settings (OnCreateAndWrite, NeverReturnExpired, \
                 the default cleanup); only `ttl` (or [flink_conf] table.exec.state.ttl) is set"
                    .into(),
            );
        }
    }
    let ttl_ms = match o.ttl {
        Some(Millis(ms)) if ms == 0 || ms as i64 > MAX_WINDOW_MS => {
            err(&at("ttl"), format!("must be 1 ms to 365 days, got {ms} ms"));
            return None;
        }
        Some(Millis(ms)) => ms as i64,
        None => conf_ttl_ms,
    };
    (ttl_ms > 0).then_some(Ttl {
        ttl_ms,
        update_on_read: false,
        return_expired: false,
        cleanup: TtlCleanup::Incremental { size: 5 },
        compaction_filter: true,
    })
}

fn ttl(at: &str, t: RawTtl<'_>, err: &mut impl FnMut(&str, String)) -> Option<Ttl> {
    let f = |x: &str| format!("{at}{x}");
    let Some(Millis(ms)) = t.ttl else {
        for (x, set) in t.set().into_iter().skip(1) {
            if set {
                err(&f(x), "set without `ttl` (the state's time to live)".into());
            }
        }
        return None;
    };
    if ms == 0 || ms as i64 > MAX_WINDOW_MS {
        err(&f("ttl"), format!("must be 1 ms to 365 days, got {ms} ms"));
    }
    let update_on_read = match t.ttl_update {
        None | Some("OnCreateAndWrite") => false,
        Some("OnReadAndWrite") => true,
        Some(other) => {
            err(
                &f("ttl_update"),
                one_of(other, &["OnCreateAndWrite", "OnReadAndWrite"]).unwrap_err(),
            );
            false
        }
    };
    let return_expired = match t.ttl_visibility {
        None | Some("NeverReturnExpired") => false,
        Some("ReturnExpiredIfNotCleanedUp") => true,
        Some(other) => {
            err(
                &f("ttl_visibility"),
                one_of(
                    other,
                    &["NeverReturnExpired", "ReturnExpiredIfNotCleanedUp"],
                )
                .unwrap_err(),
            );
            false
        }
    };
    let cleanup = match t.ttl_cleanup {
        Some("none") => TtlCleanup::None,
        Some("full_snapshot") => TtlCleanup::FullSnapshot,
        // The heap backend ignores the RocksDB compaction filter.
        Some("compaction_filter") => TtlCleanup::None,
        // Flink's default background cleanup is incremental, 5 entries
        // per access, on heap (the compaction filter on RocksDB).
        Some("default") | None => TtlCleanup::Incremental { size: 5 },
        Some("incremental") => {
            let size = match t.ttl_cleanup_size {
                None => 5,
                Some(Count(n)) if (1..=1_000_000).contains(&n) => n as u32,
                Some(Count(n)) => {
                    err(
                        &f("ttl_cleanup_size"),
                        format!("must be 1 to 1000000 entries per state access, got {n}"),
                    );
                    5
                }
            };
            TtlCleanup::Incremental { size }
        }
        Some(other) => {
            err(
                &f("ttl_cleanup"),
                one_of(
                    other,
                    &[
                        "none",
                        "full_snapshot",
                        "incremental",
                        "compaction_filter",
                        "default",
                    ],
                )
                .unwrap_err(),
            );
            TtlCleanup::None
        }
    };
    match (cleanup, t.ttl_cleanup) {
        (_, Some("incremental")) => {}
        _ if t.ttl_cleanup_size.is_some() => err(
            &f("ttl_cleanup_size"),
            "only ttl_cleanup = \"incremental\" has a size".into(),
        ),
        _ => {}
    }
    if t.ttl_query_time_after_entries.is_some() && t.ttl_cleanup != Some("compaction_filter") {
        err(
            &f("ttl_query_time_after_entries"),
            "only ttl_cleanup = \"compaction_filter\" has it".into(),
        );
    }
    Some(Ttl {
        ttl_ms: ms as i64,
        update_on_read,
        return_expired,
        cleanup,
        compaction_filter: matches!(t.ttl_cleanup, Some("compaction_filter" | "default") | None),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
name = "t"
flink_version = "1.17"

[source]
records = 1000
events_per_second = 100
keys = 50
key_type = "string"
key_length = 3
record_bytes = 10

[job]
parallelism = 4
max_parallelism = 8

[[operator]]
kind = "window"
assigner = "sliding"
size = "10 s"
slide = "2 s"
function = "reduce"

[[operator]]
kind = "window"
assigner = "tumbling"
size = "10 s"
offset = "1 s"
function = "reduce"

[checkpoints]
interval = "1 s"
"#;

    fn parsed(text: &str) -> Result<Scenario, Vec<(String, String)>> {
        parse(text, Path::new("t.toml"))
            .map_err(|es| es.into_iter().map(|e| (e.field, e.message)).collect())
    }

    /// A field as the code names it (`operator[0].slide` → `operator[0].slide_ms`).
    fn code_name(field: &str) -> String {
        let (parent, last) = field.rsplit_once('.').unwrap_or(("", field));
        let section = parent.split(['.', '[']).next().unwrap_or("");
        SPELLINGS
            .iter()
            .find(|(t, _, other)| *t == section && *other == last)
            .map_or(field.to_string(), |(_, code, _)| format!("{parent}.{code}"))
    }

    /// A value changed on the parsed scenario breaks the same rule, with the
    /// same field and message, as the same value written in the file.
    #[test]
    fn check_scenario_reports_what_the_parser_reports() {
        let base = parsed(GOOD).unwrap();
        assert_eq!(check_scenario(&base), Ok(()));
        type Change = fn(&mut Scenario);
        let cases: [(&str, &str, Change); 6] = [
            ("max_parallelism = 8", "max_parallelism = 2", |s| {
                s.max_parallelism = 2
            }),
            ("parallelism = 4", "parallelism = 40000", |s| {
                s.parallelism = 40000
            }),
            ("keys = 50", "keys = 500", |s| s.source.keys = 500),
            ("slide = \"2 s\"", "slide = \"20 s\"", |s| {
                if let Assigner::Sliding { slide_ms, .. } = &mut s.operators[0].assigner {
                    *slide_ms = 20_000;
                }
            }),
            ("size = \"10 s\"\noffset", "size = \"1 s\"\noffset", |s| {
                if let Assigner::Tumbling { size_ms, .. } = &mut s.operators[1].assigner {
                    *size_ms = 1_000;
                }
            }),
            ("events_per_second = 100", "events_per_second = -1", |s| {
                s.source.events_per_second = -1.0
            }),
        ];
        for (from, to, change) in cases {
            assert!(GOOD.contains(from), "{from}");
            let from_file: Vec<(String, String)> = parsed(&GOOD.replacen(from, to, 1))
                .unwrap_err()
                .into_iter()
                .map(|(f, m)| (code_name(&f), m))
                .collect();
            let mut s = base.clone();
            change(&mut s);
            assert_eq!(check_scenario(&s), Err(from_file), "{to}");
        }
    }

    #[test]
    fn window_rules_take_a_broken_length_as_one_ms() {
        let a = Assigner::Sliding {
            size_ms: 0,
            slide_ms: 5,
            offset_ms: 5,
        };
        let broken: Vec<&str> = check_assigner(&a).into_iter().map(|(f, _)| f).collect();
        assert_eq!(broken, ["size_ms", "slide_ms", "offset_ms"]);
        assert!(
            check_slide(1_000_000, 10).is_err(),
            "100,000 windows per element"
        );
        assert!(check_key_spelling(3, 100).is_ok() && check_key_spelling(3, 101).is_err());
    }
}
