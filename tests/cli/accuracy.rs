//! What a run says of its own accuracy: the `mode:` line and `summary.json`'s
//! `mode_error` name what is exact (the simulation of records, windows,
//! timers and key groups; the heap snapshot bytes) and what is estimated
//! (RocksDB and compressed bytes, RocksDB with its range).

use crate::support::{statecap, stderr, stdout, write};

const SCENARIO: &str = r#"
name = "{name}"
flink_version = "1.20"
seed = 4

[source]
duration = "40 s"
events_per_second = 2000
keys = 3000
record_bytes = { distribution = "lognormal", mean = 300, stddev = 100, min = 50, max = "2 kb" }

[job]
parallelism = 3

[[operator]]
name = "w"
kind = "window"
assigner = "tumbling"
size = "10 s"
time = "processing"
function = "process"

{state}

[flink_conf]
"state.checkpoints.dir" = "file:///tmp/ckpt"

[checkpoints]
interval = "3 s"
"#;

/// Runs the scenario with `[state]` = `state`; returns (the `mode:` line,
/// summary.json's `mode` and `mode_error`).
fn run(name: &str, state: &str) -> (String, String, String) {
    let d = tempfile::tempdir().unwrap();
    let text = SCENARIO.replace("{name}", name).replace("{state}", state);
    let sc = write(d.path(), &format!("{name}.toml"), &text);
    let out = d.path().join("out");
    let o = statecap([
        "run".as_ref(),
        sc.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
        "--mode".as_ref(),
        "exact".as_ref(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let line = stdout(&o)
        .lines()
        .find(|l| l.starts_with("mode: "))
        .unwrap_or_else(|| panic!("a mode line: {}", stdout(&o)))
        .to_string();
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.join(name).join("summary.json")).unwrap(),
    )
    .unwrap();
    let field = |k: &str| json[k].as_str().unwrap_or_default().to_string();
    (line, field("mode"), field("mode_error"))
}

const SIMULATION: &str = "every record simulated; records, windows, timers and key groups exact";

#[test]
fn rocksdb_bytes_are_replayed_with_their_range_and_the_simulation_is_exact() {
    let (line, mode, error) = run("rocks", "[state]\nbackend = \"rocksdb\"");
    assert_eq!(mode, "exact");
    for text in [&line, &error] {
        assert!(text.contains(SIMULATION), "{text}");
        assert!(
            text.contains("RocksDB state bytes replayed from every write")
                && text.contains(": largest subtask ")
                && text.contains(" (range "),
            "{text}"
        );
        assert!(text.contains("local MiniCluster assumed"), "{text}");
        assert!(
            text.contains("measured median error 2.9% tumbling against real Flink 1.20"),
            "{text}"
        );
        assert!(!text.contains("bytes exact"), "{text}");
    }
    assert!(line.starts_with("mode: exact ("), "{line}");
}

#[test]
fn heap_bytes_are_exact_and_compressed_ones_estimated() {
    let (line, _, error) = run("heap", "");
    for text in [&line, &error] {
        assert!(text.contains(SIMULATION), "{text}");
        assert!(text.ends_with("; heap snapshot bytes exact"), "{text}");
    }
    let (line, _, error) = run("snappy", "[state]\ncompression = true");
    for text in [&line, &error] {
        assert!(text.contains(SIMULATION), "{text}");
        assert!(
            text.contains("Snappy-compressed snapshot bytes estimated"),
            "{text}"
        );
        assert!(!text.contains("bytes exact"), "{text}");
    }
}
