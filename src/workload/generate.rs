//! Generated input: keys, timestamps and sizes drawn from the scenario's
//! seed with named, portable generators (PCG-64 MCG), one stream per
//! quantity so that changing the jitter does not change the keys.

use super::{BATCH, Batch, Clock, KeyMap};
use crate::scenario::{KeyDistribution, Scenario, SizeDistribution};
use rand::{Rng, RngExt, SeedableRng};
use rand_distr::{Distribution, LogNormal, Normal, Zipf};
use rand_pcg::Pcg64Mcg;
use std::sync::Arc;
use strength_reduce::StrengthReducedU64;

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
    /// Record `next`'s processing time, stepped without a division.
    tick: Option<Tick>,
    jitter: u64,
    /// `jitter + 1`, for a modulo without a division instruction.
    jitter_span: StrengthReducedU64,
    key_rng: Pcg64Mcg,
    jitter_rng: Pcg64Mcg,
    size_rng: Pcg64Mcg,
    keys: KeyDraw,
    sizes: SizeDraw,
    /// Drawn key → dense id, when only the touched keys are held.
    touched: Option<Arc<KeyMap>>,
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
            tick: Tick::new(src.events_per_second),
            jitter: src.jitter_ms,
            jitter_span: StrengthReducedU64::new(src.jitter_ms.saturating_add(1).max(1)),
            key_rng: Pcg64Mcg::seed_from_u64(s.seed ^ KEY_STREAM),
            jitter_rng: Pcg64Mcg::seed_from_u64(s.seed ^ JITTER_STREAM),
            size_rng: Pcg64Mcg::seed_from_u64(s.seed ^ SIZE_STREAM),
            keys,
            sizes,
            touched: None,
        }
    }

    /// Emits the dense ids of `map` (keys drawn ahead by
    /// [`KeyMap::draw`]) instead of the declared ids, when given.
    pub(super) fn with_touched(mut self, map: Option<Arc<KeyMap>>) -> Self {
        self.touched = map;
        self
    }

    /// Draws the keys of the next `n` records only (the key stream, as
    /// [`Generator::fill`] draws it) into `f`, as declared ids.
    pub(super) fn draw_keys(&mut self, n: u64, mut f: impl FnMut(u64)) {
        for _ in 0..n {
            f(self.draw_key());
        }
    }

    #[inline(always)]
    fn draw_key(&mut self) -> u64 {
        match &self.keys {
            KeyDraw::Uniform(k) => self.key_rng.random_range(0..*k),
            KeyDraw::Zipf(z) => (z.sample(&mut self.key_rng) as u64).max(1) - 1,
        }
    }

    pub(super) fn fill(&mut self, b: &mut Batch) -> usize {
        b.clear();
        // One branch per batch: each loop is monomorphized, the declared
        // one as it always was.
        match self.touched.take() {
            None => self.fill_with(b, |k| k as u32),
            Some(map) => {
                let n = self.fill_with(b, |k| map.get(k));
                self.touched = Some(map);
                n
            }
        }
    }

    #[inline(always)]
    fn fill_with(&mut self, b: &mut Batch, dense: impl Fn(u64) -> u32) -> usize {
        let n = (self.end - self.next).min(BATCH as u64) as usize;
        for _ in 0..n {
            let key = self.draw_key();
            let mut ts = match self.tick.as_mut() {
                Some(t) => t.next(),
                None => self.clock.at(self.next),
            };
            if self.jitter > 0 {
                ts -= (self.jitter_rng.next_u64() % self.jitter_span) as i64;
            }
            let bytes = match &self.sizes {
                SizeDraw::Fixed(b) => *b,
                SizeDraw::Uniform(lo, hi) => self.size_rng.random_range(*lo..=*hi),
                SizeDraw::Normal(d, lo, hi) => clamp(d.sample(&mut self.size_rng), *lo, *hi),
                SizeDraw::LogNormal(d, lo, hi) => clamp(d.sample(&mut self.size_rng), *lo, *hi),
            };
            b.keys.push(dense(key));
            b.ts.push(ts);
            b.bytes.push(bytes);
            self.next += 1;
        }
        n
    }
}

/// `Clock::at(i)` for `i = 0, 1, 2, ...` at an integer rate `e`:
/// `i * 1000 = t * e + acc`, stepped by `1000 = q * e + r`.
struct Tick {
    e: u64,
    q: i64,
    r: u64,
    t: i64,
    acc: u64,
}

impl Tick {
    fn new(events_per_second: f64) -> Option<Tick> {
        let e = (events_per_second.fract() == 0.0 && events_per_second >= 1.0)
            .then_some(events_per_second as u64)?;
        Some(Tick {
            e,
            q: (1000 / e) as i64,
            r: 1000 % e,
            t: 0,
            acc: 0,
        })
    }

