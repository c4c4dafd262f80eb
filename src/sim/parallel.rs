//! One operator over several threads: the key groups are split into
//! partitions, each simulated by its own engine on its own thread, and the
//! partitions' snapshots are summed key group by key group.
//!
//! Key groups are independent once the time line is known: a key's state
//! depends only on its own records, the watermark and processing time, and
//! those follow from the whole stream. So every partition reads every record
//! (this thread produces the batches once and hands each partition the same
//! shared batch), keeps the clocks, watermarks and barriers as the whole
//! operator would, and plays only the records of its own key groups. Aligned
//! windows share their extents across keys: a partition still opens the
//! window extents of the records it skips ([`Operator::foreign_record`]), so live and
//! purged window counts agree with a single engine's. The result is the
//! same, byte for byte, as the single-threaded run.

use super::timeline::{Head, TimeSink, Timeline};
use super::{CHUNK, Operator, OperatorSpec, OperatorUser, RunStats, Snapshot};
use crate::workload::{Batch, Input, KeySpace};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, channel, sync_channel};

/// No partition: a key group that no thread simulates (sampling).
pub const NOBODY: u8 = u8::MAX;

/// Batches each partition may have queued ahead of it.
const DEPTH: usize = 8;

/// Splits key groups into `parts` partitions of near-equal `weight` (for
/// example, each key group's expected share of the records): heaviest key
/// group first, each to the lightest partition so far. Returns each key
/// group's partition.
pub fn partition(weight: &[f64], parts: usize) -> Vec<u8> {
    let parts = parts.clamp(1, NOBODY as usize);
    let mut order: Vec<usize> = (0..weight.len()).collect();
    order.sort_by(|&a, &b| weight[b].total_cmp(&weight[a]).then(a.cmp(&b)));
    let mut load = vec![0.0f64; parts];
    let mut owner = vec![0u8; weight.len()];
    for kg in order {
        let p = (0..parts)
            .min_by(|&a, &b| load[a].total_cmp(&load[b]).then(a.cmp(&b)))
            .unwrap_or(0);
        load[p] += weight[kg].max(0.0);
        owner[kg] = p as u8;
    }
    owner
}

/// Plays `input` through one window operator with one thread per partition
/// of `owner` (each key group's partition, `0..parts`, or [`NOBODY`]), this
/// thread producing the batches. Snapshots reach `on_checkpoint` in order,
/// summed over the partitions (key groups of nobody stay zero).
#[allow(clippy::too_many_arguments)]
pub fn simulate_partitioned(
    spec: &OperatorSpec,
    keys: &KeySpace,
    total_records: u64,
    mut input: Input,
    owner: &[u8],
    on_checkpoint: &mut dyn FnMut(&Snapshot),
    progress: &dyn Fn(u64),
) -> RunStats {
    let parts = owner
        .iter()
        .filter(|&&o| o != NOBODY)
        .map(|&o| o as usize + 1)
        .max()
        .unwrap_or(0)
        .max(1);
    super::with_operator(
        spec,
        keys,
        super::writes::NoWrites,
        Partitioned {
            spec,
            keys,
            total: total_records,
            input: &mut input,
            owner,
            parts,
            on_checkpoint,
            progress,
        },
    )
}

struct Partitioned<'a> {
    spec: &'a OperatorSpec,
    keys: &'a KeySpace,
    total: u64,
    input: &'a mut Input,
    owner: &'a [u8],
    parts: usize,
    on_checkpoint: &'a mut dyn FnMut(&Snapshot),
    progress: &'a dyn Fn(u64),
}

/// A change of time, in the order the operator sees it, placed before the
/// record at index `at` of its batch (`at == len`: after the last).
#[derive(Debug, Clone, Copy)]
enum TimeEvent {
    /// Timers fire up to `time`; elements after this see `watermark`.
    Advance { at: u32, time: i64, watermark: i64 },
    /// A checkpoint barrier.
    Barrier { at: u32, head: Head },
}

impl TimeEvent {
    fn at(&self) -> u32 {
        match self {
            TimeEvent::Advance { at, .. } | TimeEvent::Barrier { at, .. } => *at,
        }
    }
}

/// A batch as the partitions receive it: the records with their key groups
/// (and, in processing time, their processing time as `ts`), each
/// partition's records, and the time line.
#[derive(Default)]
struct Routed {
    batch: Batch,
    own: Vec<Vec<u32>>,
    events: Vec<TimeEvent>,
}

