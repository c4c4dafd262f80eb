#!/usr/bin/env python3
"""The shape of src/: the largest files, the longest functions, and which
top-level module imports which (`crate::<module>` paths, comments and test
modules left out). Reads the source as text; runs nothing.

    python3 tools/house.py            # this checkout
    python3 tools/house.py --rev REV  # a commit, read through git
"""
import argparse, re, subprocess, sys
from collections import defaultdict

def files_at(rev):
    if rev is None:
        out = subprocess.run(["git", "ls-files", "src"], capture_output=True, text=True, check=True).stdout
        return {p: open(p, encoding="utf-8").read() for p in out.split() if p.endswith(".rs")}
    out = subprocess.run(["git", "ls-tree", "-r", "--name-only", rev, "src"], capture_output=True, text=True, check=True).stdout
    return {p: subprocess.run(["git", "show", f"{rev}:{p}"], capture_output=True, text=True, check=True).stdout
            for p in out.split() if p.endswith(".rs")}

def code(text):
    i = text.find("#[cfg(test)]")
    if i >= 0:
        text = text[:i]
    return "\n".join(l.split("//")[0] for l in text.split("\n"))

def functions(text):
    """(name, lines) of every fn with a body, by brace matching."""
    out = []
    lines = code(text).split("\n")
    i = 0
    while i < len(lines):
        m = re.match(r"\s*(pub(\([^)]*\))?\s+)?(const\s+)?(unsafe\s+)?fn\s+(\w+)", lines[i])
        if not m:
            i += 1
            continue
        depth, start, opened = 0, i, False
        j = i
        while j < len(lines):
            for c in lines[j]:
                if c == "{":
                    depth += 1; opened = True
                elif c == "}":
                    depth -= 1
            if opened and depth == 0:
                break
            if not opened and lines[j].rstrip().endswith(";"):
                break
            j += 1
        if opened:
            out.append((m.group(5), j - start + 1))
        i = j + 1 if opened else i + 1
    return out

def module(path):
    first = path.split("/")[1]
    m = first[:-3] if first.endswith(".rs") else first
    return "cli" if m in ("main", "cli") else m

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rev")
    ap.add_argument("--top", type=int, default=8)
    a = ap.parse_args()
    files = files_at(a.rev)
    sizes = sorted(((len(t.splitlines()), p) for p, t in files.items()), reverse=True)
    print(f"{len(files)} files, {sum(s for s, _ in sizes)} lines")
    print("largest files:")
    for n, p in sizes[: a.top]:
        print(f"  {n:6}  {p}")
    fns = sorted(((n, f"{p}: {name}") for p, t in files.items() for name, n in functions(t)), reverse=True)
    print("longest functions:")
    for n, f in fns[: a.top]:
        print(f"  {n:6}  {f}")
    edges = defaultdict(set)
    for p, t in files.items():
        me = module(p)
        if me == "lib":
            continue
        root = "statecap" if me == "cli" else "crate"
        for m in re.finditer(rf"(?<![\w]){root}::(\{{[^}}]*\}}|\w+)", code(t)):
            g = m.group(1)
            names = [x.strip().split("::")[0] for x in g.strip("{}").split(",")] if g.startswith("{") else [g]
            for n in names:
                if n and n != me:
                    edges[me].add(n)
    print("imports between top-level modules (module -> what it imports):")
    for me in sorted(edges):
        print(f"  {me:9} -> {', '.join(sorted(edges[me]))}")

if __name__ == "__main__":
    main()
