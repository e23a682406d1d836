/* Experiment disinh-signflip: Figure 3 of Rossbroich & Zenke (2023), spec
 * disinhibition.md section 5a. One E-I pair driven by x; a target acts on the
 * interneuron as a proportional controller; the weight change of the exact-inverse and
 * the linear-threshold rules against the steady-state E rate. Dis-inhibition (target
 * above the rate) gives LTP, inhibition LTD: the rule's zero sits at r_E = r_tar.
 * Outputs: signflip.csv (panel, r_tar, x, r_E, r_I, dw_exact, dw_lin, dw_lin_b) and one
 * PNG per panel (A: with targets 4 and 3; B: no target; C: isolated neuron). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/experiments/experiments.h"
#include "somnus/analysis/plot.h"
#include "somnus/core/fileio.h"
#include "somnus/models/disinh.h"

#define ALPHA 5.0   /* the notebook's controller gain on I */
#define N_CURVE 261 /* points per curve in the CSV and figures */
#define N_GRID 520  /* grid of the crossing search */

/* Linear models of the figure: (theta, delta). */
static const double LIN_A[2] = {1.5, 1.5}, LIN_B[2] = {0.9, 1.8};
/* Panel C: the isolated neuron's fixed inhibition. */
static const double R_I_FIXED[4] = {0.01, 0.673, 1.337, 2.0};

static const sm_disinh_act ACT = {1.0, 1.0, 3.0};

static json_t *crossing_row(const char *rule, double r_tar, double r_e)
{
    return json_pack("{s:s, s:o, s:f}", "rule", rule, "r_tar",
                     isnan(r_tar) ? json_null() : json_real(r_tar), "r_E_at_zero", r_e);
}

/* The isolated neuron (u_E = x, fixed r_I): the x where r_E = theta + delta r_I, by
 * bisection on [0, 9]; its r_E. */
static double isolated_crossing(double r_i)
{
    double lo = 1e-9, hi = 9;
    for (int i = 0; i < 200; i++) {
        const double mid = 0.5 * (lo + hi);
        const double d = sm_disinh_phi(&ACT, mid) - LIN_A[0] - LIN_A[1] * r_i;
        if (d > 0)
            hi = mid;
        else
            lo = mid;
    }
    return sm_disinh_phi(&ACT, 0.5 * (lo + hi));
}

typedef struct curve {
    double x[N_CURVE], re[N_CURVE], ri[N_CURVE], dw_e[N_CURVE], dw_l[N_CURVE], dw_lb[N_CURVE];
} curve;

static void fill_curve(curve *c, double r_tar, double x_max, int isolated, double r_i_fixed)
{
    for (int i = 0; i < N_CURVE; i++) {
        const double x = x_max * i / (N_CURVE - 1);
        sm_disinh_neuron s = {0};
        if (isolated) {
            s.u_e = x;
            s.r_e = sm_disinh_phi(&ACT, x);
            s.r_i = r_i_fixed;
            s.u_i = sm_disinh_phi_inv(&ACT, r_i_fixed);
        } else {
            sm_disinh_neuron_steady(x, r_tar, ALPHA, &s);
        }
        c->x[i] = x;
        c->re[i] = s.r_e;
        c->ri[i] = s.r_i;
        c->dw_e[i] = isolated ? NAN : sm_disinh_neuron_dw(x, &s, 0, 0, 0);
        c->dw_l[i] = sm_disinh_neuron_dw(x, &s, 1, LIN_A[0], LIN_A[1]);
        c->dw_lb[i] = isolated ? NAN : sm_disinh_neuron_dw(x, &s, 1, LIN_B[0], LIN_B[1]);
    }
}

static void csv_rows(FILE *fp, const char *panel, double r_tar, const curve *c)
{
    for (int i = 0; i < N_CURVE; i++) {
        fprintf(fp, "%s,", panel);
        if (!isnan(r_tar)) fprintf(fp, "%.17g", r_tar);
        fprintf(fp, ",%.17g,%.17g,%.17g,", c->x[i], c->re[i], c->ri[i]);
        if (!isnan(c->dw_e[i])) fprintf(fp, "%.17g", c->dw_e[i]);
        fprintf(fp, ",%.17g,", c->dw_l[i]);
        if (!isnan(c->dw_lb[i])) fprintf(fp, "%.17g", c->dw_lb[i]);
        fputc('\n', fp);
    }
}

static sm_status plot(const sm_experiment_ctx *ctx, const char *name, const char *title,
                      const sm_plot_series *s, int n, sm_error *err)
{
    char path[4096];
    if (!sm_experiment_file(ctx, name, path, sizeof path)) return SM_OK;
    sm_plot_spec spec;
    sm_plot_spec_default(&spec);
    spec.title = title;
    spec.xlabel = "steady-state E rate r_E";
    spec.ylabel = "weight change dw";
    return sm_plot_lines(path, &spec, s, n, err);
}

