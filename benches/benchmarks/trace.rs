//! Trace reading (`Trace::read`) from an in-memory CSV of 10^5 lines, with
//! long and with string keys. Throughput: lines per second.

use super::{Clock, config};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group};
use statecap::scenario::KeyType;
use statecap::workload::Trace;
use std::fmt::Write;
use std::hint::black_box;
use std::path::Path;

const LINES: u64 = 100_000;
const KEYS: u64 = 10_000;

fn csv(string_keys: bool) -> Vec<u8> {
    let mut text = String::from("key,ts_ms,bytes\n");
    for i in 0..LINES {
        // A scattered key order, as a real trace has.
        let k = (i * 7919) % KEYS;
        if string_keys {
            writeln!(text, "user_{k:06},{i},117").unwrap();
        } else {
            writeln!(text, "{k},{i},117").unwrap();
        }
    }
    text.into_bytes()
}

fn trace(c: &mut Criterion<Clock>) {
    let mut group = c.benchmark_group("trace_read");
    group.throughput(Throughput::Elements(LINES));
    for (name, key_type) in [("long", KeyType::Long), ("string", KeyType::String(11))] {
        let buf = csv(matches!(key_type, KeyType::String(_)));
        group.bench_with_input(BenchmarkId::new(name, "1e5"), &buf, |b, buf| {
            b.iter(|| {
                Trace::read(
                    black_box(&buf[..]),
                    Path::new("bench.csv"),
                    key_type,
                    u64::MAX,
                    128,
                )
                .expect("valid trace")
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = config();
    targets = trace
}
