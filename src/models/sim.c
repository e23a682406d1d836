/* The membrane noise's log and sin/cos loops (gauss_simd.h) vectorize only without
 * errno semantics for the math functions, which nothing here relies on. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-math-errno")
#endif
#include "somnus/models/sim.h"
#include "somnus/core/threads.h"
#include "somnus/network/net_guard.h"

#include <math.h>
#include <omp.h>
#if defined(__AVX512F__) || defined(__AVX512BW__)
#include <immintrin.h>
#endif
#include <stdlib.h>
#include <string.h>

#include "core/gauss_simd.h"
#include "core/philox_simd.h"
#include "somnus/core/rng.h"

/* Zeroed, 64-byte aligned (a cache line, one AVX-512 vector): the LIF loop then runs on
 * whole aligned vectors. Freed with free(). */
static void *alloc_zero(size_t n, size_t size)
{
    size_t bytes = (n ? n : 1) * size;
    bytes = (bytes + 63) / 64 * 64;
    void *p = aligned_alloc(64, bytes);
    if (p) memset(p, 0, bytes);
    return p;
}

void sm_sim_destroy(sm_sim *sim)
{
    if (!sim) return;
    sm_net_destroy(sim->net);
    sm_rule_destroy(sim->rule);
    sm_sleep_destroy(sim->sleep);
    sm_monitor_destroy(sim->mon);
    sm_ip_destroy(sim->ip);
    sm_rewire_destroy(sim->rw);
    free(sim->v);
    free(sim->i_syn);
    free(sim->a);
    free(sim->theta);
    free(sim->drive);
    free(sim->noise);
    free(sim->post_spiked);
    free(sim->flag);
    free(sim->age);
    free(sim->ids);
    free(sim->touch_syn);
    free(sim->touch_w);
    free(sim);
}

/* Neuron state arrays are padded to a multiple of 16 floats (zeros) so the LIF loop runs
 * whole vectors with no scalar tail (sm_lif_step_pops); the padding never spikes. */
static size_t padded_post(const sm_net *net)
{
    return ((size_t)net->n_post + 15) / 16 * 16;
}

static sm_status alloc_state(sm_sim *sim, sm_error *err)
{
    const size_t np = padded_post(sim->net), nt = (size_t)sim->net->n_total;
    sim->v = alloc_zero(np, sizeof(float));
    sim->i_syn = alloc_zero(np, sizeof(float));
    sim->a = alloc_zero(np, sizeof(float));
    sim->theta = alloc_zero(np, sizeof(float));
    sim->drive = alloc_zero(np, sizeof(float));
    sim->noise = alloc_zero(np + 4, sizeof(float));
    sim->post_spiked = alloc_zero(np, 1); /* padded: scanned 64 bytes at a time */
    sim->flag = alloc_zero(nt, 1);
    sim->age = alloc_zero(nt, sizeof(int32_t));
    sim->ids = alloc_zero(nt, sizeof(int32_t));
    if (!sim->v || !sim->i_syn || !sim->a || !sim->theta || !sim->drive || !sim->noise ||
        !sim->post_spiked || !sim->flag || !sim->age || !sim->ids)
        return sm_error_set(err, SM_ENOMEM, "simulation: out of memory for neuron state");
    return SM_OK;
}

