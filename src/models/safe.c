/* SAFE's learners on a frozen spiking extractor (safe.h; spec continual.md 5.1-5.3). */
#include "somnus/models/safe.h"
#include "somnus/core/threads.h"

#include <cblas.h>
#undef I /* complex.h (through cblas.h) defines I; here I is the input current */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PI 3.14159265358979323846

/* The forward spike of u = mem - threshold: hard step, or the smooth function. */
static double spike_of(const sm_safe_lif *L, double u)
{
    if (!L->smooth_forward) return u > 0 ? 1.0 : 0.0;
    if (L->surrogate == 1) return 0.5 + u / (1 + L->slope * fabs(u));
    return 0.5 + atan(PI * L->atan_alpha * u / 2) / PI;
}

/* One sample's trajectories over all d neurons under the constant currents I (d):
 * counts (d) receives the spike counts; traj (T x d, may be NULL) the membrane potentials
 * mem[1..T]. m and s are d-long scratch. The loop over neurons is innermost so that the
 * compiler vectorises it; every neuron's arithmetic is the same whatever the lane, so the
 * result does not depend on the thread count. */
static void sample_forward(const sm_safe_lif *L, const double *I, double *m, double *s,
                           double *counts, double *traj)
{
    const int d = L->d;
    const double beta = L->beta, thr = L->threshold;
    for (int j = 0; j < d; j++)
        m[j] = s[j] = counts[j] = 0;
    for (int t = 0; t < L->steps; t++) {
        double *tr = traj ? traj + (size_t)t * d : m; /* m: a harmless self-store */
        if (!L->smooth_forward) {
            for (int j = 0; j < d; j++) {
                const double mm = beta * m[j] + I[j] - s[j] * thr;
                const double ss = mm > thr ? 1.0 : 0.0;
                m[j] = mm;
                tr[j] = mm;
                s[j] = ss;
                counts[j] += ss;
            }
        } else {
            for (int j = 0; j < d; j++) {
                m[j] = beta * m[j] + I[j] - s[j] * thr;
                tr[j] = m[j];
                s[j] = spike_of(L, m[j] - thr);
                counts[j] += s[j];
            }
        }
    }
}

/* Scratch of one thread: currents, state, counts, trajectory (T x d), BPTT state. */
typedef struct scratch {
    double *I, *m, *s, *c, *traj, *dnext, *dI;
} scratch;

static int scratch_make(scratch *w, const sm_safe_lif *L, int with_traj)
{
    const size_t d = (size_t)L->d;
    w->I = malloc(d * sizeof *w->I);
    w->m = malloc(d * sizeof *w->m);
    w->s = malloc(d * sizeof *w->s);
    w->c = malloc(d * sizeof *w->c);
    w->dnext = malloc(d * sizeof *w->dnext);
    w->dI = malloc(d * sizeof *w->dI);
    w->traj = with_traj ? malloc((size_t)L->steps * d * sizeof *w->traj) : NULL;
    return w->I && w->m && w->s && w->c && w->dnext && w->dI && (!with_traj || w->traj);
}

static void scratch_free(scratch *w)
{
    free(w->I), free(w->m), free(w->s), free(w->c), free(w->traj), free(w->dnext), free(w->dI);
}

/* I = gamma u + shift (+ delta, LoRA's B A x, when given). */
static void currents(const float *u, const double *gamma, const double *shift, const double *delta,
                     int d, double *I)
{
    for (int j = 0; j < d; j++)
        I[j] = gamma[j] * u[j] + shift[j];
    if (delta)
        for (int j = 0; j < d; j++)
            I[j] += delta[j];
}

/* phi of n samples under currents gamma u + shift (+ delta: n x d, or NULL). */
static void layer_forward(const sm_safe_lif *L, const float *u, int n, const double *gamma,
                          const double *shift, const double *delta, double *phi)
{
    const int d = L->d;
#pragma omp parallel num_threads(sm_threads(L->threads))
    {
        scratch w;
        const int ok = scratch_make(&w, L, 0);
#pragma omp for schedule(static)
        for (int b = 0; b < n; b++) {
            double *out = phi + (size_t)b * d;
            if (!ok) { /* out of memory: NaN features, which every caller's loss exposes */
                for (int j = 0; j < d; j++)
                    out[j] = NAN;
                continue;
            }
            currents(u + (size_t)b * d, gamma, shift, delta ? delta + (size_t)b * d : NULL, d, w.I);
            sample_forward(L, w.I, w.m, w.s, w.c, NULL);
            for (int j = 0; j < d; j++)
                out[j] = w.c[j] / L->steps;
        }
        scratch_free(&w);
    }
}

