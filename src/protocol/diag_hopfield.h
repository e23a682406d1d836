/* Internal: diag.iid for the federated Hopfield memory (train.model = hopfield; spec
 * plasticity-loss.md section 1 for a model whose rows are communication rounds).
 *
 * The run has no images, so the probe set is a fixed set of cues: hopfield.recall_reps
 * cues per true archetype (at most diag.n_probe in all), each the archetype with
 * independent flips at the recall test's rate (1 - hopfield.recall_m0) / 2, drawn once per
 * seed from (seed, SM_STREAM_HOPFIELD, sm_hf_rng_index(SM_HF_RNG_DIAG_PROBE, 0, mu)). At a
 * computed round the server's aggregate J_s(t) relaxes every cue with frozen couplings and
 * no noise: parallel zero-temperature updates s <- sgn(J_s s) (sgn(0) = +1, as everywhere
 * in the model) until no unit changes or hopfield.recall_updates steps have run. The
 * population `units` is read as firing = +1: counts (1 + s) / 2, one step per cue (T = 1),
 * so a silent unit is -1 and a saturated one +1 for every cue (neither says which cue it
 * saw), and srank/erank count the distinct directions of the retrieved states.
 *
 * The operators are the model's plastic weights: `server` (J_s) and `client<c>` (each
 * upload J_c) get the weight-tensor columns (weight norm, update norm and ratio since the
 * previous computed round; unbounded). The server's spectrum gives the memory's own rank:
 * diag_server_srank / _erank (and their fractions of N) from |eigenvalues| of J_s, which
 * are its singular values. */
#ifndef SOMNUS_DIAG_HOPFIELD_H
#define SOMNUS_DIAG_HOPFIELD_H

#include <jansson.h>

#include "somnus/core/config.h"
#include "somnus/models/hopfield_run.h"
#include "protocol/diag_columns.h"
#include "protocol/train_common.h"

typedef struct sm_diag_hopfield {
    int n;          /* probe cues (0: diag.iid off) */
    int N, K, L, T; /* units, archetypes, clients, rounds */
    int every;      /* rounds between computed rows (the last round is always computed) */
    int updates;    /* most relaxation steps */
    uint64_t seed;
    double m0, saturation, delta;
    double *cue;   /* n x N: the fixed cues (drawn at round 0) */
    double *S, *H; /* n x N: states and fields */
    float *counts; /* n x N: (1 + s) / 2 at the last computed round */
    double *sv;    /* N: |eigenvalues| of J_s, descending */
    sm_diag_tensor server;
    sm_diag_tensor *clients; /* L */
    json_t *tab;             /* this seed's rows: round, diag_* */
    int have;                /* counts hold a computed round */
    double seconds, cpu_seconds;
} sm_diag_hopfield;

/* Sets the diagnostics of one seed's federation up when cfg->diag.iid is set (else *g is
 * empty: n = 0), computing every `every` rounds and at the last. Errors name the key: the
 * probe needs hopfield.recall_reps >= 1. */
sm_status sm_diag_hopfield_init(sm_diag_hopfield *g, const sm_config *cfg, uint64_t seed, int every,
                                sm_error *err);

/* The observer that fills g's table during sm_hf_run_observed. */
sm_hf_observer sm_diag_hopfield_observer(sm_diag_hopfield *g);

/* The evaluations table of S seeds: per round and column the mean of the seeds' non-null
 * values (null when every seed's is null). NULL if out of memory. */
json_t *sm_diag_hopfield_mean_table(sm_diag_hopfield *const *g, int S);

/* --export: probe_counts_units (float32, n x N) of g's last computed round. */
void sm_diag_hopfield_export(const sm_diag_hopfield *g, sm_train_array_fn fn, void *ctx);

void sm_diag_hopfield_free(sm_diag_hopfield *g);

#endif
