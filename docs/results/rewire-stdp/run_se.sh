#!/bin/sh
cd /work/wt-rewire-finish
nice -n 10 /tmp/rw/somnus_run train --config configs/paper.cfg --set ip.rule=none --set stdp.sign=as_published \
    --set readout.method=pca_logreg --set readout.standardize=true --set readout.whiten=true --set readout.features=exc \
    --set input.steps_per_image=100 --set data.dataset=mnist --set data.n_train=6000 --set data.n_test=1000 --set data.batch=300 \
    --set sleep.rate=0.2 --set train.eval_every=0 --set struct.mode=rewire --set struct.regrow=coincidence --set struct.pathways=se \
    --seed 1 --quiet --out /tmp/rw/runs/co_se-s1.json
echo "co_se seed 1 done rc=$? $(date)"
