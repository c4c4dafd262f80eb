//! The operator's writes turned into RocksDB operations, one instance per
//! subtask, in the order Flink makes them ([`RocksWrites`] is the
//! simulator's [`StateWrites`] sink):
//! - window state goes straight to the instance, one write each: a MERGE of
//!   the element (list state: process / apply), a PUT of the accumulator
//!   or the reduced element (aggregate / reduce), a DELETE when the window
//!   is purged;
//! - timers go through the timer queue's cache ([`super::timers`]) and the
//!   backend's write batch, written as one write every 500 operations,
//!   before the cache refills from the store, and at the snapshot;
//! - at a barrier, every instance flushes every column family (the native
//!   checkpoint's `GetLiveFiles`) and lists its live files; compactions the
//!   checkpoint's own flushes owe start after the listing.
//!
//! What each barrier lists goes to a shared [`Log`] that the backend model
//! ([`super::LsmModel`]) reads, one per backend option.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::layout::{KeyedCf, Layout, Payloads, TimerNamespace};
use super::lsm::{Counts, Db, DbOptions};
use super::sst::{RocksVersion, TYPE_DELETION, TYPE_MERGE, TYPE_VALUE};
use super::timers::{QueueSet, TimerWrite, timer_key};
use crate::flink::KeyGroupLayout;
use crate::flink::serializer::ValueLayout;
use crate::sim::writes::{MapKey, StateWrites, Window};

/// One operation: column family, user key, value type, value.
type Op = (usize, Box<[u8]>, u8, Box<[u8]>);

/// `RocksDBWriteBatchWrapper`'s default capacity.
pub const WRITE_BATCH: usize = 500;

/// One subtask's live SST files and MANIFEST bytes at a listing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Listing {
    /// `(file number, bytes)` of every live SST file.
    pub files: Vec<(u64, u64)>,
    /// MANIFEST bytes.
    pub manifest: u64,
}

impl Listing {
    fn of(db: &Db) -> Self {
        Listing {
            files: db.live_files(),
            manifest: db.manifest,
        }
    }
}

/// One subtask's checkpoint, three ways.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubtaskListing {
    /// Expected: compactions owed by the checkpoint's own flushes start
    /// after the listing.
    pub expected: Listing,
    /// Those compactions finished before the listing.
    pub compacted: Listing,
    /// The last compaction of each column family since the previous
    /// barrier had not finished at the barrier (its inputs still live).
    pub uncompacted: Listing,
    /// The next compaction of each column family ran before the barrier
    /// (every L0 file but the checkpoint's own flushes compacted).
    pub early: Listing,
}

/// What the recorder tells the models.
#[derive(Debug, Clone, Default)]
pub struct Log {
    /// Per checkpoint, per subtask.
    pub checkpoints: Vec<Vec<SubtaskListing>>,
    /// Column family names of the instances.
    pub cfs: Vec<String>,
    /// FRocksDB version.
    pub version: Option<RocksVersion>,
    /// Flushes and compactions per subtask so far.
    pub counts: Vec<Counts>,
    /// Per subtask not replayed: the replayed one its files are scaled
    /// from, and the factor ([`ReplaySample::proxy`]).
    pub proxy: Vec<Option<(usize, f64)>>,
}

/// The log shared between the recorder and the models.
pub type SharedLog = Arc<Mutex<Log>>;

