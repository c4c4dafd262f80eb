//! The keyed stream a scenario describes: the key space (every key's key
//! group and serialized size) and the records, generated from the seed or
//! replayed from a trace, delivered in batches so the simulator's loop
//! never allocates.
//!
//! Not here: what the window operator does with the records (see `sim`).

mod generate;
pub mod occupancy;
mod touched;
mod trace;

pub use generate::{Generator, Merged};
pub use touched::KeyMap;
pub use trace::{NO_SUB_KEY, Trace};

use crate::error::Result;
use crate::flink::key_group::{int_hash, key_group_of_hash, long_hash};
use crate::flink::serializer::{java_string_bytes, string_bytes};
use crate::scenario::{KeyType, Scenario};

/// Records per batch handed to the simulator.
pub const BATCH: usize = 4096;

/// A batch of records, column by column; reused across the whole run.
#[derive(Debug, Default, Clone)]
pub struct Batch {
    /// Dense key ids (`0..KeySpace::len()`).
    pub keys: Vec<u32>,
    /// Event timestamps, ms.
    pub ts: Vec<i64>,
    /// Serialized element sizes, bytes.
    pub bytes: Vec<u32>,
    /// Key groups of `keys`, when looked up ahead (else empty).
    pub kgs: Vec<u16>,
    /// Sub-keys of a trace's `sub_key` column (else empty).
    pub sub: Vec<u32>,
}

impl Batch {
    /// An empty batch with room for [`BATCH`] records.
    pub fn new() -> Self {
        Batch {
            keys: Vec::with_capacity(BATCH),
            ts: Vec::with_capacity(BATCH),
            bytes: Vec::with_capacity(BATCH),
            kgs: Vec::new(),
            sub: Vec::new(),
        }
    }
    /// Records in the batch.
    pub fn len(&self) -> usize {
        self.keys.len()
    }
    /// No records.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
    pub(crate) fn clear(&mut self) {
        self.keys.clear();
        self.ts.clear();
        self.bytes.clear();
        self.kgs.clear();
        self.sub.clear();
    }
    /// Looks up the key group of every key into `kgs`.
    pub fn look_up_key_groups(&mut self, key_group: &[u16]) {
        self.kgs.clear();
        self.kgs
            .extend(self.keys.iter().map(|&k| key_group[k as usize]));
    }
}

/// Serialized size of keys: one size for all, or one per key.
#[derive(Debug, Clone)]
pub enum KeyBytes {
    /// Every key serializes to this many bytes.
    Fixed(u32),
    /// Per dense key id.
    PerKey(Vec<u16>),
}

impl KeyBytes {
    /// Bytes of key `id`.
    #[inline(always)]
    pub fn get(&self, id: u32) -> u64 {
        match self {
            KeyBytes::Fixed(b) => *b as u64,
            KeyBytes::PerKey(v) => v[id as usize] as u64,
        }
    }
}

/// Every key of the stream: its key group and serialized size.
#[derive(Debug, Clone)]
pub struct KeySpace {
    /// Key group of each dense key id.
    pub key_group: Vec<u16>,
    /// Serialized key sizes.
    pub key_bytes: KeyBytes,
    /// The numeric key of each dense id, where it is not the id itself
    /// (traces of `long` and `int` keys); empty: id = key.
    pub values: Vec<i64>,
    /// The Java hashCode of each dense id of a trace's string keys (empty
    /// otherwise: it follows from `values` or the id).
    pub string_hashes: Vec<i32>,
}

impl KeySpace {
    /// Number of keys.
    pub fn len(&self) -> usize {
        self.key_group.len()
    }
    /// No keys.
    pub fn is_empty(&self) -> bool {
        self.key_group.is_empty()
    }
    /// Key space of generated keys `0..n` of `key_type`.
    pub fn generated(n: u64, key_type: KeyType, max_parallelism: u32) -> Self {
        KeySpace::of_ids(0..n, key_type, max_parallelism)
    }

