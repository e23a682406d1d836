/* SAM around the SG-SNN's Adam (sgsnn_remedy.h, spec plasticity-loss.md 2.1; Foret et al.
 * 2021). Two BPTT passes per minibatch through the public backprop; the parameters are
 * moved by eps in place and copied back, so the step with rho = 0 is plain Adam's. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "somnus/models/sgsnn_remedy.h"

struct sm_sgsnn_sam {
    sm_sgsnn *net;
    double rho;
    int scope_hidden;
    float *theta[4]; /* W1, b1, W2, b2 at the start of the step */
    float *g[4];     /* the first gradient */
    size_t len[4];
};

/* Tensor k (W1, b1, W2, b2) of a layer view. */
static float *tensor(sm_sgsnn_layer v, int k)
{
    return (k & 1) ? v.b : v.w;
}

static void views(sm_sgsnn *net, float *par[4], float *grad[4], size_t len[4])
{
    for (int l = 0; l < 2; l++) {
        sm_sgsnn_layer p = sm_sgsnn_get_layer(net, l), g = sm_sgsnn_get_grad(net, l);
        for (int b = 0; b < 2; b++) {
            par[2 * l + b] = tensor(p, b);
            grad[2 * l + b] = tensor(g, b);
            len[2 * l + b] = b ? (size_t)p.rows : (size_t)p.rows * (size_t)p.cols;
        }
    }
}

sm_sgsnn_sam *sm_sgsnn_sam_create(sm_sgsnn *net, double rho, int scope_hidden, sm_error *err)
{
    sm_sgsnn_sam *s = calloc(1, sizeof *s);
    if (!s || !net) {
        free(s);
        sm_error_set(err, net ? SM_ENOMEM : SM_EINVAL, "sam: %s",
                     net ? "out of memory" : "no network");
        return NULL;
    }
    s->net = net;
    s->rho = rho;
    s->scope_hidden = scope_hidden;
    float *par[4], *grad[4];
    views(net, par, grad, s->len);
    int ok = 1;
    for (int k = 0; k < 4; k++) {
        s->theta[k] = malloc(s->len[k] * sizeof(float));
        s->g[k] = malloc(s->len[k] * sizeof(float));
        ok = ok && s->theta[k] && s->g[k];
    }
    if (!ok) {
        sm_sgsnn_sam_destroy(s);
        sm_error_set(err, SM_ENOMEM, "sam: out of memory");
        return NULL;
    }
    return s;
}

void sm_sgsnn_sam_destroy(sm_sgsnn_sam *s)
{
    if (!s) return;
    for (int k = 0; k < 4; k++) {
        free(s->theta[k]);
        free(s->g[k]);
    }
    free(s);
}

static double norm_in_scope(float *const t[4], const size_t len[4], int n_scope)
{
    double q = 0;
    for (int k = 0; k < n_scope; k++)
        for (size_t i = 0; i < len[k]; i++)
            q += (double)t[k][i] * t[k][i];
    return sqrt(q);
}

sm_status sm_sgsnn_sam_step(sm_sgsnn_sam *s, const float *x, const int *y, int n, double *loss,
                            int *n_correct, double gnorm[2], sm_error *err)
{
    if (!s) return sm_error_set(err, SM_EINVAL, "sam: no SAM state");
    sm_sgsnn *net = s->net;
    sm_status st = sm_sgsnn_backprop(net, x, y, n, loss, n_correct, err);
    if (st != SM_OK) return st;
    float *par[4], *grad[4];
    size_t len[4];
    views(net, par, grad, len);
    const int n_scope = s->scope_hidden ? 2 : 4; /* hidden: W1, b1 */
    const double g1 = norm_in_scope(grad, len, n_scope);
    const float scale = (float)(s->rho / (g1 + 1e-12));
    for (int k = 0; k < 4; k++) {
        memcpy(s->theta[k], par[k], len[k] * sizeof(float));
        memcpy(s->g[k], grad[k], len[k] * sizeof(float));
    }
    for (int k = 0; k < n_scope; k++)
        for (size_t i = 0; i < len[k]; i++)
            par[k][i] += scale * s->g[k][i];
    st = sm_sgsnn_backprop(net, x, y, n, NULL, NULL, err);
    for (int k = 0; k < 4; k++)
        memcpy(par[k], s->theta[k], len[k] * sizeof(float));
    if (st != SM_OK) return st;
    if (gnorm) {
        gnorm[0] = g1;
        gnorm[1] = norm_in_scope(grad, len, n_scope);
    }
    for (int k = n_scope; k < 4; k++) /* outside the scope: the first gradient */
        memcpy(grad[k], s->g[k], len[k] * sizeof(float));
    sm_sgsnn_adam_step(net);
    return SM_OK;
}
