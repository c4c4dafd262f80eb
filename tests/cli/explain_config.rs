//! `statecap explain-config` on one configuration file per major Flink
//! version (`tests/data/conf/`), and `statecap run --flink-conf`.
//!
//! Every expected value is checked against Flink's source; the comment next
//! to each assertion names the class, the line and the tag. Tags: `release-X`
//! are Apache release tags; 1.16/1.17/1.20/2.0 are release-branch cut points
//! of Apache master (parent of "Update version to <next>-SNAPSHOT"):
//! 1.16 = c95aeb6cb32^, 1.17 = 4bc6d6da, 1.20 = f6f88135, 2.0 = dccb7821.
//! Paths: `rt/` = flink-runtime/src/main/java/org/apache/flink/runtime/,
//! `conf/` = flink-core/src/main/java/org/apache/flink/configuration/.

use statecap::flink::FlinkVersion;
use statecap::flink::conf_file;
use statecap::flink::config::{Backend, Setting, Source, Storage, TimerStore};
use statecap::flink::explain::{Explanation, explain};

use super::support::{manifest_dir, statecap, stderr, stdout, write};

fn conf_path(rel: &str) -> std::path::PathBuf {
    manifest_dir().join("tests/data/conf").join(rel)
}

/// Loads and explains `tests/data/conf/<rel>` for `version`.
fn explained(rel: &str, version: &str) -> Explanation {
    let v: FlinkVersion = version.parse().unwrap();
    let conf = conf_file::load(&conf_path(rel), v).unwrap_or_else(|e| panic!("{e}"));
    explain(&conf, v)
}

/// Runs `statecap explain-config` and returns (exit code, stdout, stderr).
fn cli(rel: &str, version: &str) -> (i32, String, String) {
    let o = statecap([
        "explain-config".as_ref(),
        conf_path(rel).as_os_str(),
        "--flink-version".as_ref(),
        version.as_ref(),
    ]);
    (o.status.code().unwrap_or(-1), stdout(&o), stderr(&o))
}

fn source_key(e: &Explanation, s: Setting) -> Option<String> {
    match &e.outcome.as_ref().unwrap().decision(s)?.source {
        Source::Key { key, .. } => Some(key.clone()),
        _ => None,
    }
}

#[test]
fn flink_1_6_seed_file_is_the_5_mib_memory_backend() {
    let e = explained("flink-1.6/flink-conf.yaml", "1.6.2");
    let r = e.outcome.as_ref().unwrap();
    let c = &r.config;
    // rt/state/StateBackendLoader.java:228 @ release-1.6.2: no 'state.backend'
    // -> "(3) use the default" MemoryStateBackendFactory, whatever the directory.
    assert_eq!(c.backend, Backend::Memory);
    assert_eq!(
        r.decision(Setting::Backend).unwrap().source,
        Source::Default
    );
    // rt/state/memory/MemoryStateBackend.java:103 @ release-1.6.2:
    // DEFAULT_MAX_STATE_SIZE = 5 * 1024 * 1024; the backend is its own storage.
    assert_eq!(
        c.storage,
        Storage::JobManager {
            max_state_size: 5_242_880
        }
    );
    assert_eq!(c.limits.max_state_size, Some(5_242_880));
    // conf/CheckpointingOptions.java:104 @ release-1.6.2: "state.checkpoints.dir".
    assert_eq!(
        c.checkpoint_dir.as_deref(),
        Some("hdfs:///flink/checkpoints")
    );
    // conf/AkkaOptions.java:143 @ release-1.6.2: akka.framesize "10485760b".
    assert_eq!(c.limits.frame_size, 10_485_760);
    // ExecutionCheckpointingOptions does not exist at release-1.9.0 (new in
    // release-1.10.0): checkpointing is enabled in code only.
    assert_eq!(r.checkpoint_interval_ms, None);
    // streaming/api/environment/CheckpointConfig.java:41 @ release-1.6.2:
    // DEFAULT_TIMEOUT = 10 * 60 * 1000.
    assert_eq!(c.limits.checkpoint_timeout_ms, 600_000);
    // The seed failure is called out at the directory's line.
    let t = e.traps_about("keeps the default MemoryStateBackend");
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].line, Some(7));
    // What to write: the backend made explicit, in 1.6's key.
    assert!(
        e.written
            .as_ref()
            .unwrap()
            .entries
            .contains(&("state.backend".into(), "jobmanager".into()))
    );

    let (code, out, _) = cli("flink-1.6/flink-conf.yaml", "1.6.2");
    assert_eq!(code, 0);
    assert!(out.contains("MemoryStateBackend"), "{out}");
    assert!(out.contains("5.0 MiB (5242880 B)"), "{out}");
    assert!(out.contains("new MemoryStateBackend()"), "{out}");
}

