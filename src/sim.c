#include "somnus/sim.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "somnus/rng.h"

static void *alloc_zero(size_t n, size_t size)
{
    return calloc(n ? n : 1, size);
}

void sm_sim_destroy(sm_sim *sim)
{
    if (!sim) return;
    sm_net_destroy(sim->net);
    sm_rule_destroy(sim->rule);
    sm_sleep_destroy(sim->sleep);
    sm_monitor_destroy(sim->mon);
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
    free(sim);
}

static sm_status alloc_state(sm_sim *sim, sm_error *err)
{
    const size_t np = (size_t)sim->net->n_post, nt = (size_t)sim->net->n_total;
    sim->v = alloc_zero(np, sizeof(float));
    sim->i_syn = alloc_zero(np, sizeof(float));
    sim->a = alloc_zero(np, sizeof(float));
    sim->theta = alloc_zero(np, sizeof(float));
    sim->drive = alloc_zero(np, sizeof(float));
    sim->noise = alloc_zero(np + 4, sizeof(float));
    sim->post_spiked = alloc_zero(np, 1);
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
    sim->threads = cfg->run.threads > 0 ? cfg->run.threads : omp_get_max_threads();
    sim->net = sm_net_create(cfg, err);
    if (!sim->net) goto fail;
    if (alloc_state(sim, err) != SM_OK) goto fail;
    sim->rule = sm_rule_create(cfg, sim->net, err);
    if (!sim->rule && cfg->stdp.rule != SM_STDP_NONE) goto fail;
    sim->sleep = sm_sleep_create(cfg, sim->net, err);
    if (!sim->sleep) goto fail;
    sim->mon = sm_monitor_create(cfg, sim->net, err);
    if (!sim->mon) goto fail;
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

/* Gaussian membrane noise, sd sigma, keyed by (step, neuron): one Philox block feeds
 * four neighbouring neurons, so the value does not depend on how neurons are split
 * among threads. */
static void draw_noise(sm_sim *sim, int parallel)
{
    const int n = sim->net->n_post, blocks = (n + 3) / 4;
    const uint64_t seed = (uint64_t)sim->cfg.run.seed, step = sim->count.steps;
    const double sigma = sim->cfg.noise.sigma;
    float *noise = sim->noise;
#pragma omp parallel for if (parallel) num_threads(sim->threads) schedule(static)
    for (int b = 0; b < blocks; b++) {
        sm_rng_words r = sm_rng_block(seed, SM_STREAM_NOISE, step, (uint32_t)b);
        double z[4];
        sm_rng_normal2(r.w[0], r.w[1], &z[0], &z[1]);
        sm_rng_normal2(r.w[2], r.w[3], &z[2], &z[3]);
        for (int k = 0; k < 4; k++)
            noise[4 * b + k] = (float)(sigma * z[k]);
    }
}

static int noise_on(const sm_sim *sim, int phase)
{
    const int on[3] = {sim->cfg.noise.wake, sim->cfg.noise.sleep, sim->cfg.noise.test};
    return on[phase] && sim->cfg.noise.sigma > 0;
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
    const int ne = net->n_exc, chunk = 1024;
    const int chunks = (net->n_post + chunk - 1) / chunk;
#pragma omp parallel for if (parallel) num_threads(sim->threads) schedule(static)
    for (int c = 0; c < chunks; c++) {
        int lo = c * chunk, hi = lo + chunk < net->n_post ? lo + chunk : net->n_post;
        /* A chunk may straddle the E/I boundary: split it per population. */
        int mid = lo < ne ? (hi < ne ? hi : ne) : lo;
        if (mid > lo)
            sm_lif_step(&sim->coef[0], mid - lo, sim->v + lo, sim->i_syn + lo, sim->a + lo,
                        sim->theta + lo, sim->drive + lo, noise ? noise + lo : NULL,
                        sim->post_spiked + lo);
        if (hi > mid)
            sm_lif_step(&sim->coef[1], hi - mid, sim->v + mid, sim->i_syn + mid, sim->a + mid,
                        sim->theta + mid, sim->drive + mid, noise ? noise + mid : NULL,
                        sim->post_spiked + mid);
    }
}

/* Steps 2-3: gather this step's spikes (S from the input, then E/I) and advance ages. */
static void collect_spikes(sm_sim *sim, int phase)
{
    const sm_net *net = sim->net;
    int n = 0;
    /* The input clock counts only steps with input (wake and test): sleep is a hard
     * pause for a replayed spike file as for images. */
    if (phase != SM_PHASE_SLEEP && sim->input)
        n = sim->input(sim->input_ctx, (uint64_t)(sim->count.wake_steps + sim->count.test_steps),
                       sim->ids);
    for (int i = 0; i < net->n_post; i++) {
        sim->ids[n] = net->n_in + i;
        n += sim->post_spiked[i];
    }
    sim->n_ids = n;
    for (int k = 0; k < n; k++)
        sim->flag[sim->ids[k]] = 1;
    int32_t *restrict age = sim->age;
    const uint8_t *restrict flag = sim->flag;
    for (int g = 0; g < net->n_total; g++) {
        int32_t next = age[g] < SM_AGE_MAX ? age[g] + 1 : SM_AGE_MAX;
        age[g] = flag[g] ? 0 : next;
    }
}

/* Step 6: each spike adds its outgoing weights to the targets' drive for the next step. */
static void propagate(sm_sim *sim)
{
    const sm_net *net = sim->net;
    float *restrict drive = sim->drive;
    for (int k = 0; k < sim->n_ids; k++) {
        int g = sim->ids[k];
        for (int64_t s = net->row[g]; s < net->row[g + 1]; s++)
            drive[net->post[s]] += net->w[s];
    }
}

static void clear_flags(sm_sim *sim)
{
    for (int k = 0; k < sim->n_ids; k++)
        sim->flag[sim->ids[k]] = 0;
}

/* One step of the given phase. `sums` receives the block sums after a power-law decay
 * (only when decay is set). */
static sm_status step(sm_sim *sim, int phase, int decay, double sums[2], sm_error *err)
{
    update_neurons(sim, phase);
    collect_spikes(sim, phase);
    if (phase != SM_PHASE_TEST && sim->rule) {
        sm_step_spikes sp = {sim->count.steps, sim->ids, sim->n_ids, sim->flag, sim->age};
        sm_rule_apply(sim->rule, sim->net, &sp);
    }
    if (decay == SM_SLEEP_POWERLAW)
        sm_sleep_powerlaw_step(sim->sleep, sim->net, sums);
    else if (decay)
        sm_sleep_mode_step(sim->sleep, sim->net);
    propagate(sim);
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
        return sm_monitor_record(sim->mon, sim->net, sim->count.steps, sim->count.wake_steps, phase,
                                 err);
    }
    return SM_OK;
}