sm_sim *sm_sim_create(const sm_config *cfg, sm_error *err)
{
    if (sm_config_validate(cfg, err) != SM_OK) return NULL;
    sm_sim *sim = calloc(1, sizeof *sim);
    if (!sim) {
        sm_error_set(err, SM_ENOMEM, "simulation: out of memory");
        return NULL;
    }
    sim->cfg = *cfg;
    sim->threads = sm_threads(cfg->run.threads);
    sim->net = sm_net_create(cfg, err);
    if (!sim->net) goto fail;
    if (alloc_state(sim, err) != SM_OK) goto fail;
    sim->rule = sm_rule_create(cfg, sim->net, err);
    if (!sim->rule && cfg->stdp.rule != SM_STDP_NONE) goto fail;
    sim->sleep = sm_sleep_create(cfg, sim->net, err);
    if (!sim->sleep) goto fail;
    sim->mon = sm_monitor_create(cfg, sim->net, err);
    if (!sim->mon) goto fail;
    if (sm_ip_create(cfg, sim->net->n_exc, sim->net->n_inh, &sim->ip, err) != SM_OK) goto fail;
    sm_monitor_attach_ip(sim->mon, sim->ip);
    sim->rw = sm_rewire_create(cfg, sim->net, err);
    if (!sim->rw && cfg->structural.mode != SM_STRUCT_NONE) goto fail;
    const sm_net *net = sim->net;
    for (int p = 0; p < 2; p++)
        sim->coef[p] = sm_lif_coeffs_make(&cfg->lif[p], cfg->run.dt);
    sm_lif_init(&cfg->lif[0], net->n_exc, sim->v, sim->i_syn, sim->a, sim->theta);
    sm_lif_init(&cfg->lif[1], net->n_inh, sim->v + net->n_exc, sim->i_syn + net->n_exc,
                sim->a + net->n_exc, sim->theta + net->n_exc);
    for (int g = 0; g < net->n_total; g++)
        sim->age[g] = SM_AGE_MAX;
    sm_sleep_record_baseline(sim->sleep, net);
    sim->next_record = cfg->monitor.interval;
    return sim;
fail:
    sm_sim_destroy(sim);
    return NULL;
}

void sm_sim_set_input(sm_sim *sim, sm_input_fn fn, void *ctx)
{
    sim->input = fn;
    sim->input_ctx = ctx;
}

void sm_sim_set_spike_sink(sm_sim *sim, sm_spike_fn fn, void *ctx)
{
    sim->on_spikes = fn;
    sim->spikes_ctx = ctx;
}

void sm_sim_record_baseline(sm_sim *sim)
{
    sm_sleep_record_baseline(sim->sleep, sim->net);
}

int64_t sm_sim_sleep_window(const sm_config *cfg)
{
    if (cfg->sleep.rate <= 0) return 0;
    double len = floor((double)cfg->sleep.period * cfg->sleep.rate + 0.5);
    int64_t s = len < 1 ? 1 : (int64_t)len;
    if (cfg->sleep.schedule == SM_SCHED_PERIOD && s > cfg->sleep.max_steps)
        s = cfg->sleep.max_steps;
    return s;
}

/* x <- sqrt(x) over a batch, correctly rounded as libm's sqrtf. With errno semantics GCC
 * keeps a scalar call per value, hence the vector instruction where there is one (IEEE
 * sqrt: the same result). */
static void sqrt_batch(float x[PHILOX_BATCH])
{
#if defined(__AVX512F__)
    for (int b = 0; b < PHILOX_BATCH; b += 16)
        _mm512_storeu_ps(x + b, _mm512_sqrt_ps(_mm512_loadu_ps(x + b)));
#else
    for (int b = 0; b < PHILOX_BATCH; b++)
        x[b] = sqrtf(x[b]);
#endif
}

/* Gaussian membrane noise, sd sigma, keyed by (step, neuron): one Philox block feeds
 * four neighbouring neurons (Box-Muller on words 0-1 and 2-3), so the value does not
 * depend on how neurons are split among threads. Blocks are drawn PHILOX_BATCH at a time
 * and the Box-Muller formula runs on arrays, in float (gauss_simd.h). */
static void noise_batch(sm_sim *sim, int t)
{
    const int blocks = (sim->net->n_post + 3) / 4;
    const uint64_t seed = (uint64_t)sim->cfg.run.seed, step = sim->count.steps;
    const float sigma = (float)sim->cfg.noise.sigma;
    float *noise = sim->noise;
    const int first = t * PHILOX_BATCH;
    const int nb = blocks - first < PHILOX_BATCH ? blocks - first : PHILOX_BATCH;
    uint32_t words[4][PHILOX_BATCH];
    float radius[PHILOX_BATCH], z[4][PHILOX_BATCH];
    philox_batch(seed, SM_STREAM_NOISE, step, (uint32_t)first, PHILOX_BATCH, words);
    for (int p = 0; p < 2; p++) {
#pragma omp simd
        for (int b = 0; b < PHILOX_BATCH; b++)
            radius[b] = gauss_m2ln_f(words[(size_t)2 * p][b]);
        sqrt_batch(radius);
#pragma omp simd
        for (int b = 0; b < PHILOX_BATCH; b++) {
            float sn, cs;
            gauss_sincos_f(words[(size_t)2 * p + 1][b], &sn, &cs);
            z[(size_t)2 * p][b] = sigma * (radius[b] * cs);
            z[(size_t)2 * p + 1][b] = sigma * (radius[b] * sn);
        }
    }
    for (int b = 0; b < nb; b++)
        for (int k = 0; k < 4; k++)
            noise[4 * (first + b) + k] = z[k][b];
}

