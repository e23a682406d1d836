/* Internal: SAFE in the continual protocol (continual_safe.c; spec continual.md sections 5
 * and 6): the frozen extractor (PTM), the slow and fast learners over a class-incremental
 * split stream, their ridge heads, the entropy-weighted aggregate, R per learner, and the
 * validation scores from which every choice is made. */
#ifndef SOMNUS_CONTINUAL_SAFE_H
#define SOMNUS_CONTINUAL_SAFE_H

#include <jansson.h>

#include "somnus/models/safe.h"
#include "protocol/continual_stream.h"
#include "protocol/train_common.h"

/* Indices of the SAFE RNG stream (SM_STREAM_SAFE): minibatch order, index = purpose << 16 |
 * session << 8 | epoch; LoRA's initial A (safe.pet=lora), index = purpose << 16. */
enum { SM_SAFE_RNG_ORDER = 1, SM_SAFE_RNG_LORA = 2 };

/* A frozen extractor: the hidden layer (W1: d x n_in, b1: d) of an SG-SNN. */
typedef struct sm_cl_safe_ptm {
    int n_in, d;
    float *W1, *b1;
    sm_safe_lif lif;
    char source[64];     /* "pretrain:fashion", "random" */
    double pretrain_acc; /* the SG-SNN's test accuracy on its own dataset (NAN: random) */
    double wall_s;       /* pretraining time */
} sm_cl_safe_ptm;

/* Makes the PTM of safe.ptm for stream s (images of n_in pixels): pretrains an SG-SNN on
 * the other dataset (safe.ptm_epochs, safe.ptm_images; seed run.seed), or draws a fixed
 * random one. Free with sm_cl_safe_ptm_free. Errors name safe.ptm. */
sm_status sm_cl_safe_ptm_make(const sm_config *cfg, const sm_cl_stream *s, int n_in,
                              sm_cl_safe_ptm *ptm, sm_error *err);

/* Frees what make allocated (a zeroed struct is fine). */
void sm_cl_safe_ptm_free(sm_cl_safe_ptm *ptm);

/* Runs SAFE on stream s with the given PTM (read only: never modified) and fills the
 * "continual" object: R and metrics of the aggregate, the same per learner (slow, fast,
 * aggregate, oracle_selected, ptm_ridge), the validation scores (val), the ridge choices
 * and the slow learner's mean weight per task. With safe.score_test off no test image is
 * read (a tuning run). */
sm_status sm_cl_run_safe_with(const sm_config *cfg, const sm_cl_stream *s,
                              const sm_train_data *data, const sm_cl_safe_ptm *ptm,
                              sm_train_run_ctx *r, json_t *cont, sm_error *err);

/* sm_cl_safe_ptm_make, then sm_cl_run_safe_with (the protocol's entry for train.model =
 * safe); "ptm" in cont describes the extractor. */
sm_status sm_cl_run_safe(const sm_config *cfg, const sm_cl_stream *s, const sm_train_data *data,
                         sm_train_run_ctx *r, json_t *cont, sm_error *err);

/* Parses a comma list of numbers, or "a:b" (the integers a..b), into v[0..*n) (at most
 * max); errors name `key`. */
sm_status sm_cl_safe_parse_list(const char *text, const char *key, double *v, int *n, int max,
                                sm_error *err);

#endif