#[test]
fn flink_1_13_rocksdb_with_keys_of_later_versions() {
    let e = explained("flink-1.13/flink-conf.yaml", "1.13");
    let r = e.outcome.as_ref().unwrap();
    let c = &r.config;
    // rt/state/StateBackendLoader.java:56-57 @ release-1.13.5: 'rocksdb' loads
    // EmbeddedRocksDBStateBackendFactory.
    assert_eq!(c.backend, Backend::RocksDb);
    assert_eq!(
        c.backend.class_name(c.version),
        "EmbeddedRocksDBStateBackend"
    );
    // conf/StateBackendOptions.java:45 @ release-1.13.5: the key is
    // "state.backend"; "state.backend.type" exists from 1.17 (absent at
    // 1.16 = c95aeb6cb32^), so 1.13 ignores it.
    assert_eq!(
        source_key(&e, Setting::Backend).as_deref(),
        Some("state.backend")
    );
    assert_eq!(e.traps_about("does not know 'state.backend.type'").len(), 1);
    // rt/state/CheckpointStorageLoader.java:251 @ release-1.13.5: no
    // 'state.checkpoint-storage' but a directory -> FileSystemCheckpointStorage.
    assert!(matches!(c.storage, Storage::FileSystem { .. }));
    assert_eq!(
        r.decision(Setting::Storage).unwrap().source,
        Source::Default
    );
    // rt/state/storage/FileSystemCheckpointStorage.java:88,228-250 @
    // release-1.13.5: 2mb is above MAX_FILE_STATE_THRESHOLD (1 MiB): ignored,
    // the 20kb default (conf/CheckpointingOptions.java:220) is used.
    assert_eq!(
        c.storage,
        Storage::FileSystem {
            inline_threshold: 20_480
        }
    );
    assert_eq!(e.traps_about("outside 0 to 1 MiB").len(), 1);
    // conf/CheckpointingOptions.java:140 @ release-1.13.5:
    // "state.backend.incremental".
    assert!(c.incremental);
    // contrib/streaming/state/RocksDBOptions.java:52 @ release-1.13.5:
    // timer service defaultValue(ROCKSDB).
    assert_eq!(c.timers, TimerStore::RocksDb);
    // streaming/api/environment/ExecutionCheckpointingOptions.java:128 @
    // release-1.13.5: "execution.checkpointing.interval".
    assert_eq!(r.checkpoint_interval_ms, Some(60_000));

    let (code, out, _) = cli("flink-1.13/flink-conf.yaml", "1.13.5");
    assert_eq!(code, 0);
    assert!(out.contains("EmbeddedRocksDBStateBackend"), "{out}");
    // 1.13's SQL client: SET key = value; (docs/content/docs/dev/table/
    // sqlClient.md @ release-1.13.5), quoted from 1.14.
    assert!(out.contains("SET state.backend = rocksdb;"), "{out}");
}

