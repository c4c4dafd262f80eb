#!/usr/bin/env python3
"""Converts oracle results into statecap's ground-truth layout.

    python3 to_ground_truth.py --results results/2.2.1 --out ../../tests/ground-truth-rocksdb \
        --only A_proc_sld60s10s_rdbincr --rename A_proc_sld60s10s_rdbincr=V22_proc_sld60s10s_rdbincr

Reads `<results>/measurements.csv`, `runs.csv` and `traces/<id>.csv.gz` (what `run.py` writes) and
writes, per scenario,

    <out>/cases/<case>/scenario.toml   the job in statecap's scenario format (v1)
    <out>/cases/<case>/expected.csv    records,checkpoint,subtask,key_group_start,key_group_end,
                                       checkpoint_status,state_bytes,checkpointed_bytes,source,flink_message
    <out>/traces/<name>.csv.gz         key,ts_ms,bytes,key_group (shared by every case with the same input)
    <out>/cases.csv                    one line per case (existing lines of other cases are kept)

the same layout as ../../../shared/ground-truth (see its README), so `gt_check.py --cases <out>` reads it.

Mapping (the same as the shared set's):
- one expected row per window subtask of the first COMPLETED checkpoint at each phase boundary
  (`boundary_first`); `records` = records emitted before the barrier, `checkpoint` = records / phase_records.
  The cancel-time checkpoint ("Checkpoint Coordinator is suspending", FAILED, no new records) is dropped.
- `state_bytes` = keyed_state_bytes + raw_keyed_bytes (the window operator's managed + raw keyed state;
  raw is non-zero only with RocksDB + HEAP timers), i.e. the subtask's OperatorSubtaskState size;
  `checkpointed_bytes` = checkpointed_bytes + raw_keyed_bytes (a raw keyed handle is always uploaded whole).
  Both are checked against the independent CheckpointStatsTracker reading (stats_* columns).
- A FAILED checkpoint at a boundary with no completed one keeps its rows with the failure's `Size=`
  (source failure-report) when Flink logged one, else an empty state_bytes.
- trace: `ts` -> `ts_ms`, `payload_bytes` -> serialized record size (8 + 8 + varint(len+1) + len),
  named k<keys>-<dist>-rate<eps>-b<bytes>-n<records>-seed<seed>[-jitter<ms>].csv.gz; an existing trace of
  the same name must be identical (it is the same deterministic input).
"""
import argparse
import csv
import gzip
import io
import os
import sys

EXP_COLS = ["records", "checkpoint", "subtask", "key_group_start", "key_group_end", "checkpoint_status",
            "state_bytes", "checkpointed_bytes", "source", "flink_message"]
CASE_COLS = ["case", "flink_version", "backend", "snapshot", "storage", "window", "function", "parallelism",
             "keys", "key_distribution", "compression", "outcome", "expected_rows", "sizes_of_failed_from",
             "flink_job_ms", "flink_wall_s"]


def varint_len(n):
    k = 1
    while n >= 0x80:
        n >>= 7
        k += 1
    return k


def record_bytes(payload):
    return 8 + 8 + varint_len(payload + 1) + payload


def truthy(v):
    return str(v).strip().lower() in ("true", "1", "yes")


def short_version(v):
    return ".".join(v.split(".")[:2])


def fmt_num(v):
    f = float(v)
    return str(int(f)) if f == int(f) else repr(f)


def trace_name(p):
    dist = p["key_dist"] + (fmt_num(p["zipf_s"]) if p["key_dist"] == "zipf" else "")
    name = (f"k{p['key_count']}-{dist}-rate{p['events_per_sec_event_time']}-b{record_bytes(int(p['payload_bytes']))}"
            f"-n{p['records']}-seed{p['seed']}")
    if int(p["ts_jitter_ms"] or 0):
        name += f"-jitter{p['ts_jitter_ms']}"
    return name + ".csv.gz"