/* Serial loops do not enter an OpenMP construct at all: even with if(0), libgomp makes a
 * futex call per region once its thread pool exists (one system call per step). */
static void draw_noise(sm_sim *sim, int parallel)
{
    const int blocks = (sim->net->n_post + 3) / 4;
    const int batches = (blocks + PHILOX_BATCH - 1) / PHILOX_BATCH;
    if (!parallel) {
        for (int t = 0; t < batches; t++)
            noise_batch(sim, t);
        return;
    }
#pragma omp parallel for num_threads(sim->threads) schedule(static)
    for (int t = 0; t < batches; t++)
        noise_batch(sim, t);
}

static int noise_on(const sm_sim *sim, int phase)
{
    const int on[3] = {sim->cfg.noise.wake, sim->cfg.noise.sleep, sim->cfg.noise.test};
    return on[phase] && sim->cfg.noise.sigma > 0;
}

#define LIF_CHUNK 1024

static void lif_chunk(sm_sim *sim, int c, const float *noise)
{
    const sm_net *net = sim->net;
    const int ne = net->n_exc, np = net->n_post, pad = (int)padded_post(net);
    const int lo = c * LIF_CHUNK, hi = lo + LIF_CHUNK < np ? lo + LIF_CHUNK : np;
    const int hi_pad = lo + LIF_CHUNK < pad ? lo + LIF_CHUNK : pad;
    /* A chunk may straddle the E/I boundary: coefficients are chosen per neuron. */
    const int first = ne - lo < 0 ? 0 : (ne - lo > hi - lo ? hi - lo : ne - lo);
    if (sim->ip) /* intrinsic plasticity: per-neuron offset h and gain g */
        sm_lif_step_pops_ip(sim->coef, first, hi - lo, hi_pad - lo, sim->v + lo, sim->i_syn + lo,
                            sim->a + lo, sim->theta + lo, sim->drive + lo,
                            noise ? noise + lo : NULL, sim->ip->h + lo, sim->ip->g + lo,
                            sim->post_spiked + lo);
    else
        sm_lif_step_pops(sim->coef, first, hi - lo, hi_pad - lo, sim->v + lo, sim->i_syn + lo,
                         sim->a + lo, sim->theta + lo, sim->drive + lo, noise ? noise + lo : NULL,
                         sim->post_spiked + lo);
}

/* Step 1: LIF update of E and I; E/I spikes appended to sim->ids after the S spikes. */
static void update_neurons(sm_sim *sim, int phase)
{
    const sm_net *net = sim->net;
    const int parallel = net->n_post >= sim->cfg.run.parallel_min && sim->threads > 1;
    const float *noise = NULL;
    if (noise_on(sim, phase)) {
        draw_noise(sim, parallel);
        noise = sim->noise;
    }
    const int np = net->n_post, chunks = (np + LIF_CHUNK - 1) / LIF_CHUNK;
    if (!parallel) {
        for (int c = 0; c < chunks; c++)
            lif_chunk(sim, c, noise);
        return;
    }
#pragma omp parallel for num_threads(sim->threads) schedule(static)
    for (int c = 0; c < chunks; c++)
        lif_chunk(sim, c, noise);
}

/* The input function's answer must be what sm_input_fn promises (n in [0, n_in], indices
 * ascending inside 0..n_in-1): anything else would write outside the flag and age
 * arrays. */
