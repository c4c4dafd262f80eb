//! The RocksDB replay: an exact run whose every state write goes through
//! Flink's RocksDB layout, memtables, flushes, compactions and byte-exact
//! SST files, per subtask (`src/backend/rocksdb/`). Throughput: records per
//! second of the whole run (input generation, the window engine, the
//! replay and the checkpoint listings).

use super::{Clock, config};
use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group};
use statecap::Scenario;
use statecap::pipeline::{self, RunOptions};
use std::path::Path;

/// A tumbling 5 s window with a process function (every element a list
/// merge) on RocksDB, incremental checkpoints every 20,000 records; the
/// local MiniCluster's memory (128 MiB over 4 slots) as the replay assumes
/// without TaskManager settings.
fn scenario(function: &str, records: u64) -> Scenario {
    let function = match function {
        "aggregate" => "function = \"aggregate\"\naccumulator_bytes = 16".to_string(),
        f => format!("function = \"{f}\""),
    };
    let text = format!(
        "name = \"bench_rocksdb\"\nflink_version = \"1.20\"\nseed = 42\n\n\
         [source]\nrecords = {records}\nevents_per_second = 2000\nkeys = 10000\n\
         key_distribution = \"uniform\"\nkey_type = \"long\"\nrecord_bytes = 117\n\n\
         [job]\nparallelism = 4\n\n\
         [[operator]]\nname = \"window\"\nkind = \"window\"\nassigner = \"tumbling\"\n\
         size = \"5 s\"\ntime = \"event\"\n{function}\n\n\
         [state]\nbackend = \"rocksdb\"\nincremental = true\n\n\
         [checkpoints]\nevery_records = 20000\nstorage = \"filesystem\"\n"
    );
    Scenario::parse(&text, Path::new("bench_rocksdb.toml")).expect("benchmark scenario is valid")
}

fn replay(c: &mut Criterion<Clock>) {
    let mut group = c.benchmark_group("rocksdb_replay");
    group.sampling_mode(SamplingMode::Flat);
    const RECORDS: u64 = 200_000;
    for function in ["process", "aggregate"] {
        let s = scenario(function, RECORDS);
        // The run replays every write (not the per-entry estimate).
        let run = pipeline::simulate(&s, &RunOptions::default()).expect("runs");
        assert!(run.result().rocksdb_replayed, "the benchmark must replay");
        group.throughput(Throughput::Elements(RECORDS));
        let id = BenchmarkId::new(format!("tumbling/{function}/1e4/uniform"), "2e5");
        group.bench_function(id, |b| {
            b.iter(|| pipeline::simulate(&s, &RunOptions::default()).expect("runs"))
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = config();
    targets = replay
}