static sm_status sleep_powerlaw(sm_sim *sim, int64_t max_steps, int64_t *slept, sm_error *err)
{
    double sums[2];
    sm_sleep_block_sums(sim->sleep, sim->net, sums);
    int64_t k = 0;
    /* The stop test comes first, so an episode that starts at the baseline is empty. */
    while (k < max_steps && !sm_sleep_converged(sim->sleep, sums)) {
        sm_status st = step(sim, SM_PHASE_SLEEP, SM_SLEEP_POWERLAW, sums, err);
        k++;
        if (st != SM_OK) return st;
    }
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

sm_status sm_sim_sleep(sm_sim *sim, int64_t max_steps, int64_t *slept, sm_error *err)
{
    int64_t k = 0;
    sm_status st = SM_OK;
    if (sim->cfg.sleep.mode == SM_SLEEP_POWERLAW)
        st = sleep_powerlaw(sim, max_steps, &k, err);
    else if (sim->cfg.sleep.mode != SM_SLEEP_NONE) {
        st = sleep_mode(sim, max_steps, err);
        k = max_steps;
    }
    sim->count.sleep_steps += k;
    sim->count.episodes++;
    if (slept) *slept = k;
    return st;
}

/* Runs whatever the schedule has due before the next wake step. */
static sm_status run_schedule(sm_sim *sim, sm_error *err)
{
    const sm_config *c = &sim->cfg;
    const int64_t t = sim->count.wake_steps;
    sm_status st = SM_OK;
    if (c->sleep.norm_mode != SM_NORM_NONE && t > 0 && t % c->sleep.norm_frequency == 0) {
        st = sm_sleep_normalize(sim->sleep, sim->net, c->sleep.norm_mode, err);
        sim->count.normalizations++;
    }
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

sm_status sm_sim_wake(sm_sim *sim, int64_t n, sm_error *err)
{
    for (int64_t k = 0; k < n; k++) {
        sm_status st = run_schedule(sim, err);
        if (st == SM_OK) st = step(sim, SM_PHASE_WAKE, 0, NULL, err);
        if (st != SM_OK) return st;
        sim->count.wake_steps++;
    }
    return SM_OK;
}

sm_status sm_sim_test(sm_sim *sim, int64_t n, sm_error *err)
{
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
    return sm_monitor_record(sim->mon, sim->net, sim->count.steps, sim->count.wake_steps,
                             SM_PHASE_WAKE, err);
}
