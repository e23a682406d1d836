/* Theta-gated two-compartment rate layers: gate, compartments, soma, local rule
 * (include/somnus/models/theta.h; spec sections 2-5). The reference is George et al.'s
 * HH_utils.py (PyramidalNeurons, DendriticCompartment, theta_gating). */
#include "somnus/models/theta.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "somnus/core/rng.h"

double sm_theta_gate_value(const sm_theta_gate *g, int64_t k)
{
    if (g->force == 0) return 0.0;
    if (g->force == 1) return 1.0;
    if (g->schedule == SM_THETA_BLOCKS) {
        /* block index from the integer step: blocks of round(block_s / dt) steps */
        int64_t b = (int64_t)llround(g->block_s / g->dt);
        if (b < 1) b = 1;
        return ((k / b) % 2) ? 1.0 : 0.0;
    }
    double x = (double)k * g->dt * g->freq;
    double phase = x - floor(x);
    /* round to 1e-9 cycles: k dt f lands on 0.5 and 1 in exact arithmetic at the default
     * settings, and must not fall either side by the last bit of dt */
    phase = nearbyint(phase * 1e9) * 1e-9;
    if (phase >= 1.0) phase -= 1.0;
    if (g->kind == SM_THETA_SINE) {
        double n = log(0.5) / log(g->duty);
        double p = pow(phase, n) + g->phase_offset;
        p -= floor(p);
        return 0.5 * (1.0 + sin(2.0 * M_PI * p));
    }
    phase += g->phase_offset;
    phase -= floor(phase);
    phase = nearbyint(phase * 1e9) * 1e-9;
    if (phase >= 1.0) phase -= 1.0;
    return phase < g->duty ? 1.0 : 0.0;
}

static void comp_free(sm_theta_comp *c)
{
    for (int b = 0; b < c->n_blocks; b++) {
        free(c->blocks[b].w);
        free(c->blocks[b].pi);
        free(c->blocks[b].x);
    }
    free(c->v);
    free(c->r);
    free(c->fprime);
    free(c->xi);
    free(c->delta);
    memset(c, 0, sizeof *c);
}

static int comp_init(sm_theta_comp *c, int n, int act)
{
    memset(c, 0, sizeof *c);
    c->act = act;
    c->v = calloc((size_t)n, sizeof(float));
    c->r = calloc((size_t)n, sizeof(float));
    c->fprime = calloc((size_t)n, sizeof(float));
    c->xi = calloc((size_t)n, sizeof(float));
    c->delta = calloc((size_t)n, sizeof(float));
    return c->v && c->r && c->fprime && c->xi && c->delta;
}

void sm_theta_err_restart(sm_theta_err *e)
{
    e->value = NAN;
    e->last = NAN;
    e->steps = 0;
}

sm_status sm_theta_layer_init(sm_theta_layer *l, int n, int act_basal, int act_apical,
                              uint32_t noise_index, sm_error *err)
{
    memset(l, 0, sizeof *l);
    if (n < 1) return sm_error_set(err, SM_EINVAL, "theta: layer size %d must be >= 1", n);
    if ((act_basal != SM_THETA_LINEAR && act_basal != SM_THETA_RETANH) ||
        (act_apical != SM_THETA_LINEAR && act_apical != SM_THETA_RETANH))
        return sm_error_set(err, SM_EINVAL, "theta: unknown dendritic activation");
    l->n = n;
    l->noise_index = noise_index;
    l->r = calloc((size_t)n, sizeof(float));
    int ok = l->r != NULL;
    ok = comp_init(&l->basal, n, act_basal) && ok;
    ok = comp_init(&l->apical, n, act_apical) && ok;
    sm_theta_err_restart(&l->err);
    if (!ok) {
        sm_theta_layer_free(l);
        return sm_error_set(err, SM_ENOMEM, "theta: out of memory for a layer of %d units", n);
    }
    return SM_OK;
}

