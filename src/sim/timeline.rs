//! The operator's time line, produced in one place for every engine: when
//! checkpoint barriers fall, when the watermark advances, when processing
//! time moves on, and what each barrier's snapshot says besides the state.
//!
//! The one-thread engine ([`super::simulate`]) hears it directly, the
//! partitioned engine ([`super::parallel`]) writes it into each batch for the
//! partitions to replay, and the analytic mode ([`super::analytic`]) jumps
//! from barrier to barrier on it; so the rules below exist once:
//! - the watermark is `max_ts - out_of_orderness - 1`
//!   (`BoundedOutOfOrdernessWatermarks`), emitted after every
//!   `watermark_every` records and before every barrier;
//! - a record at processing time `t` first fires the timers before `t`;
//! - barriers fall after a number of records, or at multiples of the
//!   interval on the source's clock; events at one instant are ordered as
//!   Flink orders them on one input channel: a record, the watermark that
//!   follows it, then the barrier.

use super::OperatorSpec;
use crate::scenario::{CheckpointTrigger, TimeCharacteristic};
use crate::workload::Clock;

/// Barriers: record counts at which checkpoints are taken.
#[derive(Debug, Clone, Copy)]
pub struct Barriers {
    trigger: CheckpointTrigger,
    clock: Clock,
    total: u64,
    next_k: u64,
}

impl Barriers {
    /// Barriers of a scenario over `total` records.
    pub fn new(trigger: CheckpointTrigger, clock: Clock, total: u64) -> Self {
        Barriers {
            trigger,
            clock,
            total,
            next_k: 1,
        }
    }
    /// Number of checkpoints that fall within the records.
    pub fn checkpoints(&self) -> u64 {
        match self.trigger {
            CheckpointTrigger::EveryRecords(n) => self.total / n,
            CheckpointTrigger::Interval(ms) => {
                // Checkpoints whose time falls no later than the last record.
                let last = self.clock.at(self.total.saturating_sub(1));
                (last.max(0) as u64) / ms
            }
        }
    }
}

impl Iterator for Barriers {
    /// (checkpoint, records before it, its time on an interval trigger).
    type Item = (u64, u64, Option<i64>);
    fn next(&mut self) -> Option<Self::Item> {
        let k = self.next_k;
        let (n, t) = match self.trigger {
            CheckpointTrigger::EveryRecords(n) => (k.checked_mul(n)?, None),
            CheckpointTrigger::Interval(ms) => {
                let t = (k as i64).checked_mul(ms as i64)?;
                (self.clock.records_before(t), Some(t))
            }
        };
        if n > self.total || k > self.checkpoints() {
            return None;
        }
        self.next_k += 1;
        Some((k, n, t))
    }
}

/// What a barrier's snapshot says besides the state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    /// Checkpoint number, from 1.
    pub checkpoint: u64,
    /// Records before the barrier.
    pub records: u64,
    /// Event time (largest timestamp) or processing time at the barrier.
    pub time_ms: i64,
    /// The last watermark emitted, if any (event time).
    pub watermark_ms: Option<i64>,
    /// The watermark the operator holds (`i64::MIN` before the first).
    pub watermark: i64,
}

/// Hears the time line.
pub trait TimeSink {
    /// Timers fire up to `time`; elements after this see `watermark`.
    fn advance(&mut self, time: i64, watermark: i64);
    /// A checkpoint barrier.
    fn barrier(&mut self, head: &Head);
}

/// The clocks and barriers of one operator over the whole stream.
#[derive(Debug, Clone)]
pub struct Timeline {
    processing: bool,
    clock: Clock,
    ooo: i64,
    wm_every: u64,
    max_ts: i64,
    watermark: i64,
    /// The watermark the next emission carries (it changes only with
    /// `max_ts`).
    pending: i64,
    wm_emitted: bool,
    since_wm: u64,
    count: u64,
    last_advance: i64,
    barriers: Barriers,
    next: Option<(u64, u64, Option<i64>)>,
    /// Records before the next barrier (`u64::MAX`: none).
    next_at: u64,
}

