//! The analytic mode: the keyed state of tumbling and sliding windows in closed
//! form, for production sizes (10^8 keys, days of traffic) where playing
//! every record would take minutes.
//!
//! At every barrier the live windows follow from the clock alone: record
//! `i` has event time `floor(i * 1000 / eps)` (jitter is taken as its mean
//! shift, `jitter / 2`, and never makes a record late), the watermark is
//! `max_ts - out_of_orderness - 1`, an event-time window `[start, end)` is
//! live while `watermark < end - 1 + allowed_lateness`, a processing-time
//! one while `time < end`. A window that saw `n` records holds, in key group
//! `g`, `E_g(n) = sum_{k in g} 1 - (1 - p_k)^n` entries in expectation
//! (occupancy), with `p_k = 1/K` (uniform) or `k^-s / H(K, s)` (zipf, key 0
//! the most frequent). Keys are grouped into buckets of near-equal `p_k`
//! (one bucket for uniform keys, geometric rank buckets for zipf), and the
//! number of keys of each bucket in each key group is counted once from the
//! key space, so a barrier costs `buckets × key groups`, not `keys`.
//!
//! The expected contents are written into the same [`Snapshot`] the exact
//! simulator fills, so backends, storage limits and reports are unchanged.
//! Session windows, traces and anything else not listed are exact only.

use crate::flink::serializer::{TIME_WINDOW_BYTES, timer_bytes};
use crate::scenario::{Assigner, Scenario, TimeCharacteristic, WindowFunction};
use crate::sim::timeline::{Head, TimeSink, Timeline};
use crate::sim::{OperatorSpec, RunStats, Snapshot};
use crate::workload::generated_key_bytes;
use crate::workload::occupancy::{Moments, Occupancy};
use std::collections::HashMap;

/// Plays one operator in closed form: the expected snapshots at the same
/// barriers as the exact simulator's; `progress` hears of every record at
/// the end.
/// `occ` is the occupancy of the scenario's key distribution over its key
/// groups (see [`crate::workload::Workload::occupancy`]).
pub fn simulate(
    s: &Scenario,
    spec: &OperatorSpec,
    occ: &Occupancy,
    total_records: u64,
    on_checkpoint: &mut dyn FnMut(&Snapshot),
    progress: &dyn Fn(u64),
) -> RunStats {
    let stats = analytic(s, spec, occ, total_records, on_checkpoint);
    progress(total_records);
    stats
}

/// The largest subtask of a real run is the largest of `P` noisy values,
/// which is more than the largest expectation. Gives the subtask with the
/// largest expected bytes the expected maximum over all subtasks (Gaussian
/// order statistic of the per-subtask means and variances), spread over its
/// key groups in proportion to their bytes.
fn expected_max_bump(layout: &crate::flink::KeyGroupLayout, bytes: &mut [f64], var: &[f64]) {
    let p = layout.parallelism;
    if p < 2 {
        return;
    }
    let stats: Vec<(f64, f64, u32, u32)> = (0..p)
        .map(|i| {
            let (s, e) = layout.range_of(i);
            let r = s as usize..=e as usize;
            let mu: f64 = bytes[r.clone()].iter().sum();
            let v: f64 = var[r].iter().sum();
            (mu, v.max(0.0).sqrt(), s, e)
        })
        .collect();
    let (_, &(mu_top, _, s, e)) = stats
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.0.total_cmp(&b.1.0).then(b.0.cmp(&a.0)))
        .unwrap();
    let sigma_max = stats.iter().map(|x| x.1).fold(0.0, f64::max);
    if sigma_max <= 0.0 || mu_top <= 0.0 {
        return;
    }
    let lo = mu_top - 6.0 * sigma_max;
    let hi = stats
        .iter()
        .map(|x| x.0 + 8.0 * x.1)
        .fold(f64::MIN, f64::max);
    let near: Vec<(f64, f64)> = stats
        .iter()
        .filter(|x| x.0 + 8.0 * x.1 > lo && x.1 > 0.0)
        .map(|x| (x.0, x.1))
        .collect();
    let steps = 400;
    let h = (hi - lo) / steps as f64;
    let mut integral = 0.0;
    for k in 0..steps {
        let x = lo + (k as f64 + 0.5) * h;
        let cdf: f64 = near.iter().map(|&(m, sd)| phi((x - m) / sd)).product();
        integral += (1.0 - cdf) * h;
    }
    let bump = lo + integral - mu_top;
    if bump > 0.0 {
        for b in &mut bytes[s as usize..=e as usize] {
            *b += bump * *b / mu_top;
        }
    }
}

