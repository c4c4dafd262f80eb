//! The scenario file as typed: serde structs that mirror the TOML, with
//! unknown keys rejected. Only [`super::validate`] turns them into a
//! [`super::Scenario`]; nothing else sees these types.
//!
//! Every field is optional here, even the ones a scenario needs: a missing
//! one is reported by validation, at the table it belongs in, rather than by
//! serde (whose error points at the whole table, i.e. the file's first line).

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use std::collections::BTreeMap;
use std::fmt;

/// A whole count that may be written `100000`, `1e8` or `"10M"`... only
/// integers and integral floats are accepted.
#[derive(Debug, Clone, Copy)]
pub struct Count(pub u64);

/// Bytes: an integer, or a string in Flink's size syntax (`"5 mb"`).
#[derive(Debug, Clone, Copy)]
pub struct Bytes(pub u64);

/// Milliseconds: an integer, or a string in Flink's duration syntax (`"10 s"`).
#[derive(Debug, Clone, Copy)]
pub struct Millis(pub u64);

/// Milliseconds that may be written negative (`"-5 s"`, `-5000`), so that
/// validation can say which rule a negative value breaks.
#[derive(Debug, Clone, Copy)]
pub struct SignedMillis(pub i64);

fn integral(v: f64, what: &str) -> Result<u64, String> {
    if v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v < 9.0e18 {
        Ok(v as u64)
    } else {
        Err(format!("expected a whole non-negative {what}, got {v}"))
    }
}

macro_rules! quantity {
    ($ty:ident, $what:literal, $parse:expr) => {
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl Visitor<'_> for V {
                    type Value = $ty;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str($what)
                    }
                    fn visit_i64<E: de::Error>(self, v: i64) -> Result<$ty, E> {
                        u64::try_from(v)
                            .map($ty)
                            .map_err(|_| E::custom(format!("{v} is negative: expected {}", $what)))
                    }
                    fn visit_u64<E: de::Error>(self, v: u64) -> Result<$ty, E> {
                        Ok($ty(v))
                    }
                    fn visit_f64<E: de::Error>(self, v: f64) -> Result<$ty, E> {
                        integral(v, $what).map($ty).map_err(E::custom)
                    }
                    fn visit_str<E: de::Error>(self, v: &str) -> Result<$ty, E> {
                        if v.trim_start().starts_with('-') {
                            return Err(E::custom(format!(
                                "'{v}' is negative: expected {}",
                                $what
                            )));
                        }
                        let parse: fn(&str) -> Result<u64, String> = $parse;
                        parse(v).map($ty).map_err(E::custom)
                    }
                }
                d.deserialize_any(V)
            }
        }
    };
}

quantity!(Count, "a whole number such as 100000 or 1e8", |s| {
    let t: String = s.trim().chars().filter(|&c| c != '_').collect();
    t.parse::<f64>()
        .map_err(|_| format!("'{s}' is not a number"))
        .and_then(|v| integral(v, "number"))
});
quantity!(
    Bytes,
    "a size such as 117 or \"5 mb\"",
    crate::flink::units::parse_memory_size
);
quantity!(
    Millis,
    "a duration such as 5000 or \"10 s\"",
    crate::flink::units::parse_duration_ms
);

impl<'de> Deserialize<'de> for SignedMillis {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = SignedMillis;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a duration such as 5000 or \"10 s\"")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<SignedMillis, E> {
                Ok(SignedMillis(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<SignedMillis, E> {
                i64::try_from(v)
                    .map(SignedMillis)
                    .map_err(|_| E::custom(format!("{v} ms is too long")))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<SignedMillis, E> {
                let ms = integral(v.abs(), "duration").map_err(E::custom)? as i64;
                Ok(SignedMillis(if v < 0.0 { -ms } else { ms }))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<SignedMillis, E> {
                let t = v.trim_start();
                let (negative, rest) = match t.strip_prefix('-') {
                    Some(r) => (true, r),
                    None => (false, t),
                };
                let ms = crate::flink::units::parse_duration_ms(rest).map_err(E::custom)? as i64;
                Ok(SignedMillis(if negative { -ms } else { ms }))
            }
        }
        d.deserialize_any(V)
    }
}

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    pub name: Option<String>,
    pub flink_version: Option<toml::Value>,
    pub seed: Option<u64>,
    pub description: Option<String>,
    pub source: Option<RawSource>,
    pub job: Option<RawJob>,
    #[serde(default)]
    pub operator: Vec<RawOperator>,
    pub state: Option<RawState>,
    pub checkpoints: Option<RawCheckpoints>,
    pub flink_conf: Option<BTreeMap<String, toml::Value>>,
    pub cluster: Option<RawCluster>,
    pub compare: Option<RawCompare>,
}

/// `[compare]`: the job changes `compare` and the recommendation price.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCompare {
    pub ttl: Option<Vec<Millis>>,
    pub projected_record_bytes: Option<Bytes>,
}

