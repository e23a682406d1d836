#include "somnus/plasticity/sleep.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/gauss_simd.h"

sm_sleep *sm_sleep_create(const sm_config *cfg, const sm_net *net, sm_error *err)
{
    sm_sleep *s = calloc(1, sizeof *s);
    if (s) s->w0_in = calloc((size_t)net->n_post * 2 + 2, sizeof *s->w0_in);
    if (s && cfg->sleep.target == SM_TARGET_INITIAL)
        s->w_init = calloc((size_t)(net->n_syn ? net->n_syn : 1), sizeof *s->w_init);
    if (!s || !s->w0_in || (cfg->sleep.target == SM_TARGET_INITIAL && !s->w_init)) {
        sm_sleep_destroy(s);
        sm_error_set(err, SM_ENOMEM, "sleep: out of memory");
        return NULL;
    }
    s->lambda = cfg->sleep.lambda;
    s->target[0] = (float)cfg->sleep.target_exc;
    s->target[1] = (float)cfg->sleep.target_inh;
    s->tolerance = cfg->sleep.tolerance;
    s->stop = cfg->sleep.stop;
    s->target_initial = cfg->sleep.target == SM_TARGET_INITIAL;
    memcpy(s->plastic, net->plastic, sizeof s->plastic);
    s->n_syn = net->n_syn;
    s->n_post = net->n_post;
    return s;
}

void sm_sleep_destroy(sm_sleep *s)
{
    if (!s) return;
    free(s->w0_in);
    free(s->w_init);
    free(s->factor);
    free(s->lz_v);
    free(s->lz_e);
    free(s);
}

static int block_of_path(int path)
{
    return path == SM_PATH_IE;
}

static int all_plastic(const sm_sleep *s, int block)
{
    return block ? s->plastic[SM_PATH_IE]
                 : s->plastic[SM_PATH_SE] && s->plastic[SM_PATH_EE] && s->plastic[SM_PATH_EI];
}

void sm_sleep_block_sums(const sm_sleep *s, const sm_net *net, double sums[2])
{
    sums[0] = sums[1] = 0;
    for (int64_t k = 0; k < net->n_syn; k++)
        if (s->plastic[net->pathway[k]]) sums[k >= net->exc_end] += fabs((double)net->w[k]);
}

void sm_sleep_record_baseline(sm_sleep *s, const sm_net *net)
{
    int64_t count[SM_N_PATHS] = {0};
    memset(s->w0_path, 0, sizeof s->w0_path);
    memset(s->w0_in, 0, (size_t)net->n_post * 2 * sizeof *s->w0_in);
    for (int64_t k = 0; k < net->n_syn; k++) {
        int p = net->pathway[k];
        double a = fabs((double)net->w[k]);
        s->w0_path[p] += a;
        count[p]++;
        if (s->plastic[p]) s->w0_in[2 * net->post[k] + block_of_path(p)] += a;
    }
    for (int p = 0; p < SM_N_PATHS; p++)
        s->mean_path[p] = count[p] ? s->w0_path[p] / count[p] : 0;
    sm_sleep_block_sums(s, net, s->w0_block);
    s->has_baseline = 1;
    if (s->target_initial) sm_sleep_record_initial(s, net, net->w);
}

sm_status sm_sleep_record_initial(sm_sleep *s, const sm_net *net, const float *w)
{
    float *copy = realloc(s->w_init, (size_t)(net->n_syn ? net->n_syn : 1) * sizeof *copy);
    if (!copy) return SM_ENOMEM;
    memcpy(copy, w, (size_t)net->n_syn * sizeof *copy);
    s->w_init = copy;
    return SM_OK;
}

void sm_sleep_on_rebuild(sm_sleep *s, const sm_net *net)
{
    free(s->factor);
    free(s->lz_v);
    free(s->lz_e);
    s->factor = NULL;
    s->lz_v = s->lz_e = NULL;
    s->n_syn = net->n_syn;
}

