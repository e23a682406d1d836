#!/usr/bin/env python3
"""cost.csv from the runs of cost.sh (argument: its output directory, default /tmp/diag-cost).
share = timing.diag_s / timing.train_s, for theta and hopfield of CPU seconds (diag_cpu_s /
train_cpu_s);
runs named NAME_k (k = 1..7) are one row NAME with the median share of the repeats."""
import collections, csv, glob, json, os, statistics, sys

out = sys.argv[1] if len(sys.argv) > 1 else '/tmp/diag-cost'
groups = collections.OrderedDict()
for f in sorted(glob.glob(os.path.join(out, '*.json'))):
    name = os.path.basename(f)[:-5]
    d = json.load(open(f))
    t = d['timing']
    if 'diag_s' not in t:
        continue
    cpu = 'theta' in name or 'hopfield' in name
    diag, train = (t['diag_cpu_s'], t['train_cpu_s']) if cpu else (t['diag_s'], t['train_s'])
    ev = d.get('evaluations', {})
    rows = max((len(v) for v in ev.values() if isinstance(v, list)), default=0)
    computed = sum(v is not None for v in ev.get(next((k for k in ev if k.endswith('_srank')), ''), []))
    base, _, k = name.rpartition('_')
    key = base if k.isdigit() else name
    groups.setdefault(key, []).append((diag / train, diag, train, rows, computed, cpu))
w = csv.writer(sys.stdout)
w.writerow(['run', 'repeats', 'rows', 'computed_rows', 'time', 'diag_s', 'train_s', 'share'])
for key, v in groups.items():
    med = sorted(v)[len(v) // 2]
    w.writerow([key, len(v), med[3], med[4], 'cpu' if med[5] else 'wall', '%.4f' % med[1],
                '%.4f' % med[2], '%.4f' % med[0]])
