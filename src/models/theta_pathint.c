/* Task B of the theta-gated Helmholtz machine (include/somnus/models/theta_pathint.h).
 * Architecture and defaults from George et al.'s figs34.ipynb (HelmholtzHippocampus) and
 * the RatInABox 1.6.3 classes it uses (Agent, PlaceCells, VelocityCells, FeedForwardLayer). */
#include "somnus/models/theta_pathint.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "somnus/core/rng.h"

void sm_theta_pathint_params_from_config(sm_theta_pathint_params *p, const sm_config *cfg)
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
    p->w_init_rec = cfg->theta.w_init_rec;
    p->n = cfg->theta.n_place;
    p->place_width = cfg->theta.place_width;
    p->track_len = cfg->theta.track_len;
    p->speed_mean = cfg->theta.speed_mean;
    p->speed_sd = cfg->theta.speed_sd;
    p->speed_tau = cfg->theta.speed_tau;
    p->cvc_threshold = cfg->theta.cvc_threshold;
    p->noise_sd = cfg->theta.noise_sd;
    p->noise_tau = cfg->theta.noise_tau;
}

double sm_theta_pathint_distance(const sm_theta_pathint *m, double a, double b)
{
    const double L = m->par.track_len;
    double d = fmod(fabs(a - b), L);
    return d > 0.5 * L ? L - d : d;
}

static void place_cells(const sm_theta_pathint *m, double x, float *out)
{
    const double inv = 1.0 / (2.0 * m->par.place_width * m->par.place_width);
    for (int i = 0; i < m->par.n; i++) {
        const double d = sm_theta_pathint_distance(m, x, m->centres[i]);
        out[i] = (float)exp(-d * d * inv);
    }
}

sm_status sm_theta_pathint_init(sm_theta_pathint *m, const sm_theta_pathint_params *p,
                                sm_error *err)
{
    memset(m, 0, sizeof *m);
    m->par = *p;
    const int n = p->n;
    if (n < 2 || !(p->dt > 0) || !(p->track_len > 0) || !(p->speed_sd > 0))
        return sm_error_set(err, SM_EINVAL, "theta pathint: bad sizes or scales");
    m->centres = malloc(sizeof(float) * (size_t)n);
    m->pc = calloc((size_t)n, sizeof(float));
    m->cvc = calloc((size_t)2 * n, sizeof(float));
    if (!m->centres || !m->pc || !m->cvc) {
        sm_theta_pathint_free(m);
        return sm_error_set(err, SM_ENOMEM, "theta pathint: out of memory");
    }
    sm_rng r;
    sm_rng_init(&r, p->seed, SM_STREAM_THETA, (uint32_t)SM_THETA_RNG_CENTRES << 24);
    /* RatInABox 1.6.3's "uniform_jitter": (i + 0.5) dx + U(-0.45 dx, 0.45 dx) */
    const double sp = p->track_len / n;
    for (int i = 0; i < n; i++) {
        double c = (i + 0.5) * sp + (sm_rng_uniform(&r) - 0.5) * 0.9 * sp;
        c = fmod(c + p->track_len, p->track_len);
        m->centres[i] = (float)c;
    }
    sm_rng_init(&r, p->seed, SM_STREAM_THETA, (uint32_t)SM_THETA_RNG_AGENT << 24 | 1u);
    m->x = sm_rng_uniform(&r) * p->track_len;
    m->v = p->speed_mean;

    sm_status st = sm_theta_layer_init(&m->p, n, SM_THETA_LINEAR, SM_THETA_LINEAR, 0, err);
    if (st == SM_OK)
        st = sm_theta_layer_init(&m->g, n, SM_THETA_RETANH, SM_THETA_RETANH, 1u << 16, err);
    if (st == SM_OK) st = sm_theta_layer_add_identity(&m->p, SM_THETA_BASAL, m->pc, n, err);
    if (st == SM_OK) {
        m->p_from_g = sm_theta_layer_add_input(&m->p, SM_THETA_APICAL, m->g.r, n, 1, 1.0, p->eta,
                                               p->seed, 1, err);
        m->g_from_p = sm_theta_layer_add_input(&m->g, SM_THETA_BASAL, m->p.r, n, 1, 1.0, p->eta,
                                               p->seed, 2, err);
        m->g_rec = sm_theta_layer_add_input(&m->g, SM_THETA_APICAL, m->g.r, n, 0, p->w_init_rec,
                                            p->eta, p->seed, 3, err);
        m->g_cvc = sm_theta_layer_add_input(&m->g, SM_THETA_APICAL, m->cvc, 2 * n, 0, p->w_init_rec,
                                            p->eta, p->seed, 4, err);
        if (!m->p_from_g || !m->g_from_p || !m->g_rec || !m->g_cvc)
            st = err ? err->code : SM_ENOMEM;
    }
    if (st != SM_OK) {
        sm_theta_pathint_free(m);
        return st;
    }
    m->p.basal.noise_sd = m->p.apical.noise_sd = (float)p->noise_sd;
    m->g.basal.noise_sd = m->g.apical.noise_sd = (float)p->noise_sd;
    const sm_theta_gate shape = {p->gate, p->schedule,     p->dt,      p->freq,
                                 p->duty, p->phase_offset, p->block_s, -1};
    sm_theta_clock_init(&m->gate, &m->noise, &m->err_start, &shape, p->noise_tau, p->seed);
    return SM_OK;
}

void sm_theta_pathint_free(sm_theta_pathint *m)
{
    if (!m) return;
    free(m->centres);
    free(m->pc);
    free(m->cvc);
    sm_theta_layer_free(&m->p);
    sm_theta_layer_free(&m->g);
    memset(m, 0, sizeof *m);
}

