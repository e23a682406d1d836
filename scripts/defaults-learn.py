#!/usr/bin/env python3
"""Defaults-learn check (spec/intrinsic.md B3): somnus's defaults against the frozen random
network (and the published-sign variant), seeds x datasets, one `somnus train` each.

    scripts/defaults-learn.py run DIR [--seeds 1,2,3,4,5] [--arms default,frozen,published]
        runs the missing `somnus train` runs into DIR (one at a time; start two with
        disjoint --seeds to use two cores)
    scripts/defaults-learn.py summarize DIR OUT_PREFIX [--prior OLD.json]
        writes OUT_PREFIX.json, OUT_PREFIX-runs.csv and OUT_PREFIX-cells.csv from DIR
        (with --prior, also the runs of an earlier OUT_PREFIX.json that DIR does not
        have: the runs of one session need not all be on disk in the next)

Standard library only (no numpy): the sd is the sample sd (n - 1), as elsewhere in somnus.
"""
import csv
import json
import os
import statistics
import subprocess
import sys

SOMNUS = os.environ.get("SOMNUS", "build/release/somnus")
COMMON = ["--set", "train.eval_every=0", "--set", "run.threads=1"]
ARMS = {
    # the earlier defaults (issue 18's first change: textbook sign, `rate` IP, sleep 0.2),
    # written out since the fourth session made the `triesch` arm the defaults (evaluations
    # off: they run on a snapshot and never change the final score; thread count never
    # changes results)
    "default": ["--set", "stdp.sign=textbook", "--set", "ip.rule=rate", "--set", "sleep.rate=0.2"],
    # the frozen random network of the I1 grid / sleep-stdp-compare row (d)
    "frozen": ["--set", "ip.rule=none", "--set", "net.plastic_se=false", "--set",
               "net.plastic_ee=false", "--set", "net.plastic_ei=false", "--set",
               "net.plastic_ie=false", "--set", "sleep.mode=none"],
    # the earlier defaults with the published (reversed) STDP sign
    "published": ["--set", "stdp.sign=as_published", "--set", "ip.rule=rate", "--set",
                  "sleep.rate=0.2"],
    # the published sign with Triesch's IP (gain and bias, 10 Hz) and no sleep: the I1
    # grid's best no-sleep cell (triesch10, sleep 0), at the defaults' 1,000 steps per image;
    # somnus's defaults since the fourth session (written out all the same)
    "triesch": ["--set", "stdp.sign=as_published", "--set", "ip.rule=triesch", "--set",
                "sleep.rate=0"],
    # the same with sleep 0.1: the I1 grid's cell where Triesch's IP also holds the rate
    # (10 Hz) and the weights (plastic sum 0.5 x start)
    "triesch01": ["--set", "stdp.sign=as_published", "--set", "ip.rule=triesch", "--set",
                  "sleep.rate=0.1"],
}
DATASETS = ["mnist", "fashion"]


def command(arm, data, seed, out):
    return [SOMNUS, "train", "--data", data, "--quiet", "--set", f"run.seed={seed}"] + COMMON + \
        ARMS[arm] + ["--out", out]


def run(d, seeds, arms):
    os.makedirs(d, exist_ok=True)
    for s in seeds:
        for data in DATASETS:
            for arm in arms:
                out = os.path.join(d, f"{arm}-{data}-{s}.json")
                if os.path.exists(out):
                    continue
                subprocess.run(command(arm, data, s, out + ".tmp"), check=True)
                os.replace(out + ".tmp", out)


def summarize(d, prefix, prior=None):
    runs = []
    for f in sorted(os.listdir(d)):
        if not f.endswith(".json"):
            continue
        arm, data, seed = f[:-5].split("-")
        doc = json.load(open(os.path.join(d, f)))
        fin = doc["final"]
        runs.append({"arm": arm, "dataset": data, "seed": int(seed),
                     "test_accuracy": fin["test_accuracy"],
                     "plastic_sum_ratio": fin.get("plastic_sum_ratio"),
                     "ip_h_mean_e": fin.get("ip_h_mean_e"),
                     "wall_s": doc.get("timing", {}).get("wall_s"),
                     "command": " ".join(command(arm, data, seed, "OUT.json")[1:])})
    if prior:
        have = {(r["arm"], r["dataset"], r["seed"]) for r in runs}
        runs += [r for r in json.load(open(prior))["runs"]
                 if (r["arm"], r["dataset"], r["seed"]) not in have]
    runs.sort(key=lambda r: (r["dataset"], r["arm"], r["seed"]))
    cells = []
    for data in DATASETS:
        for arm in ARMS:
            acc = [r["test_accuracy"] for r in runs if r["arm"] == arm and r["dataset"] == data]
            seeds = [r["seed"] for r in runs if r["arm"] == arm and r["dataset"] == data]
            if not acc:
                continue
            cells.append({"dataset": data, "arm": arm, "n_seeds": len(acc), "seeds": seeds,
                          "mean_accuracy": statistics.mean(acc),
                          "sd_accuracy": statistics.stdev(acc) if len(acc) > 1 else None,
                          "accuracies": acc})
    with open(prefix + ".json", "w") as fh:
        json.dump({"experiment": "defaults-learn (spec/intrinsic.md B3)",
                   "cells": cells, "runs": runs}, fh, indent=2)
    with open(prefix + "-runs.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(runs[0].keys()))
        w.writeheader()
        w.writerows(runs)
    with open(prefix + "-cells.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["dataset", "arm", "n_seeds", "seeds", "mean_accuracy", "sd_accuracy",
                    "accuracies"])
        for c in cells:
            w.writerow([c["dataset"], c["arm"], c["n_seeds"], " ".join(map(str, c["seeds"])),
                        c["mean_accuracy"], c["sd_accuracy"],
                        " ".join(f"{a:.3f}" for a in c["accuracies"])])
    for c in cells:
        sd = "n/a" if c["sd_accuracy"] is None else f"{c['sd_accuracy']:.3f}"
        print(f"{c['dataset']:8s} {c['arm']:10s} n={c['n_seeds']} {c['mean_accuracy']:.3f} +- {sd}"
              f"  [{', '.join(f'{a:.3f}' for a in c['accuracies'])}]")


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "run":
        opts = dict(zip(sys.argv[3::2], sys.argv[4::2]))
        run(sys.argv[2], [int(s) for s in opts.get("--seeds", "1,2,3,4,5").split(",")],
            opts.get("--arms", "default,frozen,published").split(","))
    elif len(sys.argv) == 4 and sys.argv[1] == "summarize":
        summarize(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 6 and sys.argv[1] == "summarize" and sys.argv[4] == "--prior":
        summarize(sys.argv[2], sys.argv[3], sys.argv[5])
    else:
        sys.exit(__doc__)
