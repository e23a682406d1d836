/* Internal: the grid of Diehl & Cook runs behind dc-size and dc-fashion (dc_grid.c). */
#ifndef SOMNUS_EXP_DC_GRID_H
#define SOMNUS_EXP_DC_GRID_H

#include <jansson.h>

#include "somnus/protocol/experiment.h"

/* Runs variant (dc.variants) x size (dc.sizes, passes dc.size_passes) x seed (run.seed ..
 * run.seed + table.seeds - 1) of `somnus train --model dc` on data.dataset, in that
 * order, one run at a time; *results = {"targets": [...] (dc_targets.h), "cells": [...],
 * "runs": [...]}, with a cell
 * {dataset, variant, n_exc, passes, mean_accuracy_all, mean_accuracy_prop,
 * mean_accuracy_lr, sd_accuracy (all-activity, sample sd), n_seeds, accuracies,
 * paper_accuracy, bindsnet_reported, mean_train_images_per_s}. Writes cells.csv and
 * runs.csv. */
sm_status sm_exp_dc_grid(const sm_experiment_ctx *ctx, json_t **results, sm_error *err);

#endif