int sm_sleep_converged(const sm_sleep *s, const double sums[2])
{
    for (int b = 0; b < 2; b++) {
        double excess = sums[b] - s->w0_block[b], band = s->tolerance * s->w0_block[b];
        /* written so that a NaN sum is not converged (sm_sim_sleep stops on it) */
        if (s->stop == SM_STOP_NOT_ABOVE ? !(excess <= band) : !(fabs(excess) <= band)) return 0;
    }
    return 1;
}

double sm_sleep_powerlaw_map(double w, double w_target, double lambda)
{
    double m = fabs(w_target) * pow(fabs(w) / fabs(w_target), lambda);
    return w < 0 ? -m : m;
}

/* Natural log for x > 0 in float, vectorizable: x = m * 2^e with m in [sqrt(1/2), sqrt(2)),
 * ln m = 2 atanh(t), t = (m-1)/(m+1), |t| < 0.172, by its series to t^9 (error < 1e-9).
 * The power-law step needs ln(|w|/w_t) only to ~1e-6 relative: it is scaled by
 * (lambda - 1) before it touches the weight. */
static inline float log_pos(float x)
{
    union {
        float f;
        uint32_t u;
    } b = {x};
    int e = (int)((b.u >> 23) & 0xff) - 127;
    b.u = (b.u & 0x007fffffu) | 0x3f800000u; /* m in [1, 2) */
    float m = b.f;
    int big = m > 1.41421356f;
    m = big ? m * 0.5f : m;
    e += big;
    float t = (m - 1.0f) / (m + 1.0f), t2 = t * t;
    float series =
        t * (2.0f + t2 * (0.6666666667f + t2 * (0.4f + t2 * (0.2857142857f + t2 * 0.2222222222f))));
    return series + (float)e * 0.69314718056f;
}

/* The power-law map of one float weight: |w| * exp(e), e = (lambda-1) ln(|w|/w_t). e is
 * tiny (|e| < 1e-3 for any sane lambda), so exp(e) = 1 + e + e^2/2 + e^3/6 to float
 * precision. The sign is kept because |w|/w_t > 0 and the factor is positive. */
static inline float powerlaw_float(float x, float inv_t, float lm1)
{
    float e = lm1 * log_pos(x * inv_t);
    return x * (1.0f + e * (1.0f + e * (0.5f + e * (1.0f / 6.0f))));
}

/* Decays every synapse of [a, b) toward w_t; returns the new sum of |w|. */
static double decay_all(float *restrict w, int64_t a, int64_t b, float w_t, float lm1)
{
    const float inv_t = 1.0f / w_t;
    double sum = 0;
#pragma omp simd reduction(+ : sum)
    for (int64_t k = a; k < b; k++) {
        float y = powerlaw_float(w[k], inv_t, lm1);
        w[k] = y;
        sum += fabsf(y);
    }
    return sum;
}

/* As decay_all, for a block that mixes plastic and fixed pathways. */
static double decay_plastic(float *restrict w, int64_t a, int64_t b, float w_t, float lm1,
                            const uint8_t *restrict pathway, const int *plastic)
{
    const float inv_t = 1.0f / w_t;
    double sum = 0;
    for (int64_t k = a; k < b; k++) {
        if (!plastic[pathway[k]]) continue;
        float y = powerlaw_float(w[k], inv_t, lm1);
        w[k] = y;
        sum += fabsf(y);
    }
    return sum;
}

/* As decay_plastic, through the double-precision map: for lambda far from 1, where the
 * cubic of powerlaw_float is not exp(e) (at lambda = 0.5 it turns weights negative). */
static double decay_exact(float *restrict w, int64_t a, int64_t b, float w_t, double lambda,
                          const uint8_t *restrict pathway, const int *plastic)
{
    double sum = 0;
    for (int64_t k = a; k < b; k++) {
        if (!plastic[pathway[k]]) continue;
        float y = (float)sm_sleep_powerlaw_map(w[k], w_t, lambda);
        w[k] = y;
        sum += fabsf(y);
    }
    return sum;
}

/* sleep.target=initial: each plastic weight maps toward its own initial weight, in double
 * (the per-synapse target defeats the shared-target fast paths). A synapse that started at
 * 0 has no target and is left alone. */
