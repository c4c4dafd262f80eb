//! `statecap compare` on a job that runs RocksDB: the scenario's own
//! configuration is named as what it is (`rocksdb incremental`, not
//! `rocksdb full`), a configuration that holds is kept, and a RocksDB job is
//! not moved to JobManager storage.

use crate::support::{Table, statecap, stderr, stdout, write};

/// Flink 1.20, RocksDB with incremental checkpoints set in the job, a small
/// state (well under the JobManager's 5 MiB). `{rate}` and `{storage}` are
/// filled in per case.
const SCENARIO: &str = r#"
name = "{name}"
flink_version = "1.20"
seed = 3

[source]
duration = "60 s"
events_per_second = {rate}
keys = 5000
record_bytes = 200

[job]
parallelism = 4

[[operator]]
name = "w"
kind = "window"
assigner = "tumbling"
size = "10 s"
time = "processing"
function = "process"

[state]
backend = "rocksdb"
incremental = true

[flink_conf]
"state.checkpoints.dir" = "s3://bucket/ckpts"

[checkpoints]
interval = "5 s"
{storage}
"#;

fn compare(name: &str, rate: u32, storage: &str) -> (String, Table, String) {
    let d = tempfile::tempdir().unwrap();
    let text = SCENARIO
        .replace("{name}", name)
        .replace("{rate}", &rate.to_string())
        .replace("{storage}", storage);
    let sc = write(d.path(), &format!("{name}.toml"), &text);
    let out = d.path().join("out");
    let o = statecap([
        "compare".as_ref(),
        sc.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let dir = out.join(format!("{name}-compare"));
    let conf = std::fs::read_to_string(dir.join("recommended-config.yaml")).unwrap();
    (stdout(&o), Table::read(&dir.join("compare.csv")), conf)
}

#[test]
fn a_rocksdb_incremental_job_that_holds_keeps_its_configuration() {
    let (out, _, conf) = compare("rocks_inc", 2000, "");
    assert!(
        out.contains("the current configuration (rocksdb incremental) holds"),
        "named as what it is: {out}"
    );
    assert!(!out.contains("(rocksdb full)"), "{out}");
    assert!(
        out.contains("recommendation for Flink 1.20: rocksdb incremental\n"),
        "{out}"
    );
    assert!(
        conf.contains("type: rocksdb") && conf.contains("incremental: true"),
        "{conf}"
    );
    assert!(!conf.contains("storage: jobmanager"), "{conf}");
}

/// RocksDB with JobManager storage, close to the limit: its own row in the
/// table under its own name, and the recommendation moves the storage to
/// files, keeping RocksDB and incremental checkpoints.
#[test]
fn a_rocksdb_job_near_the_jobmanager_limit_moves_to_file_storage() {
    // 12,000 records/s: a peak subtask of 4.7 MiB, as RocksDB's writes
    // replay it (the per-entry estimate said less, at 20,000/s).
    let (out, csv, conf) = compare("rocks_jm", 12000, "storage = \"jobmanager\"");
    let own = csv
        .rows
        .iter()
        .find(|r| r["option"] == "rocksdb incremental + jobmanager")
        .unwrap_or_else(|| panic!("the scenario's own configuration as an option: {out}"));
    assert_eq!(own["storage"], "jobmanager", "{own:?}");
    assert!(
        out.contains(
            "the current configuration (rocksdb incremental + jobmanager) holds, but with only"
        ),
        "{out}"
    );
    assert!(
        out.contains("recommendation for Flink 1.20: rocksdb incremental\n"),
        "{out}"
    );
    assert!(
        conf.contains("storage: filesystem") && conf.contains("type: rocksdb"),
        "{conf}"
    );
}