#[test]
fn flink_1_17_deprecated_names_and_jobmanager_storage() {
    let e = explained("flink-1.17/flink-conf.yaml", "1.17");
    let r = e.outcome.as_ref().unwrap();
    let c = &r.config;
    // rt/state/StateBackendLoader.java:143-152 @ 1.17 (4bc6d6da): 'filesystem'
    // falls through to HashMapStateBackend (deprecated shortcut).
    assert_eq!(c.backend, Backend::HashMap);
    assert_eq!(e.traps_about("'filesystem' is deprecated").len(), 1);
    // conf/StateBackendOptions.java:45-48 @ 4bc6d6da: "state.backend.type",
    // with "state.backend" as deprecated key.
    let d = r.decision(Setting::Backend).unwrap();
    assert_eq!(
        d.source,
        Source::Key {
            key: "state.backend".into(),
            deprecated: true
        }
    );
    // rt/state/CheckpointStorageLoader.java:93 @ 4bc6d6da:
    // 'state.checkpoint-storage: jobmanager' -> JobManagerCheckpointStorage,
    // despite the directory.
    assert!(matches!(c.storage, Storage::JobManager { .. }));
    assert_eq!(e.traps_about("JobManager storage: every subtask").len(), 1);
    // conf/CheckpointingOptions.java:209 @ 4bc6d6da: only
    // "state.checkpoints.dir"; "execution.checkpointing.dir" appears in no
    // source file at 4bc6d6da (FLINK-34482, 1.20).
    assert_eq!(
        c.checkpoint_dir.as_deref(),
        Some("hdfs:///flink/checkpoints")
    );
    assert_eq!(
        e.traps_about("does not know 'execution.checkpointing.dir'")
            .len(),
        1
    );
    // Incremental is read by the RocksDB backend only: no effect here.
    assert!(!c.incremental);
    assert_eq!(e.traps_about("has no effect").len(), 1);
    // conf/AkkaOptions.java:117 @ 4bc6d6da: "akka.framesize" (pekko from 1.18).
    assert_eq!(c.limits.frame_size, 20 * 1024 * 1024);
    assert_eq!(
        source_key(&e, Setting::FrameSize).as_deref(),
        Some("akka.framesize")
    );
    // What to write uses 1.17's key names.
    assert!(
        e.written
            .as_ref()
            .unwrap()
            .entries
            .contains(&("state.backend.type".into(), "hashmap".into()))
    );

    let (code, out, _) = cli("flink-1.17/flink-conf.yaml", "1.17.2");
    assert_eq!(code, 0);
    assert!(
        out.contains("SET 'state.backend.type' = 'hashmap';"),
        "{out}"
    );
    assert!(
        out.contains("setCheckpointStorage(new JobManagerCheckpointStorage())"),
        "{out}"
    );
}

#[test]
fn flink_1_20_nested_config_yaml() {
    let e = explained("flink-1.20/config.yaml", "1.20");
    let r = e.outcome.as_ref().unwrap();
    let c = &r.config;
    // conf/GlobalConfiguration.java:163,292 @ 1.20 (f6f88135): config.yaml
    // is read with the standard YAML parser and nested keys are flattened.
    assert_eq!(e.format, conf_file::ConfFormat::Standard);
    // StateBackendOptions "state.backend.type" @ f6f88135 -> rocksdb.
    assert_eq!(c.backend, Backend::RocksDb);
    // conf/CheckpointingOptions.java:102 @ f6f88135:
    // "execution.checkpointing.storage"; :262 "execution.checkpointing.dir";
    // :306 "execution.checkpointing.data-inline-threshold" (64kb <= 1 MiB).
    assert_eq!(
        c.storage,
        Storage::FileSystem {
            inline_threshold: 65_536
        }
    );
    assert_eq!(
        source_key(&e, Setting::Storage).as_deref(),
        Some("execution.checkpointing.storage")
    );
    assert_eq!(c.checkpoint_dir.as_deref(), Some("s3://bucket/checkpoints"));
    // :177 "execution.checkpointing.incremental".
    assert!(c.incremental);
    // contrib/streaming/state/RocksDBOptions.java:62 @ f6f88135:
    // "state.backend.rocksdb.timer-service.factory" = HEAP.
    assert_eq!(c.timers, TimerStore::Heap);
    // conf/RpcOptions.java:112 @ f6f88135: "pekko.framesize".
    assert_eq!(c.limits.frame_size, 20 * 1024 * 1024);
    // :570 "execution.checkpointing.interval", :468 "...timeout".
    assert_eq!(r.checkpoint_interval_ms, Some(30_000));
    assert_eq!(c.limits.checkpoint_timeout_ms, 300_000);
    // Everything uses 1.20's own names: nothing to warn about.
    assert!(
        e.traps
            .iter()
            .all(|t| t.severity != statecap::flink::config::Severity::Warning),
        "{:?}",
        e.traps
    );
    let (code, out, _) = cli("flink-1.20/config.yaml", "1.20.5");
    assert_eq!(code, 0);
    // setStateBackend is @Deprecated at f6f88135
    // (StreamExecutionEnvironment.java:725): the Configuration form is shown.
    assert!(
        out.contains("config.set(StateBackendOptions.STATE_BACKEND, \"rocksdb\");"),
        "{out}"
    );
}

