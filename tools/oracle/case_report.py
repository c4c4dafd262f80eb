#!/usr/bin/env python3
"""Per-checkpoint x subtask file table of one oracle run kept with --keep-tmp (patched OracleJob that
writes out/handles.tsv + out/inline/ and keeps RocksDB LOGs in work/rocksdb-log/).

    python3 case_report.py RUN_DIR CASE_ID FLINK_VERSION OUT_PREFIX

RUN_DIR = /tmp/oracle-runs/<id> (or a copy). Writes
  OUT_PREFIX.files.csv     one row per checkpoint x subtask x file
  OUT_PREFIX.sums.csv      per checkpoint x subtask: sums vs the oracle's keyed_state_bytes / checkpointed_bytes
  OUT_PREFIX.timeline.txt  per subtask: RocksDB flush/compaction events interleaved with checkpoint barriers
"""
import csv
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sst_parse import Sst  # noqa: E402

EV_RE = re.compile(r"EVENT_LOG_v1 (\{.*\})\s*$")
MOVE_RE = re.compile(r"\[(?P<cf>[^\]]+)\] Moving #(?P<num>\d+) to level-(?P<lvl>\d+)")
TS_RE = re.compile(r"^(\d{4})/(\d\d)/(\d\d)-(\d\d):(\d\d):(\d\d)\.(\d{6})")


def parse_log(path):
    """-> events (dicts, time_micros), file info {num: {...}}"""
    evs = []
    files = {}
    job_cf = {}
    job_kind = {}
    job_outlevel = {}
    with open(path, errors="replace") as f:
        for line in f:
            m = EV_RE.search(line)
            if m:
                try:
                    e = json.loads(m.group(1))
                except ValueError:
                    continue
                evs.append(e)
                ev = e.get("event")
                if ev == "flush_started":
                    job_kind[e["job"]] = "flush"
                elif ev == "compaction_started":
                    job_kind[e["job"]] = "compaction"
                    job_outlevel[e["job"]] = e.get("output_level")
                if ev == "table_file_creation":
                    job_cf[e["job"]] = e.get("cf_name")
                continue
            m = MOVE_RE.search(line)
            if m:
                t = TS_RE.match(line)
                evs.append({"event": "trivial_move", "cf_name": m.group("cf"), "file_number": int(m.group("num")),
                            "to_level": int(m.group("lvl")), "time_micros": None, "line": line.strip()})
    for e in evs:
        if e.get("event") == "table_file_creation":
            job = e["job"]
            kind = job_kind.get(job, "?")
            lvl = 0 if kind == "flush" else job_outlevel.get(job)
            files[e["file_number"]] = {"cf": e.get("cf_name"), "job": job, "kind": kind, "level": lvl,
                                       "created_us": e["time_micros"], "size": e.get("file_size"),
                                       "moves": []}
        elif e.get("event") == "trivial_move":
            if e["file_number"] in files:
                files[e["file_number"]]["moves"].append(e["to_level"])
    # compaction_started carries the output level in 8.x; in 6.20 take it from compaction_finished
    for e in evs:
        if e.get("event") == "compaction_finished":
            for num, fi in files.items():
                if fi["job"] == e["job"] and fi["kind"] == "compaction" and fi["level"] is None:
                    fi["level"] = e.get("output_level")
    return evs, files


def subtask_of_log(name):
    m = re.search(r"__(\d+)_(\d+)__uuid", name)
    return int(m.group(1)) - 1 if m else None