/// Replays a routed stream into one partition's engine.
fn play<E: Operator>(
    engine: &mut E,
    me: usize,
    kgs: usize,
    rx: Receiver<Arc<Routed>>,
    out: &std::sync::mpsc::Sender<Snapshot>,
) -> RunStats {
    let mut stats = RunStats::default();
    let mut watermark = i64::MIN;
    let mut keys_buf = [0u32; CHUNK];
    let apply =
        |ev: &TimeEvent, engine: &mut E, watermark: &mut i64, stats: &mut RunStats| match *ev {
            TimeEvent::Advance {
                time, watermark: w, ..
            } => {
                *watermark = w;
                engine.advance(time, stats);
            }
            TimeEvent::Barrier { head, .. } => {
                let mut snap = Snapshot::default();
                snap.start(kgs, &head);
                engine.snapshot(head.watermark, &mut snap, stats);
                // The receiver outlives every partition.
                let _ = out.send(snap);
            }
        };
    for routed in rx {
        let b = &routed.batch;
        let events = &routed.events;
        let mut e = 0;
        for chunk in routed.own[me].chunks(CHUNK) {
            for (k, &i) in keys_buf.iter_mut().zip(chunk) {
                *k = b.keys[i as usize];
            }
            engine.prefetch(&keys_buf[..chunk.len()]);
            for &i in chunk {
                while e < events.len() && events[e].at() <= i {
                    apply(&events[e], engine, &mut watermark, &mut stats);
                    e += 1;
                }
                let i = i as usize;
                engine.element(
                    b.keys[i],
                    b.kgs[i] as usize,
                    b.ts[i],
                    b.bytes[i] as u64,
                    b.sub.get(i).copied().unwrap_or(crate::workload::NO_SUB_KEY),
                    watermark,
                    &mut stats,
                );
            }
        }
        for ev in &events[e..] {
            apply(ev, engine, &mut watermark, &mut stats);
        }
    }
    stats
}

/// This thread's side of the time line: writes each batch's events for the
/// partitions, and keeps the window extents shared by all keys in an
/// engine that holds no key (`tracker`).
struct Producer<T> {
    /// Index in the batch before which the next event falls.
    at: u32,
    events: Vec<TimeEvent>,
    tracker: Option<T>,
    kgs: usize,
    scratch: Snapshot,
    stats: RunStats,
    /// Live window extents at each checkpoint, from the tracker.
    live_windows: BTreeMap<u64, u64>,
}

impl<T: Operator> TimeSink for Producer<T> {
    fn advance(&mut self, time: i64, watermark: i64) {
        self.events.push(TimeEvent::Advance {
            at: self.at,
            time,
            watermark,
        });
        if let Some(t) = self.tracker.as_mut() {
            t.advance(time, &mut self.stats);
        }
    }
    fn barrier(&mut self, head: &Head) {
        self.events.push(TimeEvent::Barrier {
            at: self.at,
            head: *head,
        });
        if let Some(t) = self.tracker.as_mut() {
            self.scratch.start(self.kgs, head);
            t.snapshot(head.watermark, &mut self.scratch, &mut self.stats);
            self.live_windows
                .insert(head.checkpoint, self.scratch.live_windows);
        }
    }
}

impl<T: Operator> Producer<T> {
    /// Plays one batch's clocks: sets each record's time (`ts` becomes the
    /// processing time in processing time) and writes the time line into
    /// `events`.
    fn batch(&mut self, line: &mut Timeline, b: &mut Batch, events: &mut Vec<TimeEvent>) {
        std::mem::swap(&mut self.events, events);
        for i in 0..b.len() {
            self.at = i as u32;
            let ts = line.record_time(b.ts[i], self);
            b.ts[i] = ts;
            if let Some(t) = self.tracker.as_mut() {
                t.foreign_record(ts, line.watermark());
            }
            self.at = i as u32 + 1;
            line.record_done(self);
        }
        std::mem::swap(&mut self.events, events);
    }

    /// The barriers due before any record, into `events`.
    fn start(&mut self, line: &mut Timeline, events: &mut Vec<TimeEvent>) {
        std::mem::swap(&mut self.events, events);
        self.at = 0;
        line.start(self);
        std::mem::swap(&mut self.events, events);
    }
}