void sm_theta_layer_free(sm_theta_layer *l)
{
    if (!l) return;
    comp_free(&l->basal);
    comp_free(&l->apical);
    free(l->r);
    memset(l, 0, sizeof *l);
}

static sm_theta_comp *which_comp(sm_theta_layer *l, int which)
{
    return which == SM_THETA_APICAL ? &l->apical : &l->basal;
}

sm_theta_block *sm_theta_layer_add_input(sm_theta_layer *l, int which, const float *src, int n_src,
                                         int bias, double scale, double eta, uint64_t seed,
                                         uint32_t stream_k, sm_error *err)
{
    sm_theta_comp *c = which_comp(l, which);
    if (c->n_blocks >= SM_THETA_MAX_BLOCKS) {
        sm_error_set(err, SM_EINVAL, "theta: a compartment takes at most %d input blocks",
                     SM_THETA_MAX_BLOCKS);
        return NULL;
    }
    if (!src || n_src < 1) {
        sm_error_set(err, SM_EINVAL, "theta: an input block needs a source of >= 1 rates");
        return NULL;
    }
    sm_theta_block *b = &c->blocks[c->n_blocks];
    memset(b, 0, sizeof *b);
    const int cols = n_src + (bias ? 1 : 0);
    b->src = src;
    b->n_src = n_src;
    b->bias = bias ? 1 : 0;
    b->eta = (float)eta;
    b->w = malloc(sizeof(float) * (size_t)l->n * cols);
    b->pi = calloc((size_t)l->n * cols, sizeof(float));
    b->x = calloc((size_t)cols, sizeof(float));
    if (!b->w || !b->pi || !b->x) {
        free(b->w);
        free(b->pi);
        free(b->x);
        memset(b, 0, sizeof *b);
        sm_error_set(err, SM_ENOMEM, "theta: out of memory for a %d x %d block", l->n, cols);
        return NULL;
    }
    sm_rng r;
    sm_rng_init(&r, seed, SM_STREAM_THETA, ((uint32_t)SM_THETA_RNG_WEIGHTS << 24) | stream_k);
    const double sd = scale / sqrt((double)n_src);
    for (int i = 0; i < l->n; i++)
        for (int j = 0; j < cols; j++)
            b->w[(size_t)i * cols + j] =
                (bias && j == n_src) ? 0.0f : (float)(sd * sm_rng_normal(&r));
    c->n_blocks++;
    return b;
}

sm_status sm_theta_layer_add_identity(sm_theta_layer *l, int which, const float *src, int n_src,
                                      sm_error *err)
{
    sm_theta_comp *c = which_comp(l, which);
    if (c->n_blocks >= SM_THETA_MAX_BLOCKS)
        return sm_error_set(err, SM_EINVAL, "theta: a compartment takes at most %d input blocks",
                            SM_THETA_MAX_BLOCKS);
    if (!src || n_src != l->n)
        return sm_error_set(err, SM_EINVAL,
                            "theta: an identity block needs %d source rates, got %d", l->n, n_src);
    sm_theta_block *b = &c->blocks[c->n_blocks++];
    memset(b, 0, sizeof *b);
    b->src = src;
    b->n_src = n_src;
    b->identity = 1;
    return SM_OK;
}

/* V = sum of the blocks' W x; snapshot x for learning. */
static void comp_forward(sm_theta_comp *c, int n)
{
    float *restrict v = c->v;
    memset(v, 0, sizeof(float) * (size_t)n);
    for (int bi = 0; bi < c->n_blocks; bi++) {
        sm_theta_block *b = &c->blocks[bi];
        if (b->identity) {
            for (int i = 0; i < n; i++)
                v[i] += b->src[i];
            continue;
        }
        const int cols = b->n_src + b->bias;
        float *restrict x = b->x;
        memcpy(x, b->src, sizeof(float) * (size_t)b->n_src);
        if (b->bias) x[b->n_src] = 1.0f;
        const float *restrict w = b->w;
        for (int i = 0; i < n; i++) {
            const float *restrict row = w + (size_t)i * cols;
            float s = 0.0f;
            for (int j = 0; j < cols; j++)
                s += row[j] * x[j];
            v[i] += s;
        }
    }
}

