/* A structural event inside the simulation (spec structural.md section 4, "When"): the
 * simulation owns the components whose state follows the synapses. */
#include "somnus/models/sim.h"

#include <stdlib.h>

#include "somnus/io/checkpoint.h"

/* gmp / granet: block and pathway baselines follow the count, so sleep does not push the
 * surviving weights up to the dense total. */
static void scale_baselines(sm_sim *sim)
{
    sm_rewire *rw = sim->rw;
    sm_sleep *s = sim->sleep;
    const sm_net *net = sim->net;
    if (!rw->have_w0) {
        for (int b = 0; b < 2; b++)
            rw->w0_block0[b] = s->w0_block[b];
        for (int p = 0; p < SM_N_PATHS; p++)
            rw->w0_path0[p] = s->w0_path[p];
        rw->have_w0 = 1;
    }
    if (rw->mode != SM_STRUCT_GMP && rw->mode != SM_STRUCT_GRANET) return;
    int64_t count[2] = {0, 0};
    for (int p = 0; p < SM_N_PATHS; p++)
        if (net->plastic[p]) count[p == SM_PATH_IE] += net->path_count[p];
    for (int b = 0; b < 2; b++)
        if (rw->block_count0[b] > 0)
            s->w0_block[b] = rw->w0_block0[b] * (double)count[b] / (double)rw->block_count0[b];
    for (int p = 0; p < SM_N_PATHS; p++)
        if (rw->path[p].n_initial > 0)
            s->w0_path[p] =
                rw->w0_path0[p] * (double)net->path_count[p] / (double)rw->path[p].n_initial;
}

sm_status sm_sim_struct_event(sm_sim *sim, sm_error *err)
{
    if (!sim->rw) return SM_OK;
    sm_rule_settle(sim->rule, sim->net);
    if (sim->rule && sim->rule->ops->flush) sim->rule->ops->flush(sim->rule, sim->net);
    sm_status st =
        sm_rewire_event(sim->rw, sim->net, (int64_t)sim->count.steps, sim->count.wake_steps, err);
    if (st != SM_OK) return st;
    sm_sleep_on_rebuild(sim->sleep, sim->net);
    scale_baselines(sim);
    if (sim->rw->on_event) sim->rw->on_event(sim->rw->on_event_ctx, sim->net, sim->rw->events - 1);
    return SM_OK;
}

/* The sleep baselines that gmp/granet rescale, as one array (w0_block then w0_path). */
static void sleep_w0_io(sm_sleep *s, double *w0, int save)
{
    for (int b = 0; b < 2; b++)
        save ? (void)(w0[b] = s->w0_block[b]) : (void)(s->w0_block[b] = w0[b]);
    for (int p = 0; p < SM_N_PATHS; p++)
        save ? (void)(w0[2 + p] = s->w0_path[p]) : (void)(s->w0_path[p] = w0[2 + p]);
}

sm_status sm_sim_struct_save(const sm_sim *sim, struct sm_ckpt *c, sm_error *err)
{
    if (!sim->rw) return SM_OK;
    const sm_net *net = sim->net;
    int32_t *edges = malloc(((size_t)net->n_syn + 1) * 2 * sizeof *edges);
    const size_t len = sm_rewire_state_size(sim->rw);
    void *blob = malloc(len ? len : 1);
    sm_status st = SM_OK;
    if (!edges || !blob) {
        st = sm_error_set(err, SM_ENOMEM, "checkpoint: out of memory");
        goto done;
    }
    for (int g = 0; g < net->n_total; g++)
        for (int64_t s = net->row[g]; s < net->row[g + 1]; s++) {
            edges[2 * s] = g;
            edges[2 * s + 1] = net->n_in + net->post[s];
        }
    double w0[2 + SM_N_PATHS];
    sleep_w0_io(sim->sleep, w0, 1);
    sm_rewire_state_save(sim->rw, w0, blob);
    st = sm_ckpt_add(c, "synapses", edges, (size_t)net->n_syn * 2 * sizeof *edges, err);
    if (st == SM_OK) st = sm_ckpt_add(c, "rewire", blob, len, err);
done:
    free(edges);
    free(blob);
    return st;
}

sm_status sm_sim_struct_load(sm_sim *sim, const struct sm_ckpt *c, const char *path, sm_error *err)
{
    if (!sim->rw) return SM_OK;
    size_t len_e, len_w, len_r;
    const int32_t *edges = sm_ckpt_get(c, "synapses", &len_e);
    const float *w = sm_ckpt_get(c, "weights", &len_w);
    const void *blob = sm_ckpt_get(c, "rewire", &len_r);
    const size_t n = len_e / (2 * sizeof *edges);
    if (!edges || !w || !blob || len_e % (2 * sizeof *edges) || len_w != n * sizeof *w)
        return sm_error_set(err, SM_EFORMAT,
                            "%s: no consistent 'synapses', 'weights' and 'rewire' sections: the "
                            "checkpoint was not written with struct.mode = %s",
                            path, sim->cfg.structural.mode == SM_STRUCT_NONE ? "none" : "on");
    int32_t *pre = malloc((n + 1) * sizeof *pre), *post = malloc((n + 1) * sizeof *post);
    sm_status st = SM_OK;
    if (!pre || !post) {
        st = sm_error_set(err, SM_ENOMEM, "checkpoint: out of memory");
        goto done;
    }
    for (size_t s = 0; s < n; s++) {
        pre[s] = edges[2 * s];
        post[s] = edges[2 * s + 1];
    }
    sm_rule_settle(sim->rule, sim->net); /* nothing deferred may land on the new layout */
    st = sm_net_rebuild(sim->net, (int64_t)n, pre, post, w, err);
    if (st != SM_OK) goto done;
    sm_sleep_on_rebuild(sim->sleep, sim->net);
    double w0[2 + SM_N_PATHS];
    st = sm_rewire_state_load(sim->rw, blob, len_r, w0, err);
    if (st == SM_OK) sleep_w0_io(sim->sleep, w0, 0);
done:
    free(pre);
    free(post);
    return st;
}
