//! RocksDB on the TaskManagers: `check` and `compare` say how much local
//! disk a TaskManager needs and how Flink splits the slot's managed memory;
//! a disk one byte too small and a managed memory that makes memtables
//! flush on every write fail `check` in every format, on the scenario line
//! that decides it.

use crate::support::{statecap, stdout, write};
use std::path::Path;

const SCENARIO: &str = include_str!("../data/fit/rocksdb_tm.toml");

/// The scenario with its managed memory and disk lines rewritten.
fn scenario(dir: &Path, managed: &str, disk: &str) -> std::path::PathBuf {
    let text: String = SCENARIO
        .lines()
        .map(|l| {
            if l.contains("# MANAGED") {
                format!("\"taskmanager.memory.managed.size\" = \"{managed}\"   # MANAGED")
            } else if l.contains("# DISK") {
                format!("taskmanager_disk = {disk}   # DISK")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    write(dir, "rocksdb_tm.toml", &text)
}

fn line_of(path: &Path, marker: &str) -> usize {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .position(|l| l.contains(marker))
        .unwrap()
        + 1
}

fn check_json(path: &Path) -> (i32, serde_json::Value) {
    let o = statecap(["check", path.to_str().unwrap(), "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    (o.status.code().unwrap(), v["scenarios"][0].clone())
}

#[test]
fn managed_memory_split_is_flinks_formula() {
    // taskmanager.memory.managed.size 256 MiB over taskmanager.numberOfTaskSlots
    // 2: 134217728 B per slot. RocksDBMemoryControllerUtils, write-buffer
    // ratio 0.5: cache (long) ((3 − 0.5) · 134217728 / 3) = 111848106;
    // write-buffer manager (long) (2 · 134217728 · 0.5 / 3) = 44739242.
    let d = tempfile::tempdir().unwrap();
    let p = scenario(d.path(), "256 mb", "\"50 gb\"");
    let (code, s) = check_json(&p);
    assert_eq!(code, 0, "{s}");
    let t = &s["taskmanagers"];
    assert_eq!(t["rocksdb_memory_slot_bytes"], 134_217_728);
    assert_eq!(t["block_cache_bytes"], 111_848_106);
    assert_eq!(t["write_buffer_bytes"], 44_739_242);
    assert_eq!(t["slots_per_taskmanager"], 2);
    assert_eq!(t["memtables_flush_early"], false);
    // The working directory holds at least every file a checkpoint lists,
    // and a TaskManager's two slots at least the largest subtask.
    let sub = t["local_disk_subtask_bytes"].as_u64().unwrap();
    let tm = t["local_disk_taskmanager_bytes"].as_u64().unwrap();
    assert!(sub >= s["largest_subtask_bytes"].as_u64().unwrap(), "{t}");
    assert!(tm > sub && tm <= 2 * sub, "{t}");
}

#[test]
fn a_disk_one_byte_too_small_fails_check_on_its_line() {
    let d = tempfile::tempdir().unwrap();
    let p = scenario(d.path(), "256 mb", "\"50 gb\"");
    let (_, s) = check_json(&p);
    let need = s["taskmanagers"]["local_disk_taskmanager_bytes"]
        .as_u64()
        .unwrap();
    // Exactly the need: holds.
    let p = scenario(d.path(), "256 mb", &need.to_string());
    let (code, s) = check_json(&p);
    assert_eq!(code, 0, "{s}");
    // One byte less: fails, at the disk's line, in every format.
    let p = scenario(d.path(), "256 mb", &(need - 1).to_string());
    let line = line_of(&p, "# DISK");
    let (code, s) = check_json(&p);
    assert_eq!(code, 1, "{s}");
    assert_eq!(s["status"], "fails");
    assert_eq!(s["field"], "cluster.taskmanager_disk");
    assert_eq!(s["line"], line);
    let msg = s["message"].as_str().unwrap();
    assert!(
        msg.contains(&format!("({need} B)")) && msg.contains(&format!("({} B) disk", need - 1)),
        "{msg}"
    );
    let text = statecap(["check", p.to_str().unwrap()]);
    assert_eq!(text.status.code(), Some(1));
    assert!(
        stdout(&text).starts_with("FAIL rocksdb_tm:"),
        "{}",
        stdout(&text)
    );
    let gh = stdout(&statecap([
        "check",
        p.to_str().unwrap(),
        "--format",
        "github",
    ]));
    assert!(
        gh.starts_with(&format!(
            "::error file={},line={line},col=1,title=statecap%3A rocksdb_tm will not fit its TaskManagers::",
            p.to_str().unwrap().replace(':', "%3A")
        )),
        "{gh}"
    );
    let junit = stdout(&statecap([
        "check",
        p.to_str().unwrap(),
        "--format",
        "junit",
    ]));
    assert!(junit.contains("failures=\"1\""), "{junit}");
    assert!(junit.contains("<failure type=\"ResourceFit\""), "{junit}");
    // compare: the scenario's own option fails on the disk, the table says so.
    let out = d.path().join("out");
    let c = statecap([
        "compare",
        p.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let table = stdout(&c);
    let row = table
        .lines()
        .find(|l| l.starts_with("rocksdb incremental "))
        .unwrap_or_else(|| panic!("{table}"));
    assert!(row.contains("local disk: one TaskManager needs"), "{row}");
}

#[test]
fn managed_memory_too_small_for_two_memtables_fails_check() {
    // Flink 1.20 (FRocksDB 6.20): arena block 64 MiB / 8 = 8 MiB; the
    // window contents and the timers are written: 2 · (8388608 + 2048) =
    // 16781312 B must fit the write-buffer manager's mutable limit.
    // 108 MiB over 2 slots = 56623104 B: buffers (long) (56623104 / 3) =
    // 18874368, limit 18874368 · 7 / 8 = 16515072 < 16781312: fails.
    // 110 MiB over 2 slots = 57671680 B: buffers 19223893, limit 16820906
    // ≥ 16781312: holds.
    let d = tempfile::tempdir().unwrap();
    let p = scenario(d.path(), "108 mb", "\"50 gb\"");
    let line = line_of(&p, "# MANAGED");
    let (code, s) = check_json(&p);
    assert_eq!(code, 1, "{s}");
    assert_eq!(s["field"], "flink_conf.taskmanager.memory.managed.size");
    assert_eq!(s["line"], line);
    assert_eq!(s["taskmanagers"]["write_buffer_bytes"], 18_874_368);
    assert_eq!(s["taskmanagers"]["memtables_flush_early"], true);
    assert!(
        s["message"]
            .as_str()
            .unwrap()
            .contains("RocksDB will flush memtable constantly"),
        "{s}"
    );
    let p = scenario(d.path(), "110 mb", "\"50 gb\"");
    let (code, s) = check_json(&p);
    assert_eq!(code, 0, "{s}");
    assert_eq!(s["taskmanagers"]["write_buffer_bytes"], 19_223_893);
    assert_eq!(s["taskmanagers"]["memtables_flush_early"], false);
}

#[test]
fn a_zero_disk_is_refused_at_its_field() {
    let d = tempfile::tempdir().unwrap();
    let p = scenario(d.path(), "256 mb", "0");
    let line = line_of(&p, "# DISK");
    let o = statecap(["check", p.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = crate::support::stderr(&o);
    assert!(
        err.contains(&format!(":{line}:")) && err.contains("cluster.taskmanager_disk"),
        "{err}"
    );
}

#[test]
fn local_recovery_keeps_the_last_checkpoints_files_on_disk() {
    // With local recovery the last checkpoint's directory stays until the
    // next completes: the files compaction dropped since stay on disk, so a
    // TaskManager needs more; the memory split does not move.
    let d = tempfile::tempdir().unwrap();
    let p = scenario(d.path(), "256 mb", "\"50 gb\"");
    let (_, off) = check_json(&p);
    let text = std::fs::read_to_string(&p).unwrap().replace(
        "[flink_conf]",
        "[flink_conf]\n\"execution.checkpointing.local-backup.enabled\" = \"true\"",
    );
    let p = write(d.path(), "rocksdb_tm_local.toml", &text);
    let (code, on) = check_json(&p);
    assert_eq!(code, 0, "{on}");
    let disk = |v: &serde_json::Value| {
        v["taskmanagers"]["local_disk_taskmanager_bytes"]
            .as_u64()
            .unwrap()
    };
    assert!(disk(&on) > disk(&off), "{} vs {}", disk(&on), disk(&off));
    assert_eq!(
        on["taskmanagers"]["write_buffer_bytes"],
        off["taskmanagers"]["write_buffer_bytes"]
    );
}
