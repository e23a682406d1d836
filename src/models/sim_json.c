/* The network's and simulation's state as JSON objects for results files: weight
 * statistics, population and synapse counts, step counters, the monitor's records
 * (sim_json.h). */
#include "somnus/models/sim_json.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

json_t *sm_weight_stats_to_json(const sm_weight_stats *s)
{
    return json_pack("{s:I, s:f, s:f, s:f, s:f, s:f, s:f}", "n", (json_int_t)s->n, "sum_abs",
                     s->sum_abs, "mean", s->mean, "sd", s->sd, "min", s->min, "max", s->max,
                     "frac_at_bound", s->frac_at_bound);
}

json_t *sm_pathway_stats_to_json(const sm_weight_stats s[SM_N_PATHS])
{
    json_t *o = json_object();
    for (int p = 0; p < SM_N_PATHS; p++)
        json_object_set_new(o, sm_pathway_name(p), sm_weight_stats_to_json(&s[p]));
    return o;
}

json_t *sm_net_to_json(const sm_net *net)
{
    json_t *counts = json_object();
    for (int p = 0; p < SM_N_PATHS; p++)
        json_object_set_new(counts, sm_pathway_name(p),
                            json_integer((json_int_t)net->path_count[p]));
    return json_pack("{s:i, s:i, s:i, s:I, s:o}", "n_input", net->n_in, "n_exc", net->n_exc,
                     "n_inh", net->n_inh, "synapses", (json_int_t)net->n_syn,
                     "synapses_per_pathway", counts);
}

json_t *sm_sim_counters_to_json(const sm_sim_counters *c)
{
    return json_pack(
        "{s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "steps", (json_int_t)c->steps, "wake_steps",
        (json_int_t)c->wake_steps, "sleep_steps", (json_int_t)c->sleep_steps, "test_steps",
        (json_int_t)c->test_steps, "episodes", (json_int_t)c->episodes, "episodes_converged",
        (json_int_t)c->episodes_converged, "normalizations", (json_int_t)c->normalizations);
}

static json_t *column(json_t *obj, const char *name)
{
    json_t *a = json_array();
    json_object_set_new(obj, name, a);
    return a;
}

json_t *sm_monitor_to_json(const sm_monitor *m)
{
    static const char *PHASES[3] = {"wake", "sleep", "test"};
    json_t *o = json_object();
    json_t *step = column(o, "step"), *wake = column(o, "wake_steps"), *phase = column(o, "phase");
    json_t *steps = column(o, "steps"), *sleep = column(o, "sleep_steps");
    json_t *rate[3] = {column(o, "rate_S_hz"), column(o, "rate_E_hz"), column(o, "rate_I_hz")};
    static const char *STATS[6] = {"sum_abs", "mean", "sd", "min", "max", "frac_at_bound"};
    json_t *w[SM_N_PATHS][6];
    for (int p = 0; p < SM_N_PATHS; p++)
        for (int s = 0; s < 6; s++) {
            char name[32];
            snprintf(name, sizeof name, "%s_%s", sm_pathway_name(p), STATS[s]);
            w[p][s] = column(o, name);
        }
    /* intrinsic plasticity: [pop][h_mean, h_sd, g_mean], only with a rule attached */
    json_t *ip[2][3] = {{NULL}};
    static const char *IP_COLS[3] = {"h_mean", "h_sd", "g_mean"}, *POPS[2] = {"E", "I"};
    for (int p = 0; m->ip && p < 2; p++)
        for (int s = 0; s < 3; s++) {
            char name[32];
            snprintf(name, sizeof name, "%s_%s", IP_COLS[s], POPS[p]);
            ip[p][s] = column(o, name);
        }
    for (int64_t k = 0; k < m->n_records; k++) {
        const sm_monitor_sample *r = &m->records[k];
        for (int p = 0; m->ip && p < 2; p++) {
            const double v[3] = {r->ip_h_mean[p], r->ip_h_sd[p], r->ip_g_mean[p]};
            for (int s = 0; s < 3; s++)
                json_array_append_new(ip[p][s], isfinite(v[s]) ? json_real(v[s]) : json_null());
        }
        json_array_append_new(step, json_integer((json_int_t)r->step));
        json_array_append_new(wake, json_integer((json_int_t)r->wake_steps));
        json_array_append_new(phase, json_string(PHASES[r->phase]));
        json_array_append_new(steps, json_integer((json_int_t)r->steps));
        json_array_append_new(sleep, json_integer((json_int_t)r->sleep_steps));
        for (int p = 0; p < 3; p++)
            json_array_append_new(rate[p], json_real(r->rate_hz[p]));
        for (int p = 0; p < SM_N_PATHS; p++) {
            const sm_weight_stats *s = &r->w[p];
            double v[6] = {s->sum_abs, s->mean, s->sd, s->min, s->max, s->frac_at_bound};
            for (int q = 0; q < 6; q++)
                json_array_append_new(w[p][q], json_real(v[q]));
        }
    }
    return o;
}
