/* The Poisson-Gamma mixture with intrinsic plasticity: inference, soft WTA and the
 * online Hebbian and intrinsic updates (spec intrinsic.md A2-A4; models/ppg.h). */
#include "somnus/models/ppg.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define RENORM_EVERY 1000
#define YBAR_TAU 1000.0

static double w_floor(const sm_ppg *m)
{
    return 1e-6 * m->A / m->D;
}

sm_ppg *sm_ppg_create(const sm_ppg_params *p, sm_error *err)
{
    if (!p || p->units < 1 || p->dim < 1) {
        sm_error_set(err, SM_EINVAL, "ppg: units and dim must be >= 1");
        return NULL;
    }
    if (!(p->a > 0) || !isfinite(p->a)) {
        sm_error_set(err, SM_EINVAL, "ppg.a: %g must be a positive number", p->a);
        return NULL;
    }
    if (!(p->alpha0 > 0) || !isfinite(p->alpha0)) {
        sm_error_set(err, SM_EINVAL, "ppg.alpha0: %g must be a positive number", p->alpha0);
        return NULL;
    }
    if (p->shape < SM_PPG_MOMENTS || p->shape > SM_PPG_POISSON) {
        sm_error_set(err, SM_EINVAL, "'ppg.shape': %d is not one of moments|fixed|off|poisson",
                     p->shape);
        return NULL;
    }
    if (p->competition < SM_PPG_SOFTMAX || p->competition > SM_PPG_SAMPLE) {
        sm_error_set(err, SM_EINVAL, "'ppg.competition': %d is not one of softmax|wta|sample",
                     p->competition);
        return NULL;
    }
    sm_ppg *m = calloc(1, sizeof *m);
    const size_t cd = (size_t)p->units * (size_t)p->dim;
    if (m) {
        m->w = malloc(cd * sizeof *m->w);
        m->logw = malloc(cd * sizeof *m->logw);
        m->lambda = malloc((size_t)p->units * 4 * sizeof(double));
    }
    if (!m || !m->w || !m->logw || !m->lambda) {
        sm_ppg_destroy(m);
        sm_error_set(err, SM_ENOMEM, "ppg: out of memory");
        return NULL;
    }
    m->C = p->units;
    m->D = p->dim;
    m->A = p->a;
    m->alpha0 = p->alpha0;
    m->shape = p->shape;
    m->competition = p->competition;
    m->nu = m->lambda + p->units;
    m->alpha = m->nu + p->units;
    m->beta = m->alpha + p->units;
    m->ybar = 0; /* unset: the first stimulus' Y */
    sm_rng_init(&m->rng, p->seed, SM_STREAM_PPG, 7);
    double *u = malloc((size_t)p->dim * sizeof *u);
    if (!u) {
        sm_ppg_destroy(m);
        sm_error_set(err, SM_ENOMEM, "ppg: out of memory");
        return NULL;
    }
    for (int d = 0; d < p->dim; d++)
        u[d] = 1;
    for (int c = 0; c < p->units; c++)
        sm_ppg_set_unit(m, c, u, 1, 2);
    free(u);
    return m;
}

void sm_ppg_destroy(sm_ppg *m)
{
    if (!m) return;
    free(m->w);
    free(m->logw);
    free(m->lambda);
    free(m);
}

void sm_ppg_update_shape(sm_ppg *m, int c)
{
    const double lam = m->lambda[c];
    double a;
    if (m->shape == SM_PPG_FIXED) {
        a = m->alpha0;
    } else {
        double excess = m->nu[c] - lam;
        if (excess < 1e-3 * lam) excess = 1e-3 * lam;
        a = lam * lam / excess;
        if (!(a >= 0.1)) a = 0.1; /* also NaN */
        if (a > 1e4) a = 1e4;
    }
    m->alpha[c] = a;
    m->beta[c] = m->A * a / lam;
}

/* Rescales row c to sum A, floors it and refreshes its logs. */
static void renorm_row(sm_ppg *m, int c)
{
    double *w = m->w + (size_t)c * m->D, sum = 0;
    const double fl = w_floor(m);
    for (int d = 0; d < m->D; d++)
        sum += w[d];
    const double k = sum > 0 ? m->A / sum : 0;
    for (int d = 0; d < m->D; d++) {
        double v = sum > 0 ? w[d] * k : m->A / m->D;
        if (v < fl) v = fl;
        w[d] = v;
        m->logw[(size_t)c * m->D + d] = log(v);
    }
}

