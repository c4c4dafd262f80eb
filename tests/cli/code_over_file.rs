//! `check` and `run` with `--flink-conf` on a scenario whose `[state]` and
//! `[checkpoints]` also set the backend and storage: Flink applies the job's
//! code over the configuration file, and both commands say which setting
//! won, so the user knows what was tested.

use crate::support::{statecap, stderr, stdout, write};

/// Flink 1.20; `{state}` and `{storage}` are filled in per case.
const SCENARIO: &str = r#"
name = "{name}"
flink_version = "1.20"
seed = 3

[source]
duration = "30 s"
events_per_second = 1000
keys = 2000
record_bytes = 100

[job]
parallelism = 2

[[operator]]
name = "w"
kind = "window"
assigner = "tumbling"
size = "10 s"
time = "processing"
function = "process"

{state}

[flink_conf]
"state.checkpoints.dir" = "s3://bucket/ckpts"

[checkpoints]
interval = "5 s"
{storage}
"#;

/// What a heap job's recommendation would say: hashmap, JobManager storage.
const CONF: &str = "\
state:
  backend:
    type: hashmap
execution:
  checkpointing:
    dir: s3://bucket/ckpts
    storage: jobmanager
";

#[test]
fn the_jobs_backend_and_storage_win_over_the_file_and_both_commands_say_so() {
    let d = tempfile::tempdir().unwrap();
    let conf = write(d.path(), "recommended-config.yaml", CONF);
    let text = SCENARIO
        .replace("{name}", "rocks_job")
        .replace("{state}", "[state]\nbackend = \"rocksdb\"")
        .replace("{storage}", "storage = \"filesystem\"");
    let sc = write(d.path(), "rocks_job.toml", &text);
    let backend_line = "the scenario's [state] backend (EmbeddedRocksDBStateBackend) is set in the \
                        job's code and wins over 'state.backend.type: hashmap' in \
                        recommended-config.yaml: Flink applies the job's env.setStateBackend over \
                        the configuration file";
    let storage_line = "the scenario's [checkpoints] storage (filesystem) is set in the job's code \
                        and wins over 'execution.checkpointing.storage: jobmanager' in \
                        recommended-config.yaml";

    let o = statecap([
        "check".as_ref(),
        sc.as_os_str(),
        "--flink-conf".as_ref(),
        conf.as_os_str(),
    ]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{}", stderr(&o));
    assert!(out.contains(&format!("note: {backend_line}\n")), "{out}");
    assert!(out.contains(storage_line), "{out}");
    // What was tested is the job's: RocksDB with file storage.
    assert!(
        out.contains("OK rocks_job: every checkpoint completes on EmbeddedRocksDBStateBackend + filesystem storage"),
        "{out}"
    );

    let o = statecap([
        "run".as_ref(),
        sc.as_os_str(),
        "--flink-conf".as_ref(),
        conf.as_os_str(),
        "--quiet".as_ref(),
        "--out".as_ref(),
        d.path().join("out").as_os_str(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(&format!("note: rocks_job: {backend_line}\n")),
        "{}",
        stderr(&o)
    );

    // A job that sets nothing in code takes the file as it is: no note.
    let text = SCENARIO
        .replace("{name}", "plain_job")
        .replace("{state}", "")
        .replace("{storage}", "");
    let sc = write(d.path(), "plain_job.toml", &text);
    let o = statecap([
        "check".as_ref(),
        sc.as_os_str(),
        "--flink-conf".as_ref(),
        conf.as_os_str(),
    ]);
    let out = stdout(&o);
    assert!(!out.contains("note:"), "{out}");
    assert!(
        out.contains("HashMapStateBackend + JobManager storage"),
        "{out}"
    );
}
