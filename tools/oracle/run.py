#!/usr/bin/env python3
"""Ground-truth oracle driver: runs real Flink jobs in a local MiniCluster and records the exact
per-subtask keyed-state snapshot sizes of every checkpoint.

    python3 run.py                                  # all scenarios of scenarios/core.json, Flink 1.20.5
    python3 run.py --scenarios scenarios/core.json --only seed_failure_p8 --force
    python3 run.py --match 'rocks' --flink 1.20.5
    python3 run.py --list

Steps: (1) pip-installs apache-flink-libraries==<version> into .flink-<version>/ (jars only),
(2) compiles src/oracle/OracleJob.java into build/<version>/, (3) runs the selected scenarios,
(4) appends rows to results/<version>/measurements.csv (one row per scenario x checkpoint x
subtask), results/<version>/checkpoints.csv (one row per scenario x checkpoint),
results/<version>/failures.csv, results/<version>/runs.csv, and writes per-scenario files
results/<version>/traces/<id>.csv.gz, keygroups/<id>.csv.gz, assignment/<id>.json,
runs/<id>/{source_log.csv,run_info.txt,params.json}.
"""
import argparse
import csv
import fnmatch
import glob
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_VERSION = "1.20.5"

JVM_OPTS = [
    "--add-exports=java.base/sun.net.util=ALL-UNNAMED",
    "--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED",
    "--add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED",
    "--add-opens=java.base/java.lang=ALL-UNNAMED",
    "--add-opens=java.base/java.net=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
    "--add-opens=java.base/java.text=ALL-UNNAMED",
    "--add-opens=java.base/java.time=ALL-UNNAMED",
    "--add-opens=java.base/java.util=ALL-UNNAMED",
    "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
    "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
    "--add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED",
]

# Scenario parameters and their defaults (also the CSV parameter columns, in this order).
PARAM_DEFAULTS = {
    "backend": "hashmap",  # hashmap | rocksdb
    "checkpoint_storage": "filesystem",  # filesystem | jobmanager
    "incremental": False,
    "compression": False,
    "timer_service": "",  # rocksdb only: ROCKSDB (Flink default) | HEAP
    "parallelism": 3,
    "max_parallelism": "",  # "" = Flink default
    "key_count": 10000,
    "key_dist": "uniform",  # uniform | zipf
    "zipf_s": "",
    "seed": 42,
    "records": 100000,
    "phase_records": 10000,
    "events_per_sec_event_time": 1000,
    "payload_bytes": 100,
    "payload_mode": "random",  # random | const
    "ts_jitter_ms": 0,
    "out_of_orderness_ms": 0,
    "wm_every": 1,
    "window_kind": "tumbling",  # tumbling | sliding | session
    "window_size_ms": 5000,
    "window_slide_ms": "",
    "session_gap_ms": "",
    "allowed_lateness_ms": 0,
    "function_kind": "process",  # process | aggregate | reduce
    "checkpoint_interval_ms": 100,
    "operator": "window",  # window | process | dedup | interval_join | join | process_window
}

SCENARIO_COLS = ["scenario_id", "flink_version"] + [
    "backend", "checkpoint_storage", "incremental", "compression", "timer_service",
    "parallelism", "max_parallelism", "max_parallelism_effective", "key_count", "key_dist",
    "zipf_s", "seed", "records", "phase_records", "events_per_sec_event_time", "payload_bytes",
    "payload_mode", "ts_jitter_ms", "out_of_orderness_ms", "wm_every", "window_kind",
    "window_size_ms", "window_slide_ms", "session_gap_ms", "allowed_lateness_ms", "function_kind",
    "job",  # the scenario's operator parameter (job shape); measurement rows' "operator" is the measured keyed operator
]

MEAS_COLS = SCENARIO_COLS + [
    "checkpoint_id", "checkpoint_status", "boundary_first", "phase", "records_emitted",
    "event_time_ms", "watermark_ms", "operator", "subtask_index", "key_group_start", "key_group_end",
    "keyed_state_bytes", "checkpointed_bytes", "raw_keyed_bytes", "managed_operator_bytes",
    "raw_operator_bytes", "subtask_state_bytes", "stats_state_bytes", "stats_checkpointed_bytes",
    "header_bytes", "inline_bytes", "file_bytes", "nonempty_key_groups", "handle_kinds",
    "failure_state_size", "failure_max_size", "failure_message",
]

