#!/bin/sh
# Runs the criterion benchmarks (arguments go to criterion, e.g. a filter)
# and prints one table: benchmark, mean time per iteration, elements per
# second (criterion's throughput / mean time).
#
#   benches/report.sh                       # the whole suite
#   benches/report.sh event_loop/tumbling   # only matching benchmarks
#   REPORT_ONLY=1 benches/report.sh          # table of the last results
set -e
cd "$(dirname "$0")/.."
if [ -z "$REPORT_ONLY" ]; then
    cargo bench --bench bench_main -- "$@" >&2
fi
python3 - "$@" <<'PY'
import json, os, re, sys
root = "target/criterion"
pattern = re.compile(sys.argv[1]) if len(sys.argv) > 1 else None
rows = []
for d, _, files in os.walk(root):
    if os.path.basename(d) != "new" or "benchmark.json" not in files:
        continue
    b = json.load(open(os.path.join(d, "benchmark.json")))
    e = json.load(open(os.path.join(d, "estimates.json")))
    if pattern and not pattern.search(b["full_id"]):
        continue
    ns = e["mean"]["point_estimate"]
    lo = e["mean"]["confidence_interval"]["lower_bound"]
    hi = e["mean"]["confidence_interval"]["upper_bound"]
    elems = (b.get("throughput") or {}).get("Elements")
    rows.append((b["full_id"], ns, elems, lo, hi))
rows.sort()
w = max([len(r[0]) for r in rows] + [9])
print(f"{'benchmark':<{w}}  {'mean time':>12}  {'elements/s':>12}  {'95% CI elements/s':>23}")
for fid, ns, elems, lo, hi in rows:
    t = f"{ns / 1e6:.3f} ms" if ns >= 1e5 else f"{ns / 1e3:.3f} us"
    if elems:
        eps = lambda t_ns: f"{elems / (t_ns * 1e-9) / 1e6:.2f}M"
        print(f"{fid:<{w}}  {t:>12}  {eps(ns):>12}  {eps(hi) + ' .. ' + eps(lo):>23}")
    else:
        print(f"{fid:<{w}}  {t:>12}  {'-':>12}")
PY
