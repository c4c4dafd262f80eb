#!/usr/bin/env python3
"""Runs statecap on the keyed-operator ground truth and compares its bytes with real Flink's.

From the project's root, after `cargo build --release`:

    python3 tools/gt_ops.py --cases tests/ground-truth-ops --where backend=hashmap [--generated] [--verbose]

As ../shared/tools/gt_check.py, keyed by (records, operator, subtask): for each case it runs
`statecap run <scenario.toml> --out <tmp>`, reads `<tmp>/<name>/timeline.csv` (columns records,
operator, subtask, state_bytes, checkpointed_bytes, checkpoint_status) and joins it with the
case's expected.csv (format v2: with `operator`) on (records, operator, subtask).
--generated drops the scenario's trace lines (of [source], [input] and every [[source]]), so
statecap generates the input itself.
Exit 0 when the bar holds (--bar), and prints its figure last.
"""
import argparse, csv, os, re, shutil, statistics, subprocess, sys, tempfile

ap = argparse.ArgumentParser()
ap.add_argument("--cases", default="tests/ground-truth-ops", help="folder with cases.csv and cases/")
ap.add_argument("--where", nargs="*", default=[], help="column=value filters on cases.csv")
ap.add_argument("--generated", action="store_true", help="drop the trace lines: generated input")
ap.add_argument("--bin", default=os.path.join(os.environ.get("CARGO_TARGET_DIR", "target"), "release", "statecap"))
ap.add_argument("--bar", default="exact", choices=["exact", "median15", "peak3", "physics"],
                help="exact: every row within 0.5%% and every status equal; median15: median rel err <= 15%%;"
                     " peak3: median error of the largest subtask per (checkpoint, operator) <= 3%%;"
                     " physics (RocksDB): median rel err <= 5%%, p90 <= 20%%, and the measured value inside"
                     " the predicted range (<column>_low .. <column>_high in timeline.csv) on >= 80%% of rows")
ap.add_argument("--column", default="state_bytes")
ap.add_argument("--verbose", action="store_true")
a = ap.parse_args()

root = os.path.abspath(a.cases)
cases = list(csv.DictReader(open(os.path.join(root, "cases.csv"))))
for w in a.where:
    k, v = w.split("=", 1)
    cases = [c for c in cases if c[k] == v]
if not os.path.exists(a.bin):
    print(f"no binary at {a.bin}")
    sys.exit(1)

tmp = tempfile.mkdtemp(prefix="gt-ops-")
rows_total = exact = within = status_ok = missing = in_range = 0
rel_errors, peak_errors, failures = [], [], []
for c in cases:
    case_dir = os.path.join(root, "cases", c["case"])
    text = open(os.path.join(case_dir, "scenario.toml")).read()
    if a.generated:
        text = re.sub(r'(?m)^trace = .*\n', "", text)
    else:
        text = re.sub(r'(?m)^trace = "([^"]+)"',
                      lambda m: f'trace = "{os.path.normpath(os.path.join(case_dir, m.group(1)))}"', text)
    sfile = os.path.join(tmp, c["case"] + ".toml")
    open(sfile, "w").write(text)
    out = os.path.join(tmp, "out-" + c["case"])
    p = subprocess.run([a.bin, "run", sfile, "--out", out], capture_output=True, text=True, timeout=600)
    timeline = os.path.join(out, c["case"], "timeline.csv")
    if p.returncode != 0 or not os.path.exists(timeline):
        failures.append(f"{c['case']}: exit {p.returncode}, {p.stderr.strip()[-300:]}")
        missing += 1
        continue
    pred = {}
    for r in csv.DictReader(open(timeline)):
        pred[(int(r["records"]), r["operator"], int(r["subtask"]))] = r
    by_ckpt = {}
    for e in csv.DictReader(open(os.path.join(case_dir, "expected.csv"))):
        if not e[a.column]:
            continue
        rows_total += 1
        r = pred.get((int(e["records"]), e["operator"], int(e["subtask"])))
        if r is None or not r.get(a.column):
            missing += 1
            if a.verbose:
                print(f"  {c['case']} records={e['records']} {e['operator']} subtask={e['subtask']}: not predicted")
            continue
        want, got = int(e[a.column]), float(r[a.column])
        err = abs(got - want) / max(want, 1)
        rel_errors.append(err)
        exact += got == want
        lo, hi = r.get(a.column + "_low"), r.get(a.column + "_high")
        in_range += bool(lo and hi) and float(lo) <= want <= float(hi)
        within += err <= 0.005
        status_ok += r.get("checkpoint_status", "") == e["checkpoint_status"]
        key = (e["records"], e["operator"])
        w, g = by_ckpt.get(key, (0, 0))
        by_ckpt[key] = (max(w, want), max(g, got))
        if a.verbose and got != want:
            print(f"  {c['case']} records={e['records']} {e['operator']} subtask={e['subtask']} "
                  f"want={want} got={got:.0f} err={err:.2%}")
    peak_errors += [abs(g - w) / max(w, 1) for w, g in by_ckpt.values()]
shutil.rmtree(tmp, ignore_errors=True)

for f in failures[:5]:
    print("failed:", f)
med = statistics.median(rel_errors) if rel_errors else float("nan")
pmed = statistics.median(peak_errors) if peak_errors else float("nan")
p95 = sorted(rel_errors)[int(0.95 * (len(rel_errors) - 1))] if rel_errors else float("nan")
p90 = sorted(rel_errors)[int(0.90 * (len(rel_errors) - 1))] if rel_errors else float("nan")
summary = (f"{len(cases)} cases, {rows_total} rows: exact {exact}, within 0.5% {within}, status equal {status_ok}, "
           f"missing {missing}; median err {med:.2%}, p90 {p90:.2%}, p95 {p95:.2%}, peak-subtask median err {pmed:.2%}, "
           f"inside predicted range {in_range}")
if a.bar == "exact":
    ok = rows_total > 0 and missing == 0 and within == rows_total and status_ok == rows_total
elif a.bar == "physics":
    ok = rows_total > 0 and missing == 0 and med <= 0.05 and p90 <= 0.20 and in_range >= 0.8 * rows_total
elif a.bar == "median15":
    ok = rows_total > 0 and missing == 0 and med <= 0.15
else:
    ok = rows_total > 0 and missing == 0 and pmed <= 0.03
print(summary)
sys.exit(0 if ok else 1)
