/* Internal to src/models/dc_*.c: the pieces of one Diehl & Cook step (not installed). */
#ifndef SOMNUS_DC_INTERNAL_H
#define SOMNUS_DC_INTERNAL_H

#include "somnus/models/dc.h"

/* Integrates the E and I populations one step (conductance variant, forward Euler as
 * coded, refractory clamp, theta decay while learning) and writes the spikers into
 * net->e_spk / net->i_spk (ascending); returns their counts in *ne, *ni. */
void sm_dc_neurons_cond(sm_dc *net, int *ne, int *ni);

/* The per-step constants of the conductance E update (theta scale, increment, threshold). */
typedef struct sm_dc_cond_consts {
    float scale, inc, thr;
} sm_dc_cond_consts;

/* Pieces of sm_dc_neurons_cond, for a caller that runs more per block in one parallel
 * region (sm_dc_step): decays theta and fills k; integrates E and I neurons [j0, j1)
 * (marks spikers); collects the marks into e_spk / i_spk (ascending). */
void sm_dc_cond_prepare(sm_dc *net, sm_dc_cond_consts *k);
void sm_dc_cond_range(sm_dc *net, const sm_dc_cond_consts *k, int j0, int j1);
void sm_dc_collect(sm_dc *net, int *ne, int *ni);

/* The same for the current-based BindsNET variant (decay, input where not refractory,
 * threshold v >= v_thresh + theta, reset, at most one E spike reported). */
void sm_dc_neurons_current(sm_dc *net, int *ne, int *ni);

/* Multiplies every E neuron's theta by `factor` (through theta_scale). */
void sm_dc_theta_decay(sm_dc *net, double factor);

/* Adds the input spikes' rows to the E drive (net->gee), split over E by threads. */
void sm_dc_deliver_input(sm_dc *net, int n_spk);

/* Input delays (dc_delay.c; all no-ops when p.input_delay is 0). Allocates the rings and
 * draws the delays; 0 on out of memory. */
int sm_dc_delays_init(sm_dc *net);

/* Frees what sm_dc_delays_init allocated. */
void sm_dc_delays_free(sm_dc *net);

/* Forgets the recorded spikes and traces (learning switched on or off: no depression
 * is left pending across the switch). */
void sm_dc_delays_clear_history(sm_dc *net);

/* Scatters the input spikes' rows into the drive due d_ij steps later and moves the drive
 * due now into net->gee (runs every step, spikes or not). */
void sm_dc_deliver_delayed(sm_dc *net, int n_spk);

/* The same for E neurons [j0, j1) only (no threads of its own), once sm_dc_ring_prepare
 * has run for this step. */
void sm_dc_deliver_delayed_range(sm_dc *net, int n_spk, int j0, int j1);

/* Points ring_row at this step's ring rows (row d: the drive due d steps from now). */
void sm_dc_ring_prepare(sm_dc *net);

/* sm_dc_deliver_input for E neurons [j0, j1) only (no threads of its own). */
void sm_dc_deliver_input_range(sm_dc *net, int n_spk, int j0, int j1);

/* The STDP of a step with delays: x_pre = 1 for this step's inputs, the depression due
 * from step now - L (unless `depressed`: the step's region ran it, sm_dc_depress_units),
 * the potentiation of this step's E spikers, the end-of-step records. */
void sm_dc_stdp_delayed(sm_dc *net, int n_spk, int n_e, int depressed);

/* The depression due now (input spikes of step now - L), unit by unit, for the step's
 * region; not while asleep (map_on). Prepare (before the region) sorts post_nz by unit and
 * returns 1 when there is work (spikes at now - L and E neurons on post_nz); units does the
 * synapses onto the E neurons of units [u0, u1), no threads of its own. It reads only records of
 * earlier steps, so it may run right after the unit's drive is delivered: each synapse
 * still gets its delivery read, then its one update. */
int sm_dc_depress_prepare(sm_dc *net);
void sm_dc_depress_units(sm_dc *net, int u0, int u1);

/* Neurons per unit of the per-step region's split (a multiple of the 16 lanes the
 * delivery works in), and the stride of per-thread tallies (a cache line of 8-byte
 * values). */
#define SM_DC_UNIT 64
#define SM_DC_STRIDE 8

/* The split of the per-step region (dc_split.c). Init gives sm_threads(p.threads)
 * threads equal home runs (0 on out of memory); free releases them. */
int sm_dc_split_init(sm_dc *net);
void sm_dc_split_free(sm_dc *net);

/* Units of 64 E neurons (the last one may be shorter). */
int sm_dc_split_units(const sm_dc *net);

/* Before the region: every home run unclaimed. */
void sm_dc_split_begin(sm_dc *net);

/* Inside the region: claims the calling thread's next units [*u0, *u1) (up to four from
 * its own run first, then one from the back of the fullest other run); 0 once every unit
 * of the step is claimed. */
int sm_dc_split_next(sm_dc *net, int *u0, int *u1);

/* Seconds of a monotonic clock (0 without OpenMP), and the calling thread's work time of
 * this step, added to its tally. */
double sm_dc_split_clock(void);
void sm_dc_split_account(sm_dc *net, double seconds);

/* After the region, once a step: every 128 steps moves the home runs toward the
 * threads' measured speeds and clears the tallies. */
void sm_dc_split_tick(sm_dc *net);

/* Sets the n_split + 1 home-run boundaries (tests: a lopsided split must give the same
 * results). */
void sm_dc_split_set(sm_dc *net, const int32_t *split);

/* The two halves of sm_dc_traces_decay: the decay of E neurons [j0, j1), and the
 * active list's pruning (after every neuron's decay). */
void sm_dc_traces_decay_range(sm_dc *net, int j0, int j1);
void sm_dc_traces_prune(sm_dc *net);

/* Decays the STDP traces one step and drops E neurons whose x_post1 fell to 1e-12 or
 * below from the active list. */
void sm_dc_traces_decay(sm_dc *net);

/* Pre-side update of the input spikes (depression over the active list, x_pre = 1). */
void sm_dc_stdp_pre(sm_dc *net, int n_spk);

/* Post-side update of the E spikers (potentiation of their columns, x_post = 1). */
void sm_dc_stdp_post(sm_dc *net, int n_e);

/* Sleep (dc_sleep_map.c): adds this step's Gaussian noise (net->noise_sigma) to every E and
 * I v; brings weight idx up to date with the decay maps owed in this window (map_on only);
 * brings every weight up to date at the end of the window. */
void sm_dc_add_noise(sm_dc *net);
void sm_dc_map_catch_up(sm_dc *net, size_t idx);
void sm_dc_map_flush(sm_dc *net);

/* Synapse updates from which a plasticity loop splits its rows between threads (a
 * parallel region costs a fork and a join, on a loaded machine a wait for both threads). */
#define SM_DC_PAR_WORK 32768

/* 1 when a loop of `work` synapse updates runs on threads: the network is large enough
 * (n_exc >= p.par_min) and so is the work. Results never depend on it. */
static inline int sm_dc_par_work(const sm_dc *net, int64_t work)
{
    return net->p.n_exc >= net->p.par_min && work >= SM_DC_PAR_WORK;
}

/* Records input i's spike at the current step (x_pre = 1) and lists it for the
 * post-side updates. */
static inline void sm_dc_pre_spike(sm_dc *net, int i)
{
    net->pre_last[i] = (int64_t)net->step;
    if (!net->pre_listed[i]) {
        net->pre_listed[i] = 1;
        net->pre_list[net->n_pre_list++] = i;
    }
}

#endif