static void decay_initial(const sm_sleep *s, sm_net *net, double sums[2])
{
    sums[0] = sums[1] = 0;
    for (int64_t k = 0; k < net->n_syn; k++) {
        if (!s->plastic[net->pathway[k]]) continue;
        const float t = s->w_init[k];
        if (t != 0.0f && net->w[k] != 0.0f)
            net->w[k] = (float)sm_sleep_powerlaw_map(net->w[k], t, s->lambda);
        sums[k >= net->exc_end] += fabs((double)net->w[k]);
    }
}

void sm_sleep_powerlaw_step(const sm_sleep *s, sm_net *net, double sums[2])
{
    if (s->target_initial && s->w_init) {
        decay_initial(s, net, sums);
        return;
    }
    /* lambda - 1 in double before rounding: (float)0.99997 - 1.0f decays 6e-4 too slowly. */
    const float lm1 = (float)(s->lambda - 1.0);
    /* |e| = |lambda - 1| ln(|w| / w_t) stays small enough for the cubic only near 1. */
    const int exact = fabsf(lm1) > 1e-3f;
    /* Blocks are contiguous synapse ranges; the check on pathways is only needed when a
     * block mixes plastic and fixed pathways. */
    for (int b = 0; b < 2; b++) {
        int64_t lo = b ? net->exc_end : 0, hi = b ? net->n_syn : net->exc_end;
        int any = b ? s->plastic[SM_PATH_IE]
                    : s->plastic[SM_PATH_SE] || s->plastic[SM_PATH_EE] || s->plastic[SM_PATH_EI];
        if (!any)
            sums[b] = 0.0;
        else if (exact)
            sums[b] =
                decay_exact(net->w, lo, hi, s->target[b], s->lambda, net->pathway, s->plastic);
        else if (all_plastic(s, b))
            sums[b] = decay_all(net->w, lo, hi, s->target[b], lm1);
        else
            sums[b] = decay_plastic(net->w, lo, hi, s->target[b], lm1, net->pathway, s->plastic);
    }
}

/* Per-synapse multiplier m of a mode (1 for fixed synapses). */
static sm_status mode_multipliers(const sm_sleep *s, const sm_net *net, int mode, double *m,
                                  sm_error *err)
{
    if (!s->has_baseline)
        return sm_error_set(err, SM_EINVAL, "sleep: mode %d needs a baseline (record it first)",
                            mode);
    double total[SM_N_PATHS] = {0};
    double *in = NULL;
    if (mode == SM_SLEEP_LAYER)
        for (int64_t k = 0; k < net->n_syn; k++)
            total[net->pathway[k]] += fabs((double)net->w[k]);
    if (mode == SM_SLEEP_NEURON) {
        in = calloc((size_t)net->n_post * 2 + 2, sizeof *in);
        if (!in) return sm_error_set(err, SM_ENOMEM, "sleep: out of memory");
        for (int64_t k = 0; k < net->n_syn; k++)
            if (s->plastic[net->pathway[k]])
                in[2 * net->post[k] + block_of_path(net->pathway[k])] += fabs((double)net->w[k]);
    }
    for (int64_t k = 0; k < net->n_syn; k++) {
        int p = net->pathway[k];
        double a = fabs((double)net->w[k]), r = 1.0;
        if (!s->plastic[p]) {
            m[k] = 1.0;
            continue;
        }
        if (mode == SM_SLEEP_STATIC && s->target_initial && s->w_init)
            r = a > 0 ? fabs((double)s->w_init[k]) / a : 1.0;
        else if (mode == SM_SLEEP_STATIC)
            r = a > 0 ? s->mean_path[p] / a : 1.0;
        else if (mode == SM_SLEEP_LAYER)
            r = total[p] > 0 ? s->w0_path[p] / total[p] : 1.0;
        else if (mode == SM_SLEEP_NEURON) {
            int idx = 2 * net->post[k] + block_of_path(p);
            r = in[idx] > 0 ? s->w0_in[idx] / in[idx] : 1.0;
        }
        m[k] = r;
    }
    free(in);
    return SM_OK;
}

