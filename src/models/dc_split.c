/* Which E neurons each thread handles in the per-step region of a large Diehl & Cook
 * network (sm_dc_step), in units of 64 neurons.
 *
 * Each thread has a home run of units, sized to the threads' measured speeds, and takes
 * them from the front, four at a time; a thread whose run is done takes units one by one
 * from the back of the fullest other run. An equal static split waits every step for the
 * slowest core, and on a 2-vCPU VM the two vCPUs ran the same job at 23.6 and 14.4
 * images/s, and changed places within the hour; a dynamic schedule balances but moves
 * every unit's state between the caches each step (10 images/s, tried). Home runs keep
 * most units on one core, the stealing absorbs the step-to-step differences.
 *
 * Every neuron's update, its delayed drive and its synapses' depression are the same
 * operations in the same order whichever thread runs them, so none of this changes a
 * result, only the time. */
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "somnus/core/threads.h"
#include "models/dc_internal.h"

/* The units of one home run still unclaimed, [lo, hi) packed in one word (lo low), a
 * cache line of its own: the owner claims at lo, thieves at hi - 1, by compare-and-swap. */
struct sm_dc_claim {
    _Atomic uint64_t range;
    char pad[64 - sizeof(uint64_t)];
};

/* Steps between rebalances of the home runs: ~5 ms of a 6,400-E network, long enough to
 * average the timer's noise, short enough to follow a neighbour's load. */
#define DC_SPLIT_EVERY 128

/* Units an owner claims at once from its own run (256 neurons: fewer calls, each with a
 * longer loop); thieves take one at a time from the back. */
#define DC_CLAIM_RUN 4

static uint64_t pack(uint32_t lo, uint32_t hi)
{
    return (uint64_t)lo | (uint64_t)hi << 32;
}

int sm_dc_split_units(const sm_dc *net)
{
    return (net->n_pad + SM_DC_UNIT - 1) / SM_DC_UNIT;
}

/* Unit boundaries of an equal split of nu units over nt threads. */
static void split_even(int32_t *split, int nu, int nt)
{
    for (int t = 0; t <= nt; t++)
        split[t] = (int32_t)((int64_t)nu * t / nt);
}

int sm_dc_split_init(sm_dc *net)
{
    const int nt = sm_threads(net->p.threads);
    net->n_split = nt;
    net->split = calloc((size_t)nt + 1, sizeof *net->split);
    net->split_done = calloc((size_t)nt * SM_DC_STRIDE, sizeof *net->split_done);
    net->busy = calloc((size_t)nt * SM_DC_STRIDE, sizeof *net->busy);
    net->claims = aligned_alloc(64, (size_t)nt * sizeof *net->claims);
    if (!net->split || !net->split_done || !net->busy || !net->claims) return 0;
    split_even(net->split, sm_dc_split_units(net), nt);
    for (int t = 0; t < nt; t++)
        atomic_init(&net->claims[t].range, 0);
    return 1;
}

void sm_dc_split_free(sm_dc *net)
{
    free(net->split);
    free(net->split_done);
    free(net->busy);
    free(net->claims);
}

/* This thread's id and the team's size (0 and 1 outside a region or without OpenMP). */
static void team(int *t, int *nt)
{
#ifdef _OPENMP
    *t = omp_get_thread_num();
    *nt = omp_get_num_threads();
#else
    *t = 0;
    *nt = 1;
#endif
}

void sm_dc_split_begin(sm_dc *net)
{
    for (int t = 0; t < net->n_split; t++)
        atomic_store_explicit(&net->claims[t].range,
                              pack((uint32_t)net->split[t], (uint32_t)net->split[t + 1]),
                              memory_order_relaxed);
}

/* Claims up to DC_CLAIM_RUN units from the front of run r into [*u0, *u1); 0 when it is
 * empty. */
