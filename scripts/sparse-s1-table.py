#!/usr/bin/python3
"""The S1 table of docs/structural.md from `somnus experiment sparse-sgsnn` results.

Usage: scripts/sparse-s1-table.py RESULTS.json [MORE.json ...] > table.md

Merges the cells of every file (later files win for the same cell), prints the cell
table (mean +- sample sd over seeds, per-seed accuracies), then the spec S1 targets:
dense reference, granet vs dense, and the ordering granet >= gmp >= static with the
per-seed paired differences and their sd (a mean difference smaller than that sd is a
tie, spec S1).
"""
import json
import statistics
import sys

DENSE_MIN = {"mnist": 0.94, "fashion": 0.86}
GRANET_GAP = {0.1: 0.01, 0.05: 0.02, 0.02: 0.04}


def load(paths):
    cells = {}
    for p in paths:
        for c in json.load(open(p))["results"]["cells"]:
            key = (c["dataset"], c["method"], c["scope"], round(c["density"], 6))
            cells[key] = c
    return cells


def fmt(c):
    sd = c["sd_accuracy"] if c["sd_accuracy"] is not None else float("nan")
    return "%.4f +- %.4f" % (c["mean_accuracy"], sd)


def paired(a, b):
    d = [x - y for x, y in zip(a["accuracies"], b["accuracies"])]
    m = statistics.mean(d)
    s = statistics.stdev(d) if len(d) > 1 else float("nan")
    return d, m, s


def verdict(ok):
    return "met" if ok else "**not met**"


def main():
    cells = load(sys.argv[1:])
    print("| dataset | method | scope | D_f | accuracy (mean +- sd) | n | per seed | final sparsity |")
    print("|---|---|---|---|---|---|---|---|")
    for k, c in cells.items():
        sp = ", ".join("%.5f" % s for s in c.get("final_sparsity", []) if s is not None)
        print("| %s | %s | %s | %g | %s | %d | %s | %s |" % (
            k[0], k[1], k[2], k[3], fmt(c), c["n_seeds"],
            ", ".join("%.3f" % a for a in c["accuracies"]), sp or "-"))
    print()
    print("| target (spec S1, ours) | measured | verdict |")
    print("|---|---|---|")
    for ds in sorted({k[0] for k in cells}):
        dense = cells.get((ds, "dense", "none", 1.0))
        frozen = cells.get((ds, "frozen", "none", 1.0))
        if dense and ds in DENSE_MIN:
            ref = " (frozen random network %s)" % fmt(frozen) if frozen else ""
            print("| %s dense >= %.2f | %s%s | %s |" % (
                ds, DENSE_MIN[ds], fmt(dense), ref,
                verdict(dense["mean_accuracy"] >= DENSE_MIN[ds])))
        for (d2, m, sc, den), c in cells.items():
            if d2 != ds or m != "granet":
                continue
            if dense and den in GRANET_GAP:
                gap = dense["mean_accuracy"] - c["mean_accuracy"]
                print("| %s granet %s D_f %g >= dense - %.2f | %s (dense - granet = %.4f) | %s |" % (
                    ds, sc, den, GRANET_GAP[den], fmt(c), gap, verdict(gap <= GRANET_GAP[den])))
            gmp = cells.get((ds, "gmp", sc, den))
            static = cells.get((ds, "static", "none", den))
            if gmp:
                d, mu, s = paired(c, gmp)
                need = 0.003 if abs(den - 0.02) < 1e-9 else 0.0
                tie = len(d) > 1 and abs(mu) < s
                print("| %s %s D_f %g: granet - gmp >= %g | %+.4f (paired per seed %s, sd %.4f)%s | %s |" % (
                    ds, sc, den, need, mu, ", ".join("%+.3f" % x for x in d), s,
                    " tie" if tie else "", verdict(mu >= need and not (tie and need > 0))))
            if gmp and static and abs(den - 0.02) < 1e-9:
                d, mu, s = paired(gmp, static)
                tie = len(d) > 1 and abs(mu) < s
                print("| %s %s D_f %g: gmp - static >= 0.01 | %+.4f (paired per seed %s, sd %.4f)%s | %s |" % (
                    ds, sc, den, mu, ", ".join("%+.3f" % x for x in d), s,
                    " tie" if tie else "", verdict(mu >= 0.01 and not tie)))


if __name__ == "__main__":
    main()