/// Standard normal CDF (Abramowitz–Stegun 7.1.26, |error| < 1.5e-7).
fn phi(z: f64) -> f64 {
    let x = z.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * x);
    let poly = t
        * (0.254_829_592
            + t * (-0.284_496_736
                + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let erfc = poly * (-x * x).exp();
    if z >= 0.0 {
        1.0 - erfc / 2.0
    } else {
        erfc / 2.0
    }
}

/// The analytic run of one operator.
fn analytic(
    s: &Scenario,
    spec: &OperatorSpec,
    occ: &Occupancy,
    total: u64,
    on_checkpoint: &mut dyn FnMut(&Snapshot),
) -> RunStats {
    let op = &spec.op;
    let kgs = spec.max_parallelism as usize;
    let processing = op.time == TimeCharacteristic::Processing;
    let lateness = if processing {
        0
    } else {
        op.allowed_lateness_ms
    };
    let (size, slide, offset) = match op.assigner {
        Assigner::Tumbling { size_ms, offset_ms } => (size_ms, size_ms, offset_ms),
        Assigner::Sliding {
            size_ms,
            slide_ms,
            offset_ms,
        } => (size_ms, slide_ms, offset_ms),
        Assigner::Session { .. } => unreachable!("session windows are exact only"),
    };
    let clock = spec.clock;
    let jitter = if processing {
        0
    } else {
        s.source.jitter_ms as i64
    };
    let shift = jitter / 2;
    let mean_bytes = s.source.record_bytes.mean();
    let key_bytes = generated_key_bytes(s.source.key_type).get(0);
    let tb = timer_bytes(key_bytes) as f64;
    // Bytes of an entry besides its elements, and per element.
    let (entry_fixed, per_element) = match op.function {
        WindowFunction::Process | WindowFunction::Apply => (4.0, mean_bytes),
        WindowFunction::Aggregate { accumulator_bytes } => (accumulator_bytes as f64, 0.0),
        WindowFunction::Reduce => (mean_bytes, 0.0),
    };
    let entry_fixed = entry_fixed + (TIME_WINDOW_BYTES + key_bytes) as f64;
    let last_start = |ts: i64| ts - (ts - offset + slide).rem_euclid(slide);
    // Records among the first `count` whose (mean-shifted) time is < t.
    let before = |t: i64, count: u64| -> u64 { clock.records_before(t + shift).min(count) };
    let first_start = last_start(-jitter) - (size - slide);

    let layout = s.layout();
    let mut snap = Snapshot::default();
    let mut stats = RunStats::default();
    let mut purged_upto = first_start; // next window start not yet purged
    let mut purged_entries = vec![0.0f64; kgs];
    let mut purged_bytes = vec![0.0f64; kgs];
    let mut e = vec![0.0f64; kgs];
    // The barriers on the operator's time line, jumped to one after another.
    let mut line = Timeline::new(spec, total);
    let mut due = Heads(Vec::new());
    line.start(&mut due);
    let mut taken = 0;
    loop {
        let Some(&head) = due.0.get(taken) else {
            due.0.clear();
            taken = 0;
            let Some(count) = line.next_barrier() else {
                break;
            };
            line.jump(count, clock.at(count.saturating_sub(1)), &mut due);
            continue;
        };
        taken += 1;
        let count = head.records;
        snap.start(kgs, &head);
        let max_ts = clock.at(count.saturating_sub(1));
        // Windows whose cleanup is at or before `limit` are purged.
        let limit = if processing {
            head.time_ms - 1
        } else {
            head.watermark
        };
        let cleanup = |end: i64| (end - 1).saturating_add(lateness);
        // Purge the windows that expired since the last barrier.
        let mut newly: HashMap<u64, u64> = HashMap::new();
        while cleanup(purged_upto + size) <= limit {
            let n = before(purged_upto + size, count) - before(purged_upto, count);
            if n > 0 {
                *newly.entry(n).or_default() += 1;
                stats.windows_purged += 1;
            }
            purged_upto += slide;
        }
        for (&n, &times) in &newly {
            occ.distinct(n as f64, &mut e);
            for g in 0..kgs {
                let entries = e[g] * times as f64;
                purged_entries[g] += entries;
                purged_bytes[g] += entries * (entry_fixed + tb)
                    + per_element * n as f64 * occ.share(g) * times as f64;
            }
        }
        // Live windows: from the oldest unpurged to the newest with records.
        let newest = last_start(max_ts);
        let mut cache: HashMap<u64, Moments> = HashMap::new();
        let mut live = 0u64;
        let mut union_lo: Option<i64> = None;
        let mut union_hi = i64::MIN;
        let mut start = purged_upto;
        let mut bytes = vec![0.0f64; kgs];
        let mut entries = vec![0.0f64; kgs];
        let mut timers = vec![0.0f64; kgs];
        let mut var = vec![0.0f64; kgs];
        while count > 0 && start <= newest {
            let end = start + size;
            let n = before(end, count) - before(start, count);
            if n > 0 {
                live += 1;
                union_lo.get_or_insert(start);
                union_hi = union_hi.max(end);
                let t_mult = if !processing && lateness > 0 && limit < end - 1 {
                    2.0
                } else {
                    1.0
                };
                let m = cache.entry(n).or_insert_with(|| occ.moments(n as f64));
                let a = entry_fixed + t_mult * tb;
                let b = per_element;
                for g in 0..kgs {
                    let lambda = n as f64 * occ.share(g);
                    entries[g] += m.mean[g];
                    timers[g] += t_mult * m.mean[g];
                    bytes[g] += m.mean[g] * a + b * lambda;
                    var[g] += a * a * m.var_hit[g] + b * b * lambda + 2.0 * a * b * m.cov[g];
                }
            }
            start += slide;
        }
        snap.live_windows = live;
        expected_max_bump(&layout, &mut bytes, &var);
        if let Some(lo) = union_lo {
            let n = before(union_hi, count) - before(lo, count);
            occ.distinct(n as f64, &mut e);
        } else {
            e.fill(0.0);
        }
        for g in 0..kgs {
            snap.kg_bytes[g] = bytes[g].round() as u64;
            snap.kg_entries[g] = entries[g].round() as u64;
            snap.kg_timers[g] = timers[g].round() as u64;
            snap.kg_live_keys[g] = e[g].round() as u64;
            snap.kg_records[g] = (count as f64 * occ.share(g)).round() as u64;
            snap.kg_purged_entries[g] = purged_entries[g].round() as u64;
            snap.kg_purged_bytes[g] = purged_bytes[g].round() as u64;
        }
        on_checkpoint(&snap);
    }
    stats.records = total;
    stats
}

/// The barriers of a jump, in order (the analytic mode computes the state
/// itself from the barrier's time and watermark).
struct Heads(Vec<Head>);

impl TimeSink for Heads {
    fn advance(&mut self, _time: i64, _watermark: i64) {}
    fn barrier(&mut self, head: &Head) {
        self.0.push(*head);
    }
}
