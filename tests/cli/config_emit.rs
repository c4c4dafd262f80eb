//! The one writer of Flink configuration (`statecap::flink::emit`), read
//! back: for every Flink version statecap knows (1.6 to 2.2) and every
//! backend / storage / incremental option that version can select from a
//! configuration file, what `emit` writes, saved under the file name that
//! version reads and loaded by statecap's own reader for that version,
//! selects the same backend, storage, directory, incremental flag, timers,
//! limits and checkpoint interval. The Java and SQL forms use only API that
//! exists in the version (each rule below names the class and the release
//! it is measured at), and `compare` prints them.
//!
//! The options are worked by hand from Flink's loaders, not taken from
//! statecap's planner: `StateBackendLoader` shortcuts `jobmanager`,
//! `filesystem`, `rocksdb` [release-1.6.2]; `hashmap` from [release-1.13.0]
//! (FLIP-142), with `CheckpointStorageLoader` choosing JobManager or file
//! storage; `jobmanager` and `filesystem` gone and `forst` new at [2.0]
//! (`StateBackendLoader.java:76 @ dccb7821`).

use statecap::flink::FlinkVersion;
use statecap::flink::conf_file;
use statecap::flink::config::{
    Backend, DEFAULT_CHECKPOINT_TIMEOUT_MS, DEFAULT_FRAME_SIZE, DEFAULT_MAX_STATE_SIZE, Explicit,
    Limits, Resolution, ResolvedConfig, Setting, Storage, TimerStore, default_inline_threshold,
    resolve_detailed,
};
use statecap::flink::emit::{Emitted, Wanted, emit};
use statecap::flink::version::known_versions;

use super::support::{manifest_dir, statecap, stdout, write};

const DIR: &str = "s3://bucket/flink/checkpoints";

/// A configuration as Flink would run it, by hand.
fn config(
    v: FlinkVersion,
    backend: Backend,
    jm: bool,
    incremental: bool,
    dir: Option<&str>,
    timers: TimerStore,
) -> ResolvedConfig {
    let storage = if jm {
        Storage::JobManager {
            max_state_size: DEFAULT_MAX_STATE_SIZE,
        }
    } else {
        Storage::FileSystem {
            inline_threshold: default_inline_threshold(v),
        }
    };
    ResolvedConfig {
        version: v,
        backend,
        storage,
        incremental,
        checkpoint_dir: dir.map(str::to_string),
        reasons: Vec::new(),
        limits: Limits {
            max_state_size: jm.then_some(DEFAULT_MAX_STATE_SIZE),
            inline_threshold: default_inline_threshold(v),
            frame_size: DEFAULT_FRAME_SIZE,
            checkpoint_timeout_ms: DEFAULT_CHECKPOINT_TIMEOUT_MS,
        },
        timers,
    }
}

/// Every option version `v` can select from its configuration file.
fn options(v: FlinkVersion) -> Vec<ResolvedConfig> {
    let legacy = !v.at_least(1, 13);
    // RocksDBOptions.TIMER_SERVICE_FACTORY: HEAP [release-1.6.2]–[release-1.9.0],
    // ROCKSDB from [release-1.10.0]; either can be set.
    let rocks_timers = [TimerStore::Heap, TimerStore::RocksDb];
    let mut out = Vec::new();
    if legacy {
        // MemoryStateBackend is its own (JobManager) storage, with or
        // without a directory for _metadata; FsStateBackend writes files.
        out.push(config(
            v,
            Backend::Memory,
            true,
            false,
            None,
            TimerStore::Heap,
        ));
        out.push(config(
            v,
            Backend::Memory,
            true,
            false,
            Some(DIR),
            TimerStore::Heap,
        ));
        out.push(config(
            v,
            Backend::Fs,
            false,
            false,
            Some(DIR),
            TimerStore::Heap,
        ));
        for inc in [false, true] {
            for t in rocks_timers {
                out.push(config(v, Backend::RocksDb, false, inc, Some(DIR), t));
            }
        }
        return out;
    }
    if v.major < 2 {
        // 'jobmanager' still loads the deprecated MemoryStateBackend
        // (StateBackendLoader [release-1.13.5] .. 1.20).
        out.push(config(
            v,
            Backend::Memory,
            true,
            false,
            None,
            TimerStore::Heap,
        ));
    }
    for (jm, dir) in [(true, None), (true, Some(DIR)), (false, Some(DIR))] {
        out.push(config(
            v,
            Backend::HashMap,
            jm,
            false,
            dir,
            TimerStore::Heap,
        ));
        for inc in [false, true] {
            for t in rocks_timers {
                out.push(config(v, Backend::RocksDb, jm, inc, dir, t));
            }
        }
    }
    if v.major >= 2 {
        // ForSt: always incremental (ForStStateBackend [2.0]); timers in
        // ForStDB by default, or on the heap.
        for t in [TimerStore::ForStDb, TimerStore::Heap] {
            out.push(config(v, Backend::ForSt, false, true, Some(DIR), t));
        }
    }
    out
}

