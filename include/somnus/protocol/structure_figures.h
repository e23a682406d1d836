/* somnus: the figures of the structural-plasticity experiments (spec structural.md section
 * 6: "sparsity vs time and accuracy vs sparsity, methods as lines"), drawn from their
 * results at the end of `somnus experiment sparse-sgsnn | rewire-stdp` and again by
 * `somnus plot FILE.json` from a stored document.
 *
 * Drawn into DIR with file-name stem STEM (a dataset name's characters outside
 * [A-Za-z0-9.-] become '_'):
 *   sparse-sgsnn, per dataset of results.cells:
 *     STEM-accuracy_vs_sparsity-<dataset>.png  test accuracy (mean +- sd over seeds)
 *         against final sparsity 1 - D_f, one line per method (and scope), the dense
 *         network and the frozen random network as dashed horizontal references;
 *     STEM-sparsity-<dataset>.png  sparsity against training iteration at the lowest
 *         density, one line per pruning method (the first seed's mask updates, cells'
 *         "sparsity_curve"; drawn when a cell has one).
 *   rewire-stdp, per dataset with R4 cells (mode gmp, granet or static):
 *     STEM-accuracy_vs_sparsity-<dataset>.png  accuracy against final sparsity of the
 *         rewired pathways, one line per mode starting at the reference network
 *         (sparsity 0, no structural change), the frozen random network dashed;
 *   and once, from results.events (the first dataset's first seed):
 *     STEM-sparsity.png  sparsity of the rewired pathways against wake step for every
 *         gmp and granet arm,
 *         from sparsity 0 at step 0.
 */
#ifndef SOMNUS_STRUCTURE_FIGURES_H
#define SOMNUS_STRUCTURE_FIGURES_H

#include <jansson.h>

#include "somnus/core/error.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { SM_STRUCT_FIG_MAX_LINES = 16, SM_STRUCT_FIG_MAX_POINTS = 32 };

/* One method's accuracy against sparsity: points sorted by x. */
typedef struct sm_structure_line {
    char label[96];
    double x[SM_STRUCT_FIG_MAX_POINTS], y[SM_STRUCT_FIG_MAX_POINTS], sd[SM_STRUCT_FIG_MAX_POINTS];
    int n;
} sm_structure_line;

/* The accuracy-vs-sparsity lines of `dataset` in `results` of experiment `experiment`
 * (sparse-sgsnn or rewire-stdp), as the figure draws them: sparse-sgsnn: a line per
 * method ("static") or method/scope ("gmp/global"), points (1 - density, mean_accuracy,
 * sd_accuracy); rewire-stdp: a line per mode gmp, granet, static at sleep rate 0.2, points
 * (final_sparsity, ...) with the reference cell (mode none, sleep 0.2) as the point at 0.
 * *dense and *frozen get the references' mean accuracy (NaN when absent; rewire-stdp
 * has no dense cell: *dense = the reference). Returns the number of lines (<= max), -1
 * when a cell lacks a field the lines need. */
int sm_structure_accuracy_lines(const char *experiment, const json_t *results, const char *dataset,
                                sm_structure_line *lines, int max, double *dense, double *frozen);

/* Draws the figures above from `results` of `experiment`; *written = files written.
 * SM_EINVAL naming the experiment when it is not sparse-sgsnn or rewire-stdp, or when
 * results.cells is missing; the plot errors otherwise (nothing half-written). */
sm_status sm_structure_figures(const char *experiment, const json_t *results, const char *dir,
                               const char *stem, int *written, sm_error *err);

/* sm_structure_figures on a stored document: its "experiment" and "results" fields. */
sm_status sm_structure_document_figures(const json_t *doc, const char *dir, const char *stem,
                                        int *written, sm_error *err);

/* 1 if `experiment` is one whose document sm_structure_document_figures draws. */
int sm_structure_figures_cover(const char *experiment);

#ifdef __cplusplus
}
#endif
#endif
