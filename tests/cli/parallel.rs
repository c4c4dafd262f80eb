//! One operator over several threads (key groups split into partitions)
//! gives the same snapshots, field by field and key group by key group, as
//! one thread: on every ground-truth case's trace and its generated input,
//! and on a grid of generated scenarios covering what the ground truth does
//! not (processing time, checkpoint intervals, allowed lateness, window
//! offsets, variable record sizes). A partition that owns nothing, and key
//! groups that nobody owns (sampling), are covered too.

use crate::support::{exact_cases, without_trace};
use statecap::Scenario;
use statecap::sim::{self, OperatorSpec, RunStats, Snapshot, parallel::NOBODY};
use statecap::workload::Workload;
use std::path::Path;

fn sequential(s: &Scenario) -> (Vec<Snapshot>, RunStats) {
    let w = Workload::new(s).unwrap();
    let spec = OperatorSpec::new(s, 0);
    let mut snaps = Vec::new();
    let stats = sim::simulate(
        &spec,
        &w.keys,
        w.records,
        w.input(),
        &mut |snap| snaps.push(snap.clone()),
        &|_| {},
    );
    (snaps, stats)
}

fn partitioned(s: &Scenario, owner: &[u8]) -> (Vec<Snapshot>, RunStats) {
    let w = Workload::new(s).unwrap();
    let spec = OperatorSpec::new(s, 0);
    let mut snaps = Vec::new();
    let stats = sim::simulate_partitioned(
        &spec,
        &w.keys,
        w.records,
        w.input(),
        owner,
        &mut |snap| snaps.push(snap.clone()),
        &|_| {},
    );
    (snaps, stats)
}

/// Partitions by the workload's weights, as `statecap run` makes them.
fn owners(s: &Scenario, parts: usize) -> Vec<u8> {
    let w = Workload::new(s).unwrap();
    sim::partition(&w.key_group_weights(s.max_parallelism), parts)
}

fn assert_same(
    name: &str,
    what: &str,
    a: &(Vec<Snapshot>, RunStats),
    b: &(Vec<Snapshot>, RunStats),
) {
    assert_eq!(a.0.len(), b.0.len(), "{name} ({what}): checkpoint count");
    assert!(!a.0.is_empty(), "{name}: no checkpoint to compare");
    for (x, y) in a.0.iter().zip(&b.0) {
        assert!(
            x == y,
            "{name} ({what}): checkpoint {} differs\n one thread: {x:?}\n partitioned: {y:?}",
            x.checkpoint
        );
    }
    assert_eq!(a.1, b.1, "{name} ({what}): run stats");
}

fn check(name: &str, s: &Scenario) {
    let one = sequential(s);
    for parts in [2, 3] {
        let owner = owners(s, parts);
        assert_same(
            name,
            &format!("{parts} partitions"),
            &one,
            &partitioned(s, &owner),
        );
    }
    // One partition on its own thread; and a partition that owns nothing.
    let kgs = s.max_parallelism as usize;
    assert_same(name, "1 partition", &one, &partitioned(s, &vec![0; kgs]));
    let mut skewed = vec![0u8; kgs];
    skewed[0] = 2; // partition 1 owns no key group
    assert_same(name, "an empty partition", &one, &partitioned(s, &skewed));
}

#[test]
fn partitions_equal_one_thread_on_every_ground_truth_case() {
    for case in exact_cases() {
        let s = Scenario::load(&case.scenario_path()).unwrap();
        check(&case.name, &s);
        let text = std::fs::read_to_string(case.scenario_path()).unwrap();
        let g = Scenario::parse(&without_trace(&text), &case.scenario_path()).unwrap();
        check(&format!("{} (generated)", case.name), &g);
    }
}

fn scenario(
    window: &str,
    function: &str,
    time: &str,
    lateness: u64,
    checkpoints: &str,
) -> Scenario {
    let assigner = match window {
        "tumbling" => "assigner = \"tumbling\"\nsize_ms = 2000\noffset_ms = 300",
        "sliding" => "assigner = \"sliding\"\nsize_ms = 3000\nslide_ms = 1000",
        _ => "assigner = \"session\"\ngap_ms = 400",
    };
    let function = match function {
        "aggregate" => "function = \"aggregate\"\naccumulator_bytes = 24",
        "reduce" => "function = \"reduce\"",
        _ => "function = \"process\"",
    };
    let text = format!(
        "name = \"p\"\nflink_version = \"1.20\"\nseed = 5\n\n\
         [source]\nrecords = 30000\nevents_per_second = 2000\nkeys = 3000\n\
         key_distribution = \"zipf\"\nzipf_exponent = 0.9\nkey_type = \"string\"\nkey_length = 10\n\
         record_bytes = {{ distribution = \"uniform\", min = 20, max = 300 }}\n\
         jitter_ms = 900\nout_of_orderness_ms = 200\nwatermark_every_records = 7\n\n\
         [job]\nparallelism = 3\nmax_parallelism = 60\n\n\
         [[operator]]\nname = \"w\"\nkind = \"window\"\n{assigner}\ntime = \"{time}\"\n\
         allowed_lateness_ms = {lateness}\n{function}\n\n\
         [state]\nbackend = \"hashmap\"\n\n[checkpoints]\n{checkpoints}\nstorage = \"filesystem\"\n"
    );
    Scenario::parse(&text, Path::new("parallel.toml")).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

#[test]
fn partitions_equal_one_thread_across_time_kinds_lateness_and_triggers() {
    for window in ["tumbling", "sliding", "session"] {
        for function in ["process", "aggregate", "reduce"] {
            for time in ["event", "processing"] {
                for lateness in [0, 700] {
                    if time == "processing" && lateness > 0 {
                        continue; // event time only
                    }
                    for trigger in ["every_records = 1700", "interval = \"1100 ms\""] {
                        let s = scenario(window, function, time, lateness, trigger);
                        let name = format!("{window}/{function}/{time}/late{lateness}/{trigger}");
                        check(&name, &s);
                    }
                }
            }
        }
    }
}

#[test]
fn key_groups_nobody_owns_stay_empty_and_the_rest_are_exact() {
    let s = scenario("sliding", "process", "event", 700, "every_records = 1700");
    let one = sequential(&s);
    let kgs = s.max_parallelism as usize;
    // Every third key group simulated.
    let owner: Vec<u8> = (0..kgs)
        .map(|g| if g % 3 == 0 { 0 } else { NOBODY })
        .collect();
    let sampled = partitioned(&s, &owner);
    assert_eq!(one.0.len(), sampled.0.len());
    for (x, y) in one.0.iter().zip(&sampled.0) {
        for g in 0..kgs {
            if g % 3 == 0 {
                assert_eq!(x.kg_bytes[g], y.kg_bytes[g], "ckpt {} kg {g}", x.checkpoint);
                assert_eq!(x.kg_entries[g], y.kg_entries[g]);
                assert_eq!(x.kg_timers[g], y.kg_timers[g]);
            } else {
                assert_eq!(y.kg_bytes[g], 0);
                assert_eq!(y.kg_records[g], 0);
            }
        }
        assert!(
            x.kg_bytes.iter().sum::<u64>() > y.kg_bytes.iter().sum::<u64>()
                || x.kg_bytes.iter().all(|&b| b == 0)
        );
        // Aligned window extents are the whole stream's.
        assert_eq!(x.live_windows, y.live_windows);
    }
}
