/* Internal: the chunks of the input- and label-plasticity protocols (spec
 * plasticity-loss.md section 3): which training images a chunk uses, its pixel
 * permutation and its labelling, and the fixed probe set of the diagnostics. Draws come
 * from (run.seed, SM_STREAM_PLASTICITY, purpose << 24 | chunk). */
#ifndef SOMNUS_PLASTICITY_STREAM_H
#define SOMNUS_PLASTICITY_STREAM_H

#include <jansson.h>
#include <stdint.h>

#include "somnus/core/config.h"
#include "somnus/core/error.h"
#include "somnus/protocol/train_data.h"

/* Purposes in the top byte of the Philox index (part of the reproducibility contract). */
enum {
    SM_PL_CUT = 1,   /* the random cut of the training set (grow) */
    SM_PL_PERM = 2,  /* pixel permutations (permute) */
    SM_PL_LABEL = 3, /* class permutations and random labels */
    SM_PL_PROBE = 4, /* the probe set */
    SM_PL_FRESH = 5, /* seeds of the fresh reference networks */
    SM_PL_ORDER = 6, /* minibatch order within a chunk */
    SM_PL_SLEEP = 7, /* the coin of epoch-mode sleep */
    SM_PL_RESET = 8, /* resets and shrink-and-perturb */
    SM_PL_REDO = 9   /* ReDo */
};

/* The 32-bit key of a purpose and chunk. */
static inline uint32_t sm_pl_key(int purpose, int chunk)
{
    return (uint32_t)purpose << 24 | (uint32_t)chunk;
}

/* Most datasets of an input_shift = dataset:... list. */
#define SM_PL_MAX_DATASETS 8

/* One chunk's data, as copies the protocol owns. */
typedef struct sm_pl_set {
    float *x; /* n x d */
    int *y;   /* n labels */
    int n, d;
} sm_pl_set;

/* The stream of one run. */
typedef struct sm_pl_stream {
    int kind;        /* SM_PROTOCOL_INPUT or SM_PROTOCOL_LABEL */
    int permute;     /* input: 1 = permute, 0 = grow */
    int label_shift; /* label: enum sm_label_shift */
    int K, C, D;     /* chunks, classes, pixels */
    uint64_t seed;
    int *cut;        /* grow: the training images in the order of the random cut */
    int *perm;       /* permute: K x D pixel permutations (chunk 1 = identity) */
    int *class_perm; /* label permute: K x C */
    int *probe;      /* indices into the validation split, class-balanced */
    int n_probe;
    const sm_train_data *data;
    /* input_shift = dataset:A,B,...: chunk k uses dataset (k - 1) mod n_ds, each loaded with
     * the run's data.* settings, with its own probe (n_probe images each) */
    int n_ds;
    sm_train_data ds[SM_PL_MAX_DATASETS];
    int *ds_probe[SM_PL_MAX_DATASETS];
    int *ds_cut[SM_PL_MAX_DATASETS]; /* each dataset's training images in the order of the
                                        random cut (the run's cut for a dataset of the same
                                        size: one key for all) */
} sm_pl_stream;

/* Parses protocol.* for `data` and draws the stream. Errors name the key. */
sm_status sm_pl_stream_init(sm_pl_stream *s, const sm_config *cfg, const sm_train_data *data,
                            sm_error *err);

/* Frees what init allocated. */
void sm_pl_stream_free(sm_pl_stream *s);

/* The data chunk k (1-based) draws from: the run's, or with a dataset shift the chunk's
 * dataset. */
const sm_train_data *sm_pl_chunk_data(const sm_pl_stream *s, int k);

/* The order in which a protocol that presents images one by one (the STDP network) walks
 * chunk k's training set as sm_pl_chunk_train lists it: NULL = as listed (grow and
 * permute list it in the cut's order already), or with a dataset shift the chunk's
 * dataset's cut (positions into the listed set; the SG-SNN draws its minibatches itself). */
const int *sm_pl_chunk_order(const sm_pl_stream *s, int k);

/* "input:grow", "label:cyclic", ... */
const char *sm_pl_stream_name(const sm_pl_stream *s);

/* Chunk k's (1-based) training set, test set and probe set (labels of the probe set:
 * the chunk's labelling). Each is a new copy; free with sm_pl_set_free. */
sm_status sm_pl_chunk_train(const sm_pl_stream *s, int k, sm_pl_set *out, sm_error *err);
sm_status sm_pl_chunk_test(const sm_pl_stream *s, int k, sm_pl_set *out, sm_error *err);
sm_status sm_pl_chunk_probe(const sm_pl_stream *s, int k, sm_pl_set *out, sm_error *err);

void sm_pl_set_free(sm_pl_set *set);

/* The summary of a finished chunks table: auc = mean acc over chunks 1..K, pr_final =
 * pr of chunk K (NAN without its reference), drop = acc_1 - acc_K. */
void sm_pl_summary(const double *acc, const double *pr, int K, double *auc, double *pr_final,
                   double *drop);

/* Writes a finished stream's summary into `fin`: auc, pr_final, drop (sm_pl_summary),
 * test_accuracy (acc of chunk K) and chunks (K). acc and pr have K + 1 entries. */
void sm_pl_final_json(json_t *fin, const double *acc, const double *pr, int K);

#endif