static void comp_activate(sm_theta_comp *c, int n)
{
    if (c->act == SM_THETA_RETANH) {
        for (int i = 0; i < n; i++) {
            const float t = tanhf(c->v[i]);
            c->r[i] = c->v[i] > 0.0f ? t : 0.0f;
            c->fprime[i] = c->v[i] > 0.0f ? 1.0f - t * t : 0.0f;
        }
    } else {
        for (int i = 0; i < n; i++) {
            c->r[i] = c->v[i];
            c->fprime[i] = 1.0f;
        }
    }
}

/* xi <- xi (1 - dt/tau) + sd sqrt(2 dt/tau) N(0,1); added to r if noise->on. The normals
 * of unit i are keyed (seed, THETA, k, NOISE << 24 | index0 + i/2): two per block. */
static void comp_noise(sm_theta_comp *c, int n, const sm_theta_noise *noise, int64_t k,
                       uint32_t index0)
{
    const float a = (float)(1.0 - noise->dt / noise->tau);
    const float s = (float)(c->noise_sd * sqrt(2.0 * noise->dt / noise->tau));
    for (int i = 0; i < n; i += 2) {
        sm_rng_words w =
            sm_rng_block(noise->seed, SM_STREAM_THETA, (uint64_t)k,
                         ((uint32_t)SM_THETA_RNG_NOISE << 24) | (index0 + (uint32_t)(i / 2)));
        double z0, z1;
        sm_rng_normal2(w.w[0], w.w[1], &z0, &z1);
        c->xi[i] = c->xi[i] * a + s * (float)z0;
        if (i + 1 < n) c->xi[i + 1] = c->xi[i + 1] * a + s * (float)z1;
    }
    if (noise->on)
        for (int i = 0; i < n; i++)
            c->r[i] += c->xi[i];
}

void sm_theta_layer_step(sm_theta_layer *l, double theta, const sm_theta_noise *noise, int64_t k,
                         double tau_err, int64_t start_steps)
{
    const int n = l->n;
    comp_forward(&l->basal, n);
    comp_forward(&l->apical, n);
    comp_activate(&l->basal, n);
    comp_activate(&l->apical, n);
    const uint32_t half = (uint32_t)(n + 1) / 2;
    comp_noise(&l->basal, n, noise, k, l->noise_index);
    comp_noise(&l->apical, n, noise, k, l->noise_index + half);
    /* soma: linear activation of the gated mix (the reference's f_S is linear throughout) */
    const float th = (float)theta, one = (float)(1.0 - theta);
    double e = 0.0;
    for (int i = 0; i < n; i++) {
        l->r[i] = one * l->basal.r[i] + th * l->apical.r[i];
        e += fabsf(l->basal.r[i] - l->apical.r[i]);
    }
    e /= n;
    sm_theta_err *er = &l->err;
    er->steps++;
    er->last = e;
    if (er->steps >= start_steps) {
        if (isnan(er->value)) {
            er->value = e;
        } else {
            const double a = noise->dt / tau_err;
            er->value = a * e + (1.0 - a) * er->value;
        }
    }
}

