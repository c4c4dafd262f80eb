//! The event loop (`statecap::sim::simulate`): every window kind × window
//! function over 10^4 and 10^6 keys (and 10^7 for tumbling windows),
//! uniform and zipf keys, replayed from memory with a checkpoint every
//! 10^6 records. Throughput: records per second.

use super::{Clock, config, generate_trace, power_of_ten, scenario, simulate};
use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group};
use statecap::sim::OperatorSpec;
use std::cell::OnceCell;
use std::hint::black_box;

const WINDOWS: [&str; 3] = ["tumbling", "sliding", "session"];
const FUNCTIONS: [&str; 3] = ["process", "aggregate", "reduce"];
const EVERY: u64 = 1_000_000;

fn event_loop(c: &mut Criterion<Clock>) {
    let mut group = c.benchmark_group("event_loop");
    group.sampling_mode(SamplingMode::Flat);
    let plans: [(u64, u64, &[&str]); 3] = [
        (10_000, 2_000_000, &WINDOWS),
        (1_000_000, 2_000_000, &WINDOWS),
        (10_000_000, 10_000_000, &["tumbling"]),
    ];
    for (keys, records, windows) in plans {
        for zipf in [false, true] {
            let dist = if zipf { "zipf" } else { "uniform" };
            // The input depends on the source only: one trace for all
            // windows, generated when a benchmark that matches the filter
            // first needs it.
            let trace = OnceCell::new();
            let source = scenario("tumbling", "process", keys, zipf, records, EVERY);
            group.throughput(Throughput::Elements(records));
            for window in windows {
                for function in FUNCTIONS {
                    let s = scenario(window, function, keys, zipf, records, EVERY);
                    let spec = OperatorSpec::new(&s, 0);
                    let id = BenchmarkId::new(
                        format!("{window}/{function}"),
                        format!("{}/{dist}", power_of_ten(keys)),
                    );
                    group.bench_function(id, |b| {
                        let trace = trace.get_or_init(|| generate_trace(&source));
                        b.iter(|| {
                            simulate(&spec, trace, &mut |snap| {
                                black_box(snap.kg_bytes[0]);
                            })
                        })
                    });
                }
            }
        }
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = config();
    targets = event_loop
}