    /// Key space of the generated keys `ids`, in order: dense id `d` is the
    /// `d`-th of `ids`.
    pub fn of_ids(
        ids: impl IntoIterator<Item = u64>,
        key_type: KeyType,
        max_parallelism: u32,
    ) -> Self {
        let hash = KeyHasher::new(key_type);
        let key_group = ids
            .into_iter()
            .map(|i| key_group_of_hash(hash.hash(i), max_parallelism) as u16)
            .collect();
        KeySpace {
            key_group,
            key_bytes: generated_key_bytes(key_type),
            values: Vec::new(),
            string_hashes: Vec::new(),
        }
    }

    /// The Java hashCode of dense key `id` (its key's `hashCode()`, which
    /// the heap backend's state maps hash), given the keys' type.
    pub fn hash_code(&self, id: u32, key_type: KeyType) -> i32 {
        if let Some(&h) = self.string_hashes.get(id as usize) {
            return h;
        }
        match (self.values.get(id as usize), key_type) {
            (Some(&v), KeyType::Int) => int_hash(v as i32),
            (Some(&v), _) => long_hash(v),
            (None, t) => generated_key_hash(id as u64, t),
        }
    }

    /// A key space that holds no key (a closed-form run needs only the
    /// keys' size).
    pub fn keyless(key_type: KeyType) -> Self {
        KeySpace {
            key_group: Vec::new(),
            key_bytes: generated_key_bytes(key_type),
            values: Vec::new(),
            string_hashes: Vec::new(),
        }
    }
}

/// Serialized size of every generated key of `key_type`.
pub fn generated_key_bytes(key_type: KeyType) -> KeyBytes {
    match key_type {
        KeyType::Long => KeyBytes::Fixed(8),
        KeyType::Int => KeyBytes::Fixed(4),
        KeyType::String(len) => KeyBytes::Fixed(string_bytes(len as u64) as u32),
    }
}

/// Java hashCode of generated key `i`: `Long i`, `Integer i`, or the string
/// `"k"` followed by `i` zero-padded to the key length.
pub fn generated_key_hash(i: u64, key_type: KeyType) -> i32 {
    KeyHasher::new(key_type).hash(i)
}

/// The Java hashCode of generated keys without building them: for string
/// keys, `String.hashCode` of `"k"`, the zero padding and the digits,
/// with the padding's contribution precomputed per digit count.
#[derive(Debug, Clone)]
pub struct KeyHasher {
    key_type: KeyType,
    /// Per number of digits `d` (index), for a string key: the hash of
    /// `"k"` and its `len - 1 - d` zeros, and `31^d`.
    prefix: Vec<(i32, i32)>,
}

impl KeyHasher {
    /// Hashes keys of `key_type`.
    pub fn new(key_type: KeyType) -> Self {
        let prefix = match key_type {
            KeyType::String(len) => {
                let width = (len as usize).saturating_sub(1);
                (0..=20usize)
                    .map(|d| {
                        let mut h: i32 = b'k' as i32;
                        for _ in 0..width.saturating_sub(d) {
                            h = h.wrapping_mul(31).wrapping_add(b'0' as i32);
                        }
                        let pow = (0..d).fold(1i32, |p, _| p.wrapping_mul(31));
                        (h, pow)
                    })
                    .collect()
            }
            _ => Vec::new(),
        };
        KeyHasher { key_type, prefix }
    }

    /// The Java hashCode of generated key `i`.
    #[inline]
    pub fn hash(&self, i: u64) -> i32 {
        match self.key_type {
            KeyType::Long => long_hash(i as i64),
            KeyType::Int => int_hash(i as i32),
            KeyType::String(_) => {
                let mut digits = [0u8; 20];
                let mut n = i;
                let mut d = 0;
                loop {
                    digits[19 - d] = b'0' + (n % 10) as u8;
                    d += 1;
                    n /= 10;
                    if n == 0 {
                        break;
                    }
                }
                let (prefix, pow) = self.prefix[d];
                let mut tail: i32 = 0;
                for &c in &digits[20 - d..] {
                    tail = tail.wrapping_mul(31).wrapping_add(c as i32);
                }
                prefix.wrapping_mul(pow).wrapping_add(tail)
            }
        }
    }
}

