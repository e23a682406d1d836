/* Internal: diag.iid for the Diehl & Cook network (train.model = dc): at its evaluation
 * rows (one per data.batch training images, and the last), a frozen copy of the network
 * (sm_dc_copy_learned) is shown the probe images, so the training run's own state and
 * input draws are untouched; columns diag_E_* and diag_I_* (the E and I populations'
 * counts), and diag_SE_* for the plastic input->E weights in [0, w_max]. */
#ifndef SOMNUS_DIAG_DC_H
#define SOMNUS_DIAG_DC_H

#include <jansson.h>

#include "somnus/models/dc.h"
#include "protocol/diag_columns.h"

typedef struct sm_diag_dc {
    sm_diag_iid probe; /* the probe set (probe.n = 0: diag.iid off) */
    const sm_dataset *val;
    sm_dc *copy;       /* the frozen copy shown the probe images */
    float *rows;       /* probe.n x 2 n_exc: E counts, then I counts (the last computed row) */
    int32_t *ce, *ci;  /* one image's E and I counts */
    double *w;         /* n_in x n_exc input->E weights, packed */
    sm_diag_tensor se; /* their update norm */
    int every, row;    /* due every `every` rows (sm_diag_every) and at the last */
    int have;          /* rows holds a computed row */
} sm_diag_dc;

/* Draws the probe set from val and builds the copy when cfg->diag.iid is set (else *g is
 * left empty). Errors name diag.iid (no validation images). */
sm_status sm_diag_dc_init(sm_diag_dc *g, const sm_config *cfg, const sm_dataset *val,
                          const sm_dc *net, sm_error *err);

/* Appends this evaluation row's columns: computed on net now when the row is due or `last`,
 * else null values. Nothing when diag.iid is off. */
sm_status sm_diag_dc_row(sm_diag_dc *g, const sm_config *cfg, const sm_dc *net, int last,
                         json_t *tab, sm_error *err);

/* --export: probe_counts_E and probe_counts_I (float32, n_probe x n_exc) of the last
 * computed row. */
void sm_diag_dc_export(const sm_diag_dc *g, sm_train_array_fn fn, void *ctx);

void sm_diag_dc_free(sm_diag_dc *g);

#endif
