/* Internal: diag.iid for the dis-inhibitory rate network (train.model = disinh): at every
 * row with a validation evaluation, one open-loop pass (controller off, as the evaluation)
 * over the probe images; per hidden layer the E rates r_E and the I rates phi_I(u_I) as
 * populations diag_<layer>_E_* and diag_<layer>_I_* (layer = hidden, hidden2, ...; the I
 * columns are null for disinh.rule = bp, whose forward pass has no I units), T = 1, the
 * saturated fraction null (rates are not bounded by 1); and the norms of each weight
 * matrix W1 ... W(L+1) (the readout last) as diag_W<k>_*. */
#ifndef SOMNUS_DIAG_DISINH_H
#define SOMNUS_DIAG_DISINH_H

#include <jansson.h>

#include "somnus/models/disinh.h"
#include "protocol/diag_columns.h"

typedef struct sm_diag_disinh {
    sm_diag_iid probe;                          /* probe.n = 0: diag.iid off */
    double *x;                                  /* probe.n x n_in pixels */
    float *phi[2];                              /* probe.n x widest layer: E, I rates */
    sm_diag_tensor w[SM_DISINH_MAX_LAYERS + 1]; /* W1 ... W(L+1) */
} sm_diag_disinh;

/* Draws the probe set from val and allocates the buffers when cfg->diag.iid is set (else
 * *g is left empty). Errors name diag.iid (no validation images). */
sm_status sm_diag_disinh_init(sm_diag_disinh *g, const sm_config *cfg, const sm_dataset *val,
                              sm_disinh *net, sm_error *err);

/* Appends this row's columns: computed on net now when due, else null values. */
sm_status sm_diag_disinh_row(sm_diag_disinh *g, const sm_config *cfg, sm_disinh *net, int due,
                             json_t *tab, sm_error *err);

void sm_diag_disinh_free(sm_diag_disinh *g);

#endif