/// The generated string key `i` of `len` chars.
pub fn generated_string_key(i: u64, len: u32) -> String {
    let width = (len as usize).saturating_sub(1);
    format!("k{i:0width$}")
}

pub(crate) fn string_key_bytes(s: &str) -> u64 {
    java_string_bytes(s)
}

/// Processing time of record `i` (0-based): the source plays
/// `events_per_second`, starting at 0. Event time of generated records
/// follows the same clock (before jitter).
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    eps: f64,
    eps_int: Option<u64>,
}

impl Clock {
    /// A clock for a source rate.
    pub fn new(events_per_second: f64) -> Self {
        let eps_int = (events_per_second.fract() == 0.0 && events_per_second >= 1.0)
            .then_some(events_per_second as u64);
        Clock {
            eps: events_per_second,
            eps_int,
        }
    }
    /// `floor(i * 1000 / eps)`.
    #[inline]
    pub fn at(&self, i: u64) -> i64 {
        match self.eps_int {
            // 64-bit division while `i * 1000` fits (the 128-bit one is a
            // library call, on the per-record path of the generator).
            Some(e) if i < u64::MAX / 1000 => ((i * 1000) / e) as i64,
            Some(e) => ((i as u128 * 1000) / e as u128) as i64,
            None => (i as f64 * 1000.0 / self.eps).floor() as i64,
        }
    }
    /// Records played before processing time `t_ms`: the smallest `n` with
    /// `at(n) >= t_ms`.
    pub fn records_before(&self, t_ms: i64) -> u64 {
        if t_ms <= 0 {
            return 0;
        }
        let mut n = match self.eps_int {
            Some(e) => ((t_ms as u128 * e as u128).div_ceil(1000)) as u64,
            None => (t_ms as f64 * self.eps / 1000.0).ceil() as u64,
        };
        // Correct float rounding at the edge.
        while n > 0 && self.at(n - 1) >= t_ms {
            n -= 1;
        }
        while self.at(n) < t_ms {
            n += 1;
        }
        n
    }
}

/// Where records come from.
pub enum Input {
    /// Generated from the scenario's seed.
    Generated(Box<Generator>),
    /// Generated for two inputs, merged by event time.
    Merged(Box<generate::Merged>),
    /// Replayed from a trace held in memory.
    Trace(TraceCursor),
    /// Replayed from records generated once for every operator.
    Recorded(RecordedCursor),
}

/// Generated records held in memory, to be played by every operator of a
/// scenario without generating them again.
#[derive(Debug, Default)]
pub struct Recorded {
    keys: Vec<u32>,
    ts: Vec<i64>,
    bytes: Vec<u32>,
    sub: Vec<u32>,
}

/// Scenarios of several operators and at most this many records generate
/// them once ([`Recorded`], 16 bytes a record) and replay them.
pub const RECORD_ONCE_MAX: u64 = 1 << 22;

impl Recorded {
    /// Every record `input` plays.
    fn record(mut input: Input) -> Recorded {
        let mut r = Recorded::default();
        let mut b = Batch::new();
        while input.fill(&mut b) > 0 {
            r.keys.extend_from_slice(&b.keys);
            r.ts.extend_from_slice(&b.ts);
            r.bytes.extend_from_slice(&b.bytes);
            r.sub.extend_from_slice(&b.sub);
        }
        r
    }
}

/// Reads recorded records batch by batch.
pub struct RecordedCursor {
    rec: std::sync::Arc<Recorded>,
    pos: usize,
}

/// Reads a loaded trace batch by batch.
pub struct TraceCursor {
    trace: std::sync::Arc<Trace>,
    pos: usize,
    end: usize,
}