static sm_status run(const sm_experiment_ctx *ctx, json_t **results, sm_error *err)
{
    static const double TARGETS[3] = {4, 3, NAN};
    json_t *cross = json_array();
    double r[8];
    /* crossings: exact, lin_fixed (1.5, 1.5), lin_fixed_b (0.9, 1.8), for each target */
    for (int t = 0; t < 3; t++) {
        const double rt = TARGETS[t];
        int n = sm_disinh_neuron_crossings(rt, ALPHA, 0, 0, 0, 13, N_GRID, r, 8);
        for (int i = 0; i < n; i++)
            json_array_append_new(cross, crossing_row("exact", rt, r[i]));
        n = sm_disinh_neuron_crossings(rt, ALPHA, 1, LIN_A[0], LIN_A[1], 13, N_GRID, r, 8);
        for (int i = 0; i < n; i++)
            json_array_append_new(cross, crossing_row("lin_fixed", rt, r[i]));
        n = sm_disinh_neuron_crossings(rt, ALPHA, 1, LIN_B[0], LIN_B[1], 13, N_GRID, r, 8);
        for (int i = 0; i < n; i++)
            json_array_append_new(cross, crossing_row("lin_fixed_b", rt, r[i]));
    }
    for (int k = 0; k < 4; k++) {
        json_t *row = crossing_row("isolated", NAN, isolated_crossing(R_I_FIXED[k]));
        json_object_set_new(row, "r_I", json_real(R_I_FIXED[k]));
        json_array_append_new(cross, row);
    }
    /* exact rule, no target: dw vanishes at every x (to the integrator's precision) */
    double max_dw = 0;
    int max_steps = 0;
    for (int i = 1; i <= 1300; i++) {
        sm_disinh_neuron s;
        const double x = i * 0.01;
        sm_disinh_neuron_steady(x, NAN, ALPHA, &s);
        const double d = fabs(sm_disinh_neuron_dw(x, &s, 0, 0, 0));
        if (d > max_dw) max_dw = d;
        if (s.steps > max_steps) max_steps = s.steps;
    }
    curve *cv = calloc(9, sizeof *cv);
    if (!cv) {
        json_decref(cross);
        return sm_error_set(err, SM_ENOMEM, "disinh-signflip: out of memory");
    }
    fill_curve(&cv[0], 4, 10, 0, 0);
    fill_curve(&cv[1], 3, 10, 0, 0);
    fill_curve(&cv[2], NAN, 13, 0, 0);
    for (int k = 0; k < 4; k++)
        fill_curve(&cv[3 + k], NAN, 9, 1, R_I_FIXED[k]);
    sm_status st = SM_OK;
    char path[4096];
    if (sm_experiment_file(ctx, "signflip.csv", path, sizeof path)) {
        sm_atomic_file f;
        st = sm_atomic_open(&f, path, err);
        if (st == SM_OK) {
            fprintf(f.fp, "panel,r_tar,x,r_E,r_I,dw_exact,dw_lin,dw_lin_b\n");
            csv_rows(f.fp, "A", 4, &cv[0]);
            csv_rows(f.fp, "A", 3, &cv[1]);
            csv_rows(f.fp, "B", NAN, &cv[2]);
            for (int k = 0; k < 4; k++)
                csv_rows(f.fp, "C", NAN, &cv[3 + k]);
            st = sm_atomic_commit(&f, err);
        }
    }
    if (st == SM_OK) {
        sm_plot_series s[4] = {
            {"exact, r_tar = 4", cv[0].re, cv[0].dw_e, NULL, NULL, N_CURVE, SM_PLOT_LINE, 0, 0, 0},
            {"exact, r_tar = 3", cv[1].re, cv[1].dw_e, NULL, NULL, N_CURVE, SM_PLOT_LINE, 0, 0, 1},
            {"linear (1.5, 1.5), r_tar = 4", cv[0].re, cv[0].dw_l, NULL, NULL, N_CURVE,
             SM_PLOT_LINE, 0, 0, 0},
            {"linear (1.5, 1.5), r_tar = 3", cv[1].re, cv[1].dw_l, NULL, NULL, N_CURVE,
             SM_PLOT_LINE, 0, 0, 1},
        };
        st = plot(ctx, "signflip-A.png", "A: dis-inhibition flips the sign (target on I)", s, 4,
                  err);
    }
    if (st == SM_OK) {
        sm_plot_series s[3] = {
            {"exact", cv[2].re, cv[2].dw_e, NULL, NULL, N_CURVE, SM_PLOT_LINE, 0, 0, 0},
            {"linear (1.5, 1.5)", cv[2].re, cv[2].dw_l, NULL, NULL, N_CURVE, SM_PLOT_LINE, 0, 0, 0},
            {"linear (0.9, 1.8)", cv[2].re, cv[2].dw_lb, NULL, NULL, N_CURVE, SM_PLOT_LINE, 0, 0,
             0},
        };
        st = plot(ctx, "signflip-B.png", "B: no target (balanced E-I pair)", s, 3, err);
    }
    if (st == SM_OK) {
        sm_plot_series s[4];
        char labels[4][32];
        for (int k = 0; k < 4; k++) {
            snprintf(labels[k], sizeof labels[k], "r_I = %.3g", R_I_FIXED[k]);
            s[k] = (sm_plot_series){
                labels[k], cv[3 + k].re, cv[3 + k].dw_l, NULL, NULL, N_CURVE, SM_PLOT_LINE, 0, 0,
                0};
        }
        st = plot(ctx, "signflip-C.png", "C: isolated neuron, linear (1.5, 1.5)", s, 4, err);
    }
    free(cv);
    if (st != SM_OK) {
        json_decref(cross);
        return st;
    }
    *results = json_pack("{s:o, s:f, s:i, s:{s:f, s:f, s:f}}", "crossings", cross,
                         "max_abs_dw_no_target", max_dw, "max_integration_steps", max_steps,
                         "settings", "alpha", ALPHA, "act_shift", ACT.h, "dt_over_tau", 1.0 / 50);
    return *results ? SM_OK : sm_error_set(err, SM_EINTERNAL, "disinh-signflip: results");
}

const sm_experiment_def sm_exp_disinh_signflip = {
    .name = "disinh-signflip",
    .description = "Rossbroich & Zenke 2023 Fig. 3: dis-inhibition flips the sign of the local "
                   "rule (one E-I pair); already fast, --quick is the same",
    .defaults = NULL,
    .quick_defaults = NULL,
    .run = run,
};