void sm_ppg_set_unit(sm_ppg *m, int c, const double *w, double lambda, double nu)
{
    memcpy(m->w + (size_t)c * m->D, w, (size_t)m->D * sizeof *w);
    renorm_row(m, c);
    m->lambda[c] = lambda;
    m->nu[c] = nu;
    sm_ppg_update_shape(m, c);
}

sm_status sm_ppg_init_from_data(sm_ppg *m, const double *y, int n, uint64_t seed, sm_error *err)
{
    if (n < 2) return sm_error_set(err, SM_EINVAL, "ppg: need at least 2 stimuli to initialize");
    const int D = m->D;
    double *mean = calloc((size_t)D, sizeof *mean), *row = malloc((size_t)D * sizeof *row);
    if (!mean || !row) {
        free(mean);
        free(row);
        return sm_error_set(err, SM_ENOMEM, "ppg: out of memory");
    }
    double sy = 0, syy = 0;
    for (int i = 0; i < n; i++) {
        double Y = 0;
        for (int d = 0; d < D; d++) {
            mean[d] += y[(size_t)i * D + d];
            Y += y[(size_t)i * D + d];
        }
        sy += Y;
        syy += Y * Y;
    }
    const double my = sy / n, vy = (syy - n * my * my) / (n - 1);
    sm_status st = SM_OK;
    if (!(my > 0)) {
        st = sm_error_set(err, SM_EINVAL, "ppg: every count of the training stimuli is zero");
    } else {
        sm_rng r;
        sm_rng_init(&r, seed, SM_STREAM_PPG, 5);
        for (int c = 0; c < m->C; c++) {
            for (int d = 0; d < D; d++)
                row[d] = mean[d] / n * (1 + 0.1 * (2 * sm_rng_uniform(&r) - 1));
            sm_ppg_set_unit(m, c, row, my, vy > 0 ? vy : my);
        }
        m->ybar = my;
        m->updates = 0;
    }
    free(mean);
    free(row);
    return st;
}

double sm_ppg_log_g(const sm_ppg *m, int c, double Y)
{
    switch (m->shape) {
    case SM_PPG_OFF: return 0;
    case SM_PPG_POISSON: return Y * log(m->lambda[c] / m->A) - m->lambda[c];
    default: {
        const double a = m->alpha[c], b = m->beta[c];
        return lgamma(Y + a) - lgamma(a) + a * log(b) - (a + Y) * log(b + m->A);
    }
    }
}

double sm_ppg_nb_logpmf(double alpha, double beta, double A, double k)
{
    const double q = beta / (beta + A);
    return lgamma(k + alpha) - lgamma(alpha) - lgamma(k + 1) + alpha * log(q) + k * log1p(-q);
}

double sm_ppg_inputs(const sm_ppg *m, const double *y, double *I)
{
    const int D = m->D;
    double Y = 0;
    for (int d = 0; d < D; d++)
        Y += y[d];
    const double lpi = -log((double)m->C);
    for (int c = 0; c < m->C; c++) {
        const double *lw = m->logw + (size_t)c * D;
        double u = 0;
        for (int d = 0; d < D; d++)
            if (y[d] != 0) u += y[d] * lw[d];
        I[c] = u + sm_ppg_log_g(m, c, Y) + lpi;
    }
    return Y;
}

double sm_ppg_softmax(const double *I, int C, double *s)
{
    double mx = I[0];
    for (int c = 1; c < C; c++)
        if (I[c] > mx) mx = I[c];
    /* The first term starts the sum (C >= 1), so z > 0 for log(). */
    s[0] = exp(I[0] - mx);
    double z = s[0];
    for (int c = 1; c < C; c++) {
        s[c] = exp(I[c] - mx);
        z += s[c];
    }
    for (int c = 0; c < C; c++)
        s[c] /= z;
    return mx + log(z);
}

double sm_ppg_posterior(const sm_ppg *m, const double *y, double *s, double *Y_out)
{
    const double Y = sm_ppg_inputs(m, y, s);
    const double lse = sm_ppg_softmax(s, m->C, s);
    double lf = 0;
    for (int d = 0; d < m->D; d++)
        if (y[d] != 0) lf += lgamma(y[d] + 1);
    if (Y_out) *Y_out = Y;
    return lse - lf;
}

