//! Raw scenario → [`Scenario`]: every semantic check, every error collected
//! with the line of the field it concerns.

use super::raw::*;
use super::*;
use crate::error::ScenarioError;
use crate::flink::conf_file::ConfFile;
use crate::flink::config::{self, Explicit};
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
        let before = &self.text[..offset.min(self.text.len())];
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        (line, col)
    }

    /// Span of `section.field`, `operator[i].field` or a section.
    fn span(&self, field: &str) -> Option<std::ops::Range<usize>> {
        let doc = self.doc.as_ref()?;
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
                (_, item) => item,
            };
            if i + 1 == parts.len() {
                return best;
            }
            table = item.as_table_like()?;
        }
        best
    }

    fn error(&self, field: &str, message: impl Into<String>) -> ScenarioError {
        // Fall back to the enclosing section when the field itself is absent.
        let mut span = self.span(field);
        let mut f = field;
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
            None => (None, None),
        };
        ScenarioError {
            path: self.path.to_path_buf(),
            line,
            column,
            field: field.to_string(),
            message: message.into(),
        }
    }
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
                .trim_matches(|c| c == '"' || c == '[' || c == ']')
                .to_string();
            (Some(l), Some(c), field)
        }
        None => (None, None, String::new()),
    };
    let mut message = e.message().trim().to_string();
    if message.starts_with("data did not match any variant") {
        message = "expected a size such as 117 or \"1 kb\", or a table such as \
                   { distribution = \"uniform\", min = 100, max = 300 }"
            .into();
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
            "'{value}' is not one of {}",
            allowed
                .iter()
                .map(|a| format!("\"{a}\""))
                .collect::<Vec<_>>()
                .join(", ")
        ))
    }
}

/// Largest number of keys statecap's exact mode tracks.
const MAX_KEYS: u64 = 1 << 32;

pub(super) fn parse(text: &str, path: &Path) -> Result<Scenario, Vec<ScenarioError>> {
    parse_with(text, path, None)
}

