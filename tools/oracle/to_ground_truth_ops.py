#!/usr/bin/env python3
"""Converts oracle results of the operator shapes (operator=process|dedup|interval_join|join|
process_window) into statecap's ground-truth layout with an `operator` column.

    python3 to_ground_truth_ops.py --results results/1.20.5 --out ../../tests/ground-truth-ops \
        --only OP_process_p2_k1000_timer [--rename ID=CASE]

Writes, per scenario,

    <out>/cases/<case>/scenario.toml   the job in the proposed scenario format (../FORMAT.md there)
    <out>/cases/<case>/expected.csv    records,checkpoint,operator,subtask,key_group_start,key_group_end,
                                       checkpoint_status,state_bytes,checkpointed_bytes,source,flink_message
    <out>/cases/<case>/states.csv.gz   heap cases: every state of every subtask at every expected checkpoint,
                                       decoded from the snapshot (entries, framing, namespace/key/value bytes)
    <out>/traces/<name>.csv.gz         key,ts_ms,bytes,key_group,stream,sub_key,proc_ms
    <out>/cases.csv                    one line per case

Rows: the first COMPLETED checkpoint at each phase boundary (boundary_first), one row per subtask of
every keyed operator (two for the process_window chain), in pipeline order. state_bytes =
keyed_state_bytes + raw_keyed_bytes of that operator's subtask; both are checked against Flink's
CheckpointStatsTracker reading of the same subtask (stats_state_bytes), which counts the whole
task (the keyed operator and its chained sink), so they must be equal.
"""
import argparse
import csv
import gzip
import io
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from to_ground_truth import record_bytes, short_version, fmt_num, truthy  # noqa: E402

EXP_COLS = ["records", "checkpoint", "operator", "subtask", "key_group_start", "key_group_end",
            "checkpoint_status", "state_bytes", "checkpointed_bytes", "source", "flink_message"]
CASE_COLS = ["case", "flink_version", "job", "operators", "backend", "snapshot", "storage", "parallelism",
             "keys", "key_distribution", "ttl", "ttl_update", "ttl_cleanup", "outcome", "expected_rows",
             "max_state_bytes", "flink_job_ms", "flink_wall_s"]
STATE_COLS = ["records", "checkpoint", "operator", "subtask", "state_id", "state", "backend_type", "keyed_type",
              "meta_bytes", "entries", "key_groups", "framing_bytes", "ns_bytes", "key_bytes", "value_bytes",
              "value_min", "value_max", "total_bytes", "serializers"]

ORDER = {"process": 0, "dedup": 0, "dedup_left": 0, "dedup_right": 1, "interval_join": 0, "join": 2, "window": 3}
TWO = ("interval_join", "join", "dedup_join", "sql_join")
TWO_INPUTS = TWO


def side(p, k, default=None):
    v = p.get("b_" + k)
    return v if v not in (None, "") else (p.get(k) if default is None else default)


def trace_name(p):
    dist = p["key_dist"] + (fmt_num(p["zipf_s"]) if p["key_dist"] == "zipf" else "")
    name = (f"k{p['key_count']}-{dist}-rate{p['events_per_sec_event_time']}-b{record_bytes(int(p['payload_bytes']))}")
    if p["operator"] in TWO:
        bdist = side(p, "key_dist")
        bdist += fmt_num(side(p, "zipf_s")) if bdist == "zipf" else ""
        bseed = p.get("b_seed") or int(p["seed"]) + 1
        name = ("L-" + name + f"--R-k{side(p, 'key_count')}-{bdist}-rate{side(p, 'events_per_sec_event_time')}"
                f"-b{record_bytes(int(side(p, 'payload_bytes')))}-seed{bseed}")
    name += f"-n{p['records']}-seed{p['seed']}"
    if int(p.get("ts_jitter_ms") or 0):
        name += f"-jitter{p['ts_jitter_ms']}"
    if int(p.get("map_subkeys") or 0):
        name += f"-sub{p['map_subkeys']}"
    if int(p.get("proc_lag_ms") or 0):
        name += f"-lag{p['proc_lag_ms']}"
    if p["operator"].startswith("sql_"):
        # SQL key rows (their own key groups) and the phase clock (proc_ms)
        name += f"-sql-phase{p['phase_records']}"
    return name + ".csv.gz"


def q(s):
    return '"' + str(s) + '"'


def ms(v):
    v = int(v)
    if v and v % 1000 == 0:
        return q(f"{v // 1000} s")
    return q(f"{v} ms")


