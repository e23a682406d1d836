#!/usr/bin/env python3
"""Summarize rf-sleep's kept runs (the --runs directory) into cells, whatever subset of
the grid has finished: one row per (dataset, builder, sleep rate, target) with the mean
and sd over the seeds present, in the metrics rf-sleep's cells use (PCA + LR accuracy,
per-batch sd of the validation accuracy over the second half of training, plastic sum
ratio, RF drift, dead-E fraction). Used for the tenth session's E6 table, where the
rate-0 arms of some builders had not all finished (each exploded run costs minutes).

usage: summarize_runs.py DIR [DIR ...] > cells.csv
(each DIR holds kept runs, {"document": ...}, or plain `somnus train --out` documents; a
run present twice, same cell and seed, is counted once: runs are deterministic)
"""
import csv
import glob
import json
import math
import statistics
import sys


def builder_of(c):
    conn, n_exc = c["net"]["se_connectivity"], c["net"]["n_exc"]
    if conn == "bernoulli":
        return "bernoulli" if n_exc == 196 else f"bernoulli{n_exc}"
    if conn == "gaussian":
        return f"gaussian{c['net']['rf_sigma']:g}"
    return conn


def batch_sd(ev):
    """rf_sleep.c batch_sd: validation accuracies at batch >= last/2, batch > 0."""
    b, a = ev["batch"], ev["val_accuracy"]
    last = b[-1]
    xs = [x for k, x in zip(b, a) if k > 0 and k >= last / 2 and x is not None]
    return statistics.stdev(xs) if len(xs) > 1 else math.nan


def main(dirs):
    cells = {}
    for path in sorted(p for d in dirs for p in glob.glob(f"{d}/*.json")):
        with open(path) as fh:
            d = json.load(fh)
        d = d.get("document", d)
        c, f = d["config"], d["final"]
        frozen = c["stdp"]["rule"] == "none"
        key = (c["data"]["dataset"], builder_of(c),
               "frozen" if frozen else f"{c['sleep']['rate']:g}",
               "-" if frozen else c["sleep"]["target"])
        seeds = cells.setdefault(key, {})
        seeds[c["run"]["seed"]] = (
            (c["run"]["seed"], f["test_accuracy"], batch_sd(d["evaluations"]),
             f["plastic_sum_ratio"], f["rf_drift_se"], f["dead_e_fraction"]))
    w = csv.writer(sys.stdout)
    w.writerow(["dataset", "builder", "sleep_rate", "target", "n_seeds", "seeds",
                "mean_accuracy", "sd_accuracy", "batch_sd", "plastic_sum_ratio",
                "rf_drift", "dead_e_fraction"])
    for key in sorted(cells):
        rows = sorted(cells[key].values())
        acc = [r[1] for r in rows]

        def mean(k):
            return statistics.fmean(r[k] for r in rows)

        w.writerow(list(key) + [len(rows), " ".join(str(r[0]) for r in rows),
                                f"{statistics.fmean(acc):.4f}",
                                f"{statistics.stdev(acc):.4f}" if len(acc) > 1 else "",
                                f"{mean(2):.4f}", f"{mean(3):.3f}", f"{mean(4):.3f}",
                                f"{mean(5):.3f}"])


if __name__ == "__main__":
    main(sys.argv[1:])