static sm_status check_input(const sm_sim *sim, int n, uint64_t input_step, sm_error *err)
{
    const int n_in = sim->net->n_in;
    if (n < 0 || n > n_in)
        return sm_error_set(err, SM_EINVAL,
                            "input: the input function returned %d spikes at input step %llu "
                            "(0..%d stimulus neurons)",
                            n, (unsigned long long)input_step, n_in);
    for (int k = 0; k < n; k++)
        if (sim->ids[k] < 0 || sim->ids[k] >= n_in || (k > 0 && sim->ids[k] <= sim->ids[k - 1]))
            return sm_error_set(err, SM_EINVAL,
                                "input: the input function returned neuron %d at position %d of "
                                "input step %llu (indices must ascend inside 0..%d)",
                                (int)sim->ids[k], k, (unsigned long long)input_step, n_in - 1);
    return SM_OK;
}

/* Steps 2-3: gather this step's spikes (S from the input, then E/I) and advance ages. */
static sm_status collect_spikes(sm_sim *sim, int phase, sm_error *err)
{
    const sm_net *net = sim->net;
    int n = 0;
    /* The input clock counts only steps with input (wake and test): sleep is a hard
     * pause for a replayed spike file as for images. */
    if (phase != SM_PHASE_SLEEP && sim->input) {
        const uint64_t input_step = (uint64_t)(sim->count.wake_steps + sim->count.test_steps);
        n = sim->input(sim->input_ctx, input_step, sim->ids);
        sm_status st = check_input(sim, n, input_step, err);
        if (st != SM_OK) return st;
    }
    const uint8_t *spk = sim->post_spiked;
    const int np = net->n_post, n_in = net->n_in;
#if defined(__AVX512BW__)
    /* post_spiked is 64-byte aligned and its allocation a multiple of 64 bytes (zeros
     * past the neurons): one compare per 64 neurons gives a bit mask, read off with ctz
     * (a branch per 8-byte word mispredicted at every word with a spike). */
    for (int i = 0; i < np; i += 64) {
        const __m512i b = _mm512_load_si512((const void *)(spk + i));
        for (uint64_t m = _mm512_test_epi8_mask(b, b); m; m &= m - 1)
            sim->ids[n++] = n_in + i + __builtin_ctzll(m);
    }
#else
    /* post_spiked is padded to a multiple of 8 bytes (zeros), so it is scanned a word at a
     * time: most words are zero at the rates of interest. */
    for (int i = 0; i < np; i += 8) {
        uint64_t word;
        memcpy(&word, spk + i, sizeof word);
        if (!word) continue;
        for (int j = i; j < i + 8; j++) {
            sim->ids[n] = n_in + j;
            n += spk[j];
        }
    }
#endif
    sim->n_ids = n;
    int32_t *restrict age = sim->age;
    const int nt = net->n_total;
#pragma omp simd
    for (int g = 0; g < nt; g++)
        age[g] = age[g] < SM_AGE_MAX ? age[g] + 1 : SM_AGE_MAX;
    uint8_t *restrict flag = sim->flag;
    const int32_t *restrict ids = sim->ids;
    for (int k = 0; k < n; k++) {
        flag[ids[k]] = 1;
        age[ids[k]] = 0;
    }
    return SM_OK;
}

/* Step 6: each spike adds its outgoing weights to the targets' drive for the next step. */
/* Synapses a step must deliver (propagation) or update (plasticity) before it uses more
 * than one thread; run.parallel_min = 0 lowers both to 0 (tests use it). */
#define PROPAGATE_PARALLEL_MIN 65536
#define PLASTICITY_PARALLEL_MIN 32768

static int64_t work_min(const sm_sim *sim, int64_t dflt)
{
    return sim->cfg.run.parallel_min == 0 ? 0 : dflt;
}

/* First synapse of row [lo, hi) with a target >= t (rows are sorted by target). */
static int64_t row_lower_bound(const int32_t *post, int64_t lo, int64_t hi, int32_t t)
{
    while (lo < hi) {
        int64_t m = lo + (hi - lo) / 2;
        if (post[m] < t)
            lo = m + 1;
        else
            hi = m;
    }
    return lo;
}

/* drive[post[s]] += w[s] over [lo, hi): scalar. (A gather/add/scatter version, valid when
 * a row's targets are distinct, measured 15% slower on this CPU for short and long rows.) */
static inline void deliver(float *restrict drive, const int32_t *restrict post,
                           const float *restrict w, int64_t lo, int64_t hi)
{
    for (int64_t s = lo; s < hi; s++)
        drive[post[s]] += w[s];
}

