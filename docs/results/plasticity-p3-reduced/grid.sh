#!/bin/bash
# Reduced P3/P4/P6 grid (K=10, I=50) run sequentially, niced; one JSON per run.
cd /work/wt-plastic-finish || exit 1
S=/work/wt-plastic-finish/build/release/somnus
OUT=/tmp/pf/runs
COMMON="--model sgsnn --data mnist --set data.n_train=6000 --set data.n_val=1000 --set data.n_test=1000 --set protocol.chunks=10 --set protocol.iters_per_chunk=50 --set protocol.fresh=ends --set sgsnn.lr=1e-3 --set sgsnn.sleep_mode=none --set run.threads=1"
declare -A ARM
ARM[base]=""
ARM[ln]="--set sgsnn.norm=layernorm"
ARM[onoff]="--set sgsnn.unit=onoff"
ARM[sam]="--set sgsnn.optimizer=sam --set sgsnn.sam_rho=0.1"
ARM[reset]="--set sgsnn.reset_every=1 --set sgsnn.reset_layers=head"
ARM[plastic]="--config /work/wt-plastic-finish/configs/plastic.cfg --set sgsnn.reset_every=1"
ARM[sleep]="--set sgsnn.sleep_mode=epoch --set sleep.rate=0.2"
GROW="--set protocol.kind=input --set protocol.input_shift=grow"
CYC="--set protocol.kind=label --set protocol.label_shift=cyclic"
for seed in 1 2 3 4 5; do
  for spec in cyclic:base grow:base cyclic:plastic grow:plastic cyclic:ln grow:ln cyclic:onoff grow:onoff cyclic:reset grow:reset cyclic:sam grow:sam cyclic:sleep; do
    proto=${spec%%:*}; arm=${spec#*:}
    f=$OUT/$proto-$arm-seed$seed.json
    [ -s $f ] && continue
    P=$CYC; [ $proto = grow ] && P=$GROW
    echo "$(date -u +%T) start $proto $arm seed $seed"
    # the config file first: --set after it overrides
    nice -n 10 $S train ${ARM[$arm]} $COMMON $P --seed $seed --out $f.tmp > $OUT/$proto-$arm-seed$seed.log 2>&1 && mv $f.tmp $f
    echo "$(date -u +%T) done $proto $arm seed $seed exists=$([ -s $f ] && echo y || echo n)"
  done
done