def ttl_lines(p, pre=""):
    if pre:
        p = {k[len(pre):]: v for k, v in p.items() if k.startswith(pre)}
    if int(p.get("ttl_ms") or 0) <= 0:
        return []
    cl = p.get("ttl_cleanup") or "none"
    L = [f"ttl = {ms(p['ttl_ms'])}", f"ttl_update = {q(p.get('ttl_update') or 'OnCreateAndWrite')}",
         f"ttl_visibility = {q(p.get('ttl_visibility') or 'NeverReturnExpired')}",
         f"ttl_cleanup = {q({'compaction': 'compaction_filter'}.get(cl, cl))}"]
    if cl == "incremental":
        L.append(f"ttl_cleanup_size = {p.get('ttl_incremental_size') or 5}   # cleanupIncrementally(n, false)")
    if cl == "compaction":
        L.append(f"ttl_query_time_after_entries = {p.get('ttl_compact_entries') or 1000}")
    return L


def source_lines(p, name, pre, trace, stream):
    rb = record_bytes(int(pre["payload_bytes"]))
    L = [f"name = {q(name)}"]
    if stream:
        L.append(f'stream = "{stream}"                         # rows of the trace whose stream column is {stream}')
    L += [f"events_per_second = {pre['events_per_sec_event_time']}", f"keys = {pre['key_count']}",
          f"key_distribution = {q(pre['key_dist'])}"]
    if pre["key_dist"] == "zipf":
        L.append(f"zipf_exponent = {fmt_num(pre['zipf_s'])}")
    L += ['key_type = "long"', f"record_bytes = {rb}", f"seed = {pre['seed']}", f"trace = {q('../../traces/' + trace)}"]
    return L


