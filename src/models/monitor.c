#include "somnus/models/monitor.h"

#include "somnus/plasticity/ip_rule.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *PATH_NAMES[SM_N_PATHS] = {"S->E", "E->E", "E->I", "I->E"};

sm_monitor *sm_monitor_create(const sm_config *cfg, const sm_net *net, sm_error *err)
{
    sm_monitor *m = calloc(1, sizeof *m);
    if (m) m->counts = calloc((size_t)net->n_post + 1, sizeof *m->counts);
    if (!m || !m->counts) {
        sm_monitor_destroy(m);
        sm_error_set(err, SM_ENOMEM, "monitor: out of memory");
        return NULL;
    }
    m->n_in = net->n_in;
    m->n_exc = net->n_exc;
    m->n_inh = net->n_inh;
    m->dt = cfg->run.dt;
    m->bound_lo[0] = (float)cfg->stdp.exc_min;
    m->bound_hi[0] = (float)cfg->stdp.exc_max;
    m->bound_lo[1] = (float)cfg->stdp.inh_min;
    m->bound_hi[1] = (float)cfg->stdp.inh_max;
    return m;
}

void sm_monitor_destroy(sm_monitor *m)
{
    if (!m) return;
    free(m->counts);
    free(m->records);
    free(m);
}

void sm_monitor_step(sm_monitor *m, const int32_t *ids, int n, int phase)
{
    const int first_e = m->n_in, first_i = m->n_in + m->n_exc;
    /* ids ascend (S, then E, then I): the stimulus spikes, most of a waking step's, are
     * counted by bisection, without a per-spike population test. */
    int lo = 0, hi = n;
    while (lo < hi) {
        const int mid = lo + (hi - lo) / 2;
        if (ids[mid] < first_e)
            lo = mid + 1;
        else
            hi = mid;
    }
    m->window_spikes[0] += (uint64_t)lo;
    for (int k = lo; k < n; k++) {
        const int g = ids[k];
        m->window_spikes[1 + (g >= first_i)]++;
        m->counts[g - first_e]++;
    }
    m->window_steps++;
    m->window_sleep_steps += phase == SM_PHASE_SLEEP;
}

void sm_monitor_reset_counts(sm_monitor *m)
{
    memset(m->counts, 0, (size_t)(m->n_exc + m->n_inh) * sizeof *m->counts);
}

void sm_monitor_attach_ip(sm_monitor *m, const sm_ip *ip)
{
    m->ip = ip;
}

void sm_monitor_weight_stats(const sm_monitor *m, const sm_net *net,
                             sm_weight_stats out[SM_N_PATHS])
{
    double sum[SM_N_PATHS] = {0}, sq[SM_N_PATHS] = {0}, abs_sum[SM_N_PATHS] = {0};
    int64_t at_bound[SM_N_PATHS] = {0};
    for (int p = 0; p < SM_N_PATHS; p++) {
        out[p] = (sm_weight_stats){.min = INFINITY, .max = -INFINITY};
    }
    for (int64_t s = 0; s < net->n_syn; s++) {
        int p = net->pathway[s], b = p == SM_PATH_IE;
        float w = net->w[s];
        double x = w;
        sum[p] += x;
        sq[p] += x * x;
        abs_sum[p] += fabs(x);
        out[p].n++;
        /* NaN compares false both ways, so fold it into min/max explicitly. */
        if (x < out[p].min || isnan(x)) out[p].min = x;
        if (x > out[p].max || isnan(x)) out[p].max = x;
        at_bound[p] += (w == m->bound_lo[b] || w == m->bound_hi[b]);
    }
    for (int p = 0; p < SM_N_PATHS; p++) {
        int64_t n = out[p].n;
        out[p].sum_abs = abs_sum[p];
        if (n == 0) {
            out[p].min = out[p].max = 0;
            continue;
        }
        out[p].mean = sum[p] / n;
        double var = sq[p] / n - out[p].mean * out[p].mean;
        out[p].sd = var > 0 ? sqrt(var) : 0;
        out[p].frac_at_bound = (double)at_bound[p] / n;
    }
}

sm_status sm_monitor_record(sm_monitor *m, const sm_net *net, uint64_t step, int64_t wake_steps,
                            int phase, sm_error *err)
{
    if (m->n_records == m->cap_records) {
        int64_t cap = m->cap_records ? 2 * m->cap_records : 64;
        sm_monitor_sample *r = realloc(m->records, (size_t)cap * sizeof *r);
        if (!r) return sm_error_set(err, SM_ENOMEM, "monitor: out of memory for records");
        m->records = r;
        m->cap_records = cap;
    }
    sm_monitor_sample *r = &m->records[m->n_records++];
    memset(r, 0, sizeof *r);
    r->step = step;
    r->wake_steps = wake_steps;
    r->phase = phase;
    r->steps = m->window_steps;
    r->sleep_steps = m->window_sleep_steps;
    const int sizes[3] = {m->n_in, m->n_exc, m->n_inh};
    for (int p = 0; p < 3; p++) {
        double seconds = (double)m->window_steps * m->dt / 1000.0;
        r->rate_hz[p] = sizes[p] && seconds > 0 ? m->window_spikes[p] / (sizes[p] * seconds) : 0;
        m->total_spikes[p] += m->window_spikes[p];
        m->window_spikes[p] = 0;
    }
    m->window_steps = m->window_sleep_steps = 0;
    sm_monitor_weight_stats(m, net, r->w);
    for (int p = 0; p < 2; p++) {
        r->ip_h_mean[p] = r->ip_h_sd[p] = r->ip_g_mean[p] = NAN;
        if (m->ip) sm_ip_stats(m->ip, p, &r->ip_h_mean[p], &r->ip_h_sd[p], &r->ip_g_mean[p]);
    }
    for (int p = 0; p < SM_N_PATHS; p++)
        if (!isfinite(r->w[p].sum_abs))
            return sm_error_set(
                err, SM_ENUMERIC, "step %llu: a %s weight became %s (weights: min %g, max %g)",
                (unsigned long long)step, PATH_NAMES[p],
                isnan(r->w[p].sum_abs) ? "NaN" : "infinite", r->w[p].min, r->w[p].max);
    return SM_OK;
}