sm_status sm_sleep_mode_begin(sm_sleep *s, const sm_net *net, int mode, int64_t duration,
                              sm_error *err)
{
    if (duration < 1) return sm_error_set(err, SM_EINVAL, "sleep: episode duration must be >= 1");
    if (!s->factor) {
        s->factor = malloc((size_t)(net->n_syn ? net->n_syn : 1) * sizeof *s->factor);
        if (!s->factor) return sm_error_set(err, SM_ENOMEM, "sleep: out of memory");
    }
    sm_status st = mode_multipliers(s, net, mode, s->factor, err);
    if (st != SM_OK) return st;
    for (int64_t k = 0; k < net->n_syn; k++)
        s->factor[k] = pow(s->factor[k], 1.0 / (double)duration);
    return SM_OK;
}

void sm_sleep_mode_step(const sm_sleep *s, sm_net *net)
{
    for (int64_t k = 0; k < net->n_syn; k++)
        net->w[k] = (float)(net->w[k] * s->factor[k]);
}

sm_status sm_sleep_normalize(sm_sleep *s, sm_net *net, int mode, sm_error *err)
{
    double *m = calloc((size_t)(net->n_syn ? net->n_syn : 1), sizeof *m);
    if (!m) return sm_error_set(err, SM_ENOMEM, "normalize: out of memory");
    sm_status st = mode_multipliers(s, net, mode, m, err);
    if (st == SM_OK)
        for (int64_t k = 0; k < net->n_syn; k++)
            net->w[k] = (float)(net->w[k] * m[k]);
    free(m);
    return st;
}

/* ---- lazy power-law episode ---- */

int sm_sleep_lazy_ok(const sm_sleep *s)
{
    /* the lazy sums share one target per block: not for sleep.target=initial */
    return fabs(s->lambda - 1.0) <= 1e-3 && !s->target_initial;
}

static int block_of_syn(const sm_net *net, int64_t k)
{
    return k >= net->exc_end;
}

/* v^m |e| for m < SM_SLEEP_TERMS, |e| = exp(c0 v), added to mom; a weight of 0 (v = -inf)
 * contributes nothing. A weight that is not finite (v NaN or +inf) makes the moments, and
 * so the block's sum, non-finite: the episode's stop test sees it instead of skipping it. */
static void moments_add(double mom[SM_SLEEP_TERMS], double v, double e)
{
    if (v == -INFINITY) return;
    double t = fabs(e);
    for (int m = 0; m < SM_SLEEP_TERMS; m++) {
        mom[m] += t;
        t *= v;
    }
}

/* Half-width of the interval of x = (c - c0) v on which exp_small is used (recentre keeps
 * every synapse's x inside it). */
#define LAZY_X_MAX 0.125

/* exp(x) for |x| <= LAZY_X_MAX by its Taylor series to x^10 (remainder < 3e-18
 * relative), evaluated by Estrin's scheme (a short dependency chain: the reads of one
 * step are few and scattered): within about an ulp of the library's exp, without a call,
 * and vectorizable. */
static inline double exp_small(double x)
{
    const double x2 = x * x, x4 = x2 * x2;
    const double p01 = 1.0 + x, p23 = 0.5 + x * (1.0 / 6.0);
    const double p45 = 1.0 / 24.0 + x * (1.0 / 120.0), p67 = 1.0 / 720.0 + x * (1.0 / 5040.0);
    const double p89 = 1.0 / 40320.0 + x * (1.0 / 362880.0), p10 = 1.0 / 3628800.0;
    const double p03 = p01 + x2 * p23, p47 = p45 + x2 * p67, p8a = p89 + x2 * p10;
    return p03 + x4 * (p47 + x4 * p8a);
}

/* The moments of the block [lo, hi), all plastic, and its bound on |v|: vectorized, ten
 * partial sums per lane (the sums' order is the lanes', fixed for a given network). The
 * ten sums are written out: an OpenMP array reduction over a term loop made sleep steps
 * 2.5% slower. */