void sm_safe_ssf_forward(const sm_safe_lif *L, const float *u, int n, const double *gamma,
                         const double *shift, double *phi)
{
    layer_forward(L, u, n, gamma, shift, NULL, phi);
}

/* BPTT of one sample: dI (d) = dL/dI given dphi (d), from the stored trajectory. */
static void sample_backward(const sm_safe_lif *L, const double *dphi, scratch *w)
{
    const int d = L->d;
    const double beta = L->beta, thr = L->threshold, inv_t = 1.0 / L->steps;
    const double ha = L->atan_alpha / 2, qa = PI / 2 * L->atan_alpha, k = L->slope;
    const double rt = L->detach_reset ? 0.0 : thr;
    for (int j = 0; j < d; j++)
        w->dnext[j] = w->dI[j] = 0;
    for (int t = L->steps - 1; t >= 0; t--) {
        const double *tr = w->traj + (size_t)t * d;
        for (int j = 0; j < d; j++) {
            /* dL/dspk[t]: the count's share, and the reset's effect on mem[t+1] */
            const double dspk = dphi[j] * inv_t - rt * w->dnext[j];
            const double x = tr[j] - thr;
            double sg;
            if (L->surrogate == 1) {
                const double a = 1 + k * fabs(x);
                sg = 1 / (a * a);
            } else {
                const double a = qa * x;
                sg = ha / (1 + a * a);
            }
            const double dm = dspk * sg + beta * w->dnext[j];
            w->dI[j] += dm;
            w->dnext[j] = dm;
        }
    }
}

/* dI (n x d) = dL/dI of n samples given dphi, under currents gamma u + shift (+ delta). */
static void layer_backward(const sm_safe_lif *L, const float *u, int n, const double *gamma,
                           const double *shift, const double *delta, const double *dphi, double *dI)
{
    const int d = L->d;
#pragma omp parallel num_threads(sm_threads(L->threads))
    {
        scratch w;
        const int ok = scratch_make(&w, L, 1);
#pragma omp for schedule(static)
        for (int b = 0; b < n; b++) {
            double *out = dI + (size_t)b * d;
            if (!ok) {
                for (int j = 0; j < d; j++)
                    out[j] = NAN;
                continue;
            }
            currents(u + (size_t)b * d, gamma, shift, delta ? delta + (size_t)b * d : NULL, d, w.I);
            sample_forward(L, w.I, w.m, w.s, w.c, w.traj);
            sample_backward(L, dphi + (size_t)b * d, &w);
            memcpy(out, w.dI, (size_t)d * sizeof *out);
        }
        scratch_free(&w);
    }
}

void sm_safe_ssf_backward(const sm_safe_lif *L, const float *u, int n, const double *gamma,
                          const double *shift, const double *dphi, double *dgamma, double *dshift)
{
    const int d = L->d;
    double *dI = malloc((size_t)(n > 0 ? n : 1) * d * sizeof *dI);
    if (!dI) { /* out of memory: NaN gradients rather than silently wrong ones */
        for (int j = 0; j < d; j++)
            dgamma[j] = dshift[j] = NAN;
        return;
    }
    layer_backward(L, u, n, gamma, shift, NULL, dphi, dI);
    /* sums over the samples in their order: the same for any thread count */
    for (int b = 0; b < n; b++)
        for (int j = 0; j < d; j++) {
            const double g = dI[(size_t)b * d + j];
            dgamma[j] += g * u[(size_t)b * d + j];
            dshift[j] += g;
        }
    free(dI);
}

/* ---------------------------------------------------------------- LoRA */

/* LoRA's products for n images x (n x p floats): X (n x p) in double, H = X A^T (n x r)
 * and, when delta is not NULL, delta = H B^T = (B A x)^T (n x d). */