impl OperatorUser for Partitioned<'_> {
    fn run<E: Operator + Send, M: Fn() -> E + Sync>(self, make: M) -> RunStats {
        let Partitioned {
            spec,
            keys,
            total,
            input,
            owner,
            parts,
            on_checkpoint,
            progress,
        } = self;
        let shared = E::SHARED_EXTENTS;
        let kgs = spec.max_parallelism as usize;
        let mut line = Timeline::new(spec, total);
        let mut producer = Producer {
            at: 0,
            events: Vec::new(),
            tracker: shared.then(&make),
            kgs,
            scratch: Snapshot::default(),
            stats: RunStats::default(),
            live_windows: BTreeMap::new(),
        };
        std::thread::scope(|scope| {
            let (snap_tx, snap_rx) = channel::<Snapshot>();
            let mut feeds: Vec<SyncSender<Arc<Routed>>> = Vec::with_capacity(parts);
            let mut workers = Vec::with_capacity(parts);
            for me in 0..parts {
                let (tx, rx) = sync_channel::<Arc<Routed>>(DEPTH);
                feeds.push(tx);
                let snap_tx = snap_tx.clone();
                let make = &make;
                workers.push(scope.spawn(move || {
                    let mut engine = make();
                    play(&mut engine, me, kgs, rx, &snap_tx)
                }));
            }
            drop(snap_tx);

            let mut merge = Merge {
                parts,
                shared,
                pending: BTreeMap::new(),
            };
            // Batches go out shared; one that every partition is done with
            // (only `pool` holds it) is filled again.
            let mut pool: Vec<Arc<Routed>> = Vec::new();
            let mut first = true;
            'produce: loop {
                let free = pool.iter().position(|r| Arc::strong_count(r) == 1);
                let mut routed = match free {
                    Some(i) => pool.swap_remove(i),
                    None => Arc::new(Routed {
                        batch: Batch::new(),
                        own: vec![Vec::new(); parts],
                        events: Vec::new(),
                    }),
                };
                let Some(r) = Arc::get_mut(&mut routed) else {
                    unreachable!("a batch held only by the pool is not shared")
                };
                r.events.clear();
                if first {
                    producer.start(&mut line, &mut r.events);
                    first = false;
                }
                let n = input.fill(&mut r.batch);
                if n == 0 && r.events.is_empty() {
                    break;
                }
                r.batch.look_up_key_groups(&keys.key_group);
                route(&r.batch.kgs, owner, &mut r.own);
                producer.batch(&mut line, &mut r.batch, &mut r.events);
                for tx in &feeds {
                    if tx.send(routed.clone()).is_err() {
                        // A partition stopped early (it panicked): joining
                        // below reports it.
                        break 'produce;
                    }
                }
                pool.push(routed);
                if n == 0 {
                    break;
                }
                progress(line.count());
                while let Ok(snap) = snap_rx.try_recv() {
                    merge.add(snap, &producer.live_windows, on_checkpoint);
                }
            }
            drop(feeds);
            for snap in snap_rx {
                merge.add(snap, &producer.live_windows, on_checkpoint);
            }
            let mut stats = RunStats {
                records: line.count(),
                ..RunStats::default()
            };
            for w in workers {
                let s = match w.join() {
                    Ok(s) => s,
                    Err(panic) => std::panic::resume_unwind(panic),
                };
                stats.dropped_late += s.dropped_late;
                stats.windows_purged += s.windows_purged;
            }
            if shared {
                stats.windows_purged = producer.stats.windows_purged;
            }
            stats
        })
    }
}

/// Each partition's records of a batch (indices in the batch), written
/// without a branch on the owner.
fn route(kgs: &[u16], owner: &[u8], own: &mut [Vec<u32>]) {
    let n = kgs.len();
    let mut len = [0usize; NOBODY as usize + 1];
    for o in own.iter_mut() {
        o.clear();
        o.resize(n, 0);
    }
    for (i, &g) in kgs.iter().enumerate() {
        let p = owner[g as usize] as usize;
        if let Some(o) = own.get_mut(p) {
            o[len[p]] = i as u32;
            len[p] += 1;
        }
    }
    for (p, o) in own.iter_mut().enumerate() {
        o.truncate(len[p]);
    }
}

/// Sums the partitions' snapshots of each checkpoint and hands each
/// complete one on, in checkpoint order.
struct Merge {
    parts: usize,
    shared: bool,
    pending: BTreeMap<u64, (usize, Snapshot)>,
}

impl Merge {
    fn add(
        &mut self,
        snap: Snapshot,
        live_windows: &BTreeMap<u64, u64>,
        on_checkpoint: &mut dyn FnMut(&Snapshot),
    ) {
        match self.pending.entry(snap.checkpoint) {
            std::collections::btree_map::Entry::Vacant(v) => {
                v.insert((1, snap));
            }
            std::collections::btree_map::Entry::Occupied(mut o) => {
                let (n, acc) = o.get_mut();
                *n += 1;
                acc.add(&snap);
            }
        }
        while let Some(e) = self.pending.first_entry() {
            if e.get().0 < self.parts {
                break;
            }
            let (_, mut snap) = e.remove();
            // Aligned extents are the whole stream's, from the time line.
            if self.shared {
                snap.live_windows = live_windows.get(&snap.checkpoint).copied().unwrap_or(0);
            }
            on_checkpoint(&snap);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_balance_weight_and_cover_every_key_group() {
        let w = [5.0, 1.0, 1.0, 1.0, 1.0, 1.0, 4.0];
        let owner = partition(&w, 2);
        let mut load = [0.0; 2];
        for (kg, &o) in owner.iter().enumerate() {
            load[o as usize] += w[kg];
        }
        assert_eq!(load, [7.0, 7.0]);
        assert_eq!(partition(&w, 1), vec![0; 7]);
    }
}
