#!/usr/bin/env python3
"""Replay model of the heap snapshot bytes of the operator shapes (join, interval_join, dedup, process,
with TTL cleanup none or full_snapshot; incremental cleanup is not modelled; of a
process->window chain only the process operator), checked against
every measured subtask of results/<v>/measurements.csv.

    python3 analyze_ops.py [--results results/1.20.5] [--only ID ...]

Bytes of a subtask = header + sum over its key groups of
    4 (key-group id) + sum over registered states of [2 (state id) + 4 (entry count) + entries]
with the per-state entry sizes of ../../tests/ground-truth-ops/FACTS.md. The header is taken from
states.tsv (it is a constant per operator shape, listed in FACTS.md).
"""
import argparse, csv, gzip, json, os, sys, heapq, collections

def varint_len(n):
    k = 1
    while n >= 0x80:
        n >>= 7; k += 1
    return k

def strlen(s):
    return varint_len(len(s) + 1) + len(s)

def model(p, trace, boundaries):
    """yield (records, {state: {key: bytes}}, timers {name: {key: count_bytes}}) at each boundary."""
    op = p["operator"]
    ooo = int(p.get("out_of_orderness_ms") or 0)
    out = {}
    if op == "join":
        left = collections.defaultdict(int); right = collections.defaultdict(int)
        for i, r in enumerate(trace, 1):
            (left if r["stream"] == "L" else right)[r["key"]] += r["bytes"]
            if i in boundaries:
                out[i] = {"left": {k: 13 + v for k, v in left.items()},
                          "right": {k: 13 + v for k, v in right.items()}}
        return out
    if op == "dedup":
        ttl = int(p.get("ttl_ms") or 0)
        upd = p.get("ttl_update") or "OnCreateAndWrite"
        cl = p.get("ttl_cleanup") or "none"
        if ttl and cl not in ("full_snapshot", "none"):
            return None
        w = {}
        for i, r in enumerate(trace, 1):
            t = r["ts"]
            if r["key"] not in w or (ttl and w[r["key"]] + ttl <= t) or upd == "OnReadAndWrite":
                w[r["key"]] = t
            if i in boundaries:
                T = trace[i - 1]["ts"]
                if ttl:
                    keep = {k for k, v in w.items() if cl == "none" or v + ttl > T}
                    out[i] = {"seen": {k: 18 for k in keep}}
                else:
                    out[i] = {"seen": {k: 10 for k in w}}
        return out
    if op == "interval_join":
        lo, up = int(p.get("join_lower_ms") if p.get("join_lower_ms") not in ("", None) else -1000), int(p.get("join_upper_ms") if p.get("join_upper_ms") not in ("", None) else 1000)
        lbuf = collections.defaultdict(lambda: collections.defaultdict(list))
        rbuf = collections.defaultdict(lambda: collections.defaultdict(list))
        timers = []  # heap of (t, side, key, bucket_ts)
        seen_timer = set()
        wm = None
        for i, r in enumerate(trace, 1):
            k, t = r["key"], r["ts"]
            if wm is None or t >= wm:
                if r["stream"] == "L":
                    lbuf[k][t].append(r["bytes"]); c = t + up if up > 0 else t; side = "L"
                else:
                    rbuf[k][t].append(r["bytes"]); c = t - lo if -lo > 0 else t; side = "R"
                if (k, side, c) not in seen_timer:
                    seen_timer.add((k, side, c)); heapq.heappush(timers, (c, side, k, t))
            wm = max(wm if wm is not None else -10**18, t - ooo - 1)  # watermark after the record (max ts is monotone here)
            while timers and timers[0][0] <= wm:
                c, side, k, _ = heapq.heappop(timers)
                seen_timer.discard((k, side, c))
                if side == "L":
                    b = c - up if up > 0 else c
                    lbuf[k].pop(b, None)
                    if not lbuf[k]: del lbuf[k]
                else:
                    b = c + lo if lo <= 0 else c
                    rbuf[k].pop(b, None)
                    if not rbuf[k]: del rbuf[k]
            if i in boundaries:
                def mb(buf):
                    return {k: 13 + sum(13 + sum(1 + x for x in lst) for lst in b.values()) for k, b in buf.items() if b}
                tl = collections.Counter(); 
                for (k, side, c) in seen_timer:
                    tl[(k, side)] += 1
                ev = collections.defaultdict(int)
                for (k, side), n in tl.items():
                    ev[k] += n * (16 + (13 if side == "L" else 14))
                out[i] = {"LEFT_BUFFER": mb(lbuf), "RIGHT_BUFFER": mb(rbuf), "_timer_state/event_CLEANUP_TIMER": dict(ev)}
        return out
    if op == "process" and int(p.get("ttl_ms") or 0):
        return model_process_ttl(p, trace, boundaries)
    if op == "process":
        cap = int(p.get("list_cap") or 0); subk = int(p.get("map_subkeys") or 0); delay = int(p.get("timer_delay_ms") or 0)
        cnt = {}; last = {}; ev = {}; timers = []; tset = set(); wm = None
        for i, r in enumerate(trace, 1):
            k, t = r["key"], r["ts"]
            cnt[k] = 1
            if cap:
                l = last.setdefault(k, []); l.append(r["bytes"]); del l[:-cap]
            if subk:
                ev.setdefault(k, set()).add(r["sub_key"])
            if delay and (k, t + delay) not in tset:
                tset.add((k, t + delay)); heapq.heappush(timers, (t + delay, k))
            wm = t - ooo - 1 if wm is None else max(wm, t - ooo - 1)
            while timers and timers[0][0] <= wm:
                c, kk = heapq.heappop(timers); tset.discard((kk, c)); ev.pop(kk, None)
            if i in boundaries:
                st = {"count": {k: 17 for k in cnt}}
                if cap: st["last"] = {k: 13 + sum(v) for k, v in last.items()}
                if subk: st["events"] = {k: 13 + sum(strlen("e" + s) + 9 for s in v) for k, v in ev.items() if v}
                tb = collections.Counter(kk for kk, c in tset)
                st["_timer_state/event_user-timers"] = {kk: 17 * n for kk, n in tb.items()}
                out[i] = st
        return out
    return None