/// [`parse`], with the entries of a Flink configuration file (`run
/// --flink-conf`) merged over `[flink_conf]` before resolution; errors in
/// values that came from that file point at its line.
pub(super) fn parse_with(
    text: &str,
    path: &Path,
    extra: Option<&ConfFile>,
) -> Result<Scenario, Vec<ScenarioError>> {
    let loc = Locator::new(text, path);
    let raw: RawScenario = toml::from_str(text).map_err(|e| vec![syntax_error(&loc, &e)])?;
    let mut errs: Vec<ScenarioError> = Vec::new();
    let mut err = |field: &str, msg: String| errs.push(loc.error(field, msg));

    // --- top level
    if raw.name.is_empty()
        || !raw
            .name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        || raw.name.starts_with('.')
    {
        err(
            "name",
            format!(
                "'{}' cannot name an output directory: use letters, digits, '_', '-' and '.'",
                raw.name
            ),
        );
    }
    let flink_version = match &raw.flink_version {
        toml::Value::String(s) => match s.parse::<FlinkVersion>() {
            Ok(v) => Some(v),
            Err(e) => {
                err("flink_version", e);
                None
            }
        },
        other => {
            err(
                "flink_version",
                format!("write the version as a string, e.g. \"1.20\" (got {other})"),
            );
            None
        }
    };
    let seed = raw.seed.unwrap_or(0);

    // --- [source]
    let s = &raw.source;
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
            format!("trace file {} does not exist or is not a file", t.display()),
        );
    }
    let eps = s.events_per_second;
    match eps {
        Some(r) if !(r.is_finite() && r > 0.0 && r <= 1e12) => err(
            "source.events_per_second",
            format!("must be a positive rate, got {r}"),
        ),
        None => err(
            "source.events_per_second",
            "missing: the source rate in records per second".into(),
        ),
        _ => {}
    }
    let eps = eps.unwrap_or(1.0).clamp(1e-9, 1e12);
    let records = match (s.records, s.duration) {
        (Some(_), Some(_)) => {
            err(
                "source.duration",
                "give `records` or `duration`, not both".into(),
            );
            0
        }
        (Some(Count(n)), None) => n,
        (None, Some(Millis(d))) => (d as f64 * eps / 1000.0).round() as u64,
        (None, None) if trace.is_some() => u64::MAX,
        (None, None) => {
            err(
                "source.records",
                "missing: how many records to play (`records`), or for how long (`duration = \"1 h\"`)"
                    .into(),
            );
            0
        }
    };
    if records == 0 {
        err(
            "source.records",
            "the source must play at least one record".into(),
        );
    }
    let keys = match s.keys {
        Some(Count(0)) => {
            err("source.keys", "must be at least 1".into());
            1
        }
        Some(Count(k)) if k > MAX_KEYS => {
            err(
                "source.keys",
                format!("{k} keys is more than statecap tracks ({MAX_KEYS})"),
            );
            1
        }
        Some(Count(k)) => k,
        None if trace.is_some() => 0,
        None => {
            err("source.keys", "missing: the number of distinct keys".into());
            1
        }
    };
    let key_distribution = match s.key_distribution.as_deref().unwrap_or("uniform") {
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
                    format!("must be in (0, 10], got {z}"),
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
    };
    let key_type = match s.key_type.as_deref().unwrap_or("long") {
        "long" => KeyType::Long,
        "int" | "integer" => KeyType::Int,
        "string" => match s.key_length {
            Some(l) if (1..=65535).contains(&l) => {
                let digits = keys.max(2).saturating_sub(1).to_string().len() as u32;
                if trace.is_none() && l < digits + 1 {
                    err(
                        "source.key_length",
                        format!(
                            "{keys} distinct keys need a key_length of at least {}",
                            digits + 1
                        ),
                    );
                }
                KeyType::String(l)
            }
            Some(l) => {
                err(
                    "source.key_length",
                    format!("must be 1..65535 chars, got {l}"),
                );
                KeyType::String(1)
            }
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
    let record_bytes = match &s.record_bytes {
        None if trace.is_some() => SizeDistribution::Fixed(0),
        None => {
            err(
                "source.record_bytes",
                "missing: the serialized size of one record (e.g. 117 or \"1 kb\")".into(),
            );
            SizeDistribution::Fixed(1)
        }
        Some(RawRecordBytes::Fixed(Bytes(b))) => {
            if *b == 0 || *b > u32::MAX as u64 / 2 {
                err(
                    "source.record_bytes",
                    format!("must be 1 byte to 1 GiB, got {b}"),
                );
            }
            SizeDistribution::Fixed((*b).clamp(1, 1 << 30) as u32)
        }
        Some(RawRecordBytes::Distribution(d)) => size_distribution(d, &mut err),
    };
    let jitter_ms = s.jitter_ms.map_or(0, |m| m.0);
    let out_of_orderness_ms = s.out_of_orderness_ms.map_or(0, |m| m.0);
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

    // --- [job]
    let p = raw.job.parallelism;
    if !(1..=32768).contains(&p) {
        err("job.parallelism", format!("must be 1..32768, got {p}"));
    }
    let parallelism = p.clamp(1, 32768) as u32;
    let (max_parallelism, max_parallelism_set) = match raw.job.max_parallelism {
        Some(mp) if !(1..=32768).contains(&mp) => {
            err(
                "job.max_parallelism",
                format!("must be 1..32768 (Flink's upper bound), got {mp}"),
            );
            (default_max_parallelism(parallelism), true)
        }
        Some(mp) if (mp as u32) < parallelism => {
            err(
                "job.max_parallelism",
                format!(
                    "{mp} is below the parallelism {parallelism}: Flink requires parallelism <= max parallelism"
                ),
            );
            (parallelism, true)
        }
        Some(mp) => (mp as u32, true),
        None => (default_max_parallelism(parallelism), false),
    };

    // --- [[operator]]
    if raw.operator.is_empty() {
        err(
            "operator",
            "missing: at least one [[operator]] (a keyed window)".into(),
        );
    }
    let mut operators = Vec::new();
    for (i, o) in raw.operator.iter().enumerate() {
        if let Some(op) = operator(i, o, &mut err) {
            operators.push(op);
        }
    }
    let mut names = std::collections::HashSet::new();
    for (i, o) in operators.iter().enumerate() {
        if !names.insert(o.name.clone()) {
            err(
                &format!("operator[{i}].name"),
                format!("two operators are named '{}'", o.name),
            );
        }
    }

    // --- [flink_conf]
    let mut flink_conf = BTreeMap::new();
    for (k, v) in raw.flink_conf.iter().flatten() {
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

    // --- [state] and [checkpoints]
    let st = raw.state.as_ref();
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
    let c = &raw.checkpoints;
    let conf_interval = flink_conf
        .get("execution.checkpointing.interval")
        .map(|v| crate::flink::units::parse_duration_ms(v));
    let checkpoints = match (c.every_records, c.interval_ms, conf_interval) {
        (Some(_), Some(_), _) => {
            err(
                "checkpoints.interval_ms",
                "give `every_records` or `interval_ms`, not both".into(),
            );
            CheckpointTrigger::EveryRecords(1)
        }
        (Some(Count(0)), _, _) => {
            err("checkpoints.every_records", "must be at least 1".into());
            CheckpointTrigger::EveryRecords(1)
        }
        (Some(Count(n)), None, _) => CheckpointTrigger::EveryRecords(n),
        (None, Some(Millis(0)), _) => {
            err("checkpoints.interval_ms", "must be at least 1 ms".into());
            CheckpointTrigger::Interval(1)
        }
        (None, Some(Millis(ms)), _) => CheckpointTrigger::Interval(ms),
        (None, None, Some(Ok(ms))) if ms > 0 => CheckpointTrigger::Interval(ms),
        (None, None, Some(Err(e))) => {
            err("flink_conf.execution.checkpointing.interval", e);
            CheckpointTrigger::Interval(1)
        }
        (None, None, _) => {
            err(
                "checkpoints",
                "no checkpoint trigger: Flink takes no checkpoints unless an interval is set; \
                 give `interval_ms = \"10 s\"` or `every_records`"
                    .into(),
            );
            CheckpointTrigger::Interval(1)
        }
    };
    let config = flink_version.and_then(|v| {
        let explicit = Explicit {
            backend: st.and_then(|s| s.backend.as_deref()),
            storage: c.storage.as_deref(),
            incremental: st.and_then(|s| s.incremental),
            max_state_size: c.max_state_size.map(|b| b.0),
        };
        match config::resolve(v, &flink_conf, &explicit) {
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
    });

    if let Some(c) = extra {
        locate_in_conf_file(&mut errs, c);
    }
    if !errs.is_empty() {
        return Err(errs);
    }
    Ok(Scenario {
        path: path.to_path_buf(),
        name: raw.name,
        description: raw.description,
        flink_version: flink_version.expect("checked"),
        seed,
        source: Source {
            records,
            events_per_second: eps,
            keys,
            key_distribution,
            key_type,
            record_bytes,
            jitter_ms,
            out_of_orderness_ms,
            watermark_every_records,
            trace,
            payload,
        },
        parallelism,
        max_parallelism,
        max_parallelism_set,
        operators,
        config: config.expect("checked"),
        timer_service,
        compression,
        checkpoints,
        flink_conf,
    })
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

fn size_distribution(
    d: &RawSizeDistribution,
    err: &mut impl FnMut(&str, String),
) -> SizeDistribution {
    let f = "source.record_bytes";
    let b = |x: Option<Bytes>| x.map(|b| b.0.min(1 << 30) as u32);
    let (min, max, mean, sd) = (
        b(d.min),
        b(d.max),
        d.mean.map(|m| m.0 as f64),
        d.stddev.map(|m| m.0 as f64),
    );
    let lo = min.unwrap_or(1).max(1);
    let hi = max.unwrap_or(1 << 30);
    if lo > hi {
        err(f, format!("min {lo} is above max {hi}"));
    }
    match d.distribution.as_str() {
        "uniform" => match (min, max) {
            (Some(_), Some(_)) => SizeDistribution::Uniform {
                min: lo,
                max: hi.max(lo),
            },
            _ => {
                err(f, "a uniform size distribution needs min and max".into());
                SizeDistribution::Fixed(1)
            }
        },
        kind @ ("normal" | "lognormal") => match (mean, sd) {
            (Some(m), Some(s)) if m >= 1.0 => {
                if kind == "normal" {
                    SizeDistribution::Normal {
                        mean: m,
                        stddev: s,
                        min: lo,
                        max: hi.max(lo),
                    }
                } else {
                    SizeDistribution::LogNormal {
                        mean: m,
                        stddev: s,
                        min: lo,
                        max: hi.max(lo),
                    }
                }
            }
            _ => {
                err(
                    f,
                    format!("a {kind} size distribution needs mean (>= 1) and stddev"),
                );
                SizeDistribution::Fixed(1)
            }
        },
        other => {
            err(
                f,
                one_of(other, &["uniform", "normal", "lognormal"]).unwrap_err(),
            );
            SizeDistribution::Fixed(1)
        }
    }
}

fn operator(
    i: usize,
    o: &RawOperator,
    err: &mut impl FnMut(&str, String),
) -> Option<WindowOperator> {
    let at = |f: &str| format!("operator[{i}].{f}");
    if o.kind != "window" {
        err(&at("kind"), one_of(&o.kind, &["window"]).unwrap_err());
        return None;
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
    let ms = |v: Option<Millis>| v.map(|m| m.0 as i64);
    let positive = |field: &str, v: Option<i64>, err: &mut dyn FnMut(&str, String)| -> i64 {
        match v {
            Some(x) if x > 0 && x <= 365 * 86_400_000 => x,
            Some(x) => {
                err(
                    &at(field),
                    format!("must be between 1 ms and 365 days, got {x} ms"),
                );
                1
            }
            None => {
                err(&at(field), "missing".to_string());
                1
            }
        }
    };
    let offset = ms(o.offset_ms).unwrap_or(0);
    let assigner = match o.assigner.as_deref() {
        Some("tumbling") => {
            let size = positive("size_ms", ms(o.size_ms), err);
            if offset >= size {
                err(
                    &at("offset_ms"),
                    format!("offset {offset} ms must be below the size {size} ms"),
                );
            }
            Assigner::Tumbling {
                size_ms: size,
                offset_ms: offset,
            }
        }
        Some("sliding") => {
            let size = positive("size_ms", ms(o.size_ms), err);
            let slide = positive("slide_ms", ms(o.slide_ms), err);
            if slide > size {
                err(
                    &at("slide_ms"),
                    format!(
                        "slide {slide} ms is larger than the window size {size} ms: elements between windows would be lost"
                    ),
                );
            } else if size / slide > 10_000 {
                err(
                    &at("slide_ms"),
                    format!(
                        "{} windows per element is more than statecap simulates",
                        size / slide
                    ),
                );
            }
            if offset >= slide {
                err(
                    &at("offset_ms"),
                    format!("offset {offset} ms must be below the slide {slide} ms"),
                );
            }
            Assigner::Sliding {
                size_ms: size,
                slide_ms: slide,
                offset_ms: offset,
            }
        }
        Some("session") => {
            let gap = positive("gap_ms", ms(o.gap_ms), err);
            if o.size_ms.is_some() || o.slide_ms.is_some() {
                err(
                    &at("size_ms"),
                    "session windows have a gap_ms, not a size or slide".into(),
                );
            }
            Assigner::Session { gap_ms: gap }
        }
        Some(other) => {
            err(
                &at("assigner"),
                one_of(other, &["tumbling", "sliding", "session"]).unwrap_err(),
            );
            return None;
        }
        None => {
            err(
                &at("assigner"),
                "missing: tumbling, sliding or session".into(),
            );
            return None;
        }
    };
    if !matches!(assigner, Assigner::Sliding { .. }) && o.slide_ms.is_some() {
        err(&at("slide_ms"), "only sliding windows have a slide".into());
    }
    if !matches!(assigner, Assigner::Session { .. }) && o.gap_ms.is_some() {
        err(&at("gap_ms"), "only session windows have a gap".into());
    }
    let lateness = ms(o.allowed_lateness_ms).unwrap_or(0);
    if lateness > 0 && time == TimeCharacteristic::Processing {
        err(
            &at("allowed_lateness_ms"),
            "allowed lateness applies to event-time windows only".into(),
        );
    }
    let function = match o.function.as_deref() {
        Some("process") => WindowFunction::Process,
        Some("apply") => WindowFunction::Apply,
        Some("reduce") => WindowFunction::Reduce,
        Some("aggregate") => WindowFunction::Aggregate {
            accumulator_bytes: match o.accumulator_bytes {
                Some(Bytes(b)) if (1..=1 << 30).contains(&b) => b as u32,
                Some(Bytes(b)) => {
                    err(
                        &at("accumulator_bytes"),
                        format!("must be 1 byte to 1 GiB, got {b}"),
                    );
                    16
                }
                None => 16,
            },
        },
        Some(other) => {
            err(
                &at("function"),
                one_of(other, &["process", "apply", "aggregate", "reduce"]).unwrap_err(),
            );
            return None;
        }
        None => {
            err(
                &at("function"),
                "missing: process, apply, aggregate or reduce".into(),
            );
            return None;
        }
    };
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
    })
}
