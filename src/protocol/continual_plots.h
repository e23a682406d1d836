/* Internal: the figures of continual runs (spec continual.md section 8), shared by the
 * continual experiments and the sweep report (continual_plots.c). The R heat map itself is
 * sm_plot_matrix (somnus/analysis/plot.h). */
#ifndef SOMNUS_CONTINUAL_PLOTS_H
#define SOMNUS_CONTINUAL_PLOTS_H

#include "somnus/core/error.h"

/* Accuracy on each task along the sequence: one line per task j (1..T), R[i][j] against i
 * for i = j..T (after learning it; NaN cells are gaps), R (T+1) x T row-major (e.g. the
 * mean over seeds); y from 0 to 1. SM_EINVAL for T outside 1..100; the errors of
 * sm_plot_lines otherwise. */
sm_status sm_cl_plot_sequence(const char *png_path, const char *title, const double *R, int T,
                              sm_error *err);

/* ACC and BWT per condition, mean +- sd (sd NaN: no bar): one series per condition
 * (legend = names[k]), its ACC at x = 0 and its BWT at x = 1, the conditions side by side
 * around each. n in 1..64. */
sm_status sm_cl_plot_acc_bwt(const char *png_path, const char *title, const char *const *names,
                             const double *acc, const double *acc_sd, const double *bwt,
                             const double *bwt_sd, int n, sm_error *err);

/* SAFE's mean weight of the slow learner w_S on each task's test images after the last
 * session (mean +- sd over seeds), against the task 1..T; y from 0 to 1. */
sm_status sm_cl_plot_w_slow(const char *png_path, const char *title, const double *mean,
                            const double *sd, int T, sm_error *err);

#endif