/// `[cluster]`: what the TaskManagers have.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCluster {
    pub taskmanager_disk: Option<Bytes>,
}

/// `[source]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSource {
    pub records: Option<Count>,
    #[serde(alias = "duration_ms")]
    pub duration: Option<Millis>,
    #[serde(alias = "rate")]
    pub events_per_second: Option<f64>,
    pub keys: Option<Count>,
    pub key_distribution: Option<String>,
    pub zipf_exponent: Option<f64>,
    pub key_type: Option<String>,
    pub key_length: Option<u32>,
    pub record_bytes: Option<RawRecordBytes>,
    #[serde(alias = "jitter")]
    pub jitter_ms: Option<Millis>,
    #[serde(alias = "out_of_orderness")]
    pub out_of_orderness_ms: Option<SignedMillis>,
    pub watermark_every_records: Option<Count>,
    pub trace: Option<String>,
    pub payload: Option<String>,
    pub seed: Option<u64>,
    pub processing_time: Option<String>,
    #[serde(alias = "processing_lag")]
    pub processing_lag_ms: Option<SignedMillis>,
    pub start: Option<String>,
}

/// One `[[source]]` of a two-input job (format v2): what is its own; the
/// merged stream's settings are in `[input]`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSideSource {
    pub name: Option<String>,
    pub stream: Option<String>,
    #[serde(alias = "rate")]
    pub events_per_second: Option<f64>,
    pub keys: Option<Count>,
    pub key_distribution: Option<String>,
    pub zipf_exponent: Option<f64>,
    pub key_type: Option<String>,
    pub key_length: Option<u32>,
    pub record_bytes: Option<RawRecordBytes>,
    pub seed: Option<u64>,
    pub trace: Option<String>,
    pub payload: Option<String>,
}

/// `record_bytes = 117`, `"1 kb"` or a table describing a distribution.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum RawRecordBytes {
    Fixed(Bytes),
    Distribution(RawSizeDistribution),
}

/// `record_bytes = { distribution = "lognormal", mean = 400, stddev = 150, min = 40, max = "4 kb" }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSizeDistribution {
    pub distribution: Option<String>,
    pub min: Option<Bytes>,
    pub max: Option<Bytes>,
    pub mean: Option<Bytes>,
    pub stddev: Option<Bytes>,
}

/// `[job]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawJob {
    pub parallelism: Option<i64>,
    pub max_parallelism: Option<i64>,
}

/// One `[[operator]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOperator {
    pub name: Option<String>,
    pub kind: Option<String>,
    pub assigner: Option<String>,
    #[serde(alias = "size")]
    pub size_ms: Option<Millis>,
    #[serde(alias = "slide")]
    pub slide_ms: Option<Millis>,
    #[serde(alias = "gap")]
    pub gap_ms: Option<Millis>,
    #[serde(alias = "offset")]
    pub offset_ms: Option<SignedMillis>,
    pub time: Option<String>,
    #[serde(alias = "allowed_lateness")]
    pub allowed_lateness_ms: Option<SignedMillis>,
    pub function: Option<String>,
    pub accumulator_bytes: Option<Bytes>,
    pub parallelism: Option<i64>,
    pub input: Option<toml::Value>,
    pub emits: Option<String>,
    pub timer: Option<RawTimer>,
    pub ttl: Option<Millis>,
    pub ttl_update: Option<String>,
    pub ttl_visibility: Option<String>,
    pub ttl_cleanup: Option<String>,
    pub ttl_cleanup_size: Option<Count>,
    pub ttl_query_time_after_entries: Option<Count>,
    #[serde(default)]
    pub state: Vec<RawKeyedState>,
    pub lower: Option<SignedMillis>,
    pub upper: Option<SignedMillis>,
    pub lower_inclusive: Option<bool>,
    pub upper_inclusive: Option<bool>,
    pub retain: Option<String>,
    /// `dedup` / `join`: `"datastream"` (default) or `"sql"`.
    pub style: Option<String>,
    /// SQL `dedup`: `"first"` or `"last"` row per key.
    pub keep: Option<String>,
    /// SQL `join`: each input's unique key, `"none"`, `"join_key"` or
    /// `"other"` (one value for both sides, or `[left, right]`).
    pub unique_key: Option<toml::Value>,
}