/// Everything one operator's instances need.
#[derive(Debug, Clone)]
pub struct RecorderSetup {
    /// Key groups and subtasks.
    pub layout: KeyGroupLayout,
    /// Serialized key bytes.
    pub key_len: usize,
    /// Timers on the heap.
    pub heap_timers: bool,
    /// Session windows (a merging-window set).
    pub merging: bool,
    /// The window function's value layout.
    pub value: ValueLayout,
    /// FRocksDB version.
    pub version: RocksVersion,
    /// Write-buffer-manager capacity per slot.
    pub wbm_capacity: u64,
    /// Seed of the payloads.
    pub seed: u64,
    /// The numeric key of each dense key id (empty: the id).
    pub key_values: Vec<i64>,
    /// A sampled replay: the key groups replayed (empty: all) and, per
    /// subtask, what each of its writes stands for (its key groups'
    /// records over the replayed ones': [`DbOptions::weight`]).
    pub sample: Option<ReplaySample>,
    /// A keyed operator that is not a window: its states, its timer
    /// service's name and its timers' namespace.
    pub keyed: Option<(Vec<KeyedCf>, &'static str, TimerNamespace)>,
}

/// The key groups a sampled replay plays, and the weight of each
/// subtask's writes.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplaySample {
    /// Per key group: replayed or not.
    pub replayed: Vec<bool>,
    /// Per subtask: its records over its replayed key groups' (≥ 1).
    pub weight: Vec<f64>,
    /// Per subtask not replayed at all: the replayed subtask its files are
    /// scaled from, and by how much (its records over that one's).
    pub proxy: Vec<Option<(usize, f64)>>,
}

impl ReplaySample {
    /// One key group in `stride` of every subtask (evenly spaced, at least
    /// one), or (`one_subtask`) of the subtask with the most records only,
    /// weighted by `records` per key group.
    pub fn strided(
        layout: &KeyGroupLayout,
        records: &[f64],
        stride: usize,
        one_subtask: bool,
    ) -> Self {
        let kgs = layout.max_parallelism as usize;
        let p = layout.parallelism as usize;
        let total = |st: u32| {
            let (lo, hi) = layout.range_of(st);
            (lo as usize..=hi as usize)
                .map(|g| records.get(g).copied().unwrap_or(0.0))
                .sum::<f64>()
        };
        let heaviest = (0..layout.parallelism)
            .max_by(|&a, &b| total(a).total_cmp(&total(b)).then(b.cmp(&a)))
            .unwrap_or(0);
        let mut replayed = vec![false; kgs];
        let mut weight = Vec::with_capacity(p);
        let mut proxy = vec![None; p];
        for st in 0..layout.parallelism {
            if one_subtask && st != heaviest {
                let ratio = total(st) / total(heaviest).max(f64::MIN_POSITIVE);
                proxy[st as usize] = Some((heaviest as usize, ratio));
                weight.push(1.0);
                continue;
            }
            let (lo, hi) = layout.range_of(st);
            let range: Vec<usize> = (lo as usize..=hi as usize).filter(|&g| g < kgs).collect();
            let n = range.len().div_ceil(stride.max(1)).max(1).min(range.len());
            for i in 0..n {
                // The middle of each stretch of `len / n` key groups.
                replayed[range[(2 * i + 1) * range.len() / (2 * n)]] = true;
            }
            let all: f64 = range
                .iter()
                .map(|&g| records.get(g).copied().unwrap_or(0.0))
                .sum();
            let kept: f64 = range
                .iter()
                .filter(|&&g| replayed[g])
                .map(|&g| records.get(g).copied().unwrap_or(0.0))
                .sum();
            weight.push(if kept > 0.0 {
                (all / kept).max(1.0)
            } else {
                1.0
            });
        }
        ReplaySample {
            replayed,
            weight,
            proxy,
        }
    }

    /// Key groups replayed.
    pub fn key_groups(&self) -> usize {
        self.replayed.iter().filter(|&&r| r).count()
    }
}

struct Recorder {
    layout: Layout,
    /// Per key group: its writes are replayed.
    replayed: Vec<bool>,
    /// Per subtask: what each write stands for, and the write batch's
    /// operations so far counted so.
    weight: Vec<f64>,
    batch_weight: Vec<f64>,
    value: ValueLayout,
    subtask: Vec<usize>,
    dbs: Vec<Db>,
    batches: Vec<Vec<Op>>,
    queues: Vec<QueueSet>,
    payloads: Payloads,
    element: Box<[u8]>,
    ts: i64,
    /// Processing time of the latest record (keyed operators).
    now: i64,
    acc: HashMap<(u32, Window), (u64, i64)>,
    /// Session windows: each entry's value, for `mergeNamespaces`.
    values: HashMap<(u32, Window), Vec<u8>>,
    log: SharedLog,
}