#[test]
fn flink_2_0_forst_and_a_leftover_1_x_key() {
    let e = explained("flink-2.0/config.yaml", "2.0");
    let r = e.outcome.as_ref().unwrap();
    let c = &r.config;
    // rt/state/StateBackendLoader.java:76 @ 2.0 (dccb7821): 'forst'.
    assert_eq!(c.backend, Backend::ForSt);
    // flink-statebackend-forst/.../ForStStateBackend.java:461 @ dccb7821:
    // setEnableIncrementalCheckpointing(true), always.
    assert!(c.incremental);
    // rt/state/CheckpointStorageLoader.java:250 @ dccb7821: a directory and
    // no storage key -> FileSystemCheckpointStorage.
    assert!(matches!(c.storage, Storage::FileSystem { .. }));
    // conf/CheckpointingOptions.java:197 @ dccb7821: "state.checkpoints.dir"
    // is a deprecated key of "execution.checkpointing.dir", read only when
    // the current key is absent.
    assert_eq!(c.checkpoint_dir.as_deref(), Some("s3://bucket/checkpoints"));
    assert_eq!(e.traps_about("is not used").len(), 1);
    let (code, out, _) = cli("flink-2.0/config.yaml", "2.0");
    assert_eq!(code, 0);
    // StreamExecutionEnvironment has no setStateBackend at dccb7821: only the
    // Configuration form.
    assert!(!out.contains("setStateBackend"), "{out}");
    assert!(out.contains("getExecutionEnvironment(config)"), "{out}");
}

#[test]
fn flink_2_0_refuses_the_jobmanager_backend() {
    let e = explained("flink-2.0-jobmanager/config.yaml", "2.0");
    // rt/state/StateBackendLoader.java:157 @ dccb7821: 2.0's shortcuts are
    // hashmap, rocksdb, forst; 'jobmanager' is loaded as a factory class and
    // fails with "Cannot find configured state backend factory class".
    let err = e.outcome.as_ref().unwrap_err();
    assert_eq!(err.key.as_deref(), Some("state.backend.type"));
    assert!(
        err.message
            .contains("Cannot find configured state backend factory class: jobmanager")
    );
    let (code, out, err) = cli("flink-2.0-jobmanager/config.yaml", "2.0");
    assert_eq!(code, 2);
    assert!(out.contains("ERROR"), "{out}");
    assert!(err.contains("config.yaml:4: `state.backend.type`"), "{err}");
}

#[test]
fn flink_2_0_does_not_read_flink_conf_yaml() {
    // conf/GlobalConfiguration.java:43,138 @ dccb7821: only "config.yaml".
    let e = explained("flink-2.0-legacy-file/flink-conf.yaml", "2.0");
    assert!(e.not_read.is_some());
    let r = e.outcome.as_ref().unwrap();
    // Nothing applies: the 1.19+ default backend, no directory, JobManager
    // storage (CheckpointStorageLoader.java:250 @ dccb7821).
    assert_eq!(r.config.backend, Backend::HashMap);
    assert_eq!(r.config.checkpoint_dir, None);
    assert!(matches!(r.config.storage, Storage::JobManager { .. }));
    // What to write is the file's intent, in 2.0's keys.
    assert!(
        e.written
            .as_ref()
            .unwrap()
            .entries
            .contains(&("state.backend.type".into(), "rocksdb".into()))
    );
    assert!(
        e.written
            .as_ref()
            .unwrap()
            .entries
            .contains(&("execution.checkpointing.incremental".into(), "true".into()))
    );
    let (code, out, _) = cli("flink-2.0-legacy-file/flink-conf.yaml", "2.0");
    assert_eq!(code, 0);
    assert!(out.contains("this file is not read"), "{out}");
}

