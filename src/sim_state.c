#include "somnus/sim_state.h"

#include <stdlib.h>
#include <string.h>

struct sm_sim_state {
    size_t np, nt;
    float *v, *i_syn, *a, *theta, *drive, *noise;
    uint8_t *post_spiked, *flag;
    int32_t *age, *ids;
    int n_ids;
    sm_sim_counters count;
    int64_t next_record;
    /* monitor */
    uint32_t *counts;
    uint64_t window_spikes[3], total_spikes[3];
    int64_t window_steps, window_sleep_steps, n_records;
};

void sm_sim_state_free(sm_sim_state *s)
{
    if (!s) return;
    free(s->v);
    free(s->i_syn);
    free(s->a);
    free(s->theta);
    free(s->drive);
    free(s->noise);
    free(s->post_spiked);
    free(s->flag);
    free(s->age);
    free(s->ids);
    free(s->counts);
    free(s);
}

static void *dup(const void *src, size_t bytes, int *ok)
{
    void *p = malloc(bytes ? bytes : 1);
    if (!p) {
        *ok = 0;
        return NULL;
    }
    memcpy(p, src, bytes);
    return p;
}

sm_sim_state *sm_sim_state_save(const sm_sim *sim, sm_error *err)
{
    sm_sim_state *s = calloc(1, sizeof *s);
    if (!s) {
        sm_error_set(err, SM_ENOMEM, "simulation snapshot: out of memory");
        return NULL;
    }
    const size_t np = (size_t)sim->net->n_post, nt = (size_t)sim->net->n_total;
    const sm_monitor *m = sim->mon;
    int ok = 1;
    s->np = np;
    s->nt = nt;
    s->v = dup(sim->v, np * sizeof(float), &ok);
    s->i_syn = dup(sim->i_syn, np * sizeof(float), &ok);
    s->a = dup(sim->a, np * sizeof(float), &ok);
    s->theta = dup(sim->theta, np * sizeof(float), &ok);
    s->drive = dup(sim->drive, np * sizeof(float), &ok);
    s->noise = dup(sim->noise, (np + 4) * sizeof(float), &ok);
    s->post_spiked = dup(sim->post_spiked, np, &ok);
    s->flag = dup(sim->flag, nt, &ok);
    s->age = dup(sim->age, nt * sizeof(int32_t), &ok);
    s->ids = dup(sim->ids, nt * sizeof(int32_t), &ok);
    s->counts = dup(m->counts, (size_t)(m->n_exc + m->n_inh) * sizeof(uint32_t), &ok);
    if (!ok) {
        sm_sim_state_free(s);
        sm_error_set(err, SM_ENOMEM, "simulation snapshot: out of memory");
        return NULL;
    }
    s->n_ids = sim->n_ids;
    s->count = sim->count;
    s->next_record = sim->next_record;
    memcpy(s->window_spikes, m->window_spikes, sizeof s->window_spikes);
    memcpy(s->total_spikes, m->total_spikes, sizeof s->total_spikes);
    s->window_steps = m->window_steps;
    s->window_sleep_steps = m->window_sleep_steps;
    s->n_records = m->n_records;
    return s;
}

void sm_sim_state_restore(sm_sim *sim, const sm_sim_state *s)
{
    const size_t np = s->np, nt = s->nt;
    sm_monitor *m = sim->mon;
    memcpy(sim->v, s->v, np * sizeof(float));
    memcpy(sim->i_syn, s->i_syn, np * sizeof(float));
    memcpy(sim->a, s->a, np * sizeof(float));
    memcpy(sim->theta, s->theta, np * sizeof(float));
    memcpy(sim->drive, s->drive, np * sizeof(float));
    memcpy(sim->noise, s->noise, (np + 4) * sizeof(float));
    memcpy(sim->post_spiked, s->post_spiked, np);
    memcpy(sim->flag, s->flag, nt);
    memcpy(sim->age, s->age, nt * sizeof(int32_t));
    memcpy(sim->ids, s->ids, nt * sizeof(int32_t));
    memcpy(m->counts, s->counts, (size_t)(m->n_exc + m->n_inh) * sizeof(uint32_t));
    sim->n_ids = s->n_ids;
    sim->count = s->count;
    sim->next_record = s->next_record;
    memcpy(m->window_spikes, s->window_spikes, sizeof s->window_spikes);
    memcpy(m->total_spikes, s->total_spikes, sizeof s->total_spikes);
    m->window_steps = s->window_steps;
    m->window_sleep_steps = s->window_sleep_steps;
    if (m->n_records > s->n_records) m->n_records = s->n_records;
}