/// The TTL fields of a `dedup` operator or of an `[[operator.state]]`.
#[derive(Debug, Clone, Copy)]
pub struct RawTtl<'a> {
    pub ttl: Option<Millis>,
    pub ttl_update: Option<&'a str>,
    pub ttl_visibility: Option<&'a str>,
    pub ttl_cleanup: Option<&'a str>,
    pub ttl_cleanup_size: Option<Count>,
    pub ttl_query_time_after_entries: Option<Count>,
}

impl RawTtl<'_> {
    /// Each TTL field by its name, and whether it is set (`ttl` first).
    pub fn set(&self) -> [(&'static str, bool); 6] {
        [
            ("ttl", self.ttl.is_some()),
            ("ttl_update", self.ttl_update.is_some()),
            ("ttl_visibility", self.ttl_visibility.is_some()),
            ("ttl_cleanup", self.ttl_cleanup.is_some()),
            ("ttl_cleanup_size", self.ttl_cleanup_size.is_some()),
            (
                "ttl_query_time_after_entries",
                self.ttl_query_time_after_entries.is_some(),
            ),
        ]
    }
}

macro_rules! raw_ttl {
    ($t:ty) => {
        impl $t {
            /// Its TTL fields.
            pub fn ttl_fields(&self) -> RawTtl<'_> {
                RawTtl {
                    ttl: self.ttl,
                    ttl_update: self.ttl_update.as_deref(),
                    ttl_visibility: self.ttl_visibility.as_deref(),
                    ttl_cleanup: self.ttl_cleanup.as_deref(),
                    ttl_cleanup_size: self.ttl_cleanup_size,
                    ttl_query_time_after_entries: self.ttl_query_time_after_entries,
                }
            }
        }
    };
}
raw_ttl!(RawOperator);
raw_ttl!(RawKeyedState);

/// `timer = { time, delay, clears }` of a process operator.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTimer {
    pub time: Option<String>,
    #[serde(alias = "delay_ms")]
    pub delay: Option<SignedMillis>,
    pub clears: Option<Vec<String>>,
}

/// `[[operator.state]]` of a process operator.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawKeyedState {
    pub name: Option<String>,
    pub kind: Option<String>,
    pub value_bytes: Option<Bytes>,
    pub write: Option<String>,
    pub element: Option<String>,
    pub element_bytes: Option<Bytes>,
    pub max_elements: Option<Count>,
    pub map_key: Option<RawMapKey>,
    pub map_keys: Option<Count>,
    pub ttl: Option<Millis>,
    pub ttl_update: Option<String>,
    pub ttl_visibility: Option<String>,
    pub ttl_cleanup: Option<String>,
    pub ttl_cleanup_size: Option<Count>,
    pub ttl_query_time_after_entries: Option<Count>,
}

/// `map_key = { column, type, prefix }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMapKey {
    pub column: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub prefix: Option<String>,
}

/// `[state]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawState {
    pub backend: Option<String>,
    pub timer_service: Option<String>,
    pub incremental: Option<bool>,
    pub compression: Option<bool>,
}

/// `[checkpoints]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCheckpoints {
    pub every_records: Option<Count>,
    #[serde(alias = "interval")]
    pub interval_ms: Option<Millis>,
    pub storage: Option<String>,
    pub max_state_size: Option<Bytes>,
}

/// The fields with two spellings (the serde aliases above), as (table,
/// spelling in the code's field names, the other spelling). Errors name a
/// field the way the file writes it: `operator[0].slide` where the file
/// says `slide`, `operator[0].slide_ms` where it says `slide_ms`.
pub const SPELLINGS: &[(&str, &str, &str)] = &[
    ("source", "duration", "duration_ms"),
    ("source", "events_per_second", "rate"),
    ("source", "jitter_ms", "jitter"),
    ("source", "out_of_orderness_ms", "out_of_orderness"),
    ("operator", "size_ms", "size"),
    ("operator", "slide_ms", "slide"),
    ("operator", "gap_ms", "gap"),
    ("operator", "offset_ms", "offset"),
    ("operator", "allowed_lateness_ms", "allowed_lateness"),
    ("checkpoints", "interval_ms", "interval"),
];