    /// The time of the current record; steps to the next.
    #[inline(always)]
    fn next(&mut self) -> i64 {
        let now = self.t;
        self.t += self.q;
        self.acc += self.r;
        if self.acc >= self.e {
            self.acc -= self.e;
            self.t += 1;
        }
        now
    }
}

fn clamp(v: f64, lo: u32, hi: u32) -> u32 {
    v.round().clamp(lo as f64, hi as f64) as u32
}

/// The generated input of a two-input job: each side's own generator (its
/// rate, keys, record sizes and seed), merged by event time as one source
/// task emits them (ties: the first side first), `records` in all. Each
/// record's side is its `sub` (0 or 1).
pub struct Merged {
    sides: [Generator; 2],
    bufs: [Batch; 2],
    pos: [usize; 2],
    left: u64,
}

impl Merged {
    /// The merged records of `s`'s two `[[source]]`s.
    pub fn new(s: &Scenario) -> Self {
        let side = |i: usize| {
            let mut one = s.clone();
            let sd = &s.sides[i];
            one.seed = sd.seed;
            one.source.events_per_second = sd.events_per_second;
            one.source.keys = sd.keys;
            one.source.key_distribution = sd.key_distribution;
            one.source.record_bytes = sd.record_bytes;
            Generator::new(&one)
        };
        Merged {
            sides: [side(0), side(1)],
            bufs: [Batch::new(), Batch::new()],
            pos: [0, 0],
            left: s.source.records,
        }
    }

    /// Fills `b` with the next merged records (their side in `b.sub`).
    pub(super) fn fill(&mut self, b: &mut Batch) -> usize {
        let mut n = 0;
        while n < BATCH && self.left > 0 {
            for i in 0..2 {
                if self.pos[i] == self.bufs[i].len() {
                    self.pos[i] = 0;
                    self.sides[i].fill(&mut self.bufs[i]);
                }
            }
            let live = |i: usize| self.pos[i] < self.bufs[i].len();
            let i = match (live(0), live(1)) {
                (false, false) => break,
                (true, false) => 0,
                (false, true) => 1,
                (true, true) => {
                    (self.bufs[1].ts[self.pos[1]] < self.bufs[0].ts[self.pos[0]]) as usize
                }
            };
            let (src, at) = (&self.bufs[i], self.pos[i]);
            b.keys.push(src.keys[at]);
            b.ts.push(src.ts[at]);
            b.bytes.push(src.bytes[at]);
            b.sub.push(i as u32);
            self.pos[i] += 1;
            self.left -= 1;
            n += 1;
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_equal_the_clock() {
        for eps in [1.0, 3.0, 7.0, 999.0, 1000.0, 1001.0, 100_000.0, 123_457.0] {
            let clock = Clock::new(eps);
            let mut tick = Tick::new(eps).unwrap();
            for i in 0..20_000u64 {
                assert_eq!(tick.next(), clock.at(i), "eps {eps}, record {i}");
            }
        }
        assert!(Tick::new(2.5).is_none());
    }

    /// Two inputs are merged by event time (ties: the first input first),
    /// `records` in all, each in the share of its rate, each key drawn
    /// from its own key count.
    #[test]
    fn two_inputs_merge_by_event_time() {
        let text = "name = \"m\"\nflink_version = \"1.20\"\nseed = 1\n[input]\nrecords = 5000\n\
                    [[source]]\nname = \"a\"\nstream = \"L\"\nevents_per_second = 1000\nkeys = 100\n\
                    record_bytes = 117\nseed = 42\n[[source]]\nname = \"b\"\nstream = \"R\"\n\
                    events_per_second = 250\nkeys = 10\nrecord_bytes = 57\nseed = 43\n\
                    [job]\nparallelism = 2\n[[operator]]\nname = \"j\"\nkind = \"join\"\n\
                    [checkpoints]\nevery_records = 1000\n";
        let s = Scenario::parse(text, std::path::Path::new("m.toml")).unwrap();
        let mut m = Merged::new(&s);
        let mut b = Batch::new();
        let (mut n, mut last, mut right) = (0u64, (i64::MIN, 0u32), 0u64);
        loop {
            let k = m.fill(&mut b);
            if k == 0 {
                break;
            }
            for i in 0..k {
                let side = b.sub[i];
                assert!(
                    (b.ts[i], side) >= last,
                    "record {n}: not in event-time order"
                );
                last = (b.ts[i], side);
                let (keys, bytes) = if side == 0 { (100, 117) } else { (10, 57) };
                assert!(b.keys[i] < keys);
                assert_eq!(b.bytes[i], bytes);
                right += side as u64;
                n += 1;
            }
            b.clear();
        }
        assert_eq!(n, 5000);
        // 250 of every 1250 records per second are the second input's.
        assert_eq!(right, 1000);
    }
}
