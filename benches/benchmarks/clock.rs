//! What the benchmarks time: by default the benchmark thread's CPU time
//! (`CLOCK_THREAD_CPUTIME_ID` on 64-bit Linux, wall time elsewhere), so
//! that events per second read as "per core" and hold when other processes
//! share the machine (wall time also counts the time the thread waits for
//! a core). `STATECAP_BENCH_CLOCK=wall` times wall-clock instead. Both in
//! nanoseconds, formatted as criterion formats its own wall time.

use criterion::Throughput;
use criterion::measurement::{Measurement, ValueFormatter};
use std::time::Instant;

/// Thread CPU time, or wall time.
pub struct Clock {
    wall: bool,
    origin: Instant,
}

impl Clock {
    /// From `STATECAP_BENCH_CLOCK` (`cpu`, the default, or `wall`).
    pub fn from_env() -> Self {
        let wall = match std::env::var("STATECAP_BENCH_CLOCK").as_deref() {
            Ok("wall") => true,
            Ok("cpu") | Err(_) => false,
            Ok(other) => panic!("STATECAP_BENCH_CLOCK={other}: expected cpu or wall"),
        };
        Clock {
            wall,
            origin: Instant::now(),
        }
    }

    fn now_ns(&self) -> u64 {
        if self.wall {
            return self.origin.elapsed().as_nanos() as u64;
        }
        thread_cpu_ns().unwrap_or_else(|| self.origin.elapsed().as_nanos() as u64)
    }
}

/// `clock_gettime(CLOCK_THREAD_CPUTIME_ID)` from the C library std links
/// (declared here rather than adding a dependency for one call).
#[cfg(all(target_os = "linux", target_pointer_width = "64"))]
fn thread_cpu_ns() -> Option<u64> {
    #[repr(C)]
    struct Timespec {
        tv_sec: i64,
        tv_nsec: i64,
    }
    const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
    unsafe extern "C" {
        fn clock_gettime(clock: i32, ts: *mut Timespec) -> i32;
    }
    let mut ts = Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime only writes the timespec it is given, whose
    // layout is the 64-bit Linux `struct timespec`.
    let rc = unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    (rc == 0).then(|| ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64)
}

/// Elsewhere: wall time.
#[cfg(not(all(target_os = "linux", target_pointer_width = "64")))]
fn thread_cpu_ns() -> Option<u64> {
    None
}

impl Measurement for Clock {
    type Intermediate = u64;
    type Value = u64;

    fn start(&self) -> u64 {
        self.now_ns()
    }
    fn end(&self, start: u64) -> u64 {
        self.now_ns().saturating_sub(start)
    }
    fn add(&self, a: &u64, b: &u64) -> u64 {
        a + b
    }
    fn zero(&self) -> u64 {
        0
    }
    fn to_f64(&self, v: &u64) -> f64 {
        *v as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        &Nanos
    }
}

/// Nanoseconds, scaled as criterion scales wall time.
struct Nanos;

impl ValueFormatter for Nanos {
    fn scale_values(&self, ns: f64, values: &mut [f64]) -> &'static str {
        let (factor, unit) = if ns < 1e3 {
            (1.0, "ns")
        } else if ns < 1e6 {
            (1e-3, "µs")
        } else if ns < 1e9 {
            (1e-6, "ms")
        } else {
            (1e-9, "s")
        };
        values.iter_mut().for_each(|v| *v *= factor);
        unit
    }

    fn scale_throughputs(
        &self,
        ns: f64,
        throughput: &Throughput,
        values: &mut [f64],
    ) -> &'static str {
        let per_iteration = match *throughput {
            Throughput::Elements(n) | Throughput::ElementsAndBytes { elements: n, .. } => n,
            Throughput::Bytes(n) | Throughput::BytesDecimal(n) => n,
            Throughput::Bits(n) => n,
        } as f64;
        let typical = per_iteration * 1e9 / ns;
        let (divisor, unit) = if typical < 1e3 {
            (1.0, " elem/s")
        } else if typical < 1e6 {
            (1e3, "Kelem/s")
        } else if typical < 1e9 {
            (1e6, "Melem/s")
        } else {
            (1e9, "Gelem/s")
        };
        values
            .iter_mut()
            .for_each(|v| *v = per_iteration * 1e9 / *v / divisor);
        unit
    }

    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        "ns"
    }
}
