/* Task A of the theta-gated Helmholtz machine (include/somnus/models/theta_latents.h).
 * Architecture and defaults from George et al.'s figs12.ipynb (HelmholtzHippocampus). */
#include "somnus/models/theta_latents.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <lapacke.h>

#include "somnus/core/rng.h"

void sm_theta_latents_params_from_config(sm_theta_latents_params *p, const sm_config *cfg)
{
    memset(p, 0, sizeof *p);
    p->seed = (uint64_t)cfg->run.seed;
    p->dt = cfg->theta.dt;
    p->freq = cfg->theta.freq;
    p->duty = cfg->theta.duty;
    p->phase_offset = cfg->theta.phase_offset;
    p->block_s = cfg->theta.block_s;
    p->gate = cfg->theta.gate;
    p->schedule = cfg->theta.schedule;
    p->tau_pi = cfg->theta.tau_pi;
    p->loss_tau = cfg->theta.loss_tau;
    p->eta = cfg->theta.eta;
    p->l2_rec = cfg->theta.l2_rec;
    p->w_init_rec = cfg->theta.w_init_rec;
    p->n_latent = cfg->theta.n_latent;
    p->n_feature = cfg->theta.n_feature;
    p->tau_latent = cfg->theta.tau_latent;
    p->latent_sampler = cfg->theta.latent_sampler;
    p->noise_sd = cfg->theta.noise_sd;
    p->noise_sd_hidden_apical = cfg->theta.noise_sd_hidden_apical;
    p->noise_tau = cfg->theta.noise_tau;
}

/* The white draw of latent i for step s (s >= 1 - ntap): keyed, so the sequence does not
 * depend on when it is drawn. */
static void white_pair(const sm_theta_latents *m, int64_t s, int i2, float *a, float *b)
{
    sm_rng_words w = sm_rng_block(m->par.seed, SM_STREAM_THETA, (uint64_t)(s + m->ntap),
                                  ((uint32_t)SM_THETA_RNG_LATENTS << 24) | (uint32_t)i2);
    double z0, z1;
    sm_rng_normal2(w.w[0], w.w[1], &z0, &z1);
    *a = (float)z0;
    *b = (float)z1;
}

/* Pushes the white draws of step s and computes z. */
static void latents_advance(sm_theta_latents *m, int64_t s)
{
    const int nz = m->par.n_latent, nt = m->ntap;
    m->head = (m->head + 1) % nt;
    for (int i = 0; i < nz; i += 2) {
        float a, b;
        white_pair(m, s, i / 2, &a, &b);
        float *row = m->white + (size_t)i * 2 * nt;
        row[m->head] = row[m->head + nt] = a;
        if (i + 1 < nz) {
            row += (size_t)2 * nt;
            row[m->head] = row[m->head + nt] = b;
        }
    }
    /* the window of the last ntap draws, oldest first, is row[head + 1 .. head + ntap] */
    for (int i = 0; i < nz; i++) {
        const float *restrict x = m->white + (size_t)i * 2 * nt + m->head + 1;
        const float *restrict kk = m->kernel;
        float acc = 0.0f;
        for (int j = 0; j < nt; j++)
            acc += kk[j] * x[j];
        m->z[i] = acc;
    }
}

/* The reference's GaussianProcessSampler: t = 0, dt, .. < 3 tau (M points), C = RBF(t, t)
 * + 1e-5 I; the next value given the last N = M - 1 has mean (C_N^-1 k) . past and variance
 * kappa - k . C_N^-1 k. Returns 0 on failure. */
