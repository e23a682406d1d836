/* Internal: diag.iid for the theta-gated Helmholtz machine (train.model = theta; spec
 * plasticity-loss.md section 1 for a model that makes its own inputs).
 *
 * The model has no images, so the probe set is a fixed segment of generated input: the
 * first diag.probe_s seconds of the task's stream from the seed (the latents or the agent's
 * walk as they start every run). At each minute row a probe copy of the model is built
 * from the same parameters, given the trained weights of every plastic block, and run
 * through that segment in inference mode (theta = 0: the basal compartments drive the
 * somata), without noise and without learning; the training model is not touched.
 *
 * Populations, features = rates per step (T = 1): `hidden` (the somatic rates of g: the
 * recognition pathway) and `sensory_apical` (the apical rates r_A of p: the generative
 * prediction of the input from the hidden layer; p's soma is the input itself in this
 * mode, so it is not a population of its own). The units are linear (task A) or
 * rectified tanh (task B's hidden layer), so activity can be signed: silent and tau-dormant
 * fractions use the mean absolute rate (the score of ReDo, Sokar et al. 2023), srank/erank the
 * signed rates, and the saturated fraction is null (rates are not bounded by 1). Each plastic block
 * gets the weight-tensor columns diag_<to>_<compartment>_from_<source>_* (weight, update norm and
 * ratio; no bounds). */
#ifndef SOMNUS_DIAG_THETA_H
#define SOMNUS_DIAG_THETA_H

#include <jansson.h>

#include "somnus/core/config.h"
#include "somnus/models/theta_latents.h"
#include "somnus/models/theta_pathint.h"
#include "protocol/diag_columns.h"

/* Most plastic blocks of one task model (task B has four). */
#define SM_DIAG_THETA_MAX_BLOCKS 8

typedef struct sm_diag_theta {
    int steps;      /* probe steps (0: diag.iid off) */
    int pathint;    /* 1: task B */
    double delta;   /* diag.srank_delta */
    int n_units[2]; /* hidden, sensory_apical */
    float *phi[2];  /* steps x units: the rates of each population */
    float *abs_phi; /* scratch: |phi| of one population */
    double *w;      /* scratch: one block's weights as doubles */
    int n_blocks;
    char names[SM_DIAG_THETA_MAX_BLOCKS][48];
    sm_diag_tensor w_prev[SM_DIAG_THETA_MAX_BLOCKS];
    int every, row, rows;        /* computed every `every` minute rows and at the last of rows */
    double seconds, cpu_seconds; /* wall and CPU time spent on the diagnostics */
} sm_diag_theta;

/* Sets the probe up for the model in *m (a sm_theta_latents, or a sm_theta_pathint when
 * pathint) when cfg->diag.iid is set; else leaves *g empty. */
sm_status sm_diag_theta_init(sm_diag_theta *g, const sm_config *cfg, const void *m, int pathint,
                             sm_error *err);

/* Appends this row's diag_* columns, computed by a probe copy with the weights of *m at
 * every sm_diag_every-th minute row and at the last (other rows: null values). */
sm_status sm_diag_theta_row(sm_diag_theta *g, const void *m, json_t *tab, sm_error *err);

void sm_diag_theta_free(sm_diag_theta *g);

#endif