def scenario_toml(case, p, version):
    L = [f"# Measured on Apache Flink {version} (local MiniCluster); expected sizes in expected.csv.",
         f"# Oracle scenario {p['scenario_id']} (tools/oracle); payload {p['payload_bytes']} chars, {p['payload_mode']}.",
         f'name = "{case}"', f'flink_version = "{short_version(version)}"', f"seed = {p['seed']}", "",
         "[source]", f"records = {p['records']}", f"events_per_second = {p['events_per_sec_event_time']}",
         f"keys = {p['key_count']}", f'key_distribution = "{p["key_dist"]}"']
    if p["key_dist"] == "zipf":
        L.append(f"zipf_exponent = {fmt_num(p['zipf_s'])}")
    L += ['key_type = "long"', f"record_bytes = {record_bytes(int(p['payload_bytes']))}",
          f"jitter_ms = {int(p['ts_jitter_ms'] or 0)}", f"out_of_orderness_ms = {int(p['out_of_orderness_ms'] or 0)}",
          f"watermark_every_records = {int(p['wm_every'] or 1)}", f'trace = "../../traces/{trace_name(p)}"', "",
          "[job]", f"parallelism = {p['parallelism']}"]
    if p["max_parallelism"] not in ("", "default"):
        L.append(f"max_parallelism = {p['max_parallelism']}")
    L += ["", "[[operator]]", 'name = "window"', 'kind = "window"', f'assigner = "{p["window_kind"]}"']
    if p["window_kind"] == "session":
        L.append(f"gap_ms = {p['session_gap_ms']}")
    else:
        L.append(f"size_ms = {p['window_size_ms']}")
        if p["window_kind"] == "sliding":
            L.append(f"slide_ms = {p['window_slide_ms']}")
    L += ['time = "event"', f"allowed_lateness_ms = {int(p['allowed_lateness_ms'] or 0)}",
          f'function = "{p["function_kind"]}"']
    if p["function_kind"] == "aggregate":
        L.append("accumulator_bytes = 16")
    L += ["", "[state]", f'backend = "{p["backend"]}"']
    if p["backend"] == "rocksdb":
        L.append(f'timer_service = "{(p["timer_service"] or "ROCKSDB").lower()}"')
    L += [f"incremental = {'true' if truthy(p['incremental']) else 'false'}",
          f"compression = {'true' if truthy(p['compression']) else 'false'}", "",
          "[checkpoints]", f"every_records = {p['phase_records']}", f'storage = "{p["checkpoint_storage"]}"']
    return "\n".join(L) + "\n"


def convert_trace(src):
    out = io.StringIO()
    with gzip.open(src, "rt") as f:
        r = csv.reader(f)
        head = next(r)
        if head != ["key", "ts", "payload_bytes", "key_group"]:
            raise SystemExit(f"{src}: unexpected trace header {head}")
        out.write("key,ts_ms,bytes,key_group\n")
        for key, ts, pb, kg in r:
            out.write(f"{key},{ts},{record_bytes(int(pb))},{kg}\n")
    return out.getvalue()