static int conditional_init(sm_theta_latents *m)
{
    const double tau = m->par.tau_latent, dt = m->par.dt;
    int M = (int)ceil(3.0 * tau / dt - 1e-9);
    if (M < 2) M = 2;
    const int N = M - 1, nz = m->par.n_latent;
    double *c = malloc(sizeof(double) * (size_t)N * N);
    double *k = malloc(sizeof(double) * (size_t)N);
    m->cond_a = malloc(sizeof(double) * (size_t)N);
    m->cond_hist = calloc((size_t)nz * 2 * N, sizeof(double));
    if (!c || !k || !m->cond_a || !m->cond_hist) {
        free(c);
        free(k);
        return 0;
    }
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < N; j++) {
            const double d = (i - j) * dt;
            c[(size_t)i * N + j] = exp(-d * d / (2 * tau * tau)) + (i == j ? 1e-5 : 0.0);
        }
        const double d = (i - N) * dt;
        k[i] = m->cond_a[i] = exp(-d * d / (2 * tau * tau));
    }
    const lapack_int info = LAPACKE_dposv(LAPACK_ROW_MAJOR, 'L', N, 1, c, N, m->cond_a, 1);
    free(c);
    double kk = 0.0;
    for (int i = 0; i < N; i++)
        kk += k[i] * m->cond_a[i];
    free(k);
    if (info != 0) return 0;
    const double var = 1.0 + 1e-5 - kk;
    m->cond_sd = var > 0 ? sqrt(var) : 0.0;
    m->cond_n = N;
    m->cond_head = N - 1;
    return 1;
}

static void latents_conditional(sm_theta_latents *m, int64_t s)
{
    const int nz = m->par.n_latent, N = m->cond_n;
    const int head = m->cond_head;
    m->cond_head = (m->cond_head + 1) % N;
    for (int i = 0; i < nz; i += 2) {
        float w[2];
        white_pair(m, s, i / 2, &w[0], &w[1]);
        for (int u = i; u < i + 2 && u < nz; u++) {
            double *row = m->cond_hist + (size_t)u * 2 * N;
            const double *past = row + head + 1; /* the last N values, oldest first */
            double mean = 0.0;
            for (int j = 0; j < N; j++)
                mean += m->cond_a[j] * past[j];
            const double z = mean + m->cond_sd * w[u - i];
            row[m->cond_head] = row[m->cond_head + N] = z;
            m->z[u] = (float)z;
        }
    }
}

