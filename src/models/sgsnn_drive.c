/* The SG-SNN's first hidden layer drive beyond u = W1 x + b1 (spec plasticity-loss.md 2.2
 * and 2.3): LayerNorm over the U entries of u, and the ON/OFF split that feeds +u to the
 * first U hidden neurons and -u to the next U (a spiking CReLU: a LIF neuron fires only
 * for a drive above (1 - beta) x threshold, so the pair loses a unit only when |u| is
 * small, not when u turns negative). The image is a constant current, so the transform
 * runs once per image, not per step.
 *
 * LayerNorm: mu = mean u, v = mean (u - mu)^2, uh = (u - mu) / sqrt(v + 1e-5),
 * I = g uh + c. Backward with d = g dL/dI:
 * dL/du = (d - mean d - uh mean(d uh)) / sqrt(v + 1e-5), dL/dg = dL/dI uh, dL/dc = dL/dI. */
#include <math.h>

#include "sgsnn_internal.h"

#define LN_EPS 1e-5

/* u in; uh (may be NULL, may equal u) receives the normalised u; cur the drive. */
static float drive(const sm_sgsnn *net, const float *u, float *uh, float *cur)
{
    const int U = net->U;
    float r = 1.0f;
    if (net->p.layer_norm) {
        const float *g = net->par[(size_t)2 * net->L], *c = net->par[(size_t)2 * net->L + 1];
        double mu = 0, v = 0;
        for (int j = 0; j < U; j++)
            mu += u[j];
        mu /= U;
        for (int j = 0; j < U; j++)
            v += ((double)u[j] - mu) * ((double)u[j] - mu);
        v /= U;
        r = (float)(1.0 / sqrt(v + LN_EPS));
        for (int j = 0; j < U; j++) {
            const float h = (float)(((double)u[j] - mu) * r);
            if (uh) uh[j] = h;
            cur[j] = g[j] * h + c[j];
        }
    } else {
        for (int j = 0; j < U; j++)
            cur[j] = u[j];
    }
    if (net->p.onoff)
        for (int j = 0; j < U; j++)
            cur[U + j] = -cur[j];
    return r;
}

void sgsnn_drive_forward(const sm_sgsnn *net, float *u, float *cur, float *rstd)
{
    *rstd = drive(net, u, u, cur);
}

void sgsnn_drive_backward(const sm_sgsnn *net, const float *gcur, const float *uh, float rstd,
                          float *gu, double *gg, double *gc)
{
    const int U = net->U;
    /* d loss / d I: the OFF half sees -I, so its gradient enters with a minus sign */
    for (int j = 0; j < U; j++)
        gu[j] = net->p.onoff ? gcur[j] - gcur[U + j] : gcur[j];
    if (!net->p.layer_norm) return;
    const float *g = net->par[(size_t)2 * net->L];
    double md = 0, mdu = 0;
    for (int j = 0; j < U; j++) {
        gg[j] += (double)gu[j] * uh[j];
        gc[j] += gu[j];
        const double d = (double)g[j] * gu[j];
        md += d;
        mdu += d * uh[j];
    }
    md /= U;
    mdu /= U;
    for (int j = 0; j < U; j++)
        gu[j] = (float)(((double)g[j] * gu[j] - md - uh[j] * mdu) * rstd);
}

void sm_sgsnn_hidden_drive(const sm_sgsnn *net, const float *u, float *cur)
{
    (void)drive(net, u, NULL, cur);
}
