/* One Diehl & Cook time step (spec diehl-cook.md section 2, order as coded): input
 * spikes, trace decay, integrate + threshold + reset, propagate (targets see the jump
 * next step), STDP. */
#include "somnus/core/threads.h"
#include "somnus/io/encode.h"
#include "models/dc_internal.h"

void sm_dc_deliver_input_range(sm_dc *net, int n_spk, int j0, int j1)
{
    const int np = net->n_pad;
    const int32_t *spk = net->in_spk;
    const float *w = net->w;
    float *g = net->gee;
    for (int s = 0; s < n_spk; s++) {
        const float *row = w + (size_t)spk[s] * np;
        for (int j = j0; j < j1; j++)
            g[j] += row[j];
    }
}

void sm_dc_deliver_input(sm_dc *net, int n_spk)
{
    if (n_spk == 0) return;
    const int np = net->n_pad, par = net->p.n_exc >= net->p.par_min;
    /* blocks of 256 E neurons: a thread owns a block and adds every spike's row to it in
     * spike order, so each sum is formed in the same order on any thread count */
    if (par) {
        const int nb = (np + 255) / 256;
#pragma omp parallel for schedule(static) num_threads(sm_threads(net->p.threads))
        for (int b = 0; b < nb; b++) {
            const int j0 = 256 * b, j1 = j0 + 256 < np ? j0 + 256 : np;
            sm_dc_deliver_input_range(net, n_spk, j0, j1);
        }
        return;
    }
    sm_dc_deliver_input_range(net, n_spk, 0, np);
}

/* The conductance neurons and the input delivery of one step in ONE parallel region
 * (blocks of 256 E neurons): per neuron the same operations in the same order as the
 * separate loops (integrate E, integrate I, deliver), and no neuron reads another's
 * state, so the result is the same; one region a step instead of three (each costs a
 * fork/join, and on a loaded machine a wait for both threads to be scheduled). */
static void neurons_and_delivery(sm_dc *net, int ns, int *ne, int *ni)
{
    const int np = net->n_pad, nb = (np + 255) / 256, n = net->p.n_exc, delayed = !!net->delay;
    sm_dc_cond_consts k;
    sm_dc_cond_prepare(net, &k);
#pragma omp parallel for schedule(static) num_threads(sm_threads(net->p.threads))
    for (int b = 0; b < nb; b++) {
        const int j0 = 256 * b, j1 = j0 + 256 < np ? j0 + 256 : np;
        sm_dc_cond_range(net, &k, j0, j1 < n ? j1 : n);
        if (delayed)
            sm_dc_deliver_delayed_range(net, ns, j0, j1);
        else
            sm_dc_deliver_input_range(net, ns, j0, j1);
    }
    sm_dc_collect(net, ne, ni);
}

void sm_dc_step(sm_dc *net)
{
    const sm_dc_params *p = &net->p;
    const int n = p->n_exc;
    const int ns = net->silent ? 0 : sm_encoder_spikes(net->enc, net->step, net->in_spk);
    if (net->noise_sigma > 0) sm_dc_add_noise(net); /* sleep only */
    if (net->learning) sm_dc_traces_decay(net);
    int ne, ni;
    if (p->fidelity == SM_DC_CODE && n >= p->par_min) {
        neurons_and_delivery(net, ns, &ne, &ni);
    } else {
        if (p->fidelity == SM_DC_CODE)
            sm_dc_neurons_cond(net, &ne, &ni);
        else
            sm_dc_neurons_current(net, &ne, &ni);
        if (net->delay)
            sm_dc_deliver_delayed(net, ns);
        else
            sm_dc_deliver_input(net, ns);
    }
    const float wei = (float)p->w_ei, wie = (float)p->w_ie;
    for (int k = 0; k < ne; k++)
        net->gei[net->e_spk[k]] += wei;
    if (ni > 0) {
        for (int k = 0; k < ni; k++)
            net->i_mark[net->i_spk[k]] = 1;
        for (int j = 0; j < n; j++)
            net->gie[j] += wie * (float)(ni - net->i_mark[j]);
        for (int k = 0; k < ni; k++)
            net->i_mark[net->i_spk[k]] = 0;
    }
    if (net->learning && net->delay) {
        sm_dc_stdp_delayed(net, ns, ne);
    } else if (net->learning) {
        if (p->rule != SM_DC_POSTPRE) { /* triplet, brian: pre side first */
            sm_dc_stdp_pre(net, ns);
            sm_dc_stdp_post(net, ne);
        } else { /* BindsNET: traces of this step's spikes first, then the updates */
            for (int s = 0; s < ns; s++)
                sm_dc_pre_spike(net, net->in_spk[s]);
            sm_dc_stdp_post(net, ne);
            sm_dc_stdp_pre(net, ns);
        }
    }
    for (int k = 0; k < ne; k++)
        net->counts[net->e_spk[k]]++;
    for (int k = 0; k < ni; k++)
        net->i_counts[net->i_spk[k]]++;
    net->n_input_spikes += ns;
    net->n_e_spikes += ne;
    net->step++;
}