static void block_moments(const double *restrict v, const double *restrict e, int64_t lo,
                          int64_t hi, double mom[SM_SLEEP_TERMS], double *vmax)
{
    _Static_assert(SM_SLEEP_TERMS == 10, "block_moments sums ten terms");
    double m0 = 0, m1 = 0, m2 = 0, m3 = 0, m4 = 0, m5 = 0, m6 = 0, m7 = 0, m8 = 0, m9 = 0, vm = 0;
#pragma omp simd reduction(+ : m0, m1, m2, m3, m4, m5, m6, m7, m8, m9) reduction(max : vm)
    for (int64_t k = lo; k < hi; k++) {
        /* a weight of 0 (v = -inf) contributes nothing; NaN or +inf poisons the sums */
        const int in = v[k] != -INFINITY;
        const double x = in ? v[k] : 0.0;
        double t = in ? fabs(e[k]) : 0.0;
        m0 += t;
        t *= x;
        m1 += t;
        t *= x;
        m2 += t;
        t *= x;
        m3 += t;
        t *= x;
        m4 += t;
        t *= x;
        m5 += t;
        t *= x;
        m6 += t;
        t *= x;
        m7 += t;
        t *= x;
        m8 += t;
        t *= x;
        m9 += t;
        vm = vm > fabs(x) ? vm : fabs(x);
    }
    const double m[SM_SLEEP_TERMS] = {m0, m1, m2, m3, m4, m5, m6, m7, m8, m9};
    memcpy(mom, m, sizeof m);
    *vmax = vm;
}

/* The moments and the bounds on |v| from the kept v and exp(c0 v). */
static void sum_moments(sm_sleep *s, const sm_net *net)
{
    memset(s->lz_mom, 0, sizeof s->lz_mom);
    s->lz_vmax[0] = s->lz_vmax[1] = 0;
    if (all_plastic(s, 0) && all_plastic(s, 1)) {
        block_moments(s->lz_v, s->lz_e, 0, net->exc_end, s->lz_mom[0], &s->lz_vmax[0]);
        block_moments(s->lz_v, s->lz_e, net->exc_end, net->n_syn, s->lz_mom[1], &s->lz_vmax[1]);
        return;
    }
    for (int64_t k = 0; k < net->n_syn; k++) {
        if (!s->plastic[net->pathway[k]]) continue;
        const int b = block_of_syn(net, k);
        const double v = s->lz_v[k];
        moments_add(s->lz_mom[b], v, s->lz_e[k]);
        if (isfinite(v) && fabs(v) > s->lz_vmax[b]) s->lz_vmax[b] = fabs(v);
    }
}

/* exp(c v) with the sign of synapse k's weight, which its kept e carries (see
 * sm_sleep_lazy_begin). */
static inline double signed_exp(double e_kept, double cv)
{
    const double m = exp(cv);
    return e_kept < 0 ? -m : m;
}

/* Moves the centre c0 to the current c (an O(n_syn) pass): exp(c0 v) follows from the
 * kept one times exp((c - c0) v), by the polynomial (vectorized; lanes outside its
 * interval, a step's growth past 1/8 or a weight of 0, through the library). */
static void recentre(sm_sleep *s, const sm_net *net)
{
    const double delta = s->lz_c - s->lz_c0;
    s->lz_c0 = s->lz_c;
    const double *restrict v = s->lz_v;
    double *restrict e = s->lz_e;
    const int64_t n = net->n_syn;
    int64_t far = 0;
#pragma omp simd reduction(| : far)
    for (int64_t k = 0; k < n; k++) {
        const double x = delta * v[k];
        const int64_t near = fabs(x) <= LAZY_X_MAX;
        far |= !near;
        e[k] *= exp_small(near ? x : 0.0);
    }
    for (int64_t k = 0; far && k < n; k++)
        if (!(fabs(delta * v[k]) <= LAZY_X_MAX)) e[k] = signed_exp(e[k], s->lz_c0 * v[k]);
    sum_moments(s, net);
}

