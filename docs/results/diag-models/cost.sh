#!/bin/bash
# diag.iid cost per model: timing.diag_s against timing.train_s (MNIST, 1 thread); the theta
# rows of cost.csv are CPU seconds (timing.diag_cpu_s against timing.train_cpu_s).
# Run from the repository root (data/ present); writes OUT/<run>.json (OUT: first argument,
# default /tmp/diag-cost); cost.csv was made from these with share = diag_s / train_s.
S=build/release/somnus
OUT=${1:-/tmp/diag-cost}
mkdir -p "$OUT"
run() { name=$1; shift; nice -n 10 $S train --data mnist --set run.threads=1 --quiet "$@" --out "$OUT/$name.json"; echo "$name rc=$?"; }
run dc_v100        --model dc --set data.n_train=600 --set data.n_val=100 --set data.n_test=100 --set diag.iid=1
run dc_v1000       --model dc --set data.n_train=600 --set data.n_val=1000 --set data.n_test=100 --set diag.iid=1
run dc_v100_every5 --model dc --set data.n_train=1500 --set data.n_val=100 --set data.n_test=100 --set diag.iid=1 --set train.eval_every=5
run ppg_v100       --model ppg --set data.n_train=6000 --set data.n_val=100 --set diag.iid=1
run ppg_v1000      --model ppg --set data.n_train=6000 --set data.n_val=1000 --set diag.iid=1
run di_v100        --model disinh --set data.n_train=2000 --set data.n_val=100 --set disinh.epochs=2 --set diag.iid=1
run di_v1000       --model disinh --set data.n_train=2000 --set data.n_val=1000 --set disinh.epochs=2 --set diag.iid=1
run sg_off         --model sgsnn --set sgsnn.epochs=1 --set data.n_val=100
run sg_on          --model sgsnn --set sgsnn.epochs=1 --set data.n_val=100 --set diag.iid=1
run sg_on_gs       --model sgsnn --set sgsnn.epochs=1 --set data.n_val=100 --set diag.iid=1 --set diag.grad_starved=1
# theta (seventh session): the default 30-minute runs of both tasks; the probe segment is
# diag.probe_s of generated input (default 5 s), timing.train_s already excludes it
run theta_latents_off --model theta --set theta.task=latents
run theta_latents_5   --model theta --set theta.task=latents --set diag.iid=1
run theta_latents_2.5 --model theta --set theta.task=latents --set diag.iid=1 --set diag.probe_s=2.5
run theta_pathint_off --model theta --set theta.task=pathint
run theta_pathint_5   --model theta --set theta.task=pathint --set diag.iid=1
run theta_pathint_2.5 --model theta --set theta.task=pathint --set diag.iid=1 --set diag.probe_s=2.5
