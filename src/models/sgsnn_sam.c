/* SAM around the SG-SNN's Adam (sgsnn_remedy.h, spec plasticity-loss.md 2.1; Foret et al.
 * 2021). Two BPTT passes per minibatch through the public backprop; the parameters are
 * moved by eps in place and copied back, so the step with rho = 0 is plain Adam's. Works on
 * the network's tensor list (sm_sgsnn_tensor), so any number of layers and the LayerNorm
 * parameters are covered. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "somnus/models/sgsnn_remedy.h"

#define SAM_MAX_TENSORS (2 * SM_SGSNN_MAX_LAYERS + 2)

struct sm_sgsnn_sam {
    sm_sgsnn *net;
    double rho;
    int n; /* tensors */
    unsigned char in_scope[SAM_MAX_TENSORS];
    float *theta[SAM_MAX_TENSORS]; /* the parameters at the start of the step */
    float *g[SAM_MAX_TENSORS];     /* the first gradient */
    size_t len[SAM_MAX_TENSORS];
};

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
    s->n = sm_sgsnn_n_tensors(net);
    /* the head = the output layer's W and b, tensors 2(L-1) and 2(L-1)+1 */
    const int head = 2 * (sm_sgsnn_n_layers(net) - 1);
    int ok = 1;
    for (int k = 0; k < s->n; k++) {
        sm_sgsnn_tensor(net, k, 0, &s->len[k]);
        s->in_scope[k] = !(scope_hidden && (k == head || k == head + 1));
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
    for (int k = 0; k < s->n; k++) {
        free(s->theta[k]);
        free(s->g[k]);
    }
    free(s);
}

/* ||t|| over the tensors in scope, in tensor order. */
static double norm_in_scope(const sm_sgsnn_sam *s, float *const t[])
{
    double q = 0;
    for (int k = 0; k < s->n; k++)
        for (size_t i = 0; s->in_scope[k] && i < s->len[k]; i++)
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
    float *par[SAM_MAX_TENSORS] = {NULL}, *grad[SAM_MAX_TENSORS] = {NULL};
    for (int k = 0; k < s->n; k++) {
        par[k] = sm_sgsnn_tensor(net, k, 0, NULL);
        grad[k] = sm_sgsnn_tensor(net, k, 1, NULL);
    }
    const double g1 = norm_in_scope(s, grad);
    const float scale = (float)(s->rho / (g1 + 1e-12));
    for (int k = 0; k < s->n; k++) {
        memcpy(s->theta[k], par[k], s->len[k] * sizeof(float));
        memcpy(s->g[k], grad[k], s->len[k] * sizeof(float));
    }
    for (int k = 0; k < s->n; k++)
        for (size_t i = 0; s->in_scope[k] && i < s->len[k]; i++)
            par[k][i] += scale * s->g[k][i];
    st = sm_sgsnn_backprop(net, x, y, n, NULL, NULL, err);
    for (int k = 0; k < s->n; k++)
        memcpy(par[k], s->theta[k], s->len[k] * sizeof(float));
    if (st != SM_OK) return st;
    if (gnorm) {
        gnorm[0] = g1;
        gnorm[1] = norm_in_scope(s, grad);
    }
    for (int k = 0; k < s->n; k++) /* outside the scope: the first gradient */
        if (!s->in_scope[k]) memcpy(grad[k], s->g[k], s->len[k] * sizeof(float));
    sm_sgsnn_adam_step(net);
    return SM_OK;
}