#[test]
fn bad_input_exits_2() {
    let (code, _, err) = cli("flink-1.6/flink-conf.yaml", "1.5");
    assert_eq!(code, 2);
    assert!(err.contains("1.5"), "{err}");
    let (code, _, err) = cli("missing/flink-conf.yaml", "1.20");
    assert_eq!(code, 2);
    assert!(err.contains("missing/flink-conf.yaml"), "{err}");
    let tmp = tempfile::tempdir().unwrap();
    let bad = write(
        tmp.path(),
        "config.yaml",
        "state:\n  backend:\n    type: rocksdb\n  backend: x\n",
    );
    let o = statecap([
        "explain-config".as_ref(),
        bad.as_os_str(),
        "--flink-version".as_ref(),
        "1.20".as_ref(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("config.yaml: line 4") && err.contains("duplicate key"),
        "{err}"
    );
}

/// A 1.6 job with a checkpoint directory and no backend: the default
/// MemoryStateBackend fails checkpoints (as the seed job did).
const SEED_LIKE_16: &str = r#"name = "seed_like_16"
flink_version = "1.6.2"
seed = 5

[source]
records = 30000
events_per_second = 1000
keys = 1000
record_bytes = 1018

[job]
parallelism = 2

[[operator]]
name = "window"
kind = "window"
assigner = "tumbling"
size = "20 s"
function = "apply"

[flink_conf]
"state.checkpoints.dir" = "file:///tmp/checkpoints"

[checkpoints]
every_records = 2500
"#;

fn run_json(
    dir: &std::path::Path,
    scenario: &std::path::Path,
    conf: Option<&std::path::Path>,
) -> serde_json::Value {
    let out = dir.join("out");
    let mut args: Vec<std::ffi::OsString> = vec![
        "run".into(),
        scenario.into(),
        "--out".into(),
        out.clone().into(),
        "--quiet".into(),
    ];
    if let Some(c) = conf {
        args.push("--flink-conf".into());
        args.push(c.into());
    }
    let o = statecap(&args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = std::fs::read_to_string(out.join("seed_like_16/summary.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn run_takes_backend_and_storage_from_the_flink_conf_file() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = write(tmp.path(), "seed_like_16.toml", SEED_LIKE_16);
    let failed =
        |j: &serde_json::Value| j["operators"][0]["summary"]["failed_checkpoints"].as_u64();
    let j = run_json(tmp.path(), &scenario, None);
    assert_eq!(j["backend"], "MemoryStateBackend");
    assert!(failed(&j).unwrap() > 0);

    // The same job with the file that sets the backend: files, no limit.
    let conf_dir = tmp.path().join("conf");
    std::fs::create_dir(&conf_dir).unwrap();
    let conf = write(
        &conf_dir,
        "flink-conf.yaml",
        "state.backend: filesystem\nstate.checkpoints.dir: hdfs:///flink/checkpoints\n",
    );
    let j = run_json(tmp.path(), &scenario, Some(&conf));
    assert_eq!(j["backend"], "FsStateBackend");
    assert_eq!(j["storage"], "filesystem");
    assert_eq!(failed(&j), Some(0));

    // [checkpoints] storage (the job's code) still wins over the file.
    let explicit = SEED_LIKE_16.replace(
        "every_records = 2500\n",
        "every_records = 2500\nstorage = \"jobmanager\"\n",
    );
    let scenario = write(tmp.path(), "seed_like_16.toml", &explicit);
    let j = run_json(tmp.path(), &scenario, Some(&conf));
    assert_eq!(j["storage"], "jobmanager");
}

#[test]
fn run_flink_conf_errors_name_the_file_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = write(tmp.path(), "seed_like_16.toml", SEED_LIKE_16);
    // 'hashmap' is no shortcut in 1.6 (StateBackendLoader.java @ release-1.6.2).
    let conf = write(
        tmp.path(),
        "flink-conf.yaml",
        "# prod\nstate.backend: hashmap\n",
    );
    let o = statecap([
        "run".as_ref(),
        scenario.as_os_str(),
        "--flink-conf".as_ref(),
        conf.as_os_str(),
        "--out".as_ref(),
        tmp.path().join("out").as_os_str(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("flink-conf.yaml:2: `state.backend`"), "{err}");
    assert!(!tmp.path().join("out").exists());
}