static void lora_inputs(const sm_safe_learner *l, const float *x, int n, double *X, double *H,
                        double *delta)
{
    const int p = l->p, r = l->r, d = l->d;
    for (size_t i = 0; i < (size_t)n * p; i++)
        X[i] = x[i];
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, r, p, 1.0, X, p, l->A, p, 0.0, H, r);
    if (delta)
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, d, r, 1.0, H, r, l->B, r, 0.0,
                    delta, d);
}

/* Images per block of the LoRA forward: bounds its scratch (block x d doubles). */
enum { LORA_BLOCK = 256 };

void sm_safe_learner_forward(const sm_safe_learner *l, const sm_safe_lif *L, const float *u,
                             const float *x, int n, double *phi)
{
    if (l->r == 0) {
        layer_forward(L, u, n, l->gamma, l->shift, NULL, phi);
        return;
    }
    const size_t m = (size_t)(n < LORA_BLOCK ? (n > 0 ? n : 1) : LORA_BLOCK), d = (size_t)l->d;
    double *X = malloc(m * l->p * sizeof *X), *H = malloc(m * l->r * sizeof *H);
    double *delta = malloc(m * d * sizeof *delta);
    if (!x || !X || !H || !delta) { /* no images or out of memory: NaN, which losses expose */
        for (size_t i = 0; i < (size_t)n * d; i++)
            phi[i] = NAN;
    } else {
        for (int b0 = 0; b0 < n; b0 += LORA_BLOCK) {
            const int nb = n - b0 < LORA_BLOCK ? n - b0 : LORA_BLOCK;
            lora_inputs(l, x + (size_t)b0 * l->p, nb, X, H, delta);
            layer_forward(L, u + (size_t)b0 * d, nb, l->gamma, l->shift, delta,
                          phi + (size_t)b0 * d);
        }
    }
    free(X), free(H), free(delta);
}

/* LoRA's BPTT: given dphi (n x d), ADDS dB = dI^T H (d x r) and dA = (dI B)^T X (r x p). */
static void lora_backward(sm_safe_learner *l, const sm_safe_lif *L, const float *u, const float *x,
                          int n, const double *dphi)
{
    const int d = l->d, r = l->r, p = l->p;
    const size_t nn = (size_t)(n > 0 ? n : 1);
    double *X = malloc(nn * p * sizeof *X), *H = malloc(nn * r * sizeof *H);
    double *delta = malloc(nn * d * sizeof *delta), *dI = malloc(nn * d * sizeof *dI);
    double *G = malloc(nn * r * sizeof *G);
    if (!x || !X || !H || !delta || !dI || !G) { /* NaN gradients rather than wrong ones */
        l->g_A[0] = l->g_B[0] = NAN;
    } else {
        lora_inputs(l, x, n, X, H, delta);
        layer_backward(L, u, n, l->gamma, l->shift, delta, dphi, dI);
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, d, r, n, 1.0, dI, d, H, r, 1.0, l->g_B,
                    r);
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, r, d, 1.0, dI, d, l->B, r, 0.0, G,
                    r);
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, r, p, n, 1.0, G, r, X, p, 1.0, l->g_A,
                    p);
    }
    free(X), free(H), free(delta), free(dI), free(G);
}

/* The tuning's gradient given dphi: into g_gamma, g_shift (SSF) or g_A, g_B (LoRA). */
static void learner_backward(sm_safe_learner *l, const sm_safe_lif *L, const float *u,
                             const float *x, int n, const double *dphi)
{
    if (l->r == 0)
        sm_safe_ssf_backward(L, u, n, l->gamma, l->shift, dphi, l->g_gamma, l->g_shift);
    else
        lora_backward(l, L, u, x, n, dphi);
}

