#!/usr/bin/env python3
"""Checks scripts/check-layers.py on small trees made here: it passes a layered tree and
fails, naming the pair, on an include up a layer and on an include cycle."""
import os
import subprocess
import sys
import tempfile

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts",
                      "check-layers.py")


def tree(files):
    root = tempfile.mkdtemp()
    for path, text in files.items():
        full = os.path.join(root, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w", encoding="utf-8") as f:
            f.write(text)
    return root


def run(root):
    p = subprocess.run([sys.executable, SCRIPT, "--root", root], capture_output=True, text=True)
    return p.returncode, p.stdout + p.stderr


def expect(cond, msg):
    if not cond:
        print("FAIL:", msg)
        sys.exit(1)


GOOD = {
    "include/somnus/core/a.h": "",
    "src/core/a.c": '#include "somnus/core/a.h"\n',
    "include/somnus/models/m.h": '#include "somnus/core/a.h"\n',
    "src/models/m.c": '#include "somnus/models/m.h"\n#include "models/priv.h"\n',
    "src/models/priv.h": '#include "somnus/core/a.h"\n',
    "src/cli/main.c": '#include "somnus/models/m.h"\n#include "util.h"\n',
    "src/cli/util.h": "",
    "src/cli/util.c": '#include "util.h"\n',
}
rc, out = run(tree(GOOD))
expect(rc == 0 and "ok" in out, f"a layered tree passes: {rc} {out}")

UP = dict(GOOD)
UP["src/core/a.c"] = '#include "somnus/core/a.h"\n#include "somnus/models/m.h"\n'
rc, out = run(tree(UP))
expect(rc == 1, f"an include up a layer fails: {rc} {out}")
expect("core/a -> models/m points up a layer" in out, f"the pair is named: {out}")

CYCLE = dict(GOOD)
CYCLE["src/cli/util.c"] = '#include "util.h"\n#include "commands.h"\n'
CYCLE["src/cli/commands.h"] = ""
CYCLE["src/cli/commands.c"] = '#include "commands.h"\n#include "util.h"\n'
rc, out = run(tree(CYCLE))
expect(rc == 1, f"a cycle fails: {rc} {out}")
expect("cycle cli/commands <-> cli/util" in out or "cycle cli/util <-> cli/commands" in out,
       f"the cycle's pair is named: {out}")
print("check-layers selftest: ok")
