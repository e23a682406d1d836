#!/bin/bash
# issue 21: C5-C7 at the spec's settings (PTM 10 epochs on all 60,000 images, the lambda
# grid on every seed, gamma on validation, ablations), one stream per invocation, after
# continual-sleep (run.sh) has written sleep.json. OpenBLAS's SkylakeX kernels (this CPU
# has AVX-512; OpenBLAS does not recognise the VM's CPU model and would use its generic
# Prescott ones, ~1.9x slower here); the core is recorded in each document (blas.core).
B=somnus   # split-mnist: built at commit c2999d4 (results identical at 220f71d and later: the
           # thread fix changes no number); split-fashion: built at 6caf5c8 (seventh session)
cd /work/runs/c21
while [ ! -f sleep.json ] && pgrep -f "experiment continual-sleep" > /dev/null; do sleep 20; done
export OPENBLAS_CORETYPE=SkylakeX
[ -f split-mnist.json ] || $B experiment continual-safe --set safe.streams=split-mnist --runs kept --out split-mnist.json > split-mnist.log 2>&1
[ -f split-fashion.json ] || $B experiment continual-safe --set safe.streams=split-fashion --runs kept --out split-fashion.json > split-fashion.log 2>&1
echo done >> run.log