impl Input {
    /// Replays a trace held in memory from its first record.
    pub fn from_trace(trace: std::sync::Arc<Trace>) -> Input {
        let end = trace.keys.len();
        Input::Trace(TraceCursor { trace, pos: 0, end })
    }

    /// Fills `batch` with the next records; returns how many (0 at the end).
    pub fn fill(&mut self, batch: &mut Batch) -> usize {
        batch.clear();
        match self {
            Input::Generated(g) => g.fill(batch),
            Input::Merged(g) => g.fill(batch),
            Input::Trace(c) => {
                let n = (c.end - c.pos).min(BATCH);
                let t = &c.trace;
                batch.keys.extend_from_slice(&t.keys[c.pos..c.pos + n]);
                batch.ts.extend_from_slice(&t.ts[c.pos..c.pos + n]);
                batch.bytes.extend_from_slice(&t.bytes[c.pos..c.pos + n]);
                if !t.sub_keys.is_empty() {
                    batch.sub.extend_from_slice(&t.sub_keys[c.pos..c.pos + n]);
                }
                c.pos += n;
                n
            }
            Input::Recorded(c) => {
                let n = (c.rec.keys.len() - c.pos).min(BATCH);
                let (r, at) = (&c.rec, c.pos);
                batch.keys.extend_from_slice(&r.keys[at..at + n]);
                batch.ts.extend_from_slice(&r.ts[at..at + n]);
                batch.bytes.extend_from_slice(&r.bytes[at..at + n]);
                if !r.sub.is_empty() {
                    batch.sub.extend_from_slice(&r.sub[at..at + n]);
                }
                c.pos += n;
                n
            }
        }
    }
}

/// How the keys of generated input are held while a scenario is played.
/// Every layout gives the same result, byte for byte; they differ in what
/// they cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyLayout {
    /// Every declared key `0..keys` is a dense id (2 bytes each for its key
    /// group, and what the engines keep per key).
    Declared,
    /// Only the keys the records touch: drawn ahead from the seed (the key
    /// stream is its own), numbered in order of first appearance, and the
    /// generator maps each drawn key to its number. Memory follows the
    /// records, not the declared key space.
    Touched,
    /// No key table at all: the closed-form (analytic) mode needs only the
    /// key distribution.
    Keyless,
}

/// Above this many declared keys, and when the records touch at most one
/// key in [`TOUCHED_RATIO`], [`KeyLayout::Touched`] is the layout
/// [`Workload::new`] picks.
pub const TOUCHED_MIN_KEYS: u64 = 1 << 22;

/// See [`TOUCHED_MIN_KEYS`].
pub const TOUCHED_RATIO: u64 = 16;

/// Most keys a run can hold (dense ids are 32-bit).
pub const MAX_HELD_KEYS: u64 = 1 << 32;

impl KeyLayout {
    /// The layout that costs least for generated input of `keys` declared
    /// keys and `records` records: touched when the records can reach at
    /// most a small share of a large key space.
    pub fn for_generated(keys: u64, records: u64) -> KeyLayout {
        if keys > TOUCHED_MIN_KEYS && keys / TOUCHED_RATIO >= records {
            KeyLayout::Touched
        } else {
            KeyLayout::Declared
        }
    }
}

/// The stream of one scenario: its key space and a way to play it (as many
/// times as there are operators).
pub struct Workload {
    /// The keys held (see [`KeyLayout`]).
    pub keys: KeySpace,
    /// Records that will be played.
    pub records: u64,
    /// How the keys are held.
    pub layout: KeyLayout,
    source: WorkloadSource,
    /// The key distribution's occupancy (generated input), built once.
    occupancy: std::sync::OnceLock<occupancy::Occupancy>,
}

enum WorkloadSource {
    /// The scenario, the touched keys' numbers (if only those are held),
    /// and the records generated once (several operators).
    Generated(
        Box<Scenario>,
        Option<std::sync::Arc<KeyMap>>,
        Option<std::sync::Arc<Recorded>>,
    ),
    Trace(std::sync::Arc<Trace>),
}

