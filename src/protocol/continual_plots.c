/* The figures of continual runs (continual_plots.h). */
#include "protocol/continual_plots.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "somnus/analysis/plot.h"

/* A figure over tasks 1..T on x and a fraction (0..1) on y. */
static sm_plot_spec task_fraction_spec(const char *title, const char *xlabel, const char *ylabel,
                                       int T)
{
    sm_plot_spec sp;
    sm_plot_spec_default(&sp);
    sp.title = title;
    sp.xlabel = xlabel;
    sp.ylabel = ylabel;
    sp.ymin = 0;
    sp.ymax = 1;
    sp.xmin = 0.5;
    sp.xmax = T + 0.5;
    return sp;
}

sm_status sm_cl_plot_sequence(const char *png_path, const char *title, const double *R, int T,
                              sm_error *err)
{
    if (T < 1 || T > 100) return sm_error_set(err, SM_EINVAL, "%s: %d tasks (1..100)", png_path, T);
    /* task j's line over x = j..T: at most T points each */
    double *x = malloc((size_t)T * T * sizeof *x), *y = malloc((size_t)T * T * sizeof *y);
    sm_plot_series *s = calloc((size_t)T, sizeof *s);
    char(*labels)[16] = malloc((size_t)T * sizeof *labels);
    if (!x || !y || !s || !labels) {
        free(x), free(y), free(s), free(labels);
        return sm_error_set(err, SM_ENOMEM, "%s: out of memory", png_path);
    }
    for (int j = 0; j < T; j++) {
        double *xj = x + (size_t)j * T, *yj = y + (size_t)j * T;
        int n = 0;
        for (int i = j + 1; i <= T; i++, n++) {
            xj[n] = i;
            yj[n] = R[(size_t)i * T + j];
        }
        snprintf(labels[j], sizeof labels[j], "task %d", j + 1);
        s[j] = (sm_plot_series){.label = labels[j], .x = xj, .y = yj, .n = n};
    }
    sm_plot_spec sp = task_fraction_spec(title, "after task i", "test accuracy on task j", T);
    sp.legend = SM_PLOT_LEGEND_OUTSIDE;
    const sm_status st = sm_plot_lines(png_path, &sp, s, T, err);
    free(x), free(y), free(s), free(labels);
    return st;
}

sm_status sm_cl_plot_acc_bwt(const char *png_path, const char *title, const char *const *names,
                             const double *acc, const double *acc_sd, const double *bwt,
                             const double *bwt_sd, int n, sm_error *err)
{
    if (n < 1 || n > 64)
        return sm_error_set(err, SM_EINVAL, "%s: %d conditions (1..64)", png_path, n);
    double x[64][2], y[64][2], e[64][2];
    sm_plot_series s[64];
    const double step = n > 1 ? 0.5 / (n - 1) : 0; /* the conditions spread over 0.5 */
    for (int k = 0; k < n; k++) {
        const double off = n > 1 ? -0.25 + k * step : 0;
        x[k][0] = off;
        x[k][1] = 1 + off;
        y[k][0] = acc[k];
        y[k][1] = bwt[k];
        e[k][0] = isfinite(acc_sd[k]) ? acc_sd[k] : NAN;
        e[k][1] = isfinite(bwt_sd[k]) ? bwt_sd[k] : NAN;
        s[k] = (sm_plot_series){.label = names[k],
                                .x = x[k],
                                .y = y[k],
                                .err_lo = e[k],
                                .n = 2,
                                .style = SM_PLOT_MARKERS | SM_PLOT_ERRBARS};
    }
    sm_plot_spec sp;
    sm_plot_spec_default(&sp);
    sp.title = title;
    sp.xlabel = "ACC (left, x = 0) and BWT (right, x = 1); mean +- sd over seeds";
    sp.ylabel = "ACC or BWT";
    sp.xmin = -0.5;
    sp.xmax = 1.5;
    sp.legend = SM_PLOT_LEGEND_OUTSIDE;
    return sm_plot_lines(png_path, &sp, s, n, err);
}

sm_status sm_cl_plot_w_slow(const char *png_path, const char *title, const double *mean,
                            const double *sd, int T, sm_error *err)
{
    if (T < 1 || T > 100) return sm_error_set(err, SM_EINVAL, "%s: %d tasks (1..100)", png_path, T);
    double x[100], e[100];
    for (int j = 0; j < T; j++) {
        x[j] = j + 1;
        e[j] = sd && isfinite(sd[j]) ? sd[j] : NAN;
    }
    sm_plot_series s = {.label = "mean w_S (slow learner)", .x = x, .y = mean, .err_lo = e, .n = T};
    const sm_plot_spec sp = task_fraction_spec(title, "task j (its classes' test images)",
                                               "mean weight of the slow learner", T);
    return sm_plot_lines(png_path, &sp, &s, 1, err);
}
