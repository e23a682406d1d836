#!/usr/bin/env python3
"""Combines several `somnus experiment ip-sleep` results (the I1 grid of spec/intrinsic.md
B2 run in parts) into one table and checks the spec's targets T1-T6 on it.

    scripts/ip-sleep-combine.py OUT_PREFIX RUN.json [RUN.json ...]

Each RUN.json needs its RUN-runs.csv beside it (the experiment writes both). A cell
(dataset, condition, sleep rate) found in several files is taken from the last one named,
so a later run with more seeds replaces an earlier one. Writes OUT_PREFIX.json (cells,
runs, targets), OUT_PREFIX-cells.csv and OUT_PREFIX-runs.csv, and prints a markdown
table of the cells and of the targets. Standard library only; sd is the sample sd.
"""
import csv
import json
import os
import sys


def load(path):
    doc = json.load(open(path))
    src = os.path.basename(path)[:-5]
    cells = {}
    for c in doc["results"]["cells"]:
        c = dict(c, source=src, somnus_version=doc.get("somnus_version"))
        cells[(c["dataset"], c["condition"], float(c["sleep_rate"]))] = c
    runs = {}
    with open(path[:-5] + "-runs.csv") as fh:
        for r in csv.DictReader(fh):
            key = (r["dataset"], r["condition"], float(r["sleep_rate"]))
            runs.setdefault(key, []).append({k: (v if k in ("dataset", "condition") else float(v))
                                             for k, v in r.items()})
    return cells, runs


def fmt(x, nd=3):
    return "n/a" if x is None else f"{x:.{nd}f}"


