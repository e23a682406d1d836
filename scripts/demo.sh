#!/usr/bin/env bash
# make demo: the paper config (published STDP sign) on random images, without sleep and
# with 20% sleep, and a short comparison table. Usage: scripts/demo.sh PATH/TO/somnus
set -euo pipefail
SOMNUS=${1:-build/release/somnus}
OUT=${DEMO_OUT:-demo-results}
STEPS=${DEMO_STEPS:-200000}
mkdir -p "$OUT"
common=(--steps "$STEPS" --set input.steps_per_image=100 --set stdp.sign=as_published --set monitor.interval=5000)
echo "somnus demo: paper config (225 S, 200 E, 50 I, pair STDP as published), random images, $STEPS wake steps"
for rate in 0.0 0.2; do
  "$SOMNUS" run "${common[@]}" --set sleep.rate=$rate --out "$OUT/run-sleep-$rate.json"
done
python3 - "$OUT" <<'PY' 2>/dev/null || echo "(python3 not found: see the JSON files for the numbers)"
import json, sys
out = sys.argv[1]
print(f"\n{'sleep rate':>10} {'exc sum/W0':>11} {'inh sum/W0':>11} {'E rate Hz':>10} {'sleep steps':>12} {'wall s':>7}")
for rate in ("0.0", "0.2"):
    d = json.load(open(f"{out}/run-sleep-{rate}.json"))
    s = d["summary"]
    r = s["final_over_W0"]
    print(f"{rate:>10} {r[0]:>11.2f} {r[1]:>11.2f} {s['rate_hz']['E']:>10.1f} {s['counters']['sleep_steps']:>12} {d['timing']['wall_s']:>7.2f}")
PY
echo
echo "results: $OUT/run-sleep-0.0.json, $OUT/run-sleep-0.2.json (config, seed, version, timings, monitor series)"
