#!/bin/bash
# frozen controls (stdp.rule=none, no sleep) and the two single pathways with sleep 0.2
B=somnus   # commit 1fd8df6 (build/release/somnus)
S="--set train.model=stdp --set ip.rule=none --set stdp.sign=as_published --set readout.method=pca_logreg --set readout.standardize=true --set readout.whiten=true --set readout.features=exc --set input.steps_per_image=100 --set data.n_train=6000 --set data.n_val=100 --set data.n_test=1000 --set data.batch=300 --set train.eval_every=2 --set net.n_exc=196 --set run.threads=1"
for seed in 1 2 3; do for v in bern ee ring both; do
  case $v in bern) X="";; ee) X="--set net.ee_connectivity=gaussian";; ring) X="--set net.ie_connectivity=ring";; both) X="--set net.ee_connectivity=gaussian --set net.ie_connectivity=ring";; esac
  o=$v-frozen-$seed.json; [ -f $o ] || nice -n 5 $B train --data mnist $S $X --set stdp.rule=none --seed $seed --quiet --out $o 2>> err2.log
  if [ $v = ee ] || [ $v = ring ]; then o=$v-s0.2-$seed.json; [ -f $o ] || nice -n 5 $B train --data mnist $S $X --set sleep.rate=0.2 --seed $seed --quiet --out $o 2>> err2.log; fi
done; done
echo done >> err2.log
