//! Byte sizes written by Flink's serializers in a heap (hashmap) full
//! snapshot of the `WindowOperator`'s keyed state.
//!
//! Sources: `HeapSnapshotStrategy`, `CopyOnWriteStateMapSnapshot`,
//! `KeyedBackendSerializationProxy` (flink-runtime), `TimerSerializer`,
//! `TimeWindow.Serializer`, `ListSerializer`, `StringValue.writeString`;
//! layout measured on Flink 1.20.5 and 1.9.3 (`shared/oracle/README.md`,
//! "Facts learned"), byte-exact on every ground-truth key group.

/// Bytes of a `TimeWindow` namespace (two longs).
pub const TIME_WINDOW_BYTES: u64 = 16;
/// Bytes of `VoidNamespace` (the merging-window-set's namespace).
pub const VOID_NAMESPACE_BYTES: u64 = 1;
/// Bytes of one `Tuple2<TimeWindow, TimeWindow>` in the merging-window-set.
pub const MERGING_WINDOW_PAIR_BYTES: u64 = 32;
/// Per key group: the key-group id (int).
pub const KEY_GROUP_ID_BYTES: u64 = 4;
/// Per key group and registered state: state id (short) + entry count (int).
pub const PER_STATE_FRAMING_BYTES: u64 = 6;

/// Length of Java's 7-bit varint as written by `StringValue.writeString`.
#[inline]
pub fn varint_len(v: u64) -> u64 {
    let mut n = 1;
    let mut v = v >> 7;
    while v != 0 {
        n += 1;
        v >>= 7;
    }
    n
}

/// `StringSerializer` bytes of an ASCII string of `len` chars
/// (`StringValue.writeString`: varint(len + 1), then one byte per char
/// below 0x80).
#[inline]
pub fn string_bytes(len: u64) -> u64 {
    varint_len(len + 1) + len
}

/// Bytes of a Java string as `StringValue.writeString` writes it: chars
/// below 0x80 take one byte, below 0x800 two, the rest three.
pub fn java_string_bytes(s: &str) -> u64 {
    let mut units = 0u64;
    let mut bytes = 0u64;
    for c in s.encode_utf16() {
        units += 1;
        bytes += if c < 0x80 {
            1
        } else if c < 0x800 {
            2
        } else {
            3
        };
    }
    varint_len(units + 1) + bytes
}

/// An event-time or processing-time timer of a window operator:
/// timestamp (long) + key + `TimeWindow` namespace.
#[inline]
pub fn timer_bytes(key_bytes: u64) -> u64 {
    8 + key_bytes + TIME_WINDOW_BYTES
}

/// Which window function holds the window's contents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueLayout {
    /// `ListState` of every element (ProcessWindowFunction, legacy
    /// `WindowFunction` via `apply`): int size + the elements.
    List,
    /// One accumulator of fixed serialized size (AggregateFunction).
    Accumulator(u64),
    /// One element (ReduceFunction keeps the reduced value).
    Single,
}

/// Size of the serialization-proxy header (state meta info + serializer
/// snapshots) of one subtask's keyed-state stream.
///
/// Measured exactly (Flink 1.20.5 = 1.9.3 = 2.2.1) for `Long` keys and
/// `Tuple3<Long, Long, String>` elements with a `Tuple2<Long, Long>`
/// accumulator. Other key and record types write other serializer
/// snapshots: the header then differs by the length of their class names
/// (a few tens of bytes), which statecap does not model.
pub fn header_bytes(layout: ValueLayout, merging: bool) -> u64 {
    let base = match layout {
        ValueLayout::List => 1492,
        ValueLayout::Accumulator(_) => 1318,
        ValueLayout::Single => 1405,
    };
    // The merging-window-set state's meta info and serializer snapshot.
    if merging { base + 630 } else { base }
}

/// Registered keyed states of a `WindowOperator`: `window-contents`, the
/// event and processing timer queues, and for merging (session) windows the
/// `merging-window-set`.
#[inline]
pub fn registered_states(merging: bool) -> u64 {
    if merging { 4 } else { 3 }
}

/// Bytes of one key group's framing, paid by every key group of the
/// subtask's range, empty or not.
#[inline]
pub fn key_group_framing(merging: bool) -> u64 {
    KEY_GROUP_ID_BYTES + registered_states(merging) * PER_STATE_FRAMING_BYTES
}

