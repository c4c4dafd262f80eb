//! What Flink's window operator keeps in RocksDB, byte for byte: the
//! column families (their ids in creation order), the keys of each
//! (key-group prefix, key, namespace), and the values (FACTS §6):
//!
//! | column family | user key | value |
//! |---|---|---|
//! | `window-contents` | kg · key · window start · window end (25 B for a `Long` key) | one element per MERGE (list state), the accumulator or the reduced element per PUT |
//! | `_timer_state/event_window-timers` | kg · timestamp (sign bit flipped) · key · window (33 B) | empty |
//!
//! The element is Flink's `Tuple3<Long key, Long ts, String payload>`:
//! 8 + 8 + the string's length varint + one byte per character. What the
//! payload holds decides what Snappy makes of it; records give only their
//! sizes, so the payload is drawn like the ground-truth job draws it
//! (uniform over `a-z0-9`) from the scenario's seed, deterministically: an
//! assumption for real payloads, which may compress better.
//!
//! Keyed operators that are not windows ([`Layout::keyed`]) keep each
//! declared state in its own column family under key group · key ·
//! `VoidNamespace` (· the map's user key); with a TTL every value (list
//! element, map value) starts with its 8-byte timestamp; timers carry
//! `VoidNamespace` (`user-timers`) or the interval join's namespace string.

use crate::sim::writes::MapKey;

/// Column family names (the timer service is `window-timers`).
pub const DEFAULT: &str = "default";
/// Processing-time timers.
pub const PROCESSING_TIMERS: &str = "_timer_state/processing_window-timers";
/// Event-time timers.
pub const EVENT_TIMERS: &str = "_timer_state/event_window-timers";
/// The window contents.
pub const WINDOW_CONTENTS: &str = "window-contents";
/// Session windows' merging-window set.
pub const MERGING_WINDOW_SET: &str = "merging-window-set";

/// What follows the key in a timer's key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimerNamespace {
    /// The window's start and end (16 bytes).
    Window,
    /// `VoidNamespace` (one byte): a process function's `user-timers`.
    Void,
    /// The interval join's `"CLEANUP_LEFT"` (window start 0) or
    /// `"CLEANUP_RIGHT"` (1), as Flink's `StringSerializer` writes them.
    Cleanup,
}

/// A keyed operator's (not a window's) state in its column family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateLayout {
    /// `ValueState`: one entry per key.
    Value,
    /// `ListState`: one entry per key, elements merged with `,`.
    List,
    /// `MapState`: one entry per key and user key.
    Map,
}

/// The column family and TTL of one keyed state.
#[derive(Debug, Clone)]
pub struct KeyedCf {
    /// The state's name (its column family).
    pub name: String,
    /// Its kind.
    pub kind: StateLayout,
    /// TTL in ms with the compaction filter on, if any.
    pub filter_ttl: Option<i64>,
}

/// The layout of one operator's RocksDB instance.
#[derive(Debug, Clone)]
pub struct Layout {
    /// Key-group prefix bytes (1 up to 128 key groups, else 2).
    pub prefix: usize,
    /// Serialized key bytes.
    pub key_len: usize,
    /// Column families, index = id.
    pub cfs: Vec<String>,
    /// The column family written by timers (event time), if in RocksDB.
    pub timers_cf: Option<usize>,
    /// The window-contents column family.
    pub contents_cf: usize,
    /// The merging-window-set column family (session windows).
    pub mws_cf: Option<usize>,
    /// The numeric key of each dense key id (empty: the id).
    pub key_values: Vec<i64>,
    /// What follows the key in a timer's key.
    pub timer_ns: TimerNamespace,
    /// A keyed operator's states: column family ids, in declaration
    /// order, and their kinds.
    pub states: Vec<(usize, KeyedCf)>,
}

impl Layout {
    /// The layout for `max_parallelism` key groups, keys of `key_len`
    /// bytes, timers in RocksDB or on the heap, merging windows or not.
    /// The timer service makes its two column families before the window
    /// state is registered (`WindowOperator.open`).
    pub fn new(max_parallelism: u32, key_len: usize, heap_timers: bool, merging: bool) -> Self {
        let mut cfs = vec![DEFAULT.to_string()];
        let mut timers_cf = None;
        if !heap_timers {
            cfs.push(PROCESSING_TIMERS.to_string());
            cfs.push(EVENT_TIMERS.to_string());
            timers_cf = Some(2);
        }
        let contents_cf = cfs.len();
        cfs.push(WINDOW_CONTENTS.to_string());
        let mut mws_cf = None;
        if merging {
            mws_cf = Some(cfs.len());
            cfs.push(MERGING_WINDOW_SET.to_string());
        }
        Layout {
            timer_ns: TimerNamespace::Window,
            states: Vec::new(),
            prefix: if max_parallelism <= 128 { 1 } else { 2 },
            key_len,
            cfs,
            timers_cf,
            contents_cf,
            mws_cf,
            key_values: Vec::new(),
        }
    }

