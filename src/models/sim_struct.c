/* A structural event inside the simulation (spec structural.md section 4, "When"): the
 * simulation owns the components whose state follows the synapses. */
#include "somnus/models/sim.h"

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
    return SM_OK;
}