/// The simulator's sink for RocksDB; `Default` is a sink that is not
/// listened to (engines beyond the first; none in a RocksDB run).
#[derive(Default)]
pub struct RocksWrites(Option<Box<Recorder>>);

impl RocksWrites {
    /// A recorder for `setup`, and the log it fills.
    pub fn new(setup: &RecorderSetup) -> (Self, SharedLog) {
        let mut layout = match &setup.keyed {
            Some((states, timers, ns)) => Layout::keyed(
                setup.layout.max_parallelism,
                setup.key_len,
                setup.heap_timers,
                states.clone(),
                timers,
                *ns,
            ),
            None => Layout::new(
                setup.layout.max_parallelism,
                setup.key_len,
                setup.heap_timers,
                setup.merging,
            ),
        };
        layout.key_values = setup.key_values.clone();
        let p = setup.layout.parallelism as usize;
        let kgs = setup.layout.max_parallelism as usize;
        let subtask = (0..kgs)
            .map(|g| setup.layout.subtask_of(g as u32) as usize)
            .collect();
        let opts = DbOptions::flink(setup.version, setup.wbm_capacity);
        let (replayed, weight) = match &setup.sample {
            Some(s) => (s.replayed.clone(), s.weight.clone()),
            None => (vec![true; kgs], vec![1.0; p]),
        };
        let dbs = (0..p)
            .map(|st| {
                let mut o = opts.clone();
                o.weight = weight[st];
                let mut db = Db::new(o, &layout.cfs);
                for (cf, s) in &layout.states {
                    db.filters[*cf] = s.filter_ttl.map(|t| (t, s.kind));
                }
                db
            })
            .collect();
        let log = Arc::new(Mutex::new(Log {
            checkpoints: Vec::new(),
            cfs: layout.cfs.clone(),
            version: Some(setup.version),
            counts: vec![Counts::default(); p],
            proxy: setup
                .sample
                .as_ref()
                .map_or_else(|| vec![None; p], |s| s.proxy.clone()),
        }));
        let r = Recorder {
            layout,
            replayed,
            batch_weight: vec![0.0; p],
            weight,
            value: setup.value,
            subtask,
            dbs,
            batches: vec![Vec::new(); p],
            queues: vec![QueueSet::default(); kgs],
            payloads: Payloads::new(setup.seed),
            element: Box::new([]),
            ts: 0,
            now: i64::MIN,
            acc: HashMap::new(),
            values: HashMap::new(),
            log: log.clone(),
        };
        (RocksWrites(Some(Box::new(r))), log)
    }
}

impl Recorder {
    fn flush_batch(&mut self, st: usize) {
        self.batch_weight[st] = 0.0;
        if !self.batches[st].is_empty() {
            let ops = std::mem::take(&mut self.batches[st]);
            self.dbs[st].write(ops);
        }
    }

    fn batch(&mut self, st: usize, op: Op) {
        self.batches[st].push(op);
        // A sampled replay's operation stands for `weight`: the batch is
        // written after as many operations of the whole instance.
        self.batch_weight[st] += self.weight[st];
        if self.batch_weight[st] >= WRITE_BATCH as f64 - 1e-9 {
            self.flush_batch(st);
        }
    }

    fn refill(&mut self, kg: usize) {
        if self.queues[kg].needs_refill() {
            self.flush_batch(self.subtask[kg]);
            self.queues[kg].refill();
        }
    }

    fn timer_op(&mut self, kg: usize, key: u32, time: i64, w: Window, write: TimerWrite) {
        let Some(cf) = self.layout.timers_cf else {
            return;
        };
        let vtype = match write {
            TimerWrite::None => return,
            TimerWrite::Put => TYPE_VALUE,
            TimerWrite::Delete => TYPE_DELETION,
        };
        let k = self.layout.timer_key(kg, time, key, w.start, w.end);
        self.batch(self.subtask[kg], (cf, k, vtype, Box::new([])));
    }