static void propagate(sm_sim *sim)
{
    const sm_net *net = sim->net;
    float *restrict drive = sim->drive;
    const int32_t *restrict post = net->post;
    const float *restrict w = net->w;
    int64_t work = 0;
    if (sim->threads > 1)
        for (int k = 0; k < sim->n_ids; k++)
            work += net->row[sim->ids[k] + 1] - net->row[sim->ids[k]];
    if (sim->threads <= 1 || work < work_min(sim, PROPAGATE_PARALLEL_MIN)) {
        for (int k = 0; k < sim->n_ids; k++) {
            int g = sim->ids[k];
            deliver(drive, post, w, net->row[g], net->row[g + 1]);
        }
        return;
    }
    /* Each thread owns a range of targets and walks every spike's row over that range:
     * every target receives its inputs in the same order as serially (bit-identical). */
    const int parts = sim->threads;
#pragma omp parallel for num_threads(parts) schedule(static, 1)
    for (int t = 0; t < parts; t++) {
        const int32_t t_lo = (int32_t)((int64_t)net->n_post * t / parts);
        const int32_t t_hi = (int32_t)((int64_t)net->n_post * (t + 1) / parts);
        for (int k = 0; k < sim->n_ids; k++) {
            const int g = sim->ids[k];
            const int64_t a = row_lower_bound(post, net->row[g], net->row[g + 1], t_lo);
            const int64_t b = row_lower_bound(post, a, net->row[g + 1], t_hi);
            deliver(drive, post, w, a, b);
        }
    }
}

/* Locals, not sim->: a byte store may alias the struct's fields, which the compiler would
 * then reload after every store. */
static void clear_flags(sm_sim *sim)
{
    uint8_t *restrict flag = sim->flag;
    const int32_t *restrict ids = sim->ids;
    const int n = sim->n_ids;
    for (int k = 0; k < n; k++)
        flag[ids[k]] = 0;
}

/* `decay` value of a lazy power-law sleep step (sm_sleep_lazy_*). */
#define DECAY_LAZY (-1)

/* Lazy sleep: brings the rows (and, for E/I spikers, the columns) of this step's spikes
 * up to date in net->w, recording what was read when `record` is set. Returns 0 when out
 * of memory. */
static int fetch_touched(sm_sim *sim, int record)
{
    const sm_net *net = sim->net;
    int64_t need = 0;
    for (int k = 0; k < sim->n_ids; k++) {
        const int g = sim->ids[k];
        need += net->row[g + 1] - net->row[g];
        if (g >= net->n_in) need += net->in_row[g - net->n_in + 1] - net->in_row[g - net->n_in];
    }
    if (record && need > sim->touch_cap) {
        int64_t cap = need > 2 * sim->touch_cap ? need : 2 * sim->touch_cap;
        if (cap < 256) cap = 256;
        int64_t *ts = realloc(sim->touch_syn, (size_t)cap * sizeof *ts);
        if (ts) sim->touch_syn = ts;
        float *tw = realloc(sim->touch_w, (size_t)cap * sizeof *tw);
        if (tw) sim->touch_w = tw;
        if (!ts || !tw) return 0;
        sim->touch_cap = cap;
    }
    int64_t n = 0;
    for (int k = 0; k < sim->n_ids; k++) {
        const int g = sim->ids[k];
        sm_sleep_lazy_fetch_range(sim->sleep, sim->net, net->row[g], net->row[g + 1]);
        if (!record) continue;
        for (int64_t s = net->row[g]; s < net->row[g + 1]; s++) {
            sim->touch_syn[n] = s;
            sim->touch_w[n++] = net->w[s];
        }
        if (g < net->n_in) continue;
        const int i = g - net->n_in;
        const int64_t lo = net->in_row[i], len = net->in_row[i + 1] - lo;
        sm_sleep_lazy_fetch_list(sim->sleep, sim->net, net->in_syn + lo, len, sim->touch_w + n);
        for (int64_t k2 = 0; k2 < len; k2++)
            sim->touch_syn[n + k2] = net->in_syn[lo + k2];
        n += len;
    }
    if (record) sim->touch_n = n;
    return 1;
}