impl Workload {
    /// Builds the key space (in the layout [`KeyLayout::for_generated`]
    /// picks) and loads the trace, if any.
    pub fn new(s: &Scenario) -> Result<Workload> {
        Workload::with_layout(s, KeyLayout::for_generated(s.source.keys, s.source.records))
    }

    /// Builds the key space in `layout` (generated input; a trace holds the
    /// keys it has) and loads the trace, if any.
    pub fn with_layout(s: &Scenario, layout: KeyLayout) -> Result<Workload> {
        let src = &s.source;
        match &src.trace {
            Some(path) => {
                let streams: Vec<String> = s.sides.iter().map(|d| d.stream.clone()).collect();
                let t = Trace::load_streams(
                    path,
                    src.key_type,
                    src.records,
                    s.max_parallelism,
                    &streams,
                )?;
                Ok(Workload {
                    keys: t.key_space.clone(),
                    records: t.keys.len() as u64,
                    layout: KeyLayout::Declared,
                    source: WorkloadSource::Trace(std::sync::Arc::new(t)),
                    occupancy: std::sync::OnceLock::new(),
                })
            }
            None => {
                // Two inputs: every declared key (both sides draw from
                // 0..keys of their own).
                let layout = if s.sides.is_empty() {
                    layout
                } else {
                    KeyLayout::Declared
                };
                let (keys, map) = match layout {
                    KeyLayout::Declared => (
                        KeySpace::generated(src.keys, src.key_type, s.max_parallelism),
                        None,
                    ),
                    KeyLayout::Touched => {
                        let (map, ids) = KeyMap::draw(s);
                        let keys = KeySpace::of_ids(ids, src.key_type, s.max_parallelism);
                        (keys, Some(std::sync::Arc::new(map)))
                    }
                    KeyLayout::Keyless => (KeySpace::keyless(src.key_type), None),
                };
                let mut w = Workload {
                    keys,
                    records: src.records,
                    layout,
                    source: WorkloadSource::Generated(Box::new(s.clone()), map, None),
                    occupancy: std::sync::OnceLock::new(),
                };
                if s.operators.len() > 1
                    && src.records <= RECORD_ONCE_MAX
                    && layout != KeyLayout::Keyless
                {
                    let rec = std::sync::Arc::new(Recorded::record(w.input()));
                    if let WorkloadSource::Generated(_, _, r) = &mut w.source {
                        *r = Some(rec);
                    }
                }
                Ok(w)
            }
        }
    }

    /// The occupancy of the key distribution over the scenario's key
    /// groups (generated input; `None` for a trace), built on first use.
    pub fn occupancy(&self) -> Option<&occupancy::Occupancy> {
        match &self.source {
            WorkloadSource::Generated(s, ..) => Some(
                self.occupancy
                    .get_or_init(|| occupancy::Occupancy::new(s, s.max_parallelism as usize)),
            ),
            WorkloadSource::Trace(_) => None,
        }
    }

    /// Mean serialized key bytes over the key space.
    pub fn mean_key_bytes(&self) -> f64 {
        match &self.keys.key_bytes {
            KeyBytes::Fixed(b) => *b as f64,
            KeyBytes::PerKey(v) => v.iter().map(|&b| b as f64).sum::<f64>() / v.len().max(1) as f64,
        }
    }

    /// Mean serialized record bytes (from the trace when replaying one).
    pub fn mean_record_bytes(&self, s: &Scenario) -> f64 {
        match &self.source {
            WorkloadSource::Trace(t) => {
                t.bytes.iter().map(|&b| b as f64).sum::<f64>() / t.bytes.len().max(1) as f64
            }
            WorkloadSource::Generated(..) => s.source.record_bytes.mean(),
        }
    }

