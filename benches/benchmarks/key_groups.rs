//! Key → key group (`statecap::flink::key_group`), per key, for each key
//! type, and the whole generated key space. Throughput: keys per second.

use super::{Clock, config, power_of_ten};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group};
use statecap::flink::key_group::{int_hash, key_group_of_hash, long_hash, string_hash};
use statecap::scenario::KeyType;
use statecap::workload::{KeySpace, generated_string_key};
use std::hint::black_box;

const KEYS: u64 = 1_000_000;
const MAX_PARALLELISM: u32 = 128;

fn key_groups(c: &mut Criterion<Clock>) {
    let mut group = c.benchmark_group("key_groups");
    group.throughput(Throughput::Elements(KEYS));
    let n = power_of_ten(KEYS);
    group.bench_function(BenchmarkId::new("long", &n), |b| {
        b.iter(|| {
            let mut acc = 0u32;
            for i in 0..black_box(KEYS) {
                acc = acc.wrapping_add(key_group_of_hash(long_hash(i as i64), MAX_PARALLELISM));
            }
            acc
        })
    });
    group.bench_function(BenchmarkId::new("int", &n), |b| {
        b.iter(|| {
            let mut acc = 0u32;
            for i in 0..black_box(KEYS) {
                acc = acc.wrapping_add(key_group_of_hash(int_hash(i as i32), MAX_PARALLELISM));
            }
            acc
        })
    });
    let strings: Vec<String> = (0..KEYS).map(|i| generated_string_key(i, 12)).collect();
    group.bench_function(BenchmarkId::new("string12", &n), |b| {
        b.iter(|| {
            let mut acc = 0u32;
            for s in &strings {
                acc = acc.wrapping_add(key_group_of_hash(string_hash(s), MAX_PARALLELISM));
            }
            acc
        })
    });
    for (name, key_type) in [("long", KeyType::Long), ("string12", KeyType::String(12))] {
        group.bench_function(BenchmarkId::new(format!("key_space/{name}"), &n), |b| {
            b.iter(|| KeySpace::generated(black_box(KEYS), key_type, MAX_PARALLELISM))
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = config();
    targets = key_groups
}