    /// The layout of a keyed operator that is not a window: its states'
    /// column families in the order the function registers them (`open()`
    /// of the user function), then the timer service's `processing_` and
    /// `event_` queues named `timers` (`user-timers`, `CLEANUP_TIMER`:
    /// `KeyedProcessOperator.open` and `IntervalJoinOperator.open` make
    /// them after the states).
    pub fn keyed(
        max_parallelism: u32,
        key_len: usize,
        heap_timers: bool,
        states: Vec<KeyedCf>,
        timers: &str,
        timer_ns: TimerNamespace,
    ) -> Self {
        let mut cfs = vec![DEFAULT.to_string()];
        let states: Vec<(usize, KeyedCf)> = states
            .into_iter()
            .enumerate()
            .map(|(i, s)| (i + 1, s))
            .collect();
        cfs.extend(states.iter().map(|s| s.1.name.clone()));
        let mut timers_cf = None;
        if !heap_timers {
            cfs.push(format!("_timer_state/processing_{timers}"));
            cfs.push(format!("_timer_state/event_{timers}"));
            timers_cf = Some(cfs.len() - 1);
        }
        Layout {
            prefix: if max_parallelism <= 128 { 1 } else { 2 },
            key_len,
            contents_cf: states.first().map_or(0, |s| s.0),
            cfs,
            timers_cf,
            mws_cf: None,
            key_values: Vec::new(),
            timer_ns,
            states,
        }
    }

    /// A keyed state's key: key group, key, `VoidNamespace` (one byte),
    /// then the map's user key, if any.
    pub fn state_key(&self, kg: usize, key: u32, user_key: Option<MapKey>) -> Box<[u8]> {
        let mut v = Vec::with_capacity(self.prefix + self.key_len + 1 + 12);
        self.put_kg(&mut v, kg);
        self.put_key(&mut v, key);
        v.push(0);
        match user_key {
            None => {}
            Some(MapKey::Long(t)) => v.extend_from_slice(&t.to_be_bytes()),
            Some(MapKey::Str { prefix_len, n }) => {
                // StringValue.writeString: length + 1 as a varint, then the
                // characters ("e" + digits: one byte each).
                let digits = n.to_string();
                let len = prefix_len as u64 + digits.len() as u64;
                let mut m = len + 1;
                while m >= 0x80 {
                    v.push((m as u8) | 0x80);
                    m >>= 7;
                }
                v.push(m as u8);
                v.extend(std::iter::repeat_n(b'e', prefix_len as usize));
                v.extend_from_slice(digits.as_bytes());
            }
        }
        v.into_boxed_slice()
    }

    fn put_kg(&self, out: &mut Vec<u8>, kg: usize) {
        if self.prefix == 1 {
            out.push(kg as u8);
        } else {
            out.extend_from_slice(&(kg as u16).to_be_bytes());
        }
    }

    /// The numeric key of dense id `key`.
    pub fn key_value(&self, key: u32) -> i64 {
        self.key_values
            .get(key as usize)
            .copied()
            .unwrap_or(key as i64)
    }

    /// The key's bytes: its value as a big-endian long, cut or zero-padded
    /// to the serialized length.
    fn put_key(&self, out: &mut Vec<u8>, key: u32) {
        let be = self.key_value(key).to_be_bytes();
        if self.key_len >= 8 {
            out.extend(std::iter::repeat_n(0, self.key_len - 8));
            out.extend_from_slice(&be);
        } else {
            out.extend_from_slice(&be[8 - self.key_len..]);
        }
    }

    /// `window-contents` key of `key`'s entry of `[start, end)`.
    pub fn contents_key(&self, kg: usize, key: u32, start: i64, end: i64) -> Box<[u8]> {
        let mut v = Vec::with_capacity(self.prefix + self.key_len + 16);
        self.put_kg(&mut v, kg);
        self.put_key(&mut v, key);
        v.extend_from_slice(&start.to_be_bytes());
        v.extend_from_slice(&end.to_be_bytes());
        v.into_boxed_slice()
    }

    /// `merging-window-set` key of `key`: key group, key, `VoidNamespace`
    /// (one byte).
    pub fn mws_key(&self, kg: usize, key: u32) -> Box<[u8]> {
        let mut v = Vec::with_capacity(self.prefix + self.key_len + 1);
        self.put_kg(&mut v, kg);
        self.put_key(&mut v, key);
        v.push(0);
        v.into_boxed_slice()
    }