/// Saves `e` as the file its version reads and resolves it as that
/// version does.
fn read_back(e: &Emitted, dir: &std::path::Path) -> Resolution {
    let path = write(dir, e.file_name(), &e.file_text("written by statecap"));
    let conf = conf_file::load(&path, e.version).unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(conf.not_read, None, "{}: {:?}", e.version, conf.not_read);
    assert!(
        conf.notes.is_empty(),
        "{}: the reader notes {:?} in\n{}",
        e.version,
        conf.notes,
        e.file_text("")
    );
    resolve_detailed(e.version, &conf.entries, &Explicit::default())
        .unwrap_or_else(|err| panic!("{}: {err}\n{}", e.version, e.file_text("")))
}

fn same_selection(want: &ResolvedConfig, got: &ResolvedConfig, text: &str) {
    let v = want.version;
    assert_eq!(got.backend, want.backend, "{v}: backend\n{text}");
    assert_eq!(
        got.incremental, want.incremental,
        "{v}: incremental\n{text}"
    );
    assert_eq!(got.checkpoint_dir, want.checkpoint_dir, "{v}: dir\n{text}");
    assert_eq!(got.timers, want.timers, "{v}: timers\n{text}");
    assert_eq!(
        got.limits.max_state_size, want.limits.max_state_size,
        "{v}: memory-backed limit\n{text}"
    );
    assert_eq!(got.limits.frame_size, want.limits.frame_size, "{v}\n{text}");
    assert_eq!(
        got.limits.checkpoint_timeout_ms, want.limits.checkpoint_timeout_ms,
        "{v}\n{text}"
    );
    assert_eq!(got.storage, want.storage, "{v}: storage\n{text}");
}

#[test]
fn every_version_and_option_reads_back_as_written() {
    let tmp = tempfile::tempdir().unwrap();
    let mut checked = 0;
    for v in known_versions() {
        let dir = tmp.path().join(v.to_string());
        std::fs::create_dir_all(&dir).unwrap();
        for want in options(v) {
            for interval in [None, Some(10_200)] {
                let e = emit(
                    v,
                    &Wanted {
                        config: &want,
                        checkpoint_interval_ms: interval,
                        carried: Vec::new(),
                    },
                );
                let r = read_back(&e, &dir);
                let text = e.file_text("");
                same_selection(&want, &r.config, &text);
                // The interval is a configuration key from 1.10
                // (ExecutionCheckpointingOptions, new in [release-1.10.0]);
                // before, only the job's code sets it.
                let expect = if v.at_least(1, 10) { interval } else { None };
                assert_eq!(r.checkpoint_interval_ms, expect, "{v}\n{text}");
                check_java(&e, &want, interval);
                check_sql(&e);
                checked += 1;
            }
        }
    }
    // 1.6–1.12: 7 options each; 1.13–1.20: 16; 2.0–2.2: 17; each twice.
    assert_eq!(checked, 2 * (7 * 7 + 8 * 16 + 3 * 17));
}

