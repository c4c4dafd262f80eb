//! What the operator writes into its keyed state, one call per write, in
//! the order Flink makes them: the seam a backend that stores every write
//! (RocksDB) listens on. The heap backend needs only the snapshot, so its
//! runs use [`NoWrites`], whose calls are empty and whose `ON = false`
//! removes every per-entry loop that exists only to report writes: the
//! engines are monomorphized over the sink, so the heap path is unchanged.
//!
//! The calls are Flink-level (a list append, a value put, a timer
//! registered or polled); what they become in the store (RocksDB's MERGE,
//! PUT, DELETE, and the timer queue's cache and write batch) is the
//! backend's business.

/// A window of the window-contents state: `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Window {
    /// Start (inclusive).
    pub start: i64,
    /// End (exclusive).
    pub end: i64,
}

/// A map state's user key: the string `prefix` + the decimal `n`
/// (`MapState<String, _>`), or a long (the interval join's timestamps).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapKey {
    /// `prefix_len` characters then the digits of `n`.
    Str {
        /// Characters of the prefix.
        prefix_len: u32,
        /// The number after it.
        n: u32,
    },
    /// A `Long`.
    Long(i64),
}

/// Hears every write of one operator (all its subtasks), in order.
pub trait StateWrites {
    /// Whether the writes are wanted at all.
    const ON: bool;
    /// The element `(key, ts, bytes)` that the next [`StateWrites::add`]
    /// calls add (its bytes decide the stored value).
    fn element(&mut self, kg: usize, key: u32, ts: i64, bytes: u64);
    /// The current element is added to `key`'s entry of `window`
    /// (`ListState.add`: a merge operand; aggregate and reduce: the
    /// entry's new value).
    fn add(&mut self, kg: usize, key: u32, window: Window);
    /// An event- or processing-time timer is registered
    /// (`InternalTimerService.register*TimeTimer`).
    fn register_timer(&mut self, kg: usize, key: u32, time: i64, window: Window);
    /// The head timer of the key group's queue fires (`poll`).
    fn poll_timer(&mut self, kg: usize, key: u32, time: i64, window: Window);
    /// A timer is deleted (`delete*TimeTimer`, e.g. `Trigger.clear`).
    fn delete_timer(&mut self, kg: usize, key: u32, time: i64, window: Window);
    /// `key`'s entry of `window` is cleared (the window is purged).
    fn clear(&mut self, kg: usize, key: u32, window: Window);
    /// Session windows' `mergeNamespaces`: `source`'s entry is read,
    /// deleted and merged into `target`'s.
    fn merge_namespace(&mut self, kg: usize, key: u32, target: Window, source: Window);
    /// Session windows' `MergingWindowSet.persist`: the key's mapping of
    /// windows to state windows is written (`ListState.update`; a DELETE
    /// when empty).
    fn merging_set(&mut self, kg: usize, key: u32, pairs: &[(Window, Window)]);
    /// A checkpoint barrier: the snapshot of every subtask is taken now.
    fn barrier(&mut self, checkpoint: u64);

    // Keyed operators that are not windows (`process`, `dedup`, `join`,
    // `interval_join`): `state` is the operator's state in declaration
    // order, `stamp` the TTL timestamp the value is wrapped with (`None`:
    // no TTL), `now` the processing time of the write.

    /// The processing time of the record being played (the clock of the
    /// TTL compaction filter).
    #[inline(always)]
    fn now(&mut self, _now: i64) {}
    /// `ValueState.update`: a PUT of `bytes` value bytes.
    #[inline(always)]
    fn value_put(
        &mut self,
        _kg: usize,
        _key: u32,
        _state: usize,
        _stamp: Option<i64>,
        _bytes: u32,
    ) {
    }
    /// `ListState.add`: a MERGE of one element (the record at `ts`).
    #[inline(always)]
    fn list_add(
        &mut self,
        _kg: usize,
        _key: u32,
        _state: usize,
        _stamp: Option<i64>,
        _ts: i64,
        _bytes: u32,
    ) {
    }
    /// `ListState.clear` + `addAll`: a DELETE, then one MERGE of the
    /// elements (records of `bytes` each, all stamped `stamp`).
    #[inline(always)]
    fn list_replace(
        &mut self,
        _kg: usize,
        _key: u32,
        _state: usize,
        _stamp: Option<i64>,
        _bytes: &[u32],
    ) {
    }
    /// `MapState.put(user_key, value)`: a PUT of the entry (null flag +
    /// `bytes` value bytes).
    #[inline(always)]
    fn map_put(
        &mut self,
        _kg: usize,
        _key: u32,
        _state: usize,
        _user_key: MapKey,
        _stamp: Option<i64>,
        _bytes: u32,
    ) {
    }
    /// The interval join's `buffer.put(ts, bucket)`: a PUT of the bucket's
    /// list of `BufferEntry` (flag + record of `bytes` each).
    #[inline(always)]
    fn bucket_put(&mut self, _kg: usize, _key: u32, _state: usize, _ts: i64, _bytes: &[u32]) {}
    /// A DELETE of a state's entry (`clear`, `remove`, an expired value
    /// read): of the map entry `user_key` if given.
    #[inline(always)]
    fn state_delete(&mut self, _kg: usize, _key: u32, _state: usize, _user_key: Option<MapKey>) {}
}

/// The sink of backends that need no write stream (heap).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoWrites;

impl StateWrites for NoWrites {
    const ON: bool = false;
    #[inline(always)]
    fn element(&mut self, _: usize, _: u32, _: i64, _: u64) {}
    #[inline(always)]
    fn add(&mut self, _: usize, _: u32, _: Window) {}
    #[inline(always)]
    fn register_timer(&mut self, _: usize, _: u32, _: i64, _: Window) {}
    #[inline(always)]
    fn poll_timer(&mut self, _: usize, _: u32, _: i64, _: Window) {}
    #[inline(always)]
    fn delete_timer(&mut self, _: usize, _: u32, _: i64, _: Window) {}
    #[inline(always)]
    fn clear(&mut self, _: usize, _: u32, _: Window) {}
    #[inline(always)]
    fn merge_namespace(&mut self, _: usize, _: u32, _: Window, _: Window) {}
    #[inline(always)]
    fn merging_set(&mut self, _: usize, _: u32, _: &[(Window, Window)]) {}
    #[inline(always)]
    fn barrier(&mut self, _: u64) {}
}
