#!/bin/bash
# diag.iid cost per model: timing.diag_s against timing.train_s (MNIST, 1 thread); the theta
# and hopfield rows of cost.csv are CPU seconds (timing.diag_cpu_s against timing.train_cpu_s).
# (Before the eighth session dc's probe frequency was train.eval_every, default 1; the dc
# rows below spell out the diag.iid_every that reproduces those runs.)
# Run from the repository root (data/ present); writes OUT/<run>.json (OUT: first argument,
# default /tmp/diag-cost); cost.csv is `python3 cost_table.py OUT` (share = diag_s / train_s).
S=build/release/somnus
OUT=${1:-/tmp/diag-cost}
mkdir -p "$OUT"
run() { name=$1; shift; nice -n 10 $S train --data mnist --set run.threads=1 --quiet "$@" --out "$OUT/$name.json"; echo "$name rc=$?"; }
run dc_v100        --model dc --set data.n_train=600 --set data.n_val=100 --set data.n_test=100 --set diag.iid=1 --set diag.iid_every=1
run dc_v1000       --model dc --set data.n_train=600 --set data.n_val=1000 --set data.n_test=100 --set diag.iid=1 --set diag.iid_every=1
run dc_v100_every5 --model dc --set data.n_train=1500 --set data.n_val=100 --set data.n_test=100 --set diag.iid=1 --set diag.iid_every=5
run ppg_v100       --model ppg --set data.n_train=6000 --set data.n_val=100 --set diag.iid=1
run ppg_v1000      --model ppg --set data.n_train=6000 --set data.n_val=1000 --set diag.iid=1
run di_v100        --model disinh --set data.n_train=2000 --set data.n_val=100 --set disinh.epochs=2 --set diag.iid=1
run di_v1000       --model disinh --set data.n_train=2000 --set data.n_val=1000 --set disinh.epochs=2 --set diag.iid=1
run sg_off         --model sgsnn --set sgsnn.epochs=1 --set data.n_val=100
run sg_on          --model sgsnn --set sgsnn.epochs=1 --set data.n_val=100 --set diag.iid=1
run sg_on_gs       --model sgsnn --set sgsnn.epochs=1 --set data.n_val=100 --set diag.iid=1 --set diag.grad_starved=1
# theta (seventh session, frequency as of the eighth): the default 30-minute runs with half
# the probe segment (diag.probe_s 2.5 s); timing.train_s already excludes the probe
run theta_latents_half --model theta --set theta.task=latents --set diag.iid=1 --set diag.probe_s=2.5
run theta_pathint_half --model theta --set theta.task=pathint --set diag.iid=1 --set diag.probe_s=2.5
# eighth session: the default frequency (diag.iid_every = 0: dc every ceil(20 x probe images /
# data.batch)-th row, theta every 3rd minute, hopfield every 4th round; always the last)
# against every row. dc: the default MNIST run (6,000 images, 20 rows, 100 probe images);
# theta and hopfield runs are short (0.3-4 s), so 7 of each, the median share in cost.csv.
run dc_auto   --model dc --set diag.iid=1
run dc_every1 --model dc --set diag.iid=1 --set diag.iid_every=1
for k in 1 2 3 4 5 6 7; do
  for e in 0 1; do
    run theta_latents_e${e}_$k --model theta --set theta.task=latents --set diag.iid=1 --set diag.iid_every=$e
    run theta_pathint_e${e}_$k --model theta --set theta.task=pathint --set diag.iid=1 --set diag.iid_every=$e
    run hopfield_e${e}_$k --model hopfield --set diag.iid=1 --set diag.iid_every=$e
  done
done
