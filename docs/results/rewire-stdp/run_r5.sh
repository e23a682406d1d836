#!/bin/sh
# R5: sleep 0, events every struct.period wake steps; seed 1
cd /work/wt-rewire-finish
for R in ref random coincidence; do
  if [ "$R" = ref ]; then M="--set struct.mode=none"; else M="--set struct.mode=rewire --set struct.regrow=$R --set struct.when=period"; fi
  nice -n 10 /tmp/rw/somnus_run train --config configs/paper.cfg --set ip.rule=none --set stdp.sign=as_published \
    --set readout.method=pca_logreg --set readout.standardize=true --set readout.whiten=true --set readout.features=exc \
    --set input.steps_per_image=100 --set data.dataset=mnist --set data.n_train=6000 --set data.n_test=1000 --set data.batch=300 \
    --set sleep.rate=0 --set train.eval_every=0 $M --seed 1 --quiet --out /tmp/rw/runs/r5_$R-s1.json
  echo "r5 $R seed 1 done rc=$? $(date)"
done