/* One step of the given phase. `sums` receives the block sums after a power-law decay
 * (only when decay is set). */
static sm_status step(sm_sim *sim, int phase, int decay, double sums[2], sm_error *err)
{
    update_neurons(sim, phase);
    /* Intrinsic plasticity: wake steps (and sleep steps with ip.sleep = on), never the
     * test phase, so evaluations see h and g frozen. */
    if (sim->ip && (phase == SM_PHASE_WAKE || (phase == SM_PHASE_SLEEP && sim->ip->sleep_on)))
        sm_ip_step(sim->ip, sim->i_syn, sim->post_spiked);
    sm_status st = collect_spikes(sim, phase, err);
    if (st != SM_OK) return st;
    /* Structural scores: traces advance in wake and sleep, scores accumulate in wake (and
     * sleep with struct.score_sleep); the test phase leaves them alone. */
    if (sim->rw && phase != SM_PHASE_TEST)
        sm_rewire_observe(sim->rw, sim->ids, sim->n_ids,
                          phase == SM_PHASE_WAKE || sim->rw->score_sleep);
    const int lazy = decay == DECAY_LAZY;
    if (lazy && !fetch_touched(sim, sim->rule != NULL))
        return sm_error_set(err, SM_ENOMEM, "sleep: out of memory");
    int delivered = 0;
    if (phase != SM_PHASE_TEST && sim->rule) {
        sm_step_spikes sp = {sim->count.steps, sim->ids, sim->n_ids, sim->flag, sim->age};
        sim->rule->threads = 1;
        sim->rule->may_defer = phase == SM_PHASE_WAKE;
        sim->rule->max_threads = sim->threads;
        if (sim->threads > 1) {
            const sm_net *net = sim->net;
            int64_t work = 0;
            for (int k = 0; k < sim->n_ids; k++) {
                const int g = sim->ids[k];
                work += net->row[g + 1] - net->row[g];
                if (g >= net->n_in)
                    work += net->in_row[g - net->n_in + 1] - net->in_row[g - net->n_in];
            }
            if (work >= work_min(sim, PLASTICITY_PARALLEL_MIN)) sim->rule->threads = sim->threads;
        }
        /* A wake step has nothing between the rule and the propagation: a serial step
         * lets the rule deliver while it walks the rows. */
        if (!decay && sim->rule->threads == 1 && sm_rule_can_deliver(sim->rule)) {
            sm_rule_apply_deliver(sim->rule, sim->net, &sp, sim->drive);
            delivered = 1;
        } else
            sm_rule_apply(sim->rule, sim->net, &sp);
    }
    if (lazy) {
        /* The weights the rule changed restart from their new values; then one decay step
         * for all, and the spikers' rows are brought up to date for the propagation. */
        int64_t changed = 0;
        for (int64_t t = 0; sim->rule && t < sim->touch_n; t++) {
            const int64_t syn = sim->touch_syn[t]; /* branch-free: changes are random */
            sim->touch_syn[changed] = syn;
            changed += sim->net->w[syn] != sim->touch_w[t];
        }
        sm_sleep_lazy_store_list(sim->sleep, sim->net, sim->touch_syn, changed);
        sm_sleep_lazy_step(sim->sleep, sim->net, sums);
        fetch_touched(sim, 0);
    } else if (decay == SM_SLEEP_POWERLAW)
        sm_sleep_powerlaw_step(sim->sleep, sim->net, sums);
    else if (decay)
        sm_sleep_mode_step(sim->sleep, sim->net);
    if (!delivered) propagate(sim);
    sm_monitor_step(sim->mon, sim->ids, sim->n_ids, phase);
    if (sim->on_spikes) {
        int first_post = 0;
        while (first_post < sim->n_ids && sim->ids[first_post] < sim->net->n_in)
            first_post++;
        sim->on_spikes(sim->spikes_ctx, sim->count.steps, sim->ids + first_post,
                       sim->n_ids - first_post);
    }
    clear_flags(sim);
    sim->count.steps++;
    if (--sim->next_record == 0) {
        sim->next_record = sim->cfg.monitor.interval;
        sm_sim_sync_weights(sim);
        return sm_monitor_record(sim->mon, sim->net, sim->count.steps, sim->count.wake_steps, phase,
                                 err);
    }
    return SM_OK;
}

