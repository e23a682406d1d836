/* The Diehl & Cook input->E plasticity (spec diehl-cook.md section 4): trace decay with
 * an active list, the pre-side depression and the post-side potentiation, for the
 * authors' triplet rule and BindsNET's PostPre. */
#include <math.h>

#include "models/dc_internal.h"

/* x_post1 below this is dropped from the active list (its depression term is zero by
 * definition, spec section 7 item 4). */
#define DC_ACTIVE_MIN 1e-12f

void sm_dc_traces_decay(sm_dc *net)
{
    const sm_dc_params *p = &net->p;
    const float d1 = (float)exp(-p->dt / p->tau_post1), d2 = (float)exp(-p->dt / p->tau_post2);
    for (int j = 0; j < net->n_pad; j++) { /* 0 below 1e-30: no denormals */
        const float a = net->xpost1[j] * d1, b = net->xpost2[j] * d2;
        net->xpost1[j] = a < 1e-30f ? 0.0f : a;
        net->xpost2[j] = b < 1e-30f ? 0.0f : b;
    }
    int k = 0;
    for (int a = 0; a < net->n_active; a++) {
        const int j = net->active[a];
        if (net->xpost1[j] > DC_ACTIVE_MIN)
            net->active[k++] = j;
        else
            net->in_active[j] = 0;
    }
    net->n_active = k;
}

void sm_dc_stdp_pre(sm_dc *net, int n_spk)
{
    const int np = net->n_pad;
    const float nu = (float)net->p.nu_pre;
    for (int s = 0; s < n_spk; s++) {
        const int i = net->in_spk[s];
        float *row = net->w + (size_t)i * np;
        if (net->map_on) /* asleep: the decay maps owed come first */
            for (int a = 0; a < net->n_active; a++)
                sm_dc_map_catch_up(net, (size_t)i * np + net->active[a]);
        for (int a = 0; a < net->n_active; a++) {
            const int j = net->active[a];
            const float w = row[j] - nu * net->xpost1[j];
            row[j] = w < 0 ? 0 : w;
        }
        sm_dc_pre_spike(net, i);
    }
}

void sm_dc_stdp_post(sm_dc *net, int n_e)
{
    const sm_dc_params *p = &net->p;
    const int np = net->n_pad, n_in = p->n_in;
    const float nu = (float)p->nu_post, wmax = (float)p->w_max;
    const int64_t now = (int64_t)net->step;
    if (n_e > 0) { /* drop inputs whose x_pre is 0 (silent for pre_tab_n steps) */
        int m = 0;
        for (int a = 0; a < net->n_pre_list; a++) {
            const int i = net->pre_list[a];
            if (now - net->pre_last[i] < net->pre_tab_n)
                net->pre_list[m++] = i;
            else
                net->pre_listed[i] = 0;
        }
        net->n_pre_list = m;
    }
    (void)n_in;
    for (int k = 0; k < n_e; k++) {
        const int j = net->e_spk[k];
        /* triplet: x_post2 just before this spike; PostPre and pair: no second trace */
        const float f = nu * (p->rule == SM_DC_TRIPLET ? net->xpost2[j] : 1.0f);
        if (f > 0) {
            float *col = net->w + j;
            if (net->map_on) /* asleep: the decay maps owed come first */
                for (int a = 0; a < net->n_pre_list; a++)
                    sm_dc_map_catch_up(net, (size_t)net->pre_list[a] * np + j);
            for (int a = 0; a < net->n_pre_list; a++) { /* inputs with x_pre > 0 */
                const int i = net->pre_list[a];
                const int64_t age = now - net->pre_last[i];
                const float w = col[(size_t)i * np] + f * net->pre_tab[age];
                col[(size_t)i * np] = w > wmax ? wmax : w;
            }
        }
        net->xpost1[j] = net->xpost2[j] = 1.0f;
        if (!net->in_active[j]) {
            net->in_active[j] = 1;
            net->active[net->n_active++] = j;
        }
    }
}
