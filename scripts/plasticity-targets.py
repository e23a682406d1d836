#!/usr/bin/python3
"""The P2-P4, P6 and P7 targets of docs/plasticity.md from `somnus experiment plasticity-sgsnn`.

Usage: scripts/plasticity-targets.py RESULTS.json > targets.md

Reads results.runs (one entry per arm and seed: auc, pr_final and the per-chunk series
acc, pr, dormant, srank_frac, index 0 = before training) and prints, in markdown:
- the arm table (mean +- sample sd over seeds);
- P2: pr_K and the rise of the dormant fraction (tau 0.1) from chunk 1 to K of the
  baseline at lr 1e-3 and 1e-2 on `cyclic`; loss detected if pr_K <= 0.95 or rise >= 0.10;
- P3: for each PLASTIC component c, (auc_c - auc_base) on input:grow minus the same on
  label:cyclic, its sign against the table of spec plasticity-loss.md (LN, SAM positive;
  ON/OFF, reset negative); met if >= 3 of 4 signs match;
- P4: PLASTIC's mean auc against the best single component - 0.005 and against base + 0.02
  (input) and + 0.01 (label); mean pr_K >= 0.98 on cyclic;
- P6: sleep - base on cyclic, paired by seed: mean and 95% t interval of auc and pr_K;
- P7: Spearman correlation, over every `cyclic` arm, seed and chunk k = 1..K, between
  srank / H (and dormant 0.1) measured at the chunk's start (series index k - 1) and the
  chunk's accuracy acc_k (index k); pairs with a missing value are left out.
Accuracies are fractions; "points" in the spec are 0.01.
"""
import json
import math
import sys

import numpy as np
from scipy import stats

COMPONENTS = (("ln", +1), ("sam", +1), ("onoff", -1), ("reset", -1))
INPUT, LABEL = "input:grow", "label:cyclic"


def load_runs(path):
    """{(protocol, arm): [run, ...]} in seed order."""
    runs = {}
    for r in json.load(open(path))["results"]["runs"]:
        runs.setdefault((r["protocol"], r["arm"]), []).append(r)
    for v in runs.values():
        v.sort(key=lambda r: r["seed"])
    return runs


def num(x):
    return float("nan") if x is None else float(x)


def values(runs, key, protocol, arm):
    return np.array([num(r[key]) for r in runs[(protocol, arm)]])


def mean_sd(v):
    v = v[np.isfinite(v)]
    if v.size == 0:
        return float("nan"), float("nan")
    return float(v.mean()), float(v.std(ddof=1)) if v.size > 1 else 0.0


def paired_interval(a, b):
    """Mean of a - b over seeds and its 95% t interval (nan half-width for one seed)."""
    d = a - b
    d = d[np.isfinite(d)]
    m = float(d.mean())
    if d.size < 2:
        return m, float("nan"), float("nan")
    h = stats.t.ppf(0.975, d.size - 1) * d.std(ddof=1) / math.sqrt(d.size)
    return m, m - h, m + h


def chunk_pairs(runs, series):
    """(diagnostic at chunk start, accuracy of the chunk) over every cyclic arm and seed."""
    x, y = [], []
    for (protocol, _), rs in sorted(runs.items()):
        if protocol != LABEL:
            continue
        for r in rs:
            d, acc = r[series], r["acc"]
            for k in range(1, len(acc)):
                if d[k - 1] is not None and acc[k] is not None:
                    x.append(float(d[k - 1]))
                    y.append(float(acc[k]))
    return np.array(x), np.array(y)


def fmt(m, s):
    return "%.3f +- %.3f" % (m, s)


def verdict(ok):
    return "**met**" if ok else "**not met**"


def arm_table(runs, out):
    out.append("| protocol | arm | n | auc | pr_K |")
    out.append("|---|---|---|---|---|")
    for (protocol, arm), rs in runs.items():
        out.append("| %s | %s | %d | %s | %s |" % (
            protocol, arm, len(rs), fmt(*mean_sd(values(runs, "auc", protocol, arm))),
            fmt(*mean_sd(values(runs, "pr_final", protocol, arm)))))