    /// A keyed state's write, straight to the instance.
    fn state_op(
        &mut self,
        kg: usize,
        key: u32,
        state: usize,
        user_key: Option<MapKey>,
        vtype: u8,
        value: Box<[u8]>,
    ) {
        let Some(&(cf, _)) = self.layout.states.get(state) else {
            return;
        };
        let k = self.layout.state_key(kg, key, user_key);
        let st = self.subtask[kg];
        self.dbs[st].now = self.now;
        self.dbs[st].write([(cf, k, vtype, value)]);
    }

    /// A record of `bytes` at `ts`, after its TTL timestamp if any.
    fn record(&mut self, key: u32, stamp: Option<i64>, ts: i64, bytes: u32, out: &mut Vec<u8>) {
        if let Some(s) = stamp {
            out.extend_from_slice(&s.to_be_bytes());
        }
        let e = self
            .payloads
            .element(self.layout.key_value(key), ts, bytes as u64);
        out.extend_from_slice(&e);
    }

    fn barrier(&mut self) {
        let mut listings = Vec::with_capacity(self.dbs.len());
        for st in 0..self.dbs.len() {
            self.flush_batch(st);
            let db = &mut self.dbs[st];
            db.checkpoint_flush();
            let expected = Listing::of(db);
            let uncompacted = Listing {
                files: db.uncompacted_files(),
                manifest: expected.manifest,
            };
            let early = Listing {
                files: db.early_compacted_files(),
                manifest: expected.manifest,
            };
            db.run_compactions();
            let compacted = Listing::of(db);
            db.begin_interval();
            listings.push(SubtaskListing {
                expected,
                compacted,
                uncompacted,
                early,
            });
        }
        if let Ok(mut log) = self.log.lock() {
            log.checkpoints.push(listings);
            log.counts = self.dbs.iter().map(|d| d.counts).collect();
        }
    }
}

impl RocksWrites {
    /// The recorder, if it replays key group `kg`.
    #[inline]
    fn live(&mut self, kg: usize) -> Option<&mut Recorder> {
        self.0.as_mut().filter(|r| r.replayed[kg]).map(|r| &mut **r)
    }
}

impl StateWrites for RocksWrites {
    const ON: bool = true;

    fn element(&mut self, kg: usize, key: u32, ts: i64, bytes: u64) {
        if let Some(r) = self.live(kg) {
            r.element = r.payloads.element(r.layout.key_value(key), ts, bytes);
            r.ts = ts;
        }
    }

    fn add(&mut self, kg: usize, key: u32, w: Window) {
        let Some(r) = self.live(kg) else { return };
        let k = r.layout.contents_key(kg, key, w.start, w.end);
        let (vtype, value): (u8, Box<[u8]>) = match r.value {
            ValueLayout::List => (TYPE_MERGE, r.element.clone()),
            ValueLayout::Single => (TYPE_VALUE, r.element.clone()),
            ValueLayout::Accumulator(n) => {
                // The ground-truth job's accumulator: (count, sum of ts).
                let a = r.acc.entry((key, w)).or_insert((0, 0));
                a.0 += 1;
                a.1 = a.1.wrapping_add(r.ts);
                let mut v = Vec::with_capacity(n as usize);
                v.extend_from_slice(&a.0.to_be_bytes());
                v.extend_from_slice(&a.1.to_be_bytes());
                v.resize(n as usize, 0);
                (TYPE_VALUE, v.into_boxed_slice())
            }
        };
        if r.layout.mws_cf.is_some() {
            let v = r.values.entry((key, w)).or_default();
            if vtype == TYPE_MERGE && !v.is_empty() {
                v.push(b',');
                v.extend_from_slice(&value);
            } else {
                *v = value.to_vec();
            }
        }
        let cf = r.layout.contents_cf;
        let st = r.subtask[kg];
        r.dbs[st].write([(cf, k, vtype, value)]);
    }

