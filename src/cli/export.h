/* somnus train --export DIR: numpy files of the trained model (export.c). */
#ifndef SOMNUS_CLI_EXPORT_H
#define SOMNUS_CLI_EXPORT_H

#include <jansson.h>
#include <stdint.h>

#include "somnus/core/error.h"
#include "somnus/models/sgsnn.h"

struct sm_sim;
struct sm_net;
struct sm_sgsnn;

typedef struct cli_export {
    const char *dir;
    int created; /* the folder was made by this run (removed again if nothing is written) */
    int failed;  /* out of memory in a hook; reported by cli_export_write */
    /* STDP network (net hook) */
    int have_net, n_in, n_exc;
    int64_t n_syn;
    int32_t *pre, *post;
    float *w, *se;
    uint8_t *pathway;
    /* intrinsic plasticity at the end (net hook; only with an ip.rule) */
    int have_ip, n_post;
    float *ip_h, *ip_g;
    /* final readout representations (repr hook) */
    int have_repr, n_fit, n_test, d;
    float *fit, *test;
    int32_t *fit_y, *test_y;
    /* SG-SNN layers (sgsnn hook) */
    int have_sgsnn, n_layers, rows[SM_SGSNN_MAX_LAYERS], cols[SM_SGSNN_MAX_LAYERS];
    float *lw[SM_SGSNN_MAX_LAYERS], *lb[SM_SGSNN_MAX_LAYERS];
    uint8_t *lm[SM_SGSNN_MAX_LAYERS]; /* masks (NULL when dense) */
    /* structural plasticity: S->E mask at the end (net hook), connectivity snapshots
     * every snapshot_every events (struct hook): event index and pre/post/w per snapshot */
    uint8_t *se_mask;
    int snapshot_every, n_snap;
    int64_t *snap_event, *snap_n;
    int32_t **snap_pre, **snap_post;
    float **snap_w;
    /* ppg model (ppg hook) */
    int have_ppg, ppg_c, ppg_d, ppg_n;
    float *ppg_w, *ppg_lambda, *ppg_alpha, *ppg_post, *ppg_zhat;
    /* Diehl & Cook network (dc hook) */
    int have_dc, dc_n_in, dc_n_exc;
    float *dc_w;      /* n_in x n_exc, row i = input i's weights */
    double *dc_theta; /* n_exc, mV */
    /* named arrays of the input/label protocols (array hook) */
    int n_arr;
    struct cli_export_array {
        char name[64];
        int dtype; /* 0 float32, 1 float64, 2 int32 */
        size_t rows, cols;
        void *data;
    } arr[32];
} cli_export;

/* Creates `dir` (and parents) and checks that files can be created in it, before the run.
 * On failure nothing is left behind. */
sm_status cli_export_prepare(cli_export *e, const char *dir, sm_error *err);

/* Removes the folder again if this run created it and it is still empty. */
void cli_export_discard(cli_export *e);

/* Hooks for sm_train_options: final_fn, repr_fn and sgsnn_final_fn (ctx = the export). */
void cli_export_net_hook(void *ctx, const struct sm_sim *sim);
void cli_export_repr_hook(void *ctx, const float *fit, const int *fit_labels, int n_fit,
                          const float *test, const int *test_labels, int n_test, int d);
void cli_export_sgsnn_hook(void *ctx, struct sm_sgsnn *net);
/* struct_event_fn: keeps a copy of the synapses after every snapshot_every-th event. */
void cli_export_struct_hook(void *ctx, const struct sm_net *net, int64_t event);
/* Hook for sm_train_options.array_fn: copies the array, written as <name>.npy. */
void cli_export_array_hook(void *ctx, const char *name, int dtype, size_t rows, size_t cols,
                           const void *data);
struct sm_train_ppg_final;
void cli_export_ppg_hook(void *ctx, const struct sm_train_ppg_final *f);
struct sm_dc;
void cli_export_dc_hook(void *ctx, const struct sm_dc *net);

/* Writes the .npy files of what the hooks captured and the monitor series of the results
 * document `doc` (each file atomically). */
sm_status cli_export_write(cli_export *e, json_t *doc, sm_error *err);

/* somnus run --weights DIR: reads DIR/weights_pre.npy, weights_post.npy,
 * weights_pathway.npy and weights.npy (as cli_export_write writes them) and copies the
 * weights into `net`, which must be the exported network: the same number of synapses
 * (the files' shape), the same pre -> post of every synapse in the same order, and the
 * same pathways; every weight finite and of its pathway's sign. Otherwise nothing is
 * changed and the error names the file and the first mismatch. */
sm_status cli_weights_load(const char *dir, struct sm_net *net, sm_error *err);

/* Frees the captured arrays (keeps dir). */
void cli_export_free(cli_export *e);

#endif