CKPT_COLS = SCENARIO_COLS + [
    "checkpoint_id", "checkpoint_status", "boundary_first", "phase", "records_emitted",
    "event_time_ms", "watermark_ms", "source_fate", "stats_state_bytes", "stats_checkpointed_bytes",
    "metadata_file_bytes", "window_keyed_state_bytes", "window_checkpointed_bytes",
    "all_operators_state_bytes", "chk_dir_files_bytes", "file_handles_bytes",
    "inline_handles_bytes", "fs_verified", "failure_message",
]

FAIL_COLS = ["scenario_id", "flink_version", "checkpoint_id", "records_emitted", "subtask_index",
             "task", "state_size", "max_size", "exception"]

RUN_COLS = SCENARIO_COLS + ["status", "job_status", "n_checkpoints", "n_completed", "n_failed",
                            "wall_s", "job_ms", "trace_ms", "measure_ms", "jvm_exit_code",
                            "run_timestamp"]


# --------------------------------------------------------------------------------------------
# Flink + compilation
# --------------------------------------------------------------------------------------------

def flink_home(version):
    return os.path.join(HERE, ".flink-" + version)


def ensure_flink(version):
    home = flink_home(version)
    lib = os.path.join(home, "pyflink", "lib")
    if not glob.glob(os.path.join(lib, "flink-dist*.jar")):
        print(f"[oracle] installing apache-flink-libraries=={version} into {home}", flush=True)
        subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                               "--target", home, f"apache-flink-libraries=={version}"])
    jars = sorted(glob.glob(os.path.join(lib, "*.jar")))
    if not jars:
        raise SystemExit("no Flink jars found in " + lib)
    return jars


def compile_job(version, jars):
    srcs = sorted(glob.glob(os.path.join(HERE, "src", "oracle", "*.java")))  # OracleJob + SqlJobs
    out = os.path.join(HERE, "build", version)
    cls = os.path.join(out, "oracle", "OracleJob.class")
    if os.path.exists(cls) and all(os.path.getmtime(cls) >= os.path.getmtime(s) for s in srcs):
        return out
    os.makedirs(out, exist_ok=True)
    print(f"[oracle] compiling {' '.join(srcs)}", flush=True)
    subprocess.check_call(["javac", "-nowarn", "-encoding", "UTF-8", "-d", out,
                           "-cp", os.pathsep.join(jars)] + srcs)
    return out


# --------------------------------------------------------------------------------------------
# Scenarios
# --------------------------------------------------------------------------------------------

def load_scenarios(path):
    with open(path) as f:
        doc = json.load(f)
    defaults = dict(PARAM_DEFAULTS)
    defaults.update(doc.get("defaults", {}))
    out = []
    seen = set()
    for s in doc["scenarios"]:
        sc = dict(defaults)
        sc.update(s)
        if sc["id"] in seen:
            raise SystemExit("duplicate scenario id " + sc["id"])
        seen.add(sc["id"])
        out.append(sc)
    return out


