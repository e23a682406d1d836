#!/usr/bin/env python3
"""Trains the STDP network on the paper config (somnus train's defaults) from Python and
plots the learning curve and the weight sums (matplotlib, Debian python3-matplotlib).

    python3 examples/python/train_paper.py [--data-dir data] [--seed 1] [--quick]
                                           [--out train_paper.png]

--quick trains on the synthetic shapes with a few hundred images (seconds); without it
the paper config needs MNIST in --data-dir (scripts/fetch-data.sh data).
"""
import argparse
import json

import somnus

ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
ap.add_argument("--data-dir", default="data")
ap.add_argument("--seed", type=int, default=1)
ap.add_argument("--quick", action="store_true")
ap.add_argument("--out", default="train_paper.png")
a = ap.parse_args()

cfg = somnus.Config({"run.seed": a.seed, "data.dir": a.data_dir})
if a.quick:
    cfg.update({"data.dataset": "synthetic:200", "data.n_train": 400, "data.n_val": 100,
                "data.n_test": 200, "data.batch": 50, "input.steps_per_image": 50,
                "sleep.period": 2500})


def progress(p):
    print("\r%s %d/%d  last validation accuracy %.3f" % (
        p["stage"], p["done"], p["total"], p["last_accuracy"]), end="", flush=True)


res = somnus.train(cfg, progress=progress)
print()
print("test accuracy", res["final"]["test_accuracy"])
ev = res.frames["evaluations"]          # one row per evaluation (a pandas DataFrame)
print(ev[[c for c in ev.columns if c in ("batch", "images", "val_accuracy")]].to_string())

try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    with open(a.out.rsplit(".", 1)[0] + ".json", "w") as f:
        json.dump(res, f)
    raise SystemExit("matplotlib is not installed (apt-get install python3-matplotlib); "
                     "the results document is in " + a.out.rsplit(".", 1)[0] + ".json")

acc_col = "val_accuracy" if "val_accuracy" in ev else [c for c in ev if "acc" in c][0]
sum_cols = [c for c in ev.columns if c.endswith("sum_abs") or c.endswith("_over_w0")]
fig, ax = plt.subplots(1, 2, figsize=(10, 4))
ax[0].plot(ev["images"], ev[acc_col], marker="o")
ax[0].set_xlabel("training images")
ax[0].set_ylabel(acc_col)
ax[0].set_title("learning curve")
for c in sum_cols:
    ax[1].plot(ev["images"], ev[c], label=c)
ax[1].set_xlabel("training images")
ax[1].set_title("weight sums (relative to W0)")
ax[1].legend()
fig.tight_layout()
fig.savefig(a.out, dpi=120)
print("figure:", a.out)