sm_status sm_safe_learner_lora(sm_safe_learner *l, int r, int p, const double *A0, sm_error *err)
{
    if (r < 1 || r > l->d)
        return sm_error_set(err, SM_EINVAL,
                            "safe.lora_rank: %d is out of range (1 to the hidden size, %d)", r,
                            l->d);
    if (p < 1 || l->r != 0)
        return sm_error_set(err, SM_EINVAL, "safe: LoRA needs a fresh learner and p >= 1 (p = %d)",
                            p);
    const size_t na = (size_t)r * p, nb = (size_t)l->d * r;
    l->A = malloc(na * sizeof *l->A);
    l->B = calloc(nb, sizeof *l->B);
    l->g_A = calloc(na, sizeof *l->g_A);
    l->g_B = calloc(nb, sizeof *l->g_B);
    l->v_A = calloc(na, sizeof *l->v_A);
    l->v_B = calloc(nb, sizeof *l->v_B);
    if (!l->A || !l->B || !l->g_A || !l->g_B || !l->v_A || !l->v_B) {
        free(l->A), free(l->B), free(l->g_A), free(l->g_B), free(l->v_A), free(l->v_B);
        l->A = l->B = l->g_A = l->g_B = l->v_A = l->v_B = NULL;
        return sm_error_set(err, SM_ENOMEM, "safe: out of memory");
    }
    memcpy(l->A, A0, na * sizeof *l->A);
    for (int j = 0; j < l->d; j++) /* the PTM's currents until B moves */
        l->gamma[j] = 1.0, l->shift[j] = 0.0;
    l->r = r;
    l->p = p;
    return SM_OK;
}

sm_safe_learner *sm_safe_learner_create(int d, int k, sm_error *err)
{
    if (d < 1 || k < 1) {
        sm_error_set(err, SM_EINVAL, "safe: learner sizes d = %d, k = %d must be >= 1", d, k);
        return NULL;
    }
    sm_safe_learner *l = calloc(1, sizeof *l);
    if (!l) {
        sm_error_set(err, SM_ENOMEM, "safe: out of memory");
        return NULL;
    }
    l->d = d;
    l->k = k;
    const size_t kd = (size_t)k * d;
    l->gamma = malloc((size_t)d * sizeof *l->gamma);
    l->shift = calloc((size_t)d, sizeof *l->shift);
    l->W = calloc(kd, sizeof *l->W);
    l->g_gamma = calloc((size_t)d, sizeof *l->g_gamma);
    l->g_shift = calloc((size_t)d, sizeof *l->g_shift);
    l->g_W = calloc(kd, sizeof *l->g_W);
    l->v_gamma = calloc((size_t)d, sizeof *l->v_gamma);
    l->v_shift = calloc((size_t)d, sizeof *l->v_shift);
    l->v_W = calloc(kd, sizeof *l->v_W);
    if (!l->gamma || !l->shift || !l->W || !l->g_gamma || !l->g_shift || !l->g_W || !l->v_gamma ||
        !l->v_shift || !l->v_W) {
        sm_safe_learner_free(l);
        sm_error_set(err, SM_ENOMEM, "safe: out of memory");
        return NULL;
    }
    for (int j = 0; j < d; j++)
        l->gamma[j] = 1.0;
    l->s = 10.0; /* the cosine head's initial scale [pub] */
    return l;
}

void sm_safe_learner_free(sm_safe_learner *l)
{
    if (!l) return;
    free(l->gamma), free(l->shift), free(l->W);
    free(l->g_gamma), free(l->g_shift), free(l->g_W);
    free(l->v_gamma), free(l->v_shift), free(l->v_W);
    free(l->A), free(l->B), free(l->g_A), free(l->g_B), free(l->v_A), free(l->v_B);
    free(l);
}

sm_status sm_safe_learner_copy(sm_safe_learner *dst, const sm_safe_learner *src, sm_error *err)
{
    if (dst->d != src->d || dst->k != src->k || dst->r != src->r || dst->p != src->p)
        return sm_error_set(err, SM_EINVAL,
                            "safe: cannot copy a %d x %d learner (LoRA rank %d) into %d x %d "
                            "(rank %d)",
                            src->k, src->d, src->r, dst->k, dst->d, dst->r);
    const size_t d = (size_t)src->d, kd = (size_t)src->k * d;
    memcpy(dst->gamma, src->gamma, d * sizeof *dst->gamma);
    memcpy(dst->shift, src->shift, d * sizeof *dst->shift);
    memcpy(dst->W, src->W, kd * sizeof *dst->W);
    dst->s = src->s;
    memset(dst->v_gamma, 0, d * sizeof *dst->v_gamma);
    memset(dst->v_shift, 0, d * sizeof *dst->v_shift);
    memset(dst->v_W, 0, kd * sizeof *dst->v_W);
    dst->v_s = 0;
    if (src->r) {
        const size_t na = (size_t)src->r * src->p, nb = d * src->r;
        memcpy(dst->A, src->A, na * sizeof *dst->A);
        memcpy(dst->B, src->B, nb * sizeof *dst->B);
        memset(dst->v_A, 0, na * sizeof *dst->v_A);
        memset(dst->v_B, 0, nb * sizeof *dst->v_B);
    }
    return SM_OK;
}

