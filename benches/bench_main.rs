//! statecap's benchmarks, one module per topic under `benchmarks/`. Every
//! benchmark declares a `Throughput::Elements`, so criterion reports events
//! (records, keys, key groups, trace lines) per second.
//!
//! ```text
//! cargo bench --bench bench_main                      # everything, a few minutes
//! cargo bench --bench bench_main -- event_loop/tumbling
//! benches/report.sh                                  # runs it and prints one table
//! ```

use criterion::criterion_main;

mod benchmarks;

criterion_main! {
    benchmarks::event_loop::benches,
    benchmarks::key_groups::benches,
    benchmarks::parallel::benches,
    benchmarks::rocksdb::benches,
    benchmarks::snapshot::benches,
    benchmarks::trace::benches,
}
