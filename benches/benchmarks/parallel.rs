//! One operator over 1, 2 and (where the machine has them) more threads:
//! `sim::simulate` against `sim::simulate_partitioned` with the key groups
//! split as `statecap run` splits them, replaying the same trace from
//! memory. Throughput: records per second. The ratio between the rows of
//! one scenario is the speed-up; it needs the cores free (criterion runs
//! one benchmark at a time).

use super::{Clock, config, generate_trace, scenario, simulate};
use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group};
use statecap::sim::{self, OperatorSpec};
use statecap::workload::Input;
use std::hint::black_box;

fn parallel(c: &mut Criterion<Clock>) {
    let mut group = c.benchmark_group("parallel");
    group.sampling_mode(SamplingMode::Flat);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let plans: [(&str, &str, u64); 3] = [
        ("tumbling", "aggregate", 4_000_000),
        ("tumbling", "process", 4_000_000),
        ("session", "process", 4_000_000),
    ];
    for (window, function, records) in plans {
        let s = scenario(window, function, 1_000_000, false, records, 1_000_000);
        let spec = OperatorSpec::new(&s, 0);
        let trace = generate_trace(&s);
        group.throughput(Throughput::Elements(records));
        let name = format!("{window}/{function}/1e6/uniform");
        group.bench_function(BenchmarkId::new(name.clone(), "1thread"), |b| {
            b.iter(|| {
                simulate(&spec, &trace, &mut |snap| {
                    black_box(snap.kg_bytes[0]);
                })
            })
        });
        let mut threads = vec![2];
        if cores > 2 {
            threads.push(cores);
        }
        for t in threads {
            // Uniform keys: partitions by key count, as `run` does by share.
            let mut weight = vec![0.0; s.max_parallelism as usize];
            for &g in &trace.key_space.key_group {
                weight[g as usize] += 1.0;
            }
            let owner = sim::partition(&weight, t);
            group.bench_function(BenchmarkId::new(name.clone(), format!("{t}threads")), |b| {
                b.iter(|| {
                    sim::simulate_partitioned(
                        &spec,
                        &trace.key_space,
                        trace.keys.len() as u64,
                        Input::from_trace(trace.clone()),
                        &owner,
                        &mut |snap| {
                            black_box(snap.kg_bytes[0]);
                        },
                        &|_| {},
                    )
                })
            });
        }
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = config();
    targets = parallel
}