/* The current weight of plastic synapse k: w_t exp(c v) = w_t exp(c0 v) exp((c - c0) v).
 * Outside the polynomial's interval (a weight of 0, whose v is -inf, or a caller that
 * stored without stepping) the library's exp gives the same value to an ulp. */
static inline float lazy_weight(const sm_sleep *s, const sm_net *net, int64_t k)
{
    const double t = s->target[block_of_syn(net, k)], v = s->lz_v[k];
    const double x = (s->lz_c - s->lz_c0) * v;
    if (fabs(x) <= LAZY_X_MAX) return (float)(t * (s->lz_e[k] * exp_small(x)));
    return (float)(t * signed_exp(s->lz_e[k], s->lz_c * v));
}

/* 1/k: the Taylor coefficients by multiplication (a division is a long latency). */
static const double INV_INT[SM_SLEEP_TERMS + 1] = {
    0, 1, 1.0 / 2, 1.0 / 3, 1.0 / 4, 1.0 / 5, 1.0 / 6, 1.0 / 7, 1.0 / 8, 1.0 / 9, 1.0 / 10};
_Static_assert(SM_SLEEP_TERMS == 10, "INV_INT lists 1/k for k <= SM_SLEEP_TERMS");

static void lazy_sums(const sm_sleep *s, double sums[2])
{
    const double d = s->lz_c - s->lz_c0;
    for (int b = 0; b < 2; b++) {
        /* sum_m d^m / m! T_m, Horner from the highest term */
        double acc = 0;
        for (int m = SM_SLEEP_TERMS - 1; m >= 0; m--)
            acc = s->lz_mom[b][m] + acc * (d * INV_INT[m + 1]);
        sums[b] = fabs((double)s->target[b]) * acc;
    }
}

sm_status sm_sleep_lazy_begin(sm_sleep *s, const sm_net *net, double sums[2], sm_error *err)
{
    const size_t n = (size_t)(net->n_syn ? net->n_syn : 1);
    /* zeroed although every entry is set below: the analyzer cannot tell */
    if (!s->lz_v) s->lz_v = calloc(n, sizeof *s->lz_v);
    if (!s->lz_e) s->lz_e = calloc(n, sizeof *s->lz_e);
    if (!s->lz_v || !s->lz_e) return sm_error_set(err, SM_ENOMEM, "sleep: out of memory");
    s->lz_c = s->lz_c0 = 1.0;
    /* A plastic weight w is kept as v = ln(|w| / |w_t|) and e = sign(w / w_t) exp(c0 v),
     * so that w = w_t e exp((c - c0) v) and |w| = |w_t| |e| exp((c - c0) v). A weight of
     * the wrong sign for its block (an excitatory synapse holding a negative weight, an
     * inhibitory one a positive weight) keeps its sign and has its magnitude contracted
     * toward |w_t|, as the eager step (sm_sleep_powerlaw_step) does: the spec's map
     * (sleep-stdp.md 5a) is "|w| <- w_t (|w| / w_t)^lambda, keeping its sign", a map of
     * the magnitude only, and the block sums it stops on are sums of |w|. Taking the log
     * of the signed ratio instead (as this did before) gave NaN for such a weight. */
    for (int64_t k = 0; k < net->n_syn; k++) {
        if (!s->plastic[net->pathway[k]]) {
            s->lz_v[k] = 0.0;
            s->lz_e[k] = 1.0;
            continue;
        }
        const double r = (double)net->w[k] / (double)s->target[block_of_syn(net, k)];
        s->lz_v[k] = log(fabs(r));
        s->lz_e[k] = r < 0 ? -exp(s->lz_v[k]) : exp(s->lz_v[k]);
    }
    sum_moments(s, net);
    lazy_sums(s, sums);
    s->lz_active = 1;
    return SM_OK;
}

float sm_sleep_lazy_fetch(const sm_sleep *s, sm_net *net, int64_t syn)
{
    if (!s->plastic[net->pathway[syn]]) return net->w[syn];
    const float w = lazy_weight(s, net, syn);
    net->w[syn] = w;
    return w;
}

