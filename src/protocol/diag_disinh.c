/* diag.iid for the dis-inhibitory rate network (diag_disinh.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/diag_disinh.h"

sm_status sm_diag_disinh_init(sm_diag_disinh *g, const sm_config *cfg, const sm_dataset *val,
                              sm_disinh *net, sm_error *err)
{
    memset(g, 0, sizeof *g);
    sm_status st = sm_diag_iid_init(&g->probe, cfg, val, NULL, err);
    if (st != SM_OK || g->probe.n == 0) return st;
    const sm_disinh_params *p = sm_disinh_get_params(net);
    const int n = g->probe.n;
    size_t widest = 1;
    for (int l = 0; l < p->n_layers; l++)
        widest = (size_t)p->n_hidden[l] > widest ? (size_t)p->n_hidden[l] : widest;
    for (int l = 0; l <= p->n_layers && st == SM_OK; l++) {
        int rows, cols;
        double *bias;
        sm_disinh_weights(net, l, &rows, &cols, &bias);
        st = sm_diag_tensor_init(&g->w[l], (size_t)rows * cols, err);
    }
    g->x = malloc((size_t)n * p->n_in * sizeof *g->x);
    g->phi[0] = malloc((size_t)n * widest * sizeof(float));
    g->phi[1] = malloc((size_t)n * widest * sizeof(float));
    if (st != SM_OK || !g->x || !g->phi[0] || !g->phi[1]) {
        sm_diag_disinh_free(g);
        return st != SM_OK ? st : sm_error_set(err, SM_ENOMEM, "diagnostics: out of memory");
    }
    for (int a = 0; a < n; a++)
        for (int i = 0; i < p->n_in; i++)
            g->x[(size_t)a * p->n_in + i] = sm_dataset_image(val, g->probe.idx[a])[i];
    return SM_OK;
}

static void layer_name(int l, const char *pop, char *buf, size_t size)
{
    if (l == 0)
        snprintf(buf, size, "hidden_%s", pop);
    else
        snprintf(buf, size, "hidden%d_%s", l + 1, pop);
}

/* The open-loop rates of hidden layer l on the probe images: phi[0] = r_E, phi[1] =
 * phi_I(u_I) (probe.n x width). */
static sm_status probe_layer(sm_diag_disinh *g, sm_disinh *net, int l, int with_i, sm_error *err)
{
    const sm_disinh_params *p = sm_disinh_get_params(net);
    const int H = p->n_hidden[l];
    sm_status st = SM_OK;
    for (int s0 = 0; s0 < g->probe.n && st == SM_OK; s0 += p->batch) {
        const int m = g->probe.n - s0 < p->batch ? g->probe.n - s0 : p->batch;
        st = sm_disinh_open_loop(net, g->x + (size_t)s0 * p->n_in, m, !with_i, NULL, err);
        sm_disinh_state s;
        sm_disinh_layer_state(net, l, &s);
        for (size_t k = 0; st == SM_OK && k < (size_t)m * H; k++) {
            g->phi[0][(size_t)s0 * H + k] = (float)s.r_e[k];
            if (with_i) g->phi[1][(size_t)s0 * H + k] = (float)sm_disinh_phi(&p->act_i, s.u_i[k]);
        }
    }
    return st;
}

sm_status sm_diag_disinh_row(sm_diag_disinh *g, const sm_config *cfg, sm_disinh *net, int due,
                             json_t *tab, sm_error *err)
{
    if (g->probe.n == 0) return SM_OK;
    const double t0 = sm_train_now();
    const sm_disinh_params *p = sm_disinh_get_params(net);
    const int with_i = p->rule != SM_DISINH_BP;
    sm_status st = SM_OK;
    for (int l = 0; l < p->n_layers && st == SM_OK; l++) {
        sm_diag_layer d[2];
        if (due) st = probe_layer(g, net, l, with_i, err);
        for (int q = 0; q < 2 && due && st == SM_OK; q++) {
            if (q == 1 && !with_i) break;
            st = sm_diag_layer_compute(g->phi[q], g->probe.n, p->n_hidden[l], 1,
                                       cfg->diag.saturation, cfg->diag.srank_delta, &d[q], NULL,
                                       err);
            d[q].saturated = NAN; /* rates are not bounded by 1 */
        }
        char name[32];
        layer_name(l, "E", name, sizeof name);
        if (st == SM_OK) sm_diag_cols(tab, name, due ? &d[0] : NULL);
        layer_name(l, "I", name, sizeof name);
        if (st == SM_OK) sm_diag_cols(tab, name, due && with_i ? &d[1] : NULL);
    }
    for (int l = 0; l <= p->n_layers && st == SM_OK; l++) {
        int rows, cols;
        double *bias;
        const double *w = sm_disinh_weights(net, l, &rows, &cols, &bias);
        char name[16];
        snprintf(name, sizeof name, "W%d", l + 1);
        sm_diag_tensor_cols(tab, name, &g->w[l], due ? w : NULL, NAN, NAN);
    }
    g->probe.seconds += sm_train_now() - t0;
    return st;
}

void sm_diag_disinh_free(sm_diag_disinh *g)
{
    sm_diag_iid_free(&g->probe);
    free(g->x);
    free(g->phi[0]);
    free(g->phi[1]);
    for (int l = 0; l <= SM_DISINH_MAX_LAYERS; l++)
        sm_diag_tensor_free(&g->w[l]);
    memset(g, 0, sizeof *g);
}
