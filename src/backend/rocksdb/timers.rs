//! Which timer operations reach RocksDB: Flink's
//! `RocksDBCachingPriorityQueueSet` (one per key group) keeps the 128
//! smallest timers of its key group in an ordered cache and writes through
//! to RocksDB, via the backend's write batch of 500 operations:
//! - `add`: refills first (below); if the cache is not full and holds every
//!   timer, or the timer sorts before the cache's last, it goes into the
//!   cache (evicting the last when full) and is written only if it was not
//!   cached already; otherwise it is written (even if already stored: a
//!   duplicate PUT) and the cache no longer holds every timer;
//! - `poll`: the cache's first is removed and a DELETE written;
//! - `remove`: when the cache (after a refill) is empty, nothing; otherwise
//!   a DELETE is written whether the timer exists or not;
//! - refill: when the cache is empty and does not hold every timer, the
//!   write batch is flushed and the cache loaded from the store's first
//!   128 timers.

use std::collections::BTreeSet;

/// Timers a key group's cache holds (`RocksDBPriorityQueueSetFactory`).
pub const CACHE: usize = 128;

/// A timer in its byte order: time (sign flipped), key, window.
pub type TimerKey = (u64, u64, u64, u64);

/// The order of a timer's bytes.
pub fn timer_key(time: i64, key: u64, start: i64, end: i64) -> TimerKey {
    ((time as u64) ^ (1 << 63), key, start as u64, end as u64)
}

/// What an operation writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimerWrite {
    /// Nothing.
    None,
    /// A PUT of the timer.
    Put,
    /// A DELETE of the timer.
    Delete,
}

/// One key group's queue set.
#[derive(Debug, Clone)]
pub struct QueueSet {
    store: BTreeSet<TimerKey>,
    cache: BTreeSet<TimerKey>,
    all_in_cache: bool,
}

impl Default for QueueSet {
    /// A fresh set: `KeyGroupPartitionedPriorityQueue` peeks every key
    /// group's set when it builds its heap of them, so each refills from
    /// the empty store (and holds every timer) before the first element.
    fn default() -> Self {
        QueueSet {
            store: BTreeSet::new(),
            cache: BTreeSet::new(),
            all_in_cache: true,
        }
    }
}

impl QueueSet {
    /// Whether the next operation refills the cache (flushing the write
    /// batch first).
    pub fn needs_refill(&self) -> bool {
        !self.all_in_cache && self.cache.is_empty()
    }

    /// Loads the cache from the store (call after flushing the batch).
    pub fn refill(&mut self) {
        self.cache.extend(self.store.iter().take(CACHE).copied());
        self.all_in_cache = self.store.len() <= CACHE;
    }

    /// `add` (refilled before).
    pub fn add(&mut self, t: TimerKey) -> TimerWrite {
        let full = self.cache.len() >= CACHE;
        let before_last = self.cache.last().is_some_and(|l| t < *l);
        let write = if (!full && self.all_in_cache) || before_last {
            if full {
                self.cache.pop_last();
                self.all_in_cache = false;
            }
            if self.cache.insert(t) {
                TimerWrite::Put
            } else {
                TimerWrite::None
            }
        } else {
            self.all_in_cache = false;
            TimerWrite::Put
        };
        if write == TimerWrite::Put {
            self.store.insert(t);
        }
        write
    }

    /// `poll` (refilled before): the first timer, if any, and its DELETE.
    pub fn poll(&mut self) -> Option<TimerKey> {
        let t = self.cache.pop_first()?;
        self.store.remove(&t);
        Some(t)
    }

    /// `poll` of the timer the operator fires (the queue's head: timers
    /// fire in order), DELETE written.
    pub fn poll_timer(&mut self, t: TimerKey) -> TimerWrite {
        self.cache.remove(&t);
        self.store.remove(&t);
        TimerWrite::Delete
    }

    /// `remove` (refilled before).
    pub fn remove(&mut self, t: TimerKey) -> TimerWrite {
        if self.cache.is_empty() {
            return TimerWrite::None;
        }
        self.cache.remove(&t);
        self.store.remove(&t);
        TimerWrite::Delete
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timers_in_the_cache_are_written_once_and_later_ones_every_time() {
        let mut q = QueueSet::default();
        assert!(!q.needs_refill());
        assert_eq!(q.add(timer_key(10, 1, 0, 11)), TimerWrite::Put);
        assert_eq!(q.add(timer_key(10, 1, 0, 11)), TimerWrite::None);
        for k in 2..=CACHE as u64 {
            assert_eq!(q.add(timer_key(10, k, 0, 11)), TimerWrite::Put);
        }
        // the cache is full: a later timer goes to the store, every time
        assert_eq!(q.add(timer_key(20, 1, 10, 21)), TimerWrite::Put);
        assert_eq!(q.add(timer_key(20, 1, 10, 21)), TimerWrite::Put);
        for _ in 0..CACHE {
            assert!(q.poll().is_some());
        }
        // empty cache, not all in it: the next operation refills
        assert!(q.needs_refill());
        q.refill();
        assert_eq!(q.poll(), Some(timer_key(20, 1, 10, 21)));
        // empty and complete: a remove writes nothing
        assert!(!q.needs_refill());
        assert_eq!(q.remove(timer_key(20, 1, 10, 21)), TimerWrite::None);
    }
}