static void comp_learn(sm_theta_comp *c, const float *target, int n, float a)
{
    float *restrict delta = c->delta;
    for (int i = 0; i < n; i++)
        delta[i] = (target[i] - c->r[i]) * c->fprime[i];
    for (int bi = 0; bi < c->n_blocks; bi++) {
        sm_theta_block *b = &c->blocks[bi];
        if (b->identity || b->eta == 0.0f) continue;
        const int cols = b->n_src + b->bias;
        const float keep = 1.0f - a, eta = b->eta, l2 = b->l2, l1 = b->l1;
        const float *restrict x = b->x;
        for (int i = 0; i < n; i++) {
            float *restrict p = b->pi + (size_t)i * cols;
            float *restrict w = b->w + (size_t)i * cols;
            const float ad = a * delta[i];
            for (int j = 0; j < cols; j++)
                p[j] = keep * p[j] + ad * x[j];
            if (l1 != 0.0f) {
                for (int j = 0; j < cols; j++) {
                    const float sg = (w[j] > 0.0f) - (w[j] < 0.0f);
                    w[j] += eta * (p[j] - l2 * w[j] - l1 * sg);
                }
            } else {
                for (int j = 0; j < cols; j++)
                    w[j] += eta * (p[j] - l2 * w[j]);
            }
            if (b->dale > 0)
                for (int j = 0; j < cols; j++)
                    w[j] = w[j] < 0.0f ? 0.0f : w[j];
            else if (b->dale < 0)
                for (int j = 0; j < cols; j++)
                    w[j] = w[j] > 0.0f ? 0.0f : w[j];
        }
    }
}

void sm_theta_layer_learn(sm_theta_layer *l, double dt, double tau_pi)
{
    const float a = (float)(dt / tau_pi);
    comp_learn(&l->basal, l->r, l->n, a);
    comp_learn(&l->apical, l->r, l->n, a);
}

static sm_status comp_copy(sm_theta_comp *d, const sm_theta_comp *s, int n, sm_error *err)
{
    if (d->n_blocks != s->n_blocks || d->act != s->act)
        return sm_error_set(err, SM_EINVAL, "theta: copying state between different layers");
    for (int bi = 0; bi < s->n_blocks; bi++) {
        const sm_theta_block *bs = &s->blocks[bi];
        sm_theta_block *bd = &d->blocks[bi];
        if (bd->n_src != bs->n_src || bd->bias != bs->bias || bd->identity != bs->identity)
            return sm_error_set(err, SM_EINVAL, "theta: copying state between different blocks");
        if (bs->identity) continue;
        const size_t cols = (size_t)bs->n_src + bs->bias;
        memcpy(bd->w, bs->w, sizeof(float) * n * cols);
        memcpy(bd->pi, bs->pi, sizeof(float) * n * cols);
        memcpy(bd->x, bs->x, sizeof(float) * cols);
        bd->eta = bs->eta;
        bd->l2 = bs->l2;
        bd->l1 = bs->l1;
        bd->dale = bs->dale;
    }
    memcpy(d->v, s->v, sizeof(float) * n);
    memcpy(d->r, s->r, sizeof(float) * n);
    memcpy(d->fprime, s->fprime, sizeof(float) * n);
    memcpy(d->xi, s->xi, sizeof(float) * n);
    d->noise_sd = s->noise_sd;
    return SM_OK;
}

sm_status sm_theta_layer_copy_state(sm_theta_layer *dst, const sm_theta_layer *src, sm_error *err)
{
    if (dst->n != src->n)
        return sm_error_set(err, SM_EINVAL, "theta: copying state between layers of %d and %d",
                            src->n, dst->n);
    sm_status st = comp_copy(&dst->basal, &src->basal, src->n, err);
    if (st == SM_OK) st = comp_copy(&dst->apical, &src->apical, src->n, err);
    if (st != SM_OK) return st;
    memcpy(dst->r, src->r, sizeof(float) * (size_t)src->n);
    dst->err = src->err;
    return SM_OK;
}

void sm_theta_clock_init(sm_theta_gate *gate, sm_theta_noise *noise, int64_t *err_start,
                         const sm_theta_gate *shape, double noise_tau, uint64_t seed)
{
    *gate = *shape;
    gate->force = -1;
    noise->dt = shape->dt;
    noise->tau = noise_tau;
    noise->on = 1;
    noise->seed = seed;
    *err_start = (int64_t)ceil(2.0 / (shape->freq * shape->dt) - 1e-9);
    if (*err_start < 1) *err_start = 1;
}