impl Timeline {
    /// The time line of `spec`'s operator over `total` records.
    pub fn new(spec: &OperatorSpec, total: u64) -> Self {
        let mut barriers = Barriers::new(spec.trigger, spec.clock, total);
        let next = barriers.next();
        let ooo = spec.out_of_orderness_ms;
        Timeline {
            processing: spec.op.time == TimeCharacteristic::Processing,
            clock: spec.clock,
            ooo,
            wm_every: spec.watermark_every,
            max_ts: i64::MIN,
            watermark: i64::MIN,
            pending: pending_watermark(i64::MIN, ooo),
            wm_emitted: false,
            since_wm: 0,
            count: 0,
            last_advance: i64::MIN,
            barriers,
            next,
            next_at: next.map_or(u64::MAX, |b| b.1),
        }
    }

    /// Whether time is processing time.
    pub fn processing(&self) -> bool {
        self.processing
    }

    /// Records played so far.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The watermark elements see now.
    #[inline(always)]
    pub fn watermark(&self) -> i64 {
        self.watermark
    }

    /// The barriers due before any record.
    pub fn start(&mut self, sink: &mut impl TimeSink) {
        if self.next_at == 0 {
            self.checkpoints(sink);
        }
    }

    /// The time of the next record: its event time `ts`, or in processing
    /// time the clock's time of the record, once the timers before it fired.
    #[inline(always)]
    pub fn record_time(&mut self, ts: i64, sink: &mut impl TimeSink) -> i64 {
        let ts = if self.processing {
            let now = self.clock.at(self.count);
            self.advance(now - 1, sink);
            now
        } else {
            ts
        };
        if ts > self.max_ts {
            self.max_ts = ts;
            self.pending = pending_watermark(ts, self.ooo);
        }
        ts
    }

    /// After the record: the watermark it may emit and the barriers due.
    #[inline(always)]
    pub fn record_done(&mut self, sink: &mut impl TimeSink) {
        self.count += 1;
        if !self.processing {
            self.since_wm += 1;
            if self.since_wm == self.wm_every {
                self.since_wm = 0;
                self.wm_emitted = true;
                if self.pending > self.watermark {
                    self.watermark = self.pending;
                    self.advance(self.pending, sink);
                }
            }
        }
        if self.count == self.next_at {
            self.checkpoints(sink);
        }
    }

    /// The records before the next barrier, if one is due.
    pub fn next_barrier(&self) -> Option<u64> {
        self.next.map(|b| b.1)
    }

    /// Moves to `count` records, the largest timestamp among them being
    /// `max_ts`, without playing them (the analytic mode, whose records are
    /// in timestamp order), and takes the barriers due there.
    pub fn jump(&mut self, count: u64, max_ts: i64, sink: &mut impl TimeSink) {
        self.count = count;
        if count > 0 && max_ts > self.max_ts {
            self.max_ts = max_ts;
            self.pending = pending_watermark(max_ts, self.ooo);
        }
        if self.count == self.next_at {
            self.checkpoints(sink);
        }
    }

    #[inline(always)]
    fn advance(&mut self, time: i64, sink: &mut impl TimeSink) {
        if time > self.last_advance {
            self.last_advance = time;
            sink.advance(time, self.watermark);
        }
    }

    /// The barriers due after `count` records.
    #[inline(never)]
    fn checkpoints(&mut self, sink: &mut impl TimeSink) {
        while let Some((k, n, t)) = self.next {
            if n != self.count {
                break;
            }
            // The watermark that follows the phase's last record.
            if !self.processing && self.count > 0 {
                if self.pending > self.watermark {
                    self.watermark = self.pending;
                    self.advance(self.pending, sink);
                }
                self.wm_emitted = true;
            }
            let now = if self.processing {
                let now = t.unwrap_or_else(|| self.clock.at(self.count.saturating_sub(1)));
                self.advance(now - 1, sink);
                now
            } else {
                self.max_ts
            };
            sink.barrier(&Head {
                checkpoint: k,
                records: self.count,
                time_ms: if self.count == 0 && !self.processing {
                    0
                } else {
                    now
                },
                watermark_ms: (!self.processing && self.wm_emitted).then_some(self.watermark),
                watermark: self.watermark,
            });
            self.next = self.barriers.next();
        }
        self.next_at = self.next.map_or(u64::MAX, |b| b.1);
    }
}

/// `BoundedOutOfOrdernessWatermarks`: the watermark after the largest
/// timestamp `max_ts` (it starts at `Long.MIN_VALUE + ooo + 1`).
#[inline(always)]
fn pending_watermark(max_ts: i64, ooo: i64) -> i64 {
    max_ts.saturating_sub(ooo).saturating_sub(1)
}
