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
 * session << 8 | epoch; LoRA's initial A (safe.pet=lora), index = purpose << 16; the
 * random projection R of each ridge head (safe.rp_dim > 0), index = purpose << 16 |
 * learner (0 PTM, 1 slow, 2 fast: one R per learner). */
enum { SM_SAFE_RNG_ORDER = 1, SM_SAFE_RNG_LORA = 2, SM_SAFE_RNG_PROJ = 3 };

/* A frozen extractor: the hidden layer (W1: d x n_in, b1: d) of an SG-SNN. */
typedef struct sm_cl_safe_ptm {
    int n_in, d;
    float *W1, *b1;
    sm_safe_lif lif;
    char source[SM_CONFIG_STR_MAX]; /* "pretrain:fashion", "session1", "checkpoint:DIR", ... */
    double pretrain_acc; /* the SG-SNN's accuracy on acc_on (NAN: random or checkpoint) */
    char acc_on[64];     /* the images pretrain_acc was measured on */
    int pretrain_images, pretrain_classes; /* the images and classes it was pretrained on */
    double wall_s;                         /* pretraining time */
} sm_cl_safe_ptm;

/* Makes the PTM of safe.ptm for stream s over data (the stream's loaded split): pretrains
 * an SG-SNN on the other dataset or pretrain:DATASET (safe.ptm_epochs, safe.ptm_images;
 * seed run.seed), or on the training images of the stream's first task (session1), reads
 * the hidden layer of an SG-SNN export folder (checkpoint:DIR: w1.npy, b1.npy; LIF
 * constants from sgsnn.*), or draws a fixed random one. Free with sm_cl_safe_ptm_free.
 * Errors name safe.ptm (and the file, for checkpoint:DIR). */
sm_status sm_cl_safe_ptm_make(const sm_config *cfg, const sm_cl_stream *s,
                              const sm_train_data *data, sm_cl_safe_ptm *ptm, sm_error *err);

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
