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