/* The lazy episode needs to know which synapses a step reads: true for a rule that
 * touches only the spikers' rows and columns (pair STDP) and for no rule. */
static int lazy_sleep_ok(const sm_sim *sim)
{
    return sm_sleep_lazy_ok(sim->sleep) && (!sim->rule || sim->rule->ops->spiker_local);
}

/* SM_OK if both block sums are finite. Otherwise a weight is NaN or infinite: the
 * episode stops with the numerical guard's message naming it (sm_net_check_weights, as
 * sm_sim_check_finite words it), or, if every weight is finite (a sum that overflowed),
 * a message naming the block. */
static sm_status sleep_sums_finite(sm_sim *sim, const double sums[2], sm_error *err)
{
    if (isfinite(sums[0]) && isfinite(sums[1])) return SM_OK;
    sm_sim_sync_weights(sim); /* the guard reads net->w: bring it up to date */
    sm_status st = sm_net_check_weights(sim->net, &sim->cfg, sim->count.steps, err);
    if (st != SM_OK) return st;
    const int b = isfinite(sums[0]) ? 1 : 0;
    return sm_error_set(err, SM_ENUMERIC,
                        "step %llu: sleep: the sum of |w| over the %s block is %g (baseline %g)",
                        (unsigned long long)sim->count.steps, b ? "inhibitory" : "excitatory",
                        sums[b], sim->sleep->w0_block[b]);
}

static sm_status sleep_powerlaw(sm_sim *sim, int64_t max_steps, int64_t *slept, sm_error *err)
{
    double sums[2], lazy_sums[2];
    sm_sleep_block_sums(sim->sleep, sim->net, sums);
    int64_t k = 0;
    /* A NaN must stop the run, not read as "not yet at the baseline" (nor as "at it"). */
    sm_status st = max_steps > 0 ? sleep_sums_finite(sim, sums, err) : SM_OK;
    if (st != SM_OK) return st;
    /* The stop test comes first, so an episode that starts at the baseline is empty. */
    const int lazy = max_steps > 0 && !sm_sleep_converged(sim->sleep, sums) && lazy_sleep_ok(sim);
    if (lazy) st = sm_sleep_lazy_begin(sim->sleep, sim->net, lazy_sums, err);
    while (st == SM_OK && k < max_steps && !sm_sleep_converged(sim->sleep, sums)) {
        st = step(sim, SM_PHASE_SLEEP, lazy ? DECAY_LAZY : SM_SLEEP_POWERLAW, sums, err);
        k++;
        if (st == SM_OK) st = sleep_sums_finite(sim, sums, err);
    }
    if (lazy) sm_sleep_lazy_end(sim->sleep, sim->net);
    if (st != SM_OK) return st;
    if (sm_sleep_converged(sim->sleep, sums)) sim->count.episodes_converged++;
    *slept = k;
    return SM_OK;
}

static sm_status sleep_mode(sm_sim *sim, int64_t steps, sm_error *err)
{
    sm_status st = sm_sleep_mode_begin(sim->sleep, sim->net, sim->cfg.sleep.mode, steps, err);
    /* `decay` is the mode itself: a literal 1 would be SM_SLEEP_POWERLAW (a power-law
     * step writing its sums through NULL) instead of the mode step. */
    for (int64_t k = 0; k < steps && st == SM_OK; k++)
        st = step(sim, SM_PHASE_SLEEP, sim->cfg.sleep.mode, NULL, err);
    return st;
}

/* 1 if a structural event belongs to sleep episodes at `at` (sleep_start or sleep_end). */
static int struct_at_sleep(const sm_sim *sim, int at)
{
    return sim->rw && sim->cfg.structural.when == SM_STRUCT_AT_SLEEP &&
           sim->cfg.structural.at == at && sim->cfg.sleep.mode != SM_SLEEP_NONE;
}