/// The part of a keyed backend's snapshot header that is not a state's:
/// the key serializer's snapshot (`LongSerializer`, 86 bytes) and the
/// serialization proxy's own fields (version, compression flag, counts:
/// 11). Measured (Flink 1.20.5 = 2.2.1, tests/ground-truth-ops/FACTS.md).
pub const KEYED_HEADER_BASE_BYTES: u64 = 86 + 11;

/// [`KEYED_HEADER_BASE_BYTES`] of a Flink SQL operator: its key
/// serializer is a `RowDataSerializer` of the one `BIGINT` key column (a
/// 512-byte snapshot). Measured (tests/ground-truth-ops/FACTS.md, SQL).
pub const SQL_KEYED_HEADER_BASE_BYTES: u64 = 512 + 11;

/// A Flink SQL key row of one `BIGINT` column in a snapshot
/// (`RowDataSerializer` -> `BinaryRowDataSerializer`: an int length, an
/// 8-byte header with the null bits, an 8-byte slot).
pub const SQL_BIGINT_KEY_BYTES: u64 = 4 + 8 + 8;

/// Serialized bytes of a Flink SQL row (`BinaryRowData` behind an int
/// length) of `fields` fixed-length slots whose one `STRING` holds the
/// payload of a record of `record_bytes` (a `Tuple3<Long, Long, String>`:
/// 16 + varint(len + 1) + len). A string of up to 7 bytes lives in its
/// slot; a longer one in the variable part, padded to whole 8-byte words.
#[inline]
pub fn sql_row_bytes(fields: u64, record_bytes: u64) -> u64 {
    let rest = record_bytes.saturating_sub(16);
    let mut len = rest.saturating_sub(1);
    for v in 1..=5u64 {
        let l = rest.saturating_sub(v);
        if varint_len(l + 1) == v {
            len = l;
            break;
        }
    }
    let var = if len <= 7 { 0 } else { len.div_ceil(8) * 8 };
    4 + 8 + 8 * fields + var
}

/// What state TTL adds to a state's meta info: the `TtlSerializer`
/// snapshot wrapping the user serializer (a composite of the 8-byte
/// timestamp's `LongSerializer` and the value serializer).
pub const TTL_META_BYTES: u64 = 184;

/// The 8-byte last-access timestamp TTL puts before every value, list
/// element and map value (`TtlValue`).
pub const TTL_TIMESTAMP_BYTES: u64 = 8;

/// The serializers of a declared keyed state whose snapshot statecap
/// knows (their `StateMetaInfoSnapshot` bytes besides the name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeclaredState {
    /// `ValueState<Long>` (VoidNamespace).
    LongValue,
    /// `ValueState<Boolean>`.
    BooleanValue,
    /// `ListState<Tuple3<Long, Long, String>>` (the input record).
    RecordList,
    /// `MapState<String, Long>`.
    StringLongMap,
    /// A timer queue `_timer_state/...` of `TimerSerializer<Long, VoidNamespace>`.
    VoidTimers,
    /// The interval join's `MapState<Long, List<BufferEntry<Tuple3>>>`
    /// (`LEFT_BUFFER`, `RIGHT_BUFFER`).
    BufferMap,
    /// A timer queue of `TimerSerializer<Long, String>` (the interval
    /// join's `CLEANUP_TIMER`).
    StringTimers,
    /// Flink SQL: a timer queue of `TimerSerializer<RowData, VoidNamespace>`.
    SqlTimers,
    /// Flink SQL's dedup keeping the last row: `ValueState<RowData>` of
    /// (k, ts, payload, proctime).
    SqlDedupRow,
    /// Flink SQL's join side with a unique key in the join key:
    /// `ValueState<RowData>` of (k, ts, payload).
    SqlJoinRowValue,
    /// Flink SQL's join side without a unique key: `MapState<RowData,
    /// Integer>`.
    SqlJoinRowCountMap,
    /// Flink SQL's join side with another unique key: `MapState<RowData,
    /// RowData>`.
    SqlJoinRowRowMap,
}

