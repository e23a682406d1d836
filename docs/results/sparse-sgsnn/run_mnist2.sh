#!/bin/sh
# After Fashion: MNIST at the same reduced settings, the other densities (static, gmp,
# granet at 0.1 and 0.05) and set at 0.02; one invocation per density.
cd /work/wt-sparse-finish
export OMP_NUM_THREADS=1
while kill -0 "$1" 2>/dev/null; do sleep 10; done
for spec in "static,gmp,granet 0.1" "static,gmp,granet 0.05" "set 0.02"; do
  set -- $spec
  nice -n 10 /tmp/sf_bin/somnus experiment sparse-sgsnn --jobs 1 \
    --set table.datasets=mnist --set table.sparse_methods=$1 \
    --set table.sparse_densities=$2 --set table.sparse_scopes=global --set table.seeds=3 \
    --set sgsnn.epochs=10 --set data.n_train=3000 --set sgsnn.steps=50 --set sparse.interval=10 \
    --set run.threads=1 --out /tmp/sf_runs/mnist-$1-$2.json
done
