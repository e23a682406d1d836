/* Structural-plasticity outputs of the stdp training protocol (train_stdp_struct.h). */
#include "protocol/train_stdp_struct.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "protocol/train_common.h"

int64_t sm_struct_predicted_events(const sm_config *cfg, int64_t wake_steps)
{
    int64_t k = 0;
    if (cfg->structural.when == SM_STRUCT_PERIOD) {
        k = wake_steps > 0 ? (wake_steps - 1) / cfg->structural.period : 0;
    } else if (cfg->sleep.mode == SM_SLEEP_POWERLAW && cfg->sleep.rate > 0) {
        const int64_t per = cfg->sleep.period;
        k = wake_steps > 0 ? (wake_steps - 1) / per : 0;
        if (cfg->sleep.schedule == SM_SCHED_BATCH) k += 1; /* also at t = 0 */
    } else if (cfg->sleep.mode != SM_SLEEP_NONE && cfg->sleep.mode != SM_SLEEP_POWERLAW) {
        k = wake_steps > 0 ? (wake_steps - 1) / cfg->sleep.frequency : 0;
    }
    return k > 0 ? k : 1;
}

void sm_struct_on_pixels(const sm_dataset *ds, uint8_t *on)
{
    const int n = ds->width * ds->height;
    double *mean = calloc((size_t)n + 1, sizeof *mean), top = 0;
    if (!mean) {
        for (int p = 0; p < n; p++)
            on[p] = 0;
        return;
    }
    for (int i = 0; i < ds->n; i++) {
        const float *img = sm_dataset_image(ds, i);
        for (int p = 0; p < n; p++)
            mean[p] += img[p];
    }
    for (int p = 0; p < n; p++)
        top = mean[p] > top ? mean[p] : top;
    for (int p = 0; p < n; p++)
        on[p] = top > 0 && mean[p] > 0.1 * top;
    free(mean);
}

double sm_struct_f_on(const sm_net *net, const uint8_t *on)
{
    int64_t all = 0, hit = 0;
    for (int g = 0; g < net->n_in; g++) {
        const int64_t len = net->row[g + 1] - net->row[g];
        all += len;
        if (on[g]) hit += len;
    }
    return all ? (double)hit / (double)all : NAN;
}

void sm_struct_add_columns(const sm_sim *sim, const uint8_t *on, json_t *tab)
{
    const sm_rewire *rw = sim->rw;
    const sm_net *net = sim->net;
    int64_t now = 0, init = 0;
    for (int p = 0; p < SM_N_PATHS; p++)
        if (rw->path[p].on) {
            now += net->path_count[p];
            init += rw->path[p].n_initial;
        }
    sm_train_col_add(tab, "sparsity", sm_train_real(init ? 1.0 - (double)now / init : NAN));
    for (int p = 0; p < SM_N_PATHS; p++) {
        const sm_rewire_path *pp = &rw->path[p];
        if (!pp->on) continue;
        char name[64];
        const char *pn = sm_pathway_name(p);
        const double pairs = (double)pp->n_pre * pp->n_post;
        snprintf(name, sizeof name, "density_%s", pn);
        sm_train_col_add(tab, name, sm_train_real(pairs > 0 ? net->path_count[p] / pairs : NAN));
        snprintf(name, sizeof name, "n_syn_%s", pn);
        sm_train_col_add(tab, name, json_integer(net->path_count[p]));
        snprintf(name, sizeof name, "pruned_%s", pn);
        sm_train_col_add(tab, name, json_integer(pp->pruned_total));
        snprintf(name, sizeof name, "regrown_%s", pn);
        sm_train_col_add(tab, name, json_integer(pp->regrown_total));
        snprintf(name, sizeof name, "turnover_%s", pn);
        sm_train_col_add(
            tab, name,
            sm_train_real(pp->n_initial ? (double)pp->regrown_total / pp->n_initial : NAN));
    }
    sm_train_col_add(tab, "f_on", sm_train_real(on ? sm_struct_f_on(net, on) : NAN));
    sm_train_col_add(tab, "regrow_rate",
                     sm_train_real(rw->events ? rw->log[rw->events - 1].r : NAN));
}

static void col(json_t *o, const char *name, json_t *v)
{
    sm_train_col_add(o, name, v);
}

json_t *sm_struct_events_json(const sm_rewire *rw)
{
    json_t *o = json_object();
    for (int64_t e = 0; e < rw->events; e++) {
        const sm_rewire_record *r = &rw->log[e];
        col(o, "event", json_integer(e));
        col(o, "step", json_integer(r->step));
        col(o, "wake_step", json_integer(r->wake_step));
        col(o, "r", sm_train_real(r->r));
        col(o, "target_sparsity", sm_train_real(r->target_sparsity));
        col(o, "sparsity", sm_train_real(r->sparsity));
        col(o, "ever_active", sm_train_real(r->ever_active));
        for (int p = 0; p < SM_N_PATHS; p++) {
            if (!rw->path[p].on) continue;
            char name[64];
            const char *pn = sm_pathway_name(p);
            snprintf(name, sizeof name, "n_syn_%s", pn);
            col(o, name, json_integer(r->n_syn[p]));
            snprintf(name, sizeof name, "sparsity_%s", pn);
            col(o, name,
                sm_train_real(rw->path[p].n_initial
                                  ? 1.0 - (double)r->n_syn[p] / rw->path[p].n_initial
                                  : NAN));
            snprintf(name, sizeof name, "pruned_%s", pn);
            col(o, name, json_integer(r->pruned[p]));
            snprintf(name, sizeof name, "regrown_%s", pn);
            col(o, name, json_integer(r->regrown[p]));
            snprintf(name, sizeof name, "mean_w_pruned_%s", pn);
            col(o, name, sm_train_real(r->mean_w_pruned[p]));
            snprintf(name, sizeof name, "regrown_was_pruned_%s", pn);
            col(o, name, sm_train_real(r->regrown_was_pruned[p]));
        }
    }
    return o;
}