    fn merge_namespace(&mut self, kg: usize, key: u32, target: Window, source: Window) {
        let Some(r) = self.live(kg) else { return };
        let Some(v) = r.values.remove(&(key, source)) else {
            return;
        };
        let cf = r.layout.contents_cf;
        let st = r.subtask[kg];
        let sk = r.layout.contents_key(kg, key, source.start, source.end);
        r.dbs[st].write([(cf, sk, TYPE_DELETION, Box::from(&b""[..]))]);
        let tk = r.layout.contents_key(kg, key, target.start, target.end);
        match r.value {
            ValueLayout::List => {
                let t = r.values.entry((key, target)).or_default();
                if !t.is_empty() {
                    t.push(b',');
                }
                t.extend_from_slice(&v);
                r.dbs[st].write([(cf, tk, TYPE_MERGE, v.into_boxed_slice())]);
            }
            _ => {
                // AggregateFunction.merge / the latest element: one PUT.
                if let Some(b) = r.acc.remove(&(key, source)) {
                    let a = r.acc.entry((key, target)).or_insert((0, 0));
                    a.0 += b.0;
                    a.1 = a.1.wrapping_add(b.1);
                }
                let t = r.values.entry((key, target)).or_default().clone();
                r.dbs[st].write([(cf, tk, TYPE_VALUE, t.into_boxed_slice())]);
            }
        }
    }

    fn merging_set(&mut self, kg: usize, key: u32, pairs: &[(Window, Window)]) {
        let Some(r) = self.live(kg) else { return };
        let Some(cf) = r.layout.mws_cf else { return };
        let k = r.layout.mws_key(kg, key);
        let st = r.subtask[kg];
        if pairs.is_empty() {
            r.dbs[st].write([(cf, k, TYPE_DELETION, Box::from(&b""[..]))]);
            return;
        }
        // ListState.update: each Tuple2<TimeWindow, TimeWindow>, `,` between.
        let mut v = Vec::with_capacity(pairs.len() * 33);
        for (i, (w, s)) in pairs.iter().enumerate() {
            if i > 0 {
                v.push(b',');
            }
            for x in [w.start, w.end, s.start, s.end] {
                v.extend_from_slice(&x.to_be_bytes());
            }
        }
        r.dbs[st].write([(cf, k, TYPE_VALUE, v.into_boxed_slice())]);
    }

    fn register_timer(&mut self, kg: usize, key: u32, time: i64, w: Window) {
        let Some(r) = self.live(kg) else { return };
        if r.layout.timers_cf.is_none() {
            return;
        }
        r.refill(kg);
        let write = r.queues[kg].add(timer_key(
            time,
            r.layout.key_value(key) as u64,
            w.start,
            w.end,
        ));
        r.timer_op(kg, key, time, w, write);
    }

    fn poll_timer(&mut self, kg: usize, key: u32, time: i64, w: Window) {
        let Some(r) = self.live(kg) else { return };
        if r.layout.timers_cf.is_none() {
            return;
        }
        r.refill(kg);
        let write = r.queues[kg].poll_timer(timer_key(
            time,
            r.layout.key_value(key) as u64,
            w.start,
            w.end,
        ));
        r.timer_op(kg, key, time, w, write);
    }

    fn delete_timer(&mut self, kg: usize, key: u32, time: i64, w: Window) {
        let Some(r) = self.live(kg) else { return };
        if r.layout.timers_cf.is_none() {
            return;
        }
        r.refill(kg);
        let write = r.queues[kg].remove(timer_key(
            time,
            r.layout.key_value(key) as u64,
            w.start,
            w.end,
        ));
        r.timer_op(kg, key, time, w, write);
    }

    fn clear(&mut self, kg: usize, key: u32, w: Window) {
        let Some(r) = self.live(kg) else { return };
        if matches!(r.value, ValueLayout::Accumulator(_)) {
            r.acc.remove(&(key, w));
        }
        r.values.remove(&(key, w));
        let k = r.layout.contents_key(kg, key, w.start, w.end);
        let cf = r.layout.contents_cf;
        let st = r.subtask[kg];
        r.dbs[st].write([(cf, k, TYPE_DELETION, Box::from(&b""[..]))]);
    }

    fn barrier(&mut self, _checkpoint: u64) {
        if let Some(r) = self.0.as_mut() {
            r.barrier();
        }
    }