int sm_ppg_argmax(const double *s, int C)
{
    int k = 0;
    for (int c = 1; c < C; c++)
        if (s[c] > s[k]) k = c;
    return k;
}

int sm_ppg_compete(sm_ppg *m, double *s)
{
    int k = sm_ppg_argmax(s, m->C);
    if (m->competition == SM_PPG_SOFTMAX) return k;
    if (m->competition == SM_PPG_SAMPLE) {
        double u = sm_rng_uniform(&m->rng), acc = 0;
        k = m->C - 1;
        for (int c = 0; c < m->C; c++) {
            acc += s[c];
            if (u < acc) {
                k = c;
                break;
            }
        }
    }
    for (int c = 0; c < m->C; c++)
        s[c] = c == k;
    return k;
}

void sm_ppg_learn(sm_ppg *m, const double *y, double Y, const double *s, double eps_w, double eps_i)
{
    const int D = m->D;
    if (!(m->ybar > 0)) m->ybar = Y > 0 ? Y : 1;
    const double epw = eps_w * m->A / m->ybar, fl = w_floor(m);
    for (int c = 0; c < m->C; c++) {
        if (s[c] == 0) continue;
        double *w = m->w + (size_t)c * D, *lw = m->logw + (size_t)c * D;
        const double k = epw * s[c], shrink = 1 - k * Y / m->A;
        for (int d = 0; d < D; d++) {
            /* w += k (y - (Y/A) w), written so that a zero input costs no log */
            double v = w[d] * shrink + k * y[d];
            if (v < fl) v = fl;
            if (v != w[d]) {
                w[d] = v;
                lw[d] = log(v);
            }
        }
        const double lam = m->lambda[c], dev = Y - lam;
        m->lambda[c] = lam + eps_i * s[c] * dev;
        m->nu[c] += eps_i * s[c] * (dev * dev - m->nu[c]);
        if (!(m->lambda[c] > 1e-9)) m->lambda[c] = 1e-9;
        if (m->nu[c] < 0) m->nu[c] = 0;
        sm_ppg_update_shape(m, c);
    }
    m->ybar += (Y - m->ybar) / YBAR_TAU;
    if (!(m->ybar > 0)) m->ybar = 1e-9;
    if (++m->updates % RENORM_EVERY == 0)
        for (int c = 0; c < m->C; c++)
            renorm_row(m, c);
}

int sm_ppg_step(sm_ppg *m, const double *y, double eps_w, double eps_i, double *s)
{
    double buf[64], *t = m->C <= 64 ? buf : malloc((size_t)m->C * sizeof *t);
    if (!t) return -1;
    const double Y = sm_ppg_inputs(m, y, t);
    sm_ppg_softmax(t, m->C, t);
    const int k = sm_ppg_compete(m, t);
    sm_ppg_learn(m, y, Y, t, eps_w, eps_i);
    if (s) memcpy(s, t, (size_t)m->C * sizeof *s);
    if (t != buf) free(t);
    return k;
}

void sm_ppg_set_shape(sm_ppg *m, int shape)
{
    m->shape = shape;
    for (int c = 0; c < m->C; c++)
        sm_ppg_update_shape(m, c);
}

double sm_ppg_zhat(const sm_ppg *m, const double *s, double Y)
{
    if (m->shape == SM_PPG_OFF) return Y / m->A;
    double z = 0;
    for (int c = 0; c < m->C; c++)
        z += s[c] * (m->shape == SM_PPG_POISSON ? m->lambda[c] / m->A
                                                : (m->alpha[c] + Y) / (m->beta[c] + m->A));
    return z;
}

double sm_ppg_loglik(const sm_ppg *m, const double *y, int n)
{
    if (n <= 0 || m->C < 1) return NAN;
    double buf[64], *s = m->C <= 64 ? buf : malloc((size_t)m->C * sizeof *s);
    if (!s) return NAN;
    double sum = 0;
    for (int i = 0; i < n; i++)
        sum += sm_ppg_posterior(m, y + (size_t)i * m->D, s, NULL);
    if (s != buf) free(s);
    return sum / n;
}
