//! `compare`'s state-shrinking job changes per keyed operator: each priced
//! saving equals the difference of two independent `run`s, the scenario as
//! written and the same file changed by hand; a TTL on a dedup without one
//! turns state that grows into state that levels off.

use crate::support::{Table, num, statecap, stderr, stdout, write};
use std::collections::BTreeMap;
use std::path::Path;

/// A deduplication without TTL on a heap job whose state stays far from
/// every limit (so the recommendation keeps the configuration): new ids
/// keep arriving, so the state grows for the whole run. `{ttl}` is filled
/// in with the dedup's TTL line (or nothing).
const DEDUP: &str = r#"
name = "{name}"
flink_version = "1.20"
seed = 5

[source]
duration = "120 s"
events_per_second = 200
keys = 10_000_000
record_bytes = 200
processing_time = "event_time"

[job]
parallelism = 2

[[operator]]
name = "dedup"
kind = "dedup"
{ttl}

[state]
backend = "hashmap"

[flink_conf]
"execution.checkpointing.dir" = "s3://b/c"

[checkpoints]
storage = "filesystem"
interval = "5 s"
{compare}
"#;

/// A process function keeping every record of a key in a list (no
/// `max_elements`) and a count. `{list}` is the list's declaration,
/// `{bytes}` the record size.
const BUFFER: &str = r#"
name = "{name}"
flink_version = "1.20"
seed = 9

[source]
duration = "60 s"
events_per_second = 200
keys = 300
record_bytes = {bytes}
processing_time = "event_time"

[job]
parallelism = 2

[[operator]]
name = "buffer"
kind = "process"

[[operator.state]]
name = "count"
kind = "value"
value_bytes = 8
write = "every_record"

[[operator.state]]
name = "events"
{list}

[state]
backend = "hashmap"

[flink_conf]
"execution.checkpointing.dir" = "s3://b/c"

[checkpoints]
storage = "filesystem"
interval = "5 s"
{compare}
"#;