def model_process_ttl(p, trace, boundaries):
    """process with TTL and cleanup none or full_snapshot; processing time = ts + lag.
    TtlValueState: an expired value reads as null; TtlListState.get(): OnReadAndWrite rewrites the unexpired
    elements with the current time (and keeps the stored list if all are expired), the full iteration clears the
    list when none is unexpired; add() appends; TtlMapState.put() stamps the entry. full_snapshot filters expired
    values / list elements / map entries at the checkpoint's time (= the last record's processing time)."""
    ttl = int(p["ttl_ms"]); lag = int(p.get("proc_lag_ms") or 0)
    orw = (p.get("ttl_update") or "OnCreateAndWrite") == "OnReadAndWrite"
    rexp = (p.get("ttl_visibility") or "NeverReturnExpired") == "ReturnExpiredIfNotCleanedUp"
    cl = p.get("ttl_cleanup") or "none"
    if cl not in ("none", "full_snapshot"):
        return None
    cap = int(p.get("list_cap") or 0); subk = int(p.get("map_subkeys") or 0); delay = int(p.get("timer_delay_ms") or 0)
    ooo = int(p.get("out_of_orderness_ms") or 0)
    exp = lambda s, now: s + ttl <= now
    cnt = {}; last = {}; ev = {}; timers = []; tset = set(); wm = None; out = {}
    for i, r in enumerate(trace, 1):
        k, t = r["key"], r["ts"]; now = t + lag
        cnt[k] = now
        if cap:
            l = last.get(k, [])   # [(ts, bytes)]
            un = [x for x in l if not exp(x[0], now)]
            cur = list(l) if rexp else un   # what get() returns (ReturnExpiredIfNotCleanedUp: expired ones too)
            if not un:
                l = []                      # the full iteration found no unexpired element: cleared
            elif orw:
                l = [(now, b) for _, b in un]   # OnReadAndWrite: get() rewrites the unexpired ones, re-stamped
            if len(cur) >= cap:
                l = [(now, b) for _, b in cur[len(cur) - cap + 1:]] + [(now, r["bytes"])]
            else:
                l = l + [(now, r["bytes"])]
            last[k] = l
        if subk:
            ev.setdefault(k, {})["e" + r["sub_key"]] = now
        if delay and (k, t + delay) not in tset:
            tset.add((k, t + delay)); heapq.heappush(timers, (t + delay, k))
        wm = t - ooo - 1 if wm is None else max(wm, t - ooo - 1)
        while timers and timers[0][0] <= wm:
            c, kk = heapq.heappop(timers); tset.discard((kk, c)); ev.pop(kk, None)
        if i in boundaries:
            T = trace[i - 1]["ts"] + lag
            keep = (lambda s: not exp(s, T)) if cl == "full_snapshot" else (lambda s: True)
            st = {"count": {kk: 25 for kk, s in cnt.items() if keep(s)}}
            if cap:
                st["last"] = {}
                for kk, l in last.items():
                    els = [b for s, b in l if keep(s)]
                    if els:
                        st["last"][kk] = 13 + sum(8 + b for b in els)
            if subk:
                st["events"] = {}
                for kk, m in ev.items():
                    es = [mk for mk, s in m.items() if keep(s)]
                    if es:
                        st["events"][kk] = 13 + sum(strlen(mk) + 17 for mk in es)
            tb = collections.Counter(kk for kk, c in tset)
            st["_timer_state/event_user-timers"] = {kk: 17 * n for kk, n in tb.items()}
            out[i] = st
    return out

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", default="results/1.20.5")
    ap.add_argument("--only", nargs="*")
    a = ap.parse_args()
    meas = collections.defaultdict(list)
    for r in csv.DictReader(open(os.path.join(a.results, "measurements.csv"))):
        if r["boundary_first"] == "true" and r.get("operator") and r.get("job") not in (None, "", "window"):
            meas[r["scenario_id"]].append(r)
    tot_ok = tot = 0
    for sid in sorted(meas):
        if a.only and sid not in a.only:
            continue
        p = json.load(open(os.path.join(a.results, "runs", sid, "params.json")))
        if p["backend"] != "hashmap":
            continue
        chain = p["operator"] == "process_window"
        if chain:  # the chain's first operator is a process operator: its rows are checked, the window's not
            p = dict(p, operator="process")
        st_path = os.path.join(a.results, "runs", sid, "states.tsv")
        if not os.path.exists(st_path):
            continue
        states = [r for r in csv.DictReader(open(st_path), delimiter="\t") if not chain or r["operator"] == "process"]
        header = int(next(r["meta_bytes"] for r in states if r["state_id"] == "-"))
        nstates = len({r["state"] for r in states if r["state_id"] != "-"})
        trace = []
        for r in csv.DictReader(gzip.open(os.path.join(a.results, "traces", sid + ".csv.gz"), "rt")):
            pb = int(r["payload_bytes"])
            trace.append({"key": int(r["key"]), "ts": int(r["ts"]), "bytes": 16 + varint_len(pb + 1) + pb,
                          "kg": int(r["key_group"]), "stream": r["stream"], "sub_key": r["sub_key"]})
        kg_of = {r["key"]: r["kg"] for r in trace}
        rows = [r for r in meas[sid] if not chain or r["operator"] == "process"]
        B = sorted({int(r["records_emitted"]) for r in rows if r["records_emitted"]})
        res = model(p, trace, set(B))
        if res is None:
            print(f"{sid}: not modelled (TTL reads)"); continue
        ok = n = 0
        for r in rows:
            rec = int(r["records_emitted"])
            lo, hi = int(r["key_group_start"]), int(r["key_group_end"])
            pred = header + (hi - lo + 1) * (4 + 6 * nstates)
            for sname, per in res[rec].items():
                pred += sum(v for k, v in per.items() if lo <= kg_of[k] <= hi)
            n += 1; ok += pred == int(r["keyed_state_bytes"])
            if pred != int(r["keyed_state_bytes"]):
                print(f"  {sid} rec={rec} st={r['subtask_index']}: predicted {pred} measured {r['keyed_state_bytes']}")
        tot += n; tot_ok += ok
        print(f"{sid}: {ok}/{n} subtask rows byte-exact")
        if chain:  # the window after the process operator: analyze.py's window model on the same records
            import analyze
            sc = dict(json.load(open(os.path.join(a.results, "runs", sid, "params.json"))))
            wrows = [r for r in meas[sid] if r["operator"] == "window"]
            wstates = [r for r in csv.DictReader(open(st_path), delimiter="\t") if r["operator"] == "window"]
            wh = int(next(r["meta_bytes"] for r in wstates if r["state_id"] == "-"))
            m = analyze.Model({k: sc.get(k, "") for k in ("window_kind", "function_kind", "window_size_ms", "window_slide_ms",
                                                       "session_gap_ms", "allowed_lateness_ms")}, int(sc["payload_bytes"]))
            WB = {int(r["records_emitted"]) for r in wrows}
            maxts = None; wok = wn = 0
            ooo = int(sc.get("out_of_orderness_ms") or 0)
            for i, r in enumerate(trace, 1):
                m.element(r["key"], r["ts"])
                maxts = r["ts"] if maxts is None else max(maxts, r["ts"])
                m.watermark(maxts - ooo - 1)
                if i in WB:
                    for w in wrows:
                        if int(w["records_emitted"]) != i:
                            continue
                        lo, hi = int(w["key_group_start"]), int(w["key_group_end"])
                        kgb = m.kg_bytes(kg_of, sorted(set(kg_of.values()) | set(range(lo, hi + 1))))
                        pred = wh + sum(v for g, v in kgb.items() if lo <= g <= hi)
                        wn += 1; wok += pred == int(w["keyed_state_bytes"])
                        if pred != int(w["keyed_state_bytes"]):
                            print(f"  {sid} window rec={i} st={w['subtask_index']}: predicted {pred} measured {w['keyed_state_bytes']}")
            tot += wn; tot_ok += wok
            print(f"{sid} (window): {wok}/{wn} subtask rows byte-exact")
    print(f"total {tot_ok}/{tot}")

if __name__ == "__main__":
    main()