def scenario_toml(case, p, version):
    op = p["operator"]
    trace = trace_name(p)
    two = op in TWO
    sql = op.startswith("sql_")
    proc = (['processing_time = "checkpoint"            # processed at the next checkpoint: its last record\'s ts '
             "+ processing_lag_ms (the proc_ms column)", "processing_lag_ms = 0"] if sql else
            ['processing_time = "event_time"            # logical processing time of a record = ts + processing_lag_ms',
             f"processing_lag_ms = {int(p.get('proc_lag_ms') or 0)}"])
    L = [f"# Measured on Apache Flink {version} (local MiniCluster); expected sizes in expected.csv.",
         f"# Oracle scenario {p['id']} (tools/oracle, operator={op}); format: ../../FORMAT.md (proposed v2).",
         f'name = "{case}"', f'flink_version = "{short_version(version)}"', f"seed = {p['seed']}", ""]
    common = [f"out_of_orderness_ms = {int(p.get('out_of_orderness_ms') or 0)}",
              f"watermark_every_records = {int(p.get('wm_every') or 1)}",
              f"jitter_ms = {int(p.get('ts_jitter_ms') or 0)}"]
    if two:
        L += ["[input]                                  # one source task emits both streams, merged by event time",
              f"records = {p['records']}                        # rows of the merged trace",
              f"trace = {q('../../traces/' + trace)}"] + common + proc + [""]
        pb = dict(p)
        for k in ("key_count", "key_dist", "zipf_s", "events_per_sec_event_time", "payload_bytes"):
            pb[k] = side(p, k)
        pb["seed"] = p.get("b_seed") or int(p["seed"]) + 1
        L += ["[[source]]"] + source_lines(p, "left", p, trace, "L") + [""]
        L += ["[[source]]"] + source_lines(p, "right", pb, trace, "R") + [""]
    else:
        L += ["[source]", f"records = {p['records']}"] + source_lines(p, "input", p, trace, None)[1:] + common
        L += proc + [""]
    L += ["[job]", f"parallelism = {p['parallelism']}"]
    if p.get("max_parallelism") not in ("", None, "default"):
        L.append(f"max_parallelism = {p['max_parallelism']}")
    L.append("")
    if op in ("process", "process_window"):
        L += ["[[operator]]", 'name = "process"', 'kind = "process"', f"parallelism = {p['parallelism']}",
              'input = "input"', 'emits = "input"                           # forwards every record unchanged']
        delay = int(p.get("timer_delay_ms") or 0)
        if delay:
            L += [f"timer = {{ time = \"event\", delay = {ms(delay)}, clears = [\"events\"] }}   "
                  "# a timer at ts + delay per record (deduplicated per key and timestamp)"]
        ttl = ttl_lines(p)
        L += ["", "[[operator.state]]", 'name = "count"', 'kind = "value"', "value_bytes = 8", 'write = "every_record"'] + ttl
        cap = int(p.get("list_cap") or 0)
        if cap:
            L += ["", "[[operator.state]]", 'name = "last"', 'kind = "list"', 'element = "record"',
                  f"max_elements = {cap}", 'write = "every_record"                   # append; when full, clear and re-add the newest max_elements'] + ttl
        sub = int(p.get("map_subkeys") or 0)
        if sub:
            L += ["", "[[operator.state]]", 'name = "events"', 'kind = "map"',
                  'map_key = { column = "sub_key", type = "string", prefix = "e" }   # the string "e<sub_key>"',
                  f"map_keys = {sub}", "value_bytes = 8", 'write = "every_record"                   # put(sub_key, ts)'] + ttl
        L.append("")
    if op == "dedup":
        L += ["[[operator]]", 'name = "dedup"', 'kind = "dedup"', f"parallelism = {p['parallelism']}", 'input = "input"',
              "                                          # ValueState<Boolean> \"seen\" written on a key's first record"] + ttl_lines(p) + [""]
    if op == "sql_dedup":
        keep = p.get("sql_keep") or "first"
        L += ["[[operator]]", 'name = "dedup"', 'kind = "dedup"', 'style = "sql"',
              "# SELECT ... ROW_NUMBER() OVER (PARTITION BY k ORDER BY proctime" + (" DESC" if keep == "last" else "")
              + ") = 1 ... WHERE rn = 1",
              f'keep = "{keep}"', f"parallelism = {p['parallelism']}", 'input = "input"']
        if int(p.get("ttl_ms") or 0) > 0:
            L.append(f"ttl = {ms(p['ttl_ms'])}                              # table.exec.state.ttl")
        L.append("")
    if op == "sql_join":
        u, bu = p.get("sql_unique") or "none", p.get("b_sql_unique") or p.get("sql_unique") or "none"
        L += ["[[operator]]", 'name = "join"', 'kind = "join"', 'style = "sql"',
              "# SELECT * FROM L JOIN R ON L.k = R.k (a unique key: the primary key of an insert-only changelog stream)",
              f"unique_key = {q(u) if u == bu else '[' + q(u) + ', ' + q(bu) + ']'}",
              f"parallelism = {p['parallelism']}", 'input = ["left", "right"]', ""]
        if int(p.get("ttl_ms") or 0) > 0:
            L[-1:] = ["", "[flink_conf]", f"\"table.exec.state.ttl\" = {ms(p['ttl_ms'])}", ""]
    if op == "interval_join":
        L += ["[[operator]]", 'name = "interval_join"', 'kind = "interval_join"', f"parallelism = {p['parallelism']}",
              'input = ["left", "right"]', 'time = "event"', f"lower = {q(str(int(p['join_lower_ms'] if p.get('join_lower_ms') not in ('', None) else -1000)) + ' ms')}",
              f"upper = {q(str(int(p['join_upper_ms'] if p.get('join_upper_ms') not in ('', None) else 1000)) + ' ms')}",
              "lower_inclusive = true", "upper_inclusive = true", ""]
    if op == "join":
        L += ["[[operator]]", 'name = "join"', 'kind = "join"', f"parallelism = {p['parallelism']}",
              'input = ["left", "right"]', 'retain = "all"                            # ListState "left" / "right": every record'
              + ("" if ttl_lines(p) else ", forever")] + ttl_lines(p) + [""]
    if op == "dedup_join":
        for sd in ("left", "right"):
            L += ["[[operator]]", f'name = "dedup_{sd}"', 'kind = "dedup"',
                  f"parallelism = {p.get('dedup_' + sd + '_parallelism') or p['parallelism']}", f'input = "{sd}"',
                  'emits = "first"                           # the record that finds no "seen" value goes on to the join'
                  ] + ttl_lines(p, "dedup_") + [""]
        L += ["[[operator]]", 'name = "join"', 'kind = "join"', f"parallelism = {p['parallelism']}",
              'input = ["dedup_left", "dedup_right"]', 'retain = "all"                            # ListState "left" / "right": every record it receives'
              ] + ttl_lines(p) + [""]
    if op in ("window", "process_window"):
        wp = p.get("window_parallelism") or p["parallelism"]
        L += ["[[operator]]", 'name = "window"', 'kind = "window"', f"parallelism = {wp}"]
        if op == "process_window":
            L.append('input = "process"')
        L.append(f'assigner = "{p["window_kind"]}"')
        if p["window_kind"] == "session":
            L.append(f"gap_ms = {p['session_gap_ms']}")
        else:
            L.append(f"size_ms = {p['window_size_ms']}")
            if p["window_kind"] == "sliding":
                L.append(f"slide_ms = {p['window_slide_ms']}")
        L += ['time = "event"', f"allowed_lateness_ms = {int(p.get('allowed_lateness_ms') or 0)}",
              f'function = "{p["function_kind"]}"']
        if p["function_kind"] == "aggregate":
            L.append("accumulator_bytes = 16")
        L.append("")
    L += ["[state]", f'backend = "{p["backend"]}"']
    if p["backend"] == "rocksdb":
        L.append(f'timer_service = "{(p.get("timer_service") or "ROCKSDB").lower()}"')
    L += [f"incremental = {'true' if truthy(p['incremental']) else 'false'}",
          f"compression = {'true' if truthy(p['compression']) else 'false'}", "",
          "[checkpoints]", f"every_records = {p['phase_records']}", f'storage = "{p["checkpoint_storage"]}"']
    return "\n".join(L) + "\n"


