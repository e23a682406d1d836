/* The Diehl & Cook input->E plasticity (spec diehl-cook.md section 4): trace decay with
 * an active list, the pre-side depression and the post-side potentiation, for the
 * authors' triplet rule and BindsNET's PostPre. */
#include <math.h>

#include "somnus/core/threads.h"
#include "models/dc_internal.h"

/* x_post1 below this is dropped from the active list (its depression term is zero by
 * definition, spec section 7 item 4). */
#define DC_ACTIVE_MIN 1e-12f

void sm_dc_traces_decay_range(sm_dc *net, int j0, int j1)
{
    const sm_dc_params *p = &net->p;
    const float d1 = (float)exp(-p->dt / p->tau_post1), d2 = (float)exp(-p->dt / p->tau_post2);
    float *restrict x1 = net->xpost1, *restrict x2 = net->xpost2;
    for (int j = j0; j < j1; j++) { /* 0 below 1e-30: no denormals */
        const float a = x1[j] * d1, b = x2[j] * d2;
        x1[j] = a < 1e-30f ? 0.0f : a;
        x2[j] = b < 1e-30f ? 0.0f : b;
    }
}

void sm_dc_traces_prune(sm_dc *net)
{
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

void sm_dc_traces_decay(sm_dc *net)
{
    sm_dc_traces_decay_range(net, 0, net->n_pad);
    sm_dc_traces_prune(net);
}

/* Depression of input i's row over the active list (x_post1 as it stands now). */
static void depress_row_now(sm_dc *net, int i)
{
    const int np = net->n_pad, na = net->n_active;
    const float nu = (float)net->p.nu_pre;
    const int32_t *act = net->active;
    float *row = net->w + (size_t)i * np;
    if (net->map_on) /* asleep: the decay maps owed come first */
        for (int a = 0; a < na; a++)
            sm_dc_map_catch_up(net, (size_t)i * np + act[a]);
    for (int a = 0; a < na; a++) {
        const int j = act[a];
        const float w = row[j] - nu * net->xpost1[j];
        row[j] = w < 0 ? 0 : w;
    }
}

/* A step's input spikes are distinct, so each owns its row: threads split them, each
 * weight gets its one update, and the result does not depend on the thread count. The
 * x_pre records follow (they do not enter the depression). */
void sm_dc_stdp_pre(sm_dc *net, int n_spk)
{
    const int32_t *spk = net->in_spk;
    const int par = sm_dc_par_work(net, (int64_t)n_spk * net->n_active);
    if (par) {
#pragma omp parallel for schedule(static) num_threads(sm_threads(net->p.threads))
        for (int s = 0; s < n_spk; s++)
            depress_row_now(net, spk[s]);
    } else { /* no region at all: even an if(0) region costs a call per step */
        for (int s = 0; s < n_spk; s++)
            depress_row_now(net, spk[s]);
    }
    for (int s = 0; s < n_spk; s++)
        sm_dc_pre_spike(net, spk[s]);
}

/* Potentiation of E neuron j's column by f x_pre over the listed inputs. */
static void potentiate_col(sm_dc *net, int j, float f)
{
    const int np = net->n_pad, n = net->n_pre_list;
    const float wmax = (float)net->p.w_max;
    const int64_t now = (int64_t)net->step;
    const int32_t *list = net->pre_list;
    float *col = net->w + j;
    if (net->map_on) /* asleep: the decay maps owed come first */
        for (int a = 0; a < n; a++)
            sm_dc_map_catch_up(net, (size_t)list[a] * np + j);
    for (int a = 0; a < n; a++) { /* inputs with x_pre > 0 */
        const int i = list[a];
        const int64_t age = now - net->pre_last[i];
        const float w = col[(size_t)i * np] + f * net->pre_tab[age];
        col[(size_t)i * np] = w > wmax ? wmax : w;
    }
}

/* A step's E spikers are distinct, so each owns its column: threads split them (each
 * factor reads only its own neuron's x_post2, reset after the loop). */
void sm_dc_stdp_post(sm_dc *net, int n_e)
{
    const sm_dc_params *p = &net->p;
    const float nu = (float)p->nu_post;
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
    const int32_t *spk = net->e_spk;
    const int par = sm_dc_par_work(net, (int64_t)n_e * net->n_pre_list);
    /* triplet: x_post2 just before the spike; PostPre and pair: no second trace */
    const int trip = p->rule == SM_DC_TRIPLET;
    if (par) {
#pragma omp parallel for schedule(static) num_threads(sm_threads(p->threads))
        for (int k = 0; k < n_e; k++) {
            const float f = nu * (trip ? net->xpost2[spk[k]] : 1.0f);
            if (f > 0) potentiate_col(net, spk[k], f);
        }
    } else {
        for (int k = 0; k < n_e; k++) {
            const float f = nu * (trip ? net->xpost2[spk[k]] : 1.0f);
            if (f > 0) potentiate_col(net, spk[k], f);
        }
    }
    for (int k = 0; k < n_e; k++) {
        const int j = spk[k];
        net->xpost1[j] = net->xpost2[j] = 1.0f;
        if (!net->in_active[j]) {
            net->in_active[j] = 1;
            net->active[net->n_active++] = j;
        }
    }
}