    /// Timer key: timestamp with the sign bit flipped (so bytes sort as
    /// times), then key and window.
    pub fn timer_key(&self, kg: usize, time: i64, key: u32, start: i64, end: i64) -> Box<[u8]> {
        let mut v = Vec::with_capacity(self.prefix + 8 + self.key_len + 16);
        self.put_kg(&mut v, kg);
        v.extend_from_slice(&((time as u64) ^ (1 << 63)).to_be_bytes());
        self.put_key(&mut v, key);
        match self.timer_ns {
            TimerNamespace::Window => {
                v.extend_from_slice(&start.to_be_bytes());
                v.extend_from_slice(&end.to_be_bytes());
            }
            TimerNamespace::Void => v.push(0),
            TimerNamespace::Cleanup => {
                let ns: &[u8] = if start == 0 {
                    b"CLEANUP_LEFT"
                } else {
                    b"CLEANUP_RIGHT"
                };
                v.push(ns.len() as u8 + 1);
                v.extend_from_slice(ns);
            }
        }
        v.into_boxed_slice()
    }
}

/// Draws element payloads as the ground-truth job does: each character
/// uniform over `abcdefghijklmnopqrstuvwxyz0123456789`.
#[derive(Debug, Clone)]
pub struct Payloads {
    state: u64,
}

const ALPHA: &[u8; 36] = b"abcdefghijklmnopqrstuvwxyz0123456789";

impl Payloads {
    /// From the scenario's seed.
    pub fn new(seed: u64) -> Self {
        Payloads { state: seed }
    }

    /// SplitMix64.
    fn next(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// The serialized `Tuple3<Long, Long, String>` of `bytes` bytes for
    /// `(key, ts)`: the string's length + 1 as Flink's 7-bit varint, then
    /// one byte per character. Below 17 bytes, only the longs' first bytes.
    pub fn element(&mut self, key: i64, ts: i64, bytes: u64) -> Box<[u8]> {
        let mut v = Vec::with_capacity(bytes as usize);
        v.extend_from_slice(&key.to_be_bytes());
        v.extend_from_slice(&ts.to_be_bytes());
        if bytes < 17 {
            v.truncate(bytes as usize);
            return v.into_boxed_slice();
        }
        let rest = bytes - 16;
        let mut len = rest - 1;
        while len > 0 && len + varint_len(len + 1) > rest {
            len -= 1;
        }
        let mut n = len + 1;
        while n >= 0x80 {
            v.push((n as u8) | 0x80);
            n >>= 7;
        }
        v.push(n as u8);
        let (mut r, mut left) = (0u64, 0);
        for _ in 0..len {
            if left == 0 {
                r = self.next() >> 1;
                left = 10;
            }
            v.push(ALPHA[(r % 36) as usize]);
            r /= 36;
            left -= 1;
        }
        v.into_boxed_slice()
    }
}

fn varint_len(mut v: u64) -> u64 {
    let mut n = 1;
    while v >= 0x80 {
        v >>= 7;
        n += 1;
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_elements_have_flinks_sizes() {
        let l = Layout::new(128, 8, false, false);
        assert_eq!(l.cfs.len(), 4);
        assert_eq!(l.contents_key(5, 7, 0, 5000).len(), 25);
        assert_eq!(l.timer_key(5, 4999, 7, 0, 5000).len(), 33);
        let mut p = Payloads::new(42);
        for b in [33u64, 117, 1018] {
            assert_eq!(p.element(1, 2, b).len() as u64, b);
        }
        // keyed operators: value 1 + 8 + VoidNamespace; map "e7": + 3;
        // user timer 1 + 8 + 8 + 1; interval join "CLEANUP_LEFT" 13
        let cf = |name: &str, kind| KeyedCf {
            name: name.into(),
            kind,
            filter_ttl: None,
        };
        let k = Layout::keyed(
            128,
            8,
            false,
            vec![
                cf("count", StateLayout::Value),
                cf("events", StateLayout::Map),
            ],
            "user-timers",
            TimerNamespace::Void,
        );
        assert_eq!(k.cfs[1..3], ["count", "events"]);
        assert_eq!(k.cfs[4], "_timer_state/event_user-timers");
        assert_eq!(k.timers_cf, Some(4));
        assert_eq!(k.state_key(5, 7, None).len(), 10);
        let uk = MapKey::Str {
            prefix_len: 1,
            n: 7,
        };
        assert_eq!(&k.state_key(5, 7, Some(uk))[10..], &[3, b'e', b'7']);
        assert_eq!(k.timer_key(5, 4999, 7, 0, 0).len(), 18);
        let mut j = k.clone();
        j.timer_ns = TimerNamespace::Cleanup;
        assert_eq!(j.timer_key(5, 4999, 7, 0, 0).len(), 30);
        assert_eq!(j.timer_key(5, 4999, 7, 1, 0).len(), 31);
        // timers sort by time, also across the sign
        assert!(l.timer_key(0, -1, 0, 0, 0) < l.timer_key(0, 0, 0, 0, 0));
    }
}
