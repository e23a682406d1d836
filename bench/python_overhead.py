#!/usr/bin/env python3
"""Cost of calling somnus through Python against the somnus program (a benchmark, not a
test): the same 100,000-step run timed both ways, the best of --repeat runs each,
simulation only (network construction and input file parsing excluded on both sides:
the program's timing.simulate_s, Python's Sim.wake()). Plasticity and the sleep
schedule are on. --input spikes (default): random input spikes (rate --rate per input
neuron and step), a spike file for the program and the same raster for Python, so both
runs produce the same spikes (checked); --input none: no input, membrane noise while
awake.

    /usr/bin/python3 bench/python_overhead.py [--build build/release] [--steps 100000]
                                              [--clock wall|cpu]

--clock cpu (for a loaded machine, where wall times scatter): one OpenMP thread both
ways and CPU time instead of wall time; the program's simulation CPU time is that of the
run minus that of the same command with --steps 0 (construction, input parsing).

Needs the Release build's somnus and libsomnus.so (`make`)."""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

ap = argparse.ArgumentParser()
ap.add_argument("--build", default="build/release")
ap.add_argument("--steps", type=int, default=100000)
ap.add_argument("--repeat", type=int, default=3)
ap.add_argument("--input", choices=("spikes", "none"), default="spikes")
ap.add_argument("--rate", type=float, default=0.1)
ap.add_argument("--clock", choices=("wall", "cpu"), default="wall")
a = ap.parse_args()
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
build = os.path.join(root, a.build)
os.environ.setdefault("SOMNUS_LIBRARY", os.path.join(build, "libsomnus.so"))
if a.clock == "cpu":
    os.environ["OMP_NUM_THREADS"] = "1"
sys.path.insert(0, os.path.join(root, "python"))
import numpy as np  # noqa: E402
import somnus  # noqa: E402

SETS = {"noise.wake": "true" if a.input == "none" else "false", "run.seed": "1"}
N_IN = somnus.Config()["net.n_input"]
raster = None
if a.input == "spikes":
    raster = np.random.default_rng(1).random((a.steps, N_IN)) < a.rate


def child_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def cli_once(tmp, spikes_out=False, steps=None):
    out = os.path.join(tmp, "r.json")
    inp = "none"
    if raster is not None:
        inp = "spikes:" + os.path.join(tmp, "in.csv")
        if not os.path.exists(inp[7:]):
            s, n = np.nonzero(raster)
            np.savetxt(inp[7:], np.column_stack([n, s]), fmt="%d,%d.0", header="neuron,time_ms",
                       comments="")
    cmd = [os.path.join(build, "somnus"), "run", "--input", inp, "--steps",
           str(a.steps if steps is None else steps),
           "--quiet", "--out", out]
    if spikes_out:  # not in the timed runs: writing the file is part of simulate_s
        cmd += ["--spikes-out", os.path.join(tmp, "out.csv")]
    for k, v in SETS.items():
        cmd += ["--set", "%s=%s" % (k, v)]
    c0 = child_cpu()
    subprocess.run(cmd, check=True, capture_output=True)
    cpu = child_cpu() - c0
    with open(out) as f:
        doc = json.load(f)
    n_spikes = None
    if spikes_out:
        with open(os.path.join(tmp, "out.csv")) as f:
            n_spikes = sum(1 for _ in f) - 1
    if a.clock == "cpu":
        if steps is None:
            return cpu - cli_once(tmp, steps=0)[0], (doc["summary"]["counters"]["steps"],
                                                     n_spikes)
        return cpu, None
    return doc["timing"]["simulate_s"], (doc["summary"]["counters"]["steps"], n_spikes)


def py_once():
    sim = somnus.Sim(SETS)
    if raster is not None:
        sim.set_input(raster)
    clock = time.process_time if a.clock == "cpu" else time.perf_counter
    t0 = clock()
    sim.wake(a.steps)
    t = clock() - t0
    return t, (sim.counters["steps"], None)


with tempfile.TemporaryDirectory() as tmp:
    c, p = [], []
    for _ in range(a.repeat):
        c.append(cli_once(tmp))
        p.append(py_once())
    ref = cli_once(tmp, spikes_out=True)[1]
# the same run both ways: steps (sleep included) and, counted once more with a spike
# recorder outside the timing, the same number of spikes
sim = somnus.Sim(SETS)
if raster is not None:
    sim.set_input(raster)
sim.record_spikes()
sim.wake(a.steps)
assert ref == (sim.counters["steps"], len(sim.spikes()[0])), (ref, sim.counters)
tc, tp = min(t for t, _ in c), min(t for t, _ in p)
print("%s time, input %s: %d steps (%d wake), %d E/I spikes: somnus run %.3f s, Python %.3f s, "
      "overhead %+.1f%%" % (a.clock, a.input, ref[0], a.steps, ref[1], tc, tp,
                            100 * (tp / tc - 1)))
