#!/usr/bin/env python3
"""raw KeyCat TSV -> catalog lines `key<TAB>kind`, sorted, one line per key.

  catalog.py RAW.tsv CATALOG.txt EXCLUDED.txt

kind: key | deprecated:<current key> | fallback:<current key>.

Rules, in order:
1. Only options held in public static fields are taken. (The raw TSV also lists
   non-public ones, e.g. StreamConfig's per-task keys such as `checkpointing` or
   `vertexID`, which are not user configuration keys.)
2. Table options that are not configuration-file keys (DDL WITH options of
   connectors and formats, lookup-join/ML hints, catalog/module/secret-store
   factory options: `connector`, `format`, `path`, `sink.parallelism`, ...) are
   written to EXCLUDED.txt instead. They are recognised by the declaring class
   (TABLE_CLASS below) and a key outside the TABLE_KEEP namespaces.
3. Options whose key is relative to a named prefix are rewritten to the full
   pattern Flink reads, with the `<...>` placeholder convention Flink itself uses
   (e.g. `external-resource.<resource_name>.amount`): metric/trace/event reporter
   options (`factory.class` -> `metrics.reporter.<name>.factory.class`), the GPU
   driver's `discovery-script.*` and the delegation-token provider `enabled`.
4. A key that is the main key of any option is `key`; otherwise `deprecated`
   wins over `fallback`; if several options name it, the smallest current key is
   taken.
"""
import re
import sys

TABLE_CLASS = re.compile(
    r"^org\.apache\.flink\.(formats|table|connector\.(file\.table|datagen|print|base\.table))\.")
TABLE_KEEP = ("table.", "__table.", "sql-client.", "sql-gateway.", "materialized-table.",
              "workflow-scheduler.")

def relative_prefix(cls, key):
    """The prefix a relative key lives under, or None when the key is absolute."""
    simple = cls.rsplit(".", 1)[-1]
    if cls == "org.apache.flink.configuration.MetricOptions" and not key.startswith("metrics."):
        return "metrics.reporter.<name>."
    if cls.startswith("org.apache.flink.metrics.") and not key.startswith("metrics."):
        return "metrics.reporter.<name>."  # options of the reporter plugins
    if cls == "org.apache.flink.configuration.TraceOptions" and not key.startswith("traces."):
        return "traces.reporter.<name>."
    if cls == "org.apache.flink.configuration.EventOptions" and not key.startswith("events."):
        return "events.reporter.<name>."
    if simple == "GPUDriverOptions":
        return "external-resource.<resource_name>.param."
    if cls == "org.apache.flink.configuration.SecurityOptions" and "." not in key:
        return "security.delegation.token.provider.<serviceName>."
    return None

def main(raw, cat_path, excl_path):
    best, excluded = {}, {}
    rank = {"key": 0, "deprecated": 1, "fallback": 2}
    for line in open(raw, encoding="utf-8"):
        key, role, cur, where, vis = line.rstrip("\n").split("\t")[:5]
        if vis != "public":
            continue
        cls = where.split("#")[0]
        if TABLE_CLASS.match(cls) and not cur.startswith(TABLE_KEEP):
            excluded.setdefault(key, f"table-option {where}")
            continue
        p = relative_prefix(cls, cur)
        if p:
            key, cur = p + key, p + cur
        cand = (rank[role], "" if role == "key" else cur)
        if key not in best or cand < best[key]:
            best[key] = cand
    names = ["key", "deprecated", "fallback"]
    with open(cat_path, "w", encoding="utf-8") as out:
        for key in sorted(best):
            r, cur = best[key]
            out.write(f"{key}\tkey\n" if r == 0 else f"{key}\t{names[r]}:{cur}\n")
    with open(excl_path, "w", encoding="utf-8") as out:
        for key in sorted(excluded):
            if key not in best:
                out.write(f"{key}\t{excluded[key]}\n")

if __name__ == "__main__":
    main(*sys.argv[1:4])
