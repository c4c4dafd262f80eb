#!/usr/bin/env python3
"""Run-to-run spread of repeated measurements of the same job and input.

    python3 spread.py GROUP=case_dir,case_dir[,case_dir] [GROUP=...] [--column state_bytes]

Each case_dir holds an expected.csv (ground-truth layout). For every checkpoint x subtask
present in all runs of a group, with values v_1..v_n (n = 2 or 3):

    spread  = (max v - min v) / median v          (range over the runs, relative)
    pairwise = |v_i - v_j| / min(v_i, v_j)        (every pair of runs)

and prints, per group and column, the median, p90 and max of both over all checkpoint x subtask
cells, the largest absolute difference, and how many cells agree within 0.1% (the scenario id is
part of RocksDB's OPTIONS file, so runs filed under ids of different length differ by a few bytes
even when every SST is the same), as a markdown table.
"""
import csv
import os
import statistics
import sys


def load(d, col):
    out = {}
    for r in csv.DictReader(open(os.path.join(d, "expected.csv"))):
        if r[col] and r["checkpoint_status"] == "completed":
            out[(int(r["records"]), int(r["subtask"]))] = int(r[col])
    return out


def pct(xs, q):
    xs = sorted(xs)
    return xs[int(q * (len(xs) - 1))]


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    cols = ["state_bytes", "checkpointed_bytes"]
    print("| runs | column | cells | spread median | spread p90 | spread max | pairwise median | pairwise p90 | pairwise max | largest abs. diff (bytes) | cells with spread <= 0.1% |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for g in args:
        label, dirs = g.split("=", 1)
        dirs = dirs.split(",")
        for col in cols:
            runs = [load(d, col) for d in dirs]
            keys = set(runs[0])
            for r in runs[1:]:
                keys &= set(r)
            spreads, pairs, absd = [], [], []
            for k in sorted(keys):
                v = [r[k] for r in runs]
                spreads.append((max(v) - min(v)) / statistics.median(v))
                absd.append(max(v) - min(v))
                for i in range(len(v)):
                    for j in range(i + 1, len(v)):
                        pairs.append(abs(v[i] - v[j]) / min(v[i], v[j]))
            print(f"| {label} ({len(dirs)} runs) | {col} | {len(keys)} | {statistics.median(spreads):.2%} | "
                  f"{pct(spreads, 0.9):.2%} | {max(spreads):.2%} | {statistics.median(pairs):.2%} | "
                  f"{pct(pairs, 0.9):.2%} | {max(pairs):.2%} | {max(absd)} | {sum(x <= 0.001 for x in spreads)} |")


if __name__ == "__main__":
    main()
