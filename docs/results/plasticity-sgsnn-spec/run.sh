#!/bin/bash
# issue 20: the plasticity-sgsnn grid at the spec's sizes (K = 20, I = 200, 5 seeds), one job.
B=/work/runs/somnus-6caf5c8
cd /work/runs/p20
export OPENBLAS_CORETYPE=SkylakeX
$B experiment plasticity-sgsnn --jobs ${JOBS:-1} --runs kept --out plasticity.json > plasticity.log 2>&1
echo done $? >> run.log
