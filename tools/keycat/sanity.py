#!/usr/bin/env python3
"""Sanity checks over catalog/<v>.txt. Prints a table; exit 1 if an expectation fails.
Each check: key -> function(version tuple) giving the expected kind, or None for absent."""
import os, sys
d = sys.argv[1]
def ver(s): return tuple(int(x) for x in s.split("."))
vs = sorted((f[:-4] for f in os.listdir(d) if f.endswith(".txt")), key=ver)
checks = {
    # 1.x: a key of its own until 1.16; from 1.17 a deprecated key of state.backend.type
    # (Flink 2.x still accepts it as that deprecated key)
    "state.backend": lambda v: "key" if v < (1, 17) else "deprecated:state.backend.type",
    "state.backend.type": lambda v: "key" if v >= (1, 17) else None,
    # ExecutionCheckpointingOptions arrived in 1.10; 1.9 had no config key for the interval
    "execution.checkpointing.interval": lambda v: "key" if v >= (1, 10) else None,
    "taskmanager.numberOfTaskSlots": lambda v: "key",
    "execution.checkpointing.enabled": lambda v: None,
    "taskmanager.numberOfTaskManagers": lambda v: None,
}
bad = 0
for v in vs:
    cat = dict(l.rstrip("\n").split("\t") for l in open(os.path.join(d, v + ".txt")))
    cells = []
    for k, want in checks.items():
        w, have = want(ver(v)), cat.get(k)
        ok = w == have
        bad += not ok
        cells.append(f"{k}={have or '-'}{'' if ok else ' [FAIL: want ' + str(w) + ']'}")
    print(f"{v}\t{len(cat)} keys\t" + "  ".join(cells))
print("sanity:", "all ok" if not bad else f"{bad} FAILED")
sys.exit(1 if bad else 0)