static int claim_front(sm_dc *net, int r, int *u0, int *u1)
{
    _Atomic uint64_t *a = &net->claims[r].range;
    uint64_t v = atomic_load_explicit(a, memory_order_relaxed);
    for (;;) {
        const uint32_t lo = (uint32_t)v, hi = (uint32_t)(v >> 32);
        if (lo >= hi) return 0;
        const uint32_t end = hi - lo > DC_CLAIM_RUN ? lo + DC_CLAIM_RUN : hi;
        if (atomic_compare_exchange_weak_explicit(a, &v, pack(end, hi), memory_order_relaxed,
                                                  memory_order_relaxed)) {
            *u0 = (int)lo;
            *u1 = (int)end;
            return 1;
        }
    }
}

/* Claims the back unit of the run with the most unclaimed units; 0 when all are empty. */
static int claim_back(sm_dc *net, int *u)
{
    for (;;) {
        int best = -1;
        uint32_t most = 0;
        for (int r = 0; r < net->n_split; r++) {
            const uint64_t v = atomic_load_explicit(&net->claims[r].range, memory_order_relaxed);
            const uint32_t lo = (uint32_t)v, hi = (uint32_t)(v >> 32);
            if (hi > lo && hi - lo > most) {
                most = hi - lo;
                best = r;
            }
        }
        if (best < 0) return 0;
        _Atomic uint64_t *a = &net->claims[best].range;
        uint64_t v = atomic_load_explicit(a, memory_order_relaxed);
        const uint32_t lo = (uint32_t)v, hi = (uint32_t)(v >> 32);
        if (lo < hi && atomic_compare_exchange_strong_explicit(
                           a, &v, pack(lo, hi - 1), memory_order_relaxed, memory_order_relaxed)) {
            *u = (int)(hi - 1);
            return 1;
        }
    }
}

int sm_dc_split_next(sm_dc *net, int *u0, int *u1)
{
    int t, nt;
    team(&t, &nt);
    if (!(t < net->n_split && claim_front(net, t, u0, u1))) {
        if (!claim_back(net, u0)) return 0;
        *u1 = *u0 + 1;
    }
    if (t < net->n_split) net->split_done[(size_t)t * SM_DC_STRIDE] += *u1 - *u0;
    return 1;
}

double sm_dc_split_clock(void)
{
#ifdef _OPENMP
    return omp_get_wtime();
#else
    return 0.0;
#endif
}

void sm_dc_split_account(sm_dc *net, double seconds)
{
    int t, nt;
    team(&t, &nt);
    if (t < net->n_split) net->busy[(size_t)t * SM_DC_STRIDE] += seconds;
}

/* New home runs: thread t gets units in proportion to its speed (units done per busy
 * second), moved halfway from the current split so that one noisy window cannot swing
 * it; every thread keeps at least one unit while there are enough. */
static void rebalance(sm_dc *net)
{
    const int nt = net->n_split, nu = sm_dc_split_units(net);
    double rate[64], sum = 0;
    if (nt < 2 || nt > 64 || nu < nt) return;
    for (int t = 0; t < nt; t++) {
        const double busy = net->busy[(size_t)t * SM_DC_STRIDE];
        if (!(busy > 0)) return; /* no measurement (a build without OpenMP) */
        rate[t] = (double)net->split_done[(size_t)t * SM_DC_STRIDE] / busy;
        sum += rate[t];
    }
    if (!(sum > 0)) return;
    double cum = 0;
    for (int t = 1; t < nt; t++) {
        cum += rate[t - 1] / sum;
        const double want = 0.5 * (net->split[t] + cum * nu);
        int b = (int)(want + 0.5);
        const int lo = net->split[t - 1] + 1, hi = nu - (nt - t);
        b = b < lo ? lo : (b > hi ? hi : b);
        net->split[t] = b;
    }
}

void sm_dc_split_tick(sm_dc *net)
{
    if (++net->split_steps < DC_SPLIT_EVERY) return;
    rebalance(net);
    for (int t = 0; t < net->n_split; t++) {
        net->busy[(size_t)t * SM_DC_STRIDE] = 0;
        net->split_done[(size_t)t * SM_DC_STRIDE] = 0;
    }
    net->split_steps = 0;
}

void sm_dc_split_set(sm_dc *net, const int32_t *split)
{
    for (int t = 0; t <= net->n_split; t++)
        net->split[t] = split[t];
}
