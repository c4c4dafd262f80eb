//! Occupancy: how many distinct keys a window of `n` records holds in each
//! key group, in expectation. Keys are grouped into buckets of near-equal
//! probability (one bucket for uniform keys, geometric rank buckets for
//! zipf), and the keys of each bucket are counted per key group once, so a
//! question costs `buckets × key groups`, not `keys`.
//!
//! The keys' key groups are counted by hashing each key (no key table is
//! needed), up to [`hashed_keys`] of them (2^27 for long and int keys, 2^24
//! for string keys, about half a second); the keys ranked beyond, in a key
//! space of billions, are spread evenly over the key groups, which is what
//! Flink's murmur hash does to them in expectation.

use super::KeyHasher;
use crate::flink::key_group::key_group_of_hash;
use crate::scenario::{KeyDistribution, KeyType, Scenario};

/// Keys whose key groups are counted one by one, for `key_type`.
pub fn hashed_keys(key_type: KeyType) -> u64 {
    match key_type {
        KeyType::Long | KeyType::Int => 1 << 27,
        KeyType::String(_) => 1 << 24,
    }
}

/// Keys grouped in buckets of near-equal probability, counted per key group.
pub struct Occupancy {
    kgs: usize,
    /// Per bucket: `ln(1 - p)` of its mean key probability `p`.
    ln_q: Vec<f64>,
    /// Buckets `0..counted` are counted per key group; the others are
    /// spread evenly.
    counted: usize,
    /// `counts[b * kgs + g]`: keys of counted bucket `b` in key group `g`.
    counts: Vec<u32>,
    /// Per bucket from `counted` on: its keys per key group.
    spread: Vec<f64>,
    /// Share of records hitting each key group.
    share: Vec<f64>,
}

