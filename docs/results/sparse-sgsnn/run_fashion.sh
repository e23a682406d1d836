#!/bin/sh
# After the MNIST run: Fashion-MNIST 784-300-100-10 cut to this machine's share: 3,000
# train / 1,000 test (t10k) images, T = 50, 5 epochs (pruning over epochs 0-2, dT = 5),
# D_f 0.02, global, 3 seeds; one invocation per method so that each writes its JSON.
cd /work/wt-sparse-finish
export OMP_NUM_THREADS=1
while kill -0 "$1" 2>/dev/null; do sleep 10; done
for m in dense static gmp granet frozen; do
  nice -n 10 /tmp/sf_bin/somnus experiment sparse-sgsnn --jobs 1 \
    --set table.datasets=fashion --set table.sparse_methods=$m \
    --set table.sparse_densities=0.02 --set table.sparse_scopes=global --set table.seeds=3 \
    --set sgsnn.steps=50 --set run.threads=1 \
    --set "table.sparse_fashion=input.width=28;input.height=28;data.n_train=3000;data.n_test=1000;data.official_test=true;sgsnn.epochs=5;sparse.interval=5" \
    --out /tmp/sf_runs/fashion-$m.json
done
