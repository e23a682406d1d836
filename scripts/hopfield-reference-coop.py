#!/usr/bin/python3
"""Runs the authors' cooperativity loop (andrea-ladiana/TAM-Federata at bd5615f,
cooperativity/run_experiment.py: run_single_seed) with their own functions, for the
comparison in docs/hopfield.md. Prints one line per round:
    seed round Kh survivors retrieval_all_survivors retrieval_first_K
(the script's metric is the Hungarian retrieval over all survivors; somnus scores the
broadcast patterns, the first K). Needs numpy and scipy (Debian python3-numpy, -scipy).

Usage: hopfield-reference-coop.py CHECKOUT R_LIST SEEDS [T]
    CHECKOUT: a checkout of TAM-Federata (its src/ and cooperativity/ are imported)
    R_LIST:   client qualities, e.g. 0.8,0.8,0.8 (the script's "High" regime)
    SEEDS:    comma list, e.g. 42,43,44,45,46 (the script's base seed is 42)

One change, for speed only: propagate_J (1000 N x N matrix products per round) is replaced
by its exact eigenbasis form (the map is a polynomial in J; same step schedule and 1e-8
stopping rule on the eigenvalues; tests/test_hopfield.c checks this form against the literal
iteration to 1e-10, and the result is cast to float32 as the original's is). Everything else
is the authors' code: their data generator, blend, cut, TAM dynamics, acceptance and retries
(using the true K, as the script does). A stub replaces tqdm if it is not installed.
The authors' init_candidates_from_eigs draws from an unseeded generator, so reruns of a
seed differ; compare statistics over seeds.
"""
import sys
import types

import numpy as np

checkout, r_list = sys.argv[1], [float(x) for x in sys.argv[2].split(",")]
seeds = [int(s) for s in sys.argv[3].split(",")]
T = int(sys.argv[4]) if len(sys.argv) > 4 else 12
sys.path[:0] = [checkout, checkout + "/cooperativity"]
try:
    import tqdm  # noqa: F401
except ImportError:
    sys.modules["tqdm"] = types.SimpleNamespace(tqdm=lambda it, **kw: it)

import src.unsup.functions as F  # noqa: E402


def propagate_eig(J, J_real=-1, verbose=False, iters=20, eps=None, tol=1e-8, **kw):
    e = 1e-2 if eps is None else eps
    lam, V = np.linalg.eigh(np.asarray(J, dtype=np.float64))
    for k in range(0, max(1, int(iters)) + 1):
        upd = (e / (1 + e * k)) * (lam - lam * lam)
        lam = lam + upd
        if np.linalg.norm(upd) / max(np.linalg.norm(lam), 1e-12) < tol:
            break
    out = (V * lam) @ V.T
    return out.astype(J.dtype) if hasattr(J, "dtype") else out


F.propagate_J = propagate_eig
from src.unsup.config import HyperParams  # noqa: E402
from src.unsup.data import make_client_subsets, new_round_single  # noqa: E402
from src.unsup.dynamics import dis_check  # noqa: E402
from src.unsup.estimators import build_unsup_J_single, blend_with_memory  # noqa: E402
from src.unsup.metrics import retrieval_mean_hungarian  # noqa: E402
from src.unsup.spectrum import eigen_cut  # noqa: E402
from run_experiment import gen_dataset_heterogeneous  # noqa: E402

# the script's settings (main() of run_experiment.py)
hp = HyperParams(L=3, K=3, N=400, n_batch=T, M_total=400 * 3 * T, w=0.6, mode="single",
                 K_per_client=3)
hp.spec = hp.spec.__class__(tau=0.03, rho=0.6, qthr=0.4)
hp.prop = hp.prop.__class__(iters=1000, eps=1e-2)
for seed in seeds:
    np.random.seed(seed)  # gen_patterns and the TAM noise use numpy's global generator
    rng = np.random.default_rng(seed)
    xi_true = np.asarray(F.gen_patterns(hp.N, hp.K), dtype=np.int32)
    subsets = make_client_subsets(K=hp.K, L=hp.L, K_per_client=1, rng=rng)
    ETA, _ = gen_dataset_heterogeneous(xi_true, 400, r_list, hp.n_batch, hp.L, subsets, rng)
    xi_ref = None
    for t in range(hp.n_batch):
        J_unsup, _ = build_unsup_J_single(new_round_single(ETA, t), K=hp.K)
        J_rec = blend_with_memory(J_unsup, xi_prev=xi_ref, w=hp.w)
        J_KS = np.asarray(F.propagate_J(J_rec, J_real=-1, verbose=False, iters=hp.prop.iters),
                          dtype=np.float32)
        V, kh = eigen_cut(J_KS, tau=hp.spec.tau)
        xi_r, _ = dis_check(V=V, K=hp.K, L=hp.L, J_rec=J_rec, JKS_iter=J_KS, xi_true=xi_true,
                            tam=hp.tam, spec=hp.spec)
        xt = xi_true.astype(int)
        ret_all = retrieval_mean_hungarian(xi_r.astype(int), xt) if len(xi_r) else 0.0
        ret_k = retrieval_mean_hungarian(xi_r[:hp.K].astype(int), xt) if len(xi_r) else 0.0
        xi_ref = xi_r[:hp.K].astype(int) if xi_r.shape[0] >= hp.K else xi_r.astype(int)
        print(seed, t, kh, xi_r.shape[0], round(ret_all, 4), round(ret_k, 4), flush=True)