#[test]
fn carried_settings_read_back_too() {
    let tmp = tempfile::tempdir().unwrap();
    for v in known_versions() {
        let dir = tmp.path().join(v.to_string());
        std::fs::create_dir_all(&dir).unwrap();
        let mut want = config(
            v,
            Backend::RocksDb,
            false,
            true,
            Some(DIR),
            TimerStore::RocksDb,
        );
        // A 4 KiB inline threshold, a 20-minute timeout and a 50 MiB frame.
        want.storage = Storage::FileSystem {
            inline_threshold: 4096,
        };
        want.limits.inline_threshold = 4096;
        want.limits.checkpoint_timeout_ms = 1_200_000;
        want.limits.frame_size = 52_428_800;
        want.timers = emit_default_rocks_timers(v);
        let mut carried = vec![
            (Setting::SavepointDir, "s3://bucket/savepoints".to_string()),
            (Setting::InlineThreshold, "4kb".to_string()),
            (Setting::FrameSize, "52428800b".to_string()),
        ];
        if v.at_least(1, 10) {
            carried.push((Setting::Timeout, "20 min".to_string()));
        } else {
            want.limits.checkpoint_timeout_ms = DEFAULT_CHECKPOINT_TIMEOUT_MS;
        }
        let e = emit(
            v,
            &Wanted {
                config: &want,
                checkpoint_interval_ms: None,
                carried,
            },
        );
        let r = read_back(&e, &dir);
        same_selection(&want, &r.config, &e.file_text(""));
        assert!(
            r.decision(Setting::SavepointDir)
                .is_some_and(|d| d.value == "s3://bucket/savepoints"),
            "{v}"
        );
        // The frame size is a cluster setting: never in SQL nor in the
        // job's Configuration.
        assert!(
            e.sql
                .iter()
                .all(|l| !l.starts_with("SET") || !l.contains("framesize"))
        );
        assert!(e.java.iter().all(|l| !l.contains("framesize")), "{v}");
    }
}

fn emit_default_rocks_timers(v: FlinkVersion) -> TimerStore {
    if v.at_least(1, 10) {
        TimerStore::RocksDb
    } else {
        TimerStore::Heap
    }
}

/// The Java form uses only API that exists in `e.version`.
fn check_java(e: &Emitted, want: &ResolvedConfig, interval: Option<u64>) {
    let v = e.version;
    let java = e.java.join("\n");
    let has = |s: &str| java.contains(s);
    // MemoryStateBackend, FsStateBackend, RocksDBStateBackend and
    // StreamExecutionEnvironment.setStateBackend are absent at 2.0
    // (dccb7821); the Configuration handed to getExecutionEnvironment is
    // the only way.
    if v.major >= 2 {
        for gone in [
            "setStateBackend",
            "MemoryStateBackend",
            "FsStateBackend",
            "new RocksDBStateBackend",
            "setCheckpointStorage",
        ] {
            assert!(!has(gone), "{v} has no {gone}:\n{java}");
        }
        assert!(has("getExecutionEnvironment(config)"), "{v}:\n{java}");
    }
    // HashMapStateBackend, EmbeddedRocksDBStateBackend,
    // CheckpointConfig.setCheckpointStorage and JobManagerCheckpointStorage
    // are new in release-1.13.0 (FLIP-142).
    if !v.at_least(1, 13) {
        for new in [
            "HashMapStateBackend",
            "EmbeddedRocksDBStateBackend",
            "setCheckpointStorage",
            "JobManagerCheckpointStorage",
        ] {
            assert!(!has(new), "{v} has no {new}:\n{java}");
        }
        let class = match want.backend {
            Backend::Memory => "new MemoryStateBackend(",
            Backend::Fs => "new FsStateBackend(",
            _ => "new RocksDBStateBackend(",
        };
        assert!(has(class), "{v}:\n{java}");
    }
    // CheckpointingOptions.CHECKPOINTING_INTERVAL and the Configuration
    // form are shown from 1.20, where setStateBackend is @Deprecated
    // (StreamExecutionEnvironment.java:725 @ f6f88135).
    if !v.at_least(1, 20) {
        assert!(
            !has("CheckpointingOptions.CHECKPOINTING_INTERVAL"),
            "{v}:\n{java}"
        );
        assert!(!has("getExecutionEnvironment(config)"), "{v}:\n{java}");
    }
    if let Some(ms) = interval {
        assert!(
            has(&format!("enableCheckpointing({ms})")) || has(&format!("Duration.ofMillis({ms})")),
            "{v}: the interval\n{java}"
        );
    }
}