static void zero_grads(sm_safe_learner *l)
{
    memset(l->g_gamma, 0, (size_t)l->d * sizeof *l->g_gamma);
    memset(l->g_shift, 0, (size_t)l->d * sizeof *l->g_shift);
    memset(l->g_W, 0, (size_t)l->k * l->d * sizeof *l->g_W);
    l->g_s = 0;
    if (l->r) {
        memset(l->g_A, 0, (size_t)l->r * l->p * sizeof *l->g_A);
        memset(l->g_B, 0, (size_t)l->d * l->r * sizeof *l->g_B);
    }
}

/* CE of the head (W, s) on n rows x with labels y; adds scale x gradients to dx, dW, ds. */
static double head_ce(const double *x, int n, int d, const double *W, int k, double s, const int *y,
                      const unsigned char *active, double scale, double *dx, double *dW, double *ds,
                      double *logits)
{
    sm_safe_cos_logits(x, n, d, W, k, s, logits);
    memset(logits + (size_t)n * k, 0, (size_t)n * k * sizeof *logits);
    double *dz = logits + (size_t)n * k;
    const double l = sm_safe_ce(logits, n, k, y, active, scale, dz);
    sm_safe_cos_backward(x, n, d, W, k, s, dz, dx, dW, ds);
    return l;
}

sm_status sm_safe_slow_grad(sm_safe_learner *l, const sm_safe_lif *L, const sm_safe_opts *o,
                            const float *u, const float *x, const double *phi0, const int *y, int n,
                            const unsigned char *active, double *loss, sm_error *err)
{
    SM_ERROR_LOCAL(err);
    const int d = l->d, k = l->k;
    if (L->d != d) return sm_error_set(err, SM_EINVAL, "safe: layer d %d != learner d %d", L->d, d);
    if (l->r && !x) return sm_error_set(err, SM_EINVAL, "safe: LoRA needs the images");
    double *phi = malloc((size_t)n * d * sizeof *phi), *dphi = calloc((size_t)n * d, sizeof *dphi);
    double *z = malloc((size_t)2 * n * k * sizeof *z);
    if (!phi || !dphi || !z) {
        free(phi), free(dphi), free(z);
        return sm_error_set(err, SM_ENOMEM, "safe: out of memory");
    }
    zero_grads(l);
    sm_safe_learner_forward(l, L, u, x, n, phi);
    double total = head_ce(phi, n, d, l->W, k, l->s, y, active, 1.0, dphi, l->g_W, &l->g_s, z);
    sm_status st = SM_OK;
    if (o->lambda_diag != 0 || o->lambda_rdn != 0) {
        double lc = 0;
        st = sm_safe_corr_loss(phi0, phi, n, d, o->corr_norm, o->lambda_diag, o->lambda_rdn, &lc,
                               dphi, err);
        total += lc;
    }
    if (st == SM_OK) learner_backward(l, L, u, x, n, dphi);
    if (loss) *loss = total;
    free(phi), free(dphi), free(z);
    return st;
}

/* Rows of W (k x d) whose class is flagged in old and that are not all zero, copied after
 * `rows` (their class ids into ids); returns how many. */
static int old_rows(const double *W, int k, int d, const unsigned char *old, double *rows, int *ids)
{
    int m = 0;
    for (int c = 0; c < k; c++) {
        if (!old || !old[c]) continue;
        const double *w = W + (size_t)c * d;
        int nz = 0;
        for (int j = 0; j < d && !nz; j++)
            nz = w[j] != 0.0;
        if (!nz) continue;
        memcpy(rows + (size_t)m * d, w, (size_t)d * sizeof *rows);
        ids[m++] = c;
    }
    return m;
}

