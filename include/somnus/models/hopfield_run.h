/* somnus: one federated Hopfield run (spec federated-hopfield.md section 3): T rounds of
 * client operators, server aggregation, sharpening, spectral cut, TAM retrieval,
 * acceptance and re-encoding, with the clients' blend weights from a controller, and the
 * per-round metrics of section 6. Configured by the hopfield.* group of sm_config. */
#ifndef SOMNUS_HOPFIELD_RUN_H
#define SOMNUS_HOPFIELD_RUN_H

#include <stdint.h>

#include "somnus/core/config.h"
#include "somnus/core/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Everything one run measured. Arrays are owned by the result (sm_hf_result_destroy). */
typedef struct sm_hf_result {
    int N, K, L, T, P, n_top;
    uint64_t seed;
    double *r;        /* L: each client's example quality (attackers 0) */
    int *Kh;          /* T: eigenvalues kept by the cut */
    int *n_hat;       /* T: patterns broadcast (re-encoded into A) */
    int *n_survivors; /* T: states accepted; the first n_hat are kept and scored */
    int *sharpen_steps;
    double *retrieval, *fro, *gap, *mp_edge, *cut_threshold; /* T */
    double *bytes_up, *bytes_down;                           /* T */
    double *m;                                               /* T x K magnetizations */
    double *w, *w_raw, *p, *H; /* T x L: blend weight, raw controller weight, sign
                                  agreement with A(t-1), its entropy (NaN at t = 0) */
    double *top_js, *top_ks;   /* T x n_top: leading eigenvalues of J_s and J_KS */
    double *eigs;              /* T x N: spectrum of J_s, descending */
    double *xi_true;           /* K x N */
    double *xi_hat;            /* n_hat[T-1] x N: the final broadcast patterns */
    double *J_server;          /* N x N: the final aggregate J_s */
    double *recall;            /* K: recall test score on the final J_s (NaN if off) */
    double *exposure;          /* K: client-average fraction of examples from mu */
    double recall_pearson, recall_spearman;
    double seconds; /* wall time of the run */
} sm_hf_result;

/* Parses hopfield.r / hopfield.attackers into r (L values, caller-owned). Errors name
 * the option. */
sm_status sm_hf_client_quality(const sm_config *cfg, double *r, sm_error *err);

/* Runs cfg's federation with `seed` (all randomness from it); *out is a new result. */
sm_status sm_hf_run(const sm_config *cfg, uint64_t seed, sm_hf_result **out, sm_error *err);

/* Watches a run from outside the model (the diagnostics of diag.iid) without changing it:
 * `client` sees each client's upload J_c(t) (N x N, after any eig:R truncation) as it is
 * formed, `round` sees the server's aggregate J_s(t), its spectrum lam (descending) and
 * the K x N true archetypes xi right after the eigendecomposition. Either may be NULL. A
 * status other than SM_OK stops the run with that status. */
typedef struct sm_hf_observer {
    void *ctx;
    sm_status (*client)(void *ctx, int t, int c, const double *Jc, int N, sm_error *err);
    sm_status (*round)(void *ctx, int t, const double *Js, const double *lam, const double *xi,
                       int K, int N, sm_error *err);
} sm_hf_observer;

/* sm_hf_run with an observer (obs may be NULL: the same as sm_hf_run). The result does not
 * depend on the observer. */
sm_status sm_hf_run_observed(const sm_config *cfg, uint64_t seed, const sm_hf_observer *obs,
                             sm_hf_result **out, sm_error *err);

/* Frees a result (NULL is fine). */
void sm_hf_result_destroy(sm_hf_result *r);

#ifdef __cplusplus
}
#endif
#endif
