//! Sampled mode: every record is read, but only a sample of the key groups
//! is simulated (exactly, on the partition threads of `sim::parallel`); the
//! rest of each subtask is estimated from its sample.
//!
//! Each key group has a weight, what its state is expected to be
//! proportional to (its expected records, or distinct keys; see
//! `sampling_weights` in the crate root). Per subtask:
//! - the subtask with the largest weight is
//!   simulated in full, so the usual worst case is exact;
//! - in every other subtask, the heavy key groups (expected share at least
//!   weight at least twice the subtask's median, hot keys under skew) are
//!   simulated in full,
//!   and of the others every `stride`-th one, at least [`MIN_SAMPLED`];
//! - an unsampled key group gets the sampled ones' contents per unit of
//!   weight, times its own weight (a ratio estimator).
//!
//! The error of each estimated subtask total is the ratio estimator's
//! standard error, `sqrt((1 - n/N) N^2 / n * s_d^2)` with `d_i = b_i - R w_i`
//! over the `n` sampled of `N` estimated key groups; twice the largest
//! relative standard error seen is reported as the run's bound.

use crate::flink::KeyGroupLayout;
use crate::sim::Snapshot;
use crate::sim::parallel::NOBODY;

/// Fewest key groups sampled in an estimated subtask.
pub const MIN_SAMPLED: usize = 4;

/// Share of the light key groups simulated (one in `STRIDE`).
pub const STRIDE: usize = 4;

struct Stratum {
    /// Sampled light key groups.
    sampled: Vec<usize>,
    /// Estimated key groups.
    estimated: Vec<usize>,
}

/// Which key groups are simulated, and how the others are estimated.
pub struct Sampler {
    owner: Vec<u8>,
    weight: Vec<f64>,
    strata: Vec<Stratum>,
    layout: KeyGroupLayout,
    worst: f64,
}

impl Sampler {
    /// A sample for `weight` (what each key group's state is expected to
    /// be proportional to) laid out over `layout`'s subtasks.
    pub fn new(weight: Vec<f64>, layout: KeyGroupLayout) -> Sampler {
        let kgs = weight.len();
        let mut owner = vec![NOBODY; kgs];
        let mut strata = Vec::new();
        let subtask_weight = |s: u32| {
            let (lo, hi) = layout.range_of(s);
            (lo..=hi).map(|g| weight[g as usize]).sum::<f64>()
        };
        let full = (0..layout.parallelism)
            .max_by(|&a, &b| {
                subtask_weight(a)
                    .total_cmp(&subtask_weight(b))
                    .then(b.cmp(&a))
            })
            .unwrap_or(0);
        for s in 0..layout.parallelism {
            let (lo, hi) = layout.range_of(s);
            let range: Vec<usize> = (lo as usize..=hi as usize).filter(|&g| g < kgs).collect();
            if s == full || range.len() <= MIN_SAMPLED {
                for &g in &range {
                    owner[g] = 0;
                }
                continue;
            }
            let mut ws: Vec<f64> = range.iter().map(|&g| weight[g]).collect();
            ws.sort_by(f64::total_cmp);
            let median = ws[ws.len() / 2];
            let (heavy, light): (Vec<usize>, Vec<usize>) = range
                .iter()
                .partition(|&&g| median > 0.0 && weight[g] >= 2.0 * median);
            for &g in &heavy {
                owner[g] = 0;
            }
            let want = light
                .len()
                .div_ceil(STRIDE)
                .max(MIN_SAMPLED)
                .min(light.len());
            // Evenly spaced through the subtask's light key groups.
            let sampled: Vec<usize> = (0..want).map(|i| light[i * light.len() / want]).collect();
            for &g in &sampled {
                owner[g] = 0;
            }
            let estimated: Vec<usize> = light.iter().copied().filter(|g| owner[*g] != 0).collect();
            strata.push(Stratum { sampled, estimated });
        }
        Sampler {
            owner,
            weight,
            strata,
            layout,
            worst: 0.0,
        }
    }

    /// Each key group's partition: 0 when simulated, else `NOBODY`.
    pub fn owner(&self) -> &[u8] {
        &self.owner
    }