sm_status sm_safe_fast_grad(sm_safe_learner *f, const sm_safe_learner *slow, const sm_safe_lif *L,
                            const sm_safe_opts *o, const float *u, const float *x,
                            const double *phiS, const int *y, int n, const unsigned char *active,
                            const unsigned char *old, double *loss, sm_error *err)
{
    SM_ERROR_LOCAL(err);
    const int d = f->d, k = f->k;
    if (L->d != d || slow->d != d || slow->k != k)
        return sm_error_set(err, SM_EINVAL, "safe: fast and slow learners differ in size");
    if (f->r && !x) return sm_error_set(err, SM_EINVAL, "safe: LoRA needs the images");
    const int rows = k + n; /* at most k old rows + the batch */
    double *phi = malloc((size_t)n * d * sizeof *phi), *dphi = calloc((size_t)n * d, sizeof *dphi);
    double *X = malloc((size_t)rows * d * sizeof *X), *dX = calloc((size_t)rows * d, sizeof *dX);
    double *z = malloc((size_t)2 * rows * k * sizeof *z);
    int *ids = malloc((size_t)rows * sizeof *ids);
    if (!phi || !dphi || !X || !dX || !z || !ids) {
        free(phi), free(dphi), free(X), free(dX), free(z), free(ids);
        return sm_error_set(err, SM_ENOMEM, "safe: out of memory");
    }
    zero_grads(f);
    sm_safe_learner_forward(f, L, u, x, n, phi);
    double total = head_ce(phi, n, d, f->W, k, f->s, y, active, 1.0, dphi, f->g_W, &f->g_s, z);
    if (o->lambda_cos != 0)
        total += o->lambda_cos * sm_safe_cos_align(phi, phiS, n, d, o->lambda_cos, dphi);
    if (o->lambda_cc != 0) {
        /* head_F on [W_S,old; phi_S]: only head_F learns (the inputs are constants) */
        int m = old_rows(slow->W, k, d, old, X, ids);
        memcpy(X + (size_t)m * d, phiS, (size_t)n * d * sizeof *X);
        memcpy(ids + m, y, (size_t)n * sizeof *ids);
        total += o->lambda_cc * head_ce(X, m + n, d, f->W, k, f->s, ids, active, o->lambda_cc, NULL,
                                        f->g_W, &f->g_s, z);
        /* head_S on [W_F,old; phi_F]: head_S frozen, the gradient reaches the inputs */
        m = old_rows(f->W, k, d, old, X, ids);
        memcpy(X + (size_t)m * d, phi, (size_t)n * d * sizeof *X);
        memcpy(ids + m, y, (size_t)n * sizeof *ids);
        total += o->lambda_cc * head_ce(X, m + n, d, slow->W, k, slow->s, ids, active, o->lambda_cc,
                                        dX, NULL, NULL, z);
        for (int r = 0; r < m; r++)
            for (int j = 0; j < d; j++)
                f->g_W[(size_t)ids[r] * d + j] += dX[(size_t)r * d + j];
        for (size_t i = 0; i < (size_t)n * d; i++)
            dphi[i] += dX[(size_t)m * d + i];
    }
    learner_backward(f, L, u, x, n, dphi);
    if (loss) *loss = total;
    free(phi), free(dphi), free(X), free(dX), free(z), free(ids);
    return SM_OK;
}

static void sgd(double *p, const double *g, double *v, size_t n, double lr, double mu, double wd)
{
    for (size_t i = 0; i < n; i++) {
        v[i] = mu * v[i] + g[i] + wd * p[i];
        p[i] -= lr * v[i];
    }
}

void sm_safe_sgd_step(sm_safe_learner *l, const sm_safe_opts *o, double lr)
{
    const size_t d = (size_t)l->d, kd = (size_t)l->k * d;
    if (l->r == 0) {
        sgd(l->gamma, l->g_gamma, l->v_gamma, d, lr, o->momentum, o->weight_decay);
        sgd(l->shift, l->g_shift, l->v_shift, d, lr, o->momentum, o->weight_decay);
    } else { /* LoRA: gamma and shift stay the identity */
        sgd(l->A, l->g_A, l->v_A, (size_t)l->r * l->p, lr, o->momentum, o->weight_decay);
        sgd(l->B, l->g_B, l->v_B, d * l->r, lr, o->momentum, o->weight_decay);
    }
    sgd(l->W, l->g_W, l->v_W, kd, lr, o->momentum, o->weight_decay);
    sgd(&l->s, &l->g_s, &l->v_s, 1, lr, o->momentum, o->weight_decay);
}

double sm_safe_cosine_lr(double lr0, long it, long total)
{
    if (total <= 0) return lr0;
    return lr0 * 0.5 * (1.0 + cos(PI * (double)it / (double)total));
}
