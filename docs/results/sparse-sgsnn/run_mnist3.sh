#!/bin/sh
# MNIST at the reduced settings of run_mnist.sh, D_f 0.1, one invocation per method (each
# writes its JSON); replaced run_mnist2.sh when the share fell to ~8% of a core.
cd /work/wt-sparse-finish
export OMP_NUM_THREADS=1
for m in granet gmp static; do
  nice -n 10 /tmp/sf_bin/somnus experiment sparse-sgsnn --jobs 1 \
    --set table.datasets=mnist --set table.sparse_methods=$m \
    --set table.sparse_densities=0.1 --set table.sparse_scopes=global --set table.seeds=3 \
    --set sgsnn.epochs=10 --set data.n_train=3000 --set sgsnn.steps=50 --set sparse.interval=10 \
    --set run.threads=1 --out /tmp/sf_runs/mnist-$m-0.1.json
done