def main(run_dir, case, version, out_prefix):
    out = os.path.join(run_dir, "out")
    handles = list(csv.DictReader(open(os.path.join(out, "handles.tsv")), delimiter="\t"))
    meas = {(r["checkpoint_id"], r["subtask_index"]): r for r in csv.DictReader(open(os.path.join(out, "measurements.csv")))}
    snaps = {}
    for line in open(os.path.join(out, "source_log.csv")):
        f = line.strip().split(",")
        if f[0] == "SNAPSHOT":
            snaps[int(f[1])] = (int(f[2]), int(f[6]))
        if f[0] == "COMPLETE":
            snaps.setdefault(int(f[1]), (int(f[2]), 0))
    logs = {}
    logdir = os.path.join(run_dir, "work", "rocksdb-log")
    if os.path.isdir(logdir):
        for fn in os.listdir(logdir):
            st = subtask_of_log(fn)
            if st is not None and fn.endswith("LOG"):
                logs[st] = parse_log(os.path.join(logdir, fn))
    rows = []
    prev_files = {}
    cache = {}
    by_ck = {}
    for h in handles:
        by_ck.setdefault((int(h["checkpoint_id"]), int(h["subtask"])), []).append(h)
    sums = []
    for (cid, st) in sorted(by_ck):
        hs = by_ck[(cid, st)]
        rec = snaps.get(cid, ("", 0))[0]
        files_info = logs.get(st, ([], {}))[1]
        cur = set()
        tot = 0
        new_bytes = 0
        priv = 0
        meta = 0
        inline = 0
        kgs = 0
        for h in hs:
            size = int(h["size"])
            tot += size
            loc = h["location"]
            if loc.startswith("inline:"):
                inline += size
            r = {"case": case, "flink_version": version, "checkpoint_id": cid, "records": rec, "subtask": st,
                 "which": h["which"], "role": h["role"], "local_path": h["local_path"], "size": size,
                 "stored": "inline" if loc.startswith("inline:") else "file", "handle_class": h["handle_class"]}
            if h["role"] == "meta":
                meta += size
            elif h["role"] == "private":
                priv += size
            elif h["role"] == "kgs":
                kgs += size
            if h["role"] == "shared":
                key = h["local_path"]
                cur.add(key)
                isnew = key not in prev_files.get(st, set())
                r["new_or_reused"] = "new" if isnew else "reused"
                if isnew:
                    new_bytes += size
                path = os.path.join(out, "inline", loc[7:]) if loc.startswith("inline:") else loc
                if not os.path.exists(path):  # copied run dir: remap /tmp/oracle-runs/<id>
                    path = path.replace("/tmp/oracle-runs/" + case, run_dir)
                try:
                    s = cache.get(path) or Sst(open(path, "rb").read(), path)
                    cache[path] = s
                    p = s.props
                    r.update({"cf": p.get("rocksdb.column.family.name"), "entries": p.get("rocksdb.num.entries"),
                              "deletions": p.get("rocksdb.deleted.keys"), "merge_operands": p.get("rocksdb.merge.operands"),
                              "raw_key_size": p.get("rocksdb.raw.key.size"), "raw_value_size": p.get("rocksdb.raw.value.size"),
                              "data_size": p.get("rocksdb.data.size"), "index_size": p.get("rocksdb.index.size"),
                              "data_blocks": p.get("rocksdb.num.data.blocks")})
                except Exception as ex:  # noqa
                    r["cf"] = "parse-error: %s" % ex
                num = int(key.split(".")[0]) if key.endswith(".sst") else None
                fi = files_info.get(num)
                if fi:
                    lvl = fi["level"]
                    if fi["moves"]:
                        lvl = "%s(moved->%s)" % (lvl, ",".join(map(str, fi["moves"])))
                    r["level"] = lvl
                    r["created_by"] = "%s job %s" % (fi["kind"], fi["job"])
                    snap_ms = snaps.get(cid, (0, 0))[1]
                    if snap_ms and fi["created_us"]:
                        r["created_ms_before_barrier"] = snap_ms - fi["created_us"] // 1000
            rows.append(r)
        prev_files[st] = cur
        m = meas.get((str(cid), str(st)), {})
        sums.append({"case": case, "flink_version": version, "checkpoint_id": cid, "records": rec, "subtask": st,
                     "n_shared": len(cur), "meta": meta, "shared_total": tot - meta - priv - kgs, "private": priv,
                     "raw_kgs": kgs, "sum_all": tot, "inline_bytes": inline,
                     "new_shared_bytes": new_bytes, "meta+new_shared+private": meta + new_bytes + priv,
                     "oracle_keyed_state_bytes": m.get("keyed_state_bytes"),
                     "oracle_checkpointed_bytes": m.get("checkpointed_bytes"),
                     "oracle_raw_keyed_bytes": m.get("raw_keyed_bytes"),
                     "handle_checkpointed_size": hs[0].get("handle_checkpointed_size")})
    cols = ["case", "flink_version", "checkpoint_id", "records", "subtask", "which", "role", "local_path", "cf",
            "level", "size", "stored", "new_or_reused", "entries", "deletions", "merge_operands", "raw_key_size",
            "raw_value_size", "data_size", "index_size", "data_blocks", "created_by", "created_ms_before_barrier",
            "handle_class"]
    with open(out_prefix + ".files.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=cols, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    with open(out_prefix + ".sums.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(sums[0]))
        w.writeheader()
        w.writerows(sums)
    # timeline
    with open(out_prefix + ".timeline.txt", "w") as f:
        for st in sorted(logs):
            evs = logs[st][0]
            items = []
            for cid, (rec, ms) in snaps.items():
                if ms:
                    items.append((ms * 1000, "=== BARRIER/SNAPSHOT checkpoint %d (records %d) [source thread time]" % (cid, rec)))
            for e in evs:
                t = e.get("time_micros")
                if t is None:
                    continue
                ev = e["event"]
                if ev == "flush_started":
                    s = "flush_started job %d entries=%s deletes=%s reason=%s mem=%s" % (
                        e["job"], e.get("num_entries"), e.get("num_deletes"), e.get("flush_reason"), e.get("memory_usage"))
                elif ev == "table_file_creation":
                    tp = e.get("table_properties", {})
                    s = "  table_file_creation #%d cf=%s job %d size=%d entries=%s dels=%s merges=%s" % (
                        e["file_number"], e.get("cf_name"), e["job"], e["file_size"], tp.get("num_entries"),
                        tp.get("num_deletions"), tp.get("num_merge_operands"))
                elif ev == "flush_finished":
                    s = "flush_finished job %d lsm=%s" % (e["job"], e.get("lsm_state"))
                elif ev == "compaction_started":
                    ins = {k: v for k, v in e.items() if k.startswith("files_L")}
                    s = "compaction_started job %d reason=%s score=%s inputs=%s input_bytes=%s" % (
                        e["job"], e.get("compaction_reason"), e.get("score"), ins, e.get("input_data_size"))
                elif ev == "compaction_finished":
                    s = "compaction_finished job %d out_level=%s out_files=%s out_bytes=%s in_records=%s out_records=%s lsm=%s" % (
                        e["job"], e.get("output_level"), e.get("num_output_files"), e.get("total_output_size"),
                        e.get("num_input_records"), e.get("num_output_records"), e.get("lsm_state"))
                elif ev == "table_file_deletion":
                    s = "  table_file_deletion #%d" % e["file_number"]
                else:
                    s = ev
                items.append((t, s))
            items.sort(key=lambda x: x[0])
            f.write("##### subtask %d\n" % st)
            t0 = items[0][0] if items else 0
            for t, s in items:
                f.write("%10.3f ms  %s\n" % ((t - t0) / 1000.0, s))
    print("rows", len(rows), "sums", len(sums))


if __name__ == "__main__":
    main(*sys.argv[1:5])