    /// Share of the records whose key groups are simulated.
    pub fn simulated_share(&self) -> f64 {
        let total: f64 = self.weight.iter().sum();
        let sim: f64 = self
            .owner
            .iter()
            .zip(&self.weight)
            .filter(|(o, _)| **o == 0)
            .map(|(_, w)| w)
            .sum();
        if total > 0.0 { sim / total } else { 1.0 }
    }

    /// Fills the estimated key groups of `snap` from the sampled ones, and
    /// folds the estimate's standard error into the run's bound.
    pub fn fill(&mut self, snap: &mut Snapshot) {
        for st in &self.strata {
            let w_s: f64 = st.sampled.iter().map(|&g| self.weight[g]).sum();
            for v in snap.counters_mut() {
                let b_s: f64 = st.sampled.iter().map(|&g| v[g] as f64).sum();
                let r = if w_s > 0.0 { b_s / w_s } else { 0.0 };
                for &g in &st.estimated {
                    v[g] = (r * self.weight[g]).round() as u64;
                }
            }
            // The error of the subtask's state bytes.
            let n = st.sampled.len() as f64;
            let big_n = st.estimated.len() as f64 + n;
            if n < 2.0 || w_s <= 0.0 {
                continue;
            }
            let r = st
                .sampled
                .iter()
                .map(|&g| snap.kg_bytes[g] as f64)
                .sum::<f64>()
                / w_s;
            let s2 = st
                .sampled
                .iter()
                .map(|&g| {
                    let d = snap.kg_bytes[g] as f64 - r * self.weight[g];
                    d * d
                })
                .sum::<f64>()
                / (n - 1.0);
            let var = (1.0 - n / big_n) * big_n * big_n / n * s2;
            let subtask = self.layout.subtask_of(st.sampled[0] as u32);
            let (lo, hi) = self.layout.range_of(subtask);
            let total: f64 = (lo..=hi).map(|g| snap.kg_bytes[g as usize] as f64).sum();
            if total > 0.0 {
                self.worst = self.worst.max(var.sqrt() / total);
            }
        }
    }

    /// Twice the largest relative standard error of an estimated subtask's
    /// state bytes over every checkpoint so far (about a 95% bound).
    pub fn error_bound(&self) -> f64 {
        2.0 * self.worst
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_heaviest_subtask_is_simulated_whole_and_every_other_is_sampled() {
        let layout = KeyGroupLayout::new(4, 128);
        let mut w = vec![1.0; 128];
        w[100] = 15.0; // subtask 3 is the heaviest
        w[5] = 10.0; // a hot key group in subtask 0
        let s = Sampler::new(w, layout.clone());
        for g in 96..128 {
            assert_eq!(s.owner()[g], 0, "kg {g} of the heaviest subtask");
        }
        assert_eq!(s.owner()[5], 0, "the hot key group");
        for sub in 0..3 {
            let (lo, hi) = layout.range_of(sub);
            let n = (lo..=hi).filter(|&g| s.owner()[g as usize] == 0).count();
            assert!(
                (MIN_SAMPLED..=10).contains(&n),
                "subtask {sub}: {n} sampled"
            );
        }
        let simulated = s.owner().iter().filter(|&&o| o == 0).count();
        assert!(simulated < 64, "{simulated} of 128 key groups simulated");
        assert!(s.simulated_share() < 0.6);
    }

    #[test]
    fn proportional_contents_are_estimated_exactly_with_no_error() {
        let layout = KeyGroupLayout::new(2, 64);
        let w: Vec<f64> = (0..64).map(|g| 1.0 + (g % 5) as f64).collect();
        let mut s = Sampler::new(w.clone(), layout);
        let truth: Vec<u64> = w.iter().map(|x| (x * 100.0) as u64).collect();
        let mut snap = Snapshot {
            kg_bytes: truth
                .iter()
                .enumerate()
                .map(|(g, &b)| if s.owner()[g] == 0 { b } else { 0 })
                .collect(),
            ..Snapshot::default()
        };
        for v in snap.counters_mut().into_iter().skip(1) {
            v.resize(64, 0);
        }
        s.fill(&mut snap);
        assert_eq!(snap.kg_bytes, truth);
        assert!(s.error_bound() < 1e-12);
    }
}