void sm_sleep_lazy_fetch_range(const sm_sleep *s, sm_net *net, int64_t lo, int64_t hi)
{
    if (lo >= hi) return;
    if (!all_plastic(s, 0) || !all_plastic(s, 1)) {
        for (int64_t k = lo; k < hi; k++)
            sm_sleep_lazy_fetch(s, net, k);
        return;
    }
    /* lazy_weight with the polynomial for every lane, then the rare lanes outside its
     * interval (their polynomial value is meaningless) again through the library. */
    const double t = s->target[block_of_syn(net, lo)], d = s->lz_c - s->lz_c0;
    const double *restrict v = s->lz_v, *restrict e = s->lz_e;
    float *restrict w = net->w;
    int far = 0;
#pragma omp simd reduction(| : far)
    for (int64_t k = lo; k < hi; k++) {
        const double x = d * v[k];
        const int near = fabs(x) <= LAZY_X_MAX;
        far |= !near;
        w[k] = (float)(t * (e[k] * exp_small(x)));
    }
    for (int64_t k = lo; far && k < hi; k++)
        if (!(fabs(d * v[k]) <= LAZY_X_MAX)) w[k] = lazy_weight(s, net, k);
}

void sm_sleep_lazy_fetch_list(const sm_sleep *s, sm_net *net, const uint32_t *idx, int64_t n,
                              float *out)
{
    if (n <= 0) return;
    if (!all_plastic(s, 0) || !all_plastic(s, 1)) {
        for (int64_t i = 0; i < n; i++)
            out[i] = sm_sleep_lazy_fetch(s, net, idx[i]);
        return;
    }
    const double d = s->lz_c - s->lz_c0, t0 = s->target[0], t1 = s->target[1];
    const double *restrict v = s->lz_v, *restrict e = s->lz_e;
    const int64_t exc_end = net->exc_end;
    int far = 0;
    /* Computed in vectors (gathers), stored one by one: Zen 4's scatters are slower. */
#pragma omp simd reduction(| : far)
    for (int64_t i = 0; i < n; i++) {
        const uint32_t k = idx[i];
        const double x = d * v[k], t = k >= exc_end ? t1 : t0;
        far |= !(fabs(x) <= LAZY_X_MAX);
        out[i] = (float)(t * (e[k] * exp_small(x)));
    }
    for (int64_t i = 0; far && i < n; i++)
        if (!(fabs(d * v[idx[i]]) <= LAZY_X_MAX)) out[i] = lazy_weight(s, net, idx[i]);
    for (int64_t i = 0; i < n; i++)
        net->w[idx[i]] = out[i];
}

/* Stores of one chunk: the new v and exp(c0 v) of each synapse, computed together. */
#define STORE_CHUNK 32

/* v = ln(|w| / w_t) / c and e = exp(c0 v) = r exp(-(c - c0) v) for the synapses syn[0..n)
 * (n <= STORE_CHUNK), vectorized over the whole chunk (lanes past n compute on 1 and are
 * not used): the logarithm is gauss_log's fdlibm algorithm (within an ulp), exp(-(c - c0)
 * v) the polynomial. Ratios that are not positive normal numbers (a weight of 0) and
 * products outside the polynomial's interval go through the library. */