/// Bytes of one state's meta info in the header: its serializers'
/// snapshots plus its name (modified UTF-8: one byte a character for
/// ASCII names) plus [`TTL_META_BYTES`] with TTL. Measured: `count`
/// (Long value) 270, `seen` (Boolean value) 275, `last` (list) 668,
/// `events` (map) 449, `_timer_state/event_user-timers` 334,
/// `_timer_state/processing_user-timers` 339.
pub fn declared_state_meta_bytes(state: DeclaredState, name: &str, ttl: bool) -> u64 {
    let serializers = match state {
        DeclaredState::LongValue => 265,
        DeclaredState::BooleanValue => 271,
        DeclaredState::RecordList => 664,
        DeclaredState::StringLongMap => 443,
        DeclaredState::VoidTimers => 304,
        // Measured: LEFT_BUFFER 970, RIGHT_BUFFER 971,
        // _timer_state/event_CLEANUP_TIMER 334, processing_ 339.
        DeclaredState::BufferMap => 959,
        DeclaredState::StringTimers => 302,
        // Measured (Flink SQL, 1.20.5): _timer_state/processing_user-timers
        // 765, event_ 760; deduplicate-state 2168 (row) / 288 (Boolean);
        // left-records 1540 (value) / 1712 (row -> count) / 2546 (row -> row).
        DeclaredState::SqlTimers => 730,
        DeclaredState::SqlDedupRow => 2151,
        DeclaredState::SqlJoinRowValue => 1528,
        DeclaredState::SqlJoinRowCountMap => 1700,
        DeclaredState::SqlJoinRowRowMap => 2534,
    };
    // writeUTF (modified UTF-8): per UTF-16 unit, 1 byte for U+0001..U+007F,
    // 2 up to U+07FF (and U+0000), else 3.
    let name_bytes: u64 = name
        .encode_utf16()
        .map(|u| match u {
            1..=0x7f => 1,
            0 | 0x80..=0x7ff => 2,
            _ => 3,
        })
        .sum();
    serializers + name_bytes + if ttl { TTL_META_BYTES } else { 0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tuple3_element_sizes_match_measurement() {
        // Tuple3<Long, Long, String>: 8 + 8 + string; 33 / 117 / 1018 bytes
        // for payloads of 16 / 100 / 1000 chars (measured).
        assert_eq!(16 + string_bytes(16), 33);
        assert_eq!(16 + string_bytes(100), 117);
        assert_eq!(16 + string_bytes(1000), 1018);
        assert_eq!(java_string_bytes("hello"), 6);
        assert_eq!(java_string_bytes("é"), 3);
    }

    #[test]
    fn sql_rows_match_measurement() {
        // Measured rows (Flink 1.20.5, SQL cases): a dedup's 4-field row of a
        // 100-char payload 148, of a 30-char one 76 (84 with TTL); a join
        // side's 3-field row of 100 chars 140, of 40 chars 76.
        assert_eq!(sql_row_bytes(4, 117), 148);
        assert_eq!(sql_row_bytes(4, 16 + string_bytes(30)), 76);
        assert_eq!(sql_row_bytes(3, 117), 140);
        assert_eq!(sql_row_bytes(3, 16 + string_bytes(40)), 76);
        // up to 7 chars: in the slot
        assert_eq!(sql_row_bytes(3, 16 + string_bytes(7)), 36);
        assert_eq!(sql_row_bytes(3, 16 + string_bytes(8)), 44);
        assert_eq!(sql_row_bytes(3, 16 + string_bytes(1000)), 36 + 1000);
        assert_eq!(sql_row_bytes(3, 16 + string_bytes(200)), 36 + 200);
        assert_eq!(sql_row_bytes(3, 16 + string_bytes(127)), 36 + 128);
        assert_eq!(sql_row_bytes(3, 16 + string_bytes(126)), 36 + 128);
        assert_eq!(
            declared_state_meta_bytes(
                DeclaredState::SqlTimers,
                "_timer_state/processing_user-timers",
                false
            ),
            765
        );
    }

    #[test]
    fn empty_key_group_costs_22_or_28_bytes() {
        assert_eq!(key_group_framing(false), 22);
        assert_eq!(key_group_framing(true), 28);
        assert_eq!(timer_bytes(8), 32);
    }
}
