#!/usr/bin/env python3
"""The layer check of `make lint` and `make test` (docs/architecture.md).

somnus's source folders are layers; a file may use its own layer and the ones below:

    core < io < network < plasticity < models < analysis < protocol < cli

A module is a concept: src/<layer>/[<sub>/]<name>.c with its headers
include/somnus/<layer>/<name>.h and src/<layer>/[<sub>/]<name>.h (a private header
<name>_internal.h belongs to module <name> too). Two checks, both on modules:

  includes  every #include "..." of src/ and include/somnus/ (source level);
  symbols   with --objects DIR: every undefined symbol of a library or CLI object file
            resolved to the object that defines it (link level: catches a function
            declared in one place and defined in a module above it).

Fails (exit 1) on an edge that points up a layer and on a cycle between modules,
printing each offending pair. Usage:
    check-layers.py [--root DIR] [--objects BUILD_DIR]
"""
import argparse
import os
import re
import subprocess
import sys

LAYERS = ["core", "io", "network", "plasticity", "models", "analysis", "protocol", "cli"]
RANK = {name: i for i, name in enumerate(LAYERS)}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def module_of(path):
    """(layer, module name) of a file path relative to the root, or None."""
    parts = path.split("/")
    stem = os.path.splitext(parts[-1])[0]
    if stem.endswith("_internal"):  # a module's private header belongs to the module
        stem = stem[: -len("_internal")]
    if parts[0] == "src" and len(parts) >= 3 and parts[1] in RANK:
        return parts[1], "/".join(parts[1:-1] + [stem])
    if parts[:2] == ["include", "somnus"] and len(parts) == 4 and parts[2] in RANK:
        return parts[2], parts[2] + "/" + stem
    return None


def resolve(root, src, inc):
    """The file an #include "inc" in file src means, relative to root, or None."""
    candidates = [os.path.join(os.path.dirname(src), inc), os.path.join("src", inc),
                  os.path.join("include", inc)]
    for c in candidates:
        c = os.path.normpath(c)
        if os.path.exists(os.path.join(root, c)):
            return c
    return None


def source_files(root):
    for top in ("src", "include/somnus"):
        for d, _, files in os.walk(os.path.join(root, top)):
            for f in files:
                if f.endswith((".c", ".h")):
                    yield os.path.relpath(os.path.join(d, f), root)


def include_edges(root):
    edges = {}
    for f in source_files(root):
        m = module_of(f)
        if not m:
            continue
        with open(os.path.join(root, f), encoding="utf-8") as fh:
            text = fh.read()
        for inc in INCLUDE.findall(text):
            target = resolve(root, f, inc)
            t = module_of(target) if target else None
            if t and t != m:
                edges.setdefault((m, t), f"{f} includes {inc}")
    return edges


def object_files(build):
    for d, _, files in os.walk(build):
        for f in files:
            if f.endswith(".c.o") and ("somnus.dir" in d or "somnus_cli.dir" in d):
                yield os.path.join(d, f)


def symbol_edges(build):
    defined, used, mod = {}, {}, {}
    for obj in object_files(build):
        rel = obj.split(".dir/", 1)[1][: -len(".o")]  # e.g. src/core/config.c
        m = module_of(rel)
        if not m:
            continue
        mod[obj] = (m, rel)
        out = subprocess.run(["nm", "-g", obj], capture_output=True, text=True, check=True)
        for line in out.stdout.splitlines():
            fields = line.split()
            if len(fields) == 2 and fields[0] == "U":
                used.setdefault(obj, set()).add(fields[1])
            elif len(fields) == 3 and fields[1] in "TDBRVW":
                defined[fields[2]] = obj
    edges = {}
    for obj, syms in used.items():
        for s in sorted(syms):
            owner = defined.get(s)
            if owner and owner != obj and mod[owner][0] != mod[obj][0]:
                edges.setdefault((mod[obj][0], mod[owner][0]),
                                 f"{mod[obj][1]} uses {s} of {mod[owner][1]}")
    return edges


def cycles(edges):
    """Strongly connected components with more than one module (Tarjan)."""
    graph = {}
    for a, b in edges:
        graph.setdefault(a, set()).add(b)
        graph.setdefault(b, set())
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def check(kind, edges):
    problems = []
    for (a, b), why in sorted(edges.items()):
        if RANK[b[0]] > RANK[a[0]]:
            problems.append(f"{kind}: {a[1]} -> {b[1]} points up a layer ({a[0]} < {b[0]}): {why}")
    for comp in cycles(edges):
        members = set(comp)
        for (a, b), why in sorted(edges.items()):
            if a in members and b in members:
                problems.append(f"{kind}: cycle {a[1]} <-> {b[1]}: {why}")
    return problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", default=os.path.join(os.path.dirname(__file__), ".."))
    ap.add_argument("--objects", help="build folder whose object files to check too")
    a = ap.parse_args()
    problems = check("include", include_edges(a.root))
    n_checks = 1
    if a.objects:
        if not any(True for _ in object_files(a.objects)):
            print(f"check-layers: no object files under {a.objects}", file=sys.stderr)
            return 2
        problems += check("symbol", symbol_edges(a.objects))
        n_checks = 2
    for p in problems:
        print(p)
    if problems:
        print(f"check-layers: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    print(f"check-layers: ok ({n_checks} check{'s' if n_checks > 1 else ''}; layers "
          + " < ".join(LAYERS) + ")")
    return 0


if __name__ == "__main__":
    sys.exit(main())