impl Occupancy {
    /// From the scenario's key distribution over its declared keys.
    pub fn new(s: &Scenario, kgs: usize) -> Self {
        let k = s.source.keys.max(1);
        let zipf = match s.source.key_distribution {
            // Mirrors the generator: an invalid zipf falls back to uniform.
            KeyDistribution::Zipf(e) if rand_distr::Zipf::new(k as f64, e).is_ok() => Some(e),
            _ => None,
        };
        let hashed = hashed_keys(s.source.key_type).min(k);
        // Bucket edges as ranks: [edges[b], edges[b+1]); one edge after the
        // last hashed key.
        let mut edges: Vec<u64> = match zipf {
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
        if hashed < k
            && let Err(at) = edges.binary_search(&(hashed + 1))
        {
            edges.insert(at, hashed + 1);
        }
        let buckets = edges.len() - 1;
        // Bucket `b` is counted when its last rank, `edges[b + 1] - 1`, is
        // hashed.
        let counted = edges.partition_point(|&e| e <= hashed + 1) - 1;
        let mut counts = vec![0u32; counted * kgs];
        let hasher = KeyHasher::new(s.source.key_type);
        let mp = s.max_parallelism;
        for b in 0..counted {
            let row = &mut counts[b * kgs..(b + 1) * kgs];
            for id in edges[b] - 1..edges[b + 1] - 1 {
                row[key_group_of_hash(hasher.hash(id), mp) as usize] += 1;
            }
        }
        let spread: Vec<f64> = (counted..buckets)
            .map(|b| (edges[b + 1] - edges[b]) as f64 / kgs as f64)
            .collect();
        // Mean probability per bucket.
        let mass: Vec<f64> = match zipf {
            None => edges
                .windows(2)
                .map(|w| (w[1] - w[0]) as f64 / k as f64)
                .collect(),
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
            if b < counted {
                for g in 0..kgs {
                    share[g] += counts[b * kgs + g] as f64 * p;
                }
            } else {
                let c = spread[b - counted] * p;
                for sh in share.iter_mut() {
                    *sh += c;
                }
            }
        }
        Occupancy {
            kgs,
            ln_q,
            counted,
            counts,
            spread,
            share,
        }
    }

    /// Bytes an occupancy of `keys` keys of `key_type` over `kgs` key
    /// groups holds (at most; zipf keys fall in about 960 counted buckets).
    pub fn bytes(s: &Scenario, kgs: usize) -> u64 {
        let buckets = match s.source.key_distribution {
            KeyDistribution::Uniform => 1,
            KeyDistribution::Zipf(_) => {
                let counted = hashed_keys(s.source.key_type).min(s.source.keys.max(1));
                ((counted as f64).ln() / 1.02f64.ln()).ceil() as u64 + 2
            }
        };
        buckets * kgs as u64 * 4 + kgs as u64 * 8 * 4
    }

    /// Key groups times counted buckets: what one question costs.
    pub fn cells(&self) -> usize {
        self.counts.len() + self.spread.len()
    }

    /// Expected distinct keys per key group among `n` records.
    pub fn distinct(&self, n: f64, out: &mut [f64]) {
        out.fill(0.0);
        if n <= 0.0 {
            return;
        }
        let mut even = 0.0;
        for (b, lq) in self.ln_q.iter().enumerate() {
            let f = -(n * lq).exp_m1();
            if b >= self.counted {
                even += self.spread[b - self.counted] * f;
                continue;
            }
            let row = &self.counts[b * self.kgs..(b + 1) * self.kgs];
            for (o, &c) in out.iter_mut().zip(row) {
                *o += c as f64 * f;
            }
        }
        if even != 0.0 {
            for o in out.iter_mut() {
                *o += even;
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
        let mut even = (0.0, 0.0, 0.0);
        for (b, lq) in self.ln_q.iter().enumerate() {
            let miss = (n * lq).exp();
            let f = 1.0 - miss;
            let lambda = -n * lq;
            let (vf, cf) = (f * miss, lambda * miss);
            if b >= self.counted {
                let c = self.spread[b - self.counted];
                even.0 += c * f;
                even.1 += c * vf;
                even.2 += c * cf;
                continue;
            }
            let row = &self.counts[b * self.kgs..(b + 1) * self.kgs];
            for (g, &c) in row.iter().enumerate() {
                let c = c as f64;
                m.mean[g] += c * f;
                m.var_hit[g] += c * vf;
                m.cov[g] += c * cf;
            }
        }
        if even != (0.0, 0.0, 0.0) {
            for g in 0..self.kgs {
                m.mean[g] += even.0;
                m.var_hit[g] += even.1;
                m.cov[g] += even.2;
            }
        }
        m
    }

    /// Share of records hitting key group `g`.
    pub fn share(&self, g: usize) -> f64 {
        self.share[g]
    }
}

/// The key distribution of generated input in geometric rank buckets
/// (ratio 1.02; one bucket for uniform keys), without key groups:
/// `(keys in the bucket, probability of each)`, hottest first.
fn rank_buckets(s: &Scenario) -> Vec<(f64, f64)> {
    let k = s.source.keys.max(1);
    let zipf = match s.source.key_distribution {
        KeyDistribution::Zipf(e) if rand_distr::Zipf::new(k as f64, e).is_ok() => e,
        _ => return vec![(k as f64, 1.0 / k as f64)],
    };
    let mut edges = vec![1u64];
    let mut x = 1.0f64;
    while *edges.last().unwrap() <= k {
        x *= 1.02;
        let next = (x.ceil() as u64).max(edges.last().unwrap() + 1).min(k + 1);
        edges.push(next);
    }
    let total = power_sum(1, k, zipf);
    edges
        .windows(2)
        .map(|w| {
            let width = (w[1] - w[0]) as f64;
            (width, power_sum(w[0], w[1] - 1, zipf) / total / width)
        })
        .collect()
}

/// Expected distinct keys among `n` records of generated input (over all
/// key groups).
pub fn expected_distinct(s: &Scenario, n: f64) -> f64 {
    if n <= 0.0 {
        return 0.0;
    }
    rank_buckets(s)
        .iter()
        .map(|&(c, p)| c * -(n * (-p).ln_1p()).exp_m1())
        .sum()
}

/// The fewest keys that draw `share` of the records (the hot set): all of
/// them for uniform keys.
pub fn hot_keys(s: &Scenario, share: f64) -> f64 {
    let mut mass = 0.0;
    let mut keys = 0.0;
    for (c, p) in rank_buckets(s) {
        if mass + c * p >= share {
            return keys + ((share - mass) / p).ceil().max(1.0);
        }
        mass += c * p;
        keys += c;
    }
    keys
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
    if b - a < 64 {
        return (a..=b).map(|k| (k as f64).powf(-s)).sum();
    }
    if a < 16 {
        // The head directly, the tail in closed form.
        return power_sum(a, 63, s) + power_sum(64, b, s);
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
    use super::*;

    #[test]
    fn every_key_is_counted_in_its_key_group_up_to_the_hashed_keys() {
        for (keys, dist) in [
            (1000u64, ""),
            (50_000, "key_distribution = \"zipf\"\nzipf_exponent = 1.1\n"),
        ] {
            let text = format!(
                "name = \"d\"\nflink_version = \"1.20\"\nseed = 1\n[source]\nrecords = 10\n\
                 events_per_second = 10\nkeys = {keys}\n{dist}key_type = \"string\"\n\
                 key_length = 8\nrecord_bytes = 10\n[job]\nparallelism = 1\n[[operator]]\n\
                 name = \"w\"\nkind = \"window\"\nassigner = \"tumbling\"\nsize_ms = 1000\n\
                 function = \"process\"\n[checkpoints]\nevery_records = 5\n"
            );
            let s = Scenario::parse(&text, std::path::Path::new("d.toml")).unwrap();
            let kgs = s.max_parallelism as usize;
            let occ = Occupancy::new(&s, kgs);
            assert_eq!(occ.counted, occ.ln_q.len(), "every bucket counted");
            let table = super::super::KeySpace::generated(keys, s.source.key_type, kgs as u32);
            let mut per_kg = vec![0u32; kgs];
            for &g in &table.key_group {
                per_kg[g as usize] += 1;
            }
            let counted: Vec<u32> = (0..kgs)
                .map(|g| (0..occ.counted).map(|b| occ.counts[b * kgs + g]).sum())
                .collect();
            assert_eq!(counted, per_kg);
        }
    }

    #[test]
    fn distinct_and_hot_keys_of_a_distribution() {
        let text = |dist: &str| {
            format!(
                "name = \"d\"\nflink_version = \"1.20\"\nseed = 1\n[source]\nrecords = 10\n\
                 events_per_second = 10\nkeys = 1000000\n{dist}record_bytes = 10\n[job]\n\
                 parallelism = 1\n[[operator]]\nname = \"w\"\nkind = \"window\"\n\
                 assigner = \"tumbling\"\nsize_ms = 1000\nfunction = \"process\"\n\
                 [checkpoints]\nevery_records = 5\n"
            )
        };
        let parse = |t: &str| Scenario::parse(t, std::path::Path::new("d.toml")).unwrap();
        let uniform = parse(&text(""));
        let d = expected_distinct(&uniform, 1e6);
        assert!(
            (d / (1e6 * (1.0 - (-1.0f64).exp())) - 1.0).abs() < 1e-6,
            "{d}"
        );
        assert!((hot_keys(&uniform, 0.9) - 900_000.0).abs() <= 1.0);
        let zipf = parse(&text("key_distribution = \"zipf\"\nzipf_exponent = 1.2\n"));
        assert!(expected_distinct(&zipf, 1e6) < 0.5 * d);
        let hot = hot_keys(&zipf, 0.9);
        assert!(hot > 100.0 && hot < 200_000.0, "{hot}");
    }

    #[test]
    fn power_sums_match_the_direct_sum() {
        for s in [0.5, 1.0, 1.2] {
            let direct: f64 = (100..=5000u64).map(|k| (k as f64).powf(-s)).sum();
            let approx = power_sum(100, 5000, s);
            assert!(
                (direct - approx).abs() / direct < 1e-9,
                "{s}: {direct} {approx}"
            );
            let direct: f64 = (1..=5000u64).map(|k| (k as f64).powf(-s)).sum();
            let approx = power_sum(1, 5000, s);
            assert!((direct - approx).abs() / direct < 1e-9);
        }
    }
}