sm_status sm_theta_latents_init(sm_theta_latents *m, const sm_theta_latents_params *p,
                                sm_error *err)
{
    memset(m, 0, sizeof *m);
    m->par = *p;
    if (p->n_latent < 1 || p->n_feature < 1 || !(p->dt > 0) || !(p->tau_latent > 0))
        return sm_error_set(err, SM_EINVAL, "theta latents: bad sizes or time constants");
    const double sd_steps = p->tau_latent / sqrt(2.0) / p->dt;
    const int half = (int)ceil(4.0 * sd_steps);
    if (half > 1 << 20)
        return sm_error_set(err, SM_EINVAL,
                            "theta latents: theta.tau_latent / theta.dt too large (%d taps)",
                            2 * half + 1);
    m->ntap = 2 * half + 1;
    const int nz = p->n_latent, nf = p->n_feature, nt = m->ntap;
    m->kernel = malloc(sizeof(float) * nt);
    m->white = calloc((size_t)nz * 2 * nt, sizeof(float));
    m->z = calloc((size_t)nz, sizeof(float));
    m->wf = malloc(sizeof(float) * (size_t)nf * nz);
    m->f = calloc((size_t)nf, sizeof(float));
    if (!m->kernel || !m->white || !m->z || !m->wf || !m->f) {
        sm_theta_latents_free(m);
        return sm_error_set(err, SM_ENOMEM, "theta latents: out of memory");
    }
    double ss = 0.0;
    for (int j = 0; j < nt; j++) {
        const double u = (j - half) / sd_steps;
        ss += exp(-u * u);
    }
    for (int j = 0; j < nt; j++) {
        const double u = (j - half) / sd_steps;
        m->kernel[j] = (float)(exp(-0.5 * u * u) / sqrt(ss));
    }
    /* a full window of past draws (steps 1 - ntap .. 0), so z is stationary from step 1 */
    m->head = nt - 1;
    if (p->latent_sampler == SM_THETA_LATENTS_CONDITIONAL) {
        if (!conditional_init(m)) {
            sm_theta_latents_free(m);
            return sm_error_set(err, SM_ENUMERIC,
                                "theta latents: the conditional sampler's covariance failed");
        }
    } else {
        for (int64_t s = 1 - nt; s <= 0; s++)
            latents_advance(m, s);
    }

    sm_rng r;
    sm_rng_init(&r, p->seed, SM_STREAM_THETA, ((uint32_t)SM_THETA_RNG_WEIGHTS << 24) | 0u);
    const double wsd = 1.0 / sqrt((double)nz);
    for (size_t i = 0; i < (size_t)nf * nz; i++)
        m->wf[i] = (float)(wsd * sm_rng_normal(&r));

    sm_status st = sm_theta_layer_init(&m->p, nf, SM_THETA_LINEAR, SM_THETA_LINEAR, 0, err);
    if (st == SM_OK)
        st = sm_theta_layer_init(&m->g, nz, SM_THETA_LINEAR, SM_THETA_LINEAR, 1u << 16, err);
    if (st == SM_OK) st = sm_theta_layer_add_identity(&m->p, SM_THETA_BASAL, m->f, nf, err);
    if (st == SM_OK && (!sm_theta_layer_add_input(&m->p, SM_THETA_APICAL, m->g.r, nz, 0, 1.0,
                                                  p->eta, p->seed, 1, err) ||
                        !sm_theta_layer_add_input(&m->g, SM_THETA_BASAL, m->p.r, nf, 0, 1.0, p->eta,
                                                  p->seed, 2, err))) {
        st = err ? err->code : SM_EINVAL;
    }
    sm_theta_block *rec = NULL;
    if (st == SM_OK) {
        rec = sm_theta_layer_add_input(&m->g, SM_THETA_APICAL, m->g.r, nz, 0, p->w_init_rec, p->eta,
                                       p->seed, 3, err);
        if (!rec) st = err ? err->code : SM_EINVAL;
    }
    if (st != SM_OK || !rec) {
        sm_theta_latents_free(m);
        return st != SM_OK ? st : SM_EINVAL;
    }
    rec->l2 = (float)p->l2_rec;
    m->p.basal.noise_sd = m->p.apical.noise_sd = (float)p->noise_sd;
    m->g.basal.noise_sd = (float)p->noise_sd;
    m->g.apical.noise_sd = (float)p->noise_sd_hidden_apical;

    const sm_theta_gate shape = {p->gate, p->schedule,     p->dt,      p->freq,
                                 p->duty, p->phase_offset, p->block_s, -1};
    sm_theta_clock_init(&m->gate, &m->noise, &m->err_start, &shape, p->noise_tau, p->seed);
    return SM_OK;
}

void sm_theta_latents_free(sm_theta_latents *m)
{
    if (!m) return;
    free(m->kernel);
    free(m->white);
    free(m->cond_a);
    free(m->cond_hist);
    free(m->z);
    free(m->wf);
    free(m->f);
    sm_theta_layer_free(&m->p);
    sm_theta_layer_free(&m->g);
    memset(m, 0, sizeof *m);
}

void sm_theta_latents_restart_errors(sm_theta_latents *m)
{
    sm_theta_err_restart(&m->p.err);
    sm_theta_err_restart(&m->g.err);
}

void sm_theta_latents_step(sm_theta_latents *m, int learn)
{
    m->k++;
    const double theta = sm_theta_gate_value(&m->gate, m->k);
    if (m->par.latent_sampler == SM_THETA_LATENTS_CONDITIONAL)
        latents_conditional(m, m->k);
    else
        latents_advance(m, m->k);
    const int nz = m->par.n_latent, nf = m->par.n_feature;
    for (int i = 0; i < nf; i++) {
        const float *restrict w = m->wf + (size_t)i * nz;
        float s = 0.0f;
        for (int j = 0; j < nz; j++)
            s += w[j] * m->z[j];
        m->f[i] = s;
    }
    sm_theta_layer_step(&m->p, theta, &m->noise, m->k, m->par.loss_tau, m->err_start);
    if (learn) sm_theta_layer_learn(&m->p, m->par.dt, m->par.tau_pi);
    sm_theta_layer_step(&m->g, theta, &m->noise, m->k, m->par.loss_tau, m->err_start);
    if (learn) sm_theta_layer_learn(&m->g, m->par.dt, m->par.tau_pi);
}
