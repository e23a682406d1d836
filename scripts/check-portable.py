#!/usr/bin/env python3
"""The portable build gives the vector build's results, bit for bit.

    check-portable.py NATIVE_CLI PORTABLE_CLI WORKDIR

NATIVE_CLI is somnus built with SOMNUS_NATIVE=ON (-march=native: the AVX-512 paths of
lif.c, stdp_pair.c, sim.c, encode.c, dc_delay.c and core/philox_simd.h on a CPU that has
it, and whatever the compiler vectorizes), PORTABLE_CLI the same sources with
SOMNUS_NATIVE=OFF (baseline x86-64, the scalar fallbacks). Both run the same small
commands, each in its own folder under WORKDIR: STDP training with sleep and the numpy
export, SG-SNN training, `somnus run` with wake noise, STDP and sleep writing every
spike, and the Diehl & Cook model (input delays, triplet STDP; weights exported). Every
file they write must be byte-identical, except that the results JSON documents are compared
without the version string and the wall-clock timings. Run by ctest (portable_identical)
in optimized test builds; exits 1 naming the first difference of each file that differs.
"""
import json
import os
import shutil
import subprocess
import sys

TRAIN = ("--data synthetic:100 --set data.n_train=80 --set data.n_val=20 "
         "--set data.n_test=40 --set data.batch=20 --set train.eval_fit=40 "
         "--set input.steps_per_image=30 --set sleep.period=600 --set sleep.rate=0.2 "
         "--set run.threads=1 --quiet").split()
COMMANDS = [
    ["train", *TRAIN, "--out", "stdp.json", "--export", "exp"],
    ["train", *TRAIN, "--model", "sgsnn", "--set", "sgsnn.n_hidden=32",
     "--set", "sgsnn.epochs=2", "--set", "sgsnn.steps=10", "--out", "sgsnn.json",
     "--export", "exp_sg"],
    ["run", "--steps", "4000", "--set", "sleep.period=1000", "--set", "sleep.rate=0.5",
     "--set", "noise.wake=1", "--set", "run.threads=1", "--quiet", "--out", "run.json",
     "--spikes-out", "spikes.csv"],
    ["train", "--model", "dc", "--data", "synthetic:100", "--set", "data.n_train=40",
     "--set", "data.n_val=0", "--set", "data.n_test=20", "--set", "dc.n_exc=40",
     "--set", "run.threads=1", "--quiet", "--out", "dc.json", "--export", "exp_dc"],
]
TIMING_KEYS = {"timing", "wall_s", "epoch_s", "sleep_s"}


def strip(doc):
    if isinstance(doc, dict):
        return {k: strip(v) for k, v in doc.items()
                if k not in TIMING_KEYS and k != "somnus_version"}
    if isinstance(doc, list):
        return [strip(v) for v in doc]
    return doc


def first_diff(a, b, path=""):
    if type(a) is not type(b):
        return f"{path}: {a!r} vs {b!r}"
    if isinstance(a, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                return f"{path}/{k}: only in one"
            d = first_diff(a[k], b[k], f"{path}/{k}")
            if d:
                return d
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{path}: length {len(a)} vs {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            d = first_diff(x, y, f"{path}[{i}]")
            if d:
                return d
        return None
    return None if a == b else f"{path}: {a!r} vs {b!r}"


def files(root):
    out = []
    for d, _, names in os.walk(root):
        out += [os.path.relpath(os.path.join(d, n), root) for n in names]
    return sorted(out)


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    native, portable, work = (os.path.abspath(a) for a in sys.argv[1:])
    shutil.rmtree(work, ignore_errors=True)
    dirs = {"native": os.path.join(work, "native"), "portable": os.path.join(work, "portable")}
    for name, cli in (("native", native), ("portable", portable)):
        os.makedirs(dirs[name])
        for args in COMMANDS:
            r = subprocess.run([cli, *args], cwd=dirs[name], capture_output=True, text=True)
            if r.returncode != 0:
                sys.exit(f"{name}: somnus {' '.join(args)} exited {r.returncode}:\n{r.stderr}")
    fa, fb = files(dirs["native"]), files(dirs["portable"])
    failed = 0
    if fa != fb:
        print(f"different files: {sorted(set(fa) ^ set(fb))}")
        failed += 1
    for rel in sorted(set(fa) & set(fb)):
        pa, pb = os.path.join(dirs["native"], rel), os.path.join(dirs["portable"], rel)
        if rel.endswith(".json"):
            with open(pa) as f:
                a = strip(json.load(f))
            with open(pb) as f:
                b = strip(json.load(f))
            d = first_diff(a, b)
        else:
            with open(pa, "rb") as f:
                a = f.read()
            with open(pb, "rb") as f:
                b = f.read()
            d = None
            if a != b:
                at = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
                d = f"byte {at} differs (sizes {len(a)}, {len(b)})"
        if d:
            print(f"{rel}: native and portable differ: {d}")
            failed += 1
    n = len(set(fa) & set(fb))
    print(f"{n - failed} passed, {failed} failed")
    if n < 40:  # the STDP export alone writes 40 files
        sys.exit(f"only {n} files compared")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