def targets(cells, runs):
    """One row per target: name, what was measured, met (True/False/None = not run)."""
    out = []

    def cell(d, c, s):
        return cells.get((d, c, s))

    def add(name, text, met):
        out.append({"target": name, "measured": text, "met": met})

    # T1: no sleep + rate 10 Hz on MNIST: >= 0.81, >= frozen, sd <= 0.05
    r, f = cell("mnist", "rate10", 0.0), cell("mnist", "frozen", 0.0)
    if r and f:
        add("T1", f"{fmt(r['mean_accuracy'])} +- {fmt(r['sd_accuracy'])} vs frozen "
            f"{fmt(f['mean_accuracy'])} +- {fmt(f['sd_accuracy'])}",
            r["mean_accuracy"] >= 0.81 and r["mean_accuracy"] >= f["mean_accuracy"]
            and r["sd_accuracy"] <= 0.05)
    # T2: rate rule (eta_h 0.02) without sleep: batch-20 E rate within +-30% in every seed
    for d in ("mnist", "fashion"):
        for c, tgt in (("rate5", 5), ("rate10", 10), ("rate20", 20), ("rate10_slow", 10)):
            rr = runs.get((d, c, 0.0))
            if not rr:
                add(f"T2 {d} {c}", "not run", None)
                continue
            rates = [x["final_rate_e"] for x in rr]
            ok = all(abs(x / tgt - 1) <= 0.3 for x in rates)
            add(f"T2 {d} {c}" + (" (reported)" if c.endswith("slow") else ""),
                f"batch-20 E rate {min(rates):.1f}-{max(rates):.1f} Hz (target {tgt} Hz)",
                None if c.endswith("slow") else ok)
    # T3: sleep 0.2 + rate 10 Hz >= sleep 0.2 alone - 0.01 (triesch reported)
    for d in ("mnist", "fashion"):
        base = cell(d, "none", 0.2)
        for c in ("rate10", "triesch10"):
            x = cell(d, c, 0.2)
            if not (x and base):
                add(f"T3 {d} {c}", "not run", None)
                continue
            diff = x["mean_accuracy"] - base["mean_accuracy"]
            add(f"T3 {d} {c}" + (" (reported)" if c == "triesch10" else ""),
                f"{fmt(x['mean_accuracy'])} vs {fmt(base['mean_accuracy'])} ({diff:+.3f})",
                None if c == "triesch10" else diff >= -0.01)
    # T4: stability with sleep 0.1 and 0.2 + rate 10 Hz <= sleep alone
    for d in ("mnist", "fashion"):
        for s in (0.1, 0.2):
            x, base = cell(d, "rate10", s), cell(d, "none", s)
            if not (x and base):
                add(f"T4 {d} sleep {s}", "not run", None)
                continue
            add(f"T4 {d} sleep {s}", f"{fmt(x['stability_sd'], 4)} vs {fmt(base['stability_sd'], 4)}",
                x["stability_sd"] <= base["stability_sd"])
    # T5: no sleep + rate: plastic_sum_ratio; <= 9 rejects "IP does not bound weights"
    for d in ("mnist", "fashion"):
        for c in ("rate5", "rate10", "rate20", "rate10_slow"):
            x = cell(d, c, 0.0)
            if x:
                add(f"T5 {d} {c}", f"plastic_sum_ratio {x['plastic_sum_ratio']:.2f} "
                    f"({'<=' if x['plastic_sum_ratio'] <= 9 else '>'} 9: hypothesis "
                    f"{'rejected' if x['plastic_sum_ratio'] <= 9 else 'holds'})", None)
    # T6: textbook sign + rate 10 Hz on MNIST: batch-7 E rate >= 5 Hz every seed, acc >= 0.81
    for s in (0.0, 0.2):
        x = cell("mnist", "textbook_rate10", s)
        if not x:
            add(f"T6 sleep {s}", "not run", None)
            continue
        add(f"T6 rate, sleep {s}", f"min batch-7 E rate {x['rate_e_batch7_min']:.2f} Hz",
            x["rate_e_batch7_min"] >= 5)
        add(f"T6 accuracy, sleep {s}", f"{fmt(x['mean_accuracy'])} +- {fmt(x['sd_accuracy'])}",
            x["mean_accuracy"] >= 0.81)
    return out


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    prefix, cells, runs = sys.argv[1], {}, {}
    for p in sys.argv[2:]:
        c, r = load(p)
        cells.update(c)
        runs.update({k: r[k] for k in c if k in r})
    order = ["frozen", "none", "rate5", "rate10", "rate20", "rate10_slow", "triesch10",
             "textbook_none", "textbook_rate10"]
    keys = sorted(cells, key=lambda k: (k[0] != "mnist", order.index(k[1]), k[2]))
    tg = targets(cells, runs)
    json.dump({"experiment": "ip-sleep (I1), combined", "sources": sys.argv[2:],
               "cells": [cells[k] for k in keys],
               "runs": [dict(r, source=cells[k]["source"]) for k in keys for r in runs.get(k, [])],
               "targets": tg}, open(prefix + ".json", "w"), indent=1)
    cols = ["dataset", "condition", "sleep_rate", "ip_rule", "target_e", "eta_h", "stdp_sign",
            "n_seeds", "mean_accuracy", "sd_accuracy", "stability_sd", "plastic_sum_ratio",
            "final_rate_e", "rate_e_batch7_min", "h_mean_e_final", "accuracies", "source"]
    with open(prefix + "-cells.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(cols)
        for k in keys:
            c = cells[k]
            w.writerow([" ".join(f"{a:.3f}" for a in c[x]) if x == "accuracies" else c[x]
                        for x in cols])
    with open(prefix + "-runs.csv", "w", newline="") as fh:
        rcols = list(next(iter(runs.values()))[0].keys()) + ["source"]
        w = csv.DictWriter(fh, fieldnames=rcols)
        w.writeheader()
        for k in keys:
            for r in runs.get(k, []):
                w.writerow(dict(r, source=cells[k]["source"]))
    print("| dataset | condition | sleep | seeds | test accuracy (PCA + LR, E) | stability sd "
          "(b10-20) | plastic_sum_ratio | E rate, batch 20 (Hz) | min E rate, batch 7 (Hz) | "
          "h of E, end (mV) | run |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for k in keys:
        c = cells[k]
        ws = "n/a" if c["plastic_sum_ratio"] is None else f"{c['plastic_sum_ratio']:.2f}"
        print(f"| {c['dataset']} | {c['condition']} | {c['sleep_rate']:g} | {c['n_seeds']} | "
              f"{fmt(c['mean_accuracy'])} +- {fmt(c['sd_accuracy'])} | {fmt(c['stability_sd'])} | "
              f"{ws} | {c['final_rate_e']:.2f} | {c['rate_e_batch7_min']:.2f} | "
              f"{c['h_mean_e_final']:.2f} | {c['source'].replace('ip-sleep-', '')} |")
    print()
    print("| target | measured | met |")
    print("|---|---|---|")
    for t in tg:
        m = {True: "met", False: "**not met**", None: "reported"}[t["met"]]
        if t["measured"] == "not run":
            m = "not run"
        print(f"| {t['target']} | {t['measured']} | {m} |")


if __name__ == "__main__":
    main()
