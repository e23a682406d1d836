#!/usr/bin/env python3
"""Follows one sleep window of the STDP network step by step: wake on random images,
then one sleep window, reading the weights after every sleep step (Sim.each_step syncs them first;
results are the same as without it). Prints and, with matplotlib, plots sum|w| per
pathway over the window.

    python3 examples/python/sleep_window.py [--seed 1] [--wake 20000] [--window 1000]
"""
import argparse

import numpy as np

import somnus

ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
ap.add_argument("--seed", type=int, default=1)
ap.add_argument("--wake", type=int, default=20000)
ap.add_argument("--window", type=int, default=1000)
ap.add_argument("--out", default="sleep_window.png")
a = ap.parse_args()

# No scheduled sleep during the wake part: the window is started by hand below.
sim = somnus.Sim({"run.seed": a.seed, "sleep.period": 10**12})
rng = np.random.default_rng(a.seed)
steps_per_image = sim.config["input.steps_per_image"]
for start in range(0, a.wake, steps_per_image):
    img = rng.random(sim.n_input)
    img *= sim.config["input.norm_fraction"] * sim.n_input / img.sum()
    sim.present(img, min(steps_per_image, a.wake - start))

w = sim.weights()                       # a view: it follows the network
pathway = sim.synapses()["pathway"]
rows = []


def after_step(step, ids):
    rows.append([step, len(ids)] + [float(np.abs(w[pathway == k]).sum()) for k in range(4)])


sim.each_step(after_step)
slept = sim.sleep(a.window)
sim.each_step(None)
rows = np.array(rows)
print("slept %d steps (window %d)" % (slept, a.window))
for k, name in enumerate(somnus.PATHWAYS):
    print("%s: sum|w| %.3f -> %.3f" % (name, rows[0, 2 + k], rows[-1, 2 + k]))

try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    raise SystemExit("(no plot: apt-get install python3-matplotlib)")
fig, ax = plt.subplots(figsize=(6, 4))
for k, name in enumerate(somnus.PATHWAYS):
    ax.plot(rows[:, 0] - rows[0, 0], rows[:, 2 + k] / rows[0, 2 + k], label=name)
ax.set_xlabel("sleep step")
ax.set_ylabel("sum|w| / value at the first step")
ax.legend()
fig.tight_layout()
fig.savefig(a.out, dpi=120)
print("figure:", a.out)
