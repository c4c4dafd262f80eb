//! Generated input: keys, timestamps and sizes drawn from the scenario's
//! seed with named, portable generators (PCG-64 MCG), one stream per
//! quantity so that changing the jitter does not change the keys.

use super::{BATCH, Batch, Clock};
use crate::scenario::{KeyDistribution, Scenario, SizeDistribution};
use rand::{Rng, RngExt, SeedableRng};
use rand_distr::{Distribution, LogNormal, Normal, Zipf};
use rand_pcg::Pcg64Mcg;

const KEY_STREAM: u64 = 0x9E37_79B9_7F4A_7C15;
const JITTER_STREAM: u64 = 0x6A09_E667_F3BC_C909;
const SIZE_STREAM: u64 = 0x3C6E_F372_FE94_F82B;

enum KeyDraw {
    Uniform(u64),
    Zipf(Zipf<f64>),
}

enum SizeDraw {
    Fixed(u32),
    Uniform(u32, u32),
    Normal(Normal<f64>, u32, u32),
    LogNormal(LogNormal<f64>, u32, u32),
}

/// Plays a scenario's generated records.
pub struct Generator {
    next: u64,
    end: u64,
    clock: Clock,
    jitter: u64,
    key_rng: Pcg64Mcg,
    jitter_rng: Pcg64Mcg,
    size_rng: Pcg64Mcg,
    keys: KeyDraw,
    sizes: SizeDraw,
}

impl Generator {
    /// Starts at record 0.
    pub fn new(s: &Scenario) -> Self {
        let src = &s.source;
        let keys = match src.key_distribution {
            KeyDistribution::Uniform => KeyDraw::Uniform(src.keys),
            KeyDistribution::Zipf(e) => match Zipf::new(src.keys as f64, e) {
                Ok(z) => KeyDraw::Zipf(z),
                Err(_) => KeyDraw::Uniform(src.keys),
            },
        };
        let sizes = match src.record_bytes {
            SizeDistribution::Fixed(b) => SizeDraw::Fixed(b),
            SizeDistribution::Uniform { min, max } => SizeDraw::Uniform(min, max),
            SizeDistribution::Normal {
                mean,
                stddev,
                min,
                max,
            } => match Normal::new(mean, stddev.max(0.0)) {
                Ok(n) => SizeDraw::Normal(n, min, max),
                Err(_) => SizeDraw::Fixed(mean as u32),
            },
            SizeDistribution::LogNormal {
                mean,
                stddev,
                min,
                max,
            } => {
                // Parameters of the underlying normal from the mean and sd.
                let cv = stddev.max(0.0) / mean;
                match LogNormal::from_mean_cv(mean, cv) {
                    Ok(n) => SizeDraw::LogNormal(n, min, max),
                    Err(_) => SizeDraw::Fixed(mean as u32),
                }
            }
        };
        Generator {
            next: 0,
            end: src.records,
            clock: Clock::new(src.events_per_second),
            jitter: src.jitter_ms,
            key_rng: Pcg64Mcg::seed_from_u64(s.seed ^ KEY_STREAM),
            jitter_rng: Pcg64Mcg::seed_from_u64(s.seed ^ JITTER_STREAM),
            size_rng: Pcg64Mcg::seed_from_u64(s.seed ^ SIZE_STREAM),
            keys,
            sizes,
        }
    }

    pub(super) fn fill(&mut self, b: &mut Batch) -> usize {
        let n = (self.end - self.next).min(BATCH as u64) as usize;
        for _ in 0..n {
            let key = match &self.keys {
                KeyDraw::Uniform(k) => self.key_rng.random_range(0..*k),
                KeyDraw::Zipf(z) => (z.sample(&mut self.key_rng) as u64).max(1) - 1,
            };
            let mut ts = self.clock.at(self.next);
            if self.jitter > 0 {
                ts -= (self.jitter_rng.next_u64() % (self.jitter + 1)) as i64;
            }
            let bytes = match &self.sizes {
                SizeDraw::Fixed(b) => *b,
                SizeDraw::Uniform(lo, hi) => self.size_rng.random_range(*lo..=*hi),
                SizeDraw::Normal(d, lo, hi) => clamp(d.sample(&mut self.size_rng), *lo, *hi),
                SizeDraw::LogNormal(d, lo, hi) => clamp(d.sample(&mut self.size_rng), *lo, *hi),
            };
            b.keys.push(key as u32);
            b.ts.push(ts);
            b.bytes.push(bytes);
            self.next += 1;
        }
        n
    }
}

fn clamp(v: f64, lo: u32, hi: u32) -> u32 {
    v.round().clamp(lo as f64, hi as f64) as u32
}
