#!/usr/bin/env python3
"""Cost of calling somnus through Python against the somnus program (a benchmark, not a
test): the same 100,000-step run (no input, membrane noise on while awake so that the
network spikes, plasticity and the sleep schedule on) timed both ways, the best of
--repeat runs each, simulation only (network construction excluded on both sides: the
program's timing.simulate_s, Python's Sim.wake()).

    /usr/bin/python3 bench/python_overhead.py [--build build/release] [--steps 100000]

Needs the Release build's somnus and libsomnus.so (`make`)."""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

ap = argparse.ArgumentParser()
ap.add_argument("--build", default="build/release")
ap.add_argument("--steps", type=int, default=100000)
ap.add_argument("--repeat", type=int, default=3)
a = ap.parse_args()
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
build = os.path.join(root, a.build)
os.environ.setdefault("SOMNUS_LIBRARY", os.path.join(build, "libsomnus.so"))
sys.path.insert(0, os.path.join(root, "python"))
import somnus  # noqa: E402

SETS = {"noise.wake": "true", "run.seed": "1"}


def cli_once(tmp):
    out = os.path.join(tmp, "r.json")
    cmd = [os.path.join(build, "somnus"), "run", "--input", "none", "--steps", str(a.steps),
           "--quiet", "--out", out]
    for k, v in SETS.items():
        cmd += ["--set", "%s=%s" % (k, v)]
    subprocess.run(cmd, check=True, capture_output=True)
    with open(out) as f:
        doc = json.load(f)
    return doc["timing"]["simulate_s"], doc["summary"]["counters"]["steps"]


def py_once():
    sim = somnus.Sim(SETS)
    t0 = time.perf_counter()
    sim.wake(a.steps)
    t = time.perf_counter() - t0
    return t, sim.counters["steps"]


with tempfile.TemporaryDirectory() as tmp:
    c, p = [], []
    for _ in range(a.repeat):
        c.append(cli_once(tmp))
        p.append(py_once())
assert c[0][1] == p[0][1], (c[0], p[0])  # the same steps (sleep included) both ways
tc, tp = min(t for t, _ in c), min(t for t, _ in p)
print("steps %d (%d wake): somnus run %.3f s, Python %.3f s, overhead %+.1f%%"
      % (c[0][1], a.steps, tc, tp, 100 * (tp / tc - 1)))
