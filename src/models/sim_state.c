#include "somnus/models/sim_state.h"

#include "somnus/io/checkpoint.h"

#include <stdint.h>
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
    /* The step counter may go back: a deferring rule starts over from current weights. */
    sm_rule_settle(sim->rule, sim->net);
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

/* The neuron state as one block: v, i_syn, a, theta, drive (np floats each), noise
 * (np + 4 floats), post_spiked (np bytes). */
static size_t neuron_bytes(size_t np)
{
    return (5 * np + np + 4) * sizeof(float) + np;
}

static void neurons_io(sm_sim *sim, unsigned char *b, int save)
{
    const size_t np = (size_t)sim->net->n_post, fs = np * sizeof(float);
    float *arr[5] = {sim->v, sim->i_syn, sim->a, sim->theta, sim->drive};
    for (int k = 0; k < 5; k++, b += fs)
        save ? memcpy(b, arr[k], fs) : memcpy(arr[k], b, fs);
    const size_t ns = (np + 4) * sizeof(float);
    save ? memcpy(b, sim->noise, ns) : memcpy(sim->noise, b, ns);
    b += ns;
    save ? memcpy(b, sim->post_spiked, np) : memcpy(sim->post_spiked, b, np);
}

typedef struct counters_blob {
    sm_sim_counters count;
    int64_t next_record, n_ids;
    uint64_t window_spikes[3], total_spikes[3];
    int64_t window_steps, window_sleep_steps, n_records;
} counters_blob;

sm_status sm_sim_checkpoint_save(const sm_sim *sim_c, struct sm_ckpt *c, sm_error *err)
{
    sm_sim *sim = (sm_sim *)sim_c; /* neurons_io only reads when saving */
    const sm_net *net = sim->net;
    const sm_monitor *m = sim->mon;
    const size_t np = (size_t)net->n_post, nt = (size_t)net->n_total;
    unsigned char *nb = malloc(neuron_bytes(np));
    size_t rule_len = sm_rule_state_size(sim->rule);
    void *rb = malloc(rule_len ? rule_len : 1);
    if (!nb || !rb) {
        free(nb);
        free(rb);
        return sm_error_set(err, SM_ENOMEM, "checkpoint: out of memory");
    }
    neurons_io(sim, nb, 1);
    sm_rule_state_save(sim->rule, rb);
    counters_blob cb;
    memset(&cb, 0, sizeof cb);
    cb.count = sim->count;
    cb.next_record = sim->next_record;
    cb.n_ids = sim->n_ids;
    memcpy(cb.window_spikes, m->window_spikes, sizeof cb.window_spikes);
    memcpy(cb.total_spikes, m->total_spikes, sizeof cb.total_spikes);
    cb.window_steps = m->window_steps;
    cb.window_sleep_steps = m->window_sleep_steps;
    cb.n_records = m->n_records;
    sm_status st = sm_ckpt_add(c, "neurons", nb, neuron_bytes(np), err);
    if (st == SM_OK) st = sm_ckpt_add(c, "flag", sim->flag, nt, err);
    if (st == SM_OK) st = sm_ckpt_add(c, "age", sim->age, nt * sizeof(int32_t), err);
    if (st == SM_OK) st = sm_ckpt_add(c, "ids", sim->ids, nt * sizeof(int32_t), err);
    if (st == SM_OK) st = sm_ckpt_add(c, "counters", &cb, sizeof cb, err);
    if (st == SM_OK)
        st = sm_ckpt_add(c, "counts", m->counts, (size_t)(m->n_exc + m->n_inh) * sizeof(uint32_t),
                         err);
    if (st == SM_OK)
        st = sm_ckpt_add(c, "records", m->records, (size_t)m->n_records * sizeof(sm_monitor_sample),
                         err);
    if (st == SM_OK)
        st = sm_ckpt_add(c, "weights", net->w, (size_t)net->n_syn * sizeof(float), err);
    if (st == SM_OK) st = sm_ckpt_add(c, "rule", rb, rule_len, err);
    if (st == SM_OK && sim->sleep->target_initial) /* sleep.target=initial's targets */
        st = sm_ckpt_add(c, "sleep_w_init", sim->sleep->w_init, (size_t)net->n_syn * sizeof(float),
                         err);
    free(nb);
    free(rb);
    if (st == SM_OK) st = sm_sim_struct_save(sim, c, err);
    if (st == SM_OK && sim->ip) { /* intrinsic plasticity: h, g, window counters */
        const size_t len = sm_ip_state(sim->ip, NULL, 1);
        void *ib = malloc(len);
        if (!ib) return sm_error_set(err, SM_ENOMEM, "checkpoint: out of memory");
        sm_ip_state(sim->ip, ib, 1);
        st = sm_ckpt_add(c, "ip", ib, len, err);
        free(ib);
    }
    return st;
}