sm_status sm_sim_sleep(sm_sim *sim, int64_t max_steps, int64_t *slept, sm_error *err)
{
    sm_rule_settle(sim->rule, sim->net);
    int64_t k = 0;
    sm_status st = SM_OK;
    if (struct_at_sleep(sim, SM_STRUCT_SLEEP_START)) st = sm_sim_struct_event(sim, err);
    if (st != SM_OK) return st;
    if (sim->cfg.sleep.mode == SM_SLEEP_POWERLAW)
        st = sleep_powerlaw(sim, max_steps, &k, err);
    else if (sim->cfg.sleep.mode != SM_SLEEP_NONE) {
        st = sleep_mode(sim, max_steps, err);
        k = max_steps;
    }
    sim->count.sleep_steps += k;
    if (sim->cfg.sleep.mode != SM_SLEEP_NONE) sim->count.episodes++; /* none: nothing ran */
    if (slept) *slept = k;
    /* The episode has ended (lazy decay written back, pair updates settled): prune the
     * synapses sleep shrank, regrow from the wake scores. */
    if (st == SM_OK && struct_at_sleep(sim, SM_STRUCT_SLEEP_END))
        st = sm_sim_struct_event(sim, err);
    return st;
}

/* Runs whatever the schedule has due before the next wake step. */
static sm_status run_schedule(sm_sim *sim, sm_error *err)
{
    const sm_config *c = &sim->cfg;
    const int64_t t = sim->count.wake_steps;
    sm_status st = SM_OK;
    if (c->sleep.norm_mode != SM_NORM_NONE && t > 0 && t % c->sleep.norm_frequency == 0) {
        sm_rule_settle(sim->rule, sim->net);
        st = sm_sleep_normalize(sim->sleep, sim->net, c->sleep.norm_mode, err);
        sim->count.normalizations++;
    }
    if (st == SM_OK && sim->rw && c->structural.when == SM_STRUCT_PERIOD && t > 0 &&
        t % c->structural.period == 0)
        st = sm_sim_struct_event(sim, err);
    if (st != SM_OK || c->sleep.mode == SM_SLEEP_NONE) return st;
    if (c->sleep.mode == SM_SLEEP_POWERLAW) {
        int64_t window = sm_sim_sleep_window(c);
        int due = c->sleep.schedule == SM_SCHED_BATCH ? t % c->sleep.period == 0
                                                      : t > 0 && t % c->sleep.period == 0;
        if (window > 0 && due) st = sm_sim_sleep(sim, window, NULL, err);
    } else if (t > 0 && t % c->sleep.frequency == 0) {
        st = sm_sim_sleep(sim, c->sleep.duration, NULL, err);
    }
    return st;
}

/* Wake steps may leave plasticity deferred (pair STDP on large networks); the weights
 * are current again before control returns, for whoever reads them next. */
sm_status sm_sim_wake(sm_sim *sim, int64_t n, sm_error *err)
{
    sm_status st = SM_OK;
    for (int64_t k = 0; k < n && st == SM_OK; k++) {
        st = run_schedule(sim, err);
        if (st == SM_OK) st = step(sim, SM_PHASE_WAKE, 0, NULL, err);
        if (st == SM_OK) sim->count.wake_steps++;
    }
    sm_rule_settle(sim->rule, sim->net);
    return st;
}

sm_status sm_sim_test(sm_sim *sim, int64_t n, sm_error *err)
{
    sm_rule_settle(sim->rule, sim->net);
    for (int64_t k = 0; k < n; k++) {
        sm_status st = step(sim, SM_PHASE_TEST, 0, NULL, err);
        if (st != SM_OK) return st;
        sim->count.test_steps++;
    }
    return SM_OK;
}

sm_status sm_sim_record(sm_sim *sim, sm_error *err)
{
    sim->next_record = sim->cfg.monitor.interval;
    sm_rule_settle(sim->rule, sim->net);
    return sm_monitor_record(sim->mon, sim->net, sim->count.steps, sim->count.wake_steps,
                             SM_PHASE_WAKE, err);
}

void sm_sim_set_rule(sm_sim *sim, sm_rule *rule)
{
    sm_rule_settle(sim->rule, sim->net);
    sm_rule_destroy(sim->rule);
    sim->rule = rule;
}

void sm_sim_sync_weights(sm_sim *sim)
{
    if (sm_sleep_lazy_active(sim->sleep)) sm_sleep_lazy_sync(sim->sleep, sim->net);
    sm_rule_settle(sim->rule, sim->net);
}