/// Per checkpoint, the largest subtask of `op` in a `run` of `text`.
fn run(dir: &Path, name: &str, text: &str, op: &str) -> Vec<u64> {
    let sc = write(dir, &format!("{name}.toml"), text);
    let out = dir.join("out");
    let o = statecap([
        "run".as_ref(),
        sc.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
        "-q".as_ref(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let t = Table::read(&out.join(name).join("timeline.csv"));
    let mut by_cp: BTreeMap<u64, u64> = BTreeMap::new();
    for r in t.rows.iter().filter(|r| r["operator"] == op) {
        let e = by_cp.entry(num(r, "checkpoint")).or_default();
        *e = (*e).max(num(r, "state_bytes"));
    }
    by_cp.into_values().collect()
}

/// `compare` of `text`: its stdout and job-changes.csv rows.
fn compare(dir: &Path, name: &str, text: &str) -> (String, Vec<BTreeMap<String, String>>) {
    let sc = write(dir, &format!("{name}.toml"), text);
    let out = dir.join("out");
    let o = statecap([
        "compare".as_ref(),
        sc.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let d = out.join(format!("{name}-compare"));
    let rows = Table::read(&d.join("job-changes.csv")).rows;
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("job-changes.json")).unwrap()).unwrap();
    assert_eq!(json.as_array().map(Vec::len), Some(rows.len()), "{json}");
    (stdout(&o), rows)
}

fn row<'a>(rows: &'a [BTreeMap<String, String>], kind: &str) -> &'a BTreeMap<String, String> {
    rows.iter()
        .find(|r| r["kind"] == kind)
        .unwrap_or_else(|| panic!("no `{kind}` change in {rows:?}"))
}

/// The peak and the last checkpoint's largest subtask.
fn peak_end(series: &[u64]) -> (u64, u64) {
    (
        series.iter().copied().max().unwrap(),
        *series.last().unwrap(),
    )
}

#[test]
fn a_ttl_on_a_dedup_is_priced_as_two_runs_and_levels_the_state_off() {
    let d = tempfile::tempdir().unwrap();
    let fill = |name: &str, ttl: &str, compare: &str| {
        DEDUP
            .replace("{name}", name)
            .replace("{ttl}", ttl)
            .replace("{compare}", compare)
    };
    let (out, rows) = compare(
        d.path(),
        "dedup_cmp",
        &fill("dedup_cmp", "", "[compare]\nttl = [\"20 s\"]"),
    );
    assert!(
        out.contains("recommendation for Flink 1.20: hashmap + filesystem\n"),
        "the job's own option, so that `run` prices the same: {out}"
    );
    let before = run(
        d.path(),
        "dedup_plain",
        &fill("dedup_plain", "", ""),
        "dedup",
    );
    // The same file with the TTL written by hand: Flink's defaults (the
    // heap's incremental cleanup), as the change says.
    let after = run(
        d.path(),
        "dedup_ttl",
        &fill("dedup_ttl", "ttl = \"20 s\"", ""),
        "dedup",
    );
    let r = row(&rows, "ttl");
    assert_eq!(r["operator"], "dedup");
    let (pb, eb) = peak_end(&before);
    let (pa, ea) = peak_end(&after);
    assert_eq!(
        (
            num(r, "peak_before"),
            num(r, "end_before"),
            num(r, "peak_after"),
            num(r, "end_after")
        ),
        (pb, eb, pa, ea),
        "{r:?}"
    );
    assert!(pa < pb && ea < eb, "a TTL saves: {r:?}");
    // Without TTL, every new id stays: the end is well above the middle;
    // with it, the state at the end is what it was at the middle.
    let mid = |s: &[u64]| s[s.len() / 2];
    assert!(eb as f64 > 1.5 * mid(&before) as f64, "{before:?}");
    assert!(
        (ea as f64 - mid(&after) as f64).abs() < 0.1 * ea as f64,
        "{after:?}"
    );
    assert_eq!(
        (&*r["growth_before"], &*r["growth_after"]),
        ("grows", "levels off")
    );
    assert!(
        out.contains("the state levels off instead of growing"),
        "{out}"
    );
    assert!(
        r["change"].contains("incremental, 5 entries per state access"),
        "{r:?}"
    );
    assert!(r["cost"].contains("forgotten"), "{r:?}");
    // Saving printed per subtask at the peak and at the end.
    assert!(
        out.contains("at the peak (saves") && out.contains("at the end of the run (saves"),
        "{out}"
    );
}

#[test]
fn the_default_ttl_is_a_quarter_of_the_run() {
    let d = tempfile::tempdir().unwrap();
    let text = DEDUP
        .replace("{name}", "dedup_default")
        .replace("{ttl}", "")
        .replace("{compare}", "");
    let (_, rows) = compare(d.path(), "dedup_default", &text);
    let r = row(&rows, "ttl");
    // 24,000 records at 200/s: 120 s played, a quarter is 30 s.
    assert!(
        r["change"].starts_with("TTL 30 s on \"seen\"")
            && r["change"].contains("a quarter of the 2 min played"),
        "{r:?}"
    );
}

#[test]
fn an_aggregate_and_a_projection_are_priced_as_two_runs() {
    let d = tempfile::tempdir().unwrap();
    let fill = |name: &str, list: &str, bytes: &str, compare: &str| {
        BUFFER
            .replace("{name}", name)
            .replace("{list}", list)
            .replace("{bytes}", bytes)
            .replace("{compare}", compare)
    };
    let every = "kind = \"list\"\nelement = \"record\"\nwrite = \"every_record\"";
    let (out, rows) = compare(
        d.path(),
        "buffer_cmp",
        &fill(
            "buffer_cmp",
            every,
            "200",
            "[compare]\nprojected_record_bytes = 60",
        ),
    );
    assert!(
        out.contains("recommendation for Flink 1.20: hashmap + filesystem\n"),
        "{out}"
    );
    let before = peak_end(&run(
        d.path(),
        "buffer_plain",
        &fill("buffer_plain", every, "200", ""),
        "buffer",
    ));
    // By hand: the list replaced by a ValueState<Long> updated per record.
    let aggregated = peak_end(&run(
        d.path(),
        "buffer_agg",
        &fill(
            "buffer_agg",
            "kind = \"value\"\nvalue_bytes = 8\nwrite = \"every_record\"",
            "200",
            "",
        ),
        "buffer",
    ));
    // By hand: every record 60 bytes.
    let projected = peak_end(&run(
        d.path(),
        "buffer_proj",
        &fill("buffer_proj", every, "60", ""),
        "buffer",
    ));
    for (kind, (pa, ea)) in [("aggregate", aggregated), ("projection", projected)] {
        let r = row(&rows, kind);
        assert_eq!(r["operator"], "buffer");
        assert_eq!(
            (
                num(r, "peak_before"),
                num(r, "end_before"),
                num(r, "peak_after"),
                num(r, "end_after")
            ),
            (before.0, before.1, pa, ea),
            "{kind}: {r:?}"
        );
        assert!(pa < before.0, "{kind} saves: {r:?}");
        assert!(!r["cost"].is_empty(), "{kind} says what it costs: {r:?}");
    }
    // Every record kept: grows; one Long per key over 300 keys: levels off.
    let agg = row(&rows, "aggregate");
    assert_eq!(
        (&*agg["growth_before"], &*agg["growth_after"]),
        ("grows", "levels off")
    );
    assert!(
        row(&rows, "projection")["change"].contains("from a mean 200 B to 60 B"),
        "{rows:?}"
    );
}