    fn now(&mut self, now: i64) {
        if let Some(r) = self.0.as_mut() {
            r.now = r.now.max(now);
        }
    }

    fn value_put(&mut self, kg: usize, key: u32, state: usize, stamp: Option<i64>, bytes: u32) {
        let Some(r) = self.0.as_mut() else { return };
        // TtlValue: the timestamp, then the value (a Long count here).
        let mut v = Vec::with_capacity(bytes as usize + 8);
        if let Some(s) = stamp {
            v.extend_from_slice(&s.to_be_bytes());
        }
        let n = r.now.max(0) as u64;
        v.extend_from_slice(&n.to_be_bytes()[8usize.saturating_sub(bytes as usize)..]);
        v.resize(v.len().max(bytes as usize + stamp.map_or(0, |_| 8)), 0);
        r.state_op(kg, key, state, None, TYPE_VALUE, v.into_boxed_slice());
    }

    fn list_add(
        &mut self,
        kg: usize,
        key: u32,
        state: usize,
        stamp: Option<i64>,
        ts: i64,
        bytes: u32,
    ) {
        let Some(r) = self.0.as_mut() else { return };
        let mut v = Vec::with_capacity(bytes as usize + 8);
        r.record(key, stamp, ts, bytes, &mut v);
        r.state_op(kg, key, state, None, TYPE_MERGE, v.into_boxed_slice());
    }

    fn list_replace(
        &mut self,
        kg: usize,
        key: u32,
        state: usize,
        stamp: Option<i64>,
        bytes: &[u32],
    ) {
        let Some(r) = self.0.as_mut() else { return };
        r.state_op(kg, key, state, None, TYPE_DELETION, Box::from(&b""[..]));
        if bytes.is_empty() {
            return;
        }
        let mut v = Vec::with_capacity(bytes.iter().map(|&b| b as usize + 9).sum());
        let ts = r.now;
        for (i, &b) in bytes.iter().enumerate() {
            if i > 0 {
                v.push(b',');
            }
            r.record(key, stamp, ts, b, &mut v);
        }
        r.state_op(kg, key, state, None, TYPE_MERGE, v.into_boxed_slice());
    }

    fn map_put(
        &mut self,
        kg: usize,
        key: u32,
        state: usize,
        user_key: MapKey,
        stamp: Option<i64>,
        bytes: u32,
    ) {
        let Some(r) = self.0.as_mut() else { return };
        // The null flag, then the (TTL-wrapped) value.
        let mut v = Vec::with_capacity(bytes as usize + 9);
        v.push(0);
        if let Some(s) = stamp {
            v.extend_from_slice(&s.to_be_bytes());
        }
        v.extend_from_slice(&r.now.max(0).to_be_bytes()[8usize.saturating_sub(bytes as usize)..]);
        v.resize(1 + stamp.map_or(0, |_| 8) + bytes as usize, 0);
        r.state_op(
            kg,
            key,
            state,
            Some(user_key),
            TYPE_VALUE,
            v.into_boxed_slice(),
        );
    }

    fn bucket_put(&mut self, kg: usize, key: u32, state: usize, ts: i64, bytes: &[u32]) {
        let Some(r) = self.0.as_mut() else { return };
        // The null flag, the list's size, then per BufferEntry its
        // hasBeenJoined flag and the record.
        let mut v = Vec::with_capacity(5 + bytes.iter().map(|&b| b as usize + 1).sum::<usize>());
        v.push(0);
        v.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
        for &b in bytes {
            v.push(0);
            r.record(key, None, ts, b, &mut v);
        }
        r.state_op(
            kg,
            key,
            state,
            Some(MapKey::Long(ts)),
            TYPE_VALUE,
            v.into_boxed_slice(),
        );
    }

    fn state_delete(&mut self, kg: usize, key: u32, state: usize, user_key: Option<MapKey>) {
        let Some(r) = self.0.as_mut() else { return };
        r.state_op(kg, key, state, user_key, TYPE_DELETION, Box::from(&b""[..]));
    }
}