sm_status sm_theta_pathint_copy(sm_theta_pathint *dst, const sm_theta_pathint *src, sm_error *err)
{
    if (dst->par.n != src->par.n)
        return sm_error_set(err, SM_EINVAL, "theta pathint: copy between different sizes");
    const int n = src->par.n;
    sm_status st = sm_theta_layer_copy_state(&dst->p, &src->p, err);
    if (st == SM_OK) st = sm_theta_layer_copy_state(&dst->g, &src->g, err);
    if (st != SM_OK) return st;
    dst->par = src->par;
    dst->k = src->k;
    dst->gate = src->gate;
    dst->noise = src->noise;
    dst->err_start = src->err_start;
    dst->x = src->x;
    dst->v = src->v;
    memcpy(dst->centres, src->centres, sizeof(float) * (size_t)n);
    memcpy(dst->pc, src->pc, sizeof(float) * (size_t)n);
    memcpy(dst->cvc, src->cvc, sizeof(float) * (size_t)2 * n);
    dst->vc[0] = src->vc[0];
    dst->vc[1] = src->vc[1];
    dst->remaps = src->remaps;
    return SM_OK;
}

void sm_theta_pathint_step(sm_theta_pathint *m, int learn)
{
    const sm_theta_pathint_params *p = &m->par;
    const int n = p->n;
    m->k++;
    const double theta = sm_theta_gate_value(&m->gate, m->k);
    /* agent, in the order of RatInABox 1.6.3's 1D Agent.update: first x += v dt (wrapped)
     * with last step's velocity, then v += (mean - v) dt / tau + sd sqrt(2 dt / tau) N(0,1).
     * The velocity cells (updated last) then carry the new v, which moves the agent on the
     * next step: the conjunctive cells of step k see the velocity of step k's move. */
    m->x = fmod(m->x + m->v * p->dt, p->track_len);
    if (m->x < 0) m->x += p->track_len;
    sm_rng_words w =
        sm_rng_block(p->seed, SM_STREAM_THETA, (uint64_t)m->k, (uint32_t)SM_THETA_RNG_AGENT << 24);
    double z0, z1;
    sm_rng_normal2(w.w[0], w.w[1], &z0, &z1);
    m->v += (p->speed_mean - m->v) * p->dt / p->speed_tau +
            p->speed_sd * sqrt(2.0 * p->dt / p->speed_tau) * z0;
    place_cells(m, m->x, m->pc);
    sm_theta_layer_step(&m->p, theta, &m->noise, m->k, p->loss_tau, m->err_start);
    if (learn) sm_theta_layer_learn(&m->p, p->dt, p->tau_pi);
    sm_theta_layer_step(&m->g, theta, &m->noise, m->k, p->loss_tau, m->err_start);
    if (learn) sm_theta_layer_learn(&m->g, p->dt, p->tau_pi);
    const float dv = m->vc[0] - m->vc[1], c = (float)p->cvc_threshold;
    for (int i = 0; i < n; i++) {
        const float a = m->g.r[i] + dv - c, b = m->g.r[i] - dv - c;
        m->cvc[i] = a > 0.0f ? a : 0.0f;
        m->cvc[n + i] = b > 0.0f ? b : 0.0f;
    }
    m->vc[0] = (float)(m->v > 0 ? m->v / p->speed_sd : 0.0);
    m->vc[1] = (float)(m->v < 0 ? -m->v / p->speed_sd : 0.0);
}

void sm_theta_pathint_remap(sm_theta_pathint *m)
{
    const int n = m->par.n;
    m->remaps++;
    sm_rng r;
    sm_rng_init(&r, m->par.seed, SM_STREAM_THETA,
                ((uint32_t)SM_THETA_RNG_CENTRES << 24) | (m->remaps & 0xffffffu));
    for (int i = n - 1; i > 0; i--) {
        const int j = (int)sm_rng_below(&r, (uint32_t)i + 1);
        const float t = m->centres[i];
        m->centres[i] = m->centres[j];
        m->centres[j] = t;
    }
}

static void comp_zero(sm_theta_comp *c, int n)
{
    memset(c->v, 0, sizeof(float) * (size_t)n);
    memset(c->r, 0, sizeof(float) * (size_t)n);
    memset(c->xi, 0, sizeof(float) * (size_t)n);
}

void sm_theta_pathint_reset_compartments(sm_theta_pathint *m)
{
    comp_zero(&m->p.basal, m->p.n);
    comp_zero(&m->p.apical, m->p.n);
    comp_zero(&m->g.basal, m->g.n);
    comp_zero(&m->g.apical, m->g.n);
}

void sm_theta_pathint_ratemaps(const sm_theta_pathint *m, int n_bins, float *p_map, float *g_map)
{
    const int n = m->par.n, cols = n + 1;
    float *pc = malloc(sizeof(float) * (size_t)n);
    if (!pc) return;
    for (int b = 0; b < n_bins; b++) {
        const double x = (b + 0.5) * m->par.track_len / n_bins;
        place_cells(m, x, pc);
        if (p_map) memcpy(p_map + (size_t)b * n, pc, sizeof(float) * (size_t)n);
        if (!g_map) continue;
        for (int i = 0; i < n; i++) {
            const float *row = m->g_from_p->w + (size_t)i * cols;
            float s = row[n];
            for (int j = 0; j < n; j++)
                s += row[j] * pc[j];
            const float t = tanhf(s);
            g_map[(size_t)b * n + i] = s > 0.0f ? t : 0.0f;
        }
    }
    free(pc);
}