static const void *section(const struct sm_ckpt *c, const char *name, size_t want, const char *path,
                           sm_error *err)
{
    size_t len;
    const void *p = sm_ckpt_get(c, name, &len);
    if (!p || len != want) {
        sm_error_set(err, SM_EFORMAT,
                     "%s: section '%s' has %zu bytes, this network needs %zu: the checkpoint "
                     "belongs to another configuration",
                     path, name, p ? len : 0, want);
        return NULL;
    }
    return p;
}

sm_status sm_sim_checkpoint_load(sm_sim *sim, const struct sm_ckpt *c, const char *path,
                                 sm_error *err)
{
    SM_ERROR_LOCAL(err);
    sm_net *net = sim->net;
    sm_monitor *m = sim->mon;
    const size_t np = (size_t)net->n_post, nt = (size_t)net->n_total;
    /* the synapses first: every size below follows the restored network */
    if (sm_sim_struct_load(sim, c, path, err) != SM_OK) return err->code;
    const void *nb = section(c, "neurons", neuron_bytes(np), path, err);
    const void *fl = nb ? section(c, "flag", nt, path, err) : NULL;
    const void *ag = fl ? section(c, "age", nt * sizeof(int32_t), path, err) : NULL;
    const void *id = ag ? section(c, "ids", nt * sizeof(int32_t), path, err) : NULL;
    const counters_blob *cb = id ? section(c, "counters", sizeof *cb, path, err) : NULL;
    const void *ct =
        cb ? section(c, "counts", (size_t)(m->n_exc + m->n_inh) * sizeof(uint32_t), path, err)
           : NULL;
    const void *rc =
        ct && cb->n_records >= 0 && (uint64_t)cb->n_records <= SIZE_MAX / sizeof(sm_monitor_sample)
            ? section(c, "records", (size_t)cb->n_records * sizeof(sm_monitor_sample), path, err)
            : NULL;
    const void *w =
        rc ? section(c, "weights", (size_t)net->n_syn * sizeof(float), path, err) : NULL;
    const void *rs = w ? section(c, "rule", sm_rule_state_size(sim->rule), path, err) : NULL;
    if (!rs) return err->code;
    const void *wi = sim->sleep->target_initial
                         ? section(c, "sleep_w_init", (size_t)net->n_syn * sizeof(float), path, err)
                         : NULL;
    if (sim->sleep->target_initial && !wi) return err->code;
    const void *ips = sim->ip ? section(c, "ip", sm_ip_state(sim->ip, NULL, 1), path, err) : NULL;
    if (sim->ip && !ips) return err->code;
    if (cb->n_records > m->cap_records) {
        sm_monitor_sample *r = realloc(m->records, (size_t)cb->n_records * sizeof *r);
        if (!r) return sm_error_set(err, SM_ENOMEM, "checkpoint: out of memory for records");
        m->records = r;
        m->cap_records = cb->n_records;
    }
    neurons_io(sim, (unsigned char *)nb, 0);
    memcpy(sim->flag, fl, nt);
    memcpy(sim->age, ag, nt * sizeof(int32_t));
    memcpy(sim->ids, id, nt * sizeof(int32_t));
    memcpy(m->counts, ct, (size_t)(m->n_exc + m->n_inh) * sizeof(uint32_t));
    if (cb->n_records) memcpy(m->records, rc, (size_t)cb->n_records * sizeof(sm_monitor_sample));
    sm_rule_settle(sim->rule, net); /* nothing deferred may land on the loaded weights */
    memcpy(net->w, w, (size_t)net->n_syn * sizeof(float));
    sm_rule_state_load(sim->rule, rs);
    if (wi && sm_sleep_record_initial(sim->sleep, net, wi) != SM_OK)
        return sm_error_set(err, SM_ENOMEM, "checkpoint: out of memory for sleep_w_init");
    if (sim->ip) sm_ip_state(sim->ip, (void *)ips, 0);
    sim->count = cb->count;
    sim->next_record = cb->next_record;
    sim->n_ids = (int)cb->n_ids;
    memcpy(m->window_spikes, cb->window_spikes, sizeof cb->window_spikes);
    memcpy(m->total_spikes, cb->total_spikes, sizeof cb->total_spikes);
    m->window_steps = cb->window_steps;
    m->window_sleep_steps = cb->window_sleep_steps;
    m->n_records = cb->n_records;
    return SM_OK;
}