def convert_trace(src):
    out = io.StringIO()
    with gzip.open(src, "rt") as f:
        r = csv.reader(f)
        head = next(r)
        if head != ["key", "ts", "payload_bytes", "key_group", "stream", "sub_key", "proc_ms"]:
            raise SystemExit(f"{src}: unexpected trace header {head}")
        out.write("key,ts_ms,bytes,key_group,stream,sub_key,proc_ms\n")
        for key, ts, pb, kg, stream, sub, proc in r:
            out.write(f"{key},{ts},{record_bytes(int(pb))},{kg},{stream},{sub},{proc}\n")
    return out.getvalue()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--results", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--only", nargs="*")
    ap.add_argument("--rename", nargs="*", default=[])
    a = ap.parse_args()
    rename = dict(x.split("=", 1) for x in a.rename)
    runs = {r["scenario_id"]: r for r in csv.DictReader(open(os.path.join(a.results, "runs.csv")))}
    meas = {}
    for r in csv.DictReader(open(os.path.join(a.results, "measurements.csv"))):
        meas.setdefault(r["scenario_id"], []).append(r)
    ids = a.only or [s for s, r in runs.items() if r["status"] == "ok" and r.get("job") not in ("", "window", None)]
    os.makedirs(os.path.join(a.out, "cases"), exist_ok=True)
    os.makedirs(os.path.join(a.out, "traces"), exist_ok=True)
    cases_csv = os.path.join(a.out, "cases.csv")
    case_rows = {r["case"]: r for r in csv.DictReader(open(cases_csv))} if os.path.exists(cases_csv) else {}
    bad = 0
    for sid in ids:
        run = runs[sid]
        if run["status"] != "ok":
            raise SystemExit(f"{sid}: no ok run")
        p = json.load(open(os.path.join(a.results, "runs", sid, "params.json")))
        rows = meas[sid]
        version = rows[0]["flink_version"]
        case = rename.get(sid, sid)
        B = int(p["phase_records"])
        by_rec = {}
        for r in rows:
            if not r["records_emitted"]:
                continue
            rec = int(r["records_emitted"])
            if rec == 0 or rec % B:
                continue
            by_rec.setdefault(rec, []).append(r)
        expected, cid_of = [], {}
        for rec in sorted(by_rec):
            rs = [r for r in by_rec[rec] if r["boundary_first"] == "true"]
            if not rs:
                raise SystemExit(f"{sid}: no completed checkpoint at {rec} records")
            cid_of[rec] = rs[0]["checkpoint_id"]
            for r in sorted(rs, key=lambda r: (ORDER[r["operator"]], int(r["subtask_index"]))):
                raw = int(r["raw_keyed_bytes"] or 0)
                sb = int(r["keyed_state_bytes"]) + raw
                cb = int(r["checkpointed_bytes"]) + raw
                if r["stats_state_bytes"] and int(r["stats_state_bytes"]) != sb:
                    bad += 1
                    print(f"warning {sid} records={rec} {r['operator']}/{r['subtask_index']}: stats {r['stats_state_bytes']} != {sb}",
                          file=sys.stderr)
                expected.append({"records": rec, "checkpoint": rec // B, "operator": r["operator"],
                                 "subtask": r["subtask_index"], "key_group_start": r["key_group_start"],
                                 "key_group_end": r["key_group_end"], "checkpoint_status": "completed",
                                 "state_bytes": sb, "checkpointed_bytes": cb, "source": "measured", "flink_message": ""})
        if len(by_rec) != int(p["records"]) // B:
            print(f"warning {sid}: {len(by_rec)} boundaries, {int(p['records']) // B} expected", file=sys.stderr)
        cdir = os.path.join(a.out, "cases", case)
        os.makedirs(cdir, exist_ok=True)
        with open(os.path.join(cdir, "scenario.toml"), "w") as f:
            f.write(scenario_toml(case, p, version))
        with open(os.path.join(cdir, "expected.csv"), "w", newline="") as f:
            w = csv.DictWriter(f, EXP_COLS, lineterminator="\n")
            w.writeheader()
            w.writerows(expected)
        st_path = os.path.join(a.results, "runs", sid, "states.tsv")
        if p["backend"] == "hashmap" and os.path.exists(st_path):
            rec_of = {v: k for k, v in cid_of.items()}
            out_rows = []
            for r in csv.DictReader(open(st_path), delimiter="\t"):
                if r["checkpoint_id"] not in rec_of:
                    continue
                if r["operator"] == "DECODE_ERROR":
                    raise SystemExit(f"{sid}: decode error in states.tsv")
                rec = rec_of[r["checkpoint_id"]]
                d = {k: r.get(k, "") for k in STATE_COLS}
                d.update({"records": rec, "checkpoint": rec // B})
                out_rows.append(d)
            out_rows.sort(key=lambda d: (d["records"], ORDER.get(d["operator"], 9), int(d["subtask"]),
                                         -1 if d["state_id"] == "-" else int(d["state_id"])))
            # the decoded totals must add up to the measured bytes
            tot = {}
            for d in out_rows:
                if d["state_id"] == "-":
                    tot[(d["records"], d["operator"], d["subtask"])] = int(d["total_bytes"])
            for e in expected:
                t = tot.get((e["records"], e["operator"], str(e["subtask"])))
                if t is not None and t != int(e["state_bytes"]):
                    bad += 1
                    print(f"warning {sid}: decoded {t} != measured {e['state_bytes']}", file=sys.stderr)
            buf = io.StringIO()
            w = csv.DictWriter(buf, STATE_COLS, lineterminator="\n")
            w.writeheader()
            w.writerows(out_rows)
            with gzip.GzipFile(os.path.join(cdir, "states.csv.gz"), "wb", compresslevel=9, mtime=0) as f:
                f.write(buf.getvalue().encode())
        tname = os.path.join(a.out, "traces", trace_name(p))
        text = convert_trace(os.path.join(a.results, "traces", sid + ".csv.gz"))
        if os.path.exists(tname):
            with gzip.open(tname, "rt") as f:
                if f.read() != text:
                    raise SystemExit(f"{sid}: trace differs from the existing {tname}")
        else:
            with gzip.GzipFile(tname, "wb", compresslevel=9, mtime=0) as f:
                f.write(text.encode())
        ops = []
        for e in expected:
            if e["operator"] not in ops:
                ops.append(e["operator"])
        ttl = int(p.get("ttl_ms") or 0)
        case_rows[case] = {
            "case": case, "flink_version": short_version(version), "job": p["operator"], "operators": "+".join(ops),
            "backend": p["backend"], "snapshot": "incremental" if truthy(p["incremental"]) else "full",
            "storage": p["checkpoint_storage"],
            "parallelism": (f"{p['parallelism']}+{p.get('window_parallelism') or p['parallelism']}" if p["operator"] == "process_window"
                            else f"{p.get('dedup_left_parallelism') or p['parallelism']}+{p.get('dedup_right_parallelism') or p['parallelism']}+{p['parallelism']}"
                            if p["operator"] == "dedup_join" else p["parallelism"]),
            "keys": p["key_count"] if p["operator"] not in TWO else f"{p['key_count']}/{side(p, 'key_count')}",
            "key_distribution": p["key_dist"], "ttl": f"{ttl} ms" if ttl else "",
            "ttl_update": (p.get("ttl_update") or "OnCreateAndWrite") if ttl else "",
            # Flink SQL's TTL: StateConfigUtil.createTtlConfig, the default cleanup
            "ttl_cleanup": ("default" if p["operator"].startswith("sql_") else (p.get("ttl_cleanup") or "none")) if ttl else "",
            "outcome": "completed", "expected_rows": len(expected),
            "max_state_bytes": max(int(e["state_bytes"]) for e in expected),
            "flink_job_ms": run["job_ms"], "flink_wall_s": run["wall_s"]}
        print(f"{sid} ({version}) -> {case}: {len(expected)} rows, trace {os.path.basename(tname)}")
    with open(cases_csv, "w", newline="") as f:
        w = csv.DictWriter(f, CASE_COLS, lineterminator="\n")
        w.writeheader()
        for c in case_rows:  # existing cases in their order, new ones appended
            w.writerow({k: case_rows[c].get(k, "") for k in CASE_COLS})
    if bad:
        raise SystemExit(f"{bad} mismatches")


if __name__ == "__main__":
    main()
