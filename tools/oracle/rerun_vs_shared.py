#!/usr/bin/env python3
"""A second real-Flink run of shared ground-truth cases, scored against the shared measurement
exactly as gt_check.py scores statecap (relative error per checkpoint x subtask; median and
p90 = sorted[int(0.9 * (n - 1))]).

    python3 tools/oracle/rerun_vs_shared.py tests/ground-truth-rocksdb/rerun-1.20.5-tumbling-incremental.csv \
        ../shared/ground-truth [--column checkpointed_bytes]
"""
import argparse, csv, os, statistics

ap = argparse.ArgumentParser()
ap.add_argument("rerun")
ap.add_argument("shared")
ap.add_argument("--column", default="checkpointed_bytes")
a = ap.parse_args()
rerun = list(csv.DictReader(open(a.rerun)))
allerr = []
for case in sorted({r["case"] for r in rerun}):
    exp = {(r["records"], r["subtask"]): r
           for r in csv.DictReader(open(os.path.join(a.shared, "cases", case, "expected.csv")))}
    errs = []
    for r in rerun:
        e = exp.get((r["records"], r["subtask"]))
        if r["case"] != case or not e or not e[a.column]:
            continue
        want = int(e[a.column])
        errs.append(abs(int(r[a.column]) - want) / max(want, 1))
    errs.sort()
    allerr += errs
    print(f"{case}: {len(errs)} rows, median {statistics.median(errs):.2%}, p90 {errs[int(0.9 * (len(errs) - 1))]:.2%}")
allerr.sort()
print(f"all: {len(allerr)} rows, median {statistics.median(allerr):.2%}, p90 {allerr[int(0.9 * (len(allerr) - 1))]:.2%}")