def read_gz_text(path):
    with gzip.open(path, "rt") as f:
        return f.read()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--results", required=True, help="oracle results/<version> folder")
    ap.add_argument("--out", required=True, help="ground-truth folder (cases.csv, cases/, traces/)")
    ap.add_argument("--only", nargs="*", help="scenario ids (default: every rocksdb scenario in runs.csv)")
    ap.add_argument("--rename", nargs="*", default=[], help="scenario_id=case_name")
    ap.add_argument("--all-backends", action="store_true", help="also hashmap scenarios")
    a = ap.parse_args()

    rename = dict(x.split("=", 1) for x in a.rename)
    runs = {r["scenario_id"]: r for r in csv.DictReader(open(os.path.join(a.results, "runs.csv")))}
    meas = {}
    for r in csv.DictReader(open(os.path.join(a.results, "measurements.csv"))):
        meas.setdefault(r["scenario_id"], []).append(r)
    ids = a.only or [s for s, r in runs.items() if r["status"] == "ok" and (a.all_backends or r["backend"] == "rocksdb")]
    os.makedirs(os.path.join(a.out, "cases"), exist_ok=True)
    os.makedirs(os.path.join(a.out, "traces"), exist_ok=True)
    cases_csv = os.path.join(a.out, "cases.csv")
    case_rows = {r["case"]: r for r in csv.DictReader(open(cases_csv))} if os.path.exists(cases_csv) else {}

    for sid in ids:
        if sid not in runs or runs[sid]["status"] != "ok":
            raise SystemExit(f"{sid}: no ok run in {a.results}/runs.csv")
        run = runs[sid]
        rows = meas[sid]
        p = dict(rows[0])
        version = p["flink_version"]
        case = rename.get(sid, sid)
        B = int(p["phase_records"])
        P = int(p["parallelism"])

        # boundary -> rows of the first completed checkpoint (else the failed ones)
        by_rec = {}
        for r in rows:
            if not r["records_emitted"]:  # the cancel-time checkpoint: no source log entry
                continue
            rec = int(r["records_emitted"])
            if rec == 0 or rec % B:
                continue
            by_rec.setdefault(rec, []).append(r)
        expected, outcome, failed_from = [], "completed", ""
        for rec in sorted(by_rec):
            rs = [r for r in by_rec[rec] if r["boundary_first"] == "true"]
            status = "completed"
            if not rs:  # no completed checkpoint at this boundary: the first failed one
                first_id = min(int(r["checkpoint_id"]) for r in by_rec[rec])
                rs = [r for r in by_rec[rec] if int(r["checkpoint_id"]) == first_id]
                status, outcome = "failed", "failed"
            if len({r["subtask_index"] for r in rs}) != P:
                raise SystemExit(f"{sid}: records={rec}: {len(rs)} subtask rows, parallelism {P}")
            for r in sorted(rs, key=lambda r: int(r["subtask_index"])):
                raw = int(r["raw_keyed_bytes"] or 0)
                src, msg = "measured", ""
                if status == "completed":
                    sb = int(r["keyed_state_bytes"]) + raw
                    cb = int(r["checkpointed_bytes"]) + raw
                    # an independent second reading: Flink's checkpoint stats of the same subtask
                    if r["stats_state_bytes"] and int(r["stats_state_bytes"]) != sb:
                        print(f"warning {sid} records={rec} subtask={r['subtask_index']}: "
                              f"stats_state_bytes {r['stats_state_bytes']} != {sb}", file=sys.stderr)
                    if r["stats_checkpointed_bytes"] and int(r["stats_checkpointed_bytes"]) != cb:
                        print(f"warning {sid} records={rec} subtask={r['subtask_index']}: "
                              f"stats_checkpointed_bytes {r['stats_checkpointed_bytes']} != {cb}", file=sys.stderr)
                    sb, cb = str(sb), str(cb)
                elif r["failure_state_size"]:
                    sb, cb, src, msg = r["failure_state_size"], "", "failure-report", r["failure_message"]
                else:
                    sb, cb, src = "", "", "not-measured"
                expected.append({"records": rec, "checkpoint": rec // B, "subtask": r["subtask_index"],
                                 "key_group_start": r["key_group_start"], "key_group_end": r["key_group_end"],
                                 "checkpoint_status": status, "state_bytes": sb, "checkpointed_bytes": cb,
                                 "source": src, "flink_message": msg})
        want = int(p["records"]) // B
        if len(by_rec) != want:
            print(f"warning {sid}: {len(by_rec)} boundaries measured, {want} expected", file=sys.stderr)

        cdir = os.path.join(a.out, "cases", case)
        os.makedirs(cdir, exist_ok=True)
        with open(os.path.join(cdir, "scenario.toml"), "w") as f:
            f.write(scenario_toml(case, p, version))
        with open(os.path.join(cdir, "expected.csv"), "w", newline="") as f:
            w = csv.DictWriter(f, EXP_COLS, lineterminator="\n")
            w.writeheader()
            w.writerows(expected)

        tname = os.path.join(a.out, "traces", trace_name(p))
        text = convert_trace(os.path.join(a.results, "traces", sid + ".csv.gz"))
        if os.path.exists(tname):
            if read_gz_text(tname) != text:
                raise SystemExit(f"{sid}: trace differs from the existing {tname}")
        else:
            with gzip.GzipFile(tname, "wb", compresslevel=9, mtime=0) as f:
                f.write(text.encode())

        case_rows[case] = {
            "case": case, "flink_version": short_version(version), "backend": p["backend"],
            "snapshot": "incremental" if truthy(p["incremental"]) else "full", "storage": p["checkpoint_storage"],
            "window": p["window_kind"], "function": p["function_kind"], "parallelism": P, "keys": p["key_count"],
            "key_distribution": p["key_dist"], "compression": "true" if truthy(p["compression"]) else "false",
            "outcome": outcome, "expected_rows": len(expected), "sizes_of_failed_from": failed_from,
            "flink_job_ms": run["job_ms"], "flink_wall_s": run["wall_s"]}
        print(f"{sid} ({version}) -> {case}: {len(expected)} rows, trace {os.path.basename(tname)}")

    with open(cases_csv, "w", newline="") as f:
        w = csv.DictWriter(f, CASE_COLS, lineterminator="\n")
        w.writeheader()
        for c in sorted(case_rows):
            w.writerow({k: case_rows[c].get(k, "") for k in CASE_COLS})


if __name__ == "__main__":
    main()