    /// Each key group's share of the records: counted over a trace,
    /// expected from the key distribution for generated input.
    pub fn key_group_weights(&self, max_parallelism: u32) -> Vec<f64> {
        let kgs = max_parallelism as usize;
        match &self.source {
            WorkloadSource::Generated(s, ..) if s.max_parallelism == max_parallelism => {
                let occ = self.occupancy().expect("generated input");
                (0..kgs).map(|g| occ.share(g)).collect()
            }
            WorkloadSource::Generated(s, ..) => {
                let occ = occupancy::Occupancy::new(s, kgs);
                (0..kgs).map(|g| occ.share(g)).collect()
            }
            WorkloadSource::Trace(t) => {
                let mut w = vec![0.0; kgs];
                for &k in &t.keys {
                    w[self.keys.key_group[k as usize] as usize] += 1.0;
                }
                w
            }
        }
    }

    /// Each key group's expected distinct keys among `n` records (generated
    /// input), or its distinct keys over the whole trace.
    pub fn key_group_distinct(&self, max_parallelism: u32, n: f64) -> Vec<f64> {
        let kgs = max_parallelism as usize;
        match &self.source {
            WorkloadSource::Generated(s, ..) => {
                let mut out = vec![0.0; kgs];
                if s.max_parallelism == max_parallelism {
                    let occ = self.occupancy().expect("generated input");
                    occ.distinct(n, &mut out);
                } else {
                    occupancy::Occupancy::new(s, kgs).distinct(n, &mut out);
                }
                out
            }
            WorkloadSource::Trace(t) => {
                let mut seen = vec![false; self.keys.len()];
                let mut w = vec![0.0; kgs];
                for &k in &t.keys {
                    if !std::mem::replace(&mut seen[k as usize], true) {
                        w[self.keys.key_group[k as usize] as usize] += 1.0;
                    }
                }
                w
            }
        }
    }

    /// A fresh input from the first record.
    pub fn input(&self) -> Input {
        match &self.source {
            WorkloadSource::Generated(_, _, Some(rec)) => Input::Recorded(RecordedCursor {
                rec: rec.clone(),
                pos: 0,
            }),
            WorkloadSource::Generated(s, _, None) if !s.sides.is_empty() => {
                Input::Merged(Box::new(generate::Merged::new(s)))
            }
            WorkloadSource::Generated(s, map, None) => {
                Input::Generated(Box::new(Generator::new(s).with_touched(map.clone())))
            }
            WorkloadSource::Trace(t) => Input::from_trace(t.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flink::key_group::string_hash;

    #[test]
    fn clock_counts_records_before_a_time() {
        let c = Clock::new(1000.0);
        assert_eq!(c.at(999), 999);
        assert_eq!(c.records_before(5000), 5000);
        let c = Clock::new(3.0);
        // Records at 0, 333, 666, 1000, ...
        assert_eq!(c.at(3), 1000);
        assert_eq!(c.records_before(1000), 3);
        assert_eq!(c.records_before(1001), 4);
        let c = Clock::new(2.5);
        for t in [1, 399, 400, 401, 10_000] {
            let n = c.records_before(t);
            assert!(c.at(n) >= t && (n == 0 || c.at(n - 1) < t));
        }
    }

    #[test]
    fn generated_key_hashes_equal_the_hash_of_the_key() {
        for len in [1, 2, 6, 12, 30] {
            let h = KeyHasher::new(KeyType::String(len));
            for i in [
                0u64,
                1,
                9,
                10,
                42,
                99_999,
                123_456_789,
                u32::MAX as u64,
                1 << 40,
            ] {
                let key = generated_string_key(i, len);
                assert_eq!(h.hash(i), string_hash(&key), "{key}");
            }
        }
        let h = KeyHasher::new(KeyType::Long);
        assert_eq!(h.hash(1 << 40), long_hash(1 << 40));
    }

    #[test]
    fn generated_string_keys_have_the_key_length() {
        assert_eq!(generated_string_key(42, 6), "k00042");
        assert_eq!(generated_string_key(7, 1), "k7");
    }
}