/// SQL `SET` only where the version's SQL client takes it: `SET key =
/// value;` in 1.13, `SET 'key' = 'value';` from 1.14 (sqlClient.md
/// [release-1.13.5], [release-1.14.2]); nothing before 1.13. The SQL sets
/// exactly the file's keys, less the cluster-wide frame size.
fn check_sql(e: &Emitted) {
    let v = e.version;
    let sets: Vec<&String> = e.sql.iter().filter(|l| l.starts_with("SET")).collect();
    if !v.at_least(1, 13) {
        assert!(sets.is_empty(), "{v}: {:?}", e.sql);
        assert!(
            e.sql.iter().all(|l| l.starts_with("--")),
            "{v}: {:?}",
            e.sql
        );
        return;
    }
    let frame = Setting::FrameSize.keys(v).unwrap().key;
    let keys: Vec<&str> = e
        .entries
        .iter()
        .map(|(k, _)| k.as_str())
        .filter(|k| *k != frame)
        .collect();
    assert_eq!(sets.len(), keys.len(), "{v}: {:?}", e.sql);
    for (set, key) in sets.iter().zip(keys) {
        let expect = if v.at_least(1, 14) {
            format!("SET '{key}' = '")
        } else {
            format!("SET {key} = ")
        };
        assert!(set.starts_with(&expect), "{v}: {set}");
    }
}

/// `statecap compare` prints the configuration through the same writer:
/// no `SET` on 1.6, whose SQL client cannot set it; no `setStateBackend`
/// on 2.0, which removed it; and the recommended file reads back.
#[test]
fn compare_writes_what_the_version_takes() {
    let seed =
        std::fs::read_to_string(manifest_dir().join("scenarios/seed_flink16_memory_backend.toml"))
            .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    for (version, file) in [("1.6.2", "flink-conf.yaml"), ("2.0", "config.yaml")] {
        let text = seed.replace(
            "flink_version = \"1.6.2\"",
            &format!("flink_version = \"{version}\""),
        );
        let scenario = write(tmp.path(), &format!("seed_{version}.toml"), &text);
        let out_dir = tmp.path().join(format!("out-{version}"));
        let o = statecap([
            "compare".as_ref(),
            scenario.as_os_str(),
            "--out".as_ref(),
            out_dir.as_os_str(),
        ]);
        let out = stdout(&o);
        assert_eq!(o.status.code(), Some(0), "{out}");
        if version == "1.6.2" {
            assert!(!out.contains("SET '"), "{out}");
            assert!(out.contains("cannot set these per job"), "{out}");
        } else {
            assert!(!out.contains("setStateBackend"), "{out}");
            assert!(out.contains("getExecutionEnvironment(config)"), "{out}");
        }
        // The recommended file is in the version's own format and name,
        // and `run --flink-conf` takes it.
        let rec = out_dir
            .join("seed_flink16_memory_backend-compare")
            .join(format!("recommended-{file}"));
        assert!(rec.is_file(), "{} missing:\n{out}", rec.display());
        let o = statecap([
            "run".as_ref(),
            scenario.as_os_str(),
            "--flink-conf".as_ref(),
            rec.as_os_str(),
            "--out".as_ref(),
            tmp.path().join(format!("run-{version}")).as_os_str(),
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
        // As deployed, checkpoint 20 fails; with the recommendation none does.
        assert!(!stdout(&o).contains("FAILED"), "{}", stdout(&o));
    }
}
