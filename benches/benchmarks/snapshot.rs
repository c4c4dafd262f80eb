//! Snapshot accounting at a checkpoint. `heap_subtasks`: the heap model's
//! per-subtask rows from one `Snapshot` (throughput: key groups per
//! second). `checkpoints`: the same tumbling run with few and with many
//! checkpoints, each turned into subtask rows as `simulate_scenario` does
//! (throughput: records per second; the gap is the cost of checkpoints).

use super::{Clock, config, generate_trace, scenario, simulate};
use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group};
use statecap::backend::HeapModel;
use statecap::flink::KeyGroupLayout;
use statecap::sim::{self, OperatorSpec, Snapshot};
use std::cell::OnceCell;
use std::hint::black_box;

fn snapshot_of(key_groups: usize) -> Snapshot {
    // Deterministic, uneven contents.
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % 100_000
    };
    let mut snap = Snapshot {
        checkpoint: 1,
        records: 1_000_000,
        time_ms: 10_000,
        watermark_ms: Some(9_899),
        live_windows: 1,
        ..Snapshot::default()
    };
    for _ in 0..key_groups {
        let entries = next();
        snap.kg_entries.push(entries);
        snap.kg_timers.push(entries);
        snap.kg_live_keys.push(entries);
        snap.kg_bytes.push(entries * 160);
    }
    snap
}

fn heap_subtasks(c: &mut Criterion<Clock>) {
    let mut group = c.benchmark_group("snapshot/heap_subtasks");
    for (parallelism, key_groups) in [(4u32, 128u32), (128, 32768)] {
        let snap = snapshot_of(key_groups as usize);
        let heap = HeapModel::new(
            KeyGroupLayout::new(parallelism, key_groups),
            statecap::flink::serializer::ValueLayout::List,
            false,
        );
        group.throughput(Throughput::Elements(key_groups as u64));
        let id = BenchmarkId::new(format!("p{parallelism}"), format!("kg{key_groups}"));
        group.bench_with_input(id, &snap, |b, snap| {
            b.iter(|| heap.subtasks(black_box(snap)))
        });
    }
    group.finish();
}

fn checkpoints(c: &mut Criterion<Clock>) {
    let mut group = c.benchmark_group("snapshot/checkpoints");
    group.sampling_mode(SamplingMode::Flat);
    const KEYS: u64 = 1_000_000;
    const RECORDS: u64 = 2_000_000;
    let trace = OnceCell::new();
    let source = scenario("tumbling", "process", KEYS, false, RECORDS, RECORDS);
    group.throughput(Throughput::Elements(RECORDS));
    for every in [1_000_000u64, 10_000] {
        let s = scenario("tumbling", "process", KEYS, false, RECORDS, every);
        let spec = OperatorSpec::new(&s, 0);
        let heap = HeapModel::new(
            KeyGroupLayout::new(s.parallelism, s.max_parallelism),
            sim::value_layout(&s.operators[0]),
            false,
        );
        let id = BenchmarkId::new(
            "tumbling/process/1e6/uniform",
            format!("{}ckpt", RECORDS / every),
        );
        group.bench_function(id, |b| {
            let trace = trace.get_or_init(|| generate_trace(&source));
            b.iter(|| {
                simulate(&spec, trace, &mut |snap| {
                    black_box(heap.subtasks(snap));
                })
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = config();
    targets = heap_subtasks, checkpoints
}
