//! Occupancy: how many distinct keys a window of `n` records holds in each
//! key group, in expectation. Keys are grouped into buckets of near-equal
//! probability (one bucket for uniform keys, geometric rank buckets for
//! zipf), and the keys of each bucket are counted per key group once, so a
//! question costs `buckets × key groups`, not `keys`.

use super::KeySpace;
use crate::scenario::{KeyDistribution, Scenario};

/// Keys grouped in buckets of near-equal probability, counted per key group.
pub struct Occupancy {
    kgs: usize,
    /// Per bucket: `ln(1 - p)` of its mean key probability `p`.
    ln_q: Vec<f64>,
    /// `counts[b * kgs + g]`: keys of bucket `b` in key group `g`.
    counts: Vec<u32>,
    /// Share of records hitting each key group.
    share: Vec<f64>,
}

impl Occupancy {
    /// From the scenario's key distribution and the key space.
    pub fn new(s: &Scenario, keys: &KeySpace, kgs: usize) -> Self {
        let k = keys.len().max(1) as u64;
        let zipf = match s.source.key_distribution {
            // Mirrors the generator: an invalid zipf falls back to uniform.
            KeyDistribution::Zipf(e) if rand_distr::Zipf::new(k as f64, e).is_ok() => Some(e),
            _ => None,
        };
        // Bucket edges as ranks: [edges[b], edges[b+1]).
        let edges: Vec<u64> = match zipf {
            None => vec![1, k + 1],
            Some(_) => {
                let mut e = vec![1u64];
                let mut x = 1.0f64;
                while *e.last().unwrap() <= k {
                    x *= 1.02;
                    let next = (x.ceil() as u64).max(e.last().unwrap() + 1).min(k + 1);
                    e.push(next);
                }
                e
            }
        };
        let buckets = edges.len() - 1;
        let mut counts = vec![0u32; buckets * kgs];
        for b in 0..buckets {
            let row = &mut counts[b * kgs..(b + 1) * kgs];
            for &g in &keys.key_group[(edges[b] - 1) as usize..(edges[b + 1] - 1) as usize] {
                row[g as usize] += 1;
            }
        }
        // Mean probability per bucket.
        let mass: Vec<f64> = match zipf {
            None => vec![1.0],
            Some(s) => (0..buckets)
                .map(|b| power_sum(edges[b], edges[b + 1] - 1, s))
                .collect(),
        };
        let total: f64 = mass.iter().sum();
        let mut ln_q = Vec::with_capacity(buckets);
        let mut share = vec![0.0; kgs];
        for b in 0..buckets {
            let width = (edges[b + 1] - edges[b]) as f64;
            let p = mass[b] / total / width;
            ln_q.push((-p).ln_1p());
            for g in 0..kgs {
                share[g] += counts[b * kgs + g] as f64 * p;
            }
        }
        Occupancy {
            kgs,
            ln_q,
            counts,
            share,
        }
    }

    /// Expected distinct keys per key group among `n` records.
    pub fn distinct(&self, n: f64, out: &mut [f64]) {
        out.fill(0.0);
        if n <= 0.0 {
            return;
        }
        for (b, lq) in self.ln_q.iter().enumerate() {
            let f = -(n * lq).exp_m1();
            let row = &self.counts[b * self.kgs..(b + 1) * self.kgs];
            for (o, &c) in out.iter_mut().zip(row) {
                *o += c as f64 * f;
            }
        }
    }

    /// Per key group: expected distinct keys, the variance of that count
    /// and its covariance with the records (Poisson arrivals per key).
    pub fn moments(&self, n: f64) -> Moments {
        let mut m = Moments {
            mean: vec![0.0; self.kgs],
            var_hit: vec![0.0; self.kgs],
            cov: vec![0.0; self.kgs],
        };
        if n <= 0.0 {
            return m;
        }
        for (b, lq) in self.ln_q.iter().enumerate() {
            let miss = (n * lq).exp();
            let f = 1.0 - miss;
            let lambda = -n * lq;
            let (vf, cf) = (f * miss, lambda * miss);
            let row = &self.counts[b * self.kgs..(b + 1) * self.kgs];
            for (g, &c) in row.iter().enumerate() {
                let c = c as f64;
                m.mean[g] += c * f;
                m.var_hit[g] += c * vf;
                m.cov[g] += c * cf;
            }
        }
        m
    }

    /// Share of records hitting key group `g`.
    pub fn share(&self, g: usize) -> f64 {
        self.share[g]
    }
}

/// Occupancy moments per key group (see [`Occupancy::moments`]).
pub struct Moments {
    /// Expected distinct keys.
    pub mean: Vec<f64>,
    /// Variance of the distinct keys.
    pub var_hit: Vec<f64>,
    /// Covariance of distinct keys and records.
    pub cov: Vec<f64>,
}

/// `sum_{k=a}^{b} k^-s`: exact for short ranges, Euler–Maclaurin otherwise.
fn power_sum(a: u64, b: u64, s: f64) -> f64 {
    if b < a {
        return 0.0;
    }
    if b - a < 64 || a < 16 {
        return (a..=b).map(|k| (k as f64).powf(-s)).sum();
    }
    let (af, bf) = (a as f64, b as f64);
    let integral = if (s - 1.0).abs() < 1e-12 {
        (bf / af).ln()
    } else {
        (bf.powf(1.0 - s) - af.powf(1.0 - s)) / (1.0 - s)
    };
    integral
        + (af.powf(-s) + bf.powf(-s)) / 2.0
        + s / 12.0 * (af.powf(-s - 1.0) - bf.powf(-s - 1.0))
}

#[cfg(test)]
mod tests {
    use super::power_sum;

    #[test]
    fn power_sums_match_the_direct_sum() {
        for s in [0.5, 1.0, 1.2] {
            let direct: f64 = (100..=5000u64).map(|k| (k as f64).powf(-s)).sum();
            let approx = power_sum(100, 5000, s);
            assert!(
                (direct - approx).abs() / direct < 1e-9,
                "{s}: {direct} {approx}"
            );
        }
    }
}