def fmt(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return ""
    return str(v)


def effective_default_max_parallelism(p):
    # KeyGroupRangeAssignment.computeDefaultMaxParallelism
    x = p + p // 2
    r = 1
    while r < x:
        r <<= 1
    return min(max(r, 128), 32768)


def scenario_row(sc, version):
    row = {"scenario_id": sc["id"], "flink_version": version}
    for c in SCENARIO_COLS[2:]:
        if c == "max_parallelism_effective":
            mp = sc.get("max_parallelism")
            row[c] = int(mp) if mp not in ("", None, -1, "-1") else \
                effective_default_max_parallelism(int(sc["parallelism"]))
            continue
        row[c] = fmt(sc.get(c, ""))
    row["job"] = sc.get("operator") or "window"
    if row["max_parallelism"] in ("", "-1"):
        row["max_parallelism"] = "default"
    wk = sc["window_kind"]
    if wk == "tumbling":
        row["window_slide_ms"] = ""
        row["session_gap_ms"] = ""
    elif wk == "sliding":
        row["session_gap_ms"] = ""
    elif wk == "session":
        row["window_size_ms"] = ""
        row["window_slide_ms"] = ""
    if sc["key_dist"] != "zipf":
        row["zipf_s"] = ""
    if sc["backend"] != "rocksdb":
        row["timer_service"] = ""
    elif not row["timer_service"]:
        row["timer_service"] = "ROCKSDB"
    return row


# --------------------------------------------------------------------------------------------
# CSV helpers
# --------------------------------------------------------------------------------------------

def read_csv(path):
    if not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def rewrite_without(path, cols, scenario_id):
    rows = [r for r in read_csv(path) if r.get("scenario_id") != scenario_id]
    write_rows(path, cols, rows, mode="w")


def write_rows(path, cols, rows, mode="a"):
    new = mode == "w" or not os.path.exists(path) or os.path.getsize(path) == 0
    with open(path, mode, newline="") as f:
        w = csv.DictWriter(f, fieldnames=cols, extrasaction="ignore")
        if new:
            w.writeheader()
        for r in rows:
            w.writerow(r)


FAIL_RE = re.compile(r"AsyncCheckpointRunnable - (?P<task>.+?) \((?P<idx>\d+)/(?P<par>\d+)\)#\d+ - "
                     r"asynchronous part of checkpoint (?P<cid>\d+) could not be completed")
SIZE_RE = re.compile(r"(?P<exc>[\w.]+Exception: Size of the state is larger than the maximum permitted "
                     r"memory-backed state\. Size=(?P<size>\d+), maxSize=(?P<max>\d+)\..*)$")
ANY_EXC_RE = re.compile(r"^(?:Caused by: )?(?P<exc>[\w.$]+(?:Exception|Error): .*)$")


def parse_failures(log_path):
    """Per (checkpoint, subtask) failure of the async snapshot part, from the Flink log."""
    out = {}
    if not os.path.exists(log_path):
        return out
    with open(log_path, errors="replace") as f:
        lines = f.readlines()
    for i, line in enumerate(lines):
        m = FAIL_RE.search(line)
        if not m:
            continue
        rec = {"task": m.group("task"), "subtask_index": int(m.group("idx")) - 1,
               "checkpoint_id": int(m.group("cid")), "state_size": "", "max_size": "",
               "exception": ""}
        for j in range(i + 1, min(i + 40, len(lines))):
            s = SIZE_RE.search(lines[j])
            if s:
                rec["state_size"] = s.group("size")
                rec["max_size"] = s.group("max")
                rec["exception"] = s.group("exc").strip()
                break
            if not rec["exception"]:
                e = ANY_EXC_RE.search(lines[j].strip())
                if e:
                    rec["exception"] = e.group("exc").strip()
            if j > i + 1 and re.match(r"^\d\d:\d\d:\d\d", lines[j]):
                break
        out[(rec["checkpoint_id"], rec["subtask_index"])] = rec
    return out


# --------------------------------------------------------------------------------------------
# Running one scenario
# --------------------------------------------------------------------------------------------

def run_scenario(sc, version, jars, build, results, tmp_root, heap, keep_tmp=False):
    sid = sc["id"]
    tmp = os.path.join(tmp_root, sid)
    out_dir = os.path.join(tmp, "out")
    work_dir = os.path.join(tmp, "work")
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(out_dir)
    args = [f"out_dir={out_dir}", f"work_dir={work_dir}"]
    for k in PARAM_DEFAULTS:
        v = sc.get(k, "")
        if v in ("", None):
            continue
        args.append(f"{k}={fmt(v)}")
    for k, v in sc.items():
        # every other scenario key is a job parameter too (operator shapes: list_cap, ttl_ms, b_*, ...)
        if k not in PARAM_DEFAULTS and k not in ("id", "wall_timeout_s", "note") and v not in ("", None):
            args.append(f"{k}={fmt(v)}")
    log_file = os.path.join(out_dir, "flink.log")
    cmd = (["java", f"-Xmx{heap}", "-XX:+UseParallelGC"] + JVM_OPTS +
           [f"-Dlog4j.configurationFile={os.path.join(HERE, 'log4j2.properties')}",
            f"-Doracle.log.file={log_file}",
            "-cp", os.pathsep.join(jars + [build]), "oracle.OracleJob"] + args)
    t0 = time.time()
    with open(os.path.join(out_dir, "stdout.txt"), "w") as so:
        rc = subprocess.call(cmd, stdout=so, stderr=subprocess.STDOUT, timeout=int(sc.get("wall_timeout_s", 900)))
    wall = time.time() - t0

    base = scenario_row(sc, version)
    info = {}
    if os.path.exists(os.path.join(out_dir, "run_info.txt")):
        for line in open(os.path.join(out_dir, "run_info.txt")):
            if "=" in line:
                k, v = line.rstrip("\n").split("=", 1)
                info[k] = v
    if info.get("effective_max_parallelism"):
        base["max_parallelism_effective"] = info["effective_max_parallelism"]

    ok = rc == 0 and os.path.exists(os.path.join(out_dir, "measurements.csv"))
    fails = parse_failures(log_file)
    ck_rows = read_csv(os.path.join(out_dir, "checkpoints.csv")) if ok else []
    m_rows = read_csv(os.path.join(out_dir, "measurements.csv")) if ok else []

    # first COMPLETED checkpoint at each records_emitted boundary
    first = {}
    for r in sorted(ck_rows, key=lambda r: int(r["checkpoint_id"])):
        if r["checkpoint_status"] == "COMPLETED" and r["records_emitted"] not in first:
            first[r["records_emitted"]] = r["checkpoint_id"]
    rec_of = {r["checkpoint_id"]: r["records_emitted"] for r in ck_rows}

    for dst, rows, cols in (("measurements.csv", m_rows, MEAS_COLS), ("checkpoints.csv", ck_rows, CKPT_COLS),
                            ("failures.csv", None, FAIL_COLS), ("runs.csv", None, RUN_COLS)):
        rewrite_without(os.path.join(results, dst), cols, sid)

    out_m = []
    for r in m_rows:
        row = dict(base)
        row.update(r)
        row["boundary_first"] = fmt(first.get(r["records_emitted"]) == r["checkpoint_id"])
        f = fails.get((int(r["checkpoint_id"]), int(r["subtask_index"]))) if r.get("operator", "window") == "window" else None
        if f:
            row["failure_state_size"] = f["state_size"]
            row["failure_max_size"] = f["max_size"]
            row["failure_message"] = f["exception"]
        out_m.append(row)
    write_rows(os.path.join(results, "measurements.csv"), MEAS_COLS, out_m)

    out_c = []
    for r in ck_rows:
        row = dict(base)
        row.update(r)
        row["boundary_first"] = fmt(first.get(r["records_emitted"]) == r["checkpoint_id"])
        out_c.append(row)
    write_rows(os.path.join(results, "checkpoints.csv"), CKPT_COLS, out_c)

    out_f = []
    for (cid, st), f in sorted(fails.items()):
        out_f.append({"scenario_id": sid, "flink_version": version, "checkpoint_id": cid,
                      "records_emitted": rec_of.get(str(cid), ""), "subtask_index": st,
                      "task": f["task"], "state_size": f["state_size"], "max_size": f["max_size"],
                      "exception": f["exception"]})
    write_rows(os.path.join(results, "failures.csv"), FAIL_COLS, out_f)

    n_comp = sum(1 for r in ck_rows if r["checkpoint_status"] == "COMPLETED")
    run = dict(base)
    run.update({"status": "ok" if ok else "error", "job_status": info.get("job_status", ""),
                "n_checkpoints": len(ck_rows), "n_completed": n_comp,
                "n_failed": len(ck_rows) - n_comp, "wall_s": f"{wall:.1f}",
                "job_ms": info.get("job_ms", ""), "trace_ms": info.get("trace_ms", ""),
                "measure_ms": info.get("measure_ms", ""), "jvm_exit_code": rc,
                "run_timestamp": time.strftime("%Y-%m-%dT%H:%M:%S")})
    write_rows(os.path.join(results, "runs.csv"), RUN_COLS, [run])

    # per-scenario files
    for sub in ("traces", "keygroups", "assignment", "runs"):
        os.makedirs(os.path.join(results, sub), exist_ok=True)
    if os.path.exists(os.path.join(out_dir, "trace.csv.gz")):
        shutil.copyfile(os.path.join(out_dir, "trace.csv.gz"), os.path.join(results, "traces", sid + ".csv.gz"))
    if os.path.exists(os.path.join(out_dir, "keygroups.csv.gz")):
        shutil.copyfile(os.path.join(out_dir, "keygroups.csv.gz"), os.path.join(results, "keygroups", sid + ".csv.gz"))
    if os.path.exists(os.path.join(out_dir, "assignment.json")):
        shutil.copyfile(os.path.join(out_dir, "assignment.json"), os.path.join(results, "assignment", sid + ".json"))
    rdir = os.path.join(results, "runs", sid)
    shutil.rmtree(rdir, ignore_errors=True)
    os.makedirs(rdir)
    for fn in ("source_log.csv", "run_info.txt", "stdout.txt", "handles.tsv", "states.tsv"):
        if os.path.exists(os.path.join(out_dir, fn)):
            shutil.copyfile(os.path.join(out_dir, fn), os.path.join(rdir, fn))
    with open(os.path.join(rdir, "params.json"), "w") as f:
        json.dump(sc, f, indent=1, sort_keys=True)
    if not ok and os.path.exists(log_file):
        shutil.copyfile(log_file, os.path.join(rdir, "flink.log"))
    if not keep_tmp:
        shutil.rmtree(tmp, ignore_errors=True)
    return ok, wall, len(m_rows), n_comp, len(ck_rows) - n_comp


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--flink", default=DEFAULT_VERSION, help="apache-flink-libraries version")
    ap.add_argument("--scenarios", default=os.path.join(HERE, "scenarios", "core.json"))
    ap.add_argument("--only", nargs="*", help="scenario ids to run")
    ap.add_argument("--match", help="glob on scenario ids")
    ap.add_argument("--force", action="store_true", help="re-run scenarios already in results")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--results", default=None, help="results dir (default results/<version>)")
    ap.add_argument("--tmp", default="/tmp/oracle-runs")
    ap.add_argument("--heap", default="6g")
    ap.add_argument("--keep-tmp", action="store_true")
    a = ap.parse_args()

    scs = load_scenarios(a.scenarios)
    if a.only:
        want = set(a.only)
        scs = [s for s in scs if s["id"] in want]
    if a.match:
        scs = [s for s in scs if fnmatch.fnmatch(s["id"], a.match)]
    if a.list:
        for s in scs:
            print(s["id"])
        return
    jars = ensure_flink(a.flink)
    build = compile_job(a.flink, jars)
    results = a.results or os.path.join(HERE, "results", a.flink)
    os.makedirs(results, exist_ok=True)
    done = {r["scenario_id"] for r in read_csv(os.path.join(results, "runs.csv")) if r.get("status") == "ok"}
    for i, sc in enumerate(scs):
        if sc["id"] in done and not a.force:
            print(f"[oracle] skip {sc['id']} (already in results; --force to redo)", flush=True)
            continue
        print(f"[oracle] ({i + 1}/{len(scs)}) {sc['id']} ...", end=" ", flush=True)
        try:
            ok, wall, nrows, ncomp, nfail = run_scenario(sc, a.flink, jars, build, results, a.tmp, a.heap, a.keep_tmp)
            print(f"{'ok' if ok else 'ERROR'} {wall:.1f}s rows={nrows} completed={ncomp} failed={nfail}", flush=True)
        except subprocess.TimeoutExpired:
            print("TIMEOUT", flush=True)


if __name__ == "__main__":
    main()