def p2(runs, out):
    out.append("")
    out.append("| P2 arm (label:cyclic) | pr_K | dormant_0.1 rise chunk 1 -> K | loss detected |")
    out.append("|---|---|---|---|")
    found = False
    for arm in ("base", "base-lr1e-2"):
        if (LABEL, arm) not in runs:
            continue
        rs = runs[(LABEL, arm)]
        rise = np.array([num(r["dormant"][-1]) - num(r["dormant"][1]) for r in rs])
        prk, rm = mean_sd(values(runs, "pr_final", LABEL, arm)), mean_sd(rise)
        loss = prk[0] <= 0.95 or rm[0] >= 0.10
        found = found or loss
        out.append("| %s | %s | %s | %s |" % (arm, fmt(*prk), fmt(*rm), "yes" if loss else "no"))
    out.append("")
    out.append("P2 (loss detected in at least one setting): %s" % verdict(found))
    return found


def p3(runs, out):
    base_in = mean_sd(values(runs, "auc", INPUT, "base"))[0]
    base_lab = mean_sd(values(runs, "auc", LABEL, "base"))[0]
    out.append("")
    out.append("| P3 component | input gain | label gain | input - label | expected sign | match |")
    out.append("|---|---|---|---|---|---|")
    matches = 0
    for comp, sign in COMPONENTS:
        gi = mean_sd(values(runs, "auc", INPUT, comp))[0] - base_in
        gl = mean_sd(values(runs, "auc", LABEL, comp))[0] - base_lab
        ok = (gi - gl) * sign > 0
        matches += ok
        out.append("| %s | %+.3f | %+.3f | %+.3f | %s | %s |" % (
            comp, gi, gl, gi - gl, "+" if sign > 0 else "-", "yes" if ok else "no"))
    out.append("")
    out.append("P3 (>= 3 of 4 signs match): %s (%d of 4)" % (verdict(matches >= 3), matches))
    return matches


def p4(runs, out, loss_found):
    out.append("")
    out.append("| P4 (plastic) | plastic auc | best single (arm) | base | >= best - 0.005 | >= base + gap |")
    out.append("|---|---|---|---|---|---|")
    ok_all = True
    for protocol, gap in ((INPUT, 0.02), (LABEL, 0.01)):
        pl = mean_sd(values(runs, "auc", protocol, "plastic"))[0]
        singles = {c: mean_sd(values(runs, "auc", protocol, c))[0] for c, _ in COMPONENTS}
        best = max(singles, key=singles.get)
        base = mean_sd(values(runs, "auc", protocol, "base"))[0]
        a, b = pl >= singles[best] - 0.005, pl >= base + gap
        ok_all = ok_all and a and b
        out.append("| %s | %.3f | %.3f (%s) | %.3f | %s | %s (gap %.2f) |" % (
            protocol, pl, singles[best], best, base, "yes" if a else "no", "yes" if b else "no",
            gap))
    prk = mean_sd(values(runs, "pr_final", LABEL, "plastic"))[0]
    if loss_found:
        ok_all = ok_all and prk >= 0.98
        out.append("")
        out.append("P4 pr_K on cyclic >= 0.98 (P2 found a loss): %.3f, %s" % (
            prk, "yes" if prk >= 0.98 else "no"))
    out.append("")
    out.append("P4: %s" % verdict(ok_all))
    return ok_all


def p6(runs, out):
    out.append("")
    out.append("| P6 sleep - base (label:cyclic, paired by seed) | mean | 95% interval |")
    out.append("|---|---|---|")
    for key in ("auc", "pr_final"):
        m, lo, hi = paired_interval(values(runs, key, LABEL, "sleep"),
                                    values(runs, key, LABEL, "base"))
        out.append("| %s | %+.3f | [%+.3f, %+.3f] |" % (key, m, lo, hi))


def p7(runs, out):
    out.append("")
    out.append("| P7 diagnostic at chunk start vs acc_k (all cyclic arms) | pairs | Spearman rho | p |")
    out.append("|---|---|---|---|")
    rhos = {}
    for series in ("srank_frac", "dormant"):
        x, y = chunk_pairs(runs, series)
        rho, p = stats.spearmanr(x, y)
        rhos[series] = float(rho)
        out.append("| %s | %d | %+.3f | %.2g |" % (series, x.size, rho, p))
    out.append("")
    out.append("P7 (|rho| >= 0.5 expected for srank; no gate): %s" % (
        "as expected" if abs(rhos["srank_frac"]) >= 0.5 else "below 0.5"))
    return rhos


def main(argv):
    if len(argv) != 2:
        sys.exit("usage: plasticity-targets.py RESULTS.json")
    runs = load_runs(argv[1])
    out = []
    arm_table(runs, out)
    loss = p2(runs, out)
    p3(runs, out)
    p4(runs, out, loss)
    p6(runs, out)
    p7(runs, out)
    print("\n".join(out))


if __name__ == "__main__":
    main(sys.argv)
