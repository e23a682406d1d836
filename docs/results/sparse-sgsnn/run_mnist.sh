#!/bin/sh
# S1 cut to this machine's share (6 helpers, 2 cores): MNIST 225-300-100-10, 3,000 train /
# 1,000 test images, T = 50, 10 epochs (pruning over epochs 0-5, dT = 10: 12 updates),
# D_f 0.02, global scope, 3 seeds, with the frozen and dense references.
cd /work/wt-sparse-finish
export OMP_NUM_THREADS=1
exec nice -n 10 /tmp/sf_bin/somnus experiment sparse-sgsnn --jobs 1 \
  --set table.datasets=mnist --set table.sparse_methods=frozen,dense,static,gmp,granet \
  --set table.sparse_densities=0.02 --set table.sparse_scopes=global --set table.seeds=3 \
  --set sgsnn.epochs=10 --set data.n_train=3000 --set sgsnn.steps=50 --set sparse.interval=10 \
  --set run.threads=1 --out /tmp/sf_runs/mnist.json
