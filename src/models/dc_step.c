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

/* Units [u0, u1) of 64 E neurons (neurons [j0, j1)) of the step's region: the trace
 * decay (learning), integrate E and I, deliver, and the depression due (when `depress`). */
static void step_units(sm_dc *net, const sm_dc_cond_consts *k, int ns, int depress, int u0, int u1)
{
    const int n = net->p.n_exc, np = net->n_pad;
    const int j0 = SM_DC_UNIT * u0, j1 = SM_DC_UNIT * u1 < np ? SM_DC_UNIT * u1 : np;
    if (net->learning) sm_dc_traces_decay_range(net, j0, j1);
    sm_dc_cond_range(net, k, j0, j1 < n ? j1 : n);
    if (net->delay)
        sm_dc_deliver_delayed_range(net, ns, j0, j1);
    else
        sm_dc_deliver_input_range(net, ns, j0, j1);
    if (depress) sm_dc_depress_units(net, u0, u1);
}

/* The trace decay, the conductance neurons, the input delivery and (when `depress`) the
 * delayed depression of one step in ONE parallel region, unit by unit (dc_split.c: home
 * runs sized to the threads' speeds, stealing at the ends). Per neuron the operations
 * and their order are those of the separate loops (decay, integrate E, integrate I,
 * deliver, depress its synapses), and no neuron reads another's state, so the result is
 * that of the loops one after another. One region a step instead of four or five (each
 * costs a fork/join, on a loaded machine a wait for both threads). */
static void step_region(sm_dc *net, int ns, int depress, int *ne, int *ni)
{
    const int n = net->p.n_exc;
    sm_dc_cond_consts k;
    sm_dc_cond_prepare(net, &k);
    depress = depress && sm_dc_depress_prepare(net);
    if (ns == 0 && !depress) {
        /* no spike to deliver or depress (the rest between images, ~30% of the steps):
         * the neuron update alone is cheaper than a fork/join (6,400 E: 7.2 us a step on
         * one thread, 14.3 us on two, on a 2-vCPU VM) */
        if (net->learning) sm_dc_traces_decay_range(net, 0, net->n_pad);
        sm_dc_cond_range(net, &k, 0, n);
        if (net->delay) sm_dc_deliver_delayed_range(net, 0, 0, net->n_pad);
    } else {
        sm_dc_split_begin(net);
        if (net->delay) sm_dc_ring_prepare(net);
#pragma omp parallel num_threads(sm_threads(net->p.threads))
        {
            const double t0 = sm_dc_split_clock();
            int u0, u1;
            while (sm_dc_split_next(net, &u0, &u1))
                step_units(net, &k, ns, depress, u0, u1);
            sm_dc_split_account(net, sm_dc_split_clock() - t0);
        }
        sm_dc_split_tick(net);
    }
    if (net->learning) sm_dc_traces_prune(net);
    sm_dc_collect(net, ne, ni);
}

void sm_dc_step(sm_dc *net)
{
    const sm_dc_params *p = &net->p;
    const int n = p->n_exc;
    const int ns = net->silent ? 0 : sm_encoder_spikes(net->enc, net->step, net->in_spk);
    if (net->noise_sigma > 0) sm_dc_add_noise(net); /* sleep only */
    int ne, ni, depressed = 0;
    if (p->fidelity == SM_DC_CODE && n >= p->par_min) {
        depressed = net->learning && net->delay && !net->map_on;
        step_region(net, ns, depressed, &ne, &ni);
    } else {
        if (net->learning) sm_dc_traces_decay(net);
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
        sm_dc_stdp_delayed(net, ns, ne, depressed);
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
