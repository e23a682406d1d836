#!/usr/bin/python3
"""Adds each cell's `sparsity_curve` to a sparse-sgsnn document from its kept runs.

Usage: scripts/sparse-s1-curves.py RESULTS.json RUNS_DIR > WITH_CURVES.json

`somnus experiment sparse-sgsnn` writes, per cell, the first seed's sparsity at each mask
update (`sparsity_curve`: {iteration, sparsity}, from the run's structure_events) since
the ninth session. A document made by an older binary lacks it; when its runs were kept
(`--runs RUNS_DIR`) this script adds the curves from those runs, matched on dataset,
sparse.method, sparse.scope, sparse.final_density and the cell's first seed (run.seed of
the document's config), so that `somnus plot` can draw the sparsity figure. Cells without
mask updates (frozen, dense, static) get none, as the experiment gives them none.
"""
import glob
import json
import os
import sys


def run_key(doc):
    c = doc["config"]
    sp = c["sparse"]
    return (c["data"]["dataset"], sp["method"], sp["scope"], round(sp["final_density"], 6),
            doc["seed"])


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    doc = json.load(open(sys.argv[1]))
    seed0 = doc["config"]["run"]["seed"]
    runs = {}
    for path in glob.glob(os.path.join(sys.argv[2], "*.json")):
        d = json.load(open(path)).get("document")
        if d and d.get("model") == "sgsnn":
            runs[run_key(d)] = d
    for cell in doc["results"]["cells"]:
        key = (cell["dataset"], cell["method"], cell["scope"], round(cell["density"], 6), seed0)
        ev = (runs.get(key) or {}).get("structure_events")
        if ev and ev.get("iteration"):
            cell["sparsity_curve"] = {"iteration": ev["iteration"], "sparsity": ev["sparsity"]}
    json.dump(doc, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
