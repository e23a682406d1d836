#!/bin/sh
# usage: run.sh regrow seed...   (regrow = random|coincidence|none-ref)
cd /work/wt-rewire-finish
R=$1; shift
for s in "$@"; do
  if [ "$R" = ref ]; then M="--set struct.mode=none"; else M="--set struct.mode=rewire --set struct.regrow=$R"; fi
  nice -n 10 /tmp/rw/somnus_run train --config configs/paper.cfg --set ip.rule=none --set stdp.sign=as_published \
    --set readout.method=pca_logreg --set readout.standardize=true --set readout.whiten=true --set readout.features=exc \
    --set input.steps_per_image=100 --set data.dataset=mnist --set data.n_train=6000 --set data.n_test=1000 --set data.batch=300 \
    --set sleep.rate=0.2 --set train.eval_every=0 $M --seed $s --quiet --out /tmp/rw/runs/$R-s$s.json
  echo "$R seed $s done rc=$? $(date)"
done