static void store_values(const sm_sleep *s, const sm_net *net, const int64_t *restrict syn, int n,
                         double *restrict v, double *restrict e)
{
    const double c = s->lz_c, d = s->lz_c - s->lz_c0;
    const double t0 = s->target[0], t1 = s->target[1];
    const float *restrict w = net->w;
    const int64_t exc_end = net->exc_end;
    double r[STORE_CHUNK], x[STORE_CHUNK];
    int far = 0;
    for (int i = 0; i < STORE_CHUNK; i++) {
        r[i] = i < n ? (double)w[syn[i]] / (syn[i] >= exc_end ? t1 : t0) : 1.0;
        const double a = fabs(r[i]); /* a weight of the wrong sign: see sm_sleep_lazy_begin */
        const int normal = a >= DBL_MIN && a <= DBL_MAX;
        far |= !normal;
        x[i] = normal ? a : 1.0;
    }
    /* e = r exp(-x) keeps the sign of r. The loops below have the shape of the noise's (fixed
     * length, doubles only), which GCC vectorizes. */
#pragma omp simd
    for (int i = 0; i < STORE_CHUNK; i++)
        v[i] = gauss_log(x[i]) / c;
#pragma omp simd
    for (int i = 0; i < STORE_CHUNK; i++)
        x[i] = d * v[i];
#pragma omp simd
    for (int i = 0; i < STORE_CHUNK; i++)
        e[i] = r[i] * exp_small(fabs(x[i]) <= LAZY_X_MAX ? -x[i] : 0.0);
    for (int i = 0; i < n; i++)
        far |= !(fabs(x[i]) <= LAZY_X_MAX);
    for (int i = 0; far && i < n; i++) {
        if (!(fabs(r[i]) >= DBL_MIN && fabs(r[i]) <= DBL_MAX)) v[i] = log(fabs(r[i])) / c;
        if (!(fabs(d * v[i]) <= LAZY_X_MAX)) e[i] = signed_exp(r[i], s->lz_c0 * v[i]);
    }
}

/* Moves synapse k's moments from its stored (v, e) to the new ones, and keeps them. */
static void store_one(sm_sleep *s, const sm_net *net, int64_t k, double v, double e)
{
    const int b = block_of_syn(net, k);
    const double v_old = s->lz_v[k];
    double t_old = -fabs(s->lz_e[k]), t_new = fabs(e);
    /* as moments_add: only a weight of 0 stays out */
    const int old_in = v_old != -INFINITY, new_in = v != -INFINITY;
    for (int m = 0; m < SM_SLEEP_TERMS; m++) {
        if (old_in) s->lz_mom[b][m] += t_old;
        if (new_in) s->lz_mom[b][m] += t_new;
        t_old *= v_old;
        t_new *= v;
    }
    s->lz_v[k] = v;
    s->lz_e[k] = e;
    if (new_in && fabs(v) > s->lz_vmax[b]) s->lz_vmax[b] = fabs(v);
}

void sm_sleep_lazy_store_list(sm_sleep *s, const sm_net *net, const int64_t *syn, int64_t n)
{
    int64_t plastic[STORE_CHUNK];
    double v[STORE_CHUNK], e[STORE_CHUNK];
    for (int64_t i = 0; i < n;) {
        int m = 0;
        for (; i < n && m < STORE_CHUNK; i++)
            if (s->plastic[net->pathway[syn[i]]]) plastic[m++] = syn[i];
        store_values(s, net, plastic, m, v, e);
        /* In order: a synapse listed twice moves from its first new value to the second. */
        for (int j = 0; j < m; j++)
            store_one(s, net, plastic[j], v[j], e[j]);
    }
}

void sm_sleep_lazy_store(sm_sleep *s, const sm_net *net, int64_t syn)
{
    sm_sleep_lazy_store_list(s, net, &syn, 1);
}

void sm_sleep_lazy_step(sm_sleep *s, const sm_net *net, double sums[2])
{
    s->lz_c *= s->lambda;
    const double d = fabs(s->lz_c - s->lz_c0);
    if (d * s->lz_vmax[0] > 0.125 || d * s->lz_vmax[1] > 0.125) recentre(s, net);
    lazy_sums(s, sums);
}

void sm_sleep_lazy_sync(const sm_sleep *s, sm_net *net)
{
    sm_sleep_lazy_fetch_range(s, net, 0, net->exc_end);
    sm_sleep_lazy_fetch_range(s, net, net->exc_end, net->n_syn);
}

int sm_sleep_lazy_active(const sm_sleep *s)
{
    return s && s->lz_active;
}

void sm_sleep_lazy_end(sm_sleep *s, sm_net *net)
{
    if (!s->lz_active) return;
    sm_sleep_lazy_sync(s, net);
    s->lz_active = 0;
}
