/* diag.iid for the Diehl & Cook network (diag_dc.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/diag_dc.h"

sm_status sm_diag_dc_init(sm_diag_dc *g, const sm_config *cfg, const sm_dataset *val,
                          const sm_dc *net, sm_error *err)
{
    memset(g, 0, sizeof *g);
    sm_status st = sm_diag_iid_init(&g->probe, cfg, val, NULL, err);
    if (st != SM_OK || g->probe.n == 0) return st;
    const int n = net->p.n_exc, n_in = net->p.n_in;
    g->val = val;
    g->every = sm_diag_every(cfg, g->probe.n);
    g->copy = sm_dc_create(&net->p, err);
    if (!g->copy) {
        sm_diag_dc_free(g);
        return err ? err->code : SM_ENOMEM;
    }
    g->rows = malloc((size_t)g->probe.n * 2 * n * sizeof *g->rows);
    g->ce = malloc((size_t)n * sizeof *g->ce);
    g->ci = malloc((size_t)n * sizeof *g->ci);
    g->w = malloc((size_t)n_in * n * sizeof *g->w);
    st = g->rows && g->ce && g->ci && g->w
             ? sm_diag_tensor_init(&g->se, (size_t)n_in * n, err)
             : sm_error_set(err, SM_ENOMEM, "diagnostics: out of memory");
    if (st != SM_OK) sm_diag_dc_free(g);
    return st;
}

/* The probe images through the frozen copy: rows a = [E counts, I counts]. */
static void present_probe(sm_diag_dc *g, const sm_dc *net)
{
    const int n = net->p.n_exc, d = g->val->width * g->val->height;
    sm_dc_copy_learned(g->copy, net);
    for (int a = 0; a < g->probe.n; a++) {
        sm_dc_present_ei(g->copy, g->val->pixels + (size_t)g->probe.idx[a] * d, g->ce, g->ci);
        float *row = g->rows + (size_t)a * 2 * n;
        for (int j = 0; j < n; j++) {
            row[j] = (float)g->ce[j];
            row[n + j] = (float)g->ci[j];
        }
    }
}

sm_status sm_diag_dc_row(sm_diag_dc *g, const sm_config *cfg, const sm_dc *net, int last,
                         json_t *tab, sm_error *err)
{
    if (g->probe.n == 0) return SM_OK;
    const double t0 = sm_train_now();
    g->row++;
    const int due = last || (g->every > 0 && g->row % g->every == 0);
    const sm_dc_params *p = &net->p;
    const int n = p->n_exc;
    /* the counting window: the presentation and the rest before it (dc.h) */
    const int T = (int)(llround(p->t_present / p->dt) + llround(p->t_rest / p->dt));
    sm_diag_layer pop[2];
    sm_status st = SM_OK;
    if (due) {
        present_probe(g, net);
        st = sm_diag_stdp_pops(g->rows, g->probe.n, 2 * n, n, T, cfg->diag.saturation,
                               cfg->diag.srank_delta, pop, err);
        for (int i = 0; i < p->n_in; i++)
            for (int j = 0; j < n; j++)
                g->w[(size_t)i * n + j] = net->w[(size_t)i * net->n_pad + j];
    }
    if (st == SM_OK) {
        sm_diag_stdp_pop_cols(tab, due ? pop : NULL, 1);
        /* the weights are floats clipped at (float)w_max */
        sm_diag_tensor_cols(tab, "SE", &g->se, due ? g->w : NULL, 0.0, (double)(float)p->w_max);
        g->have |= due;
    }
    g->probe.seconds += sm_train_now() - t0;
    return st;
}

void sm_diag_dc_export(const sm_diag_dc *g, sm_train_array_fn fn, void *ctx)
{
    if (!fn || !g->have) return;
    const int n = g->copy->p.n_exc, m = g->probe.n;
    float *e = malloc((size_t)m * n * sizeof *e), *in = malloc((size_t)m * n * sizeof *in);
    for (int a = 0; e && in && a < m; a++) {
        memcpy(e + (size_t)a * n, g->rows + (size_t)a * 2 * n, (size_t)n * sizeof *e);
        memcpy(in + (size_t)a * n, g->rows + (size_t)a * 2 * n + n, (size_t)n * sizeof *in);
    }
    if (e && in) {
        fn(ctx, "probe_counts_E", 0, (size_t)m, (size_t)n, e);
        fn(ctx, "probe_counts_I", 0, (size_t)m, (size_t)n, in);
    }
    free(e);
    free(in);
}

void sm_diag_dc_free(sm_diag_dc *g)
{
    sm_diag_iid_free(&g->probe);
    sm_dc_destroy(g->copy);
    free(g->rows);
    free(g->ce);
    free(g->ci);
    free(g->w);
    sm_diag_tensor_free(&g->se);
    memset(g, 0, sizeof *g);
}
